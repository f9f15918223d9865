/* cbsomsim - a simulated chargebyte Charge SOM safety controller on a pseudo-terminal:
 * the device side of protocols/chargesom (cbsom_device.c: the controller's rules, over
 * the same codec the charger's host side uses) and the plant behind it. It is the independent judge of the power path in the boardio
 * tests: it keeps the interlock on its own (contactors close only in CP state C or D with
 * no error and the host asking; they open and the controller enters its safe state, CP F,
 * reason 2, when the host's ChargeControl1 stops for --timeout-ms), as spec
 * linux-board-io.md §3.5, §3.12 and §8.3 describe the real one.
 *
 *   cbsomsim [--link PATH] [--ctl FIFO] [--timeout-ms N] [--version MAJ.MIN.BUILD]
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_plant.h"

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

static int sim_usage(void)
{
    fprintf(stderr, "usage: cbsomsim [--link PATH] [--ctl FIFO] [--timeout-ms N (50..10000, 300)] "
                    "[--version MAJ.MIN.BUILD (0.3.1)]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct sim s;
    const char *link = NULL, *ctl = NULL;
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
    s.ser.base.ops = &sim_ser_ops;
    s.ser.fd = s.master;
    uint32_t now = sim_now();
    (void)cbsom_device_init(&s.dev, &dc, &s.ser.base, now);
    cbsom_watch_init(&s.watch, &s.dev);
    printf("cbsomsim: tty %s, firmware %u.%u.%u, host timeout %u ms\n", name, maj, min, build, dc.timeout_ms);
    fflush(stdout);
    while (!s_stop) {
        struct pollfd p[2] = {{s.master, POLLIN, 0}, {s.ctl, POLLIN, 0}};
        (void)poll(p, 2, 5);
        now = sim_now();
        if ((p[1].revents & POLLIN) != 0) {
            sim_read_ctl(&s, now);
        }
        cbsom_device_step(&s.dev, now);
        sim_report_changes(&s, NULL);
    }
    printf("cbsomsim: stopped: %u control, %u inquiries, %u other frames received; %u bad CRC, %u bad frames, "
           "%u bytes skipped; %u sent; %u safe-state entries\n",
           s.dev.rx_cc, s.dev.rx_inquiry, s.dev.rx_other, s.dev.parser.bad_crc, s.dev.parser.bad_frame,
           s.dev.parser.skipped, s.dev.tx_frames, s.dev.safe_entries);
    if (link != NULL) {
        (void)unlink(link);
    }
    return 0;
}
