/* Huawei FusionCharge dispenser register map: owns the table of the sheet's registers
 * (address, type, direction, range), the register image, the Modbus server for the unit's
 * requests (FC 0x03/0x06/0x10) and the unsolicited report. A write is checked whole before
 * any word of it is stored, so a refused request leaves the map as it was. */
#include "huawei/huawei_regs.h"

#include <math.h>
#include <string.h>

enum rtype { T_U16, T_U32, T_F32, T_F64, T_STR, T_BYTES };
enum rcheck { C_NONE, C_BOOL, C_MODE, C_VOLT, C_AMP, C_KW, C_AC, C_ENERGY, C_MAC, C_TEXT };
#define F_P 0x01u     /* the unit writes it */
#define F_U 0x02u     /* in every unsolicited report */
#define F_EVENT 0x04u /* in a report only when its event is pending */

struct desc {
    uint16_t addr;
    uint8_t words; /* per item */
    uint8_t count; /* items, contiguous */
    uint8_t type;
    uint8_t flags;
    uint8_t check;
    uint8_t chg; /* 0 key, 1 caps, 2 mac, 3 mode, 4 alarms, 5 other (D registers: unused) */
};

enum { G_KEY, G_CAPS, G_MAC, G_MODE, G_ALARM, G_OTHER };

static const struct desc s_common[] = {
    {0x0000, 1, 1, T_U16, 0, C_NONE, 0},
    {0x0001, 1, 1, T_U16, 0, C_NONE, 0},
    {0x0002, 1, 1, T_U16, 0, C_NONE, 0},
    {0x0004, 1, 1, T_U16, 0, C_NONE, 0},
    {0x0013, 24, 1, T_STR, 0, C_NONE, 0},
    {0x0100, 1, 3, T_U16, F_P, C_NONE, G_OTHER},
    {0x0103, 24, 1, T_STR, F_P, C_TEXT, G_OTHER},
    {0x011B, 16, 1, T_STR, F_P, C_TEXT, G_OTHER},
    {0x1015, 1, 1, T_U16, 0, C_NONE, 0},
    {0x1016, 11, 1, T_STR, 0, C_NONE, 0},
    {0x1024, 2, 1, T_U32, F_U, C_NONE, 0},
    {0x2006, 1, 1, T_U16, F_P, C_MODE, G_MODE},
    {0x2007, 2, 6, T_F32, F_P, C_AC, G_OTHER},
    {0x2013, 4, 1, T_F64, F_P, C_ENERGY, G_OTHER},
    {0x2111, 3, 1, T_BYTES, F_P, C_MAC, G_MAC},
    {0x3001, 1, 4, T_U16, F_U, C_NONE, 0},
    {0x4000, 1, 18, T_U16, F_P, C_BOOL, G_ALARM},
    {0x4012, 1, 1, T_U16, F_P, C_NONE, G_ALARM},
    {0x4020, 2, 2, T_U32, F_P, C_NONE, G_ALARM},
    {0x4040, 2, 6, T_U32, F_P, C_NONE, G_ALARM},
    {0x4070, 2, 12, T_U32, F_P, C_NONE, G_ALARM},
    {0x40D0, 2, 1, T_U32, F_P, C_NONE, G_ALARM},
    {0x40E0, 2, 5, T_U32, F_P, C_NONE, G_ALARM},
};

