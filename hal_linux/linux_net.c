#define _GNU_SOURCE /* accept4, getaddrinfo_a */
#include "linux_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
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
        if (n->fd[i] < 0 && n->pend[i] == 0) {
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

/* ---- TCP to names and IPv4 ---- */

enum { LINUX_NET_RESOLVING = 1, LINUX_NET_RESOLVE_FAILED = 2 };

/** What struct linux_net_resolve holds. */
struct linux_net_req {
    struct gaicb cb;
    struct addrinfo hints;
    char host[LINUX_NET_HOST_MAX + 1];
    char port[8];
};
_Static_assert(sizeof(struct linux_net_req) <= sizeof(struct linux_net_resolve),
               "struct linux_net_resolve is too small for a getaddrinfo_a request");

static struct linux_net_req *linux_net_req_of(struct linux_net *n, int sock)
{
    return (struct linux_net_req *)(void *)n->res[sock].opaque;
}

/* A resolved address of either family, as the dual-stack socket's IPv6 form. */
static bool linux_net_ai_to_sa6(const struct addrinfo *ai, struct sockaddr_in6 *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin6_family = AF_INET6;
    if (ai->ai_family == AF_INET6) {
        memcpy(sa, ai->ai_addr, sizeof *sa);
        return true;
    }
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ai->ai_addr;
        sa->sin6_port = s4->sin_port;
        sa->sin6_addr.s6_addr[10] = 0xff;
        sa->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&sa->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
        return true;
    }
    return false;
}

/* Open the socket and start connecting; returns the descriptor or -errno-like HAL code. */
static int linux_net_start_connect(const struct sockaddr_in6 *sa, int *fd_out)
{
    int one = 1, zero = 0;
    int fd = linux_net_socket(SOCK_STREAM);
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* dual stack whatever net.ipv6.bindv6only says: IPv4 goes as ::ffff:a.b.c.d */
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return e == ECONNREFUSED ? HAL_ECLOSED : HAL_EIO;
    }
    *fd_out = fd;
    return HAL_OK;
}

static int linux_net_tcp_connect_name(struct hal_net *base, const char *host, uint16_t port)
{
    struct linux_net *n = (struct linux_net *)base;
    size_t hl = host != NULL ? strlen(host) : 0u;
    if (hl == 0u || hl > LINUX_NET_HOST_MAX || port == 0u) {
        return HAL_EINVAL;
    }
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);

    /* A literal (IPv4 or IPv6) converts at once and never waits. */
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, service, &hints, &ai);
    if (g == 0) {
        struct sockaddr_in6 sa;
        bool ok = linux_net_ai_to_sa6(ai, &sa);
        freeaddrinfo(ai);
        if (!ok) {
            return HAL_EINVAL;
        }
        if (sa.sin6_scope_id == 0 && IN6_IS_ADDR_LINKLOCAL(&sa.sin6_addr)) {
            sa.sin6_scope_id = n->ifindex;
        }
        int fd = -1;
        int rc = linux_net_start_connect(&sa, &fd);
        if (rc != HAL_OK) {
            return rc;
        }
        int h = linux_net_slot(n, fd);
        if (h < 0) {
            close(fd);
        }
        return h;
    }
    if (g != EAI_NONAME) {
        return HAL_EIO;
    }

    /* A name: reserve a handle and resolve in the background. */
    int h = -1;
    for (int i = 0; i < CFG_LINUX_NET_SOCKS; i++) {
        if (n->fd[i] < 0 && n->pend[i] == 0) {
            h = i;
            break;
        }
    }
    if (h < 0) {
        return HAL_ENOMEM;
    }
    struct linux_net_req *r = linux_net_req_of(n, h);
    memset(r, 0, sizeof *r);
    memcpy(r->host, host, hl + 1u);
    memcpy(r->port, service, sizeof service);
    r->hints.ai_family = AF_UNSPEC;
    r->hints.ai_socktype = SOCK_STREAM;
    r->hints.ai_flags = AI_NUMERICSERV;
    r->cb.ar_name = r->host;
    r->cb.ar_service = r->port;
    r->cb.ar_request = &r->hints;
    struct gaicb *list[1] = {&r->cb};
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
        return HAL_EIO;
    }
    n->pend[h] = LINUX_NET_RESOLVING;
    return h;
}

/*
 * Called by send and receive before they touch the socket: a handle still waiting for its
 * name answers HAL_EAGAIN, one whose name failed HAL_ECLOSED; a completed resolution
 * starts the connection.
 */
static int linux_net_settle(struct linux_net *n, int sock)
{
    if (sock < 0 || sock >= CFG_LINUX_NET_SOCKS || n->pend[sock] == 0) {
        return HAL_OK;
    }
    if (n->pend[sock] == LINUX_NET_RESOLVE_FAILED) {
        return HAL_ECLOSED;
    }
    struct linux_net_req *r = linux_net_req_of(n, sock);
    int g = gai_error(&r->cb);
    if (g == EAI_INPROGRESS) {
        return HAL_EAGAIN;
    }
    int rc = HAL_ECLOSED;
    int fd = -1;
    if (g == 0 && r->cb.ar_result != NULL) {
        struct sockaddr_in6 sa;
        if (linux_net_ai_to_sa6(r->cb.ar_result, &sa)) {
            rc = linux_net_start_connect(&sa, &fd);
        }
    }
    if (r->cb.ar_result != NULL) {
        freeaddrinfo(r->cb.ar_result);
        r->cb.ar_result = NULL;
    }
    if (rc != HAL_OK) {
        n->pend[sock] = LINUX_NET_RESOLVE_FAILED;
        return HAL_ECLOSED;
    }
    n->pend[sock] = 0;
    n->fd[sock] = fd;
    if (n->loop != NULL && linux_loop_watch(n->loop, fd, POLLIN) != HAL_OK) {
        close(fd);
        n->fd[sock] = -1;
        n->pend[sock] = LINUX_NET_RESOLVE_FAILED;
        return HAL_ECLOSED;
    }
    return HAL_EAGAIN; /* connecting: the next send or receive tells */
}

/* Forget a pending resolution: cancel it, or wait for the resolver thread to let go of
 * the request (it writes into it), which only a name still in flight can make take long. */
static void linux_net_drop_pending(struct linux_net *n, int sock)
{
    if (n->pend[sock] == LINUX_NET_RESOLVING) {
        struct linux_net_req *r = linux_net_req_of(n, sock);
        if (gai_cancel(&r->cb) != EAI_CANCELED) {
            const struct gaicb *list[1] = {&r->cb};
            while (gai_error(&r->cb) == EAI_INPROGRESS) {
                (void)gai_suspend(list, 1, NULL);
            }
        }
        if (r->cb.ar_result != NULL) {
            freeaddrinfo(r->cb.ar_result);
            r->cb.ar_result = NULL;
        }
    }
    n->pend[sock] = 0;
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
    *sent = 0;
    int st = linux_net_settle(n, sock);
    if (st != HAL_OK) {
        return st;
    }
    int fd = linux_net_get(n, sock);
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
    *len = 0;
    int st = linux_net_settle(n, sock);
    if (st != HAL_OK) {
        return st;
    }
    int fd = linux_net_get(n, sock);
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
    if (sock >= 0 && sock < CFG_LINUX_NET_SOCKS) {
        linux_net_drop_pending(n, sock);
    }
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
    .tcp_connect_name = linux_net_tcp_connect_name,
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
