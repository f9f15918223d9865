/**
 * @file din_ev.h
 * @brief DIN SPEC 70121 DC EIM session, EV (EVCC) side: drives a session from the car's
 *        side against any EVSE. Used by the EV simulator, which wraps it with a battery
 *        model by writing `struct din_ev_model` and reading the EVSE's values.
 *
 * Pure logic: no clock, no I/O, no allocation; the documents live inside the struct.
 * The caller loops:
 *   din_ev_next()    -> an EXI payload to send (V2GTP type 0x8001) when one is due
 *   din_ev_receive() <- each response payload
 *   din_ev_deadline() tells when to call din_ev_next() again (pacing and timeouts);
 *   din_ev_actions() says what the car does physically (CP state C, own contactors).
 * Behaviour profiles (din_ev_profile()) mimic real cars seen in the captures.
 */
#ifndef DIN_EV_H
#define DIN_EV_H

#include "apphand/apphand.h"
#include "din/din.h"
#include "v2g/v2g_ev.h"

/** Most SupportedAppProtocol entries an EV offers. */
#ifndef CFG_DIN_EV_OFFERS
#define CFG_DIN_EV_OFFERS 4
#endif
_Static_assert(CFG_DIN_EV_OFFERS >= 1 && CFG_DIN_EV_OFFERS <= 20, "CFG_DIN_EV_OFFERS must be 1..20");

/** The request the EV sends next (or the end). */
enum din_ev_state {
    DIN_EV_IDLE = 0,
    DIN_EV_HANDSHAKE,          /**< supportedAppProtocolReq */
    DIN_EV_SESSION_SETUP,
    DIN_EV_SERVICE_DISCOVERY,
    DIN_EV_PAYMENT_SELECTION,
    DIN_EV_CONTRACT_AUTH,      /**< repeated while Ongoing */
    DIN_EV_CHARGE_PARAMETER,   /**< repeated while Ongoing */
    DIN_EV_CABLE_CHECK,        /**< repeated while Ongoing */
    DIN_EV_PRECHARGE,          /**< repeated until the voltage matches */
    DIN_EV_POWER_ON,           /**< PowerDelivery(ReadyToChargeState=true) */
    DIN_EV_CURRENT_DEMAND,     /**< the charging loop */
    DIN_EV_POWER_OFF,          /**< PowerDelivery(false) */
    DIN_EV_WELDING,            /**< WeldingDetection until the voltage is low */
    DIN_EV_SESSION_STOP,
    DIN_EV_DONE,               /**< SessionStopRes received: close TCP, unlock */
    DIN_EV_FAILED,             /**< gave up: `reason`; safe shutdown (CP B, contactors open) */
    DIN_EV_STATE_COUNT
};

/** Profiles that mimic real cars (see docs/din.md). */
enum din_ev_profile {
    DIN_EV_PROFILE_STANDARD = 0, /**< DIN only, 20 ms pauses, CurrentDemand every 100 ms */
    DIN_EV_PROFILE_TESLA,        /**< offers urn:tesla:din:2018:MsgDef first, a trailing 0x00 after
                                      ContractAuthenticationReq, no optional CPD fields, stops
                                      in pre-charge (SessionStop) when the inlet never matches */
    DIN_EV_PROFILE_IONIQ,        /**< slow: 4 s pause before the first message, ~300 ms between
                                      messages, ~180 ms CurrentDemand period, ServiceCategory sent */
    DIN_EV_PROFILE_POLESTAR,     /**< offers DIN and ISO 15118-2, one-byte zero SessionID */
};

