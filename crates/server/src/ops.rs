//! Every operation the server answers, as one typed enum, dispatched by `Action`.

use rolecall_wire::Service;

macro_rules! operations {
    ($($service:ident $name:ident),* $(,)?) => {
        /// An IAM or STS operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)] // Each variant is the AWS operation of the same name.
        pub enum Op { $($name),* }

        impl Op {
            /// The `Action` name.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Self::$name => stringify!($name)),* }
            }

            /// The service it belongs to.
            #[must_use]
            pub fn service(self) -> Service {
                match self { $(Self::$name => Service::$service),* }
            }

            /// The operation an `Action` names (STS and IAM share no names).
            #[must_use]
            pub fn from_action(action: &str) -> Option<Self> {
                match action { $(stringify!($name) => Some(Self::$name),)* _ => None }
            }

            /// `iam:GetUser`, `sts:AssumeRole`.
            #[must_use]
            pub fn iam_action(self) -> String {
                format!("{}:{}", self.service().action_prefix(), self.name())
            }
        }
    };
}

operations! {
    Sts AssumeRole, Sts GetCallerIdentity, Sts GetSessionToken, Sts GetFederationToken, Sts GetAccessKeyInfo,
    Iam CreateUser, Iam GetUser, Iam ListUsers, Iam UpdateUser, Iam DeleteUser, Iam TagUser, Iam UntagUser, Iam ListUserTags,
    Iam CreateAccessKey, Iam ListAccessKeys, Iam UpdateAccessKey, Iam DeleteAccessKey, Iam GetAccessKeyLastUsed,
    Iam CreateGroup, Iam GetGroup, Iam ListGroups, Iam UpdateGroup, Iam DeleteGroup, Iam AddUserToGroup,
    Iam RemoveUserFromGroup, Iam ListGroupsForUser,
    Iam CreateRole, Iam GetRole, Iam ListRoles, Iam UpdateRole, Iam UpdateRoleDescription, Iam DeleteRole,
    Iam UpdateAssumeRolePolicy, Iam TagRole, Iam UntagRole, Iam ListRoleTags,
    Iam PutUserPolicy, Iam GetUserPolicy, Iam DeleteUserPolicy, Iam ListUserPolicies,
    Iam PutGroupPolicy, Iam GetGroupPolicy, Iam DeleteGroupPolicy, Iam ListGroupPolicies,
    Iam PutRolePolicy, Iam GetRolePolicy, Iam DeleteRolePolicy, Iam ListRolePolicies,
    Iam CreatePolicy, Iam GetPolicy, Iam ListPolicies, Iam DeletePolicy, Iam CreatePolicyVersion, Iam GetPolicyVersion,
    Iam ListPolicyVersions, Iam DeletePolicyVersion, Iam SetDefaultPolicyVersion, Iam ListEntitiesForPolicy,
    Iam AttachUserPolicy, Iam DetachUserPolicy, Iam ListAttachedUserPolicies,
    Iam AttachGroupPolicy, Iam DetachGroupPolicy, Iam ListAttachedGroupPolicies,
    Iam AttachRolePolicy, Iam DetachRolePolicy, Iam ListAttachedRolePolicies,
    Iam PutUserPermissionsBoundary, Iam DeleteUserPermissionsBoundary,
    Iam PutRolePermissionsBoundary, Iam DeleteRolePermissionsBoundary,
    Iam CreateInstanceProfile, Iam GetInstanceProfile, Iam ListInstanceProfiles, Iam DeleteInstanceProfile,
    Iam AddRoleToInstanceProfile, Iam RemoveRoleFromInstanceProfile, Iam ListInstanceProfilesForRole,
    Iam CreateVirtualMFADevice, Iam EnableMFADevice, Iam DeactivateMFADevice, Iam DeleteVirtualMFADevice,
    Iam ListMFADevices, Iam ListVirtualMFADevices, Iam ResyncMFADevice,
    Iam CreateAccountAlias, Iam DeleteAccountAlias, Iam ListAccountAliases, Iam GetAccountSummary,
    Iam SimulatePrincipalPolicy, Iam SimulateCustomPolicy,
}
