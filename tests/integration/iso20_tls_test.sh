#!/usr/bin/env bash
# ISO 15118-20 over a veth pair with TLS 1.3 and mutual TLS, on the host (no VM, no CAN;
# issue 16, "Done when" bullet 1): `charger --sim-plant` (psu.type = huawei on one
# huaweisim, the cheapest power stage that runs on the host; the cable check unmeasured,
# imd.lab_override_no_monitor) in namespace A, evsim in namespace B, a -20 PKI made here
# with the openssl command line (secp521r1, ecdsa-with-SHA512, spec sheet §5.1).
#
#   (a) scheduled -20 session that pauses and resumes (a new TLS connection, old SessionID)
#   (b) dynamic -20 session with a schedule renegotiation asked by the car
#   (c) a car without a vehicle certificate: refused (link.tls_client_cert = required)
#   (d) a car whose certificate chains to no root the charger holds: refused
# The charger captures its link (pcapng); tshark sees TLS 1.3 ServerHellos, and with the
# car's key log decrypts the CertificateRequest and V2GTP frames (01 FE 80 01...).
#
#   tests/integration/iso20_tls_test.sh BUILD/bin [WIRESHARK_PLUGIN]
set -u
bin=${1:?usage: $0 BIN_DIR [PLUGIN]}
plugin=${2:-}
for b in charger evsim huaweisim; do
    if [ ! -x "$bin/$b" ]; then echo "FAIL iso20_tls/setup: $bin/$b is not built"; echo "0 passed, 1 failed"; exit 1; fi
done
for t in openssl tshark; do
    if ! command -v "$t" >/dev/null 2>&1; then echo "FAIL iso20_tls/setup: $t is not installed (tools/deps)"; echo "0 passed, 1 failed"; exit 1; fi
