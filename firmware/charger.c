/*
 * charger.c - one connector's session records and stop policy: state changes and the
 * history of sessions, held faults and the operator reset, the reaction to the worst
 * active error (graceful or emergency stop), the scheduler task that runs one pass
 * (interlock, pilot, then the session machine with its V2G or pilot backend), and the public API of
 * charger.h. The parts of a pass live beside it, one concern a file (charger_priv.h).
 */
#include "charger_priv.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

void charger_default_config(struct charger_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->name, "cp0", 4);
    cfg->export_voltage_mv = 400000;
    cfg->export_current_ma = 10000;
    cfg->pilot.debounce_ms = CFG_PILOT_DEBOUNCE_MS;
    interlock_default_config(&cfg->interlock);
    hlc_default_config(&cfg->hlc);
    cfg->max_voltage_mv = 1000000;
    cfg->max_current_ma = 200000;
    cfg->max_power_w = 150000;
    cfg->auth = CHARGER_AUTH_AUTOSTART;
    cfg->auth_timeout_ms = 55000;
    cfg->link_timeout_ms = 60000;
    cfg->pause_timeout_ms = 300000;
    cfg->link_retries = 3;
    cfg->cable_check_voltage_mv = 0;
    cfg->cable_check_current_ma = 2000;
    cfg->cable_check_tolerance_mv = 10000;
    cfg->cable_check_ramp_ms = 10000;
    cfg->cp_c_timeout_ms = 1500;
    cfg->selftest_timeout_ms = 30000;
    cfg->measure_timeout_ms = 5000;
    cfg->cable_check_discharge = true;
    cfg->imd_lab_override = false;
    cfg->precharge_current_ma = 2000;
    cfg->shutdown_grace_ms = 10000;
    cfg->notification_max_delay_s = 10;
    cfg->ov_time_ms = 9;
    cfg->ov_error_time_ms = 400;
    cfg->ov_margin_permille = 100;
    cfg->voltage_stale_ms = 1500;
    cfg->target_grace_ms = 2000;
    cfg->voltage_sources = (uint8_t)((1u << CHARGER_VSRC_OVM) | (1u << CHARGER_VSRC_IMD) |
                                     (1u << CHARGER_VSRC_METER) | (1u << CHARGER_VSRC_STAGE));
    cfg->derate_permille = 500;
    cfg->meter_timeout_ms = 10000;
}

void charger_log(struct charger *c, enum hal_log_level lvl, uint32_t now_ms, const char *what,
                 const char *detail)
{
    hal_logf(c->io.log, lvl, now_ms, "[%s] %s%s%s", c->cfg.name, what, detail[0] ? ": " : "",
             detail);
}

void charger_set_duty(struct charger *c, uint16_t duty, uint32_t now_ms)
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

void charger_goto(struct charger *c, enum charger_state s, uint32_t now_ms)
{
    if (c->state == s) {
        return;
    }
    if (c->state == CHARGER_CHARGING) {
        c->stats.charge_ms_total += now_ms - c->charging_since_ms;
        c->current.charge_ms += now_ms - c->charging_since_ms;
    }
    if (s == CHARGER_CHARGING) {
        c->charging_since_ms = now_ms;
        c->stats.sessions_charged++;
    }
    if (s == CHARGER_IDLE && c->current.number != 0) {
        c->current.ended_ms = now_ms;
        c->current.stop = c->stop_reason;
        c->current.fault = c->stats.last_fault;
        c->current.detail = c->stop_detail != NULL ? c->stop_detail : "";
        if (!c->current.metered) {
            c->current.energy_wh = (int64_t)(c->pw.energy_mwh / 1000.0 + 0.5);
        }
        c->history[c->history_count % CFG_CHARGER_HISTORY] = c->current;
        c->history_count++;
        memset(&c->current, 0, sizeof c->current);
    }
    if (s == CHARGER_FAULT || c->state == CHARGER_FAULT) {
        c->fault_saw_a = false;
        c->operator_reset = false;
    }
    hal_logf(c->io.log, HAL_LOG_INFO, now_ms, "[%s] session %s -> %s", c->cfg.name,
             charger_state_name(c->state), charger_state_name(s));
    c->state = s;
    c->state_since_ms = now_ms;
}

