/*
 * imdsim - Bender isoCHA425HV or Dold RN5893 insulation-monitor emulator on Modbus RTU
 * (serial device) or TCP, with libmodbus as the server.
 *
 * The device is the simulation layer's model, sim/sim_imd_dev.c (the one the simulator
 * board reads with the real drivers, as sim/sim_infy.c serves both the simulator and
 * infysim); this program only puts it on a real wire:
 * Bender measurement channels (float, high word first, status word with alarm, test,
 * unit, validity), identification, configuration registers and the "TE" self-test;
 * Dold fault/state input registers, values in 100 Ohm, EEPROM configuration block,
 * control word (reset, self-test, measurement off) and the Modbus watchdog that trips
 * fault 9 and then refuses every write except a reset.
 *
 * Faults: low resistance, device fault, self-test failure, no answer. Commands on stdin
 * change them at run time ("resistance OHM", "voltage V", "fault NAME", "fault none").
 * Prints "ready" when it serves, and one line per event (self-test, watchdog trip).
 */
#include <getopt.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbserve.h"
#include "tool_args.h"

#include "sim_imd_dev.h"
#include "sim_modbus.h"

struct imdsim {
    struct sim_imd_dev dev;
    bool noanswer;
    bool verbose;
    uint64_t t0_ns;
    uint32_t reported_tests, reported_trips;
    bool was_testing;
};

static volatile sig_atomic_t s_stop;
static void imdsim_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint32_t imdsim_ms(const struct imdsim *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return (uint32_t)((ns - s->t0_ns) / 1000000ull) + 1000u;
}

static int imdsim_fault(struct imdsim *s, const char *name)
{
    struct sim_imd_dev *d = &s->dev;
    if (strcmp(name, "none") == 0) {
        d->device_fault = false;
        d->fault_code = 0;
        d->test_fails = false;
        s->noanswer = false;
    } else if (strcmp(name, "low-r") == 0) {
        d->resistance_ohm = 50000.0f;
    } else if (strcmp(name, "device") == 0) {
        d->device_fault = true;
        d->fault_code = 1; /* Dold: broken wire L+/L-; Bender: alarm "device error" */
        d->fault_latched = true;
    } else if (strcmp(name, "selftest-fail") == 0) {
        d->test_fails = true;
        d->fault_latched = true;
    } else if (strcmp(name, "noanswer") == 0) {
        s->noanswer = true;
    } else {
        return -1;
    }
    return 0;
}

static void imdsim_command(struct imdsim *s, char *line)
{
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    char *arg = strchr(line, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
    }
    if (strcmp(line, "resistance") == 0 && arg != NULL) {
        s->dev.resistance_ohm = (float)atof(arg);
    } else if (strcmp(line, "voltage") == 0 && arg != NULL) {
        s->dev.voltage_v = (float)atof(arg);
    } else if (strcmp(line, "fault") == 0 && arg != NULL && imdsim_fault(s, arg) == 0) {
        /* applied */
    } else {
        fprintf(stderr, "imdsim: unknown command '%s'\n", line);
        return;
    }
    printf("ok %s%s%s\n", line, arg != NULL ? " " : "", arg != NULL ? arg : "");
    fflush(stdout);
}

static void imdsim_tick(struct imdsim *s)
{
    sim_imd_dev_tick(&s->dev, imdsim_ms(s));
    if (s->dev.tests_started != s->reported_tests) {
        s->reported_tests = s->dev.tests_started;
        printf("self-test started\n");
    }
    if (s->was_testing && !s->dev.testing) {
        printf("self-test ended: %s\n", s->dev.device_fault ? "device fault" : "ok");
    }
    s->was_testing = s->dev.testing;
    if (s->dev.wd_trips != s->reported_trips) {
        s->reported_trips = s->dev.wd_trips;
        printf("watchdog tripped: fault 9\n");
    }
    fflush(stdout);
}

static void imdsim_stdin(struct imdsim *s)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};
    while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
        char line[128];
        if (fgets(line, sizeof line, stdin) == NULL) {
            return;
        }
        imdsim_command(s, line);
    }
}

