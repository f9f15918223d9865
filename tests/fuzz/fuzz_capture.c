/**
 * @file fuzz_capture.c
 * @brief libFuzzer harness for v2g-decode's input path: the pcap/pcapng reader, link and
 *        IP parsing, TCP reassembly (out of order, retransmitted, lost), V2GTP framing,
 *        and the TLS record layer (handshake parsing, key lookup, record decryption).
 *
 * The key log holds secrets for an all-zero client random, so an input with such a
 * ClientHello reaches the decryption code. Checked: no sanitizer finding, every message
 * handed out lies inside what the reader said it holds.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/v2g-decode/v2gd_tls.h"
#include "../../tools/v2g-replay/v2g_pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    struct v2gd_keylog keys;
    struct v2gd_tls tls[4];
    unsigned long sum;
};

static void touch(struct fz *z, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        z->sum += p[i]; /* ASan checks every byte handed out is readable */
    }
}

static int on_msg(void *ctx, const struct v2g_pcap_msg *m)
{
    touch(ctx, m->payload, m->len);
    return 0;
}

static int on_l2(void *ctx, const struct v2g_pcap_l2 *f)
{
    touch(ctx, f->payload, f->len);
    return 0;
}

static int on_udp(void *ctx, const struct v2g_pcap_udp *u)
{
    struct fz *z = ctx;
    touch(z, u->payload, u->len);
    if (v2gd_keylog_looks_like(u->payload, u->len)) {
        return v2gd_keylog_add(&z->keys, (const char *)u->payload, u->len) < 0;
    }
    return 0;
}

static int on_plain(void *ctx, bool from_client, const uint8_t *p, size_t n)
{
    (void)from_client;
    touch(ctx, p, n);
    return 0;
}

static int on_tls(void *ctx, const struct v2g_pcap_stream *s)
{
    struct fz *z = ctx;
    char err[160];
    (void)v2gd_tls_feed(&z->tls[s->conn % 4u], &z->keys, s->ev_to_evse, s->data, s->len, on_plain, z, err,
                        sizeof err);
    return 0;
}

static int on_secrets(void *ctx, uint32_t type, const uint8_t *d, size_t n)
{
    struct fz *z = ctx;
    touch(z, d, n);
    return type == 0x544c534bu && v2gd_keylog_add(&z->keys, (const char *)d, n) < 0;
}

static int on_note(void *ctx, unsigned long frame, double t, const char *what)
{
    (void)ctx;
    (void)frame;
    (void)t;
    return what[0] == '\0'; /* never empty */
}

static const char zero_keys[] =
    "CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000000 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET 0000000000000000000000000000000000000000000000000000000000000000 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET 0000000000000000000000000000000000000000000000000000000000000000 "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct v2g_pcap_hooks hooks = {
        .l2 = on_l2, .udp = on_udp, .tls = on_tls, .secrets = on_secrets, .note = on_note, .reorder = true,
    };
    if (size == 0) {
        return 0;
    }
    FILE *in = fmemopen((void *)(uintptr_t)data, size, "rb");
    if (in == NULL) {
        return 0;
    }
    static struct fz z;
    memset(&z, 0, sizeof z);
    if (v2gd_keylog_add(&z.keys, zero_keys, sizeof zero_keys - 1) != 3) {
        abort();
    }
    struct v2g_pcap_stats st;
    char err[200];
    int rc = v2g_pcap_read_hooks(in, on_msg, &hooks, &z, &st, err, sizeof err);
    if (rc < 0 && err[0] == '\0') {
        abort(); /* a refused capture always says why */
    }
    fclose(in);
    for (int i = 0; i < 4; i++) {
        v2gd_tls_free(&z.tls[i]);
    }
    v2gd_keylog_free(&z.keys);
    return 0;
}
