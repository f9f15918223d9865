#!/usr/bin/env bash
# run-all.sh - the body of `make test`: runs every group, keeps each group's log,
# and ends with one line "N passed, N failed" counting individual test cases.
#
#   tests/run-all.sh --unit "BIN..." --checks "TARGET" --integration "NAME..." --target "TARGET"
#
# Environment: BUILD (build dir), MAKE (the make to call for targets).
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
logs=$BUILD/test-logs
mkdir -p "$logs"
unit="" checks="" integration="" target=""
while [ $# -gt 0 ]; do
    case "$1" in
        --unit) unit=$2; shift 2 ;;
        --checks) checks=$2; shift 2 ;;
        --integration) integration=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        *) echo "run-all: unknown option $1" >&2; exit 2 ;;
    esac
done

total_pass=0 total_fail=0 total_skip=0
failed_groups=()

# record NAME RC LOG: count the cases a group's log reports. Understands cmocka's
# summary, "N passed, N failed" lines and PASS/FAIL lines; a group that exits non-zero
# without reporting a failure counts as one failure, so a crash never passes.
record() {
    local name=$1 rc=$2 log=$3 p=0 f=0 line
    if grep -q '^\[==========\] .* test(s) run\.' "$log"; then
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    elif line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\2/')
        f=$(echo "$line" | sed -E 's/.*(^|: )([0-9]+) passed, ([0-9]+) failed.*/\3/')
    else
        p=$(grep -c '^PASS' "$log" || true)
        f=$(grep -c '^FAIL' "$log" || true)
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        # A group may skip only by saying why (e.g. the shared vectors are absent).
        if grep -q '^SKIP' "$log"; then
            total_skip=$((total_skip + 1))
            printf 'SKIP %-34s %s\n' "$name" "$(grep -m1 '^SKIP' "$log" | cut -c6-)"
            return
        fi
        echo "FAIL $name: ran no test"; f=1
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$f" -eq 0 ]; then
        printf 'PASS %-34s %4d passed\n' "$name" "$p"
    else
        printf 'FAIL %-34s %4d passed, %d failed (exit %d); log: %s\n' "$name" "$p" "$f" "$rc" "$log"
        failed_groups+=("$name")
        grep -E 'FAIL|ERROR|LINE|error|Error|SAFETY' "$log" | head -n 15 | sed 's/^/    /'
    fi
}

run_group() {  # NAME CMD...
    local name=$1; shift
    local log=$logs/${name//\//_}.log
    "$@" >"$log" 2>&1
    record "$name" $? "$log"
}

echo "== unit tests (cmocka, AddressSanitizer + UBSan)"
for b in $unit; do run_group "unit/$(basename "$b")" "$b"; done
if [ -n "$checks" ]; then
    echo "== static checks"
    run_group "checks" $MAKE $checks
fi
if [ -n "$integration" ]; then
    echo "== integration tests"
    for t in $integration; do run_group "integration/$t" $MAKE "integration-$t"; done
fi
if [ -n "$target" ]; then
    echo "== Cortex-M (qemu-system-arm)"
    run_group "cortex-m" $MAKE $target
fi
echo
if [ ${#failed_groups[@]} -gt 0 ]; then echo "failed: ${failed_groups[*]}"; fi
if [ "$total_skip" -gt 0 ]; then
    echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
