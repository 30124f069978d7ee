"""The seed walk-through and the refusals around it, driven by boto3."""

import json

from rc import ADMINS, admin, allow, client, doc, expect_error, from_credentials, new_user_with_key

A = ADMINS[0]["AccountId"]
iam = admin("iam")
sts = admin("sts")

# The administrator is who bootstrap said.
me = sts.get_caller_identity()
assert me["Arn"] == f"arn:aws:iam::{A}:user/admin", me
assert me["Account"] == A and me["UserId"].startswith("AIDA"), me

# A user with keys, allowed to assume one role.
role_arn = f"arn:aws:iam::{A}:role/Deploy"
alice_key = new_user_with_key(iam, "alice", doc(allow("sts:AssumeRole", role_arn)))
assert alice_key["AccessKeyId"].startswith("AKIA") and len(alice_key["AccessKeyId"]) == 20
assert len(alice_key["SecretAccessKey"]) == 40

# The role trusts the account (delegation) and may list users, nothing else.
trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"})
role = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=trust, MaxSessionDuration=7200)["Role"]
assert role["Arn"] == role_arn and role["RoleId"].startswith("AROA"), role
assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{A}:root"
iam.put_role_policy(RoleName="Deploy", PolicyName="list", PolicyDocument=doc(allow("iam:ListUsers")))

alice_sts = client("sts", alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
out = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="alice-session", DurationSeconds=7200)
creds = out["Credentials"]
assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20, creds
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Deploy/alice-session", out
assert out["AssumedRoleUser"]["AssumedRoleId"] == role["RoleId"] + ":alice-session", out
import datetime
remaining = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
assert 7000 < remaining.total_seconds() <= 7200, remaining

# The session is the role, with the role's permissions only.
s_sts = from_credentials("sts", creds)
s_iam = from_credentials("iam", creds)
ident = s_sts.get_caller_identity()
assert ident["Arn"] == f"arn:aws:sts::{A}:assumed-role/Deploy/alice-session", ident
assert ident["UserId"] == role["RoleId"] + ":alice-session", ident
names = [u["UserName"] for u in s_iam.list_users()["Users"]]
assert names == ["admin", "alice"], names
expect_error(
    lambda: s_iam.create_user(UserName="mallory"),
    "AccessDenied",
    f"User: arn:aws:sts::{A}:assumed-role/Deploy/alice-session is not authorized to perform: iam:CreateUser "
    f"on resource: arn:aws:iam::{A}:user/mallory because no identity-based policy allows the iam:CreateUser action",
    403,
)
# Permissions are not cumulative: alice herself cannot list users.
alice_iam = client("iam", alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
expect_error(
    lambda: alice_iam.list_users(),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: iam:ListUsers on resource: "
    f"arn:aws:iam::{A}:user/ because no identity-based policy allows the iam:ListUsers action",
)

# A role that does not exist and a trust that does not name the caller look the same.
bare = lambda arn: f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {arn}"
expect_error(lambda: alice_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/Nope", RoleSessionName="x1"), "AccessDenied", bare(f"arn:aws:iam::{A}:role/Nope"))
bob_key = new_user_with_key(iam, "bob")
iam.create_role(
    RoleName="OnlyBob",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/bob"}, "Action": "sts:AssumeRole"}),
)
iam.put_user_policy(UserName="alice", PolicyName="any", PolicyDocument=doc(allow("sts:AssumeRole")))
expect_error(lambda: alice_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/OnlyBob", RoleSessionName="x2"), "AccessDenied", bare(f"arn:aws:iam::{A}:role/OnlyBob"))
# Named directly in the same account, bob needs no identity policy (S37) ...
bob_sts = client("sts", bob_key["AccessKeyId"], bob_key["SecretAccessKey"])
bob_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/OnlyBob", RoleSessionName="bob")
# ... and the trust stores bob's unique id: a re-created bob is not trusted (S71).
for k in iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]:
    iam.delete_access_key(UserName="bob", AccessKeyId=k["AccessKeyId"])
old_bob_id = iam.get_user(UserName="bob")["User"]["UserId"]
iam.delete_user(UserName="bob")
principal = iam.get_role(RoleName="OnlyBob")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
assert principal == old_bob_id, principal
bob2_key = new_user_with_key(iam, "bob")
bob2_sts = client("sts", bob2_key["AccessKeyId"], bob2_key["SecretAccessKey"])
expect_error(lambda: bob2_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/OnlyBob", RoleSessionName="bob"), "AccessDenied")

# Durations: above the role's maximum, and chaining above one hour.
expect_error(
    lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=10800),
    "ValidationError",
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    400,
)
expect_error(
    lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=50000),
    "ValidationError",
    "1 validation error detected: Value '50000' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
)
expect_error(
    lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="bad name"),
    "ValidationError",
    "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
)
iam.update_assume_role_policy(
    RoleName="Deploy",
    PolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{A}:root", role_arn]}, "Action": "sts:AssumeRole"}),
)
expect_error(
    lambda: s_sts.assume_role(RoleArn=role_arn, RoleSessionName="chain", DurationSeconds=7200),
    "ValidationError",
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
)
chained = s_sts.assume_role(RoleArn=role_arn, RoleSessionName="chain")
assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Deploy/chain")
expect_error(lambda: s_sts.get_session_token(), "AccessDenied", "Cannot call GetSessionToken with session credentials")

