/**
 * @file linux_serial.h
 * @brief Linux port of the serial contract (hal_serial): a tty device in raw mode through
 *        termios, non-blocking; RS-485 direction by the kernel driver (TIOCSRS485).
 *
 * Any baud rate termios has a Bxxx constant for (50 .. 4000000) is accepted; others are
 * HAL_EINVAL. With `rs485` the kernel drives RTS as the transceiver's driver enable
 * while sending (SER_RS485_RTS_ON_SEND); a UART driver without RS-485 support (a pty, a
 * USB adapter without it) makes open fail with HAL_ENOTSUP. Parity and framing errors
 * drop the byte (IGNPAR): the caller's framing check sees a short message.
 */
#ifndef LINUX_SERIAL_H
#define LINUX_SERIAL_H

#include "hal_serial.h"

/** One tty device. Fields are private to linux_serial.c. */
struct linux_serial {
    struct hal_serial base; /**< must stay first */
    int fd;                 /**< -1 when closed */
    char path[64];          /**< device path, NUL-terminated */
};

/**
 * @brief Prepare an instance for @p path ("/dev/ttyS1", "/dev/ttyUSB0"). No I/O yet.
 * @retval HAL_OK ready for hal_serial_open()
 * @retval HAL_EINVAL NULL, empty or too long
 */
int linux_serial_init(struct linux_serial *s, const char *path);

/** @brief The descriptor to watch for POLLIN, or -1 when closed. */
int linux_serial_fd(const struct linux_serial *s);

#endif /* LINUX_SERIAL_H */
