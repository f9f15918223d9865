/**
 * @file v2g_units.h
 * @brief PhysicalValue arithmetic every V2G protocol shares (DIN 70121, ISO 15118-2, and
 *        the -20 RationalNumber which has the same Value x 10^Exponent form).
 *
 * Plain integers in and out, so that DIN and ISO-2 (whose generated EXI structs differ
 * only in name) and the hlc layer use the one rounding and saturation rule instead of
 * three copies that could drift. No state, no allocation.
 */
#ifndef V2G_UNITS_H
#define V2G_UNITS_H

#include <stdint.h>

/** Largest magnitude a PhysicalValue holds, in milli-units: 32767 x 10^3 units. */
#define V2G_UNITS_MILLI_MAX 32767000000LL

/**
 * @brief value x 10^multiplier in milli-units (mV, mA, mW, mWh, ms).
 * Saturates to INT64_MAX/INT64_MIN instead of overflowing: the decoders accept
 * multipliers up to 60, far beyond the schema's 3.
 */
int64_t v2g_units_milli(int16_t value, int8_t multiplier);

/** @brief @p v clamped to int32 (the range the session machines use). */
int32_t v2g_units_sat32(int64_t v);

/**
 * @brief Encode @p milli with the smallest multiplier (-3..3) whose value fits int16,
 *        rounded half away from zero; saturates at +-32767 x 10^3.
 */
void v2g_units_encode(int64_t milli, int16_t *value, int8_t *multiplier);

#endif /* V2G_UNITS_H */
