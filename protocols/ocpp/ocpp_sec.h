/**
 * @file ocpp_sec.h
 * @brief OCPP 1.6J security whitepaper (edition 3) on the charge point: the SecurityProfile
 *        key's no-downgrade rule (A05.FR.01) and SecurityEventNotification (A04): the events
 *        this firmware can detect, queued in a small ring and sent once the charge point is
 *        accepted, each until the CSMS confirmed it (critical ones first in line are never
 *        dropped for a non-critical one).
 */
#ifndef OCPP_SEC_H
#define OCPP_SEC_H

#include <stdbool.h>
#include <stdint.h>

#ifndef CFG_OCPP_SEC_EVENTS
#define CFG_OCPP_SEC_EVENTS 8u
#endif
_Static_assert(CFG_OCPP_SEC_EVENTS >= 2u && CFG_OCPP_SEC_EVENTS <= 256u, "CFG_OCPP_SEC_EVENTS must be 2..256");

/** The whitepaper's event types we can detect (SEC3 §8). */
enum ocpp_sec_type {
    OCPP_SEC_STARTUP = 0,          /**< StartupOfTheDevice (critical) */
    OCPP_SEC_RESET,                /**< ResetOrReboot (critical) */
    OCPP_SEC_TIME,                 /**< SettingSystemTime (critical): a clock step over 2 s */
    OCPP_SEC_FAILED_AUTH,          /**< FailedToAuthenticateAtCentralSystem: HTTP 401 */
    OCPP_SEC_INVALID_CS_CERT,      /**< InvalidCentralSystemCertificate: the TLS check failed */
    OCPP_SEC_RECONFIGURATION,      /**< ReconfigurationOfSecurityParameters */
    OCPP_SEC_INVALID_MESSAGES,     /**< InvalidMessages */
    OCPP_SEC_INVALID_CP_CERT,      /**< InvalidChargePointCertificate: CertificateSigned refused */
    OCPP_SEC_INVALID_FW_SIGNATURE, /**< InvalidFirmwareSignature (ocpp_fw.c) */
    OCPP_SEC_INVALID_FW_CERT,      /**< InvalidFirmwareSigningCertificate (ocpp_fw.c) */
    OCPP_SEC_TYPE_COUNT
};

#define OCPP_SEC_INFO_MAX 63u

struct ocpp_sec_event {
    uint8_t type;      /**< enum ocpp_sec_type */
    int64_t unix_s;    /**< 0: the clock was not known yet (stamped when it is) */
    uint32_t at_ms;
    char info[OCPP_SEC_INFO_MAX + 1u];
};

struct ocpp_sec_state {
    struct ocpp_sec_event ev[CFG_OCPP_SEC_EVENTS];
    uint16_t head, count;
    uint32_t dropped;  /**< events lost to a full ring (non-critical ones go first) */
};

struct ocpp_cp;
struct ocpp_msg;

const char *ocpp_sec_type_name(enum ocpp_sec_type t);
bool ocpp_sec_critical(enum ocpp_sec_type t);

/** Queue an event (techInfo @p info may be NULL). A full ring drops its oldest non-critical
 *  event, else the new one if it is not critical. */
void ocpp_sec_event(struct ocpp_cp *cp, enum ocpp_sec_type t, const char *info, uint32_t now_ms);

/** Write the head event as a CALL into cp->txbuf; false: nothing to send. */
bool ocpp_sec_send(struct ocpp_cp *cp, uint32_t now_ms);
/** The answer to it: a CALLRESULT removes it; a CALLERROR drops it too (the CSMS refused
 *  it on its schema: sending it again would loop). */
void ocpp_sec_answer(struct ocpp_cp *cp, const struct ocpp_msg *m, uint32_t now_ms);

/** ChangeConfiguration of SecurityProfile (A05): the status to answer. */
const char *ocpp_sec_change_profile(struct ocpp_cp *cp, const char *value, uint32_t now_ms);

#endif /* OCPP_SEC_H */
