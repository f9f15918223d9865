#!/usr/bin/env bash
# pki_test.sh V2G_PKI V2G_PKI_SAN V2G_CODEC SHARED WORKDIR [SIM] - the Plug & Charge test PKI and
# chain checks:
#   1. tools/v2g-pki/make-pki.sh makes the PKI (openssl, nothing committed)
#   2. every good chain (secc, contract, oem, cps) is accepted by v2g-pki and by openssl verify
#   3. every bad chain is refused by v2g-pki with its expected reason and ISO-2 response code;
#      openssl verify is asked too: it must refuse the chain faults (signature, validity,
#      issuer, pathlen, critical extension) and accepts the ISO-2 profile faults (curve, RSA,
#      key usage, size, Sub-CA count, eMAID, DC), which only the charger's profile check sees
#   4. the certificates of the shared PnC captures (contract chains of PaymentDetailsReq and
#      CertificateUpdateReq, the OEM provisioning certificate, the CPS chain of
#      CertificateInstallationRes, the SECC chain of the TLS handshake) are parsed and printed
#      with the capture's clock; their roots are not in the captures, so the verdict must be
#      "no-root" (every inner signature verified), and openssl agrees with -partial_chain
# The table of chains runs the release build (an ASan start costs ten times the check); the
# printing, the tool's bad input and the foreign certificates of the captures run the
# sanitized one.
# Prints PASS/FAIL lines and "pki: N passed, N failed"; exits non-zero on a failure.
set -u
pki_rel=$1 pki_bin=$2 codec=$3 shared=$4 w=$5 sim=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
rm -rf "$w"
mkdir -p "$w"

t0=$(date +%s.%N)
if "$here/../../tools/v2g-pki/make-pki.sh" "$w/pki" >"$w/make-pki.log" 2>&1; then
    ok "pki-make: test PKI made in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s ($(tail -n 1 "$w/make-pki.log"))"
else
    bad "pki-make: make-pki.sh failed: $(tail -n 3 "$w/make-pki.log" | tr '\n' '|')"
    echo "pki: $pass passed, $fail failed"
    exit 1
fi
P=$w/pki
EMAID=$(cat "$P/emaid")

# The profile the good certificates must show (printed by v2g-pki itself).
out=$("$pki_bin" check --role contract --roots "$P/roots/mo" --emaid "$EMAID" \
      "$P/ok/contract/leaf.pem" "$P/ok/contract/subs.pem" 2>&1)
if echo "$out" | grep -q "key:       EC secp256r1" && echo "$out" | grep -q "signature: ecdsa-with-SHA256" &&
   echo "$out" | grep -q "CA:true pathlen:0" && echo "$out" | grep -q "CA:true pathlen:1" &&
   echo "$out" | grep -q "CN=$EMAID" && echo "$out" | grep -q "^anchor"; then
    ok "pki-print: the contract chain printed with key, algorithm, pathlen, eMAID and anchor"
else
    bad "pki-print: $(echo "$out" | head -n 20 | tr '\n' '|')"
fi

# check NAME ROLE ROOTS EMAID EXPECT(ok|reason) ISO2 OPENSSL(ok|fail) DIR
check() {
    local name=$1 role=$2 roots=$3 emaid=$4 want=$5 iso2=$6 ossl=$7 d=$8
    local args=(check --role "$role" --roots "$P/roots/$roots")
    [ "$emaid" != - ] && args+=(--emaid "$emaid")
    local out rc
    out=$("$pki_rel" "${args[@]}" "$d/leaf.pem" "$d/subs.pem" 2>&1)
    rc=$?
    local verdict
    verdict=$(echo "$out" | grep '^verdict:')
    if [ "$want" = ok ]; then
        if [ $rc -eq 0 ] && echo "$verdict" | grep -q "accepted.*iso2=$iso2"; then
            ok "pki-$name: accepted ($role, $iso2)"
        else
            bad "pki-$name: expected accepted, rc $rc: $verdict"
        fi
    else
        if [ $rc -eq 1 ] && echo "$verdict" | grep -q "refused reason=$want .*iso2=$iso2:"; then
            ok "pki-$name: refused, reason $want, $iso2"
        else
            bad "pki-$name: expected refused reason=$want iso2=$iso2, rc $rc: $verdict"
        fi
    fi
    local oargs=(-CAfile "$P/roots/$roots/root.pem")
    [ -s "$d/subs.pem" ] && oargs+=(-untrusted "$d/subs.pem")
    if openssl verify "${oargs[@]}" "$d/leaf.pem" >"$w/ossl.log" 2>&1; then o=ok; else o=fail; fi
    if [ "$o" = "$ossl" ]; then
        ok "pki-$name-openssl: openssl verify says $o, as expected"
    else
        bad "pki-$name-openssl: openssl verify says $o, expected $ossl: $(tail -n 2 "$w/ossl.log" | tr '\n' '|')"
    fi
}

