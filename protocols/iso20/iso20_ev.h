/**
 * @file iso20_ev.h
 * @brief ISO 15118-20 DC session with EIM, EV (EVCC) side, scheduled and dynamic control
 *        mode: drives a session from the car's side against any SECC. Same shape as
 *        din_ev.h and iso2_ev.h, so the EV model and evsim run any of them: bytes in,
 *        bytes out, no clock, no I/O, no allocation.
 *
 * The caller loops:
 *   iso20_ev_next()     -> an EXI payload to send, with its V2GTP payload type (0x8001 for
 *                          supportedAppProtocol, 0x8002 for common messages, 0x8004 for DC_*)
 *   iso20_ev_receive()  <- each response payload with the payload type it came in
 *   iso20_ev_deadline() tells when to call iso20_ev_next() again (pacing and timeouts);
 *   iso20_ev_actions()  says what the car does physically (CP state C, own contactors).
 *
 * Sequence (spec sheet iso15118-20-session.md §1.1, §1.3): supportedAppProtocol (-20:DC;
 * ISO-2 and DIN behind it when configured: the machine then stops in OTHER_CHOSEN and the
 * caller hands the connection on), SessionSetup, AuthorizationSetup, Authorization (EIM,
 * repeated while Ongoing), ServiceDiscovery, ServiceDetail (DC), ServiceSelection (DC with
 * the first parameter set of the configured ControlMode), DC_ChargeParameterDiscovery,
 * ScheduleExchange (repeated while Ongoing; scheduled: the first tuple is taken; dynamic:
 * departure time, minimum and target SOC), CP C, DC_CableCheck (while Ongoing),
 * DC_PreCharge (Ongoing until the voltage matches, then one Finished), PowerDelivery(Start)
 * with an EVPowerProfile, DC_ChargeLoop (scheduled: target current and voltage under the
 * schedule; dynamic: the car's limits and energy requests), PowerDelivery(Stop), CP B,
 * DC_WeldingDetection (Ongoing until the voltage is low, then one Finished),
 * SessionStop(Terminate).
 *
 * EVSENotification in PowerDeliveryRes/DC_ChargeLoopRes: Terminate -> the stop sequence;
 * Pause -> the stop sequence ending in SessionStop(Pause): PAUSED, and iso20_ev_resume() on
 * a new connection sends SessionSetupReq with the old SessionID (OK_OldSessionJoined goes
 * straight to DC_ChargeParameterDiscovery); ScheduleRenegotiation (or model.renegotiate) ->
 * PowerDelivery(ScheduleRenegotiation) -> ScheduleExchange -> PowerDelivery(Start);
 * standby (cfg.standby_after_ms, spec sheet §4.4) -> loop requests for 0 A until the current
 * is below 1 A -> PowerDelivery(Standby) -> OK: nothing sent for cfg.standby_ms (CP C and the
 * contactors kept) -> PowerDelivery(Start) -> the loop again; WARNING_StandbyNotAllowed: the
 * loop goes on;
 * ServiceRenegotiation (when the SECC said it supports it) -> PowerDelivery(Stop),
 * WeldingDetection, SessionStop(ServiceRenegotiation) -> ServiceDiscovery on the same
 * connection.
 *
 * The car refuses what a car must refuse: an undecodable answer, one of the wrong type or
 * payload type, a FAILED* ResponseCode (its name becomes the reason), a SessionID that is
 * not 8 bytes or not the one the SECC issued, no EIM, no DC service, no parameter set of
 * the configured ControlMode, a ScheduleExchangeRes of the other control mode: FAILED with
 * a safe shutdown (CP B, own contactors open, no further request, as the SECC ends the
 * session after a FAILED* itself). A WARNING_* in AuthorizationRes ends the session with
 * SessionStop(Terminate); other WARNING_* codes let it go on.
 */
#ifndef ISO20_EV_H
#define ISO20_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apphand/apphand.h"
#include "exi/exi_iso20.h"
#include "exi/exi_iso20_dc.h"
#include "v2g/v2g_ev.h"

