/**
 * @file chargesom.h
 * @brief The Linux board's pilot and power-path I/O through a chargebyte Charge SOM
 *        safety controller (`board.io = chargesom`): the tty (hal_linux serial port), the
 *        protocol's host side (protocols/chargesom) as the charger's pilot and GPIO ports,
 *        and a scheduler task that steps it, woken by the tty. docs/linux-board.md.
 */
#ifndef BOARD_CHARGESOM_H
#define BOARD_CHARGESOM_H

#include <stdint.h>

#include "board_config.h"
#include "chargesom/cbsom_host.h"
#include "hal_log.h"
#include "linux_loop.h"
#include "linux_serial.h"
#include "sched.h"

/** Step period of the host: well inside the protocol's 100 ms cycle. */
#define BOARD_CHARGESOM_STEP_MS 10u

struct board_chargesom {
    struct linux_serial ser;
    struct cbsom_host host; /**< host.pilot and host.gpio are the charger's ports */
    struct sched_task task;
    struct hal_log *log;
    int logged_phase;
};

/**
 * @brief Open chargesom.tty and start the host (its task in @p s). Explains a failure on
 *        stderr.
 * @retval 0 started  @retval -1 not
 */
int board_chargesom_start(struct board_chargesom *c, const struct board_config *cfg, struct linux_loop *loop,
                          struct sched *s, struct hal_log *log, uint32_t now_ms);

/** @brief Ask for every contactor open, send it, close the tty. */
void board_chargesom_close(struct board_chargesom *c, uint32_t now_ms);

#endif /* BOARD_CHARGESOM_H */