# External id conditions (S48).
iam.create_role(
    RoleName="Vendor",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "xyz-123"}}}),
)
v_arn = f"arn:aws:iam::{A}:role/Vendor"
expect_error(lambda: alice_sts.assume_role(RoleArn=v_arn, RoleSessionName="vendor"), "AccessDenied")
expect_error(lambda: alice_sts.assume_role(RoleArn=v_arn, RoleSessionName="vendor", ExternalId="XYZ-123"), "AccessDenied")
alice_sts.assume_role(RoleArn=v_arn, RoleSessionName="vendor", ExternalId="xyz-123")

# Session policies narrow the role (S35) and tags need sts:TagSession (S50).
narrowed = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow", Policy=doc(allow("iam:GetUser")))["Credentials"]
expect_error(lambda: from_credentials("iam", narrowed).list_users(), "AccessDenied")
expect_error(
    lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="tagged", Tags=[{"Key": "env", "Value": "dev"}]),
    "AccessDenied",
    f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:TagSession on resource: {role_arn}",
)

# GetSessionToken and GetFederationToken.
gst = alice_sts.get_session_token(DurationSeconds=900)["Credentials"]
assert from_credentials("sts", gst).get_caller_identity()["Arn"] == f"arn:aws:iam::{A}:user/alice"
iam.put_user_policy(UserName="alice", PolicyName="fed", PolicyDocument=doc(allow("sts:GetFederationToken")))
fed = alice_sts.get_federation_token(Name="contractor", Policy=doc(allow("iam:ListUsers")))
assert fed["FederatedUser"]["Arn"] == f"arn:aws:sts::{A}:federated-user/contractor", fed
fed_ident = from_credentials("sts", fed["Credentials"]).get_caller_identity()
assert fed_ident["UserId"] == f"{A}:contractor" and fed_ident["Arn"].endswith("federated-user/contractor"), fed_ident
assert sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == A

# IAM errors as AWS words them.
expect_error(lambda: iam.create_user(UserName="Alice"), "EntityAlreadyExists", "User with name Alice already exists.", 409)
expect_error(lambda: iam.get_user(UserName="nobody"), "NoSuchEntity", "The user with name nobody cannot be found.", 404)
expect_error(lambda: iam.delete_user(UserName="alice"), "DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
iam.create_access_key(UserName="alice")
expect_error(lambda: iam.create_access_key(UserName="alice"), "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
expect_error(
    lambda: iam.create_role(RoleName="Bad", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"})),
    "MalformedPolicyDocument",
    "Has prohibited field Resource",
)
expect_error(
    lambda: iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "allow", "Action": "iam:*", "Resource": "*"}})),
    "MalformedPolicyDocument",
    "The policy failed legacy parsing",
)
expect_error(
    lambda: iam.put_user_policy(UserName="alice", PolicyName="big", PolicyDocument=doc(*[allow(f"iam:GetUser{i:04d}") for i in range(60)])),
    "LimitExceeded",
    "Maximum policy size of 2048 bytes exceeded for user alice",
)

# Pagination: Marker, MaxItems, IsTruncated; the paginator sees every user.
for i in range(5):
    iam.create_user(UserName=f"page{i}", Path="/pages/")
first = iam.list_users(PathPrefix="/pages/", MaxItems=2)
assert first["IsTruncated"] and len(first["Users"]) == 2 and first["Marker"], first
rest = iam.list_users(PathPrefix="/pages/", Marker=first["Marker"], MaxItems=10)
assert not rest["IsTruncated"] and [u["UserName"] for u in first["Users"] + rest["Users"]] == [f"page{i}" for i in range(5)]
all_names = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 3}) for u in p["Users"]]
assert len(all_names) == len(set(all_names)) == 8, all_names

# Managed policies, versions and attachment.
pol = iam.create_policy(PolicyName="ReadUsers", PolicyDocument=doc(allow("iam:GetUser")))["Policy"]
assert pol["Arn"] == f"arn:aws:iam::{A}:policy/ReadUsers" and pol["DefaultVersionId"] == "v1"
iam.create_policy_version(PolicyArn=pol["Arn"], PolicyDocument=doc(allow("iam:Get*")), SetAsDefault=True)
assert iam.get_policy(PolicyArn=pol["Arn"])["Policy"]["DefaultVersionId"] == "v2"
iam.attach_user_policy(UserName="alice", PolicyArn=pol["Arn"])
assert iam.list_entities_for_policy(PolicyArn=pol["Arn"])["PolicyUsers"][0]["UserName"] == "alice"
client("iam", alice_key["AccessKeyId"], alice_key["SecretAccessKey"]).get_role(RoleName="Deploy")
expect_error(lambda: iam.delete_policy(PolicyArn=pol["Arn"]), "DeleteConflict", "Cannot delete a policy attached to entities.")
aws_pols = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
for name in ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess"]:
    assert name in aws_pols, aws_pols

# Groups carry policies to members.
iam.create_group(GroupName="readers")
iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
carol_key = new_user_with_key(iam, "carol")
carol_iam = client("iam", carol_key["AccessKeyId"], carol_key["SecretAccessKey"])
expect_error(lambda: carol_iam.list_roles(), "AccessDenied")
iam.add_user_to_group(GroupName="readers", UserName="carol")
assert any(r["RoleName"] == "Deploy" for r in carol_iam.list_roles()["Roles"])
expect_error(lambda: carol_iam.create_group(GroupName="x"), "AccessDenied")

summary = iam.get_account_summary()["SummaryMap"]
assert summary["Users"] >= 8 and summary["Roles"] == 3 and summary["Groups"] == 1, summary
print("seed flow ok")
