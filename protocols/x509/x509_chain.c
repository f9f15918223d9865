/*
 * V2G certificate chain validation: owns the ISO 15118-2 certificate profiles (per role and
 * position), the eMAID rule, and the walk leaf -> Sub-CAs -> trust anchor with each
 * signature checked through hal_crypto. Parsing is x509.c's.
 *
 * The order of the checks decides which reason a chain with several faults gets: the
 * leaf's own faults first, then each link upwards, then the anchor, so the reason names the
 * lowest certificate that is wrong (what an integrator replaces first).
 */
#include "x509/x509.h"

#include <string.h>

#include "sha256/sha256.h"

size_t x509_emaid_normalise(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = in[i];
        if (ch == '-') {
            continue;
        }
        if (ch >= 'a' && ch <= 'z') {
            ch = (uint8_t)(ch - 'a' + 'A');
        }
        bool alpha = ch >= 'A' && ch <= 'Z';
        bool alnum = alpha || (ch >= '0' && ch <= '9');
        if (!alnum || (n < 2u && !alpha) || n + 1u >= cap) {
            return 0;
        }
        out[n++] = (char)ch;
    }
    /* 2 country letters + 3 provider + 9 instance, then an optional check character. */
    if (n != 14u && n != 15u) {
        return 0;
    }
    out[n] = '\0';
    return n;
}

