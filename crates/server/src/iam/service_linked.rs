//! Service-linked roles: CreateServiceLinkedRole for the services in the generated table,
//! DeleteServiceLinkedRole and GetServiceLinkedRoleDeletionStatus, and the protection that
//! keeps the ordinary role operations from changing or deleting such a role.
//!
//! A service-linked role is a role under the path `/aws-service-role/`, which only
//! CreateServiceLinkedRole can use (CreateRole refuses it, as AWS does). Its trust policy
//! names the service principal; the AWS managed policies the service attaches are attached
//! when the server has them. Deletion completes at once; its task is remembered in memory
//! (like AWS, which forgets finished tasks after a while, the server forgets them on restart
//! or after [`TASKS_KEPT`] more).

mod table;

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use rolecall_arn::{Arn, IdKind};
use rolecall_store::{Entity, EntityKind, Role};
use rolecall_wire::{AwsError, ErrorKind, XmlWriter};

use super::roles::{RoleView, write_role};
use super::{authorized_entity, find};
use crate::call::{Call, Reply};
use crate::errors::{Noun, no_such, on_entity, store_failure};

/// The path prefix of every service-linked role.
const PATH_PREFIX: &str = "/aws-service-role/";

/// How many finished deletion tasks the server remembers.
pub(crate) const TASKS_KEPT: usize = 10_000;

/// Whether a role is service-linked.
pub(crate) fn is_service_linked(role: &Entity) -> bool {
    role.path.starts_with(PATH_PREFIX)
}

/// Refuses to change or delete a service-linked role through an ordinary role operation,
/// in AWS's words.
///
/// # Errors
/// `UnmodifiableEntity` for a service-linked role.
pub(crate) fn protect(role: &Entity) -> Result<(), AwsError> {
    if is_service_linked(role) {
        return Err(AwsError::new(
            ErrorKind::UnmodifiableEntity,
            format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            ),
        ));
    }
    Ok(())
}

/// UpdateRole's `MaxSessionDuration` on a service-linked role (its description can change).
///
/// # Errors
/// `UnmodifiableEntity` for a service-linked role, in AWS's words.
pub(crate) fn protect_session_duration(role: &Entity) -> Result<(), AwsError> {
    if is_service_linked(role) {
        return Err(AwsError::new(
            ErrorKind::UnmodifiableEntity,
            format!(
                "{} is an AWS service linked role, max session duration cannot be changed.",
                role.name
            ),
        ));
    }
    Ok(())
}

/// CreateRole's `Path`: the service-linked roles' prefix is reserved to them.
///
/// # Errors
/// `InvalidInput` in AWS's words.
pub(crate) fn path_not_reserved(path: &str) -> Result<(), AwsError> {
    if path.starts_with(PATH_PREFIX) {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            format!("Path prefix '{PATH_PREFIX}' can only be used for AWS Service linked Roles"),
        ));
    }
    Ok(())
}

/// The deletion tasks that finished, by account, oldest first.
#[derive(Debug, Default)]
pub(crate) struct DeletionTasks {
    inner: Mutex<Tasks>,
}

#[derive(Debug, Default)]
struct Tasks {
    known: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
}

impl DeletionTasks {
    fn record(&self, account: &str, task: &str) {
        let mut t = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (account.to_owned(), task.to_owned());
        if t.known.insert(key.clone()) {
            t.order.push_back(key);
        }
        while t.order.len() > TASKS_KEPT {
            if let Some(old) = t.order.pop_front() {
                t.known.remove(&old);
            }
        }
    }

    fn finished(&self, account: &str, task: &str) -> bool {
        let t = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        t.known.contains(&(account.to_owned(), task.to_owned()))
    }
}

/// A service principal as the table writes them.
fn service_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
}

/// A character of IAM's names (`[\w+=,.@-]`, ASCII).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// The service and role name of a deletion task id,
/// `task/aws-service-role/<service>/<role name>/<uuid>`.
fn parse_task(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("task")?.strip_prefix(PATH_PREFIX)?;
    let mut parts = rest.split('/');
    let (service, name, task) = (parts.next()?, parts.next()?, parts.next()?);
    let service_ok = !service.is_empty() && service.chars().all(service_char);
    let name_ok = (1..=64).contains(&name.len()) && name.chars().all(name_char);
    let task_ok = task.len() == 36 && uuid::Uuid::try_parse(task).is_ok();
    (parts.next().is_none() && service_ok && name_ok && task_ok).then_some((service, name))
}

/// AWS's answer when a service-linked role's name is taken.
fn name_taken(name: &str) -> AwsError {
    AwsError::new(
        ErrorKind::InvalidInput,
        format!(
            "Service role name {name} has been taken in this account, please try a different suffix."
        ),
    )
}

/// The trust policy of a service's role, as IAM stores and shows it.
fn trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// The same trust policy as CreateServiceLinkedRole's answer writes it: the members in
/// alphabetical order and the action and the principal as lists.
fn created_trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{{"Service":["{service}"]}}}}]}}"#
    )
}

