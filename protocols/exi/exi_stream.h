/**
 * @file exi_stream.h
 * @brief EXI runtime: bit-packed reader and writer with the V2G datatype encodings.
 *
 * Schema-informed EXI 1.0 as used by DIN SPEC 70121, ISO 15118-2 and -20
 * (bit-packed, strict = false, value partition capacity 0, header byte 0x80;
 * see docs/exi.md). The generated codecs (exi_<set>_dec.c / _enc.c) call these
 * primitives; nothing here allocates or keeps global state.
 *
 * Errors are sticky: the first failure is stored in the reader or writer
 * (r->error, with the bit position in r->bit), later reads return 0 and later
 * writes are dropped, so every loop of a generated decoder stays bounded. The
 * public entry points turn the stored error into one HAL code.
 */
#ifndef EXI_STREAM_H
#define EXI_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/* Hot primitives are forced inline in speed builds; -Os builds (the flash
 * figure) leave the choice to the compiler. */
#if defined(__GNUC__) && !defined(__OPTIMIZE_SIZE__)
#define EXI_INLINE static inline __attribute__((always_inline))
#else
#define EXI_INLINE static inline
#endif

/** EXI detail error (reported next to the HAL code). */
enum exi_error {
    EXI_OK = 0,           /**< no error */
    EXI_E_HEADER,         /**< first byte is not the EXI header 0x80 */
    EXI_E_EOF,            /**< the stream ends inside the document */
    EXI_E_EVENT,          /**< event code not declared in this grammar state (or escape) */
    EXI_E_ROOT,           /**< root element not supported by this codec */
    EXI_E_ABSTRACT,       /**< abstract element in the stream */
    EXI_E_UNSUPPORTED,    /**< legal EXI that V2G never uses: wildcard content, mixed text, xsi:* */
    EXI_E_VALUE,          /**< value out of range (n-bit integer, enumeration, integer width) */
    EXI_E_STRING_TABLE,   /**< string value table hit (capacity is 0 in V2G) */
    EXI_E_CHAR,           /**< invalid character (code point, or invalid UTF-8 to encode) */
    EXI_E_ARRAY_BOUND,    /**< more occurrences than the configured capacity */
    EXI_E_STRING_BOUND,   /**< string longer than the configured capacity */
    EXI_E_BINARY_BOUND,   /**< binary value longer than the configured capacity */
    EXI_E_MISSING,        /**< encoder: a mandatory element or the root is missing */
    EXI_E_OUTPUT_FULL,    /**< encoder: the output buffer is full */
    EXI_E_COUNT
};

/** Bit reader over a received EXI stream. */
struct exi_reader {
    const uint8_t *buf;   /**< stream bytes */
    size_t len;           /**< number of bytes */
    size_t bit;           /**< next bit to read (MSB first) */
    enum exi_error error; /**< first error, EXI_OK while none */
};

/** Bit writer into an output buffer. */
struct exi_writer {
    uint8_t *buf;         /**< output bytes */
    size_t cap;           /**< size of buf */
    size_t bit;           /**< next bit to write */
    enum exi_error error; /**< first error, EXI_OK while none */
};

/**
 * @brief Start reading @p len bytes at @p buf.
 * @param r reader to initialise
 * @param buf bytes (not copied; must outlive the decode)
 * @param len number of bytes
 */
void exi_reader_init(struct exi_reader *r, const uint8_t *buf, size_t len);

/**
 * @brief Start writing into @p buf.
 * @param w writer to initialise
 * @param buf output buffer
 * @param cap its size in bytes
 */
void exi_writer_init(struct exi_writer *w, uint8_t *buf, size_t cap);

/**
 * @brief Bytes used by the encoded stream (the last byte is zero padded).
 * @param w writer after an encode
 * @return number of bytes
 */
size_t exi_writer_len(const struct exi_writer *w);

/**
 * @brief Reason string of an EXI detail error.
 * @param e error
 * @return static, non-NULL string
 */
const char *exi_error_str(enum exi_error e);

/**
 * @brief The HAL code that reports an EXI detail error.
 * @param e error
 * @retval HAL_OK e is EXI_OK
 * @retval HAL_EOVERFLOW a capacity was exceeded while decoding
 * @retval HAL_ENOTSUP unsupported feature or root
 * @retval HAL_ENOMEM output buffer full
 * @retval HAL_EINVAL the document to encode is invalid
 * @retval HAL_EPROTO any other decode error
 */
int exi_error_hal(enum exi_error e);

/* ------------------------------------------------------------------ reader */

