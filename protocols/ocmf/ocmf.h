/**
 * @file ocmf.h
 * @brief Open Charge Metering Format: bounded parse of `OCMF|{payload}|{signature}`,
 *        signature check through hal_crypto, and the fields a session summary and OCPP need.
 *
 * The record text is never modified or re-serialised: parsed fields are slices
 * (offset + length) into the caller's text, which must outlive the parsed struct.
 * No heap; the parse walks the text once with a fixed nesting limit.
 */
#ifndef OCMF_H
#define OCMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_err.h"

/** Longest record accepted (the EM580 file is at most 4062 characters). */
#ifndef CFG_OCMF_MAX_LEN
#define CFG_OCMF_MAX_LEN 4096u
#endif
_Static_assert(CFG_OCMF_MAX_LEN >= 256u && CFG_OCMF_MAX_LEN <= 65535u,
               "CFG_OCMF_MAX_LEN must be 256..65535");

/** Readings kept per record (more are rejected as malformed). */
#ifndef CFG_OCMF_MAX_READINGS
#define CFG_OCMF_MAX_READINGS 8u
#endif
_Static_assert(CFG_OCMF_MAX_READINGS >= 2u && CFG_OCMF_MAX_READINGS <= 64u,
               "CFG_OCMF_MAX_READINGS must be 2..64");

/** Deepest JSON nesting accepted. */
#define OCMF_MAX_DEPTH 6

/** A slice of the record text; len 0 with off 0 means absent. For strings the slice is the
 *  raw content between the quotes (escapes not decoded). */
struct ocmf_str {
    uint16_t off;
    uint16_t len;
    bool present;
};

/** Why a record was rejected. */
enum ocmf_err {
    OCMF_OK = 0,
    OCMF_E_LENGTH,     /**< empty or longer than CFG_OCMF_MAX_LEN */
    OCMF_E_HEADER,     /**< does not start with "OCMF|" */
    OCMF_E_SECTIONS,   /**< not three sections separated by '|' */
    OCMF_E_JSON,       /**< a section is not well-formed JSON */
    OCMF_E_DEPTH,      /**< nested deeper than OCMF_MAX_DEPTH */
    OCMF_E_TYPE,       /**< a known key has the wrong JSON type */
    OCMF_E_MISSING,    /**< a mandatory key is missing (PG, MS, RD/TM, SD, ...) */
    OCMF_E_READINGS,   /**< no readings, or more than CFG_OCMF_MAX_READINGS */
    OCMF_E_ALGORITHM,  /**< SA names no algorithm of the table */
    OCMF_E_ENCODING,   /**< SD is not valid hex/base64, or SE/SM are unsupported */
    OCMF_E_SIGNATURE,  /**< SD is neither DER (r, s) nor raw r||s of the curve's size */
    OCMF_E_DUPLICATE,  /**< a key occurs twice in one object */
    OCMF_E_COUNT,
};

/** One reading (fields carried over from the previous reading when omitted). */
struct ocmf_reading {
    struct ocmf_str tm, tx, rv, ri, ru, rt, st, ef;
};

/** A parsed record. */
struct ocmf_record {
    const char *text;
    uint16_t len;
    struct ocmf_str payload; /**< the signed bytes between the first and second '|' */
    struct ocmf_str fv, gi, gs, gv, pg, mv, mm, ms, mf, il, it, id, tt, ct, ci;
    bool is_present;
    bool is; /**< IS: user assigned */
    uint8_t nreadings;
    struct ocmf_reading rd[CFG_OCMF_MAX_READINGS];
    struct ocmf_str sa, se, sm, sd;
    enum hal_crypto_curve curve;
    uint8_t sig[HAL_CRYPTO_SIG_MAX]; /**< r||s, each padded to the field size */
    uint8_t sig_len;
    enum ocmf_err err;   /**< reason of the last failed parse */
    uint16_t err_at;     /**< offset in the text where the parse stopped */
};

/**
 * @brief Parse a record (the text is kept by reference).
 * @retval HAL_OK parsed; every field above is filled
 * @retval HAL_EPROTO malformed; rec->err and rec->err_at say why and where
 * @retval HAL_EINVAL NULL argument
 */
int ocmf_parse(struct ocmf_record *rec, const char *text, size_t len);

/** @brief A short English reason for an error code ("payload is not valid JSON", ...). */
const char *ocmf_strerror(enum ocmf_err err);

/**
 * @brief Algorithm from an SA value: both "brainpool384r1" and "brainpoolP384r1" spellings.
 * @retval HAL_OK @p curve set
 * @retval HAL_ENOTSUP not in the table
 */
int ocmf_algorithm(const char *sa, size_t len, enum hal_crypto_curve *curve);

/**
 * @brief Public key from hex text: an uncompressed point (04||X||Y, with or without the
 *        EM580's trailing 00 byte) or a DER SubjectPublicKeyInfo holding one.
 * @param[out] pub the point, @p cap >= HAL_CRYPTO_PUB_MAX
 * @retval HAL_OK @p pub / @p pub_len hold the point
 * @retval HAL_EINVAL not hex, not a point, or a DER structure that does not hold one
 */
