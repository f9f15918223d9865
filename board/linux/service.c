/* service.c - the Linux board as a systemd service: a small sender of the sd_notify
 * datagram protocol (READY, WATCHDOG, STOPPING, STATUS), the watchdog pings after each
 * healthy superloop pass (the decision is watchdog.c's), and the --test-stall-hook test aid
 * that stalls the loop inside a task on SIGUSR2. */
#define _GNU_SOURCE
#include "service.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void board_service_send(struct board_service *sv, const char *msg)
{
    if (sv->fd < 0) {
        return;
    }
    /* Connected datagram socket: a full queue must not stall the loop (MSG_DONTWAIT); a lost
     * ping is repeated a period later. */
    if (send(sv->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        hal_logf(sv->log, HAL_LOG_WARN, 0, "systemd notify: send failed: %s", strerror(errno));
    }
}

/* @return the number parsed, or -1 for anything but a whole decimal number */
static long long board_service_number(const char *s)
{
    if (s == NULL || *s == '\0') {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (errno != 0 || *end != '\0' || v < 0) ? -1 : v;
}

void board_service_init(struct board_service *sv, struct hal_log *log, const struct sched *s, uint32_t now_ms)
{
    memset(sv, 0, sizeof *sv);
    sv->fd = -1;
    sv->log = log;
    board_watchdog_init(&sv->wd, 0, s, now_ms);
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0') {
        return;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path) {
        hal_logf(log, HAL_LOG_WARN, now_ms, "systemd notify: NOTIFY_SOCKET '%.40s' is not a usable socket path", path);
        return;
    }
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@') {
        sa.sun_path[0] = '\0'; /* abstract namespace */
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) != 0) {
        hal_logf(log, HAL_LOG_WARN, now_ms, "systemd notify: cannot reach %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    sv->fd = fd;
    /* WATCHDOG_PID names the process meant (a wrapper script may have passed the
     * environment on); when it is another process the watchdog is not ours. */
    long long pid = board_service_number(getenv("WATCHDOG_PID"));
    long long usec = board_service_number(getenv("WATCHDOG_USEC"));
    if (getenv("WATCHDOG_USEC") != NULL && usec <= 0) {
        hal_logf(log, HAL_LOG_WARN, now_ms, "systemd notify: WATCHDOG_USEC is not a positive number: no watchdog");
    } else if (usec > 0 && (getenv("WATCHDOG_PID") == NULL || pid == (long long)getpid())) {
        board_watchdog_init(&sv->wd, (uint64_t)usec, s, now_ms);
        hal_logf(log, HAL_LOG_INFO, now_ms, "systemd watchdog: ping every %lu ms while the loop is healthy",
                 (unsigned long)sv->wd.interval_ms);
    }
}

void board_service_ready(struct board_service *sv, const char *version)
{
    char msg[96];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=charger %s running", version);
    board_service_send(sv, msg);
}

void board_service_pass(struct board_service *sv, const struct sched *s, uint32_t now_ms, uint32_t pass_ms)
{
    char buf[96];
    const char *why = NULL;
    if (board_watchdog_check(&sv->wd, s, now_ms, pass_ms, buf, sizeof buf, &why)) {
        board_service_send(sv, "WATCHDOG=1");
        if (sv->reported_withheld) {
            hal_logf(sv->log, HAL_LOG_INFO, now_ms, "systemd watchdog: loop healthy again, pinging");
            sv->reported_withheld = false;
        }
    } else if (why != NULL && !sv->reported_withheld) {
        hal_logf(sv->log, HAL_LOG_ERROR, now_ms, "systemd watchdog: ping withheld: %s", why);
        sv->reported_withheld = true;
    }
}

void board_service_stopping(struct board_service *sv)
{
    board_service_send(sv, "STOPPING=1");
    if (sv->fd >= 0) {
        close(sv->fd);
        sv->fd = -1;
    }
}

/* ---- --test-stall-hook ---- */
static volatile sig_atomic_t s_stalled;
static volatile int *s_stop_flag;

static void board_service_on_usr2(int sig)
{
    (void)sig;
    s_stalled = !s_stalled;
}

static void board_service_stall_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_service *sv = t->ctx;
    if (s_stalled) {
        hal_logf(sv->log, HAL_LOG_WARN, now_ms, "test stall hook: the loop is stalled in a task (SIGUSR2 ends it)");
        const struct timespec nap = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
        while (s_stalled && (s_stop_flag == NULL || *s_stop_flag == 0)) {
            nanosleep(&nap, NULL);
        }
        hal_logf(sv->log, HAL_LOG_WARN, now_ms, "test stall hook: stall over");
    }
    sched_task_at(t, now_ms + 50u);
}

int board_service_add_stall_hook(struct board_service *sv, struct sched *s, volatile int *stop_flag,
                                 uint32_t now_ms)
{
    s_stop_flag = stop_flag;
    struct sigaction sa = {.sa_handler = board_service_on_usr2};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    sched_task_init(&sv->stall_task, "test-stall", board_service_stall_step, sv, false);
    hal_logf(sv->log, HAL_LOG_WARN, now_ms, "TEST AID --test-stall-hook: SIGUSR2 stalls the loop (not for a real charger)");
    return sched_add(s, &sv->stall_task, now_ms);
}
