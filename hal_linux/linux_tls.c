/* linux_tls.c - owns the Linux port's TLS (struct linux_tls, OpenSSL): the contexts for the
 * V2G server (ISO 15118-2 and -20, mutual TLS for -20), the car's client (TLS 1.2 for -2,
 * TLS 1.3 for -20) and backend clients, the sessions over hal_net TCP
 * handles through a custom BIO, the server's OCSP stapling (a DER response file, re-read
 * when it changes), and the mapping of OpenSSL's results to HAL codes. */
#include "linux_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ISO 15118-2 [V2G2-602]. OpenSSL 3 drops names it does not know from the list, so
 * the static-ECDH suite is asked for and silently absent. */
static const char s_ciphers[] = "ECDHE-ECDSA-AES128-SHA256:ECDH-ECDSA-AES128-SHA256";
/* ISO 15118-20 over TLS 1.3 (spec sheet §5.1): Table 6's suites; Table 7's groups secp521r1
 * and x448 first, then P-256, the only group ISO-2 clients (and the D20 lab car, Josev)
 * offer: without it such a client would get a HelloRetryRequest it cannot answer. */
static const char s_suites13[] = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
static const char s_groups_server[] = "P-521:X448:P-256";
/* The car's side of -20 is strict: only Table 7's groups and Table 8's signatures, so a
 * charger outside the -20 profile fails the handshake instead of being accepted quietly. */
static const char s_groups_ev20[] = "P-521:X448";
static const char s_sigalgs_ev20[] = "ECDSA+SHA512:ed448";

static uint32_t linux_tls_now(const struct linux_tls *t)
{
    return t->clock != NULL ? hal_clock_now_ms(t->clock) : 0u;
}

/* Keep the reason of the newest OpenSSL error (and of a failed verification). */
static void linux_tls_note(struct linux_tls *t, SSL *ssl, const char *what)
{
    char e[120] = "";
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        ERR_error_string_n(code, e, sizeof e);
    }
    long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        snprintf(t->reason, sizeof t->reason,
                 "%s: the client presented no certificate; mutual TLS (ISO 15118-20) requires one", what);
    } else if (v != X509_V_OK) {
        snprintf(t->reason, sizeof t->reason, "%s: certificate verify failed: %s", what,
                 X509_verify_cert_error_string(v));
    } else {
        snprintf(t->reason, sizeof t->reason, "%s: %s", what, e[0] ? e : "no detail");
    }
    ERR_clear_error();
    hal_logf(t->log, HAL_LOG_ERROR, linux_tls_now(t), "tls: %s", t->reason);
}

/* ---- BIO over hal_net TCP handles */

static int linux_tls_bio_write(BIO *b, const char *buf, size_t len, size_t *written)
{
    struct linux_tls_session *s = BIO_get_data(b);
    size_t sent = 0;
    BIO_clear_retry_flags(b);
    int rc = hal_net_tcp_send(s->owner->net, s->sock, (const uint8_t *)buf, len, &sent);
    if (rc == HAL_OK) {
        *written = sent;
        return 1;
    }
    if (rc == HAL_EAGAIN) {
        BIO_set_retry_write(b);
    } else {
        s->transport_rc = rc;
    }
    *written = 0;
    return 0;
}

static int linux_tls_bio_read(BIO *b, char *buf, size_t cap, size_t *got)
{
    struct linux_tls_session *s = BIO_get_data(b);
    size_t n = 0;
    BIO_clear_retry_flags(b);
    int rc = hal_net_tcp_recv(s->owner->net, s->sock, (uint8_t *)buf, cap, &n);
    if (rc == HAL_OK) {
        *got = n;
        return 1;
    }
    if (rc == HAL_EAGAIN) {
        BIO_set_retry_read(b);
    } else {
        s->transport_rc = rc;
    }
    *got = 0;
    return 0;
}

static long linux_tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int linux_tls_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- key log */

/* OpenSSL hands every secret of a handshake as one SSLKEYLOGFILE line (TLS 1.2:
 * CLIENT_RANDOM, TLS 1.3: the *_TRAFFIC_SECRET lines); each is written and flushed at once
 * so a capture taken at the same time can be decrypted while the session runs. */