int ocmf_pubkey_from_hex(const char *hex, size_t len, uint8_t *pub, size_t cap, size_t *pub_len);

/**
 * @brief DER SubjectPublicKeyInfo of an EC point: id-ecPublicKey with the curve's named
 *        OID and the point as BIT STRING. The form OCPP's signed meter values report
 *        (OCA application note: publicKey and MeterPublicKey<n> = "oca:base16:asn1:" + hex).
 * @param pub the uncompressed point 04||X||Y of @p curve (a trailing 00 byte, as the
 *        EM580 reports its key, is dropped)
 * @retval HAL_OK @p out / @p out_len hold the DER
 * @retval HAL_EINVAL not an uncompressed point of the curve's size, or a curve without OID here
 * @retval HAL_EOVERFLOW @p cap too small (OCMF_SPKI_MAX always fits)
 */
#define OCMF_SPKI_MAX 128u
int ocmf_spki_der(enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len, uint8_t *out, size_t cap,
                  size_t *out_len);

/** @brief Same as ocmf_pubkey_from_hex() for bytes. */
int ocmf_pubkey_from_bytes(const uint8_t *in, size_t len, uint8_t *pub, size_t cap,
                           size_t *pub_len);

/**
 * @brief Check the record's signature with @p pub: first over the payload bytes as
 *        received, then (EM580 quirk) over the payload with insignificant whitespace removed.
 * @retval HAL_OK the signature is valid (one of the two forms)
 * @retval HAL_EPROTO it is not: the record was altered or signed by another key
 * @retval HAL_EINVAL the key does not fit the record's curve
 * @retval HAL_ENOTSUP the crypto port lacks the curve
 * @retval HAL_EIO the crypto port failed
 */
int ocmf_verify(const struct ocmf_record *rec, struct hal_crypto *crypto, const uint8_t *pub,
                size_t pub_len);

/** A signature check that may run beside the loop (ocmf_check_start/ocmf_check_poll). */
struct ocmf_check {
    const struct ocmf_record *rec; /**< must stay unchanged until the check ends */
    struct hal_crypto *crypto;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    uint8_t pub_len;
    uint8_t stage;                 /**< 0 idle, 1 payload as received, 2 compacted payload */
    bool async;                    /**< the port runs the verifications (submit/poll) */
};

/**
 * @brief Start the check ocmf_verify() does; with a port that offers submit/poll the
 *        ECDSA verifications run beside the loop and only the hashing (some 50 us for a
 *        4 kB record on a PC) happens here.
 * @retval HAL_EAGAIN running: call ocmf_check_poll() on later passes
 * @return otherwise the final result, as ocmf_verify()
 */
int ocmf_check_start(struct ocmf_check *k, const struct ocmf_record *rec,
                     struct hal_crypto *crypto, const uint8_t *pub, size_t pub_len);

/**
 * @brief Continue a running check.
 * @retval HAL_EAGAIN still running
 * @retval HAL_ESTATE no check is running
 * @return otherwise the final result, as ocmf_verify()
 */
int ocmf_check_poll(struct ocmf_check *k);


/**
 * @brief Copy a string field (raw content) NUL-terminated into @p out.
 * @retval HAL_OK copied
 * @retval HAL_ENOENT the field is absent
 * @retval HAL_EOVERFLOW it does not fit; @p out holds a truncated copy
 */
int ocmf_copy(const struct ocmf_record *rec, struct ocmf_str s, char *out, size_t cap);

/**
 * @brief A reading's RV in milli-units of its RU ("2935.600" kWh -> 2935600 Wh when
 *        RU is kWh and the caller wants Wh: use ocmf_reading_wh()).
 * @retval HAL_OK @p milli set
 * @retval HAL_ENOENT no RV
 * @retval HAL_EINVAL not a plain decimal number, or more than 3 decimals, or overflow
 */
int ocmf_rv_milli(const struct ocmf_record *rec, unsigned idx, int64_t *milli);

/**
 * @brief Energy of a reading in Wh (RU "kWh" or "Wh").
 * @retval HAL_OK @p wh set (kWh values are rounded down to whole Wh)
 * @retval HAL_ENOENT no such reading or no RV
 * @retval HAL_EINVAL RU is not an energy unit or RV is not a number
 */
int ocmf_reading_wh(const struct ocmf_record *rec, unsigned idx, int64_t *wh);

/**
 * @brief The transaction id carried in TT after the last "<=>" (EVerest's convention).
 * @retval HAL_OK @p out holds it
 * @retval HAL_ENOENT no TT or no "<=>" in it
 * @retval HAL_EOVERFLOW it does not fit @p cap
 */
int ocmf_txid(const struct ocmf_record *rec, char *out, size_t cap);

#endif /* OCMF_H */
