/* Unit tests of the EVSE-side control pilot: classification bands, the diode check,
 * debouncing and the duty/current tables of IEC 61851-1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "iec61851/pilot.h"

static enum pilot_state classify(int32_t high, int32_t low, bool pwm, bool *diode)
{
    struct hal_pilot_sample s = {high, low};
    return pilot_classify(&s, pwm, diode);
}

static void test_bands(void **state)
{
    (void)state;
    bool d;
    assert_int_equal(classify(12000, 12000, false, &d), PILOT_STATE_A);
    assert_int_equal(classify(11000, -12000, true, &d), PILOT_STATE_A);
    assert_int_equal(classify(9000, -12000, true, &d), PILOT_STATE_B);
    assert_int_equal(classify(8000, -12000, true, &d), PILOT_STATE_B);
    assert_int_equal(classify(6000, -12000, true, &d), PILOT_STATE_C);
    assert_int_equal(classify(5000, -12000, true, &d), PILOT_STATE_C);
    assert_int_equal(classify(3000, -12000, true, &d), PILOT_STATE_D);
    assert_int_equal(classify(0, 0, true, &d), PILOT_STATE_E);
    assert_int_equal(classify(-12000, -12000, false, &d), PILOT_STATE_F);
    assert_int_equal(classify(14000, 14000, false, &d), PILOT_STATE_E); /* above every band */
    assert_false(d);
    /* edges: exactly on a boundary belongs to the upper state */
    assert_int_equal(classify(10500, 10500, false, &d), PILOT_STATE_A);
    assert_int_equal(classify(10499, 10499, false, &d), PILOT_STATE_B);
    assert_int_equal(classify(7500, -12000, true, &d), PILOT_STATE_B);
    assert_int_equal(classify(4500, -12000, true, &d), PILOT_STATE_C);
    assert_int_equal(classify(1500, -12000, true, &d), PILOT_STATE_D);
    assert_int_equal(classify(-10500, -12000, true, &d), PILOT_STATE_F);
    assert_int_equal(classify(-10499, -12000, true, &d), PILOT_STATE_E);
}

static void test_diode_check(void **state)
{
    (void)state;
    bool d = false;
    /* with PWM and a vehicle present, a low phase above -10.5 V means no diode */
    assert_int_equal(classify(6000, -6000, true, &d), PILOT_STATE_E);
    assert_true(d);
    assert_int_equal(classify(9000, -9000, true, &d), PILOT_STATE_E);
    assert_true(d);
    /* no PWM: the low phase is not measured, no verdict on the diode */
    assert_int_equal(classify(9000, 9000, false, &d), PILOT_STATE_B);
    assert_false(d);
    /* no vehicle: nothing to check */
    assert_int_equal(classify(12000, -12000, true, &d), PILOT_STATE_A);
    assert_false(d);
    assert_int_equal(classify(9000, -12000, true, NULL), PILOT_STATE_B);
}

static void test_debounce(void **state)
{
    (void)state;
    struct pilot p;
    struct pilot_event ev;
    struct hal_pilot_sample a = {12000, 12000}, b = {9000, 9000};
    pilot_init(&p, NULL);
    assert_int_equal(pilot_state(&p), PILOT_STATE_UNKNOWN);
    assert_false(pilot_update(&p, &a, 0, &ev));
    assert_false(pilot_update(&p, &a, 29, &ev));
    assert_true(pilot_update(&p, &a, 30, &ev));
    assert_int_equal(ev.from, PILOT_STATE_UNKNOWN);
    assert_int_equal(ev.to, PILOT_STATE_A);
    /* a 20 ms glitch to B is not reported */
    assert_false(pilot_update(&p, &b, 100, &ev));
    assert_false(pilot_update(&p, &b, 120, &ev));
    assert_false(pilot_update(&p, &a, 125, &ev));
    assert_false(pilot_update(&p, &a, 500, &ev));
    assert_int_equal(pilot_state(&p), PILOT_STATE_A);
    /* a real change is reported once, after the debounce time */
    assert_false(pilot_update(&p, &b, 600, &ev));
    assert_true(pilot_update(&p, &b, 630, &ev));
    assert_int_equal(ev.to, PILOT_STATE_B);
    assert_false(pilot_update(&p, &b, 700, &ev));
    /* the debounce works across the 32-bit wrap of now_ms */
    pilot_init(&p, &(struct pilot_config){.debounce_ms = 50});
    assert_false(pilot_update(&p, &b, UINT32_MAX - 10, &ev));
    assert_false(pilot_update(&p, &b, 20, &ev));
    assert_true(pilot_update(&p, &b, 40, &ev));
}

