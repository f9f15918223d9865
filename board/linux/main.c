/*
 * The Linux board: the charger firmware on a Linux charger computer (Raspberry Pi,
 * Charge Control M). One configuration file, validated at start-up; SocketCAN for the
 * power modules (InfyPower); Modbus (libmodbus, RTU or TCP) for the EM580 meter and the
 * isolation monitor; libpcap + IPv6 sockets (+ OpenSSL TLS) for the link to the car; a
 * directory as the non-volatile store and the meter journal; logs to stderr and syslog.
 *
 * Pilot and power-path GPIO have no portable Linux interface: they answer "not
 * supported" (nothing energises) unless the test aid --sim-plant puts a simulated pilot,
 * contactors and lock under the firmware (board/linux/sim_plant.h).
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board_config.h"
#include "board_ctl.h"
#include "charger.h"
#include "charger_link.h"
#include "evse_link.h"
#include "hal_unsupported.h"
#include "imd_isolation.h"
#include "journal.h"
#include "linux_can.h"
#include "psu_none.h"
#include "linux_crypto.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_modbus.h"
#include "linux_net.h"
#include "linux_nvs.h"
#include "linux_pcap.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "meter.h"
#include "meter_em580.h"
#include "psu_infy.h"
#include "sched.h"
#include "sim_plant.h"
#include "superloop.h"

#define CHARGER_VERSION "0.2.0"
#define CHARGER_DEFAULT_CONFIG "/etc/dcfc/charger.conf"

/* Everything the board owns, in one place. */
struct board {
    struct board_config cfg;
    struct linux_loop loop;
    struct linux_log log;
    struct linux_nvs nvs;
    struct linux_rng rng;
    struct linux_can can;
    bool have_can; /**< opened: only with a power stage on CAN */
    struct linux_crypto crypto;
    struct hal_pilot pilot;
    struct hal_gpio gpio;
    struct psu no_psu; /**< used when psu.type = none */
    struct psu_infy stage;
    struct psu *psu;
    /* meter */
    bool have_meter;
    struct linux_modbus meter_bus;
    struct meter_em580 meter;
    struct journal journal;
    struct meter_session ms;
    /* isolation monitor */
    bool have_imd;
    struct linux_modbus imd_bus;
    struct imd_isolation_bender bender;
    struct imd_isolation_dold dold;
    struct isolation *imd;
    /* link */
    bool have_link, have_tls;
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_tls tls;
    struct evse_link evse;
    struct charger_link_evse adapter;
    /* test aid */
    const char *sim_wire, *sim_load, *sim_status, *sim_trace;
    struct sim_plant plant;
    uint32_t status_at_ms;
    uint32_t sessions_max; /**< stop after this many finished sessions (0 = never) */
    struct sched sched;
    struct charger charger;
    const char *ctl_path;  /**< --ctl: the runtime command socket, or NULL */
    struct board_ctl ctl;
    uint32_t run_until_ms; /**< 0 = run until a signal */
    bool stopping;
    /* how long the loop's passes take (the work between two idles), for the exit summary */
    struct timespec pass_start;
    uint64_t passes;
    uint64_t longest_pass_ns;
    uint64_t longest_meter_pass_ns; /**< while a meter transaction starts or stops */
};

static volatile sig_atomic_t s_signalled;
static struct board s_board;

static void board_on_signal(int sig)
{
    (void)sig;
    s_signalled = 1;
}

/* The superloop asks should_stop before a pass and kicks after it: the time between is
 * the pass, everything the loop did while no supervision could run. */
static void board_on_kick(void *ctx)
{
    struct board *b = ctx;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t ns = (uint64_t)(t.tv_sec - b->pass_start.tv_sec) * 1000000000u +
                  (uint64_t)t.tv_nsec - (uint64_t)b->pass_start.tv_nsec;
    b->passes++;
    if (ns > b->longest_pass_ns) {
        b->longest_pass_ns = ns;
    }
    enum meter_session_state ms = b->have_meter ? meter_session_state(&b->ms) : METER_S_IDLE;
    if (ms != METER_S_IDLE && ms != METER_S_ACTIVE && ns > b->longest_meter_pass_ns) {
        b->longest_meter_pass_ns = ns;
    }
}

