/**
 * @file sim_infy.h
 * @brief In-memory model of InfyPower REG/CEG/LRG modules (protocol V1.13) and an
 *        in-memory CAN port that connects the real driver to them.
 *
 * Used by the simulator board (so a simulated session runs the real protocol code) and
 * by tools/infysim (the same model on a SocketCAN interface). The model answers every
 * command of the fact sheet with its own encoding (floats through the FPU, not the
 * driver's integer decoder), ramps its output toward the setpoint into a resistive or
 * battery load, switches itself off after 10 s without controller traffic, and takes
 * injected faults. Time is passed in; nothing here reads a clock.
 */
#ifndef SIM_INFY_H
#define SIM_INFY_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_can.h"

#define SIM_INFY_MAX 60
#define SIM_INFY_QUEUE 256
#define SIM_INFY_WATCHDOG_MS 10000u

/** Faults a module can be given at run time. */
enum sim_infy_fault {
    SIM_INFY_FAULT_NONE = 0,
    SIM_INFY_FAULT_OVER_TEMP, /**< over-temperature: output off, status bit */
    SIM_INFY_FAULT_FAN,       /**< fan fault: a warning, output stays on */
    SIM_INFY_FAULT_SHORT,     /**< output short circuit: output off, status bit */
    SIM_INFY_FAULT_CLASH,     /**< address clash reported */
    SIM_INFY_FAULT_STUCK,     /**< ignores "off" for 2 s */
};

/** Ratings of one module. */
struct sim_infy_rating {
    uint16_t max_v;       /**< 1 V/bit on the wire */
    uint16_t min_v;
    uint32_t max_ma;      /**< sent in 0.1 A */
    uint32_t power_w;     /**< sent in 10 W */
};

/** One emulated module. */
struct sim_infy_module {
    uint8_t addr;
    struct sim_infy_rating rating;
    bool on;
    uint32_t set_mv, set_ma;
    int32_t out_ma;             /**< its part of the output current */
    uint32_t last_heard_ms;     /**< last frame from the controller */
    bool watchdog_tripped;
    bool mute;                  /**< off the bus: hears and answers nothing */
    uint32_t fault_bits;        /**< status bits of injected faults */
    uint32_t stuck_until_ms;
    bool stuck_armed;
    int8_t temperature_c;
    uint8_t serial[8];          /**< 0x0B payload */
};

/** The load on the common output. */
enum sim_infy_load {
    SIM_INFY_LOAD_RESISTIVE = 0,
    SIM_INFY_LOAD_BATTERY,
};

/** Counters. */
struct sim_infy_stats {
    uint32_t rx;          /**< frames taken from the bus */
    uint32_t tx;          /**< answers produced */
    uint32_t ignored;     /**< not for us, malformed, or muted */
    uint32_t dropped;     /**< answers lost because the queue was full */
    uint32_t watchdog_offs;
};

/** A stack of modules on one bus, in parallel on one output. */
struct sim_infy {
    struct sim_infy_module mod[SIM_INFY_MAX];
    int n;
    bool group_mode;
    uint8_t group;          /**< dialled group number */
    enum sim_infy_load load;
    uint32_t load_mohm;     /**< resistive load, or the battery's internal resistance */
    uint32_t battery_mv;    /**< battery open-circuit voltage */
    bool connected;         /**< the output reaches the load (contactors closed) */
    int32_t out_mv;         /**< voltage on the common output */
    int32_t out_ma;         /**< total current into the load */
    int32_t runaway_mv;     /**< fault injection: while a module delivers, the output is driven
                                 up to this whatever the setpoint (0 = none) */
    uint32_t off_since_ms;  /**< when the last module stopped delivering */
    uint32_t now_ms;
    struct hal_can_frame q[SIM_INFY_QUEUE];
    int qhead, qcount;
    struct sim_infy_stats stats;
    void (*event)(void *ctx, const struct sim_infy_module *m, const char *what); /**< optional */
    void *event_ctx;
};

/** In-memory CAN port: what the driver sends goes into the model, answers come back. */
struct sim_infy_can {
    struct hal_can base; /**< must stay first */
    struct sim_infy *model;
    bool bus_off; /**< fault injection: the controller is bus-off (send/recv HAL_ECLOSED; a
                       restart does not help while the fault lasts) */
};

/** @brief No module yet; a 10 ohm resistive load, connected. */
void sim_infy_init(struct sim_infy *s);

/** @brief Default rating: 30 kW, 50..1000 V, 100 A. */
void sim_infy_default_rating(struct sim_infy_rating *r);

/**
 * @brief Add a module with dialled address @p addr.
 * @retval 0 added; -1 full, address above 0x3B or used twice
 */
int sim_infy_add(struct sim_infy *s, uint8_t addr, const struct sim_infy_rating *r);

/** @brief Hand the model one frame seen on the bus at @p now_ms. */
void sim_infy_rx(struct sim_infy *s, const struct hal_can_frame *f, uint32_t now_ms);

/** @brief Take one answer. @retval true a frame was copied to @p f */
bool sim_infy_pop(struct sim_infy *s, struct hal_can_frame *f);

/** @brief Advance the physics and the watchdogs to @p now_ms (call every ms or so). */
void sim_infy_tick(struct sim_infy *s, uint32_t now_ms);

/** @brief The module with address @p addr, or NULL. */
struct sim_infy_module *sim_infy_find(struct sim_infy *s, uint8_t addr);

/** @brief Inject (or with SIM_INFY_FAULT_NONE clear) a fault on one module. */
void sim_infy_fault(struct sim_infy *s, struct sim_infy_module *m, enum sim_infy_fault f);

/** @brief Parse a fault name: none otp fan short clash stuck. @retval 0 ok, -1 unknown */
int sim_infy_fault_parse(const char *name, enum sim_infy_fault *out);

/** @brief True when no module is delivering or commanded on. */
bool sim_infy_all_off(const struct sim_infy *s);

/** @brief Wire an in-memory CAN port to @p model. */
void sim_infy_can_init(struct sim_infy_can *c, struct sim_infy *model);

#endif /* SIM_INFY_H */
