/**
 * @file fake_power.h
 * @brief Test fake of a connector's power path: GPIO (contactor coils and feedback,
 *        lock and its feedback, e-stop) and a power stage, with a journal of every
 *        command and flags for each safety-order breach seen at the instant of a command.
 *
 * Feedback follows the coils on the next fake_power_tick() unless a fault is set.
 */
#ifndef FAKE_POWER_H
#define FAKE_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_gpio.h"
#include "psu.h"

enum fake_power_event {
    FAKE_PSU_OFF = 1,
    FAKE_PSU_EXPORT,
    FAKE_CONTACTORS_CLOSE,
    FAKE_CONTACTORS_OPEN,
    FAKE_LOCK,
    FAKE_UNLOCK,
};

#define FAKE_POWER_JOURNAL 128

struct fake_power {
    struct hal_gpio gpio;
    struct psu psu;
    /* physical state */
    bool coil[HAL_GPIO_OUT_COUNT];
    bool fb_pos, fb_neg, fb_lock, estop;
    enum psu_mode mode;
    int32_t current_ma;
    uint32_t now_ms;
    uint32_t set_mv, set_ma;  /**< the last export setpoint (the fake's current ignores it) */
    /* faults */
    bool weld_pos;        /**< DC+ feedback stays closed once closed */
    bool pos_never_closes;/**< DC+ feedback never follows a close command */
    bool lock_stuck;      /**< lock feedback never changes */
    bool lock_fb_lost;    /**< lock feedback reads "unlocked" whatever the pin does */
    bool io_error;        /**< every read fails with HAL_EIO */
    bool current_stuck;   /**< output current does not fall after "off" */
    bool psu_unreadable;  /**< read_output fails */
    bool no_estop_input;  /**< the e-stop read answers HAL_ENOTSUP */
    int32_t off_mv;       /**< output voltage read while not exporting (a charge left behind) */
    /* journal and breaches */
    enum fake_power_event journal[FAKE_POWER_JOURNAL];
    uint32_t journal_ms[FAKE_POWER_JOURNAL];
    int njournal;
    int breach_open_under_load;  /**< contactor opened with current above 2 A and no timeout passed */
    int breach_unlock_while_closed; /**< unlock commanded with a contactor feedback closed */
    int breach_close_unlocked;   /**< contactor closed with the lock not confirmed */
    int breach_export_open;      /**< export commanded with contactors open */
};

/** @brief Everything open, off, unlocked; no faults. */
void fake_power_init(struct fake_power *f);

/** @brief Let feedback follow the coils and the current follow the mode; set the time. */
void fake_power_tick(struct fake_power *f, uint32_t now_ms);

/** @brief Index in the journal of the first @p ev at or after @p from, or -1. */
int fake_power_find(const struct fake_power *f, enum fake_power_event ev, int from);

#endif /* FAKE_POWER_H */
