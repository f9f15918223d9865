/**
 * @file pilot_ev.h
 * @brief IEC 61851-1 control pilot, EV side: the vehicle's resistor network, its S2
 *        switch and how it reads the EVSE's duty cycle. Used by the simulator and the
 *        EV simulator to play the car.
 */
#ifndef PILOT_EV_H
#define PILOT_EV_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_pilot.h"
#include "iec61851/pilot.h"

/** What the EV has made of the EVSE's signal. */
enum pilot_ev_mode {
    PILOT_EV_MODE_NONE = 0, /**< constant voltage: no PWM (EVSE not ready or state F) */
    PILOT_EV_MODE_HLC,      /**< 5 %: high-level communication is required */
    PILOT_EV_MODE_BASIC,    /**< 8..97 %: basic charging with a current announcement */
    PILOT_EV_MODE_INVALID,  /**< any other duty */
};

/** The EV side of the pilot circuit. */
struct pilot_ev {
    bool plugged;        /**< the vehicle inlet is connected */
    bool s2_closed;      /**< S2 closed: 882 ohm in parallel, B -> C */
    bool ventilation;    /**< asks for ventilation (state D instead of C) */
    bool diode_missing;  /**< fault injection: a broken diode */
    bool short_to_pe;    /**< fault injection: pilot shorted to PE (state E) */
    enum pilot_ev_mode mode;
    uint32_t announced_da; /**< current from the duty in BASIC mode, 0.1 A */
};

/** @brief Unplugged, S2 open, no faults. */
void pilot_ev_init(struct pilot_ev *ev);

/** @brief Plug in (S2 stays open: state B) or unplug. */
void pilot_ev_plug(struct pilot_ev *ev, bool plugged);

/**
 * @brief Close or open S2 (ready to charge, or stop).
 * @retval HAL_OK done
 * @retval HAL_ESTATE the vehicle is not plugged in
 */
int pilot_ev_set_s2(struct pilot_ev *ev, bool closed);

/**
 * @brief Look at the duty the EVSE drives and update mode and announced current.
 * @return the new mode
 */
enum pilot_ev_mode pilot_ev_observe(struct pilot_ev *ev, uint16_t evse_duty_permille);

/**
 * @brief The levels an EVSE measures at its end, given what it drives and what the EV
 *        presents. Nominal levels; the simulator adds noise if it wants any.
 */
void pilot_ev_sample(const struct pilot_ev *ev, uint16_t evse_duty_permille,
                     struct hal_pilot_sample *out);

/** @brief The state the EV currently presents (A when unplugged). */
enum pilot_state pilot_ev_presented(const struct pilot_ev *ev);

#endif /* PILOT_EV_H */
