/**
 * @file ev_model.h
 * @brief A simulated DIN 70121 / ISO 15118-2 / ISO 15118-20 car: battery model (capacity,
 *        state of charge, open-circuit voltage curve, internal resistance, current acceptance
 *        that tapers), the DIN EV machine (protocols/din/din_ev), the ISO-2 one
 *        (protocols/iso2/iso2_ev) or the -20 DC one (protocols/iso20/iso20_ev), chosen by the
 *        profile's `protocol` (DIN by default), the EV side of the link
 *        (firmware/ev_link: SLAC, SDP, V2GTP) and, when a pilot is given, the EV side of
 *        the control pilot. Shared by the simulator board (in process, with the plant's
 *        physics) and tools/evsim (its own process on a real interface).
 *
 * Not charger firmware: it is the other end. It lives in the core so both hosts use one
 * model; it allocates nothing and reads no clock.
 */
#ifndef EV_MODEL_H
#define EV_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "din/din_ev.h"
#include "iso2/iso2_ev.h"
#include "iso20/iso20_ev.h"
#include "ev_link.h"
#include "iec61851/pilot_ev.h"
#include "sched.h"

/** Battery parameters. */
struct ev_battery_config {
    uint32_t capacity_wh;       /**< usable energy, 60 000 */
    uint16_t cells_series;      /**< cells in series, 96 (OCV 288..401 V) */
    uint32_t r_mohm;            /**< internal resistance of the pack, 80 */
    uint32_t max_current_ma;    /**< the car's limit, 200 000 */
    uint32_t max_voltage_mv;    /**< highest pack voltage while charging, 410 000 */
    uint8_t taper_from_soc;     /**< full current up to this SOC, then a linear taper, 55 */
};

/** Battery state. */
struct ev_battery {
    struct ev_battery_config cfg;
    int64_t energy_mwh;         /**< stored energy */
    int64_t charged_mwh;        /**< energy taken in since ev_battery_init */
    int64_t rest_mw_ms;         /**< energy below 1 mWh not yet counted (mW x ms) */
};

/** Phase of the car. */
enum ev_model_phase {
    EV_MODEL_AWAY = 0,       /**< not plugged */
    EV_MODEL_WAIT_PWM,       /**< plugged (B), waiting for 5 % */
    EV_MODEL_LINK,           /**< SLAC / SDP / TCP */
    EV_MODEL_SESSION,        /**< DIN session running */
    EV_MODEL_DONE,           /**< session over (result says how); S2 open, own contactors open */
    EV_MODEL_PAUSED,         /**< ISO-2 or -20 session paused (SessionStop Pause): link closed, S2 open;
                                  after resume_after_ms a wake-up toggle, then a new link */
};

/** What the car offers in supportedAppProtocol. */
enum ev_model_protocol {
    EV_MODEL_PROTO_DIN = 0,  /**< DIN 70121 only, as the profile's `din` offers say (default) */
    EV_MODEL_PROTO_ISO2,     /**< ISO 15118-2 only */
    EV_MODEL_PROTO_AUTO,     /**< ISO 15118-2 first, DIN 70121 second: the SECC picks */
    EV_MODEL_PROTO_ISO20,    /**< ISO 15118-20 DC only (control mode from cfg.iso20.mode) */
    EV_MODEL_PROTO_AUTO20,   /**< ISO 15118-20 DC first, then ISO 15118-2, then DIN 70121 */
};

