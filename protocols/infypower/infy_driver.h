/**
 * @file infy_driver.h
 * @brief InfyPower V1.13 driver core: polling, pacing, liveness, current sharing,
 *        capability aggregation, status-to-error mapping, power-down proof.
 *
 * Pure: frames go in through infy_drv_rx(), frames come out through
 * infy_drv_next_tx() / infy_drv_tx_done(), and time is the `now_ms` the caller passes.
 * No clock, no CAN, no heap. firmware/psu_infy.c makes it a `struct psu` over a
 * `struct hal_can` and a scheduler task.
 *
 * Pacing: the controller sends one frame per slot. The slot is the configured spacing
 * (default 50 ms) while a whole poll cycle plus a reserve for control frames fits in the
 * poll period; with more modules (more than 5 at the defaults) the slot shrinks so that
 * every module is still polled once per period: the module watchdog is a safety rule,
 * the 50 ms a bus-load recommendation. Polls go in command-major order (0x04 to every
 * module, then 0x03, then 0x0C), so two polls of the same module are at least one slot
 * times the module count apart. Priority per slot: "off" frames, polls more than one
 * slot late (but every fifth slot goes to a waiting control frame), power-down proof
 * reads, setpoints, "on", polls on time.
 * See docs/power-stage.md.
 */
#ifndef INFY_DRIVER_H
#define INFY_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_can.h"
#include "hal_log.h"
#include "infypower/infy_frame.h"

/** Most modules one driver handles (60 fit in the address range 0x00..0x3B). */
#ifndef CFG_INFY_MAX_MODULES
#define CFG_INFY_MAX_MODULES 60
#endif
_Static_assert(CFG_INFY_MAX_MODULES >= 1 && CFG_INFY_MAX_MODULES <= 60,
               "CFG_INFY_MAX_MODULES must be 1..60 (module addresses 0x00..0x3B)");

/** Shortest slot the pacing may shrink to, in ms (a 29-bit frame takes ~1.1 ms at 125 kbit/s
 *  and its answer as much again). */
#ifndef CFG_INFY_MIN_SLOT_MS
#define CFG_INFY_MIN_SLOT_MS 3u
#endif
_Static_assert(CFG_INFY_MIN_SLOT_MS >= 3u, "a slot must hold a request and its answer");

/** After its "off" went out, a module that is not answering counts as off this much later. */
#ifndef CFG_INFY_OFF_SETTLE_MS
#define CFG_INFY_OFF_SETTLE_MS 200u
#endif

/** While a module still reports current after "off", its proof read is repeated this often. */
#ifndef CFG_INFY_PROOF_REPEAT_MS
#define CFG_INFY_PROOF_REPEAT_MS 100u
#endif

/** The modules' own watchdog: silent this long, a module switches its output off. */
#define INFY_MODULE_WATCHDOG_MS 10000u

/** How the modules are addressed. */
enum infy_addressing {
    INFY_ADDRESSING_FIXED = 0, /**< dialled addresses, listed in the configuration */
    INFY_ADDRESSING_GROUP,     /**< a group number; the count answer gives addresses 0..n-1 */
};

/** Configuration (see infy_default_config()). */
struct infy_config {
    uint8_t controller;                        /**< our source address, 0xF0..0xF7 */
    enum infy_addressing addressing;
    uint8_t addresses[CFG_INFY_MAX_MODULES];   /**< fixed mode: module addresses */
    uint8_t count;                             /**< fixed mode: how many */
    uint8_t group;                             /**< group mode: dialled group number */
    uint32_t poll_period_ms;                   /**< every module polled once per period, 100..1000 */
    uint32_t frame_spacing_ms;                 /**< preferred slot, 50..200 */
    uint32_t offline_timeout_ms;               /**< > INFY_MODULE_WATCHDOG_MS (default 15 s) */
    uint32_t power_down_timeout_ms;            /**< bound of the wait for the "off" proof */
    uint32_t safe_current_ma;                  /**< "off" proven below this, per stage */
    uint32_t min_current_ma;                   /**< smallest total current limit sent (1 A) */
    uint16_t efficiency_permille;              /**< published conversion efficiency (950) */
};

