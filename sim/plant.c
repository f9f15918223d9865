/* plant.c - owns the simulated physical world of one connector (struct plant): the car
 * plugging in and out by a script, contactors and lock with lagging feedback, the cable,
 * the power stage, and the safety monitor judging from these physical states. The EV
 * plant model of the host-only simulation layer, the only one: the Linux board's
 * `--sim-plant` test aid runs it too, with the car and the stage outside the process
 * (plant_init_external). */
#include "plant.h"

#include <stdio.h>
#include <string.h>

#include "hal_err.h"

/* Mechanical delays of the simulated parts (typical DC contactors and lock motors). */
#define PLANT_CONTACTOR_CLOSE_MS 30u
#define PLANT_CONTACTOR_OPEN_MS 20u
#define PLANT_LOCK_MOVE_MS 300u
/* Power stage slew in mA per ms (100 A in 5 ms). */
#define PLANT_PSU_SLEW_MA 20000
/* The monitor's threshold and grace time are the interlock's defaults: opening above
 * the threshold is a violation unless "off" was commanded at least this long before. */
#define PLANT_SAFE_CURRENT_MA 2000
#define PLANT_POWER_DOWN_GRACE_MS 500u
/* An EV that sees no PWM this long after plugging in gives up and leaves. */
#define PLANT_EV_GIVE_UP_MS 5000u
/* Injected faults strike this long after charging starts. */
#define PLANT_FAULT_DELAY_MS 2000u

static void plant_say(struct plant *p, enum hal_log_level lvl, const char *fmt, const char *arg)
{
    char line[96];
    snprintf(line, sizeof line, fmt, arg);
    hal_logf(p->log, lvl, p->now_ms, "[%s] plant: %s", p->name, line);
}

static void plant_violation(struct plant *p, const char *what)
{
    p->violations++;
    hal_logf(p->log, HAL_LOG_ERROR, p->now_ms, "[%s] SAFETY VIOLATION: %s", p->name, what);
}

/* ---------------------------------------------------------------- power stage */

static int plant_psu_set_mode(struct psu *base, enum psu_mode mode, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    if (mode == PSU_MODE_IMPORT) {
        return HAL_ENOTSUP;
    }
    if (mode == PSU_MODE_OFF && s->mode != PSU_MODE_OFF) {
        s->off_cmd_ms = s->plant->now_ms;
        if (s->stuck_armed) {
            s->stuck_armed = false;
            s->stuck_until_ms = s->plant->now_ms + 2000u;
        }
    }
    s->mode = mode;
    return s->inner != NULL ? psu_set_mode(s->inner, mode, now_ms) : HAL_OK;
}

static int plant_psu_set_export(struct psu *base, uint32_t voltage_mv, uint32_t current_ma,
                                uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    if (voltage_mv > 1000000u || current_ma > 500000u) {
        return HAL_EINVAL;
    }
    s->set_mv = voltage_mv;
    s->set_ma = current_ma;
    return s->inner != NULL ? psu_set_export(s->inner, voltage_mv, current_ma, now_ms) : HAL_OK;
}

static int plant_psu_read_output(struct psu *base, struct psu_output *out, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    if (s->inner != NULL && !s->model_output) {
        return psu_read_output(s->inner, out, now_ms);
    }
    out->voltage_mv = s->out_mv;
    out->current_ma = s->out_ma;
    out->valid = true;
    return HAL_OK;
}

/* The optional operations go straight to the real driver (capabilities, errors, proof
 * of "off"); the ideal stage has none, which the charger handles as "not supported". */
static int plant_psu_caps(struct psu *base, struct psu_capabilities *caps)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_get_capabilities(s->inner, caps) : HAL_ENOTSUP;
}

static int plant_psu_telemetry(struct psu *base, struct psu_telemetry *t, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_read_telemetry(s->inner, t, now_ms) : HAL_ENOTSUP;
}

static int plant_psu_modules(struct psu *base, struct psu_module *out, size_t max, size_t *count)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_read_modules(s->inner, out, max, count) : HAL_ENOTSUP;
}

static int plant_psu_errors(struct psu *base, struct psu_error *out, size_t max, size_t *count)
{
    struct plant_psu *s = (struct plant_psu *)base;
    if (s->inner == NULL) {
        *count = 0;
        return HAL_OK;
    }
    return psu_get_errors(s->inner, out, max, count);
}

