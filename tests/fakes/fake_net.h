/**
 * @file fake_net.h
 * @brief Test fake of hal_net: hosts on one in-memory IPv6 link. UDP to ff02::1 reaches
 *        every other host's socket that joined the group on that port; TCP connections
 *        are byte rings, so several messages written back to back arrive in one read.
 *        A connection to a port nobody listens on is refused the way Linux does it (the
 *        handle is given, the first send or receive says HAL_ECLOSED). Injectable:
 *        lost incoming datagrams, writes cut into small pieces, the local address.
 */
#ifndef FAKE_NET_H
#define FAKE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_net.h"

#define FAKE_NET_HOSTS 4
#define FAKE_NET_SOCKS 8
#define FAKE_NET_DGRAMS 4
#define FAKE_NET_DGRAM_MAX 128
#define FAKE_NET_RING 4096
#define FAKE_NET_BACKLOG 4

struct fake_net;

/** The link all hosts share. */
struct fake_net_world {
    struct fake_net *host[FAKE_NET_HOSTS];
    int n;
    uint16_t next_port; /**< next ephemeral port */
};

enum fake_net_kind { FAKE_NET_FREE = 0, FAKE_NET_UDP, FAKE_NET_LISTEN, FAKE_NET_CONN };

struct fake_net_dgram {
    struct hal_ip6_endpoint from;
    size_t len;
    uint8_t data[FAKE_NET_DGRAM_MAX];
};

struct fake_net_sock {
    enum fake_net_kind kind;
    uint16_t port;
    bool joined;
    /* UDP */
    struct fake_net_dgram dq[FAKE_NET_DGRAMS];
    int dq_head, dq_count;
    /* listener: connection handles (of this host) not yet accepted */
    int backlog[FAKE_NET_BACKLOG];
    int nbacklog;
    /* connection */
    struct fake_net *peer_host;
    int peer;          /**< the peer's handle on peer_host, -1 when gone */
    bool refused;      /**< nobody listened: the first send/recv answers HAL_ECLOSED */
    bool peer_closed;  /**< the peer closed: recv answers HAL_ECLOSED once drained */
    uint8_t ring[FAKE_NET_RING];
    size_t r_head, r_count; /**< bytes waiting to be received */
};

struct fake_net {
    struct hal_net base; /**< must stay first */
    struct fake_net_world *w;
    struct hal_ip6_endpoint addr; /**< fe80::xx, scope = 1 */
    struct fake_net_sock s[FAKE_NET_SOCKS];
    /* injection */
    int local_addr_rc;     /**< returned by local_addr when not HAL_OK */
    bool local_port_unsupported; /**< local_port answers HAL_ENOTSUP */
    bool drop_udp_in;      /**< datagrams arriving here are lost (an SECC that does not answer) */
    size_t send_chunk;     /**< tcp_send takes at most this many bytes (0 = no limit) */
    /* counters */
    uint32_t udp_sent, udp_dropped, connects, refused;
    /* names and IPv4 (fake_net_set_name / fake_net_set_v4): what tcp_connect_name finds */
    char name[32];
    bool has_v4;
    uint8_t v4[4];
};

/** @brief Give host @p n a name for tcp_connect_name (resolved at once, to its IPv6 address). */
void fake_net_set_name(struct fake_net *n, const char *name);

/** @brief Give host @p n an IPv4 address too (reached as ::ffff:a.b.c.d). */
void fake_net_set_v4(struct fake_net *n, const uint8_t v4[4]);

/** @brief Empty link; ephemeral ports from 49152. */
void fake_net_world_init(struct fake_net_world *w);

/**
 * @brief Set up host @p n with link-local address fe80::@p id and attach it.
 * @retval HAL_OK attached
 * @retval HAL_ENOMEM the link is full
 */
int fake_net_init(struct fake_net *n, struct fake_net_world *w, uint8_t id);

/** @brief Bytes waiting to be received on handle @p sock (0 for a bad handle). */
size_t fake_net_pending(const struct fake_net *n, int sock);

/** @brief Handles of kind @p kind open on @p n. */
int fake_net_count(const struct fake_net *n, enum fake_net_kind kind);

#endif /* FAKE_NET_H */
