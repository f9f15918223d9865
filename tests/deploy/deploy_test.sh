#!/usr/bin/env bash
# deploy_test.sh TRIPLET XBUILD SAN_CHARGER DIR - the deployment group (make integration-deploy):
#  1. the cross build (TRIPLET, folder XBUILD), its test variant only (in a cross build it is
#     unsanitized: ASan is not reliable under qemu-user): charger, simulator, unit tests;
#     `file` says ARM
#  2. every unit test binary under qemu-user, one PASS line each
#  3. a short simulated session of the cross-built simulator under qemu-user, its output the
#     same as the host simulator's but for the wall-clock figures (the virtual clock makes a
#     run deterministic)
#  4. make install (host build) into a folder; the sample /etc/dcfc/charger.conf passes
#     --check of the installed charger and of the cross-built one under qemu-user; a second
#     install keeps an edited file; systemd-analyze verify of the units
#  5. make deb (host): architecture, declared dependencies, conffile, maintainer scripts
#     (the cross packages: make cross-all; the fresh-root install: make deb-test)
#  6. the notify/watchdog protocol on a real notify socket (tests/deploy/notify_test.py)
#  7. a RAUC bundle of the installed tree, signed with a certificate made here, `rauc info`
# Qemu is called directly (qemu-ARCH -L /usr/TRIPLET): binfmt_misc is not needed.
set -u
triplet=$1 xbuild=$2 san_charger=$3 dir=$4
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
pass=0 fail=0
ok()  { echo "PASS deploy/$1: $2"; pass=$((pass + 1)); }
bad() { echo "FAIL deploy/$1: $2"; fail=$((fail + 1)); }
rm -rf "$dir" && mkdir -p "$dir"
case $triplet in
    aarch64-*) qemu=qemu-aarch64 elf='ARM aarch64' ;;
    arm-*)     qemu=qemu-arm     elf='ARM, EABI5' ;;
esac
run() { "$qemu" -L "/usr/$triplet" "$@"; }
secs() { echo $(( $(date +%s) - $1 )); }

# 1. the cross build, only what the group needs (the objects are kept between runs)
t=$(date +%s)
xmake() { $MAKE CROSS="$triplet" BUILD="$xbuild" "$@"; }
xbin=$xbuild/san/bin
if xmake -j2 "$xbin/charger" "$xbin/sim" unit > "$dir/build.log" 2>&1; then
    ok cross-build "$triplet: charger, sim and the unit tests built ($(secs "$t") s)"
else
    bad cross-build "$triplet build failed:"; grep -E 'error|Error' "$dir/build.log" | head -20
    echo "deploy: $pass passed, $fail failed"; exit 1
fi
echo "FIGURE deploy cross build: $(secs "$t") s"
for b in charger sim; do
    f=$(file -b "$xbin/$b")
    [[ $f == *"$elf"* ]] && ok file "$b is $(echo "$f" | cut -d, -f1-2)" || bad file "$b: $f"
done
v=$(run "$xbin/charger" --version 2>&1)
[[ $v == "charger "* ]] && ok qemu "the $triplet charger runs under $qemu: $v" || bad qemu "charger --version: $v"

# 2. the unit tests under qemu-user
t=$(date +%s)
units=$(ls "$xbuild"/san/tests/test_* 2>/dev/null | grep -v '\.o$' || true)
[ -n "$units" ] || bad unit "no unit test binaries in $xbuild/san/tests"
for u in $units; do
    n=$(basename "$u")
    if run "$u" > "$dir/$n.log" 2>&1; then
        ok unit "$n under $qemu ($(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s).*/\1/p' "$dir/$n.log" | awk '{s+=$1} END {print s+0}') cases)"
    else
        bad unit "$n under $qemu: $(grep -E 'FAILED|ERROR' "$dir/$n.log" | head -3 | tr '\n' ' ')"
    fi
done
echo "FIGURE deploy unit tests under qemu: $(secs "$t") s"

# 3. a short simulated session: the cross-built simulator under qemu against the host's
t=$(date +%s)
hostsim=$BUILD/san/bin/sim
args=(--sessions 1 --charge-s 5 --profile standard)
run "$xbin/sim" "${args[@]}" --out "$dir/sim-arm" > "$dir/sim-arm.out" 2>&1; rc=$?
"$hostsim" "${args[@]}" --out "$dir/sim-host" > "$dir/sim-host.out" 2>&1
if [ "$rc" -eq 0 ] && grep -q 'stop=ev' "$dir/sim-arm.out"; then
    ok sim "a DIN session of the $triplet simulator under qemu ends stop=ev"
