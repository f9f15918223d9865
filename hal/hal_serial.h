/**
 * @file hal_serial.h
 * @brief UART contract: a byte stream to a safety co-processor or an RS-485 device.
 *
 * Opened with its line settings, then read and written without waiting: a write takes
 * what fits in the transmit buffer, a read returns what has arrived. Framing (Modbus RTU
 * gaps, a co-processor's packets) is the caller's job. On RS-485 the port can drive the
 * transceiver's direction itself (driver enabled while sending), when asked.
 */
#ifndef HAL_SERIAL_H
#define HAL_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Parity bit. */
enum hal_serial_parity {
    HAL_SERIAL_PARITY_NONE = 0,
    HAL_SERIAL_PARITY_EVEN,
    HAL_SERIAL_PARITY_ODD,
};

/** Line settings. */
struct hal_serial_config {
    uint32_t baud;                 /**< bits per second, e.g. 9600, 115200; never 0 */
    uint8_t data_bits;             /**< 5..8 (0 means 8) */
    enum hal_serial_parity parity; /**< Modbus RTU: even by default */
    uint8_t stop_bits;             /**< 1 or 2 (0 means 1) */
    bool rs485;                    /**< the port drives the RS-485 direction (DE/RTS) itself */
};

struct hal_serial;

/** Operations of a serial port. */
struct hal_serial_ops {
    /** @see hal_serial_open */
    int (*open)(struct hal_serial *s, const struct hal_serial_config *cfg);
    /** @see hal_serial_write */
    int (*write)(struct hal_serial *s, const uint8_t *buf, size_t len, size_t *written);
    /** @see hal_serial_read */
    int (*read)(struct hal_serial *s, uint8_t *buf, size_t cap, size_t *len);
    /** @see hal_serial_close */
    void (*close)(struct hal_serial *s);
};

/** A serial instance, bound to one UART. Ports extend it. */
struct hal_serial {
    const struct hal_serial_ops *ops;
};

/**
 * @brief Check line settings as every port does before touching the UART.
 * @retval HAL_OK usable
 * @retval HAL_EINVAL baud 0, data bits outside 5..8, stop bits outside 1..2, or an
 *         unknown parity
 */
int hal_serial_config_check(const struct hal_serial_config *cfg);

/**
 * @brief Configure the UART and start receiving. Opening an open port closes it first.
 * Bytes that arrived before the open are discarded.
 * @retval HAL_OK open
 * @retval HAL_EINVAL settings rejected by hal_serial_config_check(), or a baud rate the
 *         UART cannot make
 * @retval HAL_ENOENT no such device
 * @retval HAL_EBUSY the device is in use
 * @retval HAL_ENOTSUP rs485 asked for, but the UART cannot drive the direction (the port
 *         is left closed: a half-duplex bus with the driver stuck on would block it)
 * @retval HAL_EIO any other failure
 */
static inline int hal_serial_open(struct hal_serial *s, const struct hal_serial_config *cfg)
{
    return s->ops->open(s, cfg);
}

/**
 * @brief Queue bytes for sending; may take fewer than @p len.
 * @retval HAL_OK @p written >= 1 bytes taken
 * @retval HAL_EAGAIN the transmit buffer is full; try on a later pass
 * @retval HAL_ECLOSED the port is closed (or the device went away)
 * @retval HAL_EIO transmit failure
 */
static inline int hal_serial_write(struct hal_serial *s, const uint8_t *buf, size_t len,
                                   size_t *written)
{
    return s->ops->write(s, buf, len, written);
}

/**
 * @brief Take what has arrived, up to @p cap bytes.
 * @retval HAL_OK @p len >= 1 bytes copied
 * @retval HAL_EAGAIN nothing arrived
 * @retval HAL_EPROTO a byte arrived with a parity or framing error and was dropped (ports
 *         that can tell; the Linux port drops such bytes silently)
 * @retval HAL_ECLOSED the port is closed (or the device went away)
 * @retval HAL_EIO receive failure
 */
static inline int hal_serial_read(struct hal_serial *s, uint8_t *buf, size_t cap, size_t *len)
{
    return s->ops->read(s, buf, cap, len);
}

/** @brief Release the UART; safe to call twice. */
static inline void hal_serial_close(struct hal_serial *s)
{
    s->ops->close(s);
}

#endif /* HAL_SERIAL_H */
