#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server on loopback for the test suite.
#   source scripts/pg-for-tests.sh start   # exports MIGQ_TEST_POSTGRES_URL
#   scripts/pg-for-tests.sh stop
# Uses Debian's postgresql (installed when missing and we are root). The data folder lives
# under ${MIGQ_PG_DIR:-/tmp/migq-pg-test}; the port is ${MIGQ_PG_PORT:-54329}.
#
# Sourced into a developer's shell, it changes nothing there but the two exports: the work runs
# in a subshell in strict mode, and a failure returns an error instead of closing the shell.

_migq_pg() (
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

  case "$1" in
    start)  # prints the server's bin folder (for pg_dump) on success
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
      echo "$BIN"
      ;;
    stop)
      BIN=$(pg_bin)
      as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
      rm -rf "$PGDIR"
      ;;
    *)
      echo "usage: source scripts/pg-for-tests.sh start | scripts/pg-for-tests.sh stop" >&2
      exit 2
      ;;
  esac
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced: nothing to export
  _migq_pg "${1:-start}" >/dev/null
  exit
fi
if _migq_pg_bin=$(_migq_pg "${1:-start}"); then
  if [ "${1:-start}" = start ]; then
    export MIGQ_TEST_POSTGRES_URL="postgresql://migq@127.0.0.1:${MIGQ_PG_PORT:-54329}/migq_test"
    export PATH="$_migq_pg_bin:$PATH"  # pg_dump for 'migq backup'
    echo "PostgreSQL test server on port ${MIGQ_PG_PORT:-54329}"
  fi
  unset _migq_pg_bin
else
  unset _migq_pg_bin
  return 1
fi
