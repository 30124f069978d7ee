//! Store failures turned into AWS errors with IAM's messages.

use rolecall_store::{Conflict, StoreError};
use rolecall_wire::{AwsError, ErrorKind};

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
