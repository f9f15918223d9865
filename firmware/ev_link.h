/**
 * @file ev_link.h
 * @brief The EV side of the link, as one scheduler task: SLAC, SDP client (retries every
 *        250 ms, at most 50 requests), TCP connection to the announced address and port,
 *        V2GTP framing. Used by the EV link tool and the EV simulator.
 */
#ifndef EV_LINK_H
#define EV_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_rng.h"
#include "sched.h"
#include "sdp/sdp.h"
#include "slac/slac_ev.h"
#include "v2gtp/v2gtp.h"

#ifndef CFG_EV_LINK_TX
#define CFG_EV_LINK_TX 2048u
#endif
_Static_assert(CFG_EV_LINK_TX >= 64u, "CFG_EV_LINK_TX must hold a header and a message");

/** Configuration. */
struct ev_link_config {
    struct slac_config slac;
    uint32_t sdp_retry_ms;    /**< 250 */
    uint16_t sdp_max_requests;/**< 50 */
    uint8_t sdp_security;     /**< SDP_SEC_NONE or SDP_SEC_TLS */
    uint32_t v2gtp_max_len;
    uint32_t poll_ms;         /**< 10 */
};

/** The ports. */
struct ev_link_ports {
    struct hal_eth *eth;
    struct hal_net *net;
    struct hal_rng *rng;
    struct hal_log *log; /**< may be NULL */
};

/** Link state. */
enum ev_link_state {
    EV_LINK_SLAC = 0,
    EV_LINK_SDP,
    EV_LINK_CONNECTING,
    EV_LINK_CONNECTED,
    EV_LINK_FAILED, /**< `reason` */
};

/** One EV link. */
struct ev_link {
    struct ev_link_config cfg;
    struct ev_link_ports p;
    struct sched_task task;
    struct slac_ev slac;
    enum ev_link_state state;
    const char *reason;
    uint8_t mac[HAL_ETH_ALEN];
    int udp, conn;
    uint16_t sdp_sent;
    uint32_t sdp_next_ms;
    struct sdp_response sdp;
    struct v2gtp_rx rx;
    bool msg_ready;
    uint8_t tx[CFG_EV_LINK_TX];
    size_t tx_len, tx_off;
    /* figures */
    uint32_t t_start_ms, t_match_ms, t_sdp_ms, t_connected_ms;
};

/** @brief Defaults: the standard's SLAC timing, SDP 250 ms x 50, plain TCP. */
void ev_link_default_config(struct ev_link_config *c);

/**
 * @brief Start SLAC with a random RunID and add the task.
 * @retval HAL_OK running
 * @retval other the RNG's or the Ethernet port's code
 */
int ev_link_init(struct ev_link *l, const struct ev_link_config *cfg,
                 const struct ev_link_ports *ports, struct sched *s, uint32_t now_ms);

/** @brief Take the next whole V2GTP message (see evse_link_recv). */
int ev_link_recv(struct ev_link *l, uint16_t *type, const uint8_t **payload, uint32_t *len);
/** @brief Release the message. */
void ev_link_consume(struct ev_link *l);
/**
 * @brief Queue one V2GTP message, or raw bytes when @p raw (fault tests: a bad header).
 * @retval HAL_OK queued
 * @retval HAL_ESTATE not connected
 * @retval HAL_ENOMEM no room
 */
int ev_link_send(struct ev_link *l, uint16_t type, const uint8_t *payload, uint32_t len, bool raw);

/** @brief One step. */
void ev_link_step(struct ev_link *l, uint32_t now_ms);

#endif /* EV_LINK_H */
