#!/usr/bin/env bash
# tls_backend_test.sh BIN - TLS client options for backends against real `openssl s_server`
# instances on loopback. Generates a throw-away CA, a server certificate (localhost,
# 127.0.0.1) and a client certificate with the openssl command line in a temp dir
# (nothing private is committed), starts one server that asks for no client certificate
# and one that requires it (-Verify), runs BIN (tls_backend_test.c) against both, and
# removes everything again.
set -u
bin=$1
dir=$(mktemp -d /tmp/tls-backend.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }
(
    cd "$dir" || exit 1
    openssl req -x509 $(ec) -keyout ca.key -out ca.pem -subj /CN=test-backend-ca -days 2 &&
    openssl req $(ec) -keyout srv.key -out srv.csr -subj /CN=localhost &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > srv.ext &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile srv.ext &&
    openssl req $(ec) -keyout cli.key -out cli.csr -subj /CN=charger-0001 &&
    printf 'extendedKeyUsage=clientAuth\n' > cli.ext &&
    openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 -extfile cli.ext &&
    # OCSP responses for srv.pem ("good" in a one-line CA index), signed by the CA itself;
    # two validities so that a renewed file is told from the first one
    printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$(date -u -d '+2 days' +%y%m%d%H%M%SZ)" \
        "$(openssl x509 -in srv.pem -noout -serial | cut -d= -f2)" > index.txt &&
    openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -issuer ca.pem -cert srv.pem \
        -respout ocsp.der -ndays 1 &&
    openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -issuer ca.pem -cert srv.pem \
        -respout ocsp2.der -ndays 3
) >"$dir/gen.log" 2>&1 || { echo "FAIL tls_backend: certificate generation"; cat "$dir/gen.log"; exit 1; }

# start_server LOG ARGS...: prints the port s_server chose (-accept 0)
start_server() {
    local log=$1; shift
    openssl s_server -accept 0 -cert "$dir/srv.pem" -key "$dir/srv.key" -CAfile "$dir/ca.pem" \
        -www "$@" >"$log" 2>&1 </dev/null &
    pids+=($!)
    for _ in $(seq 100); do
        port=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$log")
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.05
    done
    return 1
}
port_open=$(start_server "$dir/open.log") || { echo "FAIL tls_backend: s_server did not start"; cat "$dir/open.log"; exit 1; }
port_mtls=$(start_server "$dir/mtls.log" -Verify 1) || { echo "FAIL tls_backend: s_server -Verify did not start"; exit 1; }
TLS_DIR=$dir PORT_OPEN=$port_open PORT_MTLS=$port_mtls "$bin"
