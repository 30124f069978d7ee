"""The audit trail end to end, with boto3 and the AWS CLI: what CloudTrail's LookupEvents finds
after the seed flow (a user assumes a role with the AWS CLI's default session name; the session
lists users and is refused CreateUser), an MFA session, cross-account copies, account
isolation, paging, LookupEvents' errors, how soon an event is visible, that no secret reaches
the trail, and `rolecall cloudtrail lookup-events` byte for byte next to `aws cloudtrail
lookup-events`."""

import datetime
import json
import os
import re
import subprocess
import tempfile
import time

import boto3
import botocore.exceptions
from botocore.config import Config

from rc import ADMINS, ENDPOINT, admin, allow, client, doc, expect_error, from_credentials, new_user_with_key, totp

A, B = ADMINS[0]["AccountId"], ADMINS[1]["AccountId"]
iam_a, iam_b = admin("iam", 0), admin("iam", 1)
ct_a, ct_b = admin("cloudtrail", 0), admin("cloudtrail", 1)

# Every secret this script sees; none may ever reach the trail (section 8).
SECRETS = {a["SecretAccessKey"] for a in ADMINS}
# One-time codes are six digits: they are looked for as whole tokens (see `leaks`).
CODES = set()


def keep_secrets(creds):
    """Notes the secret parts of a key or a session's credentials; returns them unchanged."""
    SECRETS.add(creds["SecretAccessKey"])
    if creds.get("SessionToken"):
        SECRETS.add(creds["SessionToken"])
    return creds


def request_id(response):
    return response["ResponseMetadata"]["RequestId"]


def refused(fn, code):
    """Calls fn, which must fail with `code`; returns (message, request id) as the client got them."""
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        return e.response["Error"]["Message"], e.response["ResponseMetadata"]["RequestId"]
    raise AssertionError(f"expected {code}, but the call succeeded")


def events(ct, key=None, value=None, **kw):
    """Every event of a lookup, all pages (boto3's paginator), each with its record parsed."""
    if key is not None:
        kw["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    out = []
    for page in ct.get_paginator("lookup_events").paginate(**kw):
        for e in page["Events"]:
            e = dict(e)
            e["record"] = json.loads(e["CloudTrailEvent"])
            out.append(e)
    return out


def by_request(found, rid):
    return [e for e in found if e["record"].get("requestID") == rid]


def visible(ct, key, value, rid, answered):
    """The event of request `rid`, polled for at most one second after the call's answer."""
    while True:
        hits = by_request(events(ct, key, value), rid)
        if hits:
            waited = time.monotonic() - answered
            assert waited <= 1.0, f"event {rid} visible only after {waited:.2f}s"
            assert len(hits) == 1, hits
            return hits[0]
        assert time.monotonic() - answered <= 1.0, f"event {rid} ({key}={value}) not visible within 1s"
        time.sleep(0.02)


ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ORDER = ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
         "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
         "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
         "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory", "sessionCredentialFromConsole",
         "tlsDetails"]


def epoch(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def well_formed(e, account):
    """The record's fields in CloudTrail's order, and LookupEvents' columns agree with it."""
    r = e["record"]
    keys = list(r)
    assert keys == [k for k in ORDER if k in r], keys
    for k in ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
              "sourceIPAddress", "requestParameters", "responseElements", "requestID", "eventID", "readOnly",
              "eventType", "managementEvent", "recipientAccountId", "eventCategory"]:
        assert k in r, (k, r)
    assert r["eventVersion"] == "1.11" and r["eventType"] == "AwsApiCall" and r["managementEvent"] is True, r
    assert r["eventCategory"] == "Management" and r["recipientAccountId"] == account, r
    assert ISO_SECONDS.match(r["eventTime"]), r["eventTime"]
    assert e["EventId"] == r["eventID"] and e["EventName"] == r["eventName"], e
    assert e["EventSource"] == r["eventSource"], e
    assert e["ReadOnly"] == ("true" if r["readOnly"] else "false"), e
    assert e["EventTime"].timestamp() == epoch(r["eventTime"]), (e["EventTime"], r["eventTime"])
    if r["eventSource"] == "iam.amazonaws.com":
        assert r["awsRegion"] == "us-east-1", r


def settled(ct, key, value, rids, timeout=5.0):
    """The events of a lookup once every request in `rids` is among them."""
    deadline = time.monotonic() + timeout
    while True:
        found = events(ct, key, value)
        missing = set(rids) - {e["record"]["requestID"] for e in found}
        if not missing:
            return found
        assert time.monotonic() < deadline, f"{len(missing)} events never appeared ({key}={value})"
        time.sleep(0.05)


