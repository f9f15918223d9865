/**
 * @file plant.h
 * @brief The simulator's physical world for one connector: the car (a DIN 70121 EV
 *        with a battery, firmware/ev_model.h, or a pilot-level EV when no car model is
 *        attached) that plugs in and out by a script, DC contactors and a lock with
 *        feedback contacts that lag their coils, the cable between the charger's output
 *        and the car's inlet and contactors, a power stage, the isolation monitor and
 *        the meter fed from that physics, and a monitor that checks the safety order from
 *        these physical states, not from log text.
 *
 * It also provides the HAL ports the firmware sees (pilot, GPIO) and the power stage
 * (struct psu), all in memory.
 *
 * The one EV plant model of the project: the simulator board runs it with its scripted car
 * and simulated devices (plant_init), and the Linux board's `--sim-plant` test aid runs it
 * "external" (plant_init_external): the car is another process that reports its pilot
 * circuit (plant_ev_wire) and the power stage a real driver whose measured current the
 * monitor reads. Both get the same ports, contact and lock delays and safety monitor.
 */
#ifndef PLANT_H
#define PLANT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_gpio.h"
#include "hal_log.h"
#include "hal_pilot.h"
#include "ev_model.h"
#include "iec61851/pilot_ev.h"
#include "psu.h"
#include "sim_imd.h"
#include "sim_infy.h"
#include "sim_meter.h"
#include "sim_ovm.h"

/** Faults the simulator can inject. */
enum plant_fault {
    PLANT_FAULT_NONE = 0,
    PLANT_FAULT_ESTOP,        /**< e-stop pressed while charging */
    PLANT_FAULT_UNPLUG,       /**< EV unplugged while charging (pilot to A under load) */
    PLANT_FAULT_WELD,         /**< DC+ contactor welds while charging */
    PLANT_FAULT_LOCK,         /**< lock feedback drops while charging */
    PLANT_FAULT_DIODE,        /**< the EV's pilot diode is missing */
    PLANT_FAULT_PSU_STUCK,    /**< the power stage ignores "off" for 2 s */
    PLANT_FAULT_ISOLATION,    /**< insulation resistance 50 kOhm from plug-in (cable check fails) */
    PLANT_FAULT_IMD,          /**< isolation monitor device fault from plug-in */
    PLANT_FAULT_METER,        /**< meter stops answering from plug-in */
    PLANT_FAULT_PSU_HOT,      /**< every power module over-temperature while charging */
    PLANT_FAULT_EVSE_STOP,    /**< the operator stops the session while charging */
    PLANT_FAULT_COUNT
};

/** Where the EV is in its script. */
enum plant_ev_phase {
    PLANT_EV_AWAY = 0,
    PLANT_EV_PLUGGED,   /**< B, waiting for 5 % and its own start-up delay */
    PLANT_EV_CHARGING,  /**< C, taking current (pilot-level) or in its DIN session */
    PLANT_EV_DONE,      /**< back to B, waiting for the lock to release */
    PLANT_EV_LEFT,      /**< unplugged; the script may start another session */
};

/** Timing of the EV's script, in simulated ms. */
struct plant_script {
    uint32_t plug_at_ms;      /**< first plug-in */
    uint32_t start_delay_ms;  /**< from seeing 5 % to closing S2 (stands for SLAC + V2G) */
    uint32_t charge_ms;       /**< how long it takes current */
    uint32_t unplug_delay_ms; /**< from lock release to pulling the plug */
    uint32_t pause_ms;        /**< between sessions */
    uint32_t sessions;        /**< how many times it plugs in */
    bool wait_for_go;         /**< the first plug-in waits for plant_go() too (the driver
                                   starts from an app, then plugs in) */
    enum plant_fault fault;   /**< injected in the first session, 2 s into charging */
};

/** The power stage as the firmware sees it (implements struct psu). With `inner` set,
 *  every command goes on to a real driver (InfyPower over an in-memory CAN bus to
 *  simulated modules) and the output comes from those modules; without it, a simple
 *  ideal stage is modelled here. Either way the plant's monitor sees every command. */
