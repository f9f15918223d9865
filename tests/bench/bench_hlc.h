/**
 * @file bench_hlc.h
 * @brief What the V2G backend benchmarks (bench_din.c, bench_iso2.c) share: a monotonic
 *        clock in ns, a sort order for timings, hex captures to bytes, and the charger
 *        status at the CurrentDemand point, so both protocols are timed under the same load.
 */
#ifndef BENCH_HLC_H
#define BENCH_HLC_H

#include <stddef.h>
#include <stdint.h>

#include "hlc.h"

/** @brief CLOCK_MONOTONIC in ns. */
double bench_hlc_now_ns(void);
/** @brief qsort() order of doubles, ascending. */
int bench_hlc_cmp(const void *a, const void *b);
/** @brief Hex text to bytes (at most @p cap); returns the count. */
size_t bench_hlc_unhex(const char *hex, uint8_t *out, size_t cap);
/** @brief A ready charger at 345 V / 57 A, 500 V / 200 A / 100 kW limits, everything finished. */
void bench_hlc_evse(struct hlc_evse *evse);

#endif /* BENCH_HLC_H */