def cli_session_name(taken=()):
    """The name the AWS CLI gives a role session: AWS-CLI-session-<epoch> (a fresh epoch)."""
    while True:
        name = f"AWS-CLI-session-{int(time.time())}"
        if name not in taken:
            return name
        time.sleep(0.1)


# --- 1. The seed flow -------------------------------------------------------------------------------
role_arn = f"arn:aws:iam::{A}:role/Deploy"
alice_key = keep_secrets(new_user_with_key(iam_a, "alice", doc(allow("sts:AssumeRole", role_arn))))
alice_id = iam_a.get_user(UserName="alice")["User"]["UserId"]
trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"})
role = iam_a.create_role(RoleName="Deploy", AssumeRolePolicyDocument=trust)["Role"]
iam_a.put_role_policy(RoleName="Deploy", PolicyName="list", PolicyDocument=doc(allow("iam:ListUsers")))
alice_sts = client("sts", alice_key["AccessKeyId"], alice_key["SecretAccessKey"])

session = cli_session_name()
assumed = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName=session)
assumed_at = time.monotonic()
creds = keep_secrets(assumed["Credentials"])
assume_rid = request_id(assumed)
s_iam = from_credentials("iam", creds)
listed = s_iam.list_users()
listed_at = time.monotonic()
list_rid = request_id(listed)
denied_message, denied_rid = refused(lambda: s_iam.create_user(UserName="mallory"), "AccessDenied")
denied_at = time.monotonic()

# 7. Each event is visible within one second of the call's answer: a durable one (AssumeRole),
# a read (ListUsers) and a refusal (CreateUser).
assume_event = visible(ct_a, "Username", "alice", assume_rid, assumed_at)
list_event = visible(ct_a, "AccessKeyId", creds["AccessKeyId"], list_rid, listed_at)
denied_event = visible(ct_a, "EventName", "CreateUser", denied_rid, denied_at)

# Username = the session name: exactly the session's two calls.
mine = events(ct_a, "Username", session)
assert sorted(e["EventName"] for e in mine) == ["CreateUser", "ListUsers"], [e["EventName"] for e in mine]
for e in mine:
    well_formed(e, A)
    assert e["Username"] == session and e["AccessKeyId"] == creds["AccessKeyId"], e
listing = by_request(mine, list_rid)[0]
creating = by_request(mine, denied_rid)[0]
assert listing["EventId"] == list_event["EventId"] and creating["EventId"] == denied_event["EventId"]
assert listing["Resources"] == [] and listing["ReadOnly"] == "true", listing
r = listing["record"]
assert r["requestParameters"] is None and r["responseElements"] is None and r["readOnly"] is True, r
assert "errorCode" not in r and "errorMessage" not in r, r
r = creating["record"]
assert r["errorCode"] == "AccessDenied", r
assert r["errorMessage"] == denied_message, (r["errorMessage"], denied_message)
assert r["requestParameters"] == {"userName": "mallory"} and r["responseElements"] is None, r
assert r["readOnly"] is False and creating["ReadOnly"] == "false", r
assert creating["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": "mallory"}], creating

# The session's identity, as CloudTrail writes an AssumedRole.
for e in mine:
    u = e["record"]["userIdentity"]
    assert u["type"] == "AssumedRole", u
    assert u["principalId"] == f"{role['RoleId']}:{session}", u
    assert u["arn"] == f"arn:aws:sts::{A}:assumed-role/Deploy/{session}", u
    assert u["accountId"] == A and u["accessKeyId"] == creds["AccessKeyId"], u
    assert "userName" not in u, u
    ctx = u["sessionContext"]
    assert ctx["sessionIssuer"] == {"type": "Role", "principalId": role["RoleId"], "arn": role_arn, "accountId": A,
                                    "userName": "Deploy"}, ctx
    assert ctx["webIdFederationData"] == {}, ctx
    attrs = ctx["attributes"]
    assert list(attrs) == ["creationDate", "mfaAuthenticated"], attrs
    assert attrs["mfaAuthenticated"] == "false", attrs
    assert isinstance(attrs["creationDate"], str) and ISO_SECONDS.match(attrs["creationDate"]), attrs
    assert abs(epoch(attrs["creationDate"]) - epoch(assume_event["record"]["eventTime"])) <= 1, attrs

# The request ids are those the client received.
assert by_request(mine, list_rid) and by_request(mine, denied_rid)

