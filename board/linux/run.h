/**
 * @file run.h
 * @brief The Linux board's run: signals, the superloop with its pass timing, the safe
 *        shutdown (a stop requested, then waiting for the power path at rest and no meter
 *        transaction half-way) and the exit summary.
 */
#ifndef BOARD_RUN_H
#define BOARD_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "charger.h"
#include "hal_clock.h"
#include "hal_log.h"
#include "meter.h"
#include "sched.h"
#include "service.h"
#include "sim_plant.h"

/** What the run watches, and its pass timing. Only run.c touches the fields. */
struct board_run {
    struct sched *sched;
    struct hal_clock *clock;
    struct hal_log *log;
    struct charger *charger;
    struct meter_session *ms;      /**< NULL: no meter */
    struct sim_plant *plant;       /**< NULL: no --sim-plant */
    const char *sim_status;        /**< --sim-status FILE or NULL */
    struct board_service *service; /**< systemd notify and watchdog, or NULL */
    uint32_t status_at_ms;
    uint32_t sessions_max;         /**< stop after this many finished sessions (0 = never) */
    uint32_t run_until_ms;         /**< 0 = run until a signal */
    bool stopping;
    const char *restart_why;       /**< a restart was asked for (an OCPP Reset): why; NULL none */
    /* how long the loop's passes take (the work between two idles), for the exit summary */
    struct timespec pass_start;
    uint64_t passes;
    uint64_t longest_pass_ns;
    uint64_t longest_meter_pass_ns; /**< while a meter transaction starts or stops */
};

/** @brief The flag a SIGINT or SIGTERM sets (the loop's waits end on it). */
volatile int *board_run_stop_flag(void);

/** @brief Catch SIGINT and SIGTERM (a safe stop), ignore SIGPIPE. */
void board_run_signals(void);

/**
 * @brief Run the superloop until a signal, @p run_for_s seconds (0 = no limit) or
 *        @p sessions_max finished sessions, then until the connector is at rest.
 */
void board_run(struct board_run *r, long run_for_s);

/** The exit status that asks the service manager to start the charger again
 *  (EX_TEMPFAIL: the unit's Restart=on-failure does). */
#define BOARD_EXIT_RESTART 75

/** @brief Stop safely as on a signal, then exit with BOARD_EXIT_RESTART; @p why is logged. */
void board_run_request_restart(struct board_run *r, const char *why);

/** @brief Print the exit summary: one line per finished session, then the loop's figures. */
void board_run_summary(const struct board_run *r);

#endif /* BOARD_RUN_H */
