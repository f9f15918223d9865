/*
 * OCPP JSON: owns the strict zero-allocation tokenizer (validation of RFC 8259 in one pass,
 * flat token array with subtree skip indices), string decoding and number reading on
 * demand, and the bounded writer. Everything the backend sends passes through here first,
 * so every rule is checked before a field is read.
 */
#include "ocpp/ocpp_json.h"

#include <string.h>

#include "hal_fmt.h"

enum st {
    ST_VALUE,          /* a value must come */
    ST_VALUE_OR_END,   /* after '[' */
    ST_KEY_OR_END,     /* after '{' */
    ST_KEY,            /* after ',' in an object */
    ST_COLON,
    ST_COMMA_OR_END,
    ST_DONE,
};

static int fail(struct ocpp_json *j, size_t off, const char *why)
{
    j->err = why;
    j->err_off = (uint32_t)off;
    return HAL_EPROTO;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[k]);
        if (h < 0) {
            return -1;
        }
        v = (v << 4) | (uint32_t)h;
    }
    *out = v;
    return 0;
}

/* Length of one well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80u) {
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80u, hi = 0xBFu;
    if (c >= 0xC2u && c <= 0xDFu) {
        need = 2;
    } else if (c >= 0xE0u && c <= 0xEFu) {
        need = 3;
        if (c == 0xE0u) {
            lo = 0xA0u;
        } else if (c == 0xEDu) {
            hi = 0x9Fu;
        }
    } else if (c >= 0xF0u && c <= 0xF4u) {
        need = 4;
        if (c == 0xF0u) {
            lo = 0x90u;
        } else if (c == 0xF4u) {
            hi = 0x8Fu;
        }
    } else {
        return 0;
    }
    if (n < need || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t k = 2; k < need; k++) {
        if (s[k] < 0x80u || s[k] > 0xBFu) {
            return 0;
        }
    }
    return need;
}

/* Scan a string starting after its opening quote; *end = index of the closing quote. */
static int scan_string(struct ocpp_json *j, size_t i, size_t *end, bool *escaped)
{
    const char *t = j->text;
    *escaped = false;
    while (i < j->len) {
        unsigned char c = (unsigned char)t[i];
        if (c == '"') {
            *end = i;
            return HAL_OK;
        }
        if (c < 0x20u) {
            return fail(j, i, "control character in a string");
        }
        if (c == '\\') {
            *escaped = true;
            if (i + 1 >= j->len) {
                break;
            }
            char e = t[i + 1];
            if (e == 'u') {
                uint32_t u;
                if (i + 6 > j->len || hex4(t + i + 2, &u) != 0) {
                    return fail(j, i, "bad \\u escape");
                }
                i += 6;
                if (u >= 0xD800u && u <= 0xDBFFu) {
                    uint32_t u2;
                    if (i + 6 > j->len || t[i] != '\\' || t[i + 1] != 'u' ||
                        hex4(t + i + 2, &u2) != 0 || u2 < 0xDC00u || u2 > 0xDFFFu) {
                        return fail(j, i, "unpaired surrogate in \\u escape");
                    }
                    i += 6;
                } else if (u >= 0xDC00u && u <= 0xDFFFu) {
                    return fail(j, i, "unpaired surrogate in \\u escape");
                }
                continue;
            }
            if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
                return fail(j, i, "bad escape in a string");
            }
            i += 2;
            continue;
        }
        size_t n = utf8_len((const unsigned char *)t + i, j->len - i);
        if (n == 0) {
            return fail(j, i, "invalid UTF-8 in a string");
        }
        i += n;
    }
    return fail(j, j->len, "unterminated string");
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Number grammar of RFC 8259 §6; *end = one past the number. */
static int scan_number(struct ocpp_json *j, size_t i, size_t *end)
{
    const char *t = j->text;
    size_t n = j->len, s = i;
    if (i < n && t[i] == '-') {
        i++;
    }
    if (i < n && t[i] == '0') {
        i++;
    } else if (i < n && t[i] >= '1' && t[i] <= '9') {
        while (i < n && is_digit(t[i])) {
            i++;
        }
    } else {
        return fail(j, s, "bad number");
    }
    if (i < n && t[i] == '.') {
        i++;
        if (i >= n || !is_digit(t[i])) {
            return fail(j, s, "bad number: no digit after '.'");
        }
        while (i < n && is_digit(t[i])) {
            i++;
        }
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-')) {
            i++;
        }
        if (i >= n || !is_digit(t[i])) {
            return fail(j, s, "bad number: no exponent digits");
        }
        while (i < n && is_digit(t[i])) {
            i++;
        }
    }
    /* a number must end at a delimiter ("01" and "1x" are not numbers) */
    if (i < n && strchr(",]} \t\r\n", t[i]) == NULL) {
        return fail(j, s, "bad number");
    }
    *end = i;
    return HAL_OK;
}

