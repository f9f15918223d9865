/* Unit tests of the EVSE link: an EVSE and an EV link talking to each other in memory
 * through the fakes (one Ethernet segment, one IPv6 link), time owned by the test. */
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

static const uint8_t s_mac_evse[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t s_mac_ev[6] = {0x02, 0, 0, 0, 0, 0x02};

struct rig {
    struct fake_eth_segment seg;
    struct fake_eth eth_evse, eth_ev;
    struct fake_net_world w;
    struct fake_net net_evse, net_ev;
    struct fake_rng rng_evse, rng_ev;
    struct fake_log log;
    struct sched s_evse, s_ev;
    struct evse_link evse;
    struct ev_link ev;
    struct evse_link_config ecfg;
    struct ev_link_config vcfg;
    uint32_t now;
};
static struct rig g;

static void rig_init(void)
{
    memset(&g, 0, sizeof g);
    fake_eth_segment_init(&g.seg);
    assert_int_equal(fake_eth_init(&g.eth_evse, &g.seg, s_mac_evse), HAL_OK);
    assert_int_equal(fake_eth_init(&g.eth_ev, &g.seg, s_mac_ev), HAL_OK);
    fake_net_world_init(&g.w);
    assert_int_equal(fake_net_init(&g.net_evse, &g.w, 1), HAL_OK);
    assert_int_equal(fake_net_init(&g.net_ev, &g.w, 2), HAL_OK);
    fake_rng_init(&g.rng_evse, 1);
    fake_rng_init(&g.rng_ev, 2);
    fake_log_init(&g.log);
    sched_init(&g.s_evse);
    sched_init(&g.s_ev);
    evse_link_default_config(&g.ecfg);
    g.ecfg.slac.use_modem = false;
    ev_link_default_config(&g.vcfg);
    g.vcfg.slac.use_modem = false;
    g.now = 1000;
}

static int start_evse(void)
{
    return evse_link_init(&g.evse, &g.ecfg,
                          &(struct evse_link_ports){.eth = &g.eth_evse.base,
                                                    .net = &g.net_evse.base,
                                                    .rng = &g.rng_evse.base,
                                                    .log = &g.log.base},
                          &g.s_evse, g.now);
}

static int start_ev(void)
{
    return ev_link_init(&g.ev, &g.vcfg,
                        &(struct ev_link_ports){.eth = &g.eth_ev.base,
                                                .net = &g.net_ev.base,
                                                .rng = &g.rng_ev.base,
                                                .log = &g.log.base},
                        &g.s_ev, g.now);
}

/* Advance time 1 ms at a time until @p done or @p max_ms passed. */
static bool run_until(bool (*done)(void), uint32_t max_ms)
{
    for (uint32_t i = 0; i < max_ms; i++) {
        if (done != NULL && done()) {
            return true;
        }
        evse_link_step(&g.evse, g.now);
        ev_link_step(&g.ev, g.now);
        g.now++;
    }
    return done != NULL && done();
}

static bool ev_connected(void)
{
    return g.ev.state == EV_LINK_CONNECTING || g.ev.state == EV_LINK_CONNECTED;
}
static bool evse_has_msg(void)
{
    return g.evse.msg_ready;
}
static bool ev_has_msg(void)
{
    return g.ev.msg_ready;
}
/* a connection was accepted and is gone again */
static bool evse_no_conn(void)
{
    return g.evse.connections > 0 && g.evse.conn < 0;
}
static bool ev_failed(void)
{
    return g.ev.state == EV_LINK_FAILED;
}

/* SLAC, SDP, then the EV's message reaches the EVSE and the EVSE's answer the EV. */
static void bring_up_and_echo(void)
{
    assert_true(run_until(ev_connected, 10000));
    static const uint8_t req[] = "SupportedAppProtocolReq";
    assert_int_equal(ev_link_send(&g.ev, V2GTP_PT_EXI, req, sizeof req, false), HAL_OK);
    assert_true(run_until(evse_has_msg, 100));
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_OK);
    assert_int_equal(type, V2GTP_PT_EXI);
    assert_int_equal(len, sizeof req);
    assert_memory_equal(p, req, sizeof req);
    assert_int_equal(evse_link_send(&g.evse, type, p, len), HAL_OK);
    evse_link_consume(&g.evse, g.now);
    assert_true(run_until(ev_has_msg, 100));
    assert_int_equal(ev_link_recv(&g.ev, &type, &p, &len), HAL_OK);
    assert_memory_equal(p, req, sizeof req);
    ev_link_consume(&g.ev);
    assert_int_equal(g.ev.state, EV_LINK_CONNECTED);
    assert_int_equal(g.evse.state, EVSE_LINK_CONNECTED);
}

