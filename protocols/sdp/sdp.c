#include "sdp/sdp.h"

#include <string.h>

#include "v2gtp/v2gtp.h"

static const uint16_t s_req_type = V2GTP_PT_SDP_REQ;
static const uint16_t s_res_type = V2GTP_PT_SDP_RES;

void sdp_request_write(const struct sdp_request *r, uint8_t out[SDP_REQ_LEN])
{
    v2gtp_header_write(out, V2GTP_PT_SDP_REQ, 2);
    out[8] = r->security;
    out[9] = r->transport;
}

void sdp_response_write(const struct sdp_response *r, uint8_t out[SDP_RES_LEN])
{
    v2gtp_header_write(out, V2GTP_PT_SDP_RES, 20);
    memcpy(&out[8], r->addr, 16);
    out[24] = (uint8_t)(r->port >> 8);
    out[25] = (uint8_t)r->port;
    out[26] = r->security;
    out[27] = r->transport;
}

static bool s_known(uint8_t v)
{
    return v == 0x00u || v == 0x10u;
}

int sdp_request_parse(const uint8_t *buf, size_t len, struct sdp_request *r)
{
    struct v2gtp_header h;
    if (buf == NULL || len != SDP_REQ_LEN ||
        v2gtp_header_check(buf, &s_req_type, 1, 2, &h, NULL) != HAL_OK || h.length != 2u ||
        !s_known(buf[8]) || !s_known(buf[9])) {
        return HAL_EPROTO;
    }
    r->security = buf[8];
    r->transport = buf[9];
    return HAL_OK;
}

int sdp_response_parse(const uint8_t *buf, size_t len, struct sdp_response *r)
{
    struct v2gtp_header h;
    if (buf == NULL || len != SDP_RES_LEN ||
        v2gtp_header_check(buf, &s_res_type, 1, 20, &h, NULL) != HAL_OK || h.length != 20u ||
        !s_known(buf[26]) || !s_known(buf[27])) {
        return HAL_EPROTO;
    }
    memcpy(r->addr, &buf[8], 16);
    r->port = (uint16_t)(buf[24] << 8 | buf[25]);
    r->security = buf[26];
    r->transport = buf[27];
    return r->port == 0 ? HAL_EPROTO : HAL_OK;
}

int sdp_server_answer(const struct sdp_server_offer *o, const struct sdp_request *req,
                      struct sdp_response *res)
{
    if (req->transport != SDP_TRANSPORT_TCP) {
        return HAL_ENOTSUP;
    }
    bool tls = req->security == SDP_SEC_TLS;
    if (tls && o->tls_port == 0) {
        tls = false;
    } else if (!tls && o->tcp_port == 0) {
        tls = true;
    }
    uint16_t port = tls ? o->tls_port : o->tcp_port;
    if (port == 0) {
        return HAL_ENOTSUP;
    }
    memcpy(res->addr, o->addr, 16);
    res->port = port;
    res->security = tls ? SDP_SEC_TLS : SDP_SEC_NONE;
    res->transport = SDP_TRANSPORT_TCP;
    return HAL_OK;
}
