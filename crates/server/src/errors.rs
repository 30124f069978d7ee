//! AWS errors with IAM's messages: store failures, missing and duplicate entities, and the
//! AccessDenied message of a refused action.

use rolecall_store::{Conflict, StoreError};
use rolecall_wire::{AwsError, ErrorKind};

use crate::principal::Principal;

/// `User: ARN is not authorized to perform: ACTION[ on resource: R] REASON`.
pub(crate) fn denied_message(p: &Principal, action: &str, display: &str, reason: &str) -> String {
    let mut m = format!(
        "User: {} is not authorized to perform: {action}",
        p.caller.arn
    );
    if !display.is_empty() {
        m.push_str(" on resource: ");
        m.push_str(display);
    }
    if !reason.is_empty() {
        m.push(' ');
        m.push_str(reason);
    }
    m
}

/// An unexpected store failure: logged here, reported to the client as an internal error.
#[allow(clippy::needless_pass_by_value)] // Used as `.map_err(store_failure)`, which passes by value.
pub(crate) fn store_failure(e: StoreError) -> AwsError {
    tracing::error!(error = %e, "store failure");
    AwsError::new(
        ErrorKind::InternalFailure,
        "We encountered an internal error. Please try again.",
    )
}

/// The entity kinds IAM names in its messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Noun {
    User,
    Group,
    Role,
    InstanceProfile,
    UserPolicy,
    GroupPolicy,
    RolePolicy,
}

pub(crate) fn no_such(noun: Noun, name: &str) -> AwsError {
    let message = match noun {
        Noun::User => format!("The user with name {name} cannot be found."),
        Noun::Group => format!("The group with name {name} cannot be found."),
        Noun::Role => format!("The role with name {name} cannot be found."),
        Noun::InstanceProfile => format!("Instance Profile {name} cannot be found."),
        Noun::UserPolicy => format!("The user policy with name {name} cannot be found."),
        Noun::GroupPolicy => format!("The group policy with name {name} cannot be found."),
        Noun::RolePolicy => format!("The role policy with name {name} cannot be found."),
    };
    AwsError::no_such_entity(message)
}

pub(crate) fn already_exists(noun: Noun, name: &str) -> AwsError {
    let message = match noun {
        Noun::User => format!("User with name {name} already exists."),
        Noun::Group => format!("Group with name {name} already exists."),
        Noun::Role => format!("Role with name {name} already exists."),
        Noun::InstanceProfile => format!("Instance Profile {name} already exists."),
        Noun::UserPolicy | Noun::GroupPolicy | Noun::RolePolicy => {
            format!("Policy {name} already exists.")
        }
    };
    AwsError::new(ErrorKind::EntityAlreadyExists, message)
}

pub(crate) fn conflict(c: Conflict) -> AwsError {
    let message = match c {
        Conflict::AccessKeys => "Cannot delete entity, must delete access keys first.",
        Conflict::AttachedPolicies => "Cannot delete entity, must detach all policies first.",
        Conflict::InlinePolicies => "Cannot delete entity, must delete policies first.",
        Conflict::GroupMembership => "Cannot delete entity, must remove users from group first.",
        Conflict::MfaDevices => "Cannot delete entity, must delete MFA device first.",
        Conflict::InstanceProfiles => {
            "Cannot delete entity, must remove roles from instance profile first."
        }
        Conflict::PolicyAttached => "Cannot delete a policy attached to entities.",
        Conflict::PolicyVersions => {
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
        }
        Conflict::DefaultVersion => "Cannot delete the default version of a policy.",
        Conflict::PolicyIsBoundary => "Cannot delete a policy used as a permissions boundary.",
    };
    AwsError::new(ErrorKind::DeleteConflict, message)
}

/// Maps a store error for an operation on a named entity.
pub(crate) fn on_entity(noun: Noun, name: &str) -> impl FnOnce(StoreError) -> AwsError + '_ {
    move |e| match e {
        StoreError::NotFound => no_such(noun, name),
        StoreError::AlreadyExists => already_exists(noun, name),
        StoreError::Conflict(c) => conflict(c),
        other => store_failure(other),
    }
}

/// Maps a store error for renaming an entity: a name already taken is reported under the new
/// name, anything else under the current one.
pub(crate) fn on_rename<'a>(
    noun: Noun,
    name: &'a str,
    new_name: Option<&'a str>,
) -> impl FnOnce(StoreError) -> AwsError + 'a {
    move |e| {
        if matches!(e, StoreError::AlreadyExists) {
            on_entity(noun, new_name.unwrap_or(name))(e)
        } else {
            on_entity(noun, name)(e)
        }
    }
}
