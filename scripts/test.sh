#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (the Python peers
# from PyPI into .venv, the JavaScript SDK from npm into .node, PostgreSQL and Chromium from
# Debian when missing), starts a PostgreSQL server in a temporary directory as a non-root user,
# runs the checks and tests, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }

# --- Python peers: awscli, boto3 and moto's server, pinned in requirements-test.txt.
say "Python peers (.venv)"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import boto3, moto, awscli, ruamel.yaml" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
.venv/bin/aws --version
export ROLECALL_TEST_PYTHON="$root/.venv/bin/python"

# --- The AWS SDK for JavaScript v3 (the Node peer of the credential tests): npm ci into .node
# from crates/rolecall/tests/js/package-lock.json (every package pinned), when missing or when
# the lock changed, with the machine's Node.js (Debian's nodejs, installed when missing).
say "Node peers (.node)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  [ "$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
js=crates/rolecall/tests/js
if [ ! -f .node/node_modules/@aws-sdk/client-sts/package.json ] || ! cmp -s "$js/package-lock.json" .node/package-lock.json; then
  mkdir -p .node
  cp "$js/package.json" "$js/package-lock.json" .node/
  (cd .node && npm ci --no-audit --no-fund --loglevel=error)
fi
node --version
export ROLECALL_TEST_NODE_MODULES="$root/.node/node_modules"

# --- openssl (the HTTPS client test makes a private CA with it).
command -v openssl >/dev/null || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }

# --- Chromium and its WebDriver (the console sign-in test drives a real headless browser).
if ! command -v chromedriver >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# --- PostgreSQL: Debian's server binaries, a cluster in a temp dir owned by a non-root user.
say "PostgreSQL"
. scripts/lib/postgres.sh
pg_start
export ROLECALL_TEST_DATABASE_URL="$PG_URL"

# No test may reach the EC2 instance metadata address: clients (ours and botocore) skip IMDS.
export AWS_EC2_METADATA_DISABLED=true

# --- Checks and tests.
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "cargo test"
cargo test --workspace --locked -- --test-threads 2
