/**
 * @file iso2_sig.h
 * @brief ISO 15118-2 XML signatures over EXI fragments (Plug & Charge, issue 15).
 *
 * A signed ISO-2 message carries an xmldsig Signature in its header. Each Reference names an
 * element of the body by its Id ("#ID1") and holds the SHA-256 of that element encoded alone
 * as an EXI fragment; the SignatureValue is ECDSA P-256 (raw r||s, 64 bytes) over the SHA-256
 * of SignedInfo encoded as a fragment with the xmldsig schema alone
 * (../shared/spec/iso15118-2-session.md 3.4, docs/pnc.md "XML signatures over EXI").
 *
 * No heap: the fragment encodings go into a buffer the caller lends (the session's transmit
 * buffer will do; a CertificateInstallationRes part needs as much as its certificate chain).
 * The ECDSA itself is the crypto HAL's: verify always, sign where the port can.
 */
#ifndef ISO2_SIG_H
#define ISO2_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_iso2.h"
#include "hal_crypto.h"
#include "hal_err.h"

/** The algorithm URIs ISO 15118-2 names (the only ones accepted). */
#define ISO2_SIG_ALG_C14N "http://www.w3.org/TR/canonical-exi/"
#define ISO2_SIG_ALG_ECDSA "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define ISO2_SIG_ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

/** Bytes of a P-256 SignatureValue (r||s) and of a DigestValue. */
#define ISO2_SIG_VALUE_LEN 64u
#define ISO2_SIG_DIGEST_LEN 32u
/** Bytes of an uncompressed P-256 public key 04||X||Y. */
#define ISO2_SIG_PUB_LEN 65u
/** Most References one signature carries (CertificateInstallationRes: 4). */
#define ISO2_SIG_REFS_MAX CFG_EXI_ISO2_SIGNEDINFOTYPE_REFERENCE_MAX

/** Why a signature was refused or could not be made. */
enum iso2_sig_error {
    ISO2_SIG_OK = 0,
    ISO2_SIG_E_NO_SIGNATURE,   /**< the header carries no Signature */
    ISO2_SIG_E_ALGORITHM,      /**< a method URI is not the one ISO 15118-2 names */
    ISO2_SIG_E_NO_REFERENCE,   /**< no Reference covers an element that must be signed */
    ISO2_SIG_E_URI,            /**< a Reference URI is not "#" followed by an Id */
    ISO2_SIG_E_TARGET,         /**< no signable element of the body carries the Id */
    ISO2_SIG_E_DIGEST_LEN,     /**< a DigestValue is not 32 bytes */
    ISO2_SIG_E_DIGEST,         /**< a DigestValue differs from the digest of the element */
    ISO2_SIG_E_VALUE_LEN,      /**< the SignatureValue is not 64 bytes (r||s) */
    ISO2_SIG_E_KEY,            /**< the signer's key is not an uncompressed P-256 point */
    ISO2_SIG_E_SIGNATURE,      /**< ECDSA does not verify with the signer's key */
    ISO2_SIG_E_ENCODE,         /**< an element does not encode (capacity, buffer too small) */
    ISO2_SIG_E_NOTSUP,         /**< the crypto port cannot sign */
    ISO2_SIG_E_CRYPTO,         /**< the crypto port failed */
};

/** @brief A short English reason for @p e (log lines, tool output). */
const char *iso2_sig_error_str(enum iso2_sig_error e);

/**
 * @brief Encode the element of @p body whose Id attribute is @p id as an EXI fragment.
 *
 * Signable elements: AuthorizationReq, MeteringReceiptReq, CertificateInstallationReq,
 * CertificateUpdateReq, the ContractSignatureCertChain / ContractSignatureEncryptedPrivateKey
 * / DHpublickey / eMAID of CertificateInstallationRes and CertificateUpdateRes, the
 * SalesTariffs of ChargeParameterDiscoveryRes.
 * @param len receives the fragment's length
 * @retval HAL_OK encoded into @p buf
 * @retval HAL_ENOENT no signable element of the body carries this Id
 * @retval HAL_ENOMEM @p cap is too small; other encoder errors as exi_iso2_encode()
 */
int iso2_sig_fragment(const struct exi_iso2_BodyType *body, const char *id, size_t id_len,
                      uint8_t *buf, size_t cap, size_t *len);

/** @brief SHA-256 of iso2_sig_fragment() (a Reference's DigestValue); return codes as it. */
int iso2_sig_digest(const struct exi_iso2_BodyType *body, const char *id, size_t id_len,
                    uint8_t *buf, size_t cap, uint8_t digest[ISO2_SIG_DIGEST_LEN]);

