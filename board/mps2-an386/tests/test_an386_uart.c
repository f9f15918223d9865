/* Host unit tests of the CMSDK APB UART driver (board/mps2-an386/an386_uart.c) against a
 * model of the UART's registers (one-byte buffers, RXFULL cleared by reading DATA, W1C
 * interrupt bits, overrun), the way QEMU's cmsdk-apb-uart and the AN386 behave: line
 * settings refused that the 8N1 UART cannot make, bytes in order through the RX ring, the
 * ring's and the UART's overruns counted, a slow transmitter fed from the TX ring by its
 * interrupt, a full ring refusing, and the closed port. The image test
 * (tests/integration/coproc_test.sh) runs the same driver on QEMU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "an386_uart.h"

/* ------------------------------------------------------------ the UART model */
struct fake_uart {
    uint32_t state, ctrl, intstatus, bauddiv;
    uint8_t rxbuf, txbuf;
    bool slow;          /* a byte written stays in the UART until fake_tx_done() */
    uint8_t sent[4096];
    size_t nsent;
};

static struct fake_uart s_f;
static int s_locks, s_unlocks;
static volatile bool s_wake;

uint32_t an386_uart_fake_read(uintptr_t regs, uint32_t off);
void an386_uart_fake_write(uintptr_t regs, uint32_t off, uint32_t v);

uint32_t an386_uart_fake_read(uintptr_t regs, uint32_t off)
{
    struct fake_uart *f = (struct fake_uart *)regs;
    switch (off) {
    case AN386_UART_DATA:
        f->state &= ~AN386_UART_STATE_RXFULL;
        return f->rxbuf;
    case AN386_UART_STATE: return f->state;
    case AN386_UART_CTRL: return f->ctrl;
    case AN386_UART_INTSTATUS: return f->intstatus;
    case AN386_UART_BAUDDIV: return f->bauddiv;
    default: fail_msg("read of offset 0x%x", (unsigned)off);
    }
    return 0;
}

static void fake_sent_one(struct fake_uart *f, uint8_t b)
{
    if (f->nsent < sizeof f->sent) {
        f->sent[f->nsent++] = b;
    }
    f->state &= ~AN386_UART_STATE_TXFULL;
    if ((f->ctrl & AN386_UART_CTRL_TXINT) != 0u) {
        f->intstatus |= AN386_UART_INT_TX;
    }
}

void an386_uart_fake_write(uintptr_t regs, uint32_t off, uint32_t v)
{
    struct fake_uart *f = (struct fake_uart *)regs;
    switch (off) {
    case AN386_UART_DATA:
        assert_true((f->ctrl & AN386_UART_CTRL_TXEN) != 0u);
        if ((f->state & AN386_UART_STATE_TXFULL) != 0u) {
            f->state |= AN386_UART_STATE_TXOVR; /* the driver must never do this */
            return;
        }
        f->txbuf = (uint8_t)v;
        f->state |= AN386_UART_STATE_TXFULL;
        if (!f->slow) {
            fake_sent_one(f, f->txbuf);
        }
        return;
    case AN386_UART_STATE: f->state &= ~(v & (AN386_UART_STATE_TXOVR | AN386_UART_STATE_RXOVR)); return;
    case AN386_UART_CTRL: f->ctrl = v & 0x7Fu; return;
    case AN386_UART_INTSTATUS: f->intstatus &= ~v; return;
    case AN386_UART_BAUDDIV: f->bauddiv = v; return;
    default: fail_msg("write of offset 0x%x", (unsigned)off);
    }
}

/* A byte on the line: into the UART's one-byte buffer (overrun if it is still full). */
static void fake_arrive(struct fake_uart *f, uint8_t b)
{
    if ((f->ctrl & AN386_UART_CTRL_RXEN) == 0u) {
        return;
    }
    if ((f->state & AN386_UART_STATE_RXFULL) != 0u) {
        f->state |= AN386_UART_STATE_RXOVR;
    }
    f->rxbuf = b;
    f->state |= AN386_UART_STATE_RXFULL;
    if ((f->ctrl & AN386_UART_CTRL_RXINT) != 0u) {
        f->intstatus |= AN386_UART_INT_RX;
    }
}

