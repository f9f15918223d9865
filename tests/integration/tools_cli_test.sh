#!/usr/bin/env bash
# tools_cli_test.sh BIN SANBIN - the device tools' command lines as a new user meets them:
# metersim, meter-ctl, imdsim, imd-ctl, infysim, psu-ctl, huaweisim. HOST:PORT wherever a port is
# (and the listener really on that port), ports range-checked, unknown hosts named as
# such (never "no answer"), missing files and devices said as "not found", no directory
# created by a read, and the programs in BIN are release builds that print no sanitizer
# report on any error path (their twins in SANBIN, used by the other tests, must not
# either). No CAN, serial line or root needed. "N passed, N failed".
set -u
bin=$1; san=$2
pass=0; fail=0
w=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$w"; }
trap cleanup EXIT
check() { if [ "$1" = 0 ]; then echo "PASS tools_cli $2"; pass=$((pass + 1));
          else echo "FAIL tools_cli $2"; fail=$((fail + 1)); fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Release builds: no sanitizer runtime linked in.
for t in metersim meter-ctl imdsim imd-ctl infysim psu-ctl huaweisim; do
    ! nm "$bin/$t" 2>/dev/null | grep -q '__asan_init' && [ -x "$bin/$t" ]
    check $? "release-build $t: $bin/$t has no sanitizer runtime"
    nm "$san/$t" 2>/dev/null | grep -q '__asan_init'
    check $? "sanitized-twin $t: $san/$t is the ASan/UBSan build"
done

# run NAME RC PATTERN CMD...: exit status, message, and no sanitizer report, for both builds.
run() {
    local name=$1 want=$2 pat=$3; shift 3
    local d out rc
    for d in "$bin" "$san"; do
        out=$(timeout 30 "$d/$@" 2>&1); rc=$?
        [ "$rc" = "$want" ] && echo "$out" | grep -q -- "$pat" && ! echo "$out" | grep -q 'Sanitizer'
        check $? "$name ($(basename "$(dirname "$d")")/$(basename "$d")/$1): exit $rc, $(echo "$out" | grep -v '^ *#' | head -n 1 | cut -c1-140)"
    done
}
run port-range-metersim 2 '1..65535' metersim --tcp 70000
run port-range-metersim-host 2 '1..65535' metersim --tcp 127.0.0.1:0
run port-not-number-imdsim 2 '1..65535' imdsim --tcp 127.0.0.1:abc
run port-range-meter-ctl 2 '1..65535' meter-ctl --tcp 127.0.0.1:99999 read
run port-range-imd-ctl 2 '1..65535' imd-ctl --tcp localhost:65536 read
run unknown-host-metersim 2 "unknown host 'no-such-host.invalid'" metersim --tcp no-such-host.invalid:1502
run unknown-host-meter-ctl 2 "unknown host 'no-such-host.invalid'" meter-ctl --tcp no-such-host.invalid:502 read
run unknown-host-imd-ctl 2 "unknown host 'no-such-host.invalid'" imd-ctl --tcp no-such-host.invalid read
closed=$(free_port)
run no-answer-meter-ctl 1 'no answer' meter-ctl --tcp "127.0.0.1:$closed" --timeout-ms 200 read
run no-answer-imd-ctl 1 'no answer' imd-ctl --tcp "127.0.0.1:$closed" --timeout-ms 100 read
run not-found-metersim-rtu 1 "serial device $w/nodev: not found" metersim --rtu "$w/nodev"
run not-found-imdsim-rtu 1 "serial device $w/nodev: not found" imdsim --rtu "$w/nodev,19200"
run not-found-meter-ctl-rtu 1 "serial device $w/nodev: not found" meter-ctl --rtu "$w/nodev" read
run not-found-imd-ctl-rtu 1 "serial device $w/nodev: not found" imd-ctl --rtu "$w/nodev" read
run not-found-metersim-key 1 "key file $w/nokey.pem: not found" metersim --tcp 1502 --key "$w/nokey.pem"
run not-found-meter-ctl-verify 1 "OCMF file $w/no.ocmf: not found" meter-ctl verify "$w/no.ocmf"
run not-found-meter-ctl-journal 1 "journal directory $w/nojournal: not found" meter-ctl --journal "$w/nojournal" journal
[ ! -e "$w/nojournal" ]; check $? "no-side-effect: 'meter-ctl journal' did not create $w/nojournal"
run not-found-infysim-can 1 'CAN interface nosuchcan0: not found' infysim --can nosuchcan0 --group 1 --count 1
run not-found-psu-ctl-can 1 'CAN interface nosuchcan0: not found' psu-ctl --can nosuchcan0 --group 1
run bad-slave-meter-ctl 2 '1..247' meter-ctl --tcp 127.0.0.1:502 --slave 300 read
run bad-slave-imdsim 2 '1..247' imdsim --tcp 1502 --slave x
run bad-baud-metersim 1 'BAUD' metersim --rtu "$w/nodev,fast"
# huaweisim (issue 21): its help, and each kind of bad command line said as such
run help-huaweisim 0 'usage: huaweisim' huaweisim --help
run unknown-option-huaweisim 2 "unknown or incomplete option '--bogus'" huaweisim --bogus
run no-eth-huaweisim 2 '--eth IF is required' huaweisim
run bad-port-huaweisim 2 "bad --port 'abc'" huaweisim --eth lo --port abc
run not-found-huaweisim-eth 1 'no interface nosuch0' huaweisim --eth nosuch0 --port 0

# HOST:PORT really listens on PORT, and the clients reach it by HOST:PORT and by name.
port=$(free_port)
"$bin/metersim" --tcp "127.0.0.1:$port" >"$w/metersim.out" 2>&1 &
pids+=($!)
port2=$(free_port)
"$bin/imdsim" --tcp "127.0.0.1:$port2" --test-ms 100 >"$w/imdsim.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q ready "$w/metersim.out" && grep -q ready "$w/imdsim.out" && break; sleep 0.1; done
"$bin/meter-ctl" --tcp "127.0.0.1:$port" read >"$w/read.out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q "tcp 127.0.0.1 port $port" "$w/metersim.out"
check $? "host-port-metersim: metersim --tcp 127.0.0.1:$port listens there, meter-ctl --tcp HOST:PORT reads it (exit $rc)"
"$san/imd-ctl" --tcp "localhost:$port2" read >"$w/imdread.out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q "tcp 127.0.0.1 port $port2" "$w/imdsim.out" && ! grep -q Sanitizer "$w/imdread.out"
check $? "host-port-imdsim: imdsim --tcp 127.0.0.1:$port2 listens there, imd-ctl --tcp localhost:PORT reads it (exit $rc)"

# Every program in BIN: --help exits 0 and names programs, never source paths.
for p in "$bin"/*; do
    t=$(basename "$p")
    "$p" --help >"$w/help" 2>&1; rc=$?
    [ "$rc" = 0 ] && grep -q "^usage: $t" "$w/help" && ! grep -Eq '(tools|firmware|board|protocols|hal_linux|hal|tests)/[a-z]' "$w/help"
    check $? "help-$t: --help exits $rc, names the program, not a source path"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
