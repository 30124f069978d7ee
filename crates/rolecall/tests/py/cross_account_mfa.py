"""Cross-account role assumption that requires MFA, with a real virtual MFA device."""

import base64
import time

from rc import ADMINS, admin, allow, client, doc, expect_error, new_user_with_key, totp

A, B = ADMINS[0]["AccountId"], ADMINS[1]["AccountId"]
iam_a, iam_b = admin("iam", 0), admin("iam", 1)
role_arn = f"arn:aws:iam::{B}:role/Audit"

# In B: a role that trusts account A, only with MFA.
iam_b.create_role(
    RoleName="Audit",
    AssumeRolePolicyDocument=doc({
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }),
)
iam_b.attach_role_policy(RoleName="Audit", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")

# In A: alice may assume it, and has a virtual MFA device.
key = new_user_with_key(iam_a, "alice", doc(allow("sts:AssumeRole", role_arn)))
device = iam_a.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
serial = device["SerialNumber"]
assert serial == f"arn:aws:iam::{A}:mfa/alice", serial
seed = device["Base32StringSeed"].decode()
assert len(seed) == 64, seed
assert device["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n"

# Enabling needs two consecutive codes; wrong ones are refused.
now = time.time()
expect_error(lambda: iam_a.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="111111"), "InvalidAuthenticationCode", status=403)
iam_a.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=totp(seed, now, -1), AuthenticationCode2=totp(seed, now, 0))
assert iam_a.list_mfa_devices(UserName="alice")["MFADevices"][0]["SerialNumber"] == serial

# Enabling used the codes of steps s-1 and s. The server accepts one step of drift, so the
# code of step s+1 is fresh and valid now; each later use needs a later step.
s = int(now // 30)


def code_for(step):
    """The code of `step`, once the clock is within one step of it."""
    while int(time.time() // 30) < step - 1:
        time.sleep(0.2)
    return totp(seed, step * 30)



sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
bare = f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
# Without MFA the trust condition fails.
expect_error(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="audit"), "AccessDenied", bare)
# Half of the MFA pair.
expect_error(
    lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="audit", SerialNumber=serial),
    "AccessDenied",
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
)
# A wrong code.
wrong = "%06d" % ((int(totp(seed, (s + 1) * 30)) + 500000) % 1000000)
expect_error(
    lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="audit", SerialNumber=serial, TokenCode=wrong),
    "AccessDenied",
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
)
code = code_for(s + 1)
out = sts.assume_role(RoleArn=role_arn, RoleSessionName="audit", SerialNumber=serial, TokenCode=code)
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{B}:assumed-role/Audit/audit", out
# The same code cannot be used twice.
expect_error(
    lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="again", SerialNumber=serial, TokenCode=code),
    "AccessDenied",
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
)
creds = out["Credentials"]
session_iam = client("iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
session_sts = client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
ident = session_sts.get_caller_identity()
assert ident["Account"] == B and ident["Arn"].endswith(":assumed-role/Audit/audit"), ident
# The session reads B's IAM, with B's managed read-only policy, and cannot write.
assert [r["RoleName"] for r in session_iam.list_roles()["Roles"]] == ["Audit"]
expect_error(lambda: session_iam.create_user(UserName="x"), "AccessDenied")

# Without the caller-side allow, cross-account fails even when the trust names alice (S43).
iam_b.update_assume_role_policy(RoleName="Audit", PolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"}, "Action": "sts:AssumeRole"}))
iam_a.delete_user_policy(UserName="alice", PolicyName="p0")
expect_error(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="audit"), "AccessDenied", bare)

# A GetSessionToken session made with MFA carries the MFA flag into later evaluations.
iam_a.put_user_policy(UserName="alice", PolicyName="mfa-only", PolicyDocument=doc(allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
alice_iam = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
expect_error(lambda: alice_iam.list_users(), "AccessDenied")
gst = sts.get_session_token(SerialNumber=serial, TokenCode=code_for(s + 2))["Credentials"]
mfa_iam = client("iam", gst["AccessKeyId"], gst["SecretAccessKey"], gst["SessionToken"])
assert [u["UserName"] for u in mfa_iam.list_users()["Users"]] == ["admin", "alice"]
print("cross-account MFA ok")
