/* Unit tests of protocols/x509: the DER parser on certificates built here field by field
 * (no certificate is copied from anywhere), and x509_chain_validate() on every bad case of
 * the ISO-2 profiles with its reason and the certificate it names.
 *
 * The signatures are made for a fake crypto port (an ops table in this file) that accepts
 * r||s when r is the digest it was given and s the X coordinate of the issuer's key: so a
 * verification passes only if the validator hashed exactly the TBS bytes and used the
 * right issuer's key. Real ECDSA is checked by tests/integration/pki_test.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sha256/sha256.h"
#include "x509/x509.h"

/* ------------------------------------------------------------------ fake crypto port */
struct tx_crypto {
    struct hal_crypto base;
    unsigned calls;
    int force; /* nonzero: answer this */
};

static int tx_verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub,
                     size_t pub_len, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                     size_t sig_len)
{
    struct tx_crypto *t = (struct tx_crypto *)c;
    t->calls++;
    if (t->force != 0) {
        return t->force;
    }
    if (curve != HAL_CRYPTO_SECP256R1 || pub_len != 65u || digest_len != 32u || sig_len != 64u) {
        return HAL_EINVAL;
    }
    return memcmp(sig, digest, 32) == 0 && memcmp(sig + 32, pub + 1, 32) == 0 ? HAL_OK : HAL_EPROTO;
}

static const struct hal_crypto_ops s_tx_ops = {.ecdsa_verify = tx_verify};

/* ------------------------------------------------------------------ DER builder */
struct tx_buf {
    uint8_t b[1200];
    size_t n;
};

static void tx_raw(struct tx_buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    if (n > 0) {
        memcpy(o->b + o->n, p, n);
    }
    o->n += n;
}

static void tx_tlv(struct tx_buf *o, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[4];
    size_t hn = 0;
    h[hn++] = tag;
    if (n < 0x80u) {
        h[hn++] = (uint8_t)n;
    } else if (n < 0x100u) {
        h[hn++] = 0x81;
        h[hn++] = (uint8_t)n;
    } else {
        h[hn++] = 0x82;
        h[hn++] = (uint8_t)(n >> 8);
        h[hn++] = (uint8_t)n;
    }
    tx_raw(o, h, hn);
    tx_raw(o, p, n);
}

static void tx_wrap(struct tx_buf *o, uint8_t tag, const struct tx_buf *in)
{
    tx_tlv(o, tag, in->b, in->n);
}

