//! Validates each operation's input, then routes it to its handler.

use rolecall_wire::{AwsError, Validator};

use crate::call::{Call, Reply};
use crate::iam::{
    account, groups, mfa, owner_policies, policies, resource_tags, roles, service_linked, simulate,
    users,
};
use crate::ops::Op;
use crate::sts;

/// Checks AWS makes on an operation's input that its model does not state. Each lives beside
/// its handler and says why; its failures join the model's in one `ValidationError`.
fn beyond_the_model(call: &Call<'_>, v: &mut Validator) -> Result<(), AwsError> {
    match call.op {
        Op::AssumeRole => {
            sts::session_policy_plaintext_limit(call, v);
            sts::policy_arns_limit(call, v)
        }
        Op::GetFederationToken => sts::policy_arns_limit(call, v),
        Op::CreateVirtualMFADevice => {
            mfa::device_name_fits_its_serial_number(call, v);
            Ok(())
        }
        Op::DeactivateMFADevice => {
            mfa::user_name_required(call, v);
            Ok(())
        }
        Op::SimulatePrincipalPolicy | Op::SimulateCustomPolicy => {
            simulate::one_boundary_at_most(call, v)?;
            simulate::context_entries_name_their_keys(call, v)
        }
        _ => Ok(()),
    }
}

