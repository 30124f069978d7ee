#!/usr/bin/env bash
# Server benchmark: AssumeRole and GetCallerIdentity throughput and latency over loopback with
# correctly signed requests, rolecall on SQLite and on PostgreSQL against moto's server in the
# same run; plus time to first answer and idle memory. Prints a Markdown table.
# Usage: scripts/bench.sh [seconds-per-measurement]   (default 5; ROLECALL_BIN=path measures that server)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${1:-5}

# ROLECALL_BIN measures another build of the server (the load generator is this tree's).
built=$(scripts/build-release.sh -p rolecall-bench)
rc=${ROLECALL_BIN:-$built}
bench="$(dirname "$built")/rolecall-bench"
if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
. scripts/lib/postgres.sh
pg_start >&2

work=$(mktemp -d /tmp/rolecall-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pg_stop; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
role_arn="arn:aws:iam::123456789012:role/Bench"

rows=()
measure() { # name endpoint key secret
  local name=$1 ep=$2 key=$3 secret=$4 gci ar sat slow
  gci=$("$bench" --endpoint "$ep" --access-key-id "$key" --secret-access-key "$secret" --op get-caller-identity --connections 32 --seconds "$secs")
  ar=$("$bench" --endpoint "$ep" --access-key-id "$key" --secret-access-key "$secret" --op assume-role --role-arn "$role_arn" --connections 32 --seconds "$secs")
  # Enough concurrent callers to keep the server busy while some wait for their commit.
  sat=$("$bench" --endpoint "$ep" --access-key-id "$key" --secret-access-key "$secret" --op assume-role --role-arn "$role_arn" --connections 256 --seconds "$secs")
  slow=$("$bench" --endpoint "$ep" --access-key-id "$key" --secret-access-key "$secret" --op assume-role --role-arn "$role_arn" --connections 8 --rate 600 --seconds "$((secs * 2))")
  echo "$name gci: $gci" >&2; echo "$name assume-role: $ar" >&2; echo "$name assume-role, 256 connections: $sat" >&2; echo "$name assume-role @600/s: $slow" >&2
  printf -v row '| %s | %.0f | %.2f / %.2f | %.0f | %.2f / %.2f | %.0f | %.2f / %.2f | %.2f / %.2f (%.0f/s achieved) | %s | %s |' "$name" \
    "$(field "$gci" rps)" "$(field "$gci" p50_ms)" "$(field "$gci" p99_ms)" \
    "$(field "$ar" rps)" "$(field "$ar" p50_ms)" "$(field "$ar" p99_ms)" \
    "$(field "$sat" rps)" "$(field "$sat" p50_ms)" "$(field "$sat" p99_ms)" \
    "$(field "$slow" p50_ms)" "$(field "$slow" p99_ms)" "$(field "$slow" rps)" "$5" "$6"
  rows+=("$row")
  echo "$ar" > "$work/$name.ar.json"
  echo "$sat" > "$work/$name.sat.json"
}

# Each backend with the audit trail on (the default), and SQLite once more with --no-audit to
# show what recording costs.
for variant in sqlite postgres sqlite-no-audit; do
  backend=${variant%-no-audit}
  extra=()
  [ "$variant" = sqlite-no-audit ] && extra=(--no-audit)
  data="$work/$variant"; mkdir -p "$data"
  store=(--data-dir "$data")
  if [ "$backend" = postgres ]; then
    db="rcbench$$"
    "$PG_BIN/psql" -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
    store+=(--database "${PG_URL%/*}/$db")
  fi
  boot=$("$rc" server bootstrap "${store[@]}" --account-id 123456789012)
  key=$(field "$boot" AccessKeyId); secret=$(field "$boot" SecretAccessKey)
  port=$(free_port)
  t0=$(date +%s%N)
  "$rc" server --listen "127.0.0.1:$port" "${store[@]}" "${extra[@]}" >/dev/null 2>"$work/$variant.log" &
  pid=$!; pids+=("$pid")
  "$bench" --endpoint "http://127.0.0.1:$port" --access-key-id "$key" --secret-access-key "$secret" --op get-caller-identity --wait-first >/dev/null
  first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 1
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
    .venv/bin/aws iam create-role --role-name Bench --assume-role-policy-document "$trust" >/dev/null
  name="rolecall ($backend)"
  [ "$variant" = sqlite-no-audit ] && name="rolecall (sqlite, --no-audit)"
  measure "$name" "http://127.0.0.1:$port" "$key" "$secret" "${first_ms} ms" "$((rss_kb / 1024)) MB"
  # Kept for the paired measurement of what recording costs (below).
  [ "$variant" = sqlite ] && on=("http://127.0.0.1:$port" "$key" "$secret")
  [ "$variant" = sqlite-no-audit ] && off=("http://127.0.0.1:$port" "$key" "$secret")
done

port=$(free_port)
t0=$(date +%s%N)
.venv/bin/moto_server -p "$port" >"$work/moto.log" 2>&1 &
pid=$!; pids+=("$pid")
"$bench" --endpoint "http://127.0.0.1:$port" --access-key-id AKIAIOSFODNN7EXAMPLE --secret-access-key x --op get-caller-identity --wait-first >/dev/null
first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 1
rss_kb=$(ps -o rss= -p "$pid" | tr -d ' ')
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
  .venv/bin/aws iam create-role --role-name Bench --assume-role-policy-document "$trust" >/dev/null
measure "moto $(.venv/bin/python -c 'import moto; print(moto.__version__)')" "http://127.0.0.1:$port" AKIAIOSFODNN7EXAMPLE x "${first_ms} ms" "$((rss_kb / 1024)) MB"

ratio=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print("%.0f" % (a["rps"] / b["rps"]))' "$work/rolecall (sqlite).ar.json" "$work/moto"*.ar.json)
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load generator on the same cores. Each measurement ${secs} s (the 600/s run $((secs * 2)) s)."
echo
echo "| server | GetCallerIdentity req/s | p50 / p99 ms | AssumeRole req/s | p50 / p99 ms | AssumeRole req/s, 256 connections | p50 / p99 ms | AssumeRole at 600 req/s: p50 / p99 ms | first answer after start | idle RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "rolecall (sqlite) AssumeRole throughput is ${ratio}x moto's."

# What recording costs: AssumeRole on SQLite with the trail and without, alternated in pairs
# (the machine's speed drifts by more than the difference between neighbouring runs), at each
# number of concurrent callers; per number the median of the pairs' costs. Then the cost in
# capacity: each server's best throughput, with the trail against without.
# Every durable call waits for its commit's disk flush, so with few callers the trail costs
# them latency, and throughput only as callers x latency; with enough callers the server's
# cores stay busy meanwhile and what is left is the trail's CPU and disk work. The sweep goes
# on past 256 callers because the server with the trail still gains there (more events share
# each flush), and a capacity figure has to include both servers' peaks: on this machine both
# are reached between 384 and 512 (BENCHMARKS.md, twelfth round).
# The sweep finds the two bests minutes apart, and the machine's speed drifts by more than the
# difference between them; so each server is then measured again at the number of callers of
# its best median, alternated in pairs, and the capacity cost is the median of those pairs'
# costs: both servers at their peaks, measured in the same minute.
pairs=${PAIRS:-3}
rps() { # endpoint key secret connections
  field "$("$bench" --endpoint "$1" --access-key-id "$2" --secret-access-key "$3" --op assume-role --role-arn "$role_arn" --connections "$4" --seconds "$secs")" rps
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
largest() { printf '%s\n' "$@" | sort -g | tail -1; }
medians_with=() medians_without=() swept=()
echo
echo "| connections | AssumeRole/s with the trail | without | cost (median of ${pairs} pairs) | the pairs' costs |"
echo "|---|---|---|---|---|"
for connections in ${COST_CONNECTIONS:-32 64 128 256 384 512}; do
  costs=() withs=() withouts=()
  for _ in $(seq "$pairs"); do
    with=$(rps "${on[@]}" "$connections"); without=$(rps "${off[@]}" "$connections")
    withs+=("$with"); withouts+=("$without")
    costs+=("$(python3 -c 'import sys; print("%.1f" % (100 * (1 - float(sys.argv[1]) / float(sys.argv[2]))))' "$with" "$without")")
    printf 'AssumeRole, %s connections: %.0f/s with the trail, %.0f/s without\n' "$connections" "$with" "$without" >&2
  done
  with=$(median "${withs[@]}"); without=$(median "${withouts[@]}")
  medians_with+=("$with"); medians_without+=("$without"); swept+=("$connections")
  printf '| %s | %.0f | %.0f | %s %% | %s %% |\n' "$connections" "$with" "$without" "$(median "${costs[@]}")" "${costs[*]}"
done
echo
python3 -c 'import sys; w, wo = float(sys.argv[1]), float(sys.argv[2]); print("The best medians above: %.0f/s with the trail, %.0f/s without (%.1f %% less), measured minutes apart." % (w, wo, 100 * (1 - w / wo)))' "$(largest "${medians_with[@]}")" "$(largest "${medians_without[@]}")"
# The number of callers at which the largest of the medians given was measured.
peak_of() { python3 -c 'import sys; n = len(sys.argv) // 2; v = [float(x) for x in sys.argv[1:n + 1]]; print(sys.argv[1 + n + v.index(max(v))])' "$@" "${swept[@]}"; }
at_with=$(peak_of "${medians_with[@]}"); at_without=$(peak_of "${medians_without[@]}")
costs=() withs=() withouts=()
for _ in $(seq "$pairs"); do
  with=$(rps "${on[@]}" "$at_with"); without=$(rps "${off[@]}" "$at_without")
  withs+=("$with"); withouts+=("$without")
  costs+=("$(python3 -c 'import sys; print("%.1f" % (100 * (1 - float(sys.argv[1]) / float(sys.argv[2]))))' "$with" "$without")")
  printf 'AssumeRole at each peak: %.0f/s with the trail (%s connections), %.0f/s without (%s)\n' "$with" "$at_with" "$without" "$at_without" >&2
done
echo
printf 'Capacity, each server at its best number of callers (%s with the trail, %s without), %s pairs: %.0f/s with the trail, %.0f/s without (medians): recording costs %s %% of it (median of the pairs; the pairs: %s %%; the target is at most 15 %%).\n' \
  "$at_with" "$at_without" "$pairs" "$(median "${withs[@]}")" "$(median "${withouts[@]}")" "$(median "${costs[@]}")" "${costs[*]}"
