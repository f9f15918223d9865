/*
 * evsim-link: the EV side of the link on a Linux interface: SLAC, SDP, the V2GTP
 * connection, then COUNT payloads sent and their echoes checked. Prints each step with a
 * time stamp and the figures. Exit 0 when every echo came back.
 *
 *   evsim-link --iface IF [--count N] [--no-modem] [--timeout S] [--size N]
 *              [--tls --ca ANCHOR.pem [--tls-required]]
 *              [--bad-header | --oversize N]   (fault tests: expect the EVSE to close)
 *              [--drop-sounds N] [--sdp-max N] [--force-port N] [--parm-retries N]
 *
 * --tls asks for TLS in SDP and verifies the SECC's chain against ANCHOR.pem.
 * --drop-sounds N loses the first N CM_MNBC_SOUND.IND this EV sends (lost sounds).
 * --force-port N connects to port N whatever SDP announced (connection refused test).
 * --size N makes every payload N bytes (first bytes say which payload it is).
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_link.h"
#include "linux_log.h"
#include "linux_loop.h"
#include "linux_net.h"
#include "linux_pcap.h"
#include "linux_rng.h"
#include "linux_tls.h"
#include "superloop.h"

enum evsim_fault { EVSIM_NONE, EVSIM_BAD_HEADER, EVSIM_OVERSIZE };

struct evsim {
    struct linux_loop loop;
    struct linux_log log;
    struct linux_pcap eth;
    struct linux_net net;
    struct linux_rng rng;
    struct linux_tls tls;
    struct hal_eth_ops lossy_ops;
    int drop_sounds;
    unsigned dropped_sounds;
    uint32_t size;
    struct sched sched;
    struct ev_link link;
    unsigned count, sent, echoed;
    bool waiting;
    enum evsim_fault fault;
    uint32_t oversize;
    bool fault_sent, closed_as_expected;
    uint32_t deadline, t_first_echo;
    bool done;
};

static struct evsim s_ev;
static volatile int s_stop;

static void evsim_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

#define EVSIM_PAYLOAD_MAX 2000u

static void evsim_payload(unsigned i, uint8_t *p, uint32_t *len)
{
    uint32_t n = (uint32_t)snprintf((char *)p, 64, "payload %u from the EV", i);
    for (; n < s_ev.size; n++) {
        p[n] = (uint8_t)(n * 7u + i);
    }
    *len = n;
}

static int (*s_real_eth_send)(struct hal_eth *, const uint8_t *, size_t);

/* --drop-sounds: the first N sounds never reach the wire. */
static int evsim_lossy_send(struct hal_eth *eth, const uint8_t *f, size_t len)
{
    struct evsim *e = &s_ev;
    if (e->drop_sounds > 0 && len >= 17u && f[12] == 0x88 && f[13] == 0xe1 &&
        (uint16_t)(f[15] | f[16] << 8) == HOMEPLUG_CM_MNBC_SOUND_IND) {
        e->drop_sounds--;
        e->dropped_sounds++;
        return HAL_OK;
    }
    return s_real_eth_send(eth, f, len);
}

