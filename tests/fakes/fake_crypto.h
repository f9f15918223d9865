/**
 * @file fake_crypto.h
 * @brief Test fake of hal_crypto: accepts a signature when r||s equals the bytes the test
 *        set as valid for a given digest, and records every call.
 */
#ifndef FAKE_CRYPTO_H
#define FAKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"

struct fake_crypto {
    struct hal_crypto base;
    uint8_t good_digest[32];   /**< the digest the "meter" signed */
    uint8_t good_sig[HAL_CRYPTO_SIG_MAX];
    size_t good_sig_len;
    int force;                 /**< nonzero: answer this code instead */
    unsigned calls;
    enum hal_crypto_curve last_curve;
    uint8_t last_digest[32];
    size_t last_pub_len;
    uint8_t last_pub[HAL_CRYPTO_PUB_MAX]; /**< the key of the last call */
    /* submit/poll (fake_crypto_set_async): the answer is computed at submit, as a port
     * that copies its inputs would, and given after `poll_delay` polls */
    unsigned sync_calls;       /**< ecdsa_verify calls */
    unsigned submits;
    unsigned poll_delay;
    unsigned polls_left;
    bool in_flight;
    int pending;
};

/** @brief No valid signature set; every verify answers HAL_EPROTO. */
void fake_crypto_init(struct fake_crypto *c);

/** @brief Offer submit/poll; each result comes after @p poll_delay polls answered EAGAIN. */
void fake_crypto_set_async(struct fake_crypto *c, unsigned poll_delay);

#endif /* FAKE_CRYPTO_H */