static int plant_psu_off_done(struct psu *base, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_off_done(s->inner, now_ms) : HAL_ENOTSUP;
}

static int plant_psu_session(struct psu *base, const struct psu_session *ss, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_set_session(s->inner, ss, now_ms) : HAL_ENOTSUP;
}

static int plant_psu_unit(struct psu *base, struct psu_unit_status *u, uint32_t now_ms)
{
    struct plant_psu *s = (struct plant_psu *)base;
    return s->inner != NULL ? psu_read_unit(s->inner, u, now_ms) : HAL_ENOTSUP;
}

static const struct psu_ops s_psu_ops = {
    .set_mode = plant_psu_set_mode,
    .set_export = plant_psu_set_export,
    .read_output = plant_psu_read_output,
    .get_capabilities = plant_psu_caps,
    .read_telemetry = plant_psu_telemetry,
    .read_modules = plant_psu_modules,
    .get_errors = plant_psu_errors,
    .off_done = plant_psu_off_done,
    .set_session = plant_psu_session,
    .read_unit = plant_psu_unit,
};

/* ---------------------------------------------------------------- monitor */

int32_t plant_measured_ma(struct plant *p, bool *known, unsigned *active)
{
    if (active != NULL) {
        *active = 0;
    }
    if (!p->external || p->psu.model_output) {
        *known = true;
        return p->psu.out_ma;
    }
    /* The raw module readings, whatever the driver's proof of "off" says: a module still
     * delivering current counts even if the driver has dropped it from its sum. */
    struct psu_module mods[8];
    size_t n = 0;
    *known = false;
    if (psu_read_modules(p->psu.inner, mods, sizeof mods / sizeof mods[0], &n) == HAL_OK && n > 0) {
        int32_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            sum += mods[i].online ? mods[i].current_ma : 0;
            if (active != NULL && mods[i].active) {
                (*active)++;
            }
        }
        *known = true;
        return sum;
    }
    struct psu_output o;
    if (psu_read_output(p->psu.inner, &o, p->now_ms) == HAL_OK && o.valid) {
        *known = true;
        return o.current_ma;
    }
    return 0;
}

/* Contacts close onto a locked connector and a dead output: closing onto a live stage
 * welds contacts and surprises the car's precharge. */
static void plant_judge_close(struct plant *p)
{
    p->mon.contactor_closes++;
    if (!p->locked) {
        plant_violation(p, "contactor closed while the connector is not locked");
    }
    if (p->psu.mode != PSU_MODE_OFF) {
        plant_violation(p, "contactor closed while the power stage is on");
    }
}

/* Contacts open with the stage off and the current gone; above the safe current only
 * after the power-down timeout (a forced opening: the firmware's last resort, counted,
 * not a violation). An unknown current counts as above. */
static void plant_judge_open(struct plant *p, bool pos)
{
    bool known = false;
    int32_t ma = plant_measured_ma(p, &known, NULL);
    bool off = p->psu.mode == PSU_MODE_OFF;
    p->mon.contactor_opens++;
    p->mon.max_open_ma = ma > p->mon.max_open_ma ? ma : p->mon.max_open_ma;
    if (!known || ma > (int32_t)p->safe_current_ma) {
        if (off && p->now_ms - p->psu.off_cmd_ms >= p->grace_ms) {
            if (pos) { /* one event per opening, not per pole */
                p->forced_opens++;
                plant_say(p, HAL_LOG_WARN, "%s", "contactors forced open under load after the power-down timeout");
            }
        } else {
            char what[96];
            snprintf(what, sizeof what, "contactor opened at %ld mA%s (stage %s)", (long)ma,
                     known ? "" : " (unknown)", off ? "off" : "still on");
            plant_violation(p, what);
        }
    } else if (!off) {
        plant_violation(p, "contactor opened while the power stage is on");
    } else if (pos) {
        p->mon.opens_stage_off++;
    }
}

/* ---------------------------------------------------------------- GPIO */

