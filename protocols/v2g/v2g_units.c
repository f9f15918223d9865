/* v2g_units.c - owns the PhysicalValue <-> milli-unit arithmetic of every V2G protocol
 * (v2g_units.h): one rounding and one saturation rule for DIN and ISO 15118-2. */
#include "v2g/v2g_units.h"

int64_t v2g_units_milli(int16_t value, int8_t multiplier)
{
    int64_t v = value;
    int e = multiplier + 3; /* milli: three decades more */
    if (e >= 0) {
        for (int i = 0; i < e; i++) {
            v *= 10; /* |value| < 2^15 and e <= 130: saturate early */
            if (v > INT64_MAX / 10 || v < INT64_MIN / 10) {
                return v > 0 ? INT64_MAX : INT64_MIN;
            }
        }
    } else {
        for (int i = 0; i < -e && v != 0; i++) {
            v /= 10;
        }
    }
    return v;
}

int32_t v2g_units_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

void v2g_units_encode(int64_t milli, int16_t *value, int8_t *multiplier)
{
    /* Clamping first keeps the rounding below free of overflow for any int64. */
    const int64_t pv_max = V2G_UNITS_MILLI_MAX;
    milli = milli > pv_max ? pv_max : milli < -pv_max ? -pv_max : milli;
    int64_t div = 1;
    int8_t mult = -3;
    for (;;) {
        /* round half away from zero */
        int64_t q = milli >= 0 ? (milli + div / 2) / div : -((-milli + div / 2) / div);
        if ((q <= 32767 && q >= -32767) || mult == 3) {
            q = q > 32767 ? 32767 : q < -32767 ? -32767 : q;
            *multiplier = mult;
            *value = (int16_t)q;
            return;
        }
        div *= 10;
        mult++;
    }
}
