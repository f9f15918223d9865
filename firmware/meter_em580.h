/**
 * @file meter_em580.h
 * @brief The meter interface over the Carlo Gavazzi EM580/EM300 driver, with its task.
 */
#ifndef METER_EM580_H
#define METER_EM580_H

#include "em580/em580.h"
#include "meter.h"
#include "sched.h"

/** One EM580/EM300 as a meter. */
struct meter_em580 {
    struct meter base;
    struct em580 em;
    struct sched_task task;
};

/**
 * @brief Set up the driver on @p mb and the task (add meter_em580_task() to the scheduler;
 *        it runs on Modbus I/O and at the driver's deadlines).
 * @retval HAL_OK ready
 * @retval HAL_EINVAL bad configuration (see em580_init)
 */
int meter_em580_init(struct meter_em580 *m, struct hal_modbus *mb, const struct em580_config *cfg);

/** @brief The driver's task. */
struct sched_task *meter_em580_task(struct meter_em580 *m);

#endif /* METER_EM580_H */
