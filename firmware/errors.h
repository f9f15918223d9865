/**
 * @file errors.h
 * @brief The error manager of one connector: every device's errors (power stage, meter,
 *        isolation monitor, link, V2G session, the EV's own error codes, power path,
 *        pilot) in one table with one severity scale, so the session decides how to stop
 *        from one place and reports one clear reason.
 *
 * Severity decides the reaction (docs/session.md):
 *   LOW    logged, the session continues (a stage warning derates the power);
 *   MEDIUM graceful stop: EVSE_Shutdown + StopCharging to the EV, power ramps down, the
 *          EV ends the session; after the notification delay it becomes an emergency;
 *   HIGH   emergency stop: power off now, EVSE_EmergencyShutdown (every answer FAILED),
 *          contactors open, PWM off, link closed.
 * The error whose reaction is taken (errors_worst_entry) is the session's stop cause.
 */
#ifndef ERRORS_H
#define ERRORS_H

#include <stdbool.h>
#include <stdint.h>

/** Active errors one connector tracks at once. */
#ifndef CFG_ERRORS_MAX
#define CFG_ERRORS_MAX 16
#endif
_Static_assert(CFG_ERRORS_MAX >= 4 && CFG_ERRORS_MAX <= 64, "CFG_ERRORS_MAX must be 4..64");

/** Where an error comes from. Each source has one code space, named by an enum of its
 *  owner (never a bare number); the session manager's own codes of a device source start
 *  at CHARGER_CODE_BASE (firmware/charger_priv.h lists every space). */
enum errors_source {
    ERRORS_SRC_PSU = 0,    /**< power stage (code: enum psu_error_type << 8 | subtype) */
    ERRORS_SRC_METER,      /**< meter / meter session (code: -HAL_E*, or enum charger_meter_code) */
    ERRORS_SRC_IMD,        /**< isolation monitor (code: enum isolation_error_type, or enum charger_imd_code) */
    ERRORS_SRC_LINK,       /**< SLAC / SDP / V2GTP connection (code: enum charger_link_code) */
    ERRORS_SRC_V2G,        /**< the V2G session: sequence, timeouts, negotiation (enum charger_stop_reason) */
    ERRORS_SRC_EV,         /**< the EV (code: enum hlc_ev_error; none raised today, see charger_on_events) */
    ERRORS_SRC_POWER_PATH, /**< interlock (code: enum interlock_fault) */
    ERRORS_SRC_PILOT,      /**< pilot state E/F, diode */
    ERRORS_SRC_SESSION,    /**< the session manager's own checks (cable check, over-voltage) */
    ERRORS_SRC_COUNT
};

/** How bad. */
enum errors_severity {
    ERRORS_SEV_LOW = 0, /**< log, keep charging */
    ERRORS_SEV_MEDIUM,  /**< graceful stop */
    ERRORS_SEV_HIGH,    /**< emergency stop */
};

/** One active error. */
struct errors_entry {
    enum errors_source source;
    uint32_t code;               /**< meaning per source (see enum errors_source) */
    enum errors_severity severity;
    const char *text;            /**< static text for logs and the summary */
    uint32_t since_ms;
};

/** The table. Only errors.c touches the fields. */
struct errors {
    struct errors_entry active[CFG_ERRORS_MAX];
    uint8_t count;
    uint32_t raised;             /**< errors raised since start (statistics) */
    uint32_t dropped;            /**< raised while the table was full (kept as HIGH, see raise) */
    struct errors_entry first;   /**< first MEDIUM/HIGH error since errors_session_begin() */
    bool have_first;
};

/** @brief Empty table. */
void errors_init(struct errors *e);

/**
 * @brief Raise an error (idempotent for the same source and code).
 * @param text static text (kept by pointer)
 * @return true when it is new (log it), false when it was already active
 *         (a full table drops the entry but still records it as the stop cause when it is
 *         the first stopping error: a safety reaction is never lost)
 */
bool errors_raise(struct errors *e, enum errors_source src, uint32_t code,
                  enum errors_severity sev, const char *text, uint32_t now_ms);

/** @brief Clear one error. @return true when it was active. */
bool errors_clear(struct errors *e, enum errors_source src, uint32_t code);

/** @brief Clear every error of one source (a device that recovered, a new session). */
void errors_clear_source(struct errors *e, enum errors_source src);

/** @brief True when @p src / @p code is active. */
bool errors_active(const struct errors *e, enum errors_source src, uint32_t code);

/**
 * @brief Worst active severity.
 * @return false when nothing is active (then @p out is untouched)
 */
bool errors_worst(const struct errors *e, enum errors_severity *out);

/**
 * @brief The error to react to: the session's first stopping error while nothing active
 *        is worse (it may have been cleared or dropped since: its reaction is still due),
 *        else the oldest active entry of the worst severity. Its severity decides the
 *        reaction and its text the stop reason, so the two always come from one error.
 * @return the entry, or NULL when nothing is active and nothing stopped the session
 */
const struct errors_entry *errors_worst_entry(const struct errors *e);

/** @brief True when any active error of @p src is at least @p min. */
bool errors_any(const struct errors *e, enum errors_source src, enum errors_severity min);

/** @brief The first stopping error of the session, or NULL. */
const struct errors_entry *errors_first(const struct errors *e);

/** @brief Forget the stop cause (a new session starts); active errors stay. */
void errors_session_begin(struct errors *e);

/** @brief "psu", "meter", "imd", ... */
const char *errors_source_name(enum errors_source s);
/** @brief "low", "medium", "high". */
const char *errors_severity_name(enum errors_severity s);

#endif /* ERRORS_H */