static void test_session_over_tcp(void **st)
{
    (void)st;
    rig_init();
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
    assert_int_equal(g.evse.slac.state, SLAC_EVSE_LINK);
    assert_int_equal(g.ev.slac.state, SLAC_EV_MATCHED);
    assert_int_equal(g.evse.sdp_answered, 1);
    assert_int_equal(g.ev.sdp.port, 15118);
    assert_int_equal(g.ev.sdp.security, SDP_SEC_NONE);
    assert_memory_equal(g.ev.sdp.addr, g.net_evse.addr.addr, 16);
    /* the EV learned the same NMK the EVSE drew */
    assert_memory_equal(g.ev.slac.nmk, g.evse.slac.nmk, HOMEPLUG_NMK_LEN);
    assert_true(g.evse.have_first_payload);
    assert_false(g.ev.secure);
    /* Plain TCP: said so, so that ISO 15118-20 (TLS 1.3 only) is not offered on it. */
    assert_int_equal(evse_link_security(&g.evse), 0);
}

/* tcp_port 0: the port chosen by the stack is read back and announced. */
static void test_ephemeral_port_announced(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.tcp_port = 0;
    assert_int_equal(start_evse(), HAL_OK);
    assert_true(g.evse.tcp_port >= 49152);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
    assert_int_equal(g.ev.sdp.port, g.evse.tcp_port);
}

/* A port that cannot tell its ephemeral port: the link refuses to start rather than
 * announce port 0, and leaves no socket behind. */
static void test_ephemeral_port_unsupported(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.tcp_port = 0;
    g.net_evse.local_port_unsupported = true;
    assert_int_equal(start_evse(), HAL_ENOTSUP);
    assert_int_equal(fake_net_count(&g.net_evse, FAKE_NET_UDP), 0);
    assert_int_equal(fake_net_count(&g.net_evse, FAKE_NET_LISTEN), 0);
    /* and nothing to offer is refused */
    rig_init();
    g.ecfg.offer_tcp = false;
    assert_int_equal(start_evse(), HAL_EINVAL);
}

static void test_init_errors(void **st)
{
    (void)st;
    rig_init();
    g.net_evse.local_addr_rc = HAL_EAGAIN; /* DAD still running */
    assert_int_equal(start_evse(), HAL_EAGAIN);
    rig_init();
    g.rng_evse.rc = HAL_EAGAIN;
    assert_int_equal(start_evse(), HAL_EAGAIN);
}

/* Two messages written back to back arrive in one read: both are delivered, the second
 * at once after the first is consumed. */
static void test_back_to_back_messages(void **st)
{
    (void)st;
    rig_init();
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    assert_true(run_until(ev_connected, 10000));
    assert_int_equal(ev_link_send(&g.ev, V2GTP_PT_EXI, (const uint8_t *)"one", 3, false), HAL_OK);
    assert_int_equal(ev_link_send(&g.ev, 0x8002u, (const uint8_t *)"second", 6, false), HAL_OK);
    assert_int_equal(ev_link_send(&g.ev, 0x8003u, (const uint8_t *)"3", 1, false), HAL_OK);
    ev_link_step(&g.ev, g.now); /* one write of 3 messages */
    evse_link_step(&g.evse, g.now); /* one read */
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "one", 3);
    evse_link_consume(&g.evse, g.now);
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_OK);
    assert_int_equal(type, 0x8002u);
    assert_memory_equal(p, "second", 6);
    evse_link_consume(&g.evse, g.now);
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_OK);
    assert_int_equal(type, 0x8003u);
    evse_link_consume(&g.evse, g.now);
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_EAGAIN);
    assert_int_equal(g.evse.v2gtp_rx_msgs, 3);
    assert_true(g.evse.conn >= 0);
}

