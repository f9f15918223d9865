/**
 * @file iso20_evse.h
 * @brief ISO 15118-20 DC session with EIM, EVSE (SECC) side: services DC and DC_BPT,
 *        scheduled and dynamic control mode.
 *
 * Pure logic like the ISO-2 machine (iso2/iso2_evse.h): no clock (now_ms is passed in),
 * no I/O, no allocation. -20 has two grammars for one session: CommonMessages (V2GTP
 * 0x8002) and DC (0x8004). The caller decodes each payload with the codec its payload
 * type names and hands the machine either document (struct iso20_evse_in); the machine
 * answers in the same namespace (out->dc says which of the two response documents it
 * filled) and the caller encodes that one and sends it with the matching payload type.
 *
 * What it does (docs/iso15118-20.md has the sequence, the response codes and the limits):
 * SessionSetup (new, or joining a paused session: OK_OldSessionJoined), AuthorizationSetup
 * and Authorization with EIM, ServiceDiscovery/Detail/Selection (DC; DC_BPT only when the
 * power stage can discharge), DC_ChargeParameterDiscovery, ScheduleExchange (scheduled:
 * one tuple from the station's PMax entries covering the departure time or 24 h; dynamic:
 * departure time and SoC), DC_CableCheck, DC_PreCharge, PowerDelivery (Start, Stop,
 * ScheduleRenegotiation, Standby: no current with the path held until Start or Stop;
 * WARNING_StandbyNotAllowed when cfg.standby is off), DC_ChargeLoop in either mode, DC_WeldingDetection and SessionStop (Terminate, Pause,
 * ServiceRenegotiation). Plug & Charge is not offered: the seam is AuthorizationSetup
 * (cfg.offer_pnc stays false until the -2 PnC work exists; a PnC AuthorizationReq gets
 * WARNING_AuthorizationSelectionInvalid).
 */
#ifndef ISO20_EVSE_H
#define ISO20_EVSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "iso20/iso20_common.h"
#include "v2g/v2g_dc.h"

/** EVSEID: up to 37 characters here ("DE*ABC*E123456"; the schema allows 255). */
#define ISO20_EVSE_ID_LEN 37u
/** EVCCID kept for the resumption check (the schema allows 255; cars send a VIN-like 17..20). */
#define ISO20_EVCCID_MAX 20u
/** PMax entries the station may give for the scheduled tuple. */
#define ISO20_EVSE_PMAX_MAX 4u

/** Timers (ms), the spec sheet's §3 values. */
#define ISO20_SEQUENCE_TIMEOUT_MS 60000u      /**< V2G_SECC_Sequence_Timeout */
#define ISO20_LOOP_SEQUENCE_TIMEOUT_MS 500u   /**< ... after DC_ChargeLoopRes ([V2G20-1502]) */
#define ISO20_ONGOING_TIMEOUT_MS 55000u       /**< answer FAILED before the EV's 60 s ongoing limit */
#define ISO20_CABLE_CHECK_TIMEOUT_MS 40000u   /**< the EV's cable check limit */
#define ISO20_PRECHARGE_TIMEOUT_MS 10000u     /**< the EV's -20 pre-charge limit */
#define ISO20_PERF_TIME_MS 1500u              /**< V2G_SECC_Msg_Performance_Time (reported) */
#define ISO20_PERF_TIME_LOOP_MS 250u          /**< ... DC_ChargeLoop */
#define ISO20_SCHEDULE_DEFAULT_S 86400u       /**< [V2G20-1563]: >= 24 h without DepartureTime */

