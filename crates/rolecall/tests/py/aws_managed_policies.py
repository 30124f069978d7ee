"""The AWS managed policies a fresh account sees, as AWS reports them: list-policies --scope AWS
pages through all 1,452 of the reference (names, ids, ARNs, paths, default version ids, dates),
GetPolicy / GetPolicyVersion / ListPolicyVersions answer with the default version id as given
(v3, not v1) and AWS's document, and a policy that is not among the first eight shipped can be
attached and decides requests. Needs ../shared/reference/aws-managed-policies/policies.json
beside the workspace: without it the script says it skipped (and fails when CI is set)."""

import json
import os
import sys
import urllib.parse

from rc import ADMINS, admin, client, doc, allow, expect_error

A = ADMINS[0]["AccountId"]
iam = admin("iam")

REFERENCE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "..", "..", "..", "shared", "reference", "aws-managed-policies", "policies.json",
)
if not os.path.exists(REFERENCE):
    message = f"skipped: {os.path.normpath(REFERENCE)} is not present beside the workspace"
    if os.environ.get("CI") in ("true", "1"):
        sys.exit(f"CI is set, but {message[9:]}")
    print(message)
    sys.exit(0)
with open(REFERENCE, encoding="utf-8") as f:
    REFERENCE_POLICIES = {p["Arn"]: p for p in json.load(f)["Policies"]}
assert len(REFERENCE_POLICIES) == 1452, len(REFERENCE_POLICIES)


def document(version):
    """boto3 decodes IAM's URL-encoded document into a dict; a raw string is decoded here."""
    d = version["Document"]
    return json.loads(urllib.parse.unquote(d)) if isinstance(d, str) else d


# list-policies --scope AWS pages through every one of them, in pages of the default size.
pages = list(iam.get_paginator("list_policies").paginate(Scope="AWS"))
listed = [p for page in pages for p in page["Policies"]]
assert len(pages) == 15, len(pages)
assert len(listed) == 1452, len(listed)
assert len({p["Arn"] for p in listed}) == 1452
for p in listed:
    ref = REFERENCE_POLICIES[p["Arn"]]
    got = (p["PolicyName"], p["PolicyId"], p["Path"], p["DefaultVersionId"], p["IsAttachable"])
    want = (ref["PolicyName"], ref["PolicyId"], ref["Path"], ref["DefaultVersionId"], ref["IsAttachable"])
    assert got == want, (got, want)
    assert p["CreateDate"].isoformat() == ref["CreateDate"], (p["CreateDate"], ref)
    assert p["UpdateDate"].isoformat() == ref["UpdateDate"], (p["UpdateDate"], ref)
    assert p["AttachmentCount"] == 0 or p["PolicyName"] == "AdministratorAccess", p

# Small pages, a path prefix and the default scope (the account's own first, then AWS's).
small = iam.list_policies(Scope="AWS", MaxItems=7)
assert small["IsTruncated"] and [p["Arn"] for p in small["Policies"]] == [p["Arn"] for p in listed[:7]]
after = iam.list_policies(Scope="AWS", MaxItems=7, Marker=small["Marker"])
assert [p["Arn"] for p in after["Policies"]] == [p["Arn"] for p in listed[7:14]]
jobs = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS", PathPrefix="/job-function/") for p in page["Policies"]]
assert sorted(jobs) == sorted(r["PolicyName"] for r in REFERENCE_POLICIES.values() if r["Path"] == "/job-function/"), jobs
mine = iam.create_policy(PolicyName="mine", PolicyDocument=doc(allow("iam:GetUser")))["Policy"]["Arn"]
every = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 250}) for p in page["Policies"]]
assert every[0] == mine and len(every) == 1453 and set(every[1:]) == set(REFERENCE_POLICIES), every[:3]
assert [p["PolicyName"] for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]] == ["AdministratorAccess"]

# Versions as AWS reports them: the default version id as given, with AWS's document.
s3_read = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ref = REFERENCE_POLICIES[s3_read]
assert ref["DefaultVersionId"] == "v3", ref
got = iam.get_policy(PolicyArn=s3_read)["Policy"]
assert (got["PolicyName"], got["PolicyId"], got["DefaultVersionId"], got["AttachmentCount"]) == (
    "AmazonS3ReadOnlyAccess", ref["PolicyId"], "v3", 0), got
