/**
 * @file sim_net.h
 * @brief The simulator's link between one charger and one car, in memory: a raw
 *        Ethernet segment (the PLC modems' HomePlug traffic), IPv6 UDP (SDP, link-local
 *        multicast) and TCP (V2GTP) between exactly two ends, and a deterministic random
 *        source per end. The firmware's evse_link and the car's ev_link run on it
 *        unchanged, so a simulated session goes through real SLAC, SDP and V2GTP framing.
 *
 * Delivery is immediate; `io_pending` tells the board's idle to wake the charger side at
 * once. Every byte handed to the charger is also copied to an optional capture callback
 * (the board writes the V2G traffic as a pcap).
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

/** Bytes on the V2GTP connection (side = the sender), for a capture. */
typedef void (*sim_net_tap_fn)(void *ctx, int side, const uint8_t *data, size_t len);

/** The pair. */
struct sim_net {
    struct sim_net_end end[2];
    bool io_pending;         /**< something arrived for side 0 since the flag was cleared */
    uint32_t frames, dropped;
    sim_net_tap_fn tap;
    void *tap_ctx;
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