struct plant_psu {
    struct psu base;
    struct psu *inner;       /**< the real driver, or NULL for the ideal stage */
    enum psu_mode mode;
    uint32_t set_mv, set_ma;
    int32_t out_mv, out_ma;
    uint32_t off_cmd_ms;     /**< when "off" was last commanded */
    uint32_t stuck_until_ms; /**< fault injection: "off" ignored until then */
    bool stuck_armed;        /**< fault injection: the next "off" will be ignored for 2 s */
    bool model_output;       /**< the real driver measures nothing at the output (Huawei): the
                                  plant models it as the ideal stage does, from the setpoints */
    /** With model_output: what the stage's unit delivers now (the simulator's Huawei unit
     *  model grants what its last verified request asks); the plant then models the output
     *  from this instead of the charger's command. NULL: from the command. */
    bool (*grant)(void *ctx, uint32_t now_ms, uint32_t *mv, uint32_t *ma);
    void *grant_ctx;
    struct plant *plant;
};

/** What the safety monitor counted (judged from the modelled physical state, not from logs;
 *  violations and forced openings are struct plant's own fields). */
struct plant_monitor {
    uint32_t contactor_closes;  /**< close commands (per pole) */
    uint32_t contactor_opens;   /**< open commands (per pole) */
    uint32_t opens_stage_off;   /**< openings (DC+) with the stage off and the current below safe */
    uint32_t unlocks;           /**< lock released (physically) */
    uint32_t unlocks_path_open; /**< ... with both contactors physically open */
    int32_t max_open_ma;        /**< highest measured current at an open command */
};

/** Simulated GPIO (implements struct hal_gpio). */
struct plant_gpio {
    struct hal_gpio base;
    struct plant *plant;
};

/** Simulated pilot front end (implements struct hal_pilot). */
struct plant_pilot {
    struct hal_pilot base;
    struct plant *plant;
};

/** One connector's world. */
struct plant {
    char name[16];
    struct plant_script script;
    struct plant_psu psu;
    struct plant_gpio gpio;
    struct plant_pilot pilot;
    struct sim_infy *stage;      /**< simulated modules behind `psu.inner`, or NULL */
    struct ev_model *car;        /**< the DIN car, or NULL for the pilot-level EV */
    struct sim_imd *imd;         /**< fed with the output voltage, or NULL */
    struct sim_meter *meter;     /**< fed with the output power, or NULL */
    struct sim_ovm *ovm;         /**< fed with the connector voltage, or NULL */
    struct pilot_ev ev;
    struct hal_log *log;
    uint16_t duty;               /**< what the firmware drives */
    bool coil[HAL_GPIO_OUT_COUNT];
    bool contact_pos, contact_neg; /**< main contacts, following the coils after a delay */
    bool locked;                 /**< lock pin position */
    uint32_t coil_changed_ms[HAL_GPIO_OUT_COUNT];
    bool estop;
    bool welded;
    bool lock_fb_broken;
    enum plant_ev_phase phase;
    uint32_t phase_since_ms;
    uint32_t sessions_done;
    bool go;                     /**< script.wait_for_go: the first plug-in may happen */
    uint32_t fault_at_ms;        /**< 0 = not scheduled */
    bool fault_fired;
    double energy_wh;            /**< delivered into the EV */
    int32_t cable_mv;            /**< voltage on the cable (charger side of the inlet) */
    uint32_t evse_stop_at_ms;    /**< PLANT_FAULT_EVSE_STOP: when the board asks to stop */
    bool evse_stop;              /**< the board should call charger_request_stop() now */
    uint32_t violations;         /**< safety-order violations seen by the monitor */
    uint32_t max_set_mv;         /**< highest voltage setpoint the stage was given (whole run) */
    int32_t max_out_mv;          /**< highest output voltage of the stage (whole run) */
    uint32_t forced_opens;       /**< contactors opened under load after the power-down timeout */
    uint32_t held_since_ms;      /**< the EV waits for an unlock that does not come (0 = no) */
    uint32_t now_ms;
    /* Fault injection by the scenario harness (board/sim/faults.c); all clear = normal. */
    uint8_t pilot_force;         /**< 0 none, 'E' CP shorted to PE (0 V), 'F' -12 V */
    bool pp_short;               /**< proximity shorted to PE (0 Ohm) */
    bool pp_open;                /**< proximity line broken (reads open with the plug in) */
    bool fb_neg_lost;            /**< DC- feedback contact reads open whatever the contact does */
    int32_t ov_target_mv;        /**< the output is driven up to this (0 = none): the ideal
                                      stage here, the InfyPower modules through sim_infy */
    /* The monitor. */
    bool external;               /**< plant_init_external: no script, no car model, no physics */
    uint32_t safe_current_ma;    /**< opening above this is judged (the interlock's threshold) */
    uint32_t grace_ms;           /**< ... unless "off" was commanded this long before */
    struct plant_monitor mon;
};

