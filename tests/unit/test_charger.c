/* Unit tests of the connector session at the pilot level: plug-in, charge, stop and
 * unplug, the faults that end a session, and two connectors in one scheduler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "charger.h"
#include "fake_log.h"
#include "fake_pilot.h"
#include "fake_power.h"

struct rig {
    struct fake_pilot pilot;
    struct fake_power power;
    struct fake_log log;
    struct sched sched;
    struct charger charger;
    uint32_t now;
};

static struct rig s_rigs[2];
static bool s_gate; /* the next rig's contactors sit behind a safety controller's gate */

static void rig_init(struct rig *r, const char *name, struct sched *shared)
{
    struct charger_config cfg;
    fake_pilot_init(&r->pilot);
    fake_power_init(&r->power);
    fake_log_init(&r->log);
    charger_default_config(&cfg);
    snprintf(cfg.name, sizeof cfg.name, "%s", name);
    struct charger_ports ports = {
        .pilot = &r->pilot.base, .gpio = &r->power.gpio, .psu = &r->power.psu, .log = &r->log.base,
        .contactor_gate = s_gate};
    struct sched *s = shared != NULL ? shared : &r->sched;
    if (shared == NULL) {
        sched_init(s);
    }
    r->now = 0;
    assert_int_equal(charger_init(&r->charger, &cfg, &ports, s, 0), HAL_OK);
}

static void run(struct rig *r, struct sched *s, uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        r->now++;
        fake_power_tick(&r->power, r->now);
        sched_run(s, r->now, false);
    }
}

static int setup(void **state)
{
    rig_init(&s_rigs[0], "cp0", NULL);
    run(&s_rigs[0], &s_rigs[0].sched, 100);
    *state = &s_rigs[0];
    return 0;
}

static void plug_and_charge(struct rig *r)
{
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, &r->sched, 100);
    assert_int_equal(r->pilot.duty, PILOT_DUTY_HLC);
    assert_int_equal(charger_state(&r->charger), CHARGER_READY);
    assert_true(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(pilot_ev_set_s2(&r->pilot.ev, true), HAL_OK);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_CHARGING);
    assert_int_equal(r->power.mode, PSU_MODE_EXPORT);
    assert_true(r->power.current_ma > 2000);
}

static void assert_safe(const struct rig *r)
{
    assert_int_equal(r->power.breach_open_under_load, 0);
    assert_int_equal(r->power.breach_unlock_while_closed, 0);
    assert_int_equal(r->power.breach_close_unlocked, 0);
    assert_int_equal(r->power.breach_export_open, 0);
}

static int setup_gate(void **state)
{
    s_gate = true;
    rig_init(&s_rigs[0], "cp0", NULL);
    s_gate = false;
    run(&s_rigs[0], &s_rigs[0].sched, 100);
    *state = &s_rigs[0];
    return 0;
}

/* Behind a safety controller (Charge SOM): the car opens S2 and the controller cuts the
 * contactors in the same instant, before our debounce confirmed B. The EV's stop, no
 * held fault; the stage is switched off and the connector released. */
static void test_gate_opens_on_b_is_ev_stop(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    run(r, &r->sched, 200);
    r->log.watch = "safety controller opened the contactors";
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run(r, &r->sched, 1);
    assert_true(r->log.watched > 0);
    run(r, &r->sched, 1000);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(charger_state(&r->charger), CHARGER_FINISHED);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_EV);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_NONE);
    assert_null(charger_held_fault(&r->charger));
    assert_false(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(r->power.breach_unlock_while_closed, 0);
    /* The next car charges as usual. */
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
}

/* The same drop with the car still in C is not the gate: a held fault as without one. */
static void test_gate_drop_in_c_is_fault(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    run(r, &r->sched, 200);
    r->log.watch = "safety controller opened the contactors";
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run(r, &r->sched, 1000);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_CONTACTOR_DROPPED);
    assert_non_null(charger_held_fault(&r->charger));
    assert_int_equal(r->log.watched, 0u);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
}

