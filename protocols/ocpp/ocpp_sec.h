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
#include <stddef.h>
#include <stdint.h>

#ifndef CFG_OCPP_SEC_EVENTS
#define CFG_OCPP_SEC_EVENTS 8u
#endif
_Static_assert(CFG_OCPP_SEC_EVENTS >= 2u && CFG_OCPP_SEC_EVENTS <= 256u, "CFG_OCPP_SEC_EVENTS must be 2..256");
/** Failed connects with a new SecurityProfile before the link falls back to the old one. */
#ifndef CFG_OCPP_SEC_SWITCH_ATTEMPTS
#define CFG_OCPP_SEC_SWITCH_ATTEMPTS 3u
#endif
_Static_assert(CFG_OCPP_SEC_SWITCH_ATTEMPTS >= 1u && CFG_OCPP_SEC_SWITCH_ATTEMPTS <= 20u,
               "CFG_OCPP_SEC_SWITCH_ATTEMPTS must be 1..20");

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
    /* the link's SecurityProfile switch (A05) and AuthorizationKey change (A01): the core
     * decides, the board's link follows (ocpp_sec_link_*) */
    uint8_t switch_to;    /**< a higher profile being tried, 0: none (cfg keeps the old one) */
    uint8_t switch_fails; /**< failed connects with it so far */
    bool relink;          /**< close the link and reopen it (with ocpp_sec_link_profile) */
    bool key_stored;      /**< the AuthorizationKey came over OCPP: the store keeps it */
    bool profile_stored;  /**< the profile was raised over OCPP: the store keeps it (a profile
                               only configured stays the operator's to change) */
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

/** ChangeConfiguration of SecurityProfile (A05): the status to answer. Accepted starts a
 *  switch: the board's link reconnects with the new profile once the answer is out; only a
 *  connection that opens makes it permanent (stored); CFG_OCPP_SEC_SWITCH_ATTEMPTS failed
 *  connects fall back to the old profile with a ReconfigurationOfSecurityParameters event. */
const char *ocpp_sec_change_profile(struct ocpp_cp *cp, const char *value, uint32_t now_ms);

/** An AuthorizationKey was accepted over OCPP (A01): kept in the store, and on profiles 1
 *  and 2 the link reconnects with it once the answer is out. */
void ocpp_sec_key_changed(struct ocpp_cp *cp, uint32_t now_ms);

/** The profile the link must connect with now (the one tried during a switch). */
unsigned ocpp_sec_link_profile(const struct ocpp_cp *cp);
/** True once per request: close the link and reconnect with ocpp_sec_link_profile(). The
 *  board asks only when the last answer has gone out (the CSMS hears Accepted first). */
bool ocpp_sec_link_relink(struct ocpp_cp *cp);
/** The link opened (the WebSocket upgrade succeeded) with ocpp_sec_link_profile(). */
void ocpp_sec_link_opened(struct ocpp_cp *cp, uint32_t now_ms);
/** A connect attempt failed (@p why: TLS refused, 401, timeout, ...). */
void ocpp_sec_link_failed(struct ocpp_cp *cp, const char *why, uint32_t now_ms);

/** The store lines of the security state: "sec SecurityProfile N" once a profile was raised
 *  over OCPP, "sec AuthorizationKey K" once the key came over OCPP. */
void ocpp_sec_store_export(const struct ocpp_cp *cp, void (*put)(void *ctx, const char *text, size_t len),
                           void *ctx);
/** One "sec ..." store line: a stored profile only raises the configured one (no-downgrade,
 *  also across a restart). @retval HAL_EINVAL with *why */
int ocpp_sec_store_line(struct ocpp_cp *cp, const char *line, const char **why);

#endif /* OCPP_SEC_H */
