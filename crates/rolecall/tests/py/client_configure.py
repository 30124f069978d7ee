"""`configure` interactively and `configure set`, side by side with the real AWS CLI: the same
answers in two fresh homes must give the same prompts and the same files."""

import os
import subprocess
import tempfile

RC = os.environ["RC_BIN"]
AWS = os.path.join(os.path.dirname(os.environ["RC_PYTHON"]), "aws")
START = "# my settings\n[default]\nregion = us-east-1\n\n[profile keep]\nregion = eu-west-1 # not a comment\ns3 =\n  max_concurrent_requests = 10\n"


def home():
    h = tempfile.mkdtemp()
    os.makedirs(f"{h}/.aws")
    with open(f"{h}/.aws/config", "w") as f:
        f.write(START)
    return h


def run(tool, h, args, answers=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
    env["HOME"] = h
    p = subprocess.run([tool, *args], input=answers, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (tool, args, p.stdout, p.stderr)
    return p.stdout


def files(h):
    out = {}
    for name in ["config", "credentials"]:
        path = f"{h}/.aws/{name}"
        out[name] = (open(path).read(), oct(os.stat(path).st_mode & 0o777)) if os.path.exists(path) else None
    return out


steps = [
    (["configure"], "AKIAEXAMPLEEXAMPLE12\nsecretsecretsecret\n\njson\n"),
    (["configure"], "\n\n\n\n"),
    (["configure", "--profile", "dev"], "AKIADEVEXAMPLE000001\ndevsecret\neu-central-1\ntext\n"),
    (["configure", "--profile", "dev"], "\nnewsecret\n\n\n"),
    (["configure", "set", "region", "ap-south-1", "--profile", "keep"], None),
    (["configure", "set", "s3.max_concurrent_requests", "20", "--profile", "keep"], None),
    (["configure", "set", "profile.other.output", "yaml"], None),
    (["configure", "set", "aws_session_token", "tok", "--profile", "dev"], None),
]
ours, theirs = home(), home()
for args, answers in steps:
    a = run(RC, ours, args, answers)
    b = run(AWS, theirs, args, answers)
    assert a == b, (args, a, b)
    assert files(ours) == files(theirs), (args, files(ours), files(theirs))
for args in [["configure", "get", "region", "--profile", "keep"], ["configure", "get", "aws_secret_access_key", "--profile", "dev"], ["configure", "get", "profile.other.output"]]:
    assert run(RC, ours, args) == run(AWS, theirs, args), args
for args in [["configure", "list"], ["configure", "list", "--profile", "dev"], ["configure", "list", "--profile", "keep"], ["configure", "list", "--region", "sa-east-1"]]:
    assert run(RC, ours, args) == run(AWS, theirs, args), args
env_keys = {"AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE000009", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_DEFAULT_REGION": "ap-south-1"}


def run_env(tool, h):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
    env.update({"HOME": h, **env_keys})
    return subprocess.run([tool, "configure", "list"], env=env, capture_output=True, text=True, timeout=60).stdout


assert run_env(RC, ours) == run_env(AWS, theirs)
print("configure ok")

# The config file as botocore reads it: comments after section headers, continuation lines,
# upper-case setting names, empty values, and `[default]` beside `[profile default]`.
QUIRKS = "[profile a] # note\nregion = eu-west-1\n[profile b] ; note\nregion = eu-west-2\n[profile c];\nREGION = eu-west-3\nempty =\nlong = first\n  second\n[default]\nregion = us-west-1\n[profile default]\nregion = us-west-2\n"
quirky = tempfile.mkdtemp()
os.makedirs(f"{quirky}/.aws")
with open(f"{quirky}/.aws/config", "w") as f:
    f.write(QUIRKS)


def get(tool, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
    env["HOME"] = quirky
    p = subprocess.run([tool, "configure", "get", *args], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout


for args in [["region", "--profile", "a"], ["region", "--profile", "b"], ["region", "--profile", "c"], ["empty", "--profile", "c"], ["long", "--profile", "c"], ["region"], ["missing", "--profile", "c"]]:
    assert get(RC, args) == get(AWS, args), (args, get(RC, args), get(AWS, args))
