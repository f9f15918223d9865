/* Unit tests of the SLAC machines: EVSE against EV on a simulated segment (with and
 * without a modem that measures), and the fault cases of the EVSE and EV sides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "slac/slac_ev.h"
#include "slac/slac_evse.h"

static const uint8_t s_evse_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t s_ev_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t s_ev2_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
static const uint8_t s_modem_mac[6] = {0x00, 0xB0, 0x52, 0x11, 0x22, 0x33};
static const uint8_t s_run[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t s_nmk[16] = {0x9e, 0xd1, 0xf8, 0xa5, 0xb5, 0x66, 0xe8, 0x3d,
                                  0xc4, 0xf1, 0x70, 0x0e, 0x4a, 0x89, 0xaf, 0xec};

/* One segment: what each machine sends is delivered to the other. A "modem" on the EVSE
 * side answers CM_SET_KEY and turns every sound into a 58-group profile when enabled. */
struct seg {
    struct slac_evse evse;
    struct slac_ev ev;
    uint32_t now;
    bool modem;           /* EVSE has a measuring modem */
    uint8_t drop_sounds;  /* lose this many sounds */
    bool drop_atten_rsp;
    bool drop_start_atten;
    unsigned evse_sent[0x80], ev_sent[0x80];
};

static uint16_t s_type(const uint8_t *f)
{
    return (uint16_t)(f[15] | f[16] << 8);
}

static void s_modem_reply(struct seg *g, const uint8_t *f, size_t n)
{
    struct homeplug_msg m, r;
    if (homeplug_decode(f, n, &m, NULL) != HAL_OK) {
        return;
    }
    uint8_t out[HOMEPLUG_FRAME_MAX];
    size_t len;
    memset(&r, 0, sizeof r);
    memcpy(r.src, s_modem_mac, 6);
    if (m.mmtype == HOMEPLUG_CM_SET_KEY_REQ) {
        memcpy(r.dst, m.src, 6);
        r.mmtype = HOMEPLUG_CM_SET_KEY_CNF;
        r.u.set_key_cnf.result = 1; /* QCA: 1 on success */
        r.u.set_key_cnf.your_nonce = m.u.set_key_req.my_nonce;
        assert_int_equal(homeplug_encode(&r, out, sizeof out, &len), HAL_OK);
        (void)slac_evse_input(&g->evse, out, len, g->now);
    } else if (m.mmtype == HOMEPLUG_CM_MNBC_SOUND_IND && g->modem) {
        memcpy(r.dst, homeplug_mac_broadcast, 6);
        r.mmtype = HOMEPLUG_CM_ATTEN_PROFILE_IND;
        memcpy(r.u.profile.pev_mac, m.src, 6);
        r.u.profile.num_groups = 58;
        for (unsigned i = 0; i < 58; i++) {
            r.u.profile.aag[i] = (uint8_t)(10 + (i % 7) + m.u.sound.cnt);
        }
        assert_int_equal(homeplug_encode(&r, out, sizeof out, &len), HAL_OK);
        (void)slac_evse_input(&g->evse, out, len, g->now);
    }
}

static void s_step(struct seg *g)
{
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    slac_evse_tick(&g->evse, g->now);
    slac_ev_tick(&g->ev, g->now);
    while (slac_ev_pop(&g->ev, f, sizeof f, &n) == HAL_OK) {
        uint16_t t = s_type(f);
        g->ev_sent[t & 0x7F]++;
        if (t == HOMEPLUG_CM_SET_KEY_REQ) {
            continue; /* the EV's own modem: answered below */
        }
        if (t == HOMEPLUG_CM_MNBC_SOUND_IND && g->drop_sounds > 0) {
            g->drop_sounds--;
            continue;
        }
        if ((t == HOMEPLUG_CM_ATTEN_CHAR_RSP && g->drop_atten_rsp) ||
            (t == HOMEPLUG_CM_START_ATTEN_CHAR_IND && g->drop_start_atten)) {
            continue;
        }
        (void)slac_evse_input(&g->evse, f, n, g->now);
        s_modem_reply(g, f, n);
    }
    while (slac_evse_pop(&g->evse, f, sizeof f, &n) == HAL_OK) {
        uint16_t t = s_type(f);
        g->evse_sent[t & 0x7F]++;
        if (t == HOMEPLUG_CM_SET_KEY_REQ) {
            s_modem_reply(g, f, n);
            continue;
        }
        (void)slac_ev_input(&g->ev, f, n, g->now);
    }
}

