#!/usr/bin/env bash
# Where the CPU of an AssumeRole goes, by thread, at each number of concurrent callers: one
# server variant under load, its threads' CPU (user and system, from /proc, grouped by thread
# name: the runtime's workers, the trail's writer, SQLite's worker threads) and the load
# generator's, each per request. The load generator runs on the same cores, so what one side
# saves or spends shows up in the other's throughput; this shows which side it was.
#
# Usage: scripts/bench-cpu.sh SECONDS VARIANT [CONNECTIONS...]   (default 64 128 256 384 512)
#   VARIANT: name=BINARY[,ENV=VALUE...][ server flags...]   BINARY "-" is this tree's release build
#   e.g.     scripts/bench-cpu.sh 4 'off=- --no-audit' 128 256
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
secs=$1 variant=$2; shift 2
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(64 128 256 384 512)
built=$(scripts/build-release.sh -p rolecall-bench)
bench="$(dirname "$built")/rolecall-bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/rolecall-cpu.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=lib/variants.sh
. scripts/lib/variants.sh
variant_start "$variant" "$built" "$work"
variant_ready "$built" "$bench"

# Each thread of the server: its name and its CPU ticks so far.
threads() { for t in /proc/"$pid"/task/*; do printf '%s\t%s\n' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"; done; }
# The CPU seconds (user and system) of this shell's finished children, the load generator's
# among them (`times` run in this shell, not in a subshell, which has children of its own).
children() { times >"$work/times"; awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times"; }
echo "| connections | requests/s | server µs/request | by thread | load generator µs/request |"
echo "|---|---|---|---|---|"
for connections in "${counts[@]}"; do
  threads >"$work/before"; children >"$work/c0"
  "$bench" --endpoint "$endpoint" --access-key-id "$key" --secret-access-key "$secret" --op assume-role \
    --role-arn "$ROLE_ARN" --connections "$connections" --seconds "$secs" >"$work/run"
  threads >"$work/after"; children >"$work/c1"
  python3 - "$work/before" "$work/after" "$work/run" "$connections" "$(getconf CLK_TCK)" "$(cat "$work/c0")" "$(cat "$work/c1")" <<'EOF_PY'
import collections, json, sys
before, after, run, connections, hz, c0, c1 = sys.argv[1:]
def ticks(path):
    by = collections.Counter()
    for line in open(path):
        name, t = line.rstrip("\n").rsplit("\t", 1)
        by[name] += int(t)
    return by
b, a = ticks(before), ticks(after)
run = json.load(open(run))
n = max(run["requests"], 1)
per = {k: (a[k] - b.get(k, 0)) / int(hz) * 1e6 / n for k in a}
parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v > 0.05)
generator = (float(c1) - float(c0)) * 1e6 / n
print(f"| {connections} | {run['rps']:.0f} | {sum(per.values()):.1f} | {parts} | {generator:.1f} |")
EOF_PY
done
