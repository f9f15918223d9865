/* DIN SPEC 70121 DC EIM session, EV side (see din_ev.h and docs/din.md). */
#include "din/din_ev.h"

#include <string.h>

#include "hal_clock.h"

void din_ev_default_config(struct din_ev_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->offers[0] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 1, 1};
    cfg->n_offers = 1;
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(cfg->evccid, mac, sizeof mac);
    cfg->evccid_len = sizeof mac;
    cfg->setup_id.len = 8; /* eight zero bytes, as the Ioniq and Tesla send */
    cfg->delay_ms = 20;
    cfg->loop_delay_ms = 100;
    cfg->cd_period_ms = 100;
    cfg->msg_timeout_ms = DIN_MSG_TIMEOUT_MS;
    cfg->msg_timeout_cd_ms = DIN_MSG_TIMEOUT_CD_MS;
    cfg->comm_setup_timeout_ms = DIN_COMM_SETUP_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = DIN_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = DIN_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = DIN_PRECHARGE_TIMEOUT_MS;
    cfg->precharge_current_ma = 1000;
    cfg->precharge_tolerance_mv = 20000;
    cfg->welding_detection = true;
    cfg->welding_max_rounds = 10;
    cfg->welding_done_mv = 40000;
}

void din_ev_profile(struct din_ev_config *cfg, enum din_ev_profile p)
{
    switch (p) {
    case DIN_EV_PROFILE_TESLA:
        cfg->offers[0] = (struct apphand_offer){APPHAND_NS_TESLA, 1, 0, 0, 1};
        cfg->offers[1] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 1, 2};
        cfg->n_offers = 2;
        cfg->trailing_byte_mask = 1u << DIN_MSG_CONTRACT_AUTH;
        cfg->omit_optional = true;
        cfg->delay_ms = 15;
        cfg->loop_delay_ms = 18;
        cfg->precharge_timeout_ms = 12000;
        cfg->precharge_timeout_stops = true;
        cfg->precharge_current_ma = 0;
        break;
    case DIN_EV_PROFILE_IONIQ:
        cfg->start_delay_ms = 4000;
        cfg->delay_ms = 300;
        cfg->loop_delay_ms = 95;
        cfg->cd_period_ms = 180;
        cfg->send_service_category = true;
        cfg->welding_detection = false;
        break;
    case DIN_EV_PROFILE_POLESTAR:
        cfg->offers[0] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 1, 1};
        cfg->offers[1] = (struct apphand_offer){APPHAND_NS_ISO2, 2, 0, 2, 2};
        cfg->n_offers = 2;
        cfg->setup_id.len = 1;
        cfg->delay_ms = 20;
        cfg->loop_delay_ms = 225;
        cfg->cd_period_ms = 235;
        break;
    case DIN_EV_PROFILE_STANDARD:
    default:
        break;
    }
}

void din_ev_default_model(struct din_ev_model *m)
{
    memset(m, 0, sizeof *m);
    m->soc = 50;
    m->ready = true;
    m->battery_voltage_mv = 380000;
    m->target_voltage_mv = 420000;
    m->target_current_ma = 100000;
    m->max_voltage_mv = 420000;
    m->max_current_ma = 200000;
    m->max_power_w = 100000;
    m->capacity_wh = 60000;
    m->energy_request_wh = 30000;
    m->full_soc = 100;
    m->bulk_soc = 80;
    m->remaining_full_s = 3600;
    m->remaining_bulk_s = 1800;
    m->inlet_voltage_mv = -1;
}

int din_ev_start(struct din_ev *ev, const struct din_ev_config *cfg, uint32_t now_ms)
{
    if (ev == NULL || cfg == NULL || cfg->n_offers == 0 || cfg->n_offers > CFG_DIN_EV_OFFERS ||
        cfg->evccid_len > 8 || cfg->setup_id.len > DIN_SESSION_ID_MAX) {
        return HAL_EINVAL;
    }
    memset(ev, 0, sizeof *ev);
    ev->cfg = *cfg;
    din_ev_default_model(&ev->model);
    ev->state = DIN_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, cfg->start_delay_ms);
    ev->chosen_offer = -1;
    ev->service_id = 1;
    ev->evse_code = 0xFF;
    return HAL_OK;
}

