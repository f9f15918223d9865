/**
 * @file v2gc_main.c
 * @brief v2g-codec: command-line face of the generated EXI codecs.
 *
 *   v2g-codec decode SCHEMA          hex per line on stdin -> XML per line (or ERROR ...)
 *   v2g-codec encode SCHEMA          XML per line on stdin -> lower-case hex per line (or ERROR ...)
 *   v2g-codec bench SCHEMA HEX N     ns per decode and per encode, size of the document struct
 *
 * SCHEMA: appHand din iso2 iso20 iso20_dc iso20_ac.
 *
 * Hex input is what people paste: bytes may be separated by spaces, tabs or colons, and
 * the line or each byte may carry a 0x prefix; a whole V2GTP message (header 01 FE, payload
 * type, length) is recognised by its header and the header is stripped. What was seen is
 * said on stderr per line, so stdout stays one result per input line. Exit 1 when any line
 * failed (the count on stderr), 2 on usage errors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exi/exi_registry.h"
#include "hal_err.h"
#include "v2gc_xml.h"
#include "tool_hex.h"

#define V2GC_MAX_EXI 65536U

static _Alignas(16) uint8_t s_doc[1U << 20];
static uint8_t s_bin[V2GC_MAX_EXI];
static uint8_t s_out[V2GC_MAX_EXI];

/* What hex_to_bin() had to tidy up, for the note on stderr. */
struct v2gc_hex_seen {
    bool separators;   /* spaces, tabs or colons between digits */
    bool prefix;       /* 0x before the line or a byte */
    bool v2gtp;        /* a V2GTP header was stripped */
    uint16_t payload_type;
};

/* Hex digits to bytes. Returns 0, or -1 with the reason in why. */
static int hex_to_bin(const char *h, uint8_t *out, size_t cap, size_t *len, struct v2gc_hex_seen *seen,
                      char *why, size_t whycap)
{
    memset(seen, 0, sizeof *seen);
    size_t n = 0;
    int hi = -1;           /* first digit of a byte in progress */
    bool token_start = true;
    for (size_t col = 0; h[col] != '\0' && h[col] != '\n' && h[col] != '\r'; col++) {
        char ch = h[col];
        if (ch == ' ' || ch == '\t' || ch == ':') {
            seen->separators = true;
            token_start = true;
            continue;
        }
        if (token_start && hi < 0 && ch == '0' && (h[col + 1] == 'x' || h[col + 1] == 'X')) {
            seen->prefix = true;
            col++;
            token_start = false;
            continue;
        }
        token_start = false;
        int v = tool_hex_digit(ch);
        if (v < 0) {
            snprintf(why, whycap, "bad hex input: '%c' at column %zu is not a hex digit", ch, col + 1);
            return -1;
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap) {
            snprintf(why, whycap, "bad hex input: longer than %zu bytes", cap);
            return -1;
        }
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0) {
        snprintf(why, whycap, "bad hex input: odd number of hex digits");
        return -1;
    }
    if (n == 0) {
        snprintf(why, whycap, "bad hex input: no hex digits");
        return -1;
    }
    /* An EXI stream starts with 0x80 (or the "$EXI" cookie), so 01 FE can only be a V2GTP
     * header (protocol version 1 and its inverse). */
    if (n >= 2 && out[0] == 0x01 && out[1] == 0xFE) {
        if (n < 8) {
            snprintf(why, whycap, "V2GTP header cut short: %zu bytes", n);
            return -1;
        }
        uint32_t plen = (uint32_t)out[4] << 24 | (uint32_t)out[5] << 16 | (uint32_t)out[6] << 8 | out[7];
        if (plen != n - 8) {
            snprintf(why, whycap, "V2GTP header says %u payload bytes, %zu follow", plen, n - 8);
            return -1;
        }
        seen->v2gtp = true;
        seen->payload_type = (uint16_t)(out[2] << 8 | out[3]);
        memmove(out, out + 8, n - 8);
        n -= 8;
    }
    *len = n;
    return 0;
}

