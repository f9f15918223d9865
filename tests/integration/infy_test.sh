#!/usr/bin/env bash
# Integration test of the InfyPower driver (firmware/psu_infy.c + protocols/infypower/)
# against the module emulator infysim on vcan, through psu-ctl, in ONE tools/vcan-run call.
#
#   tests/integration/infy_test.sh BUILD/bin/infysim BUILD/bin/psu-ctl
#
# Scenarios: 1, 4 (with malformed frames from cansend and internal 0x17 traffic), 60
# modules (bus load and poll gaps from candump -t), group addressing; then in parallel:
# a module that stops answering (kept until the offline timeout, dropped, rejoins),
# all modules lost (CommunicationFault, off), and the modules' own 10 s switch-off when
# the controller goes silent. Prints PASS/FAIL lines and "N passed, N failed".
# INFY_FIGURES=FILE also writes the measured figures there.
set -u
if [ "${1:-}" != "--inner" ]; then
    sim=${1:?usage: $0 INFYSIM PSU_CTL}; ctl=${2:?usage: $0 INFYSIM PSU_CTL}
    root=$(cd "$(dirname "$0")/../.." && pwd)
    for b in "$sim" "$ctl"; do
        if [ ! -x "$b" ]; then echo "FAIL setup: $b is not built"; echo "0 passed, 1 failed"; exit 1; fi
    done
    sim=$(cd "$(dirname "$sim")" && pwd)/$(basename "$sim")
    ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    cd "$root" || exit 1
    "$root/tools/vcan-run" --ifaces vcan0,vcan1,vcan2,vcan3,vcan4,vcan5,vcan6 \
        --timeout "${INFY_TIMEOUT:-1800}" -- "$root/tests/integration/infy_test.sh" --inner "$sim" "$ctl" |
        tee "$out"
    rc=${PIPESTATUS[0]}
    if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
        echo "FAIL infy: ended without a summary (exit status $rc)"
        echo "$(grep -c '^PASS ' "$out") passed, $(($(grep -c '^FAIL ' "$out") + 1)) failed"
        [ "$rc" != 0 ] || rc=1
    fi
    if [ -n "${INFY_FIGURES:-}" ]; then grep '^FIGURE ' "$out" > "$INFY_FIGURES"; fi
    exit "$rc"
fi

