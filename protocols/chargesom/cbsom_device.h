/**
 * @file cbsom_device.h
 * @brief Device side of the Charge SOM safety controller: what the co-processor does on
 *        its UART (hal_serial) and in its interlock, portable (no heap, no OS), so the
 *        simulated controller of the tests (tools/cbsomsim) and a firmware build as the
 *        controller run the same rules (spec linux-board-io.md §3.5, §3.12):
 *
 * - after a reset it is in init: it answers inquiries (FirmwareVersion, GitHash) and
 *   reports nothing; the first ChargeControl1 makes it run;
 * - running, it reports ChargeState1 and PT1000State every `period_ms`, drives the pilot
 *   as asked (its CP measurement: E with the pilot off, F with duty 0, else the car's
 *   state) and closes a contactor only while asked, in CP C or D, with no e-stop;
 * - no ChargeControl1 for `timeout_ms`, or an e-stop, puts it in its safe state
 *   (contactors open, CP F, the reason reported); only a reset leaves it.
 *
 * The plant (the car's CP state, its diode, the e-stop inputs) is set by the caller:
 * measured inputs on a real controller, a model in the simulator.
 */
#ifndef CBSOM_DEVICE_H
#define CBSOM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "cbsom_frame.h"
#include "hal_serial.h"

enum cbsom_device_phase { CBSOM_DEV_BOOT = 0, CBSOM_DEV_INIT, CBSOM_DEV_RUNNING, CBSOM_DEV_SAFE };

struct cbsom_device_config {
    uint32_t period_ms;  /**< report cycle (100) */
    uint32_t timeout_ms; /**< host silence before the safe state (300) */
    uint32_t boot_ms;    /**< silent after a reboot (500: reset pulse + 300 ms start-up) */
    struct cbsom_version version;
    uint8_t git_hash[8];
};

struct cbsom_device {
    struct hal_serial *serial;
    struct cbsom_device_config cfg;
    struct cbsom_parser parser;
    enum cbsom_device_phase phase;
    uint32_t phase_ms, last_cc_ms, last_tx_ms, now_ms;
    struct cbsom_control cc;  /**< the host's last request */
    enum cbsom_cp car;        /**< the car's state as the pilot circuit would see it */
    bool diode;
    bool estop[3];
    bool closed[CBSOM_CONTACTORS];
    uint8_t reason;           /**< safe-state reason */
    uint32_t silent_ms;       /**< host silence when the safe state was entered */
    uint32_t rx_cc, rx_inquiry, rx_other, tx_frames, tx_lost, safe_entries;
};

/** @brief 100 ms cycle, 300 ms host timeout, 500 ms boot, firmware 0.3.1 Charge SOM. */
void cbsom_device_default_config(struct cbsom_device_config *cfg);

/** @brief Start in init (as after a reset) over @p serial (open).  @retval HAL_EINVAL bad */
int cbsom_device_init(struct cbsom_device *d, const struct cbsom_device_config *cfg, struct hal_serial *serial,
                      uint32_t now_ms);

/** @brief One pass: read the host's frames, supervise, report. */
void cbsom_device_step(struct cbsom_device *d, uint32_t now_ms);

/** @brief The plant: the car's CP state (A..D), its diode, an e-stop input (0..2). */
void cbsom_device_set_car(struct cbsom_device *d, enum cbsom_cp car, bool diode);
void cbsom_device_set_estop(struct cbsom_device *d, unsigned idx, bool tripped);

/** @brief The reset line (leave the safe state, back to init), or a reboot (silent for
 *         boot_ms first). Contactors open at once either way. */
void cbsom_device_reset(struct cbsom_device *d, bool reboot, uint32_t now_ms);

/** @brief What the controller measures on CP now. */
enum cbsom_cp cbsom_device_cp(const struct cbsom_device *d);

#endif /* CBSOM_DEVICE_H */
