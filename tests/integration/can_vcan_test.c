/**
 * @file can_vcan_test.c
 * @brief Integration test of the hal_linux CAN port against can-utils on real sockets.
 *
 * Usage: can_vcan_test [--vcan IF] [--hwcan IF0,IF1]
 *   --vcan IF        vcan checks on IF (default vcan0): frames to candump, frames from
 *                    cansend, invalid frames, bit rate and state on vcan, injected
 *                    bus-off / restart error frames
 *   --hwcan IF0,IF1  also the checks on two real controllers on one bus (vcan-run --hwcan 2)
 *
 * Run it under tools/vcan-run (see test_can_vcan.sh). Prints one `PASS name` or
 * `FAIL name: reason` line per check, then `N passed, N failed`; exits 1 on any failure.
 * Waiting is poll() on the port's descriptor or on candump's pipe, never a fixed sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libsocketcan.h>

#include "hal_can.h"
#include "hal_err.h"
#include "linux_can.h"

extern char **environ;

/* A bound, not a figure: every wait ends at the first frame. Under TCG on a loaded host a
 * spawned cansend can take seconds (issue 12 item 17). */
#define WAIT_MS 15000
#define READY_MARKER_ID 0x1FFFFFF0u
#define END_MARKER_ID 0x1FFFFFF1u
#define MAX_LINES 64
#define LINE_SIZE 128

static int s_passed;
static int s_failed;

static void check(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        printf("PASS %s\n", name);
        s_passed++;
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        s_failed++;
    }
    fflush(stdout);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(long long deadline)
{
    long long left = deadline - now_ms();
    return left > 0 ? (int)left : 0;
}

/* Run a program to completion; returns its exit status, or -1 if it could not run. */
static int run(char *const argv[])
{
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int cansend(const char *ifname, const char *spec)
{
    char *argv[] = {"cansend", (char *)ifname, (char *)spec, NULL};
    return run(argv);
}

/* Wait for the descriptor to become readable; 1 if it did, 0 on timeout. */
static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

/* The superloop's way to wait for a frame: recv until not EAGAIN, poll in between. */
static int wait_frame(struct linux_can *c, struct hal_can_frame *f, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int rc = hal_can_recv(&c->base, f);
        if (rc != HAL_EAGAIN) {
            return rc;
        }
        if (remaining_ms(deadline) == 0 || !wait_readable(linux_can_fd(c), remaining_ms(deadline))) {
            return HAL_ETIMEDOUT;
        }
    }
}

static struct hal_can_frame frame(uint32_t id, uint8_t flags, uint8_t dlc, const char *data)
{
    struct hal_can_frame f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.flags = flags;
    f.dlc = dlc;
    if (data != NULL) {
        memcpy(f.data, data, dlc <= 8 ? dlc : 8);
    }
    return f;
}

static int frames_equal(const struct hal_can_frame *a, const struct hal_can_frame *b)
{
    return a->id == b->id && a->flags == b->flags && a->dlc == b->dlc &&
           memcmp(a->data, b->data, sizeof(a->data)) == 0;
}

static const char *frame_str(const struct hal_can_frame *f, char *buf, size_t size)
{
    int n = snprintf(buf, size, "id=0x%X flags=0x%X dlc=%u data=", (unsigned)f->id,
                     (unsigned)f->flags, (unsigned)f->dlc);
    for (size_t i = 0; i < sizeof(f->data) && n > 0 && (size_t)n < size; i++) {
        n += snprintf(buf + n, size - (size_t)n, "%02X", f->data[i]);
    }
    return buf;
}

/* ---- candump in the background, its stdout read through a pipe ---------------------- */

struct candump {
    pid_t pid;
    int fd;
    char partial[LINE_SIZE];
    size_t partial_len;
    char lines[MAX_LINES][LINE_SIZE]; /* "ID#DATA", without timestamp and interface */
    int count;
};

static struct candump s_dump;

