/**
 * @file v2g_ev_din.c
 * @brief `v2g-replay --ev` for DIN SPEC 70121: our DIN car (protocols/din/din_ev) against
 *        the responses of a recorded charger, for the captures where that charger is a real
 *        product (Alpitronic, ABB, Compleo; docs/interop.md).
 *
 * For every request the recorded car sent, our EVCC produces its own next request, which
 * must be of the same message type; then the recorded charger's response is fed to our
 * EVCC, at the delay the recorded charger took (so a slow charger meets our timeouts), and
 * must be accepted: decoded, same SessionID as issued (any length), EVSEProcessing, status
 * codes and limits followed. A supportedAppProtocolReq starts a connection and, in DIN, a
 * new session. What only the recorded car knew comes from the recording, as in the ISO-2
 * replay (v2g_ev.c): its offers, EVCCID (pyPLC v0.2: empty), the SessionID of its
 * SessionSetupReq, ServiceCategory, its battery's targets, and its decisions: whether its
 * inlet matched in pre-charge, whether it wants to stop, whether its welding check is over.
 *
 * Three kinds of recorded request are counted apart, not in replayed=, because they prove
 * nothing about our car against the charger (each is printed with the reason):
 *  - unjudged:   the charger never answered it (the capture ends, or the car dropped the
 *                connection and started a new one);
 *  - after_stop: the recorded charger had ended the session or asked the car to stop
 *                (FAILED ResponseCode, EVSE_Shutdown/EmergencyShutdown, StopCharging) and
 *                our car stopped there, while the recorded car (pyPLC) went on talking;
 *  - not_din:    a connection that negotiated another protocol.
 *
 * Last line: replayed=N accepted=N mismatched=N unjudged=N after_stop=N not_din=N
 */
#include <stdio.h>
#include <string.h>

#include "v2g_rec.h"

#include "apphand/apphand.h"
#include "din/din_ev.h"
#include "exi/exi_apphand.h"

static struct din_ev s_ev;
static struct exi_din_document s_rq, s_ours;
static uint8_t s_buf[4096];
static char s_ns[CFG_DIN_EV_OFFERS][REC_NS_LEN];

struct din_run {
    bool quiet;
    unsigned replayed, accepted, mismatched, unjudged, after_stop, not_din, sessions;
    double t0;
    uint32_t now;
};

static void say(const struct din_run *E, const struct rec *q, const char *ours, bool good, const char *why)
{
    if (!good || !E->quiet) {
        printf("f=%lu t=%.3f %-28s ours %-28s %s%s%s\n", q->frame, q->t - E->t0, q->msg, ours,
               good ? "ok" : "FAIL", why[0] ? ": " : "", why);
    }
}

/* Not a judgement either way: printed in -q too, so a log shows what was left out. */
static void note(const struct din_run *E, const struct rec *q, const char *ours, const char *what)
{
    printf("f=%lu t=%.3f %-28s ours %-28s %s\n", q->frame, q->t - E->t0, q->msg, ours, what);
}

static bool decode_din(const struct rec *r, struct exi_din_document *d)
{
    if (r == NULL || r->exi == NULL || r->apphand || strcmp(r->schema, "din") != 0) {
        return false;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, r->exi, r->len);
    return exi_din_decode(&rd, d) == HAL_OK;
}

/* The configuration of the recorded car, from its requests of the connection at @p i. */
static void config_from(const struct recs *R, size_t i, struct din_ev_config *cfg)
{
    din_ev_default_config(cfg);
    cfg->start_delay_ms = 0;
    cfg->n_offers = rec_offers(&R->v[i], cfg->offers, s_ns, CFG_DIN_EV_OFFERS);
    for (size_t j = i + 1; j < R->n && !(R->v[j].ev_to_evse && R->v[j].apphand); j++) {
        if (!R->v[j].ev_to_evse || !decode_din(&R->v[j], &s_rq)) {
            continue;
        }
        const struct exi_din_BodyType *b = &s_rq.V2G_Message.Body;
        if (b->SessionSetupReq_isUsed) {
            uint16_t n = b->SessionSetupReq.EVCCID.bytesLen <= 8 ? b->SessionSetupReq.EVCCID.bytesLen : 8;
            memcpy(cfg->evccid, b->SessionSetupReq.EVCCID.bytes, n);
            cfg->evccid_len = (uint8_t)n;
            din_session_id_from_header(&cfg->setup_id, &s_rq.V2G_Message.Header);
        } else if (b->ServiceDiscoveryReq_isUsed) {
            cfg->send_service_category = b->ServiceDiscoveryReq.ServiceCategory_isUsed;
        } else if (b->SessionStopReq_isUsed) {
            break;
        }
    }
}