# Username = alice: her AssumeRole, and nothing else yet.
hers = events(ct_a, "Username", "alice")
assert [e["EventId"] for e in hers] == [assume_event["EventId"]], hers
e = hers[0]
well_formed(e, A)
r = e["record"]
assert e["EventName"] == "AssumeRole" and e["EventSource"] == "sts.amazonaws.com" and e["ReadOnly"] == "true", e
assert e["AccessKeyId"] == alice_key["AccessKeyId"] and e["Username"] == "alice", e
assert e["Resources"] == [{"ResourceType": "AWS::IAM::Role", "ResourceName": role_arn}], e
assert r["requestID"] == assume_rid and r["readOnly"] is True, r
assert r["userIdentity"] == {"type": "IAMUser", "principalId": alice_id, "arn": f"arn:aws:iam::{A}:user/alice",
                             "accountId": A, "accessKeyId": alice_key["AccessKeyId"], "userName": "alice"}, r
assert r["requestParameters"] == {"roleArn": role_arn, "roleSessionName": session}, r
c = r["responseElements"]["credentials"]
assert c["accessKeyId"] == creds["AccessKeyId"], c
assert "secretAccessKey" not in c, c
assert c["sessionToken"] != creds["SessionToken"] and creds["SessionToken"] not in json.dumps(r), c
assert epoch(c["expiration"]) == creds["Expiration"].timestamp(), (c, creds["Expiration"])
assert r["responseElements"]["assumedRoleUser"] == {"assumedRoleId": f"{role['RoleId']}:{session}",
                                                   "arn": f"arn:aws:sts::{A}:assumed-role/Deploy/{session}"}, r
assert r["resources"] == [{"accountId": A, "type": "AWS::IAM::Role", "ARN": role_arn}], r
assert "sharedEventID" not in r, r  # same account: one copy

# Every other attribute finds the right events.
found = events(ct_a, "EventName", "AssumeRole")
assert assume_event["EventId"] in [e["EventId"] for e in found] and all(e["EventName"] == "AssumeRole" for e in found)
found = events(ct_a, "ReadOnly", "false")
ids = [e["EventId"] for e in found]
assert creating["EventId"] in ids and listing["EventId"] not in ids and assume_event["EventId"] not in ids, ids
assert all(e["ReadOnly"] == "false" and e["record"]["readOnly"] is False for e in found)
found = events(ct_a, "ReadOnly", "true")
ids = [e["EventId"] for e in found]
assert listing["EventId"] in ids and assume_event["EventId"] in ids and creating["EventId"] not in ids, ids
assert all(e["ReadOnly"] == "true" for e in found)
found = events(ct_a, "ResourceType", "AWS::IAM::Role")
assert assume_event["EventId"] in [e["EventId"] for e in found], found
assert all(any(x["ResourceType"] == "AWS::IAM::Role" for x in e["Resources"]) for e in found)
assert listing["EventId"] not in [e["EventId"] for e in found]
found = events(ct_a, "ResourceName", role_arn)
assert assume_event["EventId"] in [e["EventId"] for e in found], found
assert all(any(x["ResourceName"] == role_arn for x in e["Resources"]) for e in found)
assert events(ct_a, "ResourceName", role_arn[:-1]) == []  # an exact match, never a prefix
found = events(ct_a, "EventSource", "sts.amazonaws.com")
ids = [e["EventId"] for e in found]
assert assume_event["EventId"] in ids and listing["EventId"] not in ids, ids
assert all(e["EventSource"] == "sts.amazonaws.com" for e in found)
found = events(ct_a, "EventSource", "iam.amazonaws.com")
ids = [e["EventId"] for e in found]
assert listing["EventId"] in ids and creating["EventId"] in ids and assume_event["EventId"] not in ids, ids
assert all(e["EventSource"] == "iam.amazonaws.com" for e in found)
found = events(ct_a, "AccessKeyId", creds["AccessKeyId"])
assert sorted(e["EventId"] for e in found) == sorted([listing["EventId"], creating["EventId"]]), found
for e in [assume_event, listing, creating]:
    assert [x["EventId"] for x in events(ct_a, "EventId", e["EventId"])] == [e["EventId"]]
assert events(ct_a, "EventId", "00000000-0000-0000-0000-000000000000") == []
assert events(ct_a, "Username", session.lower()) == []  # values are case-sensitive

