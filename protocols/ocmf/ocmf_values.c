/* ocmf_values.c - values of a parsed OCMF record: strings copied out, reading values in
 * milli-units and Wh, the transaction id. */
#include "ocmf/ocmf.h"

#include <string.h>

int ocmf_copy(const struct ocmf_record *rec, struct ocmf_str s, char *out, size_t cap)
{
    if (cap == 0) {
        return HAL_EOVERFLOW;
    }
    out[0] = '\0';
    if (!s.present) {
        return HAL_ENOENT;
    }
    size_t n = s.len < cap ? s.len : cap - 1u;
    memcpy(out, rec->text + s.off, n);
    out[n] = '\0';
    return n == s.len ? HAL_OK : HAL_EOVERFLOW;
}

int ocmf_rv_milli(const struct ocmf_record *rec, unsigned idx, int64_t *milli)
{
    if (idx >= rec->nreadings || !rec->rd[idx].rv.present) {
        return HAL_ENOENT;
    }
    const char *s = rec->text + rec->rd[idx].rv.off;
    size_t n = rec->rd[idx].rv.len;
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    /* The reading comes from the meter: every step is checked before it is taken, so a
     * value whose milli form does not fit an int64 is refused instead of overflowing.
     * INT64_MIN is refused too, so that the negation below is always defined. */
    int64_t v = 0;
    int decimals = -1;
    bool digits = false;
    for (; i < n; i++) {
        if (s[i] == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || decimals >= 3) {
            return HAL_EINVAL;
        }
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10) {
            return HAL_EINVAL;
        }
        v = v * 10 + d;
        digits = true;
        if (decimals >= 0) {
            decimals++;
        }
    }
    if (!digits) {
        return HAL_EINVAL;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 3; d++) {
        if (v > INT64_MAX / 10) {
            return HAL_EINVAL;
        }
        v *= 10;
    }
    *milli = neg ? -v : v;
    return HAL_OK;
}

int ocmf_reading_wh(const struct ocmf_record *rec, unsigned idx, int64_t *wh)
{
    int64_t m;
    int rc = ocmf_rv_milli(rec, idx, &m);
    if (rc != HAL_OK) {
        return rc;
    }
    struct ocmf_str u = rec->rd[idx].ru;
    const char *t = rec->text + u.off;
    if (u.len == 3 && memcmp(t, "kWh", 3) == 0) {
        *wh = m; /* milli-kWh is Wh */
        return HAL_OK;
    }
    if (u.len == 2 && memcmp(t, "Wh", 2) == 0) {
        *wh = m / 1000;
        return HAL_OK;
    }
    return HAL_EINVAL;
}

int ocmf_txid(const struct ocmf_record *rec, char *out, size_t cap)
{
    if (cap > 0) {
        out[0] = '\0';
    }
    if (!rec->tt.present) {
        return HAL_ENOENT;
    }
    const char *t = rec->text + rec->tt.off;
    size_t n = rec->tt.len;
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + 3u <= n; i++) {
        if (memcmp(t + i, "<=>", 3) == 0) {
            at = i + 3u;
        }
    }
    if (at == SIZE_MAX) {
        return HAL_ENOENT;
    }
    struct ocmf_str s = {.off = (uint16_t)(rec->tt.off + at), .len = (uint16_t)(n - at), .present = true};
    return ocmf_copy(rec, s, out, cap);
}