/**
 * @brief Record @p e (first error wins).
 * @param r reader
 * @param e error
 * @return -1, so that a generated decoder can `return exi_rd_fail(...)`
 */
int exi_rd_fail(struct exi_reader *r, enum exi_error e);

/**
 * @brief Slow path of exi_rd_bits() near the end of the stream.
 * @param r reader
 * @param n 1..25
 * @return the bits, or 0 with EXI_E_EOF
 */
uint32_t exi_rd_bits_slow(struct exi_reader *r, unsigned n);

/**
 * @brief Read an n-bit unsigned value, MSB first.
 * @param r reader
 * @param n 1..25
 * @return the value (0 after an error)
 */
EXI_INLINE uint32_t exi_rd_bits(struct exi_reader *r, unsigned n)
{
    size_t byte = r->bit >> 3;
    if (byte + 4U <= r->len) {
        const uint8_t *p = r->buf + byte;
        uint32_t v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
        v <<= (unsigned)(r->bit & 7U);
        r->bit += n;
        return v >> (32U - n);
    }
    return exi_rd_bits_slow(r, n);
}

/**
 * @brief 0 when no error is recorded, else -1 (end of a generated type decoder).
 * @param r reader
 * @retval 0 no error
 * @retval -1 an error is recorded
 */
static inline int exi_rd_ok(const struct exi_reader *r)
{
    return r->error == EXI_OK ? 0 : -1;
}

/**
 * @brief HAL code of the reader's state.
 * @param r reader
 * @return see exi_error_hal()
 */
static inline int exi_rd_result(const struct exi_reader *r)
{
    return exi_error_hal(r->error);
}

/**
 * @brief Event code of a state with one declared production: must be 0.
 * @param r reader
 * @param n code width
 * @retval 0 code 0
 * @retval -1 anything else (EXI_E_EVENT recorded)
 */
EXI_INLINE int exi_rd_code0(struct exi_reader *r, unsigned n)
{
    if (exi_rd_bits(r, n) != 0U) {
        return exi_rd_fail(r, EXI_E_EVENT);
    }
    return 0;
}

/**
 * @brief Read and check the header byte 0x80.
 * @param r reader
 * @retval 0 header ok
 * @retval -1 EXI_E_HEADER or EXI_E_EOF recorded
 */
int exi_rd_header(struct exi_reader *r);

/**
 * @brief n-bit unsigned value with a maximum (enumerations, bounded integers).
 * @param r reader
 * @param n 0..23 bits
 * @param maxv largest valid value; larger sets EXI_E_VALUE
 * @return the value
 */
uint32_t exi_rd_nbit(struct exi_reader *r, unsigned n, uint32_t maxv);

/**
 * @brief Simple-typed element: CH code, n-bit value, EE code read at once.
 * @param r reader
 * @param n 0..23 bits
 * @param maxv largest valid value
 * @return the value
 */
EXI_INLINE uint32_t exi_rd_el_nbit(struct exi_reader *r, unsigned n, uint32_t maxv)
{
    uint32_t v = exi_rd_bits(r, n + 2U);
    uint32_t x = (v >> 1) & (((uint32_t)1U << n) - 1U);
    if ((v >> (n + 1U)) != 0U || (v & 1U) != 0U) {
        (void)exi_rd_fail(r, EXI_E_EVENT);
        return 0;
    }
    if (x > maxv) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return x;
}

/** Pack the layout of exi_rd_el_nbit_x() into one argument (smaller call sites). */
#define EXI_X_SPEC(pre, n, post) ((pre) | ((n) << 2) | ((post) << 7))
/** Pack code width, code and value width of exi_wr_se_el_nbit() into one argument. */
#define EXI_SE_SPEC(cw, code, n) ((cw) | ((n) << 4) | ((code) << 9))

/**
 * @brief Simple-typed element with neighbouring one-production event codes read at once:
 *        @p pre bits of event code 0 before it (the SE of a single-production
 *        state), its CH code, n-bit value and EE code, and @p post bits of event
 *        code 0 after it (the EE of a parent whose only production left is EE).
 * @param r reader
 * @param spec EXI_X_SPEC(pre 0..2, n 0..20 bits, post 0..1)
 * @param maxv largest valid value
 * @return the value
 */
EXI_INLINE uint32_t exi_rd_el_nbit_x(struct exi_reader *r, unsigned spec, uint32_t maxv)
{
    unsigned pre = spec & 3U;
    unsigned n = (spec >> 2) & 31U;
    unsigned post = spec >> 7;
    uint32_t v = exi_rd_bits(r, pre + n + 2U + post);
    uint32_t x = (v >> (1U + post)) & (((uint32_t)1U << n) - 1U);
    if ((v >> (n + 1U + post)) != 0U || (v & (((uint32_t)2U << post) - 1U)) != 0U) {
        (void)exi_rd_fail(r, EXI_E_EVENT);
        return 0;
    }
    if (x > maxv) {
        (void)exi_rd_fail(r, EXI_E_VALUE);
        return 0;
    }
    return x;
}

