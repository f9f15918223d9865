/* an386_uart.c - the CMSDK APB UART as a hal_serial port (an386_uart.h): line settings,
 * the receive ring its RX interrupt fills, the transmit ring its TX interrupt drains.
 * Owns struct an386_uart.
 *
 * Ring discipline: one writer per index. rx_head is moved only by the RX interrupt and
 * rx_tail only by the loop; tx_head only by the loop, tx_tail only by the pump, which runs in
 * the TX interrupt or in the loop with interrupts masked. So no byte is lost or sent twice
 * without masking the RX path at all. */
#include "an386_uart.h"

#include <string.h>

#ifdef AN386_UART_FAKE_REGS
/* The host unit test models the UART (reading DATA empties it, writing it sends). */
uint32_t an386_uart_fake_read(uintptr_t regs, uint32_t off);
void an386_uart_fake_write(uintptr_t regs, uint32_t off, uint32_t v);
#define AN386_RD(u, off) an386_uart_fake_read((u)->regs, (off))
#define AN386_WR(u, off, v) an386_uart_fake_write((u)->regs, (off), (v))
#else
#define AN386_RD(u, off) (*(volatile uint32_t *)((u)->regs + (off)))
#define AN386_WR(u, off, v) (*(volatile uint32_t *)((u)->regs + (off)) = (v))
#endif

#define AN386_RX_MASK (AN386_UART_RX_RING - 1u)
#define AN386_TX_MASK (AN386_UART_TX_RING - 1u)

/* Feeds the UART from the ring while it has room (its buffer is one byte; QEMU's model
 * sends at once, so there the whole ring goes in one call). */
static void an386_uart_pump(struct an386_uart *u)
{
    uint32_t tail = u->tx_tail;
    while (tail != u->tx_head && (AN386_RD(u, AN386_UART_STATE) & AN386_UART_STATE_TXFULL) == 0u) {
        AN386_WR(u, AN386_UART_DATA, u->tx[tail & AN386_TX_MASK]);
        tail++;
    }
    u->tx_tail = tail;
}

void an386_uart_rx_isr(struct an386_uart *u)
{
    /* Clear first, then empty: a byte arriving after the clear raises the interrupt again
     * or is seen by the loop below, never neither. */
    AN386_WR(u, AN386_UART_INTSTATUS, AN386_UART_INT_RX);
    uint32_t state = AN386_RD(u, AN386_UART_STATE);
    if ((state & AN386_UART_STATE_RXOVR) != 0u) {
        u->rx_dropped = u->rx_dropped + 1u;
        AN386_WR(u, AN386_UART_STATE, AN386_UART_STATE_RXOVR);
    }
    bool got = false;
    while ((AN386_RD(u, AN386_UART_STATE) & AN386_UART_STATE_RXFULL) != 0u) {
        uint8_t b = (uint8_t)AN386_RD(u, AN386_UART_DATA);
        uint32_t head = u->rx_head;
        if (head - u->rx_tail >= AN386_UART_RX_RING) {
            u->rx_dropped = u->rx_dropped + 1u; /* the loop fell behind: newest byte lost */
            continue;
        }
        u->rx[head & AN386_RX_MASK] = b;
        u->rx_head = head + 1u;
        got = true;
    }
    if (got && u->wake != NULL) {
        *u->wake = true;
    }
}

void an386_uart_tx_isr(struct an386_uart *u)
{
    AN386_WR(u, AN386_UART_INTSTATUS, AN386_UART_INT_TX);
    an386_uart_pump(u);
}

