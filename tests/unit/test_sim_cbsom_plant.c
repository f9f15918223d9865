/* Unit tests of the plant outside the charger (sim/sim_cbsom_plant.c): the car's and the
 * stage's messages (bad ones refused), the CP the controller sees, the load switched with
 * the path, what the car is told, and the record and monitor the fault judge reads: an
 * opening under load is a violation unless the stage has been out of its controller's
 * hands for the power-down timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "faults_check.h"
#include "hal_pilot.h"
#include "sim_cbsom_plant.h"

static const char *const s_car_c = "ev plugged=1 s2=1 diode=1 closed=1 ocv_mv=380000 r_mohm=50";

static void running(struct cbsom_device *d, bool pos, bool neg)
{
    memset(d, 0, sizeof *d);
    d->phase = CBSOM_DEV_RUNNING;
    d->cc.pwm_active = true;
    d->cc.duty = 50;
    d->car = CBSOM_CP_C;
    d->closed[0] = pos;
    d->closed[1] = neg;
}

static void test_parse_car(void **state)
{
    (void)state;
    struct sim_cbsom_car c;
    assert_int_equal(sim_cbsom_plant_parse_car(s_car_c, &c), 0);
    assert_true(c.plugged && c.s2 && c.diode && c.closed);
    assert_int_equal(c.ocv_mv, 380000);
    assert_int_equal(c.r_mohm, 50);
    /* hostile: missing fields, values out of range, trailing junk, not a car */
    assert_int_equal(sim_cbsom_plant_parse_car("ev plugged=1 s2=1", &c), -1);
    assert_int_equal(sim_cbsom_plant_parse_car("ev plugged=2 s2=1 diode=1 closed=0 ocv_mv=1 r_mohm=1", &c), -1);
    assert_int_equal(sim_cbsom_plant_parse_car("ev plugged=1 s2=1 diode=1 closed=0 ocv_mv=-5 r_mohm=1", &c), -1);
    assert_int_equal(sim_cbsom_plant_parse_car("ev plugged=1 s2=1 diode=1 closed=0 ocv_mv=5 r_mohm=1x", &c), -1);
    assert_int_equal(sim_cbsom_plant_parse_car("evse duty=50 closed=0 locked=0 mv=0 ma=0", &c), -1);
}

static void test_stage_round_trip(void **state)
{
    (void)state;
    struct sim_cbsom_stage in = {true, 400123, -17, 250}, out;
    char buf[96];
    int n = sim_cbsom_plant_format_stage(buf, sizeof buf, &in);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    assert_int_equal(sim_cbsom_plant_parse_stage(buf, &out), 0);
    assert_true(out.on);
    assert_int_equal(out.mv, 400123);
    assert_int_equal(out.ma, -17);
    assert_int_equal(out.quiet_ms, 250);
    assert_int_equal(sim_cbsom_plant_parse_stage("stage on=1 mv=1 ma=1", &out), -1);
    assert_int_equal(sim_cbsom_plant_parse_stage("stage on=3 mv=1 ma=1 quiet_ms=0", &out), -1);
    assert_int_equal(sim_cbsom_plant_parse_stage("stage on=1 mv=9999999 ma=1 quiet_ms=0", &out), -1);
}

static void test_cp_from_car(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    sim_cbsom_plant_init(&p, 5000, 1000);
    assert_int_equal(sim_cbsom_plant_cp(&p, 1000), CBSOM_CP_A);
    assert_int_equal(sim_cbsom_plant_car_msg(&p, "ev plugged=1 s2=0 diode=1 closed=0 ocv_mv=1 r_mohm=1", 1000), 0);
    assert_int_equal(sim_cbsom_plant_cp(&p, 1010), CBSOM_CP_B);
    assert_int_equal(p.plugins, 1);
    assert_int_equal(sim_cbsom_plant_car_msg(&p, s_car_c, 1020), 0);
    assert_int_equal(sim_cbsom_plant_cp(&p, 1030), CBSOM_CP_C);
    assert_int_equal(p.plugins, 1); /* still the same plug-in */
    /* a malformed message changes nothing; a silent car is unplugged after the stale time */
    assert_int_equal(sim_cbsom_plant_car_msg(&p, "garbage", 1040), -1);
    assert_int_equal(p.car_bad, 1);
    assert_int_equal(sim_cbsom_plant_cp(&p, 1020 + SIM_CBSOM_CAR_STALE_MS), CBSOM_CP_C);
    assert_int_equal(sim_cbsom_plant_cp(&p, 1021 + SIM_CBSOM_CAR_STALE_MS), CBSOM_CP_A);
}

