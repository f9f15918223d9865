/*
 * The simulator board: the charger firmware with in-memory peripherals and a plant
 * model, on a virtual clock that runs as fast as the CPU allows (or in real time).
 *
 * Per connector: a DIN 70121 car (firmware/ev_model: battery, din_ev, ev_link, pilot)
 * in its own scheduler (the car is another device), an in-memory PLC link (Ethernet,
 * UDP, TCP) to the charger's evse_link, the real InfyPower driver over an in-memory CAN
 * bus to simulated modules, a simulated isolation monitor and meter (with journal), and
 * the plant's safety monitor. `make sim` runs it; see --help.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "board_config.h"
#include "charger.h"
#include "config.h"
#include "faults.h"
#include "charger_link.h"
#include "ev_model.h"
#include "evse_link.h"
#include "journal.h"
#include "meter.h"
#include "plant.h"
#include "psu_infy.h"
#include "sched.h"
#include "sim_imd.h"
#include "sim_infy.h"
#include "sim_link.h"
#include "sim_meter.h"
#include "sim_ovm.h"
#include "superloop.h"
#include "v2gtp/v2gtp.h"

#define SIM_VERSION "0.2.0"
#define SIM_MAX_CONNECTORS 4
/* The EV gives the charger this long to release a held connector before the run ends:
 * the interlock's discharge wait (5 s), a technician (3 s in the fault scenarios) and the
 * operator's reset must fit. */
#define SIM_HELD_LIMIT_MS 15000u
/* The simulator's fixed epoch: 2026-01-01T00:00:00Z. */
#define SIM_EPOCH_MS 1767225600000LL
#define SIM_LAT_MAX 16384u

struct sim;

struct sim_clock {
    struct hal_clock base;
    uint32_t now_ms;
    bool realtime;
    struct sim *sim;
};

struct sim_log {
    struct hal_log base;
    struct sim_clock *clock;
};

/* The charger's transport with a stopwatch: wall-clock time from a request handed to
 * the session to its answer handed back (decode + session + encode + queue + flush). */
struct sim_meas_link {
    struct charger_link base;
    struct charger_link *inner;
    struct timespec t0;
    bool have;
    uint32_t n;
    uint32_t ns[SIM_LAT_MAX];
    struct exi_din_document doc;
};

struct sim_conn {
    struct plant plant;
    struct charger charger;
    struct sim_infy modules;
    struct sim_infy_can can;
    struct psu_infy stage;
    struct sim_link link;
    struct evse_link evse;
    struct charger_link_evse adapter;
    struct sim_meas_link meas;
    struct sim_imd imd;
    struct sim_ovm ovm;
    struct sim_meter meter;
    struct sim_meter_nvs nvs;
    struct journal journal;
    struct meter_session ms;
    struct ev_model car;
    FILE *pcap, *csv;
    uint32_t seq[2];
    uint32_t reported;
    uint32_t reset_tried_ms; /**< the operator's last reset attempt of a held fault */
    /* What the firmware is started with (kept for a restart after a power loss). */
    struct infy_config ic;
    struct evse_link_config lc;
    struct evse_link_ports lp;
    struct charger_config cfg;
    struct charger_ports ports;
};

struct sim {
    struct sim_clock clock;
    struct sim_log log;
    struct sched sched;    /* the firmware */
    struct sched ev_sched; /* the cars */
    struct sim_meter_crypto crypto;
    struct sim_conn c[SIM_MAX_CONNECTORS];
    int n;
    bool ideal;
    uint32_t max_ms;
    uint32_t next_report_ms;
    uint32_t report_ms;
};

static struct sim s_sim; /* board-level instance: the board owns its objects */

/* Fault-injection scenario (--scenario): connector 0 is watched and acted on. */
static struct faults_run s_faults;
static bool s_faults_on;
/* Power loss (scenario power-loss-*): the firmware is off until this time (0 = running). */
static uint32_t s_power_up_at;
#define SIM_POWER_OFF_MS 500u

static void sim_power_down(struct sim *s, uint32_t now_ms);
static int sim_power_up(struct sim *s, uint32_t now_ms);

static uint32_t sim_now(struct hal_clock *base)
{
    return ((struct sim_clock *)base)->now_ms;
}

static int sim_wall(struct hal_clock *base, int64_t *unix_ms)
{
    *unix_ms = SIM_EPOCH_MS + ((struct sim_clock *)base)->now_ms;
    return HAL_OK;
}

static int sim_idle(struct hal_clock *base, uint32_t max_ms)
{
    struct sim_clock *c = (struct sim_clock *)base;
    struct sim *s = c->sim;
    uint32_t done = 0;
    bool io = false;
    if (max_ms == 0) {
        max_ms = 1; /* virtual time must move or the loop would spin on a due task */
    }
    while (done < max_ms && !io) {
        c->now_ms++;
        done++;
        for (int k = 0; k < s->n; k++) {
            struct sim_conn *x = &s->c[k];
            if (!s->ideal) {
                sim_infy_tick(&x->modules, c->now_ms);
            }
            plant_tick(&x->plant, c->now_ms);
            if (s_faults_on && k == 0) {
                faults_tick(&s_faults, c->now_ms);
                if (s_faults.power_loss_now) {
                    s_faults.power_loss_now = false;
                    sim_power_down(s, c->now_ms);
                } else if (s_power_up_at != 0 && c->now_ms >= s_power_up_at) {
                    s_power_up_at = 0;
                    if (sim_power_up(s, c->now_ms) != HAL_OK) {
                        fprintf(stderr, "sim: the firmware did not restart after the power loss\n");
                        exit(1);
                    }
                    io = true; /* run the restarted tasks now */
                }
            }
            if (x->plant.evse_stop) {
                x->plant.evse_stop = false;
                charger_request_stop(&x->charger);
            }
            /* The operator: with the bay empty, or the car held by a locked connector, a
             * person resets a held fault once a second (docs/session.md "Unlock and fault
             * reset"); while its cause is there (e-stop pressed, contactor welded, voltage
             * unknown) the reset is refused and it stays held. */
            bool bay_empty = x->plant.phase == PLANT_EV_LEFT || x->plant.phase == PLANT_EV_AWAY;
            bool held_locked = interlock_state(&x->charger.il) == INTERLOCK_HELD;
            if ((bay_empty || held_locked) && charger_held_fault(&x->charger) != NULL &&
                c->now_ms - x->reset_tried_ms >= 1000u) {
                x->reset_tried_ms = c->now_ms;
                (void)charger_reset(&x->charger, c->now_ms, NULL);
            }
        }
        if (!(s_faults_on && s_faults.ev_frozen)) {
            (void)sched_run(&s->ev_sched, c->now_ms, true);
        }
        for (int k = 0; k < s->n; k++) {
            io = io || s->c[k].link.io_pending || s->c[k].imd.io_pending;
            s->c[k].link.io_pending = false;
            s->c[k].imd.io_pending = false;
        }
    }
    if (c->realtime) {
        struct timespec ts = {.tv_sec = done / 1000u, .tv_nsec = (long)(done % 1000u) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    return io ? HAL_OK : HAL_ETIMEDOUT;
}

static const struct hal_clock_ops s_clock_ops = {.now_ms = sim_now, .wall = sim_wall, .idle = sim_idle};

static void sim_log_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms,
                          const char *line)
{
    (void)base;
    printf("[%5lu.%03lu] %-5s %s\n", (unsigned long)(now_ms / 1000u), (unsigned long)(now_ms % 1000u),
           hal_log_level_name(level), line);
}

static const struct hal_log_ops s_log_ops = {.write = sim_log_write};

/* ------------------------------------------------------------------ measuring link */

static enum charger_link_state sim_meas_state(struct charger_link *b)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    return m->inner->ops->state(m->inner);
}

