/* sim_board.h - the simulator board's objects and their wiring (see sim_board.c). */
#ifndef SIM_BOARD_H
#define SIM_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "charger.h"
#include "charger_transport.h"
#include "ev_model.h"
#include "evse_link.h"
#include "journal.h"
#include "meter.h"
#include "plant.h"
#include "psu_huawei.h"
#include "psu_infy.h"
#include "sched.h"
#include "sim_capture.h"
#include "sim_clock.h"
#include "sim_imd.h"
#include "sim_huawei_link.h"
#include "sim_infy.h"
#include "sim_net.h"
#include "sim_meas.h"
#include "sim_meter.h"
#include "sim_options.h"
#include "sim_ovm.h"
#include "sim_scenario.h"
#include "board_mqtt.h"
#include "linux_nvs.h"
#include "sim_ocpp.h"
#include "sim_pnc.h"
#include "sim_reader.h"
#include "sim_station.h"

/* The EV gives the charger this long to release a held connector before the run ends:
 * the interlock's discharge wait (5 s), a technician (3 s in the fault scenarios) and the
 * operator's reset must fit. */
#define SIM_HELD_LIMIT_MS 15000u

/* One connector: its plant (car side, contactors, lock), the firmware's charger with its
 * devices over in-memory transports, and the car. */
/* The fields of a time-series row whose change makes an event row (sim_summary.c). */
struct sim_csv_snap {
    int state;
    int32_t set_mv, set_ma, ev_mv, ev_ma, max_mv, max_ma, max_w;
    uint16_t duty;
    char pilot;
    bool contactors, locked;
};

struct sim_conn {
    struct plant plant;
    struct charger charger;
    struct sim_infy modules;
    struct sim_infy_can can;
    struct psu_infy stage;
    /* --psu huawei: this connector is a one-connector dispenser of the shared unit */
    struct psu_huawei_unit hw_unit;
    struct psu_huawei hw;
    struct sim_huawei_port *hw_port;
    struct sim_huawei_bus *hw_bus;
    unsigned hw_global;        /**< its global connector number on the unit (1..) */
    struct sim_net link;
    struct evse_link evse;
    struct charger_transport_evse adapter;
    struct sim_meas_link meas;
    struct sim_imd imd;
    struct sim_ovm ovm;
    struct sim_meter meter;
    struct sim_meter_nvs nvs;
    struct linux_nvs fnvs;     /**< --ocpp-store: the journal on files instead */
    struct hal_nvs *jnvs;      /**< the journal's store: &nvs.base or &fnvs.base */
    struct journal journal;
    struct meter_session ms;
    struct ev_model car;
    struct sim_capture cap;
    struct sim_csv_snap snap; /**< the last row's (events are changes of it) */
    uint32_t reported;
    uint32_t reset_tried_ms; /**< the operator's last reset attempt of a held fault */
    /* What the firmware is started with (kept for a restart after a power loss). */
    struct infy_config ic;
    struct evse_link_config lc;
    struct evse_link_ports lp;
    struct charger_config cfg;
    struct charger_ports ports;
};

/* The board: clock, log, the firmware's and the cars' schedulers, the connectors, the
 * station over them, and a fault scenario. */
struct sim {
    struct sim_clock clock;
    struct sim_log log;
    FILE *report_log;          /**< --report-dir without --scenario: DIR/sim.log, else NULL */
    struct sched sched;    /* the firmware */
    struct sched ev_sched; /* the cars */
    struct sim_meter_crypto crypto;
    struct sim_conn c[SIM_MAX_CONNECTORS];
    int n;
    bool ideal;
    bool huawei;               /* --psu huawei */
    struct sim_huawei_bus hw_bus; /* the Huawei unit every connector's dispenser reaches */
    uint32_t hw_export_ms;     /* cp0's first Export command (0: none), for the figure */
    uint32_t hw_running_ms;    /* cp0's connector first Running (0: not yet) */
    uint32_t max_ms;
    uint32_t next_report_ms;
    uint32_t report_ms;
    struct sim_station station;
    struct sim_scenario scenario;
    struct board_mqtt mqtt; /* --mqtt: the MQTT API over the station */
    bool mqtt_on;
    struct sim_ocpp ocpp;  /* sim --ocpp */
    struct sim_pnc pnc;    /* sim --pnc */
    struct sim_reader reader; /* sim --id-tag */
};

/* Creates every object of @p o's run and starts the firmware. Returns -1 when running,
 * or the exit status (1: a part failed to start, 2: an output file cannot be written),
 * said on stderr. */
int sim_board_start(struct sim *s, const struct sim_options *o);
/* The loop's per-pass hooks (struct superloop): stop when every connector is done. */
bool sim_board_should_stop(void *ctx);
void sim_board_pass_done(void *ctx);
/* The end of the run: the MQTT API says offline and leaves the broker. */
void sim_board_finish(struct sim *s);

#endif /* SIM_BOARD_H */