/** Errors the driver raises; firmware/psu_infy.c maps them to psu_error_type 1:1. */
enum infy_error {
    INFY_E_COMMUNICATION = 0,
    INFY_E_HARDWARE,
    INFY_E_OVER_TEMPERATURE,
    INFY_E_UNDER_VOLTAGE_AC,
    INFY_E_UNDER_VOLTAGE_DC,
    INFY_E_OVER_VOLTAGE_DC,
    INFY_E_OVER_CURRENT_DC,
    INFY_E_VENDOR_ERROR,
    INFY_E_VENDOR_WARNING,
    INFY_E_COUNT,
};

/** One status bit's meaning (the table of the fact sheet, section 4). */
struct infy_status_map {
    uint32_t bit;          /**< INFY_ST_* */
    enum infy_error error; /**< raised while the bit is set */
    bool high;             /**< High severity (else Medium) */
    const char *name;
};

/** The mapped status bits; @p count gets the table length. */
const struct infy_status_map *infy_status_table(size_t *count);

/** Bits that take a module out of the sharing (every mapped bit except the fan warning). */
#define INFY_ST_FAILED_MASK                                                                    \
    (INFY_ST_SHORT_CIRCUIT | INFY_ST_DISCHARGE_ABNORMAL | INFY_ST_FAULT_ALARM |                \
     INFY_ST_PROTECTION | INFY_ST_OVER_TEMP | INFY_ST_OUTPUT_OVER_VOLTAGE |                    \
     INFY_ST_COMM_INTERRUPT | INFY_ST_ID_REPEATED | INFY_ST_LOAD_SHARING | INFY_ST_PHASE_LOST | \
     INFY_ST_INPUT_UNBALANCED | INFY_ST_INPUT_UNDER_VOLTAGE | INFY_ST_INPUT_OVER_VOLTAGE)

/** Aggregated capabilities of the active modules. */
struct infy_caps_total {
    bool valid;              /**< at least one active module */
    uint32_t max_voltage_mv; /**< min of the modules' maximums */
    uint32_t min_voltage_mv; /**< max of the modules' minimums */
    uint32_t max_current_ma; /**< sum */
    uint32_t min_current_ma; /**< the configured minimum (1 A) */
    uint32_t max_power_w;    /**< sum */
};

/** Counters. */
struct infy_stats {
    uint32_t tx;                /**< frames sent (committed) */
    uint32_t rx;                /**< frames accepted */
    uint32_t rx_internal;       /**< 0x17 module traffic dropped */
    uint32_t rx_malformed;      /**< standard id, RTR, DLC < 8, bad payload */
    uint32_t rx_error_field;    /**< non-zero error code in the id */
    uint32_t rx_foreign;        /**< other destination or unlisted source */
    uint32_t rx_unknown_cmd;    /**< a command we do not use */
    uint32_t cycles;            /**< poll cycles started */
    uint32_t slot_ms;           /**< slot length of the current cycle */
    uint32_t late_polls;        /**< polls sent more than one slot after their nominal time */
};

/** Driver-internal state of one module. Private to infy_driver.c. */
struct infy_module {
    uint8_t addr;
    bool present;      /**< polled (fixed: always; group: index < count) */
    bool seen;         /**< answered a status request at least once */
    bool online;       /**< a status arrived within the offline timeout */
    bool caps_known, serial_known, vi_known;
    bool active;       /**< counted in capabilities and sharing */
    uint32_t last_status_ms;
    struct infy_caps caps;
    struct infy_status st;
    uint32_t err_mask;     /**< bit per enum infy_error currently raised for this module */
    int32_t voltage_mv, current_ma;
    uint32_t vi_at_ms;     /**< when the latest 0x03 (voltage, current) answer arrived */
    uint32_t bus_mv, avail_ma;
    char serial[INFY_SERIAL_SIZE];
    /* control */
    bool want_on;      /**< desired switch state of this module */
    bool onoff_dirty;  /**< the switch state must be (re)sent */
    bool vi_dirty;     /**< the setpoint must be (re)sent */
    bool sent_on;      /**< last switch state sent */
    uint32_t share_ma; /**< this module's part of the current limit */
    uint32_t sent_mv, sent_ma;
    /* proof that "off" took effect */
    bool off_sent;          /**< an "off" went out since the stage was commanded off */
    uint32_t off_sent_ms;
    bool proof_req;         /**< a 0x03 went out after the "off" */
    bool proof_vi;          /**< a 0x03 answer to such a request arrived */
    uint32_t proof_at_ms;   /**< when the latest such request went out */
};

