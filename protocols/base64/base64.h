/**
 * @file base64.h
 * @brief Base64 (RFC 4648, standard alphabet) decoding for outside data: OCMF signatures
 *        and PEM certificate blocks share this one decoder.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/** Skip ASCII whitespace (space, tab, CR, LF) anywhere, as PEM bodies carry line breaks. */
#define BASE64_SKIP_SPACE 1u

/**
 * @brief Decode @p len characters of @p s into @p out.
 *
 * '=' ends the data: only more '=' (and, with BASE64_SKIP_SPACE, whitespace) may follow.
 * Padding is not required. Bits left over at the end are dropped.
 * @retval HAL_OK     *n bytes written
 * @retval HAL_EINVAL a character outside the alphabet (or data after the padding)
 * @retval HAL_ENOMEM more than @p cap bytes
 */
int base64_decode(const char *s, size_t len, unsigned flags, uint8_t *out, size_t cap, size_t *n);

#endif /* BASE64_H */