/**
 * @brief Integer element with neighbouring event codes (see exi_rd_el_nbit_x()).
 * @param r reader @param pre 0..2 @param post 0..1 @param lo minimum @param hi maximum
 * @return the value
 */
int32_t exi_rd_el_int32_x(struct exi_reader *r, unsigned pre, unsigned post, int32_t lo, int32_t hi);
/**
 * @brief Unsigned Integer element with neighbouring event codes (see exi_rd_el_nbit_x()).
 * @param r reader @param pre 0..2 @param post 0..1 @param max maximum
 * @return the value
 */
uint32_t exi_rd_el_uint32_x(struct exi_reader *r, unsigned pre, unsigned post, uint32_t max);

/**
 * @brief Unsigned Integer (7-bit groups, least significant first) up to @p max.
 * @param r reader
 * @param max largest valid value; larger sets EXI_E_VALUE
 * @return the value
 */
uint32_t exi_rd_uint32(struct exi_reader *r, uint32_t max);
/** @brief Unsigned Integer up to 2^64-1 (10 octets). @param r reader @return value */
uint64_t exi_rd_uint64(struct exi_reader *r);
/**
 * @brief Integer (sign bit + Unsigned magnitude) in [lo, hi].
 * @param r reader @param lo minimum @param hi maximum
 * @return the value
 */
int32_t exi_rd_int32(struct exi_reader *r, int32_t lo, int32_t hi);
/** @brief Integer that fits int64_t. @param r reader @return value */
int64_t exi_rd_int64(struct exi_reader *r);
/**
 * @brief String value: Unsigned L+2, then L code points stored as UTF-8.
 * @param r reader @param dst buffer @param len receives the UTF-8 length
 * @param cap size of dst; overflow sets EXI_E_STRING_BOUND
 */
void exi_rd_string(struct exi_reader *r, char *dst, uint16_t *len, uint16_t cap);
/**
 * @brief Binary value (hexBinary, base64Binary): Unsigned length, then octets.
 * @param r reader @param dst buffer @param len receives the length
 * @param cap size of dst; overflow sets EXI_E_BINARY_BOUND
 */
void exi_rd_binary(struct exi_reader *r, uint8_t *dst, uint16_t *len, uint16_t cap);

/** @brief Element form of exi_rd_uint32() (CH, value, EE). @param r reader @param max maximum @return value */
uint32_t exi_rd_el_uint32(struct exi_reader *r, uint32_t max);
/** @brief Element form of exi_rd_uint64(). @param r reader @return value */
uint64_t exi_rd_el_uint64(struct exi_reader *r);
/** @brief Element form of exi_rd_int32(). @param r reader @param lo minimum @param hi maximum @return value */
int32_t exi_rd_el_int32(struct exi_reader *r, int32_t lo, int32_t hi);
/** @brief Element form of exi_rd_int64(). @param r reader @return value */
int64_t exi_rd_el_int64(struct exi_reader *r);
/**
 * @brief Element form of exi_rd_string(); also accepts the empty element written
 *        as escape + second-level EE (EXIficient's form of `<X/>`).
 * @param r reader @param dst buffer @param len receives the length @param cap size of dst
 */
void exi_rd_el_string(struct exi_reader *r, char *dst, uint16_t *len, uint16_t cap);
/** @brief Element form of exi_rd_binary() (empty element as for strings).
 *  @param r reader @param dst buffer @param len receives the length @param cap size of dst */
void exi_rd_el_binary(struct exi_reader *r, uint8_t *dst, uint16_t *len, uint16_t cap);

/* ------------------------------------------------------------------ writer */

/**
 * @brief Record @p e (first error wins).
 * @param w writer @param e error
 * @return -1
 */
int exi_wr_fail(struct exi_writer *w, enum exi_error e);

/**
 * @brief Slow path of exi_wr_bits() near the end of the buffer.
 * @param w writer @param n 1..25 @param v value
 */
void exi_wr_bits_slow(struct exi_writer *w, unsigned n, uint32_t v);

/**
 * @brief Write the n low bits of @p v, MSB first.
 * @param w writer
 * @param n 1..25
 * @param v value (< 2^n)
 */
