/*
 * charger_session.c - the one session state machine of a connector (plug-in, the EV's
 * requests turned into the charger's states, the aborts checked every pass, charging,
 * stop to unplug) and its V2G backend: link (SLAC, SDP, TCP), every V2GTP payload
 * through the protocol-neutral entry point (hlc_handle, hlc.h). No protocol's EXI
 * values are written here: the protocol backend (hlc_din.c) translates. The pilot-only
 * backend is charger_pilot.c.
 */
#include "charger_priv.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "v2gtp/v2gtp.h"

static int charger_send_type(struct charger *c, uint16_t type, size_t len, uint32_t now_ms)
{
    return c->io.link->ops->send(c->io.link, type, c->out, (uint32_t)len, now_ms);
}

static int charger_send(struct charger *c, size_t len, uint32_t now_ms)
{
    return charger_send_type(c, V2GTP_PT_EXI, len, now_ms);
}

/* Session IDs come from the connector's random source. */
int charger_session_id(void *ctx, uint8_t *bytes, size_t len)
{
    struct charger *c = ctx;
    return hal_rng_fill(c->io.rng, bytes, len);
}

/* The answer to supportedAppProtocolReq went out (or could not be built): what came of it. */
static void charger_handshake_done(struct charger *c, const struct hlc_result *res, uint32_t now_ms)
{
    /* What each failure of the handshake ends the session with (NULL: not a failure). */
    static const char *const why[HLC_ERR_COUNT] = {
        [HLC_ERR_DECODE] = "undecodable supportedAppProtocolReq",
        [HLC_ERR_NOT_REQUEST] = "undecodable supportedAppProtocolReq",
        [HLC_ERR_NO_PROTOCOL] = "no common protocol (EV offers none of v2g.protocols)",
        [HLC_ERR_SESSION_ID] = "no random SessionID",
        [HLC_ERR_START] = "V2G session refused its configuration",
    };
    if ((unsigned)res->error < HLC_ERR_COUNT && why[res->error] != NULL) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH, why[res->error], now_ms);
        return;
    }
    if (hlc_active(&c->hlc) == NULL) {
        return;
    }
    c->v2g = true;
    /* A woken EV is on its new connection: the pause is over (whether it joins the old
     * SessionID is the backend's answer to SessionSetup). */
    c->paused = false;
    c->pause_woken = false;
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: protocol negotiated", hlc_active(&c->hlc)->app.ns);
    charger_goto(c, CHARGER_NEGOTIATING, now_ms);
}

static void charger_hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15u];
    }
    out[k] = '\0';
}

static void charger_power_off(struct charger *c, bool end_tx, uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    /* Contactors open once the current has fallen: the interlock's power-down step. */
    interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
    if (c->io.isolation != NULL) {
        (void)isolation_stop(c->io.isolation, now_ms);
    }
    if (end_tx) {
        charger_meter_stop(c, now_ms);
    }
}