static int plant_gpio_write(struct hal_gpio *base, enum hal_gpio_out out, bool active)
{
    struct plant *p = ((struct plant_gpio *)base)->plant;
    if ((unsigned)out >= HAL_GPIO_OUT_COUNT) {
        return HAL_EINVAL;
    }
    if (p->coil[out] == active) {
        return HAL_OK;
    }
    /* The monitor judges each coil command against the physical state at that instant. */
    if (out == HAL_GPIO_OUT_CONTACTOR_POS || out == HAL_GPIO_OUT_CONTACTOR_NEG) {
        if (active) {
            plant_judge_close(p);
        } else {
            plant_judge_open(p, out == HAL_GPIO_OUT_CONTACTOR_POS);
        }
    }
    if (out == HAL_GPIO_OUT_LOCK && !active && (p->contact_pos || p->contact_neg)) {
        plant_violation(p, "unlock commanded while a contactor is closed");
    }
    p->coil[out] = active;
    p->coil_changed_ms[out] = p->now_ms;
    return HAL_OK;
}

static int plant_gpio_read(struct hal_gpio *base, enum hal_gpio_in in, bool *active)
{
    struct plant *p = ((struct plant_gpio *)base)->plant;
    switch (in) {
    case HAL_GPIO_IN_CONTACTOR_POS_FB:
        *active = p->contact_pos;
        return HAL_OK;
    case HAL_GPIO_IN_CONTACTOR_NEG_FB:
        *active = p->contact_neg && !p->fb_neg_lost;
        return HAL_OK;
    case HAL_GPIO_IN_LOCK_FB:
        *active = p->locked && !p->lock_fb_broken;
        return HAL_OK;
    case HAL_GPIO_IN_ESTOP:
        *active = p->estop;
        return HAL_OK;
    case HAL_GPIO_IN_COUNT:
        break;
    }
    return HAL_EINVAL;
}

static const struct hal_gpio_ops s_gpio_ops = {.write = plant_gpio_write, .read = plant_gpio_read};

/* ---------------------------------------------------------------- pilot */

static int plant_pilot_set_duty(struct hal_pilot *base, uint16_t duty)
{
    struct plant *p = ((struct plant_pilot *)base)->plant;
    if (duty > HAL_PILOT_DUTY_DC_HIGH) {
        return HAL_EINVAL;
    }
    p->duty = duty;
    return HAL_OK;
}

static int plant_pilot_read(struct hal_pilot *base, struct hal_pilot_sample *s)
{
    struct plant *p = ((struct plant_pilot *)base)->plant;
    pilot_ev_sample(&p->ev, p->duty, s);
    if (p->pilot_force == 'E') {
        s->high_mv = s->low_mv = 0;
    } else if (p->pilot_force == 'F') {
        s->high_mv = s->low_mv = -12000;
    }
    return HAL_OK;
}

static int plant_pilot_read_pp(struct hal_pilot *base, uint32_t *ohms)
{
    struct plant *p = ((struct plant_pilot *)base)->plant;
    /* A CCS2 DC cable codes its rating with a resistor between PP and PE. */
    *ohms = p->pp_short ? 0u : p->ev.plugged && !p->pp_open ? 220u : UINT32_MAX;
    return HAL_OK;
}

static const struct hal_pilot_ops s_pilot_ops = {
    .set_duty = plant_pilot_set_duty,
    .read = plant_pilot_read,
    .read_proximity = plant_pilot_read_pp,
};

/* ---------------------------------------------------------------- world */

void plant_init(struct plant *p, const char *name, const struct plant_script *script,
                struct hal_log *log)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->script = *script;
    p->log = log;
    p->psu.base.ops = &s_psu_ops;
    p->psu.plant = p;
    p->gpio.base.ops = &s_gpio_ops;
    p->gpio.plant = p;
    p->pilot.base.ops = &s_pilot_ops;
    p->pilot.plant = p;
    p->duty = HAL_PILOT_DUTY_DC_HIGH;
    p->safe_current_ma = PLANT_SAFE_CURRENT_MA;
    p->grace_ms = PLANT_POWER_DOWN_GRACE_MS;
    pilot_ev_init(&p->ev);
}

