/**
 * @file fuzz_iso2.c
 * @brief libFuzzer harness: random bytes through the neutral V2G entry point with ISO 15118-2
 *        negotiated (hlc_handle: supportedAppProtocol, then the ISO-2 backend's decode,
 *        handle, encode).
 *
 * Input = chunks [flags][len][len bytes], as fuzz_din.c, or [0xFC][flags][len hi][len lo]
 * [len bytes] for a message above 255 bytes (a PaymentDetailsReq with a whole contract chain,
 * a signed MeteringReceiptReq); inputs without a 0xFC flag byte read as before, so older
 * corpora keep their meaning (none of the committed seeds uses 0xFC). The first chunk is a
 * supportedAppProtocolReq candidate; when it does not negotiate ISO-2 the ISO-2 backend is
 * started anyway (hlc_start). Every later chunk is an ISO-2 request with the charger's
 * status drawn from the flags; flag bit 0 patches our SessionID into the decoded request
 * (the status hook runs between decode and handle) to get past the session check, and a
 * flag of 0xFD starts a new connection (hlc_reset + hlc_start) so that pause and resume are
 * reachable. Properties: nothing crashes or trips a sanitizer; every answer encodes and
 * decodes back to the matching response with the same code; a FAILED answer or an
 * undecodable payload ends the session and names a reason; a finished session answers
 * nothing more.
 * Plug & Charge: the charger offers Contract, with a context lent as the charger lends it:
 * one mobility-operator root, the root of the harness's own PKI (built below in C), and a
 * crypto port with the harness's own ECDSA (a signature verifies when r is the digest and s
 * the signer's X), so a good chain and a signed message pass the real checks and every
 * mutation of them meets a refusal. With 0xFC chunks a PaymentDetailsReq carries leaf and
 * Sub-CAs: x509_parse and x509_chain_validate run inside the session, AuthorizationReq and
 * MeteringReceiptReq reach iso2_sig_verify. The seeds of those paths are written at fuzz
 * time by the harness itself (FUZZ_ISO2_SEEDS=DIR, see the seed writer at the end): our car
 * talking to this charger. Flag bit 1 sets the charger's clock inside the root's validity;
 * bits 2..4 all set give the charger a live meter (a receipt is asked). Properties: the
 * ISO-2 backend never raises -20's HOLD (its contract bit is translated); a contract event
 * carries the eMAID. FUZZ_ISO2_COUNT=1 prints at exit how many inputs reached the chain
 * validation and the signature check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlc.h"
#include "hlc_iso2.h"
#include "iso2/iso2_ev.h"
#include "iso2/iso2_sig.h"
#include "sha256/sha256.h"
#include "x509/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How many inputs reached the chain validation and the signature checks inside the session
 * (the SECC's calls, counted through the linker's --wrap, see fuzz.mk); printed at exit when
 * FUZZ_ISO2_COUNT is set, to show that the seeds and the long chunks get there. */
enum x509_reason __real_x509_chain_validate(struct hal_crypto *crypto, enum x509_role role, const struct x509_cert *chain,
                                            size_t n, const struct x509_cert *roots, size_t nroots, int64_t now,
                                            const char *emaid, struct x509_verdict *v);
int __real_iso2_sig_verify(struct iso2_sig_check *c, struct exi_iso2_MessageHeaderType *hdr,
                           const struct exi_iso2_BodyType *body);
static unsigned long s_n_inputs, s_n_chain, s_n_chain_ok, s_n_sig, s_n_sig_ok;
static bool s_count_chain, s_count_sig;

enum x509_reason __wrap_x509_chain_validate(struct hal_crypto *crypto, enum x509_role role,
                                            const struct x509_cert *chain, size_t n, const struct x509_cert *roots,
                                            size_t nroots, int64_t now, const char *emaid, struct x509_verdict *v);
