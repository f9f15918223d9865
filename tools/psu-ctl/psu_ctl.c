/*
 * psu-ctl: bring-up tool for an InfyPower cabinet. Lists the modules found (serial
 * numbers, capabilities), optionally switches on at a setpoint for a while printing one
 * telemetry line per second, switches off and proves the output is off. It runs the
 * firmware's own driver (firmware/psu_infy.c over protocols/infypower/) on SocketCAN.
 * The last line is always: modules=N voltage=V current=A
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_can.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "psu_ctl_huawei.h"
#include "psu_infy.h"
#include "sched.h"

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct app {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_can can;
    struct sched sched;
    struct psu_infy psu;
    bool io;
    uint32_t now;
};

static struct app s_app;
static struct psu_module s_mods[CFG_INFY_MAX_MODULES];

static void usage(FILE *f)
{
    fprintf(f,
            "usage: psu-ctl --can IF (--modules LIST | --group G) [--voltage V --current A --seconds S]\n"
            "       psu-ctl --huawei HOST:PORT --goose-if IF ...   (a Huawei unit: psu-ctl --huawei x --help)\n"
            "Finds InfyPower modules, lists them, and optionally runs them at a setpoint.\n"
            "\n"
            "  --can IF              CAN interface (opened at 125 kbit/s)\n"
            "  --modules LIST        fixed addresses: 0,1,2 or 0-3 (hex with 0x)\n"
            "  --group G             group addressing, dialled group G\n"
            "  --voltage V           export voltage (volts)\n"
            "  --current A           total current limit (amperes)\n"
            "  --seconds S           how long to stay on (default 5); without --voltage:\n"
            "                        watch the modules this long, output off\n"
            "  --discover-s S        how long to wait for every module (default 5)\n"
            "  --offline-timeout S   driver offline timeout, > 10 (default 15)\n"
            "  --off-wait-ms MS      how long the \"off\" proof may take: every module's answer\n"
            "                        must show the current gone (default 1500, the driver's)\n"
            "  --verbose             driver log lines (stderr) at debug level\n"
            "  --quiet               driver warnings and errors only\n"
            "  -h, --help            this text\n"
            "\n"
            "Output: one line per module, one telemetry line per second while on, then\n"
            "'modules=N voltage=V current=A' (last measured while on). Exit status: 0 when\n"
            "every step worked (all modules found, switched on, current measured, no error,\n"
            "off proven), 1 otherwise, 2 for bad arguments.\n");
}

static int parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (*s == '\0' || errno != 0 || v < lo || v > hi || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_list(const char *s, struct infy_config *c)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    c->count = 0;
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        char *dash = strchr(tok + 1, '-');
        unsigned long a, b;
        if (dash != NULL) {
            *dash = '\0';
            if (parse_u(tok, 0, 0x3B, &a) != 0 || parse_u(dash + 1, 0, 0x3B, &b) != 0 || b < a) {
                return -1;
            }
        } else if (parse_u(tok, 0, 0x3B, &a) == 0) {
            b = a;
        } else {
            return -1;
        }
        for (unsigned long v = a; v <= b; v++) {
            if (c->count >= CFG_INFY_MAX_MODULES) {
                return -1;
            }
            c->addresses[c->count++] = (uint8_t)v;
        }
    }
    return c->count > 0 ? 0 : -1;
}

/* Run the loop for up to @p ms, or until @p done says so. */
static void run(struct app *a, uint32_t ms, bool (*done)(struct app *))
{
    uint32_t end = hal_clock_now_ms(&a->loop.base) + ms;
    while (!s_stop) {
        a->now = hal_clock_now_ms(&a->loop.base);
        if (hal_time_reached(a->now, end) || (done != NULL && done(a))) {
            return;
        }
        uint32_t wait = sched_run(&a->sched, a->now, a->io);
        int32_t left = hal_time_diff(end, a->now);
        if (left >= 0 && (uint32_t)left < wait) {
            wait = (uint32_t)left;
        }
        a->io = hal_clock_idle(&a->loop.base, wait) == HAL_OK;
    }
}

