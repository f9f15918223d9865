/**
 * @file service.h
 * @brief The charger as a systemd service: the notify protocol (READY=1 after start-up,
 *        WATCHDOG=1 from the superloop while healthy, STOPPING=1 at shutdown) and the
 *        --test-stall-hook test aid. docs/deployment.md, "systemd".
 *
 * The notify protocol is one datagram per message on the AF_UNIX socket named by
 * NOTIFY_SOCKET ('@' = abstract namespace); a tiny sender here instead of libsystemd keeps
 * the charger's dependencies the same on every architecture and the same whether or not
 * systemd runs it (without NOTIFY_SOCKET every call does nothing).
 */
#ifndef BOARD_SERVICE_H
#define BOARD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "sched.h"
#include "watchdog.h"

/** The service side of the board. Only service.c writes the fields. */
struct board_service {
    int fd;                  /**< the notify socket, -1 when systemd did not ask */
    struct board_watchdog wd;
    struct hal_log *log;
    bool reported_withheld;  /**< one log line per unhealthy stretch, not per period */
    struct sched_task stall_task; /**< --test-stall-hook only */
};

/**
 * @brief Read NOTIFY_SOCKET and WATCHDOG_USEC (honouring WATCHDOG_PID) and open the socket.
 *        A malformed variable is logged and ignored (the charger runs without systemd then).
 */
void board_service_init(struct board_service *sv, struct hal_log *log, const struct sched *s, uint32_t now_ms);

/** @brief Send READY=1 with a STATUS= text; call once start-up has finished. */
void board_service_ready(struct board_service *sv, const char *version);

/** @brief After each superloop pass: ping the watchdog when due and healthy (watchdog.h). */
void board_service_pass(struct board_service *sv, const struct sched *s, uint32_t now_ms, uint32_t pass_ms);

/** @brief Send STOPPING=1 and close the socket. */
void board_service_stopping(struct board_service *sv);

/**
 * @brief TEST AID (--test-stall-hook): SIGUSR2 toggles a stall; while stalled, a scheduled
 *        task of its own blocks inside its step (as a stuck task would), so the loop makes no
 *        pass and no watchdog ping goes out. The stop flag still ends the stall.
 * @return HAL_OK, or HAL_ENOMEM when the scheduler is full
 */
int board_service_add_stall_hook(struct board_service *sv, struct sched *s, volatile int *stop_flag,
                                 uint32_t now_ms);

#endif /* BOARD_SERVICE_H */
