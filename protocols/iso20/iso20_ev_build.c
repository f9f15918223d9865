/* iso20_ev_build.c - ISO 15118-20 EV side: the request the machine's state calls for,
 * filled from the car model (struct iso20_ev_model): the header (SessionID, TimeStamp),
 * the control-mode elements of ScheduleExchange, PowerDelivery and DC_ChargeLoop, targets
 * under the SECC's limits and the chosen schedule (iso20_ev_priv.h). */
#include "iso20/iso20_ev_priv.h"

#include <string.h>

#include "hal_clock.h"

/* A new session sends eight zero bytes; every later message (and a resume) the SECC's ID. */
static void s_header(const struct iso20_ev *ev, uint32_t now_ms, uint8_t id[8], uint16_t *id_len, uint64_t *ts)
{
    bool fresh = ev->state == ISO20_EV_SESSION_SETUP && !ev->have_session;
    if (fresh) {
        memset(id, 0, 8);
    } else {
        memcpy(id, ev->id, 8);
    }
    *id_len = 8;
    *ts = ev->cfg.epoch_s + now_ms / 1000u; /* Unix seconds, as Josev and libiso send */
}

#define RN_SET(dst, milli) iso20_ev_rn_set((milli), &(dst).Value, &(dst).Exponent)

static int64_t s_clamp0(int64_t v)
{
    return v < 0 ? 0 : v;
}

/* Scheduled loop: the current the car asks for, under its own wish, the SECC's current and
 * power limits and the chosen schedule's power at this moment (the EV regulates). */
static int32_t s_target_current(const struct iso20_ev *ev, uint32_t now_ms)
{
    int64_t i = ev->standby_ramp ? 0 : ev->model.target_current_ma; /* standby: ramp to 0 first */
    const struct iso20_ev_evse *e = &ev->evse;
    if (e->max_current_ma > 0 && i > e->max_current_ma) {
        i = e->max_current_ma;
    }
    int64_t u = e->present_voltage_mv > 0 ? e->present_voltage_mv : ev->model.battery_voltage_mv;
    if (u > 1000) {
        if (e->max_power_w > 0 && i > (int64_t)e->max_power_w * 1000000 / u) {
            i = (int64_t)e->max_power_w * 1000000 / u;
        }
        int32_t t = hal_time_diff(now_ms, ev->charge_start_ms);
        int32_t p = iso20_ev_schedule_power_at(ev, t > 0 ? (uint32_t)t / 1000u : 0u);
        if (p >= 0 && i > (int64_t)p * 1000000 / u) {
            i = (int64_t)p * 1000000 / u;
        }
    }
    return (int32_t)s_clamp0(i);
}

static void s_schedule_exchange(struct iso20_ev *ev, struct exi_iso20_ScheduleExchangeReqType *q)
{
    const struct iso20_ev_model *m = &ev->model;
    q->MaximumSupportingPoints = ev->cfg.max_supporting_points < 12 ? 12 : ev->cfg.max_supporting_points;
    bool dynamic = ev->cfg.mode == ISO20_EV_DYNAMIC;
    if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_WRONG_CONTROL_MODE) {
        dynamic = !dynamic; /* the element of the mode the car did not select, on purpose */
    }
    if (dynamic) {
        struct exi_iso20_Dynamic_SEReqControlModeType *d = &q->Dynamic_SEReqControlMode;
        q->Dynamic_SEReqControlMode_isUsed = true;
        d->DepartureTime = ev->cfg.departure_time_s; /* mandatory in dynamic mode */
        d->MinimumSOC = ev->cfg.minimum_soc <= 100 ? ev->cfg.minimum_soc : 100;
        d->MinimumSOC_isUsed = true;
        d->TargetSOC = m->target_soc <= 100 ? m->target_soc : 100;
        d->TargetSOC_isUsed = true;
        if (d->MinimumSOC > d->TargetSOC) {
            d->MinimumSOC = d->TargetSOC; /* MinimumSOC <= TargetSOC ([V2G20-1290]) */
        }
        RN_SET(d->EVTargetEnergyRequest, (int64_t)m->energy_request_wh * 1000);
        RN_SET(d->EVMaximumEnergyRequest, (int64_t)m->energy_max_wh * 1000);
        RN_SET(d->EVMinimumEnergyRequest, (int64_t)m->energy_min_wh * 1000);
    } else {
        struct exi_iso20_Scheduled_SEReqControlModeType *s = &q->Scheduled_SEReqControlMode;
        q->Scheduled_SEReqControlMode_isUsed = true;
        if (ev->cfg.departure_time_s != 0) {
            s->DepartureTime = ev->cfg.departure_time_s;
            s->DepartureTime_isUsed = true;
        }
        RN_SET(s->EVTargetEnergyRequest, (int64_t)m->energy_request_wh * 1000);
        RN_SET(s->EVMaximumEnergyRequest, (int64_t)m->energy_max_wh * 1000);
        RN_SET(s->EVMinimumEnergyRequest, (int64_t)m->energy_min_wh * 1000);
        s->EVTargetEnergyRequest_isUsed = true;
        s->EVMaximumEnergyRequest_isUsed = true;
        s->EVMinimumEnergyRequest_isUsed = true;
    }
}

