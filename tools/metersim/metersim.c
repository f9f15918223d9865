/*
 * metersim - Carlo Gavazzi EM580 / EM300 emulator on Modbus RTU (serial device) or TCP.
 *
 * Serves the register map of ../shared/spec/carlo-gavazzi-em580.md: identification code
 * (only on a single-register read), live block following a configurable load, energy,
 * serial number, device state, signature type, public key (raw and DER), and the OCMF
 * transaction registers with real records signed with ECDSA (brainpoolP256r1 or P384r1,
 * SHA-256) by a key it generates with OpenSSL or loads from a PEM file.
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

#define NREGS 0x8000
#define R_IDENT 0x000B
#define R_SIGTYPE 0x24FF
#define R_PUB 0x2500
#define R_DER 0x2600
#define R_SERIAL 0x5000
#define R_YEAR 0x5007
#define R_DEVSTATE 0x5012
#define R_TT 0x6900
#define R_ID 0x7007
#define R_CI 0x701C
#define R_CMD 0x7040
#define R_STATE 0x7100
#define R_SIZE 0x7101
#define R_FILE 0x7110

struct sim {
    bool em300;
    bool p384;
    uint16_t code;
    int slave;
    double load_w;
    int64_t energy_mwh; /* milli-Wh for smooth integration */
    int64_t start_wh;
    double last_t;
    uint32_t pg;
    uint16_t regs[NREGS];
    EVP_PKEY *key;
    uint8_t pub[97];
    size_t pub_len;
    uint8_t der[160];
    size_t der_len;
    /* faults */
    int noanswer;        /* ignore every request */
    int exc_code;        /* answer every request with this exception */
    uint16_t exc_addr;   /* ... only requests touching this address (0xffff = all) */
    bool corrupt;        /* 'E' gives CORRUPTED */
    double ready_delay;  /* seconds from 'E' to READY */
    double ready_at;
    bool closing;
    double reboot_after; /* seconds after 'B': reboot (closes the transaction), 0 = off */
    double reboot_at;
    double down_until;
    bool reboot_loses;   /* the reboot loses the transaction instead of closing it */
    long wire_baud;      /* pace replies like a serial line of this speed (0 = off) */
    bool verbose;
    uint64_t requests;
};

static volatile sig_atomic_t s_stop;
static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_str(uint16_t *r, unsigned words, const char *s, bool low_only)
{
    size_t len = strlen(s);
    for (unsigned i = 0; i < words; i++) {
        if (low_only) {
            r[i] = (uint16_t)(i < len ? (uint8_t)s[i] : 0);
        } else {
            uint8_t hi = 2 * i < len ? (uint8_t)s[2 * i] : 0;
            uint8_t lo = 2 * i + 1 < len ? (uint8_t)s[2 * i + 1] : 0;
            r[i] = (uint16_t)(hi << 8 | lo);
        }
    }
}

static void get_str(const uint16_t *r, unsigned words, char *out, size_t cap)
{
    size_t n = 0;
    for (unsigned i = 0; i < words && n + 2 < cap; i++) {
        char hi = (char)(r[i] >> 8), lo = (char)(r[i] & 0xff);
        if (hi == 0) {
            break;
        }
        out[n++] = hi;
        if (lo == 0) {
            break;
        }
        out[n++] = lo;
    }
    out[n] = 0;
}

static void put32(uint16_t *r, int32_t v)
{
    r[0] = (uint16_t)((uint32_t)v & 0xffff);
    r[1] = (uint16_t)((uint32_t)v >> 16);
}

static void put64(uint16_t *r, int64_t v)
{
    for (int i = 0; i < 4; i++) {
        r[i] = (uint16_t)((uint64_t)v >> (16 * i));
    }
}

