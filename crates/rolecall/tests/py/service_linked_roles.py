"""Service-linked roles as AWS makes them, for every service of the reference: the role's
name, path, trust policy and AWS managed policies, CustomSuffix where the service allows one
and AWS's refusal where it does not; the ordinary role operations refused on such a role with
AWS's UnmodifiableEntity; DeleteServiceLinkedRole and its task's status."""

import json
import os
import re
import urllib.parse

from rc import ADMINS, admin, allow, client, doc, expect_error

A = ADMINS[0]["AccountId"]
iam = admin("iam")
iam_b = admin("iam", 1)

REFERENCE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "..", "..", "..", "shared", "reference", "service-linked-roles", "roles.json",
)
with open(REFERENCE) as f:
    SERVICES = json.load(f)
assert len(SERVICES) == 71, len(SERVICES)


def exists(policy_arn):
    try:
        iam.get_policy(PolicyArn=policy_arn)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def trust(role):
    document = role["AssumeRolePolicyDocument"]
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def check_role(role, service, name):
    expected_path = f"/aws-service-role/{service}/"
    assert role["RoleName"] == name, role
    assert role["Path"] == expected_path, role
    assert role["Arn"] == f"arn:aws:iam::{A}:role{expected_path}{name}", role
    assert role["RoleId"].startswith("AROA"), role


# --- Every service of the reference: its role, as AWS makes it. ---
missing_policies = []
for service, facts in sorted(SERVICES.items()):
    name = facts["RoleName"]
    created = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    check_role(created, service, name)
    # CreateServiceLinkedRole's answer writes the trust policy with lists, GetRole as stored.
    assert trust(created) == {
        "Version": "2012-10-17",
        "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}],
    }, created
    assert "MaxSessionDuration" not in created and "RoleLastUsed" not in created, created
    got = iam.get_role(RoleName=name)["Role"]
    check_role(got, service, name)
    assert trust(got) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }, got
    assert got["MaxSessionDuration"] == 3600, got
    # The service's AWS managed policies: each one the server has is attached.
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    expected = [arn for arn in facts["AttachedPolicies"] if exists(arn)]
    missing_policies += [arn for arn in facts["AttachedPolicies"] if arn not in expected]
    assert sorted(attached) == sorted(expected), (service, attached, expected)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == [], service
    # The name is taken now.
    expect_error(
        lambda: iam.create_service_linked_role(AWSServiceName=service),
        "InvalidInput",
        f"Service role name {name} has been taken in this account, please try a different suffix.",
        400,
    )
    if facts["CustomSuffix"] == "allowed":
        suffixed = iam.create_service_linked_role(AWSServiceName=service, CustomSuffix="blue", Description="d")["Role"]
        check_role(suffixed, service, f"{name}_blue")
        assert suffixed["Description"] == "d", suffixed
    else:
        expect_error(
            lambda: iam.create_service_linked_role(AWSServiceName=service, CustomSuffix="blue"),
            facts["CustomSuffixError"]["Code"],
            facts["CustomSuffixError"]["Message"],
            400,
        )
listed = iam.list_roles(PathPrefix="/aws-service-role/", MaxItems=1000)["Roles"]
assert len(listed) == 71 + sum(1 for f in SERVICES.values() if f["CustomSuffix"] == "allowed"), len(listed)

expect_error(lambda: iam.create_service_linked_role(AWSServiceName="nothing.amazonaws.com"), "InvalidInput")
# Only CreateServiceLinkedRole makes roles under the service-linked roles' path.
expect_error(
    lambda: iam.create_role(
        RoleName="Impostor",
        Path="/aws-service-role/ecs.amazonaws.com/",
        AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    ),
    "InvalidInput",
    "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
    400,
)

# --- The ordinary role operations cannot change or delete a service-linked role. ---
role = SERVICES["autoscaling.amazonaws.com"]["RoleName"] + "_blue"
protected = f"Cannot perform the operation on the protected role '{role}' - this role is only modifiable by AWS"
policy = doc(allow("ec2:DescribeInstances"))
iam.create_instance_profile(InstanceProfileName="profile")
iam.create_policy(PolicyName="Boundary", PolicyDocument=doc(allow("*")))
boundary = f"arn:aws:iam::{A}:policy/Boundary"
slr_policy = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"
for call in [
    lambda: iam.delete_role(RoleName=role),
    lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})),
    lambda: iam.put_role_policy(RoleName=role, PolicyName="extra", PolicyDocument=policy),
    lambda: iam.delete_role_policy(RoleName=role, PolicyName="absent"),
    lambda: iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
    lambda: iam.detach_role_policy(RoleName=role, PolicyArn=slr_policy),
    lambda: iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary),
    lambda: iam.delete_role_permissions_boundary(RoleName=role),
    lambda: iam.add_role_to_instance_profile(InstanceProfileName="profile", RoleName=role),
    lambda: iam.remove_role_from_instance_profile(InstanceProfileName="profile", RoleName=role),
]:
    expect_error(call, "UnmodifiableEntity", protected, 400)
