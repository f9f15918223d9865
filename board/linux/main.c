/*
 * The Linux board: the charger firmware on a Linux charger computer (Raspberry Pi,
 * Charge Control M). One configuration file, validated at start-up; SocketCAN for the
 * power modules; a directory as the non-volatile store; logs to stderr and syslog.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_config.h"
#include "charger.h"
#include "linux_can.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_nvs.h"
#include "linux_rng.h"
#include "hal_unsupported.h"
#include "sched.h"
#include "superloop.h"

#define CHARGER_VERSION "0.1.0"
#define CHARGER_DEFAULT_CONFIG "/etc/dcfc/charger.conf"

/* A power stage that is not there yet: "off" always works, "export" is refused and
 * the output reads as unknown, so the interlock treats the output as possibly live. */
struct board_no_psu {
    struct psu base;
};

static int board_no_psu_mode(struct psu *p, enum psu_mode m)
{
    (void)p;
    return m == PSU_MODE_OFF ? HAL_OK : HAL_ESTATE;
}
static int board_no_psu_export(struct psu *p, uint32_t mv, uint32_t ma)
{
    (void)p;
    (void)mv;
    (void)ma;
    return HAL_ESTATE;
}
static int board_no_psu_read(struct psu *p, struct psu_output *out)
{
    (void)p;
    out->voltage_mv = 0;
    out->current_ma = 0;
    out->valid = false;
    return HAL_EIO;
}
static const struct psu_ops s_no_psu_ops = {
    .set_mode = board_no_psu_mode, .set_export = board_no_psu_export, .read_output = board_no_psu_read};

/* Everything the board owns, in one place. */
struct board {
    struct board_config cfg;
    struct linux_loop loop;
    struct linux_log log;
    struct linux_nvs nvs;
    struct linux_rng rng;
    struct linux_can can;
    struct hal_pilot pilot;
    struct hal_gpio gpio;
    struct board_no_psu psu;
    struct sched sched;
    struct charger charger;
    uint32_t run_until_ms; /**< 0 = run until a signal */
    bool stopping;
};

static volatile sig_atomic_t s_signalled;
static struct board s_board;

static void board_on_signal(int sig)
{
    (void)sig;
    s_signalled = 1;
}

static bool board_should_stop(void *ctx)
{
    struct board *b = ctx;
    uint32_t now = hal_clock_now_ms(&b->loop.base);
    if (!b->stopping && (s_signalled || (b->run_until_ms != 0 && now >= b->run_until_ms))) {
        b->stopping = true;
        hal_logf(&b->log.base, HAL_LOG_INFO, now, "shutting down: stopping the session safely");
        charger_request_stop(&b->charger);
    }
    /* Leave only with the power path at rest: idle, finished or latched in a fault. */
    enum charger_state st = charger_state(&b->charger);
    return b->stopping && (st == CHARGER_IDLE || st == CHARGER_FINISHED || st == CHARGER_FAULT);
}

static void board_usage(FILE *f)
{
    fprintf(f,
            "usage: charger [-c FILE] [--check] [--run-for SECONDS]\n"
            "The DC charger firmware for Linux charger boards.\n"
            "\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "      --check         validate the configuration and exit\n"
            "      --run-for S     stop safely after S seconds (tests)\n"
            "      --version       print the version and exit\n"
            "  -h, --help          this text\n"
            "\n"
            "Configuration: one 'key = value' per line, '#' starts a comment line.\n"
            "Keys:\n",
            CHARGER_DEFAULT_CONFIG);
    board_config_describe(f);
    fprintf(f, "\nExit status: 0 after a clean stop or a valid --check; 1 for an invalid\n"
               "configuration or a failed start; 2 for bad arguments.\n");
}

