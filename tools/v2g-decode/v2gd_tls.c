/**
 * @file v2gd_tls.c
 * @brief TLS record layer decryption for v2g-decode: key log parsing, the TLS 1.2 PRF and
 *        the TLS 1.3 key schedule from traffic secrets, record reassembly, AEAD and
 *        CBC+HMAC record protection (OpenSSL EVP/HMAC do the cryptography).
 *
 * Every length comes from the capture and is checked before use: record lengths against
 * the TLS maximum, handshake message lengths against a cap, padding and MAC lengths
 * against the record. A wrong key shows as a failed tag or MAC check, never as garbage.
 */
#include "v2gd_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tool_hex.h"

#define TLS_MAX_RECORD (16384u + 2048u) /* TLSCiphertext limit (RFC 5246 6.2.3) */
#define TLS_MAX_HS (256u * 1024u)       /* no V2G certificate chain comes near this */

enum suite_kind { SK_CBC, SK_GCM, SK_CCM, SK_CHACHA };

struct suite {
    uint16_t id;
    const char *name;
    uint8_t kind;    /* enum suite_kind */
    uint8_t key_len;
    uint8_t mac;     /* CBC: 1 SHA-1, 2 SHA-256, 3 SHA-384 */
    uint8_t prf;     /* 2 SHA-256, 3 SHA-384 (TLS 1.2 PRF; TLS 1.3 HKDF hash) */
    bool tls13;
};

static const struct suite suites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", SK_GCM, 16, 0, 2, true},
    {0x1302, "TLS_AES_256_GCM_SHA384", SK_GCM, 32, 0, 3, true},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", SK_CHACHA, 32, 0, 2, true},
    {0x1304, "TLS_AES_128_CCM_SHA256", SK_CCM, 16, 0, 2, true},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", SK_CBC, 16, 2, 2, false},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", SK_CBC, 32, 3, 3, false},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", SK_CBC, 16, 2, 2, false},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", SK_CBC, 32, 3, 3, false},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", SK_CBC, 16, 1, 2, false},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", SK_CBC, 32, 1, 2, false},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", SK_CBC, 16, 1, 2, false},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", SK_CBC, 32, 1, 2, false},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", SK_CBC, 16, 1, 2, false},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", SK_CBC, 32, 1, 2, false},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", SK_CBC, 16, 2, 2, false},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SK_GCM, 16, 0, 2, false},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", SK_GCM, 32, 0, 3, false},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", SK_GCM, 16, 0, 2, false},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", SK_GCM, 32, 0, 3, false},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", SK_GCM, 16, 0, 2, false},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", SK_GCM, 32, 0, 3, false},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", SK_CCM, 16, 0, 2, false},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", SK_CCM, 32, 0, 2, false},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", SK_CHACHA, 32, 0, 2, false},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", SK_CHACHA, 32, 0, 2, false},
};

static const struct suite *suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (suites[i].id == id) {
            return &suites[i];
        }
    }
    return NULL;
}

const char *v2gd_tls_suite_name(uint16_t id, char buf[8])
{
    const struct suite *s = suite_find(id);
    if (s != NULL) {
        return s->name;
    }
    snprintf(buf, 8, "0x%04x", id);
    return buf;
}

/* ------------------------------------------------------------------ key log */

static const char *const label_names[V2GD_KEY_LABELS] = {
    "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
};

/* Hex of exactly @p max or (when @p any) 1..max bytes at *pp, up to a space or the end. */
static int hex_field(const char **pp, const char *end, uint8_t *out, size_t max, bool any)
{
    const char *p = *pp;
    while (p < end && *p == ' ') {
        p++;
    }
    size_t n = 0;
    while (p + 1 < end && tool_hex_digit(p[0]) >= 0 && tool_hex_digit(p[1]) >= 0) {
        if (n == max) {
            return -1;
        }
        out[n++] = (uint8_t)(tool_hex_digit(p[0]) << 4 | tool_hex_digit(p[1]));
        p += 2;
    }
    if (p < end && *p != ' ' && *p != '\r' && *p != '\n') {
        return -1;
    }
    *pp = p;
    if (any ? n == 0 : n != max) {
        return -1;
    }
    return (int)n;
}

