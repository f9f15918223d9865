#include "charger.h"

#include <stddef.h>
#include <string.h>

/* Consecutive failed pilot reads after which the pilot counts as broken (50 ms). */
#define CHARGER_PILOT_READ_FAILS_MAX 10u

void charger_default_config(struct charger_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->name, "cp0", 4);
    cfg->export_voltage_mv = 400000;
    cfg->export_current_ma = 10000;
    cfg->pilot.debounce_ms = CFG_PILOT_DEBOUNCE_MS;
    interlock_default_config(&cfg->interlock);
}

static void charger_log(struct charger *c, enum hal_log_level lvl, uint32_t now_ms, const char *what,
                        const char *detail)
{
    hal_logf(c->io.log, lvl, now_ms, "[%s] %s%s%s", c->cfg.name, what, detail[0] ? ": " : "",
             detail);
}

static void charger_set_duty(struct charger *c, uint16_t duty, uint32_t now_ms)
{
    if (c->pilot.duty_permille == duty) {
        return;
    }
    pilot_set_duty(&c->pilot, duty);
    (void)hal_pilot_set_duty(c->io.pilot, duty);
    hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pilot output %s", c->cfg.name,
             duty == PILOT_DUTY_HLC            ? "5 % PWM (high-level communication)"
             : duty == HAL_PILOT_DUTY_DC_HIGH ? "constant +12 V (no PWM)"
             : duty == HAL_PILOT_DUTY_DC_LOW  ? "constant -12 V (state F)"
                                              : "PWM");
}

static void charger_goto(struct charger *c, enum charger_state s, uint32_t now_ms)
{
    if (c->state == CHARGER_CHARGING && s != CHARGER_CHARGING) {
        c->stats.charge_ms_total += now_ms - c->charging_since_ms;
    }
    if (s == CHARGER_CHARGING) {
        c->charging_since_ms = now_ms;
        c->stats.sessions_charged++;
    }
    if (c->state == CHARGER_CHARGING && s != CHARGER_CHARGING) {
        c->current.charge_ms += now_ms - c->charging_since_ms;
    }
    if (s == CHARGER_IDLE && c->current.number != 0) {
        c->current.ended_ms = now_ms;
        c->current.stop = c->stop_reason;
        c->current.fault = c->stats.last_fault;
        c->history[c->history_count % CFG_CHARGER_HISTORY] = c->current;
        c->history_count++;
        memset(&c->current, 0, sizeof c->current);
    }
    hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] session %s -> %s", c->cfg.name,
             charger_state_name(c->state), charger_state_name(s));
    c->state = s;
    c->state_since_ms = now_ms;
}

/* Every stop goes through here: the power stage is switched off at once, and the
 * interlock walks power-down -> contactors open -> unlock in that order. */
static void charger_stop(struct charger *c, enum charger_stop_reason why, uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF);
    interlock_request(&c->il, INTERLOCK_TARGET_UNLOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    c->stop_reason = why;
    c->stats.last_stop = why;
    c->stop_requested = false;
    charger_log(c, why == CHARGER_STOP_EV || why == CHARGER_STOP_LOCAL ? HAL_LOG_INFO : HAL_LOG_WARN,
                now_ms, "stop", charger_stop_reason_name(why));
    bool fault = why != CHARGER_STOP_EV && why != CHARGER_STOP_LOCAL;
    charger_goto(c, fault ? CHARGER_FAULT : CHARGER_STOPPING, now_ms);
}

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
        charger_stop(c, CHARGER_STOP_POWER_PATH, now_ms);
    } else if (ps == PILOT_STATE_A) {
        charger_stop(c, CHARGER_STOP_UNPLUGGED, now_ms);
    } else if (ps == PILOT_STATE_E || ps == PILOT_STATE_F) {
        charger_stop(c, c->pilot.diode_fault ? CHARGER_STOP_DIODE_FAULT : CHARGER_STOP_PILOT_ERROR,
                     now_ms);
    } else if (c->stop_requested) {
        charger_stop(c, CHARGER_STOP_LOCAL, now_ms);
    } else {
        return false;
    }
    return true;
}

