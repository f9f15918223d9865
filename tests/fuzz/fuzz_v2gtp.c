/**
 * @file fuzz_v2gtp.c
 * @brief libFuzzer harness for the V2GTP header check and the stream receiver.
 *
 * The first input byte picks the maximum length and the read size; the rest is a TCP
 * byte stream fed in pieces of that size. Checked: every byte is taken or the receiver
 * stops on a whole message or a refused header; a delivered message has an accepted
 * type and a length within the maximum; a refusal has a reason and stays refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "v2gtp/v2gtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct v2gtp_rx s_rx;
static const uint16_t s_types[] = {V2GTP_PT_EXI, 0x8002u};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint32_t max = (data[0] & 0x80u) ? CFG_V2GTP_PAYLOAD_MAX : 64u + (data[0] & 0x3fu);
    size_t chunk = 1u + (data[0] & 0x1fu);
    data++;
    size--;
    if (size >= V2GTP_HDR_LEN) {
        struct v2gtp_header h;
        enum v2gtp_reason r;
        int rc = v2gtp_header_check(data, s_types, 2, max, &h, &r);
        if ((rc == HAL_OK) != (r == V2GTP_R_OK) || (rc == HAL_OK && h.length > max)) {
            abort();
        }
        if (v2gtp_reason_str(r) == NULL) {
            abort();
        }
    }
    v2gtp_rx_init(&s_rx, s_types, 2, max);
    size_t pos = 0;
    while (pos < size) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        size_t used = 0;
        int rc = v2gtp_rx_feed(&s_rx, &data[pos], n, &used);
        if (used > n) {
            abort();
        }
        pos += used;
        if (rc == HAL_EPROTO) {
            if (!s_rx.failed || s_rx.reason == V2GTP_R_OK) {
                abort();
            }
            if (v2gtp_rx_feed(&s_rx, &data[pos], size - pos, &used) != HAL_EPROTO || used != 0) {
                abort(); /* stays refused */
            }
            break;
        }
        if (rc == HAL_OK) {
            if (s_rx.h.length > max || (s_rx.h.type != V2GTP_PT_EXI && s_rx.h.type != 0x8002u)) {
                abort();
            }
            v2gtp_rx_next(&s_rx);
        } else if (rc != HAL_EAGAIN || used != n) {
            abort();
        }
    }
    return 0;
}
