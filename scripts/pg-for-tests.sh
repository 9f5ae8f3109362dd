#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server on loopback for the test suite.
#   source scripts/pg-for-tests.sh start   # exports MIGQ_TEST_POSTGRES_URL
#   scripts/pg-for-tests.sh stop
# Uses Debian's postgresql (installed when missing and we are root). The data folder lives
# under ${MIGQ_PG_DIR:-/tmp/migq-pg-test}; the port is ${MIGQ_PG_PORT:-54329}.
set -euo pipefail
PGDIR="${MIGQ_PG_DIR:-/tmp/migq-pg-test}"
PORT="${MIGQ_PG_PORT:-54329}"

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$d" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$d"
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
  start)
    BIN=$(pg_bin)
    [ -n "$BIN" ] || { echo "PostgreSQL is not installed" >&2; exit 1; }
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
      : # already running (another shell of this session started it): share it
    else
      rm -rf "$PGDIR"; mkdir -p "$PGDIR"
      if [ "$(id -u)" = 0 ]; then chown postgres "$PGDIR"; fi
      as_pg "$BIN/initdb" -D "$PGDIR/data" -U migq --auth=trust -E UTF8 >/dev/null
      as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
        -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
      as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U migq migq_test
    fi
    export MIGQ_TEST_POSTGRES_URL="postgresql://migq@127.0.0.1:$PORT/migq_test"
    export PATH="$BIN:$PATH"   # pg_dump for 'migq backup'
    echo "PostgreSQL test server on port $PORT"
    ;;
  stop)
    BIN=$(pg_bin)
    as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
    ;;
esac