# GetSessionToken: not read-only, its response recorded without the secret; calls made with
# its credentials are the user's, with a session context.
gst_response = alice_sts.get_session_token(DurationSeconds=900)
gst = keep_secrets(gst_response["Credentials"])
e = visible(ct_a, "Username", "alice", request_id(gst_response), time.monotonic())
r = e["record"]
assert e["ReadOnly"] == "false" and r["readOnly"] is False and r["requestParameters"] == {"durationSeconds": 900}, r
assert r["responseElements"]["credentials"]["accessKeyId"] == gst["AccessKeyId"], r
assert "secretAccessKey" not in r["responseElements"]["credentials"], r
gst_ident = from_credentials("sts", gst).get_caller_identity()
e = visible(ct_a, "AccessKeyId", gst["AccessKeyId"], request_id(gst_ident), time.monotonic())
u = e["record"]["userIdentity"]
assert u["type"] == "IAMUser" and u["userName"] == "alice" and u["accessKeyId"] == gst["AccessKeyId"], u
assert u["sessionContext"]["attributes"]["mfaAuthenticated"] == "false", u
assert e["Username"] == "alice" and e["record"]["requestParameters"] is None, e
# A call outside what such a session may call at all is refused before any policy is read,
# and recorded with what it asked.
message, rid = refused(lambda: from_credentials("sts", gst).get_access_key_info(AccessKeyId=alice_key["AccessKeyId"]), "AccessDenied")
answered = time.monotonic()
e = visible(ct_a, "AccessKeyId", gst["AccessKeyId"], rid, answered)
r = e["record"]
assert r["errorCode"] == "AccessDenied" and r["errorMessage"] == message, r
assert r["requestParameters"] == {"accessKeyId": alice_key["AccessKeyId"]}, r

# A call with more than 100 KB of parameters: the record omits them, as CloudTrail does, and a
# read's (large) answer is not recorded.
big = [doc(*[allow(f"svc:Action{i:04}", f"arn:aws:s3:::bucket-{j:03}/{i:04}") for i in range(40)]) for j in range(60)]
simulated = iam_a.simulate_custom_policy(PolicyInputList=big, ActionNames=["svc:Action0001"])
e = visible(ct_a, "EventName", "SimulateCustomPolicy", request_id(simulated), time.monotonic())
assert e["record"]["requestParameters"] == {"omitted": True}, str(e["record"]["requestParameters"])[:200]
assert e["record"]["responseElements"] is None and len(e["CloudTrailEvent"]) < 4096, len(e["CloudTrailEvent"])

# --- 2. An MFA session ------------------------------------------------------------------------------
device = iam_a.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
serial = device["SerialNumber"]
seed = device["Base32StringSeed"].decode()
SECRETS.add(seed)
now = time.time()
s = int(now // 30)
c1, c2 = totp(seed, now, -1), totp(seed, now, 0)
CODES.update([c1, c2])
enabled = iam_a.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
# The server accepts one step of drift: the code of step s+1 is fresh and valid now.
code = totp(seed, (s + 1) * 30)
CODES.add(code)
mfa_session = cli_session_name({session})
mfa_assumed = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName=mfa_session, SerialNumber=serial, TokenCode=code)
mfa_creds = keep_secrets(mfa_assumed["Credentials"])
mfa_iam = from_credentials("iam", mfa_creds)
mfa_listed = mfa_iam.list_users()
mfa_list_at = time.monotonic()
mfa_ident = from_credentials("sts", mfa_creds).get_caller_identity()

visible(ct_a, "Username", mfa_session, request_id(mfa_listed), mfa_list_at)
later = settled(ct_a, "Username", mfa_session, [request_id(mfa_listed), request_id(mfa_ident)])
assert sorted(x["EventName"] for x in later) == ["GetCallerIdentity", "ListUsers"], later
assert by_request(later, request_id(mfa_ident))
for x in later:
    well_formed(x, A)
    attrs = x["record"]["userIdentity"]["sessionContext"]["attributes"]
    assert attrs["mfaAuthenticated"] == "true" and list(attrs) == ["creationDate", "mfaAuthenticated"], attrs
r = by_request(events(ct_a, "Username", "alice"), request_id(mfa_assumed))[0]["record"]
assert r["requestParameters"] == {"roleArn": role_arn, "roleSessionName": mfa_session, "serialNumber": serial}, r
r = by_request(events(ct_a, "EventName", "EnableMFADevice"), request_id(enabled))[0]["record"]
assert r["requestParameters"] == {"userName": "alice", "serialNumber": serial}, r
created = events(ct_a, "EventName", "CreateVirtualMFADevice")
assert len(created) == 1, created
v = created[0]["record"]["responseElements"]["virtualMFADevice"]
assert v["serialNumber"] == serial and "base32StringSeed" not in v and "qRCodePNG" not in v, v