static void s_seg_init(struct seg *g, bool modem)
{
    struct slac_config c;
    memset(g, 0, sizeof *g);
    slac_config_default(&c);
    c.use_modem = modem;
    g->modem = modem;
    g->now = 1000;
    slac_evse_init(&g->evse, &c, s_evse_mac);
    c.use_modem = false; /* the EV's modem is not simulated */
    slac_ev_init(&g->ev, &c, s_ev_mac);
    assert_int_equal(slac_evse_set_key(&g->evse, s_nmk, 0x1234, g->now), HAL_OK);
    slac_evse_start(&g->evse, g->now);
}

static void s_run_until(struct seg *g, uint32_t ms, bool (*done)(struct seg *))
{
    for (uint32_t t = 0; t < ms && !(done != NULL && done(g)); t++) {
        s_step(g);
        g->now++;
    }
}

static bool s_both_matched(struct seg *g)
{
    return g->ev.state == SLAC_EV_MATCHED && g->evse.state == SLAC_EVSE_MATCHED;
}

static void test_match_with_measuring_modem(void **st)
{
    (void)st;
    static struct seg g;
    s_seg_init(&g, true);
    slac_ev_start(&g.ev, s_run, g.now);
    s_run_until(&g, 5000, s_both_matched);
    assert_int_equal(g.ev.state, SLAC_EV_MATCHED);
    assert_int_equal(g.evse.state, SLAC_EVSE_MATCHED);
    assert_memory_equal(g.ev.nmk, s_nmk, 16);
    assert_memory_equal(g.ev.nid, g.evse.nid, 7);
    assert_memory_equal(g.ev.evse_mac, s_evse_mac, 6);
    /* averaged profile: 10 sounds, cnt 9..0 -> mean adds 4 (integer) */
    const struct slac_evse_session *x = &g.evse.sess[g.evse.matched];
    assert_int_equal(x->reported_sounds, 10);
    assert_int_equal(x->aag[0], 10 + 0 + 4);
    assert_int_equal(g.evse_sent[HOMEPLUG_CM_SET_KEY_REQ & 0x7F], 1);
    assert_int_equal(g.ev_sent[HOMEPLUG_CM_START_ATTEN_CHAR_IND & 0x7F], 3);
    assert_int_equal(g.ev_sent[HOMEPLUG_CM_MNBC_SOUND_IND & 0x7F], 10);
    /* SLAC with the standard's defaults takes about TT_EV_atten_results + a few batches */
    uint32_t took = g.evse.t_match_cnf_ms - g.evse.t_first_parm_ms;
    assert_true(took >= 1200 && took < 1400);
    slac_evse_link_up(&g.evse);
    assert_int_equal(g.evse.state, SLAC_EVSE_LINK);
}

static void test_match_without_profiles_falls_back(void **st)
{
    (void)st;
    static struct seg g;
    s_seg_init(&g, false);
    slac_ev_start(&g.ev, s_run, g.now);
    s_run_until(&g, 5000, s_both_matched);
    assert_true(s_both_matched(&g));
    const struct slac_evse_session *x = &g.evse.sess[g.evse.matched];
    assert_int_equal(x->reported_sounds, 10);
    assert_int_equal(x->aag[57], g.evse.cfg.fallback_atten_db);
    assert_int_equal(g.evse_sent[HOMEPLUG_CM_SET_KEY_REQ & 0x7F], 0);
}

static void test_lost_sounds_reported_with_count(void **st)
{
    (void)st;
    static struct seg g;
    s_seg_init(&g, true);
    g.drop_sounds = 7;
    slac_ev_start(&g.ev, s_run, g.now);
    s_run_until(&g, 5000, s_both_matched);
    assert_true(s_both_matched(&g));
    assert_int_equal(g.evse.sess[g.evse.matched].reported_sounds, 3);
}

static void test_no_atten_rsp_repeats_then_fails(void **st)
{
    (void)st;
    static struct seg g;
    s_seg_init(&g, true);
    g.drop_atten_rsp = true;
    g.evse.cfg.c_conn_max_match = 1;
    slac_ev_start(&g.ev, s_run, g.now);
    s_run_until(&g, 1500, NULL);
    /* first IND, then 2 repetitions TT_match_response apart, then failure */
    assert_int_equal(g.evse_sent[HOMEPLUG_CM_ATTEN_CHAR_IND & 0x7F], 3);
    assert_int_equal(g.evse.state, SLAC_EVSE_FAILED);
    assert_string_equal(g.evse.reason, "no CM_ATTEN_CHAR.RSP after CM_ATTEN_CHAR.IND");
}

