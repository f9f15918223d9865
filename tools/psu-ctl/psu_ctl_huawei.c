/*
 * psu-ctl --huawei: drives a Huawei FusionCharge power unit as one dispenser with the
 * firmware's own stage (firmware/psu_huawei.c over protocols/huawei): connects over TCP,
 * serves the unit's Modbus requests, waits for its capabilities, plugs each connector,
 * walks it through cable check, pre-charge and charging at a setpoint for a while, and
 * stops. Any error that stops a session switches that connector off (the safe stop) and
 * fails the run. The last line is always: result=ok|fail connectors=N
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_clock.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_net.h"
#include "linux_pcap.h"
#include "linux_tls.h"
#include "psu_ctl_huawei.h"
#include "psu_huawei.h"
#include "sched.h"

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct happ {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_net net;
    struct linux_pcap eth;
    struct linux_tls tls;
    struct sched sched;
    struct psu_huawei_unit unit;
    struct psu_huawei conn[HUAWEI_CONN_MAX];
    unsigned n;
    bool io;
    uint32_t now;
    bool failed[HUAWEI_CONN_MAX];
};

static struct happ s_h;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: psu-ctl --huawei HOST:PORT --goose-if IF [options]\n"
            "Runs one dispenser of a Huawei FusionCharge unit through a session per connector.\n"
            "\n"
            "  --huawei HOST:PORT    the unit's Modbus-TCP endpoint (IPv4)\n"
            "  --goose-if IF         interface for GOOSE (needs CAP_NET_RAW)\n"
            "  --connectors LIST     global connector numbers of this dispenser, 1..12 (default 1)\n"
            "  --voltage V           charging voltage (default 400)\n"
            "  --current A           charging current (default 50)\n"
            "  --seconds S           how long to charge (default 3)\n"
            "  --wait-s S            how long to wait for capabilities and allocation (default 15)\n"
            "  --esn TEXT            dispenser serial number (default 0000000000000000)\n"
            "  --no-hmac             neither sign requests nor verify replies\n"
            "  --tls CA:CERT:KEY     mutual TLS: the unit's CA, our client certificate and key (PEM)\n"
            "  --verbose             stage log lines at debug level\n"
            "  -h, --help            this text\n"
            "\n"
            "Output: one line per step and per connector, then 'result=ok|fail connectors=N'.\n"
            "Exit status: 0 when every connector charged for the whole time with no error that\n"
            "stops a session, 1 otherwise, 2 for bad arguments.\n");
}

static void run_for(struct happ *h, uint32_t ms, bool (*done)(struct happ *))
{
    uint32_t end = hal_clock_now_ms(&h->loop.base) + ms;
    while (!s_stop) {
        h->now = hal_clock_now_ms(&h->loop.base);
        if (hal_time_reached(h->now, end) || (done != NULL && done(h))) {
            return;
        }
        uint32_t wait = sched_run(&h->sched, h->now, h->io);
        int32_t left = hal_time_diff(end, h->now);
        if (left >= 0 && (uint32_t)left < wait) {
            wait = (uint32_t)left;
        }
        h->io = hal_clock_idle(&h->loop.base, wait) == HAL_OK;
    }
}

static bool all_caps(struct happ *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        struct psu_capabilities c;
        if (psu_get_capabilities(&h->conn[i].base, &c) != HAL_OK) {
            return false;
        }
    }
    return true;
}

static bool all_running(struct happ *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        if (psu_huawei_state(&h->conn[i]) != HUAWEI_CS_RUNNING) {
            return false;
        }
    }
    return true;
}

/* An error that stops a session: the connector is switched off at once. */
static void supervise(struct happ *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        struct psu_error e[8];
        size_t n = 0;
        (void)psu_get_errors(&h->conn[i].base, e, 8, &n);
        for (size_t k = 0; k < n; k++) {
            if (psu_error_stops_session(e[k].type) && !h->failed[i]) {
                h->failed[i] = true;
                (void)psu_set_mode(&h->conn[i].base, PSU_MODE_OFF, h->now);
                printf("stop conn=%u error=%s severity=%s: power off\n", h->unit.disp.cfg.global_no[i],
                       psu_error_name(e[k].type), psu_severity_name(e[k].severity));
            }
        }
    }
}

static bool step_done(struct happ *h)
{
    supervise(h);
    return false;
}

static void phase(struct happ *h, enum huawei_phase ph, bool on, uint32_t mv, uint32_t ma, uint32_t ms)
{
    for (unsigned i = 0; i < h->n; i++) {
        if (h->failed[i]) {
            continue;
        }
        psu_huawei_set_phase(&h->conn[i], ph, h->now);
        (void)psu_set_export(&h->conn[i].base, mv, ma, h->now);
        int rc = psu_set_mode(&h->conn[i].base, on ? PSU_MODE_EXPORT : PSU_MODE_OFF, h->now);
        if (rc != HAL_OK && on) {
            h->failed[i] = true;
            printf("stop conn=%u export refused (%s): power off\n", h->unit.disp.cfg.global_no[i],
                   hal_strerror(rc));
            (void)psu_set_mode(&h->conn[i].base, PSU_MODE_OFF, h->now);
        }
    }
    run_for(h, ms, step_done);
}

