/**
 * @file fuzz_sdp.c
 * @brief libFuzzer harness for SDP: request and response parsing and the SECC's choice.
 *
 * Checked: a request or response that parses writes back to the same bytes; the server's
 * answer (offers taken from the input) is always a valid response for a port it offered,
 * with the security asked for whenever that is offered.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdp_request rq;
    struct sdp_response rs, ans;
    uint8_t out[SDP_RES_LEN];
    if (size >= 4) {
        struct sdp_server_offer o;
        memset(&o, 0xfe, sizeof o.addr);
        o.tcp_port = (data[0] & 1u) ? (uint16_t)(data[1] | data[2] << 8) : 0;
        o.tls_port = (data[0] & 2u) ? (uint16_t)(data[3] | data[1] << 8) : 0;
        if (sdp_request_parse(&data[4], size - 4, &rq) == HAL_OK) {
            uint8_t w[SDP_REQ_LEN];
            sdp_request_write(&rq, w);
            if (memcmp(w, &data[4], SDP_REQ_LEN) != 0) {
                abort();
            }
            if (sdp_server_answer(&o, &rq, &ans) == HAL_OK) {
                sdp_response_write(&ans, out);
                if (sdp_response_parse(out, sizeof out, &rs) != HAL_OK || rs.port == 0 ||
                    (rs.port != o.tcp_port && rs.port != o.tls_port)) {
                    abort();
                }
                bool tls_offered = o.tls_port != 0, tcp_offered = o.tcp_port != 0;
                if (rq.security == SDP_SEC_TLS && tls_offered && rs.security != SDP_SEC_TLS) {
                    abort();
                }
                if (rq.security == SDP_SEC_NONE && tcp_offered && rs.security != SDP_SEC_NONE) {
                    abort();
                }
            }
        }
    }
    if (sdp_response_parse(data, size, &rs) == HAL_OK) {
        sdp_response_write(&rs, out);
        if (memcmp(out, data, SDP_RES_LEN) != 0 || rs.port == 0) {
            abort();
        }
    }
    return 0;
}
