/* sim_capture.h - per-connector output files: V2G capture (pcap) and time series (csv). */
#ifndef SIM_CAPTURE_H
#define SIM_CAPTURE_H

#include <stdint.h>
#include <stdio.h>

#include "sim_net.h"

struct sim_capture {
    FILE *pcap, *csv;
    uint32_t seq[2];          /**< TCP sequence numbers of the charger (0) and the car (1) */
    uint32_t conn;            /**< the link's connection the stream belongs to */
    struct sim_net *link;    /**< where the V2GTP stream is tapped */
    const uint32_t *now_ms;   /**< the virtual clock, for the packet times */
};

/* Opens DIR/NAME.pcap and DIR/NAME.csv, writes their headers and taps @p link.
 * Returns 0, or -1 after saying on stderr which file and why. */
int sim_capture_open(struct sim_capture *cap, const char *dir, const char *name, struct sim_net *link,
                     const uint32_t *now_ms);
/* One time-series row (the caller formats the fields after the time). */
void sim_capture_row(struct sim_capture *cap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_capture_close(struct sim_capture *cap);

/* Create DIR and its missing parents (mkdir -p). Returns 0, or -1 after saying on stderr
 * (naming option @p opt) which part failed and why. */
int sim_make_dirs(const char *opt, const char *dir);

#endif /* SIM_CAPTURE_H */
