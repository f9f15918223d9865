#!/usr/bin/env bash
# The Linux board charging on the Huawei unit, on the host (no VM, no CAN): two `charger
# --sim-plant` processes with psu.type = huawei are the two dispensers (connectors 1 and 2)
# of one huaweisim, each with its own car (evsim), charging at the same time.
#
#   cabinet 1 (namespace A): the unit (huaweisim), charger 1 on loopback TCP, its IMD,
#                            and an MQTT broker for charger 1's telemetry
#   cabinet 2 (namespace C): charger 2 and its IMD; it reaches the unit over a veth pair
#                            (TCP) as the sheet's topology has it, not over loopback
#   GOOSE: a bridge in A (the unit's port) with one veth port per cabinet
#   cars:  B1 and B2, a veth pair each to their cabinet (SLAC-less DIN over IPv6)
#
# huaweisim listens on 127.0.0.1 only (its CLI has no listen address), so A relays the
# cabinet link's TCP port to it (tcp_relay.py): the bytes are the dispenser's own,
# TLS included. With MODE tls the unit serves mutual TLS and both chargers use it.
# Checks for each connector: the DIN session ends as the car wanted with current flowing;
# the plant monitor's counters (no violation, every opening with the stage off, every
# unlock after opening); the unit heard cable check -> pre-charge -> charging in order; the
# start-up plug-in/unplug cycle gave the idle connector a key before the car; the charger
# stops cleanly. Charger 1's unit telemetry reaches the broker, only on change.
# FIGURE lines: allocation round trip (request -> unit's reply -> Running) and GOOSE
# frames per second per connector while both charge.
#
#   tests/integration/huawei_board_test.sh BUILD/bin [tcp|tls]
set -u
bin=${1:?usage: $0 BIN_DIR [tcp|tls]}
mode=${2:-tcp}
case "$mode" in tcp|tls) ;; *) echo "usage: $0 BIN_DIR [tcp|tls]" >&2; exit 2 ;; esac
T=huawei_board_$mode
for b in charger evsim huaweisim imdsim; do
    if [ ! -x "$bin/$b" ]; then echo "FAIL $T/setup: $bin/$b is not built"; echo "0 passed, 1 failed"; exit 1; fi
done
root=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d /tmp/huaweiboard.XXXXXX)
A=hwbA$$ B1=hwbB$$ C=hwbC$$ B2=hwbD$$
pass=0 fail=0
pids=()
ok() { echo "PASS $T/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL $T/$1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    for n in "$A" "$B1" "$C" "$B2"; do ip netns del "$n" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
. "$root/tests/integration/wait_lib.sh"  # wait_file, wait_line, now_ms
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }
# (background processes are started with "ip netns exec" itself, not these functions: a
# function in the background is a subshell, and killing it would leave the process running)
inA() { ip netns exec "$A" "$@"; }
inC() { ip netns exec "$C" "$@"; }
txp() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_packets"; }

"$root/tools/netns-run" up "$A" "$B1" >"$w/netns.out" 2>&1 &&
    "$root/tools/netns-run" up "$C" "$B2" >>"$w/netns.out" 2>&1 || { bad setup "netns-run: $(cat "$w/netns.out")"; finish; }
# libmodbus (imdsim, the charger's IMD) resolves 127.0.0.1 with AI_ADDRCONFIG: it needs a
# non-loopback IPv4 address in each cabinet (as in e2e_test.sh; RFC 5737 addresses)
inA ip addr add 192.0.2.1/24 dev veth-evse && inC ip addr add 192.0.2.1/24 dev veth-evse ||
    { bad setup "IPv4 addresses of the cabinets"; finish; }
