/* cbsomsim - a simulated chargebyte Charge SOM safety controller on a pseudo-terminal:
 * the device side of protocols/chargesom (the same codec the charger's host side uses)
 * and the plant behind it. It is the independent judge of the power path in the boardio
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
 *   quit
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

#include "chargesom/cbsom_frame.h"

#define SIM_PERIOD_MS 100u
#define SIM_BOOT_MS 500u /* reset pulse, then the 300 ms start-up of spec §3.1 */

enum sim_phase { SIM_BOOT, SIM_INIT, SIM_RUNNING, SIM_SAFE };

struct sim {
    int master, slave, ctl;
    enum sim_phase phase;
    uint32_t phase_ms, last_cc_ms, last_tx_ms, timeout_ms;
    struct cbsom_parser parser;
    struct cbsom_control cc;
    struct cbsom_version ver;
    enum cbsom_cp car;
    bool diode;
    bool estop[3];
    bool closed[CBSOM_CONTACTORS];
    uint8_t reason;
    uint32_t rx_cc, rx_inq, rx_other, tx_frames, safe_entries;
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

static void sim_say(const char *fmt, const char *a, long n)
{
    printf("cbsomsim: ");
    printf(fmt, a, n);
    printf("\n");
    fflush(stdout);
}

static void sim_send(struct sim *s, const struct cbsom_frame *f)
{
    uint8_t b[CBSOM_FRAME_LEN];
    cbsom_frame_encode(f, b);
    /* A pty master takes 12 bytes unless the host stopped reading for kilobytes: then a
     * frame is lost, as on a UART whose receiver overflows. */
    if (write(s->master, b, sizeof b) == (ssize_t)sizeof b) {
        s->tx_frames++;
    }
}

/* What the controller measures on CP: its own output first (0 V, -12 V), then the car. */
static enum cbsom_cp sim_cp(const struct sim *s)
{
    if (s->phase != SIM_RUNNING) {
        return s->phase == SIM_SAFE ? CBSOM_CP_F : CBSOM_CP_E;
    }
    if (!s->cc.pwm_active) {
        return CBSOM_CP_E;
    }
    if (s->cc.duty == 0) {
        return CBSOM_CP_F;
    }
    return s->car;
}

static bool sim_estop_any(const struct sim *s)
{
    return s->estop[0] || s->estop[1] || s->estop[2];
}

static void sim_interlock(struct sim *s)
{
    enum cbsom_cp cp = sim_cp(s);
    bool ok = s->phase == SIM_RUNNING && (cp == CBSOM_CP_C || cp == CBSOM_CP_D) && !sim_estop_any(s);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        bool want = ok && s->cc.contactor[i];
        if (want != s->closed[i]) {
            s->closed[i] = want;
            printf("cbsomsim: contactor %u %s (cp %s)\n", i + 1, want ? "closed" : "open", cbsom_cp_name(cp));
            fflush(stdout);
        }
    }
}

static void sim_safe(struct sim *s, uint8_t reason, uint32_t now)
{
    if (s->phase == SIM_SAFE) {
        return;
    }
    s->phase = SIM_SAFE;
    s->reason = reason;
    s->safe_entries++;
    sim_interlock(s);
    printf("cbsomsim: safe state, reason %u, host silent for %u ms\n", reason, now - s->last_cc_ms);
    fflush(stdout);
}

