/*
 * board_pnc.c - owns the Plug & Charge files of the host boards: PEM/DER certificate files
 * read into static storage and parsed (protocols/x509), the mobility-operator roots checked
 * against the root profile at start, and a car's contract (its chain, eMAID and key, the
 * key checked against its leaf) for evsim and `sim --pnc`. Every file is outside data: each refusal names the file and the reason, so an
 * integrator sees at start why Contract will not be offered.
 */
#include "board_pnc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base64/base64.h"
#include "hal_err.h"
#include "sha256/sha256.h"

/* memmem without the GNU extension: the first @p needle in [p, end). */
static const uint8_t *board_pnc_find(const uint8_t *p, const uint8_t *end, const char *needle)
{
    size_t k = strlen(needle);
    for (; p + k <= end; p++) {
        if (memcmp(p, needle, k) == 0) {
            return p;
        }
    }
    return NULL;
}

int board_pnc_each(const uint8_t *data, size_t len, const char *name, uint8_t *scratch, size_t scap,
                   board_pnc_cert_fn fn, void *arg, char *why, size_t cap)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char endm[] = "-----END CERTIFICATE-----";
    if (data == NULL || scratch == NULL || fn == NULL || why == NULL || cap == 0) {
        return HAL_EINVAL;
    }
    why[0] = '\0';
    if (len == 0) {
        snprintf(why, cap, "%s: empty file", name);
        return HAL_EINVAL;
    }
    const uint8_t *end = data + len;
    const uint8_t *p = board_pnc_find(data, end, begin);
    if (p == NULL) {
        /* One DER certificate: a SEQUENCE, nothing after it (x509_parse checks the length). */
        if (data[0] != 0x30u) {
            snprintf(why, cap, "%s: neither PEM nor DER (no certificate found)", name);
            return HAL_EINVAL;
        }
        return fn(arg, data, len, 1u, false, why, cap);
    }
    unsigned block = 0;
    for (; p != NULL; p = board_pnc_find(p, end, begin)) {
        block++;
        p += sizeof begin - 1u;
        const uint8_t *e = board_pnc_find(p, end, endm);
        if (e == NULL) {
            snprintf(why, cap, "%s: certificate %u has no END line", name, block);
            return HAL_EINVAL;
        }
        size_t n = 0;
        int rc = base64_decode((const char *)p, (size_t)(e - p), BASE64_SKIP_SPACE, scratch, scap, &n);
        if (rc == HAL_EINVAL) {
            snprintf(why, cap, "%s: certificate %u: bad base64", name, block);
            return HAL_EINVAL;
        }
        rc = fn(arg, scratch, rc == HAL_OK ? n : scap, block, rc != HAL_OK, why, cap);
        if (rc != HAL_OK) {
            return rc;
        }
        p = e;
    }
    return HAL_OK;
}

struct board_pnc_take_ctx {
    struct board_pnc_certs *s;
    const char *name;
};

/* The charger's use of each certificate: a DER copy, parsed; the first bad one ends the load. */
static int board_pnc_take(void *arg, const uint8_t *der, size_t len, unsigned block, bool too_large, char *why,
                          size_t cap)
{
    struct board_pnc_take_ctx *x = arg;
    struct board_pnc_certs *s = x->s;
    if (s->n >= BOARD_PNC_CERTS_MAX) {
        snprintf(why, cap, "%s: more than %u certificates", x->name, BOARD_PNC_CERTS_MAX);
        return HAL_ENOMEM;
    }
    if (too_large || len > BOARD_PNC_DER_MAX) {
        snprintf(why, cap, "%s: certificate %u: larger than the certificates a charger takes (%u bytes)", x->name,
                 block, BOARD_PNC_DER_MAX);
        return HAL_EINVAL;
    }
    if (der != s->der[s->n]) {
        memcpy(s->der[s->n], der, len);
    }
    s->len[s->n] = len;
    enum x509_reason r = x509_parse(&s->cert[s->n], s->der[s->n], len);
    if (r != X509_OK) {
        snprintf(why, cap, "%s: certificate %u: %s", x->name, block, x509_reason_text(r));
        return HAL_EINVAL;
    }
    s->n++;
    return HAL_OK;
}

int board_pnc_parse(struct board_pnc_certs *s, const uint8_t *data, size_t len, const char *name, char *why,
                    size_t cap)
{
    static uint8_t scratch[BOARD_PNC_DER_MAX];
    if (s == NULL) {
        return HAL_EINVAL;
    }
    struct board_pnc_take_ctx x = {.s = s, .name = name};
    return board_pnc_each(data, len, name, scratch, sizeof scratch, board_pnc_take, &x, why, cap);
}

