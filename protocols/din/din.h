/**
 * @file din.h
 * @brief DIN SPEC 70121: what the EVSE (din_evse.h) and EV (din_ev.h) machines share:
 *        message kinds, physical values in milli-units, session IDs, timer defaults.
 */
#ifndef DIN_H
#define DIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_din.h"
#include "hal_err.h"

/** Longest SessionID of the schema (hexBinary, maxLength 8). */
#define DIN_SESSION_ID_MAX 8u

/** Timers of the standard (ms), as the open stacks use them for DIN (docs/din.md). */
#define DIN_SEQUENCE_TIMEOUT_MS 60000u    /**< V2G_SECC_Sequence_Timeout */
#define DIN_ONGOING_TIMEOUT_MS 60000u     /**< ContractAuthentication / CPD loops */
#define DIN_CABLE_CHECK_TIMEOUT_MS 40000u /**< V2G_EVCC_CableCheck_Timeout */
#define DIN_PRECHARGE_TIMEOUT_MS 7000u    /**< V2G_EVCC_PreCharge_Timeout */
#define DIN_MSG_TIMEOUT_MS 2000u          /**< V2G_EVCC_Msg_Timeout */
#define DIN_MSG_TIMEOUT_CD_MS 250u        /**< V2G_EVCC_Msg_Timeout, CurrentDemand */
#define DIN_PERF_TIME_MS 1500u            /**< V2G_SECC_Msg_Performance_Time (reported) */
#define DIN_PERF_TIME_CD_MS 25u           /**< V2G_SECC_Msg_Performance_Time, CurrentDemand */
#define DIN_COMM_SETUP_TIMEOUT_MS 20000u  /**< V2G_EVCC_CommunicationSetup_Timeout */

/** The DIN requests (and, for the EV side, the responses they expect). */
enum din_msg {
    DIN_MSG_NONE = 0,
    DIN_MSG_SESSION_SETUP,
    DIN_MSG_SERVICE_DISCOVERY,
    DIN_MSG_PAYMENT_SELECTION,
    DIN_MSG_CONTRACT_AUTH,
    DIN_MSG_CHARGE_PARAMETER,
    DIN_MSG_CABLE_CHECK,
    DIN_MSG_PRECHARGE,
    DIN_MSG_POWER_DELIVERY,
    DIN_MSG_CURRENT_DEMAND,
    DIN_MSG_WELDING_DETECTION,
    DIN_MSG_SESSION_STOP,
    DIN_MSG_UNUSED,   /**< a DIN request a DC EIM session never uses (ServiceDetail, ...) */
    DIN_MSG_COUNT
};

/** A SessionID as sent: 0..8 bytes, leading zeros kept. */
struct din_session_id {
    uint8_t bytes[DIN_SESSION_ID_MAX];
    uint8_t len;
};

/**
 * @brief Which request a decoded document carries.
 * @return the kind, DIN_MSG_UNUSED for a request DIN DC EIM does not use, DIN_MSG_NONE
 *         when the body holds no request (a response, or nothing)
 */
enum din_msg din_request_kind(const struct exi_din_document *doc);

/** @brief Which response a decoded document carries (DIN_MSG_NONE when none). */
enum din_msg din_response_kind(const struct exi_din_document *doc);

/** @brief Message name for logs ("CurrentDemand"). */
const char *din_msg_name(enum din_msg m);

/**
 * @brief Value x 10^Multiplier in milli-units (mV, mA, mW, mWh, ms), saturated to int64.
 * A Multiplier outside -3..3 is taken at face value (the codec already bounds it).
 */
int64_t din_pv_milli(const struct exi_din_PhysicalValueType *pv);

/** @brief din_pv_milli() saturated to int32 (the range the machines use). */
int32_t din_pv_milli32(const struct exi_din_PhysicalValueType *pv);

/**
 * @brief Encode @p milli with the smallest Multiplier (-3..3) whose Value fits int16,
 *        rounded to nearest; saturates at +-32767 x 10^3. The Unit is always sent.
 */
void din_pv_set(struct exi_din_PhysicalValueType *pv, int64_t milli, uint8_t unit);

/** @brief True when every byte of @p id is zero (any length 0..8): "no session yet". */
bool din_session_id_is_zero(const struct din_session_id *id);

/** @brief Byte-and-length equality of two SessionIDs. */
bool din_session_id_equal(const struct din_session_id *a, const struct din_session_id *b);

/** @brief Copy a decoded header SessionID (bytesLen clamped to 8). */
void din_session_id_from_header(struct din_session_id *id,
                                const struct exi_din_MessageHeaderType *h);

/** @brief Put @p id into a header. */
void din_session_id_to_header(struct exi_din_MessageHeaderType *h, const struct din_session_id *id);

/** @brief True for a positive ResponseCode (OK, OK_NewSessionEstablished, ...). */
bool din_response_code_ok(uint8_t code);

/** @brief ResponseCode carried by a response document (0xFF when it is none). */
uint8_t din_response_code(const struct exi_din_document *doc);

/** @brief Name of a ResponseCode for logs. */
const char *din_response_code_name(uint8_t code);

#endif /* DIN_H */
