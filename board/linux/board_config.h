/**
 * @file board_config.h
 * @brief The Linux board's configuration file: keys, defaults, loading.
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/** Everything the Linux board reads from its configuration file. */
struct board_config {
    char charger_name[16];
    uint32_t export_voltage_v;
    uint32_t export_current_a;
    uint32_t pilot_debounce_ms;
    uint32_t safe_current_ma;
    uint32_t power_down_timeout_ms;
    uint32_t contactor_timeout_ms;
    uint32_t lock_timeout_ms;
    char can_interface[16];
    uint32_t can_bitrate;
    char store_dir[128];
    int log_level; /**< index into "error", "warn", "info", "debug" */
    bool log_syslog;
};

/** Largest configuration file accepted. */
#define BOARD_CONFIG_FILE_MAX 16384

/** @brief Fill every field with its default. */
void board_config_defaults(struct board_config *c);

/**
 * @brief Read and validate @p path. On failure prints "PATH:LINE: KEY: REASON" to @p err.
 * @retval 0 valid
 * @retval -1 invalid or unreadable (the message says which and why)
 */
int board_config_load(struct board_config *c, const char *path, FILE *err);

/** @brief Print every key with its type, range and meaning (for --help). */
void board_config_describe(FILE *out);

#endif /* BOARD_CONFIG_H */
