#!/usr/bin/env bash
# test_linux_board.sh CHARGER - the Linux board binary on a real vcan interface (through
# tools/vcan-run, a VM when the kernel has no CAN): it starts from a valid file, opens
# SocketCAN, runs its superloop, counts boots in its store, and stops cleanly on
# --run-for and on SIGTERM.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
infysim=$(cd "$(dirname "${2:?usage: $0 CHARGER INFYSIM}")" && pwd)/$(basename "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "$root/build/linux-board.XXXXXX")   # under the project: shared into the VM
trap 'rm -rf "$work"' EXIT
# psu.type = infy: the stage is what opens CAN (with psu.type = none the board starts without it)
printf 'can.interface = vcan0\nstore.dir = %s/store\nlog.level = debug\npsu.type = infy\ninfy.modules = 0\n' "$work" > "$work/c.conf"

cat > "$work/inside.sh" <<'INSIDE'
set -u
bin=$1 work=$2 infysim=$3
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
day0=$(date -u +%Y-%m-%d)
"$bin" -c "$work/c.conf" --run-for 2 > "$work/run1.log" 2>&1; rc=$?
day1=$(date -u +%Y-%m-%d)
if [ $rc -eq 0 ] && grep -q 'started (boot 1), CAN vcan0' "$work/run1.log" && grep -q 'stopped cleanly' "$work/run1.log"; then
    ok linux-board/run-for
else
    ko linux-board/run-for "exit $rc: $(tail -n 5 "$work/run1.log")"
fi
# Log lines carry the wall-clock time (UTC, ISO 8601 with ms) of today, not seconds since start.
stamped=$(grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (ERROR|WARN |INFO |DEBUG) ' "$work/run1.log")
started=$(grep 'started (boot 1)' "$work/run1.log" | head -n 1)
if [ "$stamped" -gt 0 ] && { [ "${started:0:10}" = "$day0" ] || [ "${started:0:10}" = "$day1" ]; } &&
   ! grep -Eq '^\[ *[0-9]+\.[0-9]{3}\]' "$work/run1.log"; then
    ok linux-board/log-wall-clock
else
    ko linux-board/log-wall-clock "$stamped stamped lines; first: $(head -n 1 "$work/run1.log")"
fi
"$bin" -c "$work/c.conf" > "$work/run2.log" 2>&1 &
pid=$!
# Waits are bounds for a loaded machine (sanitized binary, 2 busy cores), not figures:
# the check is that SIGTERM leads to a clean shutdown, not how fast.
for _ in $(seq 600); do grep -q started "$work/run2.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid; ko linux-board/sigterm "still running 30 s after SIGTERM"
else
    wait $pid; rc=$?
    if [ $rc -eq 0 ] && grep -q 'started (boot 2)' "$work/run2.log" && grep -q 'shutting down' "$work/run2.log"; then
        ok linux-board/sigterm
    else
        ko linux-board/sigterm "exit $rc: $(tail -n 5 "$work/run2.log")"
    fi
fi
# Without pilot and GPIO hardware the power path must stay held, never energised.
if grep -q 'power path at start: held, fault: feedback unreadable' "$work/run1.log"; then
    ok linux-board/no-gpio-is-safe
else
    ko linux-board/no-gpio-is-safe "$(grep 'power path' "$work/run1.log" | head -n 3)"
fi
# Runtime commands on the control socket (--ctl): status names the held fault, an
# operator reset is refused while its cause is there (no feedback hardware), anything
# else is not a command, and the socket is private to the charger's account.
# (in the machine's own /tmp: the work directory may be a shared file system without sockets)
sock=$(mktemp -u /tmp/charger-ctl.XXXXXX)
"$bin" -c "$work/c.conf" --ctl "$sock" > "$work/run3.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && grep -q started "$work/run3.log" 2>/dev/null && break; sleep 0.1; done
[ -S "$sock" ] || ko linux-board/ctl-listening "$(tail -n 5 "$work/run3.log")"
out=$("$bin" --ctl "$sock" status 2>&1); rc=$?
# (a held fault at idle is OCPP Faulted: the connector cannot take a car, docs/station.md)
# the fields of before first (scripts read them), then the OCPP status of the station
if [ $rc -eq 0 ] && [ "$out" = "ok state=idle held=feedback unreadable status=Faulted" ]; then ok linux-board/ctl-status; else ko linux-board/ctl-status "exit $rc: $out"; fi
out=$("$bin" --ctl "$sock" reset 2>&1); rc=$?
if [ $rc -eq 1 ] && [ "$out" = "refused: contactor, lock or e-stop feedback unreadable" ] &&
   grep -q "operator reset refused: contactor, lock or e-stop feedback unreadable" "$work/run3.log"; then
    ok linux-board/ctl-reset-refused
else
    ko linux-board/ctl-reset-refused "exit $rc: $out"
fi
out=$("$bin" --ctl "$sock" reboot 2>&1); rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q '^error: unknown command'; then ok linux-board/ctl-unknown; else ko linux-board/ctl-unknown "exit $rc: $out"; fi
# A command's words may also come as separate arguments; "limit -1" is the station's to refuse
# (option parsing stops at the command). The limit's effect is tested with a car below.
out=$("$bin" --ctl "$sock" limit 7400 2>&1); rc=$?
out2=$("$bin" --ctl "$sock" limit -1 2>&1); rc2=$?
if [ $rc -eq 0 ] && [ "$out" = "ok limit: 7400 W" ] && [ $rc2 -eq 1 ] && case $out2 in "refused: bad argument"*) true ;; *) false ;; esac; then
    ok linux-board/ctl-words
