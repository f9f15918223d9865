#!/usr/bin/env bash
# iso2_ev_sim.sh SIM LOGDIR - the ISO-2 car profiles in the simulator (issue 14, item 2).
# The charger side of ISO-2 is merged separately, so this checks what holds either way:
#   - iso2-din (ISO-2 first, DIN second) charges to the end with 1 and 4 connectors: with a
#     DIN-only charger through the hand-over to the DIN machine, with an ISO-2 charger in ISO-2;
#   - iso2 (ISO-2 only) ends safely: charged, or refused at the negotiation with the reason
#     named, never a safety violation;
#   - the default car is still the DIN car ("starting the DIN session").
set -u
sim=$1; logdir=$2
mkdir -p "$logdir"
pass=0; fail=0
check() { # NAME OK(0/1) DETAIL
    if [ "$2" = 0 ]; then echo "PASS iso2_ev_sim $1: $3"; pass=$((pass + 1));
    else echo "FAIL iso2_ev_sim $1: $3"; fail=$((fail + 1)); fi
}
for n in 1 4; do
    log="$logdir/iso2-din-$n.log"
    "$sim" --profile iso2-din --connectors "$n" --charge-s 20 --out "$logdir/out-$n" >"$log" 2>&1; rc=$?
    ok=$(grep -c 'car: ok' "$log")
    offered=$(grep -c 'starting the session (ISO 15118-2 offered)' "$log")
    [ "$rc" = 0 ] && [ "$ok" = "$n" ] && [ "$offered" = "$n" ] && grep -q '^sim: PASS' "$log"
    check "iso2-din-x$n" $? "exit $rc, $ok of $n car(s) ok, $offered offered ISO-2; $(grep -o 'the charger chose DIN 70121' "$log" | wc -l) handed over to DIN ($(tail -n 1 "$log"))"
done
log="$logdir/iso2.log"
"$sim" --profile iso2 --charge-s 20 --out "$logdir/out-iso2" >"$log" 2>&1; rc=$?
if grep -q 'car: ok' "$log"; then
    [ "$rc" = 0 ]; check iso2-only $? "exit $rc: an ISO-2 session charged"
else
    grep -q 'EV: session over: no protocol negotiated' "$log" && grep -q ' 0 safety violation(s)' "$log"
    check iso2-only $? "exit $rc: a DIN-only charger; the car ends at the negotiation, no safety violation"
fi
log="$logdir/default.log"
"$sim" --charge-s 5 --out "$logdir/out-default" >"$log" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q 'EV: V2G connection: starting the DIN session' "$log"
check default-din $? "exit $rc: the default car still offers DIN only"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