enum x509_reason __wrap_x509_chain_validate(struct hal_crypto *crypto, enum x509_role role,
                                            const struct x509_cert *chain, size_t n, const struct x509_cert *roots,
                                            size_t nroots, int64_t now, const char *emaid, struct x509_verdict *v)
{
    enum x509_reason r = __real_x509_chain_validate(crypto, role, chain, n, roots, nroots, now, emaid, v);
    s_count_chain = true;
    s_n_chain_ok += r == X509_OK;
    return r;
}

int __wrap_iso2_sig_verify(struct iso2_sig_check *c, struct exi_iso2_MessageHeaderType *hdr,
                           const struct exi_iso2_BodyType *body);
int __wrap_iso2_sig_verify(struct iso2_sig_check *c, struct exi_iso2_MessageHeaderType *hdr,
                           const struct exi_iso2_BodyType *body)
{
    int rc = __real_iso2_sig_verify(c, hdr, body);
    s_count_sig = true;
    s_n_sig_ok += rc == HAL_OK;
    return rc;
}

static void print_counts(void)
{
    if (s_n_inputs == 0) {
        return; /* the seed writer */
    }
    fprintf(stderr, "fuzz_iso2: %lu inputs; reaching x509_chain_validate %lu (calls accepting a chain %lu), "
                    "iso2_sig_verify %lu (calls accepting a signature %lu)\n",
            s_n_inputs, s_n_chain, s_n_chain_ok, s_n_sig, s_n_sig_ok);
}

static struct hlc s_h;
static struct exi_iso2_document s_chk;
static uint8_t s_out[8192];
static uint8_t s_sid[8] = {0x11, 0x22, 0x33, 0x44, 0x39, 0x77, 0xDD, 0xE7};
static uint8_t s_draws;

/* ------------------------------------------------------------------ the harness's PKI
 * A mobility-operator hierarchy built here field by field (MO root, Sub-CA 1, Sub-CA 2,
 * contract leaf with an eMAID), in the ISO-2 profiles x509_chain_validate() checks. Its
 * "ECDSA" is the harness's own: a key is the point 04||X||Y with every byte of X and Y its
 * id, and a signature r||s verifies when r is the digest handed over and s the signer's X.
 * So a good chain and a signed message validate for real (links, names, digests of the
 * TBS and of SignedInfo) and every mutation of them meets a refusal, with no OpenSSL in the
 * loop: a fuzzer runs thousands of chains a second. */
#define PKI_EMAID "DEPNC123456789X"
enum { KEY_ROOT = 0x11, KEY_SUB1 = 0x22, KEY_SUB2 = 0x33, KEY_LEAF = 0x44 };

struct der {
    uint8_t b[700];
    size_t n;
};

static void der_raw(struct der *o, const void *p, size_t n)
{
    if (o->n + n > sizeof o->b) {
        abort(); /* the harness's own certificates fit */
    }
    if (n > 0) {
        memcpy(o->b + o->n, p, n);
    }
    o->n += n;
}

static void der_tlv(struct der *o, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[4] = {tag};
    size_t hn = 1;
    if (n >= 0x100u) {
        h[hn++] = 0x82;
        h[hn++] = (uint8_t)(n >> 8);
    } else if (n >= 0x80u) {
        h[hn++] = 0x81;
    }
    h[hn++] = (uint8_t)n;
    der_raw(o, h, hn);
    der_raw(o, p, n);
}

static void der_wrap(struct der *o, uint8_t tag, const struct der *in)
{
    der_tlv(o, tag, in->b, in->n);
}

static void der_name(struct der *o, const char *cn)
{
    static const uint8_t oid_cn[] = {0x55, 0x04, 0x03}, oid_o[] = {0x55, 0x04, 0x0a},
                         oid_dc[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};
    const uint8_t *oids[3] = {oid_cn, oid_o, oid_dc};
    const size_t oid_len[3] = {sizeof oid_cn, sizeof oid_o, sizeof oid_dc};
    const char *vals[3] = {cn, "fuzz_iso2 PKI", "MO"};
    struct der seq = {.n = 0};
    for (unsigned i = 0; i < 3u; i++) {
        struct der atv = {.n = 0}, set = {.n = 0};
        der_tlv(&atv, 0x06, oids[i], oid_len[i]);
        der_tlv(&atv, i == 2u ? 0x16 : 0x0c, vals[i], strlen(vals[i]));
        der_wrap(&set, 0x30, &atv);
        der_wrap(&seq, 0x31, &set);
    }
    der_wrap(o, 0x30, &seq);
}

