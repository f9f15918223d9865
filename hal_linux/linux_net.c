#define _GNU_SOURCE /* accept4 */
#include "linux_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_errno.h"

static int linux_net_slot(struct linux_net *n, int fd)
{
    for (int i = 0; i < CFG_LINUX_NET_SOCKS; i++) {
        if (n->fd[i] < 0) {
            n->fd[i] = fd;
            if (n->loop != NULL && linux_loop_watch(n->loop, fd, POLLIN) != HAL_OK) {
                n->fd[i] = -1;
                return HAL_ENOMEM;
            }
            return i;
        }
    }
    return HAL_ENOMEM;
}

static int linux_net_get(const struct linux_net *n, int sock)
{
    if (sock < 0 || sock >= CFG_LINUX_NET_SOCKS) {
        return -1;
    }
    return n->fd[sock];
}

static void linux_net_to_ep(const struct sockaddr_in6 *sa, struct hal_ip6_endpoint *ep)
{
    memcpy(ep->addr, &sa->sin6_addr, 16);
    ep->port = ntohs(sa->sin6_port);
    ep->scope = sa->sin6_scope_id;
}

static void linux_net_from_ep(const struct linux_net *n, const struct hal_ip6_endpoint *ep,
                              struct sockaddr_in6 *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin6_family = AF_INET6;
    memcpy(&sa->sin6_addr, ep->addr, 16);
    sa->sin6_port = htons(ep->port);
    /* link-local and multicast-link-local need the interface */
    sa->sin6_scope_id = ep->scope != 0 ? ep->scope : n->ifindex;
}

/* /proc/net/if_inet6: address, ifindex, prefix length, scope, flags, name. Flags carry
 * IFA_F_TENTATIVE (0x40) while duplicate address detection runs. */
static int linux_net_local_addr(struct hal_net *base, struct hal_ip6_endpoint *ep)
{
    struct linux_net *n = (struct linux_net *)base;
    FILE *f = fopen("/proc/net/if_inet6", "r");
    char hex[33], name[32];
    unsigned idx, plen, scope, flags;
    int rc = HAL_ENOENT;
    if (f == NULL) {
        return HAL_EIO;
    }
    while (fscanf(f, "%32s %x %x %x %x %31s", hex, &idx, &plen, &scope, &flags, name) == 6) {
        if (strcmp(name, n->ifname) != 0 || strncmp(hex, "fe80", 4) != 0) {
            continue;
        }
        if (flags & 0x40u) {
            rc = HAL_EAGAIN;
            continue;
        }
        for (int i = 0; i < 16; i++) {
            unsigned b;
            sscanf(&hex[2 * i], "%2x", &b);
            ep->addr[i] = (uint8_t)b;
        }
        ep->port = 0;
        ep->scope = n->ifindex;
        rc = HAL_OK;
        break;
    }
    fclose(f);
    return rc;
}

static int linux_net_socket(int type)
{
    int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd;
}

static int linux_net_udp_open(struct hal_net *base, uint16_t port, bool join)
{
    struct linux_net *n = (struct linux_net *)base;
    int fd = linux_net_socket(SOCK_DGRAM);
    int one = 1, zero = 0, hops = 1;
    struct sockaddr_in6 sa;
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof zero);
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &n->ifindex, sizeof n->ifindex) != 0) {
        int e = errno;
        close(fd);
        return linux_errno_to_hal(e);
    }
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_any;
    sa.sin6_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        return e == EADDRINUSE ? HAL_EBUSY : linux_errno_to_hal(e);
    }
    if (join) {
        struct ipv6_mreq mr;
        memset(&mr, 0, sizeof mr);
        inet_pton(AF_INET6, "ff02::1", &mr.ipv6mr_multiaddr);
        mr.ipv6mr_interface = n->ifindex;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) != 0) {
            int e = errno;
            close(fd);
            return linux_errno_to_hal(e);
        }
    }
    int h = linux_net_slot(n, fd);
    if (h < 0) {
        close(fd);
    }
    return h;
}

static int linux_net_udp_sendto(struct hal_net *base, int sock, const struct hal_ip6_endpoint *to,
                                const uint8_t *buf, size_t len)
{
    struct linux_net *n = (struct linux_net *)base;
    struct sockaddr_in6 sa;
    int fd = linux_net_get(n, sock);
    if (fd < 0 || len > 65507u) {
        return HAL_EINVAL;
    }
    linux_net_from_ep(n, to, &sa);
    if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? HAL_EAGAIN : HAL_EIO;
    }
    return HAL_OK;
}

static int linux_net_udp_recvfrom(struct hal_net *base, int sock, struct hal_ip6_endpoint *from,
                                  uint8_t *buf, size_t cap, size_t *len)
{
    struct linux_net *n = (struct linux_net *)base;
    struct sockaddr_in6 sa;
    socklen_t sl = sizeof sa;
    int fd = linux_net_get(n, sock);
    *len = 0;
    if (fd < 0) {
        return HAL_EINVAL;
    }
    ssize_t r = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&sa, &sl);
    if (r < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? HAL_EAGAIN : HAL_EIO;
    }
    if ((size_t)r > cap) {
        return HAL_EOVERFLOW;
    }
    if (from != NULL) {
        linux_net_to_ep(&sa, from);
    }
    *len = (size_t)r;
    return HAL_OK;
}

