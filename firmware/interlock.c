#include "interlock.h"

#include <stddef.h>

#include "hal_clock.h"

void interlock_default_config(struct interlock_config *cfg)
{
    cfg->safe_current_ma = 2000;
    cfg->power_down_timeout_ms = 500;
    cfg->contactor_timeout_ms = 200;
    cfg->lock_timeout_ms = 1500;
    /* InfyPower reads each module back once per poll (up to 1 s); a discharged output
     * must be seen within a few of them. */
    cfg->discharge_timeout_ms = 5000;
}

void interlock_set_voltage_source(struct interlock *il, interlock_voltage_fn fn, void *ctx)
{
    il->voltage = fn;
    il->voltage_ctx = ctx;
}

void interlock_set_gate(struct interlock *il, interlock_gate_fn fn, void *ctx)
{
    il->gate = fn;
    il->gate_ctx = ctx;
}

bool interlock_gate_dropped(const struct interlock *il)
{
    return il->gate_dropped;
}

/* The one place that decides the connector voltage for unlocking: the charger's source
 * when it gave one, else the power stage's read-back, always with its validity. */
static bool interlock_connector_mv(struct interlock *il, int32_t *mv, uint32_t now_ms)
{
    if (il->voltage != NULL) {
        return il->voltage(il->voltage_ctx, mv);
    }
    struct psu_output out = {0};
    if (psu_read_output(il->psu, &out, now_ms) != HAL_OK || !out.valid) {
        return false;
    }
    *mv = out.voltage_mv;
    return true;
}

/* Inputs of one supervision pass. `ok` is false when any of them could not be read;
 * then nothing below may be believed and the power path must not be trusted. */
struct interlock_inputs {
    bool ok;
    bool pos;
    bool neg;
    bool lock;
    bool estop;
};

static struct interlock_inputs interlock_read(struct interlock *il)
{
    struct interlock_inputs in = {.ok = true};

    in.ok = hal_gpio_read(il->gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &in.pos) == HAL_OK &&
            hal_gpio_read(il->gpio, HAL_GPIO_IN_CONTACTOR_NEG_FB, &in.neg) == HAL_OK &&
            hal_gpio_read(il->gpio, HAL_GPIO_IN_LOCK_FB, &in.lock) == HAL_OK;
    /* A board without an e-stop input reports ENOTSUP; a failing e-stop input is a fault. */
    int rc = hal_gpio_read(il->gpio, HAL_GPIO_IN_ESTOP, &in.estop);
    if (rc == HAL_ENOTSUP) {
        in.estop = false;
    } else if (rc != HAL_OK) {
        in.ok = false;
    }
    return in;
}

static void interlock_raise(struct interlock *il, enum interlock_fault f)
{
    if (il->fault == INTERLOCK_FAULT_NONE) {
        il->fault = f;
    }
    /* Any fault ends the session: walk to the safest reachable state. */
    il->target = INTERLOCK_TARGET_UNLOCKED;
}

static void interlock_contactors(struct interlock *il, bool closed)
{
    /* A failed write is caught by the feedback check that follows every command. */
    (void)hal_gpio_write(il->gpio, HAL_GPIO_OUT_CONTACTOR_POS, closed);
    (void)hal_gpio_write(il->gpio, HAL_GPIO_OUT_CONTACTOR_NEG, closed);
}

static void interlock_enter(struct interlock *il, enum interlock_state s, uint32_t now_ms)
{
    il->state = s;
    switch (s) {
    case INTERLOCK_LOCKING:
        (void)hal_gpio_write(il->gpio, HAL_GPIO_OUT_LOCK, true);
        il->deadline_ms = now_ms + il->cfg.lock_timeout_ms;
        break;
    case INTERLOCK_CLOSING:
        interlock_contactors(il, true);
        il->deadline_ms = now_ms + il->cfg.contactor_timeout_ms;
        break;
    case INTERLOCK_POWER_DOWN:
        (void)psu_set_mode(il->psu, PSU_MODE_OFF, now_ms);
        il->deadline_ms = now_ms + il->cfg.power_down_timeout_ms;
        break;
    case INTERLOCK_OPENING:
        interlock_contactors(il, false);
        il->deadline_ms = now_ms + il->cfg.contactor_timeout_ms;
        break;
    case INTERLOCK_UNLOCKING:
        (void)hal_gpio_write(il->gpio, HAL_GPIO_OUT_LOCK, false);
        il->deadline_ms = now_ms + il->cfg.lock_timeout_ms;
        break;
    case INTERLOCK_DISCHARGING:
        /* The lock pin is left as it is (locked after a session): only the voltage may
         * release it. */
        il->deadline_ms = now_ms + il->cfg.discharge_timeout_ms;
        break;
    case INTERLOCK_HELD:
        /* Contactor state or connector voltage unknown, or welded: keep the pins out of
         * reach. */
        (void)psu_set_mode(il->psu, PSU_MODE_OFF, now_ms);
        interlock_contactors(il, false);
        (void)hal_gpio_write(il->gpio, HAL_GPIO_OUT_LOCK, true);
        break;
    case INTERLOCK_UNLOCKED:
        /* At rest the session that saw the controller's opening is over: its note must
         * not end the next car's session before its contactors ever closed (faults-real
         * with the Charge SOM plant: car 2 stopped in SLAC as "EV left state C"). */
        il->gate_dropped = false;
        break;
    case INTERLOCK_LOCKED:
    case INTERLOCK_CLOSED:
        break;
    }
}

