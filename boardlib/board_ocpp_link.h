/**
 * @file board_ocpp_link.h
 * @brief The host boards' OCPP link settings per security profile: the ws:// endpoint of
 *        profiles 0/1 and the wss:// endpoint of profiles 2/3 (the configured URL, or a second
 *        one for an upgrade over OCPP), the TLS client, Basic authentication with the
 *        AuthorizationKey. It follows the core's SecurityProfile switch and AuthorizationKey
 *        change (ocpp_sec.h): closes the link once the answer is out, reconnects with the
 *        profile the core names, reports each connect's outcome back (the core falls back
 *        and keeps the profile).
 */
#ifndef BOARD_OCPP_LINK_H
#define BOARD_OCPP_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "hal_tls.h"
#include "ocpp_station.h"

struct board_ocpp_link {
    struct ocpp_ws_target plain;  /**< ws:// (profiles 0 and 1) */
    struct ocpp_ws_target secure; /**< wss:// (profiles 2 and 3) */
    bool has_plain, has_secure;
    struct hal_tls *tls;          /**< the TLS client of wss:// (NULL: none configured) */
    const char *user;             /**< the identity: the Basic user on profiles 1 and 2 */
    unsigned profile;             /**< the profile the WebSocket is set up for */
    bool closing;                 /**< closed for a reconnect with other settings */
    uint32_t opened_at, failed_at; /**< the WebSocket's connect count last seen open / failed */
    struct hal_log *log;
};

/**
 * @param url the configured base URL (ws:// or wss://, without the identity)
 * @param tls_url a wss:// base for profiles 2 and 3 when @p url is ws:// (NULL or "": none)
 * @param tls the TLS client for wss:// (NULL: no wss:// possible)
 * @retval HAL_EINVAL with *why: a URL that does not parse, or tls_url beside a wss:// url
 */
int board_ocpp_link_init(struct board_ocpp_link *l, const char *url, const char *tls_url, const char *identity,
                         struct hal_tls *tls, struct hal_log *log, const char **why);

/** A new WebSocket (the charge point started again): forget the old one's connects. */
void board_ocpp_link_reset(struct board_ocpp_link *l);

/** The link can connect with @p profile (an endpoint and, for 2/3, a TLS client). */
bool board_ocpp_link_can(const struct board_ocpp_link *l, unsigned profile);

/** Set the WebSocket up for the core's link profile and (re)start it: at start, after the
 *  store was read (a stored profile may be higher than the configured one).
 *  @retval HAL_ENOTSUP no endpoint for it: the link stays down (never a lower profile) */
int board_ocpp_link_apply(struct board_ocpp_link *l, struct ocpp_station *os, uint32_t now_ms);

/** After each ocpp_station_poll(): connect outcomes to the core, a reconnect it asked for. */
void board_ocpp_link_poll(struct board_ocpp_link *l, struct ocpp_station *os, uint32_t now_ms);

#endif /* BOARD_OCPP_LINK_H */