void plant_init_external(struct plant *p, const char *name, struct psu *inner, uint32_t safe_current_ma,
                         uint32_t grace_ms, struct hal_log *log)
{
    const struct plant_script none = {0}; /* no session of its own: the car is elsewhere */
    plant_init(p, name, &none, log);
    p->external = true;
    p->psu.inner = inner;
    p->safe_current_ma = safe_current_ma;
    p->grace_ms = grace_ms;
}

void plant_ev_wire(struct plant *p, bool plugged, bool s2, bool diode_missing)
{
    if (!plugged) {
        (void)pilot_ev_set_s2(&p->ev, false);
        pilot_ev_plug(&p->ev, false);
        return;
    }
    pilot_ev_plug(&p->ev, true);
    p->ev.diode_missing = diode_missing;
    (void)pilot_ev_set_s2(&p->ev, s2);
}

static void plant_phase(struct plant *p, enum plant_ev_phase ph)
{
    p->phase = ph;
    p->phase_since_ms = p->now_ms;
}

static void plant_do_fault(struct plant *p, enum plant_fault f)
{
    switch (f) {
    case PLANT_FAULT_ESTOP:
        p->estop = true;
        break;
    case PLANT_FAULT_UNPLUG:
        if (p->car != NULL) {
            ev_model_unplug(p->car, p->now_ms);
        }
        pilot_ev_plug(&p->ev, false);
        p->psu.out_ma = 0; /* the plug breaks the circuit */
        plant_phase(p, PLANT_EV_LEFT);
        p->sessions_done++;
        break;
    case PLANT_FAULT_WELD:
        p->welded = true;
        break;
    case PLANT_FAULT_LOCK:
        p->lock_fb_broken = true;
        break;
    case PLANT_FAULT_PSU_STUCK:
        if (p->stage != NULL) {
            for (int k = 0; k < p->stage->n; k++) {
                sim_infy_fault(p->stage, &p->stage->mod[k], SIM_INFY_FAULT_STUCK);
            }
        } else {
            p->psu.stuck_armed = true;
        }
        break;
    case PLANT_FAULT_PSU_HOT:
        if (p->stage != NULL) {
            for (int k = 0; k < p->stage->n; k++) {
                sim_infy_fault(p->stage, &p->stage->mod[k], SIM_INFY_FAULT_OVER_TEMP);
            }
        }
        break;
    case PLANT_FAULT_EVSE_STOP:
        p->evse_stop = true;
        break;
    case PLANT_FAULT_DIODE:
    case PLANT_FAULT_ISOLATION:
    case PLANT_FAULT_IMD:
    case PLANT_FAULT_METER:
    case PLANT_FAULT_NONE:
    case PLANT_FAULT_COUNT:
        break;
    }
}

static void plant_fire_fault(struct plant *p)
{
    p->fault_fired = true;
    plant_say(p, HAL_LOG_WARN, "injecting fault: %s", plant_fault_name(p->script.fault));
    plant_do_fault(p, p->script.fault);
}

void plant_inject(struct plant *p, enum plant_fault f)
{
    plant_say(p, HAL_LOG_WARN, "injecting fault: %s", plant_fault_name(f));
    plant_do_fault(p, f);
}

void plant_power_loss(struct plant *p)
{
    p->psu.mode = PSU_MODE_OFF;
    p->psu.set_mv = p->psu.set_ma = 0;
    p->psu.out_ma = 0;
    p->psu.off_cmd_ms = p->now_ms;
    p->psu.stuck_until_ms = p->now_ms;
    p->psu.stuck_armed = false;
    if (p->stage != NULL) {
        for (int i = 0; i < p->stage->n; i++) {
            p->stage->mod[i].on = false;
            p->stage->mod[i].set_ma = 0;
            p->stage->mod[i].out_ma = 0;
            p->stage->mod[i].stuck_until_ms = p->now_ms;
        }
        p->stage->out_ma = 0;
    }
    for (int out = 0; out < HAL_GPIO_OUT_COUNT; out++) {
        if (p->coil[out]) {
            p->coil[out] = false;
            p->coil_changed_ms[out] = p->now_ms;
        }
    }
    p->duty = HAL_PILOT_DUTY_DC_HIGH;
    plant_say(p, HAL_LOG_WARN, "%s", "charger power lost: stage off, coils dropped, no PWM");
}

