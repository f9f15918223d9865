/*
 * imd-ctl - bring-up tool for a Bender isoCHA425HV or Dold RN5893 insulation monitor, and
 * the host harness that runs the real firmware stack (linux_modbus + imd driver + the
 * isolation-monitor adapter) in a superloop.
 *
 *   imd-ctl (--rtu DEV[,BAUD[,8E1]] | --tcp HOST:PORT) [--model bender|dold] [--slave N]
 *           [--rated-v V] [--timeout-ms MS] COMMAND
 *     read            start measuring, print the first valid measurement and its status
 *     selftest        run the device's self-test and print the result
 *     watch SECONDS   measure for SECONDS, one line per new value; the Dold watchdog is
 *                     fed all along; prints the errors at the end and the longest loop pass
 * Exit status 0 on success; 1 with a reason on any failure; 2 for bad arguments.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isolation_imd.h"
#include "isolation.h"
#include "linux_loop.h"
#include "linux_modbus.h"
#include "sched.h"
#include "tool_args.h"

struct ctl {
    struct linux_loop loop;
    struct linux_modbus mb;
    struct sched sched;
    bool dold;
    struct isolation_imd_bender bender;
    struct isolation_imd_dold dd;
    struct isolation *iso;
    uint64_t max_pass_ns;
};

static struct ctl s_ctl;
static volatile int s_stop;

static void ctl_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint64_t ctl_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ctl_pass(struct ctl *c)
{
    static bool io;
    uint64_t t0 = ctl_ns();
    uint32_t now = hal_clock_now_ms(&c->loop.base);
    uint32_t wait = sched_run(&c->sched, now, io);
    uint64_t dt = ctl_ns() - t0;
    if (dt > c->max_pass_ns) {
        c->max_pass_ns = dt;
    }
    io = hal_clock_idle(&c->loop.base, wait) == HAL_OK;
}

static void ctl_status(struct ctl *c, struct imd_status *st)
{
    if (c->dold) {
        imd_dold_status(&c->dd.dev, st);
    } else {
        imd_bender_status(&c->bender.dev, st);
    }
}

static void ctl_run_ms(struct ctl *c, uint32_t ms)
{
    uint32_t start = hal_clock_now_ms(&c->loop.base);
    while (!s_stop && hal_clock_now_ms(&c->loop.base) - start < ms) {
        ctl_pass(c);
    }
}

/* Run until the device is configured or has failed once. */
static int ctl_wait_ready(struct ctl *c)
{
    uint32_t start = hal_clock_now_ms(&c->loop.base);
    struct imd_status st;
    while (!s_stop && hal_clock_now_ms(&c->loop.base) - start < 10000u) {
        ctl_status(c, &st);
        if (st.ready) {
            return 0;
        }
        if (st.error == IMD_ERR_COMM || st.error == IMD_ERR_EXCEPTION) {
            break;
        }
        ctl_pass(c);
    }
    ctl_status(c, &st);
    fprintf(stderr, "imd-ctl: no device: %s", imd_error_name(st.error));
    if (st.exception != 0) {
        fprintf(stderr, " (exception %u)", st.exception);
    }
    fprintf(stderr, "\n");
    return 1;
}

static int ctl_print_errors(struct ctl *c)
{
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    isolation_get_errors(c->iso, e, ISOLATION_ERRORS_MAX, &n);
    int stops = 0;
    for (size_t i = 0; i < n; i++) {
        const char *detail = "";
        if (c->dold && e[i].type == ISOLATION_ERR_DEVICE_FAULT) {
            detail = imd_dold_fault_name((uint16_t)e[i].vendor_code);
        }
        printf("error: %s (%s, code %lu%s%s)\n", isolation_error_name(e[i].type),
               isolation_severity_name(e[i].severity), (unsigned long)e[i].vendor_code,
               detail[0] != '\0' ? ": " : "", detail);
        stops += isolation_error_stops_session(e[i].type) ? 1 : 0;
    }
    return stops;
}

