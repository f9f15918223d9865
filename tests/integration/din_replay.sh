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

# The tool must say the truth about what it could not replay, and read captures directly.
check() { # NAME CONDITION-TEXT: PASS/FAIL line from the exit status of the previous test
    if [ "$1" = 0 ]; then echo "PASS din_replay $2"; pass=$((pass + 1));
    else echo "FAIL din_replay $2"; fail=$((fail + 1)); fi
}
# ISO 15118-2 and -20 DC have their machines (tests/integration/iso2_replay.sh); -20 AC has none.
iso20ac="$dir/ISO-20_BPT_AC_DS5366_Josev.pcapng.jsonl"
if [ -f "$iso20ac" ]; then
    "$replay" -q "$iso20ac" >"$logdir/iso20ac.log" 2>&1; rc=$?
    nr=$(sed -n 's/.*not_replayable=\([0-9]*\).*/\1/p' "$logdir/iso20ac.log" | tail -n 1)
    [ "$rc" = 1 ] && [ "${nr:-0}" -gt 0 ] && grep -q 'FAIL: no ISO 15118-20 AC machine' "$logdir/iso20ac.log"
    check $? "iso20-ac-fails: an ISO 15118-20 AC capture exits $rc with not_replayable=${nr:-?} (each request shown)"
fi
# Every real-car DIN capture read as pcap/pcapng gives the JSONL's verdict line.
for f in "${files[@]}"; do
    name=$(basename "$f" .jsonl)
    raw="$shared/vectors/raw/pyplc/$name"
    [ -f "$raw" ] || continue
    want=$(tail -n 1 "$logdir/$name.log")
    got=$("$replay" -q "$raw" 2>"$logdir/$name.pcap.err" | tail -n 1)
    [ -n "$want" ] && [ "$got" = "$want" ]
    check $? "capture $name: pcap/pcapng read directly gives '$got' (JSONL: '$want')"
done
first=${files[0]}
got=$("$replay" -q - <"$first" | tail -n 1); want=$(tail -n 1 "$logdir/$(basename "$first" .jsonl).log")
[ "$got" = "$want" ]; check $? "stdin: '-' reads the session from standard input"
raw="$shared/vectors/raw/pyplc/$(basename "$first" .jsonl)"
if [ -f "$raw" ]; then
    got=$("$replay" -q - <"$raw" 2>/dev/null | tail -n 1)
    [ "$got" = "$want" ]; check $? "stdin-capture: a capture piped into '-' gives the same verdict"
    head -c 3000 "$raw" >"$logdir/truncated.pcapng"
    "$replay" "$logdir/truncated.pcapng" >"$logdir/truncated.log" 2>&1; rc=$?
    [ "$rc" = 2 ] && grep -q 'truncated' "$logdir/truncated.log"
    check $? "truncated-capture: a cut capture exits $rc and says it is truncated"
fi
tls="$shared/vectors/raw/dsv2gshark/ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng"
if [ -f "$tls" ]; then
    "$replay" -q "$tls" >"$logdir/tls.log" 2>&1; rc=$?
    [ "$rc" = 1 ] && grep -q 'TLS is not decrypted' "$logdir/tls.log"
    check $? "tls-capture: an encrypted session exits $rc and names TLS as the reason"
fi
"$replay" --help >"$logdir/help.log" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q '^usage: v2g-replay' "$logdir/help.log" && grep -q pcapng "$logdir/help.log"
check $? "help: --help exits $rc and describes the inputs"
"$replay" "$logdir/no-such-file.jsonl" >"$logdir/nofile.log" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'No such file' "$logdir/nofile.log"
check $? "missing-file: exits $rc and says the file does not exist"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
