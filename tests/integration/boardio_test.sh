#!/usr/bin/env bash
# boardio_test.sh BUILD - the Charge SOM safety-controller protocol on a real tty (issue 20):
# the simulated co-processor (build/bin/cbsomsim, the plant and the independent judge of
# the contactors) on a pseudo-terminal, the host side driven by the bring-up tool
# (build/bin/board-ctl) and by the charger (board.io = chargesom). No VM, no network.
#
# Cases: version handshake and its round trip; pilot duty echoed; a contactor order
# outside CP C refused by the tool and, forced, by the co-processor's own gate; contactors
# closed in C, then the host killed: the co-processor opens them and enters its safe
# state within its timeout (FIGURE); noise on the line while holding; an e-stop during
# a hold; firmware with the old ChargeState1 layout refused; the charger's handshake and
# its pilot through the co-processor, and the charger killed; fault scenarios judged from
# the plant's own lines (e-stop, host silence, noise while charging, closings only in C/D).
# Prints PASS/FAIL lines and FIGURE lines, then "N passed, N failed"; exits non-zero on any
# failure.
set -u
BUILD=${1:-build}
bin=$BUILD/bin
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wait_lib.sh"
W=$(mktemp -d /tmp/boardio.XXXXXX)
pass=0
fail=0
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
ok() { echo "PASS $1: $2"; pass=$((pass + 1)); }
ko() {
    echo "FAIL $1: $2"
    fail=$((fail + 1))
    [ -n "${3:-}" ] && printf '%s\n' "$3" | tail -n 15 | sed 's/^/    /'
    [ -f "$W/sim.log" ] && tail -n 10 "$W/sim.log" | sed 's/^/    sim: /'
}

# One co-processor for all but the firmware case; commands through its FIFO.
mkfifo "$W/ctl"
"$bin/cbsomsim" --link "$W/tty" --ctl "$W/ctl" --timeout-ms 300 > "$W/sim.log" 2>&1 &
pids+=($!)
exec 3<>"$W/ctl"
sim() { echo "$*" >&3; }
if ! wait_file "$W/tty" 10 || ! wait_line "$W/sim.log" 'cbsomsim: tty' 10; then
    ko boardio/setup "cbsomsim did not start" "$(cat "$W/sim.log")"
    echo "$pass passed, $fail failed"
    exit 1
fi
lines() { wc -l < "$W/sim.log"; }
since() { tail -n +"$(($1 + 1))" "$W/sim.log"; }
# wait_since N PATTERN SECONDS: a sim.log line after line N matches (wait_line would
# also match the earlier cases' lines).
wait_since() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        since "$1" | grep -q "$2" && return 0
        sleep 0.05
    done
    return 1
}
# reset_sim: the co-processor's reset line, as a fresh host would pulse it.
reset_sim() { local n; n=$(lines); sim reset; wait_since "$n" 'cbsomsim: reset' 5; }

