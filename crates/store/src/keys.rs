//! Access keys of users (and of account roots), and the server's token-sealing keys.

use sqlx::any::AnyRow;

use crate::{
    EntityKind, Result, Store, StoreError, get_i64, get_str, insert_error, opt_i64, opt_str,
};

/// IAM allows two access keys per user.
pub const MAX_ACCESS_KEYS_PER_USER: i64 = 2;

/// A long-term access key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `AKIA…`.
    pub access_key_id: String,
    /// Owning account.
    pub account_id: String,
    /// Lower-cased owner name; `None` for the account root's keys (stored as an empty name).
    pub user_lower: Option<String>,
    /// The secret, sealed by the server's master key.
    pub secret_sealed: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    pub last_used_at: Option<i64>,
    /// Service of the last use.
    pub last_used_service: Option<String>,
    /// Region of the last use.
    pub last_used_region: Option<String>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("user_lower", &self.user_lower)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A token-sealing key, itself wrapped by the master key.
#[derive(Clone)]
pub struct ServerKey {
    /// Numbered from 1; the highest is the one new tokens use.
    pub key_id: i64,
    /// The key, sealed by the master key.
    pub wrapped_key: String,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

const KEY_COLUMNS: &str = "access_key_id, account_id, user_lower, secret_sealed, status, created_at, last_used_at, last_used_service, last_used_region";

fn access_key(row: &AnyRow) -> Result<AccessKey> {
    Ok(AccessKey {
        access_key_id: get_str(row, "access_key_id")?,
        account_id: get_str(row, "account_id")?,
        user_lower: Some(get_str(row, "user_lower")?).filter(|u| !u.is_empty()),
        secret_sealed: get_str(row, "secret_sealed")?,
        status: get_str(row, "status")?,
        created_at: get_i64(row, "created_at")?,
        last_used_at: opt_i64(row, "last_used_at")?,
        last_used_service: opt_str(row, "last_used_service")?,
        last_used_region: opt_str(row, "last_used_region")?,
    })
}

impl Store {
    /// Adds an access key, refusing a third one for the same user. The user row is touched
    /// first so that concurrent creations for one user serialise on it in both databases.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the user is gone, [`StoreError::LimitExceeded`] at two keys.
    pub async fn create_access_key(&self, key: &AccessKey) -> Result<()> {
        let mut tx = self.begin_write().await?;
        match &key.user_lower {
            Some(user) => {
                crate::entities::lock_entity(&mut tx, EntityKind::User, &key.account_id, user)
                    .await?;
            }
            // The root's keys have no user row to lock: the account's row serves.
            None => crate::accounts::lock_account(&mut tx, &key.account_id).await?,
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM access_keys WHERE account_id = $1 AND user_lower = $2",
        )
        .bind(&key.account_id)
        .bind(key.user_lower.as_deref().unwrap_or(""))
        .fetch_one(&mut *tx)
        .await?;
        if get_i64(&row, "n")? >= MAX_ACCESS_KEYS_PER_USER {
            return Err(StoreError::LimitExceeded);
        }
        sqlx::query(crate::dynamic(&format!(
            "INSERT INTO access_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&key.access_key_id)
        .bind(&key.account_id)
        .bind(key.user_lower.as_deref().unwrap_or(""))
        .bind(&key.secret_sealed)
        .bind(&key.status)
        .bind(key.created_at)
        .bind(key.last_used_at)
        .bind(key.last_used_service.as_deref())
        .bind(key.last_used_region.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// One access key by id.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let row = sqlx::query(crate::dynamic(&format!(
            "SELECT {KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1"
        )))
        .bind(access_key_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(access_key).transpose()
    }

    /// The access keys of a user (or of the root when `user` is `None`).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_access_keys(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<AccessKey>> {
        let rows = sqlx::query(crate::dynamic(&format!(
            "SELECT {KEY_COLUMNS} FROM access_keys WHERE account_id = $1 AND user_lower = $2 ORDER BY created_at, access_key_id"
        )))
        .bind(account)
        .bind(user.map_or_else(String::new, str::to_lowercase))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(access_key).collect()
    }

    /// Sets a key `Active` or `Inactive`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the key does not belong to that user.
    pub async fn update_access_key_status(
        &self,
        account: &str,
        user: Option<&str>,
        id: &str,
        status: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE access_keys SET status = $1 WHERE access_key_id = $2 AND account_id = $3 AND user_lower = $4",
        )
        .bind(status)
        .bind(id)
        .bind(account)
        .bind(user.map_or_else(String::new, str::to_lowercase))
        .execute(self.pool())
        .await?;
        crate::changed(&done)
    }

    /// Deletes a key.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the key does not belong to that user.
    pub async fn delete_access_key(
        &self,
        account: &str,
        user: Option<&str>,
        id: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM access_keys WHERE access_key_id = $1 AND account_id = $2 AND user_lower = $3",
        )
        .bind(id)
        .bind(account)
        .bind(user.map_or_else(String::new, str::to_lowercase))
        .execute(self.pool())
        .await?;
        crate::changed(&done)
    }

    /// Records the last use of a key.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn touch_access_key(
        &self,
        id: &str,
        at: i64,
        service: &str,
        region: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE access_keys SET last_used_at = $1, last_used_service = $2, last_used_region = $3 WHERE access_key_id = $4")
            .bind(at)
            .bind(service)
            .bind(region)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every token-sealing key, oldest first.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn server_keys(&self) -> Result<Vec<ServerKey>> {
        let rows = sqlx::query("SELECT key_id, wrapped_key FROM server_keys ORDER BY key_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ServerKey {
                    key_id: get_i64(r, "key_id")?,
                    wrapped_key: get_str(r, "wrapped_key")?,
                })
            })
            .collect()
    }

    /// Adds a token-sealing key with the given id; `false` when another process added that id first.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn add_server_key(&self, key: &ServerKey, at: i64) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO server_keys (key_id, wrapped_key, created_at) VALUES ($1, $2, $3)",
        )
        .bind(key.key_id)
        .bind(&key.wrapped_key)
        .bind(at)
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if crate::is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
