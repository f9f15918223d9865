/**
 * @file ocpp_cert.h
 * @brief OCPP 1.6J security whitepaper (edition 3) certificate management on the charge
 *        point: InstallCertificate, DeleteCertificate, GetInstalledCertificateIds, the client
 *        certificate renewal (ExtendedTriggerMessage SignChargePointCertificate ->
 *        SignCertificate -> CertificateSigned), ExtendedTriggerMessage, and the
 *        prerequisites of a SecurityProfile upgrade (A05.FR.02-04).
 *
 * The installed roots live here in static memory (DER, parsed with protocols/x509 when
 * used); the board persists them through ops->save and gives them back with
 * ocpp_cert_load() at start. The key pair and the CSR are the board's (ops->make_csr: the
 * private key never leaves it); the core keeps the new key's public value to check that
 * the chain the CSMS returns is for that key, validates the chain (validity, CA flags,
 * issuer names, ECDSA signatures through hal_crypto) up to an installed CSMS root or the
 * board's configured CA, and hands it to the board (ops->install_client), which uses it
 * from the next connection.
 */
#ifndef OCPP_CERT_H
#define OCPP_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "ocpp/ocpp_json.h"
#include "ocpp/ocpp_rpc.h"

/** Installed roots of both types together (CertificateStoreMaxLength). */
#ifndef CFG_OCPP_CERT_SLOTS
#define CFG_OCPP_CERT_SLOTS 4u
#endif
_Static_assert(CFG_OCPP_CERT_SLOTS >= 1u && CFG_OCPP_CERT_SLOTS <= 32u, "CFG_OCPP_CERT_SLOTS must be 1..32");
/** Largest root kept (an EC root is about 500 bytes, an RSA-4096 one about 1.4 kB). */
#ifndef CFG_OCPP_CERT_DER_MAX
#define CFG_OCPP_CERT_DER_MAX 1536u
#endif
_Static_assert(CFG_OCPP_CERT_DER_MAX >= 256u && CFG_OCPP_CERT_DER_MAX <= 65535u,
               "CFG_OCPP_CERT_DER_MAX must be 256..65535");
/** Scratch for a decoded PEM string (InstallCertificate's 5500, a CertificateSigned chain,
 *  our CSR): CertificateSignedMaxChainSize. The receive buffer bounds it too. */
#ifndef CFG_OCPP_CERT_PEM_MAX
#define CFG_OCPP_CERT_PEM_MAX 5600u
#endif
_Static_assert(CFG_OCPP_CERT_PEM_MAX >= 1024u && CFG_OCPP_CERT_PEM_MAX <= 10000u,
               "CFG_OCPP_CERT_PEM_MAX must be 1024..10000 (the schema's certificateChain)");
/** Certificates in a CertificateSigned chain (leaf + Sub-CAs, + the root if sent). */
#define OCPP_CERT_CHAIN_MAX 4u
/** The new key's public value (an EC point, or an RSA key up to 4096 bits). */
#define OCPP_CERT_PUB_MAX 600u

/** certificateType / certificateUse of the 1.6 security extensions. */
enum ocpp_cert_use {
    OCPP_CERT_CSMS_ROOT = 0,  /**< CentralSystemRootCertificate */
    OCPP_CERT_MF_ROOT,        /**< ManufacturerRootCertificate */
};

/** What the board does for certificate management. Every pointer may be NULL. */
struct ocpp_cert_ops {
    /** Persist slot @p slot: @p der of @p use, or removed when @p len is 0. HAL_OK saved. */
    int (*save)(void *ctx, unsigned slot, enum ocpp_cert_use use, const uint8_t *der, size_t len);
    /** Make a new key pair (kept on the board as the pending key) and a PKCS#10 CSR in PEM
     *  with CN = @p cn and O = @p org (empty: none) into @p pem (NUL-terminated); the new
     *  key's subjectPublicKey bits into @p pub. NULL: SignChargePointCertificate Rejected. */
    int (*make_csr)(void *ctx, const char *cn, const char *org, char *pem, size_t cap, uint8_t *pub,
                    size_t pub_cap, size_t *pub_len);
    /** The checked chain (PEM, leaf first) becomes the client certificate with the pending
     *  key, from the next connection. HAL_OK done. */
    int (*install_client)(void *ctx, const char *pem, size_t len);
    /** Whether a client certificate is there (security profile 3's prerequisite). */
    bool (*has_client_cert)(void *ctx);
    /** A SecurityProfile upgrade passed its checks: reconnect with @p profile after this
     *  answer, falling back to the old one if that fails. HAL_OK: the board can. */
    int (*switch_profile)(void *ctx, unsigned profile);
};

