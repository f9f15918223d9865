/**
 * @file ocpp_rpc.h
 * @brief OCPP-J RPC framing (OCPP-J 1.6 §4): CALL, CALLRESULT, CALLERROR; one outstanding
 *        CALL of our own with its timeout; the error codes in both errata spellings.
 *
 * Parsing classifies an incoming frame and says what the caller owes the peer: a CALL must
 * be answered (CALLRESULT or CALLERROR, never silence), a CALLRESULT/CALLERROR either answers
 * our outstanding CALL or is stale and dropped, anything unreadable is dropped with a reason.
 * No heap, no clock: time comes in as now_ms.
 */
#ifndef OCPP_RPC_H
#define OCPP_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "ocpp/ocpp_json.h"

/** Message IDs are at most 36 characters (OCPP-J §4.1.4). */
#define OCPP_ID_MAX 36u
/** Longest action name of 1.6 plus the security extensions ("SignedFirmwareStatusNotification"). */
#define OCPP_ACTION_MAX 40u
/** Default answer timeout of our CALLs (fact sheet §1.3: ours 30 s). */
#ifndef CFG_OCPP_CALL_TIMEOUT_MS
#define CFG_OCPP_CALL_TIMEOUT_MS 30000u
#endif

enum ocpp_msgtype {
    OCPP_CALL = 2,
    OCPP_CALLRESULT = 3,
    OCPP_CALLERROR = 4,
};

/** Error codes; the names we send are the 1.6 spellings (typos included, "do not fix"). */
enum ocpp_error {
    OCPP_ERR_NONE = 0,
    OCPP_ERR_NOT_IMPLEMENTED,
    OCPP_ERR_NOT_SUPPORTED,
    OCPP_ERR_INTERNAL,
    OCPP_ERR_PROTOCOL,
    OCPP_ERR_SECURITY,
    OCPP_ERR_FORMATION,   /**< FormationViolation (2.0.1: FormatViolation) */
    OCPP_ERR_PROPERTY,    /**< PropertyConstraintViolation */
    OCPP_ERR_OCCURENCE,   /**< OccurenceConstraintViolation (2.0.1: Occurrence...) */
    OCPP_ERR_TYPE,        /**< TypeConstraintViolation */
    OCPP_ERR_GENERIC,
    OCPP_ERR_RPC_FRAMEWORK,    /**< received only: 2.0.1 / ocpp-rpc for unparsable JSON */
    OCPP_ERR_MSGTYPE_NOT_SUPPORTED, /**< received only: 2.0.1 */
};

/** The name we send for @p e (1.6 spelling); received-only codes map to GenericError. */
const char *ocpp_error_name(enum ocpp_error e);
/** The code for a received name, any spelling; an unknown name reads as GenericError. */
enum ocpp_error ocpp_error_parse(const char *s);

/** One classified incoming frame. Token indices refer to the ocpp_json it was parsed into. */
struct ocpp_msg {
    enum ocpp_msgtype type;
    char id[OCPP_ID_MAX + 1];
    char action[OCPP_ACTION_MAX + 1]; /**< CALL only */
    int payload;                      /**< CALL/CALLRESULT: the payload object token */
    enum ocpp_error error;            /**< CALLERROR: the code */
    char error_text[64];              /**< CALLERROR: the code as received (for the log) */
    int description;                  /**< CALLERROR: string token */
    int details;                      /**< CALLERROR: object token */
    /* when the frame is refused: */
    enum ocpp_error reply_error; /**< a CALL that must be answered with this CALLERROR */
    const char *why;             /**< the reason (static text) */
};

/**
 * @brief Parse and classify one frame (the text of one WebSocket message).
 * @retval HAL_OK @p m describes a well-formed CALL, CALLRESULT or CALLERROR
 * @retval HAL_EPROTO refused. If m->reply_error is set, the frame was a CALL with a readable
 *         ID: answer it with that CALLERROR (m->id, m->why as description). Otherwise drop it
 *         (nothing to answer: no readable ID, or not a CALL); m->why says why
 * @retval HAL_ENOTSUP an unknown message type number: ignored (OCPP-J §4.1.3)
 */
int ocpp_rpc_parse(struct ocpp_json *j, const char *text, size_t len, struct ocpp_msg *m);

/** Our side of the conversation: message ID counter and the one outstanding CALL. */
struct ocpp_rpc {
    uint32_t next_id;
    bool busy;
    char out_id[OCPP_ID_MAX + 1];
    char out_action[OCPP_ACTION_MAX + 1];
    uint32_t sent_ms;
    uint32_t timeout_ms;
};

/** @p id_seed makes IDs differ across reboots (a random number at boot). */
void ocpp_rpc_init(struct ocpp_rpc *r, uint32_t id_seed);

/**
 * @brief Start a CALL: write `[2,"<id>","<action>",` into @p w; the caller writes the payload
 *        object and then ocpp_rpc_end(). Every CALL gets a fresh ID, retries included.
 * @retval HAL_EBUSY a CALL is still outstanding (OCPP-J §4.1.1: one at a time)
 */
int ocpp_rpc_call(struct ocpp_rpc *r, struct ocpp_jw *w, const char *action, uint32_t now_ms);

/** Start a CALLRESULT to @p id: `[3,"<id>",`; the caller writes the payload, then ocpp_rpc_end(). */
void ocpp_rpc_result(struct ocpp_jw *w, const char *id);

/** A whole CALLERROR `[4,"<id>","<code>","<why>",{}]`. */
void ocpp_rpc_error(struct ocpp_jw *w, const char *id, enum ocpp_error e, const char *why);

/** Close the frame started by ocpp_rpc_call / ocpp_rpc_result. */
void ocpp_rpc_end(struct ocpp_jw *w);

/**
 * @brief Match a CALLRESULT / CALLERROR against the outstanding CALL.
 * @retval HAL_OK it answers our CALL (now cleared); m->type says how
 * @retval HAL_ENOENT stale or unknown ID: drop it
 */
int ocpp_rpc_match(struct ocpp_rpc *r, const struct ocpp_msg *m);

/** Whether the outstanding CALL has waited longer than its timeout; if so it is cleared. */
bool ocpp_rpc_timed_out(struct ocpp_rpc *r, uint32_t now_ms);

/** Forget the outstanding CALL (the connection closed: its answer can never come). */
void ocpp_rpc_reset(struct ocpp_rpc *r);

#endif /* OCPP_RPC_H */
