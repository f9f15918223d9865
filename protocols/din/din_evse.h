/**
 * @file din_evse.h
 * @brief DIN SPEC 70121 DC EIM session, EVSE (SECC) side.
 *
 * Pure logic: no clock (now_ms is passed in), no I/O, no allocation. The session
 * manager decodes each V2GTP payload after the SupportedAppProtocol exchange
 * (apphand/apphand.h) into a document, calls din_evse_handle() with a snapshot of what
 * the charger knows (struct din_evse_status), encodes the response document the machine
 * filled, sends it, reports the send with din_evse_sent(), and acts on what the EV asked
 * for (struct din_evse_request). din_evse_tick() runs the sequence timeout between
 * requests. See docs/din.md for the sequence and every rule.
 */
#ifndef DIN_EVSE_H
#define DIN_EVSE_H

#include "din/din.h"
#include "v2g/v2g_dc.h"

/** Phase of the session: which requests the machine accepts next. */
enum din_evse_phase {
    DIN_EVSE_IDLE = 0,          /**< not started (din_evse_start not called) */
    DIN_EVSE_SESSION_SETUP,     /**< SessionSetupReq */
    DIN_EVSE_SERVICE_DISCOVERY, /**< ServiceDiscoveryReq, SessionStopReq */
    DIN_EVSE_PAYMENT_SELECTION, /**< ServicePaymentSelectionReq, SessionStopReq */
    DIN_EVSE_AUTHORIZATION,     /**< ContractAuthenticationReq (loop), SessionStopReq */
    DIN_EVSE_CHARGE_PARAMETER,  /**< ChargeParameterDiscoveryReq (loop), SessionStopReq */
    DIN_EVSE_CABLE_CHECK,       /**< CableCheckReq (loop), SessionStopReq */
    DIN_EVSE_PRECHARGE,         /**< PreChargeReq (loop), PowerDeliveryReq after the first, SessionStopReq */
    DIN_EVSE_POWER_DELIVERY,    /**< after PowerDelivery(start): CurrentDemandReq, PowerDeliveryReq(stop) */
    DIN_EVSE_CURRENT_DEMAND,    /**< CurrentDemandReq (loop), PowerDeliveryReq(stop) */
    DIN_EVSE_WELDING,           /**< after PowerDelivery(stop): WeldingDetectionReq (loop), SessionStopReq */
    DIN_EVSE_STOPPED,           /**< SessionStopRes sent: close the connection, PWM off */
    DIN_EVSE_FAILED,            /**< a FAILED_* response was sent: close, emergency stop */
    DIN_EVSE_TIMED_OUT,         /**< sequence timeout: close, stop */
    DIN_EVSE_PHASE_COUNT
};

/** What a request asks of the session manager (bits of din_evse_request.events). */
enum din_evse_event {
    DIN_EVSE_EV_SESSION = 1u << 0,         /**< SessionSetup answered: EVCCID known */
    DIN_EVSE_EV_AUTHORIZE = 1u << 1,       /**< first ContractAuthenticationReq: start authorising */
    DIN_EVSE_EV_CHARGE_PARAMS = 1u << 2,   /**< EV limits known (ChargeParameterDiscovery) */
    DIN_EVSE_EV_CABLE_CHECK = 1u << 3,     /**< first CableCheckReq: start the insulation test */
    DIN_EVSE_EV_PRECHARGE = 1u << 4,       /**< regulate to target_voltage_mv, target_current_ma (<= 2 A) */
    DIN_EVSE_EV_POWER_ON = 1u << 5,        /**< PowerDelivery(start): leave pre-charge, charge */
    DIN_EVSE_EV_CURRENT_DEMAND = 1u << 6,  /**< new targets and EV limits */
    DIN_EVSE_EV_POWER_OFF = 1u << 7,       /**< PowerDelivery(stop): ramp to 0, power off */
    DIN_EVSE_EV_WELDING = 1u << 8,         /**< WeldingDetectionReq: report the output voltage */
    DIN_EVSE_EV_SESSION_STOP = 1u << 9,    /**< SessionStopReq answered */
    DIN_EVSE_EV_EV_ERROR = 1u << 10,       /**< the EV reported an EVErrorCode other than NO_ERROR */
    DIN_EVSE_EV_CHARGING_COMPLETE = 1u << 11, /**< ChargingComplete = true */
    DIN_EVSE_EV_CLOSE = 1u << 12,          /**< close the connection after sending this response */
    DIN_EVSE_EV_TIMEOUT = 1u << 13,        /**< a timer expired (phase tells which outcome) */
    DIN_EVSE_EV_PRECHARGE_LONG = 1u << 14, /**< pre-charge has run longer than the EV's 7 s */
};

