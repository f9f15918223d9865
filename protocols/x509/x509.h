/**
 * @file x509.h
 * @brief X.509 certificates for Plug & Charge: a bounded DER parser of the fields the
 *        ISO 15118-2 certificate profiles name, and the chain validation the charger does
 *        on a contract (PaymentDetailsReq), SECC (TLS) or OEM provisioning chain.
 *
 * Why our own parser and not OpenSSL's X509_verify_cert: the Cortex-M build has no OpenSSL,
 * and the charger checks more than RFC 5280 does (the ISO-2 profiles: curve, key usage,
 * DC attribute, eMAID, at most two Sub-CAs, 800 bytes). The signatures go through hal_crypto
 * (SHA-256 of the TBS here, ECDSA verify in the port). See docs/pnc.md "PKI".
 *
 * The parsed struct holds slices into the caller's DER, which must outlive it; nothing is
 * copied, nothing is allocated, the stack use is fixed (no recursion).
 */
#ifndef X509_H
#define X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"

/** Largest DER the parser takes (a trust anchor may be bigger than a chain certificate). */
#ifndef CFG_X509_DER_MAX
#define CFG_X509_DER_MAX 4096u
#endif
_Static_assert(CFG_X509_DER_MAX >= 800u && CFG_X509_DER_MAX <= 65535u,
               "CFG_X509_DER_MAX must be 800..65535");

/** Largest certificate in an ISO-2 chain (schema certificateType: at most 800 bytes). */
#ifndef CFG_X509_V2G_CERT_MAX
#define CFG_X509_V2G_CERT_MAX 800u
#endif

/** Sub-CAs allowed between leaf and root (ISO-2 profile: at most two). */
#ifndef CFG_X509_V2G_SUBCA_MAX
#define CFG_X509_V2G_SUBCA_MAX 2u
#endif

/** A leaf that expires within this many seconds gets "expires soon" (21 days, RISE-V2G). */
#ifndef CFG_X509_EXPIRES_SOON_S
#define CFG_X509_EXPIRES_SOON_S (21 * 86400)
#endif

/** Why a certificate or a chain is refused (0 = accepted). */
enum x509_reason {
    X509_OK = 0,
    X509_E_PARSE,          /**< not DER, or a field the profile needs is malformed */
    X509_E_TOO_LARGE,      /**< above CFG_X509_V2G_CERT_MAX (chain) or CFG_X509_DER_MAX */
    X509_E_VERSION,        /**< not a v3 certificate */
    X509_E_SIG_ALG,        /**< signature algorithm is not ecdsa-with-SHA256 */
    X509_E_KEY_TYPE,       /**< public key is not EC (RSA, Ed25519, ...) */
    X509_E_CURVE,          /**< EC key on another curve than secp256r1 */
    X509_E_EXPIRED,        /**< notAfter before the charger's clock */
    X509_E_NOT_YET_VALID,  /**< notBefore after the charger's clock */
    X509_E_BASIC_CONSTRAINTS, /**< CA flag wrong for the position (leaf is a CA, CA is not) */
    X509_E_PATHLEN,        /**< a CA's pathLenConstraint is exceeded */
    X509_E_KEY_USAGE,      /**< keyUsage missing or without the bits the role needs */
    X509_E_CRITICAL_EXT,   /**< a critical extension we do not understand */
    X509_E_CHAIN_TOO_LONG, /**< more Sub-CAs than the profile allows */
    X509_E_CHAIN_EMPTY,    /**< no leaf */
    X509_E_ISSUER,         /**< issuer name is not the next certificate's subject (broken chain) */
    X509_E_NO_ROOT,        /**< no configured trust anchor issued the top certificate */
    X509_E_SIGNATURE,      /**< a certificate's signature does not verify with its issuer's key */
    X509_E_CRYPTO,         /**< the crypto port cannot verify (not supported, engine error) */
    X509_E_DC,             /**< leaf subject lacks the domain component of its role (CPO, MO, OEM) */
    X509_E_EMAID_SYNTAX,   /**< contract leaf CN is not an eMAID */
    X509_E_EMAID,          /**< contract leaf CN differs from the eMAID in the message */
    X509_E_ROOT,           /**< the trust anchor itself does not fit the root profile */
    X509_REASON_COUNT
};

/** Signature algorithms the parser names. */
enum x509_sig_alg {
    X509_SIG_UNKNOWN = 0,
    X509_SIG_ECDSA_SHA256,
    X509_SIG_ECDSA_SHA384,
    X509_SIG_ECDSA_SHA512,
    X509_SIG_RSA_SHA256,
    X509_SIG_ED25519,
    X509_SIG_ED448,
};

