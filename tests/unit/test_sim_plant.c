/* Unit tests of the simulation layer's EV plant (sim/plant.c) in its two forms: the
 * simulator's own (scripted car, modelled stage) and the external one the Linux board's
 * `--sim-plant` test aid runs (car in another process, a real stage behind it). Both must
 * move the contacts and the lock with the same delays and judge the safety order alike:
 * every check here would pass on a plant that never judges only if it asserted nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hal_err.h"
#include "plant.h"

/* A stage that measures what the test says (the "real driver" of the external plant). */
struct test_stage {
    struct psu base;
    enum psu_mode mode;
    int32_t ma;
    bool modules;  /**< answer read_modules (two modules sharing ma) or not */
    bool readable; /**< read_output is valid */
};

static int ts_mode(struct psu *b, enum psu_mode m, uint32_t now_ms)
{
    (void)now_ms;
    ((struct test_stage *)b)->mode = m;
    return HAL_OK;
}
static int ts_export(struct psu *b, uint32_t mv, uint32_t ma, uint32_t now_ms)
{
    (void)b;
    (void)mv;
    (void)ma;
    (void)now_ms;
    return HAL_OK;
}
static int ts_read(struct psu *b, struct psu_output *o, uint32_t now_ms)
{
    struct test_stage *s = (struct test_stage *)b;
    (void)now_ms;
    memset(o, 0, sizeof *o);
    o->current_ma = s->ma;
    o->voltage_mv = 400000;
    o->valid = s->readable;
    return HAL_OK;
}
static int ts_modules(struct psu *b, struct psu_module *out, size_t max, size_t *count)
{
    struct test_stage *s = (struct test_stage *)b;
    if (!s->modules || max < 3) {
        return HAL_ENOTSUP;
    }
    memset(out, 0, 3 * sizeof out[0]);
    out[0] = (struct psu_module){.address = 1, .online = true, .active = true, .current_ma = s->ma / 2};
    out[1] = (struct psu_module){.address = 2, .online = true, .active = false, .current_ma = s->ma - s->ma / 2};
    /* A module that dropped offline: its stale reading must not count. */
    out[2] = (struct psu_module){.address = 3, .online = false, .active = false, .current_ma = 99000};
    *count = 3;
    return HAL_OK;
}
static const struct psu_ops s_ts_ops = {
    .set_mode = ts_mode, .set_export = ts_export, .read_output = ts_read, .read_modules = ts_modules};

static struct test_stage s_stage;
static struct plant s_p;

static int setup_external(void **state)
{
    (void)state;
    memset(&s_stage, 0, sizeof s_stage);
    s_stage.base.ops = &s_ts_ops;
    s_stage.readable = true;
    s_stage.modules = true;
    plant_init_external(&s_p, "t", &s_stage.base, 2000u, 3000u, NULL);
    return 0;
}

static void out(enum hal_gpio_out o, bool on)
{
    assert_int_equal(hal_gpio_write(&s_p.gpio.base, o, on), HAL_OK);
}
static bool in(enum hal_gpio_in i)
{
    bool v = false;
    assert_int_equal(hal_gpio_read(&s_p.gpio.base, i, &v), HAL_OK);
    return v;
}
/* Lock, wait for the pin, close both poles, wait for the contacts: the normal order. */
static uint32_t lock_and_close(uint32_t t)
{
    plant_tick(&s_p, t);
    out(HAL_GPIO_OUT_LOCK, true);
    plant_tick(&s_p, t += 299u);
    assert_false(in(HAL_GPIO_IN_LOCK_FB)); /* the lock motor takes 300 ms */
    plant_tick(&s_p, t += 1u);
    assert_true(in(HAL_GPIO_IN_LOCK_FB));
    out(HAL_GPIO_OUT_CONTACTOR_POS, true);
    out(HAL_GPIO_OUT_CONTACTOR_NEG, true);
    plant_tick(&s_p, t += 29u);
    assert_false(in(HAL_GPIO_IN_CONTACTOR_POS_FB)); /* closing takes 30 ms */
    plant_tick(&s_p, t += 1u);
    assert_true(in(HAL_GPIO_IN_CONTACTOR_POS_FB));
    assert_true(in(HAL_GPIO_IN_CONTACTOR_NEG_FB));
    return t;
}

