/**
 * @file hal_nvs.h
 * @brief Non-volatile store: small named records written atomically.
 *
 * A write either replaces the whole record or leaves the old one intact, even if
 * power fails half-way (Linux: write a temporary file, fsync, rename, fsync the
 * directory; MCU: two flash slots with a sequence number and a CRC).
 *
 * Writing durably takes milliseconds (an fsync, a flash sector erase), far longer than a
 * loop pass may take, so writes and erases are split like a Modbus request: submit, then
 * poll on later passes until the port reports completion. One operation per store is in
 * flight at a time. A port may finish at once (RAM) or run the work on its own worker
 * (Linux: a thread that signals a descriptor the poll() loop watches).
 *
 * Reads stay synchronous: a record is a few kB read from the page cache or memory-mapped
 * flash. While a write of the same record is in flight a read returns the old record or
 * the new one, never a mix; only the completion tells that the new one is durable.
 */
#ifndef HAL_NVS_H
#define HAL_NVS_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Longest record name including the terminating NUL. Names use [a-z0-9_.-] only. */
#define HAL_NVS_KEY_MAX 32

struct hal_nvs;

/** Operations of a store port. */
struct hal_nvs_ops {
    /** @see hal_nvs_read */
    int (*read)(struct hal_nvs *nvs, const char *key, uint8_t *buf, size_t cap, size_t *len);
    /** @see hal_nvs_submit_write */
    int (*submit_write)(struct hal_nvs *nvs, const char *key, const uint8_t *data, size_t len);
    /** @see hal_nvs_submit_erase */
    int (*submit_erase)(struct hal_nvs *nvs, const char *key);
    /** @see hal_nvs_poll */
    int (*poll)(struct hal_nvs *nvs, int *status);
};

/** A store instance. */
struct hal_nvs {
    const struct hal_nvs_ops *ops;
};

/**
 * @brief Read a whole record.
 * @param[out] len bytes copied into @p buf
 * @retval HAL_OK the record was read
 * @retval HAL_ENOENT no record with this name
 * @retval HAL_EOVERFLOW the record is larger than @p cap; nothing usable was copied
 * @retval HAL_EINVAL the name is empty, too long or has characters outside [a-z0-9_.-]
 * @retval HAL_EIO the medium failed
 */
static inline int hal_nvs_read(struct hal_nvs *nvs, const char *key, uint8_t *buf, size_t cap,
                               size_t *len)
{
    return nvs->ops->read(nvs, key, buf, cap, len);
}

/**
 * @brief Start replacing a record atomically and durably. @p data must stay valid and
 *        unchanged until hal_nvs_poll() reports the completion (the port does not copy it).
 * @retval HAL_OK accepted; poll for its completion
 * @retval HAL_EBUSY an operation is still in flight (submitted, completion not yet polled)
 * @retval HAL_EINVAL bad name (nothing submitted)
 */
static inline int hal_nvs_submit_write(struct hal_nvs *nvs, const char *key, const uint8_t *data,
                                       size_t len)
{
    return nvs->ops->submit_write(nvs, key, data, len);
}

/**
 * @brief Start removing a record.
 * @retval HAL_OK accepted; poll for its completion
 * @retval HAL_EBUSY an operation is still in flight
 * @retval HAL_EINVAL bad name (nothing submitted)
 */
static inline int hal_nvs_submit_erase(struct hal_nvs *nvs, const char *key)
{
    return nvs->ops->submit_erase(nvs, key);
}

/**
 * @brief Ask whether the submitted operation completed; returns its outcome once.
 * @param[out] status when HAL_OK is returned, the operation's outcome:
 *             write: HAL_OK the new record is on the medium (survives power loss from now
 *             on); HAL_ENOMEM the medium is full; HAL_EIO the medium failed (the old
 *             record is intact in both cases).
 *             erase: HAL_OK removed, or it did not exist; HAL_EIO the medium failed.
 * @retval HAL_OK completed; @p status set, the store takes the next operation
 * @retval HAL_EAGAIN still running
 * @retval HAL_ESTATE nothing was submitted (or its completion was already reported)
 */
static inline int hal_nvs_poll(struct hal_nvs *nvs, int *status)
{
    return nvs->ops->poll(nvs, status);
}

/**
 * @brief Check a record name: 1..HAL_NVS_KEY_MAX-1 characters from [a-z0-9_.-], not "." or "..".
 * @retval HAL_OK the name is valid
 * @retval HAL_EINVAL it is not
 */
int hal_nvs_key_check(const char *key);

#endif /* HAL_NVS_H */
