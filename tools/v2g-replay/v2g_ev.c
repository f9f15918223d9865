/**
 * @file v2g_ev.c
 * @brief `v2g-replay --ev`: our ISO 15118-2 car (protocols/iso2/iso2_ev) against the
 *        charger responses of a recorded session (a DIN file goes to v2g_ev_din.c, an
 *        ISO 15118-20 one to v2g_ev_iso20.c).
 *
 * For every request the recorded car sent, our EVCC produces its own next request; it
 * must be of the same message type (for PowerDelivery the same ChargeProgress, for
 * SessionStop the same ChargingSession), then the recorded charger's response is fed to
 * our EVCC and must be accepted. A supportedAppProtocolReq starts a connection: a new
 * session, or the resume of a paused one (the car keeps its SessionID).
 *
 * What only the recorded car knew is taken from the recording, as the charger-side replay
 * takes the charger's hidden state from its responses: the car's configuration (offered
 * protocols, EVCCID, SessionID of a new session, the value-added service it asked about,
 * DepartureTime), its battery's targets, and its own decisions: whether its inlet matched
 * in pre-charge (next request PowerDelivery), whether it wants to stop, pause or
 * renegotiate (next PowerDelivery's ChargeProgress, the SessionStop kind), and whether its
 * welding check is over (next request SessionStop). Time is virtual: each request goes out
 * when our EVCC says it is due, each answer 1 ms later.
 *
 * Last line: replayed=N accepted=N mismatched=N not_iso2=N
 */
#include <stdio.h>
#include <string.h>

#include "v2g_rec.h"

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"
#include "iso2/iso2_ev.h"

static struct iso2_ev s_ev;
static struct exi_iso2_document s_rq, s_ours;
static uint8_t s_buf[4096];
static char s_ns[CFG_ISO2_EV_OFFERS][REC_NS_LEN];

struct ev_run {
    bool quiet;
    unsigned replayed, accepted, mismatched, not_iso2, sessions, resumes;
    double t0;
    uint32_t now;
};

static void say(const struct ev_run *E, const struct rec *q, const char *ours, bool good, const char *why)
{
    if (!good || !E->quiet) {
        printf("f=%lu t=%.3f %-28s ours %-28s %s%s%s\n", q->frame, q->t - E->t0, q->msg, ours,
               good ? "ok" : "FAIL", why[0] ? ": " : "", why);
    }
}

static bool decode_iso2(const struct rec *r, struct exi_iso2_document *d)
{
    if (r == NULL || r->exi == NULL || r->apphand) {
        return false;
    }
    struct exi_reader rd;
    exi_reader_init(&rd, r->exi, r->len);
    return exi_iso2_decode(&rd, d) == HAL_OK;
}

/* Message type plus the sub-kind that decides the sequence (ChargeProgress, ChargingSession). */
static int kind_of(const struct exi_iso2_document *d, uint8_t *sub)
{
    enum iso2_msg k = iso2_request_kind(d);
    *sub = 0xFF;
    if (k == ISO2_MSG_POWER_DELIVERY) {
        *sub = d->V2G_Message.Body.PowerDeliveryReq.ChargeProgress;
    } else if (k == ISO2_MSG_SESSION_STOP) {
        *sub = d->V2G_Message.Body.SessionStopReq.ChargingSession;
    }
    return (int)k;
}

/* The configuration of the recorded car, from its first requests of this connection. */
static void config_from(const struct recs *R, size_t i, struct iso2_ev_config *cfg)
{
    iso2_ev_default_config(cfg);
    cfg->start_delay_ms = 0;
    cfg->n_offers = rec_offers(&R->v[i], cfg->offers, s_ns, CFG_ISO2_EV_OFFERS);
    for (size_t j = i + 1; j < R->n && !(R->v[j].ev_to_evse && R->v[j].apphand); j++) {
        if (!R->v[j].ev_to_evse || !decode_iso2(&R->v[j], &s_rq)) {
            continue;
        }
        const struct exi_iso2_BodyType *b = &s_rq.V2G_Message.Body;
        if (b->SessionSetupReq_isUsed) {
            uint16_t n = b->SessionSetupReq.EVCCID.bytesLen <= 6 ? b->SessionSetupReq.EVCCID.bytesLen : 6;
            memcpy(cfg->evccid, b->SessionSetupReq.EVCCID.bytes, n);
            cfg->evccid_len = (uint8_t)n;
            iso2_session_id_from_header(&cfg->setup_id, &s_rq.V2G_Message.Header);
        } else if (b->ServiceDetailReq_isUsed) {
            cfg->detail_service_id = b->ServiceDetailReq.ServiceID;
        } else if (b->ChargeParameterDiscoveryReq_isUsed && b->ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed) {
            const struct exi_iso2_ChargeParameterDiscoveryReqType *c = &b->ChargeParameterDiscoveryReq;
            cfg->departure_time_s = c->DC_EVChargeParameter.DepartureTime_isUsed ? c->DC_EVChargeParameter.DepartureTime : 0;
            cfg->max_entries_sa_schedule = c->MaxEntriesSAScheduleTuple_isUsed ? c->MaxEntriesSAScheduleTuple : 0;
        } else if (b->SessionStopReq_isUsed) {
            break;
        }
    }
}