static void test_full_session(void **state)
{
    struct rig *r = *state;
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    plug_and_charge(r);
    run(r, &r->sched, 1000);
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_FINISHED);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_false(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    const struct charger_stats *st = charger_stats(&r->charger);
    assert_int_equal(st->sessions, 1);
    assert_int_equal(st->sessions_charged, 1);
    assert_int_equal(st->last_stop, CHARGER_STOP_EV);
    assert_in_range(st->charge_ms_total, 1000, 1100);
    const struct charger_session_record *rec = charger_history(&r->charger, 0);
    assert_non_null(rec);
    assert_int_equal(rec->number, 1);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_null(charger_history(&r->charger, 1));
    /* order of the physical commands: off, open, unlock */
    int off = fake_power_find(&r->power, FAKE_PSU_OFF, fake_power_find(&r->power, FAKE_PSU_EXPORT, 0));
    int open = fake_power_find(&r->power, FAKE_CONTACTORS_OPEN, off);
    int unlock = fake_power_find(&r->power, FAKE_UNLOCK, open);
    assert_true(off > 0 && open > off && unlock > open);
    assert_safe(r);
}

static void test_unplug_under_load(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 1000);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_UNPLUGGED);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_false(r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
    assert_safe(r);
}

static void test_diode_fault_never_energises(void **state)
{
    struct rig *r = *state;
    r->pilot.ev.diode_missing = true;
    pilot_ev_plug(&r->pilot.ev, true);
    (void)pilot_ev_set_s2(&r->pilot.ev, true);
    run(r, &r->sched, 500);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_DIODE_FAULT);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0), -1);
    assert_int_equal(fake_power_find(&r->power, FAKE_PSU_EXPORT, 0), -1);
    /* a fault ends only with the vehicle gone */
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
}

static void test_pilot_unreadable_stops(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    r->pilot.read_error = HAL_EIO;
    run(r, &r->sched, 200);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_PILOT_ERROR);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_false(r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
    assert_safe(r);
}

static void test_estop_while_charging(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    r->power.estop = true;
    run(r, &r->sched, 10);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    run(r, &r->sched, 1000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_ESTOP);
    assert_false(r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
    /* stays in fault while the e-stop is pressed, even after unplugging */
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    const char *why = NULL;
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_REFUSED);
    assert_string_equal(why, "emergency stop still pressed");
    /* released: still held, an e-stop is cleared by a person, not by the unplug */
    r->power.estop = false;
    run(r, &r->sched, 1000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_string_equal(charger_held_fault(&r->charger), "emergency stop");
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_DONE);
    assert_null(charger_held_fault(&r->charger));
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    /* and the next car charges */
    plug_and_charge(r);
    assert_safe(r);
}

/* Held faults: an e-stop during the power-down (a reset then is refused: still
 * energised), then the feedback is lost while the contactors open (the case).
 * The connector stays locked, so the vehicle cannot leave (no pilot A): only an operator
 * reset, once the feedback reads again and the output is below 60 V, releases it. */
static void test_held_fault_needs_operator_reset(void **state)
{
    struct rig *r = *state;
    const char *why = NULL;
    plug_and_charge(r);
    r->power.current_stuck = true; /* power-down lasts its full 500 ms */
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_NOTHING);
    r->power.estop = true;
    run(r, &r->sched, 20);
    assert_int_equal(interlock_state(&r->charger.il), INTERLOCK_POWER_DOWN);
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_ENERGISED);
    r->power.estop = false;
    r->power.current_stuck = false;
    r->power.io_error = true; /* the feedback is lost while opening */
    run(r, &r->sched, 2000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(interlock_state(&r->charger.il), INTERLOCK_HELD);
    assert_true(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_REFUSED);
    assert_string_equal(why, "contactor, lock or e-stop feedback unreadable");
    r->power.io_error = false;
    run(r, &r->sched, 5000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT); /* the vehicle is still there */
    assert_true(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_DONE);
    run(r, &r->sched, 200);
    assert_false(r->power.coil[HAL_GPIO_OUT_LOCK]); /* released: the vehicle may leave */
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    plug_and_charge(r);
    assert_safe(r);
}

/* A car that plugs in while the connector is out of order (held) is served once the
 * operator resets; the car of the faulted session, still plugged in at the reset, is
 * only let go (unlocked, finished). */
