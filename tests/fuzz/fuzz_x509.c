/* libFuzzer harness for the X.509 parser and the chain validation: the input is DER
 * certificates back to back (leaf first, the last one used as the trust anchor), each cut at
 * its own outer length. The crypto port accepts every signature, so the fuzzer reaches every
 * profile, link and anchor check behind the signatures. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_x509_yes(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                         size_t pub_len, const uint8_t *digest, size_t digest_len,
                         const uint8_t *sig, size_t sig_len)
{
    (void)c;
    (void)curve;
    (void)digest;
    /* read every byte the validator hands over, so ASan sees an out-of-range span */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < pub_len; i++) {
        x ^= pub[i];
    }
    for (size_t i = 0; i < sig_len; i++) {
        x ^= sig[i];
    }
    (void)x;
    return digest_len == 32u ? HAL_OK : HAL_EINVAL;
}

static const struct hal_crypto_ops s_fuzz_x509_ops = {.ecdsa_verify = fuzz_x509_yes};

/* The length of the DER value at @p p (header included), or @p n when it cannot be read. */
static size_t fuzz_x509_cut(const uint8_t *p, size_t n)
{
    if (n < 2u) {
        return n;
    }
    size_t l = p[1], h = 2;
    if (l == 0x81u && n >= 3u) {
        l = p[2];
        h = 3;
    } else if (l == 0x82u && n >= 4u) {
        l = (size_t)p[2] << 8 | p[3];
        h = 4;
    } else if (l >= 0x80u) {
        return n;
    }
    return h + l <= n ? h + l : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct x509_cert certs[6];
    size_t n = 0, off = 0;
    while (off < size && n < 6u) {
        size_t len = fuzz_x509_cut(data + off, size - off);
        if (x509_parse(&certs[n], data + off, len) == X509_OK) {
            char text[96];
            struct x509_span cn;
            x509_name_text(&certs[n].subject, text, sizeof text);
            x509_name_text(&certs[n].issuer, text, sizeof text);
            if (x509_name_cn(&certs[n].subject, &cn)) {
                char e[20];
                x509_emaid_normalise(cn.p, cn.len, e, sizeof e);
            }
            x509_name_has_dc(&certs[n].subject, "MO");
            n++;
        }
        off += len;
    }
    if (n == 0) {
        return 0;
    }
    struct hal_crypto crypto = {.ops = &s_fuzz_x509_ops};
    struct x509_verdict v;
    size_t chain = n > 1u ? n - 1u : 1u;
    int64_t now = certs[0].not_before + 1;
    for (int role = X509_ROLE_SECC; role <= X509_ROLE_CPS; role++) {
        x509_chain_validate(&crypto, (enum x509_role)role, certs, chain, &certs[n - 1u], 1, now,
                            "DEPNC123456789X", &v);
    }
    x509_chain_validate(&crypto, X509_ROLE_CONTRACT, certs, n, certs, n, now, NULL, &v);
    return 0;
}
