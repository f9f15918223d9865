/**
 * @file cbsom_host.h
 * @brief Host side of the Charge SOM safety controller: a pilot port (hal_pilot) and a
 *        power-path GPIO port (hal_gpio) over a UART (hal_serial), driven by
 *        cbsom_host_step() from the superloop. Non-blocking, no heap.
 *
 * Start-up (spec §3.12, §3.15): wait `startup_ms` after the co-processor left reset, ask
 * for its FirmwareVersion (one inquiry outstanding, retried), refuse firmware whose
 * ChargeState1 layout we do not read (before 0.3), then run: ChargeControl1 every
 * `period_ms` and at once on any change; ChargeState1 supervised.
 *
 * Mapping onto the HAL: set_duty() is CC_TargetDutyCycle with PWM active (0 = F,
 * 1000 = X1); read() turns the MCU's classified CP state into nominal plateaus (A 12 V,
 * B 9 V, C 6 V, D 3 V, E 0 V, F -12 V; low plateau -12 V with PWM, -high with a diode
 * fault) so protocols/iec61851 classifies it as the MCU did, and HAL_EAGAIN until the
 * MCU reports the duty last set (its state belongs to the old output until then); CONTACTOR_POS/NEG are
 * contactor requests 1/2 and their feedback the reported states; ESTOP is any e-stop
 * input tripped or a safe state for reason 16..18. The protocol has no lock: the lock
 * feedback mirrors the command (a DC CCS board locks in the car's inlet).
 *
 * Faults (latched until cbsom_host_restart(), as the MCU's own safe state is left only
 * by a reset; cbsom_recover.h decides when, after a reset pulse where a line is fitted): no ChargeState1 within `rx_timeout_ms`, or `rx_timeout_closed_ms` while a
 * contactor is requested or closed (a silent or rebooting co-processor), no version
 * answer, unsupported firmware, the MCU's safe state, a duty not echoed within
 * `echo_timeout_ms`, a contactor reported closed that drops while still requested (the
 * co-processor rebooted), or a dead UART. In a fault the contactor requests are forced
 * open (and still sent, so a co-processor that comes back sees them), the pilot reads
 * HAL_EIO and the feedback HAL_EIO: the interlock ends the session. A frame with a bad
 * CRC, a wrong length, an unknown id or impossible signal values is counted and never
 * acted on.
 */
#ifndef CBSOM_HOST_H
#define CBSOM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "cbsom_frame.h"
#include "hal_gpio.h"
#include "hal_pilot.h"
#include "hal_serial.h"

struct cbsom_host_config {
    uint32_t period_ms;          /**< ChargeControl1 cycle (100) */
    uint32_t rx_timeout_ms;      /**< longest gap between ChargeState1 frames (1000) */
    uint32_t rx_timeout_closed_ms; /**< the same while a contactor is requested or closed
                                        (350): a co-processor that reboots is silent for its
                                        300 ms start-up at least, and may close again on our
                                        next frame without ever reporting "open" */
    uint32_t startup_ms;         /**< after reset before the first inquiry (300) */
    uint32_t inquiry_timeout_ms; /**< answer time of one inquiry (100) */
    uint8_t inquiry_tries;       /**< inquiries before giving up (3) */
    uint32_t echo_timeout_ms;    /**< the MCU must report the asked duty within (1000) */
    bool pp;                     /**< report PP (AC socket): else proximity is HAL_ENOTSUP */
};

enum cbsom_host_phase {
    CBSOM_HOST_STARTUP = 0, /**< waiting for the co-processor to boot */
    CBSOM_HOST_INQUIRE,     /**< version inquiry outstanding */
    CBSOM_HOST_RUNNING,
    CBSOM_HOST_FAULT,
};