static void test_no_answer_to_parm_cnf(void **st)
{
    (void)st;
    static struct seg g;
    s_seg_init(&g, false);
    g.drop_start_atten = true;
    g.ev.cfg.c_conn_max_match = 1;
    g.ev.cfg.tt_ev_atten_results_ms = 100000; /* EV keeps quiet after the CNF */
    slac_ev_start(&g.ev, s_run, g.now);
    s_run_until(&g, 390, NULL);
    assert_int_equal(g.evse.state, SLAC_EVSE_MATCHING);
    s_run_until(&g, 30, NULL);
    /* TT_match_sequence expired: the run failed, the EVSE waits for a new PARM.REQ */
    assert_int_equal(g.evse.state, SLAC_EVSE_WAIT_PARM);
    assert_string_equal(g.evse.reason, "no CM_START_ATTEN_CHAR.IND after CM_SLAC_PARM.CNF");
    assert_int_equal(g.evse.runs_failed, 1);
    /* a new run of the same EV is accepted and can complete */
    g.drop_start_atten = false;
    g.ev.cfg.tt_ev_atten_results_ms = 1200;
    g.ev.cfg.c_conn_max_match = 3;
    uint8_t run2[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    slac_ev_start(&g.ev, run2, g.now);
    s_run_until(&g, 5000, s_both_matched);
    assert_true(s_both_matched(&g));
}

/* Raw frames from a test-controlled EV, to drive the EVSE step by step. */
static size_t s_frame(uint16_t type, const uint8_t *src, const uint8_t *dst, const uint8_t run[8],
                      uint8_t *f)
{
    struct homeplug_msg m;
    size_t n = 0;
    memset(&m, 0, sizeof m);
    memcpy(m.src, src, 6);
    memcpy(m.dst, dst, 6);
    m.mmtype = type;
    switch (type) {
    case HOMEPLUG_CM_SLAC_PARM_REQ:
        memcpy(m.u.parm_req.run_id, run, 8);
        break;
    case HOMEPLUG_CM_START_ATTEN_CHAR_IND:
        m.u.start_atten.num_sounds = 10;
        m.u.start_atten.time_out = 0x0A; /* 1000 ms, not the nominal 600 (P4) */
        m.u.start_atten.resp_type = 1;
        memcpy(m.u.start_atten.forwarding_sta, src, 6);
        memcpy(m.u.start_atten.run_id, run, 8);
        break;
    case HOMEPLUG_CM_MNBC_SOUND_IND:
        memcpy(m.u.sound.run_id, run, 8);
        m.u.sound.cnt = 5;
        break;
    case HOMEPLUG_CM_ATTEN_CHAR_RSP:
        memcpy(m.u.atten_rsp.source_address, src, 6);
        memcpy(m.u.atten_rsp.run_id, run, 8);
        break;
    case HOMEPLUG_CM_SLAC_MATCH_REQ:
        memcpy(m.u.match.pev_mac, src, 6);
        memcpy(m.u.match.evse_mac, dst, 6);
        memcpy(m.u.match.run_id, run, 8);
        break;
    default:
        break;
    }
    assert_int_equal(homeplug_encode(&m, f, HOMEPLUG_FRAME_MAX, &n), HAL_OK);
    return n;
}

static unsigned s_drain(struct slac_evse *e, uint16_t want, const uint8_t *dst)
{
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    unsigned k = 0;
    while (slac_evse_pop(e, f, sizeof f, &n) == HAL_OK) {
        struct homeplug_msg m;
        assert_int_equal(homeplug_decode(f, n, &m, NULL), HAL_OK);
        if (m.mmtype == want && (dst == NULL || memcmp(m.dst, dst, 6) == 0)) {
            k++;
        }
    }
    return k;
}

static void test_repeated_parm_req_and_two_evs(void **st)
{
    (void)st;
    static struct slac_evse e;
    struct slac_config c;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    const uint8_t run2[8] = {7, 7, 7, 7, 7, 7, 7, 7};
    size_t n;
    uint32_t t = 0;
    slac_config_default(&c);
    c.use_modem = false;
    slac_evse_init(&e, &c, s_evse_mac);
    /* before matching starts: ignored */
    n = s_frame(HOMEPLUG_CM_SLAC_PARM_REQ, s_ev_mac, homeplug_mac_broadcast, s_run, f);
    assert_int_equal(slac_evse_input(&e, f, n, t), HAL_ENOTSUP);
    assert_int_equal(slac_evse_set_key(&e, s_nmk, 1, t), HAL_OK);
    slac_evse_start(&e, t);
    /* an Ioniq-like pair of PARM.REQs 8 ms apart: both answered with the EV's RunID */
    assert_int_equal(slac_evse_input(&e, f, n, t), HAL_OK);
    assert_int_equal(slac_evse_input(&e, f, n, t + 8), HAL_OK);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SLAC_PARM_CNF, s_ev_mac), 2);
    /* a second EV on the same segment gets its own session */
    n = s_frame(HOMEPLUG_CM_SLAC_PARM_REQ, s_ev2_mac, homeplug_mac_broadcast, run2, f);
    assert_int_equal(slac_evse_input(&e, f, n, t + 10), HAL_OK);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SLAC_PARM_CNF, s_ev2_mac), 1);
    /* EV 1 sounds; three START_ATTEN copies */
    t = 100;
    n = s_frame(HOMEPLUG_CM_START_ATTEN_CHAR_IND, s_ev_mac, homeplug_mac_broadcast, s_run, f);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(slac_evse_input(&e, f, n, t + (uint32_t)i * 20), HAL_OK);
    }
    assert_int_equal(e.sess[0].state, SLAC_SESS_SOUNDING);
    /* a repeated PARM.REQ while sounding is answered but does not reset the session */
    n = s_frame(HOMEPLUG_CM_SLAC_PARM_REQ, s_ev_mac, homeplug_mac_broadcast, s_run, f);
    assert_int_equal(slac_evse_input(&e, f, n, t + 70), HAL_OK);
    assert_int_equal(e.sess[0].state, SLAC_SESS_SOUNDING);
    n = s_frame(HOMEPLUG_CM_MNBC_SOUND_IND, s_ev_mac, homeplug_mac_broadcast, s_run, f);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(slac_evse_input(&e, f, n, t + 80 + (uint32_t)i * 20), HAL_OK);
    }
    (void)s_drain(&e, 0, NULL);
    /* the EV's Time_Out 0x0A = 1000 ms is honoured: nothing at 900 ms, IND after 1000 */
    slac_evse_tick(&e, t + 900);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_ATTEN_CHAR_IND, s_ev_mac), 0);
    /* (EV 2 never sent START_ATTEN: its run failed at 410 ms, EV 1 continues) */
    assert_int_equal(e.state, SLAC_EVSE_MATCHING);
    slac_evse_tick(&e, t + 1000);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_ATTEN_CHAR_IND, s_ev_mac), 1);
    assert_int_equal(e.sess[0].reported_sounds, 4);
    n = s_frame(HOMEPLUG_CM_ATTEN_CHAR_RSP, s_ev_mac, s_evse_mac, s_run, f);
    assert_int_equal(slac_evse_input(&e, f, n, t + 1050), HAL_OK);
    /* MATCH.REQ with a wrong EVSE MAC is refused, the right one answered */
    n = s_frame(HOMEPLUG_CM_SLAC_MATCH_REQ, s_ev_mac, s_ev2_mac, s_run, f);
    memcpy(f, s_evse_mac, 6);
    assert_int_equal(slac_evse_input(&e, f, n, t + 1100), HAL_EPROTO);
    n = s_frame(HOMEPLUG_CM_SLAC_MATCH_REQ, s_ev_mac, s_evse_mac, s_run, f);
    assert_int_equal(slac_evse_input(&e, f, n, t + 1100), HAL_OK);
    assert_int_equal(e.state, SLAC_EVSE_MATCHED);
    /* a repeated MATCH.REQ gets the CNF again */
    assert_int_equal(slac_evse_input(&e, f, n, t + 1300), HAL_OK);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SLAC_MATCH_CNF, s_ev_mac), 2);
    /* once matched, the other EV is ignored */
    n = s_frame(HOMEPLUG_CM_SLAC_PARM_REQ, s_ev2_mac, homeplug_mac_broadcast, run2, f);
    assert_int_equal(slac_evse_input(&e, f, n, t + 1400), HAL_ENOTSUP);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SLAC_PARM_CNF, NULL), 0);
    /* no link within TT_match_join: failed with the reason */
    slac_evse_tick(&e, t + 1100 + 12000);
    assert_int_equal(e.state, SLAC_EVSE_FAILED);
    assert_string_equal(e.reason, "the EV did not use the link within TT_match_join");
}