static int new_tok(struct ocpp_json *j, enum ocpp_jtype type, size_t start, size_t len)
{
    if (j->ntok >= CFG_OCPP_JSON_TOKENS) {
        j->err = "too many JSON tokens";
        j->err_off = (uint32_t)start;
        return HAL_ENOMEM;
    }
    struct ocpp_jtok *k = &j->tok[j->ntok];
    k->type = (uint8_t)type;
    k->escaped = 0;
    k->start = (uint16_t)start;
    k->len = (uint16_t)len;
    k->size = 0;
    k->next = (uint16_t)(j->ntok + 1u);
    return (int)j->ntok++;
}

int ocpp_json_parse(struct ocpp_json *j, const char *text, size_t len)
{
    j->text = text;
    j->len = len;
    j->ntok = 0;
    j->err = NULL;
    j->err_off = 0;
    if (len > OCPP_JSON_MAX_TEXT) {
        j->err = "JSON text too long";
        return HAL_EOVERFLOW;
    }
    uint16_t stack[OCPP_JSON_MAX_DEPTH];
    unsigned sp = 0;
    enum st st = ST_VALUE;
    size_t i = 0;

    while (1) {
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
            i++;
        }
        if (i >= len) {
            break;
        }
        char c = text[i];
        bool parent_obj = sp > 0 && j->tok[stack[sp - 1]].type == OCPP_J_OBJ;
        switch (st) {
        case ST_DONE:
            return fail(j, i, "data after the JSON value");
        case ST_COLON:
            if (c != ':') {
                return fail(j, i, "expected ':'");
            }
            i++;
            st = ST_VALUE;
            continue;
        case ST_COMMA_OR_END:
            if (c == ',') {
                i++;
                st = parent_obj ? ST_KEY : ST_VALUE;
                continue;
            }
            if ((c == '}' && parent_obj) || (c == ']' && !parent_obj)) {
                goto close;
            }
            return fail(j, i, parent_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        case ST_KEY_OR_END:
            if (c == '}') {
                goto close;
            }
            /* fall through */
        case ST_KEY: {
            if (c != '"') {
                return fail(j, i, "expected a string key");
            }
            size_t end;
            bool esc;
            int rc = scan_string(j, i + 1, &end, &esc);
            if (rc != HAL_OK) {
                return rc;
            }
            int t = new_tok(j, OCPP_J_STR, i + 1, end - i - 1);
            if (t < 0) {
                return t;
            }
            j->tok[t].escaped = esc;
            j->tok[stack[sp - 1]].size++;
            i = end + 1;
            st = ST_COLON;
            continue;
        }
        case ST_VALUE_OR_END:
            if (c == ']') {
                goto close;
            }
            /* fall through */
        case ST_VALUE:
            break;
        }

        /* a value */
        if (sp > 0 && !parent_obj) {
            j->tok[stack[sp - 1]].size++;
        }
        if (c == '{' || c == '[') {
            if (sp >= OCPP_JSON_MAX_DEPTH) {
                return fail(j, i, "JSON nested too deep");
            }
            int t = new_tok(j, c == '{' ? OCPP_J_OBJ : OCPP_J_ARR, i, 0);
            if (t < 0) {
                return t;
            }
            stack[sp++] = (uint16_t)t;
            i++;
            st = c == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
            continue;
        }
        int t;
        if (c == '"') {
            size_t end;
            bool esc;
            int rc = scan_string(j, i + 1, &end, &esc);
            if (rc != HAL_OK) {
                return rc;
            }
            t = new_tok(j, OCPP_J_STR, i + 1, end - i - 1);
            if (t < 0) {
                return t;
            }
            j->tok[t].escaped = esc;
            i = end + 1;
        } else if (c == '-' || is_digit(c)) {
            size_t end;
            int rc = scan_number(j, i, &end);
            if (rc != HAL_OK) {
                return rc;
            }
            t = new_tok(j, OCPP_J_NUM, i, end - i);
            if (t < 0) {
                return t;
            }
            i = end;
        } else {
            static const struct {
                const char *word;
                enum ocpp_jtype type;
            } lit[] = {{"true", OCPP_J_TRUE}, {"false", OCPP_J_FALSE}, {"null", OCPP_J_NULL}};
            size_t k;
            for (k = 0; k < 3; k++) {
                size_t wl = strlen(lit[k].word);
                if (len - i >= wl && memcmp(text + i, lit[k].word, wl) == 0 &&
                    (len - i == wl || strchr(",]} \t\r\n", text[i + wl]) != NULL)) {
                    break;
                }
            }
            if (k == 3) {
                return fail(j, i, "unexpected character");
            }
            size_t wl = strlen(lit[k].word);
            t = new_tok(j, lit[k].type, i, wl);
            if (t < 0) {
                return t;
            }
            i += wl;
        }
        st = sp == 0 ? ST_DONE : ST_COMMA_OR_END;
        continue;

    close: {
        struct ocpp_jtok *k = &j->tok[stack[sp - 1]];
        k->len = (uint16_t)(i + 1 - k->start);
        k->next = j->ntok;
        sp--;
        i++;
        st = sp == 0 ? ST_DONE : ST_COMMA_OR_END;
    }
    }
    if (st != ST_DONE) {
        return fail(j, len, j->ntok == 0 ? "empty JSON text" : "truncated JSON");
    }
    return HAL_OK;
}