static void test_external_normal_order_is_clean(void **state)
{
    (void)state;
    uint32_t t = lock_and_close(1000u);
    assert_int_equal(psu_set_mode(&s_p.psu.base, PSU_MODE_EXPORT, t), HAL_OK);
    assert_int_equal(s_stage.mode, PSU_MODE_EXPORT); /* the command went on to the real stage */
    s_stage.ma = 100000;
    assert_int_equal(psu_set_mode(&s_p.psu.base, PSU_MODE_OFF, t += 10u), HAL_OK);
    s_stage.ma = 500;
    plant_tick(&s_p, t += 100u);
    out(HAL_GPIO_OUT_CONTACTOR_POS, false);
    out(HAL_GPIO_OUT_CONTACTOR_NEG, false);
    plant_tick(&s_p, t += 20u);
    assert_false(in(HAL_GPIO_IN_CONTACTOR_POS_FB));
    out(HAL_GPIO_OUT_LOCK, false);
    plant_tick(&s_p, t += 300u);
    assert_false(in(HAL_GPIO_IN_LOCK_FB));
    assert_int_equal(s_p.violations, 0);
    assert_int_equal(s_p.forced_opens, 0);
    assert_int_equal(s_p.mon.contactor_closes, 2);
    assert_int_equal(s_p.mon.contactor_opens, 2);
    assert_int_equal(s_p.mon.opens_stage_off, 1); /* one per opening, counted on DC+ */
    assert_int_equal(s_p.mon.unlocks, 1);
    assert_int_equal(s_p.mon.unlocks_path_open, 1);
    assert_int_equal(s_p.mon.max_open_ma, 500);
}

static void test_external_close_unlocked_or_live(void **state)
{
    (void)state;
    plant_tick(&s_p, 10u);
    out(HAL_GPIO_OUT_CONTACTOR_POS, true); /* not locked */
    assert_int_equal(s_p.violations, 1);
    out(HAL_GPIO_OUT_CONTACTOR_POS, false);
    out(HAL_GPIO_OUT_LOCK, true);
    plant_tick(&s_p, 400u);
    assert_int_equal(psu_set_mode(&s_p.psu.base, PSU_MODE_EXPORT, 400u), HAL_OK);
    out(HAL_GPIO_OUT_CONTACTOR_NEG, true); /* locked, but the stage is on */
    assert_int_equal(s_p.violations, 2);
}

static void test_external_open_under_load(void **state)
{
    (void)state;
    uint32_t t = lock_and_close(0u);
    (void)psu_set_mode(&s_p.psu.base, PSU_MODE_EXPORT, t);
    s_stage.ma = 50000; /* the modules' sum: 25 A + 25 A, the offline module not counted */
    bool known = false;
    unsigned active = 9;
    assert_int_equal(plant_measured_ma(&s_p, &known, &active), 50000);
    assert_true(known);
    assert_int_equal(active, 1);
    (void)psu_set_mode(&s_p.psu.base, PSU_MODE_OFF, t);
    plant_tick(&s_p, t += 100u);
    out(HAL_GPIO_OUT_CONTACTOR_POS, false); /* 50 A, 100 ms after off: a violation */
    assert_int_equal(s_p.violations, 1);
    assert_int_equal(s_p.forced_opens, 0);
    out(HAL_GPIO_OUT_CONTACTOR_POS, true);
    plant_tick(&s_p, t += 3000u);
    out(HAL_GPIO_OUT_CONTACTOR_POS, false); /* still 50 A, 3.1 s after off: forced */
    assert_int_equal(s_p.violations, 1);
    assert_int_equal(s_p.forced_opens, 1);
    assert_int_equal(s_p.mon.max_open_ma, 50000);
}

static void test_external_unknown_current_counts_as_live(void **state)
{
    (void)state;
    uint32_t t = lock_and_close(0u);
    s_stage.modules = false;
    s_stage.readable = false;
    bool known = true;
    (void)plant_measured_ma(&s_p, &known, NULL);
    assert_false(known);
    plant_tick(&s_p, t += 10u);
    out(HAL_GPIO_OUT_CONTACTOR_NEG, false); /* off since init, but the current is unknown */
    assert_int_equal(s_p.violations, 1);
    /* Readable again, no module detail: the output's current is used. */
    s_stage.readable = true;
    s_stage.ma = 700;
    assert_int_equal(plant_measured_ma(&s_p, &known, NULL), 700);
    assert_true(known);
}

static void test_external_open_with_stage_on(void **state)
{
    (void)state;
    uint32_t t = lock_and_close(0u);
    (void)psu_set_mode(&s_p.psu.base, PSU_MODE_EXPORT, t);
    s_stage.ma = 0; /* no current, but the stage is still commanded on */
    out(HAL_GPIO_OUT_CONTACTOR_POS, false);
    assert_int_equal(s_p.violations, 1);
    assert_int_equal(s_p.mon.opens_stage_off, 0);
}

static void test_external_unlock_with_contacts_closed(void **state)
{
    (void)state;
    uint32_t t = lock_and_close(0u);
    out(HAL_GPIO_OUT_LOCK, false); /* commanded with the path closed */
    assert_int_equal(s_p.violations, 1);
    plant_tick(&s_p, t + 300u); /* ... and the pin moved with the path still closed */
    assert_int_equal(s_p.violations, 2);
    assert_int_equal(s_p.mon.unlocks, 1);
    assert_int_equal(s_p.mon.unlocks_path_open, 0);
}