EXI_INLINE void exi_wr_bits(struct exi_writer *w, unsigned n, uint32_t v)
{
    size_t byte = w->bit >> 3;
    if (byte + 4U <= w->cap) {
        unsigned off = (unsigned)(w->bit & 7U);
        uint8_t *p = w->buf + byte;
        /* Bits after the write position are always zero (exi_writer_init()
         * clears the first byte, every write clears the rest of its window). */
        uint32_t x = ((uint32_t)p[0] << 24) | (v << (32U - off - n));
        p[0] = (uint8_t)(x >> 24);
        p[1] = (uint8_t)(x >> 16);
        p[2] = (uint8_t)(x >> 8);
        p[3] = (uint8_t)x;
        w->bit += n;
        return;
    }
    exi_wr_bits_slow(w, n, v);
}

/** Pack an event code and its width into one argument of exi_wr_code(). */
#define EXI_CODE(n, code) ((n) | ((code) << 5))

/**
 * @brief Write an event code.
 * @param w writer
 * @param spec EXI_CODE(width 1..9, code)
 */
EXI_INLINE void exi_wr_code(struct exi_writer *w, unsigned spec)
{
    exi_wr_bits(w, spec & 31U, spec >> 5);
}

/**
 * @brief 0 when no error is recorded, else -1.
 * @param w writer
 * @retval 0 no error
 * @retval -1 an error is recorded
 */
static inline int exi_wr_ok(const struct exi_writer *w)
{
    return w->error == EXI_OK ? 0 : -1;
}

/** @brief Write the header byte 0x80. @param w writer */
void exi_wr_header(struct exi_writer *w);
/**
 * @brief End of document: the padding is already zero; report the result.
 * @param w writer
 * @return exi_error_hal(w->error)
 */
int exi_wr_finish(struct exi_writer *w);
/** @brief n-bit value with a maximum. @param w writer @param n 0..23 @param v value @param maxv maximum */
void exi_wr_nbit(struct exi_writer *w, unsigned n, uint32_t v, uint32_t maxv);
/**
 * @brief Element form: CH code, n-bit value, EE code in one write.
 * @param w writer @param n 0..23 @param v value @param maxv maximum
 */
EXI_INLINE void exi_wr_el_nbit(struct exi_writer *w, unsigned n, uint32_t v, uint32_t maxv)
{
    if (v > maxv) {
        (void)exi_wr_fail(w, EXI_E_VALUE);
        return;
    }
    exi_wr_bits(w, n + 2U, v << 1);
}

/**
 * @brief Event code of SE(element), then the element's CH code, n-bit value and
 *        EE code, in one write.
 * @param w writer @param spec EXI_SE_SPEC(code width, code, n) @param v value @param maxv maximum
 */
EXI_INLINE void exi_wr_se_el_nbit(struct exi_writer *w, unsigned spec, uint32_t v, uint32_t maxv)
{
    unsigned cw = spec & 15U;
    unsigned n = (spec >> 4) & 31U;
    uint32_t code = spec >> 9;
    if (v > maxv) {
        (void)exi_wr_fail(w, EXI_E_VALUE);
        return;
    }
    exi_wr_bits(w, cw + n + 2U, (code << (n + 2U)) | (v << 1));
}
/** @brief Unsigned Integer. @param w writer @param v value */
void exi_wr_uint(struct exi_writer *w, uint64_t v);
/** @brief Integer (sign + magnitude). @param w writer @param v value */
void exi_wr_int(struct exi_writer *w, int64_t v);
/** @brief String value from UTF-8. @param w writer @param s chars @param len bytes @param cap capacity */
void exi_wr_string(struct exi_writer *w, const char *s, uint16_t len, uint16_t cap);
/** @brief Binary value. @param w writer @param b bytes @param len length @param cap capacity */
void exi_wr_binary(struct exi_writer *w, const uint8_t *b, uint16_t len, uint16_t cap);
/** @brief Element form of exi_wr_uint(). @param w writer @param v value */
void exi_wr_el_uint(struct exi_writer *w, uint64_t v);
/** @brief Element form of exi_wr_int(). @param w writer @param v value */
void exi_wr_el_int(struct exi_writer *w, int64_t v);
/** @brief Element form of exi_wr_string() (empty value as CH of length 0). @param w writer @param s chars @param len bytes @param cap capacity */
void exi_wr_el_string(struct exi_writer *w, const char *s, uint16_t len, uint16_t cap);
/** @brief Element form of exi_wr_binary(). @param w writer @param b bytes @param len length @param cap capacity */
void exi_wr_el_binary(struct exi_writer *w, const uint8_t *b, uint16_t len, uint16_t cap);

#endif /* EXI_STREAM_H */
