/**
 * @file psu.h
 * @brief The power-supply interface every DC power stage implements (InfyPower,
 *        Huawei, the simulator's stage). This is its first, minimal form: mode,
 *        export setpoint and the output reading the interlock needs.
 */
#ifndef PSU_H
#define PSU_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_err.h"

/** Operating mode. */
enum psu_mode {
    PSU_MODE_OFF = 0, /**< no output */
    PSU_MODE_EXPORT,  /**< deliver energy to the vehicle */
    PSU_MODE_IMPORT,  /**< reserved for bidirectional stages */
};

/** What the stage measures at its output. */
struct psu_output {
    int32_t voltage_mv;
    int32_t current_ma; /**< positive when exporting */
    bool valid;         /**< false when the stage could not be read (treat as "maybe live") */
};

struct psu;

/** Operations of a power stage. */
struct psu_ops {
    /** @see psu_set_mode */
    int (*set_mode)(struct psu *p, enum psu_mode mode);
    /** @see psu_set_export */
    int (*set_export)(struct psu *p, uint32_t voltage_mv, uint32_t current_ma);
    /** @see psu_read_output */
    int (*read_output)(struct psu *p, struct psu_output *out);
};

/** A power-stage instance. Implementations embed it first in their own struct. */
struct psu {
    const struct psu_ops *ops;
};

/**
 * @brief Switch the stage on or off. OFF is accepted in every state and never refused.
 * @retval HAL_OK commanded
 * @retval HAL_ESTATE EXPORT refused (stage faulted or not ready)
 * @retval HAL_EIO the command could not be sent (OFF: the stage's own watchdog takes over)
 */
static inline int psu_set_mode(struct psu *p, enum psu_mode mode)
{
    return p->ops->set_mode(p, mode);
}

/**
 * @brief Set the export voltage and current limit.
 * @retval HAL_OK accepted
 * @retval HAL_EINVAL outside the stage's capabilities
 */
static inline int psu_set_export(struct psu *p, uint32_t voltage_mv, uint32_t current_ma)
{
    return p->ops->set_export(p, voltage_mv, current_ma);
}

/**
 * @brief Latest measurement of the output.
 * @retval HAL_OK @p out is filled (check out->valid)
 * @retval HAL_EIO no measurement available; @p out->valid is false
 */
static inline int psu_read_output(struct psu *p, struct psu_output *out)
{
    return p->ops->read_output(p, out);
}

#endif /* PSU_H */