/* The record of the session in progress, or the last finished one when the session
 * already ended (a meter acknowledgement may come after the unplug). */
struct charger_session_record *charger_record(struct charger *c)
{
    if (c->current.number != 0 || c->history_count == 0) {
        return &c->current;
    }
    return &c->history[(c->history_count - 1u) % CFG_CHARGER_HISTORY];
}

/* Errors that only an operator reset clears (docs/session.md "Fault reset"): they say
 * the output or the insulation cannot be trusted, whoever plugs in next. */
static bool charger_error_held(enum errors_source src, uint32_t code)
{
    return (src == ERRORS_SRC_SESSION && code == CHARGER_STOP_OVER_VOLTAGE) ||
           (src == ERRORS_SRC_IMD && code == CHARGER_IMD_INSULATION_FAULT) ||
           (src == ERRORS_SRC_POWER_PATH && interlock_fault_held((enum interlock_fault)code));
}

bool charger_held(const struct charger *c)
{
    return c->held_text != NULL || interlock_fault_held(interlock_fault(&c->il));
}

/* A fault is left only with the vehicle gone (A), the power path at rest and unlocked,
 * and nothing held: a held fault waits for charger_reset(). A fault that clears by itself
 * (a lock timeout) is cleared here. After an operator reset with a vehicle plugged in:
 * one that came while the connector was out of order is served (idle, then a new
 * session); the one of the faulted session is let go (finished: unlocked until A). */
static enum charger_state charger_fault_over(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (ps == PILOT_STATE_A) {
        c->fault_saw_a = true;
    }
    bool at_rest = interlock_state(&c->il) == INTERLOCK_UNLOCKED;
    /* The faulted car left (A seen) while the path was still powering down, and the next
     * one plugged in before it came to rest: that car is served. Behind a controller
     * without a lock (Charge SOM) the car may leave at once; waiting for A again kept the
     * next car unserved until it gave up (faults-real, real-can-down-charging). */
    if (charger_held(c) || !at_rest || (ps != PILOT_STATE_A && !c->fault_saw_a && !c->operator_reset)) {
        return CHARGER_FAULT;
    }
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE && interlock_reset(&c->il, now_ms, NULL) != HAL_OK) {
        return CHARGER_FAULT;
    }
    if (interlock_state(&c->il) != INTERLOCK_UNLOCKED) {
        return CHARGER_FAULT;
    }
    return ps == PILOT_STATE_A || c->fault_saw_a ? CHARGER_IDLE : CHARGER_FINISHED;
}

static enum charger_stop_reason charger_reason_of(const struct errors_entry *e)
{
    switch (e->source) {
    case ERRORS_SRC_PSU:
        return CHARGER_STOP_PSU;
    case ERRORS_SRC_METER:
        return CHARGER_STOP_METER;
    case ERRORS_SRC_IMD:
        return e->code == CHARGER_IMD_INSULATION_FAULT ? CHARGER_STOP_ISOLATION : CHARGER_STOP_IMD;
    case ERRORS_SRC_LINK:
        return CHARGER_STOP_LINK;
    case ERRORS_SRC_EV:
        return CHARGER_STOP_EV_ERROR;
    case ERRORS_SRC_POWER_PATH:
        return CHARGER_STOP_POWER_PATH;
    case ERRORS_SRC_V2G:
    case ERRORS_SRC_PILOT:
    case ERRORS_SRC_SESSION:
        return e->code < CHARGER_STOP_COUNT ? (enum charger_stop_reason)e->code : CHARGER_STOP_LOCAL;
    case ERRORS_SRC_COUNT:
        break;
    }
    return CHARGER_STOP_LOCAL;
}

/* One pass in FAULT: the power path's fault is kept for the record, and the state to go
 * to once the fault is over (charger_fault_over), else CHARGER_FAULT. */
enum charger_state charger_fault_pass(struct charger *c, enum pilot_state ps, uint32_t now_ms)
{
    if (interlock_fault(&c->il) != INTERLOCK_FAULT_NONE) {
        c->stats.last_fault = interlock_fault(&c->il);
    }
    return charger_fault_over(c, ps, now_ms);
}

