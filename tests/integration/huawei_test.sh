#!/usr/bin/env bash
# Integration test of the Huawei FusionCharge stage (firmware/psu_huawei.c over
# protocols/huawei/) against the unit emulator huaweisim, through psu-ctl --huawei, on the
# real transports: Modbus over loopback TCP, GOOSE on a veth pair (root, no VM).
#
#   tests/integration/huawei_test.sh BUILD/san/bin/huaweisim BUILD/san/bin/psu-ctl
#
# Cases, each on its own veth pair and emulator, all in parallel: two dispensers sharing
# one unit (three connectors); mutual TLS, and a client certificate of another CA refused;
# HMAC off on both sides; and every bad input: replies signed
# with a wrong key, replayed, unsigned, tagged with another VLAN, with a wrong Length; a
# refused allocation; a key never delivered; the link dropped mid-session; the unit's EPO
# alarm; a Modbus request for a register that does not exist. Where power was asked for,
# the connector must be switched off (psu-ctl prints "stop ... power off" and fails).
# Prints PASS/FAIL lines and "N passed, N failed".
set -u
sim=${1:?usage: $0 HUAWEISIM PSU_CTL [BIN]}; ctl=${2:?usage: $0 HUAWEISIM PSU_CTL [BIN]}
board_bin=${3:-}  # given: huawei_board_test.sh BIN runs beside the cases (two chargers on one unit, TCP and TLS)
for b in "$sim" "$ctl"; do
    if [ ! -x "$b" ]; then echo "FAIL huawei setup: $b is not built"; echo "0 passed, 1 failed"; exit 1; fi
done
if [ "$(id -u)" != 0 ]; then
    echo "FAIL huawei setup: needs root (veth pairs, raw sockets)"; echo "0 passed, 1 failed"; exit 1
fi
w=$(mktemp -d /tmp/huawei.XXXXXX)
tag=hw$$
links=()
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for l in "${links[@]}"; do ip link del "$l" 2>/dev/null; done
    rm -rf "$w"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "PASS huawei_$1"; pass=$((pass + 1)); }
ko() { echo "FAIL huawei_$1"; fail=$((fail + 1)); }

# case NAME INDEX "SIM OPTIONS" "CTL OPTIONS" ["SECOND CTL OPTIONS"]: runs in the background.
run_case() {
    local name=$1 i=$2 sopts=$3 c1=$4 c2=${5:-}
    local a=${tag}c${i}a b=${tag}c${i}b d=$w/$name
    mkdir -p "$d"
    ip link add "$a" type veth peer name "$b" || { echo "setup failed" > "$d/err"; return; }
    for l in "$a" "$b"; do
        sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" 2>/dev/null
        ip link set "$l" up
    done
    # shellcheck disable=SC2086
    timeout -k 5 60 "$sim" --eth "$b" --port 0 $sopts > "$d/sim" 2> "$d/sim.err" &
    local sp=$! port=
    for _ in $(seq 200); do
        port=$(sed -n 's/^listening port=//p' "$d/sim")
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then echo "the emulator did not start" > "$d/err"; kill "$sp"; return; fi
    # shellcheck disable=SC2086
    timeout -k 5 50 "$ctl" --huawei "127.0.0.1:$port" --goose-if "$a" --wait-s 8 $c1 > "$d/ctl1" 2> "$d/ctl1.err" &
    local p1=$! p2=
    if [ -n "$c2" ]; then
        # shellcheck disable=SC2086
        timeout -k 5 50 "$ctl" --huawei "127.0.0.1:$port" --goose-if "$a" --wait-s 8 $c2 > "$d/ctl2" 2> "$d/ctl2.err" &
        p2=$!
    fi
    wait "$p1"; echo $? > "$d/rc1"
    if [ -n "$p2" ]; then wait "$p2"; echo $? > "$d/rc2"; fi
    sleep 0.3
    # SIGTERM ends the emulator; its exit (the sanitizer's leak check) gets 5 s, then SIGKILL
    kill "$sp" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
    pkill -KILL -P "$sp" 2>/dev/null; kill -KILL "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
}

