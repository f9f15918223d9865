#include "fake_eth.h"

#include <string.h>

static const uint8_t s_bcast[HAL_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void fake_eth_deliver(struct fake_eth *to, const uint8_t *frame, size_t len)
{
    if (to->bound) {
        if (!hal_eth_binding_match(&to->binding, to->mac, frame, len)) {
            to->not_for_us++;
            return;
        }
    } else if (memcmp(frame, to->mac, HAL_ETH_ALEN) != 0 && memcmp(frame, s_bcast, HAL_ETH_ALEN) != 0) {
        return; /* the port's filter: own MAC or broadcast only */
    }
    if (to->rx_count == FAKE_ETH_RX_MAX) {
        to->lost_full++;
        return;
    }
    struct fake_eth_frame *f = &to->rx[(to->rx_head + to->rx_count) % FAKE_ETH_RX_MAX];
    memcpy(f->data, frame, len);
    f->len = (uint16_t)len;
    to->rx_count++;
}

static int fake_eth_send(struct hal_eth *base, const uint8_t *frame, size_t len)
{
    struct fake_eth *e = (struct fake_eth *)base;
    if (len < 14u || len > HAL_ETH_FRAME_MAX) {
        return HAL_EINVAL;
    }
    if (e->send_rc != HAL_OK) {
        return e->send_rc;
    }
    e->sent++;
    /* HomePlug AV: MMV at 14, MMTYPE little-endian at 15..16 */
    if (e->drop_count > 0 && len >= 17u && frame[12] == 0x88 && frame[13] == 0xe1 &&
        (uint16_t)(frame[15] | frame[16] << 8) == e->drop_mmtype) {
        e->drop_count--;
        e->dropped++;
        return HAL_OK;
    }
    for (int i = 0; i < e->seg->n; i++) {
        if (e->seg->port[i] != e) {
            fake_eth_deliver(e->seg->port[i], frame, len);
        }
    }
    return HAL_OK;
}

static int fake_eth_recv(struct hal_eth *base, uint8_t *frame, size_t cap, size_t *len)
{
    struct fake_eth *e = (struct fake_eth *)base;
    *len = 0;
    if (e->rx_count == 0) {
        return HAL_EAGAIN;
    }
    struct fake_eth_frame *f = &e->rx[e->rx_head];
    e->rx_head = (e->rx_head + 1) % FAKE_ETH_RX_MAX;
    e->rx_count--;
    if (f->len > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(frame, f->data, f->len);
    *len = f->len;
    return HAL_OK;
}

static int fake_eth_mac(struct hal_eth *base, uint8_t mac[HAL_ETH_ALEN])
{
    struct fake_eth *e = (struct fake_eth *)base;
    if (e->mac_rc != HAL_OK) {
        return e->mac_rc;
    }
    memcpy(mac, e->mac, HAL_ETH_ALEN);
    return HAL_OK;
}

static const struct hal_eth_ops s_fake_eth_ops = {
    .send = fake_eth_send, .recv = fake_eth_recv, .mac = fake_eth_mac};

void fake_eth_segment_init(struct fake_eth_segment *seg)
{
    memset(seg, 0, sizeof *seg);
}

int fake_eth_init(struct fake_eth *e, struct fake_eth_segment *seg, const uint8_t mac[HAL_ETH_ALEN])
{
    memset(e, 0, sizeof *e);
    e->base.ops = &s_fake_eth_ops;
    e->seg = seg;
    memcpy(e->mac, mac, HAL_ETH_ALEN);
    if (seg->n == FAKE_ETH_PORTS) {
        return HAL_ENOMEM;
    }
    seg->port[seg->n++] = e;
    return HAL_OK;
}

int fake_eth_bind(struct fake_eth *e, const struct hal_eth_binding *b)
{
    if (hal_eth_binding_check(b) != HAL_OK) {
        return HAL_EINVAL;
    }
    e->binding = *b;
    e->bound = true;
    return HAL_OK;
}

int fake_eth_pending(const struct fake_eth *e)
{
    return e->rx_count;
}
