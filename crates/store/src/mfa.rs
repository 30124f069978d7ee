//! Virtual MFA devices: their sealed seeds, the user they are enabled for, and the last
//! accepted TOTP step, which makes every code single-use.

use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, get_i64, get_str, insert_error, opt_i64, opt_str};

/// A virtual MFA device.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaDevice {
    /// `arn:aws:iam::ACCT:mfa/path/name`.
    pub serial: String,
    /// Owning account.
    pub account_id: String,
    /// Device name.
    pub name: String,
    /// Path.
    pub path: String,
    /// The Base32 seed, sealed by the master key.
    pub seed_sealed: String,
    /// The user it is enabled for (lower-cased), once enabled.
    pub user_lower: Option<String>,
    /// When it was enabled.
    pub enabled_at: Option<i64>,
    /// When it was created.
    pub created_at: i64,
    /// The last TOTP step accepted.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for MfaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaDevice")
            .field("serial", &self.serial)
            .field("user_lower", &self.user_lower)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "serial, account_id, name, path, seed_sealed, user_lower, enabled_at, created_at, last_step";

fn device(row: &AnyRow) -> Result<MfaDevice> {
    Ok(MfaDevice {
        serial: get_str(row, "serial")?,
        account_id: get_str(row, "account_id")?,
        name: get_str(row, "name")?,
        path: get_str(row, "path")?,
        seed_sealed: get_str(row, "seed_sealed")?,
        user_lower: opt_str(row, "user_lower")?,
        enabled_at: opt_i64(row, "enabled_at")?,
        created_at: get_i64(row, "created_at")?,
        last_step: opt_i64(row, "last_step")?,
    })
}

impl Store {
    /// Stores a new virtual device.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the serial is taken.
    pub async fn create_mfa_device(&self, d: &MfaDevice) -> Result<()> {
        sqlx::query(crate::dynamic(&format!(
            "INSERT INTO mfa_devices ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&d.serial)
        .bind(&d.account_id)
        .bind(&d.name)
        .bind(&d.path)
        .bind(&d.seed_sealed)
        .bind(d.user_lower.as_deref())
        .bind(d.enabled_at)
        .bind(d.created_at)
        .bind(d.last_step)
        .execute(self.pool())
        .await
        .map_err(insert_error)?;
        Ok(())
    }

    /// One device by serial.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn get_mfa_device(&self, serial: &str) -> Result<Option<MfaDevice>> {
        let row = sqlx::query(crate::dynamic(&format!(
            "SELECT {COLUMNS} FROM mfa_devices WHERE serial = $1"
        )))
        .bind(serial)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(device).transpose()
    }

    /// The devices of an account (virtual device listing) or of one user.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_mfa_devices(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<MfaDevice>> {
        let rows = match user {
            Some(u) => {
                sqlx::query(crate::dynamic(&format!("SELECT {COLUMNS} FROM mfa_devices WHERE account_id = $1 AND user_lower = $2 ORDER BY serial")))
                    .bind(account)
                    .bind(u.to_lowercase())
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query(crate::dynamic(&format!("SELECT {COLUMNS} FROM mfa_devices WHERE account_id = $1 ORDER BY serial")))
                    .bind(account)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(device).collect()
    }

    /// Enables a device for a user, recording the step of the second code as used.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the device is unknown, [`StoreError::AlreadyExists`] when
    /// it is already enabled.
    pub async fn enable_mfa_device(
        &self,
        serial: &str,
        user: &str,
        at: i64,
        step: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE mfa_devices SET user_lower = $1, enabled_at = $2, last_step = $3 WHERE serial = $4 AND user_lower IS NULL",
        )
        .bind(user.to_lowercase())
        .bind(at)
        .bind(step)
        .bind(serial)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        match self.get_mfa_device(serial).await? {
            None => Err(StoreError::NotFound),
            Some(_) => Err(StoreError::AlreadyExists),
        }
    }

    /// Detaches a device from its user.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the device is not enabled for that user.
    pub async fn deactivate_mfa_device(&self, serial: &str, user: &str) -> Result<()> {
        let done = sqlx::query("UPDATE mfa_devices SET user_lower = NULL, enabled_at = NULL WHERE serial = $1 AND user_lower = $2")
            .bind(serial)
            .bind(user.to_lowercase())
            .execute(self.pool())
            .await?;
        crate::changed(&done)
    }

    /// Deletes a device that is not enabled, and its tags.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or [`StoreError::Conflict`] while it is enabled.
    pub async fn delete_mfa_device(&self, serial: &str) -> Result<()> {
        let Some(d) = self.get_mfa_device(serial).await? else {
            return Err(StoreError::NotFound);
        };
        if d.user_lower.is_some() {
            return Err(StoreError::Conflict(crate::Conflict::MfaDevices));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM mfa_devices WHERE serial = $1")
            .bind(serial)
            .execute(&mut *tx)
            .await?;
        // A device created later under the same serial number starts without tags.
        sqlx::query(
            "DELETE FROM tags WHERE account_id = $1 AND owner_kind = 'mfa' AND owner_key = $2",
        )
        .bind(&d.account_id)
        .bind(serial.to_lowercase())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts a TOTP step once: `true` only if `step` is later than every step accepted
    /// before, so the same code can never be used twice, even by concurrent requests.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn claim_mfa_step(&self, serial: &str, step: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE mfa_devices SET last_step = $1 WHERE serial = $2 AND (last_step IS NULL OR last_step < $1)")
            .bind(step)
            .bind(serial)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the last accepted step (resynchronisation).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn set_mfa_step(&self, serial: &str, step: i64) -> Result<()> {
        sqlx::query("UPDATE mfa_devices SET last_step = $1 WHERE serial = $2")
            .bind(step)
            .bind(serial)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
