/**
 * @file hmac_sha256.h
 * @brief HMAC-SHA256 (RFC 2104) on the core's SHA-256: the message authentication of the
 *        Huawei power unit's secure GOOSE frames. No heap, no I/O.
 */
#ifndef HMAC_SHA256_H
#define HMAC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256/sha256.h"

#define HMAC_SHA256_LEN 32u

/** Running MAC: the inner hash and the outer key pad kept for the end. */
struct hmac_sha256 {
    struct sha256 inner;
    uint8_t opad[64];
};

/** @brief Start a MAC with @p key (any length; longer than 64 bytes is hashed first). */
void hmac_sha256_init(struct hmac_sha256 *h, const uint8_t *key, size_t key_len);
/** @brief Add @p len bytes. */
void hmac_sha256_update(struct hmac_sha256 *h, const uint8_t *data, size_t len);
/** @brief Finish and write the 32-byte MAC. */
void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_LEN]);
/** @brief MAC of one buffer. */
void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                 uint8_t out[HMAC_SHA256_LEN]);
/** @brief Compare two MACs in time that does not depend on where they differ. */
bool hmac_sha256_equal(const uint8_t a[HMAC_SHA256_LEN], const uint8_t b[HMAC_SHA256_LEN]);

#endif /* HMAC_SHA256_H */
