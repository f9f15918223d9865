/**
 * @file linux_pcap.h
 * @brief Raw Ethernet through libpcap (hal_eth): non-blocking, inbound only, filtered in
 *        the kernel (a BPF program) to the binding's EtherType and VLAN and to frames
 *        addressed to this interface's MAC, broadcast, or (if the binding asks) multicast.
 *
 * With a VLAN id the filter is libpcap's `vlan N`, which also matches tags the driver
 * stripped (libpcap puts them back into the delivered frame).
 */
#ifndef LINUX_PCAP_H
#define LINUX_PCAP_H

#include "hal_eth.h"

/** The libpcap raw Ethernet port. */
struct linux_pcap {
    struct hal_eth base;
    void *pcap;            /**< pcap_t * (kept opaque so users need no pcap.h) */
    int fd;                /**< selectable descriptor for linux_loop_watch */
    unsigned char mac[HAL_ETH_ALEN];
    char errbuf[256];      /**< why open failed */
    struct hal_eth_binding binding; /**< what the filter lets through */
};

/**
 * @brief Open @p ifname (needs CAP_NET_RAW) for the frames @p b describes.
 * @retval HAL_OK open; watch linux_pcap_fd()
 * @retval HAL_EINVAL bad binding (hal_eth_binding_check)
 * @retval HAL_ENOENT no such interface
 * @retval HAL_EIO libpcap failed (see errbuf)
 */
int linux_pcap_open_binding(struct linux_pcap *p, const char *ifname,
                            const struct hal_eth_binding *b);

/** @brief linux_pcap_open_binding() with HAL_ETH_BINDING_HOMEPLUG: the SLAC port. */
int linux_pcap_open(struct linux_pcap *p, const char *ifname);

/** @brief The selectable descriptor (POLLIN when frames wait). */
int linux_pcap_fd(const struct linux_pcap *p);

/** @brief Close; safe to call twice. */
void linux_pcap_close(struct linux_pcap *p);

#endif /* LINUX_PCAP_H */
