#!/usr/bin/env bash
# report.sh OUTDIR - the fault-injection report from the scenarios run so far:
# OUTDIR/list.sim (tools/faults/run.sh, the simulator) and OUTDIR/list.real
# (tools/faults/real.sh, real transports), each scenario's OUTDIR/scenarios/NAME.{txt,svg,rc}.
# Writes OUTDIR/report.txt and OUTDIR/report.html (self-contained, one inline SVG timeline
# per scenario); prints "PASS/FAIL faults/NAME" and last exactly "N passed, N failed".
# A scenario without a verdict counts as failed.
set -u
out=${1:?usage: $0 OUTDIR}
list=$(cat "$out/list.sim" "$out/list.real" 2>/dev/null)
[ -n "$list" ] || { echo "faults: no scenarios run in $out"; echo "0 passed, 1 failed"; exit 2; }
version=$(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null)
pass=0 fail=0
txt=$out/report.txt html=$out/report.html
{
    echo "Fault-injection report ($(date -u +%Y-%m-%dT%H:%M:%SZ), tree ${version:-unknown})"
    echo "Every invariant is judged from the plant's physical state: sampled each simulated"
    echo "millisecond in the simulator, every 5 ms by the Linux board's plant (real-* scenarios)."
    echo
} > "$txt"
{
    echo "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Fault-injection report</title>"
    echo "<style>body{font-family:sans-serif;margin:1em}pre{background:#f6f6f6;padding:.5em}"
    echo ".PASS{color:#070}.FAIL{color:#b00}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>"
    echo "</head><body><h1>Fault-injection report</h1>"
    echo "<p>Each scenario: the fault, when it strikes, what must follow, the invariants checked from the"
    echo "plant's physical state (1 ms samples in the simulator; 5 ms samples of the Linux board's plant"
    echo "for the <code>real-*</code> scenarios, which run on vcan, veth and a pty), and a timeline (phase,"
    echo "voltage, current, contactors, lock, stage, fault window; the dashed line is the instant the"
    echo "fault struck).</p>"
    echo "<table><tr><th>scenario</th><th>verdict</th><th>fault</th></tr>"
} > "$html"
body=$(mktemp)
# Builtins where a fork per scenario was (217 scenarios, ten processes each: seconds of CPU
# in make test); the HTML escaping stays one sed per scenario's file.
exec 3>>"$txt" 4>>"$html" 5>>"$body"
for s in $list; do
    rc=99; [ -r "$out/scenarios/$s.rc" ] && { read -r rc <"$out/scenarios/$s.rc" || rc=${rc:-}; }
    f=$out/scenarios/$s.txt
    first=""; what=""
    if [ -s "$f" ]; then
        IFS= read -r first <"$f" || true
        while IFS= read -r line || [ -n "$line" ]; do
            case $line in
            "  fault:    "*) t=${line#"  fault:    "}; t=${t//'&'/'&amp;'}; what+=${t//'<'/'&lt;'}$'\n' ;;
            esac
        done <"$f"
        what=${what%$'\n'}
    fi
    if [ "$rc" = 0 ] && [ -s "$f" ] && [[ $first == *': PASS' ]]; then
        v=PASS; pass=$((pass + 1))
    else
        v=FAIL; fail=$((fail + 1))
    fi
    echo "$v faults/$s"
    if [ -s "$f" ]; then cat "$f" >&3; else
        { echo "scenario $s: FAIL (exit $rc, no verdict)"; tail -n 15 "$out/scenarios/$s.log" | sed 's/^/    /'; } >&3
    fi
    echo >&3
    echo "<tr><td><a href='#$s'>$s</a></td><td class='$v'>$v</td><td>$what</td></tr>" >&4
    {
        echo "<h2 id='$s'>$s: <span class='$v'>$v</span></h2><pre>"
        if [ -s "$f" ]; then sed 's/&/\&amp;/g;s/</\&lt;/g;s/>/\&gt;/g' "$f"; else echo "exit $rc, no verdict"; fi
        echo "</pre>"
        [ -s "$out/scenarios/$s.svg" ] && cat "$out/scenarios/$s.svg"
    } >&5
done
exec 3>&- 4>&- 5>&-
echo "</table>" >> "$html"
cat "$body" >> "$html"; rm -f "$body"
echo "<p>$pass passed, $fail failed</p></body></html>" >> "$html"
echo "$pass passed, $fail failed" >> "$txt"
echo "report: $txt, $html"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
