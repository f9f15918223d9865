/* sim_report.h - the simulator's session report pages (sim --report-dir without --scenario). */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdio.h>

struct sim_options;

/* The session report's log copy, DIR/sim.log. Returns the open file, or NULL after saying
 * on stderr why. */
FILE *sim_report_open_log(const char *dir);

/* After the run: DIR/cpN.html (.svg, .png) for each of @p connectors, made by
 * tools/v2g-report from the time series and the log (closed here first). Returns 0, or -1
 * after saying on stderr which page failed and why. */
int sim_report_pages(const struct sim_options *o, int connectors, FILE *log);

#endif /* SIM_REPORT_H */
