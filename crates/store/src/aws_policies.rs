//! Stored copies of AWS managed policies, and how an account uses managed policies.
//!
//! The server serves the AWS managed policies from a table it embeds. The store holds a copy of
//! one (its row in `managed_policies` and its default version) only once the account refers to
//! it, so that attachments, boundaries and session policies join and load like any other
//! managed policy's; these functions keep those copies current.

use std::collections::BTreeMap;

use crate::{ManagedPolicy, Result, Store, StoreError, get_i64, get_str, insert_error};

/// The account of AWS managed policies.
const AWS_MANAGED_ACCOUNT: &str = "aws";

/// What the store knows of a stored AWS managed policy, enough to tell whether it is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStamp {
    /// `arn:aws:iam::aws:policy/…`.
    pub arn: String,
    /// Its stored default version id.
    pub default_version: String,
    /// Its stored update time.
    pub updated_at: i64,
}

/// How many entities of one account use a managed policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyUsage {
    /// Users, groups and roles it is attached to.
    pub attachments: i64,
    /// Users and roles that have it as their permissions boundary.
    pub boundaries: i64,
}

impl Store {
    /// Every stored AWS managed policy's stamp (one query; few rows: only those referred to).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn aws_policy_stamps(&self) -> Result<Vec<StoredStamp>> {
        let rows = sqlx::query(
            "SELECT arn, default_version, updated_at FROM managed_policies WHERE account_id = $1",
        )
        .bind(AWS_MANAGED_ACCOUNT)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredStamp {
                    arn: get_str(r, "arn")?,
                    default_version: get_str(r, "default_version")?,
                    updated_at: get_i64(r, "updated_at")?,
                })
            })
            .collect()
    }

    /// One stored AWS managed policy's stamp, when it is stored.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn aws_policy_stamp(&self, arn: &str) -> Result<Option<StoredStamp>> {
        let row = sqlx::query(
            "SELECT arn, default_version, updated_at FROM managed_policies WHERE arn = $1 AND account_id = $2",
        )
        .bind(arn)
        .bind(AWS_MANAGED_ACCOUNT)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(StoredStamp {
                arn: get_str(&r, "arn")?,
                default_version: get_str(&r, "default_version")?,
                updated_at: get_i64(&r, "updated_at")?,
            })
        })
        .transpose()
    }

    /// Stores an AWS managed policy as `p` and `document` say, in one transaction: its row
    /// (created or brought up to date) and its default version as its only version.
    /// Attachments and boundaries refer to it by ARN and stay.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when another writer created the row at the same moment
    /// (theirs stands: read the stamp again); database failures.
    pub async fn put_aws_policy(&self, p: &ManagedPolicy, document: &str) -> Result<()> {
        if p.account_id != AWS_MANAGED_ACCOUNT {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE managed_policies SET name = $1, name_lower = $2, path = $3, id = $4, default_version = $5, \
             created_at = $6, updated_at = $7 WHERE arn = $8 AND account_id = $9",
        )
        .bind(&p.name)
        .bind(p.name.to_lowercase())
        .bind(&p.path)
        .bind(&p.id)
        .bind(&p.default_version)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(&p.arn)
        .bind(AWS_MANAGED_ACCOUNT)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO managed_policies (arn, account_id, name, name_lower, path, id, default_version, next_version, description, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)",
            )
            .bind(&p.arn)
            .bind(AWS_MANAGED_ACCOUNT)
            .bind(&p.name)
            .bind(p.name.to_lowercase())
            .bind(&p.path)
            .bind(&p.id)
            .bind(&p.default_version)
            .bind(1_i64)
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        }
        sqlx::query("DELETE FROM policy_versions WHERE policy_arn = $1")
            .bind(&p.arn)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&p.arn)
            .bind(&p.default_version)
            .bind(document)
            .bind(p.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// How the account's users, groups and roles use managed policies, by ARN: only policies
    /// in use appear.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn policy_usage(&self, account: &str) -> Result<BTreeMap<String, PolicyUsage>> {
        let mut out: BTreeMap<String, PolicyUsage> = BTreeMap::new();
        let attached = sqlx::query(
            "SELECT policy_arn AS arn, COUNT(*) AS n FROM attachments WHERE account_id = $1 GROUP BY policy_arn",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        for r in &attached {
            out.entry(get_str(r, "arn")?).or_default().attachments += get_i64(r, "n")?;
        }
        for sql in [
            "SELECT boundary_arn AS arn, COUNT(*) AS n FROM users WHERE account_id = $1 AND boundary_arn IS NOT NULL GROUP BY boundary_arn",
            "SELECT boundary_arn AS arn, COUNT(*) AS n FROM roles WHERE account_id = $1 AND boundary_arn IS NOT NULL GROUP BY boundary_arn",
        ] {
            let rows = sqlx::query(sql)
                .bind(account)
                .fetch_all(self.pool())
                .await?;
            for r in &rows {
                out.entry(get_str(r, "arn")?).or_default().boundaries += get_i64(r, "n")?;
            }
        }
        Ok(out)
    }
}
