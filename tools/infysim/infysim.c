/*
 * infysim: emulates InfyPower REG/CEG/LRG modules (CAN protocol V1.13) on a CAN
 * interface through the Linux HAL, for integration tests and bring-up without a cabinet.
 * The module model is sim/sim_infy.c (the host-only simulation layer), the one the simulator board uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux_can.h"
#include "linux_loop.h"
#include "sim_cbsom_plant.h"
#include "sim_infy.h"

static volatile sig_atomic_t s_stop;

static void infysim_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct infysim {
    struct sim_infy model;
    struct linux_can can;
    struct linux_loop loop;
    int ctl_fd;
    char ctl_buf[256];
    size_t ctl_len;
    bool quiet;
    uint32_t internal_period_ms;
    uint32_t internal_at_ms;
    struct hal_can_frame held;
    bool holding;
    /* --stage-to: the output as the modules' model has it, for a plant outside the
     * charger (tools/cbsomsim, sim/sim_cbsom_plant.h) */
    int stage_fd;
    struct sockaddr_un stage_to;
    struct sim_cbsom_stage stage_sent;
    uint32_t stage_at_ms;
    bool stage_any;
};

static struct infysim s_app;

/* The output for the plant outside the charger: sent when it changed and answers are about
 * to go out (so the plant never learns the output later than the charger's driver can),
 * and every 100 ms (quiet_ms moves on while the bus is silent). */
static void stage_report(struct infysim *a, uint32_t now, bool answering)
{
    if (a->stage_fd < 0) {
        return;
    }
    struct sim_cbsom_stage st = {.on = false, .mv = a->model.out_mv, .ma = a->model.out_ma, .quiet_ms = UINT32_MAX};
    for (int k = 0; k < a->model.n; k++) {
        st.on = st.on || a->model.mod[k].on; /* commanded on (a ramp-down shows in ma) */
        uint32_t q = now - a->model.mod[k].last_heard_ms;
        st.quiet_ms = q < st.quiet_ms ? q : st.quiet_ms;
    }
    bool changed = !a->stage_any || st.on != a->stage_sent.on || st.mv != a->stage_sent.mv ||
                   st.ma != a->stage_sent.ma;
    if (!(changed && answering) && !hal_time_reached(now, a->stage_at_ms)) {
        return;
    }
    char msg[96];
    int n = sim_cbsom_plant_format_stage(msg, sizeof msg, &st);
    /* a plant not (yet) listening is no error: the next report goes out anyway */
    (void)sendto(a->stage_fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&a->stage_to, sizeof a->stage_to);
    a->stage_sent = st;
    a->stage_any = true;
    a->stage_at_ms = now + 100u;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: infysim --can IF (--modules LIST | --group G --count N) [options]\n"
            "Emulates InfyPower V1.13 power modules on a CAN interface.\n"
            "\n"
            "  --can IF            CAN interface (e.g. vcan0, can0)\n"
            "  --modules LIST      fixed addresses: 0,1,2 or 0-59 (hex with 0x)\n"
            "  --group G           dialled group number (group addressing)\n"
            "  --count N           modules in the group: addresses 0..N-1\n"
            "  --rating V:V:A:W    max V, min V, max A, rated W of every module\n"
            "                      (default 1000:50:100:30000)\n"
            "  --rating-of ADDR=V:V:A:W  rating of one module (after --modules/--count)\n"
            "  --load-ohm R        resistive load on the output (default 10)\n"
            "  --battery V:OHM     battery load: open-circuit voltage and internal resistance\n"
            "  --ctl PATH          FIFO for run-time commands, one per line:\n"
            "                        fault ADDR|all otp|fan|short|clash|stuck|none\n"
            "                        mute ADDR|all     (stop answering: off the bus)\n"
            "                        unmute ADDR|all   (come back)\n"
            "                        status            (one line per module on stdout)\n"
            "                        load open|battery V:OHM|ohm R  (the output's load; open\n"
            "                                          = no load, the output sits at the setpoint)\n"
            "                        quit\n"
            "  --stage-to SOCK     report the output to a plant's Unix datagram socket (cbsomsim\n"
            "                      --stage): \"stage on=0|1 mv=N ma=N quiet_ms=N\" on a change,\n"
            "                      before the answers to a request go out, and every 100 ms\n"
            "  --internal-hz N     also send N module-internal 0x17 frames per second\n"
            "  --run-s S           exit after S seconds (default: until SIGINT/SIGTERM)\n"
            "  --quiet             print only warnings\n"
            "  -h, --help          this text\n"
            "\n"
            "Every module answers 0x02 0x03 0x04 0x0A 0x0B 0x0C 0x1A 0x1C, ramps its output\n"
            "toward the setpoint into the load, and switches off after 10 s without\n"
            "controller traffic. Events go to stdout. Exit status: 0 ok, 1 CAN failure,\n"
            "2 bad arguments.\n");
}

