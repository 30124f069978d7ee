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
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
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
    print("moto ok")
finally:
    server.terminate()
    server.wait(timeout=10)
