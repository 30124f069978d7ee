"""`rolecall iam …` and `rolecall sts …` against the real AWS CLI on the same server and files:
every read compared byte for byte (json, text, table, --query), writes compared with their
generated ids and dates masked, pagination and NextToken interchange, --cli-input-json,
shorthand, file://, skeletons, errors and exit codes, create-virtual-mfa-device --outfile,
and the yaml formats against ruamel.yaml (the emitter AWS CLI v2 uses)."""

import io
import json
import os
import re
import subprocess
import tempfile

from rc import ADMINS, ENDPOINT, admin, allow, doc, read_terminal

RC = os.environ["RC_BIN"]
AWS = os.path.join(os.path.dirname(os.environ.get("RC_PYTHON", "")) or ".", "aws")
A = ADMINS[0]["AccountId"]
iam = admin("iam")

home = tempfile.mkdtemp()
os.makedirs(f"{home}/.aws")
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
env.update({"HOME": home, "AWS_ENDPOINT_URL": ENDPOINT, "COLUMNS": "80"})
with open(f"{home}/.aws/credentials", "w") as f:
    f.write(f"[default]\naws_access_key_id = {ADMINS[0]['AccessKeyId']}\naws_secret_access_key = {ADMINS[0]['SecretAccessKey']}\n")
with open(f"{home}/.aws/config", "w") as f:
    # AWS CLI v1 prints wire timestamps unless told to print them as v2 does.
    f.write("[default]\nregion = us-east-1\ncli_timestamp_format = iso8601\n")


def run(tool, args, stdin=None):
    p = subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin, cwd=home)
    return p.returncode, p.stdout, p.stderr


def same(args, note=""):
    """Both tools print the same bytes and succeed."""
    rc_code, rc_out, rc_err = run(RC, args)
    aws_code, aws_out, aws_err = run(AWS, args)
    assert aws_code == 0, f"awscli failed on {args}: {aws_err}"
    assert rc_code == 0, f"rolecall failed on {args}: {rc_err}"
    assert rc_out == aws_out, f"{note} {args}\n--- rolecall\n{rc_out}\n--- awscli\n{aws_out}"
    return rc_out


MASKS = [
    (re.compile(r"\bA(?:ID|RO|NP|KI|SI|GP|IP)A[A-Z0-9]{12,}"), "<ID>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00|Z)"), "<TIME>"),
    (re.compile(r'("SecretAccessKey": ")[^"]+'), r"\1<SECRET>"),
]


def masked(text, names):
    for a, b in names:
        text = text.replace(a, b)
    for rx, rep in MASKS:
        text = rx.sub(rep, text)
    return text


def same_write(rc_args, aws_args, names):
    """A write made once by each tool (on differently named entities) prints the same output
    once names, generated ids and dates are masked."""
    rc_code, rc_out, rc_err = run(RC, rc_args)
    aws_code, aws_out, aws_err = run(AWS, aws_args)
    assert (rc_code, aws_code) == (0, 0), f"{rc_args}: {rc_err} / {aws_err}"
    assert masked(rc_out, names) == masked(aws_out, []), f"{rc_args}\n--- rolecall\n{rc_out}\n--- awscli\n{aws_out}"
    return rc_out


def same_error(args, code=None):
    """The same error message on stderr; rolecall exits with the AWS CLI v2 code."""
    rc_code, rc_out, rc_err = run(RC, args)
    aws_code, aws_out, aws_err = run(AWS, args)
    assert rc_out == "" and aws_code != 0, (args, rc_out, aws_err)
    rc_err = rc_err.replace("rolecall", "aws")
    assert rc_err.strip().splitlines()[-1] == aws_err.strip().splitlines()[-1], f"{args}\n--- rolecall\n{rc_err}\n--- awscli\n{aws_err}"
    if code is not None:
        assert rc_code == code, (args, rc_code, rc_err)
    return rc_err


trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"})
policy = doc(allow("s3:GetObject"))
with open(f"{home}/trust.json", "w") as f:
    f.write(trust)
with open(f"{home}/policy.json", "w") as f:
    f.write(policy)

# --- writes, each made by both tools on twin entities -------------------------------------------
R = [("rc-", "aws-")]
same_write(["iam", "create-user", "--user-name", "rc-u1", "--path", "/team/", "--tags", "Key=team,Value=blue", "Key=env,Value=dev"],
           ["iam", "create-user", "--user-name", "aws-u1", "--path", "/team/", "--tags", "Key=team,Value=blue", "Key=env,Value=dev"], R)
same_write(["iam", "create-role", "--role-name", "rc-role", "--assume-role-policy-document", "file://trust.json", "--description", "a role: for tests", "--max-session-duration", "7200", "--tags", '[{"Key": "k", "Value": "v"}]'],
           ["iam", "create-role", "--role-name", "aws-role", "--assume-role-policy-document", "file://trust.json", "--description", "a role: for tests", "--max-session-duration", "7200", "--tags", '[{"Key": "k", "Value": "v"}]'], R)
same_write(["iam", "create-policy", "--policy-name", "rc-pol", "--policy-document", "file://policy.json", "--description", "d"],
           ["iam", "create-policy", "--policy-name", "aws-pol", "--policy-document", "file://policy.json", "--description", "d"], R)
same_write(["iam", "create-group", "--group-name", "rc-g"], ["iam", "create-group", "--group-name", "aws-g"], R)
same_write(["iam", "create-access-key", "--user-name", "rc-u1"], ["iam", "create-access-key", "--user-name", "aws-u1"], R)
same_write(["iam", "create-instance-profile", "--instance-profile-name", "rc-ip"], ["iam", "create-instance-profile", "--instance-profile-name", "aws-ip"], R)
for who in ["rc", "aws"]:
    tool = RC if who == "rc" else AWS
    for args in (
        ["iam", "add-user-to-group", "--user-name", f"{who}-u1", "--group-name", f"{who}-g"],
        ["iam", "attach-role-policy", "--role-name", f"{who}-role", "--policy-arn", f"arn:aws:iam::{A}:policy/{who}-pol"],
        ["iam", "put-role-policy", "--role-name", f"{who}-role", "--policy-name", "inline", "--policy-document", policy],
        ["iam", "add-role-to-instance-profile", "--instance-profile-name", f"{who}-ip", "--role-name", f"{who}-role"],
        ["iam", "tag-role", "--role-name", f"{who}-role", "--tags", "Key=a,Value=1"],
        ["iam", "untag-role", "--role-name", f"{who}-role", "--tag-keys", "a"],
        ["iam", "update-role", "--role-name", f"{who}-role", "--max-session-duration", "3600"],
        ["iam", "create-policy-version", "--policy-arn", f"arn:aws:iam::{A}:policy/{who}-pol", "--policy-document", policy, "--no-set-as-default"],
    ):
        code, out, err = run(tool, args)
        assert code == 0, (args, err)
