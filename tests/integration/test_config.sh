#!/usr/bin/env bash
# test_config.sh CHARGER - the Linux board's configuration handling, on the real binary:
# every kind of bad file gives a clear message naming the key and the reason, and a
# non-zero exit; a valid file passes --check; --help and --version answer.
set -u
bin=$1
dir=$(mktemp -d /tmp/cfgtest.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0

# expect NAME WANT_RC PATTERN CONTENT: write CONTENT to a file, run --check on it,
# want exit status WANT_RC and PATTERN (extended regex) in the output.
expect() {
    local name=$1 want=$2 pattern=$3 f="$dir/$1.conf" out rc
    printf '%b' "$4" > "$f"
    out=$("$bin" --check -c "$f" 2>&1); rc=$?
    # one line: a pattern may span several of the messages (every error is reported)
    if [ "$rc" -eq "$want" ] && echo "$out" | tr "\n" " " | grep -Eq -- "$pattern"; then
        echo "PASS config/$name"; pass=$((pass + 1))
    else
        echo "FAIL config/$name: exit $rc (want $want), output: $out"; fail=$((fail + 1))
    fi
}

good='can.interface = vcan0\nstore.dir = /tmp/x\n'
expect valid               0 'configuration valid' "# minimal\n$good"
expect valid-full          0 'configuration valid' "${good}charger.name = \"left\"\ncharger.export_voltage_v = 920\ncharger.export_current_a = 200\npilot.debounce_ms = 50\ninterlock.safe_current_ma = 1000\ninterlock.power_down_timeout_ms = 800\ninterlock.contactor_timeout_ms = 150\ninterlock.lock_timeout_ms = 2000\ncan.bitrate = 500000\nlog.level = debug\nlog.syslog = false\n"
expect missing-key         1 'store\.dir: required key is missing' 'can.interface = vcan0\n'
expect wrong-type          1 ':3: can\.bitrate: expected a whole number, got .fast.' "${good}can.bitrate = fast\n"
expect wrong-type-bool     1 ':3: log\.syslog: expected true or false' "${good}log.syslog = yes\n"
expect wrong-enum          1 ':3: log\.level: .verbose. is not one of the allowed values' "${good}log.level = verbose\n"
expect out-of-range        1 ':3: charger\.export_voltage_v: value 1500 out of range 50\.\.1000' "${good}charger.export_voltage_v = 1500\n"
expect out-of-range-low    1 ':3: can\.bitrate: value 9 out of range' "${good}can.bitrate = 9\n"
expect too-long-string     1 ':1: can\.interface: string must be 1\.\.15 characters' 'can.interface = averyveryverylongname0\nstore.dir = /tmp/x\n'
expect unknown-key         1 ':3: can\.bitrat: unknown key' "${good}can.bitrat = 500000\n"
expect duplicate-key       1 ':3: can\.interface: given twice \(first on line 1\)' "${good}can.interface = vcan1\n"
expect not-key-value       1 ':2: expected .key = value.' 'can.interface = vcan0\nhello world\n'
expect empty-file          1 'the file is empty' ''
expect only-comments       1 'the file is empty' '# nothing here\n\n'
expect binary-garbage      1 'not a text file: control byte 0x' '\x7fELF\x02\x01\x01\x00\x00\x00\x00\xff\xfe'
expect nul-byte            1 'control byte 0x00' 'can.interface = vcan0\x00\nstore.dir = /tmp/x\n'
expect crlf-ok             0 'configuration valid' 'can.interface = vcan0\r\nstore.dir = /tmp/x\r\n'
# The session keys: power stage, meter, isolation monitor, link. --check also asks this
# machine for what a file names, so the valid files name what every host has: the
# loopback interface (for CAN and the link) and /dev/null (a character device).
infy="${good}psu.type = infy\n"
here='can.interface = lo\nstore.dir = /tmp/x\npsu.type = infy\n'
expect valid-session       0 'configuration valid' "${here}infy.modules = 0-3,0x10\ninfy.offline_timeout_ms = 20000\ninfy.poll_period_ms = 500\nmeter.bus = rtu:/dev/null,9600,8N1\nmeter.unit = 7\nimd.model = bender\nimd.bus = tcp:127.0.0.1:502\nlink.interface = lo\nlink.tcp_port = 0\nlink.modem = false\n"
expect valid-group         0 'configuration valid' "${here}infy.addressing = group\ninfy.group = 5\nmeter.bus = tcp:meter.local:502\n"
# The power-down wait is safe for the stage by default, and too short a one is refused.
expect infy-power-down-default 0 'interlock\.power_down_timeout_ms = 1500 \(psu\.type = infy' "${here}infy.modules = 0\n"
expect infy-power-down-short   1 ':5: interlock\.power_down_timeout_ms: below 1500 ms with psu\.type = infy' "${infy}infy.modules = 0\ninterlock.power_down_timeout_ms = 500\n"
expect infy-power-down-1500    0 'interlock\.power_down_timeout_ms = 1500' "${here}infy.modules = 0\ninterlock.power_down_timeout_ms = 1500\n"
expect none-power-down-default 0 'interlock\.power_down_timeout_ms = 500( |$)' "${good}"
# Running without an isolation monitor is an explicit, named lab override only.
expect imd-lab-override        0 'WARNING: imd\.lab_override_no_monitor = true: LAB ONLY' "${good}imd.lab_override_no_monitor = true\n"
expect imd-lab-override-model  1 ':5: imd\.lab_override_no_monitor: true, but imd\.model names a monitor' "${good}imd.model = dold\nimd.bus = tcp:h:502\nimd.lab_override_no_monitor = true\n"
expect imd-old-require-key     1 ':3: charger\.require_imd: unknown key' "${good}charger.require_imd = false\n"
# The meter's identity: a pinned public key (hex point or DER), inline or in a file.
pt=04$(printf '%02x' $(seq 1 64))
spki=3059301306072a8648ce3d020106082a8648ce3d030107034200$pt
meter="${good}meter.bus = rtu:/dev/null,9600,8N1\n"
printf '%s\n%s\n' "${spki:0:90}" "${spki:90}" > "$dir/meter.pub"
expect meter-key-point      0 'configuration valid' "${meter}meter.public_key = $pt\n"
expect meter-key-der        0 'configuration valid' "${meter}meter.public_key = $spki\n"
expect meter-key-file       0 'configuration valid' "${meter}meter.public_key_file = $dir/meter.pub\n"
expect meter-key-bad        1 ':4: meter\.public_key: not a public key: expected the hex of an uncompressed point' "${meter}meter.public_key = 04zz\n"
expect meter-key-short      1 ':4: meter\.public_key: not a public key' "${meter}meter.public_key = 0401020304\n"
expect meter-key-no-meter   1 ':3: meter\.public_key: given, but meter\.bus is none' "${good}meter.public_key = $pt\n"
expect meter-key-both       1 'meter\.public_key_file: give meter\.public_key or meter\.public_key_file, not both' "${meter}meter.public_key = $pt\nmeter.public_key_file = $dir/meter.pub\n"
expect meter-key-file-gone  1 ':4: meter\.public_key_file: cannot read .*No such file' "${meter}meter.public_key_file = $dir/absent.pub\n"
# The over-voltage monitor's keys (issue 12): which voltage sources it reads, how fresh.
expect ovm-valid           0 'configuration valid' "${good}ovm.device = none\novm.sources = imd,stage\novm.stale_ms = 500\n"
expect ovm-bad-source      1 ':3: ovm\.sources: expected a list of ovm, imd, meter, stage' "${good}ovm.sources = imd,volts\n"
expect ovm-source-twice    1 ':3: ovm\.sources: a source is listed twice' "${good}ovm.sources = stage,stage\n"
expect v2g-protocols-din   0 'configuration valid' "${good}v2g.protocols = din\n"
expect v2g-protocols-iso2  0 'configuration valid' "${good}v2g.protocols = iso2,din\n"
expect v2g-protocols-iso20 0 'configuration valid' "${good}v2g.protocols = iso20,iso2,din\n"
expect v2g-iso20-plain-tcp 0 'configuration valid' "${good}v2g.protocols = iso20,iso2\nv2g.iso20_plain_tcp = true\n"
expect v2g-protocols-bad   1 ':3: v2g\.protocols: unknown protocol "chademo"' "${good}v2g.protocols = din chademo\n"
expect ovm-stale-range     1 ':3: ovm\.stale_ms: value 5 out of range 10\.\.10000' "${good}ovm.stale_ms = 5\n"
expect cbsom-closed-range   1 ':3: chargesom\.timeout_closed_ms: value 100 out of range 200\.\.5000' "${good}chargesom.timeout_closed_ms = 100\n"
expect cbsom-recover-max   1 'chargesom\.recover_holdoff_max_ms: below chargesom\.recover_holdoff_ms' "${good}chargesom.recover_holdoff_ms = 20000\nchargesom.recover_holdoff_max_ms = 10000\n"
expect cbsom-reset-gpio    1 'chargesom\.reset_gpio: expected CHIP:LINE' "${good}chargesom.reset_gpio = gpiochip2\n"
expect cbsom-reset-no-io   1 'chargesom\.reset_gpio: given, but board\.io is not chargesom' "${good}chargesom.reset_gpio = /dev/gpiochip2:nSAFETY_RESET_INT\n"
expect cbsom-pulse-range   1 ':3: chargesom\.reset_pulse_ms: value 2 out of range 5\.\.1000' "${good}chargesom.reset_pulse_ms = 2\n"
expect cbsom-recover-off   0 'configuration valid' "${good}chargesom.recover = false\n"
expect ovm-sim-refused     1 'ovm\.device: sim is the simulator' "${good}ovm.device = sim\n"
# The station's limits shared among its connectors (issue 13): 0 = none.
expect station-limits      0 'configuration valid' "${good}station.max_power_w = 50000\nstation.max_current_a = 125\n"
expect station-no-limits   0 'configuration valid' "${good}station.max_power_w = 0\nstation.max_current_a = 0\n"
expect station-power-range 1 ':3: station\.max_power_w: value 20000000 out of range 0\.\.10000000' "${good}station.max_power_w = 20000000\n"
expect station-power-type  1 ':3: station\.max_power_w: expected a whole number, got .50kW.' "${good}station.max_power_w = 50kW\n"
expect station-current-range 1 ':4: station\.max_current_a: value 6000 out of range 0\.\.5000' "${good}station.max_power_w = 1000\nstation.max_current_a = 6000\n"
expect station-current-neg 1 ':3: station\.max_current_a: expected a whole number' "${good}station.max_current_a = -1\n"
expect infy-offline-10s    1 ':4: infy\.offline_timeout_ms: offline timeout must be longer than the modules. own 10 s watchdog' "${infy}infy.offline_timeout_ms = 10000\ninfy.modules = 0\n"
expect infy-offline-5s     1 ':4: infy\.offline_timeout_ms: offline timeout must be longer than' "${infy}infy.offline_timeout_ms = 5000\ninfy.modules = 0\n"
expect infy-offline-type   1 ':4: infy\.offline_timeout_ms: expected a whole number' "${infy}infy.offline_timeout_ms = 15s\n"
expect infy-offline-range  1 ':4: infy\.offline_timeout_ms: value 700000 out of range' "${infy}infy.offline_timeout_ms = 700000\n"
expect infy-no-modules     1 'infy\.modules: required with psu\.type = infy' "${infy}"
expect infy-bad-list       1 ':4: infy\.modules: expected module addresses' "${infy}infy.modules = 0,x\n"
expect infy-addr-range     1 ':4: infy\.modules: module addresses must be 0x00\.\.0x3B' "${infy}infy.modules = 0-60\n"
expect infy-twice          1 ':4: infy\.modules: a module address is listed twice' "${infy}infy.modules = 0-3,2\n"
expect infy-controller     1 ':5: infy\.controller: value 248 out of range 240\.\.247' "${infy}infy.modules = 0\ninfy.controller = 248\n"
expect psu-type-enum       1 ':3: psu\.type: .delta. is not one of the allowed values' "${good}psu.type = delta\n"
expect meter-bus-kind      1 ':3: meter\.bus: expected rtu:DEV,BAUD,8N1 or tcp:HOST:PORT or none' "${good}meter.bus = serial:/dev/ttyS0\n"
expect meter-bus-framing   1 ':3: meter\.bus: bad serial bus' "${good}meter.bus = rtu:/dev/ttyS0,9600,8X1\n"
expect meter-bus-baud      1 ':3: meter\.bus: bad serial bus' "${good}meter.bus = rtu:/dev/ttyS0,fast\n"
expect meter-bus-relative  1 ':3: meter\.bus: bad serial bus: the device must be an absolute path' "${good}meter.bus = rtu:ttyS0,9600\n"
expect meter-bus-tcp-port  1 ':3: meter\.bus: bad TCP bus' "${good}meter.bus = tcp:localhost:99999\n"
expect meter-bus-no-port   1 ':3: meter\.bus: bad TCP bus' "${good}meter.bus = tcp:localhost\n"
expect meter-unit-range    1 ':3: meter\.unit: value 0 out of range 1\.\.247' "${good}meter.unit = 0\n"
expect meter-timeout-range 1 ':3: meter\.timeout_ms: value 2000 out of range' "${good}meter.timeout_ms = 2000\n"
expect imd-needs-bus       1 'imd\.bus: required when imd\.model is bender or dold' "${good}imd.model = dold\n"
expect imd-bus-bad         1 ':4: imd\.bus: expected rtu:DEV,BAUD,8N1 or tcp:HOST:PORT' "${good}imd.model = bender\nimd.bus = COM1\n"
expect imd-bus-no-model    1 ':3: imd\.bus: given, but imd\.model is none' "${good}imd.bus = tcp:h:502\n"
expect imd-model-enum      1 ':3: imd\.model: .iso. is not one of the allowed values' "${good}imd.model = iso\n"
expect link-port-type      1 ':4: link\.tcp_port: expected a whole number' "${good}link.interface = eth1\nlink.tcp_port = http\n"
expect link-port-range     1 ':4: link\.tcp_port: value 70000 out of range 0\.\.65535' "${good}link.interface = eth1\nlink.tcp_port = 70000\n"
expect link-modem-bool     1 ':3: link\.modem: expected true or false' "${good}link.modem = maybe\n"
expect tls-key-alone       1 'link\.tls_cert: link\.tls_cert and link\.tls_key go together' "${good}link.interface = eth1\nlink.tls_key = /etc/k.pem\n"
expect tls-cert-missing    1 ':4: link\.tls_cert: cannot read ./nonexistent/c\.pem.: No such file' "${good}link.interface = eth1\nlink.tls_cert = /nonexistent/c.pem\nlink.tls_key = /nonexistent/k.pem\n"
expect tls-client-needs-tls 1 ':4: link\.tls_client_cert: asking cars for a certificate needs TLS' "${good}link.interface = eth1\nlink.tls_client_cert = required\n"
expect tls-client-enum     1 ':4: link\.tls_client_cert: .maybe. is not one of the allowed values' "${good}link.interface = eth1\nlink.tls_client_cert = maybe\n"
expect tls-client-ca-alone 1 'link\.tls_client_ca: given, but link\.tls_client_cert is none' "${good}link.interface = eth1\nlink.tls_client_ca = /etc/roots.pem\n"
# Issue 12 item 22: every problem at once, checks across keys, the machine, a BOM.
expect all-errors          1 ':3: can\.bitrate: expected a whole number.*:4: log\.levle: unknown key.*:5: log\.syslog: expected true or false.*3 errors' "${good}can.bitrate = fast\nlog.levle = debug\nlog.syslog = yes\n"
expect all-errors-and-cross 1 ':3: meter\.unit: value 0 out of range.*:4: charger\.export_voltage_v: 920 V is above the connector rating charger\.max_voltage_v = 500 V.*2 errors' "${good}meter.unit = 0\ncharger.export_voltage_v = 920\ncharger.max_voltage_v = 500\n"
expect export-above-max    1 ':3: charger\.export_voltage_v: 600 V is above the connector rating charger\.max_voltage_v = 500 V' "${good}charger.export_voltage_v = 600\ncharger.max_voltage_v = 500\n"
expect export-current-above 1 ':3: charger\.export_current_a: 300 A is above the connector rating charger\.max_current_a = 200 A' "${good}charger.export_current_a = 300\n"
expect bom                 1 ':1: the file starts with a UTF-8 byte order mark \(BOM\)' "\xef\xbb\xbf${good}"
expect bom-and-more        1 'byte order mark.*:3: can\.bitrate: expected a whole number.*2 errors' "\xef\xbb\xbf${good}can.bitrate = fast\n"
expect infy-needs-can      1 'can\.interface: required with psu\.type = infy' 'store.dir = /tmp/x\npsu.type = infy\ninfy.modules = 0\n'
expect serial-missing      1 ':3: meter\.bus: serial device ./nonexistent/ttyUSB9.: No such file' "${good}meter.bus = rtu:/nonexistent/ttyUSB9,9600\n"
expect serial-not-device   1 ':3: meter\.bus: ./tmp. is not a serial \(character\) device' "${good}meter.bus = rtu:/tmp,9600\n"
expect imd-serial-missing  1 ':4: imd\.bus: serial device ./nonexistent/ttyS7.: No such file' "${good}imd.model = dold\nimd.bus = rtu:/nonexistent/ttyS7\n"
expect can-missing         1 ':1: can\.interface: no network interface .nosuchcan9. on this machine' 'can.interface = nosuchcan9\nstore.dir = /tmp/x\npsu.type = infy\ninfy.modules = 0\n'
expect link-missing        1 ':3: link\.interface: no network interface .nosucheth9. on this machine' "${good}link.interface = nosucheth9\n"
: > "$dir/plain"
expect store-under-file    1 ':2: store\.dir: .*Not a directory' "can.interface = vcan0\nstore.dir = $dir/plain/store\n"
expect store-is-file       1 ':2: store\.dir: .*is not a directory' "can.interface = vcan0\nstore.dir = $dir/plain\n"
expect store-created-later 0 'configuration valid' "can.interface = vcan0\nstore.dir = $dir/new/deeper/store\n"
# psu.type = huawei (issue 21): its required keys, a host that is no IPv4 address, TLS in part,
# and a valid one (the GOOSE interface must exist: lo does)
hw='store.dir = /tmp/x\npsu.type = huawei\n'
expect huawei-missing      1 'huawei\.host: required with psu\.type = huawei.*huawei\.goose_if: required with psu\.type = huawei' "$hw"
expect huawei-bad-host     1 'huawei\.host: not an IPv4 address' "${hw}huawei.host = unit.example\nhuawei.goose_if = lo\n"
expect huawei-tls-partial  1 'huawei\.tls_cert: mutual TLS needs all three' "${hw}huawei.host = 127.0.0.1\nhuawei.goose_if = lo\nhuawei.tls_ca = /tmp/ca.pem\n"
expect huawei-connector    1 'huawei\.connector: value 13 out of range 1\.\.12' "${hw}huawei.host = 127.0.0.1\nhuawei.goose_if = lo\nhuawei.connector = 13\n"
expect huawei-no-if        1 'huawei\.goose_if' "${hw}huawei.host = 127.0.0.1\nhuawei.goose_if = nosuch0\n"
expect huawei-valid        0 'configuration valid' "${hw}huawei.host = 127.0.0.1\nhuawei.port = 1502\nhuawei.goose_if = lo\nhuawei.connector = 2\n"
if [ "$(id -u)" -ne 0 ]; then
    mkdir -p "$dir/ro" && chmod 500 "$dir/ro"
    expect store-read-only 1 ':2: store\.dir: .* is not writable' "can.interface = vcan0\nstore.dir = $dir/ro/store\n"
fi
# TLS: a certificate and a key that do not belong together fail every handshake later.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=secc \
       -days 2 -keyout "$dir/k1.pem" -out "$dir/c1.pem" >/dev/null 2>&1 &&
   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$dir/k2.pem" >/dev/null 2>&1; then
    tls="${good}link.interface = lo\nlink.tls_cert = $dir/c1.pem\n"
    expect tls-pair-ok     0 'configuration valid' "${tls}link.tls_key = $dir/k1.pem\n"
    expect tls-mismatch    1 ':5: link\.tls_key: the private key does not match the certificate' "${tls}link.tls_key = $dir/k2.pem\n"
    expect tls-not-a-key   1 'link\.tls_key: .* holds no PEM private key' "${tls}link.tls_key = $dir/c1.pem\n"
    expect tls-not-a-cert  1 'link\.tls_cert: .* holds no PEM certificate' "${good}link.interface = lo\nlink.tls_cert = $dir/k1.pem\nlink.tls_key = $dir/k1.pem\n"
    expect tls-client-ok   0 'configuration valid' "${tls}link.tls_key = $dir/k1.pem\nlink.tls_client_cert = required\nlink.tls_client_ca = $dir/c1.pem\n"
    expect tls-client-ca-unreadable 1 'link\.tls_client_ca: cannot read' "${tls}link.tls_key = $dir/k1.pem\nlink.tls_client_cert = optional\nlink.tls_client_ca = $dir/none.pem\n"
else
    echo "FAIL config/tls-pair: openssl cannot make a test certificate (it is in DEPS_TEST)"; fail=$((fail + 1))
fi
head -c 20000 /dev/zero | tr '\0' '#' > "$dir/big.conf"
out=$("$bin" --check -c "$dir/big.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'larger than'; then echo "PASS config/too-large"; pass=$((pass + 1)); else echo "FAIL config/too-large: $rc $out"; fail=$((fail + 1)); fi
out=$("$bin" --check -c "$dir/absent.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'cannot open: No such file'; then echo "PASS config/missing-file"; pass=$((pass + 1)); else echo "FAIL config/missing-file: $rc $out"; fail=$((fail + 1)); fi
out=$("$bin" --help 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'can.interface' && echo "$out" | grep -q 'interlock.safe_current_ma' && echo "$out" | grep -q 'infy.offline_timeout_ms' && echo "$out" | grep -q 'meter.bus' && echo "$out" | grep -q 'imd.model' && echo "$out" | grep -q 'link.tls_cert' && echo "$out" | grep -q 'station.max_power_w' && echo "$out" | grep -q 'limit-connector W' && echo "$out" | grep -q -- '--sim-plant'; then echo "PASS cli/help"; pass=$((pass + 1)); else echo "FAIL cli/help"; fail=$((fail + 1)); fi
out=$("$bin" --version 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -Eq '^charger [0-9]+\.[0-9]+\.[0-9]+$'; then echo "PASS cli/version"; pass=$((pass + 1)); else echo "FAIL cli/version: $out"; fail=$((fail + 1)); fi
out=$("$bin" --bogus 2>&1); rc=$?
if [ $rc -eq 2 ]; then echo "PASS cli/bad-option"; pass=$((pass + 1)); else echo "FAIL cli/bad-option: $rc"; fail=$((fail + 1)); fi
# A valid file naming a CAN interface that does not exist: start-up stops with a reason.
printf 'can.interface = nosuchcan9\nstore.dir = %s/store\npsu.type = infy\ninfy.modules = 0\n' "$dir" > "$dir/nocan.conf"
out=$("$bin" -c "$dir/nocan.conf" --run-for 1 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "can.interface 'nosuchcan9'"; then echo "PASS start/missing-can"; pass=$((pass + 1)); else echo "FAIL start/missing-can: $rc $out"; fail=$((fail + 1)); fi
# Without a power stage there is no CAN to open: the charger starts on a machine without one.
printf 'store.dir = %s/store-nocan\npsu.type = none\n' "$dir" > "$dir/nocan-none.conf"
out=$("$bin" -c "$dir/nocan-none.conf" --run-for 1 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "started (boot 1), CAN none" && echo "$out" | grep -q "stopped cleanly"; then echo "PASS start/without-can"; pass=$((pass + 1)); else echo "FAIL start/without-can: $rc $out"; fail=$((fail + 1)); fi
# The store is written atomically: the boot counter record exists, and no temp file is left.
if [ -f "$dir/store/boot_count" ] && [ -z "$(ls -A "$dir/store" | grep tmp)" ]; then echo "PASS start/store-written"; pass=$((pass + 1)); else echo "FAIL start/store-written: $(ls -la "$dir/store" 2>&1)"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
