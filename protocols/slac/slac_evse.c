#include "slac/slac_evse.h"

#include <string.h>

#include "hal_clock.h"

static const uint8_t s_zero_id[HOMEPLUG_STATION_ID_LEN];

void slac_evse_init(struct slac_evse *s, const struct slac_config *cfg, const uint8_t mac[6])
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    memcpy(s->mac, mac, 6);
    s->state = SLAC_EVSE_IDLE;
    s->reason = "none";
    s->note = "none";
    s->matched = -1;
}

static void s_hdr(struct slac_evse *s, struct homeplug_msg *m, const uint8_t dst[6], uint16_t type)
{
    memset(m, 0, sizeof *m);
    memcpy(m->dst, dst, 6);
    memcpy(m->src, s->mac, 6);
    m->mmv = 1;
    m->mmtype = type;
}

static void s_queue_set_key(struct slac_evse *s, uint32_t now)
{
    struct homeplug_msg m;
    s_hdr(s, &m, homeplug_mac_localcast, HOMEPLUG_CM_SET_KEY_REQ);
    m.u.set_key_req.key_type = 0x01;
    m.u.set_key_req.my_nonce = s->key_nonce;
    m.u.set_key_req.pid = 0x04;
    m.u.set_key_req.new_eks = 0x01;
    memcpy(m.u.set_key_req.nid, s->nid, HOMEPLUG_NID_LEN);
    memcpy(m.u.set_key_req.new_key, s->nmk, HOMEPLUG_NMK_LEN);
    (void)slac_outbox_put(&s->out, &m);
    s->key_deadline_ms = now + s->cfg.set_key_timeout_ms;
}

int slac_evse_set_key(struct slac_evse *s, const uint8_t nmk[HOMEPLUG_NMK_LEN], uint32_t nonce,
                      uint32_t now_ms)
{
    if (s->state == SLAC_EVSE_MATCHED) {
        return HAL_ESTATE;
    }
    memcpy(s->nmk, nmk, HOMEPLUG_NMK_LEN);
    homeplug_nid_from_nmk(nmk, s->nid);
    s->key_valid = true;
    s->key_nonce = nonce;
    s->key_tries = 0;
    s->key_confirmed = !s->cfg.use_modem;
    if (s->cfg.use_modem) {
        s_queue_set_key(s, now_ms);
    }
    return HAL_OK;
}

void slac_evse_start(struct slac_evse *s, uint32_t now_ms)
{
    memset(s->sess, 0, sizeof s->sess);
    s->state = SLAC_EVSE_WAIT_PARM;
    s->matched = -1;
    s->runs_failed = 0;
    s->have_first_parm = false;
    s->init_armed = s->cfg.tt_evse_slac_init_ms != 0;
    s->init_deadline_ms = now_ms + s->cfg.tt_evse_slac_init_ms;
}

void slac_evse_stop(struct slac_evse *s)
{
    memset(s->sess, 0, sizeof s->sess);
    s->state = SLAC_EVSE_IDLE;
    s->matched = -1;
    s->init_armed = false;
}

void slac_evse_link_up(struct slac_evse *s)
{
    if (s->state == SLAC_EVSE_MATCHED) {
        s->state = SLAC_EVSE_LINK;
    }
}

static bool s_any_session(const struct slac_evse *s)
{
    for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS; i++) {
        if (s->sess[i].state != SLAC_SESS_FREE) {
            return true;
        }
    }
    return false;
}

/* A failed run frees its slot; the EVSE keeps accepting new PARM.REQs (cars restart SLAC
 * on their own, P2) until C_conn_max_match runs have failed. */