# ------------------------------------------------------------------ inside the VM
sim=$2; ctl=$3
w=$(mktemp -d /tmp/infy.XXXXXX)
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Analyse a candump -L log: controller frames (source 0xF0), spacing, poll gaps, load.
analyse() {  # LOG MIN_SPACING_MS
    python3 - "$1" "$2" <<'PY'
import sys
log, min_sp = sys.argv[1], float(sys.argv[2])
# The driver paces in its own loop time; what candump sees also carries the scheduling
# delay between reading the clock and write() in a busy (emulated) VM. Gaps shorter than
# the rule by more than this are counted as violations; the minimum is printed as is.
# 35 ms, not 15: at load 15 on 2 cores a write delayed behind a stall left 22.5 ms between
# two frames paced 50 ms apart in the driver's time. The 50 ms rule itself is pinned on a
# fake clock (test_infy_driver); this still catches a driver that does not pace at all.
TOL_MS = float(__import__('os').environ.get('INFY_SPACING_TOL_MS', '35'))
def crc15(bits):
    crc = 0
    for b in bits:
        nxt = b ^ ((crc >> 14) & 1)
        crc = (crc << 1) & 0x7FFF
        if nxt: crc ^= 0x4599
    return crc
def frame_bits(cid, data):
    # extended data frame: SOF, base id(11), SRR, IDE, ext id(18), RTR, r1, r0, DLC, data, CRC
    b = [0] + [(cid >> (28 - i)) & 1 for i in range(11)] + [1, 1] + \
        [(cid >> (17 - i)) & 1 for i in range(18)] + [0, 0, 0] + \
        [(len(data) >> (3 - i)) & 1 for i in range(4)]
    for byte in data: b += [(byte >> (7 - i)) & 1 for i in range(8)]
    c = crc15(b); b += [(c >> (14 - i)) & 1 for i in range(15)]
    stuffed, run, last = 0, 0, None
    for x in b:
        if x == last: run += 1
        else: run, last = 1, x
        if run == 5: stuffed += 1; run, last = 1, 1 - x
    return len(b) + stuffed + 1 + 1 + 1 + 7 + 3   # CRC delim, ACK, ACK delim, EOF, IFS
frames = []
for line in open(log):
    p = line.split()
    if len(p) < 3 or '#' not in p[2]: continue
    t = float(p[0].strip('()')); cid, data = p[2].split('#')
    frames.append((t, int(cid, 16), bytes.fromhex(data)))
if not frames: print("nframes=0"); sys.exit(0)
ctrl = [f for f in frames if (f[1] & 0xFF) == 0xF0]
sp = [b[0] - a[0] for a, b in zip(ctrl, ctrl[1:])]
gaps, last = {}, {}
for t, cid, d in ctrl:
    if (cid >> 16) & 0x3F == 0x04:
        dst = (cid >> 8) & 0xFF
        if dst in last: gaps[dst] = max(gaps.get(dst, 0), t - last[dst])
        last[dst] = t
t0, t1 = frames[0][0], frames[-1][0]
span = max(t1 - t0, 1e-9)
bits = sum(frame_bits(c, d) for _, c, d in frames)
print("nframes=%d nctrl=%d span_s=%.3f fps=%.1f ctrl_fps=%.1f min_spacing_ms=%.2f "
      "spacing_violations=%d worst_poll_gap_ms=%.1f polled_modules=%d bits_per_s=%.0f "
      "load_125k_pct=%.1f avg_bits_per_frame=%.1f"
      % (len(frames), len(ctrl), span, len(frames) / span, len(ctrl) / span,
         min(sp) * 1000 if sp else 0, sum(1 for s in sp if s * 1000 < min_sp - TOL_MS),
         max(gaps.values()) * 1000 if gaps else 0, len(gaps), bits / span,
         bits / span / 125000 * 100, bits / len(frames)))
PY
}
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---------------------------------------------------------------- 1 module
"$sim" --can vcan0 --modules 0 --load-ohm 10 --run-s 14 >"$w/s1.out" 2>&1 &
sleep 0.3
candump -L vcan0 >"$w/d1.log" 2>/dev/null & cd1=$!
"$ctl" --can vcan0 --modules 0 --voltage 400 --current 20 --seconds 3 >"$w/c1.out" 2>"$w/c1.err"; rc1=$?
sleep 0.2; kill $cd1 2>/dev/null; wait $cd1 2>/dev/null
last1=$(tail -n 1 "$w/c1.out")
check one-module-run "[ $rc1 = 0 ]" "psu-ctl exit $rc1: $(tail -n 3 "$w/c1.out" | tr '\n' '|')"
check one-module-summary "echo '$last1' | grep -Eq '^modules=1 voltage=200\.[0-9] current=(19\.[5-9][0-9]|20\.[0-4][0-9])$'" "last line '$last1'"
check one-module-serial "grep -q 'module 0x00 SN_130C15A3FB06A8V 50..1000 V 100.0 A 30000 W' '$w/c1.out'" "no module line"
first=$(grep -m1 ' vcan0 ' "$w/d1.log" | awk '{print $3}')
check one-module-off-first "[ '$first' = '029A00F0#0100000000000000' ]" "first frame $first"
check one-module-setpoint-frame "grep -q ' vcan0 029C00F0#00061A8000004E20$' '$w/d1.log'" "no 0x1C 400 V / 20 A frame"
check one-module-on-frame "grep -q ' vcan0 029A00F0#0000000000000000$' '$w/d1.log'" "no 0x1A on frame"
check one-module-read-frames "grep -q ' vcan0 028300F0#0000000000000000$' '$w/d1.log' && grep -q ' vcan0 028400F0#0000000000000000$' '$w/d1.log' && grep -q ' vcan0 028C00F0#0000000000000000$' '$w/d1.log' && grep -q ' vcan0 028A00F0#0000000000000000$' '$w/d1.log' && grep -q ' vcan0 028B00F0#0000000000000000$' '$w/d1.log'" "a read request is missing"
check one-module-answers "grep -q ' vcan0 028AF000#03E8003203E80BB8$' '$w/d1.log'" "no capability answer"
a1=$(analyse "$w/d1.log" 50)
check one-module-spacing "[ '$(kv "$a1" spacing_violations)' = 0 ]" "$a1"
check one-module-no-ext-flag-in-id "! awk '{print \$3}' '$w/d1.log' | grep -Eq '^[89A-F][0-9A-F]{7}#'" "an id has bit 31 set"