static void test_diode_fault_event(void **state)
{
    (void)state;
    struct pilot p;
    struct pilot_event ev;
    struct hal_pilot_sample bad = {9000, -9000};
    pilot_init(&p, NULL);
    pilot_set_duty(&p, PILOT_DUTY_HLC);
    assert_false(pilot_update(&p, &bad, 0, &ev));
    assert_true(pilot_update(&p, &bad, 40, &ev));
    assert_int_equal(ev.to, PILOT_STATE_E);
    assert_true(ev.diode_fault);
    assert_true(p.diode_fault);
}

static void test_confirmation_restarts_with_pwm(void **state)
{
    (void)state;
    struct pilot p;
    struct pilot_event ev;
    struct hal_pilot_sample c = {6000, -12000};
    pilot_init(&p, NULL);
    assert_false(pilot_confirmed(&p));
    assert_false(pilot_update(&p, &c, 0, &ev));
    assert_true(pilot_update(&p, &c, 30, &ev));
    assert_true(pilot_confirmed(&p));
    /* starting the PWM: C must be seen again for a whole debounce time */
    pilot_set_duty(&p, PILOT_DUTY_HLC);
    assert_false(pilot_confirmed(&p));
    assert_false(pilot_update(&p, &c, 40, &ev));
    assert_false(pilot_confirmed(&p));
    assert_false(pilot_update(&p, &c, 69, &ev));
    assert_false(pilot_confirmed(&p));
    assert_false(pilot_update(&p, &c, 70, &ev)); /* same state: no event, but confirmed */
    assert_true(pilot_confirmed(&p));
    /* a change of duty within PWM keeps the confirmation */
    pilot_set_duty(&p, 266);
    assert_true(pilot_confirmed(&p));
}

static void test_duty_from_current(void **state)
{
    (void)state;
    uint16_t d = 0;
    assert_int_equal(pilot_duty_from_current(60, &d), HAL_OK);
    assert_int_equal(d, 100); /* 6 A -> 10 % */
    assert_int_equal(pilot_duty_from_current(160, &d), HAL_OK);
    assert_int_equal(d, 266); /* 16 A -> 26.6 % */
    assert_int_equal(pilot_duty_from_current(320, &d), HAL_OK);
    assert_int_equal(d, 533); /* 32 A -> 53.3 % */
    assert_int_equal(pilot_duty_from_current(510, &d), HAL_OK);
    assert_int_equal(d, 850); /* 51 A -> 85 % */
    assert_int_equal(pilot_duty_from_current(630, &d), HAL_OK);
    assert_int_equal(d, 892); /* 63 A -> 89.2 % */
    assert_int_equal(pilot_duty_from_current(800, &d), HAL_OK);
    assert_int_equal(d, 960); /* 80 A -> 96 % */
    assert_int_equal(pilot_duty_from_current(59, &d), HAL_EINVAL);
    assert_int_equal(pilot_duty_from_current(801, &d), HAL_EINVAL);
    assert_int_equal(pilot_duty_from_current(0, &d), HAL_EINVAL);
}

static void test_current_from_duty(void **state)
{
    (void)state;
    uint32_t a = 99;
    assert_int_equal(pilot_current_from_duty(PILOT_DUTY_HLC, &a), HAL_OK);
    assert_int_equal(a, 0);
    assert_int_equal(pilot_current_from_duty(100, &a), HAL_OK);
    assert_int_equal(a, 60);
    assert_int_equal(pilot_current_from_duty(960, &a), HAL_OK);
    assert_int_equal(a, 800);
    assert_int_equal(pilot_current_from_duty(75, &a), HAL_EINVAL);
    assert_int_equal(pilot_current_from_duty(980, &a), HAL_EINVAL);
    assert_int_equal(pilot_current_from_duty(1000, &a), HAL_EINVAL);
    /* Round trip over the whole table: an EV never reads more than was meant, and at
     * most 1.7 A less (the two formulas of the standard meet unevenly just above 51 A,
     * and 0.1 % of duty is 0.25 A there). */
    for (uint32_t i = 60; i <= 800; i++) {
        uint16_t d;
        assert_int_equal(pilot_duty_from_current(i, &d), HAL_OK);
        assert_int_equal(pilot_current_from_duty(d, &a), HAL_OK);
        assert_in_range(a, i - 17, i);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pilot_state_name(PILOT_STATE_C), "C");
    assert_string_equal(pilot_state_name(PILOT_STATE_UNKNOWN), "?");
    assert_string_equal(pilot_state_name((enum pilot_state)42), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bands),          cmocka_unit_test(test_diode_check),
        cmocka_unit_test(test_debounce),       cmocka_unit_test(test_diode_fault_event),
        cmocka_unit_test(test_confirmation_restarts_with_pwm),
        cmocka_unit_test(test_duty_from_current), cmocka_unit_test(test_current_from_duty),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
