"""Every IAM operation the server offers, through boto3, so botocore parses every response."""

import time

from rc import ADMINS, admin, allow, client, doc, expect_error, totp

A = ADMINS[0]["AccountId"]
iam = admin("iam")
sts = admin("sts")

# Users: update, tags.
iam.create_user(UserName="u1", Path="/team/", Tags=[{"Key": "env", "Value": "dev"}])
assert iam.get_user(UserName="u1")["User"]["Tags"] == [{"Key": "env", "Value": "dev"}]
iam.tag_user(UserName="u1", Tags=[{"Key": "ENV", "Value": "prod"}, {"Key": "owner", "Value": "x"}])
assert iam.list_user_tags(UserName="u1")["Tags"] == [{"Key": "ENV", "Value": "prod"}, {"Key": "owner", "Value": "x"}]
iam.untag_user(UserName="u1", TagKeys=["owner"])
iam.update_user(UserName="u1", NewUserName="u2", NewPath="/ops/")
u = iam.get_user(UserName="u2")["User"]
assert u["Arn"] == f"arn:aws:iam::{A}:user/ops/u2" and u["Path"] == "/ops/", u
assert iam.list_user_tags(UserName="u2")["Tags"] == [{"Key": "ENV", "Value": "prod"}]
expect_error(lambda: iam.get_user(UserName="u1"), "NoSuchEntity")
expect_error(lambda: iam.create_user(UserName="bad name!"), "ValidationError")
expect_error(lambda: iam.create_user(UserName="x", Path="no-slash"), "ValidationError")

# Access keys: list, update, last used, delete.
k = iam.create_access_key(UserName="u2")["AccessKey"]
client("sts", k["AccessKeyId"], k["SecretAccessKey"]).get_caller_identity()
lu = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
assert lu["UserName"] == "u2" and lu["AccessKeyLastUsed"]["ServiceName"] == "sts", lu
iam.update_access_key(UserName="u2", AccessKeyId=k["AccessKeyId"], Status="Inactive")
assert iam.list_access_keys(UserName="u2")["AccessKeyMetadata"][0]["Status"] == "Inactive"
expect_error(lambda: client("sts", k["AccessKeyId"], k["SecretAccessKey"]).get_caller_identity(), "InvalidClientTokenId")
iam.delete_access_key(UserName="u2", AccessKeyId=k["AccessKeyId"])
expect_error(lambda: iam.delete_access_key(UserName="u2", AccessKeyId=k["AccessKeyId"]), "NoSuchEntity", f"The Access Key with id {k['AccessKeyId']} cannot be found.")
assert iam.list_access_keys()["AccessKeyMetadata"][0]["UserName"] == "admin"

# Groups.
iam.create_group(GroupName="g1")
iam.add_user_to_group(GroupName="g1", UserName="u2")
assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="u2")["Groups"]] == ["g1"]
assert [x["UserName"] for x in iam.get_group(GroupName="g1")["Users"]] == ["u2"]
iam.put_group_policy(GroupName="g1", PolicyName="gp", PolicyDocument=doc(allow("iam:Get*")))
assert iam.list_group_policies(GroupName="g1")["PolicyNames"] == ["gp"]
assert iam.get_group_policy(GroupName="g1", PolicyName="gp")["PolicyDocument"]["Statement"][0]["Action"] == "iam:Get*"
expect_error(lambda: iam.delete_group(GroupName="g1"), "DeleteConflict")
iam.remove_user_from_group(GroupName="g1", UserName="u2")
expect_error(lambda: iam.delete_group(GroupName="g1"), "DeleteConflict", "Cannot delete entity, must delete policies first.")
iam.delete_group_policy(GroupName="g1", PolicyName="gp")
iam.update_group(GroupName="g1", NewGroupName="g2")
assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["g2"]
iam.delete_group(GroupName="g2")