static void der_ext(struct der *exts, const uint8_t *oid, size_t oid_len, bool critical, const struct der *val)
{
    static const uint8_t yes[] = {0xff};
    struct der e = {.n = 0};
    der_tlv(&e, 0x06, oid, oid_len);
    if (critical) {
        der_tlv(&e, 0x01, yes, 1);
    }
    der_wrap(&e, 0x04, val);
    der_wrap(exts, 0x30, &e);
}

/* One certificate: subject @p cn with key @p key, issued by @p icn with key @p signer;
 * @p pathlen < -1: an end entity, else a CA (-1: no pathLenConstraint). */
static void pki_cert(struct der *out, const char *cn, uint8_t key, const char *icn, uint8_t signer, int pathlen)
{
    static const uint8_t v3[] = {0x02, 0x01, 0x02}, serial[] = {0x10, 0x02},
                         oid_sig[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02},
                         oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01},
                         oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
                         oid_bc[] = {0x55, 0x1d, 0x13}, oid_ku[] = {0x55, 0x1d, 0x0f}, oid_ski[] = {0x55, 0x1d, 0x0e};
    struct der body = {.n = 0}, alg = {.n = 0}, t = {.n = 0}, v = {.n = 0}, w = {.n = 0};
    der_tlv(&body, 0xa0, v3, sizeof v3);
    der_tlv(&body, 0x02, serial, sizeof serial);
    der_tlv(&alg, 0x06, oid_sig, sizeof oid_sig);
    der_wrap(&body, 0x30, &alg);
    der_name(&body, icn);
    der_tlv(&t, 0x17, "200101000000Z", 13); /* 2020 .. 2049: every clock the harness sets */
    der_tlv(&t, 0x17, "491231235959Z", 13);
    der_wrap(&body, 0x30, &t);
    der_name(&body, cn);
    struct der spki = {.n = 0}, ka = {.n = 0}, bits = {.n = 0};
    der_tlv(&ka, 0x06, oid_ec, sizeof oid_ec);
    der_tlv(&ka, 0x06, oid_p256, sizeof oid_p256);
    uint8_t pt[66];
    memset(pt, key, sizeof pt);
    pt[0] = 0x00; /* BIT STRING: no unused bits */
    pt[1] = 0x04;
    der_raw(&bits, pt, sizeof pt);
    der_wrap(&spki, 0x30, &ka);
    der_wrap(&spki, 0x03, &bits);
    der_wrap(&body, 0x30, &spki);
    struct der exts = {.n = 0};
    if (pathlen >= -1) {
        static const uint8_t ca[] = {0xff};
        der_tlv(&w, 0x01, ca, 1);
        if (pathlen >= 0) {
            uint8_t pl = (uint8_t)pathlen;
            der_tlv(&w, 0x02, &pl, 1);
        }
    }
    der_wrap(&v, 0x30, &w);
    der_ext(&exts, oid_bc, sizeof oid_bc, true, &v);
    /* keyUsage: keyCertSign|cRLSign for a CA, digitalSignature|keyAgreement for the leaf */
    const uint8_t ku[2] = {0x00, pathlen >= -1 ? 0x06 : 0x88};
    v.n = 0;
    der_tlv(&v, 0x03, ku, sizeof ku);
    der_ext(&exts, oid_ku, sizeof oid_ku, true, &v);
    uint8_t ski[20];
    memset(ski, key, sizeof ski);
    v.n = 0;
    der_tlv(&v, 0x04, ski, sizeof ski);
    der_ext(&exts, oid_ski, sizeof oid_ski, false, &v);
    w.n = 0;
    der_wrap(&w, 0x30, &exts);
    der_wrap(&body, 0xa3, &w);
    struct der tbs = {.n = 0};
    der_wrap(&tbs, 0x30, &body);
    uint8_t d[33] = {0}, sx[32];
    sha256_digest(tbs.b, tbs.n, d + 1);
    memset(sx, signer, sizeof sx);
    struct der rs = {.n = 0}, sig = {.n = 0}, sigbits = {.n = 0};
    size_t skip = (d[1] & 0x80u) != 0u ? 0u : 1u; /* INTEGER: a 0x00 before a high bit */
    der_tlv(&rs, 0x02, d + skip, 33u - skip);
    der_tlv(&rs, 0x02, sx, sizeof sx);
    der_wrap(&sig, 0x30, &rs);
    static const uint8_t zero = 0;
    der_raw(&sigbits, &zero, 1);
    der_raw(&sigbits, sig.b, sig.n);
    struct der cert = {.n = 0};
    der_raw(&cert, tbs.b, tbs.n);
    der_wrap(&cert, 0x30, &alg);
    der_wrap(&cert, 0x03, &sigbits);
    out->n = 0;
    der_wrap(out, 0x30, &cert);
}

