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
 * Plug & Charge: the charger offers Contract (a context is lent as the charger lends it,
 * with one mobility-operator root, the MO root of a make-pki.sh run, public; a port whose
 * ECDSA verify says yes or no by the digest's first bit, so chains and signatures of
 * fuzzed bytes get through as often as they fail), so PaymentDetailsReq reaches the X.509
 * parse and its refusals and AuthorizationReq the signature check. A chunk holds at most
 * 255 bytes, too few for a whole certificate: chain validation itself is fuzz_x509's
 * (protocols/x509 with seeds from our PKI). Flag bit 1 sets the
 * charger's clock inside the root's validity. Properties: the ISO-2 backend never raises
 * -20's HOLD (its contract bit is translated); a contract event carries the eMAID.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlc.h"
#include "hlc_iso2.h"
#include "iso2/iso2_sig.h"
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
static unsigned long s_n_chain, s_n_chain_ok, s_n_sig, s_n_sig_ok;
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
    fprintf(stderr, "fuzz_iso2: inputs reaching x509_chain_validate %lu (chains valid %lu), iso2_sig_verify %lu "
                    "(signatures valid %lu)\n",
            s_n_chain, s_n_chain_ok, s_n_sig, s_n_sig_ok);
}

static struct hlc s_h;
static struct exi_iso2_document s_chk;
static uint8_t s_out[8192];
static uint8_t s_sid[8] = {0x11, 0x22, 0x33, 0x44, 0x39, 0x77, 0xDD, 0xE7};
static uint8_t s_draws;

/* The MO root of a make-pki.sh run (a public certificate, DER). */
static const uint8_t s_root_der[] = {
  0x30, 0x82, 0x01, 0xe7, 0x30, 0x82, 0x01, 0x8e, 0xa0, 0x03, 0x02, 0x01,
  0x02, 0x02, 0x02, 0x10, 0x07, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x5b, 0x31, 0x13, 0x30, 0x11, 0x06,
  0x03, 0x55, 0x04, 0x03, 0x0c, 0x0a, 0x4d, 0x4f, 0x20, 0x52, 0x6f, 0x6f,
  0x74, 0x20, 0x43, 0x41, 0x31, 0x23, 0x30, 0x21, 0x06, 0x03, 0x55, 0x04,
  0x0a, 0x0c, 0x1a, 0x56, 0x32, 0x47, 0x20, 0x54, 0x65, 0x73, 0x74, 0x20,
  0x50, 0x4b, 0x49, 0x20, 0x28, 0x6d, 0x61, 0x6b, 0x65, 0x2d, 0x70, 0x6b,
  0x69, 0x2e, 0x73, 0x68, 0x29, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55,
  0x04, 0x06, 0x13, 0x02, 0x44, 0x45, 0x31, 0x12, 0x30, 0x10, 0x06, 0x0a,
  0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19, 0x16, 0x02,
  0x4d, 0x4f, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x34,
  0x32, 0x33, 0x31, 0x38, 0x32, 0x34, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31,
  0x32, 0x30, 0x31, 0x32, 0x33, 0x31, 0x38, 0x32, 0x34, 0x5a, 0x30, 0x5b,
  0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0a, 0x4d,
  0x4f, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x31, 0x23, 0x30,
  0x21, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x1a, 0x56, 0x32, 0x47, 0x20,
  0x54, 0x65, 0x73, 0x74, 0x20, 0x50, 0x4b, 0x49, 0x20, 0x28, 0x6d, 0x61,
  0x6b, 0x65, 0x2d, 0x70, 0x6b, 0x69, 0x2e, 0x73, 0x68, 0x29, 0x31, 0x0b,
  0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x44, 0x45, 0x31,
  0x12, 0x30, 0x10, 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c,
  0x64, 0x01, 0x19, 0x16, 0x02, 0x4d, 0x4f, 0x30, 0x59, 0x30, 0x13, 0x06,
  0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
  0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x96, 0x03,
  0x9c, 0xb6, 0xeb, 0xde, 0xf2, 0x1f, 0xfd, 0xfe, 0xf2, 0x9b, 0xd1, 0x08,
  0x77, 0xab, 0x6a, 0xc8, 0xdd, 0x8d, 0xb3, 0x9e, 0x52, 0xf3, 0x59, 0x29,
  0x14, 0x48, 0x39, 0x2f, 0xcb, 0x9f, 0x0b, 0xc8, 0x2c, 0x74, 0x68, 0x52,
  0x70, 0x1a, 0x46, 0x50, 0xab, 0xbe, 0xc0, 0x65, 0x38, 0xd5, 0xbe, 0x0e,
  0xc8, 0x11, 0x07, 0x2a, 0x5b, 0xeb, 0xe0, 0xfb, 0x90, 0x59, 0x71, 0x42,
  0x43, 0x82, 0xa3, 0x42, 0x30, 0x40, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
  0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30,
  0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03,
  0x02, 0x01, 0x06, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16,
  0x04, 0x14, 0x70, 0x02, 0xbb, 0x6f, 0x2e, 0x02, 0xeb, 0xf2, 0xbf, 0xe3,
  0xf3, 0x5b, 0x6a, 0xa2, 0xd8, 0xc5, 0x32, 0xb4, 0x37, 0xa2, 0x30, 0x0a,
  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47,
  0x00, 0x30, 0x44, 0x02, 0x20, 0x76, 0xfb, 0x98, 0x51, 0x8d, 0xe0, 0xf8,
  0xb7, 0xcc, 0x01, 0x5a, 0x23, 0x1b, 0xc0, 0x95, 0x35, 0x82, 0x9f, 0x7a,
  0x0a, 0x94, 0x56, 0x4d, 0x17, 0x58, 0x83, 0xe8, 0x61, 0xe2, 0x78, 0x1b,
  0x8c, 0x02, 0x20, 0x18, 0xea, 0xf3, 0x1c, 0xca, 0x75, 0x6b, 0x18, 0x35,
  0x5b, 0xac, 0x89, 0xa6, 0x8b, 0x65, 0x8a, 0xce, 0xff, 0xd8, 0x76, 0xcc,
  0xff, 0x53, 0x5e, 0x4b, 0xa8, 0x33, 0xcb, 0x2f, 0x3d, 0x83, 0xf2
};
static struct x509_cert s_root;
static bool s_root_ok;
static struct iso2_evse_pnc s_pnc;
static uint8_t s_pnc_buf[1024];