static void update_live(struct sim *s)
{
    double t = now_s();
    double dt = t - s->last_t;
    s->last_t = t;
    s->energy_mwh += (int64_t)(s->load_w * dt / 3600.0 * 1000.0);
    int64_t wh = s->energy_mwh / 1000;
    double i_a = s->load_w / 3.0 / 230.0;
    for (int p = 0; p < 3; p++) {
        put32(&s->regs[0x0000 + 2 * p], 2300);
        put32(&s->regs[0x000C + 2 * p], (int32_t)(i_a * 1000.0));
        put32(&s->regs[0x0012 + 2 * p], (int32_t)(s->load_w / 3.0 * 10.0));
    }
    put32(&s->regs[0x0028], (int32_t)(s->load_w * 10.0));
    s->regs[0x0032] = 1;
    s->regs[0x0033] = 500;
    if (s->em300) {
        put32(&s->regs[0x0400], (int32_t)(wh / 1000));
        put32(&s->regs[0x0402], (int32_t)(wh % 1000));
        put32(&s->regs[0x0408], 0);
        put32(&s->regs[0x040A], 0);
    } else {
        put64(&s->regs[0x0500], wh);
        put64(&s->regs[0x051C], 0);
    }
}

static void tm_string(char *out, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u; /* bounded: -O2 checks the width */
    snprintf(out, cap, "%.19s,%03u+0000 S", b, ms);
}

static int sign(struct sim *s, const char *msg, size_t len, char *hex, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[160];
    size_t slen = sizeof sig;
    int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key) == 1 &&
             EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || 2 * slen + 1 > cap) {
        return -1;
    }
    for (size_t i = 0; i < slen; i++) {
        snprintf(hex + 2 * i, 3, "%02X", sig[i]);
    }
    return 0;
}

static void make_file(struct sim *s, char *state_tm_b)
{
    char tt[260], ci[48], id[48], serial[32], tm_e[40];
    get_str(&s->regs[R_TT], 126, tt, sizeof tt);
    get_str(&s->regs[R_CI], 20, ci, sizeof ci);
    get_str(&s->regs[R_ID], 20, id, sizeof id);
    get_str(&s->regs[R_SERIAL], 7, serial, sizeof serial);
    tm_string(tm_e, sizeof tm_e);
    static const char *il[] = {"NONE", "HEARSAY", "TRUSTED", "VERIFIED", "CERTIFIED",
                               "SECURE", "MISMATCH", "INVALID", "OUTDATED", "UNKNOWN"};
    uint16_t ilv = s->regs[0x7001] < 10 ? s->regs[0x7001] : 9;
    int64_t wh = s->energy_mwh / 1000;
    char payload[3200];
    snprintf(payload, sizeof payload,
             "{\"FV\":\"1.2\",\"GI\":\"\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T%u\",\"MV\":\"Carlo Gavazzi "
             "Controls\",\"MM\":\"EM580\",\"MS\":\"%s\",\"MF\":\"1.2.3\",\"IS\":%s,\"IL\":\"%s\","
             "\"IF\":[],\"IT\":\"ISO14443\",\"ID\":\"%s\",\"TT\":\"%s\",\"CT\":\"EVSEID\",\"CI\":\"%s\","
             "\"LC\":{\"LN\":\"\",\"LI\": 0,\"LR\":0,\"LU\":\"mOhm\"},"
             "\"RD\":[{\"TM\":\"%s\",\"TX\":\"B\",\"RV\":%lld.%03lld,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\","
             "\"RT\":\"AC\",\"ST\":\"G\"},{\"TM\":\"%s\",\"TX\":\"E\",\"RV\":%lld.%03lld,\"RI\":"
             "\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"ST\":\"G\"}]}",
             s->pg++, serial, s->regs[0x7000] ? "true" : "false", il[ilv], id, tt, ci, state_tm_b,
             (long long)(s->start_wh / 1000), (long long)(s->start_wh % 1000), tm_e,
             (long long)(wh / 1000), (long long)(wh % 1000));
    /* Like the real meter: the payload carries a space in LC but the signature is made over
     * the compact form (the verifier must try both). */
    char compact[3200];
    size_t n = 0;
    bool in = false, esc = false;
    for (const char *p = payload; *p; p++) {
        if (in) {
            esc = !esc && *p == '\\';
            if (*p == '"' && !esc) {
                in = false;
            }
        } else if (*p == '"') {
            in = true;
        } else if (*p == ' ') {
            continue;
        }
        compact[n++] = *p;
    }
    compact[n] = 0;
    /* the space inside "Carlo Gavazzi Controls" is inside a string and stays */
    char sig[400];
    if (sign(s, compact, n, sig, sizeof sig) != 0) {
        fprintf(stderr, "metersim: signing failed\n");
        s->regs[R_STATE] = 3;
        return;
    }
    char file[4100];
    int len = snprintf(file, sizeof file, "OCMF|%s|{\"SD\":\"%s\",\"SA\":\"ECDSA-brainpoolP%dr1-SHA256\"}",
                       payload, sig, s->p384 ? 384 : 256);
    unsigned words = (unsigned)(len + 1) / 2;
    if (words > 2031) {
        s->regs[R_STATE] = 3;
        return;
    }
    put_str(&s->regs[R_FILE], 2031, file, false);
    s->regs[R_SIZE] = (uint16_t)words;
    /* The meter's own view of its transactions, for tests that compare it with the journal. */
    printf("tx end %s\n", tt);
    fflush(stdout);
    if (s->verbose) {
        fprintf(stderr, "metersim: record %d bytes, %u words\n", len, words);
    }
}