/** Phase: which requests the machine accepts next (the table of docs/iso15118-20.md). */
enum iso20_evse_phase {
    ISO20_EVSE_IDLE = 0,
    ISO20_EVSE_SESSION_SETUP,     /**< SessionSetupReq */
    ISO20_EVSE_AUTH_SETUP,        /**< AuthorizationSetupReq */
    ISO20_EVSE_AUTHORIZATION,     /**< AuthorizationReq (loop) */
    ISO20_EVSE_SERVICE_DISCOVERY, /**< ServiceDiscoveryReq */
    ISO20_EVSE_SERVICE_DETAIL,    /**< ServiceDetailReq only ([V2G20-1980]) */
    ISO20_EVSE_SERVICE_SELECTION, /**< ServiceDetailReq or ServiceSelectionReq */
    ISO20_EVSE_CHARGE_PARAMETER,  /**< DC_ChargeParameterDiscoveryReq */
    ISO20_EVSE_SCHEDULE,          /**< ScheduleExchangeReq (loop) */
    ISO20_EVSE_CABLE_CHECK,       /**< DC_CableCheckReq (loop) */
    ISO20_EVSE_PRECHARGE,         /**< DC_PreChargeReq (loop) until the EV says Finished */
    ISO20_EVSE_POWER_DELIVERY,    /**< PowerDeliveryReq (Start) */
    ISO20_EVSE_CHARGE_LOOP,       /**< DC_ChargeLoopReq (loop), PowerDeliveryReq */
    ISO20_EVSE_WELDING,           /**< DC_WeldingDetectionReq (loop), SessionStopReq */
    ISO20_EVSE_STANDBY,           /**< PowerDelivery(Standby) answered: no current, path held;
                                       PowerDeliveryReq (Start/Stop/Standby), DC_ChargeLoopReq */
    ISO20_EVSE_STOPPED,           /**< SessionStop(Terminate) answered */
    ISO20_EVSE_PAUSED,            /**< SessionStop(Pause) answered: the ID may come back */
    ISO20_EVSE_FAILED,            /**< a FAILED* answer was sent (or the request was garbage) */
    ISO20_EVSE_TIMED_OUT,         /**< sequence or ongoing timeout */
    ISO20_EVSE_PHASE_COUNT
};

/** Events: the ISO-2 machine's bits (hlc.h relies on it). */
enum iso20_evse_event {
    ISO20_EVSE_EV_SESSION = 1u << 0,
    ISO20_EVSE_EV_AUTHORIZE = 1u << 1,
    ISO20_EVSE_EV_CHARGE_PARAMS = 1u << 2,
    ISO20_EVSE_EV_CABLE_CHECK = 1u << 3,
    ISO20_EVSE_EV_PRECHARGE = 1u << 4,
    ISO20_EVSE_EV_POWER_ON = 1u << 5,
    ISO20_EVSE_EV_CURRENT_DEMAND = 1u << 6,
    ISO20_EVSE_EV_POWER_OFF = 1u << 7,
    ISO20_EVSE_EV_WELDING = 1u << 8,
    ISO20_EVSE_EV_SESSION_STOP = 1u << 9,
    ISO20_EVSE_EV_EV_ERROR = 1u << 10,
    ISO20_EVSE_EV_CHARGING_COMPLETE = 1u << 11,
    ISO20_EVSE_EV_CLOSE = 1u << 12,
    ISO20_EVSE_EV_TIMEOUT = 1u << 13,
    ISO20_EVSE_EV_PRECHARGE_LONG = 1u << 14,
    ISO20_EVSE_EV_PAUSE = 1u << 15,        /**< SessionStop(Pause): PWM off, keep the ID */
    ISO20_EVSE_EV_RENEGOTIATE = 1u << 16,  /**< schedule or service renegotiation: power off, parameters again */
    ISO20_EVSE_EV_RESUMED = 1u << 17,      /**< SessionSetup joined a paused session */
    ISO20_EVSE_EV_HOLD = 1u << 18,         /**< schedule renegotiation: current to 0 A, the power
                                                path stays closed until PowerDelivery(Start) */
};

/** What the SECC asks of the EV in PowerDeliveryRes / DC_ChargeLoopRes (EVSENotification). */
enum iso20_evse_notify {
    ISO20_NOTIFY_NONE = 0,
    ISO20_NOTIFY_TERMINATE,            /**< end charging (graceful stop) */
    ISO20_NOTIFY_PAUSE,                /**< ask the EV to pause (then SessionStop(Pause) is allowed) */
    ISO20_NOTIFY_SCHEDULE_RENEGOTIATION,
    ISO20_NOTIFY_SERVICE_RENEGOTIATION,/**< only when cfg.service_renegotiation */
};

