"""Helpers shared by the Python peer tests: boto3 clients for the server under test,
RFC 6238 codes, and assertions on AWS errors. Only boto3/botocore do the talking."""

import base64
import hashlib
import hmac
import json
import os
import struct
import time

import boto3
import botocore.exceptions
from botocore.config import Config

ENDPOINT = os.environ["RC_ENDPOINT"]
ADMINS = json.loads(os.environ["RC_ADMINS"])  # [{AccountId, AccessKeyId, SecretAccessKey}, ...]
CONFIG = Config(retries={"max_attempts": 1}, region_name="us-east-1")


def client(service, key_id, secret, token=None):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=CONFIG,
    )


def admin(service, index=0):
    a = ADMINS[index]
    return client(service, a["AccessKeyId"], a["SecretAccessKey"])


def from_credentials(service, creds):
    return client(service, creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))


def expect_error(fn, code, message=None, status=None):
    """Calls fn, which must fail with the AWS error `code` (and exactly `message` if given)."""
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, f"expected {code}, got {err['Code']}: {err.get('Message')}"
        if message is not None:
            assert err["Message"] == message, f"message was {err['Message']!r}, expected {message!r}"
        if status is not None:
            got = e.response["ResponseMetadata"]["HTTPStatusCode"]
            assert got == status, f"HTTP {got}, expected {status}"
        return err["Message"]
    raise AssertionError(f"expected {code}, but the call succeeded")


def totp(seed_b32, at=None, step_offset=0):
    """RFC 6238: HMAC-SHA1, six digits, 30-second steps."""
    secret = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    step = int((time.time() if at is None else at) // 30) + step_offset
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def doc(*statements, version="2012-10-17"):
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(action, resource="*", **extra):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    s.update(extra)
    return s


def new_user_with_key(iam, name, *policies):
    iam.create_user(UserName=name)
    for i, p in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=p)
    return iam.create_access_key(UserName=name)["AccessKey"]


def read_terminal(argv, env, cwd):
    """Runs argv with its standard output on a pseudo-terminal; returns its exit status and
    what it wrote there (line ends as a terminal shows them turned back into newlines)."""
    import pty
    import subprocess

    main, sub = pty.openpty()
    p = subprocess.Popen(argv, env=env, stdout=sub, stderr=subprocess.PIPE, cwd=cwd)
    os.close(sub)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=60)
    os.close(main)
    return p.returncode, b"".join(chunks).decode().replace("\r\n", "\n")
