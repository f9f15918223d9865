/**
 * @file linux_loop.h
 * @brief The Linux idle: a monotonic clock whose idle() is poll() on every descriptor
 *        the board registered (CAN sockets, pcap, TCP, the Modbus worker's eventfd).
 */
#ifndef LINUX_LOOP_H
#define LINUX_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_clock.h"

/** Most descriptors one loop watches. */
#ifndef CFG_LINUX_LOOP_MAX_FDS
#define CFG_LINUX_LOOP_MAX_FDS 32
#endif

/** The Linux clock port. */
struct linux_loop {
    struct hal_clock base;
    int fds[CFG_LINUX_LOOP_MAX_FDS];
    short events[CFG_LINUX_LOOP_MAX_FDS];
    int nfds;
    uint64_t start_ns; /**< CLOCK_MONOTONIC at init: now_ms counts from here */
    volatile int *stop_flag; /**< set from a signal handler; idle returns at once when set */
};

/** @brief Fill the ops and start the millisecond count at 0. */
void linux_loop_init(struct linux_loop *l);

/**
 * @brief Watch a descriptor.
 * @param events POLLIN and/or POLLOUT
 * @retval HAL_OK watched
 * @retval HAL_EINVAL fd < 0
 * @retval HAL_ENOMEM CFG_LINUX_LOOP_MAX_FDS already watched
 */
int linux_loop_watch(struct linux_loop *l, int fd, short events);

/** @brief Stop watching a descriptor (before closing it). Unknown fds are ignored. */
void linux_loop_unwatch(struct linux_loop *l, int fd);

#endif /* LINUX_LOOP_H */