static void charger_on_events(struct charger *c, const struct hlc_result *out, uint32_t now_ms)
{
    uint32_t ev = out->events;
    const struct hlc_ev *car = hlc_ev(&c->hlc);
    if (ev & HLC_EVT_SESSION) {
        charger_hex(c->current.evccid, sizeof c->current.evccid, car->evccid, car->evccid_len);
        charger_log(c, HAL_LOG_INFO, now_ms, "V2G: session set up, EVCCID", c->current.evccid);
    }
    if (ev & HLC_EVT_CONTRACT) {
        /* before AUTHORIZE (same answer): the authorisation takes the eMAID as its token */
        snprintf(c->auth.contract, sizeof c->auth.contract, "%s", out->token);
    }
    if (ev & HLC_EVT_AUTHORIZE) {
        charger_goto(c, CHARGER_AUTHORIZING, now_ms);
        charger_auth_begin(c, now_ms);
    }
    if (ev & HLC_EVT_CHARGE_PARAMS) {
        if (c->state != CHARGER_PARAMETERS) {
            c->current.soc_start = car->soc;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] EV: SOC %u %%, max %ld V / %ld A, battery capacity %ld Wh", c->cfg.name,
                     car->soc, (long)(car->max_voltage_mv / 1000), (long)(car->max_current_ma / 1000),
                     (long)car->energy_capacity_wh);
            charger_goto(c, CHARGER_PARAMETERS, now_ms);
        }
    }
    if (ev & HLC_EVT_CABLE_CHECK) {
        charger_goto(c, CHARGER_CABLE_CHECK, now_ms);
        charger_cc_go(c, CHARGER_CC_WAIT_C, now_ms);
    }
    if (ev & HLC_EVT_PRECHARGE) {
        if (c->state != CHARGER_PRECHARGE) {
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pre-charge to %ld V (%ld mA)", c->cfg.name,
                     (long)(car->target_voltage_mv / 1000), (long)car->target_current_ma);
            charger_goto(c, CHARGER_PRECHARGE, now_ms);
        }
        charger_precharge(c, now_ms);
    }
    if (ev & HLC_EVT_POWER_ON) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power delivery on at %ld V", c->cfg.name,
                 (long)(c->pw.present_mv / 1000));
        charger_goto(c, CHARGER_CHARGING, now_ms);
    }
    if (ev & HLC_EVT_CURRENT_DEMAND) {
        c->stats.cd_requests++;
        c->current.soc_end = car->soc;
        if (c->current.first_cd_ms == 0) {
            c->current.first_cd_ms = now_ms - c->current.plugged_ms;
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] first CurrentDemand %lu ms after plug-in",
                     c->cfg.name, (unsigned long)c->current.first_cd_ms);
        }
        if (c->state == CHARGER_CHARGING) {
            charger_regulate(c, now_ms);
        }
    }
    if (ev & HLC_EVT_EV_ERROR) {
        charger_set_reason(c, CHARGER_STOP_EV_ERROR, "EV reported an error code");
        charger_log(c, HAL_LOG_WARN, now_ms, "EV reports an error", "ramping down");
        if (c->state == CHARGER_CHARGING) {
            (void)psu_set_export(c->io.psu, (uint32_t)(c->pw.set_mv > 0 ? c->pw.set_mv : 0), 0, now_ms);
        }
    }
    if (ev & HLC_EVT_CHARGING_COMPLETE) {
        charger_log(c, HAL_LOG_INFO, now_ms, "EV", "charging complete");
    }
    if (ev & HLC_EVT_POWER_OFF) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power delivery off (EV at %u %%)",
                 c->cfg.name, car->soc);
        c->current.soc_end = car->soc;
        /* A renegotiation keeps the meter's transaction: the same session goes on after
         * the new schedule (else its ChargeParameterDiscovery would wait for a new one). */
        charger_power_off(c, (ev & HLC_EVT_RENEGOTIATE) == 0, now_ms);
        if (ev & HLC_EVT_RENEGOTIATE) {
            /* The cable check is done again in full: the last one's "Finished" must not
             * answer the first CableCheckReq while the contactors are still opening. */
            c->cc.step = CHARGER_CC_IDLE;
            c->cc.result = ISOLATION_INVALID;
        }
        /* ISO-2 renegotiation: power off, then charge parameters, cable check and
         * pre-charge again (no welding detection in between). */
        charger_goto(c, (ev & HLC_EVT_RENEGOTIATE) ? CHARGER_PARAMETERS : CHARGER_WELDING, now_ms);
    }
    if ((ev & HLC_EVT_HOLD) && c->state == CHARGER_CHARGING) {
        /* ISO-20 schedule renegotiation or standby: no current until PowerDelivery(Start)
         * comes back; voltage held, contactors closed (the car's are too). */
        charger_log(c, HAL_LOG_INFO, now_ms, "V2G",
                    (ev & HLC_EVT_RENEGOTIATE) ? "schedule renegotiation: current held at 0 A"
                                               : "standby: current held at 0 A");
        (void)psu_set_export(c->io.psu, (uint32_t)(c->pw.set_mv > 0 ? c->pw.set_mv : 0), 0, now_ms);
    }
    if (ev & HLC_EVT_PAUSE) {
        charger_log(c, HAL_LOG_INFO, now_ms, "V2G", "EV paused the session (its ID is kept for resumption)");
    }
    if (ev & HLC_EVT_RESUMED) {
        charger_log(c, HAL_LOG_INFO, now_ms, "V2G", "paused session resumed (OK_OldSessionJoined)");
    }
    if (ev & HLC_EVT_TIMEOUT) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_TIMEOUT, ERRORS_SEV_HIGH,
                      "V2G loop timed out", now_ms);
    }
    if (ev & HLC_EVT_PRECHARGE_LONG) {
        charger_log(c, HAL_LOG_WARN, now_ms, "pre-charge", "longer than 7 s (the EV owns that timer)");
    }
}

