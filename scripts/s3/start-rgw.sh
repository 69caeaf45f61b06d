#!/usr/bin/env bash
# start-rgw.sh - throwaway single-node Ceph cluster (1 mon, 1 OSD, no mgr) + RADOS Gateway
# serving the S3 API on 127.0.0.1, for tests. Debian 12 packages (Ceph 16.2.15 Pacific).
# s3ferry's own copy (used by `npm test` and test/support/s3-server.ts); stop it with stop-rgw.sh
# from this same folder.
#
# Idempotent: if the gateway started by this script (same RGW_DIR) is already up and
# answers signed S3 requests with our keys, it just prints the connection info and exits 0.
# Otherwise it stops whatever is left of an earlier run (by PID file), wipes RGW_DIR and
# builds a fresh cluster. Exits 0 only once a SigV4-signed S3 request succeeds.
# No systemd, no auth between Ceph daemons (auth none); everything lives in RGW_DIR.
#
# Settings (environment):
#   RGW_DIR         data/log/pid dir         (default /tmp/s3ferry-rgw)
#   RGW_PORT        S3 HTTP port             (default 7480)
#   RGW_MON_PORT    mon msgr2 port           (default 13300; msgr1 uses RGW_MON_PORT+1)
#   RGW_OSD_PORTS   OSD port range "min-max" (default 16800-16899)
#   RGW_OBJECTSTORE memstore | bluestore     (default memstore: all object data in RAM)
#   RGW_STORE_GB    size of memstore "device" / sparse bluestore file, GiB (default 8)
#   S3_ACCESS_KEY / S3_SECRET_KEY            (default fixed test keys below)
#   S3_BUCKET       if set, this bucket is created (ok if it exists)
#   RGW_CACHE       1 (default) | 0: radosgw's metadata cache. The cache keeps a RADOS watch; after
#                   radosgw is SIGKILLed, its dead watch makes every bucket create/delete of the
#                   restarted gateway stall until the OSD times the watch out (~30 s). 0 avoids that
#                   for outage tests, at ~2x the latency of small requests.
#   RGW_AUTO_INSTALL=1 (default) apt-get installs ceph-mon ceph-osd radosgw if missing (root only;
#                   `apt-get update` runs only when the package lists are empty or the install fails)
#   RGW_START_TIMEOUT seconds to wait for each stage (default 90)
#   Opt-in, all empty by default (then nothing below changes):
#   RGW_SSL_PORT    also serve S3 over TLS on 127.0.0.1:RGW_SSL_PORT (beast ssl_endpoint), with the
#                   certificate in RGW_CERT_DIR; made there by make-test-certs.sh (a CA of its own;
#                   openssl is installed as root if missing) unless server.crt/server.key exist
#   RGW_CERT_DIR    ca.crt, server.crt, server.key (default "$RGW_DIR.tls", kept across rebuilds)
#   RGW_DNS_NAME    rgw dns name: virtual-hosted addressing, BUCKET.RGW_DNS_NAME (the certificate
#                   covers NAME and *.NAME; the names must resolve to 127.0.0.1 in the client)
#   With RGW_SSL_PORT the output adds S3_TLS_ENDPOINT and S3_CA_BUNDLE; with RGW_DNS_NAME, S3_DNS_NAME.
# Concurrent runs with the same RGW_DIR are serialised by flock on "$RGW_DIR.lock" (the second one
# then finds the cluster running). Daemons are started with that fd closed, so they never hold it.
set -euo pipefail

