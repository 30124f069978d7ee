"""Authentication refusals, each with AWS's code, message and status."""

import datetime
from unittest import mock

import boto3
import botocore
from botocore import UNSIGNED
from botocore.config import Config

from rc import ADMINS, CONFIG, ENDPOINT, admin, client, expect_error

A = ADMINS[0]
good = admin("sts")
good.get_caller_identity()

# No signature at all.
unsigned = boto3.client("sts", endpoint_url=ENDPOINT, config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}, region_name="us-east-1"))
expect_error(lambda: unsigned.get_caller_identity(), "MissingAuthenticationToken", "Request is missing Authentication Token", 403)

# An access key the server never issued.
expect_error(lambda: client("sts", "AKIAIOSFODNN7EXAMPLE", "x" * 40).get_caller_identity(), "InvalidClientTokenId", "The security token included in the request is invalid", 403)

# The right key with the wrong secret.
expect_error(
    lambda: client("sts", A["AccessKeyId"], "y" * 40).get_caller_identity(),
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    403,
)

# A forged session token, and a temporary key without its token.
expect_error(lambda: client("sts", "ASIAQNUZ2EXAMPLE7KQ3", "z" * 40, "IQoJb3JpZ2luX2VjEXAMPLE").get_caller_identity(), "InvalidClientTokenId", "The security token included in the request is invalid")
creds = admin("sts").get_session_token(DurationSeconds=900)["Credentials"]
expect_error(lambda: client("sts", creds["AccessKeyId"], creds["SecretAccessKey"]).get_caller_identity(), "InvalidClientTokenId")
# A real token presented with another temporary key id.
other = admin("sts").get_session_token(DurationSeconds=900)["Credentials"]
expect_error(lambda: client("sts", other["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).get_caller_identity(), "InvalidClientTokenId")

# A signature made 20 minutes in the past or future.
real_datetime = datetime.datetime


class Skewed(real_datetime):
    offset = datetime.timedelta(0)

    @classmethod
    def utcnow(cls):
        return real_datetime.utcnow() + cls.offset

    @classmethod
    def now(cls, tz=None):
        return real_datetime.now(tz) + cls.offset


for minutes, prefix in [(-20, "Signature expired: "), (20, "Signature not yet current: ")]:
    Skewed.offset = datetime.timedelta(minutes=minutes)
    with mock.patch("botocore.auth.datetime.datetime", Skewed):
        msg = expect_error(lambda: admin("sts").get_caller_identity(), "SignatureDoesNotMatch", status=403)
    assert msg.startswith(prefix), msg
# Within the window is fine.
Skewed.offset = datetime.timedelta(minutes=10)
with mock.patch("botocore.auth.datetime.datetime", Skewed):
    admin("sts").get_caller_identity()

# A signature scoped to the wrong service, made by botocore's own signer.
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import urllib.request, urllib.error


def send(request):
    req = urllib.request.Request(request.url, data=request.body.encode() if isinstance(request.body, str) else request.body, headers=dict(request.headers), method=request.method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


body = "Action=GetCallerIdentity&Version=2011-06-15"
for service, region, expected in [("iam", "us-east-1", "Credential should be scoped to correct service: 'sts'. "), ("sts", "not a region!", "Credential should be scoped to a valid region, not 'not a region!'. ")]:
    request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(A["AccessKeyId"], A["SecretAccessKey"]), service, region).add_auth(request)
    status, text = send(request)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text and f"<Message>{expected}</Message>" in text, (status, text)
# The same signer with the right scope works, also in a presigned GET URL.
request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials(A["AccessKeyId"], A["SecretAccessKey"]), "sts", "eu-west-1").add_auth(request)
status, text = send(request)
assert status == 200 and "<GetCallerIdentityResult>" in text, text
from botocore.auth import SigV4QueryAuth
request = AWSRequest(method="GET", url=ENDPOINT + "/?" + body)
SigV4QueryAuth(Credentials(A["AccessKeyId"], A["SecretAccessKey"]), "sts", "us-east-1", expires=60).add_auth(request)
with urllib.request.urlopen(request.url) as r:
    assert r.status == 200 and b"<Arn>" in r.read()
# A presigned URL signed over UNSIGNED-PAYLOAD (as S3's presigner signs) covers no body: it is
# taken without one, and refused with one, so whoever holds the URL cannot add parameters.
from botocore.auth import S3SigV4QueryAuth
request = AWSRequest(method="POST", url=ENDPOINT + "/?" + body)
S3SigV4QueryAuth(Credentials(A["AccessKeyId"], A["SecretAccessKey"]), "sts", "us-east-1", expires=60).add_auth(request)
status, text = send(request)
assert status == 200 and "<Arn>" in text, (status, text)
request.data = "DurationSeconds=900"
request.headers["Content-Type"] = "application/x-www-form-urlencoded"
status, text = send(request.prepare())
assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text, (status, text)

# An unknown action and a malformed parameter.
def raw(body):
    req = urllib.request.Request(ENDPOINT + "/", data=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    raise AssertionError("expected an error")
status, body = raw("Action=NoSuchThing&Version=2011-06-15")
assert status == 400 and "<Code>InvalidAction</Code>" in body, body
status, body = raw("Version=2011-06-15")
assert status == 400 and "<Code>MissingAction</Code>" in body, body
status, body = raw("Action=GetCallerIdentity&Version=2011-06-15")
assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in body and "<RequestId>" in body, body
print("refusals ok")
