#include "linux_loop.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "linux_errno.h"

static uint64_t linux_loop_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t linux_loop_now(struct hal_clock *base)
{
    struct linux_loop *l = (struct linux_loop *)base;
    /* Truncation to 32 bits is the documented wrap of now_ms. */
    return (uint32_t)((linux_loop_mono_ns() - l->start_ns) / 1000000u);
}

static int linux_loop_wall(struct hal_clock *base, int64_t *unix_ms)
{
    (void)base;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return linux_errno_to_hal(errno);
    }
    /* Before 2020 the clock has not been set (no RTC battery, no NTP yet). */
    if (ts.tv_sec < 1577836800) {
        return HAL_EAGAIN;
    }
    *unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return HAL_OK;
}

static int linux_loop_idle(struct hal_clock *base, uint32_t max_ms)
{
    struct linux_loop *l = (struct linux_loop *)base;
    struct pollfd pfd[CFG_LINUX_LOOP_MAX_FDS];

    if (l->stop_flag != NULL && *l->stop_flag) {
        return HAL_ETIMEDOUT;
    }
    for (int i = 0; i < l->nfds; i++) {
        pfd[i].fd = l->fds[i];
        pfd[i].events = l->events[i];
        pfd[i].revents = 0;
    }
    int timeout = max_ms > 60000u ? 60000 : (int)max_ms;
    int n = poll(pfd, (nfds_t)l->nfds, timeout);
    if (n > 0) {
        return HAL_OK;
    }
    if (n == 0 || errno == EINTR) {
        return HAL_ETIMEDOUT;
    }
    return linux_errno_to_hal(errno);
}

static const struct hal_clock_ops s_linux_loop_ops = {
    .now_ms = linux_loop_now,
    .wall = linux_loop_wall,
    .idle = linux_loop_idle,
};

void linux_loop_init(struct linux_loop *l)
{
    l->base.ops = &s_linux_loop_ops;
    l->nfds = 0;
    l->start_ns = linux_loop_mono_ns();
    l->stop_flag = NULL;
}

int linux_loop_watch(struct linux_loop *l, int fd, short events)
{
    if (fd < 0) {
        return HAL_EINVAL;
    }
    if (l->nfds >= CFG_LINUX_LOOP_MAX_FDS) {
        return HAL_ENOMEM;
    }
    l->fds[l->nfds] = fd;
    l->events[l->nfds] = events;
    l->nfds++;
    return HAL_OK;
}

void linux_loop_unwatch(struct linux_loop *l, int fd)
{
    for (int i = 0; i < l->nfds; i++) {
        if (l->fds[i] == fd) {
            l->fds[i] = l->fds[l->nfds - 1];
            l->events[i] = l->events[l->nfds - 1];
            l->nfds--;
            return;
        }
    }
}