static void test_external_pilot_from_the_wire(void **state)
{
    (void)state;
    struct hal_pilot_sample smp;
    uint32_t pp = 0;
    assert_int_equal(hal_pilot_read(&s_p.pilot.base, &smp), HAL_OK);
    assert_true(smp.high_mv > 11000); /* A: nothing plugged */
    assert_int_equal(hal_pilot_read_proximity(&s_p.pilot.base, &pp), HAL_OK);
    assert_int_equal(pp, UINT32_MAX);
    plant_ev_wire(&s_p, true, false, false);
    assert_int_equal(hal_pilot_set_duty(&s_p.pilot.base, 50u), HAL_OK);
    assert_int_equal(hal_pilot_read(&s_p.pilot.base, &smp), HAL_OK);
    assert_true(smp.high_mv > 8000 && smp.high_mv < 10000); /* B */
    assert_true(smp.low_mv < -11000);
    assert_int_equal(hal_pilot_read_proximity(&s_p.pilot.base, &pp), HAL_OK);
    assert_int_equal(pp, 220u);
    plant_ev_wire(&s_p, true, true, false);
    assert_int_equal(hal_pilot_read(&s_p.pilot.base, &smp), HAL_OK);
    assert_true(smp.high_mv > 5000 && smp.high_mv < 7000); /* C */
    plant_ev_wire(&s_p, true, true, true);
    assert_int_equal(hal_pilot_read(&s_p.pilot.base, &smp), HAL_OK);
    assert_true(smp.low_mv > -11000); /* no diode: the low phase is not clamped by the car */
    plant_ev_wire(&s_p, false, true, false);
    assert_int_equal(hal_pilot_read(&s_p.pilot.base, &smp), HAL_OK);
    assert_true(smp.high_mv > 11000); /* unplugged: A, whatever s2 said */
    /* An external plant has no script: it never plays a session of its own. */
    for (uint32_t t = 0; t < 20000u; t += 5u) {
        plant_tick(&s_p, t);
    }
    assert_false(s_p.ev.plugged);
    assert_int_equal(s_p.phase, PLANT_EV_AWAY);
}

/* The simulator's form: the interlock's defaults and the modelled stage's current. */
static void test_simulator_plant_judges_its_own_stage(void **state)
{
    (void)state;
    const struct plant_script sc = {.plug_at_ms = 100000u, .sessions = 1};
    plant_init(&s_p, "cp0", &sc, NULL);
    assert_false(s_p.external);
    assert_int_equal(s_p.safe_current_ma, 2000u);
    assert_int_equal(s_p.grace_ms, 500u);
    uint32_t t = lock_and_close(0u);
    s_p.psu.out_ma = 2500; /* what plant_power would have modelled */
    bool known = false;
    assert_int_equal(plant_measured_ma(&s_p, &known, NULL), 2500);
    assert_true(known);
    (void)psu_set_mode(&s_p.psu.base, PSU_MODE_OFF, t);
    plant_tick(&s_p, t += 1u);
    s_p.psu.out_ma = 2500;
    out(HAL_GPIO_OUT_CONTACTOR_POS, false);
    assert_int_equal(s_p.violations, 1);
    out(HAL_GPIO_OUT_CONTACTOR_POS, true);
    plant_tick(&s_p, t += 600u);
    s_p.psu.out_ma = 2500;
    out(HAL_GPIO_OUT_CONTACTOR_POS, false); /* 600 ms after off, 500 ms grace: forced */
    assert_int_equal(s_p.forced_opens, 1);
    assert_int_equal(s_p.violations, 1);
}

/* --plug-after-start: the first car stays away past plug_at_ms until plant_go(). */
static void test_plug_waits_for_go(void **state)
{
    (void)state;
    const struct plant_script sc = {.plug_at_ms = 1000u, .sessions = 1, .wait_for_go = true};
    plant_init(&s_p, "cp0", &sc, NULL);
    uint32_t t = 0;
    for (; t < 5000u; t += 5u) {
        plant_tick(&s_p, t);
    }
    assert_false(s_p.ev.plugged);
    assert_int_equal(s_p.phase, PLANT_EV_AWAY);
    plant_go(&s_p);
    for (uint32_t end = t + 100u; t < end; t += 5u) {
        plant_tick(&s_p, t);
    }
    assert_true(s_p.ev.plugged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_external_normal_order_is_clean, setup_external),
        cmocka_unit_test_setup(test_external_close_unlocked_or_live, setup_external),
        cmocka_unit_test_setup(test_external_open_under_load, setup_external),
        cmocka_unit_test_setup(test_external_unknown_current_counts_as_live, setup_external),
        cmocka_unit_test_setup(test_external_open_with_stage_on, setup_external),
        cmocka_unit_test_setup(test_external_unlock_with_contacts_closed, setup_external),
        cmocka_unit_test_setup(test_external_pilot_from_the_wire, setup_external),
        cmocka_unit_test(test_simulator_plant_judges_its_own_stage),
        cmocka_unit_test(test_plug_waits_for_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
