/**
 * @file hal_gpio.h
 * @brief Digital I/O of the power path: DC contactors with feedback, connector lock
 *        with feedback, emergency stop.
 *
 * Signals are named by function, not by pin: the board maps each function to its
 * pin and polarity, so the core never knows whether a contactor coil is active-high.
 */
#ifndef HAL_GPIO_H
#define HAL_GPIO_H

#include <stdbool.h>

#include "hal_err.h"

/** Outputs the core drives. `true` always means "energised / active". */
enum hal_gpio_out {
    HAL_GPIO_OUT_CONTACTOR_POS = 0, /**< DC+ contactor coil */
    HAL_GPIO_OUT_CONTACTOR_NEG,     /**< DC- contactor coil */
    HAL_GPIO_OUT_LOCK,              /**< connector lock actuator: true = locked */
    HAL_GPIO_OUT_COUNT
};

/** Inputs the core reads. `true` always means "closed / locked / pressed". */
enum hal_gpio_in {
    HAL_GPIO_IN_CONTACTOR_POS_FB = 0, /**< DC+ auxiliary contact: true = main contacts closed */
    HAL_GPIO_IN_CONTACTOR_NEG_FB,     /**< DC- auxiliary contact: true = main contacts closed */
    HAL_GPIO_IN_LOCK_FB,              /**< lock position switch: true = locked */
    HAL_GPIO_IN_ESTOP,                /**< emergency stop: true = pressed (loop open) */
    HAL_GPIO_IN_COUNT
};

struct hal_gpio;

/** Operations of a GPIO port. */
struct hal_gpio_ops {
    /** @see hal_gpio_write */
    int (*write)(struct hal_gpio *gpio, enum hal_gpio_out out, bool active);
    /** @see hal_gpio_read */
    int (*read)(struct hal_gpio *gpio, enum hal_gpio_in in, bool *active);
};

/** A GPIO instance. */
struct hal_gpio {
    const struct hal_gpio_ops *ops;
};

/**
 * @brief Drive an output.
 * @retval HAL_OK the output was set
 * @retval HAL_EINVAL no such output
 * @retval HAL_ENOTSUP the board does not have this output
 * @retval HAL_EIO the driver failed; the caller treats the output as in an unknown state
 */
static inline int hal_gpio_write(struct hal_gpio *gpio, enum hal_gpio_out out, bool active)
{
    return gpio->ops->write(gpio, out, active);
}

/**
 * @brief Read an input (already debounced by the port where the hardware needs it).
 * @retval HAL_OK @p active is valid
 * @retval HAL_EINVAL no such input
 * @retval HAL_ENOTSUP the board does not have this input
 * @retval HAL_EIO the read failed; @p active is not valid
 */
static inline int hal_gpio_read(struct hal_gpio *gpio, enum hal_gpio_in in, bool *active)
{
    return gpio->ops->read(gpio, in, active);
}

#endif /* HAL_GPIO_H */