expect_error(
    lambda: iam.update_role(RoleName=role, MaxSessionDuration=7200),
    "UnmodifiableEntity",
    f"{role} is an AWS service linked role, max session duration cannot be changed.",
    400,
)
# Its description and tags can change.
updated = iam.update_role_description(RoleName=role, Description="described")["Role"]
assert updated["Description"] == "described", updated
iam.update_role(RoleName=role, Description="again")
iam.tag_role(RoleName=role, Tags=[{"Key": "team", "Value": "blue"}])
iam.untag_role(RoleName=role, TagKeys=["team"])
got = iam.get_role(RoleName=role)["Role"]
assert got["Description"] == "again" and got["MaxSessionDuration"] == 3600, got
# The refusal comes after authorization, as every refusal of an existing role does.
key = iam.create_access_key(UserName=iam.create_user(UserName="nobody")["User"]["UserName"])["AccessKey"]
nobody = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
expect_error(lambda: nobody.delete_role(RoleName=role), "AccessDenied")

# --- Who may create one: iam:CreateServiceLinkedRole on the role, iam:AWSServiceName. ---
iam.put_user_policy(
    UserName="nobody",
    PolicyName="p",
    PolicyDocument=doc(
        allow(
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::*:role/aws-service-role/*",
            Condition={"StringEquals": {"iam:AWSServiceName": "connect.amazonaws.com"}},
        )
    ),
)
made = nobody.create_service_linked_role(AWSServiceName="connect.amazonaws.com", CustomSuffix="green")["Role"]
check_role(made, "connect.amazonaws.com", "AWSServiceRoleForAmazonConnect_green")
expect_error(
    lambda: nobody.create_service_linked_role(AWSServiceName="lexv2.amazonaws.com", CustomSuffix="green"),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/nobody is not authorized to perform: iam:CreateServiceLinkedRole on resource: arn:aws:iam::{A}:role/aws-service-role/lexv2.amazonaws.com/AWSServiceRoleForLexV2Bots_green because no identity-based policy allows the iam:CreateServiceLinkedRole action",
    403,
)

# --- DeleteServiceLinkedRole and the deletion's status. ---
task = iam.delete_service_linked_role(RoleName=role)["DeletionTaskId"]
assert re.fullmatch(
    rf"task/aws-service-role/autoscaling\.amazonaws\.com/{role}/[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}", task
), task
assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
expect_error(lambda: iam.get_role(RoleName=role), "NoSuchEntity", f"The role with name {role} cannot be found.", 404)
expect_error(lambda: iam.delete_service_linked_role(RoleName=role), "NoSuchEntity", f"The role with name {role} cannot be found.", 404)
# The service's policy is no longer attached to anything of the account.
if exists(slr_policy):
    roles = [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=slr_policy)["PolicyRoles"]]
    assert roles == [SERVICES["autoscaling.amazonaws.com"]["RoleName"]], roles
unknown = f"task/aws-service-role/autoscaling.amazonaws.com/{role}/00000000-0000-0000-0000-000000000000"
expect_error(
    lambda: iam.get_service_linked_role_deletion_status(DeletionTaskId=unknown),
    "NoSuchEntity",
    "Cannot find deletion status for given id.",
    404,
)
expect_error(
    lambda: iam.get_service_linked_role_deletion_status(DeletionTaskId="not-a-task"),
    "InvalidInput",
    "Invalid task id",
    400,
)
# Another account cannot read the task.
expect_error(lambda: iam_b.get_service_linked_role_deletion_status(DeletionTaskId=task), "NoSuchEntity")
# An ordinary role is not deleted by DeleteServiceLinkedRole.
iam.create_role(RoleName="Plain", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}))
expect_error(lambda: iam.delete_service_linked_role(RoleName="plain"), "NoSuchEntity", "The role with name plain cannot be found.", 404)
iam.get_role(RoleName="Plain")

print(f"service-linked roles ok ({len(missing_policies)} of their AWS managed policies not on this server)")