static size_t s_expected;

static bool discovered(struct app *a)
{
    size_t n = 0;
    int rc = psu_read_modules(&a->psu.base, s_mods, CFG_INFY_MAX_MODULES, &n);
    if (rc != HAL_OK || n == 0 || (s_expected != 0 && n < s_expected)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!s_mods[i].online || s_mods[i].max_voltage_mv == 0 || s_mods[i].serial[0] == '\0') {
            return false;
        }
    }
    return true;
}

static bool off_settled(struct app *a)
{
    return psu_off_done(&a->psu.base, a->now) != HAL_EAGAIN;
}

static size_t print_errors(struct app *a, bool print)
{
    struct psu_error errs[32];
    size_t n = 0;
    (void)psu_get_errors(&a->psu.base, errs, 32, &n);
    for (size_t i = 0; print && i < n; i++) {
        if (errs[i].subtype == PSU_SUBTYPE_SYSTEM) {
            printf("error: %s (%s) system\n", psu_error_name(errs[i].type),
                   psu_severity_name(errs[i].severity));
        } else {
            printf("error: %s (%s) module 0x%02X status 0x%06lX\n", psu_error_name(errs[i].type),
                   psu_severity_name(errs[i].severity), errs[i].subtype,
                   (unsigned long)errs[i].vendor_code);
        }
    }
    return n;
}

