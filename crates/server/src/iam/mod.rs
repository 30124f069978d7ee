//! IAM operations, one module per family. Each handler, given input already validated against
//! the model, authorizes the caller on the resource AWS checks, then reads or writes the store.

pub(crate) mod account;
pub(crate) mod groups;
pub(crate) mod listing;
pub(crate) mod mfa;
pub(crate) mod owner_policies;
pub(crate) mod policies;
pub(crate) mod resource_tags;
pub(crate) mod roles;
pub(crate) mod service_linked;
pub(crate) mod simulate;
pub(crate) mod users;

use rolecall_arn::Arn;
use rolecall_store::{Entity, EntityKind, StoreError, Tag};
use rolecall_wire::{AwsError, XmlWriter};

use crate::call::{Call, Reply, iso, with_resource_tags};
use crate::errors::{Noun, no_such, store_failure};

/// The ARN of an entity, or of a would-be entity at the root path.
pub(crate) fn entity_arn(
    account: &str,
    kind: EntityKind,
    entity: Option<&Entity>,
    name: &str,
) -> String {
    let (path, name) = entity.map_or(("/", name), |e| (e.path.as_str(), e.name.as_str()));
    Arn::iam(account, kind.owner_kind(), path, name).to_string()
}

/// Looks an entity up; `None` when it does not exist.
pub(crate) async fn find(
    call: &Call<'_>,
    kind: EntityKind,
    name: &str,
) -> Result<Option<Entity>, AwsError> {
    match call
        .app
        .store()
        .get_entity(kind, call.account(), name)
        .await
    {
        Ok(e) => Ok(Some(e)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(store_failure(e)),
    }
}

/// Authorizes `action` on a named entity (checked on its ARN, shown as `user NAME`), then
/// requires it to exist: the order AWS uses (validation, authorization, existence).
pub(crate) async fn authorized_entity(
    call: &Call<'_>,
    kind: EntityKind,
    noun: Noun,
    name: &str,
    action: &str,
) -> Result<Entity, AwsError> {
    authorized_entity_with(call, kind, noun, name, action, |_| {}).await
}

/// [`authorized_entity`] with extra context keys for the decision (`iam:PolicyARN`,
/// `iam:PermissionsBoundary`, request tags, …).
pub(crate) async fn authorized_entity_with(
    call: &Call<'_>,
    kind: EntityKind,
    noun: Noun,
    name: &str,
    action: &str,
    extra: impl FnOnce(&mut rolecall_policy::Context),
) -> Result<Entity, AwsError> {
    let entity = find(call, kind, name).await?;
    let arn = entity_arn(call.account(), kind, entity.as_ref(), name);
    let tags = resource_tags(call, kind, entity.as_ref()).await?;
    call.authorize_with(
        action,
        &arn,
        &format!("{} {name}", kind.owner_kind()),
        |ctx| {
            with_resource_tags(ctx, &tags);
            extra(ctx);
        },
    )?;
    entity.ok_or_else(|| no_such(noun, name))
}

/// The tags of a user, role or instance profile, for `aws:ResourceTag/*` (groups carry none
/// in IAM's authorization context).
pub(crate) async fn resource_tags(
    call: &Call<'_>,
    kind: EntityKind,
    entity: Option<&Entity>,
) -> Result<Vec<(String, String)>, AwsError> {
    match (kind, entity) {
        (EntityKind::User | EntityKind::Role | EntityKind::InstanceProfile, Some(e)) => Ok(call
            .app
            .store()
            .tags(call.account(), kind.owner_kind(), &e.name)
            .await
            .map_err(store_failure)?
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()),
        _ => Ok(Vec::new()),
    }
}

/// `PathPrefix`, `/` when absent.
pub(crate) fn path_prefix(call: &Call<'_>) -> String {
    call.get("PathPrefix").unwrap_or("/").to_owned()
}

/// ListUsers, ListGroups, ListInstanceProfiles: the entities of one kind under a path prefix,
/// each written by `member`.
pub(crate) async fn list_entities(
    call: &Call<'_>,
    kind: EntityKind,
    element: &str,
    member: impl for<'a> FnMut(&'a Call<'a>, &'a mut XmlWriter, &'a Entity) -> listing::Written<'a>,
) -> Reply {
    listing::list_by_path(
        call,
        kind.owner_kind(),
        element,
        (),
        async |q| {
            call.app
                .store()
                .list_entities(kind, call.account(), &q.prefix, q.marker.as_deref(), q.max)
                .await
        },
        member,
    )
    .await
}

/// Writes the common members of a user, group or instance profile element.
pub(crate) fn write_entity(w: &mut XmlWriter, kind: EntityKind, e: &Entity) {
    let (name_el, id_el) = match kind {
        EntityKind::User => ("UserName", "UserId"),
        EntityKind::Group => ("GroupName", "GroupId"),
        EntityKind::Role => ("RoleName", "RoleId"),
        EntityKind::InstanceProfile => ("InstanceProfileName", "InstanceProfileId"),
    };
    w.elem("Path", &e.path);
    w.elem(name_el, &e.name);
    w.elem(id_el, &e.id);
    w.elem(
        "Arn",
        &Arn::iam(&e.account_id, kind.owner_kind(), &e.path, &e.name).to_string(),
    );
    w.elem("CreateDate", &iso(e.created_at));
}

/// `<PermissionsBoundary>` when one is set.
pub(crate) fn write_boundary(w: &mut XmlWriter, arn: Option<&str>) {
    if let Some(arn) = arn {
        w.open("PermissionsBoundary");
        w.elem("PermissionsBoundaryType", "Policy");
        w.elem("PermissionsBoundaryArn", arn);
        w.close("PermissionsBoundary");
    }
}

/// `<Tags>` members.
pub(crate) fn write_tags(w: &mut XmlWriter, tags: &[Tag]) {
    w.list("Tags", tags, |w, t| {
        w.elem("Key", &t.key);
        w.elem("Value", &t.value);
    });
}

/// Tags a resource just created with the request's tags, if it gave any.
pub(crate) async fn tag_new(
    call: &Call<'_>,
    owner_kind: &str,
    name: &str,
    tags: &[(String, String)],
) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    call.app
        .store()
        .tag(call.account(), owner_kind, name, &to_tags(tags))
        .await
        .map_err(store_failure)
}

/// Converts validated `(key, value)` pairs into store tags.
pub(crate) fn to_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}
