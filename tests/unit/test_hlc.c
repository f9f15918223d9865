/* Unit tests of the protocol-neutral V2G layer (firmware/hlc.c) and its DIN backend
 * (firmware/hlc_din.c): the priority list of `v2g.protocols`, the supportedAppProtocol
 * handshake that picks a backend, session IDs, and one request through the one entry
 * point (bytes in, bytes out) with the charger's neutral status translated for DIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hlc_din.h"

static struct hlc s_h;
static struct exi_apphand_document s_aq, s_ar;
static struct exi_din_document s_q, s_r;
static uint8_t s_in[1024], s_out[1024];

/* Session IDs: a queue of what the "random source" gives, to test the zero retry. */
static uint8_t s_ids[3][8];
static unsigned s_id_next, s_id_count, s_id_calls;
static int s_id_rc;

static int test_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    s_id_calls++;
    if (s_id_rc != HAL_OK) {
        return s_id_rc;
    }
    unsigned k = s_id_next < s_id_count ? s_id_next++ : s_id_count - 1u;
    memcpy(bytes, s_ids[k], len);
    return HAL_OK;
}

static int setup(void **state)
{
    (void)state;
    static const uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    memset(s_ids, 0, sizeof s_ids);
    memcpy(s_ids[0], id, sizeof id);
    s_id_next = 0;
    s_id_count = 1;
    s_id_calls = 0;
    s_id_rc = HAL_OK;
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    /* These tests drive the DIN backend; the default list (ISO-2 first) has its own test. */
    cfg.protocols.count = 1;
    cfg.protocols.list[0] = HLC_PROTO_DIN;
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_OK);
    return 0;
}

/* A supportedAppProtocolReq offering @p ns (and DIN after it when @p with_din). */
static size_t handshake_req(const char *ns, bool with_din)
{
    uint32_t major = strcmp(ns, APPHAND_NS_DIN) == 0 ? 2u : 1u;
    struct apphand_offer offers[2] = {{ns, major, 0, 7, 1}, {APPHAND_NS_DIN, 2, 0, 9, 2}};
    assert_int_equal(apphand_offer_fill(&s_aq, offers, with_din ? 2u : 1u), HAL_OK);
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_apphand_encode(&w, &s_aq), HAL_OK);
    return exi_writer_len(&w);
}

static size_t session_setup_req(void)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    struct din_session_id zero = {{0}, 1};
    din_session_id_to_header(&s_q.V2G_Message.Header, &zero);
    s_q.V2G_Message.Body.SessionSetupReq_isUsed = true;
    s_q.V2G_Message.Body.SessionSetupReq.EVCCID.bytesLen = 6;
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0xA1};
    memcpy(s_q.V2G_Message.Body.SessionSetupReq.EVCCID.bytes, mac, sizeof mac);
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_din_encode(&w, &s_q), HAL_OK);
    return exi_writer_len(&w);
}

static void test_parse_protocols(void **state)
{
    (void)state;
    struct hlc_protocols p;
    char why[96];
    assert_int_equal(hlc_parse_protocols("din", &p, why, sizeof why), HAL_OK);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.list[0], HLC_PROTO_DIN);
    assert_ptr_equal(hlc_backend(p.list[0]), &hlc_din_ops);
    assert_string_equal(why, "");
    assert_int_equal(hlc_parse_protocols(" din , ", &p, why, sizeof why), HAL_OK);
    assert_int_equal(p.count, 1);
    /* ISO 15118-2 and ISO 15118-20 DC have their backends. */
    assert_int_equal(hlc_parse_protocols("iso2,din", &p, why, sizeof why), HAL_OK);
    assert_int_equal(p.count, 2);
    assert_int_equal(p.list[0], HLC_PROTO_ISO2);
    assert_ptr_equal(hlc_backend(p.list[0]), &hlc_iso2_ops);
    assert_int_equal(hlc_parse_protocols("iso20,din", &p, why, sizeof why), HAL_OK);
    assert_int_equal(p.list[0], HLC_PROTO_ISO20);
    assert_ptr_equal(hlc_backend(p.list[0]), &hlc_iso20_ops);
    assert_int_equal(hlc_parse_protocols("din,chademo", &p, why, sizeof why), HAL_EINVAL);
    assert_non_null(strstr(why, "unknown protocol \"chademo\""));
    assert_int_equal(hlc_parse_protocols("din,din", &p, why, sizeof why), HAL_EINVAL);
    assert_non_null(strstr(why, "twice"));
    assert_int_equal(hlc_parse_protocols("", &p, why, sizeof why), HAL_EINVAL);
    assert_non_null(strstr(why, "no protocol"));
    assert_int_equal(hlc_parse_protocols("averyveryverylongname", &p, why, sizeof why), HAL_EINVAL);
    assert_string_equal(hlc_protocol_name(HLC_PROTO_ISO20), "iso20");
    assert_true(hlc_protocol_enabled(HLC_PROTO_DIN));
    assert_true(hlc_protocol_enabled(HLC_PROTO_ISO2));
    assert_true(hlc_protocol_enabled(HLC_PROTO_ISO20));
    assert_non_null(hlc_backend(HLC_PROTO_ISO20));
    hlc_default_protocols(&p); /* issue 14: ISO-2 before DIN */
    assert_int_equal(p.count, 2);
    assert_int_equal(p.list[0], HLC_PROTO_ISO2);
    assert_int_equal(p.list[1], HLC_PROTO_DIN);
}