static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t OID_ECDSA_SHA384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t OID_EC_PUB[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_RSA_PUB[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_K256[] = {0x2b, 0x81, 0x04, 0x00, 0x0a};
static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};
static const uint8_t OID_O[] = {0x55, 0x04, 0x0a};
static const uint8_t OID_DC[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};
static const uint8_t OID_BC[] = {0x55, 0x1d, 0x13};
static const uint8_t OID_KU[] = {0x55, 0x1d, 0x0f};
static const uint8_t OID_SKI[] = {0x55, 0x1d, 0x0e};
static const uint8_t OID_COMMENT[] = {0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x0d};
static const uint8_t OID_PRIVATE[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01};

enum tx_key { TX_P256, TX_P384, TX_K256, TX_RSA };

/* What a test certificate says. Defaults (tx_spec_*) are the good ISO-2 profile. */
struct tx_spec {
    unsigned version;           /* 1 or 3 */
    const char *cn, *dc;        /* subject */
    const char *icn, *idc;      /* issuer */
    const char *nb, *na;        /* UTCTime YYMMDDHHMMSSZ */
    enum tx_key key;
    uint8_t key_id;             /* the key: X = 32 x key_id */
    uint8_t signer_id;          /* the issuer's key id */
    const uint8_t *sig_oid;
    size_t sig_oid_len;
    int bc;                     /* -1 absent, 0 CA:false, 1 CA:true */
    int pathlen;                /* -1 absent */
    int ku;                     /* -1 absent, else X509_KU_* bits */
    bool unknown_critical;
    size_t pad;                 /* bytes of a non-critical comment extension */
    bool bad_sig;
};

static void tx_name(struct tx_buf *o, const char *cn, const char *dc)
{
    struct tx_buf seq = {.n = 0};
    const uint8_t *oids[3] = {OID_CN, OID_O, OID_DC};
    size_t lens[3] = {sizeof OID_CN, sizeof OID_O, sizeof OID_DC};
    const char *vals[3] = {cn, "V2G unit test", dc};
    for (unsigned i = 0; i < 3; i++) {
        if (vals[i] == NULL) {
            continue;
        }
        struct tx_buf atv = {.n = 0}, set = {.n = 0};
        tx_tlv(&atv, 0x06, oids[i], lens[i]);
        tx_tlv(&atv, i == 2 ? 0x16 : 0x0c, vals[i], strlen(vals[i]));
        tx_wrap(&set, 0x30, &atv);
        tx_wrap(&seq, 0x31, &set);
    }
    tx_wrap(o, 0x30, &seq);
}

static void tx_ext(struct tx_buf *seq, const uint8_t *oid, size_t oid_len, bool critical,
                   const struct tx_buf *val)
{
    struct tx_buf e = {.n = 0};
    static const uint8_t t[] = {0xff};
    tx_tlv(&e, 0x06, oid, oid_len);
    if (critical) {
        tx_tlv(&e, 0x01, t, 1);
    }
    tx_wrap(&e, 0x04, val);
    tx_wrap(seq, 0x30, &e);
}

/* Build a whole certificate into @p out. */
static void tx_cert(const struct tx_spec *s, struct tx_buf *out)
{
    struct tx_buf tbs = {.n = 0}, body = {.n = 0}, t = {.n = 0}, u = {.n = 0};
    if (s->version == 3u) {
        static const uint8_t v2[] = {0x02, 0x01, 0x02};
        tx_tlv(&body, 0xa0, v2, sizeof v2);
    }
    static const uint8_t serial[] = {0x10, 0x01};
    tx_tlv(&body, 0x02, serial, sizeof serial);
    struct tx_buf alg = {.n = 0};
    tx_tlv(&alg, 0x06, s->sig_oid, s->sig_oid_len);
    tx_wrap(&body, 0x30, &alg);
    tx_name(&body, s->icn, s->idc);
    t.n = 0;
    /* UTCTime, or GeneralizedTime for a 15-character value (years from 2050) */
    tx_tlv(&t, strlen(s->nb) == 15u ? 0x18 : 0x17, s->nb, strlen(s->nb));
    tx_tlv(&t, strlen(s->na) == 15u ? 0x18 : 0x17, s->na, strlen(s->na));
    tx_wrap(&body, 0x30, &t);
    tx_name(&body, s->cn, s->dc);
    /* subjectPublicKeyInfo */
    struct tx_buf spki = {.n = 0}, ka = {.n = 0}, bits = {.n = 0};
    if (s->key == TX_RSA) {
        tx_tlv(&ka, 0x06, OID_RSA_PUB, sizeof OID_RSA_PUB);
        tx_tlv(&ka, 0x05, NULL, 0);
        struct tx_buf rsa = {.n = 0}, seq = {.n = 0};
        uint8_t n[129];
        memset(n, s->key_id, sizeof n);
        n[0] = 0x00;
        n[1] = 0xc1;
        static const uint8_t e[] = {0x01, 0x00, 0x01};
        tx_tlv(&rsa, 0x02, n, sizeof n);
        tx_tlv(&rsa, 0x02, e, sizeof e);
        tx_wrap(&seq, 0x30, &rsa);
        uint8_t z = 0;
        tx_raw(&bits, &z, 1);
        tx_raw(&bits, seq.b, seq.n);
    } else {
        tx_tlv(&ka, 0x06, OID_EC_PUB, sizeof OID_EC_PUB);
        const uint8_t *c = s->key == TX_P384 ? OID_P384 : s->key == TX_K256 ? OID_K256 : OID_P256;
        size_t cl = s->key == TX_P384 ? sizeof OID_P384 : s->key == TX_K256 ? sizeof OID_K256 : sizeof OID_P256;
        tx_tlv(&ka, 0x06, c, cl);
        size_t fb = s->key == TX_P384 ? 48u : 32u;
        uint8_t pt[1 + 2 * 48];
        pt[0] = 0x04;
        memset(pt + 1, s->key_id, 2u * fb);
        uint8_t z = 0;
        tx_raw(&bits, &z, 1);
        tx_raw(&bits, pt, 1u + 2u * fb);
    }
    tx_wrap(&spki, 0x30, &ka);
    tx_wrap(&spki, 0x03, &bits);
    tx_wrap(&body, 0x30, &spki);
    if (s->version == 3u) {
        struct tx_buf exts = {.n = 0}, v = {.n = 0};
        if (s->bc >= 0) {
            struct tx_buf bc = {.n = 0};
            static const uint8_t tr[] = {0xff};
            if (s->bc == 1) {
                tx_tlv(&bc, 0x01, tr, 1);
            }
            if (s->pathlen >= 0) {
                uint8_t pl = (uint8_t)s->pathlen;
                tx_tlv(&bc, 0x02, &pl, 1);
            }
            v.n = 0;
            tx_wrap(&v, 0x30, &bc);
            tx_ext(&exts, OID_BC, sizeof OID_BC, true, &v);
        }
        if (s->ku >= 0) {
            /* named bits: bit 0 is the MSB of the first byte */
            uint8_t kb[3] = {0, 0, 0};
            for (unsigned i = 0; i < 9u; i++) {
                if (((unsigned)s->ku & (1u << i)) != 0u) {
                    kb[1u + i / 8u] |= (uint8_t)(0x80u >> (i % 8u));
                }
            }
            size_t kl = ((unsigned)s->ku & X509_KU_DECIPHER_ONLY) != 0u ? 3u : 2u;
            v.n = 0;
            tx_tlv(&v, 0x03, kb, kl);
            tx_ext(&exts, OID_KU, sizeof OID_KU, true, &v);
        }
        uint8_t ski[20];
        memset(ski, s->key_id, sizeof ski);
        v.n = 0;
        tx_tlv(&v, 0x04, ski, sizeof ski);
        tx_ext(&exts, OID_SKI, sizeof OID_SKI, false, &v);
        if (s->unknown_critical) {
            v.n = 0;
            tx_tlv(&v, 0x0c, "x", 1);
            tx_ext(&exts, OID_PRIVATE, sizeof OID_PRIVATE, true, &v);
        }
        if (s->pad > 0) {
            static uint8_t pad[1024];
            memset(pad, 'p', sizeof pad);
            v.n = 0;
            tx_tlv(&v, 0x16, pad, s->pad);
            tx_ext(&exts, OID_COMMENT, sizeof OID_COMMENT, false, &v);
        }
        u.n = 0;
        tx_wrap(&u, 0x30, &exts);
        tx_wrap(&body, 0xa3, &u);
    }
    tx_wrap(&tbs, 0x30, &body);
    /* the signature the fake port accepts: r = SHA-256(TBS), s = issuer's X */
    uint8_t d[32];
    sha256_digest(tbs.b, tbs.n, d);
    if (s->bad_sig) {
        d[5] ^= 0x01;
    }
    uint8_t r[33], sx[32];
    size_t rl = 0;
    if ((d[0] & 0x80u) != 0u) {
        r[rl++] = 0;
    }
    memcpy(r + rl, d, 32);
    rl += 32;
    memset(sx, s->signer_id, sizeof sx);
    struct tx_buf rs = {.n = 0}, sigseq = {.n = 0}, sigbits = {.n = 0};
    tx_tlv(&rs, 0x02, r, rl);
    tx_tlv(&rs, 0x02, sx, sizeof sx);
    tx_wrap(&sigseq, 0x30, &rs);
    uint8_t z = 0;
    tx_raw(&sigbits, &z, 1);
    tx_raw(&sigbits, sigseq.b, sigseq.n);
    struct tx_buf cert = {.n = 0};
    tx_raw(&cert, tbs.b, tbs.n);
    tx_wrap(&cert, 0x30, &alg);
    tx_wrap(&cert, 0x03, &sigbits);
    out->n = 0;
    tx_wrap(out, 0x30, &cert);
}

/* ------------------------------------------------------------------ the test hierarchy */
#define NB "260101000000Z"   /* 2026-01-01 */
#define NA "300101000000Z"   /* 2030-01-01 */
#define T_NOW 1788220800     /* 2026-09-01 */
#define EMAID "DEPNC123456789X"

static struct tx_spec tx_root(void)
{
    return (struct tx_spec){3, "MO Root", "MO", "MO Root", "MO", NB, NA, TX_P256, 0x11, 0x11,
                            OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256, 1, -1,
                            X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN, false, 0, false};
}
static struct tx_spec tx_sub1(void)
{
    struct tx_spec s = tx_root();
    s.cn = "MO Sub-CA 1";
    s.key_id = 0x22;
    s.pathlen = 1;
    return s;
}
static struct tx_spec tx_sub2(void)
{
    struct tx_spec s = tx_sub1();
    s.cn = "MO Sub-CA 2";
    s.icn = "MO Sub-CA 1";
    s.key_id = 0x33;
    s.signer_id = 0x22;
    s.pathlen = 0;
    return s;
}
static struct tx_spec tx_leaf(void)
{
    struct tx_spec s = tx_sub2();
    s.cn = EMAID;
    s.icn = "MO Sub-CA 2";
    s.key_id = 0x44;
    s.signer_id = 0x33;
    s.bc = 0;
    s.pathlen = -1;
    s.ku = X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_AGREEMENT;
    return s;
}

/* A chain of specs built and parsed: [0] leaf .. [n-1], root separately. */
struct tx_chain {
    struct tx_buf der[5];
    struct x509_cert c[5];
    size_t n;
    struct tx_buf root_der;
    struct x509_cert root;
};
static struct tx_chain s_ch;
static struct tx_crypto s_cr;

static void tx_build(const struct tx_spec *specs, size_t n, const struct tx_spec *root)
{
    s_ch.n = n;
    for (size_t i = 0; i < n; i++) {
        tx_cert(&specs[i], &s_ch.der[i]);
        assert_int_equal(x509_parse(&s_ch.c[i], s_ch.der[i].b, s_ch.der[i].n), X509_OK);
    }
    tx_cert(root, &s_ch.root_der);
    assert_int_equal(x509_parse(&s_ch.root, s_ch.root_der.b, s_ch.root_der.n), X509_OK);
    s_cr.base.ops = &s_tx_ops;
    s_cr.calls = 0;
    s_cr.force = 0;
}

static enum x509_reason tx_validate(enum x509_role role, int64_t now, const char *emaid,
                                    struct x509_verdict *v)
{
    return x509_chain_validate(&s_cr.base, role, s_ch.c, s_ch.n, &s_ch.root, 1, now, emaid, v);
}

/* Build the good contract chain with one spec replaced, validate, expect reason + index. */
static void tx_expect(int which, struct tx_spec changed, int64_t now, const char *emaid,
                      enum x509_reason want, int index)
{
    struct tx_spec sp[3] = {tx_leaf(), tx_sub2(), tx_sub1()};
    struct tx_spec root = tx_root();
    if (which >= 0) {
        sp[which] = changed;
    } else {
        root = changed;
    }
    tx_build(sp, 3, &root);
    struct x509_verdict v;
    enum x509_reason r = tx_validate(X509_ROLE_CONTRACT, now, emaid, &v);
    if (r != want || v.index != index) {
        fail_msg("want %s at %d, got %s at %d", x509_reason_name(want), index, x509_reason_name(r),
                 v.index);
    }
    assert_int_equal(v.reason, want);
}

/* ------------------------------------------------------------------ tests */
static void test_parse_fields(void **state)
{
    (void)state;
    struct tx_spec s = tx_leaf();
    static struct tx_buf b;
    tx_cert(&s, &b);
    struct x509_cert c;
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.version, 3);
    assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA256);
    assert_int_equal(c.key_type, X509_KEY_EC);
    assert_int_equal(c.curve, X509_CURVE_P256);
    assert_int_equal(c.pub.len, 65);
    assert_int_equal(c.pub.p[0], 0x04);
    assert_int_equal(c.pub.p[1], 0x44);
    assert_true(c.has_bc);
    assert_true(c.bc_critical);
    assert_false(c.ca);
    assert_int_equal(c.pathlen, -1);
    assert_true(c.has_ku);
    assert_int_equal(c.key_usage, X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_AGREEMENT);
    assert_int_equal(c.ski.len, 20);
    assert_int_equal(c.n_ext, 3);
    assert_int_equal(c.not_before, 1767225600);  /* 2026-01-01T00:00:00Z */
    assert_int_equal(c.not_after, 1893456000);   /* 2030-01-01T00:00:00Z */
    assert_int_equal(c.serial.len, 2);
    assert_in_range(c.sig_r.len, 30, 32);  /* r = the digest, minus leading zero bytes */
    assert_int_equal(c.sig_s.len, 32);
    /* the TBS span is the first element of the certificate */
    assert_ptr_equal(c.tbs.p, b.b + 4);
    struct x509_span cn;
    assert_true(x509_name_cn(&c.subject, &cn));
    assert_int_equal(cn.len, strlen(EMAID));
    assert_memory_equal(cn.p, EMAID, cn.len);
    assert_true(x509_name_has_dc(&c.subject, "MO"));
    assert_true(x509_name_has_dc(&c.subject, "mo"));
    assert_false(x509_name_has_dc(&c.subject, "CPO"));
    char text[128];
    x509_name_text(&c.subject, text, sizeof text);
    assert_string_equal(text, "CN=" EMAID ",O=V2G unit test,DC=MO");
    x509_name_text(&c.issuer, text, 12);
    assert_string_equal(text, "CN=MO Sub-C");
}

