/**
 * @file linux_net.h
 * @brief IPv6 sockets (hal_net) bound to one interface: link-local UDP with the
 *        all-nodes group ff02::1 for SDP, non-blocking TCP for V2G. Every descriptor is
 *        registered with the loop so poll() wakes the superloop.
 *
 * TCP connections also go to IPv4 (IPv4-mapped endpoints, through the dual-stack
 * socket) and to host names (tcp_connect_name): literals are converted at once; a name is
 * resolved asynchronously by glibc's getaddrinfo_a on its own thread, checked (not
 * waited for) on each send or receive of the handle, and then connected. The loop is not
 * woken when a resolution completes: the handle's owner notices on its next pass.
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

/** Longest host name tcp_connect_name takes (DNS: 253). */
#define LINUX_NET_HOST_MAX 255

/**
 * A host name being resolved for tcp_connect_name: glibc's getaddrinfo_a request, kept
 * opaque here so users need no <netdb.h> with _GNU_SOURCE (linux_net.c checks the size).
 */
struct linux_net_resolve {
    _Alignas(16) unsigned char opaque[LINUX_NET_HOST_MAX + 320];
};

/** The Linux network port. */
struct linux_net {
    struct hal_net base;
    char ifname[16];
    unsigned ifindex;
    struct linux_loop *loop; /**< may be NULL (no watching) */
    int fd[CFG_LINUX_NET_SOCKS];
    /** per handle: 0, or a connection waiting for its name (1) or whose name failed (2) */
    unsigned char pend[CFG_LINUX_NET_SOCKS];
    struct linux_net_resolve res[CFG_LINUX_NET_SOCKS];
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