static void sim_report(struct sim *s)
{
    struct cbsom_state st;
    memset(&st, 0, sizeof st);
    enum cbsom_cp cp = sim_cp(s);
    st.safe_state = s->phase == SIM_SAFE ? 1 : 0;
    st.pwm_active = s->phase == SIM_SAFE ? true : s->cc.pwm_active;
    st.duty = s->phase == SIM_SAFE || !s->cc.pwm_active ? 0 : s->cc.duty;
    st.cp = cp;
    st.diode_fault = s->phase == SIM_RUNNING && !s->diode && s->car != CBSOM_CP_A && st.duty > 0 && st.duty < 1000;
    st.hv_ready = s->phase == SIM_RUNNING && (cp == CBSOM_CP_C || cp == CBSOM_CP_D) && !sim_estop_any(s);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        st.contactor[i] = i < 2 ? (s->closed[i] ? CBSOM_CONT_CLOSED : CBSOM_CONT_OPEN) : CBSOM_CONT_UNUSED;
        st.estop[i] = s->estop[i] ? CBSOM_ESTOP_TRIPPED : (i == 0 ? CBSOM_ESTOP_OK : CBSOM_ESTOP_UNUSED);
    }
    st.reason = s->phase == SIM_SAFE ? s->reason : 0;
    struct cbsom_frame f;
    cbsom_state_encode(&st, &f);
    sim_send(s, &f);
    struct cbsom_temps t;
    memset(&t, 0, sizeof t);
    t.deci_c[0] = 253;
    t.used[0] = true;
    cbsom_temps_encode(&t, &f);
    sim_send(s, &f);
}

static void sim_on_frame(struct sim *s, const struct cbsom_frame *f, uint32_t now)
{
    struct cbsom_control c;
    if (s->phase == SIM_BOOT) {
        return; /* in reset: deaf */
    }
    if (f->id == CBSOM_ID_INQUIRY) {
        s->rx_inq++;
        struct cbsom_frame a;
        if (f->payload[0] == CBSOM_ID_FW_VERSION) {
            cbsom_version_encode(&s->ver, &a);
            sim_send(s, &a);
        } else if (f->payload[0] == CBSOM_ID_GIT_HASH) {
            memset(&a, 0, sizeof a);
            a.id = CBSOM_ID_GIT_HASH;
            memcpy(a.payload, "\x20\x26\x12\x05\xc0\xff\xee\x00", 8);
            sim_send(s, &a);
        }
        return;
    }
    if (!cbsom_control_decode(f, &c)) {
        s->rx_other++;
        return;
    }
    s->rx_cc++;
    s->last_cc_ms = now;
    if (s->phase == SIM_INIT) {
        s->phase = SIM_RUNNING;
        s->phase_ms = now;
        sim_say("running (first ChargeControl1)%s", "", 0);
    }
    if (s->phase != SIM_RUNNING) {
        return;
    }
    if (c.pwm_active != s->cc.pwm_active || c.duty != s->cc.duty) {
        printf("cbsomsim: pilot %s duty %u\n", c.pwm_active ? "on" : "off", c.duty);
        fflush(stdout);
    }
    s->cc = c;
    sim_interlock(s);
}

static void sim_restart(struct sim *s, enum sim_phase p, uint32_t now)
{
    s->phase = p;
    s->phase_ms = now;
    memset(&s->cc, 0, sizeof s->cc);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (s->closed[i]) {
            printf("cbsomsim: contactor %u open (restart)\n", i + 1);
        }
        s->closed[i] = false;
    }
    s->reason = 0;
    cbsom_parser_flush(&s->parser);
    fflush(stdout);
}