int interlock_init(struct interlock *il, const struct interlock_config *cfg, struct hal_gpio *gpio,
                   struct psu *psu, uint32_t now_ms)
{
    if (cfg->power_down_timeout_ms == 0 || cfg->contactor_timeout_ms == 0 ||
        cfg->lock_timeout_ms == 0 || cfg->safe_current_ma == 0 || cfg->discharge_timeout_ms == 0) {
        return HAL_EINVAL;
    }
    il->cfg = *cfg;
    il->gpio = gpio;
    il->psu = psu;
    il->target = INTERLOCK_TARGET_UNLOCKED;
    il->fault = INTERLOCK_FAULT_NONE;
    il->opened_under_load = false;
    il->voltage = NULL;
    il->voltage_ctx = NULL;
    il->gate = NULL;
    il->gate_ctx = NULL;
    il->gate_dropped = false;

    (void)psu_set_mode(psu, PSU_MODE_OFF, now_ms);
    interlock_contactors(il, false);
    struct interlock_inputs in = interlock_read(il);
    if (!in.ok) {
        interlock_raise(il, INTERLOCK_FAULT_FEEDBACK_IO);
        interlock_enter(il, INTERLOCK_HELD, now_ms);
    } else if (in.pos || in.neg) {
        interlock_raise(il, INTERLOCK_FAULT_WELDED);
        interlock_enter(il, INTERLOCK_HELD, now_ms);
    } else {
        /* Whatever the last run left: release only once the connector reads safe. */
        interlock_enter(il, INTERLOCK_DISCHARGING, now_ms);
    }
    return HAL_OK;
}

void interlock_request(struct interlock *il, enum interlock_target target)
{
    /* After a fault only "release" is accepted until interlock_reset(). */
    if (il->fault != INTERLOCK_FAULT_NONE && target != INTERLOCK_TARGET_UNLOCKED) {
        return;
    }
    if (target == INTERLOCK_TARGET_CLOSED) {
        il->gate_dropped = false;
    }
    il->target = target;
}

/* Contactors were commanded closed (or are closing): everything that ends this leads
 * through POWER_DOWN, never straight to OPENING. */
static void interlock_step_live(struct interlock *il, const struct interlock_inputs *in,
                                uint32_t now_ms)
{
    if (!in->ok) {
        interlock_raise(il, INTERLOCK_FAULT_FEEDBACK_IO);
    } else if (in->estop) {
        interlock_raise(il, INTERLOCK_FAULT_ESTOP);
    } else if (!in->lock) {
        interlock_raise(il, INTERLOCK_FAULT_LOCK_LOST);
    } else if (il->state == INTERLOCK_CLOSING) {
        if (in->pos && in->neg) {
            interlock_enter(il, INTERLOCK_CLOSED, now_ms);
        } else if (hal_time_reached(now_ms, il->deadline_ms)) {
            interlock_raise(il, INTERLOCK_FAULT_CLOSE_TIMEOUT);
        }
    } else if (!in->pos || !in->neg) {
        if (il->gate != NULL && il->gate(il->gate_ctx)) {
            /* The outside controller opened them because the pilot left C/D: expected,
             * not a fault. Power off first all the same (the stage may still push
             * current into open contacts), and do not close again on our own. */
            il->gate_dropped = true;
            /* Only "closed" is withdrawn: a release the session asked for in the same
             * pass (a link loss just before) stands, or the path would rest locked and
             * the session wait for the release for ever (faults-real, Charge SOM plant). */
            if (il->target == INTERLOCK_TARGET_CLOSED) {
                il->target = INTERLOCK_TARGET_LOCKED;
            }
        } else {
            interlock_raise(il, INTERLOCK_FAULT_CONTACTOR_DROPPED);
        }
    }
    if (il->target != INTERLOCK_TARGET_CLOSED) {
        interlock_enter(il, INTERLOCK_POWER_DOWN, now_ms);
    }
}

