/* cbsomsim - a simulated chargebyte Charge SOM safety controller on a pseudo-terminal:
 * the device side of protocols/chargesom (cbsom_device.c: the controller's rules, over
 * the same codec the charger's host side uses) and the plant behind it. It is the independent judge of the power path in the boardio
 * tests: it keeps the interlock on its own (contactors close only in CP state C or D with
 * no error and the host asking; they open and the controller enters its safe state, CP F,
 * reason 2, when the host's ChargeControl1 stops for --timeout-ms), as spec
 * linux-board-io.md §3.5, §3.12 and §8.3 describe the real one.
 *
 *   cbsomsim [--link PATH] [--ctl FIFO] [--timeout-ms N] [--version MAJ.MIN.BUILD]
 *            [--pilot SOCK] [--stage SOCK] [--load FIFO] [--trace FILE] [--status FILE]
 *            [--power-down-ms N]
 *
 * With --pilot the car is tools/evsim on that Unix datagram socket (`evsim --pilot SOCK`,
 * the wire of `charger --sim-plant`); with --stage the power stage's emulator reports its
 * output there (`infysim --stage-to SOCK`) and --load is its FIFO, where the car's battery
 * is switched onto the output while the path is closed; --trace records the plant every
 * 5 ms for tools/faults/judge.c and --status writes its monitor at exit
 * (sim/sim_cbsom_plant.h): the fault judge reads the plant from outside the charger.
 *
 * Prints "cbsomsim: tty /dev/pts/N" first (and symlinks PATH to it), then one line per
 * event. Commands, one per line on the FIFO (or stdin without --ctl):
 *   car A|B|C|D       the car's pilot state (A = unplugged)
 *   diode 0|1         the car's diode present (1) or missing (0)
 *   estop N 0|1       e-stop input N (1..3) released / tripped
 *   reboot            the controller restarts: silent for 500 ms, then in init
 *   reset             the host's reset line: leave the safe state, back to init
 *   garbage N         send N bytes of noise on the line
 *   status            one line: phase, CP, contactors, counters
 *   quit
 * (the verbs and the event lines are protocols/chargesom/cbsom_plant.c's, which the
 * Cortex-M co-processor image board/mps2-an386/coproc.c takes too).
 * SIGTERM/SIGINT end it; the last line is a summary with its counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chargesom/cbsom_device.h"
#include "hal_clock.h"
#include "chargesom/cbsom_plant.h"
#include "sim_cbsom_plant.h"

/* The pty master as a hal_serial: the device side of protocols/chargesom talks through it. */
struct sim_serial {
    struct hal_serial base;
    int fd;
};

static int sim_ser_open(struct hal_serial *s, const struct hal_serial_config *c)
{
    (void)s;
    (void)c;
    return HAL_OK;
}
static int sim_ser_write(struct hal_serial *hs, const uint8_t *b, size_t n, size_t *w)
{
    ssize_t r = write(((struct sim_serial *)hs)->fd, b, n);
    *w = r > 0 ? (size_t)r : 0;
    return r > 0 ? HAL_OK : HAL_EAGAIN;
}
static int sim_ser_read(struct hal_serial *hs, uint8_t *b, size_t cap, size_t *n)
{
    ssize_t r = read(((struct sim_serial *)hs)->fd, b, cap);
    *n = r > 0 ? (size_t)r : 0;
    return r > 0 ? HAL_OK : HAL_EAGAIN;
}
static void sim_ser_close(struct hal_serial *s)
{
    (void)s;
}
static const struct hal_serial_ops sim_ser_ops = {sim_ser_open, sim_ser_write, sim_ser_read, sim_ser_close};

struct sim {
    int master, slave, ctl;
    struct sim_serial ser;
    struct cbsom_device dev;
    struct cbsom_watch watch; /* what was last printed, to print changes */
    char line[128];
    size_t line_len;
    /* the plant outside the charger (all optional) */
    struct sim_cbsom_plant plant;
    int pilot_fd, stage_fd, load_fd;
    char pilot_path[108], stage_path[108], peer[108];
    bool have_peer;
    enum cbsom_cp car_cp; /**< what the wire last set (CBSOM_CP_UNKNOWN: never) */
    bool car_diode;
    char car_tx[96];
    uint32_t car_tx_ms, sample_at_ms;
    FILE *trace;
};

static volatile sig_atomic_t s_stop;

