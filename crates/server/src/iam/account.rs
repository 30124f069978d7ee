//! Account aliases and the account summary.

use rolecall_store::{EntityKind, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use crate::call::{Call, Reply, truncation};
use crate::errors::store_failure;

/// Whether `alias` matches accountAliasType's pattern,
/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: 3 to 63 lowercase letters, digits and dashes,
/// no dash first, last or doubled. The regex crate has no look-ahead, so the model's
/// validation (`input`) matches the pattern with this.
pub(crate) fn is_account_alias(alias: &str) -> bool {
    let b = alias.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !alias.contains("--")
}

pub(crate) async fn create_account_alias(call: &Call<'_>) -> Reply {
    call.authorize("iam:CreateAccountAlias", "*", "")?;
    let alias = call.req("AccountAlias");
    call.app
        .store()
        .set_account_alias(call.account(), Some(alias))
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists => AwsError::new(
                ErrorKind::EntityAlreadyExists,
                format!("The account alias {alias} already exists."),
            ),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_account_alias(call: &Call<'_>) -> Reply {
    call.authorize("iam:DeleteAccountAlias", "*", "")?;
    let alias = call.req("AccountAlias");
    let current = call
        .app
        .store()
        .account_alias(call.account())
        .await
        .map_err(store_failure)?;
    if current.as_deref() != Some(alias) {
        return Err(AwsError::no_such_entity(format!(
            "The account alias {alias} cannot be found."
        )));
    }
    call.app
        .store()
        .set_account_alias(call.account(), None)
        .await
        .map_err(store_failure)?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_account_aliases(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    call.authorize("iam:ListAccountAliases", "*", "")?;
    let alias: Vec<String> = call
        .app
        .store()
        .account_alias(call.account())
        .await
        .map_err(store_failure)?
        .into_iter()
        .collect();
    let (alias, next) = crate::call::page_of(alias, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.string_list("AccountAliases", &alias);
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn get_account_summary(call: &Call<'_>) -> Reply {
    call.authorize("iam:GetAccountSummary", "*", "")?;
    let store = call.app.store();
    let account = call.account();
    let count = |kind| store.count_entities(kind, account);
    let users = count(EntityKind::User).await.map_err(store_failure)?;
    let groups = count(EntityKind::Group).await.map_err(store_failure)?;
    let roles = count(EntityKind::Role).await.map_err(store_failure)?;
    let profiles = count(EntityKind::InstanceProfile)
        .await
        .map_err(store_failure)?;
    let (policies, attached) = store.policy_counts(account).await.map_err(store_failure)?;
    let mfa = store
        .list_mfa_devices(account, None)
        .await
        .map_err(store_failure)?;
    let mfa_in_use =
        i64::try_from(mfa.iter().filter(|d| d.user_lower.is_some()).count()).unwrap_or(0);
    let root_keys = i64::try_from(
        store
            .list_access_keys(account, None)
            .await
            .map_err(store_failure)?
            .len(),
    )
    .unwrap_or(0);
    let entries: Vec<(&str, i64)> = vec![
        ("Users", users),
        ("UsersQuota", 5000),
        ("Groups", groups),
        ("GroupsQuota", 300),
        ("Roles", roles),
        ("RolesQuota", 1000),
        ("InstanceProfiles", profiles),
        ("InstanceProfilesQuota", 1000),
        ("Policies", policies),
        ("PoliciesQuota", 1500),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("PolicyVersionsInUse", attached),
        ("PolicyVersionsInUseQuota", 10000),
        ("VersionsPerPolicyQuota", 5),
        ("PolicySizeQuota", 6144),
        ("UserPolicySizeQuota", 2048),
        ("GroupPolicySizeQuota", 5120),
        ("AccessKeysPerUserQuota", 2),
        ("GroupsPerUserQuota", 10),
        ("MFADevices", i64::try_from(mfa.len()).unwrap_or(0)),
        ("MFADevicesInUse", mfa_in_use),
        ("AccountAccessKeysPresent", i64::from(root_keys > 0)),
        ("AccountMFAEnabled", 0),
        ("AssumeRolePolicySizeQuota", 2048),
        ("GlobalEndpointTokenVersion", 1),
    ];
    let mut w = XmlWriter::new();
    w.open("SummaryMap");
    for (k, n) in entries {
        w.open("entry");
        w.elem("key", k);
        w.num("value", n);
        w.close("entry");
    }
    w.close("SummaryMap");
    Ok(Some(w))
}
