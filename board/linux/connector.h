/**
 * @file connector.h
 * @brief The Linux board's one connector and its station: the charger configured from the
 *        board's configuration over the devices (devices.h), the pilot and power-path GPIO
 *        (unsupported on Linux, or the --sim-plant test aid), handed to a `struct station`
 *        (firmware/station.h) that the commands and the event log use.
 */
#ifndef BOARD_CONNECTOR_H
#define BOARD_CONNECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "board_config.h"
#include "board_certprov.h"
#include "board_pnc.h"
#include "charger.h"
#include "chargesom.h"
#include "devices.h"
#include "hal_gpio.h"
#include "hal_pilot.h"
#include "sim_plant.h"
#include "state_trace.h"
#include "station.h"

/** The --sim-plant test aid's options (all NULL: no plant). */
struct board_sim_options {
    const char *wire, *load, *status, *trace;
    const char *state_trace; /**< --state-trace: the charger's side of the judge's record */
};

/** The connector, what it stands on, and the station. Only connector.c writes the fields. */
struct board_connector {
    struct hal_pilot pilot;    /**< "not supported" without the plant */
    struct hal_gpio gpio;
    bool have_plant;
    struct sim_plant plant;
    bool have_chargesom;            /**< board.io = chargesom: pilot and GPIO through it */
    struct board_chargesom chargesom;
    bool have_kio;                  /**< board.io = kernel */
    struct board_kio kio;
    bool have_state_trace;
    struct board_state_trace state_trace;
    struct charger charger;
    struct station station;
    /* Plug & Charge (pnc.mo_roots): the roots parsed at start and the context lent to the
     * charger's ISO-2 sessions (docs/pnc.md "On the charger"). */
    bool have_pnc;
    struct board_pnc_certs mo_roots;
    struct iso2_evse_pnc pnc;
    uint8_t pnc_buf[4096];
    struct board_certprov_setup cert; /**< pnc.cert_provider, pnc.oem_chain */
    /* The station's own task re-arms every 1 ms, which woke the loop 4.5 times as often
     * as before (191 -> 860 passes/s) and starved the emulators of the VM tests. It is
     * parked in this scheduler, which never runs; events.c polls the station with the
     * connector's period instead, right after the connector's pass. */
    struct sched station_sched;
};

/**
 * @brief Configure and start the connector over @p d, then the station with it (its task
 *        after the connector's). Explains a failure on stderr.
 * @retval 0 started
 * @retval -1 not
 */
int board_connector_start(struct board_connector *k, const struct board_config *cfg, struct board_devices *d,
                          const struct board_sim_options *sim, struct sched *s, uint32_t now_ms);

#endif /* BOARD_CONNECTOR_H */
