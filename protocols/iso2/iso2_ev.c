/* ISO 15118-2 DC EIM session, EV side: the request sequence, the EV timers, the checks a
 * car applies to the SECC's answers, schedule choice, renegotiation and pause/resume
 * (see iso2_ev.h and docs/iso2_ev.md). */
#include "iso2/iso2_ev.h"

#include <string.h>

#include "hal_clock.h"

void iso2_ev_default_config(struct iso2_ev_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->offers[0] = (struct apphand_offer){APPHAND_NS_ISO2, 2, 0, 1, 1};
    cfg->n_offers = 1;
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(cfg->evccid, mac, sizeof mac);
    cfg->evccid_len = sizeof mac;
    cfg->setup_id.len = 8; /* eight zero bytes, as dSPACE and RISE-V2G send */
    cfg->send_charging_profile = true;
    cfg->delay_ms = 20;
    cfg->loop_delay_ms = 100;
    cfg->cd_period_ms = 100;
    cfg->msg_timeout_ms = ISO2_EV_MSG_TIMEOUT_MS;
    cfg->msg_timeout_long_ms = ISO2_EV_MSG_TIMEOUT_LONG_MS;
    cfg->msg_timeout_cd_ms = ISO2_EV_MSG_TIMEOUT_CD_MS;
    cfg->comm_setup_timeout_ms = ISO2_EV_COMM_SETUP_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO2_EV_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO2_EV_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO2_EV_PRECHARGE_TIMEOUT_MS;
    cfg->precharge_current_ma = 1000;
    cfg->precharge_tolerance_mv = 20000;
    cfg->welding_detection = true;
    cfg->welding_max_rounds = 10;
    cfg->welding_done_mv = 40000;
}

void iso2_ev_offer_din_too(struct iso2_ev_config *cfg)
{
    if (cfg->n_offers < CFG_ISO2_EV_OFFERS) {
        cfg->offers[cfg->n_offers++] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 2, 2};
    }
}

void iso2_ev_default_model(struct iso2_ev_model *m)
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

static bool s_offers_iso2(const struct iso2_ev_config *cfg)
{
    for (uint8_t i = 0; i < cfg->n_offers; i++) {
        if (cfg->offers[i].ns != NULL && strcmp(cfg->offers[i].ns, APPHAND_NS_ISO2) == 0) {
            return true;
        }
    }
    return false;
}

int iso2_ev_start(struct iso2_ev *ev, const struct iso2_ev_config *cfg, uint32_t now_ms)
{
    if (ev == NULL || cfg == NULL || cfg->n_offers == 0 || cfg->n_offers > CFG_ISO2_EV_OFFERS ||
        !s_offers_iso2(cfg) || cfg->evccid_len > 6 || cfg->setup_id.len > ISO2_SESSION_ID_MAX) {
        return HAL_EINVAL;
    }
    memset(ev, 0, sizeof *ev);
    ev->cfg = *cfg;
    iso2_ev_default_model(&ev->model);
    ev->state = ISO2_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, cfg->start_delay_ms);
    ev->chosen_offer = -1;
    ev->detail_param_set = -1;
    return HAL_OK;
}

int iso2_ev_resume(struct iso2_ev *ev, uint32_t now_ms)
{
    if (ev == NULL || ev->state != ISO2_EV_PAUSED || !ev->have_session) {
        return HAL_ESTATE;
    }
    ev->state = ISO2_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, ev->cfg.start_delay_ms);
    ev->loop_state = ISO2_EV_IDLE;
    ev->chosen_offer = -1;
    ev->pausing = false;
    ev->welding_rounds = 0;
    ev->evse.resumed = false;
    ev->model.pause = false; /* the pause is over; a new one needs a new wish */
    ev->model.stop = false;
    ev->resumes++;
    if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID && ev->id.len > 0) {
        ev->id.bytes[ev->id.len - 1] ^= 0xA5; /* an ID the SECC never issued */
    }
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

static void s_fail(struct iso2_ev *ev, const char *why)
{
    ev->state = ISO2_EV_FAILED;
    ev->reason = why;
    ev->clk.waiting = false;
    ev->act.cp_c = false;       /* safe shutdown: CP B, own contactors open */
    ev->act.contactors = false;
}

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
    s_fail(ev, ev->reason_buf);
}

static void s_goto(struct iso2_ev *ev, enum iso2_ev_state s, uint32_t now_ms, uint32_t delay)
{
    ev->state = s;
    ev->clk.next_ms = now_ms + delay;
}

