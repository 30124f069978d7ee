# Sourced by the client benchmarks (bench-client.sh, bench-credentials.sh). Call, in order:
#   client_bench_tools   hyperfine and the test virtualenv (the AWS CLI, boto3); sets $aws
#   client_fixture_start  a rolecall server ($rc) on a free loopback port with a bootstrapped
#                         account, HOME in a temp dir whose ~/.aws has the default profile's
#                         keys and a role profile `ops` (role Ops, created here), AWS_ENDPOINT_URL
#                         pointing at the server, and the shared role cache warm
# Everything started here, and every pid added to fixture_pids, is stopped and the temp dir
# removed when the calling script exits. Sets $root and $work.

root=$(pwd)
fixture_pids=()

client_bench_tools() {
  command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
  if [ ! -x .venv/bin/aws ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  fi
  aws="$root/.venv/bin/aws"
}

fixture_stop() {
  local p
  for p in "${fixture_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${fixture_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  fixture_pids=()
  [ -z "${work:-}" ] || rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

client_fixture_start() {
  work=$(mktemp -d /tmp/rolecall-client-bench.XXXXXX)
  trap fixture_stop EXIT
  local port boot i
  port=$(free_port)
  boot=$("$rc" server bootstrap --data-dir "$work/data" --account-id 123456789012)
  "$rc" server --listen "127.0.0.1:$port" --data-dir "$work/data" >/dev/null 2>&1 &
  fixture_pids+=($!)
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
  unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE AWS_DEFAULT_PROFILE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN ROLECALL_PROFILE \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
  # The server answers within a few ms of start; wait at most 10 s.
  for i in $(seq 200); do
    "$rc" sts get-caller-identity >/dev/null 2>&1 && break
    [ "$i" = 200 ] && { echo "the rolecall server did not answer on 127.0.0.1:$port" >&2; return 1; }
    sleep 0.05
  done
  "$aws" iam create-role --role-name Ops --assume-role-policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}' >/dev/null
  "$rc" sts get-caller-identity --profile ops >/dev/null   # warm the shared role cache
}

# Prints a hyperfine JSON export as a table of medians and their distance above the first
# command's (the process floor).
median_table() {
  python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
floor = results[0]["median"]
print("| Command | Median [ms] | Over the floor [ms] |")
print("|:---|---:|---:|")
for r in results:
    print(f"| `{r['command']}` | {r['median'] * 1000:.2f} | {(r['median'] - floor) * 1000:.2f} |")
PY
}
