/*
 * huaweisim: emulates a Huawei FusionCharge V100R023C10 power unit for integration tests
 * and bring-up: a TCP server that dispensers connect to (it plays the Modbus client on each
 * connection: capabilities, its MAC, running mode, a session key per plug-in, alarms) and a
 * GOOSE subscriber/publisher on one interface (verifies the dispensers' requests and
 * answers placeholder requests). Switches inject what a faulty or hostile unit would do.
 * Frame layouts come from the firmware's own core (protocols/huawei); the unit's behaviour
 * (when it writes what) follows the sheet's description of EVerest's mock (§9).
 *
 * stdout: one line per event, for the tests:
 *   listening port=P | connected dispenser=D | key conn=G | request conn=G type=T voltage=V
 *   current=A | shutdown conn=G reason=R | reply conn=G result=R | refused conn=G why=TEXT
 *   | dropped dispenser=D
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "huawei/huawei_goose.h"
#include "huawei/huawei_regs.h"
#include "linux_pcap.h"

#define MAX_DISP 4
#define MAX_GLOBAL 12

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct opts {
    unsigned port;
    const char *ifname;
    bool no_hmac, wrong_key, replay, refuse, no_key, wrong_vlan, wrong_length;
    unsigned alloc_delay_ms;
    unsigned drop_after_s;
    unsigned alarm_reg, alarm_val;
    bool alarm;
    float max_v, min_v, max_a, min_a, kw;
    const char *tls_cert, *tls_key, *tls_client_ca; /* mutual TLS server (all three) */
};

/* One connector of the whole system, by its global number. */
struct gconn {
    int disp; /* -1: unknown */
    unsigned local;
    uint16_t ws;
    bool keyed;
    uint8_t key[48];
    bool allocated;      /* replied for this key */
    uint32_t reply_at;   /* a placeholder reply due (0: none) */
    uint8_t mac[6];      /* the dispenser's, from its request */
    uint32_t st, sq;     /* our reply stream */
    uint32_t last_st;    /* last request stNum printed */
    bool seen;
};

struct disp {
    int fd;
    SSL *ssl; /* NULL without TLS */
    uint8_t rx[8192];
    size_t rx_len;
    uint16_t tid;
    uint32_t connected_at;
    uint32_t next_write;
    uint16_t global_tid[HUAWEI_CONN_MAX]; /* outstanding reads of 0x110E */
};

static struct opts O;
static struct gconn G[MAX_GLOBAL + 1];
static struct disp D[MAX_DISP];
static struct linux_pcap ETH;
static uint8_t MAC[6];
static uint32_t key_counter;
static SSL_CTX *TLS;
static bool dropped_once;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void send_pdu(int d, const uint8_t *pdu, size_t len)
{
    uint8_t b[HUAWEI_ADU_MAX];
    huawei_mbap_put(b, D[d].tid++, 1, len);
    memcpy(b + HUAWEI_MBAP_LEN, pdu, len);
    if (D[d].ssl != NULL) {
        if (SSL_write(D[d].ssl, b, (int)(HUAWEI_MBAP_LEN + len)) <= 0) {
            fprintf(stderr, "huaweisim: TLS write failed\n");
        }
    } else if (send(D[d].fd, b, HUAWEI_MBAP_LEN + len, MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "huaweisim: send: %s\n", strerror(errno));
    }
}

static void write_regs(int d, uint16_t addr, const uint8_t *data, size_t words)
{
    uint8_t pdu[6 + 250] = {0x10, (uint8_t)(addr >> 8), (uint8_t)addr, 0, (uint8_t)words, (uint8_t)(2 * words)};
    memcpy(pdu + 6, data, 2 * words);
    send_pdu(d, pdu, 6 + 2 * words);
}

static void write_u16(int d, uint16_t addr, uint16_t v)
{
    uint8_t pdu[5] = {0x06, (uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)(v >> 8), (uint8_t)v};
    send_pdu(d, pdu, 5);
}