static int sim_meas_recv(struct charger_link *b, uint16_t *type, const uint8_t **p, uint32_t *len)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    int rc = m->inner->ops->recv(m->inner, type, p, len);
    if (rc == HAL_OK && s_faults_on && m == &s_sim.c[0].meas && *type == V2GTP_PT_EXI) {
        (void)faults_filter_request(&s_faults, *p, *len, p, len);
    }
    if (rc == HAL_OK && !m->have) {
        clock_gettime(CLOCK_MONOTONIC, &m->t0);
        m->have = true;
    }
    return rc;
}

static void sim_meas_consume(struct charger_link *b, uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    m->inner->ops->consume(m->inner, now_ms);
}

static int sim_meas_send(struct charger_link *b, uint16_t type, const uint8_t *p, uint32_t len,
                         uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    int rc = m->inner->ops->send(m->inner, type, p, len, now_ms);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (s_faults_on && m == &s_sim.c[0].meas) {
        struct exi_reader fr;
        exi_reader_init(&fr, p, len);
        if (exi_din_decode(&fr, &m->doc) == HAL_OK) {
            faults_saw_response(&s_faults, &m->doc);
        }
    }
    if (m->have) {
        m->have = false;
        /* Classified after the clock stopped: only CurrentDemandRes are counted. */
        struct exi_reader r;
        exi_reader_init(&r, p, len);
        if (exi_din_decode(&r, &m->doc) == HAL_OK && din_response_kind(&m->doc) == DIN_MSG_CURRENT_DEMAND &&
            m->n < SIM_LAT_MAX) {
            int64_t ns = (int64_t)(t1.tv_sec - m->t0.tv_sec) * 1000000000LL + (t1.tv_nsec - m->t0.tv_nsec);
            m->ns[m->n++] = (uint32_t)(ns > 0 ? ns : 0);
        }
    }
    return rc;
}

static int sim_meas_restart(struct charger_link *b, uint32_t now_ms)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    m->have = false;
    return m->inner->ops->restart(m->inner, now_ms);
}

static const char *sim_meas_reason(struct charger_link *b)
{
    struct sim_meas_link *m = (struct sim_meas_link *)b;
    return m->inner->ops->reason(m->inner);
}

static const struct charger_link_ops s_meas_ops = {
    .state = sim_meas_state, .recv = sim_meas_recv, .consume = sim_meas_consume,
    .send = sim_meas_send, .restart = sim_meas_restart, .reason = sim_meas_reason};

/* ------------------------------------------------------------------ capture (pcap) */

static void sim_put16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}
static void sim_put32(uint8_t *b, uint32_t v)
{
    sim_put16(b, v >> 16);
    sim_put16(b + 2, v & 0xFFFFu);
}

/* Each chunk of the V2GTP stream as an Ethernet/IPv6/TCP packet (port 15118 on the
 * charger), so Wireshark's V2G dissectors read the capture. */
static void sim_tap(void *ctx, int side, const uint8_t *data, size_t len)
{
    struct sim_conn *x = ctx;
    if (x->pcap == NULL || len > 1400u) {
        return;
    }
    uint8_t pkt[14 + 40 + 20 + 1400];
    const struct sim_link_end *src = &x->link.end[side], *dst = &x->link.end[1 - side];
    memset(pkt, 0, 14 + 40 + 20);
    memcpy(pkt, dst->mac, 6);
    memcpy(pkt + 6, src->mac, 6);
    sim_put16(pkt + 12, 0x86DD);
    uint8_t *ip = pkt + 14;
    ip[0] = 0x60;
    sim_put16(ip + 4, (uint32_t)(20 + len));
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, src->ip, 16);
    memcpy(ip + 24, dst->ip, 16);
    uint8_t *tcp = ip + 40;
    sim_put16(tcp, side == 0 ? 15118u : 50000u);
    sim_put16(tcp + 2, side == 0 ? 50000u : 15118u);
    sim_put32(tcp + 4, x->seq[side]);
    sim_put32(tcp + 8, x->seq[1 - side]);
    tcp[12] = 0x50;
    tcp[13] = 0x18; /* PSH, ACK */
    sim_put16(tcp + 14, 65535u);
    memcpy(tcp + 20, data, len);
    /* TCP checksum over the IPv6 pseudo-header. */
    uint32_t sum = 0;
    for (int i = 0; i < 32; i += 2) {
        sum += (uint32_t)ip[8 + i] << 8 | ip[9 + i];
    }
    sum += (uint32_t)(20 + len) + 6u;
    size_t tl = 20 + len;
    for (size_t i = 0; i + 1 < tl; i += 2) {
        sum += (uint32_t)tcp[i] << 8 | tcp[i + 1];
    }
    if (tl & 1u) {
        sum += (uint32_t)tcp[tl - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    sim_put16(tcp + 16, ~sum & 0xFFFFu);
    x->seq[side] += (uint32_t)len;
    uint32_t t = s_sim.clock.now_ms;
    uint32_t total = (uint32_t)(14 + 40 + tl);
    uint32_t hdr[4] = {t / 1000u, (t % 1000u) * 1000u, total, total};
    fwrite(hdr, sizeof hdr, 1, x->pcap);
    fwrite(pkt, 1, total, x->pcap);
}

static FILE *sim_open_out(const char *dir, const char *name, const char *ext)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "sim: cannot write %s: %s\n", path, strerror(errno));
    }
    return f;
}

/* Create DIR and its missing parents (mkdir -p). An option naming a directory that cannot
 * be made is an error the user must see, not a run without the files they asked for.
 * Returns 0, or -1 after saying on stderr which part failed and why. */
static int sim_make_dirs(const char *opt, const char *dir)
{
    char path[512];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        fprintf(stderr, "sim: %s: directory name empty or too long\n", opt);
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char keep = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "sim: %s %s: cannot create %s: %s\n", opt, dir, path, strerror(errno));
            return -1;
        }
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "sim: %s %s: %s exists and is not a directory\n", opt, dir, path);
            return -1;
        }
        path[i] = keep;
    }
    return 0;
}

/* ------------------------------------------------------------------ progress */

