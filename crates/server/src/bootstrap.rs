//! `rolecall server bootstrap`: an account and an administrator with a fresh access key.

use rolecall_arn::{Arn, IdKind, new_access_key_id, new_secret_access_key};
use rolecall_store::{AccessKey, Entity, EntityKind, Store, StoreError};
use serde::Serialize;

use crate::app::secret_context;
use crate::crypto::SealingKey;

/// What bootstrap prints: exactly one JSON object.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BootstrapOutput {
    /// The account.
    pub account_id: String,
    /// The administrator's name (`null` for the account root).
    pub user_name: Option<String>,
    /// The administrator's ARN.
    pub arn: String,
    /// The new access key id.
    pub access_key_id: String,
    /// The new secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for BootstrapOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapOutput")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Creates the account if missing and gives its root user an access key (the account root is
/// not subject to IAM policies and cannot assume roles, as in AWS).
///
/// # Errors
/// When the account id is malformed, the root already has two keys, or the store fails.
pub async fn bootstrap_root(
    store: &Store,
    master: &SealingKey,
    account: &str,
) -> anyhow::Result<BootstrapOutput> {
    anyhow::ensure!(
        rolecall_arn::is_account_id(account),
        "account id must be twelve digits, got '{account}'"
    );
    crate::aws_policies::seed(store).await?;
    let now = rolecall_store::now_epoch();
    store.ensure_account(account, now).await?;
    let (id, secret) = add_key(store, master, account, None, now).await?;
    Ok(BootstrapOutput {
        account_id: account.to_owned(),
        user_name: None,
        arn: Arn::root(account).to_string(),
        access_key_id: id,
        secret_access_key: secret,
    })
}

async fn add_key(
    store: &Store,
    master: &SealingKey,
    account: &str,
    user: Option<&str>,
    now: i64,
) -> anyhow::Result<(String, String)> {
    let id = new_access_key_id(IdKind::AccessKey, account);
    let secret = new_secret_access_key();
    let key = AccessKey {
        access_key_id: id.clone(),
        account_id: account.to_owned(),
        user_lower: user.map(str::to_lowercase),
        secret_sealed: master.seal_text(&secret, &secret_context(&id)),
        status: "Active".into(),
        created_at: now,
        last_used_at: None,
        last_used_service: None,
        last_used_region: None,
    };
    store.create_access_key(&key).await.map_err(|e| match e {
        StoreError::LimitExceeded => anyhow::anyhow!(
            "{} already has two access keys (IAM's limit); delete one first",
            user.unwrap_or("the account root")
        ),
        other => other.into(),
    })?;
    Ok((id, secret))
}

/// Creates the account if missing and the user if missing (with AdministratorAccess), then
/// adds an access key to it (IAM allows two per user).
///
/// # Errors
/// When the account id is malformed, the user already has two keys, or the store fails.
pub async fn bootstrap(
    store: &Store,
    master: &SealingKey,
    account: &str,
    user_name: &str,
) -> anyhow::Result<BootstrapOutput> {
    anyhow::ensure!(
        rolecall_arn::is_account_id(account),
        "account id must be twelve digits, got '{account}'"
    );
    anyhow::ensure!(
        !user_name.is_empty()
            && user_name.len() <= 64
            && user_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)),
        "user name '{user_name}' is not a valid IAM user name"
    );
    crate::aws_policies::seed(store).await?;
    let now = rolecall_store::now_epoch();
    store.ensure_account(account, now).await?;
    let user = match store.get_entity(EntityKind::User, account, user_name).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => {
            let u = Entity {
                account_id: account.to_owned(),
                name: user_name.to_owned(),
                path: "/".into(),
                id: rolecall_arn::new_id(IdKind::User),
                created_at: now,
                boundary_arn: None,
            };
            match store.create_entity(EntityKind::User, &u).await {
                Ok(()) => u,
                // Created by a concurrent bootstrap: use theirs.
                Err(StoreError::AlreadyExists) => {
                    store
                        .get_entity(EntityKind::User, account, user_name)
                        .await?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    crate::aws_policies::store_attachable(store, admin).await?;
    store
        .attach_policy(account, EntityKind::User, &user.name, admin)
        .await?;
    let (id, secret) = add_key(store, master, account, Some(&user.name), now).await?;
    Ok(BootstrapOutput {
        account_id: account.to_owned(),
        user_name: Some(user.name.clone()),
        arn: Arn::iam(account, "user", &user.path, &user.name).to_string(),
        access_key_id: id,
        secret_access_key: secret,
    })
}
