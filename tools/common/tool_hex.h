/**
 * @file tool_hex.h
 * @brief Hex digits for the host tools that read hex text (v2g-codec, v2g-replay).
 */
#ifndef TOOL_HEX_H
#define TOOL_HEX_H

/** @brief Value of one hex digit (either case), or -1 for any other character. */
static inline int tool_hex_digit(char c)
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

#endif /* TOOL_HEX_H */