check secc secc v2g - ok OK ok "$P/ok/secc"
check contract contract mo "$EMAID" ok OK ok "$P/ok/contract"
check contract-emaid-form contract mo "${EMAID:0:2}-${EMAID:2:3}-${EMAID:5:9}-${EMAID:14}" ok OK ok "$P/ok/contract"
check oem oem oem - ok OK ok "$P/ok/oem"
check cps cps v2g - ok OK ok "$P/ok/cps"
check emaid-mismatch contract mo DEPNC987654321X emaid FAILED_CertChainError ok "$P/ok/contract"
check wrong-root contract v2g "$EMAID" no-root FAILED_NoCertificateAvailable fail "$P/ok/contract"
check secc-as-contract contract mo - dc FAILED_CertChainError fail "$P/ok/secc"
B=$P/bad
check expired contract mo "$EMAID" expired FAILED_CertificateExpired fail "$B/expired"
check not-yet-valid contract mo "$EMAID" not-yet-valid FAILED_CertificateExpired fail "$B/not-yet-valid"
check wrong-ku contract mo "$EMAID" key-usage FAILED_CertChainError ok "$B/wrong-ku"
check p384 contract mo "$EMAID" curve FAILED_CertChainError ok "$B/p384"
check secp256k1 contract mo "$EMAID" curve FAILED_CertChainError ok "$B/secp256k1"
check rsa contract mo "$EMAID" key-type FAILED_CertChainError ok "$B/rsa"
check leaf-ca contract mo "$EMAID" basic-constraints FAILED_CertChainError ok "$B/leaf-ca"
check critical-ext contract mo "$EMAID" critical-ext FAILED_CertChainError fail "$B/critical-ext"
check oversize contract mo "$EMAID" too-large FAILED_CertChainError ok "$B/oversize"
check emaid-syntax contract mo - emaid-syntax FAILED_CertChainError ok "$B/emaid-syntax"
check broken-missing contract mo "$EMAID" issuer FAILED_CertChainError fail "$B/broken-missing"
check broken-signature contract mo "$EMAID" signature FAILED_CertChainError fail "$B/broken-signature"
check pathlen contract mo "$EMAID" pathlen FAILED_CertChainError fail "$B/pathlen"
check chain-too-long contract mo "$EMAID" chain-too-long FAILED_CertChainError ok "$B/chain-too-long"
check chain20 contract mo "$EMAID" chain-too-long FAILED_CertChainError ok "$B/chain20"
check secc-no-dc secc v2g - dc FAILED_CertChainError ok "$B/secc-no-dc"

# A clock from --at: the good contract chain is refused 3 years on, and before it was made.
out=$("$pki_bin" check --role contract --roots "$P/roots/mo" --at "$(($(date +%s) + 3 * 365 * 86400))" \
      "$P/ok/contract/leaf.pem" "$P/ok/contract/subs.pem" 2>&1)
echo "$out" | grep -q "refused reason=expired index=0" && ok "pki-at-future: refused as expired with --at in 3 years" ||
    bad "pki-at-future: $(echo "$out" | grep verdict)"
out=$("$pki_bin" check --role contract --roots "$P/roots/mo" --at 2020-01-01T00:00:00Z \
      "$P/ok/contract/leaf.pem" "$P/ok/contract/subs.pem" 2>&1)