/** One driver instance (one CAN bus, one stage). */
struct infy_drv {
    struct infy_config cfg;
    struct hal_log *log;
    struct infy_module mod[CFG_INFY_MAX_MODULES];
    uint8_t nmod;           /**< module slots in use */
    uint8_t group_count;    /**< group mode: last count answer */
    bool group_known;
    uint32_t start_ms;
    /* request */
    bool want_on;
    bool have_setpoint;
    uint32_t req_mv, req_ma;   /**< as asked */
    uint32_t set_mv, set_ma;   /**< clamped to the capabilities */
    uint32_t off_cmd_ms;
    struct infy_caps_total caps;
    /* errors */
    bool comm_fault;
    uint32_t errors_generation;
    /* pacing */
    uint32_t cycle_start_ms;
    uint16_t cycle_items;   /**< polls in the current cycle */
    uint16_t cycle_next;    /**< next poll index */
    uint8_t cycle_n;        /**< modules in the current cycle */
    bool cycle_group;       /**< the cycle starts with a group count request */
    uint32_t slot_ms;
    uint32_t last_tx_ms;
    bool tx_ever;
    uint8_t polls_in_row;   /**< consecutive polls sent (fairness toward control frames) */
    /* the frame infy_drv_next_tx() offered, committed by infy_drv_tx_done() */
    bool pending;
    uint8_t pending_kind;
    uint8_t pending_mod;
    struct hal_can_frame pending_frame;
    struct infy_stats stats;
};

/** Public view of one module. */
struct infy_module_info {
    uint8_t address;
    bool present, seen, online, active, caps_known, on;
    uint32_t last_status_ms;
    int32_t voltage_mv, current_ma;
    uint32_t bus_voltage_mv, available_ma;
    uint32_t setpoint_mv, setpoint_ma;
    struct infy_caps caps;
    struct infy_status status;
    uint32_t err_mask;
    char serial[INFY_SERIAL_SIZE];
};

/** What the driver measures at the output. */
struct infy_output {
    int32_t voltage_mv;  /**< highest bus voltage (0x0C) among online modules */
    int32_t current_ma;  /**< sum of the 0x03 currents of online modules */
    bool valid;          /**< on: at least one reading; off: every module proven off */
    uint32_t age_ms;     /**< since the freshest voltage answer of an online module (the
                              modules share one bus; a failed poll keeps the old value) */
    bool voltage_known;  /**< an online module has answered 0x03 (voltage_mv, age_ms hold it) */
};

/** @brief Defaults: controller 0xF0, fixed addressing with no module, 900 ms period,
 *         50 ms spacing, 15 s offline timeout, 1.5 s power-down bound, 2 A safe current,
 *         1 A minimum current, 95 % efficiency. */
void infy_default_config(struct infy_config *cfg);

/**
 * @brief Check a configuration.
 * @param[out] why on failure, a static message naming the key and the reason
 * @retval HAL_OK valid
 * @retval HAL_EINVAL invalid (e.g. an offline timeout of 10 s or less, which would drop
 *         a module from the sum while it may still deliver current)
 */
int infy_config_check(const struct infy_config *cfg, const char **why);

/**
 * @brief Start: every module is to be switched off first, polling begins at @p now_ms.
 * @param log optional log sink (NULL: silent)
 * @retval HAL_OK running
 * @retval HAL_EINVAL the configuration is invalid (logged with the reason)
 */
int infy_drv_init(struct infy_drv *d, const struct infy_config *cfg, struct hal_log *log,
                  uint32_t now_ms);

