#!/usr/bin/env bash
# Credentials for other programs, measured in one run against a local rolecall server with the
# role cache warm (the fixture of scripts/lib/client-fixture.sh):
#  1. `exec` start-up with hyperfine, 200 runs: `rolecall exec ops -- /bin/true` and
#     `exec --server` (the loopback endpoint started and stopped around the child) against
#     `/bin/true` run directly;
#  2. `exec` around real children, [runs] runs: python importing boto3, boto3 calling
#     GetCallerIdentity and the AWS CLI's `sts get-caller-identity`, each run directly with
#     --profile / AWS_PROFILE (their own role resolution) and through `exec` / `exec --server`;
#  3. `credential-server`'s fetches per second and latency with rolecall-bench (crates/bench):
#     the container shape (GET with the authorization token) and the IMDSv2 shape (PUT the
#     token, GET the role name, GET its credentials: three requests a fetch), plain and --tls,
#     at 16 connections for [seconds] s and at one connection (one SDK refreshing) for 2 s.
#     There is no peer to run beside it here: the ECS agent's and EC2's endpoints exist only
#     on AWS.
# Every server listens on 127.0.0.1 and is stopped when the script exits.
# Usage: scripts/bench-credentials.sh [runs] [seconds]   (default 30 and 5; ROLECALL_BIN=path
# measures that binary; the load generator is always this tree's)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
secs=${2:-5}
. scripts/lib/client-fixture.sh
client_bench_tools
rc=${ROLECALL_BIN:-$(scripts/build-release.sh)}
cargo build --release --locked -q -p rolecall-bench >&2
bench="$root/target/release/rolecall-bench"
py="$root/.venv/bin/python"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
client_fixture_start

# 1. Start-up against the process floor.
hyperfine -N --warmup 20 --runs 200 --export-markdown "$work/startup.md" --export-json "$work/startup.json" \
  -n "/bin/true (the process floor)" "/bin/true" \
  -n "rolecall exec ops -- /bin/true" "$rc exec ops -- /bin/true" \
  -n "rolecall exec --server ops -- /bin/true" "$rc exec --server ops -- /bin/true" >&2

# 2. Real children, direct and through exec.
import_boto3="import boto3"
call_sts='import boto3; boto3.client("sts").get_caller_identity()'
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/python.md" \
  -n "python -c 'import boto3'" "$py -c '$import_boto3'" \
  -n "rolecall exec ops -- python -c 'import boto3'" "$rc exec ops -- $py -c '$import_boto3'" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/boto3.md" \
  -n "AWS_PROFILE=ops python (boto3 GetCallerIdentity; boto3 assumes the role itself)" "env AWS_PROFILE=ops $py -c '$call_sts'" \
  -n "rolecall exec ops -- python (boto3 GetCallerIdentity)" "$rc exec ops -- $py -c '$call_sts'" \
  -n "rolecall exec --server ops -- python (boto3 GetCallerIdentity)" "$rc exec --server ops -- $py -c '$call_sts'" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/awscli.md" \
  -n "aws sts get-caller-identity --profile ops (the CLI's warm role cache)" "$aws sts get-caller-identity --profile ops" \
  -n "rolecall exec ops -- aws sts get-caller-identity" "$rc exec ops -- $aws sts get-caller-identity" \
  -n "rolecall exec --server ops -- aws sts get-caller-identity" "$rc exec --server ops -- $aws sts get-caller-identity" >&2

# 3. credential-server under load.
# Starts `credential-server --profile ops ARGS` and waits (at most 10 s) until it has printed
# the variable $1, the last of the environment it prints; then $served holds that output and
# $served_pid its process.
serve() {
  local last=$1 out="$work/credential-server.$RANDOM" i
  shift
  "$rc" credential-server --profile ops --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
  served_pid=$!
  fixture_pids+=("$served_pid")
  for i in $(seq 200); do
    grep -q "^export $last=" "$out" && break
    [ "$i" = 200 ] && { echo "credential-server $* did not start:" >&2; cat "$out.err" >&2; return 1; }
    sleep 0.05
  done
  served=$(cat "$out")
}
exported() { sed -n "s/^export $1=//p" <<<"$served"; }
rows=()
measure() { # label container|imds plain|tls
  local label=$1 shape=$2 tls=$3 args=() load=() last many one row
  if [ "$shape" = imds ]; then args+=(--imds); last=AWS_EC2_METADATA_SERVICE_ENDPOINT; else last=AWS_CONTAINER_AUTHORIZATION_TOKEN; fi
  if [ "$tls" = tls ]; then args+=(--tls); last=NODE_EXTRA_CA_CERTS; fi
  serve "$last" "${args[@]}"
  if [ "$shape" = imds ]; then
    load=(--endpoint "$(exported AWS_EC2_METADATA_SERVICE_ENDPOINT)" --op imds-credentials)
  else
    load=(--endpoint "$(exported AWS_CONTAINER_CREDENTIALS_FULL_URI)" --op container-credentials
          --token "$(exported AWS_CONTAINER_AUTHORIZATION_TOKEN)")
  fi
  [ "$tls" = tls ] && load+=(--ca-file "$(exported NODE_EXTRA_CA_CERTS)")
  many=$("$bench" "${load[@]}" --connections 16 --seconds "$secs")
  one=$("$bench" "${load[@]}" --connections 1 --seconds 2)
  echo "$label, 16 connections: $many" >&2
  echo "$label, 1 connection: $one" >&2
  kill "$served_pid"; wait "$served_pid" 2>/dev/null || true
  row=$(python3 - "$label" "$many" "$one" <<'PY'
import json, sys
label, many, one = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for run in (many, one):
    if run["errors"] or set(run["statuses"]) != {"200"} or not run["requests"]:
        sys.exit(f"{label}: not every request was answered 200: {run}")
per = many["http_requests_per_iteration"]
print(f"| {label} | {many['rps']:.0f} | {many['rps'] * per:.0f} | {many['p50_ms']:.2f} / {many['p99_ms']:.2f} "
      f"| {one['p50_ms']:.2f} / {one['p99_ms']:.2f} |")
PY
)
  rows+=("$row")
}
measure "container (ECS) shape, http" container plain
measure "container (ECS) shape, --tls" container tls
measure "IMDSv2 shape, http" imds plain
measure "IMDSv2 shape, --tls" imds tls
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Machine: $(nproc) cores; server, clients and load generator on the same machine; role cache warm."
echo "Load average (1, 5, 15 min) before: $load_before; after: $load_after."
echo
echo "exec start-up (200 runs each):"
echo
median_table "$work/startup.json"
echo
echo "exec around real children ($runs runs each):"
echo
cat "$work/python.md"
echo
cat "$work/boto3.md"
echo
cat "$work/awscli.md"
echo
echo "credential-server, $secs s at 16 connections, 2 s at one connection:"
echo
echo "| endpoint | credential fetches/s (16 connections) | HTTP requests/s | p50 / p99 ms | one connection: p50 / p99 ms |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
