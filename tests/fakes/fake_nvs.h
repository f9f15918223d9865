/**
 * @file fake_nvs.h
 * @brief Test fake of hal_nvs in RAM with power-loss injection: after a set number of
 *        writes the store "loses power" either before the next write lands (old record
 *        kept) or right after it landed (new record kept, caller never told); from then
 *        on every operation fails until fake_nvs_power_on().
 */
#ifndef FAKE_NVS_H
#define FAKE_NVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_nvs.h"

#define FAKE_NVS_RECORDS 72u
#define FAKE_NVS_RECORD_MAX 4608u

enum fake_nvs_cut {
    FAKE_NVS_CUT_BEFORE = 0, /**< the write at the cut does not land */
    FAKE_NVS_CUT_AFTER,      /**< it lands, but power goes before the caller hears */
};

struct fake_nvs {
    struct hal_nvs base;
    char key[FAKE_NVS_RECORDS][HAL_NVS_KEY_MAX];
    uint8_t data[FAKE_NVS_RECORDS][FAKE_NVS_RECORD_MAX];
    size_t len[FAKE_NVS_RECORDS];
    bool used[FAKE_NVS_RECORDS];
    int32_t cut_after_writes; /**< -1 = never; 0 = the next write is where power goes */
    enum fake_nvs_cut cut_mode;
    bool dead;                /**< power is gone: everything fails with HAL_EIO */
    uint32_t writes;          /**< successful writes */
    uint32_t erases;
};

/** @brief Empty store, no cut. */
void fake_nvs_init(struct fake_nvs *n);

/** @brief Power back: operations work again, the cut is disarmed. */
void fake_nvs_power_on(struct fake_nvs *n);

/** @brief Flip one byte of a stored record (medium corruption). @return false if absent. */
bool fake_nvs_corrupt(struct fake_nvs *n, const char *key, size_t offset);

#endif /* FAKE_NVS_H */