void plant_unplug(struct plant *p)
{
    if (p->phase == PLANT_EV_LEFT || p->phase == PLANT_EV_AWAY) {
        return;
    }
    plant_say(p, HAL_LOG_INFO, "%s", "the driver pulls the plug");
    plant_do_fault(p, PLANT_FAULT_UNPLUG);
}

void plant_go(struct plant *p)
{
    if (!p->go && p->script.wait_for_go) {
        plant_say(p, HAL_LOG_INFO, "%s", "the driver was told to plug in");
    }
    p->go = true;
}

/* Faults of the devices that are there from plug-in on (first session only). */
static void plant_plug_faults(struct plant *p, bool first)
{
    enum plant_fault f = first ? p->script.fault : PLANT_FAULT_NONE;
    if (p->imd != NULL) {
        sim_imd_set_resistance(p->imd, f == PLANT_FAULT_ISOLATION ? 50000u : 10000000u);
        sim_imd_set_fault(p->imd, f == PLANT_FAULT_IMD ? SIM_IMD_FAULT_DEVICE : SIM_IMD_FAULT_NONE);
    }
    if (p->meter != NULL) {
        sim_meter_set_no_answer(p->meter, f == PLANT_FAULT_METER);
    }
    if (!first && p->stage != NULL) {
        for (int k = 0; k < p->stage->n; k++) {
            sim_infy_fault(p->stage, &p->stage->mod[k], SIM_INFY_FAULT_NONE);
        }
    }
}

static bool plant_charge_fault(enum plant_fault f)
{
    return f == PLANT_FAULT_ESTOP || f == PLANT_FAULT_UNPLUG || f == PLANT_FAULT_WELD ||
           f == PLANT_FAULT_LOCK || f == PLANT_FAULT_PSU_STUCK || f == PLANT_FAULT_PSU_HOT ||
           f == PLANT_FAULT_EVSE_STOP;
}

/* The bay while no car is in it (away, or gone after a session), for both kinds of car:
 * the operator releases an e-stop once the car has gone; the monitor is repaired while the
 * bay is empty, not at the next plug-in (the firmware learns it at its driver's next read
 * of the device, sim/sim_imd.c). True when the script's next car arrives now; the faults
 * of the first session are over by then (the missing diode is the first session's). */
static bool plant_bay(struct plant *p, uint32_t in_phase, bool first)
{
    if (p->estop && p->phase == PLANT_EV_LEFT && in_phase >= 1000u) {
        p->estop = false;
        plant_say(p, HAL_LOG_INFO, "%s", "emergency stop released");
    }
    if (p->phase == PLANT_EV_LEFT && p->imd != NULL && p->sessions_done > 0) {
        sim_imd_set_resistance(p->imd, 10000000u);
        sim_imd_set_fault(p->imd, SIM_IMD_FAULT_NONE);
    }
    if (p->sessions_done >= p->script.sessions) {
        return false;
    }
    if (p->phase == PLANT_EV_AWAY && p->script.wait_for_go && !p->go) {
        return false; /* the first plug-in waits for plant_go() */
    }
    if (!((p->phase == PLANT_EV_AWAY && p->now_ms >= p->script.plug_at_ms) ||
          (p->phase == PLANT_EV_LEFT && in_phase >= p->script.pause_ms))) {
        return false;
    }
    p->estop = false;
    p->lock_fb_broken = false;
    p->ev.diode_missing = first && p->script.fault == PLANT_FAULT_DIODE;
    return true;
}

