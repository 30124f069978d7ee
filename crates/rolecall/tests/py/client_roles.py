"""The rolecall client against the rolecall server: role profiles, the shared cache with the
real AWS CLI in both directions, concurrency, the MFA prompt on a terminal, and bad files."""

import concurrent.futures
import glob
import json
import os
import pty
import subprocess
import tempfile
import time

from rc import ADMINS, ENDPOINT, admin, allow, doc, totp

RC = os.environ["RC_BIN"]
AWS = os.path.join(os.path.dirname(os.environ.get("RC_PYTHON", "")) or ".", "aws")
A = ADMINS[0]["AccountId"]
iam = admin("iam")

home = tempfile.mkdtemp()
os.makedirs(f"{home}/.aws")
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
env.update({"HOME": home, "AWS_ENDPOINT_URL": ENDPOINT})

trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"})
for name in ["Ops", "Ops2", "Busy"]:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
# A user with a virtual MFA device, for the prompt and for mfa_serial on a user profile.
iam.create_user(UserName="mfa-user")
iam.put_user_policy(UserName="mfa-user", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole")))
key = iam.create_access_key(UserName="mfa-user")["AccessKey"]
device = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-user")["VirtualMFADevice"]
seed = device["Base32StringSeed"].decode()
now = time.time()
iam.enable_mfa_device(UserName="mfa-user", SerialNumber=device["SerialNumber"], AuthenticationCode1=totp(seed, now, -1), AuthenticationCode2=totp(seed, now, 0))
step = int(now // 30)
iam.create_role(RoleName="Guarded", AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))

with open(f"{home}/.aws/credentials", "w") as f:
    f.write(f"[default]\naws_access_key_id = {ADMINS[0]['AccessKeyId']}\naws_secret_access_key = {ADMINS[0]['SecretAccessKey']}\n")
    f.write(f"[mfa-user]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
with open(f"{home}/.aws/config", "w") as f:
    f.write("[default]\nregion = us-east-1\n")
    for name in ["Ops", "Ops2", "Busy"]:
        f.write(f"\n[profile {name.lower()}]\nrole_arn = arn:aws:iam::{A}:role/{name}\nsource_profile = default\nregion = us-east-1\n")
    f.write(f"\n[profile guarded]\nrole_arn = arn:aws:iam::{A}:role/Guarded\nsource_profile = mfa-user\nmfa_serial = {device['SerialNumber']}\nregion = us-east-1\n")
    f.write(f"\n[profile mfa-user]\nregion = us-east-1\nmfa_serial = {device['SerialNumber']}\n")


def run(*args, check=True):
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stdout, p.stderr)
    return p


def cache_entries():
    return {os.path.basename(p): json.load(open(p)) for p in glob.glob(f"{home}/.aws/cli/cache/*.json")}


# 1. rolecall assumes the role and caches it; the AWS CLI reuses that entry without a call.
out = json.loads(run(RC, "sts", "get-caller-identity", "--profile", "ops").stdout)
assert out["Arn"].startswith(f"arn:aws:sts::{A}:assumed-role/Ops/AWS-CLI-session-"), out
entries = cache_entries()
assert len(entries) == 1, entries
entry = next(iter(entries.values()))
assert entry["Credentials"]["AccountId"] == A and entry["AssumedRoleUser"]["Arn"] == out["Arn"], entry
mode = os.stat(glob.glob(f"{home}/.aws/cli/cache/*.json")[0]).st_mode & 0o777
assert mode == 0o600, oct(mode)
dbg = run(AWS, "sts", "get-caller-identity", "--profile", "ops", "--debug")
assert "Credentials for role retrieved from cache." in dbg.stderr
assert json.loads(dbg.stdout)["Arn"] == out["Arn"]

# Both tools now run as the same cached role session, so their output must be byte-identical.
for extra in [[], ["--output", "text"], ["--query", "Arn", "--output", "text"], ["--query", "[Account, Arn]"], ["--query", "Account"], ["--query", "{id: UserId, who: Arn}"], ["--query", "NoSuchKey"]]:
    ours = run(RC, "sts", "get-caller-identity", "--profile", "ops", *extra).stdout
    theirs = run(AWS, "sts", "get-caller-identity", "--profile", "ops", *extra).stdout
    assert ours == theirs, (extra, ours, theirs)
bad = run(RC, "sts", "get-caller-identity", "--query", "[[[", check=False)
assert bad.returncode == 252 and "Bad value for --query" in bad.stderr, bad

# --debug says where the credentials came from, like the AWS CLI; a link named `aws` works.
dbg = run(RC, "sts", "get-caller-identity", "--profile", "ops", "--debug")
assert "Credentials for role retrieved from cache." in dbg.stderr and "\x1b[" not in dbg.stderr, dbg.stderr
link = f"{home}/bin/aws"
os.makedirs(os.path.dirname(link))
os.symlink(RC, link)
assert run(link, "sts", "get-caller-identity", "--profile", "ops").stdout == run(AWS, "sts", "get-caller-identity", "--profile", "ops").stdout
assert "complete -F _aws" in run(link, "completion", "bash").stdout

# get-federation-token with shorthand lists: the same shape as the AWS CLI's answer.
fed = ["sts", "get-federation-token", "--name", "contractor", "--policy-arns", "arn=arn:aws:iam::aws:policy/ReadOnlyAccess", "--tags", "Key=team,Value=blue", "--duration-seconds", "900"]
ours, theirs = json.loads(run(RC, *fed).stdout), json.loads(run(AWS, *fed).stdout)
assert ours["FederatedUser"] == theirs["FederatedUser"] == {"FederatedUserId": f"{A}:contractor", "Arn": f"arn:aws:sts::{A}:federated-user/contractor"}, (ours, theirs)
assert list(ours) == list(theirs) and list(ours["Credentials"]) == list(theirs["Credentials"]), (ours, theirs)
bad = run(RC, "sts", "get-federation-token", "--name", "x1", "--tags", "Keyteam", check=False)
assert bad.returncode == 252 and "Error parsing parameter '--tags'" in bad.stderr, bad

# 2. The AWS CLI fills the cache for another role; rolecall reuses its entry.
before = set(cache_entries())
aws_out = json.loads(run(AWS, "sts", "get-caller-identity", "--profile", "ops2").stdout)
new = set(cache_entries()) - before
assert len(new) == 1, new
aws_entry = cache_entries()[new.pop()]
exported = json.loads(run(RC, "configure", "export-credentials", "--profile", "ops2", "--format", "process").stdout)
assert exported["Version"] == 1 and exported["AccessKeyId"] == aws_entry["Credentials"]["AccessKeyId"], (exported, aws_entry)
assert json.loads(run(RC, "sts", "get-caller-identity", "--profile", "ops2").stdout)["Arn"] == aws_out["Arn"]

# 3. Thirty-two processes on a cold cache: one AssumeRole, the same credentials, no torn file.
with concurrent.futures.ThreadPoolExecutor(32) as pool:
    results = list(pool.map(lambda _: run(RC, "configure", "export-credentials", "--profile", "busy", "--format", "process").stdout, range(32)))
ids = {json.loads(r)["AccessKeyId"] for r in results}
assert len(ids) == 1, ids
for e in cache_entries().values():
    assert e["Credentials"]["SessionToken"]

# 4. mfa_serial on a role profile: the prompt on the terminal, once; the cached entry after.
def with_terminal(args, code):
    """Runs args on a pseudo-terminal, answers the MFA prompt, returns (exit code, output)."""
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(args[0], args, env)
    seen = b""
    deadline = time.time() + 30
    while not seen.rstrip().endswith(b":") and time.time() < deadline:
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 1024)
    assert f"Enter MFA code for {device['SerialNumber']}: ".encode() in seen, seen
    # The prompt is printed before echo is turned off; a person never types within that gap.
    time.sleep(0.5)
    os.write(fd, (code + "\n").encode())
    rest = b""
    while time.time() < deadline:
        if not select.select([fd], [], [], 1)[0]:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    else:
        os.kill(pid, 9)
        raise AssertionError(f"the command did not finish: {seen + rest!r}")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), (seen + rest).decode(errors="replace")