static void interlock_step_power_down(struct interlock *il, uint32_t now_ms)
{
    struct psu_output out = {0};
    int rc = psu_read_output(il->psu, &out, now_ms);
    int32_t current = out.current_ma < 0 ? -out.current_ma : out.current_ma;

    /* A stage that never exports carries no current: nothing to wait for. */
    if (psu_never_exports(il->psu) ||
        (rc == HAL_OK && out.valid && (uint32_t)current < il->cfg.safe_current_ma)) {
        interlock_enter(il, INTERLOCK_OPENING, now_ms);
    } else if (hal_time_reached(now_ms, il->deadline_ms)) {
        /* The stage did not stop (or cannot be read). Opening under load wears the
         * contacts, but leaving an uncontrolled source connected is worse. */
        il->opened_under_load = true;
        interlock_raise(il, INTERLOCK_FAULT_POWER_DOWN_TIMEOUT);
        (void)psu_set_mode(il->psu, PSU_MODE_OFF, now_ms);
        interlock_enter(il, INTERLOCK_OPENING, now_ms);
    }
}

/* Contactors are commanded open in UNLOCKED, LOCKING, LOCKED and UNLOCKING: if either
 * feedback says closed, or cannot be read, the connector must not be released. */
static bool interlock_check_open(struct interlock *il, const struct interlock_inputs *in,
                                 uint32_t now_ms)
{
    if (!in->ok) {
        interlock_raise(il, INTERLOCK_FAULT_FEEDBACK_IO);
        interlock_enter(il, INTERLOCK_HELD, now_ms);
        return false;
    }
    if (in->pos || in->neg) {
        interlock_raise(il, INTERLOCK_FAULT_WELDED);
        interlock_enter(il, INTERLOCK_HELD, now_ms);
        return false;
    }
    if (in->estop) {
        interlock_raise(il, INTERLOCK_FAULT_ESTOP);
    }
    return true;
}

void interlock_step(struct interlock *il, uint32_t now_ms)
{
    struct interlock_inputs in = interlock_read(il);

    switch (il->state) {
    case INTERLOCK_CLOSING:
    case INTERLOCK_CLOSED:
        interlock_step_live(il, &in, now_ms);
        break;
    case INTERLOCK_POWER_DOWN:
        if (in.ok && in.estop) {
            interlock_raise(il, INTERLOCK_FAULT_ESTOP);
        }
        interlock_step_power_down(il, now_ms);
        break;
    case INTERLOCK_OPENING:
        if (in.ok && !in.pos && !in.neg) {
            interlock_enter(il, INTERLOCK_LOCKED, now_ms);
        } else if (hal_time_reached(now_ms, il->deadline_ms)) {
            interlock_raise(il, in.ok ? INTERLOCK_FAULT_WELDED : INTERLOCK_FAULT_FEEDBACK_IO);
            interlock_enter(il, INTERLOCK_HELD, now_ms);
        }
        break;
    case INTERLOCK_UNLOCKED:
        if (interlock_check_open(il, &in, now_ms) && il->target != INTERLOCK_TARGET_UNLOCKED) {
            interlock_enter(il, INTERLOCK_LOCKING, now_ms);
        }
        break;
    case INTERLOCK_LOCKING:
        if (!interlock_check_open(il, &in, now_ms)) {
            break;
        }
        if (il->target == INTERLOCK_TARGET_UNLOCKED) {
            interlock_enter(il, INTERLOCK_DISCHARGING, now_ms);
        } else if (in.lock) {
            interlock_enter(il, INTERLOCK_LOCKED, now_ms);
        } else if (hal_time_reached(now_ms, il->deadline_ms)) {
            interlock_raise(il, INTERLOCK_FAULT_LOCK_TIMEOUT);
            interlock_enter(il, INTERLOCK_DISCHARGING, now_ms);
        }
        break;
    case INTERLOCK_LOCKED:
        if (!interlock_check_open(il, &in, now_ms)) {
            break;
        }
        if (!in.lock && il->target != INTERLOCK_TARGET_UNLOCKED) {
            interlock_raise(il, INTERLOCK_FAULT_LOCK_LOST);
        }
        if (il->target == INTERLOCK_TARGET_UNLOCKED) {
            interlock_enter(il, INTERLOCK_DISCHARGING, now_ms);
        } else if (il->target == INTERLOCK_TARGET_CLOSED) {
            (void)psu_set_mode(il->psu, PSU_MODE_OFF, now_ms);
            interlock_enter(il, INTERLOCK_CLOSING, now_ms);
        }
        break;
    case INTERLOCK_UNLOCKING:
        if (!interlock_check_open(il, &in, now_ms)) {
            break;
        }
        if (!in.lock) {
            interlock_enter(il, INTERLOCK_UNLOCKED, now_ms);
        } else if (hal_time_reached(now_ms, il->deadline_ms)) {
            interlock_raise(il, INTERLOCK_FAULT_UNLOCK_TIMEOUT);
            interlock_enter(il, INTERLOCK_UNLOCKED, now_ms);
        }
        break;
    case INTERLOCK_DISCHARGING: {
        if (!interlock_check_open(il, &in, now_ms)) {
            break;
        }
        int32_t mv = 0;
        bool measured = interlock_connector_mv(il, &mv, now_ms);
        if (il->target != INTERLOCK_TARGET_UNLOCKED) {
            interlock_enter(il, INTERLOCK_LOCKING, now_ms); /* a new session: keep it locked */
        } else if (measured && mv < INTERLOCK_SAFE_MV && mv > -INTERLOCK_SAFE_MV) {
            interlock_enter(il, INTERLOCK_UNLOCKING, now_ms);
        } else if (hal_time_reached(now_ms, il->deadline_ms)) {
            /* Hazardous or unknown: the pins stay out of reach until a person looks. */
            interlock_raise(il, measured ? INTERLOCK_FAULT_VOLTAGE_HIGH : INTERLOCK_FAULT_VOLTAGE_UNKNOWN);
            interlock_enter(il, INTERLOCK_HELD, now_ms);
        }
        break;
    }
    case INTERLOCK_HELD:
        break;
    }
}

