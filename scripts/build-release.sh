#!/usr/bin/env bash
# The release build: rolecall as one statically linked, position-dependent executable (on
# Linux with glibc), so that a client invocation pays for no dynamic loader, no symbol
# binding and no relocations at start (figures in BENCHMARKS.md). `--pie` keeps address-space
# layout randomization of the executable (static-pie), at about 0.2 ms more per start.
# Elsewhere it is a plain `cargo build --release`. Prints the path of the binary.
# Usage: scripts/build-release.sh [--pie] [extra cargo packages, e.g. -p rolecall-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
pie=0
if [ "${1:-}" = "--pie" ]; then pie=1; shift; fi
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
  *-linux-gnu)
    flags="-C target-feature=+crt-static"
    [ "$pie" = 1 ] || flags="$flags -C relocation-model=static"
    # --target keeps these flags off build scripts and procedural macros.
    RUSTFLAGS="$flags" cargo build --release --locked -q --target "$host" -p rolecall "$@" >&2
    echo "$(pwd)/target/$host/release/rolecall"
    ;;
  *)
    cargo build --release --locked -q -p rolecall "$@" >&2
    echo "$(pwd)/target/release/rolecall"
    ;;
esac