/** The -20 DC namespace of supportedAppProtocol (spec sheet §2.1). */
#define ISO20_EV_NS_DC "urn:iso:std:iso:15118:-20:DC"

/** V2GTP payload types of a -20 DC session (spec sheet §1.1). */
#define ISO20_EV_PT_SAP 0x8001u    /**< supportedAppProtocol */
#define ISO20_EV_PT_COMMON 0x8002u /**< CommonMessages */
#define ISO20_EV_PT_AC 0x8003u     /**< AC_* messages (never sent by a DC car but for a bad-input test) */
#define ISO20_EV_PT_DC 0x8004u     /**< DC_* messages */

/** EV timers (ms), spec sheet §1.3 (Josev, EVerest's EV). */
#define ISO20_EV_MSG_TIMEOUT_MS 2000u          /**< V2G_EVCC_Msg_Timeout */
#define ISO20_EV_MSG_TIMEOUT_DETAIL_MS 5000u   /**< ... for ServiceDetail */
#define ISO20_EV_MSG_TIMEOUT_LOOP_MS 500u      /**< ... for DC_ChargeLoop */
#define ISO20_EV_COMM_SETUP_TIMEOUT_MS 20000u  /**< V2G_EVCC_CommunicationSetup_Timeout */
#define ISO20_EV_ONGOING_TIMEOUT_MS 60000u     /**< Authorization, ScheduleExchange */
#define ISO20_EV_CABLE_CHECK_TIMEOUT_MS 40000u /**< DC_CableCheck loop */
#define ISO20_EV_PRECHARGE_TIMEOUT_MS 10000u   /**< DC_PreCharge loop (-20: 10 s; DIN/-2 7 s) */
#define ISO20_EV_WELDING_TIMEOUT_MS 60000u     /**< DC_WeldingDetection loop */
#define ISO20_EV_STANDBY_IDLE_MA 2000          /**< standby: the ramp to 0 A is done below this (a stage's
                                                    minimum current, e.g. InfyPower's 1 A, is not 0) */
#define ISO20_EV_STANDBY_RAMP_MS 3000u         /**< ... or after this long anyway (the SECC holds 0 A) */

/** -20 ServiceIDs the car uses (spec sheet §2.5). */
#define ISO20_EV_SERVICE_DC 2u
#define ISO20_EV_SERVICE_DC_BPT 6u

/** Most supportedAppProtocol entries the EV offers. */
#ifndef CFG_ISO20_EV_OFFERS
#define CFG_ISO20_EV_OFFERS 4
#endif
_Static_assert(CFG_ISO20_EV_OFFERS >= 1 && CFG_ISO20_EV_OFFERS <= 20, "CFG_ISO20_EV_OFFERS must be 1..20");

/** Longest EVCCID the car sends (the schema allows 255; a VIN has 17). */
#ifndef CFG_ISO20_EV_EVCCID_LEN
#define CFG_ISO20_EV_EVCCID_LEN 32
#endif
_Static_assert(CFG_ISO20_EV_EVCCID_LEN >= 1 && CFG_ISO20_EV_EVCCID_LEN <= 255, "CFG_ISO20_EV_EVCCID_LEN must be 1..255");

/** Schedule entries the car keeps of the chosen tuple (the codec holds 24). */
#define ISO20_EV_SCHEDULE_MAX CFG_EXI_ISO20_POWERSCHEDULEENTRYLISTTYPE_POWERSCHEDULEENTRY_MAX

/** ControlMode of the DC service (parameter `ControlMode`, spec sheet §2.5). */
enum iso20_ev_mode {
    ISO20_EV_SCHEDULED = 1,
    ISO20_EV_DYNAMIC = 2,
};

