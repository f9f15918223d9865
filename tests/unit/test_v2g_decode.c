/* Unit tests of v2g-decode's own parts: the key log reader, TLS 1.2 and 1.3 record
 * decryption (records built here with OpenSSL's own TLS 1.2 PRF and HKDF, so the
 * decoder's key schedule is checked against an independent one), and the message
 * name and values taken from a decoded DIN CurrentDemandReq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "../../tools/v2g-decode/v2gd_exi.h"
#include "../../tools/v2g-decode/v2gd_tls.h"
#include "exi/exi_din.h"
#include "exi/exi_stream.h"

/* ------------------------------------------------------------------ key log */

static void test_keylog_lines(void **st)
{
    (void)st;
    struct v2gd_keylog k = {0};
    const char text[] =
        "# a comment\n"
        "CLIENT_RANDOM 0001020304050607080910111213141516171819202122232425262728293031 "
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\r\n"
        "SERVER_TRAFFIC_SECRET_0 00d5af10a1facef720c4af0fe39b329813ad2ff0f643fbd13f66f1a6f218ff4f 0102\n"
        "CLIENT_RANDOM 00 11\n"          /* random too short: refused */
        "CLIENT_RANDOM zz01 11\n"        /* not hex */
        "EXPORTER_SECRET 00 11\n";       /* a label not needed: skipped, not bad */
    assert_int_equal(v2gd_keylog_add(&k, text, strlen(text)), 2);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.bad_lines, 2);
    assert_int_equal(k.v[0].label, V2GD_KEY_CLIENT_RANDOM);
    assert_int_equal(k.v[0].len, 48);
    assert_int_equal(k.v[0].random[31], 0x31);
    assert_int_equal(k.v[1].label, V2GD_KEY_SERVER_AP);
    assert_int_equal(k.v[1].len, 2);
    assert_true(v2gd_keylog_looks_like((const uint8_t *)"CLIENT_RANDOM ab", 16));
    assert_false(v2gd_keylog_looks_like((const uint8_t *)"\x01\xfe\x90\x00", 4));
    v2gd_keylog_free(&k);
}

/* ------------------------------------------------------------------ TLS records */

struct sink {
    uint8_t got[2][256];
    size_t n[2];
};

static int on_data(void *ctx, bool from_client, const uint8_t *p, size_t n)
{
    struct sink *s = ctx;
    int d = from_client ? 1 : 0;
    assert_true(s->n[d] + n <= sizeof s->got[d]);
    memcpy(s->got[d] + s->n[d], p, n);
    s->n[d] += n;
    return 0;
}

static size_t record(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
{
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(n >> 8);
    out[4] = (uint8_t)n;
    memcpy(out + 5, body, n);
    return 5 + n;
}

static bool hello_etm; /* the ServerHello agrees to encrypt-then-MAC */

/* ClientHello / ServerHello bodies with just what the decoder reads. */
static size_t hello(uint8_t *out, uint8_t type, const uint8_t random[32], uint16_t suite, bool tls13)
{
    uint8_t b[128];
    size_t n = 0;
    b[n++] = type;
    n += 3; /* length, below */
    b[n++] = 3;
    b[n++] = 3;
    memcpy(b + n, random, 32);
    n += 32;
    b[n++] = 0; /* session id */
    if (type == 1) {
        b[n++] = 0;
        b[n++] = 2;
    }
    b[n++] = (uint8_t)(suite >> 8);
    b[n++] = (uint8_t)suite;
    if (type == 1) {
        b[n++] = 1;
    }
    b[n++] = 0; /* compression */
    if (tls13) {
        static const uint8_t ext[] = {0, 6, 0, 43, 0, 2, 3, 4};
        memcpy(b + n, ext, sizeof ext);
        n += sizeof ext;
    } else if (type == 2 && hello_etm) {
        static const uint8_t ext[] = {0, 4, 0, 22, 0, 0}; /* encrypt_then_mac */
        memcpy(b + n, ext, sizeof ext);
        n += sizeof ext;
    } else {
        b[n++] = 0;
        b[n++] = 0;
    }
    size_t l = n - 4;
    b[1] = (uint8_t)(l >> 16);
    b[2] = (uint8_t)(l >> 8);
    b[3] = (uint8_t)l;
    return record(out, 22, b, n);
}

static void gcm_seal(const EVP_CIPHER *c, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, const uint8_t *pt, size_t n, uint8_t *out)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l = 0;
    assert_int_equal(EVP_EncryptInit_ex(x, c, NULL, NULL, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL), 1);
    assert_int_equal(EVP_EncryptInit_ex(x, NULL, NULL, key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(x, NULL, &l, aad, (int)aadlen), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &l, pt, (int)n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out + l, &l), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + n), 1);
    EVP_CIPHER_CTX_free(x);
}

