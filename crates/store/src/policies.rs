//! Inline policies, managed policies with their versions, and attachments.

use sqlx::any::AnyRow;

use crate::{
    Conflict, EntityKind, Page, Result, Store, StoreError, dynamic, get_i64, get_str, insert_error,
    opt_str,
};

/// IAM keeps at most five versions of a managed policy.
pub const MAX_POLICY_VERSIONS: i64 = 5;
/// Managed policies attached to one user, group or role.
pub const MAX_ATTACHED_POLICIES: i64 = 10;

/// A managed policy with its usage counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// `arn:aws:iam::ACCT:policy/path/name` or `arn:aws:iam::aws:policy/…`.
    pub arn: String,
    /// Owning account, or `aws` for AWS managed policies.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `ANPA…`.
    pub id: String,
    /// `v1`, `v2`, …
    pub default_version: String,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change of the default version.
    pub updated_at: i64,
    /// Users, groups and roles it is attached to.
    pub attachment_count: i64,
    /// Users and roles that use it as their permissions boundary.
    pub boundary_usage_count: i64,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// The JSON document.
    pub document: String,
    /// Creation time.
    pub created_at: i64,
    /// Whether it is the default version.
    pub is_default: bool,
}

/// `Scope` of ListPolicies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// AWS managed and the account's own.
    All,
    /// AWS managed only.
    Aws,
    /// The account's own only.
    Local,
}

const POLICY_COLUMNS: &str = "p.arn, p.account_id, p.name, p.path, p.id, p.default_version, p.description, p.created_at, p.updated_at, \
    (SELECT COUNT(*) FROM attachments a WHERE a.policy_arn = p.arn) AS attachment_count, \
    ((SELECT COUNT(*) FROM users u WHERE u.boundary_arn = p.arn) + (SELECT COUNT(*) FROM roles r WHERE r.boundary_arn = p.arn)) AS boundary_count";

fn policy(row: &AnyRow) -> Result<ManagedPolicy> {
    Ok(ManagedPolicy {
        arn: get_str(row, "arn")?,
        account_id: get_str(row, "account_id")?,
        name: get_str(row, "name")?,
        path: get_str(row, "path")?,
        id: get_str(row, "id")?,
        default_version: get_str(row, "default_version")?,
        description: opt_str(row, "description")?,
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
        attachment_count: get_i64(row, "attachment_count")?,
        boundary_usage_count: get_i64(row, "boundary_count")?,
    })
}

