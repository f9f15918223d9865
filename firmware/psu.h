/**
 * @file psu.h
 * @brief The power-supply interface every DC power stage implements (InfyPower,
 *        Huawei, the simulator's stage).
 *
 * Three operations are mandatory (mode, export setpoint, output reading: what the
 * interlock needs). The others are optional: an implementation that leaves one NULL
 * answers HAL_ENOTSUP through the inline wrapper, so older stages keep compiling (the
 * same convention in isolation.h, meter.h and ovm.h). Every operation that depends on
 * time takes the caller's loop time `now_ms`, so no implementation keeps a copy of it.
 *
 * Mirrors EVerest's `power_supply_DC` interface (see docs/power-stage.md): modes,
 * export setpoints, capabilities, telemetry with per-module detail, and errors of one
 * list with severities. EVerest's blocking `setMode(Off)` ("returns once the current is
 * below a safe threshold") becomes a submit/poll pair here, because no operation may
 * wait: psu_set_mode(OFF), then psu_off_done() until it stops saying HAL_EAGAIN.
 */
#ifndef PSU_H
#define PSU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

/** Operating mode. */
enum psu_mode {
    PSU_MODE_OFF = 0, /**< no output */
    PSU_MODE_EXPORT,  /**< deliver energy to the vehicle */
    PSU_MODE_IMPORT,  /**< reserved for bidirectional stages */
    PSU_MODE_FAULT,   /**< reported only (psu_read_telemetry): the stage is off because of a fault */
};

/** What the stage measures at its output. */
struct psu_output {
    int32_t voltage_mv;
    int32_t current_ma; /**< positive when exporting */
    bool valid;         /**< false when the stage could not be read (treat as "maybe live") */
    uint32_t age_ms;    /**< how long ago the voltage was measured (0: now, or a stage that
                             measures continuously); the over-voltage monitor passes over a
                             reading older than its bound */
    bool voltage_known; /**< voltage_mv/age_ms are a measurement even though `valid` is false
                             (InfyPower commanded off before its "off" proof: the current is
                             unproven, the voltage was still read) */
};

/** Limits of the whole stage (EVerest's required capability fields, in mV/mA/W). */
struct psu_capabilities {
    bool bidirectional;
    uint32_t max_export_voltage_mv;
    uint32_t min_export_voltage_mv;
    uint32_t max_export_current_ma;
    uint32_t min_export_current_ma;
    uint32_t max_export_power_w;
    uint32_t current_regulation_tolerance_ma;
    uint32_t peak_current_ripple_ma;
    uint16_t conversion_efficiency_export_permille; /**< 0..1000 */
};

/** Error types: exactly EVerest's `power_supply_DC` error list. */
enum psu_error_type {
    PSU_ERR_COMMUNICATION_FAULT = 0,
    PSU_ERR_HARDWARE_FAULT,
    PSU_ERR_OVER_TEMPERATURE,
    PSU_ERR_UNDER_TEMPERATURE,
    PSU_ERR_UNDER_VOLTAGE_AC,
    PSU_ERR_OVER_VOLTAGE_AC,
    PSU_ERR_UNDER_VOLTAGE_DC,
    PSU_ERR_OVER_VOLTAGE_DC,
    PSU_ERR_OVER_CURRENT_AC,
    PSU_ERR_OVER_CURRENT_DC,
    PSU_ERR_VENDOR_ERROR,
    PSU_ERR_VENDOR_WARNING, /**< the only type that lets a session continue */
    PSU_ERR_COUNT,
};

/** Severity of an active error: the reaction the stage asks for. The driver decides it (it
 *  knows whether one module or the whole stage is lost); the charger keeps it as reported. */
enum psu_severity {
    PSU_SEV_LOW = 0, /**< keep charging (derate): VendorWarning */
    PSU_SEV_MEDIUM,  /**< graceful stop: one module of several is faulted */
    PSU_SEV_HIGH,    /**< emergency stop: the stage as a whole (communication, bus-off) */
};

/** Sub-type of an error that concerns the whole stage rather than one module. */
#define PSU_SUBTYPE_SYSTEM 0xFFu

