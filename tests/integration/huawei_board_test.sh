#!/usr/bin/env bash
# The Linux board charging on the Huawei unit, on the host (no VM, no CAN): `charger
# --sim-plant` with psu.type = huawei is connector 1 of one huaweisim; psu-ctl --huawei is a
# second dispenser (connector 2) of the same unit charging at the same time. Two chargers
# cannot share one namespace (both bind the V2G ports) and the unit link is loopback TCP,
# so the second dispenser is the bench tool. The car (evsim) is on a veth pair in its own
# namespace; GOOSE is a veth pair in the cabinet namespace. Checks: the DIN session ends as
# the car wanted with current flowing; the plant monitor's counters (no violation, every
# opening with the stage off, every unlock after opening); the second dispenser's run.
#
#   tests/integration/huawei_board_test.sh BUILD/bin
set -u
bin=${1:?usage: $0 BIN_DIR}
for b in charger evsim huaweisim imdsim psu-ctl; do
    if [ ! -x "$bin/$b" ]; then echo "FAIL huawei_board setup: $bin/$b is not built"; echo "0 passed, 1 failed"; exit 1; fi
done
root=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d /tmp/huaweiboard.XXXXXX)
A=hwbA$$ B1=hwbB$$
pass=0 fail=0
pids=()
ok() { echo "PASS huawei_board/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL huawei_board/$1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$A" 2>/dev/null; ip netns del "$B1" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
. "$root/tests/integration/wait_lib.sh"  # wait_file, wait_line
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }
inA() { ip netns exec "$A" "$@"; }

"$root/tools/netns-run" up "$A" "$B1" >"$w/netns.out" 2>&1 || { bad setup "netns-run: $(cat "$w/netns.out")"; finish; }
# libmodbus (imdsim, the charger's IMD) resolves 127.0.0.1 with AI_ADDRCONFIG: it needs a
# non-loopback IPv4 address in A (as in e2e_test.sh; RFC 5737 documentation address)
inA ip addr add 192.0.2.1/24 dev veth-evse || { bad setup "IPv4 address in A"; finish; }
inA ip link add hwg0 type veth peer name hwg1 && inA ip link set hwg0 up && inA ip link set hwg1 up ||
    { bad setup "GOOSE veth pair"; finish; }
inA "$bin/huaweisim" --eth hwg1 --port 0 >"$w/sim.out" 2>"$w/sim.err" &
pids+=($!)
port=
for _ in $(seq 200); do port=$(sed -n 's/^listening port=//p' "$w/sim.out"); [ -n "$port" ] && break; sleep 0.05; done
[ -n "$port" ] || { bad setup "huaweisim did not start: $(tail -n 2 "$w/sim.err")"; finish; }
inA "$bin/imdsim" --tcp 15021 --model bender --test-ms 500 >"$w/imdsim.out" 2>&1 &
pids+=($!)
wait_line "$w/imdsim.out" '^ready' || { bad setup "imdsim did not start"; finish; }

k=1
cat >"$w/c$k.conf" <<CONF
store.dir = $w/store$k
charger.name = hw$k
psu.type = huawei
huawei.host = 127.0.0.1
huawei.port = $port
huawei.goose_if = hwg0
huawei.connector = 1
# the unit measures nothing; the plant models the output (the stage read-back), and
# imdsim does not follow it: the voltage comes from the stage only
ovm.sources = stage
imd.model = bender
imd.bus = tcp:127.0.0.1:15021
link.interface = veth-evse
link.modem = false
CONF
ip netns exec "$A" "$bin/charger" -c "$w/c1.conf" --sim-plant "$w/pilot1.sock" --sim-status "$w/plant1.status" \
    >"$w/c1.out" 2>"$w/c1.log" &
cpid=$!; pids+=($cpid)
wait_file "$w/pilot1.sock" && wait_line "$w/c1.log" 'started (boot 1)' ||
    { bad charger-start "$(tail -n 5 "$w/c1.log" | tr '\n' '|')"; finish; }
ok charger-start
inA timeout -k 5 60 "$bin/psu-ctl" --huawei "127.0.0.1:$port" --goose-if hwg0 --connectors 2 --esn DISP2 \
    --seconds 4 --wait-s 20 >"$w/ctl2.out" 2>&1 &
p2=$!
ip netns exec "$B1" "$bin/evsim" --iface veth-ev --pilot "$w/pilot1.sock" --charge-s 3 --timeout 60 \
    --answer-timeout-ms 5000 >"$w/ev1.out" 2>&1
r=$?
wait "$p2"; r2=$?
sleep 1.5  # the plant status is rewritten every second
kill -TERM "$cpid"; wait "$cpid"; crc=$?
s=$(grep '^evsim: summary:' "$w/ev1.out")
check dispenser1-session "[ $r = 0 ] && echo '$s' | grep -q 'ok=1 failed=0'" \
    "evsim exit $r: $s | $(grep -E 'WARN|ERROR' "$w/c1.log" | tail -n 4 | tr '\n' '|')"
s1=$(grep '^charger: session 1:' "$w/c1.out")
check dispenser1-stop-ev "echo '$s1' | grep -q 'stop=ev '" "'$s1'"
st=$w/plant1.status
v=$(kv "$st" violations); fo=$(kv "$st" forced_opens); mx=$(kv "$st" max_ma)
op=$(kv "$st" contactor_opens); so=$(kv "$st" opens_stage_off); ul=$(kv "$st" unlocks); ulo=$(kv "$st" unlocks_path_open)
check dispenser1-current "[ '${mx:-0}' -gt 2000 ]" "max_ma=$mx"
check dispenser1-safety "[ '${v:-x}' = 0 ] && [ '${fo:-x}' = 0 ] && [ \$((so * 2)) = '${op:-x}' ] && [ '${ul:-0}' -ge 1 ] && [ '$ul' = '$ulo' ]" \
    "violations=$v forced_opens=$fo opens=$op opens_stage_off=$so unlocks=$ul unlocks_path_open=$ulo"
check dispenser2-psu-ctl "[ $r2 = 0 ]" "psu-ctl exit $r2: $(tail -n 3 "$w/ctl2.out" | tr '\n' '|')"
# the charger's phases reached the unit through psu_set_session(): cable check (type 2),
# pre-charge (4) and charging (5) requests for connector 1, in that order
ph=$(sed -n 's/^request conn=1 type=\([245]\) .*/\1/p' "$w/sim.out" | uniq | tr -d '\n')
check unit-heard-phases "echo '$ph' | grep -q '^2\+4\+5'" "phase sequence of connector 1 at the unit: '$ph'"
check charger-stops-cleanly "[ $crc = 0 ]" "exit $crc: $(tail -n 3 "$w/c1.log" | tr '\n' '|')"
finish