static void test_reset_serves_a_waiting_car(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    r->power.estop = true;
    run(r, &r->sched, 1000);
    r->power.estop = false;
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    /* the same car still there at the reset: released, not offered a new session */
    assert_int_equal(charger_reset(&r->charger, r->now, NULL), CHARGER_RESET_DONE);
    run(r, &r->sched, 200);
    assert_int_equal(charger_state(&r->charger), CHARGER_FINISHED);
    assert_false(r->power.coil[HAL_GPIO_OUT_LOCK]);
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    /* again, but the car leaves and the next one is waiting when the reset comes */
    plug_and_charge(r);
    r->power.estop = true;
    run(r, &r->sched, 1000);
    r->power.estop = false;
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 200);
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(charger_reset(&r->charger, r->now, NULL), CHARGER_RESET_DONE);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_READY);
    assert_int_equal(pilot_ev_set_s2(&r->pilot.ev, true), HAL_OK);
    run(r, &r->sched, 200);
    assert_int_equal(charger_state(&r->charger), CHARGER_CHARGING);
    assert_safe(r);
}

/* Faults that clear by themselves: a pilot error clears with the unplug, nobody involved,
 * and a reset has nothing to do. */
static void test_self_clearing_fault(void **state)
{
    struct rig *r = *state;
    const char *why = NULL;
    plug_and_charge(r);
    r->pilot.read_error = HAL_EIO;
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_null(charger_held_fault(&r->charger));
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_NOTHING);
    r->pilot.read_error = HAL_OK;
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 100);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    plug_and_charge(r);
    assert_safe(r);
}

/* A lock that does not engage clears by itself once the vehicle is gone. */
static void test_lock_timeout_clears_itself(void **state)
{
    struct rig *r = *state;
    r->power.lock_stuck = true;
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, &r->sched, 2000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_LOCK_TIMEOUT);
    assert_null(charger_held_fault(&r->charger));
    r->power.lock_stuck = false;
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 200);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    plug_and_charge(r);
    assert_safe(r);
}

static void test_welded_holds_connector(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    r->power.weld_pos = true;
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    run(r, &r->sched, 2000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_WELDED);
    assert_true(r->power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(fake_power_find(&r->power, FAKE_UNLOCK, 0), -1);
    assert_safe(r);
}

static void test_local_stop(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    charger_request_stop(&r->charger);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_FINISHED);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_LOCAL);
    assert_safe(r);
}

static void test_short_c_glitch_does_not_energise(void **state)
{
    struct rig *r = *state;
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, &r->sched, 400);
    (void)pilot_ev_set_s2(&r->pilot.ev, true);
    run(r, &r->sched, 20); /* shorter than the 30 ms debounce */
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    run(r, &r->sched, 600);
    assert_int_equal(charger_state(&r->charger), CHARGER_READY);
    assert_int_equal(charger_stats(&r->charger)->sessions_charged, 0);
    assert_int_equal(fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0), -1);
    assert_safe(r);
}

/* A limit that changes while charging (station share, OCPP, derating) reaches the stage
 * at once in the pilot-level session too; a W limit is turned into current at the export
 * voltage; 0 W asks for no current; removing it restores the configured current. (Before,
 * the pilot-level setpoint was sent once at energizing and ignored the W limit.) */
static void test_power_limit_follows_while_charging(void **state)
{
    struct rig *r = *state;
    struct fake_power *p = &r->power;
    plug_and_charge(r);
    assert_int_equal(p->set_ma, 10000); /* 10 A configured at 400 V */
    charger_set_power_limit(&r->charger, 2000);
    run(r, &r->sched, 5);
    assert_int_equal(p->set_ma, 5000); /* 2 kW / 400 V */
    assert_int_equal(p->set_mv, 400000);
    charger_set_power_limit(&r->charger, 0);
    run(r, &r->sched, 5);
    assert_int_equal(p->set_ma, 0);
    assert_int_equal(charger_state(&r->charger), CHARGER_CHARGING);
    charger_set_power_limit(&r->charger, CHARGER_NO_POWER_LIMIT);
    run(r, &r->sched, 5);
    assert_int_equal(p->set_ma, 10000);
    assert_safe(r);
}

/* The pilot backend runs the one session machine through its own states (no link): the
 * sequence every pilot-level verdict is written against, sampled every millisecond. */