# --- 3. Cross-account -------------------------------------------------------------------------------
b_role_arn = f"arn:aws:iam::{B}:role/Audit"
b_role = iam_b.create_role(
    RoleName="Audit",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}),
)["Role"]
iam_b.attach_role_policy(RoleName="Audit", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
x_key = keep_secrets(new_user_with_key(iam_a, "crosser", doc(allow("sts:AssumeRole", b_role_arn))))
x_id = iam_a.get_user(UserName="crosser")["User"]["UserId"]
x_sts = client("sts", x_key["AccessKeyId"], x_key["SecretAccessKey"])
x_session = "crossing"
crossed = x_sts.assume_role(RoleArn=b_role_arn, RoleSessionName=x_session)
crossed_at = time.monotonic()
x_creds = keep_secrets(crossed["Credentials"])
x_rid = request_id(crossed)

copy_a = visible(ct_a, "Username", "crosser", x_rid, crossed_at)
copy_b = visible(ct_b, "ResourceName", b_role_arn, x_rid, crossed_at)
well_formed(copy_a, A)
well_formed(copy_b, B)
ra, rb = copy_a["record"], copy_b["record"]
assert ra["userIdentity"] == {"type": "IAMUser", "principalId": x_id, "arn": f"arn:aws:iam::{A}:user/crosser",
                              "accountId": A, "accessKeyId": x_key["AccessKeyId"], "userName": "crosser"}, ra
assert rb["userIdentity"] == {"type": "AWSAccount", "principalId": x_id, "accountId": A}, rb
assert ra["recipientAccountId"] == A and rb["recipientAccountId"] == B
assert ra["sharedEventID"] == rb["sharedEventID"] and re.match(r"^[0-9a-f-]{36}$", ra["sharedEventID"]), (ra, rb)
assert ra["eventID"] != rb["eventID"]
for k in ["requestParameters", "responseElements", "requestID", "eventName", "eventSource", "eventTime", "readOnly",
          "resources"]:
    assert ra[k] == rb[k], (k, ra[k], rb[k])
assert ra["resources"] == [{"accountId": B, "type": "AWS::IAM::Role", "ARN": b_role_arn}], ra
assert ra["responseElements"]["credentials"]["accessKeyId"] == x_creds["AccessKeyId"], ra
# Each admin sees its own copy only.
assert [e["EventId"] for e in by_request(events(ct_a, "EventName", "AssumeRole"), x_rid)] == [copy_a["EventId"]]
assert [e["EventId"] for e in by_request(events(ct_b, "EventName", "AssumeRole"), x_rid)] == [copy_b["EventId"]]
assert events(ct_a, "EventId", copy_b["EventId"]) == [] and events(ct_b, "EventId", copy_a["EventId"]) == []
# The role owner's copy names the caller's account, never the caller's access key.
assert copy_a["AccessKeyId"] == x_key["AccessKeyId"] and "AccessKeyId" not in copy_b, copy_b
assert events(ct_b, "AccessKeyId", x_key["AccessKeyId"]) == []
# The session acts in B, and only B records it.
b_listed = from_credentials("iam", x_creds).list_roles()
e = visible(ct_b, "Username", x_session, request_id(b_listed), time.monotonic())
u = e["record"]["userIdentity"]
assert u["type"] == "AssumedRole" and u["accountId"] == B and u["principalId"] == f"{b_role['RoleId']}:{x_session}", u
assert u["sessionContext"]["sessionIssuer"]["arn"] == b_role_arn, u
assert events(ct_a, "Username", x_session) == [] and events(ct_a, "AccessKeyId", x_creds["AccessKeyId"]) == []

# A refused cross-account AssumeRole is recorded in the caller's account only.
n_key = keep_secrets(new_user_with_key(iam_a, "stranger"))
n_message, n_rid = refused(
    lambda: client("sts", n_key["AccessKeyId"], n_key["SecretAccessKey"]).assume_role(RoleArn=b_role_arn, RoleSessionName="no"),
    "AccessDenied",
)
e = visible(ct_a, "Username", "stranger", n_rid, time.monotonic())
r = e["record"]
assert r["errorCode"] == "AccessDenied" and r["errorMessage"] == n_message, r
assert r["responseElements"] is None and "sharedEventID" not in r and r["recipientAccountId"] == A, r
time.sleep(0.3)
assert by_request(events(ct_b), n_rid) == [], "a refused cross-account AssumeRole reached the role's account"

# --- 4. Account isolation ---------------------------------------------------------------------------
all_a, all_b = events(ct_a), events(ct_b)
assert all(e["record"]["recipientAccountId"] == A for e in all_a)
assert all(e["record"]["recipientAccountId"] == B for e in all_b)
assert not {e["EventId"] for e in all_a} & {e["EventId"] for e in all_b}
# B holds nothing of A's but the role owner's copy of the cross-account AssumeRole.
for e in all_b:
    u = e["record"]["userIdentity"]
    assert u["accountId"] == B or (u["type"] == "AWSAccount" and e["record"]["requestID"] == x_rid), e["record"]
for e in all_a:
    assert e["record"]["userIdentity"]["accountId"] == A, e["record"]
for key, value in [("Username", "alice"), ("Username", session), ("AccessKeyId", creds["AccessKeyId"]),
                   ("AccessKeyId", ADMINS[0]["AccessKeyId"]), ("ResourceName", role_arn),
                   ("EventId", assume_event["EventId"]), ("EventName", "CreateVirtualMFADevice")]:
    assert events(ct_b, key, value) == [], (key, value)
for key, value in [("Username", x_session), ("AccessKeyId", ADMINS[1]["AccessKeyId"]), ("EventName", "AttachRolePolicy"),
                   ("EventId", all_b[-1]["EventId"])]:
    assert events(ct_a, key, value) == [], (key, value)

# --- 5. Paging over more than fifty events ----------------------------------------------------------
p_key = keep_secrets(new_user_with_key(iam_a, "pager", doc(allow("iam:GetUser"))))
p_iam = client("iam", p_key["AccessKeyId"], p_key["SecretAccessKey"])
calls = {request_id(p_iam.get_user()) for _ in range(120)}
settled(ct_a, "Username", "pager", calls)
pages = list(ct_a.get_paginator("lookup_events").paginate(
    LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "pager"}], PaginationConfig={"PageSize": 50}))
