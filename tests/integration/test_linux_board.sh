#!/usr/bin/env bash
# test_linux_board.sh CHARGER - the Linux board binary on a real vcan interface (through
# tools/vcan-run, a VM when the kernel has no CAN): it starts from a valid file, opens
# SocketCAN, runs its superloop, counts boots in its store, and stops cleanly on
# --run-for and on SIGTERM.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "$root/build/linux-board.XXXXXX")   # under the project: shared into the VM
trap 'rm -rf "$work"' EXIT
# psu.type = infy: the stage is what opens CAN (with psu.type = none the board starts without it)
printf 'can.interface = vcan0\nstore.dir = %s/store\nlog.level = debug\npsu.type = infy\ninfy.modules = 0\n' "$work" > "$work/c.conf"

cat > "$work/inside.sh" <<'INSIDE'
set -u
bin=$1 work=$2
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
if [ $rc -eq 0 ] && [ "$out" = "ok state=idle held=feedback unreadable" ]; then ok linux-board/ctl-status; else ko linux-board/ctl-status "exit $rc: $out"; fi
out=$("$bin" --ctl "$sock" reset 2>&1); rc=$?
if [ $rc -eq 1 ] && [ "$out" = "refused: contactor, lock or e-stop feedback unreadable" ] &&
   grep -q "operator reset refused: contactor, lock or e-stop feedback unreadable" "$work/run3.log"; then
    ok linux-board/ctl-reset-refused
else
    ko linux-board/ctl-reset-refused "exit $rc: $out"
fi
out=$("$bin" --ctl "$sock" reboot 2>&1); rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q '^error: unknown command'; then ok linux-board/ctl-unknown; else ko linux-board/ctl-unknown "exit $rc: $out"; fi
# The station's power limit (an ISO-2 session renegotiates when it falls; e2e_test.sh):
# whole watts or none, anything else refused as not a command.
out=$("$bin" --ctl "$sock" limit 7400 2>&1); rc=$?
out2=$("$bin" --ctl "$sock" limit none 2>&1); rc2=$?
out3=$("$bin" --ctl "$sock" limit 7.4kW 2>&1); rc3=$?
out4=$("$bin" --ctl "$sock" limit -1 2>&1); rc4=$?
if [ $rc -eq 0 ] && [ "$out" = "ok limit: 7400 W" ] && [ $rc2 -eq 0 ] && [ "$out2" = "ok limit: none" ] &&
   [ $rc3 -eq 2 ] && echo "$out3" | grep -q '^error: limit needs whole watts' && [ $rc4 -eq 2 ]; then
    ok linux-board/ctl-limit
else
    ko linux-board/ctl-limit "exit $rc: $out | exit $rc2: $out2 | exit $rc3: $out3 | exit $rc4: $out4"
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
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
INSIDE
cd "$root"
out=$(tools/vcan-run --ifaces vcan0 --timeout 120 -- bash "$work/inside.sh" "$bin" "$work" 2>&1); rc=$?
echo "$out" | grep -E '^(PASS|FAIL)|passed, '
if ! echo "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
    echo "$out" | tail -n 20
    echo "0 passed, 1 failed"
    exit 1
fi
exit $rc