static bool board_should_stop(void *ctx)
{
    struct board *b = ctx;
    clock_gettime(CLOCK_MONOTONIC, &b->pass_start);
    uint32_t now = hal_clock_now_ms(&b->loop.base);
    if (b->sim_wire != NULL && b->sim_status != NULL && hal_time_reached(now, b->status_at_ms)) {
        (void)sim_plant_write_status(&b->plant, b->sim_status);
        b->status_at_ms = now + 1000u;
    }
    bool enough = b->sessions_max != 0 && charger_stats(&b->charger)->sessions >= b->sessions_max &&
                  b->charger.history_count >= b->sessions_max;
    if (!b->stopping && (s_signalled || enough || (b->run_until_ms != 0 && now >= b->run_until_ms))) {
        b->stopping = true;
        hal_logf(&b->log.base, HAL_LOG_INFO, now, "shutting down: stopping the session safely");
        charger_request_stop(&b->charger);
    }
    /* Leave only with the power path at rest (idle, finished or latched in a fault) and
     * no meter transaction half-way. */
    enum charger_state st = charger_state(&b->charger);
    bool meter_idle = !b->have_meter || meter_session_state(&b->ms) == METER_S_IDLE;
    return b->stopping && (st == CHARGER_IDLE || st == CHARGER_FINISHED || st == CHARGER_FAULT) &&
           (meter_idle || s_signalled);
}

static void board_usage(FILE *f)
{
    fprintf(f,
            "usage: charger [-c FILE] [--check] [--ctl SOCKET] [--run-for SECONDS] [--sessions N]\n"
            "               [--sim-plant SOCKET [--sim-load FIFO] [--sim-status FILE] [--sim-trace FILE]]\n"
            "       charger --ctl SOCKET COMMAND\n"
            "The DC charger firmware for Linux charger boards.\n"
            "\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "      --check         validate the configuration and exit\n"
            "      --ctl SOCKET    running: take runtime commands on this Unix socket (mode 0600);\n"
            "                      with a COMMAND: send it to the charger listening there, print\n"
            "                      its answer and exit 0 ok, 1 refused, 2 not a command, 3 no answer.\n"
            "                      Commands: status (state and held fault), reset (operator reset\n"
            "                      of a held fault: refused while energised or while its cause is\n"
            "                      there, with the reason), limit W|none (the station's power\n"
            "                      limit in watts; an ISO-2 car is asked to renegotiate)\n"
            "      --run-for S     stop safely after S seconds (tests)\n"
            "      --sessions N    stop safely once N sessions have finished (tests)\n"
            "      --version       print the version and exit\n"
            "  -h, --help          this text\n"
            "\n"
            "Test aid (NOT for a real charger; docs/linux-board.md):\n"
            "      --sim-plant SOCKET  simulate the pilot front end, DC contactors and lock in\n"
            "                      memory; the car (evsim --pilot SOCKET) presents its pilot\n"
            "                      resistors, diode and contactors over this Unix datagram socket\n"
            "      --sim-load FIFO  infysim's --ctl FIFO: the plant switches the modules' load to\n"
            "                      the car's battery while both sides' contactors are closed\n"
            "      --sim-status FILE  the plant's safety-monitor counters (key=value), every 1 s\n"
            "                      and at exit\n"
            "      --sim-trace FILE  the plant's state every 5 ms (time, voltage, current, contacts,\n"
            "                      lock, stage, charger state, EVSE status, modules counted), for\n"
            "                      the fault-injection judge (docs/faults.md)\n"
            "\n"
            "Configuration: one 'key = value' per line, '#' starts a comment line.\n"
            "Keys:\n",
            CHARGER_DEFAULT_CONFIG);
    board_config_describe(f);
    fprintf(f, "\nAt exit one line per finished session: 'charger: session N: stop=TOKEN\n"
               "charge_s=S energy_wh=WH meter_ok=0|1 meter_seq=N soc=A->B', then 'charger: loop:\n"
               "passes=N longest_pass_ms=X longest_meter_pass_ms=Y' (the longest superloop pass,\n"
               "and the longest while a meter transaction started or stopped).\n"
               "Exit status: 0 after a clean stop or a valid --check; 1 for an invalid\n"
               "configuration or a failed start; 2 for bad arguments (--ctl SOCKET COMMAND: above).\n");
}

