#!/usr/bin/env bash
# iso20_sim.sh SIM LOGDIR - ISO 15118-20 DC end to end in the simulator (issue 16, "done
# when", simulator parts), from the car's side. NEEDS THE CHARGER'S -20 BACKEND (issue 16
# item 1, "iso20" in v2g.protocols): without it every session fails in supportedAppProtocol,
# which is why tests/integration/iso20_sim.mk does not add it to INTEGRATION_TESTS yet.
#   - the -20 profiles iso20 (scheduled) and iso20-dynamic on 1 and 4 connectors end ok
#     with energy, the summary naming ISO 15118-20 per connector;
#   - --protocol iso20 over the default car, and --protocol auto20 (-20, ISO-2, DIN
#     offered) get -20;
#   - pause and resume (iso20-pause, scheduled): one session record with one pause, energy
#     before and after the pause (CSV), the car resuming with its old SessionID;
#   - the station's limit lowered and raised mid-session, in both control modes: the
#     measured power follows it;
#   - a schedule renegotiation asked by the car (--renegotiate-s): charging goes on after it;
#   - standby (iso20-standby): current held at 0 A with the path closed, charging after it;
#   - captures (issue 16 item 4): the pcapng of a scheduled and a dynamic session decodes
#     with v2g-decode (DECODE), no error, every -20 DC message named, and, when the
#     Wireshark plugin (PLUGIN) is built and tshark is installed, tshark names the same
#     V2GTP messages in the same order.
# Usage: iso20_sim.sh SIM LOGDIR [DECODE [PLUGIN]]
set -u
sim=$1; logdir=$2; decode=${3:-}; plugin=${4:-}
mkdir -p "$logdir"
pass=0; fail=0
check() { # NAME OK(0/1) DETAIL
    if [ "$2" = 0 ]; then echo "PASS iso20_sim $1: $3"; pass=$((pass + 1));
    else echo "FAIL iso20_sim $1: $3"; fail=$((fail + 1)); fi
}
# The charger offers -20 first (whatever v2g.protocols defaults to once it speaks -20).
conf="$logdir/iso20.conf"
printf 'store.dir = %s\nv2g.protocols = iso20,iso2,din\n' "$logdir" > "$conf"
energy_at() { awk -F, -v t="$2" 'NR > 1 && $1 + 0 >= t { print $NF; exit }' "$1"; }
power_between() {
    awk -F, -v a="$2" -v b="$3" 'NR > 1 && $1 + 0 >= a && $1 + 0 < b && $2 == "charging" { s += $7; n++ }
        END { if (n) printf "%.1f", s / n; else print "0" }' "$1"
}

"$sim" --help | grep -q 'iso20-dynamic' && "$sim" --help | grep -q 'auto20'
check help $? "--help lists the -20 profiles and --protocol iso20|auto20"

# Whole sessions: both control modes, 1 and 4 connectors.
for prof in iso20 iso20-dynamic; do
    for n in 1 4; do
        log="$logdir/$prof-$n.log"
        "$sim" --config "$conf" --profile "$prof" --connectors "$n" --charge-s 30 --out "$logdir/out-$prof-$n" >"$log" 2>&1; rc=$?
        ok=$(grep -c 'session 1: ok stop=ev energy_wh=[1-9]' "$log")
        iso=$(grep -c 'protocol: ISO 15118-20, car: ok' "$log")
        [ "$rc" = 0 ] && [ "$ok" = "$n" ] && [ "$iso" = "$n" ] && grep -q '^sim: PASS' "$log"
        check "$prof-x$n" $? "exit $rc, $ok of $n session(s) ok with energy, $iso in ISO 15118-20 ($(tail -n 1 "$log"))"
    done
done

# Protocol choice.
for p in iso20 auto20; do
    log="$logdir/protocol-$p.log"
    "$sim" --config "$conf" --protocol "$p" --charge-s 10 --out - >"$log" 2>&1; rc=$?
    [ "$rc" = 0 ] && grep -q 'protocol: ISO 15118-20, car: ok' "$log" && grep -q 'session 1: ok stop=ev energy_wh=[1-9]' "$log"
    check "protocol-$p" $? "exit $rc: --protocol $p charges in ISO 15118-20"
done

