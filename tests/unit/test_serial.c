/* Unit tests of the serial contract (hal_serial.h): the line-settings check every port
 * applies, and the fake's behaviour as a port: discard before open, partial writes,
 * reads in pieces, RS-485 refused where the UART cannot drive the direction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_serial.h"
#include "hal_serial.h"

static void test_config_check(void **state)
{
    (void)state;
    struct hal_serial_config c = {9600, 8, HAL_SERIAL_PARITY_EVEN, 1, false};
    assert_int_equal(hal_serial_config_check(&c), HAL_OK);
    struct hal_serial_config d = {115200, 0, HAL_SERIAL_PARITY_NONE, 0, true}; /* 8N1 defaults */
    assert_int_equal(hal_serial_config_check(&d), HAL_OK);
    assert_int_equal(hal_serial_config_check(NULL), HAL_EINVAL);
    c.baud = 0;
    assert_int_equal(hal_serial_config_check(&c), HAL_EINVAL);
    c.baud = 9600;
    c.data_bits = 4;
    assert_int_equal(hal_serial_config_check(&c), HAL_EINVAL);
    c.data_bits = 9;
    assert_int_equal(hal_serial_config_check(&c), HAL_EINVAL);
    c.data_bits = 5;
    assert_int_equal(hal_serial_config_check(&c), HAL_OK);
    c.stop_bits = 3;
    assert_int_equal(hal_serial_config_check(&c), HAL_EINVAL);
    c.stop_bits = 2;
    c.parity = (enum hal_serial_parity)7;
    assert_int_equal(hal_serial_config_check(&c), HAL_EINVAL);
}

static void test_fake_io(void **state)
{
    (void)state;
    struct fake_serial f;
    fake_serial_init(&f);
    uint8_t buf[8];
    size_t n = 99;
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_ECLOSED);
    assert_int_equal(n, 0);
    assert_int_equal(fake_serial_arrive(&f, (const uint8_t *)"xx", 2), 0); /* closed: lost */

    struct hal_serial_config c = {19200, 8, HAL_SERIAL_PARITY_EVEN, 1, true};
    assert_int_equal(hal_serial_open(&f.base, &c), HAL_OK);
    assert_int_equal(f.cfg.baud, 19200);
    assert_true(f.cfg.rs485);
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_EAGAIN);

    /* a 12-byte message read in two pieces of at most 8 */
    fake_serial_arrive(&f, (const uint8_t *)"hello, world", 12);
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_OK);
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "hello, w", 8);
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "orld", 4);
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_EAGAIN);

    /* a write larger than the room left is taken in part; then EAGAIN */
    f.tx_room = 3;
    assert_int_equal(hal_serial_write(&f.base, (const uint8_t *)"\x01\x03\x00\x10", 4, &n), HAL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(hal_serial_write(&f.base, (const uint8_t *)"\x10", 1, &n), HAL_EAGAIN);
    assert_int_equal(n, 0);
    f.tx_room = SIZE_MAX;
    assert_int_equal(hal_serial_write(&f.base, (const uint8_t *)"\x10", 1, &n), HAL_OK);
    assert_int_equal(f.tx_len, 4);
    assert_memory_equal(f.tx, "\x01\x03\x00\x10", 4);

    /* reopening discards what arrived; closing twice is harmless */
    fake_serial_arrive(&f, (const uint8_t *)"stale", 5);
    assert_int_equal(hal_serial_open(&f.base, &c), HAL_OK);
    assert_int_equal(hal_serial_read(&f.base, buf, sizeof buf, &n), HAL_EAGAIN);
    hal_serial_close(&f.base);
    hal_serial_close(&f.base);
    assert_int_equal(hal_serial_write(&f.base, (const uint8_t *)"x", 1, &n), HAL_ECLOSED);
}

static void test_fake_open_refusals(void **state)
{
    (void)state;
    struct fake_serial f;
    fake_serial_init(&f);
    struct hal_serial_config bad = {0, 8, HAL_SERIAL_PARITY_NONE, 1, false};
    assert_int_equal(hal_serial_open(&f.base, &bad), HAL_EINVAL);
    f.rs485_capable = false;
    struct hal_serial_config rs = {9600, 8, HAL_SERIAL_PARITY_EVEN, 1, true};
    assert_int_equal(hal_serial_open(&f.base, &rs), HAL_ENOTSUP);
    assert_false(f.open); /* never left half open on a half-duplex bus */
    rs.rs485 = false;
    assert_int_equal(hal_serial_open(&f.base, &rs), HAL_OK);
    f.open_rc = HAL_EBUSY;
    assert_int_equal(hal_serial_open(&f.base, &rs), HAL_EBUSY);
    assert_false(f.open);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_fake_io),
        cmocka_unit_test(test_fake_open_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
