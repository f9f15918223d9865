/* api_json.c - owns the MQTT API's JSON: a parser for one flat object of bounded size (every
 * byte of it comes from whoever can publish on the broker, so every step is bounds-checked
 * and a refusal names its reason) and a writer into a caller's buffer that never writes
 * past it. */
#include "api_json.h"

#include <stdio.h>
#include <string.h>

#include "hal_err.h"
#include "hal_fmt.h"

struct api_json_in {
    const char *p, *end;
    const char *why;
};

static void api_json_ws(struct api_json_in *in)
{
    while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r')) {
        in->p++;
    }
}

static bool api_json_fail(struct api_json_in *in, const char *why)
{
    if (in->why == NULL) {
        in->why = why;
    }
    return false;
}

static int api_json_hex(char c)
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

/* A string into out[cap] (NUL-terminated). Escapes are decoded; \u above 0x7f is refused:
 * no key, token or URL of the API needs it, and a one-byte result keeps bounds simple. */
static bool api_json_string(struct api_json_in *in, char *out, size_t cap, const char *too_long)
{
    if (in->p >= in->end || *in->p != '"') {
        return api_json_fail(in, "expected a string");
    }
    in->p++;
    size_t n = 0;
    while (in->p < in->end && *in->p != '"') {
        char c = *in->p++;
        if ((unsigned char)c < 0x20u) {
            return api_json_fail(in, "a control character in a string");
        }
        if (c == '\\') {
            if (in->p >= in->end) {
                break;
            }
            char e = *in->p++;
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                if (in->end - in->p < 4) {
                    return api_json_fail(in, "a short \\u escape");
                }
                int v = 0;
                for (int k = 0; k < 4; k++) {
                    int h = api_json_hex(in->p[k]);
                    if (h < 0) {
                        return api_json_fail(in, "a bad \\u escape");
                    }
                    v = v * 16 + h;
                }
                in->p += 4;
                if (v == 0 || v > 0x7f) {
                    return api_json_fail(in, "\\u escapes are limited to ASCII");
                }
                c = (char)v;
                break;
            }
            default:
                return api_json_fail(in, "a bad escape in a string");
            }
        }
        if (n + 1u >= cap) {
            return api_json_fail(in, too_long);
        }
        out[n++] = c;
    }
    if (in->p >= in->end) {
        return api_json_fail(in, "an unterminated string");
    }
    in->p++;
    out[n] = '\0';
    return true;
}

/* -?digits[.digits] into value x 1000; at most 3 decimals, magnitude up to 10^12. */
static bool api_json_number(struct api_json_in *in, int64_t *milli)
{
    bool neg = false;
    if (in->p < in->end && *in->p == '-') {
        neg = true;
        in->p++;
    }
    if (in->p >= in->end || *in->p < '0' || *in->p > '9') {
        return api_json_fail(in, "a bad number");
    }
    if (*in->p == '0' && in->end - in->p > 1 && in->p[1] >= '0' && in->p[1] <= '9') {
        return api_json_fail(in, "a number with a leading zero");
    }
    int64_t whole = 0;
    while (in->p < in->end && *in->p >= '0' && *in->p <= '9') {
        whole = whole * 10 + (*in->p++ - '0');
        if (whole > API_JSON_NUM_MAX) {
            return api_json_fail(in, "a number out of range");
        }
    }
    int64_t frac = 0;
    int digits = 0;
    if (in->p < in->end && *in->p == '.') {
        in->p++;
        if (in->p >= in->end || *in->p < '0' || *in->p > '9') {
            return api_json_fail(in, "a bad number");
        }
        while (in->p < in->end && *in->p >= '0' && *in->p <= '9') {
            if (digits == 3) {
                if (*in->p != '0') {
                    return api_json_fail(in, "a number with more than 3 decimals");
                }
            } else {
                frac = frac * 10 + (*in->p - '0');
                digits++;
            }
            in->p++;
        }
    }
    if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
        return api_json_fail(in, "exponents are not accepted");
    }
    while (digits < 3) {
        frac *= 10;
        digits++;
    }
    int64_t v = whole * 1000 + frac;
    *milli = neg ? -v : v;
    return true;
}

static bool api_json_word(struct api_json_in *in, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, w, n) != 0) {
        return false;
    }
    in->p += n;
    return true;
}

static bool api_json_value(struct api_json_in *in, struct api_json_member *m)
{
    if (in->p >= in->end) {
        return api_json_fail(in, "a value is missing");
    }
    char c = *in->p;
    if (c == '"') {
        m->type = API_JSON_STRING;
        return api_json_string(in, m->str, sizeof m->str, "a string value is too long");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        m->type = API_JSON_NUMBER;
        return api_json_number(in, &m->milli);
    }
    if (api_json_word(in, "true") || api_json_word(in, "false")) {
        m->type = API_JSON_BOOL;
        m->b = in->p[-1] == 'e' && in->p[-2] == 'u';
        return true;
    }
    if (api_json_word(in, "null")) {
        m->type = API_JSON_NULL;
        return true;
    }
    if (c == '{' || c == '[') {
        return api_json_fail(in, "nested objects and arrays are not accepted");
    }
    return api_json_fail(in, "a bad value");
}