static bool x509_span_eq(const struct x509_span *a, const struct x509_span *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

enum x509_reason x509_check_profile(const struct x509_cert *c, enum x509_role role, unsigned pos,
                                    bool is_root)
{
    (void)role;
    if (c->version != 3u) {
        return X509_E_VERSION;
    }
    if (c->key_type != X509_KEY_EC) {
        return X509_E_KEY_TYPE;
    }
    if (c->curve != X509_CURVE_P256) {
        return X509_E_CURVE;
    }
    if (c->sig_alg != X509_SIG_ECDSA_SHA256) {
        return X509_E_SIG_ALG;
    }
    if (c->unknown_critical != 0u) {
        return X509_E_CRITICAL_EXT;
    }
    if (is_root || pos > 0u) {
        /* A CA: basicConstraints cA and keyCertSign (ISO-2 profile; RFC 5280 6.1.4). */
        if (!c->has_bc || !c->ca) {
            return X509_E_BASIC_CONSTRAINTS;
        }
        if (!c->has_ku || (c->key_usage & X509_KU_KEY_CERT_SIGN) == 0u) {
            return X509_E_KEY_USAGE;
        }
        return X509_OK;
    }
    /* The leaf signs (AuthorizationReq, the TLS handshake, CertificateInstallationReq):
     * digitalSignature; it must not be usable as a CA. */
    if (c->has_bc && c->ca) {
        return X509_E_BASIC_CONSTRAINTS;
    }
    if (!c->has_ku || (c->key_usage & X509_KU_DIGITAL_SIGNATURE) == 0u ||
        (c->key_usage & X509_KU_KEY_CERT_SIGN) != 0u) {
        return X509_E_KEY_USAGE;
    }
    return X509_OK;
}

enum x509_reason x509_verify_signed_by(struct hal_crypto *crypto, const struct x509_cert *c,
                                       const struct x509_cert *issuer)
{
    /* SHA-256 is the one digest of the core; the ISO-2 profile needs no other. */
    if (c->sig_alg != X509_SIG_ECDSA_SHA256) {
        return X509_E_SIG_ALG;
    }
    if (issuer->key_type != X509_KEY_EC) {
        return X509_E_KEY_TYPE;
    }
    enum hal_crypto_curve hc = x509_hal_curve(issuer->curve);
    size_t fb = hal_crypto_curve_bytes(hc);
    if (fb == 0u) {
        return X509_E_CURVE;
    }
    if (c->sig_r.len > fb || c->sig_s.len > fb || issuer->pub.len != 1u + 2u * fb) {
        return X509_E_SIGNATURE;
    }
    uint8_t sig[HAL_CRYPTO_SIG_MAX];
    memset(sig, 0, sizeof sig);
    memcpy(sig + fb - c->sig_r.len, c->sig_r.p, c->sig_r.len);
    memcpy(sig + 2u * fb - c->sig_s.len, c->sig_s.p, c->sig_s.len);
    uint8_t digest[HAL_CRYPTO_SHA256_LEN];
    sha256_digest(c->tbs.p, c->tbs.len, digest);
    int rc = hal_crypto_ecdsa_verify(crypto, hc, issuer->pub.p, issuer->pub.len, digest,
                                     sizeof digest, sig, 2u * fb);
    if (rc == HAL_OK) {
        return X509_OK;
    }
    /* EINVAL: the key is not a point on the curve, or r/s do not fit: a bad signature, not a
     * failing port. */
    return rc == HAL_EPROTO || rc == HAL_EINVAL ? X509_E_SIGNATURE : X509_E_CRYPTO;
}

static enum x509_reason x509_validity(const struct x509_cert *c, int64_t now)
{
    if (now < c->not_before) {
        return X509_E_NOT_YET_VALID;
    }
    if (now > c->not_after) {
        return X509_E_EXPIRED;
    }
    return X509_OK;
}

static const char *x509_role_dc(enum x509_role role)
{
    switch (role) {
    case X509_ROLE_SECC:
        return "CPO";
    case X509_ROLE_CONTRACT:
        return "MO";
    case X509_ROLE_OEM:
        return "OEM";
    case X509_ROLE_CPS:
        return "CPS";
    }
    return "";
}

/* The leaf's own rules beyond the profile: domain component of its role ([V2G2-925] as
 * cited), and for a contract the eMAID in its CN, equal to the message's (EvseV2G compares
 * after dropping '-' and ignoring case). */
static enum x509_reason x509_leaf_rules(const struct x509_cert *leaf, enum x509_role role,
                                        const char *emaid)
{
    if (!x509_name_has_dc(&leaf->subject, x509_role_dc(role))) {
        return X509_E_DC;
    }
    if (role != X509_ROLE_CONTRACT) {
        return X509_OK;
    }
    struct x509_span cn;
    char a[20], b[20];
    if (!x509_name_cn(&leaf->subject, &cn) || x509_emaid_normalise(cn.p, cn.len, a, sizeof a) == 0) {
        return X509_E_EMAID_SYNTAX;
    }
    if (emaid != NULL) {
        size_t n = x509_emaid_normalise((const uint8_t *)emaid, strlen(emaid), b, sizeof b);
        if (n == 0 || strcmp(a, b) != 0) {
            return X509_E_EMAID;
        }
    }
    return X509_OK;
}

static enum x509_reason x509_refuse(struct x509_verdict *v, enum x509_reason r, int index)
{
    v->reason = r;
    v->index = index;
    return r;
}

/* Can anchor @p root close a chain whose top certificate is @p top, @p below CAs under it? */
static enum x509_reason x509_try_root(struct hal_crypto *crypto, const struct x509_cert *root,
                                      const struct x509_cert *top, unsigned below, int64_t now,
                                      enum x509_role role, bool *root_fault)
{
    *root_fault = true;
    if (!x509_span_eq(&root->subject, &root->issuer)) {
        return X509_E_ROOT;
    }
    enum x509_reason r = x509_check_profile(root, role, 0, true);
    if (r == X509_OK) {
        r = x509_validity(root, now);
    }
    if (r == X509_OK && root->pathlen >= 0 && (unsigned)root->pathlen < below) {
        r = X509_E_PATHLEN;
    }
    if (r != X509_OK) {
        return r;
    }
    *root_fault = false;
    return x509_verify_signed_by(crypto, top, root);
}

enum x509_reason x509_chain_validate(struct hal_crypto *crypto, enum x509_role role,
                                     const struct x509_cert *chain, size_t n,
                                     const struct x509_cert *roots, size_t nroots, int64_t now,
                                     const char *emaid, struct x509_verdict *v)
{
    v->reason = X509_OK;
    v->index = -1;
    v->root = -1;
    v->expires_soon = false;
    if (n == 0 || chain == NULL) {
        return x509_refuse(v, X509_E_CHAIN_EMPTY, -1);
    }
    /* A car that sends its root too: the anchor is ours, the copy is dropped. */
    if (n > 1u) {
        for (size_t k = 0; k < nroots; k++) {
            if (x509_span_eq(&chain[n - 1u].der, &roots[k].der)) {
                n--;
                break;
            }
        }
    }
    if (n - 1u > CFG_X509_V2G_SUBCA_MAX) {
        return x509_refuse(v, X509_E_CHAIN_TOO_LONG, (int)CFG_X509_V2G_SUBCA_MAX + 1);
    }
    for (size_t i = 0; i < n; i++) {
        const struct x509_cert *c = &chain[i];
        if (c->der.len > CFG_X509_V2G_CERT_MAX) {
            return x509_refuse(v, X509_E_TOO_LARGE, (int)i);
        }
        enum x509_reason r = x509_check_profile(c, role, (unsigned)i, false);
        if (r == X509_OK) {
            r = x509_validity(c, now);
        }
        if (r == X509_OK && i == 0) {
            r = x509_leaf_rules(c, role, emaid);
        }
        /* RFC 5280 4.2.1.9: at most pathlen CAs below this one (the leaf does not count). */
        if (r == X509_OK && i > 0 && c->pathlen >= 0 && (size_t)c->pathlen < i - 1u) {
            r = X509_E_PATHLEN;
        }
        if (r != X509_OK) {
            return x509_refuse(v, r, (int)i);
        }
        if (i + 1u < n) {
            if (!x509_span_eq(&c->issuer, &chain[i + 1u].subject)) {
                return x509_refuse(v, X509_E_ISSUER, (int)i);
            }
            r = x509_verify_signed_by(crypto, c, &chain[i + 1u]);
            if (r != X509_OK) {
                return x509_refuse(v, r, (int)i);
            }
        }
    }
    /* The anchor: every configured root with the top's issuer as subject is tried (two
     * roots may share a name across a key rollover). */
    const struct x509_cert *top = &chain[n - 1u];
    enum x509_reason first = X509_E_NO_ROOT;
    bool first_root_fault = false;
    for (size_t k = 0; k < nroots; k++) {
        if (!x509_span_eq(&roots[k].subject, &top->issuer)) {
            continue;
        }
        bool root_fault;
        enum x509_reason r = x509_try_root(crypto, &roots[k], top, (unsigned)(n - 1u), now, role,
                                           &root_fault);
        if (r == X509_OK) {
            v->root = (int)k;
            v->expires_soon = chain[0].not_after - now < (int64_t)CFG_X509_EXPIRES_SOON_S;
            return X509_OK;
        }
        if (first == X509_E_NO_ROOT) {
            first = r;
            first_root_fault = root_fault;
        }
    }
    return x509_refuse(v, first, first == X509_E_NO_ROOT || !first_root_fault ? (int)(n - 1u) : (int)n);
}
