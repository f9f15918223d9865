/* v2g-sig - checks the xmldsig signatures of ISO 15118-2 messages the way the charger
 * will (protocols/iso2/iso2_sig.c): every Reference's DigestValue against our EXI fragment
 * encoding of the element it names, and the SignatureValue against the signer's
 * certificate where the same capture carries it.
 *
 *   v2g-sig check SESSION.jsonl...   walk the ISO-2 messages of session JSONL files
 *                                    (../shared/vectors/sessions format)
 *   v2g-sig selftest                 sign -> encode -> decode -> verify with a P-256 key made
 *                                    for the run (OpenSSL port), and the refusals
 *   v2g-sig bench [N]                microseconds per digest, SignedInfo digest, verify, sign
 *   v2g-sig seeds                    hex of signed messages made by our own code, one a line
 *                                    (fuzz seeds: tests/fuzz/gen_corpus.py)
 *
 * Keys: AuthorizationReq and MeteringReceiptReq are checked with the contract certificate
 * of the capture's PaymentDetailsReq, CertificateInstallationReq with its own
 * OEMProvisioningCert, CertificateUpdateReq with the leaf of its ContractSignatureCertChain,
 * CertificateInstallationRes/UpdateRes with the leaf of SAProvisioningCertificateChain
 * (../shared/spec/iso15118-2-session.md 3.4). A Reference whose Id is not in its message
 * (RISE-V2G repeats the last Signature in later requests) is counted, not judged.
 * Prints PASS/FAIL per signed message and a summary; exit 1 when anything failed.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iso2/iso2.h"
#include "iso2/iso2_sig.h"
#include "linux_crypto.h"
#include "tool_jsonl.h"

static struct exi_iso2_document s_doc;
static uint8_t s_buf[16384];
static struct linux_crypto s_crypto;

struct totals {
    unsigned elements, equal, absent, verified, failed, messages;
};

/* Public key 04||X||Y of a DER certificate; false when it is not an EC P-256 certificate. */
static bool cert_pub(const uint8_t *der, size_t len, uint8_t pub[ISO2_SIG_PUB_LEN])
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    bool ok = false;
    if (x != NULL) {
        EVP_PKEY *k = X509_get0_pubkey(x);
        size_t n = 0;
        ok = k != NULL && EVP_PKEY_is_a(k, "EC") &&
             EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, ISO2_SIG_PUB_LEN,
                                             &n) == 1 &&
             n == ISO2_SIG_PUB_LEN && pub[0] == 0x04;
    }
    X509_free(x);
    return ok;
}

struct capture {
    const char *name;
    bool have_contract;
    uint8_t contract[ISO2_SIG_PUB_LEN];
};

/* The signer's key for this message, or NULL with *why set. */
static const uint8_t *signer_key(struct capture *cap, const struct exi_iso2_BodyType *b,
                                 uint8_t pub[ISO2_SIG_PUB_LEN], const char **why)
{
    *why = NULL;
    if (b->AuthorizationReq_isUsed || b->MeteringReceiptReq_isUsed) {
        *why = "contract certificate of PaymentDetailsReq";
        return cap->have_contract ? cap->contract : NULL;
    }
    if (b->CertificateInstallationReq_isUsed) {
        *why = "OEMProvisioningCert";
        return cert_pub(b->CertificateInstallationReq.OEMProvisioningCert.bytes,
                        b->CertificateInstallationReq.OEMProvisioningCert.bytesLen, pub) ? pub : NULL;
    }
    if (b->CertificateUpdateReq_isUsed) {
        *why = "ContractSignatureCertChain leaf";
        return cert_pub(b->CertificateUpdateReq.ContractSignatureCertChain.Certificate.bytes,
                        b->CertificateUpdateReq.ContractSignatureCertChain.Certificate.bytesLen, pub)
                   ? pub : NULL;
    }
    const struct exi_iso2_CertificateChainType *sa = NULL;
    if (b->CertificateInstallationRes_isUsed) {
        sa = &b->CertificateInstallationRes.SAProvisioningCertificateChain;
    } else if (b->CertificateUpdateRes_isUsed) {
        sa = &b->CertificateUpdateRes.SAProvisioningCertificateChain;
    }
    if (sa != NULL) {
        *why = "SAProvisioningCertificateChain leaf";
        return cert_pub(sa->Certificate.bytes, sa->Certificate.bytesLen, pub) ? pub : NULL;
    }
    return NULL;
}

