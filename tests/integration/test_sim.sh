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
# issue 21: two dispensers (the real Huawei driver each) on one simulated unit
check huawei-two-dispensers --psu huawei --connectors 2
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
if [ -s "$out_dir/cp0.pcapng" ] && [ -s "$out_dir/cp0.csv" ] &&
   [ "$(head -c 4 "$out_dir/cp0.pcapng" | od -An -tx1 | tr -d ' ')" = "0a0d0d0a" ] &&
   head -1 "$out_dir/cp0.csv" | grep -q '^t_s,state,voltage_v,current_a,set_voltage_v,set_current_a,power_kw,soc_pct,kind,.*,energy_wh$' &&
   grep -q ',charging,' "$out_dir/cp0.csv"; then ok=1; fi
result capture-and-csv $ok
# Wireshark must dissect the capture without a malformed frame. tshark is installed by
# `make test` (DEPS_TEST); without it this check fails, it never silently passes.
ok=0
if ! command -v tshark > /dev/null; then
    echo "capture-dissects: tshark not installed (make installs it with DEPS_TEST)"
elif frames=$(tshark -r "$out_dir/cp0.pcapng" 2> /dev/null); then
    total=$(printf '%s\n' "$frames" | grep -c .)
    bad=$(printf '%s\n' "$frames" | grep -c 'Malformed')
    echo "capture-dissects: $total frames, $bad malformed"
    [ "$total" -gt 0 ] && [ "$bad" = 0 ] && ok=1
else
    echo "capture-dissects: tshark could not read $out_dir/cp0.pcapng"
fi
result capture-dissects $ok
# A figure line for the closing note.
ok=0
echo "$out" | grep -Eq '^sim: FIGURE CurrentDemandReq->Res .* n=[1-9][0-9]* p50=' && ok=1
result figure-line $ok
# Issue 12: the Linux board's configuration file (sim --config) with a 300 V connector and
# the standard car, whose pre-charge target (its battery, ~350 V) is above the rating. No
# voltage setpoint and no output voltage above 300 V + 3 V (the stages regulate within 1 %;
# both maxima are taken every simulated ms, and the 1 s CSV is checked as well), no safety
# violation, a clear stop reason (ev-limits), nothing delivered; the CSV carries the
# commanded setpoints beside the measurements.
cfg300="$out_dir/connector-300v.conf"
cat > "$cfg300" <<'CONF'
charger.max_voltage_v = 300
charger.export_voltage_v = 300
charger.max_current_a = 200
charger.max_power_kw = 60
interlock.power_down_timeout_ms = 1500
can.interface = vcan0
store.dir = /tmp
ovm.device = sim
CONF
mkdir -p "$out_dir/c300"
out=$("$sim" --config "$cfg300" --out "$out_dir/c300" 2>&1); rc=$?
ok=0
lim=$(echo "$out" | sed -n 's/^sim: \[cp0\] limits: connector 300 V, .*highest voltage setpoint \([0-9.]*\) V, highest output voltage \([0-9.]*\) V.*/\1 \2/p')
if [ $rc -eq 0 ] && echo "$out" | tail -n 1 | grep -q '^sim: PASS: .* 0 safety violation(s)$' &&
   echo "$out" | grep -Eq 'pre-charge target 3[3-9][0-9] V above the EVSE maximum 300 V' &&
   echo "$out" | grep -Eq '^sim: \[cp0\] session 1: ok stop=ev-limits energy_wh=0 .*detail=EV pre-charge target above the EVSE maximum voltage$' &&
   [ -n "$lim" ] && awk -v l="$lim" 'BEGIN { split(l, a, " "); exit !(a[1] > 0 && a[1] <= 300.0 && a[2] <= 303.0) }' &&
   head -1 "$out_dir/c300/cp0.csv" | grep -q ',voltage_v,current_a,set_voltage_v,set_current_a,' &&
   awk -F, 'NR > 1 { n++; if ($3 > 303.0 || $5 > 300.0) bad++; if ($5 > 0) on++ } END { exit !(n > 5 && on > 0 && bad == 0) }' \
       "$out_dir/c300/cp0.csv"; then ok=1; fi