static void s_session_failed(struct slac_evse *s, struct slac_evse_session *x, const char *why,
                             uint32_t now)
{
    x->state = SLAC_SESS_FREE;
    s->reason = why;
    s->runs_failed++;
    if (s->runs_failed >= s->cfg.c_conn_max_match) {
        s->state = SLAC_EVSE_FAILED;
        s->init_armed = false;
        return;
    }
    if (!s_any_session(s)) {
        s->state = SLAC_EVSE_WAIT_PARM;
        s->init_armed = s->cfg.tt_evse_slac_init_ms != 0;
        s->init_deadline_ms = now + s->cfg.tt_evse_slac_init_ms;
    }
}

static struct slac_evse_session *s_find(struct slac_evse *s, const uint8_t mac[6],
                                        const uint8_t *run_id)
{
    for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS; i++) {
        struct slac_evse_session *x = &s->sess[i];
        if (x->state != SLAC_SESS_FREE && memcmp(x->ev_mac, mac, 6) == 0 &&
            (run_id == NULL || memcmp(x->run_id, run_id, HOMEPLUG_RUN_ID_LEN) == 0)) {
            return x;
        }
    }
    return NULL;
}

static int s_ignore(struct slac_evse *s, const char *why)
{
    s->note = why;
    s->rx_ignored++;
    return HAL_ENOTSUP;
}
static int s_bad(struct slac_evse *s, const char *why)
{
    s->note = why;
    s->rx_bad++;
    return HAL_EPROTO;
}

static void s_send_parm_cnf(struct slac_evse *s, const struct slac_evse_session *x)
{
    struct homeplug_msg m;
    s_hdr(s, &m, x->ev_mac, HOMEPLUG_CM_SLAC_PARM_CNF);
    memcpy(m.u.parm_cnf.msound_target, homeplug_mac_broadcast, 6);
    m.u.parm_cnf.num_sounds = s->cfg.num_sounds;
    m.u.parm_cnf.time_out = s->cfg.sound_time_out;
    m.u.parm_cnf.resp_type = 0x01;
    memcpy(m.u.parm_cnf.forwarding_sta, x->ev_mac, 6);
    memcpy(m.u.parm_cnf.run_id, x->run_id, HOMEPLUG_RUN_ID_LEN); /* P1: echo the EV's RunID */
    (void)slac_outbox_put(&s->out, &m);
}

static void s_send_atten_ind(struct slac_evse *s, const struct slac_evse_session *x)
{
    struct homeplug_msg m;
    s_hdr(s, &m, x->ev_mac, HOMEPLUG_CM_ATTEN_CHAR_IND);
    memcpy(m.u.atten_ind.source_address, x->ev_mac, 6);
    memcpy(m.u.atten_ind.run_id, x->run_id, HOMEPLUG_RUN_ID_LEN);
    m.u.atten_ind.num_sounds = x->reported_sounds;
    m.u.atten_ind.num_groups = HOMEPLUG_GROUPS;
    memcpy(m.u.atten_ind.aag, x->aag, HOMEPLUG_GROUPS);
    (void)slac_outbox_put(&s->out, &m);
}

static void s_finish_sounding(struct slac_evse *s, struct slac_evse_session *x, uint32_t now)
{
    if (x->profiles > 0) {
        for (unsigned g = 0; g < HOMEPLUG_GROUPS; g++) {
            x->aag[g] = (uint8_t)(x->aag_sum[g] / x->profiles);
        }
        x->reported_sounds = x->profiles;
    } else if (x->sounds > 0 && s->cfg.fallback_atten_db != 0) {
        /* The modem measured nothing (QCA7420, or no modem at all): report a fixed,
         * non-zero profile so the EV can still choose (an all-zero one is ignored, P8). */
        memset(x->aag, s->cfg.fallback_atten_db, HOMEPLUG_GROUPS);
        x->reported_sounds = x->sounds;
    } else {
        s_session_failed(s, x,
                         x->sounds == 0 ? "no CM_MNBC_SOUND.IND in the sound window"
                                        : "no CM_ATTEN_PROFILE.IND from the modem",
                         now);
        return;
    }
    s_send_atten_ind(s, x);
    x->state = SLAC_SESS_ATTEN_SENT;
    x->atten_tries = 1;
    x->deadline_ms = now + s->cfg.tt_match_response_ms;
}