code_status, text = with_terminal([RC, "sts", "get-caller-identity", "--profile", "guarded"], totp(seed, (step + 1) * 30))
assert code_status == 0 and "assumed-role/Guarded/" in text, text
# The code typed is not echoed back.
assert totp(seed, (step + 1) * 30) not in text, text
again = run(RC, "sts", "get-caller-identity", "--profile", "guarded")
assert "assumed-role/Guarded/" in again.stdout
# 5. mfa_serial on the user profile too: its MFA session (GetSessionToken, which the AWS CLI
#    cannot do) was made for the prompt above, is cached, and satisfies the role's MFA
#    condition, so neither profile asks again.
assert any(os.path.basename(p).startswith("rolecall-session-") for p in glob.glob(f"{home}/.aws/cli/cache/*.json"))
quiet = subprocess.run([RC, "sts", "get-caller-identity", "--profile", "mfa-user"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30, start_new_session=True)
assert quiet.returncode == 0 and f"arn:aws:iam::{A}:user/mfa-user" in quiet.stdout, quiet
# Without a terminal and nothing cached, the prompt cannot be shown: a clear error, no hang.
for path in glob.glob(f"{home}/.aws/cli/cache/*.json"):
    os.remove(path)
p = subprocess.run([RC, "sts", "get-caller-identity", "--profile", "guarded"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30, start_new_session=True)
assert p.returncode == 255 and "Cannot read the MFA code" in p.stderr, (p.returncode, p.stderr)

# configure set edits in place (comments and order kept), keys go to the credentials file,
# new files are private, and the AWS CLI reads what rolecall wrote.
with open(f"{home}/.aws/config", "a") as f:
    f.write("# a comment the edit must keep\n")
before = open(f"{home}/.aws/config").read()
run(RC, "configure", "set", "region", "eu-west-2", "--profile", "ops")
run(RC, "configure", "set", "profile.fresh.output", "text")
run(RC, "configure", "set", "s3.max_concurrent_requests", "20", "--profile", "fresh")
run(RC, "configure", "set", "aws_access_key_id", "AKIAFRESHEXAMPLE0001", "--profile", "fresh")
after = open(f"{home}/.aws/config").read()
assert "# a comment the edit must keep" in after and after.index("[profile ops]") == before.index("[profile ops]"), after
assert "region = eu-west-2" in after and "[profile fresh]\noutput = text\ns3 =\n    max_concurrent_requests = 20\n" in after, after
assert "[fresh]\naws_access_key_id = AKIAFRESHEXAMPLE0001\n" in open(f"{home}/.aws/credentials").read()
assert run(AWS, "configure", "get", "region", "--profile", "ops").stdout.strip() == "eu-west-2"
assert run(AWS, "configure", "get", "aws_access_key_id", "--profile", "fresh").stdout.strip() == "AKIAFRESHEXAMPLE0001"
assert run(RC, "configure", "get", "s3.max_concurrent_requests", "--profile", "fresh").stdout.strip() == "20"
assert run(RC, "configure", "get", "nothing", "--profile", "fresh", check=False).returncode == 1
saved = open(f"{home}/.aws/credentials").read()
os.remove(f"{home}/.aws/credentials")
run(RC, "configure", "set", "aws_secret_access_key", "x", "--profile", "fresh")
assert os.stat(f"{home}/.aws/credentials").st_mode & 0o777 == 0o600
with open(f"{home}/.aws/credentials", "w") as f:
    f.write(saved)
run(RC, "configure", "set", "region", "us-east-1", "--profile", "ops")

# credential_process: its JSON is the source; a role can chain on it; a failure is reported.
helper = f"{home}/creds helper.py"
with open(helper, "w") as f:
    f.write(f"import json, sys\nif len(sys.argv) > 1 and sys.argv[1] == 'fail':\n    sys.stderr.write('vault is sealed')\n    sys.exit(3)\nprint(json.dumps({{'Version': 1, 'AccessKeyId': '{ADMINS[0]['AccessKeyId']}', 'SecretAccessKey': '{ADMINS[0]['SecretAccessKey']}'}}))\n")
with open(f"{home}/.aws/config", "a") as f:
    f.write(f"\n[profile proc]\nregion = us-east-1\ncredential_process = {os.environ['RC_PYTHON']} \"{helper}\"\n")
    f.write(f"\n[profile procrole]\nregion = us-east-1\nrole_arn = arn:aws:iam::{A}:role/Ops\nsource_profile = proc\n")
    f.write(f"\n[profile procfail]\nregion = us-east-1\ncredential_process = {os.environ['RC_PYTHON']} \"{helper}\" fail\n")
assert json.loads(run(RC, "sts", "get-caller-identity", "--profile", "proc").stdout)["Arn"] == f"arn:aws:iam::{A}:user/admin"
assert "assumed-role/Ops/" in run(RC, "sts", "get-caller-identity", "--profile", "procrole").stdout
p = run(RC, "sts", "get-caller-identity", "--profile", "procfail", check=False)
assert p.returncode == 253 and "vault is sealed" in p.stderr, (p.returncode, p.stderr)

# 6. Errors: a malformed config names the file and line (exit 253); a missing profile is 253;
#    a refusal is 254 with the AWS CLI's message.
p = run(RC, "sts", "get-caller-identity", "--profile", "nope", check=False)
assert p.returncode == 253 and p.stderr.strip() == "The config profile (nope) could not be found", (p.returncode, p.stderr)
p = run(RC, "sts", "assume-role", "--role-arn", f"arn:aws:iam::{A}:role/Nope", "--role-session-name", "xx", check=False)
assert p.returncode == 254 and p.stderr.strip().startswith("An error occurred (AccessDenied) when calling the AssumeRole operation: User: "), p.stderr
with open(f"{home}/.aws/config", "a") as f:
    f.write("this line is not valid\n")
p = run(RC, "sts", "get-caller-identity", check=False)
lines = open(f"{home}/.aws/config").read().count("\n")
assert p.returncode == 253 and f"{home}/.aws/config, line {lines}" in p.stderr, (p.returncode, p.stderr)
print("client ok")
