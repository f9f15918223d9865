#!/usr/bin/env bash
# End-to-end test of the Linux board on real transports, in ONE tools/vcan-run call:
#
#   namespace A ("the cabinet"): charger --sim-plant (build/bin/charger, release build)
#       CAN      vcan0 (moved into A)  <->  infysim, 4 InfyPower modules
#       Modbus   socat pty pair, RTU   <->  metersim (EM580, OCMF signed, brainpool key)
#       Modbus   TCP on A's loopback   <->  imdsim (Bender isoCHA425HV)
#       Ethernet veth-evse             <->  veth-ev in namespace B
#   namespace B ("the car"): evsim --pilot SOCKET, two cars one after the other
#
# The pilot, the DC contactors and the lock are the charger's --sim-plant TEST AID
# (docs/linux-board.md); the car reports its pilot state over a Unix datagram socket.
#
#   tests/integration/e2e_test.sh BUILD
#
# Checks: both DIN sessions end with SessionStop as the car wanted, stop=ev and metered;
# current demand reached the modules over CAN (setpoint frames above 2 A, module
# answers above 2 A, the plant measured it with the path closed); the meter journal holds
# two closed transactions with OCMF records that verify against the meter's public key
# (meter-ctl, independent of the charger); the plant's safety monitor counters show the
# order held (no violation, no forced opening, every opening with the stage off below
# the safe current, every unlock with both contactors open); the charger stops cleanly.
# FIGURE: CPU of the charger process over the two sessions (/proc/PID/stat).
set -u
if [ "${1:-}" != "--inner" ]; then
    build=${1:?usage: $0 BUILD}
    root=$(cd "$(dirname "$0")/../.." && pwd)
    case $build in /*) ;; *) build=$root/$build ;; esac
    for b in charger evsim infysim metersim meter-ctl imdsim; do
        if [ ! -x "$build/bin/$b" ]; then echo "FAIL setup: $build/bin/$b is not built"; echo "0 passed, 1 failed"; exit 1; fi
    done
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    cd "$root" || exit 1
    tools/vcan-run --ifaces vcan0 --timeout "${E2E_TIMEOUT:-1800}" -- \
        "$root/tests/integration/e2e_test.sh" --inner "$build" | tee "$out"
    rc=${PIPESTATUS[0]}
    if ! tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
        echo "FAIL e2e: ended without a summary (exit status $rc)"
        echo "$(grep -c '^PASS ' "$out") passed, $(($(grep -c '^FAIL ' "$out") + 1)) failed"
        [ "$rc" != 0 ] || rc=1
    fi
    exit "$rc"
fi

# ------------------------------------------------------------------ inside the VM (root)
bin=$2/bin
w=$(mktemp -d /tmp/e2e.XXXXXX)
A=e2eA$$ B=e2eB$$
pass=0 fail=0
pids=()
ok()  { echo "PASS e2e/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL e2e/$1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
. "$(dirname "${BASH_SOURCE[0]}")/wait_lib.sh"  # wait_file, wait_line, now_ms
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }
inA() { ip netns exec "$A" "$@"; }

# ---------------------------------------------------------------- the wiring
if ! tools/netns-run up "$A" "$B" >"$w/netns.out" 2>&1; then
    bad setup "netns-run: $(cat "$w/netns.out")"; finish
fi
ip link set vcan0 netns "$A" && ip -n "$A" link set vcan0 up || { bad setup "cannot move vcan0 into $A"; finish; }
# libmodbus resolves "127.0.0.1" with AI_ADDRCONFIG: glibc then returns IPv4 addresses only
# when a non-loopback IPv4 address exists. A's only other interface (the veth) has just
# an IPv6 link-local address, so give it a documentation address (RFC 5737).
ip -n "$A" addr add 192.0.2.1/24 dev veth-evse || { bad setup "cannot add an IPv4 address in $A"; finish; }
mkfifo "$w/infy.ctl"
inA "$bin/infysim" --can vcan0 --modules 0-3 --ctl "$w/infy.ctl" >"$w/infysim.out" 2>&1 &
pids+=($!)
inA candump -L vcan0 >"$w/can.log" 2>/dev/null &
pids+=($!)
socat pty,raw,echo=0,link="$w/meter.a" pty,raw,echo=0,link="$w/meter.b" 2>/dev/null &
pids+=($!)
wait_file "$w/meter.a" && wait_file "$w/meter.b" || { bad setup "socat pty pair not created"; finish; }
"$bin/metersim" --rtu "$w/meter.a,115200" --pubkey-pem "$w/meter.pem" --load-w 50000 >"$w/metersim.out" 2>&1 &
pids+=($!)
inA "$bin/imdsim" --tcp 15020 --model bender --test-ms 1000 -v >"$w/imdsim.out" 2>&1 &
pids+=($!)
wait_line "$w/infysim.out" 'module(s) on vcan0' && wait_line "$w/metersim.out" '^ready' &&
    wait_line "$w/imdsim.out" '^ready' || {
    bad setup "an emulator did not start: $(tail -n 2 "$w"/*sim.out | tr '\n' '|')"; finish; }

# power_down_timeout 5000 ms, not the 1500 ms minimum of real InfyPower hardware: the
# modules are emulated in a TCG VM on a possibly loaded host, where "off" and the read-back
# showing the current gone arrive late; a forced opening would then fail the test for the
# emulator's slowness (issue 12 item 17, see tools/faults/real.sh).
cat >"$w/charger.conf" <<CONF
# e2e: InfyPower on vcan, EM580 on a pty, Bender over TCP, the link on a veth pair
can.interface = vcan0
store.dir = $w/store
charger.name = e2e
psu.type = infy
infy.modules = 0-3
infy.offline_timeout_ms = 15000
interlock.power_down_timeout_ms = 5000
# output voltage freshness widened for a starved TCG VM (as tools/faults/real.sh says)
ovm.stale_ms = 5000
meter.bus = rtu:$w/meter.b,115200,8N1
meter.unit = 1
imd.model = bender
imd.bus = tcp:127.0.0.1:15020
link.interface = veth-evse
link.modem = false
CONF
ip netns exec "$A" "$bin/charger" -c "$w/charger.conf" --sim-plant "$w/pilot.sock" --sim-load "$w/infy.ctl" \
    --sim-status "$w/plant.status" >"$w/charger.out" 2>"$w/charger.log" &
cpid=$!
pids+=($cpid)
if ! wait_file "$w/pilot.sock" || ! wait_line "$w/charger.log" 'started (boot 1)'; then
    bad charger-start "$(tail -n 5 "$w/charger.log" | tr '\n' '|')"; finish
fi
ok charger-start
# Started by ip netns exec directly (not through a function): ip execs the charger, so
# this pid is the firmware process itself.
ticks() { awk '{print $14 + $15}' "/proc/$cpid/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK)
t0=$(date +%s%N); k0=$(ticks)

# ---------------------------------------------------------------- two cars
# --answer-timeout-ms: the 250 ms DIN allows for a CurrentDemandRes is not kept inside a
# TCG VM on a loaded host (nor the 5 s for connect + TLS handshake); the test is about the
# transports, so the car waits up to 10 s.
ip netns exec "$B" "$bin/evsim" --iface veth-ev --pilot "$w/pilot.sock" --cars 2 --charge-s 10 \
    --soc-start 30 --timeout 300 --answer-timeout-ms 10000 >"$w/evsim.out" 2>&1
erc=$?
t1=$(date +%s%N); k1=$(ticks)
# The charger rewrites its plant status every second of its own clock: wait for a status
# written after the cars left (up to 60 s on a loaded host), not a fixed 1.5 s sleep.
mark=$(date +%s%N)
for _ in $(seq 1200); do
    [ "$(date -r "$w/plant.status" +%s%N 2>/dev/null || echo 0)" -gt "$mark" ] && break
    sleep 0.05
done
kill -TERM "$cpid"
# A clean exit is checked below; 30 s leaves room for a descheduled process in TCG.
for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$cpid" 2>/dev/null; then
    kill -KILL "$cpid"; crc=137
else
    wait "$cpid"; crc=$?
fi
summary=$(grep '^evsim: summary:' "$w/evsim.out")

check evsim-two-sessions "[ $erc = 0 ] && echo '$summary' | grep -q 'cars=2 ok=2 failed=0'" \
      "evsim exit $erc: $summary | $(grep -E 'WARN|ERROR|session over' "$w/evsim.out" | tail -n 4 | tr '\n' '|')"
check slac-sdp-din "[ \$(grep -c 'V2G connection: starting the DIN session' '$w/evsim.out') = 2 ]" \
      "$(grep -c 'V2G connection' "$w/evsim.out") DIN session(s) started"
s1=$(grep '^charger: session 1:' "$w/charger.out"); s2=$(grep '^charger: session 2:' "$w/charger.out")
check session1-ev-stop-metered "echo '$s1' | grep -q 'stop=ev ' && echo '$s1' | grep -q 'meter_ok=1' && ! echo '$s1' | grep -q 'charge_s=0.0 '" "'$s1'"
check session2-ev-stop-metered "echo '$s2' | grep -q 'stop=ev ' && echo '$s2' | grep -q 'meter_ok=1' && ! echo '$s2' | grep -q 'charge_s=0.0 '" "'$s2'"
check charger-stops-cleanly "[ $crc = 0 ] && grep -q 'stopped cleanly' '$w/charger.log'" "exit $crc: $(tail -n 3 "$w/charger.log" | tr '\n' '|')"

# Current demand through real CAN: the controller (0xF0) sent 0x1C setpoints above 2 A
# to the modules and the modules answered 0x03 with current above 2 A in total.
python3 - "$w/can.log" >"$w/can.txt" <<'PY'
import struct, sys
set_max = 0; ans = {}; best = 0; n1c = 0
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) < 3 or '#' not in p[2]: continue
    cid, data = p[2].split('#'); cid = int(cid, 16)
    try: d = bytes.fromhex(data)
    except ValueError: continue
    cmd, dst, src = (cid >> 16) & 0x3F, (cid >> 8) & 0xFF, cid & 0xFF
    if src == 0xF0 and cmd == 0x1C and len(d) == 8:
        n1c += 1; set_max = max(set_max, struct.unpack('>I', d[4:8])[0])
    if dst == 0xF0 and cmd == 0x03 and len(d) == 8:
        ans[src] = struct.unpack('>f', d[4:8])[0]
        best = max(best, sum(ans.values()))
print("setpoints=%d max_set_ma=%d max_total_a=%.1f" % (n1c, set_max, best))
PY
cans=$(cat "$w/can.txt")
set_ma=$(echo "$cans" | sed -n 's/.*max_set_ma=\([0-9]*\).*/\1/p')
tot_a=$(echo "$cans" | sed -n 's/.*max_total_a=\([0-9.]*\).*/\1/p')
check can-current-demand "[ '${set_ma:-0}' -gt 2000 ] && python3 -c 'import sys; sys.exit(0 if float(\"${tot_a:-0}\") > 2.0 else 1)'" "$cans"