static bool evsim_should_stop(void *ctx)
{
    struct evsim *e = ctx;
    uint32_t now = hal_clock_now_ms(&e->loop.base);
    if (e->link.state == EV_LINK_FAILED) {
        if (e->fault_sent && strcmp(e->link.reason, "V2GTP connection closed by the EVSE") == 0) {
            e->closed_as_expected = true;
            hal_logf(&e->log.base, HAL_LOG_INFO, now, "link: EVSE closed the connection as expected");
        }
        return true;
    }
    bool up = e->link.state == EV_LINK_CONNECTED || e->link.state == EV_LINK_CONNECTING;
    if (up && e->fault != EVSIM_NONE && !e->fault_sent) {
        uint8_t h[8];
        if (e->fault == EVSIM_BAD_HEADER) {
            v2gtp_header_write(h, V2GTP_PT_EXI, 4);
            h[1] = 0xFF; /* inverse version wrong */
        } else {
            v2gtp_header_write(h, V2GTP_PT_EXI, e->oversize);
        }
        e->fault_sent = ev_link_send(&e->link, 0, h, sizeof h, true) == HAL_OK;
    }
    if (up && e->fault == EVSIM_NONE) {
        uint16_t type;
        const uint8_t *p;
        uint32_t len;
        if (e->waiting && ev_link_recv(&e->link, &type, &p, &len) == HAL_OK) {
            static uint8_t want[EVSIM_PAYLOAD_MAX];
            uint32_t wl;
            evsim_payload(e->sent - 1u, want, &wl);
            if (len == wl && memcmp(p, want, wl) == 0) {
                if (e->echoed == 0) {
                    e->t_first_echo = now;
                }
                e->echoed++;
                hal_logf(&e->log.base, HAL_LOG_INFO, now, "link: V2GTP echo %u received", e->echoed);
            } else {
                hal_logf(&e->log.base, HAL_LOG_ERROR, now, "link: V2GTP echo wrong");
            }
            ev_link_consume(&e->link);
            e->waiting = false;
        }
        if (!e->waiting && e->sent < e->count) {
            static uint8_t p2[EVSIM_PAYLOAD_MAX];
            uint32_t l2;
            evsim_payload(e->sent, p2, &l2);
            if (ev_link_send(&e->link, V2GTP_PT_EXI, p2, l2, false) == HAL_OK) {
                e->sent++;
                e->waiting = true;
            }
        }
        if (!e->waiting && e->sent == e->count) {
            e->done = true;
            return true;
        }
    }
    return s_stop != 0 || hal_time_reached(now, e->deadline);
}

