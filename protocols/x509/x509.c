/*
 * X.509 DER parser: owns the reading of one certificate into struct x509_cert (slices of
 * the caller's bytes), Name helpers and the printable names of algorithms and reasons.
 * Chain validation and the ISO-2 profiles are in x509_chain.c.
 *
 * Every length is checked against what remains of its parent before it is used, the
 * certificate must be DER (definite, minimal lengths, one-byte tags) and nothing may follow
 * it: a certificate arrives from a car or a backend and is hostile until parsed.
 */
#include "x509/x509.h"

#include <string.h>

/* OID contents (the bytes after tag and length). */
static const uint8_t s_oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t s_oid_ecdsa_sha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t s_oid_ecdsa_sha512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t s_oid_rsa_sha256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
static const uint8_t s_oid_ed25519[] = {0x2b, 0x65, 0x70};
static const uint8_t s_oid_ed448[] = {0x2b, 0x65, 0x71};
static const uint8_t s_oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t s_oid_rsa_pub[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t s_oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t s_oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t s_oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t s_oid_k256[] = {0x2b, 0x81, 0x04, 0x00, 0x0a};
static const uint8_t s_oid_bp256[] = {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
static const uint8_t s_oid_bp384[] = {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b};
static const uint8_t s_oid_bc[] = {0x55, 0x1d, 0x13};
static const uint8_t s_oid_ku[] = {0x55, 0x1d, 0x0f};
static const uint8_t s_oid_ski[] = {0x55, 0x1d, 0x0e};
static const uint8_t s_oid_aki[] = {0x55, 0x1d, 0x23};
static const uint8_t s_oid_aia[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
static const uint8_t s_oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t s_oid_dc[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};

#define X509_OID_IS(span, oid) ((span).len == sizeof(oid) && memcmp((span).p, (oid), sizeof(oid)) == 0)

/* DER tags used here. */
enum {
    X509_T_BOOL = 0x01,
    X509_T_INT = 0x02,
    X509_T_BITS = 0x03,
    X509_T_OCTETS = 0x04,
    X509_T_NULL = 0x05,
    X509_T_OID = 0x06,
    X509_T_UTCTIME = 0x17,
    X509_T_GENTIME = 0x18,
    X509_T_SEQ = 0x30,
    X509_T_SET = 0x31,
    X509_T_CTX0 = 0xa0,
    X509_T_CTX3 = 0xa3,
};

/* A cursor over the content of one constructed value. */
struct x509_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
};

static void x509_rd_init(struct x509_rd *r, struct x509_span s)
{
    r->p = s.p;
    r->len = s.len;
    r->off = 0;
}

static bool x509_rd_end(const struct x509_rd *r)
{
    return r->off >= r->len;
}

/* The next TLV: tag, value slice, and (when wanted) the whole TLV. Only one-byte tags and
 * minimal definite lengths up to 0xffff: certificates never need more, and DER forbids
 * the rest. */
static bool x509_rd_next(struct x509_rd *r, uint8_t *tag, struct x509_span *val,
                         struct x509_span *whole)
{
    size_t start = r->off;
    if (r->len - r->off < 2u) {
        return false;
    }
    uint8_t t = r->p[r->off++];
    if ((t & 0x1fu) == 0x1fu) {
        return false;
    }
    uint8_t l0 = r->p[r->off++];
    size_t l;
    if (l0 < 0x80u) {
        l = l0;
    } else if (l0 == 0x81u) {
        if (r->len - r->off < 1u) {
            return false;
        }
        l = r->p[r->off++];
        if (l < 0x80u) {
            return false;
        }
    } else if (l0 == 0x82u) {
        if (r->len - r->off < 2u) {
            return false;
        }
        l = ((size_t)r->p[r->off] << 8) | r->p[r->off + 1u];
        r->off += 2u;
        if (l < 0x100u) {
            return false;
        }
    } else {
        return false;
    }
    if (l > r->len - r->off) {
        return false;
    }
    *tag = t;
    val->p = r->p + r->off;
    val->len = l;
    r->off += l;
    if (whole != NULL) {
        whole->p = r->p + start;
        whole->len = r->off - start;
    }
    return true;
}

/* The next TLV, which must carry @p want. */
static bool x509_rd_want(struct x509_rd *r, uint8_t want, struct x509_span *val,
                         struct x509_span *whole)
{
    uint8_t t;
    return x509_rd_next(r, &t, val, whole) && t == want;
}

/* Peek at the next tag without moving. */
static int x509_rd_peek(const struct x509_rd *r)
{
    return r->off < r->len ? r->p[r->off] : -1;
}

/* AlgorithmIdentifier -> algorithm OID and, for EC keys, the curve OID. */
static bool x509_alg(struct x509_span seq, struct x509_span *oid, struct x509_span *param_oid)
{
    struct x509_rd r;
    x509_rd_init(&r, seq);
    if (!x509_rd_want(&r, X509_T_OID, oid, NULL) || oid->len == 0) {
        return false;
    }
    param_oid->p = NULL;
    param_oid->len = 0;
    if (x509_rd_end(&r)) {
        return true;
    }
    uint8_t t;
    struct x509_span v;
    if (!x509_rd_next(&r, &t, &v, NULL)) {
        return false;
    }
    if (t == X509_T_OID) {
        *param_oid = v;
    } else if (t != X509_T_NULL && t != X509_T_SEQ) {
        return false;
    }
    return x509_rd_end(&r);
}

static enum x509_sig_alg x509_sig_from_oid(struct x509_span oid)
{
    if (X509_OID_IS(oid, s_oid_ecdsa_sha256)) {
        return X509_SIG_ECDSA_SHA256;
    }
    if (X509_OID_IS(oid, s_oid_ecdsa_sha384)) {
        return X509_SIG_ECDSA_SHA384;
    }
    if (X509_OID_IS(oid, s_oid_ecdsa_sha512)) {
        return X509_SIG_ECDSA_SHA512;
    }
    if (X509_OID_IS(oid, s_oid_rsa_sha256)) {
        return X509_SIG_RSA_SHA256;
    }
    if (X509_OID_IS(oid, s_oid_ed25519)) {
        return X509_SIG_ED25519;
    }
    if (X509_OID_IS(oid, s_oid_ed448)) {
        return X509_SIG_ED448;
    }
    return X509_SIG_UNKNOWN;
}

static enum x509_curve x509_curve_from_oid(struct x509_span oid)
{
    if (X509_OID_IS(oid, s_oid_p256)) {
        return X509_CURVE_P256;
    }
    if (X509_OID_IS(oid, s_oid_p384)) {
        return X509_CURVE_P384;
    }
    if (X509_OID_IS(oid, s_oid_p521)) {
        return X509_CURVE_P521;
    }
    if (X509_OID_IS(oid, s_oid_k256)) {
        return X509_CURVE_SECP256K1;
    }
    if (X509_OID_IS(oid, s_oid_bp256)) {
        return X509_CURVE_BRAINPOOL256R1;
    }
    if (X509_OID_IS(oid, s_oid_bp384)) {
        return X509_CURVE_BRAINPOOL384R1;
    }
    return X509_CURVE_UNKNOWN;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian; the era arithmetic keeps the
 * division exact for years before and after 2000 alike). */
static int64_t x509_days(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2u ? 1 : 0;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (int64_t)((m + 9u) % 12u);
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool x509_digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        v = v * 10u + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* UTCTime YYMMDDHHMMSSZ (years 1950..2049, RFC 5280) or GeneralizedTime YYYYMMDDHHMMSSZ. */
static bool x509_time(uint8_t tag, struct x509_span v, int64_t *out)
{
    unsigned y, mo, d, h, mi, s;
    const uint8_t *p = v.p;
    if (tag == X509_T_UTCTIME && v.len == 13u) {
        if (!x509_digits(p, 2, &y)) {
            return false;
        }
        y += y < 50u ? 2000u : 1900u;
        p += 2;
    } else if (tag == X509_T_GENTIME && v.len == 15u) {
        if (!x509_digits(p, 4, &y)) {
            return false;
        }
        p += 4;
    } else {
        return false;
    }
    if (!x509_digits(p, 2, &mo) || !x509_digits(p + 2, 2, &d) || !x509_digits(p + 4, 2, &h) ||
        !x509_digits(p + 6, 2, &mi) || !x509_digits(p + 8, 2, &s) || p[10] != 'Z') {
        return false;
    }
    if (mo < 1u || mo > 12u || d < 1u || d > 31u || h > 23u || mi > 59u || s > 60u) {
        return false;
    }
    *out = x509_days((int64_t)y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)s;
    return true;
}

/* A Name must be SEQUENCE OF SET OF SEQUENCE {OID, string}: walked once at parse so the
 * helpers below meet only well-formed names. */
static bool x509_name_ok(struct x509_span name)
{
    struct x509_rd r;
    x509_rd_init(&r, name);
    while (!x509_rd_end(&r)) {
        struct x509_span set;
        if (!x509_rd_want(&r, X509_T_SET, &set, NULL)) {
            return false;
        }
        struct x509_rd rs;
        x509_rd_init(&rs, set);
        if (x509_rd_end(&rs)) {
            return false;
        }
        while (!x509_rd_end(&rs)) {
            struct x509_span atv, oid, val;
            uint8_t t;
            if (!x509_rd_want(&rs, X509_T_SEQ, &atv, NULL)) {
                return false;
            }
            struct x509_rd ra;
            x509_rd_init(&ra, atv);
            if (!x509_rd_want(&ra, X509_T_OID, &oid, NULL) || oid.len == 0 ||
                !x509_rd_next(&ra, &t, &val, NULL) || !x509_rd_end(&ra)) {
                return false;
            }
        }
    }
    return true;
}

/* An INTEGER's content as an unsigned magnitude: drop one sign byte. */
static struct x509_span x509_uint(struct x509_span v)
{
    if (v.len > 1u && v.p[0] == 0x00u) {
        v.p++;
        v.len--;
    }
    return v;
}

static bool x509_bool(struct x509_span v, bool *out)
{
    if (v.len != 1u) {
        return false;
    }
    *out = v.p[0] != 0u;
    return true;
}

static bool x509_ext_bc(struct x509_cert *c, struct x509_span v)
{
    struct x509_rd r, rs;
    struct x509_span seq, f;
    x509_rd_init(&r, v);
    if (!x509_rd_want(&r, X509_T_SEQ, &seq, NULL) || !x509_rd_end(&r)) {
        return false;
    }
    x509_rd_init(&rs, seq);
    c->has_bc = true;
    c->ca = false;
    c->pathlen = -1;
    if (x509_rd_peek(&rs) == X509_T_BOOL) {
        if (!x509_rd_want(&rs, X509_T_BOOL, &f, NULL) || !x509_bool(f, &c->ca)) {
            return false;
        }
    }
    if (x509_rd_peek(&rs) == X509_T_INT) {
        if (!x509_rd_want(&rs, X509_T_INT, &f, NULL) || f.len == 0 || f.len > 2u ||
            (f.p[0] & 0x80u) != 0u) {
            return false;
        }
        c->pathlen = f.len == 1u ? f.p[0] : (int)((unsigned)f.p[0] << 8 | f.p[1]);
    }
    return x509_rd_end(&rs);
}

static bool x509_ext_ku(struct x509_cert *c, struct x509_span v)
{
    struct x509_rd r;
    struct x509_span bits;
    x509_rd_init(&r, v);
    if (!x509_rd_want(&r, X509_T_BITS, &bits, NULL) || !x509_rd_end(&r) || bits.len < 2u ||
        bits.len > 3u || bits.p[0] > 7u) {
        return false;
    }
    uint16_t ku = 0;
    for (unsigned i = 0; i < 9u; i++) {
        size_t byte = 1u + i / 8u;
        if (byte < bits.len && (bits.p[byte] & (0x80u >> (i % 8u))) != 0u) {
            ku = (uint16_t)(ku | (1u << i));
        }
    }
    c->has_ku = true;
    c->key_usage = ku;
    return true;
}

static bool x509_ext_ski(struct x509_cert *c, struct x509_span v)
{
    struct x509_rd r;
    x509_rd_init(&r, v);
    return x509_rd_want(&r, X509_T_OCTETS, &c->ski, NULL) && x509_rd_end(&r);
}

static bool x509_ext_aki(struct x509_cert *c, struct x509_span v)
{
    struct x509_rd r, rs;
    struct x509_span seq, f;
    uint8_t t;
    x509_rd_init(&r, v);
    if (!x509_rd_want(&r, X509_T_SEQ, &seq, NULL) || !x509_rd_end(&r)) {
        return false;
    }
    x509_rd_init(&rs, seq);
    while (!x509_rd_end(&rs)) {
        if (!x509_rd_next(&rs, &t, &f, NULL)) {
            return false;
        }
        if (t == 0x80u) {
            c->aki = f;
        }
    }
    return true;
}

/* Extensions: the ones the profiles name are decoded; an unknown critical one is counted
 * (the validator refuses it); a duplicate is malformed (RFC 5280 4.2). */
static bool x509_extensions(struct x509_cert *c, struct x509_span exts)
{
    struct x509_rd r;
    struct x509_span seq;
    unsigned seen = 0;
    x509_rd_init(&r, exts);
    if (!x509_rd_want(&r, X509_T_SEQ, &seq, NULL) || !x509_rd_end(&r)) {
        return false;
    }
    x509_rd_init(&r, seq);
    while (!x509_rd_end(&r)) {
        struct x509_span ext, oid, f, val;
        bool critical = false;
        if (!x509_rd_want(&r, X509_T_SEQ, &ext, NULL)) {
            return false;
        }
        struct x509_rd re;
        x509_rd_init(&re, ext);
        if (!x509_rd_want(&re, X509_T_OID, &oid, NULL)) {
            return false;
        }
        if (x509_rd_peek(&re) == X509_T_BOOL) {
            if (!x509_rd_want(&re, X509_T_BOOL, &f, NULL) || !x509_bool(f, &critical)) {
                return false;
            }
        }
        if (!x509_rd_want(&re, X509_T_OCTETS, &val, NULL) || !x509_rd_end(&re)) {
            return false;
        }
        c->n_ext++;
        unsigned bit = 0;
        bool ok = true;
        if (X509_OID_IS(oid, s_oid_bc)) {
            bit = 1u;
            ok = x509_ext_bc(c, val);
            c->bc_critical = critical;
        } else if (X509_OID_IS(oid, s_oid_ku)) {
            bit = 2u;
            ok = x509_ext_ku(c, val);
            c->ku_critical = critical;
        } else if (X509_OID_IS(oid, s_oid_ski)) {
            bit = 4u;
            ok = x509_ext_ski(c, val);
        } else if (X509_OID_IS(oid, s_oid_aki)) {
            bit = 8u;
            ok = x509_ext_aki(c, val);
        } else if (X509_OID_IS(oid, s_oid_aia)) {
            bit = 16u;
            c->has_aia = true;
        } else if (critical) {
            c->unknown_critical++;
        }
        if (!ok || (seen & bit) != 0u) {
            return false;
        }
        seen |= bit;
    }
    return true;
}

static bool x509_spki(struct x509_cert *c, struct x509_span spki)
{
    struct x509_rd r;
    struct x509_span alg, oid, param, bits;
    x509_rd_init(&r, spki);
    if (!x509_rd_want(&r, X509_T_SEQ, &alg, NULL) || !x509_alg(alg, &oid, &param) ||
        !x509_rd_want(&r, X509_T_BITS, &bits, NULL) || !x509_rd_end(&r) || bits.len < 2u ||
        bits.p[0] != 0u) {
        return false;
    }
    c->pub.p = bits.p + 1;
    c->pub.len = bits.len - 1u;
    if (X509_OID_IS(oid, s_oid_ec_pub)) {
        c->key_type = X509_KEY_EC;
        c->curve = param.len != 0 ? x509_curve_from_oid(param) : X509_CURVE_UNKNOWN;
    } else if (X509_OID_IS(oid, s_oid_rsa_pub)) {
        struct x509_rd rk, rs;
        struct x509_span seq, n;
        c->key_type = X509_KEY_RSA;
        x509_rd_init(&rk, c->pub);
        if (!x509_rd_want(&rk, X509_T_SEQ, &seq, NULL)) {
            return false;
        }
        x509_rd_init(&rs, seq);
        if (!x509_rd_want(&rs, X509_T_INT, &n, NULL) || n.len == 0) {
            return false;
        }
        n = x509_uint(n);
        unsigned top = n.p[0], b = 0;
        while (top != 0u) {
            b++;
            top >>= 1;
        }
        c->rsa_bits = (unsigned)((n.len - 1u) * 8u) + b;
    } else if (X509_OID_IS(oid, s_oid_ed25519)) {
        c->key_type = X509_KEY_ED25519;
    } else if (X509_OID_IS(oid, s_oid_ed448)) {
        c->key_type = X509_KEY_ED448;
    } else {
        c->key_type = X509_KEY_UNKNOWN;
    }
    return true;
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } inside the BIT STRING. */
static bool x509_ecdsa_sig(struct x509_cert *c, struct x509_span bits)
{
    struct x509_rd r, rs;
    struct x509_span seq, iv;
    struct x509_span content = {bits.p + 1, bits.len - 1u};
    x509_rd_init(&r, content);
    if (!x509_rd_want(&r, X509_T_SEQ, &seq, NULL) || !x509_rd_end(&r)) {
        return false;
    }
    x509_rd_init(&rs, seq);
    if (!x509_rd_want(&rs, X509_T_INT, &iv, NULL) || iv.len == 0 || (iv.p[0] & 0x80u) != 0u) {
        return false;
    }
    c->sig_r = x509_uint(iv);
    if (!x509_rd_want(&rs, X509_T_INT, &iv, NULL) || iv.len == 0 || (iv.p[0] & 0x80u) != 0u ||
        !x509_rd_end(&rs)) {
        return false;
    }
    c->sig_s = x509_uint(iv);
    return true;
}

static bool x509_tbs(struct x509_cert *c, struct x509_span tbs, struct x509_span *tbs_alg)
{
    struct x509_rd r;
    struct x509_span v, alg, param, validity;
    uint8_t t;
    x509_rd_init(&r, tbs);
    c->version = 1;
    if (x509_rd_peek(&r) == X509_T_CTX0) {
        struct x509_rd rv;
        struct x509_span ver;
        if (!x509_rd_want(&r, X509_T_CTX0, &v, NULL)) {
            return false;
        }
        x509_rd_init(&rv, v);
        if (!x509_rd_want(&rv, X509_T_INT, &ver, NULL) || !x509_rd_end(&rv) || ver.len != 1u ||
            ver.p[0] > 2u) {
            return false;
        }
        c->version = ver.p[0] + 1u;
    }
    if (!x509_rd_want(&r, X509_T_INT, &c->serial, NULL) || c->serial.len == 0 ||
        c->serial.len > 21u) {
        return false;
    }
    if (!x509_rd_want(&r, X509_T_SEQ, &alg, NULL) || !x509_alg(alg, tbs_alg, &param)) {
        return false;
    }
    if (!x509_rd_want(&r, X509_T_SEQ, &v, &c->issuer) || !x509_name_ok(v)) {
        return false;
    }
    if (!x509_rd_want(&r, X509_T_SEQ, &validity, NULL)) {
        return false;
    }
    struct x509_rd rt;
    x509_rd_init(&rt, validity);
    if (!x509_rd_next(&rt, &t, &v, NULL) || !x509_time(t, v, &c->not_before) ||
        !x509_rd_next(&rt, &t, &v, NULL) || !x509_time(t, v, &c->not_after) || !x509_rd_end(&rt)) {
        return false;
    }
    if (!x509_rd_want(&r, X509_T_SEQ, &v, &c->subject) || !x509_name_ok(v)) {
        return false;
    }
    if (!x509_rd_want(&r, X509_T_SEQ, &v, NULL) || !x509_spki(c, v)) {
        return false;
    }
    /* issuerUniqueID [1] and subjectUniqueID [2] are skipped; extensions [3] last. */
    while (!x509_rd_end(&r)) {
        if (!x509_rd_next(&r, &t, &v, NULL)) {
            return false;
        }
        if (t == X509_T_CTX3) {
            if (c->version != 3u || !x509_extensions(c, v) || !x509_rd_end(&r)) {
                return false;
            }
        } else if (t != 0x81u && t != 0x82u && t != 0xa1u && t != 0xa2u) {
            return false;
        }
    }
    return true;
}

enum x509_reason x509_parse(struct x509_cert *c, const uint8_t *der, size_t len)
{
    memset(c, 0, sizeof *c);
    c->pathlen = -1;
    if (der == NULL || len == 0) {
        return X509_E_PARSE;
    }
    if (len > CFG_X509_DER_MAX) {
        return X509_E_TOO_LARGE;
    }
    struct x509_rd r, rc;
    struct x509_span cert, tbs_alg, alg, param, bits;
    struct x509_span all = {der, len};
    x509_rd_init(&r, all);
    if (!x509_rd_want(&r, X509_T_SEQ, &cert, &c->der) || !x509_rd_end(&r)) {
        return X509_E_PARSE;
    }
    x509_rd_init(&rc, cert);
    struct x509_span tbs_v;
    if (!x509_rd_want(&rc, X509_T_SEQ, &tbs_v, &c->tbs) || !x509_tbs(c, tbs_v, &tbs_alg)) {
        return X509_E_PARSE;
    }
    if (!x509_rd_want(&rc, X509_T_SEQ, &alg, NULL) || !x509_alg(alg, &alg, &param) ||
        !x509_rd_want(&rc, X509_T_BITS, &bits, NULL) || !x509_rd_end(&rc) || bits.len < 2u ||
        bits.p[0] != 0u) {
        return X509_E_PARSE;
    }
    /* RFC 5280 4.1.1.2: the outer algorithm must equal the signed one. */
    if (alg.len != tbs_alg.len || memcmp(alg.p, tbs_alg.p, alg.len) != 0) {
        return X509_E_PARSE;
    }
    c->sig_alg = x509_sig_from_oid(alg);
    if (c->sig_alg == X509_SIG_ECDSA_SHA256 || c->sig_alg == X509_SIG_ECDSA_SHA384 ||
        c->sig_alg == X509_SIG_ECDSA_SHA512) {
        if (!x509_ecdsa_sig(c, bits)) {
            return X509_E_PARSE;
        }
    }
    return X509_OK;
}

bool x509_name_attr(const struct x509_span *name, const uint8_t *oid, size_t oid_len,
                    unsigned nth, struct x509_span *value)
{
    struct x509_rd r, rn;
    struct x509_span seq;
    x509_rd_init(&r, *name);
    if (!x509_rd_want(&r, X509_T_SEQ, &seq, NULL)) {
        return false;
    }
    x509_rd_init(&rn, seq);
    while (!x509_rd_end(&rn)) {
        struct x509_span set;
        if (!x509_rd_want(&rn, X509_T_SET, &set, NULL)) {
            return false;
        }
        struct x509_rd rs;
        x509_rd_init(&rs, set);
        while (!x509_rd_end(&rs)) {
            struct x509_span atv, o, v;
            uint8_t t;
            struct x509_rd ra;
            if (!x509_rd_want(&rs, X509_T_SEQ, &atv, NULL)) {
                return false;
            }
            x509_rd_init(&ra, atv);
            if (!x509_rd_want(&ra, X509_T_OID, &o, NULL) || !x509_rd_next(&ra, &t, &v, NULL)) {
                return false;
            }
            if (o.len == oid_len && memcmp(o.p, oid, oid_len) == 0) {
                if (nth == 0) {
                    *value = v;
                    return true;
                }
                nth--;
            }
        }
    }
    return false;
}

bool x509_name_cn(const struct x509_span *name, struct x509_span *value)
{
    return x509_name_attr(name, s_oid_cn, sizeof s_oid_cn, 0, value);
}

static uint8_t x509_upper(uint8_t ch)
{
    return ch >= 'a' && ch <= 'z' ? (uint8_t)(ch - 'a' + 'A') : ch;
}

bool x509_name_has_dc(const struct x509_span *name, const char *dc)
{
    size_t n = strlen(dc);
    struct x509_span v;
    for (unsigned i = 0; x509_name_attr(name, s_oid_dc, sizeof s_oid_dc, i, &v); i++) {
        if (v.len != n) {
            continue;
        }
        size_t k = 0;
        while (k < n && x509_upper(v.p[k]) == x509_upper((uint8_t)dc[k])) {
            k++;
        }
        if (k == n) {
            return true;
        }
    }
    return false;
}

/* Short names of the attributes seen in V2G PKIs; others print as their dotted OID. */
struct x509_attr_name {
    uint8_t oid[10];
    uint8_t len;
    const char *name;
};
static const struct x509_attr_name s_attr_names[] = {
    {{0x55, 0x04, 0x03}, 3, "CN"},
    {{0x55, 0x04, 0x06}, 3, "C"},
    {{0x55, 0x04, 0x07}, 3, "L"},
    {{0x55, 0x04, 0x08}, 3, "ST"},
    {{0x55, 0x04, 0x0a}, 3, "O"},
    {{0x55, 0x04, 0x0b}, 3, "OU"},
    {{0x55, 0x04, 0x05}, 3, "serialNumber"},
    {{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, 10, "DC"},
};

struct x509_out {
    char *p;
    size_t cap;
    size_t n;
};

static void x509_put(struct x509_out *o, char ch)
{
    if (o->n + 1u < o->cap) {
        o->p[o->n++] = ch;
    }
}

static void x509_puts(struct x509_out *o, const char *s)
{
    while (*s != '\0') {
        x509_put(o, *s++);
    }
}

static void x509_put_uint(struct x509_out *o, unsigned long v)
{
    char tmp[24];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u && k < sizeof tmp);
    while (k > 0) {
        x509_put(o, tmp[--k]);
    }
}

/* Dotted form of an OID we have no name for. */
static void x509_put_oid(struct x509_out *o, struct x509_span oid)
{
    unsigned long v = 0;
    bool first = true;
    for (size_t i = 0; i < oid.len; i++) {
        v = (v << 7) | (oid.p[i] & 0x7fu);
        if ((oid.p[i] & 0x80u) != 0u) {
            continue;
        }
        if (first) {
            unsigned long a = v < 80u ? v / 40u : 2u;
            x509_put_uint(o, a);
            x509_put(o, '.');
            x509_put_uint(o, v - a * 40u);
            first = false;
        } else {
            x509_put(o, '.');
            x509_put_uint(o, v);
        }
        v = 0;
    }
}

size_t x509_name_text(const struct x509_span *name, char *out, size_t cap)
{
    struct x509_out o = {out, cap, 0};
    struct x509_rd r, rn;
    struct x509_span seq;
    if (cap == 0) {
        return 0;
    }
    x509_rd_init(&r, *name);
    if (x509_rd_want(&r, X509_T_SEQ, &seq, NULL)) {
        x509_rd_init(&rn, seq);
        while (!x509_rd_end(&rn)) {
            struct x509_span set;
            if (!x509_rd_want(&rn, X509_T_SET, &set, NULL)) {
                break;
            }
            struct x509_rd rs;
            x509_rd_init(&rs, set);
            while (!x509_rd_end(&rs)) {
                struct x509_span atv, oid, v;
                uint8_t t;
                struct x509_rd ra;
                if (!x509_rd_want(&rs, X509_T_SEQ, &atv, NULL)) {
                    break;
                }
                x509_rd_init(&ra, atv);
                if (!x509_rd_want(&ra, X509_T_OID, &oid, NULL) || !x509_rd_next(&ra, &t, &v, NULL)) {
                    break;
                }
                if (o.n != 0) {
                    x509_put(&o, ',');
                }
                const char *an = NULL;
                for (size_t i = 0; i < sizeof s_attr_names / sizeof s_attr_names[0]; i++) {
                    if (oid.len == s_attr_names[i].len &&
                        memcmp(oid.p, s_attr_names[i].oid, oid.len) == 0) {
                        an = s_attr_names[i].name;
                    }
                }
                if (an != NULL) {
                    x509_puts(&o, an);
                } else {
                    x509_put_oid(&o, oid);
                }
                x509_put(&o, '=');
                /* Printable ASCII as it is; anything else (UTF-8, BMP) as '?': the text is
                 * for logs, the comparisons work on the DER. */
                for (size_t i = 0; i < v.len; i++) {
                    x509_put(&o, v.p[i] >= 0x20u && v.p[i] < 0x7fu ? (char)v.p[i] : '?');
                }
            }
        }
    }
    out[o.n] = '\0';
    return o.n;
}

enum hal_crypto_curve x509_hal_curve(enum x509_curve curve)
{
    switch (curve) {
    case X509_CURVE_P256:
        return HAL_CRYPTO_SECP256R1;
    case X509_CURVE_P384:
        return HAL_CRYPTO_SECP384R1;
    case X509_CURVE_SECP256K1:
        return HAL_CRYPTO_SECP256K1;
    case X509_CURVE_BRAINPOOL256R1:
        return HAL_CRYPTO_BRAINPOOL256R1;
    case X509_CURVE_BRAINPOOL384R1:
        return HAL_CRYPTO_BRAINPOOL384R1;
    case X509_CURVE_P521:
    case X509_CURVE_UNKNOWN:
        break;
    }
    return (enum hal_crypto_curve)0;
}

const char *x509_sig_alg_name(enum x509_sig_alg a)
{
    switch (a) {
    case X509_SIG_ECDSA_SHA256:
        return "ecdsa-with-SHA256";
    case X509_SIG_ECDSA_SHA384:
        return "ecdsa-with-SHA384";
    case X509_SIG_ECDSA_SHA512:
        return "ecdsa-with-SHA512";
    case X509_SIG_RSA_SHA256:
        return "sha256WithRSAEncryption";
    case X509_SIG_ED25519:
        return "Ed25519";
    case X509_SIG_ED448:
        return "Ed448";
    case X509_SIG_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *x509_curve_name(enum x509_curve c)
{
    switch (c) {
    case X509_CURVE_P256:
        return "secp256r1";
    case X509_CURVE_P384:
        return "secp384r1";
    case X509_CURVE_P521:
        return "secp521r1";
    case X509_CURVE_SECP256K1:
        return "secp256k1";
    case X509_CURVE_BRAINPOOL256R1:
        return "brainpoolP256r1";
    case X509_CURVE_BRAINPOOL384R1:
        return "brainpoolP384r1";
    case X509_CURVE_UNKNOWN:
        break;
    }
    return "unknown curve";
}

const char *x509_key_type_name(enum x509_key_type k)
{
    switch (k) {
    case X509_KEY_EC:
        return "EC";
    case X509_KEY_RSA:
        return "RSA";
    case X509_KEY_ED25519:
        return "Ed25519";
    case X509_KEY_ED448:
        return "Ed448";
    case X509_KEY_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *x509_role_name(enum x509_role r)
{
    switch (r) {
    case X509_ROLE_SECC:
        return "secc";
    case X509_ROLE_CONTRACT:
        return "contract";
    case X509_ROLE_OEM:
        return "oem";
    case X509_ROLE_CPS:
        return "cps";
    }
    return "?";
}

/* One row per reason: token, sentence, ISO-2 responseCode of PaymentDetailsRes. */
struct x509_reason_row {
    const char *name;
    const char *text;
    const char *iso2;
};
static const struct x509_reason_row s_reasons[X509_REASON_COUNT] = {
    [X509_OK] = {"ok", "accepted", "OK"},
    [X509_E_PARSE] = {"parse", "not a well-formed DER certificate", "FAILED_CertChainError"},
    [X509_E_TOO_LARGE] = {"too-large", "certificate larger than the profile allows (800 bytes)",
                          "FAILED_CertChainError"},
    [X509_E_VERSION] = {"version", "not an X.509 v3 certificate", "FAILED_CertChainError"},
    [X509_E_SIG_ALG] = {"sig-alg", "signature algorithm is not ecdsa-with-SHA256",
                        "FAILED_CertChainError"},
    [X509_E_KEY_TYPE] = {"key-type", "public key is not an EC key", "FAILED_CertChainError"},
    [X509_E_CURVE] = {"curve", "EC key is not on secp256r1", "FAILED_CertChainError"},
    [X509_E_EXPIRED] = {"expired", "certificate expired (notAfter before the charger's clock)",
                        "FAILED_CertificateExpired"},
    [X509_E_NOT_YET_VALID] = {"not-yet-valid",
                              "certificate not yet valid (notBefore after the charger's clock)",
                              "FAILED_CertificateExpired"},
    [X509_E_BASIC_CONSTRAINTS] = {"basic-constraints",
                                  "basicConstraints wrong for its place (a leaf is a CA, or a CA is not)",
                                  "FAILED_CertChainError"},
    [X509_E_PATHLEN] = {"pathlen", "a CA's path length constraint is exceeded",
                        "FAILED_CertChainError"},
    [X509_E_KEY_USAGE] = {"key-usage", "keyUsage missing or without the bits its role needs",
                          "FAILED_CertChainError"},
    [X509_E_CRITICAL_EXT] = {"critical-ext", "unknown critical extension",
                             "FAILED_CertChainError"},
    [X509_E_CHAIN_TOO_LONG] = {"chain-too-long", "more than two Sub-CAs between leaf and root",
                               "FAILED_CertChainError"},
    [X509_E_CHAIN_EMPTY] = {"chain-empty", "no certificate", "FAILED_CertChainError"},
    [X509_E_ISSUER] = {"issuer", "issuer is not the next certificate's subject (broken chain)",
                       "FAILED_CertChainError"},
    [X509_E_NO_ROOT] = {"no-root", "no configured trust anchor issued the chain",
                        "FAILED_NoCertificateAvailable"},
    [X509_E_SIGNATURE] = {"signature", "signature does not verify with the issuer's key",
                          "FAILED_CertChainError"},
    [X509_E_CRYPTO] = {"crypto", "the crypto port cannot verify this signature",
                       "FAILED_CertChainError"},
    [X509_E_DC] = {"dc", "leaf subject lacks the domain component (DC) of its role",
                   "FAILED_CertChainError"},
    [X509_E_EMAID_SYNTAX] = {"emaid-syntax", "contract leaf CN is not an eMAID",
                             "FAILED_CertChainError"},
    [X509_E_EMAID] = {"emaid", "contract leaf CN differs from the eMAID of the message",
                      "FAILED_CertChainError"},
    [X509_E_ROOT] = {"root", "the trust anchor does not fit the root profile",
                     "FAILED_NoCertificateAvailable"},
};

const char *x509_reason_text(enum x509_reason r)
{
    return (unsigned)r < X509_REASON_COUNT ? s_reasons[r].text : "unknown reason";
}

const char *x509_reason_name(enum x509_reason r)
{
    return (unsigned)r < X509_REASON_COUNT ? s_reasons[r].name : "unknown";
}

const char *x509_reason_iso2(enum x509_reason r)
{
    return (unsigned)r < X509_REASON_COUNT ? s_reasons[r].iso2 : "FAILED";
}
