#!/usr/bin/env bash
# wireshark_test.sh PLUGIN SHARED WORKDIR - the Wireshark plugin (issue 22, item 5):
# `tshark -r CAPTURE -O v2gtp` with the plugin in a temporary personal plugin folder, on a
# DIN, an ISO-2 and an ISO-20 capture of the shared vectors: the decoded message names, in
# order, must be those of the session JSONL; an SDP exchange shows the announced port.
# Wireshark ignores personal plugins when run as root (its "special privileges" rule), so
# as root tshark runs as nobody (setpriv); nobody may not read the tree (a clone under
# /root), so the captures come on standard input, opened by the caller, and the plugin and
# the key log sit in a temporary folder. PASS/FAIL lines, then "N passed, N failed".
set -u
plugin=$1; shared=$2; work=$3
raw="$shared/vectors/raw/dsv2gshark"
if [ ! -d "$raw" ]; then
    echo "SKIP wireshark: $raw not found (the shared captures are read in place, SHARED=$shared)"
    echo "0 passed, 0 failed"
    exit 0
fi
pass=0; fail=0
check() { # RC TEXT
    if [ "$1" = 0 ]; then echo "PASS wireshark $2"; pass=$((pass + 1));
    else echo "FAIL wireshark $2"; fail=$((fail + 1)); fi
}
mkdir -p "$work"
home=$(mktemp -d /tmp/v2g-ws.XXXXXX)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan"
cp "$plugin" "$home/.local/lib/wireshark/plugins/4.0/epan/v2gtp.so"
chmod -R a+rX "$home"
as_user=()
if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
ts() { HOME="$home" "${as_user[@]}" tshark "$@" 2>/dev/null; }

ts -G plugins | grep -q 'v2gtp.so'
check $? "tshark lists the plugin (v2gtp.so)"

for name in DIN_DC_DS5366_Josev ISO-2_DC_DS5366 ISO-20_BPT_AC_DS5366_Josev; do
    cap="$raw/$name.pcapng"
    ref="$shared/vectors/sessions/$name.pcapng.jsonl"
    ts -r - -O v2gtp <"$cap" >"$work/$name.txt"
    sed -n 's/^ *Message: //p' "$work/$name.txt" >"$work/$name.got"
    python3 -c 'import json,sys; [print(l["msg"]) for l in map(json.loads, open(sys.argv[1])) if l["p"] == "V2GTP"]' \
        "$ref" >"$work/$name.want"
    n=$(wc -l <"$work/$name.want")
    cmp -s "$work/$name.got" "$work/$name.want"
    r=$?
    check $r "$name: tshark -O v2gtp decodes the $n V2GTP messages of the session, in order"
    [ $r = 0 ] || diff "$work/$name.want" "$work/$name.got" | head -n 5 | sed 's/^/    /'
done
grep -q 'XML: <V2G_Message><Header>' "$work/DIN_DC_DS5366_Josev.txt" &&
    grep -q 'Values: .*ev_target_voltage_V=' "$work/DIN_DC_DS5366_Josev.txt"
check $? "DIN: the full XML and the key values are in the tree"
grep -q 'SDP: SECCDiscoveryRes port=' "$work/DIN_DC_DS5366_Josev.txt"
check $? "DIN: the SDP response shows the announced TCP port"
grep -q 'Schema: iso20_ac' "$work/ISO-20_BPT_AC_DS5366_Josev.txt"
check $? "ISO-20: AC messages decoded with the -20 AC schema (payload type 0x8003)"
# TLS 1.3: Wireshark decrypts with the key-log lines the tester sent in the capture; the
# plugin's TLS heuristic takes the decrypted V2GTP.
name=ISO-20_TLS13_DC_DS5366_Josev
python3 -c 'import re,sys; [print(b" ".join(m).decode()) for m in re.findall(rb"((?:CLIENT|SERVER)_[A-Z_0-9]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]{32,})", open(sys.argv[1], "rb").read())]' \
    "$raw/$name.pcapng" >"$home/keys"
chmod a+r "$home/keys"
ts -r - -o "tls.keylog_file:$home/keys" -O v2gtp <"$raw/$name.pcapng" >"$work/$name.txt"
sed -n 's/^ *Message: //p' "$work/$name.txt" >"$work/$name.got"
python3 -c 'import json,sys; [print(l["msg"]) for l in map(json.loads, open(sys.argv[1])) if l["p"] == "V2GTP"]' \
    "$shared/vectors/sessions/$name.pcapng.jsonl" >"$work/$name.want"
cmp -s "$work/$name.got" "$work/$name.want"
r=$?
check $r "$name: over TLS 1.3 with the capture's key log, the $(wc -l <"$work/$name.want") messages in order"
[ $r = 0 ] || diff "$work/$name.want" "$work/$name.got" | head -n 5 | sed 's/^/    /'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