RGW_DIR=${RGW_DIR:-/tmp/s3ferry-rgw}
RGW_PORT=${RGW_PORT:-7480}
RGW_MON_PORT=${RGW_MON_PORT:-13300}
RGW_MON_V1_PORT=$((RGW_MON_PORT + 1))
RGW_OSD_PORTS=${RGW_OSD_PORTS:-16800-16899}
RGW_OBJECTSTORE=${RGW_OBJECTSTORE:-memstore}
RGW_STORE_GB=${RGW_STORE_GB:-8}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-AKIAIOSFODNN7TESTKEY}
S3_SECRET_KEY=${S3_SECRET_KEY:-wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTSECRET}
S3_REGION=${S3_REGION:-us-east-1}
S3_BUCKET=${S3_BUCKET:-}
RGW_CACHE=${RGW_CACHE:-1}
RGW_AUTO_INSTALL=${RGW_AUTO_INSTALL:-1}
RGW_START_TIMEOUT=${RGW_START_TIMEOUT:-90}
RGW_SSL_PORT=${RGW_SSL_PORT:-}
RGW_DNS_NAME=${RGW_DNS_NAME:-}
RGW_CERT_DIR=${RGW_CERT_DIR:-$RGW_DIR.tls}
ENDPOINT="http://127.0.0.1:${RGW_PORT}"
# The frontends line of ceph.conf: a running cluster is reused only when it has this very line.
FRONTENDS="beast endpoint=127.0.0.1:$RGW_PORT"
if [ -n "$RGW_SSL_PORT" ]; then
  FRONTENDS="$FRONTENDS ssl_endpoint=127.0.0.1:$RGW_SSL_PORT ssl_certificate=$RGW_CERT_DIR/server.crt ssl_private_key=$RGW_CERT_DIR/server.key"
