/**
 * @file isolation_imd.h
 * @brief The isolation-monitor interface (isolation.h) over the Bender isoCHA425HV and
 *        Dold RN5893 drivers (protocols/imd/), each with its scheduler task.
 *
 * Error mapping (EVerest isolation_monitor list; all but VendorWarning stop a session):
 * no answer -> CommunicationFault (High); the device's own fault -> DeviceFault (High,
 * vendor code = Bender channel code / Dold fault register); a Modbus exception ->
 * VendorError (High, vendor code = exception); a malformed value in a reply ->
 * VendorWarning (Low). A value whose true size is only known to be smaller than the
 * number given (Bender validity 1) is not published.
 */
#ifndef ISOLATION_IMD_H
#define ISOLATION_IMD_H

#include "hal_modbus.h"
#include "imd/imd.h"
#include "imd/imd_bender.h"
#include "imd/imd_dold.h"
#include "isolation.h"
#include "sched.h"

/** A Bender isoCHA425HV as an isolation monitor. */
struct isolation_imd_bender {
    struct isolation base; /**< must stay first */
    struct imd_bender dev;
    struct sched_task task;
    struct isolation_limits lim;
};

/** A Dold RN5893 as an isolation monitor. */
struct isolation_imd_dold {
    struct isolation base; /**< must stay first */
    struct imd_dold dev;
    struct sched_task task;
    struct isolation_limits lim;
};

/**
 * @brief Set up the driver on @p mb and its task (add isolation_imd_bender_task() to the
 *        scheduler; it runs on Modbus I/O and at the driver's deadlines).
 * @param lim NULL for isolation_limits_default()
 * @retval HAL_OK ready
 * @retval HAL_EINVAL bad configuration (see imd_bender_init)
 */
int isolation_imd_bender_init(struct isolation_imd_bender *m, struct hal_modbus *mb,
                              const struct imd_bender_config *cfg, const struct isolation_limits *lim);

/** @brief The driver's task. */
struct sched_task *isolation_imd_bender_task(struct isolation_imd_bender *m);

/**
 * @brief Set up the Dold driver on @p mb and its task.
 * @param lim NULL for isolation_limits_default()
 * @retval HAL_OK ready
 * @retval HAL_EINVAL bad configuration (see imd_dold_init)
 */
int isolation_imd_dold_init(struct isolation_imd_dold *m, struct hal_modbus *mb,
                            const struct imd_dold_config *cfg, const struct isolation_limits *lim);

/** @brief The driver's task. */
struct sched_task *isolation_imd_dold_task(struct isolation_imd_dold *m);

/** @brief The measurement an imd_status stands for at @p now_ms (shared by both adapters). */
int isolation_imd_measurement(const struct imd_status *st, const struct isolation_limits *lim,
                              uint32_t now_ms, struct isolation_measurement *out);

/** @brief The errors an imd_status stands for (shared by both adapters). */
int isolation_imd_errors(const struct imd_status *st, struct isolation_error *out, size_t max,
                         size_t *count);

#endif /* ISOLATION_IMD_H */