/* The recorded car's battery before our EVCC builds its request @p q. */
static void model_before(const struct exi_din_document *q)
{
    struct din_ev_model *m = &s_ev.model;
    const struct exi_din_BodyType *b = &q->V2G_Message.Body;
    if (b->PreChargeReq_isUsed) {
        m->battery_voltage_mv = din_pv_milli32(&b->PreChargeReq.EVTargetVoltage);
        m->soc = b->PreChargeReq.DC_EVStatus.EVRESSSOC;
    } else if (b->CurrentDemandReq_isUsed) {
        m->target_current_ma = din_pv_milli32(&b->CurrentDemandReq.EVTargetCurrent);
        m->target_voltage_mv = din_pv_milli32(&b->CurrentDemandReq.EVTargetVoltage);
        m->soc = b->CurrentDemandReq.DC_EVStatus.EVRESSSOC;
    }
}

/* The recorded car's decision, set before our EVCC reads the response: what it sent next. */
static void model_before_response(const struct rec *after)
{
    struct din_ev_model *m = &s_ev.model;
    int next = after != NULL && decode_din(after, &s_rq) ? (int)din_request_kind(&s_rq) : DIN_MSG_NONE;
    m->stop = false;
    m->inlet_voltage_mv = -1;
    m->welding_pending = false;
    switch (s_ev.state) {
    case DIN_EV_PRECHARGE:
        /* its own inlet: matched when it went on to PowerDelivery */
        m->inlet_voltage_mv = next == DIN_MSG_POWER_DELIVERY ? m->battery_voltage_mv : 0;
        m->stop = next == DIN_MSG_SESSION_STOP;
        break;
    case DIN_EV_CURRENT_DEMAND:
        m->stop = next == DIN_MSG_POWER_DELIVERY;
        break;
    case DIN_EV_WELDING:
        m->welding_pending = next == DIN_MSG_WELDING_DETECTION;
        break;
    default:
        break;
    }
}

/* Our EVCC's next request, at the virtual time it is due. */
static int our_next(struct din_run *E, size_t *len)
{
    for (int k = 0; k < 1000; k++) {
        int rc = din_ev_next(&s_ev, E->now, s_buf, sizeof s_buf, len);
        if (rc != HAL_EAGAIN) {
            return rc;
        }
        uint32_t d = din_ev_deadline(&s_ev);
        E->now = (int32_t)(d - E->now) > 0 ? d : E->now + 1;
    }
    return HAL_EAGAIN;
}

/* How long the recorded charger took to answer, in ms (at least 1). */
static uint32_t answer_delay(const struct rec *q, const struct rec *res)
{
    double d = (res->t - q->t) * 1000.0;
    return d >= 1.0 && d < 600000.0 ? (uint32_t)d : 1u;
}