assert [len(p["Events"]) for p in pages] == [50, 50, 20], [len(p["Events"]) for p in pages]
paged = [e for p in pages for e in p["Events"]]
assert len({e["EventId"] for e in paged}) == 120
assert {json.loads(e["CloudTrailEvent"])["requestID"] for e in paged} == calls
times = [e["EventTime"] for e in paged]
assert times == sorted(times, reverse=True), "not newest first"
# The whole account, at a fixed end: every event once, newest first; resuming a truncated
# result (MaxItems) continues exactly where it stopped.
end = datetime.datetime.now(datetime.timezone.utc)
time.sleep(1.1)
whole = [e for p in ct_a.get_paginator("lookup_events").paginate(EndTime=end, PaginationConfig={"PageSize": 50})
         for e in p["Events"]]
assert len(whole) > 150 and len({e["EventId"] for e in whole}) == len(whole), len(whole)
assert [e["EventTime"] for e in whole] == sorted((e["EventTime"] for e in whole), reverse=True)
assert calls <= {json.loads(e["CloudTrailEvent"])["requestID"] for e in whole}
first = ct_a.get_paginator("lookup_events").paginate(
    EndTime=end, PaginationConfig={"PageSize": 50, "MaxItems": 70}).build_full_result()
assert len(first["Events"]) == 70 and first["NextToken"], first.keys()
rest = ct_a.get_paginator("lookup_events").paginate(
    EndTime=end, PaginationConfig={"PageSize": 50, "StartingToken": first["NextToken"]}).build_full_result()
assert [e["EventId"] for e in first["Events"] + rest["Events"]] == [e["EventId"] for e in whole]
# Paging that takes longer than a second still continues its query: the token is bound to the
# times the request gave, not to the clock-dependent defaults (now, 90 days back).
long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
for query in [{}, {"StartTime": long_ago}, {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "pager"}]}]:
    seen = []
    for page in ct_a.get_paginator("lookup_events").paginate(**query, PaginationConfig={"PageSize": 50}):
        seen += [e["EventId"] for e in page["Events"]]
        if len(seen) <= 100:
            time.sleep(1.05)
    assert len(seen) >= 120 and len(set(seen)) == len(seen), (query.keys(), len(seen))
# A range wholly before the 90-day window is empty, not an error.
assert ct_a.lookup_events(StartTime=long_ago, EndTime=long_ago + datetime.timedelta(days=1))["Events"] == []

# --- 6. LookupEvents' errors ------------------------------------------------------------------------
unchecked = boto3.client(
    "cloudtrail", endpoint_url=ENDPOINT, aws_access_key_id=ADMINS[0]["AccessKeyId"],
    aws_secret_access_key=ADMINS[0]["SecretAccessKey"],
    config=Config(retries={"max_attempts": 1}, region_name="us-east-1", parameter_validation=False))
two = [{"AttributeKey": "Username", "AttributeValue": "alice"}, {"AttributeKey": "EventName", "AttributeValue": "ListUsers"}]
codes_seen = {}
for call, code in [
    (lambda: ct_a.lookup_events(LookupAttributes=two), "InvalidLookupAttributesException"),
    (lambda: ct_a.lookup_events(LookupAttributes=[{"AttributeKey": "UserName", "AttributeValue": "alice"}]),
     "InvalidLookupAttributesException"),
    (lambda: unchecked.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": ""}]),
     "InvalidLookupAttributesException"),
    (lambda: unchecked.lookup_events(MaxResults=51), "InvalidMaxResultsException"),
    (lambda: unchecked.lookup_events(MaxResults=0), "InvalidMaxResultsException"),
    (lambda: ct_a.lookup_events(StartTime=end, EndTime=end - datetime.timedelta(hours=1)), "InvalidTimeRangeException"),
    (lambda: ct_a.lookup_events(EventCategory="everything"), "InvalidEventCategoryException"),
]:
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
        codes_seen[request_id(e.response)] = (code, e.response["Error"]["Message"])
        continue
    raise AssertionError(f"expected {code}")