static void sim_command(struct sim *s, char *line, uint32_t now)
{
    char w[16];
    int a = 0, b = 0;
    int n = sscanf(line, "%15s %d %d", w, &a, &b);
    if (n < 1) {
        return;
    }
    if (strcmp(w, "car") == 0) {
        char st = 0;
        if (sscanf(line, "car %c", &st) == 1 && st >= 'A' && st <= 'D') {
            s->car = (enum cbsom_cp)(CBSOM_CP_A + (st - 'A'));
            sim_interlock(s);
            printf("cbsomsim: car %c\n", st);
        }
    } else if (strcmp(w, "diode") == 0 && n >= 2) {
        s->diode = a != 0;
    } else if (strcmp(w, "estop") == 0 && n == 3 && a >= 1 && a <= 3) {
        s->estop[a - 1] = b != 0;
        printf("cbsomsim: e-stop %d %s\n", a, b ? "tripped" : "released");
        if (b && s->phase == SIM_RUNNING) {
            sim_safe(s, (uint8_t)(CBSOM_REASON_ESTOP1 + (unsigned)(a - 1)), now);
        }
    } else if (strcmp(w, "reboot") == 0) {
        printf("cbsomsim: reboot\n");
        sim_restart(s, SIM_BOOT, now);
    } else if (strcmp(w, "reset") == 0) {
        printf("cbsomsim: reset\n");
        sim_restart(s, SIM_INIT, now);
    } else if (strcmp(w, "garbage") == 0 && n >= 2 && a > 0 && a <= 4096) {
        uint8_t junk[64];
        for (int i = 0; i < a; i += (int)sizeof junk) {
            for (size_t k = 0; k < sizeof junk; k++) {
                junk[k] = (uint8_t)rand();
            }
            size_t len = (size_t)(a - i) < sizeof junk ? (size_t)(a - i) : sizeof junk;
            if (write(s->master, junk, len) < 0) {
                break;
            }
        }
        printf("cbsomsim: sent %d bytes of noise\n", a);
    } else if (strcmp(w, "quit") == 0) {
        s_stop = 1;
    } else {
        printf("cbsomsim: unknown command: %s\n", line);
    }
    fflush(stdout);
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
    s.timeout_ms = 300;
    for (int i = 1; i < argc; i++) {
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
            s.timeout_ms = (uint32_t)v;
        } else if (strcmp(argv[i], "--version") == 0) {
            if (sscanf(argv[++i], "%u.%u.%u", &maj, &min, &build) != 3 || maj > 255 || min > 255 || build > 255) {
                fprintf(stderr, "cbsomsim: --version: MAJ.MIN.BUILD, got '%s'\n", argv[i]);
                return 2;
            }
        } else {
            return sim_usage();
        }
    }
    s.ver = (struct cbsom_version){(uint8_t)maj, (uint8_t)min, (uint8_t)build, 0x81, 3};
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
    cbsom_parser_init(&s.parser);
    s.car = CBSOM_CP_A;
    s.diode = true;
    uint32_t now = sim_now();
    sim_restart(&s, SIM_INIT, now);
    printf("cbsomsim: tty %s, firmware %u.%u.%u, host timeout %u ms\n", name, maj, min, build, s.timeout_ms);
    fflush(stdout);
    while (!s_stop) {
        struct pollfd p[2] = {{s.master, POLLIN, 0}, {s.ctl, POLLIN, 0}};
        (void)poll(p, 2, 5);
        now = sim_now();
        if ((p[1].revents & POLLIN) != 0) {
            sim_read_ctl(&s, now);
        }
        uint8_t buf[256];
        ssize_t n;
        while ((n = read(s.master, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                struct cbsom_frame f;
                if (cbsom_parser_feed(&s.parser, buf[i], &f)) {
                    sim_on_frame(&s, &f, now);
                }
            }
        }
        if (s.phase == SIM_BOOT && now - s.phase_ms >= SIM_BOOT_MS) {
            sim_restart(&s, SIM_INIT, now);
            sim_say("init (after reboot)%s", "", 0);
        }
        if (s.phase == SIM_RUNNING && now - s.last_cc_ms > s.timeout_ms) {
            sim_safe(&s, CBSOM_REASON_COMM_TIMEOUT, now);
        }
        if ((s.phase == SIM_RUNNING || s.phase == SIM_SAFE) && now - s.last_tx_ms >= SIM_PERIOD_MS) {
            s.last_tx_ms = now;
            sim_report(&s);
        }
    }
    printf("cbsomsim: stopped: %u control, %u inquiries, %u other frames received; %u bad CRC, %u bad frames, "
           "%u bytes skipped; %u sent; %u safe-state entries\n",
           s.rx_cc, s.rx_inq, s.rx_other, s.parser.bad_crc, s.parser.bad_frame, s.parser.skipped, s.tx_frames,
           s.safe_entries);
    if (link != NULL) {
        (void)unlink(link);
    }
    return 0;
}
