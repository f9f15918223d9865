/* iso20_ev_receive.c - ISO 15118-20 EV side: each response the SECC sends, checked as a
 * car checks it (payload type, message type, SessionID, ResponseCode, EIM offered, DC
 * service and a parameter set of the car's ControlMode, the control-mode element of
 * ScheduleExchangeRes) and the state it leads to: schedule choice, pre-charge match,
 * EVSENotification (Terminate, Pause, ScheduleRenegotiation, ServiceRenegotiation),
 * welding detection, pause and resume (iso20_ev_priv.h). */
#include "iso20/iso20_ev_priv.h"

#include <string.h>

#include "hal_clock.h"
#include "hal_err.h"

static const char *s_msg_name(enum iso20_ev_state s)
{
    switch (s) {
    case ISO20_EV_SESSION_SETUP: return "SessionSetup";
    case ISO20_EV_AUTH_SETUP: return "AuthorizationSetup";
    case ISO20_EV_AUTHORIZATION: return "Authorization";
    case ISO20_EV_SERVICE_DISCOVERY: return "ServiceDiscovery";
    case ISO20_EV_SERVICE_DETAIL: return "ServiceDetail";
    case ISO20_EV_SERVICE_SELECTION: return "ServiceSelection";
    case ISO20_EV_CHARGE_PARAMETER: return "DC_ChargeParameterDiscovery";
    case ISO20_EV_SCHEDULE_EXCHANGE: return "ScheduleExchange";
    case ISO20_EV_CABLE_CHECK: return "DC_CableCheck";
    case ISO20_EV_PRECHARGE: return "DC_PreCharge";
    case ISO20_EV_POWER_ON:
    case ISO20_EV_RENEGOTIATE:
    case ISO20_EV_STANDBY:
    case ISO20_EV_POWER_OFF: return "PowerDelivery";
    case ISO20_EV_CHARGE_LOOP: return "DC_ChargeLoop";
    case ISO20_EV_WELDING: return "DC_WeldingDetection";
    case ISO20_EV_SESSION_STOP: return "SessionStop";
    default: return "?";
    }
}

/* The reason names the code and the message ("FAILED_SequenceError in PowerDeliveryRes"),
 * so the session record says what the charger refused. */
static const char *s_code_reason(struct iso20_ev *ev, uint8_t code)
{
    size_t o = 0;
    const char *parts[] = {iso20_ev_response_code_name(code), " in ", s_msg_name(ev->sent), "Res"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen(parts[i]);
        n = o + n < sizeof ev->reason_buf - 1 ? n : sizeof ev->reason_buf - 1 - o;
        memcpy(ev->reason_buf + o, parts[i], n);
        o += n;
    }
    ev->reason_buf[o] = '\0';
    return ev->reason_buf;
}

