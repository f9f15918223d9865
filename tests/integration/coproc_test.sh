#!/usr/bin/env bash
# coproc_test.sh BUILD - our Cortex-M build as the Charge SOM safety co-processor (issue 20
# item 3): build/mps2-an386/coproc.elf on qemu-system-arm -M mps2-an386 (no Linux VM), its
# UART0 (the Charge SOM protocol) on one pseudo-terminal, its UART1 (plant commands in,
# event lines with the image's own tick out) on another. The Linux board's programs are the
# host: board-ctl for the handshake and the gate, then the charger (board.io = chargesom)
# for a whole pilot-level session and its SIGKILL mid-charge. The image is the judge of the
# power path: every verdict on the contactors reads its event lines.
#
# Cases: version inquiry and its round trip; a forced contactor order in CP B kept open by
# the image's own gate; line noise into and out of the image; an e-stop during a hold in C (the image opens on its own); a
# charger session (plug in, B, C, contactors closed, charging, `stop` on the charger's
# control socket: contactors opened by the charger, back to B, unplugged); a new charger
# killed while charging: the image opens both contactors in the pass that sees the host's
# silence exceed the protocol timeout (FIGURE from the image's ticks, and from the wall
# clock); a bad plant command refused; `quit` ends the image with its counters. Prints
# PASS/FAIL and FIGURE lines, then "N passed, N failed"; exits non-zero on any failure.
set -u
BUILD=${1:-build}
bin=$BUILD/bin
elf=$BUILD/mps2-an386/coproc.elf
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/wait_lib.sh"
W=$(mktemp -d /tmp/coproc.XXXXXX)
pass=0
fail=0
qpid=
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    # cortexm-run was started in its own session: its group is timeout + qemu.
    [ -n "$qpid" ] && kill -- -"$qpid" 2>/dev/null
    exec 4>&- 5>&- 2>/dev/null
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
ok() { echo "PASS $1: $2"; pass=$((pass + 1)); }
ko() {
    echo "FAIL $1: $2"
    fail=$((fail + 1))
    [ -n "${3:-}" ] && printf '%s\n' "$3" | tail -n 15 | sed 's/^/    /'
    [ -f "$W/ev.log" ] && tail -n 10 "$W/ev.log" | sed 's/^/    image: /'
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

for f in "$elf" "$bin/charger" "$bin/board-ctl"; do
    [ -x "$f" ] || [ -f "$f" ] || { ko coproc/setup "missing $f"; finish; }
done

# The image, UART0 and UART1 on pseudo-terminals; QEMU names them on stdout.
setsid "$root/tools/cortexm-run" --timeout 600 --serial pty --serial pty "$elf" > "$W/qemu.out" 2>&1 &
qpid=$!
if ! wait_line "$W/qemu.out" 'coproc: Charge SOM safety controller' 30; then
    ko coproc/boot "the image did not start" "$(cat "$W/qemu.out")"
    finish
fi
host=$(sed -n 's/^char device redirected to \(.*\) (label serial0).*/\1/p' "$W/qemu.out")
ctl=$(sed -n 's/^char device redirected to \(.*\) (label serial1).*/\1/p' "$W/qemu.out")
if [ -z "$host" ] || [ -z "$ctl" ]; then
    ko coproc/boot "no pty names from QEMU" "$(cat "$W/qemu.out")"
    finish
fi
# The event UART: raw (no echo of the image's lines back to it as commands), read into ev.log.
stty -F "$ctl" raw -echo 2>/dev/null
exec 4<>"$ctl"
# Each line is stamped with the wall clock (ms) when it arrives here, by a builtin-only loop
# (no fork per line): "WALL_MS coproc TICK: text".
{
    while IFS= read -r l; do
        t=${EPOCHREALTIME/./}
        printf '%s %s\n' "$((t / 1000))" "$l"
    done <&4 > "$W/ev.log"
} 2>/dev/null &
pids+=($!)
img() { printf '%s\n' "$*" >&4; }
lines() { wc -l < "$W/ev.log"; }
since() { tail -n +"$(($1 + 1))" "$W/ev.log"; }
wait_since() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        since "$1" | grep -q "$2" && return 0
        sleep 0.05
    done
    return 1
}
# QEMU's pty backend looks for a reader once a second and drops what the image sends until
# it has seen one. A UART line to a real co-processor is always there, so the test keeps
# both ptys open for the whole run: fd 4 (UART1, read into ev.log) and fd 5 (UART0, never
# read: the host programs read it; each opens it afresh and flushes what is stale). Then ask
# for the image's status until it answers.
exec 5<>"$host"
up=0
for ((i = 0; i < 40; i++)); do
    img status
    sleep 0.25
    if grep -q 'status: ' "$W/ev.log"; then up=1; break; fi
