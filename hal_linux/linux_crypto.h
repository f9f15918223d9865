/**
 * @file linux_crypto.h
 * @brief hal_crypto on OpenSSL 3 (libcrypto): ECDSA verification on every OCMF curve.
 */
#ifndef LINUX_CRYPTO_H
#define LINUX_CRYPTO_H

#include "hal_crypto.h"

/** The OpenSSL crypto port (stateless: one per process is enough, several are fine). */
struct linux_crypto {
    struct hal_crypto base;
    int selftest; /**< HAL_OK: the known-answer signature verified at init */
    /* the last key used, kept for the next record of the same meter */
    struct evp_pkey_st *key;
    enum hal_crypto_curve key_curve;
    size_t key_len;
    uint8_t key_pub[HAL_CRYPTO_PUB_MAX];
};

/**
 * @brief Fill the ops and verify a known-answer P-256 signature, which also moves
 *        OpenSSL's first-use set-up out of the loop; the outcome is in `selftest`.
 */
void linux_crypto_init(struct linux_crypto *c);

/** @brief Free the kept key (the ops stay usable; the next verification builds it again). */
void linux_crypto_close(struct linux_crypto *c);

/**
 * @brief OpenSSL's name of a curve ("prime256v1", "brainpoolP384r1", ...).
 * @return a static string, or NULL for an unknown value
 */
const char *linux_crypto_curve_name(enum hal_crypto_curve curve);

#endif /* LINUX_CRYPTO_H */