/** The request the EV sends next (or the end). */
enum iso20_ev_state {
    ISO20_EV_IDLE = 0,
    ISO20_EV_HANDSHAKE,         /**< supportedAppProtocolReq */
    ISO20_EV_SESSION_SETUP,
    ISO20_EV_AUTH_SETUP,        /**< AuthorizationSetupReq */
    ISO20_EV_AUTHORIZATION,     /**< EIM, repeated while Ongoing */
    ISO20_EV_SERVICE_DISCOVERY,
    ISO20_EV_SERVICE_DETAIL,    /**< for the DC service */
    ISO20_EV_SERVICE_SELECTION,
    ISO20_EV_CHARGE_PARAMETER,  /**< DC_ChargeParameterDiscovery */
    ISO20_EV_SCHEDULE_EXCHANGE, /**< repeated while Ongoing */
    ISO20_EV_CABLE_CHECK,       /**< repeated while Ongoing */
    ISO20_EV_PRECHARGE,         /**< Ongoing until the voltage matches, then Finished */
    ISO20_EV_POWER_ON,          /**< PowerDelivery(Start) */
    ISO20_EV_CHARGE_LOOP,       /**< DC_ChargeLoop */
    ISO20_EV_RENEGOTIATE,       /**< PowerDelivery(ScheduleRenegotiation) */
    ISO20_EV_STANDBY,           /**< PowerDelivery(Standby) (cfg.standby_after_ms) */
    ISO20_EV_POWER_OFF,         /**< PowerDelivery(Stop) */
    ISO20_EV_WELDING,           /**< DC_WeldingDetection */
    ISO20_EV_SESSION_STOP,      /**< Terminate, Pause or ServiceRenegotiation */
    ISO20_EV_DONE,              /**< SessionStopRes(Terminate): close the connection */
    ISO20_EV_PAUSED,            /**< SessionStopRes(Pause): close; iso20_ev_resume() later */
    ISO20_EV_OTHER_CHOSEN,      /**< the SECC chose another offer (ISO-2, DIN): hand over */
    ISO20_EV_FAILED,            /**< gave up: `reason`; safe shutdown */
    ISO20_EV_STATE_COUNT
};

/** A car that breaks the rules on purpose: the stimuli of the charger's bad-input tests
 *  (issue 16 "Bad input", spec sheet §8.2). NONE for every normal car. */
enum iso20_ev_misbehave {
    ISO20_EV_MISBEHAVE_NONE = 0,
    ISO20_EV_MISBEHAVE_WRONG_CONTROL_MODE,   /**< ScheduleExchangeReq with the other control mode's element (N10) */
    ISO20_EV_MISBEHAVE_UNOFFERED_SERVICE,    /**< ServiceSelectionReq naming a ServiceID never offered (N4) */
    ISO20_EV_MISBEHAVE_RENEGOTIATE_IN_CABLE_CHECK, /**< PowerDelivery(ScheduleRenegotiation) instead of DC_CableCheckReq */
    ISO20_EV_MISBEHAVE_BPT_LIMITS,           /**< BPT (discharge) limits in DC_ChargeParameterDiscoveryReq after selecting DC (N9) */
    ISO20_EV_MISBEHAVE_WRONG_NAMESPACE,      /**< DC_CableCheckReq sent as an AC message (payload type 0x8003) */
    ISO20_EV_MISBEHAVE_WRONG_LOOP_MODE,      /**< the 8th DC_ChargeLoopReq in the other control mode's element (under load) */
    ISO20_EV_MISBEHAVE_UNOFFERED_DETAIL,     /**< ServiceDetailReq for a ServiceID never offered (N3) */
    ISO20_EV_MISBEHAVE_SERVICE_RENEGOTIATION_IN_CABLE_CHECK, /**< SessionStop(ServiceRenegotiation) instead of DC_CableCheckReq */
    ISO20_EV_MISBEHAVE_COUNT
};