else
    ko linux-board/ctl-words "exit $rc: $out | exit $rc2: $out2"
fi
if [ "$(stat -c %a "$sock")" = 600 ]; then ok linux-board/ctl-private; else ko linux-board/ctl-private "mode $(stat -c %a "$sock")"; fi
# A second charger must not take over a live socket.
out=$("$bin" -c "$work/c.conf" --ctl "$sock" --run-for 1 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'another charger is listening there'; then ok linux-board/ctl-in-use; else ko linux-board/ctl-in-use "exit $rc: $out"; fi
kill -TERM $pid
wait $pid
if [ ! -e "$sock" ]; then ok linux-board/ctl-removed; else ko linux-board/ctl-removed "socket left behind"; fi
out=$("$bin" --ctl "$sock" status 2>&1); rc=$?
if [ $rc -eq 3 ] && echo "$out" | grep -q 'no charger answers there'; then ok linux-board/ctl-no-charger; else ko linux-board/ctl-no-charger "exit $rc: $out"; fi

# ---- the station's commands with a car (issue 13): a pilot-level session (no link) on the
# --sim-plant test aid, one InfyPower module (infysim) on vcan0 charging the car's battery.
# The car is this script: it writes its pilot-wire state to the plant's socket every 0.5 s
# through one socat (a fork per message costs 50-100 ms in the TCG VM).
. "$work/wait_lib.sh"   # wait_file, wait_line
t=$(mktemp -d /tmp/charger-station.XXXXXX)    # sockets and FIFOs: the VM's own /tmp
mkfifo "$t/infy.ctl" "$t/wire"
"$infysim" --can vcan0 --modules 0 --ctl "$t/infy.ctl" > "$t/infysim.out" 2>&1 &
ipid=$!
wait_line "$t/infysim.out" 'module(s) on vcan0' 60 || ko station/setup "infysim: $(tail -n 2 "$t/infysim.out")"
printf 'can.interface = vcan0\nstore.dir = %s/store\nlog.level = debug\npsu.type = infy\ninfy.modules = 0\ncharger.export_voltage_v = 400\ncharger.export_current_a = 10\ninterlock.power_down_timeout_ms = 5000\n' "$t" > "$t/c.conf"
"$bin" -c "$t/c.conf" --ctl "$t/ctl" --sim-plant "$t/plant" --sim-load "$t/infy.ctl" --sim-trace "$t/trace" \
    > "$t/out" 2> "$t/log" &
cpid=$!
wait_file "$t/plant" 60 && wait_line "$t/log" 'started (boot' 60 || ko station/setup "charger: $(tail -n 5 "$t/log")"
car_state='plugged=0 s2=0 diode=1 closed=0'
echo "$car_state" > "$t/car"
# (The pause between messages is wait_lib's sleep on a FIFO nobody writes: a `read -t` on the
# wire itself would race socat for the line just written and swallow it.)
( _wait_open; exec 3<>"$t/wire"; while [ -e "$t/car" ]; do read -r st < "$t/car"; printf 'ev %s ocv_mv=380000 r_mohm=100\n' "$st" >&3; _wait_sleep 0.5; done ) &
spid=$!
socat -u "PIPE:$t/wire" "UNIX-SENDTO:$t/plant" 2>/dev/null &
sopid=$!
car() { echo "$1" > "$t/car.new" && mv "$t/car.new" "$t/car"; }
ctl() { out=$("$bin" --ctl "$t/ctl" "$1" 2>&1); rc=$?; }
# want_status OCPP_STATUS [SECONDS]: poll `status` until it says so, for SECONDS of real
# time. One look a second: each look starts the sanitized client, which costs far more than
# its nominal time in the TCG VM of a loaded machine.
want_status() {
    local end now
    now_ms_var now; end=$((now + ${2:-60} * 1000))
    while :; do
        ctl status
        case $out in *"status=$1"*) return 0 ;; esac
        now_ms_var now; [ "$now" -ge "$end" ] && return 1
        _wait_sleep 1
    done
}
# the trace's current (mA) once it is within [LO, HI] for a sample (up to SECONDS)
want_ma() {
    local end now ma
    now_ms_var now; end=$((now + ${3:-60} * 1000))
    while :; do
        ma=$(tail -n 1 "$t/trace" 2>/dev/null | awk '{print $3}')
        if [ -n "$ma" ] && [ "$ma" -ge "$1" ] && [ "$ma" -le "$2" ]; then return 0; fi
        now_ms_var now; [ "$now" -ge "$end" ] && break
        _wait_sleep 0.5
    done
    echo "last current ${ma:-none} mA"
    return 1
}
ctl status
if [ $rc -eq 0 ] && echo "$out" | grep -q '^ok state=idle held=none status=Available$'; then ok station/status-available; else ko station/status-available "exit $rc: $out"; fi
# bad arguments and commands out of their state are refused with the reason, exit 1
bad=""
for c in "limit abc" "limit -5" "limit" "limit-connector 99999999999" "authorize" "authorize TOKEN nfc" \
         "authorize 01234567890123456789X" "unavailable soon" "stop now"; do
    ctl "$c"
    [ $rc -eq 1 ] && case $out in "refused: bad argument"*) true ;; *) false ;; esac || bad="$bad [$c: exit $rc: $out]"
