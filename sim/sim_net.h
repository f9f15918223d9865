/**
 * @file sim_net.h
 * @brief The simulator's link between one charger and one car, in memory: a raw
 *        Ethernet segment (the PLC modems' HomePlug traffic), IPv6 UDP (SDP, link-local
 *        multicast) and TCP (V2GTP) between exactly two ends, and a deterministic random
 *        source per end. The firmware's evse_link and the car's ev_link run on it
 *        unchanged, so a simulated session goes through real SLAC, SDP and V2GTP framing.
 *
 * Delivery is immediate; `io_pending` tells the board's idle to wake the charger side at
 * once. Everything either end puts on the link (Ethernet frames, UDP datagrams, TCP
 * connects, stream bytes and closes) is also told to an optional watcher (the board
 * writes it as a pcapng with every layer).
 */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_net.h"
#include "hal_rng.h"

#define SIM_NET_FRAMES 32
#define SIM_NET_SOCKS 8
#define SIM_NET_STREAM 8192u
#define SIM_NET_DGRAMS 4
#define SIM_NET_DGRAM_MAX 256u

struct sim_net;

/** One socket of one end. */
struct sim_net_sock {
    enum { SIM_SOCK_FREE = 0, SIM_SOCK_UDP, SIM_SOCK_LISTEN, SIM_SOCK_TCP } kind;
    uint16_t port;
    bool join;               /**< UDP: joined to ff02::1 */
    int peer;                /**< TCP: socket index on the other end, -1 = refused */
    int listener;            /**< TCP (accepting side): listener index until accepted */
    uint32_t conn;           /**< TCP: the link's connection number (sim_net.connections) */
    bool accepted;
    bool peer_closed;
    uint8_t rx[SIM_NET_STREAM];
    size_t rx_head, rx_len;
    uint8_t dg[SIM_NET_DGRAMS][SIM_NET_DGRAM_MAX];
    size_t dg_len[SIM_NET_DGRAMS];
    struct hal_ip6_endpoint dg_from[SIM_NET_DGRAMS];
    int dg_head, dg_count;
};

/** One end (charger side = 0, car side = 1). */
struct sim_net_end {
    struct hal_eth eth; /**< the ports the firmware sees */
    struct hal_net net;
    struct hal_rng rng;
    struct sim_net *link;
    int side;
    uint8_t mac[HAL_ETH_ALEN];
    uint8_t ip[16];
    uint8_t fr[SIM_NET_FRAMES][HAL_ETH_FRAME_MAX];
    size_t flen[SIM_NET_FRAMES];
    int fhead, fcount;
    struct sim_net_sock s[SIM_NET_SOCKS];
    uint64_t rng_state;
    uint16_t next_port;
};

/** What a watcher is told (a capture turns each into packets). */
enum sim_net_what {
    SIM_NET_FRAME,       /**< a raw Ethernet frame (data, len) */
    SIM_NET_UDP,         /**< a datagram from sport to dst_ip/dport */
    SIM_NET_TCP_OPEN,    /**< connection conn from sport to dport (side = the connecting end) */
    SIM_NET_TCP_REFUSED, /**< a connect to dport that nobody listens on */
    SIM_NET_TCP_DATA,    /**< stream bytes on conn (side = the sender) */
    SIM_NET_TCP_CLOSE,   /**< side closed its end of conn */
    SIM_NET_TCP_RESET,   /**< conn reset (fault injection, power loss) */
};

/** One thing put on the link by end @p side. Pointers are valid during the call only. */
struct sim_net_event {
    enum sim_net_what what;
    int side;
    uint32_t conn;
    uint16_t sport, dport;
    const uint8_t *dst_ip; /**< UDP: the destination address (multicast or the peer) */
    const uint8_t *data;
    size_t len;
};

typedef void (*sim_net_watch_fn)(void *ctx, const struct sim_net_event *ev);

/** The pair. */
struct sim_net {
    struct sim_net_end end[2];
    bool io_pending;         /**< something arrived for side 0 since the flag was cleared */
    uint32_t frames, dropped;
    sim_net_watch_fn watch;  /**< NULL: nobody watches */
    void *watch_ctx;
    uint32_t connections;    /**< TCP connections made so far (a capture tells them apart) */
};

/** @brief Wire both ends; @p index makes MACs, addresses and random streams unique. */
void sim_net_init(struct sim_net *l, unsigned index);

/** @brief Fault injection: reset every TCP connection (both ends see ECLOSED). */
void sim_net_reset(struct sim_net *l);

/** @brief Side @p side restarts (power loss): its connections are reset, its sockets and
 *         queued frames are gone; the other side sees the peer closed. */
void sim_net_power_cycle(struct sim_net *l, int side);

#endif /* SIM_NET_H */
