#!/usr/bin/env bash
# deb_fresh_root.sh DEB DIR - the package on a fresh Debian 12: debootstrap --variant=minbase
# bookworm into DIR/root (the first run keeps DIR/base.tar, later runs start from a copy of
# it), apt installs the .deb with its declared dependencies from the archive, then inside
# the root: `charger --version`, `charger --check` of the shipped configuration, the unit
# enabled (multi-user.target.wants link, systemctl is-enabled) and the conffile registered.
set -u
deb=$(readlink -f "$1") dir=$2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
pass=0 fail=0
ok()  { echo "PASS deb-test: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL deb-test: $*"; fail=$((fail + 1)); }
mkdir -p "$dir"
root=$dir/root
cleanup() {
    for m in proc dev/pts dev sys; do umount "$root/$m" 2>/dev/null; done
}
trap cleanup EXIT
cleanup
rm -rf "$root"
t0=$(date +%s)
if [ ! -s "$dir/base.tar" ]; then
    debootstrap --variant=minbase bookworm "$root" "$mirror" > "$dir/debootstrap.log" 2>&1 ||
        { echo "FAIL deb-test: debootstrap (see $dir/debootstrap.log)"; tail -5 "$dir/debootstrap.log"; exit 1; }
    tar -C "$root" -cf "$dir/base.tar" .
else
    mkdir -p "$root" && tar -C "$root" -xf "$dir/base.tar"
fi
echo "FIGURE deb-test fresh root: $(( $(date +%s) - t0 )) s"
mount -t proc proc "$root/proc" && mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts"
cp "$deb" "$root/tmp/"
t1=$(date +%s)
if chroot "$root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/$(basename "$deb")" \
        > "$dir/install.log" 2>&1; then
    ok "apt installs $(basename "$deb") with its dependencies"
else
    bad "apt install (see $dir/install.log)"; tail -15 "$dir/install.log"
fi
echo "FIGURE deb-test install: $(( $(date +%s) - t1 )) s"
v=$(chroot "$root" charger --version 2>&1)
[[ $v == "charger "* ]] && ok "charger --version in the fresh root: $v" || bad "charger --version: $v"
c=$(chroot "$root" charger --check -c /etc/dcfc/charger.conf 2>&1)
[[ $c == *"configuration valid"* ]] && ok "the shipped /etc/dcfc/charger.conf passes --check" || bad "--check: $c"
[ -L "$root/etc/systemd/system/multi-user.target.wants/dcfc-charger.service" ] &&
    ok "the unit is enabled (multi-user.target.wants)" || bad "no multi-user.target.wants link"
# minbase has no systemd: the host's systemctl reads the root's unit files offline
e=$(systemctl --root="$root" is-enabled dcfc-charger.service 2>&1)
[ "$e" = enabled ] && ok "systemctl is-enabled: $e" || bad "systemctl is-enabled: $e"
grep -qx /etc/dcfc/charger.conf "$root/var/lib/dpkg/info/dcfc-charger.conffiles" &&
    ok "/etc/dcfc/charger.conf is a conffile" || bad "conffile not registered"
for t in meter-ctl imd-ctl psu-ctl; do
    chroot "$root" sh -c "$t --help" >/dev/null 2>&1 && ok "$t runs" || bad "$t --help fails"
done
echo "deb-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