/** Configuration (iso20_ev_default_config()). */
struct iso20_ev_config {
    struct apphand_offer offers[CFG_ISO20_EV_OFFERS];
    uint8_t n_offers;
    char evccid[CFG_ISO20_EV_EVCCID_LEN + 1]; /**< NUL-terminated string (-20: not the MAC) */
    enum iso20_ev_mode mode;                 /**< ControlMode the car selects */
    uint64_t epoch_s;                        /**< header TimeStamp at now_ms = 0 (Unix seconds) */
    uint16_t max_supporting_points;          /**< ScheduleExchangeReq, 12..1024 (24: what the codec holds) */
    uint32_t departure_time_s;               /**< dynamic: DepartureTime (mandatory); scheduled: 0 = not sent */
    uint8_t minimum_soc;                     /**< dynamic ScheduleExchangeReq MinimumSOC */
    uint32_t start_delay_ms;                 /**< pause before supportedAppProtocolReq */
    uint32_t delay_ms;                       /**< response -> next request */
    uint32_t loop_delay_ms;                  /**< response -> repeated request (Ongoing, PreCharge, Welding) */
    uint32_t loop_period_ms;                 /**< DC_ChargeLoopReq period (<= 250 after the response) */
    uint32_t msg_timeout_ms, msg_timeout_detail_ms, msg_timeout_loop_ms; /**< 2 000 / 5 000 / 500 */
    uint32_t comm_setup_timeout_ms;          /**< start -> SessionSetupRes, 20 000 */
    uint32_t ongoing_timeout_ms;             /**< Authorization, ScheduleExchange: 60 000 */
    uint32_t cable_check_timeout_ms;         /**< 40 000 */
    uint32_t precharge_timeout_ms;           /**< 10 000 */
    uint32_t welding_timeout_ms;             /**< 60 000 */
    int32_t precharge_tolerance_mv;          /**< |U - U_batt| that counts as matched, 20 000 */
    bool welding_detection;                  /**< run DC_WeldingDetection after PowerDelivery(Stop) */
    uint8_t welding_max_rounds;              /**< Ongoing rounds before Finished anyway, 10 */
    int32_t welding_done_mv;                 /**< 40 000 */
    enum iso20_ev_misbehave misbehave;       /**< NONE; else one rule broken on purpose */
    uint32_t standby_after_ms;               /**< charging this long after PowerDelivery(Start): ramp the
                                                  current request to 0, then PowerDelivery(Standby)
                                                  once (0: never) */
    uint32_t standby_ms;                     /**< stand by this long, then PowerDelivery(Start)
                                                  (under the SECC's 60 s sequence timeout) */
};

/** What the car's battery model tells the machine (the caller writes it any time). */
struct iso20_ev_model {
    uint8_t soc;                    /**< PresentSOC */
    uint8_t target_soc;             /**< dynamic TargetSOC, DisplayParameters */
    int32_t battery_voltage_mv;     /**< pre-charge target, EVPresentVoltage */
    int32_t target_voltage_mv;      /**< scheduled loop EVTargetVoltage, ceiling */
    int32_t target_current_ma;      /**< scheduled: EVTargetCurrent; dynamic: EVMaximumChargeCurrent */
    int32_t max_voltage_mv, min_voltage_mv;
    int32_t max_current_ma, min_current_ma;
    int32_t max_power_w, min_power_w;
    int32_t capacity_wh;            /**< BatteryEnergyCapacity */
    int32_t energy_request_wh;      /**< EVTargetEnergyRequest (to target SOC) */
    int32_t energy_max_wh;          /**< EVMaximumEnergyRequest (to full) */
    int32_t energy_min_wh;          /**< EVMinimumEnergyRequest (to minimum SOC, may be < 0) */
    bool charging_complete;
    bool stop;                      /**< the car wants to stop charging now */
    bool pause;                     /**< when it stops: SessionStop(Pause) (scheduled mode, or asked) */
    bool renegotiate;               /**< ask for new schedules once (cleared when sent) */
    int32_t inlet_voltage_mv;       /**< own inlet measurement; < 0: trust EVSEPresentVoltage */
};