/** Configuration of one car. */
struct ev_model_config {
    char name[16];
    enum din_ev_profile profile;
    struct ev_battery_config battery;
    uint8_t soc_start;          /**< %, 30 */
    uint8_t soc_target;         /**< stop charging here, 80 */
    uint32_t charge_ms_max;     /**< stop after this long in CurrentDemand (0 = until target) */
    bool inlet_dead;            /**< the inlet never sees voltage (Model Y capture: stop in pre-charge) */
    uint32_t request_ma;        /**< asked current cap, 0 = the battery's acceptance */
    struct din_ev_config din;   /**< filled by ev_model_default_config() from the profile; its
                                     EVCCID is the car's MAC for either protocol */
    enum ev_model_protocol protocol; /**< DIN unless the profile or the caller says otherwise */
    struct iso2_ev_config iso2; /**< the ISO-2 machine's settings (offers from `protocol`) */
    struct iso20_ev_config iso20; /**< the -20 machine's settings (mode; offers from `protocol`) */
    uint32_t pause_after_ms;    /**< ISO-2, -20 (scheduled mode): pause once after this long in CurrentDemand (0 = never) */
    uint32_t resume_after_ms;   /**< ... and come back after this long paused (wake-up, new link) */
    uint32_t renegotiate_after_ms; /**< ISO-2, -20: ask once for new schedules after this long in the loop (0 = never) */
    struct ev_link_config link;
};

/** One car. Only ev_model.c touches the fields. */
struct ev_model {
    struct ev_model_config cfg;
    struct ev_battery bat;
    struct din_ev din;
    struct iso2_ev iso2;
    struct iso20_ev iso20;
    bool use_iso2;              /**< the ISO-2 machine runs this session */
    bool use_iso20;             /**< the -20 machine runs this session (neither: DIN) */
    bool no_iso20;              /**< this connection is TLS 1.2: -20 is not offered ([V2G20-1237]) */
    bool paused;                /**< ISO-2 session paused: link closed, waiting to resume */
    bool pause_done;            /**< the one pause of pause_after_ms happened */
    bool reneg_done;            /**< the one renegotiation of renegotiate_after_ms was asked */
    uint32_t paused_ms;
    struct ev_link link;
    struct ev_link_ports ports;
    struct sched *sched;
    struct sched_task task;
    struct pilot_ev *cp;        /**< NULL: no pilot (the car is plugged when started) */
    struct hal_log *log;
    enum ev_model_phase phase;
    bool link_added;
    bool physics;               /**< the host reports inlet voltage and current (simulator) */
    int32_t inlet_mv;           /**< voltage at the inlet (physics) */
    int32_t current_ma;         /**< current into the battery (physics) */
    uint32_t last_ms;
    uint32_t phys_ms;           /**< last ev_model_physics() */
    uint32_t int_ms;            /**< last integration without physics */
    uint32_t plugged_ms, cd_since_ms;
    uint32_t no_pwm_since_ms;   /**< 5 % gone since (0 = present) */
    bool closed;                /**< own contactors physically closed */
    uint32_t open_asked_ms;     /**< the machine asked to open them (0 = no) */
    uint8_t soc_start_seen;
    const char *result;         /**< "ok", or why the session failed */
    bool ok;
    uint8_t buf[4352];          /**< one request: a PnC PaymentDetailsReq carries a whole chain */
};

/** @brief 60 kWh, 96 cells, 80 mOhm, 200 A, taper from 55 %. */
void ev_battery_default_config(struct ev_battery_config *cfg);
/** @brief A battery at @p soc_percent. */
void ev_battery_init(struct ev_battery *b, const struct ev_battery_config *cfg, uint8_t soc_percent);
/** @brief State of charge, 0..100 %. */
uint8_t ev_battery_soc(const struct ev_battery *b);
/** @brief State of charge in 0.1 %. */
uint16_t ev_battery_soc_permille(const struct ev_battery *b);
/** @brief Open-circuit voltage now (mV). */
int32_t ev_battery_ocv_mv(const struct ev_battery *b);
/** @brief Current the battery accepts now (taper above taper_from_soc, voltage limit). */
int32_t ev_battery_acceptance_ma(const struct ev_battery *b);
/** @brief Terminal voltage with @p current_ma flowing in (OCV + I R). */
int32_t ev_battery_terminal_mv(const struct ev_battery *b, int32_t current_ma);
/** @brief Take @p current_ma at @p voltage_mv for @p dt_ms. */
void ev_battery_charge(struct ev_battery *b, int32_t current_ma, int32_t voltage_mv, uint32_t dt_ms);