static void write_f32(int d, uint16_t addr, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    write_regs(d, addr, b, 2);
}

/* What the unit writes every cycle: running, its MAC, capabilities of every connector. */
static void unit_cycle(int d)
{
    write_u16(d, HUAWEI_R_RUNNING_MODE, HUAWEI_PSU_RUNNING);
    write_regs(d, HUAWEI_R_PSU_MAC, MAC, 3);
    for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) {
        bool have = false;
        for (unsigned g = 1; g <= MAX_GLOBAL; g++) {
            have = have || (G[g].disp == d && G[g].local == l);
        }
        if (!have) {
            continue;
        }
        uint16_t off = huawei_conn_offset(l);
        write_f32(d, (uint16_t)(HUAWEI_R_PSU_MAX_V + off), O.max_v);
        write_f32(d, (uint16_t)(HUAWEI_R_PSU_MIN_V + off), O.min_v);
        write_f32(d, (uint16_t)(HUAWEI_R_PSU_MAX_I + off), O.max_a);
        write_f32(d, (uint16_t)(HUAWEI_R_PSU_MIN_I + off), O.min_a);
        write_f32(d, (uint16_t)(HUAWEI_R_PSU_POWER + off), O.kw);
        write_u16(d, (uint16_t)(HUAWEI_R_PORT_AVAILABLE + off), 1);
    }
    if (O.alarm) {
        write_u16(d, (uint16_t)O.alarm_reg, (uint16_t)O.alarm_val);
    }
}

static void new_key(unsigned g)
{
    struct gconn *c = &G[g];
    key_counter++;
    for (unsigned i = 0; i < 48; i++) {
        c->key[i] = (uint8_t)(key_counter * 31u + g * 7u + i * 13u);
    }
    c->keyed = true;
    c->allocated = false;
    c->reply_at = 0;
    write_regs(c->disp, (uint16_t)(HUAWEI_R_KEY + huawei_conn_offset(c->local)), c->key, 24);
    printf("key conn=%u\n", g);
}

/* A value of the unsolicited report. */
static void report_value(int d, uint16_t addr, uint16_t v)
{
    for (unsigned g = 1; g <= MAX_GLOBAL; g++) {
        struct gconn *c = &G[g];
        if (c->disp != d || addr != HUAWEI_R_WORKING_STATUS + huawei_conn_offset(c->local)) {
            continue;
        }
        uint16_t old = c->ws;
        c->ws = v;
        /* the working status 1 makes the unit write a new key (§4) */
        if (v == 1u && old != 1u && !O.no_key) {
            new_key(g);
        }
    }
}

static void handle_adu(int d, const uint8_t *pdu, size_t len, uint16_t tid)
{
    if (len >= 11 && pdu[0] == 0x41 && pdu[1] == 0x91) {
        size_t nseg = (size_t)(pdu[9] << 8 | pdu[10]), k = 11;
        for (size_t s = 0; s < nseg && k + 4 <= len; s++) {
            uint16_t a = (uint16_t)(pdu[k] << 8 | pdu[k + 1]);
            size_t n = (size_t)(pdu[k + 2] << 8 | pdu[k + 3]);
            k += 4;
            for (size_t i = 0; i < n && k + 2 <= len; i++, k += 2) {
                report_value(d, (uint16_t)(a + i), (uint16_t)(pdu[k] << 8 | pdu[k + 1]));
            }
        }
        return;
    }
    if (len == 2 && (pdu[0] & 0x80u) != 0u) {
        printf("exception dispenser=%d fc=0x%02x code=%u\n", d, pdu[0], pdu[1]);
        return;
    }
    if (len == 4 && pdu[0] == 0x03 && pdu[1] == 2) {
        for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) {
            uint16_t g = (uint16_t)(pdu[2] << 8 | pdu[3]);
            if (D[d].global_tid[l - 1] == tid && g >= 1 && g <= MAX_GLOBAL) {
                G[g].disp = d;
                G[g].local = l;
                G[g].ws = 0;
                G[g].keyed = false;
                printf("connector dispenser=%d local=%u conn=%u\n", d, l, g);
                D[d].next_write = now_ms(); /* capabilities at once */
            }
        }
    }
}