static void s_power_delivery(struct iso20_ev *ev, struct exi_iso20_PowerDeliveryReqType *q)
{
    const struct iso20_ev_model *m = &ev->model;
    q->EVProcessing = exi_iso20_processingType_Finished;
    q->ChargeProgress = ev->state == ISO20_EV_POWER_ON      ? exi_iso20_chargeProgressType_Start
                        : ev->state == ISO20_EV_RENEGOTIATE ? exi_iso20_chargeProgressType_ScheduleRenegotiation
                        : ev->state == ISO20_EV_STANDBY     ? exi_iso20_chargeProgressType_Standby
                                                            : exi_iso20_chargeProgressType_Stop;
    ev->sent_progress = q->ChargeProgress;
    if (ev->state != ISO20_EV_POWER_ON) {
        return; /* no profile on Stop (D20 f280), ScheduleRenegotiation or Standby */
    }
    /* The standard asks for a profile on Start ([V2G20-1546]): scheduled, one entry per
     * schedule entry never above it; dynamic, one hour at the car's maximum (D20 f231). */
    struct exi_iso20_EVPowerProfileType *p = &q->EVPowerProfile;
    q->EVPowerProfile_isUsed = true;
    p->TimeAnchor = 0;
    int64_t pmax = m->max_power_w > 0 ? m->max_power_w : 0;
    if (ev->cfg.mode == ISO20_EV_SCHEDULED && ev->evse.n_schedule > 0) {
        p->Scheduled_EVPPTControlMode_isUsed = true;
        p->Scheduled_EVPPTControlMode.SelectedScheduleTupleID = ev->evse.tuple_id;
        for (uint8_t i = 0; i < ev->evse.n_schedule; i++) {
            struct exi_iso20_PowerScheduleEntryType *e = &p->EVPowerProfileEntries.EVPowerProfileEntry.array[i];
            int64_t w = ev->evse.schedule_power_w[i];
            w = w > pmax ? pmax : w;
            e->Duration = ev->evse.schedule_duration_s[i];
            RN_SET(e->Power, s_clamp0(w) * 1000);
        }
        p->EVPowerProfileEntries.EVPowerProfileEntry.arrayLen = ev->evse.n_schedule;
    } else {
        if (ev->cfg.mode == ISO20_EV_SCHEDULED) {
            p->Scheduled_EVPPTControlMode_isUsed = true;
            p->Scheduled_EVPPTControlMode.SelectedScheduleTupleID = ev->evse.tuple_id;
        } else {
            p->Dynamic_EVPPTControlMode_isUsed = true;
        }
        struct exi_iso20_PowerScheduleEntryType *e = &p->EVPowerProfileEntries.EVPowerProfileEntry.array[0];
        e->Duration = 3600;
        RN_SET(e->Power, pmax * 1000);
        p->EVPowerProfileEntries.EVPowerProfileEntry.arrayLen = 1;
    }
}

