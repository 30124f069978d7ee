"""Root and the calls that need no permission (S54, S55, GetSessionToken limits)."""

import datetime
import json
import time

from rc import ADMINS, admin, allow, client, doc, expect_error, new_user_with_key

A = ADMINS[0]["AccountId"]
root_sts, root_iam = admin("sts", 1), admin("iam", 1)  # ADMINS[1] is the root key of account A

ident = root_sts.get_caller_identity()
assert ident == {k: ident[k] for k in ident} and ident["Arn"] == f"arn:aws:iam::{A}:root" and ident["UserId"] == A, ident

# Root needs no policy (S54) and cannot assume roles.
root_iam.create_user(UserName="made-by-root")
root_iam.create_role(RoleName="Any", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
expect_error(lambda: root_sts.assume_role(RoleArn=f"arn:aws:iam::{A}:role/Any", RoleSessionName="root"), "AccessDenied", "Roles may not be assumed by root accounts.")

# Root's session tokens last at most an hour, whatever is asked.
creds = root_sts.get_session_token(DurationSeconds=7200)["Credentials"]
left = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
assert 3500 < left <= 3600, left

# GetCallerIdentity and GetSessionToken need no permission, even under an explicit deny (S55).
key = new_user_with_key(admin("iam"), "denied", doc({"Effect": "Deny", "Action": "*", "Resource": "*"}))
d_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
assert d_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{A}:user/denied"
gst = d_sts.get_session_token(DurationSeconds=900)["Credentials"]
# A GetSessionToken session made without MFA cannot call IAM (S57).
admin("iam").put_user_policy(UserName="made-by-root", PolicyName="all", PolicyDocument=doc(allow("iam:*")))
mk = admin("iam").create_access_key(UserName="made-by-root")["AccessKey"]
plain = client("sts", mk["AccessKeyId"], mk["SecretAccessKey"]).get_session_token(DurationSeconds=900)["Credentials"]
expect_error(lambda: client("iam", plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"]).list_users(), "InvalidClientTokenId", "The security token included in the request is invalid")

# The trail names the root by the account's alias once one is set (as CloudTrail does), and
# LookupEvents shows it as `root`.
ct = admin("cloudtrail")


def root_event(request_id):
    for _ in range(50):
        for e in ct.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}])["Events"]:
            record = json.loads(e["CloudTrailEvent"])
            if record["requestID"] == request_id:
                return record["userIdentity"]
        time.sleep(0.05)
    raise AssertionError(f"no event for {request_id}")


before = root_sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
assert "userName" not in root_event(before), root_event(before)
admin("iam").create_account_alias(AccountAlias="example-corp")
after = root_sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
identity = root_event(after)
assert identity["type"] == "Root" and identity["userName"] == "example-corp", identity
print("special principals ok")
