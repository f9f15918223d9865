#!/usr/bin/env bash
# Integration test of the insulation monitors (issue 4, items 6 and 7) on real transports.
#   imd_test.sh IMDSIM IMD_CTL
# - imd-ctl (linux_modbus + Bender/Dold driver + isolation adapter) against imdsim over
#   TCP on loopback and over a socat pty pair (RTU; Bender 19200 8E1, Dold 19200 8N1):
#   read, self-test
# - mbpoll (third party) reads imdsim: Bender float channel, Dold input registers
# - faults: low resistance (Warning / Fault status), device fault, self-test failure,
#   no answer; a resistance change while measuring
# - Dold: the Modbus watchdog is fed while the driver runs, trips when it stops, and the
#   next start recovers; the EEPROM block is written only when it differs
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
SIM=$1 CTL=$2
W=$(mktemp -d /tmp/imd-it.XXXXXX)
pass=0 fail=0
pids=()
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
# A TCP port for a server on loopback: random (two `make test` runs side by side must not
# pick the same one) and not in use now (no socket of any state holds it).
# Reads that must succeed give the emulator 2 s per answer (imd-ctl's default is 500 ms):
# on a loaded host the emulator itself answers late, and the check is the value, not the
# speed. The no-answer case keeps the default.
SLOW="--timeout-ms 2000"
port() {
    local p hex
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 20000)); hex=$(printf ':%04X ' "$p")
        grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
    echo "$p"
}
. "$(dirname "${BASH_SOURCE[0]}")/wait_lib.sh"  # wait_file, wait_line, now_ms
ptypair() { # ptypair NAME -> $W/NAME.a, $W/NAME.b
    socat pty,raw,echo=0,link="$W/$1.a" pty,raw,echo=0,link="$W/$1.b" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 1200); do [ -e "$W/$1.a" ] && [ -e "$W/$1.b" ] && return 0; sleep 0.05; done
    return 1
}
startsim() { # startsim NAME ARGS... -> pid in $simpid, output in $W/NAME.out
    local n=$1; shift
    "$SIM" "$@" <"$W/$n.in" >"$W/$n.out" 2>"$W/$n.err" &
    simpid=$!
    pids+=($simpid)
    wait_line "$W/$n.out" '^ready'
}
stopsim() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

