/*
 * Host boards' OCPP certificate management: owns the files of the installed roots, the
 * charge point's key pair and CSR (OpenSSL), the signed client certificate, and the
 * rebuild of the backend TLS client (trust = configured CA + installed CSMS roots; client
 * certificate = the one signed over OCPP once there is one). The checks of what the CSMS
 * sends are the core's (protocols/ocpp/ocpp_cert.c); this file only keeps what passed.
 */
#include "board_ocpp_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char *const k_use_file[] = {"csms", "mf"};

static uint32_t now0(void)
{
    return 0; /* file operations log without the loop's clock */
}

static int path(char *out, size_t cap, const struct board_ocpp_cert *b, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", b->dir, name);
    return n > 0 && (size_t)n < cap ? HAL_OK : HAL_EINVAL;
}

/* Write @p len bytes (then @p more) to @p dst through a temporary file, fsync and rename:
 * a power loss leaves the old file or the new one, never half of one. Mode 0600: the
 * client file holds the private key. */
static int write_atomic(const char *dst, const void *data, size_t len, const void *more, size_t more_len)
{
    char tmp[BOARD_OCPP_CERT_PATH_MAX + 32u];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= sizeof tmp) {
        return HAL_EINVAL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return HAL_EIO;
    }
    bool ok = write(fd, data, len) == (ssize_t)len && (more_len == 0 || write(fd, more, more_len) == (ssize_t)more_len) &&
              fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, dst) != 0) {
        (void)unlink(tmp);
        return HAL_EIO;
    }
    return HAL_OK;
}

/* The TLS client's trust: the configured CA and every installed CSMS root, one PEM file. */
static int write_bundle(struct board_ocpp_cert *b, char *out, size_t cap)
{
    if (path(out, cap, b, "ca-bundle.pem") != HAL_OK) {
        return HAL_EINVAL;
    }
    BIO *m = BIO_new(BIO_s_mem());
    if (m == NULL) {
        return HAL_ENOMEM;
    }
    if (b->ca_file != NULL) {
        FILE *f = fopen(b->ca_file, "r");
        char buf[4096];
        size_t n;
        while (f != NULL && (n = fread(buf, 1, sizeof buf, f)) > 0) {
            BIO_write(m, buf, (int)n);
        }
        if (f != NULL) {
            fclose(f);
        }
        BIO_write(m, "\n", 1);
    }
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
        const struct ocpp_cert_slot *s = &b->core->slot[i];
        const unsigned char *p = s->der;
        X509 *x = s->used && s->use == OCPP_CERT_CSMS_ROOT ? d2i_X509(NULL, &p, s->len) : NULL;
        if (x != NULL) {
            PEM_write_bio_X509(m, x);
            X509_free(x);
        }
    }
    char *data = NULL;
    long n = BIO_get_mem_data(m, &data);
    int rc = write_atomic(out, data, (size_t)n, NULL, 0);
    BIO_free(m);
    return rc;
}

/* Rebuild the backend TLS client from what is there now (used from the next connection). */
static int rebuild_tls(struct board_ocpp_cert *b)
{
    if (b->tls == NULL || b->dir[0] == '\0') {
        return HAL_OK;
    }
    char bundle[BOARD_OCPP_CERT_PATH_MAX + 32u];
    int rc = write_bundle(b, bundle, sizeof bundle);
    if (rc != HAL_OK) {
        return rc;
    }
    struct linux_tls_backend tb = {bundle, b->have_client ? b->cur_cert : NULL, b->have_client ? b->cur_key : NULL};
    rc = linux_tls_client_backend(b->tls, &tb);
    if (rc != HAL_OK) {
        hal_logf(b->log, HAL_LOG_ERROR, now0(), "ocpp: the TLS client was not rebuilt (%s): the old one stays",
                 b->tls->reason);
    }
    return rc;
}

static int b_save(void *ctx, unsigned slot, enum ocpp_cert_use use, const uint8_t *der, size_t len)
{
    struct board_ocpp_cert *b = ctx;
    if (b->dir[0] == '\0') {
        return HAL_OK; /* RAM only */
    }
    char p[BOARD_OCPP_CERT_PATH_MAX + 32u], name[32];
    snprintf(name, sizeof name, "root-%u-%s.der", slot, k_use_file[use]);
    if (path(p, sizeof p, b, name) != HAL_OK) {
        return HAL_EINVAL;
    }
    int rc;
    if (len > 0) {
        rc = write_atomic(p, der, len, NULL, 0);
    } else {
        rc = unlink(p) == 0 || errno == ENOENT ? HAL_OK : HAL_EIO;
    }
    return rc; /* the TLS trust follows in board_ocpp_cert_poll, once the core changed its slot */
}

