/**
 * @file psu_infy.h
 * @brief An InfyPower module stack as a `struct psu`: the pure driver core
 *        (protocols/infypower/) over one `struct hal_can`, run by one scheduler task.
 *
 * The task drains received frames, lets the driver time its module liveness, sends at
 * most one frame per pass when the driver's slot has come, and handles bus-off: it
 * stops transmitting and asks the port to restart every second until the controller
 * is back on the bus. The board opens the CAN port (125 kbit/s) before psu_infy_init().
 */
#ifndef PSU_INFY_H
#define PSU_INFY_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_can.h"
#include "hal_log.h"
#include "infypower/infy_driver.h"
#include "psu.h"
#include "sched.h"

/** Received frames handled per pass at most (bounded work; the rest waits for the next pass). */
#ifndef CFG_PSU_INFY_RX_PER_PASS
#define CFG_PSU_INFY_RX_PER_PASS 32
#endif
_Static_assert(CFG_PSU_INFY_RX_PER_PASS >= 1 && CFG_PSU_INFY_RX_PER_PASS <= 1024,
               "CFG_PSU_INFY_RX_PER_PASS must be 1..1024");

/** Interval of restart attempts while the controller is bus-off (ms). */
#define PSU_INFY_RESTART_MS 1000u

/** While bus-off, the controller state is read this often (ms). */
#define PSU_INFY_BUS_CHECK_MS 50u

/** Counters of the CAN side. */
struct psu_infy_stats {
    uint32_t bus_off_events; /**< times the bus went off */
    uint32_t restarts;       /**< restart requests made */
    uint32_t tx_busy;        /**< send answered HAL_EAGAIN (retried next pass) */
    uint32_t tx_errors;      /**< send failed otherwise */
    uint32_t rx_errors;      /**< recv failed with HAL_EIO */
};

/** One InfyPower stage. Fields are private to psu_infy.c. */
struct psu_infy {
    struct psu base; /**< must stay first */
    struct infy_drv drv;
    struct hal_can *can;
    struct hal_log *log;
    struct sched_task task;
    bool bus_off;
    uint32_t restart_at_ms;
    struct psu_infy_stats stats;
};

/**
 * @brief Start the driver and add its task (on_io) to @p s.
 * @param can an open CAN port
 * @param log optional log sink
 * @retval HAL_OK running; every module is switched off first
 * @retval HAL_EINVAL invalid configuration (the reason is logged, e.g. an offline timeout
 *         of 10 s or less) or a NULL argument
 * @retval HAL_ENOMEM the scheduler is full
 */
int psu_infy_init(struct psu_infy *p, const struct infy_config *cfg, struct hal_can *can,
                  struct hal_log *log, struct sched *s, uint32_t now_ms);

/** @brief One pass of the task, for callers that run it without a scheduler (tools, tests). */
void psu_infy_run(struct psu_infy *p, uint32_t now_ms);

/** @brief The task's next deadline (valid after a pass). */
uint32_t psu_infy_due_ms(const struct psu_infy *p);

/** @brief The driver core, read-only (statistics, module detail). */
const struct infy_drv *psu_infy_driver(const struct psu_infy *p);

/** @brief Counters of the CAN side. */
const struct psu_infy_stats *psu_infy_stats(const struct psu_infy *p);

/** @brief True while the controller is bus-off and nothing is sent. */
bool psu_infy_bus_off(const struct psu_infy *p);

#endif /* PSU_INFY_H */