static void check_message(struct capture *cap, const char *line, const char *frame,
                          const char *msg, struct totals *t)
{
    size_t len = 0;
    uint8_t *exi = tool_jsonl_hex(line, "exi", &len);
    if (exi == NULL) {
        printf("FAIL v2g-sig %s f%s %s: exi field is not hex\n", cap->name, frame, msg);
        t->failed++;
        return;
    }
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    int rc = exi_iso2_decode(&r, &s_doc);
    free(exi);
    if (rc != HAL_OK) {
        printf("FAIL v2g-sig %s f%s %s: does not decode (%s)\n", cap->name, frame, msg,
               exi_error_str(r.error));
        t->failed++;
        return;
    }
    struct exi_iso2_MessageHeaderType *h = &s_doc.V2G_Message.Header;
    const struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    if (b->PaymentDetailsReq_isUsed) {
        const struct exi_iso2_CertificateChainType *c = &b->PaymentDetailsReq.ContractSignatureCertChain;
        cap->have_contract = cert_pub(c->Certificate.bytes, c->Certificate.bytesLen, cap->contract);
    }
    if (!h->Signature_isUsed) {
        return;
    }
    t->messages++;
    unsigned here = 0;
    unsigned absent = 0;
    bool bad = false;
    const struct exi_iso2_SignedInfoType *si = &h->Signature.SignedInfo;
    for (uint16_t i = 0; i < si->Reference.arrayLen; i++) {
        const struct exi_iso2_ReferenceType *ref = &si->Reference.array[i];
        if (!ref->URI_isUsed || ref->URI.charactersLen < 2 || ref->URI.characters[0] != '#') {
            printf("FAIL v2g-sig %s f%s %s: Reference %u has no #Id URI\n", cap->name, frame, msg, i);
            bad = true;
            continue;
        }
        uint8_t d[ISO2_SIG_DIGEST_LEN];
        rc = iso2_sig_digest(b, ref->URI.characters + 1, ref->URI.charactersLen - 1u, s_buf,
                             sizeof s_buf, d);
        if (rc == HAL_ENOENT) {
            absent++;
            continue;
        }
        t->elements++;
        here++;
        if (rc != HAL_OK) {
            printf("FAIL v2g-sig %s f%s %s: %.*s does not encode as a fragment (%d)\n", cap->name,
                   frame, msg, (int)ref->URI.charactersLen, ref->URI.characters, rc);
            bad = true;
        } else if (ref->DigestValue.bytesLen != ISO2_SIG_DIGEST_LEN ||
                   memcmp(d, ref->DigestValue.bytes, ISO2_SIG_DIGEST_LEN) != 0) {
            printf("FAIL v2g-sig %s f%s %s: digest of %.*s differs from the recorded DigestValue\n",
                   cap->name, frame, msg, (int)ref->URI.charactersLen, ref->URI.characters);
            bad = true;
        } else {
            t->equal++;
        }
    }
    t->absent += absent;
    uint8_t pub[ISO2_SIG_PUB_LEN];
    const char *why = NULL;
    const uint8_t *key = here > 0 ? signer_key(cap, b, pub, &why) : NULL;
    char verdict[200] = "signature not checked (no signer certificate in this capture)";
    if (here == 0) {
        /* A repeated Signature (RISE-V2G copies the last MeteringReceiptReq's into later
         * requests): nothing here to digest, but SignatureValue still signs SignedInfo. */
        enum iso2_sig_error e = ISO2_SIG_E_KEY;
        if (cap->have_contract) {
            e = iso2_sig_verify_value(&s_crypto.base, cap->contract, ISO2_SIG_PUB_LEN, si,
                                      h->Signature.SignatureValue.CONTENT.bytes,
                                      h->Signature.SignatureValue.CONTENT.bytesLen, s_buf,
                                      sizeof s_buf);
        }
        if (e == ISO2_SIG_OK) {
            t->verified++;
        } else if (cap->have_contract) {
            printf("FAIL v2g-sig %s f%s %s: repeated Signature: %s\n", cap->name, frame, msg,
                   iso2_sig_error_str(e));
            bad = true;
        }
        snprintf(verdict, sizeof verdict,
                 "all %u References point outside this message; SignatureValue %s with the "
                 "contract certificate", absent, e == ISO2_SIG_OK ? "verified" : "not verified");
    } else if (key != NULL) {
        struct iso2_sig_check c = {.crypto = &s_crypto.base, .pub = key, .pub_len = ISO2_SIG_PUB_LEN,
                                   .buf = s_buf, .cap = sizeof s_buf};
        rc = iso2_sig_verify(&c, h, b);
        if (rc == HAL_OK) {
            t->verified++;
            snprintf(verdict, sizeof verdict, "signature verified with the %s", why);
        } else {
            printf("FAIL v2g-sig %s f%s %s: %s (Reference %d; key: %s)\n", cap->name, frame, msg,
                   iso2_sig_error_str(c.error), c.ref, why);
            bad = true;
        }
    } else if (why != NULL) {
        printf("FAIL v2g-sig %s f%s %s: no usable key (%s)\n", cap->name, frame, msg, why);
        bad = true;
    }
    if (bad) {
        t->failed++;
    } else {
        printf("PASS v2g-sig %s f%s %s: %u digest%s equal; %s\n", cap->name, frame, msg, here,
               here == 1 ? "" : "s", verdict);
    }
}

