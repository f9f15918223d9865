/**
 * @file fuzz_din.c
 * @brief libFuzzer harness: random bytes through the neutral V2G entry point (hlc_handle:
 *        SupportedAppProtocol negotiation, then the DIN backend's decode, handle, encode).
 *
 * Input = a sequence of chunks [flags][len][len bytes]. The first chunk is a
 * supportedAppProtocolReq candidate; when it negotiates nothing the DIN backend is started
 * anyway (hlc_start), so the rest are always DIN requests handled in order, with the
 * charger's status drawn from the flags (so every phase and every status path is
 * reachable) and, when flag bit 0 is set, our SessionID patched into the decoded request by
 * the status hook (it runs between decode and handle) so the fuzzer gets past the session
 * check. Properties: nothing crashes or trips a sanitizer; every answer encodes and decodes
 * back to the matching response with the same code; a finished session answers nothing
 * more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlc.h"
#include "hlc_din.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hlc s_h;
static struct exi_din_document s_chk;
static uint8_t s_out[4096];
static const uint8_t s_sid[8] = {0, 0, 0, 0, 0x39, 0x77, 0xDD, 0xE7};

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    memcpy(bytes, s_sid, len < sizeof s_sid ? len : sizeof s_sid);
    return HAL_OK;
}

struct hook {
    uint8_t flags;
};

/* Between decode and handle: the status of this chunk, and our SessionID when asked. */
static void status_hook(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse)
{
    const struct hook *k = ctx;
    (void)rq;
    fuzz_hlc_status(k->flags, evse, 1);
    if (k->flags & 1) {
        struct din_session_id sid;
        memcpy(sid.bytes, s_sid, sizeof s_sid);
        sid.len = sizeof s_sid;
        din_session_id_to_header(&s_h.doc.din.req.V2G_Message.Header, &sid);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    bool first = true;
    struct hlc_config cfg;
    hlc_default_config(&cfg);
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
                abort(); /* every handshake answer must encode */
            }
            if (rc == HAL_OK && res.positive != (hlc_active(&s_h) != NULL)) {
                abort();
            }
            if (hlc_active(&s_h) == NULL && hlc_start(&s_h, &hlc_din_ops, now) != HAL_OK) {
                abort();
            }
            continue;
        }
        bool over = hlc_over(&s_h);
        int rc = hlc_handle(&s_h, msg, len, &evse, status_hook, &hk, s_out, sizeof s_out, &n, &res, now);
        if (rc != HAL_OK && res.error == HLC_ERR_DECODE) {
            (void)hlc_tick(&s_h, now);
            continue;
        }
        if (over && rc != HAL_ESTATE) {
            abort();
        }
        if (rc != HAL_OK) {
            continue;
        }
        if (res.error == HLC_ERR_ENCODE || n == 0) {
            abort(); /* every answer must be schema-valid */
        }
        struct exi_reader r;
        exi_reader_init(&r, s_out, n);
        const struct din_evse_request *out = hlc_din_last(&s_h);
        if (exi_din_decode(&r, &s_chk) != HAL_OK || din_response_kind(&s_chk) != out->msg ||
            din_response_code(&s_chk) != out->response_code) {
            abort();
        }
        hlc_sent(&s_h, now + (flags & 7));
    }
    return 0;
}
