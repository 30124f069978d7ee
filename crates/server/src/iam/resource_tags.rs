//! The tag operations of instance profiles, customer managed policies and virtual MFA
//! devices (users and roles have theirs in `users`). Each authorizes the action on the
//! resource's ARN with the request's and the resource's tags in the context, then requires
//! the resource, as IAM checks them.

use rolecall_store::{EntityKind, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use super::{to_tags, write_tags};
use crate::call::{Call, Reply, page_of, truncation, with_request_tags, with_resource_tags};
use crate::errors::{Noun, store_failure};
use crate::ops::Op;

/// What a tag operation changes or lists.
enum Change {
    Tag(Vec<(String, String)>),
    Untag(Vec<String>),
    List,
}

impl Change {
    fn of(call: &Call<'_>) -> Result<Self, AwsError> {
        Ok(match call.op {
            Op::TagInstanceProfile | Op::TagPolicy | Op::TagMFADevice => Self::Tag(call.tags()?),
            Op::UntagInstanceProfile | Op::UntagPolicy | Op::UntagMFADevice => {
                Self::Untag(call.params.string_list("TagKeys")?)
            }
            _ => Self::List,
        })
    }

    /// The request's keys for the decision: `aws:RequestTag/*` and `aws:TagKeys`.
    fn add_to(&self, ctx: &mut rolecall_policy::Context) {
        match self {
            Self::Tag(tags) => with_request_tags(ctx, tags),
            Self::Untag(keys) => ctx.set_multi("aws:TagKeys", keys.clone()),
            Self::List => {}
        }
    }
}

/// A resource whose tags are stored under `(owner_kind, owner_key)`, and the quota name of
/// its tag limit.
struct Target {
    owner_kind: &'static str,
    owner_key: String,
    quota: &'static str,
}

/// The resource a tag operation names, after authorizing the operation on it and requiring
/// it to exist.
async fn authorized_target(call: &Call<'_>, change: &Change) -> Result<Target, AwsError> {
    let action = call.op.iam_action();
    match call.op {
        Op::TagInstanceProfile | Op::UntagInstanceProfile | Op::ListInstanceProfileTags => {
            let profile = super::authorized_entity_with(
                call,
                EntityKind::InstanceProfile,
                Noun::InstanceProfile,
                call.req("InstanceProfileName"),
                action,
                |ctx| change.add_to(ctx),
            )
            .await?;
            Ok(Target {
                owner_kind: EntityKind::InstanceProfile.owner_kind(),
                owner_key: profile.name,
                quota: "TagsPerInstanceProfile",
            })
        }
        Op::TagPolicy | Op::UntagPolicy | Op::ListPolicyTags => {
            let arn = call.req("PolicyArn");
            let tags = stored_tags(call, "policy", arn).await?;
            call.authorize_with(action, arn, arn, |ctx| {
                with_resource_tags(ctx, &tags);
                change.add_to(ctx);
            })?;
            let policy = super::policies::visible_policy(call, arn)
                .await?
                .ok_or_else(|| AwsError::no_such_entity(format!("Policy {arn} was not found.")))?;
            if !matches!(change, Change::List) {
                super::policies::own_policy(call, &policy)?;
            }
            Ok(Target {
                owner_kind: "policy",
                owner_key: policy.arn,
                quota: "TagsPerPolicy",
            })
        }
        _ => {
            let serial = call.req("SerialNumber");
            let tags = stored_tags(call, "mfa", serial).await?;
            call.authorize_with(action, serial, serial, |ctx| {
                with_resource_tags(ctx, &tags);
                change.add_to(ctx);
            })?;
            let device = super::mfa::device_for(call, serial).await?;
            Ok(Target {
                owner_kind: "mfa",
                owner_key: device.serial,
                quota: "TagsPerMFADevice",
            })
        }
    }
}

/// The tags stored for a resource, as `(key, value)` pairs for `aws:ResourceTag/*`.
async fn stored_tags(
    call: &Call<'_>,
    owner_kind: &str,
    owner_key: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    Ok(call
        .app
        .store()
        .tags(call.account(), owner_kind, owner_key)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect())
}

/// TagInstanceProfile, TagPolicy, TagMFADevice, their Untag* and List*Tags operations.
pub(crate) async fn tags(call: &Call<'_>) -> Reply {
    let change = Change::of(call)?;
    let paging = call.paging();
    let target = authorized_target(call, &change).await?;
    let store = call.app.store();
    let (account, kind, key) = (call.account(), target.owner_kind, &target.owner_key);
    match change {
        Change::Tag(tags) => {
            store
                .tag(account, kind, key, &to_tags(&tags))
                .await
                .map_err(|e| match e {
                    StoreError::LimitExceeded => AwsError::new(
                        ErrorKind::LimitExceeded,
                        format!("Cannot exceed quota for {}: 50", target.quota),
                    ),
                    other => store_failure(other),
                })?;
            call.wrote();
            Ok(None)
        }
        Change::Untag(keys) => {
            store
                .untag(account, kind, key, &keys)
                .await
                .map_err(store_failure)?;
            call.wrote();
            Ok(None)
        }
        Change::List => {
            let (marker, max) = paging;
            let all = store
                .tags(account, kind, key)
                .await
                .map_err(store_failure)?;
            let (page, next) = page_of(all, marker.as_deref(), max)?;
            let mut w = XmlWriter::new();
            write_tags(&mut w, &page);
            truncation(&mut w, next.as_deref());
            Ok(Some(w))
        }
    }
}
