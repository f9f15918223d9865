/* iso2_ev_build.c - ISO 15118-2 EV side: the request the machine's state calls for, filled
 * from the car model (struct iso2_ev_model): targets under the SECC's limits and the agreed
 * PMax, the charging profile within the schedule, and the misbehaviours a test may ask
 * for (iso2_ev_priv.h). */
#include "iso2/iso2_ev_priv.h"

#include <string.h>

#include "hal_clock.h"

static void s_dc_ev_status(const struct iso2_ev *ev, struct exi_iso2_DC_EVStatusType *s)
{
    s->EVReady = ev->model.ready;
    s->EVErrorCode = ev->model.error_code <= exi_iso2_DC_EVErrorCodeType_NoData
                         ? ev->model.error_code : (uint8_t)exi_iso2_DC_EVErrorCodeType_NoData;
    s->EVRESSSOC = ev->model.soc <= 100 ? ev->model.soc : 100;
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

void iso2_ev_build(struct iso2_ev *ev, uint32_t now_ms)
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
        q->SelectedPaymentOption = ev->contract ? exi_iso2_paymentOptionType_Contract
                                                : exi_iso2_paymentOptionType_ExternalPayment;
        q->SelectedServiceList.SelectedService.array[0].ServiceID = 1; /* DC charging */
        q->SelectedServiceList.SelectedService.arrayLen = 1;
        if (ev->detail_param_set >= 0) {
            struct exi_iso2_SelectedServiceType *s = &q->SelectedServiceList.SelectedService.array[1];
            s->ServiceID = ev->cfg.detail_service_id;
            s->ParameterSetID = ev->detail_param_set;
            s->ParameterSetID_isUsed = true;
            q->SelectedServiceList.SelectedService.arrayLen = 2;
        }
        if (ev->cert_wanted) {
            /* the Certificate service, ParameterSet 1 Installation or 2 Update (the captures) */
            uint16_t n = q->SelectedServiceList.SelectedService.arrayLen;
            struct exi_iso2_SelectedServiceType *s = &q->SelectedServiceList.SelectedService.array[n];
            s->ServiceID = 2;
            s->ParameterSetID = ev->cfg.cert->update ? 2 : 1;
            s->ParameterSetID_isUsed = true;
            q->SelectedServiceList.SelectedService.arrayLen = (uint16_t)(n + 1u);
        }
        break;
    }
    case ISO2_EV_PAYMENT_DETAILS: {
        /* The contract chain as the car holds it: leaf, then Sub-CAs in issuing order. */
        const struct iso2_ev_contract *c = ev->cfg.contract;
        struct exi_iso2_PaymentDetailsReqType *q = &b->PaymentDetailsReq;
        b->PaymentDetailsReq_isUsed = true;
        size_t el = strlen(c->emaid);
        memcpy(q->eMAID.characters, c->emaid, el); /* fits: iso2_ev_contract_init() checked */
        q->eMAID.charactersLen = (uint16_t)el;
        memcpy(q->ContractSignatureCertChain.Certificate.bytes, c->leaf, c->leaf_len);
        q->ContractSignatureCertChain.Certificate.bytesLen = (uint16_t)c->leaf_len;
        for (uint8_t i = 0; i < c->n_subs; i++) {
            memcpy(q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytes, c->subs[i], c->sub_len[i]);
            q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytesLen = (uint16_t)c->sub_len[i];
        }
        q->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = c->n_subs;
        q->ContractSignatureCertChain.SubCertificates_isUsed = c->n_subs > 0;
        break;
    }
    case ISO2_EV_AUTHORIZATION:
        b->AuthorizationReq_isUsed = true; /* EIM: empty, no GenChallenge */
        if (ev->contract && !ev->auth_signed) {
            /* Contract: Id (what the signature's Reference names) and the challenge;
             * iso2_ev_next() signs it. */
            struct exi_iso2_AuthorizationReqType *q = &b->AuthorizationReq;
            memcpy(q->Id.characters, "ID1", 3);
            q->Id.charactersLen = 3;
            q->Id_isUsed = true;
            memcpy(q->GenChallenge.bytes, ev->challenge, sizeof ev->challenge);
            q->GenChallenge.bytesLen = sizeof ev->challenge;
            q->GenChallenge_isUsed = true;
        }
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
    case ISO2_EV_METERING_RECEIPT: {
        /* Id (what the signature's Reference names), the SessionID again in the body, the
         * tuple and the MeterInfo exactly as the SECC sent it; iso2_ev_next() signs it. */
        b->MeteringReceiptReq_isUsed = true;
        struct exi_iso2_MeteringReceiptReqType *q = &b->MeteringReceiptReq;
        q->Id_isUsed = true;
        memcpy(q->Id.characters, "ID1", 3);
        q->Id.charactersLen = 3;
        memcpy(q->SessionID.bytes, ev->id.bytes, ev->id.len);
        q->SessionID.bytesLen = ev->id.len;
        if (ev->evse.tuple_id != 0) {
            q->SAScheduleTupleID = ev->evse.tuple_id;
            q->SAScheduleTupleID_isUsed = true;
        }
        q->MeterInfo = ev->receipt_info;
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
