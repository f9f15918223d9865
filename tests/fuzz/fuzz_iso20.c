/**
 * @file fuzz_iso20.c
 * @brief libFuzzer harness: random bytes through the neutral V2G entry point with ISO 15118-20
 *        DC negotiated (hlc_handle: supportedAppProtocol, then the -20 backend's grammar choice
 *        by payload type, decode, handle, encode).
 *
 * Input = chunks [flags][len][len bytes], as fuzz_iso2.c. The first chunk is a
 * supportedAppProtocolReq candidate; when it does not negotiate -20 the backend is started
 * anyway (hlc_start). Every later chunk is a -20 request: flag bit 6 sends it as a DC
 * message (payload 0x8004), otherwise as a common one (0x8002); a flag of 0xFE sends it as
 * AC (0x8003), which must end the session. The charger's status is drawn from the flags;
 * bit 0 patches our SessionID into the decoded request (the status hook runs between
 * decode and handle) to get past the session check, and 0xFD starts a new connection
 * (hlc_reset + hlc_start) so that pause and resume are reachable. Properties: nothing
 * crashes or trips a sanitizer; every answer encodes, comes with the payload type of its
 * grammar and decodes back to the matching response with the same code; a FAILED answer
 * or an undecodable payload ends the session and names a reason; a finished session
 * answers nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlc.h"
#include "hlc_iso20.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hlc s_h;
static struct exi_iso20_document s_chk;
static struct exi_iso20_dc_document s_chk_dc;
static uint8_t s_out[8192];
static uint8_t s_draws;
static bool s_dc;

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        bytes[i] = (uint8_t)(0x31u + s_draws + i); /* a new ID per connection, never zero */
    }
    s_draws++;
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
    evse->can_discharge = (k->flags & 0x80) != 0;
    if (k->flags & 1) {
        const struct iso20_evse *m = hlc_iso20_machine(&s_h);
        /* Every request of either namespace starts with its header (the union's members). */
        if (s_dc) {
            memcpy(s_h.doc.iso20.req.dc.DC_CableCheckReq.Header.SessionID.bytes, m->id, 8);
            s_h.doc.iso20.req.dc.DC_CableCheckReq.Header.SessionID.bytesLen = 8;
        } else {
            memcpy(s_h.doc.iso20.req.common.SessionSetupReq.Header.SessionID.bytes, m->id, 8);
            s_h.doc.iso20.req.common.SessionSetupReq.Header.SessionID.bytesLen = 8;
        }
    }
}

static void start_iso20(uint32_t now)
{
    if (hlc_start(&s_h, &hlc_iso20_ops, now) != HAL_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    bool first = true;
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    if (hlc_parse_protocols("iso20", &cfg.protocols, NULL, 0) != HAL_OK) {
        abort();
    }
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
        now += (uint32_t)flags * 97u;
        size_t n = 0;
        hk.flags = flags;
        if (first) {
            first = false;
            hlc_set_payload_type(&s_h, HLC_PT_EXI);
            int rc = hlc_handle(&s_h, c.msg, c.len, &evse, status_hook, &hk, s_out, sizeof s_out, &n, &res, now);
            if (rc == HAL_OK && (res.error == HLC_ERR_ENCODE || n == 0)) {
                abort();
            }
            if (hlc_active(&s_h) == NULL) {
                start_iso20(now);
            }
            continue;
        }
        if (flags == 0xFD) {
            hlc_reset(&s_h); /* a new connection: a paused session may be resumed */
            start_iso20(now);
            continue;
        }
        bool ac = flags == 0xFE;
        s_dc = (flags & 0x40) != 0 && !ac;
        hlc_set_payload_type(&s_h, ac ? ISO20_PT_AC : s_dc ? ISO20_PT_DC : ISO20_PT_COMMON);
        bool over = hlc_over(&s_h);
        int rc = hlc_handle(&s_h, c.msg, c.len, &evse, status_hook, &hk, s_out, sizeof s_out, &n, &res, now);
        if (rc != HAL_OK && res.error == HLC_ERR_DECODE) {
            if (!hlc_over(&s_h) || (!over && (!res.failed || res.reason[0] == '\0'))) {
                abort(); /* garbage or another namespace ends the session, with a reason */
            }
            continue;
        }
        if (ac) {
            abort(); /* an AC payload never gets an answer */
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
        const struct iso20_evse_request *out = hlc_iso20_last(&s_h);
        struct exi_reader r;
        exi_reader_init(&r, s_out, n);
        if (out->dc != s_dc || res.payload_type != (s_dc ? ISO20_PT_DC : ISO20_PT_COMMON)) {
            abort(); /* the answer comes in the request's grammar */
        }
        if (s_dc ? (exi_iso20_dc_decode(&r, &s_chk_dc) != HAL_OK || iso20_dc_response_kind(&s_chk_dc) != out->msg ||
                    iso20_dc_response_code(&s_chk_dc) != out->response_code)
                 : (exi_iso20_decode(&r, &s_chk) != HAL_OK || iso20_response_kind(&s_chk) != out->msg ||
                    iso20_response_code(&s_chk) != out->response_code)) {
            abort();
        }
        hlc_sent(&s_h, now + (flags & 7));
        (void)hlc_tick(&s_h, now + (uint32_t)flags * 1000u);
    }
    return 0;
}
