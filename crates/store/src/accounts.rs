//! Accounts and their aliases.

use crate::{Result, Store, get_str, insert_error, opt_str};

impl Store {
    /// Creates the account if it does not exist; `true` when it was created now.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn ensure_account(&self, account: &str, at: i64) -> Result<bool> {
        let r = sqlx::query("INSERT INTO accounts (account_id, created_at) VALUES ($1, $2)")
            .bind(account)
            .bind(at)
            .execute(self.pool())
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if crate::is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every account id.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_accounts(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT account_id FROM accounts ORDER BY account_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| get_str(r, "account_id")).collect()
    }

    /// Whether an account exists.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn account_exists(&self, account: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM accounts WHERE account_id = $1")
            .bind(account)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    /// The account alias.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn account_alias(&self, account: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT alias FROM accounts WHERE account_id = $1")
            .bind(account)
            .fetch_optional(self.pool())
            .await?;
        row.map_or(Ok(None), |r| opt_str(&r, "alias"))
    }

    /// Sets the alias (aliases are unique across all accounts).
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when another account has it.
    pub async fn set_account_alias(&self, account: &str, alias: Option<&str>) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET alias = $1 WHERE account_id = $2")
            .bind(alias)
            .bind(account)
            .execute(self.pool())
            .await
            .map_err(insert_error)?;
        crate::changed(&done)
    }

    /// The account that has an alias.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn account_by_alias(&self, alias: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT account_id FROM accounts WHERE alias = $1")
            .bind(alias)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| get_str(&r, "account_id")).transpose()
    }
}

/// Locks the account's row for the rest of `tx` (a row lock on PostgreSQL; SQLite's write
/// transaction holds the whole database already), so that writes counted per account or per
/// owner without a row of their own (tags, the root's access keys) take turns. An account
/// without a row (never bootstrapped) locks nothing.
pub(crate) async fn lock_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account: &str,
) -> crate::Result<()> {
    sqlx::query("UPDATE accounts SET created_at = created_at WHERE account_id = $1")
        .bind(account)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
