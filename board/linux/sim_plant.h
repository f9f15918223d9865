/**
 * @file sim_plant.h
 * @brief TEST AID (`charger --sim-plant`): an in-memory pilot front end, DC contactors
 *        and connector lock for the Linux board, so a whole session can run on real
 *        transports (CAN to infysim, Modbus to metersim/imdsim, Ethernet/IPv6 to evsim)
 *        on a PC that has no pilot circuit and no power-path GPIO.
 *
 * NOT for a real charger: nothing here drives hardware. The model itself is the host-only
 * simulation layer's EV plant (sim/plant.h, the one the simulator board runs), in its
 * "external" form: its pilot front end, contactors and lock with their mechanical delays,
 * and its safety monitor judging from that modelled physical state (counters),
 * independently of the firmware's own checks. This file only adapts it to the Linux
 * board: the pilot wire to the car's process, infysim's load FIFO, the status file and the
 * trace, and a scheduler task that steps the plant.
 *
 * The car is another process (tools/evsim). Pilot and contactors are not on a wire
 * between two Linux processes, so the "pilot wire" is a Unix datagram socket (a path in
 * the file system, which works across network namespaces):
 *   car -> charger: "ev plugged=0|1 s2=0|1 diode=0|1 closed=0|1 ocv_mv=N r_mohm=N"
 *   charger -> car: "evse duty=PERMILLE closed=0|1 locked=0|1 mv=N ma=N"
 * each on change and every 20 ms. The charger's pilot reads what the car's resistors
 * and diode would present (protocols/iec61851 pilot_ev model); the car sees the duty
 * and, for its battery model, the output the power stage measured. A car that stays
 * silent for 1.5 s counts as unplugged (state A). When the power path is closed on
 * both sides the plant tells infysim (its --ctl FIFO) to put the car's battery on the
 * modules' output ("load battery V:OHM"), else "load open": the modules see the same
 * load as on a real cable.
 */
#ifndef SIM_PLANT_H
#define SIM_PLANT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hal_log.h"
#include "charger.h"
#include "linux_loop.h"
#include "plant.h"
#include "psu.h"
#include "sched.h"

/** What the adapter counts beside the plant's monitor (struct plant_monitor). */
struct sim_plant_counters {
    int32_t max_ma;             /**< highest measured current with the path closed */
    uint32_t plugins;           /**< car plugged in (from the wire) */
    uint32_t wire_rx, wire_tx;  /**< pilot-wire datagrams */
    uint32_t load_cmds;         /**< commands written to infysim's FIFO */
};

/** One connector's test plant: the EV plant model and its wiring to the outside. The
 *  firmware's ports are the model's: `plant.pilot.base`, `plant.gpio.base`, `plant.psu.base`. */
struct sim_plant {
    struct plant plant;
    struct hal_log *log;
    struct sched_task task;
    bool ev_closed;              /**< the car's own contactors (from the wire) */
    int32_t ev_ocv_mv;
    uint32_t ev_r_mohm;
    uint32_t last_rx_ms;
    bool have_peer;
    int fd;
    int load_fd;                 /**< infysim --ctl FIFO, or -1 */
    int load_state;              /**< -1 unknown, 0 open, 1 battery */
    int32_t load_mv_sent;
    char path[108];
    char peer[108];
    uint32_t last_tx_ms;
    char last_tx[96];
    uint32_t now_ms;
    struct sim_plant_counters cnt;
    FILE *trace;                 /**< --sim-trace: one sample per step, or NULL */
    const struct charger *charger; /**< for the trace: state and EVSE status */
};

/**
 * @brief Bind the pilot-wire socket at @p wire_path (an old socket file is replaced) and
 *        open infysim's FIFO @p load_fifo (may be NULL); wire the ports.
 * @param inner the real power stage
 * @retval HAL_OK ready; the socket is watched by @p loop, the task added to @p s
 * @retval HAL_EIO socket, bind or FIFO failed (printed on stderr)
 */
int sim_plant_init(struct sim_plant *p, const char *wire_path, const char *load_fifo,
                   struct psu *inner, uint32_t safe_current_ma, uint32_t grace_ms,
                   struct linux_loop *loop, struct sched *s, struct hal_log *log, uint32_t now_ms);

/** @brief Write the monitor counters as `key=value` lines to @p path (atomically). */
int sim_plant_write_status(const struct sim_plant *p, const char *path);

/**
 * @brief Record one sample every step (5 ms) to @p path, in the format tools/faults/judge
 *        reads: `T MV MA BITS CSTATE EVSE ACTIVE` (BITS: faults_check.h FAULTS_B_*;
 *        MA: the stage's measured current while the path is closed, 0 when it is open:
 *        no current can cross an open contact).
 * @retval HAL_OK recording; HAL_EIO the file cannot be created
 */
int sim_plant_trace_open(struct sim_plant *p, const char *path, const struct charger *charger);

/** @brief Close the socket (and remove its file) and the FIFO. */
void sim_plant_close(struct sim_plant *p);

#endif /* SIM_PLANT_H */
