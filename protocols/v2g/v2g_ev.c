/* v2g_ev.c - owns the request/response clock both EV machines (DIN, ISO-2) keep
 * (v2g_ev.h): response timeout, communication setup timeout, pacing, loop start. */
#include "v2g/v2g_ev.h"

#include "hal_clock.h"
#include "hal_err.h"

void v2g_ev_clock_start(struct v2g_ev_clock *c, uint32_t now_ms, uint32_t delay_ms)
{
    c->waiting = false;
    c->start_ms = now_ms;
    c->next_ms = now_ms + delay_ms;
}

int v2g_ev_clock_gate(const struct v2g_ev_clock *c, bool setting_up, uint32_t setup_timeout_ms,
                      uint32_t now_ms, const char **why)
{
    /* Order matters: a request that is out is judged by its own deadline first. */
    if (c->waiting) {
        if (hal_time_reached(now_ms, c->deadline_ms)) {
            *why = "response timeout";
            return HAL_ETIMEDOUT;
        }
        return HAL_EAGAIN;
    }
    if (setting_up && hal_time_reached(now_ms, c->start_ms + setup_timeout_ms)) {
        *why = "communication setup timeout";
        return HAL_ETIMEDOUT;
    }
    return hal_time_reached(now_ms, c->next_ms) ? HAL_OK : HAL_EAGAIN;
}

void v2g_ev_clock_sent(struct v2g_ev_clock *c, uint32_t now_ms, uint32_t timeout_ms)
{
    c->waiting = true;
    c->sent_ms = now_ms;
    c->deadline_ms = now_ms + timeout_ms;
}

uint32_t v2g_ev_clock_loop_elapsed(struct v2g_ev_clock *c, bool new_loop, uint32_t now_ms)
{
    if (new_loop) {
        c->loop_since_ms = now_ms;
    }
    int32_t d = hal_time_diff(now_ms, c->loop_since_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

uint32_t v2g_ev_clock_wake(const struct v2g_ev_clock *c)
{
    return c->waiting ? c->deadline_ms : c->next_ms;
}
