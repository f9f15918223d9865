/**
 * @file bench_exi.c
 * @brief EXI codec benchmark: ns per decode/encode of the reference DIN CurrentDemandReq
 *        (a real Hyundai Ioniq, 48 bytes) and of one message per other schema.
 *
 *   bench_exi            timing run, prints ns/decode and ns/encode per message
 *   bench_exi once       one decode and one encode of each message, for
 *                        valgrind --tool=callgrind (see docs/exi.md): the
 *                        inclusive cost of exi_din_decode / exi_din_encode is the
 *                        instruction count per message.
 *
 * Speed is printed, never asserted here; encode must reproduce the input bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exi/exi_registry.h"
#include "hal_err.h"

struct bench_exi_case {
    const char *schema;
    const char *what;
    const char *hex;
};

static const struct bench_exi_case s_cases[] = {
    {"din", "CurrentDemandReq (Hyundai Ioniq, reference)",
     "809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a1503c00"},
    {"appHand", "supportedAppProtocolReq",
     "8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040"},
    {"iso2", "SessionSetupRes", "8098004011e0002804080c1014181c2012b35de740"},
    {"iso20_dc", "DC_ChargeLoopReq", "803404667603d3222062a30abdd82c806200518402040b8690202808101404000a02080a010205008002804081402000a000"},
};

static _Alignas(16) unsigned char s_doc[64 * 1024];
static unsigned char s_in[256];
static unsigned char s_out[256];

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (unsigned char)v;
    }
    return n;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "once") == 0;
    long n = once ? 1 : 200000;
    int bad = 0;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const struct bench_exi_case *c = &s_cases[i];
        const struct exi_codec *cd = exi_codec_find(c->schema);
        size_t len = unhex(c->hex, s_in);
        struct exi_reader r;
        struct exi_writer w;
        double t0, t1, t2;
        if (cd == NULL || cd->doc_size > sizeof s_doc) {
            return 2;
        }
        t0 = now_ns();
        for (long k = 0; k < n; k++) {
            exi_reader_init(&r, s_in, len);
            if (cd->decode(&r, s_doc) != HAL_OK) {
                fprintf(stderr, "bench_exi: %s does not decode\n", c->what);
                return 1;
            }
        }
        t1 = now_ns();
        for (long k = 0; k < n; k++) {
            exi_writer_init(&w, s_out, sizeof s_out);
            (void)cd->encode(&w, s_doc);
        }
        t2 = now_ns();
        if (exi_writer_len(&w) != len || memcmp(s_out, s_in, len) != 0) {
            fprintf(stderr, "bench_exi: %s does not re-encode identically\n", c->what);
            bad = 1;
        }
        if (!once) {
            printf("exi %-8s %-45s %3zu B  decode %7.1f ns  encode %7.1f ns  doc %zu B\n", c->schema, c->what, len,
                   (t1 - t0) / (double)n, (t2 - t1) / (double)n, cd->doc_size);
        }
    }
    return bad;
}
