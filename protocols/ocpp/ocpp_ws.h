/**
 * @file ocpp_ws.h
 * @brief WebSocket client (RFC 6455) for OCPP-J over hal_net TCP and hal_tls: the opening
 *        handshake with `Sec-WebSocket-Protocol: ocpp1.6` and Basic authentication, masked
 *        frames out, fragmented messages and control frames in, ping/pong dead-link
 *        detection, close, and reconnection with exponential back-off and jitter.
 *
 * Non-blocking: ocpp_ws_poll() advances the connection by what the transport allows and
 * reports one event per call. One receive buffer holds both the raw bytes and the message
 * being assembled (fragments are compacted in place), so a message of up to CFG_OCPP_RX_MAX
 * bytes needs no second copy. No heap, no clock: time comes in as now_ms.
 */
#ifndef OCPP_WS_H
#define OCPP_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "hal_log.h"
#include "hal_net.h"
#include "hal_rng.h"
#include "hal_tls.h"

/** Largest incoming message (fact sheet §0.2: 8 KiB without certificate management). */
#ifndef CFG_OCPP_RX_MAX
#define CFG_OCPP_RX_MAX 8192u
#endif
/** Largest outgoing message. */
#ifndef CFG_OCPP_WS_TX_MAX
#define CFG_OCPP_WS_TX_MAX 8192u
#endif
_Static_assert(CFG_OCPP_RX_MAX >= 1024u && CFG_OCPP_RX_MAX <= 65535u, "CFG_OCPP_RX_MAX must be 1024..65535");
_Static_assert(CFG_OCPP_WS_TX_MAX >= 512u && CFG_OCPP_WS_TX_MAX <= 65535u, "CFG_OCPP_WS_TX_MAX: 512..65535");

#define OCPP_WS_HOST_MAX 128u
#define OCPP_WS_PATH_MAX 256u
#define OCPP_IDENTITY_MAX 48u

/** Where to connect: parsed from the URL and the identity (ocpp_ws_target_parse). */
struct ocpp_ws_target {
    bool tls;
    char host[OCPP_WS_HOST_MAX];
    uint16_t port;
    char path[OCPP_WS_PATH_MAX]; /**< base path + "/" + percent-encoded identity */
};

/**
 * @brief Parse `ws://host[:port][/base]` or `wss://...` and append the charge point identity
 *        (OCPP-J §3.1.1; 2.0.1 limits: at most 48 characters, no ':').
 * @retval HAL_EINVAL with *why set: bad scheme, host, port, identity or too long
 */
int ocpp_ws_target_parse(const char *url, const char *identity, struct ocpp_ws_target *t, const char **why);

struct ocpp_ws_config {
    struct ocpp_ws_target target;
    const char *user;            /**< Basic auth user (the identity), NULL: no Authorization */
    const char *password;        /**< AuthorizationKey (profiles 1 and 2) */
    uint32_t ping_interval_ms;   /**< WebSocketPingInterval; 0: we send no pings */
    uint32_t pong_timeout_ms;    /**< a ping unanswered this long: the link is dead */
    uint32_t connect_timeout_ms; /**< TCP + TLS + HTTP upgrade */
    uint32_t backoff_min_ms;     /**< RetryBackOffWaitMinimum */
    uint32_t backoff_range_ms;   /**< RetryBackOffRandomRange */
    uint8_t backoff_doublings;   /**< RetryBackOffRepeatTimes */
};

void ocpp_ws_default_config(struct ocpp_ws_config *cfg);

enum ocpp_ws_event {
    OCPP_WS_NONE = 0,
    OCPP_WS_OPENED,  /**< the upgrade succeeded */
    OCPP_WS_MESSAGE, /**< a whole text message: ocpp_ws_message() */
    OCPP_WS_CLOSED,  /**< the connection ended (ws->why); a reconnect is scheduled */
};

enum ocpp_ws_state {
    OCPP_WS_IDLE = 0,
    OCPP_WS_WAIT,      /**< back-off before the next attempt */
    OCPP_WS_TCP,       /**< connecting (TLS: handshaking) */
    OCPP_WS_UPGRADE,   /**< HTTP request sent, waiting for 101 */
    OCPP_WS_OPEN,
    OCPP_WS_CLOSING,   /**< our close frame is going out */
};

struct ocpp_ws {
    struct ocpp_ws_config cfg;
    struct hal_net *net;
    struct hal_tls *tls;
    struct hal_rng *rng;
    struct hal_log *log;
    enum ocpp_ws_state state;
    int sock, sess;
    bool tls_up;
    uint32_t since_ms;      /**< entered the current state */
    uint32_t retry_at_ms;
    uint32_t backoff_ms;    /**< the next wait before jitter */
    uint8_t failures;
    char accept[29];        /**< the Sec-WebSocket-Accept we expect */
    const char *why;        /**< why the last connection ended or failed */
    int http_status;        /**< of the last upgrade answer (401, 404, ...) */

    /* receive: [assembled message | raw bytes] */
    uint8_t rx[CFG_OCPP_RX_MAX + 16u];
    size_t asm_len, raw_len;
    bool in_message;        /**< a fragmented text message is being assembled */
    bool peer_closed;       /**< the peer closed after bytes still being read */
    size_t deliver_len;     /**< a delivered message occupies rx[0..deliver_len) until next poll */

    /* transmit: one data frame (or the HTTP request) and one control frame */
    uint8_t tx[CFG_OCPP_WS_TX_MAX + 16u];
    size_t tx_len, tx_off;
    uint8_t ctrl[131];
    size_t ctrl_len, ctrl_off;
    uint32_t last_ping_ms;
    bool pong_wait;
    uint32_t opened_ms;

    uint32_t connects, reconnects;
};

void ocpp_ws_init(struct ocpp_ws *ws, const struct ocpp_ws_config *cfg, struct hal_net *net,
                  struct hal_tls *tls, struct hal_rng *rng, struct hal_log *log);

/** Start connecting now (also cuts a back-off wait short). */
void ocpp_ws_start(struct ocpp_ws *ws, uint32_t now_ms);

/** Advance; one event per call (call again while it returns one). */
enum ocpp_ws_event ocpp_ws_poll(struct ocpp_ws *ws, uint32_t now_ms);

/** The message of the last OCPP_WS_MESSAGE (valid until the next poll). */
const char *ocpp_ws_message(const struct ocpp_ws *ws, size_t *len);

/**
 * @brief Queue one text message.
 * @retval HAL_OK taken (goes out over the next polls)
 * @retval HAL_EAGAIN the previous message is still going out
 * @retval HAL_ECLOSED not open
 * @retval HAL_EOVERFLOW longer than CFG_OCPP_WS_TX_MAX
 */
int ocpp_ws_send(struct ocpp_ws *ws, const char *text, size_t len);

bool ocpp_ws_is_open(const struct ocpp_ws *ws);

/** Something of ours (a message, a control frame) is still going out: a board that closes
 *  before a reboot waits until it is out (the Reset.conf before the restart). */
bool ocpp_ws_sending(const struct ocpp_ws *ws);

/** Close with status @p code (1000 normal, 1001 going away before a reboot). */
void ocpp_ws_close(struct ocpp_ws *ws, uint16_t code, uint32_t now_ms);

/** SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept. */
void ocpp_ws_sha1(const uint8_t *data, size_t len, uint8_t out[20]);

#endif /* OCPP_WS_H */
