/**
 * @file pilot.h
 * @brief IEC 61851-1 control pilot, EVSE side: state classification with debouncing,
 *        PWM duty from a current limit, state-change events.
 *
 * Pure logic: the caller reads the pilot through hal_pilot and passes the sample and
 * `now_ms` in; this module never touches hardware or a clock.
 */
#ifndef PILOT_H
#define PILOT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_pilot.h"

/** Pilot states of IEC 61851-1 (table A.3). */
enum pilot_state {
    PILOT_STATE_UNKNOWN = 0, /**< no stable reading yet */
    PILOT_STATE_A,           /**< +12 V: no vehicle */
    PILOT_STATE_B,           /**< +9 V: vehicle connected, not ready */
    PILOT_STATE_C,           /**< +6 V: vehicle ready, charging allowed */
    PILOT_STATE_D,           /**< +3 V: ready, ventilation required */
    PILOT_STATE_E,           /**< 0 V or an invalid level: short to PE, missing diode, fault */
    PILOT_STATE_F,           /**< -12 V: EVSE not available (we drive it) */
};

/** Duty cycle (0.1 %) that tells the EV to use high-level communication (ISO 15118 / DIN). */
#define PILOT_DUTY_HLC 50u

/** Default time a new level must stay before it is reported (ms). */
#ifndef CFG_PILOT_DEBOUNCE_MS
#define CFG_PILOT_DEBOUNCE_MS 30u
#endif
_Static_assert(CFG_PILOT_DEBOUNCE_MS <= 1000u, "a pilot debounce over 1 s would miss an unplug");

/** Configuration of the EVSE pilot. */
struct pilot_config {
    uint32_t debounce_ms; /**< a new state must hold this long before it counts */
};

/** One state change, reported once. */
struct pilot_event {
    enum pilot_state from;
    enum pilot_state to;
    bool diode_fault; /**< `to` is E because the EV diode is missing (low phase not -12 V) */
};

/** EVSE pilot state; one per connector, owned by the charger. */
struct pilot {
    struct pilot_config cfg;
    enum pilot_state state;     /**< debounced state */
    enum pilot_state candidate; /**< last raw classification */
    uint32_t candidate_since_ms;
    bool candidate_diode_fault;
    bool diode_fault;
    bool confirmed;         /**< the debounced state was measured under the present duty */
    uint16_t duty_permille; /**< what the generator is told to output */
};

/**
 * @brief Start in UNKNOWN with the generator at constant +12 V (state A/B1 signalling).
 * @param cfg configuration; NULL gives the defaults
 */
void pilot_init(struct pilot *p, const struct pilot_config *cfg);

/**
 * @brief Classify one raw sample, without debouncing.
 * @param pwm_running true when the generator runs a PWM (then the low plateau is checked
 *        for the EV's diode)
 * @param[out] diode_fault set when the result is E because of a missing diode; may be NULL
 * @return the state this sample alone indicates
 */
enum pilot_state pilot_classify(const struct hal_pilot_sample *s, bool pwm_running,
                                bool *diode_fault);

/**
 * @brief Feed one sample; report a debounced state change.
 * @param[out] ev filled when the function returns true
 * @retval true the debounced state changed (the event says from what to what)
 * @retval false no change
 */
bool pilot_update(struct pilot *p, const struct hal_pilot_sample *s, uint32_t now_ms,
                  struct pilot_event *ev);

/**
 * @brief PWM duty that announces a maximum current, IEC 61851-1 table A.7.
 * @param current_da maximum current in 0.1 A, from 60 (6 A) to 800 (80 A)
 * @param[out] duty_permille duty in 0.1 %
 * @retval HAL_OK @p duty_permille is valid
 * @retval HAL_EINVAL the current is below 6 A or above 80 A: no duty can announce it
 */
int pilot_duty_from_current(uint32_t current_da, uint16_t *duty_permille);

/**
 * @brief The inverse of pilot_duty_from_current(): what an EV reads from a duty.
 * @param[out] current_da maximum current in 0.1 A; 0 for 5 % (high-level communication)
 * @retval HAL_OK @p current_da is valid
 * @retval HAL_EINVAL the duty is not a valid announcement (under 8 % except 5 %, over 97 %)
 */
int pilot_current_from_duty(uint16_t duty_permille, uint32_t *current_da);

/** @brief Remember the duty now commanded, so classification knows whether PWM runs. */
void pilot_set_duty(struct pilot *p, uint16_t duty_permille);

/**
 * @brief True once the debounced state has been measured for a whole debounce time
 *        under the duty now commanded. Starting or stopping the PWM changes what can
 *        be seen (the diode check needs the PWM), so a state from before the change
 *        must not be used to energise.
 */
bool pilot_confirmed(const struct pilot *p);

/** @brief Debounced state. */
enum pilot_state pilot_state(const struct pilot *p);

/** @brief One-letter name: "A".."F", or "?" for UNKNOWN. */
const char *pilot_state_name(enum pilot_state s);

#endif /* PILOT_H */