static void linux_tls_keylog_line(const SSL *ssl, const char *line)
{
    struct linux_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (t == NULL || t->keylog == NULL) {
        return;
    }
    if (fprintf(t->keylog, "%s\n", line) < 0 || fflush(t->keylog) != 0) {
        hal_logf(t->log, HAL_LOG_ERROR, linux_tls_now(t), "tls: key log write failed: no more lines");
        fclose(t->keylog);
        t->keylog = NULL;
    }
}

int linux_tls_keylog(struct linux_tls *t, const char *path)
{
    if (t->keylog != NULL) {
        fclose(t->keylog);
        t->keylog = NULL;
    }
    if (path == NULL || path[0] == '\0') {
        return HAL_OK;
    }
    /* 0600: whoever reads the file can decrypt every session it covers. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (f == NULL) {
        snprintf(t->reason, sizeof t->reason, "cannot write the key log %s", path);
        if (fd >= 0) {
            close(fd);
        }
        return HAL_ENOENT;
    }
    t->keylog = f;
    hal_logf(t->log, HAL_LOG_WARN, linux_tls_now(t),
             "tls: WARNING: TLS key log %s: every TLS session's secrets are written there; anyone "
             "who reads it can decrypt the V2G traffic (diagnosis only)", path);
    return HAL_OK;
}

/* ---- contexts */

/* Which profile a context follows: ISO 15118-2 pins TLS 1.2, its suite, P-256 and ECDSA
 * signatures (our EV client); the V2G server takes that TLS 1.2 unchanged and TLS 1.3 with
 * the -20 profile when the client offers it; a backend (OCPP, MQTT) takes TLS 1.2 or newer
 * with OpenSSL's defaults. */
enum linux_tls_profile {
    LINUX_TLS_ISO15118,
    LINUX_TLS_ISO15118_SERVER,
    LINUX_TLS_BACKEND,
    LINUX_TLS_ISO20_CLIENT,      /* a -20-only car: TLS 1.3 only */
    LINUX_TLS_V2G_CLIENT_BOTH,   /* a car offering -20 and -2: 1.3 with the -20 profile, or 1.2 */
};

/* The part every context shares, server or client, whatever the profile: no tickets, no
 * renegotiation, no compression (none of the peers needs them, each widens the attack
 * surface), and partial writes, since hal_net's send may take only part of a record. */
static SSL_CTX *linux_tls_new_ctx(struct linux_tls *t, const SSL_METHOD *m, enum linux_tls_profile profile)
{
    SSL_CTX *c = SSL_CTX_new(m);
    int ok = c != NULL && SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) == 1;
    if (ok && profile == LINUX_TLS_ISO15118) {
        ok = SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION) == 1 &&
             SSL_CTX_set_cipher_list(c, s_ciphers) == 1 && SSL_CTX_set1_groups_list(c, "P-256") == 1 &&
             SSL_CTX_set1_sigalgs_list(c, "ECDSA+SHA256") == 1;
    }
    if (ok && profile == LINUX_TLS_ISO15118_SERVER) {
        /* TLS 1.2 exactly as before (suite, P-256 for a 1.2 client offering only it, ECDSA);
         * TLS 1.3 when the client offers it ([V2G20-1264]), with Table 8's signatures
         * besides the one a P-256 certificate makes. The middlebox-compatibility
         * ChangeCipherSpec is left out: cars abort on it (libiso15118 #141). */
        ok = SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1 &&
             SSL_CTX_set_cipher_list(c, s_ciphers) == 1 && SSL_CTX_set_ciphersuites(c, s_suites13) == 1 &&
             SSL_CTX_set1_groups_list(c, s_groups_server) == 1 &&
             SSL_CTX_set1_sigalgs_list(c, "ECDSA+SHA256:ECDSA+SHA512:ed448") == 1;
        if (ok) {
            SSL_CTX_clear_options(c, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
        }
    }
    if (ok && profile == LINUX_TLS_ISO20_CLIENT) {
        /* [V2G20-1237]: a car that offers only -20 must not run it over TLS 1.2 */
        ok = SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) == 1 &&
             SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1 &&
             SSL_CTX_set_ciphersuites(c, s_suites13) == 1 && SSL_CTX_set1_groups_list(c, s_groups_ev20) == 1 &&
             SSL_CTX_set1_sigalgs_list(c, s_sigalgs_ev20) == 1;
    }
    if (ok && profile == LINUX_TLS_V2G_CLIENT_BOTH) {
        /* -20 first (TLS 1.3, its groups first in the key share), -2's TLS 1.2 behind it; the
         * car leaves -20 out of supportedAppProtocol if 1.2 is what the SECC took. */
        ok = SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1 &&
             SSL_CTX_set_cipher_list(c, s_ciphers) == 1 && SSL_CTX_set_ciphersuites(c, s_suites13) == 1 &&
             SSL_CTX_set1_groups_list(c, s_groups_server) == 1 &&
             SSL_CTX_set1_sigalgs_list(c, "ECDSA+SHA512:ed448:ECDSA+SHA256") == 1;
    }
    if (ok && (profile == LINUX_TLS_ISO20_CLIENT || profile == LINUX_TLS_V2G_CLIENT_BOTH)) {
        SSL_CTX_clear_options(c, SSL_OP_ENABLE_MIDDLEBOX_COMPAT); /* as the server: libiso15118 #141 */
    }
    if (!ok) {
        linux_tls_note(t, NULL, "TLS context");
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* the key log (linux_tls_keylog) is asked per context; it writes only when a file is set */
    SSL_CTX_set_app_data(c, t);
    SSL_CTX_set_keylog_callback(c, linux_tls_keylog_line);
    return c;
}