static void sim_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint32_t sim_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void sim_emit(void *ctx, const char *line)
{
    (void)ctx;
    printf("cbsomsim: %s\n", line);
}

/* One line per change of the controller: the judge's record for the tests (the lines are
 * protocols/chargesom/cbsom_plant.c's, shared with the Cortex-M co-processor image). */
static void sim_report_changes(struct sim *s, const char *why)
{
    (void)cbsom_watch_poll(&s->watch, &s->dev, why, sim_emit, NULL);
    fflush(stdout);
}

static void sim_garbage(struct sim *s, uint32_t count)
{
    uint8_t junk[64];
    for (uint32_t i = 0; i < count; i += (uint32_t)sizeof junk) {
        for (size_t k = 0; k < sizeof junk; k++) {
            junk[k] = (uint8_t)rand();
        }
        size_t len = count - i < sizeof junk ? count - i : sizeof junk;
        if (write(s->master, junk, len) < 0) {
            break;
        }
    }
    printf("cbsomsim: sent %u bytes of noise\n", (unsigned)count);
}

static void sim_command(struct sim *s, char *line, uint32_t now)
{
    struct cbsom_plant_cmd c;
    switch (cbsom_plant_command(&s->dev, line, now, &c)) {
    case CBSOM_PLANT_EMPTY:
        return;
    case CBSOM_PLANT_GARBAGE:
        sim_garbage(s, c.garbage);
        break;
    case CBSOM_PLANT_QUIT:
        s_stop = 1;
        break;
    case CBSOM_PLANT_DONE:
    case CBSOM_PLANT_BAD:
        break;
    }
    if (c.reply[0] != '\0') {
        printf("cbsomsim: %s\n", c.reply);
    }
    sim_report_changes(s, c.why);
}

static void sim_read_ctl(struct sim *s, uint32_t now)
{
    char buf[256];
    ssize_t n = read(s->ctl, buf, sizeof buf);
    if (n == 0) {
        s->ctl = -1; /* stdin at its end: stop watching it (poll would report it forever) */
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || s->line_len + 1 >= sizeof s->line) {
            s->line[s->line_len] = '\0';
            sim_command(s, s->line, now);
            s->line_len = 0;
        } else {
            s->line[s->line_len++] = buf[i];
        }
    }
}

/* A Unix datagram socket bound at @p path (an old one replaced), or -1. */
static int sim_bind(const char *path, char *keep, size_t cap)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path || strlen(path) >= cap) {
        fprintf(stderr, "cbsomsim: socket path too long: %s\n", path);
        return -1;
    }
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    snprintf(keep, cap, "%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "cbsomsim: cannot bind %s: %s\n", path, strerror(errno));
        return -1;
    }
    return fd;
}

/* The car's messages (from evsim), the stage's reports (from infysim). */
static void sim_plant_rx(struct sim *s, uint32_t now)
{
    char buf[160];
    for (int k = 0; k < 32 && s->stage_fd >= 0; k++) {
        ssize_t n = recv(s->stage_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n < 0) {
            break;
        }
        buf[n] = '\0';
        (void)sim_cbsom_plant_stage_msg(&s->plant, buf, now);
    }
    for (int k = 0; k < 32 && s->pilot_fd >= 0; k++) {
        struct sockaddr_un from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s->pilot_fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            break;
        }
        buf[n] = '\0';
        if (sim_cbsom_plant_car_msg(&s->plant, buf, now) != 0) {
            printf("cbsomsim: malformed pilot-wire message ignored\n");
            continue;
        }
        if (fl > offsetof(struct sockaddr_un, sun_path) && from.sun_path[0] != '\0') {
            snprintf(s->peer, sizeof s->peer, "%s", from.sun_path);
            s->have_peer = true;
        }
    }
    if (s->pilot_fd >= 0) {
        /* the car's resistors and diode are the controller's CP input */
        enum cbsom_cp cp = sim_cbsom_plant_cp(&s->plant, now);
        bool diode = cp == CBSOM_CP_A || s->plant.car.diode;
        if (cp != s->car_cp || diode != s->car_diode) {
            cbsom_device_set_car(&s->dev, cp, diode);
            s->car_cp = cp;
            s->car_diode = diode;
            sim_report_changes(s, "car");
        }
    }
}