# The plant's monitor counters (modelled physical state, not log text).
st=$w/plant.status
v=$(kv "$st" violations); fo=$(kv "$st" forced_opens); cl=$(kv "$st" contactor_closes)
op=$(kv "$st" contactor_opens); so=$(kv "$st" opens_stage_off); ul=$(kv "$st" unlocks)
ulo=$(kv "$st" unlocks_path_open); mo=$(kv "$st" max_open_ma); mx=$(kv "$st" max_ma); pl=$(kv "$st" plugins)
check plant-current-flowed "[ '${mx:-0}' -gt 2000 ] && [ '${pl:-0}' = 2 ]" "max_ma=$mx plugins=$pl"
check safety-no-violation "[ '${v:-x}' = 0 ] && [ '${fo:-x}' = 0 ]" "violations=$v forced_opens=$fo"
check safety-open-stage-off "[ '${cl:-0}' -ge 4 ] && [ '$op' = '$cl' ] && [ '$so' -ge 2 ] && [ \$((so * 2)) = '$op' ] && [ '${mo:-99999}' -le 2000 ]" \
      "closes=$cl opens=$op opens_stage_off(pos pole)=$so max_open_ma=$mo"
check safety-unlock-after-open "[ '${ul:-0}' -ge 2 ] && [ '$ul' = '$ulo' ] && [ \$(kv '$st' locked) = 0 ]" "unlocks=$ul unlocks_path_open=$ulo"