static void test_parse_key_types(void **state)
{
    (void)state;
    static struct tx_buf b;
    struct x509_cert c;
    struct tx_spec s = tx_leaf();
    s.key = TX_P384;
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.curve, X509_CURVE_P384);
    assert_int_equal(c.pub.len, 97);
    s.key = TX_K256;
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.curve, X509_CURVE_SECP256K1);
    s.key = TX_RSA;
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.key_type, X509_KEY_RSA);
    assert_int_equal(c.rsa_bits, 1024);
    s = tx_leaf();
    s.sig_oid = OID_ECDSA_SHA384;
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.sig_alg, X509_SIG_ECDSA_SHA384);
    s = tx_leaf();
    s.version = 1;
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.version, 1);
    assert_false(c.has_bc);
}

/* Every prefix of a good certificate, a trailing byte, a non-minimal length, an
 * oversize input: refused with a reason, nothing read outside the buffer (ASan). */
static void test_parse_hostile(void **state)
{
    (void)state;
    static struct tx_buf b;
    static uint8_t copy[CFG_X509_DER_MAX + 2u];
    struct tx_spec s = tx_leaf();
    tx_cert(&s, &b);
    struct x509_cert c;
    for (size_t n = 0; n < b.n; n++) {
        memcpy(copy, b.b, n);
        assert_int_not_equal(x509_parse(&c, copy, n), X509_OK);
    }
    memcpy(copy, b.b, b.n);
    copy[b.n] = 0x00;
    assert_int_equal(x509_parse(&c, copy, b.n + 1), X509_E_PARSE);
    /* every single byte changed: never a crash; whatever parses still has sane spans */
    for (size_t i = 0; i < b.n; i++) {
        memcpy(copy, b.b, b.n);
        copy[i] ^= 0xa5;
        if (x509_parse(&c, copy, b.n) == X509_OK) {
            assert_true(c.tbs.p >= copy && c.tbs.p + c.tbs.len <= copy + b.n);
            assert_true(c.pub.p >= copy && c.pub.p + c.pub.len <= copy + b.n);
            char text[64];
            x509_name_text(&c.subject, text, sizeof text);
        }
    }
    /* a long-form length where a short one fits is not DER */
    static const uint8_t nonmin[] = {0x30, 0x81, 0x03, 0x02, 0x01, 0x00};
    assert_int_equal(x509_parse(&c, nonmin, sizeof nonmin), X509_E_PARSE);
    static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
    assert_int_equal(x509_parse(&c, indefinite, sizeof indefinite), X509_E_PARSE);
    assert_int_equal(x509_parse(&c, copy, CFG_X509_DER_MAX + 1u), X509_E_TOO_LARGE);
    assert_int_equal(x509_parse(&c, NULL, 0), X509_E_PARSE);
}

