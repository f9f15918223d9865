#!/usr/bin/env bash
# no_heap.sh OBJDIR LAYER... - fail if any object of the given layers references the heap.
# The core (hal/, protocols/, firmware/) is static-allocation only: this reads the
# undefined symbols of the built objects, so a call hidden behind a macro is caught too.
set -u
objdir=$1; shift
bad=0; n=0
for layer in "$@"; do
    while IFS= read -r -d '' o; do
        n=$((n + 1))
        hits=$(nm -u "$o" 2>/dev/null | awk '{print $NF}' | grep -Ex '(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup)' || true)
        if [ -n "$hits" ]; then
            echo "FAIL no-heap: ${o#"$objdir"/} uses: $(echo $hits)"
            bad=$((bad + 1))
        fi
    done < <(find "$objdir/$layer" -name '*.o' -print0 2>/dev/null)
done
if [ "$n" -eq 0 ]; then echo "FAIL no-heap: no objects found under $objdir for: $*"; exit 1; fi
if [ $bad -eq 0 ]; then echo "PASS no-heap: $n objects of $* reference no allocator"; fi
[ $bad -eq 0 ]