int api_json_parse(const char *text, size_t len, struct api_json_obj *out, const char **why)
{
    struct api_json_in in = {.p = text, .end = text + len, .why = NULL};
    out->n = 0;
    bool ok = text != NULL;
    if (!ok) {
        in.why = "no payload";
    }
    if (ok) {
        api_json_ws(&in);
        ok = in.p < in.end && *in.p == '{' ? true : api_json_fail(&in, "not a JSON object");
    }
    if (ok) {
        in.p++;
        api_json_ws(&in);
        if (in.p < in.end && *in.p == '}') {
            in.p++;
        } else {
            for (;;) {
                if (out->n == CFG_API_JSON_KEYS) {
                    ok = api_json_fail(&in, "too many keys");
                    break;
                }
                struct api_json_member *m = &out->m[out->n];
                memset(m, 0, sizeof *m);
                if (!api_json_string(&in, m->key, sizeof m->key, "a key is too long")) {
                    ok = false;
                    break;
                }
                if (api_json_get(out, m->key) != NULL) {
                    ok = api_json_fail(&in, "a key appears twice");
                    break;
                }
                api_json_ws(&in);
                if (in.p >= in.end || *in.p != ':') {
                    ok = api_json_fail(&in, "expected ':'");
                    break;
                }
                in.p++;
                api_json_ws(&in);
                if (!api_json_value(&in, m)) {
                    ok = false;
                    break;
                }
                out->n++;
                api_json_ws(&in);
                if (in.p < in.end && *in.p == ',') {
                    in.p++;
                    api_json_ws(&in);
                    continue;
                }
                if (in.p < in.end && *in.p == '}') {
                    in.p++;
                    break;
                }
                ok = api_json_fail(&in, "expected ',' or '}'");
                break;
            }
        }
    }
    if (ok) {
        api_json_ws(&in);
        if (in.p != in.end) {
            ok = api_json_fail(&in, "text after the object");
        }
    }
    if (why != NULL) {
        *why = ok ? "" : in.why;
    }
    return ok ? HAL_OK : HAL_EPROTO;
}

const struct api_json_member *api_json_get(const struct api_json_obj *o, const char *key)
{
    for (uint8_t i = 0; i < o->n; i++) {
        if (strcmp(o->m[i].key, key) == 0) {
            return &o->m[i];
        }
    }
    return NULL;
}

/* ---- writer */

static void api_json_put(struct api_json_out *w, const char *s, size_t n)
{
    if (w->overflow || w->len + n + 1u > w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void api_json_puts(struct api_json_out *w, const char *s)
{
    api_json_put(w, s, strlen(s));
}

static void api_json_quoted(struct api_json_out *w, const char *s)
{
    api_json_put(w, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            api_json_put(w, e, 2);
        } else if (c < 0x20u) {
            char e[8];
            int n = snprintf(e, sizeof e, "\\u%04x", c);
            api_json_put(w, e, (size_t)n);
        } else {
            api_json_put(w, (const char *)&c, 1);
        }
    }
    api_json_put(w, "\"", 1);
}

static void api_json_key(struct api_json_out *w, const char *key)
{
    if (!w->first) {
        api_json_put(w, ",", 1);
    }
    w->first = false;
    api_json_quoted(w, key);
    api_json_put(w, ":", 1);
}

void api_json_begin(struct api_json_out *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = cap < 3u;
    w->first = true;
    if (cap > 0) {
        buf[0] = '\0';
    }
    api_json_put(w, "{", 1);
}

size_t api_json_end(struct api_json_out *w)
{
    api_json_put(w, "}", 1);
    if (w->overflow) {
        if (w->cap > 0) {
            w->buf[0] = '\0';
        }
        return 0;
    }
    return w->len;
}

void api_json_str(struct api_json_out *w, const char *key, const char *val)
{
    api_json_key(w, key);
    if (val == NULL) {
        api_json_puts(w, "null");
    } else {
        api_json_quoted(w, val);
    }
}

void api_json_int(struct api_json_out *w, const char *key, int64_t val)
{
    char b[HAL_FMT_I64_LEN];
    size_t n = hal_fmt_i64(b, val);
    api_json_key(w, key);
    api_json_put(w, b, n);
}

void api_json_milli(struct api_json_out *w, const char *key, int64_t milli)
{
    char b[32];
    size_t n = 0;
    uint64_t a = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
    unsigned frac = (unsigned)(a % 1000u);
    if (milli < 0) {
        b[n++] = '-';
    }
    n += hal_fmt_u64(b + n, a / 1000u);
    if (frac != 0) {
        /* three decimals, trailing zeros dropped: 363.52, 1.5, 0.001 */
        char d[3] = {(char)('0' + frac / 100u), (char)('0' + frac / 10u % 10u), (char)('0' + frac % 10u)};
        size_t nd = d[2] != '0' ? 3u : d[1] != '0' ? 2u : 1u;
        b[n++] = '.';
        for (size_t i = 0; i < nd; i++) {
            b[n++] = d[i];
        }
    }
    api_json_key(w, key);
    api_json_put(w, b, n);
}

void api_json_bool(struct api_json_out *w, const char *key, bool val)
{
    api_json_key(w, key);
    api_json_puts(w, val ? "true" : "false");
}

void api_json_null(struct api_json_out *w, const char *key)
{
    api_json_key(w, key);
    api_json_puts(w, "null");
}

void api_json_raw(struct api_json_out *w, const char *key, const char *json)
{
    api_json_key(w, key);
    api_json_puts(w, json);
}
