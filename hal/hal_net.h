/**
 * @file hal_net.h
 * @brief IPv6 UDP (link-local multicast for SDP) and TCP (V2G) sockets; TCP to IPv4 and
 *        to host names too (backends: OCPP, MQTT).
 *
 * IPv4 addresses travel in the same endpoint as IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so one endpoint type serves both families; see
 * hal_ip6_set_v4() and hal_ip6_is_v4().
 *
 * Sockets are small integer handles owned by the port (a fixed table), so the core
 * never sees a descriptor or an OS type. Everything is non-blocking.
 */
#ifndef HAL_NET_H
#define HAL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** An IPv6 endpoint. `scope` is the interface index for link-local addresses. */
struct hal_ip6_endpoint {
    uint8_t addr[16];
    uint16_t port;
    uint32_t scope;
};

/** @brief Make @p ep the IPv4 endpoint @p v4 (network order bytes) : @p port. */
void hal_ip6_set_v4(struct hal_ip6_endpoint *ep, const uint8_t v4[4], uint16_t port);

/** @brief Whether @p ep holds an IPv4(-mapped) address. */
bool hal_ip6_is_v4(const struct hal_ip6_endpoint *ep);

/**
 * @brief Parse a dotted-quad IPv4 literal ("192.0.2.7", each part 0..255, no leading
 *        junk) into an IPv4-mapped endpoint with @p port.
 * @retval HAL_OK parsed
 * @retval HAL_EINVAL not an IPv4 literal
 */
int hal_ip4_parse(const char *text, uint16_t port, struct hal_ip6_endpoint *ep);

struct hal_net;

/** Operations of a network port. Handles are >= 0; negative values are errors. */
struct hal_net_ops {
    int (*local_addr)(struct hal_net *net, struct hal_ip6_endpoint *ep);
    int (*udp_open)(struct hal_net *net, uint16_t port, bool join_all_nodes);
    int (*udp_sendto)(struct hal_net *net, int sock, const struct hal_ip6_endpoint *to,
                      const uint8_t *buf, size_t len);
    int (*udp_recvfrom)(struct hal_net *net, int sock, struct hal_ip6_endpoint *from, uint8_t *buf,
                        size_t cap, size_t *len);
    int (*tcp_listen)(struct hal_net *net, uint16_t port);
    int (*tcp_accept)(struct hal_net *net, int listener, struct hal_ip6_endpoint *peer);
    int (*tcp_connect)(struct hal_net *net, const struct hal_ip6_endpoint *to);
    int (*tcp_send)(struct hal_net *net, int sock, const uint8_t *buf, size_t len, size_t *sent);
    int (*tcp_recv)(struct hal_net *net, int sock, uint8_t *buf, size_t cap, size_t *len);
    void (*close)(struct hal_net *net, int sock);
    int (*local_port)(struct hal_net *net, int sock, uint16_t *port);
    /** optional: @see hal_net_tcp_connect_name */
    int (*tcp_connect_name)(struct hal_net *net, const char *host, uint16_t port);
};

/** A network instance, bound to one interface. */
struct hal_net {
    const struct hal_net_ops *ops;
};

/**
 * @brief The interface's link-local address (fe80::/64) and scope.
 * @retval HAL_OK @p ep->addr and @p ep->scope are valid (port is 0)
 * @retval HAL_EAGAIN the address is still tentative (duplicate address detection)
 * @retval HAL_ENOENT the interface has no link-local address
 * @retval HAL_ENOTSUP the port has no IP
 */
static inline int hal_net_local_addr(struct hal_net *net, struct hal_ip6_endpoint *ep)
{
    return net->ops->local_addr(net, ep);
}

/**
 * @brief Open a UDP socket on @p port (0 = any), optionally joined to ff02::1.
 * @return a handle >= 0
 * @retval HAL_ENOMEM the port's socket table is full
 * @retval HAL_EBUSY the port is in use
 * @retval HAL_ENOTSUP the port has no IP
 * @retval HAL_EIO any other failure
 */
static inline int hal_net_udp_open(struct hal_net *net, uint16_t port, bool join_all_nodes)
{
    return net->ops->udp_open(net, port, join_all_nodes);
}

/**
 * @brief Send one datagram.
 * @retval HAL_OK sent
 * @retval HAL_EAGAIN the socket buffer is full
 * @retval HAL_EINVAL bad handle or datagram too large
 * @retval HAL_EIO send failed
 */
static inline int hal_net_udp_sendto(struct hal_net *net, int sock,
                                     const struct hal_ip6_endpoint *to, const uint8_t *buf,
                                     size_t len)
{
    return net->ops->udp_sendto(net, sock, to, buf, len);
}

/**
 * @brief Receive one datagram.
 * @retval HAL_OK a datagram of @p len bytes from @p from
 * @retval HAL_EAGAIN nothing received
 * @retval HAL_EOVERFLOW the datagram was larger than @p cap and was dropped
 * @retval HAL_EINVAL bad handle
 * @retval HAL_EIO receive failed
 */
