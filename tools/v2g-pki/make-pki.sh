#!/usr/bin/env bash
# make-pki.sh DIR - a Plug & Charge test PKI made with the openssl command line, for the
# tests and for lab use (nothing private is ever committed: every key is made here).
#
# The good hierarchies follow the ISO 15118-2 certificate profiles (docs/pnc.md "PKI"):
# EC secp256r1 keys, ecdsa-with-SHA256, critical basicConstraints (Sub-CA 1 pathlen 1,
# Sub-CA 2 pathlen 0, leaves CA:false), critical keyUsage (CAs keyCertSign+cRLSign, leaves as
# the profile of their role), SKI/AKI, a domain component per hierarchy (V2G, CPO, MO, OEM,
# CPS) and the validity lengths of the open test PKIs, all relative to the time of the run.
#
#   DIR/roots/{v2g,mo,oem}/root.pem      trust anchors (certificate only)
#   DIR/ok/{secc,contract,oem,cps}/      leaf.pem + subs.pem (Sub-CA 2 then Sub-CA 1), and
#                                        chain.pem (both: what a TLS server sends)
#   DIR/bad/NAME/                        leaf.pem + subs.pem of each deliberately bad chain
#   DIR/emaid                            the eMAID of the good contract certificate
#   DIR/der/                             contract chain and MO root in DER (for the benchmark)
#   DIR/keys/                            every private key (the lab's, never commit them)
#
# Bad chains (all contract chains under the MO root unless said): expired, not-yet-valid,
# wrong-ku (leaf without digitalSignature), p384 and secp256k1 (leaf on another curve), rsa,
# broken-missing (Sub-CA 2 left out), broken-signature (leaf signed by a forged Sub-CA 2 of the
# same name), pathlen (Sub-CA 1 with pathlen 0 issues Sub-CA 2), chain-too-long (three
# Sub-CAs), chain20 (a 20-certificate chain), oversize (leaf above 800 bytes), leaf-ca (leaf
# with CA:true), critical-ext (an unknown critical extension), emaid-syntax (CN is no eMAID),
# secc-no-dc (SECC leaf without DC=CPO, under the V2G root). The eMAID mismatch and the wrong
# trust anchor are the good chains checked with another eMAID or other roots.
#
# With --secc only the V2G root, the CPO Sub-CAs and the SECC leaf are made (roots/v2g,
# ok/secc, keys/secc.key): the TLS server of the tests that need no more.
#
# Deterministic in structure (names, extensions, serials, validity lengths); the keys and so
# the signatures differ on each run. Needs only openssl (Debian package openssl).
set -euo pipefail

secc_only=
if [ "${1:-}" = "--secc" ]; then
    secc_only=1
    shift
fi
if [ $# -ne 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    echo "usage: make-pki.sh [--secc] DIR   (the Plug & Charge test PKI in DIR; --secc: only the" >&2
    echo "       V2G root and the SECC chain, what a TLS server needs; see the header)" >&2
    [ $# -eq 1 ] && exit 0
    exit 2
fi
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/roots" "$out/ok" "$out/bad" "$out/keys" "$out/certs" "$out/ca" "$out/der"
mkdir -p "$out/roots/v2g" "$out/roots/mo" "$out/roots/oem" "$out/keys" "$out/certs" "$out/ca/new"
: >"$out/ca/index.txt"
echo 1000 >"$out/ca/serial"

EMAID=DEPNC123456789X
echo "$EMAID" >"$out/emaid"

now=$(date -u +%s)
stamp() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }
day=86400
# A little in the past, so a charger whose clock is a few minutes behind still accepts.
start=$(stamp $((now - day)))

cnf=$out/ca/openssl.cnf
big=$(printf 'x%.0s' $(seq 1 700))
cat >"$cnf" <<EOF
[ca]
default_ca = v2g
[v2g]
dir = $out/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/new
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = optional
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[sub1]
basicConstraints = critical,CA:true,pathlen:1
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[sub2]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[sub_open]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[sub_pl0]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[secc]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[contract]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment,keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[oem]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[cps]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[bad_ku]
basicConstraints = critical,CA:false
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ca]
basicConstraints = critical,CA:true
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[crit_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyAgreement
1.3.6.1.4.1.99999.1 = critical,ASN1:UTF8String:unknown critical extension
[oversize]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nsComment = $big
EOF

# The key and its request in one openssl run (a process less per certificate: the PKI is
# made on every test run, on a loaded machine).
keyreq() { # NAME SUBJECT [curve|rsa]
    local nk
    case ${3:-prime256v1} in
    rsa) nk=(-newkey rsa:1024) ;;
    *) nk=(-newkey ec -pkeyopt "ec_paramgen_curve:${3:-prime256v1}") ;;
    esac
    openssl req -new -config "$cnf" "${nk[@]}" -nodes -keyout "$out/keys/$1.key" -subj "$2" \
        -out "$out/ca/$1.csr" 2>"$out/ca/$1.req.log"
}

