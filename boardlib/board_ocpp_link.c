/* board_ocpp_link.c - owns the host boards' choice of OCPP endpoint, TLS and Basic
 * authentication per security profile, and the reconnects the core's SecurityProfile
 * switch and AuthorizationKey change ask for (the decisions are ocpp_sec.c's). */
#include "board_ocpp_link.h"

#include <string.h>

int board_ocpp_link_init(struct board_ocpp_link *l, const char *url, const char *tls_url, const char *identity,
                         struct hal_tls *tls, struct hal_log *log, const char **why)
{
    memset(l, 0, sizeof *l);
    l->tls = tls;
    l->user = identity;
    l->log = log;
    struct ocpp_ws_target t;
    if (ocpp_ws_target_parse(url, identity, &t, why) != HAL_OK) {
        return HAL_EINVAL;
    }
    if (t.tls) {
        l->secure = t;
        l->has_secure = true;
    } else {
        l->plain = t;
        l->has_plain = true;
    }
    if (tls_url != NULL && tls_url[0] != '\0') {
        if (l->has_secure) {
            *why = "a second wss:// URL beside a wss:// URL";
            return HAL_EINVAL;
        }
        if (ocpp_ws_target_parse(tls_url, identity, &l->secure, why) != HAL_OK) {
            return HAL_EINVAL;
        }
        if (!l->secure.tls) {
            *why = "the URL of profiles 2 and 3 must be wss://";
            return HAL_EINVAL;
        }
        l->has_secure = true;
    }
    return HAL_OK;
}

void board_ocpp_link_reset(struct board_ocpp_link *l)
{
    l->opened_at = l->failed_at = 0;
    l->closing = false;
}

bool board_ocpp_link_can(const struct board_ocpp_link *l, unsigned profile)
{
    return profile >= 2u ? l->has_secure && l->tls != NULL : l->has_plain;
}

int board_ocpp_link_apply(struct board_ocpp_link *l, struct ocpp_station *os, uint32_t now_ms)
{
    unsigned p = ocpp_sec_link_profile(&os->cp);
    if (!board_ocpp_link_can(l, p)) {
        /* A00.FR.005: never a lower profile instead; the operator must configure one */
        hal_logf(l->log, HAL_LOG_ERROR, now_ms,
                 "ocpp: security profile %u needs a %s URL%s: not connecting (a lower profile is never used)", p,
                 p >= 2u ? "wss://" : "ws://", p >= 2u ? " and a CA" : "");
        ocpp_ws_close(&os->ws, 1000, now_ms);
        l->profile = p;
        return HAL_ENOTSUP;
    }
    const struct ocpp_ws_target *t = p >= 2u ? &l->secure : &l->plain;
    /* Basic authentication on profiles 1 and 2 (profile 3 authenticates by certificate);
     * the password is the core's AuthorizationKey, so a new key is used from the next connect */
    const char *key = os->cp.cfg.authorization_key;
    const char *user = (p == 1u || p == 2u) && key[0] != '\0' ? l->user : NULL;
    int rc = ocpp_ws_retarget(&os->ws, t, p >= 2u ? l->tls : NULL, user, key);
    if (rc != HAL_OK) {
        return rc;
    }
    if (p != l->profile) {
        hal_logf(l->log, HAL_LOG_INFO, now_ms, "ocpp: link with security profile %u: %s://%s:%u", p,
                 t->tls ? "wss" : "ws", t->host, (unsigned)t->port);
    }
    l->profile = p;
    ocpp_ws_start(&os->ws, now_ms);
    return HAL_OK;
}

void board_ocpp_link_poll(struct board_ocpp_link *l, struct ocpp_station *os, uint32_t now_ms)
{
    struct ocpp_ws *ws = &os->ws;
    struct ocpp_cp *cp = &os->cp;
    /* each connect attempt's outcome, once (the back-off keeps attempts a poll apart) */
    if (ws->state == OCPP_WS_OPEN && l->opened_at != ws->connects) {
        l->opened_at = ws->connects;
        ocpp_sec_link_opened(cp, now_ms);
    } else if (ws->state == OCPP_WS_WAIT && ws->connects != 0u && ws->connects != l->opened_at &&
               ws->connects != l->failed_at) {
        l->failed_at = ws->connects;
        ocpp_sec_link_failed(cp, ws->why, now_ms);
    }
    /* a reconnect the core asked for, once its answer (Accepted) has gone out whole */
    bool answered = !ocpp_ws_is_open(ws) || (cp->txlen == 0u && !ocpp_ws_sending(ws));
    if (!l->closing && answered && ocpp_sec_link_relink(cp)) {
        ocpp_ws_close(ws, 1000, now_ms);
        l->closing = true;
    }
    if (l->closing && ws->state == OCPP_WS_IDLE) {
        l->closing = false;
        (void)board_ocpp_link_apply(l, os, now_ms);
    }
}
