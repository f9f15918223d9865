/**
 * @file board_certprov.h
 * @brief The local certificate provider of the host boards (docs/pnc.md "Installation and
 *        update"): it answers the SECC's CertificateInstallation/Update hook by signing with
 *        a configured CA, for tests and lab use (OCPP forwarding comes with the OCPP work).
 *        For each request it makes a fresh P-256 contract key, issues the contract leaf
 *        under the configured MO Sub-CA with the eMAID as CN, encrypts the private key for
 *        the car (ECDH with the car's OEM provisioning key or old contract key, ConcatKDF
 *        SHA-256 with OtherInfo 01 55 56, AES-128-CBC with the IV in front: 48 bytes) and
 *        signs the four References with the CPS leaf. OpenSSL: host only.
 *        The car's side of the key transport (board_certprov_decrypt) is here too, for
 *        evsim and the tests.
 */
#ifndef BOARD_CERTPROV_H
#define BOARD_CERTPROV_H

#include <stddef.h>
#include <stdint.h>

#include "board_pnc.h"
#include "iso2/iso2_evse.h"
#include "linux_crypto.h"

/** Bytes of the encrypted contract key: IV (16) then the AES-128-CBC of the 32-byte scalar. */
#define BOARD_CERTPROV_ENC_LEN 48u

/** The configuration of the CA provider (paths of PEM files). */
struct board_certprov_config {
    const char *cps_chain;       /**< CPS leaf, then its Sub-CAs (SAProvisioningCertificateChain) */
    const char *cps_key;         /**< the CPS leaf's private key */
    const char *contract_ca_chain; /**< the MO Sub-CA that issues, then the Sub-CAs above it */
    const char *contract_ca_key; /**< the issuing Sub-CA's private key */
    const char *emaid;           /**< the eMAID a CertificateInstallation issues (an update keeps the car's) */
    uint32_t validity_days;      /**< of the contract leaf; 0: 730 */
};

struct board_certprov {
    struct linux_crypto crypto;  /**< holds the CPS key for the signature */
    uint32_t cps_key;
    struct board_pnc_certs cps;  /**< CPS leaf first */
    struct board_pnc_certs ca;   /**< issuing MO Sub-CA first */
    struct evp_pkey_st *ca_key;
    char emaid[40];
    uint32_t validity_days;
    long serial;
    uint8_t buf[4096];           /**< the signature's fragments */
    unsigned answered;
};

/**
 * @brief Load and check the CA provider's files: every certificate parses, the CPS key is
 *        the CPS leaf's, the CA key is the issuing Sub-CA's, the eMAID has the Annex H form.
 * @retval HAL_OK ready; otherwise @p why names the file and the reason
 */
int board_certprov_open(struct board_certprov *p, const struct board_certprov_config *cfg, char *why, size_t cap);

void board_certprov_close(struct board_certprov *p);

/** @brief The SECC hook (iso2_evse_cert_provider_fn); @p ctx is the struct board_certprov. */
int board_certprov_answer(void *ctx, const struct iso2_evse_cert_req *q, struct exi_iso2_document *res, char *why,
                          size_t cap);

/**
 * @brief The key transport, issuer side: @p priv (32-byte scalar) encrypted for @p car_pub.
 * @param dh_pub out: the ephemeral public key 04||X||Y
 * @param out    out: IV || AES-128-CBC(priv), BOARD_CERTPROV_ENC_LEN bytes
 */
int board_certprov_encrypt(const uint8_t car_pub[65], const uint8_t priv[32], uint8_t dh_pub[65],
                           uint8_t out[BOARD_CERTPROV_ENC_LEN]);

/**
 * @brief The car's side: decrypt with its private key @p car_key (PEM file's EVP_PKEY) and
 *        check that the scalar's public point is @p leaf_pub ([V2G2-823]: the key fits the
 *        new certificate). HAL_EINVAL: it does not (a wrong key decrypts to garbage).
 */
int board_certprov_decrypt(struct evp_pkey_st *car_key, const uint8_t dh_pub[65],
                           const uint8_t in[BOARD_CERTPROV_ENC_LEN], const uint8_t leaf_pub[65], uint8_t priv[32]);

/** What a host board keeps for certificate installation: the provider and the OEM chain. */
struct board_certprov_setup {
    struct board_certprov prov;
    bool have_prov;
    struct board_pnc_certs oem;            /**< pnc.oem_chain as read */
    struct x509_cert oem_subs[BOARD_PNC_CERTS_MAX];
    struct x509_cert oem_roots[BOARD_PNC_CERTS_MAX];
};

/** The car's side for evsim and the simulator: its key, where the new contract goes. */
struct board_certprov_car {
    struct evp_pkey_st *car_key;       /**< OEM provisioning key (installation) or contract key (update) */
    struct linux_crypto *crypto;       /**< the new contract key is loaded here */
    struct board_pnc_car car;          /**< the new contract (chain and iso2_ev_contract) */
    const char *out_dir;               /**< chain.pem and key.pem written here; NULL: kept in memory */
    char why[200];
    char line[200];                    /**< what was taken, for the log */
};

/** @brief Read the car's key (PEM) for the key transport. HAL_OK or @p why names the file. */
int board_certprov_car_open(struct board_certprov_car *c, struct linux_crypto *crypto, const char *car_key_path,
                            const char *out_dir, char *why, size_t cap);
void board_certprov_car_close(struct board_certprov_car *c);

/** @brief The car's take hook (iso2_ev_cert_take_fn): decrypt, check, load, store. */
int board_certprov_car_take(void *ctx, bool update, const struct exi_iso2_CertificateChainType *chain,
                            const uint8_t *enc, size_t enc_len, const uint8_t *dh, size_t dh_len, const char *emaid,
                            const struct iso2_ev_contract **contract, const char **why);

struct board_config;
/**
 * @brief pnc.cert_provider and pnc.oem_chain of @p cfg into @p pnc (a context made for
 *        Contract): the provider opened, the OEM chain split into Sub-CAs and roots, the
 *        hook filled (iso2_evse_cert_init). Nothing configured: HAL_OK, nothing offered.
 * @retval HAL_OK     configured (or nothing asked); @p why holds the line to log
 * @retval HAL_EINVAL a key is wrong: @p why names it; the Certificate service is not offered
 */
int board_certprov_setup(struct board_certprov_setup *s, const struct board_config *cfg, struct iso2_evse_pnc *pnc,
                         char *why, size_t cap);

#endif /* BOARD_CERTPROV_H */
