/**
 * @file charger.h
 * @brief One charging connector from plug-in to unplug: pilot, link to the car (SLAC,
 *        SDP, V2GTP), the V2G session (hlc.h: DIN 70121 today), authorisation, cable check with the
 *        isolation monitor, pre-charge, current demand within every limit, stop, welding
 *        detection, unlock; meter transaction and error manager around it. See
 *        docs/session.md.
 *
 * Everything a connector needs lives in `struct charger`; a board may create several
 * in one process. One session machine runs every connector; its EV side is a backend:
 * V2G through hlc.h when a link is wired, else the pilot only (plug in, B, C, energise,
 * stop, unplug: the Cortex-M demo and the power-path tests), docs/architecture.md.
 *
 * Safety: the contactors and the lock are driven only by the interlock
 * (firmware/interlock.c); every stop asks it for the safe order (power off, contactors
 * open, unlock).
 */
#ifndef CHARGER_H
#define CHARGER_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "hal_gpio.h"
#include "hal_log.h"
#include "hal_pilot.h"
#include "hal_rng.h"
#include "iec61851/pilot.h"
#include "interlock.h"
#include "hlc.h"
#include "isolation.h"
#include "meter.h"
#include "ovm.h"
#include "psu.h"
#include "sched.h"

/** Identifiers an allow-list holds. */
#ifndef CFG_CHARGER_AUTH_IDS
#define CFG_CHARGER_AUTH_IDS 8
#endif
_Static_assert(CFG_CHARGER_AUTH_IDS >= 1 && CFG_CHARGER_AUTH_IDS <= 64,
               "CFG_CHARGER_AUTH_IDS must be 1..64");

/** Largest EXI payload the session encodes: an ISO-2 CertificateInstallationRes/UpdateRes
 *  carries two certificate chains (4 595 bytes in the recorded sessions, docs/pnc.md). */
#ifndef CFG_CHARGER_EXI_MAX
#define CFG_CHARGER_EXI_MAX 6144u
#endif
_Static_assert(CFG_CHARGER_EXI_MAX >= 256u, "CFG_CHARGER_EXI_MAX must hold a DIN response");

/** Session state of a connector. */
enum charger_state {
    CHARGER_IDLE = 0,    /**< no vehicle (A); pilot at constant +12 V */
    CHARGER_CONNECTED,   /**< pilot-level: vehicle present (B); 5 % PWM, locking */
    CHARGER_READY,       /**< pilot-level: locked; waiting for C/D */
    CHARGER_ENERGIZING,  /**< pilot-level: contactors closing */
    CHARGER_CHARGING,    /**< power delivered (pilot-level, or V2G CurrentDemand) */
    CHARGER_STOPPING,    /**< power down, contactors opening, unlocking (interlock keeps the order) */
    CHARGER_FINISHED,    /**< session over, unlocked; waiting for the unplug */
    CHARGER_FAULT,       /**< stopped by a fault; waiting for the unplug and a clean power path */
    CHARGER_LINK,        /**< V2G: 5 % PWM, SLAC / SDP / TCP */
    CHARGER_NEGOTIATING, /**< V2G: SupportedAppProtocol .. ServicePaymentSelection */
    CHARGER_AUTHORIZING, /**< V2G: ContractAuthentication loop */
    CHARGER_PARAMETERS,  /**< V2G: ChargeParameterDiscovery: power stage, meter transaction */
    CHARGER_CABLE_CHECK, /**< V2G: contactors closed, test voltage, isolation test */
    CHARGER_PRECHARGE,   /**< V2G: output regulated to the EV's battery voltage, <= 2 A */
    CHARGER_WELDING,     /**< V2G: power off, contactors open, WeldingDetection, SessionStop */
    CHARGER_STATE_COUNT
};