/* The DIN car drives itself; the script only plugs it in and pulls it out. */
static void plant_car_script(struct plant *p)
{
    uint32_t in_phase = p->now_ms - p->phase_since_ms;
    bool first = p->sessions_done == 0;

    switch (p->phase) {
    case PLANT_EV_AWAY:
    case PLANT_EV_LEFT:
        if (plant_bay(p, in_phase, first)) {
            plant_plug_faults(p, first);
            (void)ev_model_plug(p->car, p->now_ms);
            plant_phase(p, PLANT_EV_CHARGING);
        }
        break;
    case PLANT_EV_PLUGGED:
    case PLANT_EV_CHARGING:
        if (first && plant_charge_fault(p->script.fault) && p->fault_at_ms == 0 &&
            ev_model_in_current_demand(p->car)) { /* either protocol's loop */
            p->fault_at_ms = p->now_ms + PLANT_FAULT_DELAY_MS;
        }
        if (p->fault_at_ms != 0 && !p->fault_fired && p->now_ms >= p->fault_at_ms) {
            plant_fire_fault(p);
            if (p->phase != PLANT_EV_CHARGING) {
                break;
            }
        }
        if (ev_model_phase(p->car) == EV_MODEL_DONE) {
            plant_phase(p, PLANT_EV_DONE);
        } else if (ev_model_phase(p->car) == EV_MODEL_PAUSED && !p->locked) {
            /* A paused car whose charger gave up waiting (the plug unlocked): the driver
             * comes back to a finished session and unplugs. */
            plant_phase(p, PLANT_EV_DONE);
        }
        break;
    case PLANT_EV_DONE:
        if (p->locked) {
            p->phase_since_ms = p->now_ms;
            if (p->held_since_ms == 0) {
                p->held_since_ms = p->now_ms;
            }
            break;
        }
        p->held_since_ms = 0;
        if (in_phase >= p->script.unplug_delay_ms) {
            ev_model_unplug(p->car, p->now_ms);
            if (p->stage != NULL) { /* the modules cool down while the bay is empty */
                for (int k = 0; k < p->stage->n; k++) {
                    sim_infy_fault(p->stage, &p->stage->mod[k], SIM_INFY_FAULT_NONE);
                }
            }
            p->sessions_done++;
            plant_phase(p, PLANT_EV_LEFT);
        }
        break;
    }
}

static void plant_ev_script(struct plant *p)
{
    uint32_t in_phase = p->now_ms - p->phase_since_ms;
    bool first = p->sessions_done == 0;

    switch (p->phase) {
    case PLANT_EV_AWAY:
    case PLANT_EV_LEFT:
        if (plant_bay(p, in_phase, first)) {
            pilot_ev_plug(&p->ev, true);
            plant_say(p, HAL_LOG_INFO, "%s", "EV plugged in (state B)");
            plant_phase(p, PLANT_EV_PLUGGED);
        }
        break;
    case PLANT_EV_PLUGGED: {
        enum pilot_ev_mode mode = pilot_ev_observe(&p->ev, p->duty);
        if (mode == PILOT_EV_MODE_HLC && in_phase >= p->script.start_delay_ms) {
            (void)pilot_ev_set_s2(&p->ev, true);
            plant_say(p, HAL_LOG_INFO, "%s", "EV ready to charge (S2 closed, state C)");
            plant_phase(p, PLANT_EV_CHARGING);
            if (first && p->script.fault != PLANT_FAULT_NONE && p->script.fault != PLANT_FAULT_DIODE) {
                p->fault_at_ms = p->now_ms + PLANT_FAULT_DELAY_MS;
            }
        } else if (mode != PILOT_EV_MODE_HLC && in_phase >= PLANT_EV_GIVE_UP_MS) {
            plant_say(p, HAL_LOG_WARN, "%s", "EV saw no 5 % PWM and gives up");
            (void)pilot_ev_set_s2(&p->ev, false);
            plant_phase(p, PLANT_EV_DONE);
        }
        break;
    }
    case PLANT_EV_CHARGING:
        if (p->fault_at_ms != 0 && !p->fault_fired && p->now_ms >= p->fault_at_ms) {
            plant_fire_fault(p);
            if (p->phase != PLANT_EV_CHARGING) {
                break;
            }
        }
        if (in_phase >= p->script.charge_ms || p->duty == HAL_PILOT_DUTY_DC_HIGH) {
            (void)pilot_ev_set_s2(&p->ev, false);
            plant_say(p, HAL_LOG_INFO, "%s", "EV done (S2 open, state B)");
            plant_phase(p, PLANT_EV_DONE);
        }
        break;
    case PLANT_EV_DONE:
        /* The connector can only be pulled once the lock has physically released. */
        if (p->locked) {
            p->phase_since_ms = p->now_ms;
            if (p->held_since_ms == 0) {
                p->held_since_ms = p->now_ms;
            }
            break;
        }
        p->held_since_ms = 0;
        if (in_phase >= p->script.unplug_delay_ms) {
            pilot_ev_plug(&p->ev, false);
            p->sessions_done++;
            plant_say(p, HAL_LOG_INFO, "%s", "EV unplugged (state A)");
            plant_phase(p, PLANT_EV_LEFT);
        }
        break;
    }
}

