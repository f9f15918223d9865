/**
 * @file hal_crypto.h
 * @brief Signature verification (ECDSA over the curves OCMF names) and SHA-256.
 *
 * The OCMF check of a meter's record needs SHA-256 of the signed payload and an
 * ECDSA verification of (r, s) against the meter's public key. The port verifies over
 * a digest; hashing stays in the portable core (protocols/sha256/sha256.c) because
 * the verifier hashes two forms of a 4 kB record (exact and whitespace-compacted) as a
 * stream, with no second copy, and SHA-256 in C is fast enough on every target.
 *
 * The synchronous operation is a bounded computation, not a wait (no I/O). It still
 * costs: 0.5 ms for a P-256 record on a PC, 2 ms for the first record of a Brainpool key,
 * tens to hundreds of milliseconds in software on a Cortex-M4. A port that can run it
 * beside the loop (a worker thread, a crypto engine with an interrupt) also offers the
 * optional submit/poll pair, and the meter session then never spends a loop pass on it
 * (docs/architecture.md "Work that leaves the loop"). A port without the pair leaves
 * both NULL; the wrappers answer HAL_ENOTSUP and the caller verifies synchronously.
 */
#ifndef HAL_CRYPTO_H
#define HAL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Bytes of a SHA-256 digest. */
#define HAL_CRYPTO_SHA256_LEN 32u
/** Largest raw signature r||s (P-384: 2 x 48 bytes). */
#define HAL_CRYPTO_SIG_MAX 96u
/** Largest uncompressed public point 04||X||Y (P-384: 1 + 2 x 48 bytes). */
#define HAL_CRYPTO_PUB_MAX 97u

/** Curves of the OCMF algorithm table. */
enum hal_crypto_curve {
    HAL_CRYPTO_SECP192K1 = 1,
    HAL_CRYPTO_SECP256K1,
    HAL_CRYPTO_SECP192R1,
    HAL_CRYPTO_SECP256R1,
    HAL_CRYPTO_BRAINPOOL256R1,
    HAL_CRYPTO_SECP384R1,
    HAL_CRYPTO_BRAINPOOL384R1,
};

struct hal_crypto;

/** Operations of a crypto port. */
struct hal_crypto_ops {
    /** @see hal_crypto_ecdsa_verify (required) */
    int (*ecdsa_verify)(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                        size_t pub_len, const uint8_t *digest, size_t digest_len,
                        const uint8_t *sig, size_t sig_len);
    /** @see hal_crypto_ecdsa_submit (optional: NULL = synchronous only) */
    int (*ecdsa_submit)(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                        size_t pub_len, const uint8_t *digest, size_t digest_len,
                        const uint8_t *sig, size_t sig_len);
    /** @see hal_crypto_ecdsa_poll (with ecdsa_submit) */
    int (*ecdsa_poll)(struct hal_crypto *c);
    /* ---- signing (ISO 15118-2 Plug & Charge, issue 15): optional ---- */
    /** @see hal_crypto_ecdsa_sign (optional: NULL = this port cannot sign) */
    int (*ecdsa_sign)(struct hal_crypto *c, uint32_t key, const uint8_t *digest,
                      size_t digest_len, uint8_t *sig, size_t sig_cap, size_t *sig_len);
};

/** A crypto instance. */
struct hal_crypto {
    const struct hal_crypto_ops *ops;
};

/** @brief Field size in bytes of @p curve (24, 32 or 48), 0 for an unknown value. */
static inline size_t hal_crypto_curve_bytes(enum hal_crypto_curve curve)
{
    switch (curve) {
    case HAL_CRYPTO_SECP192K1:
    case HAL_CRYPTO_SECP192R1:
        return 24u;
    case HAL_CRYPTO_SECP256K1:
    case HAL_CRYPTO_SECP256R1:
    case HAL_CRYPTO_BRAINPOOL256R1:
        return 32u;
    case HAL_CRYPTO_SECP384R1:
    case HAL_CRYPTO_BRAINPOOL384R1:
        return 48u;
    }
    return 0u;
}