static void test_load_follows_path(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    struct cbsom_device d;
    char buf[64];
    sim_cbsom_plant_init(&p, 5000, 0);
    running(&d, true, false);
    (void)sim_cbsom_plant_car_msg(&p, s_car_c, 10);
    /* one contactor: open (said once, as the state is unknown at start) */
    assert_int_equal(sim_cbsom_plant_load_cmd(&p, &d, buf, sizeof buf, 20) > 0, 1);
    assert_string_equal(buf, "load open\n");
    sim_cbsom_plant_load_sent(&p, &d, 20);
    assert_int_equal(sim_cbsom_plant_load_cmd(&p, &d, buf, sizeof buf, 30), 0);
    d.closed[1] = true; /* both closed and the car's too: its battery goes on the output */
    assert_true(sim_cbsom_plant_load_cmd(&p, &d, buf, sizeof buf, 40) > 0);
    assert_string_equal(buf, "load battery 380.000:0.050\n");
    sim_cbsom_plant_load_sent(&p, &d, 40);
    assert_int_equal(sim_cbsom_plant_load_cmd(&p, &d, buf, sizeof buf, 50), 0);
    d.closed[0] = false;
    assert_true(sim_cbsom_plant_load_cmd(&p, &d, buf, sizeof buf, 60) > 0);
    assert_string_equal(buf, "load open\n");
}

static void test_car_reply(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    struct cbsom_device d;
    char buf[96];
    sim_cbsom_plant_init(&p, 5000, 0);
    (void)sim_cbsom_plant_stage_msg(&p, "stage on=1 mv=380500 ma=20000 quiet_ms=3", 5);
    running(&d, true, true);
    (void)sim_cbsom_plant_car_reply(&p, &d, buf, sizeof buf, 10);
    assert_string_equal(buf, "evse duty=50 closed=1 locked=0 mv=380500 ma=20000");
    d.closed[1] = false; /* no current through an open path */
    (void)sim_cbsom_plant_car_reply(&p, &d, buf, sizeof buf, 10);
    assert_string_equal(buf, "evse duty=50 closed=0 locked=0 mv=380500 ma=0");
    d.phase = CBSOM_DEV_SAFE;
    (void)sim_cbsom_plant_car_reply(&p, &d, buf, sizeof buf, 10);
    assert_string_equal(buf, "evse duty=0 closed=0 locked=0 mv=380500 ma=0");
    d.phase = CBSOM_DEV_INIT;
    (void)sim_cbsom_plant_car_reply(&p, &d, buf, sizeof buf, 10);
    assert_string_equal(buf, "evse duty=1000 closed=0 locked=0 mv=380500 ma=0");
}

/* The controller opens both contactors at @p t after a closed, loaded step at t - 5. */
static struct sim_cbsom_sample open_loaded(struct sim_cbsom_plant *p, struct cbsom_device *d, const char *stage,
                                           uint32_t t)
{
    struct sim_cbsom_sample x;
    running(d, true, true);
    (void)sim_cbsom_plant_stage_msg(p, stage, t - 5);
    sim_cbsom_plant_sample(p, d, t - 5, &x);
    d->closed[0] = d->closed[1] = false;
    sim_cbsom_plant_sample(p, d, t, &x);
    return x;
}

static void test_monitor_open_under_load(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    struct cbsom_device d;
    struct sim_cbsom_sample x;
    /* the stage on and in its controller's hands: an opening under load is a violation */
    sim_cbsom_plant_init(&p, 5000, 0);
    x = open_loaded(&p, &d, "stage on=1 mv=400000 ma=30000 quiet_ms=20", 10000);
    assert_int_equal(p.violations, 1);
    assert_int_equal(p.forced_opens, 0);
    assert_int_equal(p.max_open_ma, 30000);
    assert_true(x.bits & FAULTS_B_EXPORT);
    assert_false(x.bits & FAULTS_B_OFF_LONG);
    assert_int_equal(x.ma, 0); /* the path is open: nothing flows through it */
    /* the stage unreachable (its bus down) past the power-down timeout: a forced opening */
    sim_cbsom_plant_init(&p, 5000, 0);
    x = open_loaded(&p, &d, "stage on=1 mv=400000 ma=30000 quiet_ms=4900", 10000);
    assert_int_equal(p.violations, 0);
    assert_int_equal(p.forced_opens, 1);
    assert_true(x.bits & FAULTS_B_OFF_LONG);
    assert_false(x.bits & FAULTS_B_EXPORT);
    assert_true(x.bits & FAULTS_B_STAGE);
    /* below the safe current: an ordinary opening */
    sim_cbsom_plant_init(&p, 5000, 0);
    (void)open_loaded(&p, &d, "stage on=0 mv=400000 ma=500 quiet_ms=20", 10000);
    assert_int_equal(p.violations + p.forced_opens, 0);
    assert_int_equal(p.opens, 1);
    assert_int_equal(p.closes, 0); /* the first sample has no "before" */
}