static int check_file(const char *path, struct totals *t)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("FAIL v2g-sig %s: cannot open\n", path);
        t->failed++;
        return 1;
    }
    const char *base = strrchr(path, '/');
    struct capture cap = {.name = base != NULL ? base + 1 : path};
    size_t cap_len = 0;
    char *line = NULL;
    while (getline(&line, &cap_len, f) > 0) {
        char schema[16];
        char frame[16] = "?";
        char msg[64] = "?";
        if (!tool_jsonl_str(line, "schema", schema, sizeof schema) || strcmp(schema, "iso2") != 0) {
            continue;
        }
        const char *fp = tool_jsonl_field(line, "f");
        if (fp != NULL) {
            snprintf(frame, sizeof frame, "%ld", strtol(fp, NULL, 10));
        }
        (void)tool_jsonl_str(line, "msg", msg, sizeof msg);
        check_message(&cap, line, frame, msg, t);
    }
    free(line);
    fclose(f);
    return 0;
}

/* ---- selftest and bench: a key made for the run (nothing private is kept anywhere) ---- */

struct run_key {
    uint32_t handle;
    uint8_t pub[ISO2_SIG_PUB_LEN];
};

static bool make_key(struct run_key *k)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    bool ok = false;
    size_t n = 0;
    if (key != NULL && bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, k->pub, sizeof k->pub, &n) == 1 &&
        n == ISO2_SIG_PUB_LEN) {
        char *pem = NULL;
        long len = BIO_get_mem_data(bio, &pem);
        ok = len > 0 && linux_crypto_add_key_pem(&s_crypto, pem, (size_t)len, &k->handle) == HAL_OK;
    }
    BIO_free(bio);
    EVP_PKEY_free(key);
    return ok;
}

