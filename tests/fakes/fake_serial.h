/**
 * @file fake_serial.h
 * @brief Test fake of a serial port: bytes the test makes "arrive", a journal of what was
 *        written, a transmit buffer of limited room (to exercise partial writes), the
 *        settings of the last open, and injectable results.
 */
#ifndef FAKE_SERIAL_H
#define FAKE_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_serial.h"

#define FAKE_SERIAL_BUF 512

struct fake_serial {
    struct hal_serial base; /**< must stay first */
    bool open;
    struct hal_serial_config cfg; /**< settings of the last successful open */
    int opens;
    bool rs485_capable;           /**< false: an open with rs485 answers HAL_ENOTSUP */
    /* received, waiting to be read */
    uint8_t rx[FAKE_SERIAL_BUF];
    size_t rx_len;
    /* written */
    uint8_t tx[FAKE_SERIAL_BUF];
    size_t tx_len;
    size_t tx_room; /**< bytes the next write may take; SIZE_MAX = unlimited */
    /* injection */
    int open_rc;  /**< returned by open instead of opening (HAL_OK = work) */
    int read_rc;  /**< returned by read instead of reading (HAL_OK = work) */
};

/** @brief Closed, empty, rs485 capable, unlimited transmit room. */
void fake_serial_init(struct fake_serial *s);

/** @brief Bytes arrive on the line (dropped while closed, as on a UART). @return bytes kept */
size_t fake_serial_arrive(struct fake_serial *s, const uint8_t *buf, size_t len);

#endif /* FAKE_SERIAL_H */
