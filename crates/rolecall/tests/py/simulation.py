"""Policy simulation as AWS answers it: only the caller's own account, paged by MaxItems and
Marker whatever the input, and results in AWS's shape (decision details, per-resource
results, SourcePolicyType values and statement positions)."""

import json

from rc import ADMINS, admin, allow, client, doc, expect_error, new_user_with_key

A = ADMINS[0]["AccountId"]
B = ADMINS[1]["AccountId"]
iam = admin("iam")
iam_b = admin("iam", 1)

# --- Only the caller's own account can be simulated. ---
iam_b.create_user(UserName="victim")
iam_b.put_user_policy(UserName="victim", PolicyName="secret-name", PolicyDocument=doc(allow("s3:*")))
iam.create_user(UserName="auditor")
iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
key = iam.create_access_key(UserName="auditor")["AccessKey"]
auditor = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
for target in ("victim", "nobody"):
    # An existing and a missing principal of another account get the same refusal.
    expect_error(
        lambda: auditor.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{B}:user/{target}", ActionNames=["s3:GetObject"]),
        "AccessDenied",
        f"User: arn:aws:iam::{A}:user/auditor is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::{B}:user/{target} because no resource-based policy allows the iam:SimulatePrincipalPolicy action",
        403,
    )
    # Not even the account's administrator reaches into another account.
    expect_error(
        lambda: iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{B}:user/{target}", ActionNames=["s3:GetObject"]),
        "AccessDenied",
    )
own = auditor.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{A}:user/auditor", ActionNames=["iam:GetUser"])
assert own["EvaluationResults"][0]["EvalDecision"] == "allowed", own

# --- MaxItems and Marker page the results; a page never holds more than asked for. ---
many = doc(*[allow("*") for _ in range(50)])
actions = [f"svc:Action{i}" for i in range(7)]
resources = [f"arn:aws:s3:::bucket{i}" for i in range(3)]
one = iam.simulate_custom_policy(PolicyInputList=[many], ActionNames=actions, ResourceArns=resources, MaxItems=1)
assert len(one["EvaluationResults"]) == 1 and one["IsTruncated"] and one["Marker"], one
seen = []
marker = None
while True:
    extra = {"Marker": marker} if marker else {}
    page = iam.simulate_custom_policy(PolicyInputList=[many], ActionNames=actions, ResourceArns=resources, MaxItems=4, **extra)
    assert len(page["EvaluationResults"]) <= 4, len(page["EvaluationResults"])
    seen += [(e["EvalActionName"], e["EvalResourceName"]) for e in page["EvaluationResults"]]
    if not page["IsTruncated"]:
        assert "Marker" not in page, page
        break
    marker = page["Marker"]
assert seen == [(a, r) for a in actions for r in resources], seen
paged = [
    e
    for p in iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[many], ActionNames=actions, PaginationConfig={"PageSize": 2}
    )
    for e in p["EvaluationResults"]
]
assert [e["EvalActionName"] for e in paged] == actions, paged
assert all(len(e["MatchedStatements"]) == 50 for e in paged), paged[0]
expect_error(
    lambda: iam.simulate_custom_policy(PolicyInputList=[many], ActionNames=actions, Marker="bm90LWEtbWFya2Vy"),
    "InvalidInput",
    "Invalid Marker.",
)
# One permissions boundary at most.
expect_error(
    lambda: iam.simulate_custom_policy(PolicyInputList=[many], PermissionsBoundaryPolicyInputList=[many, many], ActionNames=["a:b"]),
    "ValidationError",
)