/** Why a session ended. */
enum charger_stop_reason {
    CHARGER_STOP_NONE = 0,
    CHARGER_STOP_EV,             /**< the vehicle ended the session normally */
    CHARGER_STOP_UNPLUGGED,      /**< the vehicle vanished (A) while the session ran */
    CHARGER_STOP_PILOT_ERROR,    /**< pilot state E/F (short to PE or invalid level) */
    CHARGER_STOP_DIODE_FAULT,    /**< the EV diode is missing */
    CHARGER_STOP_POWER_PATH,     /**< the interlock latched a fault (see `fault`) */
    CHARGER_STOP_LOCAL,          /**< the operator or the board asked to stop */
    CHARGER_STOP_EV_ERROR,       /**< the EV reported an EVErrorCode */
    CHARGER_STOP_AUTH_REJECTED,  /**< authorisation refused or timed out */
    CHARGER_STOP_ISOLATION,      /**< insulation fault (cable check or while charging) */
    CHARGER_STOP_CABLE_CHECK,    /**< cable check failed (no C, contactors, voltage, self-test) */
    CHARGER_STOP_PSU,            /**< power stage error */
    CHARGER_STOP_METER,          /**< meter error (transaction could not be started/kept) */
    CHARGER_STOP_IMD,            /**< isolation monitor error */
    CHARGER_STOP_LINK,           /**< SLAC failed, no V2G connection, connection lost */
    CHARGER_STOP_V2G_TIMEOUT,    /**< a DIN timer expired */
    CHARGER_STOP_V2G_PROTOCOL,   /**< negotiation failed, sequence error, FAILED answer */
    CHARGER_STOP_OVER_VOLTAGE,   /**< output above the limit for 9 ms (IEC 61851-23) */
    CHARGER_STOP_PROXIMITY,      /**< PP shorted to PE or open while the plug is in */
    CHARGER_STOP_EV_LIMITS,      /**< the EV insisted on a target above the EVSE maximum */
    CHARGER_STOP_NO_VOLTAGE,     /**< no fresh output-voltage measurement while energised */
    CHARGER_STOP_COUNT
};

/** How the session is authorised. */
enum charger_auth_mode {
    CHARGER_AUTH_AUTOSTART = 0, /**< every EV (free charging) */
    CHARGER_AUTH_ALLOWLIST,     /**< the EVCCID (hex, e.g. "0200000000A1") must be listed */
    CHARGER_AUTH_EXTERNAL,      /**< wait for charger_authorize() (RFID, OCPP, app) */
};