done
if [ $up = 1 ]; then
    ok coproc/boot "image up, host protocol on $host, plant and events on $ctl: $(grep -m1 -o 'status: .*' "$W/ev.log")"
else
    ko coproc/boot "no status answer on UART1" "$(cat "$W/qemu.out")"
    finish
fi
reset_img() { local n; n=$(lines); img reset; wait_since "$n" 'coproc [0-9]*: reset' 5; }

# board-ctl gives the co-processor 600 ms to answer its version inquiry; QEMU may need up to
# a second to notice fd 5, and more on a loaded host: retried (for that only) for about 8 s.
ctl_run() {
    local k
    for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
        out=$("$bin/board-ctl" --chargesom "$host" "$@" 2>&1); rc=$?
        grep -q 'handshake' <<<"$out" || return 0
        sleep 0.5
    done
}

ctl_run version
if [ $rc -eq 0 ] && grep -q '^version: 0.3.1 platform 0x81' <<<"$out"; then
    ok coproc/version "FirmwareVersion inquiry answered by the image: $(grep -o 'round trip [0-9]* us' <<<"$out")"
    echo "FIGURE coproc: co-processor inquiry round trip, Linux host <-> QEMU image over a pty: $(grep -o '[0-9]* us' <<<"$out")"
else
    ko coproc/version "rc $rc" "$out"
fi

# The image's own gate: a forced order in CP B never closes a contactor.
reset_img
img car B
n=$(lines)
ctl_run --force pwm 5 contactor 1 on
if [ $rc -eq 1 ] && grep -q 'did not close contactor 1 (cp B)' <<<"$out" && since "$n" | grep -q 'pilot on duty 50' &&
    ! since "$n" | grep -q 'contactor 1 closed'; then
    ok coproc/gate-in-b "forced contactor order in CP B: the image keeps it open on its own, board-ctl exit 1"
else
    ko coproc/gate-in-b "rc $rc" "$out"
fi

# Line noise both ways. Into the image's UART0 (random bytes from the host's side): counted
# by its parser, never obeyed, and it still answers. Out of it (`garbage 2000` during a
# hold): the host counts it and keeps its session.
# status_counts: "N bad CRC, N bad frames" of a fresh status line of the image.
status_counts() {
    local n; n=$(lines)
    img status
    wait_since "$n" 'status: ' 5
    since "$n" | grep -o '[0-9]* bad CRC, [0-9]* bad frames' | head -1
}
reset_img
before=$(status_counts)
head -c 3000 /dev/urandom >&5
sleep 0.5
ctl_run version
st=$(status_counts)
if [ $rc -eq 0 ] && grep -q '^version: 0.3.1' <<<"$out" && [ -n "$st" ] && [ "$st" != "$before" ]; then
    ok coproc/noise-in "3000 random bytes into UART0: $before before, $st after, none obeyed, the next inquiry answered"
else
    ko coproc/noise-in "rc $rc, counts '$before' -> '$st'" "$out"
fi
reset_img
"$bin/board-ctl" --chargesom "$host" --hold-s 2 pwm 5 > "$W/noise.out" 2>&1 &
hp=$!
pids+=($hp)
wait_line "$W/noise.out" '^holding' 10
img garbage 2000
wait $hp; rc=$?
if [ $rc -eq 0 ] && grep -q '^frames:' "$W/noise.out" && ! grep -q '0 bad CRC, 0 bad frames' "$W/noise.out"; then
    ok coproc/noise-out "2000 bytes of noise from the image during a hold: $(grep -o '[0-9]* bad CRC, [0-9]* bad frames' "$W/noise.out"), session kept"
else
    ko coproc/noise-out "rc $rc" "$(cat "$W/noise.out")"
fi

