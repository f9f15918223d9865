/**
 * @file linux_can.h
 * @brief Linux port of the CAN contract: a SocketCAN raw socket, plus libsocketcan for
 *        bit rate, controller state and restart.
 *
 * The socket is non-blocking; a board adds linux_can_fd() to its poll() set and calls
 * hal_can_recv() until HAL_EAGAIN when it is readable. Error frames (bus-off, restart,
 * controller warnings) are requested on the socket and consumed inside recv: they
 * change the reported state and never reach the caller as data.
 *
 * Virtual interfaces (vcan) have no CAN netlink data: the bit rate is ignored,
 * get_state() is HAL_ENOTSUP until an error frame has told the port something, and
 * restart() is HAL_ENOTSUP.
 */
#ifndef LINUX_CAN_H
#define LINUX_CAN_H

#include <stdbool.h>

#include "hal_can.h"

/** Bytes for an interface name including its NUL; equals the kernel's IFNAMSIZ. */
#define LINUX_CAN_IFNAME_SIZE 16

/** One SocketCAN interface. Fields are private to linux_can.c. */
struct linux_can {
    struct hal_can base;                /**< must stay first: the core sees only this */
    int fd;                             /**< raw socket, -1 when closed */
    char ifname[LINUX_CAN_IFNAME_SIZE]; /**< interface name, NUL-terminated */
    bool has_link_data;                 /**< the interface answers CAN netlink queries */
    bool state_known;                   /**< err_state was set by an error frame */
    enum hal_can_state err_state;       /**< state last reported by an error frame */
    struct hal_can_filter filters[HAL_CAN_MAX_FILTERS]; /**< kept across open (CAN_RAW_FILTER) */
    size_t nfilters;
};

/**
 * @brief Prepare an instance for @p ifname. No I/O happens until hal_can_open().
 * @param c the instance to fill
 * @param ifname interface name such as "can0" or "vcan0"; copied
 * @retval HAL_OK @p c is ready for hal_can_open()
 * @retval HAL_EINVAL @p c or @p ifname is NULL, or the name is empty or too long
 */
int linux_can_init(struct linux_can *c, const char *ifname);

/**
 * @brief The descriptor to watch for POLLIN in the board's poll() loop.
 * @param c an initialised instance
 * @return the socket, or -1 when the port is closed (poll() ignores negative fds)
 */
int linux_can_fd(const struct linux_can *c);

#endif /* LINUX_CAN_H */
