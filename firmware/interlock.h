/**
 * @file interlock.h
 * @brief The power path of one connector: DC contactors and connector lock, sequenced
 *        so that the safety order holds in every path, faults and timeouts included:
 *
 *   1. power stage off and output current below the safe threshold (or a bounded
 *      timeout, after which the contactors are opened anyway and the fault recorded),
 *   2. then the contactors open, confirmed by both feedback contacts,
 *   3. only then the connector unlocks, and only while the measured voltage at the
 *      connector is below 60 V (IEC 61851-23); without a measurement it stays locked and
 *      the fault is held until a person resets it.
 *
 * Contactors close only with the lock confirmed locked, both feedback contacts
 * confirmed open and the power stage off. A contactor whose feedback says "closed"
 * when it was told to open (welded), or whose feedback cannot be read, keeps the
 * connector locked until a person resets the fault.
 */
#ifndef INTERLOCK_H
#define INTERLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_gpio.h"
#include "psu.h"

/** Where the power path is. */
enum interlock_state {
    INTERLOCK_UNLOCKED = 0, /**< contactors open, connector free */
    INTERLOCK_LOCKING,      /**< lock commanded, waiting for its feedback */
    INTERLOCK_LOCKED,       /**< locked, contactors open */
    INTERLOCK_CLOSING,      /**< contactors commanded closed, waiting for feedback */
    INTERLOCK_CLOSED,       /**< contactors closed: the power stage may run */
    INTERLOCK_POWER_DOWN,   /**< power stage told off, waiting for the current to fall */
    INTERLOCK_OPENING,      /**< contactors commanded open, waiting for feedback */
    INTERLOCK_UNLOCKING,    /**< unlock commanded, waiting for feedback */
    INTERLOCK_HELD,         /**< faulted with the connector held locked (welded or unknown
                                 contactor, voltage at the connector high or unknown) */
    INTERLOCK_DISCHARGING,  /**< contactors open, lock kept until the connector reads below 60 V */
};

/** Where the charger wants the power path to go. */
enum interlock_target {
    INTERLOCK_TARGET_UNLOCKED = 0,
    INTERLOCK_TARGET_LOCKED,
    INTERLOCK_TARGET_CLOSED,
};

/** The first fault seen; latched until interlock_reset(). */
enum interlock_fault {
    INTERLOCK_FAULT_NONE = 0,
    INTERLOCK_FAULT_ESTOP,             /**< emergency stop pressed */
    INTERLOCK_FAULT_LOCK_TIMEOUT,      /**< lock feedback did not follow the command */
    INTERLOCK_FAULT_LOCK_LOST,         /**< lock feedback went to "unlocked" while locked */
    INTERLOCK_FAULT_CLOSE_TIMEOUT,     /**< contactor feedback did not confirm closing */
    INTERLOCK_FAULT_CONTACTOR_DROPPED, /**< a contactor opened on its own while closed */
    INTERLOCK_FAULT_WELDED,            /**< a contactor stayed closed when told to open */
    INTERLOCK_FAULT_FEEDBACK_IO,       /**< feedback could not be read */
    INTERLOCK_FAULT_POWER_DOWN_TIMEOUT, /**< current stayed above the threshold; opened under load */
    INTERLOCK_FAULT_UNLOCK_TIMEOUT,    /**< lock did not release */
    INTERLOCK_FAULT_VOLTAGE_UNKNOWN,   /**< no valid connector voltage to unlock on: held */
    INTERLOCK_FAULT_VOLTAGE_HIGH,      /**< connector stayed at 60 V or more: held */
};

/** Below this the connector may unlock (IEC 61851-23: not hazardous). */
#define INTERLOCK_SAFE_MV 60000

/**
 * A voltage measurement at the connector.
 * @param ctx as given to interlock_set_voltage_source()
 * @param[out] mv the voltage, mV
 * @return true when @p mv is a valid measurement, false when there is none
 */
typedef bool (*interlock_voltage_fn)(void *ctx, int32_t *mv);

/**
 * Whether an outside safety controller's own gate holds the contactors open now (the
 * Charge SOM's co-processor closes them only while the pilot is in C or D).
 * @param ctx as given to interlock_set_gate()
 * @return true when the gate is open (the controller will not let them close)
 */
typedef bool (*interlock_gate_fn)(void *ctx);