static void s_dc_ev_status(const struct iso2_ev *ev, struct exi_iso2_DC_EVStatusType *s)
{
    s->EVReady = ev->model.ready;
    s->EVErrorCode = ev->model.error_code <= exi_iso2_DC_EVErrorCodeType_NoData
                         ? ev->model.error_code : (uint8_t)exi_iso2_DC_EVErrorCodeType_NoData;
    s->EVRESSSOC = ev->model.soc <= 100 ? ev->model.soc : 100;
}

static enum iso2_msg s_msg_of(enum iso2_ev_state s)
{
    switch (s) {
    case ISO2_EV_SESSION_SETUP: return ISO2_MSG_SESSION_SETUP;
    case ISO2_EV_SERVICE_DISCOVERY: return ISO2_MSG_SERVICE_DISCOVERY;
    case ISO2_EV_SERVICE_DETAIL: return ISO2_MSG_SERVICE_DETAIL;
    case ISO2_EV_PAYMENT_SELECTION: return ISO2_MSG_PAYMENT_SELECTION;
    case ISO2_EV_AUTHORIZATION: return ISO2_MSG_AUTHORIZATION;
    case ISO2_EV_CHARGE_PARAMETER: return ISO2_MSG_CHARGE_PARAMETER;
    case ISO2_EV_CABLE_CHECK: return ISO2_MSG_CABLE_CHECK;
    case ISO2_EV_PRECHARGE: return ISO2_MSG_PRECHARGE;
    case ISO2_EV_POWER_ON:
    case ISO2_EV_RENEGOTIATE:
    case ISO2_EV_POWER_OFF: return ISO2_MSG_POWER_DELIVERY;
    case ISO2_EV_CURRENT_DEMAND: return ISO2_MSG_CURRENT_DEMAND;
    case ISO2_EV_WELDING: return ISO2_MSG_WELDING_DETECTION;
    case ISO2_EV_SESSION_STOP: return ISO2_MSG_SESSION_STOP;
    default: return ISO2_MSG_NONE;
    }
}

/* Loop timers run from the first request of a loop. */
static uint32_t s_loop_elapsed(struct iso2_ev *ev, uint32_t now_ms)
{
    bool new_loop = ev->loop_state != ev->state;
    ev->loop_state = ev->state;
    return v2g_ev_clock_loop_elapsed(&ev->clk, new_loop, now_ms);
}

int32_t iso2_ev_pmax_at(const struct iso2_ev *ev, uint32_t t_s)
{
    int32_t p = -1;
    for (uint8_t i = 0; i < ev->evse.n_pmax; i++) {
        if (ev->evse.pmax_start_s[i] <= t_s) {
            p = ev->evse.pmax_w[i];
        }
    }
    return p;
}

/* The current the car asks for: its own wish, under the SECC's current and power limits
 * and the PMax of the agreed schedule at this moment (ISO-2 has the car follow it). */
static int32_t s_target_current(const struct iso2_ev *ev, uint32_t now_ms)
{
    int64_t i = ev->model.target_current_ma;
    const struct iso2_ev_evse *e = &ev->evse;
    if (e->max_current_ma > 0 && i > e->max_current_ma) {
        i = e->max_current_ma;
    }
    int64_t u = e->present_voltage_mv > 0 ? e->present_voltage_mv : ev->model.battery_voltage_mv;
    if (u > 1000) {
        if (e->max_power_w > 0 && i > (int64_t)e->max_power_w * 1000000 / u) {
            i = (int64_t)e->max_power_w * 1000000 / u;
        }
        int32_t t = hal_time_diff(now_ms, ev->charge_start_ms);
        int32_t pmax = iso2_ev_pmax_at(ev, t > 0 ? (uint32_t)t / 1000u : 0u);
        if (pmax >= 0 && i > (int64_t)pmax * 1000000 / u) {
            i = (int64_t)pmax * 1000000 / u;
        }
    }
    return (int32_t)(i < 0 ? 0 : i);
}

/* An SAScheduleTupleID (1..255) the SECC did not offer in its last list. */
static uint8_t s_unoffered_tuple(const struct iso2_ev *ev)
{
    uint8_t t = (uint8_t)(ev->evse.tuple_id + 100u);
    for (;;) {
        bool offered = t == 0;
        for (uint8_t i = 0; i < ev->evse.n_offered; i++) {
            offered = offered || ev->evse.offered_ids[i] == t;
        }
        if (!offered) {
            return t;
        }
        t++;
    }
}

