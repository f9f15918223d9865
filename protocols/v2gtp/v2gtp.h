/**
 * @file v2gtp.h
 * @brief V2G Transfer Protocol (ISO 15118-2 §7.8.3, DIN 70121, ISO 15118-20): the 8-byte
 *        header, and a receiver that frames messages out of a TCP/TLS byte stream that
 *        arrives in arbitrary pieces.
 */
#ifndef V2GTP_H
#define V2GTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define V2GTP_HDR_LEN 8u
#define V2GTP_VERSION 0x01u
#define V2GTP_PT_EXI 0x8001u
#define V2GTP_PT_SDP_REQ 0x9000u
#define V2GTP_PT_SDP_RES 0x9001u

/** Largest payload a receiver buffers (EvseV2G uses 8 kB for header + payload). */
#ifndef CFG_V2GTP_PAYLOAD_MAX
#define CFG_V2GTP_PAYLOAD_MAX 8184u
#endif
_Static_assert(CFG_V2GTP_PAYLOAD_MAX >= 64u && CFG_V2GTP_PAYLOAD_MAX <= 65536u,
               "CFG_V2GTP_PAYLOAD_MAX must be 64..65536");

/** Why a header was refused. */
enum v2gtp_reason {
    V2GTP_R_OK = 0,
    V2GTP_R_VERSION,  /**< version not 0x01 or inverse not 0xFE */
    V2GTP_R_TYPE,     /**< payload type not accepted here */
    V2GTP_R_LENGTH,   /**< payload length above the configured maximum */
};

/** A decoded header. */
struct v2gtp_header {
    uint16_t type;
    uint32_t length;
};

/** @brief Write a header for @p type and @p length into @p out (8 bytes). */
void v2gtp_header_write(uint8_t out[V2GTP_HDR_LEN], uint16_t type, uint32_t length);

/**
 * @brief Check and decode a header.
 * @param types accepted payload types, @p ntypes of them (NULL/0 = any type)
 * @param max_len largest accepted payload length
 * @retval HAL_OK valid; @p h filled
 * @retval HAL_EPROTO refused; @p reason says why
 */
int v2gtp_header_check(const uint8_t in[V2GTP_HDR_LEN], const uint16_t *types, size_t ntypes,
                       uint32_t max_len, struct v2gtp_header *h, enum v2gtp_reason *reason);

/** @brief Text of a refusal reason (static). */
const char *v2gtp_reason_str(enum v2gtp_reason r);

/** Stream receiver: header, then exactly `length` payload bytes, across partial reads. */
struct v2gtp_rx {
    const uint16_t *types;
    size_t ntypes;
    uint32_t max_len;     /**< <= CFG_V2GTP_PAYLOAD_MAX */
    uint8_t hdr[V2GTP_HDR_LEN];
    size_t have;          /**< bytes of the current message so far (header included) */
    struct v2gtp_header h;
    enum v2gtp_reason reason;
    bool failed;          /**< a bad header was seen: the stream is unusable, close it */
    uint8_t payload[CFG_V2GTP_PAYLOAD_MAX];
};

/** @brief Empty receiver accepting @p types (NULL = any) up to @p max_len bytes. */
void v2gtp_rx_init(struct v2gtp_rx *rx, const uint16_t *types, size_t ntypes, uint32_t max_len);

/**
 * @brief Feed received bytes; stops after one whole message.
 * @param consumed how many of @p n bytes were taken (the rest belongs to the next message)
 * @retval HAL_OK a whole message is in rx->h / rx->payload; call v2gtp_rx_next() after use
 * @retval HAL_EAGAIN all bytes taken, message not complete yet
 * @retval HAL_EPROTO bad header (rx->reason): close the connection; the receiver stays failed
 */
int v2gtp_rx_feed(struct v2gtp_rx *rx, const uint8_t *data, size_t n, size_t *consumed);

/** @brief Drop the finished message and wait for the next header. */
void v2gtp_rx_next(struct v2gtp_rx *rx);

#endif /* V2GTP_H */