static int s_on_parm_req(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_slac_parm_req *r = &m->u.parm_req;
    if (r->app_type != 0 || r->sec_type != 0) {
        return s_bad(s, "CM_SLAC_PARM.REQ with application or security type not 0");
    }
    if (s->state == SLAC_EVSE_IDLE || s->state == SLAC_EVSE_FAILED) {
        return s_ignore(s, "CM_SLAC_PARM.REQ while not matching");
    }
    if (s->state == SLAC_EVSE_MATCHED || s->state == SLAC_EVSE_LINK) {
        const struct slac_evse_session *mx = &s->sess[s->matched];
        if (memcmp(mx->ev_mac, m->src, 6) != 0) {
            return s_ignore(s, "CM_SLAC_PARM.REQ from another EV while matched");
        }
        /* The matched EV starts over (it lost the link): a new matching process. */
        slac_evse_start(s, now);
    }
    if (!s->have_first_parm) {
        s->have_first_parm = true;
        s->t_first_parm_ms = now;
    }
    struct slac_evse_session *x = s_find(s, m->src, NULL);
    if (x != NULL && x->state >= SLAC_SESS_SOUNDING &&
        memcmp(x->run_id, r->run_id, HOMEPLUG_RUN_ID_LEN) == 0) {
        /* duplicate of a session already sounding (Ioniq sends two): answer, keep it */
        s_send_parm_cnf(s, x);
        return HAL_OK;
    }
    if (x == NULL) {
        for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS && x == NULL; i++) {
            if (s->sess[i].state == SLAC_SESS_FREE) {
                x = &s->sess[i];
            }
        }
    }
    if (x == NULL) {
        return s_ignore(s, "CM_SLAC_PARM.REQ: session table full");
    }
    memset(x, 0, sizeof *x);
    memcpy(x->ev_mac, m->src, 6);
    memcpy(x->run_id, r->run_id, HOMEPLUG_RUN_ID_LEN);
    x->state = SLAC_SESS_PARM_SENT;
    x->started_ms = now;
    x->deadline_ms = now + s->cfg.tt_match_sequence_ms;
    s->state = SLAC_EVSE_MATCHING;
    s->init_armed = false;
    s_send_parm_cnf(s, x);
    return HAL_OK;
}

static int s_on_start_atten(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_start_atten_char_ind *a = &m->u.start_atten;
    struct slac_evse_session *x = s_find(s, m->src, a->run_id);
    if (x == NULL) {
        return s_ignore(s, "CM_START_ATTEN_CHAR.IND of no session");
    }
    if (a->app_type != 0 || a->sec_type != 0 || a->num_sounds == 0 || a->time_out == 0 ||
        a->resp_type != 0x01) {
        return s_bad(s, "CM_START_ATTEN_CHAR.IND with invalid fields");
    }
    if (x->state != SLAC_SESS_PARM_SENT) {
        return HAL_OK; /* the 2nd and 3rd copy */
    }
    x->state = SLAC_SESS_SOUNDING;
    x->expect_sounds = a->num_sounds;
    /* The EV's own Time_Out: some send 0x0A instead of 0x06 (P4); honour what it says. */
    x->deadline_ms = now + (uint32_t)a->time_out * 100u;
    return HAL_OK;
}

static int s_on_sound(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_mnbc_sound_ind *d = &m->u.sound;
    struct slac_evse_session *x = s_find(s, m->src, d->run_id);
    if (x == NULL || x->state != SLAC_SESS_SOUNDING) {
        return s_ignore(s, "CM_MNBC_SOUND.IND outside a sound window");
    }
    if (x->sounds < 255u) {
        x->sounds++;
    }
    if ((d->cnt == 0 || x->sounds >= x->expect_sounds) && x->profiles < x->sounds) {
        /* the last sound: its profile follows within milliseconds, if at all */
        uint32_t grace = now + s->cfg.profile_grace_ms;
        if (hal_time_diff(grace, x->deadline_ms) < 0) {
            x->deadline_ms = grace;
        }
    }
    return HAL_OK;
}

