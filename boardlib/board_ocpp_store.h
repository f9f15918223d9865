/**
 * @file board_ocpp_store.h
 * @brief The host boards' file of the OCPP charge point's persistent state: the
 *        configuration the CSMS changed, the local authorization list, the authorization
 *        cache, the reservations, what the meter journal does not hold of the transaction
 *        queue (a Start's reservationId and idTag, a transaction's MeterValues) and the
 *        charging profiles (ocpp_cp_store_export's lines under a format line), written
 *        atomically (temporary file, fsync, rename) whenever it changed: a MeterValues is on
 *        disk before it is sent, and off it once the CSMS confirmed it.
 */
#ifndef BOARD_OCPP_STORE_H
#define BOARD_OCPP_STORE_H

#include <stdint.h>

#include "hal_log.h"
#include "ocpp/ocpp_cp.h"

#define BOARD_OCPP_STORE_PATH_MAX 256u

struct board_ocpp_store {
    char path[BOARD_OCPP_STORE_PATH_MAX];
    struct hal_log *log;
    uint32_t saves, failures;
};

/**
 * @brief Read @p dir/ocpp.store into @p cp (a missing file is a first start). Every line is
 *        checked as the backend's messages are; a refused line is skipped and logged. Call it
 *        after the journals re-queued their transactions (ocpp_station_init): the queue's
 *        lines name them.
 * @retval HAL_OK read (or nothing stored) @retval HAL_EINVAL the path does not fit
 */
int board_ocpp_store_open(struct board_ocpp_store *s, const char *dir, struct ocpp_cp *cp, struct hal_log *log,
                          uint32_t now_ms);

/** The save hook for ocpp_station_set_store (ctx: struct board_ocpp_store). */
void board_ocpp_store_save(void *ctx, const struct ocpp_cp *cp);

#endif /* BOARD_OCPP_STORE_H */