static int b_csr(void *ctx, const char *cn, const char *org, char *pem, size_t cap, uint8_t *pub, size_t pub_cap,
                 size_t *pub_len)
{
    struct board_ocpp_cert *b = ctx;
    char kp[BOARD_OCPP_CERT_PATH_MAX + 32u];
    if (b->dir[0] == '\0' || path(kp, sizeof kp, b, "client.key.new") != HAL_OK) {
        hal_logf(b->log, HAL_LOG_WARN, now0(), "ocpp: no store directory: no key is made for a CSR");
        return HAL_ENOTSUP;
    }
    int rc = HAL_EIO;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509_REQ *r = X509_REQ_new();
    X509_PUBKEY *xp = NULL;
    BIO *m = BIO_new(BIO_s_mem());
    BIO *km = BIO_new(BIO_s_mem());
    if (k == NULL || r == NULL || m == NULL || km == NULL) {
        goto out;
    }
    X509_NAME *n = X509_REQ_get_subject_name(r);
    if (X509_REQ_set_version(r, 0) != 1 ||
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
        (org[0] != '\0' &&
         X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0) != 1) ||
        X509_REQ_set_pubkey(r, k) != 1 || X509_REQ_sign(r, k, EVP_sha256()) <= 0 || PEM_write_bio_X509_REQ(m, r) != 1) {
        goto out;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(m, &data);
    const unsigned char *pk = NULL;
    int pklen = 0;
    if (len <= 0 || (size_t)len >= cap || X509_PUBKEY_set(&xp, k) != 1 ||
        X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, xp) != 1 || pklen <= 0 || (size_t)pklen > pub_cap) {
        goto out;
    }
    /* the key goes to the board's own directory only, before the CSR goes out */
    char *kd = NULL;
    long kl = 0;
    if (PEM_write_bio_PrivateKey(km, k, NULL, NULL, 0, NULL, NULL) != 1 || (kl = BIO_get_mem_data(km, &kd)) <= 0 ||
        write_atomic(kp, kd, (size_t)kl, NULL, 0) != HAL_OK) {
        goto out;
    }
    memcpy(pem, data, (size_t)len);
    pem[len] = '\0';
    memcpy(pub, pk, (size_t)pklen);
    *pub_len = (size_t)pklen;
    rc = HAL_OK;
out:
    if (rc != HAL_OK) {
        hal_logf(b->log, HAL_LOG_ERROR, now0(), "ocpp: making the key and CSR failed");
    }
    BIO_free(km);
    BIO_free(m);
    X509_PUBKEY_free(xp);
    X509_REQ_free(r);
    EVP_PKEY_free(k);
    return rc;
}

