#!/usr/bin/env bash
# run.sh - run libFuzzer harnesses: each over its committed corpus, then for a fixed time.
#
#   tests/fuzz/run.sh SECONDS BUILD/fuzz/fuzz_NAME...
#
# For each harness fuzz_NAME:
#   1. regression: every seed of tests/fuzz/corpus/NAME/ (and of $BUILD/fuzz/seeds/NAME/, the
#      seeds a harness writes itself at fuzz time, when there are any) is run once (-runs=0);
#   2. SECONDS of fuzzing from those seeds; new inputs go to $BUILD/fuzz/work/NAME, the
#      committed corpus is only read.
# A harness passes when both runs exit 0; any sanitizer finding, crash, leak, timeout of an
# input or out-of-memory fails it, with the reproducer saved under $BUILD/fuzz/artifacts/.
# The time budget is a bound, not a target: a loaded machine runs fewer inputs, and the
# verdict never depends on how many. Prints "PASS/FAIL fuzz_NAME ..." per harness, then
# "N passed, N failed"; exits non-zero when any failed.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 SECONDS FUZZER..." >&2
    exit 2
fi
secs=$1
shift
case "$secs" in '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2 ;; esac
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$BUILD/fuzz/work
art=$BUILD/fuzz/artifacts
logs=$BUILD/fuzz/logs
mkdir -p "$work" "$art" "$logs"
# -timeout: one input may take this long before it counts as a hang; generous, because a
# TCG VM or four parallel builds can slow a run tenfold (issue 12 item 17).
opts=(-rss_limit_mb=2048 -timeout=120 -print_final_stats=1)
pass=0 fail=0
for bin in "$@"; do
    name=$(basename "$bin")
    name=${name#fuzz_}
    corpus=$here/corpus/$name
    log=$logs/$name.log
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz_$name: $bin is not built"; fail=$((fail + 1)); continue
    fi
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        echo "FAIL fuzz_$name: no committed seeds in tests/fuzz/corpus/$name"; fail=$((fail + 1)); continue
    fi
    # seeds the harness wrote itself at fuzz time (fuzz.mk), read next to the committed ones
    seeds=()
    if [ -d "$BUILD/fuzz/seeds/$name" ] && [ -n "$(ls -A "$BUILD/fuzz/seeds/$name")" ]; then
        seeds=("$BUILD/fuzz/seeds/$name")
    fi
    nseeds=$(ls "$corpus" "${seeds[@]}" | grep -vc -e '^$' -e ':$')
    mkdir -p "$work/$name"
    rc=0
    "$bin" "${opts[@]}" -runs=0 -artifact_prefix="$art/$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
    stage=corpus
    if [ $rc -eq 0 ]; then
        stage=fuzzing
        "$bin" "${opts[@]}" -max_total_time="$secs" -artifact_prefix="$art/$name-" \
            "$work/$name" "$corpus" "${seeds[@]}" >>"$log" 2>&1 || rc=$?
    fi
    if [ $rc -eq 0 ]; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        echo "PASS fuzz_$name: $nseeds seeds, ${execs:-?} inputs in ${secs} s"
        pass=$((pass + 1))
    else
        echo "FAIL fuzz_$name: exit $rc during the $stage run; log: $log"
        grep -m 3 -E 'ERROR|runtime error|deadly signal|SUMMARY' "$log" | sed 's/^/    /'
        repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        [ -n "$repro" ] && echo "    reproduce: $bin $repro"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
