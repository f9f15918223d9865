#!/usr/bin/env bash
# link_test.sh EVSE_LINK EVSIM_LINK - the link to the car on a real veth pair between two
# network namespaces (libpcap raw Ethernet for SLAC, IPv6 link-local SDP, TCP V2GTP).
# Needs root. Namespaces are unique to this run and always deleted. Keeps a pcap of the
# main run under $BUILD/link/. Ends with "N passed, N failed".
set -u
EVSE=$(readlink -f "$1"); EVSIM=$(readlink -f "$2")
OUT=${BUILD:-build}/link; mkdir -p "$OUT"; OUT=$(readlink -f "$OUT")
A=h6evse$$; B=h6ev$$
pass=0; fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
cleanup() {
    [ -n "${CAP:-}" ] && kill "$CAP" 2>/dev/null
    ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT INT TERM
if [ "$(id -u)" != 0 ]; then echo "FAIL link: needs root for network namespaces"; echo "0 passed, 1 failed"; exit 1; fi

ip netns add "$A" && ip netns add "$B" &&
ip link add veth-evse netns "$A" type veth peer name veth-ev netns "$B" || {
    echo "FAIL link-setup: cannot create the namespaces"; echo "0 passed, 1 failed"; exit 1; }
for p in "$A:veth-evse" "$B:veth-ev"; do
    ns=${p%%:*}; dev=${p#*:}
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 "net.ipv6.conf.$dev.accept_dad=0"
    ip -n "$ns" link set lo up; ip -n "$ns" link set "$dev" up
done
for p in "$A:veth-evse" "$B:veth-ev"; do
    ns=${p%%:*}; dev=${p#*:}
    for _ in $(seq 100); do
        ip -n "$ns" -6 addr show dev "$dev" scope link | grep -q fe80 &&
            [ -z "$(ip -n "$ns" -6 addr show dev "$dev" tentative)" ] && break
        sleep 0.05
    done
done

# --- 1. SLAC, SDP and V2GTP both ways, captured
PCAP=$OUT/link.pcap; rm -f "$PCAP"
CAP=
if command -v tshark >/dev/null; then
    ip netns exec "$A" tshark -q -i veth-evse -w "$PCAP" -F pcap >"$OUT/tshark-capture.log" 2>&1 &
    CAP=$!
    for _ in $(seq 50); do [ -s "$PCAP" ] && break; sleep 0.1; done
fi
ip netns exec "$A" "$EVSE" --iface veth-evse --no-modem --port 61851 --run-for 6 >"$OUT/evse.log" 2>&1 &
EP=$!; sleep 0.3
ip netns exec "$B" "$EVSIM" --iface veth-ev --no-modem --count 5 --timeout 10 >"$OUT/ev.log" 2>&1
rc=$?; wait $EP
cat "$OUT/ev.log" "$OUT/evse.log" | grep FIGURE
if [ $rc = 0 ] && grep -q "5/5 echoes" "$OUT/ev.log" && grep -q "SLAC matched" "$OUT/evse.log"; then
    ok "link-slac-sdp-v2gtp: SLAC matched, SDP announced port 61851, 5 payloads echoed"
else
    ko link-slac-sdp-v2gtp "evsim-link rc=$rc; see $OUT/ev.log and $OUT/evse.log"
fi
grep -q "SDP answered: TCP port 61851" "$OUT/ev.log" && ok "link-sdp-port: EV connected to the announced port" ||
    ko link-sdp-port "EV did not see port 61851"
if [ -n "$CAP" ]; then
    sleep 0.5; kill "$CAP" 2>/dev/null; wait "$CAP" 2>/dev/null; CAP=
    n=$(tshark -r "$PCAP" -Y homeplug-av 2>/dev/null | wc -l)
    bad=$(tshark -r "$PCAP" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
    types=$(tshark -r "$PCAP" -Y homeplug-av 2>/dev/null | grep -o 'CM_[A-Z_]*\.[A-Z]*' | sort -u | tr '\n' ' ')
    for t in CM_SLAC_PARM.REQ CM_SLAC_PARM.CNF CM_START_ATTEN_CHAR.IND CM_MNBC_SOUND.IND \
             CM_ATTEN_CHAR.IND CM_ATTEN_CHAR.RSP CM_SLAC_MATCH.REQ CM_SLAC_MATCH.CNF; do
        case " $types " in *" $t "*) ;; *) bad="$bad missing-$t" ;; esac
    done
    if [ "$n" -ge 16 ] && [ "$bad" = 0 ]; then
        ok "link-tshark: $n HomePlug AV frames dissected without errors (types $types), pcap $PCAP"
    else
        ko link-tshark "$n HomePlug AV frames, $bad malformed/error frames in $PCAP"
    fi
else
    ko link-tshark "tshark not installed"
fi

# --- 2. V2GTP faults: bad header, oversize length -> the EVSE closes
for f in "bad-header:--bad-header:protocol version" "oversize:--oversize 100000:payload length"; do
    name=${f%%:*}; rest=${f#*:}; arg=${rest%%:*}; want=${rest#*:}
    ip netns exec "$A" "$EVSE" --iface veth-evse --no-modem --port 61851 --run-for 4 >"$OUT/evse-$name.log" 2>&1 &
    EP=$!; sleep 0.3
    # shellcheck disable=SC2086
    ip netns exec "$B" "$EVSIM" --iface veth-ev --no-modem --timeout 6 $arg >"$OUT/ev-$name.log" 2>&1
    rc=$?; wait $EP
    if [ $rc = 0 ] && grep -q "V2GTP connection closed: $want" "$OUT/evse-$name.log"; then
        ok "link-v2gtp-$name: EVSE closed the connection ($want)"
    else
        ko "link-v2gtp-$name" "rc=$rc; see $OUT/evse-$name.log"
    fi
done

# --- 3. no EVSE: CM_SLAC_PARM.REQ unanswered -> retried, then failed with the reason
ip netns exec "$B" "$EVSIM" --iface veth-ev --no-modem --timeout 8 >"$OUT/ev-noevse.log" 2>&1
rc=$?
n=$(grep -c "CM_SLAC_PARM.REQ sent" "$OUT/ev-noevse.log")
if [ $rc != 0 ] && grep -q "failed: no CM_SLAC_PARM.CNF" "$OUT/ev-noevse.log"; then
    ok "link-no-evse: EV gave up after its retries with 'no CM_SLAC_PARM.CNF'"
else
    ko link-no-evse "rc=$rc; see $OUT/ev-noevse.log"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