int v2g_ev_replay_din(const struct recs *R, bool quiet)
{
    struct din_run E = {.quiet = quiet};
    E.t0 = R->n > 0 ? R->v[0].t : 0.0;
    bool live = false;    /* our EVCC is in a connection that can go on */
    bool foreign = false; /* this connection did not negotiate DIN */
    bool stopped = false; /* the charger ended this connection's session; ours followed */
    unsigned requests = 0;
    memset(&s_ev, 0, sizeof s_ev);
    for (size_t i = 0; i < R->n; i++) {
        const struct rec *q = &R->v[i];
        if (!q->ev_to_evse) {
            continue;
        }
        requests++;
        const struct rec *res = i + 1 < R->n && !R->v[i + 1].ev_to_evse ? &R->v[i + 1] : NULL;
        if (res != NULL && res->exi == NULL) {
            res = NULL;
        }
        if (q->apphand) {
            foreign = false;
            stopped = false;
            struct din_ev_config cfg;
            config_from(R, i, &cfg);
            live = din_ev_start(&s_ev, &cfg, E.now) == HAL_OK;
            if (live) {
                E.sessions++;
            }
        } else if (foreign) {
            E.not_din++;
            note(&E, q, "-", "not judged: this connection did not negotiate DIN");
            continue;
        } else if (stopped) {
            E.after_stop++;
            note(&E, q, "-", "not judged: the recorded charger had stopped the session and so had our car");
            continue;
        } else if (strcmp(q->schema, "din") != 0) {
            E.not_din++;
            foreign = true;
            live = false;
            note(&E, q, "-", "not judged: not a DIN 70121 message");
            continue;
        } else if (!live) {
            E.replayed++;
            E.mismatched++;
            say(&E, q, "-", false, "our car is not in this session any more");
            continue;
        }
        int want = DIN_MSG_NONE;
        if (!q->apphand) {
            if (!decode_din(q, &s_rq)) {
                E.replayed++;
                E.mismatched++;
                live = false;
                say(&E, q, "-", false, "the recorded request does not decode");
                continue;
            }
            want = (int)din_request_kind(&s_rq);
            model_before(&s_rq);
        }
        size_t len = 0;
        enum din_ev_state st = din_ev_state(&s_ev);
        int rc = live ? our_next(&E, &len) : HAL_ESTATE;
        char ours[48];
        bool same = false;
        if (rc != HAL_OK) {
            snprintf(ours, sizeof ours, "%s", din_ev_state_name(din_ev_state(&s_ev)));
        } else if (st == DIN_EV_HANDSHAKE) {
            snprintf(ours, sizeof ours, "supportedAppProtocolReq");
            same = q->apphand;
        } else {
            struct exi_reader rd;
            exi_reader_init(&rd, s_buf, len);
            int got = exi_din_decode(&rd, &s_ours) == HAL_OK ? (int)din_request_kind(&s_ours) : DIN_MSG_NONE;
            snprintf(ours, sizeof ours, "%sReq", din_msg_name((enum din_msg)got));
            same = !q->apphand && got == want;
            if (same && got == DIN_MSG_POWER_DELIVERY &&
                s_ours.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState !=
                    s_rq.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState) {
                /* pyPLC issue 16: its ReadyToChargeState was encoded wrongly; the type and
                 * what the car did next decide, as the charger saw it */
                snprintf(ours, sizeof ours, "PowerDeliveryReq(Ready=%d)",
                         s_ours.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState ? 1 : 0);
            }
        }
        if (res == NULL) {
            /* the charger never answered: whatever our car would send proves nothing */
            E.unjudged++;
            note(&E, q, ours, same ? "not judged: no recorded response (ours is of the same type)"
                                   : "not judged: no recorded response (ours differs)");
            live = live && rc == HAL_OK && same;
            continue;
        }
        E.replayed++;
        if (rc != HAL_OK) {
            E.mismatched++;
            live = false;
            say(&E, q, ours, false, rc == HAL_ETIMEDOUT ? din_ev_reason(&s_ev) : "our car sends nothing here");
            continue;
        }
        if (!same) {
            E.mismatched++;
            live = false;
            say(&E, q, ours, false, "our car's request differs from the recorded car's");
            continue;
        }
        /* the answer arrives as late as the recorded charger gave it */
        uint32_t at = E.now + answer_delay(q, res);
        if (s_ev.clk.waiting && (int32_t)(at - s_ev.clk.deadline_ms) >= 0) {
            E.mismatched++;
            live = false;
            char why[96];
            snprintf(why, sizeof why, "the charger answered after %lu ms: our car had given up",
                     (unsigned long)(at - E.now));
            say(&E, q, ours, false, why);
            continue;
        }
        E.now = at;
        model_before_response(rec_next_request(R, i + 1));
        bool was_stopped = din_ev_evse_stopped(&s_ev);
        rc = din_ev_receive(&s_ev, res->exi, res->len, E.now);
        bool stops_now = !was_stopped && din_ev_evse_stopped(&s_ev);
        if (rc != HAL_OK && !stops_now) {
            E.mismatched++;
            live = false;
            say(&E, q, ours, false, din_ev_reason(&s_ev));
            continue;
        }
        E.accepted++;
        if (stops_now) {
            /* the charger said stop; our car stopped (FAILED: no further request) or is on
             * its way out (PowerDelivery(false)); the recorded car may have gone on */
            char why[128];
            snprintf(why, sizeof why, "the charger stops the session (%s, %s): ours %s",
                     din_response_code_name(s_ev.evse_code), din_ev_reason(&s_ev),
                     rc == HAL_OK ? "goes to its stop sequence" : "ends here");
            say(&E, q, ours, true, why);
            const struct rec *nx = rec_next_request(R, i + 1);
            live = rc == HAL_OK;
            if (rc != HAL_OK || (nx != NULL && decode_din(nx, &s_rq) &&
                                 (int)din_request_kind(&s_rq) == DIN_MSG_CURRENT_DEMAND)) {
                stopped = true;
            }
            continue;
        }
        say(&E, q, ours, true, "");
    }
    printf("sessions=%u car_requests=%u last_state=%s\n", E.sessions, requests, din_ev_state_name(din_ev_state(&s_ev)));
    printf("replayed=%u accepted=%u mismatched=%u unjudged=%u after_stop=%u not_din=%u\n", E.replayed, E.accepted,
           E.mismatched, E.unjudged, E.after_stop, E.not_din);
    return E.replayed > 0 && E.accepted == E.replayed ? 0 : 1;
}
