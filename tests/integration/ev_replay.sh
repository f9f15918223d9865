#!/usr/bin/env bash
# ev_replay.sh REPLAY SHARED LOGDIR - the EV half of interop (issue 23 item 1): `v2g-replay
# --ev` feeds our DIN car the responses of each real charger in $SHARED/vectors/sessions.
# PASS when every judged request matched and every response was accepted (accepted =
# replayed), and every car request of the file is accounted for: replayed + unjudged (the
# charger never answered) + after_stop (the charger had stopped the session, ours followed,
# the recorded car went on) = the car requests in the file. A capture that ends before TCP
# passes with "nothing to replay" only when the file really has no V2GTP message.
# Then two negative checks: a swapped response and a charger slower than our timeout must
# fail. Without the shared vectors: SKIP and "0 passed, 0 failed".
set -u
replay=$1; shared=$2; logdir=$3
dir="$shared/vectors/sessions"
if [ ! -d "$dir" ]; then
    echo "SKIP ev_replay: $dir not found (the captures are read in place from SHARED=$shared)"
    echo "0 passed, 0 failed"
    exit 0
fi
mkdir -p "$logdir"
pass=0; fail=0
# Real chargers (vectors/README.md) and the DIN open-stack charger of the lab captures.
names="2022-11-17_Dehner_Alpitronic_until_SdpRequest 2022-11-25_v0.2_ABB_until_ChargeParamDiscovery
2022-11-25_v0.2_alpi_SDP_ok_TCP_fail 2022-12-13_compleo_with_bulb 2022-12-13_compleo_powerdelivery230_no_load
2022-12-20_alpi_currentDemandSequenceErrorShutdown 2023-04-19_westparkAlpi_pyPlc_lightbulb_1fail_1ok
DIN_DC_DS5366_Josev"
num() { sed -n "s/\(^\|.* \)$1=\([0-9]*\).*/\2/p" "$2" | tail -n 1; }
for name in $names; do
    f="$dir/$name.pcapng.jsonl"
    if [ ! -f "$f" ]; then
        echo "FAIL ev_replay $name: $f missing"
        fail=$((fail + 1)); continue
    fi
    log="$logdir/$name.log"
    "$replay" --ev "$f" >"$log" 2>&1; rc=$?
    want=$(grep '"p":"V2GTP"' "$f" | grep -c '"dir":"EV->EVSE"')
    line=$(tail -n 1 "$log")
    rep=$(num replayed "$log"); acc=$(num accepted "$log")
    unj=$(num unjudged "$log"); aft=$(num after_stop "$log")
    if [ "$want" = 0 ] && [ "${rep:-x}" = 0 ] && [ "${unj:-x}" = 0 ]; then
        echo "PASS ev_replay $name: nothing to replay, the capture ends before TCP ($line)"
        pass=$((pass + 1))
    elif [ "$rc" = 0 ] && [ "${acc:-x}" = "${rep:-y}" ] && [ $((rep + unj + aft)) = "$want" ]; then
        echo "PASS ev_replay $name: $line (car requests in the file: $want)"
        pass=$((pass + 1))
    else
        echo "FAIL ev_replay $name: exit $rc, $line (car requests in the file: $want; log $log)"
        grep -E ' FAIL(:|$)' "$log" | head -n 5 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
done
src="$dir/2022-12-20_alpi_currentDemandSequenceErrorShutdown.pcapng.jsonl"
if [ -f "$src" ]; then
    # The judge can say no: the ServicePaymentSelectionRes payload in place of the recorded
    # ServiceDiscoveryRes must be refused as an answer of the wrong type.
    bad="$logdir/swapped.jsonl"
    sps=$(grep '"msg":"ServicePaymentSelectionRes"' "$src" | head -n 1 | sed 's/.*"exi":"\([0-9a-f]*\)".*/\1/')
    sed "/\"msg\":\"ServiceDiscoveryRes\"/s/\"exi\":\"[0-9a-f]*\"/\"exi\":\"$sps\"/" "$src" >"$bad"
    "$replay" -q --ev "$bad" >"$logdir/swapped.log" 2>&1; rc=$?
    if [ "$rc" = 1 ] && grep -q 'ServiceDiscoveryReq.*FAIL: unexpected response' "$logdir/swapped.log"; then
        echo "PASS ev_replay negative: a ServiceDiscoveryRes swapped for another response is refused ($(tail -n 1 "$logdir/swapped.log"))"
        pass=$((pass + 1))
    else
        echo "FAIL ev_replay negative: exit $rc for a swapped ServiceDiscoveryRes (log $logdir/swapped.log)"
        fail=$((fail + 1))
    fi
    # A charger slower than V2G_EVCC_Msg_Timeout (2 s): the first ServiceDiscoveryRes is
    # moved 3 s later; our car must have given up on it.
    slow="$logdir/slow.jsonl"
    t=$(grep '"msg":"ServiceDiscoveryRes"' "$src" | head -n 1 | sed 's/.*"t":\([0-9.]*\).*/\1/')
    t3=$(awk -v t="$t" 'BEGIN { printf "%.6f", t + 3 }')
    sed "/\"msg\":\"ServiceDiscoveryRes\"/s/\"t\":[0-9.]*/\"t\":$t3/" "$src" >"$slow"
    "$replay" -q --ev "$slow" >"$logdir/slow.log" 2>&1; rc=$?
    if [ "$rc" = 1 ] && grep -q 'ServiceDiscoveryReq.*FAIL: the charger answered after 3[0-9]* ms' "$logdir/slow.log"; then
        echo "PASS ev_replay negative: an answer 3 s late is past our car's timeout ($(tail -n 1 "$logdir/slow.log"))"
        pass=$((pass + 1))
    else
        echo "FAIL ev_replay negative: exit $rc for a ServiceDiscoveryRes 3 s late (log $logdir/slow.log)"
        fail=$((fail + 1))
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
