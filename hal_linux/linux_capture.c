/* linux_capture.c - owns the Linux board's capture of its PLC interface (struct
 * linux_capture): a libpcap handle of its own on the interface, both directions, written as
 * pcapng with the size limit and rotation of linux_capture.h. */
#include "linux_capture.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void linux_capture_mac(struct linux_capture *c)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        return;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", c->ifname);
    if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0) {
        memcpy(c->mac, ifr.ifr_hwaddr.sa_data, sizeof c->mac);
    }
    close(s);
}

static int linux_capture_start_file(struct linux_capture *c)
{
    char comment[160];
    snprintf(comment, sizeof comment, "charger --capture: every frame of %s (PLC link: SLAC, SDP, TCP, TLS)",
             c->ifname);
    if (linux_pcapng_open(&c->w, c->path, comment, c->ifname, "PLC modem interface") != 0) {
        snprintf(c->errbuf, sizeof c->errbuf, "cannot write %s: %s", c->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* FILE.(n-2) -> FILE.(n-1), ..., FILE -> FILE.1, then a fresh FILE: the newest traffic is
 * always in FILE, the oldest file beyond the count is overwritten. */
static int linux_capture_rotate(struct linux_capture *c)
{
    char from[300], to[300];
    if (linux_pcapng_close(&c->w) != 0) {
        snprintf(c->errbuf, sizeof c->errbuf, "write to %s failed", c->path);
        return -1;
    }
    for (unsigned k = c->files - 1u; k >= 1u; k--) {
        if (k == 1u) {
            snprintf(from, sizeof from, "%s", c->path);
        } else {
            snprintf(from, sizeof from, "%s.%u", c->path, k - 1u);
        }
        snprintf(to, sizeof to, "%s.%u", c->path, k);
        if (rename(from, to) != 0 && errno != ENOENT) {
            snprintf(c->errbuf, sizeof c->errbuf, "cannot rotate %s to %s: %s", from, to, strerror(errno));
            return -1;
        }
    }
    if (c->files == 1u && unlink(c->path) != 0 && errno != ENOENT) {
        snprintf(c->errbuf, sizeof c->errbuf, "cannot replace %s: %s", c->path, strerror(errno));
        return -1;
    }
    c->rotations++;
    return linux_capture_start_file(c);
}

int linux_capture_open(struct linux_capture *c, const char *ifname, const char *path, uint64_t max_bytes,
                       unsigned files)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    if (files < 1u || files > 100u || strlen(path) >= sizeof c->path || strlen(ifname) >= sizeof c->ifname) {
        snprintf(c->errbuf, sizeof c->errbuf, "bad arguments (files 1..100, path or interface name too long)");
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->ifname, sizeof c->ifname, "%s", ifname);
    c->max_bytes = max_bytes;
    c->files = files;
    if (if_nametoindex(ifname) == 0) {
        snprintf(c->errbuf, sizeof c->errbuf, "no interface %s", ifname);
        return -1;
    }
    linux_capture_mac(c);
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_create(ifname, err);
    if (pc == NULL) {
        snprintf(c->errbuf, sizeof c->errbuf, "%s", err);
        return -1;
    }
    /* Immediate mode so the file follows the session; not promiscuous: the frames of this
     * interface are what the charger sends and receives. */
    if (pcap_set_snaplen(pc, 65535) != 0 || pcap_set_promisc(pc, 0) != 0 || pcap_set_immediate_mode(pc, 1) != 0 ||
        pcap_activate(pc) < 0 || pcap_setnonblock(pc, 1, err) != 0 || pcap_datalink(pc) != DLT_EN10MB) {
        snprintf(c->errbuf, sizeof c->errbuf, "%s", pcap_datalink(pc) != DLT_EN10MB && err[0] == '\0'
                                                       ? "not an Ethernet interface"
                                                       : pcap_geterr(pc));
        pcap_close(pc);
        return -1;
    }
    c->fd = pcap_get_selectable_fd(pc);
    if (c->fd < 0) {
        snprintf(c->errbuf, sizeof c->errbuf, "no selectable descriptor");
        pcap_close(pc);
        return -1;
    }
    c->pcap = pc;
    if (linux_capture_start_file(c) != 0) {
        pcap_close(pc);
        c->pcap = NULL;
        c->fd = -1;
        return -1;
    }
    return 0;
}

int linux_capture_fd(const struct linux_capture *c)
{
    return c->fd;
}

int linux_capture_poll(struct linux_capture *c)
{
    int n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (c->pcap != NULL && !c->write_failed && n < 256 && pcap_next_ex(c->pcap, &h, &data) == 1) {
        if (c->max_bytes != 0u && c->w.bytes + h->caplen + 64u > c->max_bytes && c->w.bytes > 4096u &&
            linux_capture_rotate(c) != 0) {
            c->write_failed = true;
            break;
        }
        enum linux_pcapng_dir dir = LINUX_PCAPNG_DIR_UNKNOWN;
        if (h->caplen >= 12u) {
            dir = memcmp(data + 6, c->mac, 6) == 0 ? LINUX_PCAPNG_DIR_OUT : LINUX_PCAPNG_DIR_IN;
        }
        uint64_t t = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        linux_pcapng_packet(&c->w, t, dir, data, h->caplen);
        c->packets++;
        n++;
    }
    if (c->w.f != NULL && n > 0) {
        fflush(c->w.f); /* a capture read while the charger runs shows what happened so far */
        if (ferror(c->w.f)) {
            snprintf(c->errbuf, sizeof c->errbuf, "write to %s failed", c->path);
            c->write_failed = true;
        }
    }
    return n;
}

void linux_capture_close(struct linux_capture *c)
{
    if (c->pcap != NULL) {
        (void)linux_capture_poll(c);
        pcap_close(c->pcap);
        c->pcap = NULL;
        c->fd = -1;
    }
    (void)linux_pcapng_close(&c->w);
}