static int board_start(struct board *b)
{
    uint32_t now = 0;
    struct charger_config cc;
    uint8_t boot_raw[4] = {0};
    size_t len = 0;

    static const enum hal_log_level levels[] = {HAL_LOG_ERROR, HAL_LOG_WARN, HAL_LOG_INFO,
                                                HAL_LOG_DEBUG};
    linux_log_init(&b->log, levels[b->cfg.log_level], true, b->cfg.log_syslog, "charger");
    linux_loop_init(&b->loop);
    b->loop.stop_flag = (volatile int *)&s_signalled;
    linux_rng_init(&b->rng);

    int rc = linux_nvs_init(&b->nvs, b->cfg.store_dir);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: store.dir '%s': %s\n", b->cfg.store_dir, hal_strerror(rc));
        return -1;
    }
    /* A boot counter shows the store works end to end and tells restarts apart in logs. */
    uint32_t boots = 0;
    if (hal_nvs_read(&b->nvs.base, "boot_count", boot_raw, sizeof boot_raw, &len) == HAL_OK &&
        len == sizeof boot_raw) {
        boots = (uint32_t)boot_raw[0] | (uint32_t)boot_raw[1] << 8 | (uint32_t)boot_raw[2] << 16 |
                (uint32_t)boot_raw[3] << 24;
    }
    boots++;
    for (unsigned i = 0; i < 4; i++) {
        boot_raw[i] = (uint8_t)(boots >> (8 * i));
    }
    rc = hal_nvs_write(&b->nvs.base, "boot_count", boot_raw, sizeof boot_raw);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot write to store.dir '%s': %s\n", b->cfg.store_dir,
                hal_strerror(rc));
        return -1;
    }

    linux_can_init(&b->can, b->cfg.can_interface);
    rc = hal_can_open(&b->can.base, b->cfg.can_bitrate);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: can.interface '%s': %s\n", b->cfg.can_interface, hal_strerror(rc));
        return -1;
    }
    (void)linux_loop_watch(&b->loop, linux_can_fd(&b->can), POLLIN);

    /* No portable Linux interface exists for the pilot and the power-path GPIO: until a
     * board names its hardware these report "not supported", which the interlock
     * treats as unreadable feedback and the pilot as state E: nothing is energised. */
    hal_unsupported_pilot(&b->pilot);
    hal_unsupported_gpio(&b->gpio);
    b->psu.base.ops = &s_no_psu_ops;

    charger_default_config(&cc);
    memcpy(cc.name, b->cfg.charger_name, sizeof cc.name);
    cc.export_voltage_mv = b->cfg.export_voltage_v * 1000u;
    cc.export_current_ma = b->cfg.export_current_a * 1000u;
    cc.pilot.debounce_ms = b->cfg.pilot_debounce_ms;
    cc.interlock.safe_current_ma = b->cfg.safe_current_ma;
    cc.interlock.power_down_timeout_ms = b->cfg.power_down_timeout_ms;
    cc.interlock.contactor_timeout_ms = b->cfg.contactor_timeout_ms;
    cc.interlock.lock_timeout_ms = b->cfg.lock_timeout_ms;

    sched_init(&b->sched);
    now = hal_clock_now_ms(&b->loop.base);
    struct charger_ports ports = {
        .pilot = &b->pilot, .gpio = &b->gpio, .psu = &b->psu.base, .log = &b->log.base};
    rc = charger_init(&b->charger, &cc, &ports, &b->sched, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot start the charger: %s\n", hal_strerror(rc));
        return -1;
    }
    hal_logf(&b->log.base, HAL_LOG_INFO, now, "charger %s started (boot %lu), CAN %s, store %s",
             CHARGER_VERSION, (unsigned long)boots, b->cfg.can_interface, b->cfg.store_dir);
    hal_logf(&b->log.base, HAL_LOG_WARN, now,
             "pilot and power-path GPIO are not configured for this board: no session will energise");
    return 0;
}

int main(int argc, char **argv)
{
    struct board *b = &s_board;
    const char *path = CHARGER_DEFAULT_CONFIG;
    bool check_only = false;
    long run_for = 0;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"run-for", required_argument, NULL, 'r'}, {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int o;

    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check_only = true;
            break;
        case 'r': {
            char *end = NULL;
            run_for = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || run_for < 1 || run_for > 4000000) {
                fprintf(stderr, "charger: --run-for needs whole seconds 1..4000000\n");
                return 2;
            }
            break;
        }
        case 'V':
            printf("charger %s\n", CHARGER_VERSION);
            return 0;
        case 'h':
            board_usage(stdout);
            return 0;
        default:
            fprintf(stderr, "charger: try --help\n");
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "charger: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }

    board_config_defaults(&b->cfg);
    if (board_config_load(&b->cfg, path, stderr) != 0) {
        fprintf(stderr, "charger: invalid configuration, not starting\n");
        return 1;
    }
    if (check_only) {
        printf("%s: configuration valid\n", path);
        return 0;
    }
    signal(SIGINT, board_on_signal);
    signal(SIGTERM, board_on_signal);
    if (board_start(b) != 0) {
        return 1;
    }
    b->run_until_ms = run_for > 0 ? hal_clock_now_ms(&b->loop.base) + (uint32_t)run_for * 1000u : 0;
    struct superloop loop = {
        .sched = &b->sched, .clock = &b->loop.base, .should_stop = board_should_stop, .ctx = b};
    superloop_run(&loop);
    hal_logf(&b->log.base, HAL_LOG_INFO, hal_clock_now_ms(&b->loop.base), "stopped cleanly");
    hal_can_close(&b->can.base);
    linux_log_close(&b->log);
    return 0;
}
