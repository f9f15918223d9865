/* Unit tests of the systemd watchdog's health decision (board/linux/watchdog.c) over a real
 * scheduler: a ping only when due, only while the scheduler's passes advance, the pass was
 * short and no armed task is behind its deadline; pings come back once the loop recovers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"
#include "watchdog.h"

static struct sched s_sched;
static struct sched_task s_task;
static char s_buf[96];

static void step_noop(struct sched_task *t, uint32_t now_ms)
{
    sched_task_at(t, now_ms + 10u);
}

static int setup(void **state)
{
    (void)state;
    sched_init(&s_sched);
    sched_task_init(&s_task, "meter", step_noop, NULL, false);
    assert_int_equal(sched_add(&s_sched, &s_task, 0), HAL_OK);
    return 0;
}

/* one scheduler pass at @p now, then the decision after it */
static bool pass_and_check(struct board_watchdog *w, uint32_t now, uint32_t pass_ms, const char **why)
{
    (void)sched_run(&s_sched, now, false);
    return board_watchdog_check(w, &s_sched, now, pass_ms, s_buf, sizeof s_buf, why);
}

static void test_no_watchdog_never_pings(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    board_watchdog_init(&w, 0, &s_sched, 0);
    for (uint32_t t = 0; t < 5000; t += 100) {
        assert_false(pass_and_check(&w, t, 1, &why));
        assert_null(why);
    }
    assert_int_equal(w.pings, 0);
}

static void test_pings_at_half_the_timeout(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    board_watchdog_init(&w, 1000000u, &s_sched, 0); /* WatchdogSec=1s */
    assert_int_equal(w.interval_ms, 500);
    assert_true(pass_and_check(&w, 10, 1, &why)); /* first one at once */
    assert_false(pass_and_check(&w, 20, 1, &why));
    assert_null(why); /* not due: no reason, nothing withheld */
    assert_false(pass_and_check(&w, 509, 1, &why));
    assert_true(pass_and_check(&w, 510, 1, &why));
    assert_int_equal(w.pings, 2);
    assert_int_equal(w.withheld, 0);
}

static void test_no_pass_no_ping(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    board_watchdog_init(&w, 1000000u, &s_sched, 0);
    assert_true(pass_and_check(&w, 0, 1, &why));
    /* asked again without a scheduler pass in between */
    assert_false(board_watchdog_check(&w, &s_sched, 600, 1, s_buf, sizeof s_buf, &why));
    assert_string_equal(why, "no loop pass since the last ping");
    assert_false(w.healthy);
    assert_int_equal(w.withheld, 1);
}

static void test_long_pass_withholds(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    board_watchdog_init(&w, 1000000u, &s_sched, 0);
    assert_false(pass_and_check(&w, 0, 500, &why));
    assert_string_equal(why, "a loop pass took 500 ms");
    /* the next decision is a period later; a short pass then pings again */
    assert_false(pass_and_check(&w, 100, 1, &why));
    assert_null(why);
    assert_true(pass_and_check(&w, 500, 1, &why));
    assert_true(w.healthy);
    assert_int_equal(w.pings, 1);
    assert_int_equal(w.withheld, 1);
}

static void test_task_behind_withholds(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    board_watchdog_init(&w, 1000000u, &s_sched, 0);
    /* the task re-armed for a deadline long gone (a loop too slow for it) */
    sched_task_at(&s_task, 100);
    s_sched.passes++;
    assert_false(board_watchdog_check(&w, &s_sched, 700, 1, s_buf, sizeof s_buf, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, "task meter is 600 ms behind"));
    /* 499 ms behind is still within the limit */
    sched_task_at(&s_task, 701);
    s_sched.passes++;
    assert_true(board_watchdog_check(&w, &s_sched, 1200, 1, s_buf, sizeof s_buf, &why));
    /* a disarmed task is not waiting for anything */
    sched_task_at(&s_task, 0);
    sched_task_disarm(&s_task);
    s_sched.passes++;
    assert_true(board_watchdog_check(&w, &s_sched, 1700, 1, s_buf, sizeof s_buf, &why));
}

static void test_clock_wraps(void **state)
{
    (void)state;
    struct board_watchdog w;
    const char *why;
    uint32_t start = UINT32_MAX - 200u;
    board_watchdog_init(&w, 1000000u, &s_sched, start);
    s_task.due_ms = start;
    assert_true(pass_and_check(&w, start, 1, &why));
    assert_false(pass_and_check(&w, start + 100u, 1, &why));
    assert_true(pass_and_check(&w, start + 500u, 1, &why)); /* past the wrap */
}

static void test_bounds(void **state)
{
    (void)state;
    struct board_watchdog w;
    board_watchdog_init(&w, 1u, &s_sched, 0); /* 1 us: still a period */
    assert_int_equal(w.interval_ms, 1);
    board_watchdog_init(&w, UINT64_MAX, &s_sched, 0); /* clamped to 1 h */
    assert_int_equal(w.interval_ms, 1800000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_watchdog_never_pings, setup),
        cmocka_unit_test_setup(test_pings_at_half_the_timeout, setup),
        cmocka_unit_test_setup(test_no_pass_no_ping, setup),
        cmocka_unit_test_setup(test_long_pass_withholds, setup),
        cmocka_unit_test_setup(test_task_behind_withholds, setup),
        cmocka_unit_test_setup(test_clock_wraps, setup),
        cmocka_unit_test_setup(test_bounds, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
