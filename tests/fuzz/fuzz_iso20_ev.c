/**
 * @file fuzz_iso20_ev.c
 * @brief libFuzzer harness: random bytes as the SECC's responses to our ISO 15118-20 car
 *        (protocols/iso20/iso20_ev: iso20_ev_receive with the payload type of each request,
 *        the -20 decoders behind it).
 *
 * Input = [mode][chunks]: bit 0 of the first byte picks the control mode (scheduled or
 * dynamic), bit 1 offers ISO-2 and DIN behind -20. Each chunk is [flags][len][len bytes]:
 * the machine's next request is taken (the clock moved to its deadline), then the chunk is
 * its response; flag bit 0 sends it with another payload type than the request's, bit 1
 * sets the model's stop wish, bit 2 its pause wish, bit 3 its renegotiation wish, bit 4
 * resumes a PAUSED session. Properties: nothing crashes or trips a sanitizer; every request
 * the car sends decodes with the codec its payload type names; a refused response ends the
 * session in FAILED with a reason, CP B and contactors open; a session that is over sends
 * nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exi/exi_apphand.h"
#include "iso20/iso20_ev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct iso20_ev s_ev;
static struct exi_iso20_document s_c;
static struct exi_iso20_dc_document s_d;
static struct exi_apphand_document s_a;
static uint8_t s_out[4096];

static void check_request(uint16_t pt, size_t n)
{
    struct exi_reader r;
    exi_reader_init(&r, s_out, n);
    int rc = pt == ISO20_EV_PT_SAP   ? exi_apphand_decode(&r, &s_a)
             : pt == ISO20_EV_PT_DC ? exi_iso20_dc_decode(&r, &s_d)
                                    : exi_iso20_decode(&r, &s_c);
    if (rc != HAL_OK || (pt != ISO20_EV_PT_SAP && pt != ISO20_EV_PT_DC && pt != ISO20_EV_PT_COMMON)) {
        abort(); /* our own request must decode with the grammar we label it with */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    cfg.mode = (data[0] & 1u) ? ISO20_EV_SCHEDULED : ISO20_EV_DYNAMIC;
    if (data[0] & 2u) {
        iso20_ev_offer_too(&cfg, "urn:iso:15118:2:2013:MsgDef");
        iso20_ev_offer_too(&cfg, "urn:din:70121:2012:MsgDef");
    }
    uint32_t now = 0;
    if (iso20_ev_start(&s_ev, &cfg, now) != HAL_OK) {
        abort();
    }
    size_t i = 1;
    while (i + 3 <= size) {
        uint8_t flags = data[i];
        size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
        i += 3;
        len = len <= size - i ? len : size - i;
        s_ev.model.stop = (flags & 2u) != 0;
        s_ev.model.pause = (flags & 4u) != 0;
        s_ev.model.renegotiate = s_ev.model.renegotiate || (flags & 8u) != 0;
        if ((flags & 16u) && iso20_ev_state(&s_ev) == ISO20_EV_PAUSED && iso20_ev_resume(&s_ev, now) != HAL_OK) {
            abort();
        }
        size_t n = 0;
        uint16_t pt = 0;
        int rc = HAL_EAGAIN;
        for (int k = 0; k < 4 && rc == HAL_EAGAIN; k++) {
            rc = iso20_ev_next(&s_ev, now, s_out, sizeof s_out, &n, &pt);
            if (rc == HAL_EAGAIN) {
                now = iso20_ev_deadline(&s_ev);
            }
        }
        if (rc == HAL_OK) {
            check_request(pt, n);
        } else if (rc == HAL_ESTATE || rc == HAL_ETIMEDOUT) {
            if (iso20_ev_next(&s_ev, now + 100000u, s_out, sizeof s_out, &n, &pt) != HAL_ESTATE) {
                abort(); /* over means over */
            }
        }
        if (rc == HAL_OK) {
            now += 1;
            uint16_t rpt = (flags & 1u) ? (uint16_t)(pt ^ 0x0006u) : pt;
            rc = iso20_ev_receive(&s_ev, rpt, data + i, len, now);
            if (rc != HAL_OK && rc != HAL_ESTATE) {
                const struct iso20_ev_actions *a = iso20_ev_actions(&s_ev);
                if (iso20_ev_state(&s_ev) != ISO20_EV_FAILED || iso20_ev_reason(&s_ev)[0] == '\0' || a->cp_c ||
                    a->contactors) {
                    abort(); /* a refusal is a safe, explained stop */
                }
            }
        }
        i += len;
    }
    return 0;
}
