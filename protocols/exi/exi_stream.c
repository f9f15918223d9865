/**
 * @file exi_stream.c
 * @brief EXI runtime: bit reader/writer, Unsigned/Integer/String/Binary encodings.
 */
#include "exi/exi_stream.h"

#include <string.h>

static const char *const s_reasons[EXI_E_COUNT] = {
    [EXI_OK] = "no error",
    [EXI_E_HEADER] = "first byte is not the EXI header 0x80",
    [EXI_E_EOF] = "stream ends inside the document",
    [EXI_E_EVENT] = "event code not declared in this grammar state",
    [EXI_E_ROOT] = "root element not supported",
    [EXI_E_ABSTRACT] = "abstract element in stream",
    [EXI_E_UNSUPPORTED] = "EXI feature not used by V2G (wildcard, mixed text, xsi)",
    [EXI_E_VALUE] = "value out of range",
    [EXI_E_STRING_TABLE] = "string table hit (value partition capacity is 0)",
    [EXI_E_CHAR] = "invalid character",
    [EXI_E_ARRAY_BOUND] = "more occurrences than the configured capacity",
    [EXI_E_STRING_BOUND] = "string longer than the configured capacity",
    [EXI_E_BINARY_BOUND] = "binary value longer than the configured capacity",
    [EXI_E_MISSING] = "mandatory element missing",
    [EXI_E_OUTPUT_FULL] = "output buffer full",
};

const char *exi_error_str(enum exi_error e)
{
    if ((unsigned)e >= (unsigned)EXI_E_COUNT) {
        return "unknown EXI error";
    }
    return s_reasons[e];
}

int exi_error_hal(enum exi_error e)
{
    switch (e) {
    case EXI_OK:
        return HAL_OK;
    case EXI_E_ARRAY_BOUND:
    case EXI_E_STRING_BOUND:
    case EXI_E_BINARY_BOUND:
        return HAL_EOVERFLOW;
    case EXI_E_ROOT:
    case EXI_E_UNSUPPORTED:
        return HAL_ENOTSUP;
    case EXI_E_OUTPUT_FULL:
        return HAL_ENOMEM;
    case EXI_E_MISSING:
        return HAL_EINVAL;
    default:
        return HAL_EPROTO;
    }
}

void exi_reader_init(struct exi_reader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = buf != NULL ? len : 0U;
    r->bit = 0;
    r->error = EXI_OK;
}

void exi_writer_init(struct exi_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0U;
    w->bit = 0;
    w->error = EXI_OK;
    if (w->cap != 0U) {
        w->buf[0] = 0;
    }
}

size_t exi_writer_len(const struct exi_writer *w)
{
    return (w->bit + 7U) >> 3;
}

/* ------------------------------------------------------------------ reader */

int exi_rd_fail(struct exi_reader *r, enum exi_error e)
{
    if (r->error == EXI_OK) {
        r->error = e;
    }
    return -1;
}

uint32_t exi_rd_bits_slow(struct exi_reader *r, unsigned n)
{
    size_t byte = r->bit >> 3;
    uint32_t v = 0;
    if (r->bit + n > (size_t)r->len * 8U) {
        /* Stop the position at the end so that later reads stay here too. */
        r->bit = (size_t)r->len * 8U;
        (void)exi_rd_fail(r, EXI_E_EOF);
        return 0;
    }
    /* Fewer than 4 bytes remain (at least one): assemble them, zero filled. */
    {
        const uint8_t *p = r->buf + byte;
        size_t rem = r->len - byte;
        v = (uint32_t)p[0] << 24;
        if (rem > 1U) {
            v |= (uint32_t)p[1] << 16;
        }
        if (rem > 2U) {
            v |= (uint32_t)p[2] << 8;
        }
    }
    v <<= (unsigned)(r->bit & 7U);
    r->bit += n;
    return v >> (32U - n);
}

int exi_rd_header(struct exi_reader *r)
{
    uint32_t h = exi_rd_bits(r, 8U);
    if (r->error != EXI_OK) {
        return -1;
    }
    if (h != 0x80U) {
        return exi_rd_fail(r, EXI_E_HEADER);
    }
    return 0;
}