/* A session runs: the states of either backend between plug-in and the stop. */
bool charger_session_active(enum charger_state s)
{
    return s == CHARGER_LINK || s == CHARGER_NEGOTIATING || s == CHARGER_AUTHORIZING ||
           s == CHARGER_PARAMETERS || s == CHARGER_CABLE_CHECK || s == CHARGER_PRECHARGE ||
           s == CHARGER_CHARGING || s == CHARGER_WELDING || s == CHARGER_CONNECTED ||
           s == CHARGER_READY || s == CHARGER_ENERGIZING;
}

void charger_set_reason(struct charger *c, enum charger_stop_reason why, const char *detail)
{
    if (c->stop_reason == CHARGER_STOP_NONE) {
        c->stop_reason = why;
        c->stop_detail = detail;
        c->stats.last_stop = why;
    }
}

/* The V2G connection is over: forget it and make the link ready for the next car. */
void charger_close_link(struct charger *c, uint32_t now_ms)
{
    if (c->io.link != NULL && !c->link_closed) {
        (void)c->io.link->ops->restart(c->io.link, now_ms);
        c->link_closed = true;
    }
    c->v2g = false;
    hlc_reset(&c->hlc);
    c->close_at_ms = 0;
}

/* Every stop that ends the session now goes through here: the power stage is switched
 * off at once, and the interlock walks power-down -> contactors open -> unlock in that
 * order. With a V2G session the EV sees an emergency shutdown (every answer FAILED)
 * until the connection closes shortly after. */
void charger_stop(struct charger *c, enum charger_stop_reason why, const char *detail,
                  uint32_t now_ms)
{
    (void)psu_set_mode(c->io.psu, PSU_MODE_OFF, now_ms);
    c->powered_off = true;
    interlock_request(&c->il, INTERLOCK_TARGET_UNLOCKED);
    charger_set_duty(c, HAL_PILOT_DUTY_DC_HIGH, now_ms);
    charger_set_reason(c, why, detail);
    c->stop_requested = false;
    if (c->io.isolation != NULL) {
        (void)isolation_stop(c->io.isolation, now_ms);
    }
    charger_meter_stop(c, now_ms);
    bool fault = why != CHARGER_STOP_EV && why != CHARGER_STOP_LOCAL && why != CHARGER_STOP_EV_ERROR;
    char line[96];
    snprintf(line, sizeof line, "%s%s%s", charger_stop_reason_name(c->stop_reason),
             c->stop_detail != NULL && c->stop_detail[0] ? " - " : "",
             c->stop_detail != NULL ? c->stop_detail : "");
    charger_log(c, fault ? HAL_LOG_WARN : HAL_LOG_INFO, now_ms, "stop", line);
    if (c->v2g) {
        /* Keep the connection a moment: the last answer (FAILED) must still go out. */
        c->shutdown = CHARGER_SHUTDOWN_EMERGENCY;
        if (c->close_at_ms == 0) {
            c->close_at_ms = now_ms + CHARGER_CLOSE_DELAY_MS;
        }
    } else {
        charger_close_link(c, now_ms);
    }
    charger_goto(c, fault ? CHARGER_FAULT : CHARGER_STOPPING, now_ms);
}

/* A graceful stop (operator, backend, a MEDIUM error): while power flows the EV is asked
 * to end the session (EVSE_Shutdown + StopCharging) and the current ramps down; before
 * that nothing is energised, so the session ends at once. */
static void charger_stop_graceful(struct charger *c, enum charger_stop_reason why,
                                  const char *detail, uint32_t now_ms)
{
    if (c->state == CHARGER_CHARGING && c->v2g && !hlc_over(&c->hlc)) {
        if (c->shutdown != CHARGER_SHUTDOWN_GRACEFUL) {
            charger_set_reason(c, why, detail);
            c->shutdown = CHARGER_SHUTDOWN_GRACEFUL;
            c->graceful_since_ms = now_ms;
            charger_log(c, HAL_LOG_INFO, now_ms, "asking the EV to stop (EVSE_Shutdown, StopCharging)",
                        detail);
        }
        return;
    }
    if (c->state == CHARGER_WELDING && c->v2g && !hlc_over(&c->hlc)) {
        /* Power is already off and the EV is ending the session: let it finish. */
        charger_set_reason(c, why, detail);
        return;
    }
    charger_stop(c, why, detail, now_ms);
}

