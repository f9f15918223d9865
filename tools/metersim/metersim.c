/*
 * metersim - Carlo Gavazzi EM580 / EM300 emulator on Modbus RTU (serial device) or TCP.
 *
 * The device is the simulation layer's model, sim/sim_em580_dev.c (the one the simulator
 * board reads with the real EM580 driver, as imdsim serves sim/sim_imd_dev.c); this program
 * only puts it on a real wire, with libmodbus as the server, and gives it what a real meter
 * has and the simulator does not need: an ECDSA key (brainpoolP256r1 or P384r1, generated
 * with OpenSSL or loaded from a PEM file) that signs each record over the compact payload,
 * as the real EM580 does, a wall clock, and a constant three-phase load.
 *
 * Faults: no answer, exception codes, reboot in the middle of a transaction, CORRUPTED,
 * a delay before READY, and serial wire-time pacing (--wire-baud) so that a pty pair
 * behaves like an RS-485 line of that speed.
 */
#include <errno.h>
#include <getopt.h>
#include <modbus/modbus.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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

#include "sim_em580_dev.h"
#include "sim_modbus.h"

struct sim {
    struct sim_em580_dev dev;
    bool em300;
    bool p384;
    int slave;
    double load_w;
    EVP_PKEY *key;
    uint8_t pub[97];
    size_t pub_len;
    uint8_t der[160];
    size_t der_len;
    bool noanswer;       /* ignore every request */
    long wire_baud;      /* pace replies like a serial line of this speed (0 = off) */
    bool verbose;
    uint64_t t0_ns;
    uint32_t said_begins, said_ends, said_aborts, said_reboots;
};

static volatile sig_atomic_t s_stop;
static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* The model's clock: milliseconds since start (+1000 so that 0 never means "unset"). */
static uint32_t metersim_ms(const struct sim *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return (uint32_t)((ns - s->t0_ns) / 1000000ull) + 1000u;
}

/* The real EM580 signs the payload with its whitespace outside strings removed (the
 * space it leaves in "LC"); a verifier must try both forms (../shared/spec/ocmf.md). */
static int metersim_sign(void *ctx, const char *payload, size_t len, char *hex, size_t cap)
{
    struct sim *s = ctx;
    char compact[SIM_EM580_PAYLOAD_MAX];
    size_t n = 0;
    bool in = false, esc = false;
    for (size_t i = 0; i < len && n + 1u < sizeof compact; i++) {
        char c = payload[i];
        if (in) {
            esc = !esc && c == '\\';
            if (c == '"' && !esc) {
                in = false;
            }
        } else if (c == '"') {
            in = true;
        } else if (c == ' ') {
            continue;
        }
        compact[n++] = c;
    }
    compact[n] = '\0';
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char sig[160];
    size_t slen = sizeof sig;
    int ok = mctx != NULL && EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, s->key) == 1 &&
             EVP_DigestSign(mctx, sig, &slen, (const unsigned char *)compact, n) == 1;
    EVP_MD_CTX_free(mctx);
    if (!ok || 2 * slen + 1 > cap) {
        fprintf(stderr, "metersim: signing failed\n");
        return -1;
    }
    for (size_t i = 0; i < slen; i++) {
        snprintf(hex + 2 * i, 3, "%02X", sig[i]);
    }
    return 0;
}

/* The meter's own view of its transactions on stdout, for tests that compare it with the
 * journal: what the model ran since the last look. */
static void metersim_report(struct sim *s)
{
    const struct sim_em580_dev *d = &s->dev;
    char tt[260];
    if (d->reboots != s->said_reboots) {
        s->said_reboots = d->reboots;
        fprintf(stderr, "metersim: rebooting (%u s)\n", SIM_EM580_REBOOT_MS / 1000u);
    }
    if (d->begins == s->said_begins && d->ends == s->said_ends && d->aborts == s->said_aborts) {
        return;
    }
    sim_em580_dev_tt(d, tt, sizeof tt);
    for (; s->said_begins != d->begins; s->said_begins++) {
        printf("tx begin %s\n", tt);
    }
    for (; s->said_ends != d->ends; s->said_ends++) {
        printf("tx end %s\n", tt);
    }
    for (; s->said_aborts != d->aborts; s->said_aborts++) {
        printf("tx abort\n");
    }
    fflush(stdout);
}

