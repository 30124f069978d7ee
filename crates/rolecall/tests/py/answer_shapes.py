"""Create*/Update* answers carry exactly the members AWS's own answers carry (the AWS CLI's
documented examples and the model): CreateRole without MaxSessionDuration and RoleLastUsed,
CreatePolicy without Description, GetFederationToken with PackedPolicySize."""

from rc import ADMINS, admin, allow, doc

A = ADMINS[0]["AccountId"]
iam = admin("iam")
sts = admin("sts")


def members(answer, element):
    return set(answer[element].keys())


trust = doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})
role_basics = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}

# CreateRole: no MaxSessionDuration, even when one is given, and no RoleLastUsed.
made = iam.create_role(RoleName="plain", AssumeRolePolicyDocument=trust)
assert members(made, "Role") == role_basics, made["Role"]
made = iam.create_role(
    RoleName="full",
    AssumeRolePolicyDocument=trust,
    Description="d",
    MaxSessionDuration=7200,
    PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
    Tags=[{"Key": "team", "Value": "core"}],
)
assert members(made, "Role") == role_basics | {"Description", "PermissionsBoundary", "Tags"}, made["Role"]
# GetRole has them.
got = iam.get_role(RoleName="full")["Role"]
assert got["MaxSessionDuration"] == 7200 and "RoleLastUsed" in got, got
assert {"Description", "PermissionsBoundary", "Tags"} <= set(got), got
# UpdateRoleDescription answers like CreateRole; UpdateRole answers nothing.
updated = iam.update_role_description(RoleName="plain", Description="now described")
assert members(updated, "Role") == role_basics | {"Description"}, updated["Role"]
assert set(iam.update_role(RoleName="plain", MaxSessionDuration=3600)) == {"ResponseMetadata"}
# ListRoles shows MaxSessionDuration but neither tags nor last use.
listed = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
assert "MaxSessionDuration" in listed["full"] and "RoleLastUsed" not in listed["full"], listed["full"]
assert "Tags" not in listed["full"] and "PermissionsBoundary" not in listed["full"], listed["full"]

# CreatePolicy: no Description (GetPolicy shows it; ListPolicies does not).
policy_basics = {
    "PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
    "PermissionsBoundaryUsageCount", "IsAttachable", "CreateDate", "UpdateDate",
}
made = iam.create_policy(PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")), Description="immutable")
assert members(made, "Policy") == policy_basics, made["Policy"]
arn = made["Policy"]["Arn"]
assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "immutable"
(listed,) = [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Arn"] == arn]
assert set(listed) == policy_basics, listed
made = iam.create_policy(PolicyName="t", PolicyDocument=doc(allow("iam:GetUser")), Tags=[{"Key": "k", "Value": "v"}])
assert members(made, "Policy") == policy_basics | {"Tags"}, made["Policy"]
version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:GetRole")), SetAsDefault=True)
assert members(version, "PolicyVersion") == {"VersionId", "IsDefaultVersion", "CreateDate"}, version

# The other Create* answers.
user = iam.create_user(UserName="u")
assert members(user, "User") == {"Path", "UserName", "UserId", "Arn", "CreateDate"}, user
group = iam.create_group(GroupName="g")
assert members(group, "Group") == {"Path", "GroupName", "GroupId", "Arn", "CreateDate"}, group
key = iam.create_access_key(UserName="u")
assert members(key, "AccessKey") == {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}, key
profile = iam.create_instance_profile(InstanceProfileName="ip")
assert members(profile, "InstanceProfile") == {
    "Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate", "Roles"
}, profile
assert profile["InstanceProfile"]["Roles"] == []
device = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")
assert members(device, "VirtualMFADevice") == {"SerialNumber", "Base32StringSeed", "QRCodePNG"}, device

# GetFederationToken reports the packed size, 0 without a session policy.
plain = sts.get_federation_token(Name="fed")
assert plain["PackedPolicySize"] == 0, plain
with_policy = sts.get_federation_token(Name="fed", Policy=doc(allow("s3:GetObject")))
assert with_policy["PackedPolicySize"] > 0, with_policy
print("answer shapes ok")
