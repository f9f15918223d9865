/**
 * @file faults_check.h
 * @brief The part of the fault-injection harness that judges a recorded plant: the
 *        sample format, the per-sample safety invariants I1..I3, the invariant verdicts,
 *        the decimated timeline and its SVG. Shared by the simulator's scenarios
 *        (board/sim/faults.c, one sample per simulated millisecond) and by the judge of
 *        the scenarios on real transports (tools/faults/judge.c reads the trace that
 *        `charger --sim-plant --sim-trace` writes), so both are held to one rule set.
 *
 * Pure: no simulator or board state; what the rules need of the plant is in the sample.
 */
#ifndef FAULTS_CHECK_H
#define FAULTS_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** One recorded sample of the plant. */
struct faults_sample {
    uint32_t t;       /**< ms */
    int32_t mv, ma;   /**< output at the connector side of the contactors' supply */
    uint16_t bits;    /**< FAULTS_B_* */
    uint8_t cstate;   /**< enum charger_state */
    uint8_t evse;     /**< last EVSEStatusCode sent to the EV (0xFF none) */
    uint8_t active;   /**< modules the driver counts in its capabilities */
};

#define FAULTS_B_CPOS 0x01u     /**< DC+ contact closed */
#define FAULTS_B_CNEG 0x02u     /**< DC- contact closed */
#define FAULTS_B_LOCKED 0x04u   /**< lock pin engaged */
#define FAULTS_B_LOCKCOIL 0x08u /**< lock coil energised */
#define FAULTS_B_STAGE 0x10u    /**< stage commanded on or a module delivering */
#define FAULTS_B_PWM 0x20u      /**< 5 % PWM on the pilot */
#define FAULTS_B_FAULT 0x40u    /**< the fault is active */
#define FAULTS_B_EXPORT 0x80u   /**< the stage is commanded to export */
#define FAULTS_B_OFF_LONG 0x100u /**< the stage was commanded off longer than the power-down timeout ago */
/** An outside safety controller (the Charge SOM plant) holds the contacts open against
 *  the host's request, since less than the power-down timeout: it opened them itself
 *  because the car left C/D. That opening and the host's power-down behind it are not
 *  the host's order (I1, I3 skip them); the simulator never sets it. */
#define FAULTS_B_GATE 0x200u

#define FAULTS_TL 3000u /**< timeline points for the SVG (decimated, max |I| kept) */
#define FAULTS_INV 8

/** The current below which a contactor may open: the interlock's default safe current. */
#define FAULTS_SAFE_MA 2000
/** Stage on while a contact is open for longer than this: the contactors' own travel. */
#define FAULTS_STAGE_GRACE_MS 100u

/** Invariant indices. */
enum faults_inv {
    FAULTS_I_OPEN_UNDER_LOAD = 0, /**< I1 current below the threshold before contactors open */
    FAULTS_I_LOCK_ORDER,          /**< I2 contactors open before the lock releases */
    FAULTS_I_NO_CURRENT_OPEN,     /**< I3 no current / stage on while contactors are open */
    FAULTS_I_MODULES,             /**< I4 no module dropped while it may still deliver */
    FAULTS_I_METER,               /**< I5 every started transaction stopped and journaled once */
    FAULTS_I_STOP_REASON,         /**< I6 stop reason to the EV and in the summary */
    FAULTS_I_NEXT_CAR,            /**< I7 back to idle, the next car charges */
    FAULTS_I_SCENARIO,            /**< scenario-specific (timing, clamps, plant monitor) */
};

/** What the EV was (or must have been) told after the fault, least to most severe. */
enum faults_ev_report {
    FAULTS_EVR_NA = 0,    /**< nothing can be told (no DIN session yet, the EV is not listening) */
    FAULTS_EVR_NORMAL,    /**< no shutdown status: the EV ended the session itself */
    FAULTS_EVR_SHUTDOWN,  /**< EVSE_Shutdown + StopCharging, never an emergency */
    FAULTS_EVR_EMERGENCY, /**< EVSE_EmergencyShutdown / Malfunction or a FAILED response code */
};

/**
 * @brief Classify what the EV is told: @p status a DIN EVSEStatusCode, @p code a DIN
 *        ResponseCode (either < 0 when the message carried none).
 */
enum faults_ev_report faults_check_ev_of(int status, int code);

/** @brief A readable name of @p r for the report. */
const char *faults_check_ev_name(enum faults_ev_report r);

/** What a sample means in its scenario (faults_check_sample's @p ctx). */
#define FAULTS_C_FORCED_OK 0x1u /**< contactors may open under load after the power-down timeout */
#define FAULTS_C_FIRED 0x2u     /**< the fault has struck */
#define FAULTS_C_POWER_CUT 0x4u /**< the controller's supply was cut this instant (coils drop) */

/** The verdicts and the timeline of one run. */
struct faults_check {
    struct faults_sample prev;
    bool have_prev;
    uint32_t stage_open_ms;       /**< stage on with a contact open since (0 = no) */
    struct faults_sample tl[FAULTS_TL];
    uint32_t ntl, tl_every, tl_count;
    int32_t tl_peak_ma;
    bool fail[FAULTS_INV];
    uint32_t checked[FAULTS_INV];
    char note[FAULTS_INV][160];
};

/** @brief Start judging; the timeline keeps one point every @p tl_every samples at first. */
void faults_check_init(struct faults_check *k, uint32_t tl_every);

/** @brief Mark an invariant failed with a note (the first note is kept). */
void faults_check_fail(struct faults_check *k, enum faults_inv i, uint32_t now_ms, const char *note);

/** @brief Judge I1..I3 from @p s and the sample before it; add @p s to the timeline. */
void faults_check_sample(struct faults_check *k, const struct faults_sample *s, unsigned ctx);

/** @brief true when no invariant failed. */
bool faults_check_ok(const struct faults_check *k);

/** @brief The invariant lines of a scenario's text block ("  ok   I1 ... (N checks)"). */
void faults_check_print(const struct faults_check *k, FILE *f);

/** @brief The timeline as an inline SVG; a dashed line at @p fired_ms when @p fired. */
void faults_check_svg(const struct faults_check *k, FILE *f, bool fired, uint32_t fired_ms);

#endif /* FAULTS_CHECK_H */
