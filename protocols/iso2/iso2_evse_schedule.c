/*
 * iso2_evse_schedule.c - the ISO-2 charger machine's schedule: the SAScheduleList we offer
 * (PMax entries to the departure time or 24 h, the optional SalesTariff), the
 * ChargeParameterDiscovery loop, and PowerDelivery checked against the offered tuple and
 * PMax (Start, Renegotiate, Stop) (iso2_evse_priv.h).
 */
#include "iso2/iso2_evse_priv.h"

#include <string.h>

/* The PMax schedule we offer: the charger's entries, or one of its power limit. */
static void s_schedule(struct iso2_evse *m, const struct iso2_evse_status *st)
{
    m->offered_tuple = st->tuple_id != 0 ? st->tuple_id : 1;
    m->offered_limit_w = st->dc.max_power_w;
    if (st->pmax_count == 0) {
        m->offered_count = 1;
        m->offered[0].start_s = 0;
        m->offered[0].pmax_w = st->dc.max_power_w > 0 ? (uint32_t)st->dc.max_power_w : 0u;
        return;
    }
    m->offered_count = st->pmax_count <= ISO2_EVSE_PMAX_MAX ? st->pmax_count : (uint8_t)ISO2_EVSE_PMAX_MAX;
    memcpy(m->offered, st->pmax, m->offered_count * sizeof m->offered[0]);
    m->offered[0].start_s = 0; /* a schedule starts now */
}

/* PMax in force at @p t seconds from the schedule start. */
static uint32_t s_pmax_at(const struct iso2_evse *m, uint32_t t)
{
    uint32_t p = m->offered[0].pmax_w;
    for (uint8_t i = 1; i < m->offered_count; i++) {
        if (m->offered[i].start_s <= t) {
            p = m->offered[i].pmax_w;
        }
    }
    return p;
}

static void s_fill_tuple(struct iso2_evse *m, struct exi_iso2_SAScheduleListType *l)
{
    struct exi_iso2_SAScheduleTupleType *t = &l->SAScheduleTuple.array[0];
    l->SAScheduleTuple.arrayLen = 1;
    t->SAScheduleTupleID = m->offered_tuple;
    /* [V2G2-303]/[V2G2-304]: up to the departure time, else 24 h. */
    uint32_t total = m->ev.departure_s > 0 ? (uint32_t)m->ev.departure_s : ISO2_SCHEDULE_DEFAULT_S;
    uint16_t n = m->offered_count;
    for (uint16_t i = 0; i < n; i++) {
        struct exi_iso2_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[i];
        e->RelativeTimeInterval_isUsed = true;
        e->RelativeTimeInterval.start = m->offered[i].start_s;
        if (i + 1 == n) {
            /* The last entry runs to the end (a charger entry past the departure time
             * keeps its own length unknown: no duration, until renegotiated). */
            uint32_t s = m->offered[i].start_s;
            if (total > s) {
                uint32_t d = total - s;
                e->RelativeTimeInterval.duration = d > ISO2_SCHEDULE_DEFAULT_S ? ISO2_SCHEDULE_DEFAULT_S : d;
                e->RelativeTimeInterval.duration_isUsed = true;
            }
        }
        iso2_pv_set(&e->PMax, (int64_t)m->offered[i].pmax_w * 1000, exi_iso2_unitSymbolType_W);
    }
    t->PMaxSchedule.PMaxScheduleEntry.arrayLen = n;
    if (m->cfg.tariff_count > 0) {
        struct exi_iso2_SalesTariffType *s = &t->SalesTariff;
        t->SalesTariff_isUsed = true;
        s->SalesTariffID = m->cfg.tariff_id != 0 ? m->cfg.tariff_id : 1;
        if (m->cfg.tariff_levels > 0) {
            s->NumEPriceLevels = m->cfg.tariff_levels;
            s->NumEPriceLevels_isUsed = true;
        }
        uint16_t c = m->cfg.tariff_count;
        for (uint16_t i = 0; i < c; i++) {
            struct exi_iso2_SalesTariffEntryType *e = &s->SalesTariffEntry.array[i];
            e->RelativeTimeInterval_isUsed = true;
            e->RelativeTimeInterval.start = m->cfg.tariff[i].start_s;
            if (i + 1 == c && total > m->cfg.tariff[i].start_s) {
                uint32_t d = total - m->cfg.tariff[i].start_s;
                e->RelativeTimeInterval.duration = d > ISO2_SCHEDULE_DEFAULT_S ? ISO2_SCHEDULE_DEFAULT_S : d;
                e->RelativeTimeInterval.duration_isUsed = true;
            }
            e->EPriceLevel = m->cfg.tariff[i].price_level;
            e->EPriceLevel_isUsed = true;
        }
        s->SalesTariffEntry.arrayLen = c;
    }
}

