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
};

/** @brief Fill the ops. */
void linux_crypto_init(struct linux_crypto *c);

/**
 * @brief OpenSSL's name of a curve ("prime256v1", "brainpoolP384r1", ...).
 * @return a static string, or NULL for an unknown value
 */
const char *linux_crypto_curve_name(enum hal_crypto_curve curve);

#endif /* LINUX_CRYPTO_H */
