/* libFuzzer harness for the ISO 15118-2 signature path (protocols/iso2/iso2_sig.c): a
 * received message is decoded, every Reference target is fragment-encoded, the Signature is
 * verified (a fake port: r||s must repeat the digest), and what the message needs signed is
 * signed and must then verify. Invariants: a verdict always has a reason, and our own
 * signature over any decodable message verifies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso2/iso2_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fverify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                   size_t pub_len, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                   size_t sig_len)
{
    (void)c;
    (void)pub;
    if (curve != HAL_CRYPTO_SECP256R1 || pub_len != 65 || digest_len != 32 || sig_len != 64) {
        abort(); /* iso2_sig checks the lengths before it asks the port */
    }
    return memcmp(sig, digest, 32) == 0 && memcmp(sig + 32, digest, 32) == 0 ? HAL_OK : HAL_EPROTO;
}

static int fsign(struct hal_crypto *c, uint32_t key, const uint8_t *digest, size_t digest_len,
                 uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
    (void)c;
    (void)key;
    if (digest_len != 32 || sig_cap < 64) {
        abort();
    }
    memcpy(sig, digest, 32);
    memcpy(sig + 32, digest, 32);
    *sig_len = 64;
    return HAL_OK;
}

static const struct hal_crypto_ops s_ops = {.ecdsa_verify = fverify, .ecdsa_sign = fsign};
static struct hal_crypto s_crypto = {.ops = &s_ops};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct exi_iso2_document doc;
    static uint8_t buf[8192];
    static const uint8_t pub[65] = {0x04};
    struct exi_reader r;
    exi_reader_init(&r, data, size);
    if (exi_iso2_decode(&r, &doc) != HAL_OK) {
        return 0;
    }
    struct exi_iso2_MessageHeaderType *h = &doc.V2G_Message.Header;
    const struct exi_iso2_BodyType *b = &doc.V2G_Message.Body;
    if (h->Signature_isUsed) {
        const struct exi_iso2_SignedInfoType *si = &h->Signature.SignedInfo;
        for (uint16_t i = 0; i < si->Reference.arrayLen && i < ISO2_SIG_REFS_MAX; i++) {
            const struct exi_iso2_ReferenceType *ref = &si->Reference.array[i];
            size_t len = 0;
            if (ref->URI.charactersLen > 1) {
                (void)iso2_sig_fragment(b, ref->URI.characters + 1, ref->URI.charactersLen - 1u,
                                        buf, sizeof buf, &len);
            }
            if (len > sizeof buf) {
                abort();
            }
        }
        struct iso2_sig_check c = {.crypto = &s_crypto, .pub = pub, .pub_len = sizeof pub,
                                   .buf = buf, .cap = sizeof buf};
        int rc = iso2_sig_verify(&c, h, b);
        if ((rc == HAL_OK) != (c.error == ISO2_SIG_OK)) {
            abort();
        }
    }
    /* sign what the message needs signed; our own signature must verify */
    const char *req[ISO2_SIG_REFS_MAX];
    size_t req_len[ISO2_SIG_REFS_MAX];
    int n = iso2_sig_required(b, req, req_len);
    if (n > 0) {
        static char idbuf[ISO2_SIG_REFS_MAX][CFG_EXI_ISO2_REFERENCETYPE_URI_LEN + 1];
        const char *ids[ISO2_SIG_REFS_MAX];
        for (int i = 0; i < n; i++) {
            size_t l = req_len[i] < CFG_EXI_ISO2_REFERENCETYPE_URI_LEN ? req_len[i] : CFG_EXI_ISO2_REFERENCETYPE_URI_LEN;
            memcpy(idbuf[i], req[i], l);
            idbuf[i][l] = '\0';
            ids[i] = idbuf[i];
        }
        if (iso2_sig_sign(&s_crypto, 1, h, b, ids, (size_t)n, buf, sizeof buf, NULL) == HAL_OK) {
            struct iso2_sig_check c = {.crypto = &s_crypto, .pub = pub, .pub_len = sizeof pub,
                                       .buf = buf, .cap = sizeof buf};
            if (iso2_sig_verify(&c, h, b) != HAL_OK) {
                fprintf(stderr, "our signature does not verify: %s (ref %d)\n",
                        iso2_sig_error_str(c.error), c.ref);
                abort();
            }
        }
    }
    return 0;
}
