#!/usr/bin/env bash
# make_help_test.sh MAKE - `make help` names every public target: each .PHONY target of
# the Makefile and its fragments (integration-NAME through its group NAME) and every
# integration group, benchmark and fuzzer; every integration group's prerequisites are in
# what `make test` builds first. Run from the project root. "N passed, N failed".
set -u
mk=${1:-make}
pass=0; fail=0
help=$($mk --no-print-directory help 2>&1); rc=$?
if [ "$rc" = 0 ]; then echo "PASS make_help runs"; pass=$((pass + 1)); else echo "FAIL make_help runs (exit $rc)"; fail=$((fail + 1)); fi
words=" $(echo "$help" | tr -s ' \t\n' ' ') "
# (the dependency files add nothing these two questions read: TEST_PREBUILT skips them)
db=$(TEST_PREBUILT=1 $mk --no-print-directory -pRrq -f Makefile : 2>/dev/null)
phony=$(echo "$db" | sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sort -u)
missing=()
for t in $phony; do
    case $t in integration-*) name=${t#integration-} ;; *) name=$t ;; esac
    case "$words" in *" $name "*) ;; *) missing+=("$t") ;; esac
done
n=$(echo "$phony" | grep -c .)
if [ ${#missing[@]} -eq 0 ] && [ "$n" -gt 20 ]; then
    echo "PASS make_help lists all $n .PHONY targets"; pass=$((pass + 1))
else
    echo "FAIL make_help omits: ${missing[*]:-} (of $n .PHONY targets)"; fail=$((fail + 1))
fi
# make test builds every group's prerequisites before the group's make runs, which then does
# not read the dependency files (TEST_PREBUILT in the Makefile): a prerequisite outside that
# build would be made there without them, stale after a header change.
built=" $(TEST_PREBUILT=1 $mk --no-print-directory -s --eval 'make-help-test-built: ; @echo $(TEST_BUILD) $(TEST_EARLY_PREREQS)' \
           make-help-test-built 2>/dev/null | tr -s ' \t\n' ' ') "
outside=()
ngroups=0
while read -r t pre; do
    ngroups=$((ngroups + 1))
    for f in ${pre%%|*}; do
        case "$built" in *" $f "*) ;; *) outside+=("${t%:} needs $f") ;; esac
    done
done < <(echo "$db" | grep -E '^(integration-[A-Za-z0-9_]+|checks):')
if [ ${#outside[@]} -eq 0 ] && [ "$ngroups" -gt 20 ] && [ "${#built}" -gt 1000 ]; then
    echo "PASS make_help: make test's build makes the prerequisites of all $ngroups groups (integration, checks)"; pass=$((pass + 1))
else
    echo "FAIL make_help: prerequisites outside make test's build (TEST_BUILD, INTEGRATION_PREREQS): ${outside[*]:-none} ($ngroups groups)"
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