static int candump_start(struct candump *d, const char *ifname)
{
    int p[2];
    memset(d, 0, sizeof(*d));
    if (pipe(p) != 0) {
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *argv[] = {"candump", "-L", (char *)ifname, NULL};
    int rc = posix_spawnp(&d->pid, "candump", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return -1;
    }
    d->fd = p[0];
    fcntl(d->fd, F_SETFL, O_NONBLOCK);
    return 0;
}

/* Read what candump printed so far, splitting "(ts) if ID#DATA" lines. */
static void candump_read(struct candump *d, int timeout_ms)
{
    if (!wait_readable(d->fd, timeout_ms)) {
        return;
    }
    char buf[512];
    ssize_t n;
    while ((n = read(d->fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (d->partial_len < LINE_SIZE - 1) {
                    d->partial[d->partial_len++] = buf[i];
                }
                continue;
            }
            d->partial[d->partial_len] = '\0';
            d->partial_len = 0;
            const char *frame_text = strrchr(d->partial, ' '); /* last field is ID#DATA */
            if (frame_text != NULL && d->count < MAX_LINES) {
                snprintf(d->lines[d->count++], LINE_SIZE, "%s", frame_text + 1);
            }
        }
    }
}

static int candump_seen(const struct candump *d, const char *prefix)
{
    for (int i = 0; i < d->count; i++) {
        if (strncmp(d->lines[i], prefix, strlen(prefix)) == 0) {
            return 1;
        }
    }
    return 0;
}

static void candump_stop(struct candump *d)
{
    kill(d->pid, SIGTERM);
    waitpid(d->pid, NULL, 0);
    close(d->fd);
}

/* ---- vcan checks ----------------------------------------------------------------------- */

struct sent_frame {
    const char *name;
    struct hal_can_frame f;
    const char *candump; /* how candump -L prints it */
};

static void test_send_to_candump(struct linux_can *c, const char *ifname)
{
    struct candump *d = &s_dump;
    if (candump_start(d, ifname) != 0) {
        check(0, "candump_start", "cannot run candump (can-utils installed?)");
        return;
    }
    /*
     * candump binds its socket some time after the spawn; frames sent before are lost.
     * Send a marker until candump prints one, then everything after it is seen.
     */
    int ready = 0;
    long long deadline = now_ms() + 10000;
    while (!ready && remaining_ms(deadline) > 0) {
        struct hal_can_frame m = frame(READY_MARKER_ID, HAL_CAN_FLAG_EXT, 0, NULL);
        hal_can_send(&c->base, &m);
        candump_read(d, 100);
        ready = candump_seen(d, "1FFFFFF0#");
    }
    check(ready, "candump_ready", "candump printed no marker frame within 10 s");
    if (!ready) {
        candump_stop(d);
        return;
    }
    int first = d->count;

    static const struct sent_frame sent[] = {
        {"send_std_dlc8", {0x123, 0, 8, {0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04}},
         "123#DEADBEEF01020304"},
        {"send_std_dlc0", {0x7FF, 0, 0, {0}}, "7FF#"},
        {"send_std_id0", {0x000, 0, 1, {0x00}}, "000#00"},
        {"send_ext_dlc8", {0x1ABCDEF0, HAL_CAN_FLAG_EXT, 8, {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}},
         "1ABCDEF0#0011223344556677"},
        {"send_ext_small_id_dlc0", {0x00000001, HAL_CAN_FLAG_EXT, 0, {0}}, "00000001#"},
        {"send_ext_max_id", {0x1FFFFFFF, HAL_CAN_FLAG_EXT, 3, {0xA1, 0xB2, 0xC3}}, "1FFFFFFF#A1B2C3"},
        {"send_std_rtr", {0x456, HAL_CAN_FLAG_RTR, 0, {0}}, "456#R"},
    };
    const size_t nsent = sizeof(sent) / sizeof(sent[0]);
    int send_rc[sizeof(sent) / sizeof(sent[0])];
    for (size_t i = 0; i < nsent; i++) {
        send_rc[i] = hal_can_send(&c->base, &sent[i].f);
    }

    /* (c) invalid frames: rejected, and (checked below) nothing of them reaches the bus */
    struct hal_can_frame bad_dlc = frame(0x100, 0, 9, "123456789");
    struct hal_can_frame bad_std = frame(0x800, 0, 1, "\x01");
    struct hal_can_frame bad_ext = frame(0x20000000, HAL_CAN_FLAG_EXT, 1, "\x01");
    struct hal_can_frame bad_flag = frame(0x100, 0x80, 1, "\x01");
    int rc_dlc = hal_can_send(&c->base, &bad_dlc);
    int rc_std = hal_can_send(&c->base, &bad_std);
    int rc_ext = hal_can_send(&c->base, &bad_ext);
    int rc_flag = hal_can_send(&c->base, &bad_flag);

    struct hal_can_frame end = frame(END_MARKER_ID, HAL_CAN_FLAG_EXT, 0, NULL);
    int rc_end = hal_can_send(&c->base, &end);
    deadline = now_ms() + WAIT_MS;
    while (!candump_seen(d, "1FFFFFF1#") && remaining_ms(deadline) > 0) {
        candump_read(d, remaining_ms(deadline));
    }
    candump_stop(d);
    check(rc_end == HAL_OK && candump_seen(d, "1FFFFFF1#"), "candump_end_marker",
          "send rc=%d, marker %sseen", rc_end, candump_seen(d, "1FFFFFF1#") ? "" : "not ");

    /* The frames candump printed after the ready marker, markers left out, in order. */
    const char *got[MAX_LINES];
    size_t ngot = 0;
    for (int i = first; i < d->count; i++) {
        if (strncmp(d->lines[i], "1FFFFFF0#", 9) != 0 && strncmp(d->lines[i], "1FFFFFF1#", 9) != 0) {
            got[ngot++] = d->lines[i];
        }
    }
    for (size_t i = 0; i < nsent; i++) {
        const char *line = i < ngot ? got[i] : "(nothing)";
        check(send_rc[i] == HAL_OK && strcmp(line, sent[i].candump) == 0, sent[i].name,
              "hal_can_send rc=%d (%s), candump printed '%s', expected '%s'", send_rc[i],
              hal_strerror(send_rc[i]), line, sent[i].candump);
    }
    check(ngot == nsent, "candump_nothing_else", "candump printed %zu frames, expected %zu%s%s",
          ngot, nsent, ngot > nsent ? "; first extra: " : "", ngot > nsent ? got[nsent] : "");

    check(rc_dlc == HAL_EINVAL, "reject_dlc9", "rc=%d (%s)", rc_dlc, hal_strerror(rc_dlc));
    check(rc_std == HAL_EINVAL, "reject_std_id_0x800", "rc=%d (%s)", rc_std, hal_strerror(rc_std));
    check(rc_ext == HAL_EINVAL, "reject_ext_id_0x20000000", "rc=%d (%s)", rc_ext,
          hal_strerror(rc_ext));
    check(rc_flag == HAL_EINVAL, "reject_unknown_flag", "rc=%d (%s)", rc_flag,
          hal_strerror(rc_flag));
}

struct recv_case {
    const char *name;
    const char *spec; /* cansend argument */
    struct hal_can_frame want;
};

static void test_cansend_to_recv(struct linux_can *c, const char *ifname)
{
    struct hal_can_frame f;
    int rc = hal_can_recv(&c->base, &f);
    check(rc == HAL_EAGAIN, "recv_empty_no_own_frames", "rc=%d (%s)", rc, hal_strerror(rc));

    static const struct recv_case cases[] = {
        {"recv_std_dlc4", "123#DEADBEEF", {0x123, 0, 4, {0xDE, 0xAD, 0xBE, 0xEF}}},
        {"recv_std_dlc0", "7FF#", {0x7FF, 0, 0, {0}}},
        {"recv_std_dlc8", "001#0102030405060708", {0x001, 0, 8, {1, 2, 3, 4, 5, 6, 7, 8}}},
        {"recv_ext_dlc8", "1ABCDEF0#0011223344556677",
         {0x1ABCDEF0, HAL_CAN_FLAG_EXT, 8, {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}}},
        {"recv_ext_small_id", "00000005#01", {0x5, HAL_CAN_FLAG_EXT, 1, {0x01}}},
        {"recv_std_rtr", "321#R", {0x321, HAL_CAN_FLAG_RTR, 0, {0}}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got_s[80];
        char want_s[80];
        int st = cansend(ifname, cases[i].spec);
        memset(&f, 0xA5, sizeof(f)); /* so stale bytes past dlc would show */
        rc = st == 0 ? wait_frame(c, &f, WAIT_MS) : HAL_EIO;
        check(rc == HAL_OK && frames_equal(&f, &cases[i].want), cases[i].name,
              "cansend %s exit %d, recv rc=%d (%s), got %s, want %s", cases[i].spec, st, rc,
              hal_strerror(rc), rc == HAL_OK ? frame_str(&f, got_s, sizeof(got_s)) : "-",
              frame_str(&cases[i].want, want_s, sizeof(want_s)));
    }
}

/* Bus-off and restart as SocketCAN reports them, injected as error frames with cansend. */
static void test_error_frames(struct linux_can *c, const char *ifname)
{
    struct hal_can_frame f;
    enum hal_can_state state = HAL_CAN_STATE_ACTIVE;

    int st = cansend(ifname, "20000040#0000000000000000"); /* CAN_ERR_BUSOFF */
    int rc = st == 0 ? wait_frame(c, &f, WAIT_MS) : HAL_EIO;
    check(rc == HAL_ECLOSED, "busoff_recv_closed", "cansend exit %d, recv rc=%d (%s)", st, rc,
          hal_strerror(rc));
    rc = hal_can_get_state(&c->base, &state);
    check(rc == HAL_OK && state == HAL_CAN_STATE_BUS_OFF, "busoff_state", "rc=%d (%s) state=%d", rc,
          hal_strerror(rc), (int)state);
    struct hal_can_frame out = frame(0x10, 0, 1, "\x01");
    rc = hal_can_send(&c->base, &out);
    check(rc == HAL_ECLOSED, "busoff_send_closed", "rc=%d (%s)", rc, hal_strerror(rc));

    st = cansend(ifname, "20000100#0000000000000000"); /* CAN_ERR_RESTARTED */
    int readable = st == 0 && wait_readable(linux_can_fd(c), WAIT_MS);
    rc = hal_can_recv(&c->base, &f);
    check(readable && rc == HAL_EAGAIN, "restarted_recv_again",
          "cansend exit %d, readable %d, recv rc=%d (%s)", st, readable, rc, hal_strerror(rc));
    rc = hal_can_get_state(&c->base, &state);
    check(rc == HAL_OK && state == HAL_CAN_STATE_ACTIVE, "restarted_state_active",
          "rc=%d (%s) state=%d", rc, hal_strerror(rc), (int)state);
    rc = hal_can_send(&c->base, &out);
    check(rc == HAL_OK, "restarted_send_ok", "rc=%d (%s)", rc, hal_strerror(rc));

    st = cansend(ifname, "20000004#0010000000000000"); /* CAN_ERR_CRTL, RX passive */
    readable = st == 0 && wait_readable(linux_can_fd(c), WAIT_MS);
    rc = hal_can_recv(&c->base, &f);
    int rc_state = hal_can_get_state(&c->base, &state);
    check(readable && rc == HAL_EAGAIN && rc_state == HAL_OK && state == HAL_CAN_STATE_PASSIVE,
          "crtl_passive_state", "recv rc=%d, get_state rc=%d state=%d", rc, rc_state, (int)state);
}

/* Receive filters (CAN_RAW_FILTER): kept across a reopen, format-exact, count 0 = all. */
static void test_filters(struct linux_can *c, const char *ifname)
{
    struct hal_can_filter fl[2] = {{0x100, 0x700, 0}, {0x00ABCD00, 0x00FFFF00, HAL_CAN_FLAG_EXT}};
    int rc = hal_can_set_filters(&c->base, fl, 2);
    int rc_open = hal_can_open(&c->base, 0);
    check(rc == HAL_OK && rc_open == HAL_OK, "filters_set_and_reopen", "set rc=%d, open rc=%d", rc,
          rc_open);
    /* dropped: outside the range; the 11-bit range's id as a 29-bit frame; the ext range +1 */
    int st = cansend(ifname, "223#01") | cansend(ifname, "0000018A#02") |
             cansend(ifname, "10ABCE42#03") | cansend(ifname, "1AB#04") |
             cansend(ifname, "10ABCD42#05");
    struct hal_can_frame f;
    int rc1 = st == 0 ? wait_frame(c, &f, WAIT_MS) : HAL_EIO;
    uint32_t id1 = f.id;
    int rc2 = rc1 == HAL_OK ? wait_frame(c, &f, WAIT_MS) : rc1;
    uint32_t id2 = f.id;
    int rc3 = hal_can_recv(&c->base, &f);
    check(rc1 == HAL_OK && id1 == 0x1AB && rc2 == HAL_OK && id2 == 0x10ABCD42 && rc3 == HAL_EAGAIN,
          "filters_pass_only_matching", "cansend %d, rc %d/%d/%d, ids 0x%X 0x%X", st, rc1, rc2,
          rc3, (unsigned)id1, (unsigned)id2);
    rc = hal_can_set_filters(&c->base, NULL, 0);
    st = cansend(ifname, "223#01");
    rc1 = rc == HAL_OK && st == 0 ? wait_frame(c, &f, WAIT_MS) : HAL_EIO;
    check(rc1 == HAL_OK && f.id == 0x223, "filters_cleared_receive_all", "set rc=%d, cansend %d, recv %d",
          rc, st, rc1);
}

static void test_vcan(const char *ifname)
{
    static struct linux_can c;
    enum hal_can_state state = HAL_CAN_STATE_ACTIVE;

    int rc = linux_can_init(&c, "this-name-is-too-long");
    check(rc == HAL_EINVAL, "init_long_name", "rc=%d (%s)", rc, hal_strerror(rc));
    rc = linux_can_init(&c, "nosuchcan0");
    int rc_open = hal_can_open(&c.base, 0);
    check(rc == HAL_OK && rc_open == HAL_ENOENT, "open_missing_interface", "init rc=%d, open rc=%d (%s)",
          rc, rc_open, hal_strerror(rc_open));

    rc = linux_can_init(&c, ifname);
    check(rc == HAL_OK && linux_can_fd(&c) == -1, "init", "rc=%d fd=%d", rc, linux_can_fd(&c));
    /* (d) vcan has no bit timing: the rate is ignored, not an error */
    rc = hal_can_open(&c.base, 500000);
    check(rc == HAL_OK && linux_can_fd(&c) >= 0, "open_500k_on_vcan", "rc=%d (%s)", rc, hal_strerror(rc));
    if (rc != HAL_OK) {
        return;
    }
    rc = hal_can_get_state(&c.base, &state);
    check(rc == HAL_ENOTSUP, "get_state_enotsup_on_vcan", "rc=%d (%s)", rc, hal_strerror(rc));
    rc = hal_can_restart(&c.base);
    check(rc == HAL_ENOTSUP, "restart_enotsup_on_vcan", "rc=%d (%s)", rc, hal_strerror(rc));
    rc = hal_can_open(&c.base, 0);
    check(rc == HAL_OK, "reopen", "rc=%d (%s)", rc, hal_strerror(rc));

    test_send_to_candump(&c, ifname);
    test_cansend_to_recv(&c, ifname);
    test_error_frames(&c, ifname);
    test_filters(&c, ifname);

    struct hal_can_frame f = frame(0x10, 0, 1, "\x01");
    hal_can_close(&c.base);
    hal_can_close(&c.base);
    int rc_send = hal_can_send(&c.base, &f);
    int rc_recv = hal_can_recv(&c.base, &f);
    int rc_state = hal_can_get_state(&c.base, &state);
    check(linux_can_fd(&c) == -1 && rc_send == HAL_ECLOSED && rc_recv == HAL_ECLOSED &&
              rc_state == HAL_OK && state == HAL_CAN_STATE_STOPPED,
          "closed_twice", "fd=%d send=%d recv=%d get_state=%d state=%d", linux_can_fd(&c), rc_send,
          rc_recv, rc_state, (int)state);
}

/* ---- emulated SJA1000 controllers --------------------------------------------------------- */

static void pass_frame(struct linux_can *from, struct linux_can *to, const char *name,
                       struct hal_can_frame f)
{
    struct hal_can_frame got;
    char got_s[80];
    char want_s[80];
    int rc_send = hal_can_send(&from->base, &f);
    int rc = rc_send == HAL_OK ? wait_frame(to, &got, WAIT_MS) : rc_send;
    check(rc == HAL_OK && frames_equal(&got, &f), name, "send rc=%d, recv rc=%d (%s), got %s, want %s",
          rc_send, rc, hal_strerror(rc), rc == HAL_OK ? frame_str(&got, got_s, sizeof(got_s)) : "-",
          frame_str(&f, want_s, sizeof(want_s)));
}

static uint32_t bitrate_of(const char *ifname)
{
    struct can_bittiming bt;
    return can_get_bittiming(ifname, &bt) == 0 ? bt.bitrate : 0;
}

static void test_hwcan(const char *if0, const char *if1)
{
    static struct linux_can c0;
    static struct linux_can c1;
    enum hal_can_state s0 = HAL_CAN_STATE_STOPPED;
    enum hal_can_state s1 = HAL_CAN_STATE_STOPPED;

    linux_can_init(&c0, if0);
    linux_can_init(&c1, if1);
    int rc0 = hal_can_open(&c0.base, 500000);
    int rc1 = hal_can_open(&c1.base, 500000);
    check(rc0 == HAL_OK && rc1 == HAL_OK, "hwcan_open_500k", "%s rc=%d (%s), %s rc=%d (%s)", if0, rc0,
          hal_strerror(rc0), if1, rc1, hal_strerror(rc1));
    if (rc0 != HAL_OK || rc1 != HAL_OK) {
        return;
    }
    rc0 = hal_can_get_state(&c0.base, &s0);
    rc1 = hal_can_get_state(&c1.base, &s1);
    check(rc0 == HAL_OK && rc1 == HAL_OK && s0 == HAL_CAN_STATE_ACTIVE && s1 == HAL_CAN_STATE_ACTIVE,
          "hwcan_state_active", "rc=%d/%d state=%d/%d", rc0, rc1, (int)s0, (int)s1);
    rc0 = hal_can_restart(&c0.base);
    check(rc0 == HAL_OK, "hwcan_restart_when_active", "rc=%d (%s)", rc0, hal_strerror(rc0));

    pass_frame(&c0, &c1, "hwcan_std_can0_to_can1",
               frame(0x123, 0, 8, "\x01\x02\x03\x04\x05\x06\x07\x08"));
    pass_frame(&c0, &c1, "hwcan_ext_can0_to_can1", frame(0x18FF50E5, HAL_CAN_FLAG_EXT, 3, "\xAA\xBB\xCC"));
    pass_frame(&c1, &c0, "hwcan_std_dlc0_can1_to_can0", frame(0x7FF, 0, 0, NULL));

    /* Changing the rate of a running controller: stop, set, start inside open. */
    rc0 = hal_can_open(&c0.base, 250000);
    uint32_t rate = bitrate_of(if0);
    check(rc0 == HAL_OK && rate == 250000, "hwcan_open_changes_bitrate", "rc=%d (%s), bitrate now %u",
          rc0, hal_strerror(rc0), (unsigned)rate);
    rc0 = hal_can_open(&c0.base, 1);
    rate = bitrate_of(if0);
    check(rc0 == HAL_EINVAL && rate == 250000, "hwcan_open_bad_bitrate",
          "rc=%d (%s), bitrate now %u", rc0, hal_strerror(rc0), (unsigned)rate);
    rc0 = hal_can_open(&c0.base, 500000);
    rate = bitrate_of(if0);
    rc1 = hal_can_get_state(&c0.base, &s0);
    check(rc0 == HAL_OK && rate == 500000 && rc1 == HAL_OK && s0 == HAL_CAN_STATE_ACTIVE,
          "hwcan_open_restores_bitrate", "rc=%d (%s), bitrate now %u, state rc=%d state=%d", rc0,
          hal_strerror(rc0), (unsigned)rate, rc1, (int)s0);
    pass_frame(&c0, &c1, "hwcan_after_bitrate_change", frame(0x42, 0, 2, "\x12\x34"));

    hal_can_close(&c0.base);
    hal_can_close(&c1.base);
}

int main(int argc, char **argv)
{
    const char *vcan = "vcan0";
    char hw0[LINUX_CAN_IFNAME_SIZE] = "";
    char hw1[LINUX_CAN_IFNAME_SIZE] = "";

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vcan") == 0 && i + 1 < argc) {
            vcan = argv[++i];
        } else if (strcmp(argv[i], "--hwcan") == 0 && i + 1 < argc &&
                   sscanf(argv[++i], "%15[^,],%15s", hw0, hw1) == 2) {
            continue;
        } else {
            fprintf(stderr, "usage: %s [--vcan IF] [--hwcan IF0,IF1]\n", argv[0]);
            return 2;
        }
    }
    test_vcan(vcan);
    if (hw0[0] != '\0') {
        test_hwcan(hw0, hw1);
    }
    printf("%d passed, %d failed\n", s_passed, s_failed);
    return s_failed == 0 ? 0 : 1;
}
