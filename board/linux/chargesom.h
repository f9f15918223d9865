/**
 * @file chargesom.h
 * @brief The Linux board's real pilot and power-path I/O (`board.io`): through a
 *        chargebyte Charge SOM safety controller, or the kernel's own interfaces (sysfs
 *        PWM, IIO, GPIO chardev; `board.io = kernel`, struct board_kio below).
 *
 *        The Charge SOM
 *        safety controller (`board.io = chargesom`): the tty (hal_linux serial port), the
 *        protocol's host side (protocols/chargesom) as the charger's pilot and GPIO ports,
 *        and a scheduler task that steps it, woken by the tty. docs/linux-board.md.
 */
#ifndef BOARD_CHARGESOM_H
#define BOARD_CHARGESOM_H

#include <stdint.h>
#include <stdio.h>

#include "board_config.h"
#include "charger.h"
#include "chargesom/cbsom_host.h"
#include "chargesom/cbsom_recover.h"
#include "hal_log.h"
#include "linux_kio.h"
#include "linux_loop.h"
#include "linux_serial.h"
#include "sched.h"

/** Step period of the host: well inside the protocol's 100 ms cycle. */
#define BOARD_CHARGESOM_STEP_MS 10u

struct board_chargesom {
    struct linux_serial ser;
    struct cbsom_host host; /**< host.pilot and host.gpio are the charger's ports */
    struct cbsom_recover recover; /**< the way out of a link fault (chargesom.recover*) */
    int reset_fd;           /**< the reset line's request (chargesom.reset_gpio), -1 none */
    struct sched_task task;
    struct hal_log *log;
    struct charger *charger; /**< board_chargesom_attach(): whose session must be over */
    bool link_failed;        /**< a link fault since the link last ran with the clearing done */
    bool held_before;        /**< the charger held a fault already when the link failed */
    bool clearable;          /**< every fault since says nothing about the power path */
    bool clear_pending;      /**< restarted: clear the charger's fault the link caused once it runs */
    int logged_phase;
};

/**
 * @brief Open chargesom.tty and start the host (its task in @p s). Explains a failure on
 *        stderr.
 * @retval 0 started  @retval -1 not
 */
int board_chargesom_start(struct board_chargesom *c, const struct board_config *cfg, struct linux_loop *loop,
                          struct sched *s, struct hal_log *log, uint32_t now_ms);

/** @brief The connector's charger, once made: recovery waits for its session to end, and
 *         clears the "feedback unreadable" the link fault made it hold once the link runs
 *         again (charger_reset(): refused, and logged, while anything else is wrong). */
void board_chargesom_attach(struct board_chargesom *c, struct charger *charger);

/** @brief Ask for every contactor open, send it, close the tty. */
void board_chargesom_close(struct board_chargesom *c, uint32_t now_ms);

/** `board.io = kernel`: the kio port (hal_linux/linux_kio.h) and its sampling task. */
struct board_kio {
    struct linux_kio kio; /**< kio.pilot and kio.gpio are the charger's ports */
    struct sched_task task;
};

/**
 * @brief The kio.* keys of @p cfg as the port's settings (defaults for the rest).
 *        Explains a bad value on @p err as "PATH: kio.KEY: why".
 * @retval 0 valid  @retval -1 not
 */
int board_kio_config(const struct board_config *cfg, struct linux_kio_config *out, const char *path, FILE *err);

/** @brief Open the kernel interfaces of the kio.* keys and add the sampling task. Explains a
 *         failure on stderr.  @retval 0 started  @retval -1 not */
int board_kio_start(struct board_kio *k, const struct board_config *cfg, struct sched *s, uint32_t now_ms);

/** @brief Outputs inactive, PWM disabled. */
void board_kio_close(struct board_kio *k);

#endif /* BOARD_CHARGESOM_H */
