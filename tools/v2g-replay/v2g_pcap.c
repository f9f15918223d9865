/**
 * @file v2g_pcap.c
 * @brief pcap/pcapng reader, TCP reassembly and V2GTP framing for v2g-replay.
 *
 * Every length in the capture is hostile: block and record lengths are checked against
 * what is left of the file before anything is read, packet offsets against the captured
 * length, and a V2GTP length against a cap, so a damaged file ends in an error message.
 */
#include "v2g_pcap.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define V2G_PCAP_MAX_BLOCK (16u * 1024u * 1024u) /* larger blocks mean a damaged file */
#define V2G_PCAP_MAX_V2GTP (1u * 1024u * 1024u)  /* no V2G message comes near this */
#define V2G_PCAP_MAX_IFACES 64u
#define V2G_PCAP_MAX_HELD 32u /* out-of-order segments held per direction (hooks.reorder) */

enum v2g_pcap_kind { V2G_PCAP_UNKNOWN, V2G_PCAP_V2GTP, V2G_PCAP_TLS, V2G_PCAP_JUNK };

/* A segment that arrived before the bytes in front of it (hooks.reorder). */
struct v2g_pcap_held {
    unsigned long frame;
    double t;
    uint32_t seq;
    uint8_t *data;
    size_t len;
};

struct v2g_pcap_half {
    struct v2g_pcap_held held[V2G_PCAP_MAX_HELD];
    unsigned nheld;
    bool have_next;
    uint32_t next;       /* next expected sequence number */
    enum v2g_pcap_kind kind;
    uint8_t *buf;
    size_t len, cap;
};

struct v2g_pcap_conn {
    uint8_t addr[2][16];
    uint16_t port[2];
    int client;          /* index of the side that opened it (the EV), -1 unknown */
    bool closed;         /* a FIN or RST was seen: a new SYN starts a new connection */
    unsigned id;
    struct v2g_pcap_half half[2];
};

struct v2g_pcap_reader {
    FILE *in;
    v2g_pcap_fn fn;
    const struct v2g_pcap_hooks *hk;
    void *ctx;
    struct v2g_pcap_stats *st;
    char *err;
    size_t errcap;
    struct v2g_pcap_conn *conns;
    size_t nconns, capconns;
    /* pcapng: per interface of the current section */
    uint16_t linktype[V2G_PCAP_MAX_IFACES];
    double tsunit[V2G_PCAP_MAX_IFACES];
    unsigned nifaces;
    bool swapped;
};

static int fail(struct v2g_pcap_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errcap, fmt, ap);
    va_end(ap);
    return -1;
}