static void test_chain_good(void **state)
{
    (void)state;
    struct tx_spec sp[3] = {tx_leaf(), tx_sub2(), tx_sub1()};
    struct tx_spec root = tx_root();
    tx_build(sp, 3, &root);
    struct x509_verdict v;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, EMAID, &v), X509_OK);
    assert_int_equal(v.index, -1);
    assert_int_equal(v.root, 0);
    assert_false(v.expires_soon);
    assert_int_equal(s_cr.calls, 3);  /* leaf, Sub-CA 2, Sub-CA 1: each signature once */
    /* the eMAID of the message with separators and lower case is the same eMAID */
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, "de-pnc-123456789-x", &v), X509_OK);
    /* no eMAID in the message: only the syntax of the CN is checked */
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, NULL, &v), X509_OK);
    /* a car that sends the root too */
    s_ch.der[3] = s_ch.root_der;
    assert_int_equal(x509_parse(&s_ch.c[3], s_ch.der[3].b, s_ch.der[3].n), X509_OK);
    s_ch.n = 4;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, EMAID, &v), X509_OK);
    /* the leaf expires in 10 days: accepted, with the flag for OK_CertificateExpiresSoon */
    s_ch.n = 3;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, 1893456000 - 10 * 86400, EMAID, &v), X509_OK);
    assert_true(v.expires_soon);
}

