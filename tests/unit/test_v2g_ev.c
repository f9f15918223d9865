/* Unit tests of the EV request/response clock both EV machines share (protocols/v2g/v2g_ev.c):
 * pacing, response timeout before setup timeout, the setup timeout only while setting up,
 * wrap-around of the millisecond clock, loop start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hal_err.h"
#include "v2g/v2g_ev.h"

static void test_pacing_and_response_timeout(void **state)
{
    (void)state;
    struct v2g_ev_clock c = {0};
    const char *why = NULL;
    v2g_ev_clock_start(&c, 1000, 50);
    assert_int_equal(v2g_ev_clock_wake(&c), 1050);
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 1049, &why), HAL_EAGAIN);
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 1050, &why), HAL_OK);
    v2g_ev_clock_sent(&c, 1050, 2000);
    assert_true(c.waiting);
    assert_int_equal(c.sent_ms, 1050);
    assert_int_equal(v2g_ev_clock_wake(&c), 3050);
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 3049, &why), HAL_EAGAIN);
    assert_null(why);
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 3050, &why), HAL_ETIMEDOUT);
    assert_string_equal(why, "response timeout");
}

static void test_setup_timeout(void **state)
{
    (void)state;
    struct v2g_ev_clock c = {0};
    const char *why = NULL;
    v2g_ev_clock_start(&c, 0, 0);
    /* A request that is out is judged by its own deadline, even past the setup timeout. */
    v2g_ev_clock_sent(&c, 19000, 2000);
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 20500, &why), HAL_EAGAIN);
    c.waiting = false;
    assert_int_equal(v2g_ev_clock_gate(&c, true, 20000, 20000, &why), HAL_ETIMEDOUT);
    assert_string_equal(why, "communication setup timeout");
    why = NULL;
    assert_int_equal(v2g_ev_clock_gate(&c, false, 20000, 20000, &why), HAL_OK); /* past setup */
    assert_null(why);
}

static void test_wrap(void **state)
{
    (void)state;
    struct v2g_ev_clock c = {0};
    const char *why = NULL;
    v2g_ev_clock_start(&c, UINT32_MAX - 10, 20); /* next_ms wraps to 9 */
    assert_int_equal(v2g_ev_clock_gate(&c, false, 20000, UINT32_MAX, &why), HAL_EAGAIN);
    assert_int_equal(v2g_ev_clock_gate(&c, false, 20000, 9, &why), HAL_OK);
}

static void test_loop_elapsed(void **state)
{
    (void)state;
    struct v2g_ev_clock c = {0};
    assert_int_equal(v2g_ev_clock_loop_elapsed(&c, true, 5000), 0);
    assert_int_equal(v2g_ev_clock_loop_elapsed(&c, false, 5600), 600);
    assert_int_equal(v2g_ev_clock_loop_elapsed(&c, false, 4000), 0); /* never negative */
    assert_int_equal(v2g_ev_clock_loop_elapsed(&c, true, 7000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pacing_and_response_timeout),
        cmocka_unit_test(test_setup_timeout),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_loop_elapsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
