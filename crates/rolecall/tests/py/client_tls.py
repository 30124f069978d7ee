"""The client over HTTPS: a TLS front with a self-signed certificate forwards to the server.
Verification fails without the certificate, works with --ca-bundle or AWS_CA_BUNDLE, and is
skipped with --no-verify-ssl."""

import os
import socket
import ssl
import subprocess
import tempfile
import threading

from rc import ADMINS, ENDPOINT

RC = os.environ["RC_BIN"]
work = tempfile.mkdtemp()
# A private CA and a server certificate it signs, as an internal endpoint would have.
cert, key = f"{work}/ca.pem", f"{work}/ca.key"
leaf, leaf_key = f"{work}/leaf.pem", f"{work}/leaf.key"
def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)
openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=rolecall test CA")
openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", leaf_key, "-out", f"{work}/leaf.csr", "-subj", "/CN=127.0.0.1")
with open(f"{work}/ext.cnf", "w") as f:
    f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
openssl("x509", "-req", "-in", f"{work}/leaf.csr", "-CA", cert, "-CAkey", key, "-CAcreateserial", "-out", leaf, "-days", "1", "-extfile", f"{work}/ext.cnf")
backend = ENDPOINT.removeprefix("http://").split(":")
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(leaf, leaf_key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
port = listener.getsockname()[1]


def pump(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass


def serve():
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        try:
            tls = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            continue
        upstream = socket.create_connection((backend[0], int(backend[1])))
        threading.Thread(target=pump, args=(tls, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()


threading.Thread(target=serve, daemon=True).start()
home = tempfile.mkdtemp()
os.makedirs(f"{home}/.aws")
with open(f"{home}/.aws/credentials", "w") as f:
    f.write(f"[default]\naws_access_key_id = {ADMINS[0]['AccessKeyId']}\naws_secret_access_key = {ADMINS[0]['SecretAccessKey']}\n")
base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
base.update({"HOME": home, "AWS_ENDPOINT_URL": f"https://127.0.0.1:{port}", "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"})


def run(extra_env, *args):
    return subprocess.run([RC, "sts", "get-caller-identity", *args], env={**base, **extra_env}, capture_output=True, text=True, timeout=60)


p = run({})
assert p.returncode == 255 and "Could not connect to the endpoint URL" in p.stderr, (p.returncode, p.stderr)
for env, args in [({"AWS_CA_BUNDLE": cert}, ()), ({}, ("--ca-bundle", cert)), ({}, ("--no-verify-ssl",))]:
    p = run(env, *args)
    assert p.returncode == 0 and f":user/admin" in p.stdout, (env, args, p.returncode, p.stderr)
p = run({"AWS_CA_BUNDLE": key})
assert p.returncode == 253 and "holds no certificate" in p.stderr, (p.returncode, p.stderr)
listener.close()
print("tls ok")
