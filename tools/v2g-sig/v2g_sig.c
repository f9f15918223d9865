/* v2g-sig - checks the xmldsig signatures of ISO 15118-2 messages the way the charger
 * will (protocols/iso2/iso2_sig.c): every Reference's DigestValue against our EXI fragment
 * encoding of the element it names, and the SignatureValue against the signer's
 * certificate where the same capture carries it.
 *
 *   v2g-sig check SESSION.jsonl...   walk the ISO-2 messages of session JSONL files
 *                                    (../shared/vectors/sessions format)
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
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int usage(void)
{
    fprintf(stderr, "usage: v2g-sig check SESSION.jsonl...\n"
                    "  Checks every xmldsig Signature of the ISO 15118-2 messages: each Reference's\n"
                    "  DigestValue against our EXI fragment encoding of the element, and the\n"
                    "  SignatureValue against the signer's certificate from the same capture.\n");
    return 2;
}

int main(int argc, char **argv)
{
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
