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

#include "linux_pcap.h"
#include "sim_huawei.h"

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct opts {
    unsigned port;
    const char *ifname;
    struct sim_huawei_opts unit;
    const char *tls_cert, *tls_key, *tls_client_ca; /* mutual TLS server (all three) */
};

/* The sockets of one dispenser link; its protocol state is the model's. */
struct link {
    int fd;
    SSL *ssl; /* NULL without TLS */
};

static struct opts O;
static struct sim_huawei U;
static struct link L[SIM_HUAWEI_DISP];
static struct linux_pcap ETH;
static SSL_CTX *TLS;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void tcp_send(void *ctx, int d, const uint8_t *b, size_t len)
{
    (void)ctx;
    if (L[d].ssl != NULL) {
        if (SSL_write(L[d].ssl, b, (int)len) <= 0) {
            fprintf(stderr, "huaweisim: TLS write failed\n");
        }
    } else if (send(L[d].fd, b, len, MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "huaweisim: send: %s\n", strerror(errno));
    }
}

static void eth_send(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    (void)hal_eth_send(&ETH.base, f, len);
}

static void link_close(void *ctx, int d)
{
    (void)ctx;
    if (L[d].ssl != NULL) {
        SSL_shutdown(L[d].ssl);
        SSL_free(L[d].ssl);
        L[d].ssl = NULL;
    }
    close(L[d].fd);
    L[d].fd = -1;
}

static void event(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
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
    sim_huawei_default_opts(&O.unit);
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
            if (sscanf(v, "%f:%f:%f:%f:%f", &O.unit.max_v, &O.unit.min_v, &O.unit.max_a, &O.unit.min_a, &O.unit.kw) != 5) {
                fprintf(stderr, "huaweisim: bad --caps '%s' (V:V:A:A:KW)\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--alloc-delay-ms") == 0 && v != NULL) {
            O.unit.alloc_delay_ms = (unsigned)strtoul(v, &end, 10);
            if (*end != '\0' || O.unit.alloc_delay_ms > 600000u) {
                fprintf(stderr, "huaweisim: bad --alloc-delay-ms '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--drop-link-after-s") == 0 && v != NULL) {
            O.unit.drop_after_s = (unsigned)strtoul(v, &end, 10);
            if (*end != '\0' || O.unit.drop_after_s == 0 || O.unit.drop_after_s > 86400u) {
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
            O.unit.alarm_reg = (unsigned)reg;
            O.unit.alarm_val = (unsigned)val;
            O.unit.alarm = true;
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
            O.unit.no_hmac = true;
        } else if (strcmp(a, "--wrong-key") == 0) {
            O.unit.wrong_key = true;
        } else if (strcmp(a, "--replay") == 0) {
            O.unit.replay = true;
        } else if (strcmp(a, "--wrong-vlan") == 0) {
            O.unit.wrong_vlan = true;
        } else if (strcmp(a, "--wrong-length") == 0) {
            O.unit.wrong_length = true;
        } else if (strcmp(a, "--no-key") == 0) {
            O.unit.no_key = true;
        } else if (strcmp(a, "--refuse-alloc") == 0) {
            O.unit.refuse = true;
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
    static const struct sim_huawei_ops ops = {tcp_send, eth_send, link_close, event};
    uint8_t mac[6];
    (void)hal_eth_mac(&ETH.base, mac);
    sim_huawei_init(&U, &O.unit, &ops, NULL, mac);
    U.unix_offset_ms = (int64_t)time(NULL) * 1000 - (int64_t)now_ms();
    for (int d = 0; d < SIM_HUAWEI_DISP; d++) {
        L[d].fd = -1;
    }
    while (!s_stop) {
        struct pollfd p[2 + SIM_HUAWEI_DISP];
        p[0] = (struct pollfd){.fd = ls, .events = POLLIN};
        p[1] = (struct pollfd){.fd = linux_pcap_fd(&ETH), .events = POLLIN};
        for (int d = 0; d < SIM_HUAWEI_DISP; d++) {
            p[2 + d] = (struct pollfd){.fd = L[d].fd, .events = POLLIN};
        }
        (void)poll(p, 2 + SIM_HUAWEI_DISP, 5);
        uint32_t now = now_ms();
        /* the GOOSE T field: Unix time, whole seconds as before (time(NULL)) */
        U.unix_offset_ms = (int64_t)time(NULL) * 1000 - (int64_t)now;
        if ((p[0].revents & POLLIN) != 0) {
            int fd = accept(ls, NULL, NULL);
            int d = sim_huawei_free_slot(&U);
            if (fd >= 0 && d < 0) {
                close(fd);
            } else if (fd >= 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                L[d] = (struct link){.fd = fd};
                if (TLS != NULL) {
                    /* blocking handshake, bounded: the dispenser is another process */
                    struct timeval tv = {.tv_sec = 5};
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                    L[d].ssl = SSL_new(TLS);
                    SSL_set_fd(L[d].ssl, fd);
                    if (SSL_accept(L[d].ssl) != 1) {
                        printf("tls refused dispenser=%d\n", d);
                        SSL_free(L[d].ssl);
                        L[d].ssl = NULL;
                        close(fd);
                        L[d].fd = -1;
                        continue;
                    }
                    printf("tls dispenser=%d\n", d);
                }
                sim_huawei_connected(&U, d, now);
            }
        }
        for (int d = 0; d < SIM_HUAWEI_DISP; d++) {
            if (L[d].fd < 0) {
                continue;
            }
            if ((p[2 + d].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                uint8_t rx[8192];
                ssize_t n;
                if (L[d].ssl != NULL) {
                    n = SSL_read(L[d].ssl, rx, (int)sizeof rx);
                    while (n > 0 && SSL_pending(L[d].ssl) > 0 && (size_t)n < sizeof rx) {
                        int more = SSL_read(L[d].ssl, rx + n, (int)(sizeof rx - (size_t)n));
                        n += more > 0 ? more : 0;
                        if (more <= 0) {
                            break;
                        }
                    }
                } else {
                    n = recv(L[d].fd, rx, sizeof rx, 0);
                }
                if (n <= 0) {
                    sim_huawei_drop(&U, d, "closed by the dispenser");
                    continue;
                }
                if (sim_huawei_tcp_input(&U, d, rx, (size_t)n, now) != 0) {
                    continue; /* dropped: broken Modbus stream */
                }
            }
        }
        sim_huawei_tick(&U, now);
        if ((p[1].revents & POLLIN) != 0) {
            uint8_t f[HAL_ETH_FRAME_MAX];
            size_t n = 0;
            while (hal_eth_recv(&ETH.base, f, sizeof f, &n) == HAL_OK) {
                sim_huawei_goose_input(&U, f, n, now);
            }
        }
        sim_huawei_tick(&U, now); /* replies due at once (no allocation delay) */
    }
    linux_pcap_close(&ETH);
    if (TLS != NULL) {
        SSL_CTX_free(TLS);
    }
    return 0;
}
