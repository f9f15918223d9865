/*
 * evse-link: the EVSE side of the link on a Linux interface (SLAC, SDP, V2GTP server),
 * printing each step with a time stamp. Every V2GTP payload received is answered with
 * the same payload, so an EV-side tool can check both directions.
 *
 *   evse-link --iface IF [--port N] [--no-modem] [--run-for S] [--max-len N]
 *             [--tls-cert CHAIN.pem --tls-key KEY.pem [--tls-port N] [--no-tcp]]
 *             [--cars N] [--msg-timeout MS] [--no-sdp]
 *
 * --port 0 / --tls-port 0 listen on ephemeral ports (announced in SDP). --cars N serves N
 * cars one after the other: when a car's connection ends the link restarts for the next
 * (evse_link_restart), and the tool stops after the N-th. --no-sdp (fault test) drops
 * every SDP request, like an SECC whose SDP server hangs.
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
#include "linux_tls.h"
#include "superloop.h"

struct evse_tool {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_rng rng;
    struct linux_tls tls;
    struct hal_net_ops deaf_ops;
    struct sched sched;
    struct evse_link link;
    uint32_t stop_at;
    bool timed;
    unsigned echoed;
    unsigned cars, served, sdp_dropped;
    uint32_t last_conns;
    bool had_conn;
};

static struct evse_tool s_tool;
static volatile int s_stop;
static int (*s_tool_real_recvfrom)(struct hal_net *, int, struct hal_ip6_endpoint *, uint8_t *,
                                   size_t, size_t *);

static void evse_tool_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* --no-sdp: the SDP socket hears nothing (requests are read and thrown away). */
static int evse_tool_deaf_recvfrom(struct hal_net *net, int sock, struct hal_ip6_endpoint *from,
                                   uint8_t *buf, size_t cap, size_t *len)
{
    if (linux_net_local_port(&s_tool.net, sock) != SDP_PORT) {
        return s_tool_real_recvfrom(net, sock, from, buf, cap, len);
    }
    while (s_tool_real_recvfrom(net, sock, from, buf, cap, len) == HAL_OK) {
        s_tool.sdp_dropped++;
    }
    *len = 0;
    return HAL_EAGAIN;
}

static bool evse_tool_should_stop(void *ctx)
{
    struct evse_tool *t = ctx;
    uint32_t now = hal_clock_now_ms(&t->loop.base);
    if (t->link.conn >= 0) {
        t->had_conn = true;
    } else if (t->had_conn) {
        /* the car's connection ended: next car, or done */
        t->had_conn = false;
        t->served++;
        hal_logf(&t->log.base, HAL_LOG_INFO, now, "link: car %u done (%s)", t->served,
                 t->link.reason);
        if (t->cars > 0 && t->served >= t->cars) {
            return true;
        }
        if (t->cars > 0) {
            (void)evse_link_restart(&t->link, now);
        }
    }
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    if (evse_link_recv(&t->link, &type, &p, &len) == HAL_OK) {
        hal_logf(&t->log.base, HAL_LOG_INFO, now, "link: V2GTP payload received (%lu bytes, type 0x%04x)",
                 (unsigned long)len, (unsigned)type);
        if (evse_link_send(&t->link, type, p, len) == HAL_OK) {
            t->echoed++;
        }
        evse_link_consume(&t->link, now);
    }
    return s_stop != 0 || (t->timed && hal_time_reached(now, t->stop_at)) ||
           t->link.state == EVSE_LINK_FAILED;
}

