/* sim_reader.h - `sim --id-tag TAG[,TAG...]`: a token reader beside each connector (see
 * sim_reader.c). */
#ifndef SIM_READER_H
#define SIM_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_ocpp.h"
#include "sim_options.h"
#include "station.h"

struct sim_reader {
    const struct sim_options *o;
    struct station *st;
    struct charger *conns[SIM_MAX_CONNECTORS];
    struct sim_ocpp *ocpp;                        /**< the charge point when --ocpp, else NULL */
    struct hal_log *log;
    uint32_t presented;                           /**< sessions that got a token so far */
    char pending[SIM_MAX_CONNECTORS][SIM_ID_TAG_MAX]; /**< held until it can go, "" none */
};

/* The reader of @p n connectors; nothing happens without --id-tag. */
void sim_reader_init(struct sim_reader *r, const struct sim_options *o, struct station *st,
                     struct charger *const *conns, uint8_t n, struct sim_ocpp *ocpp, struct hal_log *log);
/* Station reader hooks (struct sim_station_reader): a plug-in takes the next token, each
 * pass presents what is held once it can go. */
void sim_reader_event(void *ctx, const struct station_event *e, uint32_t now_ms);
void sim_reader_pass(void *ctx, uint32_t now_ms);

#endif /* SIM_READER_H */