static void imdsim_usage(FILE *f)
{
    fprintf(f,
            "usage: imdsim (--rtu DEV[,BAUD[,PARITY]] | --tcp [HOST:]PORT) [options]\n"
            "  --tcp [HOST:]PORT      Modbus TCP server on HOST (default 127.0.0.1), port 1..65535\n"
            "  --model bender|dold    (default bender)\n"
            "  --slave N              unit id (default 3 for Bender, 1 for Dold)\n"
            "  --resistance OHM       insulation resistance (default 1000000)\n"
            "  --voltage V            DC+ to DC- (default 400; Dold: negative = out of range)\n"
            "  --test-ms MS           self-test duration (default 3000)\n"
            "  --fw N                 Bender firmware version, 500 = 5.00 (default 501)\n"
            "  --fault NAME           low-r | device | selftest-fail | noanswer (repeatable)\n"
            "  -v                     log requests\n"
            "RTU defaults: Bender 19200 8E1, Dold 19200 8N1. stdin commands: resistance OHM,\n"
            "voltage V, fault NAME, fault none.\n");
}

int main(int argc, char **argv)
{
    static struct imdsim sim;
    struct imdsim *s = &sim;
    enum sim_imd_kind kind = SIM_IMD_BENDER;
    const char *rtu = NULL;
    int tcp_port = 0, slave = 0;
    char tcp_host[TOOL_HOST_MAX] = "";
    long v = 0;
    double resistance = 1.0e6, voltage = 400.0;
    long test_ms = 3000, fw = 501;
    const char *faults[8];
    int nfaults = 0;
    static const struct option opts[] = {
        {"rtu", required_argument, 0, 'r'},        {"tcp", required_argument, 0, 't'},
        {"model", required_argument, 0, 'm'},      {"slave", required_argument, 0, 's'},
        {"resistance", required_argument, 0, 'R'}, {"voltage", required_argument, 0, 'V'},
        {"test-ms", required_argument, 0, 'T'},    {"fw", required_argument, 0, 'f'},
        {"fault", required_argument, 0, 'F'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rtu = optarg; break;
        case 't':
            if (tool_host_port("imdsim", "--tcp", optarg, "127.0.0.1", 0, tcp_host, &tcp_port) != 0) {
                return 2;
            }
            break;
        case 'm':
            if (strcmp(optarg, "dold") == 0) {
                kind = SIM_IMD_DOLD;
            } else if (strcmp(optarg, "bender") != 0) {
                fprintf(stderr, "imdsim: --model bender or dold\n");
                return 2;
            }
            break;
        case 's':
            if (tool_number("imdsim", "--slave", optarg, 1, 247, &v) != 0) {
                return 2;
            }
            slave = (int)v;
            break;
        case 'R': resistance = atof(optarg); break;
        case 'V': voltage = atof(optarg); break;
        case 'T':
            if (tool_number("imdsim", "--test-ms", optarg, 1, 600000, &test_ms) != 0) {
                return 2;
            }
            break;
        case 'f':
            if (tool_number("imdsim", "--fw", optarg, 0, 65535, &fw) != 0) {
                return 2;
            }
            break;
        case 'F':
            if (nfaults < 8) {
                faults[nfaults++] = optarg;
            }
            break;
        case 'v': s->verbose = true; break;
        case 'h': imdsim_usage(stdout); return 0;
        default: imdsim_usage(stderr); return 2;
        }
    }
    if ((rtu == NULL) == (tcp_port == 0)) {
        fprintf(stderr, "imdsim: give exactly one of --rtu DEV or --tcp [HOST:]PORT (--help)\n");
        return 2;
    }
    if (resistance < 0) {
        fprintf(stderr, "imdsim: --resistance must not be negative\n");
        return 2;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->t0_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    sim_imd_dev_init(&s->dev, kind);
    s->dev.resistance_ohm = (float)resistance;
    s->dev.voltage_v = (float)voltage;
    s->dev.test_ms = (uint32_t)test_ms;
    s->dev.fw_version = (uint16_t)fw;
    s->dev.last_heard_ms = imdsim_ms(s);
    for (int i = 0; i < nfaults; i++) {
        if (imdsim_fault(s, faults[i]) != 0) {
            fprintf(stderr, "imdsim: unknown fault '%s'\n", faults[i]);
            return 2;
        }
    }
    if (slave == 0) {
        slave = s->dev.slave.unit;
    }
    s->dev.slave.unit = (uint8_t)slave;
    signal(SIGINT, imdsim_on_signal);
    signal(SIGTERM, imdsim_on_signal);
    signal(SIGPIPE, SIG_IGN);

    struct mbserve srv;
    if (mbserve_open(&srv, "imdsim", rtu, 19200, kind == SIM_IMD_BENDER ? 'E' : 'N', tcp_host, tcp_port,
                     20000u) != 0) {
        return 1;
    }
    modbus_t *ctx = srv.ctx;
    modbus_set_slave(ctx, slave);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, SIM_MB_REGS, SIM_MB_REGS);
    uint16_t *own_in = map->tab_input_registers, *own_hold = map->tab_registers;
    map->tab_registers = s->dev.slave.holding;
    map->tab_input_registers = kind == SIM_IMD_DOLD ? s->dev.slave.input : s->dev.slave.holding;
    char where[TOOL_HOST_MAX + 32];
    if (rtu != NULL) {
        snprintf(where, sizeof where, "%s", rtu);
    } else {
        snprintf(where, sizeof where, "tcp %s port %d", tcp_host, tcp_port);
    }
    fprintf(stderr, "imdsim: %s on %s, unit %d, %.0f Ohm\n",
            kind == SIM_IMD_BENDER ? "Bender isoCHA425HV" : "Dold RN5893", where, slave, resistance);
    printf("ready\n");
    fflush(stdout);

    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    while (!s_stop) {
        imdsim_stdin(s);
        int rc = mbserve_next(&srv, q);
        imdsim_tick(s);
        if (rc <= 0) {
            continue;
        }
        int hl = modbus_get_header_length(ctx);
        int fn = q[hl];
        uint16_t addr = (uint16_t)(q[hl + 1] << 8 | q[hl + 2]);
        uint16_t count = (uint16_t)(q[hl + 3] << 8 | q[hl + 4]);
        int unit = mbserve_unit(&srv, q);
        if (s->verbose) {
            fprintf(stderr, "imdsim: unit %d fn %02x addr %u count %u\n", unit, fn, addr, count);
        }
        if (unit != slave || s->noanswer) {
            continue;
        }
        uint16_t first = 0;
        if (fn == 0x06) {
            first = count; /* FC06 carries the value where a count would be */
            count = 1;
        } else if (fn == 0x10 && rc > hl + 7) {
            first = (uint16_t)(q[hl + 6] << 8 | q[hl + 7]);
        }
        struct hal_modbus_req req = {
            .unit = (uint8_t)unit,
            .fn = (enum hal_modbus_fn)fn,
            .addr = addr,
            .count = count,
            .regs = &first,
        };
        const struct sim_mb_slave_ops *ops = s->dev.slave.ops;
        uint8_t exc = ops->gate(&s->dev.slave, &req, imdsim_ms(s));
        if (exc != 0) {
            modbus_reply_exception(ctx, q, exc);
            continue;
        }
        bool read = fn == 0x03 || fn == 0x04;
        if (read) {
            ops->before_read(&s->dev.slave, imdsim_ms(s));
        }
        if (modbus_reply(ctx, q, rc, map) < 0) {
            continue;
        }
        if (fn == 0x10 || fn == 0x06) {
            ops->after_write(&s->dev.slave, addr, count, imdsim_ms(s));
        }
    }
    map->tab_input_registers = own_in;
    map->tab_registers = own_hold;
    modbus_mapping_free(map);
    mbserve_close(&srv);
    return 0;
}