/* AEAD seal for GCM, ChaCha20-Poly1305 and CCM (16-byte tag appended). */
static void aead_seal(const EVP_CIPHER *c, bool ccm, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                      size_t aadlen, const uint8_t *pt, size_t n, uint8_t *out)
{
    if (!ccm) {
        gcm_seal(c, key, nonce, aad, aadlen, pt, n, out);
        return;
    }
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l = 0;
    assert_int_equal(EVP_EncryptInit_ex(x, c, NULL, NULL, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, NULL), 1);
    assert_int_equal(EVP_EncryptInit_ex(x, NULL, NULL, key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(x, NULL, &l, NULL, (int)n), 1);
    assert_int_equal(EVP_EncryptUpdate(x, NULL, &l, aad, (int)aadlen), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &l, pt, (int)n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out + l, &l), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + n), 1);
    EVP_CIPHER_CTX_free(x);
}

static const uint8_t v2gtp_msg[] = {0x01, 0xFE, 0x80, 0x01, 0, 0, 0, 3, 0x80, 0x00, 0xEB};

/* TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 (or -CHACHA20-POLY1305): key block from OpenSSL's
 * TLS1-PRF. GCM: 4-byte salt + 8 explicit nonce bytes in the record; ChaCha: 12-byte IV
 * XOR the sequence number, nothing explicit. */
