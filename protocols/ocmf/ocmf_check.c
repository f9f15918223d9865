/* ocmf_check.c - OCMF signatures: public keys from their encodings, the SHA-256 of the
 * signed payload (as received and, for the EM580, whitespace-compacted) and the ECDSA check
 * through hal_crypto, inside the pass or beside the loop (ocmf_check_start/poll). */
#include "ocmf/ocmf.h"

#include <string.h>

#include "ocmf/ocmf_priv.h"
#include "sha256/sha256.h"

int ocmf_spki_der(enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len, uint8_t *out, size_t cap,
                  size_t *out_len)
{
    /* the named-curve OIDs (SEC 2, RFC 5639), each with its 06 tag and length */
    static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t p192[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01};
    static const uint8_t k256[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
    static const uint8_t k192[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x1f};
    static const uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    static const uint8_t bp256[] = {0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
    static const uint8_t bp384[] = {0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b};
    static const uint8_t ec_public_key[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
    const uint8_t *oid;
    size_t oid_len;
    switch (curve) {
    case HAL_CRYPTO_SECP256R1: oid = p256, oid_len = sizeof p256; break;
    case HAL_CRYPTO_SECP192R1: oid = p192, oid_len = sizeof p192; break;
    case HAL_CRYPTO_SECP256K1: oid = k256, oid_len = sizeof k256; break;
    case HAL_CRYPTO_SECP192K1: oid = k192, oid_len = sizeof k192; break;
    case HAL_CRYPTO_SECP384R1: oid = p384, oid_len = sizeof p384; break;
    case HAL_CRYPTO_BRAINPOOL256R1: oid = bp256, oid_len = sizeof bp256; break;
    case HAL_CRYPTO_BRAINPOOL384R1: oid = bp384, oid_len = sizeof bp384; break;
    default: return HAL_EINVAL;
    }
    size_t point = 1u + 2u * hal_crypto_curve_bytes(curve);
    if (pub == NULL || pub_len < point || pub_len > point + 1u || pub[0] != 0x04 ||
        (pub_len == point + 1u && pub[point] != 0x00)) {
        return HAL_EINVAL;
    }
    size_t alg = sizeof ec_public_key + oid_len;  /* AlgorithmIdentifier content */
    size_t bits = 1u + point;                     /* BIT STRING content: no unused bits, the point */
    size_t body = 2u + alg + 2u + bits;           /* every length here is below 128: short form */
    if (body > 127u || 2u + body > cap) {
        return body > 127u ? HAL_EINVAL : HAL_EOVERFLOW;
    }
    size_t n = 0;
    out[n++] = 0x30;
    out[n++] = (uint8_t)body;
    out[n++] = 0x30;
    out[n++] = (uint8_t)alg;
    memcpy(out + n, ec_public_key, sizeof ec_public_key);
    n += sizeof ec_public_key;
    memcpy(out + n, oid, oid_len);
    n += oid_len;
    out[n++] = 0x03;
    out[n++] = (uint8_t)bits;
    out[n++] = 0x00;
    memcpy(out + n, pub, point);
    n += point;
    *out_len = n;
    return HAL_OK;
}

int ocmf_pubkey_from_bytes(const uint8_t *in, size_t len, uint8_t *pub, size_t cap,
                           size_t *pub_len)
{
    static const size_t sizes[] = {49u, 65u, 97u};
    if (len > 0 && in[0] == 0x04) {
        for (size_t i = 0; i < 3; i++) {
            /* the EM580 register block carries one unused trailing 00 byte */
            if ((len == sizes[i] || (len == sizes[i] + 1u && in[len - 1u] == 0)) &&
                sizes[i] <= cap) {
                memcpy(pub, in, sizes[i]);
                *pub_len = sizes[i];
                return HAL_OK;
            }
        }
        return HAL_EINVAL;
    }
    /* DER SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OIDs }, BIT STRING { 00 04 X Y } }.
     * Only short lengths and the one-byte 0x81 form occur for these sizes. */
    size_t pos = 0;
    size_t n;
    if (len < 2 || in[0] != 0x30) {
        return HAL_EINVAL;
    }
    n = in[1];
    pos = 2;
    if (n == 0x81u) {
        if (len < 3) {
            return HAL_EINVAL;
        }
        n = in[2];
        pos = 3;
    } else if (n > 0x7fu) {
        return HAL_EINVAL;
    }
    if (pos + n > len) {
        return HAL_EINVAL;
    }
    len = pos + n; /* the EM580 block is padded after the DER */
    if (pos + 2u > len || in[pos] != 0x30 || in[pos + 1u] > 0x7fu) {
        return HAL_EINVAL;
    }
    pos += 2u + in[pos + 1u];
    if (pos + 3u > len || in[pos] != 0x03) {
        return HAL_EINVAL;
    }
    n = in[pos + 1u];
    pos += 2u;
    if (n == 0x81u) {
        n = in[pos];
        pos++;
    }
    if (n < 2u || pos + n != len || in[pos] != 0x00) {
        return HAL_EINVAL;
    }
    return ocmf_pubkey_from_bytes(in + pos + 1u, n - 1u, pub, cap, pub_len);
}

int ocmf_pubkey_from_hex(const char *hex, size_t len, uint8_t *pub, size_t cap, size_t *pub_len)
{
    uint8_t raw[160];
    size_t n = 0;
    while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' ')) {
        len--;
    }
    if (ocmf_unhex(hex, len, raw, sizeof raw, &n) != HAL_OK) {
        return HAL_EINVAL;
    }
    return ocmf_pubkey_from_bytes(raw, n, pub, cap, pub_len);
}

/* Hash the payload; with @p compact, leave out whitespace outside strings. */
static void ocmf_hash_payload(const struct ocmf_record *rec, bool compact, uint8_t digest[32],
                              bool *changed)
{
    struct sha256 h;
    sha256_init(&h);
    const uint8_t *p = (const uint8_t *)rec->text + rec->payload.off;
    size_t n = rec->payload.len;
    *changed = false;
    if (!compact) {
        sha256_update(&h, p, n);
    } else {
        bool in_str = false;
        bool esc = false;
        size_t run = 0; /* bytes pending from p[i - run .. i) */
        for (size_t i = 0; i < n; i++) {
            uint8_t ch = p[i];
            bool drop = false;
            if (in_str) {
                if (esc) {
                    esc = false;
                } else if (ch == '\\') {
                    esc = true;
                } else if (ch == '"') {
                    in_str = false;
                }
            } else if (ch == '"') {
                in_str = true;
            } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
                drop = true;
            }
            if (drop) {
                sha256_update(&h, p + i - run, run);
                run = 0;
                *changed = true;
            } else {
                run++;
            }
        }
        sha256_update(&h, p + n - run, run);
    }
    sha256_final(&h, digest);
}