static void plant_mechanics(struct plant *p)
{
    bool pos = p->coil[HAL_GPIO_OUT_CONTACTOR_POS], neg = p->coil[HAL_GPIO_OUT_CONTACTOR_NEG];
    uint32_t dpos = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_CONTACTOR_POS];
    uint32_t dneg = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_CONTACTOR_NEG];
    uint32_t dlock = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_LOCK];

    if (pos != p->contact_pos && dpos >= (pos ? PLANT_CONTACTOR_CLOSE_MS : PLANT_CONTACTOR_OPEN_MS) &&
        !(p->welded && p->contact_pos)) {
        p->contact_pos = pos;
    }
    if (neg != p->contact_neg && dneg >= (neg ? PLANT_CONTACTOR_CLOSE_MS : PLANT_CONTACTOR_OPEN_MS)) {
        p->contact_neg = neg;
    }
    bool lock = p->coil[HAL_GPIO_OUT_LOCK];
    if (lock != p->locked && dlock >= PLANT_LOCK_MOVE_MS) {
        if (!lock) {
            p->mon.unlocks++;
            if (p->contact_pos || p->contact_neg) {
                plant_violation(p, "connector unlocked while a contactor is closed");
            } else {
                p->mon.unlocks_path_open++;
            }
        }
        p->locked = lock;
    }
}

static void plant_power(struct plant *p)
{
    struct plant_psu *s = &p->psu;
    bool on = s->mode == PSU_MODE_EXPORT || (int32_t)(s->stuck_until_ms - p->now_ms) > 0;
    uint32_t set_mv = s->set_mv, set_ma = s->set_ma;
    if (s->grant != NULL) {
        /* a unit that decides itself (Huawei): it delivers what it granted, not what the
         * charger commanded (no key, refused allocation, its own alarm: nothing) */
        on = s->grant(s->grant_ctx, p->now_ms, &set_mv, &set_ma);
    }
    bool path = p->contact_pos && p->contact_neg && p->ev.plugged;
    int32_t target = on && path ? (int32_t)set_ma : 0;

    bool evse_closed = p->contact_pos && p->contact_neg;
    if (p->car != NULL) {
        /* The battery is on the cable only while the car's own contactors are closed. */
        bool ev_closed = ev_model_contactors(p->car) && p->ev.plugged;
        const struct ev_battery *b = ev_model_battery(p->car);
        path = evse_closed && ev_closed;
        if (p->stage != NULL) {
            p->stage->runaway_mv = p->ov_target_mv;
            p->stage->load = SIM_INFY_LOAD_BATTERY;
            p->stage->battery_mv = (uint32_t)ev_battery_ocv_mv(b);
            p->stage->load_mohm = b->cfg.r_mohm > 0 ? b->cfg.r_mohm : 1u;
            p->stage->connected = path;
            s->out_ma = path ? p->stage->out_ma : 0;
            s->out_mv = p->stage->out_mv;
        } else {
            int32_t ocv = ev_battery_ocv_mv(b);
            int32_t r = (int32_t)(b->cfg.r_mohm > 0 ? b->cfg.r_mohm : 1u);
            int32_t want = on && path ? (int32_t)(((int64_t)set_mv - ocv) * 1000 / r) : 0;
            want = want < 0 ? 0 : want > (int32_t)set_ma ? (int32_t)set_ma : want;
            s->out_ma = s->out_ma < want ? (s->out_ma + PLANT_PSU_SLEW_MA < want ? s->out_ma + PLANT_PSU_SLEW_MA : want)
                                         : (s->out_ma - PLANT_PSU_SLEW_MA > want ? s->out_ma - PLANT_PSU_SLEW_MA : want);
            s->out_mv = path ? ocv + (int32_t)((int64_t)s->out_ma * r / 1000) : on ? (int32_t)set_mv
                        : (s->out_mv > 20000 ? s->out_mv - 20000 : 0);
            if (p->ov_target_mv > s->out_mv && evse_closed) {
                s->out_mv = p->ov_target_mv; /* fault injection: a regulator runs away */
            }
        }
        p->cable_mv = evse_closed ? s->out_mv : ev_closed ? ev_battery_terminal_mv(b, 0) : 0;
        if (p->ovm != NULL) {
            sim_ovm_tick(p->ovm, p->now_ms, p->cable_mv);
        }
        ev_model_physics(p->car, p->now_ms, p->cable_mv, path ? s->out_ma : 0);
        if (p->imd != NULL) {
            sim_imd_tick(p->imd, p->now_ms, evse_closed ? s->out_mv : 0);
        }
        if (p->meter != NULL) {
            sim_meter_tick(p->meter, p->now_ms, s->out_mv, path ? s->out_ma : 0);
        }
        p->energy_wh += (double)s->out_mv * (double)(path ? s->out_ma : 0) / 1e6 / 1000.0 / 3600.0;
        return;
    }
    if (p->stage != NULL) {
        /* The modules drive the output; the plant only closes or opens the path. */
        p->stage->connected = path;
        s->out_ma = path ? p->stage->out_ma : 0;
        s->out_mv = p->stage->out_mv;
        if (p->ovm != NULL) {
            sim_ovm_tick(p->ovm, p->now_ms, evse_closed ? s->out_mv : 0);
        }
        p->energy_wh += (double)s->out_mv * (double)s->out_ma / 1e6 / 1000.0 / 3600.0;
        return;
    }

    if (!path) {
        /* No closed circuit, no current: opening under load is judged in plant_gpio_write. */
        s->out_ma = 0;
    } else if (s->out_ma < target) {
        s->out_ma = s->out_ma + PLANT_PSU_SLEW_MA < target ? s->out_ma + PLANT_PSU_SLEW_MA : target;
    } else if (s->out_ma > target) {
        s->out_ma = s->out_ma - PLANT_PSU_SLEW_MA > target ? s->out_ma - PLANT_PSU_SLEW_MA : target;
    }
    s->out_mv = on ? (int32_t)set_mv : 0;
    if (p->ovm != NULL) {
        sim_ovm_tick(p->ovm, p->now_ms, evse_closed ? s->out_mv : 0);
    }
    p->energy_wh += (double)s->out_mv * (double)s->out_ma / 1e6 / 1000.0 / 3600.0;
}