else
    bad sim "exit $rc: $(tail -3 "$dir/sim-arm.out" | tr '\n' ' ')"
fi
# The outputs name their folder, and the figures of wall-clock and CPU time differ (qemu is
# slower);
# everything else must be the same.
norm() { sed -e "s|$2|OUT|g" -e 's/(wall clock, this CPU):[^;]*;/(wall clock):;/' \
                   -e 's/simulated in [0-9.]* s CPU/simulated in X s CPU/' "$1"; }
if diff <(norm "$dir/sim-arm.out" "$dir/sim-arm") <(norm "$dir/sim-host.out" "$dir/sim-host") > "$dir/sim.diff"; then
    ok sim "its output is the host simulator's, line for line ($(wc -l < "$dir/sim-arm.out") lines)"
else
    bad sim "output differs from the host simulator's: $(head -4 "$dir/sim.diff" | tr '\n' ' ')"
fi
echo "FIGURE deploy sim under qemu: $(secs "$t") s"

# 4. make install; the sample configuration checked by the installed charger and the
#    cross-built one; the units verified (PREFIX is the folder, so their Exec paths exist)
t=$(date +%s)
inst=$(readlink -f "$dir")/inst
if $MAKE install DESTDIR= PREFIX="$inst/usr" SYSCONFDIR="$inst/etc" WS_PLUGIN_DIR="$inst/wireshark/epan" > "$dir/install.log" 2>&1; then
    ok install "make install into $inst"
else
    bad install "$(tail -3 "$dir/install.log" | tr '\n' ' ')"
fi
for f in usr/bin/charger usr/bin/meter-ctl usr/bin/imd-ctl usr/bin/psu-ctl etc/dcfc/charger.conf \
         usr/lib/systemd/system/dcfc-charger.service usr/lib/systemd/system/dcfc-mark-good.service \
         usr/lib/dcfc/dcfc-mark-good usr/share/doc/dcfc-charger/deployment.md \
         usr/share/doc/dcfc-charger/rauc/system.conf usr/share/doc/dcfc-charger/rauc/manifest.raucm \
         usr/bin/v2g-decode usr/bin/v2g-report wireshark/epan/v2gtp.so; do
    [ -e "$inst/$f" ] || bad install "missing $f"
done
out=$("$inst/usr/bin/charger" --check -c "$inst/etc/dcfc/charger.conf" 2>&1)
[[ $out == *"configuration valid"* ]] && ok install "the installed sample charger.conf passes the installed charger's --check" ||
    bad install "--check of the sample: $out"
out=$(run "$xbin/charger" --check -c "$inst/etc/dcfc/charger.conf" 2>&1)
[[ $out == *"configuration valid"* ]] && ok install "... and the $triplet charger's --check under $qemu" ||
    bad install "--check of the sample under $qemu: $out"
# a second install keeps an edited configuration
echo "# edited" >> "$inst/etc/dcfc/charger.conf"
$MAKE install DESTDIR= PREFIX="$inst/usr" SYSCONFDIR="$inst/etc" WS_PLUGIN_DIR="$inst/wireshark/epan" > /dev/null 2>&1
grep -q '^# edited' "$inst/etc/dcfc/charger.conf" && [ -e "$inst/etc/dcfc/charger.conf.sample" ] &&
    ok install "a second install keeps the edited charger.conf (new sample beside it)" ||
    bad install "a second install overwrote the edited charger.conf"
if v=$(systemd-analyze verify "$inst/usr/lib/systemd/system/dcfc-charger.service" \
        "$inst/usr/lib/systemd/system/dcfc-mark-good.service" 2>&1) && [ -z "$v" ]; then
    ok systemd "systemd-analyze verify: both units clean"
else
    bad systemd "systemd-analyze verify: $v"
fi
u=$inst/usr/lib/systemd/system/dcfc-charger.service
for k in 'Type=notify' 'WatchdogSec=' 'Restart=on-failure' 'WantedBy=multi-user.target'; do
    grep -q "^$k" "$u" || bad systemd "dcfc-charger.service has no $k"
done
echo "FIGURE deploy install+verify: $(secs "$t") s"

