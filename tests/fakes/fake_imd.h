/**
 * @file fake_imd.h
 * @brief A Bender isoCHA425HV or a Dold RN5893 played on a fake_modbus register map:
 *        measurement channels, configuration, self-test with a duration, device faults,
 *        and (Dold) the Modbus watchdog that trips fault 9 and then refuses every write
 *        except a reset. Time comes from fake_imd_tick(); nothing reads a clock.
 *
 * The same devices are modelled again in the host-only simulation layer
 * (sim/sim_imd_dev.[ch], on sim_modbus, for the simulator and tools/imdsim). This one stays
 * because the driver unit tests that use it are also built for the Cortex-M target, where
 * sim/ is never built, and it adds what only those tests need: fake_modbus's request log,
 * per-address exceptions and latency, malformed values (NaN R_F, status and state
 * overrides), a hanging or ignored self-test, write counters. Merging the two needs a
 * bus-neutral register core that both the tests layer and sim/ may include (not done).
 */
#ifndef FAKE_IMD_H
#define FAKE_IMD_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_modbus.h"

enum fake_imd_kind {
    FAKE_IMD_BENDER = 0,
    FAKE_IMD_DOLD,
};

struct fake_imd {
    struct fake_modbus *mb;
    enum fake_imd_kind kind;
    uint32_t now_ms;
    float resistance_ohm;
    float voltage_v;
    float l1e_v, l2e_v;
    /* self-test */
    uint32_t test_ms;         /**< duration (5000) */
    bool test_fails;          /**< a device fault at the end of the test */
    bool test_hangs;          /**< never ends */
    bool test_ignored;        /**< the command does nothing */
    bool testing;
    uint32_t test_end_ms;
    uint32_t tests_started;
    /* faults */
    bool device_fault;        /**< Bender: alarm "device error"; Dold: fault_code */
    uint16_t fault_code;      /**< Dold fault register when device_fault (1 = broken wire) */
    bool fault_latched;       /**< Dold: a reset does not clear device_fault */
    /* Bender */
    uint16_t fw_version;      /**< 501 */
    bool enabled;             /**< 3026 */
    uint16_t rf_status_override; /**< non-zero: the R_F status word (+2) as given */
    bool rf_nan;              /**< R_F value is NaN */
    uint32_t config_writes;   /**< writes to 3000..3028 */
    /* Dold */
    uint16_t ctrl;            /**< last control word */
    uint32_t resets;          /**< control writes with bit 0 */
    uint32_t eeprom_writes;   /**< FC16 blocks to 2000.. */
    uint32_t wd_trips;
    uint32_t last_heard_ms;
    uint32_t refused_writes;  /**< writes refused while fault 9 */
    uint16_t state_override;  /**< non-zero: the state register as given (malformed tests) */
};

/** @brief A device with 1 MOhm, 400 V, no fault; Bender at unit 3, Dold at unit 1. */
void fake_imd_init(struct fake_imd *d, struct fake_modbus *mb, enum fake_imd_kind kind);

/** @brief Advance the device to @p now_ms (self-test end, watchdog) and refresh its registers. */
void fake_imd_tick(struct fake_imd *d, uint32_t now_ms);

/** @brief The Dold fault register now. */
uint16_t fake_imd_dold_fault(const struct fake_imd *d);

#endif /* FAKE_IMD_H */