static int b_install(void *ctx, const char *pem, size_t len)
{
    struct board_ocpp_cert *b = ctx;
    char kp[BOARD_OCPP_CERT_PATH_MAX + 32u], cp[BOARD_OCPP_CERT_PATH_MAX + 32u];
    if (b->dir[0] == '\0' || path(kp, sizeof kp, b, "client.key.new") != HAL_OK ||
        path(cp, sizeof cp, b, "client.pem") != HAL_OK || strlen(cp) >= sizeof b->cur_cert) {
        return HAL_ENOTSUP;
    }
    char key[4096];
    FILE *f = fopen(kp, "r");
    size_t kl = f != NULL ? fread(key, 1, sizeof key, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    if (kl == 0 || kl == sizeof key) {
        return HAL_ENOENT;
    }
    /* chain and key in one file: one rename switches both */
    int rc = write_atomic(cp, pem, len, key, kl);
    if (rc != HAL_OK) {
        return rc;
    }
    (void)unlink(kp);
    bool had = b->have_client;
    char old_cert[sizeof b->cur_cert], old_key[sizeof b->cur_key];
    memcpy(old_cert, b->cur_cert, sizeof old_cert);
    memcpy(old_key, b->cur_key, sizeof old_key);
    snprintf(b->cur_cert, sizeof b->cur_cert, "%s", cp);
    snprintf(b->cur_key, sizeof b->cur_key, "%s", cp);
    b->have_client = true;
    rc = rebuild_tls(b);
    if (rc != HAL_OK) {
        b->have_client = had;
        memcpy(b->cur_cert, old_cert, sizeof old_cert);
        memcpy(b->cur_key, old_key, sizeof old_key);
        (void)unlink(cp);
        return rc;
    }
    hal_logf(b->log, HAL_LOG_INFO, now0(), "ocpp: new client certificate %s: used from the next connection", cp);
    return HAL_OK;
}

static bool b_has_client(void *ctx)
{
    struct board_ocpp_cert *b = ctx;
    return b->have_client;
}

static int b_switch(void *ctx, unsigned profile)
{
    /* the core checked the prerequisites; here: an endpoint (a wss:// URL and a TLS client
     * for 2 and 3). The reconnect itself follows once the answer is out (board_ocpp_link.c). */
    struct board_ocpp_cert *b = ctx;
    return b->link != NULL && board_ocpp_link_can(b->link, profile) ? HAL_OK : HAL_ENOTSUP;
}

const struct ocpp_cert_ops board_ocpp_cert_ops = {b_save, b_csr, b_install, b_has_client, b_switch};

static void load_roots(struct board_ocpp_cert *b, uint32_t now_ms)
{
    for (unsigned i = 0; i < CFG_OCPP_CERT_SLOTS; i++) {
        for (unsigned u = 0; u < 2u; u++) {
            char p[BOARD_OCPP_CERT_PATH_MAX + 32u], name[32];
            snprintf(name, sizeof name, "root-%u-%s.der", i, k_use_file[u]);
            if (path(p, sizeof p, b, name) != HAL_OK) {
                continue;
            }
            uint8_t der[CFG_OCPP_CERT_DER_MAX];
            FILE *f = fopen(p, "rb");
            if (f == NULL) {
                continue;
            }
            size_t n = fread(der, 1, sizeof der, f);
            fclose(f);
            if (ocpp_cert_load(b->core, (enum ocpp_cert_use)u, der, n) != HAL_OK) {
                hal_logf(b->log, HAL_LOG_WARN, now_ms, "ocpp: %s is not a root we keep: skipped", p);
            }
        }
    }
}

int board_ocpp_cert_open(struct board_ocpp_cert *b, struct ocpp_cert *core, const char *dir, struct linux_tls *tls,
                         const char *ca_file, const char *cert_file, const char *key_file, struct hal_log *log,
                         uint32_t now_ms)
{
    memset(b, 0, sizeof *b);
    b->core = core;
    b->tls = tls;
    b->ca_file = ca_file;
    b->cert_file = cert_file;
    b->key_file = key_file;
    b->log = log;
    if (dir != NULL && (size_t)snprintf(b->dir, sizeof b->dir, "%s", dir) >= sizeof b->dir - 32u) {
        return HAL_EINVAL;
    }
    if (cert_file != NULL && key_file != NULL) {
        snprintf(b->cur_cert, sizeof b->cur_cert, "%s", cert_file);
        snprintf(b->cur_key, sizeof b->cur_key, "%s", key_file);
        b->have_client = true;
    }
    if (ca_file != NULL) {
        /* the configured CA is a trust anchor of a CertificateSigned chain too */
        char pem[CFG_OCPP_CERT_DER_MAX * 2u];
        FILE *f = fopen(ca_file, "r");
        size_t n = f != NULL ? fread(pem, 1, sizeof pem, f) : 0;
        if (f != NULL) {
            fclose(f);
        }
        if (n == 0 || ocpp_cert_set_anchor(core, pem, n) != HAL_OK) {
            hal_logf(log, HAL_LOG_WARN, now_ms, "ocpp: %s: no certificate read as the CA anchor", ca_file);
        }
    }
    if (b->dir[0] == '\0') {
        return HAL_OK;
    }
    load_roots(b, now_ms);
    b->gen = core->generation;
    char cp[BOARD_OCPP_CERT_PATH_MAX + 32u];
    if (path(cp, sizeof cp, b, "client.pem") == HAL_OK && access(cp, R_OK) == 0) {
        snprintf(b->cur_cert, sizeof b->cur_cert, "%s", cp);
        snprintf(b->cur_key, sizeof b->cur_key, "%s", cp);
        b->have_client = true;
        hal_logf(log, HAL_LOG_INFO, now_ms, "ocpp: client certificate signed over OCPP: %s", cp);
    }
    return tls != NULL && (b->have_client || ocpp_cert_count(core, OCPP_CERT_CSMS_ROOT) > 0u) ? rebuild_tls(b)
                                                                                             : HAL_OK;
}

void board_ocpp_cert_poll(struct board_ocpp_cert *b)
{
    if (b->core != NULL && b->gen != b->core->generation) {
        b->gen = b->core->generation;
        (void)rebuild_tls(b); /* it logs a failure; the old client stays */
    }
}