/* Our own certificate chain and its key (the server's, or a backend client's), checked to
 * belong together so a mismatch fails here and not in the peer's handshake. */
static int linux_tls_use_identity(struct linux_tls *t, SSL_CTX *c, const char *chain_pem, const char *key_pem,
                                  const char *what_chain, const char *what_key)
{
    if (SSL_CTX_use_certificate_chain_file(c, chain_pem) != 1) {
        linux_tls_note(t, NULL, what_chain);
        return HAL_EINVAL;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key_pem, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(c) != 1) {
        linux_tls_note(t, NULL, what_key);
        return HAL_EINVAL;
    }
    return HAL_OK;
}

/* A context replaces the one before it only once it is complete: a failed reload keeps the
 * working one. @p slot is struct linux_tls's (void *: its header does not name OpenSSL). */
static void linux_tls_install(void **slot, SSL_CTX *c, int verify_mode)
{
    SSL_CTX_set_verify(c, verify_mode, NULL);
    SSL_CTX_free(*slot);
    *slot = c;
}

static int linux_tls_readable(struct linux_tls *t, const char *path)
{
    if (path == NULL || access(path, R_OK) != 0) {
        snprintf(t->reason, sizeof t->reason, "cannot read %s", path != NULL ? path : "(none)");
        hal_logf(t->log, HAL_LOG_ERROR, linux_tls_now(t), "tls: %s", t->reason);
        return HAL_ENOENT;
    }
    return HAL_OK;
}

/* Does the ClientHello offer TLS 1.3 (supported_versions holds 0x0304)? Only then is the
 * handshake -20's; the list is the client's bytes, so every length is checked. */
static bool linux_tls_hello_offers_13(SSL *ssl)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &n) != 1 || n < 1) {
        return false;
    }
    size_t len = p[0];
    for (size_t i = 1; i + 2 <= n && i + 2 <= len + 1; i += 2) {
        if (p[i] == 0x03 && p[i + 1] == 0x04) {
            return true;
        }
    }
    return false;
}

/* Mutual TLS only where -20 asks for it ([V2G20-2400]): a TLS 1.3 handshake gets the
 * CertificateRequest; an ISO-2 car on TLS 1.2 is served exactly as without it. */
