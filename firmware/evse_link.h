/**
 * @file evse_link.h
 * @brief The EVSE side of the link to the car, as one scheduler task: SLAC on raw
 *        Ethernet, the SDP server on UDP 15118, the V2GTP server on TCP and/or TLS. The
 *        charging session above it pulls whole V2GTP messages with evse_link_recv() and
 *        answers with evse_link_send(). After an unplug or a failure,
 *        evse_link_restart() makes the link ready for the next car.
 */
#ifndef EVSE_LINK_H
#define EVSE_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_rng.h"
#include "hal_tls.h"
#include "sched.h"
#include "sdp/sdp.h"
#include "slac/slac_evse.h"
#include "v2gtp/v2gtp.h"

/** Bytes of V2GTP output one connection buffers: the header and the largest response
 *  (CFG_CHARGER_EXI_MAX: an ISO-2 CertificateInstallationRes carries two chains). */
#ifndef CFG_EVSE_LINK_TX
#define CFG_EVSE_LINK_TX 6160u
#endif
_Static_assert(CFG_EVSE_LINK_TX >= 64u, "CFG_EVSE_LINK_TX must hold a header and a message");

/** Bytes read from the connection in one go; what follows a whole message waits here. */
#ifndef CFG_EVSE_LINK_RX_CHUNK
#define CFG_EVSE_LINK_RX_CHUNK 512u
#endif
_Static_assert(CFG_EVSE_LINK_RX_CHUNK >= 16u && CFG_EVSE_LINK_RX_CHUNK <= 4096u,
               "CFG_EVSE_LINK_RX_CHUNK must be 16..4096");

/** Configuration. */
struct evse_link_config {
    struct slac_config slac;
    uint16_t tcp_port;         /**< plain V2GTP server port announced in SDP; 0 = ephemeral */
    uint16_t tls_port;         /**< TLS V2GTP server port; 0 = ephemeral */
    bool offer_tcp;            /**< serve plain TCP (true) */
    bool offer_tls;            /**< serve TLS (false; needs ports.tls) */
    uint32_t v2gtp_max_len;    /**< largest accepted payload, <= CFG_V2GTP_PAYLOAD_MAX */
    uint32_t msg_timeout_ms;   /**< a started message or TLS handshake must finish within, 5000 */
    uint32_t setup_timeout_ms; /**< connection to first message, 20000
                                    (V2G_SECC_CommunicationSetup_Performance_Time); 0 = off */
    uint32_t poll_ms;          /**< idle re-check period (I/O wakes the task anyway), 10 */
};

/** The ports the link uses. */
struct evse_link_ports {
    struct hal_eth *eth;
    struct hal_net *net;
    struct hal_rng *rng;
    struct hal_tls *tls; /**< may be NULL (no TLS) */
    struct hal_log *log; /**< may be NULL */
};

/** Link state, as the session manager sees it. */
enum evse_link_state {
    EVSE_LINK_SLAC = 0,  /**< matching */
    EVSE_LINK_WAIT_TCP,  /**< matched / SDP served; waiting for the V2GTP connection */
    EVSE_LINK_CONNECTED, /**< V2GTP connection up (TLS: handshake may still run) */
    EVSE_LINK_FAILED,    /**< SLAC failed; `slac.reason` */
};

/** One EVSE link (one connector). Only evse_link.c touches the fields. */
struct evse_link {
    struct evse_link_config cfg;
    struct evse_link_ports p;
    struct sched_task task;
    struct slac_evse slac;
    enum evse_link_state state;
    enum slac_evse_state slac_seen;
    int sdp_sock, listener, tls_listener;
    uint16_t tcp_port, tls_port; /**< the ports really listened on (announced in SDP) */
    uint8_t mac[HAL_ETH_ALEN];
    uint8_t frame[HAL_ETH_FRAME_MAX]; /**< one raw frame in or out */
    struct hal_ip6_endpoint local;
    /* the connection */
    int conn, sess;              /**< TCP handle, TLS session (-1 = plain) */
    bool secure, established;    /**< TLS connection; handshake done (always true for TCP) */
    bool got_msg;                /**< a whole message arrived on this connection */
    uint32_t t_conn_ms, t_msg_start_ms;
    uint8_t rbuf[CFG_EVSE_LINK_RX_CHUNK];
    size_t rlen, roff;           /**< read but not yet framed */
    struct v2gtp_rx rx;
    bool msg_ready;
    uint8_t tx[CFG_EVSE_LINK_TX];
    size_t tx_len, tx_off;
    const char *reason;          /**< why the last connection ended (static text, never NULL) */
    /* counters and figures */
    uint32_t sdp_answered, sdp_answered_tls, v2gtp_rx_msgs, v2gtp_tx_msgs, closed_bad_header;
    uint32_t closed_timeout, tls_failed, connections, restarts;
    uint32_t t_first_payload_ms;
    bool have_first_payload;
};

/** @brief The standard's defaults, plain TCP on port 15118, no TLS, 8 kB payloads. */
void evse_link_default_config(struct evse_link_config *c);

/**
 * @brief Open the sockets, load a fresh random key, start matching, add the task.
 * @retval HAL_OK running
 * @retval HAL_EAGAIN the link-local address is still tentative, or the RNG is not seeded
 * @retval HAL_EINVAL nothing offered (neither TCP nor TLS with a TLS port)
 * @retval other the failing port's code (the socket or the MAC could not be had)
 */
int evse_link_init(struct evse_link *l, const struct evse_link_config *cfg,
                   const struct evse_link_ports *ports, struct sched *s, uint32_t now_ms);

/**
 * @brief Make the link ready for the next car (after an unplug, a failure or the end of
 *        a session): close the V2GTP connection, forget any buffered message, load a fresh
 *        random key and wait for a new CM_SLAC_PARM.REQ. Sockets and listeners stay.
 * @retval HAL_OK matching again
 * @retval other the RNG's code; the link is FAILED (call again later)
 */
int evse_link_restart(struct evse_link *l, uint32_t now_ms);

/**
 * @brief Take the next whole V2GTP message.
 * @retval HAL_OK @p type, @p payload (valid until evse_link_consume) and @p len set
 * @retval HAL_EAGAIN nothing complete yet
 */
int evse_link_recv(struct evse_link *l, uint16_t *type, const uint8_t **payload, uint32_t *len);

/** @brief Release the message returned by evse_link_recv(); a message that arrived right
 *         behind it in the same read becomes available at once. */
void evse_link_consume(struct evse_link *l, uint32_t now_ms);

/**
 * @brief Queue one V2GTP message.
 * @retval HAL_OK queued (sent by the task)
 * @retval HAL_ESTATE no connection
 * @retval HAL_ENOMEM does not fit the output buffer now
 */
int evse_link_send(struct evse_link *l, uint16_t type, const uint8_t *payload, uint32_t len);

/**
 * @brief What carries the V2GTP connection now: 0 plain TCP, else the TLS version the
 *        handshake negotiated (0x0303, 0x0304), 0xFFFF TLS whose version the port cannot
 *        tell (or no connection). ISO 15118-20 is offered over TLS 1.3 only.
 */
uint16_t evse_link_security(const struct evse_link *l);

/** @brief One step (the task's step; also callable directly by tests). */
void evse_link_step(struct evse_link *l, uint32_t now_ms);

#endif /* EVSE_LINK_H */
