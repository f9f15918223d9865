/* DIN SPEC 70121 DC EIM session, EVSE side (see din_evse.h and docs/din.md). */
#include "din/din_evse.h"

#include <string.h>

#include "hal_clock.h"

void din_evse_default_config(struct din_evse_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->evse_id[0] = 0x00;
    cfg->evse_id_len = 1;
    cfg->energy_transfer = exi_din_EVSESupportedEnergyTransferType_DC_extended;
    cfg->sequence_timeout_ms = DIN_SEQUENCE_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = DIN_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = DIN_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = DIN_PRECHARGE_TIMEOUT_MS;
    cfg->perf_time_ms = DIN_PERF_TIME_MS;
    cfg->perf_time_cd_ms = DIN_PERF_TIME_CD_MS;
    cfg->precharge_current_max_ma = 2000;
    cfg->pmax_w = 0;
}

static void s_ev_reset(struct din_evse_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->dc.max_power_w = -1;
    ev->dc.energy_capacity_wh = -1;
    ev->dc.energy_request_wh = -1;
    ev->dc.full_soc = -1;
    ev->dc.bulk_soc = -1;
    ev->dc.remaining_full_s = -1;
    ev->dc.remaining_bulk_s = -1;
}

int din_evse_start(struct din_evse *m, const struct din_evse_config *cfg,
                   const struct din_session_id *session_id, uint32_t now_ms)
{
    if (m == NULL || cfg == NULL || session_id == NULL || cfg->evse_id_len == 0 ||
        cfg->evse_id_len > sizeof cfg->evse_id || session_id->len == 0 ||
        session_id->len > DIN_SESSION_ID_MAX || din_session_id_is_zero(session_id)) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->id = *session_id;
    s_ev_reset(&m->ev);
    m->phase = DIN_EVSE_SESSION_SETUP;
    m->last_res_ms = now_ms;
    m->req_ms = now_ms;
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

static bool s_emergency(uint8_t code)
{
    return code == exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
           code >= exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static uint8_t s_code(const struct din_evse_status *st)
{
    return st->status_code <= exi_din_DC_EVSEStatusCodeType_Reserved_C
               ? st->status_code
               : (uint8_t)exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static void s_dc_status(struct exi_din_DC_EVSEStatusType *s, const struct din_evse_status *st,
                        uint8_t code)
{
    s->EVSEIsolationStatus = st->isolation <= exi_din_isolationLevelType_Fault
                                 ? st->isolation
                                 : (uint8_t)exi_din_isolationLevelType_Invalid;
    s->EVSEIsolationStatus_isUsed = true;
    s->EVSEStatusCode = code;
    s->NotificationMaxDelay = st->notification_max_delay_s;
    s->EVSENotification = st->notification <= exi_din_EVSENotificationType_ReNegotiation
                              ? st->notification
                              : (uint8_t)exi_din_EVSENotificationType_StopCharging;
}

static void s_ev_status(struct din_evse *m, const struct exi_din_DC_EVStatusType *s,
                        struct din_evse_request *out)
{
    m->ev.dc.ready = s->EVReady;
    m->ev.dc.error_code = s->EVErrorCode;
    m->ev.dc.soc = s->EVRESSSOC;
    if (s->EVErrorCode != exi_din_DC_EVErrorCodeType_NO_ERROR) {
        out->events |= DIN_EVSE_EV_EV_ERROR;
    }
}

static int32_t s_nonneg(int32_t v)
{
    return v < 0 ? 0 : v;
}

/* Which requests each phase accepts (the table of docs/din.md). */
static bool s_allowed(const struct din_evse *m, enum din_msg k)
{
    switch (m->phase) {
    case DIN_EVSE_SESSION_SETUP: return k == DIN_MSG_SESSION_SETUP;
    case DIN_EVSE_SERVICE_DISCOVERY: return k == DIN_MSG_SERVICE_DISCOVERY || k == DIN_MSG_SESSION_STOP;
    case DIN_EVSE_PAYMENT_SELECTION: return k == DIN_MSG_PAYMENT_SELECTION || k == DIN_MSG_SESSION_STOP;
    case DIN_EVSE_AUTHORIZATION: return k == DIN_MSG_CONTRACT_AUTH || k == DIN_MSG_SESSION_STOP;
    case DIN_EVSE_CHARGE_PARAMETER: return k == DIN_MSG_CHARGE_PARAMETER || k == DIN_MSG_SESSION_STOP;
    case DIN_EVSE_CABLE_CHECK: return k == DIN_MSG_CABLE_CHECK || k == DIN_MSG_SESSION_STOP;
    case DIN_EVSE_PRECHARGE:
        return k == DIN_MSG_PRECHARGE || k == DIN_MSG_SESSION_STOP ||
               (k == DIN_MSG_POWER_DELIVERY && m->precharge_seen);
    case DIN_EVSE_POWER_DELIVERY:
    case DIN_EVSE_CURRENT_DEMAND: return k == DIN_MSG_CURRENT_DEMAND || k == DIN_MSG_POWER_DELIVERY;
    case DIN_EVSE_WELDING: return k == DIN_MSG_WELDING_DETECTION || k == DIN_MSG_SESSION_STOP;
    default: return false;
    }
}

/* Loop timers run from the first request of a loop. */
static uint32_t s_loop_elapsed(struct din_evse *m, enum din_msg k, uint32_t now_ms)
{
    if (m->loop_msg != k) {
        m->loop_msg = k;
        m->loop_since_ms = now_ms;
        return 0;
    }
    int32_t d = hal_time_diff(now_ms, m->loop_since_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

static bool s_loop_first(const struct din_evse *m, enum din_msg k)
{
    return m->loop_msg != k;
}

/* ------------------------------------------------------------------ messages
 * Each builder fills every mandatory field of its response whatever the outcome, so a
 * FAILED_* answer is as schema-valid as a positive one, and returns the ResponseCode.
 * It only applies the message's rules when `code` is still OK on entry. */

static uint8_t s_session_setup(struct din_evse *m, const struct exi_din_document *req,
                               const struct din_evse_status *st, struct exi_din_document *res,
                               struct din_evse_request *out, uint8_t code)
{
    struct exi_din_SessionSetupResType *r = &res->V2G_Message.Body.SessionSetupRes;
    res->V2G_Message.Body.SessionSetupRes_isUsed = true;
    memcpy(r->EVSEID.bytes, m->cfg.evse_id, m->cfg.evse_id_len);
    r->EVSEID.bytesLen = m->cfg.evse_id_len;
    if (st->dc.unix_time_s != 0) {
        r->DateTimeNow = st->dc.unix_time_s;
        r->DateTimeNow_isUsed = true;
    }
    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_SessionSetupReqType *q = &req->V2G_Message.Body.SessionSetupReq;
        uint16_t n = q->EVCCID.bytesLen <= 8 ? q->EVCCID.bytesLen : 8;
        memcpy(m->ev.evccid, q->EVCCID.bytes, n);
        m->ev.evccid_len = (uint8_t)n;
        /* Whatever SessionID the EV sends (zero of any length, or an old one), it gets
         * a new session: EvseV2G's rule, which every car in the captures accepted. */
        code = exi_din_responseCodeType_OK_NewSessionEstablished;
        out->events |= DIN_EVSE_EV_SESSION;
        m->phase = DIN_EVSE_SERVICE_DISCOVERY;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_service_discovery(struct din_evse *m, struct exi_din_document *res, uint8_t code)
{
    struct exi_din_ServiceDiscoveryResType *r = &res->V2G_Message.Body.ServiceDiscoveryRes;
    res->V2G_Message.Body.ServiceDiscoveryRes_isUsed = true;
    r->PaymentOptions.PaymentOption.array[0] = exi_din_paymentOptionType_ExternalPayment;
    r->PaymentOptions.PaymentOption.arrayLen = 1;
    r->ChargeService.ServiceTag.ServiceID = 1;
    r->ChargeService.ServiceTag.ServiceCategory = exi_din_serviceCategoryType_EVCharging;
    r->ChargeService.FreeService = false;
    r->ChargeService.EnergyTransferType = m->cfg.energy_transfer;
    /* A ServiceCategory other than EVCharging, or a ServiceScope, is not an error worth a
     * failed session: the only service there is gets offered anyway. */
    if (code == exi_din_responseCodeType_OK) {
        m->phase = DIN_EVSE_PAYMENT_SELECTION;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_payment_selection(struct din_evse *m, const struct exi_din_document *req,
                                   struct exi_din_document *res, uint8_t code)
{
    res->V2G_Message.Body.ServicePaymentSelectionRes_isUsed = true;
    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_ServicePaymentSelectionReqType *q =
            &req->V2G_Message.Body.ServicePaymentSelectionReq;
        bool has_charge = false;
        bool others = false;
        uint16_t n = q->SelectedServiceList.SelectedService.arrayLen;
        if (n > CFG_EXI_DIN_SELECTEDSERVICELISTTYPE_SELECTEDSERVICE_MAX) {
            n = CFG_EXI_DIN_SELECTEDSERVICELISTTYPE_SELECTEDSERVICE_MAX;
        }
        for (uint16_t i = 0; i < n; i++) {
            if (q->SelectedServiceList.SelectedService.array[i].ServiceID == 1) {
                has_charge = true;
            } else {
                others = true;
            }
        }
        if (q->SelectedPaymentOption != exi_din_paymentOptionType_ExternalPayment) {
            code = exi_din_responseCodeType_FAILED_PaymentSelectionInvalid;
        } else if (!has_charge || others) {
            code = exi_din_responseCodeType_FAILED_ServiceSelectionInvalid;
        } else {
            m->phase = DIN_EVSE_AUTHORIZATION;
        }
    }
    res->V2G_Message.Body.ServicePaymentSelectionRes.ResponseCode = code;
    return code;
}

static uint8_t s_contract_auth(struct din_evse *m, const struct din_evse_status *st,
                               struct exi_din_document *res, struct din_evse_request *out,
                               uint8_t code, uint32_t now_ms)
{
    struct exi_din_ContractAuthenticationResType *r = &res->V2G_Message.Body.ContractAuthenticationRes;
    res->V2G_Message.Body.ContractAuthenticationRes_isUsed = true;
    r->EVSEProcessing = exi_din_EVSEProcessingType_Ongoing;
    if (code == exi_din_responseCodeType_OK) {
        if (s_loop_first(m, DIN_MSG_CONTRACT_AUTH)) {
            out->events |= DIN_EVSE_EV_AUTHORIZE;
        }
        uint32_t el = s_loop_elapsed(m, DIN_MSG_CONTRACT_AUTH, now_ms);
        if (st->dc.auth_rejected) {
            code = exi_din_responseCodeType_FAILED;
        } else if (st->dc.auth_done) {
            r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
            m->phase = DIN_EVSE_CHARGE_PARAMETER;
        } else if (el >= m->cfg.ongoing_timeout_ms) {
            code = exi_din_responseCodeType_FAILED;
            out->events |= DIN_EVSE_EV_TIMEOUT;
        }
    }
    if (code != exi_din_responseCodeType_OK) {
        r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_charge_parameter(struct din_evse *m, const struct exi_din_document *req,
                                  const struct din_evse_status *st, struct exi_din_document *res,
                                  struct din_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_din_ChargeParameterDiscoveryResType *r = &res->V2G_Message.Body.ChargeParameterDiscoveryRes;
    res->V2G_Message.Body.ChargeParameterDiscoveryRes_isUsed = true;
    r->EVSEProcessing = exi_din_EVSEProcessingType_Ongoing;
    /* SAScheduleList is mandatory in DIN, even while Ongoing: one tuple covering 24 h. */
    r->SAScheduleList_isUsed = true;
    struct exi_din_SAScheduleTupleType *t = &r->SAScheduleList.SAScheduleTuple.array[0];
    r->SAScheduleList.SAScheduleTuple.arrayLen = 1;
    t->SAScheduleTupleID = 1;
    t->PMaxSchedule.PMaxScheduleID = 1;
    t->PMaxSchedule.PMaxScheduleEntry.arrayLen = 1;
    struct exi_din_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[0];
    e->RelativeTimeInterval_isUsed = true;
    e->RelativeTimeInterval.start = 0;
    e->RelativeTimeInterval.duration = 86400;
    e->RelativeTimeInterval.duration_isUsed = true;
    int32_t pmax = st->pmax_w > 0 ? st->pmax_w : m->cfg.pmax_w != 0 ? m->cfg.pmax_w : st->dc.max_power_w;
    e->PMax = (int16_t)(pmax > 32767 ? 32767 : s_nonneg(pmax));

    r->DC_EVSEChargeParameter_isUsed = true;
    struct exi_din_DC_EVSEChargeParameterType *p = &r->DC_EVSEChargeParameter;
    s_dc_status(&p->DC_EVSEStatus, st, s_code(st));
    din_pv_set(&p->EVSEMaximumCurrentLimit, st->dc.max_current_ma, exi_din_unitSymbolType_A);
    din_pv_set(&p->EVSEMaximumPowerLimit, (int64_t)st->dc.max_power_w * 1000, exi_din_unitSymbolType_W);
    p->EVSEMaximumPowerLimit_isUsed = true;
    din_pv_set(&p->EVSEMaximumVoltageLimit, st->dc.max_voltage_mv, exi_din_unitSymbolType_V);
    din_pv_set(&p->EVSEMinimumCurrentLimit, st->dc.min_current_ma, exi_din_unitSymbolType_A);
    din_pv_set(&p->EVSEMinimumVoltageLimit, st->dc.min_voltage_mv, exi_din_unitSymbolType_V);
    if (st->dc.current_regulation_tolerance_ma >= 0) {
        din_pv_set(&p->EVSECurrentRegulationTolerance, st->dc.current_regulation_tolerance_ma,
                   exi_din_unitSymbolType_A);
        p->EVSECurrentRegulationTolerance_isUsed = true;
    }
    din_pv_set(&p->EVSEPeakCurrentRipple, st->dc.peak_current_ripple_ma, exi_din_unitSymbolType_A);
    if (st->dc.energy_to_deliver_wh >= 0) {
        din_pv_set(&p->EVSEEnergyToBeDelivered, (int64_t)st->dc.energy_to_deliver_wh * 1000,
                   exi_din_unitSymbolType_Wh);
        p->EVSEEnergyToBeDelivered_isUsed = true;
    }

    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_ChargeParameterDiscoveryReqType *q =
            &req->V2G_Message.Body.ChargeParameterDiscoveryReq;
        uint32_t el = s_loop_elapsed(m, DIN_MSG_CHARGE_PARAMETER, now_ms);
        if (!q->DC_EVChargeParameter_isUsed) {
            code = exi_din_responseCodeType_FAILED_WrongChargeParameter;
        } else if (q->EVRequestedEnergyTransferType != exi_din_EVRequestedEnergyTransferType_DC_core &&
                   q->EVRequestedEnergyTransferType != exi_din_EVRequestedEnergyTransferType_DC_extended) {
            code = exi_din_responseCodeType_FAILED_WrongEnergyTransferType;
        } else {
            const struct exi_din_DC_EVChargeParameterType *d = &q->DC_EVChargeParameter;
            s_ev_status(m, &d->DC_EVStatus, out);
            m->ev.energy_transfer = q->EVRequestedEnergyTransferType;
            m->ev.dc.max_current_ma = din_pv_milli32(&d->EVMaximumCurrentLimit);
            m->ev.dc.max_voltage_mv = din_pv_milli32(&d->EVMaximumVoltageLimit);
            /* Optional fields real cars leave out (Tesla sends none of them). */
            m->ev.dc.max_power_w = d->EVMaximumPowerLimit_isUsed
                                    ? (int32_t)(din_pv_milli(&d->EVMaximumPowerLimit) / 1000)
                                    : -1;
            m->ev.dc.energy_capacity_wh = d->EVEnergyCapacity_isUsed
                                           ? (int32_t)(din_pv_milli(&d->EVEnergyCapacity) / 1000)
                                           : -1;
            m->ev.dc.energy_request_wh = d->EVEnergyRequest_isUsed
                                          ? (int32_t)(din_pv_milli(&d->EVEnergyRequest) / 1000)
                                          : -1;
            m->ev.dc.full_soc = d->FullSOC_isUsed ? (int16_t)d->FullSOC : -1;
            m->ev.dc.bulk_soc = d->BulkSOC_isUsed ? (int16_t)d->BulkSOC : -1;
            out->events |= DIN_EVSE_EV_CHARGE_PARAMS;
            if (st->dc.power_ready) {
                r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
                m->phase = DIN_EVSE_CABLE_CHECK;
            } else if (el >= m->cfg.ongoing_timeout_ms) {
                code = exi_din_responseCodeType_FAILED;
                out->events |= DIN_EVSE_EV_TIMEOUT;
            }
        }
    }
    if (code != exi_din_responseCodeType_OK) {
        r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_cable_check(struct din_evse *m, const struct exi_din_document *req,
                             const struct din_evse_status *st, struct exi_din_document *res,
                             struct din_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_din_CableCheckResType *r = &res->V2G_Message.Body.CableCheckRes;
    res->V2G_Message.Body.CableCheckRes_isUsed = true;
    uint8_t sc = s_code(st);
    r->EVSEProcessing = exi_din_EVSEProcessingType_Ongoing;
    if (code == exi_din_responseCodeType_OK) {
        s_ev_status(m, &req->V2G_Message.Body.CableCheckReq.DC_EVStatus, out);
        if (s_loop_first(m, DIN_MSG_CABLE_CHECK)) {
            out->events |= DIN_EVSE_EV_CABLE_CHECK;
        }
        uint32_t el = s_loop_elapsed(m, DIN_MSG_CABLE_CHECK, now_ms);
        bool iso_ok = st->isolation == exi_din_isolationLevelType_Valid ||
                      st->isolation == exi_din_isolationLevelType_Warning;
        if (m->ev.dc.error_code != exi_din_DC_EVErrorCodeType_NO_ERROR || st->dc.cable_check_failed ||
            st->isolation == exi_din_isolationLevelType_Fault) {
            code = exi_din_responseCodeType_FAILED;
        } else if (st->dc.cable_check_done && iso_ok &&
                   sc == exi_din_DC_EVSEStatusCodeType_EVSE_Ready) {
            r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
            m->phase = DIN_EVSE_PRECHARGE;
        } else if (el >= m->cfg.cable_check_timeout_ms) {
            code = exi_din_responseCodeType_FAILED;
            out->events |= DIN_EVSE_EV_TIMEOUT;
        } else if (sc == exi_din_DC_EVSEStatusCodeType_EVSE_Ready) {
            sc = exi_din_DC_EVSEStatusCodeType_EVSE_IsolationMonitoringActive;
        }
    }
    if (code != exi_din_responseCodeType_OK) {
        r->EVSEProcessing = exi_din_EVSEProcessingType_Finished;
    }
    s_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}

static uint8_t s_precharge(struct din_evse *m, const struct exi_din_document *req,
                           const struct din_evse_status *st, struct exi_din_document *res,
                           struct din_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_din_PreChargeResType *r = &res->V2G_Message.Body.PreChargeRes;
    res->V2G_Message.Body.PreChargeRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    din_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_din_unitSymbolType_V);
    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_PreChargeReqType *q = &req->V2G_Message.Body.PreChargeReq;
        s_ev_status(m, &q->DC_EVStatus, out);
        uint32_t el = s_loop_elapsed(m, DIN_MSG_PRECHARGE, now_ms);
        if (m->ev.dc.error_code != exi_din_DC_EVErrorCodeType_NO_ERROR) {
            code = exi_din_responseCodeType_FAILED;
        } else {
            /* Re-applied every time (some cars send a wrong first target). */
            m->ev.dc.target_voltage_mv = s_nonneg(din_pv_milli32(&q->EVTargetVoltage));
            int32_t i = s_nonneg(din_pv_milli32(&q->EVTargetCurrent));
            m->ev.dc.target_current_ma = i > m->cfg.precharge_current_max_ma
                                          ? m->cfg.precharge_current_max_ma : i;
            out->events |= DIN_EVSE_EV_PRECHARGE;
            m->precharge_seen = true;
            /* The 7 s pre-charge limit is the EV's timer; a car that keeps going (Model Y,
             * 12 s) is answered, and the manager is told once. */
            if (el >= m->cfg.precharge_timeout_ms && !m->precharge_long) {
                m->precharge_long = true;
                out->events |= DIN_EVSE_EV_PRECHARGE_LONG;
            }
        }
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_power_delivery(struct din_evse *m, const struct exi_din_document *req,
                                const struct din_evse_status *st, struct exi_din_document *res,
                                struct din_evse_request *out, uint8_t code)
{
    struct exi_din_PowerDeliveryResType *r = &res->V2G_Message.Body.PowerDeliveryRes;
    res->V2G_Message.Body.PowerDeliveryRes_isUsed = true;
    r->DC_EVSEStatus_isUsed = true;
    uint8_t sc = s_code(st);
    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_PowerDeliveryReqType *q = &req->V2G_Message.Body.PowerDeliveryReq;
        if (q->DC_EVPowerDeliveryParameter_isUsed) {
            s_ev_status(m, &q->DC_EVPowerDeliveryParameter.DC_EVStatus, out);
            m->ev.dc.charging_complete = q->DC_EVPowerDeliveryParameter.ChargingComplete;
            m->ev.dc.bulk_charging_complete = q->DC_EVPowerDeliveryParameter.BulkChargingComplete_isUsed &&
                                           q->DC_EVPowerDeliveryParameter.BulkChargingComplete;
        }
        if (q->ChargingProfile_isUsed && q->ChargingProfile.SAScheduleTupleID != 1) {
            code = exi_din_responseCodeType_FAILED_TariffSelectionInvalid;
        } else if (q->ReadyToChargeState) {
            if (m->phase != DIN_EVSE_PRECHARGE) {
                code = exi_din_responseCodeType_FAILED; /* no restart after charging in DIN */
            } else if (sc != exi_din_DC_EVSEStatusCodeType_EVSE_Ready) {
                code = exi_din_responseCodeType_FAILED_PowerDeliveryNotApplied;
            } else {
                out->events |= DIN_EVSE_EV_POWER_ON;
                m->phase = DIN_EVSE_POWER_DELIVERY;
            }
        } else {
            out->events |= DIN_EVSE_EV_POWER_OFF;
            m->phase = DIN_EVSE_WELDING;
        }
    }
    s_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}

static uint8_t s_current_demand(struct din_evse *m, const struct exi_din_document *req,
                                const struct din_evse_status *st, struct exi_din_document *res,
                                struct din_evse_request *out, uint8_t code)
{
    struct exi_din_CurrentDemandResType *r = &res->V2G_Message.Body.CurrentDemandRes;
    res->V2G_Message.Body.CurrentDemandRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    din_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_din_unitSymbolType_V);
    din_pv_set(&r->EVSEPresentCurrent, st->dc.present_current_ma, exi_din_unitSymbolType_A);
    r->EVSECurrentLimitAchieved = st->dc.current_limit_achieved;
    r->EVSEVoltageLimitAchieved = st->dc.voltage_limit_achieved;
    r->EVSEPowerLimitAchieved = st->dc.power_limit_achieved;
    din_pv_set(&r->EVSEMaximumVoltageLimit, st->dc.max_voltage_mv, exi_din_unitSymbolType_V);
    din_pv_set(&r->EVSEMaximumCurrentLimit, st->dc.max_current_ma, exi_din_unitSymbolType_A);
    din_pv_set(&r->EVSEMaximumPowerLimit, (int64_t)st->dc.max_power_w * 1000, exi_din_unitSymbolType_W);
    r->EVSEMaximumVoltageLimit_isUsed = true;
    r->EVSEMaximumCurrentLimit_isUsed = true;
    r->EVSEMaximumPowerLimit_isUsed = true;
    if (code == exi_din_responseCodeType_OK) {
        const struct exi_din_CurrentDemandReqType *q = &req->V2G_Message.Body.CurrentDemandReq;
        struct din_evse_ev *ev = &m->ev;
        s_ev_status(m, &q->DC_EVStatus, out);
        /* Negative targets exist (Skoda): no current. 0 V (Ioniq's last request) keeps the
         * previous ceiling. An EV error is the EV stopping: answered OK, flagged. */
        ev->dc.target_current_ma = s_nonneg(din_pv_milli32(&q->EVTargetCurrent));
        int32_t v = din_pv_milli32(&q->EVTargetVoltage);
        if (v > 0) {
            ev->dc.target_voltage_mv = v;
        }
        if (q->EVMaximumVoltageLimit_isUsed) {
            ev->dc.max_voltage_mv = din_pv_milli32(&q->EVMaximumVoltageLimit);
        }
        if (q->EVMaximumCurrentLimit_isUsed) {
            ev->dc.max_current_ma = din_pv_milli32(&q->EVMaximumCurrentLimit);
        }
        if (q->EVMaximumPowerLimit_isUsed) {
            ev->dc.max_power_w = (int32_t)(din_pv_milli(&q->EVMaximumPowerLimit) / 1000);
        }
        ev->dc.charging_complete = q->ChargingComplete;
        ev->dc.bulk_charging_complete = q->BulkChargingComplete_isUsed && q->BulkChargingComplete;
        ev->dc.remaining_full_s = q->RemainingTimeToFullSoC_isUsed
                                   ? (int32_t)(din_pv_milli(&q->RemainingTimeToFullSoC) / 1000) : -1;
        ev->dc.remaining_bulk_s = q->RemainingTimeToBulkSoC_isUsed
                                   ? (int32_t)(din_pv_milli(&q->RemainingTimeToBulkSoC) / 1000) : -1;
        out->events |= DIN_EVSE_EV_CURRENT_DEMAND;
        if (ev->dc.charging_complete) {
            out->events |= DIN_EVSE_EV_CHARGING_COMPLETE;
        }
        m->phase = DIN_EVSE_CURRENT_DEMAND;
    }
    r->ResponseCode = code;
    return code;
}

static uint8_t s_welding(struct din_evse *m, const struct exi_din_document *req,
                         const struct din_evse_status *st, struct exi_din_document *res,
                         struct din_evse_request *out, uint8_t code)
{
    struct exi_din_WeldingDetectionResType *r = &res->V2G_Message.Body.WeldingDetectionRes;
    res->V2G_Message.Body.WeldingDetectionRes_isUsed = true;
    s_dc_status(&r->DC_EVSEStatus, st, s_code(st));
    din_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_din_unitSymbolType_V);
    if (code == exi_din_responseCodeType_OK) {
        s_ev_status(m, &req->V2G_Message.Body.WeldingDetectionReq.DC_EVStatus, out);
        out->events |= DIN_EVSE_EV_WELDING;
    }
    r->ResponseCode = code;
    return code;
}

/* ------------------------------------------------------------------ entry points */

int din_evse_handle(struct din_evse *m, const struct exi_din_document *req,
                    const struct din_evse_status *st, struct exi_din_document *res,
                    struct din_evse_request *out, uint32_t now_ms)
{
    if (m == NULL || req == NULL || st == NULL || res == NULL || out == NULL) {
        return HAL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    enum din_msg k = din_request_kind(req);
    out->msg = k;
    out->phase = m->phase;
    if (m->phase == DIN_EVSE_IDLE || din_evse_over(m)) {
        return HAL_ESTATE;
    }
    if (k == DIN_MSG_NONE) {
        return HAL_EPROTO;
    }
    if (k == DIN_MSG_UNUSED) {
        return HAL_ENOTSUP;
    }
    m->stats.requests++;
    m->req_ms = now_ms;
    m->req_msg = k;

    uint8_t code = exi_din_responseCodeType_OK;
    if (k != DIN_MSG_SESSION_SETUP || m->phase != DIN_EVSE_SESSION_SETUP) {
        struct din_session_id got;
        din_session_id_from_header(&got, &req->V2G_Message.Header);
        if (m->phase != DIN_EVSE_SESSION_SETUP && !din_session_id_equal(&got, &m->id)) {
            code = exi_din_responseCodeType_FAILED_UnknownSession;
        }
    }
    if (code == exi_din_responseCodeType_OK && !s_allowed(m, k)) {
        code = exi_din_responseCodeType_FAILED_SequenceError;
    }
    if (code == exi_din_responseCodeType_OK && k != DIN_MSG_SESSION_STOP && s_emergency(s_code(st))) {
        code = exi_din_responseCodeType_FAILED; /* [V2G-DC-665]: cannot be processed */
    }

    memset(res, 0, sizeof *res);
    res->V2G_Message_isUsed = true;
    switch (k) {
    case DIN_MSG_SESSION_SETUP: code = s_session_setup(m, req, st, res, out, code); break;
    case DIN_MSG_SERVICE_DISCOVERY: code = s_service_discovery(m, res, code); break;
    case DIN_MSG_PAYMENT_SELECTION: code = s_payment_selection(m, req, res, code); break;
    case DIN_MSG_CONTRACT_AUTH: code = s_contract_auth(m, st, res, out, code, now_ms); break;
    case DIN_MSG_CHARGE_PARAMETER: code = s_charge_parameter(m, req, st, res, out, code, now_ms); break;
    case DIN_MSG_CABLE_CHECK: code = s_cable_check(m, req, st, res, out, code, now_ms); break;
    case DIN_MSG_PRECHARGE: code = s_precharge(m, req, st, res, out, code, now_ms); break;
    case DIN_MSG_POWER_DELIVERY: code = s_power_delivery(m, req, st, res, out, code); break;
    case DIN_MSG_CURRENT_DEMAND: code = s_current_demand(m, req, st, res, out, code); break;
    case DIN_MSG_WELDING_DETECTION: code = s_welding(m, req, st, res, out, code); break;
    case DIN_MSG_SESSION_STOP:
    default:
        res->V2G_Message.Body.SessionStopRes_isUsed = true;
        res->V2G_Message.Body.SessionStopRes.ResponseCode = code;
        if (code == exi_din_responseCodeType_OK) {
            out->events |= DIN_EVSE_EV_SESSION_STOP | DIN_EVSE_EV_CLOSE;
            m->phase = DIN_EVSE_STOPPED;
        }
        break;
    }
    din_session_id_to_header(&res->V2G_Message.Header, &m->id);
    if (!din_response_code_ok(code)) {
        m->phase = DIN_EVSE_FAILED;
        m->stats.failed++;
        out->events |= DIN_EVSE_EV_CLOSE;
    }
    m->last_res_ms = now_ms;
    out->response_code = code;
    out->phase = m->phase;
    out->ev = m->ev;
    return HAL_OK;
}

void din_evse_sent(struct din_evse *m, uint32_t now_ms)
{
    v2g_dc_response_time(m->req_ms, now_ms, m->req_msg == DIN_MSG_CURRENT_DEMAND, m->cfg.perf_time_ms,
                         m->cfg.perf_time_cd_ms, &m->stats.worst_response_ms, &m->stats.worst_cd_response_ms,
                         &m->stats.perf_missed);
    m->last_res_ms = now_ms;
}

uint32_t din_evse_tick(struct din_evse *m, uint32_t now_ms)
{
    if (m->phase == DIN_EVSE_IDLE || din_evse_over(m)) {
        return 0;
    }
    if (hal_time_reached(now_ms, din_evse_deadline(m))) {
        m->phase = DIN_EVSE_TIMED_OUT;
        return DIN_EVSE_EV_TIMEOUT;
    }
    return 0;
}

uint32_t din_evse_deadline(const struct din_evse *m)
{
    return m->last_res_ms + m->cfg.sequence_timeout_ms;
}

uint32_t din_evse_response_deadline(const struct din_evse *m)
{
    return m->req_ms + (m->req_msg == DIN_MSG_CURRENT_DEMAND ? m->cfg.perf_time_cd_ms
                                                             : m->cfg.perf_time_ms);
}

enum din_evse_phase din_evse_phase(const struct din_evse *m)
{
    return m->phase;
}

void din_evse_fail(struct din_evse *m)
{
    if (m->phase != DIN_EVSE_IDLE && !din_evse_over(m)) {
        m->phase = DIN_EVSE_FAILED;
        m->stats.failed++;
    }
}

bool din_evse_over(const struct din_evse *m)
{
    return m->phase == DIN_EVSE_STOPPED || m->phase == DIN_EVSE_FAILED ||
           m->phase == DIN_EVSE_TIMED_OUT;
}

const char *din_evse_phase_name(enum din_evse_phase p)
{
    static const char *const names[DIN_EVSE_PHASE_COUNT] = {
        "idle",           "session_setup", "service_discovery", "payment_selection",
        "authorization",  "charge_parameter", "cable_check",    "precharge",
        "power_delivery", "current_demand", "welding_detection", "stopped",
        "failed",         "timed_out",
    };
    return (unsigned)p < DIN_EVSE_PHASE_COUNT ? names[p] : "?";
}

const struct din_evse_ev *din_evse_ev(const struct din_evse *m)
{
    return &m->ev;
}

const struct din_evse_stats *din_evse_stats(const struct din_evse *m)
{
    return &m->stats;
}
