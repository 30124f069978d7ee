//! Managed policies and their versions, and the entities they are attached to.

use rolecall_arn::{Arn, IdKind};
use rolecall_policy::{PolicyKind, non_whitespace_len, parse_policy};
use rolecall_store::{ManagedPolicy, Page, PolicyScope, StoreError};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use super::{to_tags, write_tags};
use crate::aws_policies;
use crate::call::{Call, Reply, iso, truncation, url_encode};
use crate::errors::{conflict, store_failure};

const MANAGED_SIZE_LIMIT: usize = 6144;

/// The managed policy an ARN names, if the caller's account can see it (its own or AWS's,
/// the latter with the account's own use of it).
pub(crate) async fn visible_policy(
    call: &Call<'_>,
    arn: &str,
) -> Result<Option<ManagedPolicy>, AwsError> {
    if let Some(aws) = aws_policies::find(arn) {
        let usage = call
            .app
            .store()
            .policy_usage(call.account())
            .await
            .map_err(store_failure)?;
        return Ok(Some(
            aws.managed_policy(usage.get(arn).copied().unwrap_or_default()),
        ));
    }
    let p = call
        .app
        .store()
        .get_managed_policy(arn)
        .await
        .map_err(store_failure)?;
    Ok(p.filter(|p| p.account_id == call.account()))
}

/// The managed policy an ARN names, to be attached or set as a boundary, or `NoSuchEntity` in
/// IAM's words (also for an AWS managed policy that is not attachable). An AWS managed policy
/// is stored from here on, for the attachment or boundary to refer to.
pub(crate) async fn require_policy(call: &Call<'_>, arn: &str) -> Result<ManagedPolicy, AwsError> {
    let missing = || not_attachable(arn);
    if let Some(aws) = aws_policies::find(arn) {
        if !aws_policies::store_attachable(call.app.store(), arn).await? {
            return Err(missing());
        }
        return Ok(aws.managed_policy(rolecall_store::PolicyUsage::default()));
    }
    visible_policy(call, arn).await?.ok_or_else(missing)
}

/// IAM's refusal of a policy to attach or set as a boundary that does not exist (or is gone
/// by the time it is written).
pub(crate) fn not_attachable(arn: &str) -> AwsError {
    AwsError::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// Writes a policy's members; `Description` only where AWS shows it (GetPolicy), not in
/// CreatePolicy's or ListPolicies' answers.
fn write_policy(w: &mut XmlWriter, p: &ManagedPolicy, with_description: bool) {
    w.elem("PolicyName", &p.name);
    w.elem("PolicyId", &p.id);
    w.elem("Arn", &p.arn);
    w.elem("Path", &p.path);
    w.elem("DefaultVersionId", &p.default_version);
    w.num("AttachmentCount", p.attachment_count);
    w.num("PermissionsBoundaryUsageCount", p.boundary_usage_count);
    w.bool("IsAttachable", aws_policies::is_attachable(p));
    if with_description {
        w.opt("Description", p.description.as_deref());
    }
    w.elem("CreateDate", &iso(p.created_at));
    w.elem("UpdateDate", &iso(p.updated_at));
}

fn check_managed_document(doc: &str) -> Result<(), AwsError> {
    parse_policy(doc, PolicyKind::Managed).map_err(|e| AwsError::malformed_policy(e.message))?;
    if non_whitespace_len(doc) > MANAGED_SIZE_LIMIT {
        return Err(AwsError::new(
            ErrorKind::LimitExceeded,
            format!("Cannot exceed quota for PolicySize: {MANAGED_SIZE_LIMIT}"),
        ));
    }
    Ok(())
}

pub(crate) async fn create_policy(call: &Call<'_>) -> Reply {
    let tags = call.tags()?;
    let name = call.req("PolicyName");
    let path = call.get("Path").unwrap_or("/");
    let arn = Arn::iam(call.account(), "policy", path, name).to_string();
    call.authorize_with("iam:CreatePolicy", &arn, &format!("policy {name}"), |ctx| {
        crate::call::with_request_tags(ctx, &tags)
    })?;
    let doc = call.req("PolicyDocument");
    check_managed_document(doc)?;
    let now = call.now.unix_timestamp();
    let policy = ManagedPolicy {
        arn: arn.clone(),
        account_id: call.account().to_owned(),
        name: name.to_owned(),
        path: path.to_owned(),
        id: rolecall_arn::new_id(IdKind::Policy),
        default_version: "v1".into(),
        description: call.get("Description").map(str::to_owned),
        created_at: now,
        updated_at: now,
        attachment_count: 0,
        boundary_usage_count: 0,
    };
    let store = call.app.store();
    store
        .create_managed_policy(&policy, doc)
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists => AwsError::new(
                ErrorKind::EntityAlreadyExists,
                format!("A policy called {name} already exists. Duplicate names are not allowed."),
            ),
            other => store_failure(other),
        })?;
    super::tag_new(call, "policy", &arn, &tags).await?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("Policy");
    write_policy(&mut w, &policy, false);
    if !tags.is_empty() {
        write_tags(&mut w, &to_tags(&tags));
    }
    w.close("Policy");
    Ok(Some(w))
}

