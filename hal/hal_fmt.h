/**
 * @file hal_fmt.h
 * @brief 64-bit integers as decimal text, without printf.
 *
 * newlib-nano, the Cortex-M libc, has no "%lld"/"%llu": it prints nothing useful and misreads
 * the arguments after it (the store export faulted on it). Every core layer that formats a
 * 64-bit value goes through these instead. They live in hal/ because that is the one layer
 * protocols/ and firmware/ may both include.
 */
#ifndef HAL_FMT_H
#define HAL_FMT_H

#include <stddef.h>
#include <stdint.h>

/** Room for any int64_t or uint64_t in decimal: 20 digits or a sign and 19, plus the NUL. */
#define HAL_FMT_I64_LEN 21u

/**
 * @brief Decimal digits of @p v into @p b, NUL-terminated.
 * @param b at least HAL_FMT_I64_LEN bytes
 * @return the length written, without the NUL
 */
size_t hal_fmt_u64(char *b, uint64_t v);

/** @brief As hal_fmt_u64, with a leading '-' for a negative @p v (INT64_MIN included). */
size_t hal_fmt_i64(char *b, int64_t v);

#endif /* HAL_FMT_H */
