#!/usr/bin/env bash
# Fuzzes the parsers (policy documents, Query forms, SigV4 authorization) for a bounded time
# each with cargo-fuzz (libFuzzer). Outside CI: it needs nightly compiler flags, which the
# stable toolchain allows with RUSTC_BOOTSTRAP=1.
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in policy_document query_params sigv4_authorization; do
  echo "== $target (${secs}s)"
  cargo fuzz run "$target" -- -max_total_time="$secs" -max_len=4096
done