static void test_init_refuses_empty_list(void **state)
{
    (void)state;
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    cfg.protocols.count = 0;
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_EINVAL);
    cfg.protocols.count = 1;
    cfg.protocols.list[0] = HLC_PROTO_COUNT; /* no such protocol */
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_EINVAL);
    hlc_default_config(&cfg);
    assert_int_equal(hlc_init(&s_h, &cfg, NULL, NULL), HAL_EINVAL);
}

static void test_handshake_picks_din(void **state)
{
    (void)state;
    size_t n = handshake_req(APPHAND_NS_ISO2, true), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    memset(&evse, 0, sizeof evse);
    assert_false(hlc_running(&s_h));
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 100), HAL_OK);
    assert_int_equal(res.error, HLC_ERR_NONE);
    assert_true(res.positive);
    assert_int_equal(res.msg, HLC_MSG_HANDSHAKE);
    assert_string_equal(res.protocol, "din");
    assert_int_equal(res.schema_id, 9); /* DIN's SchemaID as the EV offered it */
    assert_ptr_equal(hlc_active(&s_h), &hlc_din_ops);
    assert_true(hlc_running(&s_h));
    assert_true(out > 0);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_apphand_decode(&r, &s_ar), HAL_OK);
    assert_true(s_ar.supportedAppProtocolRes_isUsed);
    assert_int_equal(s_ar.supportedAppProtocolRes.SchemaID, 9);
}

/* A second handshake inside a running DIN session (the car started over on a new
 * connection): the DIN machine cannot decode it, hlc_refuse_handshake() recognises it
 * and gives the Failed_NoNegotiation answer (the DIN backend has ended its session on the
 * undecodable payload; the answer changes nothing there); a DIN request is not taken
 * for one. */
static void test_refuse_handshake_mid_session(void **state)
{
    (void)state;
    size_t n = handshake_req(APPHAND_NS_DIN, false), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    memset(&evse, 0, sizeof evse);
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 100), HAL_OK);
    assert_true(hlc_running(&s_h));
    n = handshake_req(APPHAND_NS_DIN, false); /* the new connection's first message */
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 200), HAL_EPROTO);
    assert_int_equal(res.error, HLC_ERR_DECODE);
    assert_int_equal(hlc_refuse_handshake(&s_h, s_in, n, s_out, sizeof s_out, &out), HAL_OK);
    assert_true(out > 0);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_apphand_decode(&r, &s_ar), HAL_OK);
    assert_true(s_ar.supportedAppProtocolRes_isUsed);
    assert_int_equal(s_ar.supportedAppProtocolRes.ResponseCode, exi_apphand_responseCodeType_Failed_NoNegotiation);
    assert_ptr_equal(hlc_active(&s_h), &hlc_din_ops);
    /* a DIN request is no handshake; a too small buffer is said so */
    n = session_setup_req();
    assert_int_equal(hlc_refuse_handshake(&s_h, s_in, n, s_out, sizeof s_out, &out), HAL_EPROTO);
    assert_int_equal(out, 0);
    n = handshake_req(APPHAND_NS_DIN, false);
    assert_int_equal(hlc_refuse_handshake(&s_h, s_in, n, s_out, 2, &out), HAL_ENOMEM);
    assert_int_equal(hlc_refuse_handshake(&s_h, NULL, n, s_out, sizeof s_out, &out), HAL_EINVAL);
}

