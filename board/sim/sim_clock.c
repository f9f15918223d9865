/* sim_clock.c - owns the simulator board's virtual clock (struct sim_clock): time moves
 * one ms per step while the firmware idles, the world outside the firmware (plant, power
 * modules, cars) is stepped every ms, and the idle ends early on I/O. Also the log port,
 * which prints with the virtual time. */
#include "sim_clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static uint32_t sim_now(struct hal_clock *base)
{
    return ((struct sim_clock *)base)->now_ms;
}

static int sim_wall(struct hal_clock *base, int64_t *unix_ms)
{
    struct sim_clock *c = (struct sim_clock *)base;
    *unix_ms = c->epoch_ms + c->now_ms;
    return HAL_OK;
}

static int sim_idle(struct hal_clock *base, uint32_t max_ms)
{
    struct sim_clock *c = (struct sim_clock *)base;
    uint32_t done = 0;
    bool io = false;
    if (max_ms == 0) {
        max_ms = 1; /* virtual time must move or the loop would spin on a due task */
    }
    while (done < max_ms && !io) {
        c->now_ms++;
        done++;
        io = c->world(c->world_ctx, c->now_ms);
    }
    if (c->realtime) {
        /* Paced against an absolute start, not by sleeping each step's length: on a loaded
         * machine the time spent between sleeps would add up and the run fall behind the
         * real time its peers (a CSMS, a broker) live in. Behind, it does not sleep. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t now_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
        if (!c->rt_started) {
            c->rt_started = true;
            c->rt0_ns = now_ns - (int64_t)(c->now_ms - done) * 1000000LL;
        }
        int64_t due_ns = c->rt0_ns + (int64_t)c->now_ms * 1000000LL;
        if (due_ns > now_ns) {
            struct timespec ts = {.tv_sec = (time_t)(due_ns / 1000000000LL), .tv_nsec = (long)(due_ns % 1000000000LL)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
            }
        }
    }
    return io ? HAL_OK : HAL_ETIMEDOUT;
}

static const struct hal_clock_ops s_clock_ops = {.now_ms = sim_now, .wall = sim_wall, .idle = sim_idle};

void sim_clock_init(struct sim_clock *c, bool realtime, sim_clock_world_fn world, void *ctx)
{
    c->base.ops = &s_clock_ops;
    c->now_ms = 0;
    c->realtime = realtime;
    c->rt_started = false;
    c->rt0_ns = 0;
    c->epoch_ms = SIM_EPOCH_MS;
    c->world = world;
    c->world_ctx = ctx;
}

void sim_clock_set_epoch(struct sim_clock *c, int64_t unix_ms)
{
    c->epoch_ms = unix_ms;
}

static void sim_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                          const char *line)
{
    struct sim_log *l = (struct sim_log *)base;
    if (level <= l->print_level) {
        printf("[%5lu.%03lu] %-5s %s\n", (unsigned long)(now_ms / 1000u), (unsigned long)(now_ms % 1000u),
               hal_log_level_name(level), line);
    }
    if (l->copy != NULL) {
        fprintf(l->copy, "[%5lu.%03lu] %-5s %s\n", (unsigned long)(now_ms / 1000u),
                (unsigned long)(now_ms % 1000u), hal_log_level_name(level), line);
    }
}

static const struct hal_log_ops s_log_ops = {.write = sim_log_write};

void sim_log_init(struct sim_log *l, enum hal_log_level min_level)
{
    l->base.ops = &s_log_ops;
    l->base.min_level = min_level;
    l->print_level = min_level;
    l->copy = NULL;
}

void sim_log_copy(struct sim_log *l, FILE *f)
{
    l->copy = f;
    if (f != NULL && l->base.min_level < HAL_LOG_INFO) {
        l->base.min_level = HAL_LOG_INFO; /* the copy is complete even with --quiet */
    }
}