/* The recorded car's battery and wishes before our EVCC builds its request @p q. */
static void model_before(const struct exi_iso2_document *q)
{
    struct iso2_ev_model *m = &s_ev.model;
    const struct exi_iso2_BodyType *b = &q->V2G_Message.Body;
    if (b->PreChargeReq_isUsed) {
        m->battery_voltage_mv = iso2_pv_milli32(&b->PreChargeReq.EVTargetVoltage);
        m->soc = b->PreChargeReq.DC_EVStatus.EVRESSSOC;
    } else if (b->CurrentDemandReq_isUsed) {
        m->target_current_ma = iso2_pv_milli32(&b->CurrentDemandReq.EVTargetCurrent);
        m->target_voltage_mv = iso2_pv_milli32(&b->CurrentDemandReq.EVTargetVoltage);
        m->soc = b->CurrentDemandReq.DC_EVStatus.EVRESSSOC;
    }
}

/* The recorded car's decision, set before our EVCC reads the response: what it sent next. */
static void model_before_response(const struct rec *after)
{
    struct iso2_ev_model *m = &s_ev.model;
    uint8_t sub = 0xFF;
    int next = after != NULL && decode_iso2(after, &s_rq) ? kind_of(&s_rq, &sub) : ISO2_MSG_NONE;
    m->stop = false;
    m->renegotiate = false;
    m->inlet_voltage_mv = -1;
    switch (s_ev.state) {
    case ISO2_EV_PRECHARGE:
        /* its own inlet: matched when it went on to PowerDelivery */
        m->inlet_voltage_mv = next == ISO2_MSG_POWER_DELIVERY ? m->battery_voltage_mv : 0;
        m->stop = next == ISO2_MSG_SESSION_STOP;
        break;
    case ISO2_EV_CURRENT_DEMAND:
        m->stop = next == ISO2_MSG_POWER_DELIVERY && sub == exi_iso2_chargeProgressType_Stop;
        m->renegotiate = next == ISO2_MSG_POWER_DELIVERY && sub == exi_iso2_chargeProgressType_Renegotiate;
        break;
    case ISO2_EV_WELDING:
        m->inlet_voltage_mv = next == ISO2_MSG_WELDING_DETECTION ? 1000000 : 0;
        break;
    default:
        break;
    }
}

/* Whether the recorded connection ends with SessionStop(Pause). */
static bool pauses(const struct recs *R, size_t i)
{
    for (size_t j = i + 1; j < R->n && !(R->v[j].ev_to_evse && R->v[j].apphand); j++) {
        if (R->v[j].ev_to_evse && decode_iso2(&R->v[j], &s_rq) && s_rq.V2G_Message.Body.SessionStopReq_isUsed) {
            return s_rq.V2G_Message.Body.SessionStopReq.ChargingSession == exi_iso2_chargingSessionType_Pause;
        }
    }
    return false;
}

/* Our EVCC's next request, at the virtual time it is due. */
static int our_next(struct ev_run *E, size_t *len)
{
    for (int k = 0; k < 1000; k++) {
        int rc = iso2_ev_next(&s_ev, E->now, s_buf, sizeof s_buf, len);
        if (rc != HAL_EAGAIN) {
            return rc;
        }
        uint32_t d = iso2_ev_deadline(&s_ev);
        E->now = (int32_t)(d - E->now) > 0 ? d : E->now + 1;
    }
    return HAL_EAGAIN;
}

