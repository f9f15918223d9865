#!/usr/bin/env bash
# iso2_ev_replay.sh REPLAY SHARED LOGDIR - the EV half of "real traffic" (issue 14 item 5,
# issue 16 item 5): `v2g-replay --ev` feeds our ISO 15118-2 car the charger responses of
# each ISO-2 DC EIM capture of $SHARED/vectors/sessions, and our ISO 15118-20 car those of
# the -20 DC capture (dynamic mode, TLS 1.3 decrypted in the JSONL). PASS when every recorded car request is matched by
# ours (same message type) and every recorded response is accepted: replayed = the number
# of car requests in the file = accepted. Then one negative check: a capture with one
# response cut out must fail. Without the shared vectors: SKIP and "0 passed, 0 failed".
set -u
replay=$1; shared=$2; logdir=$3
dir="$shared/vectors/sessions"
if [ ! -d "$dir" ]; then
    echo "SKIP iso2_ev_replay: $dir not found (the captures are read in place from SHARED=$shared)"
    echo "0 passed, 0 failed"
    exit 0
fi
mkdir -p "$logdir"
pass=0; fail=0
names="ISO-2_DC_DS5366 ISO-2_DC_Pause_DS5366 ISO-2_DC_BatteryDataExchange_DS5366_RiseV2G
ISO-2_DC_SalesTariffSchedule_DS5366_RiseV2G ISO-2_DC_multi_EVSE_SLAC_DS5366_Josev
ISO-20_TLS13_DC_DS5366_Josev"
for name in $names; do
    f="$dir/$name.pcapng.jsonl"
    if [ ! -f "$f" ]; then
        echo "FAIL iso2_ev_replay $name: $f missing"
        fail=$((fail + 1)); continue
    fi
    log="$logdir/$name.log"
    "$replay" --ev "$f" >"$log" 2>&1; rc=$?
    want=$(grep '"p":"V2GTP"' "$f" | grep -c '"dir":"EV->EVSE"')
    line=$(tail -n 1 "$log")
    rep=$(sed -n 's/^replayed=\([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    acc=$(sed -n 's/.* accepted=\([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    if [ "$rc" = 0 ] && [ "${rep:-x}" = "$want" ] && [ "${acc:-y}" = "$want" ]; then
        echo "PASS iso2_ev_replay $name: $line (car requests in the file: $want)"
        pass=$((pass + 1))
    else
        echo "FAIL iso2_ev_replay $name: exit $rc, $line (car requests in the file: $want; log $log)"
        grep FAIL "$log" | head -n 5 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
done
# The judge can say no: with the PaymentServiceSelectionRes payload in place of the
# recorded ServiceDiscoveryRes, our car must refuse the answer of the wrong type.
src="$dir/ISO-2_DC_DS5366.pcapng.jsonl"
if [ -f "$src" ]; then
    bad="$logdir/swapped.jsonl"
    pss=$(grep '"msg":"PaymentServiceSelectionRes"' "$src" | head -n 1 | sed 's/.*"exi":"\([0-9a-f]*\)".*/\1/')
    sed "/\"msg\":\"ServiceDiscoveryRes\"/s/\"exi\":\"[0-9a-f]*\"/\"exi\":\"$pss\"/" "$src" >"$bad"
    "$replay" -q --ev "$bad" >"$logdir/swapped.log" 2>&1; rc=$?
    if [ "$rc" = 1 ] && grep -q 'ServiceDiscoveryReq.*FAIL: unexpected response' "$logdir/swapped.log"; then
        echo "PASS iso2_ev_replay negative: a ServiceDiscoveryRes swapped for another response is refused ($(tail -n 1 "$logdir/swapped.log"))"
        pass=$((pass + 1))
    else
        echo "FAIL iso2_ev_replay negative: exit $rc for a swapped ServiceDiscoveryRes (log $logdir/swapped.log)"
        fail=$((fail + 1))
    fi
fi
# The -20 car can say no too: the ServiceSelectionRes payload in place of the recorded
# ServiceDiscoveryRes is an answer of the wrong type.
src="$dir/ISO-20_TLS13_DC_DS5366_Josev.pcapng.jsonl"
if [ -f "$src" ]; then
    bad="$logdir/swapped20.jsonl"
    sel=$(grep '"msg":"ServiceSelectionRes"' "$src" | head -n 1 | sed 's/.*"exi":"\([0-9a-f]*\)".*/\1/')
    sed "/\"msg\":\"ServiceDiscoveryRes\"/s/\"exi\":\"[0-9a-f]*\"/\"exi\":\"$sel\"/" "$src" >"$bad"
    "$replay" -q --ev "$bad" >"$logdir/swapped20.log" 2>&1; rc=$?
    if [ "$rc" = 1 ] && grep -q 'ServiceDiscoveryReq.*FAIL: unexpected response' "$logdir/swapped20.log"; then
        echo "PASS iso2_ev_replay negative -20: a ServiceDiscoveryRes swapped for another response is refused ($(tail -n 1 "$logdir/swapped20.log"))"
        pass=$((pass + 1))
    else
        echo "FAIL iso2_ev_replay negative -20: exit $rc for a swapped ServiceDiscoveryRes (log $logdir/swapped20.log)"
        fail=$((fail + 1))
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
