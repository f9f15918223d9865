/**
 * @file fw_config.h
 * @brief Compile-time sizes of the firmware's fixed pools, with defaults a board may
 *        override (-DCFG_...=N in its board.mk). Every pool is checked here once.
 */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

/** Tasks one scheduler can run (a charger uses about 4 per connector). */
#ifndef CFG_SCHED_MAX_TASKS
#define CFG_SCHED_MAX_TASKS 32
#endif
_Static_assert(CFG_SCHED_MAX_TASKS >= 4 && CFG_SCHED_MAX_TASKS <= 255,
               "CFG_SCHED_MAX_TASKS must be 4..255");

/** Longest the loop may sleep even when no deadline is near, so a missed I/O wake-up
 *  costs at most this much latency. */
#ifndef CFG_SCHED_MAX_IDLE_MS
#define CFG_SCHED_MAX_IDLE_MS 100u
#endif
_Static_assert(CFG_SCHED_MAX_IDLE_MS >= 1u && CFG_SCHED_MAX_IDLE_MS <= 1000u,
               "CFG_SCHED_MAX_IDLE_MS must be 1..1000");

/** Pilot sampling period (ms): well under the debounce time so a state is seen
 *  several times before it counts. */
#ifndef CFG_CHARGER_PILOT_PERIOD_MS
#define CFG_CHARGER_PILOT_PERIOD_MS 10u
#endif
_Static_assert(CFG_CHARGER_PILOT_PERIOD_MS >= 1u && CFG_CHARGER_PILOT_PERIOD_MS <= 20u,
               "the pilot must be sampled at least every 20 ms");

/** Power-path supervision period (ms): feedback contacts and e-stop are read this often. */
#ifndef CFG_INTERLOCK_PERIOD_MS
#define CFG_INTERLOCK_PERIOD_MS 5u
#endif
_Static_assert(CFG_INTERLOCK_PERIOD_MS >= 1u && CFG_INTERLOCK_PERIOD_MS <= 10u,
               "the power path must be supervised at least every 10 ms");

/** Finished sessions one charger remembers for diagnostics (oldest dropped first). */
#ifndef CFG_CHARGER_HISTORY
#define CFG_CHARGER_HISTORY 8
#endif
_Static_assert(CFG_CHARGER_HISTORY >= 1 && CFG_CHARGER_HISTORY <= 256,
               "CFG_CHARGER_HISTORY must be 1..256");

#endif /* FW_CONFIG_H */