# The meter journal, read and checked by meter-ctl against the meter's own public key.
pub=$(openssl pkey -pubin -in "$w/meter.pem" -outform DER 2>/dev/null | xxd -p | tr -d '\n')
"$bin/meter-ctl" --journal "$w/store" --pubkey "$pub" journal >"$w/journal.txt" 2>&1
nok=$(grep -c 'state=closed .*check=ok' "$w/journal.txt")
nrec=$(grep 'state=closed' "$w/journal.txt" | grep -vc 'ocmf=0 ')
check ocmf-journal-verified "[ -n '$pub' ] && [ '$nok' = 2 ] && [ '$nrec' = 2 ] && ! grep -q 'check=BAD' '$w/journal.txt'" \
      "$(tr '\n' '|' <"$w/journal.txt")"

# FIGURE: CPU of the firmware process while the two sessions ran in real time.
if [ -n "${k0:-}" ] && [ -n "${k1:-}" ]; then
    python3 -c "
wall=($t1-$t0)/1e9; cpu=($k1-$k0)/$hz
print('FIGURE e2e charger CPU: %.2f %% of one core (%.2f s CPU over %.1f s wall, two DIN sessions, release build, inside the vcan-run VM)' % (100*cpu/wall, cpu, wall))"
else
    bad cpu-figure "could not read /proc/$cpid/stat"
fi
if [ "$fail" -ne 0 ]; then
    echo "--- charger log (head)"; head -n 30 "$w/charger.log"
    echo "--- charger log (tail)"; tail -n 40 "$w/charger.log"
    echo "--- emulators"; head -n 12 "$w/imdsim.out"; tail -n 5 "$w/imdsim.out" "$w/metersim.out" "$w/infysim.out"
    echo "--- evsim (tail)"; tail -n 25 "$w/evsim.out"
    echo "--- plant status"; cat "$st" 2>/dev/null
fi
finish
