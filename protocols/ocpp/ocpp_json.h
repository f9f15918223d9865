/**
 * @file ocpp_json.h
 * @brief Zero-allocation JSON for OCPP-J: a strict tokenizer over the caller's text and a
 *        bounded writer into the caller's buffer.
 *
 * The tokenizer (jsmn-shaped: a flat token array, each container followed by its children)
 * validates the whole of RFC 8259 before anything reads a field: string escapes, UTF-8,
 * number grammar, literals, nesting depth, trailing data. A failure names the reason and the
 * byte offset, so the RPC layer can answer FormationViolation with a reason. Tokens are
 * slices (offset, length) into the text, which must outlive the parse; strings are decoded
 * only when read (ocpp_json_str). Every token records the index just past its subtree, so a
 * lookup skips whole values without recursion.
 *
 * Why our own and not Debian's jsmn (libjsmn-dev 1.1.0): jsmn in its default mode accepts
 * primitives as keys and bare words as values, and even in JSMN_STRICT it checks only the first
 * character of a primitive (`tru`, `01`, `1e` pass), never checks escapes or UTF-8 and has no
 * depth limit or subtree skip index; all of that would have to be redone on top of it. It is
 * also a host header: the Cortex-M4 cross build does not see /usr/include.
 */
#ifndef OCPP_JSON_H
#define OCPP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Tokens per parsed message (a token is 12 bytes). */
#ifndef CFG_OCPP_JSON_TOKENS
#define CFG_OCPP_JSON_TOKENS 384u
#endif
_Static_assert(CFG_OCPP_JSON_TOKENS >= 16u && CFG_OCPP_JSON_TOKENS <= 65535u,
               "CFG_OCPP_JSON_TOKENS must be 16..65535");

/** Deepest nesting accepted (OCPP 1.6 payloads nest at most 6 deep: a charging profile). */
#define OCPP_JSON_MAX_DEPTH 16u
/** Longest text accepted: offsets are 16 bits. */
#define OCPP_JSON_MAX_TEXT 65535u

enum ocpp_jtype {
    OCPP_J_OBJ = 1,
    OCPP_J_ARR,
    OCPP_J_STR,
    OCPP_J_NUM,
    OCPP_J_TRUE,
    OCPP_J_FALSE,
    OCPP_J_NULL,
};

struct ocpp_jtok {
    uint8_t type;   /**< enum ocpp_jtype */
    uint8_t escaped; /**< a string holding a backslash (must be decoded to compare) */
    uint16_t start; /**< first byte; for a string the byte after the opening quote */
    uint16_t len;   /**< bytes; for a string the raw content between the quotes */
    uint16_t size;  /**< object: keys; array: elements; else 0 */
    uint16_t next;  /**< index of the first token after this value's subtree */
};

struct ocpp_json {
    const char *text;
    size_t len;
    uint16_t ntok;
    const char *err;  /**< why the last parse failed (static text), NULL on success */
    uint32_t err_off; /**< byte offset of the failure */
    struct ocpp_jtok tok[CFG_OCPP_JSON_TOKENS];
};

/**
 * @brief Tokenize and validate @p text (not NUL-terminated; @p len bytes).
 * @retval HAL_OK token 0 is the top-level value
 * @retval HAL_EPROTO malformed (j->err, j->err_off say why and where)
 * @retval HAL_ENOMEM more tokens than CFG_OCPP_JSON_TOKENS
 * @retval HAL_EOVERFLOW longer than OCPP_JSON_MAX_TEXT
 */
int ocpp_json_parse(struct ocpp_json *j, const char *text, size_t len);

/** Type of token @p t, or 0 for an index out of range (so absent fields read as "no type"). */
enum ocpp_jtype ocpp_json_type(const struct ocpp_json *j, int t);

/** Value token of member @p key of object @p obj, or -1 (absent, or @p obj not an object). */
int ocpp_json_get(const struct ocpp_json *j, int obj, const char *key);

/** Element @p n of array @p arr, or -1. */
int ocpp_json_at(const struct ocpp_json *j, int arr, unsigned n);

/** Next sibling after value @p t inside an array (for iteration), or -1 at the end. */
int ocpp_json_next(const struct ocpp_json *j, int arr, int t);