bool v2gd_keylog_looks_like(const uint8_t *text, size_t len)
{
    for (int i = 0; i < V2GD_KEY_LABELS; i++) {
        size_t l = strlen(label_names[i]);
        if (len > l && memcmp(text, label_names[i], l) == 0 && text[l] == ' ') {
            return true;
        }
    }
    return len > 20 && memcmp(text, "CLIENT_EARLY_TRAFFIC", 20) == 0;
}

static int keylog_line(struct v2gd_keylog *k, const char *p, const char *end)
{
    int label = -1;
    for (int i = 0; i < V2GD_KEY_LABELS; i++) {
        size_t l = strlen(label_names[i]);
        if ((size_t)(end - p) > l && memcmp(p, label_names[i], l) == 0 && p[l] == ' ') {
            label = i;
            p += l;
            break;
        }
    }
    if (label < 0) {
        return 0; /* comment, early secret, exporter secret: not needed */
    }
    struct v2gd_key key;
    memset(&key, 0, sizeof key);
    key.label = (uint8_t)label;
    int n;
    if (hex_field(&p, end, key.random, 32, false) < 0 || (n = hex_field(&p, end, key.secret, 64, true)) < 0) {
        k->bad_lines++;
        return 0;
    }
    key.len = (uint8_t)n;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        struct v2gd_key *v = realloc(k->v, cap * sizeof *v);
        if (v == NULL) {
            return -1;
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = key;
    return 1;
}

int v2gd_keylog_add(struct v2gd_keylog *k, const char *text, size_t len)
{
    int added = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        int rc = keylog_line(k, p, le);
        if (rc < 0) {
            return -1;
        }
        added += rc;
        p = nl != NULL ? nl + 1 : end;
    }
    return added;
}

void v2gd_keylog_free(struct v2gd_keylog *k)
{
    free(k->v);
    memset(k, 0, sizeof *k);
}