uint32_t exi_rd_nbit(struct exi_reader *r, unsigned n, uint32_t maxv)
{
    uint32_t v = n != 0U ? exi_rd_bits(r, n) : 0U;
    if (v > maxv) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return v;
}

/* Continue an Unsigned Integer after a first octet with the continuation bit. */
static uint64_t rd_uint_rest(struct exi_reader *r, uint32_t first)
{
    uint64_t v = first & 0x7FU;
    unsigned shift = 7;
    for (;;) {
        uint32_t b = exi_rd_bits(r, 8U);
        if (r->error != EXI_OK) {
            return 0;
        }
        if (shift == 63U && (b & 0x7EU) != 0U) {
            (void)exi_rd_fail(r, EXI_E_VALUE);
            return 0;
        }
        v |= (uint64_t)(b & 0x7FU) << shift;
        if ((b & 0x80U) == 0U) {
            return v;
        }
        shift += 7U;
        if (shift > 63U) {
            (void)exi_rd_fail(r, EXI_E_VALUE);
            return 0;
        }
    }
}

uint32_t exi_rd_uint32(struct exi_reader *r, uint32_t max)
{
    uint32_t b = exi_rd_bits(r, 8U);
    uint64_t v = b;
    if (b & 0x80U) {
        v = rd_uint_rest(r, b);
    }
    if (v > max) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return (uint32_t)v;
}

uint64_t exi_rd_uint64(struct exi_reader *r)
{
    uint32_t b = exi_rd_bits(r, 8U);
    if (b & 0x80U) {
        return rd_uint_rest(r, b);
    }
    return b;
}

int32_t exi_rd_int32(struct exi_reader *r, int32_t lo, int32_t hi)
{
    uint32_t neg = exi_rd_bits(r, 1U);
    uint32_t mag = exi_rd_uint32(r, 0x7FFFFFFFU);
    int64_t v = neg ? -(int64_t)mag - 1 : (int64_t)mag;
    if (v < lo || v > hi) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return (int32_t)v;
}

int64_t exi_rd_int64(struct exi_reader *r)
{
    uint32_t neg = exi_rd_bits(r, 1U);
    uint64_t mag = exi_rd_uint64(r);
    if (mag > (uint64_t)INT64_MAX) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return neg ? -(int64_t)mag - 1 : (int64_t)mag;
}

void exi_rd_string(struct exi_reader *r, char *dst, uint16_t *len, uint16_t cap)
{
    uint32_t l2 = exi_rd_uint32(r, 0xFFFFFFFFU);
    uint32_t n;
    uint16_t o = 0;
    *len = 0;
    if (r->error != EXI_OK) {
        return;
    }
    if (l2 < 2U) {
        (void)exi_rd_fail(r, EXI_E_STRING_TABLE);
        return;
    }
    n = l2 - 2U;
    if (n > cap) {
        /* Every code point takes at least one byte of UTF-8. */
        (void)exi_rd_fail(r, EXI_E_STRING_BOUND);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cp = exi_rd_uint32(r, 0x10FFFFU);
        uint8_t u[4];
        unsigned k;
        if (r->error != EXI_OK) {
            return;
        }
        if (cp < 0x80U) {
            u[0] = (uint8_t)cp;
            k = 1;
        } else if (cp < 0x800U) {
            u[0] = (uint8_t)(0xC0U | (cp >> 6));
            u[1] = (uint8_t)(0x80U | (cp & 0x3FU));
            k = 2;
        } else if (cp < 0x10000U) {
            if (cp >= 0xD800U && cp <= 0xDFFFU) {
                (void)exi_rd_fail(r, EXI_E_CHAR);
                return;
            }
            u[0] = (uint8_t)(0xE0U | (cp >> 12));
            u[1] = (uint8_t)(0x80U | ((cp >> 6) & 0x3FU));
            u[2] = (uint8_t)(0x80U | (cp & 0x3FU));
            k = 3;
        } else {
            u[0] = (uint8_t)(0xF0U | (cp >> 18));
            u[1] = (uint8_t)(0x80U | ((cp >> 12) & 0x3FU));
            u[2] = (uint8_t)(0x80U | ((cp >> 6) & 0x3FU));
            u[3] = (uint8_t)(0x80U | (cp & 0x3FU));
            k = 4;
        }
        if ((uint32_t)o + k > cap) {
            (void)exi_rd_fail(r, EXI_E_STRING_BOUND);
            return;
        }
        for (unsigned j = 0; j < k; j++) {
            dst[o++] = (char)u[j];
        }
    }
    *len = o;
}

