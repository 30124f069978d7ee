//! The policies of a user, group or role: inline policies, attached managed policies, and
//! permissions boundaries.

use rolecall_policy::{PolicyKind, parse_policy};
use rolecall_store::{Entity, EntityKind, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use super::policies::{not_attachable, require_policy};
use crate::call::{Call, Reply, truncation, url_encode};
use crate::errors::{Noun, no_such, on_entity, store_failure};
use crate::ops::Op;

/// The user, group or role an operation works on, as its parameters name it.
#[derive(Debug, Clone, Copy)]
struct Owner {
    kind: EntityKind,
    noun: Noun,
    /// How IAM names one of its inline policies in messages.
    policy_noun: Noun,
    /// The parameter that names it: `UserName`, `GroupName`, `RoleName`.
    param: &'static str,
    /// IAM's quota on the size of its inline policies, in bytes.
    inline_quota: usize,
}

impl Owner {
    fn of(op: Op) -> Self {
        let (kind, noun, policy_noun, param, inline_quota) = match op {
            Op::PutUserPolicy
            | Op::GetUserPolicy
            | Op::DeleteUserPolicy
            | Op::ListUserPolicies
            | Op::AttachUserPolicy
            | Op::DetachUserPolicy
            | Op::ListAttachedUserPolicies
            | Op::PutUserPermissionsBoundary
            | Op::DeleteUserPermissionsBoundary => (
                EntityKind::User,
                Noun::User,
                Noun::UserPolicy,
                "UserName",
                2048,
            ),
            Op::PutGroupPolicy
            | Op::GetGroupPolicy
            | Op::DeleteGroupPolicy
            | Op::ListGroupPolicies
            | Op::AttachGroupPolicy
            | Op::DetachGroupPolicy
            | Op::ListAttachedGroupPolicies => (
                EntityKind::Group,
                Noun::Group,
                Noun::GroupPolicy,
                "GroupName",
                5120,
            ),
            _ => (
                EntityKind::Role,
                Noun::Role,
                Noun::RolePolicy,
                "RoleName",
                10_240,
            ),
        };
        Self {
            kind,
            noun,
            policy_noun,
            param,
            inline_quota,
        }
    }

    /// [`Owner::authorized`] for an operation that changes the owner's policies: a
    /// service-linked role's are refused.
    async fn authorized_to_change(self, call: &Call<'_>) -> Result<Entity, AwsError> {
        let entity = self.authorized(call).await?;
        self.changeable(&entity)?;
        Ok(entity)
    }

    /// Refuses a change to the policies of a service-linked role, as AWS does.
    fn changeable(self, entity: &Entity) -> Result<(), AwsError> {
        if self.kind == EntityKind::Role {
            super::service_linked::protect(entity)?;
        }
        Ok(())
    }

    /// Authorizes the operation on the owner, then requires it to exist.
    async fn authorized(self, call: &Call<'_>) -> Result<Entity, AwsError> {
        self.authorized_with(call, |_| {}).await
    }

    /// [`Owner::authorized`] with extra context keys for the decision.
    async fn authorized_with(
        self,
        call: &Call<'_>,
        extra: impl FnOnce(&mut rolecall_policy::Context),
    ) -> Result<Entity, AwsError> {
        let name = call.req(self.param);
        super::authorized_entity_with(
            call,
            self.kind,
            self.noun,
            name,
            call.op.iam_action(),
            extra,
        )
        .await
    }
}

/// The shared start of Attach…Policy, Detach…Policy and Put…PermissionsBoundary: authorizes
/// the operation on the owner with the managed policy ARN in `param` as `context_key`, then
/// requires the owner to exist and its policies to be changeable.
async fn owner_and_policy<'c>(
    call: &'c Call<'_>,
    param: &str,
    context_key: &str,
) -> Result<(Owner, Entity, &'c str), AwsError> {
    let owner = Owner::of(call.op);
    let arn = call.req(param);
    let entity = owner
        .authorized_with(call, |ctx| ctx.set(context_key, arn))
        .await?;
    owner.changeable(&entity)?;
    Ok((owner, entity, arn))
}