/**
 * @brief Feed one received frame. Anything that is not a valid answer addressed to us
 *        from a module we poll is counted and ignored.
 * @retval HAL_OK used
 * @retval HAL_EAGAIN ignored on purpose (internal traffic, foreign, error field set)
 * @retval HAL_EPROTO malformed (wrong format, DLC < 8, impossible payload)
 */
int infy_drv_rx(struct infy_drv *d, const struct hal_can_frame *f, uint32_t now_ms);

/**
 * @brief Timeouts and bookkeeping for @p now_ms (liveness, comm fault, cycle start).
 * @return ms until the driver next needs a step or has a frame to send (0 = now)
 */
uint32_t infy_drv_step(struct infy_drv *d, uint32_t now_ms);

/**
 * @brief The frame to send now, if its slot has come. The choice is made afresh on
 *        every call (a later "off" overtakes anything offered before); only the frame
 *        offered last is committed by infy_drv_tx_done().
 * @retval HAL_OK @p f is to be sent
 * @retval HAL_EAGAIN nothing is due
 */
int infy_drv_next_tx(struct infy_drv *d, uint32_t now_ms, struct hal_can_frame *f);

/** @brief The frame offered last went out at @p now_ms (call only after HAL_OK from send). */
void infy_drv_tx_done(struct infy_drv *d, uint32_t now_ms);

/**
 * @brief Ask for export (on) or off. Off is never refused.
 * @retval HAL_OK commanded
 * @retval HAL_ESTATE on refused: no active module, no setpoint yet, or a communication fault
 */
int infy_drv_set_on(struct infy_drv *d, bool on, uint32_t now_ms);

/**
 * @brief Set the export voltage and total current limit; shared over the active modules.
 * @retval HAL_OK applied as asked (or stored, when no capability is known yet)
 * @retval HAL_EINVAL outside the capabilities: applied clamped to them
 */
int infy_drv_set_export(struct infy_drv *d, uint32_t voltage_mv, uint32_t current_ma);

/** @brief The output as measured (see struct infy_output for `valid`). */
void infy_drv_output(const struct infy_drv *d, uint32_t now_ms, struct infy_output *out);

/**
 * @brief After infy_drv_set_on(false): proof that the output is off.
 * @retval HAL_OK every online module answered a post-"off" 0x03 below the safe current and
 *         every other module was sent "off" at least CFG_INFY_OFF_SETTLE_MS ago
 * @retval HAL_EAGAIN not yet
 * @retval HAL_ETIMEDOUT power_down_timeout_ms passed without the proof
 * @retval HAL_ESTATE the stage is commanded on
 */
int infy_drv_off_done(const struct infy_drv *d, uint32_t now_ms);

/** @brief Aggregated capabilities of the active modules (valid=false: none). */
const struct infy_caps_total *infy_drv_caps(const struct infy_drv *d);

/** @brief Counters. */
const struct infy_stats *infy_drv_stats(const struct infy_drv *d);

/** @brief The configuration in use. */
const struct infy_config *infy_drv_config(const struct infy_drv *d);

/** @brief Number of module slots (fixed: configured; group: the capacity in use). */
size_t infy_drv_module_count(const struct infy_drv *d);

/**
 * @brief Public view of module slot @p i.
 * @retval HAL_OK filled
 * @retval HAL_EINVAL @p i out of range
 */
int infy_drv_module_info(const struct infy_drv *d, size_t i, struct infy_module_info *out);

/** @brief Modules online / active now. */
void infy_drv_counts(const struct infy_drv *d, uint8_t *online, uint8_t *active);

/** @brief True while the requested mode is on. */
bool infy_drv_is_on(const struct infy_drv *d);

/** @brief True while every module is lost (system CommunicationFault). */
bool infy_drv_comm_fault(const struct infy_drv *d);

/** @brief Changes whenever any error is raised or cleared. */
uint32_t infy_drv_errors_generation(const struct infy_drv *d);

/** @brief EVerest name of an error ("HardwareFault", ...). */
const char *infy_error_name(enum infy_error e);

/** @brief Severity of an error raised by status bits: true = High, false = Medium. */
bool infy_error_high(enum infy_error e);

#endif /* INFY_DRIVER_H */