# mutual TLS: a CA for the unit and the dispensers, and a dispenser certificate of another CA
pki=$w/pki
mkdir -p "$pki"
mkcert() {  # NAME CN CA: an EC P-256 key and a certificate signed by CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" \
        -out "$pki/$1.csr" -subj "/CN=$2" 2>/dev/null &&
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.crt" -CAkey "$pki/$3.key" -CAcreateserial \
        -out "$pki/$1.crt" -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>/dev/null
}
for ca in ca other; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$ca.key" \
        -out "$pki/$ca.crt" -subj "/CN=$ca" -days 2 2>/dev/null || ko "tls setup: openssl"
done
mkcert psu psu ca; mkcert disp disp ca; mkcert rogue rogue other
tls_sim="--tls $pki/psu.crt:$pki/psu.key:$pki/ca.crt"

cases=(
    "tls|$tls_sim|--tls $pki/ca.crt:$pki/disp.crt:$pki/disp.key --seconds 1|"
    "tlsbad|$tls_sim|--tls $pki/ca.crt:$pki/rogue.crt:$pki/rogue.key --seconds 1 --wait-s 4|"
    "two|--caps 1000:100:200:1:60|--connectors 1 --esn DISP1 --seconds 2|--connectors 2,3 --esn DISP2 --seconds 2"
    "nohmac|--no-hmac|--no-hmac --seconds 1|"
    "wrongkey|--wrong-key|--seconds 1|"
    "replay|--replay|--seconds 1|"
    "unsigned|--no-hmac|--seconds 1|"
    "vlan|--wrong-vlan|--seconds 1|"
    "length|--wrong-length|--seconds 1|"
    "refused|--refuse-alloc|--seconds 1|"
    "nokey|--no-key|--seconds 1|"
    "drop|--drop-link-after-s 3|--seconds 6|"
    "epo|--alarm 0x4004=1|--seconds 1|"
)
start=$(date +%s)
bpids=()
board_modes="tcp tls"
if [ -n "$board_bin" ]; then
    # two chargers on one unit, once over plain TCP and once over mutual TLS
    for m in $board_modes; do
        "$(dirname "$0")/huawei_board_test.sh" "$board_bin" "$m" > "$w/board_$m.out" 2>&1 &
        bpids+=($!)
    done
fi
i=0
for c in "${cases[@]}"; do
    IFS='|' read -r name sopts c1 c2 <<< "$c"
    links+=("${tag}c${i}a")
    run_case "$name" "$i" "$sopts" "$c1" "$c2" &
    pids+=($!)
    i=$((i + 1))
done
for p in "${pids[@]}"; do wait "$p"; done
pids=()

has() { grep -q -- "$2" "$w/$1" 2>/dev/null; }
rc() { cat "$w/$1/rc$2" 2>/dev/null || echo none; }
for c in "${cases[@]}"; do
    n=${c%%|*}
    if [ -s "$w/$n/err" ]; then ko "$n: $(cat "$w/$n/err")"; fi
done

# two dispensers, one unit: every connector charged at the setpoint with its own key
if [ "$(rc two 1)" = 0 ] && [ "$(rc two 2)" = 0 ] && has two/sim "connected dispenser=1" &&
   has two/sim "request conn=1 type=5 voltage=400.0 current=50.0" &&
   has two/sim "request conn=2 type=5 voltage=400.0 current=50.0" &&
   has two/sim "request conn=3 type=5 voltage=400.0 current=50.0" &&
   has two/sim "key conn=3" && has two/sim "shutdown conn=2 reason=0x1000"; then
    ok "two_dispensers: 3 connectors on one unit: cable check, pre-charge, charging, shutdown"
else ko "two_dispensers: session on the shared unit (see $w/two)"; fi
for t in 1 2 3 4 5; do has two/sim "request conn=1 type=$t" || { ko "two_dispensers: requirement type $t never sent"; break; }; done
if has two/sim "exception dispenser=0 fc=0x83 code=2"; then
    ok "unknown_register: a read of 0x7777 over TCP gets Modbus exception 2"
else ko "unknown_register: no exception 2 for a register that does not exist"; fi
if [ "$(rc tls 1)" = 0 ] && has tls/sim "tls dispenser=0" && has tls/sim "request conn=1 type=5"; then
    ok "mutual_tls: a session over mutual TLS"
