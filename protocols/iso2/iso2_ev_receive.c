/* iso2_ev_receive.c - ISO 15118-2 EV side: each response the SECC sends, checked as a car
 * checks it (protocol chosen, SessionID, ResponseCode, payment and energy modes, schedule,
 * EVSE status), and the state it leads to: schedule choice, pre-charge match, stop, pause,
 * renegotiation, welding detection (iso2_ev_priv.h). */
#include "iso2/iso2_ev_priv.h"

#include <string.h>

#include "hal_clock.h"

/* FAILED with the ResponseCode's name in the reason ("FAILED_TariffSelectionInvalid in
 * PowerDeliveryRes"), so the session record says what the charger refused. */
static void s_fail_code(struct iso2_ev *ev, uint8_t code)
{
    size_t o = 0;
    const char *parts[] = {iso2_response_code_name(code), " in ", iso2_msg_name(ev->sent), "Res"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = strlen(parts[i]);
        n = o + n < sizeof ev->reason_buf - 1 ? n : sizeof ev->reason_buf - 1 - o;
        memcpy(ev->reason_buf + o, parts[i], n);
        o += n;
    }
    ev->reason_buf[o] = '\0';
    iso2_ev_fail(ev, ev->reason_buf);
}

static bool s_fault_code(uint8_t code)
{
    return code == exi_iso2_DC_EVSEStatusCodeType_EVSE_Shutdown ||
           code == exi_iso2_DC_EVSEStatusCodeType_EVSE_UtilityInterruptEvent ||
           code == exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
           code >= exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static void s_take_status(struct iso2_ev *ev, const struct exi_iso2_DC_EVSEStatusType *s)
{
    ev->evse.status_code = s->EVSEStatusCode;
    ev->evse.notification = s->EVSENotification;
    ev->evse.notification_max_delay_s = s->NotificationMaxDelay;
    ev->evse.isolation_known = s->EVSEIsolationStatus_isUsed;
    ev->evse.isolation = s->EVSEIsolationStatus_isUsed ? s->EVSEIsolationStatus
                                                       : (uint8_t)exi_iso2_isolationLevelType_Invalid;
}

static int s_handshake_res(struct iso2_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    int chosen = -1;
    if (exi_apphand_decode(&r, &ev->doc.app) != HAL_OK) {
        iso2_ev_fail(ev, "undecodable supportedAppProtocolRes");
        return HAL_EPROTO;
    }
    if (apphand_result(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers, &chosen) != HAL_OK) {
        iso2_ev_fail(ev, "no protocol negotiated");
        return HAL_EPROTO;
    }
    const char *ns = ev->cfg.offers[chosen].ns;
    ev->chosen_offer = chosen;
    if (ns != NULL && strcmp(ns, APPHAND_NS_ISO2) == 0) {
        iso2_ev_goto(ev, ISO2_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    if (ns != NULL && strcmp(ns, APPHAND_NS_DIN) == 0 && ev->cfg.misbehave == ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN) {
        iso2_ev_goto(ev, ISO2_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms); /* the wrong schema on purpose */
        return HAL_OK;
    }
    if (ns != NULL && strcmp(ns, APPHAND_NS_DIN) == 0) {
        ev->state = ISO2_EV_DIN_CHOSEN; /* the caller continues with the DIN machine */
        ev->reason = "SECC chose DIN 70121";
        return HAL_OK;
    }
    iso2_ev_fail(ev, "SECC chose a protocol this car does not speak");
    return HAL_EPROTO;
}

/* Keep the chosen tuple's PMaxSchedule: the profile is built from it and CurrentDemand
 * follows it. The first tuple is taken: the SECC lists them in its order of preference. */
static int s_take_schedule(struct iso2_ev *ev, const struct exi_iso2_ChargeParameterDiscoveryResType *s)
{
    if (!s->SAScheduleList_isUsed || s->SAScheduleList.SAScheduleTuple.arrayLen == 0) {
        return HAL_EPROTO;
    }
    const struct exi_iso2_SAScheduleTupleType *t = &s->SAScheduleList.SAScheduleTuple.array[0];
    uint16_t n = t->PMaxSchedule.PMaxScheduleEntry.arrayLen;
    if (t->SAScheduleTupleID == 0 || n == 0) {
        return HAL_EPROTO;
    }
    n = n <= CFG_EXI_ISO2_PMAXSCHEDULETYPE_PMAXSCHEDULEENTRY_MAX ? n
                                                                 : (uint16_t)CFG_EXI_ISO2_PMAXSCHEDULETYPE_PMAXSCHEDULEENTRY_MAX;
    ev->evse.tuple_id = t->SAScheduleTupleID;
    uint16_t nt = s->SAScheduleList.SAScheduleTuple.arrayLen;
    nt = nt <= CFG_EXI_ISO2_SASCHEDULELISTTYPE_SASCHEDULETUPLE_MAX ? nt : (uint16_t)CFG_EXI_ISO2_SASCHEDULELISTTYPE_SASCHEDULETUPLE_MAX;
    for (uint16_t i = 0; i < nt; i++) {
        ev->evse.offered_ids[i] = s->SAScheduleList.SAScheduleTuple.array[i].SAScheduleTupleID;
    }
    ev->evse.n_offered = (uint8_t)nt;
    for (uint16_t i = 0; i < n; i++) {
        const struct exi_iso2_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[i];
        int64_t w = iso2_pv_milli(&e->PMax) / 1000;
        ev->evse.pmax_start_s[i] = e->RelativeTimeInterval.start;
        ev->evse.pmax_w[i] = w > INT32_MAX ? INT32_MAX : w < 0 ? 0 : (int32_t)w;
    }
    ev->evse.n_pmax = (uint8_t)n;
    return HAL_OK;
}

static int s_check_header(struct iso2_ev *ev, const struct exi_iso2_document *d)
{
    struct iso2_session_id got;
    iso2_session_id_from_header(&got, &d->V2G_Message.Header);
    if (ev->state == ISO2_EV_SESSION_SETUP) {
        uint8_t code = d->V2G_Message.Body.SessionSetupRes.ResponseCode;
        if (got.len == 0) {
            iso2_ev_fail(ev, "no SessionID issued");
            return HAL_EPROTO;
        }
        if (code == exi_iso2_responseCodeType_OK_OldSessionJoined &&
            (!ev->have_session || !iso2_session_id_equal(&got, &ev->id))) {
            iso2_ev_fail(ev, "OK_OldSessionJoined with another SessionID");
            return HAL_EPROTO;
        }
        ev->evse.resumed = code == exi_iso2_responseCodeType_OK_OldSessionJoined;
        ev->id = got; /* as received: any length 1..8, leading zeros kept */
        ev->have_session = true;
        return HAL_OK;
    }
    if (!iso2_session_id_equal(&got, &ev->id)) {
        iso2_ev_fail(ev, "SessionID changed");
        return HAL_EPROTO;
    }
    return HAL_OK;
}

static int s_service_discovery(struct iso2_ev *ev, const struct exi_iso2_ServiceDiscoveryResType *s,
                               uint32_t now_ms)
{
    bool ext = false, contract = false;
    for (uint16_t i = 0; i < s->PaymentOptionList.PaymentOption.arrayLen &&
                         i < CFG_EXI_ISO2_PAYMENTOPTIONLISTTYPE_PAYMENTOPTION_MAX; i++) {
        ext = ext || s->PaymentOptionList.PaymentOption.array[i] == exi_iso2_paymentOptionType_ExternalPayment;
        contract = contract || s->PaymentOptionList.PaymentOption.array[i] == exi_iso2_paymentOptionType_Contract;
    }
    /* A car with a contract pays with it where the SECC lists Contract (it does so only
     * over TLS); elsewhere it pays externally like any car. */
    /* A car that comes to install its contract has none yet: it selects Contract too. */
    bool installs = ev->cfg.cert != NULL && ev->cfg.cert->check != NULL &&
                    (!ev->cfg.cert->update || ev->cfg.contract != NULL);
    ev->contract = contract && (ev->cfg.contract != NULL || installs);
    ev->auth_signed = false;
    ev->cert_wanted = false;
    for (uint16_t i = 0; installs && ev->contract && s->ServiceList_isUsed && i < s->ServiceList.Service.arrayLen &&
                         i < CFG_EXI_ISO2_SERVICELISTTYPE_SERVICE_MAX; i++) {
        ev->cert_wanted = ev->cert_wanted || s->ServiceList.Service.array[i].ServiceID == 2u;
    }
    if (installs && ev->cfg.contract == NULL && !ev->cert_wanted) {
        iso2_ev_fail(ev, contract ? "SECC offers no certificate installation (ServiceID 2)"
                                  : "SECC offers no Contract payment: no certificate installation");
        return HAL_EPROTO;
    }
    bool dc = false;
    const struct exi_iso2_SupportedEnergyTransferModeType *m = &s->ChargeService.SupportedEnergyTransferMode;
    for (uint16_t i = 0; i < m->EnergyTransferMode.arrayLen &&
                         i < CFG_EXI_ISO2_SUPPORTEDENERGYTRANSFERMODETYPE_ENERGYTRANSFERMODE_MAX; i++) {
        dc = dc || m->EnergyTransferMode.array[i] == exi_iso2_EnergyTransferModeType_DC_extended;
    }
    if (!ext && !ev->contract) {
        iso2_ev_fail(ev, "SECC offers no ExternalPayment");
        return HAL_EPROTO;
    }
    if (!dc) {
        iso2_ev_fail(ev, "SECC offers no DC_extended charging");
        return HAL_EPROTO;
    }
    bool listed = false;
    for (uint16_t i = 0; s->ServiceList_isUsed && i < s->ServiceList.Service.arrayLen &&
                         i < CFG_EXI_ISO2_SERVICELISTTYPE_SERVICE_MAX; i++) {
        listed = listed || (ev->cfg.detail_service_id != 0 &&
                            s->ServiceList.Service.array[i].ServiceID == ev->cfg.detail_service_id);
    }
    /* ServiceDetail only for a service the car wants and the SECC lists: a charger that
     * refused an unasked ServiceDetailReq ended sessions (spec §1.5). */
    iso2_ev_goto(ev, listed ? ISO2_EV_SERVICE_DETAIL : ISO2_EV_PAYMENT_SELECTION, now_ms, ev->cfg.delay_ms);
    return HAL_OK;
}

int iso2_ev_receive(struct iso2_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    if (ev == NULL || exi == NULL) {
        return HAL_EINVAL;
    }
    if (!ev->clk.waiting || iso2_ev_state_over(ev->state)) {
        return HAL_ESTATE;
    }
    ev->clk.waiting = false;
    ev->responses++;
    if (ev->state == ISO2_EV_HANDSHAKE) {
        return s_handshake_res(ev, exi, len, now_ms);
    }
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    struct exi_iso2_document *d = &ev->doc.iso2;
    if (exi_iso2_decode(&r, d) != HAL_OK) {
        iso2_ev_fail(ev, "undecodable response");
        return HAL_EPROTO;
    }
    if (iso2_response_kind(d) != ev->sent) {
        iso2_ev_fail(ev, "unexpected response");
        return HAL_EPROTO;
    }
    uint8_t code = iso2_response_code(d);
    ev->evse.last_code = code;
    if (!iso2_response_code_ok(code)) {
        s_fail_code(ev, code);
        return HAL_EPROTO;
    }
    if (s_check_header(ev, d) != HAL_OK) {
        return HAL_EPROTO;
    }

    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    const struct iso2_ev_model *m = &ev->model;
    uint32_t dl = ev->cfg.delay_ms;
    uint32_t loop = ev->cfg.loop_delay_ms;
    switch (ev->state) {
    case ISO2_EV_SESSION_SETUP: {
        const struct exi_iso2_SessionSetupResType *s = &b->SessionSetupRes;
        size_t n = s->EVSEID.charactersLen < sizeof ev->evse.evse_id ? s->EVSEID.charactersLen
                                                                       : sizeof ev->evse.evse_id - 1;
        memcpy(ev->evse.evse_id, s->EVSEID.characters, n);
        ev->evse.evse_id[n] = '\0';
        iso2_ev_goto(ev, ISO2_EV_SERVICE_DISCOVERY, now_ms, dl);
        break;
    }
    case ISO2_EV_SERVICE_DISCOVERY:
        ev->detail_param_set = -1;
        return s_service_discovery(ev, &b->ServiceDiscoveryRes, now_ms);
    case ISO2_EV_SERVICE_DETAIL: {
        const struct exi_iso2_ServiceDetailResType *s = &b->ServiceDetailRes;
        if (s->ServiceID != ev->cfg.detail_service_id) {
            iso2_ev_fail(ev, "ServiceDetailRes for another service");
            return HAL_EPROTO;
        }
        /* The first parameter set is the one the car takes. */
        if (s->ServiceParameterList_isUsed && s->ServiceParameterList.ParameterSet.arrayLen > 0) {
            ev->detail_param_set = s->ServiceParameterList.ParameterSet.array[0].ParameterSetID;
        }
        iso2_ev_goto(ev, ISO2_EV_PAYMENT_SELECTION, now_ms, dl);
        break;
    }
    case ISO2_EV_PAYMENT_SELECTION:
        iso2_ev_goto(ev, ev->cert_wanted ? ISO2_EV_CERTIFICATE
                         : ev->contract  ? ISO2_EV_PAYMENT_DETAILS
                                         : ISO2_EV_AUTHORIZATION,
                     now_ms, dl);
        break;
    case ISO2_EV_CERTIFICATE: {
        /* the answer checked (provider chain and signature), the new contract taken */
        const char *cw = "certificate answer refused";
        if (ev->cfg.cert->check(ev, &ev->doc.iso2, &cw) != HAL_OK) {
            iso2_ev_fail(ev, cw);
            return HAL_EPROTO;
        }
        iso2_ev_goto(ev, ISO2_EV_PAYMENT_DETAILS, now_ms, dl);
        break;
    }
    case ISO2_EV_PAYMENT_DETAILS: {
        /* [V2G2-825]: 16 bytes, what the AuthorizationReq must carry back signed */
        const struct exi_iso2_PaymentDetailsResType *s = &b->PaymentDetailsRes;
        if (s->GenChallenge.bytesLen != sizeof ev->challenge) {
            iso2_ev_fail(ev, "PaymentDetailsRes without a 16-byte GenChallenge");
            return HAL_EPROTO;
        }
        memcpy(ev->challenge, s->GenChallenge.bytes, sizeof ev->challenge);
        iso2_ev_goto(ev, ISO2_EV_AUTHORIZATION, now_ms, dl);
        break;
    }
    case ISO2_EV_AUTHORIZATION:
        if (b->AuthorizationRes.EVSEProcessing == exi_iso2_EVSEProcessingType_Finished) {
            iso2_ev_goto(ev, ISO2_EV_CHARGE_PARAMETER, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop; /* Ongoing or WaitingForCustomerInteraction */
        }
        break;
    case ISO2_EV_CHARGE_PARAMETER: {
        const struct exi_iso2_ChargeParameterDiscoveryResType *s = &b->ChargeParameterDiscoveryRes;
        if (s->EVSEProcessing != exi_iso2_EVSEProcessingType_Finished) {
            ev->clk.next_ms = now_ms + loop; /* the schedule may be absent while Ongoing */
            break;
        }
        if (!s->DC_EVSEChargeParameter_isUsed) {
            iso2_ev_fail(ev, "no DC charge parameters");
            return HAL_EPROTO;
        }
        if (s_take_schedule(ev, s) != HAL_OK) {
            iso2_ev_fail(ev, "no usable SAScheduleList");
            return HAL_EPROTO;
        }
        const struct exi_iso2_DC_EVSEChargeParameterType *p = &s->DC_EVSEChargeParameter;
        s_take_status(ev, &p->DC_EVSEStatus);
        ev->evse.max_current_ma = iso2_pv_milli32(&p->EVSEMaximumCurrentLimit);
        ev->evse.max_voltage_mv = iso2_pv_milli32(&p->EVSEMaximumVoltageLimit);
        int64_t pw = iso2_pv_milli(&p->EVSEMaximumPowerLimit) / 1000;
        ev->evse.max_power_w = pw > INT32_MAX ? INT32_MAX : (int32_t)pw;
        ev->evse.min_current_ma = iso2_pv_milli32(&p->EVSEMinimumCurrentLimit);
        ev->evse.min_voltage_mv = iso2_pv_milli32(&p->EVSEMinimumVoltageLimit);
        ev->act.cp_c = true; /* then lock; CableCheckReq follows (after a renegotiation too) */
        if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_PAUSE_IN_CABLE_CHECK) {
            ev->pausing = true; /* a pause where the standard allows none */
            iso2_ev_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl);
            break;
        }
        iso2_ev_goto(ev, ISO2_EV_CABLE_CHECK, now_ms, dl);
        break;
    }
    case ISO2_EV_CABLE_CHECK: {
        const struct exi_iso2_CableCheckResType *s = &b->CableCheckRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        if (ev->evse.isolation_known && ev->evse.isolation == exi_iso2_isolationLevelType_Fault) {
            iso2_ev_fail(ev, "isolation fault");
            return HAL_EPROTO;
        }
        if (s_fault_code(ev->evse.status_code)) {
            iso2_ev_fail(ev, "EVSE stopped in cable check");
            return HAL_EPROTO;
        }
        if (s->EVSEProcessing == exi_iso2_EVSEProcessingType_Finished) {
            iso2_ev_goto(ev, ISO2_EV_PRECHARGE, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case ISO2_EV_PRECHARGE: {
        const struct exi_iso2_PreChargeResType *s = &b->PreChargeRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = iso2_pv_milli32(&s->EVSEPresentVoltage);
        if (s_fault_code(ev->evse.status_code)) {
            iso2_ev_fail(ev, "EVSE stopped in pre-charge");
            return HAL_EPROTO;
        }
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        int32_t diff = u - m->battery_voltage_mv;
        diff = diff < 0 ? -diff : diff;
        if (m->stop) {
            ev->reason = "EV stopped in pre-charge";
            iso2_ev_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl); /* Terminate: a pause needs PowerDelivery(Stop) first */
        } else if (diff <= ev->cfg.precharge_tolerance_mv) {
            ev->act.contactors = true; /* closed before PowerDeliveryReq(Start) */
            if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_CD_BEFORE_POWER_DELIVERY) {
                ev->charge_start_ms = now_ms;
                iso2_ev_goto(ev, ISO2_EV_CURRENT_DEMAND, now_ms, dl);
                break;
            }
            iso2_ev_goto(ev, ISO2_EV_POWER_ON, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case ISO2_EV_POWER_ON:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        }
        ev->charge_start_ms = now_ms; /* the schedule's time 0 */
        iso2_ev_goto(ev, ISO2_EV_CURRENT_DEMAND, now_ms, dl);
        break;
    case ISO2_EV_CURRENT_DEMAND: {
        const struct exi_iso2_CurrentDemandResType *s = &b->CurrentDemandRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = iso2_pv_milli32(&s->EVSEPresentVoltage);
        ev->evse.present_current_ma = iso2_pv_milli32(&s->EVSEPresentCurrent);
        ev->evse.current_limit_achieved = s->EVSECurrentLimitAchieved;
        ev->evse.voltage_limit_achieved = s->EVSEVoltageLimitAchieved;
        ev->evse.power_limit_achieved = s->EVSEPowerLimitAchieved;
        if (s->EVSEMaximumVoltageLimit_isUsed) {
            ev->evse.max_voltage_mv = iso2_pv_milli32(&s->EVSEMaximumVoltageLimit);
        }
        if (s->EVSEMaximumCurrentLimit_isUsed) {
            ev->evse.max_current_ma = iso2_pv_milli32(&s->EVSEMaximumCurrentLimit);
        }
        if (s->EVSEMaximumPowerLimit_isUsed) {
            int64_t pw = iso2_pv_milli(&s->EVSEMaximumPowerLimit) / 1000;
            ev->evse.max_power_w = pw > INT32_MAX ? INT32_MAX : (int32_t)pw;
        }
        if (ev->contract && s->ReceiptRequired_isUsed && s->ReceiptRequired) {
            /* [V2G2-691]: a Contract car signs the MeterInfo before anything else (even
             * PowerDelivery(Stop): RISE-V2G#66); stop or renegotiation wait for the next
             * CurrentDemandRes. An EIM car has nothing to sign with and goes on. */
            if (!s->MeterInfo_isUsed) {
                iso2_ev_fail(ev, "ReceiptRequired without MeterInfo");
                return HAL_EPROTO;
            }
            ev->receipt_info = s->MeterInfo;
            iso2_ev_goto(ev, ISO2_EV_METERING_RECEIPT, now_ms, dl);
            break;
        }
        /* A SAScheduleTupleID other than ours is tolerated: the DS5366 reports 1 while
         * the car chose 10 and the session is fine (spec §5.3). */
        bool evse_stop = ev->evse.status_code != exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready ||
                         ev->evse.notification == exi_iso2_EVSENotificationType_StopCharging;
        if (evse_stop || m->stop || m->charging_complete ||
            m->error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            ev->reason = evse_stop ? "EVSE asked to stop" : m->pause ? "EV paused" : "EV stopped";
            ev->pausing = !evse_stop && m->pause;
            iso2_ev_goto(ev, ISO2_EV_POWER_OFF, now_ms, dl);
        } else if (ev->evse.notification == exi_iso2_EVSENotificationType_ReNegotiation || m->renegotiate) {
            ev->renegotiations++;
            iso2_ev_goto(ev, ISO2_EV_RENEGOTIATE, now_ms, dl);
        } else {
            uint32_t at = ev->clk.sent_ms + ev->cfg.cd_period_ms;
            uint32_t earliest = now_ms + dl;
            ev->clk.next_ms = hal_time_diff(at, earliest) > 0 ? at : earliest;
        }
        break;
    }
    case ISO2_EV_METERING_RECEIPT:
        if (b->MeteringReceiptRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->MeteringReceiptRes.DC_EVSEStatus);
        }
        ev->receipts++;
        iso2_ev_goto(ev, ISO2_EV_CURRENT_DEMAND, now_ms, dl);
        break;
    case ISO2_EV_RENEGOTIATE:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        }
        /* No current while the new schedule is agreed: the DC path repeats CableCheck and
         * PreCharge (EvseV2G, Josev), so the car opens its contactors; CP stays C. */
        ev->act.contactors = false;
        ev->evse.n_pmax = 0;
        iso2_ev_goto(ev, ISO2_EV_CHARGE_PARAMETER, now_ms, dl);
        break;
    case ISO2_EV_POWER_OFF:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        }
        ev->act.cp_c = false;       /* CP B, then open own contactors */
        ev->act.contactors = false;
        ev->welding_rounds = 0;
        iso2_ev_goto(ev, ev->cfg.welding_detection ? ISO2_EV_WELDING : ISO2_EV_SESSION_STOP, now_ms, dl);
        break;
    case ISO2_EV_WELDING: {
        const struct exi_iso2_WeldingDetectionResType *s = &b->WeldingDetectionRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = iso2_pv_milli32(&s->EVSEPresentVoltage);
        ev->welding_rounds++;
        /* The car's own inlet measurement when it has one, else the EVSE's. */
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        if (u < ev->cfg.welding_done_mv || ev->welding_rounds >= ev->cfg.welding_max_rounds) {
            iso2_ev_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case ISO2_EV_SESSION_STOP:
        ev->act.cp_c = false;
        ev->act.contactors = false;
        if (ev->sent_progress == exi_iso2_chargingSessionType_Pause) {
            ev->state = ISO2_EV_PAUSED;
            ev->reason = "session paused";
        } else {
            ev->state = ISO2_EV_DONE;
            if (ev->reason[0] == '\0') {
                ev->reason = "session stopped";
            }
        }
        break;
    default:
        iso2_ev_fail(ev, "response in an unexpected state");
        return HAL_EPROTO;
    }
    return HAL_OK;
}