static void s_charge_loop(struct iso20_ev *ev, struct exi_iso20_dc_DC_ChargeLoopReqType *q, uint32_t now_ms)
{
    const struct iso20_ev_model *m = &ev->model;
    q->DisplayParameters_isUsed = true;
    struct exi_iso20_dc_DisplayParametersType *dp = &q->DisplayParameters;
    dp->PresentSOC = m->soc <= 100 ? m->soc : 100;
    dp->PresentSOC_isUsed = true;
    dp->TargetSOC = m->target_soc <= 100 ? m->target_soc : 100;
    dp->TargetSOC_isUsed = true;
    dp->ChargingComplete = m->charging_complete;
    dp->ChargingComplete_isUsed = true;
    if (m->capacity_wh > 0) {
        RN_SET(dp->BatteryEnergyCapacity, (int64_t)m->capacity_wh * 1000);
        dp->BatteryEnergyCapacity_isUsed = true;
    }
    q->MeterInfoRequested = false;
    RN_SET(q->EVPresentVoltage, s_clamp0(m->battery_voltage_mv));
    int64_t maxp = (int64_t)s_clamp0(m->max_power_w) * 1000;
    bool scheduled = ev->cfg.mode == ISO20_EV_SCHEDULED;
    if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_WRONG_LOOP_MODE && ev->loops == 7) {
        scheduled = !scheduled; /* the 8th request in the mode the car did not select, on purpose */
    }
    if (scheduled) {
        struct exi_iso20_dc_Scheduled_DC_CLReqControlModeType *s = &q->Scheduled_DC_CLReqControlMode;
        q->Scheduled_DC_CLReqControlMode_isUsed = true;
        /* Both targets go out (the schema wants both); the current is what the car
         * regulates, the voltage its ceiling, never zero ([V2G20-2183], EVerest). */
        RN_SET(s->EVTargetCurrent, s_target_current(ev, now_ms));
        RN_SET(s->EVTargetVoltage, s_clamp0(m->target_voltage_mv));
        RN_SET(s->EVMaximumChargePower, maxp);
        RN_SET(s->EVMaximumChargeCurrent, s_clamp0(m->max_current_ma));
        RN_SET(s->EVMaximumVoltage, s_clamp0(m->max_voltage_mv));
        s->EVMaximumChargePower_isUsed = true;
        s->EVMaximumChargeCurrent_isUsed = true;
        s->EVMaximumVoltage_isUsed = true;
        return;
    }
    /* Dynamic: the SECC decides the power; the car bounds it. Its current wish (the
     * battery's acceptance, 0 when it wants to stop) is its maximum current. */
    struct exi_iso20_dc_Dynamic_DC_CLReqControlModeType *d = &q->Dynamic_DC_CLReqControlMode;
    q->Dynamic_DC_CLReqControlMode_isUsed = true;
    int64_t imax = ev->standby_ramp ? 0 : s_clamp0(m->target_current_ma); /* standby: ramp to 0 first */
    imax = imax > m->max_current_ma ? s_clamp0(m->max_current_ma) : imax;
    int64_t u = m->battery_voltage_mv > 1000 ? m->battery_voltage_mv : 1000;
    int64_t pwish = imax * u / 1000; /* mA x mV / 1000 = mW */
    RN_SET(d->EVTargetEnergyRequest, (int64_t)m->energy_request_wh * 1000);
    RN_SET(d->EVMaximumEnergyRequest, (int64_t)m->energy_max_wh * 1000);
    RN_SET(d->EVMinimumEnergyRequest, (int64_t)m->energy_min_wh * 1000);
    RN_SET(d->EVMaximumChargePower, pwish < maxp ? pwish : maxp);
    RN_SET(d->EVMinimumChargePower, (int64_t)s_clamp0(m->min_power_w) * 1000);
    RN_SET(d->EVMaximumChargeCurrent, imax);
    RN_SET(d->EVMaximumVoltage, s_clamp0(m->max_voltage_mv));
    RN_SET(d->EVMinimumVoltage, s_clamp0(m->min_voltage_mv));
}