enum ocpp_jtype ocpp_json_type(const struct ocpp_json *j, int t)
{
    if (t < 0 || t >= (int)j->ntok) {
        return (enum ocpp_jtype)0;
    }
    return (enum ocpp_jtype)j->tok[t].type;
}

unsigned ocpp_json_size(const struct ocpp_json *j, int t)
{
    enum ocpp_jtype ty = ocpp_json_type(j, t);
    return ty == OCPP_J_OBJ || ty == OCPP_J_ARR ? j->tok[t].size : 0u;
}

int ocpp_json_get(const struct ocpp_json *j, int obj, const char *key)
{
    if (ocpp_json_type(j, obj) != OCPP_J_OBJ) {
        return -1;
    }
    int k = obj + 1;
    for (unsigned n = 0; n < j->tok[obj].size; n++) {
        int v = k + 1;
        if (ocpp_json_streq(j, k, key)) {
            return v;
        }
        k = j->tok[v].next;
    }
    return -1;
}

int ocpp_json_at(const struct ocpp_json *j, int arr, unsigned n)
{
    if (ocpp_json_type(j, arr) != OCPP_J_ARR || n >= j->tok[arr].size) {
        return -1;
    }
    int t = arr + 1;
    while (n-- > 0) {
        t = j->tok[t].next;
    }
    return t;
}

int ocpp_json_next(const struct ocpp_json *j, int arr, int t)
{
    if (ocpp_json_type(j, arr) != OCPP_J_ARR || t <= arr) {
        return -1;
    }
    int n = j->tok[t].next;
    return n < (int)j->tok[arr].next ? n : -1;
}