static void sim_report(struct sim *s)
{
    uint32_t now = s->clock.now_ms;
    for (int k = 0; k < s->n; k++) {
        struct sim_conn *x = &s->c[k];
        const struct plant *p = &x->plant;
        const struct ev_battery *b = ev_model_battery(&x->car);
        double kw = (double)p->psu.out_mv * (double)p->psu.out_ma / 1e9;
        if (x->csv != NULL) {
            /* The commanded setpoints beside the measurements (0 while the stage is off). */
            bool on = p->psu.mode == PSU_MODE_EXPORT;
            fprintf(x->csv, "%.3f,%s,%.1f,%.1f,%.1f,%.1f,%.2f,%.1f,%.1f\n", now / 1000.0,
                    charger_state_name(charger_state(&x->charger)), p->psu.out_mv / 1000.0,
                    p->psu.out_ma / 1000.0, on ? p->psu.set_mv / 1000.0 : 0.0,
                    on ? p->psu.set_ma / 1000.0 : 0.0, kw, ev_battery_soc_permille(b) / 10.0, p->energy_wh);
        }
        if (charger_state(&x->charger) == CHARGER_CHARGING && now - x->reported >= s->report_ms) {
            x->reported = now;
            hal_logf(&s->log.base, HAL_LOG_INFO, now,
                     "[%s] charging: %.1f V, %.1f A, %.1f kW, SOC %.1f %%, %.0f Wh", p->name,
                     p->psu.out_mv / 1000.0, p->psu.out_ma / 1000.0, kw,
                     ev_battery_soc_permille(b) / 10.0, p->energy_wh);
        }
    }
}

static bool sim_should_stop(void *ctx)
{
    struct sim *s = ctx;
    if (s->clock.now_ms >= s->next_report_ms) {
        s->next_report_ms = s->clock.now_ms + 1000u - s->clock.now_ms % 1000u;
        sim_report(s);
    }
    if (s->clock.now_ms >= s->max_ms) {
        return true;
    }
    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        const struct plant *p = &x->plant;
        /* The journal is delivered (to a CSMS, later) once the session is recorded. */
        const struct charger_session_record *r = charger_history(&x->charger, 0);
        for (uint32_t h = 0; (r = charger_history(&x->charger, h)) != NULL; h++) {
            if (r->meter_ok && r->meter_seq != 0) {
                (void)journal_delivered(&x->journal, r->meter_seq);
            }
        }
        bool held = p->held_since_ms != 0 && s->clock.now_ms - p->held_since_ms >= SIM_HELD_LIMIT_MS;
        bool idle = charger_state(&x->charger) == CHARGER_IDLE && plant_done(p) &&
                    meter_session_state(&x->ms) == METER_S_IDLE;
        if (!held && !idle) {
            return false;
        }
    }
    return true;
}

static void sim_usage(FILE *f)
{
    fprintf(f,
            "usage: sim [options]\n"
            "Runs the charger firmware against simulated DIN 70121 cars, contactors, lock,\n"
            "power modules, isolation monitor and meter, on a virtual clock (much faster than\n"
            "real time unless --realtime). Each session goes plug-in, SLAC, SDP, V2GTP, DIN\n"
            "SessionSetup .. SessionStop, cable check, pre-charge, current demand, welding\n"
            "detection, unlock, unplug.\n"
            "\n"
            "  --connectors N   chargers in this one process, 1..%d (default 1)\n"
            "  --sessions N     sessions per connector (default 1)\n"
            "  --profile NAME   car: standard, tesla, ioniq, polestar, tesla-precharge-stop\n"
            "                   (default standard)\n"
            "  --soc-start P    state of charge at plug-in, %% (default 30)\n"
            "  --soc-target P   the car stops at this state of charge, %% (default 80)\n"
            "  --charge-s S     the car stops after S s of current demand (default 60;\n"
            "                   0 = only at the target)\n"
            "  --modules N      30 kW power modules per connector, 1..%d (default 4)\n"
            "  --psu KIND       infy: the real InfyPower driver over an in-memory CAN bus\n"
            "                   (default); ideal: a simple model\n"
            "  --fault NAME     estop, unplug, weld, lock, psu-stuck, psu-hot, evse-stop (2 s\n"
            "                   into the first current demand); diode, isolation, imd, meter\n"
            "                   (from the first plug-in)\n"
            "  --scenario NAME  run one fault-injection scenario (docs/faults.md): one connector,\n"
            "                   the faulty session then a clean one, invariants checked from the\n"
            "                   plant state every ms; exit 0 only when every invariant held\n"
            "  --list-scenarios print the scenario names and exit\n"
            "  --report-dir DIR with --scenario: write DIR/NAME.txt and DIR/NAME.svg (DIR is\n"
            "                   created; exit 2 when it cannot be)\n"
            "  --out DIR        V2G capture (pcap) and time series (csv: measured voltage and\n"
            "                   current beside the commanded setpoints, 1 s) per connector\n"
            "                   (default build/sim, created; exit 2 when it cannot be; '-' = none)\n"
            "  --config FILE    read the Linux board's configuration file (charger --help lists\n"
            "                   the keys), validated the same way (FILE:LINE: KEY: REASON, exit 2).\n"
            "                   Used: charger.* (not .name: connectors are cp0..cp3), pilot.*,\n"
            "                   interlock.*, ovm.*, infy.poll_period_ms, infy.offline_timeout_ms;\n"
            "                   checked but not used (the simulator has its own): can.*, store.*,\n"
            "                   psu.type, infy.modules/addressing/group/controller, meter.*,\n"
            "                   imd.*, link.*, log.*. Without it: the defaults, and a simulated\n"
            "                   over-voltage monitor fitted (ovm.device = sim)\n"
            "  --max-s S        stop after S simulated seconds (default 900)\n"
            "  --realtime       run at wall-clock speed\n"
            "  --quiet          print only the summary\n"
            "  --version        print the version and exit\n"
            "  -h, --help       this text\n"
            "\n"
            "Last lines: one 'session N: ok|FAIL stop=... energy_wh=... soc=A->B duration_s=...'\n"
            "per session ('fault-injected' for the session a --scenario strikes: the scenario's\n"
            "own lines judge it), a figure line and PASS/FAIL. Exit status: 0 when every\n"
            "session ended as the scenario expects and the plant's safety monitor saw no\n"
            "violation; 1 otherwise; 2 for bad arguments, an invalid --config file or an output\n"
            "directory that cannot be made.\n",
            SIM_MAX_CONNECTORS, SIM_INFY_MAX);
}