same_write(["iam", "create-policy-version", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol", "--policy-document", policy, "--set-as-default"],
           ["iam", "create-policy-version", "--policy-arn", f"arn:aws:iam::{A}:policy/aws-pol", "--policy-document", policy, "--set-as-default"], R)

# --- reads: byte for byte, in every format ---------------------------------------------------------
for out in ["json", "text", "table"]:
    for args in (
        ["iam", "get-user", "--user-name", "rc-u1"],
        ["iam", "get-role", "--role-name", "rc-role"],
        ["iam", "list-roles"],
        ["iam", "list-users", "--path-prefix", "/team/"],
        ["iam", "get-group", "--group-name", "rc-g"],
        ["iam", "list-groups-for-user", "--user-name", "rc-u1"],
        ["iam", "get-policy", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol"],
        ["iam", "list-policy-versions", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol"],
        ["iam", "get-policy-version", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol", "--version-id", "v1"],
        ["iam", "list-attached-role-policies", "--role-name", "rc-role"],
        ["iam", "get-role-policy", "--role-name", "rc-role", "--policy-name", "inline"],
        ["iam", "list-role-policies", "--role-name", "rc-role"],
        ["iam", "list-entities-for-policy", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol"],
        ["iam", "get-instance-profile", "--instance-profile-name", "rc-ip"],
        ["iam", "list-instance-profiles-for-role", "--role-name", "rc-role"],
        ["iam", "list-access-keys", "--user-name", "rc-u1"],
        ["iam", "list-user-tags", "--user-name", "rc-u1"],
        ["iam", "get-account-summary"],
        ["iam", "list-policies", "--scope", "Local"],
        ["iam", "list-mfa-devices"],
        ["sts", "get-caller-identity"],
        ["sts", "get-access-key-info", "--access-key-id", ADMINS[0]["AccessKeyId"]],
    ):
        same([*args, "--output", out])

# --query, including projections and multi-select hashes, in json and text.
for q in ["Roles[].RoleName", "Roles[?RoleName=='rc-role'].{Name: RoleName, Max: MaxSessionDuration}", "Role", "length(Roles)", "Roles[0].Tags"]:
    args = ["iam", "list-roles"] if q != "Role" else ["iam", "get-role", "--role-name", "rc-role"]
    same([*args, "--query", q])
    same([*args, "--query", q, "--output", "text"])

# --- pagination ------------------------------------------------------------------------------------
for i in range(7):
    iam.create_user(UserName=f"page-{i}", Path="/paging/")
base = ["iam", "list-users", "--path-prefix", "/paging/"]
same([*base, "--page-size", "2"])
same([*base, "--page-size", "2", "--output", "text"])
same([*base, "--page-size", "3", "--max-items", "4"])
same([*base, "--page-size", "3", "--max-items", "4", "--output", "text"])
same([*base, "--max-items", "2", "--no-paginate"])
same([*base, "--no-paginate"])
first = json.loads(same([*base, "--page-size", "2", "--max-items", "3"]))
token = first["NextToken"]
# A NextToken from either tool resumes in the other.
same([*base, "--page-size", "2", "--starting-token", token])
same([*base, "--page-size", "2", "--max-items", "2", "--starting-token", token])
marker = iam.list_users(PathPrefix="/paging/", MaxItems=2)["Marker"]
same([*base, "--marker", marker])
same(["iam", "get-group", "--group-name", "rc-g", "--max-items", "1", "--output", "text"])
code, _, err = run(RC, [*base, "--no-paginate", "--starting-token", token])
assert code == 252 and "Cannot specify --no-paginate along with pagination arguments: --starting-token" in err, err

# --- input forms -----------------------------------------------------------------------------------
with open(f"{home}/input.json", "w") as f:
    json.dump({"UserName": "rc-u1", "Tags": [{"Key": "from", "Value": "json"}]}, f)
code, out, err = run(RC, ["iam", "tag-user", "--cli-input-json", "file://input.json"])
assert code == 0 and out == "", err
assert {"Key": "from", "Value": "json"} in iam.list_user_tags(UserName="rc-u1")["Tags"]
# Options on the command line override the JSON.
code, out, err = run(RC, ["iam", "get-user", "--cli-input-json", '{"UserName": "nobody"}', "--user-name", "rc-u1"])
assert code == 0 and json.loads(out)["User"]["UserName"] == "rc-u1", err
for op in ["create-user", "tag-role", "put-role-policy", "enable-mfa-device", "update-assume-role-policy", "get-account-summary"]:
    same(["iam", op, "--generate-cli-skeleton"])
# The AWS CLI's bundled STS model predates MinimumSessionTokenSize; otherwise the same.
rc_skel = json.loads(run(RC, ["sts", "assume-role", "--generate-cli-skeleton"])[1])
rc_skel.pop("MinimumSessionTokenSize")
assert rc_skel == json.loads(run(AWS, ["sts", "assume-role", "--generate-cli-skeleton"])[1])
# The output sample names each member (the AWS CLI v1 refuses its own sample; v2 prints it).
code, out, err = run(RC, ["iam", "get-role", "--role-name", "x", "--generate-cli-skeleton", "output"])
assert code == 0 and json.loads(out)["Role"]["RoleName"] == "RoleName", err
same(["iam", "update-assume-role-policy", "--role-name", "rc-role", "--policy-document", "file://trust.json"])
same(["iam", "tag-user", "--user-name", "rc-u1", "--tags", "Key=quoted,Value='a b=c'", "Key=spaced,Value=x y"])
same(["iam", "list-user-tags", "--user-name", "rc-u1"])

# --- errors ----------------------------------------------------------------------------------------
same_error(["iam", "get-user", "--user-name", "nobody"], 254)
same_error(["iam", "get-role", "--role-name", "nobody", "--output", "text"], 254)
same_error(["iam", "create-user", "--user-name", "rc-u1"], 254)
same_error(["iam", "create-role", "--role-name", "x", "--assume-role-policy-document", "{not json"], 254)
same_error(["iam", "create-user"], 252)
same_error(["iam", "get-user", "--bogus"], 252)
same_error(["iam", "tag-user", "--user-name", "u", "--tags", "Key"], 252)
same_error(["iam", "create-role", "--role-name", "x", "--assume-role-policy-document", "file://missing.json"], 252)
same_error(["iam", "create-user", "--cli-input-json", '{"Path": "/"}'], 252)
same_error(["iam", "create-user", "--user-name", ""], 252)
# The AWS CLI prints only Python's message; rolecall names the option too.
code, _, err = run(RC, ["iam", "update-role", "--role-name", "r", "--max-session-duration", "abc"])
assert code == 252 and "'--max-session-duration': invalid literal for int() with base 10: 'abc'" in err, err
# A token botocore cannot decode is the service's own marker (or the old MARKER___INDEX form).
same([*base, "--starting-token", "not-a-token"])
same([*base, "--starting-token", "page-3___1"])
same_error([*base, "--starting-token", "a___b___c"], 255)
# The page size is checked as the operation's limit parameter; a non-positive --max-items warns.
same_error([*base, "--page-size", "0"], 252)
warning = "warning: Non-positive values for --max-items may result in undefined behavior."
_, _, rc_err = run(RC, [*base, "--max-items", "0"])
_, _, aws_err = run(AWS, [*base, "--max-items", "0"])
assert warning in rc_err and warning in aws_err, (rc_err, aws_err)
code, _, err = run(RC, ["iam", "create-user", "--cli-input-json", "{not json"])
assert code == 252 and "Error parsing parameter 'cli-input-json': Invalid JSON received" in err, (code, err)
code, _, err = run(RC, ["iam", "no-such-operation"])
assert code == 252 and "Invalid choice" in err, err
code, out, _ = run(RC, ["iam", "list-users", "help"])
assert code == 0 and "SYNOPSIS" in out and "--path-prefix <value>" in out and "--starting-token" in out, out
code, out, _ = run(RC, ["iam", "help"])
assert code == 0 and "o create-virtual-mfa-device" in out, out

# --- create-virtual-mfa-device --outfile -------------------------------------------------------------
for who, tool in (("rc", RC), ("aws", AWS)):
    code, out, err = run(tool, ["iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", f"{who}-dev", "--outfile", f"{who}.png", "--bootstrap-method", "QRCodePNG"])
    assert code == 0, err
    with open(f"{home}/{who}.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert oct(os.stat(f"{home}/{who}.png").st_mode & 0o777) == "0o600"
    if who == "rc":
        rc_out = out
    else:
        assert masked(rc_out, [("rc-", "aws-")]) == masked(out, []), (rc_out, out)
code, _, err = run(RC, ["iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "x"])
assert code == 252 and "--outfile, --bootstrap-method" in err, err

# --- yaml and yaml-stream, against ruamel.yaml's safe dumper ----------------------------------------
from ruamel.yaml import YAML  # noqa: E402

dumper = YAML(typ="safe", pure=True)
dumper.default_flow_style = False


def ruamel(value):
    s = io.StringIO()
    dumper.dump(value, s)
    return s.getvalue()


for args in (["iam", "get-role", "--role-name", "rc-role"], ["iam", "list-users", "--path-prefix", "/paging/"], ["sts", "get-caller-identity"], ["iam", "get-account-summary"], ["iam", "get-policy-version", "--policy-arn", f"arn:aws:iam::{A}:policy/rc-pol", "--version-id", "v1"]):
    code, out, err = run(RC, [*args, "--output", "yaml"])
    assert code == 0, err
    expected = json.loads(run(AWS, args)[1])
    assert out == ruamel(expected), f"{args}\n--- rolecall\n{out}\n--- ruamel\n{ruamel(expected)}"
    code, out, err = run(RC, [*args, "--output", "yaml-stream", "--no-paginate"])
    assert code == 0 and out == ruamel([json.loads(run(AWS, [*args, "--no-paginate"])[1])]), out
# Paginated yaml-stream: one document item per page.
code, out, err = run(RC, [*base, "--page-size", "3", "--output", "yaml-stream"])
assert code == 0 and out.count("\n- ") + out.startswith("- ") == 3, out
code, out, _ = run(RC, ["iam", "list-users", "--output", "off"])
assert code == 0 and out == ""

# Shell completions know the operations and their options.
for shell in ["bash", "zsh", "fish"]:
    code, out, err = run(RC, ["completion", shell])
    assert code == 0 and "create-virtual-mfa-device" in out and "virtual-mfa-device-name" in out and "starting-token" in out, (shell, err)

# --- on a terminal: the pager (AWS_PAGER), and --no-cli-pager ----------------------------------------


def on_terminal(args, extra_env, base=None):
    return read_terminal([RC, *args], {**(env if base is None else base), **extra_env}, home)


expected = run(RC, ["iam", "get-user", "--user-name", "rc-u1"])[1]
code, shown = on_terminal(["iam", "get-user", "--user-name", "rc-u1"], {"AWS_PAGER": f"cat > {home}/paged.txt"})
assert code == 0 and shown == "", shown
with open(f"{home}/paged.txt") as f:
    assert f.read() == expected
code, shown = on_terminal(["iam", "get-user", "--user-name", "rc-u1", "--no-cli-pager"], {"AWS_PAGER": f"cat > {home}/unused.txt"})
assert code == 0 and shown == expected and not os.path.exists(f"{home}/unused.txt"), shown
code, shown = on_terminal(["iam", "get-user", "--user-name", "rc-u1", "--output", "table", "--color", "on"], {"AWS_PAGER": ""})
assert code == 0 and "\x1b[1m\x1b[34m" in shown, shown

# `export AWS_PAGER=""` and an empty `cli_pager` turn the pager off (PAGER is then not used).
code, shown = on_terminal(["iam", "get-user", "--user-name", "rc-u1"], {"AWS_PAGER": "", "PAGER": f"cat > {home}/pager1.txt"})
assert code == 0 and shown == expected and not os.path.exists(f"{home}/pager1.txt"), shown
with open(f"{home}/pager-config", "w") as f:
    f.write("[default]\nregion = us-east-1\ncli_timestamp_format = iso8601\ncli_pager =\n")
no_aws_pager = {k: v for k, v in env.items() if k != "AWS_PAGER"}
code, shown = on_terminal(["iam", "get-user", "--user-name", "rc-u1"], {"AWS_CONFIG_FILE": f"{home}/pager-config", "PAGER": f"cat > {home}/pager2.txt"}, base=no_aws_pager)
assert code == 0 and shown == expected and not os.path.exists(f"{home}/pager2.txt"), shown

print("iam client ok")
