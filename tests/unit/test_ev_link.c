/* Unit tests of the EV link against the EVSE link, in memory through the fakes: SDP
 * retries and give-up, security choice (TLS through a scrambling stand-in), refused
 * connections, V2GTP answer timeouts, lost sounds, no EVSE, a second EV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ev_link.h"
#include "evse_link.h"
#include "fake_eth.h"
#include "fake_log.h"
#include "fake_net.h"
#include "fake_rng.h"

/* A stand-in TLS port: bytes are XORed with 0x5A on the wire, so a side that forgets to
 * use TLS reads garbage; the handshake takes two calls, or fails when told to. */
struct tls_stub {
    struct hal_tls base;
    struct hal_net *net;
    int sock[4];
    bool used[4];
    int calls[4];
    bool fail;     /**< the handshake fails (an untrusted certificate) */
    int handshakes;
};

static int tls_stub_start(struct hal_tls *b, int sock, int is_server)
{
    struct tls_stub *t = (struct tls_stub *)b;
    (void)is_server;
    for (int i = 0; i < 4; i++) {
        if (!t->used[i]) {
            t->used[i] = true;
            t->sock[i] = sock;
            t->calls[i] = 0;
            return i;
        }
    }
    return HAL_ENOMEM;
}
static int tls_stub_handshake(struct hal_tls *b, int s)
{
    struct tls_stub *t = (struct tls_stub *)b;
    if (t->fail) {
        return HAL_EPROTO;
    }
    if (++t->calls[s] < 2) {
        return HAL_EAGAIN;
    }
    t->handshakes++;
    return HAL_OK;
}
static int tls_stub_send(struct hal_tls *b, int s, const uint8_t *buf, size_t len, size_t *sent)
{
    struct tls_stub *t = (struct tls_stub *)b;
    uint8_t x[256];
    size_t n = len < sizeof x ? len : sizeof x;
    for (size_t i = 0; i < n; i++) {
        x[i] = buf[i] ^ 0x5A;
    }
    return hal_net_tcp_send(t->net, t->sock[s], x, n, sent);
}
static int tls_stub_recv(struct hal_tls *b, int s, uint8_t *buf, size_t cap, size_t *len)
{
    struct tls_stub *t = (struct tls_stub *)b;
    int rc = hal_net_tcp_recv(t->net, t->sock[s], buf, cap, len);
    for (size_t i = 0; rc == HAL_OK && i < *len; i++) {
        buf[i] ^= 0x5A;
    }
    return rc;
}
static void tls_stub_close(struct hal_tls *b, int s)
{
    struct tls_stub *t = (struct tls_stub *)b;
    if (s >= 0 && s < 4) {
        t->used[s] = false;
    }
}
static const struct hal_tls_ops s_tls_stub_ops = {.start = tls_stub_start,
                                                  .handshake = tls_stub_handshake,
                                                  .send = tls_stub_send,
                                                  .recv = tls_stub_recv,
                                                  .close = tls_stub_close};

