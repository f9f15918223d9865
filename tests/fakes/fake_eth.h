/**
 * @file fake_eth.h
 * @brief Test fake of raw Ethernet: ports attached to one in-memory segment. A frame
 *        sent by one port reaches every other port whose MAC it is addressed to (or all,
 *        when broadcast), as the libpcap port's filter would pass it. Frames of one
 *        MMTYPE can be dropped on the way (lost sounds), and results injected.
 */
#ifndef FAKE_ETH_H
#define FAKE_ETH_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_eth.h"

#define FAKE_ETH_RX_MAX 24
#define FAKE_ETH_PORTS 4

struct fake_eth;

/** One Ethernet segment (a hub). */
struct fake_eth_segment {
    struct fake_eth *port[FAKE_ETH_PORTS];
    int n;
};

/** One received frame. */
struct fake_eth_frame {
    uint16_t len;
    uint8_t data[HAL_ETH_FRAME_MAX];
};

struct fake_eth {
    struct hal_eth base; /**< must stay first */
    struct fake_eth_segment *seg;
    uint8_t mac[HAL_ETH_ALEN];
    struct fake_eth_frame rx[FAKE_ETH_RX_MAX];
    int rx_head, rx_count;
    uint32_t sent;         /**< frames this port sent */
    uint32_t lost_full;    /**< frames for this port lost because its queue was full */
    /* injection */
    uint16_t drop_mmtype;  /**< sent HomePlug frames of this MMTYPE are lost ... */
    int drop_count;        /**< ... this many of them (then delivered again) */
    uint32_t dropped;      /**< frames lost that way */
    int send_rc;           /**< returned by send instead of delivering (HAL_OK = work) */
    int mac_rc;            /**< returned by mac (HAL_OK = work) */
    bool bound;                   /**< fake_eth_bind() was called: filter by `binding` */
    struct hal_eth_binding binding;
    uint32_t not_for_us;          /**< frames on the segment this port's binding dropped */
};

/** @brief Empty segment. */
void fake_eth_segment_init(struct fake_eth_segment *seg);

/**
 * @brief Set up @p e with @p mac and attach it to @p seg.
 * @retval HAL_OK attached
 * @retval HAL_ENOMEM the segment is full
 */
int fake_eth_init(struct fake_eth *e, struct fake_eth_segment *seg, const uint8_t mac[HAL_ETH_ALEN]);

/**
 * @brief Receive only what @p b lets through (hal_eth_binding_match), as a real port
 *        opened with that binding. Unbound ports take every EtherType (the SLAC tests'
 *        default: own MAC or broadcast).
 * @retval HAL_OK bound
 * @retval HAL_EINVAL bad binding
 */
int fake_eth_bind(struct fake_eth *e, const struct hal_eth_binding *b);

/** @brief Frames waiting on @p e. */
int fake_eth_pending(const struct fake_eth *e);

#endif /* FAKE_ETH_H */
