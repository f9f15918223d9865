/**
 * @file iso2_common_ev.h
 * @brief ISO 15118-2 helpers the EV machine (iso2_ev.h) and the replay tool share: which
 *        message a decoded document carries, physical values in milli-units, SessionIDs,
 *        ResponseCode names, the standard's EV timers.
 *
 * Named *_ev for now because the charger-side machine is written in parallel; once both
 * are merged the common half can move to one iso2.h (everything here is role-neutral).
 */
#ifndef ISO2_COMMON_EV_H
#define ISO2_COMMON_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_iso2.h"
#include "hal_err.h"

/** Longest SessionID of the schema (hexBinary, maxLength 8). */
#define ISO2_EV_SESSION_ID_MAX 8u

/** EV timers of the standard (ms), as Josev and RISE-V2G use them (spec sheet §2). */
#define ISO2_EV_MSG_TIMEOUT_MS 2000u        /**< V2G_EVCC_Msg_Timeout */
#define ISO2_EV_MSG_TIMEOUT_LONG_MS 5000u   /**< ... for ServiceDetail and PowerDelivery */
#define ISO2_EV_MSG_TIMEOUT_CD_MS 250u      /**< ... for CurrentDemand */
#define ISO2_EV_COMM_SETUP_TIMEOUT_MS 20000u /**< V2G_EVCC_CommunicationSetup_Timeout */
#define ISO2_EV_ONGOING_TIMEOUT_MS 60000u   /**< V2G_EVCC_Ongoing_Timeout (Authorization, CPD) */
#define ISO2_EV_CABLE_CHECK_TIMEOUT_MS 40000u /**< V2G_EVCC_CableCheck_Timeout */
#define ISO2_EV_PRECHARGE_TIMEOUT_MS 7000u  /**< V2G_EVCC_PreCharge_Timeout */

/** The ISO-2 requests of a DC session (and the responses that answer them). */
enum iso2_ev_msg {
    ISO2_EV_MSG_NONE = 0,
    ISO2_EV_MSG_SESSION_SETUP,
    ISO2_EV_MSG_SERVICE_DISCOVERY,
    ISO2_EV_MSG_SERVICE_DETAIL,
    ISO2_EV_MSG_PAYMENT_SELECTION,
    ISO2_EV_MSG_PAYMENT_DETAILS,
    ISO2_EV_MSG_AUTHORIZATION,
    ISO2_EV_MSG_CHARGE_PARAMETER,
    ISO2_EV_MSG_CABLE_CHECK,
    ISO2_EV_MSG_PRECHARGE,
    ISO2_EV_MSG_POWER_DELIVERY,
    ISO2_EV_MSG_CURRENT_DEMAND,
    ISO2_EV_MSG_WELDING_DETECTION,
    ISO2_EV_MSG_SESSION_STOP,
    ISO2_EV_MSG_OTHER,    /**< certificate messages, ChargingStatus, MeteringReceipt */
    ISO2_EV_MSG_COUNT
};

/** A SessionID as sent: 0..8 bytes, leading zeros kept. */
struct iso2_ev_session_id {
    uint8_t bytes[ISO2_EV_SESSION_ID_MAX];
    uint8_t len;
};

/** @brief Which request a decoded document carries (NONE when it holds none). */
enum iso2_ev_msg iso2_ev_request_kind(const struct exi_iso2_document *doc);
/** @brief Which response a decoded document carries (NONE when it holds none). */
enum iso2_ev_msg iso2_ev_response_kind(const struct exi_iso2_document *doc);
/** @brief Message name for logs ("CurrentDemand"). */
const char *iso2_ev_msg_name(enum iso2_ev_msg m);

/** @brief ResponseCode of a response document (0xFF when it holds none). */
uint8_t iso2_ev_response_code(const struct exi_iso2_document *doc);
/** @brief True for OK, OK_NewSessionEstablished, OK_OldSessionJoined, OK_CertificateExpiresSoon. */
bool iso2_ev_response_code_ok(uint8_t code);
/** @brief Name of a ResponseCode ("FAILED_TariffSelectionInvalid"). */
const char *iso2_ev_response_code_name(uint8_t code);

/** @brief Value x 10^Multiplier in milli-units (mV, mA, mW, mWh, ms), saturated to int32. */
int32_t iso2_ev_pv_milli32(const struct exi_iso2_PhysicalValueType *pv);
/** @brief The same in int64 (power in mW can exceed int32). */
int64_t iso2_ev_pv_milli(const struct exi_iso2_PhysicalValueType *pv);
/**
 * @brief Encode @p milli with the smallest Multiplier (-3..3) whose Value fits int16,
 *        rounded to nearest; saturates at +-32767 x 10^3. The Unit is mandatory in ISO-2.
 */
void iso2_ev_pv_set(struct exi_iso2_PhysicalValueType *pv, int64_t milli, uint8_t unit);

/** @brief Byte-and-length equality of two SessionIDs. */
bool iso2_ev_session_id_equal(const struct iso2_ev_session_id *a, const struct iso2_ev_session_id *b);
/** @brief Copy a decoded header SessionID (bytesLen clamped to 8). */
void iso2_ev_session_id_from_header(struct iso2_ev_session_id *id,
                                    const struct exi_iso2_MessageHeaderType *h);
/** @brief Put @p id into a header (no Notification, no Signature). */
void iso2_ev_session_id_to_header(struct exi_iso2_MessageHeaderType *h,
                                  const struct iso2_ev_session_id *id);

#endif /* ISO2_COMMON_EV_H */