# An e-stop input of the image's plant during a hold in C: the image opens on its own and
# reports its safe state (reason 16), which board-ctl shows (exit 3).
reset_img
img car C
n=$(lines)
"$bin/board-ctl" --chargesom "$host" --hold-s 10 pwm 5 contactor 1 on > "$W/estop.out" 2>&1 &
hp=$!
pids+=($hp)
if wait_line "$W/estop.out" '^holding' 10 && wait_since "$n" 'contactor 1 closed (cp C)' 5; then
    img estop 1 1
    wait $hp; rc=$?
    img estop 1 0
    if [ $rc -eq 3 ] && grep -q 'safe-state reason 16' "$W/estop.out" && since "$n" | grep -q 'contactor 1 open (cp F)' &&
        since "$n" | grep -q 'safe state, reason 16'; then
        ok coproc/estop "e-stop 1 while closed in C: the image opened contactor 1 and went safe (reason 16), board-ctl exit 3"
    else
        ko coproc/estop "rc $rc" "$(cat "$W/estop.out")"
    fi
else
    kill $hp 2>/dev/null
    wait $hp 2>/dev/null
    ko coproc/estop "no hold with contactor 1 closed" "$(cat "$W/estop.out")"
fi

# A whole pilot-level session with the charger as the host.
printf 'store.dir = %s/store\nboard.io = chargesom\nchargesom.tty = %s\ninterlock.contactor_timeout_ms = 500\n' \
    "$W" "$host" > "$W/c.conf"