/** Configuration (din_evse_default_config() gives the standard's values). */
struct din_evse_config {
    uint8_t evse_id[32];               /**< DIN 91286 packed digits, or one byte 0x00 */
    uint8_t evse_id_len;               /**< 1..32 */
    uint8_t energy_transfer;           /**< exi_din_EVSESupportedEnergyTransferType_DC_extended */
    uint32_t sequence_timeout_ms;      /**< 60 000 */
    uint32_t ongoing_timeout_ms;       /**< 60 000: ContractAuthentication and CPD Ongoing limit */
    uint32_t cable_check_timeout_ms;   /**< 40 000: CableCheck Ongoing limit */
    uint32_t precharge_timeout_ms;     /**< 7 000: PRECHARGE_LONG is flagged after it */
    uint32_t perf_time_ms;             /**< 1 500: response budget, other messages */
    uint32_t perf_time_cd_ms;          /**< 25: response budget, CurrentDemand */
    int32_t precharge_current_max_ma;  /**< 2 000: the pre-charge current target is clamped to it */
    uint16_t pmax_w;                   /**< PMax of the one SAScheduleTuple (short), 0 = from max_power_w */
};

/** What the charger knows, passed with every request. Units: mV, mA, W, Wh. */
struct din_evse_status {
    struct v2g_dc_evse dc;         /**< limits, present values, processing (shared with ISO-2) */
    uint8_t isolation;             /**< exi_din_isolationLevelType_* (measurement result) */
    uint8_t status_code;           /**< exi_din_DC_EVSEStatusCodeType_*: EVSE_Ready normally;
                                        Shutdown = graceful stop; EmergencyShutdown / Malfunction
                                        make every answer FAILED */
    uint8_t notification;          /**< exi_din_EVSENotificationType_* (StopCharging) */
    uint32_t notification_max_delay_s;
    int32_t pmax_w;                /**< PMax of the one schedule entry; 0 = the configured
                                        pmax_w, else max_power_w */
};

/** What the EV asked for and reported; the latest values persist across requests. */
struct din_evse_ev {
    struct v2g_dc_ev dc;           /**< readiness, error, SoC, targets, limits (shared with ISO-2) */
    uint8_t evccid[8], evccid_len;
    uint8_t energy_transfer;       /**< requested exi_din_EVRequestedEnergyTransferType_* */
};

/** Result of one din_evse_handle(). */
struct din_evse_request {
    enum din_msg msg;              /**< which request */
    uint32_t events;               /**< enum din_evse_event bits */
    uint8_t response_code;         /**< what we answered */
    enum din_evse_phase phase;     /**< phase after the answer */
    struct din_evse_ev ev;         /**< copy of the EV's values */
};

/** Counters. */
struct din_evse_stats {
    uint32_t requests, failed, perf_missed;
    uint32_t worst_response_ms, worst_cd_response_ms;
};

/** One SECC session (one connector). Only din_evse.c touches the fields. */
struct din_evse {
    struct din_evse_config cfg;
    enum din_evse_phase phase;
    struct din_session_id id;        /**< issued in SessionSetupRes */
    struct din_evse_ev ev;
    uint32_t last_res_ms;            /**< sequence timer runs from here */
    uint32_t req_ms;                 /**< when the request being answered arrived */
    enum din_msg req_msg;
    uint32_t loop_since_ms;          /**< first request of the running loop */
    enum din_msg loop_msg;
    bool precharge_long;
    bool precharge_seen;
    struct din_evse_stats stats;
};

