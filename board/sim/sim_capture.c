/* sim_capture.c - owns the simulator's output files of one connector (struct sim_capture):
 * the pcapng of everything the in-memory link carries (HomePlug/SLAC frames as sent, SDP as
 * IPv6/UDP, each TCP connection with its handshake, stream and FIN or RST, synthesised from
 * what sim_net saw), and the time series (csv). Also the output directories.
 *
 * One Ethernet interface, not one per layer: on a real charger every layer crosses the same
 * PLC modem interface, so a capture taken there and this one look alike to Wireshark and to
 * v2g-replay / v2g-decode, and one timeline keeps SLAC, SDP and TCP in their true order. */
#include "sim_capture.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static void sim_put16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}
static void sim_put32(uint8_t *b, uint32_t v)
{
    sim_put16(b, v >> 16);
    sim_put16(b + 2, v & 0xFFFFu);
}

/* One packet at epoch + simulated time; the direction is the charger's view (side 0 sends:
 * outbound). Packets within one simulated ms get successive microseconds so their order
 * survives in any reader. */
static void sim_ng_packet(struct sim_capture *x, int side, const uint8_t *pkt, size_t len)
{
    uint64_t t = x->epoch_us + (uint64_t)*x->now_ms * 1000u;
    if (t <= x->last_us) {
        t = x->last_us + 1u;
    }
    x->last_us = t;
    linux_pcapng_packet(&x->ng, t, side == 0 ? LINUX_PCAPNG_DIR_OUT : LINUX_PCAPNG_DIR_IN, pkt, len);
}

/* ---- Ethernet / IPv6 / UDP / TCP from what the link saw */

#define SIM_CAP_SEG 1400u /* bytes of stream per TCP segment (a modem's MTU is 1500) */

/* An IPv6 packet from @p side to @p dst_ip, with the upper-layer header @p l4 (its
 * checksum field at @p csum_at is filled) and @p data. */