/** What the SECC reported last (mV, mA, W) and what was agreed. */
struct iso20_ev_evse {
    char evse_id[40];               /**< NUL-terminated (cut at 39 characters) */
    int32_t present_voltage_mv, present_current_ma;
    int32_t max_voltage_mv, min_voltage_mv;
    int32_t max_current_ma, min_current_ma;
    int32_t max_power_w, min_power_w;
    bool current_limit_achieved, voltage_limit_achieved, power_limit_achieved;
    bool notification_seen;         /**< the last PowerDeliveryRes/DC_ChargeLoopRes had EVSEStatus */
    uint8_t notification;           /**< exi_iso20_evseNotificationType_* when seen */
    uint16_t notification_max_delay_s;
    bool renegotiation_supported;   /**< ServiceDiscoveryRes ServiceRenegotiationSupported */
    uint64_t listed_services;       /**< bit n: ServiceID n (< 64) was listed (energy or VAS) */
    bool pnc_offered;               /**< AuthorizationSetupRes listed PnC (the car still uses EIM) */
    uint16_t parameter_set_id;      /**< ServiceSelection: the set the car chose */
    uint32_t tuple_id;              /**< scheduled: the ScheduleTuple the car chose */
    uint32_t offered_ids[CFG_EXI_ISO20_SCHEDULED_SERESCONTROLMODETYPE_SCHEDULETUPLE_MAX];
    uint8_t n_offered;
    uint8_t n_schedule;             /**< entries of the chosen PowerSchedule kept below */
    uint32_t schedule_duration_s[ISO20_EV_SCHEDULE_MAX];
    int32_t schedule_power_w[ISO20_EV_SCHEDULE_MAX];
    uint32_t departure_time_s;      /**< dynamic ScheduleExchangeRes/loop (0: none) */
    uint8_t minimum_soc, target_soc; /**< dynamic ScheduleExchangeRes (0: none) */
    bool resumed;                   /**< the SECC answered OK_OldSessionJoined */
    uint8_t last_code;              /**< ResponseCode of the last response */
};

/** Physical actions of the car. */
struct iso20_ev_actions {
    bool cp_c;        /**< pilot state C (ScheduleExchange Finished to PowerDeliveryRes(Stop)) */
    bool contactors;  /**< own DC contactors closed (pre-charge matched to PowerDeliveryRes(Stop)) */
};

/** One EV session. Only iso20_ev*.c touch the fields except `model`. */
struct iso20_ev {
    struct iso20_ev_config cfg;
    struct iso20_ev_model model;    /**< written by the caller */
    enum iso20_ev_state state;
    const char *reason;             /**< why FAILED / what ended the session */
    char reason_buf[80];            /**< reason with a ResponseCode name */
    struct v2g_ev_clock clk;        /**< request out, timeouts, pacing (v2g/v2g_ev.h) */
    enum iso20_ev_state sent;       /**< the state whose request is out */
    uint16_t sent_pt;               /**< its V2GTP payload type */
    uint8_t sent_progress;          /**< ChargeProgress / ChargingSession of the request */
    uint8_t stop_kind;              /**< exi_iso20_chargingSessionType_* of the coming SessionStop */
    bool ev_finished;               /**< PreCharge/Welding: the next request says Finished */
    bool renegotiating;             /**< ScheduleExchange of a schedule renegotiation */
    bool standby_ramp;              /**< standby is due: loop requests ask for 0 A until it flows no more */
    uint32_t standby_ramp_ms;       /**< when the ramp to 0 A began */
    bool standby_done;              /**< this session's standby was asked (accepted or refused) */
    bool have_session;              /**< `id` holds an SECC-issued SessionID (resume uses it) */
    bool refused;                   /**< the SECC refused (WARNING_* in AuthorizationRes): the
                                         session ends with SessionStop, but not as the car wanted */
    enum iso20_ev_state loop_state;
    uint8_t welding_rounds;
    int chosen_offer;
    uint32_t charge_start_ms;
    uint8_t id[8];
    struct iso20_ev_evse evse;
    struct iso20_ev_actions act;
    uint32_t requests, responses, renegotiations, resumes, loops, standbys;
    union {
        struct exi_iso20_document common;
        struct exi_iso20_dc_document dc;
        struct exi_apphand_document app;
    } doc;
};

/** @brief -20:DC only (SchemaID 1), dynamic mode, EVCCID "EVCC0000000001", the standard's timers. */
void iso20_ev_default_config(struct iso20_ev_config *cfg);

/**
 * @brief Offer another protocol behind -20 (ISO-2 or DIN namespace, at the next SchemaID
 *        and priority): the "auto" car. Ignored when the table is full.
 */
void iso20_ev_offer_too(struct iso20_ev_config *cfg, const char *ns);