/** Public key types. */
enum x509_key_type {
    X509_KEY_UNKNOWN = 0,
    X509_KEY_EC,
    X509_KEY_RSA,
    X509_KEY_ED25519,
    X509_KEY_ED448,
};

/** EC curves the parser names (ISO-2: secp256r1; ISO-20: secp521r1 or Ed448). */
enum x509_curve {
    X509_CURVE_UNKNOWN = 0,
    X509_CURVE_P256,
    X509_CURVE_P384,
    X509_CURVE_P521,
    X509_CURVE_SECP256K1,
    X509_CURVE_BRAINPOOL256R1,
    X509_CURVE_BRAINPOOL384R1,
};

/** keyUsage bits as numbered by RFC 5280 (bit 0 = digitalSignature). */
#define X509_KU_DIGITAL_SIGNATURE (1u << 0)
#define X509_KU_NON_REPUDIATION   (1u << 1)
#define X509_KU_KEY_ENCIPHERMENT  (1u << 2)
#define X509_KU_DATA_ENCIPHERMENT (1u << 3)
#define X509_KU_KEY_AGREEMENT     (1u << 4)
#define X509_KU_KEY_CERT_SIGN     (1u << 5)
#define X509_KU_CRL_SIGN          (1u << 6)
#define X509_KU_ENCIPHER_ONLY     (1u << 7)
#define X509_KU_DECIPHER_ONLY     (1u << 8)

/** A slice of the caller's DER. */
struct x509_span {
    const uint8_t *p;
    size_t len;
};

/** A parsed certificate: slices into the DER plus decoded values. */
struct x509_cert {
    struct x509_span der;       /**< the whole certificate */
    struct x509_span tbs;       /**< TBSCertificate, the signed bytes */
    unsigned version;           /**< 1, 2 or 3 */
    struct x509_span serial;    /**< INTEGER content bytes */
    enum x509_sig_alg sig_alg;  /**< outer signatureAlgorithm (equal to the TBS one) */
    struct x509_span issuer;    /**< Name, the whole DER SEQUENCE */
    struct x509_span subject;   /**< Name, the whole DER SEQUENCE */
    int64_t not_before;         /**< seconds since 1970 UTC */
    int64_t not_after;
    enum x509_key_type key_type;
    enum x509_curve curve;      /**< for X509_KEY_EC */
    struct x509_span pub;       /**< the subjectPublicKey BIT STRING content (EC: 04||X||Y) */
    unsigned rsa_bits;          /**< modulus size for X509_KEY_RSA */
    struct x509_span sig_r;     /**< ECDSA r, INTEGER content (may carry a 0x00 sign byte) */
    struct x509_span sig_s;     /**< ECDSA s */
    bool has_bc, bc_critical, ca;
    int pathlen;                /**< -1: no pathLenConstraint */
    bool has_ku, ku_critical;
    uint16_t key_usage;         /**< X509_KU_* */
    struct x509_span ski;       /**< subjectKeyIdentifier (empty if absent) */
    struct x509_span aki;       /**< authorityKeyIdentifier keyIdentifier (empty if absent) */
    bool has_aia;               /**< authorityInfoAccess (OCSP URL) present */
    unsigned unknown_critical;  /**< critical extensions we do not understand */
    unsigned n_ext;             /**< extensions seen */
};

/** The roles a chain is checked for (what the leaf is used for). */
enum x509_role {
    X509_ROLE_SECC,     /**< TLS server chain: V2G root, CPO Sub-CAs, leaf DC=CPO */
    X509_ROLE_CONTRACT, /**< contract chain: MO (or V2G) root, MO Sub-CAs, leaf DC=MO, CN=eMAID */
    X509_ROLE_OEM,      /**< OEM provisioning chain: OEM root, leaf DC=OEM */
    X509_ROLE_CPS,      /**< certificate provisioning service chain: V2G root, leaf DC=CPS */
};

/** What a validation found. */
struct x509_verdict {
    enum x509_reason reason;
    int index;          /**< the certificate refused: 0 = leaf, n = the trust anchor; -1 none */
    int root;           /**< the anchor that closed the chain, -1 none */
    bool expires_soon;  /**< accepted leaf expires within CFG_X509_EXPIRES_SOON_S */
};

/**
 * @brief Parse one DER certificate.
 * @return X509_OK, X509_E_TOO_LARGE (above CFG_X509_DER_MAX) or X509_E_PARSE; the profile
 *         is not checked here (a parsed RSA certificate is fine for printing)
 */
enum x509_reason x509_parse(struct x509_cert *c, const uint8_t *der, size_t len);