# GOOSE: the unit's port is a bridge; each cabinet's GOOSE port is a veth into it. IPv6
# is off on the cabinets' GOOSE ports so their transmit counters count GOOSE frames only.
{
    inA ip link add hwbr type bridge forward_delay 0 stp_state 0 mcast_snooping 0 &&
    inA ip link add hwg0 type veth peer name hwg1 &&
    inA ip link add hwc1 type veth peer name hwc0 netns "$C" &&
    inA sysctl -qw net.ipv6.conf.hwg0.disable_ipv6=1 && inC sysctl -qw net.ipv6.conf.hwc0.disable_ipv6=1 &&
    inA ip link set hwg1 master hwbr && inA ip link set hwc1 master hwbr &&
    inA ip link set hwg0 up && inA ip link set hwg1 up && inA ip link set hwc1 up &&
    inA ip link set hwbr up && inC ip link set hwc0 up &&
    # the cabinet link of charger 2's TCP to the unit
    inA ip link add hwt1 type veth peer name hwt0 netns "$C" &&
    inA ip addr add 198.51.100.1/24 dev hwt1 && inC ip addr add 198.51.100.2/24 dev hwt0 &&
    inA ip link set hwt1 up && inC ip link set hwt0 up
} 2>"$w/links.err" || { bad setup "cabinet links: $(cat "$w/links.err")"; finish; }

sim_tls=() c_tls=""
if [ "$mode" = tls ]; then
    # a CA of the test for the unit and both dispensers (the sheet's mutual TLS)
    pki=$w/pki; mkdir -p "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" \
        -out "$pki/ca.crt" -subj "/CN=ca" -days 2 2>/dev/null || { bad setup "openssl CA"; finish; }
    for n in psu disp; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$n.key" \
            -out "$pki/$n.csr" -subj "/CN=$n" 2>/dev/null &&
        openssl x509 -req -in "$pki/$n.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
            -out "$pki/$n.crt" -days 2 2>/dev/null || { bad setup "openssl $n"; finish; }
    done
    sim_tls=(--tls "$pki/psu.crt:$pki/psu.key:$pki/ca.crt")
    c_tls="huawei.tls_ca = $pki/ca.crt
huawei.tls_cert = $pki/disp.crt
huawei.tls_key = $pki/disp.key"
fi
ip netns exec "$A" "$bin/huaweisim" --eth hwbr --port 0 "${sim_tls[@]}" >"$w/sim.out" 2>"$w/sim.err" &
pids+=($!)
port=
for _ in $(seq 200); do port=$(sed -n 's/^listening port=//p' "$w/sim.out"); [ -n "$port" ] && break; sleep 0.05; done
[ -n "$port" ] || { bad setup "huaweisim did not start: $(tail -n 2 "$w/sim.err")"; finish; }
ip netns exec "$A" python3 "$root/tests/integration/tcp_relay.py" 198.51.100.1 0 127.0.0.1 "$port" >"$w/relay.out" 2>&1 &
pids+=($!)
wait_line "$w/relay.out" '^listening port=' || { bad setup "tcp relay did not start: $(cat "$w/relay.out")"; finish; }
rport=$(sed -n 's/^listening port=//p' "$w/relay.out")
ip netns exec "$A" "$bin/imdsim" --tcp 15021 --model bender --test-ms 500 >"$w/imd1.out" 2>&1 &
pids+=($!)
ip netns exec "$C" "$bin/imdsim" --tcp 15021 --model bender --test-ms 500 >"$w/imd2.out" 2>&1 &
pids+=($!)
have_mqtt=
if command -v mosquitto >/dev/null && command -v mosquitto_sub >/dev/null; then
    printf 'persistence false\nlistener 1883 127.0.0.1\nallow_anonymous true\n' >"$w/broker.conf"
    ip netns exec "$A" mosquitto -c "$w/broker.conf" >"$w/broker.log" 2>&1 &
    pids+=($!)
    have_mqtt=1
else
    bad setup "mosquitto missing (tools/deps mosquitto mosquitto-clients)"
fi
wait_line "$w/imd1.out" '^ready' && wait_line "$w/imd2.out" '^ready' || { bad setup "imdsim did not start"; finish; }
if [ -n "$have_mqtt" ]; then
    for _ in $(seq 100); do inA mosquitto_sub -h 127.0.0.1 -t x -W 1 -C 1 >/dev/null 2>&1; [ $? = 27 ] && break; sleep 0.05; done
    # charger 1's unit telemetry, with the time each message came
    ip netns exec "$A" mosquitto_sub -h 127.0.0.1 -t 'dcfc/v1/hw1/connector/1/power_unit' -F '%U %p' >"$w/unit.mqtt" 2>&1 &
    pids+=($!)
