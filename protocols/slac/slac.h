/**
 * @file slac.h
 * @brief SLAC (ISO 15118-3 Annex A) over HomePlug Green PHY: configuration shared by the
 *        EVSE and the EV machines, and the small outbox both use.
 *
 * The machines are pure: frames come in through `*_input()`, time through `*_tick()`,
 * and the frames to send wait in an outbox the caller drains with `*_pop()` and hands
 * to hal_eth. Every timing parameter of the standard is a field of struct slac_config,
 * filled with the standard's default by slac_config_default().
 */
#ifndef SLAC_H
#define SLAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "homeplug/homeplug.h"

/** Largest SLAC frame (CM_ATTEN_CHAR.IND: 14 + 115 bytes). */
#define SLAC_FRAME_MAX 132u

/** Frames one machine may have waiting to be sent. */
#ifndef CFG_SLAC_OUTBOX
#define CFG_SLAC_OUTBOX 6
#endif
_Static_assert(CFG_SLAC_OUTBOX >= 2 && CFG_SLAC_OUTBOX <= 32, "CFG_SLAC_OUTBOX must be 2..32");

/** Timing and policy. Times in ms. Names follow ISO 15118-3 Table A.1. */
struct slac_config {
    /* both roles */
    uint32_t tt_match_response_ms;   /**< TT_match_response, 200: wait for a .CNF/.RSP */
    uint8_t c_match_retry;           /**< C_EV_match_retry, 2: repetitions after a timeout */
    uint32_t tt_match_join_ms;       /**< TT_match_join, 12000: MATCH.CNF to link up */
    uint32_t set_key_timeout_ms;     /**< CM_SET_KEY.CNF wait, 1000 */
    uint8_t set_key_retries;         /**< CM_SET_KEY.REQ repetitions, 2 */
    bool use_modem;                  /**< false: no local modem (veth tests): no CM_SET_KEY */
    uint8_t c_conn_max_match;        /**< C_conn_max_match, 3: matching runs before giving up */
    /* EVSE */
    uint8_t num_sounds;              /**< C_EV_match_MNBC, 10: asked for in CM_SLAC_PARM.CNF */
    uint8_t sound_time_out;          /**< TT_EVSE_match_MNBC in 100 ms, 6 */
    uint32_t tt_evse_slac_init_ms;   /**< TT_EVSE_SLAC_init, 40000 (20..50 s); 0 = wait forever */
    uint32_t tt_match_sequence_ms;   /**< TT_match_sequence, 400: PARM.CNF to START_ATTEN */
    uint32_t tt_evse_match_session_ms; /**< TT_EVSE_match_session, 10000: RSP to MATCH.REQ */
    uint32_t profile_grace_ms;       /**< after the last sound, wait this for its profile, 50 */
    uint8_t fallback_atten_db;       /**< when the modem sends no profile: report this for all
                                          groups; 0 = fail the run instead */
    /* EV */
    uint32_t tp_batch_ms;            /**< TP_EV_batch_msg_interval, 20 (20..50) */
    uint8_t c_start_atten;           /**< C_EV_start_atten_char_inds, 3 */
    uint32_t tt_ev_atten_results_ms; /**< TT_EV_atten_results, 1200 */
    uint32_t tt_matching_rate_ms;    /**< TT_matching_rate, 400: pause before a new run */
    uint16_t parm_retries;           /**< CM_SLAC_PARM.REQ repetitions; standard: 2 */
};

/** @brief The standard's defaults (with a local modem). */
void slac_config_default(struct slac_config *c);

/** One queued frame. */
struct slac_frame {
    uint16_t len;
    uint8_t data[SLAC_FRAME_MAX];
};

/** Fixed ring of frames to send. */
struct slac_outbox {
    struct slac_frame f[CFG_SLAC_OUTBOX];
    uint8_t head, count;
    uint32_t dropped; /**< frames lost because the ring was full */
};

/**
 * @brief Encode @p m and queue it.
 * @retval HAL_OK queued
 * @retval HAL_ENOMEM the outbox is full (counted in `dropped`)
 * @retval HAL_EINVAL the message does not encode
 */
int slac_outbox_put(struct slac_outbox *o, const struct homeplug_msg *m);

/**
 * @brief Take the oldest queued frame.
 * @retval HAL_OK @p len bytes copied
 * @retval HAL_EAGAIN nothing queued
 * @retval HAL_EOVERFLOW @p cap too small (the frame stays queued)
 */
int slac_outbox_pop(struct slac_outbox *o, uint8_t *buf, size_t cap, size_t *len);

/** @brief true when @p due is set and reached at @p now (wrap-safe). */
bool slac_due(bool armed, uint32_t due, uint32_t now);

#endif /* SLAC_H */