static void s_build(struct iso2_ev *ev, uint32_t now_ms)
{
    struct exi_iso2_document *d = &ev->doc.iso2;
    struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    const struct iso2_ev_model *m = &ev->model;
    memset(d, 0, sizeof *d);
    d->V2G_Message_isUsed = true;
    /* A new session starts with the configured zero ID; a resumed one with the old ID. */
    iso2_session_id_to_header(&d->V2G_Message.Header,
                                 ev->state == ISO2_EV_SESSION_SETUP && !ev->have_session ? &ev->cfg.setup_id
                                                                                          : &ev->id);
    ev->sent_progress = 0;
    switch (ev->state) {
    case ISO2_EV_SESSION_SETUP:
        b->SessionSetupReq_isUsed = true;
        memcpy(b->SessionSetupReq.EVCCID.bytes, ev->cfg.evccid, ev->cfg.evccid_len);
        b->SessionSetupReq.EVCCID.bytesLen = ev->cfg.evccid_len;
        break;
    case ISO2_EV_SERVICE_DISCOVERY:
        b->ServiceDiscoveryReq_isUsed = true;
        break;
    case ISO2_EV_SERVICE_DETAIL:
        b->ServiceDetailReq_isUsed = true;
        b->ServiceDetailReq.ServiceID = ev->cfg.detail_service_id;
        break;
    case ISO2_EV_PAYMENT_SELECTION: {
        b->PaymentServiceSelectionReq_isUsed = true;
        struct exi_iso2_PaymentServiceSelectionReqType *q = &b->PaymentServiceSelectionReq;
        q->SelectedPaymentOption = exi_iso2_paymentOptionType_ExternalPayment;
        q->SelectedServiceList.SelectedService.array[0].ServiceID = 1; /* DC charging */
        q->SelectedServiceList.SelectedService.arrayLen = 1;
        if (ev->detail_param_set >= 0) {
            struct exi_iso2_SelectedServiceType *s = &q->SelectedServiceList.SelectedService.array[1];
            s->ServiceID = ev->cfg.detail_service_id;
            s->ParameterSetID = ev->detail_param_set;
            s->ParameterSetID_isUsed = true;
            q->SelectedServiceList.SelectedService.arrayLen = 2;
        }
        break;
    }
    case ISO2_EV_AUTHORIZATION:
        b->AuthorizationReq_isUsed = true; /* EIM: empty, no GenChallenge */
        break;
    case ISO2_EV_CHARGE_PARAMETER: {
        b->ChargeParameterDiscoveryReq_isUsed = true;
        struct exi_iso2_ChargeParameterDiscoveryReqType *q = &b->ChargeParameterDiscoveryReq;
        q->RequestedEnergyTransferMode = exi_iso2_EnergyTransferModeType_DC_extended;
        if (ev->cfg.max_entries_sa_schedule != 0) {
            q->MaxEntriesSAScheduleTuple = ev->cfg.max_entries_sa_schedule;
            q->MaxEntriesSAScheduleTuple_isUsed = true;
        }
        q->DC_EVChargeParameter_isUsed = true;
        q->EVChargeParameter_isUsed = true;
        struct exi_iso2_DC_EVChargeParameterType *p = &q->DC_EVChargeParameter;
        if (ev->cfg.departure_time_s != 0) {
            p->DepartureTime = ev->cfg.departure_time_s;
            p->DepartureTime_isUsed = true;
        }
        s_dc_ev_status(ev, &p->DC_EVStatus);
        iso2_pv_set(&p->EVMaximumCurrentLimit, m->max_current_ma, exi_iso2_unitSymbolType_A);
        iso2_pv_set(&p->EVMaximumVoltageLimit, m->max_voltage_mv, exi_iso2_unitSymbolType_V);
        if (m->max_power_w >= 0) {
            iso2_pv_set(&p->EVMaximumPowerLimit, (int64_t)m->max_power_w * 1000, exi_iso2_unitSymbolType_W);
            p->EVMaximumPowerLimit_isUsed = true;
        }
        if (m->capacity_wh >= 0) {
            iso2_pv_set(&p->EVEnergyCapacity, (int64_t)m->capacity_wh * 1000, exi_iso2_unitSymbolType_Wh);
            p->EVEnergyCapacity_isUsed = true;
        }
        if (m->energy_request_wh >= 0) {
            iso2_pv_set(&p->EVEnergyRequest, (int64_t)m->energy_request_wh * 1000, exi_iso2_unitSymbolType_Wh);
            p->EVEnergyRequest_isUsed = true;
        }
        if (m->full_soc >= 0 && m->full_soc <= 100) {
            p->FullSOC = (uint8_t)m->full_soc;
            p->FullSOC_isUsed = true;
        }
        if (m->bulk_soc >= 0 && m->bulk_soc <= 100) {
            p->BulkSOC = (uint8_t)m->bulk_soc;
            p->BulkSOC_isUsed = true;
        }
        break;
    }
    case ISO2_EV_CABLE_CHECK:
        b->CableCheckReq_isUsed = true;
        s_dc_ev_status(ev, &b->CableCheckReq.DC_EVStatus);
        break;
    case ISO2_EV_PRECHARGE:
        b->PreChargeReq_isUsed = true;
        s_dc_ev_status(ev, &b->PreChargeReq.DC_EVStatus);
        iso2_pv_set(&b->PreChargeReq.EVTargetVoltage, m->battery_voltage_mv, exi_iso2_unitSymbolType_V);
        iso2_pv_set(&b->PreChargeReq.EVTargetCurrent,
                       ev->cfg.precharge_current_ma > 2000 ? 2000 : ev->cfg.precharge_current_ma,
                       exi_iso2_unitSymbolType_A);
        break;
    case ISO2_EV_POWER_ON:
    case ISO2_EV_RENEGOTIATE:
    case ISO2_EV_POWER_OFF: {
        b->PowerDeliveryReq_isUsed = true;
        struct exi_iso2_PowerDeliveryReqType *q = &b->PowerDeliveryReq;
        q->ChargeProgress = ev->state == ISO2_EV_POWER_ON      ? exi_iso2_chargeProgressType_Start
                            : ev->state == ISO2_EV_RENEGOTIATE ? exi_iso2_chargeProgressType_Renegotiate
                                                               : exi_iso2_chargeProgressType_Stop;
        ev->sent_progress = q->ChargeProgress;
        q->SAScheduleTupleID = ev->evse.tuple_id;
        if (ev->state == ISO2_EV_POWER_ON && ev->cfg.misbehave == ISO2_EV_MISBEHAVE_UNKNOWN_TUPLE) {
            q->SAScheduleTupleID = s_unoffered_tuple(ev);
        }
        if (ev->state == ISO2_EV_POWER_ON && ev->cfg.send_charging_profile && ev->evse.n_pmax > 0) {
            /* One entry per PMax interval, never above it: a profile within the schedule. */
            q->ChargingProfile_isUsed = true;
            for (uint8_t i = 0; i < ev->evse.n_pmax; i++) {
                struct exi_iso2_ProfileEntryType *pe = &q->ChargingProfile.ProfileEntry.array[i];
                int64_t p = ev->evse.pmax_w[i];
                if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_PROFILE_ABOVE_PMAX) {
                    p *= 2; /* above the schedule on purpose */
                } else if (m->max_power_w >= 0 && p > m->max_power_w) {
                    p = m->max_power_w;
                }
                pe->ChargingProfileEntryStart = ev->evse.pmax_start_s[i];
                iso2_pv_set(&pe->ChargingProfileEntryMaxPower, p * 1000, exi_iso2_unitSymbolType_W);
            }
            q->ChargingProfile.ProfileEntry.arrayLen = ev->evse.n_pmax;
        }
        q->DC_EVPowerDeliveryParameter_isUsed = true;
        q->EVPowerDeliveryParameter_isUsed = true;
        s_dc_ev_status(ev, &q->DC_EVPowerDeliveryParameter.DC_EVStatus);
        q->DC_EVPowerDeliveryParameter.ChargingComplete = m->charging_complete;
        q->DC_EVPowerDeliveryParameter.BulkChargingComplete = m->bulk_charging_complete;
        q->DC_EVPowerDeliveryParameter.BulkChargingComplete_isUsed = true;
        break;
    }
    case ISO2_EV_CURRENT_DEMAND: {
        b->CurrentDemandReq_isUsed = true;
        struct exi_iso2_CurrentDemandReqType *q = &b->CurrentDemandReq;
        s_dc_ev_status(ev, &q->DC_EVStatus);
        iso2_pv_set(&q->EVTargetCurrent, s_target_current(ev, now_ms), exi_iso2_unitSymbolType_A);
        iso2_pv_set(&q->EVTargetVoltage, m->target_voltage_mv, exi_iso2_unitSymbolType_V);
        q->ChargingComplete = m->charging_complete;
        /* The limits always go out: chargers exist that stop without them (spec §5.2). */
        iso2_pv_set(&q->EVMaximumVoltageLimit, m->max_voltage_mv, exi_iso2_unitSymbolType_V);
        iso2_pv_set(&q->EVMaximumCurrentLimit, m->max_current_ma, exi_iso2_unitSymbolType_A);
        q->EVMaximumVoltageLimit_isUsed = true;
        q->EVMaximumCurrentLimit_isUsed = true;
        if (m->max_power_w >= 0) {
            iso2_pv_set(&q->EVMaximumPowerLimit, (int64_t)m->max_power_w * 1000, exi_iso2_unitSymbolType_W);
            q->EVMaximumPowerLimit_isUsed = true;
        }
        q->BulkChargingComplete = m->bulk_charging_complete;
        q->BulkChargingComplete_isUsed = true;
        if (m->remaining_full_s >= 0) {
            iso2_pv_set(&q->RemainingTimeToFullSoC, (int64_t)m->remaining_full_s * 1000, exi_iso2_unitSymbolType_s);
            q->RemainingTimeToFullSoC_isUsed = true;
        }
        if (m->remaining_bulk_s >= 0) {
            iso2_pv_set(&q->RemainingTimeToBulkSoC, (int64_t)m->remaining_bulk_s * 1000, exi_iso2_unitSymbolType_s);
            q->RemainingTimeToBulkSoC_isUsed = true;
        }
        break;
    }
    case ISO2_EV_WELDING:
        b->WeldingDetectionReq_isUsed = true;
        s_dc_ev_status(ev, &b->WeldingDetectionReq.DC_EVStatus);
        break;
    case ISO2_EV_SESSION_STOP:
    default:
        b->SessionStopReq_isUsed = true;
        b->SessionStopReq.ChargingSession = ev->pausing ? exi_iso2_chargingSessionType_Pause
                                                        : exi_iso2_chargingSessionType_Terminate;
        ev->sent_progress = b->SessionStopReq.ChargingSession;
        break;
    }
}