static void test_chain_validity(void **state)
{
    (void)state;
    struct tx_spec s = tx_leaf();
    tx_expect(0, s, 1893456001, EMAID, X509_E_EXPIRED, 0);        /* a second after notAfter */
    tx_expect(0, s, 1767225599, EMAID, X509_E_NOT_YET_VALID, 0);  /* a second before notBefore */
    tx_expect(0, s, 1893456000, EMAID, X509_OK, -1);              /* notAfter itself is valid */
    s = tx_sub2();
    s.na = "260601000000Z";
    tx_expect(1, s, T_NOW, EMAID, X509_E_EXPIRED, 1);
    s = tx_root();
    s.na = "260601000000Z";
    tx_expect(-1, s, T_NOW, EMAID, X509_E_EXPIRED, 3);
    /* GeneralizedTime, as RFC 5280 wants it from 2050 on */
    s = tx_leaf();
    s.na = "20510101000000Z";
    static struct tx_buf b;
    tx_cert(&s, &b);
    struct x509_cert c;
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.not_after, 2556144000);
    /* UTCTime years 50..99 are 1950..1999 */
    s.nb = "991231235959Z";
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_OK);
    assert_int_equal(c.not_before, 946684799);
    /* a month 13 is no time */
    s.nb = "261301000000Z";
    tx_cert(&s, &b);
    assert_int_equal(x509_parse(&c, b.b, b.n), X509_E_PARSE);
}

