/**
 * @file slac_ev.h
 * @brief SLAC, EV side: CM_SLAC_PARM.REQ with retries, three CM_START_ATTEN_CHAR.IND,
 *        the M-sounds, CM_ATTEN_CHAR.RSP to every EVSE that reports, choice of the EVSE
 *        with the lowest mean attenuation, CM_SLAC_MATCH, CM_SET_KEY on the own modem.
 *
 * Pure logic; see slac.h for the I/O pattern.
 */
#ifndef SLAC_EV_H
#define SLAC_EV_H

#include "slac/slac.h"

/** EVSEs one run can compare. */
#ifndef CFG_SLAC_EV_CANDIDATES
#define CFG_SLAC_EV_CANDIDATES 4
#endif
_Static_assert(CFG_SLAC_EV_CANDIDATES >= 1 && CFG_SLAC_EV_CANDIDATES <= 16,
               "CFG_SLAC_EV_CANDIDATES must be 1..16");

/** State of the EV side. */
enum slac_ev_state {
    SLAC_EV_IDLE = 0,
    SLAC_EV_PARM,      /**< CM_SLAC_PARM.REQ sent, waiting for a CNF */
    SLAC_EV_SOUNDING,  /**< sending START_ATTEN_CHAR and sounds, collecting ATTEN_CHAR.IND */
    SLAC_EV_MATCH,     /**< CM_SLAC_MATCH.REQ sent */
    SLAC_EV_KEYING,    /**< CM_SET_KEY.REQ sent to the own modem */
    SLAC_EV_PAUSE,     /**< a run failed: TT_matching_rate before the next */
    SLAC_EV_MATCHED,   /**< done: NID/NMK known and loaded */
    SLAC_EV_FAILED,    /**< C_conn_max_match runs failed; `reason` says why */
};

/** An EVSE that answered. */
struct slac_ev_candidate {
    uint8_t mac[6];
    bool reported;        /**< sent CM_ATTEN_CHAR.IND */
    uint16_t mean_db_x10; /**< mean attenuation over its groups, 0.1 dB */
};

/** The EV SLAC machine. */
struct slac_ev {
    struct slac_config cfg;
    uint8_t mac[6];
    enum slac_ev_state state;
    const char *reason; /**< last failure (never NULL) */
    const char *note;   /**< why the last frame was refused (never NULL) */
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    struct slac_ev_candidate cand[CFG_SLAC_EV_CANDIDATES];
    uint8_t ncand;
    int chosen;
    uint8_t num_sounds, time_out; /**< copied from the first CNF (P4) */
    uint16_t tries;
    uint8_t starts_sent, sounds_sent;
    uint8_t runs;
    uint32_t deadline_ms;  /**< response wait / run end */
    uint32_t next_send_ms; /**< next START_ATTEN / sound */
    bool sending;
    uint32_t results_ms;   /**< end of TT_EV_atten_results */
    uint32_t key_nonce;
    uint8_t nid[HOMEPLUG_NID_LEN];
    uint8_t nmk[HOMEPLUG_NMK_LEN];
    uint8_t evse_mac[6];
    struct slac_outbox out;
    uint32_t rx_ok, rx_bad, rx_ignored;
    uint32_t t_first_parm_ms, t_match_cnf_ms;
};

/** @brief Fill @p e; state IDLE. */
void slac_ev_init(struct slac_ev *e, const struct slac_config *cfg, const uint8_t mac[6]);

/**
 * @brief Start matching (the EV saw 5 %) with a fresh random @p run_id; later runs of the
 *        same process change its last byte.
 */
void slac_ev_start(struct slac_ev *e, const uint8_t run_id[HOMEPLUG_RUN_ID_LEN], uint32_t now_ms);

/** @brief Stop (unplug). */
void slac_ev_stop(struct slac_ev *e);

/**
 * @brief Feed one received frame.
 * @retval HAL_OK used
 * @retval HAL_ENOTSUP not for this machine now: ignored
 * @retval HAL_EPROTO malformed or invalid fields: ignored, `reason` says why
 */
int slac_ev_input(struct slac_ev *e, const uint8_t *frame, size_t len, uint32_t now_ms);

/** @brief Timeouts and paced sends due at @p now_ms. */
void slac_ev_tick(struct slac_ev *e, uint32_t now_ms);

/** @brief Next frame to send; see slac_outbox_pop(). */
int slac_ev_pop(struct slac_ev *e, uint8_t *buf, size_t cap, size_t *len);

/** @brief Earliest deadline; false when none is armed. */
bool slac_ev_next_due(const struct slac_ev *e, uint32_t *due_ms);

/** @brief Name of a state (static). */
const char *slac_ev_state_name(enum slac_ev_state st);

#endif /* SLAC_EV_H */