/* Writes cut into 3-byte pieces are framed the same. */
static void test_partial_writes(void **st)
{
    (void)st;
    rig_init();
    g.net_ev.send_chunk = 3;
    g.net_evse.send_chunk = 3;
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
}

/* A message whose header came but whose payload stops: closed after msg_timeout_ms. */
static void test_half_sent_message_times_out(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.msg_timeout_ms = 500;
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    assert_true(run_until(ev_connected, 10000));
    uint8_t part[8 + 3];
    v2gtp_header_write(part, V2GTP_PT_EXI, 10);
    memcpy(&part[8], "abc", 3);
    assert_int_equal(ev_link_send(&g.ev, 0, part, sizeof part, true), HAL_OK);
    uint32_t t0 = g.now;
    assert_true(run_until(evse_no_conn, 2000));
    uint32_t took = g.now - t0;
    assert_true(took >= 500 && took <= 520);
    assert_int_equal(g.evse.closed_timeout, 1);
    assert_string_equal(g.evse.reason, "V2GTP message incomplete within the message timeout");
    assert_int_equal(g.evse.state, EVSE_LINK_WAIT_TCP);
    /* the EV sees the close */
    assert_true(run_until(ev_failed, 100));
    assert_string_equal(g.ev.reason, "V2GTP connection closed by the EVSE");
}

/* Connected but silent: closed after the setup time. */
static void test_silent_connection_times_out(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.setup_timeout_ms = 300;
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    /* the EV connects; a one-byte raw write makes the EVSE accept it */
    assert_true(run_until(ev_connected, 10000));
    assert_true(run_until(NULL, 5) == false);
    assert_true(g.evse.conn >= 0);
    assert_true(run_until(evse_no_conn, 1000));
    assert_string_equal(g.evse.reason, "no V2GTP message within the setup time");
}

static void test_bad_header_and_oversize_close(void **st)
{
    (void)st;
    for (int k = 0; k < 2; k++) {
        rig_init();
        g.ecfg.v2gtp_max_len = 100;
        assert_int_equal(start_evse(), HAL_OK);
        assert_int_equal(start_ev(), HAL_OK);
        assert_true(run_until(ev_connected, 10000));
        uint8_t h[8];
        v2gtp_header_write(h, V2GTP_PT_EXI, k == 0 ? 4u : 101u);
        if (k == 0) {
            h[1] = 0xFF;
        }
        assert_int_equal(ev_link_send(&g.ev, 0, h, sizeof h, true), HAL_OK);
        assert_true(run_until(evse_no_conn, 100));
        assert_int_equal(g.evse.closed_bad_header, 1);
        assert_string_equal(g.evse.reason, k == 0 ? "protocol version not 0x01/0xFE"
                                                  : "payload length above the maximum");
        assert_true(run_until(ev_failed, 100));
    }
}

/* A bad header right behind a good message in the same read: the good one is
 * delivered, then the connection closes. */
static void test_bad_header_behind_good_message(void **st)
{
    (void)st;
    rig_init();
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    assert_true(run_until(ev_connected, 10000));
    uint8_t b[8 + 2 + 8];
    v2gtp_header_write(b, V2GTP_PT_EXI, 2);
    b[8] = 'o';
    b[9] = 'k';
    v2gtp_header_write(&b[10], V2GTP_PT_EXI, 2);
    b[10] = 0x02; /* bad version */
    assert_int_equal(ev_link_send(&g.ev, 0, b, sizeof b, true), HAL_OK);
    assert_true(run_until(evse_has_msg, 100));
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_OK);
    assert_memory_equal(p, "ok", 2);
    evse_link_consume(&g.evse, g.now);
    assert_int_equal(evse_link_recv(&g.evse, &type, &p, &len), HAL_EAGAIN);
    evse_link_step(&g.evse, g.now);
    assert_true(g.evse.conn < 0);
    assert_int_equal(g.evse.closed_bad_header, 1);
}