static void test_chain_profile(void **state)
{
    (void)state;
    struct tx_spec s = tx_leaf();
    s.ku = X509_KU_KEY_ENCIPHERMENT;
    tx_expect(0, s, T_NOW, EMAID, X509_E_KEY_USAGE, 0);
    s.ku = -1;
    tx_expect(0, s, T_NOW, EMAID, X509_E_KEY_USAGE, 0);
    s = tx_leaf();
    s.ku = X509_KU_DIGITAL_SIGNATURE | X509_KU_KEY_CERT_SIGN;
    tx_expect(0, s, T_NOW, EMAID, X509_E_KEY_USAGE, 0);
    s = tx_leaf();
    s.key = TX_P384;
    tx_expect(0, s, T_NOW, EMAID, X509_E_CURVE, 0);
    s.key = TX_K256;
    tx_expect(0, s, T_NOW, EMAID, X509_E_CURVE, 0);
    s.key = TX_RSA;
    tx_expect(0, s, T_NOW, EMAID, X509_E_KEY_TYPE, 0);
    s = tx_leaf();
    s.sig_oid = OID_ECDSA_SHA384;
    tx_expect(0, s, T_NOW, EMAID, X509_E_SIG_ALG, 0);
    s = tx_leaf();
    s.version = 1;
    tx_expect(0, s, T_NOW, EMAID, X509_E_VERSION, 0);
    s = tx_leaf();
    s.bc = 1;
    tx_expect(0, s, T_NOW, EMAID, X509_E_BASIC_CONSTRAINTS, 0);
    s = tx_sub2();
    s.bc = 0;
    tx_expect(1, s, T_NOW, EMAID, X509_E_BASIC_CONSTRAINTS, 1);
    s = tx_sub2();
    s.bc = -1;
    tx_expect(1, s, T_NOW, EMAID, X509_E_BASIC_CONSTRAINTS, 1);
    s = tx_sub2();
    s.ku = X509_KU_DIGITAL_SIGNATURE;
    tx_expect(1, s, T_NOW, EMAID, X509_E_KEY_USAGE, 1);
    s = tx_leaf();
    s.unknown_critical = true;
    tx_expect(0, s, T_NOW, EMAID, X509_E_CRITICAL_EXT, 0);
    s = tx_leaf();
    s.pad = 400;  /* a certificate above 800 bytes */
    tx_expect(0, s, T_NOW, EMAID, X509_E_TOO_LARGE, 0);
    s.pad = 100;  /* a non-critical extension we do not know is fine */
    tx_expect(0, s, T_NOW, EMAID, X509_OK, -1);
    s = tx_root();
    s.bc = 0;
    tx_expect(-1, s, T_NOW, EMAID, X509_E_BASIC_CONSTRAINTS, 3);
}

