#!/usr/bin/env bash
# stop-postgres.sh - stop the cluster started by start-postgres.sh (by its PID file only), optionally
# wipe it. s3ferry's own copy, beside start-postgres.sh (which calls it to clear leftovers).
#   PG_DIR (default /tmp/s3ferry-pg-test);  --purge also deletes PG_DIR (and PG_DIR.lock)
# `pg_ctl stop -m fast` first (disconnects clients, shuts down cleanly); if the server is still up
# after PG_STOP_GRACE seconds (default 10), `-m immediate`; then SIGKILL as a last resort (the data
# is throwaway).
set -uo pipefail
PG_DIR=${PG_DIR:-/tmp/s3ferry-pg-test}
GRACE=${PG_STOP_GRACE:-10}
DATA="$PG_DIR/data"

find_bin() { # the bin folder of the version that made the cluster, else the newest one
  local v d
  v=$(cat "$DATA/PG_VERSION" 2>/dev/null) && [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] \
    && { echo "/usr/lib/postgresql/$v/bin"; return 0; }
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && echo "$d"; done | sort -t/ -k4 -n | tail -n 1
}
PG_BIN=${PG_BIN:-$(find_bin)}

ours() { # prints the postmaster's PID if the PID file points at a live postgres serving our DATA
  local p; [ -s "$DATA/postmaster.pid" ] || return 1
  p=$(head -n 1 "$DATA/postmaster.pid")
  case "$p" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$p" 2>/dev/null || return 1
  grep -q postgres "/proc/$p/cmdline" 2>/dev/null || return 1 # PID files can be stale
  [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] || return 1
  echo "$p"; }

if p=$(ours) && [ -n "$PG_BIN" ]; then
  if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t "$GRACE" stop >/dev/null 2>&1; then
    echo "stop-postgres: still running after ${GRACE}s, stopping it with -m immediate" >&2
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t "$GRACE" stop >/dev/null 2>&1 \
      || { echo "stop-postgres: SIGKILL $p" >&2; kill -KILL "$p" 2>/dev/null; }
  fi
  echo "stop-postgres: stopped postgres ($p)"
elif p=$(ours); then
  echo "stop-postgres: no pg_ctl found, SIGTERM $p" >&2; kill -TERM "$p" 2>/dev/null
fi
if [ "${1:-}" = --purge ]; then rm -rf "$PG_DIR" "$PG_DIR.lock"; echo "stop-postgres: removed $PG_DIR"; fi
exit 0
