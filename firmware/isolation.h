/**
 * @file isolation.h
 * @brief The isolation-monitor interface of the firmware (EVerest `isolation_monitor`):
 *        start/stop measuring, self-test, the latest resistance with its validity and an
 *        IEC 61851-23 / ISO 15118 isolation status, and errors with severities.
 *
 * Implemented by the Bender and Dold adapters (isolation_imd.c) and by the simulator's
 * in-memory device (board/sim/sim_imd.c). Every operation returns at once; the self-test
 * result is collected later with isolation_self_test_result().
 *
 * Status (the isolationLevel of DIN 70121 / ISO 15118 CableCheck): INVALID while no
 * value is published (not measuring, self-test running, device fault, stale or invalid
 * value); otherwise from the resistance against the rated voltage, R > 500 Ohm/V VALID,
 * 100 < R <= 500 Ohm/V WARNING, R <= 100 Ohm/V FAULT, raised to the device's own alarm
 * (pre-alarm -> at least WARNING, alarm -> FAULT). An insulation fault is a status, never
 * an error (EVerest: "do not report isolation faults as errors").
 */
#ifndef ISOLATION_H
#define ISOLATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Isolation status (ISO 15118 isolationLevelType without No_IMD). */
enum isolation_status {
    ISOLATION_INVALID = 0,
    ISOLATION_VALID,
    ISOLATION_WARNING,
    ISOLATION_FAULT,
};

/** Alarm the device itself signals (its own thresholds). */
enum isolation_device_alarm {
    ISOLATION_ALARM_NONE = 0,
    ISOLATION_ALARM_PREWARNING,
    ISOLATION_ALARM_ALARM,
};

/** Error types: exactly EVerest's `isolation_monitor` error list. */
enum isolation_error_type {
    ISOLATION_ERR_DEVICE_FAULT = 0,    /**< the device can no longer monitor */
    ISOLATION_ERR_COMMUNICATION_FAULT,
    ISOLATION_ERR_VENDOR_ERROR,
    ISOLATION_ERR_VENDOR_WARNING,      /**< the only type that lets a session continue */
    ISOLATION_ERR_COUNT,
};

/** Severity of an active error: the reaction the device asks for while energised (the
 *  charger keeps it as reported; with nothing energised every error is only logged). */
enum isolation_severity {
    ISOLATION_SEV_LOW = 0,
    ISOLATION_SEV_MEDIUM,
    ISOLATION_SEV_HIGH,
};

/** One active error. A type appears at most once. */
struct isolation_error {
    enum isolation_error_type type;
    enum isolation_severity severity;
    uint32_t vendor_code; /**< device detail: fault register, channel code, exception */
};

/** Self-test state. */
enum isolation_test {
    ISOLATION_TEST_NONE = 0, /**< never asked */
    ISOLATION_TEST_RUNNING,
    ISOLATION_TEST_PASSED,
    ISOLATION_TEST_FAILED,
};

/** The latest measurement (EVerest's isolation_measurement plus validity and status). */
struct isolation_measurement {
    bool valid;               /**< a fresh value taken under the publishing rules */
    uint32_t resistance_ohm;  /**< R_F, DC+/DC- to PE */
    bool resistance_lower_bound; /**< the true value is at least this (e.g. "> 2 MOhm") */
    bool voltage_valid;
    int32_t voltage_dv;       /**< DC+ to DC-, 0.1 V */
    bool earth_valid;
    int32_t l1e_dv;           /**< DC+ to earth, 0.1 V */
    int32_t l2e_dv;           /**< DC- to earth, 0.1 V */
    enum isolation_device_alarm alarm;
    enum isolation_status status;
    uint32_t at_ms;           /**< when taken */
    uint32_t seq;             /**< changes with every new value */
};

/** Limits used to classify a resistance. */
struct isolation_limits {
    uint32_t rated_voltage_v;  /**< highest output voltage of the charger (1000) */
    uint32_t warning_ohm_per_v; /**< at or below: WARNING (500) */
    uint32_t fault_ohm_per_v;   /**< at or below: FAULT (100) */
    uint32_t stale_ms;          /**< a value older than this is INVALID (3000) */
};

/** Most errors one device reports at once. */
#define ISOLATION_ERRORS_MAX ISOLATION_ERR_COUNT

struct isolation;

/** Operations of an isolation monitor. start, stop and read are mandatory; an optional one
 *  left NULL answers HAL_ENOTSUP through its wrapper (the convention of psu.h). */
