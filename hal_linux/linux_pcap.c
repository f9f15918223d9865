#include "linux_pcap.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_errno.h"

static int linux_pcap_send(struct hal_eth *e, const uint8_t *frame, size_t len)
{
    struct linux_pcap *p = (struct linux_pcap *)e;
    uint8_t pad[HAL_ETH_FRAME_MIN];
    if (p->pcap == NULL) {
        return HAL_EIO;
    }
    if (len < 14u || len > HAL_ETH_FRAME_MAX) {
        return HAL_EINVAL;
    }
    if (len < HAL_ETH_FRAME_MIN) {
        memset(pad, 0, sizeof pad);
        memcpy(pad, frame, len);
        frame = pad;
        len = HAL_ETH_FRAME_MIN;
    }
    if (pcap_inject(p->pcap, frame, len) != (int)len) {
        return errno == EAGAIN || errno == ENOBUFS ? HAL_EAGAIN : HAL_EIO;
    }
    return HAL_OK;
}

static int linux_pcap_recv(struct hal_eth *e, uint8_t *frame, size_t cap, size_t *len)
{
    struct linux_pcap *p = (struct linux_pcap *)e;
    struct pcap_pkthdr *h;
    const u_char *data;
    *len = 0;
    if (p->pcap == NULL) {
        return HAL_EIO;
    }
    int rc = pcap_next_ex(p->pcap, &h, &data);
    if (rc == 0) {
        return HAL_EAGAIN;
    }
    if (rc != 1) {
        return HAL_EIO;
    }
    if (h->caplen != h->len || h->caplen > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(frame, data, h->caplen);
    *len = h->caplen;
    return HAL_OK;
}

static int linux_pcap_mac(struct hal_eth *e, uint8_t mac[HAL_ETH_ALEN])
{
    struct linux_pcap *p = (struct linux_pcap *)e;
    if (p->pcap == NULL) {
        return HAL_EIO;
    }
    memcpy(mac, p->mac, HAL_ETH_ALEN);
    return HAL_OK;
}

static const struct hal_eth_ops s_ops = {
    .send = linux_pcap_send, .recv = linux_pcap_recv, .mac = linux_pcap_mac};

static int linux_pcap_read_mac(const char *ifname, unsigned char mac[HAL_ETH_ALEN])
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        return linux_errno_to_hal(errno);
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
    int err = errno;
    close(s);
    if (rc != 0) {
        return err == ENODEV ? HAL_ENOENT : linux_errno_to_hal(err);
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, HAL_ETH_ALEN);
    return HAL_OK;
}

int linux_pcap_open(struct linux_pcap *p, const char *ifname)
{
    const struct hal_eth_binding homeplug = HAL_ETH_BINDING_HOMEPLUG;
    return linux_pcap_open_binding(p, ifname, &homeplug);
}

int linux_pcap_open_binding(struct linux_pcap *p, const char *ifname,
                            const struct hal_eth_binding *b)
{
    struct bpf_program prog;
    char filter[200];
    char vlan[24] = "";
    memset(p, 0, sizeof *p);
    p->base.ops = &s_ops;
    p->fd = -1;
    if (hal_eth_binding_check(b) != HAL_OK) {
        snprintf(p->errbuf, sizeof p->errbuf, "bad binding (EtherType 0x%04x, VLAN %u)",
                 b != NULL ? b->ethertype : 0u, b != NULL ? b->vlan_id : 0u);
        return HAL_EINVAL;
    }
    p->binding = *b;
    if (if_nametoindex(ifname) == 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "no interface %s", ifname);
        return HAL_ENOENT;
    }
    int rc = linux_pcap_read_mac(ifname, p->mac);
    if (rc != HAL_OK) {
        snprintf(p->errbuf, sizeof p->errbuf, "cannot read the MAC of %s", ifname);
        return rc;
    }
    pcap_t *pc = pcap_create(ifname, p->errbuf);
    if (pc == NULL) {
        return HAL_EIO;
    }
    /* immediate mode: each frame is delivered at once instead of in buffered batches,
     * which would add up to the timeout to every SLAC answer */
    if (pcap_set_snaplen(pc, (int)HAL_ETH_FRAME_MAX) != 0 || pcap_set_promisc(pc, 0) != 0 ||
        pcap_set_immediate_mode(pc, 1) != 0 || pcap_activate(pc) < 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "%s", pcap_geterr(pc));
        pcap_close(pc);
        return HAL_EIO;
    }
    /* "vlan N" must come before the EtherType test: it moves the offset past the tag. */
    if (b->vlan_id != 0u) {
        snprintf(vlan, sizeof vlan, "vlan %u and ", b->vlan_id);
    }
    snprintf(filter, sizeof filter,
             "(ether dst %02x:%02x:%02x:%02x:%02x:%02x or ether %s) and %sether proto 0x%04x",
             p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5],
             b->multicast ? "multicast" : "broadcast", vlan, b->ethertype);
    if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(pc, &prog) != 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "filter: %s", pcap_geterr(pc));
        pcap_close(pc);
        return HAL_EIO;
    }
    pcap_freecode(&prog);
    if (pcap_setdirection(pc, PCAP_D_IN) != 0 || pcap_setnonblock(pc, 1, p->errbuf) != 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "%s", pcap_geterr(pc));
        pcap_close(pc);
        return HAL_EIO;
    }
    p->fd = pcap_get_selectable_fd(pc);
    if (p->fd < 0) {
        snprintf(p->errbuf, sizeof p->errbuf, "no selectable descriptor");
        pcap_close(pc);
        return HAL_EIO;
    }
    p->pcap = pc;
    return HAL_OK;
}

int linux_pcap_fd(const struct linux_pcap *p)
{
    return p->fd;
}

void linux_pcap_close(struct linux_pcap *p)
{
    if (p->pcap != NULL) {
        pcap_close(p->pcap);
        p->pcap = NULL;
        p->fd = -1;
    }
}