static void say(struct infysim *a, const char *fmt, const char *m1, unsigned addr)
{
    uint32_t now = hal_clock_now_ms(&a->loop.base);
    printf("%5lu.%03lu infysim: ", (unsigned long)(now / 1000u), (unsigned long)(now % 1000u));
    printf(fmt, addr, m1);
    printf("\n");
    fflush(stdout);
}

static void on_event(void *ctx, const struct sim_infy_module *m, const char *what)
{
    struct infysim *a = ctx;
    if (strcmp(what, "setpoint") == 0) {
        if (!a->quiet) {
            char buf[64];
            snprintf(buf, sizeof buf, "setpoint %.1f V %.2f A", m->set_mv / 1000.0, m->set_ma / 1000.0);
            say(a, "module 0x%02X %s", buf, m->addr);
        }
        return;
    }
    if (!a->quiet || strncmp(what, "watchdog", 8) == 0) {
        say(a, "module 0x%02X %s", what, m->addr);
    }
}

static int parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (*s == '\0' || errno != 0 || v < lo || v > hi || (end != NULL && *end != '\0')) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_rating(const char *s, struct sim_infy_rating *r)
{
    double vmax, vmin, a, w;
    if (sscanf(s, "%lf:%lf:%lf:%lf", &vmax, &vmin, &a, &w) != 4 || vmax < 1 || vmax > 65535 ||
        vmin < 0 || vmin > vmax || a <= 0 || a > 6553.5 || w <= 0 || w > 655350) {
        return -1;
    }
    r->max_v = (uint16_t)vmax;
    r->min_v = (uint16_t)vmin;
    r->max_ma = (uint32_t)(a * 1000.0 + 0.5);
    r->power_w = (uint32_t)w;
    return 0;
}

static int parse_list(const char *s, uint8_t *out, int *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        char *dash = strchr(tok + 1, '-');
        unsigned long a, b;
        if (dash != NULL) {
            *dash = '\0';
            if (parse_u(tok, 0, 0x3B, &a) != 0 || parse_u(dash + 1, 0, 0x3B, &b) != 0 || b < a) {
                return -1;
            }
        } else {
            if (parse_u(tok, 0, 0x3B, &a) != 0) {
                return -1;
            }
            b = a;
        }
        for (unsigned long v = a; v <= b; v++) {
            if (*n >= SIM_INFY_MAX) {
                return -1;
            }
            out[(*n)++] = (uint8_t)v;
        }
    }
    return *n > 0 ? 0 : -1;
}