done
if [ -z "$bad" ]; then ok station/bad-arguments; else ko station/bad-arguments "$bad"; fi
ctl stop
if [ $rc -eq 1 ] && [ "$out" = "refused: not in this state" ]; then ok station/stop-no-session; else ko station/stop-no-session "exit $rc: $out"; fi
# a car: Charging, current at the export limit (10 A), then `limit 2000` W lowers the setpoint
car 'plugged=1 s2=1 diode=1 closed=1'
if want_status Charging 90; then ok station/charging; else ko station/charging "$out | $(grep -E 'station:|ERROR|WARN' "$t/log" | tail -n 5)"; fi
if r=$(want_ma 8000 11000 60); then ok station/current-at-export-limit; else ko station/current-at-export-limit "$r"; fi
ctl "limit 2000"
if [ $rc -eq 0 ] && [ "$out" = "ok limit: 2000 W" ]; then ok station/limit-accepted; else ko station/limit-accepted "exit $rc: $out"; fi
# 2000 W at 400 V: 5 A
if r=$(want_ma 3500 6000 60); then ok station/limit-lowers-current; else ko station/limit-lowers-current "$r"; fi
ctl "limit none"
if r=$(want_ma 8000 11000 60); then ok station/limit-none-restores; else ko station/limit-none-restores "$r"; fi
ctl "authorize CARD1234 rfid"
if [ $rc -eq 1 ] && [ "$out" = "refused: not in this state" ]; then ok station/authorize-while-charging; else ko station/authorize-while-charging "exit $rc: $out"; fi
# `stop` ends the running session (stop reason local); the car is still plugged: Finishing
ctl stop
if [ $rc -eq 0 ] && [ "$out" = "ok stop: requested" ] && want_status Finishing 60; then ok station/stop; else ko station/stop "exit $rc: $out"; fi
car 'plugged=0 s2=0 diode=1 closed=0'
if want_status Available 60 && wait_line "$t/log" 'station: cp0 session 1 stopped: stop=local' 30; then
    ok station/stop-reason-local
