/**
 * @file ocmf_priv.h
 * @brief What the parts of the OCMF module share (not for other modules).
 */
#ifndef OCMF_PRIV_H
#define OCMF_PRIV_H

#include <stddef.h>
#include <stdint.h>

/** @brief Hex text to bytes: HAL_OK, HAL_EINVAL (odd length, a non-hex digit, too long). */
int ocmf_unhex(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n);

#endif /* OCMF_PRIV_H */
