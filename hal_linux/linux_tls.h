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
 * served exactly as before. Mutual TLS for -20 (linux_tls_server_client_auth): on a TLS 1.3
 * handshake the server sends a CertificateRequest naming its V2G/OEM roots and checks the
 * car's (vehicle) certificate against them, optional or required; TLS 1.2 (ISO-2) never asks.
 * The EV client (linux_tls_client_v2g) speaks TLS 1.2 for -2/DIN, TLS 1.3 only with the -20
 * profile for a -20-only car, or both for a car offering -20 and -2, and presents a vehicle
 * certificate when it has one and the server asks.
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
    int client_auth;           /**< enum linux_tls_client_auth of the V2G server */
    char client_roots[256];    /**< PEM roots a -20 car's certificate must chain to */
    char ocsp_path[256];       /**< DER OCSPResponse stapled on status_request ("" = none) */
    unsigned char *ocsp_der;   /**< the last good response read from it (OPENSSL_malloc) */
    size_t ocsp_len;
    long long ocsp_mtime_ns, ocsp_size; /**< what the file was when read: re-read when it changes */
    unsigned long ocsp_ino;
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
 * @brief OCSP stapling on the V2G server: the DER OCSPResponse in @p der_path is sent to
 *        every client that asks (status_request, TLS 1.2 and 1.3). The file is checked at
 *        each such handshake and read again when it changed (mtime, size or inode), so a
 *        renewed response is stapled without a restart; a changed file that does not parse
 *        is logged and the last good response stays. Callable before or after
 *        linux_tls_server(). NULL or "" turns stapling off.
 * @retval HAL_OK loaded
 * @retval HAL_ENOENT the file cannot be read
 * @retval HAL_EINVAL not one DER OCSPResponse with status successful (see `reason`)
 */
int linux_tls_server_ocsp(struct linux_tls *t, const char *der_path);

/**
 * @brief Enable the client role: verify the server's chain against @p anchor_pem.
 * @retval HAL_OK loaded
 * @retval HAL_ENOENT the file cannot be read
 * @retval HAL_EINVAL it holds no usable certificate (see `reason`)
 */
int linux_tls_client(struct linux_tls *t, const char *anchor_pem);

/** What the V2G server asks of a TLS 1.3 (ISO 15118-20) client (linux_tls_server_client_auth). */
enum linux_tls_client_auth {
    LINUX_TLS_CLIENT_CERT_NONE = 0, /**< server authentication only (the default) */
    LINUX_TLS_CLIENT_CERT_OPTIONAL, /**< CertificateRequest; a car without one is served, a bad one refused */
    LINUX_TLS_CLIENT_CERT_REQUIRED, /**< CertificateRequest; a car without a valid one is refused */
};

/**
 * @brief Mutual TLS for ISO 15118-20 ([V2G20-2400], spec sheet §5.1): on every TLS 1.3
 *        handshake the V2G server sends a CertificateRequest whose certificate_authorities
 *        are the subjects in @p roots_pem (the V2G and OEM roots) and verifies the car's
 *        chain against them. TLS 1.2 (ISO 15118-2, DIN) is never asked. Call before
 *        linux_tls_server(), which applies it.
 * @retval HAL_OK recorded (NONE: @p roots_pem may be NULL)
 * @retval HAL_ENOENT the roots cannot be read
 * @retval HAL_EINVAL no certificate in them, a path too long, or a bad mode (see `reason`)
 * @retval HAL_ESTATE the server context exists already
 */
int linux_tls_server_client_auth(struct linux_tls *t, const char *roots_pem, enum linux_tls_client_auth mode);

/** Which TLS versions the V2G client (the car) speaks. */
enum linux_tls_v2g_versions {
    LINUX_TLS_V2G_TLS12 = 0, /**< ISO 15118-2 / DIN: TLS 1.2 exactly as linux_tls_client() */
    LINUX_TLS_V2G_TLS13,     /**< ISO 15118-20 only: TLS 1.3 only ([V2G20-1237]), the -20 profile */
    LINUX_TLS_V2G_BOTH,      /**< a car offering -20 and -2: TLS 1.3 (-20 profile) or TLS 1.2 */
};

/** Client set-up of a car (linux_tls_client_v2g). */
struct linux_tls_v2g_client {
    const char *anchor_pem;                /**< PEM V2G root(s) the SECC chain must reach */
    enum linux_tls_v2g_versions versions;
    const char *cert_pem; /**< vehicle certificate chain (leaf first) sent when the SECC asks, or NULL */
    const char *key_pem;  /**< its private key; with cert_pem */
};

/**
 * @brief Enable the client role of a car. TLS 1.3 follows the ISO 15118-20 profile (spec
 *        sheet §5.1): suites TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 (Table 6),
 *        groups secp521r1 and x448 (Table 7), signatures ecdsa_secp521r1_sha512 and ed448
 *        (Table 8), no middlebox-compatibility ChangeCipherSpec; BOTH adds TLS 1.2's -2
 *        profile (and P-256, ECDSA+SHA256 for it). hal_tls_version() tells the car which was
 *        negotiated.
 * @retval HAL_OK loaded (and the key matches the certificate)
 * @retval HAL_ENOENT a file cannot be read
 * @retval HAL_EINVAL a file does not load, a certificate without its key (or the reverse),
 *         or a bad version choice (see `reason`)
 */
int linux_tls_client_v2g(struct linux_tls *t, const struct linux_tls_v2g_client *c);

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
