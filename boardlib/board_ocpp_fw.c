/*
 * The host boards' OCPP firmware jobs (struct board_ocpp_fw): owns the transfers (libcurl
 * multi, shared loader in board_curl.c), the child processes (install command, diagnostics
 * command; fork + execvp, never a shell, reaped with waitpid WNOHANG) and the signed
 * firmware's OpenSSL checks. The core (protocols/ocpp/ocpp_fw.c) has already checked every
 * location (scheme, length, no shell characters) before a hook sees it; the core polls.
 *
 * Why OpenSSL and not protocols/x509 for the signed firmware: the whitepaper's signing
 * certificates may be RSA (EVerest verifies RSA and ECDSA), protocols/x509 is the ISO 15118-2
 * profile (ECDSA P-256 only), and a host board has OpenSSL anyway. A Cortex-M board would
 * give its own verify hooks (an ECDSA-only one through hal_crypto would do).
 */
#include "board_ocpp_fw.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "board_curl.h"
#include "board_spawn.h"
#include "hal_err.h"
#include "ocpp/ocpp_cp.h"

#define IMAGE_NAME "firmware.bin"
/* An install command's exit status that means "the image failed the installer's own check"
 * (InstallVerificationFailed); any other non-zero status is InstallationFailed. */
#define EXIT_VERIFY_FAILED 3

static const char *const k_job[] = {"download", "install", "upload"};

static void logw(struct board_ocpp_fw *b, const char *what)
{
    hal_logf(b->log, HAL_LOG_WARN, b->now_ms, "ocpp: firmware board: %s", what);
}

static void close_transfer(struct board_ocpp_fw *b, unsigned j)
{
    const struct board_curl_fns *c = board_curl_load();
    if (b->job[j].curl != NULL && c->ok) {
        c->multi_remove_handle(b->multi, b->job[j].curl);
        c->easy_cleanup(b->job[j].curl);
    }
    b->job[j].curl = NULL;
    if (b->job[j].file != NULL) {
        fclose(b->job[j].file);
        b->job[j].file = NULL;
    }
}

/* Start a GET into job[j].path (download) or a PUT of it (upload: HTTP PUT, FTP STOR; one
 * code path for the three schemes the core allows). */
static int start_transfer(struct board_ocpp_fw *b, unsigned j, bool upload)
{
    const struct board_curl_fns *c = board_curl_load();
    if (!c->ok) {
        snprintf(b->why, sizeof b->why, "no transfer: %s", c->error);
        logw(b, b->why);
        return HAL_ENOTSUP;
    }
    if (b->multi == NULL && (b->multi = c->multi_init()) == NULL) {
        return HAL_ENOMEM;
    }
    b->job[j].file = fopen(b->job[j].path, upload ? "rb" : "wb");
    if (b->job[j].file == NULL) {
        snprintf(b->why, sizeof b->why, "%s: %s", b->job[j].path, strerror(errno));
        logw(b, b->why);
        return HAL_EIO;
    }
    CURL *e = c->easy_init();
    if (e == NULL) {
        close_transfer(b, j);
        return HAL_ENOMEM;
    }
    b->job[j].curl = e;
    c->easy_setopt(e, CURLOPT_URL, b->job[j].url);
    /* only the schemes the core let through, redirects included */
    c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,ftp");
    c->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
    c->easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 20L);
    c->easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
    if (upload) {
        struct stat st;
        long long size = fstat(fileno((FILE *)b->job[j].file), &st) == 0 ? (long long)st.st_size : -1;
        c->easy_setopt(e, CURLOPT_UPLOAD, 1L);
        c->easy_setopt(e, CURLOPT_READDATA, b->job[j].file);
        c->easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    } else {
        c->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        c->easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
        c->easy_setopt(e, CURLOPT_WRITEDATA, b->job[j].file);
    }
    c->multi_add_handle(b->multi, e);
    b->job[j].result = OCPP_FW_RUNNING;
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "ocpp: firmware board: %s %s %s", upload ? "uploading" : "downloading",
             b->job[j].path, b->job[j].url);
    return HAL_OK;
}