/* The default list (ISO-2, DIN): the EV's Priority picks among what we speak, so a car
 * ranking ISO-2 first gets ISO-2, one ranking DIN first gets DIN, a DIN-only car gets DIN. */
static void test_default_list_follows_ev_priority(void **state)
{
    (void)state;
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    struct hlc_result res;
    struct hlc_evse evse;
    memset(&evse, 0, sizeof evse);
    size_t out = 0;
    const struct {
        struct apphand_offer offers[2];
        unsigned n;
        const char *want;
        const struct hlc_backend_ops *ops;
    } t[] = {
        {{{APPHAND_NS_ISO2, 2, 0, 7, 1}, {APPHAND_NS_DIN, 2, 0, 9, 2}}, 2, "iso2", &hlc_iso2_ops},
        {{{APPHAND_NS_ISO2, 2, 0, 7, 2}, {APPHAND_NS_DIN, 2, 0, 9, 1}}, 2, "din", &hlc_din_ops},
        {{{APPHAND_NS_DIN, 2, 0, 9, 1}, {APPHAND_NS_DIN, 2, 0, 9, 1}}, 1, "din", &hlc_din_ops},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_OK);
        assert_int_equal(apphand_offer_fill(&s_aq, t[k].offers, t[k].n), HAL_OK);
        struct exi_writer w;
        exi_writer_init(&w, s_in, sizeof s_in);
        assert_int_equal(exi_apphand_encode(&w, &s_aq), HAL_OK);
        size_t n = exi_writer_len(&w);
        assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 0), HAL_OK);
        assert_true(res.positive);
        assert_string_equal(res.protocol, t[k].want);
        assert_ptr_equal(hlc_active(&s_h), t[k].ops);
    }
}

static void test_handshake_no_common_protocol(void **state)
{
    (void)state;
    size_t n = handshake_req(APPHAND_NS_ISO2, false), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 0), HAL_OK);
    assert_int_equal(res.error, HLC_ERR_NO_PROTOCOL);
    assert_false(res.positive);
    assert_true(res.events & HLC_EVT_CLOSE);
    assert_null(hlc_active(&s_h));
    assert_true(out > 0); /* the Failed_NoNegotiation answer still goes out */
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_apphand_decode(&r, &s_ar), HAL_OK);
    assert_int_equal(s_ar.supportedAppProtocolRes.ResponseCode, exi_apphand_responseCodeType_Failed_NoNegotiation);
    assert_int_equal(s_id_calls, 0);
}

static void test_handshake_undecodable(void **state)
{
    (void)state;
    static const uint8_t junk[3] = {0xFF, 0xFF, 0xFF};
    size_t out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    assert_int_not_equal(hlc_handle(&s_h, junk, sizeof junk, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 0),
                         HAL_OK);
    assert_int_equal(res.error, HLC_ERR_DECODE);
    assert_int_equal(out, 0);
    assert_null(hlc_active(&s_h));
}

static void test_session_id_never_zero(void **state)
{
    (void)state;
    static const uint8_t id[8] = {0, 0, 0, 0, 0, 0, 0, 5};
    memset(s_ids[0], 0, 8); /* the first draw is all zero: drawn again */
    memcpy(s_ids[1], id, 8);
    s_id_count = 2;
    assert_int_equal(hlc_start(&s_h, &hlc_din_ops, 0), HAL_OK);
    assert_int_equal(s_id_calls, 2);
    size_t n = session_setup_req(), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    memset(&evse, 0, sizeof evse);
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 10), HAL_OK);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_din_decode(&r, &s_r), HAL_OK);
    struct din_session_id got;
    din_session_id_from_header(&got, &s_r.V2G_Message.Header);
    assert_int_equal(got.len, 8);
    assert_memory_equal(got.bytes, id, 8);
}

static void test_session_id_failure(void **state)
{
    (void)state;
    s_id_rc = HAL_EIO;
    size_t n = handshake_req(APPHAND_NS_DIN, false), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out, &res, 0), HAL_OK);
    assert_int_equal(res.error, HLC_ERR_SESSION_ID);
    assert_false(res.positive);
    assert_null(hlc_active(&s_h));
}

struct seen {
    unsigned calls;
    enum hlc_msg msg;
};

static void status_hook(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse)
{
    struct seen *s = ctx;
    s->calls++;
    s->msg = rq->msg;
    memset(evse, 0, sizeof *evse);
    evse->status = HLC_EVSE_READY;
    evse->unix_time_s = 1700000000;
}

