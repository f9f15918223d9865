/**
 * @file board_spawn.h
 * @brief The host boards' configured commands (an installer, a firmware or diagnostics
 *        command): split at spaces, started with fork + execvp (never a shell, so nothing
 *        the CSMS or the MQTT API sends is interpreted), reaped without blocking the loop.
 *        Shared by the MQTT API's installer and OCPP Firmware Management.
 */
#ifndef BOARD_SPAWN_H
#define BOARD_SPAWN_H

#include <sys/types.h>

/** Words of the configured command line at most; extra arguments fill up to 15 in all. */
#define BOARD_SPAWN_WORDS 10u

/**
 * @brief Start @p cmdline (split at spaces and tabs) with the NULL-terminated @p extra
 *        arguments after its own (NULL: none).
 * @retval HAL_OK *pid runs  @retval HAL_EINVAL an empty command line  @retval HAL_EIO fork failed
 */
int board_spawn(const char *cmdline, const char *const *extra, pid_t *pid);

/** board_spawn_reap()'s answer while the command still runs. */
#define BOARD_SPAWN_RUNNING (-2)

/**
 * @brief Whether @p pid ended (waitpid WNOHANG).
 * @return BOARD_SPAWN_RUNNING, its exit status, 128 + the signal that ended it, or -1 (not
 *         our child any more)
 */
int board_spawn_reap(pid_t pid);

#endif /* BOARD_SPAWN_H */