# Pause and resume: one record, one pause, energy before and after it.
log="$logdir/pause.log"; out="$logdir/out-pause"
"$sim" --config "$conf" --profile iso20-pause --out "$out" >"$log" 2>&1; rc=$?
p_at=$(grep -m1 'EV: session paused' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
r_at=$(grep -m1 'resuming the ISO 15118-20 session' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
e_pause=$(energy_at "$out/cp0.csv" "${p_at:-0}")
e_end=$(tail -n 1 "$out/cp0.csv" | awk -F, '{print $NF}')
records=$(grep -c 'station: session [0-9]* started' "$log")
[ "$rc" = 0 ] && [ -n "$p_at" ] && [ -n "$r_at" ] && [ "$records" = 1 ] &&
    grep -q 'session 1: ok stop=ev energy_wh=[1-9][0-9]* .*pauses=1' "$log" &&
    grep -q 'protocol: ISO 15118-20, car: ok' "$log" &&
    awk -v a="${e_pause:-0}" -v b="${e_end:-0}" 'BEGIN { exit !(a > 100 && b > a + 100) }'
check pause-resume $? "exit $rc: paused at ${p_at:-?} s with ${e_pause:-?} Wh, resumed at ${r_at:-?} s, ${e_end:-?} Wh at the end; $records session record(s): $(grep -o 'session 1: .*' "$log" | head -n 1)"

# The station's limit falls at 20 s and rises at 40 s: the power follows in both modes.
for prof in iso20 iso20-dynamic; do
    log="$logdir/limit-$prof.log"; out="$logdir/out-limit-$prof"
    "$sim" --config "$conf" --profile "$prof" --station-limit-at 20:40000 --station-limit-at 40:80000 --charge-s 50 --out "$out" >"$log" 2>&1; rc=$?
    before=$(power_between "$out/cp0.csv" 10 20)
    low=$(power_between "$out/cp0.csv" 30 40)
    high=$(power_between "$out/cp0.csv" 50 58)
    [ "$rc" = 0 ] && grep -q 'session 1: ok' "$log" &&
        awk -v a="$before" -v b="$low" -v c="$high" 'BEGIN { exit !(a > 60 && b > 35 && b <= 40.5 && c > 60) }'
    check "limit-follows-$prof" $? "exit $rc: mean power ${before} kW before, ${low} kW under the 40 kW limit, ${high} kW after it rose to 80 kW"
done

# A schedule renegotiation asked by the car (scheduled mode) after 15 s of charging:
# PowerDelivery(ScheduleRenegotiation), ScheduleExchange, PowerDelivery(Start) without a new
# cable check; the charger holds its power path closed at 0 A meanwhile (the car keeps its
# contactors closed: no pre-charge follows), once, and charges again after it.
log="$logdir/renegotiate.log"; out="$logdir/out-reneg"
"$sim" --config "$conf" --profile iso20 --renegotiate-s 15 --charge-s 40 --out "$out" >"$log" 2>&1; rc=$?
r_at=$(grep -m1 'schedule renegotiation: current held at 0 A' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
renegs=$(grep -c 'schedule renegotiation: current held at 0 A' "$log")
e_r=$(energy_at "$out/cp0.csv" "${r_at:-0}")
e_end=$(tail -n 1 "$out/cp0.csv" | awk -F, '{print $NF}')
[ "$rc" = 0 ] && [ "$renegs" = 1 ] && grep -q 'session 1: ok stop=ev energy_wh=[1-9]' "$log" &&
    grep -q 'protocol: ISO 15118-20, car: ok' "$log" &&
    awk -v a="${e_r:-0}" -v b="${e_end:-0}" 'BEGIN { exit !(a > 100 && b > a + 100) }'
check renegotiation $? "exit $rc: $renegs renegotiation(s) at ${r_at:-?} s with ${e_r:-?} Wh, ${e_end:-?} Wh at the end"
# Standby (iso20-standby, scheduled): 10 s into the loop the car ramps to 0 A, sends
# PowerDelivery(Standby), says nothing for 5 s with its contactors closed, then Start: the
# charger holds its path at 0 A meanwhile (no power-off, no second pre-charge), once, and
# charges again after it; the plant's safety monitor sees nothing wrong.
log="$logdir/standby.log"; out="$logdir/out-standby"
"$sim" --config "$conf" --profile iso20-standby --charge-s 40 --out "$out" >"$log" 2>&1; rc=$?
s_at=$(grep -m1 'standby: current held at 0 A' "$log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
standbys=$(grep -c 'standby: current held at 0 A' "$log")
offs=$(grep -c 'power delivery off' "$log")
e_s=$(energy_at "$out/cp0.csv" "${s_at:-0}")
e_end=$(tail -n 1 "$out/cp0.csv" | awk -F, '{print $NF}')
[ "$rc" = 0 ] && [ "$standbys" = 1 ] && [ "$offs" = 1 ] && grep -q 'session 1: ok stop=ev energy_wh=[1-9]' "$log" &&
    grep -q 'protocol: ISO 15118-20, car: ok' "$log" && grep -q '^sim: PASS' "$log" &&
    awk -v a="${e_s:-0}" -v b="${e_end:-0}" 'BEGIN { exit !(a > 100 && b > a + 100) }'
check standby $? "exit $rc: $standbys standby(s) at ${s_at:-?} s with ${e_s:-?} Wh, ${e_end:-?} Wh at the end, $offs power-off(s)"
"$sim" --renegotiate-s 10 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; check renegotiate-needs-iso $? "exit $rc: a DIN car cannot renegotiate"

# Captures: the sessions above wrote cp0.pcapng (no new run).
want="supportedAppProtocolReq SessionSetupReq AuthorizationSetupReq AuthorizationReq ServiceDiscoveryReq
ServiceDetailReq ServiceSelectionReq DC_ChargeParameterDiscoveryReq ScheduleExchangeReq DC_CableCheckReq
DC_PreChargeReq PowerDeliveryReq DC_ChargeLoopReq DC_WeldingDetectionReq SessionStopReq"
if [ -z "$decode" ] || [ ! -x "$decode" ]; then
    echo "SKIP iso20_sim capture: no v2g-decode given"
else
    for prof in iso20 iso20-dynamic; do
        cap="$logdir/out-$prof-1/cp0.pcapng"; names="$logdir/capture-$prof.names"
        "$decode" --json "$cap" >"$logdir/capture-$prof.jsonl" 2>&1; rc=$?
        python3 - "$logdir/capture-$prof.jsonl" "$names" $want <<'PY'
import json, sys
src, out, want = sys.argv[1], sys.argv[2], set(sys.argv[3:])
names, bad, summary = [], [], None
for line in open(src):
    d = json.loads(line)
    if "summary" in d:
        summary = d["summary"]
    elif d.get("layer") == "v2gtp":
        m = d.get("msg") or ""
        names.append(m)
        if not m or d.get("error") or m.lower().startswith("unknown"):
            bad.append(line.strip()[:120])
open(out, "w").write("".join(n + "\n" for n in names))
missing = sorted(want - set(names)) + sorted(w[:-3] + "Res" for w in want if w[:-3] + "Res" not in names)
ok = summary is not None and summary["errors"] == 0 and not bad and not missing and len(names) == summary["v2gtp"]
print(f"{len(names)} V2GTP messages, errors={summary and summary['errors']}, unnamed={len(bad)}, missing={missing}")
sys.exit(0 if ok else 1)
PY
        r=$?
        [ "$rc" = 0 ] && [ "$r" = 0 ]
        check "capture-$prof" $? "exit $rc: v2g-decode on the simulator's -20 capture ($prof): $(tail -n 1 "$logdir/capture-$prof.jsonl")"
    done
    if [ -z "$plugin" ] || [ ! -f "$plugin" ] || ! command -v tshark >/dev/null 2>&1; then
        echo "SKIP iso20_sim capture-tshark: the Wireshark plugin is not built or tshark is missing"
    else
        # As tests/integration/wireshark_test.sh: a personal plugin folder, and as root
        # tshark runs as nobody (Wireshark ignores personal plugins for root).
        home=$(mktemp -d /tmp/v2g-ws20.XXXXXX)
        mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan"
        cp "$plugin" "$home/.local/lib/wireshark/plugins/4.0/epan/v2gtp.so"
        chmod -R a+rX "$home"
        as_user=()
        [ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        for prof in iso20 iso20-dynamic; do
            HOME="$home" "${as_user[@]}" tshark -r - -O v2gtp <"$logdir/out-$prof-1/cp0.pcapng" 2>/dev/null |
                sed -n 's/^ *Message: //p' >"$logdir/capture-$prof.tshark"
            n=$(wc -l <"$logdir/capture-$prof.names")
            [ "$n" -gt 0 ] && cmp -s "$logdir/capture-$prof.tshark" "$logdir/capture-$prof.names"
            check "capture-tshark-$prof" $? "tshark -O v2gtp names the $n V2GTP messages v2g-decode names, in order"
        done
        rm -rf "$home"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
