"""Each variable the client reads, set to the empty string, next to the real AWS CLI on the same
server and files: both tools answer alike (the same output, or both fail with the same message),
as botocore's rule for that variable has it (the table in crates/credentials/src/env.rs). The
variables only rolecall reads, and those whose effect is not visible from outside, are covered
by the unit tests in crates/credentials."""

import os
import subprocess
import tempfile

from rc import ADMINS, ENDPOINT, admin, read_terminal

RC = os.environ["RC_BIN"]
AWS = os.path.join(os.path.dirname(os.environ["RC_PYTHON"]), "aws")
KEY, SECRET = ADMINS[0]["AccessKeyId"], ADMINS[0]["SecretAccessKey"]

home = tempfile.mkdtemp(prefix="rolecall-empty-")
os.makedirs(f"{home}/.aws")
with open(f"{home}/.aws/credentials", "w") as f:
    f.write(f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
with open(f"{home}/.aws/config", "w") as f:
    f.write("[default]\nregion = us-east-1\noutput = json\ncli_timestamp_format = iso8601\n")

BASE = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
BASE.update({"HOME": home, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ENDPOINT})
BASE.pop("PAGER", None)


def run(tool, args, variables, drop=()):
    env = {k: v for k, v in BASE.items() if k not in drop}
    env.update(variables)
    p = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=60, cwd=home)
    last = [line for line in p.stderr.splitlines() if line.strip()]
    return p.returncode, p.stdout, last[-1] if last else ""


def alike(args, variables, drop=(), fails=None, says=None):
    """Both tools succeed with the same output, or both fail with the same last line on stderr."""
    rc_code, rc_out, rc_err = run(RC, args, variables, drop)
    aws_code, aws_out, aws_err = run(AWS, args, variables, drop)
    what = (args, variables, (rc_code, rc_out, rc_err), (aws_code, aws_out, aws_err))
    assert (rc_code == 0) == (aws_code == 0), what
    assert rc_out == aws_out, what
    if rc_code != 0:
        assert rc_err == aws_err, what
    if fails is not None:
        assert (rc_code != 0) == fails, what
    if says is not None:
        assert rc_err == says, what
    return rc_out


USERS = ["iam", "list-users", "--query", "Users[].UserName", "--output", "text"]
WHO = ["sts", "get-caller-identity", "--query", "Arn", "--output", "text"]
LIST = ["configure", "list"]

# Empty is a value: the profile named "", the region "", the files at "", an output format "".
alike(WHO, {"AWS_PROFILE": ""}, fails=True, says="The config profile () could not be found")
alike(USERS, {"AWS_DEFAULT_REGION": ""}, fails=True,
      says="An error occurred (SignatureDoesNotMatch) when calling the ListUsers operation: "
           "Credential should be scoped to a valid region, not ''. ")
# The regional endpoint of the region "" is refused before any request (a CA bundle that does
# not exist makes sure no request could leave either way).
alike(["sts", "get-caller-identity"], {"AWS_DEFAULT_REGION": "", "AWS_CA_BUNDLE": f"{home}/no-such-ca.pem"},
      drop=("AWS_ENDPOINT_URL",), fails=True, says="Invalid endpoint: https://sts..amazonaws.com")
for name in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"]:
    alike(LIST, {name: ""}, fails=False)
alike(LIST, {"AWS_DEFAULT_REGION": ""}, fails=False)
alike(USERS[:-2], {"AWS_DEFAULT_OUTPUT": ""}, fails=True, says="Unknown output type: ")

# Empty is a value that botocore refuses.
alike(USERS, {"AWS_MAX_ATTEMPTS": ""}, fails=True, says="invalid literal for int() with base 10: ''")
alike(USERS, {"AWS_RETRY_MODE": ""}, fails=True,
      says="Invalid value provided to \"mode\": \"\" must be one of: ('legacy', 'standard', 'adaptive')")
alike(USERS, {"AWS_CA_BUNDLE": ""}, fails=True,
      says="Invalid CA bundle: the configured value (ca_bundle, AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, or verify) "
           "resolved to an empty or whitespace-only string. Provide a valid path to a CA bundle file.")

# Empty is unset: the next source is used.
assert alike(USERS, {"AWS_ENDPOINT_URL_IAM": ""}, fails=False).strip() == "admin"
assert alike(USERS, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": ""}, fails=False).strip() == "admin"
alike(WHO, {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "not-used"}, fails=False)
alike(LIST, {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "not-used"}, fails=False)
alike(WHO, {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": ""}, fails=False)
alike(WHO, {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": ""}, fails=True,
      says="Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY")

# The session token: AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN, an empty one skipped.
session = admin("sts").get_session_token(DurationSeconds=900)["Credentials"]
keys = {"AWS_ACCESS_KEY_ID": session["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"]}
alike(WHO, {**keys, "AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": session["SessionToken"]}, fails=False)
alike(WHO, {**keys, "AWS_SECURITY_TOKEN": "not-a-token", "AWS_SESSION_TOKEN": session["SessionToken"]}, fails=True)

# A container variable set to "" turns the container provider on (and its URL "" is refused).
empty_home = tempfile.mkdtemp(prefix="rolecall-empty-nothing-")
code, _, err = run(RC, WHO, {"HOME": empty_home, "AWS_CONTAINER_CREDENTIALS_FULL_URI": ""})
aws_code, _, _ = run(AWS, WHO, {"HOME": empty_home, "AWS_CONTAINER_CREDENTIALS_FULL_URI": ""})
assert code != 0 and aws_code != 0 and "container credentials endpoint" in err, (code, err)

# PAGER="" turns the pager off, as AWS_PAGER="" does (AWS CLI v2's pager chain; v1 has no
# pager). A `less` first on PATH records whether it ran.
bin_dir = tempfile.mkdtemp(prefix="rolecall-empty-bin-")
ran = f"{bin_dir}/less-ran"
with open(f"{bin_dir}/less", "w") as f:
    f.write(f"#!/bin/sh\ntouch {ran}\ncat\n")
os.chmod(f"{bin_dir}/less", 0o755)


def on_terminal(variables):
    env = {**BASE, "PATH": f"{bin_dir}:{BASE.get('PATH', '/usr/bin:/bin')}", **variables}
    return read_terminal([RC, *USERS], env, home)


code, shown = on_terminal({"PAGER": ""})
assert code == 0 and shown.strip() == "admin" and not os.path.exists(ran), (code, shown)
code, shown = on_terminal({})
assert code == 0 and shown.strip() == "admin" and os.path.exists(ran), "the default pager is less"

print("empty variables ok")
