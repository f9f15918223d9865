/**
 * @file hal_clock.h
 * @brief Monotonic clock, wall clock and the superloop's idle wait.
 *
 * The loop reads `now_ms` once per pass and passes it down; protocol code never reads
 * a clock. `idle` is the only place where the firmware may wait: on Linux it is
 * poll() on every registered descriptor, on an MCU it is WFI until the next tick or
 * interrupt, in the simulator it advances virtual time.
 */
#ifndef HAL_CLOCK_H
#define HAL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_err.h"

struct hal_clock;

/** Operations of a clock port. */
struct hal_clock_ops {
    /** @see hal_clock_now_ms */
    uint32_t (*now_ms)(struct hal_clock *clk);
    /** @see hal_clock_wall */
    int (*wall)(struct hal_clock *clk, int64_t *unix_ms);
    /** @see hal_clock_idle */
    int (*idle)(struct hal_clock *clk, uint32_t max_ms);
};

/** A clock instance. */
struct hal_clock {
    const struct hal_clock_ops *ops;
};

/**
 * @brief Milliseconds since an arbitrary start; wraps after 49.7 days.
 *
 * Compare with hal_time_reached() / hal_time_diff(), never with `<`.
 * @return the monotonic time in ms
 */
static inline uint32_t hal_clock_now_ms(struct hal_clock *clk)
{
    return clk->ops->now_ms(clk);
}

/**
 * @brief Wall-clock time (UTC) for time stamps in logs, journals and OCMF.
 * @param[out] unix_ms milliseconds since 1970-01-01T00:00:00Z
 * @retval HAL_OK @p unix_ms is valid
 * @retval HAL_EAGAIN the wall clock is not set yet (no RTC, no NTP)
 * @retval HAL_ENOTSUP the board has no wall clock
 */
static inline int hal_clock_wall(struct hal_clock *clk, int64_t *unix_ms)
{
    return clk->ops->wall(clk, unix_ms);
}

/**
 * @brief Sleep until @p max_ms have passed or I/O is ready, whichever comes first.
 * @param max_ms upper bound of the wait; 0 only checks for ready I/O
 * @retval HAL_OK I/O became ready (some task should look at its peripheral)
 * @retval HAL_ETIMEDOUT the time passed without I/O
 * @retval HAL_EIO the wait failed; the loop carries on after @p max_ms anyway
 */
static inline int hal_clock_idle(struct hal_clock *clk, uint32_t max_ms)
{
    return clk->ops->idle(clk, max_ms);
}

/** @brief Signed distance from @p from to @p to in ms, correct across the 32-bit wrap. */
static inline int32_t hal_time_diff(uint32_t to, uint32_t from)
{
    return (int32_t)(to - from);
}

/** @brief True once @p now_ms is at or past @p deadline_ms (wrap-safe). */
static inline bool hal_time_reached(uint32_t now_ms, uint32_t deadline_ms)
{
    return hal_time_diff(now_ms, deadline_ms) >= 0;
}

#endif /* HAL_CLOCK_H */