[ $ok -eq 1 ] || echo "$out" | tail -n 8 | sed 's/^/    /'
result config-300v-connector $ok
# The same connector left to the default power-down wait: the simulator's InfyPower stage
# gets InfyPower's 1500 ms (not the 500 ms of psu.type = none), so the stop after the
# refused target opens the contactors without a power-path fault; a shorter wait set in
# the file is refused as `charger --check` refuses it with psu.type = infy.
grep -v '^interlock.power_down_timeout_ms' "$cfg300" > "$out_dir/c300-default.conf"
out=$("$sim" --config "$out_dir/c300-default.conf" --out - 2>&1); rc=$?
ok=0
if [ $rc -eq 0 ] && echo "$out" | grep -q 'last stop: EV target above the EVSE maximum, power path: unlocked' &&
   ! echo "$out" | grep -q 'fault: power stage did not stop'; then ok=1; fi
[ $ok -eq 1 ] || echo "$out" | grep -E 'fault|last stop' | head -n 5 | sed 's/^/    /'
result config-power-down-default-infy $ok
{ cat "$out_dir/c300-default.conf"; echo 'interlock.power_down_timeout_ms = 800'; } > "$out_dir/c300-short.conf"
out=$("$sim" --config "$out_dir/c300-short.conf" --out - 2>&1); rc=$?
ok=0
[ $rc -eq 2 ] && echo "$out" | grep -q 'interlock.power_down_timeout_ms: 800 ms is below the 1500 ms' && ok=1
result config-power-down-short-refused $ok
# Every voltage source alone must carry whole sessions (no false no-voltage stop while the
# stage is on but its "off" proof is pending, or while the IMD self-tests); the IMD alone
# cannot (it publishes nothing before and during its self-test in the cable check).
for src in ovm stage; do
    printf 'can.interface = vcan0\nstore.dir = /tmp\ninterlock.power_down_timeout_ms = 1500\novm.device = sim\novm.sources = %s\n' \
        "$src" > "$out_dir/src-$src.conf"
    check "config-voltage-source-$src" --config "$out_dir/src-$src.conf" --sessions 2
done
# The simulator's meter is the real EM580 driver: an AC meter (L1..L3-N phase voltages),
# it offers no DC voltage, so the meter alone must end the session with no-voltage as soon
# as the contactors close (never an unwatched charge).
printf 'can.interface = vcan0\nstore.dir = /tmp\ninterlock.power_down_timeout_ms = 1500\novm.device = sim\novm.sources = meter\n' \
    > "$out_dir/src-meter.conf"
