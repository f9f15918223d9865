/**
 * @file board_ocpp_cert.h
 * @brief The host boards' side of OCPP certificate management (protocols/ocpp/ocpp_cert.h):
 *        the installed roots as files in the store directory, the charge point's key pair
 *        and CSR made with OpenSSL (the private key is written only to that directory, mode
 *        0600, and never sent), the signed client certificate kept beside it, and the TLS
 *        client rebuilt so the next connection uses the new certificate and trusts the
 *        installed CentralSystemRootCertificates beside the configured CA.
 *
 * Files in DIR: root-N-csms.der / root-N-mf.der (slot N), client.key.new (the key of an
 * outstanding CSR), client.pem (the signed chain and its key in one file, replaced
 * atomically: used from the next connection and after a restart), ca-bundle.pem (the
 * configured CA + the installed CSMS roots, the TLS client's trust). Without a directory
 * the roots live in RAM only and no key is made (SignChargePointCertificate is answered,
 * then the log says why no CSR went out).
 */
#ifndef BOARD_OCPP_CERT_H
#define BOARD_OCPP_CERT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "board_ocpp_link.h"
#include "linux_tls.h"
#include "ocpp/ocpp_cert.h"

#define BOARD_OCPP_CERT_PATH_MAX 256u

struct board_ocpp_cert {
    char dir[BOARD_OCPP_CERT_PATH_MAX];   /**< empty: no store */
    struct ocpp_cert *core;
    struct linux_tls *tls;                /**< NULL: ws:// (no TLS client to rebuild) */
    const char *ca_file, *cert_file, *key_file; /**< the configured ones (may be NULL) */
    char cur_cert[BOARD_OCPP_CERT_PATH_MAX + 32u], cur_key[BOARD_OCPP_CERT_PATH_MAX + 32u];
    bool have_client;                     /**< a client certificate is in use */
    struct hal_log *log;
    uint32_t gen;                         /**< the core's store generation the TLS trust has */
    const struct board_ocpp_link *link;   /**< says which profiles the board can connect with
                                               (set after board_ocpp_cert_open; NULL: none) */
};

extern const struct ocpp_cert_ops board_ocpp_cert_ops;

/**
 * @brief Attach @p core to the board: the configured CA becomes its anchor, the roots saved
 *        in @p dir are loaded, and a client certificate signed over OCPP earlier (DIR/client.pem)
 *        replaces the configured one. @p dir may be NULL.
 * @retval HAL_OK @retval HAL_EINVAL a path does not fit, or the TLS client cannot be rebuilt
 */
int board_ocpp_cert_open(struct board_ocpp_cert *b, struct ocpp_cert *core, const char *dir, struct linux_tls *tls,
                         const char *ca_file, const char *cert_file, const char *key_file, struct hal_log *log,
                         uint32_t now_ms);

/** After an installed or deleted CSMS root: the TLS client trusts the new set from the next
 *  connection (call from the loop). */
void board_ocpp_cert_poll(struct board_ocpp_cert *b);

#endif /* BOARD_OCPP_CERT_H */