/* The slow transmitter finishes the byte it holds. */
static void fake_tx_done(struct fake_uart *f)
{
    assert_true((f->state & AN386_UART_STATE_TXFULL) != 0u);
    fake_sent_one(f, f->txbuf);
}

static uint32_t test_lock(void)
{
    s_locks++;
    return 0x5Au;
}

static void test_unlock(uint32_t prev)
{
    assert_int_equal(prev, 0x5Au);
    s_unlocks++;
}

/* ------------------------------------------------------------ tests */
static struct an386_uart s_u;

static int setup(void **state)
{
    (void)state;
    memset(&s_f, 0, sizeof s_f);
    s_locks = s_unlocks = 0;
    s_wake = false;
    an386_uart_init(&s_u, (uintptr_t)&s_f, AN386_UART_PCLK_HZ, &s_wake, test_lock, test_unlock);
    return 0;
}

static void open_115200(void)
{
    struct hal_serial_config c = {.baud = 115200};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_OK);
}

static void test_line_settings(void **state)
{
    (void)state;
    struct hal_serial_config c = {.baud = 115200, .parity = HAL_SERIAL_PARITY_EVEN};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_EINVAL);
    c = (struct hal_serial_config){.baud = 115200, .data_bits = 7};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_EINVAL);
    c = (struct hal_serial_config){.baud = 115200, .stop_bits = 2};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_EINVAL);
    c = (struct hal_serial_config){.baud = 2000000}; /* divisor 12 < 16 */
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_EINVAL);
    c = (struct hal_serial_config){.baud = 0};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_EINVAL);
    c = (struct hal_serial_config){.baud = 115200, .rs485 = true};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_ENOTSUP);
    assert_int_equal(s_f.ctrl, 0u); /* nothing enabled by a refused open */
    c = (struct hal_serial_config){.baud = 115200, .data_bits = 8, .stop_bits = 1};
    assert_int_equal(hal_serial_open(&s_u.base, &c), HAL_OK);
    assert_int_equal(s_f.bauddiv, 217u); /* 25 MHz / 115200 */
    assert_int_equal(s_f.ctrl, AN386_UART_CTRL_TXEN | AN386_UART_CTRL_RXEN | AN386_UART_CTRL_TXINT |
                                   AN386_UART_CTRL_RXINT);
}

static void test_closed_port(void **state)
{
    (void)state;
    uint8_t b[4] = {1, 2, 3, 4};
    size_t n = 99;
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_ECLOSED);
    assert_int_equal(n, 0u);
    assert_int_equal(hal_serial_write(&s_u.base, b, sizeof b, &n), HAL_ECLOSED);
    open_115200();
    hal_serial_close(&s_u.base);
    hal_serial_close(&s_u.base);
    assert_int_equal(s_f.ctrl, 0u);
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_ECLOSED);
}

static void test_receive_in_order(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = 0;
    open_115200();
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_EAGAIN);
    for (unsigned i = 0; i < 40; i++) {
        fake_arrive(&s_f, (uint8_t)(0xA0u + i));
        assert_true((s_f.intstatus & AN386_UART_INT_RX) != 0u);
        an386_uart_rx_isr(&s_u);
        assert_int_equal(s_f.intstatus & AN386_UART_INT_RX, 0u); /* acknowledged */
    }
    assert_true(s_wake);
    assert_int_equal(hal_serial_read(&s_u.base, b, 16, &n), HAL_OK); /* up to cap */
    assert_int_equal(n, 16u);
    assert_int_equal(b[0], 0xA0u);
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_OK);
    assert_int_equal(n, 24u);
    assert_int_equal(b[0], 0xB0u);
    assert_int_equal(b[23], 0xC7u);
    assert_int_equal(s_u.rx_dropped, 0u);
}

static void test_receive_overruns_counted(void **state)
{
    (void)state;
    uint8_t b[AN386_UART_RX_RING + 64];
    size_t n = 0;
    fake_arrive(&s_f, 0x11); /* before the open: RX disabled, never seen */
    open_115200();
    /* The UART's own overrun: a second byte before the interrupt ran. */
    fake_arrive(&s_f, 0x01);
    fake_arrive(&s_f, 0x02);
    an386_uart_rx_isr(&s_u);
    assert_int_equal(s_u.rx_dropped, 1u);
    assert_int_equal(s_f.state & AN386_UART_STATE_RXOVR, 0u); /* cleared */
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(b[0], 0x02u);
    /* The ring's overrun: the loop did not read for 300 bytes; the first 256 are kept. */
    for (unsigned i = 0; i < 300; i++) {
        fake_arrive(&s_f, (uint8_t)i);
        an386_uart_rx_isr(&s_u);
    }
    assert_int_equal(s_u.rx_dropped, 1u + 44u);
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_OK);
    assert_int_equal(n, AN386_UART_RX_RING);
    assert_int_equal(b[0], 0u);
    assert_int_equal(b[255], 255u);
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_EAGAIN);
}