/// Validates the input of `call.op` against its model shape and the checks beyond it, then
/// runs its handler.
pub(crate) async fn dispatch(call: &Call<'_>) -> Reply {
    let mut v = crate::input::validate(call.op, call.params)?;
    beyond_the_model(call, &mut v)?;
    v.finish()?;
    crate::arn_params::check(call)?;
    match call.op {
        // CloudTrail speaks the JSON protocol: `http` answers it before dispatch.
        Op::LookupEvents => Err(AwsError::new(
            rolecall_wire::ErrorKind::InvalidAction,
            "LookupEvents is served over the AWS JSON 1.1 protocol",
        )),
        Op::AssumeRole => sts::assume_role(call).await,
        Op::GetCallerIdentity => sts::get_caller_identity(call),
        Op::GetSessionToken => sts::get_session_token(call).await,
        Op::GetFederationToken => sts::get_federation_token(call).await,
        Op::GetAccessKeyInfo => sts::get_access_key_info(call),
        Op::CreateUser => users::create_user(call).await,
        Op::GetUser => users::get_user(call).await,
        Op::ListUsers => users::list_users(call).await,
        Op::UpdateUser => users::update_user(call).await,
        Op::DeleteUser => users::delete_user(call).await,
        Op::TagUser | Op::TagRole => users::tag(call).await,
        Op::UntagUser | Op::UntagRole => users::untag(call).await,
        Op::ListUserTags | Op::ListRoleTags => users::list_tags(call).await,
        Op::CreateAccessKey => users::create_access_key(call).await,
        Op::ListAccessKeys => users::list_access_keys(call).await,
        Op::UpdateAccessKey => users::update_access_key(call).await,
        Op::DeleteAccessKey => users::delete_access_key(call).await,
        Op::GetAccessKeyLastUsed => users::get_access_key_last_used(call).await,
        Op::CreateGroup => groups::create_group(call).await,
        Op::GetGroup => groups::get_group(call).await,
        Op::ListGroups => groups::list_groups(call).await,
        Op::UpdateGroup => groups::update_group(call).await,
        Op::DeleteGroup => groups::delete_group(call).await,
        Op::AddUserToGroup => groups::add_user_to_group(call).await,
        Op::RemoveUserFromGroup => groups::remove_user_from_group(call).await,
        Op::ListGroupsForUser => groups::list_groups_for_user(call).await,
        Op::CreateRole => roles::create_role(call).await,
        Op::GetRole => roles::get_role(call).await,
        Op::ListRoles => roles::list_roles(call).await,
        Op::UpdateRole | Op::UpdateRoleDescription => roles::update_role(call).await,
        Op::DeleteRole => roles::delete_role(call).await,
        Op::UpdateAssumeRolePolicy => roles::update_assume_role_policy(call).await,
        Op::CreateInstanceProfile => roles::create_instance_profile(call).await,
        Op::GetInstanceProfile => roles::get_instance_profile(call).await,
        Op::ListInstanceProfiles => roles::list_instance_profiles(call).await,
        Op::DeleteInstanceProfile => roles::delete_instance_profile(call).await,
        Op::AddRoleToInstanceProfile | Op::RemoveRoleFromInstanceProfile => {
            roles::change_instance_profile_role(call).await
        }
        Op::ListInstanceProfilesForRole => roles::list_instance_profiles_for_role(call).await,
        Op::CreateServiceLinkedRole => service_linked::create_service_linked_role(call).await,
        Op::DeleteServiceLinkedRole => service_linked::delete_service_linked_role(call).await,
        Op::GetServiceLinkedRoleDeletionStatus => {
            service_linked::get_service_linked_role_deletion_status(call).await
        }
        Op::PutUserPolicy | Op::PutGroupPolicy | Op::PutRolePolicy => {
            owner_policies::put_inline(call).await
        }
        Op::GetUserPolicy | Op::GetGroupPolicy | Op::GetRolePolicy => {
            owner_policies::get_inline(call).await
        }
        Op::DeleteUserPolicy | Op::DeleteGroupPolicy | Op::DeleteRolePolicy => {
            owner_policies::delete_inline(call).await
        }
        Op::ListUserPolicies | Op::ListGroupPolicies | Op::ListRolePolicies => {
            owner_policies::list_inline(call).await
        }
        Op::CreatePolicy => policies::create_policy(call).await,
        Op::GetPolicy => policies::get_policy(call).await,
        Op::ListPolicies => policies::list_policies(call).await,
        Op::DeletePolicy => policies::delete_policy(call).await,
        Op::CreatePolicyVersion => policies::create_policy_version(call).await,
        Op::GetPolicyVersion => policies::get_policy_version(call).await,
        Op::ListPolicyVersions => policies::list_policy_versions(call).await,
        Op::DeletePolicyVersion => policies::delete_policy_version(call).await,
        Op::SetDefaultPolicyVersion => policies::set_default_policy_version(call).await,
        Op::ListEntitiesForPolicy => policies::list_entities_for_policy(call).await,
        Op::AttachUserPolicy | Op::AttachGroupPolicy | Op::AttachRolePolicy => {
            owner_policies::attach(call).await
        }
        Op::DetachUserPolicy | Op::DetachGroupPolicy | Op::DetachRolePolicy => {
            owner_policies::detach(call).await
        }
        Op::ListAttachedUserPolicies
        | Op::ListAttachedGroupPolicies
        | Op::ListAttachedRolePolicies => owner_policies::list_attached(call).await,
        Op::PutUserPermissionsBoundary | Op::PutRolePermissionsBoundary => {
            owner_policies::put_boundary(call).await
        }
        Op::DeleteUserPermissionsBoundary | Op::DeleteRolePermissionsBoundary => {
            owner_policies::delete_boundary(call).await
        }
        Op::CreateVirtualMFADevice => mfa::create_virtual_mfa_device(call).await,
        Op::EnableMFADevice => mfa::enable_mfa_device(call).await,
        Op::DeactivateMFADevice => mfa::deactivate_mfa_device(call).await,
        Op::DeleteVirtualMFADevice => mfa::delete_virtual_mfa_device(call).await,
        Op::ListMFADevices => mfa::list_mfa_devices(call).await,
        Op::ListVirtualMFADevices => mfa::list_virtual_mfa_devices(call).await,
        Op::ResyncMFADevice => mfa::resync_mfa_device(call).await,
        Op::CreateAccountAlias => account::create_account_alias(call).await,
        Op::DeleteAccountAlias => account::delete_account_alias(call).await,
        Op::ListAccountAliases => account::list_account_aliases(call).await,
        Op::GetAccountSummary => account::get_account_summary(call).await,
        Op::SimulatePrincipalPolicy | Op::SimulateCustomPolicy => simulate::simulate(call).await,
        Op::TagInstanceProfile
        | Op::UntagInstanceProfile
        | Op::ListInstanceProfileTags
        | Op::TagPolicy
        | Op::UntagPolicy
        | Op::ListPolicyTags
        | Op::TagMFADevice
        | Op::UntagMFADevice
        | Op::ListMFADeviceTags => resource_tags::tags(call).await,
    }
}