/* A Modbus bus from a validated spec; the Bender's default framing is 8E1 at 19200. */
static int board_modbus(struct board *b, struct linux_modbus *mb, const char *spec, bool bender,
                        uint32_t timeout_ms, const char *key)
{
    struct linux_modbus_config mc;
    if (linux_modbus_parse(spec, LINUX_MODBUS_RTU, &mc) != HAL_OK) {
        fprintf(stderr, "charger: %s '%s': malformed\n", key, spec);
        return -1;
    }
    if (bender && mc.kind == LINUX_MODBUS_RTU) {
        const char *c1 = strchr(spec + 4, ',');
        if (c1 == NULL) {
            mc.baud = 19200;
        }
        if (c1 == NULL || strchr(c1 + 1, ',') == NULL) {
            mc.parity = 'E';
        }
    }
    mc.timeout_ms = timeout_ms;
    int rc = linux_modbus_init(mb, &mc);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: %s '%s': %s\n", key, spec, hal_strerror(rc));
        return -1;
    }
    (void)linux_loop_watch(&b->loop, linux_modbus_fd(mb), POLLIN);
    return 0;
}

static int board_start_meter(struct board *b, uint32_t now)
{
    if (strcmp(b->cfg.meter_bus, "none") == 0) {
        return 0;
    }
    if (board_modbus(b, &b->meter_bus, b->cfg.meter_bus, false, b->cfg.meter_timeout_ms, "meter.bus") != 0) {
        return -1;
    }
    struct em580_config ec;
    em580_config_default(&ec);
    ec.unit = (uint8_t)b->cfg.meter_unit;
    ec.timeout_ms = b->cfg.meter_timeout_ms;
    int rc = meter_em580_init(&b->meter, &b->meter_bus.base, &ec);
    if (rc == HAL_OK) {
        rc = sched_add(&b->sched, meter_em580_task(&b->meter), now);
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter: %s\n", hal_strerror(rc));
        return -1;
    }
    rc = journal_open(&b->journal, &b->nvs.base);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter journal in store.dir '%s': %s\n", b->cfg.store_dir, hal_strerror(rc));
        return -1;
    }
    meter_session_init(&b->ms, &b->meter.base, &b->journal, &b->crypto.base);
    if (b->cfg.meter_pin_len != 0) {
        /* Validated by board_config_load(): a refusal here is a programming error. */
        if (meter_session_pin_key(&b->ms, b->cfg.meter_pin, b->cfg.meter_pin_len) != HAL_OK) {
            fprintf(stderr, "charger: meter.public_key: not an uncompressed point\n");
            return -1;
        }
        hal_logf(&b->log.base, HAL_LOG_INFO, now,
                 "meter: public key pinned (%u bytes, %02x%02x%02x%02x...): records are verified "
                 "against it and a meter reporting another key gets no transaction",
                 (unsigned)b->cfg.meter_pin_len, b->cfg.meter_pin[1], b->cfg.meter_pin[2],
                 b->cfg.meter_pin[3], b->cfg.meter_pin[4]);
    }
    rc = sched_add(&b->sched, meter_session_task(&b->ms), now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: meter session: %s\n", hal_strerror(rc));
        return -1;
    }
    b->have_meter = true;
    return 0;
}

static int board_start_imd(struct board *b, uint32_t now)
{
    if (b->cfg.imd_model == BOARD_IMD_NONE) {
        return 0;
    }
    bool bender = b->cfg.imd_model == BOARD_IMD_BENDER;
    if (board_modbus(b, &b->imd_bus, b->cfg.imd_bus, bender, 500, "imd.bus") != 0) {
        return -1;
    }
    struct isolation_limits lim;
    isolation_limits_default(&lim);
    lim.rated_voltage_v = b->cfg.imd_rated_voltage_v;
    int rc;
    if (bender) {
        struct imd_bender_config ic;
        imd_bender_config_default(&ic);
        if (b->cfg.imd_unit != 0) {
            ic.unit = (uint8_t)b->cfg.imd_unit;
        }
        rc = imd_isolation_bender_init(&b->bender, &b->imd_bus.base, &ic, &lim);
        b->imd = &b->bender.base;
        if (rc == HAL_OK) {
            rc = sched_add(&b->sched, imd_isolation_bender_task(&b->bender), now);
        }
    } else {
        struct imd_dold_config ic;
        imd_dold_config_default(&ic);
        if (b->cfg.imd_unit != 0) {
            ic.unit = (uint8_t)b->cfg.imd_unit;
        }
        rc = imd_isolation_dold_init(&b->dold, &b->imd_bus.base, &ic, &lim);
        b->imd = &b->dold.base;
        if (rc == HAL_OK) {
            rc = sched_add(&b->sched, imd_isolation_dold_task(&b->dold), now);
        }
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: isolation monitor: %s\n", hal_strerror(rc));
        return -1;
    }
    b->have_imd = true;
    return 0;
}

