/**
 * @file fuzz_hlc.h
 * @brief What the V2G backend harnesses (fuzz_din.c, fuzz_iso2.c) share: the chunked input
 *        format and the charger status drawn from a chunk's flag byte.
 */
#ifndef FUZZ_HLC_H
#define FUZZ_HLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hlc.h"

/** One chunk of the input: [flags][len][len bytes] (len cut to what is left). */
struct fuzz_hlc_chunk {
    uint8_t flags;
    const uint8_t *msg;
    size_t len;
};

/** @brief Take the next chunk at *pos; false when fewer than two bytes are left. */
bool fuzz_hlc_next(const uint8_t *data, size_t size, size_t *pos, struct fuzz_hlc_chunk *c);

/**
 * @brief The charger status of flag byte @p f, so that every phase and status path is
 *        reachable: limits, isolation, status code, notification, processing states, and
 *        1..@p max_schedule entries of a power schedule when bit 5 is set.
 */
void fuzz_hlc_status(uint8_t f, struct hlc_evse *st, uint8_t max_schedule);

#endif /* FUZZ_HLC_H */