/** One active error. A (type, subtype) pair appears at most once. */
struct psu_error {
    enum psu_error_type type;
    enum psu_severity severity;
    uint8_t subtype;      /**< module address, or PSU_SUBTYPE_SYSTEM */
    uint32_t vendor_code; /**< implementation detail, e.g. the status bits that raised it */
};

/** Totals and state of the stage. */
struct psu_telemetry {
    struct psu_output output;   /**< what psu_read_output() returns */
    enum psu_mode mode;         /**< published mode (FAULT when every active module is faulted) */
    uint8_t modules_configured; /**< modules the stage is configured for or discovered */
    uint8_t modules_online;     /**< answering within the offline timeout */
    uint8_t modules_active;     /**< online, capabilities known, not faulted: sharing current */
    uint32_t errors_generation; /**< changes whenever an error is raised or cleared */
};

/** Longest serial number (with its NUL) a module report carries. */
#define PSU_SERIAL_SIZE 20

/** Per-module detail. */
struct psu_module {
    uint8_t address;
    bool online;         /**< answered within the offline timeout */
    bool active;         /**< counted in capabilities and sharing */
    bool on;             /**< commanded on */
    int32_t voltage_mv;  /**< output voltage (module side) */
    int32_t current_ma;  /**< output current */
    uint32_t bus_voltage_mv; /**< external voltage after the output diode */
    uint32_t setpoint_mv;    /**< last voltage sent */
    uint32_t setpoint_ma;    /**< its share of the current limit, last sent */
    int8_t temperature_c;    /**< ambient temperature */
    uint32_t status;         /**< raw status bytes: state2 << 16 | state1 << 8 | state0 */
    uint32_t max_voltage_mv, min_voltage_mv, max_current_ma, rated_power_w;
    char serial[PSU_SERIAL_SIZE]; /**< "" until read */
};

/** @brief True for every error type that must stop a charging session. */
static inline bool psu_error_stops_session(enum psu_error_type t)
{
    return t != PSU_ERR_VENDOR_WARNING;
}

/** What the next power is for (psu_set_session): some stages (Huawei) allocate power per phase. */
enum psu_phase {
    PSU_PHASE_NONE = 0,    /**< no power is coming (no session, or between phases) */
    PSU_PHASE_CABLE_CHECK, /**< the isolation test voltage */
    PSU_PHASE_PRECHARGE,   /**< matching the battery voltage at low current */
    PSU_PHASE_CHARGING,    /**< energy transfer */
};

/** Board alarms a stage may have to forward (psu_session.alarms). */
#define PSU_ALARM_DOOR 0x01u      /**< cabinet door open */
#define PSU_ALARM_WATER 0x02u     /**< water ingress */
#define PSU_ALARM_ESTOP 0x04u     /**< emergency stop pressed */
#define PSU_ALARM_TILT 0x08u      /**< cabinet tilted */
#define PSU_ALARM_CONTACTOR 0x10u /**< a DC contactor failed (welded or dropped) */

/** What the charger knows of its session that a stage without its own sensing needs. */
struct psu_session {
    bool plugged;          /**< a vehicle is connected (pilot B..F) */
    enum psu_phase phase;  /**< what the next power is for */
    bool contactor_closed; /**< the DC contactors are closed */
    int32_t out_mv;        /**< connector voltage the charger measures (0: unknown) */
    int32_t out_ma;        /**< output current the charger knows (0: unknown) */
    uint8_t alarms;        /**< PSU_ALARM_* active now */
};

/** Active alarms a unit lists at most in psu_unit_status (more are counted, not listed). */
#define PSU_UNIT_ALARMS 8u

/** What a central power unit that feeds this stage reports of itself (Huawei's FusionCharge
 *  writes it into the dispenser's registers). Diagnostics only: nothing here decides a
 *  session (the errors of psu_get_errors() do). Every "known" flag is false until the unit
 *  can have said it on the current link. */
struct psu_unit_status {
    const char *running_mode;   /**< the unit's own state ("running", ...); NULL: not known */
    bool ac_known;
    int32_t ac_voltage_mv[3];   /**< AC input phases A, B, C */
    int32_t ac_current_ma[3];
    bool energy_known;
    int64_t input_energy_wh;    /**< total historic input energy */
    bool port_known;
    bool port_available;        /**< the unit offers this connector's port */
    const char *session_state;  /**< the stage's per-connector state toward the unit, NULL: none */
    uint8_t board_alarms;       /**< PSU_ALARM_* this dispenser reports to the unit */
    uint8_t alarm_count;        /**< alarm registers of the unit that are non-zero */
    uint16_t alarm[PSU_UNIT_ALARMS]; /**< the first of them (vendor codes: register addresses) */
};