static struct der s_root_der, s_sub1_der, s_sub2_der, s_leaf_der;
static struct x509_cert s_root;
static bool s_root_ok;

static void pki_make(void)
{
    pki_cert(&s_root_der, "MO Root", KEY_ROOT, "MO Root", KEY_ROOT, -1);
    pki_cert(&s_sub1_der, "MO Sub-CA 1", KEY_SUB1, "MO Root", KEY_ROOT, 1);
    pki_cert(&s_sub2_der, "MO Sub-CA 2", KEY_SUB2, "MO Sub-CA 1", KEY_SUB1, 0);
    pki_cert(&s_leaf_der, PKI_EMAID, KEY_LEAF, "MO Sub-CA 2", KEY_SUB2, -2);
    if (x509_parse(&s_root, s_root_der.b, s_root_der.n) != X509_OK) {
        abort();
    }
    s_root_ok = true;
}

static struct iso2_evse_pnc s_pnc;
static uint8_t s_pnc_buf[1024];

/* The harness's ECDSA (see above): r = the digest, s = the signer's X. */
static int fake_verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len,
                       const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)c;
    if (curve != HAL_CRYPTO_SECP256R1 || pub_len != 65u || digest_len != 32u || sig_len != 64u) {
        return HAL_EINVAL;
    }
    return memcmp(sig, digest, 32) == 0 && memcmp(sig + 32, pub + 1, 32) == 0 ? HAL_OK : HAL_EPROTO;
}

/* The car's signing (the seed writer): the port's key handle is the key id. */
static int fake_sign(struct hal_crypto *c, uint32_t key, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                     size_t sig_cap, size_t *sig_len)
{
    (void)c;
    if (digest_len != 32u || sig_cap < 64u) {
        return HAL_EINVAL;
    }
    memcpy(sig, digest, 32);
    memset(sig + 32, (int)key, 32);
    *sig_len = 64;
    return HAL_OK;
}

static const struct hal_crypto_ops s_crypto_ops = {.ecdsa_verify = fake_verify, .ecdsa_sign = fake_sign};
static struct hal_crypto s_crypto = {.ops = &s_crypto_ops};

static int fake_fill(struct hal_rng *r, uint8_t *b, size_t n)
{
    (void)r;
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(0xA5u ^ i);
    }
    return HAL_OK;
}
static const struct hal_rng_ops s_rng_ops = {.fill = fake_fill};
static struct hal_rng s_rng = {.ops = &s_rng_ops};

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    s_sid[0] = (uint8_t)(0x11u + s_draws++); /* a new ID per connection, never zero */
    memcpy(bytes, s_sid, len < sizeof s_sid ? len : sizeof s_sid);
    return HAL_OK;
}

struct hook {
    uint8_t flags;
};

