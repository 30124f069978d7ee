#!/usr/bin/env bash
# Instructions the server executes per AssumeRole, counted by callgrind: the measure of a
# change's CPU cost that this machine's noise does not blur (the same binary and load give the
# same count, whatever else runs). It counts the server's own code (every thread, the trail's
# writer included), not the kernel's work or the wait for the disk, so it complements
# scripts/bench-ab.sh, which measures throughput.
#
# Each variant gets its own server under callgrind and data directory; after a warm-up the
# counters are zeroed, REQUESTS AssumeRole calls are made on 8 connections (CONNECTIONS), and
# the counters are dumped. Prints instructions per request per variant, and each variant's
# difference to the first; keeps the profiles (callgrind_annotate --inclusive=yes FILE shows where they went).
#
# Usage: scripts/bench-instructions.sh REQUESTS VARIANT...
#   VARIANT: name=BINARY[,ENV=VALUE...][ server flags...]   BINARY "-" is this tree's release build
#   e.g.     scripts/bench-instructions.sh 2000 'off=- --no-audit' 'on=-'
#   OUT=DIR keeps the profiles there (default: a new directory under /tmp, printed at the end).
#   CONNECTIONS=N loads N connections instead of 8 (more connections, larger commits).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,18p "$0" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (Debian package valgrind)" >&2; exit 2; }
requests=$1; shift
built=$(scripts/build-release.sh -p rolecall-bench)
bench="$(dirname "$built")/rolecall-bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/rolecall-instructions.XXXXXX")
out=${OUT:-$work/profiles}; mkdir -p "$out"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work/data"; }
trap cleanup EXIT
# shellcheck source=lib/variants.sh
. scripts/lib/variants.sh

first=
for variant in "$@"; do
  variant_start "$variant" "$built" "$work/data" valgrind --tool=callgrind --callgrind-out-file="$out/${variant%%=*}.%p"
  variant_ready "$built" "$bench"
  load() {
    "$bench" --endpoint "$endpoint" --access-key-id "$key" --secret-access-key "$secret" --op assume-role \
      --role-arn "$ROLE_ARN" --connections "${CONNECTIONS:-8}" --max-requests "$1" --seconds 600
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
