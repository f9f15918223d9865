/**
 * @file hal_nvs.h
 * @brief Non-volatile store: small named records written atomically.
 *
 * A write either replaces the whole record or leaves the old one intact, even if
 * power fails half-way (Linux: write a temporary file, fsync, rename, fsync the
 * directory; MCU: two flash slots with a sequence number and a CRC).
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
    /** @see hal_nvs_write */
    int (*write)(struct hal_nvs *nvs, const char *key, const uint8_t *data, size_t len);
    /** @see hal_nvs_erase */
    int (*erase)(struct hal_nvs *nvs, const char *key);
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
 * @brief Replace a record atomically and durably.
 * @retval HAL_OK the new record is on the medium (survives power loss from now on)
 * @retval HAL_EINVAL bad name
 * @retval HAL_ENOMEM the medium is full; the old record is intact
 * @retval HAL_EIO the medium failed; the old record is intact
 */
static inline int hal_nvs_write(struct hal_nvs *nvs, const char *key, const uint8_t *data,
                                size_t len)
{
    return nvs->ops->write(nvs, key, data, len);
}

/**
 * @brief Remove a record.
 * @retval HAL_OK removed, or it did not exist
 * @retval HAL_EINVAL bad name
 * @retval HAL_EIO the medium failed
 */
static inline int hal_nvs_erase(struct hal_nvs *nvs, const char *key)
{
    return nvs->ops->erase(nvs, key);
}

/**
 * @brief Check a record name: 1..HAL_NVS_KEY_MAX-1 characters from [a-z0-9_.-], not "." or "..".
 * @retval HAL_OK the name is valid
 * @retval HAL_EINVAL it is not
 */
int hal_nvs_key_check(const char *key);

#endif /* HAL_NVS_H */
