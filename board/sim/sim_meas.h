/* sim_meas.h - the charger's transport with a stopwatch (see sim_meas.c). */
#ifndef SIM_MEAS_H
#define SIM_MEAS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "charger_transport.h"
#include "exi/exi_din.h"
#include "exi/exi_iso2.h"
#include "exi/exi_iso20_dc.h"
#include "faults.h"

#define SIM_LAT_MAX 16384u

/* Wall-clock time from a request handed to the session to its answer handed back
 * (decode + session + encode + queue + flush), for the CurrentDemand figure. */
struct sim_meas_link {
    struct charger_transport base;
    struct charger_transport *inner;
    struct faults_run *faults; /**< the scenario watching this connector's V2G, or NULL */
    struct timespec t0;
    bool have;
    uint32_t n;
    uint32_t ns[SIM_LAT_MAX];
    struct exi_din_document doc;
    struct exi_iso2_document iso2;   /**< the same for an ISO 15118-2 session */
    struct exi_iso20_dc_document dc20; /**< ... and DC_ChargeLoopRes of an ISO 15118-20 one */
};

void sim_meas_init(struct sim_meas_link *m, struct charger_transport *inner);

#endif /* SIM_MEAS_H */