enum cbsom_host_fault {
    CBSOM_FAULT_NONE = 0,
    CBSOM_FAULT_SILENT,         /**< no ChargeState1 within rx_timeout_ms */
    CBSOM_FAULT_NO_VERSION,     /**< the version inquiry was never answered */
    CBSOM_FAULT_BAD_VERSION,    /**< firmware whose frames we do not read */
    CBSOM_FAULT_SAFE_STATE,     /**< the MCU reports its safe state (reason in the state) */
    CBSOM_FAULT_NO_ECHO,        /**< the MCU does not drive the duty we ask for */
    CBSOM_FAULT_CONTACTOR_LOST, /**< a closed contactor dropped while requested */
    CBSOM_FAULT_SERIAL,         /**< the UART failed or went away */
};

/** What the host counts. Damaged and unexpected input never changes anything else. */
struct cbsom_host_counters {
    uint32_t tx_frames, tx_dropped; /**< frames queued; frames that did not fit */
    uint32_t rx_frames;             /**< good frames of a known id with sane signals */
    uint32_t bad_crc, bad_frame, skipped; /**< from the parser */
    uint32_t unknown_id;            /**< CRC right, id not one the MCU sends */
    uint32_t bad_signal;            /**< CRC right, values impossible (duty > 1000) */
    uint32_t errors;                /**< ErrorMessage frames */
    uint32_t restarts;              /**< cbsom_host_restart() calls */
};

struct cbsom_host {
    struct hal_pilot pilot; /**< hand to the charger */
    struct hal_gpio gpio;   /**< hand to the charger */
    struct hal_serial *serial;
    struct cbsom_host_config cfg;
    struct cbsom_parser parser;
    enum cbsom_host_phase phase;
    enum cbsom_host_fault fault;
    uint32_t now_ms, phase_ms, last_rx_ms, last_tx_ms, echo_since_ms;
    uint8_t tries;
    bool have_state, have_temps, have_version, dirty, echo_wait, lock;
    bool closed_seen[CBSOM_CONTACTORS];
    struct cbsom_control ctl;
    struct cbsom_state state;
    struct cbsom_temps temps;
    struct cbsom_version version;
    struct cbsom_error last_error;
    uint8_t tx[4 * CBSOM_FRAME_LEN];
    uint8_t tx_len;
    struct cbsom_host_counters cnt;
};

/** @brief 100 ms cycle, 1000 ms receive timeout (350 ms with a contactor), 300 ms
 *         start-up, 3 x 100 ms inquiries. */
void cbsom_host_default_config(struct cbsom_host_config *cfg);

/**
 * @brief Start over @p serial (already open): pilot off (state E), contactors open,
 *        phase STARTUP from @p now_ms.
 * @retval HAL_OK
 * @retval HAL_EINVAL NULL, or a zero period / timeout
 */
int cbsom_host_init(struct cbsom_host *h, const struct cbsom_host_config *cfg, struct hal_serial *serial,
                    uint32_t now_ms);

/** @brief One pass: read what arrived, supervise, send what is due. Call every few ms. */
void cbsom_host_step(struct cbsom_host *h, uint32_t now_ms);

/** @brief After the co-processor was reset on purpose: clear the fault, start over (the
 *         requests stay: contactors open, pilot off until set again). */
void cbsom_host_restart(struct cbsom_host *h, uint32_t now_ms);

/** @brief Request contactor @p idx (0..2) closed or open (the GPIO port uses 0 and 1).
 *  @retval HAL_EINVAL idx out of range  @retval HAL_EIO in a fault (open is still taken) */
int cbsom_host_set_contactor(struct cbsom_host *h, unsigned idx, bool closed);

/** @brief Pilot not driven (0 V, state E): CC_PWM_Active cleared. */
void cbsom_host_pilot_off(struct cbsom_host *h);

/** @brief The last ChargeState1, or NULL before the first one. */
const struct cbsom_state *cbsom_host_state(const struct cbsom_host *h);

/** @brief The last PT1000State, or NULL before the first one. */
const struct cbsom_temps *cbsom_host_temps(const struct cbsom_host *h);

/** @brief The co-processor's FirmwareVersion, or NULL before the answer. */
const struct cbsom_version *cbsom_host_version(const struct cbsom_host *h);

const char *cbsom_host_fault_name(enum cbsom_host_fault f);
const char *cbsom_host_phase_name(enum cbsom_host_phase p);

#endif /* CBSOM_HOST_H */
