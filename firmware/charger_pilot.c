/*
 * charger_pilot.c - the pilot-only backend of the session machine (charger_session.c):
 * a connector without a link (IEC 61851-1 states B/C, no messages). It gives the machine
 * the EV as the pilot shows it, in the same shape a V2G backend does (struct hlc_ev):
 * ready while C or D, the configured pilot-level export as the target; B ends the session,
 * A, E and F are the machine's aborts. The Cortex-M demo and the power-path tests run it.
 */
#include "charger_priv.h"

#include <string.h>

/* Plug-in: nothing of a link to reset; the power path's "switched off" starts anew. */
static void charger_pilot_begin(struct charger *c, uint32_t now_ms)
{
    (void)now_ms;
    c->powered_off = false;
}

/* This pass's EV: readiness from the pilot, the target from the configuration (no EV
 * states a voltage or a current: the maxima are not sent, the setpoint rule takes the
 * EVSE limits). */
static void charger_pilot_exchange(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    struct hlc_ev *ev = &c->pilot_ev;
    (void)now_ms;
    memset(ev, 0, sizeof *ev);
    ev->ready = ps == PILOT_STATE_C || ps == PILOT_STATE_D;
    ev->target_voltage_mv = (int32_t)c->cfg.export_voltage_mv;
    ev->target_current_ma = (int32_t)c->cfg.export_current_ma;
    ev->max_power_w = -1;
    ev->energy_capacity_wh = ev->energy_request_wh = -1;
    ev->full_soc = ev->bulk_soc = -1;
    ev->remaining_full_s = ev->remaining_bulk_s = -1;
}

static const struct hlc_ev *charger_pilot_ev(const struct charger *c)
{
    return &c->pilot_ev;
}

const struct charger_backend charger_backend_pilot = {
    .name = "pilot",
    .first = CHARGER_CONNECTED,
    .plug_in_text = NULL,
    .cable_check = false,
    .stops_at_once = true,
    .supervises = false,
    .begin = charger_pilot_begin,
    .tick = NULL,
    .exchange = charger_pilot_exchange,
    .ev = charger_pilot_ev,
};
