/**
 * @file linux_can.c
 * @brief SocketCAN implementation of hal_can.h (see linux_can.h).
 */
#include "linux_can.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libsocketcan.h>
#include <linux/can.h>
#include <linux/can/error.h>
#include <linux/can/raw.h>

#include "hal_err.h"
#include "linux_errno.h"

/** Error frames consumed per recv call at most, so one call stays bounded work. */
#ifndef CFG_LINUX_CAN_ERR_FRAMES_PER_RECV
#define CFG_LINUX_CAN_ERR_FRAMES_PER_RECV 16
#endif
_Static_assert(CFG_LINUX_CAN_ERR_FRAMES_PER_RECV > 0, "recv must read at least one frame");

_Static_assert(LINUX_CAN_IFNAME_SIZE == IFNAMSIZ, "linux_can.h hard-codes IFNAMSIZ");
_Static_assert(offsetof(struct linux_can, base) == 0, "the core casts struct hal_can back");

static int linux_can_open(struct hal_can *can, uint32_t bitrate);
static int linux_can_send(struct hal_can *can, const struct hal_can_frame *frame);
static int linux_can_recv(struct hal_can *can, struct hal_can_frame *frame);
static int linux_can_get_state(struct hal_can *can, enum hal_can_state *state);
static int linux_can_restart(struct hal_can *can);
static void linux_can_close(struct hal_can *can);
static int linux_can_set_filters(struct hal_can *can, const struct hal_can_filter *f, size_t n);

static const struct hal_can_ops s_ops = {
    .open = linux_can_open,
    .send = linux_can_send,
    .recv = linux_can_recv,
    .get_state = linux_can_get_state,
    .restart = linux_can_restart,
    .close = linux_can_close,
    .set_filters = linux_can_set_filters,
};

int linux_can_init(struct linux_can *c, const char *ifname)
{
    if (c == NULL || ifname == NULL) {
        return HAL_EINVAL;
    }
    size_t len = strnlen(ifname, LINUX_CAN_IFNAME_SIZE);
    if (len == 0 || len >= LINUX_CAN_IFNAME_SIZE) {
        return HAL_EINVAL;
    }
    memset(c, 0, sizeof(*c));
    c->base.ops = &s_ops;
    c->fd = -1;
    memcpy(c->ifname, ifname, len + 1);
    return HAL_OK;
}

int linux_can_fd(const struct linux_can *c)
{
    return c->fd;
}

static struct linux_can *linux_can_of(struct hal_can *can)
{
    return (struct linux_can *)can;
}

static bool linux_can_is_bus_off(const struct linux_can *c)
{
    return c->state_known && c->err_state == HAL_CAN_STATE_BUS_OFF;
}

/* open() may only report what its contract lists; anything unexpected is "could not start". */
static int linux_can_open_err(int err)
{
    int rc = linux_errno_to_hal(err);
    return (rc == HAL_ENOENT || rc == HAL_EINVAL) ? rc : HAL_EIO;
}

/*
 * Change the bit rate only when it differs: setting it needs CAP_NET_ADMIN and a stopped
 * controller, while a process without privileges can still use an interface that was
 * configured for it at boot. A running controller is stopped around the change and
 * started again even if the rate was refused, so it is left as it was found.
 */
static int linux_can_set_bitrate(const struct linux_can *c, uint32_t bitrate, bool running)
{
    struct can_bittiming bt;
    if (can_get_bittiming(c->ifname, &bt) == 0 && bt.bitrate == bitrate) {
        return HAL_OK;
    }
    if (running && can_do_stop(c->ifname) != 0) {
        return linux_can_open_err(errno);
    }
    int rc = HAL_OK;
    if (can_set_bitrate(c->ifname, bitrate) != 0) {
        rc = linux_can_open_err(errno);
    }
    if (running && can_do_start(c->ifname) != 0 && rc == HAL_OK) {
        rc = linux_can_open_err(errno);
    }
    return rc;
}

