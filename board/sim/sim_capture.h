/* sim_capture.h - per-connector output files: a pcapng of every layer of the in-memory link
 * (HomePlug/SLAC, SDP, TCP with its handshake and close, V2GTP) and the time series (csv). */
#ifndef SIM_CAPTURE_H
#define SIM_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "linux_pcapng.h"
#include "sim_net.h"

/* The default --epoch: 2026-01-01T00:00:00Z. A capture's packet time is the epoch plus the
 * simulated time, so two runs give the same file and a reader sees a plausible date. */
#define SIM_CAPTURE_EPOCH_DEFAULT 1767225600ul

#define SIM_CAPTURE_CONNS 4

/* One TCP connection as the capture writes it (side 0 = charger, 1 = car). */
struct sim_capture_conn {
    uint32_t conn;            /**< the link's connection number, 0 = slot free */
    uint16_t port[2];         /**< TCP port of each side */
    uint32_t seq[2];          /**< next sequence number each side sends */
    bool fin[2];              /**< each side's FIN sent */
};

struct sim_capture {
    struct linux_pcapng ng;   /**< the pcapng (ng.f NULL: none) */
    FILE *csv;
    struct sim_net *link;     /**< the watched link */
    const uint32_t *now_ms;   /**< the virtual clock, for the packet times */
    uint64_t epoch_us;        /**< --epoch in microseconds */
    uint64_t last_us;         /**< the last packet's time: later packets of one ms follow it */
    uint32_t packets[7];      /**< packets written per enum sim_net_what (a summary for tests) */
    struct sim_capture_conn c[SIM_CAPTURE_CONNS];
};

/* Opens DIR/NAME.pcapng and DIR/NAME.csv, writes their headers and watches @p link; packet
 * times are @p epoch_s (Unix seconds) plus *now_ms. Returns 0, or -1 after saying on
 * stderr which file and why. */
int sim_capture_open(struct sim_capture *cap, const char *dir, const char *name, struct sim_net *link,
                     const uint32_t *now_ms, unsigned long epoch_s);
/* One time-series row (the caller formats the whole row, starting with the time). */
void sim_capture_row(struct sim_capture *cap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_capture_close(struct sim_capture *cap);

/* The watcher itself (sim_net_watch_fn), public for the unit test. */
void sim_capture_event(void *ctx, const struct sim_net_event *ev);

/* Create DIR and its missing parents (mkdir -p). Returns 0, or -1 after saying on stderr
 * (naming option @p opt) which part failed and why. */
int sim_make_dirs(const char *opt, const char *dir);

#endif /* SIM_CAPTURE_H */
