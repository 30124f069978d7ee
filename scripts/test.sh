#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (the Python peers
# from PyPI into .venv, PostgreSQL from Debian when missing), starts a PostgreSQL server in a
# temporary directory as a non-root user, runs the checks and tests, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }

# --- Python peers: awscli, boto3 and moto's server, pinned in requirements-test.txt.
say "Python peers (.venv)"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import boto3, moto, awscli" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
.venv/bin/aws --version
export ROLECALL_TEST_PYTHON="$root/.venv/bin/python"

# --- PostgreSQL: Debian's server binaries, a cluster in a temp dir owned by a non-root user.
say "PostgreSQL"
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
if [ -z "$pg_bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
fi
[ -n "$pg_bin" ] || { echo "PostgreSQL server binaries not found after install" >&2; exit 1; }
pg_dir=$(mktemp -d /tmp/rolecall-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id rolecall-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rolecall-pg
    chown -R rolecall-pg "$pg_dir"
    runuser -u rolecall-pg -- "$@"
  else
    "$@"
  fi
}
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
chmod 755 "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U rolecall --auth=trust >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c fsync=on -c max_connections=200" start >/dev/null
export ROLECALL_TEST_DATABASE_URL="postgres://rolecall@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL on 127.0.0.1:$pg_port"

# --- Checks and tests.
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "cargo test"
cargo test --workspace --locked -- --test-threads 2
