/* infy_frame.c - owns the InfyPower V1.13 frame format: identifiers, request encoders and
 * response decoders (pure functions, see infy_frame.h). */
#include "infypower/infy_frame.h"

#include <string.h>

/* Readings beyond 100 kV or 100 kA cannot come from a 1000 V / 100 A class module: a
 * frame carrying one is corrupt, not a measurement. */
#define INFY_READING_LIMIT_MILLI 100000000L

uint32_t infy_id_encode(const struct infy_id *id)
{
    return ((uint32_t)(id->err & 0x7u) << 26) | ((uint32_t)(id->dev & 0xFu) << 22) |
           ((uint32_t)(id->cmd & 0x3Fu) << 16) | ((uint32_t)id->dst << 8) | (uint32_t)id->src;
}

void infy_id_decode(uint32_t raw, struct infy_id *id)
{
    raw &= HAL_CAN_EXT_ID_MASK;
    id->err = (uint8_t)((raw >> 26) & 0x7u);
    id->dev = (uint8_t)((raw >> 22) & 0xFu);
    id->cmd = (uint8_t)((raw >> 16) & 0x3Fu);
    id->dst = (uint8_t)((raw >> 8) & 0xFFu);
    id->src = (uint8_t)(raw & 0xFFu);
}

bool infy_is_internal(uint32_t raw)
{
    return (raw & 0x1FFFF800u) == 0x0757F800u;
}

static void infy_req(struct hal_can_frame *f, uint8_t dev, uint8_t cmd, uint8_t dst, uint8_t src)
{
    const struct infy_id id = {.err = 0, .dev = dev, .cmd = cmd, .dst = dst, .src = src};
    memset(f, 0, sizeof *f);
    f->id = infy_id_encode(&id);
    f->flags = HAL_CAN_FLAG_EXT;
    f->dlc = 8;
}

void infy_req_read(struct hal_can_frame *f, uint8_t dev, enum infy_cmd cmd, uint8_t dst,
                   uint8_t src)
{
    infy_req(f, dev, (uint8_t)cmd, dst, src);
}

void infy_req_onoff(struct hal_can_frame *f, uint8_t dst, uint8_t src, bool on)
{
    infy_req(f, INFY_DEV_SINGLE, INFY_CMD_ONOFF, dst, src);
    f->data[0] = (uint8_t)(on ? 0x00u : 0x01u);
}

static void infy_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t infy_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t infy_get_u16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

void infy_req_set_vi(struct hal_can_frame *f, uint8_t dst, uint8_t src, uint32_t voltage_mv,
                     uint32_t current_ma)
{
    infy_req(f, INFY_DEV_SINGLE, INFY_CMD_SET_VI, dst, src);
    infy_put_u32(&f->data[0], voltage_mv);
    infy_put_u32(&f->data[4], current_ma);
}

int infy_f32_to_milli(uint32_t bits, int32_t *milli)
{
    uint32_t exp = (bits >> 23) & 0xFFu;
    uint64_t mant = bits & 0x7FFFFFu;
    bool neg = (bits >> 31) != 0;

    if (exp == 0xFFu) {
        return HAL_EINVAL;
    }
    if (exp == 0) {
        *milli = 0; /* zero or subnormal: far below a milli-unit */
        return HAL_OK;
    }
    mant |= 0x800000u;
    /* value = mant * 2^(exp - 150); we want round(value * 1000). */
    uint64_t m = mant * 1000u;
    int shift = (int)exp - 150;
    uint64_t r;
    if (shift >= 0) {
        if (shift > 30) {
            return HAL_EOVERFLOW;
        }
        r = m << shift;
    } else if (shift < -60) {
        r = 0;
    } else {
        unsigned s = (unsigned)-shift;
        r = (m + ((uint64_t)1 << (s - 1))) >> s;
    }
    if (r > (uint64_t)INT32_MAX) {
        return HAL_EOVERFLOW;
    }
    *milli = neg ? -(int32_t)r : (int32_t)r;
    return HAL_OK;
}

int infy_decode_vi(const uint8_t d[8], int32_t *voltage_mv, int32_t *current_ma)
{
    int32_t v = 0, i = 0;
    if (infy_f32_to_milli(infy_get_u32(&d[0]), &v) != HAL_OK ||
        infy_f32_to_milli(infy_get_u32(&d[4]), &i) != HAL_OK || v > INFY_READING_LIMIT_MILLI ||
        v < -INFY_READING_LIMIT_MILLI || i > INFY_READING_LIMIT_MILLI ||
        i < -INFY_READING_LIMIT_MILLI) {
        return HAL_EPROTO;
    }
    *voltage_mv = v;
    *current_ma = i;
    return HAL_OK;
}

void infy_decode_status(const uint8_t d[8], struct infy_status *st)
{
    st->group = d[2];
    st->temperature_c = (int8_t)d[4];
    st->bits = (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | (uint32_t)d[7];
}

int infy_decode_caps(const uint8_t d[8], struct infy_caps *c)
{
    uint32_t vmax = infy_get_u16(&d[0]), vmin = infy_get_u16(&d[2]);
    uint32_t imax = infy_get_u16(&d[4]), p = infy_get_u16(&d[6]);
    if (vmax == 0 || vmin > vmax || imax == 0) {
        return HAL_EPROTO;
    }
    c->max_voltage_mv = vmax * 1000u;
    c->min_voltage_mv = vmin * 1000u;
    c->max_current_ma = imax * 100u;
    c->rated_power_w = p * 10u;
    return HAL_OK;
}

void infy_decode_after_diode(const uint8_t d[8], uint32_t *bus_voltage_mv, uint32_t *available_ma)
{
    *bus_voltage_mv = infy_get_u16(&d[0]) * 100u;
    *available_ma = infy_get_u16(&d[2]) * 100u;
}

uint8_t infy_decode_group_count(const uint8_t d[8])
{
    return d[2];
}

void infy_decode_barcode(const uint8_t d[8], char out[INFY_SERIAL_SIZE])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (unsigned i = 1; i < 8; i++) {
        out[n++] = hex[d[i] >> 4];
        out[n++] = hex[d[i] & 0xFu];
    }
    out[n++] = (d[0] >= 0x21u && d[0] <= 0x7Eu) ? (char)d[0] : '?';
    out[n] = '\0';
}
