#!/usr/bin/env bash
# Alternating comparison of server builds or flags under AssumeRole load: the way the cost of
# recording is measured on a machine whose speed drifts by more than the difference measured.
# Every variant gets its own server and data directory; each round runs the load against every
# variant in turn, and next to each run the whole machine's busy and idle time from /proc/stat
# (CPU per request counts the server, the load generator and the kernel's threads). Prints each
# run, then per variant the median of its per-round ratio to the first variant.
#
# Usage: scripts/bench-ab.sh ROUNDS SECONDS CONNECTIONS VARIANT...
#   VARIANT: name=BINARY[,ENV=VALUE...][ server flags...]   BINARY "-" is this tree's release build
#   e.g.     scripts/bench-ab.sh 4 4 256 'off=- --no-audit' 'on=-'
#   WORKDIR=/dev/shm puts the data directories on tmpfs (CPU without I/O).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,13p "$0" >&2; exit 2; }
rounds=$1 secs=$2 conns=$3; shift 3
built=$(scripts/build-release.sh -p rolecall-bench)
bench="$(dirname "$built")/rolecall-bench"
work=$(mktemp -d "${WORKDIR:-/tmp}/rolecall-ab.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
busy_idle() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
role_arn="arn:aws:iam::123456789012:role/Bench"
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'

names=() endpoints=() keys=() secrets=()
for variant in "$@"; do
  name=${variant%%=*}; rest=${variant#*=}
  read -r head flags <<<"$rest" || true
  IFS=, read -r -a parts <<<"$head"
  bin=${parts[0]}; [ "$bin" = - ] && bin=$built
  envs=("${parts[@]:1}")
  data="$work/$name"; mkdir -p "$data"
  boot=$("$bin" server bootstrap --data-dir "$data" --account-id 123456789012)
  key=$(field "$boot" AccessKeyId); secret=$(field "$boot" SecretAccessKey)
  port=$(free_port)
  # shellcheck disable=SC2086 # the flags are words on purpose
  env "${envs[@]}" "$bin" server --listen "127.0.0.1:$port" --data-dir "$data" $flags >"$work/$name.log" 2>&1 &
  pids+=("$!")
  "$bench" --endpoint "http://127.0.0.1:$port" --access-key-id "$key" --secret-access-key "$secret" --op get-caller-identity --wait-first >/dev/null
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$built" iam create-role --role-name Bench --assume-role-policy-document "$trust" \
    --endpoint-url "http://127.0.0.1:$port" >/dev/null
  names+=("$name"); endpoints+=("http://127.0.0.1:$port"); keys+=("$key"); secrets+=("$secret")
done

results="$work/results"
for round in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    read -r b0 i0 < <(busy_idle)
    out=$("$bench" --endpoint "${endpoints[$i]}" --access-key-id "${keys[$i]}" --secret-access-key "${secrets[$i]}" \
      --op assume-role --role-arn "$role_arn" --connections "$conns" --seconds "$secs")
    read -r b1 i1 < <(busy_idle)
    rps=$(field "$out" rps) requests=$(field "$out" requests) errors=$(field "$out" errors)
    hz=$(getconf CLK_TCK)
    cpu=$(python3 -c "print('%.1f' % ((${b1}-${b0}) / ${hz} * 1e6 / max(${requests}, 1)))")
    idle=$(python3 -c "print('%.0f' % (100 * (${i1}-${i0}) / max((${b1}-${b0}) + (${i1}-${i0}), 1)))")
    printf 'round %s  %-16s %9.0f req/s  %6s µs CPU/req  idle %3s %%  errors %s\n' "$round" "${names[$i]}" "$rps" "$cpu" "$idle" "$errors"
    echo "$round ${names[$i]} $rps" >>"$results"
  done
done
python3 - "$results" "${names[@]}" <<'EOF'
import sys, statistics
path, names = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(path):
    r, name, rps = line.split()
    runs.setdefault(name, {})[r] = float(rps)
base = runs[names[0]]
for name in names[1:]:
    ratios = [runs[name][r] / base[r] for r in base if r in runs[name]]
    print(f"{name} against {names[0]}: median ratio {statistics.median(ratios):.3f} "
          f"({100 * (statistics.median(ratios) - 1):+.1f} %), rounds: "
          + " ".join(f"{x:.3f}" for x in ratios))
EOF