struct isolation_ops {
    /** @see isolation_start */
    int (*start)(struct isolation *m, uint32_t now_ms);
    /** @see isolation_stop */
    int (*stop)(struct isolation *m, uint32_t now_ms);
    /** @see isolation_self_test (optional) */
    int (*self_test)(struct isolation *m, uint32_t test_voltage_v, uint32_t now_ms);
    /** @see isolation_self_test_result (optional, with self_test) */
    enum isolation_test (*self_test_result)(struct isolation *m);
    /** @see isolation_read */
    int (*read)(struct isolation *m, struct isolation_measurement *out, uint32_t now_ms);
    /** @see isolation_get_errors (optional) */
    int (*get_errors)(struct isolation *m, struct isolation_error *out, size_t max, size_t *count);
};

/** An isolation-monitor instance. Implementations embed it first in their own struct. */
struct isolation {
    const struct isolation_ops *ops;
};

/**
 * @brief Start recurring measurements (cable check, then charging).
 * @retval HAL_OK measuring (values follow at the device's interval)
 */
static inline int isolation_start(struct isolation *m, uint32_t now_ms)
{
    return m->ops->start(m, now_ms);
}

/**
 * @brief Stop measuring and publishing.
 * @retval HAL_OK
 */
static inline int isolation_stop(struct isolation *m, uint32_t now_ms)
{
    return m->ops->stop(m, now_ms);
}

/**
 * @brief Begin the device's self-test (during CableCheck, with DC voltage present).
 * @param test_voltage_v the voltage applied now (informational; may be used to check
 *        the device's own voltage measurement)
 * @retval HAL_OK started; isolation_self_test_result() reports RUNNING until it ends
 * @retval HAL_EBUSY a self-test is already running
 * @retval HAL_ENOTSUP the device has no self-test
 */
static inline int isolation_self_test(struct isolation *m, uint32_t test_voltage_v, uint32_t now_ms)
{
    return m->ops->self_test != NULL ? m->ops->self_test(m, test_voltage_v, now_ms) : HAL_ENOTSUP;
}

/** @brief State of the last self-test (NONE, RUNNING, PASSED, FAILED); NONE without a self-test. */
static inline enum isolation_test isolation_self_test_result(struct isolation *m)
{
    return m->ops->self_test_result != NULL ? m->ops->self_test_result(m) : ISOLATION_TEST_NONE;
}

/**
 * @brief The latest measurement.
 * @retval HAL_OK @p out holds a valid, fresh value (status VALID, WARNING or FAULT)
 * @retval HAL_EAGAIN no usable value now (out->valid false, status INVALID): not
 *         measuring, self-test running, stale, or the device is faulted
 */
static inline int isolation_read(struct isolation *m, struct isolation_measurement *out, uint32_t now_ms)
{
    return m->ops->read(m, out, now_ms);
}

/**
 * @brief The errors active now.
 * @param[out] count entries written (0 = healthy)
 * @retval HAL_OK @p count entries are valid
 * @retval HAL_EOVERFLOW more than @p max; the first @p max were written
 * @retval HAL_ENOTSUP the device reports no errors
 */
static inline int isolation_get_errors(struct isolation *m, struct isolation_error *out, size_t max,
                                       size_t *count)
{
    return m->ops->get_errors != NULL ? m->ops->get_errors(m, out, max, count) : HAL_ENOTSUP;
}

/** @brief True for every error type that must stop a charging session. */
static inline bool isolation_error_stops_session(enum isolation_error_type t)
{
    return t != ISOLATION_ERR_VENDOR_WARNING;
}

/** @brief Defaults: 1000 V, 500 / 100 Ohm/V, 3 s. */
void isolation_limits_default(struct isolation_limits *lim);

/**
 * @brief Classify a resistance (IEC 61851-23 thresholds per volt of the rated voltage),
 *        raised to the device's own alarm.
 */
enum isolation_status isolation_classify(const struct isolation_limits *lim, uint32_t resistance_ohm,
                                         enum isolation_device_alarm alarm);

/** @brief Name as in EVerest ("DeviceFault", ...); "?" if unknown. */
const char *isolation_error_name(enum isolation_error_type t);

/** @brief "Low", "Medium" or "High". */
const char *isolation_severity_name(enum isolation_severity s);

/** @brief "Invalid", "Valid", "Warning", "Fault". */
const char *isolation_status_name(enum isolation_status s);

/** @brief "none", "running", "passed", "failed". */
const char *isolation_test_name(enum isolation_test t);

#endif /* ISOLATION_H */
