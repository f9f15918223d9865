#define _GNU_SOURCE /* accept4 */
#include "board_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hal_clock.h"

static int board_ctl_address(const char *path, struct sockaddr_un *a)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof a->sun_path) {
        return -1;
    }
    memcpy(a->sun_path, path, n + 1);
    return 0;
}

int board_ctl_execute(struct charger *charger, uint32_t now_ms, const char *line, char *reply,
                      size_t cap)
{
    if (strcmp(line, "status") == 0) {
        const char *held = charger_held_fault(charger);
        snprintf(reply, cap, "ok state=%s held=%s", charger_state_name(charger_state(charger)),
                 held != NULL ? held : "none");
        return 0;
    }
    if (strcmp(line, "reset") == 0) {
        const char *why = "";
        enum charger_reset_result r = charger_reset(charger, now_ms, &why);
        switch (r) {
        case CHARGER_RESET_DONE:
        case CHARGER_RESET_NOTHING:
            snprintf(reply, cap, "ok reset: %s", charger_reset_result_name(r));
            return 0;
        case CHARGER_RESET_ENERGISED:
            snprintf(reply, cap, "refused: energised: %s", why);
            return 1;
        case CHARGER_RESET_REFUSED:
            snprintf(reply, cap, "refused: %s", why);
            return 1;
        }
        snprintf(reply, cap, "refused: %s", why);
        return 1;
    }
    if (strncmp(line, "limit ", 6) == 0) {
        /* The station's external power limit, as OCPP or a load manager would set it; an
         * ISO-2 session in progress is asked to renegotiate when it falls below what its
         * schedule was built on. Whole watts only: a typo must not become a limit. */
        const char *arg = line + 6;
        if (strcmp(arg, "none") == 0) {
            charger_set_power_limit(charger, CHARGER_NO_POWER_LIMIT);
            snprintf(reply, cap, "ok limit: none");
            return 0;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long w = strtoull(arg, &end, 10);
        if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || w >= CHARGER_NO_POWER_LIMIT) {
            snprintf(reply, cap, "error: limit needs whole watts 0..%lu or none", (unsigned long)(CHARGER_NO_POWER_LIMIT - 1u));
            return 2;
        }
        charger_set_power_limit(charger, (uint32_t)w);
        snprintf(reply, cap, "ok limit: %lu W", (unsigned long)w);
        return 0;
    }
    snprintf(reply, cap, "error: unknown command (limit, reset, status)");
    return 2;
}

/* Refuse to take over a path that is not a socket, or one a live charger listens on: a
 * stale socket file of a dead one is replaced. */
static const char *board_ctl_claim(const char *path, const struct sockaddr_un *a)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? NULL : strerror(errno);
    }
    if (!S_ISSOCK(st.st_mode)) {
        return "exists and is not a socket";
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return strerror(errno);
    }
    int rc = connect(fd, (const struct sockaddr *)a, sizeof *a);
    close(fd);
    if (rc == 0) {
        return "another charger is listening there";
    }
    if (unlink(path) != 0) {
        return strerror(errno);
    }
    return NULL;
}

static void board_ctl_drop_client(struct board_ctl *c)
{
    if (c->client_fd >= 0) {
        linux_loop_unwatch(c->loop, c->client_fd);
        close(c->client_fd);
        c->client_fd = -1;
    }
    c->len = 0;
}

static void board_ctl_answer(struct board_ctl *c, const char *reply)
{
    char out[BOARD_CTL_REPLY_MAX + 2];
    int n = snprintf(out, sizeof out, "%s\n", reply);
    /* One short line to a fresh socket buffer: it fits; a client that went away loses it. */
    (void)send(c->client_fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    board_ctl_drop_client(c);
}

/* Read what the client sent; answer once a whole line is there. */
static void board_ctl_serve(struct board_ctl *c, uint32_t now_ms)
{
    char reply[BOARD_CTL_REPLY_MAX];
    for (;;) {
        ssize_t n = recv(c->client_fd, c->line + c->len, sizeof c->line - c->len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n <= 0) {
            board_ctl_drop_client(c); /* gone before a whole line */
            return;
        }
        c->len += (size_t)n;
        char *nl = memchr(c->line, '\n', c->len);
        if (nl != NULL) {
            *nl = '\0';
            if (nl > c->line && nl[-1] == '\r') {
                nl[-1] = '\0';
            }
            for (const char *p = c->line; *p != '\0'; p++) {
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
                    board_ctl_answer(c, "error: not a text command");
                    return;
                }
            }
            int rc = board_ctl_execute(c->charger, now_ms, c->line, reply, sizeof reply);
            hal_logf(c->log, rc == 0 ? HAL_LOG_INFO : HAL_LOG_WARN, now_ms, "control: '%s' -> %s",
                     c->line, reply);
            board_ctl_answer(c, reply);
            return;
        }
        if (c->len == sizeof c->line) {
            board_ctl_answer(c, "error: command too long");
            return;
        }
    }
    if (hal_time_reached(now_ms, c->client_deadline_ms)) {
        board_ctl_answer(c, "error: no command within 1 s");
    }
}

