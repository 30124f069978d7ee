# Sourced by the benchmark scripts that compare server variants (bench-ab.sh,
# bench-instructions.sh). A variant is `name=BINARY[,ENV=VALUE...][ server flags...]`, BINARY
# "-" meaning this tree's release build.
#
# variant_start VARIANT BUILT DATA_DIR [WRAPPER...]: bootstraps a store in DATA_DIR/NAME and
# starts the variant's server on a free loopback port (under WRAPPER, e.g. valgrind, when
# given), its output in DATA_DIR/NAME.log. Sets: name, pid, endpoint, key, secret.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

variant_start() {
  local variant=$1 built=$2 dir=$3; shift 3
  local rest head flags bin data boot port parts envs
  name=${variant%%=*}; rest=${variant#*=}
  read -r head flags <<<"$rest" || true
  IFS=, read -r -a parts <<<"$head"
  bin=${parts[0]}; [ "$bin" = - ] && bin=$built
  envs=("${parts[@]:1}")
  data="$dir/$name"; mkdir -p "$data"
  boot=$("$bin" server bootstrap --data-dir "$data" --account-id 123456789012)
  key=$(field "$boot" AccessKeyId); secret=$(field "$boot" SecretAccessKey)
  port=$(free_port); endpoint="http://127.0.0.1:$port"
  # shellcheck disable=SC2086 # the flags are words on purpose
  env "${envs[@]}" "$@" "$bin" server --listen "127.0.0.1:$port" --data-dir "$data" $flags >"$dir/$name.log" 2>&1 &
  pid=$!
}

# variant_ready BUILT BENCH: waits until the variant just started answers, then creates the
# role the load assumes (ROLE_ARN).
ROLE_ARN="arn:aws:iam::123456789012:role/Bench"
variant_ready() {
  local built=$1 bench=$2
  local trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
  "$bench" --endpoint "$endpoint" --access-key-id "$key" --secret-access-key "$secret" --op get-caller-identity --wait-first >/dev/null
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$built" iam create-role --role-name Bench --assume-role-policy-document "$trust" --endpoint-url "$endpoint" >/dev/null
}
