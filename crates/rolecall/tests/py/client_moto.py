"""The rolecall client against moto's server, an independent STS/IAM implementation."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

RC = os.environ["RC_BIN"]
MOTO = os.path.join(os.path.dirname(os.environ["RC_PYTHON"]), "moto_server")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([MOTO, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/")
            break
        except Exception:
            time.sleep(0.1)
    home = tempfile.mkdtemp()
    os.makedirs(f"{home}/.aws")
    with open(f"{home}/.aws/credentials", "w") as f:
        f.write("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    with open(f"{home}/.aws/config", "w") as f:
        f.write("[default]\nregion = us-east-1\n\n[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = default\nrole_session_name = ci-run\nduration_seconds = 1800\nexternal_id = ext-1\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
    env.update({"HOME": home, "AWS_ENDPOINT_URL": endpoint})

    def run(*args):
        p = subprocess.run([RC, *args], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    me = json.loads(run("sts", "get-caller-identity"))
    assert me["Account"] and me["Arn"].startswith("arn:aws:"), me
    role = json.loads(run("sts", "get-caller-identity", "--profile", "deploy"))
    assert role["Arn"] == "arn:aws:sts::123456789012:assumed-role/deploy/ci-run", role
    cached = [json.load(open(os.path.join(f"{home}/.aws/cli/cache", n))) for n in os.listdir(f"{home}/.aws/cli/cache") if n.endswith(".json")]
    assert len(cached) == 1 and cached[0]["AssumedRoleUser"]["Arn"] == role["Arn"], cached
    exported = json.loads(run("configure", "export-credentials", "--profile", "deploy"))
    assert exported["AccessKeyId"] == cached[0]["Credentials"]["AccessKeyId"] and exported["Expiration"], exported
    out = json.loads(run("sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/other", "--role-session-name", "direct"))
    assert out["AssumedRoleUser"]["Arn"].endswith("assumed-role/other/direct"), out
    # credential_source from the instance metadata service (IMDSv2 flow) and the container
    # endpoint, both served by moto.
    with open(f"{home}/.aws/config", "a") as f:
        f.write("\n[profile on-ec2]\nrole_arn = arn:aws:iam::123456789012:role/from-ec2\ncredential_source = Ec2InstanceMetadata\nregion = us-east-1\n")
        f.write("\n[profile on-ecs]\nrole_arn = arn:aws:iam::123456789012:role/from-ecs\ncredential_source = EcsContainer\nregion = us-east-1\n")
        f.write("\n[profile bad-source]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Quantum\nregion = us-east-1\n")
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint
    assert ":assumed-role/from-ec2/AWS-CLI-session-" in json.loads(run("sts", "get-caller-identity", "--profile", "on-ec2"))["Arn"]
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint + "/latest/meta-data/iam/security-credentials/default-role"
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer task-token"
    assert "assumed-role/from-ecs/" in run("sts", "get-caller-identity", "--profile", "on-ecs")
    listing = run("configure", "list", "--profile", "on-ecs")
    assert "assume-role" in listing, listing
    p = subprocess.run([RC, "sts", "get-caller-identity", "--profile", "bad-source"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 253 and "Quantum" in p.stderr, p.stderr
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds"
    os.remove(next(os.path.join(f"{home}/.aws/cli/cache", n) for n in os.listdir(f"{home}/.aws/cli/cache") if "from-ecs" in open(os.path.join(f"{home}/.aws/cli/cache", n)).read()))
    p = subprocess.run([RC, "sts", "get-caller-identity", "--profile", "on-ecs"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 253 and "must use HTTPS or a loopback address" in p.stderr, p.stderr
    print("moto ok")
finally:
    server.terminate()
    server.wait(timeout=10)
