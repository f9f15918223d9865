/* Benchmark of the core's hot paths on the host: one scheduler pass, one pilot sample,
 * one interlock supervision step. Prints figures; asserts nothing. */
#include <stdio.h>
#include <time.h>

#include "fake_power.h"
#include "iec61851/pilot.h"
#include "interlock.h"
#include "sched.h"

static double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench_step(struct sched_task *t, uint32_t now_ms)
{
    sched_task_at(t, now_ms + 1u);
}

int main(void)
{
    enum { N = 2000000 };
    static struct sched_task tasks[CFG_SCHED_MAX_TASKS];
    struct sched s;
    sched_init(&s);
    for (int i = 0; i < CFG_SCHED_MAX_TASKS; i++) {
        sched_task_init(&tasks[i], "bench", bench_step, NULL, false);
        (void)sched_add(&s, &tasks[i], 0);
    }
    double t0 = bench_now_ns();
    for (uint32_t i = 0; i < N; i++) {
        (void)sched_run(&s, i, false);
    }
    double t1 = bench_now_ns();
    printf("bench core: sched_run, %d tasks all due: %.1f ns per pass (%.1f ns per task)\n",
           CFG_SCHED_MAX_TASKS, (t1 - t0) / N, (t1 - t0) / N / CFG_SCHED_MAX_TASKS);

    struct pilot p;
    struct pilot_event ev;
    pilot_init(&p, NULL);
    pilot_set_duty(&p, PILOT_DUTY_HLC);
    struct hal_pilot_sample samples[2] = {{9000, -12000}, {6000, -12000}};
    unsigned changes = 0;
    t0 = bench_now_ns();
    for (uint32_t i = 0; i < N; i++) {
        changes += pilot_update(&p, &samples[(i >> 10) & 1u], i, &ev);
    }
    t1 = bench_now_ns();
    printf("bench core: pilot_update: %.1f ns per sample (%u state changes)\n", (t1 - t0) / N, changes);

    struct fake_power fp;
    struct interlock il;
    struct interlock_config cfg;
    fake_power_init(&fp);
    interlock_default_config(&cfg);
    (void)interlock_init(&il, &cfg, &fp.gpio, &fp.psu, 0);
    interlock_request(&il, INTERLOCK_TARGET_CLOSED);
    for (uint32_t i = 1; i < 100; i++) {
        fake_power_tick(&fp, i);
        interlock_step(&il, i);
    }
    t0 = bench_now_ns();
    for (uint32_t i = 100; i < 100 + N; i++) {
        interlock_step(&il, i);
    }
    t1 = bench_now_ns();
    printf("bench core: interlock_step (closed, supervising): %.1f ns per step (state %s)\n",
           (t1 - t0) / N, interlock_state_name(interlock_state(&il)));
    return 0;
}