static void test_chain_links(void **state)
{
    (void)state;
    struct tx_spec s = tx_leaf();
    s.icn = "Another Sub-CA";
    tx_expect(0, s, T_NOW, EMAID, X509_E_ISSUER, 0);
    s = tx_leaf();
    s.bad_sig = true;
    tx_expect(0, s, T_NOW, EMAID, X509_E_SIGNATURE, 0);
    s = tx_leaf();
    s.signer_id = 0x55;  /* signed by a key that is not Sub-CA 2's */
    tx_expect(0, s, T_NOW, EMAID, X509_E_SIGNATURE, 0);
    s = tx_sub1();
    s.bad_sig = true;
    tx_expect(2, s, T_NOW, EMAID, X509_E_SIGNATURE, 2);
    s = tx_sub1();
    s.pathlen = 0;  /* may not issue Sub-CA 2 */
    tx_expect(2, s, T_NOW, EMAID, X509_E_PATHLEN, 2);
    s = tx_root();
    s.pathlen = 0;
    tx_expect(-1, s, T_NOW, EMAID, X509_E_PATHLEN, 3);
    s = tx_sub1();
    s.icn = "V2G Root";  /* issued by a root we do not have */
    tx_expect(2, s, T_NOW, EMAID, X509_E_NO_ROOT, 2);
    /* the root's name but another key: the top signature fails, not the root */
    s = tx_root();
    s.key_id = 0x66;
    s.signer_id = 0x66;
    tx_expect(-1, s, T_NOW, EMAID, X509_E_SIGNATURE, 2);
    s = tx_root();
    s.icn = "Someone else";  /* an anchor that is not self-issued */
    tx_expect(-1, s, T_NOW, EMAID, X509_E_ROOT, 3);
    /* the crypto port cannot verify */
    struct tx_spec sp[3] = {tx_leaf(), tx_sub2(), tx_sub1()};
    struct tx_spec root = tx_root();
    tx_build(sp, 3, &root);
    s_cr.force = HAL_ENOTSUP;
    struct x509_verdict v;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, EMAID, &v), X509_E_CRYPTO);
    assert_int_equal(v.index, 0);
}

static void test_chain_length(void **state)
{
    (void)state;
    /* leaf, three Sub-CAs: one too many for ISO-2 even with every pathlen right */
    struct tx_spec sp[4] = {tx_leaf(), tx_sub2(), tx_sub1(), tx_sub1()};
    sp[2].cn = "MO Sub-CA 1b";
    sp[1].icn = "MO Sub-CA 1b";
    sp[2].key_id = 0x77;
    sp[1].signer_id = 0x77;
    sp[2].icn = "MO Sub-CA 1";
    sp[2].signer_id = 0x22;
    sp[2].pathlen = 1;
    sp[3].pathlen = 2;
    struct tx_spec root = tx_root();
    tx_build(sp, 4, &root);
    struct x509_verdict v;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, EMAID, &v), X509_E_CHAIN_TOO_LONG);
    assert_int_equal(v.index, 3);
    assert_int_equal(s_cr.calls, 0);  /* refused before any signature is checked */
    /* a truncated chain, the leaf alone: no anchor issued it */
    s_ch.n = 1;
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, EMAID, &v), X509_E_NO_ROOT);
    assert_int_equal(x509_chain_validate(&s_cr.base, X509_ROLE_CONTRACT, NULL, 0, &s_ch.root, 1,
                                         T_NOW, EMAID, &v),
                     X509_E_CHAIN_EMPTY);
}

