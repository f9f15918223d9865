/**
 * @file an386_ocpp.h
 * @brief The OCPP 1.6J client on the Cortex-M4 board, linked into firmware-ocpp.elf only so
 *        that its flash and RAM are measured on the real target (make board-ocpp-size).
 */
#ifndef AN386_OCPP_H
#define AN386_OCPP_H

#include <stdint.h>

#include "charger.h"
#include "hal_log.h"
#include "sched.h"

/**
 * @brief Put the one charger under a station, attach the OCPP charge point (Core, Smart
 *        Charging, Local Auth List, Reservation, certificate and firmware management) and add
 *        its task. @retval HAL_OK or the first init's error
 */
int an386_ocpp_start(struct charger *c, struct sched *s, struct hal_log *log, uint32_t now_ms);

#endif /* AN386_OCPP_H */
