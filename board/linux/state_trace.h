/**
 * @file state_trace.h
 * @brief TEST AID (`charger --state-trace FILE`): the charger's own side of the fault
 *        judge's record, for a plant that runs OUTSIDE the charger (tools/cbsomsim with
 *        `board.io = chargesom`, tools/faults/real.sh): one line per change of
 *        "time_ms state evse active" (the charger state's number, the DIN EVSE status
 *        code told the car or 255 without a DIN session, the modules the power-stage
 *        driver counts as active). The plant's own trace carries the contacts and the
 *        output; the judge merges the two by time (both CLOCK_MONOTONIC milliseconds,
 *        not the scheduler's clock, which counts from the charger's start).
 */
#ifndef STATE_TRACE_H
#define STATE_TRACE_H

#include <stdio.h>

#include "charger.h"
#include "psu.h"
#include "sched.h"

struct board_state_trace {
    FILE *f;
    const struct charger *charger;
    struct psu *psu;
    struct sched_task task;
    int state, evse, active; /**< last written (-1: nothing yet) */
};

/**
 * @brief Create @p path and write the first line; a task then writes every change.
 * @retval HAL_OK  started
 * @retval HAL_EIO the file cannot be created or the scheduler is full (said on stderr)
 */
int board_state_trace_open(struct board_state_trace *t, const char *path, const struct charger *c,
                           struct psu *psu, struct sched *s, uint32_t now_ms);

/** @brief Close the file (a last line is not written: the last change stands). */
void board_state_trace_close(struct board_state_trace *t);

#endif /* STATE_TRACE_H */
