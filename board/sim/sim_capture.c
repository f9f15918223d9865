/* sim_capture.c - owns the simulator's output files of one connector (struct sim_capture):
 * the V2GTP stream written as Ethernet/IPv6/TCP packets to a pcap that Wireshark's V2G
 * dissectors read, and the 1 s time series (csv). Also the output directories. */
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

/* Each chunk of the V2GTP stream as an Ethernet/IPv6/TCP packet (port 15118 on the
 * charger), so Wireshark's V2G dissectors read the capture. */
static void sim_tap(void *ctx, int side, const uint8_t *data, size_t len)
{
    struct sim_capture *x = ctx;
    if (x->pcap == NULL || len > 1400u) {
        return;
    }
    if (x->conn != x->link->connections) {
        /* A new V2GTP connection (an ISO-2 resume after a pause, the next car): its own
         * TCP stream (car port, sequence numbers), so a reader sees two connections. */
        x->conn = x->link->connections;
        x->seq[0] = x->seq[1] = 1u + x->conn * 0x01000000u;
    }
    uint16_t car_port = (uint16_t)(50000u + (x->conn % 10000u));
    uint8_t pkt[14 + 40 + 20 + 1400];
    const struct sim_net_end *src = &x->link->end[side], *dst = &x->link->end[1 - side];
    memset(pkt, 0, 14 + 40 + 20);
    memcpy(pkt, dst->mac, 6);
    memcpy(pkt + 6, src->mac, 6);
    sim_put16(pkt + 12, 0x86DD);
    uint8_t *ip = pkt + 14;
    ip[0] = 0x60;
    sim_put16(ip + 4, (uint32_t)(20 + len));
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, src->ip, 16);
    memcpy(ip + 24, dst->ip, 16);
    uint8_t *tcp = ip + 40;
    sim_put16(tcp, side == 0 ? 15118u : car_port);
    sim_put16(tcp + 2, side == 0 ? car_port : 15118u);
    sim_put32(tcp + 4, x->seq[side]);
    sim_put32(tcp + 8, x->seq[1 - side]);
    tcp[12] = 0x50;
    tcp[13] = 0x18; /* PSH, ACK */
    sim_put16(tcp + 14, 65535u);
    memcpy(tcp + 20, data, len);
    /* TCP checksum over the IPv6 pseudo-header. */
    uint32_t sum = 0;
    for (int i = 0; i < 32; i += 2) {
        sum += (uint32_t)ip[8 + i] << 8 | ip[9 + i];
    }
    sum += (uint32_t)(20 + len) + 6u;
    size_t tl = 20 + len;
    for (size_t i = 0; i + 1 < tl; i += 2) {
        sum += (uint32_t)tcp[i] << 8 | tcp[i + 1];
    }
    if (tl & 1u) {
        sum += (uint32_t)tcp[tl - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    sim_put16(tcp + 16, ~sum & 0xFFFFu);
    x->seq[side] += (uint32_t)len;
    uint32_t t = *x->now_ms;
    uint32_t total = (uint32_t)(14 + 40 + tl);
    uint32_t hdr[4] = {t / 1000u, (t % 1000u) * 1000u, total, total};
    fwrite(hdr, sizeof hdr, 1, x->pcap);
    fwrite(pkt, 1, total, x->pcap);
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
                     const uint32_t *now_ms)
{
    cap->link = link;
    cap->now_ms = now_ms;
    cap->pcap = sim_open_out(dir, name, "pcap");
    cap->csv = sim_open_out(dir, name, "csv");
    if (cap->pcap == NULL || cap->csv == NULL) {
        return -1; /* sim_open_out said which file and why */
    }
    uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535u, 1u};
    fwrite(gh, sizeof gh, 1, cap->pcap);
    link->tap = sim_tap;
    link->tap_ctx = cap;
    fprintf(cap->csv, "t_s,state,voltage_v,current_a,set_voltage_v,set_current_a,power_kw,soc_pct,"
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
    if (cap->pcap != NULL) {
        fclose(cap->pcap);
        cap->pcap = NULL;
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