done
root=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d /tmp/iso20tls.XXXXXX)
A=i20A$$ B=i20B$$
pass=0 fail=0
pids=()
ok() { echo "PASS iso20_tls/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL iso20_tls/$1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
. "$root/tests/integration/wait_lib.sh"  # wait_file, wait_line
inA() { ip netns exec "$A" "$@"; }

# ---- the -20 PKI: V2G root -> CPO Sub-CA -> SECC leaf; OEM root -> OEM Sub-CA -> vehicle
# leaf; a stranger root -> vehicle leaf (not trusted by the charger). All secp521r1/SHA-512.
pki=$w/pki; mkdir -p "$pki"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp521r1 -out "$pki/$1.key" 2>/dev/null; }
ext() {  # NAME: the extension section of a CA or a leaf
    if [ "$1" = ca ]; then
        printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n'
    else
        printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,keyAgreement\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
    fi
}
mkroot() {  # NAME SUBJECT
    key "$1" && ext ca >"$pki/$1.ext" &&
        openssl req -new -x509 -sha512 -key "$pki/$1.key" -subj "$2" -days 30 -extensions v3 \
            -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; ext ca) -out "$pki/$1.pem" 2>/dev/null
}
mkcert() {  # NAME SUBJECT ISSUER ca|leaf
    key "$1" && ext "$4" >"$pki/$1.ext" &&
        openssl req -new -sha512 -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null &&
        openssl x509 -req -sha512 -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial \
            -days 30 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
{ mkroot v2g-root "/CN=V2G Root CA iso20_tls/DC=V2G" &&
  mkcert cpo-sub "/CN=CPO Sub-CA iso20_tls/DC=CPO" v2g-root ca &&
  mkcert secc "/CN=SECC iso20_tls/DC=CPO" cpo-sub leaf &&
  mkroot oem-root "/CN=OEM Root CA iso20_tls/DC=OEM" &&
  mkcert oem-sub "/CN=OEM Sub-CA iso20_tls/DC=OEM" oem-root ca &&
  mkcert vehicle "/CN=WMIV1234567890ABCDEX/DC=OEM" oem-sub leaf &&
  mkroot stranger-root "/CN=Stranger Root CA iso20_tls" &&
  mkcert stranger "/CN=WMIV0000000000STRANGE" stranger-root leaf; } ||
    { bad setup "openssl could not make the -20 test PKI"; finish; }
cat "$pki/secc.pem" "$pki/cpo-sub.pem" >"$pki/secc-chain.pem"
cat "$pki/vehicle.pem" "$pki/oem-sub.pem" >"$pki/vehicle-chain.pem"
cat "$pki/v2g-root.pem" "$pki/oem-root.pem" >"$pki/client-roots.pem"
ok pki-secp521r1

# ---- namespaces, the unit, the charger
"$root/tools/netns-run" up "$A" "$B" >"$w/netns.out" 2>&1 || { bad setup "netns-run: $(cat "$w/netns.out")"; finish; }
inA ip link add i20g0 type veth peer name i20g1 && inA ip link set i20g0 up && inA ip link set i20g1 up ||
    { bad setup "GOOSE veth pair"; finish; }
inA "$bin/huaweisim" --eth i20g1 --port 0 >"$w/sim.out" 2>"$w/sim.err" &
pids+=($!)
port=
for _ in $(seq 200); do port=$(sed -n 's/^listening port=//p' "$w/sim.out"); [ -n "$port" ] && break; sleep 0.05; done
[ -n "$port" ] || { bad setup "huaweisim did not start: $(tail -n 2 "$w/sim.err")"; finish; }
cat >"$w/c.conf" <<CONF
store.dir = $w/store
charger.name = i20
psu.type = huawei
huawei.host = 127.0.0.1
huawei.port = $port
huawei.goose_if = i20g0
huawei.connector = 1
ovm.sources = stage
imd.lab_override_no_monitor = true
link.interface = veth-evse
link.modem = false
v2g.protocols = iso20,iso2,din
link.tls_cert = $pki/secc-chain.pem
link.tls_key = $pki/secc.key
link.tls_client_cert = required
link.tls_client_ca = $pki/client-roots.pem
CONF
ip netns exec "$A" "$bin/charger" -c "$w/c.conf" --sim-plant "$w/pilot.sock" --capture "$w/link.pcapng" \
    --tls-keylog "$w/charger.keys" >"$w/c.out" 2>"$w/c.log" &
cpid=$!; pids+=($cpid)
wait_file "$w/pilot.sock" && wait_line "$w/c.log" 'started (boot 1)' ||
    { bad charger-start "$(tail -n 5 "$w/c.log" | tr '\n' '|')"; finish; }
ok charger-start

car() {  # NAME EVSIM-OPTIONS...: one car on the TLS link, its output in $w/NAME.out
    local n=$1; shift
    ip netns exec "$B" "$bin/evsim" --iface veth-ev --pilot "$w/pilot.sock" --tls --tls-required \
        --ca "$pki/v2g-root.pem" --timeout 90 --answer-timeout-ms 5000 "$@" >"$w/$n.out" 2>&1
}
summary() { grep '^evsim: summary:' "$w/$1.out"; }
why() { echo "$(summary "$1") | $(grep -E 'WARN|ERROR' "$w/$1.out" "$w/c.log" | tail -n 4 | tr '\n' '|')"; }

# (a) scheduled, a pause after 2 s of charging, the resume 5 s later on a new TLS connection
car pause --profile iso20-pause --pause-after-s 2 --charge-s 3 --cert "$pki/vehicle-chain.pem" \
    --key "$pki/vehicle.key" --tls-keylog "$w/ev.keys"
r=$?; s=$(summary pause)
check scheduled-pause-resume "[ $r = 0 ] && echo '$s' | grep -q 'ok=1 failed=0' && echo '$s' | grep -q 'proto=iso20 reneg=0 resumes=1'" \
    "evsim exit $r: $(why pause)"
n13=$(grep -c 'client handshake done: TLSv1.3, TLS_AES_256_GCM_SHA384, group secp521r1' "$w/pause.out")
check car-tls13-twice "[ '$n13' = 2 ]" "$n13 TLS 1.3 handshakes with secp521r1 on the car (want 2: the session and its resume)"

# (b) dynamic, the car asks for new schedules after 2 s of charging
car reneg --profile iso20-dynamic --renegotiate-s 2 --charge-s 5 --cert "$pki/vehicle-chain.pem" \
    --key "$pki/vehicle.key" --tls-keylog "$w/ev.keys"
r=$?; s=$(summary reneg)
mw=$(echo "$s" | sed -n 's/.*max_w_renegotiated=\([0-9]*\).*/\1/p')
check dynamic-renegotiation "[ $r = 0 ] && echo '$s' | grep -q 'ok=1 failed=0' && echo '$s' | grep -q 'proto=iso20 reneg=1' && [ '${mw:-0}' -gt 0 ]" \
    "evsim exit $r, power after the renegotiation ${mw:-?} W: $(why reneg)"
nmt=$(grep -c 'server handshake done: TLSv1.3, TLS_AES_256_GCM_SHA384, group secp521r1, client certificate /CN=WMIV1234567890ABCDEX' "$w/c.log")
check charger-mutual-tls "[ '$nmt' = 3 ]" "$nmt TLS 1.3 handshakes with the vehicle certificate on the charger (want 3)"

# (c) no vehicle certificate, (d) one from a root the charger does not hold: both refused.
# A refused car waits for an unlock the charger gives only after its link timeout; once
# both sides have said why, the car is stopped (SIGTERM) instead.
refused() {  # NAME CHARGER-LOG-PATTERN EVSIM-OPTIONS...: returns evsim's exit status
    local n=$1 pat=$2; shift 2
    ip netns exec "$B" "$bin/evsim" --iface veth-ev --pilot "$w/pilot.sock" --tls --tls-required \
        --ca "$pki/v2g-root.pem" --timeout 90 --answer-timeout-ms 5000 "$@" >"$w/$n.out" 2>&1 &
    local p=$!
    wait_line "$w/c.log" "$pat" 60; wait_line "$w/$n.out" 'session over' 60
    kill -TERM "$p" 2>/dev/null; wait "$p"
}
refused nocert 'presented no certificate' --profile iso20 --charge-s 2
r=$?
check refused-without-certificate "[ $r != 0 ] && grep -q 'the client presented no certificate; mutual TLS (ISO 15118-20) requires one' '$w/c.log' && grep -q 'certificate required' '$w/nocert.out' && ! grep -q 'car 1 session over: ok' '$w/nocert.out'" \
    "evsim exit $r: $(why nocert)"
refused stranger 'server handshake failed: certificate verify failed' --profile iso20 --charge-s 2 \
    --cert "$pki/stranger.pem" --key "$pki/stranger.key"
r=$?
check refused-unknown-root "[ $r != 0 ] && grep -q 'server handshake failed: certificate verify failed' '$w/c.log' && ! grep -q 'client certificate /CN=WMIV0000000000STRANGE' '$w/c.log' && ! grep -q 'car 1 session over: ok' '$w/stranger.out'" \
    "evsim exit $r: $(why stranger)"

kill -TERM "$cpid"; wait "$cpid"; crc=$?
check charger-stops-cleanly "[ $crc = 0 ]" "exit $crc: $(tail -n 3 "$w/c.log" | tr '\n' '|')"
check keylogs-written "grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET ' '$w/ev.keys' && grep -q '^SERVER_TRAFFIC_SECRET_0 ' '$w/charger.keys'" \
    "car key log $(wc -l <"$w/ev.keys" 2>/dev/null) lines, charger key log $(wc -l <"$w/charger.keys" 2>/dev/null) lines"

# ---- the capture. The TLS port (link.tls_port, 15119) is not one tshark knows: decode it as TLS.
cap=$w/link.pcapng
tshark -r "$cap" -d tcp.port==15119,tls -Y 'tls.handshake.type == 2' -T fields \
    -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite >"$w/sh.txt" 2>"$w/tshark.err"
trc=$?
nsh=$(grep -c '^0x0304[[:space:]]0x1302' "$w/sh.txt")
check tshark-tls13 "[ $trc = 0 ] && [ '$nsh' -ge 5 ]" \
    "tshark exit $trc: $nsh TLS 1.3 ServerHellos with TLS_AES_256_GCM_SHA384 (want 5) | $(head -c 300 "$w/tshark.err")"
# with the car's key log: the encrypted handshake (CertificateRequest, type 13) and the
# application data decrypt; V2GTP frames start 01 FE, supportedAppProtocol is 0x8001,
# -20 common messages 0x8002, DC messages 0x8004
tshark -r "$cap" -d tcp.port==15119,tls -o "tls.keylog_file:$w/ev.keys" -Y 'tls' -T fields \
    -e tls.handshake.type -e data.data >"$w/dec.txt" 2>>"$w/tshark.err"
trc=$?
ncr=$(awk -F'\t' '{ n = split($1, t, ","); for (i = 1; i <= n; i++) if (t[i] == 13) c++ } END { print c + 0 }' "$w/dec.txt")
n1=$(grep -c '01fe8001' "$w/dec.txt"); n2=$(grep -c '01fe8002' "$w/dec.txt"); n4=$(grep -c '01fe8004' "$w/dec.txt")
check tshark-decrypts "[ $trc = 0 ] && [ '$ncr' -ge 2 ] && [ '$n1' -ge 2 ] && [ '$n2' -ge 10 ] && [ '$n4' -ge 10 ]" \
    "tshark exit $trc: CertificateRequest in $ncr lines; V2GTP 0x8001 $n1, 0x8002 $n2, 0x8004 $n4 | $(head -c 300 "$w/tshark.err")"
# The project's dissector names the decrypted messages when it is built (make wireshark-plugin).
if [ -n "$plugin" ] && [ -f "$plugin" ]; then
    # as iso20_sim.sh: a personal plugin folder; as root tshark runs as nobody (Wireshark
    # ignores personal plugins for root), so the key log and capture are copied readable
    home=$(mktemp -d /tmp/iso20tls-ws.XXXXXX); mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan"
    cp "$plugin" "$home/.local/lib/wireshark/plugins/4.0/epan/v2gtp.so"
    cp "$w/ev.keys" "$home/keys"; cp "$cap" "$home/cap.pcapng"; chmod -R a+rX "$home"
    as_user=()
    [ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    HOME="$home" "${as_user[@]}" tshark -r "$home/cap.pcapng" -d tcp.port==15119,tls -o "tls.keylog_file:$home/keys" \
        -O v2gtp 2>/dev/null | sed -n 's/^ *Message: //p' >"$w/names.txt"
    check tshark-v2gtp-names "grep -q 'DC_ChargeLoopReq' '$w/names.txt' && grep -q 'ScheduleExchangeRes' '$w/names.txt'" \
        "the dissector named $(wc -l <"$w/names.txt") messages in the decrypted capture"
    rm -rf "$home"
else
    echo "SKIP iso20_tls/tshark-v2gtp-names: the Wireshark plugin is not built (make wireshark-plugin)"
fi

# (e) ISO 15118-2 Plug & Charge over the same veth pair with real TLS 1.2 (issue 15): a second
# charger with the P-256 test PKI of tools/v2g-pki/make-pki.sh (its SECC chain, pnc.mo_roots
# = the MO root, an OCSP response for its SECC leaf stapled), evsim paying with the contract.
# The chain validation and signature checks are printed (the issue's closing note needs them).
# No meter is configured here, so no MeteringReceipt is asked (the pki group's sim run has one).
pnc=$w/pnc
if "$root/tools/v2g-pki/make-pki.sh" "$pnc" >"$w/pnc-pki.out" 2>&1; then
    printf 'V\t%s\t\t%s\tunknown\t/CN=SECCCert\n' "$(date -u -d '+2 days' +%y%m%d%H%M%SZ)" \
        "$(openssl x509 -in "$pnc/ok/secc/leaf.pem" -noout -serial | cut -d= -f2)" >"$w/ocsp-index.txt"
    openssl ocsp -index "$w/ocsp-index.txt" -rsigner "$pnc/certs/cpo-sub2.pem" -rkey "$pnc/keys/cpo-sub2.key" \
        -CA "$pnc/certs/cpo-sub2.pem" -issuer "$pnc/certs/cpo-sub2.pem" -cert "$pnc/ok/secc/leaf.pem" \
        -respout "$w/secc-ocsp.der" -ndays 1 >"$w/ocsp.out" 2>&1 || echo "ocsp: $(cat "$w/ocsp.out")" >>"$w/pnc-pki.out"
    sed -e '/^link.tls_/d' -e 's/^v2g.protocols = .*/v2g.protocols = iso2/' -e 's/^charger.name = .*/charger.name = pnc/' \
        -e "s|^store.dir = .*|store.dir = $w/store-pnc|" "$w/c.conf" >"$w/pnc.conf"
    cat >>"$w/pnc.conf" <<CONF
link.tls_cert = $pnc/ok/secc/chain.pem
link.tls_key = $pnc/keys/secc.key
link.tls_ocsp_response = $w/secc-ocsp.der
pnc.mo_roots = $pnc/roots/mo/root.pem
CONF
    rm -f "$w/pilot.sock"
    ip netns exec "$A" "$bin/charger" -c "$w/pnc.conf" --sim-plant "$w/pilot.sock" >"$w/pc.out" 2>"$w/pc.log" &
    cpid=$!; pids+=($cpid)
    if wait_file "$w/pilot.sock" && wait_line "$w/pc.log" 'started (boot' 30; then
        ip netns exec "$B" "$bin/evsim" --iface veth-ev --pilot "$w/pilot.sock" --tls --tls-required \
            --ca "$pnc/roots/v2g/root.pem" --timeout 90 --answer-timeout-ms 5000 --profile iso2 --charge-s 3 \
            --contract-chain "$pnc/ok/contract/chain.pem" --contract-key "$pnc/keys/contract.key" >"$w/pnc.out" 2>&1
        r=$?; s=$(summary pnc)
        emaid=$(cat "$pnc/emaid")
        check pnc-tls12-contract "[ $r = 0 ] && echo '$s' | grep -q 'ok=1 failed=0' && grep -q 'server handshake done: TLSv1.2, ECDHE-ECDSA-AES128-SHA256' '$w/pc.log' && grep -q 'pnc: contract chain of $emaid valid' '$w/pc.log' && grep -q 'pnc: AuthorizationReq signature of $emaid valid, GenChallenge ok' '$w/pc.log' && grep -q 'authorised: contract (Plug & Charge)' '$w/pc.log' && grep -q 'session 1 stopped: .*token=$emaid' '$w/pc.log'" \
            "evsim exit $r: $s | $(grep -E 'pnc|TLS|tls|WARN|ERROR' "$w/pc.log" | tail -n 6 | tr '\n' '|')"
        # the log lines the closing note of issue 15 asks for
        grep -E 'tls: server handshake done|OCSP|V2G: pnc: |authorised: contract|pnc session 1 stopped' "$w/pc.log" |
            sed 's/^/    charger: /' | head -n 12
        kill -TERM "$cpid"; wait "$cpid"; crc=$?
        check pnc-charger-stops-cleanly "[ $crc = 0 ]" "exit $crc: $(tail -n 3 "$w/pc.log" | tr '\n' '|')"
    else
        bad pnc-charger-start "$(tail -n 5 "$w/pc.log" | tr '\n' '|')"
    fi
else
    bad pnc-pki "make-pki.sh: $(tail -n 3 "$w/pnc-pki.out" | tr '\n' '|')"
fi
finish
