#!/usr/bin/env bash
# test_sim.sh SIM - the simulator board end to end: a clean session, several sessions on
# two connectors in one process, and each injected fault, judged by the simulator's
# plant monitor (physical states, not log text) and its expected-outcome check.
set -u
sim=$1
pass=0 fail=0
check() {  # NAME ARGS... : the run must exit 0 and report PASS with 0 violations
    local name=$1; shift
    local out rc
    out=$("$sim" "$@" 2>&1); rc=$?
    if [ $rc -eq 0 ] && echo "$out" | tail -n 1 | grep -q '^sim: PASS: .* 0 safety violation(s)$'; then
        echo "PASS sim/$name"; pass=$((pass + 1))
    else
        echo "FAIL sim/$name (exit $rc):"; echo "$out" | tail -n 8 | sed 's/^/    /'; fail=$((fail + 1))
    fi
}
check session
check three-sessions --sessions 3
check two-connectors --connectors 2 --sessions 2
check four-connectors --connectors 4 --sessions 2
check sixty-modules --modules 60
check ideal-stage --psu ideal
for f in estop unplug weld lock diode psu-stuck; do
    check "fault-$f" --fault "$f" --sessions 2
    check "fault-$f-ideal-stage" --psu ideal --fault "$f"
done
# The simulated session drives the real InfyPower driver: its modules are found and
# switched on and off over the in-memory CAN bus.
out=$("$sim" 2>&1)
if echo "$out" | grep -q 'Infy\[0x03/SN_' && echo "$out" | grep -q 'Infy: output on at 400000 mV' &&
   echo "$out" | grep -q 'Infy: output off'; then
    echo "PASS sim/real-infypower-driver"; pass=$((pass + 1))
else
    echo "FAIL sim/real-infypower-driver"; fail=$((fail + 1))
fi
# The main job's output: the pilot walks A -> B -> C with 5 % PWM, the power path closes
# and opens in order, and a summary line ends it.
out=$("$sim" 2>&1)
order_ok=1
for pat in 'pilot A -> B' 'pilot output 5 % PWM' 'power path locking -> locked' 'pilot B -> C' \
           'power path closing -> closed' 'pilot C -> B' 'power path closed -> power-down' \
           'power path power-down -> opening' 'power path opening -> locked' \
           'power path unlocking -> unlocked' 'pilot B -> A' 'session finished -> idle'; do
    # the first occurrence after the previous step's line
    line=$(echo "$out" | awk -v from="${prev:-0}" -v pat="$pat" 'NR > from && index($0, pat) { print NR; exit }')
    if [ -z "$line" ]; then order_ok=0; echo "    out of order or missing: $pat"; fi
    prev=${line:-999999}
done
if [ $order_ok -eq 1 ]; then echo "PASS sim/progress-order"; pass=$((pass + 1)); else echo "FAIL sim/progress-order"; fail=$((fail + 1)); fi
# Bad arguments are refused with a reason.
out=$("$sim" --sessions 0 2>&1); rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q 'needs a whole number'; then echo "PASS sim/bad-args"; pass=$((pass + 1)); else echo "FAIL sim/bad-args"; fail=$((fail + 1)); fi
out=$("$sim" --fault nonsense 2>&1); rc=$?
if [ $rc -eq 2 ]; then echo "PASS sim/bad-fault"; pass=$((pass + 1)); else echo "FAIL sim/bad-fault"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
