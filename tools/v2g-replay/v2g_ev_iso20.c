/**
 * @file v2g_ev_iso20.c
 * @brief `v2g-replay --ev` on an ISO 15118-20 DC session: our -20 car
 *        (protocols/iso20/iso20_ev) against the charger responses of a recorded session.
 *
 * As the ISO-2 car replay (v2g_ev.c): for every request the recorded car sent, our EVCC
 * produces its own next request; it must be of the same message type and V2GTP payload
 * type (PowerDelivery: the same ChargeProgress; SessionStop: the same ChargingSession;
 * DC_PreCharge and DC_WeldingDetection: the same EVProcessing), then the recorded
 * charger's response is fed to our EVCC and must be accepted. A supportedAppProtocolReq
 * starts a connection: a new session, or the resume of a paused one.
 *
 * What only the recorded car knew comes from the recording: its offers, EVCCID, control
 * mode, MaximumSupportingPoints, DepartureTime and minimum SOC (its ScheduleExchangeReq),
 * its limits (DC_ChargeParameterDiscoveryReq), its battery voltage (DC_PreChargeReq), and
 * its own decisions read from its next request: whether its inlet matched in pre-charge
 * (next DC_PreChargeReq Finished), whether it stops, pauses or renegotiates (next
 * PowerDelivery, the SessionStop kind), whether its welding check is over (next
 * DC_WeldingDetectionReq Finished). Time is virtual: each request goes out when our EVCC
 * says it is due, each answer 1 ms later.
 *
 * Last line: replayed=N accepted=N mismatched=N not_iso20=N
 */
#include <stdio.h>
#include <string.h>

#include "v2g_rec.h"

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"
#include "iso20/iso20_ev.h"

static struct iso20_ev s_ev;
static struct exi_iso20_document s_rq, s_ours;
static struct exi_iso20_dc_document s_drq, s_dours;
static uint8_t s_buf[4096];
static char s_ns[CFG_ISO20_EV_OFFERS][REC_NS_LEN];

/* A request's identity: the state that sends it (PowerDelivery as POWER_ON) and the
 * sub-kind that decides the sequence. */
struct kind {
    enum iso20_ev_state k;
    int sub; /* ChargeProgress, ChargingSession, EVProcessing; -1 none */
};

struct ev20_run {
    bool quiet;
    unsigned replayed, accepted, mismatched, not_iso20, sessions, resumes;
    double t0;
    uint32_t now;
};

static void say(const struct ev20_run *E, const struct rec *q, const char *ours, bool good, const char *why)
{
    if (!good || !E->quiet) {
        printf("f=%lu t=%.3f %-32s ours %-32s %s%s%s\n", q->frame, q->t - E->t0, q->msg, ours,
               good ? "ok" : "FAIL", why[0] ? ": " : "", why);
    }
}

/* The payload type the recorded message came with: the JSONL names the grammar; a pcap
 * record of a -20 session carries the DC_ prefix for DC messages. */
static uint16_t pt_of(const struct rec *r)
{
    if (r->apphand) {
        return ISO20_EV_PT_SAP;
    }
    if (strcmp(r->schema, "iso20_dc") == 0 || strncmp(r->msg, "DC_", 3) == 0) {
        return ISO20_EV_PT_DC;
    }
    return strncmp(r->schema, "iso20", 5) == 0 ? ISO20_EV_PT_COMMON : 0;
}

static struct kind kind_common(const struct exi_iso20_document *d)
{
    struct kind o = {ISO20_EV_IDLE, -1};
    if (d->SessionSetupReq_isUsed) {
        o.k = ISO20_EV_SESSION_SETUP;
    } else if (d->AuthorizationSetupReq_isUsed) {
        o.k = ISO20_EV_AUTH_SETUP;
    } else if (d->AuthorizationReq_isUsed) {
        o.k = ISO20_EV_AUTHORIZATION;
    } else if (d->ServiceDiscoveryReq_isUsed) {
        o.k = ISO20_EV_SERVICE_DISCOVERY;
    } else if (d->ServiceDetailReq_isUsed) {
        o.k = ISO20_EV_SERVICE_DETAIL;
    } else if (d->ServiceSelectionReq_isUsed) {
        o.k = ISO20_EV_SERVICE_SELECTION;
    } else if (d->ScheduleExchangeReq_isUsed) {
        o.k = ISO20_EV_SCHEDULE_EXCHANGE;
    } else if (d->PowerDeliveryReq_isUsed) {
        o.k = ISO20_EV_POWER_ON;
        o.sub = d->PowerDeliveryReq.ChargeProgress;
    } else if (d->SessionStopReq_isUsed) {
        o.k = ISO20_EV_SESSION_STOP;
        o.sub = d->SessionStopReq.ChargingSession;
    }
    return o;
}