/** Configuration of one connector. */
struct charger_config {
    char name[16];                      /**< log prefix, e.g. "cp0" */
    uint32_t export_voltage_mv;         /**< pilot-level session: setpoint while charging */
    uint32_t export_current_ma;         /**< pilot-level session: current limit */
    struct pilot_config pilot;
    struct interlock_config interlock;
    /* V2G session: the protocols offered (`v2g.protocols`) and each protocol's settings */
    struct hlc_config hlc;
    uint32_t max_voltage_mv;            /**< connector/cable rating (the stage may be lower) */
    uint32_t max_current_ma;
    uint32_t max_power_w;
    enum charger_auth_mode auth;
    char auth_ids[CFG_CHARGER_AUTH_IDS][20]; /**< allow-list, hex EVCCIDs, "" = unused */
    uint32_t auth_timeout_ms;           /**< external authorisation wait, 55 000 (< DIN's 60 s) */
    uint32_t link_timeout_ms;           /**< plug-in to the first V2G message, 60 000 */
    uint32_t pause_timeout_ms;          /**< ISO-2 pause: the EV must wake within this, 300 000 */
    uint8_t link_retries;               /**< SLAC restarts after a failure, 3 */
    uint32_t cable_check_voltage_mv;    /**< 0 = IEC 61851-23:2023 CC.4.1.2 rule */
    uint32_t cable_check_current_ma;    /**< 2 000 */
    uint32_t cable_check_tolerance_mv;  /**< test voltage reached within, 10 000 */
    uint32_t cable_check_ramp_ms;       /**< 10 000 */
    uint32_t cp_c_timeout_ms;           /**< C after CableCheckReq ([V2G-DC-547]), 1 500 */
    uint32_t selftest_timeout_ms;       /**< 30 000 */
    uint32_t measure_timeout_ms;        /**< one valid measurement within, 5 000 */
    bool cable_check_discharge;         /**< below 60 V before Finished (true) */
    bool imd_lab_override;              /**< LAB ONLY, no isolation monitor fitted: the cable
                                             check passes unmeasured and the car is told
                                             Warning (never Valid); warned at start and at
                                             every session. false: no IMD fails it */
    uint32_t precharge_current_ma;      /**< 2 000 */
    uint32_t shutdown_grace_ms;         /**< graceful stop -> emergency after, 10 000 */
    uint32_t notification_max_delay_s;  /**< NotificationMaxDelay with StopCharging, 10 */
    uint32_t ov_time_ms;                /**< over-voltage must last, 9 */
    uint32_t ov_error_time_ms;          /**< above the EV's maximum this long: error shutdown, 400 */
    uint32_t ov_margin_permille;        /**< over-voltage limit: min(connector, EV max) + this, 100 */
    uint32_t voltage_stale_ms;          /**< energised without a measurement this fresh: stop, 1 500 */
    uint32_t target_grace_ms;           /**< pre-charge target above the EVSE maximum this long: stop, 2 000 */
    uint8_t voltage_sources;            /**< bit (1 << enum charger_vsource) the monitors may use; all */
    uint16_t derate_permille;           /**< power while a stage warning is active, 500 */
    uint32_t meter_timeout_ms;          /**< meter start/stop acknowledgement within, 10 000 */
};

/** The EV side of the session machine (charger_priv.h): V2G or the pilot only. */
struct charger_backend;

/** A V2GTP transport (evse_link in the firmware, a fake in tests). */
struct charger_transport;

/** Link state as the session needs it. */
enum charger_transport_state {
    CHARGER_TRANSPORT_MATCHING = 0, /**< SLAC / SDP / waiting for TCP */
    CHARGER_TRANSPORT_CONNECTED,    /**< V2GTP connection up */
    CHARGER_TRANSPORT_FAILED,       /**< SLAC failed */
};

/** Operations of a transport. */
struct charger_transport_ops {
    enum charger_transport_state (*state)(struct charger_transport *l);
    /** HAL_OK with a whole message, HAL_EAGAIN none */
    int (*recv)(struct charger_transport *l, uint16_t *type, const uint8_t **payload, uint32_t *len);
    void (*consume)(struct charger_transport *l, uint32_t now_ms);
    /** HAL_OK queued */
    int (*send)(struct charger_transport *l, uint16_t type, const uint8_t *payload, uint32_t len,
                uint32_t now_ms);
    /** Ready for the next car (close the connection, new key, SLAC again). */
    int (*restart)(struct charger_transport *l, uint32_t now_ms);
    /** Why the last connection ended / SLAC failed (static text). */
    const char *(*reason)(struct charger_transport *l);
    /** optional: what carries the V2G connection (NULL: not known; then every protocol
     *  of the list is offered, as in the simulator's links) */
    enum hlc_transport (*transport)(struct charger_transport *l);
};

/** A transport instance; implementations embed it first. */
struct charger_transport {
    const struct charger_transport_ops *ops;
};