static int parse_ul(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || errno != 0 || v < lo || v > hi || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

int psu_ctl_huawei_main(int argc, char **argv)
{
    struct happ *h = &s_h;
    struct huawei_disp_config cfg;
    huawei_disp_config_default(&cfg);
    const char *peer = NULL, *ifname = NULL;
    static char tls_files[3][256];
    bool use_tls = false;
    unsigned long volts = 400, amps = 50, seconds = 3, wait_s = 15, u = 0;
    enum hal_log_level lvl = HAL_LOG_INFO;
    cfg.connectors = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "--huawei") == 0 && v != NULL) {
            peer = v;
            i++;
        } else if (strcmp(o, "--goose-if") == 0 && v != NULL) {
            ifname = v;
            i++;
        } else if (strcmp(o, "--connectors") == 0 && v != NULL) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *t = strtok(buf, ","); t != NULL; t = strtok(NULL, ",")) {
                if (cfg.connectors >= HUAWEI_CONN_MAX || parse_ul(t, 1, 12, &u) != 0) {
                    fprintf(stderr, "psu-ctl: bad --connectors '%s' (up to 4 numbers 1..12)\n", v);
                    return 2;
                }
                cfg.global_no[cfg.connectors++] = (uint16_t)u;
            }
            i++;
        } else if (strcmp(o, "--voltage") == 0 && v != NULL && parse_ul(v, 50, 1500, &volts) == 0) {
            i++;
        } else if (strcmp(o, "--current") == 0 && v != NULL && parse_ul(v, 0, 1000, &amps) == 0) {
            i++;
        } else if (strcmp(o, "--seconds") == 0 && v != NULL && parse_ul(v, 1, 3600, &seconds) == 0) {
            i++;
        } else if (strcmp(o, "--wait-s") == 0 && v != NULL && parse_ul(v, 1, 600, &wait_s) == 0) {
            i++;
        } else if (strcmp(o, "--esn") == 0 && v != NULL && strlen(v) < sizeof cfg.esn) {
            snprintf(cfg.esn, sizeof cfg.esn, "%s", v);
            i++;
        } else if (strcmp(o, "--tls") == 0 && v != NULL) {
            if (sscanf(v, "%255[^:]:%255[^:]:%255s", tls_files[0], tls_files[1], tls_files[2]) != 3) {
                fprintf(stderr, "psu-ctl: bad --tls '%s' (CA:CERT:KEY)\n", v);
                return 2;
            }
            use_tls = true;
            i++;
        } else if (strcmp(o, "--no-hmac") == 0) {
            cfg.send_secure = false;
            cfg.verify_hmac = false;
        } else if (strcmp(o, "--verbose") == 0) {
            lvl = HAL_LOG_DEBUG;
        } else {
            fprintf(stderr, "psu-ctl: unknown, incomplete or out-of-range option '%s' (see --help)\n", o);
            return 2;
        }
    }
    if (cfg.connectors == 0) {
        cfg.connectors = 1;
    }
    char host[64];
    const char *colon = peer != NULL ? strrchr(peer, ':') : NULL;
    unsigned long port = 0;
    struct hal_ip6_endpoint ep;
    if (peer == NULL || ifname == NULL || colon == NULL || (size_t)(colon - peer) >= sizeof host ||
        parse_ul(colon + 1, 1, 65535, &port) != 0) {
        fprintf(stderr, "psu-ctl: --huawei HOST:PORT and --goose-if IF are required\n");
        return 2;
    }
    memcpy(host, peer, (size_t)(colon - peer));
    host[colon - peer] = '\0';
    if (hal_ip4_parse(host, (uint16_t)port, &ep) != HAL_OK) {
        fprintf(stderr, "psu-ctl: bad IPv4 address '%s'\n", host);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    linux_log_init(&h->log, lvl, true, false, "psu-ctl");
    linux_loop_init(&h->loop);
    h->loop.stop_flag = (volatile int *)&s_stop;
    struct hal_eth_binding b = {HAL_ETH_TYPE_GOOSE, 0u, false};
    if (linux_pcap_open_binding(&h->eth, ifname, &b) != HAL_OK) {
        fprintf(stderr, "psu-ctl: cannot open %s: %s\n", ifname, h->eth.errbuf);
        return 1;
    }
    (void)linux_loop_watch(&h->loop, linux_pcap_fd(&h->eth), POLLIN);
    if (linux_net_init(&h->net, "lo", &h->loop) != HAL_OK) {
        fprintf(stderr, "psu-ctl: no loopback interface\n");
        return 1;
    }
    (void)hal_eth_mac(&h->eth.base, cfg.mac);
    if (use_tls) {
        struct linux_tls_backend tb = {tls_files[0], tls_files[1], tls_files[2]};
        if (linux_tls_init(&h->tls, &h->net.base, &h->log.base, &h->loop.base) != HAL_OK ||
            linux_tls_client_backend(&h->tls, &tb) != HAL_OK) {
            fprintf(stderr, "psu-ctl: TLS set-up failed: %s\n", h->tls.reason);
            return 1;
        }
    }
    sched_init(&h->sched);
    h->now = hal_clock_now_ms(&h->loop.base);
    int rc = psu_huawei_unit_init(&h->unit, &cfg, &ep, &h->net.base, &h->eth.base, &h->log.base, &h->sched, h->now);
    if (rc != HAL_OK) {
        fprintf(stderr, "psu-ctl: bad dispenser configuration (%s)\n", hal_strerror(rc));
        return 2;
    }
    if (use_tls) {
        psu_huawei_unit_use_tls(&h->unit, &h->tls.base);
    }
    h->n = cfg.connectors;
    for (unsigned i = 0; i < h->n; i++) {
        (void)psu_huawei_init(&h->conn[i], &h->unit, i + 1u, NULL, NULL);
    }

    bool ok = true;
    run_for(h, (uint32_t)wait_s * 1000u, all_caps);
    if (!all_caps(h)) {
        printf("no capabilities from the unit within %lu s\n", wait_s);
        ok = false;
    } else {
        for (unsigned i = 0; i < h->n; i++) {
            struct psu_capabilities c;
            (void)psu_get_capabilities(&h->conn[i].base, &c);
            printf("caps conn=%u max_voltage=%u max_current=%u max_power=%u\n", cfg.global_no[i],
                   c.max_export_voltage_mv / 1000u, c.max_export_current_ma / 1000u, c.max_export_power_w);
            psu_huawei_set_plugged(&h->conn[i], true, h->now);
        }
        run_for(h, (uint32_t)wait_s * 1000u, all_running);
        for (unsigned i = 0; i < h->n; i++) {
            const struct huawei_conn *c = &h->unit.disp.conn[i];
            static const char *const alloc[] = {"pending", "ok", "refused", "timeout"};
            printf("conn=%u state=%s alloc=%s\n", cfg.global_no[i], huawei_cstate_name(c->state), alloc[c->alloc]);
            if (c->state != HUAWEI_CS_RUNNING) { /* e.g. the key never came: no power may be asked */
                h->failed[i] = true;
                printf("stop conn=%u no allocation within %lu s: power off\n", cfg.global_no[i], wait_s);
            }
        }
        supervise(h);
        uint32_t mv = (uint32_t)volts * 1000u, ma = (uint32_t)amps * 1000u;
        phase(h, HUAWEI_PH_CABLE_CHECK, true, mv, 2000u, 300u);
        phase(h, HUAWEI_PH_CABLE_CHECK, false, mv, 2000u, 100u);
        phase(h, HUAWEI_PH_PRECHARGE, true, mv, 2000u, 300u);
        uint32_t sent0[HUAWEI_CONN_MAX];
        memcpy(sent0, h->unit.disp.goose_sent, sizeof sent0);
        uint32_t t0 = h->now;
        phase(h, HUAWEI_PH_CHARGING, true, mv, ma, (uint32_t)seconds * 1000u);
        uint32_t dt = h->now - t0;
        for (unsigned i = 0; i < h->n; i++) {
            printf("goose conn=%u frames=%u in %u ms\n", cfg.global_no[i], h->unit.disp.goose_sent[i] - sent0[i], dt);
        }
        printf("setpoint_to_wire_ms=%u\n", h->unit.round_trip_ms);
        phase(h, HUAWEI_PH_CHARGING, false, mv, 0u, 300u);
        for (unsigned i = 0; i < h->n; i++) {
            printf("conn=%u end state=%s\n", cfg.global_no[i], huawei_cstate_name(psu_huawei_state(&h->conn[i])));
            psu_huawei_set_plugged(&h->conn[i], false, h->now);
        }
        run_for(h, 200u, NULL);
    }
    const struct psu_huawei_stats *st = psu_huawei_unit_stats(&h->unit);
    printf("link connects=%u drops=%u goose_rx=%u goose_refused=%u\n", st->connects, st->link_drops, st->goose_rx,
           st->goose_refused);
    for (unsigned i = 0; i < h->n; i++) {
        ok = ok && !h->failed[i];
    }
    printf("result=%s connectors=%u\n", ok ? "ok" : "fail", h->n);
    linux_net_close_all(&h->net);
    linux_pcap_close(&h->eth);
    linux_log_close(&h->log);
    return ok ? 0 : 1;
}
