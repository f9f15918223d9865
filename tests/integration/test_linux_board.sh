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
"$bin" -c "$work/c.conf" --run-for 2 > "$work/run1.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q 'started (boot 1), CAN vcan0' "$work/run1.log" && grep -q 'stopped cleanly' "$work/run1.log"; then
    ok linux-board/run-for
else
    ko linux-board/run-for "exit $rc: $(tail -n 5 "$work/run1.log")"
fi
"$bin" -c "$work/c.conf" > "$work/run2.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q started "$work/run2.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
for _ in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid; ko linux-board/sigterm "still running 3 s after SIGTERM"
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
