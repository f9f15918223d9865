/**
 * @file linux_net.h
 * @brief IPv6 sockets (hal_net) bound to one interface: link-local UDP with the
 *        all-nodes group ff02::1 for SDP, non-blocking TCP for V2G. Every descriptor is
 *        registered with the loop so poll() wakes the superloop.
 */
#ifndef LINUX_NET_H
#define LINUX_NET_H

#include <stdint.h>

#include "hal_net.h"
#include "linux_loop.h"

/** Sockets one port holds (SDP, listener, connections). */
#ifndef CFG_LINUX_NET_SOCKS
#define CFG_LINUX_NET_SOCKS 8
#endif
_Static_assert(CFG_LINUX_NET_SOCKS >= 2 && CFG_LINUX_NET_SOCKS <= 64,
               "CFG_LINUX_NET_SOCKS must be 2..64");

/** The Linux network port. */
struct linux_net {
    struct hal_net base;
    char ifname[16];
    unsigned ifindex;
    struct linux_loop *loop; /**< may be NULL (no watching) */
    int fd[CFG_LINUX_NET_SOCKS];
};

/**
 * @brief Bind the port to @p ifname.
 * @retval HAL_OK ready
 * @retval HAL_ENOENT no such interface
 */
int linux_net_init(struct linux_net *n, const char *ifname, struct linux_loop *loop);

/** @brief Descriptor of a handle, or -1 (for the TLS port). */
int linux_net_fd(const struct linux_net *n, int sock);

/** @brief Local port of a handle (the way to read back tcp_listen(0)), 0 on error. */
uint16_t linux_net_local_port(const struct linux_net *n, int sock);

/** @brief Close every handle. */
void linux_net_close_all(struct linux_net *n);

#endif /* LINUX_NET_H */
