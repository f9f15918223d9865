/*
 * hal_net.c - IPv4 in the IPv6 endpoint of the network contract (hal_net.h): the mapped
 * form ::ffff:a.b.c.d, its test and the parse of a dotted-quad literal, once for every
 * port and the fake.
 */
#include "hal_net.h"

#include <string.h>

static const uint8_t s_v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void hal_ip6_set_v4(struct hal_ip6_endpoint *ep, const uint8_t v4[4], uint16_t port)
{
    memcpy(ep->addr, s_v4_prefix, sizeof s_v4_prefix);
    memcpy(ep->addr + 12, v4, 4);
    ep->port = port;
    ep->scope = 0;
}

bool hal_ip6_is_v4(const struct hal_ip6_endpoint *ep)
{
    return memcmp(ep->addr, s_v4_prefix, sizeof s_v4_prefix) == 0;
}

int hal_ip4_parse(const char *text, uint16_t port, struct hal_ip6_endpoint *ep)
{
    uint8_t v4[4];
    const char *p = text;
    if (p == NULL) {
        return HAL_EINVAL;
    }
    for (int i = 0; i < 4; i++) {
        unsigned value = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            value = value * 10u + (unsigned)(*p - '0');
            digits++;
            p++;
            if (digits > 3) {
                return HAL_EINVAL;
            }
        }
        if (digits == 0 || value > 255u) {
            return HAL_EINVAL;
        }
        v4[i] = (uint8_t)value;
        if (i < 3) {
            if (*p != '.') {
                return HAL_EINVAL;
            }
            p++;
        }
    }
    if (*p != '\0') {
        return HAL_EINVAL;
    }
    hal_ip6_set_v4(ep, v4, port);
    return HAL_OK;
}