/** The peripherals one connector uses. */
struct charger_ports {
    struct hal_pilot *pilot;
    struct hal_gpio *gpio;
    struct psu *psu;
    struct hal_log *log;
    struct charger_transport *link;      /**< NULL: pilot-level session only */
    struct hal_rng *rng;            /**< SessionIDs; required with a link */
    struct isolation *isolation;          /**< may be NULL (see imd_lab_override) */
    struct meter_session *meter_session;/**< may be NULL: no transaction */
    struct meter *meter;        /**< the session's meter (live energy); with `meter` */
    struct hal_clock *clock;        /**< wall clock for transaction ids; may be NULL */
    struct ovm *ovm;                /**< over-voltage monitor device; may be NULL */
#if CFG_HLC_ISO2
    struct iso2_evse_pnc *pnc;      /**< ISO-2 Plug & Charge context (crypto, rng, MO roots,
                                         scratch: docs/pnc.md; iso2_evse_pnc_init()'ed by the
                                         board), lent to every ISO-2 session; NULL: Contract
                                         is never offered */
#endif
    bool contactor_gate; /**< the contactors sit behind a safety controller that opens them
                              on its own outside pilot state C/D (Charge SOM): such a drop
                              ends the session as the EV's stop, not as a fault */
};

/** Stop detail when the safety controller's gate opened the contactors. */
#define CHARGER_GATE_TEXT "EV left state C; the safety controller opened the contactors"


/** The limits of one pass (charger_limits()): the lowest of the connector/cable rating, the
 *  power stage's capability, the station's share (external limit, derating). The EV's own
 *  maxima are applied on top of these for every setpoint (charger_setpoint()). */
struct charger_limits {
    int32_t max_mv, max_ma, max_w;   /**< EVSE maxima, also sent to the car */
    int32_t min_mv, min_ma;
    int32_t tol_ma, ripple_ma;       /**< regulation tolerance (< 0: not known), ripple */
};

/** One setpoint for the power stage and the limit flags of the request it answers. */
struct charger_setpoint {
    int32_t mv, ma;
    bool v_lim, i_lim, p_lim;        /**< voltage / current / power limit achieved */
};

/** Which device the output voltage was measured by, fastest first. */
enum charger_vsource {
    CHARGER_VSRC_NONE = 0,  /**< no fresh measurement */
    CHARGER_VSRC_OVM,       /**< the over-voltage monitor (ports.ovm) */
    CHARGER_VSRC_IMD,       /**< the isolation monitor's DC+/DC- voltage */
    CHARGER_VSRC_METER,     /**< the DC meter's voltage */
    CHARGER_VSRC_STAGE,     /**< the power stage's own read-back */
    CHARGER_VSRC_COUNT
};

/** The output voltage as the monitors use it. */
struct charger_voltage {
    int32_t mv;                      /**< valid with fresh */
    enum charger_vsource source;
    uint32_t age_ms;                 /**< how old the value is */
    bool fresh;                      /**< measured within voltage_stale_ms */
};

/** Counters a board or a test reads. */
struct charger_stats {
    uint32_t sessions;                    /**< vehicles that plugged in */
    uint32_t sessions_charged;            /**< sessions that reached CHARGING */
    enum charger_stop_reason last_stop;   /**< why the latest session ended */
    enum interlock_fault last_fault;      /**< power-path fault of the latest session */
    uint32_t charge_ms_total;             /**< time spent in CHARGING */
    uint32_t cd_requests;                 /**< CurrentDemandReq answered */
};

/** What is kept of a finished session. */
struct charger_session_record {
    uint32_t number;                 /**< 1 for the first session since start-up */
    uint32_t plugged_ms;             /**< when the vehicle was detected */
    uint32_t ended_ms;               /**< when the connector was back to idle */
    uint32_t charge_ms;              /**< time in CHARGING */
    uint32_t first_cd_ms;            /**< plug-in -> first CurrentDemandRes (0 = none) */
    enum charger_stop_reason stop;   /**< why it ended */
    enum interlock_fault fault;      /**< power-path fault, if any */
    const char *detail;              /**< the error behind the stop ("" when none) */
    int32_t soc_start, soc_end;      /**< % as the EV reported; -1 unknown */
    int64_t energy_wh;               /**< metered (meter) or integrated output energy */
    bool metered;                    /**< energy from the meter transaction */
    bool meter_ok;                   /**< the transaction was started and stopped (record stored) */
    uint32_t meter_seq;              /**< journal sequence number, 0 = none */
    char evccid[20];                 /**< hex */
    uint8_t pauses;                  /**< ISO-2 SessionStop(Pause) and resumed in this session */
    int64_t paused_wh;               /**< energy metered in the transactions before the pause(s) */
};