# 5. the package for the build machine's architecture
t=$(date +%s)
arch=$(dpkg --print-architecture)
if $MAKE deb > "$dir/deb.log" 2>&1; then
    deb=$(ls "$BUILD"/deb/dcfc-charger_*_"$arch".deb)
    info=$(dpkg-deb -I "$deb")
    ok deb "make deb: $(basename "$deb") ($(stat -c %s "$deb") bytes)"
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] && ok deb "Architecture: $arch" || bad deb "architecture $(dpkg-deb -f "$deb" Architecture)"
    d=$(dpkg-deb -f "$deb" Depends)
    [[ $d == *libc6* && $d == *libssl3* && $d == *libmodbus5* && $d == *libpcap0.8* && $d == *libsocketcan2* ]] &&
        ok deb "Depends from dpkg-shlibdeps: $d" || bad deb "Depends: $d"
    [[ $info == *conffiles* ]] && [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/dcfc/charger.conf ] &&
        ok deb "conffiles: /etc/dcfc/charger.conf" || bad deb "no conffile"
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst | grep -q 'deb-systemd-helper enable dcfc-charger.service' &&
        ok deb "postinst enables the unit" || bad deb "postinst does not enable the unit"
    c=$(dpkg-deb -c "$deb")
    [[ $c == *./usr/bin/charger* && $c == *dcfc-charger.service* && $c == *./etc/dcfc/charger.conf* ]] &&
        ok deb "contents: charger, unit, configuration" || bad deb "contents incomplete"
    mkdir -p "$dir/debx" && dpkg-deb -x "$deb" "$dir/debx"
    file -b "$dir/debx/usr/bin/charger" | grep -q 'stripped' && ! file -b "$dir/debx/usr/bin/charger" | grep -q 'not stripped' &&
        ok deb "the packaged charger is stripped" || bad deb "the packaged charger is not stripped"
else
    bad deb "make deb failed: $(tail -5 "$dir/deb.log" | tr '\n' ' ')"
fi
echo "FIGURE deploy deb: $(secs "$t") s"

# 6. systemd notify and watchdog on a real notify socket (the sanitized host charger)
t=$(date +%s)
python3 tests/deploy/notify_test.py "$san_charger" > "$dir/notify.log" 2>&1; rc=$?
grep -E '^(PASS|FAIL) ' "$dir/notify.log" | while read -r v rest; do echo "$v $rest"; done
pass=$((pass + $(grep -c '^PASS ' "$dir/notify.log")))
fail=$((fail + $(grep -c '^FAIL ' "$dir/notify.log")))
[ "$rc" -eq 0 ] || [ "$(grep -c '^FAIL ' "$dir/notify.log")" -gt 0 ] || bad notify "notify_test.py exit $rc: $(tail -5 "$dir/notify.log" | tr '\n' ' ')"
echo "FIGURE deploy notify: $(secs "$t") s"

# 7. a RAUC bundle: the installed tree as an ext4 root image, the example manifest, signed
#    with a certificate made here; rauc info checks the signature against it
t=$(date +%s)
r=$dir/rauc
mkdir -p "$r/content"
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$r/key.pem" -out "$r/cert.pem" -days 2 \
        -subj "/O=dcfc test/CN=dcfc test signing" > "$r/openssl.log" 2>&1 &&
   mke2fs -q -t ext4 -d "$inst" "$r/content/rootfs.ext4" 32M > "$r/mke2fs.log" 2>&1; then
    cp "$inst/usr/share/doc/dcfc-charger/rauc/manifest.raucm" "$r/content/"
    if rauc bundle --cert="$r/cert.pem" --key="$r/key.pem" "$r/content" "$r/update.raucb" > "$r/bundle.log" 2>&1; then
        ok rauc "rauc bundle: signed $(basename "$r/update.raucb") ($(stat -c %s "$r/update.raucb") bytes)"
    else
        bad rauc "rauc bundle: $(tail -3 "$r/bundle.log" | tr '\n' ' ')"
    fi
    i=$(rauc info --keyring="$r/cert.pem" "$r/update.raucb" 2>&1)
    if [[ $i == *"Verified inline signature by 'O = dcfc test, CN = dcfc test signing'"* && \
          $i == *"Compatible:"*"'dcfc-charger-rpi4'"* && $i == *"Bundle Format:"*verity* && $i == *"Filename:"*rootfs.ext4* ]]; then
        ok rauc "rauc info: signature verified against the test's certificate, compatible, verity, rootfs.ext4"
    else
        bad rauc "rauc info: $i"
    fi
    # a bundle signed by someone else is refused
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$r/k2.pem" -out "$r/other.pem" -days 2 -subj "/CN=other" > /dev/null 2>&1
    if rauc info --keyring="$r/other.pem" "$r/update.raucb" > "$r/other.log" 2>&1; then
        bad rauc "rauc info accepted the bundle against a foreign keyring"
    else
        ok rauc "rauc info refuses the bundle against a foreign keyring"
    fi
else
    bad rauc "certificate or root image: $(cat "$r/openssl.log" "$r/mke2fs.log" | tail -3 | tr '\n' ' ')"
fi
echo "FIGURE deploy rauc: $(secs "$t") s"
echo "deploy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