static void ctl_print_measurement(const struct isolation_measurement *m)
{
    printf("resistance: %lu Ohm%s\n", (unsigned long)m->resistance_ohm,
           m->resistance_lower_bound ? " or more" : "");
    if (m->voltage_valid) {
        printf("voltage: %ld.%ld V\n", (long)(m->voltage_dv / 10), labs((long)(m->voltage_dv % 10)));
    } else {
        printf("voltage: invalid\n");
    }
    if (m->earth_valid) {
        printf("earth: L+ %ld.%ld V, L- %ld.%ld V\n", (long)(m->l1e_dv / 10), labs((long)(m->l1e_dv % 10)),
               (long)(m->l2e_dv / 10), labs((long)(m->l2e_dv % 10)));
    }
    printf("alarm: %s\n", m->alarm == ISOLATION_ALARM_ALARM        ? "alarm"
                          : m->alarm == ISOLATION_ALARM_PREWARNING ? "pre-warning"
                                                                   : "none");
    printf("status: %s\n", isolation_status_name(m->status));
}

static int ctl_read(struct ctl *c)
{
    if (ctl_wait_ready(c) != 0) {
        return 1;
    }
    isolation_start(c->iso, hal_clock_now_ms(&c->loop.base));
    uint32_t start = hal_clock_now_ms(&c->loop.base);
    struct isolation_measurement m;
    while (!s_stop && hal_clock_now_ms(&c->loop.base) - start < 5000u) {
        struct isolation_error e[ISOLATION_ERRORS_MAX];
        size_t n = 0;
        isolation_get_errors(c->iso, e, ISOLATION_ERRORS_MAX, &n);
        if (isolation_read(c->iso, &m, hal_clock_now_ms(&c->loop.base)) == HAL_OK || n > 0) {
            break;
        }
        ctl_pass(c);
    }
    int rc = isolation_read(c->iso, &m, hal_clock_now_ms(&c->loop.base));
    int stops = ctl_print_errors(c);
    if (rc != HAL_OK) {
        printf("status: %s\n", isolation_status_name(m.status));
        fprintf(stderr, "imd-ctl: no valid measurement\n");
        return 1;
    }
    ctl_print_measurement(&m);
    isolation_stop(c->iso, hal_clock_now_ms(&c->loop.base));
    ctl_run_ms(c, 100);
    return stops > 0 ? 1 : 0;
}

static int ctl_selftest(struct ctl *c)
{
    if (ctl_wait_ready(c) != 0) {
        return 1;
    }
    int rc = isolation_self_test(c->iso, 500, hal_clock_now_ms(&c->loop.base));
    if (rc != HAL_OK) {
        fprintf(stderr, "imd-ctl: self-test refused: %s\n", hal_strerror(rc));
        return 1;
    }
    uint64_t t0 = ctl_ns();
    while (!s_stop && isolation_self_test_result(c->iso) == ISOLATION_TEST_RUNNING) {
        ctl_pass(c);
    }
    struct imd_status st;
    ctl_status(c, &st);
    enum isolation_test r = isolation_self_test_result(c->iso);
    printf("self-test: %s", isolation_test_name(r));
    if (r == ISOLATION_TEST_FAILED) {
        printf(" (%s)", imd_test_fail_name(st.test_fail));
    }
    printf(" after %.1f s\n", (double)(ctl_ns() - t0) / 1e9);
    ctl_print_errors(c);
    return r == ISOLATION_TEST_PASSED ? 0 : 1;
}