/* One verification of the check's current stage: submitted when the port runs it beside
 * the loop, else done here. */
static int ocmf_check_run(struct ocmf_check *k)
{
    uint8_t digest[32];
    bool changed = false;
    ocmf_hash_payload(k->rec, k->stage == 2u, digest, &changed);
    if (k->stage == 2u && !changed) {
        /* No insignificant whitespace: the compacted form is the one that already failed. */
        k->stage = 0;
        return HAL_EPROTO;
    }
    if (k->async) {
        int rc = hal_crypto_ecdsa_submit(k->crypto, k->rec->curve, k->pub, k->pub_len, digest,
                                         sizeof digest, k->rec->sig, k->rec->sig_len);
        if (rc == HAL_OK) {
            return HAL_EAGAIN;
        }
        if (rc != HAL_ENOTSUP) {
            k->stage = 0;
            return rc == HAL_EBUSY ? HAL_EIO : rc; /* one check per port at a time */
        }
        k->async = false;
    }
    return hal_crypto_ecdsa_verify(k->crypto, k->rec->curve, k->pub, k->pub_len, digest,
                                   sizeof digest, k->rec->sig, k->rec->sig_len);
}

/* The outcome of a stage: the exact form failing sends the check to the compacted form. */
static int ocmf_check_stage_done(struct ocmf_check *k, int rc)
{
    if (rc == HAL_EPROTO && k->stage == 1u) {
        k->stage = 2u;
        rc = ocmf_check_run(k);
        if (rc == HAL_EAGAIN) {
            return rc;
        }
    }
    k->stage = 0;
    return rc;
}

static int ocmf_check_begin(struct ocmf_check *k, const struct ocmf_record *rec,
                            struct hal_crypto *crypto, const uint8_t *pub, size_t pub_len,
                            bool allow_async)
{
    k->stage = 0;
    size_t fb = hal_crypto_curve_bytes(rec->curve);
    if (fb == 0 || pub_len != 1u + 2u * fb || pub_len > sizeof k->pub || rec->sig_len != 2u * fb) {
        return HAL_EINVAL;
    }
    k->rec = rec;
    k->crypto = crypto;
    memcpy(k->pub, pub, pub_len);
    k->pub_len = (uint8_t)pub_len;
    k->async = allow_async && crypto->ops->ecdsa_submit != NULL;
    k->stage = 1u;
    int rc = ocmf_check_run(k);
    return rc == HAL_EAGAIN ? rc : ocmf_check_stage_done(k, rc);
}

int ocmf_check_start(struct ocmf_check *k, const struct ocmf_record *rec,
                     struct hal_crypto *crypto, const uint8_t *pub, size_t pub_len)
{
    return ocmf_check_begin(k, rec, crypto, pub, pub_len, true);
}

int ocmf_check_poll(struct ocmf_check *k)
{
    if (k->stage == 0) {
        return HAL_ESTATE;
    }
    int rc = hal_crypto_ecdsa_poll(k->crypto);
    if (rc == HAL_EAGAIN) {
        return rc;
    }
    return ocmf_check_stage_done(k, rc);
}

int ocmf_verify(const struct ocmf_record *rec, struct hal_crypto *crypto, const uint8_t *pub,
                size_t pub_len)
{
    struct ocmf_check k;
    return ocmf_check_begin(&k, rec, crypto, pub, pub_len, false);
}
