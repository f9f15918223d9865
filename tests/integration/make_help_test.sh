#!/usr/bin/env bash
# make_help_test.sh MAKE - `make help` names every public target: each .PHONY target of
# the Makefile and its fragments (integration-NAME through its group NAME) and every
# integration group, benchmark and fuzzer. Run from the project root. "N passed, N failed".
set -u
mk=${1:-make}
pass=0; fail=0
help=$($mk --no-print-directory help 2>&1); rc=$?
if [ "$rc" = 0 ]; then echo "PASS make_help runs"; pass=$((pass + 1)); else echo "FAIL make_help runs (exit $rc)"; fail=$((fail + 1)); fi
words=" $(echo "$help" | tr -s ' \t\n' ' ') "
phony=$($mk --no-print-directory -pRrq -f Makefile : 2>/dev/null | sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sort -u)
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