static void charger_session_end(struct charger *c, uint32_t now_ms)
{
    /* SessionStop: nothing flows any more; release the connector in the safe order. */
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    if (c->io.isolation != NULL) {
        (void)isolation_stop(c->io.isolation, now_ms);
    }
    charger_meter_stop(c, now_ms);
    interlock_request(&c->il, INTERLOCK_TARGET_UNLOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    bool asked = c->shutdown == CHARGER_SHUTDOWN_GRACEFUL;
    charger_set_reason(c, asked ? CHARGER_STOP_LOCAL : CHARGER_STOP_EV, "");
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: session stopped", charger_stop_reason_name(c->stop_reason));
    /* SessionStopRes is queued: close after it went out (the EV closes first anyway). */
    c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
    charger_goto(c, CHARGER_STOPPING, now_ms);
}

/* SessionStop(Pause), ISO-2: the session stays, the connection goes. Power is already off
 * and the contactors open (PowerDelivery Stop, welding detection); the plug stays locked,
 * the pilot goes to X1 (PWM off) and the EV wakes it with a B-C-B toggle (I2-PAUSE
 * capture). The backend keeps the SessionID for OK_OldSessionJoined. The meter's
 * transaction of this charging period is closed; the record sums the periods. */
static void charger_session_pause(struct charger *c, uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    if (c->io.isolation != NULL) {
        (void)isolation_stop(c->io.isolation, now_ms);
    }
    charger_meter_stop(c, now_ms);
    interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    c->paused = true;
    c->pause_woken = false;
    c->paused_ms = now_ms;
    c->current.pauses++;
    /* SessionStopRes is queued: close after it went out. */
    c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: session paused", "PWM off, plug locked, waiting for the EV to wake");
    charger_goto(c, CHARGER_LINK, now_ms);
}

/* The paused EV woke (state C under X1): 5 % PWM again and a new link; the session's data
 * (record, authorisation, SessionID in hlc) stay, the per-connection state starts over. */
static void charger_session_wake(struct charger *c, uint32_t now_ms)
{
    struct charger_session_record *r = &c->current;
    c->pause_woken = true;
    c->link_retries = 0;
    c->link_since_ms = now_ms;
    c->link_lost_ms = 0;
    c->close_at_ms = 0;
    c->v2g = false;
    c->shutdown = CHARGER_SHUTDOWN_NONE;
    c->powered_off = false;
    c->cc.step = CHARGER_CC_IDLE;
    c->cc.result = ISOLATION_INVALID;
    c->pw.set_mv = c->pw.set_ma = 0;
    c->pw.target_over_since_ms = 0;
    memset(&c->evse, 0, sizeof c->evse);
    /* The next charging period gets its own meter transaction (the last one is closed). */
    if (c->tx.state == CHARGER_TX_DONE) {
        r->paused_wh = r->energy_wh;
        r->metered = false;
        c->tx.state = CHARGER_TX_NONE;
    }
    hlc_reset(&c->hlc);
    if (c->io.link != NULL) {
        (void)c->io.link->ops->restart(c->io.link, now_ms);
    }
    c->link_closed = false;
    charger_set_duty(c, PILOT_DUTY_HLC, now_ms);
    charger_log(c, HAL_LOG_INFO, now_ms, "V2G: paused EV woke up", "5 % PWM, waiting for the new connection");
}

/* The protocol backend asks for the charger's status once the request is decoded. */
static void charger_hlc_status(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse)
{
    struct charger *c = ctx;
    (void)evse; /* it is c->evse */
    charger_fill_status(c, 0u);
    charger_preview_flags(c, rq);
}

/* One V2GTP EXI payload: the handshake or a request of the negotiated protocol, answered
 * through the one entry point (hlc_handle), then acted upon. */
static void charger_v2g_message(struct charger *c, uint16_t type, const uint8_t *p, uint32_t len, bool act,
                                uint32_t now_ms)
{
    struct hlc_result res;
    size_t n = 0;
    bool handshake = !c->v2g;
    hlc_set_payload_type(&c->hlc, type); /* ISO-20 picks its grammar by it */
    if (handshake) {
        /* ISO-20 only over TLS 1.3: the handshake leaves it out otherwise (hlc.c). */
        hlc_set_transport(&c->hlc, c->io.link->ops->transport != NULL ? c->io.link->ops->transport(c->io.link)
                                                                      : HLC_TRANSPORT_UNKNOWN);
    }
    int rc = hlc_handle(&c->hlc, p, len, &c->evse, charger_hlc_status, c, c->out, sizeof c->out, &n,
                        &res, now_ms);
    if (handshake) {
        if (n > 0) {
            (void)charger_send(c, n, now_ms);
        }
        charger_handshake_done(c, &res, now_ms);
        return;
    }
    if (rc != HAL_OK) {
        size_t m = 0;
        if (res.error == HLC_ERR_DECODE && hlc_refuse_handshake(&c->hlc, p, len, c->out, sizeof c->out, &m) == HAL_OK) {
            /* A new connection's handshake inside the running session: the car dropped the
             * old connection and started over (pyPLC against Compleo). The session cannot
             * take it: the car gets Failed_NoNegotiation at once rather than a silence
             * until its timeout, and the old session ends by the safe stop. */
            if (m > 0) {
                (void)charger_send(c, m, now_ms);
            }
            if (act) {
                charger_raise(c, ERRORS_SRC_LINK, CHARGER_LINK_LOST, ERRORS_SEV_HIGH,
                              "EV opened a new V2G connection mid-session", now_ms);
                c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
            }
            return;
        }
        if (res.error == HLC_ERR_DECODE) {
            charger_log(c, HAL_LOG_WARN, now_ms, "V2G", "undecodable message ignored");
        }
        if (res.failed && act) {
            /* A backend that ends the session on garbage (ISO-2): stop safely, say why. */
            charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH, res.reason, now_ms);
            c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
        }
        return;
    }
    if (n > 0 && charger_send_type(c, res.payload_type, n, now_ms) == HAL_OK) {
        hlc_sent(&c->hlc, now_ms);
    } else {
        charger_log(c, HAL_LOG_ERROR, now_ms, "V2G", "response could not be sent");
    }
    if (res.note[0] != '\0') {
        /* Plug & Charge: every chain and signature check says what it found */
        hal_logf(c->io.log, res.failed ? HAL_LOG_WARN : HAL_LOG_INFO, now_ms, "[%s] V2G: %s", c->cfg.name,
                 res.note);
    }
    if (!res.positive && res.failed) {
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] V2G: answered %s with %s", c->cfg.name,
                 res.msg_name, res.code_name);
    }
    if (!act) {
        return; /* the session has ended: answers only (FAILED), nothing more is done */
    }
    charger_on_events(c, &res, now_ms);
    if ((res.events & HLC_EVT_SESSION_STOP) && (res.events & HLC_EVT_PAUSE)) {
        charger_session_pause(c, now_ms);
    } else if (res.events & HLC_EVT_SESSION_STOP) {
        charger_session_end(c, now_ms);
    } else if ((res.events & HLC_EVT_CLOSE) || res.failed) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_PROTOCOL, ERRORS_SEV_HIGH,
                      res.reason[0] != '\0' ? res.reason : "FAILED answer: session ended", now_ms);
        c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
    }
}