static inline int hal_net_udp_recvfrom(struct hal_net *net, int sock,
                                       struct hal_ip6_endpoint *from, uint8_t *buf, size_t cap,
                                       size_t *len)
{
    return net->ops->udp_recvfrom(net, sock, from, buf, cap, len);
}

/**
 * @brief Listen for TCP connections on @p port (0 = let the port choose; read it back
 *        with hal_net_local_port()).
 * @return a listener handle >= 0
 * @retval HAL_EBUSY the TCP port is in use
 * @retval HAL_ENOMEM the socket table is full
 * @retval HAL_ENOTSUP the port has no IP
 * @retval HAL_EIO any other failure
 */
static inline int hal_net_tcp_listen(struct hal_net *net, uint16_t port)
{
    return net->ops->tcp_listen(net, port);
}

/**
 * @brief Accept one pending connection.
 * @return a connection handle >= 0; @p peer is filled when not NULL
 * @retval HAL_EAGAIN no connection pending
 * @retval HAL_ENOMEM the socket table is full; the connection was refused
 * @retval HAL_EINVAL bad handle
 */
static inline int hal_net_tcp_accept(struct hal_net *net, int listener,
                                     struct hal_ip6_endpoint *peer)
{
    return net->ops->tcp_accept(net, listener, peer);
}

/**
 * @brief Start a TCP connection; it completes when the first send or receive succeeds.
 * @return a connection handle >= 0
 * @retval HAL_ENOMEM the socket table is full
 * @retval HAL_ECLOSED refused at once
 * @retval HAL_EIO any other failure
 */
static inline int hal_net_tcp_connect(struct hal_net *net, const struct hal_ip6_endpoint *to)
{
    return net->ops->tcp_connect(net, to);
}

/**
 * @brief Send bytes; may send fewer than @p len.
 * @retval HAL_OK @p sent bytes were taken (at least 1)
 * @retval HAL_EAGAIN nothing could be taken now (or the connection is still being set up)
 * @retval HAL_ECLOSED the peer closed or reset the connection
 * @retval HAL_EINVAL bad handle
 */
static inline int hal_net_tcp_send(struct hal_net *net, int sock, const uint8_t *buf, size_t len,
                                   size_t *sent)
{
    return net->ops->tcp_send(net, sock, buf, len, sent);
}

/**
 * @brief Receive what has arrived, up to @p cap bytes.
 * @retval HAL_OK @p len >= 1 bytes were copied
 * @retval HAL_EAGAIN nothing arrived
 * @retval HAL_ECLOSED the peer closed (orderly or by reset)
 * @retval HAL_EINVAL bad handle
 */
static inline int hal_net_tcp_recv(struct hal_net *net, int sock, uint8_t *buf, size_t cap,
                                   size_t *len)
{
    return net->ops->tcp_recv(net, sock, buf, cap, len);
}

/** @brief Close any handle; closing a closed or invalid handle does nothing. */
static inline void hal_net_close(struct hal_net *net, int sock)
{
    net->ops->close(net, sock);
}

/**
 * @brief The local port of a handle: the way to learn the port tcp_listen(0) or
 *        udp_open(0) chose.
 * @retval HAL_OK @p port is set (never 0)
 * @retval HAL_EINVAL bad or closed handle
 * @retval HAL_ENOTSUP the port cannot tell (or has no IP, or predates this operation)
 * @retval HAL_EIO the stack could not say
 */
static inline int hal_net_local_port(struct hal_net *net, int sock, uint16_t *port)
{
    if (net->ops->local_port == NULL) {
        return HAL_ENOTSUP;
    }
    return net->ops->local_port(net, sock, port);
}

/**
 * @brief Start a TCP connection to @p host: a name ("csms.example.com", "localhost"), an
 *        IPv4 literal or an IPv6 literal. Never waits: resolution runs in the background
 *        (the Linux port: getaddrinfo_a) and the connection follows it; both complete when
 *        the first send or receive succeeds, as with hal_net_tcp_connect(). The first
 *        address the resolver returns is used (its order prefers what is reachable).
 * @return a connection handle >= 0
 * @retval HAL_EINVAL empty or overlong name, or port 0
 * @retval HAL_ENOENT the name is known not to exist (a literal-only port: not a literal)
 * @retval HAL_ENOMEM the socket table is full
 * @retval HAL_ENOTSUP the port has no IP, or no TCP to names
 * @retval HAL_EIO any other failure
 *
 * A name that turns out not to resolve makes the first send or receive answer
 * HAL_ECLOSED, as a refused connection does.
 */
static inline int hal_net_tcp_connect_name(struct hal_net *net, const char *host, uint16_t port)
{
    if (net->ops->tcp_connect_name == NULL) {
        return HAL_ENOTSUP;
    }
    return net->ops->tcp_connect_name(net, host, port);
}

#endif /* HAL_NET_H */
