/**
 * @file linux_pcapng.h
 * @brief A pcapng file writer (no libpcap): one section, one Ethernet interface with
 *        microsecond times, Enhanced Packet Blocks with the direction flag. Used by the Linux
 *        board's capture (linux_capture.c) and the simulator's (board/sim/sim_capture.c), so
 *        both write the same form. Host byte order (the section header's magic tells readers).
 */
#ifndef LINUX_PCAPNG_H
#define LINUX_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Direction of a packet (epb_flags), seen from the charger. */
enum linux_pcapng_dir { LINUX_PCAPNG_DIR_UNKNOWN = 0, LINUX_PCAPNG_DIR_IN = 1, LINUX_PCAPNG_DIR_OUT = 2 };

struct linux_pcapng {
    FILE *f;
    uint64_t bytes; /**< written so far (for a size limit) */
};

/**
 * @brief Create @p path (truncated) and write the section header (with @p comment, may be
 *        NULL) and the interface block (@p ifname, @p ifdescr; may be NULL).
 * @return 0, or -1 with errno set (the file cannot be created or written)
 */
int linux_pcapng_open(struct linux_pcapng *w, const char *path, const char *comment, const char *ifname,
                      const char *ifdescr);

/** @brief One packet at @p t_us (Unix microseconds); @p len above 65535 is cut to 65535. */
void linux_pcapng_packet(struct linux_pcapng *w, uint64_t t_us, enum linux_pcapng_dir dir, const uint8_t *data,
                         size_t len);

/** @brief Flush and close; safe to call twice. Returns 0, or -1 if a write failed. */
int linux_pcapng_close(struct linux_pcapng *w);

#endif /* LINUX_PCAPNG_H */