static char s_tm_begin[40];

static void close_tx(struct sim *s)
{
    make_file(s, s_tm_begin);
}

static void on_write(struct sim *s, int addr, int count)
{
    if (addr <= R_CMD && addr + count > R_CMD) {
        uint16_t cmd = s->regs[R_CMD];
        if (cmd == 'B' && s->regs[R_STATE] == 0) {
            update_live(s);
            s->start_wh = s->energy_mwh / 1000;
            tm_string(s_tm_begin, sizeof s_tm_begin);
            s->regs[R_STATE] = 1;
            char tt[260];
            get_str(&s->regs[R_TT], 126, tt, sizeof tt);
            printf("tx begin %s\n", tt);
            fflush(stdout);
            if (s->reboot_after > 0) {
                s->reboot_at = now_s() + s->reboot_after;
            }
        } else if (cmd == 'E' && s->regs[R_STATE] == 1) {
            update_live(s);
            if (s->corrupt) {
                s->regs[R_STATE] = 3;
            } else {
                s->closing = true;
                s->ready_at = now_s() + s->ready_delay;
            }
        } else if (cmd == 'A' && s->regs[R_STATE] == 1) {
            s->regs[R_STATE] = 0;
            printf("tx abort\n");
            fflush(stdout);
        }
    }
    if (addr <= R_STATE && addr + count > R_STATE && s->regs[R_STATE] == 0) {
        s->closing = false; /* confirmed */
    }
}

