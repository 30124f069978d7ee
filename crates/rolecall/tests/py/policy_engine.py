"""The policy engine end to end: conditions deciding IAM calls and AssumeRole, policy
simulation answered by the engine, and boundaries."""

from rc import ADMINS, admin, allow, client, doc, expect_error, from_credentials, new_user_with_key

A = ADMINS[0]["AccountId"]
iam = admin("iam")

# A tag condition with a policy variable decides an IAM call (S21 and S27 end to end).
key = new_user_with_key(
    iam,
    "dana",
    doc(
        allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}"),
        allow("iam:CreateRole", f"arn:aws:iam::{A}:role/*", Condition={"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}}),
    ),
)
iam.tag_user(UserName="dana", Tags=[{"Key": "team", "Value": "blue"}])
dana = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
dana.create_access_key(UserName="dana")
iam.create_user(UserName="erin")
expect_error(
    lambda: dana.create_access_key(UserName="erin"),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/dana is not authorized to perform: iam:CreateAccessKey on resource: user erin because no identity-based policy allows the iam:CreateAccessKey action",
)
trust = doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})
expect_error(lambda: dana.create_role(RoleName="r1", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "red"}]), "AccessDenied")
expect_error(lambda: dana.create_role(RoleName="r1", AssumeRolePolicyDocument=trust), "AccessDenied")
dana.create_role(RoleName="r1", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "blue"}])

# A source-IP condition in a trust policy decides AssumeRole.
iam.create_role(
    RoleName="office",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
)
iam.put_user_policy(UserName="dana", PolicyName="assume", PolicyDocument=doc(allow(["sts:AssumeRole", "sts:TagSession"])))
dana_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
expect_error(lambda: dana_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/office", RoleSessionName="x1"), "AccessDenied")
iam.update_assume_role_policy(
    RoleName="office",
    PolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole", "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}}),
)
dana_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/office", RoleSessionName="x1")

# Session tags flow into aws:PrincipalTag of the session (and of chained sessions via transitive keys).
iam.create_role(
    RoleName="tagged",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
)
# A trust policy may only name roles that exist, so the self-reference comes second.
iam.update_assume_role_policy(
    RoleName="tagged",
    PolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": [A, f"arn:aws:iam::{A}:role/tagged"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
)
iam.put_role_policy(
    RoleName="tagged",
    PolicyName="by-tag",
    PolicyDocument=doc(allow("sts:AssumeRole"), allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}})),
)
t_arn = f"arn:aws:iam::{A}:role/tagged"
s1 = dana_sts.assume_role(RoleArn=t_arn, RoleSessionName="t1", Tags=[{"Key": "project", "Value": "apollo"}], TransitiveTagKeys=["project"])["Credentials"]
from_credentials("iam", s1).list_roles()
s2 = from_credentials("sts", s1).assume_role(RoleArn=t_arn, RoleSessionName="t2")["Credentials"]
from_credentials("iam", s2).list_roles()
s3 = dana_sts.assume_role(RoleArn=t_arn, RoleSessionName="t3", Tags=[{"Key": "project", "Value": "zeus"}])["Credentials"]
expect_error(lambda: from_credentials("iam", s3).list_roles(), "AccessDenied")

# Permissions boundaries cap what identity policies grant (S32) with AWS's message.
iam.create_policy(PolicyName="ReadOnlyIam", PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))
key_f = new_user_with_key(iam, "frank", doc(allow("iam:*")))
iam.put_user_permissions_boundary(UserName="frank", PermissionsBoundary=f"arn:aws:iam::{A}:policy/ReadOnlyIam")
frank = client("iam", key_f["AccessKeyId"], key_f["SecretAccessKey"])
frank.list_users()
expect_error(
    lambda: frank.create_user(UserName="g"),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/frank is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{A}:user/g because no permissions boundary allows the iam:CreateUser action",
)
assert iam.get_user(UserName="frank")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == f"arn:aws:iam::{A}:policy/ReadOnlyIam"

# aws:ResourceTag: the target user's or role's tags decide (IAM calls and AssumeRole alike).
rt_key = new_user_with_key(
    iam,
    "tagscoped",
    doc(
        allow("iam:GetRole", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        allow("sts:AssumeRole", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
    ),
)
iam.create_role(RoleName="blue-role", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}), Tags=[{"Key": "team", "Value": "blue"}])
iam.create_role(RoleName="red-role", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}), Tags=[{"Key": "team", "Value": "red"}])
scoped_iam = client("iam", rt_key["AccessKeyId"], rt_key["SecretAccessKey"])
scoped_sts = client("sts", rt_key["AccessKeyId"], rt_key["SecretAccessKey"])
scoped_iam.get_role(RoleName="blue-role")
expect_error(lambda: scoped_iam.get_role(RoleName="red-role"), "AccessDenied")
scoped_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/blue-role", RoleSessionName="rt")
expect_error(lambda: scoped_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/red-role", RoleSessionName="rt"), "AccessDenied")

# Simulation answers with the same engine.
r = iam.simulate_custom_policy(
    PolicyInputList=[doc(allow("iam:Get*"), {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "*"})],
    ActionNames=["iam:GetUser", "iam:GetRole", "iam:CreateUser"],
)["EvaluationResults"]
decisions = {e["EvalActionName"]: e["EvalDecision"] for e in r}
assert decisions == {"iam:GetUser": "allowed", "iam:GetRole": "explicitDeny", "iam:CreateUser": "implicitDeny"}, decisions
allowed = next(e for e in r if e["EvalActionName"] == "iam:GetUser")
assert allowed["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1", allowed
r = iam.simulate_custom_policy(
    PolicyInputList=[doc(allow("iam:ListUsers", Condition={"StringEquals": {"aws:username": "dana"}}))],
    ActionNames=["iam:ListUsers"],
)["EvaluationResults"][0]
assert r["EvalDecision"] == "implicitDeny" and r["MissingContextValues"] == ["aws:username"], r
r = iam.simulate_custom_policy(
    PolicyInputList=[doc(allow("iam:ListUsers", Condition={"StringEquals": {"aws:username": "dana"}}))],
    ActionNames=["iam:ListUsers"],
    ContextEntries=[{"ContextKeyName": "aws:username", "ContextKeyValues": ["dana"], "ContextKeyType": "string"}],
)["EvaluationResults"][0]
assert r["EvalDecision"] == "allowed", r
r = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{A}:user/frank", ActionNames=["iam:ListUsers", "iam:CreateUser"])["EvaluationResults"]
assert [e["EvalDecision"] for e in r] == ["allowed", "implicitDeny"], r
expect_error(lambda: iam.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["iam:GetUser"]), "MalformedPolicyDocument")
print("policy engine ok")