uint8_t iso2_evse_on_charge_parameter(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                      struct iso2_evse_request *out, uint8_t code, uint32_t now_ms)
{
    struct exi_iso2_ChargeParameterDiscoveryResType *r = &res->V2G_Message.Body.ChargeParameterDiscoveryRes;
    res->V2G_Message.Body.ChargeParameterDiscoveryRes_isUsed = true;
    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Ongoing;
    r->DC_EVSEChargeParameter_isUsed = true;
    struct exi_iso2_DC_EVSEChargeParameterType *p = &r->DC_EVSEChargeParameter;
    iso2_evse_put_dc_status(&p->DC_EVSEStatus, st, iso2_evse_code(st));
    iso2_pv_set(&p->EVSEMaximumCurrentLimit, st->dc.max_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&p->EVSEMaximumPowerLimit, (int64_t)st->dc.max_power_w * 1000, exi_iso2_unitSymbolType_W);
    iso2_pv_set(&p->EVSEMaximumVoltageLimit, st->dc.max_voltage_mv, exi_iso2_unitSymbolType_V);
    iso2_pv_set(&p->EVSEMinimumCurrentLimit, st->dc.min_current_ma, exi_iso2_unitSymbolType_A);
    iso2_pv_set(&p->EVSEMinimumVoltageLimit, st->dc.min_voltage_mv, exi_iso2_unitSymbolType_V);
    if (st->dc.current_regulation_tolerance_ma >= 0) {
        iso2_pv_set(&p->EVSECurrentRegulationTolerance, st->dc.current_regulation_tolerance_ma,
                         exi_iso2_unitSymbolType_A);
        p->EVSECurrentRegulationTolerance_isUsed = true;
    }
    iso2_pv_set(&p->EVSEPeakCurrentRipple, st->dc.peak_current_ripple_ma, exi_iso2_unitSymbolType_A);
    if (st->dc.energy_to_deliver_wh >= 0) {
        iso2_pv_set(&p->EVSEEnergyToBeDelivered, (int64_t)st->dc.energy_to_deliver_wh * 1000,
                         exi_iso2_unitSymbolType_Wh);
        p->EVSEEnergyToBeDelivered_isUsed = true;
    }
    if (code == CODE(OK)) {
        const struct exi_iso2_ChargeParameterDiscoveryReqType *q = &req->V2G_Message.Body.ChargeParameterDiscoveryReq;
        uint32_t el = iso2_evse_loop_elapsed(m, ISO2_MSG_CHARGE_PARAMETER, now_ms);
        uint8_t mode = q->RequestedEnergyTransferMode;
        bool dc_mode = mode >= exi_iso2_EnergyTransferModeType_DC_core && mode <= exi_iso2_EnergyTransferModeType_DC_unique;
        if (!q->DC_EVChargeParameter_isUsed) {
            code = iso2_evse_refuse(m, CODE(FAILED_WrongChargeParameter), "no DC_EVChargeParameter (AC parameters on DC)");
        } else if (!dc_mode) {
            code = iso2_evse_refuse(m, CODE(FAILED_WrongEnergyTransferMode), "requested energy transfer mode not offered");
        } else {
            const struct exi_iso2_DC_EVChargeParameterType *d = &q->DC_EVChargeParameter;
            iso2_evse_take_ev_status(m, &d->DC_EVStatus, out);
            m->ev.dc.max_current_ma = iso2_pv_milli32(&d->EVMaximumCurrentLimit);
            m->ev.dc.max_voltage_mv = iso2_pv_milli32(&d->EVMaximumVoltageLimit);
            m->ev.dc.max_power_w = d->EVMaximumPowerLimit_isUsed
                                    ? (int32_t)(iso2_pv_milli(&d->EVMaximumPowerLimit) / 1000) : -1;
            m->ev.dc.energy_capacity_wh = d->EVEnergyCapacity_isUsed
                                           ? (int32_t)(iso2_pv_milli(&d->EVEnergyCapacity) / 1000) : -1;
            m->ev.dc.energy_request_wh = d->EVEnergyRequest_isUsed
                                          ? (int32_t)(iso2_pv_milli(&d->EVEnergyRequest) / 1000) : -1;
            m->ev.dc.full_soc = d->FullSOC_isUsed ? (int16_t)d->FullSOC : -1;
            m->ev.dc.bulk_soc = d->BulkSOC_isUsed ? (int16_t)d->BulkSOC : -1;
            m->ev.departure_s = d->DepartureTime_isUsed
                                    ? (int32_t)(d->DepartureTime > INT32_MAX ? INT32_MAX : d->DepartureTime) : -1;
            if (m->ev.dc.max_current_ma < 0 || m->ev.dc.max_voltage_mv < 0) {
                code = iso2_evse_refuse(m, CODE(FAILED_WrongChargeParameter), "negative EV limits");
            } else {
                out->events |= ISO2_EVSE_EV_CHARGE_PARAMS;
                if (st->dc.power_ready) {
                    r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
                    m->phase = ISO2_EVSE_CABLE_CHECK;
                } else if (el >= m->cfg.ongoing_timeout_ms) {
                    code = iso2_evse_refuse(m, CODE(FAILED), "charge parameters not ready within the ongoing timeout");
                    out->events |= ISO2_EVSE_EV_TIMEOUT;
                }
            }
        }
    }
    if (code != CODE(OK)) {
        r->EVSEProcessing = exi_iso2_EVSEProcessingType_Finished;
    }
    /* The schedule is sent once it is final (EvseV2G: omitted only while Ongoing). */
    if (r->EVSEProcessing == exi_iso2_EVSEProcessingType_Finished && code == CODE(OK)) {
        s_schedule(m, st);
        r->SAScheduleList_isUsed = true;
        s_fill_tuple(m, &r->SAScheduleList);
    }
    r->ResponseCode = code;
    return code;
}