/* React to the worst active error once per step. */
void charger_react(struct charger *c, uint32_t now_ms)
{
    /* One entry decides both the reaction and the reason given for it. */
    const struct errors_entry *act = errors_worst_entry(&c->err);
    if (!charger_session_active(c->state) || act == NULL) {
        return;
    }
    enum charger_stop_reason why = charger_reason_of(act);
    if (act->severity == ERRORS_SEV_HIGH) {
        if (c->stop_reason_graceful) {
            /* A graceful stop was under way for a lesser error: the emergency stop is
             * taken for this one, so this one is the reason. */
            c->stop_reason = CHARGER_STOP_NONE;
            c->stop_reason_graceful = false;
        }
        charger_stop(c, why, act->text, now_ms);
    } else if (act->severity == ERRORS_SEV_MEDIUM) {
        bool unset = c->stop_reason == CHARGER_STOP_NONE;
        charger_stop_graceful(c, why, act->text, now_ms);
        c->stop_reason_graceful = c->stop_reason_graceful || (unset && c->stop_reason == why);
    }
}

void charger_raise(struct charger *c, enum errors_source src, uint32_t code,
                   enum errors_severity sev, const char *text, uint32_t now_ms)
{
    if (errors_raise(&c->err, src, code, sev, text, now_ms)) {
        hal_logf(c->io.log, sev == ERRORS_SEV_LOW ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms,
                 "[%s] error (%s, %s): %s", c->cfg.name, errors_source_name(src),
                 errors_severity_name(sev), text);
    }
    if (src != ERRORS_SRC_POWER_PATH && charger_error_held(src, code) && c->held_text == NULL) {
        /* The interlock holds its own faults; these are the charger's. */
        c->held_text = text;
        hal_logf(c->io.log, HAL_LOG_ERROR, now_ms,
                 "[%s] held fault: %s; no session until an operator reset", c->cfg.name, text);
    }
}

bool charger_energised(const struct charger *c)
{
    return c->state == CHARGER_CABLE_CHECK || c->state == CHARGER_PRECHARGE ||
           c->state == CHARGER_CHARGING;
}

void charger_session_begin(struct charger *c, uint32_t now_ms)
{
    c->stats.sessions++;
    memset(&c->current, 0, sizeof c->current);
    c->current.number = c->stats.sessions;
    c->current.plugged_ms = now_ms;
    c->current.soc_start = -1;
    c->current.soc_end = -1;
    c->stop_reason = CHARGER_STOP_NONE;
    c->stop_reason_graceful = false;
    c->stop_detail = "";
    c->stats.last_stop = CHARGER_STOP_NONE;
    c->stats.last_fault = INTERLOCK_FAULT_NONE;
    c->pw.energy_mwh = 0;
    c->pw.energy_at_ms = 0;
    c->pw.max_set_mv = 0;
}

/* What the next power is for, from the session state: a stage that allocates power per
 * phase (Huawei) must hear it before the mode that asks for that power goes out, so
 * PARAMETERS already announces the cable check. */
static enum psu_phase charger_psu_phase(const struct charger *c)
{
    switch (c->state) {
    case CHARGER_PARAMETERS:
    case CHARGER_CABLE_CHECK:
        return PSU_PHASE_CABLE_CHECK;
    case CHARGER_PRECHARGE:
        return PSU_PHASE_PRECHARGE;
    case CHARGER_ENERGIZING:
    case CHARGER_CHARGING:
        return PSU_PHASE_CHARGING;
    default:
        return PSU_PHASE_NONE;
    }
}

/* Board alarms the stage may have to forward, from the latched power-path fault. */
static uint8_t charger_psu_alarms(const struct charger *c)
{
    switch (interlock_fault(&c->il)) {
    case INTERLOCK_FAULT_ESTOP:
        return PSU_ALARM_ESTOP;
    case INTERLOCK_FAULT_CONTACTOR_DROPPED:
    case INTERLOCK_FAULT_WELDED:
    case INTERLOCK_FAULT_CLOSE_TIMEOUT:
        return PSU_ALARM_CONTACTOR;
    default:
        return 0u;
    }
}