# issue NAME SUBJECT ISSUER(NAME|self) SECTION DAYS [CURVE] [START] [END]
issue() {
    local name=$1 subj=$2 issuer=$3 sect=$4 days=$5 curve=${6:-prime256v1}
    local s=${7:-$start} e=${8:-$(stamp $((now - day + $5 * day)))}
    if [ -n "${REUSE_KEY:-}" ]; then
        # same key and request as REUSE_KEY, the subject set at signing (the 20-chain)
        cp "$out/keys/$REUSE_KEY.key" "$out/keys/$name.key"
        cp "$out/ca/$REUSE_KEY.csr" "$out/ca/$name.csr"
    else
        keyreq "$name" "$subj" "$curve"
    fi
    if [ "$issuer" = self ]; then
        openssl ca -batch -config "$cnf" -selfsign -preserveDN -notext -keyfile "$out/keys/$name.key" \
            -in "$out/ca/$name.csr" -out "$out/certs/$name.pem" -extensions "$sect" \
            -startdate "$s" -enddate "$e" -subj "$subj" 2>"$out/ca/$name.log"
    else
        openssl ca -batch -config "$cnf" -preserveDN -notext -keyfile "$out/keys/$issuer.key" \
            -cert "$out/certs/$issuer.pem" -in "$out/ca/$name.csr" -out "$out/certs/$name.pem" \
            -extensions "$sect" -startdate "$s" -enddate "$e" -subj "$subj" 2>"$out/ca/$name.log"
    fi
}

# chain DIR LEAF SUB... : DIR/leaf.pem and DIR/subs.pem (issuing order, as the car sends them)
chain() {
    local d=$1 leaf=$2
    shift 2
    mkdir -p "$d"
    cp "$out/certs/$leaf.pem" "$d/leaf.pem"
    : >"$d/subs.pem"
    for s in "$@"; do cat "$out/certs/$s.pem" >>"$d/subs.pem"; done
    cat "$d/leaf.pem" "$d/subs.pem" >"$d/chain.pem"
}

O="/O=V2G Test PKI (make-pki.sh)/C=DE"
# ---- V2G root, CPO (SECC) and CPS chains; validity as in the open test PKIs (days)
issue v2g-root "/CN=V2G Root CA$O/DC=V2G" self root 3650
issue cpo-sub1 "/CN=CPO Sub-CA 1$O/DC=CPO" v2g-root sub1 1460
issue cpo-sub2 "/CN=CPO Sub-CA 2$O/DC=CPO" cpo-sub1 sub2 365
issue secc "/CN=SECCCert$O/DC=CPO" cpo-sub2 secc 60
cp "$out/certs/v2g-root.pem" "$out/roots/v2g/root.pem"
chain "$out/ok/secc" secc cpo-sub2 cpo-sub1
if [ -n "$secc_only" ]; then
    echo "make-pki: SECC chain in $out (roots/v2g/root.pem, ok/secc/chain.pem, keys/secc.key)"
    exit 0
fi
issue cps-sub1 "/CN=CPS Sub-CA 1$O/DC=V2G" v2g-root sub1 1460
issue cps-sub2 "/CN=CPS Sub-CA 2$O/DC=V2G" cps-sub1 sub2 730
issue cps "/CN=CPS Leaf$O/DC=CPS" cps-sub2 cps 90
# ---- MO root and the contract chain
issue mo-root "/CN=MO Root CA$O/DC=MO" self root 3650
issue mo-sub1 "/CN=MO Sub-CA 1$O/DC=MO" mo-root sub1 1460
issue mo-sub2 "/CN=MO Sub-CA 2$O/DC=MO" mo-sub1 sub2 1460
issue contract "/CN=$EMAID$O/DC=MO" mo-sub2 contract 730
# ---- OEM provisioning chain
issue oem-root "/CN=OEM Root CA$O/DC=OEM" self root 3650
issue oem-sub1 "/CN=OEM Sub-CA 1$O/DC=OEM" oem-root sub1 1460
issue oem-sub2 "/CN=OEM Sub-CA 2$O/DC=OEM" oem-sub1 sub2 1460
issue oem "/CN=OEM Prov Cert$O/DC=OEM" oem-sub2 oem 1460

cp "$out/certs/mo-root.pem" "$out/roots/mo/root.pem"
cp "$out/certs/oem-root.pem" "$out/roots/oem/root.pem"
chain "$out/ok/contract" contract mo-sub2 mo-sub1
chain "$out/ok/oem" oem oem-sub2 oem-sub1
chain "$out/ok/cps" cps cps-sub2 cps-sub1