static void drop(int d, const char *why)
{
    if (D[d].ssl != NULL) {
        SSL_shutdown(D[d].ssl);
        SSL_free(D[d].ssl);
        D[d].ssl = NULL;
    }
    close(D[d].fd);
    D[d].fd = -1;
    for (unsigned g = 1; g <= MAX_GLOBAL; g++) {
        if (G[g].disp == d) {
            G[g] = (struct gconn){.disp = -1};
        }
    }
    printf("dropped dispenser=%d (%s)\n", d, why);
}

static void send_reply(unsigned g)
{
    struct gconn *c = &G[g];
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.kind = HUAWEI_GOOSE_POWER_REPLY;
    m.st_num = ++c->st;
    m.sq_num = 0;
    m.ttl_ms = HUAWEI_GOOSE_TTL_MS;
    m.time_ms = (uint64_t)time(NULL) * 1000u;
    m.connector = (uint16_t)g;
    m.serial = 0xFFFF;
    m.req_type = HUAWEI_REQ_PLACEHOLDER;
    m.result = O.refuse ? 1u : 0u;
    m.mode = 2;
    struct huawei_goose_eth eth = {.tagged = true, .vlan_id = O.wrong_vlan ? 7u : 0u};
    memcpy(eth.dst, c->mac, 6);
    memcpy(eth.src, MAC, 6);
    uint8_t wrong[48];
    memset(wrong, 0x5A, sizeof wrong);
    const uint8_t *key = O.no_hmac ? NULL : O.wrong_key ? wrong : c->key;
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    size_t n = 0;
    if (huawei_goose_encode(&m, &eth, key, f, sizeof f, &n) != HAL_OK) {
        return;
    }
    if (O.wrong_length) {
        f[21] = (uint8_t)(f[21] + 4); /* Length field: 4 bytes more than there are */
    }
    (void)hal_eth_send(&ETH.base, f, n);
    if (O.replay) {
        (void)hal_eth_send(&ETH.base, f, n); /* the same stNum/sqNum again */
    }
    printf("reply conn=%u result=%u\n", g, m.result);
}