static void test_pilot_backend_state_sequence(void **state)
{
    struct rig *r = *state;
    enum charger_state seen[16];
    unsigned n = 0;
    seen[n++] = charger_state(&r->charger);
    assert_string_equal(charger_protocol_name(&r->charger), "pilot");
    for (int phase = 0; phase < 4; phase++) {
        if (phase == 0) {
            pilot_ev_plug(&r->pilot.ev, true);
        } else if (phase == 1) {
            assert_int_equal(pilot_ev_set_s2(&r->pilot.ev, true), HAL_OK);
        } else if (phase == 2) {
            (void)pilot_ev_set_s2(&r->pilot.ev, false);
        } else {
            pilot_ev_plug(&r->pilot.ev, false);
        }
        for (int i = 0; i < 600; i++) {
            run(r, &r->sched, 1);
            enum charger_state s = charger_state(&r->charger);
            if (s != seen[n - 1] && n < 16) {
                seen[n++] = s;
            }
        }
    }
    static const enum charger_state want[] = {CHARGER_IDLE,     CHARGER_CONNECTED, CHARGER_READY,
                                              CHARGER_ENERGIZING, CHARGER_CHARGING, CHARGER_STOPPING,
                                              CHARGER_FINISHED, CHARGER_IDLE};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < n; i++) {
        assert_string_equal(charger_state_name(seen[i]), charger_state_name(want[i]));
    }
    /* the export setpoint the pilot backend gives as the EV's target: 400 V, 10 A */
    assert_int_equal(r->power.set_mv, 400000);
    assert_int_equal(r->power.set_ma, 10000);
    assert_int_equal(charger_stats(&r->charger)->cd_requests, 0); /* no messages */
    assert_safe(r);
}

/* The one stop policy: a lock that does not release in time ends the pilot session in
 * FAULT (it clears by itself with the unplug), as a V2G session's does, so the next car
 * charges. (The separate pilot machine used to go to FINISHED with the fault still
 * latched, and the next car's session then failed at plug-in on that old fault.) */
static void test_unlock_timeout_clears_with_the_unplug(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    r->power.lock_stuck = true;
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    run(r, &r->sched, 3000);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(charger_stats(&r->charger)->last_fault, INTERLOCK_FAULT_UNLOCK_TIMEOUT);
    assert_null(charger_held_fault(&r->charger)); /* not held: no operator needed */
    r->power.lock_stuck = false;
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 200);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    plug_and_charge(r);
    assert_int_equal(charger_stats(&r->charger)->sessions, 2);
    assert_safe(r);
}

/* The error table stops a pilot-level session as it stops a V2G one: energised without a
 * fresh output-voltage measurement (every source taken away), the session ends with that
 * reason. (The separate pilot machine never looked at the table: it charged on, blind.)
 * The error does not outlive the session: the next car charges. */
static void test_pilot_session_stops_on_the_error_table(void **state)
{
    struct rig *r = *state;
    plug_and_charge(r);
    charger_set_voltage_sources(&r->charger, 0);
    run(r, &r->sched, 1000);
    assert_int_equal(charger_stats(&r->charger)->last_stop, CHARGER_STOP_NO_VOLTAGE);
    assert_int_equal(charger_state(&r->charger), CHARGER_FAULT);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_false(r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
    charger_set_voltage_sources(&r->charger, 0xff);
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, &r->sched, 200);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    plug_and_charge(r);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_CHARGING);
    assert_safe(r);
}

static void test_two_connectors_one_scheduler(void **state)
{
    (void)state;
    struct sched s;
    sched_init(&s);
    rig_init(&s_rigs[0], "cp0", &s);
    rig_init(&s_rigs[1], "cp1", &s);
    pilot_ev_plug(&s_rigs[1].pilot.ev, true);
    for (int i = 0; i < 300; i++) {
        s_rigs[0].now++;
        s_rigs[1].now++;
        fake_power_tick(&s_rigs[0].power, s_rigs[0].now);
        fake_power_tick(&s_rigs[1].power, s_rigs[1].now);
        sched_run(&s, s_rigs[0].now, false);
    }
    assert_int_equal(charger_state(&s_rigs[0].charger), CHARGER_IDLE);
    assert_int_equal(charger_state(&s_rigs[1].charger), CHARGER_READY);
    assert_false(s_rigs[0].power.coil[HAL_GPIO_OUT_LOCK]);
    assert_true(s_rigs[1].power.coil[HAL_GPIO_OUT_LOCK]);
}

