/**
 * @file imd.h
 * @brief What the insulation-monitor drivers (Bender isoCHA425HV, Dold RN5893) share:
 *        the published values, the health and self-test view, and a small request engine
 *        over hal_modbus that counts attempts and keeps gaps between requests.
 *
 * Facts: ../shared/spec/imd.md. Both drivers are sequencers of single Modbus requests
 * (an `op` enum visible in a debugger), stepped from the superloop with `now_ms`; neither
 * ever waits. Safety note from the sheet: the IMD's own alarm relays belong in the
 * hardware shutdown path; Modbus carries measurement, self-test and configuration only.
 */
#ifndef IMD_H
#define IMD_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"

/** Backstop poll while a request is in flight, in case an I/O wake-up was missed. */
#define IMD_INFLIGHT_BACKSTOP_MS 20u
/** Retry of a submit that met a busy bus (shared RS-485 line). */
#define IMD_BUSY_RETRY_MS 5u

/** Insulation alarm the device itself reports (its own thresholds). */
enum imd_alarm {
    IMD_ALARM_NONE = 0,
    IMD_ALARM_PREWARNING, /**< below the pre-alarm threshold (Bender R1, Dold pre-alarm) */
    IMD_ALARM_ALARM,      /**< below the alarm threshold (Bender R2, Dold alarm) */
};

/** How a value relates to the true value (Bender validity bits, Dold 0xFFFF). */
enum imd_bound {
    IMD_BOUND_EXACT = 0,
    IMD_BOUND_BELOW, /**< the true value is smaller than the one given */
    IMD_BOUND_ABOVE, /**< the true value is bigger (e.g. Dold "> 2 MOhm") */
};

/** One published set of measurements. */
struct imd_values {
    uint32_t resistance_ohm;  /**< R_F, DC+/DC- to PE */
    enum imd_bound r_bound;
    bool voltage_valid;
    int32_t voltage_dv;       /**< DC+ to DC-, 0.1 V */
    bool earth_valid;         /**< Bender only, while measuring */
    int32_t l1e_dv;           /**< DC+ to earth, 0.1 V */
    int32_t l2e_dv;           /**< DC- to earth, 0.1 V */
    enum imd_alarm alarm;
    uint32_t at_ms;           /**< when the set was completed */
    uint32_t seq;             /**< counts published sets */
};

/** Self-test state. */
enum imd_test {
    IMD_TEST_NONE = 0,
    IMD_TEST_RUNNING,
    IMD_TEST_PASSED,
    IMD_TEST_FAILED,
};

/** Why a self-test failed. */
enum imd_test_fail {
    IMD_TF_NONE = 0,
    IMD_TF_TIMEOUT, /**< not finished within the timeout (30 s by default) */
    IMD_TF_DEVICE,  /**< the device reported an error at the end of the test */
    IMD_TF_COMM,    /**< the device stopped answering during the test */
};

/** The worst problem of a device now. */
enum imd_error {
    IMD_ERR_NONE = 0,
    IMD_ERR_COMM,      /**< no (or no well-formed) answer after every attempt */
    IMD_ERR_EXCEPTION, /**< the device refused a request with a Modbus exception */
    IMD_ERR_DEVICE,    /**< the device reports its own fault (it cannot monitor) */
    IMD_ERR_MALFORMED, /**< a reply carried values outside the register definition */
};

/** Everything a caller may look at (filled by imd_bender_status() / imd_dold_status()). */
struct imd_status {
    bool ready;              /**< configured and answering */
    bool measuring;          /**< the caller asked for measurements (start) */
    bool published;          /**< `values` is a set taken under the publishing rules */
    struct imd_values values;
    enum imd_error error;
    uint16_t device_code;    /**< IMD_ERR_DEVICE: Bender channel code / Dold fault register */
    uint8_t exception;       /**< IMD_ERR_EXCEPTION: the Modbus exception code */
    bool malformed;          /**< the latest cycle had a malformed value (may coexist) */
    uint32_t malformed_count;
    enum imd_test test;
    enum imd_test_fail test_fail;
    uint32_t comm_failures;  /**< requests that failed after every attempt */
};

/** The request engine of one device. Only imd.c touches the fields. */
struct imd_bus {
    struct hal_modbus *mb;
    uint8_t unit;
    uint32_t timeout_ms;      /**< per attempt */
    uint8_t attempts;         /**< tries per request */
    uint32_t retry_delay_ms;  /**< between attempts */
    struct hal_modbus_req req;
    bool active;              /**< a request is being worked on */
    bool in_flight;           /**< submitted to the port */
    uint8_t attempt;
    uint32_t wait_until_ms;
    uint8_t exception;        /**< of the last failure */
    uint32_t requests;        /**< completed successfully */
    uint32_t failures;        /**< failed after every attempt */
};

/** @brief Set up the engine (no request yet). */
void imd_bus_init(struct imd_bus *b, struct hal_modbus *mb, uint8_t unit, uint32_t timeout_ms,
                  uint8_t attempts, uint32_t retry_delay_ms);

/**
 * @brief Queue one request; it is submitted by imd_bus_step() at @p not_before_ms or later.
 *        @p regs must stay valid until the request completes.
 */
void imd_bus_request(struct imd_bus *b, enum hal_modbus_fn fn, uint16_t addr, uint16_t count,
                     uint16_t *regs, uint32_t not_before_ms);

/**
 * @brief Work on the queued request.
 * @retval HAL_OK completed; the reply is in the caller's buffer
 * @retval HAL_EAGAIN still running (or waiting for its time / a retry)
 * @retval HAL_ESTATE nothing queued
 * @retval HAL_ETIMEDOUT no answer after every attempt
 * @retval HAL_EPROTO an exception (imd_bus_exception() != 0) or a malformed reply
 * @retval HAL_EIO / HAL_EINVAL / HAL_ENOTSUP the port refused the request
 */
int imd_bus_step(struct imd_bus *b, uint32_t now_ms);

/** @brief Exception code of the last failure (0 = none: a timeout or a bad reply). */
uint8_t imd_bus_exception(const struct imd_bus *b);

/** @brief When the engine wants to run again (only meaningful while a request is active). */
uint32_t imd_bus_next(const struct imd_bus *b, uint32_t now_ms);

/** @brief True while a request is queued or in flight. */
bool imd_bus_active(const struct imd_bus *b);

/** @brief IEEE-754 binary32 from two registers, high word first (Bender channels). */
float imd_float_hi_first(const uint16_t *w);

/** @brief Store a float as two registers, high word first (emulators and tests). */
void imd_put_float_hi_first(uint16_t *w, float v);

/** @brief "none", "no answer", ... */
const char *imd_error_name(enum imd_error e);

/** @brief "none", "running", "passed", "failed". */
const char *imd_test_name(enum imd_test t);

/** @brief "none", "timeout", "device error", "no answer". */
const char *imd_test_fail_name(enum imd_test_fail f);

#endif /* IMD_H */