static void pump_transfers(struct board_ocpp_fw *b)
{
    const struct board_curl_fns *c = board_curl_load();
    if (b->multi == NULL || !c->ok) {
        return;
    }
    int running = 0, left = 0;
    c->multi_perform(b->multi, &running);
    CURLMsg *m;
    while ((m = c->multi_info_read(b->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        for (unsigned j = 0; j < 3u; j++) {
            if (b->job[j].curl != m->easy_handle) {
                continue;
            }
            CURLcode rc = m->data.result;
            bool ok = rc == CURLE_OK && fflush(b->job[j].file) == 0;
            if (!ok) {
                snprintf(b->why, sizeof b->why, "%s of %s failed: %s", k_job[j], b->job[j].url,
                         rc != CURLE_OK ? c->easy_strerror(rc) : "writing the file");
                logw(b, b->why);
            }
            close_transfer(b, j);
            b->job[j].result = ok ? OCPP_FW_DONE : OCPP_FW_FAILED;
            break;
        }
    }
}

/* A configured command with extra arguments (board_spawn: no shell). */
static int spawn(struct board_ocpp_fw *b, unsigned j, const char *cmdline, const char *const *extra)
{
    pid_t pid;
    int rc = board_spawn(cmdline, extra, &pid);
    if (rc != HAL_OK) {
        return rc;
    }
    b->job[j].pid = pid;
    b->job[j].result = OCPP_FW_RUNNING;
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "ocpp: firmware board: %s with '%s' (pid %ld)", k_job[j], cmdline,
             (long)pid);
    return HAL_OK;
}

static void stop_child(struct board_ocpp_fw *b, unsigned j)
{
    if (b->job[j].pid > 0) {
        (void)kill(b->job[j].pid, SIGKILL);
        (void)waitpid(b->job[j].pid, NULL, 0); /* SIGKILL: gone at once */
        b->job[j].pid = 0;
    }
}

/* The upload file when no diagnostics command is configured: what the charge point knows. */
static int write_builtin(struct board_ocpp_fw *b, unsigned j, enum ocpp_fw_log log, int64_t from, int64_t to)
{
    FILE *f = fopen(b->job[j].path, "w");
    if (f == NULL) {
        return HAL_EIO;
    }
    fprintf(f, "log type: %s\nwindow: %lld .. %lld\nfirmware step: %u\n",
            log == OCPP_FW_LOG_SECURITY ? "SecurityLog" : "DiagnosticsLog", (long long)from, (long long)to,
            (unsigned)b->fw.step);
    return fclose(f) == 0 ? HAL_OK : HAL_EIO;
}

static int h_start(void *ctx, enum ocpp_fw_job job, const char *location, const char *file, enum ocpp_fw_log log,
                   int64_t from, int64_t to)
{
    struct board_ocpp_fw *b = ctx;
    unsigned j = (unsigned)job;
    if (job == OCPP_FW_JOB_DOWNLOAD) {
        snprintf(b->job[j].path, sizeof b->job[j].path, "%s/%s", b->cfg.dir, IMAGE_NAME);
        snprintf(b->job[j].url, sizeof b->job[j].url, "%s", location);
        return start_transfer(b, j, false);
    }
    if (job == OCPP_FW_JOB_INSTALL) {
        char image[sizeof b->job[0].path];
        snprintf(image, sizeof image, "%s/%s", b->cfg.dir, IMAGE_NAME);
        const char *extra[] = {image, NULL};
        if (b->cfg.install_cmd[0] == '\0') {
            logw(b, "no install command configured (ocpp.firmware_install_cmd)");
            return HAL_ENOTSUP;
        }
        return spawn(b, j, b->cfg.install_cmd, extra);
    }
    size_t n = strlen(location);
    snprintf(b->job[j].path, sizeof b->job[j].path, "%s/%s", b->cfg.dir, file);
    snprintf(b->job[j].url, sizeof b->job[j].url, "%s%s%s", location, n > 0 && location[n - 1] == '/' ? "" : "/",
             file);
    if (b->cfg.diagnostics_cmd[0] != '\0') {
        char f[24], t[24];
        snprintf(f, sizeof f, "%lld", (long long)from);
        snprintf(t, sizeof t, "%lld", (long long)to);
        const char *extra[] = {b->job[j].path, log == OCPP_FW_LOG_SECURITY ? "SecurityLog" : "DiagnosticsLog", f, t,
                               NULL};
        b->job[j].upload_after = true;
        return spawn(b, j, b->cfg.diagnostics_cmd, extra);
    }
    if (write_builtin(b, j, log, from, to) != HAL_OK) {
        return HAL_EIO;
    }
    return start_transfer(b, j, true);
}

static enum ocpp_fw_result h_poll(void *ctx, enum ocpp_fw_job job)
{
    struct board_ocpp_fw *b = ctx;
    unsigned j = (unsigned)job;
    if (b->job[j].pid > 0) {
        int code = board_spawn_reap(b->job[j].pid);
        if (code == BOARD_SPAWN_RUNNING) {
            return OCPP_FW_RUNNING;
        }
        b->job[j].pid = 0;
        if (code != 0) {
            snprintf(b->why, sizeof b->why, "%s command exited with %d", k_job[j], code);
            logw(b, b->why);
        }
        if (job == OCPP_FW_JOB_UPLOAD && b->job[j].upload_after) {
            b->job[j].upload_after = false;
            if (code != 0 || start_transfer(b, j, true) != HAL_OK) {
                return OCPP_FW_FAILED;
            }
            return OCPP_FW_RUNNING;
        }
        return code == 0 ? OCPP_FW_DONE : code == EXIT_VERIFY_FAILED ? OCPP_FW_VERIFY_FAILED : OCPP_FW_FAILED;
    }
    pump_transfers(b);
    return b->job[j].result;
}

static void h_cancel(void *ctx, enum ocpp_fw_job job)
{
    struct board_ocpp_fw *b = ctx;
    stop_child(b, (unsigned)job);
    close_transfer(b, (unsigned)job);
    b->job[job].upload_after = false;
    b->job[job].result = OCPP_FW_FAILED;
}

static bool h_signed_ok(void *ctx)
{
    const struct board_ocpp_fw *b = ctx;
    return b->cfg.root[0] != '\0';
}

static int h_verify_cert(void *ctx, const char *pem, const char **why)
{
    struct board_ocpp_fw *b = ctx;
    int rc = -1;
    X509 *root = NULL, *cert = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *sc = NULL;
    FILE *f = fopen(b->cfg.root, "r");
    BIO *bio = BIO_new_mem_buf(pem, -1);
    *why = b->why;
    snprintf(b->why, sizeof b->why, "the manufacturer root %s cannot be read", b->cfg.root);
    if (f == NULL || (root = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
        goto out;
    }
    snprintf(b->why, sizeof b->why, "the signing certificate is not a PEM certificate");
    if (bio == NULL || (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
        goto out;
    }
    store = X509_STORE_new();
    sc = X509_STORE_CTX_new();
    if (store == NULL || sc == NULL || X509_STORE_add_cert(store, root) != 1 ||
        X509_STORE_CTX_init(sc, store, cert, NULL) != 1) {
        snprintf(b->why, sizeof b->why, "out of memory");
        goto out;
    }
    if (X509_verify_cert(sc) != 1) {
        int e = X509_STORE_CTX_get_error(sc);
        snprintf(b->why, sizeof b->why, "signing certificate: %s", X509_verify_cert_error_string(e));
        rc = e == X509_V_ERR_CERT_REVOKED ? 1 : -1;
        goto out;
    }
    EVP_PKEY_free(b->key);
    b->key = X509_get_pubkey(cert);
    rc = b->key != NULL ? 0 : -1;
    snprintf(b->why, sizeof b->why, "%s", rc == 0 ? "valid" : "no public key");
out:
    X509_STORE_CTX_free(sc);
    X509_STORE_free(store);
    X509_free(cert);
    X509_free(root);
    BIO_free(bio);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

/* SHA-256 of the downloaded image, read in blocks (an image may be larger than RAM allows). */
static int image_digest(struct board_ocpp_fw *b, unsigned char dg[32])
{
    char path[sizeof b->job[0].path];
    snprintf(path, sizeof path, "%s/%s", b->cfg.dir, IMAGE_NAME);
    snprintf(b->why, sizeof b->why, "%s cannot be read", path);
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;
    if (f != NULL && md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        unsigned char buf[4096];
        size_t got;
        bool ok = true;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
            ok = ok && EVP_DigestUpdate(md, buf, got) == 1;
        }
        unsigned int n = 0;
        rc = ok && !ferror(f) && EVP_DigestFinal_ex(md, dg, &n) == 1 && n == 32u ? 0 : -1;
    }
    EVP_MD_CTX_free(md);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

/* One verification of the signature over the digest with one padding (0 = the key's own:
 * ECDSA, or an RSA-PSS key's restrictions). PSS: MGF1 with SHA-256 and any salt length the
 * signer chose (RSA_PSS_SALTLEN_AUTO reads it from the signature; the digest length, 32,
 * is the usual one). */
static bool verify_with(EVP_PKEY *key, int padding, const unsigned char *dg, const unsigned char *sig, size_t len)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
    bool ok = pc != NULL && EVP_PKEY_verify_init(pc) == 1 && EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1;
    if (ok && padding != 0) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pc, padding) == 1;
    }
    if (ok && padding == RSA_PKCS1_PSS_PADDING) {
        ok = EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1;
    }
    ok = ok && EVP_PKEY_verify(pc, sig, len, dg, 32) == 1;
    EVP_PKEY_CTX_free(pc);
    return ok;
}

/* The forms accepted (docs/ocpp.md): ECDSA over SHA-256 (DER), RSA PKCS#1 v1.5 with SHA-256
 * (what `openssl dgst -sign` and EVerest make) and RSA-PSS with SHA-256 and MGF1-SHA-256
 * (L01.FR.04), whatever the salt length; all over the whole file's SHA-256. An RSA key may
 * sign either way, so both paddings are tried; an RSA-PSS key (id-RSASSA-PSS) only PSS. */
static int h_verify_file(void *ctx, const char *sig_b64, const char **why)
{
    struct board_ocpp_fw *b = ctx;
    unsigned char sig[OCPP_FW_SIGNATURE_MAX];
    size_t n = strlen(sig_b64);
    *why = b->why;
    snprintf(b->why, sizeof b->why, "the signature is not Base64");
    if (n == 0 || n % 4u != 0 || n > OCPP_FW_SIGNATURE_MAX) {
        return -1;
    }
    int len = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)n);
    if (len < 0) {
        return -1;
    }
    len -= (sig_b64[n - 1] == '=') + (sig_b64[n - 2] == '='); /* the padding decodes as zero bytes */
    snprintf(b->why, sizeof b->why, "no accepted signing certificate");
    if (b->key == NULL) {
        return -1;
    }
    unsigned char dg[32];
    if (image_digest(b, dg) != 0) {
        return -1;
    }
    const char *form = NULL;
    int type = EVP_PKEY_get_base_id(b->key);
    if (type == EVP_PKEY_RSA) {
        form = verify_with(b->key, RSA_PKCS1_PADDING, dg, sig, (size_t)len)       ? "RSA PKCS#1 v1.5"
               : verify_with(b->key, RSA_PKCS1_PSS_PADDING, dg, sig, (size_t)len) ? "RSA-PSS"
                                                                                 : NULL;
    } else if (type == EVP_PKEY_RSA_PSS) {
        form = verify_with(b->key, RSA_PKCS1_PSS_PADDING, dg, sig, (size_t)len) ? "RSA-PSS" : NULL;
    } else if (type == EVP_PKEY_EC) {
        form = verify_with(b->key, 0, dg, sig, (size_t)len) ? "ECDSA" : NULL;
    } else {
        snprintf(b->why, sizeof b->why, "the signing certificate's key is neither RSA nor EC");
        return -1;
    }
    if (form == NULL) {
        snprintf(b->why, sizeof b->why, "the signature does not match the file");
        return -1;
    }
    snprintf(b->why, sizeof b->why, "valid");
    hal_logf(b->log, HAL_LOG_INFO, b->now_ms, "ocpp: firmware board: signature valid (%s, SHA-256)", form);
    return 0;
}

static const struct ocpp_fw_ops k_ops = {h_start, h_poll, h_cancel, h_signed_ok, h_verify_cert, h_verify_file};

void board_ocpp_fw_start(struct board_ocpp_fw *b, const struct board_ocpp_fw_config *cfg, struct ocpp_cp *cp,
                         struct hal_log *log)
{
    memset(b, 0, sizeof *b);
    if (cfg->dir[0] == '\0') {
        return;
    }
    b->cfg = *cfg;
    b->log = log;
    ocpp_fw_init(&b->fw, &k_ops, b);
    cp->fw = &b->fw;
}

void board_ocpp_fw_tick(struct board_ocpp_fw *b, uint32_t now_ms)
{
    b->now_ms = now_ms;
}
