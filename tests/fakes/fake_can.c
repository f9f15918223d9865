#include "fake_can.h"

#include <string.h>

static struct fake_can *fake_can_of(struct hal_can *can)
{
    return (struct fake_can *)can;
}

static int fake_can_open(struct hal_can *can, uint32_t bitrate)
{
    (void)bitrate;
    fake_can_of(can)->opens++;
    return HAL_OK;
}

static int fake_can_send(struct hal_can *can, const struct hal_can_frame *f)
{
    struct fake_can *c = fake_can_of(can);
    if (f->dlc > HAL_CAN_MAX_DLC || (f->flags & ~(HAL_CAN_FLAG_EXT | HAL_CAN_FLAG_RTR)) != 0 ||
        f->id > ((f->flags & HAL_CAN_FLAG_EXT) != 0 ? HAL_CAN_EXT_ID_MASK : HAL_CAN_STD_ID_MASK)) {
        return HAL_EINVAL;
    }
    if (c->bus_off || c->iface_down) {
        return HAL_ECLOSED;
    }
    if (c->send_rc != HAL_OK) {
        return c->send_rc;
    }
    if (c->ntx < FAKE_CAN_TX_MAX) {
        c->tx[c->ntx] = *f;
        c->tx_ms[c->ntx] = c->now_ms;
        c->ntx++;
    }
    c->tx_total++;
    return HAL_OK;
}

static int fake_can_recv(struct hal_can *can, struct hal_can_frame *f)
{
    struct fake_can *c = fake_can_of(can);
    if (c->rx_count == 0) {
        return c->bus_off || c->iface_down ? HAL_ECLOSED : c->recv_rc;
    }
    *f = c->rx[c->rx_head];
    c->rx_head = (c->rx_head + 1) % FAKE_CAN_RX_MAX;
    c->rx_count--;
    return HAL_OK;
}

static int fake_can_get_state(struct hal_can *can, enum hal_can_state *state)
{
    struct fake_can *c = fake_can_of(can);
    if (c->state_unsupported && !c->bus_off) {
        return HAL_ENOTSUP;
    }
    *state = c->bus_off ? HAL_CAN_STATE_BUS_OFF : HAL_CAN_STATE_ACTIVE;
    return HAL_OK;
}

static int fake_can_restart(struct hal_can *can)
{
    struct fake_can *c = fake_can_of(can);
    c->restarts++;
    if (c->restart_clears) {
        c->bus_off = false;
    }
    return HAL_OK;
}

static void fake_can_close(struct hal_can *can)
{
    (void)can;
}

static int fake_can_set_filters(struct hal_can *can, const struct hal_can_filter *f, size_t n)
{
    struct fake_can *c = (struct fake_can *)can;
    int rc = hal_can_filters_check(f, n);
    if (rc != HAL_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        c->filters[i] = f[i];
    }
    c->nfilters = n;
    return HAL_OK;
}

static const struct hal_can_ops s_fake_can_ops = {
    .open = fake_can_open,
    .send = fake_can_send,
    .recv = fake_can_recv,
    .get_state = fake_can_get_state,
    .restart = fake_can_restart,
    .close = fake_can_close,
    .set_filters = fake_can_set_filters,
};

void fake_can_init(struct fake_can *c)
{
    memset(c, 0, sizeof *c);
    c->base.ops = &s_fake_can_ops;
    c->recv_rc = HAL_EAGAIN;
}

int fake_can_push(struct fake_can *c, const struct hal_can_frame *f)
{
    if (c->rx_count >= FAKE_CAN_RX_MAX) {
        return HAL_ENOMEM;
    }
    if (!hal_can_filter_match(c->filters, c->nfilters, f)) {
        c->filtered++;
        return HAL_OK;
    }
    c->rx[(c->rx_head + c->rx_count) % FAKE_CAN_RX_MAX] = *f;
    c->rx_count++;
    return HAL_OK;
}

int fake_can_push_ext(struct fake_can *c, uint32_t id, const uint8_t data[8])
{
    struct hal_can_frame f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.flags = HAL_CAN_FLAG_EXT;
    f.dlc = 8;
    memcpy(f.data, data, 8);
    return fake_can_push(c, &f);
}

void fake_can_clear_tx(struct fake_can *c)
{
    c->ntx = 0;
}
