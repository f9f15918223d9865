/**
 * @file ev_link.h
 * @brief The EV side of the link, as one scheduler task: SLAC, SDP client (retries every
 *        250 ms, at most 50 requests), TCP or TLS connection to the announced address and
 *        port, V2GTP framing with timeouts. Used by the EV link tool and the EV simulator.
 */
#ifndef EV_LINK_H
#define EV_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_rng.h"
#include "hal_tls.h"
#include "sched.h"
#include "sdp/sdp.h"
#include "slac/slac_ev.h"
#include "v2gtp/v2gtp.h"

/* Transmit queue: the largest request is a Plug & Charge PaymentDetailsReq (a leaf and
 * up to four Sub-CAs of at most 800 bytes each, about 4 kB) with its V2GTP header. */
#ifndef CFG_EV_LINK_TX
#define CFG_EV_LINK_TX 4608u
#endif
_Static_assert(CFG_EV_LINK_TX >= 64u, "CFG_EV_LINK_TX must hold a header and a message");

#ifndef CFG_EV_LINK_RX_CHUNK
#define CFG_EV_LINK_RX_CHUNK 512u
#endif
_Static_assert(CFG_EV_LINK_RX_CHUNK >= 16u && CFG_EV_LINK_RX_CHUNK <= 4096u,
               "CFG_EV_LINK_RX_CHUNK must be 16..4096");

/** Configuration. */
struct ev_link_config {
    struct slac_config slac;
    uint32_t sdp_retry_ms;     /**< 250 */
    uint16_t sdp_max_requests; /**< 50 */
    uint8_t sdp_security;      /**< asked for: SDP_SEC_NONE (0x10) or SDP_SEC_TLS (0x00) */
    bool tls_required;         /**< refuse an SECC that answers 0x10 to a TLS request */
    uint16_t force_port;       /**< 0: connect to the announced port (always, P15); else
                                    this port (fault test: pyPLC's old bug) */
    uint32_t connect_timeout_ms; /**< TCP connect (with data queued) + TLS handshake, 5000 */
    uint32_t v2gtp_timeout_ms; /**< a queued message must get a whole answer within,
                                    2000 (V2G_EVCC_Msg_Timeout); 0 = off */
    uint32_t msg_timeout_ms;   /**< a started incoming message must finish within, 5000 */
    uint32_t v2gtp_max_len;
    uint32_t poll_ms;          /**< 10 */
};

/** The ports. */
struct ev_link_ports {
    struct hal_eth *eth;
    struct hal_net *net;
    struct hal_rng *rng;
    struct hal_tls *tls; /**< may be NULL: no TLS */
    struct hal_log *log; /**< may be NULL */
};

/** Link state. */
enum ev_link_state {
    EV_LINK_SLAC = 0,
    EV_LINK_SDP,
    EV_LINK_CONNECTING, /**< TCP connecting / TLS handshake; ev_link_send() already queues */
    EV_LINK_CONNECTED,  /**< bytes went through (TCP) or the handshake finished (TLS) */
    EV_LINK_FAILED,     /**< `reason` */
};

/** One EV link. Only ev_link.c touches the fields. */
struct ev_link {
    struct ev_link_config cfg;
    struct ev_link_ports p;
    struct sched_task task;
    struct slac_ev slac;
    enum ev_link_state state;
    const char *reason;
    uint8_t mac[HAL_ETH_ALEN];
    uint8_t frame[HAL_ETH_FRAME_MAX]; /**< one raw frame in or out */
    int udp, conn, sess;
    bool secure;               /**< the connection is TLS */
    uint16_t sdp_sent;
    uint32_t sdp_next_ms;
    struct sdp_response sdp;
    uint8_t rbuf[CFG_EV_LINK_RX_CHUNK];
    size_t rlen, roff;
    struct v2gtp_rx rx;
    bool msg_ready;
    bool awaiting;             /**< a message was queued; its answer has not come */
    uint32_t t_await_ms, t_msg_start_ms, last_now_ms;
    uint8_t tx[CFG_EV_LINK_TX];
    size_t tx_len, tx_off;
    uint32_t rx_msgs;
    /* figures */
    uint32_t t_start_ms, t_match_ms, t_sdp_ms, t_conn_ms, t_connected_ms;
};

/** @brief Defaults: the standard's SLAC timing, SDP 250 ms x 50, plain TCP, 2 s answers. */
void ev_link_default_config(struct ev_link_config *c);

/**
 * @brief Start SLAC with a random RunID and add the task.
 * @retval HAL_OK running
 * @retval HAL_EINVAL TLS asked without a TLS port
 * @retval other the RNG's or the Ethernet port's code
 */
int ev_link_init(struct ev_link *l, const struct ev_link_config *cfg,
                 const struct ev_link_ports *ports, struct sched *s, uint32_t now_ms);

/** @brief Take the next whole V2GTP message (see evse_link_recv). */
int ev_link_recv(struct ev_link *l, uint16_t *type, const uint8_t **payload, uint32_t *len);
/** @brief Release the message; one that arrived right behind it is framed at once. */
void ev_link_consume(struct ev_link *l);
/**
 * @brief Queue one V2GTP message, or raw bytes when @p raw (fault tests: a bad header).
 *        A V2GTP message arms the answer timeout (`v2gtp_timeout_ms`).
 * @retval HAL_OK queued
 * @retval HAL_ESTATE not connecting or connected
 * @retval HAL_ENOMEM no room
 */
int ev_link_send(struct ev_link *l, uint16_t type, const uint8_t *payload, uint32_t len, bool raw);

/** @brief Close the connection and stop (the EV's unplug); the state becomes FAILED
 *         with @p why as the reason. */
void ev_link_close(struct ev_link *l, uint32_t now_ms, const char *why);

/**
 * @brief The TLS version the connection's finished handshake negotiated (0x0303 TLS 1.2,
 *        0x0304 TLS 1.3): what an ISO 15118-20 car must know before it offers -20
 *        ([V2G20-1237]: never over TLS 1.2).
 * @return the version; 0 on plain TCP, before the handshake is done, or when the TLS port
 *         does not tell (the simulator's)
 */
uint16_t ev_link_tls_version(const struct ev_link *l);

/** @brief One step. */
void ev_link_step(struct ev_link *l, uint32_t now_ms);

#endif /* EV_LINK_H */