static void auth_req(struct exi_iso2_document *d)
{
    memset(d, 0, sizeof *d);
    d->V2G_Message_isUsed = true;
    d->V2G_Message.Header.SessionID.bytesLen = 8;
    memcpy(d->V2G_Message.Header.SessionID.bytes, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    struct exi_iso2_AuthorizationReqType *a = &d->V2G_Message.Body.AuthorizationReq;
    d->V2G_Message.Body.AuthorizationReq_isUsed = true;
    a->Id_isUsed = true;
    memcpy(a->Id.characters, "ID1", 3);
    a->Id.charactersLen = 3;
    a->GenChallenge_isUsed = true;
    a->GenChallenge.bytesLen = 16;
    for (uint8_t i = 0; i < 16; i++) {
        a->GenChallenge.bytes[i] = (uint8_t)(0x30 + i);
    }
}

static unsigned s_st_pass, s_st_fail;

static void st_case(bool ok, const char *what)
{
    printf("%s v2g-sig selftest: %s\n", ok ? "PASS" : "FAIL", what);
    if (ok) {
        s_st_pass++;
    } else {
        s_st_fail++;
    }
}

static int selftest(void)
{
    static struct exi_iso2_document d2;
    static uint8_t wire[4096];
    struct run_key k, other;
    if (!make_key(&k) || !make_key(&other)) {
        printf("FAIL v2g-sig selftest: no P-256 key from OpenSSL\n");
        return 1;
    }
    const char *ids[] = {"ID1"};
    enum iso2_sig_error e = ISO2_SIG_E_CRYPTO;
    auth_req(&s_doc);
    int rc = iso2_sig_sign(&s_crypto.base, k.handle, &s_doc.V2G_Message.Header,
                           &s_doc.V2G_Message.Body, ids, 1, s_buf, sizeof s_buf, &e);
    st_case(rc == HAL_OK && s_doc.V2G_Message.Header.Signature.SignatureValue.CONTENT.bytesLen == 64,
            "AuthorizationReq signed with the port's key (raw r||s, 64 bytes)");
    /* over the wire and back: what the SECC receives */
    struct exi_writer w;
    exi_writer_init(&w, wire, sizeof wire);
    rc = exi_iso2_encode(&w, &s_doc);
    size_t n = exi_writer_len(&w);
    struct exi_reader r;
    exi_reader_init(&r, wire, n);
    int rc2 = exi_iso2_decode(&r, &d2);
    st_case(rc == HAL_OK && rc2 == HAL_OK, "signed message encodes and decodes");
    struct iso2_sig_check c = {.crypto = &s_crypto.base, .pub = k.pub, .pub_len = ISO2_SIG_PUB_LEN,
                               .buf = s_buf, .cap = sizeof s_buf};
    rc = iso2_sig_verify(&c, &d2.V2G_Message.Header, &d2.V2G_Message.Body);
    st_case(rc == HAL_OK && c.digests_equal == 1, "received signature verifies with the signer's key");
    c.pub = other.pub;
    rc = iso2_sig_verify(&c, &d2.V2G_Message.Header, &d2.V2G_Message.Body);
    st_case(rc == HAL_EPROTO && c.error == ISO2_SIG_E_SIGNATURE, "another key: refused (signature)");
    c.pub = k.pub;
    d2.V2G_Message.Body.AuthorizationReq.GenChallenge.bytes[15] ^= 0x80;
    rc = iso2_sig_verify(&c, &d2.V2G_Message.Header, &d2.V2G_Message.Body);
    st_case(rc == HAL_EPROTO && c.error == ISO2_SIG_E_DIGEST, "changed GenChallenge: refused (digest)");
    d2.V2G_Message.Body.AuthorizationReq.GenChallenge.bytes[15] ^= 0x80;
    d2.V2G_Message.Header.Signature.SignatureValue.CONTENT.bytes[40] ^= 1;
    rc = iso2_sig_verify(&c, &d2.V2G_Message.Header, &d2.V2G_Message.Body);
    st_case(rc == HAL_EPROTO && c.error == ISO2_SIG_E_SIGNATURE, "altered s: refused (signature)");
    d2.V2G_Message.Header.Signature.SignatureValue.CONTENT.bytes[40] ^= 1;
    uint8_t badpub[ISO2_SIG_PUB_LEN];
    memcpy(badpub, k.pub, sizeof badpub);
    badpub[64] ^= 1; /* not on the curve any more */
    c.pub = badpub;
    rc = iso2_sig_verify(&c, &d2.V2G_Message.Header, &d2.V2G_Message.Body);
    st_case(rc == HAL_EPROTO && c.error == ISO2_SIG_E_KEY, "a key off the curve: refused (key)");
    uint32_t h = 0;
    st_case(linux_crypto_add_key_pem(&s_crypto, "not a key", 9, &h) == HAL_EINVAL,
            "a PEM that is no key: refused");
    size_t sl = 0;
    uint8_t sig[64];
    st_case(hal_crypto_ecdsa_sign(&s_crypto.base, 99, sig, 32, sig, sizeof sig, &sl) == HAL_ENOENT,
            "an unknown key handle: HAL_ENOENT");
    st_case(hal_crypto_ecdsa_sign(&s_crypto.base, k.handle, sig, 32, sig, 63, &sl) == HAL_EOVERFLOW,
            "a signature buffer under 64 bytes: HAL_EOVERFLOW");
    printf("%u passed, %u failed\n", s_st_pass, s_st_fail);
    return s_st_fail == 0 ? 0 : 1;
}

static void set_str(char *dst, uint16_t *len, const char *src)
{
    *len = (uint16_t)strlen(src);
    memcpy(dst, src, *len);
}

/* Sign what iso2_sig_required() names, encode, print hex. */
static int emit_signed(uint32_t key)
{
    static char idbuf[ISO2_SIG_REFS_MAX][40];
    const char *req[ISO2_SIG_REFS_MAX];
    size_t len[ISO2_SIG_REFS_MAX];
    const char *ids[ISO2_SIG_REFS_MAX];
    int n = iso2_sig_required(&s_doc.V2G_Message.Body, req, len);
    if (n <= 0) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "%.*s", (int)len[i], req[i]);
        ids[i] = idbuf[i];
    }
    if (iso2_sig_sign(&s_crypto.base, key, &s_doc.V2G_Message.Header, &s_doc.V2G_Message.Body, ids,
                      (size_t)n, s_buf, sizeof s_buf, NULL) != HAL_OK) {
        return 1;
    }
    static uint8_t wire[8192];
    struct exi_writer w;
    exi_writer_init(&w, wire, sizeof wire);
    if (exi_iso2_encode(&w, &s_doc) != HAL_OK) {
        return 1;
    }
    for (size_t i = 0; i < exi_writer_len(&w); i++) {
        printf("%02x", wire[i]);
    }
    printf("\n");
    return 0;
}