/* The session as the power stage may need it (psu_set_session); stages that do not need
 * it answer HAL_ENOTSUP, which changes nothing. Called after the pass's decisions, before
 * the stage's own task runs, so a phase change and the mode it comes with go out together. */
static void charger_tell_psu(struct charger *c, uint32_t now_ms)
{
    enum pilot_state ps = pilot_state(&c->pilot);
    enum interlock_state is = interlock_state(&c->il);
    struct psu_session s = {
        .plugged = ps >= PILOT_STATE_B && ps <= PILOT_STATE_F,
        .phase = charger_psu_phase(c),
        .contactor_closed = is == INTERLOCK_CLOSED || is == INTERLOCK_POWER_DOWN,
        .out_mv = c->pw.volt.fresh ? c->pw.volt.mv : 0,
        .out_ma = c->pw.present_ma,
        .alarms = charger_psu_alarms(c),
    };
    (void)psu_set_session(c->io.psu, &s, now_ms);
}

/* The outside safety controller's gate (charger_ports.contactor_gate): it holds the
 * contactors open whenever the pilot is not in C or D. Asked by the interlock when a
 * contactor drops, before this pass's pilot sample was debounced, so it classifies a
 * fresh sample; the last raw one stands in when the pilot cannot be read now. */
static bool charger_gate_open(void *ctx)
{
    struct charger *c = ctx;
    struct hal_pilot_sample sample;
    enum pilot_state ps = c->pilot.candidate;
    if (hal_pilot_read(c->io.pilot, &sample) == HAL_OK) {
        bool pwm = c->pilot.duty_permille != HAL_PILOT_DUTY_DC_HIGH &&
                   c->pilot.duty_permille != HAL_PILOT_DUTY_DC_LOW;
        ps = pilot_classify(&sample, pwm, NULL);
    }
    return ps != PILOT_STATE_C && ps != PILOT_STATE_D;
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
                 : interlock_gate_dropped(&c->il) && c->logged_il_state == INTERLOCK_CLOSED
                     ? " (contactors opened by the safety controller)"
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
    charger_read_pp(c, now_ms);
    charger_session(c, now_ms);
    charger_tell_psu(c, now_ms);
    sched_task_at(t, now_ms + CFG_INTERLOCK_PERIOD_MS);
}

