/**
 * @file fuzz_iso2.c
 * @brief libFuzzer harness: random bytes through the neutral V2G entry point with ISO 15118-2
 *        negotiated (hlc_handle: supportedAppProtocol, then the ISO-2 backend's decode,
 *        handle, encode).
 *
 * Input = chunks [flags][len][len bytes], as fuzz_din.c. The first chunk is a
 * supportedAppProtocolReq candidate; when it does not negotiate ISO-2 the ISO-2 backend is
 * started anyway (hlc_start). Every later chunk is an ISO-2 request with the charger's
 * status drawn from the flags; flag bit 0 patches our SessionID into the decoded request
 * (the status hook runs between decode and handle) to get past the session check, and a
 * flag of 0xFD starts a new connection (hlc_reset + hlc_start) so that pause and resume are
 * reachable. Properties: nothing crashes or trips a sanitizer; every answer encodes and
 * decodes back to the matching response with the same code; a FAILED answer or an
 * undecodable payload ends the session and names a reason; a finished session answers
 * nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlc.h"
#include "hlc_iso2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hlc s_h;
static struct exi_iso2_document s_chk;
static uint8_t s_out[8192];
static uint8_t s_sid[8] = {0x11, 0x22, 0x33, 0x44, 0x39, 0x77, 0xDD, 0xE7};
static uint8_t s_draws;

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
    if (k->flags & 1) {
        struct exi_iso2_MessageHeaderType *h = &s_h.doc.iso2.req.V2G_Message.Header;
        const struct iso2_evse *m = hlc_iso2_machine(&s_h);
        memcpy(h->SessionID.bytes, m->id, m->id_len);
        h->SessionID.bytesLen = m->id_len;
    }
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
    s_draws = 0;
    if (hlc_init(&s_h, &cfg, fixed_id, NULL) != HAL_OK) {
        abort();
    }
    uint32_t now = 0;
    struct hlc_evse evse;
    struct hlc_result res;
    struct hook hk = {0};
    struct fuzz_hlc_chunk c;
    while (fuzz_hlc_next(data, size, &pos, &c)) {
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
    return 0;
}
