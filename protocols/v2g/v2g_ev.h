/**
 * @file v2g_ev.h
 * @brief The request/response clock of an EV (EVCC) machine, the same for DIN 70121 and
 *        ISO 15118-2: one request out at a time, its response timeout, the pacing of the
 *        next request, the communication setup timeout and the loop timers' start.
 *
 * The machines (din/din_ev.c, iso2/iso2_ev.c) keep what differs: which timeout a message
 * gets, what a loop timeout does, and how a request is built and encoded.
 */
#ifndef V2G_EV_H
#define V2G_EV_H

#include <stdbool.h>
#include <stdint.h>

struct v2g_ev_clock {
    bool waiting;           /**< a request is out */
    uint32_t sent_ms;       /**< when the last request went out */
    uint32_t deadline_ms;   /**< its response is due by then */
    uint32_t next_ms;       /**< the next request does not go out before */
    uint32_t start_ms;      /**< session (re)start: the communication setup timeout runs from it */
    uint32_t loop_since_ms; /**< first request of the current loop (CableCheck, PreCharge, ...) */
};

/** @brief (Re)start: nothing out, the first request after @p delay_ms. */
void v2g_ev_clock_start(struct v2g_ev_clock *c, uint32_t now_ms, uint32_t delay_ms);

/**
 * @brief May the next request go out now?
 * @param setting_up the machine is not past SessionSetup (the setup timeout applies)
 * @param[out] why   set to the failure reason when the result is HAL_ETIMEDOUT
 * @return HAL_OK: send now; HAL_EAGAIN: not yet (a request is out, or pacing);
 *         HAL_ETIMEDOUT: the response or the communication setup timed out
 */
int v2g_ev_clock_gate(const struct v2g_ev_clock *c, bool setting_up, uint32_t setup_timeout_ms,
                      uint32_t now_ms, const char **why);

/** @brief A request went out now; its response is due in @p timeout_ms. */
void v2g_ev_clock_sent(struct v2g_ev_clock *c, uint32_t now_ms, uint32_t timeout_ms);

/** @brief ms since the loop began; @p new_loop restarts it now. */
uint32_t v2g_ev_clock_loop_elapsed(struct v2g_ev_clock *c, bool new_loop, uint32_t now_ms);

/** @brief When the machine next needs a call: the response deadline or the next request. */
uint32_t v2g_ev_clock_wake(const struct v2g_ev_clock *c);

#endif /* V2G_EV_H */