bool interlock_power_allowed(const struct interlock *il)
{
    return il->state == INTERLOCK_CLOSED && il->fault == INTERLOCK_FAULT_NONE &&
           il->target == INTERLOCK_TARGET_CLOSED;
}

static int interlock_refuse(const char **why, const char *text)
{
    if (why != NULL) {
        *why = text;
    }
    return HAL_ESTATE;
}

int interlock_reset(struct interlock *il, uint32_t now_ms, const char **why)
{
    struct interlock_inputs in = interlock_read(il);
    int32_t mv = 0;

    if (!in.ok) {
        return interlock_refuse(why, "contactor, lock or e-stop feedback unreadable");
    }
    if (in.estop) {
        return interlock_refuse(why, "emergency stop still pressed");
    }
    if (in.pos || in.neg) {
        return interlock_refuse(why, "a contactor still reads closed");
    }
    if (il->state != INTERLOCK_HELD && il->state != INTERLOCK_UNLOCKED &&
        il->state != INTERLOCK_LOCKED) {
        return interlock_refuse(why, "the power path is still sequencing");
    }
    if (il->state == INTERLOCK_HELD) {
        /* Leaving HELD unlocks: the voltage must be known and safe now. */
        if (!interlock_connector_mv(il, &mv, now_ms)) {
            return interlock_refuse(why, "connector voltage unknown");
        }
        if (mv >= INTERLOCK_SAFE_MV || mv <= -INTERLOCK_SAFE_MV) {
            return interlock_refuse(why, "connector voltage 60 V or more");
        }
    }
    il->fault = INTERLOCK_FAULT_NONE;
    il->opened_under_load = false;
    if (il->state == INTERLOCK_HELD) {
        il->target = INTERLOCK_TARGET_UNLOCKED;
        interlock_enter(il, INTERLOCK_DISCHARGING, now_ms);
    }
    if (why != NULL) {
        *why = "";
    }
    return HAL_OK;
}

bool interlock_fault_held(enum interlock_fault f)
{
    /* A lock that did not engage or release says nothing about energy at the pins and
     * clears once the vehicle is gone; everything else needs a person. */
    return f != INTERLOCK_FAULT_NONE && f != INTERLOCK_FAULT_LOCK_TIMEOUT &&
           f != INTERLOCK_FAULT_UNLOCK_TIMEOUT;
}

enum interlock_state interlock_state(const struct interlock *il)
{
    return il->state;
}

enum interlock_fault interlock_fault(const struct interlock *il)
{
    return il->fault;
}

const char *interlock_state_name(enum interlock_state s)
{
    static const char *const names[] = {"unlocked",   "locking", "locked",    "closing", "closed",
                                        "power-down", "opening", "unlocking", "held",    "discharging"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *interlock_fault_name(enum interlock_fault f)
{
    static const char *const names[] = {
        "none",          "emergency stop",        "lock did not engage", "lock lost",
        "contactor did not close", "contactor dropped out", "contactor welded",
        "feedback unreadable",     "power stage did not stop", "lock did not release",
        "connector voltage unknown", "connector voltage stayed at 60 V or more"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}