int main(int argc, char **argv)
{
    struct evsim *e = &s_ev;
    struct ev_link_config cfg;
    const char *iface = NULL;
    const char *ca = NULL;
    bool tls = false;
    long timeout = 30;
    static const struct option opts[] = {{"iface", required_argument, NULL, 'i'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"no-modem", no_argument, NULL, 'n'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"bad-header", no_argument, NULL, 'b'},
                                         {"oversize", required_argument, NULL, 'o'},
                                         {"parm-retries", required_argument, NULL, 'P'},
                                         {"tls", no_argument, NULL, 'T'},
                                         {"ca", required_argument, NULL, 'A'},
                                         {"tls-required", no_argument, NULL, 'R'},
                                         {"drop-sounds", required_argument, NULL, 'd'},
                                         {"sdp-max", required_argument, NULL, 's'},
                                         {"force-port", required_argument, NULL, 'f'},
                                         {"size", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    ev_link_default_config(&cfg);
    e->count = 3;
    while ((o = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        switch (o) {
        case 'i':
            iface = optarg;
            break;
        case 'c':
            e->count = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'n':
            cfg.slac.use_modem = false;
            break;
        case 't':
            timeout = strtol(optarg, NULL, 10);
            break;
        case 'b':
            e->fault = EVSIM_BAD_HEADER;
            break;
        case 'o':
            e->fault = EVSIM_OVERSIZE;
            e->oversize = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'P':
            cfg.slac.parm_retries = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'T':
            tls = true;
            cfg.sdp_security = SDP_SEC_TLS;
            break;
        case 'A':
            ca = optarg;
            break;
        case 'R':
            cfg.tls_required = true;
            break;
        case 'd':
            e->drop_sounds = (int)strtol(optarg, NULL, 10);
            break;
        case 's':
            cfg.sdp_max_requests = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'f':
            cfg.force_port = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'z':
            e->size = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        default:
            printf("usage: evsim-link --iface IF [--count N] [--no-modem] [--timeout S] [--size N]\n"
                   "                  [--tls --ca ANCHOR [--tls-required]] [--parm-retries N]\n"
                   "                  [--bad-header | --oversize N] [--drop-sounds N] [--sdp-max N]\n"
                   "                  [--force-port N]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (iface == NULL || timeout < 1 || (tls && ca == NULL) || e->size > EVSIM_PAYLOAD_MAX) {
        fprintf(stderr, "evsim-link: --iface is required, --tls needs --ca, --size <= %u\n",
                EVSIM_PAYLOAD_MAX);
        return 2;
    }
    signal(SIGINT, evsim_signal);
    signal(SIGTERM, evsim_signal);
    linux_loop_init(&e->loop);
    e->loop.stop_flag = &s_stop;
    linux_log_init(&e->log, HAL_LOG_INFO, true, false, "evsim-link");
    linux_rng_init(&e->rng);
    int rc = linux_pcap_open(&e->eth, iface);
    if (rc != HAL_OK) {
        fprintf(stderr, "evsim-link: %s: %s (%s)\n", iface, hal_strerror(rc), e->eth.errbuf);
        return 1;
    }
    (void)linux_loop_watch(&e->loop, linux_pcap_fd(&e->eth), POLLIN);
    if (linux_net_init(&e->net, iface, &e->loop) != HAL_OK) {
        fprintf(stderr, "evsim-link: %s: no such interface\n", iface);
        return 1;
    }
    if (e->drop_sounds > 0) {
        e->lossy_ops = *e->eth.base.ops;
        s_real_eth_send = e->lossy_ops.send;
        e->lossy_ops.send = evsim_lossy_send;
        e->eth.base.ops = &e->lossy_ops;
    }
    if (tls) {
        if (linux_tls_init(&e->tls, &e->net.base, &e->log.base, &e->loop.base) != HAL_OK ||
            linux_tls_client(&e->tls, ca) != HAL_OK) {
            fprintf(stderr, "evsim-link: TLS: %s\n", e->tls.reason);
            return 1;
        }
    }
    sched_init(&e->sched);
    uint32_t now = hal_clock_now_ms(&e->loop.base);
    e->deadline = now + (uint32_t)timeout * 1000u;
    rc = ev_link_init(&e->link, &cfg,
                      &(struct ev_link_ports){.eth = &e->eth.base,
                                              .net = &e->net.base,
                                              .rng = &e->rng.base,
                                              .tls = tls ? &e->tls.base : NULL,
                                              .log = &e->log.base},
                      &e->sched, now);
    if (rc != HAL_OK) {
        fprintf(stderr, "evsim-link: cannot start: %s\n", hal_strerror(rc));
        return 1;
    }
    struct superloop loop = {
        .sched = &e->sched, .clock = &e->loop.base, .should_stop = evsim_should_stop, .ctx = e};
    superloop_run(&loop);
    if (e->link.t_match_ms != 0) {
        printf("FIGURE ev first CM_SLAC_PARM.REQ -> CM_SLAC_MATCH.CNF: %lu ms\n",
               (unsigned long)(e->link.t_match_ms - e->link.t_start_ms));
    }
    if (e->echoed > 0) {
        printf("FIGURE ev first CM_SLAC_PARM.REQ -> first V2GTP payload echoed: %lu ms\n",
               (unsigned long)(e->t_first_echo - e->link.t_start_ms));
    }
    if (e->link.state == EV_LINK_CONNECTED && e->link.secure) {
        printf("evsim-link: TLS session used\n");
    }
    if (e->dropped_sounds > 0) {
        printf("evsim-link: %u CM_MNBC_SOUND.IND dropped (--drop-sounds), %u failed SLAC run(s)\n",
               e->dropped_sounds, (unsigned)e->link.slac.runs);
    }
    const char *why = e->link.reason;
    ev_link_close(&e->link, hal_clock_now_ms(&e->loop.base), "done");
    linux_net_close_all(&e->net);
    linux_pcap_close(&e->eth);
    if (tls) {
        linux_tls_free(&e->tls);
    }
    if (e->fault != EVSIM_NONE) {
        printf("evsim-link: fault %s: %s\n", e->fault == EVSIM_BAD_HEADER ? "bad-header" : "oversize",
               e->closed_as_expected ? "connection closed by the EVSE" : "NOT closed");
        return e->closed_as_expected ? 0 : 1;
    }
    printf("evsim-link: %s (%s), %u/%u echoes\n", e->done ? "done" : "incomplete",
           why, e->echoed, e->count);
    return e->done && e->echoed == e->count ? 0 : 1;
}