int board_pnc_read(const char *path, uint8_t *buf, size_t cap, size_t *len, char *why, size_t wcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, wcap, "%s: %s", path, strerror(errno));
        return HAL_ENOENT;
    }
    size_t n = fread(buf, 1, cap, f);
    int err = ferror(f);
    fclose(f);
    if (err != 0) {
        snprintf(why, wcap, "%s: read error", path);
        return HAL_ENOENT;
    }
    if (n >= cap) {
        snprintf(why, wcap, "%s: larger than %zu bytes, not a certificate file", path, cap - 1u);
        return HAL_EINVAL;
    }
    buf[n] = 0; /* a NUL after the data: callers may treat it as text */
    *len = n;
    return HAL_OK;
}

int board_pnc_load_file(struct board_pnc_certs *s, const char *path, char *why, size_t cap)
{
    static uint8_t buf[BOARD_PNC_FILE_MAX + 1u];
    size_t n = 0;
    int rc = board_pnc_read(path, buf, sizeof buf, &n, why, cap);
    return rc != HAL_OK ? rc : board_pnc_parse(s, buf, n, path, why, cap);
}

static bool board_pnc_cert_name(const char *n)
{
    static const char *const ext[] = {".pem", ".der", ".crt", ".cer"};
    size_t l = strlen(n);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        if (l > 4u && strcmp(n + l - 4u, ext[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int board_pnc_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int board_pnc_list_dir(const char *path, char (*names)[BOARD_PNC_PATH_MAX], size_t max, size_t *count, char *why,
                       size_t cap)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return HAL_ENOENT;
    }
    size_t n = 0;
    int rc = HAL_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!board_pnc_cert_name(de->d_name)) {
            continue;
        }
        if (n >= max) {
            snprintf(why, cap, "%s: more than %zu certificate files", path, max);
            rc = HAL_ENOMEM;
            break;
        }
        if ((size_t)snprintf(names[n], sizeof names[n], "%s/%s", path, de->d_name) >= sizeof names[n]) {
            snprintf(why, cap, "%s/%s: path too long", path, de->d_name);
            rc = HAL_EINVAL;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != HAL_OK) {
        return rc;
    }
    if (n == 0) {
        snprintf(why, cap, "%s: no *.pem, *.der, *.crt or *.cer file", path);
        return HAL_EINVAL;
    }
    qsort(names, n, sizeof names[0], board_pnc_cmp);
    *count = n;
    return HAL_OK;
}

/* Every certificate file of a directory, in name order (the order roots are tried in). */
static int board_pnc_load_dir(struct board_pnc_certs *s, const char *path, char *why, size_t cap)
{
    static char names[BOARD_PNC_CERTS_MAX][BOARD_PNC_PATH_MAX];
    size_t n = 0;
    int rc = board_pnc_list_dir(path, names, BOARD_PNC_CERTS_MAX, &n, why, cap);
    for (size_t i = 0; rc == HAL_OK && i < n; i++) {
        rc = board_pnc_load_file(s, names[i], why, cap);
    }
    return rc;
}

int board_pnc_load_roots(struct board_pnc_certs *s, const char *path, char *why, size_t cap)
{
    if (s == NULL || path == NULL || why == NULL || cap == 0) {
        return HAL_EINVAL;
    }
    memset(s, 0, sizeof *s);
    why[0] = '\0';
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return HAL_ENOENT;
    }
    int rc = S_ISDIR(st.st_mode) ? board_pnc_load_dir(s, path, why, cap) : board_pnc_load_file(s, path, why, cap);
    if (rc != HAL_OK) {
        return rc;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct x509_cert *c = &s->cert[i];
        /* A root is self-issued and fits the root profile; validity is judged per session
         * against the charger's clock (x509_chain_validate), not here. */
        enum x509_reason r = x509_check_profile(c, X509_ROLE_CONTRACT, 0, true);
        if (r == X509_OK && (c->issuer.len != c->subject.len || memcmp(c->issuer.p, c->subject.p, c->issuer.len) != 0)) {
            snprintf(why, cap, "%s: certificate %zu is not a root (issuer differs from subject)", path, i + 1u);
            return HAL_EINVAL;
        }
        if (r != X509_OK) {
            snprintf(why, cap, "%s: certificate %zu is not a mobility-operator root: %s", path, i + 1u,
                     x509_reason_text(r));
            return HAL_EINVAL;
        }
    }
    return HAL_OK;
}