echo "$out" | grep -q "refused reason=not-yet-valid index=0" && ok "pki-at-past: refused as not yet valid with --at 2020-01-01T00:00:00Z" ||
    bad "pki-at-past: $(echo "$out" | grep verdict)"

# Bad input to the tool itself: a clear error, exit 2.
: >"$w/empty.pem"
printf 'garbage' >"$w/garbage.pem"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB!!!\n-----END CERTIFICATE-----\n' >"$w/badb64.pem"
head -c 300 "$P/der/contract.der" >"$w/truncated.der"
for case in "missing-role:check --roots $P/roots/mo $P/ok/contract/leaf.pem" \
            "missing-roots:check --role contract $P/ok/contract/leaf.pem" \
            "bad-role:check --role car --roots $P/roots/mo $P/ok/contract/leaf.pem" \
            "bad-at:check --role contract --at yesterday --roots $P/roots/mo $P/ok/contract/leaf.pem" \
            "no-file:check --role contract --roots $P/roots/mo $w/nothing.pem" \
            "garbage:check --role contract --roots $P/roots/mo $w/garbage.pem" \
            "empty:check --role contract --roots $P/roots/mo $w/empty.pem" \
            "empty-roots:check --role contract --roots $w/empty.pem $P/ok/contract/leaf.pem" \
            "no-root-files:check --role contract --roots $P/ok $P/ok/contract/leaf.pem" \
            "bad-base64:check --role contract --roots $P/roots/mo $w/badb64.pem"; do
    name=${case%%:*}
    # shellcheck disable=SC2086
    "$pki_bin" ${case#*:} >"$w/err.log" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && [ -s "$w/err.log" ] && ! grep -q "AddressSanitizer\|runtime error" "$w/err.log"; then
        ok "pki-cli-$name: exit 2 with '$(head -n 1 "$w/err.log")'"
    else
        bad "pki-cli-$name: rc $rc: $(head -n 3 "$w/err.log" | tr '\n' '|')"
    fi
done
"$pki_bin" check --role contract --roots "$P/roots/mo" "$w/truncated.der" >"$w/err.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "refused reason=parse" "$w/err.log"; then
    ok "pki-truncated: a truncated DER certificate is refused as not well-formed"
else
    bad "pki-truncated: rc $rc: $(grep verdict "$w/err.log")"
fi
if "$pki_bin" --help | grep -q -- "--roots" && "$pki_bin" check --help | grep -q -- "--emaid"; then
    ok "pki-help: --help names every option"
else
    bad "pki-help: --help incomplete"
fi

# ---- the certificates of the shared PnC captures, read in place
S=$shared/vectors/sessions
if [ ! -d "$S" ]; then
    echo "SKIP pki-captures: $S not found (the shared vectors are read in place, SHARED=$shared)"
else
    # pem_of XML TAG... : every base64 value of those elements, in document order, as PEM
    captures() { # CAPTURE MSG ROLE WHAT
        local cap=$1 msg=$2 role=$3 what=$4 f line t xml
        f=$S/$cap.pcapng.jsonl
        line=$(grep -m1 "\"msg\":\"$msg\"" "$f")
        t=$(echo "$line" | sed -n 's/.*"t":\([0-9.]*\).*/\1/p')
        xml=$(echo "$line" | sed -n 's/.*"exi":"\([0-9a-f]*\)".*/\1/p' | "$codec" decode iso2 2>/dev/null)
        local d=$w/cap/$cap-$msg-$role
        mkdir -p "$d"
        case $what in
        contract) echo "$xml" | sed 's/<ContractSignatureCertChain[^>]*>/\n&/' | sed -n 2p |
                      sed 's/<\/ContractSignatureCertChain>.*//' | grep -o '<Certificate>[^<]*</Certificate>' ;;
        sa) echo "$xml" | sed 's/<SAProvisioningCertificateChain[^>]*>/\n&/' | sed -n 2p |
                sed 's/<\/SAProvisioningCertificateChain>.*//' | grep -o '<Certificate>[^<]*</Certificate>' ;;
        oem) echo "$xml" | grep -o '<OEMProvisioningCert>[^<]*</OEMProvisioningCert>' ;;
        esac | sed 's/<[^>]*>//g' | while read -r b64; do
            echo "-----BEGIN CERTIFICATE-----"
            echo "$b64" | fold -w 64
            echo "-----END CERTIFICATE-----"
        done >"$d/chain.pem"
        local n
        n=$(grep -c BEGIN "$d/chain.pem")
        if [ "$n" -eq 0 ]; then
            bad "pki-capture-$cap-$msg: no certificate found in the decoded message"
            return
        fi
        local out rc
        out=$("$pki_bin" check --role "$role" --roots "$P/roots/mo" --at "$t" "$d/chain.pem" 2>&1)
        rc=$?
        local subj
        subj=$(echo "$out" | grep -m1 'subject:' | sed 's/.*subject: *//')
        if [ "$n" -gt 1 ] || [ "$what" != oem ]; then
            # The capture's root is not ours: every link below it verified, then no anchor.
            if [ $rc -eq 1 ] && echo "$out" | grep -q "refused reason=no-root index=$((n - 1))" &&
               [ "$(echo "$out" | grep -c 'key:       EC secp256r1')" -eq "$n" ]; then
                ok "pki-capture-$cap-$msg: $n certificate(s) parsed and printed, inner signatures verified, no anchor (leaf $subj)"
            else
                bad "pki-capture-$cap-$msg: rc $rc: $(echo "$out" | grep verdict) (leaf $subj)"
            fi
        else
            if [ $rc -eq 1 ] && echo "$out" | grep -q "refused reason=no-root index=0" &&
               echo "$out" | grep -q 'key:       EC secp256r1'; then
                ok "pki-capture-$cap-$msg: OEM provisioning certificate parsed and printed (leaf $subj)"
            else
                bad "pki-capture-$cap-$msg: rc $rc: $(echo "$out" | grep verdict)"
            fi
        fi
        # openssl on the same certificates: the top Sub-CA as a partial anchor, same clock.
        if [ "$n" -gt 1 ]; then
            awk -v n="$n" '/BEGIN/{k++} k==n' "$d/chain.pem" >"$d/top.pem"
            awk -v n="$n" '/BEGIN/{k++} k>1 && k<n' "$d/chain.pem" >"$d/mid.pem"
            awk '/BEGIN/{k++} k==1' "$d/chain.pem" >"$d/leaf.pem"
            local oargs=(-partial_chain -attime "${t%.*}" -CAfile "$d/top.pem")
            [ -s "$d/mid.pem" ] && oargs+=(-untrusted "$d/mid.pem")
            if openssl verify "${oargs[@]}" "$d/leaf.pem" >"$w/ossl.log" 2>&1; then
                ok "pki-capture-$cap-$msg-openssl: openssl verifies the same links"
            else
                bad "pki-capture-$cap-$msg-openssl: $(tail -n 2 "$w/ossl.log" | tr '\n' '|')"
            fi
        fi
    }
    captures ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G PaymentDetailsReq contract contract
    captures ISO-2_AC_PnC_TLS_Contract_MeteringReceipt_DS5366_RiseV2G PaymentDetailsReq contract contract
    captures ISO-2_DC_PnC_TLS_CertUpdate_DS5366_RiseV2G CertificateUpdateReq contract contract
    captures ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G CertificateInstallationReq oem oem
    captures ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G CertificateInstallationRes cps sa
    captures ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G CertificateInstallationRes contract contract
    # The SECC chain of the TLS handshake (TLS 1.2: the Certificate message is in clear).
    pcap=$shared/vectors/raw/dsv2gshark/ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng
    if [ -f "$pcap" ] && command -v tshark >/dev/null; then
        line=$(tshark -r "$pcap" -Y "tls.handshake.type==11" -T fields -e frame.time_epoch \
               -e tls.handshake.certificate 2>/dev/null | head -n 1)
        t=${line%%	*}
        d=$w/cap/secc
        mkdir -p "$d"
        echo "${line#*	}" | tr ',' '\n' | while read -r hex; do
            echo "$hex" | xxd -r -p | openssl x509 -inform DER
        done >"$d/chain.pem" 2>/dev/null
        n=$(grep -c BEGIN "$d/chain.pem")
        out=$("$pki_bin" check --role secc --roots "$P/roots/v2g" --at "$t" "$d/chain.pem" 2>&1)
        rc=$?
        if [ "$n" -ge 2 ] && [ $rc -eq 1 ] && echo "$out" | grep -q "refused reason=no-root index=$((n - 1))" &&
           echo "$out" | grep -m1 'subject:' | grep -q 'DC=CPO'; then
            ok "pki-capture-tls-secc: the SECC chain of the TLS handshake ($n certificates, leaf DC=CPO) parsed, inner signatures verified, no anchor"
        else
            bad "pki-capture-tls-secc: $n certificates, rc $rc: $(echo "$out" | grep verdict)"
        fi
    else
        echo "SKIP pki-capture-tls-secc: $pcap or tshark not found"
    fi