static void s_build_dc(struct iso20_ev *ev, uint32_t now_ms)
{
    struct exi_iso20_dc_document *d = &ev->doc.dc;
    const struct iso20_ev_model *m = &ev->model;
    memset(d, 0, sizeof *d);
    struct exi_iso20_dc_MessageHeaderType *h = NULL;
    switch (ev->state) {
    case ISO20_EV_CHARGE_PARAMETER: {
        d->DC_ChargeParameterDiscoveryReq_isUsed = true;
        struct exi_iso20_dc_DC_ChargeParameterDiscoveryReqType *q = &d->DC_ChargeParameterDiscoveryReq;
        h = &q->Header;
        if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_BPT_LIMITS) {
            /* The BPT element with discharge limits, though DC (2) was selected. */
            struct exi_iso20_dc_BPT_DC_CPDReqEnergyTransferModeType *p = &q->BPT_DC_CPDReqEnergyTransferMode;
            q->BPT_DC_CPDReqEnergyTransferMode_isUsed = true;
            RN_SET(p->EVMaximumChargePower, (int64_t)s_clamp0(m->max_power_w) * 1000);
            RN_SET(p->EVMaximumChargeCurrent, s_clamp0(m->max_current_ma));
            RN_SET(p->EVMaximumVoltage, s_clamp0(m->max_voltage_mv));
            RN_SET(p->EVMinimumVoltage, s_clamp0(m->min_voltage_mv));
            RN_SET(p->EVMaximumDischargePower, -(int64_t)s_clamp0(m->max_power_w) * 1000);
            RN_SET(p->EVMaximumDischargeCurrent, -s_clamp0(m->max_current_ma));
            break;
        }
        q->DC_CPDReqEnergyTransferMode_isUsed = true;
        struct exi_iso20_dc_DC_CPDReqEnergyTransferModeType *p = &q->DC_CPDReqEnergyTransferMode;
        RN_SET(p->EVMaximumChargePower, (int64_t)s_clamp0(m->max_power_w) * 1000);
        RN_SET(p->EVMinimumChargePower, (int64_t)s_clamp0(m->min_power_w) * 1000);
        RN_SET(p->EVMaximumChargeCurrent, s_clamp0(m->max_current_ma));
        RN_SET(p->EVMinimumChargeCurrent, s_clamp0(m->min_current_ma));
        RN_SET(p->EVMaximumVoltage, s_clamp0(m->max_voltage_mv));
        RN_SET(p->EVMinimumVoltage, s_clamp0(m->min_voltage_mv));
        p->TargetSOC = m->target_soc <= 100 ? m->target_soc : 100;
        p->TargetSOC_isUsed = true;
        break;
    }
    case ISO20_EV_CABLE_CHECK:
        d->DC_CableCheckReq_isUsed = true;
        h = &d->DC_CableCheckReq.Header;
        break;
    case ISO20_EV_PRECHARGE: {
        d->DC_PreChargeReq_isUsed = true;
        struct exi_iso20_dc_DC_PreChargeReqType *q = &d->DC_PreChargeReq;
        h = &q->Header;
        q->EVProcessing = ev->ev_finished ? exi_iso20_dc_processingType_Finished : exi_iso20_dc_processingType_Ongoing;
        ev->sent_progress = ev->ev_finished ? 1u : 0u; /* its response ends the loop */
        RN_SET(q->EVPresentVoltage, s_clamp0(m->battery_voltage_mv));
        RN_SET(q->EVTargetVoltage, s_clamp0(m->battery_voltage_mv));
        break;
    }
    case ISO20_EV_CHARGE_LOOP:
        d->DC_ChargeLoopReq_isUsed = true;
        h = &d->DC_ChargeLoopReq.Header;
        s_charge_loop(ev, &d->DC_ChargeLoopReq, now_ms);
        break;
    case ISO20_EV_WELDING:
    default:
        d->DC_WeldingDetectionReq_isUsed = true;
        h = &d->DC_WeldingDetectionReq.Header;
        d->DC_WeldingDetectionReq.EVProcessing = ev->ev_finished ? exi_iso20_dc_processingType_Finished
                                                                 : exi_iso20_dc_processingType_Ongoing;
        ev->sent_progress = ev->ev_finished ? 1u : 0u;
        break;
    }
    s_header(ev, now_ms, h->SessionID.bytes, &h->SessionID.bytesLen, &h->TimeStamp);
}