/* The controller opens on its own (the car left C) while the host still asks: not the
 * host's order, marked for the judge for the power-down timeout, counted apart. */
static void test_gate_opening(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    struct cbsom_device d;
    struct sim_cbsom_sample x;
    sim_cbsom_plant_init(&p, 5000, 0);
    running(&d, true, true);
    d.cc.contactor[0] = d.cc.contactor[1] = true;
    (void)sim_cbsom_plant_stage_msg(&p, "stage on=1 mv=400000 ma=200000 quiet_ms=20", 9990);
    sim_cbsom_plant_sample(&p, &d, 9995, &x);
    assert_false(x.bits & FAULTS_B_GATE);
    d.car = CBSOM_CP_B;
    d.closed[0] = d.closed[1] = false;
    sim_cbsom_plant_sample(&p, &d, 10000, &x);
    assert_true(x.bits & FAULTS_B_GATE);
    assert_int_equal(p.gate_opens, 1);
    assert_int_equal(p.violations + p.forced_opens, 0);
    sim_cbsom_plant_sample(&p, &d, 10000 + 4899, &x);
    assert_true(x.bits & FAULTS_B_GATE);
    sim_cbsom_plant_sample(&p, &d, 10000 + 4900, &x); /* no longer excused */
    assert_false(x.bits & FAULTS_B_GATE);
    d.cc.contactor[0] = d.cc.contactor[1] = false; /* the host lets go */
    sim_cbsom_plant_sample(&p, &d, 10000 + 4905, &x);
    assert_false(p.gate);
    /* a request the controller has not met yet (no contact was closed) is no opening */
    d.cc.contactor[0] = true;
    sim_cbsom_plant_sample(&p, &d, 10000 + 4910, &x);
    assert_false(x.bits & FAULTS_B_GATE);
}

static void test_monitor_close_outside_c(void **state)
{
    (void)state;
    struct sim_cbsom_plant p;
    struct cbsom_device d;
    struct sim_cbsom_sample x;
    sim_cbsom_plant_init(&p, 5000, 0);
    running(&d, false, false);
    sim_cbsom_plant_sample(&p, &d, 10, &x);
    assert_true(x.bits & FAULTS_B_PWM);
    assert_false(x.bits & (FAULTS_B_CPOS | FAULTS_B_CNEG | FAULTS_B_LOCKED | FAULTS_B_LOCKCOIL));
    d.closed[0] = true; /* in C: allowed */
    sim_cbsom_plant_sample(&p, &d, 15, &x);
    assert_int_equal(p.closes, 1);
    assert_int_equal(p.violations, 0);
    assert_true(x.bits & FAULTS_B_CPOS);
    d.closed[0] = false;
    sim_cbsom_plant_sample(&p, &d, 20, &x);
    d.car = CBSOM_CP_B; /* a closing the controller's gate should never allow */
    d.closed[1] = true;
    sim_cbsom_plant_sample(&p, &d, 25, &x);
    assert_int_equal(p.closes, 2);
    assert_int_equal(p.violations, 1);
    char buf[512];
    (void)sim_cbsom_plant_status(&p, buf, sizeof buf);
    assert_non_null(strstr(buf, "violations=1\nforced_opens=0\ngate_opens_under_load=0\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_car),          cmocka_unit_test(test_stage_round_trip),
        cmocka_unit_test(test_cp_from_car),        cmocka_unit_test(test_load_follows_path),
        cmocka_unit_test(test_car_reply),          cmocka_unit_test(test_monitor_open_under_load),
        cmocka_unit_test(test_monitor_close_outside_c), cmocka_unit_test(test_gate_opening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