fi

# 5. Plug & Charge end to end in the simulator (sim --pnc over this PKI, reused): a session
#    paid with the contract ends ok with energy, its signed MeteringReceipt verified, the
#    eMAID the session's token; an expired
#    contract and a contract under an unknown root are refused with the standard's code and
#    the car stops cleanly (no energy, no safety violation); hostile files refused at start.
if [ -n "$sim" ]; then
    # one run: NAME ARGS... -> $w/NAME.log, rc in $src
    simrun() { local n=$1; shift; "$sim" --pnc --pki "$P" --charge-s 10 --out - "$@" >"$w/sim-$n.log" 2>&1; src=$?; }
    simrun ok
    l=$w/sim-ok.log
    if [ $src -eq 0 ] && grep -q "session 1: ok stop=ev energy_wh=[1-9]" "$l" &&
       grep -q "V2G: pnc: contract chain of $EMAID valid (leaf and Sub-CAs), root 0" "$l" &&
       grep -q "V2G: pnc: AuthorizationReq signature of $EMAID valid, GenChallenge ok" "$l" &&
       grep -q "V2G: pnc: MeteringReceiptReq signature of $EMAID valid, MeterInfo as sent ([0-9]* Wh), receipt 1" "$l" &&
       grep -q "authorised: contract (Plug & Charge)" "$l" &&
       grep -q "station: session 1 stopped: stop=ev, .*token $EMAID from contract" "$l"; then
        ok "pnc-sim-session: sim --pnc: chain and signature checked, authorised by the contract, signed MeteringReceipt verified, $(grep -o 'session 1: ok stop=ev energy_wh=[0-9]*' "$l"), token $EMAID from contract"
    else
        bad "pnc-sim-session: exit $src: $(grep -E 'pnc|session 1:|authori' "$l" | head -n 8 | tr '\n' '|')"
    fi
    # refused: NAME CODE ARGS...
    refused() {
        local n=$1 code=$2; shift 2
        simrun "$n" "$@"
        l=$w/sim-$n.log
        if [ $src -eq 1 ] && grep -q "V2G: answered PaymentDetails with $code" "$l" &&
           grep -q "V2G: pnc: contract chain of $EMAID refused" "$l" &&
           ! grep -q "power delivery on" "$l" && grep -q ' 0 safety violation(s)' "$l" &&
           grep -q "car: .*$code" "$l"; then
            ok "pnc-sim-$n: $code, the car stopped ($(grep -o "pnc: contract chain of $EMAID refused[^;]*" "$l" | head -n 1)), no power, 0 safety violations"
        else
            bad "pnc-sim-$n: exit $src: $(grep -E 'pnc|PaymentDetails|session 1:|car:|violation' "$l" | head -n 8 | tr '\n' '|')"
        fi
    }
    refused expired FAILED_CertificateExpired --contract-chain "$P/bad/expired/chain.pem" --contract-key "$P/keys/bad-expired.key"
    printf 'store.dir = %s\npnc.mo_roots = %s\n' "$w" "$P/roots/v2g/root.pem" >"$w/v2g-roots.conf"
    refused unknown-root FAILED_NoCertificateAvailable --config "$w/v2g-roots.conf"
    # hostile files: refused at start, exit 2, the reason named
    start_refused() {
        local n=$1 want=$2; shift 2
        simrun "$n" "$@"
        if [ $src -eq 2 ] && grep -q "$want" "$w/sim-$n.log"; then
            ok "pnc-sim-$n: refused at start: $(grep -m1 "$want" "$w/sim-$n.log")"
        else
            bad "pnc-sim-$n: exit $src: $(head -c 300 "$w/sim-$n.log" | tr '\n' '|')"
        fi
    }
    start_refused wrong-key "not the key of the contract certificate" --contract-key "$P/keys/mo-sub2.key"
    head -c 600 /dev/urandom >"$w/garbage.pem"
    start_refused garbage-chain "neither PEM nor DER" --contract-chain "$w/garbage.pem"
    printf 'store.dir = %s\npnc.mo_roots = %s\n' "$w" "$P/ok/contract/leaf.pem" >"$w/leaf-roots.conf"
    start_refused leaf-as-root "not a mobility-operator root" --config "$w/leaf-roots.conf"
    # CertificateInstallation / Update through the charger's local CA provider (docs/pnc.md
    # "Installation and update"): the car without a contract installs one and pays with it;
    # the car with one updates it first; an installation the charger refuses ends safe.
    for kind in install update; do
        simrun "cert-$kind" "--cert-$kind"
        l=$w/sim-cert-$kind.log
        if [ $kind = install ]; then
            req="V2G: pnc: CertificateInstallationReq signature valid, OEM provisioning chain valid; provider answered, signature valid"
            res="car: pnc: CertificateInstallationRes: SA provisioning chain valid (root 0), signature valid, contract $EMAID installed"
        else
            req="V2G: pnc: CertificateUpdateReq of $EMAID: signature valid, contract chain valid, root 0; provider answered, signature valid"
            res="car: pnc: CertificateUpdateRes: SA provisioning chain valid (root 0), signature valid, contract $EMAID updated"
        fi
        if [ $src -eq 0 ] && grep -qF "$req" "$l" && grep -qF "$res" "$l" &&
           grep -q "car: contract $EMAID ${kind}[de]*d: key decrypted and fits its certificate" "$l" &&
           grep -q "V2G: pnc: AuthorizationReq signature of $EMAID valid, GenChallenge ok" "$l" &&
           grep -q "session 1: ok stop=ev energy_wh=[1-9]" "$l"; then
            ok "pnc-sim-cert-$kind: request checked, provider's answer checked by charger and car, key decrypted, paid with it: $(grep -o 'session 1: ok stop=ev energy_wh=[0-9]*' "$l")"
        else
            bad "pnc-sim-cert-$kind: exit $src: $(grep -E 'pnc|Certificate|car:|session 1:' "$l" | head -n 8 | tr '\n' '|')"
        fi
    done
    # the charger's OEM anchors are the MO root: the car's provisioning certificate is refused
    printf 'store.dir = %s\npnc.oem_chain = %s\n' "$w" "$P/roots/mo/root.pem" >"$w/oem-wrong.conf"
    simrun cert-refused --cert-install --config "$w/oem-wrong.conf"
    l=$w/sim-cert-refused.log
    if [ $src -eq 1 ] && grep -q "V2G: pnc: CertificateInstallationReq refused: OEM provisioning chain" "$l" &&
       grep -q "car: .*FAILED_[A-Za-z]* in CertificateRes" "$l" &&
       ! grep -q "power delivery on" "$l" && grep -q ' 0 safety violation(s)' "$l"; then
        ok "pnc-sim-cert-refused: $(grep -o 'CertificateInstallationReq refused: [^;]*' "$l" | head -n 1); the car stopped, no power, 0 safety violations"
    else
        bad "pnc-sim-cert-refused: exit $src: $(grep -E 'pnc|Certificate|car:|session 1:|violation' "$l" | head -n 8 | tr '\n' '|')"
    fi
else
    echo "SKIP pnc-sim: no simulator given"
fi

echo "pki: $pass passed, $fail failed"
[ $fail -eq 0 ]