static int fake_verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len,
                       const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)c;
    (void)curve;
    (void)pub;
    (void)sig;
    if (pub_len != 65u || digest_len != 32u || sig_len != 64u) {
        return HAL_EINVAL;
    }
    return (digest[0] & 1u) ? HAL_OK : HAL_EPROTO;
}
static const struct hal_crypto_ops s_crypto_ops = {.ecdsa_verify = fake_verify};
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    bool first = true;
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
        s_root_ok = x509_parse(&s_root, s_root_der, sizeof s_root_der) == X509_OK;
        if (!s_root_ok) {
            abort();
        }
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
    uint32_t now = 0;
    struct hlc_evse evse;
    struct hlc_result res;
    struct hook hk = {0};
    struct fuzz_hlc_chunk c;
    while (next_chunk(data, size, &pos, &c)) {
        uint8_t flags = c.flags;
        const uint8_t *msg = c.msg;
        size_t len = c.len;
        now += (uint32_t)flags * 97u;
        size_t n = 0;
        hk.flags = flags;
        if (first) {
            first = false;
            int rc = hlc_handle(&s_h, msg, len, &evse, status_hook, &hk, s_out, sizeof s_out, &n, &res, now);
            if (rc == HAL_OK && (res.error == HLC_ERR_ENCODE || n == 0)) {
                abort();
            }
            if (hlc_active(&s_h) == NULL) {
                start_iso2(now);
            }
            continue;
        }
        if (flags == 0xFD) {
            hlc_reset(&s_h); /* a new connection: a paused session may be resumed */
            start_iso2(now);
            continue;
        }
        bool over = hlc_over(&s_h);
        int rc = hlc_handle(&s_h, msg, len, &evse, status_hook, &hk, s_out, sizeof s_out, &n, &res, now);
        if (rc != HAL_OK && res.error == HLC_ERR_DECODE) {
            if (!hlc_over(&s_h) || (!over && (!res.failed || res.reason[0] == '\0'))) {
                abort(); /* garbage ends the session, with a reason */
            }
            continue;
        }
        if (over && rc != HAL_ESTATE) {
            abort();
        }
        if (rc != HAL_OK) {
            continue;
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
        struct exi_reader r;
        exi_reader_init(&r, s_out, n);
        const struct iso2_evse_request *out = hlc_iso2_last(&s_h);
        if (exi_iso2_decode(&r, &s_chk) != HAL_OK || iso2_response_kind(&s_chk) != out->msg ||
            iso2_response_code(&s_chk) != out->response_code) {
            abort();
        }
        hlc_sent(&s_h, now + (flags & 7));
        (void)hlc_tick(&s_h, now + (uint32_t)flags * 1000u);
    }
    s_n_chain += s_count_chain;
    s_n_sig += s_count_sig;
    return 0;
}