static void tls12_session(void **st, bool right_secret, bool chacha)
{
    (void)st;
    uint8_t cr[32], sr[32], ms[48];
    for (int i = 0; i < 32; i++) {
        cr[i] = (uint8_t)i;
        sr[i] = (uint8_t)(0xA0 + i);
    }
    for (int i = 0; i < 48; i++) {
        ms[i] = (uint8_t)(7 * i);
    }
    uint8_t kb[88]; /* client key, server key, client IV/salt, server IV/salt */
    size_t key_len = chacha ? 32 : 16, iv_len = chacha ? 12 : 4;
    uint16_t suite = chacha ? 0xCCA8 : 0xC02F;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);
    uint8_t seed[64];
    memcpy(seed, sr, 32);
    memcpy(seed + 32, cr, 32);
    size_t kbl = 2 * (key_len + iv_len);
    assert_int_equal(EVP_PKEY_derive_init(pc), 1);
    assert_int_equal(EVP_PKEY_CTX_set_tls1_prf_md(pc, EVP_sha256()), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_tls1_prf_secret(pc, ms, 48), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(pc, (const unsigned char *)"key expansion", 13), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(pc, seed, 64), 1);
    assert_int_equal(EVP_PKEY_derive(pc, kb, &kbl), 1);
    EVP_PKEY_CTX_free(pc);

    /* The client's first two protected records (seq 0 and 1) carry a V2GTP message each:
     * the sequence number is in the AAD, and (ChaCha) in the nonce. */
    uint8_t body[2][128], aad[13] = {0};
    uint8_t nonce[12];
    static const uint8_t explicit_iv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t ex = chacha ? 0 : 8;
    for (uint8_t seq = 0; seq < 2; seq++) {
        memcpy(nonce, kb + 2 * key_len, iv_len); /* client write IV (ChaCha) or salt (GCM) */
        if (chacha) {
            nonce[11] ^= seq;
        } else {
            memcpy(nonce + 4, explicit_iv, 8);
            memcpy(body[seq], explicit_iv, 8);
        }
        aad[7] = seq;
        aad[8] = 23;
        aad[9] = 3;
        aad[10] = 3;
        aad[12] = sizeof v2gtp_msg;
        gcm_seal(chacha ? EVP_chacha20_poly1305() : EVP_aes_128_gcm(), kb, nonce, aad, 13, v2gtp_msg,
                 sizeof v2gtp_msg, body[seq] + ex);
    }

    char log[300];
    char hx[3];
    strcpy(log, "CLIENT_RANDOM ");
    for (int i = 0; i < 32; i++) {
        snprintf(hx, sizeof hx, "%02x", cr[i]);
        strcat(log, hx);
    }
    strcat(log, " ");
    for (int i = 0; i < 48; i++) {
        snprintf(hx, sizeof hx, "%02x", (uint8_t)(ms[i] ^ (right_secret ? 0 : (i == 0))));
        strcat(log, hx);
    }
    struct v2gd_keylog k = {0};
    assert_int_equal(v2gd_keylog_add(&k, log, strlen(log)), 1);

    struct v2gd_tls c;
    memset(&c, 0, sizeof c);
    struct sink s = {0};
    char err[200] = "";
    uint8_t buf[256];
    size_t n = hello(buf, 1, cr, suite, false);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 0);
    n = hello(buf, 2, sr, suite, false);
    assert_int_equal(v2gd_tls_feed(&c, &k, false, buf, n, on_data, &s, err, sizeof err), 0);
    assert_int_equal(c.suite, suite);
    static const uint8_t ccs[] = {1};
    n = record(buf, 20, ccs, 1);
    size_t m = record(buf + n, 23, body[0], ex + sizeof v2gtp_msg + 16);
    m += record(buf + n + m, 23, body[1], ex + sizeof v2gtp_msg + 16);
    /* Fed a byte at a time: records are reassembled across segments. */
    int rc = 0;
    for (size_t i = 0; i < n + m && rc == 0; i++) {
        rc = v2gd_tls_feed(&c, &k, true, buf + i, 1, on_data, &s, err, sizeof err);
    }
    if (right_secret) {
        assert_int_equal(rc, 0);
        assert_int_equal(s.n[1], 2 * sizeof v2gtp_msg);
        assert_memory_equal(s.got[1], v2gtp_msg, sizeof v2gtp_msg);
        assert_memory_equal(s.got[1] + sizeof v2gtp_msg, v2gtp_msg, sizeof v2gtp_msg);
    } else {
        assert_int_equal(rc, 1);
        assert_non_null(strstr(err, "authentication"));
        assert_int_equal(s.n[1], 0);
    }
    v2gd_tls_free(&c);
    v2gd_keylog_free(&k);
}