pub(crate) async fn put_inline(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let entity = owner.authorized_to_change(call).await?;
    let doc = call.req("PolicyDocument");
    parse_policy(doc, PolicyKind::Inline).map_err(|e| AwsError::malformed_policy(e.message))?;
    let quota = owner.inline_quota;
    call.app
        .store()
        .put_inline_policy(
            call.account(),
            owner.kind,
            &entity.name,
            call.req("PolicyName"),
            doc,
            quota,
        )
        .await
        .map_err(|e| match e {
            StoreError::LimitExceeded => AwsError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "Maximum policy size of {quota} bytes exceeded for {} {}",
                    owner.kind.owner_kind(),
                    entity.name
                ),
            ),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn get_inline(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let entity = owner.authorized(call).await?;
    let name = call.req("PolicyName");
    let policies = call
        .app
        .store()
        .inline_policies(call.account(), owner.kind, &entity.name)
        .await
        .map_err(store_failure)?;
    let (_, doc) = policies
        .into_iter()
        .find(|(n, _)| n == name)
        .ok_or_else(|| no_such(owner.policy_noun, name))?;
    let mut w = XmlWriter::new();
    w.elem(owner.param, &entity.name);
    w.elem("PolicyName", name);
    w.elem("PolicyDocument", &url_encode(&doc));
    Ok(Some(w))
}

pub(crate) async fn delete_inline(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let entity = owner.authorized_to_change(call).await?;
    let name = call.req("PolicyName");
    call.app
        .store()
        .delete_inline_policy(call.account(), owner.kind, &entity.name, name)
        .await
        .map_err(on_entity(owner.policy_noun, name))?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_inline(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let (marker, max) = call.paging();
    let entity = owner.authorized(call).await?;
    let names: Vec<String> = call
        .app
        .store()
        .inline_policies(call.account(), owner.kind, &entity.name)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let (names, next) = crate::call::page_of(names, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.string_list("PolicyNames", &names);
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn attach(call: &Call<'_>) -> Reply {
    let (owner, entity, arn) = owner_and_policy(call, "PolicyArn", "iam:PolicyARN").await?;
    require_policy(call, arn).await?;
    let quota = match owner.kind {
        EntityKind::User => "PoliciesPerUser",
        EntityKind::Group => "PoliciesPerGroup",
        _ => "PoliciesPerRole",
    };
    call.app
        .store()
        .attach_policy(call.account(), owner.kind, &entity.name, arn)
        .await
        .map_err(|e| match e {
            StoreError::LimitExceeded => AwsError::new(
                ErrorKind::LimitExceeded,
                format!("Cannot exceed quota for {quota}: 10"),
            ),
            // The policy or the owner went away meanwhile.
            StoreError::PolicyNotFound => not_attachable(arn),
            other => on_entity(owner.noun, &entity.name)(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn detach(call: &Call<'_>) -> Reply {
    let (owner, entity, arn) = owner_and_policy(call, "PolicyArn", "iam:PolicyARN").await?;
    call.app
        .store()
        .detach_policy(call.account(), owner.kind, &entity.name, arn)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AwsError::no_such_entity(format!("Policy {arn} was not found."))
            }
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_attached(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let (marker, max) = call.paging();
    let entity = owner.authorized(call).await?;
    let prefix = call.get("PathPrefix").unwrap_or("/");
    let attached: Vec<(String, String, String)> = call
        .app
        .store()
        .attached_policies(call.account(), owner.kind, &entity.name)
        .await
        .map_err(store_failure)?
        .into_iter()
        .filter(|(_, _, path)| path.starts_with(prefix))
        .collect();
    let (attached, next) = crate::call::page_of(attached, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.list("AttachedPolicies", &attached, |w, (name, arn, _)| {
        w.elem("PolicyName", name);
        w.elem("PolicyArn", arn);
    });
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

pub(crate) async fn put_boundary(call: &Call<'_>) -> Reply {
    let (owner, entity, arn) =
        owner_and_policy(call, "PermissionsBoundary", "iam:PermissionsBoundary").await?;
    require_policy(call, arn).await?;
    call.app
        .store()
        .set_boundary(owner.kind, call.account(), &entity.name, Some(arn))
        .await
        .map_err(|e| match e {
            // The policy or the owner went away meanwhile.
            StoreError::PolicyNotFound => not_attachable(arn),
            other => on_entity(owner.noun, &entity.name)(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn delete_boundary(call: &Call<'_>) -> Reply {
    let owner = Owner::of(call.op);
    let entity = owner.authorized_to_change(call).await?;
    if entity.boundary_arn.is_none() {
        return Err(AwsError::no_such_entity(format!(
            "The {} with name {} has no permissions boundary.",
            owner.kind.owner_kind(),
            entity.name
        )));
    }
    call.app
        .store()
        .set_boundary(owner.kind, call.account(), &entity.name, None)
        .await
        .map_err(on_entity(owner.noun, &entity.name))?;
    call.wrote();
    Ok(None)
}