static int seeds(void)
{
    struct run_key k;
    if (!make_key(&k)) {
        return 1;
    }
    int bad = 0;
    auth_req(&s_doc);
    bad |= emit_signed(k.handle);

    auth_req(&s_doc);
    struct exi_iso2_BodyType *b = &s_doc.V2G_Message.Body;
    memset(b, 0, sizeof *b);
    b->MeteringReceiptReq_isUsed = true;
    struct exi_iso2_MeteringReceiptReqType *m = &b->MeteringReceiptReq;
    m->Id_isUsed = true;
    set_str(m->Id.characters, &m->Id.charactersLen, "ID1");
    m->SessionID.bytesLen = 8;
    set_str(m->MeterInfo.MeterID.characters, &m->MeterInfo.MeterID.charactersLen, "meter-1");
    m->MeterInfo.MeterReading_isUsed = true;
    m->MeterInfo.MeterReading = 12;
    bad |= emit_signed(k.handle);

    memset(b, 0, sizeof *b);
    b->CertificateInstallationReq_isUsed = true;
    struct exi_iso2_CertificateInstallationReqType *ci = &b->CertificateInstallationReq;
    set_str(ci->Id.characters, &ci->Id.charactersLen, "ID1");
    ci->OEMProvisioningCert.bytesLen = 40;
    ci->ListOfRootCertificateIDs.RootCertificateID.arrayLen = 1;
    set_str(ci->ListOfRootCertificateIDs.RootCertificateID.array[0].X509IssuerName.characters,
            &ci->ListOfRootCertificateIDs.RootCertificateID.array[0].X509IssuerName.charactersLen,
            "CN=V2G Root");
    bad |= emit_signed(k.handle);

    memset(b, 0, sizeof *b);
    b->CertificateInstallationRes_isUsed = true;
    struct exi_iso2_CertificateInstallationResType *r = &b->CertificateInstallationRes;
    r->SAProvisioningCertificateChain.Certificate.bytesLen = 30;
    r->ContractSignatureCertChain.Id_isUsed = true;
    set_str(r->ContractSignatureCertChain.Id.characters, &r->ContractSignatureCertChain.Id.charactersLen, "id1");
    r->ContractSignatureCertChain.Certificate.bytesLen = 30;
    r->ContractSignatureCertChain.SubCertificates_isUsed = true;
    r->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = 2;
    r->ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytesLen = 20;
    r->ContractSignatureCertChain.SubCertificates.Certificate.array[1].bytesLen = 20;
    set_str(r->ContractSignatureEncryptedPrivateKey.Id.characters,
            &r->ContractSignatureEncryptedPrivateKey.Id.charactersLen, "id2");
    r->ContractSignatureEncryptedPrivateKey.CONTENT.bytesLen = 48;
    set_str(r->DHpublickey.Id.characters, &r->DHpublickey.Id.charactersLen, "id3");
    r->DHpublickey.CONTENT.bytesLen = 65;
    set_str(r->eMAID.Id.characters, &r->eMAID.Id.charactersLen, "id4");
    set_str(r->eMAID.CONTENT.characters, &r->eMAID.CONTENT.charactersLen, "DEABC123456789Y");
    bad |= emit_signed(k.handle);
    return bad;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int bench(long n)
{
    struct run_key k;
    if (!make_key(&k)) {
        fprintf(stderr, "v2g-sig bench: no P-256 key from OpenSSL\n");
        return 1;
    }
    const char *ids[] = {"ID1"};
    auth_req(&s_doc);
    if (iso2_sig_sign(&s_crypto.base, k.handle, &s_doc.V2G_Message.Header, &s_doc.V2G_Message.Body,
                      ids, 1, s_buf, sizeof s_buf, NULL) != HAL_OK) {
        fprintf(stderr, "v2g-sig bench: sign failed\n");
        return 1;
    }
    uint8_t d[ISO2_SIG_DIGEST_LEN];
    double t0 = now_us();
    for (long i = 0; i < n * 100; i++) {
        (void)iso2_sig_digest(&s_doc.V2G_Message.Body, "ID1", 3, s_buf, sizeof s_buf, d);
    }
    double t1 = now_us();
    for (long i = 0; i < n * 100; i++) {
        (void)iso2_sig_signedinfo_digest(&s_doc.V2G_Message.Header.Signature.SignedInfo, s_buf,
                                         sizeof s_buf, d);
    }
    double t2 = now_us();
    struct iso2_sig_check c = {.crypto = &s_crypto.base, .pub = k.pub, .pub_len = ISO2_SIG_PUB_LEN,
                               .buf = s_buf, .cap = sizeof s_buf};
    int bad = 0;
    for (long i = 0; i < n; i++) {
        bad |= iso2_sig_verify(&c, &s_doc.V2G_Message.Header, &s_doc.V2G_Message.Body);
    }
    double t3 = now_us();
    for (long i = 0; i < n; i++) {
        bad |= iso2_sig_sign(&s_crypto.base, k.handle, &s_doc.V2G_Message.Header,
                             &s_doc.V2G_Message.Body, ids, 1, s_buf, sizeof s_buf, NULL);
    }
    double t4 = now_us();
    printf("iso2_sig AuthorizationReq Reference digest (fragment + SHA-256): %.2f us\n",
           (t1 - t0) / (double)(n * 100));
    printf("iso2_sig SignedInfo digest (209-byte fragment + SHA-256):       %.2f us\n",
           (t2 - t1) / (double)(n * 100));
    printf("iso2_sig verify AuthorizationReq (digests + ECDSA P-256, OpenSSL): %.1f us\n",
           (t3 - t2) / (double)n);
    printf("iso2_sig sign AuthorizationReq (digests + ECDSA P-256, OpenSSL):   %.1f us\n",
           (t4 - t3) / (double)n);
    return bad == 0 ? 0 : 1;
}

static int usage_to(FILE *out, int rc)
{
    fprintf(out, "usage: v2g-sig check SESSION.jsonl... | selftest | bench [N] | seeds\n"
                    "  Checks every xmldsig Signature of the ISO 15118-2 messages: each Reference's\n"
                    "  DigestValue against our EXI fragment encoding of the element, and the\n"
                    "  SignatureValue against the signer's certificate from the same capture.\n"
                    "  selftest: sign, encode, decode and verify with a P-256 key made for the run.\n"
                    "  bench [N]: microseconds per digest, SignedInfo digest, verify and sign.\n"
                    "  seeds: hex of signed messages our code makes (fuzz seeds).\n"
                    "  Exit 0 when every check passed, 1 when one failed, 2 on a usage error.\n");
    return rc;
}

static int usage(void)
{
    return usage_to(stderr, 2);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return usage_to(stdout, 0);
    }
    if (argc == 2 && strcmp(argv[1], "selftest") == 0) {
        linux_crypto_init(&s_crypto);
        int rc = selftest();
        linux_crypto_close(&s_crypto);
        return rc;
    }
    if (argc == 2 && strcmp(argv[1], "seeds") == 0) {
        linux_crypto_init(&s_crypto);
        int rc = seeds();
        linux_crypto_close(&s_crypto);
        return rc;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "bench") == 0) {
        long n = argc == 3 ? strtol(argv[2], NULL, 10) : 2000;
        if (n < 1 || n > 1000000) {
            return usage();
        }
        linux_crypto_init(&s_crypto);
        int rc = bench(n);
        linux_crypto_close(&s_crypto);
        return rc;
    }
    if (argc < 3 || strcmp(argv[1], "check") != 0) {
        return usage();
    }
    linux_crypto_init(&s_crypto);
    struct totals t = {0};
    for (int i = 2; i < argc; i++) {
        (void)check_file(argv[i], &t);
    }
    linux_crypto_close(&s_crypto);
    printf("v2g-sig: %u signed messages, %u signed elements, %u digests equal, %u signatures "
           "verified, %u References outside their message; %u failed\n",
           t.messages, t.elements, t.equal, t.verified, t.absent, t.failed);
    return t.failed == 0 && t.elements > 0 ? 0 : 1;
}
