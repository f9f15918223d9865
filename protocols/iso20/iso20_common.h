/**
 * @file iso20_common.h
 * @brief ISO 15118-20: what the SECC machine (iso20_evse.h), the hlc adapter and the tools
 *        share: message kinds and names of both namespaces the DC session uses
 *        (CommonMessages, payload 0x8002; DC, payload 0x8004), ResponseCode names,
 *        RationalNumbers in milli-units. Role-neutral like iso2/iso2.h.
 */
#ifndef ISO20_COMMON_H
#define ISO20_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_iso20.h"
#include "exi/exi_iso20_dc.h"

/** SessionID length: exactly 8 bytes in -20 (hexBinary length 8). */
#define ISO20_SESSION_ID_LEN 8u

/** V2GTP payload types of -20 (the type selects the EXI grammar, docs/exi.md). */
#define ISO20_PT_COMMON 0x8002u
#define ISO20_PT_AC 0x8003u
#define ISO20_PT_DC 0x8004u

/** ServiceIDs of the energy services (Table 204 as cited in the spec sheet §2.5). */
#define ISO20_SERVICE_DC 2u
#define ISO20_SERVICE_DC_BPT 6u

/** ControlMode parameter values. */
#define ISO20_CONTROL_SCHEDULED 1u
#define ISO20_CONTROL_DYNAMIC 2u

/** The -20 messages a DC SECC may see (a request and its response share the kind). */
enum iso20_msg {
    ISO20_MSG_NONE = 0,
    ISO20_MSG_SESSION_SETUP,
    ISO20_MSG_AUTH_SETUP,
    ISO20_MSG_AUTHORIZATION,
    ISO20_MSG_SERVICE_DISCOVERY,
    ISO20_MSG_SERVICE_DETAIL,
    ISO20_MSG_SERVICE_SELECTION,
    ISO20_MSG_CHARGE_PARAMETER,   /**< DC_ChargeParameterDiscovery (0x8004) */
    ISO20_MSG_SCHEDULE_EXCHANGE,
    ISO20_MSG_CABLE_CHECK,        /**< DC_CableCheck (0x8004) */
    ISO20_MSG_PRECHARGE,          /**< DC_PreCharge (0x8004) */
    ISO20_MSG_POWER_DELIVERY,
    ISO20_MSG_CHARGE_LOOP,        /**< DC_ChargeLoop (0x8004) */
    ISO20_MSG_WELDING_DETECTION,  /**< DC_WeldingDetection (0x8004) */
    ISO20_MSG_SESSION_STOP,
    ISO20_MSG_CERTIFICATE,        /**< CertificateInstallation (PnC: not offered) */
    ISO20_MSG_METERING_CONFIRMATION,
    ISO20_MSG_VEHICLE_CHECK,      /**< VehicleCheckIn/Out (WPT/ACD parking: not DC) */
    ISO20_MSG_COUNT
};

/** @brief Which request a CommonMessages document carries (ISO20_MSG_NONE: none). */
enum iso20_msg iso20_request_kind(const struct exi_iso20_document *doc);
/** @brief Which response a CommonMessages document carries. */
enum iso20_msg iso20_response_kind(const struct exi_iso20_document *doc);
/** @brief Which request a DC document carries. */
enum iso20_msg iso20_dc_request_kind(const struct exi_iso20_dc_document *doc);
/** @brief Which response a DC document carries. */
enum iso20_msg iso20_dc_response_kind(const struct exi_iso20_dc_document *doc);
/** @brief True for the kinds carried in the DC namespace (payload 0x8004). */
bool iso20_msg_is_dc(enum iso20_msg m);
/** @brief "DC_ChargeLoop", ... */
const char *iso20_msg_name(enum iso20_msg m);

/** @brief ResponseCode of a response document (0xFF: none). */
uint8_t iso20_response_code(const struct exi_iso20_document *doc);
uint8_t iso20_dc_response_code(const struct exi_iso20_dc_document *doc);
/** @brief OK* and WARNING_* (the session continues); FAILED* end it ([V2G20-2222]). */
bool iso20_response_code_ok(uint8_t code);
/** @brief True for the codes a positive answer has: OK and OK_* only. */
bool iso20_response_code_positive(uint8_t code);
/** @brief "FAILED_SequenceError", ... */
const char *iso20_response_code_name(uint8_t code);

/** @brief Value x 10^Exponent in milli-units, saturated to int64. */
int64_t iso20_rn_milli(int8_t exponent, int16_t value);
/** @brief iso20_rn_milli() saturated to int32. */
int32_t iso20_rn_milli32(int8_t exponent, int16_t value);
/** @brief The smallest exponent (from -3 up) whose Value fits int16, rounded to nearest. */
void iso20_rn_set(int8_t *exponent, int16_t *value, int64_t milli);

/** Read / write a RationalNumber of either namespace (the two generated types are alike). */
#define ISO20_RN_MILLI(rn) iso20_rn_milli((rn).Exponent, (rn).Value)
#define ISO20_RN_MILLI32(rn) iso20_rn_milli32((rn).Exponent, (rn).Value)
#define ISO20_RN_SET(rn, milli) iso20_rn_set(&(rn).Exponent, &(rn).Value, (milli))

#endif /* ISO20_COMMON_H */