static void note_seen(unsigned long lineno, const struct v2gc_hex_seen *seen)
{
    if (!seen->separators && !seen->prefix && !seen->v2gtp) {
        return;
    }
    fprintf(stderr, "v2g-codec: line %lu:%s%s", lineno, seen->prefix ? " 0x prefix removed;" : "",
            seen->separators ? " separators removed;" : "");
    if (seen->v2gtp) {
        fprintf(stderr, " V2GTP header stripped (payload type 0x%04x)", seen->payload_type);
    }
    fprintf(stderr, "\n");
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

/* Exit status of a whole run: 1 when any line failed, said on stderr with the count. */
static int verdict(unsigned long lines, unsigned long failed)
{
    if (failed > 0) {
        fprintf(stderr, "v2g-codec: %lu of %lu lines failed\n", failed, lines);
        return 1;
    }
    return 0;
}

static int cmd_decode(const struct exi_codec *c)
{
    char *line;
    unsigned long lineno = 0, lines = 0, failed = 0;
    while ((line = read_line(stdin)) != NULL) {
        size_t len;
        struct v2gc_hex_seen seen;
        char why[96];
        lineno++;
        if (line[0] == '\0') {
            free(line);
            continue;
        }
        lines++;
        if (hex_to_bin(line, s_bin, sizeof s_bin, &len, &seen, why, sizeof why) != 0) {
            printf("ERROR %d %s\n", HAL_EINVAL, why);
            failed++;
        } else {
            note_seen(lineno, &seen);
            struct exi_reader r;
            exi_reader_init(&r, s_bin, len);
            int rc = c->decode(&r, s_doc);
            if (rc != HAL_OK) {
                print_error(rc, r.error, r.bit);
                failed++;
            } else {
                struct v2gc_buf b = {0};
                if (v2gc_xml_print(&b, c->meta, s_doc) != 0) {
                    printf("ERROR %d value cannot be printed\n", HAL_EINVAL);
                    failed++;
                } else {
                    printf("%s\n", b.p);
                }
                v2gc_buf_free(&b);
            }
        }
        free(line);
    }
    return verdict(lines, failed);
}

static int cmd_encode(const struct exi_codec *c)
{
    char *line;
    char err[256];
    unsigned long lines = 0, failed = 0;
    while ((line = read_line(stdin)) != NULL) {
        if (line[0] == '\0') {
            free(line);
            continue;
        }
        lines++;
        if (v2gc_xml_parse(line, c->meta, s_doc, err, sizeof err) != 0) {
            printf("ERROR %d %s\n", HAL_EINVAL, err);
            failed++;
        } else {
            struct exi_writer w;
            exi_writer_init(&w, s_out, sizeof s_out);
            int rc = c->encode(&w, s_doc);
            if (rc != HAL_OK) {
                print_error(rc, w.error, w.bit);
                failed++;
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
    return verdict(lines, failed);
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
    struct v2gc_hex_seen seen;
    char why[96];
    if (hex_to_bin(hex, s_bin, sizeof s_bin, &len, &seen, why, sizeof why) != 0) {
        fprintf(stderr, "v2g-codec: HEX: %s\n", why);
        return 2;
    }
    if (n <= 0) {
        fprintf(stderr, "v2g-codec: N must be a positive count\n");
        return 2;
    }
    note_seen(1, &seen);
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

static void usage_text(FILE *to)
{
    fprintf(to, "usage: v2g-codec decode|encode SCHEMA  |  v2g-codec bench SCHEMA HEX N\n"
                "SCHEMA: appHand din iso2 iso20 iso20_dc iso20_ac\n"
                "  decode  one hex EXI message per line on stdin -> one XML line (or ERROR ...) each;\n"
                "          bytes may be separated by spaces, tabs or colons and carry a 0x prefix;\n"
                "          a leading V2GTP header (01 FE ...) is checked and stripped; what was\n"
                "          removed is said on stderr\n"
                "  encode  one XML document per line on stdin -> one hex line (or ERROR ...) each\n"
                "  bench   ns per decode and per encode of HEX, N times\n"
                "Exit status: 0 every line converted, 1 some line failed (count on stderr), 2 usage.\n");
}

static int usage(void)
{
    usage_text(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_text(stdout);
        return 0;
    }
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