int charger_init(struct charger *c, const struct charger_config *cfg,
                 const struct charger_ports *ports, struct sched *s, uint32_t now_ms)
{
    if (ports->pilot == NULL || ports->gpio == NULL || ports->psu == NULL ||
        (ports->link != NULL && ports->rng == NULL) || (ports->meter_session != NULL && ports->meter == NULL) ||
        cfg->name[0] == '\0' || memchr(cfg->name, '\0', sizeof cfg->name) == NULL) {
        return HAL_EINVAL;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->io = *ports;
    c->backend = ports->link != NULL ? &charger_backend_v2g : &charger_backend_pilot;
    c->pw.ext_limit_w = CHARGER_NO_POWER_LIMIT;
    errors_init(&c->err);
    pilot_init(&c->pilot, &cfg->pilot);
    int rc = interlock_init(&c->il, &cfg->interlock, ports->gpio, ports->psu, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    pilot_set_duty(&c->pilot, HAL_PILOT_DUTY_DC_HIGH);
    (void)hal_pilot_set_duty(ports->pilot, HAL_PILOT_DUTY_DC_HIGH);
    interlock_set_voltage_source(&c->il, charger_connector_voltage, c);
    if (ports->contactor_gate) {
        interlock_set_gate(&c->il, charger_gate_open, c);
    }
    c->logged_il_state = interlock_state(&c->il);
    if (ports->link != NULL && hlc_init(&c->hlc, &cfg->hlc, charger_session_id, c) != HAL_OK) {
        return HAL_EINVAL;
    }
#if CFG_HLC_ISO2
    if (ports->link != NULL) {
        hlc_set_iso2_pnc(&c->hlc, ports->pnc);
    }
#endif
    hal_logf(c->io.log, interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? HAL_LOG_ERROR : HAL_LOG_INFO,
             now_ms, "[%s] power path at start: %s%s%s", c->cfg.name,
             interlock_state_name(interlock_state(&c->il)),
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? ", fault: " : "",
             interlock_fault(&c->il) != INTERLOCK_FAULT_NONE ? interlock_fault_name(interlock_fault(&c->il)) : "");
    c->state = CHARGER_IDLE;
    c->state_since_ms = now_ms;
    c->stop_detail = "";
    if (c->io.isolation == NULL && c->cfg.imd_lab_override) {
        charger_log(c, HAL_LOG_WARN, now_ms, "start", CHARGER_LAB_OVERRIDE_TEXT);
    }
    sched_task_init(&c->task, c->cfg.name, charger_step, c, c->io.link != NULL);
    return sched_add(s, &c->task, now_ms);
}

void charger_request_stop(struct charger *c)
{
    c->stop_requested = true;
}

const struct charger_token *charger_token(const struct charger *c)
{
    return &c->auth.token;
}

void charger_authorize(struct charger *c, bool accepted)
{
    charger_authorize_id(c, NULL, accepted);
}

void charger_authorize_id(struct charger *c, const char *id, bool accepted)
{
    /* Only noted here: the decision is taken on the connector's next pass, whose time is
     * the present (the caller has no clock of the loop, and the state's start time is
     * not the present). */
    if (c->state == CHARGER_AUTHORIZING && c->auth.step == CHARGER_AUTH_STEP_WAITING) {
        c->auth.pending = accepted ? CHARGER_AUTH_STEP_ACCEPTED : CHARGER_AUTH_STEP_REFUSED;
        snprintf(c->auth.pending_id, sizeof c->auth.pending_id, "%s", id != NULL ? id : "");
    }
}

enum charger_reset_result charger_reset(struct charger *c, uint32_t now_ms, const char **why)
{
    enum interlock_state is = interlock_state(&c->il);
    const char *w = "";
    enum interlock_fault f = interlock_fault(&c->il);
    if (!charger_held(c) && f == INTERLOCK_FAULT_NONE) {
        w = "nothing is held";
        if (why != NULL) {
            *why = w;
        }
        return CHARGER_RESET_NOTHING;
    }
    if (charger_energised(c) || is == INTERLOCK_CLOSING || is == INTERLOCK_CLOSED ||
        is == INTERLOCK_POWER_DOWN || is == INTERLOCK_OPENING) {
        if (why != NULL) {
            *why = "the power path is energised or still switching off";
        }
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset refused: still energised",
                 c->cfg.name);
        return CHARGER_RESET_ENERGISED;
    }
    if (f != INTERLOCK_FAULT_NONE && interlock_reset(&c->il, now_ms, &w) != HAL_OK) {
        if (why != NULL) {
            *why = w;
        }
        hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset refused: %s", c->cfg.name, w);
        return CHARGER_RESET_REFUSED;
    }
    hal_logf(c->io.log, HAL_LOG_WARN, now_ms, "[%s] operator reset: cleared %s", c->cfg.name,
             c->held_text != NULL ? c->held_text : interlock_fault_name(f));
    c->held_text = NULL;
    c->operator_reset = c->state == CHARGER_FAULT; /* back to service (see charger_fault_over) */
    errors_clear_source(&c->err, ERRORS_SRC_POWER_PATH);
    (void)errors_clear(&c->err, ERRORS_SRC_SESSION, CHARGER_STOP_OVER_VOLTAGE);
    (void)errors_clear(&c->err, ERRORS_SRC_IMD, CHARGER_IMD_INSULATION_FAULT);
    if (why != NULL) {
        *why = "";
    }
    return CHARGER_RESET_DONE;
}

const char *charger_held_fault(const struct charger *c)
{
    if (c->held_text != NULL) {
        return c->held_text;
    }
    enum interlock_fault f = interlock_fault(&c->il);
    return interlock_fault_held(f) ? interlock_fault_name(f) : NULL;
}

const char *charger_reset_result_name(enum charger_reset_result r)
{
    switch (r) {
    case CHARGER_RESET_DONE:
        return "done";
    case CHARGER_RESET_NOTHING:
        return "nothing to reset";
    case CHARGER_RESET_ENERGISED:
        return "refused: energised";
    case CHARGER_RESET_REFUSED:
        return "refused";
    }
    return "?";
}

void charger_set_power_limit(struct charger *c, uint32_t watts)
{
    c->pw.ext_limit_w = watts;
}

const struct charger_session_record *charger_history(const struct charger *c, uint32_t index)
{
    uint32_t kept = c->history_count < CFG_CHARGER_HISTORY ? c->history_count : CFG_CHARGER_HISTORY;
    if (index >= kept) {
        return NULL;
    }
    return &c->history[(c->history_count - kept + index) % CFG_CHARGER_HISTORY];
}

const struct charger_session_record *charger_session_in_progress(const struct charger *c)
{
    return c->current.number != 0 ? &c->current : NULL;
}

const struct errors *charger_errors(const struct charger *c)
{
    return &c->err;
}

enum charger_state charger_state(const struct charger *c)
{
    return c->state;
}

const struct charger_stats *charger_stats(const struct charger *c)
{
    return &c->stats;
}

const struct hlc_ev *charger_ev(const struct charger *c)
{
    return hlc_ev(&c->hlc);
}

const struct hlc_evse *charger_evse_status(const struct charger *c)
{
    return &c->evse;
}

void charger_set_operative(struct charger *c, bool operative)
{
    c->inoperative = !operative;
}

const struct charger_config *charger_config_of(const struct charger *c)
{
    return &c->cfg;
}

uint32_t charger_history_count(const struct charger *c)
{
    return c->history_count;
}

void charger_present(const struct charger *c, int32_t *mv, int32_t *ma)
{
    *mv = c->pw.present_mv;
    *ma = c->pw.present_ma;
}

/* Read-only views for telemetry (the MQTT API's power_stage and meter topics): the stage
 * and meter belong to the connector, the API only reads them. */
struct psu *charger_psu(const struct charger *c)
{
    return c->io.psu;
}

void charger_setpoint_now(const struct charger *c, int32_t *mv, int32_t *ma)
{
    *mv = c->pw.set_mv;
    *ma = c->pw.set_ma;
}

struct meter_session *charger_meter_session(const struct charger *c)
{
    return c->io.meter_session;
}

struct meter *charger_meter(const struct charger *c)
{
    return c->io.meter;
}

const char *charger_protocol_name(const struct charger *c)
{
    if (c->backend->name != NULL) {
        return c->backend->name;
    }
    return c->hlc.active != NULL ? c->hlc.active->name : "";
}

const char *charger_state_name(enum charger_state s)
{
    static const char *const names[CHARGER_STATE_COUNT] = {
        "idle",        "connected",   "ready",      "energizing", "charging",
        "stopping",    "finished",    "fault",      "link",       "negotiating",
        "authorizing", "parameters",  "cable-check", "pre-charge", "welding-detection"};
    return (unsigned)s < CHARGER_STATE_COUNT ? names[s] : "?";
}

const char *charger_stop_reason_name(enum charger_stop_reason r)
{
    static const char *const names[CHARGER_STOP_COUNT] = {
        "none",           "EV stopped",        "unplugged",           "pilot error",
        "diode fault",    "power path fault",  "local stop",          "EV error",
        "authorisation refused", "insulation fault", "cable check failed", "power stage error",
        "meter error",    "isolation monitor error", "link to the EV failed", "V2G timeout",
        "V2G protocol error", "over-voltage", "proximity fault",
        "EV target above the EVSE maximum", "output voltage not measured"};
    return (unsigned)r < CHARGER_STOP_COUNT ? names[r] : "?";
}

const char *charger_stop_reason_token(enum charger_stop_reason r)
{
    static const char *const names[CHARGER_STOP_COUNT] = {
        "none",  "ev",         "unplugged", "pilot",   "diode", "power-path",
        "local", "ev-error",   "auth",      "isolation", "cable-check", "psu",
        "meter", "imd",        "link",      "v2g-timeout", "v2g-protocol", "over-voltage", "proximity",
        "ev-limits", "no-voltage"};
    return (unsigned)r < CHARGER_STOP_COUNT ? names[r] : "?";
}

bool charger_output_voltage(const struct charger *c, struct charger_voltage *out)
{
    *out = c->pw.volt;
    return c->pw.volt.fresh;
}

void charger_set_voltage_sources(struct charger *c, uint8_t mask)
{
    c->cfg.voltage_sources = mask;
}