static struct kind kind_dc(const struct exi_iso20_dc_document *d)
{
    struct kind o = {ISO20_EV_IDLE, -1};
    if (d->DC_ChargeParameterDiscoveryReq_isUsed) {
        o.k = ISO20_EV_CHARGE_PARAMETER;
    } else if (d->DC_CableCheckReq_isUsed) {
        o.k = ISO20_EV_CABLE_CHECK;
    } else if (d->DC_PreChargeReq_isUsed) {
        o.k = ISO20_EV_PRECHARGE;
        o.sub = d->DC_PreChargeReq.EVProcessing;
    } else if (d->DC_ChargeLoopReq_isUsed) {
        o.k = ISO20_EV_CHARGE_LOOP;
    } else if (d->DC_WeldingDetectionReq_isUsed) {
        o.k = ISO20_EV_WELDING;
        o.sub = d->DC_WeldingDetectionReq.EVProcessing;
    }
    return o;
}

/* Decode a -20 request (recorded or ours) into the document its payload type names. */
static struct kind kind_of(uint16_t pt, const uint8_t *exi, size_t len, struct exi_iso20_document *c,
                           struct exi_iso20_dc_document *d)
{
    struct kind none = {ISO20_EV_IDLE, -1};
    struct exi_reader rd;
    exi_reader_init(&rd, exi, len);
    if (pt == ISO20_EV_PT_DC) {
        return exi_iso20_dc_decode(&rd, d) == HAL_OK ? kind_dc(d) : none;
    }
    if (pt == ISO20_EV_PT_COMMON) {
        return exi_iso20_decode(&rd, c) == HAL_OK ? kind_common(c) : none;
    }
    return none;
}

static struct kind rec_kind(const struct rec *r)
{
    struct kind none = {ISO20_EV_IDLE, -1};
    if (r == NULL || r->exi == NULL || r->apphand) {
        return none;
    }
    return kind_of(pt_of(r), r->exi, r->len, &s_rq, &s_drq);
}

static int32_t milli(int16_t v, int8_t e)
{
    int64_t m = v;
    for (int i = e + 3; i > 0 && m < INT32_MAX && m > INT32_MIN; i--) {
        m *= 10;
    }
    for (int i = e + 3; i < 0; i++) {
        m /= 10;
    }
    return m > INT32_MAX ? INT32_MAX : m < INT32_MIN ? INT32_MIN : (int32_t)m;
}

/* The configuration of the recorded car, from its requests of this connection. */
static void config_from(const struct recs *R, size_t i, struct iso20_ev_config *cfg)
{
    iso20_ev_default_config(cfg);
    cfg->start_delay_ms = 0;
    cfg->n_offers = rec_offers(&R->v[i], cfg->offers, s_ns, CFG_ISO20_EV_OFFERS);
    for (size_t j = i + 1; j < R->n && !(R->v[j].ev_to_evse && R->v[j].apphand); j++) {
        const struct rec *r = &R->v[j];
        if (!r->ev_to_evse || pt_of(r) != ISO20_EV_PT_COMMON || rec_kind(r).k == ISO20_EV_IDLE) {
            continue;
        }
        if (s_rq.SessionSetupReq_isUsed) {
            size_t n = s_rq.SessionSetupReq.EVCCID.charactersLen;
            n = n < sizeof cfg->evccid - 1 ? n : sizeof cfg->evccid - 1;
            memcpy(cfg->evccid, s_rq.SessionSetupReq.EVCCID.characters, n);
            cfg->evccid[n] = '\0';
            cfg->epoch_s = s_rq.SessionSetupReq.Header.TimeStamp;
        } else if (s_rq.ScheduleExchangeReq_isUsed) {
            const struct exi_iso20_ScheduleExchangeReqType *q = &s_rq.ScheduleExchangeReq;
            cfg->max_supporting_points = q->MaximumSupportingPoints;
            if (q->Dynamic_SEReqControlMode_isUsed) {
                cfg->mode = ISO20_EV_DYNAMIC;
                cfg->departure_time_s = q->Dynamic_SEReqControlMode.DepartureTime;
                cfg->minimum_soc = q->Dynamic_SEReqControlMode.MinimumSOC_isUsed ? q->Dynamic_SEReqControlMode.MinimumSOC : 0;
            } else {
                cfg->mode = ISO20_EV_SCHEDULED;
                cfg->departure_time_s = q->Scheduled_SEReqControlMode.DepartureTime_isUsed
                                            ? q->Scheduled_SEReqControlMode.DepartureTime : 0;
            }
        } else if (s_rq.SessionStopReq_isUsed) {
            break;
        }
    }
    if (cfg->evccid[0] == '\0') {
        memcpy(cfg->evccid, "EVCC", 5);
    }
}