static int linux_tls_hello_cb(SSL *ssl, int *alert, void *arg)
{
    struct linux_tls *t = arg;
    (void)alert;
    if (t->client_auth != LINUX_TLS_CLIENT_CERT_NONE && linux_tls_hello_offers_13(ssl)) {
        int mode = SSL_VERIFY_PEER;
        if (t->client_auth == LINUX_TLS_CLIENT_CERT_REQUIRED) {
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_set_verify(ssl, mode, NULL);
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* The roots go two ways: the verify store (the car's chain must reach one) and the
 * CertificateRequest's certificate_authorities (their subjects, [V2G20-2401]). */
static int linux_tls_apply_client_auth(struct linux_tls *t, SSL_CTX *c)
{
    if (t->client_auth == LINUX_TLS_CLIENT_CERT_NONE) {
        return HAL_OK;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_roots);
    if (names == NULL || SSL_CTX_load_verify_locations(c, t->client_roots, NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        linux_tls_note(t, NULL, "client certificate roots");
        return HAL_EINVAL;
    }
    SSL_CTX_set_client_CA_list(c, names); /* the context owns the list now */
    SSL_CTX_set_client_hello_cb(c, linux_tls_hello_cb, t);
    return HAL_OK;
}

/* ---- OCSP stapling (linux_tls_server_ocsp) */

/* Read @p path whole and check it is one DER OCSPResponse whose status is successful (a
 * "tryLater" or "unauthorized" answer staples nothing useful). On success *der owns the
 * bytes (OPENSSL_malloc: OpenSSL frees a stapled copy the same way). */
static int linux_tls_ocsp_read(struct linux_tls *t, const char *path, unsigned char **der, size_t *len,
                               struct stat *st)
{
    *der = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL || fstat(fileno(f), st) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        snprintf(t->reason, sizeof t->reason, "OCSP response: cannot read %.100s", path);
        return HAL_ENOENT;
    }
    /* An OCSPResponse is a few kB; a larger file is not one (and is not read whole). */
    if (st->st_size <= 0 || st->st_size > 65536) {
        fclose(f);
        snprintf(t->reason, sizeof t->reason, "OCSP response: %.100s: %lld bytes is not a DER OCSPResponse", path,
                 (long long)st->st_size);
        return HAL_EINVAL;
    }
    unsigned char *b = OPENSSL_malloc((size_t)st->st_size);
    size_t n = b != NULL ? fread(b, 1, (size_t)st->st_size, f) : 0;
    fclose(f);
    if (b == NULL || n != (size_t)st->st_size) {
        OPENSSL_free(b);
        snprintf(t->reason, sizeof t->reason, "OCSP response: %.100s: short read", path);
        return HAL_EIO;
    }
    const unsigned char *p = b;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)n);
    int status = r != NULL ? OCSP_response_status(r) : -1;
    OCSP_RESPONSE_free(r);
    ERR_clear_error();
    const char *why = r == NULL ? "not a DER OCSPResponse"
                      : p != b + n ? "bytes after the OCSPResponse"
                      : status != OCSP_RESPONSE_STATUS_SUCCESSFUL ? "its responseStatus is not successful"
                                                                 : NULL;
    if (why != NULL) {
        OPENSSL_free(b);
        snprintf(t->reason, sizeof t->reason, "OCSP response: %.100s: %s", path, why);
        return HAL_EINVAL;
    }
    *der = b;
    *len = n;
    return HAL_OK;
}

static void linux_tls_ocsp_keep(struct linux_tls *t, unsigned char *der, size_t len, const struct stat *st)
{
    OPENSSL_free(t->ocsp_der);
    t->ocsp_der = der;
    t->ocsp_len = len;
    t->ocsp_mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    t->ocsp_size = (long long)st->st_size;
    t->ocsp_ino = (unsigned long)st->st_ino;
}

/* Called by OpenSSL on the server only when the client sent status_request. */
static int linux_tls_ocsp_cb(SSL *ssl, void *arg)
{
    struct linux_tls *t = arg;
    if (t->ocsp_path[0] == '\0') {
        return SSL_TLSEXT_ERR_NOACK;
    }
    struct stat st;
    if (stat(t->ocsp_path, &st) == 0 &&
        ((long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec != t->ocsp_mtime_ns ||
         (long long)st.st_size != t->ocsp_size || (unsigned long)st.st_ino != t->ocsp_ino)) {
        unsigned char *der = NULL;
        size_t len = 0;
        if (linux_tls_ocsp_read(t, t->ocsp_path, &der, &len, &st) == HAL_OK) {
            linux_tls_ocsp_keep(t, der, len, &st);
            hal_logf(t->log, HAL_LOG_INFO, linux_tls_now(t), "tls: OCSP response reloaded from %s (%zu bytes)",
                     t->ocsp_path, len);
        } else {
            /* Not read again until it changes once more; the last good one is stapled. */
            t->ocsp_mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
            t->ocsp_size = (long long)st.st_size;
            t->ocsp_ino = (unsigned long)st.st_ino;
            hal_logf(t->log, HAL_LOG_WARN, linux_tls_now(t), "tls: %s; the last good one is stapled", t->reason);
        }
    }
    if (t->ocsp_der == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    unsigned char *copy = OPENSSL_memdup(t->ocsp_der, t->ocsp_len); /* the session owns its copy */
    if (copy == NULL || SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)t->ocsp_len) != 1) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

static void linux_tls_ocsp_apply(struct linux_tls *t, SSL_CTX *c)
{
    if (c != NULL) {
        SSL_CTX_set_tlsext_status_cb(c, linux_tls_ocsp_cb);
        SSL_CTX_set_tlsext_status_arg(c, t);
    }
}

int linux_tls_server_ocsp(struct linux_tls *t, const char *der_path)
{
    if (der_path == NULL || der_path[0] == '\0') {
        t->ocsp_path[0] = '\0';
        OPENSSL_free(t->ocsp_der);
        t->ocsp_der = NULL;
        t->ocsp_len = 0;
        return HAL_OK;
    }
    if (strlen(der_path) >= sizeof t->ocsp_path) {
        snprintf(t->reason, sizeof t->reason, "OCSP response: path too long");
        return HAL_EINVAL;
    }
    unsigned char *der = NULL;
    size_t len = 0;
    struct stat st;
    int rc = linux_tls_ocsp_read(t, der_path, &der, &len, &st);
    if (rc != HAL_OK) {
        hal_logf(t->log, HAL_LOG_ERROR, linux_tls_now(t), "tls: %s", t->reason);
        return rc;
    }
    linux_tls_ocsp_keep(t, der, len, &st);
    memcpy(t->ocsp_path, der_path, strlen(der_path) + 1);
    linux_tls_ocsp_apply(t, t->server_ctx);
    return HAL_OK;
}

int linux_tls_server(struct linux_tls *t, const char *chain_pem, const char *key_pem)
{
    int rc = linux_tls_readable(t, chain_pem);
    if (rc == HAL_OK) {
        rc = linux_tls_readable(t, key_pem);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    SSL_CTX *c = linux_tls_new_ctx(t, TLS_server_method(), LINUX_TLS_ISO15118_SERVER);
    if (c == NULL) {
        return HAL_EINVAL;
    }
    if (linux_tls_use_identity(t, c, chain_pem, key_pem, "server certificate chain", "server private key") !=
        HAL_OK || linux_tls_apply_client_auth(t, c) != HAL_OK) {
        SSL_CTX_free(c);
        return HAL_EINVAL;
    }
    linux_tls_ocsp_apply(t, c); /* answers NOACK while no response is configured */
    linux_tls_install(&t->server_ctx, c, SSL_VERIFY_NONE);
    return HAL_OK;
}

int linux_tls_server_client_auth(struct linux_tls *t, const char *roots_pem, enum linux_tls_client_auth mode)
{
    if (t->server_ctx != NULL) {
        snprintf(t->reason, sizeof t->reason, "client certificates: set before the server certificate");
        return HAL_ESTATE;
    }
    if (mode != LINUX_TLS_CLIENT_CERT_NONE && mode != LINUX_TLS_CLIENT_CERT_OPTIONAL &&
        mode != LINUX_TLS_CLIENT_CERT_REQUIRED) {
        snprintf(t->reason, sizeof t->reason, "client certificates: unknown mode %d", (int)mode);
        return HAL_EINVAL;
    }
    if (mode == LINUX_TLS_CLIENT_CERT_NONE) {
        t->client_auth = LINUX_TLS_CLIENT_CERT_NONE;
        t->client_roots[0] = '\0';
        return HAL_OK;
    }
    int rc = linux_tls_readable(t, roots_pem);
    if (rc != HAL_OK) {
        return rc;
    }
    if (strlen(roots_pem) >= sizeof t->client_roots) {
        snprintf(t->reason, sizeof t->reason, "client certificate roots: path too long");
        return HAL_EINVAL;
    }
    /* Load once here so a file without a certificate fails at start-up, not at a car. */
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(roots_pem);
    int n = names != NULL ? sk_X509_NAME_num(names) : 0;
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    if (n <= 0) {
        ERR_clear_error();
        snprintf(t->reason, sizeof t->reason, "client certificate roots: no PEM certificate in %.100s", roots_pem);
        return HAL_EINVAL;
    }
    memcpy(t->client_roots, roots_pem, strlen(roots_pem) + 1);
    t->client_auth = (int)mode;
    return HAL_OK;
}

int linux_tls_client(struct linux_tls *t, const char *anchor_pem)
{
    struct linux_tls_v2g_client c = {.anchor_pem = anchor_pem, .versions = LINUX_TLS_V2G_TLS12};
    return linux_tls_client_v2g(t, &c);
}

int linux_tls_client_v2g(struct linux_tls *t, const struct linux_tls_v2g_client *v)
{
    static const enum linux_tls_profile profiles[] = {LINUX_TLS_ISO15118, LINUX_TLS_ISO20_CLIENT,
                                                      LINUX_TLS_V2G_CLIENT_BOTH};
    if (v == NULL || (unsigned)v->versions > LINUX_TLS_V2G_BOTH || (v->cert_pem == NULL) != (v->key_pem == NULL)) {
        snprintf(t->reason, sizeof t->reason, "V2G client: a vehicle certificate needs its key and the reverse");
        return HAL_EINVAL;
    }
    int rc = linux_tls_readable(t, v->anchor_pem);
    if (rc == HAL_OK && v->cert_pem != NULL) {
        rc = linux_tls_readable(t, v->cert_pem);
        if (rc == HAL_OK) {
            rc = linux_tls_readable(t, v->key_pem);
        }
    }
    if (rc != HAL_OK) {
        return rc;
    }
    SSL_CTX *c = linux_tls_new_ctx(t, TLS_client_method(), profiles[v->versions]);
    if (c == NULL) {
        return HAL_EINVAL;
    }
    if (SSL_CTX_load_verify_locations(c, v->anchor_pem, NULL) != 1) {
        linux_tls_note(t, NULL, "trust anchor");
        SSL_CTX_free(c);
        return HAL_EINVAL;
    }
    /* Sent only when the SECC asks (a -20 CertificateRequest); ISO-2 servers never do. */
    if (v->cert_pem != NULL &&
        linux_tls_use_identity(t, c, v->cert_pem, v->key_pem, "vehicle certificate chain", "vehicle private key") !=
            HAL_OK) {
        SSL_CTX_free(c);
        return HAL_EINVAL;
    }
    linux_tls_install(&t->client_ctx, c, SSL_VERIFY_PEER);
    return HAL_OK;
}

int linux_tls_client_backend(struct linux_tls *t, const struct linux_tls_backend *b)
{
    if (b == NULL || (b->cert_file == NULL) != (b->key_file == NULL)) {
        snprintf(t->reason, sizeof t->reason, "backend: a client certificate needs its key and the reverse");
        return HAL_EINVAL;
    }
    int rc = linux_tls_readable(t, b->ca_file);
    if (rc == HAL_OK && b->cert_file != NULL) {
        rc = linux_tls_readable(t, b->cert_file);
        if (rc == HAL_OK) {
            rc = linux_tls_readable(t, b->key_file);
        }
    }
    if (rc != HAL_OK) {
        return rc;
    }
    SSL_CTX *c = linux_tls_new_ctx(t, TLS_client_method(), LINUX_TLS_BACKEND);
    if (c == NULL) {
        return HAL_EINVAL;
    }
    if (SSL_CTX_load_verify_locations(c, b->ca_file, NULL) != 1) {
        linux_tls_note(t, NULL, "backend CA file");
        SSL_CTX_free(c);
        return HAL_EINVAL;
    }
    if (b->cert_file != NULL && linux_tls_use_identity(t, c, b->cert_file, b->key_file, "backend client certificate",
                                                       "backend client certificate") != HAL_OK) {
        SSL_CTX_free(c);
        return HAL_EINVAL;
    }
    linux_tls_install(&t->client_ctx, c, SSL_VERIFY_PEER);
    return HAL_OK;
}

/* ---- sessions */

static struct linux_tls_session *linux_tls_get(struct linux_tls *t, int session)
{
    if (session < 0 || session >= CFG_LINUX_TLS_SESSIONS || !t->sess[session].in_use) {
        return NULL;
    }
    return &t->sess[session];
}

static int linux_tls_start(struct hal_tls *base, int tcp_sock, int is_server)
{
    struct linux_tls *t = (struct linux_tls *)base;
    SSL_CTX *c = is_server ? t->server_ctx : t->client_ctx;
    if (c == NULL) {
        return HAL_ENOTSUP;
    }
    for (int i = 0; i < CFG_LINUX_TLS_SESSIONS; i++) {
        struct linux_tls_session *s = &t->sess[i];
        if (s->in_use) {
            continue;
        }
        SSL *ssl = SSL_new(c);
        BIO *bio = BIO_new(t->bio_method);
        if (ssl == NULL || bio == NULL) {
            SSL_free(ssl);
            BIO_free(bio);
            linux_tls_note(t, NULL, "session");
            return HAL_EIO;
        }
        s->owner = t;
        s->sock = tcp_sock;
        s->transport_rc = HAL_OK;
        s->is_server = is_server != 0;
        s->in_use = true;
        BIO_set_data(bio, s);
        SSL_set_bio(ssl, bio, bio);
        if (is_server) {
            SSL_set_accept_state(ssl);
        } else {
            SSL_set_connect_state(ssl);
        }
        s->ssl = ssl;
        return i;
    }
    return HAL_ENOMEM;
}

/* Map the result of an SSL_* call; @p what names it in the log. */
static int linux_tls_result(struct linux_tls *t, struct linux_tls_session *s, int ret,
                            const char *what)
{
    int e = SSL_get_error(s->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return HAL_EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return HAL_ECLOSED;
    case SSL_ERROR_SYSCALL:
        /* the transport ended (refused, reset, EOF) */
        if (ERR_peek_last_error() == 0) {
            snprintf(t->reason, sizeof t->reason, "%s: connection %s", what,
                     s->transport_rc == HAL_OK ? "closed by the peer"
                                               : hal_strerror(s->transport_rc));
            hal_logf(t->log, HAL_LOG_WARN, linux_tls_now(t), "tls: %s", t->reason);
            return HAL_ECLOSED;
        }
        linux_tls_note(t, s->ssl, what);
        return HAL_EPROTO;
    default:
        linux_tls_note(t, s->ssl, what);
        return HAL_EPROTO;
    }
}

static int linux_tls_handshake(struct hal_tls *base, int session)
{
    struct linux_tls *t = (struct linux_tls *)base;
    struct linux_tls_session *s = linux_tls_get(t, session);
    if (s == NULL) {
        return HAL_EINVAL;
    }
    ERR_clear_error();
    int ret = SSL_do_handshake(s->ssl);
    if (ret == 1) {
        /* version and suite first (tests and operators grep for them), then what -20's
         * profile adds: the key exchange group and, on the server, the car's certificate */
        const char *group = SSL_group_to_name(s->ssl, (int)SSL_get_negotiated_group(s->ssl));
        char peer[120] = "";
        X509 *cert = s->is_server ? SSL_get0_peer_certificate(s->ssl) : NULL;
        if (cert != NULL) {
            char subj[96] = "";
            X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof subj);
            snprintf(peer, sizeof peer, ", client certificate %s", subj);
        } else if (s->is_server && SSL_version(s->ssl) == TLS1_3_VERSION && t->client_auth != 0) {
            snprintf(peer, sizeof peer, ", no client certificate");
        }
        hal_logf(t->log, HAL_LOG_INFO, linux_tls_now(t), "tls: %s handshake done: %s, %s, group %s%s",
                 s->is_server ? "server" : "client", SSL_get_version(s->ssl),
                 SSL_get_cipher_name(s->ssl), group != NULL ? group : "?", peer);
        return HAL_OK;
    }
    return linux_tls_result(t, s, ret,
                            s->is_server ? "server handshake failed" : "client handshake failed");
}

static int linux_tls_send(struct hal_tls *base, int session, const uint8_t *buf, size_t len,
                          size_t *sent)
{
    struct linux_tls *t = (struct linux_tls *)base;
    struct linux_tls_session *s = linux_tls_get(t, session);
    *sent = 0;
    if (s == NULL) {
        return HAL_EINVAL;
    }
    if (len == 0) {
        return HAL_OK;
    }
    ERR_clear_error();
    int ret = SSL_write_ex(s->ssl, buf, len, sent);
    if (ret == 1) {
        return HAL_OK;
    }
    return linux_tls_result(t, s, ret, "send");
}

static int linux_tls_recv(struct hal_tls *base, int session, uint8_t *buf, size_t cap,
                          size_t *len)
{
    struct linux_tls *t = (struct linux_tls *)base;
    struct linux_tls_session *s = linux_tls_get(t, session);
    *len = 0;
    if (s == NULL) {
        return HAL_EINVAL;
    }
    ERR_clear_error();
    int ret = SSL_read_ex(s->ssl, buf, cap, len);
    if (ret == 1) {
        return HAL_OK;
    }
    return linux_tls_result(t, s, ret, "receive");
}

static void linux_tls_close(struct hal_tls *base, int session)
{
    struct linux_tls *t = (struct linux_tls *)base;
    struct linux_tls_session *s = linux_tls_get(t, session);
    if (s == NULL) {
        return;
    }
    if (SSL_is_init_finished(s->ssl)) {
        (void)SSL_shutdown(s->ssl); /* close_notify if the socket takes it; no waiting */
    }
    SSL_free(s->ssl);
    ERR_clear_error();
    s->ssl = NULL;
    s->in_use = false;
}

static int linux_tls_set_server_name(struct hal_tls *base, int session, const char *name)
{
    struct linux_tls *t = (struct linux_tls *)base;
    struct linux_tls_session *s = linux_tls_get(t, session);
    size_t len = name != NULL ? strlen(name) : 0u;
    if (s == NULL || s->is_server || len == 0u || len > 253u || SSL_in_before(s->ssl) != 1) {
        return HAL_EINVAL;
    }
    /* An IP literal: checked against IP subjectAltNames, and never sent as SNI (RFC 6066
     * section 3 allows only host names there). */
    X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);
    int ok;
    if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1) {
        ok = 1;
    } else {
        ok = SSL_set_tlsext_host_name(s->ssl, name) == 1 && SSL_set1_host(s->ssl, name) == 1;
    }
    ERR_clear_error();
    return ok ? HAL_OK : HAL_EINVAL;
}

static uint16_t linux_tls_version(struct hal_tls *base, int session)
{
    struct linux_tls_session *s = linux_tls_get((struct linux_tls *)base, session);
    if (s == NULL || !SSL_is_init_finished((SSL *)s->ssl)) {
        return 0;
    }
    int v = SSL_version((SSL *)s->ssl);
    return v > 0 && v <= 0xFFFF ? (uint16_t)v : 0u;
}

static const struct hal_tls_ops s_ops = {
    .version = linux_tls_version,
    .start = linux_tls_start,
    .handshake = linux_tls_handshake,
    .send = linux_tls_send,
    .recv = linux_tls_recv,
    .close = linux_tls_close,
    .set_server_name = linux_tls_set_server_name,
};

int linux_tls_init(struct linux_tls *t, struct hal_net *net, struct hal_log *log,
                   struct hal_clock *clock)
{
    memset(t, 0, sizeof *t);
    t->base.ops = &s_ops;
    t->net = net;
    t->log = log;
    t->clock = clock;
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hal_net");
    if (m == NULL || BIO_meth_set_write_ex(m, linux_tls_bio_write) != 1 ||
        BIO_meth_set_read_ex(m, linux_tls_bio_read) != 1 ||
        BIO_meth_set_ctrl(m, linux_tls_bio_ctrl) != 1 ||
        BIO_meth_set_create(m, linux_tls_bio_create) != 1) {
        BIO_meth_free(m);
        snprintf(t->reason, sizeof t->reason, "cannot create the BIO method");
        return HAL_EIO;
    }
    t->bio_method = m;
    return HAL_OK;
}

void linux_tls_free(struct linux_tls *t)
{
    for (int i = 0; i < CFG_LINUX_TLS_SESSIONS; i++) {
        linux_tls_close(&t->base, i);
    }
    SSL_CTX_free(t->server_ctx);
    SSL_CTX_free(t->client_ctx);
    BIO_meth_free(t->bio_method);
    t->server_ctx = t->client_ctx = t->bio_method = NULL;
    OPENSSL_free(t->ocsp_der);
    t->ocsp_der = NULL;
    t->ocsp_path[0] = '\0';
    if (t->keylog != NULL) {
        fclose(t->keylog);
        t->keylog = NULL;
    }
}
