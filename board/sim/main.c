/*
 * The simulator board: the charger firmware with in-memory peripherals and a plant
 * model, on a virtual clock that runs as fast as the CPU allows (or in real time).
 *
 * Per connector: a DIN 70121 car (firmware/ev_model: battery, din_ev, ev_link, pilot)
 * in its own scheduler (the car is another device), an in-memory PLC link (Ethernet,
 * UDP, TCP) to the charger's evse_link, the real InfyPower driver over an in-memory CAN
 * bus to simulated modules, the real Bender driver on a simulated isolation monitor, a
 * simulated meter (with journal), and the plant's safety monitor; the connectors form
 * one station (firmware/station.h). `make sim` runs it; see --help.
 *
 * This file is the wiring of the parts only:
 *   sim_options.c   the command line and its checks
 *   sim_board.c     the objects, how they are connected, the world's step every ms
 *   sim_clock.c     the virtual clock and the log
 *   sim_station.c   the station over the connectors and its events in the log
 *   sim_meas.c      the charger's transport with a stopwatch
 *   sim_capture.c   pcapng and csv files
 *   sim_report.c    session report pages (--report-dir without --scenario)
 *   sim_scenario.c  the fault-scenario driver (faults.c: the scenarios)
 *   sim_summary.c   the time series while running, the verdicts and figures after
 */
#include <stdio.h>
#include <time.h>

#include "sim_board.h"
#include "sim_options.h"
#include "sim_report.h"
#include "sim_scenario.h"
#include "sim_summary.h"
#include "superloop.h"

static struct sim s_sim;             /* board-level instance: the board owns its objects */
static struct sim_options s_options; /* holds the configuration file's record: not on the stack */

int main(int argc, char **argv)
{
    struct sim *s = &s_sim;
    const struct sim_options *o = &s_options;
    int rc = sim_options_parse(&s_options, argc, argv);
    if (rc >= 0) {
        return rc;
    }
    rc = sim_board_start(s, o);
    if (rc >= 0) {
        return rc;
    }
    if (!o->quiet) {
        printf("sim: %d connector(s), %lu session(s) each, car %s (SOC %lu %% -> %lu %%), "
               "%s stage, fault: %s, %s\n",
               s->n, (unsigned long)o->script.sessions, o->profile, o->soc_start, o->soc_target,
               s->ideal ? "ideal" : s->huawei ? "Huawei (one unit, a dispenser per connector)" : "InfyPower",
               o->scenario != NULL ? o->scenario->name : plant_fault_name(o->script.fault),
               o->realtime ? "real time" : "virtual time");
    }
    /* The station's task runs after each pass of the firmware's (sim_station.c says why). */
    struct superloop loop = {.sched = &s->sched, .clock = &s->clock.base, .kick = sim_board_pass_done,
                             .should_stop = sim_board_should_stop, .ctx = s};
    clock_t t0 = clock();
    uint32_t passes = superloop_run(&loop);
    sim_board_finish(s);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

    bool at_max = s->clock.now_ms >= s->max_ms;
    bool ok = sim_summary_print(s, o) && !at_max;
    uint32_t violations = 0;
    for (int i = 0; i < s->n; i++) {
        violations += s->c[i].plant.violations;
    }
    if (at_max) {
        printf("sim: stopped at the --max-s limit before the scenario finished\n");
    }
    if (s->huawei) {
        sim_summary_huawei(s);
    }
    if (o->out_dir != NULL && !o->quiet) {
        printf("sim: capture and time series in %s/cp*.pcapng, %s/cp*.csv\n", o->out_dir, o->out_dir);
    }
    if (s->scenario.on) {
        ok = sim_scenario_finish(&s->scenario, o->report_dir, at_max);
    } else if (o->report_dir != NULL) {
        sim_log_copy(&s->log, NULL);
        if (sim_report_pages(o, s->n, s->report_log) != 0) {
            ok = false;
        }
        s->report_log = NULL;
    }
    printf("sim: %s: %.1f s simulated in %.3f s CPU (%lu loop passes), %lu safety violation(s)\n",
           ok ? "PASS" : "FAIL", s->clock.now_ms / 1000.0, cpu_s, (unsigned long)passes,
           (unsigned long)violations);
    return ok ? 0 : 1;
}
