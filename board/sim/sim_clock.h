/* sim_clock.h - the simulator board's virtual clock and log (see sim_clock.c). */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "hal_clock.h"
#include "hal_log.h"

/* The simulator's fixed epoch: 2026-01-01T00:00:00Z. */
#define SIM_EPOCH_MS 1767225600000LL

/* The world outside the firmware, advanced one simulated ms at a time while the firmware
 * idles. Returns true when something arrived that the firmware must see now (I/O): the
 * idle ends early, as a real board's would on an interrupt. */
typedef bool (*sim_clock_world_fn)(void *ctx, uint32_t now_ms);

struct sim_clock {
    struct hal_clock base;
    uint32_t now_ms;
    bool realtime;            /**< sleep the simulated time away (--realtime) */
    bool rt_started;
    int64_t rt0_ns;           /**< CLOCK_MONOTONIC at simulated 0 (real-time pacing) */
    int64_t epoch_ms;         /**< wall clock at simulated 0 (SIM_EPOCH_MS unless set) */
    sim_clock_world_fn world;
    void *world_ctx;
};

struct sim_log {
    struct hal_log base;
    enum hal_log_level print_level; /**< stdout gets the lines up to this level */
    FILE *copy;                     /**< every line also here (a session report's log), or NULL */
};

void sim_clock_init(struct sim_clock *c, bool realtime, sim_clock_world_fn world, void *ctx);
/* The wall clock the firmware reads at simulated 0 (sim --ocpp: the host's, so the CSMS sees
 * today's times and a restarted simulator never goes back in time). */
void sim_clock_set_epoch(struct sim_clock *c, int64_t unix_ms);
/* Lines go to stdout as "[  s.ms] LEVEL text"; below @p min_level nothing is printed. */
void sim_log_init(struct sim_log *l, enum hal_log_level min_level);
/* Also write every line up to INFO to @p f (stdout keeps its own level). */
void sim_log_copy(struct sim_log *l, FILE *f);

#endif /* SIM_CLOCK_H */
