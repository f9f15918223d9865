/*
 * charger_pilot_session.c - the pilot-level session of a connector without a V2G link
 * (IEC 61851-1 states B, C, energise, stop, unplug): the Cortex-M demo and the power-path
 * tests. It shares the records, stops and limits of the V2G session (charger_priv.h).
 */
#include "charger_priv.h"

static bool charger_session_active(enum charger_state s)
{
    return s == CHARGER_CONNECTED || s == CHARGER_READY || s == CHARGER_ENERGIZING ||
           s == CHARGER_CHARGING;
}

/* Conditions that end any running session, checked before the per-state logic. */
static bool charger_check_abort(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
        c->stats.last_fault = interlock_fault(&c->il);
        charger_stop(c, CHARGER_STOP_POWER_PATH, interlock_fault_name(interlock_fault(&c->il)), now_ms);
    } else if (ps == PILOT_STATE_A) {
        charger_stop(c, CHARGER_STOP_UNPLUGGED, "", now_ms);
    } else if (ps == PILOT_STATE_E || ps == PILOT_STATE_F) {
        charger_stop(c, c->pilot.diode_fault ? CHARGER_STOP_DIODE_FAULT : CHARGER_STOP_PILOT_ERROR, "",
                     now_ms);
    } else if (charger_pp_fault(c, ps, now_ms) != NULL) {
        charger_stop(c, CHARGER_STOP_PROXIMITY, charger_pp_fault(c, ps, now_ms), now_ms);
    } else if (c->stop_requested) {
        charger_stop(c, CHARGER_STOP_LOCAL, "", now_ms);
    } else {
        return false;
    }
    return true;
}


/* The pilot-level setpoint within this pass's EVSE limits (the same as a V2G session's:
 * rating, stage, external and station limits), sent again whenever they change. */
static void charger_pilot_setpoint(struct charger *c, uint32_t now_ms)
{
    const struct charger_limits *l = &c->pw.lim;
    int32_t mv = (int32_t)c->cfg.export_voltage_mv < l->max_mv ? (int32_t)c->cfg.export_voltage_mv
                                                              : l->max_mv;
    int32_t ma = (int32_t)c->cfg.export_current_ma < l->max_ma ? (int32_t)c->cfg.export_current_ma
                                                              : l->max_ma;
    if (mv > 0 && l->max_w >= 0) {
        int64_t by_power = (int64_t)l->max_w * 1000000 / mv;
        if (by_power < ma) {
            ma = (int32_t)by_power;
        }
    }
    if (ma < 0) {
        ma = 0;
    }
    if (mv != c->pw.set_mv || ma != c->pw.set_ma) {
        charger_command(c, mv, ma, now_ms);
    }
}

void charger_session(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    bool ev_ready = ps == PILOT_STATE_C || ps == PILOT_STATE_D;

    charger_limits(c, &c->pw.lim);
    charger_measure(c, now_ms);
    if (charger_session_active(c->state) && charger_check_abort(c, ps, now_ms)) {
        return;
    }
    switch (c->state) {
    case CHARGER_IDLE:
        if ((ps == PILOT_STATE_B || ev_ready) && !charger_held(c) && !c->inoperative) {
            charger_session_begin(c, now_ms);
            charger_set_duty(c, PILOT_DUTY_HLC, now_ms);
            interlock_request(&c->il, INTERLOCK_TARGET_LOCKED);
            charger_goto(c, CHARGER_CONNECTED, now_ms);
        }
        break;
    case CHARGER_CONNECTED:
        if (interlock_state(&c->il) == INTERLOCK_LOCKED) {
            charger_goto(c, CHARGER_READY, now_ms);
        }
        break;
    case CHARGER_READY:
        if (ev_ready && pilot_confirmed(&c->pilot)) {
            interlock_request(&c->il, INTERLOCK_TARGET_CLOSED);
            charger_goto(c, CHARGER_ENERGIZING, now_ms);
        }
        break;
    case CHARGER_ENERGIZING:
        if (!ev_ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (interlock_power_allowed(&c->il)) {
            charger_pilot_setpoint(c, now_ms);
            if (psu_set_mode(c->io.psu, PSU_MODE_EXPORT, now_ms) == HAL_OK) {
                charger_goto(c, CHARGER_CHARGING, now_ms);
            }
        }
        break;
    case CHARGER_CHARGING:
        if (!ev_ready) {
            charger_stop(c, CHARGER_STOP_EV, "", now_ms);
        } else if (!interlock_power_allowed(&c->il)) {
            /* Defence in depth: the interlock already powers down on its own. */
            (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
        } else {
            /* The limits may change while charging (station share, derating, OCPP). */
            charger_pilot_setpoint(c, now_ms);
        }
        break;
    case CHARGER_STOPPING:
        if (interlock_state(&c->il) == INTERLOCK_UNLOCKED) {
            charger_goto(c, CHARGER_FINISHED, now_ms);
        } else if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
            charger_goto(c, CHARGER_FAULT, now_ms);
        }
        break;
    case CHARGER_FINISHED:
        if (ps == PILOT_STATE_A) {
            charger_goto(c, CHARGER_IDLE, now_ms);
        }
        break;
    case CHARGER_FAULT: {
        enum charger_state next = charger_fault_pass(c, ps, now_ms);
        if (next != CHARGER_FAULT) {
            charger_goto(c, next, now_ms);
        }
        break;
    }
    default:
        break;
    }
}
