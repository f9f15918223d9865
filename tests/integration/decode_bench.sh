#!/usr/bin/env bash
# decode_bench.sh DECODER SHARED - decode speed (issue 22): messages per second of
# v2g-decode (release build, --json to /dev/null) on the largest raw capture of the shared
# vectors and on the one with the most messages; best of 5 runs, wall clock.
set -u
dec=$1; shared=$2
raw="$shared/vectors/raw"
if [ ! -d "$raw" ]; then
    echo "SKIP bench-decode: $raw not found (SHARED=$shared)"
    exit 0
fi
largest=$(ls -S "$raw"/*/*.pcap "$raw"/*/*.pcapng | head -n 1)
most=$raw/pyplc/2026-02-03_pyPLC_FoccciCape_with_Ioniq_runs_10_minutes.pcap
for f in "$largest" "$most"; do
    [ -f "$f" ] || continue
    n=$("$dec" --json "$f" | tail -n 1 | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
    best=
    for i in 1 2 3 4 5; do
        s=$(date +%s.%N)
        "$dec" --json "$f" >/dev/null
        e=$(date +%s.%N)
        best=$(echo "$s $e $best" | awk '{d=$2-$1; if ($3 == "" || d < $3) print d; else print $3}')
    done
    size=$(stat -c %s "$f")
    echo "$n messages $(basename "$f") ($size bytes): best of 5 $best s, " \
         "$(echo "$n $best" | awk '{printf "%.0f", $1/$2}') messages/s," \
         "$(echo "$size $best" | awk '{printf "%.1f", $1/$2/1e6}') MB/s"
done
