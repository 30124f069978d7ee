//! Console sign-in: the ids of used sign-in tokens and of signed-out console sessions, so
//! that a sealed, self-validating token works once and a signed-out session ends on every node.

use crate::{Result, Store, get_i64};

impl Store {
    /// Marks the sign-in token or console session `id` spent until `expires_at` (epoch
    /// seconds); `false` when it was already spent. Rows past their expiry are dropped first:
    /// a token or session that old is refused by its own expiry.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn spend_console_id(&self, id: &str, expires_at: i64, now: i64) -> Result<bool> {
        sqlx::query("DELETE FROM console_spent WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        let inserted = sqlx::query("INSERT INTO console_spent (id, expires_at) VALUES ($1, $2)")
            .bind(id)
            .bind(expires_at)
            .execute(self.pool())
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if crate::is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the sign-in token or console session `id` is spent.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn console_id_spent(&self, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT expires_at FROM console_spent WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| get_i64(&r, "expires_at"))
            .transpose()
            .map(|r| r.is_some())
    }
}