static int keygen(struct sim *s, const char *keyfile, const char *pemout)
{
    if (keyfile != NULL) {
        FILE *f = fopen(keyfile, "r");
        if (f == NULL) {
            fprintf(stderr, "metersim: %s: %s\n", keyfile, strerror(errno));
            return -1;
        }
        s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    } else {
        s->key = EVP_EC_gen(s->p384 ? "brainpoolP384r1" : "brainpoolP256r1");
    }
    if (s->key == NULL) {
        fprintf(stderr, "metersim: no usable EC key\n");
        return -1;
    }
    s->p384 = EVP_PKEY_get_bits(s->key) > 256;
    unsigned char *pt = NULL;
    size_t n = EVP_PKEY_get1_encoded_public_key(s->key, &pt);
    if (n == 0 || n > sizeof s->pub) {
        fprintf(stderr, "metersim: cannot encode the public key\n");
        return -1;
    }
    memcpy(s->pub, pt, n);
    s->pub_len = n;
    OPENSSL_free(pt);
    unsigned char *d = NULL;
    int dl = i2d_PUBKEY(s->key, &d);
    if (dl <= 0 || (size_t)dl > sizeof s->der) {
        return -1;
    }
    memcpy(s->der, d, (size_t)dl);
    s->der_len = (size_t)dl;
    OPENSSL_free(d);
    if (pemout != NULL) {
        FILE *f = fopen(pemout, "w");
        if (f == NULL || PEM_write_PUBKEY(f, s->key) != 1) {
            fprintf(stderr, "metersim: cannot write %s\n", pemout);
            return -1;
        }
        fclose(f);
    }
    return 0;
}

static void wire_pace(const struct sim *s, size_t req_len, size_t rsp_len)
{
    if (s->wire_baud <= 0) {
        return;
    }
    /* 11 bits per character (8 data + start + parity/stop + stop), plus 3.5 characters of
     * silence after each frame, for the request and for the reply. */
    double chars = (double)(req_len + rsp_len) + 7.0;
    double secs = chars * 11.0 / (double)s->wire_baud;
    struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: metersim (--rtu DEV[,BAUD[,PARITY]] | --tcp [HOST:]PORT) [options]\n"
            "  --tcp [HOST:]PORT       Modbus TCP server on HOST (default 127.0.0.1), port 1..65535\n"
            "  --model em580|em300     (default em580)\n"
            "  --slave N               unit id (default 1)\n"
            "  --key FILE              PEM private key (EC brainpoolP256r1/P384r1); default: generate\n"
            "  --p384                  generate a 384-bit key\n"
            "  --pubkey-pem FILE       write the public key as PEM\n"
            "  --load-w W              constant load (default 11000)\n"
            "  --energy-wh WH          initial imported energy (default 1234567)\n"
            "  --ready-delay-ms MS     time from 'E' to READY (default 200)\n"
            "  --noanswer              never answer\n"
            "  --exception CODE[@ADDR] answer with this exception (all requests, or only at ADDR)\n"
            "  --corrupted             'E' leads to CORRUPTED\n"
            "  --reboot-after-ms MS    reboot MS after 'B' (6 s without answers; the meter closes\n"
            "                          the transaction); --reboot-loses: the transaction is lost\n"
            "  --wire-baud B           delay replies like an RS-485 line at B baud\n"
            "  -v                      log requests\n"
            "stdout: 'pubkey HEX', 'ready', then its own view of the transactions: 'tx begin TT',\n"
            "'tx end TT' (the signed record exists), 'tx abort' (TT = the TT field: tariff<=>id).\n");
}

