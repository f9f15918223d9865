/*
 * hlc_dc.c - owns the mapping between the neutral V2G interface (hlc.h) and the DC values
 * and codes that the DIN 70121 and ISO 15118-2 machines share (protocols/v2g/v2g_dc.h):
 * one copy for both backends, so a field added or a rule changed cannot drift between
 * them. Each backend checks with _Static_assert that its schema numbers the codes alike.
 */
#include "hlc_dc.h"

#include <string.h>

/* DC_EVSEStatusCode, EVSEIsolationStatus, EVSENotification of the neutral values. */
static const uint8_t s_status_code[HLC_EVSE_STATUS_COUNT] = {
    [HLC_EVSE_READY] = V2G_DC_EVSE_READY,
    [HLC_EVSE_NOT_READY] = V2G_DC_EVSE_NOT_READY,
    [HLC_EVSE_SHUTDOWN] = V2G_DC_EVSE_SHUTDOWN,
    [HLC_EVSE_EMERGENCY_SHUTDOWN] = V2G_DC_EVSE_EMERGENCY_SHUTDOWN,
    [HLC_EVSE_MALFUNCTION] = V2G_DC_EVSE_MALFUNCTION,
};
static const uint8_t s_isolation[HLC_ISOLATION_COUNT] = {
    [HLC_ISOLATION_INVALID] = V2G_DC_ISOLATION_INVALID,
    [HLC_ISOLATION_VALID] = V2G_DC_ISOLATION_VALID,
    [HLC_ISOLATION_WARNING] = V2G_DC_ISOLATION_WARNING,
    [HLC_ISOLATION_FAULT] = V2G_DC_ISOLATION_FAULT,
};
static const uint8_t s_notification[HLC_NOTIFY_COUNT] = {
    [HLC_NOTIFY_NONE] = V2G_DC_NOTIFY_NONE,
    [HLC_NOTIFY_STOP_CHARGING] = V2G_DC_NOTIFY_STOP_CHARGING,
    [HLC_NOTIFY_RENEGOTIATE] = V2G_DC_NOTIFY_RENEGOTIATION,
};

uint8_t hlc_dc_status_code(enum hlc_evse_status s)
{
    return (unsigned)s < HLC_EVSE_STATUS_COUNT ? s_status_code[s] : (uint8_t)V2G_DC_EVSE_MALFUNCTION;
}

uint8_t hlc_dc_isolation(enum hlc_isolation i)
{
    return (unsigned)i < HLC_ISOLATION_COUNT ? s_isolation[i] : (uint8_t)V2G_DC_ISOLATION_INVALID;
}

uint8_t hlc_dc_notification(enum hlc_notification n)
{
    return (unsigned)n < HLC_NOTIFY_COUNT ? s_notification[n] : (uint8_t)V2G_DC_NOTIFY_STOP_CHARGING;
}

enum hlc_ev_error hlc_dc_ev_error(uint8_t code)
{
    switch (code) {
    case V2G_DC_EV_NO_ERROR: return HLC_EV_ERR_NONE;
    case V2G_DC_EV_RESS_TEMPERATURE_INHIBIT: return HLC_EV_ERR_RESS_TEMPERATURE;
    case V2G_DC_EV_SHIFT_POSITION: return HLC_EV_ERR_SHIFT_POSITION;
    case V2G_DC_EV_CONNECTOR_LOCK_FAULT: return HLC_EV_ERR_CONNECTOR_LOCK;
    case V2G_DC_EV_RESS_MALFUNCTION: return HLC_EV_ERR_RESS_MALFUNCTION;
    case V2G_DC_EV_CURRENT_DIFFERENTIAL: return HLC_EV_ERR_CURRENT_DIFFERENTIAL;
    case V2G_DC_EV_VOLTAGE_OUT_OF_RANGE: return HLC_EV_ERR_VOLTAGE_OUT_OF_RANGE;
    case V2G_DC_EV_SYSTEM_INCOMPATIBILITY: return HLC_EV_ERR_INCOMPATIBLE;
    case V2G_DC_EV_NO_DATA: return HLC_EV_ERR_NO_DATA;
    default: return HLC_EV_ERR_OTHER;
    }
}

void hlc_dc_status(const struct hlc_evse *e, struct v2g_dc_evse *dc)
{
    memset(dc, 0, sizeof *dc);
    dc->present_voltage_mv = e->present_voltage_mv;
    dc->present_current_ma = e->present_current_ma;
    dc->max_voltage_mv = e->max_voltage_mv;
    dc->max_current_ma = e->max_current_ma;
    dc->max_power_w = e->max_power_w;
    dc->min_voltage_mv = e->min_voltage_mv;
    dc->min_current_ma = e->min_current_ma;
    dc->current_regulation_tolerance_ma = e->current_regulation_tolerance_ma;
    dc->peak_current_ripple_ma = e->peak_current_ripple_ma;
    dc->energy_to_deliver_wh = e->energy_to_deliver_wh;
    dc->auth_done = e->authorization == HLC_PROCESSING_FINISHED;
    dc->auth_rejected = e->authorization == HLC_PROCESSING_FAILED;
    dc->power_ready = e->charge_parameters == HLC_PROCESSING_FINISHED;
    dc->cable_check_done = e->cable_check != HLC_PROCESSING_ONGOING;
    dc->cable_check_failed = e->cable_check == HLC_PROCESSING_FAILED;
    dc->current_limit_achieved = e->current_limit_achieved;
    dc->voltage_limit_achieved = e->voltage_limit_achieved;
    dc->power_limit_achieved = e->power_limit_achieved;
    dc->unix_time_s = e->unix_time_s;
}

void hlc_dc_ev(const struct v2g_dc_ev *d, struct hlc_ev *e)
{
    memset(e, 0, sizeof *e);
    e->ready = d->ready;
    e->error = hlc_dc_ev_error(d->error_code);
    e->soc = d->soc;
    e->target_voltage_mv = d->target_voltage_mv;
    e->target_current_ma = d->target_current_ma;
    e->max_voltage_mv = d->max_voltage_mv;
    e->max_current_ma = d->max_current_ma;
    e->max_power_w = d->max_power_w;
    e->energy_capacity_wh = d->energy_capacity_wh;
    e->energy_request_wh = d->energy_request_wh;
    e->full_soc = d->full_soc;
    e->bulk_soc = d->bulk_soc;
    e->remaining_full_s = d->remaining_full_s;
    e->remaining_bulk_s = d->remaining_bulk_s;
    e->charging_complete = d->charging_complete;
    e->bulk_charging_complete = d->bulk_charging_complete;
}