# start_charger K: a charger with a store of its own (store, store2, ...: a charger that
# ended in a fault keeps it in its store) and the control socket ch.sock, log ch.log.
start_charger() {
    local st=store${1#1}
    mkdir -p "$W/$st"
    sed "s|/store\$|/$st|" "$W/c.conf" > "$W/c$1.conf"
    rm -f "$W/ch.sock"
    "$bin/charger" -c "$W/c$1.conf" --ctl "$W/ch.sock" > "$W/ch.log" 2>&1 &
    cp=$!
    pids+=($cp)
}
session() {
    step=start
    reset_img
    img car A
    n=$(lines)
    start_charger "$1"
    wait_line "$W/ch.log" 'chargesom: running' 15 || return 1
    # the charger's first reading is A before the car plugs in (B could overtake it on a
    # loaded machine: "pilot ? -> B", no A -> B to wait for)
    wait_line "$W/ch.log" 'pilot [?] -> A' 10 || return 1
    step="plug in (B)"; img car B
    wait_line "$W/ch.log" 'pilot A -> B' 10 || return 1
    wait_since "$n" 'pilot on duty 50' 10 || return 1
    step="car ready (C)"; img car C
    wait_since "$n" 'contactor 2 closed (cp C)' 10 || return 1
    since "$n" | grep -q 'contactor 1 closed (cp C)' || return 1
    step=charging; sleep 1
    since "$n" | grep -q 'contactor . open' && return 1
    # The session ends from the charger's side (its control socket: `stop`), as an operator
    # or the backend ends it: the charger opens the contactors through the image while the
    # car still says C; then the car leaves C and is unplugged.
    step="stop"; m=$(lines)
    "$bin/charger" --ctl "$W/ch.sock" stop > "$W/stop.out" 2>&1 || return 1
    wait_since "$m" 'contactor 2 open (cp C)' 10 || return 1
    since "$m" | grep -q 'contactor 1 open (cp C)' || return 1
    step="car back to B"; img car B
    wait_line "$W/ch.log" 'pilot C -> B' 10 || return 1
    step="unplug (A)"; img car A
    wait_line "$W/ch.log" 'pilot B -> A' 10 || return 1
    ! since "$n" | grep -q 'safe state'
}
# While a contactor is closed the charger allows the co-processor 350 ms between reports
# (cbsom_host.c); QEMU starved of the CPU on a loaded machine can miss that (its emulated
# clock then lags the wall clock; seen once in ten runs with load 13 on 2 cores). That is
# the emulation's timing, not the image's rules: one more session, said so, then the verdict.
session 1; srv=$?
if [ $srv -ne 0 ] && grep -q 'chargesom: fault: co-processor silent' "$W/ch.log"; then
    echo "NOTE coproc/session: the charger found the QEMU image silent for 350 ms (CPU starved; $(grep -o '[0-9]* frames in' "$W/ch.log" | head -1)); once more with a new charger"
    kill $cp 2>/dev/null
    wait $cp 2>/dev/null
    session 2; srv=$?
fi
if [ $srv -eq 0 ]; then
    t1=$(since "$n" | sed -n 's/^[0-9]* coproc \([0-9]*\): contactor 2 closed.*/\1/p' | head -1)
    t2=$(since "$n" | sed -n 's/^[0-9]* coproc \([0-9]*\): contactor 2 open.*/\1/p' | head -1)
    ok coproc/session "charger <-> image: plug in, 5 % PWM in B, contactors closed in C by the image, charging $((t2 - t1)) ms (image ticks), stop: opened by the charger through the image, unplugged"
else
    ko coproc/session "stuck at: $step" "$(tail -n 20 "$W/ch.log")"
fi

# A new charger (the first one holds a fault in its store: with no power stage configured, a
# stop ends in "power stage did not stop"), a new charge; then the charger is killed: only
# the image can open the contactors.
kill $cp 2>/dev/null
wait $cp 2>/dev/null
reset_img
img car A
n=$(lines)
start_charger 3
wait_line "$W/ch.log" 'chargesom: running' 15
wait_line "$W/ch.log" 'pilot [?] -> A' 10
img car B
wait_line "$W/ch.log" 'pilot A -> B' 10
img car C
if wait_since "$n" 'contactor 2 closed (cp C)' 15; then
    m=$(lines)
    now_ms_var k0
    { kill -9 $cp; wait $cp; } 2>/dev/null
    if wait_since "$m" 'safe state, reason 2' 10 && [ "$(since "$m" | grep -c 'contactor . open (cp F)')" -eq 2 ]; then
        silent=$(since "$m" | sed -n 's/.*safe state, reason 2, host silent for \([0-9]*\) ms/\1/p' | head -1)
        ts=$(since "$m" | sed -n 's/^[0-9]* coproc \([0-9]*\): safe state.*/\1/p' | head -1)
        to=$(since "$m" | sed -n 's/^[0-9]* coproc \([0-9]*\): contactor . open.*/\1/p' | sort -n | tail -1)
        if [ "$to" = "$ts" ] && [ "${silent:-0}" -ge 300 ]; then
            ok coproc/charger-killed "charger SIGKILLed while charging: both contactors opened by the image at tick $to, in the pass that found the host silent for $silent ms (timeout 300 ms)"
            echo "FIGURE coproc: host silence -> contactors open (image ticks): $silent ms (protocol timeout 300 ms, checked every 1 ms)"
            # The same seen from outside, on the wall clock: SIGKILL -> the event line's arrival
            # (it includes up to 100 ms of the charger's cycle before the kill, and QEMU's
            # emulated clock may run slower than the wall clock on a loaded machine). A
            # figure only, never a verdict.
            k1=$(since "$m" | sed -n 's/^\([0-9]*\) coproc [0-9]*: contactor . open (cp F).*/\1/p' | tail -1)
            echo "FIGURE coproc: SIGKILL of the charger -> contactors-open line out of the image (wall clock): $((k1 - k0)) ms"
        else
            ko coproc/charger-killed "contactors open at tick $to, safe state at tick $ts, silent $silent ms" "$(since "$m")"
        fi
    else
        ko coproc/charger-killed "no safe state after the charger was killed" "$(tail -n 8 "$W/ch.log"; since "$n")"
    fi
else
    ko coproc/charger-killed "no charge" "$(tail -n 20 "$W/ch.log")"
    kill -9 $cp 2>/dev/null
fi
wait $cp 2>/dev/null

# Bad plant commands are refused with a reason; quit ends the image with its counters.
n=$(lines)
img car Z
if wait_since "$n" 'bad command (car A|B|C|D): car Z' 5; then
    ok coproc/bad-command "plant command with a bad argument refused: $(since "$n" | grep -o 'bad command.*' | head -1)"
else
    ko coproc/bad-command "no refusal" "$(since "$n")"
fi
img quit
if wait_line "$W/qemu.out" 'coproc: stopped' 10; then
    wait "$qpid"; rc=$?
    qpid=
    if [ $rc -eq 0 ]; then
        ok coproc/quit "quit: exit 0, $(grep -o 'stopped at.*' "$W/qemu.out"), $(grep -o 'stack: .*' "$W/qemu.out")"
    else
        ko coproc/quit "exit $rc" "$(cat "$W/qemu.out")"
    fi
else
    ko coproc/quit "no clean end" "$(cat "$W/qemu.out")"
fi
finish