int board_pnc_key_matches(struct hal_crypto *crypto, uint32_t key, const struct x509_cert *leaf)
{
    if (leaf == NULL || leaf->key_type != X509_KEY_EC || leaf->curve != X509_CURVE_P256 || leaf->pub.len != 65u) {
        return HAL_EINVAL;
    }
    uint8_t digest[32];
    sha256_digest(leaf->tbs.p, leaf->tbs.len, digest);
    uint8_t sig[HAL_CRYPTO_SIG_MAX];
    size_t sig_len = 0;
    int rc = hal_crypto_ecdsa_sign(crypto, key, digest, sizeof digest, sig, sizeof sig, &sig_len);
    if (rc != HAL_OK) {
        return rc;
    }
    if (sig_len != 64u) {
        return HAL_EINVAL; /* a key on another curve signs with other sizes */
    }
    rc = hal_crypto_ecdsa_verify(crypto, HAL_CRYPTO_SECP256R1, leaf->pub.p, leaf->pub.len, digest, sizeof digest,
                                 sig, sig_len);
    return rc == HAL_OK ? HAL_OK : rc == HAL_EPROTO || rc == HAL_EINVAL ? HAL_EINVAL : rc;
}

int board_pnc_load_car(struct board_pnc_car *car, struct linux_crypto *crypto, const char *chain_path,
                       const char *key_path, char *why, size_t cap)
{
    if (car == NULL || crypto == NULL || chain_path == NULL || key_path == NULL || why == NULL || cap == 0) {
        return HAL_EINVAL;
    }
    memset(car, 0, sizeof *car);
    int rc = board_pnc_load_file(&car->chain, chain_path, why, cap);
    if (rc != HAL_OK) {
        return rc;
    }
    if (car->chain.n > 1u + CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX) {
        snprintf(why, cap, "%s: %zu certificates, a PaymentDetailsReq holds %u", chain_path, car->chain.n,
                 1u + CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX);
        return HAL_EINVAL;
    }
    const struct x509_cert *leaf = &car->chain.cert[0];
    struct x509_span cn;
    char emaid[CFG_EXI_ISO2_PAYMENTDETAILSREQTYPE_EMAID_LEN + 1];
    if (!x509_name_cn(&leaf->subject, &cn) || cn.len == 0 || cn.len >= sizeof emaid) {
        snprintf(why, cap, "%s: the leaf's CN is no eMAID (missing, or above %u characters)", chain_path,
                 CFG_EXI_ISO2_PAYMENTDETAILSREQTYPE_EMAID_LEN);
        return HAL_EINVAL;
    }
    memcpy(emaid, cn.p, cn.len);
    emaid[cn.len] = '\0';
    uint32_t key = 0;
    rc = linux_crypto_add_key_file(crypto, key_path, &key);
    if (rc != HAL_OK) {
        snprintf(why, cap, "%s: %s", key_path,
                 rc == HAL_ENOENT ? "cannot be read"
                 : rc == HAL_ENOMEM ? "no free key slot in the crypto port"
                                    : "not an unencrypted PEM EC private key");
        return rc;
    }
    if (leaf->key_type != X509_KEY_EC || leaf->curve != X509_CURVE_P256) {
        snprintf(why, cap, "%s: the contract certificate's key is %s %s, ISO 15118-2 signs with EC P-256",
                 chain_path, x509_key_type_name(leaf->key_type),
                 leaf->key_type == X509_KEY_EC ? x509_curve_name(leaf->curve) : "");
        return HAL_EINVAL;
    }
    rc = board_pnc_key_matches(&crypto->base, key, leaf);
    if (rc != HAL_OK) {
        snprintf(why, cap, "%s: not the key of the contract certificate in %s", key_path, chain_path);
        return HAL_EINVAL;
    }
    const uint8_t *subs[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    size_t sub_len[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    uint8_t ns = (uint8_t)(car->chain.n - 1u);
    for (uint8_t i = 0; i < ns; i++) {
        subs[i] = car->chain.der[1u + i];
        sub_len[i] = car->chain.len[1u + i];
    }
    if (iso2_ev_contract_init(&car->contract, &crypto->base, key, car->chain.der[0], car->chain.len[0], subs,
                              sub_len, ns, emaid, car->buf, sizeof car->buf) != HAL_OK) {
        snprintf(why, cap, "%s: a certificate above the 800 bytes a PaymentDetailsReq carries", chain_path);
        return HAL_EINVAL;
    }
    return HAL_OK;
}
