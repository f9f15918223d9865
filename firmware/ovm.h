/**
 * @file ovm.h
 * @brief The over-voltage-monitor interface of the firmware: a fast DC voltage reading
 *        (DC+ to DC- at the connector side of the contactors) with its time and validity,
 *        and an optional hardware trip input (a comparator in the device that latches when
 *        the voltage passes a threshold the charger arms).
 *
 * IEC 61851-23 asks for an emergency shutdown when the output stays above the limit for
 * 9 ms. A power stage's own read-back is often polled hundreds of ms apart (InfyPower over
 * CAN), so the charger feeds its monitor from the fastest independent measurement there
 * is: this device first, then the isolation monitor's voltage, the meter's, the stage's
 * (firmware/charger.c, charger_output_voltage()). Implemented by the simulator's device
 * (board/sim/sim_ovm.c); a board wires an ADC channel or a Modbus voltage relay the same
 * way. Every operation returns at once.
 */
#ifndef OVM_H
#define OVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** The latest reading. */
struct ovm_reading {
    bool valid;          /**< @p voltage_mv holds a measurement */
    int32_t voltage_mv;  /**< DC+ to DC- */
    uint32_t at_ms;      /**< when it was taken (the board's loop clock) */
    bool tripped;        /**< the hardware trip input fired since the last ovm_arm() */
};

struct ovm;

/** Operations of an over-voltage monitor. */
struct ovm_ops {
    /** @see ovm_read */
    int (*read)(struct ovm *m, struct ovm_reading *out);
    /** @see ovm_arm (optional: NULL = no hardware trip) */
    int (*arm)(struct ovm *m, uint32_t limit_mv);
};

/** An over-voltage-monitor instance. Implementations embed it first in their own struct. */
struct ovm {
    const struct ovm_ops *ops;
};

/**
 * @brief The latest reading.
 * @retval HAL_OK     @p out is filled (check out->valid and out->at_ms for its age)
 * @retval HAL_EAGAIN no reading yet (starting up)
 * @retval HAL_EIO    the device cannot measure (treat as no measurement)
 */
static inline int ovm_read(struct ovm *m, struct ovm_reading *out)
{
    return m->ops->read(m, out);
}

/**
 * @brief Set the hardware trip threshold and clear the latch.
 * @param limit_mv trip above this; 0 disarms
 * @retval HAL_OK      armed (or disarmed)
 * @retval HAL_ENOTSUP the device has no trip input
 */
static inline int ovm_arm(struct ovm *m, uint32_t limit_mv)
{
    return m->ops->arm != NULL ? m->ops->arm(m, limit_mv) : HAL_ENOTSUP;
}

#endif /* OVM_H */