/* TLS 1.2 ECDHE-RSA-AES128-CBC-SHA256, MAC-then-encrypt or encrypt-then-MAC (RFC 7366). */
static void tls12_cbc(bool etm)
{
    uint8_t cr[32], sr[32], ms[48];
    for (int i = 0; i < 32; i++) {
        cr[i] = (uint8_t)(i * 3);
        sr[i] = (uint8_t)(0x10 + i);
    }
    for (int i = 0; i < 48; i++) {
        ms[i] = (uint8_t)(11 * i);
    }
    uint8_t kb[2 * (32 + 16 + 16)]; /* MACs, keys, IVs */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);
    uint8_t seed[64];
    memcpy(seed, sr, 32);
    memcpy(seed + 32, cr, 32);
    size_t kbl = sizeof kb;
    assert_int_equal(EVP_PKEY_derive_init(pc), 1);
    assert_int_equal(EVP_PKEY_CTX_set_tls1_prf_md(pc, EVP_sha256()), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_tls1_prf_secret(pc, ms, 48), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(pc, (const unsigned char *)"key expansion", 13), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(pc, seed, 64), 1);
    assert_int_equal(EVP_PKEY_derive(pc, kb, &kbl), 1);
    EVP_PKEY_CTX_free(pc);
    const uint8_t *mac_key = kb, *enc_key = kb + 64;

    /* seq 0 record: IV | CBC(content [| MAC] | padding) [| MAC over IV | ciphertext]. */
    uint8_t plain[96], rec_body[160], mac_in[13 + 160];
    unsigned ml = 0;
    size_t pl = sizeof v2gtp_msg;
    memcpy(plain, v2gtp_msg, pl);
    memset(mac_in, 0, sizeof mac_in); /* the length's high byte (mac_in[11]) too: it was left to the stack */
    mac_in[8] = 23;
    mac_in[9] = 3;
    mac_in[10] = 3;
    if (!etm) {
        mac_in[12] = (uint8_t)pl;
        memcpy(mac_in + 13, plain, pl);
        assert_non_null(HMAC(EVP_sha256(), mac_key, 32, mac_in, 13 + pl, plain + pl, &ml));
        pl += 32;
    }
    size_t pad = 15 - pl % 16;
    memset(plain + pl, (int)pad, pad + 1);
    pl += pad + 1;
    static const uint8_t iv[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
    memcpy(rec_body, iv, 16);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l = 0;
    assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, enc_key, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(x, 0), 1);
    assert_int_equal(EVP_EncryptUpdate(x, rec_body + 16, &l, plain, (int)pl), 1);
    EVP_CIPHER_CTX_free(x);
    size_t bl = 16 + pl;
    if (etm) {
        mac_in[11] = (uint8_t)(bl >> 8);
        mac_in[12] = (uint8_t)bl;
        memcpy(mac_in + 13, rec_body, bl);
        assert_non_null(HMAC(EVP_sha256(), mac_key, 32, mac_in, 13 + bl, rec_body + bl, &ml));
        bl += 32;
    }

    char log[300] = "CLIENT_RANDOM ", hx[3];
    for (int i = 0; i < 32; i++) {
        snprintf(hx, sizeof hx, "%02x", cr[i]);
        strcat(log, hx);
    }
    strcat(log, " ");
    for (int i = 0; i < 48; i++) {
        snprintf(hx, sizeof hx, "%02x", ms[i]);
        strcat(log, hx);
    }
    struct v2gd_keylog k = {0};
    assert_int_equal(v2gd_keylog_add(&k, log, strlen(log)), 1);
    struct v2gd_tls c;
    memset(&c, 0, sizeof c);
    struct sink s = {0};
    char err[200] = "";
    uint8_t buf[256];
    hello_etm = etm;
    size_t n = hello(buf, 1, cr, 0xC027, false);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 0);
    n = hello(buf, 2, sr, 0xC027, false);
    assert_int_equal(v2gd_tls_feed(&c, &k, false, buf, n, on_data, &s, err, sizeof err), 0);
    hello_etm = false;
    assert_int_equal(c.etm, etm);
    static const uint8_t ccs[] = {1};
    n = record(buf, 20, ccs, 1);
    n += record(buf + n, 23, rec_body, bl);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 0);
    assert_int_equal(s.n[1], sizeof v2gtp_msg);
    assert_memory_equal(s.got[1], v2gtp_msg, sizeof v2gtp_msg);
    v2gd_tls_free(&c);
    v2gd_keylog_free(&k);
}

static void test_tls12_cbc(void **st)
{
    (void)st;
    tls12_cbc(false);
}

static void test_tls12_cbc_etm(void **st)
{
    (void)st;
    tls12_cbc(true);
}

static void test_tls12_gcm(void **st) { tls12_session(st, true, false); }
static void test_tls12_chacha20(void **st) { tls12_session(st, true, true); }
static void test_tls12_wrong_secret(void **st) { tls12_session(st, false, false); }

