/**
 * @file ocpp_auth.h
 * @brief OCPP 1.6J: who may charge without asking the backend. The Local Authorization List
 *        (SendLocalList full/differential with versions, GetLocalListVersion), the
 *        authorization cache (every idTagInfo the CSMS gave, with its expiry), reservations
 *        (ReserveNow / CancelReservation) and the offline and pre-authorize decisions
 *        (LocalAuthorizeOffline, LocalPreAuthorize, AllowOfflineTxForUnknownId).
 *
 * Static memory inside struct ocpp_cp; the board persists it with the configuration
 * (ocpp_cp_store_export / ocpp_cp_store_line). Fact sheet §2.3 and §2.8.
 */
#ifndef OCPP_AUTH_H
#define OCPP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocpp/ocpp_json.h"

#ifndef CFG_OCPP_LOCAL_LIST
#define CFG_OCPP_LOCAL_LIST 64u /**< LocalAuthListMaxLength */
#endif
/** SendLocalListMaxLength: entries of one SendLocalList. A whole entry (idTag, status, expiry,
 *  parent) costs 11 JSON tokens: 32 of them fit the CFG_OCPP_JSON_TOKENS (384) of one frame. */
#ifndef CFG_OCPP_SEND_LIST_MAX
#define CFG_OCPP_SEND_LIST_MAX 32u
#endif
_Static_assert(CFG_OCPP_SEND_LIST_MAX <= CFG_OCPP_LOCAL_LIST, "a SendLocalList must fit the list");
_Static_assert(CFG_OCPP_LOCAL_LIST >= 1u && CFG_OCPP_LOCAL_LIST <= 1024u, "CFG_OCPP_LOCAL_LIST must be 1..1024");
#ifndef CFG_OCPP_AUTH_CACHE
#define CFG_OCPP_AUTH_CACHE 32u
#endif
_Static_assert(CFG_OCPP_AUTH_CACHE >= 1u && CFG_OCPP_AUTH_CACHE <= 1024u, "CFG_OCPP_AUTH_CACHE must be 1..1024");
#ifndef CFG_OCPP_MAX_CONNECTORS_AUTH
#define CFG_OCPP_MAX_CONNECTORS_AUTH 16u /**< reservations: one per connector (CFG_OCPP_CONNECTORS ≤ 16) */
#endif

#define OCPP_TAG_LEN 20u

/** One idTag with its idTagInfo (list or cache). status: enum ocpp_auth. */
struct ocpp_tag_entry {
    char idtag[OCPP_TAG_LEN + 1u]; /**< "" = free slot */
    char parent[OCPP_TAG_LEN + 1u];
    uint8_t status;
    int64_t expiry;  /**< unix seconds, 0 = none */
    uint32_t age;    /**< cache: when it was stored (higher = newer) */
};

struct ocpp_reservation {
    bool active;
    int32_t id;
    int64_t expiry;  /**< unix seconds */
    char idtag[OCPP_TAG_LEN + 1u];
    char parent[OCPP_TAG_LEN + 1u];
};

struct ocpp_auth_state {
    struct ocpp_tag_entry list[CFG_OCPP_LOCAL_LIST];
    uint16_t list_n;
    int32_t list_version;  /**< 0: no list was ever sent (GetLocalListVersion answers 0) */
    struct ocpp_tag_entry cache[CFG_OCPP_AUTH_CACHE];
    uint32_t cache_age;
    struct ocpp_reservation resv[CFG_OCPP_MAX_CONNECTORS_AUTH + 1u]; /**< [connector], [0] unused */
};

struct ocpp_cp;
struct ocpp_jw;

/**
 * An incoming CALL of the Local Auth List or Reservation profile, or ClearCache.
 * @return false: not one of ours. true: handled; either the answer's members are in @p w or
 *         *err and *why name the CALLERROR (OCPP_ERR_*; the caller writes it).
 */
bool ocpp_auth_call(struct ocpp_cp *cp, const char *action, int payload, struct ocpp_jw *w, int *err,
                    const char **why, uint32_t now_ms);

/** What the charge point knows of @p tag (the list when enabled, then the cache when enabled),
 *  expiry applied at @p now_unix (0: unknown clock, no expiry). false: unknown. */
bool ocpp_auth_lookup(const struct ocpp_cp *cp, const char *tag, int64_t now_unix, struct ocpp_tag_entry *out);

/** Online: the tag may start at once without an Authorize (LocalPreAuthorize, valid locally). */
bool ocpp_auth_pre_authorized(const struct ocpp_cp *cp, const char *tag, int64_t now_unix);

/** Offline: Accepted (LocalAuthorizeOffline and valid locally), the refusal of a tag known as
 *  invalid, blocked or expired, or OCPP_AUTH_OFFLINE when nothing local decides
 *  (AllowOfflineTxForUnknownId then does). Returns enum ocpp_auth. */
int ocpp_auth_offline(const struct ocpp_cp *cp, const char *tag, int64_t now_unix);

/** Keep the backend's idTagInfo (token @p info of cp->json: Authorize, StartTransaction) in the
 *  cache; nothing when the cache is off or the tag is on the list. */
void ocpp_auth_cache_info(struct ocpp_cp *cp, const char *tag, int info);

/** A reservation on @p connector (1-based) lets @p tag charge there: no reservation, its tag,
 *  or the same parent (the parent known from the list or cache). */
bool ocpp_auth_may_use(const struct ocpp_cp *cp, unsigned connector, const char *tag, int64_t now_unix);

/** The transaction of @p tag starts on @p connector: ends its reservation. @return the
 *  reservation id, or -1 when there was none (or another tag's). */
int32_t ocpp_auth_reservation_use(struct ocpp_cp *cp, unsigned connector, const char *tag);

/** The status to report for a connector the station says is @p st: Reserved while a
 *  reservation holds an Available connector; Faulted or Unavailable end the reservation. */
int ocpp_auth_shown_status(struct ocpp_cp *cp, unsigned connector, int st, uint32_t now_ms);

/** Timers: a reservation past its expiry ends (the connector is reported Available). */
void ocpp_auth_poll(struct ocpp_cp *cp, uint32_t now_ms);

/** The list, the cache and the reservations as store lines (ocpp_cp_store_export). */
void ocpp_auth_store_export(const struct ocpp_cp *cp, void (*put)(void *ctx, const char *text, size_t len),
                            void *ctx);
/** One store line that is not "cfg ..." (ocpp_cp_store_line). */
int ocpp_auth_store_line(struct ocpp_cp *cp, const char *line, const char **why);

/* ---- helpers of every store line (ocpp_cp_store_line and its parts) */
/** @p s as lowercase hex into @p out (2 * strlen + 2 bytes); "-" for the empty string, so
 *  any IdToken fits a space-separated field. */
void ocpp_store_hex(char *out, const char *s);
/** The reverse of ocpp_store_hex: at most @p max bytes, no NUL inside. false: not hex. */
bool ocpp_store_unhex(const char *s, size_t n, char *out, size_t max);
/** Split @p line into at most @p max space-separated fields (pointers and lengths);
 *  max + 1 when there are more. */
unsigned ocpp_store_fields(const char *line, const char **f, size_t *len, unsigned max);
/** A decimal in [lo, hi] (at most 18 digits). */
bool ocpp_store_num(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out);

/** Case-insensitive idTag comparison (IdToken is a CiString20). */
bool ocpp_tag_eq(const char *a, const char *b);

#endif /* OCPP_AUTH_H */