static void charger_v2g_io(struct charger *c, uint32_t now_ms)
{
    struct charger_transport *l = c->io.link;
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    /* Bounded: at most two messages per pass. */
    for (int k = 0; k < 2 && !c->link_closed && l->ops->recv(l, &type, &p, &len) == HAL_OK; k++) {
        if (c->link_since_ms != 0 && !c->v2g) {
            charger_log(c, HAL_LOG_INFO, now_ms, "V2G", "first message: SupportedAppProtocol");
        }
        bool iso20 = c->v2g && hlc_active(&c->hlc) != NULL && hlc_active(&c->hlc) == hlc_backend(HLC_PROTO_ISO20);
        if (type != V2GTP_PT_EXI && !(iso20 && type >= 0x8002u && type <= 0x8004u)) {
            /* not ours (ISO-20's 0x8002..0x8004 only in an ISO-20 session: its backend judges them) */
        } else if (!c->v2g || !hlc_over(&c->hlc)) {
            charger_v2g_message(c, type, p, len, charger_session_active(c->state), now_ms);
        }
        if (!c->link_closed) {
            l->ops->consume(l, now_ms);
        }
    }
    if (c->v2g && !hlc_over(&c->hlc) && (hlc_tick(&c->hlc, now_ms) & HLC_EVT_TIMEOUT)) {
        charger_raise(c, ERRORS_SRC_V2G, CHARGER_STOP_V2G_TIMEOUT, ERRORS_SEV_HIGH,
                      "no request within the sequence timeout", now_ms);
    }
}

