/**
 * @file hal_eth.h
 * @brief Raw Ethernet frames of one EtherType: HomePlug AV management messages (SLAC,
 *        0x88E1), IEC 61850 GOOSE (0x88B8), optionally in one 802.1Q VLAN.
 *
 * A port instance is bound to one interface and one `struct hal_eth_binding` when it is
 * opened (the port's own open function, e.g. linux_pcap_open_binding()); it receives only
 * frames of that EtherType (and VLAN) addressed to its MAC, broadcast, or (when the
 * binding says so) any multicast group. Frames are sent whole, as given: with a VLAN the
 * caller writes the 802.1Q tag, and received tagged frames keep it.
 */
#ifndef HAL_ETH_H
#define HAL_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HAL_ETH_ALEN 6u
#define HAL_ETH_FRAME_MAX 1518u /**< largest frame including header, without FCS */
#define HAL_ETH_FRAME_MIN 60u   /**< frames shorter than this are padded by the port */

#define HAL_ETH_TYPE_HOMEPLUG 0x88E1u /**< HomePlug AV (SLAC) */
#define HAL_ETH_TYPE_GOOSE 0x88B8u    /**< IEC 61850-8-1 GOOSE */
#define HAL_ETH_TYPE_VLAN 0x8100u     /**< IEEE 802.1Q tag */
#define HAL_ETH_VLAN_MAX 4094u

/** What a port receives: one EtherType, untagged or in one VLAN. */
struct hal_eth_binding {
    uint16_t ethertype; /**< >= 0x0600 (a type, not a length), not 0x8100 itself */
    uint16_t vlan_id;   /**< 1..4094: frames tagged with this VLAN only; 0: no VLAN (untagged
                             frames; a port whose hardware strips tags may not tell) */
    bool multicast;     /**< also group-addressed frames (GOOSE goes to 01-0C-CD-01-xx-xx) */
};

/** The binding of the SLAC ports: HomePlug AV, untagged, own MAC or broadcast. */
#define HAL_ETH_BINDING_HOMEPLUG ((struct hal_eth_binding){HAL_ETH_TYPE_HOMEPLUG, 0u, false})

/** @brief Check a binding. @retval HAL_OK @retval HAL_EINVAL bad EtherType or VLAN id */
int hal_eth_binding_check(const struct hal_eth_binding *b);

/**
 * @brief Whether a port with MAC @p own and binding @p b receives @p frame: the rule every
 *        port applies (for ports that filter in software, and for the fake).
 */
bool hal_eth_binding_match(const struct hal_eth_binding *b, const uint8_t own[HAL_ETH_ALEN],
                           const uint8_t *frame, size_t len);

struct hal_eth;

/** Operations of a raw Ethernet port. */
struct hal_eth_ops {
    /** @see hal_eth_send */
    int (*send)(struct hal_eth *eth, const uint8_t *frame, size_t len);
    /** @see hal_eth_recv */
    int (*recv)(struct hal_eth *eth, uint8_t *frame, size_t cap, size_t *len);
    /** @see hal_eth_mac */
    int (*mac)(struct hal_eth *eth, uint8_t mac[HAL_ETH_ALEN]);
};

/** A raw Ethernet instance, bound to one interface. */
struct hal_eth {
    const struct hal_eth_ops *ops;
};

/**
 * @brief Send one whole frame (destination, source, EtherType, payload).
 * @retval HAL_OK handed to the interface
 * @retval HAL_EINVAL len < 14 or > HAL_ETH_FRAME_MAX
 * @retval HAL_EAGAIN the interface cannot take it now
 * @retval HAL_EIO send failed
 * @retval HAL_ENOTSUP the port has no raw Ethernet
 */
static inline int hal_eth_send(struct hal_eth *eth, const uint8_t *frame, size_t len)
{
    return eth->ops->send(eth, frame, len);
}

/**
 * @brief Take one received frame that passed the port's filter.
 * @retval HAL_OK a frame of @p len bytes was copied
 * @retval HAL_EAGAIN nothing received
 * @retval HAL_EOVERFLOW the frame was larger than @p cap and was dropped
 * @retval HAL_EIO receive failed
 * @retval HAL_ENOTSUP the port has no raw Ethernet
 */
static inline int hal_eth_recv(struct hal_eth *eth, uint8_t *frame, size_t cap, size_t *len)
{
    return eth->ops->recv(eth, frame, cap, len);
}

/**
 * @brief The interface's own MAC address.
 * @retval HAL_OK @p mac is valid
 * @retval HAL_EIO not available
 * @retval HAL_ENOTSUP the port has no raw Ethernet
 */
static inline int hal_eth_mac(struct hal_eth *eth, uint8_t mac[HAL_ETH_ALEN])
{
    return eth->ops->mac(eth, mac);
}

#endif /* HAL_ETH_H */
