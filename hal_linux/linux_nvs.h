/**
 * @file linux_nvs.h
 * @brief Non-volatile store in a directory: one file per record, replaced atomically
 *        (write a temporary file, fsync, rename over the old one, fsync the directory).
 */
#ifndef LINUX_NVS_H
#define LINUX_NVS_H

#include "hal_nvs.h"

/** Longest directory path accepted. */
#define LINUX_NVS_DIR_MAX 200

/** The Linux store port. */
struct linux_nvs {
    struct hal_nvs base;
    char dir[LINUX_NVS_DIR_MAX];
};

/**
 * @brief Use @p dir (created if missing, mode 0700) as the store.
 * @retval HAL_OK ready
 * @retval HAL_EINVAL the path is empty or too long
 * @retval HAL_EIO the directory cannot be created or is not a directory
 */
int linux_nvs_init(struct linux_nvs *n, const char *dir);

#endif /* LINUX_NVS_H */
