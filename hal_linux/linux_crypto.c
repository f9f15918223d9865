#include "linux_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

const char *linux_crypto_curve_name(enum hal_crypto_curve curve)
{
    switch (curve) {
    case HAL_CRYPTO_SECP192K1:
        return "secp192k1";
    case HAL_CRYPTO_SECP256K1:
        return "secp256k1";
    case HAL_CRYPTO_SECP192R1:
        return "prime192v1";
    case HAL_CRYPTO_SECP256R1:
        return "prime256v1";
    case HAL_CRYPTO_BRAINPOOL256R1:
        return "brainpoolP256r1";
    case HAL_CRYPTO_SECP384R1:
        return "secp384r1";
    case HAL_CRYPTO_BRAINPOOL384R1:
        return "brainpoolP384r1";
    }
    return NULL;
}

/* Raw r||s to the DER SEQUENCE OpenSSL's verify wants. */
static int linux_crypto_sig_der(const uint8_t *sig, size_t half, uint8_t *der, size_t cap,
                                size_t *der_len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *sv = BN_bin2bn(sig + half, (int)half, NULL);
    int rc = HAL_EIO;
    if (s != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(s, r, sv) == 1) {
        r = sv = NULL; /* owned by s now */
        int n = i2d_ECDSA_SIG(s, NULL);
        if (n > 0 && (size_t)n <= cap) {
            unsigned char *p = der;
            *der_len = (size_t)i2d_ECDSA_SIG(s, &p);
            rc = HAL_OK;
        }
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    return rc;
}

static int linux_crypto_verify(struct hal_crypto *c, enum hal_crypto_curve curve,
                               const uint8_t *pub, size_t pub_len, const uint8_t *digest,
                               size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)c;
    const char *name = linux_crypto_curve_name(curve);
    size_t fb = hal_crypto_curve_bytes(curve);
    if (name == NULL || fb == 0) {
        return HAL_ENOTSUP;
    }
    if (pub_len != 1u + 2u * fb || pub[0] != 0x04 || sig_len != 2u * fb || digest_len == 0 ||
        digest_len > 64u) {
        return HAL_EINVAL;
    }
    uint8_t der[HAL_CRYPTO_SIG_MAX + 16];
    size_t der_len = 0;
    int rc = linux_crypto_sig_der(sig, fb, der, sizeof der, &der_len);
    if (rc != HAL_OK) {
        return rc;
    }

    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *vctx = NULL;
    uint8_t pubcopy[HAL_CRYPTO_PUB_MAX];
    memcpy(pubcopy, pub, pub_len);
    char group[32];
    strncpy(group, name, sizeof group - 1);
    group[sizeof group - 1] = '\0';
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pubcopy, pub_len),
        OSSL_PARAM_construct_end(),
    };
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1) {
        rc = HAL_EIO;
    } else if (EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 || pkey == NULL) {
        rc = HAL_EINVAL; /* unknown group in this build or a point not on the curve */
    } else {
        vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (vctx == NULL || EVP_PKEY_public_check(vctx) != 1) {
            rc = vctx == NULL ? HAL_EIO : HAL_EINVAL;
        } else if (EVP_PKEY_verify_init(vctx) != 1) {
            rc = HAL_EIO;
        } else {
            int v = EVP_PKEY_verify(vctx, der, der_len, digest, digest_len);
            rc = v == 1 ? HAL_OK : v == 0 ? HAL_EPROTO : HAL_EPROTO;
        }
    }
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(kctx);
    return rc;
}

static const struct hal_crypto_ops s_linux_crypto_ops = {.ecdsa_verify = linux_crypto_verify};

void linux_crypto_init(struct linux_crypto *c)
{
    c->base.ops = &s_linux_crypto_ops;
}