/* Decode one unit of the raw string at *pos: writes 1..4 bytes to out, returns the count,
 * or 0 at the end. The tokenizer validated the escapes already. */
static size_t dec_unit(const char *s, size_t n, size_t *pos, char out[4])
{
    size_t i = *pos;
    if (i >= n) {
        return 0;
    }
    if (s[i] != '\\') {
        out[0] = s[i];
        *pos = i + 1;
        return 1;
    }
    char e = s[i + 1];
    if (e != 'u') {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        out[0] = to[strchr(from, e) - from];
        *pos = i + 2;
        return 1;
    }
    uint32_t u = 0, u2 = 0;
    (void)hex4(s + i + 2, &u);
    i += 6;
    if (u >= 0xD800u && u <= 0xDBFFu) {
        (void)hex4(s + i + 2, &u2);
        i += 6;
        u = 0x10000u + ((u - 0xD800u) << 10) + (u2 - 0xDC00u);
    }
    *pos = i;
    if (u < 0x80u) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800u) {
        out[0] = (char)(0xC0u | (u >> 6));
        out[1] = (char)(0x80u | (u & 0x3Fu));
        return 2;
    }
    if (u < 0x10000u) {
        out[0] = (char)(0xE0u | (u >> 12));
        out[1] = (char)(0x80u | ((u >> 6) & 0x3Fu));
        out[2] = (char)(0x80u | (u & 0x3Fu));
        return 3;
    }
    out[0] = (char)(0xF0u | (u >> 18));
    out[1] = (char)(0x80u | ((u >> 12) & 0x3Fu));
    out[2] = (char)(0x80u | ((u >> 6) & 0x3Fu));
    out[3] = (char)(0x80u | (u & 0x3Fu));
    return 4;
}

bool ocpp_json_streq(const struct ocpp_json *j, int t, const char *s)
{
    if (ocpp_json_type(j, t) != OCPP_J_STR) {
        return false;
    }
    const struct ocpp_jtok *k = &j->tok[t];
    const char *raw = j->text + k->start;
    size_t sl = strlen(s);
    if (!k->escaped) {
        return k->len == sl && memcmp(raw, s, sl) == 0;
    }
    size_t pos = 0, o = 0, n;
    char u[4];
    while ((n = dec_unit(raw, k->len, &pos, u)) > 0) {
        if (o + n > sl || memcmp(s + o, u, n) != 0) {
            return false;
        }
        o += n;
    }
    return o == sl;
}

int ocpp_json_str(const struct ocpp_json *j, int t, char *out, size_t cap)
{
    if (ocpp_json_type(j, t) != OCPP_J_STR || cap == 0) {
        return HAL_EINVAL;
    }
    const struct ocpp_jtok *k = &j->tok[t];
    size_t pos = 0, o = 0, n;
    char u[4];
    while ((n = dec_unit(j->text + k->start, k->len, &pos, u)) > 0) {
        if (o + n >= cap) {
            out[0] = '\0';
            return HAL_EOVERFLOW;
        }
        for (size_t q = 0; q < n; q++) {
            if (u[q] == '\0') {
                out[0] = '\0';
                return HAL_EPROTO;
            }
            out[o++] = u[q];
        }
    }
    out[o] = '\0';
    return (int)o;
}

int ocpp_json_strlen(const struct ocpp_json *j, int t)
{
    if (ocpp_json_type(j, t) != OCPP_J_STR) {
        return -1;
    }
    const struct ocpp_jtok *k = &j->tok[t];
    size_t pos = 0, o = 0, n;
    char u[4];
    while ((n = dec_unit(j->text + k->start, k->len, &pos, u)) > 0) {
        o += n;
    }
    return (int)o;
}

/* The number as value × 10^scale, truncated; *exact tells whether nothing was cut off.
 * Read as mantissa digits and a decimal exponent, so no floating point is needed. */