version = iam.get_policy_version(PolicyArn=s3_read, VersionId="v3")["PolicyVersion"]
assert version["VersionId"] == "v3" and version["IsDefaultVersion"], version
assert document(version) == ref["Document"], version
assert version["CreateDate"].isoformat() == ref["UpdateDate"], version
versions = iam.list_policy_versions(PolicyArn=s3_read)["Versions"]
assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v3", True)], versions
expect_error(
    lambda: iam.get_policy_version(PolicyArn=s3_read, VersionId="v1"),
    "NoSuchEntity",
    f"Policy {s3_read} version v1 does not exist or is not attachable.",
)
# The largest document, and one of the eight shipped before, come back whole.
for name in ("ReadOnlyAccess", "job-function/ViewOnlyAccess"):
    arn = f"arn:aws:iam::aws:policy/{name}"
    ref_p = REFERENCE_POLICIES[arn]
    v = iam.get_policy_version(PolicyArn=arn, VersionId=ref_p["DefaultVersionId"])["PolicyVersion"]
    assert document(v) == ref_p["Document"], name

# Attaching one that was not among the first eight: it is counted and it decides requests.
iam.create_user(UserName="reader")
key = iam.create_access_key(UserName="reader")["AccessKey"]
iam.attach_user_policy(UserName="reader", PolicyArn=s3_read)
attached = iam.list_attached_user_policies(UserName="reader")["AttachedPolicies"]
assert attached == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": s3_read}], attached
assert iam.get_policy(PolicyArn=s3_read)["Policy"]["AttachmentCount"] == 1
listed_entities = iam.list_entities_for_policy(PolicyArn=s3_read)["PolicyUsers"]
assert [u["UserName"] for u in listed_entities] == ["reader"], listed_entities
attached_now = [p["PolicyName"] for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]]
assert attached_now == ["AdministratorAccess", "AmazonS3ReadOnlyAccess"], attached_now
v = iam.get_policy_version(PolicyArn=s3_read, VersionId="v3")["PolicyVersion"]
assert document(v) == ref["Document"], v
# S3 read actions are allowed by it, IAM ones are not.
reader_iam = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
expect_error(lambda: reader_iam.list_users(), "AccessDenied")
sim = iam.simulate_principal_policy(
    PolicySourceArn=f"arn:aws:iam::{A}:user/reader", ActionNames=["s3:GetObject", "s3:PutObject"],
)["EvaluationResults"]
assert [(r["EvalActionName"], r["EvalDecision"]) for r in sim] == [
    ("s3:GetObject", "allowed"), ("s3:PutObject", "implicitDeny")], sim

# A document AWS holds to fewer format checks than a customer's (arn:*: resources) attaches and
# evaluates too.
bedrock = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"
iam.attach_user_policy(UserName="reader", PolicyArn=bedrock)
sim = iam.simulate_principal_policy(
    PolicySourceArn=f"arn:aws:iam::{A}:user/reader", ActionNames=["bedrock:InvokeModel"],
)["EvaluationResults"]
assert sim[0]["EvalDecision"] == "allowed", sim
# The reader's own requests still load its policies.
expect_error(lambda: reader_iam.list_users(), "AccessDenied")
iam.detach_user_policy(UserName="reader", PolicyArn=bedrock)

# A boundary and a session policy may be any attachable AWS managed policy too.
iam.put_user_permissions_boundary(UserName="reader", PermissionsBoundary="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")["Policy"]["PermissionsBoundaryUsageCount"] == 1
iam.create_role(
    RoleName="assumed",
    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}]}),
)
iam.attach_role_policy(RoleName="assumed", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
creds = admin("sts").assume_role(
    RoleArn=f"arn:aws:iam::{A}:role/assumed", RoleSessionName="reader-session",
    PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
)["Credentials"]
session_iam = client("iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
session_iam.list_users()
expect_error(lambda: session_iam.create_user(UserName="nope"), "AccessDenied")

# What is not attachable, or not there, is refused in IAM's words.
config_role = "arn:aws:iam::aws:policy/service-role/AWSConfigRole"
assert iam.get_policy(PolicyArn=config_role)["Policy"]["IsAttachable"] is False
expect_error(
    lambda: iam.attach_user_policy(UserName="reader", PolicyArn=config_role),
    "NoSuchEntity",
    f"Policy {config_role} does not exist or is not attachable.",
    404,
)
expect_error(
    lambda: iam.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"),
    "NoSuchEntity",
    "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
)
expect_error(
    lambda: iam.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/amazons3readonlyaccess"),
    "NoSuchEntity",
)
expect_error(
    lambda: iam.create_policy_version(PolicyArn=s3_read, PolicyDocument=doc(allow("s3:*"))),
    "InvalidInput",
)
print("aws managed policies ok")