void exi_rd_binary(struct exi_reader *r, uint8_t *dst, uint16_t *len, uint16_t cap)
{
    uint32_t n = exi_rd_uint32(r, 0xFFFFFFFFU);
    *len = 0;
    if (r->error != EXI_OK) {
        return;
    }
    if (n > cap) {
        (void)exi_rd_fail(r, EXI_E_BINARY_BOUND);
        return;
    }
    if ((r->bit + (size_t)n * 8U) > (size_t)r->len * 8U) {
        r->bit = (size_t)r->len * 8U;
        (void)exi_rd_fail(r, EXI_E_EOF);
        return;
    }
    if ((r->bit & 7U) == 0U) {
        memcpy(dst, r->buf + (r->bit >> 3), n);
        r->bit += (size_t)n * 8U;
    } else {
        uint32_t i = 0;
        for (; i + 3U <= n; i += 3U) {
            uint32_t v = exi_rd_bits(r, 24U);
            dst[i] = (uint8_t)(v >> 16);
            dst[i + 1U] = (uint8_t)(v >> 8);
            dst[i + 2U] = (uint8_t)v;
        }
        for (; i < n; i++) {
            dst[i] = (uint8_t)exi_rd_bits(r, 8U);
        }
    }
    *len = (uint16_t)n;
}

/* CH code (must be 0 = CH; 1 is the escape). */
static int rd_ch(struct exi_reader *r)
{
    if (exi_rd_bits(r, 1U) != 0U) {
        return exi_rd_fail(r, EXI_E_EVENT);
    }
    return 0;
}

static void rd_ee(struct exi_reader *r)
{
    if (exi_rd_bits(r, 1U) != 0U) {
        (void)exi_rd_fail(r, EXI_E_EVENT);
    }
}

static int rd_zero_bits(struct exi_reader *r, unsigned n)
{
    if (n != 0U && exi_rd_bits(r, n) != 0U) {
        return exi_rd_fail(r, EXI_E_EVENT);
    }
    return 0;
}

uint32_t exi_rd_el_uint32_x(struct exi_reader *r, unsigned pre, unsigned post, uint32_t max)
{
    /* [pre][CH][octet][EE][post]: one read when the value fits one octet. */
    uint32_t x = exi_rd_bits(r, pre + 10U + post);
    uint32_t octet = (x >> (1U + post)) & 0xFFU;
    uint64_t v;
    if ((x >> (9U + post)) != 0U) {
        (void)exi_rd_fail(r, EXI_E_EVENT);
        return 0;
    }
    if ((octet & 0x80U) == 0U) {
        if ((x & (((uint32_t)2U << post) - 1U)) != 0U) {
            (void)exi_rd_fail(r, EXI_E_EVENT);
            return 0;
        }
        v = octet;
    } else {
        if (r->error != EXI_OK) {
            return 0;
        }
        r->bit -= 1U + post;
        v = rd_uint_rest(r, octet);
        rd_ee(r);
        (void)rd_zero_bits(r, post);
    }
    if (v > max) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return (uint32_t)v;
}

uint32_t exi_rd_el_uint32(struct exi_reader *r, uint32_t max)
{
    return exi_rd_el_uint32_x(r, 0U, 0U, max);
}

uint64_t exi_rd_el_uint64(struct exi_reader *r)
{
    uint64_t v;
    if (rd_ch(r) != 0) {
        return 0;
    }
    v = exi_rd_uint64(r);
    rd_ee(r);
    return v;
}

