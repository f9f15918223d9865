/**
 * @file imd_bender.h
 * @brief Bender isoCHA425HV (isoEV family) insulation monitor over hal_modbus (RTU,
 *        19200 8E1, address 3 by default).
 *
 * Start-up: read the device name and the ident block (firmware > 5.00 gets the fast
 * cable-check self-test, 3021 = 3), then write every configuration register alone with
 * FC16, `write_gap_ms` (20 ms) apart. Run: every `poll_ms` read R_F (1000), then U_n
 * (1008), and while measuring with no test running U_L1E/U_L2E (1016, 8 registers),
 * `read_gap_ms` (10 ms) between reads. Values are published only while the caller
 * measures, no test bits are set and no device error is reported; a field whose validity
 * is "invalid" is left out. Device error (alarm code 2 with test bits 0) -> IMD_ERR_DEVICE,
 * polled every `fault_retry_ms`; when it clears, one round is skipped and the
 * configuration is written again. A request that fails after every attempt ->
 * IMD_ERR_COMM, the device is re-configured after `fault_retry_ms`.
 * Self-test: 8005 = 0x5445 ("TE"); running while the test bits read "external test";
 * PASS when they return to 0 without "device error"; FAILED after `selftest_timeout_ms`.
 * With `disable_on_stop`, 3026 = 0 on stop, 1 on start and for a self-test, and the
 * device is disabled again `disable_delay_ms` after a self-test with no measurement.
 */
#ifndef IMD_BENDER_H
#define IMD_BENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"
#include "imd/imd.h"

/* Register addresses (0-based, as sent). */
#define IMD_BENDER_REG_RF 1000u
#define IMD_BENDER_REG_UN 1008u
#define IMD_BENDER_REG_ULE 1016u /**< U_L1E at 1016, U_L2E at 1020: one block of 8 */
#define IMD_BENDER_REG_NAME 9800u
#define IMD_BENDER_REG_IDENT 9820u
#define IMD_BENDER_REG_TEST_MODE 3021u
#define IMD_BENDER_REG_ENABLE 3026u
#define IMD_BENDER_REG_COMMAND 8005u
#define IMD_BENDER_CMD_SELFTEST 0x5445u /**< "TE" */

/* Channel status word (+2): high byte alarm (bits 2..0) and test (7..6), low byte unit
 * (4..0) and validity (7..6). */
#define IMD_BENDER_ALARM_NONE 0u
#define IMD_BENDER_ALARM_PREWARN 1u
#define IMD_BENDER_ALARM_DEVICE_ERROR 2u
#define IMD_BENDER_ALARM_WARNING 4u
#define IMD_BENDER_ALARM_ALARM 5u
#define IMD_BENDER_TEST_EXTERNAL 2u
#define IMD_BENDER_UNIT_OHM 2u
#define IMD_BENDER_UNIT_VOLT 4u
#define IMD_BENDER_VALIDITY_INVALID 3u

/** Most configuration writes of the start-up sequence. */
#define IMD_BENDER_CFG_MAX 24u

/** Configuration (defaults from imd_bender_config_default(): EVerest's). */
struct imd_bender_config {
    uint8_t unit;                 /**< 1..247 (3) */
    uint32_t timeout_ms;          /**< per attempt (500) */
    uint8_t attempts;             /**< 1..5 (2) */
    uint32_t retry_delay_ms;      /**< (100) */
    uint32_t poll_ms;             /**< 200..10000 (1000) */
    uint32_t read_gap_ms;         /**< between reads (10) */
    uint32_t write_gap_ms;        /**< between configuration writes (20) */
    uint32_t fault_retry_ms;      /**< while a fault persists (10000) */
    uint32_t selftest_timeout_ms; /**< (30000) */
    uint32_t selftest_poll_ms;    /**< R_F reads while a test runs (250) */
    uint32_t disable_delay_ms;    /**< disable after a lone self-test (10000) */
    uint16_t r1_prealarm_kohm;    /**< 15..600 (250) */
    uint16_t r2_alarm_kohm;       /**< below r1 (100) */
    bool earth_voltage_alarm;     /**< 3000 (false) */
    bool undervoltage_alarm;      /**< 3008 (false) */
    uint16_t undervoltage_v;      /**< 3009 (30) */
    bool overvoltage_alarm;       /**< 3010 (false) */
    uint16_t overvoltage_v;       /**< 3011 (1050) */
    bool alarm_memory;            /**< 3012 (false) */
    uint8_t relay1_mode;          /**< 3013: 0 NO, 1 NC (0) */
    uint8_t relay2_mode;          /**< 3014 (0) */
    uint16_t relay_on_delay;      /**< 3019 (5) */
    uint16_t relay_off_delay;     /**< 3020 (5) */
    bool chademo;                 /**< 3023 (false = CCS) */
    bool grid_test;               /**< 3024 (false) */
    bool selftest_at_startup;     /**< 3025 (true; forced false with disable_on_stop) */
    uint16_t relay1_alarms;       /**< 3027 bitmask (0) */
    uint16_t relay2_alarms;       /**< 3028 bitmask (0) */
    bool disable_on_stop;         /**< 3026 follows start/stop (false) */
};

