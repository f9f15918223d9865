/**
 * @file sim_cbsom_plant.h
 * @brief The plant around a simulated Charge SOM safety controller (tools/cbsomsim), seen
 *        from OUTSIDE the charger: the car on the pilot wire, the power stage's output as
 *        its emulator reports it, and the record the fault judge reads.
 *
 * The charger under test only talks to the controller over its UART; the controller owns
 * the pilot and the contactors. This module gives that controller a car and a stage:
 *  - the car is tools/evsim on the pilot wire of `charger --sim-plant` (a Unix datagram
 *    socket, the same text messages, so evsim is unchanged):
 *      car -> plant: "ev plugged=0|1 s2=0|1 diode=0|1 closed=0|1 ocv_mv=N r_mohm=N"
 *      plant -> car: "evse duty=PERMILLE closed=0|1 locked=0 mv=N ma=N"
 *    its resistors become the controller's CP state (A, B, C) and diode;
 *  - the stage is tools/infysim (the modules' own model, not the charger's driver):
 *      "stage on=0|1 mv=N ma=N quiet_ms=N" (on: a module commanded on;
 *      quiet_ms: since a module last heard its controller on the bus);
 *  - the load: while both contactors and the car's are closed, the car's battery is put
 *    on the modules' output (infysim's FIFO: "load battery V:OHM", else "load open");
 *  - the record: one sample per step in the fault judge's trace form (time, output
 *    voltage, current through the path, contact/stage/PWM bits of sim/faults_check.h) and
 *    a safety monitor of its own (closings outside CP C/D, openings under load).
 * The Charge SOM protocol carries no lock (a DC CCS cable locks in the car's inlet): the
 * lock bits stay clear, and the car is told "unlocked".
 */
#ifndef SIM_CBSOM_PLANT_H
#define SIM_CBSOM_PLANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chargesom/cbsom_device.h"

/** A car silent this long has been unplugged (as `--sim-plant`'s wire: a TLS handshake in
 *  a loaded VM holds the car's loop for seconds; an explicit unplug is a message). */
#define SIM_CBSOM_CAR_STALE_MS 6000u

/** What the car presents on the pilot wire. */
struct sim_cbsom_car {
    bool plugged, s2, diode, closed;
    int32_t ocv_mv;
    uint32_t r_mohm;
};

/** What the power stage's emulator reports. */
struct sim_cbsom_stage {
    bool on;
    int32_t mv, ma;
    uint32_t quiet_ms;
};

/** One sample of the record (the judge's trace fields that the plant knows). */
struct sim_cbsom_sample {
    uint32_t t;
    int32_t mv, ma;
    uint16_t bits; /**< FAULTS_B_* values (sim/faults_check.h) */
};

struct sim_cbsom_plant {
    uint32_t forced_after_ms; /**< power-down timeout less 100 ms: an opening under load from here is "forced" */
    struct sim_cbsom_car car;
    bool car_seen;
    uint32_t car_rx_ms;
    struct sim_cbsom_stage stage;
    uint32_t off_since_ms;    /**< when the stage was last seen going off */
    uint32_t gate_since_ms;   /**< when the controller opened a contactor the host still asked for */
    bool gate;                /**< ... and the host still asks */
    int load_state;           /**< -1 unknown, 0 open, 1 battery */
    int32_t load_mv_sent;
    bool have_prev;
    struct sim_cbsom_sample prev;
    /* the monitor */
    uint32_t violations, forced_opens, gate_opens, closes, opens, plugins, car_rx, car_bad, stage_rx, stage_bad;
    int32_t max_ma, max_open_ma;
};

/** @brief Start with nothing plugged and the stage off. @p power_down_ms: the charger's
 *         `interlock.power_down_timeout_ms`. */
void sim_cbsom_plant_init(struct sim_cbsom_plant *p, uint32_t power_down_ms, uint32_t now_ms);

/** @brief Parse a car message. @retval 0 ok, -1 malformed (nothing changed) */
int sim_cbsom_plant_parse_car(const char *msg, struct sim_cbsom_car *car);

/** @brief Parse a stage report. @retval 0 ok, -1 malformed */
int sim_cbsom_plant_parse_stage(const char *msg, struct sim_cbsom_stage *st);

/** @brief Format a stage report into @p buf. @return its length */
int sim_cbsom_plant_format_stage(char *buf, size_t cap, const struct sim_cbsom_stage *st);

/** @brief A message from the car (counted; malformed ones are ignored). @retval 0 or -1 */
int sim_cbsom_plant_car_msg(struct sim_cbsom_plant *p, const char *msg, uint32_t now_ms);

/** @brief A report from the stage. @retval 0 or -1 */
int sim_cbsom_plant_stage_msg(struct sim_cbsom_plant *p, const char *msg, uint32_t now_ms);

/** @brief The controller's CP input from the car (A unplugged or silent, B, C). */
enum cbsom_cp sim_cbsom_plant_cp(const struct sim_cbsom_plant *p, uint32_t now_ms);

/** @brief The load command due now ("load battery V:OHM\n" or "load open\n") into @p buf.
 *         @return its length, 0 when none is due. Call sim_cbsom_plant_load_sent() once written. */
int sim_cbsom_plant_load_cmd(const struct sim_cbsom_plant *p, const struct cbsom_device *d, char *buf,
                             size_t cap, uint32_t now_ms);
void sim_cbsom_plant_load_sent(struct sim_cbsom_plant *p, const struct cbsom_device *d, uint32_t now_ms);

/** @brief What the car is told: the pilot's duty, the contactors, the stage's output. */
int sim_cbsom_plant_car_reply(const struct sim_cbsom_plant *p, const struct cbsom_device *d, char *buf,
                              size_t cap, uint32_t now_ms);

/** @brief One step of the record and the monitor, after the controller's step. */
void sim_cbsom_plant_sample(struct sim_cbsom_plant *p, const struct cbsom_device *d, uint32_t now_ms,
                            struct sim_cbsom_sample *out);

/** @brief The monitor as "key=value" lines (the judge reads violations= and forced_opens=). */
int sim_cbsom_plant_status(const struct sim_cbsom_plant *p, char *buf, size_t cap);

#endif /* SIM_CBSOM_PLANT_H */
