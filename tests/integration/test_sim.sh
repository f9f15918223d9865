#!/usr/bin/env bash
# test_sim.sh SIM - the simulator board end to end: whole DIN 70121 sessions (SLAC, SDP,
# V2GTP, DIN, cable check with the simulated IMD, pre-charge, current demand with the
# real InfyPower driver, metered transaction, welding detection, unlock) on one and on
# four connectors in one process, every car profile and every injected fault, judged by
# the simulator's plant monitor (physical states, not log text) and its expected-outcome
# check per session.
set -u
sim=$1
pass=0 fail=0
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
check() {  # NAME ARGS... : the run must exit 0 and report PASS with 0 violations
    local name=$1; shift
    local out rc
    out=$("$sim" --out - "$@" 2>&1); rc=$?
    if [ $rc -eq 0 ] && echo "$out" | tail -n 1 | grep -q '^sim: PASS: .* 0 safety violation(s)$'; then
        echo "PASS sim/$name"; pass=$((pass + 1))
    else
        echo "FAIL sim/$name (exit $rc):"; echo "$out" | tail -n 8 | sed 's/^/    /'; fail=$((fail + 1))
    fi
}
result() {  # NAME OK
    if [ "$2" -eq 1 ]; then echo "PASS sim/$1"; pass=$((pass + 1)); else echo "FAIL sim/$1"; fail=$((fail + 1)); fi
}
check session
check three-sessions --sessions 3
check one-connector-two-sessions --connectors 1 --sessions 2
check four-connectors --connectors 4
check four-connectors-two-sessions --connectors 4 --sessions 2
check sixty-modules --modules 60
check one-module --modules 1
check ideal-stage --psu ideal
check to-target-soc --soc-start 78 --soc-target 80 --charge-s 0
for p in tesla ioniq polestar tesla-precharge-stop; do
    check "profile-$p" --profile "$p"
done
for f in estop unplug weld lock diode psu-stuck isolation imd meter psu-hot evse-stop; do
    check "fault-$f" --fault "$f" --sessions 2
done
# The ideal stage has no modules (no psu-hot) and no minimum current: a stage that only
# ignores "off" carries nothing once the car has ramped to 0 A (psu-stuck is the
# InfyPower stage's case above).
for f in estop unplug weld lock diode isolation imd meter evse-stop; do
    check "fault-$f-ideal-stage" --psu ideal --fault "$f"
done
check fault-estop-four-connectors --connectors 4 --fault estop --sessions 2

# The main job's output, in order: pilot, SLAC, negotiation, authorisation, meter, cable
# check, pre-charge, charging with V/A/kW/SOC, stop, welding detection, unlock, unplug.
out=$("$sim" --out "$out_dir" 2>&1); rc=$?
order_ok=1
prev=0
for pat in 'pilot A -> B' 'pilot output 5 % PWM' 'SLAC matched' 'protocol negotiated: urn:din:70121' \
           'session set up, EVCCID' 'authorised' 'meter: transaction cp0-1-' \
           'cable check: closing contactors' 'power path closing -> closed' 'cable check: test voltage' \
           'cable check: isolation self-test' 'insulation 10000 kOhm' 'cable check: passed' 'pre-charge to' \
           'power delivery on' 'first CurrentDemand' 'charging: ' 'power delivery off' \
           'power path closed -> power-down' 'OCMF record stored' 'power path power-down -> opening' \
           'power path opening -> locked' 'pilot output constant +12 V' 'V2G: session stopped' \
           'power path unlocking -> unlocked' 'EV: unplugged' \
           'pilot B -> A' 'session finished -> idle'; do
    line=$(echo "$out" | awk -v from="$prev" -v pat="$pat" 'NR > from && index($0, pat) { print NR; exit }')
    if [ -z "$line" ]; then order_ok=0; echo "    out of order or missing: $pat"; line=$prev; fi
    prev=$line
done
result progress-order $order_ok
ok=0
echo "$out" | grep -Eq '^sim: \[cp0\] session 1: ok stop=ev energy_wh=[1-9][0-9]* soc=30->3[0-9] duration_s=[0-9]+$' && ok=1
result summary-line $ok
# The real InfyPower driver runs the stage over the in-memory CAN bus: modules found,
# the cable-check voltage with its 2 A limit, then off.
ok=0
echo "$out" | grep -q 'Infy\[0x03/SN_' && echo "$out" | grep -Eq 'Infy: output on at [0-9]+ mV, 2000 mA' &&
    echo "$out" | grep -q 'Infy: output off' && ok=1