int v2g_ev_replay(const struct recs *R, bool quiet)
{
    for (size_t i = 0; i < R->n; i++) {
        if (strncmp(R->v[i].schema, "iso20", 5) == 0) {
            return v2g_ev_replay_iso20(R, quiet); /* an ISO 15118-20 session: the -20 car */
        }
    }
    bool any_iso2 = false;
    for (size_t i = 0; i < R->n && !any_iso2; i++) {
        any_iso2 = strcmp(R->v[i].schema, "iso2") == 0;
    }
    if (!any_iso2) {
        return v2g_ev_replay_din(R, quiet); /* DIN 70121, or nothing past SDP */
    }
    struct ev_run E = {.quiet = quiet};
    E.t0 = R->n > 0 ? R->v[0].t : 0.0;
    bool live = false;     /* our EVCC is in a connection that can go on */
    bool foreign = false;  /* this connection is not ISO-2: its requests count as not_iso2 */
    memset(&s_ev, 0, sizeof s_ev);
    for (size_t i = 0; i < R->n; i++) {
        const struct rec *q = &R->v[i];
        if (!q->ev_to_evse) {
            continue;
        }
        E.replayed++;
        const struct rec *res = i + 1 < R->n && !R->v[i + 1].ev_to_evse ? &R->v[i + 1] : NULL;
        if (!q->apphand && foreign) {
            E.not_iso2++;
            continue;
        }
        if (q->apphand) {
            foreign = false;
            /* a new connection: resume a paused session, else start a new one */
            struct iso2_ev_config cfg;
            config_from(R, i, &cfg);
            int rc = iso2_ev_state(&s_ev) == ISO2_EV_PAUSED ? iso2_ev_resume(&s_ev, E.now)
                                                            : iso2_ev_start(&s_ev, &cfg, E.now);
            if (rc == HAL_OK && s_ev.resumes == 0) {
                E.sessions++;
            } else if (rc == HAL_OK) {
                E.resumes++;
            }
            s_ev.model.pause = pauses(R, i);
            live = rc == HAL_OK;
            if (!live) {
                E.not_iso2++;
                foreign = true;
                say(&E, q, "-", false, "the recorded car offers no ISO 15118-2 (the car side replays ISO-2 only)");
                continue;
            }
        } else if (!live) {
            E.mismatched++;
            say(&E, q, "-", false, "our car is not in this session any more");
            continue;
        } else if (strcmp(q->schema, "iso2") != 0) {
            E.not_iso2++;
            live = false;
            foreign = true;
            say(&E, q, "-", false, "not an ISO 15118-2 message (the car side replays ISO-2 only)");
            continue;
        }
        uint8_t want_sub = 0xFF;
        int want = ISO2_MSG_NONE;
        if (!q->apphand) {
            if (!decode_iso2(q, &s_rq)) {
                E.mismatched++;
                live = false;
                say(&E, q, "-", false, "the recorded request does not decode");
                continue;
            }
            want = kind_of(&s_rq, &want_sub);
            model_before(&s_rq);
        }
        size_t len = 0;
        enum iso2_ev_state st = iso2_ev_state(&s_ev);
        int rc = our_next(&E, &len);
        if (rc != HAL_OK) {
            E.mismatched++;
            live = false;
            say(&E, q, iso2_ev_state_name(iso2_ev_state(&s_ev)), false,
                rc == HAL_ETIMEDOUT ? iso2_ev_reason(&s_ev) : "our car sends nothing here");
            continue;
        }
        char ours[40];
        bool same;
        if (st == ISO2_EV_HANDSHAKE) {
            snprintf(ours, sizeof ours, "supportedAppProtocolReq");
            same = q->apphand;
        } else {
            struct exi_reader rd;
            exi_reader_init(&rd, s_buf, len);
            uint8_t sub = 0xFF;
            int got = exi_iso2_decode(&rd, &s_ours) == HAL_OK ? kind_of(&s_ours, &sub) : ISO2_MSG_NONE;
            snprintf(ours, sizeof ours, "%sReq%s", iso2_msg_name((enum iso2_msg)got),
                     sub == 0xFF ? "" : sub == want_sub ? "(same kind)" : "(other kind)");
            same = !q->apphand && got == want && sub == want_sub;
        }
        if (!same) {
            E.mismatched++;
            live = false;
            say(&E, q, ours, false, "our car's request differs from the recorded car's");
            continue;
        }
        if (res == NULL || res->exi == NULL) {
            /* nothing to accept: the request matched, the judgement on the answer cannot be made */
            say(&E, q, ours, false, "no recorded response");
            continue;
        }
        model_before_response(rec_next_request(R, i + 1));
        E.now += 1;
        rc = iso2_ev_receive(&s_ev, res->exi, res->len, E.now);
        if (rc != HAL_OK) {
            live = false;
            say(&E, q, ours, false, iso2_ev_reason(&s_ev));
            continue;
        }
        E.accepted++;
        say(&E, q, ours, true, "");
    }
    printf("sessions=%u resumes=%u last_state=%s\n", E.sessions, E.resumes, iso2_ev_state_name(iso2_ev_state(&s_ev)));
    printf("replayed=%u accepted=%u mismatched=%u not_iso2=%u\n", E.replayed, E.accepted, E.mismatched, E.not_iso2);
    return E.replayed > 0 && E.accepted == E.replayed ? 0 : 1;
}
