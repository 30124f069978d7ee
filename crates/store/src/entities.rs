//! Users, groups, roles and instance profiles: the named entities of an account. They share
//! one shape (name, path, unique id, creation time, boundary), so they share one set of queries.

use sqlx::any::AnyRow;

use crate::{
    Conflict, Page, Result, Store, StoreError, get_i64, get_str, insert_error, opt_i64, opt_str,
};

/// The kinds of named entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// IAM user.
    User,
    /// IAM group.
    Group,
    /// IAM role.
    Role,
    /// Instance profile.
    InstanceProfile,
}

impl EntityKind {
    fn table(self) -> &'static str {
        match self {
            Self::User => "users",
            Self::Group => "groups_",
            Self::Role => "roles",
            Self::InstanceProfile => "instance_profiles",
        }
    }

    /// The owner kind used by policy, attachment and tag rows.
    #[must_use]
    pub fn owner_kind(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
            Self::InstanceProfile => "instance-profile",
        }
    }
}

/// A named entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// Owning account.
    pub account_id: String,
    /// The name as created.
    pub name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// Unique id (`AIDA…`, `AGPA…`, `AROA…`, `AIPA…`).
    pub id: String,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Permissions boundary policy ARN (users and roles).
    pub boundary_arn: Option<String>,
}

/// A role: an entity with a trust policy and session settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Name, path, id, boundary.
    pub entity: Entity,
    /// The trust policy as stored (principals rewritten to unique ids).
    pub trust_policy: String,
    /// Description.
    pub description: Option<String>,
    /// 3600..=43200.
    pub max_session_duration: i64,
    /// Last AssumeRole, epoch seconds.
    pub last_used_at: Option<i64>,
}

const ENTITY_COLUMNS: &str = "account_id, name, path, id, created_at, boundary_arn";
const ROLE_COLUMNS: &str = "account_id, name, path, id, created_at, boundary_arn, trust_policy, description, max_session_duration, last_used_at";

fn entity(row: &AnyRow) -> Result<Entity> {
    Ok(Entity {
        account_id: get_str(row, "account_id")?,
        name: get_str(row, "name")?,
        path: get_str(row, "path")?,
        id: get_str(row, "id")?,
        created_at: get_i64(row, "created_at")?,
        boundary_arn: opt_str(row, "boundary_arn")?,
    })
}

fn role(row: &AnyRow) -> Result<Role> {
    Ok(Role {
        entity: entity(row)?,
        trust_policy: get_str(row, "trust_policy")?,
        description: opt_str(row, "description")?,
        max_session_duration: get_i64(row, "max_session_duration")?,
        last_used_at: opt_i64(row, "last_used_at")?,
    })
}