static int s_handshake_res(struct iso20_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    int chosen = -1;
    if (exi_apphand_decode(&r, &ev->doc.app) != HAL_OK) {
        iso20_ev_fail(ev, "undecodable supportedAppProtocolRes");
        return HAL_EPROTO;
    }
    if (apphand_result(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers, &chosen) != HAL_OK) {
        iso20_ev_fail(ev, "no protocol negotiated");
        return HAL_EPROTO;
    }
    ev->chosen_offer = chosen;
    const char *ns = ev->cfg.offers[chosen].ns;
    if (ns != NULL && strcmp(ns, ISO20_EV_NS_DC) == 0) {
        iso20_ev_goto(ev, ISO20_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    ev->state = ISO20_EV_OTHER_CHOSEN; /* the caller continues with that protocol's machine */
    ev->reason = "SECC chose another protocol";
    return HAL_OK;
}

/* The response document the request calls for, decoded with the grammar its payload type
 * names, of the right message type; its header and ResponseCode read out. */
struct s_res {
    const uint8_t *id;
    uint16_t id_len;
    uint8_t code;
};

static bool s_take_common(struct s_res *o, bool used, const struct exi_iso20_MessageHeaderType *h, uint8_t code)
{
    o->id = h->SessionID.bytes;
    o->id_len = h->SessionID.bytesLen;
    o->code = code;
    return used;
}

static bool s_take_dc(struct s_res *o, bool used, const struct exi_iso20_dc_MessageHeaderType *h, uint8_t code)
{
    o->id = h->SessionID.bytes;
    o->id_len = h->SessionID.bytesLen;
    o->code = code;
    return used;
}

static bool s_common_kind(const struct exi_iso20_document *d, enum iso20_ev_state s, struct s_res *o)
{
    switch (s) {
    case ISO20_EV_SESSION_SETUP:
        return s_take_common(o, d->SessionSetupRes_isUsed, &d->SessionSetupRes.Header, d->SessionSetupRes.ResponseCode);
    case ISO20_EV_AUTH_SETUP:
        return s_take_common(o, d->AuthorizationSetupRes_isUsed, &d->AuthorizationSetupRes.Header,
                             d->AuthorizationSetupRes.ResponseCode);
    case ISO20_EV_AUTHORIZATION:
        return s_take_common(o, d->AuthorizationRes_isUsed, &d->AuthorizationRes.Header, d->AuthorizationRes.ResponseCode);
    case ISO20_EV_SERVICE_DISCOVERY:
        return s_take_common(o, d->ServiceDiscoveryRes_isUsed, &d->ServiceDiscoveryRes.Header,
                             d->ServiceDiscoveryRes.ResponseCode);
    case ISO20_EV_SERVICE_DETAIL:
        return s_take_common(o, d->ServiceDetailRes_isUsed, &d->ServiceDetailRes.Header, d->ServiceDetailRes.ResponseCode);
    case ISO20_EV_SERVICE_SELECTION:
        return s_take_common(o, d->ServiceSelectionRes_isUsed, &d->ServiceSelectionRes.Header,
                             d->ServiceSelectionRes.ResponseCode);
    case ISO20_EV_SCHEDULE_EXCHANGE:
        return s_take_common(o, d->ScheduleExchangeRes_isUsed, &d->ScheduleExchangeRes.Header,
                             d->ScheduleExchangeRes.ResponseCode);
    case ISO20_EV_POWER_ON:
    case ISO20_EV_RENEGOTIATE:
    case ISO20_EV_STANDBY:
    case ISO20_EV_POWER_OFF:
        return s_take_common(o, d->PowerDeliveryRes_isUsed, &d->PowerDeliveryRes.Header, d->PowerDeliveryRes.ResponseCode);
    case ISO20_EV_SESSION_STOP:
        return s_take_common(o, d->SessionStopRes_isUsed, &d->SessionStopRes.Header, d->SessionStopRes.ResponseCode);
    default:
        return false;
    }
}

static bool s_dc_kind(const struct exi_iso20_dc_document *d, enum iso20_ev_state s, struct s_res *o)
{
    switch (s) {
    case ISO20_EV_CHARGE_PARAMETER:
        return s_take_dc(o, d->DC_ChargeParameterDiscoveryRes_isUsed, &d->DC_ChargeParameterDiscoveryRes.Header,
                         d->DC_ChargeParameterDiscoveryRes.ResponseCode);
    case ISO20_EV_CABLE_CHECK:
        return s_take_dc(o, d->DC_CableCheckRes_isUsed, &d->DC_CableCheckRes.Header, d->DC_CableCheckRes.ResponseCode);
    case ISO20_EV_PRECHARGE:
        return s_take_dc(o, d->DC_PreChargeRes_isUsed, &d->DC_PreChargeRes.Header, d->DC_PreChargeRes.ResponseCode);
    case ISO20_EV_CHARGE_LOOP:
        return s_take_dc(o, d->DC_ChargeLoopRes_isUsed, &d->DC_ChargeLoopRes.Header, d->DC_ChargeLoopRes.ResponseCode);
    case ISO20_EV_WELDING:
        return s_take_dc(o, d->DC_WeldingDetectionRes_isUsed, &d->DC_WeldingDetectionRes.Header,
                         d->DC_WeldingDetectionRes.ResponseCode);
    default:
        return false;
    }
}

static int s_check_header(struct iso20_ev *ev, const struct s_res *o)
{
    /* -20 SessionIDs are exactly 8 bytes (hexBinary length 8; EXI still sends the length). */
    if (o->id_len != 8) {
        iso20_ev_fail(ev, "SessionID not 8 bytes");
        return HAL_EPROTO;
    }
    if (ev->state == ISO20_EV_SESSION_SETUP) {
        if (o->code == exi_iso20_responseCodeType_OK_OldSessionJoined &&
            (!ev->have_session || memcmp(o->id, ev->id, 8) != 0)) {
            iso20_ev_fail(ev, "OK_OldSessionJoined with another SessionID");
            return HAL_EPROTO;
        }
        static const uint8_t zero[8] = {0};
        if (memcmp(o->id, zero, 8) == 0) {
            iso20_ev_fail(ev, "no SessionID issued");
            return HAL_EPROTO;
        }
        ev->evse.resumed = o->code == exi_iso20_responseCodeType_OK_OldSessionJoined;
        memcpy(ev->id, o->id, 8);
        ev->have_session = true;
        return HAL_OK;
    }
    if (memcmp(o->id, ev->id, 8) != 0) {
        iso20_ev_fail(ev, "SessionID changed");
        return HAL_EPROTO;
    }
    return HAL_OK;
}

/* The first parameter set of the DC service whose ControlMode is the car's. */
static int s_service_detail(struct iso20_ev *ev, const struct exi_iso20_ServiceDetailResType *s)
{
    if (s->ServiceID != ISO20_EV_SERVICE_DC) {
        iso20_ev_fail(ev, "ServiceDetailRes for another service");
        return HAL_EPROTO;
    }
    uint16_t n = s->ServiceParameterList.ParameterSet.arrayLen;
    n = n <= CFG_EXI_ISO20_SERVICEPARAMETERLISTTYPE_PARAMETERSET_MAX ? n
                                                                     : (uint16_t)CFG_EXI_ISO20_SERVICEPARAMETERLISTTYPE_PARAMETERSET_MAX;
    for (uint16_t i = 0; i < n; i++) {
        const struct exi_iso20_ParameterSetType *ps = &s->ServiceParameterList.ParameterSet.array[i];
        uint16_t np = ps->Parameter.arrayLen;
        np = np <= CFG_EXI_ISO20_PARAMETERSETTYPE_PARAMETER_MAX ? np : (uint16_t)CFG_EXI_ISO20_PARAMETERSETTYPE_PARAMETER_MAX;
        for (uint16_t k = 0; k < np; k++) {
            const struct exi_iso20_ParameterType *p = &ps->Parameter.array[k];
            static const char name[] = "ControlMode";
            if (p->Name.charactersLen != sizeof name - 1 || memcmp(p->Name.characters, name, sizeof name - 1) != 0) {
                continue;
            }
            /* dSPACE sends intValue; accept any integer kind. */
            int32_t v = p->intValue_isUsed ? p->intValue : p->shortValue_isUsed ? p->shortValue
                        : p->byteValue_isUsed ? p->byteValue : -1;
            if (v == (int32_t)ev->cfg.mode) {
                ev->evse.parameter_set_id = ps->ParameterSetID; /* echoed as received */
                return HAL_OK;
            }
        }
    }
    iso20_ev_fail(ev, ev->cfg.mode == ISO20_EV_DYNAMIC ? "no DC parameter set with dynamic ControlMode"
                                                        : "no DC parameter set with scheduled ControlMode");
    return HAL_EPROTO;
}

/* Scheduled: the first tuple (the SECC lists them in its order of preference); its
 * PowerSchedule is kept for the profile and the loop. */
static int s_take_schedule(struct iso20_ev *ev, const struct exi_iso20_Scheduled_SEResControlModeType *s)
{
    uint16_t nt = s->ScheduleTuple.arrayLen;
    nt = nt <= CFG_EXI_ISO20_SCHEDULED_SERESCONTROLMODETYPE_SCHEDULETUPLE_MAX
             ? nt : (uint16_t)CFG_EXI_ISO20_SCHEDULED_SERESCONTROLMODETYPE_SCHEDULETUPLE_MAX;
    if (nt == 0) {
        return HAL_EPROTO;
    }
    const struct exi_iso20_ScheduleTupleType *t = &s->ScheduleTuple.array[0];
    const struct exi_iso20_PowerScheduleEntryListType *l = &t->ChargingSchedule.PowerSchedule.PowerScheduleEntries;
    uint16_t n = l->PowerScheduleEntry.arrayLen;
    n = n <= ISO20_EV_SCHEDULE_MAX ? n : (uint16_t)ISO20_EV_SCHEDULE_MAX;
    if (n == 0) {
        return HAL_EPROTO;
    }
    for (uint16_t i = 0; i < nt; i++) {
        ev->evse.offered_ids[i] = s->ScheduleTuple.array[i].ScheduleTupleID;
    }
    ev->evse.n_offered = (uint8_t)nt;
    ev->evse.tuple_id = t->ScheduleTupleID;
    for (uint16_t i = 0; i < n; i++) {
        const struct exi_iso20_PowerScheduleEntryType *e = &l->PowerScheduleEntry.array[i];
        int32_t mw = iso20_ev_rn_milli(e->Power.Value, e->Power.Exponent);
        ev->evse.schedule_duration_s[i] = e->Duration;
        ev->evse.schedule_power_w[i] = mw < 0 ? 0 : mw / 1000;
    }
    ev->evse.n_schedule = (uint8_t)n;
    return HAL_OK;
}

static int s_schedule_exchange(struct iso20_ev *ev, const struct exi_iso20_ScheduleExchangeResType *s, uint32_t now_ms)
{
    if (s->EVSEProcessing != exi_iso20_processingType_Finished) {
        ev->clk.next_ms = now_ms + ev->cfg.loop_delay_ms; /* the element may be minimal while Ongoing */
        return HAL_OK;
    }
    if (ev->cfg.mode == ISO20_EV_SCHEDULED) {
        if (!s->Scheduled_SEResControlMode_isUsed) {
            iso20_ev_fail(ev, "ScheduleExchangeRes not in scheduled mode");
            return HAL_EPROTO;
        }
        if (s_take_schedule(ev, &s->Scheduled_SEResControlMode) != HAL_OK) {
            iso20_ev_fail(ev, "no usable ScheduleTuple");
            return HAL_EPROTO;
        }
    } else {
        if (!s->Dynamic_SEResControlMode_isUsed) {
            iso20_ev_fail(ev, "ScheduleExchangeRes not in dynamic mode");
            return HAL_EPROTO;
        }
        const struct exi_iso20_Dynamic_SEResControlModeType *d = &s->Dynamic_SEResControlMode;
        ev->evse.departure_time_s = d->DepartureTime_isUsed ? d->DepartureTime : 0;
        ev->evse.minimum_soc = d->MinimumSOC_isUsed ? d->MinimumSOC : 0;
        ev->evse.target_soc = d->TargetSOC_isUsed ? d->TargetSOC : 0;
    }
    if (ev->renegotiating) {
        /* The new schedule is agreed; power flows again with PowerDelivery(Start). */
        ev->renegotiating = false;
        iso20_ev_goto(ev, ISO20_EV_POWER_ON, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    ev->act.cp_c = true; /* [V2G20-912]: C before DC_CableCheckReq */
    if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_RENEGOTIATE_IN_CABLE_CHECK) {
        ev->renegotiations++; /* a renegotiation where the standard allows none */
        iso20_ev_goto(ev, ISO20_EV_RENEGOTIATE, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    if (ev->cfg.misbehave == ISO20_EV_MISBEHAVE_SERVICE_RENEGOTIATION_IN_CABLE_CHECK) {
        ev->stop_kind = exi_iso20_chargingSessionType_ServiceRenegotiation; /* none is allowed here */
        iso20_ev_goto(ev, ISO20_EV_SESSION_STOP, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    iso20_ev_goto(ev, ISO20_EV_CABLE_CHECK, now_ms, ev->cfg.delay_ms);
    return HAL_OK;
}

/* EVSEStatus of PowerDeliveryRes and DC_ChargeLoopRes (optional: absent = nothing to say). */
static void s_take_status(struct iso20_ev *ev, bool used, uint16_t max_delay, uint8_t notification)
{
    ev->evse.notification_seen = used;
    ev->evse.notification = used ? notification : 0;
    ev->evse.notification_max_delay_s = used ? max_delay : 0;
}

/* Begin the stop sequence ending in SessionStop(@p kind). */
static void s_stop(struct iso20_ev *ev, uint8_t kind, const char *why, uint32_t now_ms)
{
    ev->stop_kind = kind;
    ev->reason = why;
    iso20_ev_goto(ev, ISO20_EV_POWER_OFF, now_ms, ev->cfg.delay_ms);
}

static void s_charge_loop(struct iso20_ev *ev, const struct exi_iso20_dc_DC_ChargeLoopResType *s, uint32_t now_ms)
{
    const struct iso20_ev_model *m = &ev->model;
    s_take_status(ev, s->EVSEStatus_isUsed, s->EVSEStatus.NotificationMaxDelay, s->EVSEStatus.EVSENotification);
    ev->evse.present_voltage_mv = iso20_ev_rn_milli(s->EVSEPresentVoltage.Value, s->EVSEPresentVoltage.Exponent);
    ev->evse.present_current_ma = iso20_ev_rn_milli(s->EVSEPresentCurrent.Value, s->EVSEPresentCurrent.Exponent);
    ev->evse.current_limit_achieved = s->EVSECurrentLimitAchieved;
    ev->evse.voltage_limit_achieved = s->EVSEVoltageLimitAchieved;
    ev->evse.power_limit_achieved = s->EVSEPowerLimitAchieved;
    if (s->Dynamic_DC_CLResControlMode_isUsed) {
        const struct exi_iso20_dc_Dynamic_DC_CLResControlModeType *d = &s->Dynamic_DC_CLResControlMode;
        ev->evse.max_power_w = iso20_ev_rn_milli(d->EVSEMaximumChargePower.Value, d->EVSEMaximumChargePower.Exponent) / 1000;
        ev->evse.min_power_w = iso20_ev_rn_milli(d->EVSEMinimumChargePower.Value, d->EVSEMinimumChargePower.Exponent) / 1000;
        ev->evse.max_current_ma = iso20_ev_rn_milli(d->EVSEMaximumChargeCurrent.Value, d->EVSEMaximumChargeCurrent.Exponent);
        ev->evse.max_voltage_mv = iso20_ev_rn_milli(d->EVSEMaximumVoltage.Value, d->EVSEMaximumVoltage.Exponent);
        if (d->DepartureTime_isUsed) {
            ev->evse.departure_time_s = d->DepartureTime;
        }
    } else if (s->Scheduled_DC_CLResControlMode_isUsed) {
        const struct exi_iso20_dc_Scheduled_DC_CLResControlModeType *d = &s->Scheduled_DC_CLResControlMode;
        if (d->EVSEMaximumChargePower_isUsed) {
            ev->evse.max_power_w = iso20_ev_rn_milli(d->EVSEMaximumChargePower.Value, d->EVSEMaximumChargePower.Exponent) / 1000;
        }
        if (d->EVSEMaximumChargeCurrent_isUsed) {
            ev->evse.max_current_ma = iso20_ev_rn_milli(d->EVSEMaximumChargeCurrent.Value, d->EVSEMaximumChargeCurrent.Exponent);
        }
        if (d->EVSEMaximumVoltage_isUsed) {
            ev->evse.max_voltage_mv = iso20_ev_rn_milli(d->EVSEMaximumVoltage.Value, d->EVSEMaximumVoltage.Exponent);
        }
    }
    ev->loops++;
    uint8_t n = ev->evse.notification;
    bool seen = ev->evse.notification_seen;
    if (seen && n == exi_iso20_evseNotificationType_Terminate) {
        s_stop(ev, exi_iso20_chargingSessionType_Terminate, "EVSE asked to stop", now_ms);
    } else if (seen && n == exi_iso20_evseNotificationType_Pause) {
        s_stop(ev, exi_iso20_chargingSessionType_Pause, "EVSE asked to pause", now_ms);
    } else if (seen && n == exi_iso20_evseNotificationType_ServiceRenegotiation && ev->evse.renegotiation_supported) {
        s_stop(ev, exi_iso20_chargingSessionType_ServiceRenegotiation, "EVSE asked for a service renegotiation", now_ms);
    } else if (m->stop || m->charging_complete) {
        /* The car's own pause is allowed in scheduled mode only ([V2G20-1842]). */
        bool pause = m->pause && ev->cfg.mode == ISO20_EV_SCHEDULED;
        s_stop(ev, pause ? exi_iso20_chargingSessionType_Pause : exi_iso20_chargingSessionType_Terminate,
               pause ? "EV paused" : "EV stopped", now_ms);
    } else if ((seen && n == exi_iso20_evseNotificationType_ScheduleRenegotiation) || m->renegotiate) {
        ev->renegotiations++;
        iso20_ev_goto(ev, ISO20_EV_RENEGOTIATE, now_ms, ev->cfg.delay_ms);
    } else if (ev->standby_ramp && (ev->evse.present_current_ma <= ISO20_EV_STANDBY_IDLE_MA ||
                                    hal_time_diff(now_ms, ev->standby_ramp_ms) >= (int32_t)ISO20_EV_STANDBY_RAMP_MS)) {
        iso20_ev_goto(ev, ISO20_EV_STANDBY, now_ms, ev->cfg.delay_ms); /* nothing flows: stand by */
    } else {
        /* Standby due: the car first ramps its request to 0 (spec sheet §4.4). */
        int32_t charged = hal_time_diff(now_ms, ev->charge_start_ms);
        if (ev->cfg.standby_after_ms != 0 && !ev->standby_done && charged >= (int32_t)ev->cfg.standby_after_ms) {
            ev->standby_ramp = true;
            ev->standby_ramp_ms = now_ms;
        }
        /* ExitStandby and MeteringConfirmation ask nothing of a car that is charging and
         * does not meter-confirm: go on. */
        uint32_t at = ev->clk.sent_ms + ev->cfg.loop_period_ms;
        uint32_t earliest = now_ms + ev->cfg.delay_ms;
        ev->clk.next_ms = hal_time_diff(at, earliest) > 0 ? at : earliest;
    }
}

static int s_common(struct iso20_ev *ev, const struct exi_iso20_document *d, uint8_t code, uint32_t now_ms)
{
    uint32_t dl = ev->cfg.delay_ms;
    switch (ev->state) {
    case ISO20_EV_SESSION_SETUP: {
        const struct exi_iso20_SessionSetupResType *s = &d->SessionSetupRes;
        size_t n = s->EVSEID.charactersLen < sizeof ev->evse.evse_id ? s->EVSEID.charactersLen
                                                                     : sizeof ev->evse.evse_id - 1;
        memcpy(ev->evse.evse_id, s->EVSEID.characters, n);
        ev->evse.evse_id[n] = '\0';
        /* A joined session goes on at DC_ChargeParameterDiscovery (spec §4.3). */
        iso20_ev_goto(ev, ev->evse.resumed ? ISO20_EV_CHARGE_PARAMETER : ISO20_EV_AUTH_SETUP, now_ms, dl);
        return HAL_OK;
    }
    case ISO20_EV_AUTH_SETUP: {
        const struct exi_iso20_AuthorizationSetupResType *s = &d->AuthorizationSetupRes;
        bool eim = false;
        ev->evse.pnc_offered = false;
        for (uint16_t i = 0; i < s->AuthorizationServices.arrayLen &&
                             i < CFG_EXI_ISO20_AUTHORIZATIONSETUPRESTYPE_AUTHORIZATIONSERVICES_MAX; i++) {
            eim = eim || s->AuthorizationServices.array[i] == exi_iso20_authorizationType_EIM;
            ev->evse.pnc_offered = ev->evse.pnc_offered ||
                                   s->AuthorizationServices.array[i] == exi_iso20_authorizationType_PnC;
        }
        if (!eim) {
            iso20_ev_fail(ev, "SECC offers no EIM");
            return HAL_EPROTO;
        }
        iso20_ev_goto(ev, ISO20_EV_AUTHORIZATION, now_ms, dl);
        return HAL_OK;
    }
    case ISO20_EV_AUTHORIZATION:
        if (code != exi_iso20_responseCodeType_OK) {
            /* WARNING_*: EIM refused; the session may go on only to stop ([V2G20-2230]). */
            ev->stop_kind = exi_iso20_chargingSessionType_Terminate;
            ev->reason = s_code_reason(ev, code);
            ev->refused = true;
            iso20_ev_goto(ev, ISO20_EV_SESSION_STOP, now_ms, dl);
        } else if (d->AuthorizationRes.EVSEProcessing == exi_iso20_processingType_Finished) {
            iso20_ev_goto(ev, ISO20_EV_SERVICE_DISCOVERY, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + ev->cfg.loop_delay_ms; /* Ongoing, WaitingForCustomerInteraction */
        }
        return HAL_OK;
    case ISO20_EV_SERVICE_DISCOVERY: {
        const struct exi_iso20_ServiceDiscoveryResType *s = &d->ServiceDiscoveryRes;
        bool dc = false;
        for (uint16_t i = 0; i < s->EnergyTransferServiceList.Service.arrayLen && i < CFG_EXI_ISO20_SERVICELISTTYPE_SERVICE_MAX; i++) {
            dc = dc || s->EnergyTransferServiceList.Service.array[i].ServiceID == ISO20_EV_SERVICE_DC;
        }
        if (!dc) {
            iso20_ev_fail(ev, "SECC offers no DC service");
            return HAL_EPROTO;
        }
        ev->evse.renegotiation_supported = s->ServiceRenegotiationSupported;
        ev->evse.listed_services = 0;
        for (uint16_t i = 0; i < s->EnergyTransferServiceList.Service.arrayLen && i < CFG_EXI_ISO20_SERVICELISTTYPE_SERVICE_MAX; i++) {
            uint16_t id = s->EnergyTransferServiceList.Service.array[i].ServiceID;
            ev->evse.listed_services |= id < 64 ? (uint64_t)1 << id : 0u;
        }
        for (uint16_t i = 0; s->VASList_isUsed && i < s->VASList.Service.arrayLen && i < CFG_EXI_ISO20_SERVICELISTTYPE_SERVICE_MAX; i++) {
            uint16_t id = s->VASList.Service.array[i].ServiceID;
            ev->evse.listed_services |= id < 64 ? (uint64_t)1 << id : 0u;
        }
        iso20_ev_goto(ev, ISO20_EV_SERVICE_DETAIL, now_ms, dl);
        return HAL_OK;
    }
    case ISO20_EV_SERVICE_DETAIL:
        if (s_service_detail(ev, &d->ServiceDetailRes) != HAL_OK) {
            return HAL_EPROTO;
        }
        iso20_ev_goto(ev, ISO20_EV_SERVICE_SELECTION, now_ms, dl);
        return HAL_OK;
    case ISO20_EV_SERVICE_SELECTION:
        iso20_ev_goto(ev, ISO20_EV_CHARGE_PARAMETER, now_ms, dl);
        return HAL_OK;
    case ISO20_EV_SCHEDULE_EXCHANGE:
        return s_schedule_exchange(ev, &d->ScheduleExchangeRes, now_ms);
    case ISO20_EV_POWER_ON:
    case ISO20_EV_RENEGOTIATE:
    case ISO20_EV_STANDBY:
    case ISO20_EV_POWER_OFF: {
        const struct exi_iso20_PowerDeliveryResType *s = &d->PowerDeliveryRes;
        s_take_status(ev, s->EVSEStatus_isUsed, s->EVSEStatus.NotificationMaxDelay, s->EVSEStatus.EVSENotification);
        if (ev->state == ISO20_EV_STANDBY) {
            /* Once per session either way. OK: CP C and the contactors stay, nothing is sent
             * for standby_ms, then Start (a profile again). A refusal: the loop goes on. */
            ev->standby_ramp = false;
            ev->standby_done = true;
            if (code == exi_iso20_responseCodeType_OK) {
                ev->standbys++;
                iso20_ev_goto(ev, ISO20_EV_POWER_ON, now_ms, ev->cfg.standby_ms);
            } else {
                iso20_ev_goto(ev, ISO20_EV_CHARGE_LOOP, now_ms, dl);
            }
        } else if (ev->state == ISO20_EV_POWER_ON) {
            ev->charge_start_ms = now_ms; /* the schedule's time 0 */
            iso20_ev_goto(ev, ISO20_EV_CHARGE_LOOP, now_ms, dl);
        } else if (ev->state == ISO20_EV_RENEGOTIATE) {
            ev->renegotiating = true; /* contactors stay closed: no new cable check (spec §4.5) */
            iso20_ev_goto(ev, ISO20_EV_SCHEDULE_EXCHANGE, now_ms, dl);
        } else {
            ev->act.cp_c = false; /* [V2G20-913]: B before the next request; contactors open */
            ev->act.contactors = false;
            ev->welding_rounds = 0;
            ev->ev_finished = false;
            iso20_ev_goto(ev, ev->cfg.welding_detection ? ISO20_EV_WELDING : ISO20_EV_SESSION_STOP, now_ms, dl);
        }
        return HAL_OK;
    }
    case ISO20_EV_SESSION_STOP:
        ev->act.cp_c = false;
        ev->act.contactors = false;
        if (ev->sent_progress == exi_iso20_chargingSessionType_Pause) {
            ev->state = ISO20_EV_PAUSED;
            ev->reason = "session paused";
        } else if (ev->sent_progress == exi_iso20_chargingSessionType_ServiceRenegotiation) {
            ev->stop_kind = exi_iso20_chargingSessionType_Terminate;
            ev->reason = "";
            iso20_ev_goto(ev, ISO20_EV_SERVICE_DISCOVERY, now_ms, dl); /* same connection ([V2G20-1643]) */
        } else {
            ev->state = ISO20_EV_DONE;
            if (ev->reason == NULL || ev->reason[0] == '\0') {
                ev->reason = "session stopped";
            }
        }
        return HAL_OK;
    default:
        iso20_ev_fail(ev, "response in an unexpected state");
        return HAL_EPROTO;
    }
}

static int s_dc(struct iso20_ev *ev, const struct exi_iso20_dc_document *d, uint32_t now_ms)
{
    const struct iso20_ev_model *m = &ev->model;
    uint32_t dl = ev->cfg.delay_ms;
    uint32_t loop = ev->cfg.loop_delay_ms;
    switch (ev->state) {
    case ISO20_EV_CHARGE_PARAMETER: {
        const struct exi_iso20_dc_DC_ChargeParameterDiscoveryResType *s = &d->DC_ChargeParameterDiscoveryRes;
        if (!s->DC_CPDResEnergyTransferMode_isUsed) {
            iso20_ev_fail(ev, "DC_ChargeParameterDiscoveryRes without DC parameters");
            return HAL_EPROTO;
        }
        const struct exi_iso20_dc_DC_CPDResEnergyTransferModeType *p = &s->DC_CPDResEnergyTransferMode;
        ev->evse.max_power_w = iso20_ev_rn_milli(p->EVSEMaximumChargePower.Value, p->EVSEMaximumChargePower.Exponent) / 1000;
        ev->evse.min_power_w = iso20_ev_rn_milli(p->EVSEMinimumChargePower.Value, p->EVSEMinimumChargePower.Exponent) / 1000;
        ev->evse.max_current_ma = iso20_ev_rn_milli(p->EVSEMaximumChargeCurrent.Value, p->EVSEMaximumChargeCurrent.Exponent);
        ev->evse.min_current_ma = iso20_ev_rn_milli(p->EVSEMinimumChargeCurrent.Value, p->EVSEMinimumChargeCurrent.Exponent);
        ev->evse.max_voltage_mv = iso20_ev_rn_milli(p->EVSEMaximumVoltage.Value, p->EVSEMaximumVoltage.Exponent);
        ev->evse.min_voltage_mv = iso20_ev_rn_milli(p->EVSEMinimumVoltage.Value, p->EVSEMinimumVoltage.Exponent);
        /* IEC 61851-23 CC.5.6: the ranges must overlap, or nothing can flow. */
        if (ev->evse.max_voltage_mv < m->min_voltage_mv || ev->evse.min_voltage_mv > m->max_voltage_mv) {
            iso20_ev_fail(ev, "EVSE voltage range does not meet the car's");
            return HAL_EPROTO;
        }
        iso20_ev_goto(ev, ISO20_EV_SCHEDULE_EXCHANGE, now_ms, dl);
        return HAL_OK;
    }
    case ISO20_EV_CABLE_CHECK:
        if (d->DC_CableCheckRes.EVSEProcessing == exi_iso20_dc_processingType_Finished) {
            ev->ev_finished = false;
            iso20_ev_goto(ev, ISO20_EV_PRECHARGE, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        return HAL_OK;
    case ISO20_EV_PRECHARGE: {
        const struct exi_iso20_dc_DC_PreChargeResType *s = &d->DC_PreChargeRes;
        ev->evse.present_voltage_mv = iso20_ev_rn_milli(s->EVSEPresentVoltage.Value, s->EVSEPresentVoltage.Exponent);
        if (ev->sent_progress == 1u) {
            /* The answer to our Finished: on to PowerDelivery(Start). */
            iso20_ev_goto(ev, ISO20_EV_POWER_ON, now_ms, dl);
            return HAL_OK;
        }
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        int32_t diff = u - m->battery_voltage_mv;
        diff = diff < 0 ? -diff : diff;
        if (m->stop) {
            ev->reason = "EV stopped in pre-charge";
            ev->stop_kind = exi_iso20_chargingSessionType_Terminate;
            ev->act.cp_c = false;
            iso20_ev_goto(ev, ISO20_EV_SESSION_STOP, now_ms, dl);
        } else if (diff <= ev->cfg.precharge_tolerance_mv) {
            ev->act.contactors = true; /* matched: closed, then one Finished request */
            ev->ev_finished = true;
            ev->clk.next_ms = now_ms + dl;
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        return HAL_OK;
    }
    case ISO20_EV_CHARGE_LOOP:
        s_charge_loop(ev, &d->DC_ChargeLoopRes, now_ms);
        return HAL_OK;
    case ISO20_EV_WELDING: {
        const struct exi_iso20_dc_DC_WeldingDetectionResType *s = &d->DC_WeldingDetectionRes;
        ev->evse.present_voltage_mv = iso20_ev_rn_milli(s->EVSEPresentVoltage.Value, s->EVSEPresentVoltage.Exponent);
        if (ev->sent_progress == 1u) {
            iso20_ev_goto(ev, ISO20_EV_SESSION_STOP, now_ms, dl);
            return HAL_OK;
        }
        ev->welding_rounds++;
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        ev->ev_finished = u < ev->cfg.welding_done_mv || ev->welding_rounds >= ev->cfg.welding_max_rounds;
        ev->clk.next_ms = now_ms + (ev->ev_finished ? dl : loop);
        return HAL_OK;
    }
    default:
        iso20_ev_fail(ev, "response in an unexpected state");
        return HAL_EPROTO;
    }
}

int iso20_ev_receive(struct iso20_ev *ev, uint16_t pt, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    if (ev == NULL || exi == NULL) {
        return HAL_EINVAL;
    }
    if (!ev->clk.waiting || iso20_ev_state_over(ev->state)) {
        return HAL_ESTATE;
    }
    ev->clk.waiting = false;
    ev->responses++;
    if (pt != ev->sent_pt) {
        iso20_ev_fail(ev, "response with another payload type");
        return HAL_EPROTO;
    }
    if (ev->state == ISO20_EV_HANDSHAKE) {
        return s_handshake_res(ev, exi, len, now_ms);
    }
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    struct s_res o = {0};
    bool kind;
    if (pt == ISO20_EV_PT_DC) {
        kind = exi_iso20_dc_decode(&r, &ev->doc.dc) == HAL_OK;
        kind = kind && s_dc_kind(&ev->doc.dc, ev->state, &o);
    } else {
        kind = exi_iso20_decode(&r, &ev->doc.common) == HAL_OK;
        kind = kind && s_common_kind(&ev->doc.common, ev->state, &o);
    }
    if (!kind) {
        iso20_ev_fail(ev, r.error != 0 ? "undecodable response" : "unexpected response");
        return HAL_EPROTO;
    }
    ev->evse.last_code = o.code;
    if (o.code >= exi_iso20_responseCodeType_FAILED) {
        /* FAILED*: the SECC ends the session after this response ([V2G20-2222]). */
        iso20_ev_fail(ev, s_code_reason(ev, o.code));
        return HAL_EPROTO;
    }
    if (s_check_header(ev, &o) != HAL_OK) {
        return HAL_EPROTO;
    }
    return pt == ISO20_EV_PT_DC ? s_dc(ev, &ev->doc.dc, now_ms) : s_common(ev, &ev->doc.common, o.code, now_ms);
}