# ---------------------------------------------------------------- 4 modules + hostile frames
"$sim" --can vcan1 --modules 0-3 --load-ohm 2 --internal-hz 200 --run-s 16 >"$w/s4.out" 2>&1 &
sleep 0.3
candump -L vcan1 >"$w/d4.log" 2>/dev/null & cd4=$!
"$ctl" --can vcan1 --modules 0-3 --voltage 500 --current 100 --seconds 6 >"$w/c4.out" 2>"$w/c4.err" & p4=$!
sleep 3
for i in $(seq 1 30); do
    cansend vcan1 0283F000#45F30800          # DLC 4: 7777 V
    cansend vcan1 0E83F000#45F3080045F30800  # error field 3
    cansend vcan1 0283F100#45F3080045F30800  # to another controller
    cansend vcan1 0283F009#45F3080045F30800  # from an unlisted module
    cansend vcan1 0757F800#45F3080045F30800  # internal traffic
    cansend vcan1 283#45F3080045F30800       # standard frame
    cansend vcan1 0283F000#R                 # remote frame
    cansend vcan1 0283F000#7FC000007FC00000  # NaN readings
    cansend vcan1 0284F000#00000000001FFF    # status, DLC 7
    sleep 0.1
done
wait $p4; rc4=$?
sleep 0.2; kill $cd4 2>/dev/null; wait $cd4 2>/dev/null
last4=$(tail -n 1 "$w/c4.out")
check four-modules-run "[ $rc4 = 0 ]" "psu-ctl exit $rc4: $(tail -n 3 "$w/c4.out" | tr '\n' '|')"
check four-modules-summary "echo '$last4' | grep -Eq '^modules=4 voltage=200\.[0-9] current=(99\.[5-9][0-9]|100\.[0-4][0-9])$'" "last line '$last4'"
check four-modules-share "grep -Eq '0x00:200\.0V/25\.00A 0x01:200\.0V/25\.00A 0x02:200\.0V/25\.00A 0x03:200\.0V/25\.00A' '$w/c4.out'" "no line with 25 A each"
check four-modules-malformed-ignored "! grep -q '7777' '$w/c4.out' && ! grep -qi 'nan' '$w/c4.out'" "a hostile reading reached the telemetry"
check four-modules-setpoints "[ \$(grep -c ' vcan1 029C0[0-3]F0#0007A120000061A8$' '$w/d4.log') -ge 4 ]" "0x1C 500 V / 25 A not sent to all four"
grep -v '0757F8\|#R\|F000#45F30800$' "$w/d4.log" | grep -v ' 0E83\| 0283F1\| 0283F009\| 283#\|7FC00000\|0284F000#00000000001FFF' >"$w/d4c.log"
a4=$(analyse "$w/d4c.log" 50)
# Poll gaps while on (from the first "on" to the first "off" after it): the "off" burst at
# the end may stretch one gap by a slot per module (docs/power-stage.md).
python3 - "$w/d4c.log" >"$w/d4on.log" <<'PY'
import sys
ls = open(sys.argv[1]).read().splitlines()
ton = next((i for i, l in enumerate(ls) if ' 029A00F0#00' in l), None)
toff = next((i for i, l in enumerate(ls) if ton is not None and i > ton and '#01' in l and ' 029A0' in l), len(ls))
print('\n'.join(ls[ton:toff] if ton is not None else []))
PY
a4on=$(analyse "$w/d4on.log" 50)
check four-modules-spacing "[ '$(kv "$a4" spacing_violations)' = 0 ]" "$a4"
# Poll gaps are wall-clock gaps inside a TCG VM on a possibly loaded host: the 1 s rule
# is pinned on a fake clock in test_infy_driver, and the measured gap is printed as a
# figure (issue 12 item 17). The bound here is the functional one, not a speed: every
# module polled well inside the driver's offline timeout (15 s), which would declare it
# lost. (2.5 s failed on a loaded CI host: a descheduled VM stretched one gap to 3.1 s.)
INFY_GAP_MAX_MS=${INFY_GAP_MAX_MS:-7500}
echo "FIGURE four-modules worst poll gap $(kv "$a4on" worst_poll_gap_ms) ms"
check four-modules-poll-gap "awk 'BEGIN{exit !($(kv "$a4on" worst_poll_gap_ms) <= $INFY_GAP_MAX_MS && $(kv "$a4on" polled_modules) == 4)}'" "$a4on"
echo "FIGURE four-modules-whole-run $a4"
check four-modules-survived "grep -q '^off: output below the safe current' '$w/c4.out'" "$(tail -n 2 "$w/c4.out" | head -n 1)"

