/**
 * @file linux_tls.h
 * @brief TLS for ISO 15118-2 (hal_tls) with OpenSSL, driven without blocking over the
 *        TCP handles of any hal_net port (a BIO that calls hal_net_tcp_send/recv).
 *
 * Two profiles. ISO 15118-2 (linux_tls_server, linux_tls_client): TLS 1.2 with the cipher
 * suites of [V2G2-602]: ECDHE-ECDSA-AES128-SHA256 and ECDH-ECDSA-AES128-SHA256 (the
 * static-ECDH suite no longer exists in OpenSSL 3, so only the ECDHE one is negotiated),
 * curve P-256, ECDSA+SHA256 signatures. The server (SECC) loads its certificate chain and
 * private key from files, the client (EVCC) verifies the chain against a trust anchor
 * file (the V2G root); no client certificate. The server also takes TLS 1.3 when the client
 * offers it, with the ISO 15118-20 profile (docs/iso15118-20.md): TLS_AES_256_GCM_SHA384
 * and TLS_CHACHA20_POLY1305_SHA256, groups secp521r1, x448 (and P-256, which -2 era
 * clients offer alone), no middlebox-compatibility ChangeCipherSpec; a TLS 1.2 client is
 * served exactly as before. The client stays TLS 1.2.
 * Backend (linux_tls_client_backend: OCPP, MQTT over TLS): TLS 1.2 or 1.3 with OpenSSL's
 * default suites, a CA file, an optional client certificate and key (mutual TLS, OCPP
 * security profile 3), and the server name checked per session (SNI, subjectAltName).
 * Both: no session tickets, no renegotiation. OpenSSL allocates when a session starts;
 * this port itself allocates nothing.
 */
#ifndef LINUX_TLS_H
#define LINUX_TLS_H

#include <stdbool.h>
#include <stdio.h>

#include "hal_clock.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_tls.h"

/** Sessions one port holds at a time. */
#ifndef CFG_LINUX_TLS_SESSIONS
#define CFG_LINUX_TLS_SESSIONS 4
#endif
_Static_assert(CFG_LINUX_TLS_SESSIONS >= 1 && CFG_LINUX_TLS_SESSIONS <= 64,
               "CFG_LINUX_TLS_SESSIONS must be 1..64");

/** One session: an SSL object over one hal_net TCP handle. */
struct linux_tls_session {
    void *ssl;                 /**< SSL * (opaque so users need no OpenSSL headers) */
    struct linux_tls *owner;
    int sock;                  /**< hal_net TCP handle */
    int transport_rc;          /**< last hal_net error seen by the BIO (HAL_OK if none) */
    bool in_use, is_server;
};

/** The OpenSSL TLS port. */
struct linux_tls {
    struct hal_tls base;
    struct hal_net *net;
    struct hal_log *log;       /**< may be NULL */
    struct hal_clock *clock;   /**< time stamps of log lines; may be NULL */
    void *server_ctx;          /**< SSL_CTX * or NULL */
    void *client_ctx;          /**< SSL_CTX * or NULL */
    void *bio_method;          /**< BIO_METHOD * */
    struct linux_tls_session sess[CFG_LINUX_TLS_SESSIONS];
    char reason[160];          /**< why the last set-up or handshake failed */
    FILE *keylog;              /**< SSLKEYLOGFILE lines go here (linux_tls_keylog), or NULL */
};

/**
 * @brief Bind the port to @p net (whose TCP handles the sessions use). Failures are
 *        logged to @p log with their reason (certificate, alert, version).
 * @retval HAL_OK ready (no role configured yet)
 * @retval HAL_EIO OpenSSL could not be set up
 */
int linux_tls_init(struct linux_tls *t, struct hal_net *net, struct hal_log *log,
                   struct hal_clock *clock);

/**
 * @brief Enable the server role with a PEM certificate chain (leaf first, then the
 *        sub-CAs) and a PEM private key.
 * @retval HAL_OK loaded and matching
 * @retval HAL_ENOENT a file cannot be read
 * @retval HAL_EINVAL the files do not load or the key does not match (see `reason`)
 */
int linux_tls_server(struct linux_tls *t, const char *chain_pem, const char *key_pem);

/**
 * @brief Enable the client role: verify the server's chain against @p anchor_pem.
 * @retval HAL_OK loaded
 * @retval HAL_ENOENT the file cannot be read
 * @retval HAL_EINVAL it holds no usable certificate (see `reason`)
 */
int linux_tls_client(struct linux_tls *t, const char *anchor_pem);

/** Client set-up for a backend (linux_tls_client_backend). */
struct linux_tls_backend {
    const char *ca_file;   /**< PEM trust anchors of the backend's server certificate */
    const char *cert_file; /**< PEM client certificate (chain), or NULL: none offered */
    const char *key_file;  /**< PEM private key of cert_file; with cert_file */
};

/**
 * @brief Enable the client role with the backend profile. Give each session the server's
 *        name with hal_tls_set_server_name() (the host name of the backend's URL).
 * @retval HAL_OK loaded (and the key matches the certificate)
 * @retval HAL_ENOENT a file cannot be read
 * @retval HAL_EINVAL a file does not load, a key without a certificate (or the reverse),
 *         or the key does not match (see `reason`)
 */
int linux_tls_client_backend(struct linux_tls *t, const struct linux_tls_backend *b);

/**
 * @brief Write every session's secrets to @p path in the SSLKEYLOGFILE format (appended, file
 *        mode 0600), so Wireshark/tshark decrypt a capture (-o tls.keylog_file:PATH). Logs a
 *        warning: the file opens every session it covers. NULL or "" stops writing.
 *        Call after linux_tls_init(); holds for contexts made before and after.
 * @retval HAL_OK writing (or stopped)
 * @retval HAL_ENOENT the file cannot be opened (see `reason`)
 */
int linux_tls_keylog(struct linux_tls *t, const char *path);

/** @brief Free every session and both contexts; safe to call twice. */
void linux_tls_free(struct linux_tls *t);

#endif /* LINUX_TLS_H */