static int s_on_profile(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_atten_profile_ind *p = &m->u.profile;
    struct slac_evse_session *x = s_find(s, p->pev_mac, NULL); /* no RunID in it (P19) */
    if (x == NULL || x->state != SLAC_SESS_SOUNDING) {
        return s_ignore(s, "CM_ATTEN_PROFILE.IND outside a sound window");
    }
    if (p->num_groups != HOMEPLUG_GROUPS) {
        return s_ignore(s, "CM_ATTEN_PROFILE.IND without 58 groups");
    }
    for (unsigned g = 0; g < HOMEPLUG_GROUPS; g++) {
        x->aag_sum[g] = (uint16_t)(x->aag_sum[g] + p->aag[g]);
    }
    x->profiles++;
    if (x->profiles >= x->expect_sounds) {
        s_finish_sounding(s, x, now);
    }
    return HAL_OK;
}

static int s_on_atten_rsp(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_atten_char_rsp *r = &m->u.atten_rsp;
    struct slac_evse_session *x = s_find(s, m->src, r->run_id);
    if (x == NULL) {
        return s_ignore(s, "CM_ATTEN_CHAR.RSP of no session");
    }
    if (r->app_type != 0 || r->sec_type != 0 || memcmp(r->source_address, x->ev_mac, 6) != 0 ||
        !homeplug_all_zero(r->source_id, HOMEPLUG_STATION_ID_LEN) ||
        !homeplug_all_zero(r->resp_id, HOMEPLUG_STATION_ID_LEN)) {
        return s_bad(s, "CM_ATTEN_CHAR.RSP with invalid fields");
    }
    if (x->state != SLAC_SESS_ATTEN_SENT) {
        return HAL_OK; /* answer to a repeated IND */
    }
    if (r->result != 0) {
        s_session_failed(s, x, "CM_ATTEN_CHAR.RSP reports failure", now);
        return HAL_OK;
    }
    x->state = SLAC_SESS_WAIT_MATCH;
    x->deadline_ms = now + s->cfg.tt_evse_match_session_ms;
    return HAL_OK;
}

static int s_on_validate(struct slac_evse *s, const struct homeplug_msg *m)
{
    struct slac_evse_session *x = s_find(s, m->src, NULL);
    if (x == NULL) {
        return s_ignore(s, "CM_VALIDATE.REQ of no session");
    }
    /* No toggle counting on this EVSE: answer "failure" so the EV goes on with the
     * attenuation result alone, as [V2G3-A09-51] allows. */
    struct homeplug_msg c;
    s_hdr(s, &c, m->src, HOMEPLUG_CM_VALIDATE_CNF);
    c.u.validate.result = 0x03;
    (void)slac_outbox_put(&s->out, &c);
    return HAL_OK;
}

