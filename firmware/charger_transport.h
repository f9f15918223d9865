/**
 * @file charger_transport.h
 * @brief The session's V2GTP transport over the firmware's EVSE link task
 *        (firmware/evse_link.h): SLAC, SDP and the V2GTP server of one connector.
 */
#ifndef CHARGER_TRANSPORT_H
#define CHARGER_TRANSPORT_H

#include "charger.h"
#include "evse_link.h"

/** An evse_link seen as a struct charger_transport. */
struct charger_transport_evse {
    struct charger_transport base; /**< must stay first */
    struct evse_link *l;
};

/** @brief Wrap @p l (already initialised with evse_link_init()). */
void charger_transport_evse_init(struct charger_transport_evse *a, struct evse_link *l);

#endif /* CHARGER_TRANSPORT_H */
