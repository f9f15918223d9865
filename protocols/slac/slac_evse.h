/**
 * @file slac_evse.h
 * @brief SLAC, EVSE side: answers CM_SLAC_PARM.REQ, collects sounds and attenuation
 *        profiles (or falls back when the modem sends none), reports CM_ATTEN_CHAR.IND
 *        with retries, answers CM_SLAC_MATCH.REQ with the NID/NMK loaded into the local
 *        modem with CM_SET_KEY.
 *
 * Sessions are keyed by (EV MAC, RunID) because the powerline carries the PARM.REQs of
 * cars at neighbouring chargers too. Pure logic; see slac.h for the I/O pattern.
 */
#ifndef SLAC_EVSE_H
#define SLAC_EVSE_H

#include "slac/slac.h"

/** Sessions (different EVs heard at once) one EVSE tracks. */
#ifndef CFG_SLAC_EVSE_SESSIONS
#define CFG_SLAC_EVSE_SESSIONS 3
#endif
_Static_assert(CFG_SLAC_EVSE_SESSIONS >= 1 && CFG_SLAC_EVSE_SESSIONS <= 16,
               "CFG_SLAC_EVSE_SESSIONS must be 1..16");

/** Overall state of the EVSE side. */
enum slac_evse_state {
    SLAC_EVSE_IDLE = 0, /**< not matching (no EV, or before slac_evse_start) */
    SLAC_EVSE_WAIT_PARM,/**< matching: waiting for an EV's CM_SLAC_PARM.REQ */
    SLAC_EVSE_MATCHING, /**< at least one session in progress */
    SLAC_EVSE_MATCHED,  /**< CM_SLAC_MATCH.CNF sent; waiting for the link (slac_evse_link_up) */
    SLAC_EVSE_LINK,     /**< the EV spoke over the new network: data link ready */
    SLAC_EVSE_FAILED,   /**< gave up; `reason` says why */
};

/** State of one session. */
enum slac_evse_sess_state {
    SLAC_SESS_FREE = 0,
    SLAC_SESS_PARM_SENT,  /**< PARM.CNF sent, waiting for START_ATTEN_CHAR.IND */
    SLAC_SESS_SOUNDING,   /**< collecting sounds and profiles */
    SLAC_SESS_ATTEN_SENT, /**< ATTEN_CHAR.IND sent, waiting for the RSP */
    SLAC_SESS_WAIT_MATCH, /**< waiting for CM_SLAC_MATCH.REQ */
    SLAC_SESS_MATCHED,
};

/** One EV heard on the segment. */
struct slac_evse_session {
    enum slac_evse_sess_state state;
    uint8_t ev_mac[6];
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    uint32_t deadline_ms;
    uint32_t started_ms;
    uint8_t expect_sounds;
    uint8_t sounds;
    uint8_t profiles;
    uint8_t atten_tries;
    uint16_t aag_sum[HOMEPLUG_GROUPS];
    uint8_t aag[HOMEPLUG_GROUPS]; /**< what was reported in ATTEN_CHAR.IND */
    uint8_t reported_sounds;
};

/** The EVSE SLAC machine of one connector. */
struct slac_evse {
    struct slac_config cfg;
    uint8_t mac[6];          /**< this host's MAC */
    enum slac_evse_state state;
    const char *reason;      /**< last failure, static text (never NULL) */
    const char *note;        /**< why the last frame was refused or ignored (never NULL) */
    struct slac_evse_session sess[CFG_SLAC_EVSE_SESSIONS];
    struct slac_outbox out;
    /* key */
    uint8_t nmk[HOMEPLUG_NMK_LEN];
    uint8_t nid[HOMEPLUG_NID_LEN];
    bool key_valid;          /**< an NMK was given */
    bool key_confirmed;      /**< the modem confirmed it (or there is no modem) */
    uint32_t key_nonce;
    uint8_t key_tries;
    uint32_t key_deadline_ms;
    /* matching */
    uint32_t init_deadline_ms;
    bool init_armed;
    uint32_t join_deadline_ms;
    uint8_t runs_failed;     /**< failed sessions in this matching process */
    int matched;             /**< index of the matched session, or -1 */
    /* statistics and figures */
    uint32_t rx_ok, rx_bad, rx_ignored;
    uint32_t t_first_parm_ms, t_match_cnf_ms;
    bool have_first_parm;
};

/** @brief Fill @p s; @p mac is this host's MAC. State IDLE, no key. */
void slac_evse_init(struct slac_evse *s, const struct slac_config *cfg, const uint8_t mac[6]);

/**
 * @brief Use a new NMK (fresh random per session, P17); NID is derived. With a modem a
 *        CM_SET_KEY.REQ is queued to 00:B0:52:00:00:01 and MATCH.REQs are answered only
 *        after its CNF. Call at boot and after every session end, never between MATCH.CNF
 *        and link-up.
 * @param nonce the My Nonce of the request (any value; pairs the CNF)
 * @retval HAL_OK key taken
 * @retval HAL_ESTATE a session is matched and waiting for its link
 */
int slac_evse_set_key(struct slac_evse *s, const uint8_t nmk[HOMEPLUG_NMK_LEN], uint32_t nonce,
                      uint32_t now_ms);

/** @brief Enter matching (state B with 5 %): start TT_EVSE_SLAC_init, forget old sessions. */
void slac_evse_start(struct slac_evse *s, uint32_t now_ms);

/** @brief Leave matching (unplug, session end): back to IDLE. */
void slac_evse_stop(struct slac_evse *s);

/** @brief The data link works (the first SDP request arrived): MATCHED -> LINK. */
void slac_evse_link_up(struct slac_evse *s);

/**
 * @brief Feed one received frame.
 * @retval HAL_OK the frame was used
 * @retval HAL_ENOTSUP not for this machine (other type, other EV, other state): ignored
 * @retval HAL_EPROTO malformed or invalid fields: ignored, `reason` says why
 */
int slac_evse_input(struct slac_evse *s, const uint8_t *frame, size_t len, uint32_t now_ms);

/** @brief Handle timeouts due at @p now_ms. */
void slac_evse_tick(struct slac_evse *s, uint32_t now_ms);

/** @brief Next frame to send; see slac_outbox_pop(). */
int slac_evse_pop(struct slac_evse *s, uint8_t *buf, size_t cap, size_t *len);

/**
 * @brief Earliest deadline.
 * @return true and @p due_ms when a deadline is armed
 */
bool slac_evse_next_due(const struct slac_evse *s, uint32_t *due_ms);

/** @brief Name of a state (static). */
const char *slac_evse_state_name(enum slac_evse_state st);

#endif /* SLAC_EVSE_H */