# Roles: update, description, tags, inline policies.
trust = doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})
iam.create_role(RoleName="r1", AssumeRolePolicyDocument=trust, Description="first", Path="/svc/")
iam.update_role(RoleName="r1", MaxSessionDuration=7200)
assert iam.update_role_description(RoleName="r1", Description="second")["Role"]["Description"] == "second"
role = iam.get_role(RoleName="r1")["Role"]
assert role["MaxSessionDuration"] == 7200 and role["Path"] == "/svc/" and role["Arn"] == f"arn:aws:iam::{A}:role/svc/r1", role
iam.tag_role(RoleName="r1", Tags=[{"Key": "k", "Value": "v"}])
assert iam.list_role_tags(RoleName="r1")["Tags"] == [{"Key": "k", "Value": "v"}]
iam.untag_role(RoleName="r1", TagKeys=["k"])
iam.put_role_policy(RoleName="r1", PolicyName="rp", PolicyDocument=doc(allow("iam:ListUsers")))
assert iam.list_role_policies(RoleName="r1")["PolicyNames"] == ["rp"]
assert iam.get_role_policy(RoleName="r1", PolicyName="rp")["RoleName"] == "r1"
expect_error(lambda: iam.update_role(RoleName="r1", MaxSessionDuration=100000), "ValidationError")
assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]] == ["r1"]
# Assuming a role by an ARN without its path fails like a missing role.
expect_error(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/r1", RoleSessionName="s1"), "AccessDenied")
sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/svc/r1", RoleSessionName="s1")
assert iam.get_role(RoleName="r1")["Role"]["RoleLastUsed"]["LastUsedDate"]

# Instance profiles.
iam.create_instance_profile(InstanceProfileName="ip1")
iam.add_role_to_instance_profile(InstanceProfileName="ip1", RoleName="r1")
expect_error(lambda: iam.add_role_to_instance_profile(InstanceProfileName="ip1", RoleName="r1"), "LimitExceeded")
ip = iam.get_instance_profile(InstanceProfileName="ip1")["InstanceProfile"]
assert ip["Roles"][0]["RoleName"] == "r1" and ip["InstanceProfileId"].startswith("AIPA"), ip
assert iam.list_instance_profiles_for_role(RoleName="r1")["InstanceProfiles"][0]["InstanceProfileName"] == "ip1"
assert len(iam.list_instance_profiles()["InstanceProfiles"]) == 1
expect_error(lambda: iam.delete_role(RoleName="r1"), "DeleteConflict")
iam.remove_role_from_instance_profile(InstanceProfileName="ip1", RoleName="r1")
iam.delete_instance_profile(InstanceProfileName="ip1")
expect_error(lambda: iam.delete_role(RoleName="r1"), "DeleteConflict", "Cannot delete entity, must delete policies first.")
iam.delete_role_policy(RoleName="r1", PolicyName="rp")
iam.delete_role(RoleName="r1")

# Managed policies: versions, attachments, boundaries.
p = iam.create_policy(PolicyName="mp", Path="/custom/", PolicyDocument=doc(allow("iam:GetUser")), Description="d")["Policy"]
arn = p["Arn"]
assert arn == f"arn:aws:iam::{A}:policy/custom/mp", p
for i in range(4):
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow(f"iam:GetRole{i}")))
expect_error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:X"))), "LimitExceeded")
versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"], versions
first = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
assert first["IsTruncated"] and len(first["Versions"]) == 2 and first["Marker"], first
paged = [v["VersionId"] for p in iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2}) for v in p["Versions"]]
assert paged == ["v5", "v4", "v3", "v2", "v1"], paged
expect_error(lambda: iam.list_policy_versions(PolicyArn=arn, Marker="bm9wZQ"), "InvalidInput")
iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
assert iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["IsDefaultVersion"]
expect_error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3"), "DeleteConflict", "Cannot delete the default version of a policy.")
for v in ["v1", "v2", "v4", "v5"]:
    iam.delete_policy_version(PolicyArn=arn, VersionId=v)
iam.create_user(UserName="u3")
iam.attach_user_policy(UserName="u3", PolicyArn=arn)
iam.attach_user_policy(UserName="u3", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
assert [x["PolicyName"] for x in iam.list_attached_user_policies(UserName="u3")["AttachedPolicies"]] == ["ReadOnlyAccess", "mp"]
assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
expect_error(lambda: iam.attach_user_policy(UserName="u3", PolicyArn=f"arn:aws:iam::{A}:policy/nope"), "NoSuchEntity", f"Policy arn:aws:iam::{A}:policy/nope does not exist or is not attachable.")
iam.put_user_permissions_boundary(UserName="u3", PermissionsBoundary=arn)
assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
iam.delete_user_permissions_boundary(UserName="u3")
iam.detach_user_policy(UserName="u3", PolicyArn=arn)
expect_error(lambda: iam.detach_user_policy(UserName="u3", PolicyArn=arn), "NoSuchEntity")
assert [x["PolicyName"] for x in iam.list_policies(Scope="Local", OnlyAttached=False)["Policies"]] == ["mp"]
iam.delete_policy(PolicyArn=arn)
expect_error(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity")
expect_error(lambda: iam.delete_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"), "InvalidInput")
expect_error(lambda: iam.create_role(RoleName="role-with-missing-boundary", AssumeRolePolicyDocument=trust, PermissionsBoundary=f"arn:aws:iam::{A}:policy/missing"), "NoSuchEntity")

# Virtual MFA devices: enable, resync, list, deactivate, delete.
d = iam.create_virtual_mfa_device(VirtualMFADeviceName="u3-device", Path="/team/")["VirtualMFADevice"]
serial = d["SerialNumber"]
assert serial == f"arn:aws:iam::{A}:mfa/team/u3-device"
seed = d["Base32StringSeed"].decode()
expect_error(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="u3-device", Path="/team/"), "EntityAlreadyExists")
now = time.time()
iam.enable_mfa_device(UserName="u3", SerialNumber=serial, AuthenticationCode1=totp(seed, now, -1), AuthenticationCode2=totp(seed, now, 0))
assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
assert assigned[0]["SerialNumber"] == serial and assigned[0]["User"]["UserName"] == "u3", assigned
assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
iam.resync_mfa_device(UserName="u3", SerialNumber=serial, AuthenticationCode1=totp(seed, now, 1), AuthenticationCode2=totp(seed, now, 2))
expect_error(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial), "DeleteConflict")
expect_error(lambda: iam.delete_user(UserName="u3"), "DeleteConflict")
iam.deactivate_mfa_device(UserName="u3", SerialNumber=serial)
iam.delete_virtual_mfa_device(SerialNumber=serial)
assert iam.list_mfa_devices(UserName="u3")["MFADevices"] == []

# Account alias and summary.
iam.create_account_alias(AccountAlias="rolecall-test")
assert iam.list_account_aliases()["AccountAliases"] == ["rolecall-test"]
expect_error(lambda: iam.create_account_alias(AccountAlias="Bad--Alias"), "ValidationError")
iam.delete_account_alias(AccountAlias="rolecall-test")
assert iam.list_account_aliases()["AccountAliases"] == []
summary = iam.get_account_summary()["SummaryMap"]
assert summary["AccessKeysPerUserQuota"] == 2 and "Users" in summary
print("iam inventory ok")
