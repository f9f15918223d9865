/*
 * iso20_evse_dc.c - owns the -20 charger's answers from DC_ChargeParameterDiscovery to
 * SessionStop: the EV's and the charger's limits (DC and DC_BPT), the schedule in either
 * control mode, cable check, pre-charge, PowerDelivery with its profile check, the
 * charge loop in the selected mode's elements, welding detection, and the three ways a
 * session stops (spec sheet §2.6-2.13, §4).
 */
#include "iso20/iso20_evse_priv.h"

#include <string.h>

static bool s_bpt(const struct iso20_evse *m)
{
    return m->ev.service_id == ISO20_SERVICE_DC_BPT;
}

static bool s_dynamic(const struct iso20_evse *m)
{
    return m->ev.control_mode == ISO20_CONTROL_DYNAMIC;
}

/* Discharge limits in the configured sign (cars: negative; some tools: positive). */
static int64_t s_dis(const struct iso20_evse *m, int64_t milli)
{
    return m->cfg.negative_discharge ? -milli : milli;
}

static int64_t s_w(int32_t w)
{
    return (int64_t)w * 1000;
}

/* ---------------------------------------------------------------- ChargeParameterDiscovery */

uint8_t iso20_evse_on_charge_parameter(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                       const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                       struct iso20_evse_request *out, uint8_t code)
{
    const struct exi_iso20_dc_DC_ChargeParameterDiscoveryReqType *q = &req->DC_ChargeParameterDiscoveryReq;
    struct exi_iso20_dc_DC_ChargeParameterDiscoveryResType *r = &res->DC_ChargeParameterDiscoveryRes;
    res->DC_ChargeParameterDiscoveryRes_isUsed = true;
    const struct v2g_dc_evse *e = &st->dc;
    if (s_bpt(m)) {
        struct exi_iso20_dc_BPT_DC_CPDResEnergyTransferModeType *b = &r->BPT_DC_CPDResEnergyTransferMode;
        r->BPT_DC_CPDResEnergyTransferMode_isUsed = true;
        ISO20_RN_SET(b->EVSEMaximumChargePower, s_w(e->max_power_w));
        ISO20_RN_SET(b->EVSEMinimumChargePower, 0);
        ISO20_RN_SET(b->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(b->EVSEMinimumChargeCurrent, e->min_current_ma);
        ISO20_RN_SET(b->EVSEMaximumVoltage, e->max_voltage_mv);
        ISO20_RN_SET(b->EVSEMinimumVoltage, e->min_voltage_mv);
        ISO20_RN_SET(b->EVSEMaximumDischargePower, st->can_discharge ? s_dis(m, s_w(e->max_power_w)) : 0);
        ISO20_RN_SET(b->EVSEMinimumDischargePower, 0);
        ISO20_RN_SET(b->EVSEMaximumDischargeCurrent, st->can_discharge ? s_dis(m, e->max_current_ma) : 0);
        ISO20_RN_SET(b->EVSEMinimumDischargeCurrent, 0);
    } else {
        struct exi_iso20_dc_DC_CPDResEnergyTransferModeType *d = &r->DC_CPDResEnergyTransferMode;
        r->DC_CPDResEnergyTransferMode_isUsed = true;
        ISO20_RN_SET(d->EVSEMaximumChargePower, s_w(e->max_power_w));
        ISO20_RN_SET(d->EVSEMinimumChargePower, 0);
        ISO20_RN_SET(d->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(d->EVSEMinimumChargeCurrent, e->min_current_ma);
        ISO20_RN_SET(d->EVSEMaximumVoltage, e->max_voltage_mv);
        ISO20_RN_SET(d->EVSEMinimumVoltage, e->min_voltage_mv);
    }
    if (code != CODE(OK)) {
        r->ResponseCode = code;
        return code;
    }
    if (s_bpt(m) != q->BPT_DC_CPDReqEnergyTransferMode_isUsed) {
        const char *why = q->BPT_DC_CPDReqEnergyTransferMode_isUsed
                              ? (st->can_discharge ? "BPT discharge limits, but the DC service (no discharge) was selected"
                                                   : "BPT discharge limits on a power stage that cannot discharge")
                              : "DC charge parameters, but DC_BPT was selected";
        r->ResponseCode = iso20_evse_refuse(m, CODE(FAILED_WrongChargeParameter), why);
        return r->ResponseCode;
    }
    /* The first six limits are the same fields in the DC and the BPT element. */
    const struct exi_iso20_dc_DC_CPDReqEnergyTransferModeType *d = &q->DC_CPDReqEnergyTransferMode;
    int32_t ev_max_v, ev_min_v;
    if (q->BPT_DC_CPDReqEnergyTransferMode_isUsed) {
        const struct exi_iso20_dc_BPT_DC_CPDReqEnergyTransferModeType *b = &q->BPT_DC_CPDReqEnergyTransferMode;
        m->ev.dc.max_power_w = (int32_t)(ISO20_RN_MILLI(b->EVMaximumChargePower) / 1000);
        m->ev.min_power_w = (int32_t)(ISO20_RN_MILLI(b->EVMinimumChargePower) / 1000);
        m->ev.dc.max_current_ma = ISO20_RN_MILLI32(b->EVMaximumChargeCurrent);
        ev_max_v = ISO20_RN_MILLI32(b->EVMaximumVoltage);
        ev_min_v = ISO20_RN_MILLI32(b->EVMinimumVoltage);
    } else {
        m->ev.dc.max_power_w = (int32_t)(ISO20_RN_MILLI(d->EVMaximumChargePower) / 1000);
        m->ev.min_power_w = (int32_t)(ISO20_RN_MILLI(d->EVMinimumChargePower) / 1000);
        m->ev.dc.max_current_ma = ISO20_RN_MILLI32(d->EVMaximumChargeCurrent);
        ev_max_v = ISO20_RN_MILLI32(d->EVMaximumVoltage);
        ev_min_v = ISO20_RN_MILLI32(d->EVMinimumVoltage);
    }
    m->ev.dc.max_voltage_mv = ev_max_v;
    m->ev.min_voltage_mv = ev_min_v;
    /* EVerest #1949, IEC 61851-23 CC.5.6: voltage ranges that do not overlap. */
    if (ev_max_v < e->min_voltage_mv || ev_min_v > e->max_voltage_mv || ev_max_v < ev_min_v) {
        r->ResponseCode = iso20_evse_refuse(m, CODE(FAILED_WrongChargeParameter),
                                            "the EV's voltage range does not overlap the charger's");
        return r->ResponseCode;
    }
    out->events |= ISO20_EVSE_EV_CHARGE_PARAMS;
    m->phase = ISO20_EVSE_SCHEDULE;
    r->ResponseCode = code;
    return code;
}

/* ---------------------------------------------------------------- ScheduleExchange */

/* One tuple from the station's PMax entries, covering the departure time or 24 h. */
static void s_tuple(const struct iso20_evse *m, const struct iso20_evse_status *st, uint16_t max_points,
                    struct exi_iso20_ScheduleTupleType *t)
{
    t->ScheduleTupleID = m->cfg.tuple_id;
    struct exi_iso20_PowerScheduleType *ps = &t->ChargingSchedule.PowerSchedule;
    ps->TimeAnchor = st->dc.unix_time_s > 0 ? (uint64_t)st->dc.unix_time_s : 0u;
    uint32_t horizon = m->ev.departure_s > 0 ? (uint32_t)m->ev.departure_s : ISO20_SCHEDULE_DEFAULT_S;
    uint8_t n = st->pmax_count <= ISO20_EVSE_PMAX_MAX ? st->pmax_count : (uint8_t)ISO20_EVSE_PMAX_MAX;
    if (n > max_points) {
        n = (uint8_t)max_points;
    }
    uint16_t k = 0;
    if (n == 0) {
        struct exi_iso20_PowerScheduleEntryType *x = &ps->PowerScheduleEntries.PowerScheduleEntry.array[k++];
        x->Duration = horizon;
        ISO20_RN_SET(x->Power, s_w(st->dc.max_power_w));
    }
    for (uint8_t i = 0; i < n; i++) {
        uint32_t start = st->pmax[i].start_s;
        uint32_t end = i + 1u < n ? st->pmax[i + 1].start_s : (horizon > start ? horizon : start + 1u);
        struct exi_iso20_PowerScheduleEntryType *x = &ps->PowerScheduleEntries.PowerScheduleEntry.array[k++];
        x->Duration = end > start ? end - start : 1u;
        uint32_t w = st->pmax[i].pmax_w;
        if (st->dc.max_power_w >= 0 && w > (uint32_t)st->dc.max_power_w) {
            w = (uint32_t)st->dc.max_power_w;
        }
        ISO20_RN_SET(x->Power, (int64_t)w * 1000);
    }
    ps->PowerScheduleEntries.PowerScheduleEntry.arrayLen = k;
    if (s_bpt(m) && st->can_discharge) {
        struct exi_iso20_PowerScheduleType *ds = &t->DischargingSchedule.PowerSchedule;
        t->DischargingSchedule_isUsed = true;
        ds->TimeAnchor = ps->TimeAnchor;
        ds->PowerScheduleEntries.PowerScheduleEntry.array[0].Duration = horizon;
        ISO20_RN_SET(ds->PowerScheduleEntries.PowerScheduleEntry.array[0].Power, -s_w(st->dc.max_power_w));
        ds->PowerScheduleEntries.PowerScheduleEntry.arrayLen = 1;
    }
}

static int32_t s_wh(const struct exi_iso20_RationalNumberType *rn)
{
    int64_t v = ISO20_RN_MILLI(*rn) / 1000;
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN + 1 ? INT32_MIN + 1 : (int32_t)v;
}

uint8_t iso20_evse_on_schedule(struct iso20_evse *m, const struct exi_iso20_document *req,
                               const struct iso20_evse_status *st, struct exi_iso20_document *res, uint8_t code,
                               uint32_t now_ms)
{
    const struct exi_iso20_ScheduleExchangeReqType *q = &req->ScheduleExchangeReq;
    struct exi_iso20_ScheduleExchangeResType *r = &res->ScheduleExchangeRes;
    res->ScheduleExchangeRes_isUsed = true;
    r->EVSEProcessing = (uint8_t)exi_iso20_processingType_Finished;
    bool dyn = s_dynamic(m);
    if (code == CODE(OK) && dyn != q->Dynamic_SEReqControlMode_isUsed) {
        code = iso20_evse_refuse(m, CODE(FAILED), dyn ? "ScheduleExchange in scheduled mode after dynamic was selected"
                                                      : "ScheduleExchange in dynamic mode after scheduled was selected");
    }
    if (code == CODE(OK) && dyn) {
        const struct exi_iso20_Dynamic_SEReqControlModeType *d = &q->Dynamic_SEReqControlMode;
        m->ev.departure_s = d->DepartureTime <= INT32_MAX ? (int32_t)d->DepartureTime : INT32_MAX;
        m->ev.min_soc = d->MinimumSOC_isUsed ? (int16_t)d->MinimumSOC : -1;
        m->ev.target_soc = d->TargetSOC_isUsed ? (int16_t)d->TargetSOC : -1;
        m->ev.target_energy_wh = s_wh(&d->EVTargetEnergyRequest);
        m->ev.max_energy_wh = s_wh(&d->EVMaximumEnergyRequest);
        m->ev.min_energy_wh = s_wh(&d->EVMinimumEnergyRequest);
        m->ev.dc.energy_request_wh = m->ev.target_energy_wh;
        if (d->MinimumSOC_isUsed && d->TargetSOC_isUsed && d->MinimumSOC > d->TargetSOC) {
            code = iso20_evse_refuse(m, CODE(FAILED), "MinimumSOC above TargetSOC ([V2G20-1290])");
        }
    } else if (code == CODE(OK)) {
        const struct exi_iso20_Scheduled_SEReqControlModeType *s = &q->Scheduled_SEReqControlMode;
        m->ev.departure_s = s->DepartureTime_isUsed && s->DepartureTime <= INT32_MAX ? (int32_t)s->DepartureTime : -1;
        m->ev.target_energy_wh = s->EVTargetEnergyRequest_isUsed ? s_wh(&s->EVTargetEnergyRequest) : INT32_MIN;
        m->ev.max_energy_wh = s->EVMaximumEnergyRequest_isUsed ? s_wh(&s->EVMaximumEnergyRequest) : INT32_MIN;
        m->ev.min_energy_wh = s->EVMinimumEnergyRequest_isUsed ? s_wh(&s->EVMinimumEnergyRequest) : INT32_MIN;
        if (s->EVTargetEnergyRequest_isUsed) {
            m->ev.dc.energy_request_wh = m->ev.target_energy_wh;
        }
    }
    if (dyn) {
        r->Dynamic_SEResControlMode_isUsed = true; /* empty: MobilityNeedsMode 1 (D20 f130) */
    } else {
        r->Scheduled_SEResControlMode_isUsed = true;
        uint16_t pts = q->MaximumSupportingPoints >= 1 ? q->MaximumSupportingPoints : 1;
        s_tuple(m, st, pts, &r->Scheduled_SEResControlMode.ScheduleTuple.array[0]);
        r->Scheduled_SEResControlMode.ScheduleTuple.arrayLen = 1;
    }
    if (code == CODE(OK)) {
        if (st->dc.power_ready) {
            m->phase = m->renegotiating ? ISO20_EVSE_POWER_DELIVERY : ISO20_EVSE_CABLE_CHECK;
            m->renegotiating = false;
        } else if (iso20_evse_loop_elapsed(m, ISO20_MSG_SCHEDULE_EXCHANGE, now_ms) > m->cfg.ongoing_timeout_ms) {
            code = iso20_evse_refuse(m, CODE(FAILED), "power stage not ready at the ongoing limit");
        } else {
            r->EVSEProcessing = (uint8_t)exi_iso20_processingType_Ongoing;
        }
    }
    r->ResponseCode = code;
    return code;
}

/* ---------------------------------------------------------------- cable check, pre-charge */

uint8_t iso20_evse_on_cable_check(struct iso20_evse *m, const struct iso20_evse_status *st,
                                  struct exi_iso20_dc_document *res, struct iso20_evse_request *out, uint8_t code,
                                  uint32_t now_ms)
{
    struct exi_iso20_dc_DC_CableCheckResType *r = &res->DC_CableCheckRes;
    res->DC_CableCheckRes_isUsed = true;
    r->EVSEProcessing = (uint8_t)exi_iso20_dc_processingType_Finished;
    if (code == CODE(OK)) {
        if (m->loop_msg != ISO20_MSG_CABLE_CHECK) {
            out->events |= ISO20_EVSE_EV_CABLE_CHECK;
        }
        uint32_t el = iso20_evse_loop_elapsed(m, ISO20_MSG_CABLE_CHECK, now_ms);
        if (st->dc.cable_check_failed) {
            code = iso20_evse_refuse(m, CODE(FAILED), "cable check failed (insulation or pilot)");
        } else if (st->dc.cable_check_done) {
            m->phase = ISO20_EVSE_PRECHARGE;
        } else if (el > m->cfg.cable_check_timeout_ms) {
            code = iso20_evse_refuse(m, CODE(FAILED), "cable check not finished within the EV's limit");
        } else {
            r->EVSEProcessing = (uint8_t)exi_iso20_dc_processingType_Ongoing;
        }
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso20_evse_on_precharge(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                struct iso20_evse_request *out, uint8_t code, uint32_t now_ms)
{
    const struct exi_iso20_dc_DC_PreChargeReqType *q = &req->DC_PreChargeReq;
    struct exi_iso20_dc_DC_PreChargeResType *r = &res->DC_PreChargeRes;
    res->DC_PreChargeRes_isUsed = true;
    ISO20_RN_SET(r->EVSEPresentVoltage, st->dc.present_voltage_mv);
    if (code == CODE(OK)) {
        int32_t tv = ISO20_RN_MILLI32(q->EVTargetVoltage);
        if (tv < 0 || (m->ev.dc.max_voltage_mv > 0 && tv > m->ev.dc.max_voltage_mv) || tv > st->dc.max_voltage_mv) {
            code = iso20_evse_refuse(m, CODE(FAILED), "pre-charge target voltage outside the negotiated limits");
        } else {
            m->ev.dc.target_voltage_mv = tv;
            m->ev.dc.target_current_ma = m->cfg.precharge_current_max_ma;
            out->events |= ISO20_EVSE_EV_PRECHARGE;
            if (iso20_evse_loop_elapsed(m, ISO20_MSG_PRECHARGE, now_ms) > m->cfg.precharge_timeout_ms &&
                !m->precharge_long) {
                m->precharge_long = true;
                out->events |= ISO20_EVSE_EV_PRECHARGE_LONG;
            }
            /* [V2G20-2006]: the EV ends pre-charge; only then PowerDelivery. */
            if (q->EVProcessing == exi_iso20_dc_processingType_Finished) {
                m->phase = ISO20_EVSE_POWER_DELIVERY;
            }
        }
    }
    r->ResponseCode = code;
    return code;
}

/* ---------------------------------------------------------------- notifications */

/* EVSEStatus for PowerDeliveryRes / DC_ChargeLoopRes; false: nothing to say (omitted). */
static bool s_notify(struct iso20_evse *m, const struct iso20_evse_status *st, bool in_loop, uint16_t *delay,
                     uint8_t *what)
{
    *delay = st->notification_max_delay_s;
    switch (st->notification) {
    case ISO20_NOTIFY_TERMINATE: *what = (uint8_t)exi_iso20_evseNotificationType_Terminate; return true;
    case ISO20_NOTIFY_PAUSE:
        m->pause_asked = true; /* [V2G20-1842]: now the EV may pause in dynamic mode */
        *what = (uint8_t)exi_iso20_evseNotificationType_Pause;
        return true;
    case ISO20_NOTIFY_SCHEDULE_RENEGOTIATION:
        *what = (uint8_t)exi_iso20_evseNotificationType_ScheduleRenegotiation;
        return true;
    case ISO20_NOTIFY_SERVICE_RENEGOTIATION:
        /* [V2G20-1598]/[V2G20-1599]: in the loop only, and only when offered. */
        if (!in_loop || !m->cfg.service_renegotiation) {
            return false;
        }
        *what = (uint8_t)exi_iso20_evseNotificationType_ServiceRenegotiation;
        return true;
    case ISO20_NOTIFY_NONE:
    default: return false;
    }
}

/* ---------------------------------------------------------------- PowerDelivery */

static uint8_t s_start(struct iso20_evse *m, const struct exi_iso20_PowerDeliveryReqType *q,
                       const struct iso20_evse_status *st, struct iso20_evse_request *out)
{
    if (m->phase != ISO20_EVSE_POWER_DELIVERY && m->phase != ISO20_EVSE_STANDBY) {
        return iso20_evse_refuse(m, CODE(FAILED_SequenceError), "PowerDelivery(Start) while charging");
    }
    if (!q->EVPowerProfile_isUsed) {
        return iso20_evse_refuse(m, CODE(FAILED_EVPowerProfileInvalid), "PowerDelivery(Start) without EVPowerProfile ([V2G20-1546])");
    }
    const struct exi_iso20_EVPowerProfileType *p = &q->EVPowerProfile;
    if (s_dynamic(m) != p->Dynamic_EVPPTControlMode_isUsed) {
        return iso20_evse_refuse(m, CODE(FAILED), "EVPowerProfile of the other control mode than the selected one");
    }
    if (!s_dynamic(m) && p->Scheduled_EVPPTControlMode.SelectedScheduleTupleID != m->cfg.tuple_id) {
        return iso20_evse_refuse(m, CODE(FAILED_ScheduleSelectionInvalid), "SelectedScheduleTupleID was never offered");
    }
    bool dis = q->BPT_ChannelSelection_isUsed && q->BPT_ChannelSelection == exi_iso20_channelSelectionType_Discharge;
    if (dis && (!s_bpt(m) || !st->can_discharge)) {
        return iso20_evse_refuse(m, CODE(FAILED), "discharge asked without DC_BPT or on a stage that cannot discharge");
    }
    m->ev.discharge = dis;
    if (!s_dynamic(m)) {
        m->ev.tuple_id = p->Scheduled_EVPPTControlMode.SelectedScheduleTupleID;
    }
    m->powered = true;
    out->events |= ISO20_EVSE_EV_POWER_ON;
    m->phase = ISO20_EVSE_CHARGE_LOOP;
    return CODE(OK);
}

/* PowerDelivery(Standby), allowed after pre-charge or in the loop ([V2G20-1380],
 * [V2G20-1381]; sheet §4.4): the connection, TLS and authorization stay, no energy flows.
 * The charger holds the power path as for a schedule renegotiation (current 0 A,
 * voltage and contactors kept; HLC_EVT_HOLD): the car keeps CP in C and its contactors
 * closed, and leaves with PowerDelivery(Start) (no new pre-charge in the flow) or Stop.
 * While it stands by the sequence timer is the 60 s one, not the loop's 0.5 s: the car
 * need not send anything. A charger configured without standby says so with the warning
 * and the session goes on where it was. */
static uint8_t s_standby(struct iso20_evse *m, struct iso20_evse_request *out)
{
    if (!m->cfg.standby) {
        m->reason = "standby is not supported";
        return CODE(WARNING_StandbyNotAllowed);
    }
    if (m->phase != ISO20_EVSE_STANDBY) {
        m->standbys++;
    }
    m->ev.dc.target_current_ma = 0;
    out->events |= ISO20_EVSE_EV_HOLD;
    m->phase = ISO20_EVSE_STANDBY;
    return CODE(OK);
}

uint8_t iso20_evse_on_power_delivery(struct iso20_evse *m, const struct exi_iso20_document *req,
                                     const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                     struct iso20_evse_request *out, uint8_t code)
{
    const struct exi_iso20_PowerDeliveryReqType *q = &req->PowerDeliveryReq;
    struct exi_iso20_PowerDeliveryResType *r = &res->PowerDeliveryRes;
    res->PowerDeliveryRes_isUsed = true;
    r->EVSEStatus_isUsed = s_notify(m, st, false, &r->EVSEStatus.NotificationMaxDelay, &r->EVSEStatus.EVSENotification);
    if (code != CODE(OK) || q->EVProcessing != exi_iso20_processingType_Finished) {
        r->ResponseCode = code; /* [V2G20-2007]: Ongoing: OK, the rest is ignored */
        return code;
    }
    switch (q->ChargeProgress) {
    case exi_iso20_chargeProgressType_Start: code = s_start(m, q, st, out); break;
    case exi_iso20_chargeProgressType_Stop:
        /* The charger ramps down and opens before it answers (charger_power.c). */
        if (m->powered) {
            out->events |= ISO20_EVSE_EV_POWER_OFF;
        }
        m->powered = false;
        m->phase = ISO20_EVSE_WELDING;
        break;
    case exi_iso20_chargeProgressType_Standby:
        code = s_standby(m, out);
        break;
    case exi_iso20_chargeProgressType_ScheduleRenegotiation:
    default:
        if (m->phase != ISO20_EVSE_CHARGE_LOOP) {
            code = iso20_evse_refuse(m, CODE(FAILED_SequenceError), m->phase == ISO20_EVSE_STANDBY
                                                                        ? "ScheduleRenegotiation in standby (Start first)"
                                                                        : "ScheduleRenegotiation before charging");
            break;
        }
        /* New schedules, then PowerDelivery(Start) without a new cable check or pre-charge:
         * the car keeps CP in C and its contactors closed, so the charger holds the path
         * closed at 0 A. Opening here would leave nothing to close onto the battery again
         * without a pre-charge the flow does not have. m->powered stays true: a
         * PowerDelivery(Stop) instead of Start still powers off. */
        out->events |= ISO20_EVSE_EV_HOLD | ISO20_EVSE_EV_RENEGOTIATE;
        m->renegotiating = true;
        m->phase = ISO20_EVSE_SCHEDULE;
        break;
    }
    r->ResponseCode = code;
    return code;
}

/* ---------------------------------------------------------------- the charge loop */

/* The EV's loop values, whichever of the four elements carried them (their first fields
 * differ, so each is read by name). */
struct loop_in {
    bool target_set;                 /* scheduled: EVTargetCurrent / EVTargetVoltage */
    int32_t target_ma, target_mv;
    bool max_p, max_i, max_v;
    int32_t max_w, max_ma, max_mv;
};

static bool s_loop_in(const struct iso20_evse *m, const struct exi_iso20_dc_DC_ChargeLoopReqType *q, struct loop_in *l)
{
    memset(l, 0, sizeof *l);
    bool dyn = s_dynamic(m);
    if (!s_bpt(m) && dyn && q->Dynamic_DC_CLReqControlMode_isUsed) {
        const struct exi_iso20_dc_Dynamic_DC_CLReqControlModeType *d = &q->Dynamic_DC_CLReqControlMode;
        l->max_p = l->max_i = l->max_v = true;
        l->max_w = (int32_t)(ISO20_RN_MILLI(d->EVMaximumChargePower) / 1000);
        l->max_ma = ISO20_RN_MILLI32(d->EVMaximumChargeCurrent);
        l->max_mv = ISO20_RN_MILLI32(d->EVMaximumVoltage);
        return true;
    }
    if (s_bpt(m) && dyn && q->BPT_Dynamic_DC_CLReqControlMode_isUsed) {
        const struct exi_iso20_dc_BPT_Dynamic_DC_CLReqControlModeType *d = &q->BPT_Dynamic_DC_CLReqControlMode;
        l->max_p = l->max_i = l->max_v = true;
        l->max_w = (int32_t)(ISO20_RN_MILLI(d->EVMaximumChargePower) / 1000);
        l->max_ma = ISO20_RN_MILLI32(d->EVMaximumChargeCurrent);
        l->max_mv = ISO20_RN_MILLI32(d->EVMaximumVoltage);
        return true;
    }
    if (!s_bpt(m) && !dyn && q->Scheduled_DC_CLReqControlMode_isUsed) {
        const struct exi_iso20_dc_Scheduled_DC_CLReqControlModeType *s = &q->Scheduled_DC_CLReqControlMode;
        l->target_set = true;
        l->target_ma = ISO20_RN_MILLI32(s->EVTargetCurrent);
        l->target_mv = ISO20_RN_MILLI32(s->EVTargetVoltage);
        l->max_p = s->EVMaximumChargePower_isUsed;
        l->max_w = (int32_t)(ISO20_RN_MILLI(s->EVMaximumChargePower) / 1000);
        l->max_i = s->EVMaximumChargeCurrent_isUsed;
        l->max_ma = ISO20_RN_MILLI32(s->EVMaximumChargeCurrent);
        l->max_v = s->EVMaximumVoltage_isUsed;
        l->max_mv = ISO20_RN_MILLI32(s->EVMaximumVoltage);
        return true;
    }
    if (s_bpt(m) && !dyn && q->BPT_Scheduled_DC_CLReqControlMode_isUsed) {
        const struct exi_iso20_dc_BPT_Scheduled_DC_CLReqControlModeType *s = &q->BPT_Scheduled_DC_CLReqControlMode;
        l->target_set = true;
        l->target_ma = ISO20_RN_MILLI32(s->EVTargetCurrent);
        l->target_mv = ISO20_RN_MILLI32(s->EVTargetVoltage);
        l->max_p = s->EVMaximumChargePower_isUsed;
        l->max_w = (int32_t)(ISO20_RN_MILLI(s->EVMaximumChargePower) / 1000);
        l->max_i = s->EVMaximumChargeCurrent_isUsed;
        l->max_ma = ISO20_RN_MILLI32(s->EVMaximumChargeCurrent);
        l->max_v = s->EVMaximumVoltage_isUsed;
        l->max_mv = ISO20_RN_MILLI32(s->EVMaximumVoltage);
        return true;
    }
    return false;
}

/* The response's control-mode element: the charger's limits (mandatory in dynamic mode,
 * sent in scheduled mode too so the EV sees them). */
static void s_loop_out(const struct iso20_evse *m, const struct iso20_evse_status *st,
                       struct exi_iso20_dc_DC_ChargeLoopResType *r)
{
    const struct v2g_dc_evse *e = &st->dc;
    int64_t pmax = s_w(e->max_power_w), dpmax = st->can_discharge ? s_dis(m, pmax) : 0;
    int64_t dimax = st->can_discharge ? s_dis(m, e->max_current_ma) : 0;
    if (s_dynamic(m) && !s_bpt(m)) {
        struct exi_iso20_dc_Dynamic_DC_CLResControlModeType *d = &r->Dynamic_DC_CLResControlMode;
        r->Dynamic_DC_CLResControlMode_isUsed = true;
        ISO20_RN_SET(d->EVSEMaximumChargePower, pmax);
        ISO20_RN_SET(d->EVSEMinimumChargePower, 0);
        ISO20_RN_SET(d->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(d->EVSEMaximumVoltage, e->max_voltage_mv);
    } else if (s_dynamic(m)) {
        struct exi_iso20_dc_BPT_Dynamic_DC_CLResControlModeType *d = &r->BPT_Dynamic_DC_CLResControlMode;
        r->BPT_Dynamic_DC_CLResControlMode_isUsed = true;
        ISO20_RN_SET(d->EVSEMaximumChargePower, pmax);
        ISO20_RN_SET(d->EVSEMinimumChargePower, 0);
        ISO20_RN_SET(d->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(d->EVSEMaximumVoltage, e->max_voltage_mv);
        ISO20_RN_SET(d->EVSEMaximumDischargePower, dpmax);
        ISO20_RN_SET(d->EVSEMinimumDischargePower, 0);
        ISO20_RN_SET(d->EVSEMaximumDischargeCurrent, dimax);
        ISO20_RN_SET(d->EVSEMinimumVoltage, e->min_voltage_mv);
    } else if (!s_bpt(m)) {
        struct exi_iso20_dc_Scheduled_DC_CLResControlModeType *s = &r->Scheduled_DC_CLResControlMode;
        r->Scheduled_DC_CLResControlMode_isUsed = true;
        s->EVSEMaximumChargePower_isUsed = s->EVSEMaximumChargeCurrent_isUsed = s->EVSEMaximumVoltage_isUsed = true;
        ISO20_RN_SET(s->EVSEMaximumChargePower, pmax);
        ISO20_RN_SET(s->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(s->EVSEMaximumVoltage, e->max_voltage_mv);
    } else {
        struct exi_iso20_dc_BPT_Scheduled_DC_CLResControlModeType *s = &r->BPT_Scheduled_DC_CLResControlMode;
        r->BPT_Scheduled_DC_CLResControlMode_isUsed = true;
        s->EVSEMaximumChargePower_isUsed = s->EVSEMaximumChargeCurrent_isUsed = s->EVSEMaximumVoltage_isUsed = true;
        s->EVSEMaximumDischargePower_isUsed = s->EVSEMaximumDischargeCurrent_isUsed = true;
        ISO20_RN_SET(s->EVSEMaximumChargePower, pmax);
        ISO20_RN_SET(s->EVSEMaximumChargeCurrent, e->max_current_ma);
        ISO20_RN_SET(s->EVSEMaximumVoltage, e->max_voltage_mv);
        ISO20_RN_SET(s->EVSEMaximumDischargePower, dpmax);
        ISO20_RN_SET(s->EVSEMaximumDischargeCurrent, dimax);
    }
}

uint8_t iso20_evse_on_charge_loop(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                  const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                  struct iso20_evse_request *out, uint8_t code)
{
    const struct exi_iso20_dc_DC_ChargeLoopReqType *q = &req->DC_ChargeLoopReq;
    struct exi_iso20_dc_DC_ChargeLoopResType *r = &res->DC_ChargeLoopRes;
    res->DC_ChargeLoopRes_isUsed = true;
    ISO20_RN_SET(r->EVSEPresentCurrent, st->dc.present_current_ma);
    ISO20_RN_SET(r->EVSEPresentVoltage, st->dc.present_voltage_mv);
    r->EVSEPowerLimitAchieved = st->dc.power_limit_achieved;
    r->EVSECurrentLimitAchieved = st->dc.current_limit_achieved;
    r->EVSEVoltageLimitAchieved = st->dc.voltage_limit_achieved;
    r->EVSEStatus_isUsed = s_notify(m, st, true, &r->EVSEStatus.NotificationMaxDelay, &r->EVSEStatus.EVSENotification);
    if (q->MeterInfoRequested) {
        r->MeterInfo_isUsed = true;
        size_t n = strlen(m->cfg.meter_id);
        memcpy(r->MeterInfo.MeterID.characters, m->cfg.meter_id, n);
        r->MeterInfo.MeterID.charactersLen = (uint16_t)n;
        r->MeterInfo.ChargedEnergyReadingWh = st->meter_wh;
    }
    s_loop_out(m, st, r);
    struct loop_in l;
    if (code == CODE(OK) && !s_loop_in(m, q, &l)) {
        code = iso20_evse_refuse(m, CODE(FAILED), "DC_ChargeLoop element of another control mode or service than the selected one");
    }
    if (code != CODE(OK)) {
        r->ResponseCode = code;
        return code;
    }
    if (l.max_p) {
        m->ev.dc.max_power_w = l.max_w;
    }
    if (l.max_i) {
        m->ev.dc.max_current_ma = l.max_ma;
    }
    if (l.max_v) {
        m->ev.dc.max_voltage_mv = l.max_mv;
    }
    if (l.target_set) {
        /* Scheduled: the EV regulates; a zero voltage is the unused one of the pair
         * (EVerest, [V2G20-2183]): keep the last. */
        m->ev.dc.target_current_ma = l.target_ma > 0 ? l.target_ma : 0;
        if (l.target_mv > 0) {
            m->ev.dc.target_voltage_mv = l.target_mv;
        }
    } else {
        /* Dynamic: the charger decides within the EV's limits: its maximum voltage as the
         * ceiling, the current from its maximum current and power at the present voltage. */
        int32_t i = m->ev.dc.max_current_ma;
        int32_t u = st->dc.present_voltage_mv > 1000 ? st->dc.present_voltage_mv : m->ev.dc.max_voltage_mv;
        if (m->ev.dc.max_power_w > 0 && u > 0) {
            int64_t ip = (int64_t)m->ev.dc.max_power_w * 1000000 / u;
            if (ip < i) {
                i = (int32_t)ip;
            }
        }
        m->ev.dc.target_current_ma = i > 0 ? i : 0;
        m->ev.dc.target_voltage_mv = m->ev.dc.max_voltage_mv;
    }
    if (q->DisplayParameters_isUsed) {
        const struct exi_iso20_dc_DisplayParametersType *d = &q->DisplayParameters;
        if (d->PresentSOC_isUsed && d->PresentSOC <= 100) {
            m->ev.dc.soc = d->PresentSOC;
        }
        if (d->ChargingComplete_isUsed && d->ChargingComplete && !m->ev.dc.charging_complete) {
            out->events |= ISO20_EVSE_EV_CHARGING_COMPLETE;
        }
        m->ev.dc.charging_complete = d->ChargingComplete_isUsed && d->ChargingComplete;
    }
    if (m->phase == ISO20_EVSE_STANDBY) {
        m->ev.dc.target_current_ma = 0; /* standby: the loop is answered, nothing flows */
    }
    m->ev.dc.ready = true;
    out->events |= ISO20_EVSE_EV_CURRENT_DEMAND;
    r->ResponseCode = code;
    return code;
}

/* ---------------------------------------------------------------- the end */

uint8_t iso20_evse_on_welding(struct iso20_evse *m, const struct iso20_evse_status *st,
                              struct exi_iso20_dc_document *res, struct iso20_evse_request *out, uint8_t code)
{
    (void)m;
    res->DC_WeldingDetectionRes_isUsed = true;
    ISO20_RN_SET(res->DC_WeldingDetectionRes.EVSEPresentVoltage, st->dc.present_voltage_mv);
    if (code == CODE(OK)) {
        out->events |= ISO20_EVSE_EV_WELDING;
    }
    res->DC_WeldingDetectionRes.ResponseCode = code;
    return code;
}

uint8_t iso20_evse_on_session_stop(struct iso20_evse *m, const struct exi_iso20_document *req,
                                   struct exi_iso20_document *res, struct iso20_evse_request *out, uint8_t code)
{
    const struct exi_iso20_SessionStopReqType *q = &req->SessionStopReq;
    res->SessionStopRes_isUsed = true;
    bool energy = m->phase == ISO20_EVSE_CABLE_CHECK || m->phase == ISO20_EVSE_PRECHARGE ||
                  m->phase == ISO20_EVSE_POWER_DELIVERY || m->phase == ISO20_EVSE_CHARGE_LOOP ||
                  m->phase == ISO20_EVSE_STANDBY;
    if (code == CODE(OK)) {
        switch (q->ChargingSession) {
        case exi_iso20_chargingSessionType_Terminate:
            out->events |= ISO20_EVSE_EV_SESSION_STOP | (m->powered ? ISO20_EVSE_EV_POWER_OFF : 0u);
            m->powered = false;
            m->phase = ISO20_EVSE_STOPPED;
            break;
        case exi_iso20_chargingSessionType_Pause:
            if (!m->auth_done || m->ev.service_id == 0) {
                code = iso20_evse_refuse(m, CODE(FAILED_PauseNotAllowed), "Pause before a service was selected");
            } else if (s_dynamic(m) && !m->pause_asked) {
                code = iso20_evse_refuse(m, CODE(FAILED_PauseNotAllowed),
                                         "Pause in dynamic mode without the charger asking ([V2G20-1842])");
            } else if (m->powered) {
                code = iso20_evse_refuse(m, CODE(FAILED_SequenceError), "Pause while power flows: PowerDelivery(Stop) first");
            } else {
                out->events |= ISO20_EVSE_EV_SESSION_STOP | ISO20_EVSE_EV_PAUSE;
                m->phase = ISO20_EVSE_PAUSED;
            }
            break;
        case exi_iso20_chargingSessionType_ServiceRenegotiation:
        default:
            if (!m->cfg.service_renegotiation) {
                code = iso20_evse_refuse(m, CODE(FAILED_NoServiceRenegotiationSupported),
                                         "ServiceRenegotiation asked; not supported ([V2G20-1955])");
            } else if (energy || !m->auth_done) {
                code = iso20_evse_refuse(m, CODE(FAILED_SequenceError),
                                         m->phase == ISO20_EVSE_CABLE_CHECK
                                             ? "ServiceRenegotiation during the cable check"
                                             : "ServiceRenegotiation before authorization or while power is prepared or flows");
            } else {
                /* [V2G20-1643]: same connection, ServiceDiscovery next. */
                out->events |= ISO20_EVSE_EV_RENEGOTIATE;
                m->ev.service_id = 0;
                m->ev.parameter_set_id = 0;
                m->ev.control_mode = 0;
                m->ev.tuple_id = 0;
                m->phase = ISO20_EVSE_SERVICE_DISCOVERY;
            }
            break;
        }
    }
    res->SessionStopRes.ResponseCode = code;
    return code;
}
