/**
 * @file linux_rng.h
 * @brief Random bytes from the kernel (getrandom), never blocking.
 */
#ifndef LINUX_RNG_H
#define LINUX_RNG_H

#include "hal_rng.h"

/** The Linux random-source port. */
struct linux_rng {
    struct hal_rng base;
};

/** @brief Fill the ops. */
void linux_rng_init(struct linux_rng *r);

#endif /* LINUX_RNG_H */