# ---------------------------------------------------------------- 60 modules
"$sim" --can vcan2 --modules 0-59 --load-ohm 0.2 --run-s 30 >"$w/s60.out" 2>&1 &
sleep 0.5
candump -L vcan2 >"$w/d60.log" 2>/dev/null & cd60=$!
# --off-wait-ms: sixty modules' answers after "off" can take longer than the driver's
# 1.5 s in a starved VM; the check is the proof itself (the 1.5 s window is unit-tested).
"$ctl" --can vcan2 --modules 0-59 --voltage 400 --current 1200 --seconds 8 --discover-s 10 --off-wait-ms 10000 >"$w/c60.out" 2>"$w/c60.err"; rc60=$?
sleep 0.2; kill $cd60 2>/dev/null; wait $cd60 2>/dev/null
last60=$(tail -n 1 "$w/c60.out")
check sixty-modules-run "[ $rc60 = 0 ]" "psu-ctl exit $rc60: $(tail -n 4 "$w/c60.out" | tr '\n' '|')"
check sixty-modules-summary "echo '$last60' | grep -Eq '^modules=60 voltage=240\.[0-9] current=(1199\.[5-9][0-9]|1200\.[0-4][0-9])$'" "last line '$last60'"
# the steady part: the last 5 s while on
t_on=$(python3 -c "
import sys
ts=[float(l.split()[0].strip('()')) for l in open('$w/d60.log') if ' 029A00F0#00' in l]
print(ts[0] if ts else 0)")
awk -v t="$t_on" '{x=$1; gsub(/[()]/,"",x); if (x + 0 >= t + 1.5 && x + 0 <= t + 6.5) print}' "$w/d60.log" >"$w/d60s.log"
a60=$(analyse "$w/d60s.log" 3)
echo "FIGURE sixty-modules-steady $a60"
echo "FIGURE sixty-modules worst poll gap $(kv "$a60" worst_poll_gap_ms) ms"
check sixty-modules-poll-gap "awk 'BEGIN{exit !($(kv "$a60" worst_poll_gap_ms) <= $INFY_GAP_MAX_MS && $(kv "$a60" polled_modules) == 60)}'" "$a60"
check sixty-modules-spacing "[ '$(kv "$a60" spacing_violations)' = 0 ]" "$a60"

# ---------------------------------------------------------------- group addressing
"$sim" --can vcan6 --group 2 --count 3 --load-ohm 5 --run-s 12 >"$w/sg.out" 2>&1 &
sleep 0.3
candump -L vcan6 >"$w/dg.log" 2>/dev/null & cdg=$!
"$ctl" --can vcan6 --group 2 --voltage 300 --current 30 --seconds 3 >"$w/cg.out" 2>"$w/cg.err"; rcg=$?
sleep 0.2; kill $cdg 2>/dev/null; wait $cdg 2>/dev/null
check group-run "[ $rcg = 0 ] && tail -n 1 '$w/cg.out' | grep -Eq '^modules=3 voltage=150\.[0-9] current=(29\.[5-9][0-9]|30\.[0-4][0-9])$'" "exit $rcg, $(tail -n 1 "$w/cg.out")"
check group-count-request "grep -q ' vcan6 02C202F0#0000000000000000$' '$w/dg.log'" "no group count request"

# ---------------------------------------------------------------- long scenarios, in parallel
# (a) one module stops answering, is kept in the sum until the 12 s offline timeout, rejoins
# The emulators end on "quit" below; --run-s is only a hang guard. It was 45 s, which a
# loaded VM outran (psu-ctl's start is delayed by seconds): the emulators were gone when
# the script wrote to their control FIFOs, and SIGPIPE killed the script (exit 141). Writes
# to the FIFOs are also made harmless: a missing reader shows as a failed check, not a
# dead script.
trap '' PIPE
mkfifo "$w/ctl3" "$w/ctl4" "$w/ctl5"
"$sim" --can vcan3 --modules 0-3 --load-ohm 10 --ctl "$w/ctl3" --run-s 180 >"$w/s3.out" 2>&1 &
# (b) every module lost: CommunicationFault, forced off
"$sim" --can vcan4 --modules 0,1 --load-ohm 10 --ctl "$w/ctl4" --run-s 180 >"$w/s5.out" 2>&1 &
# (c) the controller goes silent: the modules switch themselves off after 10 s
"$sim" --can vcan5 --modules 0,1 --load-ohm 10 --ctl "$w/ctl5" --run-s 180 >"$w/s6.out" 2>&1 &
sleep 0.5
candump -L vcan4 >"$w/d5.log" 2>/dev/null & cd5=$!
T0=$(ms)
"$ctl" --can vcan3 --modules 0-3 --voltage 400 --current 40 --seconds 34 --offline-timeout 12 >"$w/c3.out" 2>"$w/c3.err" & p3=$!
"$ctl" --can vcan4 --modules 0,1 --voltage 400 --current 20 --seconds 26 --offline-timeout 11 >"$w/c5.out" 2>"$w/c5.err" & p5=$!
"$ctl" --can vcan5 --modules 0,1 --voltage 400 --current 20 --seconds 30 >"$w/c6.out" 2>"$w/c6.err" & p6=$!
exec 7>"$w/ctl3" 8>"$w/ctl4" 9>"$w/ctl5"
# psu-ctl's "t=S" counts from its own start, which a loaded VM delays by seconds after T0
# (seen: the 9 s line then fell 4 s later, past the 12 s timeout). Put T0 on its clock,
# from its first status line, and mute at its 6th second as designed.
first=""
for _ in $(seq 600); do
    first=$(grep -m1 -o '^t=[0-9]*' "$w/c3.out" 2>/dev/null) && [ -n "$first" ] && break
    sleep 0.1
done
[ -n "$first" ] && T0=$(( $(ms) - ${first#t=} * 1000 ))
left=$(( T0 + 6000 - $(ms) ))
[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
echo "mute 3" >&7; T_MUTE=$(( $(ms) - T0 ))
echo "mute all" >&8
kill -STOP $p6; T_STOP=$(ms)
sleep 11.5
kill -CONT $p6
echo "status" >&9
sleep 8.5
echo "unmute 3" >&7; T_UNMUTE=$(( $(ms) - T0 ))
wait $p3; rc3=$?; wait $p5; rc5=$?; wait $p6
kill $cd5 2>/dev/null; wait $cd5 2>/dev/null
{ echo quit >&7; echo quit >&8; echo quit >&9; } 2>/dev/null
exec 7>&- 8>&- 9>&-
wait

# (a): lines are "t=S ...", S counted from psu-ctl's start (~T0)
line_at() { awk -v s="$2" '$1 == "t=" s' "$1"; }
tm=$(( (T_MUTE + 999) / 1000 ))
# its last status came at most one poll period before the mute: it must not be dropped
# before mute + 11 s; 9 s after the mute (past nothing but half the timeout) it is kept
kept=$(line_at "$w/c3.out" $((T_MUTE / 1000 + 9)))
gone=$(line_at "$w/c3.out" $((tm + 14)))
back=$(line_at "$w/c3.out" $(( (T_UNMUTE + 999) / 1000 + 3 )))
check loss-kept-until-timeout "echo '$kept' | grep -q 'online=4 active=4 .*caps_current=400.0' && echo '$kept' | grep -q '0x03:'" "9 s after the loss: '$kept'"
check loss-dropped-after-timeout "echo '$gone' | grep -q 'online=3 active=3 .*caps_current=300.0' && echo '$gone' | grep -q '0x03:lost:'" "14 s after the loss: '$gone'"
check loss-share-recomputed "echo '$gone' | grep -Eq 'current=40\.00' && echo '$gone' | grep -Eq '0x00:[0-9.]+V/13\.3[34]A'" "'$gone'"
check loss-drop-logged "grep -Eq 'Infy\[0x03/SN_130C15A3FB06ABV\] dropped: no status for 1[23][0-9]{3} ms' '$w/c3.err'" "$(grep dropped "$w/c3.err")"
check loss-rejoin "echo '$back' | grep -q 'online=4 active=4 .*caps_current=400.0' && echo '$back' | grep -Eq '0x03:[0-9.]+V/10\.00A'" "after the module came back: '$back'"
check loss-module-watchdog "grep -q 'module 0x03 watchdog: no controller traffic for 10 s, output off' '$w/s3.out'" "the muted module did not switch itself off"
# (b)
check all-lost-comm-fault "grep -q 'Infy: every module is lost: CommunicationFault (High), output forced off' '$w/c5.err' && grep -q '^error: CommunicationFault (High) system' '$w/c5.out'" "$(grep -i 'lost\|error' "$w/c5.out" "$w/c5.err" | head -3 | tr '\n' '|')"
check all-lost-mode "grep -Eq 'mode=fault online=0 active=0 .*current=0.00 valid=1' '$w/c5.out'" "$(tail -n 6 "$w/c5.out" | head -n 1)"
check all-lost-exit "[ $rc5 != 0 ]" "psu-ctl claimed success with every module lost"
t_lost=$(python3 -c "
ts=[float(l.split()[0].strip('()')) for l in open('$w/d5.log') if ' 0284F00' in l]
print(ts[-1] if ts else 0)")
offs_after=$(awk -v t="$t_lost" '{x=$1; gsub(/[()]/,"",x); if (x + 0 > t + 10.9 && $3 ~ /^029A0[01]F0#01/) print $3}' "$w/d5.log" | sort -u | wc -l)
check all-lost-off-sent "[ $offs_after -ge 2 ]" "no 'off' frames to both modules after the timeout"
# (c)
wd=$(grep -c 'watchdog: no controller traffic for 10 s, output off' "$w/s6.out")
check silent-controller-switch-off "[ $wd = 2 ] && grep -q 'status module 0x00 on=0 .*watchdog_tripped=1' '$w/s6.out' && grep -q 'status module 0x01 on=0 .*watchdog_tripped=1' '$w/s6.out'" "watchdog lines: $wd; $(grep '^status' "$w/s6.out" | tr '\n' '|')"
wdt=$(python3 - "$w/s6.out" <<'PY'
import sys
ls = [l for l in open(sys.argv[1]) if l[:1] == ' ' or l[:1].isdigit()]
ts = [float(l.split()[0]) for l in ls if 'watchdog' in l]
on = [float(l.split()[0]) for l in ls if l.rstrip().endswith(' on')]
print("%.1f" % (min(ts) - max(on)) if ts and on else "0")
PY
)
check silent-controller-not-early "awk 'BEGIN{exit !($wdt >= 10.0)}'" "switched off ${wdt} s after the last 'on'"

echo "FIGURE infy-1-module $(kv "$a1" min_spacing_ms) ms minimum spacing"
echo "$pass passed, $fail failed"
rm -rf "$w"
[ "$fail" -eq 0 ]
