//! Users, their access keys, and the tag operations of users and roles.

use rolecall_arn::{IdKind, new_access_key_id, new_secret_access_key};
use rolecall_policy::PrincipalType;
use rolecall_store::{AccessKey, Entity, EntityKind, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use super::{
    authorized_entity, entity_arn, find, to_tags, write_boundary, write_entity, write_tags,
};
use crate::app::secret_context;
use crate::call::{Call, Reply, iso, truncation, with_request_tags};
use crate::errors::{Noun, on_entity, on_rename, store_failure};

pub(crate) async fn create_user(call: &Call<'_>) -> Reply {
    let tags = call.tags()?;
    let name = call.req("UserName");
    let path = call.get("Path").unwrap_or("/");
    let arn = rolecall_arn::Arn::iam(call.account(), "user", path, name).to_string();
    let boundary = call.get("PermissionsBoundary");
    call.authorize_with("iam:CreateUser", &arn, &arn, |ctx| {
        with_request_tags(ctx, &tags);
        if let Some(b) = boundary {
            ctx.set("iam:PermissionsBoundary", b);
        }
    })?;
    if let Some(b) = boundary {
        super::policies::require_policy(call, b).await?;
    }
    let user = Entity {
        account_id: call.account().to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: rolecall_arn::new_id(IdKind::User),
        created_at: call.now.unix_timestamp(),
        boundary_arn: boundary.map(str::to_owned),
    };
    let store = call.app.store();
    store
        .create_entity(EntityKind::User, &user)
        .await
        .map_err(on_entity(Noun::User, name))?;
    super::tag_new(call, "user", name, &tags).await?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("User");
    write_entity(&mut w, EntityKind::User, &user);
    write_boundary(&mut w, user.boundary_arn.as_deref());
    if !tags.is_empty() {
        write_tags(&mut w, &to_tags(&tags));
    }
    w.close("User");
    Ok(Some(w))
}

/// The user an operation targets: `UserName`, or the caller's own user when it is omitted.
/// `None` means the account root (only for callers that are root).
pub(crate) fn target_user(call: &Call<'_>) -> Result<Option<String>, AwsError> {
    if let Some(name) = call.get("UserName") {
        return Ok(Some(name.to_owned()));
    }
    match (&call.p.user, call.p.caller.kind) {
        (Some(u), PrincipalType::User) => Ok(Some(u.name.clone())),
        (_, PrincipalType::Account) => Ok(None),
        _ => Err(AwsError::validation(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

pub(crate) async fn get_user(call: &Call<'_>) -> Reply {
    let mut w = XmlWriter::new();
    w.open("User");
    match target_user(call)? {
        Some(name) => {
            let user =
                authorized_entity(call, EntityKind::User, Noun::User, &name, "iam:GetUser").await?;
            write_entity(&mut w, EntityKind::User, &user);
            write_boundary(&mut w, user.boundary_arn.as_deref());
            let tags = call
                .app
                .store()
                .tags(call.account(), "user", &user.name)
                .await
                .map_err(store_failure)?;
            if !tags.is_empty() {
                write_tags(&mut w, &tags);
            }
        }
        None => {
            w.elem("UserId", call.account());
            w.elem("Arn", &call.p.caller.arn);
            w.elem("CreateDate", &iso(call.now.unix_timestamp()));
        }
    }
    w.close("User");
    Ok(Some(w))
}

pub(crate) async fn list_users(call: &Call<'_>) -> Reply {
    super::list_entities(call, EntityKind::User, "Users", |_, w, u| {
        write_entity(w, EntityKind::User, u);
        Box::pin(async { Ok(()) })
    })
    .await
}

pub(crate) async fn update_user(call: &Call<'_>) -> Reply {
    let name = call.req("UserName");
    authorized_entity(call, EntityKind::User, Noun::User, name, "iam:UpdateUser").await?;
    let new_name = call.get("NewUserName");
    if let Some(n) = new_name {
        let target = rolecall_arn::Arn::iam(
            call.account(),
            "user",
            call.get("NewPath").unwrap_or("/"),
            n,
        )
        .to_string();
        call.authorize("iam:UpdateUser", &target, &format!("user {n}"))?;
    }
    call.app
        .store()
        .update_entity(
            EntityKind::User,
            call.account(),
            name,
            new_name,
            call.get("NewPath"),
        )
        .await
        .map_err(on_rename(Noun::User, name, new_name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_user(call: &Call<'_>) -> Reply {
    let name = call.req("UserName");
    authorized_entity(call, EntityKind::User, Noun::User, name, "iam:DeleteUser").await?;
    call.app
        .store()
        .delete_entity(EntityKind::User, call.account(), name)
        .await
        .map_err(on_entity(Noun::User, name))?;
    call.wrote();
    Ok(None)
}

/// The entity kind and noun of the tag operations of users and roles.
fn tag_target(call: &Call<'_>) -> (EntityKind, Noun, &'static str, &'static str) {
    use crate::ops::Op;
    match call.op {
        Op::TagUser | Op::UntagUser | Op::ListUserTags => {
            (EntityKind::User, Noun::User, "UserName", "user")
        }
        _ => (EntityKind::Role, Noun::Role, "RoleName", "role"),
    }
}

pub(crate) async fn tag(call: &Call<'_>) -> Reply {
    let (kind, noun, param, owner) = tag_target(call);
    let tags = call.tags()?;
    let name = call.req(param);
    let entity =
        super::authorized_entity_with(call, kind, noun, name, call.op.iam_action(), |ctx| {
            with_request_tags(ctx, &tags)
        })
        .await?;
    call.app
        .store()
        .tag(call.account(), owner, &entity.name, &to_tags(&tags))
        .await
        .map_err(|e| match e {
            StoreError::LimitExceeded => AwsError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "Cannot exceed quota for TagsPer{}: 50",
                    if kind == EntityKind::User {
                        "User"
                    } else {
                        "Role"
                    }
                ),
            ),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn untag(call: &Call<'_>) -> Reply {
    let (kind, noun, param, owner) = tag_target(call);
    let keys = call.params.string_list("TagKeys")?;
    let name = call.req(param);
    let entity =
        super::authorized_entity_with(call, kind, noun, name, call.op.iam_action(), |ctx| {
            ctx.set_multi("aws:TagKeys", keys.clone())
        })
        .await?;
    call.app
        .store()
        .untag(call.account(), owner, &entity.name, &keys)
        .await
        .map_err(store_failure)?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_tags(call: &Call<'_>) -> Reply {
    let (kind, noun, param, owner) = tag_target(call);
    let (marker, max) = call.paging();
    let name = call.req(param);
    let entity = authorized_entity(call, kind, noun, name, call.op.iam_action()).await?;
    let tags = call
        .app
        .store()
        .tags(call.account(), owner, &entity.name)
        .await
        .map_err(store_failure)?;
    let (tags, next) = crate::call::page_of(tags, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    write_tags(&mut w, &tags);
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

fn no_such_key(id: &str) -> AwsError {
    AwsError::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// Authorizes an access-key operation on the target user (or the root) and returns its name.
async fn key_owner(call: &Call<'_>, action: &str) -> Result<Option<String>, AwsError> {
    let target = target_user(call)?;
    match &target {
        Some(name) => {
            authorized_entity(call, EntityKind::User, Noun::User, name, action).await?;
        }
        None => call.authorize(action, &call.p.caller.arn, &call.p.caller.arn)?,
    }
    Ok(target)
}

pub(crate) async fn create_access_key(call: &Call<'_>) -> Reply {
    let owner = key_owner(call, "iam:CreateAccessKey").await?;
    let id = new_access_key_id(IdKind::AccessKey, call.account());
    let secret = new_secret_access_key();
    let user = match &owner {
        Some(n) => Some(
            call.app
                .store()
                .get_entity(EntityKind::User, call.account(), n)
                .await
                .map_err(on_entity(Noun::User, n))?,
        ),
        None => None,
    };
    let key = AccessKey {
        access_key_id: id.clone(),
        account_id: call.account().to_owned(),
        user_lower: user.as_ref().map(|u| u.name.to_lowercase()),
        secret_sealed: call.app.master().seal_text(&secret, &secret_context(&id)),
        status: "Active".into(),
        created_at: call.now.unix_timestamp(),
        last_used_at: None,
        last_used_service: None,
        last_used_region: None,
    };
    call.app
        .store()
        .create_access_key(&key)
        .await
        .map_err(|e| match e {
            StoreError::LimitExceeded => AwsError::new(
                ErrorKind::LimitExceeded,
                "Cannot exceed quota for AccessKeysPerUser: 2",
            ),
            StoreError::NotFound => {
                crate::errors::no_such(Noun::User, owner.as_deref().unwrap_or_default())
            }
            other => store_failure(other),
        })?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("AccessKey");
    if let Some(u) = &user {
        w.elem("UserName", &u.name);
    }
    w.elem("AccessKeyId", &id);
    w.elem("Status", "Active");
    w.elem("SecretAccessKey", &secret);
    w.elem("CreateDate", &iso(key.created_at));
    w.close("AccessKey");
    Ok(Some(w))
}

pub(crate) async fn list_access_keys(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let owner = key_owner(call, "iam:ListAccessKeys").await?;
    let keys = call
        .app
        .store()
        .list_access_keys(call.account(), owner.as_deref())
        .await
        .map_err(store_failure)?;
    let (keys, next) = crate::call::page_of(keys, marker.as_deref(), max)?;
    let display_name = match &owner {
        Some(n) => Some(
            find(call, EntityKind::User, n)
                .await?
                .map_or_else(|| n.clone(), |u| u.name),
        ),
        None => None,
    };
    let mut w = XmlWriter::new();
    w.list("AccessKeyMetadata", &keys, |w, k| {
        if let Some(n) = &display_name {
            w.elem("UserName", n);
        }
        w.elem("AccessKeyId", &k.access_key_id);
        w.elem("Status", &k.status);
        w.elem("CreateDate", &iso(k.created_at));
    });
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn update_access_key(call: &Call<'_>) -> Reply {
    let owner = key_owner(call, "iam:UpdateAccessKey").await?;
    let id = call.req("AccessKeyId");
    call.app
        .store()
        .update_access_key_status(call.account(), owner.as_deref(), id, call.req("Status"))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_key(id),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_access_key(call: &Call<'_>) -> Reply {
    let owner = key_owner(call, "iam:DeleteAccessKey").await?;
    let id = call.req("AccessKeyId");
    call.app
        .store()
        .delete_access_key(call.account(), owner.as_deref(), id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_key(id),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn get_access_key_last_used(call: &Call<'_>) -> Reply {
    let id = call.req("AccessKeyId");
    let key = call
        .app
        .store()
        .get_access_key(id)
        .await
        .map_err(store_failure)?
        .filter(|k| k.account_id == call.account());
    let user_name = match key.as_ref().and_then(|k| k.user_lower.clone()) {
        Some(u) => find(call, EntityKind::User, &u).await?.map(|e| e.name),
        None => None,
    };
    let resource = match &user_name {
        Some(n) => entity_arn(
            call.account(),
            EntityKind::User,
            find(call, EntityKind::User, n).await?.as_ref(),
            n,
        ),
        None => call.p.caller.arn.clone(),
    };
    call.authorize("iam:GetAccessKeyLastUsed", &resource, &resource)?;
    let key = key.ok_or_else(|| no_such_key(id))?;
    let mut w = XmlWriter::new();
    w.opt("UserName", user_name.as_deref());
    w.open("AccessKeyLastUsed");
    if let Some(at) = key.last_used_at {
        w.elem("LastUsedDate", &iso(at));
    }
    w.elem(
        "ServiceName",
        key.last_used_service.as_deref().unwrap_or("N/A"),
    );
    w.elem("Region", key.last_used_region.as_deref().unwrap_or("N/A"));
    w.close("AccessKeyLastUsed");
    Ok(Some(w))
}