static const struct desc s_conn[] = {
    {0x1100, 4, 1, T_F64, 0, C_NONE, 0},
    {0x1104, 1, 1, T_U16, 0, C_NONE, 0},
    {0x1105, 2, 1, T_F32, 0, C_NONE, 0},
    {0x1107, 2, 1, T_F32, 0, C_NONE, 0},
    {0x1109, 2, 1, T_F32, 0, C_NONE, 0},
    {0x110B, 1, 1, T_U16, F_U, C_NONE, 0},
    {0x110D, 1, 1, T_U16, F_U, C_NONE, 0},
    {0x110E, 1, 1, T_U16, 0, C_NONE, 0},
    {0x1113, 2, 1, T_F32, 0, C_NONE, 0},
    {0x114D, 3, 1, T_BYTES, 0, C_NONE, 0},
    {0x1154, 1, 1, T_U16, F_U, C_NONE, 0},
    {0x1156, 1, 1, T_U16, F_U, C_NONE, 0},
    {0x117E, 1, 1, T_U16, F_EVENT, C_NONE, 0},
    {0x2100, 2, 1, T_F32, F_P, C_VOLT, G_CAPS},
    {0x2102, 2, 1, T_F32, F_P, C_AMP, G_CAPS},
    {0x2105, 2, 1, T_F32, F_P, C_VOLT, G_CAPS},
    {0x2107, 2, 1, T_F32, F_P, C_AMP, G_CAPS},
    {0x2109, 2, 1, T_F32, 0, C_NONE, 0},
    {0x2115, 24, 1, T_BYTES, F_P, C_NONE, G_KEY},
    {0x212D, 2, 1, T_F32, F_P, C_KW, G_CAPS},
    {0x212F, 1, 1, T_U16, F_P, C_BOOL, G_CAPS},
    {0x3105, 1, 1, T_U16, F_U, C_NONE, 0},
    {0x3115, 1, 1, T_U16, F_U, C_NONE, 0},
};

#define N_COMMON (sizeof s_common / sizeof s_common[0])
#define N_CONN (sizeof s_conn / sizeof s_conn[0])

uint16_t huawei_conn_offset(unsigned local)
{
    static const uint16_t off[HUAWEI_CONN_MAX] = {0x0000u, 0x0C00u, 0x0D00u, 0x0E00u};
    return local >= 1u && local <= HUAWEI_CONN_MAX ? off[local - 1u] : 0u;
}

/* Where one value (an item of a descriptor) lives. */
struct loc {
    const struct desc *d;
    uint16_t *w;        /* its first word */
    uint16_t start;     /* its first address (with the connector offset) */
    unsigned local;     /* 0: common */
};

/* The item holding @p addr in one table: its word index, or -1. */
static int find_in(const struct desc *t, size_t n, uint16_t addr, const struct desc **d, uint16_t *start)
{
    int slot = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned span = (unsigned)t[i].words * t[i].count;
        if (addr >= t[i].addr && addr < t[i].addr + span) {
            unsigned item = (unsigned)(addr - t[i].addr) / t[i].words;
            *d = &t[i];
            *start = (uint16_t)(t[i].addr + item * t[i].words);
            return slot + (int)(item * t[i].words);
        }
        slot += (int)span;
    }
    return -1;
}

static bool locate(const struct huawei_regs *r, uint16_t addr, struct loc *l)
{
    const struct desc *d = NULL;
    uint16_t start = 0;
    int s = find_in(s_common, N_COMMON, addr, &d, &start);
    if (s >= 0) {
        *l = (struct loc){d, (uint16_t *)&r->common[s], start, 0u};
        return true;
    }
    for (unsigned c = 1; c <= r->connectors; c++) {
        uint16_t off = huawei_conn_offset(c);
        if (addr < off) {
            continue;
        }
        s = find_in(s_conn, N_CONN, (uint16_t)(addr - off), &d, &start);
        if (s >= 0) {
            *l = (struct loc){d, (uint16_t *)&r->conn[c - 1u][s], (uint16_t)(start + off), c};
            return true;
        }
    }
    return false;
}

int huawei_regs_init(struct huawei_regs *r, unsigned connectors)
{
    if (connectors < 1u || connectors > HUAWEI_CONN_MAX) {
        return HAL_EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->connectors = (uint8_t)connectors;
    return HAL_OK;
}

/* A typed value at a sheet address (plus the connector's offset). */
static uint16_t *value_at(const struct huawei_regs *r, unsigned local, uint16_t addr, enum rtype type,
                          size_t *words)
{
    if (local > r->connectors) {
        return NULL;
    }
    struct loc l;
    uint32_t a = (uint32_t)addr + (local > 0u ? huawei_conn_offset(local) : 0u);
    if (a > 0xFFFFu || !locate(r, (uint16_t)a, &l) || l.local != local || l.start != a || l.d->type != type) {
        return NULL;
    }
    if (words != NULL) {
        *words = l.d->words;
    }
    return l.w;
}

static void put_words(uint16_t *w, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        w[i] = (uint16_t)(v >> (16u * (n - 1u - i))); /* high word first */
    }
}

