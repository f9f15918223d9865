/**
 * @file fake_pilot.h
 * @brief Test fake of the pilot front end: the test sets what the EV presents (through
 *        the real EV-side model) or forces a read error.
 */
#ifndef FAKE_PILOT_H
#define FAKE_PILOT_H

#include "hal_pilot.h"
#include "iec61851/pilot_ev.h"

struct fake_pilot {
    struct hal_pilot base;
    struct pilot_ev ev;  /**< the vehicle side */
    uint16_t duty;       /**< last duty commanded by the code under test */
    int read_error;      /**< HAL_OK, or the code every read returns */
    unsigned duty_changes;
};

/** @brief No vehicle, +12 V. */
void fake_pilot_init(struct fake_pilot *p);

#endif /* FAKE_PILOT_H */