static void status_hook(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse)
{
    const struct hook *k = ctx;
    (void)rq;
    fuzz_hlc_status(k->flags, evse, HLC_SCHEDULE_MAX);
    if ((k->flags & 2) && s_root_ok) {
        evse->unix_time_s = s_root.not_before + 86400; /* the root (and a chain made with it) valid */
    }
    /* a live meter when parameters and cable check are done (bits 2..4): a Contract session's
     * CurrentDemandRes then asks for a signed MeteringReceipt */
    if ((k->flags & 0x1C) == 0x1C) {
        evse->meter_valid = true;
        evse->meter_wh = (uint64_t)k->flags * 10u;
    }
    if (k->flags & 1) {
        struct exi_iso2_MessageHeaderType *h = &s_h.doc.iso2.req.V2G_Message.Header;
        const struct iso2_evse *m = hlc_iso2_machine(&s_h);
        memcpy(h->SessionID.bytes, m->id, m->id_len);
        h->SessionID.bytesLen = m->id_len;
    }
}

/* The next chunk: fuzz_hlc_next's [flags][len][bytes], or [0xFC][flags][len hi][len lo][bytes]. */
static bool next_chunk(const uint8_t *data, size_t size, size_t *pos, struct fuzz_hlc_chunk *c)
{
    if (*pos + 4 <= size && data[*pos] == 0xFCu) {
        c->flags = data[*pos + 1];
        c->len = ((size_t)data[*pos + 2] << 8) | data[*pos + 3];
        *pos += 4;
        if (c->len > size - *pos) {
            c->len = size - *pos;
        }
        c->msg = data + *pos;
        *pos += c->len;
        return true;
    }
    return fuzz_hlc_next(data, size, pos, c);
}

static void start_iso2(uint32_t now)
{
    if (hlc_start(&s_h, &hlc_iso2_ops, now) != HAL_OK) {
        abort();
    }
}

/* One input's run: the charger as LLVMFuzzerTestOneInput drives it, chunk by chunk (the
 * seed writer drives the same, so its seeds replay exactly). */
struct run {
    bool first;
    uint32_t now;
    struct hook hk;
};

static void run_begin(struct run *r)
{
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    if (hlc_parse_protocols("iso2", &cfg.protocols, NULL, 0) != HAL_OK) {
        abort();
    }
    cfg.iso2.vas_count = 1;
    cfg.iso2.vas[0].id = 61000;
    cfg.iso2.tariff_count = 2;
    cfg.iso2.tariff[1].start_s = 1800;
    cfg.iso2.offer_contract = true;
    cfg.iso2_pnc_plain_tcp = true; /* the harness says no transport: the lab switch makes it secure */
    s_draws = 0;
    s_count_chain = false;
    s_count_sig = false;
    if (hlc_init(&s_h, &cfg, fixed_id, NULL) != HAL_OK) {
        abort();
    }
    if (!s_root_ok) {
        if (getenv("FUZZ_ISO2_COUNT") != NULL) {
            (void)atexit(print_counts);
        }
        pki_make();
    }
    s_pnc = (struct iso2_evse_pnc){.crypto = &s_crypto,
                                   .rng = &s_rng,
                                   .roots = &s_root,
                                   .nroots = 1,
                                   .now_s = s_root.not_before + 86400,
                                   .buf = s_pnc_buf,
                                   .cap = sizeof s_pnc_buf};
    iso2_evse_pnc_init(&s_pnc);
    hlc_set_iso2_pnc(&s_h, &s_pnc);
    *r = (struct run){.first = true};
}

