#!/usr/bin/env bash
# Client benchmark: rolecall against the real AWS CLI (awscli v1 from PyPI) in one run, with
# hyperfine, against a local rolecall server: `sts get-caller-identity --profile ROLE` with a
# warm role cache, `configure export-credentials --profile ROLE` warm and `configure
# list-profiles` (v2-only commands the v1 CLI lacks; its bare start-up is shown for scale), and
# two IAM commands (a paginated list, a table) with the default profile's keys.
# Start-up is measured too, against the process floor (`/bin/true`): `--version`,
# `configure get region`, `sts get-caller-identity` with static keys and the warm role call,
# 200 runs each.
# Usage: scripts/bench-client.sh [runs]   (default 30; ROLECALL_BIN=path measures that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-30}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
rc=${ROLECALL_BIN:-$(scripts/build-release.sh)}   # ROLECALL_BIN: measure another build
if [ ! -x .venv/bin/aws ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
aws="$root/.venv/bin/aws"

work=$(mktemp -d /tmp/rolecall-client-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
boot=$("$rc" server bootstrap --data-dir "$work/data" --account-id 123456789012)
"$rc" server --listen "127.0.0.1:$port" --data-dir "$work/data" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.5
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
mkdir -p "$work/home/.aws"
cat > "$work/home/.aws/credentials" <<CREDS
[default]
aws_access_key_id = $(field "$boot" AccessKeyId)
aws_secret_access_key = $(field "$boot" SecretAccessKey)
CREDS
cat > "$work/home/.aws/config" <<CONF
[default]
region = us-east-1

[profile ops]
role_arn = arn:aws:iam::123456789012:role/Ops
source_profile = default
region = us-east-1
CONF
export HOME="$work/home" AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_PAGER=""
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
"$aws" iam create-role --role-name Ops --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}' >/dev/null
"$rc" sts get-caller-identity --profile ops >/dev/null   # warm the shared role cache

hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/gci.md" \
  -n "rolecall sts get-caller-identity --profile ops" "$rc sts get-caller-identity --profile ops" \
  -n "aws sts get-caller-identity --profile ops" "$aws sts get-caller-identity --profile ops" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/v2.md" \
  -n "rolecall configure export-credentials --profile ops" "$rc configure export-credentials --profile ops" \
  -n "rolecall configure list-profiles" "$rc configure list-profiles" \
  -n "aws --version (the AWS CLI's start-up alone)" "$aws --version" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/iam.md" \
  -n "rolecall iam list-roles" "$rc iam list-roles" \
  -n "aws iam list-roles" "$aws iam list-roles" \
  -n "rolecall iam get-role --role-name Ops --output table" "$rc iam get-role --role-name Ops --output table" \
  -n "aws iam get-role --role-name Ops --output table" "$aws iam get-role --role-name Ops --output table" >&2
hyperfine -N --warmup 20 --runs 200 --export-markdown "$work/startup.md" --export-json "$work/startup.json" \
  -n "/bin/true (the process floor)" "/bin/true" \
  -n "rolecall --version" "$rc --version" \
  -n "rolecall configure get region" "$rc configure get region" \
  -n "rolecall sts get-caller-identity (static keys)" "$rc sts get-caller-identity" \
  -n "rolecall sts get-caller-identity --profile ops (warm role)" "$rc sts get-caller-identity --profile ops" >&2
echo "Machine: $(nproc) cores; server and clients on the same machine; role cache warm; $runs runs each."
echo
cat "$work/startup.md"
echo
python3 - "$work/startup.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
floor = results[0]["median"]
print("| Command | Median [ms] | Over the floor [ms] |")
print("|:---|---:|---:|")
for r in results:
    print(f"| `{r['command']}` | {r['median'] * 1000:.2f} | {(r['median'] - floor) * 1000:.2f} |")
PY
echo
cat "$work/gci.md"
echo
cat "$work/v2.md"
echo
cat "$work/iam.md"