static int ctl_watch(struct ctl *c, unsigned seconds)
{
    if (ctl_wait_ready(c) != 0) {
        return 1;
    }
    isolation_start(c->iso, hal_clock_now_ms(&c->loop.base));
    uint32_t start = hal_clock_now_ms(&c->loop.base);
    uint32_t seq = 0, values = 0;
    while (!s_stop && hal_clock_now_ms(&c->loop.base) - start < seconds * 1000u) {
        ctl_pass(c);
        struct isolation_measurement m;
        if (isolation_read(c->iso, &m, hal_clock_now_ms(&c->loop.base)) == HAL_OK && m.seq != seq) {
            seq = m.seq;
            values++;
            printf("t=%lu ms R=%lu Ohm status=%s\n",
                   (unsigned long)(hal_clock_now_ms(&c->loop.base) - start),
                   (unsigned long)m.resistance_ohm, isolation_status_name(m.status));
            fflush(stdout);
        }
    }
    int stops = ctl_print_errors(c);
    printf("values: %lu\n", (unsigned long)values);
    if (c->dold) {
        printf("watchdog refreshes: %lu, recoveries: %lu, eeprom writes: %lu\n",
               (unsigned long)c->dd.dev.wd_refreshes, (unsigned long)c->dd.dev.wd_recoveries,
               (unsigned long)c->dd.dev.cfg_writes);
    }
    printf("longest loop pass: %.3f ms\n", (double)c->max_pass_ns / 1e6);
    isolation_stop(c->iso, hal_clock_now_ms(&c->loop.base));
    ctl_run_ms(c, 100);
    return stops > 0 || values == 0 ? 1 : 0;
}

static void ctl_usage(FILE *f)
{
    fprintf(f, "usage: imd-ctl (--rtu DEV[,BAUD[,8E1]] | --tcp [HOST:]PORT) [--model bender|dold]\n"
               "               [--slave N] [--rated-v V] [--timeout-ms MS] (read | selftest | watch S)\n"
               "  --tcp [HOST:]PORT  Modbus TCP device (HOST default 127.0.0.1, PORT 1..65535; HOST alone: 502)\n"
               "Exit status: 0 done, 1 the device failed or did not answer, 2 bad arguments.\n");
}

