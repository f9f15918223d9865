/**
 * @file cbsom_recover.h
 * @brief When and how the host leaves a fault of the Charge SOM link (cbsom_host.h) by
 *        itself: a hold-off once the session is over, then a pulse of the co-processor's
 *        reset line (when one is fitted) and cbsom_host_restart(). The host's own
 *        STARTUP -> INQUIRE -> RUNNING path then decides; a fault again doubles the
 *        hold-off up to a bound; running for `stable_ms` puts it back to the first one.
 *
 * Why a hold-off at all: one glitch on a UART must not need a truck roll, but a controller
 * that faults again at once must not be hammered, and a person who looks at a faulted
 * charger should see it stay put for a while.
 *
 * Safety: nothing here closes a contactor. The policy acts only while the host is in FAULT
 * (its contactor requests forced open and still sent) and the caller says the session is
 * over; a restarted host starts with every contactor request open and the pilot off, and
 * the charger's interlock closes only after its own checks on readable feedback.
 *
 * Without a reset line a co-processor in its safe state cannot be taken out of it (spec
 * linux-board-io.md §3.12: only a reset leaves it): the policy restarts the host all the
 * same, with the same back-off. A restart costs one version inquiry; the controller in its
 * safe state reports so again at once (the next fault, a longer hold-off), and one reset
 * by other means (its supply cycled, a person) is taken up without restarting the charger.
 *
 * Pure: time comes in as now_ms, the reset line is a callback. No heap.
 */
#ifndef CBSOM_RECOVER_H
#define CBSOM_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "cbsom_host.h"

struct cbsom_recover_config {
    bool enabled;            /**< false: a fault stays latched (a person restarts the charger) */
    uint32_t holdoff_ms;     /**< first hold-off after the session ended (10 000) */
    uint32_t holdoff_max_ms; /**< the doubling stops here (600 000) */
    uint32_t stable_ms;      /**< running this long puts the hold-off back to the first (300 000) */
    uint32_t pulse_ms;       /**< reset line asserted this long (100; the fact sheet has 5..500) */
};

/**
 * The co-processor's reset line, asserted (true: the MCU held in reset) or released.
 * @retval HAL_OK  @retval other: the line could not be driven (the attempt goes on
 *         without the pulse and is logged)
 */
typedef int (*cbsom_reset_fn)(void *ctx, bool asserted);

enum cbsom_recover_phase {
    CBSOM_RECOVER_IDLE = 0, /**< link running, or waiting for the session to end */
    CBSOM_RECOVER_HOLDOFF,  /**< fault, session over: waiting for due_ms */
    CBSOM_RECOVER_PULSE,    /**< reset line asserted until due_ms */
};

/** What one step did, for the board's log line. */
enum cbsom_recover_event {
    CBSOM_RECOVER_NOTHING = 0,
    CBSOM_RECOVER_HOLDING,     /**< a hold-off of holdoff_ms started (after `fault`) */
    CBSOM_RECOVER_RESET,       /**< the reset line was asserted */
    CBSOM_RECOVER_RESET_FAILED, /**< the reset line could not be driven: restarted without it */
    CBSOM_RECOVER_RESTARTED,   /**< cbsom_host_restart() was called (attempt `attempts`) */
    CBSOM_RECOVER_STABLE,      /**< ran for stable_ms: the back-off starts over */
};

struct cbsom_recover {
    struct cbsom_recover_config cfg;
    cbsom_reset_fn reset; /**< NULL: no reset line */
    void *reset_ctx;
    enum cbsom_recover_phase phase;
    uint32_t holdoff_ms;        /**< the hold-off the next fault gets */
    uint32_t due_ms;
    uint32_t waited_ms;         /**< the hold-off of the wait in progress (for the log) */
    bool have_running;          /**< the host runs, since running_ms */
    uint32_t running_ms;
    enum cbsom_host_fault fault; /**< the fault the wait in progress follows */
    uint32_t attempts;          /**< restarts since the link last ran for stable_ms */
    uint32_t restarts, pulses, reset_errors; /**< totals */
};

/** @brief Enabled, 10 s first hold-off doubling to 10 min, 5 min of running resets it,
 *         100 ms pulse. */
void cbsom_recover_default_config(struct cbsom_recover_config *cfg);

/**
 * @brief Start idle. @p reset NULL: no reset line.
 * @retval HAL_OK
 * @retval HAL_EINVAL NULL, a zero hold-off or pulse, holdoff_max below holdoff, zero stable_ms
 */
int cbsom_recover_init(struct cbsom_recover *r, const struct cbsom_recover_config *cfg, cbsom_reset_fn reset,
                       void *reset_ctx);

/**
 * @brief One pass, after cbsom_host_step(). @p session_over: the charger's session has
 *        ended (the connector is not charging, nothing is being switched); a wait in
 *        progress starts over when it is not.
 * @return what was done (CBSOM_RECOVER_NOTHING most of the time)
 */
enum cbsom_recover_event cbsom_recover_step(struct cbsom_recover *r, struct cbsom_host *h, bool session_over,
                                            uint32_t now_ms);

#endif /* CBSOM_RECOVER_H */
