#include "slac/slac_ev.h"

#include <string.h>

#include "hal_clock.h"

void slac_ev_init(struct slac_ev *e, const struct slac_config *cfg, const uint8_t mac[6])
{
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    memcpy(e->mac, mac, 6);
    e->reason = "none";
    e->note = "none";
    e->chosen = -1;
}

static void s_hdr(struct slac_ev *e, struct homeplug_msg *m, const uint8_t dst[6], uint16_t type)
{
    memset(m, 0, sizeof *m);
    memcpy(m->dst, dst, 6);
    memcpy(m->src, e->mac, 6);
    m->mmv = 1;
    m->mmtype = type;
}

static void s_send_parm(struct slac_ev *e, uint32_t now)
{
    struct homeplug_msg m;
    s_hdr(e, &m, homeplug_mac_broadcast, HOMEPLUG_CM_SLAC_PARM_REQ);
    memcpy(m.u.parm_req.run_id, e->run_id, HOMEPLUG_RUN_ID_LEN);
    (void)slac_outbox_put(&e->out, &m);
    e->deadline_ms = now + e->cfg.tt_match_response_ms;
}

static void s_begin_run(struct slac_ev *e, uint32_t now)
{
    memset(e->cand, 0, sizeof e->cand);
    e->ncand = 0;
    e->chosen = -1;
    e->tries = 0;
    e->starts_sent = 0;
    e->sounds_sent = 0;
    e->sending = false;
    e->state = SLAC_EV_PARM;
    s_send_parm(e, now);
}

void slac_ev_start(struct slac_ev *e, const uint8_t run_id[HOMEPLUG_RUN_ID_LEN], uint32_t now_ms)
{
    memcpy(e->run_id, run_id, HOMEPLUG_RUN_ID_LEN);
    e->runs = 0;
    e->t_first_parm_ms = now_ms;
    s_begin_run(e, now_ms);
}

void slac_ev_stop(struct slac_ev *e)
{
    e->state = SLAC_EV_IDLE;
    e->sending = false;
}

static void s_run_failed(struct slac_ev *e, const char *why, uint32_t now)
{
    e->reason = why;
    e->sending = false;
    e->runs++;
    if (e->runs >= e->cfg.c_conn_max_match) {
        e->state = SLAC_EV_FAILED;
        return;
    }
    e->state = SLAC_EV_PAUSE;
    e->deadline_ms = now + e->cfg.tt_matching_rate_ms;
}

static int s_bad(struct slac_ev *e, const char *why)
{
    e->note = why;
    e->rx_bad++;
    return HAL_EPROTO;
}
static int s_ignore(struct slac_ev *e)
{
    e->rx_ignored++;
    return HAL_ENOTSUP;
}

static struct slac_ev_candidate *s_cand(struct slac_ev *e, const uint8_t mac[6], bool add)
{
    for (unsigned i = 0; i < e->ncand; i++) {
        if (memcmp(e->cand[i].mac, mac, 6) == 0) {
            return &e->cand[i];
        }
    }
    if (!add || e->ncand >= CFG_SLAC_EV_CANDIDATES) {
        return NULL;
    }
    struct slac_ev_candidate *c = &e->cand[e->ncand++];
    memcpy(c->mac, mac, 6);
    return c;
}

static int s_on_parm_cnf(struct slac_ev *e, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_slac_parm_cnf *c = &m->u.parm_cnf;
    if (memcmp(c->run_id, e->run_id, HOMEPLUG_RUN_ID_LEN) != 0) {
        return s_ignore(e); /* another EV's run (cross-talk) */
    }
    if (c->num_sounds == 0 || c->time_out == 0 || c->app_type != 0 || c->sec_type != 0) {
        return s_bad(e, "CM_SLAC_PARM.CNF with invalid fields");
    }
    if (e->state != SLAC_EV_PARM && e->state != SLAC_EV_SOUNDING) {
        return s_ignore(e);
    }
    (void)s_cand(e, m->src, true);
    if (e->state == SLAC_EV_PARM) {
        e->num_sounds = c->num_sounds;
        e->time_out = c->time_out;
        e->state = SLAC_EV_SOUNDING;
        e->sending = true;
        e->next_send_ms = now + e->cfg.tp_batch_ms;
        e->results_ms = e->next_send_ms + e->cfg.tt_ev_atten_results_ms;
    }
    return HAL_OK;
}