/**
 * @brief Verify an ECDSA signature over a digest.
 * @param pub uncompressed point 04||X||Y, 1 + 2 x field bytes
 * @param digest the message hash (SHA-256 for OCMF), used as the curve's rules say
 *               (truncated to the field size when longer)
 * @param sig raw r||s, 2 x field bytes, each big-endian and zero-padded
 * @retval HAL_OK the signature is valid for this key and digest
 * @retval HAL_EPROTO the signature does not verify (a forged or altered record)
 * @retval HAL_EINVAL a length does not match the curve, or the key is not a point on it
 * @retval HAL_ENOTSUP the port does not implement this curve
 * @retval HAL_EIO the crypto engine failed
 */
static inline int hal_crypto_ecdsa_verify(struct hal_crypto *c, enum hal_crypto_curve curve,
                                          const uint8_t *pub, size_t pub_len,
                                          const uint8_t *digest, size_t digest_len,
                                          const uint8_t *sig, size_t sig_len)
{
    return c->ops->ecdsa_verify(c, curve, pub, pub_len, digest, digest_len, sig, sig_len);
}

/**
 * @brief Start hal_crypto_ecdsa_verify() beside the loop; the result comes from
 *        hal_crypto_ecdsa_poll(). The port copies every input: the caller's buffers may
 *        change as soon as this returns.
 * @retval HAL_OK started
 * @retval HAL_EBUSY a verification is still running (one at a time)
 * @retval HAL_ENOTSUP the port verifies synchronously only (call hal_crypto_ecdsa_verify)
 * @retval HAL_EINVAL a length does not fit the port's buffers
 */
static inline int hal_crypto_ecdsa_submit(struct hal_crypto *c, enum hal_crypto_curve curve,
                                          const uint8_t *pub, size_t pub_len,
                                          const uint8_t *digest, size_t digest_len,
                                          const uint8_t *sig, size_t sig_len)
{
    if (c->ops->ecdsa_submit == NULL || c->ops->ecdsa_poll == NULL) {
        return HAL_ENOTSUP;
    }
    return c->ops->ecdsa_submit(c, curve, pub, pub_len, digest, digest_len, sig, sig_len);
}

/**
 * @brief The outcome of the submitted verification, once.
 * @retval HAL_EAGAIN still running (the port wakes the loop when it is done)
 * @retval HAL_ESTATE nothing was submitted
 * @return otherwise exactly what hal_crypto_ecdsa_verify() would have returned
 */
static inline int hal_crypto_ecdsa_poll(struct hal_crypto *c)
{
    if (c->ops->ecdsa_poll == NULL) {
        return HAL_ESTATE;
    }
    return c->ops->ecdsa_poll(c);
}

/* ---- signing (ISO 15118-2 Plug & Charge, issue 15) ------------------------------------
 * The car signs AuthorizationReq and MeteringReceiptReq with its contract key, and a
 * certificate provider signs the parts of CertificateInstallationRes. A private key never
 * crosses the HAL: the port keeps it (a file loaded at start on Linux, a secure element
 * on a board) and the core names it by a handle the port gave out. */

/**
 * @brief Sign a digest with the private key @p key (a handle of the port).
 * @param digest the message hash (SHA-256 for ISO 15118-2), used as the curve's rules say
 * @param sig    receives raw r||s, 2 x field bytes, each big-endian and zero-padded
 *               (64 bytes for P-256: the form ISO 15118-2 transmits)
 * @param sig_len receives the length written
 * @retval HAL_OK signed
 * @retval HAL_ENOTSUP the port cannot sign (a charger on it offers no Contract payment)
 * @retval HAL_ENOENT no key has this handle
 * @retval HAL_EINVAL the digest is empty or too long for the port
 * @retval HAL_EOVERFLOW @p sig_cap is smaller than the signature
 * @retval HAL_EIO the crypto engine failed
 */
static inline int hal_crypto_ecdsa_sign(struct hal_crypto *c, uint32_t key, const uint8_t *digest,
                                        size_t digest_len, uint8_t *sig, size_t sig_cap,
                                        size_t *sig_len)
{
    if (c == NULL || c->ops == NULL || c->ops->ecdsa_sign == NULL) {
        return HAL_ENOTSUP;
    }
    return c->ops->ecdsa_sign(c, key, digest, digest_len, sig, sig_cap, sig_len);
}

#endif /* HAL_CRYPTO_H */
