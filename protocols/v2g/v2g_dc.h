/**
 * @file v2g_dc.h
 * @brief What the DC session machines of DIN 70121 and ISO 15118-2 share, in physical
 *        units: the charger's values handed to the machine with every request and the
 *        EV's values it keeps, and the DC status codes both schemas number alike.
 *
 * din_evse.h and iso2_evse.h embed these structs (member `dc`), so the neutral V2G layer
 * (firmware/hlc.c) fills and reads them with one function for both protocols instead of
 * two field-by-field copies that could drift. What differs per protocol (EXI enum
 * fields, schedules, EVCCID length, payment) stays in the machine's own struct.
 */
#ifndef V2G_DC_H
#define V2G_DC_H

#include <stdbool.h>
#include <stdint.h>

/** The charger's values for one request (mV, mA, W, Wh). */
struct v2g_dc_evse {
    int32_t present_voltage_mv, present_current_ma;
    int32_t max_voltage_mv, max_current_ma, max_power_w;
    int32_t min_voltage_mv, min_current_ma;
    int32_t current_regulation_tolerance_ma; /**< < 0: not sent */
    int32_t peak_current_ripple_ma;
    int32_t energy_to_deliver_wh;            /**< < 0: not sent */
    bool auth_done;                /**< authorised: the authorization loop Finished */
    bool auth_rejected;            /**< authorisation refused: FAILED */
    bool power_ready;              /**< limits final (power stage up): CPD Finished */
    bool cable_check_done;         /**< insulation test finished (isolation says how) */
    bool cable_check_failed;       /**< insulation test failed: FAILED */
    bool current_limit_achieved, voltage_limit_achieved, power_limit_achieved;
    int64_t unix_time_s;           /**< time stamp in SessionSetupRes; 0 = not sent */
};

/** What the EV asked for and reported; the latest values persist across requests. */
struct v2g_dc_ev {
    bool ready;                    /**< EVReady */
    uint8_t error_code;            /**< enum v2g_dc_ev_error (the schemas' DC_EVErrorCodeType) */
    uint8_t soc;                   /**< % */
    int32_t target_voltage_mv;     /**< pre-charge / current demand; 0 from the EV keeps the last */
    int32_t target_current_ma;     /**< pre-charge: clamped to the machine's pre-charge maximum */
    int32_t max_voltage_mv, max_current_ma;
    int32_t max_power_w;           /**< < 0: not sent */
    int32_t energy_capacity_wh, energy_request_wh; /**< < 0: not sent */
    int16_t full_soc, bulk_soc;    /**< < 0: not sent */
    int32_t remaining_full_s, remaining_bulk_s;    /**< < 0: not sent */
    bool charging_complete, bulk_charging_complete;
};

/* The values of DC_EVSEStatusCodeType, isolationLevelType, EVSENotificationType and
 * DC_EVErrorCodeType, which DIN 70121 and ISO 15118-2 number alike (each backend checks
 * its generated enum against these with _Static_assert). */

/** DC_EVSEStatusCodeType (the values the charger sends). */
enum v2g_dc_status_code {
    V2G_DC_EVSE_NOT_READY = 0,
    V2G_DC_EVSE_READY = 1,
    V2G_DC_EVSE_SHUTDOWN = 2,
    V2G_DC_EVSE_EMERGENCY_SHUTDOWN = 5,
    V2G_DC_EVSE_MALFUNCTION = 6,
};

/** isolationLevelType (ISO-2 adds No_IMD = 4, which the charger never sends). */
enum v2g_dc_isolation {
    V2G_DC_ISOLATION_INVALID = 0,
    V2G_DC_ISOLATION_VALID = 1,
    V2G_DC_ISOLATION_WARNING = 2,
    V2G_DC_ISOLATION_FAULT = 3,
};

/** EVSENotificationType. */
enum v2g_dc_notification {
    V2G_DC_NOTIFY_NONE = 0,
    V2G_DC_NOTIFY_STOP_CHARGING = 1,
    V2G_DC_NOTIFY_RENEGOTIATION = 2,
};

/** DC_EVErrorCodeType (7..9 reserved). */
enum v2g_dc_ev_error {
    V2G_DC_EV_NO_ERROR = 0,
    V2G_DC_EV_RESS_TEMPERATURE_INHIBIT = 1,
    V2G_DC_EV_SHIFT_POSITION = 2,
    V2G_DC_EV_CONNECTOR_LOCK_FAULT = 3,
    V2G_DC_EV_RESS_MALFUNCTION = 4,
    V2G_DC_EV_CURRENT_DIFFERENTIAL = 5,
    V2G_DC_EV_VOLTAGE_OUT_OF_RANGE = 6,
    V2G_DC_EV_SYSTEM_INCOMPATIBILITY = 10,
    V2G_DC_EV_NO_DATA = 11,
};

/**
 * @brief SECC: account one response's time (request at @p req_ms, sent at @p now_ms) in a
 *        machine's statistics: the worst response, the worst of the charging loop's
 *        (CurrentDemand, DC_ChargeLoop) when @p loop, and a miss of the performance time
 *        (@p perf_loop_ms in the loop, @p perf_ms elsewhere). DIN, ISO-2 and ISO-20 keep
 *        these three counters under their own names; the rule is one.
 */
static inline void v2g_dc_response_time(uint32_t req_ms, uint32_t now_ms, bool loop, uint32_t perf_ms,
                                        uint32_t perf_loop_ms, uint32_t *worst_ms, uint32_t *worst_loop_ms,
                                        uint32_t *perf_missed)
{
    int32_t d = (int32_t)(now_ms - req_ms);
    uint32_t dt = d > 0 ? (uint32_t)d : 0u;
    if (dt > *worst_ms) {
        *worst_ms = dt;
    }
    if (loop && dt > *worst_loop_ms) {
        *worst_loop_ms = dt;
    }
    if (dt > (loop ? perf_loop_ms : perf_ms)) {
        (*perf_missed)++;
    }
}

#endif /* V2G_DC_H */