static void sim_ip6(struct sim_capture *x, int side, const uint8_t *dst_ip, uint8_t proto, uint8_t *l4,
                    size_t l4len, size_t csum_at, const uint8_t *data, size_t len)
{
    uint8_t pkt[14 + 40 + 20 + SIM_CAP_SEG];
    const struct sim_net_end *src = &x->link->end[side], *dst = &x->link->end[1 - side];
    if (len > SIM_CAP_SEG) {
        return;
    }
    if (dst_ip[0] == 0xff) {
        /* IPv6 multicast MAC 33:33 + the address's last four bytes */
        const uint8_t mc[6] = {0x33, 0x33, dst_ip[12], dst_ip[13], dst_ip[14], dst_ip[15]};
        memcpy(pkt, mc, 6);
    } else {
        memcpy(pkt, dst->mac, 6);
    }
    memcpy(pkt + 6, src->mac, 6);
    sim_put16(pkt + 12, 0x86DD);
    uint8_t *ip = pkt + 14;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    sim_put16(ip + 4, (uint32_t)(l4len + len));
    ip[6] = proto;
    ip[7] = proto == 17 ? 255 : 64; /* link-local UDP (SDP) goes with hop limit 255 */
    memcpy(ip + 8, src->ip, 16);
    memcpy(ip + 24, dst_ip, 16);
    uint8_t *l = ip + 40;
    memcpy(l, l4, l4len);
    if (len > 0) {
        memcpy(l + l4len, data, len);
    }
    l[csum_at] = l[csum_at + 1] = 0;
    uint32_t sum = 0;
    for (int i = 0; i < 32; i += 2) {
        sum += (uint32_t)ip[8 + i] << 8 | ip[9 + i];
    }
    size_t tl = l4len + len;
    sum += (uint32_t)tl + proto;
    for (size_t i = 0; i + 1 < tl; i += 2) {
        sum += (uint32_t)l[i] << 8 | l[i + 1];
    }
    if (tl & 1u) {
        sum += (uint32_t)l[tl - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    sum = ~sum & 0xFFFFu;
    sim_put16(l + csum_at, sum != 0 ? sum : 0xFFFFu);
    sim_ng_packet(x, side, pkt, 14 + 40 + tl);
}

enum { SIM_FIN = 0x01, SIM_SYN = 0x02, SIM_RST = 0x04, SIM_PSH = 0x08, SIM_ACK = 0x10 };

static void sim_tcp(struct sim_capture *x, struct sim_capture_conn *c, int side, uint8_t flags, uint32_t seq,
                    uint32_t ack, const uint8_t *data, size_t len)
{
    uint8_t h[20] = {0};
    sim_put16(h, c->port[side]);
    sim_put16(h + 2, c->port[1 - side]);
    sim_put32(h + 4, seq);
    sim_put32(h + 8, (flags & SIM_ACK) ? ack : 0u);
    h[12] = 0x50;
    h[13] = flags;
    sim_put16(h + 14, 65535u);
    sim_ip6(x, side, x->link->end[1 - side].ip, 6, h, sizeof h, 16, data, len);
}

static struct sim_capture_conn *sim_conn(struct sim_capture *x, uint32_t conn)
{
    for (int i = 0; conn != 0 && i < SIM_CAPTURE_CONNS; i++) {
        if (x->c[i].conn == conn) {
            return &x->c[i];
        }
    }
    return NULL;
}

/* A new connection's slot (the oldest is dropped when all are busy: its packets stop). */
static struct sim_capture_conn *sim_conn_new(struct sim_capture *x, const struct sim_net_event *ev)
{
    struct sim_capture_conn *c = &x->c[0];
    for (int i = 0; i < SIM_CAPTURE_CONNS; i++) {
        if (x->c[i].conn == 0) {
            c = &x->c[i];
            break;
        }
        if (x->c[i].conn < c->conn) {
            c = &x->c[i];
        }
    }
    memset(c, 0, sizeof *c);
    c->conn = ev->conn;
    c->port[ev->side] = ev->sport;
    c->port[1 - ev->side] = ev->dport;
    /* Deterministic initial sequence numbers, different per side and connection. */
    c->seq[ev->side] = 0x10000000u + ev->conn * 0x00100000u;
    c->seq[1 - ev->side] = 0x70000000u + ev->conn * 0x00100000u;
    return c;
}

void sim_capture_event(void *ctx, const struct sim_net_event *ev)
{
    struct sim_capture *x = ctx;
    if (x->ng.f == NULL) {
        return;
    }
    int s = ev->side, o = 1 - ev->side;
    struct sim_capture_conn *c = NULL;
    if ((unsigned)ev->what < sizeof x->packets / sizeof x->packets[0]) {
        x->packets[ev->what]++;
    }
    switch (ev->what) {
    case SIM_NET_FRAME:
        sim_ng_packet(x, s, ev->data, ev->len);
        break;
    case SIM_NET_UDP: {
        uint8_t h[8];
        sim_put16(h, ev->sport);
        sim_put16(h + 2, ev->dport);
        sim_put16(h + 4, (uint32_t)(8u + ev->len));
        sim_put16(h + 6, 0);
        sim_ip6(x, s, ev->dst_ip, 17, h, sizeof h, 6, ev->data, ev->len);
        break;
    }
    case SIM_NET_TCP_OPEN:
        c = sim_conn_new(x, ev);
        sim_tcp(x, c, s, SIM_SYN, c->seq[s], 0, NULL, 0);
        sim_tcp(x, c, o, SIM_SYN | SIM_ACK, c->seq[o], c->seq[s] + 1u, NULL, 0);
        c->seq[s]++;
        c->seq[o]++;
        sim_tcp(x, c, s, SIM_ACK, c->seq[s], c->seq[o], NULL, 0);
        break;
    case SIM_NET_TCP_REFUSED:
        c = sim_conn_new(x, ev);
        sim_tcp(x, c, s, SIM_SYN, c->seq[s], 0, NULL, 0);
        sim_tcp(x, c, o, SIM_RST | SIM_ACK, 0, c->seq[s] + 1u, NULL, 0);
        c->conn = 0;
        break;
    case SIM_NET_TCP_DATA:
        c = sim_conn(x, ev->conn);
        for (size_t at = 0; c != NULL && !c->fin[s] && at < ev->len; at += SIM_CAP_SEG) {
            size_t n = ev->len - at < SIM_CAP_SEG ? ev->len - at : SIM_CAP_SEG;
            sim_tcp(x, c, s, SIM_PSH | SIM_ACK, c->seq[s], c->seq[o], ev->data + at, n);
            c->seq[s] += (uint32_t)n;
        }
        break;
    case SIM_NET_TCP_CLOSE:
        c = sim_conn(x, ev->conn);
        if (c == NULL || c->fin[s]) {
            break;
        }
        sim_tcp(x, c, s, SIM_FIN | SIM_ACK, c->seq[s], c->seq[o], NULL, 0);
        c->seq[s]++;
        c->fin[s] = true;
        sim_tcp(x, c, o, SIM_ACK, c->seq[o], c->seq[s], NULL, 0);
        if (c->fin[o]) {
            c->conn = 0; /* both FINs sent and acknowledged: over */
        }
        break;
    case SIM_NET_TCP_RESET:
        c = sim_conn(x, ev->conn);
        if (c != NULL) {
            sim_tcp(x, c, s, SIM_RST | SIM_ACK, c->seq[s], c->seq[o], NULL, 0);
            c->conn = 0;
        }
        break;
    }
}

static FILE *sim_open_out(const char *dir, const char *name, const char *ext)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "sim: cannot write %s: %s\n", path, strerror(errno));
    }
    return f;
}