/* After the controller's step: the load, the car's view, the record. */
static void sim_plant_tx(struct sim *s, uint32_t now)
{
    char msg[96];
    if (s->load_fd >= 0) {
        int n = sim_cbsom_plant_load_cmd(&s->plant, &s->dev, msg, sizeof msg, now);
        if (n > 0 && write(s->load_fd, msg, (size_t)n) == n) {
            sim_cbsom_plant_load_sent(&s->plant, &s->dev, now);
        }
    }
    if (s->have_peer) {
        int n = sim_cbsom_plant_car_reply(&s->plant, &s->dev, msg, sizeof msg, now);
        if (strcmp(msg, s->car_tx) != 0 || now - s->car_tx_ms >= 20u) {
            struct sockaddr_un to = {.sun_family = AF_UNIX};
            snprintf(to.sun_path, sizeof to.sun_path, "%s", s->peer);
            (void)sendto(s->pilot_fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
            memcpy(s->car_tx, msg, (size_t)n + 1);
            s->car_tx_ms = now;
        }
    }
    if (s->trace != NULL) {
        bool moved = s->plant.have_prev && (s->dev.closed[0] != ((s->plant.prev.bits & 0x01u) != 0) ||
                                            s->dev.closed[1] != ((s->plant.prev.bits & 0x02u) != 0));
        if (moved || hal_time_reached(now, s->sample_at_ms)) {
            struct sim_cbsom_sample x;
            sim_cbsom_plant_sample(&s->plant, &s->dev, now, &x);
            /* the judge's trace line; the charger's state, EVSE status and modules come
             * from the charger's own --state-trace (merged by time in the judge) */
            fprintf(s->trace, "%lu %ld %ld %u\n", (unsigned long)x.t, (long)x.mv, (long)x.ma, (unsigned)x.bits);
            s->sample_at_ms = now + 5u;
        }
    }
}

static int sim_usage(void)
{
    fprintf(stderr, "usage: cbsomsim [--link PATH] [--ctl FIFO] [--timeout-ms N (50..10000, 300)] "
                    "[--version MAJ.MIN.BUILD (0.3.1)]\n"
                    "                [--pilot SOCK] [--stage SOCK] [--load FIFO] [--trace FILE] [--status FILE]\n"
                    "                [--power-down-ms N (100..60000, 1500)]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct sim s;
    const char *link = NULL, *ctl = NULL, *pilot = NULL, *stage = NULL, *load = NULL, *trace = NULL,
               *status = NULL;
    unsigned long power_down_ms = 1500;
    unsigned maj = 0, min = 3, build = 1;
    struct cbsom_device_config dc;
    cbsom_device_default_config(&dc);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            (void)sim_usage();
            return 0;
        }
        if (i + 1 >= argc) {
            return sim_usage();
        }
        if (strcmp(argv[i], "--link") == 0) {
            link = argv[++i];
        } else if (strcmp(argv[i], "--ctl") == 0) {
            ctl = argv[++i];
        } else if (strcmp(argv[i], "--timeout-ms") == 0) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v < 50 || v > 10000) {
                fprintf(stderr, "cbsomsim: --timeout-ms: 50..10000, got '%s'\n", argv[i]);
                return 2;
            }
            dc.timeout_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "--pilot") == 0) {
            pilot = argv[++i];
        } else if (strcmp(argv[i], "--stage") == 0) {
            stage = argv[++i];
        } else if (strcmp(argv[i], "--load") == 0) {
            load = argv[++i];
        } else if (strcmp(argv[i], "--trace") == 0) {
            trace = argv[++i];
        } else if (strcmp(argv[i], "--status") == 0) {
            status = argv[++i];
        } else if (strcmp(argv[i], "--power-down-ms") == 0) {
            char *end;
            power_down_ms = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || power_down_ms < 100 || power_down_ms > 60000) {
                fprintf(stderr, "cbsomsim: --power-down-ms: 100..60000, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--version") == 0) {
            if (sscanf(argv[++i], "%u.%u.%u", &maj, &min, &build) != 3 || maj > 255 || min > 255 || build > 255) {
                fprintf(stderr, "cbsomsim: --version: MAJ.MIN.BUILD, got '%s'\n", argv[i]);
                return 2;
            }
        } else {
            return sim_usage();
        }
    }
    dc.version = (struct cbsom_version){(uint8_t)maj, (uint8_t)min, (uint8_t)build, 0x81, 3};
    char name[128];
    if (openpty(&s.master, &s.slave, name, NULL, NULL) != 0) {
        fprintf(stderr, "cbsomsim: openpty: %s\n", strerror(errno));
        return 1;
    }
    /* Raw at once (no echo of our frames back to us), and our own slave fd kept open so
     * the master never sees a hang-up while the host is away. */
    struct termios t;
    tcgetattr(s.slave, &t);
    cfmakeraw(&t);
    tcsetattr(s.slave, TCSANOW, &t);
    fcntl(s.master, F_SETFL, fcntl(s.master, F_GETFL) | O_NONBLOCK);
    if (link != NULL) {
        (void)unlink(link);
        if (symlink(name, link) != 0) {
            fprintf(stderr, "cbsomsim: --link %s: %s\n", link, strerror(errno));
            return 1;
        }
    }
    s.ctl = ctl != NULL ? open(ctl, O_RDWR | O_NONBLOCK) : STDIN_FILENO;
    if (s.ctl < 0) {
        fprintf(stderr, "cbsomsim: --ctl %s: %s\n", ctl, strerror(errno));
        return 1;
    }
    signal(SIGTERM, sim_on_signal);
    signal(SIGINT, sim_on_signal);
    signal(SIGPIPE, SIG_IGN);
    s.pilot_fd = s.stage_fd = s.load_fd = -1;
    s.car_cp = CBSOM_CP_UNKNOWN;
    if ((pilot != NULL && (s.pilot_fd = sim_bind(pilot, s.pilot_path, sizeof s.pilot_path)) < 0) ||
        (stage != NULL && (s.stage_fd = sim_bind(stage, s.stage_path, sizeof s.stage_path)) < 0)) {
        return 1;
    }
    if (load != NULL && (s.load_fd = open(load, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        fprintf(stderr, "cbsomsim: --load %s: %s (is infysim --ctl running?)\n", load, strerror(errno));
        return 1;
    }
    if (trace != NULL) {
        s.trace = fopen(trace, "w");
        if (s.trace == NULL) {
            fprintf(stderr, "cbsomsim: --trace %s: %s\n", trace, strerror(errno));
            return 1;
        }
        setvbuf(s.trace, NULL, _IOLBF, 0); /* the fault harness follows it */
    }
    s.ser.base.ops = &sim_ser_ops;
    s.ser.fd = s.master;
    uint32_t now = sim_now();
    (void)cbsom_device_init(&s.dev, &dc, &s.ser.base, now);
    cbsom_watch_init(&s.watch, &s.dev);
    sim_cbsom_plant_init(&s.plant, (uint32_t)power_down_ms, now);
    printf("cbsomsim: tty %s, firmware %u.%u.%u, host timeout %u ms\n", name, maj, min, build, dc.timeout_ms);
    fflush(stdout);
    while (!s_stop) {
        struct pollfd p[4] = {{s.master, POLLIN, 0}, {s.ctl, POLLIN, 0}, {s.pilot_fd, POLLIN, 0},
                              {s.stage_fd, POLLIN, 0}};
        (void)poll(p, 4, 5);
        now = sim_now();
        if ((p[1].revents & (POLLIN | POLLHUP)) != 0) {
            sim_read_ctl(&s, now);
        }
        sim_plant_rx(&s, now);
        cbsom_device_step(&s.dev, now);
        sim_report_changes(&s, NULL);
        sim_plant_tx(&s, now);
    }
    printf("cbsomsim: stopped: %u control, %u inquiries, %u other frames received; %u bad CRC, %u bad frames, "
           "%u bytes skipped; %u sent; %u safe-state entries\n",
           s.dev.rx_cc, s.dev.rx_inquiry, s.dev.rx_other, s.dev.parser.bad_crc, s.dev.parser.bad_frame,
           s.dev.parser.skipped, s.dev.tx_frames, s.dev.safe_entries);
    if (link != NULL) {
        (void)unlink(link);
    }
    if (s.trace != NULL) {
        fclose(s.trace);
    }
    if (status != NULL) {
        char body[512], tmp[512];
        (void)sim_cbsom_plant_status(&s.plant, body, sizeof body);
        snprintf(tmp, sizeof tmp, "%s.tmp", status);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fputs(body, f) < 0 || fclose(f) != 0 || rename(tmp, status) != 0) {
            fprintf(stderr, "cbsomsim: --status %s: %s\n", status, strerror(errno));
            return 1;
        }
    }
    if (s.pilot_fd >= 0) {
        (void)unlink(s.pilot_path);
    }
    if (s.stage_fd >= 0) {
        (void)unlink(s.stage_path);
    }
    return 0;
}
