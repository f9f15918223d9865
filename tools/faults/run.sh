#!/usr/bin/env bash
# run.sh SIM OUTDIR [SCENARIO...] - run fault-injection scenarios against the simulator
# board (build/bin/sim --scenario NAME): OUTDIR/scenarios/NAME.{txt,svg,log,rc} and the
# list OUTDIR/list.sim; then tools/faults/report.sh OUTDIR writes the report (with the
# real-transport scenarios of tools/faults/real.sh when OUTDIR/list.real exists). Without
# SCENARIO names, every scenario of `sim --list-scenarios`. Prints "PASS/FAIL faults/NAME"
# and last "N passed, N failed"; the exit status is non-zero when a scenario failed.
# Runs at most $FAULTS_JOBS (2) at once.
set -u
sim=$1; out=$2; shift 2
jobs=${FAULTS_JOBS:-2}
mkdir -p "$out/scenarios/iso2" "$out/scenarios/iso20" "$out/scenarios/huawei"  # named iso2/NAME, iso20/NAME, huawei/NAME
if [ $# -gt 0 ]; then list="$*"; else list=$("$sim" --list-scenarios) || exit 2; fi
[ -n "$list" ] || { echo "faults: no scenarios"; exit 2; }
printf '%s\n' $list > "$out/list.sim"

run_one() {  # NAME
    local rc=0
    rm -f "$out/scenarios/$1.txt" "$out/scenarios/$1.svg" "$out/scenarios/$1.rc"
    timeout 300 "$sim" --scenario "$1" --report-dir "$out/scenarios" > "$out/scenarios/$1.log" 2>&1 || rc=$?
    echo "$rc" > "$out/scenarios/$1.rc"
}
# A pool of $jobs workers (not batches of $jobs: one slow scenario, a 60 s sequence timeout
# in simulated time, no longer holds the other worker idle).
export sim out
export -f run_one
printf '%s\n' $list | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}

pass=0 fail=0
for s in $list; do
    if [ "$(cat "$out/scenarios/$s.rc" 2>/dev/null)" = 0 ] && head -n 1 "$out/scenarios/$s.txt" 2>/dev/null | grep -q ': PASS$'; then
        echo "PASS faults/$s"; pass=$((pass + 1))
    else
        echo "FAIL faults/$s"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