/// Authorizes an action on a managed policy, then requires it to exist.
async fn authorized_policy(call: &Call<'_>, action: &str) -> Result<ManagedPolicy, AwsError> {
    let arn = call.req("PolicyArn");
    call.authorize(action, arn, arn)?;
    visible_policy(call, arn)
        .await?
        .ok_or_else(|| AwsError::no_such_entity(format!("Policy {arn} was not found.")))
}

pub(crate) async fn get_policy(call: &Call<'_>) -> Reply {
    let p = authorized_policy(call, "iam:GetPolicy").await?;
    let tags = call
        .app
        .store()
        .tags(call.account(), "policy", &p.arn)
        .await
        .map_err(store_failure)?;
    let mut w = XmlWriter::new();
    w.open("Policy");
    write_policy(&mut w, &p, true);
    if !tags.is_empty() {
        write_tags(&mut w, &tags);
    }
    w.close("Policy");
    Ok(Some(w))
}

pub(crate) async fn list_policies(call: &Call<'_>) -> Reply {
    super::listing::list_by_path(
        call,
        "policy",
        "Policies",
        (
            match call.get("Scope") {
                Some("AWS") => PolicyScope::Aws,
                Some("Local") => PolicyScope::Local,
                _ => PolicyScope::All,
            },
            call.flag("OnlyAttached").unwrap_or(false),
        ),
        async |q| {
            let (scope, only_attached) = q.filters;
            let store = call.app.store();
            let marker = q.marker.as_deref();
            // The account's own policies come first (their ARNs sort before `arn:aws:iam::aws:`),
            // then AWS's from the embedded set.
            let in_aws = marker.is_some_and(|m| aws_policies::find(m).is_some());
            let mut items = Vec::new();
            if scope != PolicyScope::Aws && !in_aws {
                let own = store
                    .list_managed_policies(
                        call.account(),
                        PolicyScope::Local,
                        only_attached,
                        &q.prefix,
                        marker,
                        q.max,
                    )
                    .await?;
                if scope == PolicyScope::Local || own.next.is_some() {
                    return Ok(own);
                }
                items = own.items;
            }
            let usage = store.policy_usage(call.account()).await?;
            let want = usize::try_from(q.max.max(1)).unwrap_or(100);
            let mut next = None;
            for aws in aws_policies::listed_after(marker.filter(|_| in_aws)) {
                if !aws.path.starts_with(q.prefix.as_str()) {
                    continue;
                }
                let used = usage.get(&aws.arn()).copied().unwrap_or_default();
                if only_attached && used.attachments == 0 {
                    continue;
                }
                if items.len() == want {
                    next = items.last().map(|p: &ManagedPolicy| p.arn.clone());
                    break;
                }
                items.push(aws.managed_policy(used));
            }
            Ok(Page { items, next })
        },
        |_, w, p| {
            write_policy(w, p, false);
            Box::pin(async { Ok(()) })
        },
    )
    .await
}

pub(crate) fn own_policy(call: &Call<'_>, p: &ManagedPolicy) -> Result<(), AwsError> {
    if p.account_id == call.account() {
        Ok(())
    } else {
        Err(AwsError::new(
            ErrorKind::InvalidInput,
            format!(
                "Policy {} is an AWS managed policy and cannot be changed.",
                p.arn
            ),
        ))
    }
}

