#!/usr/bin/env bash
# install.sh DIR - the test CSMS's packages (ocpp-rpc and what it needs) into DIR with
# `npm ci` from the committed package-lock.json.
#
# Node's own CA list is not the machine's: where the machine reaches the npm registry
# through a TLS-inspecting proxy whose CA is in the system store, Node is told to add the
# system store (NODE_EXTRA_CA_CERTS). Where the proxy's CA is in no store at all (a fresh
# Debian root), npm is asked again without TLS verification, and says so: the tarballs are
# still checked against the sha512 "integrity" of every package in the committed lock file,
# so nothing but those exact packages can be installed.
set -u
dir=${1:?usage: $0 DIR}
cd "$dir" || exit 1
store=/etc/ssl/certs/ca-certificates.crt
[ -r "$store" ] && export NODE_EXTRA_CA_CERTS=$store
if npm ci --no-audit --no-fund --loglevel=error >npm.out 2>npm.err; then
    exit 0
fi
if grep -q 'CERT\|certificate' npm.err; then
    echo "ocpp: npm does not trust the TLS certificate chain on the way to its registry;" \
         "installing again without TLS verification (each package still checked against" \
         "the sha512 integrity in tests/ocpp/package-lock.json)" >&2
    grep -c '"integrity": "sha512-' package-lock.json >/dev/null || { echo "ocpp: the lock file has no sha512 integrity: refused" >&2; exit 1; }
    if npm ci --strict-ssl=false --no-audit --no-fund --loglevel=error >npm.out 2>npm.err; then
        exit 0
    fi
fi
echo "ocpp: npm ci failed:" >&2
cat npm.err >&2
exit 1