fn non_whitespace(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

impl Store {
    /// Creates or replaces an inline policy, refusing when the owner's inline policies would
    /// together exceed `max_total` non-white-space characters.
    ///
    /// # Errors
    /// [`StoreError::LimitExceeded`] over the aggregate size.
    pub async fn put_inline_policy(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
        name: &str,
        document: &str,
        max_total: usize,
    ) -> Result<()> {
        let owner = owner.to_lowercase();
        let mut tx = self.begin_write().await?;
        crate::entities::lock_entity(&mut tx, kind, account, &owner).await?;
        let rows = sqlx::query("SELECT name, document FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .fetch_all(&mut *tx)
            .await?;
        let mut total = non_whitespace(document);
        for r in &rows {
            if get_str(r, "name")? != name {
                total += non_whitespace(&get_str(r, "document")?);
            }
        }
        if total > max_total {
            return Err(StoreError::LimitExceeded);
        }
        sqlx::query("DELETE FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3 AND name = $4")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO inline_policies (account_id, owner_kind, owner_lower, name, document) VALUES ($1, $2, $3, $4, $5)")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .bind(name)
            .bind(document)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every inline policy of an owner, by name: `(name, document)`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn inline_policies(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT name, document FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3 ORDER BY name",
        )
        .bind(account)
        .bind(kind.owner_kind())
        .bind(owner.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((get_str(r, "name")?, get_str(r, "document")?)))
            .collect()
    }

    /// Deletes an inline policy.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn delete_inline_policy(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
        name: &str,
    ) -> Result<()> {
        let done = sqlx::query("DELETE FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3 AND name = $4")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(owner.to_lowercase())
            .bind(name)
            .execute(self.pool())
            .await?;
        crate::changed(&done)
    }

    /// Creates a managed policy with its first version `v1`.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the name is taken in the account.
    pub async fn create_managed_policy(&self, p: &ManagedPolicy, document: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO managed_policies (arn, account_id, name, name_lower, path, id, default_version, next_version, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&p.arn)
        .bind(&p.account_id)
        .bind(&p.name)
        .bind(p.name.to_lowercase())
        .bind(&p.path)
        .bind(&p.id)
        .bind(&p.default_version)
        .bind(2_i64)
        .bind(p.description.as_deref())
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?;
        sqlx::query("INSERT INTO policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&p.arn)
            .bind(&p.default_version)
            .bind(document)
            .bind(p.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates or refreshes an AWS managed policy (document text ships with the server).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn upsert_aws_policy(&self, p: &ManagedPolicy, document: &str) -> Result<()> {
        match self.create_managed_policy(p, document).await {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists) => {
                sqlx::query("UPDATE policy_versions SET document = $1 WHERE policy_arn = $2 AND version_id = $3")
                    .bind(document)
                    .bind(&p.arn)
                    .bind(&p.default_version)
                    .execute(self.pool())
                    .await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The default documents of every AWS managed policy: `(arn, document)`, one query.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn aws_policy_documents(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT p.arn, v.document FROM managed_policies p JOIN policy_versions v ON v.policy_arn = p.arn AND v.version_id = p.default_version WHERE p.account_id = 'aws'",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((get_str(r, "arn")?, get_str(r, "document")?)))
            .collect()
    }

    /// One managed policy with its counts.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn get_managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>> {
        let row = policy_by_arn(arn).fetch_optional(self.pool()).await?;
        row.as_ref().map(policy).transpose()
    }

    /// Lists managed policies visible to an account, by name (then ARN).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_managed_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: &str,
        marker: Option<&str>,
        max: i64,
    ) -> Result<Page<ManagedPolicy>> {
        let owner_filter = match scope {
            PolicyScope::All => "(p.account_id = $1 OR p.account_id = 'aws')",
            PolicyScope::Aws => "(p.account_id = 'aws' AND $1 = $1)",
            PolicyScope::Local => "p.account_id = $1",
        };
        let attached = if only_attached {
            " AND EXISTS (SELECT 1 FROM attachments a WHERE a.policy_arn = p.arn AND a.account_id = $1)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {POLICY_COLUMNS}, p.arn AS name_lower FROM managed_policies p WHERE {owner_filter}{attached} AND p.arn > $2 ORDER BY p.arn LIMIT $3"
        );
        self.page(&sql, account, path_prefix, marker, max, policy)
            .await
    }

    /// Deletes a managed policy once it is unused and has only its default version.
    ///
    /// # Errors
    /// [`StoreError::PolicyNotFound`] or [`StoreError::Conflict`].
    pub async fn delete_managed_policy(&self, arn: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The policy's row, locked before its uses are counted: an attachment or a boundary
        // naming it is either counted here or waits, and then finds it gone.
        lock_policy(&mut tx, arn).await?;
        let p = policy(&policy_by_arn(arn).fetch_one(&mut *tx).await?)?;
        if p.attachment_count > 0 {
            return Err(StoreError::Conflict(Conflict::PolicyAttached));
        }
        if p.boundary_usage_count > 0 {
            return Err(StoreError::Conflict(Conflict::PolicyIsBoundary));
        }
        let row = sqlx::query("SELECT COUNT(*) AS n FROM policy_versions WHERE policy_arn = $1")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await?;
        if get_i64(&row, "n")? > 1 {
            return Err(StoreError::Conflict(Conflict::PolicyVersions));
        }
        sqlx::query("DELETE FROM policy_versions WHERE policy_arn = $1")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM managed_policies WHERE arn = $1")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tags WHERE owner_kind = 'policy' AND owner_key = $1")
            .bind(arn.to_lowercase())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a version; returns its id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or [`StoreError::LimitExceeded`] at five versions.
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
        at: i64,
    ) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("UPDATE managed_policies SET next_version = next_version + 1 WHERE arn = $1 RETURNING next_version")
            .bind(arn)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let version_id = format!("v{}", get_i64(&row, "next_version")? - 1);
        let count = sqlx::query("SELECT COUNT(*) AS n FROM policy_versions WHERE policy_arn = $1")
            .bind(arn)
            .fetch_one(&mut *tx)
            .await?;
        if get_i64(&count, "n")? >= MAX_POLICY_VERSIONS {
            return Err(StoreError::LimitExceeded);
        }
        sqlx::query("INSERT INTO policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)")
            .bind(arn)
            .bind(&version_id)
            .bind(document)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        if set_default {
            sqlx::query(
                "UPDATE managed_policies SET default_version = $1, updated_at = $2 WHERE arn = $3",
            )
            .bind(&version_id)
            .bind(at)
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(version_id)
    }

    /// Every version of a policy, newest first (by creation time, then by version number:
    /// `v10` is newer than `v9`).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>> {
        let rows = sqlx::query(
            "SELECT v.version_id, v.document, v.created_at, p.default_version FROM policy_versions v \
             JOIN managed_policies p ON p.arn = v.policy_arn WHERE v.policy_arn = $1 ORDER BY v.created_at DESC, LENGTH(v.version_id) DESC, v.version_id DESC",
        )
        .bind(arn)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let version_id = get_str(r, "version_id")?;
                Ok(PolicyVersion {
                    is_default: version_id == get_str(r, "default_version")?,
                    version_id,
                    document: get_str(r, "document")?,
                    created_at: get_i64(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Deletes a non-default version.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`] for the default version.
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        let p = self
            .get_managed_policy(arn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if p.default_version == version_id {
            return Err(StoreError::Conflict(Conflict::DefaultVersion));
        }
        // The default is checked again in the statement itself: a SetDefaultPolicyVersion
        // between the read above and the delete must not leave the policy without its default.
        let done = sqlx::query(
            "DELETE FROM policy_versions WHERE policy_arn = $1 AND version_id = $2 AND version_id <> (SELECT default_version FROM managed_policies WHERE arn = $1)",
        )
        .bind(arn)
        .bind(version_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0
            && self
                .get_managed_policy(arn)
                .await?
                .is_some_and(|p| p.default_version == version_id)
        {
            return Err(StoreError::Conflict(Conflict::DefaultVersion));
        }
        crate::changed(&done)
    }

    /// Makes a version the default.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the policy or version does not exist.
    pub async fn set_default_policy_version(
        &self,
        arn: &str,
        version_id: &str,
        at: i64,
    ) -> Result<()> {
        // One statement: the version must exist as the default is set, not only before.
        let done = sqlx::query(
            "UPDATE managed_policies SET default_version = $1, updated_at = $2 WHERE arn = $3 AND EXISTS (SELECT 1 FROM policy_versions WHERE policy_arn = $3 AND version_id = $1)",
        )
        .bind(version_id)
        .bind(at)
        .bind(arn)
        .execute(self.pool())
        .await?;
        crate::changed(&done)
    }

    /// Attaches a managed policy (idempotent), refusing an eleventh.
    ///
    /// # Errors
    /// [`StoreError::LimitExceeded`]; [`StoreError::NotFound`] when the owner does not exist,
    /// [`StoreError::PolicyNotFound`] when the policy does not.
    pub async fn attach_policy(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
        arn: &str,
    ) -> Result<()> {
        let owner = owner.to_lowercase();
        let mut tx = self.begin_write().await?;
        // The owner's row, locked: concurrent attachments count in turn, and none outlives a
        // deletion of the owner.
        crate::entities::lock_entity(&mut tx, kind, account, &owner).await?;
        lock_policy(&mut tx, arn).await?;
        let exists = sqlx::query("SELECT 1 FROM attachments WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3 AND policy_arn = $4")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .bind(arn)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Ok(());
        }
        let row = sqlx::query("SELECT COUNT(*) AS n FROM attachments WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .fetch_one(&mut *tx)
            .await?;
        if get_i64(&row, "n")? >= MAX_ATTACHED_POLICIES {
            return Err(StoreError::LimitExceeded);
        }
        sqlx::query("INSERT INTO attachments (account_id, owner_kind, owner_lower, policy_arn) VALUES ($1, $2, $3, $4)")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(&owner)
            .bind(arn)
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// Detaches a managed policy.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it was not attached.
    pub async fn detach_policy(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
        arn: &str,
    ) -> Result<()> {
        let done = sqlx::query("DELETE FROM attachments WHERE account_id = $1 AND owner_kind = $2 AND owner_lower = $3 AND policy_arn = $4")
            .bind(account)
            .bind(kind.owner_kind())
            .bind(owner.to_lowercase())
            .bind(arn)
            .execute(self.pool())
            .await?;
        crate::changed(&done)
    }

    /// The managed policies attached to an owner: `(name, arn, path)`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn attached_policies(
        &self,
        account: &str,
        kind: EntityKind,
        owner: &str,
    ) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT p.name, p.arn, p.path FROM attachments a JOIN managed_policies p ON p.arn = a.policy_arn \
             WHERE a.account_id = $1 AND a.owner_kind = $2 AND a.owner_lower = $3 ORDER BY p.name",
        )
        .bind(account)
        .bind(kind.owner_kind())
        .bind(owner.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((get_str(r, "name")?, get_str(r, "arn")?, get_str(r, "path")?)))
            .collect()
    }

    /// Who a policy is attached to: `(owner_kind, name, id)` in the given account.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn entities_for_policy(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for (kind, table) in [("user", "users"), ("group", "groups_"), ("role", "roles")] {
            let sql = format!(
                "SELECT e.name, e.id FROM attachments a JOIN {table} e ON e.account_id = a.account_id AND e.name_lower = a.owner_lower \
                 WHERE a.account_id = $1 AND a.owner_kind = $2 AND a.policy_arn = $3 ORDER BY e.name_lower"
            );
            let rows = sqlx::query(dynamic(&sql))
                .bind(account)
                .bind(kind)
                .bind(arn)
                .fetch_all(self.pool())
                .await?;
            for r in &rows {
                out.push((kind.to_owned(), get_str(r, "name")?, get_str(r, "id")?));
            }
        }
        Ok(out)
    }

    /// The default-version documents of managed policies: `(arn, document)`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn default_documents(&self, arns: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::with_capacity(arns.len());
        for arn in arns {
            let row = sqlx::query(
                "SELECT v.document FROM managed_policies p JOIN policy_versions v ON v.policy_arn = p.arn AND v.version_id = p.default_version WHERE p.arn = $1",
            )
            .bind(arn)
            .fetch_optional(self.pool())
            .await?;
            if let Some(r) = row {
                out.push((arn.clone(), get_str(&r, "document")?));
            }
        }
        Ok(out)
    }

    /// Counts for GetAccountSummary: `(managed policies of the account, attached policy rows)`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn policy_counts(&self, account: &str) -> Result<(i64, i64)> {
        let a = sqlx::query("SELECT COUNT(*) AS n FROM managed_policies WHERE account_id = $1")
            .bind(account)
            .fetch_one(self.pool())
            .await?;
        let b = sqlx::query(
            "SELECT COUNT(DISTINCT policy_arn) AS n FROM attachments WHERE account_id = $1",
        )
        .bind(account)
        .fetch_one(self.pool())
        .await?;
        Ok((get_i64(&a, "n")?, get_i64(&b, "n")?))
    }
}

/// The query for one managed policy with its counts.
fn policy_by_arn(arn: &str) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(dynamic(&format!(
        "SELECT {POLICY_COLUMNS} FROM managed_policies p WHERE p.arn = $1"
    )))
    .bind(arn)
}

/// Locks a managed policy's row for the rest of `tx` (see `entities::lock_entity`);
/// [`StoreError::PolicyNotFound`] when it does not exist.
pub(crate) async fn lock_policy(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    arn: &str,
) -> Result<()> {
    let locked = sqlx::query("UPDATE managed_policies SET arn = arn WHERE arn = $1")
        .bind(arn)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::PolicyNotFound);
    }
    Ok(())
}