/* The recorded car's battery and limits before our EVCC builds its request. */
static void model_before(const struct rec *q)
{
    struct iso20_ev_model *m = &s_ev.model;
    struct kind k = rec_kind(q);
    if (k.k == ISO20_EV_CHARGE_PARAMETER && s_drq.DC_ChargeParameterDiscoveryReq.DC_CPDReqEnergyTransferMode_isUsed) {
        const struct exi_iso20_dc_DC_CPDReqEnergyTransferModeType *p =
            &s_drq.DC_ChargeParameterDiscoveryReq.DC_CPDReqEnergyTransferMode;
        m->max_voltage_mv = milli(p->EVMaximumVoltage.Value, p->EVMaximumVoltage.Exponent);
        m->min_voltage_mv = milli(p->EVMinimumVoltage.Value, p->EVMinimumVoltage.Exponent);
        m->max_current_ma = milli(p->EVMaximumChargeCurrent.Value, p->EVMaximumChargeCurrent.Exponent);
    } else if (k.k == ISO20_EV_PRECHARGE) {
        m->battery_voltage_mv = milli(s_drq.DC_PreChargeReq.EVTargetVoltage.Value, s_drq.DC_PreChargeReq.EVTargetVoltage.Exponent);
    } else if (k.k == ISO20_EV_CHARGE_LOOP && s_drq.DC_ChargeLoopReq.DisplayParameters_isUsed &&
               s_drq.DC_ChargeLoopReq.DisplayParameters.PresentSOC_isUsed) {
        m->soc = s_drq.DC_ChargeLoopReq.DisplayParameters.PresentSOC;
    }
    /* When the car stops is read from its next request, not from ChargingComplete: the D20
     * car sent two loop requests with it before PowerDelivery(Stop). */
    m->charging_complete = false;
}

/* The recorded car's decision, set before our EVCC reads the response: what it sent next. */
static void model_before_response(const struct rec *after)
{
    struct iso20_ev_model *m = &s_ev.model;
    struct kind next = rec_kind(after);
    m->stop = false;
    m->renegotiate = false;
    m->inlet_voltage_mv = -1;
    switch (s_ev.state) {
    case ISO20_EV_PRECHARGE:
        /* its own inlet: matched when it said Finished next */
        m->inlet_voltage_mv = next.k == ISO20_EV_PRECHARGE && next.sub == exi_iso20_dc_processingType_Finished
                                  ? m->battery_voltage_mv : 0;
        m->stop = next.k == ISO20_EV_SESSION_STOP;
        break;
    case ISO20_EV_CHARGE_LOOP:
        m->stop = next.k == ISO20_EV_POWER_ON && next.sub == exi_iso20_chargeProgressType_Stop;
        m->renegotiate = next.k == ISO20_EV_POWER_ON && next.sub == exi_iso20_chargeProgressType_ScheduleRenegotiation;
        break;
    case ISO20_EV_WELDING:
        m->inlet_voltage_mv = next.k == ISO20_EV_WELDING && next.sub == exi_iso20_dc_processingType_Ongoing ? 1000000 : 0;
        break;
    default:
        break;
    }
}

/* Whether the recorded connection ends with SessionStop(Pause). */
static bool pauses(const struct recs *R, size_t i)
{
    for (size_t j = i + 1; j < R->n && !(R->v[j].ev_to_evse && R->v[j].apphand); j++) {
        struct kind k = R->v[j].ev_to_evse ? rec_kind(&R->v[j]) : (struct kind){ISO20_EV_IDLE, -1};
        if (k.k == ISO20_EV_SESSION_STOP) {
            return k.sub == exi_iso20_chargingSessionType_Pause;
        }
    }
    return false;
}

/* Our EVCC's next request, at the virtual time it is due. */
static int our_next(struct ev20_run *E, size_t *len, uint16_t *pt)
{
    for (int k = 0; k < 1000; k++) {
        int rc = iso20_ev_next(&s_ev, E->now, s_buf, sizeof s_buf, len, pt);
        if (rc != HAL_EAGAIN) {
            return rc;
        }
        uint32_t d = iso20_ev_deadline(&s_ev);
        E->now = (int32_t)(d - E->now) > 0 ? d : E->now + 1;
    }
    return HAL_EAGAIN;
}

