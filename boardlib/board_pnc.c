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

#include "hal_err.h"
#include "sha256/sha256.h"

static int board_pnc_b64(int ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Base64 of one PEM block: whitespace skipped, '=' ends it. -1 bad character, -2 too long. */
static int board_pnc_unbase64(const uint8_t *p, const uint8_t *end, uint8_t *out, size_t cap, size_t *len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (; p < end && *p != '='; p++) {
        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') {
            continue;
        }
        int v = board_pnc_b64(*p);
        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap) {
                return -2;
            }
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *len = n;
    return 0;
}

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

/* Parse certificate @p i over its DER copy; the reason names the file and the block. */
static int board_pnc_take(struct board_pnc_certs *s, size_t i, const char *name, unsigned block, char *why,
                          size_t cap)
{
    enum x509_reason r = x509_parse(&s->cert[i], s->der[i], s->len[i]);
    if (r != X509_OK) {
        snprintf(why, cap, "%s: certificate %u: %s", name, block, x509_reason_text(r));
        return HAL_EINVAL;
    }
    s->n = i + 1u;
    return HAL_OK;
}

int board_pnc_parse(struct board_pnc_certs *s, const uint8_t *data, size_t len, const char *name, char *why,
                    size_t cap)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char endm[] = "-----END CERTIFICATE-----";
    if (s == NULL || data == NULL || why == NULL || cap == 0) {
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
        if (s->n >= BOARD_PNC_CERTS_MAX) {
            snprintf(why, cap, "%s: more than %u certificates", name, BOARD_PNC_CERTS_MAX);
            return HAL_ENOMEM;
        }
        if (len > BOARD_PNC_DER_MAX) {
            snprintf(why, cap, "%s: certificate 1: larger than %u bytes", name, BOARD_PNC_DER_MAX);
            return HAL_EINVAL;
        }
        memcpy(s->der[s->n], data, len);
        s->len[s->n] = len;
        return board_pnc_take(s, s->n, name, 1u, why, cap);
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
        if (s->n >= BOARD_PNC_CERTS_MAX) {
            snprintf(why, cap, "%s: more than %u certificates", name, BOARD_PNC_CERTS_MAX);
            return HAL_ENOMEM;
        }
        int rc = board_pnc_unbase64(p, e, s->der[s->n], BOARD_PNC_DER_MAX, &s->len[s->n]);
        if (rc != 0) {
            snprintf(why, cap, "%s: certificate %u: %s", name, block,
                     rc == -1 ? "bad base64" : "larger than the certificates a charger takes");
            return HAL_EINVAL;
        }
        if (board_pnc_take(s, s->n, name, block, why, cap) != HAL_OK) {
            return HAL_EINVAL;
        }
        p = e;
    }
    return HAL_OK;
}

int board_pnc_load_file(struct board_pnc_certs *s, const char *path, char *why, size_t cap)
{
    static uint8_t buf[BOARD_PNC_FILE_MAX + 1u];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return HAL_ENOENT;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    int err = ferror(f);
    fclose(f);
    if (err != 0) {
        snprintf(why, cap, "%s: read error", path);
        return HAL_ENOENT;
    }
    if (n > BOARD_PNC_FILE_MAX) {
        snprintf(why, cap, "%s: larger than %u bytes, not a certificate file", path, BOARD_PNC_FILE_MAX);
        return HAL_EINVAL;
    }
    return board_pnc_parse(s, buf, n, path, why, cap);
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

/* Every certificate file of a directory, in name order (the order roots are tried in). */
static int board_pnc_load_dir(struct board_pnc_certs *s, const char *path, char *why, size_t cap)
{
    static char names[BOARD_PNC_CERTS_MAX][256];
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
        if (n >= BOARD_PNC_CERTS_MAX) {
            snprintf(why, cap, "%s: more than %u certificate files", path, BOARD_PNC_CERTS_MAX);
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
    for (size_t i = 0; i < n; i++) {
        rc = board_pnc_load_file(s, names[i], why, cap);
        if (rc != HAL_OK) {
            return rc;
        }
    }
    return HAL_OK;
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