static int s_on_match_req(struct slac_evse *s, const struct homeplug_msg *m, uint32_t now)
{
    const struct homeplug_slac_match *r = &m->u.match;
    struct slac_evse_session *x = s_find(s, m->src, r->run_id);
    if (x == NULL) {
        return s_ignore(s, "CM_SLAC_MATCH.REQ of no session");
    }
    if (r->app_type != 0 || r->sec_type != 0 || memcmp(r->pev_mac, x->ev_mac, 6) != 0 ||
        memcmp(r->evse_mac, s->mac, 6) != 0 || memcmp(r->pev_id, s_zero_id, sizeof s_zero_id) != 0 ||
        memcmp(r->evse_id, s_zero_id, sizeof s_zero_id) != 0) {
        return s_bad(s, "CM_SLAC_MATCH.REQ with invalid fields");
    }
    if (x->state < SLAC_SESS_ATTEN_SENT) {
        return s_ignore(s, "CM_SLAC_MATCH.REQ before attenuation was reported");
    }
    if (!s->key_valid || !s->key_confirmed) {
        return s_ignore(s, "CM_SLAC_MATCH.REQ before the modem confirmed the key");
    }
    struct homeplug_msg c;
    s_hdr(s, &c, x->ev_mac, HOMEPLUG_CM_SLAC_MATCH_CNF);
    memcpy(c.u.match.pev_mac, x->ev_mac, 6);
    memcpy(c.u.match.evse_mac, s->mac, 6);
    memcpy(c.u.match.run_id, x->run_id, HOMEPLUG_RUN_ID_LEN);
    memcpy(c.u.match.nid, s->nid, HOMEPLUG_NID_LEN);
    memcpy(c.u.match.nmk, s->nmk, HOMEPLUG_NMK_LEN);
    (void)slac_outbox_put(&s->out, &c);
    if (x->state != SLAC_SESS_MATCHED) {
        x->state = SLAC_SESS_MATCHED;
        s->t_match_cnf_ms = now;
        s->matched = (int)(x - s->sess);
        for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS; i++) {
            if (i != s->matched) {
                s->sess[i].state = SLAC_SESS_FREE;
            }
        }
        s->state = SLAC_EVSE_MATCHED;
        s->join_deadline_ms = now + s->cfg.tt_match_join_ms;
    }
    return HAL_OK;
}

static int s_on_set_key_cnf(struct slac_evse *s, const struct homeplug_msg *m)
{
    if (memcmp(m->dst, s->mac, 6) != 0 || !s->key_valid || s->key_confirmed) {
        return s_ignore(s, "unexpected CM_SET_KEY.CNF");
    }
    if (m->u.set_key_cnf.your_nonce != s->key_nonce) {
        return s_ignore(s, "CM_SET_KEY.CNF for another request");
    }
    /* QCA modems answer Result 0x01 when the key was applied (P10): any CNF is done. */
    s->key_confirmed = true;
    return HAL_OK;
}