static void s_build_common(struct iso20_ev *ev, uint32_t now_ms)
{
    struct exi_iso20_document *d = &ev->doc.common;
    memset(d, 0, sizeof *d);
    struct exi_iso20_MessageHeaderType *h = NULL;
    switch (ev->state) {
    case ISO20_EV_SESSION_SETUP: {
        d->SessionSetupReq_isUsed = true;
        struct exi_iso20_SessionSetupReqType *q = &d->SessionSetupReq;
        h = &q->Header;
        size_t n = strlen(ev->cfg.evccid);
        memcpy(q->EVCCID.characters, ev->cfg.evccid, n);
        q->EVCCID.charactersLen = (uint16_t)n;
        break;
    }
    case ISO20_EV_AUTH_SETUP:
        d->AuthorizationSetupReq_isUsed = true;
        h = &d->AuthorizationSetupReq.Header;
        break;
    case ISO20_EV_AUTHORIZATION:
        d->AuthorizationReq_isUsed = true;
        h = &d->AuthorizationReq.Header;
        d->AuthorizationReq.SelectedAuthorizationService = exi_iso20_authorizationType_EIM;
        d->AuthorizationReq.EIM_AReqAuthorizationMode_isUsed = true;
        break;
    case ISO20_EV_SERVICE_DISCOVERY:
        d->ServiceDiscoveryReq_isUsed = true; /* no filter: the car wants to see the offer */
        h = &d->ServiceDiscoveryReq.Header;
        break;
    case ISO20_EV_SERVICE_DETAIL:
        d->ServiceDetailReq_isUsed = true;
        h = &d->ServiceDetailReq.Header;
        d->ServiceDetailReq.ServiceID = ISO20_EV_SERVICE_DC;
        if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_UNOFFERED_DETAIL) {
            uint16_t id = 1; /* the first ServiceID the SECC did not list */
            while (id < 63 && (ev->evse.listed_services >> id & 1u) != 0) {
                id++;
            }
            d->ServiceDetailReq.ServiceID = id;
        }
        break;
    case ISO20_EV_SERVICE_SELECTION:
        d->ServiceSelectionReq_isUsed = true;
        h = &d->ServiceSelectionReq.Header;
        d->ServiceSelectionReq.SelectedEnergyTransferService.ServiceID = ISO20_EV_SERVICE_DC;
        if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_UNOFFERED_SERVICE) {
            uint16_t id = 1; /* the first ServiceID the SECC did not list */
            while (id < 63 && (ev->evse.listed_services >> id & 1u) != 0) {
                id++;
            }
            d->ServiceSelectionReq.SelectedEnergyTransferService.ServiceID = id;
        }
        d->ServiceSelectionReq.SelectedEnergyTransferService.ParameterSetID = ev->evse.parameter_set_id;
        break;
    case ISO20_EV_SCHEDULE_EXCHANGE:
        d->ScheduleExchangeReq_isUsed = true;
        h = &d->ScheduleExchangeReq.Header;
        s_schedule_exchange(ev, &d->ScheduleExchangeReq);
        break;
    case ISO20_EV_POWER_ON:
    case ISO20_EV_RENEGOTIATE:
    case ISO20_EV_STANDBY:
    case ISO20_EV_POWER_OFF:
        d->PowerDeliveryReq_isUsed = true;
        h = &d->PowerDeliveryReq.Header;
        s_power_delivery(ev, &d->PowerDeliveryReq);
        break;
    case ISO20_EV_SESSION_STOP:
    default:
        d->SessionStopReq_isUsed = true;
        h = &d->SessionStopReq.Header;
        d->SessionStopReq.ChargingSession = ev->stop_kind;
        ev->sent_progress = ev->stop_kind;
        break;
    }
    s_header(ev, now_ms, h->SessionID.bytes, &h->SessionID.bytesLen, &h->TimeStamp);
}

void iso20_ev_build(struct iso20_ev *ev, uint32_t now_ms)
{
    ev->sent_progress = 0;
    if (iso20_ev_pt_of(ev->state) == ISO20_EV_PT_DC) {
        s_build_dc(ev, now_ms);
    } else {
        s_build_common(ev, now_ms);
    }
}