/* Plug-in, V2G: everything the last session's link left behind. */
static void charger_v2g_begin(struct charger *c, uint32_t now_ms)
{
    c->v2g = false;
    c->link_retries = 0;
    c->link_since_ms = now_ms;
    memset(&c->auth, 0, sizeof c->auth);
    c->shutdown = CHARGER_SHUTDOWN_NONE;
    c->powered_off = false;
    c->close_at_ms = 0;
    c->cc.step = CHARGER_CC_IDLE;
    c->cc.result = ISOLATION_INVALID;
    /* A transaction still being started or stopped is the last session's: the meter's
     * answer closes it into that session's record (charger_tx.c), then this session
     * starts its own. */
    if (!c->tx.stop_pending && c->tx.state != CHARGER_TX_STARTING && c->tx.state != CHARGER_TX_STOPPING) {
        c->tx.state = CHARGER_TX_NONE;
    }
    c->pw.ov_active = false;
    c->pw.ov_err_active = false;
    c->pw.target_over_since_ms = 0;
    c->pw.max_set_mv = 0;
    c->pw.set_mv = c->pw.set_ma = 0;
    memset(&c->evse, 0, sizeof c->evse);
    c->paused = false;
    c->pause_woken = false;
    hlc_reset(&c->hlc);
    hlc_drop_pause(&c->hlc); /* a new car never joins the last one's paused session */
    if (c->link_closed) {
        c->link_closed = false;
    }
}

/* Every pass, V2G: after a stop the connection is kept only long enough to answer FAILED
 * (an emergency) or to send SessionStopRes, then closed. */
static void charger_v2g_tick(struct charger *c, uint32_t now_ms)
{
    if (c->close_at_ms != 0 && hal_time_reached(now_ms, c->close_at_ms)) {
        charger_close_link(c, now_ms);
    } else if (c->v2g && !c->link_closed && !charger_session_active(c->state)) {
        charger_fill_status(c, now_ms);
        charger_v2g_io(c, now_ms);
    }
}

/* The V2G connection is gone: noticed by the debounce below, or already down at this pass
 * (a loop stalled by a loaded host can see the link fail and the safety controller's gate
 * open in one pass, the gate first; faults-real recorded such a link loss as the EV's). */
static bool charger_link_gone(struct charger *c)
{
    struct charger_transport *l = c->io.link;
    return c->link_lost_ms != 0 ||
           (l != NULL && c->v2g && !hlc_over(&c->hlc) && !c->link_closed && !c->paused &&
            l->ops->state(l) != CHARGER_TRANSPORT_CONNECTED);
}

/* A running V2G session: the EV's messages, and the connection watched. */
static void charger_v2g_exchange(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    struct charger_transport *l = c->io.link;
    (void)ps;
    charger_v2g_io(c, now_ms);
    /* A lost connection counts after a moment, so an unplug (the pilot's 30 ms
     * debounce) is reported as what it is. */
    if (c->v2g && !hlc_over(&c->hlc) && !c->link_closed && !c->paused &&
        l->ops->state(l) != CHARGER_TRANSPORT_CONNECTED) {
        if (c->link_lost_ms == 0) {
            c->link_lost_ms = now_ms != 0 ? now_ms : 1u;
        } else if (now_ms - c->link_lost_ms >= 100u) {
            charger_raise(c, ERRORS_SRC_LINK, CHARGER_LINK_LOST, ERRORS_SEV_HIGH, "V2G connection lost", now_ms);
        }
    } else {
        c->link_lost_ms = 0;
    }
}

static const struct hlc_ev *charger_v2g_ev(const struct charger *c)
{
    return hlc_ev(&c->hlc);
}

const struct charger_backend charger_backend_v2g = {
    .name = NULL,
    .first = CHARGER_LINK,
    .plug_in_text = "waiting for SLAC",
    .cable_check = true,
    .stops_at_once = false,
    .supervises = true,
    .begin = charger_v2g_begin,
    .tick = charger_v2g_tick,
    .exchange = charger_v2g_exchange,
    .ev = charger_v2g_ev,
};

/* Plug-in, whichever the backend: a new record, the last session's errors cleared (what
 * is held stays: no session starts while something is), 5 % PWM, the connector locked. */
