/*
 * hal_eth.c - the receive rule of the raw Ethernet contract (hal_eth.h): which frames a
 * port bound to one EtherType (and VLAN) takes, once for every port and the fake.
 */
#include "hal_eth.h"

#include <string.h>

int hal_eth_binding_check(const struct hal_eth_binding *b)
{
    if (b == NULL || b->ethertype < 0x0600u || b->ethertype == HAL_ETH_TYPE_VLAN ||
        b->vlan_id > HAL_ETH_VLAN_MAX) {
        return HAL_EINVAL;
    }
    return HAL_OK;
}

static uint16_t hal_eth_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

bool hal_eth_binding_match(const struct hal_eth_binding *b, const uint8_t own[HAL_ETH_ALEN],
                           const uint8_t *frame, size_t len)
{
    static const uint8_t bcast[HAL_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (len < 14u) {
        return false;
    }
    bool to_us = memcmp(frame, own, HAL_ETH_ALEN) == 0 || memcmp(frame, bcast, HAL_ETH_ALEN) == 0 ||
                 (b->multicast && (frame[0] & 1u) != 0u);
    if (!to_us) {
        return false;
    }
    uint16_t type = hal_eth_be16(frame + 12);
    if (b->vlan_id == 0u) {
        return type == b->ethertype;
    }
    return len >= 18u && type == HAL_ETH_TYPE_VLAN &&
           (hal_eth_be16(frame + 14) & 0x0FFFu) == b->vlan_id && hal_eth_be16(frame + 16) == b->ethertype;
}
