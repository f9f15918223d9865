/**
 * @file hal_rng.h
 * @brief Random bytes for keys (SLAC NMK/NID), session ids and TLS.
 */
#ifndef HAL_RNG_H
#define HAL_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

struct hal_rng;

/** Operations of a random-source port. */
struct hal_rng_ops {
    /** @see hal_rng_fill */
    int (*fill)(struct hal_rng *rng, uint8_t *buf, size_t len);
};

/** A random-source instance. */
struct hal_rng {
    const struct hal_rng_ops *ops;
};

/**
 * @brief Fill @p buf with @p len bytes from a cryptographically strong source.
 * @retval HAL_OK all @p len bytes are random
 * @retval HAL_EAGAIN the source is not seeded yet; nothing usable was written
 * @retval HAL_EIO the source failed; never use the buffer
 */
static inline int hal_rng_fill(struct hal_rng *rng, uint8_t *buf, size_t len)
{
    return rng->ops->fill(rng, buf, len);
}

#endif /* HAL_RNG_H */