for model in bender dold; do
    if [ $model = bender ]; then UNIT=3 PAR=even; else UNIT=1 PAR=none; fi
    # ------------------------------------------------------------ TCP
    P=$(port)
    : >"$W/$model-tcp.in"
    if ! startsim "$model-tcp" --model $model --tcp "$P" --test-ms 1500; then
        bad "$model-tcp-imdsim" "imdsim did not start: $(cat "$W/$model-tcp.err")"
        continue
    fi
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" read 2>&1)
    check "$model-tcp-read" '[ $? -eq 0 ] && grep -q "^resistance: 1000000 Ohm" <<<"$out" && grep -q "^voltage: 400.0 V" <<<"$out" && grep -q "^status: Valid" <<<"$out"' "$out"
    if [ $model = bender ]; then
        check bender-tcp-earth-and-ident 'grep -q "^earth: L+ 200.0 V, L- -200.0 V" <<<"$out" && grep -q "^device: isoCHA425HV, firmware 5.01" <<<"$out"' "$out"
    fi
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" selftest 2>&1)
    check "$model-tcp-selftest" '[ $? -eq 0 ] && grep -q "^self-test: passed" <<<"$out" && grep -q "^self-test started" "$W/$model-tcp.out"' "$out"
    if [ $model = bender ]; then
        out=$(mbpoll -m tcp -a 3 -p "$P" -t 4:float -B -r 1001 -c 1 -1 127.0.0.1 2>&1)
        check mbpoll-tcp-bender-rf 'grep -q "^\[1001\]:[[:space:]]*1e+06" <<<"$out"' "R_F float not read: $out"
        out=$(mbpoll -m tcp -a 3 -p "$P" -t 4 -r 1003 -c 2 -1 127.0.0.1 2>&1)
        check mbpoll-tcp-bender-status 'grep -q "^\[1003\]:[[:space:]]*2$" <<<"$out" && grep -q "^\[1004\]:[[:space:]]*71$" <<<"$out"' "status word (unit Ohm) / code 71 not read: $out"
    else
        out=$(mbpoll -m tcp -a 1 -p "$P" -t 3 -r 2001 -c 3 -1 127.0.0.1 2>&1)
        check mbpoll-tcp-dold-values 'grep -q "^\[2001\]:[[:space:]]*10000$" <<<"$out" && grep -q "^\[2003\]:[[:space:]]*400$" <<<"$out"' "input 2000/2002 not read: $out"
        out=$(mbpoll -m tcp -a 1 -p "$P" -t 4 -r 2006 -c 2 -1 127.0.0.1 2>&1)
        check mbpoll-tcp-dold-thresholds 'grep -q "^\[2006\]:[[:space:]]*100$" <<<"$out" && grep -q "^\[2007\]:[[:space:]]*250$" <<<"$out"' "thresholds written by the driver not read back: $out"
    fi
    stopsim "$simpid"

    # ------------------------------------------------------------ RTU over a pty pair
    if ! ptypair "$model-pty"; then
        bad "$model-rtu" "socat pty pair not created"
        continue
    fi
    : >"$W/$model-rtu.in"
    startsim "$model-rtu" --model $model --rtu "$W/$model-pty.a,19200" --test-ms 1500
    RSIM=$simpid
    out=$("$CTL" $SLOW --model $model --rtu "$W/$model-pty.b,19200" read 2>&1)
    check "$model-rtu-read" '[ $? -eq 0 ] && grep -q "^resistance: 1000000 Ohm" <<<"$out" && grep -q "^status: Valid" <<<"$out"' "$out"
    out=$("$CTL" $SLOW --model $model --rtu "$W/$model-pty.b,19200" selftest 2>&1)
    check "$model-rtu-selftest" '[ $? -eq 0 ] && grep -q "^self-test: passed" <<<"$out"' "$out"
    if [ $model = bender ]; then
        out=$(mbpoll -m rtu -a $UNIT -b 19200 -P $PAR -t 4:float -B -r 1001 -c 1 -1 "$W/$model-pty.b" 2>&1)
        check mbpoll-rtu-bender-rf 'grep -q "^\[1001\]:[[:space:]]*1e+06" <<<"$out"' "$out"
    else
        out=$(mbpoll -m rtu -a $UNIT -b 19200 -P $PAR -t 3 -r 1 -c 2 -1 "$W/$model-pty.b" 2>&1)
        check mbpoll-rtu-dold-state 'grep -q "^\[2\]:[[:space:]]*[15]$" <<<"$out"' "fault/state not read: $out"
    fi
    stopsim "$RSIM"

    # ------------------------------------------------------------ faults (TCP)
    P=$(port)
    : >"$W/$model-lr.in"
    startsim "$model-lr" --model $model --tcp "$P" --resistance 300000
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" read 2>&1)
    check "$model-warning-300k-at-1000V" 'grep -q "^status: Warning" <<<"$out" && grep -q "^resistance: 300000 Ohm" <<<"$out"' "$out"
    stopsim "$simpid"
    : >"$W/$model-lr2.in"
    startsim "$model-lr2" --model $model --tcp "$P" --fault low-r
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" read 2>&1)
    check "$model-fault-low-resistance" 'grep -q "^status: Fault" <<<"$out" && grep -q "^alarm: alarm" <<<"$out" && ! grep -q "^error:" <<<"$out"' \
        "low resistance must be a Fault status, not an error: $out"
    stopsim "$simpid"
    : >"$W/$model-dev.in"
    startsim "$model-dev" --model $model --tcp "$P" --fault device
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" read 2>&1)
    check "$model-device-fault" '[ $? -ne 0 ] && grep -q "^error: DeviceFault (High" <<<"$out" && ! grep -q "^resistance:" <<<"$out"' "$out"
    stopsim "$simpid"
    : >"$W/$model-stf.in"
    startsim "$model-stf" --model $model --tcp "$P" --fault selftest-fail --test-ms 1000
    out=$("$CTL" $SLOW --model $model --tcp "127.0.0.1:$P" selftest 2>&1)
    check "$model-selftest-failure" '[ $? -ne 0 ] && grep -q "^self-test: failed (device error)" <<<"$out"' "$out"
    stopsim "$simpid"
    : >"$W/$model-na.in"
    startsim "$model-na" --model $model --tcp "$P" --fault noanswer
    t0=$(date +%s%N)
    out=$("$CTL" --model $model --tcp "127.0.0.1:$P" read 2>&1)
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    # The retry budget is pinned on a fake clock in the IMD unit tests; here the tool must give
# up with the reason, and 15 s of wall clock bounds a loaded host (the time is printed).
echo "FIGURE imd-ctl ($model) gave up on a silent device after $ms ms"
check "$model-no-answer" '[ $rc -ne 0 ] && grep -q "no device: no answer" <<<"$out" && [ $ms -lt 15000 ]' "rc $rc after $ms ms: $out"
    stopsim "$simpid"

    # ------------------------------------------------------------ resistance drops while measuring
    mkfifo "$W/$model-live.in"
    "$SIM" --model $model --tcp "$P" <"$W/$model-live.in" >"$W/$model-live.out" 2>&1 &
    simpid=$!
    pids+=($simpid)
    exec 7>"$W/$model-live.in"
    wait_line "$W/$model-live.out" '^ready'
    # Event-driven, not a fixed 2 s: drop the resistance once a valid measurement was
    # printed, stop watching once the fault was (each wait bounded for a loaded host).
    "$CTL" --model $model --tcp "127.0.0.1:$P" watch 120 >"$W/$model-watch.out" 2>&1 &
    wpid=$!
    wait_line "$W/$model-watch.out" 'R=1000000 Ohm status=Valid'
    echo "resistance 60000" >&7
    wait_line "$W/$model-watch.out" 'R=60000 Ohm status=Fault'
    kill -TERM "$wpid" 2>/dev/null
    wait "$wpid"
    out=$(cat "$W/$model-watch.out")
    check "$model-live-drop-to-fault" 'grep -q "R=1000000 Ohm status=Valid" <<<"$out" && grep -q "R=60000 Ohm status=Fault" <<<"$out"' "$out"
    exec 7>&-
    stopsim "$simpid"
