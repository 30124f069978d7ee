#!/usr/bin/env bash
# Alternating comparison of server builds or flags under AssumeRole load: the way the cost of
# recording is measured on a machine whose speed drifts by more than the difference measured.
# Every variant gets its own server and data directory; each round runs the load against every
# variant in turn, and next to each run the whole machine's busy and idle time from /proc/stat
# (CPU per request counts the server, the load generator and the kernel's threads; "stolen" is
# the part the hypervisor took, as a virtual disk's requests make it do) and the disk's flushes
# and write requests per request from /proc/diskstats. Prints each run, then per variant the
# median of its per-round ratio to the first variant.
#
# Usage: scripts/bench-ab.sh ROUNDS SECONDS CONNECTIONS VARIANT...
#   VARIANT: name=BINARY[,ENV=VALUE...][ server flags...]   BINARY "-" is this tree's release build
#   e.g.     scripts/bench-ab.sh 4 4 256 'off=- --no-audit' 'on=-'
#   WORKDIR=/dev/shm puts the data directories on tmpfs (CPU without I/O).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,14p "$0" >&2; exit 2; }
rounds=$1 secs=$2 conns=$3; shift 3
built=$(scripts/build-release.sh -p rolecall-bench)
bench="$(dirname "$built")/rolecall-bench"
work=$(mktemp -d "${WORKDIR:-/tmp}/rolecall-ab.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
busy_idle() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6, $9}' /proc/stat; }
# The disk under the data directories (none on tmpfs): its flushes and write requests.
disk=$(basename "$(df --output=source "$work" | tail -1)")
disk_io() { awk -v d="$disk" '$3 == d {f = $19; w = $8} END {print f + 0, w + 0}' /proc/diskstats; }
# shellcheck source=lib/variants.sh
. scripts/lib/variants.sh

names=() endpoints=() keys=() secrets=()
for variant in "$@"; do
  variant_start "$variant" "$built" "$work"
  pids+=("$pid")
  variant_ready "$built" "$bench"
  names+=("$name"); endpoints+=("$endpoint"); keys+=("$key"); secrets+=("$secret")
done

results="$work/results"
for round in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    read -r b0 i0 s0 < <(busy_idle); read -r f0 w0 < <(disk_io)
    out=$("$bench" --endpoint "${endpoints[$i]}" --access-key-id "${keys[$i]}" --secret-access-key "${secrets[$i]}" \
      --op assume-role --role-arn "$ROLE_ARN" --connections "$conns" --seconds "$secs")
    read -r b1 i1 s1 < <(busy_idle); read -r f1 w1 < <(disk_io)
    rps=$(field "$out" rps) requests=$(field "$out" requests) errors=$(field "$out" errors)
    hz=$(getconf CLK_TCK)
    cpu=$(python3 -c "print('%.1f' % ((${b1}-${b0}) / ${hz} * 1e6 / max(${requests}, 1)))")
    idle=$(python3 -c "print('%.0f' % (100 * (${i1}-${i0}) / max((${b1}-${b0}) + (${i1}-${i0}), 1)))")
    steal=$(python3 -c "print('%.1f' % ((${s1}-${s0}) / ${hz} * 1e6 / max(${requests}, 1)))")
    io=$(python3 -c "r = max(${requests}, 1); print('%.3f flushes, %.3f writes' % ((${f1}-${f0}) / r, (${w1}-${w0}) / r))")
    printf 'round %s  %-16s %9.0f req/s  %6s µs CPU/req (%s stolen)  idle %3s %%  disk per req: %s  errors %s\n' "$round" "${names[$i]}" "$rps" "$cpu" "$steal" "$idle" "$io" "$errors"
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
