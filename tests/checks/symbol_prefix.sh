#!/usr/bin/env bash
# symbol_prefix.sh OBJDIR LAYER... - every global symbol an object defines must start
# with its module's prefix: the first word of the file name and '_' (pilot_ev.c ->
# pilot_, linux_can.c -> linux_, hal_err.c -> hal_). Keeps the namespace clean for
# integrators who link us into their own firmware.
# One nm for every object (nm -A names the file on each line): an nm, awk and two greps
# per object cost 29 s of CPU in make test.
set -u
objdir=$1; shift
objs=()
for layer in "$@"; do
    while IFS= read -r -d '' o; do objs+=("$o"); done < <(find "$objdir/$layer" -name '*.o' -print0 2>/dev/null)
done
n=${#objs[@]}
if [ "$n" -eq 0 ]; then echo "FAIL symbol-prefix: no objects found"; exit 1; fi
# "FILE:VALUE TYPE SYMBOL" lines; the objects keep their order (find's, layer by layer)
nm -A -g --defined-only "${objs[@]}" 2>/dev/null | awk -v od="$objdir/" '
    $2 ~ /^[TDBRVWC]$/ {
        f = substr($0, 1, index($0, ":") - 1)
        b = f; sub(/.*\//, "", b); sub(/\.o$/, "", b)
        p = b; sub(/_.*/, "", p); p = p "_"
        if (substr($3, 1, length(p)) == p || $3 == "main") next
        if (!(f in syms)) { order[++k] = f; pre[f] = p }
        syms[f] = syms[f] " " $3
    }
    END {
        for (j = 1; j <= k; j++) {
            f = order[j]; r = f
            if (index(f, od) == 1) r = substr(f, length(od) + 1)
            print "FAIL symbol-prefix: " r " defines without '\''" pre[f] "'\'':" syms[f]
        }
        exit k > 0
    }'
bad=$?
[ $bad -eq 0 ] && echo "PASS symbol-prefix: $n objects of $* export only prefixed symbols"
[ $bad -eq 0 ]
