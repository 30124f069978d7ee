//! Roles, their trust policies, and instance profiles.
//!
//! Trust policies are stored with user and role principals replaced by those entities' unique
//! ids, as IAM does: a deleted and re-created user with the same name is not trusted, and the
//! policy then shows the bare id.

use rolecall_arn::{Arn, IdKind};
use rolecall_policy::{PolicyKind, non_whitespace_len, parse_policy};
use rolecall_store::{Entity, EntityKind, Role, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};
use serde_json::Value;

use super::{authorized_entity, find, listing, write_boundary, write_entity, write_tags};
use crate::call::{Call, Reply, iso, truncation, url_encode, with_request_tags};
use crate::errors::{Noun, no_such, on_entity, store_failure};

const TRUST_SIZE_LIMIT: usize = 2048;

/// Applies `f` to every `Principal.AWS` value of a trust policy.
async fn map_principals<F, Fut>(doc: &str, mut f: F) -> Result<String, AwsError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<String, AwsError>>,
{
    let mut value: Value = serde_json::from_str(doc)
        .map_err(|_| AwsError::malformed_policy("This policy contains invalid Json"))?;
    let statements: Vec<&mut Value> = match value.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    for s in statements {
        let Some(aws) = s.get_mut("Principal").and_then(|p| p.get_mut("AWS")) else {
            continue;
        };
        match aws {
            Value::String(text) => *text = f(text.clone()).await?,
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if let Value::String(text) = item {
                        *text = f(text.clone()).await?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(value.to_string())
}

/// Validates a trust policy and rewrites user and role principals into unique ids. A principal
/// resolves exactly or not at all: an ARN of another partition, or one whose user or role
/// name differs from the stored one in letter case or path, is an invalid principal.
pub(crate) async fn store_form_of_trust(call: &Call<'_>, doc: &str) -> Result<String, AwsError> {
    parse_policy(doc, PolicyKind::Trust).map_err(|e| AwsError::malformed_policy(e.message))?;
    if non_whitespace_len(doc) > TRUST_SIZE_LIMIT {
        return Err(AwsError::new(
            ErrorKind::LimitExceeded,
            format!("Cannot exceed quota for ACLSizePerRole: {TRUST_SIZE_LIMIT}"),
        ));
    }
    let store = call.app.store().clone();
    map_principals(doc, |value| {
        let store = store.clone();
        async move {
            let Ok(arn) = Arn::parse(&value) else {
                return Ok(value);
            };
            let invalid = || {
                AwsError::malformed_policy(format!(
                    "Invalid principal in policy: \"AWS\":\"{value}\""
                ))
            };
            if arn.partition != "aws" {
                return Err(invalid());
            }
            let (kind, _) = arn.resource_type_and_rest();
            let entity_kind = match (arn.service.as_str(), kind) {
                ("iam", "user") => EntityKind::User,
                ("iam", "role") => EntityKind::Role,
                _ => return Ok(value),
            };
            let (name, path) = (arn.name(), arn.path());
            match store.get_entity(entity_kind, &arn.account, name).await {
                Ok(e) if e.path == path && e.name == name => Ok(e.id),
                Ok(_) | Err(StoreError::NotFound) => Err(invalid()),
                Err(e) => Err(store_failure(e)),
            }
        }
    })
    .await
}

/// Turns stored unique ids back into ARNs for display; ids of deleted entities stay ids.
pub(crate) async fn display_form_of_trust(
    call: &Call<'_>,
    stored: &str,
) -> Result<String, AwsError> {
    let store = call.app.store().clone();
    map_principals(stored, |value| {
        let store = store.clone();
        async move {
            let kind = if value.starts_with("AIDA") {
                EntityKind::User
            } else if value.starts_with("AROA") {
                EntityKind::Role
            } else {
                return Ok(value);
            };
            match store
                .entity_by_id(kind, &value)
                .await
                .map_err(store_failure)?
            {
                Some(e) => {
                    Ok(Arn::iam(&e.account_id, kind.owner_kind(), &e.path, &e.name).to_string())
                }
                None => Ok(value),
            }
        }
    })
    .await
}

/// Which members of a role an answer shows, as AWS's answers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleView {
    /// ListRoles and the roles inside an instance profile: no boundary, tags or last use.
    Listed,
    /// CreateRole and UpdateRoleDescription: boundary and tags, but neither
    /// `MaxSessionDuration` nor `RoleLastUsed`.
    Written,
    /// GetRole: everything.
    Full,
}

/// Writes a role as the element `element` (`Role`); see [`write_role_members`].
pub(crate) async fn write_role(
    call: &Call<'_>,
    w: &mut XmlWriter,
    element: &str,
    role: &Role,
    view: RoleView,
) -> Result<(), AwsError> {
    w.open(element);
    write_role_members(call, w, role, view).await?;
    w.close(element);
    Ok(())
}

/// Writes the members of a role element that `view` shows.
async fn write_role_members(
    call: &Call<'_>,
    w: &mut XmlWriter,
    role: &Role,
    view: RoleView,
) -> Result<(), AwsError> {
    write_entity(w, EntityKind::Role, &role.entity);
    w.elem(
        "AssumeRolePolicyDocument",
        &url_encode(&display_form_of_trust(call, &role.trust_policy).await?),
    );
    w.opt("Description", role.description.as_deref());
    if view != RoleView::Written {
        w.num("MaxSessionDuration", role.max_session_duration);
    }
    if view != RoleView::Listed {
        write_boundary(w, role.entity.boundary_arn.as_deref());
        let tags = call
            .app
            .store()
            .tags(&role.entity.account_id, "role", &role.entity.name)
            .await
            .map_err(store_failure)?;
        if !tags.is_empty() {
            write_tags(w, &tags);
        }
    }
    if view == RoleView::Full {
        w.open("RoleLastUsed");
        if let Some(at) = role.last_used_at {
            w.elem("LastUsedDate", &iso(at));
            w.elem("Region", "us-east-1");
        }
        w.close("RoleLastUsed");
    }
    Ok(())
}

pub(crate) async fn create_role(call: &Call<'_>) -> Reply {
    let max = call.number("MaxSessionDuration");
    let tags = call.tags()?;
    let name = call.req("RoleName");
    let path = call.get("Path").unwrap_or("/");
    super::service_linked::path_not_reserved(path)?;
    let arn = Arn::iam(call.account(), "role", path, name).to_string();
    let boundary = call.get("PermissionsBoundary");
    call.authorize_with("iam:CreateRole", &arn, &arn, |ctx| {
        with_request_tags(ctx, &tags);
        if let Some(b) = boundary {
            ctx.set("iam:PermissionsBoundary", b);
        }
    })?;
    if let Some(b) = boundary {
        super::policies::require_policy(call, b).await?;
    }
    let trust = store_form_of_trust(call, call.req("AssumeRolePolicyDocument")).await?;
    let role = Role {
        entity: Entity {
            account_id: call.account().to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            id: rolecall_arn::new_id(IdKind::Role),
            created_at: call.now.unix_timestamp(),
            boundary_arn: boundary.map(str::to_owned),
        },
        trust_policy: trust,
        description: call.get("Description").map(str::to_owned),
        max_session_duration: max.unwrap_or(3600),
        last_used_at: None,
    };
    let store = call.app.store();
    store
        .create_role(&role)
        .await
        .map_err(on_entity(Noun::Role, name))?;
    super::tag_new(call, "role", name, &tags).await?;
    call.wrote();
    let mut w = XmlWriter::new();
    write_role(call, &mut w, "Role", &role, RoleView::Written).await?;
    Ok(Some(w))
}

async fn authorized_role(call: &Call<'_>, action: &str) -> Result<Role, AwsError> {
    let name = call.req("RoleName");
    authorized_entity(call, EntityKind::Role, Noun::Role, name, action).await?;
    call.app
        .store()
        .get_role(call.account(), name)
        .await
        .map_err(on_entity(Noun::Role, name))
}

pub(crate) async fn get_role(call: &Call<'_>) -> Reply {
    let role = authorized_role(call, "iam:GetRole").await?;
    let mut w = XmlWriter::new();
    write_role(call, &mut w, "Role", &role, RoleView::Full).await?;
    Ok(Some(w))
}

pub(crate) async fn list_roles(call: &Call<'_>) -> Reply {
    listing::list_by_path(
        call,
        "role",
        "Roles",
        (),
        async |q| {
            call.app
                .store()
                .list_roles(call.account(), &q.prefix, q.marker.as_deref(), q.max)
                .await
        },
        |call, w, role| Box::pin(write_role_members(call, w, role, RoleView::Listed)),
    )
    .await
}

pub(crate) async fn update_role(call: &Call<'_>) -> Reply {
    let max = call.number("MaxSessionDuration");
    let action = if call.op == crate::ops::Op::UpdateRoleDescription {
        "iam:UpdateRoleDescription"
    } else {
        "iam:UpdateRole"
    };
    let role = authorized_role(call, action).await?;
    // A service-linked role's description can change, its session duration cannot.
    if max.is_some() {
        super::service_linked::protect_session_duration(&role.entity)?;
    }
    call.app
        .store()
        .update_role(
            call.account(),
            &role.entity.name,
            call.get("Description"),
            max,
        )
        .await
        .map_err(on_entity(Noun::Role, &role.entity.name))?;
    call.wrote();
    if call.op == crate::ops::Op::UpdateRoleDescription {
        let updated = call
            .app
            .store()
            .get_role(call.account(), &role.entity.name)
            .await
            .map_err(on_entity(Noun::Role, &role.entity.name))?;
        let mut w = XmlWriter::new();
        write_role(call, &mut w, "Role", &updated, RoleView::Written).await?;
        return Ok(Some(w));
    }
    Ok(Some(XmlWriter::new()))
}

pub(crate) async fn delete_role(call: &Call<'_>) -> Reply {
    let role = authorized_role(call, "iam:DeleteRole").await?;
    super::service_linked::protect(&role.entity)?;
    call.app
        .store()
        .delete_entity(EntityKind::Role, call.account(), &role.entity.name)
        .await
        .map_err(on_entity(Noun::Role, &role.entity.name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn update_assume_role_policy(call: &Call<'_>) -> Reply {
    let role = authorized_role(call, "iam:UpdateAssumeRolePolicy").await?;
    super::service_linked::protect(&role.entity)?;
    let trust = store_form_of_trust(call, call.req("PolicyDocument")).await?;
    call.app
        .store()
        .update_trust_policy(call.account(), &role.entity.name, &trust)
        .await
        .map_err(on_entity(Noun::Role, &role.entity.name))?;
    call.wrote();
    Ok(None)
}

async fn write_instance_profile(
    call: &Call<'_>,
    w: &mut XmlWriter,
    profile: &Entity,
) -> Result<(), AwsError> {
    write_entity(w, EntityKind::InstanceProfile, profile);
    let roles = call
        .app
        .store()
        .roles_in_instance_profile(call.account(), &profile.name)
        .await
        .map_err(store_failure)?;
    w.open("Roles");
    for role in &roles {
        write_role(call, w, "member", role, RoleView::Listed).await?;
    }
    w.close("Roles");
    Ok(())
}

pub(crate) async fn create_instance_profile(call: &Call<'_>) -> Reply {
    let tags = call.tags()?;
    let name = call.req("InstanceProfileName");
    let path = call.get("Path").unwrap_or("/");
    let arn = Arn::iam(call.account(), "instance-profile", path, name).to_string();
    call.authorize_with("iam:CreateInstanceProfile", &arn, &arn, |ctx| {
        with_request_tags(ctx, &tags)
    })?;
    let profile = Entity {
        account_id: call.account().to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: rolecall_arn::new_id(IdKind::InstanceProfile),
        created_at: call.now.unix_timestamp(),
        boundary_arn: None,
    };
    call.app
        .store()
        .create_entity(EntityKind::InstanceProfile, &profile)
        .await
        .map_err(on_entity(Noun::InstanceProfile, name))?;
    super::tag_new(call, "instance-profile", name, &tags).await?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("InstanceProfile");
    write_instance_profile(call, &mut w, &profile).await?;
    if !tags.is_empty() {
        write_tags(&mut w, &super::to_tags(&tags));
    }
    w.close("InstanceProfile");
    Ok(Some(w))
}

pub(crate) async fn get_instance_profile(call: &Call<'_>) -> Reply {
    let profile = authorized_entity(
        call,
        EntityKind::InstanceProfile,
        Noun::InstanceProfile,
        call.req("InstanceProfileName"),
        "iam:GetInstanceProfile",
    )
    .await?;
    let tags = call
        .app
        .store()
        .tags(call.account(), "instance-profile", &profile.name)
        .await
        .map_err(store_failure)?;
    let mut w = XmlWriter::new();
    w.open("InstanceProfile");
    write_instance_profile(call, &mut w, &profile).await?;
    if !tags.is_empty() {
        write_tags(&mut w, &tags);
    }
    w.close("InstanceProfile");
    Ok(Some(w))
}

pub(crate) async fn list_instance_profiles(call: &Call<'_>) -> Reply {
    super::list_entities(
        call,
        EntityKind::InstanceProfile,
        "InstanceProfiles",
        |call, w, p| Box::pin(write_instance_profile(call, w, p)),
    )
    .await
}

pub(crate) async fn delete_instance_profile(call: &Call<'_>) -> Reply {
    let name = call.req("InstanceProfileName");
    authorized_entity(
        call,
        EntityKind::InstanceProfile,
        Noun::InstanceProfile,
        name,
        "iam:DeleteInstanceProfile",
    )
    .await?;
    call.app
        .store()
        .delete_entity(EntityKind::InstanceProfile, call.account(), name)
        .await
        .map_err(on_entity(Noun::InstanceProfile, name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn change_instance_profile_role(call: &Call<'_>) -> Reply {
    let add = call.op == crate::ops::Op::AddRoleToInstanceProfile;
    let profile = authorized_entity(
        call,
        EntityKind::InstanceProfile,
        Noun::InstanceProfile,
        call.req("InstanceProfileName"),
        call.op.iam_action(),
    )
    .await?;
    let role_name = call.req("RoleName");
    let role = find(call, EntityKind::Role, role_name)
        .await?
        .ok_or_else(|| no_such(Noun::Role, role_name))?;
    super::service_linked::protect(&role)?;
    let store = call.app.store();
    if add {
        store
            .add_role_to_instance_profile(call.account(), &profile.name, &role.name)
            .await
            .map_err(|e| match e {
                StoreError::LimitExceeded => AwsError::new(
                    ErrorKind::LimitExceeded,
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
                ),
                StoreError::AlreadyExists => AwsError::new(
                    ErrorKind::LimitExceeded,
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
                ),
                other => store_failure(other),
            })?;
    } else {
        store
            .remove_role_from_instance_profile(call.account(), &profile.name, &role.name)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AwsError::no_such_entity(format!(
                    "Role {} in Instance Profile {} cannot be found.",
                    role.name, profile.name
                )),
                other => store_failure(other),
            })?;
    }
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_instance_profiles_for_role(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let role = authorized_entity(
        call,
        EntityKind::Role,
        Noun::Role,
        call.req("RoleName"),
        "iam:ListInstanceProfilesForRole",
    )
    .await?;
    let profiles = call
        .app
        .store()
        .instance_profiles_for_role(call.account(), &role.name)
        .await
        .map_err(store_failure)?;
    let (profiles, next) = crate::call::page_of(profiles, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.open("InstanceProfiles");
    for p in &profiles {
        w.open("member");
        write_instance_profile(call, &mut w, p).await?;
        w.close("member");
    }
    w.close("InstanceProfiles");
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}
