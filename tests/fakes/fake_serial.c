/* fake_serial.c - the test fake of hal_serial (fake_serial.h). */
#include "fake_serial.h"

#include <stdint.h>
#include <string.h>

static struct fake_serial *fake_serial_of(struct hal_serial *s)
{
    return (struct fake_serial *)s;
}

static void fake_serial_close(struct hal_serial *hs)
{
    fake_serial_of(hs)->open = false;
}

static int fake_serial_open(struct hal_serial *hs, const struct hal_serial_config *cfg)
{
    struct fake_serial *s = fake_serial_of(hs);
    s->open = false;
    if (hal_serial_config_check(cfg) != HAL_OK) {
        return HAL_EINVAL;
    }
    if (s->open_rc != HAL_OK) {
        return s->open_rc;
    }
    if (cfg->rs485 && !s->rs485_capable) {
        return HAL_ENOTSUP;
    }
    s->cfg = *cfg;
    s->open = true;
    s->opens++;
    s->rx_len = 0; /* what arrived before the open is discarded */
    return HAL_OK;
}

static int fake_serial_write(struct hal_serial *hs, const uint8_t *buf, size_t len,
                             size_t *written)
{
    struct fake_serial *s = fake_serial_of(hs);
    *written = 0;
    if (!s->open) {
        return HAL_ECLOSED;
    }
    if (len == 0u) {
        return HAL_EINVAL;
    }
    size_t n = len;
    if (n > s->tx_room) {
        n = s->tx_room;
    }
    if (n > sizeof s->tx - s->tx_len) {
        n = sizeof s->tx - s->tx_len;
    }
    if (n == 0u) {
        return HAL_EAGAIN;
    }
    memcpy(s->tx + s->tx_len, buf, n);
    s->tx_len += n;
    if (s->tx_room != SIZE_MAX) {
        s->tx_room -= n;
    }
    *written = n;
    return HAL_OK;
}

static int fake_serial_read(struct hal_serial *hs, uint8_t *buf, size_t cap, size_t *len)
{
    struct fake_serial *s = fake_serial_of(hs);
    *len = 0;
    if (!s->open) {
        return HAL_ECLOSED;
    }
    if (s->read_rc != HAL_OK) {
        return s->read_rc;
    }
    if (cap == 0u) {
        return HAL_EINVAL;
    }
    if (s->rx_len == 0u) {
        return HAL_EAGAIN;
    }
    size_t n = s->rx_len < cap ? s->rx_len : cap;
    memcpy(buf, s->rx, n);
    memmove(s->rx, s->rx + n, s->rx_len - n);
    s->rx_len -= n;
    *len = n;
    return HAL_OK;
}

static const struct hal_serial_ops s_fake_serial_ops = {
    .open = fake_serial_open,
    .write = fake_serial_write,
    .read = fake_serial_read,
    .close = fake_serial_close,
};

void fake_serial_init(struct fake_serial *s)
{
    memset(s, 0, sizeof *s);
    s->base.ops = &s_fake_serial_ops;
    s->rs485_capable = true;
    s->tx_room = SIZE_MAX;
}

size_t fake_serial_arrive(struct fake_serial *s, const uint8_t *buf, size_t len)
{
    if (!s->open) {
        return 0;
    }
    size_t n = len;
    if (n > sizeof s->rx - s->rx_len) {
        n = sizeof s->rx - s->rx_len;
    }
    memcpy(s->rx + s->rx_len, buf, n);
    s->rx_len += n;
    return n;
}