# ---- the bad ones (contract leaves under the good MO Sub-CAs unless said)
C="/CN=$EMAID$O/DC=MO"
issue bad-expired "$C" mo-sub2 contract 0 prime256v1 "$(stamp $((now - 40 * day)))" "$(stamp $((now - 10 * day)))"
issue bad-notyet "$C" mo-sub2 contract 0 prime256v1 "$(stamp $((now + 10 * day)))" "$(stamp $((now + 400 * day)))"
issue bad-ku "$C" mo-sub2 bad_ku 730
issue bad-p384 "$C" mo-sub2 contract 730 secp384r1
issue bad-k256 "$C" mo-sub2 contract 730 secp256k1
issue bad-rsa "$C" mo-sub2 contract 730 rsa
issue bad-leafca "$C" mo-sub2 leaf_ca 730
issue bad-crit "$C" mo-sub2 crit_ext 730
issue bad-big "$C" mo-sub2 oversize 730
issue bad-syntax "/CN=not an eMAID$O/DC=MO" mo-sub2 contract 730
# a forged Sub-CA 2: same name as the real one, its own key
issue forged-sub2 "/CN=MO Sub-CA 2$O/DC=MO" mo-sub1 sub2 1460
issue bad-forged "$C" forged-sub2 contract 730
# Sub-CA 1 that may not issue CAs, issuing a Sub-CA 2 anyway
issue pl0-sub1 "/CN=MO Sub-CA 1 pathlen 0$O/DC=MO" mo-root sub_pl0 1460
issue pl0-sub2 "/CN=MO Sub-CA 2 under pathlen 0$O/DC=MO" pl0-sub1 sub2 1460
issue bad-pathlen "$C" pl0-sub2 contract 730
# three Sub-CAs, every pathlen right: only the ISO-2 limit of two is broken
issue long-sub1 "/CN=MO Sub-CA 1 of 3$O/DC=MO" mo-root sub_open 1460
issue long-sub2 "/CN=MO Sub-CA 2 of 3$O/DC=MO" long-sub1 sub1 1460
issue long-sub3 "/CN=MO Sub-CA 3 of 3$O/DC=MO" long-sub2 sub2 1460
issue bad-long "$C" long-sub3 contract 730
# a 20-certificate chain: 19 Sub-CAs (one key between them, which keeps the run short) and
# the leaf
prev=mo-root
subs20=()
for i in $(seq 1 19); do
    if [ "$i" -eq 1 ]; then
        issue "c20-sub$i" "/CN=MO Sub-CA $i of 19$O/DC=MO" "$prev" sub_open 1460
    else
        REUSE_KEY=c20-sub1 issue "c20-sub$i" "/CN=MO Sub-CA $i of 19$O/DC=MO" "$prev" sub_open 1460
    fi
    subs20=("c20-sub$i" "${subs20[@]}")
    prev=c20-sub$i
done
issue bad-c20 "$C" "$prev" contract 730
issue bad-nodc "/CN=SECCCert$O" cpo-sub2 secc 60

chain "$out/bad/expired" bad-expired mo-sub2 mo-sub1
chain "$out/bad/not-yet-valid" bad-notyet mo-sub2 mo-sub1
chain "$out/bad/wrong-ku" bad-ku mo-sub2 mo-sub1
chain "$out/bad/p384" bad-p384 mo-sub2 mo-sub1
chain "$out/bad/secp256k1" bad-k256 mo-sub2 mo-sub1
chain "$out/bad/rsa" bad-rsa mo-sub2 mo-sub1
chain "$out/bad/leaf-ca" bad-leafca mo-sub2 mo-sub1
chain "$out/bad/critical-ext" bad-crit mo-sub2 mo-sub1
chain "$out/bad/oversize" bad-big mo-sub2 mo-sub1
chain "$out/bad/emaid-syntax" bad-syntax mo-sub2 mo-sub1
chain "$out/bad/broken-missing" contract mo-sub1
chain "$out/bad/broken-signature" bad-forged mo-sub2 mo-sub1
chain "$out/bad/pathlen" bad-pathlen pl0-sub2 pl0-sub1
chain "$out/bad/chain-too-long" bad-long long-sub3 long-sub2 long-sub1
chain "$out/bad/chain20" bad-c20 "${subs20[@]}"
chain "$out/bad/secc-no-dc" bad-nodc cpo-sub2 cpo-sub1
# DER copies of the good contract chain and its root (the benchmark reads them without PEM).
mkdir -p "$out/der"
for c in contract mo-sub2 mo-sub1 mo-root; do
    openssl x509 -in "$out/certs/$c.pem" -outform DER -out "$out/der/$c.der"
done
echo "make-pki: $(ls "$out/certs" | wc -l) certificates in $out (eMAID $EMAID)"
