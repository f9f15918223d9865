/**
 * @file fuzz_din.c
 * @brief libFuzzer harness: random bytes through the EXI decoders and the DIN EVSE
 *        machine (and SupportedAppProtocol negotiation).
 *
 * Input = a sequence of chunks [flags][len][len bytes]. The first chunk is a
 * supportedAppProtocolReq candidate; the rest are DIN requests handled in order by one
 * EVSE machine, with the charger's status drawn from the flags (so every phase and
 * every status path is reachable) and, when flag bit 0 is set, our SessionID patched in
 * so the fuzzer gets past the session check. Properties: nothing crashes or trips a
 * sanitizer; every answer the machine gives encodes and decodes back to the matching
 * response with the same code; a finished session answers nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apphand/apphand.h"
#include "din/din_evse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct exi_din_document s_req, s_res, s_chk;
static struct exi_apphand_document s_areq, s_ares;
static struct din_evse s_m;
static uint8_t s_out[4096];

static void status_from(uint8_t f, struct din_evse_status *st)
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
    st->isolation = (uint8_t)((f >> 1) & 3);
    st->status_code = (f & 0x40) ? (uint8_t)(f % 14) : (uint8_t)exi_din_DC_EVSEStatusCodeType_EVSE_Ready;
    st->notification = (uint8_t)((f >> 3) % 4);
    st->auth_done = (f & 0x02) != 0;
    st->auth_rejected = f == 0xFF;
    st->power_ready = (f & 0x04) != 0;
    st->cable_check_done = (f & 0x08) != 0;
    st->cable_check_failed = f == 0xFE;
    st->unix_time_s = (f & 0x01) ? 1700000000 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct apphand_protocol ours[] = {{APPHAND_NS_DIN, 2, 0}};
    static const struct din_session_id sid = {{0, 0, 0, 0, 0x39, 0x77, 0xDD, 0xE7}, 8};
    size_t pos = 0;
    bool first = true;
    struct din_evse_config cfg;
    din_evse_default_config(&cfg);
    if (din_evse_start(&s_m, &cfg, &sid, 0) != HAL_OK) {
        abort();
    }
    uint32_t now = 0;
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
        struct exi_reader r;
        struct exi_writer w;
        exi_reader_init(&r, msg, len);
        if (first) {
            first = false;
            if (exi_apphand_decode(&r, &s_areq) == HAL_OK) {
                int chosen = -2;
                int rc = apphand_select(&s_areq, ours, 1, &s_ares, &chosen);
                if (rc == HAL_EINVAL && !s_areq.supportedAppProtocolReq_isUsed && chosen == -1) {
                    continue; /* a response, not a request: refused */
                }
                if (rc != HAL_OK || chosen < -1) {
                    abort();
                }
                exi_writer_init(&w, s_out, sizeof s_out);
                if (exi_apphand_encode(&w, &s_ares) != HAL_OK) {
                    abort();
                }
            }
            continue;
        }
        if (exi_din_decode(&r, &s_req) != HAL_OK) {
            (void)din_evse_tick(&s_m, now);
            continue;
        }
        if (flags & 1) {
            din_session_id_to_header(&s_req.V2G_Message.Header, &sid);
        }
        struct din_evse_status st;
        status_from(flags, &st);
        struct din_evse_request out;
        bool over = din_evse_over(&s_m);
        int rc = din_evse_handle(&s_m, &s_req, &st, &s_res, &out, now);
        if (over && rc != HAL_ESTATE) {
            abort();
        }
        if (rc != HAL_OK) {
            continue;
        }
        exi_writer_init(&w, s_out, sizeof s_out);
        if (exi_din_encode(&w, &s_res) != HAL_OK) {
            abort(); /* every answer must be schema-valid */
        }
        exi_reader_init(&r, s_out, exi_writer_len(&w));
        if (exi_din_decode(&r, &s_chk) != HAL_OK || din_response_kind(&s_chk) != out.msg ||
            din_response_code(&s_chk) != out.response_code) {
            abort();
        }
        din_evse_sent(&s_m, now + (flags & 7));
    }
    return 0;
}