int main(int argc, char **argv)
{
    struct ctl *c = &s_ctl;
    const char *rtu = NULL, *tcp = NULL;
    long slave = 0;
    long rated_v = 1000, timeout_ms = 500;
    static const struct option opts[] = {
        {"rtu", required_argument, 0, 'r'},     {"tcp", required_argument, 0, 't'},
        {"model", required_argument, 0, 'm'},   {"slave", required_argument, 0, 's'},
        {"rated-v", required_argument, 0, 'V'}, {"timeout-ms", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'r': rtu = optarg; break;
        case 't': tcp = optarg; break;
        case 'm':
            if (strcmp(optarg, "dold") == 0) {
                c->dold = true;
            } else if (strcmp(optarg, "bender") != 0) {
                fprintf(stderr, "imd-ctl: --model bender or dold\n");
                return 2;
            }
            break;
        case 's':
            if (tool_number("imd-ctl", "--slave", optarg, 1, 247, &slave) != 0) {
                return 2;
            }
            break;
        case 'V':
            if (tool_number("imd-ctl", "--rated-v", optarg, 1, 2000, &rated_v) != 0) {
                return 2;
            }
            break;
        case 'T':
            if (tool_number("imd-ctl", "--timeout-ms", optarg, 10, 60000, &timeout_ms) != 0) {
                return 2;
            }
            break;
        case 'h': ctl_usage(stdout); return 0;
        default: ctl_usage(stderr); return 2;
        }
    }
    if ((rtu == NULL) == (tcp == NULL) || optind >= argc) {
        ctl_usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    long watch_s = 0;
    if (strcmp(cmd, "watch") == 0 &&
        tool_number("imd-ctl", "watch S", optind + 1 < argc ? argv[optind + 1] : NULL, 1, 86400, &watch_s) != 0) {
        return 2;
    }
    /* Check the bus argument here, so a typo is named as such and never reported as a
     * device that does not answer. */
    char spec[TOOL_HOST_MAX + 16];
    if (tcp != NULL) {
        char addr[TOOL_HOST_MAX];
        int port = 0;
        if (tool_host_port("imd-ctl", "--tcp", tcp, "127.0.0.1", 502, addr, &port) != 0) {
            return 2;
        }
        snprintf(spec, sizeof spec, "%s:%d", addr, port);
        tcp = spec;
    } else {
        char dev[256];
        snprintf(dev, sizeof dev, "%s", rtu);
        dev[strcspn(dev, ",")] = '\0';
        if (tool_must_exist("imd-ctl", "serial device", dev) != 0) {
            return 1;
        }
    }
    signal(SIGINT, ctl_on_signal);
    signal(SIGTERM, ctl_on_signal);
    linux_loop_init(&c->loop);
    c->loop.stop_flag = &s_stop;
    sched_init(&c->sched);
    struct linux_modbus_config mcfg;
    if (linux_modbus_parse(rtu != NULL ? rtu : tcp, rtu != NULL ? LINUX_MODBUS_RTU : LINUX_MODBUS_TCP,
                           &mcfg) != HAL_OK) {
        fprintf(stderr, "imd-ctl: bad bus '%s' (--rtu DEV[,BAUD[,8E1]], BAUD 1..4000000)\n", rtu != NULL ? rtu : tcp);
        return 2;
    }
    /* The Bender's link default is 8E1; an explicit ",8N1" in the spec still wins. */
    if (rtu != NULL && !c->dold && strchr(rtu, ',') != NULL && strchr(strchr(rtu, ',') + 1, ',') == NULL) {
        mcfg.parity = 'E';
    } else if (rtu != NULL && !c->dold && strchr(rtu, ',') == NULL) {
        mcfg.parity = 'E';
        mcfg.baud = 19200;
    }
    mcfg.timeout_ms = (uint32_t)timeout_ms;
    if (linux_modbus_init(&c->mb, &mcfg) != HAL_OK) {
        fprintf(stderr, "imd-ctl: cannot open the bus\n");
        return 1;
    }
    linux_loop_watch(&c->loop, linux_modbus_fd(&c->mb), POLLIN);
    struct isolation_limits lim;
    isolation_limits_default(&lim);
    lim.rated_voltage_v = (uint32_t)rated_v;
    int rc;
    if (c->dold) {
        struct imd_dold_config cfg;
        imd_dold_config_default(&cfg);
        cfg.timeout_ms = (uint32_t)timeout_ms;
        if (slave != 0) {
            cfg.unit = (uint8_t)slave;
        }
        rc = isolation_imd_dold_init(&c->dd, &c->mb.base, &cfg, &lim);
        c->iso = &c->dd.base;
        if (rc == HAL_OK) {
            rc = sched_add(&c->sched, isolation_imd_dold_task(&c->dd), hal_clock_now_ms(&c->loop.base));
        }
    } else {
        struct imd_bender_config cfg;
        imd_bender_config_default(&cfg);
        cfg.timeout_ms = (uint32_t)timeout_ms;
        if (slave != 0) {
            cfg.unit = (uint8_t)slave;
        }
        rc = isolation_imd_bender_init(&c->bender, &c->mb.base, &cfg, &lim);
        c->iso = &c->bender.base;
        if (rc == HAL_OK) {
            rc = sched_add(&c->sched, isolation_imd_bender_task(&c->bender), hal_clock_now_ms(&c->loop.base));
        }
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "imd-ctl: driver set-up failed: %s\n", hal_strerror(rc));
        return 1;
    }
    printf("model: %s\n", c->dold ? "Dold RN5893" : "Bender isoCHA425HV");
    int status;
    if (strcmp(cmd, "read") == 0) {
        status = ctl_read(c);
        if (!c->dold && status == 0) {
            printf("device: %s, firmware %u.%02u\n", imd_bender_name(&c->bender.dev),
                   c->bender.dev.fw_version / 100u, c->bender.dev.fw_version % 100u);
        }
    } else if (strcmp(cmd, "selftest") == 0) {
        status = ctl_selftest(c);
    } else if (strcmp(cmd, "watch") == 0 && optind + 1 < argc) {
        status = ctl_watch(c, (unsigned)watch_s);
    } else {
        ctl_usage(stderr);
        status = 2;
    }
    linux_loop_unwatch(&c->loop, linux_modbus_fd(&c->mb));
    linux_modbus_close(&c->mb);
    return status;
}