out=$("$sim" --config "$out_dir/src-meter.conf" --out - 2>&1)
ok=0
echo "$out" | grep -q 'stop=no-voltage energy_wh=0' && echo "$out" | grep -q 'safety violations: 0' && ok=1
[ $ok -eq 1 ] || echo "$out" | grep -E 'fault|last stop|stop=' | head -n 5 | sed 's/^/    /'
result config-voltage-source-meter-none $ok
# The same file with a bad key is refused the way the Linux board refuses it.
printf 'charger.max_voltage_v = 300\novm.sources = ovm,nonsense\ncan.interface = vcan0\nstore.dir = /tmp\n' > "$out_dir/bad.conf"
out=$("$sim" --config "$out_dir/bad.conf" 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "^$out_dir/bad.conf:2: ovm.sources: " && ok=1
result config-invalid $ok
out=$("$sim" --config "$out_dir/missing.conf" 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "missing.conf: cannot open" && ok=1
result config-missing $ok
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
[ $rc -eq 0 ] && [ -s "$out_dir/new/a/b/cp0.pcapng" ] && [ -s "$out_dir/new/a/b/cp0.csv" ] && ok=1
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
# Without --scenario, --report-dir is a session report (docs/forensics.md): its pages need
# the time series, so --out - is refused.
out=$("$sim" --quiet --report-dir "$out_dir/rep" --out - 2>&1); rc=$?
ok=0; [ $rc -eq 2 ] && echo "$out" | grep -q "not with --out -" && ok=1
result report-dir-needs-time-series $ok
out=$("$sim" --quiet --charge-s 3 --report-dir "$out_dir/session-report" 2>&1); rc=$?
ok=0; [ $rc -eq 0 ] && [ -s "$out_dir/session-report/cp0.pcapng" ] && [ -s "$out_dir/session-report/sim.log" ] &&
    grep -q '<svg' "$out_dir/session-report/cp0.html" && grep -q '<th>stop reason</th><td>ev</td>' "$out_dir/session-report/cp0.html" && ok=1
result report-dir-session-page $ok
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
# The connectors are a station (firmware/station.h): its events reach the log. One clean
# session walks the OCPP statuses Available -> Preparing -> Charging -> Finishing ->
# Available, with session started/stopped and the EV's information between.
out=$("$sim" --out - 2>&1); rc=$?
order_ok=0; [ $rc -eq 0 ] && order_ok=1
prev=0
for pat in '[cp0] station: session 1 started' '[cp0] station: status Available -> Preparing' \
           '[cp0] station: EV info: protocol din, SoC 30 %' '[cp0] station: status Preparing -> Charging' \
           '[cp0] station: status Charging -> Finishing' '[cp0] station: session 1 stopped: stop=ev' \
           '[cp0] station: status Finishing -> Available'; do
    line=$(echo "$out" | awk -v from="$prev" -v pat="$pat" 'NR > from && index($0, pat) { print NR; exit }')
    if [ -z "$line" ]; then order_ok=0; echo "    out of order or missing: $pat"; line=$prev; fi
    prev=$line
done
result station-status-walk $order_ok
# An injected fault reaches the station's log as an error raised with status Faulted,
# and as the error cleared once the e-stop is released and the operator's reset taken.
out=$("$sim" --out - --fault estop --sessions 2 2>&1)
ok=0
echo "$out" | grep -q '\[cp0\] station: error raised: power-path 1 (high) emergency stop' &&
    echo "$out" | grep -q '\[cp0\] station: status Charging -> Faulted' &&
    echo "$out" | grep -q '\[cp0\] station: error cleared: power-path 1' && ok=1
result station-error-raised $ok

# The station's power limit shared by two connectors (docs/station.md "Power sharing"):
# without it each connector alone draws more than W; with it the sum of the two stays at
# or under W in every 1 s row of the time series, within the regulation tolerance: the
# setpoint is the limit divided by the voltage measured a moment earlier, and the battery
# voltage rises in between, so 1 % (600 W) of W.
W=60000
tol_w=600
csv_max() {  # DIR: "max_cp0_w max_cp1_w max_sum_w" over the 1 s rows of cp0.csv and cp1.csv
    # (the rows of one second side by side: the per-event rows of each file are left out)
    paste -d'|' <(awk -F, '$9 == "1hz"' "$1/cp0.csv") <(awk -F, '$9 == "1hz"' "$1/cp1.csv") |
        awk -F'|' '{ split($1, x, ","); split($2, y, ","); a = x[7] * 1000; b = y[7] * 1000;
                     if (a > ma) ma = a; if (b > mb) mb = b;
                     if (a + b > ms) ms = a + b } END { printf "%d %d %d\n", ma, mb, ms }'
}
mkdir -p "$out_dir/free" "$out_dir/shared"
ok=0
if "$sim" --quiet --connectors 2 --out "$out_dir/free" > /dev/null 2>&1; then
    read -r a b sum <<< "$(csv_max "$out_dir/free")"
    echo "    without a station limit: cp0 up to $a W, cp1 up to $b W"
    [ "$a" -gt $W ] && [ "$b" -gt $W ] && ok=1
fi
result station-limit-each-alone-above $ok
ok=0
out=$("$sim" --connectors 2 --station-limit-w $W --out "$out_dir/shared" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | tail -n 1 | grep -q '^sim: PASS: .* 0 safety violation(s)$'; then
    read -r a b sum <<< "$(csv_max "$out_dir/shared")"
    echo "    --station-limit-w $W: cp0 up to $a W, cp1 up to $b W, sum up to $sum W (tolerance $tol_w W)"
    # both charged, and the sum never above the limit plus the tolerance
    [ "$sum" -le $((W + tol_w)) ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ] &&
        echo "$out" | grep -q '\[cp0\] station: measured .* limit 30000 W' && ok=1
fi
result station-limit-shared $ok
ok=0
out=$("$sim" --station-limit-w 0 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'station-limit-w needs a whole number' && ok=1
result station-limit-bad-value $ok
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
