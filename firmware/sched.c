#include "sched.h"

#include <stddef.h>

#include "hal_clock.h"

void sched_init(struct sched *s)
{
    for (size_t i = 0; i < CFG_SCHED_MAX_TASKS; i++) {
        s->tasks[i] = NULL;
    }
    s->count = 0;
    s->passes = 0;
}

void sched_task_init(struct sched_task *t, const char *name, sched_step_fn step, void *ctx,
                     bool on_io)
{
    t->name = name;
    t->step = step;
    t->ctx = ctx;
    t->due_ms = 0;
    t->armed = false;
    t->on_io = on_io;
    t->runs = 0;
    t->late_max_ms = 0;
}

int sched_add(struct sched *s, struct sched_task *t, uint32_t now_ms)
{
    if (t == NULL || t->step == NULL) {
        return HAL_EINVAL;
    }
    for (uint8_t i = 0; i < s->count; i++) {
        if (s->tasks[i] == t) {
            return HAL_EINVAL;
        }
    }
    if (s->count >= CFG_SCHED_MAX_TASKS) {
        return HAL_ENOMEM;
    }
    s->tasks[s->count++] = t;
    sched_task_at(t, now_ms);
    return HAL_OK;
}

void sched_remove(struct sched *s, struct sched_task *t)
{
    for (uint8_t i = 0; i < s->count; i++) {
        if (s->tasks[i] == t) {
            for (uint8_t j = i; j + 1u < s->count; j++) {
                s->tasks[j] = s->tasks[j + 1u];
            }
            s->count--;
            s->tasks[s->count] = NULL;
            return;
        }
    }
}

void sched_task_at(struct sched_task *t, uint32_t due_ms)
{
    t->due_ms = due_ms;
    t->armed = true;
}

void sched_task_disarm(struct sched_task *t)
{
    t->armed = false;
}

uint32_t sched_run(struct sched *s, uint32_t now_ms, bool io_ready)
{
    s->passes++;
    for (uint8_t i = 0; i < s->count; i++) {
        struct sched_task *t = s->tasks[i];
        bool due = t->armed && hal_time_reached(now_ms, t->due_ms);
        if (!due && !(io_ready && t->on_io)) {
            continue;
        }
        if (due) {
            uint32_t late = (uint32_t)hal_time_diff(now_ms, t->due_ms);
            if (late > t->late_max_ms) {
                t->late_max_ms = late;
            }
            /* Disarm before the step: a step that does not re-arm has finished. */
            t->armed = false;
        }
        t->runs++;
        t->step(t, now_ms);
    }

    uint32_t wait = CFG_SCHED_MAX_IDLE_MS;
    for (uint8_t i = 0; i < s->count; i++) {
        const struct sched_task *t = s->tasks[i];
        if (!t->armed) {
            continue;
        }
        int32_t d = hal_time_diff(t->due_ms, now_ms);
        if (d <= 0) {
            return 0;
        }
        if ((uint32_t)d < wait) {
            wait = (uint32_t)d;
        }
    }
    return wait;
}