static int num_read(const struct ocpp_json *j, int t, unsigned scale, int64_t *out, bool *exact)
{
    *exact = true;
    const char *s = j->text + j->tok[t].start;
    size_t n = j->tok[t].len, i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    /* digits of the mantissa with the position of the decimal point */
    int32_t point = 0; /* digits after the point */
    int32_t exp = 0;
    char dig[40];
    size_t nd = 0;
    bool seen_point = false;
    for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.') {
            seen_point = true;
            continue;
        }
        if (nd == 0 && s[i] == '0' && !seen_point) {
            continue; /* leading zero */
        }
        if (nd < sizeof dig) {
            dig[nd++] = s[i];
            if (seen_point) {
                point++;
            }
        } else if (!seen_point) {
            return HAL_EINVAL; /* far too large */
        } else if (s[i] != '0') {
            *exact = false; /* beyond any precision we keep */
        }
    }
    if (i < n) { /* exponent */
        i++;
        bool eneg = false;
        if (s[i] == '+' || s[i] == '-') {
            eneg = s[i] == '-';
            i++;
        }
        for (; i < n; i++) {
            if (exp > 1000) {
                return HAL_EINVAL;
            }
            exp = exp * 10 + (s[i] - '0');
        }
        if (eneg) {
            exp = -exp;
        }
    }
    /* value = dig × 10^(exp - point); we want value × 10^scale */
    int32_t shift = exp - point + (int32_t)scale;
    uint64_t v = 0;
    size_t use = nd;
    if (shift < 0) {
        use = (size_t)(-shift) >= nd ? 0 : nd - (size_t)(-shift);
        for (size_t k = use; k < nd; k++) {
            if (dig[k] != '0') {
                *exact = false;
            }
        }
        shift = 0;
    }
    for (size_t k = 0; k < use; k++) {
        uint64_t d = (uint64_t)(dig[k] - '0');
        if (v > (UINT64_C(9223372036854775807) - d) / 10u) {
            return HAL_EINVAL;
        }
        v = v * 10u + d;
    }
    for (int32_t k = 0; k < shift; k++) {
        if (v > UINT64_C(922337203685477580)) {
            return HAL_EINVAL;
        }
        v *= 10u;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return HAL_OK;
}

int ocpp_json_fixed(const struct ocpp_json *j, int t, unsigned scale, int64_t *out)
{
    bool exact;
    if (ocpp_json_type(j, t) != OCPP_J_NUM || scale > 6u) {
        return HAL_EINVAL;
    }
    return num_read(j, t, scale, out, &exact);
}

int ocpp_json_int(const struct ocpp_json *j, int t, int64_t *out)
{
    bool exact;
    int64_t v;
    if (ocpp_json_type(j, t) != OCPP_J_NUM || num_read(j, t, 0, &v, &exact) != HAL_OK || !exact) {
        return HAL_EINVAL;
    }
    *out = v;
    return HAL_OK;
}

/* ------------------------------------------------------------------ writer */