static void handle_frame(const uint8_t *f, size_t n)
{
    struct huawei_goose_msg m;
    struct huawei_goose_sec sec;
    enum huawei_goose_reject why;
    if (huawei_goose_parse(f, n, 0, &m, &sec, &why) != HAL_OK) {
        printf("refused conn=? why=%s\n", huawei_goose_reject_name(why));
        return;
    }
    if (m.kind == HUAWEI_GOOSE_POWER_REPLY || m.connector < 1 || m.connector > MAX_GLOBAL) {
        return;
    }
    struct gconn *c = &G[m.connector];
    if (!O.no_hmac && (!c->keyed || !huawei_goose_verify(f, &sec, c->key))) {
        printf("refused conn=%u why=%s\n", m.connector, c->keyed ? "bad HMAC" : "no key yet");
        return;
    }
    memcpy(c->mac, sec.src, 6);
    if (!c->seen || m.st_num != c->last_st) {
        c->seen = true;
        c->last_st = m.st_num;
        if (m.kind == HUAWEI_GOOSE_SHUTDOWN) {
            printf("shutdown conn=%u reason=0x%04x\n", m.connector, m.reason);
        } else {
            printf("request conn=%u type=%u voltage=%.1f current=%.1f\n", m.connector, m.req_type,
                   (double)m.voltage_v, (double)m.current_a);
        }
    }
    if (m.kind == HUAWEI_GOOSE_POWER_REQUEST && m.req_type == HUAWEI_REQ_PLACEHOLDER && !c->allocated &&
        c->reply_at == 0) {
        c->reply_at = now_ms() + O.alloc_delay_ms + 1u;
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: huaweisim --eth IF [options]\n"
            "Emulates a Huawei FusionCharge V100R023C10 power unit: TCP server for the\n"
            "dispensers (it is the Modbus client on each link) and GOOSE on IF.\n"
            "\n"
            "  --eth IF               interface for GOOSE (needs CAP_NET_RAW)\n"
            "  --port P               TCP port (default 8502; 0 picks one, printed)\n"
            "  --caps V:V:A:A:KW      max V, min V, max A, min A, kW (default 1000:100:200:1:60)\n"
            "  --no-hmac              neither sign replies nor verify requests\n"
            "  --wrong-key            sign replies with another key than the one written\n"
            "  --replay               send every reply twice (same stNum/sqNum)\n"
            "  --wrong-vlan           tag replies with VLAN 7\n"
            "  --wrong-length         replies with a Length field 4 bytes too long\n"
            "  --no-key               never write a session key\n"
            "  --alloc-delay-ms MS    answer placeholder requests after MS (default 0)\n"
            "  --refuse-alloc         answer placeholder requests with failure\n"
            "  --alarm REG=VAL        write an alarm register (e.g. 0x4004=1) every cycle\n"
            "  --drop-link-after-s S  close every link S seconds after it came up (once)\n"
            "  --tls CERT:KEY:CA      mutual TLS: our certificate and key (PEM), and the CA\n"
            "                         the dispensers' client certificates must chain to\n"
            "  -h, --help             this text\n"
            "\n"
            "Events go to stdout one per line (see the source's header). Runs until SIGINT or\n"
            "SIGTERM. Exit status: 0, 1 on a set-up failure, 2 for bad arguments.\n");
}

