/* Register encoding of the EM580/EM300 driver: the model codes, the error names, the
 * INT32/INT64/CHAR packing of the fact sheet (low word first, high byte first) and the
 * decoding of the live and energy blocks. Pure functions, no driver state: the driver, the
 * tests and the simulation layer's device model share them. */
#include <string.h>

#include "em580/em580.h"

static const uint16_t s_em300_codes[] = {331, 332, 335, 336, 340, 341, 345, 346, 355};

static const char *const s_err_names[EM580_ERR_COUNT] = {
    [EM580_ERR_NONE] = "none",
    [EM580_ERR_COMM] = "no answer from the meter",
    [EM580_ERR_EXCEPTION] = "Modbus exception",
    [EM580_ERR_DEVICE_STATE] = "device state error bits set",
    [EM580_ERR_NO_KEY] = "meter has no signing key (not Eichrecht-ready)",
    [EM580_ERR_OCMF_CLOSED] = "meter closed the transaction itself (READY while running)",
    [EM580_ERR_OCMF_CORRUPTED] = "OCMF state CORRUPTED",
    [EM580_ERR_STOP_TIMEOUT] = "OCMF file not READY in time after 'E'",
    [EM580_ERR_TXID_MISMATCH] = "pending OCMF record belongs to another transaction",
    [EM580_ERR_RECORD] = "OCMF file empty, too large or malformed",
    [EM580_ERR_NOT_RUNNING] = "meter did not start the transaction",
    [EM580_ERR_NO_TRANSACTION] = "no transaction open on the meter",
    [EM580_ERR_RANGE] = "energy register out of range (negative or beyond any meter)",
};

const char *em580_strerror(enum em580_error e)
{
    return (unsigned)e < EM580_ERR_COUNT ? s_err_names[e] : "unknown";
}

bool em580_is_em300_code(uint16_t code)
{
    for (size_t i = 0; i < sizeof s_em300_codes / sizeof s_em300_codes[0]; i++) {
        if (s_em300_codes[i] == code) {
            return true;
        }
    }
    return false;
}

int32_t em580_int32(const uint16_t *w)
{
    return (int32_t)((uint32_t)w[1] << 16 | w[0]);
}

int64_t em580_int64(const uint16_t *w)
{
    return (int64_t)((uint64_t)w[3] << 48 | (uint64_t)w[2] << 32 | (uint64_t)w[1] << 16 | w[0]);
}

void em580_put_int64(uint16_t *w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (unsigned i = 0; i < 4; i++) {
        w[i] = (uint16_t)(u >> (16u * i));
    }
}

uint16_t em580_put_string(uint16_t *w, uint16_t max_words, const char *s, size_t len)
{
    size_t words = len / 2u + 1u; /* room for the NUL */
    if (words > max_words) {
        return 0;
    }
    for (size_t i = 0; i < words; i++) {
        uint8_t hi = 2u * i < len ? (uint8_t)s[2u * i] : 0u;
        uint8_t lo = 2u * i + 1u < len ? (uint8_t)s[2u * i + 1u] : 0u;
        w[i] = (uint16_t)(hi << 8 | lo);
    }
    return (uint16_t)words;
}

void em580_decode_live(const uint16_t *b, struct em580_live *out)
{
    for (unsigned i = 0; i < 3; i++) {
        out->v_dv[i] = em580_int32(b + 0x00u + 2u * i);
        out->i_ma[i] = em580_int32(b + 0x0Cu + 2u * i);
        out->p_dw[i] = em580_int32(b + 0x12u + 2u * i);
    }
    out->p_total_dw = em580_int32(b + 0x28u);
    out->phase_seq = (int16_t)b[0x32];
    out->freq_dhz = b[0x33];
}

static bool em580_energy_ok(int64_t wh)
{
    return wh >= 0 && wh <= EM580_ENERGY_MAX_WH;
}

int em580_decode_energy(enum em580_model m, const uint16_t *b, int64_t *import_wh,
                        int64_t *export_wh)
{
    int64_t imp, exp;
    if (m == EM580_MODEL_EM300) {
        /* kWh (INT32) and its Wh part (INT32, 0..999): the product cannot overflow an
         * int64, but a Wh part outside 0..999 is not a reading. */
        int32_t imp_wh = em580_int32(b + 2), exp_wh = em580_int32(b + 10);
        if (imp_wh < 0 || imp_wh > 999 || exp_wh < 0 || exp_wh > 999) {
            return HAL_EPROTO;
        }
        imp = (int64_t)em580_int32(b + 0) * 1000 + imp_wh;
        exp = (int64_t)em580_int32(b + 8) * 1000 + exp_wh;
    } else {
        imp = em580_int64(b + 0);
        exp = em580_int64(b + (0x051C - 0x0500));
    }
    if (!em580_energy_ok(imp) || !em580_energy_ok(exp)) {
        return HAL_EPROTO;
    }
    *import_wh = imp;
    *export_wh = exp;
    return HAL_OK;
}