else ko "mutual_tls: session over TLS (see $w/tls)"; fi
# TLS 1.3: the server refuses a client certificate only after the client's handshake is
# done, so the dispenser sees it on its first receive (alert "unknown ca"), not in the handshake
if [ "$(rc tlsbad 1)" = 1 ] && has tlsbad/sim "tls refused" && ! has tlsbad/sim "request conn=1" &&
   has tlsbad/ctl1 "no capabilities" && grep -Eq "unknown ca|TLS handshake with the unit failed" "$w/tlsbad/ctl1.err"; then
    ok "tls_rogue_client: a dispenser certificate of another CA is refused, no power asked"
else ko "tls_rogue_client (see $w/tlsbad)"; fi
if [ "$(rc nohmac 1)" = 0 ] && has nohmac/sim "request conn=1 type=5"; then
    ok "hmac_off: a session with HMAC off on both sides"
else ko "hmac_off: session without HMAC"; fi
# replies the dispenser must refuse: no allocation from them (it times out after 5 s)
for c in "wrongkey:bad HMAC" "unsigned:unsecured frame" "vlan:wrong VLAN" "length:frame too short"; do
    n=${c%%:*} why=${c#*:}
    if has "$n/ctl1.err" "GOOSE frame refused: $why" && has "$n/ctl1" "alloc=timeout"; then
        ok "$n: reply refused ($why), allocation not taken from it"
    else ko "$n: expected '$why' and an allocation timeout (see $w/$n)"; fi
done
if has replay/ctl1.err "GOOSE frame refused: replayed sequence" && has replay/ctl1 "alloc=ok" &&
   [ "$(rc replay 1)" = 0 ]; then
    ok "replay: the repeated reply refused, the session goes on"
else ko "replay: replayed reply (see $w/replay)"; fi
if [ "$(rc refused 1)" = 1 ] && has refused/ctl1 "stop conn=1 error=VendorError" &&
   ! has refused/sim "request conn=1 type=[2-5]"; then
    ok "refused_allocation: session stopped, no power requested"
else ko "refused_allocation (see $w/refused)"; fi
if [ "$(rc nokey 1)" = 1 ] && has nokey/ctl1 "state=NoKeyYet" && ! has nokey/sim "request conn=1"; then
    ok "key_never_delivered: no request ever sent, session stopped"
else ko "key_never_delivered (see $w/nokey)"; fi
if [ "$(rc drop 1)" = 1 ] && has drop/sim "dropped dispenser=0 (--drop-link-after-s)" &&
   has drop/sim "request conn=1 type=5" &&
   has drop/ctl1 "stop conn=1 error=CommunicationFault severity=High: power off"; then
    ok "link_drop: link lost mid-charge: CommunicationFault High, power off"
else ko "link_drop (see $w/drop)"; fi
if [ "$(rc epo 1)" = 1 ] && has epo/ctl1 "stop conn=1 error=HardwareFault severity=High: power off"; then
    ok "unit_epo: the unit's EPO alarm stops the session"
else ko "unit_epo (see $w/epo)"; fi
if [ "${#bpids[@]}" -gt 0 ]; then
    for p in "${bpids[@]}"; do wait "$p"; done
    for m in $board_modes; do
        b=$w/board_$m.out
        grep -E '^(PASS|FAIL|FIGURE) ' "$b"
        pass=$((pass + $(grep -c '^PASS ' "$b")))
        fail=$((fail + $(grep -c '^FAIL ' "$b")))
        grep -q '^[0-9]* passed, 0 failed$' "$b" || { echo "FAIL huawei_board_$m: no clean summary"; fail=$((fail + 1)); }
    done
fi
# the figures of docs/huawei.md
fr=$(sed -n 's/^goose conn=1 frames=\([0-9]*\) in \([0-9]*\) ms$/\1 \2/p' "$w/two/ctl1")
echo "FIGURE goose_frames_per_connector: $fr (frames, ms) while charging at a fixed setpoint"
echo "FIGURE setpoint_to_wire_ms: $(sed -n 's/^setpoint_to_wire_ms=//p' "$w/two/ctl1")"
echo "FIGURE wall_time_s: $(($(date +%s) - start))"
if [ "$fail" != 0 ]; then
    for d in "$w"/*/; do echo "--- $d"; tail -n 5 "$d"/* 2>/dev/null | sed 's/^/    /'; done
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
