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
    if [ "$rc" -eq "$want" ] && echo "$out" | grep -Eq -- "$pattern"; then
        echo "PASS config/$name"; pass=$((pass + 1))
    else
        echo "FAIL config/$name: exit $rc (want $want), output: $out"; fail=$((fail + 1))
    fi
}

good='can.interface = vcan0\nstore.dir = /tmp/x\n'
expect valid               0 'configuration valid' "# minimal\n$good"
expect valid-full          0 'configuration valid' "${good}charger.name = \"left\"\ncharger.export_voltage_v = 920\ncharger.export_current_a = 200\npilot.debounce_ms = 50\ninterlock.safe_current_ma = 1000\ninterlock.power_down_timeout_ms = 800\ninterlock.contactor_timeout_ms = 150\ninterlock.lock_timeout_ms = 2000\ncan.bitrate = 500000\nlog.level = debug\nlog.syslog = false\n"
expect missing-key         1 'can\.interface: required key is missing' 'store.dir = /tmp/x\n'
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
head -c 20000 /dev/zero | tr '\0' '#' > "$dir/big.conf"
out=$("$bin" --check -c "$dir/big.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'larger than'; then echo "PASS config/too-large"; pass=$((pass + 1)); else echo "FAIL config/too-large: $rc $out"; fail=$((fail + 1)); fi
out=$("$bin" --check -c "$dir/absent.conf" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'cannot open: No such file'; then echo "PASS config/missing-file"; pass=$((pass + 1)); else echo "FAIL config/missing-file: $rc $out"; fail=$((fail + 1)); fi
out=$("$bin" --help 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'can.interface' && echo "$out" | grep -q 'interlock.safe_current_ma'; then echo "PASS cli/help"; pass=$((pass + 1)); else echo "FAIL cli/help"; fail=$((fail + 1)); fi
out=$("$bin" --version 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -Eq '^charger [0-9]+\.[0-9]+\.[0-9]+$'; then echo "PASS cli/version"; pass=$((pass + 1)); else echo "FAIL cli/version: $out"; fail=$((fail + 1)); fi
out=$("$bin" --bogus 2>&1); rc=$?
if [ $rc -eq 2 ]; then echo "PASS cli/bad-option"; pass=$((pass + 1)); else echo "FAIL cli/bad-option: $rc"; fail=$((fail + 1)); fi
# A valid file naming a CAN interface that does not exist: start-up stops with a reason.
printf 'can.interface = nosuchcan9\nstore.dir = %s/store\n' "$dir" > "$dir/nocan.conf"
out=$("$bin" -c "$dir/nocan.conf" --run-for 1 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "can.interface 'nosuchcan9'"; then echo "PASS start/missing-can"; pass=$((pass + 1)); else echo "FAIL start/missing-can: $rc $out"; fail=$((fail + 1)); fi
# The store is written atomically: the boot counter record exists, and no temp file is left.
if [ -f "$dir/store/boot_count" ] && [ -z "$(ls -A "$dir/store" | grep tmp)" ]; then echo "PASS start/store-written"; pass=$((pass + 1)); else echo "FAIL start/store-written: $(ls -la "$dir/store" 2>&1)"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
