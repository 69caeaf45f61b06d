#!/usr/bin/env bash
# start-swift.sh - throwaway single-node OpenStack Swift 2.30 (Debian 12) with the s3api middleware,
# all on 127.0.0.1, all state in SWIFT_DIR. Exits 0 once the proxy answers and s3api checks signatures.
# s3ferry's own copy (used by `npm test` when CI or S3FERRY_TEST_SWIFT=1); stop it with stop-swift.sh
# from this same folder.
# S3 keys are tempauth's "account:user" / key:  test:tester / testing
#
# Settings (environment):
#   SWIFT_DIR          state/log/pid dir              (default /tmp/s3ferry-swift)
#   SWIFT_PORT         proxy (S3) port                (default 8080)
#   SWIFT_BASE_PORT    object BASE, container BASE+1, account BASE+2, memcached BASE+11 (default 16200)
#   SWIFT_AUTO_INSTALL=1 (default) apt-get installs swift-proxy swift-account swift-container
#                      swift-object memcached (and python3-swift) if missing (root only; `apt-get
#                      update` runs only when the package lists are empty or the install fails)
set -euo pipefail
D=${SWIFT_DIR:-/tmp/s3ferry-swift}
PORT=${SWIFT_PORT:-8080}; BASE=${SWIFT_BASE_PORT:-16200}   # object BASE, container BASE+1, account BASE+2, memcached BASE+11
SWIFT_AUTO_INSTALL=${SWIFT_AUTO_INSTALL:-1}
AK='test:tester'; SK='testing'; EP="http://127.0.0.1:$PORT"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[start-swift %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; for f in "$D"/log/*.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }

# curl -u cannot carry an access key containing ':' so readiness = healthcheck + an S3-style answer from s3api
ready() { curl -s --max-time 3 "$EP/healthcheck" 2>/dev/null | grep -qx OK &&
          curl -s --max-time 3 -H "x-amz-date: $(date -u +%Y%m%dT%H%M%SZ)" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
            -H "Authorization: AWS4-HMAC-SHA256 Credential=$AK/$(date -u +%Y%m%d)/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00" \
            "$EP/" 2>/dev/null | grep -q '<Code>SignatureDoesNotMatch</Code>'; }
info() { printf 'S3_ENDPOINT=%s\nS3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\nS3_REGION=us-east-1\nS3_FORCE_PATH_STYLE=true\n' "$EP" "$AK" "$SK"; }
alive() { # alive and not a zombie (PID 1 in containers may reap late)
  [ -s "$D/run/$1.pid" ] || return 1; local p; p=$(cat "$D/run/$1.pid")
  kill -0 "$p" 2>/dev/null && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ]; }

# ---------- one start at a time per SWIFT_DIR; servers are started with fd 9 closed ----------
if command -v flock >/dev/null; then
  mkdir -p "$(dirname "$D")"
  exec 9>"$D.lock"
  flock -w 300 9 || die "another start-swift.sh for $D holds $D.lock"
fi

# ---------- already running? ----------
if command -v curl >/dev/null && alive proxy && alive object && alive container && alive account && alive memcached && ready; then
  log "already running (SWIFT_DIR=$D)"
  info; exit 0
fi

# ---------- packages ----------
APT_LOG=/tmp/s3ferry-apt.log
apt_install() { # apt_install PKG... : as root, from Debian's repositories; update the lists only if needed
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  log "installing $* from apt (log: $APT_LOG)"
  ( # start-rgw.sh may be installing at the same time: take turns
    if command -v flock >/dev/null; then flock -w 900 8 || true; fi
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
      apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 || exit 1
    fi
    apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1 && exit 0
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 && apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1
  ) 8>/tmp/s3ferry-apt.lock 9>&- || { tail -n 20 "$APT_LOG" >&2; die "apt-get install $* failed"; }
}
# Debian's swift-*-server scripts run /usr/bin/python3; `python3` on PATH may be a pyenv shim without swift
s3api_importable() { /usr/bin/python3 -c 'import swift.common.middleware.s3api' >/dev/null 2>&1; }
missing=0
for cmd in swift-proxy-server swift-account-server swift-container-server swift-object-server swift-ring-builder memcached curl; do
  command -v "$cmd" >/dev/null || missing=1
done
if [ "$missing" = 1 ] || ! s3api_importable; then
  if [ "$SWIFT_AUTO_INSTALL" = 1 ] && [ "$(id -u)" = 0 ]; then
    apt_install swift-proxy swift-account swift-container swift-object memcached curl
    s3api_importable || apt_install python3-swift
  else
    die "Swift not installed (as root: apt-get install --no-install-recommends swift-proxy swift-account swift-container swift-object memcached curl)"
  fi
fi

# ---------- clean slate (stop leftovers of an earlier run by PID file, then wipe) ----------
if [ -d "$D/run" ]; then bash "$HERE/stop-swift.sh" >/dev/null 2>&1 9>&- || true; fi
for p in "$PORT" "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 11)); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then die "port $p is already in use by something else"; fi
done
rm -rf "$D"; mkdir -p "$D"/{etc,srv/d1,run,log}
T0=$(date +%s.%N)
cat >"$D/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = test-suffix
swift_hash_path_prefix = test-prefix
[storage-policy:0]
name = Policy-0
default = yes
EOF
cd "$D/etc"
for r in object:$BASE container:$((BASE + 1)) account:$((BASE + 2)); do
  swift-ring-builder "${r%%:*}.builder" create 6 1 1 >/dev/null
  swift-ring-builder "${r%%:*}.builder" add "r1z1-127.0.0.1:${r##*:}/d1" 100 >/dev/null
  swift-ring-builder "${r%%:*}.builder" rebalance >/dev/null || true
done
common="devices = $D/srv
mount_check = false
bind_ip = 127.0.0.1
workers = 0
swift_dir = $D/etc
log_udp_host = 127.0.0.1
log_udp_port = 9
log_level = WARNING"
for s in object:$BASE container:$((BASE + 1)) account:$((BASE + 2)); do
  n=${s%%:*}
  printf '[DEFAULT]\n%s\nbind_port = %s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n[%s-replicator]\n[%s-auditor]\n' \
    "$common" "${s##*:}" "$n" "$n" "$n" "$n" "$n" >"$D/etc/$n-server.conf"
done
cat >"$D/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
workers = 0
swift_dir = $D/etc
log_udp_host = 127.0.0.1
log_udp_port = 9
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
dns_compliant_bucket_names = true
s3_acl = false
min_segment_size = 5242880
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = $SK .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$((BASE + 11))
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
log "starting memcached and swift servers"
memcached -d -u "$(id -un)" -l 127.0.0.1 -p $((BASE + 11)) -U 0 -m 64 -P "$D/run/memcached.pid" 9>&- || die "memcached failed to start"
for n in object container account proxy; do
  nohup "swift-$n-server" "$D/etc/$n-server.conf" >"$D/log/$n.log" 2>&1 </dev/null 9>&- &
  echo $! >"$D/run/$n.pid"
done
for i in $(seq 1 150); do ready && break; sleep 0.2; done
ready || die "swift proxy on $EP did not become ready"
log "ready after $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
info