struct ocpp_cert_slot {
    uint8_t used;
    uint8_t use;   /**< enum ocpp_cert_use */
    uint16_t len;
    uint8_t der[CFG_OCPP_CERT_DER_MAX];
};

enum ocpp_cert_sign { OCPP_SIGN_IDLE = 0, OCPP_SIGN_DUE, OCPP_SIGN_SENT, OCPP_SIGN_WAIT };

struct ocpp_cert {
    const struct ocpp_cert_ops *ops;
    void *ctx;
    struct hal_crypto *crypto;   /**< signature checks of a CertificateSigned chain */
    char identity[49];           /**< the CSR's CN (the charge point identity) */
    struct ocpp_cert_slot slot[CFG_OCPP_CERT_SLOTS];
    uint8_t anchor[CFG_OCPP_CERT_DER_MAX]; /**< the board's configured CA (ocpp.ca), not listed */
    uint16_t anchor_len;
    enum ocpp_cert_sign sign;
    uint8_t pend_pub[OCPP_CERT_PUB_MAX];   /**< the key the CSR was made for */
    uint16_t pend_pub_len;
    uint32_t generation;         /**< counts every change of the store */
    char pem[CFG_OCPP_CERT_PEM_MAX];       /**< scratch: a decoded PEM string, our CSR */
    uint8_t der[CFG_OCPP_CERT_PEM_MAX];    /**< scratch: DER decoded from it (always shorter) */
};

struct ocpp_cp;

/** Empty store; @p identity is the CSR's CN. */
void ocpp_cert_init(struct ocpp_cert *c, const struct ocpp_cert_ops *ops, void *ctx, struct hal_crypto *crypto,
                    const char *identity);

/** A root the board saved before (no save call). @retval HAL_EINVAL not a root we keep */
int ocpp_cert_load(struct ocpp_cert *c, enum ocpp_cert_use use, const uint8_t *der, size_t len);

/** The board's configured CA (PEM, first certificate), a trust anchor beside the installed
 *  CSMS roots. @retval HAL_EINVAL not a certificate @retval HAL_EOVERFLOW too large */
int ocpp_cert_set_anchor(struct ocpp_cert *c, const char *pem, size_t len);

/** Installed certificates of @p use. */
unsigned ocpp_cert_count(const struct ocpp_cert *c, enum ocpp_cert_use use);

/**
 * @brief The hash data of a certificate (SEC3 §6.1, SHA-256): hex of the hash of its
 *        issuer's DER name, of its issuer's public key bits, and its serial in hex without
 *        leading zeros, upper case. For a root the issuer is the certificate itself.
 * @retval HAL_OK @retval HAL_EINVAL not a parsable certificate
 */
int ocpp_cert_hash_data(const uint8_t *der, size_t len, char name_hash[65], char key_hash[65], char serial[41]);

/**
 * @brief Decode the next "CERTIFICATE" block of PEM text from @p *pos into @p out.
 * @return 1 one decoded (*out_len), 0 no further block, HAL_EINVAL malformed, HAL_EOVERFLOW
 *         does not fit @p cap
 */
int ocpp_cert_pem_next(const char *pem, size_t len, size_t *pos, uint8_t *out, size_t cap, size_t *out_len);

/** Whether @p action is one of ours. */
bool ocpp_cert_action(const char *action);

/**
 * @brief Answer one of our CALLs: checks the payload against the schema and writes the
 *        payload's members (the caller opened and closes the object).
 * @return OCPP_ERR_NONE, or the CALLERROR to send (then @p why says which field)
 */
enum ocpp_error ocpp_cert_call(struct ocpp_cert *c, struct ocpp_cp *cp, const char *action, int payload,
                               struct ocpp_jw *w, uint32_t now_ms, const char **why);

/** Write SignCertificate into cp->txbuf when one is due; false: nothing to send. */
bool ocpp_cert_send(struct ocpp_cert *c, struct ocpp_cp *cp, uint32_t now_ms);
/** The answer to it (a CALLRESULT or CALLERROR; the caller matched it). */
void ocpp_cert_answer(struct ocpp_cert *c, struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms);

/**
 * @brief ChangeConfiguration SecurityProfile @p profile above the current one: whether the
 *        prerequisites are there (A05.FR.02-04: the AuthorizationKey for 1 and 2, a CSMS
 *        root for 2 and 3, a client certificate for 3) and the board can switch.
 * @return NULL when it may be Accepted, else the reason (static text)
 */
const char *ocpp_cert_upgrade(struct ocpp_cert *c, const struct ocpp_cp *cp, unsigned profile);

#endif /* OCPP_CERT_H */
