#include "superloop.h"

#include <stddef.h>

void superloop_pass(const struct superloop *l, bool *io_ready)
{
    uint32_t now_ms = hal_clock_now_ms(l->clock);
    uint32_t wait_ms = sched_run(l->sched, now_ms, *io_ready);
    if (l->kick != NULL) {
        l->kick(l->ctx);
    }
    *io_ready = hal_clock_idle(l->clock, wait_ms) == HAL_OK;
}

uint32_t superloop_run(const struct superloop *l)
{
    bool io_ready = false;
    uint32_t passes = 0;

    while (l->should_stop == NULL || !l->should_stop(l->ctx)) {
        superloop_pass(l, &io_ready);
        passes++;
    }
    return passes;
}
