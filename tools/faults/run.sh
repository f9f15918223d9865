#!/usr/bin/env bash
# run.sh SIM OUTDIR [SCENARIO...] - run fault-injection scenarios against the simulator
# board (build/bin/sim --scenario NAME) and write OUTDIR/report.txt and OUTDIR/report.html
# (self-contained, one inline SVG timeline per scenario). Without SCENARIO names, every
# scenario of `sim --list-scenarios`. The last line is exactly "N passed, N failed";
# the exit status is non-zero when a scenario failed. Runs at most $FAULTS_JOBS (2) at once.
set -u
sim=$1; out=$2; shift 2
jobs=${FAULTS_JOBS:-2}
mkdir -p "$out/scenarios"
if [ $# -gt 0 ]; then list="$*"; else list=$("$sim" --list-scenarios) || exit 2; fi
[ -n "$list" ] || { echo "faults: no scenarios"; exit 2; }

run_one() {  # NAME
    local rc=0
    timeout 300 "$sim" --scenario "$1" --report-dir "$out/scenarios" > "$out/scenarios/$1.log" 2>&1 || rc=$?
    echo "$rc" > "$out/scenarios/$1.rc"
}
n=0
for s in $list; do
    rm -f "$out/scenarios/$s.txt" "$out/scenarios/$s.svg" "$out/scenarios/$s.rc"
    run_one "$s" &
    n=$((n + 1))
    if [ $((n % jobs)) -eq 0 ]; then wait; fi
done
wait

pass=0 fail=0
txt=$out/report.txt html=$out/report.html
{
    echo "Fault-injection report ($(date -u +%Y-%m-%dT%H:%M:%SZ), $("$sim" --version))"
    echo "Every invariant is judged from the simulated physical state sampled each millisecond."
    echo
} > "$txt"
{
    echo "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Fault-injection report</title>"
    echo "<style>body{font-family:sans-serif;margin:1em}pre{background:#f6f6f6;padding:.5em}"
    echo ".PASS{color:#070}.FAIL{color:#b00}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>"
    echo "</head><body><h1>Fault-injection report</h1>"
    echo "<p>Each scenario: the fault, when it strikes, what must follow, the invariants checked from the"
    echo "simulated physical state (1 ms samples), and a timeline (phase, voltage, current, contactors,"
    echo "lock, stage, fault window; the dashed line is the instant the fault struck).</p>"
    echo "<table><tr><th>scenario</th><th>verdict</th><th>fault</th></tr>"
} > "$html"
body=$(mktemp)
for s in $list; do
    rc=$(cat "$out/scenarios/$s.rc" 2>/dev/null || echo 99)
    f=$out/scenarios/$s.txt
    if [ "$rc" = 0 ] && [ -s "$f" ] && head -n 1 "$f" | grep -q ': PASS$'; then
        v=PASS; pass=$((pass + 1))
    else
        v=FAIL; fail=$((fail + 1))
    fi
    echo "$v faults/$s"
    if [ -s "$f" ]; then cat "$f" >> "$txt"; else
        { echo "scenario $s: FAIL (exit $rc, no verdict)"; tail -n 15 "$out/scenarios/$s.log" | sed 's/^/    /'; } >> "$txt"
    fi
    echo >> "$txt"
    what=$(sed -n 's/^  fault:    //p' "$f" 2>/dev/null | sed 's/&/\&amp;/g;s/</\&lt;/g')
    echo "<tr><td><a href='#$s'>$s</a></td><td class='$v'>$v</td><td>$what</td></tr>" >> "$html"
    {
        echo "<h2 id='$s'>$s: <span class='$v'>$v</span></h2><pre>"
        if [ -s "$f" ]; then sed 's/&/\&amp;/g;s/</\&lt;/g;s/>/\&gt;/g' "$f"; else echo "exit $rc, no verdict"; fi
        echo "</pre>"
        [ -s "$out/scenarios/$s.svg" ] && cat "$out/scenarios/$s.svg"
    } >> "$body"
done
echo "</table>" >> "$html"
cat "$body" >> "$html"; rm -f "$body"
echo "<p>$pass passed, $fail failed</p></body></html>" >> "$html"
echo "$pass passed, $fail failed" >> "$txt"
echo "report: $txt, $html"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