static int an386_uart_open(struct hal_serial *s, const struct hal_serial_config *cfg)
{
    struct an386_uart *u = (struct an386_uart *)s;
    int rc = hal_serial_config_check(cfg);
    if (rc != HAL_OK) {
        return rc;
    }
    if (cfg->rs485) {
        return HAL_ENOTSUP; /* no direction pin on this UART */
    }
    /* Fixed 8N1 in the hardware. */
    if ((cfg->data_bits != 0u && cfg->data_bits != 8u) || cfg->parity != HAL_SERIAL_PARITY_NONE ||
        cfg->stop_bits > 1u) {
        return HAL_EINVAL;
    }
    uint32_t div = u->pclk_hz / cfg->baud;
    if (div < 16u || div > 0xFFFFFu) {
        return HAL_EINVAL;
    }
    AN386_WR(u, AN386_UART_CTRL, 0u);
    AN386_WR(u, AN386_UART_INTSTATUS, 0xFu);
    AN386_WR(u, AN386_UART_STATE, AN386_UART_STATE_TXOVR | AN386_UART_STATE_RXOVR);
    /* Bytes that arrived before the open are discarded (hal_serial contract). */
    while ((AN386_RD(u, AN386_UART_STATE) & AN386_UART_STATE_RXFULL) != 0u) {
        (void)AN386_RD(u, AN386_UART_DATA);
    }
    u->rx_tail = u->rx_head;
    u->tx_tail = u->tx_head;
    AN386_WR(u, AN386_UART_BAUDDIV, div);
    AN386_WR(u, AN386_UART_CTRL,
             AN386_UART_CTRL_TXEN | AN386_UART_CTRL_RXEN | AN386_UART_CTRL_TXINT | AN386_UART_CTRL_RXINT);
    u->open = true;
    return HAL_OK;
}

static int an386_uart_write(struct hal_serial *s, const uint8_t *buf, size_t len, size_t *written)
{
    struct an386_uart *u = (struct an386_uart *)s;
    *written = 0;
    if (!u->open) {
        return HAL_ECLOSED;
    }
    uint32_t room = AN386_UART_TX_RING - (u->tx_head - u->tx_tail);
    if (room == 0u) {
        u->tx_refused++;
        return HAL_EAGAIN;
    }
    size_t n = len < room ? len : room;
    for (size_t i = 0; i < n; i++) {
        u->tx[(u->tx_head + (uint32_t)i) & AN386_TX_MASK] = buf[i];
    }
    u->tx_head += (uint32_t)n;
    /* Kick: the TX interrupt comes only when a byte leaves the UART, so an idle UART is
     * started from here, with the interrupt masked so the two pumps never interleave. */
    uint32_t prev = u->lock != NULL ? u->lock() : 0u;
    an386_uart_pump(u);
    if (u->unlock != NULL) {
        u->unlock(prev);
    }
    *written = n;
    return HAL_OK;
}

static int an386_uart_read(struct hal_serial *s, uint8_t *buf, size_t cap, size_t *len)
{
    struct an386_uart *u = (struct an386_uart *)s;
    *len = 0;
    if (!u->open) {
        return HAL_ECLOSED;
    }
    uint32_t head = u->rx_head;
    size_t n = 0;
    while (u->rx_tail != head && n < cap) {
        buf[n++] = u->rx[u->rx_tail & AN386_RX_MASK];
        u->rx_tail++;
    }
    *len = n;
    return n > 0u ? HAL_OK : HAL_EAGAIN;
}

static void an386_uart_close(struct hal_serial *s)
{
    struct an386_uart *u = (struct an386_uart *)s;
    AN386_WR(u, AN386_UART_CTRL, 0u);
    u->open = false;
}

static const struct hal_serial_ops s_an386_uart_ops = {
    .open = an386_uart_open,
    .write = an386_uart_write,
    .read = an386_uart_read,
    .close = an386_uart_close,
};

void an386_uart_init(struct an386_uart *u, uintptr_t regs, uint32_t pclk_hz, volatile bool *wake,
                     uint32_t (*lock)(void), void (*unlock)(uint32_t))
{
    memset(u, 0, sizeof *u);
    u->base.ops = &s_an386_uart_ops;
    u->regs = regs;
    u->pclk_hz = pclk_hz;
    u->wake = wake;
    u->lock = lock;
    u->unlock = unlock;
}