/** Cable-check steps (for the debugger and the logs). */
enum charger_cc_step {
    CHARGER_CC_IDLE = 0,
    CHARGER_CC_WAIT_C,
    CHARGER_CC_CLOSING,
    CHARGER_CC_RAMP,
    CHARGER_CC_SELFTEST,
    CHARGER_CC_MEASURE,
    CHARGER_CC_DISCHARGE,
    CHARGER_CC_DONE,
    CHARGER_CC_FAILED,
};

/** Proximity (PP), read with the pilot (charger_supervise.c). */
struct charger_pp {
    bool unsupported;             /**< HAL_ENOTSUP: no PP on this board, not checked */
    uint32_t ohms;                /**< last reading (UINT32_MAX = open) */
    uint8_t bad;                  /**< enum charger_pp_reading: the bad reading being debounced */
    uint32_t bad_since_ms;        /**< since (0 = reading good) */
};

/** The cable check of one session (charger_cc.c). */
struct charger_cc {
    enum charger_cc_step step;
    uint32_t since_ms;
    uint32_t test_mv;             /**< the test voltage */
    uint32_t seq;                 /**< the isolation monitor's measurement before the test */
    enum isolation_status result; /**< what the EV is told as the isolation status */
};

/** Power control of one connector (charger_power.c). */
struct charger_power {
    struct charger_limits lim;    /**< this pass's limits (charger_limits()) */
    struct charger_voltage volt;  /**< this pass's output voltage (charger_measure()) */
    uint32_t target_over_since_ms; /**< pre-charge target above the EVSE maximum since (0 = no) */
    int32_t max_set_mv;           /**< highest voltage setpoint of the session (for tests, reports) */
    uint32_t ovm_armed_mv;        /**< trip threshold last given to the OVM (0 = disarmed) */
    int32_t set_mv, set_ma;
    uint32_t ov_since_ms;
    bool ov_active;
    uint32_t ov_err_since_ms;     /**< above the EV's maximum (error shutdown rule) since */
    bool ov_err_active;
    uint32_t ext_limit_w;         /**< external limit (OCPP, thermal, station); CHARGER_NO_POWER_LIMIT = none */
    bool derated;
    int32_t present_mv, present_ma;
    double energy_mwh;            /**< integrated output energy when there is no meter */
    uint32_t energy_at_ms;
};

/** Where the token that authorised a session came from. */
enum charger_token_source {
    CHARGER_TOKEN_NONE = 0,
    CHARGER_TOKEN_AUTOSTART,      /**< free charging: the EV's EVCCID as the token */
    CHARGER_TOKEN_EVCCID,         /**< autocharge: the EVCCID/MAC found on the local list */
    CHARGER_TOKEN_EXTERNAL,       /**< RFID, backend, app (charger_authorize()) */
    CHARGER_TOKEN_CONTRACT,       /**< an ISO 15118-2 contract (Plug & Charge): the eMAID */
};

/** The token a session is authorised with (it goes into the meter transaction). */
struct charger_token {
    enum charger_token_source source;
    char id[20];                  /**< hex EVCCID, or the external id */
};

/** Where the authorisation of one session stands (charger_auth.c). */
enum charger_auth_step {
    CHARGER_AUTH_STEP_NONE = 0,   /**< not asked yet (before ContractAuthentication) */
    CHARGER_AUTH_STEP_WAITING,    /**< asked: waiting for the external authoriser */
    CHARGER_AUTH_STEP_ACCEPTED,
    CHARGER_AUTH_STEP_REFUSED,
};

