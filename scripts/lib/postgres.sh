# Sourced by the test and bench scripts: `pg_start` installs Debian's PostgreSQL when it is
# missing, starts a throwaway cluster in a temp dir as a non-root user on a free loopback
# port, exports PG_URL, and stops and removes it when the calling script exits.

pg_start() {
  local pg_bin="" d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
  if [ -z "$pg_bin" ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
  fi
  [ -n "$pg_bin" ] || { echo "PostgreSQL server binaries not found after install" >&2; return 1; }
  PG_BIN="$pg_bin"
  PG_DIR=$(mktemp -d /tmp/rolecall-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$(id -u)" = 0 ]; then
    id rolecall-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rolecall-pg
    chown -R rolecall-pg "$PG_DIR"
  fi
  trap pg_stop EXIT
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U rolecall --auth=trust >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_DIR -c max_connections=200" start >/dev/null
  PG_URL="postgres://rolecall@127.0.0.1:$port/postgres"
  export PG_URL
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u rolecall-pg -- "$@"; else "$@"; fi
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