void plant_tick(struct plant *p, uint32_t now_ms)
{
    p->now_ms = now_ms;
    if (p->external) {
        /* The car and the stage run their own physics elsewhere; only the parts move here. */
        plant_mechanics(p);
        if (p->psu.model_output) {
            plant_power(p); /* a stage without measurements: the ideal stage's model */
        }
        p->max_set_mv = p->psu.set_mv > p->max_set_mv ? p->psu.set_mv : p->max_set_mv;
        return;
    }
    if (p->car != NULL) {
        (void)pilot_ev_observe(&p->ev, p->duty);
        plant_car_script(p);
    } else {
        plant_ev_script(p);
    }
    plant_mechanics(p);
    plant_power(p);
    /* Every ms, not from the 1 s time series: a short excursion is not missed. */
    p->max_set_mv = p->psu.set_mv > p->max_set_mv ? p->psu.set_mv : p->max_set_mv;
    p->max_out_mv = p->psu.out_mv > p->max_out_mv ? p->psu.out_mv : p->max_out_mv;
}

bool plant_done(const struct plant *p)
{
    return p->sessions_done >= p->script.sessions && p->phase == PLANT_EV_LEFT &&
           !p->locked && !p->coil[HAL_GPIO_OUT_LOCK];
}

static const char *const s_fault_names[PLANT_FAULT_COUNT] = {
    "none", "estop", "unplug", "weld", "lock", "diode", "psu-stuck",
    "isolation", "imd", "meter", "psu-hot", "evse-stop"};

int plant_fault_parse(const char *name, enum plant_fault *out)
{
    for (size_t i = 0; i < sizeof s_fault_names / sizeof s_fault_names[0]; i++) {
        if (strcmp(name, s_fault_names[i]) == 0) {
            *out = (enum plant_fault)i;
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

const char *plant_fault_name(enum plant_fault f)
{
    return (unsigned)f < sizeof s_fault_names / sizeof s_fault_names[0] ? s_fault_names[f] : "?";
}