assert ct_a.lookup_events(EventCategory="insight")["Events"] == []
token = ct_a.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "pager"}], MaxResults=5)["NextToken"]
for other in [
    {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "alice"}]},
    {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "pager"}]},
    {},
    {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "pager"}], "EndTime": end},
]:
    expect_error(lambda: ct_a.lookup_events(NextToken=token, MaxResults=5, **other), "InvalidNextTokenException", status=400)
expect_error(lambda: ct_a.lookup_events(NextToken="not a token"), "InvalidNextTokenException", status=400)
# The same token with its own query continues it.
assert len(ct_a.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "pager"}], MaxResults=5,
                              NextToken=token)["Events"]) == 5
# A user without cloudtrail:LookupEvents.
d_key = keep_secrets(new_user_with_key(iam_a, "nolookup", doc(allow("iam:ListUsers"))))
d_message, d_rid = refused(lambda: client("cloudtrail", d_key["AccessKeyId"], d_key["SecretAccessKey"]).lookup_events(),
                           "AccessDeniedException")
assert d_message == (f"User: arn:aws:iam::{A}:user/nolookup is not authorized to perform: cloudtrail:LookupEvents "
                     "because no identity-based policy allows the cloudtrail:LookupEvents action"), d_message
codes_seen[d_rid] = ("AccessDeniedException", d_message)
# The trail records each refusal with the code and message the client received.
lookups = settled(ct_a, "EventName", "LookupEvents", codes_seen)
for rid, (code, message) in codes_seen.items():
    hit = by_request(lookups, rid)
    assert len(hit) == 1, (rid, code)
    r = hit[0]["record"]
    assert (r["errorCode"], r["errorMessage"]) == (code, message), (r.get("errorCode"), r.get("errorMessage"), code)
    assert r["eventSource"] == "cloudtrail.amazonaws.com" and r["readOnly"] is True and r["responseElements"] is None, r

# --- 8. No secret anywhere in either account's trail ------------------------------------------------
def leaks(text):
    found = [x for x in SECRETS if x in text]
    # A six-digit code is looked for as a whole token, so that it is not found inside an id.
    found += [c for c in CODES if re.search(rf"(?<![0-9A-Za-z]){c}(?![0-9A-Za-z])", text)]
    return found


assert len(SECRETS) >= 15 and len(CODES) == 3, (len(SECRETS), len(CODES))
for ct in (ct_a, ct_b):
    for page in ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 50}):
        for e in page["Events"]:
            text = json.dumps(e, default=str) + e["CloudTrailEvent"]
            assert not leaks(text), (leaks(text), e["EventName"])
            rec = json.loads(e["CloudTrailEvent"])
            flat = json.dumps(rec).lower()
            for k in ["secretaccesskey", "tokencode", "authenticationcode", "base32stringseed", "qrcodepng", "password"]:
                assert f'"{k}' not in flat, (k, e["EventName"])

# --- 9. The AWS CLI and rolecall, side by side ------------------------------------------------------
RC = os.environ["RC_BIN"]
AWS = os.path.join(os.path.dirname(os.environ["RC_PYTHON"]), "aws")
home = tempfile.mkdtemp()
os.makedirs(f"{home}/.aws")
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
env.update({"HOME": home, "AWS_ENDPOINT_URL": ENDPOINT, "COLUMNS": "80"})
with open(f"{home}/.aws/credentials", "w") as f:
    f.write(f"[default]\naws_access_key_id = {ADMINS[0]['AccessKeyId']}\naws_secret_access_key = {ADMINS[0]['SecretAccessKey']}\n")
with open(f"{home}/.aws/config", "w") as f:
    f.write("[default]\nregion = us-east-1\ncli_timestamp_format = iso8601\n")


def run(tool, args):
    p = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=120, cwd=home)
    return p.returncode, p.stdout, p.stderr


def same(args):
    rc_code, rc_out, rc_err = run(RC, args)
    aws_code, aws_out, aws_err = run(AWS, args)
    assert aws_code == 0, f"awscli failed on {args}: {aws_err}"
    assert rc_code == 0, f"rolecall failed on {args}: {rc_err}"
    assert rc_out == aws_out, f"{args}\n--- rolecall\n{rc_out}\n--- awscli\n{aws_out}"
    return rc_out