pub(crate) async fn create_service_linked_role(call: &Call<'_>) -> Reply {
    let service = call.req("AWSServiceName");
    let Some(&(_, base, suffix_allowed, policies)) =
        table::SERVICES.iter().find(|(s, ..)| *s == service)
    else {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            format!("Unrecognized service principal: {service}"),
        ));
    };
    let name = match call.get("CustomSuffix") {
        None => base.to_owned(),
        Some(_) if !suffix_allowed => {
            return Err(AwsError::new(
                ErrorKind::InvalidInput,
                format!("Custom suffix is not allowed for {service}"),
            ));
        }
        Some(suffix) => format!("{base}_{suffix}"),
    };
    if name.len() > 64 {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            format!("The role name {name} is longer than 64 characters."),
        ));
    }
    let path = format!("{PATH_PREFIX}{service}/");
    let arn = Arn::iam(call.account(), "role", &path, &name).to_string();
    call.authorize_with("iam:CreateServiceLinkedRole", &arn, &arn, |ctx| {
        ctx.set("iam:AWSServiceName", service);
    })?;
    if find(call, EntityKind::Role, &name).await?.is_some() {
        return Err(name_taken(&name));
    }
    let role = Role {
        entity: Entity {
            account_id: call.account().to_owned(),
            name: name.clone(),
            path,
            id: rolecall_arn::new_id(IdKind::Role),
            created_at: call.now.unix_timestamp(),
            boundary_arn: None,
        },
        trust_policy: trust_policy(service),
        description: call.get("Description").map(str::to_owned),
        max_session_duration: 3600,
        last_used_at: None,
    };
    let store = call.app.store();
    store.create_role(&role).await.map_err(|e| match e {
        rolecall_store::StoreError::AlreadyExists => name_taken(&name),
        other => store_failure(other),
    })?;
    // The service's AWS managed policies, those the server has (the others are left out, not
    // invented), each stored for the attachment to refer to, as AttachRolePolicy stores it.
    for policy in policies {
        if crate::aws_policies::store_attachable(store, policy).await? {
            store
                .attach_policy(call.account(), EntityKind::Role, &name, policy)
                .await
                .map_err(store_failure)?;
        }
    }
    call.wrote();
    let shown = Role {
        trust_policy: created_trust_policy(service),
        ..role
    };
    let mut w = XmlWriter::new();
    write_role(call, &mut w, "Role", &shown, RoleView::Written).await?;
    Ok(Some(w))
}

pub(crate) async fn delete_service_linked_role(call: &Call<'_>) -> Reply {
    let name = call.req("RoleName");
    let role = authorized_entity(
        call,
        EntityKind::Role,
        Noun::Role,
        name,
        "iam:DeleteServiceLinkedRole",
    )
    .await?;
    // Only a service-linked role is deleted here (the operation's one "not found" error).
    if !is_service_linked(&role) {
        return Err(no_such(Noun::Role, name));
    }
    let store = call.app.store();
    for (_, policy, _) in store
        .attached_policies(call.account(), EntityKind::Role, &role.name)
        .await
        .map_err(store_failure)?
    {
        store
            .detach_policy(call.account(), EntityKind::Role, &role.name, &policy)
            .await
            .map_err(store_failure)?;
    }
    store
        .delete_entity(EntityKind::Role, call.account(), &role.name)
        .await
        .map_err(on_entity(Noun::Role, &role.name))?;
    call.wrote();
    let task = format!("task{}{}/{}", role.path, role.name, uuid::Uuid::new_v4());
    call.app.deletion_tasks().record(call.account(), &task);
    let mut w = XmlWriter::new();
    w.elem("DeletionTaskId", &task);
    Ok(Some(w))
}

pub(crate) async fn get_service_linked_role_deletion_status(call: &Call<'_>) -> Reply {
    let id = call.req("DeletionTaskId");
    let (service, name) =
        parse_task(id).ok_or_else(|| AwsError::new(ErrorKind::InvalidInput, "Invalid task id"))?;
    let arn = Arn::iam(
        call.account(),
        "role",
        &format!("{PATH_PREFIX}{service}/"),
        name,
    )
    .to_string();
    call.authorize("iam:GetServiceLinkedRoleDeletionStatus", &arn, &arn)?;
    if !call.app.deletion_tasks().finished(call.account(), id) {
        return Err(AwsError::no_such_entity(
            "Cannot find deletion status for given id.",
        ));
    }
    let mut w = XmlWriter::new();
    w.elem("Status", "SUCCEEDED");
    Ok(Some(w))
}

#[cfg(test)]
mod tests {
    use super::{parse_task, table};

    #[test]
    fn the_table_holds_every_service_of_the_reference_once() {
        assert_eq!(table::SERVICES.len(), 71);
        let mut services: Vec<&str> = table::SERVICES.iter().map(|(s, ..)| *s).collect();
        services.dedup();
        assert_eq!(services.len(), 71);
    }

    #[test]
    fn task_ids_are_read_strictly() {
        let ok = "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_x/cc20023b-069d-4d01-96e3-a2e91d74f1f8";
        assert_eq!(
            parse_task(ok),
            Some((
                "autoscaling.amazonaws.com",
                "AWSServiceRoleForAutoScaling_x"
            ))
        );
        for bad in [
            "not-a-task",
            "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            "task/aws-service-role/autoscaling.amazonaws.com/R/not-a-uuid",
            "task/aws-service-role//R/cc20023b-069d-4d01-96e3-a2e91d74f1f8",
            "task/aws-service-role/a/R/cc20023b-069d-4d01-96e3-a2e91d74f1f8/x",
            "task/aws-service-role/A/R/cc20023b-069d-4d01-96e3-a2e91d74f1f8",
            "task/aws-service-role/a/R*/cc20023b-069d-4d01-96e3-a2e91d74f1f8",
        ] {
            assert_eq!(parse_task(bad), None, "{bad}");
        }
    }
}
