#!/usr/bin/env bash
# board_template_test.sh - a board is one folder (docs/porting.md, "Steps"): follows the
# porting guide's first step mechanically and checks its promise.
#  1. board/template itself builds (`make BOARD=template`) and its bring-up build runs;
#  2. a copy of board/template under a new name builds with `make BOARD=<name>` and runs;
#  3. doing so touched no file outside the copy (git status before and after is the same
#     apart from the new folder).
# The copy is removed again (also on failure or interrupt), with its build output.
# Run from the project root. Env: MAKE, BUILD. Ends "N passed, N failed".
set -u
mk=${MAKE:-make}
build=${BUILD:-build}
pass=0; fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

# A name no one uses; the PID keeps two runs apart. Not a dot-folder: the Makefile reads
# board/*/board.mk, which does not match hidden folders.
name=zz-porting-check-$$
dir=board/$name
# Other groups run make at the same time and read every board/*/board.mk: the copy appears
# and disappears by a rename from a hidden folder (which the wildcard does not match), so
# no make ever reads a half-written or half-removed board.
hidden=board/.$name
cleanup() {
    [ -d "$dir" ] && mv "$dir" "$hidden.gone" 2>/dev/null
    rm -rf "$hidden" "$hidden.gone" "$dir" "$build/boards/$name" "$build/rel/board/$name" "$build/san/board/$name"
}
trap cleanup EXIT INT TERM

# 1. the template as it is
if $mk BOARD=template >"$build/board-template.log" 2>&1; then
    ok "board_template builds (make BOARD=template)"
else
    ko "board_template does not build"; tail -n 20 "$build/board-template.log" | sed 's/^/    /'
fi
bin=$build/boards/template/firmware
if [ -x "$bin" ] && "$bin" >/dev/null 2>&1; then
    ok "board_template bring-up build runs its passes and exits 0"
else
    ko "board_template: $bin missing or failed"
fi

# 2. the porter's copy. Status of everything but build output, before and after.
# Tracked files anywhere, new files under board/ and the layer folders: other groups of
# make test write their own temporary files at the same time, but never these.
state() { { git status --porcelain --untracked-files=no -- . ":(exclude)$build"
            git status --porcelain --untracked-files=all -- board hal hal_linux firmware protocols \
                linker Makefile; } 2>/dev/null | grep -v " $dir/" | grep -v " board/\.$name" | sort -u; }
before=$(state)
# -p keeps the files' times: a new board.mk would otherwise look newer than the package
# stamps (build/.deps-*) and re-run tools/deps.
cp -rp board/template "$hidden" && mv "$hidden" "$dir"
if $mk BOARD="$name" >"$build/board-copy.log" 2>&1; then
    ok "board_copy: a copy of board/template builds as board/$name (make BOARD=$name)"
else
    ko "board_copy: the copy does not build"; tail -n 20 "$build/board-copy.log" | sed 's/^/    /'
fi
cbin=$build/boards/$name/firmware
if [ -x "$cbin" ] && "$cbin" >/dev/null 2>&1; then
    ok "board_copy: its firmware runs"
else
    ko "board_copy: $cbin missing or failed"
fi

# 3. nothing outside the copy changed (the copy itself is the only new path).
after=$(state)
if [ "$before" = "$after" ]; then
    ok "board_copy: no file outside $dir was touched"
else
    ko "board_copy: files outside the copy changed:"
    diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
