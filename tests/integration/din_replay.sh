#!/usr/bin/env bash
# din_replay.sh REPLAY SHARED LOGDIR - run v2g-replay over every DIN capture with a real
# car on the EV side; PASS/FAIL per file, then "N passed, N failed". Without the shared
# vectors: a SKIP line and "0 passed, 0 failed" (exit 0).
set -u
replay=$1; shared=$2; logdir=$3
dir="$shared/vectors/sessions"
if [ ! -d "$dir" ]; then
    echo "SKIP din_replay: $dir not found (the shared captures are read in place, SHARED=$shared)"
    echo "0 passed, 0 failed"
    exit 0
fi
mkdir -p "$logdir"
# Real cars on the EV side (vectors/README.md): the Ioniq sessions, Model Y, Polestar 2.
files=()
for f in "$dir"/*Ioniq*.jsonl "$dir"/*ModelY*.jsonl "$dir"/*olestar*.jsonl; do
    [ -f "$f" ] || continue
    grep -q '"schema":"din"' "$f" && files+=("$f")
done
pass=0; fail=0
if [ ${#files[@]} -eq 0 ]; then
    echo "FAIL din_replay: no DIN session with a real car found in $dir"
    echo "0 passed, 1 failed"
    exit 1
fi
for f in "${files[@]}"; do
    name=$(basename "$f" .jsonl)
    log="$logdir/$name.log"
    if "$replay" "$f" >"$log" 2>&1; then
        echo "PASS din_replay $name: $(tail -n 1 "$log")"
        pass=$((pass + 1))
    else
        echo "FAIL din_replay $name: $(tail -n 1 "$log") (log $log)"
        grep -E 'FAIL' "$log" | head -n 10 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
