/**
 * @file ocmf_sha256.h
 * @brief Portable streaming SHA-256 (FIPS 180-4) for the OCMF verifier. No heap, no I/O.
 */
#ifndef OCMF_SHA256_H
#define OCMF_SHA256_H

#include <stddef.h>
#include <stdint.h>

/** Running hash. */
struct ocmf_sha256 {
    uint32_t h[8];
    uint64_t bits;
    uint8_t buf[64];
    uint32_t used;
};

/** @brief Start a hash. */
void ocmf_sha256_init(struct ocmf_sha256 *s);
/** @brief Add @p len bytes. */
void ocmf_sha256_update(struct ocmf_sha256 *s, const uint8_t *data, size_t len);
/** @brief Finish and write the 32-byte digest. */
void ocmf_sha256_final(struct ocmf_sha256 *s, uint8_t out[32]);

#endif /* OCMF_SHA256_H */
