#!/usr/bin/env bash
# Client benchmark: rolecall against the real AWS CLI (awscli v1 from PyPI) in one run, with
# hyperfine, against a local rolecall server: `sts get-caller-identity --profile ROLE` with a
# warm role cache, `configure export-credentials --profile ROLE` warm and `configure
# list-profiles` (v2-only commands the v1 CLI lacks; its bare start-up is shown for scale), and
# two IAM commands (a paginated list, a table) with the default profile's keys.
# Start-up is measured too, against the process floor (`/bin/true`): `--version`,
# `configure get region`, `sts get-caller-identity` with static keys and the warm role call,
# 200 runs each.
# The setup is scripts/lib/client-fixture.sh's, shared with scripts/bench-credentials.sh (`exec`
# and `credential-server`).
# Usage: scripts/bench-client.sh [runs]   (default 30; ROLECALL_BIN=path measures that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
. scripts/lib/client-fixture.sh
client_bench_tools
rc=${ROLECALL_BIN:-$(scripts/build-release.sh)}   # ROLECALL_BIN: measure another build
client_fixture_start

hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/gci.md" \
  -n "rolecall sts get-caller-identity --profile ops" "$rc sts get-caller-identity --profile ops" \
  -n "aws sts get-caller-identity --profile ops" "$aws sts get-caller-identity --profile ops" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/v2.md" \
  -n "rolecall configure export-credentials --profile ops" "$rc configure export-credentials --profile ops" \
  -n "rolecall configure list-profiles" "$rc configure list-profiles" \
  -n "aws --version (the AWS CLI's start-up alone)" "$aws --version" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/iam.md" \
  -n "rolecall iam list-roles" "$rc iam list-roles" \
  -n "aws iam list-roles" "$aws iam list-roles" \
  -n "rolecall iam get-role --role-name Ops --output table" "$rc iam get-role --role-name Ops --output table" \
  -n "aws iam get-role --role-name Ops --output table" "$aws iam get-role --role-name Ops --output table" >&2
hyperfine -N --warmup 20 --runs 200 --export-markdown "$work/startup.md" --export-json "$work/startup.json" \
  -n "/bin/true (the process floor)" "/bin/true" \
  -n "rolecall --version" "$rc --version" \
  -n "rolecall configure get region" "$rc configure get region" \
  -n "rolecall sts get-caller-identity (static keys)" "$rc sts get-caller-identity" \
  -n "rolecall sts get-caller-identity --profile ops (warm role)" "$rc sts get-caller-identity --profile ops" >&2
echo "Machine: $(nproc) cores; server and clients on the same machine; role cache warm; $runs runs each."
echo
cat "$work/startup.md"
echo
median_table "$work/startup.json"
echo
cat "$work/gci.md"
echo
cat "$work/v2.md"
echo
cat "$work/iam.md"