/** Configuration (iso20_evse_default_config() gives the defaults). */
struct iso20_evse_config {
    char evse_id[ISO20_EVSE_ID_LEN + 1]; /**< "ZZ00000" */
    bool scheduled, dynamic;             /**< control modes offered (at least one) */
    bool offer_bpt;                      /**< offer DC_BPT when the stage can discharge */
    bool offer_pnc;                      /**< the PnC seam: must stay false (not implemented) */
    bool service_renegotiation;          /**< ServiceRenegotiationSupported (constant per session) */
    bool standby;                        /**< accept PowerDelivery(Standby) (else WARNING_StandbyNotAllowed) */
    bool negative_discharge;             /**< send discharge limits negative (cars) or positive (tools) */
    bool free_service;                   /**< FreeService of the energy services */
    uint8_t connector;                   /**< Connector parameter: 1 Core, 2 Extended (default) */
    uint32_t tuple_id;                   /**< ScheduleTupleID offered (default 1) */
    char meter_id[24];                   /**< MeterInfo MeterID */
    uint32_t sequence_timeout_ms, loop_sequence_timeout_ms, ongoing_timeout_ms;
    uint32_t cable_check_timeout_ms, precharge_timeout_ms, perf_time_ms, perf_time_loop_ms;
    int32_t precharge_current_max_ma;    /**< 2 000: the pre-charge current the stage is given */
};

/** One PMax entry the station gives (from the schedule's start, W). */
struct iso20_evse_pmax {
    uint32_t start_s;
    uint32_t pmax_w;
};

/** What the charger knows, passed with every request (mV, mA, W, Wh). */
struct iso20_evse_status {
    struct v2g_dc_evse dc;          /**< limits, present values, processing (shared with DIN/-2) */
    bool can_discharge;             /**< the power stage can take energy back (InfyPower: no) */
    bool emergency;                 /**< emergency shutdown or malfunction: every answer FAILED */
    enum iso20_evse_notify notification;
    uint16_t notification_max_delay_s;
    uint64_t meter_wh;              /**< ChargedEnergyReadingWh for MeterInfo */
    uint8_t pmax_count;             /**< 0: one entry of max_power_w */
    struct iso20_evse_pmax pmax[ISO20_EVSE_PMAX_MAX];
};

/** What the EV asked for and reported; the latest values persist across requests. */
struct iso20_evse_ev {
    struct v2g_dc_ev dc;            /**< targets, limits, SoC (shared with DIN/-2) */
    char evccid[ISO20_EVCCID_MAX + 1];
    uint8_t evccid_len;
    uint16_t service_id;            /**< ISO20_SERVICE_DC / _DC_BPT once selected, else 0 */
    uint16_t parameter_set_id;
    uint8_t control_mode;           /**< ISO20_CONTROL_* of the selected set, 0 before */
    int32_t departure_s;            /**< < 0: not sent */
    int16_t min_soc, target_soc;    /**< < 0: not sent */
    int32_t min_voltage_mv;
    int32_t min_power_w;
    int32_t target_energy_wh, max_energy_wh, min_energy_wh; /**< INT32_MIN: not sent */
    uint32_t tuple_id;              /**< ScheduleTupleID chosen (scheduled), 0 none */
    bool discharge;                 /**< BPT_ChannelSelection = Discharge */
};

/** A paused session that may be resumed (kept by the caller across connections). */
struct iso20_evse_resume {
    bool valid;
    uint8_t id[ISO20_SESSION_ID_LEN];
    char evccid[ISO20_EVCCID_MAX + 1];
    uint8_t evccid_len;
    uint16_t service_id, parameter_set_id;
    uint8_t control_mode;
    uint32_t tuple_id;
};

/** A decoded request: exactly one of the two documents (its payload type's namespace). */
struct iso20_evse_in {
    const struct exi_iso20_document *common;   /**< payload 0x8002, or NULL */
    const struct exi_iso20_dc_document *dc;    /**< payload 0x8004, or NULL */
};

/** Where the response goes: both may share storage (only the request's namespace is written). */
struct iso20_evse_out {
    struct exi_iso20_document *common;
    struct exi_iso20_dc_document *dc;
};

/** Result of one iso20_evse_handle(). */
struct iso20_evse_request {
    enum iso20_msg msg;
    bool dc;                        /**< the response is the DC document (payload 0x8004) */
    uint32_t events;                /**< enum iso20_evse_event bits */
    uint8_t response_code;
    enum iso20_evse_phase phase;    /**< phase after the answer */
    const char *reason;             /**< why a FAILED* / WARNING_* answer was given ("" otherwise) */
};