static int linux_net_tcp_listen(struct hal_net *base, uint16_t port)
{
    struct linux_net *n = (struct linux_net *)base;
    int fd = linux_net_socket(SOCK_STREAM);
    int one = 1;
    struct sockaddr_in6 sa;
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_any;
    sa.sin6_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) {
        int e = errno;
        close(fd);
        return e == EADDRINUSE ? HAL_EBUSY : linux_errno_to_hal(e);
    }
    int h = linux_net_slot(n, fd);
    if (h < 0) {
        close(fd);
    }
    return h;
}

static int linux_net_tcp_accept(struct hal_net *base, int listener, struct hal_ip6_endpoint *peer)
{
    struct linux_net *n = (struct linux_net *)base;
    struct sockaddr_in6 sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    int lfd = linux_net_get(n, listener);
    if (lfd < 0) {
        return HAL_EINVAL;
    }
    int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? HAL_EAGAIN : linux_errno_to_hal(errno);
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int h = linux_net_slot(n, fd);
    if (h < 0) {
        close(fd);
        return h;
    }
    if (peer != NULL) {
        linux_net_to_ep(&sa, peer);
    }
    return h;
}

static int linux_net_tcp_connect(struct hal_net *base, const struct hal_ip6_endpoint *to)
{
    struct linux_net *n = (struct linux_net *)base;
    struct sockaddr_in6 sa;
    int one = 1;
    int fd = linux_net_socket(SOCK_STREAM);
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    linux_net_from_ep(n, to, &sa);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return e == ECONNREFUSED ? HAL_ECLOSED : HAL_EIO;
    }
    int h = linux_net_slot(n, fd);
    if (h < 0) {
        close(fd);
    }
    return h;
}

static int linux_net_stream_err(int e)
{
    switch (e) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOTCONN:
    case EINPROGRESS:
        return HAL_EAGAIN;
    case EPIPE:
    case ECONNRESET:
    case ECONNREFUSED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
        return HAL_ECLOSED;
    default:
        return HAL_EIO;
    }
}

static int linux_net_tcp_send(struct hal_net *base, int sock, const uint8_t *buf, size_t len,
                              size_t *sent)
{
    struct linux_net *n = (struct linux_net *)base;
    int fd = linux_net_get(n, sock);
    *sent = 0;
    if (fd < 0) {
        return HAL_EINVAL;
    }
    ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);
    if (r < 0) {
        return linux_net_stream_err(errno);
    }
    *sent = (size_t)r;
    return r > 0 ? HAL_OK : HAL_EAGAIN;
}

static int linux_net_tcp_recv(struct hal_net *base, int sock, uint8_t *buf, size_t cap, size_t *len)
{
    struct linux_net *n = (struct linux_net *)base;
    int fd = linux_net_get(n, sock);
    *len = 0;
    if (fd < 0) {
        return HAL_EINVAL;
    }
    ssize_t r = recv(fd, buf, cap, 0);
    if (r == 0) {
        return HAL_ECLOSED;
    }
    if (r < 0) {
        return linux_net_stream_err(errno);
    }
    *len = (size_t)r;
    return HAL_OK;
}

static void linux_net_close(struct hal_net *base, int sock)
{
    struct linux_net *n = (struct linux_net *)base;
    int fd = linux_net_get(n, sock);
    if (fd < 0) {
        return;
    }
    if (n->loop != NULL) {
        linux_loop_unwatch(n->loop, fd);
    }
    close(fd);
    n->fd[sock] = -1;
}

static int linux_net_local_port_op(struct hal_net *base, int sock, uint16_t *port)
{
    struct linux_net *n = (struct linux_net *)base;
    *port = 0;
    if (linux_net_get(n, sock) < 0) {
        return HAL_EINVAL;
    }
    *port = linux_net_local_port(n, sock);
    return *port != 0 ? HAL_OK : HAL_EIO;
}

static const struct hal_net_ops s_ops = {
    .local_addr = linux_net_local_addr,
    .udp_open = linux_net_udp_open,
    .udp_sendto = linux_net_udp_sendto,
    .udp_recvfrom = linux_net_udp_recvfrom,
    .tcp_listen = linux_net_tcp_listen,
    .tcp_accept = linux_net_tcp_accept,
    .tcp_connect = linux_net_tcp_connect,
    .tcp_send = linux_net_tcp_send,
    .tcp_recv = linux_net_tcp_recv,
    .close = linux_net_close,
    .local_port = linux_net_local_port_op,
};

int linux_net_init(struct linux_net *n, const char *ifname, struct linux_loop *loop)
{
    memset(n, 0, sizeof *n);
    n->base.ops = &s_ops;
    n->loop = loop;
    for (int i = 0; i < CFG_LINUX_NET_SOCKS; i++) {
        n->fd[i] = -1;
    }
    snprintf(n->ifname, sizeof n->ifname, "%s", ifname);
    n->ifindex = if_nametoindex(ifname);
    return n->ifindex == 0 ? HAL_ENOENT : HAL_OK;
}

int linux_net_fd(const struct linux_net *n, int sock)
{
    return linux_net_get(n, sock);
}

uint16_t linux_net_local_port(const struct linux_net *n, int sock)
{
    struct sockaddr_in6 sa;
    socklen_t sl = sizeof sa;
    int fd = linux_net_get(n, sock);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        return 0;
    }
    return ntohs(sa.sin6_port);
}

void linux_net_close_all(struct linux_net *n)
{
    for (int i = 0; i < CFG_LINUX_NET_SOCKS; i++) {
        linux_net_close(&n->base, i);
    }
}
