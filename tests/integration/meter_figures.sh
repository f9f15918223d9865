#!/usr/bin/env bash
# Figures of the meter path (printed, never asserted):
#  - stop request -> verified OCMF record stored in the journal, over RTU at 9600 and
#    115200 Bd (socat pty pair; metersim paces its replies like an RS-485 line of that
#    speed, 11 bits per character, since a pty itself has no baud rate)
#  - longest superloop pass while Modbus traffic runs (driver only, and with journal);
#    with the record's signature checked beside the loop (the port's crypto worker, the
#    default) and, for comparison, inside the pass (--crypto-in-loop, as on an MCU)
#   meter_figures.sh METERSIM METER_CTL
set -u
SIM=$1 CTL=$2
W=$(mktemp -d /tmp/meter-fig.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
for baud in 9600 115200; do
    socat pty,raw,echo=0,link="$W/a$baud" pty,raw,echo=0,link="$W/b$baud" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 1200); do [ -e "$W/a$baud" ] && [ -e "$W/b$baud" ] && break; sleep 0.05; done
    "$SIM" --rtu "$W/a$baud,$baud" --wire-baud "$baud" --ready-delay-ms 0 >"$W/sim$baud.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 1200); do grep -q '^ready' "$W/sim$baud.out" && break; sleep 0.05; done
    out=$("$CTL" --rtu "$W/b$baud,$baud" --journal "$W/j$baud" --charge-ms 100 session 5 2>&1)
    echo "RTU $baud Bd: $(grep '^SUMMARY' <<<"$out")"
    if [ "$baud" = 115200 ]; then
        out=$("$CTL" --rtu "$W/b$baud,$baud" --journal "$W/k$baud" --charge-ms 100 --crypto-in-loop \
            session 5 2>&1)
        echo "RTU $baud Bd, signature checked inside the pass: $(grep '^SUMMARY' <<<"$out")"
    fi
    out=$("$CTL" --rtu "$W/b$baud,$baud" load 5 2>&1)
    echo "RTU $baud Bd, driver only: $(grep '^LOAD' <<<"$out")"
done