static const uint8_t s_mac_evse[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t s_mac_ev[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t s_mac_ev2[6] = {0x02, 0, 0, 0, 0, 0x03};

struct rig {
    struct fake_eth_segment seg;
    struct fake_eth eth_evse, eth_ev, eth_ev2;
    struct fake_net_world w;
    struct fake_net net_evse, net_ev, net_ev2;
    struct fake_rng rng_evse, rng_ev, rng_ev2;
    struct tls_stub tls_evse, tls_ev;
    struct fake_log log;
    struct sched s_evse, s_ev, s_ev2;
    struct evse_link evse;
    struct ev_link ev, ev2;
    struct evse_link_config ecfg;
    struct ev_link_config vcfg;
    bool with_evse, with_ev2, echo;
    uint32_t now;
};
static struct rig g;

static void rig_init(void)
{
    memset(&g, 0, sizeof g);
    fake_eth_segment_init(&g.seg);
    fake_eth_init(&g.eth_evse, &g.seg, s_mac_evse);
    fake_eth_init(&g.eth_ev, &g.seg, s_mac_ev);
    fake_net_world_init(&g.w);
    fake_net_init(&g.net_evse, &g.w, 1);
    fake_net_init(&g.net_ev, &g.w, 2);
    fake_rng_init(&g.rng_evse, 11);
    fake_rng_init(&g.rng_ev, 12);
    fake_rng_init(&g.rng_ev2, 13);
    g.tls_evse.base.ops = &s_tls_stub_ops;
    g.tls_evse.net = &g.net_evse.base;
    g.tls_ev.base.ops = &s_tls_stub_ops;
    g.tls_ev.net = &g.net_ev.base;
    fake_log_init(&g.log);
    sched_init(&g.s_evse);
    sched_init(&g.s_ev);
    sched_init(&g.s_ev2);
    evse_link_default_config(&g.ecfg);
    g.ecfg.slac.use_modem = false;
    ev_link_default_config(&g.vcfg);
    g.vcfg.slac.use_modem = false;
    g.with_evse = true;
    g.echo = true;
    g.now = 5000;
}

static void start(bool evse_tls_port, bool ev_tls_port)
{
    if (g.with_evse) {
        assert_int_equal(evse_link_init(&g.evse, &g.ecfg,
                                        &(struct evse_link_ports){
                                            .eth = &g.eth_evse.base,
                                            .net = &g.net_evse.base,
                                            .rng = &g.rng_evse.base,
                                            .tls = evse_tls_port ? &g.tls_evse.base : NULL,
                                            .log = &g.log.base},
                                        &g.s_evse, g.now),
                         HAL_OK);
    }
    assert_int_equal(ev_link_init(&g.ev, &g.vcfg,
                                  &(struct ev_link_ports){.eth = &g.eth_ev.base,
                                                          .net = &g.net_ev.base,
                                                          .rng = &g.rng_ev.base,
                                                          .tls = ev_tls_port ? &g.tls_ev.base : NULL,
                                                          .log = &g.log.base},
                                  &g.s_ev, g.now),
                     HAL_OK);
    if (g.with_ev2) {
        fake_eth_init(&g.eth_ev2, &g.seg, s_mac_ev2);
        fake_net_init(&g.net_ev2, &g.w, 3);
        assert_int_equal(ev_link_init(&g.ev2, &g.vcfg,
                                      &(struct ev_link_ports){.eth = &g.eth_ev2.base,
                                                              .net = &g.net_ev2.base,
                                                              .rng = &g.rng_ev2.base,
                                                              .log = &g.log.base},
                                      &g.s_ev2, g.now),
                         HAL_OK);
    }
}

/* The EVSE side echoes every message it gets (when `echo`). */
static void step_all(void)
{
    if (g.with_evse) {
        evse_link_step(&g.evse, g.now);
        uint16_t type;
        const uint8_t *p;
        uint32_t len;
        while (g.echo && evse_link_recv(&g.evse, &type, &p, &len) == HAL_OK) {
            (void)evse_link_send(&g.evse, type, p, len);
            evse_link_consume(&g.evse, g.now);
        }
    }
    ev_link_step(&g.ev, g.now);
    if (g.with_ev2) {
        ev_link_step(&g.ev2, g.now);
    }
    g.now++;
}

static bool run_until(bool (*done)(void), uint32_t max_ms)
{
    for (uint32_t i = 0; i < max_ms; i++) {
        if (done()) {
            return true;
        }
        step_all();
    }
    return done();
}

static bool ev_failed(void)
{
    return g.ev.state == EV_LINK_FAILED;
}
static bool ev_up(void)
{
    return g.ev.state == EV_LINK_CONNECTING || g.ev.state == EV_LINK_CONNECTED;
}
static bool ev_msg(void)
{
    return g.ev.msg_ready;
}
static bool both_done(void)
{
    return (g.ev.state == EV_LINK_FAILED || g.ev.msg_ready) &&
           (g.ev2.state == EV_LINK_FAILED || g.ev2.msg_ready);
}

static void ev_roundtrip(const char *text)
{
    size_t n = strlen(text);
    assert_int_equal(ev_link_send(&g.ev, V2GTP_PT_EXI, (const uint8_t *)text, (uint32_t)n, false),
                     HAL_OK);
    assert_true(run_until(ev_msg, 200));
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    assert_int_equal(ev_link_recv(&g.ev, &type, &p, &len), HAL_OK);
    assert_int_equal(len, n);
    assert_memory_equal(p, text, n);
    ev_link_consume(&g.ev);
}

/* The SECC never answers SDP: the EV repeats every 250 ms, 50 requests, then gives up
 * with the reason. */
static void test_sdp_without_answer(void **st)
{
    (void)st;
    rig_init();
    g.net_evse.drop_udp_in = true;
    start(false, false);
    assert_true(run_until(ev_failed, 30000));
    assert_string_equal(g.ev.reason, "no SDP response after the last retry");
    assert_int_equal(g.ev.sdp_sent, 50);
    assert_int_equal(g.net_evse.udp_dropped, 50);
    uint32_t spent = g.now - g.ev.t_match_ms;
    assert_true(spent >= 50 * 250 && spent <= 50 * 250 + 20);
    assert_int_equal(fake_net_count(&g.net_ev, FAKE_NET_UDP), 0); /* socket released */
}

/* SDP asks for TLS, the SECC offers it: both ends use the TLS port. */
static void test_tls_chosen_and_used(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.offer_tls = true;
    g.ecfg.tls_port = 0; /* ephemeral */
    g.vcfg.sdp_security = SDP_SEC_TLS;
    start(true, true);
    assert_true(run_until(ev_up, 10000));
    assert_int_equal(g.ev.sdp.security, SDP_SEC_TLS);
    assert_int_equal(g.ev.sdp.port, g.evse.tls_port);
    assert_true(g.evse.tls_port != 15118);
    ev_roundtrip("over TLS");
    assert_true(g.ev.secure);
    assert_true(g.evse.secure);
    assert_int_equal(g.tls_evse.handshakes, 1);
    assert_int_equal(g.tls_ev.handshakes, 1);
    assert_int_equal(g.evse.sdp_answered_tls, 1);
}

/* TLS asked, only TCP offered: accepted unless TLS is required. */
static void test_tls_asked_tcp_offered(void **st)
{
    (void)st;
    rig_init();
    g.vcfg.sdp_security = SDP_SEC_TLS;
    start(false, true);
    assert_true(run_until(ev_up, 10000));
    assert_int_equal(g.ev.sdp.security, SDP_SEC_NONE);
    ev_roundtrip("plain");
    assert_false(g.ev.secure);

    rig_init();
    g.vcfg.sdp_security = SDP_SEC_TLS;
    g.vcfg.tls_required = true;
    start(false, true);
    assert_true(run_until(ev_failed, 10000));
    assert_string_equal(g.ev.reason, "the SECC offers no TLS and TLS is required");
}

/* TCP asked, only TLS offered, the EV has no TLS: it gives up with the reason. */
static void test_only_tls_offered(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.offer_tcp = false;
    g.ecfg.offer_tls = true;
    g.ecfg.tls_port = 15119;
    start(true, false);
    assert_true(run_until(ev_failed, 10000));
    assert_int_equal(g.ev.sdp.security, SDP_SEC_TLS);
    assert_string_equal(g.ev.reason, "the SECC offers only TLS and this EV has none");
}

/* The handshake fails (an untrusted certificate in the real port). */
static void test_tls_handshake_fails(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.offer_tls = true;
    g.ecfg.tls_port = 15119;
    g.vcfg.sdp_security = SDP_SEC_TLS;
    g.tls_ev.fail = true;
    g.tls_evse.fail = true;
    start(true, true);
    assert_true(run_until(ev_failed, 10000));
    assert_string_equal(g.ev.reason, "TLS handshake failed (see the TLS port's log)");
    step_all();
    assert_int_equal(g.evse.tls_failed, 1);
    assert_true(g.evse.conn < 0);
    assert_int_equal(fake_net_count(&g.net_ev, FAKE_NET_CONN), 0);
}

/* Connecting to a port nobody listens on (pyPLC's old bug: 15118 instead of the
 * announced port) is detected as refused. */
static void test_connection_refused(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.tcp_port = 61851;
    g.vcfg.force_port = 15118;
    start(false, false);
    assert_true(run_until(ev_failed, 10000));
    assert_string_equal(g.ev.reason, "TCP connection refused");
    assert_int_equal(g.net_ev.refused, 1);
}

/* The SECC takes the message but never answers: V2G_EVCC_Msg_Timeout. */
static void test_v2gtp_answer_timeout(void **st)
{
    (void)st;
    rig_init();
    g.echo = false;
    g.vcfg.v2gtp_timeout_ms = 2000;
    start(false, false);
    assert_true(run_until(ev_up, 10000));
    assert_int_equal(ev_link_send(&g.ev, V2GTP_PT_EXI, (const uint8_t *)"req", 3, false), HAL_OK);
    uint32_t t0 = g.now;
    assert_true(run_until(ev_failed, 5000));
    assert_string_equal(g.ev.reason, "no V2GTP answer within the message timeout");
    assert_true(g.now - t0 >= 2000 && g.now - t0 <= 2010);
}

/* The SECC's answer stops half-way: the EV's message timeout. */
static void test_ev_half_received_message(void **st)
{
    (void)st;
    rig_init();
    g.echo = false;
    g.vcfg.msg_timeout_ms = 300;
    g.vcfg.v2gtp_timeout_ms = 0;
    start(false, false);
    assert_true(run_until(ev_up, 10000));
    assert_int_equal(ev_link_send(&g.ev, 0, (const uint8_t *)"x", 1, true), HAL_OK);
    for (int i = 0; i < 5; i++) {
        step_all();
    }
    assert_true(g.evse.conn >= 0);
    uint8_t part[8 + 2];
    v2gtp_header_write(part, V2GTP_PT_EXI, 50);
    size_t sent;
    assert_int_equal(hal_net_tcp_send(&g.net_evse.base, g.evse.conn, part, sizeof part, &sent),
                     HAL_OK);
    uint32_t t0 = g.now;
    assert_true(run_until(ev_failed, 1000));
    assert_string_equal(g.ev.reason, "V2GTP message incomplete within the message timeout");
    assert_true(g.now - t0 >= 300 && g.now - t0 <= 310);
}

/* The EVSE answers two messages back to back: both framed, the second at once. */
static void test_ev_back_to_back(void **st)
{
    (void)st;
    rig_init();
    start(false, false);
    assert_true(run_until(ev_up, 10000));
    ev_roundtrip("first");
    assert_int_equal(evse_link_send(&g.evse, V2GTP_PT_EXI, (const uint8_t *)"a", 1), HAL_OK);
    assert_int_equal(evse_link_send(&g.evse, V2GTP_PT_EXI, (const uint8_t *)"bb", 2), HAL_OK);
    assert_true(run_until(ev_msg, 100));
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    assert_int_equal(ev_link_recv(&g.ev, &type, &p, &len), HAL_OK);
    assert_int_equal(len, 1);
    ev_link_consume(&g.ev);
    assert_int_equal(ev_link_recv(&g.ev, &type, &p, &len), HAL_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "bb", 2);
    ev_link_consume(&g.ev);
}

/* Every sound of the first run is lost: the EVSE has nothing to report, the EV's run
 * fails, and the second run matches. A few lost sounds of a run do not matter. */
static void test_lost_sounds(void **st)
{
    (void)st;
    rig_init();
    g.eth_ev.drop_mmtype = HOMEPLUG_CM_MNBC_SOUND_IND;
    g.eth_ev.drop_count = 10;
    start(false, false);
    assert_true(run_until(ev_up, 20000));
    assert_int_equal(g.eth_ev.dropped, 10);
    assert_int_equal(g.ev.slac.runs, 1); /* failed runs */
    assert_int_equal(g.evse.slac.runs_failed, 1);
    assert_string_equal(g.evse.slac.reason, "no CM_MNBC_SOUND.IND in the sound window");
    ev_roundtrip("after a lost run");

    rig_init();
    g.eth_ev.drop_mmtype = HOMEPLUG_CM_MNBC_SOUND_IND;
    g.eth_ev.drop_count = 4;
    start(false, false);
    assert_true(run_until(ev_up, 20000));
    assert_int_equal(g.ev.slac.runs, 0);
    struct slac_evse_session *x = &g.evse.slac.sess[g.evse.slac.matched];
    assert_int_equal(x->sounds, 6);
}

/* No EVSE at all: CM_SLAC_PARM.REQ repeated, then SLAC fails with the reason. */
static void test_no_evse(void **st)
{
    (void)st;
    rig_init();
    g.with_evse = false;
    start(false, false);
    assert_true(run_until(ev_failed, 30000));
    assert_string_equal(g.ev.reason, "no CM_SLAC_PARM.CNF");
    assert_true(g.eth_ev.sent >= 3);
}

/* Two EVs on one segment with one EVSE: exactly one gets the link and a V2GTP answer,
 * the other gives up with a reason. */
static void test_second_ev_on_segment(void **st)
{
    (void)st;
    rig_init();
    g.with_ev2 = true;
    start(false, false);
    for (int i = 0; i < 60000 && !(ev_up() || g.ev.state == EV_LINK_FAILED) ; i++) {
        step_all();
    }
    for (int i = 0; i < 60000 && !(g.ev2.state >= EV_LINK_CONNECTING); i++) {
        step_all();
    }
    struct ev_link *won = g.ev.state != EV_LINK_FAILED ? &g.ev : &g.ev2;
    struct ev_link *lost = won == &g.ev ? &g.ev2 : &g.ev;
    assert_int_equal(lost->state, EV_LINK_FAILED);
    assert_true(won->state == EV_LINK_CONNECTING || won->state == EV_LINK_CONNECTED);
    assert_true(strlen(lost->reason) > 0);
    print_message("second EV: %s\n", lost->reason);
    assert_int_equal(ev_link_send(won, V2GTP_PT_EXI, (const uint8_t *)"mine", 4, false), HAL_OK);
    assert_true(run_until(both_done, 1000));
    assert_true(won->msg_ready);
    assert_int_equal(g.evse.connections, 1);
    assert_memory_equal(won->slac.nmk, g.evse.slac.nmk, HOMEPLUG_NMK_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdp_without_answer),
        cmocka_unit_test(test_tls_chosen_and_used),
        cmocka_unit_test(test_tls_asked_tcp_offered),
        cmocka_unit_test(test_only_tls_offered),
        cmocka_unit_test(test_tls_handshake_fails),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_v2gtp_answer_timeout),
        cmocka_unit_test(test_ev_half_received_message),
        cmocka_unit_test(test_ev_back_to_back),
        cmocka_unit_test(test_lost_sounds),
        cmocka_unit_test(test_no_evse),
        cmocka_unit_test(test_second_ev_on_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