result real-infypower-driver $ok
# The metered energy agrees with the energy the plant integrated (within 2 %).
ok=0
e_meter=$(echo "$out" | sed -n 's/.*session 1: ok stop=ev energy_wh=\([0-9]*\).*/\1/p')
e_plant=$(echo "$out" | sed -n 's/.* \([0-9.]*\) kWh, last stop.*/\1/p')
if [ -n "$e_meter" ] && [ -n "$e_plant" ]; then
    awk -v m="$e_meter" -v p="$e_plant" 'BEGIN { d = m - p * 1000; if (d < 0) d = -d; exit !(p > 0 && d <= p * 20) }' && ok=1
fi
result metered-energy $ok
# Capture and time series.
ok=0
if [ -s "$out_dir/cp0.pcap" ] && [ -s "$out_dir/cp0.csv" ] &&
   [ "$(head -c 4 "$out_dir/cp0.pcap" | od -An -tx1 | tr -d ' ')" = "d4c3b2a1" ] &&
   head -1 "$out_dir/cp0.csv" | grep -q '^t_s,state,voltage_v,current_a,power_kw,soc_pct,energy_wh$' &&
   grep -q ',charging,' "$out_dir/cp0.csv"; then ok=1; fi
if [ $ok -eq 1 ] && command -v tshark > /dev/null; then
    n=$(tshark -r "$out_dir/cp0.pcap" 2> /dev/null | grep -c 'Malformed')
    [ "$n" = 0 ] || ok=0
fi
result capture-and-csv $ok
# A figure line for the closing note.
ok=0
echo "$out" | grep -Eq '^sim: FIGURE CurrentDemandReq->Res .* n=[1-9][0-9]* p50=' && ok=1
result figure-line $ok
# Bad arguments are refused with a reason.
out=$("$sim" --sessions 0 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q 'needs a whole number' && ok=1
result bad-args $ok
out=$("$sim" --fault nonsense 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && ok=1
result bad-fault $ok
out=$("$sim" --profile nonsense 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && ok=1
result bad-profile $ok
# --out and --report-dir create missing directories, or fail loudly (exit 2, the reason).
ok=0
out=$("$sim" --quiet --out "$out_dir/new/a/b" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -s "$out_dir/new/a/b/cp0.pcap" ] && [ -s "$out_dir/new/a/b/cp0.csv" ] && ok=1
result out-creates-dirs $ok
touch "$out_dir/plain-file"
out=$("$sim" --quiet --out "$out_dir/plain-file/x" 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "plain-file exists and is not a directory" && ok=1
result out-fails-loudly $ok
out=$("$sim" --quiet --scenario estop-charging --report-dir "$out_dir/rep/a/b" 2>&1); rc=$?
ok=0; [ $rc -eq 0 ] && [ -s "$out_dir/rep/a/b/estop-charging.txt" ] && [ -s "$out_dir/rep/a/b/estop-charging.svg" ] && ok=1
result report-dir-creates-dirs $ok
out=$("$sim" --quiet --scenario estop-charging --report-dir "$out_dir/plain-file/r" 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "report-dir.*not a directory" && ok=1
result report-dir-fails-loudly $ok
out=$("$sim" --quiet --report-dir "$out_dir/rep" 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "needs --scenario" && ok=1
result report-dir-needs-scenario $ok
# A scenario that passes never shows a session line saying FAIL: the session that carries
# the injected fault says so and names the expected stop. The first-CurrentDemandRes figure
# is one the charger logged (never 0 while some session reached current demand) and names
# its session.
for sc in estop-link estop-precharge ev-silent-charging isolation-cable-check module-lost-all \
          contactor-welded power-loss-charging; do
    out=$("$sim" --scenario "$sc" 2>&1); rc=$?
    ok=0
    if [ $rc -eq 0 ] && echo "$out" | tail -n 1 | grep -q '^sim: PASS' &&
       ! echo "$out" | grep -Eq 'session [0-9]+: (in-progress )?FAIL|NOT as expected'; then ok=1; fi
    case $sc in power-loss-*) ;; *)
        echo "$out" | grep -Eq "session 1: (in-progress )?fault-injected .*scenario $sc injected the fault.*expected stop=" || ok=0 ;;
    esac
    result "scenario-lines-$sc" $ok
    ok=0
    fig=$(echo "$out" | sed -n 's/.*first CurrentDemandRes \([0-9]*\)\.\([0-9]*\) s (simulated, cp0 session \([0-9]*\).*/\1\2 \3/p')
    ms=${fig% *}; ms=$((10#${ms:-0}))
    if [ "$ms" -gt 0 ] && echo "$out" | grep -q "first CurrentDemand $ms ms after plug-in"; then ok=1; fi
    result "first-cd-figure-$sc" $ok
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
