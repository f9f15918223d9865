/**
 * @file iso2.h
 * @brief ISO 15118-2: what the SECC machine (iso2_evse.h), the EVCC machine (iso2_ev.h),
 *        the hlc adapter and the tools share: message kinds and names, ResponseCodes,
 *        physical values in milli-units, SessionIDs. Role-neutral, like din/din.h for DIN.
 */
#ifndef ISO2_H
#define ISO2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_iso2.h"
#include "hal_err.h"

/** Longest SessionID of the schema (hexBinary, maxLength 8). */
#define ISO2_SESSION_ID_MAX 8u

/** The ISO-2 messages (a request and the response that answers it share the kind). */
enum iso2_msg {
    ISO2_MSG_NONE = 0,
    ISO2_MSG_SESSION_SETUP,
    ISO2_MSG_SERVICE_DISCOVERY,
    ISO2_MSG_SERVICE_DETAIL,
    ISO2_MSG_PAYMENT_SELECTION,
    ISO2_MSG_PAYMENT_DETAILS,
    ISO2_MSG_AUTHORIZATION,
    ISO2_MSG_CHARGE_PARAMETER,
    ISO2_MSG_CABLE_CHECK,
    ISO2_MSG_PRECHARGE,
    ISO2_MSG_POWER_DELIVERY,
    ISO2_MSG_CURRENT_DEMAND,
    ISO2_MSG_CHARGING_STATUS,
    ISO2_MSG_METERING_RECEIPT,
    ISO2_MSG_WELDING_DETECTION,
    ISO2_MSG_SESSION_STOP,
    ISO2_MSG_CERTIFICATE,      /**< CertificateInstallation / CertificateUpdate (PnC) */
    ISO2_MSG_COUNT
};

/** A SessionID as sent: 0..8 bytes, leading zeros kept. */
struct iso2_session_id {
    uint8_t bytes[ISO2_SESSION_ID_MAX];
    uint8_t len;
};

/** @brief Which request @p doc carries (ISO2_MSG_NONE: none). */
enum iso2_msg iso2_request_kind(const struct exi_iso2_document *doc);
/** @brief Which response @p doc carries (ISO2_MSG_NONE: none). */
enum iso2_msg iso2_response_kind(const struct exi_iso2_document *doc);
/** @brief "CurrentDemand", ... */
const char *iso2_msg_name(enum iso2_msg m);

/** @brief ResponseCode of a response document (0xFF: none). */
uint8_t iso2_response_code(const struct exi_iso2_document *doc);
/** @brief True for OK, OK_NewSessionEstablished, OK_OldSessionJoined, OK_CertificateExpiresSoon. */
bool iso2_response_code_ok(uint8_t code);
/** @brief "FAILED_SequenceError", ... */
const char *iso2_response_code_name(uint8_t code);

/** @brief Value x 10^Multiplier in milli-units (mV, mA, mW, mWh, ms), saturated to int64. */
int64_t iso2_pv_milli(const struct exi_iso2_PhysicalValueType *pv);
/** @brief iso2_pv_milli() saturated to int32. */
int32_t iso2_pv_milli32(const struct exi_iso2_PhysicalValueType *pv);
/**
 * @brief Encode @p milli with the smallest Multiplier (-3..3) whose Value fits int16,
 *        rounded to nearest; saturates at +-32767 x 10^3. The Unit is mandatory in ISO-2.
 */
void iso2_pv_set(struct exi_iso2_PhysicalValueType *pv, int64_t milli, uint8_t unit);

/** @brief Byte-and-length equality of two SessionIDs. */
bool iso2_session_id_equal(const struct iso2_session_id *a, const struct iso2_session_id *b);
/** @brief Copy a decoded header SessionID (bytesLen clamped to 8). */
void iso2_session_id_from_header(struct iso2_session_id *id, const struct exi_iso2_MessageHeaderType *h);
/** @brief Put @p id into a header (no Notification, no Signature). */
void iso2_session_id_to_header(struct exi_iso2_MessageHeaderType *h, const struct iso2_session_id *id);

#endif /* ISO2_H */