/* Held at start-up (a contactor reads closed after a power cycle): no session is offered
 * to the car that plugs in, until an operator reset once the contactor reads open. */
static void test_held_at_start_offers_no_session(void **state)
{
    (void)state;
    struct rig *r = &s_rigs[0];
    struct charger_config cfg;
    fake_pilot_init(&r->pilot);
    fake_power_init(&r->power);
    fake_log_init(&r->log);
    r->power.fb_pos = true; /* welded while the charger was off */
    r->power.weld_pos = true;
    charger_default_config(&cfg);
    struct charger_ports ports = {
        .pilot = &r->pilot.base, .gpio = &r->power.gpio, .psu = &r->power.psu, .log = &r->log.base};
    sched_init(&r->sched);
    r->now = 0;
    assert_int_equal(charger_init(&r->charger, &cfg, &ports, &r->sched, 0), HAL_OK);
    run(r, &r->sched, 100);
    assert_string_equal(charger_held_fault(&r->charger), "contactor welded");
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_IDLE);
    assert_int_equal(charger_stats(&r->charger)->sessions, 0);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    const char *why = NULL;
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_REFUSED);
    assert_string_equal(why, "a contactor still reads closed");
    r->power.weld_pos = false;
    r->power.fb_pos = false;
    assert_int_equal(charger_reset(&r->charger, r->now, &why), CHARGER_RESET_DONE);
    run(r, &r->sched, 500);
    assert_int_equal(charger_state(&r->charger), CHARGER_READY); /* the waiting car is served */
    assert_safe(r);
}

static void test_init_rejects_missing_ports(void **state)
{
    (void)state;
    struct charger c;
    struct charger_config cfg;
    struct sched s;
    sched_init(&s);
    charger_default_config(&cfg);
    struct charger_ports none = {0};
    assert_int_equal(charger_init(&c, &cfg, &none, &s, 0), HAL_EINVAL);
    assert_string_equal(charger_state_name(CHARGER_CHARGING), "charging");
    assert_string_equal(charger_stop_reason_name(CHARGER_STOP_DIODE_FAULT), "diode fault");
    assert_string_equal(charger_stop_reason_name((enum charger_stop_reason)77), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_session, setup, NULL),
        cmocka_unit_test_setup_teardown(test_gate_opens_on_b_is_ev_stop, setup_gate, NULL),
        cmocka_unit_test_setup_teardown(test_gate_drop_in_c_is_fault, setup_gate, NULL),
        cmocka_unit_test_setup_teardown(test_unplug_under_load, setup, NULL),
        cmocka_unit_test_setup_teardown(test_diode_fault_never_energises, setup, NULL),
        cmocka_unit_test_setup_teardown(test_pilot_unreadable_stops, setup, NULL),
        cmocka_unit_test_setup_teardown(test_estop_while_charging, setup, NULL),
        cmocka_unit_test_setup_teardown(test_welded_holds_connector, setup, NULL),
        cmocka_unit_test_setup_teardown(test_held_fault_needs_operator_reset, setup, NULL),
        cmocka_unit_test_setup_teardown(test_self_clearing_fault, setup, NULL),
        cmocka_unit_test_setup_teardown(test_reset_serves_a_waiting_car, setup, NULL),
        cmocka_unit_test_setup_teardown(test_lock_timeout_clears_itself, setup, NULL),
        cmocka_unit_test_setup_teardown(test_local_stop, setup, NULL),
        cmocka_unit_test_setup_teardown(test_short_c_glitch_does_not_energise, setup, NULL),
        cmocka_unit_test_setup(test_power_limit_follows_while_charging, setup),
        cmocka_unit_test_setup(test_pilot_backend_state_sequence, setup),
        cmocka_unit_test_setup(test_unlock_timeout_clears_with_the_unplug, setup),
        cmocka_unit_test_setup(test_pilot_session_stops_on_the_error_table, setup),
        cmocka_unit_test(test_two_connectors_one_scheduler),
        cmocka_unit_test(test_held_at_start_offers_no_session),
        cmocka_unit_test(test_init_rejects_missing_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