static void tick(struct sim *s)
{
    double t = now_s();
    if (s->closing && t >= s->ready_at) {
        s->closing = false;
        close_tx(s);
        if (s->regs[R_STATE] != 3) {
            s->regs[R_STATE] = 2;
        }
    }
    if (s->reboot_at > 0 && t >= s->reboot_at) {
        s->reboot_at = 0;
        s->down_until = t + 6.0;
        fprintf(stderr, "metersim: rebooting (6 s)\n");
        if (s->regs[R_STATE] == 1) {
            if (s->reboot_loses) {
                s->regs[R_STATE] = 0;
            } else {
                update_live(s);
                close_tx(s);
                s->regs[R_STATE] = 2;
            }
        }
    }
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

static void init_map(struct sim *s)
{
    memset(s->regs, 0, sizeof s->regs);
    s->last_t = now_s();
    update_live(s);
    s->regs[0x0302] = 0x1203;
    s->regs[0x0303] = 0x1001;
    if (s->em300) {
        put_str(&s->regs[R_SERIAL], 7, "EM30012", true);
        s->regs[0x5010] = 2024;
        return;
    }
    s->regs[0x0307] = 325;
    put_str(&s->regs[R_SERIAL], 7, "KX1234567890AB", false);
    s->regs[R_YEAR] = 2025;
    s->regs[R_SIGTYPE] = s->p384 ? 1 : 0;
    uint8_t raw[100] = {0};
    memcpy(raw, s->pub, s->pub_len); /* + one unused 00 byte */
    for (size_t i = 0; i < (s->pub_len + 1) / 2; i++) {
        s->regs[R_PUB + i] = (uint16_t)(raw[2 * i] << 8 | raw[2 * i + 1]);
    }
    uint8_t der[200] = {0};
    memcpy(der, s->der, s->der_len);
    for (size_t i = 0; i < 62; i++) {
        s->regs[R_DER + i] = (uint16_t)(der[2 * i] << 8 | der[2 * i + 1]);
    }
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
    s->energy_mwh = 1234567000LL;
    s->ready_delay = 0.2;
    s->exc_addr = 0xffff;
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
        case 'e': s->energy_mwh = atoll(optarg) * 1000LL; break;
        case 'd': s->ready_delay = atof(optarg) / 1000.0; break;
        case 'n': s->noanswer = 1; break;
        case 'x': {
            char *at = strchr(optarg, '@');
            s->exc_code = atoi(optarg);
            if (at != NULL) {
                s->exc_addr = (uint16_t)strtoul(at + 1, NULL, 0);
            }
            break;
        }
        case 'c': s->corrupt = true; break;
        case 'R': s->reboot_after = atof(optarg) / 1000.0; break;
        case 'L': s->reboot_loses = true; break;
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
    s->code = s->em300 ? 340 : 120;
    if (!s->em300 && keygen(s, keyfile, pemout) != 0) {
        return 1;
    }
    init_map(s);
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
    modbus_mapping_t *map = modbus_mapping_new(0, 0, NREGS, NREGS);
    uint16_t *own_in = map->tab_input_registers, *own_hold = map->tab_registers;
    /* FC04 and FC16 address the same registers on this meter */
    map->tab_input_registers = s->regs;
    map->tab_registers = s->regs;
    char where[TOOL_HOST_MAX + 32];
    if (rtu != NULL) {
        snprintf(where, sizeof where, "%s", rtu);
    } else {
        snprintf(where, sizeof where, "tcp %s port %d", tcp_host, tcp_port);
    }
    fprintf(stderr, "metersim: %s on %s, unit %d%s\n", s->em300 ? "EM300" : "EM580", where, s->slave, s->em300 ? "" : (s->p384 ? ", P384 key" : ", P256 key"));
    if (!s->em300) {
        printf("pubkey ");
        for (size_t i = 0; i < s->pub_len; i++) {
            printf("%02X", s->pub[i]);
        }
        printf("\n");
    }
    printf("ready\n");
    fflush(stdout);

    uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
    while (!s_stop) {
        int rc = mbserve_next(&srv, q);
        tick(s);
        if (rc <= 0) {
            continue;
        }
        s->requests++;
        int hl = modbus_get_header_length(ctx);
        int fn = q[hl];
        int addr = q[hl + 1] << 8 | q[hl + 2];
        int count = q[hl + 3] << 8 | q[hl + 4];
        if (fn == 0x06) {
            count = 1;
        }
        int unit = mbserve_unit(&srv, q);
        if (s->verbose) {
            fprintf(stderr, "metersim: unit %d fn %02x addr 0x%04x count %d\n", unit, fn, addr, count);
        }
        if (unit != s->slave && unit != 0) {
            continue;
        }
        if (s->noanswer || now_s() < s->down_until) {
            continue;
        }
        if (s->exc_code != 0 &&
            (s->exc_addr == 0xffff || (s->exc_addr >= addr && s->exc_addr < addr + count))) {
            wire_pace(s, (size_t)rc, 5);
            modbus_reply_exception(ctx, q, (unsigned)s->exc_code);
            continue;
        }
        bool read = fn == 0x03 || fn == 0x04;
        if (s->em300 && (addr >= 0x2400 && addr < 0x5000 ? true : addr >= 0x5011)) {
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
            continue;
        }
        if (s->em300 && read && addr < 0x0034 && count > 50) {
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
            continue;
        }
        if (read) {
            update_live(s);
            /* the identification code shows only on a read of that register alone */
            s->regs[R_IDENT] = (addr == R_IDENT && count == 1) ? s->code : 4000;
        }
        wire_pace(s, (size_t)rc, read ? (size_t)(5 + 2 * count) : 8u);
        if (modbus_reply(ctx, q, rc, map) < 0) {
            continue;
        }
        if (fn == 0x10 || fn == 0x06) {
            on_write(s, addr, count);
        }
    }
    map->tab_input_registers = own_in;
    map->tab_registers = own_hold;
    modbus_mapping_free(map);
    mbserve_close(&srv);
    EVP_PKEY_free(s->key);
    return 0;
}
