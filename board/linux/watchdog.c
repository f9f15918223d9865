/* watchdog.c - the systemd watchdog's health decision (OS-free, unit-tested in
 * board/linux/tests/test_watchdog.c): a ping only when due and only while the scheduler's
 * passes advance and no task is stuck behind its deadline. The sending is service.c's. */
#include "watchdog.h"

#include <stdio.h>

#include "hal_clock.h"

void board_watchdog_init(struct board_watchdog *w, uint64_t watchdog_usec, const struct sched *s,
                         uint32_t now_ms)
{
    const uint64_t max_usec = 3600ull * 1000000ull;
    if (watchdog_usec > max_usec) {
        watchdog_usec = max_usec;
    }
    /* systemd's advice (sd_watchdog_enabled(3)): ping at half the timeout. */
    uint32_t half_ms = (uint32_t)(watchdog_usec / 2000u);
    *w = (struct board_watchdog){.interval_ms = watchdog_usec == 0 ? 0 : (half_ms == 0 ? 1 : half_ms),
                                 .stuck_ms = half_ms == 0 ? 1 : half_ms,
                                 .next_ms = now_ms,
                                 .passes_at_ping = s->passes,
                                 .healthy = true};
}

bool board_watchdog_check(struct board_watchdog *w, const struct sched *s, uint32_t now_ms, uint32_t pass_ms,
                          char *buf, unsigned buf_len, const char **why)
{
    *why = NULL;
    if (w->interval_ms == 0 || !hal_time_reached(now_ms, w->next_ms)) {
        return false;
    }
    if (s->passes == w->passes_at_ping) {
        *why = "no loop pass since the last ping";
    } else if (pass_ms >= w->stuck_ms) {
        snprintf(buf, buf_len, "a loop pass took %lu ms", (unsigned long)pass_ms);
        *why = buf;
    } else {
        for (uint8_t i = 0; i < s->count; i++) {
            const struct sched_task *t = s->tasks[i];
            int32_t behind = hal_time_diff(now_ms, t->due_ms);
            if (t->armed && behind > 0 && (uint32_t)behind >= w->stuck_ms) {
                snprintf(buf, buf_len, "task %s is %ld ms behind its deadline",
                         t->name != NULL ? t->name : "?", (long)behind);
                *why = buf;
                break;
            }
        }
    }
    /* Withheld or sent, the next decision comes one period later: a loop that recovers pings
     * again then, one that does not stays silent until systemd acts. */
    w->next_ms = now_ms + w->interval_ms;
    w->healthy = *why == NULL;
    if (!w->healthy) {
        w->withheld++;
        return false;
    }
    w->passes_at_ping = s->passes;
    w->pings++;
    return true;
}