static int parse_args(int argc, char **argv)
{
    O.port = 8502;
    O.max_v = 1000;
    O.min_v = 100;
    O.max_a = 200;
    O.min_a = 1;
    O.kw = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--eth") == 0 && v != NULL) {
            O.ifname = v;
            i++;
        } else if (strcmp(a, "--port") == 0 && v != NULL) {
            unsigned long p = strtoul(v, &end, 10);
            if (*end != '\0' || p > 65535) {
                fprintf(stderr, "huaweisim: bad --port '%s'\n", v);
                return -1;
            }
            O.port = (unsigned)p;
            i++;
        } else if (strcmp(a, "--caps") == 0 && v != NULL) {
            if (sscanf(v, "%f:%f:%f:%f:%f", &O.max_v, &O.min_v, &O.max_a, &O.min_a, &O.kw) != 5) {
                fprintf(stderr, "huaweisim: bad --caps '%s' (V:V:A:A:KW)\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--alloc-delay-ms") == 0 && v != NULL) {
            O.alloc_delay_ms = (unsigned)strtoul(v, &end, 10);
            if (*end != '\0' || O.alloc_delay_ms > 600000u) {
                fprintf(stderr, "huaweisim: bad --alloc-delay-ms '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--drop-link-after-s") == 0 && v != NULL) {
            O.drop_after_s = (unsigned)strtoul(v, &end, 10);
            if (*end != '\0' || O.drop_after_s == 0 || O.drop_after_s > 86400u) {
                fprintf(stderr, "huaweisim: bad --drop-link-after-s '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--alarm") == 0 && v != NULL) {
            int reg = 0, val = 0;
            if (sscanf(v, "%i=%i", &reg, &val) != 2 || reg < 0x4000 || reg > 0x4012 || val < 0 || val > 1) {
                fprintf(stderr, "huaweisim: bad --alarm '%s' (0x4000..0x4012=0|1)\n", v);
                return -1;
            }
            O.alarm_reg = (unsigned)reg;
            O.alarm_val = (unsigned)val;
            O.alarm = true;
            i++;
        } else if (strcmp(a, "--tls") == 0 && v != NULL) {
            static char buf[3][256];
            if (sscanf(v, "%255[^:]:%255[^:]:%255s", buf[0], buf[1], buf[2]) != 3) {
                fprintf(stderr, "huaweisim: bad --tls '%s' (CERT:KEY:CA)\n", v);
                return -1;
            }
            O.tls_cert = buf[0];
            O.tls_key = buf[1];
            O.tls_client_ca = buf[2];
            i++;
        } else if (strcmp(a, "--no-hmac") == 0) {
            O.no_hmac = true;
        } else if (strcmp(a, "--wrong-key") == 0) {
            O.wrong_key = true;
        } else if (strcmp(a, "--replay") == 0) {
            O.replay = true;
        } else if (strcmp(a, "--wrong-vlan") == 0) {
            O.wrong_vlan = true;
        } else if (strcmp(a, "--wrong-length") == 0) {
            O.wrong_length = true;
        } else if (strcmp(a, "--no-key") == 0) {
            O.no_key = true;
        } else if (strcmp(a, "--refuse-alloc") == 0) {
            O.refuse = true;
        } else {
            fprintf(stderr, "huaweisim: unknown or incomplete option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (O.ifname == NULL) {
        fprintf(stderr, "huaweisim: --eth IF is required\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) {
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    struct hal_eth_binding b = {HAL_ETH_TYPE_GOOSE, 0u, false};
    int rc = linux_pcap_open_binding(&ETH, O.ifname, &b);
    if (rc != HAL_OK) {
        fprintf(stderr, "huaweisim: cannot open %s: %s\n", O.ifname, ETH.errbuf);
        return 1;
    }
    (void)hal_eth_mac(&ETH.base, MAC);
    if (O.tls_cert != NULL) {
        TLS = SSL_CTX_new(TLS_server_method());
        if (TLS == NULL || SSL_CTX_use_certificate_chain_file(TLS, O.tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(TLS, O.tls_key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_load_verify_locations(TLS, O.tls_client_ca, NULL) != 1) {
            fprintf(stderr, "huaweisim: cannot load the TLS files\n");
            ERR_print_errors_fp(stderr);
            return 1;
        }
        /* mutual TLS: a dispenser without a certificate of that CA is turned away */
        SSL_CTX_set_verify(TLS, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)O.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 4) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "huaweisim: cannot listen on port %u: %s\n", O.port, strerror(errno));
        return 1;
    }
    printf("listening port=%u\n", ntohs(sa.sin_port));
    for (int d = 0; d < MAX_DISP; d++) {
        D[d].fd = -1;
    }
    for (unsigned g = 0; g <= MAX_GLOBAL; g++) {
        G[g].disp = -1;
    }
    while (!s_stop) {
        struct pollfd p[2 + MAX_DISP];
        p[0] = (struct pollfd){.fd = ls, .events = POLLIN};
        p[1] = (struct pollfd){.fd = linux_pcap_fd(&ETH), .events = POLLIN};
        for (int d = 0; d < MAX_DISP; d++) {
            p[2 + d] = (struct pollfd){.fd = D[d].fd, .events = POLLIN};
        }
        (void)poll(p, 2 + MAX_DISP, 5);
        uint32_t now = now_ms();
        if ((p[0].revents & POLLIN) != 0) {
            int fd = accept(ls, NULL, NULL);
            int d = 0;
            while (d < MAX_DISP && D[d].fd >= 0) {
                d++;
            }
            if (fd >= 0 && d == MAX_DISP) {
                close(fd);
            } else if (fd >= 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                D[d] = (struct disp){.fd = fd, .connected_at = now, .next_write = now + 200u};
                if (TLS != NULL) {
                    /* blocking handshake, bounded: the dispenser is another process */
                    struct timeval tv = {.tv_sec = 5};
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                    D[d].ssl = SSL_new(TLS);
                    SSL_set_fd(D[d].ssl, fd);
                    if (SSL_accept(D[d].ssl) != 1) {
                        printf("tls refused dispenser=%d\n", d);
                        SSL_free(D[d].ssl);
                        D[d].ssl = NULL;
                        close(fd);
                        D[d].fd = -1;
                        continue;
                    }
                    printf("tls dispenser=%d\n", d);
                }
                printf("connected dispenser=%d\n", d);
                /* a register the sheet does not have: the dispenser must answer exception 2 */
                static const uint8_t bogus[5] = {0x03, 0x77, 0x77, 0x00, 0x01};
                send_pdu(d, bogus, sizeof bogus);
                for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) { /* which connectors are there */
                    D[d].global_tid[l - 1] = D[d].tid;
                    uint16_t a = (uint16_t)(HUAWEI_R_GLOBAL_NO + huawei_conn_offset(l));
                    uint8_t pdu[5] = {0x03, (uint8_t)(a >> 8), (uint8_t)a, 0, 1};
                    send_pdu(d, pdu, 5);
                }
            }
        }
        for (int d = 0; d < MAX_DISP; d++) {
            if (D[d].fd < 0) {
                continue;
            }
            if ((p[2 + d].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                ssize_t n;
                if (D[d].ssl != NULL) {
                    n = SSL_read(D[d].ssl, D[d].rx + D[d].rx_len, (int)(sizeof D[d].rx - D[d].rx_len));
                    while (n > 0 && SSL_pending(D[d].ssl) > 0 && D[d].rx_len + (size_t)n < sizeof D[d].rx) {
                        int more = SSL_read(D[d].ssl, D[d].rx + D[d].rx_len + (size_t)n,
                                            (int)(sizeof D[d].rx - D[d].rx_len - (size_t)n));
                        n += more > 0 ? more : 0;
                        if (more <= 0) {
                            break;
                        }
                    }
                } else {
                    n = recv(D[d].fd, D[d].rx + D[d].rx_len, sizeof D[d].rx - D[d].rx_len, 0);
                }
                if (n <= 0) {
                    drop(d, "closed by the dispenser");
                    continue;
                }
                D[d].rx_len += (size_t)n;
                struct huawei_mbap m;
                int r;
                while ((r = huawei_mbap_split(D[d].rx, D[d].rx_len, &m)) == HAL_OK) {
                    handle_adu(d, D[d].rx + m.pdu_off, m.pdu_len, m.tid);
                    memmove(D[d].rx, D[d].rx + m.frame_len, D[d].rx_len - m.frame_len);
                    D[d].rx_len -= m.frame_len;
                }
                if (r == HAL_EPROTO) {
                    drop(d, "broken Modbus stream");
                    continue;
                }
            }
            if ((int32_t)(now - D[d].next_write) >= 0) {
                unit_cycle(d);
                D[d].next_write = now + 1000u;
            }
            if (O.drop_after_s != 0 && !dropped_once && now - D[d].connected_at >= O.drop_after_s * 1000u) {
                drop(d, "--drop-link-after-s");
                dropped_once = true;
            }
        }
        if ((p[1].revents & POLLIN) != 0) {
            uint8_t f[HAL_ETH_FRAME_MAX];
            size_t n = 0;
            while (hal_eth_recv(&ETH.base, f, sizeof f, &n) == HAL_OK) {
                handle_frame(f, n);
            }
        }
        for (unsigned g = 1; g <= MAX_GLOBAL; g++) {
            if (G[g].reply_at != 0 && (int32_t)(now - G[g].reply_at) >= 0 && G[g].disp >= 0) {
                G[g].reply_at = 0;
                G[g].allocated = true;
                send_reply(g);
            }
        }
    }
    linux_pcap_close(&ETH);
    if (TLS != NULL) {
        SSL_CTX_free(TLS);
    }
    return 0;
}