static void ctl_apply(struct infysim *a, char *line)
{
    char cmd[16] = "", who[16] = "", arg[16] = "";
    int n = sscanf(line, "%15s %15s %15s", cmd, who, arg);
    if (n < 1) {
        return;
    }
    if (strcmp(cmd, "quit") == 0) {
        s_stop = 1;
        return;
    }
    if (strcmp(cmd, "status") == 0) {
        for (int i = 0; i < a->model.n; i++) {
            const struct sim_infy_module *m = &a->model.mod[i];
            printf("status module 0x%02X on=%d mute=%d faults=0x%06lX set=%.1fV/%.2fA out=%.2fA "
                   "watchdog_tripped=%d\n",
                   m->addr, m->on, m->mute, (unsigned long)m->fault_bits, m->set_mv / 1000.0,
                   m->set_ma / 1000.0, m->out_ma / 1000.0, m->watchdog_tripped);
        }
        printf("status output %.1f V %.2f A\n", a->model.out_mv / 1000.0, a->model.out_ma / 1000.0);
        fflush(stdout);
        return;
    }
    if (strcmp(cmd, "load") == 0) {
        /* The cable as a test plant sees it (charger --sim-plant): nothing on the output
         * while a contactor is open, the car's battery while the path is closed. */
        double v, r;
        if (strcmp(who, "open") == 0) {
            a->model.connected = false;
        } else if (strcmp(who, "battery") == 0 && sscanf(arg, "%lf:%lf", &v, &r) == 2 && v >= 0 &&
                   v <= 1500 && r > 0 && r <= 100) {
            a->model.load = SIM_INFY_LOAD_BATTERY;
            a->model.battery_mv = (uint32_t)(v * 1000.0);
            a->model.load_mohm = (uint32_t)(r * 1000.0 + 0.5);
            a->model.connected = true;
        } else if (strcmp(who, "ohm") == 0 && sscanf(arg, "%lf", &r) == 1 && r > 0 && r <= 1e6) {
            a->model.load = SIM_INFY_LOAD_RESISTIVE;
            a->model.load_mohm = (uint32_t)(r * 1000.0 + 0.5);
            a->model.connected = true;
        } else {
            fprintf(stderr, "infysim: ctl: load needs open, battery V:OHM or ohm R\n");
            return;
        }
        if (!a->quiet) {
            printf("infysim: load %s %s\n", who, arg);
            fflush(stdout);
        }
        return;
    }
    bool all = strcmp(who, "all") == 0;
    unsigned long addr = 0;
    if (!all && parse_u(who, 0, 0x3B, &addr) != 0) {
        fprintf(stderr, "infysim: ctl: bad module '%s'\n", who);
        return;
    }
    for (int i = 0; i < a->model.n; i++) {
        struct sim_infy_module *m = &a->model.mod[i];
        if (!all && m->addr != addr) {
            continue;
        }
        if (strcmp(cmd, "mute") == 0) {
            m->mute = true;
            say(a, "module 0x%02X %s", "stops answering (off the bus)", m->addr);
        } else if (strcmp(cmd, "unmute") == 0) {
            m->mute = false;
            say(a, "module 0x%02X %s", "back on the bus", m->addr);
        } else if (strcmp(cmd, "fault") == 0) {
            enum sim_infy_fault f;
            if (sim_infy_fault_parse(arg, &f) != 0) {
                fprintf(stderr, "infysim: ctl: unknown fault '%s'\n", arg);
                return;
            }
            sim_infy_fault(&a->model, m, f);
        } else {
            fprintf(stderr, "infysim: ctl: unknown command '%s'\n", cmd);
            return;
        }
    }
}

static void ctl_read(struct infysim *a)
{
    if (a->ctl_fd < 0) {
        return;
    }
    for (;;) {
        ssize_t r = read(a->ctl_fd, a->ctl_buf + a->ctl_len, sizeof a->ctl_buf - 1 - a->ctl_len);
        if (r <= 0) {
            return;
        }
        a->ctl_len += (size_t)r;
        a->ctl_buf[a->ctl_len] = '\0';
        char *nl;
        while ((nl = strchr(a->ctl_buf, '\n')) != NULL) {
            *nl = '\0';
            ctl_apply(a, a->ctl_buf);
            size_t used = (size_t)(nl - a->ctl_buf) + 1;
            memmove(a->ctl_buf, nl + 1, a->ctl_len - used + 1);
            a->ctl_len -= used;
        }
        if (a->ctl_len == sizeof a->ctl_buf - 1) {
            a->ctl_len = 0; /* a line that long is garbage */
        }
    }
}

