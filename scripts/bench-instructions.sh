#!/usr/bin/env bash
# Instructions the server executes per AssumeRole, counted by callgrind: the measure of a
# change's CPU cost that this machine's noise does not blur (the same binary and load give the
# same count, whatever else runs). It counts the server's own code (every thread, the trail's
# writer included), not the kernel's work or the wait for the disk, so it complements
# scripts/bench-ab.sh, which measures throughput.
#
# Each variant gets its own server under callgrind and data directory; after a warm-up the
# counters are zeroed, REQUESTS AssumeRole calls are made on 8 connections, and the counters are
# dumped. Prints instructions per request per variant, and each variant's difference to the
# first; keeps the profiles (callgrind_annotate --inclusive=yes FILE shows where they went).
#
# Usage: scripts/bench-instructions.sh REQUESTS VARIANT...
#   VARIANT: name=BINARY[,ENV=VALUE...][ server flags...]   BINARY "-" is this tree's release build
#   e.g.     scripts/bench-instructions.sh 2000 'off=- --no-audit' 'on=-'
#   OUT=DIR keeps the profiles there (default: a new directory under /tmp, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,17p "$0" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (Debian package valgrind)" >&2; exit 2; }
requests=$1; shift
built=$(scripts/build-release.sh -p rolecall-bench)
bench="$(dirname "$built")/rolecall-bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/rolecall-instructions.XXXXXX")
out=${OUT:-$work/profiles}; mkdir -p "$out"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work/data"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
role_arn="arn:aws:iam::123456789012:role/Bench"
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'

first=
for variant in "$@"; do
  name=${variant%%=*}; rest=${variant#*=}
  read -r head flags <<<"$rest" || true
  IFS=, read -r -a parts <<<"$head"
  bin=${parts[0]}; [ "$bin" = - ] && bin=$built
  envs=("${parts[@]:1}")
  data="$work/data/$name"; mkdir -p "$data"
  boot=$("$bin" server bootstrap --data-dir "$data" --account-id 123456789012)
  key=$(field "$boot" AccessKeyId); secret=$(field "$boot" SecretAccessKey)
  port=$(free_port); endpoint="http://127.0.0.1:$port"
  # shellcheck disable=SC2086 # the flags are words on purpose
  env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$out/$name.%p" \
    "$bin" server --listen "127.0.0.1:$port" --data-dir "$data" $flags >"$work/$name.log" 2>&1 &
  pid=$!
  "$bench" --endpoint "$endpoint" --access-key-id "$key" --secret-access-key "$secret" --op get-caller-identity --wait-first >/dev/null
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$built" iam create-role --role-name Bench --assume-role-policy-document "$trust" --endpoint-url "$endpoint" >/dev/null
  load() {
    "$bench" --endpoint "$endpoint" --access-key-id "$key" --secret-access-key "$secret" --op assume-role \
      --role-arn "$role_arn" --connections 8 --max-requests "$1" --seconds 600
  }
  load 300 >/dev/null
  sleep 1
  callgrind_control --zero "$pid" >/dev/null
  result=$(load "$requests")
  sleep 1 # the trail's writer commits what the last calls queued
  callgrind_control --dump "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  done_requests=$(field "$result" requests); errors=$(field "$result" errors)
  [ "$errors" = 0 ] || { echo "$name: $errors of $done_requests requests failed" >&2; exit 1; }
  profile=$(ls -t "$out/$name".*.* | head -1)
  total=$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  per=$(( total / done_requests ))
  if [ -z "$first" ]; then first=$per; diff=""; else diff=$(printf '  (%+d, %+.1f %%)' $(( per - first )) "$(python3 -c "print(100 * ($per - $first) / $first)")"); fi
  printf '%-16s %9d instructions per AssumeRole over %d requests%s\n' "$name" "$per" "$done_requests" "$diff"
done
echo "profiles: $out"