int main(int argc, char **argv)
{
    struct evse_tool *t = &s_tool;
    struct evse_link_config cfg;
    const char *iface = NULL;
    const char *cert = NULL, *key = NULL;
    bool no_sdp = false;
    long run_for = 0;
    static const struct option opts[] = {{"iface", required_argument, NULL, 'i'},
                                         {"port", required_argument, NULL, 'p'},
                                         {"no-modem", no_argument, NULL, 'n'},
                                         {"run-for", required_argument, NULL, 'r'},
                                         {"max-len", required_argument, NULL, 'm'},
                                         {"tls-cert", required_argument, NULL, 'C'},
                                         {"tls-key", required_argument, NULL, 'K'},
                                         {"tls-port", required_argument, NULL, 'T'},
                                         {"no-tcp", no_argument, NULL, 'N'},
                                         {"cars", required_argument, NULL, 'c'},
                                         {"msg-timeout", required_argument, NULL, 'M'},
                                         {"no-sdp", no_argument, NULL, 'S'},
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
        case 'C':
            cert = optarg;
            break;
        case 'K':
            key = optarg;
            break;
        case 'T':
            cfg.tls_port = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'N':
            cfg.offer_tcp = false;
            break;
        case 'c':
            t->cars = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'M':
            cfg.msg_timeout_ms = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'S':
            no_sdp = true;
            break;
        default:
            printf("usage: evse-link --iface IF [--port N] [--no-modem] [--run-for S] [--max-len N]\n"
                   "                 [--tls-cert CHAIN --tls-key KEY [--tls-port N] [--no-tcp]]\n"
                   "                 [--cars N] [--msg-timeout MS] [--no-sdp]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (iface == NULL || (cert == NULL) != (key == NULL) || (!cfg.offer_tcp && cert == NULL)) {
        fprintf(stderr, "evse-link: --iface is required; --tls-cert and --tls-key go together; "
                        "--no-tcp needs TLS\n");
        return 2;
    }
    cfg.offer_tls = cert != NULL;
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
    if (no_sdp) {
        t->deaf_ops = *t->net.base.ops;
        s_tool_real_recvfrom = t->deaf_ops.udp_recvfrom;
        t->deaf_ops.udp_recvfrom = evse_tool_deaf_recvfrom;
        t->net.base.ops = &t->deaf_ops;
    }
    if (cert != NULL) {
        if (linux_tls_init(&t->tls, &t->net.base, &t->log.base, &t->loop.base) != HAL_OK ||
            linux_tls_server(&t->tls, cert, key) != HAL_OK) {
            fprintf(stderr, "evse-link: TLS: %s\n", t->tls.reason);
            return 1;
        }
    }
    sched_init(&t->sched);
    uint32_t now = hal_clock_now_ms(&t->loop.base);
    rc = evse_link_init(&t->link, &cfg,
                        &(struct evse_link_ports){.eth = &t->eth.base,
                                                  .net = &t->net.base,
                                                  .rng = &t->rng.base,
                                                  .tls = cert != NULL ? &t->tls.base : NULL,
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
             "link: stopped: SLAC %s (%s), SDP answers %lu (TLS %lu), V2GTP in %lu out %lu, "
             "connections %lu, bad headers %lu, timeouts %lu, TLS failures %lu, cars %u",
             slac_evse_state_name(t->link.slac.state), t->link.slac.reason,
             (unsigned long)t->link.sdp_answered, (unsigned long)t->link.sdp_answered_tls,
             (unsigned long)t->link.v2gtp_rx_msgs, (unsigned long)t->link.v2gtp_tx_msgs,
             (unsigned long)t->link.connections, (unsigned long)t->link.closed_bad_header,
             (unsigned long)t->link.closed_timeout, (unsigned long)t->link.tls_failed, t->served);
    if (t->link.slac.have_first_parm && t->link.have_first_payload) {
        printf("FIGURE evse first CM_SLAC_PARM.REQ -> first V2GTP payload: %lu ms\n",
               (unsigned long)(t->link.t_first_payload_ms - t->link.slac.t_first_parm_ms));
    }
    linux_net_close_all(&t->net);
    linux_pcap_close(&t->eth);
    if (cert != NULL) {
        linux_tls_free(&t->tls);
    }
    if (no_sdp) {
        printf("evse-link: %u SDP requests dropped (--no-sdp)\n", t->sdp_dropped);
    }
    if (t->cars > 0) {
        return t->served >= t->cars ? 0 : 1;
    }
    return t->link.state == EVSE_LINK_FAILED ? 1 : 0;
}
