#!/usr/bin/env bash
# mutate.sh BUILD OUTDIR - mutation evidence for the fault-injection invariants (issue 8).
# Each mutation breaks the firmware on purpose in a throw-away copy of the tree (sed on
# the copy; nothing in the real tree changes, and no mutation switch exists in any build
# path), builds that copy's simulator, runs the scenarios named for it and checks that the
# named invariant FAILS in at least one of them. Object files of BUILD/rel are copied in
# (timestamps kept) so only the mutated file is recompiled. Writes OUTDIR/mutations.txt;
# the last line is "N passed, N failed" (passed = the invariant caught the mutation).
set -u
build=$(cd "$1" && pwd); out=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$src" && cd "${SHARED:-../shared}" 2>/dev/null && pwd || echo /nonexistent)
mkdir -p "$out"; out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/faults-mut.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
: > "$out/mutations.txt"

# NAME | INVARIANT (I1..I8) | FILE | OLD TEXT | NEW TEXT | SCENARIOS [| OLD2 | NEW2]
# (literal replacements in FILE, first occurrence each; \n in OLD/NEW is a line break)
mutations=(
"open-under-load|I1|firmware/interlock.c|if (rc == HAL_OK && out.valid && (uint32_t)current < il->cfg.safe_current_ma) {|if (rc == HAL_OK OR_OR (uint32_t)current < il->cfg.safe_current_ma + 400000u) {|estop-charging lock-feedback"
"unlock-before-open|I2|firmware/interlock.c|if (in.ok && !in.pos && !in.neg) {|if (in.ok) {|contactor-welded estop-charging|    if (in->pos OR_OR in->neg) {\n        interlock_raise(il, INTERLOCK_FAULT_WELDED);|    if (0 && (in->pos OR_OR in->neg)) {\n        interlock_raise(il, INTERLOCK_FAULT_WELDED);"
"stage-on-before-close|I3|firmware/charger.c|        if (interlock_power_allowed(&c->il)) {\n            c->cc_test_mv = charger_cc_voltage(c);|        if (c->cc == CHARGER_CC_CLOSING) {\n            c->cc_test_mv = charger_cc_voltage(c);|estop-charging operator-stop"
"module-dropped-early|I4|protocols/infypower/infy_config.c|cfg->offline_timeout_ms = 15000;|cfg->offline_timeout_ms = 4000;|module-lost-one|cfg->offline_timeout_ms <= INFY_MODULE_WATCHDOG_MS|cfg->offline_timeout_ms <= 1000u"
"meter-stop-given-up|I5|firmware/charger.c|} else if (rc == HAL_EAGAIN) {|} else if (rc == HAL_EAGAIN && c->tx == CHARGER_TX_NONE) {|meter-silent-start meter-silent-charging"
"meter-stop-failed-given-up|I5|firmware/charger.c|            c->tx = CHARGER_TX_OPEN;\n            charger_log(c, HAL_LOG_WARN, now_ms, \"meter: the stop was not acknowledged, will retry\",|            c->tx = CHARGER_TX_FAILED;\n            charger_log(c, HAL_LOG_WARN, now_ms, \"meter: the stop was not acknowledged, will retry\",|meter-stop-lost"
"psu-reason-lost|I6|firmware/charger.c|case ERRORS_SRC_PSU:\n        return CHARGER_STOP_PSU;|case ERRORS_SRC_PSU:\n        return CHARGER_STOP_LOCAL;|module-otp-one can-bus-off"
"v2g-error-lingers|I7|firmware/charger.c|errors_clear_source(&c->err, ERRORS_SRC_V2G);|(void)0;|ev-wrong-sequence ev-silent-charging"
"ov-too-slow|I8|firmware/charger.c|cfg->ov_time_ms = 9;|cfg->ov_time_ms = 60;|ov-emergency-9ms"
)
for m in "${mutations[@]}"; do
    IFS='|' read -r name inv file old new scen old2 new2 <<< "$m"
    t=$work/$name
    mkdir -p "$t"
    (cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) | (cd "$t" && tar -xpf -)
    mkdir -p "$t/build" && cp -a "$build/rel" "$t/build/rel"
    cp "$t/$file" "$t/$file.orig"
    subst() {  # OLD NEW: literal, first occurrence ("OR_OR" stands for two bars)
        OLD=$(printf '%b' "${1//OR_OR/||}") NEW=$(printf '%b' "${2//OR_OR/||}") \
            perl -0pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/' "$t/$file"
    }
    subst "$old" "$new"
    if [ -n "${old2:-}" ]; then cp "$t/$file" "$t/$file.one"; subst "$old2" "$new2"
        if cmp -s "$t/$file" "$t/$file.one"; then cp "$t/$file.orig" "$t/$file"; fi; rm -f "$t/$file.one"; fi
    if cmp -s "$t/$file" "$t/$file.orig"; then
        echo "FAIL mutation/$name: the edit did not apply to $file" | tee -a "$out/mutations.txt"
        fail=$((fail + 1)); continue
    fi
    rm -f "$t/$file.orig"
    if ! (cd "$t" && make --no-print-directory BUILD=build SHARED="$shared" build/bin/sim > "$out/$name.build.log" 2>&1); then
        echo "FAIL mutation/$name: the mutant does not build (see $out/$name.build.log)" | tee -a "$out/mutations.txt"
        fail=$((fail + 1)); continue
    fi
    "$src/tools/faults/run.sh" "$t/build/bin/sim" "$out/$name" $scen > "$out/$name.log" 2>&1
    caught=""
    for s in $scen; do
        if grep -q "^  FAIL $inv " "$out/$name/scenarios/$s.txt" 2>/dev/null; then caught="$caught $s"; fi
    done
    others=$(grep -ho "^  FAIL I[0-9]" "$out/$name"/scenarios/*.txt 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
    if [ -n "$caught" ]; then
        echo "PASS mutation/$name: $inv caught it in:$caught (invariants failing: $others)" | tee -a "$out/mutations.txt"
        pass=$((pass + 1))
    else
        echo "FAIL mutation/$name: $inv did not catch it (invariants failing: ${others:-none})" | tee -a "$out/mutations.txt"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed" | tee -a "$out/mutations.txt"
[ "$fail" -eq 0 ]
