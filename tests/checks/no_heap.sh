#!/usr/bin/env bash
# no_heap.sh OBJDIR LAYER... - fail if any object of the given layers references the heap.
# The core (hal/, protocols/, firmware/) is static-allocation only: this reads the
# undefined symbols of the built objects, so a call hidden behind a macro is caught too.
# One nm for every object (nm -A names the file on each line): an nm, awk and grep per
# object cost 20 s of CPU in make test.
set -u
objdir=$1; shift
objs=()
for layer in "$@"; do
    while IFS= read -r -d '' o; do objs+=("$o"); done < <(find "$objdir/$layer" -name '*.o' -print0 2>/dev/null)
done
n=${#objs[@]}
if [ "$n" -eq 0 ]; then echo "FAIL no-heap: no objects found under $objdir for: $*"; exit 1; fi
# "FILE:   U SYMBOL" lines; the objects keep their order (find's, layer by layer)
nm -A -u "${objs[@]}" 2>/dev/null | awk -v od="$objdir/" '
    {
        f = substr($0, 1, index($0, ":") - 1); s = $NF
        if (s !~ /^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup)$/) next
        if (!(f in hits)) order[++k] = f
        hits[f] = hits[f] " " s
    }
    END {
        for (j = 1; j <= k; j++) {
            f = order[j]; r = f
            if (index(f, od) == 1) r = substr(f, length(od) + 1)
            print "FAIL no-heap: " r " uses:" hits[f]
        }
        exit k > 0
    }'
bad=$?
if [ $bad -eq 0 ]; then echo "PASS no-heap: $n objects of $* reference no allocator"; fi
[ $bad -eq 0 ]
