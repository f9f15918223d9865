/**
 * @file superloop.h
 * @brief The one loop: read the clock, run what is due, kick the watchdog, idle.
 */
#ifndef SUPERLOOP_H
#define SUPERLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_clock.h"
#include "sched.h"

/** What the loop runs on. `kick` and `should_stop` are optional. */
struct superloop {
    struct sched *sched;
    struct hal_clock *clock;
    void (*kick)(void *ctx);        /**< watchdog kick, once per pass */
    bool (*should_stop)(void *ctx); /**< checked once per pass; NULL runs forever */
    void *ctx;
};

/**
 * @brief One pass: now = clock, run due tasks, kick, idle until the next deadline or I/O.
 * @param io_ready in/out: whether the previous idle ended because of I/O
 */
void superloop_pass(const struct superloop *l, bool *io_ready);

/**
 * @brief Run passes until should_stop() says so.
 * @return the number of passes run
 */
uint32_t superloop_run(const struct superloop *l);

#endif /* SUPERLOOP_H */