pub(crate) async fn delete_policy(call: &Call<'_>) -> Reply {
    let p = authorized_policy(call, "iam:DeletePolicy").await?;
    own_policy(call, &p)?;
    call.app
        .store()
        .delete_managed_policy(&p.arn)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(c) => conflict(c),
            StoreError::PolicyNotFound => {
                AwsError::no_such_entity(format!("Policy {} was not found.", p.arn))
            }
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

fn write_version(w: &mut XmlWriter, v: &rolecall_store::PolicyVersion, with_document: bool) {
    if with_document {
        w.elem("Document", &url_encode(&v.document));
    }
    w.elem("VersionId", &v.version_id);
    w.bool("IsDefaultVersion", v.is_default);
    w.elem("CreateDate", &iso(v.created_at));
}

pub(crate) async fn create_policy_version(call: &Call<'_>) -> Reply {
    let set_default = call.flag("SetAsDefault").unwrap_or(false);
    let p = authorized_policy(call, "iam:CreatePolicyVersion").await?;
    own_policy(call, &p)?;
    let doc = call.req("PolicyDocument");
    check_managed_document(doc)?;
    let id = call.app.store().create_policy_version(&p.arn, doc, set_default, call.now.unix_timestamp()).await.map_err(|e| match e {
        StoreError::LimitExceeded => AwsError::new(
            ErrorKind::LimitExceeded,
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
        ),
        other => store_failure(other),
    })?;
    call.wrote();
    let mut w = XmlWriter::new();
    w.open("PolicyVersion");
    w.elem("VersionId", &id);
    w.bool("IsDefaultVersion", set_default);
    w.elem("CreateDate", &iso(call.now.unix_timestamp()));
    w.close("PolicyVersion");
    Ok(Some(w))
}

fn no_such_version(arn: &str, id: &str) -> AwsError {
    AwsError::no_such_entity(format!(
        "Policy {arn} version {id} does not exist or is not attachable."
    ))
}

/// A policy's versions, newest first. An AWS managed policy shows its default version, as
/// the embedded set has it (its document read only `with_document`).
async fn versions_of(
    call: &Call<'_>,
    p: &ManagedPolicy,
    with_document: bool,
) -> Result<Vec<rolecall_store::PolicyVersion>, AwsError> {
    if let Some(aws) = aws_policies::find(&p.arn) {
        return Ok(vec![rolecall_store::PolicyVersion {
            version_id: aws.default_version.to_owned(),
            document: if with_document {
                aws.document()?.to_owned()
            } else {
                String::new()
            },
            created_at: aws.updated_at,
            is_default: true,
        }]);
    }
    call.app
        .store()
        .policy_versions(&p.arn)
        .await
        .map_err(store_failure)
}

pub(crate) async fn get_policy_version(call: &Call<'_>) -> Reply {
    let p = authorized_policy(call, "iam:GetPolicyVersion").await?;
    let id = call.req("VersionId");
    let versions = versions_of(call, &p, true).await?;
    let version = versions
        .iter()
        .find(|v| v.version_id == id)
        .ok_or_else(|| no_such_version(&p.arn, id))?;
    let mut w = XmlWriter::new();
    w.open("PolicyVersion");
    write_version(&mut w, version, true);
    w.close("PolicyVersion");
    Ok(Some(w))
}

pub(crate) async fn list_policy_versions(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let p = authorized_policy(call, "iam:ListPolicyVersions").await?;
    let versions = versions_of(call, &p, false).await?;
    let (versions, next) = crate::call::page_of(versions, marker.as_deref(), max)?;
    let mut w = XmlWriter::new();
    w.list("Versions", &versions, |w, v| write_version(w, v, false));
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}

/// The shared start of DeletePolicyVersion and SetDefaultPolicyVersion: authorizes the
/// operation on the policy, requires it to exist and to be the account's own.
async fn own_version<'c>(call: &'c Call<'_>) -> Result<(ManagedPolicy, &'c str), AwsError> {
    let p = authorized_policy(call, call.op.iam_action()).await?;
    own_policy(call, &p)?;
    Ok((p, call.req("VersionId")))
}

pub(crate) async fn delete_policy_version(call: &Call<'_>) -> Reply {
    let (p, id) = own_version(call).await?;
    call.app
        .store()
        .delete_policy_version(&p.arn, id)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(c) => conflict(c),
            StoreError::NotFound => no_such_version(&p.arn, id),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn set_default_policy_version(call: &Call<'_>) -> Reply {
    let (p, id) = own_version(call).await?;
    call.app
        .store()
        .set_default_policy_version(&p.arn, id, call.now.unix_timestamp())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_version(&p.arn, id),
            other => store_failure(other),
        })?;
    call.wrote();
    Ok(None)
}

pub(crate) async fn list_entities_for_policy(call: &Call<'_>) -> Reply {
    let (marker, max) = call.paging();
    let p = authorized_policy(call, "iam:ListEntitiesForPolicy").await?;
    let filter = call.get("EntityFilter");
    let entities = call
        .app
        .store()
        .entities_for_policy(call.account(), &p.arn)
        .await
        .map_err(store_failure)?;
    let (entities, next) = crate::call::page_of(entities, marker.as_deref(), max)?;
    let pick = |kind: &str| -> Vec<(String, String)> {
        let wanted = filter.is_none_or(|f| f.eq_ignore_ascii_case(kind));
        entities
            .iter()
            .filter(|(k, _, _)| wanted && k == kind)
            .map(|(_, n, id)| (n.clone(), id.clone()))
            .collect()
    };
    let mut w = XmlWriter::new();
    for (element, kind, name_el, id_el) in [
        ("PolicyGroups", "group", "GroupName", "GroupId"),
        ("PolicyUsers", "user", "UserName", "UserId"),
        ("PolicyRoles", "role", "RoleName", "RoleId"),
    ] {
        w.list(element, &pick(kind), |w, (n, id)| {
            w.elem(name_el, n);
            w.elem(id_el, id);
        });
    }
    truncation(&mut w, next.as_deref());
    Ok(Some(w))
}
