/**
 * @file v2gc_main.c
 * @brief v2g-codec: command-line face of the generated EXI codecs.
 *
 *   v2g-codec decode SCHEMA          hex per line on stdin -> XML per line (or ERROR ...)
 *   v2g-codec encode SCHEMA          XML per line on stdin -> lower-case hex per line (or ERROR ...)
 *   v2g-codec bench SCHEMA HEX N     ns per decode and per encode, size of the document struct
 *
 * SCHEMA: appHand din iso2 iso20 iso20_dc iso20_ac.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exi/exi_registry.h"
#include "hal_err.h"
#include "v2gc_xml.h"

#define V2GC_MAX_EXI 65536U

static _Alignas(16) uint8_t s_doc[1U << 20];
static uint8_t s_bin[V2GC_MAX_EXI];
static uint8_t s_out[V2GC_MAX_EXI];

static int hex_to_bin(const char *h, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    while (h[0] && h[0] != '\n' && h[0] != '\r') {
        unsigned v;
        if (h[1] == '\0' || sscanf(h, "%2x", &v) != 1 || n >= cap) {
            return -1;
        }
        out[n++] = (uint8_t)v;
        h += 2;
    }
    *len = n;
    return 0;
}

static char *read_line(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *p = malloc(cap);
    int c;
    if (p == NULL) {
        return NULL;
    }
    while ((c = fgetc(f)) != EOF && c != '\n') {
        if (len + 2 > cap) {
            cap *= 2;
            char *np = realloc(p, cap);
            if (np == NULL) {
                free(p);
                return NULL;
            }
            p = np;
        }
        p[len++] = (char)c;
    }
    if (c == EOF && len == 0) {
        free(p);
        return NULL;
    }
    if (len && p[len - 1] == '\r') {
        len--;
    }
    p[len] = '\0';
    return p;
}

static void print_error(int rc, enum exi_error e, size_t bit)
{
    printf("ERROR %d %s: %s (exi %d, bit %zu)\n", rc, hal_strerror(rc), exi_error_str(e), (int)e, bit);
}

static int cmd_decode(const struct exi_codec *c)
{
    char *line;
    while ((line = read_line(stdin)) != NULL) {
        size_t len;
        if (line[0] == '\0') {
            free(line);
            continue;
        }
        if (hex_to_bin(line, s_bin, sizeof s_bin, &len) != 0) {
            printf("ERROR %d bad hex input\n", HAL_EINVAL);
        } else {
            struct exi_reader r;
            exi_reader_init(&r, s_bin, len);
            int rc = c->decode(&r, s_doc);
            if (rc != HAL_OK) {
                print_error(rc, r.error, r.bit);
            } else {
                struct v2gc_buf b = {0};
                if (v2gc_xml_print(&b, c->meta, s_doc) != 0) {
                    printf("ERROR %d value cannot be printed\n", HAL_EINVAL);
                } else {
                    printf("%s\n", b.p);
                }
                v2gc_buf_free(&b);
            }
        }
        free(line);
    }
    return 0;
}

static int cmd_encode(const struct exi_codec *c)
{
    char *line;
    char err[256];
    while ((line = read_line(stdin)) != NULL) {
        if (line[0] == '\0') {
            free(line);
            continue;
        }
        if (v2gc_xml_parse(line, c->meta, s_doc, err, sizeof err) != 0) {
            printf("ERROR %d %s\n", HAL_EINVAL, err);
        } else {
            struct exi_writer w;
            exi_writer_init(&w, s_out, sizeof s_out);
            int rc = c->encode(&w, s_doc);
            if (rc != HAL_OK) {
                print_error(rc, w.error, w.bit);
            } else {
                size_t n = exi_writer_len(&w);
                for (size_t i = 0; i < n; i++) {
                    printf("%02x", s_out[i]);
                }
                printf("\n");
            }
        }
        free(line);
    }
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmd_bench(const struct exi_codec *c, const char *hex, long n)
{
    size_t len;
    struct exi_reader r;
    struct exi_writer w;
    if (hex_to_bin(hex, s_bin, sizeof s_bin, &len) != 0 || n <= 0) {
        fprintf(stderr, "v2g-codec: bad HEX or N\n");
        return 2;
    }
    exi_reader_init(&r, s_bin, len);
    if (c->decode(&r, s_doc) != HAL_OK) {
        print_error(exi_error_hal(r.error), r.error, r.bit);
        return 1;
    }
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        exi_reader_init(&r, s_bin, len);
        (void)c->decode(&r, s_doc);
    }
    double t1 = now_ns();
    size_t out_len = 0;
    for (long i = 0; i < n; i++) {
        exi_writer_init(&w, s_out, sizeof s_out);
        (void)c->encode(&w, s_doc);
        out_len = exi_writer_len(&w);
    }
    double t2 = now_ns();
    printf("schema %s: %zu bytes in, %zu bytes out\n", c->name, len, out_len);
    printf("decode %.1f ns/msg\n", (t1 - t0) / (double)n);
    printf("encode %.1f ns/msg\n", (t2 - t1) / (double)n);
    printf("document struct %zu bytes\n", c->doc_size);
    return out_len == len ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: v2g-codec decode|encode SCHEMA  |  v2g-codec bench SCHEMA HEX N\n"
                    "SCHEMA: appHand din iso2 iso20 iso20_dc iso20_ac\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        return usage();
    }
    const struct exi_codec *c = exi_codec_find(argv[2]);
    if (c == NULL) {
        fprintf(stderr, "v2g-codec: unknown schema %s\n", argv[2]);
        return usage();
    }
    if (c->doc_size > sizeof s_doc) {
        fprintf(stderr, "v2g-codec: document struct too large\n");
        return 2;
    }
    if (strcmp(argv[1], "decode") == 0 && argc == 3) {
        return cmd_decode(c);
    }
    if (strcmp(argv[1], "encode") == 0 && argc == 3) {
        return cmd_encode(c);
    }
    if (strcmp(argv[1], "bench") == 0 && argc == 5) {
        return cmd_bench(c, argv[3], strtol(argv[4], NULL, 10));
    }
    return usage();
}
