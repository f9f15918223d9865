/**
 * @file imd_dold.h
 * @brief Dold RN5893 (VARIMETER IMD) insulation monitor over hal_modbus.
 *
 * Start-up (and every re-configuration): control word = reset; read holding 2000..2010
 * and write them back with one FC16 only if something differs (EEPROM wear; 2004 is left
 * as read); Modbus watchdog release + timeout (holding 1..2, ms); control word = reset,
 * then the normal control word (bit 8 = measurement off). Run, every `poll_ms`: input
 * 0..1 (fault, state); with the watchdog on, rewrite release + timeout (so the device
 * hears from us well inside its 2..10 s timeout); input 2000..2002 only when the state
 * is 1, 6 or 7, the fault register is 0 and values are wanted. Fault 9 (the watchdog
 * tripped: the device then answers only reads and reset writes) -> reset and configure
 * again at once; any other fault -> IMD_ERR_DEVICE, re-configured (with a reset) every
 * `fault_retry_ms` while it lasts. Self-test: control word bit 4; wait for state 3, then
 * for it to leave 3 (or 4); PASS when the fault register reads 0; FAILED after
 * `selftest_timeout_ms`. The control word is not touched while a test runs.
 */
#ifndef IMD_DOLD_H
#define IMD_DOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"
#include "imd/imd.h"

/* Input registers (FC04). */
#define IMD_DOLD_IN_FAULT 0u
#define IMD_DOLD_IN_STATE 1u
#define IMD_DOLD_IN_VALUES 2000u /**< resistance (100 Ohm), unused, voltage (V) */
/* Holding registers. */
#define IMD_DOLD_HR_CONTROL 0u
#define IMD_DOLD_HR_WD_RELEASE 1u
#define IMD_DOLD_HR_WD_TIMEOUT 2u
#define IMD_DOLD_HR_CONFIG 2000u
#define IMD_DOLD_CONFIG_WORDS 11u
/* Control word bits. */
#define IMD_DOLD_CTRL_RESET 0x0001u
#define IMD_DOLD_CTRL_SELFTEST 0x0010u
#define IMD_DOLD_CTRL_MEAS_OFF 0x0100u
/* Fault register values. */
#define IMD_DOLD_FAULT_WATCHDOG 9u
/* Device states. */
#define IMD_DOLD_ST_INIT 0u
#define IMD_DOLD_ST_MEASURING 1u
#define IMD_DOLD_ST_ERROR 2u
#define IMD_DOLD_ST_SELFTEST 3u
#define IMD_DOLD_ST_EXT_TEST 4u
#define IMD_DOLD_ST_STOPPED 5u
#define IMD_DOLD_ST_ALARM 6u
#define IMD_DOLD_ST_PREALARM 7u

/** When the device measures and when values are published. */
enum imd_dold_mode {
    IMD_DOLD_MODE_STANDARD = 0, /**< measure and publish only between start and stop */
    IMD_DOLD_MODE_KEEP,         /**< always measure (relays alarm), publish between start and stop */
    IMD_DOLD_MODE_ALWAYS,       /**< always measure and publish */
};

/** Configuration (defaults from imd_dold_config_default()). */
struct imd_dold_config {
    uint8_t unit;                 /**< 1..247 (1) */
    uint32_t timeout_ms;          /**< per attempt (500) */
    uint8_t attempts;             /**< 1..5 (2) */
    uint32_t retry_delay_ms;      /**< (100) */
    uint32_t poll_ms;             /**< 200..1000 (1000): also the watchdog refresh */
    uint32_t read_gap_ms;         /**< between requests (10) */
    uint32_t fault_retry_ms;      /**< (10000) */
    uint32_t selftest_timeout_ms; /**< (30000) */
    uint32_t selftest_poll_ms;    /**< state reads while a test runs (250) */
    enum imd_dold_mode mode;
    bool watchdog;                /**< Modbus watchdog (true) */
    uint8_t watchdog_s;           /**< 2..10 (3), and at least 2 x poll_ms */
    uint16_t broken_wire;         /**< 2000: 1 on, 2 off, 4 only in self-test (1) */
    uint16_t latch;               /**< 2001 (0) */
    uint16_t relay_mode;          /**< 2002: 0 fail-safe (0) */
    uint16_t network;             /**< 2003: 1 AC, 2 DC, 4 3NAC (2) */
    uint16_t alarm_kohm;          /**< 2005: 1..500 (100) */
    uint16_t prealarm_kohm;       /**< 2006: alarm..500 (250) */
    uint16_t coupling;            /**< 2007: 1 none, 2 RP5898 (1) */
    uint16_t k1_function;         /**< 2008 one-hot (0x08: alarm or device fault) */
    uint16_t k2_function;         /**< 2009 one-hot (0x08: pre-alarm or device fault) */
    uint16_t auto_selftest;       /**< 2010: must be 0 for UL 2231 (0) */
};