fi
CONF="$RGW_DIR/ceph.conf"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[start-rgw %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; for f in "$RGW_DIR"/log/*.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }

# --- signed S3 request with curl (curl >= 7.75; 7.88 needs the explicit x-amz-content-sha256) --
s3curl() { curl -sS --max-time 10 --aws-sigv4 "aws:amz:${S3_REGION}:s3" -u "${S3_ACCESS_KEY}:${S3_SECRET_KEY}" \
                -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"; }
s3_ready() {
  s3curl --max-time 3 -o /dev/null -w '%{http_code}' "$ENDPOINT/" 2>/dev/null | grep -qx 200 || return 1
  [ -z "$RGW_SSL_PORT" ] && return 0
  # over TLS too, verified against the CA (by IP: the certificate holds 127.0.0.1)
  s3curl --max-time 3 --cacert "$RGW_CERT_DIR/ca.crt" -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$RGW_SSL_PORT/" 2>/dev/null | grep -qx 200
}
# The running cluster was started with these settings (frontends, dns name).
same_settings() {
  grep -qxF "rgw frontends = $FRONTENDS" "$CONF" 2>/dev/null || return 1
  if [ -n "$RGW_DNS_NAME" ]; then grep -qxF "rgw dns name = $RGW_DNS_NAME" "$CONF"; else ! grep -q '^rgw dns name' "$CONF"; fi
}

print_info() {
  cat <<EOF
S3_ENDPOINT=$ENDPOINT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
S3_REGION=$S3_REGION
S3_FORCE_PATH_STYLE=true
EOF
  [ -n "$S3_BUCKET" ] && echo "S3_BUCKET=$S3_BUCKET"
  if [ -n "$RGW_SSL_PORT" ]; then
    echo "S3_TLS_ENDPOINT=https://${RGW_DNS_NAME:-localhost}:$RGW_SSL_PORT"
    echo "S3_CA_BUNDLE=$RGW_CERT_DIR/ca.crt"
  fi
  [ -n "$RGW_DNS_NAME" ] && echo "S3_DNS_NAME=$RGW_DNS_NAME"
  return 0
}

ensure_bucket() {
  [ -z "$S3_BUCKET" ] && return 0
  local code
  code=$(s3curl -o /dev/null -w '%{http_code}' -X PUT "$ENDPOINT/$S3_BUCKET")
  case "$code" in 200|409) ;; *) die "creating bucket $S3_BUCKET gave HTTP $code";; esac
}

pid_alive() { # alive and not a zombie (PID 1 in containers may reap late)
  local f="$RGW_DIR/run/$1.pid" p; [ -s "$f" ] || return 1; p=$(cat "$f")
  kill -0 "$p" 2>/dev/null && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ]; }

C=(-c "$CONF")

# ---------- one start at a time per RGW_DIR (e.g. several test files run without the runner) ----------
if command -v flock >/dev/null; then
  mkdir -p "$(dirname "$RGW_DIR")"
  exec 9>"$RGW_DIR.lock"
  flock -w $((RGW_START_TIMEOUT * 4)) 9 || die "another start-rgw.sh for $RGW_DIR holds $RGW_DIR.lock"
fi

wait_for() { # wait_for DESC CMD...
  local desc=$1; shift; local t=0
  until "$@" >/dev/null 2>&1; do
    t=$((t + 1)); [ "$t" -gt $((RGW_START_TIMEOUT * 4)) ] && die "timed out waiting for $desc"
    sleep 0.25
  done
}

# ---------- already running? ----------
if pid_alive client.rgw.a && pid_alive osd.0 && pid_alive mon.a && same_settings && s3_ready; then
  log "already running (RGW_DIR=$RGW_DIR)"
  ensure_bucket; print_info; exit 0
fi
# ---------- only the gateway is down (e.g. a test killed it to simulate an outage): restart it, keep data ----------
if ! pid_alive client.rgw.a && pid_alive osd.0 && pid_alive mon.a && [ -s "$RGW_DIR/user.json" ] \
   && same_settings; then
  log "radosgw is down but mon/osd are up: restarting radosgw only (objects kept)"
  radosgw "${C[@]}" -n client.rgw.a >>"$RGW_DIR/log/rgw-start.log" 2>&1 9>&- || die "radosgw failed to start"
  wait_for "S3 endpoint $ENDPOINT" s3_ready
  ensure_bucket; print_info; exit 0
fi

# ---------- packages ----------
APT_LOG=/tmp/s3ferry-apt.log
apt_install() { # apt_install PKG... : as root, from Debian's repositories; update the lists only if needed
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  log "installing $* from apt (log: $APT_LOG)"
  ( # start-swift.sh may be installing at the same time: take turns
    if command -v flock >/dev/null; then flock -w 900 8 || true; fi
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
      apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 || exit 1
    fi
    apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1 && exit 0
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update -q -o DPkg::Lock::Timeout=600 >>"$APT_LOG" 2>&1 && apt-get install "${opts[@]}" "$@" >>"$APT_LOG" 2>&1
  ) 8>/tmp/s3ferry-apt.lock 9>&- || { tail -n 20 "$APT_LOG" >&2; die "apt-get install $* failed"; }
}
missing=0
for cmd in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool curl; do
  command -v "$cmd" >/dev/null || missing=1
done
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common curl)
if [ -n "$RGW_SSL_PORT" ]; then
  PACKAGES+=(openssl)
  command -v openssl >/dev/null || missing=1
fi
if [ "$missing" = 1 ]; then
  if [ "$RGW_AUTO_INSTALL" = 1 ] && [ "$(id -u)" = 0 ]; then
    apt_install "${PACKAGES[@]}"
  else
    die "ceph-mon/ceph-osd/radosgw/curl${RGW_SSL_PORT:+/openssl} not installed (as root: apt-get install --no-install-recommends ${PACKAGES[*]})"
  fi
fi
# TLS: a certificate of our own making (a CA per RGW_CERT_DIR), unless the caller brought one
if [ -n "$RGW_SSL_PORT" ]; then
  if [ -s "$RGW_CERT_DIR/names" ] || [ ! -s "$RGW_CERT_DIR/server.crt" ]; then
    # shellcheck disable=SC2086 # no name, or one
    bash "$HERE/make-test-certs.sh" "$RGW_CERT_DIR" $RGW_DNS_NAME 9>&- || die "make-test-certs.sh failed"
  fi
  [ -s "$RGW_CERT_DIR/server.key" ] || die "$RGW_CERT_DIR/server.key is missing"
fi

# ---------- clean slate (stop leftovers of an earlier run by PID file, then wipe) ----------
if [ -d "$RGW_DIR/run" ]; then
  log "stopping leftovers of an earlier run in $RGW_DIR"
  RGW_DIR="$RGW_DIR" RGW_STOP_GRACE=3 bash "$HERE/stop-rgw.sh" >/dev/null 2>&1 9>&- || true
fi
if (exec 3<>/dev/tcp/127.0.0.1/"$RGW_PORT") 2>/dev/null; then die "port $RGW_PORT is already in use by something else"; fi
if (exec 3<>/dev/tcp/127.0.0.1/"$RGW_MON_PORT") 2>/dev/null; then die "port $RGW_MON_PORT is already in use by something else"; fi
if [ -n "$RGW_SSL_PORT" ] && (exec 3<>/dev/tcp/127.0.0.1/"$RGW_SSL_PORT") 2>/dev/null; then die "port $RGW_SSL_PORT is already in use by something else"; fi
rm -rf "$RGW_DIR"
mkdir -p "$RGW_DIR"/{mon,osd,run,log,rgw}
T0=$(date +%s.%N)

FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
case "$RGW_OBJECTSTORE" in
  memstore)  STORE_CONF="osd objectstore = memstore
memstore device bytes = $((RGW_STORE_GB * 1024 * 1024 * 1024))";;
  bluestore) STORE_CONF="osd objectstore = bluestore
bluestore block create = true
bluestore block size = $((RGW_STORE_GB * 1024 * 1024 * 1024))
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
bluestore fsck on umount = false
osd memory target = 1073741824
bluestore cache autotune = true";;
  *) die "RGW_OBJECTSTORE must be memstore or bluestore";;
esac

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$RGW_MON_PORT,v1:127.0.0.1:$RGW_MON_V1_PORT]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = ${RGW_OSD_PORTS%-*}
ms bind port max = ${RGW_OSD_PORTS#*-}
# no cephx anywhere: a throwaway test cluster
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults ms_mon_client_mode to "secure", which cannot work with auth=none
# (send_auth_request get_initial_auth_request returned -13): allow crc
ms mon client mode = crc secure
ms client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
osd mon shutdown timeout = 1
run dir = $RGW_DIR/run
admin socket = $RGW_DIR/run/\$name.asok
pid file = $RGW_DIR/run/\$name.pid
log file = $RGW_DIR/log/\$name.log
keyring = $RGW_DIR/keyring
log to stderr = false
err to stderr = false
[mon]
mon data = $RGW_DIR/mon/\$cluster-\$id
# default 1 s between Paxos proposals makes each pool creation take ~2 s
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $RGW_DIR/osd/\$cluster-\$id
$STORE_CONF
[client.rgw.a]
rgw frontends = $FRONTENDS
$([ -n "$RGW_DNS_NAME" ] && echo "rgw dns name = $RGW_DNS_NAME")
rgw data = $RGW_DIR/rgw
rgw enable usage log = false
rgw cache enabled = $([ "$RGW_CACHE" = 0 ] && echo false || echo true)
# deleted/overwritten data is garbage-collected after 2 h by default; be quicker
rgw gc obj min wait = 60
rgw gc processor period = 60
debug rgw = 1
EOF

# ---------- monitor ----------
log "creating mon"
monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$RGW_MON_PORT,v1:127.0.0.1:$RGW_MON_V1_PORT]" "$RGW_DIR/monmap" >/dev/null
ceph-authtool --create-keyring "$RGW_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$RGW_DIR/monmap" --keyring "$RGW_DIR/keyring" || die "ceph-mon --mkfs failed"
ceph-mon "${C[@]}" -i a 9>&- || die "ceph-mon failed to start"   # forks into the background, writes run/mon.a.pid
# every ceph CLI call gets a timeout: some (e.g. `ceph pg stat`) hang forever without a mgr
cephq() { timeout 20 ceph "${C[@]}" --connect-timeout 15 "$@"; }
wait_for "mon quorum" cephq mon stat

# ---------- OSD ----------
log "creating osd.0 ($RGW_OBJECTSTORE)"
OSD_ID=$(cephq osd new "$OSD_UUID") || die "ceph osd new failed"
[ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
mkdir -p "$RGW_DIR/osd/ceph-0"
ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$RGW_DIR/log/osd-mkfs.log" 2>&1 || die "ceph-osd --mkfs failed"
ceph-osd "${C[@]}" -i 0 >>"$RGW_DIR/log/osd-start.log" 2>&1 9>&- || die "ceph-osd failed to start"
osd_up() { cephq osd dump 2>/dev/null | grep '^osd.0 up' >/dev/null; }
wait_for "osd.0 up" osd_up

# ---------- S3 user (this also creates the rgw pools) ----------
log "creating S3 user"
timeout 120 radosgw-admin "${C[@]}" user create --uid=tester --display-name=Tester \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >"$RGW_DIR/user.json" 2>>"$RGW_DIR/log/radosgw-admin.log" \
  || die "radosgw-admin user create failed"

# ---------- gateway ----------
log "starting radosgw on $ENDPOINT"
radosgw "${C[@]}" -n client.rgw.a >>"$RGW_DIR/log/rgw-start.log" 2>&1 9>&- || die "radosgw failed to start"
wait_for "S3 endpoint $ENDPOINT" s3_ready
ensure_bucket
log "ready after $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
print_info