/* HKDF-Expand-Label(secret, label, "", len) by OpenSSL's HKDF in expand-only mode. */
static void hkdf_label(const uint8_t *secret, size_t sl, const char *label, uint8_t *out, size_t len)
{
    uint8_t info[64];
    size_t n = 0, l = strlen(label);
    info[n++] = 0;
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + l);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, l);
    n += l;
    info[n++] = 0;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    assert_int_equal(EVP_PKEY_derive_init(pc), 1);
    assert_int_equal(EVP_PKEY_CTX_set_hkdf_mode(pc, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY), 1);
    assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256()), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(pc, secret, (int)sl), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(pc, info, (int)n), 1);
    assert_int_equal(EVP_PKEY_derive(pc, out, &len), 1);
    EVP_PKEY_CTX_free(pc);
}

/* TLS 1.3: the server's Finished under handshake keys, then application data. */
static void tls13_session(uint16_t suite, const EVP_CIPHER *cipher, size_t key_len, bool ccm)
{
    uint8_t cr[32], sr[32], shs[32], sap[32];
    for (int i = 0; i < 32; i++) {
        cr[i] = (uint8_t)(i + 1);
        sr[i] = (uint8_t)(0x50 + i);
        shs[i] = (uint8_t)(3 * i);
        sap[i] = (uint8_t)(5 * i + 1);
    }
    char log[512] = "", hx[3];
    const char *labels[2] = {"SERVER_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_TRAFFIC_SECRET_0 "};
    const uint8_t *secrets[2] = {shs, sap};
    for (int j = 0; j < 2; j++) {
        strcat(log, labels[j]);
        for (int i = 0; i < 32; i++) {
            snprintf(hx, sizeof hx, "%02x", cr[i]);
            strcat(log, hx);
        }
        strcat(log, " ");
        for (int i = 0; i < 32; i++) {
            snprintf(hx, sizeof hx, "%02x", secrets[j][i]);
            strcat(log, hx);
        }
        strcat(log, "\n");
    }
    struct v2gd_keylog k = {0};
    assert_int_equal(v2gd_keylog_add(&k, log, strlen(log)), 2);

    struct v2gd_tls c;
    memset(&c, 0, sizeof c);
    struct sink s = {0};
    char err[200] = "";
    uint8_t buf[512];
    size_t n = hello(buf, 1, cr, suite, false);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 0);
    n = hello(buf, 2, sr, suite, true);
    assert_int_equal(v2gd_tls_feed(&c, &k, false, buf, n, on_data, &s, err, sizeof err), 0);
    assert_int_equal(c.version, 0x0304);

    for (int phase = 0; phase < 2; phase++) {
        uint8_t key[32], iv[12];
        hkdf_label(secrets[phase], 32, "key", key, key_len);
        hkdf_label(secrets[phase], 32, "iv", iv, 12);
        uint8_t inner[64];
        size_t il;
        if (phase == 0) {
            static const uint8_t fin[] = {20, 0, 0, 4, 1, 2, 3, 4}; /* Finished */
            memcpy(inner, fin, sizeof fin);
            il = sizeof fin;
            inner[il++] = 22;
        } else {
            memcpy(inner, v2gtp_msg, sizeof v2gtp_msg);
            il = sizeof v2gtp_msg;
            inner[il++] = 23;
            inner[il++] = 0; /* padding */
        }
        uint8_t hdr[5] = {23, 3, 3, 0, (uint8_t)(il + 16)};
        uint8_t body[96];
        aead_seal(cipher, ccm, key, iv, hdr, 5, inner, il, body); /* seq 0: nonce = iv */
        n = record(buf, 23, body, il + 16);
        assert_int_equal(v2gd_tls_feed(&c, &k, false, buf, n, on_data, &s, err, sizeof err), 0);
    }
    assert_int_equal(s.n[0], sizeof v2gtp_msg);
    assert_memory_equal(s.got[0], v2gtp_msg, sizeof v2gtp_msg);
    /* The client direction has no key line in this log: an error that says which. */
    static const uint8_t junk[20] = {0};
    n = record(buf, 23, junk, sizeof junk);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 1);
    assert_non_null(strstr(err, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    /* ... reported once: the rest of the direction is dropped quietly. */
    assert_int_equal(v2gd_tls_feed(&c, &k, true, buf, n, on_data, &s, err, sizeof err), 0);
    v2gd_tls_free(&c);
    v2gd_keylog_free(&k);
}

static void test_tls13_aes128_gcm(void **st)
{
    (void)st;
    tls13_session(0x1301, EVP_aes_128_gcm(), 16, false);
}

static void test_tls13_chacha20(void **st)
{
    (void)st;
    tls13_session(0x1303, EVP_chacha20_poly1305(), 32, false);
}

static void test_tls13_aes128_ccm(void **st)
{
    (void)st;
    tls13_session(0x1304, EVP_aes_128_ccm(), 16, true);
}

static void test_tls_not_a_record(void **st)
{
    (void)st;
    struct v2gd_keylog k = {0};
    struct v2gd_tls c;
    memset(&c, 0, sizeof c);
    char err[200] = "";
    static const uint8_t bad[] = {0x01, 0xFE, 0x80, 0x01, 0, 0, 0, 0};
    assert_int_equal(v2gd_tls_feed(&c, &k, true, bad, sizeof bad, on_data, NULL, err, sizeof err), 1);
    assert_non_null(strstr(err, "not a TLS record"));
    static const uint8_t huge[] = {23, 3, 3, 0xFF, 0xFF};
    v2gd_tls_free(&c);
    assert_int_equal(v2gd_tls_feed(&c, &k, true, huge, sizeof huge, on_data, NULL, err, sizeof err), 1);
    v2gd_tls_free(&c);
}

/* ------------------------------------------------------------------ message values */

static void test_current_demand_values(void **st)
{
    (void)st;
    static const char hex[] = "809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e006"
                              "04000040a1503c00";
    uint8_t b[64];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    struct exi_din_document *doc = calloc(1, sizeof *doc);
    assert_non_null(doc);
    struct exi_reader r;
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_din_decode(&r, doc), 0);
    assert_string_equal(v2gd_msg_name(&exi_din_meta_document, doc), "CurrentDemandReq");
    struct v2gd_fields f;
    v2gd_fields_get(&exi_din_meta_document, doc, &f);
    assert_true(f.has[V2GD_EV_TARGET_V]);
    assert_true(f.v[V2GD_EV_TARGET_V] > 387.99 && f.v[V2GD_EV_TARGET_V] < 388.01); /* 3880 * 10^-1 */
    assert_true(f.has[V2GD_EV_TARGET_A]);
    assert_true(f.v[V2GD_EV_TARGET_A] > 0.99 && f.v[V2GD_EV_TARGET_A] < 1.01);
    assert_true(f.has[V2GD_SOC]);
    assert_true(f.v[V2GD_SOC] == 93.0);
    assert_int_equal(f.ev_ready, 1);
    assert_false(f.has[V2GD_EVSE_PRESENT_V]); /* a request carries no EVSE values */
    assert_null(f.txt[V2GD_RESPONSE_CODE]);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keylog_lines),        cmocka_unit_test(test_tls12_gcm),
        cmocka_unit_test(test_tls12_chacha20),      cmocka_unit_test(test_tls12_cbc),
        cmocka_unit_test(test_tls12_cbc_etm),
        cmocka_unit_test(test_tls12_wrong_secret),  cmocka_unit_test(test_tls13_aes128_gcm),
        cmocka_unit_test(test_tls13_chacha20),      cmocka_unit_test(test_tls13_aes128_ccm),
        cmocka_unit_test(test_tls_not_a_record),    cmocka_unit_test(test_current_demand_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