/* Feed one chunk; checks the properties; returns the answer's length in s_out (0: none). */
static size_t run_chunk(struct run *r, uint8_t flags, const uint8_t *msg, size_t len)
{
    struct hlc_evse evse;
    struct hlc_result res;
    size_t n = 0;
    r->now += (uint32_t)flags * 97u;
    r->hk.flags = flags;
    if (r->first) {
        r->first = false;
        int rc = hlc_handle(&s_h, msg, len, &evse, status_hook, &r->hk, s_out, sizeof s_out, &n, &res, r->now);
        if (rc == HAL_OK && (res.error == HLC_ERR_ENCODE || n == 0)) {
            abort();
        }
        if (hlc_active(&s_h) == NULL) {
            start_iso2(r->now);
        }
        return rc == HAL_OK ? n : 0;
    }
    if (flags == 0xFD) {
        hlc_reset(&s_h); /* a new connection: a paused session may be resumed */
        start_iso2(r->now);
        return 0;
    }
    bool over = hlc_over(&s_h);
    int rc = hlc_handle(&s_h, msg, len, &evse, status_hook, &r->hk, s_out, sizeof s_out, &n, &res, r->now);
    if (rc != HAL_OK && res.error == HLC_ERR_DECODE) {
        if (!hlc_over(&s_h) || (!over && (!res.failed || res.reason[0] == '\0'))) {
            abort(); /* garbage ends the session, with a reason */
        }
        return 0;
    }
    if (over && rc != HAL_ESTATE) {
        abort();
    }
    if (rc != HAL_OK) {
        return 0;
    }
    if (res.error == HLC_ERR_ENCODE || n == 0) {
        abort();
    }
    if ((res.events & HLC_EVT_HOLD) ||
        ((res.events & HLC_EVT_CONTRACT) && (res.token[0] == '\0' || strlen(res.token) > 15u))) {
        abort(); /* the contract bit translated, with its eMAID */
    }
    if (res.failed && (!hlc_over(&s_h) || res.reason[0] == '\0' || !(res.events & HLC_EVT_CLOSE))) {
        abort();
    }
    struct exi_reader rd;
    exi_reader_init(&rd, s_out, n);
    const struct iso2_evse_request *out = hlc_iso2_last(&s_h);
    if (exi_iso2_decode(&rd, &s_chk) != HAL_OK || iso2_response_kind(&s_chk) != out->msg ||
        iso2_response_code(&s_chk) != out->response_code) {
        abort();
    }
    hlc_sent(&s_h, r->now + (flags & 7));
    (void)hlc_tick(&s_h, r->now + (uint32_t)flags * 1000u);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    struct run r;
    struct fuzz_hlc_chunk c;
    run_begin(&r);
    while (next_chunk(data, size, &pos, &c)) {
        (void)run_chunk(&r, c.flags, c.msg, c.len);
    }
    s_n_inputs++;
    s_n_chain += s_count_chain;
    s_n_sig += s_count_sig;
    return 0;
}

/* ------------------------------------------------------------------ the seed writer
 * FUZZ_ISO2_SEEDS=DIR fuzz_iso2: write Plug & Charge seeds to DIR and exit (fuzz.mk runs it
 * before the fuzzing, so the seeds follow the code, the PKI above and our car's encoder, and
 * nothing is copied from anywhere). Our own car (iso2_ev with the contract of the PKI above)
 * talks to the harness's charger, each request a chunk: handshake, PaymentDetailsReq with
 * leaf + two Sub-CAs (above 255 bytes: a 0xFC chunk), signed AuthorizationReq, then the DC
 * loop until the charger asks for a receipt and the signed MeteringReceiptReq answers it. */
struct seed {
    uint8_t b[16384];
    size_t n;
};

static void seed_chunk(struct seed *sd, uint8_t flags, const uint8_t *msg, size_t len)
{
    if (sd->n + len + 4u > sizeof sd->b || len > 0xFFFFu) {
        abort();
    }
    if (len > 255u) {
        sd->b[sd->n++] = 0xFC;
        sd->b[sd->n++] = flags;
        sd->b[sd->n++] = (uint8_t)(len >> 8);
        sd->b[sd->n++] = (uint8_t)len;
    } else {
        sd->b[sd->n++] = flags;
        sd->b[sd->n++] = (uint8_t)len;
    }
    memcpy(sd->b + sd->n, msg, len);
    sd->n += len;
}