/** @brief Defaults for @p profile (STANDARD: 30 % -> 80 %, the standard's timers). */
void ev_model_default_config(struct ev_model_config *cfg, enum din_ev_profile profile);

/**
 * @brief Parse a profile name: standard, tesla, ioniq, polestar, tesla-precharge-stop (DIN);
 *        iso2 (the standard car speaking ISO 15118-2 only), iso2-din (ISO-2 first, DIN
 *        second), iso2-pause (iso2 that pauses once after 20 s of charging and resumes 5 s
 *        later on a new connection); iso20 (ISO 15118-20 DC only, scheduled control mode),
 *        iso20-dynamic (dynamic control mode), iso20-pause (iso20 that pauses like
 *        iso2-pause), iso20-auto (-20 dynamic first, ISO-2 second, DIN third), iso20-standby
 *        (iso20 that stands by for 5 s, 10 s into the loop).
 * @retval HAL_OK @p cfg reset to that profile's defaults
 * @retval HAL_EINVAL unknown
 */
int ev_model_profile_parse(const char *name, struct ev_model_config *cfg);

/**
 * @brief Set up a car on its link ports and scheduler (the EV's own world).
 * @param cp the EV side of the pilot, or NULL (standalone: plugged as soon as started)
 * @retval HAL_OK ready (not plugged)
 * @retval HAL_EINVAL missing ports
 */
int ev_model_init(struct ev_model *m, const struct ev_model_config *cfg,
                  const struct ev_link_ports *ports, struct sched *s, struct pilot_ev *cp,
                  struct hal_log *log, uint32_t now_ms);

/** @brief Plug in (state B) and start a session; the battery keeps its charge. */
int ev_model_plug(struct ev_model *m, uint32_t now_ms);

/** @brief Unplug: close the link, pilot A. */
void ev_model_unplug(struct ev_model *m, uint32_t now_ms);

/**
 * @brief Physics from the host (call every simulated ms): the voltage at the inlet and
 *        the current into the car (integrated into the battery).
 */
void ev_model_physics(struct ev_model *m, uint32_t now_ms, int32_t inlet_mv, int32_t current_ma);

/** @brief The car's own DC contactors are closed (the battery is on the inlet). */
bool ev_model_contactors(const struct ev_model *m);
/** @brief Phase. */
enum ev_model_phase ev_model_phase(const struct ev_model *m);
/** @brief The battery. */
const struct ev_battery *ev_model_battery(const struct ev_model *m);
/** @brief "ok" or why the session failed ("" while it runs). */
const char *ev_model_result(const struct ev_model *m);
/** @brief True when the session ended the way the car wanted (SessionStop answered). */
bool ev_model_ok(const struct ev_model *m);
/**
 * @brief TEST AID: the rule the ISO-2 machine breaks from the next session on
 *        (ISO2_EV_MISBEHAVE_NONE: a well-behaved car again; the fault scenarios clear it
 *        once the misbehaving car has left). A session already running keeps its setting.
 */
void ev_model_set_misbehave(struct ev_model *m, enum iso2_ev_misbehave b);

/** @brief The session is in the CurrentDemand / DC_ChargeLoop loop (any protocol). */
bool ev_model_in_current_demand(const struct ev_model *m);
/** @brief "DIN 70121", "ISO 15118-2", "ISO 15118-20", or "" before the protocol is negotiated. */
const char *ev_model_protocol_name(const struct ev_model *m);
/** @brief Parse "din", "iso2", "auto", "iso20" or "auto20" into @p cfg->protocol (HAL_EINVAL otherwise). */
int ev_model_protocol_parse(const char *name, struct ev_model_config *cfg);

/** @brief ISO-2 / -20 session counters for a tool's report: charger-asked or own (schedule)
 *         renegotiations, and resumes of a paused session on a new connection (both 0 for
 *         a DIN session). */
void ev_model_iso2_counts(const struct ev_model *m, uint32_t *renegotiations, uint32_t *resumes);

/** @brief SOC when the session started (%). */
uint8_t ev_model_soc_start(const struct ev_model *m);

#endif /* EV_MODEL_H */
