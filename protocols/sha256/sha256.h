/**
 * @file sha256.h
 * @brief Portable streaming SHA-256 (FIPS 180-4): the one hash of the core (OCMF signatures,
 *        HomePlug NID derivation). No heap, no I/O.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

/** Running hash. */
struct sha256 {
    uint32_t h[8];
    uint64_t bits;
    uint8_t buf[64];
    uint32_t used;
};

/** @brief Start a hash. */
void sha256_init(struct sha256 *s);
/** @brief Add @p len bytes. */
void sha256_update(struct sha256 *s, const uint8_t *data, size_t len);
/** @brief Finish and write the 32-byte digest. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/** @brief SHA-256 of @p len bytes in one call (@p digest may alias @p data). */
void sha256_digest(const uint8_t *data, size_t len, uint8_t digest[32]);

#endif /* SHA256_H */