static void charger_plug_in(struct charger *c, uint32_t now_ms)
{
    const struct charger_backend *b = c->backend;
    charger_session_begin(c, now_ms);
    errors_session_begin(&c->err);
    errors_clear_source(&c->err, ERRORS_SRC_V2G);
    errors_clear_source(&c->err, ERRORS_SRC_EV);
    errors_clear_source(&c->err, ERRORS_SRC_LINK);
    errors_clear_source(&c->err, ERRORS_SRC_PILOT);
    errors_clear_source(&c->err, ERRORS_SRC_SESSION);
    errors_clear_source(&c->err, ERRORS_SRC_POWER_PATH);
    /* Device errors come back at the next poll if their cause is still there. */
    errors_clear_source(&c->err, ERRORS_SRC_METER);
    (void)errors_clear(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT);
    b->begin(c, now_ms);
    charger_set_duty(c, PILOT_DUTY_HLC, now_ms);
    interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
    if (b->cable_check && c->io.isolation == NULL && c->cfg.imd_lab_override) {
        charger_log(c, HAL_LOG_WARN, now_ms, "session", CHARGER_LAB_OVERRIDE_TEXT);
    }
    if (b->plug_in_text != NULL) {
        charger_log(c, HAL_LOG_INFO, now_ms, "EV plugged in", b->plug_in_text);
    }
    charger_goto(c, b->first, now_ms);
}

/* One cause that ends a running session. With messages (V2G) it goes into the error
 * table and charger_react() decides (a MEDIUM one stops gracefully while power flows);
 * a backend without messages stops at once, the cause as the reason and only the
 * device's words (power-path fault, proximity) as the detail. */
static void charger_abort_for(struct charger *c, enum errors_source src, uint32_t code,
                              enum charger_stop_reason why, enum errors_severity sev,
                              const char *text, const char *detail, uint32_t now_ms)
{
    if (c->backend->stops_at_once) {
        charger_stop(c, why, detail, now_ms);
    } else {
        charger_raise(c, src, code, sev, text, now_ms);
    }
}

/* Conditions that end a running session, checked before and after the EV's requests. */
static bool charger_session_abort(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
        enum interlock_fault f = interlock_fault(&c->il);
        c->stats.last_fault = f;
        charger_abort_for(c, ERRORS_SRC_POWER_PATH, (uint32_t)f, CHARGER_STOP_POWER_PATH,
                          ERRORS_SEV_HIGH, interlock_fault_name(f), interlock_fault_name(f), now_ms);
    } else if (interlock_gate_dropped(&c->il) && !c->powered_off &&
               (c->backend->stops_at_once || c->state != CHARGER_CHARGING)) {
        /* The safety controller opened the contactors because the pilot left C/D (its
         * documented gate, docs/linux-board.md): the EV's stop, not a power-path fault.
         * A V2G session in CHARGING takes charger_charging()'s EV-stop path instead. A
         * connection lost just before (inside its debounce) is the cause, as there: a car
         * opens S2 at once when its TLS or TCP connection fails (faults-real with the
         * Charge SOM plant, a corrupted TLS record in the cable check). */
        bool link = charger_link_gone(c);
        charger_log(c, HAL_LOG_WARN, now_ms, "safety controller opened the contactors", "pilot left C/D");
        charger_stop(c, link ? CHARGER_STOP_LINK : CHARGER_STOP_EV,
                     link ? "V2G connection lost; " CHARGER_GATE_TEXT : CHARGER_GATE_TEXT, now_ms);
    } else if (ps == PILOT_STATE_A) {
        charger_abort_for(c, ERRORS_SRC_PILOT, CHARGER_STOP_UNPLUGGED, CHARGER_STOP_UNPLUGGED,
                          ERRORS_SEV_HIGH, "EV unplugged", "", now_ms);
    } else if (ps == PILOT_STATE_E || ps == PILOT_STATE_F) {
        bool diode = c->pilot.diode_fault;
        enum charger_stop_reason why = diode ? CHARGER_STOP_DIODE_FAULT : CHARGER_STOP_PILOT_ERROR;
        charger_abort_for(c, ERRORS_SRC_PILOT, why, why, ERRORS_SEV_HIGH,
                          diode ? "EV diode missing" : "pilot state E/F", "", now_ms);
    } else if (charger_pp_fault(c, ps, now_ms) != NULL) {
        const char *pp = charger_pp_fault(c, ps, now_ms);
        charger_abort_for(c, ERRORS_SRC_PILOT, CHARGER_STOP_PROXIMITY, CHARGER_STOP_PROXIMITY,
                          ERRORS_SEV_HIGH, pp, pp, now_ms);
    } else if (c->stop_requested) {
        c->stop_requested = false;
        charger_abort_for(c, ERRORS_SRC_SESSION, CHARGER_STOP_LOCAL, CHARGER_STOP_LOCAL,
                          ERRORS_SEV_MEDIUM, "stop requested", "", now_ms);
    }
    /* And what the error table holds (over-voltage, no voltage measured, device errors):
     * the same reaction for every backend. */
    charger_react(c, now_ms);
    return !charger_session_active(c->state);
}