static int s_on_atten_ind(struct slac_ev *e, const struct homeplug_msg *m)
{
    const struct homeplug_atten_char_ind *a = &m->u.atten_ind;
    if (memcmp(a->run_id, e->run_id, HOMEPLUG_RUN_ID_LEN) != 0 ||
        memcmp(a->source_address, e->mac, 6) != 0) {
        return s_ignore(e);
    }
    if (e->state != SLAC_EV_SOUNDING) {
        return s_ignore(e);
    }
    struct slac_ev_candidate *c = s_cand(e, m->src, true);
    if (c == NULL) {
        return s_ignore(e);
    }
    uint32_t sum = 0;
    for (unsigned g = 0; g < a->num_groups; g++) {
        sum += a->aag[g];
    }
    c->mean_db_x10 = (uint16_t)(sum * 10u / a->num_groups);
    c->reported = true;
    struct homeplug_msg r;
    s_hdr(e, &r, m->src, HOMEPLUG_CM_ATTEN_CHAR_RSP);
    memcpy(r.u.atten_rsp.source_address, e->mac, 6);
    memcpy(r.u.atten_rsp.run_id, e->run_id, HOMEPLUG_RUN_ID_LEN);
    (void)slac_outbox_put(&e->out, &r);
    return HAL_OK;
}

static void s_send_match(struct slac_ev *e, uint32_t now)
{
    struct homeplug_msg m;
    s_hdr(e, &m, e->evse_mac, HOMEPLUG_CM_SLAC_MATCH_REQ);
    memcpy(m.u.match.pev_mac, e->mac, 6);
    memcpy(m.u.match.evse_mac, e->evse_mac, 6);
    memcpy(m.u.match.run_id, e->run_id, HOMEPLUG_RUN_ID_LEN);
    (void)slac_outbox_put(&e->out, &m);
    e->deadline_ms = now + e->cfg.tt_match_response_ms;
}

static void s_send_set_key(struct slac_ev *e, uint32_t now)
{
    struct homeplug_msg m;
    s_hdr(e, &m, homeplug_mac_localcast, HOMEPLUG_CM_SET_KEY_REQ);
    m.u.set_key_req.key_type = 0x01;
    m.u.set_key_req.my_nonce = e->key_nonce;
    m.u.set_key_req.pid = 0x04;
    m.u.set_key_req.new_eks = 0x01;
    memcpy(m.u.set_key_req.nid, e->nid, HOMEPLUG_NID_LEN);
    memcpy(m.u.set_key_req.new_key, e->nmk, HOMEPLUG_NMK_LEN);
    (void)slac_outbox_put(&e->out, &m);
    e->deadline_ms = now + e->cfg.set_key_timeout_ms;
}

static int s_on_match_cnf(struct slac_ev *e, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_slac_match *c = &m->u.match;
    if (e->state != SLAC_EV_MATCH || memcmp(m->src, e->evse_mac, 6) != 0 ||
        memcmp(c->run_id, e->run_id, HOMEPLUG_RUN_ID_LEN) != 0) {
        return s_ignore(e);
    }
    if (memcmp(c->pev_mac, e->mac, 6) != 0 || memcmp(c->evse_mac, e->evse_mac, 6) != 0 ||
        c->app_type != 0 || c->sec_type != 0) {
        return s_bad(e, "CM_SLAC_MATCH.CNF with invalid fields");
    }
    memcpy(e->nid, c->nid, HOMEPLUG_NID_LEN);
    memcpy(e->nmk, c->nmk, HOMEPLUG_NMK_LEN);
    e->t_match_cnf_ms = now;
    if (e->cfg.use_modem) {
        e->state = SLAC_EV_KEYING;
        e->tries = 0;
        e->key_nonce = (uint32_t)e->run_id[0] << 24 | (uint32_t)e->run_id[7] | 0x00AA0000u;
        s_send_set_key(e, now);
    } else {
        e->state = SLAC_EV_MATCHED;
    }
    return HAL_OK;
}

int slac_ev_input(struct slac_ev *e, const uint8_t *frame, size_t len, uint32_t now_ms)
{
    struct homeplug_msg m;
    enum homeplug_reason why;
    int rc = homeplug_decode(frame, len, &m, &why);
    if (rc == HAL_ENOTSUP) {
        return s_ignore(e);
    }
    if (rc != HAL_OK) {
        return s_bad(e, homeplug_reason_str(why));
    }
    if (memcmp(m.src, e->mac, 6) == 0) {
        return s_ignore(e);
    }
    switch (m.mmtype) {
    case HOMEPLUG_CM_SLAC_PARM_CNF:
        rc = s_on_parm_cnf(e, &m, now_ms);
        break;
    case HOMEPLUG_CM_ATTEN_CHAR_IND:
        rc = s_on_atten_ind(e, &m);
        break;
    case HOMEPLUG_CM_SLAC_MATCH_CNF:
        rc = s_on_match_cnf(e, &m, now_ms);
        break;
    case HOMEPLUG_CM_SET_KEY_CNF:
        if (e->state != SLAC_EV_KEYING || m.u.set_key_cnf.your_nonce != e->key_nonce) {
            return s_ignore(e);
        }
        e->state = SLAC_EV_MATCHED; /* any Result: QCA answers 0x01 on success (P10) */
        rc = HAL_OK;
        break;
    default:
        return s_ignore(e);
    }
    if (rc == HAL_OK) {
        e->rx_ok++;
    }
    return rc;
}