static void test_evse_refuses_bad_frames(void **st)
{
    (void)st;
    static struct slac_evse e;
    struct slac_config c;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    slac_config_default(&c);
    c.use_modem = false;
    slac_evse_init(&e, &c, s_evse_mac);
    assert_int_equal(slac_evse_set_key(&e, s_nmk, 1, 0), HAL_OK);
    slac_evse_start(&e, 0);
    n = s_frame(HOMEPLUG_CM_SLAC_PARM_REQ, s_ev_mac, homeplug_mac_broadcast, s_run, f);
    assert_int_equal(slac_evse_input(&e, f, 20, 0), HAL_EPROTO); /* short */
    f[14] = 0; /* wrong MMV */
    assert_int_equal(slac_evse_input(&e, f, n, 0), HAL_EPROTO);
    f[14] = 1;
    f[14 + 6] = 1; /* security type 1 */
    assert_int_equal(slac_evse_input(&e, f, n, 0), HAL_EPROTO);
    f[14 + 6] = 0;
    f[15] = 0x65; /* a CNF sent to the EVSE: wrong type for this side */
    assert_int_equal(slac_evse_input(&e, f, n, 0), HAL_ENOTSUP);
    assert_int_equal(e.state, SLAC_EVSE_WAIT_PARM);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SLAC_PARM_CNF, NULL), 0);
    /* TT_EVSE_SLAC_init without any PARM.REQ */
    slac_evse_tick(&e, 40000);
    assert_int_equal(e.state, SLAC_EVSE_FAILED);
    assert_string_equal(e.reason, "no CM_SLAC_PARM.REQ within TT_EVSE_SLAC_init");
}