/* CHARGING: the EV left C while power flowed (its emergency stop), a graceful stop the EV
 * ignores, and, without messages, the limits followed every pass. */
static void charger_charging(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    const struct hlc_ev *ev = c->backend->ev(c);
    if (c->backend->stops_at_once) {
        /* Nobody will send WeldingDetection or SessionStop: the session ends now; the
         * interlock still checks the contactors on the way to unlock. */
        if (!ev->ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (!interlock_power_allowed(&c->il)) {
            /* Defence in depth: the interlock already powers down on its own. */
            (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
        } else {
            /* The limits may change while charging (station share, derating, OCPP). */
            charger_follow(c, ev, now_ms);
        }
    } else if (((ps == PILOT_STATE_B) && pilot_confirmed(&c->pilot) && !c->powered_off) ||
               (interlock_gate_dropped(&c->il) && !c->powered_off)) {
        /* The EV left C while power flowed: its emergency stop. Behind a safety controller
         * its own gate may have opened the contactors before our debounce confirmed B;
         * the interlock has switched the stage off already and says so. */
        if (interlock_gate_dropped(&c->il)) {
            charger_log(c, HAL_LOG_WARN, now_ms, "safety controller opened the contactors", "pilot left C/D");
        } else {
            charger_log(c, HAL_LOG_WARN, now_ms, "EV went to state B while charging", "power off");
        }
        if (charger_link_gone(c)) {
            /* The connection went first (TCP reset, PLC lost): the EV opened S2 because
             * of it, so the link is the cause, not the EV. */
            charger_set_reason(c, CHARGER_STOP_LINK, "V2G connection lost; EV left state C");
        }
        charger_set_reason(c, CHARGER_STOP_EV, "EV left state C while charging");
        charger_power_off(c, true, now_ms);
        charger_goto(c, CHARGER_WELDING, now_ms);
    } else if (c->shutdown == CHARGER_SHUTDOWN_GRACEFUL &&
               now_ms - c->graceful_since_ms >= c->cfg.shutdown_grace_ms) {
        charger_raise(c, ERRORS_SRC_SESSION, CHARGER_STOP_LOCAL, ERRORS_SEV_HIGH,
                      "EV did not end the session after StopCharging", now_ms);
        charger_react(c, now_ms);
    }
}

/* The one session machine of a connector, whichever the backend (charger_priv.h): the
 * V2G states run from LINK to WELDING; the pilot backend has no messages and runs
 * CONNECTED, READY, ENERGIZING instead (docs/architecture.md maps them); CHARGING and
 * everything from the stop to the unplug is the same. */
void charger_session(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    const struct charger_backend *b = c->backend;
    struct charger_transport *l = c->io.link;

    charger_limits(c, &c->pw.lim);
    charger_measure(c, now_ms);
    if (b->supervises) {
        charger_meter_events(c, now_ms);
        charger_poll_psu(c, now_ms);
        charger_poll_imd(c, now_ms);
        charger_poll_meter(c, now_ms);
    }
    if (b->tick != NULL) {
        b->tick(c, now_ms);
    }

    if (charger_session_active(c->state)) {
        if (charger_session_abort(c, ps, now_ms)) {
            return;
        }
        b->exchange(c, ps, now_ms);
        if (charger_session_abort(c, ps, now_ms)) {
            return;
        }
    }

    switch (c->state) {
    case CHARGER_IDLE:
        if (ps == PILOT_STATE_B || ps == PILOT_STATE_C || ps == PILOT_STATE_D) {
            if (errors_any(&c->err, ERRORS_SRC_PSU, ERRORS_SEV_HIGH) || charger_held(c) ||
                c->inoperative) {
                break; /* the stage is faulted, a fault waits for a reset, or out of service */
            }
            charger_plug_in(c, now_ms);
        }
        break;
    case CHARGER_LINK:
        if (c->paused && !c->pause_woken) {
            /* Paused: the EV's wake-up is state C under X1; one that never comes back ends
             * the session the normal way (power is off: unlock, then unplug). */
            if ((ps == PILOT_STATE_C || ps == PILOT_STATE_D) && c->link_closed) {
                charger_session_wake(c, now_ms);
            } else if (now_ms - c->paused_ms >= c->cfg.pause_timeout_ms) {
                charger_log(c, HAL_LOG_WARN, now_ms, "V2G: paused EV did not come back", "ending the session");
                hlc_drop_pause(&c->hlc);
                charger_stop(c, CHARGER_STOP_EV, "paused EV did not resume in time", now_ms);
            }
        } else if (l->ops->state(l) == CHARGER_TRANSPORT_FAILED) {
            if (c->link_retries < c->cfg.link_retries) {
                c->link_retries++;
                charger_log(c, HAL_LOG_WARN, now_ms, "SLAC failed, restarting", l->ops->reason(l));
                (void)l->ops->restart(l, now_ms);
            } else {
                charger_raise(c, ERRORS_SRC_LINK, CHARGER_LINK_SLAC_FAILED, ERRORS_SEV_MEDIUM, "SLAC failed", now_ms);
            }
        } else if (now_ms - c->link_since_ms >= c->cfg.link_timeout_ms) {
            charger_raise(c, ERRORS_SRC_LINK, CHARGER_LINK_NO_SESSION, ERRORS_SEV_MEDIUM, "no V2G session after plug-in",
                          now_ms);
        }
        break;
    case CHARGER_PARAMETERS:
        /* The transaction must run before power flows: retry a meter that was not ready. */
        if (c->io.meter_session != NULL && c->auth.step == CHARGER_AUTH_STEP_ACCEPTED && !charger_tx_mine(c)) {
            /* Each refused start costs a journal slot: only ask a meter that answers,
             * and at most once a second. */
            uint32_t dev = 0;
            if (c->tx.state == CHARGER_TX_NONE && meter_status(c->io.meter, &dev) == HAL_OK &&
                now_ms - c->tx.since_ms >= 1000u) {
                c->tx.since_ms = now_ms;
                charger_start_transaction(c, now_ms);
            }
            if (!charger_tx_mine(c) && now_ms - c->auth.decided_ms >= c->cfg.meter_timeout_ms) {
                charger_raise(c, ERRORS_SRC_METER, (uint32_t)-HAL_EAGAIN, ERRORS_SEV_MEDIUM,
                              "meter not ready for a transaction", now_ms);
            }
        }
        break;
    case CHARGER_NEGOTIATING:
    case CHARGER_PRECHARGE:
    case CHARGER_WELDING:
        break;
    case CHARGER_AUTHORIZING:
        charger_auth_poll(c, now_ms);
        break;
    case CHARGER_CABLE_CHECK:
        charger_cable_check(c, now_ms);
        break;
    case CHARGER_CONNECTED:
        /* The pilot backend's LINK..PARAMETERS: nothing to negotiate, only the lock. */
        if (interlock_state(&c->il) == INTERLOCK_LOCKED) {
            charger_goto(c, CHARGER_READY, now_ms);
        }
        break;
    case CHARGER_READY:
        /* The EV is ready (C/D) under the present duty: close the contactors (no cable
         * check: the pilot backend has no way to tell the EV an isolation result). */
        if (b->ev(c)->ready && pilot_confirmed(&c->pilot)) {
            interlock_request(&c->il, INTERLOCK_TARGET_CLOSED);
            charger_goto(c, CHARGER_ENERGIZING, now_ms);
        }
        break;
    case CHARGER_ENERGIZING: {
        /* The pilot backend's CABLE_CHECK..PRECHARGE: contactors closing, then power at the
         * EV's target within the limits (no battery voltage to match). */
        const struct hlc_ev *ev = b->ev(c);
        if (!ev->ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (interlock_power_allowed(&c->il)) {
            charger_follow(c, ev, now_ms);
            if (psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms) == HAL_OK) {
                charger_goto(c, CHARGER_CHARGING, now_ms);
            }
        }
        break;
    }
    case CHARGER_CHARGING:
        charger_charging(c, ps, now_ms);
        break;
    case CHARGER_STOPPING:
        if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
            charger_goto(c, CHARGER_FAULT, now_ms);
        } else if (interlock_state(&c->il) == INTERLOCK_UNLOCKED) {
            charger_goto(c, CHARGER_FINISHED, now_ms);
        }
        break;
    case CHARGER_FINISHED:
        if (ps == PILOT_STATE_A) {
            charger_close_link(c, now_ms);
            charger_goto(c, CHARGER_IDLE, now_ms);
        }
        break;
    case CHARGER_FAULT: {
        enum charger_state next = charger_fault_pass(c, ps, now_ms);
        if (next != CHARGER_FAULT) {
            charger_close_link(c, now_ms);
            charger_goto(c, next, now_ms);
        }
        break;
    }
    case CHARGER_STATE_COUNT:
        break;
    }
}
