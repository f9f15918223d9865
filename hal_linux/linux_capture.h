/**
 * @file linux_capture.h
 * @brief The Linux board's capture of its PLC interface (`charger --capture FILE`): every
 *        Ethernet frame the interface sends and receives (SLAC, SDP, TCP, TLS), taken by a
 *        second libpcap handle of its own (no filter, both directions; the HAL's SLAC port
 *        keeps its filtered one) and written as pcapng (linux_pcapng) with the direction
 *        seen from the charger. Size limit with rotation: above @p max_bytes FILE is moved
 *        to FILE.1 (FILE.1 to FILE.2, ...), keeping @p files files in all.
 *
 * Drained by linux_capture_poll() from a task of the superloop, never blocking: a burst
 * larger than the kernel's buffer is dropped by the kernel and counted in pcap_stats.
 */
#ifndef LINUX_CAPTURE_H
#define LINUX_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "linux_pcapng.h"

struct linux_capture {
    void *pcap;              /**< pcap_t * (opaque: users need no pcap.h) */
    int fd;                  /**< selectable descriptor for linux_loop_watch */
    struct linux_pcapng w;
    char path[256];
    char ifname[16];         /**< IFNAMSIZ */
    unsigned char mac[6];    /**< the interface's own MAC: frames from it are outbound */
    uint64_t max_bytes;      /**< rotate above this (0 = no limit) */
    unsigned files;          /**< files kept, FILE and FILE.1 .. FILE.(files-1) */
    uint32_t packets, rotations;
    bool write_failed;       /**< a write or a rotation failed: capture stopped, said once */
    char errbuf[700];        /**< why open, a write or a rotation failed */
};

/**
 * @brief Start capturing @p ifname (needs CAP_NET_RAW) into @p path.
 * @param max_bytes size limit of one file (0 = none); @param files files kept (1..100)
 * @return 0, or -1 with the reason in errbuf (no such interface, libpcap, the file)
 */
int linux_capture_open(struct linux_capture *c, const char *ifname, const char *path, uint64_t max_bytes,
                       unsigned files);

/** @brief The selectable descriptor (POLLIN when frames wait), -1 when closed. */
int linux_capture_fd(const struct linux_capture *c);

/** @brief Write every frame waiting; rotate at the size limit. Returns frames written. */
int linux_capture_poll(struct linux_capture *c);

/** @brief Drain, flush and close; safe to call twice. */
void linux_capture_close(struct linux_capture *c);

#endif /* LINUX_CAPTURE_H */
