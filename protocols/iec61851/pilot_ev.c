#include "iec61851/pilot_ev.h"

void pilot_ev_init(struct pilot_ev *ev)
{
    ev->plugged = false;
    ev->s2_closed = false;
    ev->ventilation = false;
    ev->diode_missing = false;
    ev->short_to_pe = false;
    ev->mode = PILOT_EV_MODE_NONE;
    ev->announced_da = 0;
}

void pilot_ev_plug(struct pilot_ev *ev, bool plugged)
{
    ev->plugged = plugged;
    if (!plugged) {
        /* Pulling the plug opens every EV-side path at once. */
        ev->s2_closed = false;
        ev->mode = PILOT_EV_MODE_NONE;
        ev->announced_da = 0;
    }
}

int pilot_ev_set_s2(struct pilot_ev *ev, bool closed)
{
    if (closed && !ev->plugged) {
        return HAL_ESTATE;
    }
    ev->s2_closed = closed;
    return HAL_OK;
}

enum pilot_ev_mode pilot_ev_observe(struct pilot_ev *ev, uint16_t evse_duty_permille)
{
    uint32_t da = 0;

    if (!ev->plugged || evse_duty_permille == HAL_PILOT_DUTY_DC_HIGH ||
        evse_duty_permille == HAL_PILOT_DUTY_DC_LOW) {
        ev->mode = PILOT_EV_MODE_NONE;
    } else if (pilot_current_from_duty(evse_duty_permille, &da) != HAL_OK) {
        ev->mode = PILOT_EV_MODE_INVALID;
    } else if (da == 0) {
        ev->mode = PILOT_EV_MODE_HLC;
    } else {
        ev->mode = PILOT_EV_MODE_BASIC;
    }
    ev->announced_da = ev->mode == PILOT_EV_MODE_BASIC ? da : 0;
    return ev->mode;
}

enum pilot_state pilot_ev_presented(const struct pilot_ev *ev)
{
    if (!ev->plugged) {
        return PILOT_STATE_A;
    }
    if (ev->short_to_pe) {
        return PILOT_STATE_E;
    }
    if (!ev->s2_closed) {
        return PILOT_STATE_B;
    }
    return ev->ventilation ? PILOT_STATE_D : PILOT_STATE_C;
}

void pilot_ev_sample(const struct pilot_ev *ev, uint16_t evse_duty_permille,
                     struct hal_pilot_sample *out)
{
    /* Nominal plateaus of IEC 61851-1 table A.4. The EVSE sources +-12 V through
     * 1 kohm; the EV's resistors divide only the positive half, its diode blocks the
     * negative half, so the low plateau stays at -12 V unless the diode is missing
     * (then the EV's resistors divide it too) or the pilot is shorted. */
    static const int32_t high_by_state[] = {12000, 12000, 9000, 6000, 3000, 0, -12000};
    enum pilot_state st = pilot_ev_presented(ev);
    int32_t high = high_by_state[st];
    int32_t low = -12000;

    if (st == PILOT_STATE_E) {
        low = 0;
    } else if (ev->plugged && ev->diode_missing) {
        low = -high;
    }
    if (evse_duty_permille == HAL_PILOT_DUTY_DC_LOW) {
        out->high_mv = ev->plugged && ev->diode_missing ? -9000 : -12000;
        out->low_mv = out->high_mv;
        return;
    }
    out->high_mv = high;
    out->low_mv = evse_duty_permille == HAL_PILOT_DUTY_DC_HIGH ? high : low;
}