static uint16_t rd16(const uint8_t *p, bool swapped)
{
    if (swapped) {
        return (uint16_t)(p[0] << 8 | p[1]);
    }
    return (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const uint8_t *p, bool swapped)
{
    return swapped ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int note(struct v2g_pcap_reader *r, unsigned long frame, double t, const char *fmt, ...)
{
    if (r->hk == NULL || r->hk->note == NULL) {
        return 0;
    }
    char text[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return r->hk->note(r->ctx, frame, t, text);
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool v2g_pcap_is_capture(const uint8_t m[4])
{
    static const uint8_t magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap, microseconds */
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap, nanoseconds */
        {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng section header */
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        if (memcmp(m, magics[i], 4) == 0) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ TCP and V2GTP */

static struct v2g_pcap_conn *conn_find(struct v2g_pcap_reader *r, const uint8_t *src, uint16_t sport,
                                       const uint8_t *dst, uint16_t dport, bool syn_only, int *side)
{
    /* Newest first: a reused 4-tuple belongs to the latest connection. */
    for (size_t i = r->nconns; i-- > 0;) {
        struct v2g_pcap_conn *c = &r->conns[i];
        for (int s = 0; s < 2; s++) {
            if (c->port[s] == sport && c->port[!s] == dport && memcmp(c->addr[s], src, 16) == 0 &&
                memcmp(c->addr[!s], dst, 16) == 0) {
                if (syn_only && c->closed) {
                    goto fresh; /* the old connection is over: this SYN opens a new one */
                }
                *side = s;
                return c;
            }
        }
    }
fresh:
    if (r->nconns == r->capconns) {
        size_t cap = r->capconns ? r->capconns * 2 : 16;
        struct v2g_pcap_conn *n = realloc(r->conns, cap * sizeof *n);
        if (n == NULL) {
            return NULL;
        }
        r->conns = n;
        r->capconns = cap;
    }
    struct v2g_pcap_conn *c = &r->conns[r->nconns++];
    memset(c, 0, sizeof *c);
    memcpy(c->addr[0], src, 16);
    memcpy(c->addr[1], dst, 16);
    c->port[0] = sport;
    c->port[1] = dport;
    c->client = -1;
    c->id = r->st->connections++;
    *side = 0;
    return c;
}

static int half_append(struct v2g_pcap_half *h, const uint8_t *p, size_t n)
{
    if (h->len + n > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n) {
            cap *= 2;
        }
        uint8_t *b = realloc(h->buf, cap);
        if (b == NULL) {
            return -1;
        }
        h->buf = b;
        h->cap = cap;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    return 0;
}

/* Cut complete V2GTP messages off the front of a half-stream's buffer. */
static int half_drain(struct v2g_pcap_reader *r, struct v2g_pcap_conn *c, int side, unsigned long frame, double t)
{
    struct v2g_pcap_half *h = &c->half[side];
    size_t off = 0;
    int rc = 0;
    while (h->kind != V2G_PCAP_TLS && h->kind != V2G_PCAP_JUNK && h->len - off >= 8) {
        const uint8_t *p = h->buf + off;
        uint32_t plen = be32(p + 4);
        if (p[0] != 0x01 || p[1] != 0xFE || plen > V2G_PCAP_MAX_V2GTP) {
            if (h->kind == V2G_PCAP_UNKNOWN) {
                /* A TLS record starts with a content type 20..23 and version 3.x. */
                bool tls = p[0] >= 20 && p[0] <= 23 && p[1] == 3;
                h->kind = tls ? V2G_PCAP_TLS : V2G_PCAP_JUNK;
                if (tls) {
                    r->st->tls_streams++;
                    r->st->tls_ev_streams += c->client < 0 || c->client == side;
                } else {
                    r->st->junk_streams++;
                }
                break;
            }
            /* Lost framing after a hole: skip to the next header. */
            off++;
            r->st->junk_bytes++;
            continue;
        }
        if (h->len - off < 8u + plen) {
            break;
        }
        h->kind = V2G_PCAP_V2GTP;
        if (c->client < 0) {
            c->client = side; /* no SYN seen: the car speaks first in V2G */
        }
        struct v2g_pcap_msg m = {
            .frame = frame, .t = t, .conn = c->id, .ev_to_evse = c->client == side,
            .payload_type = be16(p + 2), .payload = p + 8, .len = plen,
        };
        off += 8u + plen;
        rc = r->fn(r->ctx, &m);
        if (rc != 0) {
            break;
        }
    }
    if (h->kind == V2G_PCAP_TLS && rc == 0 && r->hk != NULL && r->hk->tls != NULL) {
        if (c->client < 0) {
            c->client = side; /* the client speaks first in TLS too */
        }
        struct v2g_pcap_stream s = {
            .frame = frame, .t = t, .conn = c->id, .ev_to_evse = c->client == side,
            .data = h->buf + off, .len = h->len - off,
        };
        rc = r->hk->tls(r->ctx, &s);
        off = h->len;
    } else if (h->kind == V2G_PCAP_TLS || h->kind == V2G_PCAP_JUNK) {
        r->st->junk_bytes += h->len - off;
        off = h->len;
    }
    memmove(h->buf, h->buf + off, h->len - off);
    h->len -= off;
    return rc;
}

static void held_drop(struct v2g_pcap_half *h, unsigned i)
{
    free(h->held[i].data);
    h->held[i] = h->held[--h->nheld];
}

/* Put held segments that now fit at the end of the stream into it. */
static int held_apply(struct v2g_pcap_reader *r, struct v2g_pcap_conn *c, int side, unsigned long frame, double t)
{
    struct v2g_pcap_half *h = &c->half[side];
    bool progress = true;
    while (progress) {
        progress = false;
        for (unsigned i = 0; i < h->nheld; i++) {
            struct v2g_pcap_held *g = &h->held[i];
            int32_t ahead = (int32_t)(g->seq - h->next);
            if (ahead > 0) {
                continue;
            }
            size_t seen = (size_t)(-(int64_t)ahead);
            unsigned long g_frame = g->frame;
            double g_t = g->t;
            if (seen < g->len) {
                if (half_append(h, g->data + seen, g->len - seen) != 0) {
                    return fail(r, "out of memory");
                }
                h->next += (uint32_t)(g->len - seen);
                r->st->reordered++;
            } else {
                r->st->retransmitted++;
            }
            held_drop(h, i);
            progress = true;
            /* Completed now, or (at a flush) when the held segment itself came. */
            int rc = half_drain(r, c, side, frame > g_frame ? frame : g_frame, t > g_t ? t : g_t);
            if (rc != 0) {
                return rc;
            }
            break;
        }
    }
    return 0;
}

/* The hole before the held segments will not fill: report it and go on from the first. */
static int held_flush(struct v2g_pcap_reader *r, struct v2g_pcap_conn *c, int side, unsigned long frame, double t)
{
    struct v2g_pcap_half *h = &c->half[side];
    while (h->nheld > 0) {
        unsigned first = 0;
        for (unsigned i = 1; i < h->nheld; i++) {
            if ((int32_t)(h->held[i].seq - h->held[first].seq) < 0) {
                first = i;
            }
        }
        int32_t ahead = (int32_t)(h->held[first].seq - h->next);
        if (ahead > 0) {
            r->st->gaps++;
            r->st->junk_bytes += h->len;
            int rc = note(r, frame, t, "TCP gap: %ld bytes missing in connection %u (%s)", (long)ahead, c->id,
                          c->client == side ? "EV->EVSE" : c->client < 0 ? "?" : "EVSE->EV");
            if (rc != 0) {
                return rc;
            }
            h->len = 0;
            h->next = h->held[first].seq;
        }
        int rc = held_apply(r, c, side, frame, t);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int on_tcp(struct v2g_pcap_reader *r, const uint8_t *src, const uint8_t *dst, const uint8_t *seg, size_t n,
                  unsigned long frame, double t)
{
    if (n < 20) {
        r->st->not_tcp++;
        return 0;
    }
    size_t hl = (size_t)(seg[12] >> 4) * 4u;
    if (hl < 20 || hl > n) {
        r->st->not_tcp++;
        return 0;
    }
    uint8_t flags = seg[13];
    bool syn = (flags & 0x02) != 0, ack = (flags & 0x10) != 0, fin = (flags & 0x01) != 0, rst = (flags & 0x04) != 0;
    int side = 0;
    struct v2g_pcap_conn *c = conn_find(r, src, be16(seg), dst, be16(seg + 2), syn && !ack, &side);
    if (c == NULL) {
        return fail(r, "out of memory");
    }
    struct v2g_pcap_half *h = &c->half[side];
    uint32_t seq = be32(seg + 4);
    struct v2g_pcap_half *o = &c->half[!side];
    if (ack && o->nheld > 0 && o->have_next && (int32_t)(be32(seg + 8) - o->next) > 0) {
        /* The peer acknowledges bytes the capture never had: the hole is a capture loss. */
        int rc = held_flush(r, c, !side, frame, t);
        if (rc != 0) {
            return rc;
        }
    }
    if (syn) {
        if (!ack) {
            c->client = side;
        }
        h->have_next = true;
        h->next = seq + 1u;
        h->len = 0;
    }
    if (fin || rst) {
        c->closed = true;
    }
    const uint8_t *data = seg + hl;
    size_t len = n - hl;
    if (len == 0) {
        return 0;
    }
    if (!h->have_next) {
        h->have_next = true; /* capture started mid-connection */
        h->next = seq;
    }
    int32_t ahead = (int32_t)(seq - h->next); /* wrap-safe: >0 hole, <0 already seen */
    if (ahead > 0 && r->hk != NULL && r->hk->reorder) {
        if (h->nheld < V2G_PCAP_MAX_HELD) {
            uint8_t *copy = malloc(len);
            if (copy == NULL) {
                return fail(r, "out of memory");
            }
            memcpy(copy, data, len);
            h->held[h->nheld++] = (struct v2g_pcap_held){.frame = frame, .t = t, .seq = seq, .data = copy, .len = len};
            return 0;
        }
        /* Too much held back: the hole is real. Resume at the first held segment. */
        int rc = held_flush(r, c, side, frame, t);
        if (rc != 0) {
            return rc;
        }
        ahead = (int32_t)(seq - h->next);
    }
    if (ahead > 0) {
        r->st->gaps++;
        r->st->junk_bytes += h->len;
        int rc = note(r, frame, t, "TCP gap: %ld bytes missing in connection %u (%s)", (long)ahead, c->id,
                      c->client == side ? "EV->EVSE" : c->client < 0 ? "?" : "EVSE->EV");
        if (rc != 0) {
            return rc;
        }
        h->len = 0;
        h->next = seq; /* a V2GTP stream stays one: the drain resynchronises on a header */
    } else if (ahead < 0) {
        size_t seen = (size_t)(-(int64_t)ahead);
        if (seen >= len) {
            r->st->retransmitted++;
            return 0;
        }
        data += seen;
        len -= seen;
    }
    if (half_append(h, data, len) != 0) {
        return fail(r, "out of memory");
    }
    h->next += (uint32_t)len;
    int rc = half_drain(r, c, side, frame, t);
    if (rc == 0 && h->nheld > 0) {
        rc = held_apply(r, c, side, frame, t);
    }
    return rc;
}

static int on_udp(struct v2g_pcap_reader *r, const uint8_t *src, const uint8_t *dst, const uint8_t *d, size_t n,
                  unsigned long frame, double t)
{
    r->st->not_tcp++;
    if (r->hk == NULL || r->hk->udp == NULL) {
        return 0;
    }
    if (n < 8) {
        return note(r, frame, t, "UDP datagram shorter than its header");
    }
    size_t ulen = be16(d + 4);
    if (ulen < 8 || ulen > n) {
        return note(r, frame, t, "UDP length %zu does not fit the %zu bytes captured", ulen, n);
    }
    struct v2g_pcap_udp u = {.frame = frame, .t = t, .sport = be16(d), .dport = be16(d + 2),
                             .payload = d + 8, .len = ulen - 8u};
    memcpy(u.src, src, 16);
    memcpy(u.dst, dst, 16);
    return r->hk->udp(r->ctx, &u);
}

/* One link-layer frame. */
static int on_frame(struct v2g_pcap_reader *r, uint16_t linktype, const uint8_t *p, size_t n, unsigned long frame,
                    double t)
{
    uint16_t ethertype = 0;
    size_t off = 0;
    bool vlan = false;
    uint8_t mac_dst[6] = {0}, mac_src[6] = {0};
    switch (linktype) {
    case 1: /* Ethernet */
        if (n < 14) {
            r->st->not_tcp++;
            return 0;
        }
        ethertype = be16(p + 12);
        memcpy(mac_dst, p, 6);
        memcpy(mac_src, p + 6, 6);
        off = 14;
        while ((ethertype == 0x8100 || ethertype == 0x88A8) && n >= off + 4) {
            ethertype = be16(p + off + 2);
            off += 4;
            vlan = true;
        }
        break;
    case 113: /* Linux cooked capture v1 */
        if (n < 16) {
            r->st->not_tcp++;
            return 0;
        }
        ethertype = be16(p + 14);
        if (be16(p + 4) == 6) {
            memcpy(mac_src, p + 6, 6);
        }
        off = 16;
        break;
    case 276: /* Linux cooked capture v2 */
        if (n < 20) {
            r->st->not_tcp++;
            return 0;
        }
        ethertype = be16(p);
        off = 20;
        break;
    case 101: /* raw IP: the version nibble says which */
    case 228:
    case 229:
        if (n < 1) {
            return 0;
        }
        ethertype = (p[0] >> 4) == 6 ? 0x86DD : 0x0800;
        break;
    default:
        return fail(r, "link type %u is not supported (Ethernet, Linux SLL/SLL2 and raw IP are)", linktype);
    }
    p += off;
    n -= off;
    uint8_t src[16] = {0}, dst[16] = {0};
    if (ethertype == 0x86DD) {
        if (n < 40 || (p[0] >> 4) != 6) {
            r->st->not_tcp++;
            return 0;
        }
        size_t plen = be16(p + 4);
        if (plen + 40 < n) {
            n = plen + 40; /* drop Ethernet padding */
        }
        memcpy(src, p + 8, 16);
        memcpy(dst, p + 24, 16);
        uint8_t next = p[6];
        size_t h = 40;
        while (next == 0 || next == 43 || next == 60) {
            if (n < h + 8) {
                r->st->not_tcp++;
                return 0;
            }
            next = p[h];
            h += ((size_t)p[h + 1] + 1u) * 8u;
        }
        if (next == 44) {
            r->st->fragments++;
            return 0;
        }
        if (next == 17 && h <= n) {
            return on_udp(r, src, dst, p + h, n - h, frame, t);
        }
        if (next != 6 || h > n) {
            r->st->not_tcp++;
            return 0;
        }
        return on_tcp(r, src, dst, p + h, n - h, frame, t);
    }
    if (ethertype == 0x0800) {
        if (n < 20 || (p[0] >> 4) != 4) {
            r->st->not_tcp++;
            return 0;
        }
        size_t ihl = (size_t)(p[0] & 0x0F) * 4u;
        size_t total = be16(p + 2);
        if (ihl < 20 || total < ihl || total > n) {
            r->st->not_tcp++;
            return 0;
        }
        n = total;
        if ((be16(p + 6) & 0x3FFF) != 0) {
            r->st->fragments++;
            return 0;
        }
        if (p[9] != 6 && p[9] != 17) {
            r->st->not_tcp++;
            return 0;
        }
        /* IPv4-mapped addresses keep one key type for both families. */
        src[10] = src[11] = dst[10] = dst[11] = 0xFF;
        memcpy(src + 12, p + 12, 4);
        memcpy(dst + 12, p + 16, 4);
        if (p[9] == 17) {
            return on_udp(r, src, dst, p + ihl, n - ihl, frame, t);
        }
        return on_tcp(r, src, dst, p + ihl, n - ihl, frame, t);
    }
    r->st->not_tcp++;
    if (r->hk != NULL && r->hk->l2 != NULL) {
        struct v2g_pcap_l2 f = {.frame = frame, .t = t, .ethertype = ethertype, .vlan = vlan,
                                .payload = p, .len = n};
        memcpy(f.dst, mac_dst, 6);
        memcpy(f.src, mac_src, 6);
        return r->hk->l2(r->ctx, &f);
    }
    return 0;
}

/* ------------------------------------------------------------------ file formats */

static int read_exact(struct v2g_pcap_reader *r, void *dst, size_t n, bool *eof)
{
    size_t got = fread(dst, 1, n, r->in);
    if (got == n) {
        return 0;
    }
    if (got == 0 && eof != NULL && feof(r->in)) {
        *eof = true;
        return 0;
    }
    return fail(r, "truncated capture (%zu of %zu bytes of a record)", got, n);
}

static int read_pcap(struct v2g_pcap_reader *r, const uint8_t magic[4])
{
    uint8_t hdr[20];
    if (read_exact(r, hdr, sizeof hdr, NULL) != 0) {
        return -1;
    }
    bool swapped = magic[0] == 0xa1; /* big-endian file */
    bool nano = (magic[0] == 0x4d || magic[3] == 0x4d);
    uint32_t linktype = rd32(hdr + 16, swapped) & 0xFFFFu;
    uint8_t *buf = NULL;
    int rc = 0;
    for (;;) {
        uint8_t rec[16];
        bool eof = false;
        if (read_exact(r, rec, sizeof rec, &eof) != 0) {
            rc = -1;
            break;
        }
        if (eof) {
            break;
        }
        uint32_t caplen = rd32(rec + 8, swapped);
        if (caplen > V2G_PCAP_MAX_BLOCK) {
            rc = fail(r, "record %lu: captured length %u is not plausible", r->st->frames + 1, caplen);
            break;
        }
        uint8_t *nb = realloc(buf, caplen ? caplen : 1);
        if (nb == NULL) {
            rc = fail(r, "out of memory");
            break;
        }
        buf = nb;
        if (read_exact(r, buf, caplen, NULL) != 0) {
            rc = -1;
            break;
        }
        r->st->frames++;
        double t = (double)rd32(rec, swapped) + (double)rd32(rec + 4, swapped) * (nano ? 1e-9 : 1e-6);
        rc = on_frame(r, (uint16_t)linktype, buf, caplen, r->st->frames, t);
        if (rc != 0) {
            break;
        }
    }
    free(buf);
    return rc;
}

/* if_tsresol of an Interface Description Block's options. */
static double idb_tsunit(const uint8_t *opt, size_t n, bool swapped)
{
    double unit = 1e-6;
    size_t o = 0;
    while (o + 4 <= n) {
        uint16_t code = rd16(opt + o, swapped);
        uint16_t len = rd16(opt + o + 2, swapped);
        if (code == 0 || o + 4 + len > n) {
            break;
        }
        if (code == 9 && len >= 1) {
            uint8_t v = opt[o + 4];
            unit = 1.0;
            for (unsigned i = 0; i < (v & 0x7Fu); i++) {
                unit /= (v & 0x80) ? 2.0 : 10.0;
            }
        }
        o += 4u + ((len + 3u) & ~3u);
    }
    return unit;
}

static int read_pcapng(struct v2g_pcap_reader *r, const uint8_t first[4])
{
    uint8_t head[8];
    memcpy(head, first, 4);
    bool first_block = true;
    uint8_t *body = NULL;
    int rc = 0;
    for (;;) {
        if (!first_block) {
            bool eof = false;
            if (read_exact(r, head, 8, &eof) != 0) {
                rc = -1;
                break;
            }
            if (eof) {
                break;
            }
        } else if (read_exact(r, head + 4, 4, NULL) != 0) {
            rc = -1;
            break;
        }
        first_block = false;
        uint32_t type = rd32(head, r->swapped);
        if (type == 0x0A0D0D0Au) {
            /* A section header sets the byte order of everything up to the next one. */
            uint8_t bom[4];
            if (read_exact(r, bom, 4, NULL) != 0) {
                rc = -1;
                break;
            }
            if (bom[0] == 0x4D && bom[1] == 0x3C) {
                r->swapped = false;
            } else if (bom[0] == 0x1A && bom[1] == 0x2B) {
                r->swapped = true;
            } else {
                rc = fail(r, "pcapng section header with a bad byte-order magic");
                break;
            }
            r->nifaces = 0;
            uint32_t total = rd32(head + 4, r->swapped);
            if (total < 28 || total % 4 != 0 || total > V2G_PCAP_MAX_BLOCK) {
                rc = fail(r, "pcapng section header of length %u", total);
                break;
            }
            /* Skip the rest by reading, not seeking: the capture may come from a pipe. */
            uint8_t *nb = realloc(body, total - 12u);
            if (nb == NULL) {
                rc = fail(r, "out of memory");
                break;
            }
            body = nb;
            if (read_exact(r, body, total - 12u, NULL) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        uint32_t total = rd32(head + 4, r->swapped);
        if (total < 12 || total % 4 != 0 || total > V2G_PCAP_MAX_BLOCK) {
            rc = fail(r, "pcapng block of type 0x%x with length %u", type, total);
            break;
        }
        size_t n = total - 12u;
        uint8_t *nb = realloc(body, n + 4u);
        if (nb == NULL) {
            rc = fail(r, "out of memory");
            break;
        }
        body = nb;
        if (read_exact(r, body, n + 4u, NULL) != 0) { /* body and the trailing length */
            rc = -1;
            break;
        }
        if (rd32(body + n, r->swapped) != total) {
            rc = fail(r, "pcapng block of type 0x%x: trailing length differs", type);
            break;
        }
        if (type == 1) { /* Interface Description */
            if (n < 8) {
                rc = fail(r, "pcapng interface block too short");
                break;
            }
            if (r->nifaces < V2G_PCAP_MAX_IFACES) {
                r->linktype[r->nifaces] = rd16(body, r->swapped);
                r->tsunit[r->nifaces] = idb_tsunit(body + 8, n - 8, r->swapped);
            }
            r->nifaces++;
            continue;
        }
        uint32_t ifc = 0, caplen = 0;
        uint64_t ts = 0;
        const uint8_t *pkt = NULL;
        if (type == 6 || type == 2) { /* Enhanced Packet, obsolete Packet */
            if (n < 20) {
                rc = fail(r, "pcapng packet block too short");
                break;
            }
            ifc = type == 6 ? rd32(body, r->swapped) : rd16(body, r->swapped);
            ts = (uint64_t)rd32(body + 4, r->swapped) << 32 | rd32(body + 8, r->swapped);
            caplen = rd32(body + 12, r->swapped);
            pkt = body + 20;
            if (caplen > n - 20) {
                rc = fail(r, "pcapng packet block: captured length %u exceeds the block", caplen);
                break;
            }
        } else if (type == 3) { /* Simple Packet: interface 0, no time stamp */
            if (n < 4) {
                rc = fail(r, "pcapng simple packet block too short");
                break;
            }
            caplen = rd32(body, r->swapped);
            if (caplen > n - 4) {
                caplen = (uint32_t)(n - 4);
            }
            pkt = body + 4;
        } else if (type == 10) { /* Decryption Secrets: type, length, data */
            if (n < 8 || rd32(body + 4, r->swapped) > n - 8) {
                rc = fail(r, "pcapng decryption secrets block: length exceeds the block");
                break;
            }
            if (r->hk != NULL && r->hk->secrets != NULL) {
                rc = r->hk->secrets(r->ctx, rd32(body, r->swapped), body + 8, rd32(body + 4, r->swapped));
                if (rc != 0) {
                    break;
                }
            }
            continue;
        } else {
            /* Name resolution (4), statistics (5), custom (0xBAD, 0x40000BAD) and the
             * systemd journal (9) carry nothing to decode; anything else is unknown. */
            if (type != 4 && type != 5 && type != 9 && type != 0xBADu && type != 0x40000BADu) {
                r->st->unknown_blocks++;
                rc = note(r, r->st->frames, 0.0, "pcapng block of unknown type 0x%08x (%u bytes) skipped", type,
                          total);
                if (rc != 0) {
                    break;
                }
            }
            continue;
        }
        r->st->frames++;
        if (ifc >= r->nifaces || ifc >= V2G_PCAP_MAX_IFACES) {
            rc = fail(r, "frame %lu names interface %u, the section describes %u", r->st->frames, ifc, r->nifaces);
            break;
        }
        double t = (double)ts * r->tsunit[ifc];
        rc = on_frame(r, r->linktype[ifc], pkt, caplen, r->st->frames, t);
        if (rc != 0) {
            break;
        }
    }
    free(body);
    return rc;
}

static void reader_init(struct v2g_pcap_reader *r, v2g_pcap_fn fn, const struct v2g_pcap_hooks *hk, void *ctx,
                        struct v2g_pcap_stats *st, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    memset(st, 0, sizeof *st);
    r->fn = fn;
    r->hk = hk;
    r->ctx = ctx;
    r->st = st;
    r->err = err;
    r->errcap = errcap;
    err[0] = '\0';
}

/* What is still held back is lost: report it, then free every buffer. */
static int reader_finish(struct v2g_pcap_reader *r, int rc)
{
    for (size_t i = 0; i < r->nconns; i++) {
        for (int s = 0; s < 2; s++) {
            if (rc == 0 && r->conns[i].half[s].nheld > 0) {
                rc = held_flush(r, &r->conns[i], s, r->st->frames, 0.0);
            }
            while (r->conns[i].half[s].nheld > 0) {
                held_drop(&r->conns[i].half[s], 0);
            }
            free(r->conns[i].half[s].buf);
        }
    }
    free(r->conns);
    r->conns = NULL;
    r->nconns = 0;
    return rc;
}

int v2g_pcap_read_hooks(FILE *in, v2g_pcap_fn fn, const struct v2g_pcap_hooks *hk, void *ctx,
                        struct v2g_pcap_stats *st, char *err, size_t errcap)
{
    struct v2g_pcap_reader r;
    reader_init(&r, fn, hk, ctx, st, err, errcap);
    r.in = in;
    uint8_t magic[4];
    if (fread(magic, 1, 4, in) != 4 || !v2g_pcap_is_capture(magic)) {
        return reader_finish(&r, fail(&r, "not a pcap or pcapng file"));
    }
    int rc = magic[0] == 0x0a ? read_pcapng(&r, magic) : read_pcap(&r, magic);
    return reader_finish(&r, rc);
}

int v2g_pcap_read(FILE *in, v2g_pcap_fn fn, void *ctx, struct v2g_pcap_stats *st, char *err, size_t errcap)
{
    return v2g_pcap_read_hooks(in, fn, NULL, ctx, st, err, errcap);
}

struct v2g_pcap_reader *v2g_pcap_open(v2g_pcap_fn fn, const struct v2g_pcap_hooks *hk, void *ctx,
                                      struct v2g_pcap_stats *st, char *err, size_t errcap)
{
    struct v2g_pcap_reader *r = malloc(sizeof *r);
    if (r != NULL) {
        reader_init(r, fn, hk, ctx, st, err, errcap);
    }
    return r;
}

int v2g_pcap_frame(struct v2g_pcap_reader *r, uint16_t linktype, const uint8_t *p, size_t n, double t)
{
    r->st->frames++;
    return on_frame(r, linktype, p, n, r->st->frames, t);
}

void v2g_pcap_close(struct v2g_pcap_reader *r)
{
    if (r != NULL) {
        (void)reader_finish(r, 0);
        free(r);
    }
}
