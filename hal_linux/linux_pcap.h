/**
 * @file linux_pcap.h
 * @brief Raw Ethernet through libpcap (hal_eth): non-blocking, inbound only, filtered to
 *        EtherType 0x88E1 frames addressed to this interface's MAC or broadcast.
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
};

/**
 * @brief Open @p ifname (needs CAP_NET_RAW).
 * @retval HAL_OK open; watch linux_pcap_fd()
 * @retval HAL_ENOENT no such interface
 * @retval HAL_EIO libpcap failed (see errbuf)
 */
int linux_pcap_open(struct linux_pcap *p, const char *ifname);

/** @brief The selectable descriptor (POLLIN when frames wait). */
int linux_pcap_fd(const struct linux_pcap *p);

/** @brief Close; safe to call twice. */
void linux_pcap_close(struct linux_pcap *p);

#endif /* LINUX_PCAP_H */
