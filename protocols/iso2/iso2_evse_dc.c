/*
 * iso2_evse_dc.c - the ISO-2 charger machine's DC loops and the end of the session:
 * CableCheck, PreCharge, CurrentDemand (with the charger-initiated renegotiation),
 * MeteringReceipt, ChargingStatus refused on DC, WeldingDetection and SessionStop with
 * Terminate or Pause (iso2_evse_priv.h).
 */
#include "iso2/iso2_evse_priv.h"

#include <string.h>

static int32_t s_nonneg(int32_t v)
{
    return v < 0 ? 0 : v;
}

uint8_t iso2_evse_on_cable_check(struct iso2_evse *m, const struct exi_iso2_document *req,
                                 const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                 struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_CableCheckResType *r = &res->V2G_Message.Body.CableCheckRes;
    res->V2G_Message.Body.CableCheckRes_isUsed = true;
    uint8_t sc = iso2_evse_code(st);
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing;
    if (code == CODE(OK)) {
        iso2_evse_take_ev_status(m, &req->V2G_Message.Body.CableCheckReq.DC_EVStatus, out);
        if (m->loop_msg != ISO2_MSG_CABLE_CHECK) {
            out->events |= ISO2_EVSE_EV_CABLE_CHECK;
        }
        uint32_t el = iso2_evse_loop_elapsed(m, ISO2_MSG_CABLE_CHECK, now_ms);
        bool iso_ok = st->isolation == exi_iso2_isolationLevelType_Valid ||
                      st->isolation == exi_iso2_isolationLevelType_Warning;
        if (m->ev.dc.error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            code = iso2_evse_refuse(m, CODE(FAILED), "EV reported an error during cable check");
        } else if (st->dc.cable_check_failed || st->isolation == exi_iso2_isolationLevelType_Fault) {
            code = iso2_evse_refuse(m, CODE(FAILED), "insulation test failed");
        } else if (st->dc.cable_check_done && iso_ok && sc == exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready) {
            r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
            m->phase = ISO2_EVSE_PRECHARGE;
        } else if (el >= m->cfg.cable_check_timeout_ms) {
            code = iso2_evse_refuse(m, CODE(FAILED), "cable check not finished within its timeout");
            out->events |= ISO2_EVSE_EV_TIMEOUT;
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_precharge(struct iso2_evse *m, const struct exi_iso2_document *req,
                               const struct iso2_evse_status *st, struct exi_iso2_document *res,
                               struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_PreChargeResType *r = &res->V2G_Message.Body.PreChargeRes;
    res->V2G_Message.Body.PreChargeRes_isUsed = true;
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, iso2_evse_code(st));
    iso2_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_iso2_unitSymbolType_V);
    if (code == CODE(OK)) {
        const struct exi_iso2_PreChargeReqType *q = &req->V2G_Message.Body.PreChargeReq;
        iso2_evse_take_ev_status(m, &q->DC_EVStatus, out);
        uint32_t el = iso2_evse_loop_elapsed(m, ISO2_MSG_PRECHARGE, now_ms);
        if (m->ev.dc.error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            code = iso2_evse_refuse(m, CODE(FAILED), "EV reported an error during pre-charge");
        } else {
            /* Re-applied every time (BMW i3 sends a wrong first target). */
            m->ev.dc.target_voltage_mv = s_nonneg(iso2_pv_milli32(&q->EVTargetVoltage));
            int32_t i = s_nonneg(iso2_pv_milli32(&q->EVTargetCurrent));
            m->ev.dc.target_current_ma = i > m->cfg.precharge_current_max_ma ? m->cfg.precharge_current_max_ma : i;
            out->events |= ISO2_EVSE_EV_PRECHARGE;
            m->precharge_seen = true;
            if (el >= m->cfg.precharge_timeout_ms && !m->precharge_long) {
                m->precharge_long = true;
                out->events |= ISO2_EVSE_EV_PRECHARGE_LONG;
            }
        }
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_current_demand(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                    struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_CurrentDemandResType *r = &res->V2G_Message.Body.CurrentDemandRes;
    res->V2G_Message.Body.CurrentDemandRes_isUsed = true;
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, iso2_evse_code(st));
    /* Charger-initiated renegotiation: the station's limit moved away from what the offered
     * schedule was built on, so the car is asked for a new one (unless the charger already
     * asks something else). The car answers with PowerDelivery(Renegotiate). Down at once
     * (the car must not plan above the limit); up only past 10 % so that a share that
     * wobbles (connectors starting and stopping) does not cost a cable check each time. */
    if (st->notification == exi_iso2_EVSENotificationType_None && m->offered_limit_w > 0 &&
        (st->dc.max_power_w < m->offered_limit_w ||
         (int64_t)st->dc.max_power_w * 10 > (int64_t)m->offered_limit_w * 11)) {
        r->DC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_ReNegotiation;
    }
    iso2_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&r->EVSEPresentCurrent, st->dc.present_current_ma, exi_iso2_unitSymbolType_A);
    r->EVSECurrentLimitAchieved = st->dc.current_limit_achieved;
    r->EVSEVoltageLimitAchieved = st->dc.voltage_limit_achieved;
    r->EVSEPowerLimitAchieved = st->dc.power_limit_achieved;
    /* Sent always: a Tesla ignores ReNegotiation without them (spec sheet 5.2). */
    iso2_pv_set(&r->EVSEMaximumVoltageLimit, st->dc.max_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&r->EVSEMaximumCurrentLimit, st->dc.max_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&r->EVSEMaximumPowerLimit, (int64_t)st->dc.max_power_w * 1000, exi_iso2_unitSymbolType_W);
    r->EVSEMaximumVoltageLimit_isUsed = true;
    r->EVSEMaximumCurrentLimit_isUsed = true;
    r->EVSEMaximumPowerLimit_isUsed = true;
    iso2_evse_put_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    r->SAScheduleTupleID = m->offered_tuple != 0 ? m->offered_tuple : 1;
    if (code == CODE(OK)) {
        const struct exi_iso2_CurrentDemandReqType *q = &req->V2G_Message.Body.CurrentDemandReq;
        struct iso2_evse_ev *ev = &m->ev;
        iso2_evse_take_ev_status(m, &q->DC_EVStatus, out);
        ev->dc.target_current_ma = s_nonneg(iso2_pv_milli32(&q->EVTargetCurrent));
        int32_t v = iso2_pv_milli32(&q->EVTargetVoltage);
        if (v > 0) {
            ev->dc.target_voltage_mv = v;
        }
        if (q->EVMaximumVoltageLimit_isUsed) {
            ev->dc.max_voltage_mv = iso2_pv_milli32(&q->EVMaximumVoltageLimit);
        }
        if (q->EVMaximumCurrentLimit_isUsed) {
            ev->dc.max_current_ma = iso2_pv_milli32(&q->EVMaximumCurrentLimit);
        }
        if (q->EVMaximumPowerLimit_isUsed) {
            ev->dc.max_power_w = (int32_t)(iso2_pv_milli(&q->EVMaximumPowerLimit) / 1000);
        }
        ev->dc.charging_complete = q->ChargingComplete;
        ev->dc.bulk_charging_complete = q->BulkChargingComplete_isUsed && q->BulkChargingComplete;
        ev->dc.remaining_full_s = q->RemainingTimeToFullSoC_isUsed
                                   ? (int32_t)(iso2_pv_milli(&q->RemainingTimeToFullSoC) / 1000) : -1;
        ev->dc.remaining_bulk_s = q->RemainingTimeToBulkSoC_isUsed
                                   ? (int32_t)(iso2_pv_milli(&q->RemainingTimeToBulkSoC) / 1000) : -1;
        out->events |= ISO2_EVSE_EV_CURRENT_DEMAND;
        if (ev->dc.charging_complete) {
            out->events |= ISO2_EVSE_EV_CHARGING_COMPLETE;
        }
        m->phase = ISO2_EVSE_CURRENT_DEMAND;
        iso2_evse_receipt_ask(m, st, r, now_ms);
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_metering_receipt(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                      struct iso2_evse_request *out, uint8_t code)
{
    /* Unsigned receipts are accepted in EIM sessions: they never ask for one (ReceiptRequired
     * is not sent), a car that sends one anyway is not refused. A Contract session checks
     * the signature and the MeterInfo (iso2_evse_receipt.c). */
    struct exi_iso2_MeteringReceiptResType *r = &res->V2G_Message.Body.MeteringReceiptRes;
    res->V2G_Message.Body.MeteringReceiptRes_isUsed = true;
    r->DC_EVSEStatus_isUsed = true;
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, iso2_evse_code(st));
    if (code == CODE(OK) && m->contract_ok) {
        code = iso2_evse_receipt_check(m, req, out, code);
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_charging_status(struct iso2_evse *m, struct exi_iso2_document *res, uint8_t code)
{
    /* AC only: on DC it is out of sequence (spec sheet 6, row 5). The mandatory fields
     * are still filled so that the FAILED answer is valid. */
    struct exi_iso2_ChargingStatusResType *r = &res->V2G_Message.Body.ChargingStatusRes;
    res->V2G_Message.Body.ChargingStatusRes_isUsed = true;
    iso2_evse_put_evse_id(r->EVSEID.characters, &r->EVSEID.charactersLen, m);
    r->SAScheduleTupleID = m->offered_tuple != 0 ? m->offered_tuple : 1;
    r->AC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_None;
    if (code == CODE(OK)) {
        code = iso2_evse_refuse(m, CODE(FAILED_SequenceError), "ChargingStatus (AC) in a DC session");
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_welding(struct iso2_evse *m, const struct exi_iso2_document *req,
                             const struct iso2_evse_status *st, struct exi_iso2_document *res,
                             struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_WeldingDetectionResType *r = &res->V2G_Message.Body.WeldingDetectionRes;
    res->V2G_Message.Body.WeldingDetectionRes_isUsed = true;
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, iso2_evse_code(st));
    iso2_pv_set(&r->EVSEPresentVoltage, st->dc.present_voltage_mv, exi_iso2_unitSymbolType_V);
    if (code == CODE(OK)) {
        iso2_evse_take_ev_status(m, &req->V2G_Message.Body.WeldingDetectionReq.DC_EVStatus, out);
        out->events |= ISO2_EVSE_EV_WELDING;
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_on_session_stop(struct iso2_evse *m, const struct exi_iso2_document *req,
                                  struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code)
{
    res->V2G_Message.Body.SessionStopRes_isUsed = true;
    if (code == CODE(OK)) {
        if (req->V2G_Message.Body.SessionStopReq.ChargingSession == exi_iso2_chargingSessionType_Pause) {
            /* [V2G2-739]: pause only after PowerDelivery(Stop) (EvseV2G: the previous message
             * was PowerDelivery or WeldingDetection). */
            if (m->phase != ISO2_EVSE_WELDING) {
                code = iso2_evse_refuse(m, CODE(FAILED), "pause requested before PowerDelivery(Stop)");
            } else {
                out->events |= ISO2_EVSE_EV_SESSION_STOP | ISO2_EVSE_EV_PAUSE | ISO2_EVSE_EV_CLOSE;
                m->phase = ISO2_EVSE_PAUSED;
            }
        } else {
            out->events |= ISO2_EVSE_EV_SESSION_STOP | ISO2_EVSE_EV_CLOSE;
            m->phase = ISO2_EVSE_STOPPED;
        }
    }
    res->V2G_Message.Body.SessionStopRes.ResponseCode = code;
    return code;
}
