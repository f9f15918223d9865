/**
 * @file hal_pilot.h
 * @brief IEC 61851-1 control pilot and proximity front end: PWM out, voltage in.
 *
 * The port owns the analogue side: it samples the pilot during the high and low
 * phase of the PWM and reports both plateaus. Classifying them into states A..F,
 * debouncing and duty-cycle policy belong to protocols/iec61851.
 */
#ifndef HAL_PILOT_H
#define HAL_PILOT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_err.h"

/** Duty values with a special meaning. Anything in between is a 1 kHz PWM. */
#define HAL_PILOT_DUTY_DC_HIGH 1000u /**< constant +12 V: no PWM (states A/B1, "X1") */
#define HAL_PILOT_DUTY_DC_LOW 0u     /**< constant -12 V: state F, EVSE not available */

/** One pilot measurement, taken by the port over the last PWM period(s). */
struct hal_pilot_sample {
    int32_t high_mv; /**< plateau of the high phase, mV (12000 open, 9000 B, 6000 C, 3000 D) */
    int32_t low_mv;  /**< plateau of the low phase, mV (about -12000 with the EV diode); equals
                          high_mv when no PWM runs */
};

struct hal_pilot;

/** Operations of a pilot port. */
struct hal_pilot_ops {
    /** @see hal_pilot_set_duty */
    int (*set_duty)(struct hal_pilot *pilot, uint16_t duty_permille);
    /** @see hal_pilot_read */
    int (*read)(struct hal_pilot *pilot, struct hal_pilot_sample *sample);
    /** @see hal_pilot_read_proximity */
    int (*read_proximity)(struct hal_pilot *pilot, uint32_t *ohms);
};

/** A pilot instance. */
struct hal_pilot {
    const struct hal_pilot_ops *ops;
};

/**
 * @brief Set the pilot generator.
 * @param duty_permille 0 (constant -12 V), 1000 (constant +12 V) or a 1 kHz PWM duty in 0.1 %
 * @retval HAL_OK applied from the next PWM period
 * @retval HAL_EINVAL @p duty_permille > 1000
 * @retval HAL_EIO the generator failed
 */
static inline int hal_pilot_set_duty(struct hal_pilot *pilot, uint16_t duty_permille)
{
    return pilot->ops->set_duty(pilot, duty_permille);
}

/**
 * @brief Take the latest pilot measurement.
 * @retval HAL_OK @p sample is valid
 * @retval HAL_EAGAIN no complete measurement since the last duty change
 * @retval HAL_EIO the ADC failed
 */
static inline int hal_pilot_read(struct hal_pilot *pilot, struct hal_pilot_sample *sample)
{
    return pilot->ops->read(pilot, sample);
}

/**
 * @brief Read the proximity (PP) resistance between PP and PE.
 * @param[out] ohms resistance; UINT32_MAX when open (no plug)
 * @retval HAL_OK @p ohms is valid
 * @retval HAL_ENOTSUP the board has no PP input (CCS1 DC uses none)
 * @retval HAL_EIO the ADC failed
 */
static inline int hal_pilot_read_proximity(struct hal_pilot *pilot, uint32_t *ohms)
{
    return pilot->ops->read_proximity(pilot, ohms);
}

#endif /* HAL_PILOT_H */