static void test_session_setup_through_the_entry_point(void **state)
{
    (void)state;
    assert_int_equal(hlc_start(&s_h, &hlc_din_ops, 0), HAL_OK);
    size_t n = session_setup_req(), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    struct seen seen = {0, HLC_MSG_NONE};
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, status_hook, &seen, s_out, sizeof s_out, &out, &res, 10),
                     HAL_OK);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.msg, HLC_MSG_SESSION_SETUP);
    assert_int_equal(res.msg, HLC_MSG_SESSION_SETUP);
    assert_true(res.events & HLC_EVT_SESSION);
    assert_true(res.positive);
    assert_false(res.failed);
    assert_string_equal(res.msg_name, din_msg_name(DIN_MSG_SESSION_SETUP));
    const struct hlc_ev *ev = hlc_ev(&s_h);
    assert_int_equal(ev->evccid_len, 6);
    assert_int_equal(ev->evccid[5], 0xA1);
    assert_true(out > 0);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_din_decode(&r, &s_r), HAL_OK);
    assert_int_equal(din_response_kind(&s_r), DIN_MSG_SESSION_SETUP);
    assert_true(s_r.V2G_Message.Body.SessionSetupRes.DateTimeNow_isUsed);
    assert_int_equal(s_r.V2G_Message.Body.SessionSetupRes.DateTimeNow, 1700000000);
    /* A request the session does not expect now: FAILED_SequenceError, the session ends. */
    n = session_setup_req();
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    struct din_session_id id = {{1, 2, 3, 4, 5, 6, 7, 8}, 8};
    din_session_id_to_header(&s_q.V2G_Message.Header, &id);
    s_q.V2G_Message.Body.CableCheckReq_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_din_encode(&w, &s_q), HAL_OK);
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &evse, status_hook, &seen, s_out, sizeof s_out,
                                &out, &res, 20),
                     HAL_OK);
    assert_int_equal(res.msg, HLC_MSG_CABLE_CHECK);
    assert_false(res.positive);
    assert_true(res.failed);
    assert_true(hlc_over(&s_h));
    assert_false(hlc_running(&s_h));
    hlc_reset(&s_h);
    assert_null(hlc_active(&s_h));
    assert_int_equal(hlc_ev(&s_h)->evccid_len, 0);
}

/* Bad input (issue 14): after DIN was negotiated the car sends a payload the DIN grammar
 * cannot read (an ISO-2 request, or garbage). No response type is known, so nothing is
 * sent, but the session ends at once with the reason named (the charger stops safely and
 * records it) instead of waiting for the car to give up. */
static void test_din_undecodable_ends_the_session(void **state)
{
    (void)state;
    assert_int_equal(hlc_start(&s_h, &hlc_din_ops, 0), HAL_OK);
    size_t n = session_setup_req(), out = 0;
    struct hlc_result res;
    struct hlc_evse evse;
    struct seen seen = {0, HLC_MSG_NONE};
    assert_int_equal(hlc_handle(&s_h, s_in, n, &evse, status_hook, &seen, s_out, sizeof s_out, &out, &res, 10),
                     HAL_OK);
    assert_true(res.positive);
    assert_false(hlc_over(&s_h));
    /* An ISO-2 ServiceDiscoveryReq with the session's ID: the DIN decoder stops on ISO-2's
     * grammar. */
    static struct exi_iso2_document q;
    memset(&q, 0, sizeof q);
    q.V2G_Message_isUsed = true;
    q.V2G_Message.Header.SessionID.bytesLen = 8;
    memcpy(q.V2G_Message.Header.SessionID.bytes, s_ids[0], 8);
    q.V2G_Message.Body.ServiceDiscoveryReq_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso2_encode(&w, &q), HAL_OK);
    seen.calls = 0;
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &evse, status_hook, &seen, s_out, sizeof s_out, &out,
                                &res, 20),
                     HAL_EPROTO);
    assert_int_equal(res.error, HLC_ERR_DECODE);
    assert_int_equal(out, 0);
    assert_int_equal(seen.calls, 0); /* nothing was asked of the charger */
    assert_true(res.failed);
    assert_string_equal(res.reason, "undecodable DIN 70121 message");
    assert_true(hlc_over(&s_h));
    /* Once over, more garbage is not a second failure. */
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    memcpy(s_in, junk, sizeof junk);
    (void)hlc_handle(&s_h, s_in, sizeof junk, &evse, status_hook, &seen, s_out, sizeof s_out, &out, &res, 30);
    assert_false(res.failed);
    assert_int_equal(out, 0);
}