void ocpp_jw_init(struct ocpp_jw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = cap == 0;
    w->after_key = false;
    w->depth = 0;
    w->nonempty = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

static void put(struct ocpp_jw *w, const char *s, size_t n)
{
    if (w->overflow) {
        return;
    }
    if (w->len + n + 1 > w->cap) { /* keep room for the NUL */
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Comma before a value, unless it follows a key or opens its container. */
static void sep(struct ocpp_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->depth < 32u) {
        uint32_t bit = 1u << w->depth;
        if (w->nonempty & bit) {
            put(w, ",", 1);
        }
        w->nonempty |= bit;
    }
}

static void open(struct ocpp_jw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    if (w->depth >= 31u) {
        w->overflow = true;
        return;
    }
    w->depth++;
    w->nonempty &= ~(1u << w->depth);
}

static void close_(struct ocpp_jw *w, char c)
{
    if (w->depth == 0) {
        w->overflow = true;
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void ocpp_jw_obj(struct ocpp_jw *w)
{
    open(w, '{');
}
void ocpp_jw_obj_end(struct ocpp_jw *w)
{
    close_(w, '}');
}
void ocpp_jw_arr(struct ocpp_jw *w)
{
    open(w, '[');
}
void ocpp_jw_arr_end(struct ocpp_jw *w)
{
    close_(w, ']');
}

static void put_escaped(struct ocpp_jw *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20u && c != '"' && c != '\\') {
            continue;
        }
        put(w, s + run, i - run);
        run = i + 1;
        char esc[7];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(w, esc, 2);
        } else {
            static const char hx[] = "0123456789abcdef";
            memcpy(esc, "\\u00", 4);
            esc[4] = hx[c >> 4];
            esc[5] = hx[c & 15u];
            put(w, esc, 6);
        }
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

void ocpp_jw_key(struct ocpp_jw *w, const char *key)
{
    sep(w);
    put_escaped(w, key, strlen(key));
    put(w, ":", 1);
    w->after_key = true;
}

void ocpp_jw_strn(struct ocpp_jw *w, const char *s, size_t n)
{
    sep(w);
    put_escaped(w, s, n);
}

void ocpp_jw_str(struct ocpp_jw *w, const char *s)
{
    ocpp_jw_strn(w, s, strlen(s));
}

void ocpp_jw_int(struct ocpp_jw *w, int64_t v)
{
    ocpp_jw_fixed(w, v, 0);
}

void ocpp_jw_fixed(struct ocpp_jw *w, int64_t v, unsigned scale)
{
    sep(w);
    char out[48];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) {
        out[n++] = '-';
    }
    uint64_t p = 1;
    for (unsigned k = 0; k < scale && k < 18u; k++) {
        p *= 10u;
    }
    n += hal_fmt_u64(out + n, u / p);
    uint64_t frac = u % p;
    if (frac != 0) {
        char f[24];
        unsigned digits = scale;
        while (frac % 10u == 0) { /* drop trailing zeros */
            frac /= 10u;
            digits--;
        }
        size_t fl = hal_fmt_u64(f, frac);
        out[n++] = '.';
        for (size_t k = fl; k < digits; k++) {
            out[n++] = '0';
        }
        memcpy(out + n, f, fl);
        n += fl;
    }
    put(w, out, n);
}

void ocpp_jw_bool(struct ocpp_jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4u : 5u);
}

void ocpp_jw_null(struct ocpp_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void ocpp_jw_raw(struct ocpp_jw *w, const char *json, size_t n)
{
    sep(w);
    put(w, json, n);
}

void ocpp_jw_str_begin(struct ocpp_jw *w)
{
    sep(w);
    put(w, "\"", 1);
}

void ocpp_jw_str_part(struct ocpp_jw *w, const char *s, size_t n)
{
    /* put_escaped writes the quotes too: write the inside only */
    size_t before = w->len;
    put_escaped(w, s, n);
    if (!w->overflow) {
        memmove(w->buf + before, w->buf + before + 1, w->len - before - 2);
        w->len -= 2;
        w->buf[w->len] = '\0';
    }
}

void ocpp_jw_str_b64(struct ocpp_jw *w, const void *data, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *d = data;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)d[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= d[i + 2];
        }
        char q[4] = {al[(v >> 18) & 63u], al[(v >> 12) & 63u], i + 1 < n ? al[(v >> 6) & 63u] : '=',
                     i + 2 < n ? al[v & 63u] : '='};
        put(w, q, 4);
    }
}

void ocpp_jw_str_end(struct ocpp_jw *w)
{
    put(w, "\"", 1);
}

void ocpp_jw_kstr(struct ocpp_jw *w, const char *key, const char *s)
{
    ocpp_jw_key(w, key);
    ocpp_jw_str(w, s);
}

void ocpp_jw_kint(struct ocpp_jw *w, const char *key, int64_t v)
{
    ocpp_jw_key(w, key);
    ocpp_jw_int(w, v);
}

int ocpp_jw_end(struct ocpp_jw *w)
{
    if (w->overflow) {
        return HAL_EOVERFLOW;
    }
    if (w->depth != 0 || w->after_key) {
        return HAL_EPROTO;
    }
    return (int)w->len;
}
