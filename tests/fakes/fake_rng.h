/**
 * @file fake_rng.h
 * @brief Test fake random source: a reproducible byte sequence from a seed, and an
 *        injectable result (not seeded yet, failure).
 */
#ifndef FAKE_RNG_H
#define FAKE_RNG_H

#include <stdint.h>

#include "hal_rng.h"

struct fake_rng {
    struct hal_rng base; /**< must stay first */
    uint32_t state;      /**< next bytes derive from this */
    uint32_t calls;      /**< fill() calls */
    int rc;              /**< returned instead of bytes when not HAL_OK */
};

/** @brief Seeded source that works. */
void fake_rng_init(struct fake_rng *r, uint32_t seed);

#endif /* FAKE_RNG_H */
