#!/usr/bin/env bash
# symbol_prefix.sh OBJDIR LAYER... - every global symbol an object defines must start
# with its module's prefix: the first word of the file name and '_' (pilot_ev.c ->
# pilot_, linux_can.c -> linux_, hal_err.c -> hal_). Keeps the namespace clean for
# integrators who link us into their own firmware.
set -u
objdir=$1; shift
bad=0; n=0
for layer in "$@"; do
    while IFS= read -r -d '' o; do
        n=$((n + 1))
        base=$(basename "$o" .o)
        prefix=${base%%_*}_
        syms=$(nm -g --defined-only "$o" 2>/dev/null | awk '$2 ~ /^[TDBRVWC]$/ {print $3}' |
               grep -v "^${prefix}" | grep -Ev '^(main)$' || true)
        if [ -n "$syms" ]; then
            echo "FAIL symbol-prefix: ${o#"$objdir"/} defines without '$prefix': $(echo $syms)"
            bad=$((bad + 1))
        fi
    done < <(find "$objdir/$layer" -name '*.o' -print0 2>/dev/null)
done
if [ "$n" -eq 0 ]; then echo "FAIL symbol-prefix: no objects found"; exit 1; fi
[ $bad -eq 0 ] && echo "PASS symbol-prefix: $n objects of $* export only prefixed symbols"
[ $bad -eq 0 ]
