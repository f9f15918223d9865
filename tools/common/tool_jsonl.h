/**
 * @file tool_jsonl.h
 * @brief The tiny JSON-lines field reader of the V2G tools (v2g-replay, v2g-decode) for the
 *        session files of the shared vectors: one flat object per line, keys unique, string
 *        values without escapes (names, addresses, hex). Not a general JSON parser.
 */
#ifndef TOOL_JSONL_H
#define TOOL_JSONL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_hex.h"

/** @brief Where the value of "key" starts in @p line, or NULL when the key is absent. */
static inline const char *tool_jsonl_field(const char *line, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p != NULL ? p + strlen(pat) : NULL;
}

/**
 * @brief Copy a string value (truncated to @p cap - 1 characters).
 * @retval true the key holds a string closed by its quote
 */
static inline bool tool_jsonl_str(const char *line, const char *key, char *dst, size_t cap)
{
    const char *p = tool_jsonl_field(line, key);
    if (p == NULL || *p != '"') {
        return false;
    }
    p++;
    size_t n = 0;
    while (*p != '\0' && *p != '"') {
        if (n + 1 < cap) {
            dst[n++] = *p;
        }
        p++;
    }
    dst[n] = '\0';
    return *p == '"';
}

/**
 * @brief A hex string value as bytes (malloc'ed; the caller frees).
 * @return the bytes, or NULL when the key is absent, not hex or out of memory
 */
static inline uint8_t *tool_jsonl_hex(const char *line, const char *key, size_t *len)
{
    const char *p = tool_jsonl_field(line, key);
    if (p == NULL || *p != '"') {
        return NULL;
    }
    p++;
    const char *e = strchr(p, '"');
    if (e == NULL || (e - p) % 2 != 0) {
        return NULL;
    }
    size_t n = (size_t)(e - p) / 2;
    uint8_t *b = malloc(n > 0 ? n : 1);
    if (b == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = tool_hex_digit(p[2 * i]);
        int lo = tool_hex_digit(p[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n;
    return b;
}

#endif /* TOOL_JSONL_H */
