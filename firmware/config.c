#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int config_fail(struct config_error *err, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int config_fail(struct config_error *err, unsigned line, const char *key, const char *fmt, ...)
{
    va_list ap;

    err->line = line;
    snprintf(err->key, sizeof err->key, "%s", key);
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return HAL_EINVAL;
}

static bool config_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* A view of part of the input: never NUL-terminated, never copied unbounded. */
struct config_span {
    const char *p;
    size_t n;
};

static struct config_span config_trim(struct config_span s)
{
    while (s.n > 0 && config_is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && config_is_space(s.p[s.n - 1])) {
        s.n--;
    }
    return s;
}

static bool config_span_is(struct config_span s, const char *word)
{
    size_t n = strlen(word);
    return s.n == n && memcmp(s.p, word, n) == 0;
}

/* Quote a value for an error message, cut to fit. */
static void config_show(char *out, size_t cap, struct config_span v)
{
    size_t n = v.n < cap - 1 ? v.n : cap - 1;
    for (size_t i = 0; i < n; i++) {
        out[i] = v.p[i];
    }
    out[n] = '\0';
}

static int config_set(const struct config_key *k, void *dst, struct config_span v, unsigned line,
                      struct config_error *err)
{
    char shown[40];
    unsigned char *base = dst;

    config_show(shown, sizeof shown, v);
    if (v.n == 0) {
        return config_fail(err, line, k->name, "empty value");
    }
    switch (k->type) {
    case CONFIG_BOOL: {
        bool b;
        if (config_span_is(v, "true")) {
            b = true;
        } else if (config_span_is(v, "false")) {
            b = false;
        } else {
            return config_fail(err, line, k->name, "expected true or false, got '%s'", shown);
        }
        memcpy(base + k->offset, &b, sizeof b);
        return HAL_OK;
    }
    case CONFIG_U32: {
        uint64_t x = 0;
        for (size_t i = 0; i < v.n; i++) {
            if (v.p[i] < '0' || v.p[i] > '9') {
                return config_fail(err, line, k->name, "expected a whole number, got '%s'", shown);
            }
            x = x * 10u + (uint64_t)(v.p[i] - '0');
            if (x > UINT32_MAX) {
                return config_fail(err, line, k->name, "value '%s' out of range %lu..%lu", shown,
                                   (unsigned long)k->min, (unsigned long)k->max);
            }
        }
        if (x < k->min || x > k->max) {
            return config_fail(err, line, k->name, "value %lu out of range %lu..%lu",
                               (unsigned long)x, (unsigned long)k->min, (unsigned long)k->max);
        }
        uint32_t u = (uint32_t)x;
        memcpy(base + k->offset, &u, sizeof u);
        return HAL_OK;
    }
    case CONFIG_STRING: {
        if (v.n >= 2 && v.p[0] == '"') {
            if (v.p[v.n - 1] != '"') {
                return config_fail(err, line, k->name, "unterminated quoted string");
            }
            v.p++;
            v.n -= 2;
        }
        if (v.n == 0 || v.n >= k->size) {
            return config_fail(err, line, k->name, "string must be 1..%lu characters, got %lu",
                               (unsigned long)(k->size - 1), (unsigned long)v.n);
        }
        memcpy(base + k->offset, v.p, v.n);
        base[k->offset + v.n] = '\0';
        return HAL_OK;
    }
    case CONFIG_ENUM:
        for (int i = 0; k->names[i] != NULL; i++) {
            if (config_span_is(v, k->names[i])) {
                memcpy(base + k->offset, &i, sizeof i);
                return HAL_OK;
            }
        }
        return config_fail(err, line, k->name, "'%s' is not one of the allowed values", shown);
    }
    return config_fail(err, line, k->name, "key has an unknown type in the firmware's table");
}