static void telemetry_line(struct app *a, uint32_t t0)
{
    struct psu_telemetry t;
    struct psu_capabilities c;
    size_t n = 0;
    (void)psu_read_telemetry(&a->psu.base, &t, a->now);
    bool caps = psu_get_capabilities(&a->psu.base, &c) == HAL_OK;
    (void)psu_read_modules(&a->psu.base, s_mods, CFG_INFY_MAX_MODULES, &n);
    static const char *const modes[] = {"off", "export", "import", "fault"};
    printf("t=%lu mode=%s online=%u active=%u configured=%u voltage=%.1f current=%.2f valid=%d "
           "caps_current=%.1f caps_power=%lu errors=%zu |",
           (unsigned long)((a->now - t0 + 500u) / 1000u), modes[t.mode], t.modules_online,
           t.modules_active, t.modules_configured, t.output.voltage_mv / 1000.0,
           t.output.current_ma / 1000.0, t.output.valid, caps ? c.max_export_current_ma / 1000.0 : 0.0,
           caps ? (unsigned long)c.max_export_power_w : 0ul, print_errors(a, false));
    for (size_t i = 0; i < n; i++) {
        printf(" 0x%02X:%s%.1fV/%.2fA", s_mods[i].address,
               !s_mods[i].online ? "lost:" : (s_mods[i].active ? "" : "inactive:"),
               s_mods[i].voltage_mv / 1000.0, s_mods[i].current_ma / 1000.0);
    }
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct app *a = &s_app;
    struct infy_config cfg;
    const char *ifname = NULL;
    double volts = -1, amps = -1;
    unsigned long seconds = 5, discover_s = 5, u;
    bool have_mode = false, seconds_given = false;
    enum hal_log_level lvl = HAL_LOG_INFO;
    infy_default_config(&cfg);
    for (int i = 1; i < argc; i++) { /* a Huawei unit: its own run (psu_ctl_huawei.c) */
        if (strcmp(argv[i], "--huawei") == 0) {
            return psu_ctl_huawei_main(argc, argv);
        }
    }

    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "--verbose") == 0) {
            lvl = HAL_LOG_DEBUG;
            continue;
        } else if (strcmp(o, "--quiet") == 0) {
            lvl = HAL_LOG_WARN;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "psu-ctl: %s needs a value (try --help)\n", o);
            return 2;
        }
        i++;
        if (strcmp(o, "--can") == 0) {
            ifname = v;
        } else if (strcmp(o, "--modules") == 0 && !have_mode && parse_list(v, &cfg) == 0) {
            cfg.addressing = INFY_ADDRESSING_FIXED;
            have_mode = true;
        } else if (strcmp(o, "--group") == 0 && !have_mode && parse_u(v, 0, 63, &u) == 0) {
            cfg.addressing = INFY_ADDRESSING_GROUP;
            cfg.group = (uint8_t)u;
            have_mode = true;
        } else if (strcmp(o, "--voltage") == 0 && (volts = atof(v)) > 0 && volts <= 1500) {
        } else if (strcmp(o, "--current") == 0 && (amps = atof(v)) > 0 && amps <= 6000) {
        } else if (strcmp(o, "--seconds") == 0 && parse_u(v, 1, 86400, &seconds) == 0) {
            seconds_given = true;
        } else if (strcmp(o, "--discover-s") == 0 && parse_u(v, 1, 600, &discover_s) == 0) {
        } else if (strcmp(o, "--offline-timeout") == 0 && parse_u(v, 1, 600, &u) == 0) {
            cfg.offline_timeout_ms = (uint32_t)u * 1000u;
        } else if (strcmp(o, "--off-wait-ms") == 0 && parse_u(v, 100, 60000, &u) == 0) {
            cfg.power_down_timeout_ms = (uint32_t)u;
        } else {
            fprintf(stderr, "psu-ctl: bad option or value: %s %s (try --help)\n", o, v);
            return 2;
        }
    }
    if (ifname == NULL || !have_mode || (volts > 0) != (amps > 0)) {
        fprintf(stderr, "psu-ctl: need --can, --modules or --group, and --voltage with --current\n");
        return 2;
    }
    const char *why = NULL;
    if (infy_config_check(&cfg, &why) != HAL_OK) {
        fprintf(stderr, "psu-ctl: invalid configuration: %s\n", why);
        return 2;
    }
    s_expected = cfg.addressing == INFY_ADDRESSING_FIXED ? cfg.count : 0;

    linux_log_init(&a->log, lvl, true, false, "psu-ctl");
    linux_loop_init(&a->loop);
    a->loop.stop_flag = (volatile int *)&s_stop;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (linux_can_init(&a->can, ifname) != HAL_OK) {
        fprintf(stderr, "psu-ctl: bad interface name '%s'\n", ifname);
        return 2;
    }
    int rc = hal_can_open(&a->can.base, 125000);
    if (rc != HAL_OK) {
        if (rc == HAL_ENOENT) {
            fprintf(stderr, "psu-ctl: CAN interface %s: not found (see 'ip link'; vcan: tools/vcan-run)\n", ifname);
        } else {
            fprintf(stderr, "psu-ctl: CAN interface %s: %s\n", ifname, hal_strerror(rc));
        }
        printf("modules=0 voltage=0.0 current=0.00\n");
        return 1;
    }
    (void)linux_loop_watch(&a->loop, linux_can_fd(&a->can), POLLIN);
    sched_init(&a->sched);
    a->now = hal_clock_now_ms(&a->loop.base);
    rc = psu_infy_init(&a->psu, &cfg, &a->can.base, &a->log.base, &a->sched, a->now);
    if (rc != HAL_OK) {
        fprintf(stderr, "psu-ctl: driver start failed: %s\n", hal_strerror(rc));
        printf("modules=0 voltage=0.0 current=0.00\n");
        return 1;
    }
    bool ok = true;
    uint32_t t0 = a->now;

    /* 1. discovery */
    run(a, (uint32_t)discover_s * 1000u, discovered);
    size_t n = 0;
    (void)psu_read_modules(&a->psu.base, s_mods, CFG_INFY_MAX_MODULES, &n);
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const struct psu_module *m = &s_mods[i];
        if (!m->online) {
            printf("module 0x%02X not found\n", m->address);
            continue;
        }
        found++;
        printf("module 0x%02X SN_%s %lu..%lu V %.1f A %lu W temperature %d C status 0x%06lX\n",
               m->address, m->serial[0] != '\0' ? m->serial : "?",
               (unsigned long)(m->min_voltage_mv / 1000u), (unsigned long)(m->max_voltage_mv / 1000u),
               m->max_current_ma / 1000.0, (unsigned long)m->rated_power_w, m->temperature_c,
               (unsigned long)m->status);
    }
    struct psu_capabilities caps;
    if (psu_get_capabilities(&a->psu.base, &caps) == HAL_OK) {
        printf("stage: %zu module(s), %lu..%lu V, %.1f..%.1f A, %lu W\n", found,
               (unsigned long)(caps.min_export_voltage_mv / 1000u),
               (unsigned long)(caps.max_export_voltage_mv / 1000u), caps.min_export_current_ma / 1000.0,
               caps.max_export_current_ma / 1000.0, (unsigned long)caps.max_export_power_w);
    } else {
        printf("stage: no module answered\n");
    }
    if (found == 0 || (s_expected != 0 && found != s_expected) || !discovered(a)) {
        ok = false;
    }
    fflush(stdout);

    /* 2. optional run at the setpoint */
    struct psu_telemetry last = {0};
    if (volts > 0) {
        uint32_t mv = (uint32_t)(volts * 1000.0 + 0.5), ma = (uint32_t)(amps * 1000.0 + 0.5);
        rc = psu_set_export(&a->psu.base, mv, ma, a->now);
        if (rc != HAL_OK) {
            printf("setpoint %.1f V %.2f A outside the capabilities: clamped\n", volts, amps);
            ok = false;
        }
        rc = psu_set_mode(&a->psu.base, PSU_MODE_EXPORT, a->now);
        if (rc != HAL_OK) {
            printf("switch on refused: %s\n", hal_strerror(rc));
            ok = false;
        } else {
            printf("on at %.1f V %.2f A for %lu s\n", volts, amps, seconds);
        }
        uint32_t on_t0 = a->now;
        for (unsigned long s = 1; s <= seconds && !s_stop; s++) {
            uint32_t due = on_t0 + (uint32_t)s * 1000u;
            run(a, (uint32_t)hal_time_diff(due, a->now) > 0 ? (uint32_t)hal_time_diff(due, a->now) : 0u, NULL);
            telemetry_line(a, t0);
            (void)psu_read_telemetry(&a->psu.base, &last, a->now);
        }
        if (last.output.current_ma <= 0 || last.mode != PSU_MODE_EXPORT) {
            ok = false;
        }
        size_t nerr = print_errors(a, true);
        if (nerr != 0) {
            ok = false;
        }
    } else if (seconds_given) {
        for (unsigned long s = 1; s <= seconds && !s_stop; s++) {
            uint32_t due = t0 + (uint32_t)(discover_s + s) * 1000u;
            int32_t left = hal_time_diff(due, a->now);
            run(a, left > 0 ? (uint32_t)left : 0u, NULL);
            telemetry_line(a, t0);
        }
        if (print_errors(a, true) != 0) {
            ok = false;
        }
    }

    /* 3. off, and the proof */
    (void)psu_set_mode(&a->psu.base, PSU_MODE_OFF, a->now);
    uint32_t off_t0 = a->now;
    /* off_settled ends the wait at the proof or at the driver's power-down timeout */
    run(a, infy_drv_config(&a->psu.drv)->power_down_timeout_ms + 3500u, off_settled);
    rc = psu_off_done(&a->psu.base, a->now);
    struct psu_output out;
    (void)psu_read_output(&a->psu.base, &out, a->now);
    if (rc == HAL_OK) {
        printf("off: output below the safe current after %lu ms (%.2f A)\n",
               (unsigned long)(a->now - off_t0), out.current_ma / 1000.0);
    } else {
        printf("off: NOT proven: %s\n", hal_strerror(rc));
        ok = false;
    }
    /* let the "off" frames reach every module before the socket closes */
    run(a, 300, NULL);
    hal_can_close(&a->can.base);
    linux_log_close(&a->log);
    printf("modules=%zu voltage=%.1f current=%.2f\n", found, last.output.voltage_mv / 1000.0,
           last.output.current_ma / 1000.0);
    return ok && !s_stop ? 0 : 1;
}