/** Counters. */
struct iso20_evse_stats {
    uint32_t requests, failed, perf_missed;
    uint32_t worst_response_ms, worst_loop_response_ms;
};

/** One SECC session (one connector). Only iso20_evse*.c touch the fields. */
struct iso20_evse {
    struct iso20_evse_config cfg;
    enum iso20_evse_phase phase;
    uint8_t id[ISO20_SESSION_ID_LEN];
    struct iso20_evse_resume resume;   /**< the paused session this one may join */
    struct iso20_evse_ev ev;
    uint8_t offered;                   /**< bit 0: DC, bit 1: DC_BPT listed in ServiceDiscoveryRes */
    uint8_t detailed;                  /**< the same bits: ServiceDetail asked for */
    bool auth_started, auth_done;
    bool renegotiating;                /**< ScheduleExchange after PowerDelivery(ScheduleRenegotiation) */
    bool pause_asked;                  /**< a Pause notification went out */
    bool powered;                      /**< between PowerDelivery(Start) and (Stop) */
    uint32_t standbys;                 /**< PowerDelivery(Standby) accepted this session */
    bool precharge_long;
    uint32_t last_res_ms, req_ms;
    enum iso20_msg req_msg, loop_msg;
    uint32_t loop_since_ms;
    const char *reason;                /**< why the session ended FAILED / timed out */
    struct iso20_evse_stats stats;
};

/** @brief Defaults: EVSEID "ZZ00000", both control modes, BPT when possible, renegotiation on. */
void iso20_evse_default_config(struct iso20_evse_config *cfg);

/**
 * @brief Start a session after supportedAppProtocol chose -20 DC.
 * @param id      the new SessionID to issue (8 bytes, not all zero)
 * @param resume  NULL, or a paused session whose ID a SessionSetupReq may present
 * @retval HAL_EINVAL NULL, bad EVSEID, no control mode, PnC asked for
 */
int iso20_evse_start(struct iso20_evse *m, const struct iso20_evse_config *cfg, const uint8_t id[ISO20_SESSION_ID_LEN],
                     const struct iso20_evse_resume *resume, uint32_t now_ms);

/**
 * @brief Answer one decoded request (docs/iso15118-20.md). Any FAILED* answer moves to
 *        ISO20_EVSE_FAILED, sets ISO20_EVSE_EV_CLOSE and out->reason.
 * @retval HAL_OK      the response in @p res (out->dc says which document) is ready to encode
 * @retval HAL_EPROTO  the document carries no request we can answer: nothing to send
 * @retval HAL_ESTATE  the session is over or not started
 * @retval HAL_EINVAL  NULL argument, or not exactly one request document
 */
int iso20_evse_handle(struct iso20_evse *m, const struct iso20_evse_in *req, const struct iso20_evse_status *st,
                      const struct iso20_evse_out *res, struct iso20_evse_request *out, uint32_t now_ms);

/** @brief A payload that does not decode (or of the wrong namespace) ends the session. */
void iso20_evse_fail(struct iso20_evse *m, const char *reason);

/** @brief The response went out: sequence timer and performance budget. */
void iso20_evse_sent(struct iso20_evse *m, uint32_t now_ms);

/** @brief Time without a request: ISO20_EVSE_EV_TIMEOUT once when the sequence timer expired. */
uint32_t iso20_evse_tick(struct iso20_evse *m, uint32_t now_ms);

/** @brief The session is over (stopped, paused, failed, timed out). */
bool iso20_evse_over(const struct iso20_evse *m);

/** @brief Phase now. */
enum iso20_evse_phase iso20_evse_phase(const struct iso20_evse *m);

/** @brief The paused session after SessionStop(Pause) (valid false otherwise). */
void iso20_evse_paused(const struct iso20_evse *m, struct iso20_evse_resume *out);

/** @brief The EV's latest values. */
const struct iso20_evse_ev *iso20_evse_ev(const struct iso20_evse *m);

/** @brief Counters. */
const struct iso20_evse_stats *iso20_evse_stats(const struct iso20_evse *m);

/** @brief Why the session ended badly ("" while it runs or after a clean stop). */
const char *iso20_evse_reason(const struct iso20_evse *m);

/** @brief "charge_loop", ... */
const char *iso20_evse_phase_name(enum iso20_evse_phase p);

#endif /* ISO20_EVSE_H */