static void board_ctl_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_ctl *c = t->ctx;
    if (c->client_fd >= 0) {
        board_ctl_serve(c, now_ms);
    }
    /* One connection at a time: the next waits in the listen queue. */
    if (c->client_fd < 0) {
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            c->client_fd = fd;
            c->len = 0;
            c->client_deadline_ms = now_ms + BOARD_CTL_CLIENT_MS;
            if (linux_loop_watch(c->loop, fd, POLLIN) != HAL_OK) {
                board_ctl_answer(c, "error: busy");
            } else {
                board_ctl_serve(c, now_ms);
            }
        }
    }
    sched_task_at(t, now_ms + (c->client_fd >= 0 ? 50u : 1000u));
}

int board_ctl_open(struct board_ctl *c, const char *path, struct linux_loop *loop,
                   struct charger *charger, struct hal_log *log, struct sched *s, uint32_t now_ms,
                   FILE *err)
{
    struct sockaddr_un a;
    memset(c, 0, sizeof *c);
    c->listen_fd = -1;
    c->client_fd = -1;
    c->loop = loop;
    c->charger = charger;
    c->log = log;
    if (board_ctl_address(path, &a) != 0) {
        fprintf(err, "charger: --ctl '%s': the path must be 1..%zu characters\n", path,
                sizeof a.sun_path - 1u);
        return -1;
    }
    const char *why = board_ctl_claim(path, &a);
    if (why != NULL) {
        fprintf(err, "charger: --ctl '%s': %s\n", path, why);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(err, "charger: --ctl '%s': %s\n", path, strerror(errno));
        return -1;
    }
    /* Only the charger's own account may command it. */
    mode_t old = umask(0177);
    int rc = bind(fd, (const struct sockaddr *)&a, sizeof a);
    int bind_errno = errno;
    umask(old);
    if (rc != 0 || listen(fd, 4) != 0) {
        fprintf(err, "charger: --ctl '%s': %s\n", path, strerror(rc != 0 ? bind_errno : errno));
        close(fd);
        return -1;
    }
    c->listen_fd = fd;
    memcpy(c->path, a.sun_path, sizeof c->path);
    if (linux_loop_watch(loop, fd, POLLIN) != HAL_OK) {
        fprintf(err, "charger: --ctl '%s': too many descriptors watched\n", path);
        board_ctl_close(c);
        return -1;
    }
    sched_task_init(&c->task, "control", board_ctl_step, c, true);
    if (sched_add(s, &c->task, now_ms) != HAL_OK) {
        fprintf(err, "charger: --ctl '%s': the scheduler is full\n", path);
        board_ctl_close(c);
        return -1;
    }
    return 0;
}

void board_ctl_close(struct board_ctl *c)
{
    board_ctl_drop_client(c);
    if (c->listen_fd >= 0) {
        linux_loop_unwatch(c->loop, c->listen_fd);
        close(c->listen_fd);
        c->listen_fd = -1;
        (void)unlink(c->path);
    }
}

int board_ctl_request(const char *path, const char *command, FILE *out, FILE *err)
{
    struct sockaddr_un a;
    char reply[BOARD_CTL_REPLY_MAX + 2];
    size_t len = 0;
    if (board_ctl_address(path, &a) != 0) {
        fprintf(err, "charger: --ctl '%s': the path must be 1..%zu characters\n", path,
                sizeof a.sun_path - 1u);
        return 2;
    }
    if (strlen(command) >= BOARD_CTL_LINE_MAX || strchr(command, '\n') != NULL) {
        fprintf(err, "charger: command too long or not one line\n");
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(err, "charger: --ctl '%s': no charger answers there: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return 3;
    }
    char line[BOARD_CTL_LINE_MAX + 1];
    int n = snprintf(line, sizeof line, "%s\n", command);
    if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
        fprintf(err, "charger: --ctl '%s': %s\n", path, strerror(errno));
        close(fd);
        return 3;
    }
    /* The charger answers within one loop pass; a stalled one is not waited for. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (len < sizeof reply - 1u && memchr(reply, '\n', len) == NULL) {
        if (poll(&p, 1, 5000) <= 0) {
            break;
        }
        ssize_t got = recv(fd, reply + len, sizeof reply - 1u - len, 0);
        if (got <= 0) {
            break;
        }
        len += (size_t)got;
    }
    close(fd);
    reply[len] = '\0';
    if (len == 0 || memchr(reply, '\n', len) == NULL) {
        fprintf(err, "charger: --ctl '%s': no answer from the charger\n", path);
        return 3;
    }
    fputs(reply, out);
    return strncmp(reply, "ok", 2) == 0 ? 0 : strncmp(reply, "refused", 7) == 0 ? 1 : 2;
}
