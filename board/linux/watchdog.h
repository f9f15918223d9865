/**
 * @file watchdog.h
 * @brief The systemd watchdog's health decision, without the OS: after each superloop pass,
 *        is a WATCHDOG=1 ping due, and is the loop healthy enough to send it?
 *
 * Healthy means the scheduler's own notion of progress: its pass counter moved since the
 * last ping, the pass that just ended was shorter than the stuck limit, and no armed task
 * is further behind its deadline than that limit. A task stuck inside its step stops the
 * loop, so no kick and no ping happen at all; a task left behind (a loop too slow for its
 * deadlines) withholds the ping here. Either way systemd restarts the service after
 * WatchdogSec. docs/deployment.md, "systemd".
 */
#ifndef BOARD_WATCHDOG_H
#define BOARD_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

#include "sched.h"

/** The decision's state. Only watchdog.c writes the fields. */
struct board_watchdog {
    uint32_t interval_ms;    /**< ping period, half of WatchdogSec; 0: no watchdog asked for */
    uint32_t stuck_ms;       /**< a pass this long, or a task this far behind, is unhealthy */
    uint32_t next_ms;        /**< next ping due */
    uint32_t passes_at_ping; /**< the scheduler's pass counter at the last ping */
    uint32_t pings;          /**< pings sent */
    uint32_t withheld;       /**< pings withheld for bad health */
    bool healthy;            /**< the last decision's verdict */
};

/**
 * @brief Arm from systemd's WATCHDOG_USEC (0: no watchdog; board_watchdog_check then never
 *        pings). The period is half of it, the stuck limit the same half.
 * @param watchdog_usec WatchdogSec in microseconds (values above 1 hour are clamped)
 */
void board_watchdog_init(struct board_watchdog *w, uint64_t watchdog_usec, const struct sched *s,
                         uint32_t now_ms);

/**
 * @brief After a pass: whether to send WATCHDOG=1 now.
 * @param pass_ms how long the pass that just ended took
 * @param why when the ping is withheld, the reason (a static or @p buf text), else NULL
 * @return true: send the ping (due and healthy)
 */
bool board_watchdog_check(struct board_watchdog *w, const struct sched *s, uint32_t now_ms, uint32_t pass_ms,
                          char *buf, unsigned buf_len, const char **why);

#endif /* BOARD_WATCHDOG_H */