/* [V2G2-224]/[V2G2-225]: every profile entry within the PMax in force at its start. */
static bool s_profile_ok(const struct iso2_evse *m, const struct exi_iso2_ChargingProfileType *p)
{
    uint16_t n = p->ProfileEntry.arrayLen;
    n = n <= CFG_EXI_ISO2_CHARGINGPROFILETYPE_PROFILEENTRY_MAX ? n : CFG_EXI_ISO2_CHARGINGPROFILETYPE_PROFILEENTRY_MAX;
    for (uint16_t i = 0; i < n; i++) {
        const struct exi_iso2_ProfileEntryType *e = &p->ProfileEntry.array[i];
        int64_t w = iso2_pv_milli(&e->ChargingProfileEntryMaxPower) / 1000;
        if (w > (int64_t)s_pmax_at(m, e->ChargingProfileEntryStart)) {
            return false;
        }
    }
    return true;
}

uint8_t iso2_evse_on_power_delivery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                    struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_PowerDeliveryResType *r = &res->V2G_Message.Body.PowerDeliveryRes;
    res->V2G_Message.Body.PowerDeliveryRes_isUsed = true;
    r->DC_EVSEStatus_isUsed = true;
    uint8_t sc = iso2_evse_code(st);
    if (code == CODE(OK)) {
        const struct exi_iso2_PowerDeliveryReqType *q = &req->V2G_Message.Body.PowerDeliveryReq;
        if (q->DC_EVPowerDeliveryParameter_isUsed) {
            const struct exi_iso2_DC_EVPowerDeliveryParameterType *d = &q->DC_EVPowerDeliveryParameter;
            iso2_evse_take_ev_status(m, &d->DC_EVStatus, out);
            m->ev.dc.charging_complete = d->ChargingComplete;
            m->ev.dc.bulk_charging_complete = d->BulkChargingComplete_isUsed && d->BulkChargingComplete;
        }
        uint8_t cp = q->ChargeProgress;
        if (cp == exi_iso2_chargeProgressType_Start) {
            if (m->phase != ISO2_EVSE_PRECHARGE) {
                code = iso2_evse_refuse(m, CODE(FAILED), "PowerDelivery(Start) after the charge loop ([V2G2-812])");
            } else if (m->offered_tuple == 0 || q->SAScheduleTupleID != m->offered_tuple) {
                code = iso2_evse_refuse(m, CODE(FAILED_TariffSelectionInvalid), "SAScheduleTupleID never offered");
            } else if (q->ChargingProfile_isUsed && !s_profile_ok(m, &q->ChargingProfile)) {
                code = iso2_evse_refuse(m, CODE(FAILED_ChargingProfileInvalid), "charging profile above the offered PMax");
            } else if (sc != exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready) {
                code = iso2_evse_refuse(m, CODE(FAILED_PowerDeliveryNotApplied), "EVSE not ready for power delivery");
            } else {
                m->ev.tuple_id = q->SAScheduleTupleID;
                out->events |= ISO2_EVSE_EV_POWER_ON;
                m->phase = ISO2_EVSE_POWER_DELIVERY;
            }
        } else if (cp == exi_iso2_chargeProgressType_Renegotiate) {
            if (m->phase != ISO2_EVSE_CURRENT_DEMAND) {
                code = iso2_evse_refuse(m, CODE(FAILED), "Renegotiate outside the charge loop");
            } else {
                /* DC renegotiation redoes CPD, cable check and pre-charge: power off first. */
                out->events |= ISO2_EVSE_EV_RENEGOTIATE | ISO2_EVSE_EV_POWER_OFF;
                m->phase = ISO2_EVSE_CHARGE_PARAMETER;
                m->loop_msg = ISO2_MSG_NONE;
                m->precharge_seen = false;
                m->precharge_long = false;
            }
        } else if (cp == exi_iso2_chargeProgressType_Stop) {
            out->events |= ISO2_EVSE_EV_POWER_OFF;
            m->phase = ISO2_EVSE_WELDING;
        } else {
            code = iso2_evse_refuse(m, CODE(FAILED), "unknown ChargeProgress");
        }
    }
    iso2_evse_put_dc_status(&r->DC_EVSEStatus, st, sc);
    r->ResponseCode = code;
    return code;
}