static int board_start_link(struct board *b, uint32_t now)
{
    const char *ifn = b->cfg.link_interface;
    if (ifn[0] == '\0') {
        return 0;
    }
    int rc = linux_pcap_open(&b->eth, ifn);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: link.interface '%s': %s (%s)\n", ifn, hal_strerror(rc), b->eth.errbuf);
        return -1;
    }
    (void)linux_loop_watch(&b->loop, linux_pcap_fd(&b->eth), POLLIN);
    if (linux_net_init(&b->net, ifn, &b->loop) != HAL_OK) {
        fprintf(stderr, "charger: link.interface '%s': no such interface\n", ifn);
        return -1;
    }
    if (b->cfg.link_tls_cert[0] != '\0') {
        if (linux_tls_init(&b->tls, &b->net.base, &b->log.base, &b->loop.base) != HAL_OK ||
            linux_tls_server(&b->tls, b->cfg.link_tls_cert, b->cfg.link_tls_key) != HAL_OK) {
            fprintf(stderr, "charger: link.tls_cert/link.tls_key: %s\n", b->tls.reason);
            return -1;
        }
        b->have_tls = true;
    }
    struct evse_link_config lc;
    evse_link_default_config(&lc);
    lc.tcp_port = (uint16_t)b->cfg.link_tcp_port;
    lc.tls_port = (uint16_t)b->cfg.link_tls_port;
    lc.offer_tls = b->have_tls;
    lc.slac.use_modem = b->cfg.link_modem;
    struct evse_link_ports lp = {.eth = &b->eth.base,
                                 .net = &b->net.base,
                                 .rng = &b->rng.base,
                                 .tls = b->have_tls ? &b->tls.base : NULL,
                                 .log = &b->log.base};
    rc = evse_link_init(&b->evse, &lc, &lp, &b->sched, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: link on '%s' failed to start: %s\n", ifn, hal_strerror(rc));
        return -1;
    }
    charger_link_evse_init(&b->adapter, &b->evse);
    b->have_link = true;
    return 0;
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
    linux_crypto_init(&b->crypto);
    if (b->crypto.selftest != HAL_OK) {
        /* OCMF records would be judged by a library that fails a known answer. */
        fprintf(stderr, "charger: OpenSSL ECDSA P-256 known-answer test failed (%s): not starting\n",
                hal_strerror(b->crypto.selftest));
        return -1;
    }
    /* OCMF records are checked beside the loop: a Brainpool verification costs 2 ms. */
    if (linux_crypto_start_worker(&b->crypto) == HAL_OK) {
        (void)linux_loop_watch(&b->loop, linux_crypto_fd(&b->crypto), POLLIN);
    } else {
        fprintf(stderr, "charger: no crypto worker: OCMF checks run inside loop passes\n");
    }
    sched_init(&b->sched);

    int rc = linux_nvs_init(&b->nvs, b->cfg.store_dir);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: store.dir '%s': %s\n", b->cfg.store_dir, hal_strerror(rc));
        return -1;
    }
    /* The store's worker signals completions here: the task waiting for them wakes at once. */
    (void)linux_loop_watch(&b->loop, linux_nvs_fd(&b->nvs), POLLIN);
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
    /* Start-up, before the loop runs: waiting for the store here stalls no supervision. */
    rc = hal_nvs_submit_write(&b->nvs.base, "boot_count", boot_raw, sizeof boot_raw);
    if (rc == HAL_OK && linux_nvs_wait(&b->nvs, &rc) != HAL_OK) {
        rc = HAL_EIO;
    }
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot write to store.dir '%s': %s\n", b->cfg.store_dir,
                hal_strerror(rc));
        return -1;
    }

    /* CAN carries only the power stage: without one (psu.type = none) there is nothing to
     * open, and a charger computer without a CAN interface starts. */
    if (b->cfg.psu_type == BOARD_PSU_INFY) {
        linux_can_init(&b->can, b->cfg.can_interface);
        rc = hal_can_open(&b->can.base, b->cfg.can_bitrate);
        if (rc != HAL_OK) {
            fprintf(stderr, "charger: can.interface '%s': %s\n", b->cfg.can_interface, hal_strerror(rc));
            return -1;
        }
        (void)linux_loop_watch(&b->loop, linux_can_fd(&b->can), POLLIN);
        b->have_can = true;
    } else if (b->cfg.can_interface[0] != '\0') {
        hal_logf(&b->log.base, HAL_LOG_WARN, 0, "can.interface '%s' not opened: psu.type is none",
                 b->cfg.can_interface);
    }
    now = hal_clock_now_ms(&b->loop.base);

    psu_none_init(&b->no_psu);
    b->psu = &b->no_psu;
    if (b->cfg.psu_type == BOARD_PSU_INFY) {
        rc = psu_infy_init(&b->stage, &b->cfg.infy, &b->can.base, &b->log.base, &b->sched, now);
        if (rc != HAL_OK) {
            fprintf(stderr, "charger: InfyPower stage: %s\n", hal_strerror(rc));
            return -1;
        }
        b->psu = &b->stage.base;
    }
    if (board_start_meter(b, now) != 0 || board_start_imd(b, now) != 0 || board_start_link(b, now) != 0) {
        return -1;
    }

    struct hal_pilot *pilot = &b->pilot;
    struct hal_gpio *gpio = &b->gpio;
    struct psu *psu = b->psu;
    if (b->sim_wire != NULL) {
        rc = sim_plant_init(&b->plant, b->sim_wire, b->sim_load, b->psu, b->cfg.safe_current_ma,
                            b->cfg.power_down_timeout_ms, &b->loop, &b->sched, &b->log.base, now);
        if (rc != HAL_OK) {
            return -1;
        }
        if (b->sim_trace != NULL && sim_plant_trace_open(&b->plant, b->sim_trace, &b->charger) != HAL_OK) {
            return -1;
        }
        pilot = &b->plant.pilot.base;
        gpio = &b->plant.gpio.base;
        psu = &b->plant.psu.base;
    } else {
        /* No portable Linux interface exists for the pilot and the power-path GPIO: until
         * a board names its hardware these report "not supported", which the interlock
         * treats as unreadable feedback and the pilot as state E: nothing is energised. */
        hal_unsupported_pilot(&b->pilot);
        hal_unsupported_gpio(&b->gpio);
    }

    charger_default_config(&cc);
    memcpy(cc.name, b->cfg.charger_name, sizeof cc.name);
    cc.export_voltage_mv = b->cfg.export_voltage_v * 1000u;
    cc.export_current_ma = b->cfg.export_current_a * 1000u;
    cc.max_voltage_mv = b->cfg.max_voltage_v * 1000u;
    cc.max_current_ma = b->cfg.max_current_a * 1000u;
    cc.max_power_w = b->cfg.max_power_kw * 1000u;
    cc.imd_lab_override = b->cfg.imd_lab_override;
    cc.pilot.debounce_ms = b->cfg.pilot_debounce_ms;
    cc.interlock.safe_current_ma = b->cfg.safe_current_ma;
    cc.interlock.power_down_timeout_ms = b->cfg.power_down_timeout_ms;
    cc.interlock.contactor_timeout_ms = b->cfg.contactor_timeout_ms;
    cc.interlock.lock_timeout_ms = b->cfg.lock_timeout_ms;
    /* The over-voltage monitor reads the freshest of the allowed sources (the isolation
     * monitor's voltage, the meter's, the stage's read-back; no OVM driver on this board). */
    cc.voltage_sources = b->cfg.ovm_source_mask;
    cc.hlc.protocols = b->cfg.v2g_list;
    cc.voltage_stale_ms = b->cfg.ovm_stale_ms;

    struct charger_ports ports = {.pilot = pilot,
                                  .gpio = gpio,
                                  .psu = psu,
                                  .log = &b->log.base,
                                  .link = b->have_link ? &b->adapter.base : NULL,
                                  .rng = &b->rng.base,
                                  .imd = b->imd,
                                  .meter = b->have_meter ? &b->ms : NULL,
                                  .meter_dev = b->have_meter ? &b->meter.base : NULL,
                                  .clock = &b->loop.base};
    rc = charger_init(&b->charger, &cc, &ports, &b->sched, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: cannot start the charger: %s\n", hal_strerror(rc));
        return -1;
    }
    hal_logf(&b->log.base, HAL_LOG_INFO, now,
             "charger %s started (boot %lu), CAN %s, store %s, stage %s, meter %s, IMD %s, link %s%s",
             CHARGER_VERSION, (unsigned long)boots, b->have_can ? b->cfg.can_interface : "none",
             b->cfg.store_dir,
             b->cfg.psu_type == BOARD_PSU_INFY ? "InfyPower" : "none", b->cfg.meter_bus,
             b->cfg.imd_model == BOARD_IMD_BENDER ? "Bender" : b->cfg.imd_model == BOARD_IMD_DOLD ? "Dold" : "none",
             b->have_link ? b->cfg.link_interface : "none", b->have_tls ? " (TCP + TLS)" : "");
    if (b->sim_wire == NULL) {
        hal_logf(&b->log.base, HAL_LOG_WARN, now,
                 "pilot and power-path GPIO are not configured for this board: no session will energise");
    }
    return 0;
}