static void test_leaf_rules(void **state)
{
    (void)state;
    struct tx_spec s = tx_leaf();
    tx_expect(0, s, T_NOW, "DEPNC987654321X", X509_E_EMAID, 0);
    tx_expect(0, s, T_NOW, "not an emaid", X509_E_EMAID, 0);
    s.cn = "Contract of somebody";
    tx_expect(0, s, T_NOW, NULL, X509_E_EMAID_SYNTAX, 0);
    s = tx_leaf();
    s.cn = NULL;
    tx_expect(0, s, T_NOW, NULL, X509_E_EMAID_SYNTAX, 0);
    s = tx_leaf();
    s.dc = NULL;
    tx_expect(0, s, T_NOW, EMAID, X509_E_DC, 0);
    s.dc = "CPO";
    tx_expect(0, s, T_NOW, EMAID, X509_E_DC, 0);
    /* the same chain for other roles: the leaf's DC decides */
    struct tx_spec sp[3] = {tx_leaf(), tx_sub2(), tx_sub1()};
    sp[0].dc = "CPO";
    sp[0].cn = "SECCCert";
    struct tx_spec root = tx_root();
    tx_build(sp, 3, &root);
    struct x509_verdict v;
    assert_int_equal(tx_validate(X509_ROLE_SECC, T_NOW, NULL, &v), X509_OK);
    assert_int_equal(tx_validate(X509_ROLE_OEM, T_NOW, NULL, &v), X509_E_DC);
    assert_int_equal(tx_validate(X509_ROLE_CONTRACT, T_NOW, NULL, &v), X509_E_DC);
}

static void test_emaid_normalise(void **state)
{
    (void)state;
    char out[20];
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"DE-ABC-123456789-Y", 18, out, sizeof out), 15);
    assert_string_equal(out, "DEABC123456789Y");
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"deabc123456789", 14, out, sizeof out), 14);
    assert_string_equal(out, "DEABC123456789");
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"1EABC123456789", 14, out, sizeof out), 0);
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"DEABC12345678", 13, out, sizeof out), 0);
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"DEABC1234567890X", 16, out, sizeof out), 0);
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"DEABC 23456789X", 15, out, sizeof out), 0);
    assert_int_equal(x509_emaid_normalise((const uint8_t *)"DEABC123456789X", 15, out, 8), 0);
}

static void test_reason_texts(void **state)
{
    (void)state;
    for (int r = 0; r < X509_REASON_COUNT; r++) {
        const char *name = x509_reason_name((enum x509_reason)r);
        assert_non_null(name);
        assert_true(strlen(x509_reason_text((enum x509_reason)r)) > 5u);
        assert_true(strncmp(x509_reason_iso2((enum x509_reason)r), r == 0 ? "OK" : "FAILED_", r == 0 ? 2 : 7) == 0);
        for (int q = 0; q < r; q++) {
            assert_string_not_equal(name, x509_reason_name((enum x509_reason)q));
        }
    }
    assert_string_equal(x509_reason_iso2(X509_E_EXPIRED), "FAILED_CertificateExpired");
    assert_string_equal(x509_reason_iso2(X509_E_NO_ROOT), "FAILED_NoCertificateAvailable");
    assert_string_equal(x509_reason_name(X509_REASON_COUNT), "unknown");
    assert_string_equal(x509_curve_name(X509_CURVE_P256), "secp256r1");
    assert_string_equal(x509_sig_alg_name(X509_SIG_ECDSA_SHA256), "ecdsa-with-SHA256");
    assert_int_equal(x509_hal_curve(X509_CURVE_P256), HAL_CRYPTO_SECP256R1);
    assert_int_equal(x509_hal_curve(X509_CURVE_P521), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),   cmocka_unit_test(test_parse_key_types),
        cmocka_unit_test(test_parse_hostile),  cmocka_unit_test(test_chain_good),
        cmocka_unit_test(test_chain_validity), cmocka_unit_test(test_chain_profile),
        cmocka_unit_test(test_chain_links),    cmocka_unit_test(test_chain_length),
        cmocka_unit_test(test_leaf_rules),     cmocka_unit_test(test_emaid_normalise),
        cmocka_unit_test(test_reason_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