static const struct v2gd_key *key_find(const struct v2gd_keylog *k, int label, const uint8_t random[32])
{
    for (size_t i = k->n; i-- > 0;) { /* the latest line wins */
        if (k->v[i].label == label && memcmp(k->v[i].random, random, 32) == 0) {
            return &k->v[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ key derivation */

static const EVP_MD *md_of(uint8_t h)
{
    return h == 1 ? EVP_sha1() : h == 3 ? EVP_sha384() : EVP_sha256();
}

static bool hmac(const EVP_MD *md, const uint8_t *key, size_t klen, const uint8_t *d, size_t n, uint8_t *out,
                 unsigned *olen)
{
    return HMAC(md, key, (int)klen, d, n, out, olen) != NULL;
}

/* TLS 1.2 PRF (RFC 5246 section 5): P_hash(secret, label + seed). */
static bool prf12(const EVP_MD *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed,
                  size_t seedlen, uint8_t *out, size_t outlen)
{
    uint8_t ls[128], a[64], t[64 + 128];
    size_t llen = strlen(label);
    if (llen + seedlen > sizeof ls) {
        return false;
    }
    memcpy(ls, label, llen);
    memcpy(ls + llen, seed, seedlen);
    size_t lslen = llen + seedlen;
    unsigned alen = 0;
    if (!hmac(md, secret, slen, ls, lslen, a, &alen)) { /* A(1) */
        return false;
    }
    size_t done = 0;
    while (done < outlen) {
        memcpy(t, a, alen);
        memcpy(t + alen, ls, lslen);
        uint8_t block[64];
        unsigned blen = 0;
        if (!hmac(md, secret, slen, t, alen + lslen, block, &blen)) {
            return false;
        }
        size_t take = outlen - done < blen ? outlen - done : blen;
        memcpy(out + done, block, take);
        done += take;
        if (!hmac(md, secret, slen, a, alen, a, &alen)) { /* A(i+1) */
            return false;
        }
    }
    return true;
}

/* TLS 1.3 HKDF-Expand-Label with an empty context, one hash block at most (RFC 8446 7.1). */
static bool expand_label(const EVP_MD *md, const uint8_t *secret, size_t slen, const char *label, uint8_t *out,
                         size_t outlen)
{
    uint8_t info[2 + 1 + 6 + 32 + 1 + 1];
    size_t l = strlen(label);
    if (l > 32 || outlen > (size_t)EVP_MD_get_size(md)) {
        return false;
    }
    size_t n = 0;
    info[n++] = (uint8_t)(outlen >> 8);
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(6 + l);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, l);
    n += l;
    info[n++] = 0;    /* empty context */
    info[n++] = 0x01; /* T(1) = HMAC(PRK, info | 0x01) */
    uint8_t t[64];
    unsigned tlen = 0;
    if (!hmac(md, secret, slen, info, n, t, &tlen)) {
        return false;
    }
    memcpy(out, t, outlen);
    return true;
}

static int fail(char *err, size_t errcap, const char *fmt, const char *a, unsigned long b)
{
    snprintf(err, errcap, fmt, a, b);
    return 1;
}

static void hexs(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
}

/* Keys of direction @p d (1: client) for its current phase. */
static int derive(struct v2gd_tls *c, const struct v2gd_keylog *k, int d, char *err, size_t errcap)
{
    struct v2gd_tls_dir *D = &c->dir[d];
    char rnd[17];
    hexs(c->client_random, 8, rnd);
    if (!c->have_client_random || !c->have_server_hello) {
        return fail(err, errcap, "%s: the capture lacks the ClientHello or ServerHello (%lu)", "no keys", 0);
    }
    const struct suite *s = suite_find(c->suite);
    if (s == NULL) {
        char b[8];
        return fail(err, errcap, "cipher suite %s is not supported%.0lu", v2gd_tls_suite_name(c->suite, b), 0);
    }
    if (s->tls13 != (c->version == 0x0304)) {
        return fail(err, errcap, "cipher suite %s with a different TLS version%.0lu", s->name, 0);
    }
    const EVP_MD *md = md_of(s->prf);
    if (s->tls13) {
        if (!D->keyed && D->phase > 0 && D->secret[0] == 0 && D->secret[1] == 0) {
            int label = D->phase == 1 ? (d ? V2GD_KEY_CLIENT_HS : V2GD_KEY_SERVER_HS)
                                      : (d ? V2GD_KEY_CLIENT_AP : V2GD_KEY_SERVER_AP);
            const struct v2gd_key *key = key_find(k, label, c->client_random);
            if (key == NULL) {
                snprintf(err, errcap, "no key log line %s for this session (client random %s...)",
                         label_names[label], rnd);
                return 1;
            }
            if ((int)key->len != EVP_MD_get_size(md)) {
                return fail(err, errcap, "key log secret of %s has the wrong length for the suite%.0lu",
                            label_names[label], 0);
            }
            memcpy(D->secret, key->secret, key->len);
        }
        size_t hl = (size_t)EVP_MD_get_size(md);
        if (!expand_label(md, D->secret, hl, "key", D->key, s->key_len) ||
            !expand_label(md, D->secret, hl, "iv", D->iv, 12)) {
            return fail(err, errcap, "%s%.0lu", "key derivation failed", 0);
        }
    } else {
        const struct v2gd_key *key = key_find(k, V2GD_KEY_CLIENT_RANDOM, c->client_random);
        if (key == NULL) {
            snprintf(err, errcap, "no key log line CLIENT_RANDOM for this session (client random %s...)", rnd);
            return 1;
        }
        if (key->len != 48) {
            return fail(err, errcap, "%s: master secret is not 48 bytes (%lu)", "key log", key->len);
        }
        size_t mac = s->kind == SK_CBC ? (size_t)EVP_MD_get_size(md_of(s->mac)) : 0;
        size_t ivl = s->kind == SK_CBC ? 16 : s->kind == SK_CHACHA ? 12 : 4;
        uint8_t seed[64], kb[2 * (48 + 32 + 16)];
        memcpy(seed, c->server_random, 32);
        memcpy(seed + 32, c->client_random, 32);
        size_t need = 2 * (mac + s->key_len + ivl);
        if (!prf12(md, key->secret, 48, "key expansion", seed, 64, kb, need)) {
            return fail(err, errcap, "%s%.0lu", "key derivation failed", 0);
        }
        /* client MAC, server MAC, client key, server key, client IV, server IV */
        size_t side = d ? 0 : 1;
        memcpy(D->mac_key, kb + side * mac, mac);
        memcpy(D->key, kb + 2 * mac + side * s->key_len, s->key_len);
        memcpy(D->iv, kb + 2 * mac + 2 * s->key_len + side * ivl, ivl);
    }
    D->keyed = true;
    return 0;
}

/* ------------------------------------------------------------------ record protection */

static const EVP_CIPHER *cipher_of(const struct suite *s)
{
    switch (s->kind) {
    case SK_CBC:
        return s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
    case SK_GCM:
        return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    case SK_CCM:
        return s->key_len == 16 ? EVP_aes_128_ccm() : EVP_aes_256_ccm();
    default:
        return EVP_chacha20_poly1305();
    }
}

/* AEAD open with a 16-byte tag at the end of @p ct. */
static bool aead_open(const struct suite *s, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                      size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out, size_t *outlen)
{
    if (ctlen < 16) {
        return false;
    }
    size_t n = ctlen - 16;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x == NULL) {
        return false;
    }
    bool ok = false;
    int l = 0, l2 = 0;
    uint8_t tag[16];
    memcpy(tag, ct + n, 16);
    if (EVP_DecryptInit_ex(x, cipher_of(s), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1) {
        goto out;
    }
    if (s->kind == SK_CCM) {
        /* CCM wants the tag and the total length before the data. */
        if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
            EVP_DecryptInit_ex(x, NULL, NULL, key, nonce) != 1 ||
            EVP_DecryptUpdate(x, NULL, &l, NULL, (int)n) != 1 ||
            EVP_DecryptUpdate(x, NULL, &l, aad, (int)aadlen) != 1) {
            goto out;
        }
        ok = EVP_DecryptUpdate(x, out, &l, ct, (int)n) == 1;
        *outlen = (size_t)l;
        goto out;
    }
    if (EVP_DecryptInit_ex(x, NULL, NULL, key, nonce) != 1 ||
        EVP_DecryptUpdate(x, NULL, &l, aad, (int)aadlen) != 1 || EVP_DecryptUpdate(x, out, &l, ct, (int)n) != 1 ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 || EVP_DecryptFinal_ex(x, out + l, &l2) != 1) {
        goto out;
    }
    *outlen = (size_t)(l + l2);
    ok = true;
out:
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* TLS 1.2 CBC: IV | ciphertext (| MAC with encrypt-then-MAC). */
static bool cbc_open(const struct v2gd_tls *c, const struct suite *s, const struct v2gd_tls_dir *D,
                     const uint8_t *hdr, const uint8_t *rec, size_t n, uint8_t *out, size_t *outlen)
{
    const EVP_MD *md = md_of(s->mac);
    size_t maclen = (size_t)EVP_MD_get_size(md);
    uint8_t mac_in[13], mac[64];
    unsigned ml = 0;
    put64(mac_in, D->seq);
    mac_in[8] = hdr[0];
    mac_in[9] = hdr[1];
    mac_in[10] = hdr[2];
    if (c->etm) {
        if (n < 16 + maclen) {
            return false;
        }
        n -= maclen;
        mac_in[11] = (uint8_t)(n >> 8);
        mac_in[12] = (uint8_t)n;
        uint8_t *buf = malloc(13 + n);
        if (buf == NULL) {
            return false;
        }
        memcpy(buf, mac_in, 13);
        memcpy(buf + 13, rec, n);
        bool ok = hmac(md, D->mac_key, maclen, buf, 13 + n, mac, &ml) && CRYPTO_memcmp(mac, rec + n, maclen) == 0;
        free(buf);
        if (!ok) {
            return false;
        }
    }
    if (n < 32 || (n - 16) % 16 != 0) {
        return false;
    }
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x == NULL) {
        return false;
    }
    int l = 0, l2 = 0;
    bool ok = EVP_DecryptInit_ex(x, cipher_of(s), NULL, D->key, rec) == 1 && EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
              EVP_DecryptUpdate(x, out, &l, rec + 16, (int)(n - 16)) == 1 && EVP_DecryptFinal_ex(x, out + l, &l2) == 1;
    EVP_CIPHER_CTX_free(x);
    if (!ok) {
        return false;
    }
    size_t m = (size_t)(l + l2);
    size_t pad = out[m - 1];
    if (pad + 1 > m) {
        return false;
    }
    for (size_t i = 0; i <= pad; i++) {
        if (out[m - 1 - i] != pad) {
            return false;
        }
    }
    m -= pad + 1;
    if (!c->etm) {
        if (m < maclen) {
            return false;
        }
        m -= maclen;
        mac_in[11] = (uint8_t)(m >> 8);
        mac_in[12] = (uint8_t)m;
        uint8_t *buf = malloc(13 + m);
        if (buf == NULL) {
            return false;
        }
        memcpy(buf, mac_in, 13);
        memcpy(buf + 13, out, m);
        ok = hmac(md, D->mac_key, maclen, buf, 13 + m, mac, &ml) && CRYPTO_memcmp(mac, out + m, maclen) == 0;
        free(buf);
        if (!ok) {
            return false;
        }
    }
    *outlen = m;
    return true;
}

/* ------------------------------------------------------------------ handshake */

static int hs_message(struct v2gd_tls *c, int d, uint8_t type, const uint8_t *b, size_t n, int *switch_to)
{
    if (type == 1 && d == 1 && n >= 34) { /* ClientHello: version, random */
        memcpy(c->client_random, b + 2, 32);
        c->have_client_random = true;
    } else if (type == 2 && d == 0 && n >= 38) { /* ServerHello */
        memcpy(c->server_random, b + 2, 32);
        c->version = (uint16_t)(b[0] << 8 | b[1]);
        size_t o = 34u + 1u + b[34];
        if (o + 3 > n) {
            return 0;
        }
        c->suite = (uint16_t)(b[o] << 8 | b[o + 1]);
        o += 3;
        if (o + 2 <= n) {
            size_t el = (size_t)(b[o] << 8 | b[o + 1]);
            o += 2;
            size_t end = o + el <= n ? o + el : n;
            while (o + 4 <= end) {
                uint16_t et = (uint16_t)(b[o] << 8 | b[o + 1]);
                size_t len = (size_t)(b[o + 2] << 8 | b[o + 3]);
                if (o + 4 + len > end) {
                    break;
                }
                if (et == 43 && len == 2) { /* supported_versions: the real version */
                    c->version = (uint16_t)(b[o + 4] << 8 | b[o + 5]);
                } else if (et == 22) {
                    c->etm = true;
                }
                o += 4 + len;
            }
        }
        c->have_server_hello = true;
    } else if (type == 20 && c->version == 0x0304 && c->dir[d].phase == 1) {
        *switch_to = 2; /* Finished: application keys from the next record on */
    } else if (type == 24 && c->version == 0x0304 && c->dir[d].phase == 2) {
        *switch_to = 3; /* KeyUpdate: next generation of this direction's secret */
    }
    return 0;
}

static int hs_feed(struct v2gd_tls *c, int d, const uint8_t *p, size_t n, int *switch_to, char *err, size_t errcap)
{
    struct v2gd_tls_dir *D = &c->dir[d];
    if (n == 0) {
        return 0; /* an empty record: nothing to add (and no buffer yet, perhaps) */
    }
    if (D->hlen + n > TLS_MAX_HS) {
        return fail(err, errcap, "%shandshake message longer than %lu bytes", "", TLS_MAX_HS);
    }
    if (D->hlen + n > D->hcap) {
        size_t cap = D->hcap ? D->hcap : 4096;
        while (cap < D->hlen + n) {
            cap *= 2;
        }
        uint8_t *b = realloc(D->hs, cap);
        if (b == NULL) {
            return fail(err, errcap, "%sout of memory%.0lu", "", 0);
        }
        D->hs = b;
        D->hcap = cap;
    }
    memcpy(D->hs + D->hlen, p, n);
    D->hlen += n;
    size_t off = 0;
    while (D->hlen - off >= 4) {
        const uint8_t *m = D->hs + off;
        size_t ml = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
        if (ml > TLS_MAX_HS) {
            return fail(err, errcap, "%shandshake message of %lu bytes", "", ml);
        }
        if (D->hlen - off < 4 + ml) {
            break;
        }
        hs_message(c, d, m[0], m + 4, ml, switch_to);
        off += 4 + ml;
    }
    memmove(D->hs, D->hs + off, D->hlen - off);
    D->hlen -= off;
    return 0;
}

/* ------------------------------------------------------------------ records */

static int record(struct v2gd_tls *c, const struct v2gd_keylog *k, int d, const uint8_t *r, size_t n,
                  v2gd_tls_data_fn fn, void *ctx, char *err, size_t errcap)
{
    struct v2gd_tls_dir *D = &c->dir[d];
    uint8_t type = r[0];
    const uint8_t *body = r + 5;
    size_t blen = n - 5;
    if (!D->encrypted && c->version == 0x0304 && type == 23) {
        D->encrypted = true; /* TLS 1.3: everything after the ServerHello is protected */
        D->phase = 1;
        D->keyed = false;
        D->seq = 0;
        memset(D->secret, 0, sizeof D->secret);
    }
    if (!D->encrypted) {
        if (type == 22) {
            int sw = 0;
            return hs_feed(c, d, body, blen, &sw, err, errcap);
        }
        if (type == 20 && c->version != 0x0304) {
            D->encrypted = true; /* ChangeCipherSpec: the next record is protected */
            D->keyed = false;
            D->seq = 0;
        }
        if (type == 23) {
            return fail(err, errcap, "%sapplication data before the handshake ends (%lu bytes)", "", blen);
        }
        return 0;
    }
    if (type == 20 && c->version == 0x0304) {
        return 0; /* TLS 1.3 middlebox-compatibility ChangeCipherSpec: not protected */
    }
    if (!D->keyed) {
        int rc = derive(c, k, d, err, errcap);
        if (rc != 0) {
            return rc;
        }
    }
    const struct suite *s = suite_find(c->suite);
    uint8_t *pt = malloc(blen + 16);
    if (pt == NULL) {
        return fail(err, errcap, "%sout of memory%.0lu", "", 0);
    }
    size_t ptlen = 0;
    bool ok;
    uint8_t nonce[12];
    if (s->tls13) {
        memcpy(nonce, D->iv, 12);
        uint8_t sq[8];
        put64(sq, D->seq);
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] ^= sq[i];
        }
        ok = aead_open(s, D->key, nonce, r, 5, body, blen, pt, &ptlen);
        if (ok) {
            while (ptlen > 0 && pt[ptlen - 1] == 0) {
                ptlen--; /* padding of the inner plaintext */
            }
            ok = ptlen > 0;
            if (ok) {
                type = pt[--ptlen];
            }
        }
    } else if (s->kind == SK_CBC) {
        ok = cbc_open(c, s, D, r, body, blen, pt, &ptlen);
    } else {
        size_t explicit_iv = s->kind == SK_CHACHA ? 0 : 8;
        uint8_t aad[13];
        put64(aad, D->seq);
        aad[8] = r[0];
        aad[9] = r[1];
        aad[10] = r[2];
        ok = blen >= explicit_iv + 16;
        if (ok) {
            size_t m = blen - explicit_iv - 16;
            aad[11] = (uint8_t)(m >> 8);
            aad[12] = (uint8_t)m;
            if (s->kind == SK_CHACHA) {
                memcpy(nonce, D->iv, 12);
                for (int i = 0; i < 8; i++) {
                    nonce[4 + i] ^= aad[i];
                }
            } else {
                memcpy(nonce, D->iv, 4);
                memcpy(nonce + 4, body, 8);
            }
            ok = aead_open(s, D->key, nonce, aad, 13, body + explicit_iv, blen - explicit_iv, pt, &ptlen);
        }
    }
    if (!ok) {
        free(pt);
        snprintf(err, errcap,
                 "record %lu fails its authentication check (%s): the key log does not belong to this session",
                 (unsigned long)D->seq, s->name);
        return 1;
    }
    D->seq++;
    c->records++;
    int rc = 0, sw = 0;
    if (type == 22) {
        rc = hs_feed(c, d, pt, ptlen, &sw, err, errcap);
    } else if (type == 23 && fn != NULL) {
        rc = fn(ctx, d == 1, pt, ptlen);
    }
    free(pt);
    if (sw == 2 || sw == 3) {
        if (sw == 3) {
            const EVP_MD *md = md_of(s->prf);
            size_t hl = (size_t)EVP_MD_get_size(md);
            uint8_t next[64];
            if (!expand_label(md, D->secret, hl, "traffic upd", next, hl)) {
                return fail(err, errcap, "%sKeyUpdate derivation failed%.0lu", "", 0);
            }
            memcpy(D->secret, next, hl);
        } else {
            D->phase = 2;
            memset(D->secret, 0, sizeof D->secret);
        }
        D->keyed = false;
        D->seq = 0;
    }
    return rc;
}

