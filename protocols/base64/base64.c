/*
 * base64.c - owns the one Base64 decoder of the tree (OCMF signature values, PEM blocks of
 * the Plug & Charge certificate files): the alphabet, the padding rule and the checks on
 * outside data. No heap, no state.
 */
#include "base64/base64.h"

#include <stdbool.h>

#include "hal_err.h"

static int base64_val(char ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

static bool base64_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int base64_decode(const char *s, size_t len, unsigned flags, uint8_t *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    bool pad = false;
    bool skip = (flags & BASE64_SKIP_SPACE) != 0u;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (skip && base64_space(ch)) {
            continue;
        }
        if (ch == '=') {
            pad = true;
            continue;
        }
        int v = base64_val(ch);
        if (v < 0 || pad) {
            return HAL_EINVAL; /* not the alphabet, or data after the padding */
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) {
                return HAL_ENOMEM;
            }
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *n = o;
    return HAL_OK;
}
