/**
 * @file sim_imd.h
 * @brief The simulator board's insulation monitor: the firmware's isolation-monitor
 *        interface (isolation.h) in memory.
 *
 * A configurable insulation resistance, a measurement every `period_ms` while measuring
 * (the DC voltage comes from the plant through sim_imd_tick()), a self-test that takes
 * `test_ms` and publishes nothing meanwhile, and faults: device fault (DeviceFault, no
 * values), no answer (CommunicationFault), self-test failure. Status and errors follow
 * the same rules as the Bender/Dold adapters (isolation_classify(), EVerest names).
 */
#ifndef SIM_IMD_H
#define SIM_IMD_H

#include <stdbool.h>
#include <stdint.h>

#include "isolation.h"

/** Faults the simulated device can be given. */
enum sim_imd_fault {
    SIM_IMD_FAULT_NONE = 0,
    SIM_IMD_FAULT_DEVICE,   /**< the device reports it cannot monitor */
    SIM_IMD_FAULT_NO_ANSWER,
    SIM_IMD_FAULT_SELFTEST, /**< the next self-tests fail */
};

/** One simulated insulation monitor. */
struct sim_imd {
    struct isolation base; /**< must stay first */
    struct isolation_limits lim;
    uint32_t now_ms;
    uint32_t resistance_ohm;
    int32_t voltage_mv;
    uint32_t period_ms;     /**< measurement interval (1000) */
    uint32_t test_ms;       /**< self-test duration (2000) */
    enum sim_imd_fault fault;
    bool measuring;
    bool have;              /**< a measurement was taken since start */
    struct isolation_measurement last;
    uint32_t next_ms;
    uint32_t seq;
    enum isolation_test test;
    uint32_t test_end_ms;
    uint32_t tests;         /**< self-tests run */
};

/** @brief 10 MOhm, no fault; @p lim NULL for isolation_limits_default(). */
void sim_imd_init(struct sim_imd *d, const struct isolation_limits *lim);

/** @brief Advance to @p now_ms with the present DC voltage (DC+ to DC-). */
void sim_imd_tick(struct sim_imd *d, uint32_t now_ms, int32_t voltage_mv);

/** @brief Set the insulation resistance (takes effect at the next measurement). */
void sim_imd_set_resistance(struct sim_imd *d, uint32_t ohm);

/** @brief Inject a fault (SIM_IMD_FAULT_NONE clears it). */
void sim_imd_set_fault(struct sim_imd *d, enum sim_imd_fault f);

#endif /* SIM_IMD_H */