/** Internal step (visible for the debugger and the tests). */
enum imd_dold_op {
    IMD_DOLD_OP_IDLE = 0,
    IMD_DOLD_OP_RESET_FIRST, /**< control = reset, so a tripped watchdog accepts the rest */
    IMD_DOLD_OP_CFG_READ,
    IMD_DOLD_OP_CFG_WRITE,
    IMD_DOLD_OP_WD_SETUP,
    IMD_DOLD_OP_RESET,
    IMD_DOLD_OP_CTRL,
    IMD_DOLD_OP_STATUS,
    IMD_DOLD_OP_WD,
    IMD_DOLD_OP_VALUES,
    IMD_DOLD_OP_TEST,
};

/** Driver phases. */
enum imd_dold_phase {
    IMD_DOLD_PH_CONFIG = 0,
    IMD_DOLD_PH_RUN,
    IMD_DOLD_PH_COMM_FAULT, /**< waiting fault_retry_ms, then configure again */
};

/** One device. Only imd_dold.c touches the fields. */
struct imd_dold {
    struct imd_dold_config cfg;
    struct imd_bus bus;
    enum imd_dold_phase phase;
    enum imd_dold_op op;
    uint16_t io[IMD_DOLD_CONFIG_WORDS];
    uint16_t want[IMD_DOLD_CONFIG_WORDS];
    bool cfg_written;             /**< the last configuration needed an EEPROM write */
    uint32_t cfg_writes;          /**< EEPROM block writes so far */
    uint16_t ctrl_written;        /**< control word last written (0xFFFF = unknown) */
    uint16_t fault, state;        /**< of the last status read */
    uint32_t next_poll_ms;
    uint32_t fault_until_ms;
    uint32_t device_retry_ms;     /**< next re-configuration while a device fault lasts */
    uint32_t wd_refreshes;
    uint32_t wd_recoveries;       /**< fault 9 seen and cleared */
    bool measuring;
    bool test_requested;
    bool test_seen;
    bool skip_round;
    bool exc_recovering;          /**< one immediate re-configuration after a refused write */
    uint32_t test_deadline_ms;
    enum imd_test test;
    enum imd_test_fail test_fail;
    struct imd_status st;
    uint32_t seq;
};

/** @brief Defaults of the sheet (see struct imd_dold_config). */
void imd_dold_config_default(struct imd_dold_config *cfg);

/**
 * @brief Set up; configuration starts on the first step.
 * @retval HAL_OK ready
 * @retval HAL_EINVAL a value out of range (thresholds 1..500 with alarm <= pre-alarm,
 *         watchdog 2..10 s and at least twice the poll interval, one-hot relay functions)
 */
int imd_dold_init(struct imd_dold *d, struct hal_modbus *mb, const struct imd_dold_config *cfg);

/** @brief Advance. @return when to run again (it must also run on Modbus I/O). */
uint32_t imd_dold_step(struct imd_dold *d, uint32_t now_ms);

/** @brief Start measuring and publishing. @retval HAL_OK */
int imd_dold_start(struct imd_dold *d);

/** @brief Stop publishing (standard mode: measurement off). @retval HAL_OK */
int imd_dold_stop(struct imd_dold *d);

/**
 * @brief Begin a self-test (as soon as the device is configured).
 * @retval HAL_OK accepted
 * @retval HAL_EBUSY a self-test is already running
 */
int imd_dold_self_test(struct imd_dold *d, uint32_t now_ms);

/** @brief Health, self-test and the latest published values (copied to @p out). */
void imd_dold_status(const struct imd_dold *d, struct imd_status *out);

/** @brief Name of a fault-register value ("broken wire L+/L-", ...). */
const char *imd_dold_fault_name(uint16_t fault);

#endif /* IMD_DOLD_H */
