/**
 * @file sim_imd_dev.h
 * @brief Register-level models of the Bender isoCHA425HV and the Dold RN5893 insulation
 *        monitors on a sim_modbus slave (register maps: ../shared/spec/imd*.md,
 *        protocols/imd/): measurement channels, configuration, a self-test with a duration,
 *        device faults, and (Dold) the Modbus watchdog that trips fault 9 and then refuses
 *        every write except a reset. Host-only simulation layer.
 *
 * Used by the simulator board (the real protocols/imd drivers read it through sim_modbus)
 * and by tools/imdsim (the same model served to real masters over RTU or TCP). Time comes
 * from sim_imd_dev_tick() and the bus; nothing here reads a clock. The driver unit tests
 * use their own model, tests/fakes/fake_imd.h (which says why there are two).
 */
#ifndef SIM_IMD_DEV_H
#define SIM_IMD_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_modbus.h"

enum sim_imd_kind {
    SIM_IMD_BENDER = 0,
    SIM_IMD_DOLD,
};

struct sim_imd_dev {
    struct sim_mb_slave slave; /**< the device on its bus (unit 3 Bender, 1 Dold) */
    enum sim_imd_kind kind;
    uint32_t now_ms;
    float resistance_ohm;
    float voltage_v;          /**< DC+ to DC-; the simulator board feeds the plant's output */
    float l1e_v, l2e_v;
    /* self-test */
    uint32_t test_ms;         /**< duration (5000) */
    bool test_fails;          /**< a device fault at the end of the test */
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
    /* Dold */
    uint16_t ctrl;            /**< last control word */
    uint32_t resets;
    uint32_t wd_trips;
    uint32_t last_heard_ms;
    uint32_t refused_writes;  /**< writes refused while fault 9 */
};

/** @brief A device with 1 MOhm, 400 V, no fault, a 5 s self-test. */
void sim_imd_dev_init(struct sim_imd_dev *d, enum sim_imd_kind kind);

/** @brief Advance the device to @p now_ms (self-test end, watchdog) and refresh its registers. */
void sim_imd_dev_tick(struct sim_imd_dev *d, uint32_t now_ms);

/** @brief The Dold fault register now. */
uint16_t sim_imd_dev_dold_fault(const struct sim_imd_dev *d);

#endif /* SIM_IMD_DEV_H */
