#!/usr/bin/env bash
# Integration test of the MQTT API (issue 18, docs/mqtt.md): the simulator `sim --mqtt`
# (real time) against a real mosquitto broker on loopback (plain, and TLS with this test's
# own CA and a password file), mosquitto_sub/mosquitto_pub as the integrator, python3
# http.server for firmware downloads (and a server that fails half-way), and fake-rauc, a
# recording installer that stands in for `rauc install` (it is not RAUC and says so).
#   mqtt_test.sh SIM CHARGER
# - subscribe-all during a session: the documented topics, no duplicate publication of an
#   unchanged value, the retained state a late subscriber gets, the last will on SIGKILL
# - commands: lower the current (the car is told the new limit and draws under it), stop,
#   unlock, reset of a held fault; bad commands answered with a reason, nothing changed
# - the update walks: success, failing download (max trials, interval), failing install,
#   a .raucb URL handed to the installer
# - TLS with username/password; a wrong password and an absent broker leave charging alone
# - the Linux board (`charger`, mqtt.* keys) announces itself and says offline at exit;
#   --check refuses bad mqtt.* keys naming the key
# Prints FIGURE lines (messages per minute while charging, command -> effect latency);
# they are not verdicts. Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
SIM=$1 CHARGER=$2
DOC=$(dirname "${BASH_SOURCE[0]}")/../../docs/mqtt.md
W=$(mktemp -d /tmp/mqtt-it.XXXXXX)
pass=0 fail=0
pids=()
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
port() {
    local p hex
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 20000)); hex=$(printf ':%04X ' "$p")
        grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
    echo "$p"
}
# wait_count FILE ERE N [SECONDS]: 0 once FILE has at least N lines matching ERE
wait_count() {
    local end=$((SECONDS + ${4:-30}))
    while [ "$(grep -cE "$2" "$1" 2>/dev/null)" -lt "$3" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
count() { grep -cE "$2" "$1" 2>/dev/null; }
ts_of() { grep -E "$2" "$1" | sed -n "${3:-1}p" | cut -d' ' -f1; }  # unix time of the Nth match
ms_since() { python3 -c "import sys; print(int((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" "$1" "$2"; }
now() { date +%s.%N; }

for t in mosquitto mosquitto_sub mosquitto_pub mosquitto_passwd openssl python3; do
    command -v $t >/dev/null || { bad "tools" "$t missing (tools/deps mosquitto mosquitto-clients)"; echo "$pass passed, $fail failed"; exit 1; }
done

P1=$(port) P2=$(port) P3=$(port) H1=$(port) H2=$(port) P0=$(port)
chmod 755 "$W"   # the broker drops root for the user mosquitto: it reads the files below

# ---- the peers: CA and server certificate, password file, broker, HTTP servers, fake-rauc
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 2 -subj /CN=mqtt-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$W/srv.key" -out "$W/srv.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$W/san.ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -out "$W/srv.pem" -days 2 \
    -extfile "$W/san.ext" 2>/dev/null
mosquitto_passwd -c -b "$W/passwd" charger s3cret 2>/dev/null
chmod 644 "$W"/*
printf 's3cret\n' > "$W/pw.ok"
printf 'wrong\n' > "$W/pw.bad"
cat > "$W/broker.conf" <<CONF
per_listener_settings true
persistence false
listener $P1 127.0.0.1
allow_anonymous true
listener $P2 127.0.0.1
allow_anonymous false
password_file $W/passwd
cafile $W/ca.pem
certfile $W/srv.pem
keyfile $W/srv.key
CONF
mosquitto -c "$W/broker.conf" > "$W/broker.log" 2>&1 &
BROKER=$!
pids+=($BROKER)
# A broker of its own for run C: the Charge Control M topics are global (one charger per
# broker), so two chargers on one broker would both take an update URL.
printf 'persistence false\nlistener %s 127.0.0.1\nallow_anonymous true\n' "$P3" > "$W/broker2.conf"
mosquitto -c "$W/broker2.conf" > "$W/broker2.log" 2>&1 &
pids+=($!)

mkdir -p "$W/www"
yes 'a firmware image for the test' | head -c 300000 > "$W/www/fw.bin"
printf 'BAD-BUNDLE-MARKER\n' > "$W/www/bad.bin"
python3 -m http.server "$H1" --bind 127.0.0.1 --directory "$W/www" > "$W/http.log" 2>&1 &
pids+=($!)
cat > "$W/halfway.py" <<'PY'
# An HTTP server that promises 100000 bytes, sends 1000 and hangs up (a failed download).
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write(self.path + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"x" * 1000)
        self.wfile.flush()
        self.close_connection = True
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$W/halfway.py" "$H2" "$W/halfway.hits" > /dev/null 2>&1 &
pids+=($!)
cat > "$W/fake-rauc" <<SH
#!/bin/sh
# fake-rauc: a stand-in for \`rauc install BUNDLE\` that records its calls. It is NOT RAUC:
# it installs nothing; it copies a downloaded file aside and fails on a file holding
# BAD-BUNDLE-MARKER.
echo "fake-rauc (stand-in for rauc, not rauc): \$*" >> "$W/installer.log"
[ "\$1" = install ] || exit 2
case "\$2" in http://*|https://*) exit 0 ;; esac
if grep -q BAD-BUNDLE-MARKER "\$2"; then echo "fake-rauc: refusing a bad bundle" >&2; exit 1; fi
cp "\$2" "$W/installed.bin"
SH
chmod 755 "$W/fake-rauc"

conf() { # conf NAME ID [extra lines]
    mkdir -p "$W/store-$2"
    { echo "store.dir = $W/store-$2"; echo "mqtt.client_id = $2"; echo "mqtt.installer = $W/fake-rauc install"; echo "mqtt.update_file = $W/$2.update"
      shift 2; for l in "$@"; do echo "$l"; done; } > "$W/$1.conf"
}
conf a cs1
conf b cs2 "mqtt.tls_ca = $W/ca.pem" "mqtt.user = charger" "mqtt.password_file = $W/pw.ok"
conf c cs3
conf d cs4 "mqtt.tls_ca = $W/ca.pem" "mqtt.user = charger" "mqtt.password_file = $W/pw.bad"
conf e cs5

for _ in $(seq 100); do grep -q ":$(printf '%04X' "$P2") " /proc/net/tcp && break; sleep 0.05; done
for _ in $(seq 100); do grep -q ":$(printf '%04X' "$H1") " /proc/net/tcp && grep -q ":$(printf '%04X' "$H2") " /proc/net/tcp && break; sleep 0.05; done

# ---- the integrator's view: everything on the plain listener
for _ in $(seq 100); do grep -q ":$(printf '%04X' "$P3") " /proc/net/tcp && break; sleep 0.05; done
mosquitto_sub -h 127.0.0.1 -p "$P1" -t '#' -F '%U %r %t %p' > "$W/all.txt" 2>&1 &
pids+=($!)
mosquitto_sub -h 127.0.0.1 -p "$P3" -t '#' -F '%U %r %t %p' > "$W/c.txt" 2>&1 &
pids+=($!)
sleep 0.3
pub() { mosquitto_pub -h 127.0.0.1 -p "$P1" -t "$1" -m "$2"; }
B=dcfc/v1/cs1

# Run A: one session of 40 s of current demand on the plain listener (stopped earlier by a command)
"$SIM" --mqtt 127.0.0.1:"$P1" --config "$W/a.conf" --psu ideal --charge-s 40 --sessions 1 --max-s 120 --out - \
    > "$W/sim_a.log" 2>&1 &
SIM_A=$!
pids+=($SIM_A)
# Run C: a held fault (insulation, in the cable check) for the integrator to reset; a second session then
"$SIM" --mqtt 127.0.0.1:"$P3" --config "$W/c.conf" --psu ideal --fault isolation --charge-s 3 --sessions 2 \
    --max-s 90 --out - > "$W/sim_c.log" 2>&1 &
SIM_C=$!
pids+=($SIM_C)
# Run D: a wrong password; Run E: no broker at all. Charging must not notice.
"$SIM" --mqtt 127.0.0.1:"$P2" --config "$W/d.conf" --psu ideal --charge-s 3 --sessions 1 --max-s 60 --out - \
    > "$W/sim_d.log" 2>&1 &
SIM_D=$!
pids+=($SIM_D)
"$SIM" --mqtt 127.0.0.1:"$P0" --config "$W/e.conf" --psu ideal --charge-s 3 --sessions 1 --max-s 60 --out - \
    > "$W/sim_e.log" 2>&1 &
SIM_E=$!
pids+=($SIM_E)

# The Linux board: the same API from `charger` (no devices: it only announces itself)
mkdir -p "$W/store-lx"
printf 'store.dir = %s\nmqtt.host = 127.0.0.1\nmqtt.port = %s\nmqtt.client_id = lx1\n' "$W/store-lx" "$P3" > "$W/lx.conf"
"$CHARGER" -c "$W/lx.conf" --run-for 4 > "$W/lx.log" 2>&1 &
LX=$!
pids+=($LX)

A="$W/all.txt"
if ! wait_count "$A" " $B/online true\$" 1 30; then
    # nothing else can pass: say why and stop instead of waiting out every check
    bad online "no online=true from the charger: $(tail -3 "$W/sim_a.log" | tr '\n' ' ')"
    echo "$pass passed, $fail failed"
    exit 1
fi
ok online
check version-ccm "wait_count $A ' ci/global/version/charging software sim ' 1 5" \
    "no 'ci/global/version/charging software'"
if wait_count "$A" " $B/connector/1/status .*\"Charging\"" 1 60; then ok charging; else bad charging "no Charging status"; fi
T_CHARGING=$(now)

# -- the update walks, while the car charges (nothing reboots, charging goes on)
walk_from() { sed -n "$1,\$p" "$A" | grep -E ' firmware/update/state/actual ' | cut -d' ' -f4- | tr '\n' ' ' | sed 's/ $//'; }
n0=$(wc -l < "$A")
pub firmware/update/target/url "http://127.0.0.1:$H1/fw.bin"
wait_count "$A" ' firmware/update/result/state install-succeeded' 1 30
w=$(walk_from "$n0")
check update-success "[ \"$w\" = 'downloading download-succeeded installing install-succeeded' ]" "walk: $w"
check update-installer "grep -q 'install $W/cs1.update' '$W/installer.log' && cmp -s '$W/www/fw.bin' '$W/installed.bin'" \
    "fake-rauc was not given the downloaded file, or the file differs"
check update-message "grep -q ' firmware/update/result/message .*reboot' $A" "no result message about the reboot"

n0=$(wc -l < "$A")
pub "firmware/update/target/max trials" 2
pub firmware/update/target/interval 2
sleep 0.2
pub firmware/update/target/url "http://127.0.0.1:$H2/fw.bin"
wait_count "$A" ' firmware/update/result/state download-failed' 1 30
w=$(walk_from "$n0")
check update-download-fails "[ \"$w\" = 'downloading download-failed downloading download-failed' ]" "walk: $w"
check update-max-trials "[ \"\$(wc -l < $W/halfway.hits)\" = 2 ]" "the half-way server saw $(wc -l < "$W/halfway.hits" 2>/dev/null) requests, not 2"
t1=$(sed -n "$n0,\$p" "$A" | grep -E ' firmware/update/state/actual download-failed' | sed -n 1p | cut -d' ' -f1)
t2=$(sed -n "$n0,\$p" "$A" | grep -E ' firmware/update/state/actual downloading' | sed -n 2p | cut -d' ' -f1)
gap=$(ms_since "${t1:-0}" "${t2:-0}")
check update-interval "[ $gap -ge 1900 ]" "the second trial came ${gap} ms after the first failure (interval 2 s)"
check update-message-download "sed -n '$n0,\$p' $A | grep -q 'firmware/update/result/message download failed'" \
    "no reason for the failed download"

n0=$(wc -l < "$A")
pub "firmware/update/target/max trials" 1
sleep 0.2
pub firmware/update/target/url "http://127.0.0.1:$H1/bad.bin"
wait_count "$A" ' firmware/update/result/state install-failed' 1 30
w=$(walk_from "$n0")
check update-install-fails "[ \"$w\" = 'downloading download-succeeded installing install-failed' ]" "walk: $w"
check update-message-install "sed -n '$n0,\$p' $A | grep -q 'firmware/update/result/message the installer exited with status 1'" \
    "no reason for the failed install"

n0=$(wc -l < "$A")
pub firmware/update/target/url "http://127.0.0.1:$H1/bundle.raucb"
wait_count "$A" ' firmware/update/result/state install-succeeded' 2 30
w=$(walk_from "$n0")
check update-raucb "[ \"$w\" = 'installing install-succeeded' ] && grep -q 'install http://127.0.0.1:$H1/bundle.raucb' $W/installer.log" \
    "walk: $w; the .raucb URL was not handed to fake-rauc as it is"

# -- bad commands: each answered with its reason, nothing changes
status_before=$(grep -E " $B/connector/1/status " "$A" | tail -1 | cut -d' ' -f4-)
evse_n=$(count "$A" " $B/connector/1/evse ")
i=0
while IFS='|' read -r json reason; do
    i=$((i + 1))
    pub $B/cmd "$json"
    if wait_count "$A" " $B/reply " "$i" 10 && grep -E " $B/reply " "$A" | tail -1 | grep -q "\"ok\":false.*$reason"; then
        ok "bad-command-$i"
    else
        bad "bad-command-$i" "$json: no refusal with '$reason' ($(grep -E " $B/reply " "$A" | tail -1))"
    fi
done <<'CMDS'
{"cmd":"stop"|malformed JSON
{"cmd":"fly"}|unknown command
{"cmd":"stop","connector":7}|connector is out of range
{"cmd":"set_limit","current_a":-5}|current_a is out of range
{"cmd":"set_limit","power_w":"much"}|power_w must be a number
{"cmd":"stop","please":true}|unknown key
{"cmd":"authorize","token":"card-7"}|present state
{"cmd":"pause"}|not supported
CMDS
sleep 0.5
status_after=$(grep -E " $B/connector/1/status " "$A" | tail -1 | cut -d' ' -f4-)
check bad-commands-change-nothing "[ '$status_before' = '$status_after' ] && [ $(count "$A" " $B/connector/1/evse ") -eq $evse_n ]" \
    "status $status_before -> $status_after, or the EVSE limits moved"

# -- lower the current: 50 A; the car is told 50 A and draws no more
T0=$(now)
pub $B/cmd '{"cmd":"set_limit","connector":1,"current_a":50,"id":"lim"}'
check set-limit-reply "wait_count $A ' $B/reply .*\"id\":\"lim\".*\"ok\":true' 1 10" "no ok for set_limit"
# (the station turns amperes into watts at the present voltage: 49.997 A is the same limit)
TOLD='"max_current_a":(50|49\.[0-9]+|[1-4]?[0-9](\.[0-9]+)?),.*"set_current_a":50'
check set-limit-told "wait_count $A ' $B/connector/1/evse .*$TOLD' 1 10" \
    "the EVSE maximum told to the car did not become 50 A"
T1=$(ts_of "$A" " $B/connector/1/evse .*$TOLD")
check set-limit-drawn "wait_count $A ' $B/connector/1/measurement .*\"current_a\":(50|4[0-9](\\.[0-9]+)?|[0-9](\\.[0-9]+)?)[,}]' 1 10" \
    "the car kept drawing more than 50 A"
echo "FIGURE mqtt: set_limit command -> the car's new maximum published: $(ms_since "$T0" "${T1:-$T0}") ms (includes the 1 s minimum interval of the evse topic)"

# -- messages per minute while charging (everything the charger published, not ours)
T_STOP=$(now)
n_charging=$(awk -v a="$T_CHARGING" -v b="$T_STOP" '$1 >= a && $1 <= b && $3 !~ /\/cmd$/ && $3 !~ /^firmware\/update\/target/' "$A" | wc -l)
n_meas=$(awk -v a="$T_CHARGING" -v b="$T_STOP" '$1 >= a && $1 <= b && $3 ~ /measurement$/' "$A" | wc -l)
n_conn=$(awk -v a="$T_CHARGING" -v b="$T_STOP" '$1 >= a && $1 <= b && $3 ~ /^dcfc\/v1\/cs1\/connector\//' "$A" | wc -l)
secs=$(python3 -c "print(max(0.001, $T_STOP - $T_CHARGING))")
echo "FIGURE mqtt: $(python3 -c "print(round($n_charging * 60 / $secs))") messages/min while charging (all topics, with the update walks and replies; $(python3 -c "print(round($n_meas * 60 / $secs))")/min on .../measurement, $(python3 -c "print(round($n_conn * 60 / $secs))")/min on the connector's topics; over $(python3 -c "print(round($secs, 1))") s)"

# -- stop: the session ends
T0=$(now)
pub $B/cmd '{"cmd":"stop","id":"st"}'
check stop "wait_count $A ' $B/connector/1/status .*\"Finishing\"' 1 15" "no Finishing after stop"
T1=$(ts_of "$A" " $B/connector/1/status .*\"Finishing\"")
echo "FIGURE mqtt: stop command -> Finishing published: $(ms_since "$T0" "${T1:-$T0}") ms"
check record "wait_count $A ' $B/connector/1/session/record .*\"number\":1.*\"stop\":\"local\"' 1 30" \
    "no record of session 1 stopped by the command"
wait $SIM_A; rc_a=$?

# -- power stage and meter telemetry of run A: plausible against the measurement, the
#    register growing, the transaction running while charging and closed after
cat > "$W/telemetry.py" <<'PY'
import json, sys
path, base, t0, t1, what = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rows = []
for line in open(path, errors="replace"):
    f = line.rstrip("\n").split(" ", 3)
    if len(f) == 4 and f[2].startswith(base + "/connector/1/"):
        try:
            rows.append((float(f[0]), f[2][len(base) + 13:], json.loads(f[3])))
        except ValueError:
            pass
if what == "stage":
    # a power_stage reading while charging within 3 % of the measurement published before it
    meas, good = None, 0
    for t, leaf, p in rows:
        if leaf == "measurement":
            meas = p
        elif leaf == "power_stage" and t0 <= t <= t1 and meas and p.get("current_a", 0) > 1 and meas["voltage_v"] > 100:
            good += abs(p["voltage_v"] - meas["voltage_v"]) <= 0.03 * meas["voltage_v"] and p["set_voltage_v"] > 0
    print(good)
elif what == "meter":
    e = [p["energy_wh"] for t, leaf, p in rows if leaf == "meter" and p.get("energy_wh") is not None]
    run = sum(1 for t, leaf, p in rows if leaf == "meter" and t0 <= t <= t1 and p.get("transaction") == "running")
    last = [p for t, leaf, p in rows if leaf == "meter"][-1:]
    ok = (len(set(e)) >= 3 and all(b >= a for a, b in zip(e, e[1:])) and e[-1] > e[0] and run >= 1 and last
          and last[0]["transaction"] == "none" and last[0]["record"] and last[0]["record"]["seq"] >= 1
          and last[0]["record"]["signature"] in ("valid", "unchecked"))
    print("ok" if ok else "registers %s..%s (%d distinct), %d running while charging, last %s" %
          (e[:1], e[-1:], len(set(e)), run, last))
PY
n_ps=$(python3 "$W/telemetry.py" "$A" "$B" "$T_CHARGING" "$T_STOP" stage)
check power-stage "[ \"${n_ps:-0}\" -ge 1 ]" "no power_stage voltage within 3 % of the measurement while charging"
m_ok=$(python3 "$W/telemetry.py" "$A" "$B" "$T_CHARGING" "$T_STOP" meter)
check meter "[ \"$m_ok\" = ok ]" "$m_ok"
check sim-a-safe "grep -q '0 safety violation' $W/sim_a.log" "the plant saw a safety violation: $(tail -2 "$W/sim_a.log")"

# -- on change: no topic repeats the payload it published last (the heartbeat and event topics aside)
dups=$(awk '$3 !~ /(heartbeat|reply|\/error|\/cmd|target\/.*)$/ { k = $3; p = substr($0, index($0, $4)); if (k in last && last[k] == p) print k; last[k] = p }' "$A" | sort | uniq -c)
check no-duplicates "[ -z \"$dups\" ]" "repeated: $dups"

# -- every topic seen is documented
missing=""
# (the topics with a space, Charge Control M's, are cut at it by the field split: whole again)
for t in $(cut -d' ' -f3 "$A" | grep -E '^(dcfc|ci|firmware)/' | grep -v '^firmware/update/target/' | sort -u |
           sed -E -e 's|^dcfc/v1/[a-z0-9]+|{base}|' -e 's|connector/[0-9]|connector/{n}|' -e 's|/charging$|/charging@software|' | sort -u); do
    grep -qF "\`${t/@/ }\`" "$DOC" || missing="$missing $t"
done
check documented "[ -z \"$missing\" ]" "not in docs/mqtt.md:$missing"
for t in online info heartbeat limits reply connector/1/status connector/1/session connector/1/session/record connector/1/ev \
         connector/1/measurement connector/1/evse connector/1/isolation connector/1/errors connector/1/power_stage \
         connector/1/meter; do
    grep -qE " $B/$t " "$A" || missing="$missing $B/$t"
done
check topics-seen "[ -z \"$missing\" ]" "never published:$missing"
check heartbeat "[ $(count "$A" " $B/heartbeat .*uptime_s") -ge 1 ]" "no heartbeat in 10 s"

# -- a late subscriber gets the state retained
mosquitto_sub -h 127.0.0.1 -p "$P1" -t "$B/#" -t 'ci/#' -F '%r %t %p' --retained-only -W 2 > "$W/late.txt" 2>/dev/null
check retained-late "grep -q '^1 $B/online false' $W/late.txt && grep -q '^1 $B/connector/1/status .*Available' $W/late.txt && grep -q '^1 $B/connector/1/session/record .*\"number\":1' $W/late.txt && grep -q '^1 ci/global/version/charging software' $W/late.txt" \
    "late subscriber saw: $(tr '\n' ';' < "$W/late.txt")"

# -- reset of a held fault (run C): unlock refused with the reason, reset accepted, next session charges
C=dcfc/v1/cs3 CF=$W/c.txt
pubc() { mosquitto_pub -h 127.0.0.1 -p "$P3" -t "$1" -m "$2"; }
if wait_count "$CF" " $C/connector/1/status .*\"held_fault\":\"insulation" 1 40; then
    pubc $C/cmd '{"cmd":"unlock","id":"u"}'
    check unlock-held "wait_count $CF ' $C/reply .*\"id\":\"u\".*\"ok\":false.*reset it first' 1 10" "unlock with a held fault not refused"
    T0=$(now)
    pubc $C/cmd '{"cmd":"reset","id":"r"}'
    check reset-reply "wait_count $CF ' $C/reply .*\"id\":\"r\".*\"ok\":true' 1 10" "reset refused: $(grep " $C/reply " "$CF" | tail -1)"
    check reset-clears "wait_count $CF ' $C/connector/1/status .*\"held_fault\":null' 2 10" "the fault is still held"
    T1=$(grep -E " $C/connector/1/status .*\"held_fault\":null" "$CF" | tail -1 | cut -d' ' -f1)
    echo "FIGURE mqtt: reset command -> fault cleared published: $(ms_since "$T0" "${T1:-$T0}") ms"
    check reset-next-session "wait_count $CF ' $C/connector/1/status .*\"Charging\"' 1 40" "no session after the reset"
    # unlock while charging: accepted, the session stops first (the connector unlocks in its safe order)
    pubc $C/cmd '{"cmd":"unlock","id":"u2"}'
    check unlock "wait_count $CF ' $C/reply .*\"id\":\"u2\".*\"ok\":true' 1 10 && wait_count $CF ' $C/connector/1/status .*\"Finishing\"' 2 15" \
        "unlock while charging not accepted, or the session did not stop"
else
    bad held-fault "run C never held its insulation fault"
fi

# -- the Linux board
wait $LX; rc_lx=$?
LXF=$W/c.txt   # on broker 2 with run C: the update topics are global to a broker
check linux-board "[ $rc_lx -eq 0 ] && grep -q ' dcfc/v1/lx1/info .*\"version\":\"charger ' $LXF && grep -q ' dcfc/v1/lx1/connector/1/status ' $LXF && grep -q ' dcfc/v1/lx1/online false' $LXF" \
    "rc=$rc_lx; $(grep -c lx1 "$LXF") messages of lx1"
printf 'store.dir = %s\nmqtt.host = 127.0.0.1\nmqtt.client_id = a/b\n' "$W/store-lx" > "$W/bad1.conf"
printf 'store.dir = %s\nmqtt.host = 127.0.0.1\nmqtt.user = x\nmqtt.password_file = %s/none\n' "$W/store-lx" "$W" > "$W/bad2.conf"
printf 'store.dir = %s\nmqtt.host = 127.0.0.1\nmqtt.deadband_pct = 80\n' "$W/store-lx" > "$W/bad3.conf"
"$CHARGER" -c "$W/bad1.conf" --check > "$W/bad1.out" 2>&1; r1=$?
"$CHARGER" -c "$W/bad2.conf" --check > "$W/bad2.out" 2>&1; r2=$?
"$CHARGER" -c "$W/bad3.conf" --check > "$W/bad3.out" 2>&1; r3=$?
check check-mqtt-keys "[ $r1 -ne 0 ] && grep -q 'mqtt.client_id: ' $W/bad1.out && [ $r2 -ne 0 ] && grep -q 'mqtt.password_file' $W/bad2.out && [ $r3 -ne 0 ] && grep -q 'mqtt.deadband_pct' $W/bad3.out" \
    "$(cat "$W"/bad?.out | tr '\n' ' ')"

# -- bad --mqtt arguments
bad_args=0
for a in "" "host" "host:" ":1883" "host:0" "host:70000" "host:12x"; do
    "$SIM" --mqtt "$a" --out - > /dev/null 2>&1; [ $? -eq 2 ] || bad_args=$((bad_args + 1))
done
check sim-mqtt-args "[ $bad_args -eq 0 ]" "$bad_args bad --mqtt arguments not refused with exit 2"

# -- D: wrong password, E: no broker: charging undisturbed
wait $SIM_D; rc_d=$?
wait $SIM_E; rc_e=$?
check wrong-password "[ $rc_d -eq 0 ] && grep -q 'refused the connection' $W/sim_d.log" "rc=$rc_d: $(grep -i mqtt "$W/sim_d.log" | head -2)"
check no-broker "[ $rc_e -eq 0 ] && grep -q 'mqtt: ' $W/sim_e.log && ! grep -q 'mqtt: connected' $W/sim_e.log" "rc=$rc_e: $(tail -1 "$W/sim_e.log")"
kill "$SIM_C" 2>/dev/null

# Run B: TLS with username and password; the last will when the charger is killed
mosquitto_sub -h 127.0.0.1 -p "$P2" --cafile "$W/ca.pem" -u charger -P s3cret -t 'dcfc/v1/cs2/#' -F '%U %r %t %p' \
    > "$W/tls.txt" 2>&1 &
pids+=($!)
sleep 0.3
"$SIM" --mqtt 127.0.0.1:"$P2" --config "$W/b.conf" --psu ideal --charge-s 60 --sessions 1 --max-s 120 --out - \
    > "$W/sim_b.log" 2>&1 &
SIM_B=$!
pids+=($SIM_B)
check tls-online "wait_count $W/tls.txt ' dcfc/v1/cs2/online true' 1 30" "nothing over TLS: $(grep mqtt "$W/sim_b.log" 2>/dev/null | head -2)"
# the broker restarts (no persistence: it forgot everything): the charger reconnects with
# its back-off and publishes its retained state again
kill "$BROKER"; wait "$BROKER" 2>/dev/null
T0=$(now)
mosquitto -c "$W/broker.conf" >> "$W/broker.log" 2>&1 &
BROKER=$!
pids+=($BROKER)
check reconnect "wait_count $W/tls.txt ' dcfc/v1/cs2/online true' 2 30 && wait_count $W/tls.txt ' dcfc/v1/cs2/connector/1/status ' 2 5" \
    "no second online=true and status after the broker's restart"
T1=$(grep -E ' dcfc/v1/cs2/online true' "$W/tls.txt" | sed -n 2p | cut -d' ' -f1)
echo "FIGURE mqtt: broker restart -> charger back online: $(ms_since "$T0" "${T1:-$T0}") ms (back-off from 0.5 s, doubling)"
nf=$(count "$W/tls.txt" ' dcfc/v1/cs2/online false')   # (the broker's shutdown above sent the will once)
T0=$(now)
kill -9 "$SIM_B"
wait "$SIM_B" 2>/dev/null
check last-will "wait_count $W/tls.txt ' dcfc/v1/cs2/online false' $((nf + 1)) 20" "no last will after SIGKILL"
T1=$(grep -E ' dcfc/v1/cs2/online false' "$W/tls.txt" | tail -1 | cut -d' ' -f1)
echo "FIGURE mqtt: SIGKILL -> last will (online false) delivered: $(ms_since "$T0" "${T1:-$T0}") ms (the broker saw the socket close; a silent link takes 1.5 keep-alives, 7.5 s)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