impl Store {
    /// Creates a user, group or instance profile (roles use [`Store::create_role`]).
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the name is taken (case-insensitively).
    pub async fn create_entity(&self, kind: EntityKind, e: &Entity) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} ({ENTITY_COLUMNS}, name_lower) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            kind.table()
        );
        let mut tx = self.begin_write().await?;
        clear_leftovers(&mut tx, kind, &e.account_id, &e.name.to_lowercase()).await?;
        sqlx::query(crate::dynamic(&sql))
            .bind(&e.account_id)
            .bind(&e.name)
            .bind(&e.path)
            .bind(&e.id)
            .bind(e.created_at)
            .bind(e.boundary_arn.as_deref())
            .bind(e.name.to_lowercase())
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a role.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] when the name is taken.
    pub async fn create_role(&self, r: &Role) -> Result<()> {
        let e = &r.entity;
        let mut tx = self.begin_write().await?;
        clear_leftovers(
            &mut tx,
            EntityKind::Role,
            &e.account_id,
            &e.name.to_lowercase(),
        )
        .await?;
        sqlx::query(crate::dynamic(&format!(
            "INSERT INTO roles ({ROLE_COLUMNS}, name_lower) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&e.account_id)
        .bind(&e.name)
        .bind(&e.path)
        .bind(&e.id)
        .bind(e.created_at)
        .bind(e.boundary_arn.as_deref())
        .bind(&r.trust_policy)
        .bind(r.description.as_deref())
        .bind(r.max_session_duration)
        .bind(r.last_used_at)
        .bind(e.name.to_lowercase())
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// One entity by name (any case).
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn get_entity(&self, kind: EntityKind, account: &str, name: &str) -> Result<Entity> {
        let sql = format!(
            "SELECT {ENTITY_COLUMNS} FROM {} WHERE account_id = $1 AND name_lower = $2",
            kind.table()
        );
        let row = sqlx::query(crate::dynamic(&sql))
            .bind(account)
            .bind(name.to_lowercase())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(entity)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// One role by name.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn get_role(&self, account: &str, name: &str) -> Result<Role> {
        let row = sqlx::query(crate::dynamic(&format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE account_id = $1 AND name_lower = $2"
        )))
        .bind(account)
        .bind(name.to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(role)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Finds a user or role by unique id (for principals stored as ids in trust policies).
    ///
    /// # Errors
    /// Database failures only.
    pub async fn entity_by_id(&self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        let sql = format!(
            "SELECT {ENTITY_COLUMNS} FROM {} WHERE id = $1",
            kind.table()
        );
        let row = sqlx::query(crate::dynamic(&sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(entity).transpose()
    }

    /// Lists entities whose path starts with `path_prefix`, by name, after `marker`.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_entities(
        &self,
        kind: EntityKind,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: i64,
    ) -> Result<Page<Entity>> {
        let sql = format!(
            "SELECT {ENTITY_COLUMNS}, name_lower FROM {} WHERE account_id = $1 AND name_lower > $2 ORDER BY name_lower LIMIT $3",
            kind.table()
        );
        self.page(&sql, account, path_prefix, marker, max, entity)
            .await
    }

    /// Lists roles like [`Store::list_entities`].
    ///
    /// # Errors
    /// Database failures only.
    pub async fn list_roles(
        &self,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: i64,
    ) -> Result<Page<Role>> {
        let sql = format!(
            "SELECT {ROLE_COLUMNS}, name_lower FROM roles WHERE account_id = $1 AND name_lower > $2 ORDER BY name_lower LIMIT $3"
        );
        self.page(&sql, account, path_prefix, marker, max, role)
            .await
    }

    /// Runs a name-ordered listing query, filtering on path in Rust so the prefix needs no
    /// LIKE escaping, and reading ahead until a page is full. The marker is the lower-cased
    /// name of the last item returned.
    pub(crate) async fn page<T>(
        &self,
        sql: &str,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: i64,
        map: fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let want = usize::try_from(max.max(1)).unwrap_or(100);
        let mut items: Vec<(T, String)> = Vec::new();
        let mut after = marker.unwrap_or("").to_owned();
        loop {
            let rows = sqlx::query(crate::dynamic(sql))
                .bind(account)
                .bind(&after)
                .bind(max + 1)
                .fetch_all(self.pool())
                .await?;
            let batch = rows.len();
            for row in &rows {
                let name_lower = get_str(row, "name_lower")?;
                after.clone_from(&name_lower);
                if !get_str(row, "path")?.starts_with(path_prefix) {
                    continue;
                }
                if items.len() == want {
                    let next = items.last().map(|(_, n)| n.clone());
                    return Ok(Page {
                        items: items.into_iter().map(|(i, _)| i).collect(),
                        next,
                    });
                }
                items.push((map(row)?, name_lower));
            }
            if batch <= want {
                return Ok(Page {
                    items: items.into_iter().map(|(i, _)| i).collect(),
                    next: None,
                });
            }
        }
    }

    /// Renames an entity or moves it to another path.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or [`StoreError::AlreadyExists`] when the new name is taken.
    pub async fn update_entity(
        &self,
        kind: EntityKind,
        account: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<()> {
        let current = self.get_entity(kind, account, name).await?;
        let target_name = new_name.unwrap_or(&current.name);
        let target_path = new_path.unwrap_or(&current.path);
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "UPDATE {} SET name = $1, name_lower = $2, path = $3 WHERE account_id = $4 AND name_lower = $5",
            kind.table()
        );
        sqlx::query(crate::dynamic(&sql))
            .bind(target_name)
            .bind(target_name.to_lowercase())
            .bind(target_path)
            .bind(account)
            .bind(name.to_lowercase())
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        if target_name.to_lowercase() != name.to_lowercase() {
            let (old, new) = (name.to_lowercase(), target_name.to_lowercase());
            let owner = kind.owner_kind();
            for sql in [
                "UPDATE inline_policies SET owner_lower = $1 WHERE account_id = $2 AND owner_kind = $3 AND owner_lower = $4",
                "UPDATE attachments SET owner_lower = $1 WHERE account_id = $2 AND owner_kind = $3 AND owner_lower = $4",
                "UPDATE tags SET owner_key = $1 WHERE account_id = $2 AND owner_kind = $3 AND owner_key = $4",
            ] {
                sqlx::query(crate::dynamic(sql))
                    .bind(&new)
                    .bind(account)
                    .bind(owner)
                    .bind(&old)
                    .execute(&mut *tx)
                    .await?;
            }
            let member_sql = match kind {
                EntityKind::User => Some(
                    "UPDATE group_members SET user_lower = $1 WHERE account_id = $2 AND user_lower = $3",
                ),
                EntityKind::Group => Some(
                    "UPDATE group_members SET group_lower = $1 WHERE account_id = $2 AND group_lower = $3",
                ),
                _ => None,
            };
            if let Some(sql) = member_sql {
                sqlx::query(crate::dynamic(sql))
                    .bind(&new)
                    .bind(account)
                    .bind(&old)
                    .execute(&mut *tx)
                    .await?;
            }
            if kind == EntityKind::User {
                for sql in [
                    "UPDATE access_keys SET user_lower = $1 WHERE account_id = $2 AND user_lower = $3",
                    "UPDATE mfa_devices SET user_lower = $1 WHERE account_id = $2 AND user_lower = $3",
                ] {
                    sqlx::query(crate::dynamic(sql))
                        .bind(&new)
                        .bind(account)
                        .bind(&old)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Updates a role's description and maximum session duration.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn update_role(
        &self,
        account: &str,
        name: &str,
        description: Option<&str>,
        max_session: Option<i64>,
    ) -> Result<()> {
        let current = self.get_role(account, name).await?;
        let description = description.map(str::to_owned).or(current.description);
        let max = max_session.unwrap_or(current.max_session_duration);
        sqlx::query("UPDATE roles SET description = $1, max_session_duration = $2 WHERE account_id = $3 AND name_lower = $4")
            .bind(description)
            .bind(max)
            .bind(account)
            .bind(name.to_lowercase())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Replaces a role's trust policy.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn update_trust_policy(
        &self,
        account: &str,
        name: &str,
        document: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE roles SET trust_policy = $1 WHERE account_id = $2 AND name_lower = $3",
        )
        .bind(document)
        .bind(account)
        .bind(name.to_lowercase())
        .execute(self.pool())
        .await?;
        crate::changed(&done)
    }

    /// Records a role's last use.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn touch_role(&self, account: &str, name: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE roles SET last_used_at = $1 WHERE account_id = $2 AND name_lower = $3")
            .bind(at)
            .bind(account)
            .bind(name.to_lowercase())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sets or clears the permissions boundary of a user or role.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the user or role does not exist,
    /// [`StoreError::PolicyNotFound`] when the policy does not.
    pub async fn set_boundary(
        &self,
        kind: EntityKind,
        account: &str,
        name: &str,
        arn: Option<&str>,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET boundary_arn = $1 WHERE account_id = $2 AND name_lower = $3",
            kind.table()
        );
        let mut tx = self.begin_write().await?;
        // The policy must still exist as it is set (its deletion counts boundary uses under
        // the same lock).
        if let Some(arn) = arn {
            crate::policies::lock_policy(&mut tx, arn).await?;
        }
        let done = sqlx::query(crate::dynamic(&sql))
            .bind(arn)
            .bind(account)
            .bind(name.to_lowercase())
            .execute(&mut *tx)
            .await?;
        crate::changed(&done)?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an entity once nothing depends on it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`] naming the first dependent.
    pub async fn delete_entity(&self, kind: EntityKind, account: &str, name: &str) -> Result<()> {
        let lower = name.to_lowercase();
        let owner = kind.owner_kind();
        let mut tx = self.begin_write().await?;
        // First: a dependent written meanwhile waits for this deletion, and then finds no owner.
        lock_entity(&mut tx, kind, account, &lower).await?;
        let mut checks: Vec<(&str, Conflict)> = Vec::new();
        match kind {
            EntityKind::User => {
                checks.push((
                    "SELECT 1 FROM access_keys WHERE account_id = $1 AND user_lower = $2",
                    Conflict::AccessKeys,
                ));
                checks.push((
                    "SELECT 1 FROM group_members WHERE account_id = $1 AND user_lower = $2",
                    Conflict::GroupMembership,
                ));
                checks.push((
                    "SELECT 1 FROM mfa_devices WHERE account_id = $1 AND user_lower = $2",
                    Conflict::MfaDevices,
                ));
            }
            EntityKind::Group => {
                checks.push((
                    "SELECT 1 FROM group_members WHERE account_id = $1 AND group_lower = $2",
                    Conflict::GroupMembership,
                ));
            }
            EntityKind::Role => {
                checks.push(("SELECT 1 FROM instance_profile_roles WHERE account_id = $1 AND role_lower = $2", Conflict::InstanceProfiles));
            }
            EntityKind::InstanceProfile => {
                checks.push(("SELECT 1 FROM instance_profile_roles WHERE account_id = $1 AND profile_lower = $2", Conflict::InstanceProfiles));
            }
        }
        for (sql, conflict) in checks {
            if sqlx::query(crate::dynamic(sql))
                .bind(account)
                .bind(&lower)
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Err(StoreError::Conflict(conflict));
            }
        }
        for (sql, conflict) in [
            (
                "SELECT 1 FROM attachments WHERE account_id = $1 AND owner_kind = $3 AND owner_lower = $2",
                Conflict::AttachedPolicies,
            ),
            (
                "SELECT 1 FROM inline_policies WHERE account_id = $1 AND owner_kind = $3 AND owner_lower = $2",
                Conflict::InlinePolicies,
            ),
        ] {
            if sqlx::query(crate::dynamic(sql))
                .bind(account)
                .bind(&lower)
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Err(StoreError::Conflict(conflict));
            }
        }
        let sql = format!(
            "DELETE FROM {} WHERE account_id = $1 AND name_lower = $2",
            kind.table()
        );
        let done = sqlx::query(crate::dynamic(&sql))
            .bind(account)
            .bind(&lower)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "DELETE FROM tags WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3",
        )
        .bind(account)
        .bind(owner)
        .bind(&lower)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a user to a group (idempotent).
    ///
    /// # Errors
    /// Database failures only; callers check both exist first.
    pub async fn add_user_to_group(&self, account: &str, group: &str, user: &str) -> Result<()> {
        let (group, user) = (group.to_lowercase(), user.to_lowercase());
        let mut tx = self.begin_write().await?;
        lock_entity(&mut tx, EntityKind::Group, account, &group).await?;
        lock_entity(&mut tx, EntityKind::User, account, &user).await?;
        sqlx::query(
            "INSERT INTO group_members (account_id, group_lower, user_lower) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(account)
        .bind(&group)
        .bind(&user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a user from a group.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the user is not a member.
    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<()> {
        let done = sqlx::query("DELETE FROM group_members WHERE account_id = $1 AND group_lower = $2 AND user_lower = $3")
            .bind(account)
            .bind(group.to_lowercase())
            .bind(user.to_lowercase())
            .execute(self.pool())
            .await?;
        crate::changed(&done)
    }

    /// The groups a user belongs to, by name.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn groups_for_user(&self, account: &str, user: &str) -> Result<Vec<Entity>> {
        let rows = sqlx::query(crate::dynamic("SELECT g.account_id, g.name, g.path, g.id, g.created_at, g.boundary_arn FROM groups_ g \
             JOIN group_members m ON m.account_id = g.account_id AND m.group_lower = g.name_lower \
             WHERE m.account_id = $1 AND m.user_lower = $2 ORDER BY g.name_lower"))
        .bind(account)
        .bind(user.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entity).collect()
    }

    /// The users in a group, by name.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn users_in_group(&self, account: &str, group: &str) -> Result<Vec<Entity>> {
        let rows = sqlx::query(
            "SELECT u.account_id, u.name, u.path, u.id, u.created_at, u.boundary_arn FROM users u \
             JOIN group_members m ON m.account_id = u.account_id AND m.user_lower = u.name_lower \
             WHERE m.account_id = $1 AND m.group_lower = $2 ORDER BY u.name_lower",
        )
        .bind(account)
        .bind(group.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entity).collect()
    }

    /// Puts a role in an instance profile (one role per profile, as IAM allows).
    ///
    /// # Errors
    /// [`StoreError::LimitExceeded`] when the profile already holds a role.
    pub async fn add_role_to_instance_profile(
        &self,
        account: &str,
        profile: &str,
        role: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT 1 FROM instance_profile_roles WHERE account_id = $1 AND profile_lower = $2",
        )
        .bind(account)
        .bind(profile.to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            return Err(StoreError::LimitExceeded);
        }
        sqlx::query("INSERT INTO instance_profile_roles (account_id, profile_lower, role_lower) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(profile.to_lowercase())
            .bind(role.to_lowercase())
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a role out of an instance profile.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the role is not in it.
    pub async fn remove_role_from_instance_profile(
        &self,
        account: &str,
        profile: &str,
        role: &str,
    ) -> Result<()> {
        let done = sqlx::query("DELETE FROM instance_profile_roles WHERE account_id = $1 AND profile_lower = $2 AND role_lower = $3")
            .bind(account)
            .bind(profile.to_lowercase())
            .bind(role.to_lowercase())
            .execute(self.pool())
            .await?;
        crate::changed(&done)
    }

    /// The roles of an instance profile.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn roles_in_instance_profile(
        &self,
        account: &str,
        profile: &str,
    ) -> Result<Vec<Role>> {
        let rows = sqlx::query(
            "SELECT r.account_id, r.name, r.path, r.id, r.created_at, r.boundary_arn, r.trust_policy, r.description, r.max_session_duration, r.last_used_at \
             FROM roles r JOIN instance_profile_roles p ON p.account_id = r.account_id AND p.role_lower = r.name_lower \
             WHERE p.account_id = $1 AND p.profile_lower = $2",
        )
        .bind(account)
        .bind(profile.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(role).collect()
    }

    /// The instance profiles that hold a role.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn instance_profiles_for_role(
        &self,
        account: &str,
        role: &str,
    ) -> Result<Vec<Entity>> {
        let rows = sqlx::query(
            "SELECT i.account_id, i.name, i.path, i.id, i.created_at, i.boundary_arn FROM instance_profiles i \
             JOIN instance_profile_roles p ON p.account_id = i.account_id AND p.profile_lower = i.name_lower \
             WHERE p.account_id = $1 AND p.role_lower = $2 ORDER BY i.name_lower",
        )
        .bind(account)
        .bind(role.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entity).collect()
    }

    /// How many entities of a kind an account has.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn count_entities(&self, kind: EntityKind, account: &str) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE account_id = $1",
            kind.table()
        );
        let row = sqlx::query(crate::dynamic(&sql))
            .bind(account)
            .fetch_one(self.pool())
            .await?;
        get_i64(&row, "n")
    }
}

/// Locks the row of the entity `lower` names for the rest of `tx` (on PostgreSQL a row lock;
/// SQLite's write transaction holds the whole database already), so that writes depending on
/// it and its deletion take turns; [`StoreError::NotFound`] when it does not exist.
pub(crate) async fn lock_entity(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    kind: EntityKind,
    account: &str,
    lower: &str,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET path = path WHERE account_id = $1 AND name_lower = $2",
        kind.table()
    );
    let locked = sqlx::query(crate::dynamic(&sql))
        .bind(account)
        .bind(lower)
        .execute(&mut **tx)
        .await?;
    crate::changed(&locked)
}

/// Removes what a write that raced the deletion of an entity of this name may have left
/// keyed to the name (an attachment, an inline policy, a membership, a tag, an access key, an
/// MFA device's assignment), so that a new entity starts with nothing of the old one's. In
/// the transaction that creates it: if the name is still taken, the insert fails and this is
/// rolled back with it.
async fn clear_leftovers(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    kind: EntityKind,
    account: &str,
    lower: &str,
) -> Result<()> {
    // Those keyed by owner kind and name, then those of one kind only.
    for sql in [
        "DELETE FROM attachments WHERE account_id = $1 AND owner_lower = $2 AND owner_kind = $3",
        "DELETE FROM inline_policies WHERE account_id = $1 AND owner_lower = $2 AND owner_kind = $3",
        "DELETE FROM tags WHERE account_id = $1 AND owner_key = $2 AND owner_kind = $3",
    ] {
        sqlx::query(sql)
            .bind(account)
            .bind(lower)
            .bind(kind.owner_kind())
            .execute(&mut **tx)
            .await?;
    }
    let own: &[&str] = match kind {
        EntityKind::User => &[
            "DELETE FROM group_members WHERE account_id = $1 AND user_lower = $2",
            "DELETE FROM access_keys WHERE account_id = $1 AND user_lower = $2",
            "UPDATE mfa_devices SET user_lower = NULL, enabled_at = NULL WHERE account_id = $1 AND user_lower = $2",
        ],
        EntityKind::Group => {
            &["DELETE FROM group_members WHERE account_id = $1 AND group_lower = $2"]
        }
        EntityKind::Role => {
            &["DELETE FROM instance_profile_roles WHERE account_id = $1 AND role_lower = $2"]
        }
        EntityKind::InstanceProfile => {
            &["DELETE FROM instance_profile_roles WHERE account_id = $1 AND profile_lower = $2"]
        }
    };
    for &sql in own {
        sqlx::query(sql)
            .bind(account)
            .bind(lower)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
