/*
 * evse-link: the EVSE side of the link on a Linux interface (SLAC, SDP, V2GTP server),
 * printing each step with a time stamp. Every V2GTP payload received is answered with
 * the same payload, so an EV-side tool can check both directions.
 *
 *   evse-link --iface IF [--port N] [--no-modem] [--run-for S] [--max-len N]
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evse_link.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_net.h"
#include "linux_pcap.h"
#include "linux_rng.h"
#include "superloop.h"

struct evse_tool {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_rng rng;
    struct sched sched;
    struct evse_link link;
    uint32_t stop_at;
    bool timed;
    unsigned echoed;
};

static struct evse_tool s_tool;
static volatile int s_stop;

static void evse_tool_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static bool evse_tool_should_stop(void *ctx)
{
    struct evse_tool *t = ctx;
    uint32_t now = hal_clock_now_ms(&t->loop.base);
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    if (evse_link_recv(&t->link, &type, &p, &len) == HAL_OK) {
        hal_logf(&t->log.base, HAL_LOG_INFO, now, "link: V2GTP payload received (%lu bytes, type 0x%04x)",
                 (unsigned long)len, (unsigned)type);
        if (evse_link_send(&t->link, type, p, len) == HAL_OK) {
            t->echoed++;
        }
        evse_link_consume(&t->link);
    }
    return s_stop != 0 || (t->timed && hal_time_reached(now, t->stop_at)) ||
           t->link.state == EVSE_LINK_FAILED;
}

int main(int argc, char **argv)
{
    struct evse_tool *t = &s_tool;
    struct evse_link_config cfg;
    const char *iface = NULL;
    long run_for = 0;
    static const struct option opts[] = {{"iface", required_argument, NULL, 'i'},
                                         {"port", required_argument, NULL, 'p'},
                                         {"no-modem", no_argument, NULL, 'n'},
                                         {"run-for", required_argument, NULL, 'r'},
                                         {"max-len", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    evse_link_default_config(&cfg);
    while ((o = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        switch (o) {
        case 'i':
            iface = optarg;
            break;
        case 'p':
            cfg.tcp_port = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'n':
            cfg.slac.use_modem = false;
            break;
        case 'r':
            run_for = strtol(optarg, NULL, 10);
            break;
        case 'm':
            cfg.v2gtp_max_len = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        default:
            printf("usage: evse-link --iface IF [--port N] [--no-modem] [--run-for S] [--max-len N]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (iface == NULL || cfg.tcp_port == 0) {
        fprintf(stderr, "evse-link: --iface is required and --port must not be 0\n");
        return 2;
    }
    signal(SIGINT, evse_tool_signal);
    signal(SIGTERM, evse_tool_signal);
    linux_loop_init(&t->loop);
    t->loop.stop_flag = &s_stop;
    linux_log_init(&t->log, HAL_LOG_INFO, true, false, "evse-link");
    linux_rng_init(&t->rng);
    int rc = linux_pcap_open(&t->eth, iface);
    if (rc != HAL_OK) {
        fprintf(stderr, "evse-link: %s: %s (%s)\n", iface, hal_strerror(rc), t->eth.errbuf);
        return 1;
    }
    (void)linux_loop_watch(&t->loop, linux_pcap_fd(&t->eth), POLLIN);
    if (linux_net_init(&t->net, iface, &t->loop) != HAL_OK) {
        fprintf(stderr, "evse-link: %s: no such interface\n", iface);
        return 1;
    }
    sched_init(&t->sched);
    uint32_t now = hal_clock_now_ms(&t->loop.base);
    rc = evse_link_init(&t->link, &cfg, &(struct evse_link_ports){.eth = &t->eth.base,
                                                                  .net = &t->net.base,
                                                                  .rng = &t->rng.base,
                                                                  .log = &t->log.base},
                        &t->sched, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "evse-link: cannot start the link: %s\n", hal_strerror(rc));
        return 1;
    }
    t->timed = run_for > 0;
    t->stop_at = now + (uint32_t)run_for * 1000u;
    struct superloop loop = {
        .sched = &t->sched, .clock = &t->loop.base, .should_stop = evse_tool_should_stop, .ctx = t};
    superloop_run(&loop);
    now = hal_clock_now_ms(&t->loop.base);
    hal_logf(&t->log.base, HAL_LOG_INFO, now,
             "link: stopped: SLAC %s (%s), SDP answers %lu, V2GTP in %lu out %lu, bad headers %lu",
             slac_evse_state_name(t->link.slac.state), t->link.slac.reason,
             (unsigned long)t->link.sdp_answered, (unsigned long)t->link.v2gtp_rx_msgs,
             (unsigned long)t->link.v2gtp_tx_msgs, (unsigned long)t->link.closed_bad_header);
    if (t->link.slac.have_first_parm && t->link.have_first_payload) {
        printf("FIGURE evse first CM_SLAC_PARM.REQ -> first V2GTP payload: %lu ms\n",
               (unsigned long)(t->link.t_first_payload_ms - t->link.slac.t_first_parm_ms));
    }
    linux_net_close_all(&t->net);
    linux_pcap_close(&t->eth);
    return t->link.state == EVSE_LINK_FAILED ? 1 : 0;
}
