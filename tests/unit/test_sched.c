/* Unit tests of the cooperative scheduler and the superloop pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sched.h"
#include "superloop.h"

struct counter {
    struct sched_task task;
    uint32_t period;
    uint32_t runs;
    uint32_t last_now;
    int order_slot;
    int *order;
    int *order_n;
    bool rearm_in_past;
};

static void counter_step(struct sched_task *t, uint32_t now_ms)
{
    struct counter *c = t->ctx;
    c->runs++;
    c->last_now = now_ms;
    if (c->order != NULL) {
        c->order[(*c->order_n)++] = c->order_slot;
    }
    if (c->rearm_in_past) {
        sched_task_at(t, now_ms - 10u);
    } else if (c->period != 0) {
        sched_task_at(t, now_ms + c->period);
    }
}

static void counter_init(struct counter *c, uint32_t period, bool on_io)
{
    *c = (struct counter){.period = period};
    sched_task_init(&c->task, "counter", counter_step, c, on_io);
}

static void test_runs_due_tasks_in_order(void **state)
{
    (void)state;
    struct sched s;
    struct counter a, b;
    int order[8], n = 0;
    sched_init(&s);
    counter_init(&a, 10, false);
    counter_init(&b, 10, false);
    a.order = b.order = order;
    a.order_n = b.order_n = &n;
    a.order_slot = 1;
    b.order_slot = 2;
    assert_int_equal(sched_add(&s, &a.task, 0), HAL_OK);
    assert_int_equal(sched_add(&s, &b.task, 0), HAL_OK);
    assert_int_equal(sched_run(&s, 0, false), 10);
    assert_int_equal(n, 2);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(sched_run(&s, 5, false), 5); /* nothing due, 5 ms to go */
    assert_int_equal(a.runs, 1);
    assert_int_equal(sched_run(&s, 12, false), 10); /* both ran late, re-armed for 22 */
    assert_int_equal(a.runs, 2);
    assert_int_equal(a.task.late_max_ms, 2);
}

static void test_bounded_work_per_pass(void **state)
{
    (void)state;
    struct sched s;
    struct counter a;
    sched_init(&s);
    counter_init(&a, 0, false);
    a.rearm_in_past = true; /* a task that always asks to run again at once */
    assert_int_equal(sched_add(&s, &a.task, 100), HAL_OK);
    assert_int_equal(sched_run(&s, 100, false), 0);
    assert_int_equal(a.runs, 1); /* once per pass, not forever */
    assert_int_equal(sched_run(&s, 100, false), 0);
    assert_int_equal(a.runs, 2);
}

static void test_wraparound(void **state)
{
    (void)state;
    struct sched s;
    struct counter a;
    sched_init(&s);
    counter_init(&a, 20, false);
    uint32_t t0 = UINT32_MAX - 5u;
    assert_int_equal(sched_add(&s, &a.task, t0), HAL_OK);
    assert_int_equal(sched_run(&s, t0, false), 20);
    /* the deadline is past the wrap: not due at t0+10, due at t0+20 */
    sched_run(&s, t0 + 10u, false);
    assert_int_equal(a.runs, 1);
    sched_run(&s, t0 + 20u, false);
    assert_int_equal(a.runs, 2);
    assert_int_equal(a.last_now, 14u);
}

static void test_io_wakeup_and_disarm(void **state)
{
    (void)state;
    struct sched s;
    struct counter io, timer;
    sched_init(&s);
    counter_init(&io, 0, true);
    counter_init(&timer, 50, false);
    assert_int_equal(sched_add(&s, &io.task, 0), HAL_OK);
    assert_int_equal(sched_add(&s, &timer.task, 0), HAL_OK);
    sched_run(&s, 0, false);
    assert_int_equal(io.runs, 1);
    assert_false(io.task.armed); /* did not re-arm: waits for I/O */
    sched_run(&s, 1, false);
    assert_int_equal(io.runs, 1);
    sched_run(&s, 2, true);
    assert_int_equal(io.runs, 2);
    assert_int_equal(timer.runs, 1); /* I/O does not run timer-only tasks */
    sched_task_disarm(&timer.task);
    assert_int_equal(sched_run(&s, 100, false), CFG_SCHED_MAX_IDLE_MS);
    assert_int_equal(timer.runs, 1);
}

static void test_pool_limits(void **state)
{
    (void)state;
    static struct counter many[CFG_SCHED_MAX_TASKS + 1];
    struct sched s;
    sched_init(&s);
    for (int i = 0; i < CFG_SCHED_MAX_TASKS; i++) {
        counter_init(&many[i], 10, false);
        assert_int_equal(sched_add(&s, &many[i].task, 0), HAL_OK);
    }
    counter_init(&many[CFG_SCHED_MAX_TASKS], 10, false);
    assert_int_equal(sched_add(&s, &many[CFG_SCHED_MAX_TASKS].task, 0), HAL_ENOMEM);
    assert_int_equal(sched_add(&s, &many[0].task, 0), HAL_EINVAL); /* twice */
    sched_remove(&s, &many[3].task);
    assert_int_equal(s.count, CFG_SCHED_MAX_TASKS - 1);
    assert_int_equal(sched_add(&s, &many[CFG_SCHED_MAX_TASKS].task, 0), HAL_OK);
    struct sched_task bad;
    sched_task_init(&bad, "bad", NULL, NULL, false);
    assert_int_equal(sched_add(&s, &bad, 0), HAL_EINVAL);
}

/* A clock whose idle just records the wait it was asked for and moves time on. */
struct rec_clock {
    struct hal_clock base;
    uint32_t now;
    uint32_t last_wait;
    int io_next;
};
static uint32_t rec_now(struct hal_clock *c)
{
    return ((struct rec_clock *)c)->now;
}
static int rec_wall(struct hal_clock *c, int64_t *ms)
{
    (void)c;
    (void)ms;
    return HAL_ENOTSUP;
}
static int rec_idle(struct hal_clock *c, uint32_t max_ms)
{
    struct rec_clock *r = (struct rec_clock *)c;
    r->last_wait = max_ms;
    r->now += max_ms;
    int io = r->io_next;
    r->io_next = 0;
    return io ? HAL_OK : HAL_ETIMEDOUT;
}
static const struct hal_clock_ops s_rec_ops = {.now_ms = rec_now, .wall = rec_wall, .idle = rec_idle};

static bool stop_after_three(void *ctx)
{
    return ((struct counter *)ctx)->runs >= 3;
}

static void test_superloop_idles_until_deadline(void **state)
{
    (void)state;
    struct sched s;
    struct counter a;
    struct rec_clock clk = {.base.ops = &s_rec_ops, .now = 1000};
    sched_init(&s);
    counter_init(&a, 25, false);
    assert_int_equal(sched_add(&s, &a.task, 1000), HAL_OK);
    struct superloop l = {.sched = &s, .clock = &clk.base, .should_stop = stop_after_three, .ctx = &a};
    uint32_t passes = superloop_run(&l);
    assert_int_equal(a.runs, 3);
    assert_int_equal(passes, 3);
    assert_int_equal(clk.last_wait, 25);
    assert_int_equal(clk.now, 1075);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_due_tasks_in_order),
        cmocka_unit_test(test_bounded_work_per_pass),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_io_wakeup_and_disarm),
        cmocka_unit_test(test_pool_limits),
        cmocka_unit_test(test_superloop_idles_until_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
