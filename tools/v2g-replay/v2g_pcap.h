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
 *
 * v2g-replay uses it as described above. v2g-decode (tools/v2g-decode) passes hooks
 * (struct v2g_pcap_hooks) and gets on top: the non-IP frames (HomePlug), UDP datagrams
 * (SDP, in-band key-log lines), the in-order bytes of TLS streams, pcapng Decryption
 * Secrets blocks, notes on gaps and unknown blocks, and, with `reorder`, out-of-order
 * segments held back until the hole before them fills (a gap only when it never does).
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
    unsigned long unknown_blocks; /**< pcapng blocks of a type the reader does not know */
    unsigned long reordered;      /**< segments held back and put in order (hooks.reorder) */
};

/** A frame that is not IP (HomePlug AV 0x88E1, ...), for v2g_pcap_hooks.l2. */
struct v2g_pcap_l2 {
    unsigned long frame;
    double t;
    uint16_t ethertype;
    bool vlan;              /**< it carried an 802.1Q/802.1ad tag */
    uint8_t dst[6], src[6]; /**< zero when the link type has no such address */
    const uint8_t *payload; /**< after the EtherType */
    size_t len;
};

/** A UDP datagram, for v2g_pcap_hooks.udp. Addresses are IPv6 (IPv4 mapped). */
struct v2g_pcap_udp {
    unsigned long frame;
    double t;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t len;
};

/** In-order bytes of a TLS half-stream, for v2g_pcap_hooks.tls. */
struct v2g_pcap_stream {
    unsigned long frame;
    double t;
    unsigned conn;
    bool ev_to_evse;
    const uint8_t *data;
    size_t len;
};

/** Optional callbacks (NULL: that kind is counted and dropped, as without hooks). */
struct v2g_pcap_hooks {
    int (*l2)(void *ctx, const struct v2g_pcap_l2 *f);
    int (*udp)(void *ctx, const struct v2g_pcap_udp *u);
    int (*tls)(void *ctx, const struct v2g_pcap_stream *s);
    /** pcapng Decryption Secrets block: @p type (0x544c534b = TLS key log) and its text */
    int (*secrets)(void *ctx, uint32_t type, const uint8_t *data, size_t len);
    /** Something the reader skipped or lost: a gap, an unknown block (text, frame number) */
    int (*note)(void *ctx, unsigned long frame, double t, const char *what);
    bool reorder; /**< hold out-of-order segments instead of treating them as a hole */
};

struct v2g_pcap_reader;

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

/** @brief v2g_pcap_read() with hooks (@p hk may be NULL). */
int v2g_pcap_read_hooks(FILE *in, v2g_pcap_fn fn, const struct v2g_pcap_hooks *hk, void *ctx,
                        struct v2g_pcap_stats *st, char *err, size_t errcap);

/**
 * @brief Frame by frame (live capture): a reader without a file.
 * @return the reader, or NULL when out of memory
 */
struct v2g_pcap_reader *v2g_pcap_open(v2g_pcap_fn fn, const struct v2g_pcap_hooks *hk, void *ctx,
                                      struct v2g_pcap_stats *st, char *err, size_t errcap);

/** @brief One link-layer frame of link type @p linktype. @return as v2g_pcap_read() */
int v2g_pcap_frame(struct v2g_pcap_reader *r, uint16_t linktype, const uint8_t *p, size_t n, double t);

/** @brief Report what is still held back as gaps and free the reader (NULL allowed). */
void v2g_pcap_close(struct v2g_pcap_reader *r);

#endif