/** @brief Model values of a 400 V, 60 kWh car at 50 % that asks for 100 A. */
void iso20_ev_default_model(struct iso20_ev_model *m);

/**
 * @brief Start a session (the TCP/TLS connection is up). The model is reset to defaults.
 * @retval HAL_OK     the first request is due after start_delay_ms
 * @retval HAL_EINVAL NULL, no offers, no -20:DC offer, an empty EVCCID or a bad mode
 */
int iso20_ev_start(struct iso20_ev *ev, const struct iso20_ev_config *cfg, uint32_t now_ms);

/**
 * @brief Resume a paused session on a new connection: handshake, then SessionSetupReq
 *        with the SessionID of the paused session. The model is kept.
 * @retval HAL_OK     started
 * @retval HAL_ESTATE the session is not PAUSED
 */
int iso20_ev_resume(struct iso20_ev *ev, uint32_t now_ms);

/**
 * @brief The next request, when one is due; also runs the EV's timers.
 * @param[out] pt the V2GTP payload type to send it with
 * @retval HAL_OK        @p len bytes to send
 * @retval HAL_EAGAIN    nothing due now (iso20_ev_deadline() says when)
 * @retval HAL_ETIMEDOUT a timer expired just now: the session FAILED (`reason`)
 * @retval HAL_ESTATE    the session is over (DONE, PAUSED, OTHER_CHOSEN or FAILED)
 * @retval HAL_ENOMEM    @p out is too small
 * @retval HAL_EPROTO    the request could not be encoded (a model value out of range)
 */
int iso20_ev_next(struct iso20_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len,
                  uint16_t *pt);

/**
 * @brief One response payload from the SECC.
 * @param pt the V2GTP payload type it came with (it selects the EXI grammar)
 * @retval HAL_OK     accepted; the session moved on
 * @retval HAL_EPROTO undecodable, unexpected, FAILED*, or a wrong SessionID: FAILED
 * @retval HAL_ESTATE no request is outstanding (or the session is over)
 * @retval HAL_EINVAL NULL argument
 */
int iso20_ev_receive(struct iso20_ev *ev, uint16_t pt, const uint8_t *exi, size_t len, uint32_t now_ms);

/** @brief When iso20_ev_next() has something to do (request due, or a timeout). */
uint32_t iso20_ev_deadline(const struct iso20_ev *ev);

/** @brief State. */
enum iso20_ev_state iso20_ev_state(const struct iso20_ev *ev);
/** @brief Name of a state ("charge_loop"). */
const char *iso20_ev_state_name(enum iso20_ev_state s);
/** @brief Why the session ended ("" while it runs). */
const char *iso20_ev_reason(const struct iso20_ev *ev);
/** @brief The SECC's latest values. */
const struct iso20_ev_evse *iso20_ev_evse(const struct iso20_ev *ev);
/** @brief What the car does physically now. */
const struct iso20_ev_actions *iso20_ev_actions(const struct iso20_ev *ev);
/** @brief The offer the SECC chose (index into cfg.offers), -1 before the handshake. */
int iso20_ev_chosen_offer(const struct iso20_ev *ev);
/** @brief DONE after a refusal (authorization): stopped cleanly, but not charged as wished. */
bool iso20_ev_refused(const struct iso20_ev *ev);
/** @brief Name of a -20 ResponseCode ("FAILED_SequenceError"; "?" when out of range). */
const char *iso20_ev_response_code_name(uint8_t code);
/** @brief Name of a misbehaviour ("wrong-control-mode"); iso20_ev_misbehave_parse() reads it. */
const char *iso20_ev_misbehave_name(enum iso20_ev_misbehave b);
/** @brief Parse a misbehaviour name (HAL_EINVAL when unknown). */
int iso20_ev_misbehave_parse(const char *name, enum iso20_ev_misbehave *b);
/** @brief Scheduled mode: power of the chosen schedule @p t_s seconds after PowerDelivery(Start)
 *         (W; -1: no schedule, or past its end). */
int32_t iso20_ev_schedule_power_at(const struct iso20_ev *ev, uint32_t t_s);

#endif /* ISO20_EV_H */
