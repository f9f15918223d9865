/*
 * linux_serial.c - the serial port (hal_serial) on a Linux tty: termios raw mode, line
 * settings, RS-485 direction through TIOCSRS485, non-blocking read and write.
 */
#include "linux_serial.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "linux_errno.h"

static struct linux_serial *linux_serial_of(struct hal_serial *s)
{
    return (struct linux_serial *)s;
}

/* termios speed constants; B0 means "no such rate". */
static speed_t linux_serial_speed(uint32_t baud)
{
    static const struct {
        uint32_t baud;
        speed_t speed;
    } table[] = {
        {50, B50},         {75, B75},         {110, B110},       {134, B134},
        {150, B150},       {200, B200},       {300, B300},       {600, B600},
        {1200, B1200},     {1800, B1800},     {2400, B2400},     {4800, B4800},
        {9600, B9600},     {19200, B19200},   {38400, B38400},   {57600, B57600},
        {115200, B115200}, {230400, B230400}, {460800, B460800}, {500000, B500000},
        {576000, B576000}, {921600, B921600}, {1000000, B1000000}, {1152000, B1152000},
        {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
        {3500000, B3500000}, {4000000, B4000000},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].baud == baud) {
            return table[i].speed;
        }
    }
    return B0;
}

static void linux_serial_close(struct hal_serial *hs)
{
    struct linux_serial *s = linux_serial_of(hs);
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static int linux_serial_setup(struct linux_serial *s, const struct hal_serial_config *cfg,
                              speed_t speed)
{
    struct termios t;
    if (tcgetattr(s->fd, &t) != 0) {
        return linux_errno_to_hal(errno) == HAL_ENOTSUP ? HAL_ENOTSUP : HAL_EIO;
    }
    cfmakeraw(&t);
    t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    static const tcflag_t size[] = {CS5, CS6, CS7, CS8};
    uint8_t data = cfg->data_bits == 0u ? 8u : cfg->data_bits;
    t.c_cflag |= size[data - 5u] | CLOCAL | CREAD;
    if (cfg->parity != HAL_SERIAL_PARITY_NONE) {
        t.c_cflag |= PARENB;
        if (cfg->parity == HAL_SERIAL_PARITY_ODD) {
            t.c_cflag |= PARODD;
        }
    }
    if (cfg->stop_bits == 2u) {
        t.c_cflag |= CSTOPB;
    }
    /* Check parity on input and drop bad bytes rather than pass them on marked. */
    t.c_iflag = cfg->parity != HAL_SERIAL_PARITY_NONE ? (INPCK | IGNPAR) : IGNPAR;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0) {
        return HAL_EINVAL;
    }
    if (tcsetattr(s->fd, TCSANOW, &t) != 0) {
        return HAL_EIO;
    }
    if (cfg->rs485) {
        struct serial_rs485 rs;
        memset(&rs, 0, sizeof rs);
        rs.flags = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND;
        if (ioctl(s->fd, TIOCSRS485, &rs) != 0) {
            /* ENOTTY/EINVAL/ENOIOCTLCMD: the UART driver has no RS-485 mode */
            return HAL_ENOTSUP;
        }
    }
    /* Bytes that arrived before the open belong to nobody. */
    (void)tcflush(s->fd, TCIOFLUSH);
    return HAL_OK;
}

static int linux_serial_open(struct hal_serial *hs, const struct hal_serial_config *cfg)
{
    struct linux_serial *s = linux_serial_of(hs);
    linux_serial_close(hs);
    if (hal_serial_config_check(cfg) != HAL_OK) {
        return HAL_EINVAL;
    }
    speed_t speed = linux_serial_speed(cfg->baud);
    if (speed == B0) {
        return HAL_EINVAL;
    }
    s->fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s->fd < 0) {
        int rc = linux_errno_to_hal(errno);
        return rc == HAL_ENOENT || rc == HAL_EBUSY ? rc : HAL_EIO;
    }
    int rc = linux_serial_setup(s, cfg, speed);
    if (rc != HAL_OK) {
        linux_serial_close(hs);
    }
    return rc;
}

/* A tty whose other end went away (USB unplugged, pty master closed) answers EIO. */
static int linux_serial_io_err(int err)
{
    if (err == EIO || err == ENXIO || err == ENODEV || err == EBADF) {
        return HAL_ECLOSED;
    }
    int rc = linux_errno_to_hal(err);
    return rc == HAL_EAGAIN ? HAL_EAGAIN : HAL_EIO;
}

static int linux_serial_write(struct hal_serial *hs, const uint8_t *buf, size_t len,
                              size_t *written)
{
    struct linux_serial *s = linux_serial_of(hs);
    *written = 0;
    if (s->fd < 0) {
        return HAL_ECLOSED;
    }
    if (len == 0u) {
        return HAL_EINVAL;
    }
    ssize_t n = write(s->fd, buf, len);
    if (n < 0) {
        return linux_serial_io_err(errno);
    }
    if (n == 0) {
        return HAL_EAGAIN;
    }
    *written = (size_t)n;
    return HAL_OK;
}

static int linux_serial_read(struct hal_serial *hs, uint8_t *buf, size_t cap, size_t *len)
{
    struct linux_serial *s = linux_serial_of(hs);
    *len = 0;
    if (s->fd < 0) {
        return HAL_ECLOSED;
    }
    if (cap == 0u) {
        return HAL_EINVAL;
    }
    ssize_t n = read(s->fd, buf, cap);
    if (n < 0) {
        return linux_serial_io_err(errno);
    }
    if (n == 0) {
        /* 0 is both "nothing there" (VMIN 0, VTIME 0) and end of file on a hung-up tty
         * (USB adapter unplugged, pty master closed); only poll() tells them apart. */
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
            return HAL_ECLOSED;
        }
        return HAL_EAGAIN;
    }
    *len = (size_t)n;
    return HAL_OK;
}

static const struct hal_serial_ops s_ops = {
    .open = linux_serial_open,
    .write = linux_serial_write,
    .read = linux_serial_read,
    .close = linux_serial_close,
};

int linux_serial_init(struct linux_serial *s, const char *path)
{
    if (s == NULL || path == NULL) {
        return HAL_EINVAL;
    }
    size_t n = strlen(path);
    if (n == 0u || n >= sizeof s->path) {
        return HAL_EINVAL;
    }
    memset(s, 0, sizeof *s);
    memcpy(s->path, path, n + 1u);
    s->base.ops = &s_ops;
    s->fd = -1;
    return HAL_OK;
}

int linux_serial_fd(const struct linux_serial *s)
{
    return s->fd;
}