static void s_send_batch(struct slac_ev *e, uint32_t now)
{
    struct homeplug_msg m;
    if (e->starts_sent < e->cfg.c_start_atten) {
        s_hdr(e, &m, homeplug_mac_broadcast, HOMEPLUG_CM_START_ATTEN_CHAR_IND);
        m.u.start_atten.num_sounds = e->num_sounds;
        m.u.start_atten.time_out = e->time_out;
        m.u.start_atten.resp_type = 0x01;
        memcpy(m.u.start_atten.forwarding_sta, e->mac, 6);
        memcpy(m.u.start_atten.run_id, e->run_id, HOMEPLUG_RUN_ID_LEN);
        if (slac_outbox_put(&e->out, &m) == HAL_OK) {
            e->starts_sent++;
        }
    } else if (e->sounds_sent < e->num_sounds) {
        s_hdr(e, &m, homeplug_mac_broadcast, HOMEPLUG_CM_MNBC_SOUND_IND);
        m.u.sound.cnt = (uint8_t)(e->num_sounds - 1u - e->sounds_sent);
        memcpy(m.u.sound.run_id, e->run_id, HOMEPLUG_RUN_ID_LEN);
        memset(m.u.sound.rnd, 0xFF, sizeof m.u.sound.rnd);
        if (slac_outbox_put(&e->out, &m) == HAL_OK) {
            e->sounds_sent++;
        }
    }
    if (e->starts_sent >= e->cfg.c_start_atten && e->sounds_sent >= e->num_sounds) {
        e->sending = false;
    }
    e->next_send_ms = now + e->cfg.tp_batch_ms;
}

static void s_choose(struct slac_ev *e, uint32_t now)
{
    int best = -1;
    for (unsigned i = 0; i < e->ncand; i++) {
        if (e->cand[i].reported &&
            (best < 0 || e->cand[i].mean_db_x10 < e->cand[best].mean_db_x10)) {
            best = (int)i;
        }
    }
    if (best < 0) {
        s_run_failed(e, "no CM_ATTEN_CHAR.IND within TT_EV_atten_results", now);
        return;
    }
    e->chosen = best;
    memcpy(e->evse_mac, e->cand[best].mac, 6);
    e->state = SLAC_EV_MATCH;
    e->tries = 0;
    s_send_match(e, now);
}

void slac_ev_tick(struct slac_ev *e, uint32_t now)
{
    switch (e->state) {
    case SLAC_EV_PARM:
        if (hal_time_reached(now, e->deadline_ms)) {
            if (e->tries < e->cfg.parm_retries) {
                e->tries++;
                s_send_parm(e, now);
            } else {
                s_run_failed(e, "no CM_SLAC_PARM.CNF", now);
            }
        }
        break;
    case SLAC_EV_SOUNDING:
        if (e->sending && hal_time_reached(now, e->next_send_ms)) {
            s_send_batch(e, now);
        }
        if (hal_time_reached(now, e->results_ms)) {
            s_choose(e, now);
        }
        break;
    case SLAC_EV_MATCH:
        if (hal_time_reached(now, e->deadline_ms)) {
            if (e->tries < e->cfg.c_match_retry) {
                e->tries++;
                s_send_match(e, now);
            } else {
                s_run_failed(e, "no CM_SLAC_MATCH.CNF", now);
            }
        }
        break;
    case SLAC_EV_KEYING:
        if (hal_time_reached(now, e->deadline_ms)) {
            if (e->tries < e->cfg.set_key_retries) {
                e->tries++;
                s_send_set_key(e, now);
            } else {
                e->reason = "no CM_SET_KEY.CNF from the modem";
                e->state = SLAC_EV_FAILED;
            }
        }
        break;
    case SLAC_EV_PAUSE:
        if (hal_time_reached(now, e->deadline_ms)) {
            e->run_id[HOMEPLUG_RUN_ID_LEN - 1u]++; /* a new RunID per run */
            s_begin_run(e, now);
        }
        break;
    default:
        break;
    }
}

int slac_ev_pop(struct slac_ev *e, uint8_t *buf, size_t cap, size_t *len)
{
    return slac_outbox_pop(&e->out, buf, cap, len);
}

bool slac_ev_next_due(const struct slac_ev *e, uint32_t *due_ms)
{
    switch (e->state) {
    case SLAC_EV_PARM:
    case SLAC_EV_MATCH:
    case SLAC_EV_KEYING:
    case SLAC_EV_PAUSE:
        *due_ms = e->deadline_ms;
        return true;
    case SLAC_EV_SOUNDING:
        *due_ms = e->sending && hal_time_diff(e->next_send_ms, e->results_ms) < 0 ? e->next_send_ms
                                                                                  : e->results_ms;
        return true;
    default:
        return false;
    }
}

const char *slac_ev_state_name(enum slac_ev_state st)
{
    static const char *const names[] = {"idle", "parm", "sounding", "match",
                                        "keying", "pause", "matched", "failed"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}