int v2g_ev_replay_iso20(const struct recs *R, bool quiet)
{
    struct ev20_run E = {.quiet = quiet};
    E.t0 = R->n > 0 ? R->v[0].t : 0.0;
    bool live = false;    /* our EVCC is in a connection that can go on */
    bool foreign = false; /* this connection is not -20: its requests count as not_iso20 */
    memset(&s_ev, 0, sizeof s_ev);
    for (size_t i = 0; i < R->n; i++) {
        const struct rec *q = &R->v[i];
        if (!q->ev_to_evse) {
            continue;
        }
        E.replayed++;
        const struct rec *res = i + 1 < R->n && !R->v[i + 1].ev_to_evse ? &R->v[i + 1] : NULL;
        if (!q->apphand && foreign) {
            E.not_iso20++;
            continue;
        }
        if (q->apphand) {
            foreign = false;
            struct iso20_ev_config cfg;
            config_from(R, i, &cfg);
            int rc = iso20_ev_state(&s_ev) == ISO20_EV_PAUSED ? iso20_ev_resume(&s_ev, E.now)
                                                              : iso20_ev_start(&s_ev, &cfg, E.now);
            if (rc == HAL_OK && s_ev.resumes == 0) {
                E.sessions++;
            } else if (rc == HAL_OK) {
                E.resumes++;
            }
            s_ev.model.pause = pauses(R, i);
            live = rc == HAL_OK;
            if (!live) {
                E.not_iso20++;
                foreign = true;
                say(&E, q, "-", false, "the recorded car offers no ISO 15118-20 DC");
                continue;
            }
        } else if (!live) {
            E.mismatched++;
            say(&E, q, "-", false, "our car is not in this session any more");
            continue;
        } else if (pt_of(q) == 0) {
            E.not_iso20++;
            live = false;
            foreign = true;
            say(&E, q, "-", false, "not an ISO 15118-20 message");
            continue;
        }
        struct kind want = {ISO20_EV_IDLE, -1};
        if (!q->apphand) {
            want = rec_kind(q);
            if (want.k == ISO20_EV_IDLE) {
                E.mismatched++;
                live = false;
                say(&E, q, "-", false, "the recorded request does not decode");
                continue;
            }
            model_before(q);
        }
        size_t len = 0;
        uint16_t pt = 0;
        int rc = our_next(&E, &len, &pt);
        if (rc != HAL_OK) {
            E.mismatched++;
            live = false;
            say(&E, q, iso20_ev_state_name(iso20_ev_state(&s_ev)), false,
                rc == HAL_ETIMEDOUT ? iso20_ev_reason(&s_ev) : "our car sends nothing here");
            continue;
        }
        char ours[48];
        bool same;
        if (pt == ISO20_EV_PT_SAP) {
            snprintf(ours, sizeof ours, "supportedAppProtocolReq");
            same = q->apphand;
        } else {
            struct kind got = kind_of(pt, s_buf, len, &s_ours, &s_dours);
            snprintf(ours, sizeof ours, "%s%s", got.k == ISO20_EV_IDLE ? "?" : iso20_ev_state_name(got.k),
                     got.sub < 0 ? "" : got.sub == want.sub ? "(same kind)" : "(other kind)");
            same = !q->apphand && pt == pt_of(q) && got.k == want.k && got.sub == want.sub;
        }
        if (!same) {
            E.mismatched++;
            live = false;
            say(&E, q, ours, false, "our car's request differs from the recorded car's");
            continue;
        }
        if (res == NULL || res->exi == NULL) {
            say(&E, q, ours, false, "no recorded response");
            continue;
        }
        model_before_response(rec_next_request(R, i + 1));
        E.now += 1;
        rc = iso20_ev_receive(&s_ev, pt_of(res), res->exi, res->len, E.now);
        if (rc != HAL_OK) {
            live = false;
            say(&E, q, ours, false, iso20_ev_reason(&s_ev));
            continue;
        }
        E.accepted++;
        say(&E, q, ours, true, "");
    }
    printf("sessions=%u resumes=%u last_state=%s\n", E.sessions, E.resumes, iso20_ev_state_name(iso20_ev_state(&s_ev)));
    printf("replayed=%u accepted=%u mismatched=%u not_iso20=%u\n", E.replayed, E.accepted, E.mismatched, E.not_iso20);
    return E.replayed > 0 && E.accepted == E.replayed ? 0 : 1;
}
