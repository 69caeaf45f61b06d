#!/usr/bin/env bash
# make-test-certs.sh DIR [DNS_NAME...] - a throwaway certificate authority and a server certificate
# signed by it, for S3 servers on loopback over TLS (start-rgw.sh with RGW_SSL_PORT, the tests, the
# bench). Writes, in DIR:
#   ca.crt / ca.key          the CA (what a client trusts: caBundle, AWS_CA_BUNDLE, curl --cacert)
#   server.crt / server.key  for localhost, 127.0.0.1, and each DNS_NAME with its subdomains
#                            (*.NAME: virtual-hosted buckets), signed by the CA
#   names                    the names the server certificate holds, one line
# Idempotent: an existing set for the same names is kept; other names make a new set (a new CA).
# Needs openssl: installed from Debian when missing and run as root. RSA 2048, as most stores'
# certificates are.
set -euo pipefail
DIR=${1:?usage: make-test-certs.sh DIR [DNS_NAME...]}
shift
SAN="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do SAN="$SAN,DNS:$name,DNS:*.$name"; done
if [ -s "$DIR/server.crt" ] && [ -s "$DIR/server.key" ] && [ -s "$DIR/ca.crt" ] \
   && [ "$(cat "$DIR/names" 2>/dev/null)" = "$SAN" ]; then
  exit 0
fi
if ! command -v openssl >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # as start-rgw.sh installs its packages: from Debian, taking turns with the other scripts
  ( export DEBIAN_FRONTEND=noninteractive
    command -v flock >/dev/null && flock -w 900 8
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 openssl >>/tmp/s3ferry-apt.log 2>&1 \
      || { apt-get update -q -o DPkg::Lock::Timeout=600 >>/tmp/s3ferry-apt.log 2>&1 \
           && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 openssl >>/tmp/s3ferry-apt.log 2>&1; }
  ) 8>/tmp/s3ferry-apt.lock || true
fi
command -v openssl >/dev/null || { echo "make-test-certs.sh: openssl is not installed (as root: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; }
q openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
  -subj "/CN=s3ferry test CA $(date +%s)-$$" \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -keyout "$tmp/ca.key" -out "$tmp/ca.crt"
q openssl req -new -newkey rsa:2048 -nodes -sha256 -subj '/CN=localhost' \
  -keyout "$tmp/server.key" -out "$tmp/server.csr"
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
  "$SAN" >"$tmp/ext"
q openssl x509 -req -sha256 -days 3650 -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
  -CAcreateserial -extfile "$tmp/ext" -out "$tmp/server.crt"
chmod 600 "$tmp/ca.key" "$tmp/server.key"
for f in ca.crt ca.key server.crt server.key; do mv -f "$tmp/$f" "$DIR/$f"; done
echo "$SAN" >"$DIR/names"