int main(int argc, char **argv)
{
    struct infysim *a = &s_app;
    const char *ifname = NULL, *ctl = NULL, *stage = NULL;
    uint8_t addrs[SIM_INFY_MAX];
    int naddrs = 0;
    long group = -1, count = -1;
    unsigned long run_s = 0, hz = 0;
    struct sim_infy_rating rating;
    sim_infy_default_rating(&rating);
    sim_infy_init(&a->model);
    a->ctl_fd = -1;
    a->stage_fd = -1;
    const char *rating_of[SIM_INFY_MAX];
    int nrating_of = 0;

    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long u;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "--quiet") == 0) {
            a->quiet = true;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "infysim: %s needs a value (try --help)\n", o);
            return 2;
        }
        i++;
        if (strcmp(o, "--can") == 0) {
            ifname = v;
        } else if (strcmp(o, "--modules") == 0) {
            if (parse_list(v, addrs, &naddrs) != 0) {
                fprintf(stderr, "infysim: --modules needs addresses 0..59 like 0,1,2 or 0-59\n");
                return 2;
            }
        } else if (strcmp(o, "--group") == 0 && parse_u(v, 0, 63, &u) == 0) {
            group = (long)u;
        } else if (strcmp(o, "--count") == 0 && parse_u(v, 1, SIM_INFY_MAX, &u) == 0) {
            count = (long)u;
        } else if (strcmp(o, "--rating") == 0 && parse_rating(v, &rating) == 0) {
        } else if (strcmp(o, "--rating-of") == 0 && nrating_of < SIM_INFY_MAX) {
            rating_of[nrating_of++] = v;
        } else if (strcmp(o, "--load-ohm") == 0) {
            double r = atof(v);
            if (r <= 0 || r > 1e6) {
                fprintf(stderr, "infysim: --load-ohm needs a resistance above 0\n");
                return 2;
            }
            a->model.load = SIM_INFY_LOAD_RESISTIVE;
            a->model.load_mohm = (uint32_t)(r * 1000.0 + 0.5);
        } else if (strcmp(o, "--battery") == 0) {
            double bv, br;
            if (sscanf(v, "%lf:%lf", &bv, &br) != 2 || bv < 0 || bv > 1500 || br <= 0 || br > 100) {
                fprintf(stderr, "infysim: --battery needs VOLTS:OHMS\n");
                return 2;
            }
            a->model.load = SIM_INFY_LOAD_BATTERY;
            a->model.battery_mv = (uint32_t)(bv * 1000.0);
            a->model.load_mohm = (uint32_t)(br * 1000.0 + 0.5);
        } else if (strcmp(o, "--ctl") == 0) {
            ctl = v;
        } else if (strcmp(o, "--stage-to") == 0 && strlen(v) < sizeof a->stage_to.sun_path) {
            stage = v;
        } else if (strcmp(o, "--internal-hz") == 0 && parse_u(v, 0, 1000, &u) == 0) {
            hz = u;
        } else if (strcmp(o, "--run-s") == 0 && parse_u(v, 1, 86400, &u) == 0) {
            run_s = u;
        } else {
            fprintf(stderr, "infysim: bad option or value: %s %s (try --help)\n", o, v);
            return 2;
        }
    }
    if (ifname == NULL || (naddrs == 0) == (group < 0) || (group >= 0) != (count > 0)) {
        fprintf(stderr, "infysim: need --can and either --modules or --group with --count\n");
        return 2;
    }
    if (group >= 0) {
        a->model.group_mode = true;
        a->model.group = (uint8_t)group;
        for (long k = 0; k < count; k++) {
            addrs[naddrs++] = (uint8_t)k;
        }
    }
    for (int k = 0; k < naddrs; k++) {
        if (sim_infy_add(&a->model, addrs[k], &rating) != 0) {
            fprintf(stderr, "infysim: module 0x%02X listed twice\n", addrs[k]);
            return 2;
        }
    }
    for (int k = 0; k < nrating_of; k++) {
        unsigned long ad;
        char buf[64];
        snprintf(buf, sizeof buf, "%s", rating_of[k]);
        char *eq = strchr(buf, '=');
        struct sim_infy_module *m = NULL;
        if (eq != NULL) {
            *eq = '\0';
            if (parse_u(buf, 0, 0x3B, &ad) == 0) {
                m = sim_infy_find(&a->model, (uint8_t)ad);
            }
        }
        if (m == NULL || parse_rating(eq + 1, &m->rating) != 0) {
            fprintf(stderr, "infysim: --rating-of needs ADDR=VMAX:VMIN:AMAX:W of a listed module\n");
            return 2;
        }
    }
    a->model.event = on_event;
    a->model.event_ctx = a;

    linux_loop_init(&a->loop);
    a->loop.stop_flag = (volatile int *)&s_stop;
    if (linux_can_init(&a->can, ifname) != HAL_OK) {
        fprintf(stderr, "infysim: bad interface name '%s'\n", ifname);
        return 2;
    }
    int rc = hal_can_open(&a->can.base, 125000);
    if (rc != HAL_OK) {
        if (rc == HAL_ENOENT) {
            fprintf(stderr, "infysim: CAN interface %s: not found (see 'ip link'; vcan: tools/vcan-run)\n", ifname);
        } else {
            fprintf(stderr, "infysim: CAN interface %s: %s\n", ifname, hal_strerror(rc));
        }
        return 1;
    }
    (void)linux_loop_watch(&a->loop, linux_can_fd(&a->can), POLLIN);
    if (ctl != NULL) {
        a->ctl_fd = open(ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC); /* RDWR: never sees EOF */
        if (a->ctl_fd < 0) {
            fprintf(stderr, "infysim: --ctl %s: %s\n", ctl,
                    errno == ENOENT ? "not found (create the FIFO first: mkfifo PATH)" : strerror(errno));
            return 2;
        }
        (void)linux_loop_watch(&a->loop, a->ctl_fd, POLLIN);
    }
    if (stage != NULL) {
        a->stage_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (a->stage_fd < 0) {
            fprintf(stderr, "infysim: --stage-to: %s\n", strerror(errno));
            return 2;
        }
        a->stage_to.sun_family = AF_UNIX;
        snprintf(a->stage_to.sun_path, sizeof a->stage_to.sun_path, "%s", stage);
    }
    signal(SIGINT, infysim_on_signal);
    signal(SIGTERM, infysim_on_signal);
    a->internal_period_ms = hz > 0 ? (uint32_t)(1000u / hz) : 0;
    if (a->internal_period_ms == 0 && hz > 0) {
        a->internal_period_ms = 1;
    }

    uint32_t now = hal_clock_now_ms(&a->loop.base);
    a->model.now_ms = now;
    for (int k = 0; k < a->model.n; k++) {
        a->model.mod[k].last_heard_ms = now;
    }
    printf("infysim: %d module(s) on %s (%s), rating %u..%u V %.1f A %lu W\n", a->model.n, ifname,
           a->model.group_mode ? "group" : "fixed", rating.min_v, rating.max_v, rating.max_ma / 1000.0,
           (unsigned long)rating.power_w);
    fflush(stdout);
    uint32_t end = now + (uint32_t)run_s * 1000u;
    while (!s_stop && (run_s == 0 || hal_time_diff(end, now) > 0)) {
        now = hal_clock_now_ms(&a->loop.base);
        int nrx = 0;
        for (; nrx < 256; nrx++) {
            struct hal_can_frame f;
            rc = hal_can_recv(&a->can.base, &f);
            if (rc != HAL_OK) {
                break;
            }
            sim_infy_rx(&a->model, &f, now);
        }
        sim_infy_tick(&a->model, now);
        stage_report(a, now, nrx > 0);
        for (;;) {
            if (!a->holding && !sim_infy_pop(&a->model, &a->held)) {
                break;
            }
            a->holding = true;
            if (hal_can_send(&a->can.base, &a->held) != HAL_OK) {
                break; /* queue full: next pass */
            }
            a->holding = false;
        }
        if (a->internal_period_ms != 0 && hal_time_reached(now, a->internal_at_ms) && a->model.n > 0) {
            /* error 1, device 0xD, cmd 0x17, to 0xF8, from a module: their own chatter */
            struct hal_can_frame f = {.id = 0x0757F800u | a->model.mod[0].addr,
                                      .flags = HAL_CAN_FLAG_EXT,
                                      .dlc = 8,
                                      .data = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}};
            (void)hal_can_send(&a->can.base, &f);
            a->internal_at_ms = now + a->internal_period_ms;
        }
        ctl_read(a);
        (void)hal_clock_idle(&a->loop.base, a->holding ? 1u : 2u);
    }
    printf("infysim: stopped: %lu request(s), %lu answer(s), %lu ignored, %lu watchdog switch-off(s)\n",
           (unsigned long)a->model.stats.rx, (unsigned long)a->model.stats.tx,
           (unsigned long)a->model.stats.ignored, (unsigned long)a->model.stats.watchdog_offs);
    hal_can_close(&a->can.base);
    return 0;
}