/** Authorisation of one session (charger_auth.c). */
struct charger_auth {
    enum charger_auth_step step;
    enum charger_auth_step pending; /**< charger_authorize() waiting for the next pass:
                                         ACCEPTED or REFUSED; NONE = nothing came */
    char pending_id[20];          /**< the external token's id ("" = none given) */
    uint32_t since_ms;            /**< authorisation asked (its timeout counts from here) */
    uint32_t decided_ms;          /**< authorisation decided (the meter's start window) */
    struct charger_token token;   /**< who was authorised, and how */
    char contract[20];            /**< the eMAID the car proved (Plug & Charge), "" none */
};

/** State of the metered transaction. */
enum charger_tx_state {
    CHARGER_TX_NONE = 0, CHARGER_TX_STARTING, CHARGER_TX_OPEN, CHARGER_TX_STOPPING,
    CHARGER_TX_DONE, CHARGER_TX_FAILED
};

/** The metered transaction of a session (charger_tx.c). */
struct charger_tx {
    enum charger_tx_state state;
    uint32_t since_ms;
    bool stop_pending;            /**< the meter was busy or silent: the stop is retried */
    uint32_t retry_ms;
    char id[40];                  /**< transaction id (given by the session) */
    char idtag[20];               /**< the authorisation token's id (given by the session) */
    int64_t start_wh;
    uint32_t session;             /**< the record number of the session it belongs to */
};

/** What the EV is told of a stop (V2G): one at a time, an emergency replaces a graceful one. */
enum charger_shutdown {
    CHARGER_SHUTDOWN_NONE = 0,
    CHARGER_SHUTDOWN_GRACEFUL,    /**< EVSE_Shutdown + StopCharging sent, current ramped down */
    CHARGER_SHUTDOWN_EMERGENCY,   /**< emergency stop: every answer FAILED, close soon */
};

/** One connector. Only charger*.c touch the fields. */
struct charger {
    struct charger_config cfg;
    struct charger_ports io;
    struct sched_task task;
    struct pilot pilot;
    struct interlock il;
    struct errors err;
    enum charger_state state;
    const struct charger_backend *backend; /**< the EV side: V2G (a link) or the pilot only */
    enum interlock_state logged_il_state; /**< last power-path state written to the log */
    enum charger_stop_reason stop_reason;
    const char *stop_detail;
    const char *held_text;        /**< a held fault of the charger (over-voltage, insulation), or NULL */
    bool fault_saw_a;             /**< in FAULT: the vehicle of the faulted session has left */
    bool operator_reset;          /**< in FAULT: charger_reset() cleared what was held */
    bool stop_reason_graceful;    /**< the reason came from a MEDIUM error (a HIGH one replaces it) */
    bool stop_requested;
    uint32_t state_since_ms;
    uint32_t charging_since_ms;
    struct charger_stats stats;
    struct charger_session_record current;
    struct charger_session_record history[CFG_CHARGER_HISTORY];
    uint32_t history_count; /**< records written so far (may exceed the ring size) */

    /* V2G session (protocol-neutral: hlc.h) */
    bool v2g;                     /**< a protocol was negotiated on the connection */
    uint8_t link_retries;
    uint32_t link_since_ms;
    struct hlc_evse evse;         /**< what the EV is told (filled for every request) */
    struct hlc_ev pilot_ev;       /**< pilot backend: the EV as the pilot shows it (charger_pilot.c) */
    struct charger_auth auth;     /**< charger_auth.c */
    enum charger_shutdown shutdown; /**< what the EV is told of a stop */
    uint32_t graceful_since_ms;
    uint32_t close_at_ms;         /**< emergency: restart the link at this time */
    bool powered_off;             /**< PowerDelivery(false) or a stop switched the stage off */
    bool link_closed;
    bool paused;                  /**< ISO-2 session paused: PWM off, locked, waiting for the wake-up */
    bool pause_woken;             /**< ... the EV woke (state C seen): 5 % PWM, a new link */
    uint32_t paused_ms;
    uint32_t link_lost_ms;        /**< V2G connection seen down since (0 = up) */
    bool inoperative;             /**< charger_set_operative(false): no new session starts */
    struct charger_pp pp;         /**< charger_supervise.c */
    struct charger_cc cc;         /**< charger_cc.c */
    struct charger_power pw;      /**< charger_power.c */
    struct charger_tx tx;         /**< charger_tx.c */
    /* the protocol machine and its decoded documents: static storage per connector */
    struct hlc hlc;
    uint8_t out[CFG_CHARGER_EXI_MAX];
};