int v2gd_tls_feed(struct v2gd_tls *c, const struct v2gd_keylog *k, bool from_client, const uint8_t *p, size_t n,
                  v2gd_tls_data_fn fn, void *ctx, char *err, size_t errcap)
{
    int d = from_client ? 1 : 0;
    struct v2gd_tls_dir *D = &c->dir[d];
    if (D->failed || n == 0) {
        return 0;
    }
    if (D->rlen + n > D->rcap) {
        size_t cap = D->rcap ? D->rcap : 8192;
        while (cap < D->rlen + n) {
            cap *= 2;
        }
        uint8_t *b = realloc(D->rec, cap);
        if (b == NULL) {
            D->failed = true;
            return fail(err, errcap, "%sout of memory%.0lu", "", 0);
        }
        D->rec = b;
        D->rcap = cap;
    }
    memcpy(D->rec + D->rlen, p, n);
    D->rlen += n;
    size_t off = 0;
    int rc = 0;
    while (D->rlen - off >= 5) {
        const uint8_t *r = D->rec + off;
        size_t len = (size_t)(r[3] << 8 | r[4]);
        if (r[0] < 20 || r[0] > 24 || r[1] != 3 || len > TLS_MAX_RECORD) {
            D->failed = true;
            rc = fail(err, errcap, "%snot a TLS record (type %lu): stream lost", "", r[0]);
            break;
        }
        if (D->rlen - off < 5 + len) {
            break;
        }
        rc = record(c, k, d, r, 5 + len, fn, ctx, err, errcap);
        off += 5 + len;
        if (rc == 1) {
            D->failed = true;
            break;
        }
        if (rc != 0) {
            break;
        }
    }
    memmove(D->rec, D->rec + off, D->rlen - off);
    D->rlen -= off;
    return rc;
}

void v2gd_tls_free(struct v2gd_tls *c)
{
    for (int d = 0; d < 2; d++) {
        free(c->dir[d].rec);
        free(c->dir[d].hs);
    }
    memset(c, 0, sizeof *c);
}