/* The car leaves (unplug): the EVSE sees the close, restarts, and the next car gets a
 * fresh key and a full session. */
static void test_restart_for_next_car(void **st)
{
    (void)st;
    rig_init();
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
    uint8_t nmk1[HOMEPLUG_NMK_LEN];
    memcpy(nmk1, g.evse.slac.nmk, sizeof nmk1);
    ev_link_close(&g.ev, g.now, "unplugged");
    assert_true(run_until(evse_no_conn, 100));
    assert_string_equal(g.evse.reason, "closed by the EV");
    assert_int_equal(g.evse.state, EVSE_LINK_WAIT_TCP);
    assert_int_equal(evse_link_restart(&g.evse, g.now), HAL_OK);
    assert_int_equal(g.evse.state, EVSE_LINK_SLAC);
    assert_int_equal(g.evse.slac.state, SLAC_EVSE_WAIT_PARM);
    assert_memory_not_equal(g.evse.slac.nmk, nmk1, sizeof nmk1);
    /* the next car (a new EV link instance on a fresh scheduler) */
    sched_init(&g.s_ev);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
    assert_memory_equal(g.ev.slac.nmk, g.evse.slac.nmk, HOMEPLUG_NMK_LEN);
    assert_int_equal(g.evse.connections, 2);
    assert_int_equal(g.evse.restarts, 1);
    /* a restart with a broken random source fails safely */
    g.rng_evse.rc = HAL_EIO;
    assert_int_equal(evse_link_restart(&g.evse, g.now), HAL_EIO);
    assert_int_equal(g.evse.state, EVSE_LINK_FAILED);
    assert_true(g.evse.conn < 0);
}

/* No car ever comes: the EVSE reports SLAC failed with the reason. */
static void test_no_car(void **st)
{
    (void)st;
    rig_init();
    g.ecfg.slac.tt_evse_slac_init_ms = 2000;
    assert_int_equal(start_evse(), HAL_OK);
    for (int i = 0; i < 2100; i++) {
        evse_link_step(&g.evse, g.now++);
    }
    assert_int_equal(g.evse.state, EVSE_LINK_FAILED);
    assert_string_equal(g.evse.slac.reason, "no CM_SLAC_PARM.REQ within TT_EVSE_SLAC_init");
    assert_int_equal(evse_link_restart(&g.evse, g.now), HAL_OK);
    assert_int_equal(g.evse.state, EVSE_LINK_SLAC);
}

/* Sending without a connection is refused; an over-large message does not fit. */
static void test_send_limits(void **st)
{
    (void)st;
    rig_init();
    assert_int_equal(start_evse(), HAL_OK);
    assert_int_equal(evse_link_send(&g.evse, V2GTP_PT_EXI, (const uint8_t *)"x", 1), HAL_ESTATE);
    assert_int_equal(start_ev(), HAL_OK);
    bring_up_and_echo();
    static uint8_t big[CFG_EVSE_LINK_TX];
    assert_int_equal(evse_link_send(&g.evse, V2GTP_PT_EXI, big, sizeof big), HAL_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_over_tcp),
        cmocka_unit_test(test_ephemeral_port_announced),
        cmocka_unit_test(test_ephemeral_port_unsupported),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_back_to_back_messages),
        cmocka_unit_test(test_partial_writes),
        cmocka_unit_test(test_half_sent_message_times_out),
        cmocka_unit_test(test_silent_connection_times_out),
        cmocka_unit_test(test_bad_header_and_oversize_close),
        cmocka_unit_test(test_bad_header_behind_good_message),
        cmocka_unit_test(test_restart_for_next_car),
        cmocka_unit_test(test_no_car),
        cmocka_unit_test(test_send_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