/** @brief Defaults for every field (name "cp0", 400 V, 10 A pilot-level; DIN: 1000 V,
 *         200 A, 150 kW connector, autostart, the standard's timers). */
void charger_default_config(struct charger_config *cfg);

/**
 * @brief Bring the connector to a safe idle and add its task to @p s.
 * @retval HAL_OK running
 * @retval HAL_EINVAL a port is missing or the configuration is invalid
 * @retval HAL_ENOMEM the scheduler is full
 */
int charger_init(struct charger *c, const struct charger_config *cfg,
                 const struct charger_ports *ports, struct sched *s, uint32_t now_ms);

/** @brief Ask for the running session to stop (operator, OCPP, shutdown): graceful. */
void charger_request_stop(struct charger *c);

/** @brief Decision of an external authoriser (CHARGER_AUTH_EXTERNAL; the OCPP hook). It
 *         takes effect on the connector's next pass; the meter's start timeout counts from
 *         there, however long the authorisation took. Ignored outside AUTHORIZING. */
void charger_authorize(struct charger *c, bool accepted);

/** @brief charger_authorize() with the token's id (RFID UID, backend id tag; at most 19
 *         characters): it becomes the transaction's identification instead of the EVCCID.
 *         NULL or "" = none given. */
void charger_authorize_id(struct charger *c, const char *id, bool accepted);

/** @brief The token of the running (or last) session: source NONE before authorisation;
 *         CONTRACT with the eMAID after a Plug & Charge authorisation. */
const struct charger_token *charger_token(const struct charger *c);

/** @brief The token the meter transaction @p txid was started with (the journal record's
 *         txid), while the charger still knows it: "" when it was started without one,
 *         NULL when @p txid is not the charger's present or last transaction. The OCPP
 *         StartTransaction's idTag of a session authorised outside OCPP (autocharge's EVCCID,
 *         Plug & Charge's eMAID, a local token). */
const char *charger_tx_idtag(const struct charger *c, const char *txid);

/** Outcome of charger_reset(). */
enum charger_reset_result {
    CHARGER_RESET_DONE = 0,   /**< the held fault is cleared; the connector unlocks once safe */
    CHARGER_RESET_NOTHING,    /**< nothing was held (faults that clear by themselves need no reset) */
    CHARGER_RESET_ENERGISED,  /**< refused: the power path is energised or still switching off */
    CHARGER_RESET_REFUSED,    /**< refused: the cause is still there (see @p why) */
};

/**
 * @brief Operator reset of a held fault (docs/session.md "Fault reset"): the power-path
 *        faults that say a contactor, the feedback or the connector voltage cannot be
 *        trusted, over-voltage and an insulation fault. Until then no session is offered.
 *        Takes effect at once: the caller is between two loop passes.
 * @param now_ms the loop's present time
 * @param[out] why NULL, or the reason of a refusal ("" when done)
 * @return what happened; see enum charger_reset_result
 */
enum charger_reset_result charger_reset(struct charger *c, uint32_t now_ms, const char **why);

/** @brief The held fault waiting for charger_reset(), or NULL when nothing is held. */
const char *charger_held_fault(const struct charger *c);

/** @brief "done", "nothing to reset", "refused: energised", "refused". */
const char *charger_reset_result_name(enum charger_reset_result r);

/**
 * @brief Operative (the default) or inoperative: an inoperative connector starts no new
 *        session (a car plugged in waits at +12 V, no PWM); a session already running is
 *        not touched (the station stops it first when asked to). Takes effect at once.
 */