# --- Results in AWS's shape. ---
policy = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
r = iam.simulate_custom_policy(
    PolicyInputList=[policy],
    ActionNames=["dynamodb:CreateBackup"],
    ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}],
)["EvaluationResults"][0]
# AWS's documented answer for this very request, with the members AWS adds today.
assert r["EvalDecision"] == "allowed", r
assert r["MatchedStatements"] == [
    {
        "SourcePolicyId": "PolicyInputList.1",
        "SourcePolicyType": "IAM Policy",
        "StartPosition": {"Line": 1, "Column": 38},
        "EndPosition": {"Line": 1, "Column": 167},
    }
], r["MatchedStatements"]
assert r["MissingContextValues"] == [], r
assert r["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}, r
assert "EvalDecisionDetails" not in r and "ResourceSpecificResults" not in r, r
assert "PermissionsBoundaryDecisionDetail" not in r, r

# Named resources: a result per resource, each with its own decision and missing keys.
mixed = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::good/*"},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bad/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tagged/*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "x"}}},
        ],
    }
)
boundary = doc(allow("s3:GetObject", "arn:aws:s3:::good/*"), allow("s3:GetObject", "arn:aws:s3:::bad/*"))
out = iam.simulate_custom_policy(
    PolicyInputList=[mixed],
    PermissionsBoundaryPolicyInputList=[boundary],
    ActionNames=["s3:GetObject"],
    ResourceArns=["arn:aws:s3:::good/k", "arn:aws:s3:::bad/k", "arn:aws:s3:::tagged/k"],
)["EvaluationResults"]
assert [(e["EvalResourceName"], e["EvalDecision"]) for e in out] == [
    ("arn:aws:s3:::good/k", "allowed"),
    ("arn:aws:s3:::bad/k", "explicitDeny"),
    ("arn:aws:s3:::tagged/k", "implicitDeny"),
], out
for e in out:
    assert e["EvalDecisionDetails"] == {}, e
    assert e["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}, e
    (specific,) = e["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == e["EvalResourceName"], e
    assert specific["EvalResourceDecision"] == e["EvalDecision"], e
    assert specific["MatchedStatements"] == e["MatchedStatements"], e
    assert e["MissingContextValues"] == [], e
    assert specific["PermissionsBoundaryDecisionDetail"] == e["PermissionsBoundaryDecisionDetail"], e
good, bad, tagged = out
assert good["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}, good
assert tagged["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}, tagged
assert tagged["ResourceSpecificResults"][0]["MissingContextValues"] == ["s3:ExistingObjectTag/team"], tagged
assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in good["MatchedStatements"]] == [
    ("PolicyInputList.1", "IAM Policy"),
    ("PermissionsBoundaryPolicyInputList.1", "Permissions Boundary Policy"),
], good
assert [m["SourcePolicyId"] for m in bad["MatchedStatements"]] == ["PolicyInputList.1"], bad
# json.dumps puts the first statement after '"Statement": [', the second after the first.
first, = (m for m in good["MatchedStatements"] if m["SourcePolicyId"] == "PolicyInputList.1")
assert first["StartPosition"] == {"Line": 1, "Column": 41}, first
assert bad["MatchedStatements"][0]["StartPosition"] == first["EndPosition"], bad

# A principal's policies are shown by name, managed ones too; its boundary by its name.
iam.create_user(UserName="dev")
iam.put_user_policy(UserName="dev", PolicyName="inline-read", PolicyDocument=doc(allow("iam:GetUser")))
iam.attach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
arn = iam.create_policy(PolicyName="dev-boundary", PolicyDocument=doc(allow("iam:Get*")))["Policy"]["Arn"]
iam.put_user_permissions_boundary(UserName="dev", PermissionsBoundary=arn)
r = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{A}:user/dev", ActionNames=["iam:GetUser", "iam:ListUsers"])["EvaluationResults"]
get_user, list_users = r
assert sorted((m["SourcePolicyId"], m["SourcePolicyType"]) for m in get_user["MatchedStatements"]) == [
    ("IAMReadOnlyAccess", "IAM Policy"),
    ("dev-boundary", "Permissions Boundary Policy"),
    ("inline-read", "IAM Policy"),
], get_user
assert get_user["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}, get_user
assert list_users["EvalDecision"] == "implicitDeny" and list_users["MatchedStatements"] == [], list_users
assert list_users["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}, list_users
print("simulation ok")
