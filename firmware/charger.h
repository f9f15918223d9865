/**
 * @file charger.h
 * @brief One charging connector: pilot, power path and the session around them.
 *
 * Everything a connector needs lives in `struct charger`; a board may create several
 * in one process. This is the pilot-level session (plug in, B, C, energise, stop,
 * unplug); the V2G session, cable check and pre-charge grow into it later.
 */
#ifndef CHARGER_H
#define CHARGER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_gpio.h"
#include "hal_log.h"
#include "hal_pilot.h"
#include "iec61851/pilot.h"
#include "interlock.h"
#include "psu.h"
#include "sched.h"

/** Session state of a connector. */
enum charger_state {
    CHARGER_IDLE = 0,    /**< no vehicle (A); pilot at constant +12 V */
    CHARGER_CONNECTED,   /**< vehicle present (B); 5 % PWM, locking */
    CHARGER_READY,       /**< locked; waiting for the vehicle to ask for power (C/D) */
    CHARGER_ENERGIZING,  /**< contactors closing */
    CHARGER_CHARGING,    /**< power delivered */
    CHARGER_STOPPING,    /**< power down, contactors opening (the interlock keeps the order) */
    CHARGER_FINISHED,    /**< session over; unlocking, waiting for the unplug */
    CHARGER_FAULT,       /**< stopped by a fault; waiting for the unplug and a clean power path */
};

/** Why a session ended. */
enum charger_stop_reason {
    CHARGER_STOP_NONE = 0,
    CHARGER_STOP_EV,                 /**< the vehicle went back to B */
    CHARGER_STOP_UNPLUGGED,          /**< the vehicle vanished (A) while the session ran */
    CHARGER_STOP_PILOT_ERROR,        /**< pilot state E (short to PE or invalid level) */
    CHARGER_STOP_DIODE_FAULT,        /**< the EV diode is missing */
    CHARGER_STOP_POWER_PATH,         /**< the interlock latched a fault (see interlock_fault) */
    CHARGER_STOP_LOCAL,              /**< the operator or the board asked to stop */
};

/** Configuration of one connector. */
struct charger_config {
    char name[16];                      /**< log prefix, e.g. "cp0" */
    uint32_t export_voltage_mv;         /**< setpoint while charging (pilot-level session) */
    uint32_t export_current_ma;         /**< current limit while charging */
    struct pilot_config pilot;
    struct interlock_config interlock;
};

/** The peripherals one connector uses. */
struct charger_ports {
    struct hal_pilot *pilot;
    struct hal_gpio *gpio;
    struct psu *psu;
    struct hal_log *log;
};

/** Counters a board or a test reads. */
struct charger_stats {
    uint32_t sessions;                    /**< vehicles that plugged in */
    uint32_t sessions_charged;            /**< sessions that reached CHARGING */
    enum charger_stop_reason last_stop;   /**< why the latest session ended */
    enum interlock_fault last_fault;      /**< power-path fault of the latest session */
    uint32_t charge_ms_total;             /**< time spent in CHARGING */
};

/** What is kept of a finished session. */
struct charger_session_record {
    uint32_t number;                 /**< 1 for the first session since start-up */
    uint32_t plugged_ms;             /**< when the vehicle was detected */
    uint32_t ended_ms;               /**< when the connector was back to idle */
    uint32_t charge_ms;              /**< time in CHARGING */
    enum charger_stop_reason stop;   /**< why it ended */
    enum interlock_fault fault;      /**< power-path fault, if any */
};

/** One connector. */
struct charger {
    struct charger_config cfg;
    struct charger_ports io;
    struct sched_task task;
    struct pilot pilot;
    struct interlock il;
    enum charger_state state;
    enum interlock_state logged_il_state; /**< last power-path state written to the log */
    enum charger_stop_reason stop_reason;
    bool stop_requested;
    uint32_t state_since_ms;
    uint32_t charging_since_ms;
    struct charger_stats stats;
    struct charger_session_record current;
    struct charger_session_record history[CFG_CHARGER_HISTORY];
    uint32_t history_count; /**< records written so far (may exceed the ring size) */
};

/** @brief Defaults for every field (name "cp0", 400 V, 10 A, module defaults). */
void charger_default_config(struct charger_config *cfg);

/**
 * @brief Bring the connector to a safe idle and add its task to @p s.
 * @retval HAL_OK running
 * @retval HAL_EINVAL a port is missing or the configuration is invalid
 * @retval HAL_ENOMEM the scheduler is full
 */
int charger_init(struct charger *c, const struct charger_config *cfg,
                 const struct charger_ports *ports, struct sched *s, uint32_t now_ms);

/** @brief Ask for the running session to stop (operator, OCPP, shutdown). */
void charger_request_stop(struct charger *c);

/**
 * @brief A finished session, oldest first.
 * @param index 0 .. min(history_count, CFG_CHARGER_HISTORY) - 1
 * @return the record, or NULL when @p index is out of range
 */
const struct charger_session_record *charger_history(const struct charger *c, uint32_t index);

/** @brief Session state. */
enum charger_state charger_state(const struct charger *c);
/** @brief Counters. */
const struct charger_stats *charger_stats(const struct charger *c);
/** @brief Name of a state, for logs. */
const char *charger_state_name(enum charger_state s);
/** @brief Name of a stop reason, for logs and summaries. */
const char *charger_stop_reason_name(enum charger_stop_reason r);

#endif /* CHARGER_H */
