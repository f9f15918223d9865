#include "v2gtp/v2gtp.h"

#include <string.h>

void v2gtp_header_write(uint8_t out[V2GTP_HDR_LEN], uint16_t type, uint32_t length)
{
    out[0] = V2GTP_VERSION;
    out[1] = (uint8_t)~V2GTP_VERSION;
    out[2] = (uint8_t)(type >> 8);
    out[3] = (uint8_t)type;
    out[4] = (uint8_t)(length >> 24);
    out[5] = (uint8_t)(length >> 16);
    out[6] = (uint8_t)(length >> 8);
    out[7] = (uint8_t)length;
}

int v2gtp_header_check(const uint8_t in[V2GTP_HDR_LEN], const uint16_t *types, size_t ntypes,
                       uint32_t max_len, struct v2gtp_header *h, enum v2gtp_reason *reason)
{
    enum v2gtp_reason r = V2GTP_R_OK;
    uint16_t type = (uint16_t)(in[2] << 8 | in[3]);
    uint32_t len = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 | (uint32_t)in[6] << 8 | in[7];
    if (in[0] != V2GTP_VERSION || in[1] != (uint8_t)~V2GTP_VERSION) {
        r = V2GTP_R_VERSION;
    } else if (len > max_len) {
        r = V2GTP_R_LENGTH;
    } else if (types != NULL && ntypes > 0) {
        r = V2GTP_R_TYPE;
        for (size_t i = 0; i < ntypes; i++) {
            if (types[i] == type) {
                r = V2GTP_R_OK;
            }
        }
    }
    if (reason != NULL) {
        *reason = r;
    }
    if (r != V2GTP_R_OK) {
        return HAL_EPROTO;
    }
    h->type = type;
    h->length = len;
    return HAL_OK;
}

const char *v2gtp_reason_str(enum v2gtp_reason r)
{
    switch (r) {
    case V2GTP_R_OK:
        return "ok";
    case V2GTP_R_VERSION:
        return "protocol version not 0x01/0xFE";
    case V2GTP_R_TYPE:
        return "payload type not accepted";
    case V2GTP_R_LENGTH:
        return "payload length above the maximum";
    }
    return "?";
}

void v2gtp_rx_init(struct v2gtp_rx *rx, const uint16_t *types, size_t ntypes, uint32_t max_len)
{
    rx->types = types;
    rx->ntypes = ntypes;
    rx->max_len = max_len > CFG_V2GTP_PAYLOAD_MAX ? CFG_V2GTP_PAYLOAD_MAX : max_len;
    rx->have = 0;
    rx->reason = V2GTP_R_OK;
    rx->failed = false;
    rx->h.type = 0;
    rx->h.length = 0;
}

int v2gtp_rx_feed(struct v2gtp_rx *rx, const uint8_t *data, size_t n, size_t *consumed)
{
    size_t used = 0;
    *consumed = 0;
    if (rx->failed) {
        return HAL_EPROTO;
    }
    if (rx->have >= V2GTP_HDR_LEN && rx->have == V2GTP_HDR_LEN + rx->h.length) {
        return HAL_OK; /* the caller has not taken the last message yet */
    }
    if (rx->have < V2GTP_HDR_LEN) {
        size_t k = V2GTP_HDR_LEN - rx->have;
        if (k > n) {
            k = n;
        }
        memcpy(&rx->hdr[rx->have], data, k);
        rx->have += k;
        used += k;
        if (rx->have < V2GTP_HDR_LEN) {
            *consumed = used;
            return HAL_EAGAIN;
        }
        if (v2gtp_header_check(rx->hdr, rx->types, rx->ntypes, rx->max_len, &rx->h, &rx->reason) !=
            HAL_OK) {
            /* the unread rest cannot be skipped safely: the stream is done */
            rx->failed = true;
            *consumed = used;
            return HAL_EPROTO;
        }
    }
    size_t got = rx->have - V2GTP_HDR_LEN;
    size_t k = rx->h.length - got;
    if (k > n - used) {
        k = n - used;
    }
    memcpy(&rx->payload[got], &data[used], k);
    rx->have += k;
    used += k;
    *consumed = used;
    return rx->have == V2GTP_HDR_LEN + rx->h.length ? HAL_OK : HAL_EAGAIN;
}

void v2gtp_rx_next(struct v2gtp_rx *rx)
{
    rx->have = 0;
}