struct psu;

/** Operations of a power stage. The first three are mandatory; the rest may be NULL. */
struct psu_ops {
    /** @see psu_set_mode */
    int (*set_mode)(struct psu *p, enum psu_mode mode, uint32_t now_ms);
    /** @see psu_set_export */
    int (*set_export)(struct psu *p, uint32_t voltage_mv, uint32_t current_ma, uint32_t now_ms);
    /** @see psu_read_output */
    int (*read_output)(struct psu *p, struct psu_output *out, uint32_t now_ms);
    /** @see psu_get_capabilities (optional) */
    int (*get_capabilities)(struct psu *p, struct psu_capabilities *caps);
    /** @see psu_read_telemetry (optional) */
    int (*read_telemetry)(struct psu *p, struct psu_telemetry *t, uint32_t now_ms);
    /** @see psu_read_modules (optional) */
    int (*read_modules)(struct psu *p, struct psu_module *out, size_t max, size_t *count);
    /** @see psu_get_errors (optional) */
    int (*get_errors)(struct psu *p, struct psu_error *out, size_t max, size_t *count);
    /** @see psu_off_done (optional) */
    int (*off_done)(struct psu *p, uint32_t now_ms);
    /** @see psu_set_session (optional) */
    int (*set_session)(struct psu *p, const struct psu_session *s, uint32_t now_ms);
    /** @see psu_never_exports (optional) */
    bool (*never_exports)(const struct psu *p);
    /** @see psu_read_unit (optional) */
    int (*read_unit)(struct psu *p, struct psu_unit_status *u, uint32_t now_ms);
};

/** A power-stage instance. Implementations embed it first in their own struct. */
struct psu {
    const struct psu_ops *ops;
};

/**
 * @brief Switch the stage on or off. OFF is accepted in every state and never refused.
 * @retval HAL_OK commanded
 * @retval HAL_ESTATE EXPORT refused (stage faulted or not ready)
 * @retval HAL_ENOTSUP IMPORT on a stage that is not bidirectional; FAULT is never a command
 * @retval HAL_EIO the command could not be sent (OFF: the stage's own watchdog takes over)
 */
static inline int psu_set_mode(struct psu *p, enum psu_mode mode, uint32_t now_ms)
{
    return p->ops->set_mode(p, mode, now_ms);
}

/**
 * @brief Set the export voltage and current limit.
 * @retval HAL_OK accepted
 * @retval HAL_EINVAL outside the stage's capabilities (a stage may apply the value
 *         clamped to its capabilities; InfyPower does, as EVerest's driver does)
 */
static inline int psu_set_export(struct psu *p, uint32_t voltage_mv, uint32_t current_ma, uint32_t now_ms)
{
    return p->ops->set_export(p, voltage_mv, current_ma, now_ms);
}

/**
 * @brief Latest measurement of the output.
 * @retval HAL_OK @p out is filled (check out->valid)
 * @retval HAL_EIO no measurement available; @p out->valid is false
 */
static inline int psu_read_output(struct psu *p, struct psu_output *out, uint32_t now_ms)
{
    return p->ops->read_output(p, out, now_ms);
}

/**
 * @brief Capabilities of the whole stage as known now.
 * @retval HAL_OK @p caps is filled
 * @retval HAL_EAGAIN not known yet (no module has reported): charging must wait
 * @retval HAL_ENOTSUP the stage does not report capabilities
 */
static inline int psu_get_capabilities(struct psu *p, struct psu_capabilities *caps)
{
    return p->ops->get_capabilities != NULL ? p->ops->get_capabilities(p, caps) : HAL_ENOTSUP;
}

/**
 * @brief Totals, mode and module counts.
 * @retval HAL_OK @p t is filled
 * @retval HAL_ENOTSUP the stage has no telemetry beyond psu_read_output()
 */