int32_t exi_rd_el_int32_x(struct exi_reader *r, unsigned pre, unsigned post, int32_t lo, int32_t hi)
{
    /* [pre][CH][sign][octet][EE][post]: one read when the magnitude fits one octet. */
    uint32_t x = exi_rd_bits(r, pre + 11U + post);
    uint32_t octet = (x >> (1U + post)) & 0xFFU;
    int64_t v;
    if ((x >> (10U + post)) != 0U) {
        (void)exi_rd_fail(r, EXI_E_EVENT);
        return 0;
    }
    if ((octet & 0x80U) == 0U) {
        if ((x & (((uint32_t)2U << post) - 1U)) != 0U) {
            (void)exi_rd_fail(r, EXI_E_EVENT);
            return 0;
        }
        v = (int64_t)octet;
    } else {
        if (r->error != EXI_OK) {
            return 0;
        }
        r->bit -= 1U + post;
        v = (int64_t)rd_uint_rest(r, octet);
        rd_ee(r);
        (void)rd_zero_bits(r, post);
        if (v > 0x7FFFFFFFLL) {
            (void)exi_rd_fail(r, EXI_E_VALUE);
            return 0;
        }
    }
    if (((x >> (9U + post)) & 1U) != 0U) {
        v = -v - 1;
    }
    if (v < lo || v > hi) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return (int32_t)v;
}

int32_t exi_rd_el_int32(struct exi_reader *r, int32_t lo, int32_t hi)
{
    return exi_rd_el_int32_x(r, 0U, 0U, lo, hi);
}

int64_t exi_rd_el_int64(struct exi_reader *r)
{
    int64_t v;
    if (rd_ch(r) != 0) {
        return 0;
    }
    v = exi_rd_int64(r);
    rd_ee(r);
    return v;
}

/* Escape in the entry state of a simple element: the only second-level event
 * accepted is EE (3-bit code 0), i.e. an empty value. */
static int rd_el_start(struct exi_reader *r)
{
    if (exi_rd_bits(r, 1U) == 0U) {
        return 0;
    }
    if (exi_rd_bits(r, 3U) != 0U) {
        (void)exi_rd_fail(r, EXI_E_UNSUPPORTED);
    }
    return 1;
}

void exi_rd_el_string(struct exi_reader *r, char *dst, uint16_t *len, uint16_t cap)
{
    *len = 0;
    if (rd_el_start(r) != 0) {
        return;
    }
    exi_rd_string(r, dst, len, cap);
    rd_ee(r);
}

void exi_rd_el_binary(struct exi_reader *r, uint8_t *dst, uint16_t *len, uint16_t cap)
{
    *len = 0;
    if (rd_el_start(r) != 0) {
        return;
    }
    exi_rd_binary(r, dst, len, cap);
    rd_ee(r);
}

/* ------------------------------------------------------------------ writer */

int exi_wr_fail(struct exi_writer *w, enum exi_error e)
{
    if (w->error == EXI_OK) {
        w->error = e;
    }
    return -1;
}

void exi_wr_bits_slow(struct exi_writer *w, unsigned n, uint32_t v)
{
    if (w->error != EXI_OK) {
        return;
    }
    if (w->bit + n > (size_t)w->cap * 8U) {
        (void)exi_wr_fail(w, EXI_E_OUTPUT_FULL);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        size_t b = w->bit + i;
        uint8_t m = (uint8_t)(0x80U >> (unsigned)(b & 7U));
        if ((b & 7U) == 0U) {
            w->buf[b >> 3] = 0;
        }
        if ((v >> (n - 1U - i)) & 1U) {
            w->buf[b >> 3] = (uint8_t)(w->buf[b >> 3] | m);
        }
    }
    w->bit += n;
}

void exi_wr_header(struct exi_writer *w)
{
    exi_wr_bits(w, 8U, 0x80U);
}

int exi_wr_finish(struct exi_writer *w)
{
    return exi_error_hal(w->error);
}

void exi_wr_nbit(struct exi_writer *w, unsigned n, uint32_t v, uint32_t maxv)
{
    if (v > maxv) {
        (void)exi_wr_fail(w, EXI_E_VALUE);
        return;
    }
    if (n != 0U) {
        exi_wr_bits(w, n, v);
    }
}

void exi_wr_uint(struct exi_writer *w, uint64_t v)
{
    while (v >= 0x80U) {
        exi_wr_bits(w, 8U, (uint32_t)(0x80U | (v & 0x7FU)));
        v >>= 7;
    }
    exi_wr_bits(w, 8U, (uint32_t)v);
}

void exi_wr_int(struct exi_writer *w, int64_t v)
{
    if (v < 0) {
        exi_wr_bits(w, 1U, 1U);
        exi_wr_uint(w, (uint64_t)(-(v + 1)));
    } else {
        exi_wr_bits(w, 1U, 0U);
        exi_wr_uint(w, (uint64_t)v);
    }
}