/** @brief A plant with its ports wired; the EV is away. */
void plant_init(struct plant *p, const char *name, const struct plant_script *script,
                struct hal_log *log);

/**
 * @brief A plant whose car and power stage are outside this process (the Linux board's
 *        `--sim-plant` test aid): the ports and the monitor as plant_init gives them, the
 *        car's pilot circuit set by plant_ev_wire(), no script (plant_tick moves only the
 *        contacts and the lock), and the monitor judging openings from the current that
 *        @p inner measured (its modules' sum, else its output).
 * @param inner the real power stage every command goes on to
 * @param safe_current_ma  opening above this current is judged (the interlock's threshold)
 * @param grace_ms         ... a violation unless "off" was commanded this long before, else
 *                         a forced opening (the interlock's power-down timeout)
 */
void plant_init_external(struct plant *p, const char *name, struct psu *inner, uint32_t safe_current_ma,
                         uint32_t grace_ms, struct hal_log *log);

/**
 * @brief The external car's pilot circuit as it reports it (plant_init_external only).
 * @param plugged the plug is in; false also opens S2
 * @param s2 the car's S2 switch is closed (state C)
 * @param diode_missing the car's pilot diode is missing (fault)
 */
void plant_ev_wire(struct plant *p, bool plugged, bool s2, bool diode_missing);

/**
 * @brief The current the power stage measures now, for the monitor.
 * @param known false when the stage has no valid reading (the monitor then assumes current)
 * @param active the modules the stage counts in its capabilities (external plant; may be NULL)
 * @return mA: the modelled output, or the external stage's raw module readings
 */
int32_t plant_measured_ma(struct plant *p, bool *known, unsigned *active);

/** @brief Advance the physical world by 1 ms to @p now_ms (external: to @p now_ms). */
void plant_tick(struct plant *p, uint32_t now_ms);

/** @brief Inject one of the plant's faults now (as the script would 2 s into charging). */
void plant_inject(struct plant *p, enum plant_fault f);

/**
 * @brief The whole charger loses its supply now (fault injection): the stage's output
 *        collapses at once (its AC input is gone), the contactor coils drop (the contacts
 *        open after their 20 ms release time, by then nothing flows), the pilot generator
 *        stops (no PWM), the lock coil drops (a fail-unlock lock: the pin releases after
 *        its 300 ms travel, long after the contacts opened).
 */
void plant_power_loss(struct plant *p);

/** @brief The driver pulls the plug now (counts as the end of the session in the script). */
void plant_unplug(struct plant *p);

/** @brief script.wait_for_go: the first plug-in may come (at plug_at_ms or now, the later). */
void plant_go(struct plant *p);

/** @brief True once the script has played every session and the EV has left. */
bool plant_done(const struct plant *p);

/** @brief Parse a fault name ("estop", "unplug", ...). @retval HAL_EINVAL unknown */
int plant_fault_parse(const char *name, enum plant_fault *out);

/** @brief Name of a fault. */
const char *plant_fault_name(enum plant_fault f);

#endif /* PLANT_H */