else
    ko station/stop-reason-local "$(grep 'station:' "$t/log" | tail -n 5)"
fi
# `unavailable`: a car plugged in does not start a session; `available` lets it start
ctl unavailable
if [ $rc -eq 0 ] && want_status Unavailable 30; then ok station/unavailable; else ko station/unavailable "exit $rc: $out"; fi
car 'plugged=1 s2=1 diode=1 closed=1'
wait_line "$t/log" 'sim-plant: car plugged in' 30
sleep 3
ctl status
if echo "$out" | grep -q '^ok state=idle held=none status=Unavailable$' && ! grep -q 'session 2 started' "$t/log"; then
    ok station/unavailable-keeps-car-out
else
    ko station/unavailable-keeps-car-out "$out"
fi
ctl available
if [ $rc -eq 0 ] && want_status Charging 90 && grep -q 'station: cp0 session 2 started' "$t/log"; then ok station/available-starts; else ko station/available-starts "exit $rc: $out"; fi
# `unavailable after-session` waits for the session's end
ctl "unavailable after-session"
if [ $rc -eq 0 ] && [ "$out" = "ok unavailable: after the session" ] && ctl status && echo "$out" | grep -q 'status=Charging'; then
    ok station/unavailable-after-session
else
    ko station/unavailable-after-session "exit $rc: $out"
fi
# the station's events in the log: OCPP statuses at INFO, measurements at DEBUG
if grep -q 'INFO  station: cp0 status Preparing -> Charging' "$t/log" && grep -q 'DEBUG station: cp0 measured ' "$t/log"; then
    ok station/events-logged
else
    ko station/events-logged "$(grep 'station:' "$t/log" | head -n 5)"
fi
ctl stop
want_status Finishing 60
car 'plugged=0 s2=0 diode=1 closed=0'
want_status Unavailable 60 || ko station/unavailable-after-end "$out"
kill -TERM $cpid; wait $cpid; crc=$?
rm -f "$t/car"; kill $sopid $ipid 2>/dev/null; wait $spid $sopid $ipid 2>/dev/null
if [ $crc -eq 0 ] && grep -q '^charger: session 1: stop=local' "$t/out" && grep -q '^charger: session 2: stop=local' "$t/out"; then
    ok station/summary
else
    ko station/summary "exit $crc: $(cat "$t/out")"
fi
[ $fail -eq 0 ] || { echo "--- charger log (last 30 lines)"; tail -n 30 "$t/log"; }
rm -rf "$t"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
INSIDE
cd "$root"
cp tests/integration/wait_lib.sh "$work/"
out=$(tools/vcan-run --ifaces vcan0 --timeout 600 -- bash "$work/inside.sh" "$bin" "$work" "$infysim" 2>&1); rc=$?
echo "$out" | grep -E '^(PASS|FAIL)|passed, '
if ! echo "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
    echo "$out" | tail -n 20
    echo "0 passed, 1 failed"
    exit 1
fi
exit $rc