done

# ------------------------------------------------------------ Dold watchdog
P=$(port)
: >"$W/wd.in"
startsim wd --model dold --tcp "$P"
out=$("$CTL" --model dold --tcp "127.0.0.1:$P" watch 10 2>&1)  # >= 5 refreshes: slack for a loaded host
check dold-watchdog-fed '[ $? -eq 0 ] && grep -Eq "^watchdog refreshes: ([5-9]|[1-9][0-9])," <<<"$out" && ! grep -q "watchdog tripped" "$W/wd.out"' \
    "$out / $(cat "$W/wd.out")"
check dold-eeprom-written-once 'grep -q "eeprom writes: 1$" <<<"$out"' "$out"
wait_line "$W/wd.out" '^watchdog tripped' || sleep 2
check dold-watchdog-trips-when-master-stops 'grep -q "^watchdog tripped: fault 9" "$W/wd.out"' "$(cat "$W/wd.out")"
out=$("$CTL" --model dold --tcp "127.0.0.1:$P" watch 2 2>&1)
check dold-watchdog-recovered '[ $? -eq 0 ] && grep -q "status=Valid" <<<"$out" && ! grep -q "^error:" <<<"$out"' "$out"
check dold-eeprom-not-rewritten 'grep -q "eeprom writes: 0$" <<<"$out"' "$out"
grep -h "longest loop pass" "$W"/*-watch.out 2>/dev/null | sed 's/^/info: /'
stopsim "$simpid"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
