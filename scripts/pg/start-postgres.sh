#!/usr/bin/env bash
# start-postgres.sh - throwaway PostgreSQL cluster on 127.0.0.1 for tests (the journal's PostgreSQL
# store, fleet mode). Debian 12 packages (PostgreSQL 15). Stop it with stop-postgres.sh beside this.
#
# Idempotent: if the cluster of this PG_DIR is up and our role can log in with its password over
# TCP, it just prints the connection info and exits 0. If the cluster exists but is stopped (a
# reboot, a test that stopped it), it is started again with its data. Otherwise whatever is left of
# an earlier run is stopped (by its PID file), PG_DIR is wiped and a new cluster is made.
# Exits 0 only once a real password-authenticated connection as PG_USER works.
#
# The server runs from Debian's binaries (initdb, pg_ctl), not the packaged `main` cluster: no
# systemd, everything (data, socket, log) lives in PG_DIR. PostgreSQL refuses to run as root: as
# root, everything runs as the `postgres` user (created by the package) with PG_DIR owned by it.
# Durability is off (fsync=off): the data is throwaway, and tests run faster for it.
#
# Settings (environment):
#   PG_DIR       data/socket/log dir                     (default /tmp/s3ferry-pg-test)
#   PG_PORT      TCP port on 127.0.0.1                   (default 7432)
#   PG_USER      role for the tests, may CREATE DATABASE (default s3ferry)
#   PG_PASSWORD  its password (scram-sha-256)            (default fixed test password below)
#   PG_BIN       folder with initdb/pg_ctl/psql          (default newest /usr/lib/postgresql/*/bin)
#   PG_AUTO_INSTALL=1 (default) apt-get installs `postgresql` if missing (root only; `apt-get
#                update` runs only when the package lists are empty or the install fails)
#   PG_START_TIMEOUT seconds to wait for the server      (default 60)
# Prints PG_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/postgres and its parts as KEY=VALUE lines.
# Concurrent runs with the same PG_DIR are serialised by flock on "$PG_DIR.lock"; the server is
# started with that fd closed, so it never holds the lock.
set -euo pipefail

PG_DIR=${PG_DIR:-/tmp/s3ferry-pg-test}
PG_PORT=${PG_PORT:-7432}
PG_USER=${PG_USER:-s3ferry}
PG_PASSWORD=${PG_PASSWORD:-s3ferry-test-password}
PG_AUTO_INSTALL=${PG_AUTO_INSTALL:-1}
PG_START_TIMEOUT=${PG_START_TIMEOUT:-60}
DATA="$PG_DIR/data"
SOCK="$PG_DIR/run"
LOG="$PG_DIR/log/postgres.log"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[start-postgres %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; for f in "$PG_DIR"/log/*.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }

case "$PG_USER" in *[!a-z0-9_]* | '') die "PG_USER must be lower-case letters, digits and _";; esac
case "$PG_PASSWORD" in *"'"* | '') die "PG_PASSWORD must be non-empty and hold no single quote";; esac

# ---------- one start at a time per PG_DIR ----------
if command -v flock >/dev/null; then
  mkdir -p "$(dirname "$PG_DIR")"
  exec 9>"$PG_DIR.lock"
  flock -w $((PG_START_TIMEOUT * 4)) 9 || die "another start-postgres.sh for $PG_DIR holds $PG_DIR.lock"
fi

# ---------- packages ----------
find_bin() { # the newest /usr/lib/postgresql/N/bin that has initdb, pg_ctl and psql
  local d v best='' bestv=-1
  for d in /usr/lib/postgresql/*/bin; do
    v=$(basename "$(dirname "$d")")
    case "$v" in '' | *[!0-9]*) continue ;; esac
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] || continue
    if [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  [ -n "$best" ] && echo "$best"
}
APT_LOG=/tmp/s3ferry-apt.log
apt_install() { # apt_install PKG... : as root, from Debian's repositories; update the lists only if needed
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  log "installing $* from apt (log: $APT_LOG)"
  ( # the S3 start scripts may be installing at the same time: take turns
    if command -v flock >/dev/null; then flock -w 900 8 || true; fi
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
      apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 || exit 1
    fi
    apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1 && exit 0
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 && apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1
  ) 8>/tmp/s3ferry-apt.lock 9>&- || { tail -n 20 "$APT_LOG" >&2; die "apt-get install $* failed"; }
}
PG_BIN=${PG_BIN:-$(find_bin || true)}
if [ -z "$PG_BIN" ]; then
  if [ "$PG_AUTO_INSTALL" = 1 ] && [ "$(id -u)" = 0 ]; then
    apt_install postgresql
    PG_BIN=$(find_bin || true)
    [ -n "$PG_BIN" ] || die "postgresql is installed but no /usr/lib/postgresql/*/bin has initdb, pg_ctl and psql"
  else
    die "PostgreSQL is not installed (as root: apt-get install --no-install-recommends postgresql)"
  fi
