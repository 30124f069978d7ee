//! Tags of users, roles, policies and other taggable entities. Tag keys are unique per entity
//! case-insensitively; a tag with an existing key replaces it.

use crate::{Result, Store, get_str};

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Key as given.
    pub key: String,
    /// Value.
    pub value: String,
}

/// IAM allows fifty tags per entity.
pub const MAX_TAGS: usize = 50;

impl Store {
    /// The tags of an entity, sorted by key.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn tags(&self, account: &str, owner_kind: &str, owner_key: &str) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT tag_key, tag_value FROM tags WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 ORDER BY key_lower",
        )
        .bind(account)
        .bind(owner_kind)
        .bind(owner_key.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Tag {
                    key: get_str(r, "tag_key")?,
                    value: get_str(r, "tag_value")?,
                })
            })
            .collect()
    }

    /// Adds or replaces tags; refuses to go over [`MAX_TAGS`] (checked in the same transaction).
    ///
    /// # Errors
    /// [`crate::StoreError::LimitExceeded`] above fifty tags.
    pub async fn tag(
        &self,
        account: &str,
        owner_kind: &str,
        owner_key: &str,
        tags: &[Tag],
    ) -> Result<()> {
        let owner = owner_key.to_lowercase();
        let mut tx = self.begin_write().await?;
        // Tag writes of an account take turns, so that the count below is of what is there.
        crate::accounts::lock_account(&mut tx, account).await?;
        for t in tags {
            sqlx::query("DELETE FROM tags WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND key_lower = $4")
                .bind(account)
                .bind(owner_kind)
                .bind(&owner)
                .bind(t.key.to_lowercase())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO tags (account_id, owner_kind, owner_key, key_lower, tag_key, tag_value) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account)
            .bind(owner_kind)
            .bind(&owner)
            .bind(t.key.to_lowercase())
            .bind(&t.key)
            .bind(&t.value)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query("SELECT COUNT(*) AS n FROM tags WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3")
            .bind(account)
            .bind(owner_kind)
            .bind(&owner)
            .fetch_one(&mut *tx)
            .await?;
        if crate::get_i64(&row, "n")? > i64::try_from(MAX_TAGS).unwrap_or(50) {
            return Err(crate::StoreError::LimitExceeded);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes tags by key (any case); missing keys are ignored as IAM does.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn untag(
        &self,
        account: &str,
        owner_kind: &str,
        owner_key: &str,
        keys: &[String],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND key_lower = $4")
                .bind(account)
                .bind(owner_kind)
                .bind(owner_key.to_lowercase())
                .bind(k.to_lowercase())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