/** Thresholds and timeouts. */
struct interlock_config {
    uint32_t safe_current_ma;       /**< contactors may open below this output current */
    uint32_t power_down_timeout_ms; /**< longest wait for the current to fall */
    uint32_t contactor_timeout_ms;  /**< feedback must follow a coil command within this */
    uint32_t lock_timeout_ms;       /**< lock feedback must follow within this */
    uint32_t discharge_timeout_ms;  /**< below 60 V (measured) within this, else held */
};

/** Defaults: 2 A, 500 ms, 200 ms, 1500 ms, 5000 ms. */
void interlock_default_config(struct interlock_config *cfg);

/** Power-path state of one connector. */
struct interlock {
    struct interlock_config cfg;
    struct hal_gpio *gpio;
    struct psu *psu;
    enum interlock_state state;
    enum interlock_target target;
    enum interlock_fault fault;
    uint32_t deadline_ms;
    bool opened_under_load; /**< the power-down timeout forced the contactors open */
    interlock_voltage_fn voltage; /**< NULL: the power stage's read-back */
    void *voltage_ctx;
    interlock_gate_fn gate; /**< NULL: no outside controller; every drop is a fault */
    void *gate_ctx;
    bool gate_dropped; /**< the contactors dropped while the outside gate was open */
};

/**
 * @brief Start with everything de-energised: power stage off, contactors open, lock
 *        released only when both contactor feedbacks read open (otherwise HELD).
 * @retval HAL_OK started
 * @retval HAL_EINVAL a timeout or threshold of @p cfg is zero
 */
int interlock_init(struct interlock *il, const struct interlock_config *cfg, struct hal_gpio *gpio,
                   struct psu *psu, uint32_t now_ms);

/**
 * @brief Where the connector voltage for the unlock decision comes from (the charger's
 *        best measurement). Without one the power stage's read-back is used.
 */
void interlock_set_voltage_source(struct interlock *il, interlock_voltage_fn fn, void *ctx);

/**
 * @brief Tell the interlock that an outside safety controller may open the contactors on
 *        its own (its documented behaviour), and how to ask whether it did so now. A
 *        contactor that drops while @p fn says the gate is open is no fault: the power
 *        stage is switched off, the path walks to LOCKED and interlock_gate_dropped() says
 *        so. A drop while the gate is closed stays INTERLOCK_FAULT_CONTACTOR_DROPPED.
 */
void interlock_set_gate(struct interlock *il, interlock_gate_fn fn, void *ctx);

/**
 * @brief True once the contactors were opened by the outside gate (cleared by the next
 *        request for a closed path).
 */
bool interlock_gate_dropped(const struct interlock *il);

/** @brief Ask for a target; the step walks there in the safe order. */
void interlock_request(struct interlock *il, enum interlock_target target);

/**
 * @brief Supervise and advance: read feedback and e-stop, check timeouts, move on.
 *        Call at least every CFG_INTERLOCK_PERIOD_MS.
 */
void interlock_step(struct interlock *il, uint32_t now_ms);

/** @brief True only in INTERLOCK_CLOSED with no fault: the power stage may deliver. */
bool interlock_power_allowed(const struct interlock *il);

/**
 * @brief Clear a latched fault once its cause is gone (an operator reset; for a fault
 *        that clears by itself, the charger once the vehicle is gone). A HELD power path
 *        is re-checked from its feedback and the connector voltage, then unlocks through
 *        DISCHARGING.
 * @param[out] why NULL, or the reason of a refusal (static text)
 * @retval HAL_OK cleared
 * @retval HAL_ESTATE the cause is still there (e-stop pressed, contactor closed or
 *         unreadable, connector voltage 60 V or more or unknown) or the power path is
 *         still sequencing
 */
int interlock_reset(struct interlock *il, uint32_t now_ms, const char **why);

/**
 * @brief True for a fault that only an operator reset may clear (everything that says
 *        the power path or the connector cannot be trusted); false for the lock timeouts,
 *        which clear once the vehicle is gone.
 */
bool interlock_fault_held(enum interlock_fault f);

/** @brief Current state. */
enum interlock_state interlock_state(const struct interlock *il);
/** @brief Latched fault. */
enum interlock_fault interlock_fault(const struct interlock *il);
/** @brief Name of a state, for logs. */
const char *interlock_state_name(enum interlock_state s);
/** @brief Name of a fault, for logs and stop reasons. */
const char *interlock_fault_name(enum interlock_fault f);

#endif /* INTERLOCK_H */