fi

# K HOST PORT GOOSE_IF: charger K's configuration (connector K of the unit)
conf() {
    cat <<CONF
store.dir = $w/store$1
charger.name = hw$1
psu.type = huawei
huawei.host = $2
huawei.port = $3
huawei.goose_if = $4
huawei.connector = $1
$c_tls
# the unit measures nothing; the plant models the output (the stage read-back), and
# imdsim does not follow it: the voltage comes from the stage only
ovm.sources = stage
imd.model = bender
imd.bus = tcp:127.0.0.1:15021
link.interface = veth-evse
link.modem = false
CONF
    if [ "$1" = 1 ] && [ -n "$have_mqtt" ]; then printf 'mqtt.host = 127.0.0.1\nmqtt.client_id = hw1\n'; fi
}
conf 1 127.0.0.1 "$port" hwg0 >"$w/c1.conf"
conf 2 198.51.100.1 "$rport" hwc0 >"$w/c2.conf"
ip netns exec "$A" "$bin/charger" -c "$w/c1.conf" --sim-plant "$w/pilot1.sock" --sim-status "$w/plant1.status" \
    >"$w/c1.out" 2>"$w/c1.log" &
cpid1=$!; pids+=($cpid1)
ip netns exec "$C" "$bin/charger" -c "$w/c2.conf" --sim-plant "$w/pilot2.sock" --sim-status "$w/plant2.status" \
    >"$w/c2.out" 2>"$w/c2.log" &
cpid2=$!; pids+=($cpid2)
for k in 1 2; do
    wait_file "$w/pilot$k.sock" && wait_line "$w/c$k.log" 'started (boot 1)' ||
        { bad charger$k-start "$(tail -n 5 "$w/c$k.log" | tr '\n' '|')"; finish; }
    # the link to the unit is up before the car comes (the unit's key needs it)
    wait_line "$w/sim.out" "^connector dispenser=[0-9]* local=1 conn=$k\$" 30 ||
        { bad charger$k-start "no link to the unit: $(grep -E 'Huawei|WARN|ERROR' "$w/c$k.log" | tail -n 3 | tr '\n' '|')"; finish; }
    ok charger$k-start
done
g1=$(txp "$A" hwg0); g2=$(txp "$C" hwc0); now_ms_var t0
ip netns exec "$B1" "$bin/evsim" --iface veth-ev --pilot "$w/pilot1.sock" --charge-s 3 --timeout 60 \
    --answer-timeout-ms 5000 >"$w/ev1.out" 2>&1 &
e1=$!
ip netns exec "$B2" "$bin/evsim" --iface veth-ev --pilot "$w/pilot2.sock" --charge-s 3 --timeout 60 \
    --answer-timeout-ms 5000 >"$w/ev2.out" 2>&1 &