/*
 * The kernel does the filtering (CAN_RAW_FILTER): each hal filter becomes one can_filter
 * whose mask includes CAN_EFF_FLAG, so 11- and 29-bit frames are told apart as the
 * contract says. No filter means the default (receive all), which is one {0, 0} filter:
 * an empty list would receive nothing.
 */
static int linux_can_apply_filters(const struct linux_can *c, int fd)
{
    struct can_filter kf[HAL_CAN_MAX_FILTERS];
    size_t n = c->nfilters;
    if (n == 0u) {
        kf[0].can_id = 0;
        kf[0].can_mask = 0;
        n = 1;
    } else {
        for (size_t i = 0; i < n; i++) {
            const struct hal_can_filter *f = &c->filters[i];
            bool ext = (f->flags & HAL_CAN_FLAG_EXT) != 0u;
            kf[i].can_id = (canid_t)(f->id | (ext ? CAN_EFF_FLAG : 0u));
            kf[i].can_mask = (canid_t)(f->mask | CAN_EFF_FLAG);
        }
    }
    return setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, kf, (socklen_t)(n * sizeof kf[0]));
}

static int linux_can_set_filters(struct hal_can *can, const struct hal_can_filter *f, size_t n)
{
    struct linux_can *c = linux_can_of(can);
    int rc = hal_can_filters_check(f, n);
    if (rc != HAL_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        c->filters[i] = f[i];
    }
    c->nfilters = n;
    if (c->fd >= 0 && linux_can_apply_filters(c, c->fd) != 0) {
        return HAL_EIO;
    }
    return HAL_OK;
}

static int linux_can_open(struct hal_can *can, uint32_t bitrate)
{
    struct linux_can *c = linux_can_of(can);

    linux_can_close(can); /* a second open starts from scratch instead of leaking the socket */

    unsigned int ifindex = if_nametoindex(c->ifname);
    if (ifindex == 0) {
        return linux_can_open_err(errno);
    }

    /*
     * Probe once here rather than in every get_state: on an interface without CAN netlink
     * data (vcan) libsocketcan prints "no link data found" on each failed query, and a
     * superloop may ask for the state on every pass.
     */
    int kstate;
    c->has_link_data = can_get_state(c->ifname, &kstate) == 0;

    /*
     * Without link data there is no bit timing to set (vcan): not an error by contract.
     * This comes before the socket exists: stopping the link would leave ENETDOWN pending
     * on it, and the first recv would report a closed bus.
     */
    if (bitrate != 0 && c->has_link_data) {
        int rc = linux_can_set_bitrate(c, bitrate, kstate != CAN_STATE_STOPPED);
        if (rc != HAL_OK) {
            return rc;
        }
    }

    int fd = socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW);
    if (fd < 0) {
        return linux_can_open_err(errno);
    }
    /* Before bind, so no frame the filters exclude is ever queued. */
    if (linux_can_apply_filters(c, fd) != 0) {
        int err = errno;
        close(fd);
        return linux_can_open_err(err);
    }
    /* Without these error frames a bus-off controller would look like a quiet bus. */
    can_err_mask_t err_mask = CAN_ERR_BUSOFF | CAN_ERR_RESTARTED | CAN_ERR_CRTL;
    struct sockaddr_can addr;
    memset(&addr, 0, sizeof(addr));
    addr.can_family = AF_CAN;
    addr.can_ifindex = (int)ifindex;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, c->ifname, sizeof(c->ifname));
    if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &err_mask, sizeof(err_mask)) != 0 ||
        bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
        int err = errno;
        close(fd);
        return linux_can_open_err(err);
    }
    /* Only a link that is down is started, for the same privilege reason as the bit rate. */
    if ((ifr.ifr_flags & IFF_UP) == 0 && can_do_start(c->ifname) != 0) {
        int err = errno;
        close(fd);
        return linux_can_open_err(err);
    }
    c->fd = fd;
    c->state_known = false;
    return HAL_OK;
}

