/**
 * @file cli.h
 * @brief The Linux board's command line: options, --help, --version, the --ctl client, and
 *        loading (or only checking, --check) the configuration file.
 */
#ifndef BOARD_CLI_H
#define BOARD_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "board_config.h"
#include "connector.h"

#define CHARGER_VERSION "0.2.0"
#define CHARGER_DEFAULT_CONFIG "/etc/dcfc/charger.conf"

/** What the command line asked for. Only cli.c writes the fields. */
struct board_options {
    const char *config;            /**< -c FILE */
    bool check_only;               /**< --check */
    long run_for_s;                /**< --run-for, 0 = until a signal */
    uint32_t sessions_max;         /**< --sessions, 0 = no limit */
    const char *ctl_path;          /**< --ctl SOCKET, or NULL */
    struct board_sim_options sim;  /**< --sim-plant and its companions */
    const char *capture;           /**< --capture FILE (over capture.file), or NULL */
    const char *tls_keylog;        /**< --tls-keylog FILE (over capture.tls_keylog), or NULL */
    bool test_stall_hook;          /**< --test-stall-hook (test aid: SIGUSR2 stalls the loop) */
};

/**
 * @brief Parse the command line; answer --help, --version and the --ctl client at once.
 * @return -1 to go on (start the charger), else the exit status
 */
int board_cli_parse(struct board_options *o, int argc, char **argv);

/**
 * @brief Load and validate the configuration; with --check also ask this machine and print
 *        the verdict.
 * @return -1 to go on (start the charger), else the exit status
 */
int board_cli_config(struct board_config *cfg, const struct board_options *o);

#endif /* BOARD_CLI_H */