/** Configuration (din_ev_default_config(), then din_ev_profile()). */
struct din_ev_config {
    struct apphand_offer offers[CFG_DIN_EV_OFFERS];
    uint8_t n_offers;
    uint8_t evccid[8], evccid_len;          /**< own MAC, 6 bytes (never empty: chargers abort) */
    struct din_session_id setup_id;         /**< SessionID in SessionSetupReq (zero, 0..8 bytes) */
    bool send_service_category;             /**< ServiceCategory=EVCharging in ServiceDiscoveryReq */
    bool omit_optional;                     /**< leave out every optional CPD/CD field */
    uint32_t start_delay_ms;                /**< pause before supportedAppProtocolReq */
    uint32_t delay_ms;                      /**< response -> next request */
    uint32_t loop_delay_ms;                 /**< response -> repeated request (Ongoing, PreCharge, Welding) */
    uint32_t cd_period_ms;                  /**< CurrentDemandReq period */
    uint32_t trailing_byte_mask;            /**< bit (1 << enum din_msg), bit 0 = handshake: send one
                                                 0x00 after the EXI stream (Tesla) */
    uint32_t msg_timeout_ms, msg_timeout_cd_ms;      /**< 2 000 / 250 */
    uint32_t comm_setup_timeout_ms;                  /**< start -> SessionSetupRes, 20 000 */
    uint32_t ongoing_timeout_ms;                     /**< ContractAuth, CPD Ongoing, 60 000 */
    uint32_t cable_check_timeout_ms;                 /**< 40 000 */
    uint32_t precharge_timeout_ms;                   /**< 7 000 */
    bool precharge_timeout_stops;           /**< on pre-charge timeout send SessionStop (Tesla)
                                                 instead of failing silently */
    int32_t precharge_current_ma;           /**< EVTargetCurrent in PreChargeReq, <= 2 000 */
    int32_t precharge_tolerance_mv;         /**< |U - U_batt| that counts as matched, 20 000 */
    bool welding_detection;                 /**< run WeldingDetection after PowerDelivery(stop) */
    uint8_t welding_max_rounds;             /**< 10 */
    int32_t welding_done_mv;                /**< 40 000 */
};

/** What the car's battery model tells the machine (the simulator writes it any time). */
struct din_ev_model {
    uint8_t soc;
    bool ready;                     /**< EVReady */
    uint8_t error_code;             /**< exi_din_DC_EVErrorCodeType_* */
    int32_t battery_voltage_mv;     /**< pre-charge target */
    int32_t target_voltage_mv;      /**< CurrentDemand ceiling */
    int32_t target_current_ma;
    int32_t max_voltage_mv, max_current_ma;
    int32_t max_power_w;            /**< < 0: not sent */
    int32_t capacity_wh, energy_request_wh; /**< < 0: not sent */
    int16_t full_soc, bulk_soc;     /**< < 0: not sent */
    int32_t remaining_full_s, remaining_bulk_s; /**< < 0: not sent */
    bool charging_complete, bulk_charging_complete;
    bool stop;                      /**< the car wants to stop charging now */
    int32_t inlet_voltage_mv;       /**< own inlet measurement; < 0: trust EVSEPresentVoltage */
    bool welding_pending;           /**< its own welding check is not over: WeldingDetection goes
                                         on whatever the EVSE reports (up to welding_max_rounds) */
};

/** What the EVSE reported last (mV, mA, W). */
struct din_ev_evse {
    uint8_t evse_id[32], evse_id_len;
    int32_t present_voltage_mv, present_current_ma;
    int32_t max_voltage_mv, max_current_ma, max_power_w;
    int32_t min_voltage_mv, min_current_ma;
    uint8_t status_code, notification, isolation;
    bool isolation_known;
    uint32_t notification_max_delay_s;
    bool current_limit_achieved, voltage_limit_achieved, power_limit_achieved;
};

/** Physical actions of the car. */
struct din_ev_actions {
    bool cp_c;        /**< pilot state C (from CPD Finished to PowerDeliveryRes(stop)) */
    bool contactors;  /**< own DC contactors closed (pre-charge matched to PowerDeliveryRes(stop)) */
};