int slac_evse_input(struct slac_evse *s, const uint8_t *frame, size_t len, uint32_t now_ms)
{
    struct homeplug_msg m;
    enum homeplug_reason why;
    int rc = homeplug_decode(frame, len, &m, &why);
    if (rc == HAL_ENOTSUP) {
        s->rx_ignored++;
        return rc;
    }
    if (rc != HAL_OK) {
        return s_bad(s, homeplug_reason_str(why));
    }
    if (memcmp(m.src, s->mac, 6) == 0) {
        return s_ignore(s, "own frame");
    }
    switch (m.mmtype) {
    case HOMEPLUG_CM_SLAC_PARM_REQ:
        rc = s_on_parm_req(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_START_ATTEN_CHAR_IND:
        rc = s_on_start_atten(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_MNBC_SOUND_IND:
        rc = s_on_sound(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_ATTEN_PROFILE_IND:
        rc = s_on_profile(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_ATTEN_CHAR_RSP:
        rc = s_on_atten_rsp(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_VALIDATE_REQ:
        rc = s_on_validate(s, &m);
        break;
    case HOMEPLUG_CM_SLAC_MATCH_REQ:
        rc = s_on_match_req(s, &m, now_ms);
        break;
    case HOMEPLUG_CM_SET_KEY_CNF:
        rc = s_on_set_key_cnf(s, &m);
        break;
    default:
        return s_ignore(s, "message not for the EVSE side");
    }
    if (rc == HAL_OK) {
        s->rx_ok++;
    }
    return rc;
}

void slac_evse_tick(struct slac_evse *s, uint32_t now)
{
    if (s->cfg.use_modem && s->key_valid && !s->key_confirmed &&
        hal_time_reached(now, s->key_deadline_ms)) {
        if (s->key_tries < s->cfg.set_key_retries) {
            s->key_tries++;
            s_queue_set_key(s, now);
        } else {
            s->key_valid = false;
            s->reason = "no CM_SET_KEY.CNF from the modem";
            if (s->state != SLAC_EVSE_IDLE) {
                s->state = SLAC_EVSE_FAILED;
            }
        }
    }
    if (s->state == SLAC_EVSE_WAIT_PARM && slac_due(s->init_armed, s->init_deadline_ms, now)) {
        s->init_armed = false;
        s->reason = "no CM_SLAC_PARM.REQ within TT_EVSE_SLAC_init";
        s->state = SLAC_EVSE_FAILED;
        return;
    }
    if (s->state == SLAC_EVSE_MATCHED && hal_time_reached(now, s->join_deadline_ms)) {
        s->reason = "the EV did not use the link within TT_match_join";
        s->state = SLAC_EVSE_FAILED;
        return;
    }
    if (s->state != SLAC_EVSE_MATCHING) {
        return;
    }
    for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS && s->state == SLAC_EVSE_MATCHING; i++) {
        struct slac_evse_session *x = &s->sess[i];
        if (x->state == SLAC_SESS_FREE || x->state == SLAC_SESS_MATCHED ||
            !hal_time_reached(now, x->deadline_ms)) {
            continue;
        }
        switch (x->state) {
        case SLAC_SESS_PARM_SENT:
            s_session_failed(s, x, "no CM_START_ATTEN_CHAR.IND after CM_SLAC_PARM.CNF", now);
            break;
        case SLAC_SESS_SOUNDING:
            s_finish_sounding(s, x, now);
            break;
        case SLAC_SESS_ATTEN_SENT:
            if (x->atten_tries <= s->cfg.c_match_retry) {
                x->atten_tries++;
                s_send_atten_ind(s, x);
                x->deadline_ms = now + s->cfg.tt_match_response_ms;
            } else {
                s_session_failed(s, x, "no CM_ATTEN_CHAR.RSP after CM_ATTEN_CHAR.IND", now);
            }
            break;
        case SLAC_SESS_WAIT_MATCH:
            s_session_failed(s, x, "no CM_SLAC_MATCH.REQ within TT_EVSE_match_session", now);
            break;
        default:
            break;
        }
    }
}

int slac_evse_pop(struct slac_evse *s, uint8_t *buf, size_t cap, size_t *len)
{
    return slac_outbox_pop(&s->out, buf, cap, len);
}

static void s_min(bool *have, uint32_t *due, uint32_t t)
{
    if (!*have || hal_time_diff(t, *due) < 0) {
        *due = t;
        *have = true;
    }
}

bool slac_evse_next_due(const struct slac_evse *s, uint32_t *due_ms)
{
    bool have = false;
    if (s->cfg.use_modem && s->key_valid && !s->key_confirmed) {
        s_min(&have, due_ms, s->key_deadline_ms);
    }
    if (s->state == SLAC_EVSE_WAIT_PARM && s->init_armed) {
        s_min(&have, due_ms, s->init_deadline_ms);
    }
    if (s->state == SLAC_EVSE_MATCHED) {
        s_min(&have, due_ms, s->join_deadline_ms);
    }
    if (s->state == SLAC_EVSE_MATCHING) {
        for (int i = 0; i < CFG_SLAC_EVSE_SESSIONS; i++) {
            if (s->sess[i].state != SLAC_SESS_FREE && s->sess[i].state != SLAC_SESS_MATCHED) {
                s_min(&have, due_ms, s->sess[i].deadline_ms);
            }
        }
    }
    return have;
}

const char *slac_evse_state_name(enum slac_evse_state st)
{
    static const char *const names[] = {"idle", "wait-parm", "matching", "matched", "link", "failed"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}