static int config_line(const struct config_key *keys, size_t nkeys, void *dst,
                       struct config_span s, unsigned line, unsigned *seen_line,
                       struct config_error *err)
{
    char shown[40];
    const char *eq = memchr(s.p, '=', s.n);
    if (eq == NULL) {
        config_show(shown, sizeof shown, s);
        return config_fail(err, line, "", "expected 'key = value', got '%s'", shown);
    }
    struct config_span key = config_trim((struct config_span){s.p, (size_t)(eq - s.p)});
    struct config_span val = config_trim((struct config_span){eq + 1, s.n - (size_t)(eq - s.p) - 1});
    config_show(shown, sizeof shown, key);
    if (key.n == 0) {
        return config_fail(err, line, "", "missing key before '='");
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (!config_span_is(key, keys[i].name)) {
            continue;
        }
        if (seen_line[i] != 0) {
            return config_fail(err, line, keys[i].name, "given twice (first on line %u)",
                               seen_line[i]);
        }
        seen_line[i] = line;
        return config_set(&keys[i], dst, val, line, err);
    }
    return config_fail(err, line, shown, "unknown key");
}

/* Report one problem; the parse goes on (config_parse_all) or stops (config_parse). */
static bool config_report(config_error_fn on_error, void *ctx, const struct config_error *e,
                          unsigned *count)
{
    (*count)++;
    return on_error != NULL ? on_error(ctx, e) : false;
}

unsigned config_parse_all(const struct config_key *keys, size_t nkeys, void *dst, const char *text,
                          size_t len, config_error_fn on_error, void *ctx)
{
    unsigned seen_line[CONFIG_KEYS_MAX] = {0};
    unsigned line = 0;
    unsigned count = 0;
    bool any = false;
    struct config_error e;

    if (nkeys > CONFIG_KEYS_MAX) {
        (void)config_fail(&e, 0, "", "firmware key table too large");
        (void)config_report(on_error, ctx, &e, &count);
        return count;
    }
    /* Reject binary input before reading any of it as text: nothing after it means much. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F) {
            (void)config_fail(&e, 0, "", "not a text file: control byte 0x%02X at offset %lu", c,
                              (unsigned long)i);
            (void)config_report(on_error, ctx, &e, &count);
            return count;
        }
    }
    size_t pos = 0;
    /* Editors on Windows put a byte order mark in front: invisible there, and the first
     * key would read as unknown. Name it, then read the rest for the other problems. */
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF) {
        (void)config_fail(&e, 1, "", "the file starts with a UTF-8 byte order mark (BOM): "
                                     "save it without one");
        if (config_report(on_error, ctx, &e, &count)) {
            return count;
        }
        pos = 3;
    }
    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
        pos += n + (nl != NULL ? 1u : 0u);
        line++;
        if (n > CONFIG_LINE_MAX) {
            (void)config_fail(&e, line, "", "line longer than %u characters", CONFIG_LINE_MAX);
            if (config_report(on_error, ctx, &e, &count)) {
                return count;
            }
            continue;
        }
        struct config_span s = config_trim((struct config_span){start, n});
        if (s.n == 0 || s.p[0] == '#') {
            continue;
        }
        any = true;
        if (config_line(keys, nkeys, dst, s, line, seen_line, &e) != HAL_OK &&
            config_report(on_error, ctx, &e, &count)) {
            return count;
        }
    }
    if (!any) {
        (void)config_fail(&e, 0, "", "the file is empty: it has no 'key = value' line");
        (void)config_report(on_error, ctx, &e, &count);
        return count;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i].required && seen_line[i] == 0) {
            (void)config_fail(&e, 0, keys[i].name, "required key is missing");
            if (config_report(on_error, ctx, &e, &count)) {
                return count;
            }
        }
    }
    return count;
}

/* Keep the first problem and stop there. */
static bool config_first(void *ctx, const struct config_error *e)
{
    *(struct config_error *)ctx = *e;
    return true;
}

int config_parse(const struct config_key *keys, size_t nkeys, void *dst, const char *text,
                 size_t len, struct config_error *err)
{
    return config_parse_all(keys, nkeys, dst, text, len, config_first, err) == 0 ? HAL_OK
                                                                                 : HAL_EINVAL;
}