static int linux_can_send(struct hal_can *can, const struct hal_can_frame *frame)
{
    struct linux_can *c = linux_can_of(can);

    /* Checked before the state, so a bad frame is reported as such in every state. */
    if (frame == NULL || frame->dlc > HAL_CAN_MAX_DLC ||
        (frame->flags & ~(HAL_CAN_FLAG_EXT | HAL_CAN_FLAG_RTR)) != 0) {
        return HAL_EINVAL;
    }
    struct can_frame cf;
    memset(&cf, 0, sizeof(cf));
    if ((frame->flags & HAL_CAN_FLAG_EXT) != 0) {
        if (frame->id > HAL_CAN_EXT_ID_MASK) {
            return HAL_EINVAL;
        }
        cf.can_id = frame->id | CAN_EFF_FLAG;
    } else {
        if (frame->id > HAL_CAN_STD_ID_MASK) {
            return HAL_EINVAL;
        }
        cf.can_id = frame->id;
    }
    if ((frame->flags & HAL_CAN_FLAG_RTR) != 0) {
        cf.can_id |= CAN_RTR_FLAG; /* a remote frame carries a length but no data */
    } else {
        memcpy(cf.data, frame->data, frame->dlc);
    }
    cf.len = frame->dlc;

    /* A bus-off controller would only queue the frame until the queue overflows. */
    if (c->fd < 0 || linux_can_is_bus_off(c)) {
        return HAL_ECLOSED;
    }
    ssize_t n = write(c->fd, &cf, sizeof(cf));
    if (n == (ssize_t)sizeof(cf)) {
        return HAL_OK;
    }
    if (n >= 0) {
        return HAL_EIO;
    }
    int rc = linux_errno_to_hal(errno);
    /* On a CAN socket ENOBUFS means the interface's transmit queue is full, not memory. */
    if (rc == HAL_ENOMEM) {
        return HAL_EAGAIN;
    }
    return (rc == HAL_EAGAIN || rc == HAL_ECLOSED) ? rc : HAL_EIO;
}

/* Fold an error frame into the state; SocketCAN reports state changes only this way. */
static void linux_can_error_frame(struct linux_can *c, const struct can_frame *cf)
{
    if ((cf->can_id & CAN_ERR_BUSOFF) != 0) {
        c->err_state = HAL_CAN_STATE_BUS_OFF;
    } else if ((cf->can_id & CAN_ERR_RESTARTED) != 0) {
        c->err_state = HAL_CAN_STATE_ACTIVE;
    } else if ((cf->can_id & CAN_ERR_CRTL) != 0 && cf->len > 1) {
        uint8_t crtl = cf->data[1];
        if ((crtl & (CAN_ERR_CRTL_RX_PASSIVE | CAN_ERR_CRTL_TX_PASSIVE)) != 0) {
            c->err_state = HAL_CAN_STATE_PASSIVE;
        } else if ((crtl & (CAN_ERR_CRTL_RX_WARNING | CAN_ERR_CRTL_TX_WARNING)) != 0) {
            c->err_state = HAL_CAN_STATE_WARNING;
        } else if ((crtl & CAN_ERR_CRTL_ACTIVE) != 0) {
            c->err_state = HAL_CAN_STATE_ACTIVE;
        } else {
            return; /* an overflow report says nothing about the error state */
        }
    } else {
        return;
    }
    c->state_known = true;
}

