/* sim_station.h - the simulator's connectors as one station (see sim_station.c). */
#ifndef SIM_STATION_H
#define SIM_STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "sched.h"
#include "station.h"

#define SIM_STATION_CHANGES 4

#define SIM_STATION_READERS 3u

/** A reader of the station's events besides the simulator's own log. */
struct sim_station_reader {
    void (*on_event)(void *ctx, const struct station_event *e, uint32_t now_ms); /**< NULL: slot unused */
    void (*on_pass)(void *ctx, uint32_t now_ms);                                  /**< or NULL */
    void *ctx;
};

struct sim_station {
    struct station st;
    struct sched sched;     /**< the station's task alone (see sim_station.c) */
    struct hal_log *log;
    bool running;           /**< false while the firmware is off (power loss) */
    uint32_t limit_w;       /**< --station-limit-w, 0 = none */
    /* --station-limit-at T:W: the station's limit changed at simulated times (ascending) */
    uint32_t change_at_ms[SIM_STATION_CHANGES], change_w[SIM_STATION_CHANGES];
    uint8_t changes;
    uint8_t applied;        /**< changes applied since the station (re)started */
    /* Other readers of the events (the ring has one reader, this one): the MQTT API (--mqtt)
     * the OCPP charge point (--ocpp) and the token reader (--id-tag), each with an optional call after every pass. */
    struct sim_station_reader readers[SIM_STATION_READERS];
};

/* Hands the @p n started connectors to a station (limit @p limit_w W, 0 = none) whose
 * events go to @p log. Again after a power loss (the station is firmware: its state is
 * gone with the RAM). */
int sim_station_start(struct sim_station *ss, struct charger *const *conns, uint8_t n, uint32_t limit_w,
                      struct hal_log *log, uint32_t now_ms);
/* The firmware lost its power: the station no longer runs. */
void sim_station_stop(struct sim_station *ss);
/* Once per loop pass, after the firmware's tasks: the station's task, then its events logged. */
void sim_station_pass(struct sim_station *ss, uint32_t now_ms);

#endif /* SIM_STATION_H */
