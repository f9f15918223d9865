#!/usr/bin/env bash
# layering.sh [ROOT] - the include rules that -I paths alone cannot enforce:
#  1. no relative climbs (#include "../...") anywhere in the layers;
#  2. the core (hal/, protocols/, firmware/) includes no OS or library header:
#     it must build for a bare-metal target with only the C standard library;
#  3. a forbidden include really fails to compile: a probe file in protocols/
#     including a hal_linux/ header is compiled with the protocols/ flags and
#     must be rejected by the compiler (likewise firmware/ including the host-only sim/);
#  4. include paths come from the Makefile's layer table (INC_*) only: no make fragment
#     (*.mk) and no other Makefile line gives a board or a tool another board's folder
#     (-Iboard/OTHER: what boards share lives in boardlib/) or the unit tests' fakes
#     (-Itests/fakes: only the tests layer, INC_tests/INC_boardtests, has them). A
#     board's own fragment may name its own folder; a line that compiles a file of
#     board/X may name board/X.
set -u
root=${1:-.}
cd "$root" || exit 1
bad=0
climb=$(grep -rnE '#[[:space:]]*include[[:space:]]*"[^"]*\.\./' hal protocols firmware hal_linux board boardlib sim 2>/dev/null || true)
if [ -n "$climb" ]; then echo "FAIL layering: relative includes:"; echo "$climb"; bad=1; fi
std='assert|complex|ctype|errno|fenv|float|inttypes|iso646|limits|locale|math|setjmp|signal|stdalign|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|stdnoreturn|string|tgmath|threads|time|uchar|wchar|wctype'
os=$(grep -rnE '#[[:space:]]*include[[:space:]]*<' hal protocols firmware --include='*.[ch]' 2>/dev/null |
     grep -vE "<($std)\.h>" || true)
if [ -n "$os" ]; then echo "FAIL layering: non-standard system headers in the core:"; echo "$os"; bad=1; fi
probe=$(mktemp /tmp/layer-probe.XXXXXX.c)
printf '#include "linux_can.h"\nint layer_probe(void);\nint layer_probe(void) { return 0; }\n' > "$probe"
if ${CC:-gcc} -std=c11 ${INC_PROTOCOLS:--Ihal -Iprotocols} -fsyntax-only "$probe" 2>/dev/null; then
    echo "FAIL layering: a protocols/ file could include a hal_linux/ header"; bad=1
fi
printf '#include "charger.h"\n' > "$probe"
if ${CC:-gcc} -std=c11 ${INC_PROTOCOLS:--Ihal -Iprotocols} -fsyntax-only "$probe" 2>/dev/null; then
    echo "FAIL layering: a protocols/ file could include a firmware/ header"; bad=1
fi
printf '#include "iec61851/pilot.h"\n' > "$probe"
if ${CC:-gcc} -std=c11 ${INC_HAL_LINUX:--Ihal -Ihal_linux} -fsyntax-only "$probe" 2>/dev/null; then
    echo "FAIL layering: a hal_linux/ file could include a protocols/ header"; bad=1
fi
printf '#include "sim_modbus.h"\n' > "$probe"
if ${CC:-gcc} -std=c11 ${INC_FIRMWARE:--Ihal -Iprotocols -Ifirmware} -fsyntax-only "$probe" 2>/dev/null; then
    echo "FAIL layering: a firmware/ file could include a sim/ (host-only) header"; bad=1
fi
rm -f "$probe"
mkfiles=$(find . -path ./build -prune -o -path ./.git -prune -o \( -name '*.mk' -o -name Makefile \) -print 2>/dev/null | sort)
inc_bad=$(for f in $mkfiles; do
    own=$(printf '%s\n' "$f" | sed -n 's#^\./board/\([^/]*\)/.*#\1#p')
    # Makefile's layer table lines (INC_name :=/=) define the layers: that is where they belong.
    grep -nE -- '-I[[:space:]]*(\./)?(board/|tests/fakes)' "$f" 2>/dev/null |
        grep -vE '^[0-9]+:[[:space:]]*INC_[A-Za-z_]+[[:space:]]*:?=' |
        grep -vE '^[0-9]+:[[:space:]]*#' |
        while IFS= read -r line; do
            if printf '%s' "$line" | grep -qE -- '-I[[:space:]]*(\./)?tests/fakes'; then
                echo "$f:$line"; continue
            fi
            for b in $(printf '%s' "$line" | grep -oE -- '-I[[:space:]]*(\./)?board/[A-Za-z0-9_.-]+' | sed 's#.*board/##'); do
                [ "$b" = "$own" ] && continue
                # compiling board/$b's own file with its own folder is not another board's include
                printf '%s' "$line" | sed "s#-I[[:space:]]*\(\./\)\{0,1\}board/$b##" | grep -q "board/$b/" && continue
                echo "$f:$line"
            done
        done
done)
if [ -n "$inc_bad" ]; then
    echo "FAIL layering: a make fragment adds another board's folder or the fakes as an include path"
    echo "  (use the layer table in the Makefile; shared board code goes to boardlib/):"
    echo "$inc_bad" | sed 's/^/  /'
    bad=1
fi
[ $bad -eq 0 ] && echo "PASS layering: include rules hold (no climbs, no OS headers in the core, forbidden includes fail to compile, no -Iboard/OTHER or -Itests/fakes outside the layer table)"
[ $bad -eq 0 ]