fi

# ---------- as the postgres user when root (PostgreSQL refuses to run as root) ----------
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' user to run the server as (it comes with the postgresql package)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
pg_ctl_() { as_pg "$PG_BIN/pg_ctl" -D "$DATA" "$@"; }
# psql as the superuser over the private socket (peer authentication), or as PG_USER over TCP
psql_super() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"; }
tcp_ready() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -tA \
    "host=127.0.0.1 port=$PG_PORT user=$PG_USER dbname=postgres sslmode=disable" \
    -c 'SELECT 1' 2>/dev/null | grep -qx 1
}

print_info() {
  cat <<EOF
PG_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres
PG_HOST=127.0.0.1
PG_PORT=$PG_PORT
PG_USER=$PG_USER
PG_PASSWORD=$PG_PASSWORD
PG_DIR=$PG_DIR
PG_BIN=$PG_BIN
EOF
}

# what the cluster was made with: a cluster made with other settings is made anew
settings() { echo "$PG_PORT $PG_USER $(printf '%s' "$PG_PASSWORD" | cksum) $PG_BIN"; }

server_alive() { # the postmaster of our DATA runs (not a zombie: PID 1 in containers may reap late)
  local p; [ -s "$DATA/postmaster.pid" ] || return 1
  p=$(head -n 1 "$DATA/postmaster.pid")
  case "$p" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$p" 2>/dev/null && grep -q postgres "/proc/$p/cmdline" 2>/dev/null \
    && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ]
}
made_here() { [ -s "$DATA/PG_VERSION" ] && [ -s "$PG_DIR/ready" ] && [ "$(cat "$PG_DIR/ready")" = "$(settings)" ]; }

start_server() {
  mkdir -p "$SOCK" "$PG_DIR/log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$SOCK" "$PG_DIR/log"; fi
  chmod 700 "$SOCK"
  # -w: pg_ctl returns once the server accepts connections (or fails after -t seconds). A second try:
  # after a SIGKILL, the old server's last processes may hold its shared memory for a moment.
  local try
  for try in 1 2 3; do
    pg_ctl_ -l "$LOG" -w -t "$PG_START_TIMEOUT" start >>"$PG_DIR/log/pg_ctl.log" 2>&1 9>&- && return 0
    server_alive && return 0
    sleep 1
  done
  die "pg_ctl start failed"
}

wait_tcp() {
  local t=0
  until tcp_ready; do
    t=$((t + 1)); [ "$t" -gt $((PG_START_TIMEOUT * 4)) ] && die "timed out: $PG_USER cannot log in on 127.0.0.1:$PG_PORT"
    sleep 0.25
  done
}

# ---------- already running? ----------
if server_alive && tcp_ready; then
  log "already running (PG_DIR=$PG_DIR)"
  print_info; exit 0
fi
if server_alive && made_here; then # starting up or recovering: give it the time it needs
  log "the cluster in $PG_DIR runs but does not answer yet: waiting"
  wait_tcp
  print_info; exit 0
fi
# ---------- made earlier, now stopped (reboot, a test stopped or killed it): start it, keep the data ----------
if ! server_alive && made_here; then
  log "the cluster in $PG_DIR is stopped: starting it again (data kept)"
  start_server
  wait_tcp
  print_info; exit 0
fi

# ---------- clean slate (stop leftovers of an earlier run by PID file, then wipe) ----------
if [ -d "$DATA" ]; then
  log "stopping leftovers of an earlier run in $PG_DIR"
  PG_DIR="$PG_DIR" PG_BIN="$PG_BIN" bash "$HERE/stop-postgres.sh" >/dev/null 2>&1 9>&- || true
fi
if (exec 3<>/dev/tcp/127.0.0.1/"$PG_PORT") 2>/dev/null; then die "port $PG_PORT is already in use by something else"; fi
rm -rf "$PG_DIR"
mkdir -p "$DATA" "$SOCK" "$PG_DIR/log"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PG_DIR"; fi
chmod 700 "$DATA" "$SOCK"
T0=$(date +%s.%N)

# ---------- cluster ----------
log "initdb in $DATA ($PG_BIN)"
# peer: only the postgres OS user may use the private socket; TCP: scram passwords only
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/log/initdb.log" 2>&1 \
  || { tail -n 20 "$PG_DIR/log/initdb.log" >&2; die "initdb failed"; }
cat >>"$DATA/postgresql.conf" <<EOF

# ---- s3ferry test cluster (scripts/pg/start-postgres.sh) ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCK'
password_encryption = 'scram-sha-256'
max_connections = 200
# throwaway data: no durability, faster tests
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_connections = off
EOF

log "starting postgres on 127.0.0.1:$PG_PORT"
start_server
psql_super -c "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >/dev/null \
  || die "creating role $PG_USER failed"
wait_tcp
settings >"$PG_DIR/ready"
log "ready after $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
print_info