static void charger_session(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    bool ev_ready = ps == PILOT_STATE_C || ps == PILOT_STATE_D;

    if (charger_session_active(c->state) && charger_check_abort(c, ps, now_ms)) {
        return;
    }
    switch (c->state) {
    case CHARGER_IDLE:
        if (ps == PILOT_STATE_B || ev_ready) {
            c->stats.sessions++;
            c->current.number = c->stats.sessions;
            c->current.plugged_ms = now_ms;
            c->stop_reason = CHARGER_STOP_NONE;
            c->stats.last_stop = CHARGER_STOP_NONE;
            c->stats.last_fault = INTERLOCK_FAULT_NONE;
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
            charger_stop(c, CHARGER_STOP_EV, now_ms);
        } else if (interlock_power_allowed(&c->il)) {
            (void)psu_set_export(c->io.psu, c->cfg.export_voltage_mv, c->cfg.export_current_ma);
            if (psu_set_mode(c->io.psu, PSU_MODE_EXPORT) == HAL_OK) {
                charger_goto(c, CHARGER_CHARGING, now_ms);
            }
        }
        break;
    case CHARGER_CHARGING:
        if (!ev_ready) {
            charger_stop(c, CHARGER_STOP_EV, now_ms);
        } else if (!interlock_power_allowed(&c->il)) {
            /* Defence in depth: the interlock already powers down on its own. */
            (void)psu_set_mode(c->io.psu, PSU_MODE_OFF);
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
    case CHARGER_FAULT:
        if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
            c->stats.last_fault = interlock_fault(&c->il);
        }
        /* Leave the fault only with the vehicle gone and the power path provably clean. */
        if (ps == PILOT_STATE_A && (interlock_state(&c->il) == INTERLOCK_UNLOCKED ||
                                    interlock_state(&c->il) == INTERLOCK_HELD) &&
            interlock_reset(&c->il, now_ms) == HAL_OK &&
            interlock_state(&c->il) == INTERLOCK_UNLOCKED) {
            charger_goto(c, CHARGER_IDLE, now_ms);
        }
        break;
    }
}

static void charger_step(struct sched_task *t, uint32_t now_ms)
{
    struct charger *c = t->ctx;
    struct hal_pilot_sample sample;
    struct pilot_event ev;

    interlock_step(&c->il, now_ms);
    if (interlock_state(&c->il) != c->logged_il_state) {
        hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] power path %s -> %s%s%s", c->cfg.name,
                 interlock_state_name(c->logged_il_state), interlock_state_name(interlock_state(&c->il)),
                 interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? ", fault: " : "",
                 interlock_fault(&c->il) != INTERLOCK_FAULT_NONE
                     ? interlock_fault_name(interlock_fault(&c->il))
                     : "");
        c->logged_il_state = interlock_state(&c->il);
    }
    int rc = hal_pilot_read(c->io.pilot, &sample);
    if (rc == HAL_OK) {
        if (pilot_update(&c->pilot, &sample, now_ms, &ev)) {
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] pilot %s -> %s%s", c->cfg.name,
                     pilot_state_name(ev.from), pilot_state_name(ev.to),
                     ev.diode_fault ? " (diode missing)" : "");
        }
    } else if (rc != HAL_EAGAIN) {
        /* An unreadable pilot is treated as state E once it persists past the debounce. */
        static const struct hal_pilot_sample broken = {0, 0};
        (void)pilot_update(&c->pilot, &broken, now_ms, &ev);
    }
    charger_session(c, now_ms);
    sched_task_at(t, now_ms + CFG_INTERLOCK_PERIOD_MS);
}

int charger_init(struct charger *c, const struct charger_config *cfg,
                 const struct charger_ports *ports, struct sched *s, uint32_t now_ms)
{
    if (ports->pilot == NULL || ports->gpio == NULL || ports->psu == NULL ||
        cfg->name[0] == '\0' || memchr(cfg->name, '\0', sizeof cfg->name) == NULL) {
        return HAL_EINVAL;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->io = *ports;
    pilot_init(&c->pilot, &cfg->pilot);
    int rc = interlock_init(&c->il, &cfg->interlock, ports->gpio, ports->psu, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    pilot_set_duty(&c->pilot, HAL_PILOT_DUTY_DC_HIGH);
    (void)hal_pilot_set_duty(ports->pilot, HAL_PILOT_DUTY_DC_HIGH);
    c->logged_il_state = interlock_state(&c->il);
    hal_logf(c->io.log, interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? HAL_LOG_ERROR : HAL_LOG_INFO,
             now_ms, "[%s] power path at start: %s%s%s", c->cfg.name,
             interlock_state_name(interlock_state(&c->il)),
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? ", fault: " : "",
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? interlock_fault_name(interlock_fault(&c->il)) : "");
    c->state = CHARGER_IDLE;
    c->state_since_ms = now_ms;
    sched_task_init(&c->task, c->cfg.name, charger_step, c, false);
    return sched_add(s, &c->task, now_ms);
}

void charger_request_stop(struct charger *c)
{
    c->stop_requested = true;
}

const struct charger_session_record *charger_history(const struct charger *c, uint32_t index)
{
    uint32_t kept = c->history_count < CFG_CHARGER_HISTORY ? c->history_count : CFG_CHARGER_HISTORY;
    if (index >= kept) {
        return NULL;
    }
    return &c->history[(c->history_count - kept + index) % CFG_CHARGER_HISTORY];
}

enum charger_state charger_state(const struct charger *c)
{
    return c->state;
}

const struct charger_stats *charger_stats(const struct charger *c)
{
    return &c->stats;
}

const char *charger_state_name(enum charger_state s)
{
    static const char *const names[] = {"idle",     "connected", "ready",    "energizing",
                                        "charging", "stopping",  "finished", "fault"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *charger_stop_reason_name(enum charger_stop_reason r)
{
    static const char *const names[] = {"none",         "EV stopped",  "unplugged",
                                        "pilot error",  "diode fault", "power path fault",
                                        "local stop"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}
