/**
 * @file sim_imd.h
 * @brief The simulator board's insulation monitor: a Bender isoCHA425HV register model
 *        (sim_imd_dev) on an in-memory Modbus bus (sim_modbus), read by the REAL driver
 *        (protocols/imd + firmware/isolation_imd.c) exactly as on a board. Host-only.
 *
 * The board hands the charger sim_imd_port(): the firmware's own adapter, not a stand-in.
 * The plant feeds the DC voltage each millisecond (sim_imd_tick()), which the driver reads
 * back as the monitor's voltage channel. Faults are injected into the device: a low
 * resistance, a device fault (the alarm register says "device error"), no answer (the unit
 * falls silent on the bus: the driver times out), a failing self-test.
 */
#ifndef SIM_IMD_H
#define SIM_IMD_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_log.h"
#include "isolation_imd.h"
#include "isolation.h"
#include "sched.h"
#include "sim_imd_dev.h"
#include "sim_modbus.h"

/** Faults the simulated device can be given. */
enum sim_imd_fault {
    SIM_IMD_FAULT_NONE = 0,
    SIM_IMD_FAULT_DEVICE,   /**< the device reports it cannot monitor */
    SIM_IMD_FAULT_NO_ANSWER,
    SIM_IMD_FAULT_SELFTEST, /**< the next self-tests fail */
};

/** One simulated insulation monitor with the firmware's driver for it. */
struct sim_imd {
    struct sim_modbus bus;
    struct sim_imd_dev dev;             /**< the device (survives a power loss of the firmware) */
    struct isolation_imd_bender drv;    /**< the firmware's driver (restarted with it) */
    struct isolation_limits lim;
    struct hal_log *log;
    char name[16];                      /**< the connector, for the log */
    bool io_pending;                    /**< an answer became due: wake the loop for I/O */
    uint32_t tests;                     /**< self-tests the device ran */
    bool was_testing;
    uint32_t fault_retry_ms;            /**< the driver's re-read of a faulted device (1000) */
};

/** Self-test duration of the simulated device, ms: with the driver's self-test polls
 *  (every 250 ms) and its first measurement after the test, the cable check's isolation
 *  phase lasts about as long as with the simulator's former interface-level monitor. */
#ifndef SIM_IMD_TEST_MS
#define SIM_IMD_TEST_MS 1600u
#endif

/** Modbus round trip of the simulated RS-485 line (19200 Bd, short frames), ms. */
#define SIM_IMD_LATENCY_MS 10u

/** @brief The device: 10 MOhm, a 2 s self-test, no fault; @p lim NULL for the defaults. */
void sim_imd_init(struct sim_imd *d, const struct isolation_limits *lim, struct hal_log *log,
                  const char *name);

/** @brief (Re)start the firmware's driver and add its task (boot, or power back). */
int sim_imd_start(struct sim_imd *d, struct sched *s, uint32_t now_ms);

/** @brief The isolation monitor the charger uses: the real driver's adapter. */
struct isolation *sim_imd_port(struct sim_imd *d);

/** @brief Advance to @p now_ms with the present DC voltage (DC+ to DC-). */
void sim_imd_tick(struct sim_imd *d, uint32_t now_ms, int32_t voltage_mv);

/** @brief Set the insulation resistance (the device measures it from now on). */
void sim_imd_set_resistance(struct sim_imd *d, uint32_t ohm);

/** @brief Inject a fault (SIM_IMD_FAULT_NONE clears it). */
void sim_imd_set_fault(struct sim_imd *d, enum sim_imd_fault f);

#endif /* SIM_IMD_H */
