/**
 * @file infy_internal.h
 * @brief What the InfyPower driver's own files share (infy_driver.c, infy_schedule.c):
 *        not part of the driver's API, included by no other module.
 */
#ifndef INFY_INTERNAL_H
#define INFY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "infypower/infy_driver.h"

/** @brief Log a line about module @p m, prefixed with its address and serial number. */
void infy_mlog(const struct infy_drv *d, const struct infy_module *m, enum hal_log_level lvl,
               uint32_t now_ms, const char *what, const char *detail);

/**
 * @brief Clamp the request to the capabilities and share it among the active modules
 *        (marks the modules whose setpoint must go out again).
 * @retval true the request was clamped
 * @retval false it fits (or there is no setpoint or no capability yet)
 */
bool infy_apply(struct infy_drv *d);

/** @brief Recompute the set of modules that share the load; on a change everything goes out again. */
void infy_update_active(struct infy_drv *d, uint32_t now_ms);

/** @brief Set module @p m's raised errors to @p mask (bits of enum infy_error), logging each change. */
void infy_set_errors(struct infy_drv *d, struct infy_module *m, uint32_t mask, uint32_t now_ms);

#endif /* INFY_INTERNAL_H */
