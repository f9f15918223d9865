/* sim_summary.h - what the simulator says about its run (see sim_summary.c). */
#ifndef SIM_SUMMARY_H
#define SIM_SUMMARY_H

#include <stdbool.h>

struct sim;
struct sim_options;

/* Once a simulated second: a time-series row per connector, and a progress line every
 * report period while charging. */
void sim_summary_progress(struct sim *s);
/* Every pass: a time-series row of each connector whose EV request, EVSE limits,
 * setpoints, pilot, contactors, lock or state changed since its last row. */
void sim_summary_events(struct sim *s);
/* After the run: one line per session, the limits, the isolation monitor, one verdict line
 * per connector, the CurrentDemand figure; closes the capture files. Returns whether every
 * connector ended as expected (the scenario's own verdict comes after). */
bool sim_summary_print(struct sim *s, const struct sim_options *o);

/* --psu huawei: the unit's view of cp0's first session in simulated time (a FIGURE line). */
void sim_summary_huawei(const struct sim *s);

#endif /* SIM_SUMMARY_H */