/* Before a session was started there is nothing to fail. */
static void test_din_fail_before_start_is_nothing(void **state)
{
    (void)state;
    struct din_evse m;
    memset(&m, 0, sizeof m);
    din_evse_fail(&m);
    assert_int_equal(din_evse_phase(&m), DIN_EVSE_IDLE);
    assert_false(din_evse_over(&m));
}

static void test_din_status_translation(void **state)
{
    (void)state;
    struct hlc_evse e;
    struct din_evse_status st;
    memset(&e, 0, sizeof e);
    e.isolation = HLC_ISOLATION_WARNING;
    e.status = HLC_EVSE_SHUTDOWN;
    e.notification = HLC_NOTIFY_STOP_CHARGING;
    e.notification_max_delay_s = 10;
    e.authorization = HLC_PROCESSING_FAILED;
    e.charge_parameters = HLC_PROCESSING_FINISHED;
    e.cable_check = HLC_PROCESSING_FAILED;
    e.schedule.count = 1;
    e.schedule.entry[0].pmax_w = 22000;
    hlc_din_status(&e, &st);
    assert_int_equal(st.isolation, exi_din_isolationLevelType_Warning);
    assert_int_equal(st.status_code, exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown);
    assert_int_equal(st.notification, exi_din_EVSENotificationType_StopCharging);
    assert_false(st.dc.auth_done);
    assert_true(st.dc.auth_rejected);
    assert_true(st.dc.power_ready);
    assert_true(st.dc.cable_check_done);
    assert_true(st.dc.cable_check_failed);
    assert_int_equal(st.pmax_w, 22000);
    e.cable_check = HLC_PROCESSING_ONGOING;
    e.authorization = HLC_PROCESSING_FINISHED;
    e.schedule.count = 0;
    hlc_din_status(&e, &st);
    assert_false(st.dc.cable_check_done);
    assert_true(st.dc.auth_done);
    assert_int_equal(st.pmax_w, 0);
    /* The zero value is "not ready", as an unfilled DIN status was. */
    assert_int_equal(hlc_din_status_code(HLC_EVSE_NOT_READY), exi_din_DC_EVSEStatusCodeType_EVSE_NotReady);
    assert_int_equal(hlc_din_status_code(HLC_EVSE_EMERGENCY_SHUTDOWN),
                     exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hlc_msg_name(HLC_MSG_CURRENT_DEMAND), "current_demand");
    assert_string_equal(hlc_msg_name(HLC_MSG_COUNT), "?");
    assert_string_equal(hlc_error_name(HLC_ERR_NO_PROTOCOL), "no common protocol");
    assert_string_equal(hlc_ev_error_name(HLC_EV_ERR_NONE), "none");
    for (int m = 0; m < HLC_MSG_COUNT; m++) {
        assert_non_null(hlc_msg_name((enum hlc_msg)m));
    }
    for (int e = 0; e < HLC_ERR_COUNT; e++) {
        assert_non_null(hlc_error_name((enum hlc_error)e));
    }
    for (int e = 0; e < HLC_EV_ERR_COUNT; e++) {
        assert_non_null(hlc_ev_error_name((enum hlc_ev_error)e));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_protocols, setup),
        cmocka_unit_test_setup(test_init_refuses_empty_list, setup),
        cmocka_unit_test_setup(test_handshake_picks_din, setup),
        cmocka_unit_test_setup(test_refuse_handshake_mid_session, setup),
        cmocka_unit_test_setup(test_default_list_follows_ev_priority, setup),
        cmocka_unit_test_setup(test_handshake_no_common_protocol, setup),
        cmocka_unit_test_setup(test_handshake_undecodable, setup),
        cmocka_unit_test_setup(test_session_id_never_zero, setup),
        cmocka_unit_test_setup(test_session_id_failure, setup),
        cmocka_unit_test_setup(test_session_setup_through_the_entry_point, setup),
        cmocka_unit_test_setup(test_din_undecodable_ends_the_session, setup),
        cmocka_unit_test_setup(test_din_fail_before_start_is_nothing, setup),
        cmocka_unit_test_setup(test_din_status_translation, setup),
        cmocka_unit_test_setup(test_names, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
