/* sim_scenario.h - the fault-scenario driver of the simulator (see sim_scenario.c). */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "faults.h"

/* Power loss (scenario power-loss-*): how long the firmware stays off. */
#define SIM_POWER_OFF_MS 500u

/* What the board must do for the scenario this ms. */
enum sim_scenario_action {
    SIM_SCENARIO_NONE = 0,
    SIM_SCENARIO_POWER_DOWN, /**< cut the firmware's power now */
    SIM_SCENARIO_POWER_UP,   /**< the power is back: restart the firmware */
};

/* One --scenario run on connector 0. */
struct sim_scenario {
    const struct faults_scenario *sc; /**< NULL: no scenario */
    struct faults_run run;
    bool on;                          /**< set up (connector 0 is watched and acted on) */
    uint32_t power_up_at;             /**< firmware off until this time (0 = running) */
};

/* Scenario config-corrupt: damaged stored configurations must be refused at start-up,
 * naming the key, and the intact copy accepted. Prints its lines; 0 = as expected. */
int sim_scenario_config_check(void);

void sim_scenario_setup(struct sim_scenario *s, const struct faults_scenario *sc, const struct faults_target *t);
/* Every simulated ms, before the car runs. */
enum sim_scenario_action sim_scenario_tick(struct sim_scenario *s, uint32_t now_ms);
/* The car is frozen (its scheduler must not run). */
bool sim_scenario_ev_frozen(const struct sim_scenario *s);
/* The session the scenario struck is its own to judge (not the summary's). */
bool sim_scenario_judges_first(const struct sim_scenario *s);
/* The scenario's verdict and report (DIR/NAME.txt and .svg when @p report_dir). */
bool sim_scenario_finish(struct sim_scenario *s, const char *report_dir, bool at_max_s);

#endif /* SIM_SCENARIO_H */