static void seed_put(const char *dir, const char *name, const struct seed *sd)
{
    char path[4096];
    (void)snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(sd->b, 1, sd->n, f) != sd->n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_iso2: cannot write %s\n", path);
        exit(1);
    }
}

/* One session of our car; @p subs Sub-CAs sent; stops after @p last (the car's request kind)
 * or at the session's end. Returns the chunks in @p sd. */
static struct iso2_ev *seed_session(struct seed *sd, uint8_t subs, enum iso2_msg last)
{
    static struct iso2_ev ev;
    static struct iso2_ev_contract ct;
    static uint8_t ct_buf[2048], req[8192];
    struct run r;
    run_begin(&r); /* makes the PKI on the first call */
    const uint8_t *sub[2] = {s_sub2_der.b, s_sub1_der.b};
    const size_t sub_len[2] = {s_sub2_der.n, s_sub1_der.n};
    if (iso2_ev_contract_init(&ct, &s_crypto, KEY_LEAF, s_leaf_der.b, s_leaf_der.n, sub, sub_len, subs, PKI_EMAID,
                              ct_buf, sizeof ct_buf) != HAL_OK) {
        abort();
    }
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.contract = &ct;
    cfg.start_delay_ms = cfg.delay_ms = cfg.loop_delay_ms = cfg.cd_period_ms = 0;
    if (iso2_ev_start(&ev, &cfg, 0) != HAL_OK) {
        abort();
    }
    /* the charger's flags: 0x03 up to Authorization (clock, authorised, isolation valid), then
     * 0x1D (parameters and cable check finished, isolation warning, no notification, 58 V) */
    ev.model.battery_voltage_mv = 58000;
    ev.model.target_voltage_mv = 60000;
    sd->n = 0;
    for (unsigned step = 0; step < 200u; step++) {
        size_t len = 0;
        if (iso2_ev_next(&ev, r.now, req, sizeof req, &len) != HAL_OK) {
            break;
        }
        if (len == 0) {
            r.now += 10;
            continue;
        }
        enum iso2_msg kind = ev.sent;
        uint8_t flags = (r.first || kind <= ISO2_MSG_AUTHORIZATION) ? 0x03 : 0x1D;
        seed_chunk(sd, flags, req, len);
        size_t n = run_chunk(&r, flags, req, len);
        if (kind == last || n == 0 || iso2_ev_receive(&ev, s_out, n, r.now) != HAL_OK) {
            break;
        }
        if (ev.receipts > 0) {
            ev.model.stop = true; /* the receipt signed: end the session */
        }
    }
    if (getenv("FUZZ_ISO2_COUNT") != NULL) {
        fprintf(stderr, "fuzz_iso2: seed session: %u requests, %u receipts, car %s (%s)\n", (unsigned)ev.requests,
                (unsigned)ev.receipts, iso2_ev_state_name(ev.state), iso2_ev_reason(&ev));
    }
    return &ev;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("FUZZ_ISO2_SEEDS");
    if (dir == NULL) {
        return 0;
    }
    static struct seed sd;
    const struct iso2_ev *ev = seed_session(&sd, 2, ISO2_MSG_COUNT); /* to the end */
    if (ev->receipts == 0 || ev->state != ISO2_EV_DONE || !s_n_chain_ok || !s_n_sig_ok) {
        /* the seeds must go where they are meant to: a change of the code that stops them
         * fails the fuzz run here, not silently */
        fprintf(stderr, "fuzz_iso2: the seed session did not pass the chain, Authorization and a receipt (car %s: %s)\n",
                iso2_ev_state_name(ev->state), iso2_ev_reason(ev));
        exit(1);
    }
    seed_put(dir, "pnc-session", &sd);
    seed_session(&sd, 2, ISO2_MSG_AUTHORIZATION);
    seed_put(dir, "pnc-authorization", &sd);
    seed_session(&sd, 1, ISO2_MSG_PAYMENT_DETAILS); /* a Sub-CA missing: the chain refused */
    seed_put(dir, "pnc-short-chain", &sd);
    exit(0);
}