static int linux_can_recv(struct hal_can *can, struct hal_can_frame *frame)
{
    struct linux_can *c = linux_can_of(can);

    if (c->fd < 0) {
        return HAL_ECLOSED;
    }
    for (int i = 0; i < CFG_LINUX_CAN_ERR_FRAMES_PER_RECV; i++) {
        struct can_frame cf;
        memset(&cf, 0, sizeof(cf));
        ssize_t n = read(c->fd, &cf, sizeof(cf));
        if (n < 0) {
            int rc = linux_errno_to_hal(errno);
            if (rc == HAL_EAGAIN) {
                break;
            }
            return rc == HAL_ECLOSED ? rc : HAL_EIO;
        }
        /* Only classic frames are enabled; anything else is skipped, never misparsed. */
        if (n != (ssize_t)sizeof(cf)) {
            continue;
        }
        if ((cf.can_id & CAN_ERR_FLAG) != 0) {
            linux_can_error_frame(c, &cf);
            continue;
        }
        if (cf.len > HAL_CAN_MAX_DLC) {
            continue;
        }
        /*
         * Frames queued before a bus-off are still real data, so they are handed out in
         * order; ECLOSED comes once nothing is left.
         */
        memset(frame, 0, sizeof(*frame));
        if ((cf.can_id & CAN_EFF_FLAG) != 0) {
            frame->id = cf.can_id & CAN_EFF_MASK;
            frame->flags = HAL_CAN_FLAG_EXT;
        } else {
            frame->id = cf.can_id & CAN_SFF_MASK;
        }
        frame->dlc = cf.len;
        if ((cf.can_id & CAN_RTR_FLAG) != 0) {
            frame->flags |= HAL_CAN_FLAG_RTR;
        } else {
            memcpy(frame->data, cf.data, cf.len);
        }
        return HAL_OK;
    }
    return linux_can_is_bus_off(c) ? HAL_ECLOSED : HAL_EAGAIN;
}

static int linux_can_get_state(struct hal_can *can, enum hal_can_state *state)
{
    struct linux_can *c = linux_can_of(can);

    if (c->fd < 0) {
        *state = HAL_CAN_STATE_STOPPED;
        return HAL_OK;
    }
    if (!c->has_link_data) {
        /* vcan and the like: only error frames, if any were seen, say anything */
        if (!c->state_known) {
            return HAL_ENOTSUP;
        }
        *state = c->err_state;
        return HAL_OK;
    }
    int kstate;
    if (can_get_state(c->ifname, &kstate) != 0) {
        return HAL_EIO;
    }
    enum hal_can_state s;
    switch (kstate) {
    case CAN_STATE_ERROR_ACTIVE:
        s = HAL_CAN_STATE_ACTIVE;
        break;
    case CAN_STATE_ERROR_WARNING:
        s = HAL_CAN_STATE_WARNING;
        break;
    case CAN_STATE_ERROR_PASSIVE:
        s = HAL_CAN_STATE_PASSIVE;
        break;
    case CAN_STATE_BUS_OFF:
        s = HAL_CAN_STATE_BUS_OFF;
        break;
    case CAN_STATE_STOPPED:
    case CAN_STATE_SLEEPING:
        s = HAL_CAN_STATE_STOPPED;
        break;
    default:
        return HAL_EIO;
    }
    /*
     * The controller's own answer wins over error frames, so send/recv follow a restart
     * that produced no error frame (for example the link set down and up by an operator).
     */
    c->err_state = s;
    c->state_known = true;
    *state = s;
    return HAL_OK;
}

static int linux_can_restart(struct hal_can *can)
{
    struct linux_can *c = linux_can_of(can);

    if (c->fd < 0) {
        return HAL_EIO;
    }
    if (!c->has_link_data) {
        return HAL_ENOTSUP;
    }
    /*
     * can_do_restart() refuses, with a message on stderr, unless the controller is bus-off
     * with automatic restart disabled; both other cases need nothing from us.
     */
    int kstate;
    if (can_get_state(c->ifname, &kstate) != 0) {
        return HAL_EIO;
    }
    if (kstate != CAN_STATE_BUS_OFF) {
        return HAL_OK;
    }
    __u32 restart_ms = 0;
    if (can_get_restart_ms(c->ifname, &restart_ms) == 0 && restart_ms != 0) {
        return HAL_OK;
    }
    if (can_do_restart(c->ifname) != 0) {
        return HAL_EIO;
    }
    return HAL_OK;
}

static void linux_can_close(struct hal_can *can)
{
    struct linux_can *c = linux_can_of(can);

    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
    c->has_link_data = false;
    c->state_known = false;
}