/** @brief SHA-256 of @p si encoded as an xmldsig fragment: what the SignatureValue signs. */
int iso2_sig_signedinfo_digest(const struct exi_iso2_SignedInfoType *si, uint8_t *buf,
                               size_t cap, uint8_t digest[ISO2_SIG_DIGEST_LEN]);

/**
 * @brief The Ids of the elements of @p body a signature must cover: the request element of
 *        AuthorizationReq, MeteringReceiptReq, CertificateInstallationReq and
 *        CertificateUpdateReq; the four parts of CertificateInstallationRes/UpdateRes.
 * @return how many were written to @p ids (each points into @p body), 0 for a message that
 *         needs no signature
 * @retval HAL_EINVAL an element that must be signed has no Id (AuthorizationReq's is optional
 *         in the schema, but unsigned it cannot be referenced)
 */
int iso2_sig_required(const struct exi_iso2_BodyType *body, const char *ids[ISO2_SIG_REFS_MAX],
                      size_t lens[ISO2_SIG_REFS_MAX]);

/**
 * @brief Verify only the SignatureValue @p value (r||s) over @p si with @p pub (P-256), no
 *        References: for a message that repeats an earlier message's Signature.
 * @p si must already be without the [V2G2-771] fields (iso2_sig_verify() clears them).
 * @return ISO2_SIG_OK or the reason (E_VALUE_LEN, E_KEY, E_ENCODE, E_SIGNATURE, E_CRYPTO)
 */
enum iso2_sig_error iso2_sig_verify_value(struct hal_crypto *crypto, const uint8_t *pub,
                                          size_t pub_len, const struct exi_iso2_SignedInfoType *si,
                                          const uint8_t *value, size_t value_len, uint8_t *buf,
                                          size_t cap);

/** A verification: inputs, then what it found (read them after iso2_sig_verify()). */
struct iso2_sig_check {
    struct hal_crypto *crypto;      /**< in: the port that verifies */
    const uint8_t *pub;             /**< in: the signer's public key 04||X||Y (P-256) */
    size_t pub_len;                 /**< in */
    uint8_t *buf;                   /**< in: scratch for the fragment encodings */
    size_t cap;                     /**< in */
    enum iso2_sig_error error;      /**< out: the reason (ISO2_SIG_OK on success) */
    int ref;                        /**< out: index of the Reference at fault, -1 for none */
    unsigned digests_equal;         /**< out: References whose digest was checked equal */
};

/**
 * @brief Verify the header Signature of a received message.
 *
 * Checks, in order: a Signature is present; the algorithm URIs are those of ISO 15118-2;
 * every element iso2_sig_required() names is covered by a Reference; every Reference URI is
 * "#Id" of a signable element in @p body and its DigestValue (32 bytes) equals our fragment
 * digest; the SignatureValue is 64 bytes and verifies over SignedInfo with c->pub.
 * The fields [V2G2-771] leaves out (SignedInfo/Reference Id, Reference Type, HMACOutputLength,
 * XPath) are cleared in @p sig before SignedInfo is re-encoded, as the standard's verifiers do.
 * @retval HAL_OK valid
 * @retval HAL_EPROTO refused; c->error says why, c->ref which Reference
 * @retval HAL_ENOMEM (or another encoder code) an element or SignedInfo did not encode into
 *         c->buf (c->error ISO2_SIG_E_ENCODE): a larger buffer is needed, no verdict
 * @retval HAL_EIO the crypto port could not verify (c->error ISO2_SIG_E_CRYPTO)
 */
int iso2_sig_verify(struct iso2_sig_check *c, struct exi_iso2_MessageHeaderType *hdr,
                    const struct exi_iso2_BodyType *body);

/**
 * @brief Sign @p body: a Reference for each of @p ids (digest of its fragment), SignedInfo
 *        with the ISO 15118-2 algorithms, SignatureValue by the port's key @p key; the
 *        result goes to hdr->Signature and hdr->Signature_isUsed is set.
 * @param err receives the reason on failure (may be NULL)
 * @retval HAL_OK signed
 * @retval HAL_EINVAL no Ids, too many, an Id too long for the Reference URI
 * @retval HAL_ENOENT an Id names no signable element of @p body
 * @retval HAL_ENOTSUP the port cannot sign; other port errors as hal_crypto_ecdsa_sign()
 */
int iso2_sig_sign(struct hal_crypto *crypto, uint32_t key, struct exi_iso2_MessageHeaderType *hdr,
                  const struct exi_iso2_BodyType *body, const char *const ids[], size_t n,
                  uint8_t *buf, size_t cap, enum iso2_sig_error *err);

#endif /* ISO2_SIG_H */