/** One EV session. Only din_ev.c touches the fields except `model`. */
struct din_ev {
    struct din_ev_config cfg;
    struct din_ev_model model;      /**< written by the caller */
    enum din_ev_state state;
    const char *reason;             /**< why FAILED / what ended the session */
    struct v2g_ev_clock clk;        /**< request out, timeouts, pacing (v2g/v2g_ev.h) */
    enum din_msg sent;              /**< what the last request was */
    enum din_ev_state loop_state;
    uint8_t welding_rounds;
    int chosen_offer;
    uint16_t service_id;
    struct din_session_id id;
    struct din_ev_evse evse;
    struct din_ev_actions act;
    uint32_t requests, responses;
    bool evse_stop;                 /**< the EVSE ended or asked to end the session: a FAILED
                                         ResponseCode, a shutdown/fault status, StopCharging */
    uint8_t evse_code;              /**< ResponseCode of the last decoded response (0xFF none) */
    union {
        struct exi_din_document din;
        struct exi_apphand_document app;
    } doc;
};

/** @brief DIN only, EVCCID 02:00:00:00:00:01, the standard's timers. */
void din_ev_default_config(struct din_ev_config *cfg);

/** @brief Apply a profile on top of a configuration. */
void din_ev_profile(struct din_ev_config *cfg, enum din_ev_profile p);

/** @brief Model values of a 400 V, 60 kWh car at 50 % that asks for 100 A. */
void din_ev_default_model(struct din_ev_model *m);

/**
 * @brief Start a session (the TCP connection is up). The model is reset to defaults;
 *        write `ev->model` afterwards.
 * @retval HAL_OK     the first request is due after start_delay_ms
 * @retval HAL_EINVAL NULL, no offers, or an EVCCID longer than 8 bytes
 */
int din_ev_start(struct din_ev *ev, const struct din_ev_config *cfg, uint32_t now_ms);

/**
 * @brief Start after a supportedAppProtocol exchange another machine made (a car offering
 *        ISO 15118-2 and DIN whose SECC chose DIN): the first request is SessionSetupReq,
 *        due after delay_ms. @p chosen_offer is what the SECC chose, for the record.
 * @retval HAL_OK / HAL_EINVAL as din_ev_start()
 */
int din_ev_start_negotiated(struct din_ev *ev, const struct din_ev_config *cfg, int chosen_offer,
                            uint32_t now_ms);

/**
 * @brief The next request, when one is due; also runs the EV's timers.
 * @param out buffer for the EXI payload (plus an optional trailing byte)
 * @retval HAL_OK       @p len bytes to send
 * @retval HAL_EAGAIN   nothing due now (din_ev_deadline() says when)
 * @retval HAL_ETIMEDOUT a timer expired just now: the session FAILED (`reason`)
 * @retval HAL_ESTATE   the session is over (DONE or FAILED)
 * @retval HAL_ENOMEM   @p out is too small
 */
int din_ev_next(struct din_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len);

/**
 * @brief One response payload from the EVSE.
 * @retval HAL_OK     accepted; the session moved on
 * @retval HAL_EPROTO undecodable, unexpected, negative, or a wrong SessionID: FAILED
 * @retval HAL_ESTATE no request is outstanding (or the session is over)
 */
int din_ev_receive(struct din_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms);

/** @brief When din_ev_next() has something to do (request due, or a timeout). */
uint32_t din_ev_deadline(const struct din_ev *ev);

/** @brief State. */
enum din_ev_state din_ev_state(const struct din_ev *ev);
/** @brief Name of a state ("current_demand"). */
const char *din_ev_state_name(enum din_ev_state s);
/** @brief Why the session ended ("" while it runs). */
const char *din_ev_reason(const struct din_ev *ev);
/** @brief The EVSE's latest values. */
const struct din_ev_evse *din_ev_evse(const struct din_ev *ev);
/**
 * @brief Whether the session ended (or is stopping) because the EVSE said so: a negative
 *        ResponseCode in a decodable answer of the right type and session, a shutdown or
 *        fault EVSEStatusCode, or EVSENotification StopCharging. False for the car's own
 *        stop and for protocol errors (undecodable, wrong type, wrong SessionID, timeout).
 */
bool din_ev_evse_stopped(const struct din_ev *ev);
/** @brief What the car does physically now. */
const struct din_ev_actions *din_ev_actions(const struct din_ev *ev);

#endif /* DIN_EV_H */