static void test_bytes_before_open_discarded(void **state)
{
    (void)state;
    uint8_t b[8];
    size_t n = 0;
    open_115200();
    fake_arrive(&s_f, 0x55);
    an386_uart_rx_isr(&s_u);
    fake_arrive(&s_f, 0x66); /* held in the UART, not yet taken */
    open_115200();           /* re-open: both forgotten */
    assert_int_equal(hal_serial_read(&s_u.base, b, sizeof b, &n), HAL_EAGAIN);
}

static void test_transmit_fast_and_slow(void **state)
{
    (void)state;
    uint8_t frame[12];
    size_t n = 0;
    for (unsigned i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)(0x30u + i);
    }
    open_115200();
    /* QEMU's UART sends at once: the whole frame leaves in the write. */
    assert_int_equal(hal_serial_write(&s_u.base, frame, sizeof frame, &n), HAL_OK);
    assert_int_equal(n, sizeof frame);
    assert_int_equal(s_f.nsent, sizeof frame);
    assert_memory_equal(s_f.sent, frame, sizeof frame);
    assert_int_equal(s_locks, 1);
    assert_int_equal(s_unlocks, 1);
    an386_uart_tx_isr(&s_u); /* the interrupt of the last byte: nothing left */
    assert_int_equal(s_f.nsent, sizeof frame);

    /* A real UART at 115200 Bd holds one byte; the rest waits in the ring for the TX
     * interrupt of each byte that leaves. */
    s_f.slow = true;
    s_f.nsent = 0;
    assert_int_equal(hal_serial_write(&s_u.base, frame, sizeof frame, &n), HAL_OK);
    assert_int_equal(n, sizeof frame);
    assert_int_equal(s_f.nsent, 0u);
    for (unsigned i = 0; i < sizeof frame; i++) {
        fake_tx_done(&s_f);
        assert_true((s_f.intstatus & AN386_UART_INT_TX) != 0u);
        an386_uart_tx_isr(&s_u);
        assert_int_equal(s_f.intstatus & AN386_UART_INT_TX, 0u);
    }
    assert_int_equal(s_f.nsent, sizeof frame);
    assert_memory_equal(s_f.sent, frame, sizeof frame);
    assert_int_equal(s_f.state & AN386_UART_STATE_TXOVR, 0u); /* never wrote into a full UART */
}

static void test_transmit_ring_full(void **state)
{
    (void)state;
    static uint8_t big[AN386_UART_TX_RING + 200];
    size_t n = 0;
    memset(big, 0x77, sizeof big);
    open_115200();
    s_f.slow = true;
    assert_int_equal(hal_serial_write(&s_u.base, big, sizeof big, &n), HAL_OK);
    /* One byte went into the UART, so the ring took its whole size. */
    assert_int_equal(n, AN386_UART_TX_RING);
    assert_int_equal(hal_serial_write(&s_u.base, big, 12, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(hal_serial_write(&s_u.base, big, 12, &n), HAL_EAGAIN);
    assert_int_equal(n, 0u);
    assert_int_equal(s_u.tx_refused, 1u);
    fake_tx_done(&s_f);
    an386_uart_tx_isr(&s_u);
    assert_int_equal(hal_serial_write(&s_u.base, big, 12, &n), HAL_OK);
    assert_int_equal(n, 1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_line_settings, setup),
        cmocka_unit_test_setup(test_closed_port, setup),
        cmocka_unit_test_setup(test_receive_in_order, setup),
        cmocka_unit_test_setup(test_receive_overruns_counted, setup),
        cmocka_unit_test_setup(test_bytes_before_open_discarded, setup),
        cmocka_unit_test_setup(test_transmit_fast_and_slow, setup),
        cmocka_unit_test_setup(test_transmit_ring_full, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