/* Timers that run while no request is out: the loop limits the EV enforces. */
static int s_loop_timers(struct iso2_ev *ev, uint32_t now_ms)
{
    uint32_t el = s_loop_elapsed(ev, now_ms);
    switch (ev->state) {
    case ISO2_EV_AUTHORIZATION:
    case ISO2_EV_CHARGE_PARAMETER:
        if (el >= ev->cfg.ongoing_timeout_ms) {
            s_fail(ev, "ongoing timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case ISO2_EV_CABLE_CHECK:
        if (el >= ev->cfg.cable_check_timeout_ms) {
            s_fail(ev, "cable check timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case ISO2_EV_PRECHARGE:
        if (el >= ev->cfg.precharge_timeout_ms) {
            s_fail(ev, "pre-charge timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    default:
        break;
    }
    return HAL_OK;
}

static uint32_t s_msg_timeout(const struct iso2_ev *ev, enum iso2_msg msg)
{
    switch (msg) {
    case ISO2_MSG_CURRENT_DEMAND: return ev->cfg.msg_timeout_cd_ms;
    case ISO2_MSG_SERVICE_DETAIL:
    case ISO2_MSG_POWER_DELIVERY: return ev->cfg.msg_timeout_long_ms;
    default: return ev->cfg.msg_timeout_ms;
    }
}

static bool s_over(enum iso2_ev_state s)
{
    return s == ISO2_EV_IDLE || s == ISO2_EV_DONE || s == ISO2_EV_PAUSED || s == ISO2_EV_DIN_CHOSEN ||
           s == ISO2_EV_FAILED;
}

int iso2_ev_next(struct iso2_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len)
{
    if (ev == NULL || out == NULL || len == NULL) {
        return HAL_EINVAL;
    }
    *len = 0;
    if (s_over(ev->state)) {
        return HAL_ESTATE;
    }
    const char *why = NULL;
    int rc = v2g_ev_clock_gate(&ev->clk, ev->state <= ISO2_EV_SESSION_SETUP, ev->cfg.comm_setup_timeout_ms,
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
    enum iso2_msg msg = s_msg_of(ev->state);
    if (ev->state == ISO2_EV_HANDSHAKE) {
        if (apphand_offer_fill(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers) != HAL_OK) {
            s_fail(ev, "bad protocol offers");
            return HAL_ESTATE;
        }
        rc = exi_apphand_encode(&w, &ev->doc.app);
    } else {
        s_build(ev, now_ms);
        rc = exi_iso2_encode(&w, &ev->doc.iso2);
    }
    if (rc != HAL_OK) {
        return rc == HAL_ENOMEM ? HAL_ENOMEM : HAL_EPROTO;
    }
    if (ev->state == ISO2_EV_RENEGOTIATE) {
        ev->model.renegotiate = false; /* asked once */
    }
    *len = exi_writer_len(&w);
    ev->sent = msg;
    v2g_ev_clock_sent(&ev->clk, now_ms, s_msg_timeout(ev, msg));
    ev->requests++;
    return HAL_OK;
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
        s_fail(ev, "undecodable supportedAppProtocolRes");
        return HAL_EPROTO;
    }
    if (apphand_result(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers, &chosen) != HAL_OK) {
        s_fail(ev, "no protocol negotiated");
        return HAL_EPROTO;
    }
    const char *ns = ev->cfg.offers[chosen].ns;
    ev->chosen_offer = chosen;
    if (ns != NULL && strcmp(ns, APPHAND_NS_ISO2) == 0) {
        s_goto(ev, ISO2_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms);
        return HAL_OK;
    }
    if (ns != NULL && strcmp(ns, APPHAND_NS_DIN) == 0 && ev->cfg.misbehave == ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN) {
        s_goto(ev, ISO2_EV_SESSION_SETUP, now_ms, ev->cfg.delay_ms); /* the wrong schema on purpose */
        return HAL_OK;
    }
    if (ns != NULL && strcmp(ns, APPHAND_NS_DIN) == 0) {
        ev->state = ISO2_EV_DIN_CHOSEN; /* the caller continues with the DIN machine */
        ev->reason = "SECC chose DIN 70121";
        return HAL_OK;
    }
    s_fail(ev, "SECC chose a protocol this car does not speak");
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
            s_fail(ev, "no SessionID issued");
            return HAL_EPROTO;
        }
        if (code == exi_iso2_responseCodeType_OK_OldSessionJoined &&
            (!ev->have_session || !iso2_session_id_equal(&got, &ev->id))) {
            s_fail(ev, "OK_OldSessionJoined with another SessionID");
            return HAL_EPROTO;
        }
        ev->evse.resumed = code == exi_iso2_responseCodeType_OK_OldSessionJoined;
        ev->id = got; /* as received: any length 1..8, leading zeros kept */
        ev->have_session = true;
        return HAL_OK;
    }
    if (!iso2_session_id_equal(&got, &ev->id)) {
        s_fail(ev, "SessionID changed");
        return HAL_EPROTO;
    }
    return HAL_OK;
}

static int s_service_discovery(struct iso2_ev *ev, const struct exi_iso2_ServiceDiscoveryResType *s,
                               uint32_t now_ms)
{
    bool ext = false;
    for (uint16_t i = 0; i < s->PaymentOptionList.PaymentOption.arrayLen &&
                         i < CFG_EXI_ISO2_PAYMENTOPTIONLISTTYPE_PAYMENTOPTION_MAX; i++) {
        ext = ext || s->PaymentOptionList.PaymentOption.array[i] == exi_iso2_paymentOptionType_ExternalPayment;
    }
    bool dc = false;
    const struct exi_iso2_SupportedEnergyTransferModeType *m = &s->ChargeService.SupportedEnergyTransferMode;
    for (uint16_t i = 0; i < m->EnergyTransferMode.arrayLen &&
                         i < CFG_EXI_ISO2_SUPPORTEDENERGYTRANSFERMODETYPE_ENERGYTRANSFERMODE_MAX; i++) {
        dc = dc || m->EnergyTransferMode.array[i] == exi_iso2_EnergyTransferModeType_DC_extended;
    }
    if (!ext) {
        s_fail(ev, "SECC offers no ExternalPayment");
        return HAL_EPROTO;
    }
    if (!dc) {
        s_fail(ev, "SECC offers no DC_extended charging");
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
    s_goto(ev, listed ? ISO2_EV_SERVICE_DETAIL : ISO2_EV_PAYMENT_SELECTION, now_ms, ev->cfg.delay_ms);
    return HAL_OK;
}

int iso2_ev_receive(struct iso2_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms)
{
    if (ev == NULL || exi == NULL) {
        return HAL_EINVAL;
    }
    if (!ev->clk.waiting || s_over(ev->state)) {
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
        s_fail(ev, "undecodable response");
        return HAL_EPROTO;
    }
    if (iso2_response_kind(d) != ev->sent) {
        s_fail(ev, "unexpected response");
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
        s_goto(ev, ISO2_EV_SERVICE_DISCOVERY, now_ms, dl);
        break;
    }
    case ISO2_EV_SERVICE_DISCOVERY:
        ev->detail_param_set = -1;
        return s_service_discovery(ev, &b->ServiceDiscoveryRes, now_ms);
    case ISO2_EV_SERVICE_DETAIL: {
        const struct exi_iso2_ServiceDetailResType *s = &b->ServiceDetailRes;
        if (s->ServiceID != ev->cfg.detail_service_id) {
            s_fail(ev, "ServiceDetailRes for another service");
            return HAL_EPROTO;
        }
        /* The first parameter set is the one the car takes. */
        if (s->ServiceParameterList_isUsed && s->ServiceParameterList.ParameterSet.arrayLen > 0) {
            ev->detail_param_set = s->ServiceParameterList.ParameterSet.array[0].ParameterSetID;
        }
        s_goto(ev, ISO2_EV_PAYMENT_SELECTION, now_ms, dl);
        break;
    }
    case ISO2_EV_PAYMENT_SELECTION:
        s_goto(ev, ISO2_EV_AUTHORIZATION, now_ms, dl);
        break;
    case ISO2_EV_AUTHORIZATION:
        if (b->AuthorizationRes.EVSEProcessing == exi_iso2_EVSEProcessingType_Finished) {
            s_goto(ev, ISO2_EV_CHARGE_PARAMETER, now_ms, dl);
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
            s_fail(ev, "no DC charge parameters");
            return HAL_EPROTO;
        }
        if (s_take_schedule(ev, s) != HAL_OK) {
            s_fail(ev, "no usable SAScheduleList");
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
            s_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl);
            break;
        }
        s_goto(ev, ISO2_EV_CABLE_CHECK, now_ms, dl);
        break;
    }
    case ISO2_EV_CABLE_CHECK: {
        const struct exi_iso2_CableCheckResType *s = &b->CableCheckRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        if (ev->evse.isolation_known && ev->evse.isolation == exi_iso2_isolationLevelType_Fault) {
            s_fail(ev, "isolation fault");
            return HAL_EPROTO;
        }
        if (s_fault_code(ev->evse.status_code)) {
            s_fail(ev, "EVSE stopped in cable check");
            return HAL_EPROTO;
        }
        if (s->EVSEProcessing == exi_iso2_EVSEProcessingType_Finished) {
            s_goto(ev, ISO2_EV_PRECHARGE, now_ms, dl);
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
            s_fail(ev, "EVSE stopped in pre-charge");
            return HAL_EPROTO;
        }
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        int32_t diff = u - m->battery_voltage_mv;
        diff = diff < 0 ? -diff : diff;
        if (m->stop) {
            ev->reason = "EV stopped in pre-charge";
            s_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl); /* Terminate: a pause needs PowerDelivery(Stop) first */
        } else if (diff <= ev->cfg.precharge_tolerance_mv) {
            ev->act.contactors = true; /* closed before PowerDeliveryReq(Start) */
            if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_CD_BEFORE_POWER_DELIVERY) {
                ev->charge_start_ms = now_ms;
                s_goto(ev, ISO2_EV_CURRENT_DEMAND, now_ms, dl);
                break;
            }
            s_goto(ev, ISO2_EV_POWER_ON, now_ms, dl);
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
        s_goto(ev, ISO2_EV_CURRENT_DEMAND, now_ms, dl);
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
        /* A SAScheduleTupleID other than ours is tolerated: the DS5366 reports 1 while
         * the car chose 10 and the session is fine (spec §5.3). */
        bool evse_stop = ev->evse.status_code != exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready ||
                         ev->evse.notification == exi_iso2_EVSENotificationType_StopCharging;
        if (evse_stop || m->stop || m->charging_complete ||
            m->error_code != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
            ev->reason = evse_stop ? "EVSE asked to stop" : m->pause ? "EV paused" : "EV stopped";
            ev->pausing = !evse_stop && m->pause;
            s_goto(ev, ISO2_EV_POWER_OFF, now_ms, dl);
        } else if (ev->evse.notification == exi_iso2_EVSENotificationType_ReNegotiation || m->renegotiate) {
            ev->renegotiations++;
            s_goto(ev, ISO2_EV_RENEGOTIATE, now_ms, dl);
        } else {
            uint32_t at = ev->clk.sent_ms + ev->cfg.cd_period_ms;
            uint32_t earliest = now_ms + dl;
            ev->clk.next_ms = hal_time_diff(at, earliest) > 0 ? at : earliest;
        }
        break;
    }
    case ISO2_EV_RENEGOTIATE:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        }
        /* No current while the new schedule is agreed: the DC path repeats CableCheck and
         * PreCharge (EvseV2G, Josev), so the car opens its contactors; CP stays C. */
        ev->act.contactors = false;
        ev->evse.n_pmax = 0;
        s_goto(ev, ISO2_EV_CHARGE_PARAMETER, now_ms, dl);
        break;
    case ISO2_EV_POWER_OFF:
        if (b->PowerDeliveryRes.DC_EVSEStatus_isUsed) {
            s_take_status(ev, &b->PowerDeliveryRes.DC_EVSEStatus);
        }
        ev->act.cp_c = false;       /* CP B, then open own contactors */
        ev->act.contactors = false;
        ev->welding_rounds = 0;
        s_goto(ev, ev->cfg.welding_detection ? ISO2_EV_WELDING : ISO2_EV_SESSION_STOP, now_ms, dl);
        break;
    case ISO2_EV_WELDING: {
        const struct exi_iso2_WeldingDetectionResType *s = &b->WeldingDetectionRes;
        s_take_status(ev, &s->DC_EVSEStatus);
        ev->evse.present_voltage_mv = iso2_pv_milli32(&s->EVSEPresentVoltage);
        ev->welding_rounds++;
        /* The car's own inlet measurement when it has one, else the EVSE's. */
        int32_t u = m->inlet_voltage_mv >= 0 ? m->inlet_voltage_mv : ev->evse.present_voltage_mv;
        if (u < ev->cfg.welding_done_mv || ev->welding_rounds >= ev->cfg.welding_max_rounds) {
            s_goto(ev, ISO2_EV_SESSION_STOP, now_ms, dl);
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
        s_fail(ev, "response in an unexpected state");
        return HAL_EPROTO;
    }
    return HAL_OK;
}

uint32_t iso2_ev_deadline(const struct iso2_ev *ev)
{
    return v2g_ev_clock_wake(&ev->clk);
}

enum iso2_ev_state iso2_ev_state(const struct iso2_ev *ev)
{
    return ev->state;
}

const char *iso2_ev_state_name(enum iso2_ev_state s)
{
    static const char *const names[ISO2_EV_STATE_COUNT] = {
        "idle",          "handshake",       "session_setup",    "service_discovery",
        "service_detail", "payment_selection", "authorization", "charge_parameter",
        "cable_check",   "precharge",       "power_on",         "current_demand",
        "renegotiate",   "power_off",       "welding_detection", "session_stop",
        "done",          "paused",          "din_chosen",       "failed",
    };
    return (unsigned)s < ISO2_EV_STATE_COUNT ? names[s] : "?";
}

const char *iso2_ev_reason(const struct iso2_ev *ev)
{
    return ev->reason != NULL ? ev->reason : "";
}

const struct iso2_ev_evse *iso2_ev_evse(const struct iso2_ev *ev)
{
    return &ev->evse;
}

const struct iso2_ev_actions *iso2_ev_actions(const struct iso2_ev *ev)
{
    return &ev->act;
}

static const char *const s_misbehave_names[ISO2_EV_MISBEHAVE_COUNT] = {
    "none", "pause-in-cable-check", "cd-before-power-delivery", "unknown-tuple",
    "profile-above-pmax", "resume-unknown-id", "iso2-after-din",
};

const char *iso2_ev_misbehave_name(enum iso2_ev_misbehave b)
{
    return (unsigned)b < ISO2_EV_MISBEHAVE_COUNT ? s_misbehave_names[b] : "?";
}

int iso2_ev_misbehave_parse(const char *name, enum iso2_ev_misbehave *b)
{
    for (unsigned i = 0; name != NULL && i < ISO2_EV_MISBEHAVE_COUNT; i++) {
        if (strcmp(name, s_misbehave_names[i]) == 0) {
            *b = (enum iso2_ev_misbehave)i;
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

int iso2_ev_chosen_offer(const struct iso2_ev *ev)
{
    return ev->chosen_offer;
}