int din_ev_start_negotiated(struct din_ev *ev, const struct din_ev_config *cfg, int chosen_offer,
                            uint32_t now_ms)
{
    int rc = din_ev_start(ev, cfg, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    ev->chosen_offer = chosen_offer;
    ev->state = DIN_EV_SESSION_SETUP;
    ev->clk.next_ms = now_ms + cfg->delay_ms;
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

static void s_fail(struct din_ev *ev, const char *why)
{
    ev->state = DIN_EV_FAILED;
    ev->reason = why;
    ev->clk.waiting = false;
    ev->act.cp_c = false;       /* safe shutdown: CP B, own contactors open */
    ev->act.contactors = false;
}

static void s_goto(struct din_ev *ev, enum din_ev_state s, uint32_t now_ms, uint32_t delay)
{
    ev->state = s;
    ev->clk.next_ms = now_ms + delay;
}

static void s_dc_ev_status(const struct din_ev *ev, struct exi_din_DC_EVStatusType *s)
{
    s->EVReady = ev->model.ready;
    s->EVErrorCode = ev->model.error_code <= exi_din_DC_EVErrorCodeType_NoData
                         ? ev->model.error_code : (uint8_t)exi_din_DC_EVErrorCodeType_NoData;
    s->EVRESSSOC = ev->model.soc <= 100 ? ev->model.soc : 100;
}

static enum din_msg s_msg_of(enum din_ev_state s)
{
    switch (s) {
    case DIN_EV_SESSION_SETUP: return DIN_MSG_SESSION_SETUP;
    case DIN_EV_SERVICE_DISCOVERY: return DIN_MSG_SERVICE_DISCOVERY;
    case DIN_EV_PAYMENT_SELECTION: return DIN_MSG_PAYMENT_SELECTION;
    case DIN_EV_CONTRACT_AUTH: return DIN_MSG_CONTRACT_AUTH;
    case DIN_EV_CHARGE_PARAMETER: return DIN_MSG_CHARGE_PARAMETER;
    case DIN_EV_CABLE_CHECK: return DIN_MSG_CABLE_CHECK;
    case DIN_EV_PRECHARGE: return DIN_MSG_PRECHARGE;
    case DIN_EV_POWER_ON:
    case DIN_EV_POWER_OFF: return DIN_MSG_POWER_DELIVERY;
    case DIN_EV_CURRENT_DEMAND: return DIN_MSG_CURRENT_DEMAND;
    case DIN_EV_WELDING: return DIN_MSG_WELDING_DETECTION;
    case DIN_EV_SESSION_STOP: return DIN_MSG_SESSION_STOP;
    default: return DIN_MSG_NONE;
    }
}

/* Loop timers run from the first request of a loop. */
static uint32_t s_loop_elapsed(struct din_ev *ev, uint32_t now_ms)
{
    bool new_loop = ev->loop_state != ev->state;
    ev->loop_state = ev->state;
    return v2g_ev_clock_loop_elapsed(&ev->clk, new_loop, now_ms);
}

static void s_build_din(struct din_ev *ev, uint32_t now_ms)
{
    struct exi_din_document *d = &ev->doc.din;
    struct exi_din_BodyType *b = &d->V2G_Message.Body;
    const struct din_ev_model *m = &ev->model;
    bool opt = !ev->cfg.omit_optional;
    memset(d, 0, sizeof *d);
    d->V2G_Message_isUsed = true;
    din_session_id_to_header(&d->V2G_Message.Header,
                             ev->state == DIN_EV_SESSION_SETUP ? &ev->cfg.setup_id : &ev->id);
    switch (ev->state) {
    case DIN_EV_SESSION_SETUP:
        b->SessionSetupReq_isUsed = true;
        memcpy(b->SessionSetupReq.EVCCID.bytes, ev->cfg.evccid, ev->cfg.evccid_len);
        b->SessionSetupReq.EVCCID.bytesLen = ev->cfg.evccid_len;
        break;
    case DIN_EV_SERVICE_DISCOVERY:
        b->ServiceDiscoveryReq_isUsed = true;
        if (ev->cfg.send_service_category) {
            b->ServiceDiscoveryReq.ServiceCategory = exi_din_serviceCategoryType_EVCharging;
            b->ServiceDiscoveryReq.ServiceCategory_isUsed = true;
        }
        break;
    case DIN_EV_PAYMENT_SELECTION:
        b->ServicePaymentSelectionReq_isUsed = true;
        b->ServicePaymentSelectionReq.SelectedPaymentOption = exi_din_paymentOptionType_ExternalPayment;
        b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = ev->service_id;
        b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
        break;
    case DIN_EV_CONTRACT_AUTH:
        b->ContractAuthenticationReq_isUsed = true;
        break;
    case DIN_EV_CHARGE_PARAMETER: {
        b->ChargeParameterDiscoveryReq_isUsed = true;
        struct exi_din_ChargeParameterDiscoveryReqType *q = &b->ChargeParameterDiscoveryReq;
        q->EVRequestedEnergyTransferType = exi_din_EVRequestedEnergyTransferType_DC_extended;
        q->DC_EVChargeParameter_isUsed = true;
        struct exi_din_DC_EVChargeParameterType *p = &q->DC_EVChargeParameter;
        s_dc_ev_status(ev, &p->DC_EVStatus);
        din_pv_set(&p->EVMaximumCurrentLimit, m->max_current_ma, exi_din_unitSymbolType_A);
        din_pv_set(&p->EVMaximumVoltageLimit, m->max_voltage_mv, exi_din_unitSymbolType_V);
        if (opt && m->max_power_w >= 0) {
            din_pv_set(&p->EVMaximumPowerLimit, (int64_t)m->max_power_w * 1000, exi_din_unitSymbolType_W);
            p->EVMaximumPowerLimit_isUsed = true;
        }
        if (opt && m->capacity_wh >= 0) {
            din_pv_set(&p->EVEnergyCapacity, (int64_t)m->capacity_wh * 1000, exi_din_unitSymbolType_Wh);
            p->EVEnergyCapacity_isUsed = true;
        }
        if (opt && m->energy_request_wh >= 0) {
            din_pv_set(&p->EVEnergyRequest, (int64_t)m->energy_request_wh * 1000, exi_din_unitSymbolType_Wh);
            p->EVEnergyRequest_isUsed = true;
        }
        if (opt && m->full_soc >= 0 && m->full_soc <= 100) {
            p->FullSOC = (uint8_t)m->full_soc;
            p->FullSOC_isUsed = true;
        }
        if (opt && m->bulk_soc >= 0 && m->bulk_soc <= 100) {
            p->BulkSOC = (uint8_t)m->bulk_soc;
            p->BulkSOC_isUsed = true;
        }
        break;
    }
    case DIN_EV_CABLE_CHECK:
        b->CableCheckReq_isUsed = true;
        s_dc_ev_status(ev, &b->CableCheckReq.DC_EVStatus);
        break;
    case DIN_EV_PRECHARGE:
        b->PreChargeReq_isUsed = true;
        s_dc_ev_status(ev, &b->PreChargeReq.DC_EVStatus);
        din_pv_set(&b->PreChargeReq.EVTargetVoltage, m->battery_voltage_mv, exi_din_unitSymbolType_V);
        din_pv_set(&b->PreChargeReq.EVTargetCurrent,
                   ev->cfg.precharge_current_ma > 2000 ? 2000 : ev->cfg.precharge_current_ma,
                   exi_din_unitSymbolType_A);
        break;
    case DIN_EV_POWER_ON:
    case DIN_EV_POWER_OFF: {
        b->PowerDeliveryReq_isUsed = true;
        struct exi_din_PowerDeliveryReqType *q = &b->PowerDeliveryReq;
        q->ReadyToChargeState = ev->state == DIN_EV_POWER_ON;
        q->DC_EVPowerDeliveryParameter_isUsed = true;
        s_dc_ev_status(ev, &q->DC_EVPowerDeliveryParameter.DC_EVStatus);
        q->DC_EVPowerDeliveryParameter.ChargingComplete = m->charging_complete;
        if (opt) {
            q->DC_EVPowerDeliveryParameter.BulkChargingComplete = m->bulk_charging_complete;
            q->DC_EVPowerDeliveryParameter.BulkChargingComplete_isUsed = true;
        }
        break;
    }
    case DIN_EV_CURRENT_DEMAND: {
        b->CurrentDemandReq_isUsed = true;
        struct exi_din_CurrentDemandReqType *q = &b->CurrentDemandReq;
        s_dc_ev_status(ev, &q->DC_EVStatus);
        din_pv_set(&q->EVTargetCurrent, m->target_current_ma, exi_din_unitSymbolType_A);
        din_pv_set(&q->EVTargetVoltage, m->target_voltage_mv, exi_din_unitSymbolType_V);
        q->ChargingComplete = m->charging_complete;
        if (opt) {
            din_pv_set(&q->EVMaximumVoltageLimit, m->max_voltage_mv, exi_din_unitSymbolType_V);
            din_pv_set(&q->EVMaximumCurrentLimit, m->max_current_ma, exi_din_unitSymbolType_A);
            q->EVMaximumVoltageLimit_isUsed = true;
            q->EVMaximumCurrentLimit_isUsed = true;
            if (m->max_power_w >= 0) {
                din_pv_set(&q->EVMaximumPowerLimit, (int64_t)m->max_power_w * 1000, exi_din_unitSymbolType_W);
                q->EVMaximumPowerLimit_isUsed = true;
            }
            q->BulkChargingComplete = m->bulk_charging_complete;
            q->BulkChargingComplete_isUsed = true;
            if (m->remaining_full_s >= 0) {
                din_pv_set(&q->RemainingTimeToFullSoC, (int64_t)m->remaining_full_s * 1000, exi_din_unitSymbolType_s);
                q->RemainingTimeToFullSoC_isUsed = true;
            }
            if (m->remaining_bulk_s >= 0) {
                din_pv_set(&q->RemainingTimeToBulkSoC, (int64_t)m->remaining_bulk_s * 1000, exi_din_unitSymbolType_s);
                q->RemainingTimeToBulkSoC_isUsed = true;
            }
        }
        break;
    }
    case DIN_EV_WELDING:
        b->WeldingDetectionReq_isUsed = true;
        s_dc_ev_status(ev, &b->WeldingDetectionReq.DC_EVStatus);
        break;
    case DIN_EV_SESSION_STOP:
    default:
        b->SessionStopReq_isUsed = true;
        break;
    }
    (void)now_ms;
}

/* Timers that run while no request is out: the loop limits the EV enforces. */
static int s_loop_timers(struct din_ev *ev, uint32_t now_ms)
{
    uint32_t el = s_loop_elapsed(ev, now_ms);
    switch (ev->state) {
    case DIN_EV_CONTRACT_AUTH:
    case DIN_EV_CHARGE_PARAMETER:
        if (el >= ev->cfg.ongoing_timeout_ms) {
            s_fail(ev, "ongoing timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case DIN_EV_CABLE_CHECK:
        if (el >= ev->cfg.cable_check_timeout_ms) {
            s_fail(ev, "cable check timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case DIN_EV_PRECHARGE:
        if (el >= ev->cfg.precharge_timeout_ms) {
            if (ev->cfg.precharge_timeout_stops) {
                ev->reason = "pre-charge timeout: stopped";
                ev->state = DIN_EV_SESSION_STOP; /* the Model Y way: a clean SessionStop */
                return HAL_OK;
            }
            s_fail(ev, "pre-charge timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    default:
        break;
    }
    return HAL_OK;
}

int din_ev_next(struct din_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len)
{
    if (ev == NULL || out == NULL || len == NULL) {
        return HAL_EINVAL;
    }
    *len = 0;
    if (ev->state == DIN_EV_DONE || ev->state == DIN_EV_FAILED || ev->state == DIN_EV_IDLE) {
        return HAL_ESTATE;
    }
    const char *why = NULL;
    int rc = v2g_ev_clock_gate(&ev->clk, ev->state <= DIN_EV_SESSION_SETUP, ev->cfg.comm_setup_timeout_ms,
                               now_ms, &why);
    if (rc == HAL_ETIMEDOUT) {
        s_fail(ev, why);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    rc = s_loop_timers(ev, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    enum din_msg msg = s_msg_of(ev->state);
    if (ev->state == DIN_EV_HANDSHAKE) {
        if (apphand_offer_fill(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers) != HAL_OK) {
            s_fail(ev, "bad protocol offers");
            return HAL_ESTATE;
        }
        rc = exi_apphand_encode(&w, &ev->doc.app);
    } else {
        s_build_din(ev, now_ms);
        rc = exi_din_encode(&w, &ev->doc.din);
    }
    if (rc != HAL_OK) {
        return rc == HAL_ENOMEM ? HAL_ENOMEM : HAL_EPROTO;
    }
    size_t n = exi_writer_len(&w);
    if (ev->cfg.trailing_byte_mask & (1u << msg)) {
        if (n + 1 > cap) {
            return HAL_ENOMEM;
        }
        out[n++] = 0x00;
    }
    *len = n;
    ev->sent = msg;
    v2g_ev_clock_sent(&ev->clk, now_ms,
                      msg == DIN_MSG_CURRENT_DEMAND ? ev->cfg.msg_timeout_cd_ms : ev->cfg.msg_timeout_ms);
    ev->requests++;
    return HAL_OK;
}

static bool s_fault_code(uint8_t code)
{
    return code == exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown ||
           code == exi_din_DC_EVSEStatusCodeType_EVSE_UtilityInterruptEvent ||
           code == exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
           code >= exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

static void s_take_status(struct din_ev *ev, const struct exi_din_DC_EVSEStatusType *s)
{
    ev->evse.status_code = s->EVSEStatusCode;
    ev->evse.notification = s->EVSENotification;
    ev->evse.notification_max_delay_s = s->NotificationMaxDelay;
    ev->evse.isolation_known = s->EVSEIsolationStatus_isUsed;
    ev->evse.isolation = s->EVSEIsolationStatus_isUsed ? s->EVSEIsolationStatus
                                                       : (uint8_t)exi_din_isolationLevelType_Invalid;
}

static int s_handshake_res(struct din_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    int chosen = -1;
    if (exi_apphand_decode(&r, &ev->doc.app) != HAL_OK) {
        s_fail(ev, "undecodable supportedAppProtocolRes");
        return HAL_EPROTO;
    }
    if (apphand_result(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers, &chosen) != HAL_OK) {
        s_fail(ev, "no protocol negotiated");
        return HAL_EPROTO;
    }
    const char *ns = ev->cfg.offers[chosen].ns;
    if (ns == NULL || strcmp(ns, APPHAND_NS_DIN) != 0) {
        s_fail(ev, "EVSE chose a protocol other than DIN 70121");
        return HAL_EPROTO;
    }
    ev->chosen_offer = chosen;
    s_goto(ev, DIN_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms);
    return HAL_OK;
}

int din_ev_receive(struct din_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    if (ev == NULL || exi == NULL) {
        return HAL_EINVAL;
    }
    if (!ev->clk.waiting || ev->state == DIN_EV_DONE || ev->state == DIN_EV_FAILED) {
        return HAL_ESTATE;
    }
    ev->clk.waiting = false;
    ev->responses++;
    if (ev->state == DIN_EV_HANDSHAKE) {
        return s_handshake_res(ev, exi, len, now_ms);
    }
    struct exi_reader r;
    exi_reader_init(&r, exi, len);
    struct exi_din_document *d = &ev->doc.din;
    if (exi_din_decode(&r, d) != HAL_OK) {
        s_fail(ev, "undecodable response");
        return HAL_EPROTO;
    }
    if (din_response_kind(d) != ev->sent) {
        s_fail(ev, "unexpected response");
        return HAL_EPROTO;
    }
    ev->evse_code = din_response_code(d);
    if (!din_response_code_ok(ev->evse_code)) {
        /* the EVSE's verdict, not a protocol error: a clean end the car follows */
        ev->evse_stop = true;
        s_fail(ev, "negative response");
        return HAL_EPROTO;
    }
    struct din_session_id got;
    din_session_id_from_header(&got, &d->V2G_Message.Header);
    if (ev->state == DIN_EV_SESSION_SETUP) {
        if (got.len == 0) {
            s_fail(ev, "no SessionID issued");
            return HAL_EPROTO;
        }
        ev->id = got; /* as received: any length 1..8, leading zeros kept */
    } else if (!din_session_id_equal(&got, &ev->id)) {
        s_fail(ev, "SessionID changed");
        return HAL_EPROTO;
    }

    const struct exi_din_BodyType *b = &d->V2G_Message.Body;
    const struct din_ev_model *m = &ev->model;
    uint32_t dl = ev->cfg.delay_ms;
    uint32_t loop = ev->cfg.loop_delay_ms;
    switch (ev->state) {
    case DIN_EV_SESSION_SETUP: {
        const struct exi_din_SessionSetupResType *s = &b->SessionSetupRes;
        uint16_t n = s->EVSEID.bytesLen <= 32 ? s->EVSEID.bytesLen : 32;
        memcpy(ev->evse.evse_id, s->EVSEID.bytes, n);
        ev->evse.evse_id_len = (uint8_t)n;
        s_goto(ev, DIN_EV_SERVICE_DISCOVERY, now_ms, dl);
        break;
    }
    case DIN_EV_SERVICE_DISCOVERY: {
        const struct exi_din_ServiceDiscoveryResType *s = &b->ServiceDiscoveryRes;
        bool ext = false;
        for (uint16_t i = 0; i < s->PaymentOptions.PaymentOption.arrayLen &&
                             i < CFG_EXI_DIN_PAYMENTOPTIONSTYPE_PAYMENTOPTION_MAX; i++) {
            ext = ext || s->PaymentOptions.PaymentOption.array[i] == exi_din_paymentOptionType_ExternalPayment;
        }
        uint8_t et = s->ChargeService.EnergyTransferType;
        if (!ext) {
            s_fail(ev, "EVSE offers no ExternalPayment");
            return HAL_EPROTO;
        }
        if (et != exi_din_EVSESupportedEnergyTransferType_DC_core &&
            et != exi_din_EVSESupportedEnergyTransferType_DC_extended &&
            et != exi_din_EVSESupportedEnergyTransferType_DC_combo_core &&
            et != exi_din_EVSESupportedEnergyTransferType_DC_dual) {
            s_fail(ev, "EVSE offers no DC charging");
            return HAL_EPROTO;
        }
        ev->service_id = s->ChargeService.ServiceTag.ServiceID;
        s_goto(ev, DIN_EV_PAYMENT_SELECTION, now_ms, dl);
        break;
    }
    case DIN_EV_PAYMENT_SELECTION:
        s_goto(ev, DIN_EV_CONTRACT_AUTH, now_ms, dl);
        break;
    case DIN_EV_CONTRACT_AUTH:
        if (b->ContractAuthenticationRes.EVSEProcessing == exi_din_EVSEProcessingType_Finished) {
            s_goto(ev, DIN_EV_CHARGE_PARAMETER, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    case DIN_EV_CHARGE_PARAMETER: {
        const struct exi_din_ChargeParameterDiscoveryResType *s = &b->ChargeParameterDiscoveryRes;
        if (s->DC_EVSEChargeParameter_isUsed) {
            const struct exi_din_DC_EVSEChargeParameterType *p = &s->DC_EVSEChargeParameter;
            s_take_status(ev, &p->DC_EVSEStatus);
            ev->evse.max_current_ma = din_pv_milli32(&p->EVSEMaximumCurrentLimit);
            ev->evse.max_voltage_mv = din_pv_milli32(&p->EVSEMaximumVoltageLimit);
            ev->evse.max_power_w = p->EVSEMaximumPowerLimit_isUsed
                                       ? (int32_t)(din_pv_milli(&p->EVSEMaximumPowerLimit) / 1000) : -1;
            ev->evse.min_current_ma = din_pv_milli32(&p->EVSEMinimumCurrentLimit);
            ev->evse.min_voltage_mv = din_pv_milli32(&p->EVSEMinimumVoltageLimit);
        } else if (s->EVSEProcessing == exi_din_EVSEProcessingType_Finished) {
            s_fail(ev, "no DC charge parameters");
            return HAL_EPROTO;
        }
        if (s->EVSEProcessing == exi_din_EVSEProcessingType_Finished) {
            ev->act.cp_c = true; /* then lock; CableCheckReq follows */
            s_goto(ev, DIN_EV_CABLE_CHECK, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case DIN_EV_CABLE_CHECK: {
        const struct exi_din_CableCheckResType *s = &b->CableCheckRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        if (ev->evse.isolation_known && ev->evse.isolation == exi_din_isolationLevelType_Fault) {
            s_fail(ev, "isolation fault");
            return HAL_EPROTO;
        }
        if (s_fault_code(ev->evse.status_code)) {
            ev->evse_stop = true;
            s_fail(ev, "EVSE stopped in cable check");
            return HAL_EPROTO;
        }
        if (s->EVSEProcessing == exi_din_EVSEProcessingType_Finished) {
            /* pyPLC reports EVSE_NotReady and no isolation with Finished, and the cars
             * proceed: only a fault code stops here. */
            s_goto(ev, DIN_EV_PRECHARGE, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case DIN_EV_PRECHARGE: {
        const struct exi_din_PreChargeResType *s = &b->PreChargeRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = din_pv_milli32(&s->EVSEPresentVoltage);
        if (s_fault_code(ev->evse.status_code)) {
            ev->evse_stop = true;
            s_fail(ev, "EVSE stopped in pre-charge");
            return HAL_EPROTO;
        }
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        int32_t diff = u - m->battery_voltage_mv;
        if (diff < 0) {
            diff = -diff;
        }
        if (m->stop) {
            s_goto(ev, DIN_EV_SESSION_STOP, now_ms, dl);
        } else if (diff <= ev->cfg.precharge_tolerance_mv) {
            ev->act.contactors = true; /* closed before PowerDeliveryReq(start) */
            s_goto(ev, DIN_EV_POWER_ON, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case DIN_EV_POWER_ON:
        s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        s_goto(ev, DIN_EV_CURRENT_DEMAND, now_ms, dl);
        break;
    case DIN_EV_CURRENT_DEMAND: {
        const struct exi_din_CurrentDemandResType *s = &b->CurrentDemandRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = din_pv_milli32(&s->EVSEPresentVoltage);
        ev->evse.present_current_ma = din_pv_milli32(&s->EVSEPresentCurrent);
        ev->evse.current_limit_achieved = s->EVSECurrentLimitAchieved;
        ev->evse.voltage_limit_achieved = s->EVSEVoltageLimitAchieved;
        ev->evse.power_limit_achieved = s->EVSEPowerLimitAchieved;
        if (s->EVSEMaximumVoltageLimit_isUsed) {
            ev->evse.max_voltage_mv = din_pv_milli32(&s->EVSEMaximumVoltageLimit);
        }
        if (s->EVSEMaximumCurrentLimit_isUsed) {
            ev->evse.max_current_ma = din_pv_milli32(&s->EVSEMaximumCurrentLimit);
        }
        if (s->EVSEMaximumPowerLimit_isUsed) {
            ev->evse.max_power_w = (int32_t)(din_pv_milli(&s->EVSEMaximumPowerLimit) / 1000);
        }
        /* Any status other than EVSE_Ready, or StopCharging, ends charging (Josev's rule);
         * so does the car's own wish. */
        bool evse_stop = ev->evse.status_code != exi_din_DC_EVSEStatusCodeType_EVSE_Ready ||
                         ev->evse.notification == exi_din_EVSENotificationType_StopCharging;
        if (evse_stop || m->stop || m->charging_complete ||
            m->error_code != exi_din_DC_EVErrorCodeType_NO_ERROR) {
            ev->reason = evse_stop ? "EVSE asked to stop" : "EV stopped";
            ev->evse_stop = evse_stop;
            s_goto(ev, DIN_EV_POWER_OFF, now_ms, dl);
        } else {
            uint32_t at = ev->clk.sent_ms + ev->cfg.cd_period_ms;
            uint32_t earliest = now_ms + dl;
            ev->clk.next_ms = hal_time_diff(at, earliest) > 0 ? at : earliest;
        }
        break;
    }
    case DIN_EV_POWER_OFF:
        s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        ev->act.cp_c = false;       /* CP B, then open own contactors */
        ev->act.contactors = false;
        s_goto(ev, ev->cfg.welding_detection ? DIN_EV_WELDING : DIN_EV_SESSION_STOP, now_ms, dl);
        break;
    case DIN_EV_WELDING: {
        const struct exi_din_WeldingDetectionResType *s = &b->WeldingDetectionRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = din_pv_milli32(&s->EVSEPresentVoltage);
        ev->welding_rounds++;
        /* The EVSE's voltage ends the check, unless the car's own check is still running
         * (model.welding_pending: the Josev lab car asks four times at 0 V). */
        if ((ev->evse.present_voltage_mv < ev->cfg.welding_done_mv && !m->welding_pending) ||
            ev->welding_rounds >= ev->cfg.welding_max_rounds) {
            s_goto(ev, DIN_EV_SESSION_STOP, now_ms, dl);
        } else {
            ev->clk.next_ms = now_ms + loop;
        }
        break;
    }
    case DIN_EV_SESSION_STOP:
        ev->state = DIN_EV_DONE;
        if (ev->reason[0] == '\0') {
            ev->reason = "session stopped";
        }
        ev->act.cp_c = false;
        ev->act.contactors = false;
        break;
    default:
        s_fail(ev, "response in an unexpected state");
        return HAL_EPROTO;
    }
    return HAL_OK;
}

uint32_t din_ev_deadline(const struct din_ev *ev)
{
    return v2g_ev_clock_wake(&ev->clk);
}

enum din_ev_state din_ev_state(const struct din_ev *ev)
{
    return ev->state;
}

const char *din_ev_state_name(enum din_ev_state s)
{
    static const char *const names[DIN_EV_STATE_COUNT] = {
        "idle",          "handshake",      "session_setup", "service_discovery",
        "payment_selection", "contract_auth", "charge_parameter", "cable_check",
        "precharge",     "power_on",       "current_demand", "power_off",
        "welding_detection", "session_stop", "done",        "failed",
    };
    return (unsigned)s < DIN_EV_STATE_COUNT ? names[s] : "?";
}

const char *din_ev_reason(const struct din_ev *ev)
{
    return ev->reason != NULL ? ev->reason : "";
}

const struct din_ev_evse *din_ev_evse(const struct din_ev *ev)
{
    return &ev->evse;
}

bool din_ev_evse_stopped(const struct din_ev *ev)
{
    return ev->evse_stop;
}

const struct din_ev_actions *din_ev_actions(const struct din_ev *ev)
{
    return &ev->act;
}
