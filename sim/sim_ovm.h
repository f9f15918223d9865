/**
 * @file sim_ovm.h
 * @brief The simulator board's over-voltage monitor: the firmware's over-voltage-monitor
 *        interface (firmware/ovm.h) in memory.
 *
 * Samples the output voltage the plant hands it every `period_ms` (an ADC channel, 1 ms),
 * and has a hardware trip input: a comparator against the threshold the charger arms that
 * latches once the voltage stayed above it for `trip_filter_ms`. A device that dies keeps
 * its last reading (its timestamp stops), which the charger must see as stale.
 */
#ifndef SIM_OVM_H
#define SIM_OVM_H

#include <stdbool.h>
#include <stdint.h>

#include "ovm.h"

/** One simulated over-voltage monitor. */
struct sim_ovm {
    struct ovm base;         /**< must stay first */
    uint32_t period_ms;      /**< sampling interval (1) */
    uint32_t trip_filter_ms; /**< the comparator's filter: IEC 61851-23's 9 ms (9) */
    bool dead;               /**< fault injection: no new samples */
    uint32_t next_ms;
    struct ovm_reading last;
    uint32_t armed_mv;       /**< 0 = disarmed */
    uint32_t over_since_ms;  /**< above the armed threshold since (0 = not above) */
    uint32_t trips;          /**< latches since start */
};

/** @brief A live monitor sampling every 1 ms, disarmed. */
void sim_ovm_init(struct sim_ovm *d);

/** @brief Advance to @p now_ms with the present output voltage (DC+ to DC-). */
void sim_ovm_tick(struct sim_ovm *d, uint32_t now_ms, int32_t voltage_mv);

#endif /* SIM_OVM_H */