int sim_capture_open(struct sim_capture *cap, const char *dir, const char *name, struct sim_net *link,
                     const uint32_t *now_ms, unsigned long epoch_s)
{
    memset(cap, 0, sizeof *cap);
    cap->link = link;
    cap->now_ms = now_ms;
    cap->epoch_us = (uint64_t)epoch_s * 1000000u;
    char path[512], comment[200], ifname[32];
    snprintf(path, sizeof path, "%s/%s.pcapng", dir, name);
    snprintf(comment, sizeof comment,
             "charger simulator %s: the in-memory PLC link (SLAC, SDP, TCP, V2GTP) as one Ethernet "
             "segment; time = epoch %lu (--epoch) + simulated time",
             name, epoch_s);
    snprintf(ifname, sizeof ifname, "sim-plc-%s", name);
    if (linux_pcapng_open(&cap->ng, path, comment, ifname, "simulated HomePlug Green PHY link, charger <-> car") != 0) {
        fprintf(stderr, "sim: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    cap->csv = sim_open_out(dir, name, "csv");
    if (cap->csv == NULL) {
        return -1; /* sim_open_out said which file and why */
    }
    link->watch = sim_capture_event;
    link->watch_ctx = cap;
    fprintf(cap->csv, "t_s,state,voltage_v,current_a,set_voltage_v,set_current_a,power_kw,soc_pct,kind,"
                      "ev_target_v,ev_target_a,evse_max_v,evse_max_a,evse_max_kw,pilot,duty_pct,contactors,lock,"
                      "energy_wh\n");
    return 0;
}

void sim_capture_row(struct sim_capture *cap, const char *fmt, ...)
{
    if (cap->csv == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(cap->csv, fmt, ap);
    va_end(ap);
}

void sim_capture_close(struct sim_capture *cap)
{
    if (cap->link != NULL && cap->link->watch_ctx == cap) {
        cap->link->watch = NULL;
    }
    if (linux_pcapng_close(&cap->ng) != 0) {
        fprintf(stderr, "sim: the capture file could not be written completely\n");
    }
    if (cap->csv != NULL) {
        fclose(cap->csv);
        cap->csv = NULL;
    }
}

/* An option naming a directory that cannot be made is an error the user must see, not a
 * run without the files they asked for. */
int sim_make_dirs(const char *opt, const char *dir)
{
    char path[512];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        fprintf(stderr, "sim: %s: directory name empty or too long\n", opt);
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char keep = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "sim: %s %s: cannot create %s: %s\n", opt, dir, path, strerror(errno));
            return -1;
        }
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "sim: %s %s: %s exists and is not a directory\n", opt, dir, path);
            return -1;
        }
        path[i] = keep;
    }
    return 0;
}
