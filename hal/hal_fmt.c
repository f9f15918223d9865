/* Owns the core's one integer-to-decimal formatter (see hal_fmt.h for why printf is not used). */
#include "hal_fmt.h"

size_t hal_fmt_u64(char *b, uint64_t v)
{
    char t[HAL_FMT_I64_LEN];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        b[i] = t[n - 1u - i];
    }
    b[n] = '\0';
    return n;
}

size_t hal_fmt_i64(char *b, int64_t v)
{
    /* The magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
    if (v < 0) {
        b[0] = '-';
        return 1u + hal_fmt_u64(b + 1, (uint64_t)0 - (uint64_t)v);
    }
    return hal_fmt_u64(b, (uint64_t)v);
}