static inline int psu_read_telemetry(struct psu *p, struct psu_telemetry *t, uint32_t now_ms)
{
    return p->ops->read_telemetry != NULL ? p->ops->read_telemetry(p, t, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief Per-module detail, in configuration order.
 * @param out array of @p max entries
 * @param[out] count entries written
 * @retval HAL_OK @p count entries are valid
 * @retval HAL_EOVERFLOW more modules than @p max; the first @p max were written
 * @retval HAL_ENOTSUP the stage has no module detail
 */
static inline int psu_read_modules(struct psu *p, struct psu_module *out, size_t max, size_t *count)
{
    return p->ops->read_modules != NULL ? p->ops->read_modules(p, out, max, count) : HAL_ENOTSUP;
}

/**
 * @brief The errors active now (raised and not yet cleared).
 * @param out array of @p max entries
 * @param[out] count entries written
 * @retval HAL_OK @p count entries are valid (0 = no error)
 * @retval HAL_EOVERFLOW more errors than @p max; the first @p max were written
 * @retval HAL_ENOTSUP the stage reports no errors
 */
static inline int psu_get_errors(struct psu *p, struct psu_error *out, size_t max, size_t *count)
{
    return p->ops->get_errors != NULL ? p->ops->get_errors(p, out, max, count) : HAL_ENOTSUP;
}

/**
 * @brief After psu_set_mode(OFF): has the output become safe to open the contactors?
 * @retval HAL_OK every source reported a current below the stage's safe threshold,
 *         measured after the "off" went out
 * @retval HAL_EAGAIN not yet; ask again on a later pass
 * @retval HAL_ETIMEDOUT the stage's bounded power-down time passed without that proof:
 *         the caller proceeds anyway (the interlock records a fault)
 * @retval HAL_ESTATE the stage is not commanded off
 * @retval HAL_ENOTSUP not provided: use psu_read_output() and a timeout instead
 */
static inline int psu_off_done(struct psu *p, uint32_t now_ms)
{
    return p->ops->off_done != NULL ? p->ops->off_done(p, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief Tell the stage the session's state; the charger calls it on every pass, so an
 *        implementation acts on changes only. Stages that sense everything themselves
 *        (InfyPower) leave it NULL.
 * @retval HAL_OK taken @retval HAL_ENOTSUP the stage does not need it
 */
static inline int psu_set_session(struct psu *p, const struct psu_session *s, uint32_t now_ms)
{
    return p->ops->set_session != NULL ? p->ops->set_session(p, s, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief True for a stage that cannot export at all (no stage fitted: psu_none). Its
 *        output current is zero by construction, so a power-down needs no measurement;
 *        its voltage stays unknown (psu_read_output() still says so), and nothing may
 *        take this as a voltage reading.
 */
static inline bool psu_never_exports(const struct psu *p)
{
    return p->ops->never_exports != NULL && p->ops->never_exports(p);
}

/**
 * @brief What the central unit feeding the stage reports (mode, AC input, energy, port,
 *        alarms): for telemetry.
 * @retval HAL_OK @p u is filled @retval HAL_ENOTSUP the stage has no such unit
 */
static inline int psu_read_unit(struct psu *p, struct psu_unit_status *u, uint32_t now_ms)
{
    return p->ops->read_unit != NULL ? p->ops->read_unit(p, u, now_ms) : HAL_ENOTSUP;
}

/** @brief Name of an error type as in EVerest ("OverVoltageDC", ...); "?" if unknown. */
static inline const char *psu_error_name(enum psu_error_type t)
{
    static const char *const names[PSU_ERR_COUNT] = {
        "CommunicationFault", "HardwareFault", "OverTemperature", "UnderTemperature",
        "UnderVoltageAC",     "OverVoltageAC", "UnderVoltageDC",  "OverVoltageDC",
        "OverCurrentAC",      "OverCurrentDC", "VendorError",     "VendorWarning"};
    return (unsigned)t < (unsigned)PSU_ERR_COUNT ? names[t] : "?";
}

/** @brief "Low", "Medium" or "High". */
static inline const char *psu_severity_name(enum psu_severity s)
{
    return s == PSU_SEV_HIGH ? "High" : s == PSU_SEV_MEDIUM ? "Medium" : "Low";
}

#endif /* PSU_H */
