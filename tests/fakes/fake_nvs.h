/**
 * @file fake_nvs.h
 * @brief Test fake of hal_nvs in RAM with power-loss injection: after a set number of
 *        writes the store "loses power" either before the next write lands (old record
 *        kept) or right after it landed (new record kept, caller never told); from then
 *        on every operation fails until fake_nvs_power_on().
 *
 *        Writes and erases are asynchronous as the contract wants: submit records the
 *        operation, the next hal_nvs_poll() carries it out and reports it (or reports
 *        HAL_EAGAIN while the test holds completions with fake_nvs_hold()).
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
    /* the operation in flight */
    bool busy;                /**< submitted, completion not yet polled */
    bool op_erase;            /**< erase (else write) */
    char op_key[HAL_NVS_KEY_MAX];
    const uint8_t *op_data;   /**< the caller's buffer, used at completion as a port would */
    size_t op_len;
    bool hold;                /**< polls answer HAL_EAGAIN: the medium is slow */
    uint32_t fail_writes;     /**< the next N writes fail with HAL_EIO (old record kept) */
    uint32_t submits;         /**< operations accepted */
    uint32_t busy_refusals;   /**< submits refused with HAL_EBUSY */
    char log[8][HAL_NVS_KEY_MAX + 2]; /**< completed operations in order: "w:key" / "e:key" */
    uint32_t nlog;            /**< completed operations (log keeps the first 8) */
};

/** @brief Empty store, no cut. */
void fake_nvs_init(struct fake_nvs *n);

/** @brief Hold (true) or release (false) completions: while held, polls say HAL_EAGAIN. */
void fake_nvs_hold(struct fake_nvs *n, bool hold);

/**
 * @brief Complete the operation in flight and take its outcome, for test set-up code
 *        that is not itself under test (releases a hold).
 * @retval HAL_OK @p status set
 * @retval HAL_ESTATE nothing in flight
 */
int fake_nvs_complete(struct fake_nvs *n, int *status);

/** @brief Power back: operations work again, the cut is disarmed. */
void fake_nvs_power_on(struct fake_nvs *n);

/** @brief Flip one byte of a stored record (medium corruption). @return false if absent. */
bool fake_nvs_corrupt(struct fake_nvs *n, const char *key, size_t offset);

#endif /* FAKE_NVS_H */
