#!/usr/bin/env bash
# rolecall's main job on its embedded default: start the IAM + STS server on a fresh SQLite
# store, bootstrap an administrator, switch to a role with rolecall's own client (and with the
# AWS CLI beside it, to show they share files and cache), act, be refused, and find the role's
# actions by its session name in the audit trail; all in a temporary directory (your own
# ~/.aws is never read or written).
# Set ROLECALL_DEMO_EXIT=1 to stop the server at the end instead of leaving it running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== building rolecall (release)"
cargo build --release --locked -p rolecall -q
rolecall="$root/target/release/rolecall"

if [ ! -x .venv/bin/aws ]; then
  echo "== installing the AWS CLI into .venv (from PyPI) to act as the client"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
aws="$root/.venv/bin/aws"

work=$(mktemp -d /tmp/rolecall-demo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$rolecall" server --listen "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.out" 2> "$work/server.log" &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 100); do [ -s "$work/server.out" ] && break; sleep 0.1; done
cat "$work/server.out"

echo "== bootstrapping account 123456789012 (an administrator with an access key)"
boot=$("$rolecall" server bootstrap --data-dir "$work/data" --account-id 123456789012 --user-name admin)
echo "$boot"
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["AccessKeyId"])' "$boot")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SecretAccessKey"])' "$boot")

export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cat > "$AWS_SHARED_CREDENTIALS_FILE" <<CREDS
[default]
aws_access_key_id = $key
aws_secret_access_key = $secret
CREDS
cat > "$AWS_CONFIG_FILE" <<CONF
[default]
region = us-east-1

[profile readonly]
role_arn = arn:aws:iam::123456789012:role/ReadOnly
source_profile = default
region = us-east-1
CONF

run() { printf '\n$ aws %s\n' "$*"; "$aws" "$@"; }
rc() { printf '\n$ rolecall %s\n' "$*"; "$rolecall" "$@"; }
echo
echo "== the files (in $work, not ~/.aws)"
cat "$AWS_CONFIG_FILE"
run sts get-caller-identity
run iam create-role --role-name ReadOnly --query Role.Arn --output text \
  --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
run iam attach-role-policy --role-name ReadOnly --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess
echo
echo "== switching to the role: --profile readonly calls AssumeRole and caches the session"
rc sts get-caller-identity --profile readonly
rc iam list-users --profile readonly --query 'Users[].UserName' --output text
echo
echo "== the AWS CLI reuses the same cached role session (same files, same cache)"
run sts get-caller-identity --profile readonly --query Arn --output text
echo
echo "== permissions are the role's only: creating a user is refused"
rc iam create-user --user-name mallory --profile readonly || echo "(refused, as AWS would)"
echo
session=$("$rolecall" sts get-caller-identity --profile readonly --query Arn --output text | cut -d/ -f3)
echo "== the audit trail: everything session $session did, found by its name"
sleep 1
rc audit --session "$session"
rc cloudtrail lookup-events --lookup-attributes "AttributeKey=Username,AttributeValue=$session" \
  --query 'Events[].[EventTime,EventName,Username]' --output table

echo
if [ "${ROLECALL_DEMO_EXIT:-0}" = 1 ]; then
  echo "demo done."
  exit 0
fi
echo "The server keeps running at http://127.0.0.1:$port; to use it from another shell:"
echo "  export AWS_CONFIG_FILE=$AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
echo "Press Ctrl-C to stop it."
wait "$server"