static void board_summary(struct board *b)
{
    for (uint32_t h = 0; charger_history(&b->charger, h) != NULL; h++) {
        const struct charger_session_record *r = charger_history(&b->charger, h);
        printf("charger: session %lu: stop=%s charge_s=%.1f energy_wh=%lld meter_ok=%d meter_seq=%lu "
               "soc=%ld->%ld%s%s\n",
               (unsigned long)r->number, charger_stop_reason_token(r->stop), r->charge_ms / 1000.0,
               (long long)r->energy_wh, r->meter_ok ? 1 : 0, (unsigned long)r->meter_seq, (long)r->soc_start,
               (long)(r->soc_end >= 0 ? r->soc_end : r->soc_start),
               r->detail != NULL && r->detail[0] ? " detail=" : "", r->detail != NULL ? r->detail : "");
    }
    printf("charger: loop: passes=%llu longest_pass_ms=%.3f longest_meter_pass_ms=%.3f\n",
           (unsigned long long)b->passes, (double)b->longest_pass_ns / 1e6,
           (double)b->longest_meter_pass_ns / 1e6);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct board *b = &s_board;
    const char *path = CHARGER_DEFAULT_CONFIG;
    bool check_only = false;
    long run_for = 0;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"check", no_argument, NULL, 'k'},
        {"run-for", required_argument, NULL, 'r'},   {"version", no_argument, NULL, 'V'},
        {"sessions", required_argument, NULL, 'n'},  {"sim-plant", required_argument, NULL, 'P'},
        {"sim-load", required_argument, NULL, 'L'},  {"sim-status", required_argument, NULL, 'S'},
        {"sim-trace", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
        {"ctl", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int o;

    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check_only = true;
            break;
        case 'r':
        case 'n': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 4000000) {
                fprintf(stderr, "charger: --%s needs a whole number 1..4000000\n",
                        o == 'r' ? "run-for" : "sessions");
                return 2;
            }
            if (o == 'r') {
                run_for = v;
            } else {
                b->sessions_max = (uint32_t)v;
            }
            break;
        }
        case 'P':
            b->sim_wire = optarg;
            break;
        case 'L':
            b->sim_load = optarg;
            break;
        case 'S':
            b->sim_status = optarg;
            break;
        case 'T':
            b->sim_trace = optarg;
            break;
        case 'C':
            b->ctl_path = optarg;
            break;
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
    if (b->ctl_path != NULL && optind < argc) {
        /* The client: one command to a running charger, nothing else. Its words may come as
         * one argument ("limit 7400") or several (limit 7400): one space between them. */
        char cmd[BOARD_CTL_LINE_MAX + 1];
        size_t n = 0;
        for (int k = optind; k < argc; k++) {
            int w = snprintf(cmd + n, sizeof cmd - n, "%s%s", k > optind ? " " : "", argv[k]);
            if (w < 0 || (size_t)w >= sizeof cmd - n) {
                fprintf(stderr, "charger: --ctl: the command is longer than %u characters\n",
                        (unsigned)BOARD_CTL_LINE_MAX - 1u);
                return 2;
            }
            n += (size_t)w;
        }
        return board_ctl_request(b->ctl_path, cmd, stdout, stderr);
    }
    if (optind != argc) {
        fprintf(stderr, "charger: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    if ((b->sim_load != NULL || b->sim_status != NULL || b->sim_trace != NULL) && b->sim_wire == NULL) {
        fprintf(stderr, "charger: --sim-load, --sim-status and --sim-trace need --sim-plant\n");
        return 2;
    }

    board_config_defaults(&b->cfg);
    if (board_config_load(&b->cfg, path, stderr) != 0) {
        fprintf(stderr, check_only ? "charger: invalid configuration\n"
                                   : "charger: invalid configuration, not starting\n");
        return 1;
    }
    if (b->cfg.ovm_device == BOARD_OVM_SIM) {
        /* The key is shared with the simulator (sim --config); no such device exists here. */
        fprintf(stderr, "%s: ovm.device: sim is the simulator's monitor; this board has none (use none)\n",
                path);
        fprintf(stderr, "charger: invalid configuration, not starting\n");
        return 1;
    }
    if (check_only) {
        /* --check also asks this machine: what the file names must be there. */
        if (board_config_check_system(&b->cfg, path, stderr) != 0) {
            fprintf(stderr, "charger: the configuration is valid, but this machine lacks what it names\n");
            return 1;
        }
        printf("%s: configuration valid\n", path);
        printf("%s: interlock.power_down_timeout_ms = %lu%s\n", path,
               (unsigned long)b->cfg.power_down_timeout_ms,
               b->cfg.psu_type == BOARD_PSU_INFY ? " (psu.type = infy: at least 1500)" : "");
        if (b->cfg.imd_lab_override) {
            printf("%s: WARNING: imd.lab_override_no_monitor = true: LAB ONLY, insulation is NOT "
                   "measured (the cable check passes unmeasured; the car is told Warning)\n",
                   path);
        }
        return 0;
    }
    signal(SIGINT, board_on_signal);
    signal(SIGTERM, board_on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (board_start(b) != 0) {
        return 1;
    }
    if (b->ctl_path != NULL && board_ctl_open(&b->ctl, b->ctl_path, &b->loop, &b->charger, &b->log.base,
                                              &b->sched, hal_clock_now_ms(&b->loop.base), stderr) != 0) {
        return 1;
    }
    b->run_until_ms = run_for > 0 ? hal_clock_now_ms(&b->loop.base) + (uint32_t)run_for * 1000u : 0;
    struct superloop loop = {
        .sched = &b->sched, .clock = &b->loop.base, .kick = board_on_kick,
        .should_stop = board_should_stop, .ctx = b};
    superloop_run(&loop);
    uint32_t now = hal_clock_now_ms(&b->loop.base);
    board_summary(b);
    if (b->sim_wire != NULL) {
        if (b->sim_status != NULL) {
            (void)sim_plant_write_status(&b->plant, b->sim_status);
        }
        sim_plant_close(&b->plant);
    }
    if (b->have_link) {
        linux_net_close_all(&b->net);
        linux_pcap_close(&b->eth);
        if (b->have_tls) {
            linux_tls_free(&b->tls);
        }
    }
    if (b->ctl_path != NULL) {
        board_ctl_close(&b->ctl);
    }
    if (b->have_meter) {
        linux_modbus_close(&b->meter_bus);
    }
    if (b->have_imd) {
        linux_modbus_close(&b->imd_bus);
    }
    linux_loop_unwatch(&b->loop, linux_nvs_fd(&b->nvs));
    linux_nvs_close(&b->nvs);
    if (linux_crypto_fd(&b->crypto) >= 0) {
        linux_loop_unwatch(&b->loop, linux_crypto_fd(&b->crypto));
    }
    linux_crypto_close(&b->crypto);
    hal_logf(&b->log.base, HAL_LOG_INFO, now, "stopped cleanly");
    if (b->have_can) {
        hal_can_close(&b->can.base);
    }
    linux_log_close(&b->log);
    return 0;
}