/** Internal step (visible for the debugger and the tests). */
enum imd_bender_op {
    IMD_BENDER_OP_IDLE = 0,
    IMD_BENDER_OP_NAME,
    IMD_BENDER_OP_IDENT,
    IMD_BENDER_OP_CONFIG,  /**< one configuration register, index cfg_idx */
    IMD_BENDER_OP_RF,
    IMD_BENDER_OP_UN,
    IMD_BENDER_OP_ULE,
    IMD_BENDER_OP_ENABLE,  /**< 3026 = enable_wanted */
    IMD_BENDER_OP_TEST,    /**< 8005 = "TE" */
};

/** Driver phases. */
enum imd_bender_phase {
    IMD_BENDER_PH_CONFIG = 0, /**< identification and configuration writes */
    IMD_BENDER_PH_RUN,
    IMD_BENDER_PH_COMM_FAULT, /**< waiting fault_retry_ms, then configure again */
};

/** One decoded measurement channel. */
struct imd_bender_channel {
    float value;
    uint8_t alarm;    /**< bits 2..0 */
    uint8_t test;     /**< bits 7..6 */
    uint8_t unit;     /**< bits 4..0 */
    uint8_t validity; /**< bits 7..6 */
    uint16_t code;    /**< channel description */
};

/** One device. Only imd_bender.c touches the fields. */
struct imd_bender {
    struct imd_bender_config cfg;
    struct imd_bus bus;
    enum imd_bender_phase phase;
    enum imd_bender_op op;
    uint16_t io[12];
    char name[21];
    uint16_t fw_version;          /**< 500 = 5.00 */
    uint16_t cfg_addr[IMD_BENDER_CFG_MAX];
    uint16_t cfg_val[IMD_BENDER_CFG_MAX];
    uint8_t cfg_n, cfg_idx;
    uint32_t next_poll_ms;
    uint32_t fault_until_ms;
    /* caller's wishes */
    bool measuring;
    bool test_requested;
    bool enable_wanted;           /**< 3026 value we want (disable_on_stop) */
    bool enable_written;          /**< 3026 value on the device */
    uint32_t disable_at_ms;       /**< 0 = no pending disable */
    /* cycle */
    struct imd_bender_channel rf, un, l1e, l2e;
    bool cycle_malformed;
    bool skip_round;
    /* self-test */
    enum imd_test test;
    enum imd_test_fail test_fail;
    bool test_seen;               /**< the test bits showed "external test" */
    uint32_t test_deadline_ms;
    /* published */
    struct imd_status st;
    uint32_t seq;
};

/** @brief EVerest's defaults (see struct imd_bender_config). */
void imd_bender_config_default(struct imd_bender_config *cfg);

/**
 * @brief Set up; identification and configuration start on the first step.
 * @retval HAL_OK ready
 * @retval HAL_EINVAL a value out of range (thresholds 15..600 kOhm with R2 < R1, unit,
 *         attempts, intervals)
 */
int imd_bender_init(struct imd_bender *d, struct hal_modbus *mb, const struct imd_bender_config *cfg);

/** @brief Advance. @return when to run again (it must also run on Modbus I/O). */
uint32_t imd_bender_step(struct imd_bender *d, uint32_t now_ms);

/**
 * @brief Start publishing measurements (cable check, charging).
 * @retval HAL_OK (also when already measuring)
 */
int imd_bender_start(struct imd_bender *d);

/** @brief Stop publishing (and with disable_on_stop switch measurement off). @retval HAL_OK */
int imd_bender_stop(struct imd_bender *d);

/**
 * @brief Begin a self-test; it runs as soon as the device is configured.
 * @retval HAL_OK accepted; watch imd_bender_status()->test
 * @retval HAL_EBUSY a self-test is already running
 */
int imd_bender_self_test(struct imd_bender *d, uint32_t now_ms);

/** @brief Health, self-test and the latest published values (copied to @p out). */
void imd_bender_status(const struct imd_bender *d, struct imd_status *out);

/** @brief Decode a 4-register channel. */
void imd_bender_decode_channel(const uint16_t *w, struct imd_bender_channel *out);

/** @brief Device name read at start-up ("" until read). */
const char *imd_bender_name(const struct imd_bender *d);

#endif /* IMD_BENDER_H */
