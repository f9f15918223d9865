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

static void status_from(uint8_t f, struct hlc_evse *st)
{
    memset(st, 0, sizeof *st);
    st->present_voltage_mv = (int32_t)f * 2000;
    st->present_current_ma = (int32_t)(f & 0x3F) * 1000;
    st->max_voltage_mv = 500000;
    st->max_current_ma = 200000;
    st->max_power_w = (f & 0x80) ? 400000 : 50000;
    st->min_voltage_mv = 50000;
    st->current_regulation_tolerance_ma = (f & 0x10) ? 5000 : -1;
    st->peak_current_ripple_ma = 5000;
    st->energy_to_deliver_wh = (f & 0x20) ? 20000 : -1;
    st->isolation = (enum hlc_isolation)((f >> 1) & 3);
    st->status = (f & 0x40) ? (enum hlc_evse_status)(f % HLC_EVSE_STATUS_COUNT) : HLC_EVSE_READY;
    st->notification = (enum hlc_notification)((f >> 3) % HLC_NOTIFY_COUNT);
    st->authorization = f == 0xFF ? HLC_PROCESSING_FAILED
                        : (f & 0x02) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->charge_parameters = (f & 0x04) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->cable_check = f == 0xFE ? HLC_PROCESSING_FAILED
                      : (f & 0x08) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->unix_time_s = (f & 0x01) ? 1700000000 : 0;
    if (f & 0x20) {
        st->schedule.count = 1;
        st->schedule.entry[0].pmax_w = (uint32_t)f * 500u;
    }
}

struct hook {
    uint8_t flags;
};

/* Between decode and handle: the status of this chunk, and our SessionID when asked. */
static void status_hook(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse)
{
    const struct hook *k = ctx;
    (void)rq;
    status_from(k->flags, evse);
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
    while (pos + 2 <= size) {
        uint8_t flags = data[pos];
        size_t len = data[pos + 1];
        pos += 2;
        if (len > size - pos) {
            len = size - pos;
        }
        const uint8_t *msg = data + pos;
        pos += len;
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