out=$("$bin/board-ctl" --chargesom "$W/tty" version 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^version: 0.3.1 platform 0x81' <<<"$out"; then
    ok boardio/version "FirmwareVersion inquiry answered: $(grep -o 'round trip [0-9]* us' <<<"$out")"
    echo "FIGURE boardio: co-processor inquiry round trip over the pty: $(grep -o '[0-9]* us' <<<"$out")"
else
    ko boardio/version "rc $rc" "$out"
fi

reset_sim
out=$("$bin/board-ctl" --chargesom "$W/tty" pwm 5 state 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'echoed by the co-processor after' <<<"$out" && grep -q 'cp A, pwm on 5.0 %' <<<"$out"; then
    ok boardio/pwm "duty 5 % echoed in ChargeState1, CP A without a car"
    echo "FIGURE boardio: duty change -> echo in ChargeState1 (100 ms cycle): $(grep -o 'after [0-9]* ms' <<<"$out" | head -1)"
else
    ko boardio/pwm "rc $rc" "$out"
fi

reset_sim
sim car B
n=$(lines)
out=$("$bin/board-ctl" --chargesom "$W/tty" pwm 5 contactor 1 on 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '^refused: contactor 1 on needs CP state C or D (now B)' <<<"$out" &&
    ! since "$n" | grep -q 'contactor 1 closed'; then
    ok boardio/refuse-unsafe "contactor in B refused by the tool, exit 1"
else
    ko boardio/refuse-unsafe "rc $rc" "$out"
fi

reset_sim
n=$(lines)
out=$("$bin/board-ctl" --chargesom "$W/tty" --force pwm 5 contactor 1 on 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q 'did not close contactor 1 (cp B)' <<<"$out" && ! since "$n" | grep -q 'contactor 1 closed'; then
    ok boardio/force-gated "forced order in B: the co-processor's own gate keeps it open, exit 1"
else
    ko boardio/force-gated "rc $rc" "$out"
fi

for l in lock nonsense; do
    out=$("$bin/board-ctl" --chargesom "$W/tty" $l 2>&1); rc=$?
    want=$([ $l = lock ] && echo 1 || echo 2)
    if [ $rc -eq "$want" ]; then ok "boardio/verb-$l" "exit $rc: $(head -n 1 <<<"$out")"; else ko "boardio/verb-$l" "rc $rc" "$out"; fi
done

# Contactors closed in C, then the host dies: the co-processor alone opens them.
reset_sim
sim car C
n=$(lines)
"$bin/board-ctl" --chargesom "$W/tty" --hold-s 60 pwm 5 contactor 1 on contactor 2 on > "$W/hold.out" 2>&1 &
hp=$!
pids+=($hp)
if wait_line "$W/hold.out" '^holding' 10 && since "$n" | grep -q 'contactor 2 closed (cp C)'; then
    ok boardio/close-in-c "both contactors closed by the co-processor in C"
    sim garbage 600
    sleep 0.5
    { kill -9 $hp; wait $hp; } 2>/dev/null
    if wait_since "$n" 'safe state, reason 2' 10 && since "$n" | grep -q 'contactor 1 open' &&
        since "$n" | grep -q 'contactor 2 open'; then
        ms=$(since "$n" | grep -o 'safe state, reason 2, host silent for [0-9]* ms' | grep -o '[0-9]* ms')
        ok boardio/host-killed "host killed: contactors opened, safe state (communication timeout) after $ms"
        echo "FIGURE boardio: host silence -> contactors open and safe state: $ms (co-processor timeout 300 ms)"
    else
        ko boardio/host-killed "no safe state after the host was killed" "$(since "$n")"
    fi
else
    ko boardio/close-in-c "no hold with contactors closed" "$(cat "$W/hold.out")"
    kill -9 $hp 2>/dev/null
fi
wait $hp 2>/dev/null

# From here on the co-processor waits 3 s for a silent host instead of the protocol's
# 300 ms (the figure above is taken with 300): a host starved for longer by a loaded
# machine is not what the cases below judge, and it failed fault-noise once in a fresh
# root (safe state reason 2 in the middle of the noise case). Host silence is still
# judged: charger-killed and fault-host-silence wait for this timeout.
sim timeout 3000
wait_line "$W/sim.log" 'host timeout 3000 ms' 5 || ko boardio/setup "cbsomsim did not take 'timeout 3000'"

# Noise on the line while holding: counted, the session goes on.
reset_sim
"$bin/board-ctl" --chargesom "$W/tty" --hold-s 2 pwm 5 > "$W/noise.out" 2>&1 &
hp=$!
wait_line "$W/noise.out" '^holding' 10
sim garbage 2000
wait $hp; rc=$?
bad=$(grep -o '[0-9]* bad CRC, [0-9]* bad frames' "$W/noise.out")
if [ $rc -eq 0 ] && grep -q '^frames:' "$W/noise.out" && ! grep -q '0 bad CRC, 0 bad frames' "$W/noise.out"; then
    ok boardio/noise "2000 bytes of noise during a hold: $bad, session kept"
else
    ko boardio/noise "rc $rc" "$(cat "$W/noise.out")"
fi

# An e-stop during a hold: the co-processor opens, the tool reports its safe state.
reset_sim
sim car C
n=$(lines)
"$bin/board-ctl" --chargesom "$W/tty" --hold-s 10 pwm 5 contactor 1 on > "$W/estop.out" 2>&1 &
hp=$!
wait_line "$W/estop.out" '^holding' 10
sim estop 1 1
wait $hp; rc=$?
sim estop 1 0
if [ $rc -eq 3 ] && grep -q 'safe-state reason 16' "$W/estop.out" && since "$n" | grep -q 'contactor 1 open'; then
    ok boardio/estop "e-stop 1 in a hold: contactor opened, host reports safe state reason 16, exit 3"
else
    ko boardio/estop "rc $rc" "$(cat "$W/estop.out")"
fi


# The charger itself over the co-processor (board.io = chargesom, no power stage, no link:
# a pilot-level session). The car's pilot is the simulator's plant.
mkdir -p "$W/store"
printf 'store.dir = %s/store\nboard.io = chargesom\nchargesom.tty = %s/tty\ninterlock.contactor_timeout_ms = 500\n' \
    "$W" "$W" > "$W/c.conf"
out=$("$bin/charger" -c "$W/c.conf" --check 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok boardio/config "board.io = chargesom accepted by --check"; else ko boardio/config "rc $rc" "$out"; fi
printf 'store.dir = %s/store\nboard.io = chargesom\n' "$W" > "$W/bad.conf"
out=$("$bin/charger" -c "$W/bad.conf" --check 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'chargesom.tty.*required' <<<"$out"; then
    ok boardio/config-missing-tty "board.io = chargesom without chargesom.tty refused: $(grep -o 'chargesom.tty.*' <<<"$out" | head -1)"
else
    ko boardio/config-missing-tty "rc $rc" "$out"
fi
# A reset line that is not a GPIO line stops the start with the reason (never a charger
# that believes it can reset the controller).
{ cat "$W/c.conf"; echo "chargesom.reset_gpio = /dev/null:3"; } > "$W/badgpio.conf"
out=$(timeout 20 "$bin/charger" -c "$W/badgpio.conf" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'chargesom.reset_gpio /dev/null:3: /dev/null: not a GPIO chip' <<<"$out"; then
    ok boardio/reset-gpio-bad "a reset line that is no GPIO line stops the start: $(grep -o 'chargesom.reset_gpio.*' <<<"$out" | head -1)"
else
    ko boardio/reset-gpio-bad "rc $rc" "$out"
fi
# charger_session NAME [CONF]: start the charger, plug the car in (B), let it charge (C).
charger_session() {
    reset_sim
    sim car A
    n=$(lines)
    "$bin/charger" -c "${2:-$W/c.conf}" > "$W/$1.log" 2>&1 &
    cp=$!
    pids+=($cp)
    wait_line "$W/$1.log" 'chargesom: running' 10 || return 1
    # the charger's first reading is A before the car plugs in (a loaded machine once
    # let "car B" overtake it: "pilot ? -> B", and the wait for A -> B below timed out)
    wait_line "$W/$1.log" 'pilot [?] -> A' 10 || return 1
    sim car B
    wait_line "$W/$1.log" 'pilot A -> B' 10 || return 1
    wait_since "$n" 'pilot on duty 50' 10 || return 1
    sim car C
    wait_since "$n" 'contactor 2 closed (cp C)' 10
}
if charger_session ch1; then
    ok boardio/charger-session "charger: handshake, X1 -> 5 % PWM in B, contactors closed by the co-processor in C"
    n=$(lines)
    { kill -9 $cp; wait $cp; } 2>/dev/null
    if wait_since "$n" 'safe state, reason 2' 10 && [ "$(since "$n" | grep -c 'contactor . open')" -eq 2 ]; then
        ok boardio/charger-killed "charger killed while charging: both contactors opened by the co-processor, $(since "$n" | grep -o 'host silent for [0-9]* ms')"
    else
        ko boardio/charger-killed "no safe state" "$(since "$n")"
    fi
else
    ko boardio/charger-session "no session" "$(tail -n 20 "$W/ch1.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
if charger_session ch3; then
    n=$(lines)
    sim car B
    # The co-processor's gate opens them on B (spec §3.5); the charger must take that as
    # the EV's stop: power off, no held fault, no lost-contactor fault of the host.
    if wait_since "$n" 'contactor 2 open' 10 && ! since "$n" | grep -q 'safe state' &&
        wait_line "$W/ch3.log" 'stop: EV stopped' 10 &&
        ! grep -Eq 'fault: |chargesom: fault|contactor-dropped|contactor dropped' "$W/ch3.log"; then
        ok boardio/charger-c-to-b "car back to B: the co-processor opened the contactors, the charger ended the session as the EV's stop without a fault"
    else
        ko boardio/charger-c-to-b "contactors not opened, or the charger faulted" "$(tail -n 20 "$W/ch3.log")"
    fi
    kill $cp
else
    ko boardio/charger-c-to-b "no session" "$(tail -n 20 "$W/ch3.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
if charger_session ch2; then
    n=$(lines)
    sim reboot
    # The co-processor comes back in init, takes the charger's next frame and runs again:
    # the charger must see the dropped contactors and end the session, never re-close.
    if wait_line "$W/ch2.log" 'chargesom: fault' 10 && sleep 1 && ! since "$n" | grep -q 'contactor . closed'; then
        ok boardio/charger-reboot "co-processor rebooted mid-session: $(grep -o 'chargesom: fault: [^(;]*' "$W/ch2.log" | head -1), contactors stay open"
    else
        ko boardio/charger-reboot "no fault or re-closed" "$(tail -n 20 "$W/ch2.log")"
    fi
    kill $cp
else
    ko boardio/charger-reboot "no session" "$(tail -n 20 "$W/ch2.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null

# Fault scenarios judged by the plant (issue 20 item 5): cbsomsim is the co-processor
# the charger does not own; its own lines are the record of what the contactors did.
# (No power stage here: "power off before the contactors open" is judged by the
# interlock's unit tests and the --sim-plant scenarios, not by this plant.)
# plant_stays_open N: no contactor closed after sim.log line N within a second.
plant_stays_open() { sleep 1; ! since "$1" | grep -q 'contactor . closed'; }
if charger_session fe; then
    n=$(lines)
    sim estop 1 1
    if wait_since "$n" 'contactor 2 open' 5 && [ "$(since "$n" | grep -c 'contactor . open')" -eq 2 ] &&
        wait_line "$W/fe.log" 'stop: ' 5 && plant_stays_open "$n"; then
        ok boardio/fault-estop "e-stop while charging: the plant opened both contactors, the charger stopped ($(grep -o 'stop: .*' "$W/fe.log" | head -1)), nothing re-closed"
    else
        ko boardio/fault-estop "contactors not opened, no stop, or re-closed" "$(tail -n 20 "$W/fe.log")"
    fi
    sim estop 1 0
    kill $cp
else
    ko boardio/fault-estop "no session" "$(tail -n 20 "$W/fe.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
if charger_session fs; then
    n=$(lines)
    kill -STOP $cp
    if wait_since "$n" 'safe state, reason 2' 10 && [ "$(since "$n" | grep -c 'contactor . open')" -eq 2 ]; then
        m=$(lines)
        kill -CONT $cp
        if plant_stays_open "$m"; then
            ok boardio/fault-host-silence "charger stopped (SIGSTOP): $(since "$n" | grep -o 'host silent for [0-9]* ms'), both contactors open; resumed, nothing re-closed"
        else
            ko boardio/fault-host-silence "re-closed after the host resumed" "$(since "$n")"
        fi
    else
        kill -CONT $cp
        ko boardio/fault-host-silence "no safe state" "$(since "$n")"
    fi
    kill $cp
else
    ko boardio/fault-host-silence "no session" "$(tail -n 20 "$W/fs.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
if charger_session fn; then
    n=$(lines)
    sim garbage 2000
    if wait_since "$n" 'noise' 5 && sleep 1 && ! since "$n" | grep -q 'contactor . open\|safe state' &&
        ! grep -q 'fault' "$W/fn.log"; then
        ok boardio/fault-noise "2000 bytes of noise while charging: contactors stay closed, no fault in the charger"
    else
        ko boardio/fault-noise "session disturbed" "$(since "$n"; tail -n 10 "$W/fn.log")"
    fi
    kill $cp
else
    ko boardio/fault-noise "no session" "$(tail -n 20 "$W/fn.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
# The link leaves a fault by itself (chargesom.recover*, short hold-offs here): the
# co-processor reboots mid-session -> the session ends, the plant opens both contactors ->
# after the hold-off the host restarts, the handshake runs again; then the host is stopped
# until the controller enters its safe state (no reset line is configured): every restart
# finds it there again and the hold-off doubles, until the reset (the test stands in for
# the line) lets the next restart run. Nothing closes in all of this.
cp "$W/c.conf" "$W/r.conf"
printf 'chargesom.recover_holdoff_ms = 200\nchargesom.recover_holdoff_max_ms = 800\nchargesom.recover_stable_ms = 1000\n' >> "$W/r.conf"
running_count() { grep -c 'chargesom: running' "$W/fr.log"; }
# wait_running N SECONDS: the charger's log has N 'chargesom: running' lines.
wait_running() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ "$(running_count)" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
if charger_session fr "$W/r.conf"; then
    n=$(lines)
    sim reboot
    if wait_line "$W/fr.log" 'chargesom: restart 1 of the link (after: ' 10 && wait_running 2 10 &&
        wait_line "$W/fr.log" 'chargesom: link running again' 5 && [ "$(since "$n" | grep -c 'contactor . open')" -eq 2 ] &&
        since "$n" | grep -q 'running (first ChargeControl1)' && ! since "$n" | grep -q 'contactor . closed'; then
        ok boardio/recover-reboot "co-processor rebooted mid-session: both contactors opened, $(grep -o 'restart 1 of the link[^;]*' "$W/fr.log"), handshake again; $(grep -o "the charger's .*" "$W/fr.log" | head -1)"
    else
        ko boardio/recover-reboot "no restart, or a contactor closed" "$(since "$n"; tail -n 15 "$W/fr.log")"
    fi
    # The safe state without a reset line: stopped past the controller's 3 s timeout.
    r=$(running_count)
    n=$(lines)
    kill -STOP $cp
    wait_since "$n" 'safe state, reason 2' 10
    kill -CONT $cp
    if wait_line "$W/fr.log" 'restart [0-9]* of the link (after: co-processor safe state); the next fault waits 800 ms' 15; then
        waits=$(grep -o 'the next fault waits [0-9]*' "$W/fr.log" | grep -o '[0-9]*$' | tr '\n' ' ')
        sim reset
        if wait_running $((r + 1)) 10 && wait_line "$W/fr.log" 'link stable for 1000 ms' 10 &&
            ! since "$n" | grep -q 'contactor . closed'; then
            # the hold-off grew while the controller stayed in its safe state
            if grep -q '400 800 ' <<<"$waits"; then
                ok boardio/recover-safe-state "safe state without a reset line: restarts back off ($waits ms), the controller reset lets the next one run, stable, nothing closed"
            else
                ko boardio/recover-safe-state "no doubling" "$(grep chargesom "$W/fr.log")"
            fi
        else
            ko boardio/recover-safe-state "link did not come back after the reset" "$(since "$n"; grep chargesom "$W/fr.log")"
        fi
    else
        ko boardio/recover-safe-state "no back-off" "$(since "$n"; grep chargesom "$W/fr.log")"
    fi
    kill $cp
else
    ko boardio/recover-reboot "no session" "$(tail -n 20 "$W/fr.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null
# Over every case so far: the plant never closed a contactor outside CP C/D.
closed=$(grep -c 'contactor . closed' "$W/sim.log")
bad=$(grep 'contactor . closed' "$W/sim.log" | grep -vc '(cp [CD])')
if [ "$closed" -gt 0 ] && [ "$bad" -eq 0 ]; then
    ok boardio/plant-close-only-in-c "all $closed closings the plant recorded were in CP C/D"
else
    ko boardio/plant-close-only-in-c "$bad of $closed closings outside C/D" "$(grep 'contactor . closed' "$W/sim.log")"
fi

# board-ctl --sysfs: the kernel backend against a fake sysfs tree (PWM channel exported,
# IIO device whose raw values the test writes); no GPIO lines (no chip on this machine).
R=$W/sys
P=$R/class/pwm/pwmchip0/pwm0
D="$R/bus/iio/devices/iio:device0"
mkdir -p "$P" "$D"
for f in period duty_cycle enable polarity; do echo 0 > "$P/$f"; done
: > "$R/class/pwm/pwmchip0/export"
echo 1312 > "$D/in_voltage0_raw"; echo 0 > "$D/in_voltage1_raw"; echo 2 > "$D/in_voltage_scale"
K=("$bin/board-ctl" --sysfs "$R" --pwm pwmchip0:0:inv --iio iio:device0:0,1 --cp-scale 8/1/-12000)
out=$("${K[@]}" pwm 5 state 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^state: cp B, high 8992 mV, low -12000 mV' <<<"$out" && [ "$(cat "$P/duty_cycle")" = 50000 ] &&
    [ "$(cat "$P/period")" = 1000000 ] && [ "$(cat "$P/polarity")" = inversed ] && [ "$(cat "$P/enable")" = 0 ]; then
    ok boardio/sysfs-pwm "pwm 5: period, polarity, duty written, CP B read from IIO, PWM disabled at exit"
else
    ko boardio/sysfs-pwm "rc $rc" "$out"
fi
out=$("${K[@]}" pwm 5 contactor 1 on 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '^refused: contactor 1 on needs CP state C or D (now B)' <<<"$out"; then
    ok boardio/sysfs-refuse "contactor in B refused by the tool, exit 1"
else
    ko boardio/sysfs-refuse "rc $rc" "$out"
fi
echo 3500 > "$D/in_voltage0_raw"
out=$("${K[@]}" x1 state 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'ADC failed or out of range' <<<"$out"; then
    ok boardio/sysfs-adc-range "an ADC reading outside every band is an ADC fault, not a pilot state"
else
    ko boardio/sysfs-adc-range "rc $rc" "$out"
fi
out=$("$bin/board-ctl" --sysfs "$R" --pwm pwmchip0:3 state 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q 'channel 3 not available' <<<"$out"; then
    ok boardio/sysfs-missing "an unexported PWM channel: exit 3, $(grep -o 'pwm: .*' <<<"$out")"
else
    ko boardio/sysfs-missing "rc $rc" "$out"
fi

# The charger on the kernel backend (board.io = kernel) over the same fake tree: the pilot
# through sysfs PWM and IIO; no GPIO lines here, so the power path stays unusable.
printf 'store.dir = %s/store2\nboard.io = kernel\nkio.sys_root = %s\nkio.pwm = pwmchip0:0\nkio.iio = iio:device0:0,1\nkio.cp_scale = 8/1/-12000\n' \
    "$W" "$R" > "$W/k.conf"
mkdir -p "$W/store2"
printf 'store.dir = %s/store2\nboard.io = kernel\nkio.pwm = pwmchip0\nkio.lines = pos=RELAY,fan=X\n' "$W" > "$W/kbad.conf"
out=$("$bin/charger" -c "$W/kbad.conf" --check 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'kio.pwm: expected CHIP:CHANNEL' <<<"$out" && grep -q "kio.lines: 'fan' is not a line function" <<<"$out"; then
    ok boardio/kernel-config "bad kio.* values refused by --check with their reasons"
else
    ko boardio/kernel-config "rc $rc" "$out"
fi
echo 1500 > "$D/in_voltage0_raw"
"$bin/charger" -c "$W/k.conf" > "$W/k.log" 2>&1 &
cp=$!
pids+=($cp)
if wait_line "$W/k.log" 'pilot [?] -> A' 10 && [ "$(cat "$P/enable")" = 1 ] && [ "$(cat "$P/period")" = 1000000 ]; then
    echo 1312 > "$D/in_voltage0_raw"
    # No GPIO lines on this machine: feedback unreadable, the power path held at start,
    # and the pilot kept at X1 (+12 V, no PWM: no charging offered): nothing may energise.
    if wait_line "$W/k.log" 'pilot A -> B' 10 && grep -q 'power path at start: held, fault: feedback unreadable' "$W/k.log" &&
        sleep 0.3 && [ "$(cat "$P/duty_cycle")" = 1000000 ]; then
        ok boardio/kernel-charger "charger on sysfs PWM + IIO: PWM enabled at 1 kHz, A -> B read from the ADC; without GPIO lines the power path is held and the pilot stays X1 (no PWM offered)"
    else
        ko boardio/kernel-charger "no B / pilot not X1" "$(tail -n 15 "$W/k.log"; cat "$P/duty_cycle")"
    fi
else
    ko boardio/kernel-charger "no start" "$(tail -n 15 "$W/k.log"; head "$P"/*)"
fi
kill $cp; wait $cp 2>/dev/null
if [ "$(cat "$P/enable")" = 0 ]; then ok boardio/kernel-stop "charger stopped: PWM disabled"; else ko boardio/kernel-stop "PWM left enabled"; fi

# Firmware with the old ChargeState1 layout: refused before anything is driven.
mkfifo "$W/ctl2"
"$bin/cbsomsim" --link "$W/tty2" --ctl "$W/ctl2" --version 0.2.9 > "$W/sim2.log" 2>&1 &
pids+=($!)
wait_file "$W/tty2" 10
out=$("$bin/board-ctl" --chargesom "$W/tty2" pwm 5 2>&1); rc=$?
if [ $rc -eq 3 ] && grep -q 'unsupported firmware' <<<"$out" && ! grep -q 'pilot on' "$W/sim2.log"; then
    ok boardio/old-firmware "0.2.9 refused (old contactor layout), pilot never driven, exit 3"
else
    ko boardio/old-firmware "rc $rc" "$out"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