static void test_evse_waits_for_set_key_cnf(void **st)
{
    (void)st;
    static struct slac_evse e;
    struct slac_config c;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    slac_config_default(&c);
    slac_evse_init(&e, &c, s_evse_mac);
    assert_int_equal(slac_evse_set_key(&e, s_nmk, 0x55, 0), HAL_OK);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SET_KEY_REQ, homeplug_mac_localcast), 1);
    slac_evse_tick(&e, 1000);
    slac_evse_tick(&e, 2000);
    assert_int_equal(s_drain(&e, HOMEPLUG_CM_SET_KEY_REQ, homeplug_mac_localcast), 2);
    slac_evse_tick(&e, 3000);
    assert_false(e.key_valid);
    assert_string_equal(e.reason, "no CM_SET_KEY.CNF from the modem");
    (void)f;
    (void)n;
}

static void test_ev_parm_retries_then_new_run(void **st)
{
    (void)st;
    static struct slac_ev e;
    struct slac_config c;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    size_t n;
    unsigned reqs = 0;
    slac_config_default(&c);
    c.use_modem = false;
    slac_ev_init(&e, &c, s_ev_mac);
    slac_ev_start(&e, s_run, 0);
    for (uint32_t t = 0; t <= 3 * 600 + 2 * 400 + 10; t++) {
        slac_ev_tick(&e, t);
        while (slac_ev_pop(&e, f, sizeof f, &n) == HAL_OK) {
            assert_int_equal(s_type(f), HOMEPLUG_CM_SLAC_PARM_REQ);
            reqs++;
        }
    }
    /* 3 runs x 3 requests, then failed */
    assert_int_equal(reqs, 9);
    assert_int_equal(e.state, SLAC_EV_FAILED);
    assert_string_equal(e.reason, "no CM_SLAC_PARM.CNF");
    assert_int_not_equal(memcmp(e.run_id, s_run, 8), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_with_measuring_modem),
        cmocka_unit_test(test_match_without_profiles_falls_back),
        cmocka_unit_test(test_lost_sounds_reported_with_count),
        cmocka_unit_test(test_no_atten_rsp_repeats_then_fails),
        cmocka_unit_test(test_no_answer_to_parm_cnf),
        cmocka_unit_test(test_repeated_parm_req_and_two_evs),
        cmocka_unit_test(test_evse_refuses_bad_frames),
        cmocka_unit_test(test_evse_waits_for_set_key_cnf),
        cmocka_unit_test(test_ev_parm_retries_then_new_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
