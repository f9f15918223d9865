/**
 * @file sdp.h
 * @brief SECC Discovery Protocol (ISO 15118-2 §7.10.1, DIN 70121): request and response
 *        over UDP port 15118, server decision (EVSE) and client retry state (EV).
 */
#ifndef SDP_H
#define SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define SDP_PORT 15118u
#define SDP_REQ_LEN 10u
#define SDP_RES_LEN 28u
#define SDP_SEC_TLS 0x00u
#define SDP_SEC_NONE 0x10u
#define SDP_TRANSPORT_TCP 0x00u
#define SDP_TRANSPORT_UDP 0x10u

/** A request. */
struct sdp_request {
    uint8_t security;
    uint8_t transport;
};

/** A response. */
struct sdp_response {
    uint8_t addr[16];
    uint16_t port;
    uint8_t security;
    uint8_t transport;
};

/** @brief Encode a request (10 bytes). */
void sdp_request_write(const struct sdp_request *r, uint8_t out[SDP_REQ_LEN]);
/** @brief Encode a response (28 bytes). */
void sdp_response_write(const struct sdp_response *r, uint8_t out[SDP_RES_LEN]);

/**
 * @brief Check a received request: exactly 10 bytes, good header, type 0x9000, length 2,
 *        known security and transport values.
 * @retval HAL_OK valid
 * @retval HAL_EPROTO anything else (drop it silently)
 */
int sdp_request_parse(const uint8_t *buf, size_t len, struct sdp_request *r);

/**
 * @brief Check a received response: 28 bytes, type 0x9001, length 20, non-zero port.
 * @retval HAL_OK valid
 * @retval HAL_EPROTO anything else
 */
int sdp_response_parse(const uint8_t *buf, size_t len, struct sdp_response *r);

/** What an SECC offers. */
struct sdp_server_offer {
    uint8_t addr[16];  /**< its link-local address */
    uint16_t tcp_port; /**< plain TCP port, 0 = none */
    uint16_t tls_port; /**< TLS port, 0 = none */
};

/**
 * @brief The answer of an SECC to @p req: what was asked if offered, else the other
 *        variant.
 * @retval HAL_OK @p res filled: send it
 * @retval HAL_ENOTSUP no answer (transport not TCP, or nothing offered)
 */
int sdp_server_answer(const struct sdp_server_offer *o, const struct sdp_request *req,
                      struct sdp_response *res);

#endif /* SDP_H */
