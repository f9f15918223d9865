#!/usr/bin/env bash
# v2g_codec_test.sh V2G_CODEC - the hex input forms people paste, the V2GTP header, and an
# exit status that says when a line failed. PASS/FAIL per check, then "N passed, N failed".
set -u
codec=$1
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [ "$1" = 0 ]; then echo "PASS v2g_codec $2"; pass=$((pass + 1));
          else echo "FAIL v2g_codec $2"; fail=$((fail + 1)); fi; }
# A DIN CurrentDemandReq (docs/exi.md's reference message).
hex=809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a1503c00
printf '%s\n' "$hex" | "$codec" decode din >"$tmp/plain" 2>"$tmp/plain.err"; rc=$?
[ "$rc" = 0 ] && grep -q '^<V2G_Message>' "$tmp/plain" && [ ! -s "$tmp/plain.err" ]
check $? "plain: bare hex decodes, exit $rc, nothing on stderr"
want=$(cat "$tmp/plain")
form() { # NAME INPUT NOTE: the input decodes to the same XML and stderr names NOTE
    printf '%s\n' "$2" | "$codec" decode din >"$tmp/$1" 2>"$tmp/$1.err"; local rc=$?
    [ "$rc" = 0 ] && [ "$(cat "$tmp/$1")" = "$want" ] && grep -q "$3" "$tmp/$1.err"
    check $? "$1: decodes like bare hex (exit $rc), stderr: $(head -c 120 "$tmp/$1.err" | tr '\n' ' ')"
}
form spaces "$(echo "$hex" | sed 's/../& /g')" 'separators removed'
form prefix "0x$hex" '0x prefix removed'
form byte-prefix "$(echo "$hex" | sed 's/../0x& /g')" '0x prefix removed'
form colons "$(echo "$hex" | sed 's/../&:/g; s/:$//')" 'separators removed'
len=$(( ${#hex} / 2 ))
form v2gtp "$(printf '01fe8001%08x%s' "$len" "$hex")" 'V2GTP header stripped (payload type 0x8001)'
printf '01fe8001%08x%s\n' "$((len + 3))" "$hex" | "$codec" decode din >"$tmp/badlen" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "V2GTP header says $((len + 3)) payload bytes, $len follow" "$tmp/badlen"
check $? "v2gtp-length: a header whose length disagrees is an error naming both (exit $rc)"
printf '%s\nzz\n%s\n' "$hex" "$hex" | "$codec" decode din >"$tmp/mixed" 2>"$tmp/mixed.err"; rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/mixed")" = 3 ] && sed -n 2p "$tmp/mixed" | grep -q "^ERROR .*'z' at column 1" \
    && grep -q '1 of 3 lines failed' "$tmp/mixed.err"
check $? "bad-line: one bad line of three -> its ERROR line, exit $rc, count on stderr"
printf '%s0\n' "$hex" | "$codec" decode din >"$tmp/odd" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'odd number of hex digits' "$tmp/odd"
check $? "odd-digits: exit $rc with the reason"
printf '8000\n' | "$codec" decode din >"$tmp/undec" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q '^ERROR' "$tmp/undec"
check $? "undecodable: EXI that does not decode exits $rc"
printf '<V2G_Message>nonsense\n' | "$codec" encode din >"$tmp/enc" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q '^ERROR' "$tmp/enc"
check $? "encode-error: XML that does not parse exits $rc"
printf '%s\n' "$want" | "$codec" encode din >"$tmp/enc-ok" 2>&1; rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/enc-ok")" = "$hex" ]
check $? "encode: the decoded XML encodes back to the same bytes (exit $rc)"
"$codec" --help >"$tmp/help" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q '^usage: v2g-codec' "$tmp/help" && grep -q 'V2GTP' "$tmp/help"
check $? "help: --help exits $rc and describes the input forms"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