static uint64_t get_words(const uint16_t *w, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = (v << 16) | w[i];
    }
    return v;
}

int huawei_regs_set_u16(struct huawei_regs *r, unsigned local, uint16_t addr, uint16_t v)
{
    uint16_t *w = value_at(r, local, addr, T_U16, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    *w = v;
    return HAL_OK;
}

int huawei_regs_set_u32(struct huawei_regs *r, unsigned local, uint16_t addr, uint32_t v)
{
    uint16_t *w = value_at(r, local, addr, T_U32, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    put_words(w, v, 2u);
    return HAL_OK;
}

int huawei_regs_set_f32(struct huawei_regs *r, unsigned local, uint16_t addr, float v)
{
    uint16_t *w = value_at(r, local, addr, T_F32, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    put_words(w, u, 2u);
    return HAL_OK;
}

int huawei_regs_set_f64(struct huawei_regs *r, unsigned local, uint16_t addr, double v)
{
    uint16_t *w = value_at(r, local, addr, T_F64, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_words(w, u, 4u);
    return HAL_OK;
}

int huawei_regs_set_bytes(struct huawei_regs *r, unsigned local, uint16_t addr, const void *b, size_t len)
{
    size_t words = 0;
    uint16_t *w = value_at(r, local, addr, T_STR, &words);
    if (w == NULL) {
        w = value_at(r, local, addr, T_BYTES, &words);
    }
    if (w == NULL) {
        return HAL_ENOENT;
    }
    if (len > words * 2u) {
        return HAL_EOVERFLOW;
    }
    const uint8_t *p = b;
    for (size_t i = 0; i < words; i++) {
        uint8_t hi = 2u * i < len ? p[2u * i] : 0u; /* first byte in the high half */
        uint8_t lo = 2u * i + 1u < len ? p[2u * i + 1u] : 0u;
        w[i] = (uint16_t)((hi << 8) | lo);
    }
    return HAL_OK;
}

int huawei_regs_get_u16(const struct huawei_regs *r, unsigned local, uint16_t addr, uint16_t *v)
{
    const uint16_t *w = value_at(r, local, addr, T_U16, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    *v = *w;
    return HAL_OK;
}

int huawei_regs_get_u32(const struct huawei_regs *r, unsigned local, uint16_t addr, uint32_t *v)
{
    const uint16_t *w = value_at(r, local, addr, T_U32, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    *v = (uint32_t)get_words(w, 2u);
    return HAL_OK;
}

int huawei_regs_get_f32(const struct huawei_regs *r, unsigned local, uint16_t addr, float *v)
{
    const uint16_t *w = value_at(r, local, addr, T_F32, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    uint32_t u = (uint32_t)get_words(w, 2u);
    memcpy(v, &u, sizeof u);
    return HAL_OK;
}

int huawei_regs_get_f64(const struct huawei_regs *r, unsigned local, uint16_t addr, double *v)
{
    const uint16_t *w = value_at(r, local, addr, T_F64, NULL);
    if (w == NULL) {
        return HAL_ENOENT;
    }
    uint64_t u = get_words(w, 4u);
    memcpy(v, &u, sizeof u);
    return HAL_OK;
}

int huawei_regs_get_bytes(const struct huawei_regs *r, unsigned local, uint16_t addr, void *b, size_t cap,
                          size_t *len)
{
    size_t words = 0;
    const uint16_t *w = value_at(r, local, addr, T_STR, &words);
    if (w == NULL) {
        w = value_at(r, local, addr, T_BYTES, &words);
    }
    if (w == NULL) {
        return HAL_ENOENT;
    }
    uint8_t *p = b;
    for (size_t i = 0; i < 2u * words && i < cap; i++) {
        p[i] = (uint8_t)((i % 2u) == 0u ? w[i / 2u] >> 8 : w[i / 2u]);
    }
    *len = 2u * words;
    return HAL_OK;
}

int huawei_regs_read_word(const struct huawei_regs *r, uint16_t addr, uint16_t *v)
{
    struct loc l;
    if (!locate(r, addr, &l)) {
        return HAL_ENOENT;
    }
    *v = l.w[addr - l.start];
    return HAL_OK;
}

uint32_t huawei_regs_take_changes(struct huawei_regs *r)
{
    uint32_t c = r->changes;
    r->changes = 0u;
    return c;
}

/* ---------------------------------------------------------------- Modbus server */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static bool f32_in(const uint16_t *w, float lo, float hi)
{
    uint32_t u = (uint32_t)get_words(w, 2u);
    float f;
    memcpy(&f, &u, sizeof f);
    return isfinite(f) && f >= lo && f <= hi;
}

/* Whether @p w (the new words of one value) is in the range the sheet allows. */
static bool value_ok(const struct desc *d, const uint16_t *w)
{
    switch (d->check) {
    case C_BOOL:
        return w[0] <= 1u;
    case C_MODE:
        return w[0] <= HUAWEI_PSU_UPGRADING;
    case C_VOLT:
        return f32_in(w, 0.0f, 2000.0f);
    case C_AMP:
        return f32_in(w, 0.0f, 2000.0f);
    case C_KW:
        return f32_in(w, 0.0f, 2000.0f);
    case C_AC:
        return f32_in(w, 0.0f, 10000.0f);
    case C_ENERGY: {
        uint64_t u = get_words(w, 4u);
        double x;
        memcpy(&x, &u, sizeof x);
        return isfinite(x) && x >= 0.0;
    }
    case C_MAC: /* a unicast, non-zero station address */
        return (w[0] >> 8 & 1u) == 0u && (w[0] | w[1] | w[2]) != 0u;
    case C_TEXT:
        for (unsigned i = 0; i < d->words; i++) {
            for (unsigned s = 0; s < 2u; s++) {
                uint8_t ch = (uint8_t)(w[i] >> (8u - 8u * s));
                if (ch != 0u && (ch < 0x20u || ch > 0x7Eu)) {
                    return false;
                }
            }
        }
        return true;
    default:
        return true;
    }
}

static size_t exception(uint8_t fc, uint8_t code, uint8_t *out)
{
    out[0] = (uint8_t)(fc | 0x80u);
    out[1] = code;
    return 2u;
}

/* Check a write of @p n words at @p start from @p data (big-endian bytes), then store it. */
static uint8_t write_regs(struct huawei_regs *r, uint16_t start, unsigned n, const uint8_t *data)
{
    for (int pass = 0; pass < 2; pass++) {
        unsigned i = 0;
        while (i < n) {
            struct loc l;
            uint32_t a = (uint32_t)start + i;
            if (a > 0xFFFFu || !locate(r, (uint16_t)a, &l) || (l.d->flags & F_P) == 0u || l.start != a ||
                i + l.d->words > n) {
                return HUAWEI_EX_ADDRESS; /* unknown, ours, or a part of a value */
            }
            uint16_t w[24];
            for (unsigned k = 0; k < l.d->words; k++) {
                w[k] = be16(data + 2u * (i + k));
            }
            if (pass == 0 && !value_ok(l.d, w)) {
                return HUAWEI_EX_VALUE;
            }
            if (pass == 1) {
                memcpy(l.w, w, 2u * l.d->words);
                unsigned c = l.local > 0u ? l.local - 1u : 0u;
                static const uint32_t chg[] = {0, 0, HUAWEI_CHG_MAC, HUAWEI_CHG_MODE, HUAWEI_CHG_ALARMS,
                                               HUAWEI_CHG_OTHER};
                r->changes |= l.d->chg == G_KEY    ? HUAWEI_CHG_KEY(c)
                              : l.d->chg == G_CAPS ? HUAWEI_CHG_CAPS(c)
                                                   : chg[l.d->chg];
            }
            i += l.d->words;
        }
    }
    return 0u;
}

int huawei_modbus_serve(struct huawei_regs *r, const uint8_t *pdu, size_t len, uint8_t *out, size_t cap,
                        size_t *olen)
{
    if (cap < HUAWEI_ADU_MAX - HUAWEI_MBAP_LEN) {
        return HAL_EOVERFLOW;
    }
    if (len < 1u) {
        *olen = exception(0u, HUAWEI_EX_FUNCTION, out);
        return HAL_OK;
    }
    uint8_t fc = pdu[0];
    if (fc == 0x03u) {
        if (len != 5u) {
            *olen = exception(fc, HUAWEI_EX_VALUE, out);
            return HAL_OK;
        }
        uint16_t start = be16(pdu + 1), n = be16(pdu + 3);
        if (n < 1u || n > 125u) {
            *olen = exception(fc, HUAWEI_EX_VALUE, out);
            return HAL_OK;
        }
        out[0] = fc;
        out[1] = (uint8_t)(2u * n);
        for (unsigned i = 0; i < n; i++) {
            struct loc l;
            uint32_t a = (uint32_t)start + i;
            if (a > 0xFFFFu || !locate(r, (uint16_t)a, &l)) {
                *olen = exception(fc, HUAWEI_EX_ADDRESS, out);
                return HAL_OK;
            }
            uint16_t v = l.w[a - l.start];
            out[2u + 2u * i] = (uint8_t)(v >> 8);
            out[3u + 2u * i] = (uint8_t)v;
        }
        *olen = 2u + 2u * n;
        return HAL_OK;
    }
    if (fc == 0x06u) {
        if (len != 5u) {
            *olen = exception(fc, HUAWEI_EX_VALUE, out);
            return HAL_OK;
        }
        uint8_t ex = write_regs(r, be16(pdu + 1), 1u, pdu + 3);
        if (ex != 0u) {
            *olen = exception(fc, ex, out);
            return HAL_OK;
        }
        memcpy(out, pdu, 5u); /* the echo */
        *olen = 5u;
        return HAL_OK;
    }
    if (fc == 0x10u) {
        if (len < 6u) {
            *olen = exception(fc, HUAWEI_EX_VALUE, out);
            return HAL_OK;
        }
        uint16_t start = be16(pdu + 1), n = be16(pdu + 3);
        if (n < 1u || n > 123u || pdu[5] != 2u * n || len != 6u + 2u * n) {
            *olen = exception(fc, HUAWEI_EX_VALUE, out);
            return HAL_OK;
        }
        uint8_t ex = write_regs(r, start, n, pdu + 6);
        if (ex != 0u) {
            *olen = exception(fc, ex, out);
            return HAL_OK;
        }
        memcpy(out, pdu, 5u);
        *olen = 5u;
        return HAL_OK;
    }
    *olen = exception(fc, HUAWEI_EX_FUNCTION, out);
    return HAL_OK;
}

int huawei_mbap_split(const uint8_t *buf, size_t len, struct huawei_mbap *m)
{
    if (len < HUAWEI_MBAP_LEN) {
        return HAL_EAGAIN;
    }
    uint16_t proto = be16(buf + 2), l = be16(buf + 4);
    if (proto != 0u || l < 2u || l > HUAWEI_ADU_MAX - 6u) {
        return HAL_EPROTO;
    }
    if (len < 6u + (size_t)l) {
        return HAL_EAGAIN;
    }
    m->tid = be16(buf);
    m->unit = buf[6];
    m->pdu_off = HUAWEI_MBAP_LEN;
    m->pdu_len = (size_t)l - 1u;
    m->frame_len = 6u + (size_t)l;
    return HAL_OK;
}

void huawei_mbap_put(uint8_t *out, uint16_t tid, uint8_t unit, size_t pdu_len)
{
    out[0] = (uint8_t)(tid >> 8);
    out[1] = (uint8_t)tid;
    out[2] = 0u;
    out[3] = 0u;
    out[4] = (uint8_t)((pdu_len + 1u) >> 8);
    out[5] = (uint8_t)(pdu_len + 1u);
    out[6] = unit;
}

/* ---------------------------------------------------------------- unsolicited report */

struct seg {
    uint16_t addr;
    uint16_t words;
    const uint16_t *w;
};

int huawei_report_encode(const struct huawei_regs *r, uint16_t tid, unsigned events, bool want_answer,
                         uint8_t *out, size_t cap, size_t *len)
{
    /* every reported value, sorted by address; contiguous ones are merged into a segment */
    struct seg v[48];
    size_t nv = 0;
    int slot = 0;
    for (size_t i = 0; i < N_COMMON; i++) {
        for (unsigned k = 0; k < s_common[i].count && (s_common[i].flags & F_U) != 0u; k++) {
            v[nv++] = (struct seg){(uint16_t)(s_common[i].addr + k * s_common[i].words), s_common[i].words,
                                   &r->common[slot + (int)(k * s_common[i].words)]};
        }
        slot += s_common[i].words * s_common[i].count;
    }
    for (unsigned c = 1; c <= r->connectors; c++) {
        slot = 0;
        for (size_t i = 0; i < N_CONN; i++) {
            bool want = (s_conn[i].flags & F_U) != 0u ||
                        ((s_conn[i].flags & F_EVENT) != 0u && (events & (1u << (c - 1u))) != 0u);
            if (want && nv < sizeof v / sizeof v[0]) {
                v[nv++] = (struct seg){(uint16_t)(s_conn[i].addr + huawei_conn_offset(c)), s_conn[i].words,
                                       &r->conn[c - 1u][slot]};
            }
            slot += s_conn[i].words * s_conn[i].count;
        }
    }
    for (size_t i = 1; i < nv; i++) { /* insertion sort: a few dozen entries */
        struct seg t = v[i];
        size_t j = i;
        while (j > 0u && v[j - 1u].addr > t.addr) {
            v[j] = v[j - 1u];
            j--;
        }
        v[j] = t;
    }
    /* count segments and bytes */
    size_t nseg = 0, bytes = 0;
    for (size_t i = 0; i < nv; i++) {
        if (i == 0u || v[i - 1u].addr + v[i - 1u].words != v[i].addr) {
            nseg++;
            bytes += 4u;
        }
        bytes += 2u * v[i].words;
    }
    size_t pdu = 1u + 1u + 2u + 1u + 2u + 4u + bytes; /* FC sub len type ndev location nseg */
    if (HUAWEI_MBAP_LEN + pdu > cap || pdu > HUAWEI_ADU_MAX - HUAWEI_MBAP_LEN) {
        return HAL_EOVERFLOW;
    }
    huawei_mbap_put(out, tid, 0u, pdu);
    uint8_t *p = out + HUAWEI_MBAP_LEN;
    size_t k = 0;
    p[k++] = 0x41u;
    p[k++] = 0x91u;
    size_t dl = pdu - 4u; /* bytes after the length field */
    p[k++] = (uint8_t)(dl >> 8);
    p[k++] = (uint8_t)dl;
    p[k++] = want_answer ? 0x80u : 0x00u;
    p[k++] = 0u;
    p[k++] = 1u; /* one device */
    p[k++] = 0u;
    p[k++] = 0u; /* location */
    p[k++] = (uint8_t)(nseg >> 8);
    p[k++] = (uint8_t)nseg;
    size_t i = 0;
    while (i < nv) {
        size_t j = i, words = 0;
        while (j < nv && (j == i || v[j - 1u].addr + v[j - 1u].words == v[j].addr)) {
            words += v[j].words;
            j++;
        }
        p[k++] = (uint8_t)(v[i].addr >> 8);
        p[k++] = (uint8_t)v[i].addr;
        p[k++] = (uint8_t)(words >> 8);
        p[k++] = (uint8_t)words;
        for (; i < j; i++) {
            for (unsigned w = 0; w < v[i].words; w++) {
                p[k++] = (uint8_t)(v[i].w[w] >> 8);
                p[k++] = (uint8_t)v[i].w[w];
            }
        }
    }
    *len = HUAWEI_MBAP_LEN + k;
    return HAL_OK;
}

int huawei_report_parse_answer(const uint8_t *pdu, size_t len, bool *success)
{
    if (len == 2u && pdu[0] == 0xC1u) {
        *success = false; /* the unit refused the function */
        return HAL_OK;
    }
    /* the sheet: FC 0x41, then 91 00 01 00 rr (unverified: no real sample seen) */
    if (len < 5u || pdu[0] != 0x41u || pdu[1] != 0x91u || pdu[len - 1u] > 1u) {
        return HAL_EPROTO;
    }
    *success = pdu[len - 1u] == 0u;
    return HAL_OK;
}