void charger_set_operative(struct charger *c, bool operative);

/** @brief The configuration the connector runs with (ratings, timers). */
const struct charger_config *charger_config_of(const struct charger *c);

/** @brief Sessions finished so far (charger_history() keeps the last CFG_CHARGER_HISTORY). */
uint32_t charger_history_count(const struct charger *c);

/** @brief Energy of the session in progress so far (Wh): the meter's while its transaction
 *         runs, else the integrated output; 0 without a session. */
int64_t charger_session_energy_wh(const struct charger *c);

/** @brief Present output voltage and current (mV, mA) as the session uses them. */
void charger_present(const struct charger *c, int32_t *mv, int32_t *ma);

/** @brief The V2G protocol of the session ("din"), "pilot" without a link, "" before one
 *         is negotiated. */
const char *charger_protocol_name(const struct charger *c);

/** charger_set_power_limit(): no external limit (the default). */
#define CHARGER_NO_POWER_LIMIT UINT32_MAX

/** @brief External power limit in W (OCPP smart charging, thermal, the station's share):
 *         0 gives no power at all (the EV is told 0 W), CHARGER_NO_POWER_LIMIT removes it. */
void charger_set_power_limit(struct charger *c, uint32_t watts);

/**
 * @brief A finished session, oldest first.
 * @param index 0 .. min(history_count, CFG_CHARGER_HISTORY) - 1
 * @return the record, or NULL when @p index is out of range
 */
const struct charger_session_record *charger_history(const struct charger *c, uint32_t index);

/**
 * @brief The record of the session in progress (not yet in the history: e.g. a
 *        connector held locked after a welded contactor).
 * @return the record, or NULL when no session is in progress
 */
const struct charger_session_record *charger_session_in_progress(const struct charger *c);

/** @brief The errors of this connector. */
const struct errors *charger_errors(const struct charger *c);

/** @brief Session state. */
enum charger_state charger_state(const struct charger *c);
/** @brief Counters. */
const struct charger_stats *charger_stats(const struct charger *c);
/** @brief The EV's latest values as the V2G session reported them (zero before one). */
const struct hlc_ev *charger_ev(const struct charger *c);
/** @brief What the EV was told last (status, limits, isolation), in neutral terms. */
const struct hlc_evse *charger_evse_status(const struct charger *c);
/**
 * @brief The connector's output voltage as measured this pass: the value, which device gave
 *        it and how old it is (the over-voltage monitor and the unlock rule read it).
 * @return true when @p out holds a fresh measurement
 */
bool charger_output_voltage(const struct charger *c, struct charger_voltage *out);

/**
 * @brief Which voltage sources the over-voltage monitor may read from now on (bits
 *        1 << enum charger_vsource); the configuration's `voltage_sources` at start. For a
 *        board that takes a failed device out of service, and the simulator's fault harness.
 */
void charger_set_voltage_sources(struct charger *c, uint8_t mask);

/** @brief The connector's power stage (read-only use: telemetry). */
struct psu *charger_psu(const struct charger *c);
/** @brief The setpoint last sent to the power stage in this session (0/0 before the first). */
void charger_setpoint_now(const struct charger *c, int32_t *mv, int32_t *ma);
/** @brief The connector's meter session and meter (NULL: none; read-only use: telemetry). */
struct meter_session *charger_meter_session(const struct charger *c);
struct meter *charger_meter(const struct charger *c);

/** @brief Name of a voltage source ("ovm", "imd", "meter", "stage", "none"). */
const char *charger_vsource_name(enum charger_vsource s);

/** @brief Name of a state, for logs. */
const char *charger_state_name(enum charger_state s);
/** @brief Name of a stop reason, for logs and summaries. */
const char *charger_stop_reason_name(enum charger_stop_reason r);
/** @brief Short token of a stop reason for summary lines ("ev", "isolation", ...). */
const char *charger_stop_reason_token(enum charger_stop_reason r);

#endif /* CHARGER_H */
