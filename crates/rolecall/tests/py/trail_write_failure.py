"""When the audit trail cannot be written, the calls that must be recorded before they are
answered (issued credentials, IAM changes) are refused with a 500, never answered as if
recorded; calls whose events may be written later still succeed. Once the trail can be written
again, so are the calls.

The fault is a trigger planted in the server's SQLite database (RC_DB) that aborts every
insert of an event."""

import json
import os
import sqlite3
import time

import boto3
import botocore.exceptions
from botocore.config import Config

from rc import ADMINS, ENDPOINT, admin, allow, doc, new_user_with_key

# One attempt each: a retried refusal would hide what the first answer was.
ONCE = Config(retries={"total_max_attempts": 1}, region_name="us-east-1")


def client(service, key_id, secret):
    return boto3.client(service, endpoint_url=ENDPOINT, aws_access_key_id=key_id, aws_secret_access_key=secret, config=ONCE)


iam = client("iam", ADMINS[0]["AccessKeyId"], ADMINS[0]["SecretAccessKey"])
ct = admin("cloudtrail")
role_arn = iam.create_role(
    RoleName="Audited",
    AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
)["Role"]["Arn"]
key = new_user_with_key(iam, "caller", doc(allow("sts:AssumeRole")))
sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
sts.assume_role(RoleArn=role_arn, RoleSessionName="before")


def fails_500(fn, code):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 500, e.response
        return
    raise AssertionError(f"expected {code}, but the call succeeded")


db = sqlite3.connect(os.environ["RC_DB"], timeout=10, isolation_level=None)
db.execute("CREATE TRIGGER refuse_events BEFORE INSERT ON trail_events BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
db.execute("CREATE TRIGGER refuse_chunks BEFORE INSERT ON trail_chunks BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
try:
    # No credentials leave the server without their event.
    fails_500(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="unrecorded"), "InternalFailure")
    # A change stands, but the caller is not told it succeeded (IAM's name for the failure).
    fails_500(lambda: iam.create_user(UserName="unrecorded"), "ServiceFailure")
    # A read is answered: its event may be written in a batch.
    assert iam.get_role(RoleName="Audited")["Role"]["Arn"] == role_arn
finally:
    db.execute("DROP TRIGGER refuse_events")
    db.execute("DROP TRIGGER refuse_chunks")
    db.close()

assert iam.get_user(UserName="unrecorded")["User"]["UserName"] == "unrecorded"
sts.assume_role(RoleArn=role_arn, RoleSessionName="after")


def recorded_sessions():
    found = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": role_arn}])["Events"]
    return {json.loads(e["CloudTrailEvent"])["requestParameters"]["roleSessionName"] for e in found if e["EventName"] == "AssumeRole"}


deadline = time.monotonic() + 2
while "after" not in recorded_sessions():
    assert time.monotonic() < deadline, recorded_sessions()
    time.sleep(0.05)
assert recorded_sessions() == {"before", "after"}, recorded_sessions()
print("refused while unrecorded")