int main(int argc, char **argv)
{
    static struct sim sim;
    struct sim *s = &sim;
    s->slave = 1;
    s->load_w = 11000;
    int64_t energy_wh = 1234567;
    uint32_t ready_delay_ms = 200, reboot_after_ms = 0;
    bool corrupt = false, reboot_loses = false;
    int exc_code = 0;
    uint16_t exc_addr = 0xFFFFu;
    const char *rtu = NULL, *keyfile = NULL, *pemout = NULL;
    int tcp_port = 0;
    char tcp_host[TOOL_HOST_MAX] = "";
    long v = 0;
    static const struct option opts[] = {
        {"rtu", required_argument, 0, 'r'},      {"tcp", required_argument, 0, 't'},
        {"model", required_argument, 0, 'm'},    {"slave", required_argument, 0, 's'},
        {"key", required_argument, 0, 'k'},      {"p384", no_argument, 0, '3'},
        {"pubkey-pem", required_argument, 0, 'P'}, {"load-w", required_argument, 0, 'l'},
        {"energy-wh", required_argument, 0, 'e'}, {"ready-delay-ms", required_argument, 0, 'd'},
        {"noanswer", no_argument, 0, 'n'},       {"exception", required_argument, 0, 'x'},
        {"corrupted", no_argument, 0, 'c'},      {"reboot-after-ms", required_argument, 0, 'R'},
        {"reboot-loses", no_argument, 0, 'L'},   {"wire-baud", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rtu = optarg; break;
        case 't':
            if (tool_host_port("metersim", "--tcp", optarg, "127.0.0.1", 0, tcp_host, &tcp_port) != 0) {
                return 2;
            }
            break;
        case 'm':
            if (strcmp(optarg, "em300") == 0) {
                s->em300 = true;
            } else if (strcmp(optarg, "em580") != 0) {
                fprintf(stderr, "metersim: --model em580 or em300\n");
                return 2;
            }
            break;
        case 's':
            if (tool_number("metersim", "--slave", optarg, 1, 247, &v) != 0) {
                return 2;
            }
            s->slave = (int)v;
            break;
        case 'k': keyfile = optarg; break;
        case '3': s->p384 = true; break;
        case 'P': pemout = optarg; break;
        case 'l': s->load_w = atof(optarg); break;
        case 'e': energy_wh = atoll(optarg); break;
        case 'd': ready_delay_ms = (uint32_t)atof(optarg); break;
        case 'n': s->noanswer = true; break;
        case 'x': {
            char *at = strchr(optarg, '@');
            exc_code = atoi(optarg);
            if (at != NULL) {
                exc_addr = (uint16_t)strtoul(at + 1, NULL, 0);
            }
            break;
        }
        case 'c': corrupt = true; break;
        case 'R': reboot_after_ms = (uint32_t)atof(optarg); break;
        case 'L': reboot_loses = true; break;
        case 'w':
            if (tool_number("metersim", "--wire-baud", optarg, 50, 4000000, &s->wire_baud) != 0) {
                return 2;
            }
            break;
        case 'v': s->verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if ((rtu == NULL) == (tcp_port == 0)) {
        fprintf(stderr, "metersim: give exactly one of --rtu DEV or --tcp [HOST:]PORT (--help)\n");
        return 2;
    }
    if (keyfile != NULL && tool_must_exist("metersim", "key file", keyfile) != 0) {
        return 1;
    }
    if (!s->em300 && keygen(s, keyfile, pemout) != 0) {
        return 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->t0_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint32_t now = metersim_ms(s);
    const struct sim_em580_config cfg = {
        .em300 = s->em300, .pub = s->pub, .pub_len = s->pub_len, .der = s->der, .der_len = s->der_len,
        .serial = s->em300 ? "EM30012" : "KX1234567890AB", .mv = "Carlo Gavazzi Controls", .rt = "AC",
        .import_wh = energy_wh, .unix_epoch_s = (int64_t)wall.tv_sec - (int64_t)(now / 1000u),
        .sign = metersim_sign, .sign_ctx = s};
    sim_em580_dev_init(&s->dev, &cfg);
    s->dev.slave.unit = (uint8_t)s->slave;
    s->dev.ready_delay_ms = ready_delay_ms;
    s->dev.corrupt_on_end = corrupt;
    s->dev.reboot_after_ms = reboot_after_ms;
    s->dev.reboot_loses = reboot_loses;
    s->dev.exc_code = (uint8_t)exc_code;
    s->dev.exc_addr = exc_addr;
    sim_em580_dev_tick_ac(&s->dev, now, s->load_w);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    struct mbserve srv;
    if (mbserve_open(&srv, "metersim", rtu, 9600, 'N', tcp_host, tcp_port, 50000u) != 0) {
        EVP_PKEY_free(s->key);
        return 1;
    }
    modbus_t *ctx = srv.ctx;
    modbus_set_slave(ctx, s->slave);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, SIM_MB_REGS, SIM_MB_REGS);
    uint16_t *own_in = map->tab_input_registers, *own_hold = map->tab_registers;
    /* FC04 and FC16 address the same registers on this meter */
    map->tab_input_registers = s->dev.slave.holding;
    map->tab_registers = s->dev.slave.holding;
    char where[TOOL_HOST_MAX + 32];
    if (rtu != NULL) {
        snprintf(where, sizeof where, "%s", rtu);
    } else {
        snprintf(where, sizeof where, "tcp %s port %d", tcp_host, tcp_port);
    }
    fprintf(stderr, "metersim: %s on %s, unit %d%s\n", s->em300 ? "EM300" : "EM580", where, s->slave,
            s->em300 ? "" : (s->p384 ? ", P384 key" : ", P256 key"));
    if (!s->em300) {
        printf("pubkey ");
        for (size_t i = 0; i < s->pub_len; i++) {
            printf("%02X", s->pub[i]);
        }
        printf("\n");
    }
    printf("ready\n");
    fflush(stdout);

    const struct sim_mb_slave_ops *ops = s->dev.slave.ops;
    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    while (!s_stop) {
        int rc = mbserve_next(&srv, q);
        sim_em580_dev_tick_ac(&s->dev, metersim_ms(s), s->load_w);
        metersim_report(s);
        if (rc <= 0) {
            continue;
        }
        int hl = modbus_get_header_length(ctx);
        int fn = q[hl];
        uint16_t addr = (uint16_t)(q[hl + 1] << 8 | q[hl + 2]);
        uint16_t count = (uint16_t)(q[hl + 3] << 8 | q[hl + 4]);
        int unit = mbserve_unit(&srv, q);
        if (s->verbose) {
            fprintf(stderr, "metersim: unit %d fn %02x addr 0x%04x count %u\n", unit, fn, addr, count);
        }
        if ((unit != s->slave && unit != 0) || s->noanswer) {
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
        uint8_t exc = ops->gate(&s->dev.slave, &req, metersim_ms(s));
        if (exc == SIM_MB_NO_ANSWER) {
            continue;
        }
        if (exc != 0) {
            wire_pace(s, (size_t)rc, 5);
            modbus_reply_exception(ctx, q, exc);
            continue;
        }
        bool read = fn == 0x03 || fn == 0x04;
        if (read) {
            ops->before_read(&s->dev.slave, metersim_ms(s));
        }
        wire_pace(s, (size_t)rc, read ? (size_t)(5 + 2 * count) : 8u);
        if (modbus_reply(ctx, q, rc, map) < 0) {
            continue;
        }
        if (fn == 0x10 || fn == 0x06) {
            ops->after_write(&s->dev.slave, addr, count, metersim_ms(s));
            metersim_report(s);
        }
    }
    map->tab_input_registers = own_in;
    map->tab_registers = own_hold;
    modbus_mapping_free(map);
    mbserve_close(&srv);
    EVP_PKEY_free(s->key);
    return 0;
}
