/**
 * @file an386_hal.h
 * @brief The HAL port of the mps2-an386 board (Cortex-M4F, QEMU or the FPGA board).
 *
 * What the board really has and the port implements:
 *   clock  - monotonic ms from SysTick (1 kHz), idle = WFI; no wall clock (no RTC)
 *   log    - lines to the semihosting console
 * What it lacks (the MPS2 has no charger front end), reported as HAL_ENOTSUP or
 * as the safe "nothing there" answer documented per operation in an386_hal.c:
 *   pilot, GPIO (contactors, lock, e-stop), power stage.
 * A real charger board copies this file and fills in the missing drivers; see
 * docs/cortex-m.md.
 */
#ifndef AN386_HAL_H
#define AN386_HAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_clock.h"
#include "hal_gpio.h"
#include "hal_log.h"
#include "hal_pilot.h"
#include "psu.h"

/** Clock port instance. */
struct an386_clock {
    struct hal_clock base; /**< first: the core sees only this */
    volatile bool io_pending; /**< set by an interrupt that queued input for the loop */
};

/** Log port instance. */
struct an386_log {
    struct hal_log base;
    uint32_t dropped; /**< lines cut because they did not fit the output buffer */
};

/** Pilot port instance (no pilot hardware on this board). */
struct an386_pilot {
    struct hal_pilot base;
};

/** GPIO port instance (no power-path I/O on this board). */
struct an386_gpio {
    struct hal_gpio base;
};

/** Power-stage instance (no power stage on this board). */
struct an386_psu {
    struct psu base;
};

/**
 * @brief Start SysTick and fill in the clock port.
 * @retval HAL_OK running
 * @retval HAL_EINVAL the core clock cannot give a 1 kHz SysTick
 */
int an386_clock_init(struct an386_clock *clk);

/** @brief Fill in the log port; lines less severe than @p min_level are dropped. */
void an386_log_init(struct an386_log *log, enum hal_log_level min_level);

/** @brief Fill in the pilot port (every operation: HAL_ENOTSUP). */
void an386_pilot_init(struct an386_pilot *p);

/** @brief Fill in the GPIO port (every operation: HAL_ENOTSUP). */
void an386_gpio_init(struct an386_gpio *g);

/** @brief Fill in the power-stage port (OFF accepted, everything else refused). */
void an386_psu_init(struct an386_psu *p);

#endif /* AN386_HAL_H */