static int sim_number(const char *opt, const char *arg, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = arg != NULL ? strtoul(arg, &end, 10) : 0;
    if (arg == NULL || *arg == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "sim: %s needs a whole number in %lu..%lu, got '%s'\n", opt, lo, hi,
                arg != NULL ? arg : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* A car whose battery (its pre-charge target) is above the connector's rating cannot be
 * charged here: the charger must hold every setpoint at the rating and stop with
 * ev-limits, nothing delivered (issue 12). */
static bool sim_car_above_rating(const struct sim_conn *x)
{
    return ev_battery_ocv_mv(ev_model_battery(&x->car)) > (int32_t)x->charger.cfg.max_voltage_mv;
}

static bool sim_rating_stop_ok(const struct charger_session_record *r)
{
    return r != NULL && r->stop == CHARGER_STOP_EV_LIMITS && r->charge_ms == 0;
}

/* What the first session must show for the scenario to count as handled correctly;
 * every later session must be a clean one (the fault must not linger). */
static bool sim_expected_first(const struct sim_conn *x, enum plant_fault f, const char **why)
{
    const struct charger *c = &x->charger;
    const struct plant *p = &x->plant;
    const struct charger_session_record *r = charger_history(c, 0);
    const struct charger_stats *st = charger_stats(c);
    switch (f) {
    case PLANT_FAULT_NONE:
        if (sim_car_above_rating(x)) {
            *why = "the car's pre-charge target is above the connector's rating: held at the rating, "
                   "stopped with ev-limits, nothing delivered";
            return sim_rating_stop_ok(r);
        }
        *why = "charged, ended by the EV, metered";
        return r != NULL && r->stop == CHARGER_STOP_EV && r->charge_ms > 0 && r->meter_ok;
    case PLANT_FAULT_ESTOP:
        *why = "stopped by the emergency stop";
        return r != NULL && r->fault == INTERLOCK_FAULT_ESTOP;
    case PLANT_FAULT_UNPLUG:
        *why = "unplug under load stopped the session";
        return r != NULL && r->stop == CHARGER_STOP_UNPLUGGED;
    case PLANT_FAULT_WELD:
        *why = "welded contactor detected, connector held locked";
        return st->last_fault == INTERLOCK_FAULT_WELDED && interlock_state(&c->il) == INTERLOCK_HELD &&
               p->locked;
    case PLANT_FAULT_LOCK:
        *why = "lost lock feedback stopped the session";
        return r != NULL && r->fault == INTERLOCK_FAULT_LOCK_LOST;
    case PLANT_FAULT_DIODE:
        *why = "missing diode detected, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_DIODE_FAULT && r->charge_ms == 0;
    case PLANT_FAULT_PSU_STUCK:
        *why = "stage ignored 'off': contactors forced open after the timeout";
        return r != NULL && r->fault == INTERLOCK_FAULT_POWER_DOWN_TIMEOUT && p->forced_opens == 1u;
    case PLANT_FAULT_ISOLATION:
        *why = "insulation fault found by the cable check, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_ISOLATION && r->charge_ms == 0;
    case PLANT_FAULT_IMD:
        *why = "isolation monitor fault stopped the cable check";
        return r != NULL && r->stop == CHARGER_STOP_IMD && r->charge_ms == 0;
    case PLANT_FAULT_METER:
        *why = "no meter transaction, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_METER && r->charge_ms == 0;
    case PLANT_FAULT_PSU_HOT:
        *why = "power stage over-temperature stopped the session";
        return r != NULL && r->stop == CHARGER_STOP_PSU;
    case PLANT_FAULT_EVSE_STOP:
        *why = "operator stop: the EV ended the session on request, metered";
        return r != NULL && r->stop == CHARGER_STOP_LOCAL && r->meter_ok && ev_model_ok(&x->car);
    case PLANT_FAULT_COUNT:
        break;
    }
    *why = "";
    return false;
}

/* Connector i's power stage: N simulated 30 kW modules, driven by the real InfyPower
 * driver through an in-memory CAN bus. */
static int sim_start_stage(struct sim *s, int i, uint8_t count, const struct board_config *bc)
{
    struct sim_conn *x = &s->c[i];
    struct sim_infy_rating r;
    struct infy_config ic;

    sim_infy_init(&x->modules);
    sim_infy_default_rating(&r);
    for (uint8_t a = 0; a < count; a++) {
        if (sim_infy_add(&x->modules, a, &r) != HAL_OK) {
            fprintf(stderr, "sim: cannot add module %u\n", a);
            return HAL_EINVAL;
        }
    }
    x->modules.load = SIM_INFY_LOAD_BATTERY;
    x->modules.connected = false;
    sim_infy_can_init(&x->can, &x->modules);
    infy_default_config(&ic);
    ic.count = count;
    for (uint8_t a = 0; a < count; a++) {
        ic.addresses[a] = a;
    }
    if (bc != NULL) {
        /* The driver's timing from the configuration file (the Linux board's mapping). */
        ic.poll_period_ms = bc->infy_poll_period_ms;
        ic.offline_timeout_ms = bc->infy_offline_timeout_ms;
        ic.safe_current_ma = bc->safe_current_ma;
        ic.power_down_timeout_ms = bc->power_down_timeout_ms;
    }
    x->ic = ic;
    int rc = psu_infy_init(&x->stage, &ic, &x->can.base, &s->log.base, &s->sched, 0);
    if (rc != HAL_OK) {
        fprintf(stderr, "sim: InfyPower driver refused its configuration: %s\n", hal_strerror(rc));
        return rc;
    }
    x->plant.psu.inner = &x->stage.base;
    x->plant.stage = &x->modules;
    return HAL_OK;
}

/* Power loss of the whole charger (connector 0, scenario power-loss-*): the plant loses
 * its supply (stage off, contactor coils dropped, no PWM), the firmware stops running and
 * its network stack forgets every connection. Kept: the meter (its own supply, its
 * transaction may still be open), the in-memory NVS with the journal, the car, the
 * modules' hardware, the isolation monitor. */
static void sim_power_down(struct sim *s, uint32_t now_ms)
{
    struct sim_conn *x = &s->c[0];
    hal_logf(&s->log.base, HAL_LOG_WARN, now_ms, "[%s] POWER LOSS: the firmware stops (restart in %lu ms)",
             x->plant.name, (unsigned long)SIM_POWER_OFF_MS);
    plant_power_loss(&x->plant);
    sim_link_power_cycle(&x->link, 0);
    sched_init(&s->sched); /* nothing of the firmware runs any more */
    s_power_up_at = now_ms + SIM_POWER_OFF_MS;
}

/* The firmware starts again from nothing but the kept NVS: power stage driver, link,
 * journal (re-opened), meter session (its recovery closes what the journal has open),
 * charger. */
static int sim_power_up(struct sim *s, uint32_t now_ms)
{
    struct sim_conn *x = &s->c[0];
    int rc = HAL_OK;
    /* The driver did not wait: the connector released, the plug is out before the charger
     * is back; the car comes again for its next session. */
    plant_unplug(&x->plant);
    hal_logf(&s->log.base, HAL_LOG_WARN, now_ms, "[%s] power back: the firmware starts", x->plant.name);
    if (!s->ideal) {
        rc = psu_infy_init(&x->stage, &x->ic, &x->can.base, &s->log.base, &s->sched, now_ms);
    }
    if (rc == HAL_OK) {
        rc = evse_link_init(&x->evse, &x->lc, &x->lp, &s->sched, now_ms);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    charger_link_evse_init(&x->adapter, &x->evse);
    x->meas.have = false;
    rc = journal_open(&x->journal, &x->nvs.base);
    if (rc != HAL_OK) {
        return rc;
    }
    meter_session_init(&x->ms, &x->meter.base, &x->journal, &s->crypto.base);
    rc = sched_add(&s->sched, meter_session_task(&x->ms), now_ms);
    if (rc == HAL_OK) {
        rc = sim_imd_start(&x->imd, &s->sched, now_ms);
    }
    if (rc == HAL_OK) {
        rc = charger_init(&x->charger, &x->cfg, &x->ports, &s->sched, now_ms);
    }
    return rc;
}

/* The connector's settings as the board would keep them in its configuration record. */
struct sim_settings {
    uint32_t max_current_a, max_power_kw, power_down_timeout_ms;
};

static const struct config_key s_sim_keys[] = {
    {"charger.max_current_a", CONFIG_U32, true, offsetof(struct sim_settings, max_current_a), 0, 1, 500,
     NULL, "connector current rating, A"},
    {"charger.max_power_kw", CONFIG_U32, true, offsetof(struct sim_settings, max_power_kw), 0, 1, 400, NULL,
     "connector power rating, kW"},
    {"interlock.power_down_timeout_ms", CONFIG_U32, false,
     offsetof(struct sim_settings, power_down_timeout_ms), 0, 100, 5000, NULL, "power-down bound, ms"},
};

/* Scenario config-corrupt: the stored configuration is damaged (a flipped byte makes
 * "200" read "2\x300"; a later write left "max_power_kw = 1500"): start-up must refuse
 * it and name the key; the intact copy is then accepted. */
static int sim_config_check(void)
{
    static const char good[] = "charger.max_current_a = 200\ncharger.max_power_kw = 150\n"
                               "interlock.power_down_timeout_ms = 1500\n";
    static const char *const bad[] = {
        "charger.max_current_a = 2\x30" "0x\ncharger.max_power_kw = 150\n",
        "charger.max_current_a = 200\ncharger.max_power_kw = 1500\n",
        "charger.max_current_a = 200\n",
        "charger.max_current_a = 200\ncharger.max_pow\xff_kw = 150\n",
    };
    struct sim_settings st;
    struct config_error e;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&st, 0, sizeof st);
        if (config_parse(s_sim_keys, sizeof s_sim_keys / sizeof s_sim_keys[0], &st, bad[k], strlen(bad[k]),
                         &e) == HAL_OK) {
            printf("sim: FAIL: corrupted configuration %zu was accepted\n", k + 1);
            return 1;
        }
        printf("sim: corrupted configuration %zu refused at start-up: config:%u: %s: %s\n", k + 1, e.line,
               e.key[0] ? e.key : "-", e.reason);
    }
    memset(&st, 0, sizeof st);
    if (config_parse(s_sim_keys, sizeof s_sim_keys / sizeof s_sim_keys[0], &st, good, strlen(good), &e) !=
            HAL_OK ||
        st.max_current_a != 200 || st.max_power_kw != 150) {
        printf("sim: FAIL: the intact configuration was refused: %s: %s\n", e.key, e.reason);
        return 1;
    }
    printf("sim: the intact configuration is accepted; starting\n");
    return 0;
}

/* The Linux board's configuration applied to one simulated connector (board/linux/main.c
 * maps the same fields the same way). */
static void sim_apply_config(const struct board_config *b, struct charger_config *cc)
{
    cc->export_voltage_mv = b->export_voltage_v * 1000u;
    cc->export_current_ma = b->export_current_a * 1000u;
    cc->max_voltage_mv = b->max_voltage_v * 1000u;
    cc->max_current_ma = b->max_current_a * 1000u;
    cc->max_power_w = b->max_power_kw * 1000u;
    cc->imd_lab_override = b->imd_lab_override;
    cc->pilot.debounce_ms = b->pilot_debounce_ms;
    cc->interlock.safe_current_ma = b->safe_current_ma;
    cc->interlock.power_down_timeout_ms = b->power_down_timeout_ms;
    cc->interlock.contactor_timeout_ms = b->contactor_timeout_ms;
    cc->interlock.lock_timeout_ms = b->lock_timeout_ms;
    cc->voltage_sources = b->ovm_source_mask;
    cc->voltage_stale_ms = b->ovm_stale_ms;
}

static int sim_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct sim *s = &s_sim;
    struct plant_script script = {
        .plug_at_ms = 1000,
        .start_delay_ms = 2000,
        .charge_ms = 10000,
        .unplug_delay_ms = 1000,
        .pause_ms = 3000,
        .sessions = 1,
        .fault = PLANT_FAULT_NONE,
    };
    struct ev_model_config car;
    unsigned long connectors = 1, v = 0, max_s = 900, modules = 4, soc_start = 30, soc_target = 80;
    unsigned long charge_s = 60;
    bool quiet = false, realtime = false;
    const char *out_dir = "build/sim";
    const char *profile = "standard";
    const struct faults_scenario *scenario = NULL;
    const char *report_dir = NULL;
    const char *config_path = NULL;
    bool charge_set = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            sim_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("sim %s\n", SIM_VERSION);
            return 0;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--realtime") == 0) {
            realtime = true;
        } else if (strcmp(a, "--sessions") == 0) {
            if (sim_number(a, next, 1, 1000, &v) != 0) {
                return 2;
            }
            script.sessions = (uint32_t)v;
            i++;
        } else if (strcmp(a, "--connectors") == 0) {
            if (sim_number(a, next, 1, SIM_MAX_CONNECTORS, &connectors) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--charge-s") == 0) {
            if (sim_number(a, next, 0, 86400, &charge_s) != 0) {
                return 2;
            }
            charge_set = true;
            i++;
        } else if (strcmp(a, "--soc-start") == 0) {
            if (sim_number(a, next, 0, 99, &soc_start) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--soc-target") == 0) {
            if (sim_number(a, next, 1, 100, &soc_target) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--profile") == 0) {
            if (next == NULL || ev_model_profile_parse(next, &car) != HAL_OK) {
                fprintf(stderr, "sim: --profile needs standard, tesla, ioniq, polestar or "
                                "tesla-precharge-stop\n");
                return 2;
            }
            profile = next;
            i++;
        } else if (strcmp(a, "--psu") == 0) {
            if (next == NULL || (strcmp(next, "infy") != 0 && strcmp(next, "ideal") != 0)) {
                fprintf(stderr, "sim: --psu needs infy or ideal\n");
                return 2;
            }
            s->ideal = strcmp(next, "ideal") == 0;
            i++;
        } else if (strcmp(a, "--modules") == 0) {
            if (sim_number(a, next, 1, SIM_INFY_MAX, &modules) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--max-s") == 0) {
            if (sim_number(a, next, 1, 4000000, &max_s) != 0) {
                return 2;
            }
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (next == NULL) {
                fprintf(stderr, "sim: --out needs a directory or '-'\n");
                return 2;
            }
            out_dir = next;
            i++;
        } else if (strcmp(a, "--config") == 0) {
            if (next == NULL) {
                fprintf(stderr, "sim: --config needs a file (the Linux board's format)\n");
                return 2;
            }
            config_path = next;
            i++;
        } else if (strcmp(a, "--list-scenarios") == 0) {
            faults_list(stdout);
            return 0;
        } else if (strcmp(a, "--scenario") == 0) {
            scenario = next != NULL ? faults_find(next) : NULL;
            if (scenario == NULL) {
                fprintf(stderr, "sim: --scenario needs a name from --list-scenarios\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--report-dir") == 0) {
            if (next == NULL) {
                fprintf(stderr, "sim: --report-dir needs a directory\n");
                return 2;
            }
            report_dir = next;
            i++;
        } else if (strcmp(a, "--fault") == 0) {
            if (next == NULL || plant_fault_parse(next, &script.fault) != HAL_OK) {
                fprintf(stderr, "sim: --fault needs one of: estop unplug weld lock diode psu-stuck "
                                "isolation imd meter psu-hot evse-stop\n");
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "sim: unknown option '%s' (try --help)\n", a);
            return 2;
        }
    }
    if (ev_model_profile_parse(profile, &car) != HAL_OK) {
        return 2;
    }
    /* The same reader and checks as the Linux board (board/linux/board_config.c). */
    static struct board_config bc;
    board_config_defaults(&bc);
    if (config_path != NULL && board_config_load(&bc, config_path, stderr) != 0) {
        fprintf(stderr, "sim: invalid configuration, not starting\n");
        return 2;
    }
    if (scenario != NULL) {
        /* One connector, the faulty session then a clean one (a welded contactor holds
         * the connector: one session). */
        connectors = 1;
        script.sessions = (scenario->flags & FAULTS_F_HELD) ? 1u : 2u;
        script.fault = PLANT_FAULT_NONE;
        s->ideal = (scenario->flags & FAULTS_F_IDEAL) != 0;
        if (!charge_set) {
            charge_s = 20;
        }
        if (max_s == 900) {
            max_s = 600;
        }
        out_dir = "-";
        if (scenario->kind == FAULTS_CONFIG && sim_config_check() != 0) {
            return 1;
        }
    }
    /* The simulator's stage is its own (--psu), not the file's psu.type: the power-down
     * rule of the Linux board applies to the stage that runs. A file that leaves the wait
     * to the default gets the InfyPower default; one that sets a shorter wait is refused,
     * as `charger --check` refuses it with psu.type = infy. */
    if (config_path != NULL && !s->ideal && bc.power_down_timeout_ms < BOARD_INFY_POWER_DOWN_MIN_MS) {
        if (!bc.power_down_defaulted) {
            fprintf(stderr,
                    "%s: interlock.power_down_timeout_ms: %lu ms is below the %u ms the simulator's "
                    "InfyPower stage needs (its \"off\" is proven by reading each module back); "
                    "raise it or run --psu ideal\n",
                    config_path, (unsigned long)bc.power_down_timeout_ms, BOARD_INFY_POWER_DOWN_MIN_MS);
            fprintf(stderr, "sim: invalid configuration, not starting\n");
            return 2;
        }
        bc.power_down_timeout_ms = BOARD_INFY_POWER_DOWN_MIN_MS;
    }
    if (soc_target <= soc_start) {
        fprintf(stderr, "sim: --soc-target must be above --soc-start\n");
        return 2;
    }
    bool tesla_stop = strcmp(profile, "tesla-precharge-stop") == 0;
    if (strcmp(out_dir, "-") == 0) {
        out_dir = NULL;
    } else if (sim_make_dirs("--out", out_dir) != 0) {
        return 2;
    }
    if (report_dir != NULL && scenario == NULL) {
        fprintf(stderr, "sim: --report-dir writes a scenario's report: it needs --scenario NAME\n");
        return 2;
    }
    if (report_dir != NULL && sim_make_dirs("--report-dir", report_dir) != 0) {
        return 2;
    }
    for (int k = 0; report_dir != NULL && k < 2; k++) {
        /* An old report must not pass for this run's: the check after the run looks for them. */
        char path[512];
        snprintf(path, sizeof path, "%s/%s.%s", report_dir, scenario->name, k == 0 ? "txt" : "svg");
        if (unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, "sim: --report-dir: cannot replace %s: %s\n", path, strerror(errno));
            return 2;
        }
    }

    s->n = (int)connectors;
    s->max_ms = (uint32_t)max_s * 1000u;
    s->report_ms = 10000u;
    s->clock.base.ops = &s_clock_ops;
    s->clock.realtime = realtime;
    s->clock.sim = s;
    s->log.base.ops = &s_log_ops;
    s->log.base.min_level = quiet ? HAL_LOG_ERROR : HAL_LOG_INFO;
    s->log.clock = &s->clock;
    sched_init(&s->sched);
    sched_init(&s->ev_sched);
    sim_meter_crypto_init(&s->crypto);

    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        struct charger_config cfg;
        char name[16];
        snprintf(name, sizeof name, "cp%d", i);
        struct plant_script sc = script;
        sc.plug_at_ms += (uint32_t)i * 700u; /* stagger the cars so their logs interleave */
        plant_init(&x->plant, name, &sc, &s->log.base);
        if (!s->ideal && sim_start_stage(s, i, (uint8_t)modules, config_path != NULL ? &bc : NULL) != HAL_OK) {
            return 1;
        }

        /* The link: evse_link on side 0 of an in-memory PLC segment. */
        sim_link_init(&x->link, (unsigned)i);
        struct evse_link_config lc;
        evse_link_default_config(&lc);
        lc.tcp_port = 15118;
        lc.slac.use_modem = false; /* no modem in memory: no CM_SET_KEY */
        struct evse_link_ports lp = {
            .eth = &x->link.end[0].eth, .net = &x->link.end[0].net, .rng = &x->link.end[0].rng,
            .log = &s->log.base};
        x->lc = lc;
        x->lp = lp;
        int rc = evse_link_init(&x->evse, &lc, &lp, &s->sched, 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: EVSE link %d failed to start: %s\n", i, hal_strerror(rc));
            return 1;
        }
        charger_link_evse_init(&x->adapter, &x->evse);
        x->meas.base.ops = &s_meas_ops;
        x->meas.inner = &x->adapter.base;

        /* Isolation monitor and meter with its journal. */
        sim_imd_init(&x->imd, NULL, &s->log.base, name);
        sim_ovm_init(&x->ovm);
        bool with_ovm = config_path == NULL || bc.ovm_device == BOARD_OVM_SIM;
        sim_meter_init(&x->meter, 1000000 + (int64_t)i * 100000, SIM_EPOCH_MS / 1000);
        sim_meter_nvs_init(&x->nvs);
        if (journal_open(&x->journal, &x->nvs.base) != HAL_OK) {
            fprintf(stderr, "sim: journal %d failed to open\n", i);
            return 1;
        }
        meter_session_init(&x->ms, &x->meter.base, &x->journal, &s->crypto.base);
        rc = sched_add(&s->sched, meter_session_task(&x->ms), 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: scheduler full (meter %d)\n", i);
            return 1;
        }
        /* The real Bender driver on the simulated Modbus device. */
        rc = sim_imd_start(&x->imd, &s->sched, 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: isolation monitor %d failed to start: %s\n", i, hal_strerror(rc));
            return 1;
        }
        x->plant.imd = &x->imd;
        x->plant.ovm = with_ovm ? &x->ovm : NULL;
        x->plant.meter = &x->meter;

        /* The car on side 1, in the cars' own scheduler. */
        struct ev_model_config cc = car;
        memcpy(cc.name, name, sizeof cc.name);
        cc.soc_start = (uint8_t)soc_start;
        cc.soc_target = (uint8_t)soc_target;
        cc.charge_ms_max = (uint32_t)charge_s * 1000u;
        cc.din.evccid[5] = (uint8_t)(0xA0 + i);
        cc.link.slac.use_modem = false;
        struct ev_link_ports ep = {
            .eth = &x->link.end[1].eth, .net = &x->link.end[1].net, .rng = &x->link.end[1].rng,
            .log = &s->log.base};
        if (ev_model_init(&x->car, &cc, &ep, &s->ev_sched, &x->plant.ev, &s->log.base, 0) != HAL_OK) {
            return 1;
        }
        x->plant.car = &x->car;

        charger_default_config(&cfg);
        memcpy(cfg.name, name, sizeof cfg.name);
        cfg.max_current_ma = 200000;
        cfg.max_power_w = 150000;
        /* The InfyPower stage proves "off" by reading every module back, one frame slot
         * each; give the interlock room for that before it would force the contactors. */
        cfg.interlock.power_down_timeout_ms = s->ideal ? 500u : 1500u;
        struct charger_ports ports = {
            .pilot = &x->plant.pilot.base,
            .gpio = &x->plant.gpio.base,
            .psu = &x->plant.psu.base,
            .log = &s->log.base,
            .link = &x->meas.base,
            .rng = &x->link.end[0].rng,
            .imd = sim_imd_port(&x->imd),
            .meter = &x->ms,
            .meter_dev = &x->meter.base,
            .clock = &s->clock.base,
            .ovm = with_ovm ? &x->ovm.base : NULL,
        };
        if (config_path != NULL) {
            sim_apply_config(&bc, &cfg);
            ports.ovm = with_ovm ? &x->ovm.base : NULL;
        }
        x->cfg = cfg;
        x->ports = ports;
        rc = charger_init(&x->charger, &cfg, &ports, &s->sched, 0);
        if (rc != HAL_OK) {
            fprintf(stderr, "sim: charger %d failed to start: %s\n", i, hal_strerror(rc));
            return 1;
        }
        if (scenario != NULL && i == 0) {
            struct faults_target ft = {
                .plant = &x->plant, .charger = &x->charger, .modules = s->ideal ? NULL : &x->modules,
                .can = s->ideal ? NULL : &x->can, .driver = s->ideal ? NULL : &x->stage.base,
                .meter = &x->meter, .imd = &x->imd, .journal = &x->journal, .car = &x->car,
                .link = &x->link};
            faults_setup(&s_faults, scenario, &ft);
            s_faults_on = true;
        }
        if (out_dir != NULL) {
            x->pcap = sim_open_out(out_dir, name, "pcap");
            x->csv = sim_open_out(out_dir, name, "csv");
            if (x->pcap == NULL || x->csv == NULL) {
                return 2; /* sim_open_out said which file and why */
            }
            if (x->pcap != NULL) {
                uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535u, 1u};
                fwrite(gh, sizeof gh, 1, x->pcap);
                x->link.tap = sim_tap;
                x->link.tap_ctx = x;
            }
            if (x->csv != NULL) {
                fprintf(x->csv, "t_s,state,voltage_v,current_a,set_voltage_v,set_current_a,power_kw,soc_pct,"
                                "energy_wh\n");
            }
        }
    }
    (void)tesla_stop;

    if (!quiet) {
        printf("sim: %d connector(s), %lu session(s) each, car %s (SOC %lu %% -> %lu %%), "
               "%s stage, fault: %s, %s\n",
               s->n, (unsigned long)script.sessions, profile, soc_start, soc_target,
               s->ideal ? "ideal" : "InfyPower", scenario != NULL ? scenario->name : plant_fault_name(script.fault),
               realtime ? "real time" : "virtual time");
    }
    struct superloop loop = {
        .sched = &s->sched, .clock = &s->clock.base, .should_stop = sim_should_stop, .ctx = s};
    clock_t t0 = clock();
    uint32_t passes = superloop_run(&loop);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

    bool ok = s->clock.now_ms < s->max_ms;
    uint32_t violations = 0;
    static uint32_t all_ns[SIM_MAX_CONNECTORS * SIM_LAT_MAX];
    uint32_t nall = 0;
    for (int i = 0; i < s->n; i++) {
        struct sim_conn *x = &s->c[i];
        const struct charger *c = &x->charger;
        const struct plant *p = &x->plant;
        const char *expect;
        bool first_ok = sim_expected_first(x, script.fault, &expect);
        if (tesla_stop) {
            /* The Model Y capture: no voltage at the inlet, the car gives up in pre-charge
             * with a clean SessionStop; nothing may have flowed. */
            const struct charger_session_record *r = charger_history(c, 0);
            expect = "the car stopped in pre-charge with SessionStop, no power delivered";
            first_ok = r != NULL && r->stop == CHARGER_STOP_EV && r->charge_ms == 0;
        }
        violations += p->violations;
        bool good = first_ok && p->violations == 0;
        uint32_t kept = 0;
        /* In a scenario run the first session carries the injected fault: its stop is the
         * scenario's to judge (faults_finish), so its line says so instead of "FAIL". A
         * power loss takes the injected session's record with the charger's RAM: every
         * record left is a later car's. */
        bool scenario_first = scenario != NULL && s_faults_on && s_faults.fired && scenario->kind != FAULTS_POWER_LOSS;
        for (uint32_t h = 0;; h++) {
            const struct charger_session_record *r = charger_history(c, h);
            bool in_progress = false;
            if (r == NULL) {
                r = charger_session_in_progress(c);
                in_progress = true;
                if (r == NULL || r->number == 0) {
                    break;
                }
            }
            bool later_ok = h == 0 ? first_ok
                                   : (r->stop == CHARGER_STOP_EV && r->charge_ms > 0 && r->meter_ok);
            if (tesla_stop && h > 0) {
                later_ok = r->stop == CHARGER_STOP_EV && r->charge_ms == 0;
            }
            bool injected = scenario_first && h == 0;
            const char *verdict = injected ? "fault-injected" : later_ok ? "ok" : "FAIL";
            char why[192] = "";
            if (injected) {
                snprintf(why, sizeof why, " (scenario %s injected the fault into this session, expected stop=%s%s: "
                         "judged by the scenario below)", scenario->name,
                         charger_stop_reason_token(scenario->stop),
                         (scenario->flags & FAULTS_F_HELD) ? ", connector held locked" : "");
            }
            if (!injected && !in_progress && h > 0 && script.fault == PLANT_FAULT_NONE &&
                sim_car_above_rating(x)) {
                later_ok = sim_rating_stop_ok(r);
                verdict = later_ok ? "ok" : "FAIL";
            }
            if (!injected && !in_progress) {
                good = good && later_ok;
            }
            printf("sim: [%s] session %lu: %s%s stop=%s energy_wh=%lld soc=%ld->%ld duration_s=%lu%s%s%s\n",
                   p->name, (unsigned long)r->number, in_progress ? "in-progress " : "", verdict,
                   charger_stop_reason_token(in_progress ? charger_stats(c)->last_stop : r->stop), (long long)r->energy_wh,
                   (long)r->soc_start, (long)(r->soc_end >= 0 ? r->soc_end : r->soc_start),
                   (unsigned long)(((in_progress ? s->clock.now_ms : r->ended_ms) - r->plugged_ms + 500u) / 1000u),
                   r->detail != NULL && r->detail[0] ? " detail=" : "", r->detail != NULL ? r->detail : "", why);
            if (in_progress) {
                break;
            }
            kept++;
        }
        printf("sim: [%s] limits: connector %lu V, %lu A, %lu kW; highest voltage setpoint %.1f V, "
               "highest output voltage %.1f V (every ms)\n",
               p->name, (unsigned long)(c->cfg.max_voltage_mv / 1000u), (unsigned long)(c->cfg.max_current_ma / 1000u),
               (unsigned long)(c->cfg.max_power_w / 1000u), p->max_set_mv / 1000.0, p->max_out_mv / 1000.0);
        const struct sim_modbus_stats *mb = &x->imd.bus.stats;
        printf("sim: [%s] isolation monitor: real Bender driver on the simulated Modbus device: %lu requests, "
               "%lu answered, %lu timed out, %lu self-test(s)\n",
               p->name, (unsigned long)mb->requests, (unsigned long)mb->answered, (unsigned long)mb->timeouts,
               (unsigned long)x->imd.tests);
        bool sessions_ok = kept == script.sessions ||
                           (script.fault == PLANT_FAULT_WELD && kept == 0 && first_ok);
        if (script.fault == PLANT_FAULT_WELD) {
            good = first_ok && p->violations == 0; /* held: the car cannot leave */
        }
        good = good && sessions_ok;
        ok = ok && good;
        for (uint32_t k = 0; k < x->meas.n; k++) {
            all_ns[nall++] = x->meas.ns[k];
        }
        char judged[160];
        if (scenario != NULL) {
            snprintf(judged, sizeof judged, "judged by scenario %s below", scenario->name);
        } else {
            snprintf(judged, sizeof judged, "%s (%s)", good ? "as expected" : "NOT as expected", expect);
        }
        printf("sim: [%s] %lu session(s), %lu charged, %.1f s of power, %.3f kWh, last stop: %s%s%s, "
               "power path: %s, car: %s, safety violations: %lu -> %s\n",
               p->name, (unsigned long)charger_stats(c)->sessions,
               (unsigned long)charger_stats(c)->sessions_charged, charger_stats(c)->charge_ms_total / 1000.0,
               p->energy_wh / 1000.0, charger_stop_reason_name(charger_stats(c)->last_stop),
               charger_stats(c)->last_fault != INTERLOCK_FAULT_NONE ? " / " : "",
               charger_stats(c)->last_fault != INTERLOCK_FAULT_NONE
                   ? interlock_fault_name(charger_stats(c)->last_fault)
                   : "",
               interlock_state_name(interlock_state(&c->il)),
               ev_model_result(&x->car)[0] ? ev_model_result(&x->car) : "-", (unsigned long)p->violations,
               judged);
        if (x->pcap != NULL) {
            fclose(x->pcap);
        }
        if (x->csv != NULL) {
            fclose(x->csv);
        }
    }
    if (nall > 0) {
        qsort(all_ns, nall, sizeof all_ns[0], sim_cmp_u32);
        /* The first session of cp0 that reached CurrentDemand, finished or still in
         * progress (a connector held locked keeps its record open); 0 means none. */
        const struct charger *c0 = &s->c[0].charger;
        const struct charger_session_record *first = NULL;
        for (uint32_t h = 0; first == NULL && charger_history(c0, h) != NULL; h++) {
            if (charger_history(c0, h)->first_cd_ms != 0) {
                first = charger_history(c0, h);
            }
        }
        if (first == NULL && charger_session_in_progress(c0) != NULL &&
            charger_session_in_progress(c0)->first_cd_ms != 0) {
            first = charger_session_in_progress(c0);
        }
        char cd[160];
        if (first != NULL) {
            snprintf(cd, sizeof cd, "plug-in -> first CurrentDemandRes %.3f s (simulated, cp0 session %lu%s)",
                     first->first_cd_ms / 1000.0, (unsigned long)first->number,
                     scenario != NULL && scenario->kind == FAULTS_POWER_LOSS ? " after the restart" : "");
        } else {
            snprintf(cd, sizeof cd, "plug-in -> first CurrentDemandRes: none (no session of cp0 reached it)");
        }
        printf("sim: FIGURE CurrentDemandReq->Res (wall clock, this CPU): n=%lu p50=%.1f us p99=%.1f us "
               "max=%.1f us; %s\n",
               (unsigned long)nall, all_ns[nall / 2] / 1000.0, all_ns[(nall * 99u) / 100u] / 1000.0,
               all_ns[nall - 1] / 1000.0, cd);
    }
    if (s->clock.now_ms >= s->max_ms) {
        printf("sim: stopped at the --max-s limit before the scenario finished\n");
    }
    if (out_dir != NULL && !quiet) {
        printf("sim: V2G capture and time series in %s/cp*.pcap, %s/cp*.csv\n", out_dir, out_dir);
    }
    if (s_faults_on) {
        bool held_end = (scenario->flags & FAULTS_F_HELD) != 0;
        ok = faults_finish(&s_faults, report_dir, s->clock.now_ms >= s->max_ms && !held_end);
        if (report_dir != NULL) {
            /* faults_finish skips a report it cannot open: the user asked for it. */
            for (int k = 0; k < 2; k++) {
                char path[512];
                snprintf(path, sizeof path, "%s/%s.%s", report_dir, scenario->name, k == 0 ? "txt" : "svg");
                struct stat st;
                if (stat(path, &st) != 0 || st.st_size == 0) {
                    fprintf(stderr, "sim: --report-dir: %s was not written\n", path);
                    ok = false;
                }
            }
        }
    }
    printf("sim: %s: %.1f s simulated in %.3f s CPU (%lu loop passes), %lu safety violation(s)\n",
           ok ? "PASS" : "FAIL", s->clock.now_ms / 1000.0, cpu_s, (unsigned long)passes,
           (unsigned long)violations);
    return ok ? 0 : 1;
}
