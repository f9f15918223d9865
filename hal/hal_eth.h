/**
 * @file hal_eth.h
 * @brief Raw Ethernet frames, for HomePlug AV management messages (SLAC, EtherType 0x88E1).
 */
#ifndef HAL_ETH_H
#define HAL_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HAL_ETH_ALEN 6u
#define HAL_ETH_FRAME_MAX 1518u /**< largest frame including header, without FCS */
#define HAL_ETH_FRAME_MIN 60u   /**< frames shorter than this are padded by the port */

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
