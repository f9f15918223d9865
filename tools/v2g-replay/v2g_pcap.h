/**
 * @file v2g_pcap.h
 * @brief V2GTP messages out of a pcap or pcapng capture (host tool, heap allowed).
 *
 * Reads classic pcap (both byte orders, micro- and nanosecond stamps) and pcapng (SHB,
 * IDB with if_tsresol, EPB, SPB, the obsolete PB; both byte orders, several sections).
 * Link types: Ethernet (with 802.1Q tags), Linux cooked SLL and SLL2, raw IP. Network:
 * IPv6 (hop-by-hop, routing and destination options skipped) and IPv4, TCP only. Each
 * TCP connection is reassembled per direction: retransmitted bytes are dropped, a hole in
 * the sequence (a lost or reordered segment) drops what was buffered and the reader
 * resynchronises on the next V2GTP header. The EV is the side that opened the connection
 * (sent the SYN); without a SYN in the capture, the side that spoke first.
 *
 * Not supported, and counted in the statistics instead: IP fragments, out-of-order
 * segments (treated as a hole), TLS (an encrypted stream is reported as such, never
 * decrypted), UDP (SDP), HomePlug frames, other link types (an error).
 */
#ifndef V2G_PCAP_H
#define V2G_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** One complete V2GTP message. */
struct v2g_pcap_msg {
    unsigned long frame;  /**< 1-based frame number of the segment that completed it */
    double t;             /**< capture time of that frame, Unix seconds */
    unsigned conn;        /**< 0-based index of the TCP connection, in order of appearance */
    bool ev_to_evse;      /**< sent by the connection's client */
    uint16_t payload_type;
    const uint8_t *payload; /**< valid during the callback only */
    size_t len;
};

/** What the reader saw besides V2GTP messages. */
struct v2g_pcap_stats {
    unsigned long frames;
    unsigned long not_tcp;        /**< frames that are not TCP over IP (HomePlug, SDP, ...) */
    unsigned long fragments;      /**< IP fragments: not reassembled */
    unsigned long retransmitted;  /**< segments whose bytes were all seen already */
    unsigned long gaps;           /**< holes in a TCP sequence */
    unsigned long tls_streams;    /**< directions that carry TLS records */
    unsigned long tls_ev_streams; /**< ... of which the EV's (its requests are lost) */
    unsigned long junk_streams;   /**< directions whose bytes are neither V2GTP nor TLS */
    unsigned long junk_bytes;     /**< bytes of the two kinds above */
    unsigned connections;
};

/** Called once per message, in capture order; a non-zero return stops the read. */
typedef int (*v2g_pcap_fn)(void *ctx, const struct v2g_pcap_msg *m);

/**
 * @brief Tell a capture file from its first four bytes.
 * @retval true  pcap or pcapng magic
 */
bool v2g_pcap_is_capture(const uint8_t magic[4]);

/**
 * @brief Read a whole capture from @p in and call @p fn for every V2GTP message.
 * @param err  receives the reason when the capture cannot be read
 * @retval 0   read to the end (statistics in @p st)
 * @retval -1  malformed or unsupported capture (reason in @p err)
 * @retval >0  what @p fn returned
 */
int v2g_pcap_read(FILE *in, v2g_pcap_fn fn, void *ctx, struct v2g_pcap_stats *st, char *err, size_t errcap);

#endif
