/**
 * @file sim_huawei_link.h
 * @brief The Huawei unit model (sim_huawei.h) on in-memory transports: a bus holds the unit
 *        and its GOOSE segment; each dispenser gets a port, a `struct hal_net` whose one TCP
 *        connection reaches the unit and a `struct hal_eth` on the segment, to hand to the
 *        real driver (firmware/psu_huawei.c). Used by the simulator board; time is passed in
 *        (sim_huawei_bus_tick every simulated ms).
 */
#ifndef SIM_HUAWEI_LINK_H
#define SIM_HUAWEI_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_eth.h"
#include "hal_log.h"
#include "hal_net.h"
#include "sim_huawei.h"

#define SIM_HUAWEI_PORTS SIM_HUAWEI_DISP
#define SIM_HUAWEI_RXQ 16384u  /**< bytes from the unit not yet read by the dispenser */
#define SIM_HUAWEI_FRAMEQ 32u  /**< GOOSE frames not yet read by the dispenser */

struct sim_huawei_port;

struct sim_huawei_port_net {
    struct hal_net base; /**< must stay first */
    struct sim_huawei_port *port;
};

struct sim_huawei_port_eth {
    struct hal_eth base; /**< must stay first */
    struct sim_huawei_port *port;
};

/** One dispenser's ports. */
struct sim_huawei_port {
    struct sim_huawei_port_net net;
    struct sim_huawei_port_eth eth;
    struct sim_huawei_bus *bus;
    uint8_t mac[6];
    int slot;             /**< the unit's link slot of our connection, -1: none */
    bool closed_by_unit;  /**< the unit closed it: recv says HAL_ECLOSED until we close */
    uint8_t rx[SIM_HUAWEI_RXQ];
    size_t rx_len;
    uint8_t fq[SIM_HUAWEI_FRAMEQ][HUAWEI_GOOSE_FRAME_MAX];
    size_t flen[SIM_HUAWEI_FRAMEQ];
    unsigned fhead, fcount;
    uint32_t frames_lost; /**< queue full */
};

/** The unit and its segment. */
struct sim_huawei_bus {
    struct sim_huawei unit;
    struct sim_huawei_port port[SIM_HUAWEI_PORTS];
    unsigned nports;
    struct sim_huawei_port *by_slot[SIM_HUAWEI_DISP];
    struct hal_log *log;  /**< the unit's events at INFO, or NULL */
    uint32_t now_ms;
};

/** @brief The unit with options @p o, no dispenser yet; events go to @p log ("huawei unit: ..."). */
void sim_huawei_bus_init(struct sim_huawei_bus *b, const struct sim_huawei_opts *o, struct hal_log *log);
/** @brief A new dispenser's ports (MAC 02:48:57:00:00:n), or NULL when 4 exist. */
struct sim_huawei_port *sim_huawei_bus_port(struct sim_huawei_bus *b);
/** @brief The unit's timers at @p now_ms (every simulated ms). */
void sim_huawei_bus_tick(struct sim_huawei_bus *b, uint32_t now_ms);
/** @brief Fault injection: the unit drops dispenser @p p's link now (it may connect again). */
void sim_huawei_bus_drop(struct sim_huawei_bus *b, struct sim_huawei_port *p, const char *why);

#endif /* SIM_HUAWEI_LINK_H */
