"""A policy document that names a key twice, at any depth, is a MalformedPolicyDocument
everywhere a document is accepted: what a reviewer reads is what is evaluated."""

from rc import ADMINS, admin, expect_error

A = ADMINS[0]["AccountId"]
iam = admin("iam")
sts = admin("sts")

deny_then_allow = '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}}'
nested = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}]}'
two_principals = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"%s"},'
    '"Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}' % A
)
syntax = "Syntax errors in policy."

iam.create_user(UserName="u")
iam.create_group(GroupName="g")
good_trust = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":"sts:AssumeRole"}}' % A
iam.create_role(RoleName="r", AssumeRolePolicyDocument=good_trust)
for bad in (deny_then_allow, nested):
    expect_error(lambda: iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=bad), "MalformedPolicyDocument", syntax, 400)
    expect_error(lambda: iam.put_group_policy(GroupName="g", PolicyName="p", PolicyDocument=bad), "MalformedPolicyDocument", syntax)
    expect_error(lambda: iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=bad), "MalformedPolicyDocument", syntax)
    expect_error(lambda: iam.create_policy(PolicyName="p", PolicyDocument=bad), "MalformedPolicyDocument", syntax)
    expect_error(
        lambda: iam.simulate_custom_policy(PolicyInputList=[bad], ActionNames=["iam:GetUser"]),
        "MalformedPolicyDocument",
        syntax,
    )
    expect_error(lambda: sts.get_federation_token(Name="fed", Policy=bad), "MalformedPolicyDocument", syntax)
assert iam.list_user_policies(UserName="u")["PolicyNames"] == []
assert [p for p in iam.list_policies(Scope="Local")["Policies"]] == []

expect_error(
    lambda: iam.create_role(RoleName="r2", AssumeRolePolicyDocument=two_principals),
    "MalformedPolicyDocument",
    syntax,
)
expect_error(
    lambda: iam.update_assume_role_policy(RoleName="r", PolicyDocument=two_principals),
    "MalformedPolicyDocument",
    syntax,
)
expect_error(lambda: iam.get_role(RoleName="r2"), "NoSuchEntity")
print("duplicate keys ok")