e2=$!
wait "$e1"; r1=$?
wait "$e2"; r2=$?
now_ms_var t1
g1=$(($(txp "$A" hwg0) - g1)); g2=$(($(txp "$C" hwc0) - g2))
sleep 1.5  # the plant status is rewritten every second
kill -TERM "$cpid1" "$cpid2"; wait "$cpid1"; crc1=$?; wait "$cpid2"; crc2=$?
rr=([1]=$r1 [2]=$r2) crc=([1]=$crc1 [2]=$crc2)
for k in 1 2; do
    r=${rr[$k]}
    s=$(grep '^evsim: summary:' "$w/ev$k.out")
    check dispenser$k-session "[ $r = 0 ] && echo '$s' | grep -q 'ok=1 failed=0'" \
        "evsim exit $r: $s | $(grep -E 'WARN|ERROR' "$w/c$k.log" | tail -n 4 | tr '\n' '|')"
    s1=$(grep '^charger: session 1:' "$w/c$k.out")
    check dispenser$k-stop-ev "echo '$s1' | grep -q 'stop=ev '" "'$s1'"
    st=$w/plant$k.status
    v=$(kv "$st" violations); fo=$(kv "$st" forced_opens); mx=$(kv "$st" max_ma)
    op=$(kv "$st" contactor_opens); so=$(kv "$st" opens_stage_off); ul=$(kv "$st" unlocks); ulo=$(kv "$st" unlocks_path_open)
    check dispenser$k-current "[ '${mx:-0}' -gt 2000 ]" "max_ma=$mx"
    check dispenser$k-safety "[ '${v:-x}' = 0 ] && [ '${fo:-x}' = 0 ] && [ \$((so * 2)) = '${op:-x}' ] && [ '${ul:-0}' -ge 1 ] && [ '$ul' = '$ulo' ]" \
        "violations=$v forced_opens=$fo opens=$op opens_stage_off=$so unlocks=$ul unlocks_path_open=$ulo"
    # the charger's phases reached the unit through psu_set_session(): cable check (type 2),
    # pre-charge (4) and charging (5) requests for this connector, in that order
    ph=$(sed -n "s/^request conn=$k type=\([245]\) .*/\1/p" "$w/sim.out" | uniq | tr -d '\n')
    check unit-heard-phases-$k "echo '$ph' | grep -q '^2\+4\+5'" "phase sequence of connector $k at the unit: '$ph'"
    # the start-up cycle (sheet §4): a key for the idle connector before the car came,
    # then the session's own key; no power asked before the car
    ks=$(grep -E "^(key|request) conn=$k( |\$)" "$w/sim.out" | cut -c1-3 | tr -d '\n')
    check unit-startup-cycle-$k "echo '$ks' | grep -q '^keykeyreq'" "keys and requests of connector $k at the unit: '$ks'"
    check charger$k-stops-cleanly "[ ${crc[$k]} = 0 ]" "exit ${crc[$k]}: $(tail -n 3 "$w/c$k.log" | tr '\n' '|')"
done
if [ "$mode" = tls ]; then
    check mutual-tls "[ \$(grep -c '^tls dispenser=' '$w/sim.out') -ge 2 ] && ! grep -q 'tls refused' '$w/sim.out'" \
        "the unit did not take both dispensers over TLS: $(grep -E '^tls|^connected' "$w/sim.out" | tr '\n' '|')"
fi
# charger 2's link went over the cabinet veth: the relay carried it
check cabinet2-over-veth "grep -q '^accepted from 198.51.100.2' '$w/relay.out'" "relay: $(tr '\n' '|' <"$w/relay.out")"
if [ -n "$have_mqtt" ]; then
    sleep 0.3
    n=$(grep -c . "$w/unit.mqtt")
    # published on change only: a handful of state changes in a session of ~10 s, not a
    # message per loop pass or per second
    check unit-telemetry-mqtt "grep -q '\"psu_running_mode\":\"running\"' '$w/unit.mqtt' && grep -q '\"state\":\"Running\"' '$w/unit.mqtt' &&
        grep -q '\"psu_port_available\":true' '$w/unit.mqtt' && [ '$n' -ge 3 ] && [ '$n' -le 20 ]" \
        "$n messages: $(tail -n 3 "$w/unit.mqtt" | tr '\n' '|')"
fi
# figures (docs/huawei.md)
for k in 1 2; do
    a=$(sed -n "s/.*Huawei: connector $k Running \([0-9]*\) ms after its allocation request (\(.*\))/\1 ms (\2)/p" "$w/c$k.log" | head -n 1)
    echo "FIGURE huawei_alloc_round_trip_conn$k: ${a:-none} (placeholder request out -> huaweisim's reply -> Running, $mode)"
done
dt=$((t1 - t0))
echo "FIGURE huawei_goose_frames_per_s: conn1 $g1 frames, conn2 $g2 frames in $dt ms of two sessions at once ($mode):" \
    "$(awk -v a="$g1" -v b="$g2" -v t="$dt" 'BEGIN { printf "%.1f/s and %.1f/s", a * 1000 / t, b * 1000 / t }')"
finish