/**
 * @brief Find an attribute of a Name (e.g. CN) by its OID content bytes.
 * @param nth which occurrence (0 = first)
 * @return true and the value slice (string content) when found
 */
bool x509_name_attr(const struct x509_span *name, const uint8_t *oid, size_t oid_len,
                    unsigned nth, struct x509_span *value);

/** @brief The commonName of a Name; false when absent. */
bool x509_name_cn(const struct x509_span *name, struct x509_span *value);

/** @brief true when the Name has a domainComponent equal to @p dc (case-insensitive). */
bool x509_name_has_dc(const struct x509_span *name, const char *dc);

/**
 * @brief Write a Name as text ("CN=x,O=y,DC=z", in DER order), always NUL-terminated.
 * @return the length written (truncated to @p cap - 1)
 */
size_t x509_name_text(const struct x509_span *name, char *out, size_t cap);

/** @brief The hal_crypto curve of a parsed EC key, 0 for one the port has no name for. */
enum hal_crypto_curve x509_hal_curve(enum x509_curve curve);

/** @brief Short names for printing. */
const char *x509_sig_alg_name(enum x509_sig_alg a);
const char *x509_curve_name(enum x509_curve c);
const char *x509_key_type_name(enum x509_key_type k);
const char *x509_role_name(enum x509_role r);

/** @brief A sentence saying why, for logs and the tool. */
const char *x509_reason_text(enum x509_reason r);
/** @brief A short stable token for the reason ("expired", "signature", ...). */
const char *x509_reason_name(enum x509_reason r);
/**
 * @brief The ISO 15118-2 responseCode the SECC answers PaymentDetailsReq with for @p r
 *        ("OK" for X509_OK).
 */
const char *x509_reason_iso2(enum x509_reason r);

/**
 * @brief Normalise an eMAID for comparison: drop '-', upper-case. ISO-2 Annex H form:
 *        2 letters, 3 alphanumerics, 9 alphanumerics, optional check character.
 * @return the normalised length, 0 if @p in is not an eMAID (or does not fit @p out)
 */
size_t x509_emaid_normalise(const uint8_t *in, size_t len, char *out, size_t cap);

/**
 * @brief Check one certificate alone against the ISO-2 profile of its position (key,
 *        algorithm, version, basicConstraints, keyUsage, critical extensions; not validity,
 *        not the leaf's DC or eMAID, not the size).
 * @param pos 0 = leaf, 1.. = Sub-CA counted from the leaf
 * @param is_root the certificate is a trust anchor (pos is then ignored)
 * @return X509_OK or the first reason found
 */
enum x509_reason x509_check_profile(const struct x509_cert *c, enum x509_role role, unsigned pos,
                                    bool is_root);

/**
 * @brief Validate a chain the way the charger does: leaf -> Sub-CAs -> one of @p roots.
 *
 * Each certificate: size (chain certificates at most CFG_X509_V2G_CERT_MAX), v3, ISO-2
 * profile of its position (ecdsa-with-SHA256, EC secp256r1, basicConstraints, keyUsage,
 * no unknown critical extension), validity against @p now; each link: issuer name equal to
 * the next subject, signature (SHA-256 of the TBS, ECDSA through @p crypto), path length;
 * the leaf: domain component of the role and, for a contract, CN = eMAID (when @p emaid is
 * given) in Annex H syntax; at most CFG_X509_V2G_SUBCA_MAX Sub-CAs. Revocation is not
 * checked here (no OCSP yet: docs/pnc.md).
 *
 * @param chain leaf first, then Sub-CAs in issuing order (as PaymentDetailsReq carries them);
 *              a trust anchor included at the end is recognised and dropped
 * @param now the charger's clock, seconds since 1970 UTC
 * @param emaid the eMAID of the message (NULL: not compared)
 * @return the verdict's reason (X509_OK: accepted); @p v says which certificate
 */
enum x509_reason x509_chain_validate(struct hal_crypto *crypto, enum x509_role role,
                                     const struct x509_cert *chain, size_t n,
                                     const struct x509_cert *roots, size_t nroots, int64_t now,
                                     const char *emaid, struct x509_verdict *v);

/**
 * @brief Verify that @p issuer signed @p c (SHA-256 of the TBS, ECDSA P-256 through the port).
 * @return X509_OK, X509_E_SIGNATURE, X509_E_KEY_TYPE / X509_E_CURVE (issuer key unusable),
 *         X509_E_SIG_ALG, X509_E_PARSE (r or s too long) or X509_E_CRYPTO
 */
enum x509_reason x509_verify_signed_by(struct hal_crypto *crypto, const struct x509_cert *c,
                                       const struct x509_cert *issuer);

#endif /* X509_H */