/** @brief The standard's defaults, EVSEID 0x00, DC_extended. */
void din_evse_default_config(struct din_evse_config *cfg);

/**
 * @brief Start a session after a successful SupportedAppProtocol exchange.
 * @param session_id the ID to issue (the manager takes 8 bytes from hal_rng; 1..8 bytes,
 *        not all zero). Every SessionSetupReq starts a new session with it
 *        (OK_NewSessionEstablished); resuming an old one is not offered.
 * @retval HAL_OK     waiting for SessionSetupReq; the sequence timer runs from @p now_ms
 * @retval HAL_EINVAL NULL, bad EVSEID length, or an all-zero / too long @p session_id
 */
int din_evse_start(struct din_evse *m, const struct din_evse_config *cfg,
                   const struct din_session_id *session_id, uint32_t now_ms);

/**
 * @brief Answer one decoded request.
 *
 * Checks the SessionID (FAILED_UnknownSession) and the sequence (FAILED_SequenceError),
 * applies the message's rules against @p st, and fills @p res completely (header with
 * our SessionID, the matching response type, every mandatory field, the maxima). Any
 * FAILED_* answer moves to DIN_EVSE_FAILED and sets DIN_EVSE_EV_CLOSE.
 * @param req decoded request (exi_din_decode() returned HAL_OK)
 * @param st  what the charger knows now
 * @param res response document, fully overwritten
 * @param out what the EV asked for (always written)
 * @retval HAL_OK      @p res is ready to encode and send
 * @retval HAL_ENOTSUP a request DIN DC EIM does not use: send nothing, state unchanged
 * @retval HAL_EPROTO  the document carries no request: send nothing
 * @retval HAL_ESTATE  the session is over (stopped, failed, timed out) or not started
 * @retval HAL_EINVAL  NULL argument
 */
int din_evse_handle(struct din_evse *m, const struct exi_din_document *req,
                    const struct din_evse_status *st, struct exi_din_document *res,
                    struct din_evse_request *out, uint32_t now_ms);

/**
 * @brief The response was handed to the transport at @p now_ms: restarts the sequence
 *        timer from there and records the response time against the performance budget.
 *        Optional (din_evse_handle() already starts the timer at its own now_ms).
 */
void din_evse_sent(struct din_evse *m, uint32_t now_ms);

/**
 * @brief Time passed without a request.
 * @return DIN_EVSE_EV_TIMEOUT once, when the sequence timeout expired (phase becomes
 *         DIN_EVSE_TIMED_OUT: close and stop); 0 otherwise
 */
uint32_t din_evse_tick(struct din_evse *m, uint32_t now_ms);

/** @brief When din_evse_tick() must run next (the sequence deadline). */
uint32_t din_evse_deadline(const struct din_evse *m);

/** @brief Latest response deadline for the request being answered (performance time). */
uint32_t din_evse_response_deadline(const struct din_evse *m);

/** @brief Current phase. */
enum din_evse_phase din_evse_phase(const struct din_evse *m);

/**
 * @brief End a running session as failed without an answer: the request could not be
 *        decoded, so no response type is known (the caller closes the link). Nothing
 *        happens before din_evse_start() or once the session is over.
 */
void din_evse_fail(struct din_evse *m);

/** @brief True once the session is over (stopped, failed, timed out): close the link. */
bool din_evse_over(const struct din_evse *m);

/** @brief Name of a phase for logs ("current_demand"). */
const char *din_evse_phase_name(enum din_evse_phase p);

/** @brief The EV's latest values. */
const struct din_evse_ev *din_evse_ev(const struct din_evse *m);

/** @brief Counters. */
const struct din_evse_stats *din_evse_stats(const struct din_evse *m);

#endif /* DIN_EVSE_H */