/** Count of elements (array) or keys (object); 0 otherwise. */
unsigned ocpp_json_size(const struct ocpp_json *j, int t);

/** Whether string token @p t decodes to exactly the C string @p s. */
bool ocpp_json_streq(const struct ocpp_json *j, int t, const char *s);

/**
 * @brief Decode string token @p t into @p out (NUL-terminated), escapes resolved to UTF-8.
 * @return the decoded length, or HAL_EINVAL (not a string), HAL_EOVERFLOW (does not fit
 *         @p cap - 1 bytes) or HAL_EPROTO (a NUL character: refused, C strings cannot hold it)
 */
int ocpp_json_str(const struct ocpp_json *j, int t, char *out, size_t cap);

/** Length of string token @p t in decoded bytes (schema maxLength checks), or -1. */
int ocpp_json_strlen(const struct ocpp_json *j, int t);

/**
 * @brief An integer number (no fraction or exponent; "3.0" counts: the schemas type some
 *        integers as number and peers write them so).
 * @retval HAL_OK @p out set
 * @retval HAL_EINVAL not a number, has a non-zero fraction, or out of int64 range
 */
int ocpp_json_int(const struct ocpp_json *j, int t, int64_t *out);

/**
 * @brief A decimal number as a fixed-point integer: value × 10^@p scale, truncated toward
 *        zero beyond @p scale digits (@p scale ≤ 6). Exponents are applied.
 * @retval HAL_EINVAL not a number or out of range
 */
int ocpp_json_fixed(const struct ocpp_json *j, int t, unsigned scale, int64_t *out);

/* ------------------------------------------------------------------ writer */

/** Bounded writer: calls after an overflow are no-ops, ocpp_jw_end() reports it. */
struct ocpp_jw {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
    bool after_key;  /**< the next value follows a key: no comma */
    uint8_t depth;
    uint32_t nonempty; /**< bit d: container at depth d already holds a value */
};

void ocpp_jw_init(struct ocpp_jw *w, char *buf, size_t cap);
void ocpp_jw_obj(struct ocpp_jw *w);      /**< `{` */
void ocpp_jw_obj_end(struct ocpp_jw *w);  /**< `}` */
void ocpp_jw_arr(struct ocpp_jw *w);      /**< `[` */
void ocpp_jw_arr_end(struct ocpp_jw *w);  /**< `]` */
void ocpp_jw_key(struct ocpp_jw *w, const char *key);
void ocpp_jw_str(struct ocpp_jw *w, const char *s);
void ocpp_jw_strn(struct ocpp_jw *w, const char *s, size_t n);
void ocpp_jw_int(struct ocpp_jw *w, int64_t v);
/** Fixed-point @p v / 10^@p scale, written with exactly the needed digits ("12.5", "7"). */
void ocpp_jw_fixed(struct ocpp_jw *w, int64_t v, unsigned scale);
void ocpp_jw_bool(struct ocpp_jw *w, bool v);
void ocpp_jw_null(struct ocpp_jw *w);
/** A value already in JSON form (a payload parsed earlier, copied through unchanged). */
void ocpp_jw_raw(struct ocpp_jw *w, const char *json, size_t n);
/** A string value written in parts (no copy of the whole): begin, any parts, end. */
void ocpp_jw_str_begin(struct ocpp_jw *w);
void ocpp_jw_str_part(struct ocpp_jw *w, const char *s, size_t n); /**< escaped */
void ocpp_jw_str_b64(struct ocpp_jw *w, const void *data, size_t n); /**< Base64 (RFC 4648) */
void ocpp_jw_str_end(struct ocpp_jw *w);
/** Convenience: `"key":"value"` / `"key":int`. */
void ocpp_jw_kstr(struct ocpp_jw *w, const char *key, const char *s);
void ocpp_jw_kint(struct ocpp_jw *w, const char *key, int64_t v);

/**
 * @brief Finish: NUL-terminate.
 * @return the length written, or HAL_EOVERFLOW (the buffer was too small) or HAL_EPROTO
 *         (containers left open)
 */
int ocpp_jw_end(struct ocpp_jw *w);

#endif /* OCPP_JSON_H */
