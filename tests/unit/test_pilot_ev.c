/* Unit tests of the EV-side pilot model the simulators use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "iec61851/pilot_ev.h"

static void test_levels_follow_ev_state(void **state)
{
    (void)state;
    struct pilot_ev ev;
    struct hal_pilot_sample s;
    pilot_ev_init(&ev);
    pilot_ev_sample(&ev, HAL_PILOT_DUTY_DC_HIGH, &s);
    assert_int_equal(s.high_mv, 12000);
    assert_int_equal(pilot_ev_presented(&ev), PILOT_STATE_A);
    assert_int_equal(pilot_ev_set_s2(&ev, true), HAL_ESTATE); /* not plugged */
    pilot_ev_plug(&ev, true);
    pilot_ev_sample(&ev, PILOT_DUTY_HLC, &s);
    assert_int_equal(s.high_mv, 9000);
    assert_int_equal(s.low_mv, -12000);
    assert_int_equal(pilot_ev_set_s2(&ev, true), HAL_OK);
    pilot_ev_sample(&ev, PILOT_DUTY_HLC, &s);
    assert_int_equal(s.high_mv, 6000);
    ev.ventilation = true;
    assert_int_equal(pilot_ev_presented(&ev), PILOT_STATE_D);
    pilot_ev_sample(&ev, HAL_PILOT_DUTY_DC_HIGH, &s);
    assert_int_equal(s.low_mv, 3000); /* no PWM: both plateaus equal */
    pilot_ev_sample(&ev, HAL_PILOT_DUTY_DC_LOW, &s);
    assert_int_equal(s.high_mv, -12000);
    pilot_ev_plug(&ev, false);
    assert_false(ev.s2_closed);
    assert_int_equal(pilot_ev_presented(&ev), PILOT_STATE_A);
}

static void test_faults(void **state)
{
    (void)state;
    struct pilot_ev ev;
    struct hal_pilot_sample s;
    pilot_ev_init(&ev);
    pilot_ev_plug(&ev, true);
    ev.diode_missing = true;
    pilot_ev_sample(&ev, PILOT_DUTY_HLC, &s);
    assert_int_equal(s.low_mv, -9000);
    assert_int_equal(pilot_classify(&s, true, NULL), PILOT_STATE_E);
    ev.diode_missing = false;
    ev.short_to_pe = true;
    pilot_ev_sample(&ev, PILOT_DUTY_HLC, &s);
    assert_int_equal(pilot_classify(&s, true, NULL), PILOT_STATE_E);
}

static void test_observe_modes(void **state)
{
    (void)state;
    struct pilot_ev ev;
    pilot_ev_init(&ev);
    assert_int_equal(pilot_ev_observe(&ev, PILOT_DUTY_HLC), PILOT_EV_MODE_NONE); /* unplugged */
    pilot_ev_plug(&ev, true);
    assert_int_equal(pilot_ev_observe(&ev, PILOT_DUTY_HLC), PILOT_EV_MODE_HLC);
    assert_int_equal(pilot_ev_observe(&ev, 266), PILOT_EV_MODE_BASIC);
    assert_int_equal(ev.announced_da, 159);
    assert_int_equal(pilot_ev_observe(&ev, 990), PILOT_EV_MODE_INVALID);
    assert_int_equal(ev.announced_da, 0);
    assert_int_equal(pilot_ev_observe(&ev, HAL_PILOT_DUTY_DC_HIGH), PILOT_EV_MODE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_follow_ev_state),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_observe_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