/* Decode one UTF-8 sequence at s[*i]; returns the code point or -1. */
static int32_t utf8_next(const char *s, uint16_t len, uint16_t *i)
{
    const uint8_t *u = (const uint8_t *)s;
    uint32_t c = u[*i];
    unsigned k;
    uint32_t cp;
    if (c < 0x80U) {
        *i = (uint16_t)(*i + 1U);
        return (int32_t)c;
    }
    if ((c & 0xE0U) == 0xC0U) {
        k = 1;
        cp = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0U) {
        k = 2;
        cp = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0U) {
        k = 3;
        cp = c & 0x07U;
    } else {
        return -1;
    }
    if ((uint32_t)*i + k >= (uint32_t)len) {
        return -1;
    }
    for (unsigned j = 1; j <= k; j++) {
        uint32_t d = u[*i + j];
        if ((d & 0xC0U) != 0x80U) {
            return -1;
        }
        cp = (cp << 6) | (d & 0x3FU);
    }
    if ((k == 1 && cp < 0x80U) || (k == 2 && cp < 0x800U) || (k == 3 && cp < 0x10000U) || cp > 0x10FFFFU ||
        (cp >= 0xD800U && cp <= 0xDFFFU)) {
        return -1;
    }
    *i = (uint16_t)(*i + k + 1U);
    return (int32_t)cp;
}

void exi_wr_string(struct exi_writer *w, const char *s, uint16_t len, uint16_t cap)
{
    uint32_t n = 0;
    uint16_t i = 0;
    if (len > cap) {
        (void)exi_wr_fail(w, EXI_E_STRING_BOUND);
        return;
    }
    while (i < len) {
        if (utf8_next(s, len, &i) < 0) {
            (void)exi_wr_fail(w, EXI_E_CHAR);
            return;
        }
        n++;
    }
    exi_wr_uint(w, (uint64_t)n + 2U);
    i = 0;
    while (i < len) {
        exi_wr_uint(w, (uint64_t)utf8_next(s, len, &i));
    }
}

void exi_wr_binary(struct exi_writer *w, const uint8_t *b, uint16_t len, uint16_t cap)
{
    if (len > cap) {
        (void)exi_wr_fail(w, EXI_E_BINARY_BOUND);
        return;
    }
    exi_wr_uint(w, len);
    uint16_t i = 0;
    for (; i + 3U <= len; i = (uint16_t)(i + 3U)) {
        exi_wr_bits(w, 24U, ((uint32_t)b[i] << 16) | ((uint32_t)b[i + 1U] << 8) | b[i + 2U]);
    }
    for (; i < len; i++) {
        exi_wr_bits(w, 8U, b[i]);
    }
}

void exi_wr_el_uint(struct exi_writer *w, uint64_t v)
{
    if (v < 0x80U) {
        exi_wr_bits(w, 10U, (uint32_t)v << 1);
        return;
    }
    exi_wr_bits(w, 1U, 0U);
    exi_wr_uint(w, v);
    exi_wr_bits(w, 1U, 0U);
}

void exi_wr_el_int(struct exi_writer *w, int64_t v)
{
    if (v >= -128 && v < 128) {
        uint32_t s = v < 0 ? 1U : 0U;
        uint32_t m = v < 0 ? (uint32_t)(-(v + 1)) : (uint32_t)v;
        if (m < 0x80U) {
            exi_wr_bits(w, 11U, (s << 9) | (m << 1));
            return;
        }
    }
    exi_wr_bits(w, 1U, 0U);
    exi_wr_int(w, v);
    exi_wr_bits(w, 1U, 0U);
}

void exi_wr_el_string(struct exi_writer *w, const char *s, uint16_t len, uint16_t cap)
{
    exi_wr_bits(w, 1U, 0U);
    exi_wr_string(w, s, len, cap);
    exi_wr_bits(w, 1U, 0U);
}

void exi_wr_el_binary(struct exi_writer *w, const uint8_t *b, uint16_t len, uint16_t cap)
{
    exi_wr_bits(w, 1U, 0U);
    exi_wr_binary(w, b, len, cap);
    exi_wr_bits(w, 1U, 0U);
}