def same_error(args):
    rc_code, rc_out, rc_err = run(RC, args)
    aws_code, aws_out, aws_err = run(AWS, args)
    assert rc_out == "" and rc_code != 0 and aws_code != 0, (args, rc_out, aws_err)
    last = lambda t: t.strip().splitlines()[-1]
    assert last(rc_err.replace("rolecall", "aws")) == last(aws_err), f"{args}\n--- rolecall\n{rc_err}\n--- awscli\n{aws_err}"


# The end is fixed, and passed, before the first lookup: the lookups' own events fall after it.
fixed_end = int(time.time())
while time.time() < fixed_end + 1.2:
    time.sleep(0.1)
window = ["cloudtrail", "lookup-events", "--start-time", "2020-01-01T00:00:00Z", "--end-time", str(fixed_end)]
filters = [
    ["--lookup-attributes", f"AttributeKey=Username,AttributeValue={session}"],
    ["--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole"],
    ["--lookup-attributes", "AttributeKey=ReadOnly,AttributeValue=false"],
    ["--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={role_arn}"],
    ["--lookup-attributes", json.dumps([{"AttributeKey": "AccessKeyId", "AttributeValue": creds["AccessKeyId"]}])],
    ["--lookup-attributes", "AttributeKey=EventSource,AttributeValue=sts.amazonaws.com"],
]
for f in filters:
    out = same([*window, *f])
    assert json.loads(out)["Events"], f
    for fmt in ["text", "table"]:
        same([*window, *f, "--output", fmt])
    same([*window, *f, "--query", "Events[].CloudTrailEvent"])
    same([*window, *f, "--query", "Events[].[EventTime,EventName,Username,ReadOnly]", "--output", "text"])
    same([*window, *f, "--query", "Events[].{id: EventId, who: Username, res: Resources[0].ResourceName}", "--output", "table"])
# Times the service sends as epoch seconds are shown in the local zone, as botocore shows them
# (named zones, a POSIX rule, and none).
for zone, offset in [("America/Los_Angeles", "-0"), ("Asia/Kolkata", "+05:30"), ("<+0930>-9:30", "+09:30"), ("UTC", "+00:00")]:
    env["TZ"] = zone
    out = same([*window, *filters[0]])
    assert offset in json.loads(out)["Events"][0]["EventTime"], (zone, out)
    same([*window, *filters[0], "--output", "text"])
del env["TZ"]
# The whole account, paged by both tools, and a truncated page whose token each can resume.
same([*window, "--page-size", "50"])
same([*window, "--output", "text", "--query", "Events[].EventId"])
first = json.loads(same([*window, "--page-size", "7", "--max-items", "10"]))
assert len(first["Events"]) == 10 and first["NextToken"], first.keys()
same([*window, "--page-size", "7", "--max-items", "5", "--starting-token", first["NextToken"]])
same([*window, "--max-items", "3", "--output", "text"])
# The hidden --max-results and --next-token turn automatic paging off, as in the AWS CLI; then
# --max-items is no option of the operation's.
page = json.loads(same([*window, "--max-results", "3"]))
assert len(page["Events"]) == 3 and page["NextToken"], page.keys()
same([*window, "--max-results", "3", "--next-token", page["NextToken"]])
same([*window, "--max-results", "3", "--output", "text"])
same_error([*window, "--max-results", "3", "--max-items", "2"])
same_error([*window, "--no-paginate", "--max-items", "2"])
# Times in the forms the CloudTrail guide shows.
for start in ["2020-01-01", "01/27/2020, 13:16", "1/27/2020 13:16:05", "1577836800.5", "2020-01-01T02:00:00+02:00",
              "2020-01-01T02:00:00+0200", "Jan 27 2020", "01/27/20 1:16 PM", "20200127T131600Z", "2020-01-27 13:16 UTC"]:
    same(["cloudtrail", "lookup-events", "--start-time", start, "--end-time", str(fixed_end), "--query", "Events[].EventId",
          "--output", "text"])
# The same refusals.
same_error([*window, "--lookup-attributes", "AttributeKey=Username,AttributeValue=a", "AttributeKey=EventName,AttributeValue=b"])
same_error(["cloudtrail", "lookup-events", "--start-time", str(fixed_end), "--end-time", str(fixed_end - 60)])
same_error([*window, "--event-category", "nothing"])
same_error([*window, "--max-results", "51"])
same_error([*window, "--max-results", "0"])
same_error([*window, "--lookup-attributes", "AttributeKey=Username"])
same_error(["cloudtrail", "lookup-events", "--start-time", "not a time"])
same_error([*window, "--next-token", "not-a-token"])
print("audit trail ok")
