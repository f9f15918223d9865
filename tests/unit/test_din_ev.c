/* Unit tests of the DIN 70121 EV machine, alone and talking to the EVSE machine in
 * memory through encode/decode: whole sessions from SupportedAppProtocol to SessionStop,
 * the profiles (Tesla, Ioniq), EV timers, EVSE stop, negative answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apphand/apphand.h"
#include "din/din_ev.h"
#include "din/din_evse.h"

static struct din_ev s_ev;
static struct din_evse s_se;
static struct exi_din_document s_req, s_res;
static struct exi_apphand_document s_areq, s_ares;
static uint8_t s_tx[2048], s_rx[2048];

/* The in-memory charger: a plant that follows the EV, and what we saw on the wire. */
struct bench {
    uint32_t now;
    bool negotiated;
    bool negotiation_failed;
    struct din_session_id sid;
    struct din_evse_status st;
    uint32_t cable_check_start, auth_start;
    bool cable_started, auth_started;
    uint32_t auth_after_ms, cable_after_ms;
    bool cpd_ongoing_once;
    uint32_t seen[DIN_MSG_COUNT];
    size_t last_len;
    uint8_t last_tail;
    size_t last_encoded_len;
    uint32_t cd_count, stop_after_cd;
    bool evse_stop_after;   /* the EVSE asks to stop instead of the EV */
    bool drop_responses;    /* the charger goes silent */
    enum din_msg fail_msg;  /* answer this request with a wrong session on our side */
};

static struct bench B;

static void bench_init(void)
{
    memset(&B, 0, sizeof B);
    static const uint8_t id[8] = {0x00, 0x00, 0x00, 0x00, 0x00, 0xEB, 0x9E, 0x17};
    memcpy(B.sid.bytes, id, 8);
    B.sid.len = 8;
    B.st.dc.max_voltage_mv = 500000;
    B.st.dc.max_current_ma = 200000;
    B.st.dc.max_power_w = 100000;
    B.st.dc.min_voltage_mv = 50000;
    B.st.dc.current_regulation_tolerance_ma = -1;
    B.st.dc.peak_current_ripple_ma = 5000;
    B.st.dc.energy_to_deliver_wh = -1;
    B.st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Ready;
    B.st.dc.power_ready = true;
    B.auth_after_ms = 300;
    B.cable_after_ms = 1000;
    B.stop_after_cd = 20;
}

/* One request from the EV, answered by the EVSE machine; returns false when no answer. */
static bool charger_answer(const uint8_t *in, size_t n, size_t *out_len)
{
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, in, n);
    exi_writer_init(&w, s_rx, sizeof s_rx);
    if (!B.negotiated) {
        assert_int_equal(exi_apphand_decode(&r, &s_areq), HAL_OK);
        static const struct apphand_protocol ours[] = {{APPHAND_NS_DIN, 2, 0}};
        int chosen = -1;
        assert_int_equal(apphand_select(&s_areq, ours, 1, &s_ares, &chosen), HAL_OK);
        assert_int_equal(exi_apphand_encode(&w, &s_ares), HAL_OK);
        if (chosen < 0) {
            B.negotiation_failed = true;
        } else {
            struct din_evse_config cfg;
            din_evse_default_config(&cfg);
            cfg.ongoing_timeout_ms = 120000; /* let the EV's own timer act first */
            assert_int_equal(din_evse_start(&s_se, &cfg, &B.sid, B.now), HAL_OK);
            B.negotiated = true;
        }
        *out_len = exi_writer_len(&w);
        return true;
    }
    assert_int_equal(exi_din_decode(&r, &s_req), HAL_OK);
    assert_true(r.bit <= 8 * n);
    B.last_encoded_len = (r.bit + 7) / 8;
    enum din_msg k = din_request_kind(&s_req);
    B.seen[k]++;
    /* the plant */
    const struct din_evse_ev *ev = din_evse_ev(&s_se);
    if (k == DIN_MSG_CONTRACT_AUTH && !B.auth_started) {
        B.auth_started = true;
        B.auth_start = B.now;
    }
    B.st.dc.auth_done = B.auth_started && B.now - B.auth_start >= B.auth_after_ms;
    if (k == DIN_MSG_CHARGE_PARAMETER && B.cpd_ongoing_once) {
        B.st.dc.power_ready = B.seen[k] > 1;
    }
    if (k == DIN_MSG_CABLE_CHECK && !B.cable_started) {
        B.cable_started = true;
        B.cable_check_start = B.now;
    }
    B.st.dc.cable_check_done = B.cable_started && B.now - B.cable_check_start >= B.cable_after_ms;
    B.st.isolation = B.st.dc.cable_check_done ? exi_din_isolationLevelType_Valid : exi_din_isolationLevelType_Invalid;
    if (k == DIN_MSG_PRECHARGE) {
        B.st.dc.present_voltage_mv = ev->dc.target_voltage_mv; /* reaches last target by now */
    }
    if (k == DIN_MSG_CURRENT_DEMAND) {
        B.cd_count++;
        B.st.dc.present_current_ma = ev->dc.target_current_ma;
        if (B.evse_stop_after && B.cd_count >= B.stop_after_cd) {
            B.st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown;
            B.st.notification = exi_din_EVSENotificationType_StopCharging;
        }
    }
    if (k == DIN_MSG_WELDING_DETECTION) {
        B.st.dc.present_voltage_mv /= 4;
        B.st.dc.present_current_ma = 0;
    }
    struct din_evse_request out;
    assert_int_equal(din_evse_handle(&s_se, &s_req, &B.st, &s_res, &out, B.now), HAL_OK);
    if (k == DIN_MSG_PRECHARGE) {
        B.st.dc.present_voltage_mv = out.ev.dc.target_voltage_mv;
    }
    if (k == B.fail_msg && k != DIN_MSG_NONE) {
        s_res.V2G_Message.Header.SessionID.bytes[0] ^= 0x55;
    }
    assert_int_equal(exi_din_encode(&w, &s_res), HAL_OK);
    *out_len = exi_writer_len(&w);
    return !B.drop_responses;
}

/* Run until the EV is over or @p until_ms; the charger answers after 5 ms. */
static void run(uint32_t until_ms)
{
    for (int guard = 0; guard < 200000; guard++) {
        if (din_ev_state(&s_ev) == DIN_EV_DONE || din_ev_state(&s_ev) == DIN_EV_FAILED ||
            B.negotiation_failed) {
            if (!B.negotiation_failed) {
                return;
            }
        }
        size_t n = 0;
        int rc = din_ev_next(&s_ev, B.now, s_tx, sizeof s_tx, &n);
        if (rc == HAL_ESTATE || rc == HAL_ETIMEDOUT) {
            return;
        }
        if (rc == HAL_OK) {
            B.last_len = n;
            B.last_tail = s_tx[n - 1];
            size_t rn = 0;
            bool answered = charger_answer(s_tx, n, &rn);
            if (answered) {
                B.now += 5;
                int rrc = din_ev_receive(&s_ev, s_rx, rn, B.now);
                if (rrc != HAL_OK) {
                    return;
                }
            }
            continue;
        }
        assert_int_equal(rc, HAL_EAGAIN);
        uint32_t d = din_ev_deadline(&s_ev);
        B.now = (int32_t)(d - B.now) > 0 ? d : B.now + 1;
        if ((int32_t)(B.now - until_ms) > 0) {
            return;
        }
    }
    fail_msg("run: no progress");
}

static void ev_start(enum din_ev_profile p)
{
    struct din_ev_config cfg;
    din_ev_default_config(&cfg);
    din_ev_profile(&cfg, p);
    assert_int_equal(din_ev_start(&s_ev, &cfg, B.now), HAL_OK);
}

/* Model hook: the EV's battery says "complete" after stop_after_cd cycles. Done by
 * stepping the session in two parts. */
static void run_until_cd_then_complete(uint32_t until_ms)
{
    for (int i = 0; i < 400 && din_ev_state(&s_ev) != DIN_EV_DONE && din_ev_state(&s_ev) != DIN_EV_FAILED; i++) {
        uint32_t stop_at = B.now + 50;
        run(stop_at);
        if (B.cd_count >= B.stop_after_cd) {
            s_ev.model.charging_complete = true;
            s_ev.model.target_current_ma = 0;
        }
        if ((int32_t)(B.now - until_ms) > 0) {
            break;
        }
    }
}

static void test_whole_session_in_memory(void **state)
{
    (void)state;
    bench_init();
    B.cpd_ongoing_once = true;
    ev_start(DIN_EV_PROFILE_STANDARD);
    run_until_cd_then_complete(120000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_STOPPED);
    assert_string_equal(din_ev_reason(&s_ev), "EV stopped");
    /* every request was seen, the loops looped */
    assert_int_equal(B.seen[DIN_MSG_SESSION_SETUP], 1);
    assert_int_equal(B.seen[DIN_MSG_SERVICE_DISCOVERY], 1);
    assert_int_equal(B.seen[DIN_MSG_PAYMENT_SELECTION], 1);
    assert_true(B.seen[DIN_MSG_CONTRACT_AUTH] >= 3);   /* 300 ms of Ongoing at 100 ms pacing */
    assert_int_equal(B.seen[DIN_MSG_CHARGE_PARAMETER], 2);
    assert_true(B.seen[DIN_MSG_CABLE_CHECK] >= 9);      /* 1 s of Ongoing */
    assert_true(B.seen[DIN_MSG_PRECHARGE] >= 2);
    assert_int_equal(B.seen[DIN_MSG_POWER_DELIVERY], 2);
    assert_true(B.seen[DIN_MSG_CURRENT_DEMAND] >= 20);
    assert_true(B.seen[DIN_MSG_WELDING_DETECTION] >= 2);
    assert_int_equal(B.seen[DIN_MSG_SESSION_STOP], 1);
    /* the EV echoed the 8-byte ID with its leading zeros; the EVSE saw its values */
    assert_true(din_session_id_equal(&s_ev.id, &B.sid));
    assert_int_equal(din_evse_ev(&s_se)->dc.max_voltage_mv, 420000);
    assert_int_equal(din_evse_ev(&s_se)->evccid_len, 6);
    assert_int_equal(din_ev_evse(&s_ev)->max_current_ma, 200000);
    assert_int_equal(din_ev_evse(&s_ev)->present_current_ma, 100000);
    assert_false(din_ev_actions(&s_ev)->cp_c);
    assert_false(din_ev_actions(&s_ev)->contactors);
    assert_int_equal(din_evse_stats(&s_se)->failed, 0);
    assert_int_equal(din_ev_next(&s_ev, B.now, s_tx, sizeof s_tx, &B.last_len), HAL_ESTATE);
}

/* The EV's physical actions follow the sequence. */
static void test_actions_follow_sequence(void **state)
{
    (void)state;
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    while (din_ev_state(&s_ev) != DIN_EV_CABLE_CHECK) {
        run(B.now + 1);
        assert_false(din_ev_actions(&s_ev)->contactors);
    }
    assert_true(din_ev_actions(&s_ev)->cp_c);
    while (din_ev_state(&s_ev) != DIN_EV_POWER_ON) {
        run(B.now + 1);
    }
    assert_true(din_ev_actions(&s_ev)->contactors); /* closed before PowerDeliveryReq(start) */
    while (din_ev_state(&s_ev) != DIN_EV_CURRENT_DEMAND) {
        run(B.now + 1);
    }
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_POWER_DELIVERY);
}

/* Tesla: vendor namespace first, a trailing byte after ContractAuthenticationReq, no
 * optional CPD fields, and an inlet that never sees the voltage: SessionStop from
 * pre-charge after 12 s, which the EVSE accepts. */
static void test_tesla_profile_stops_in_precharge(void **state)
{
    (void)state;
    bench_init();
    ev_start(DIN_EV_PROFILE_TESLA);
    s_ev.model.inlet_voltage_mv = 0;
    while (din_ev_state(&s_ev) != DIN_EV_CHARGE_PARAMETER) {
        run(B.now + 1);
        if (B.seen[DIN_MSG_CONTRACT_AUTH] > 0 && din_ev_state(&s_ev) == DIN_EV_CONTRACT_AUTH) {
            assert_int_equal(B.last_tail, 0x00);
            assert_int_equal(B.last_len, B.last_encoded_len + 1);
        }
    }
    assert_int_equal(s_ev.chosen_offer, 1); /* the DIN entry, not Tesla's */
    run(B.now + 1);
    assert_int_equal(B.last_len, B.last_encoded_len); /* no trailing byte on CPD */
    assert_false(s_req.V2G_Message.Body.ChargeParameterDiscoveryReq.DC_EVChargeParameter.EVMaximumPowerLimit_isUsed);
    assert_false(s_req.V2G_Message.Body.ChargeParameterDiscoveryReq.DC_EVChargeParameter.FullSOC_isUsed);
    run(B.now + 60000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
    assert_string_equal(din_ev_reason(&s_ev), "pre-charge timeout: stopped");
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_STOPPED);
    assert_int_equal(B.seen[DIN_MSG_POWER_DELIVERY], 0);
    assert_true(B.seen[DIN_MSG_PRECHARGE] > 100); /* 12 s at ~23 ms */
}

/* The standard EV gives up pre-charge after 7 s and fails (no SessionStop). */
static void test_precharge_timeout(void **state)
{
    (void)state;
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    s_ev.model.inlet_voltage_mv = 0;
    run(B.now + 60000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "pre-charge timeout");
    assert_true(B.seen[DIN_MSG_PRECHARGE] >= 60 && B.seen[DIN_MSG_PRECHARGE] <= 75);
}

/* Ioniq profile: long pause before the first message, ServiceCategory, no welding. */
static void test_ioniq_profile(void **state)
{
    (void)state;
    bench_init();
    B.now = 1000;
    ev_start(DIN_EV_PROFILE_IONIQ);
    size_t n;
    assert_int_equal(din_ev_next(&s_ev, 4999, s_tx, sizeof s_tx, &n), HAL_EAGAIN);
    assert_int_equal(din_ev_deadline(&s_ev), 5000u);
    run_until_cd_then_complete(200000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
    assert_int_equal(B.seen[DIN_MSG_WELDING_DETECTION], 0);
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_STOPPED);
}

/* Polestar: one-byte zero SessionID in SessionSetupReq, DIN + ISO-2 offered. */
static void test_polestar_profile(void **state)
{
    (void)state;
    bench_init();
    ev_start(DIN_EV_PROFILE_POLESTAR);
    while (B.seen[DIN_MSG_SESSION_SETUP] == 0) {
        run(B.now + 1);
    }
    assert_int_equal(s_req.V2G_Message.Header.SessionID.bytesLen, 1);
    assert_int_equal(s_areq.supportedAppProtocolReq.AppProtocol.arrayLen, 2);
    run_until_cd_then_complete(200000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
}

/* The EVSE stops (Shutdown + StopCharging): the EV ends with PowerDelivery(false). */
static void test_evse_initiated_stop(void **state)
{
    (void)state;
    bench_init();
    B.evse_stop_after = true;
    B.stop_after_cd = 5;
    ev_start(DIN_EV_PROFILE_STANDARD);
    run(120000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
    assert_string_equal(din_ev_reason(&s_ev), "EVSE asked to stop");
    assert_true(din_ev_evse_stopped(&s_ev)); /* the charger's stop, not the car's */
    assert_int_equal(B.seen[DIN_MSG_CURRENT_DEMAND], 5);
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_STOPPED);
}

/* The welding check ends when the EVSE's voltage is below 40 V, unless the car's own
 * check is still running (model.welding_pending, the Josev lab car: four rounds at 0 V):
 * then it keeps asking, up to welding_max_rounds. */
static void test_welding_follows_the_cars_check(void **state)
{
    (void)state;
    for (int pending = 0; pending <= 1; pending++) {
        bench_init();
        ev_start(DIN_EV_PROFILE_STANDARD);
        while (din_ev_state(&s_ev) != DIN_EV_WELDING && din_ev_state(&s_ev) != DIN_EV_DONE) {
            run_until_cd_then_complete(B.now + 50);
        }
        assert_int_equal(din_ev_state(&s_ev), DIN_EV_WELDING);
        uint32_t before = B.seen[DIN_MSG_WELDING_DETECTION];
        s_ev.model.welding_pending = pending;
        run(B.now + 60000);
        assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
        assert_false(din_ev_evse_stopped(&s_ev)); /* the car's own stop */
        if (pending) {
            assert_int_equal(B.seen[DIN_MSG_WELDING_DETECTION], s_ev.cfg.welding_max_rounds);
        } else {
            assert_true(B.seen[DIN_MSG_WELDING_DETECTION] < s_ev.cfg.welding_max_rounds);
            assert_true(B.seen[DIN_MSG_WELDING_DETECTION] >= before);
        }
    }
}

static void test_ev_response_timeouts(void **state)
{
    (void)state;
    /* a silent charger: 2 s for an ordinary request */
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    B.drop_responses = true;
    run(60000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "response timeout");
    assert_false(din_ev_evse_stopped(&s_ev)); /* a silent charger said nothing */
    assert_int_equal(B.now - s_ev.clk.sent_ms, 2000u);
    assert_int_equal(s_ev.sent, DIN_MSG_SESSION_SETUP);
    /* 250 ms for CurrentDemand */
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    while (B.seen[DIN_MSG_CURRENT_DEMAND] == 0) {
        run(B.now + 1);
    }
    B.drop_responses = true;
    run(B.now + 5000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_int_equal(B.now - s_ev.clk.sent_ms, 250u);
    /* communication setup: 20 s from start to SessionSetupRes */
    struct din_ev_config cfg;
    din_ev_default_config(&cfg);
    cfg.start_delay_ms = 25000;
    assert_int_equal(din_ev_start(&s_ev, &cfg, 0), HAL_OK);
    size_t n;
    assert_int_equal(din_ev_next(&s_ev, 19999, s_tx, sizeof s_tx, &n), HAL_EAGAIN);
    assert_int_equal(din_ev_next(&s_ev, 20000, s_tx, sizeof s_tx, &n), HAL_ETIMEDOUT);
    assert_string_equal(din_ev_reason(&s_ev), "communication setup timeout");
}

/* Authorisation never comes: the EV gives up after its 60 s ongoing timer. Cable check
 * never finishes: 40 s. */
static void test_ev_ongoing_timers(void **state)
{
    (void)state;
    bench_init();
    B.auth_after_ms = 1000000;
    ev_start(DIN_EV_PROFILE_STANDARD);
    run(200000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "ongoing timeout");
    assert_true(B.now - s_ev.clk.loop_since_ms >= 60000 && B.now - s_ev.clk.loop_since_ms < 60200);
    bench_init();
    B.cable_after_ms = 1000000;
    ev_start(DIN_EV_PROFILE_STANDARD);
    run(200000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "cable check timeout");
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_CABLE_CHECK);
}

/* Negative or foreign answers end the EV's session. */
static void test_ev_rejects_bad_answers(void **state)
{
    (void)state;
    /* a charger that knows only a vendor protocol */
    bench_init();
    struct din_ev_config cfg;
    din_ev_default_config(&cfg);
    cfg.offers[0] = (struct apphand_offer){APPHAND_NS_TESLA, 1, 0, 1, 1};
    assert_int_equal(din_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(10000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "no protocol negotiated");
    /* the SessionID changes under the EV */
    bench_init();
    B.fail_msg = DIN_MSG_PAYMENT_SELECTION;
    ev_start(DIN_EV_PROFILE_STANDARD);
    run(10000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "SessionID changed");
    assert_false(din_ev_evse_stopped(&s_ev)); /* a protocol error, not the charger's verdict */
    /* a FAILED answer: the EV sends CPD while the EVSE still authorises (forced) */
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    while (din_ev_state(&s_ev) != DIN_EV_CONTRACT_AUTH) {
        run(B.now + 1);
    }
    s_ev.state = DIN_EV_CHARGE_PARAMETER;
    run(B.now + 5000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    assert_string_equal(din_ev_reason(&s_ev), "negative response");
    assert_true(din_ev_evse_stopped(&s_ev)); /* FAILED_SequenceError: the charger ended it */
    assert_int_equal(s_ev.evse_code, exi_din_responseCodeType_FAILED_SequenceError);
    assert_int_equal(din_evse_phase(&s_se), DIN_EVSE_FAILED);
    /* garbage and unsolicited answers */
    bench_init();
    ev_start(DIN_EV_PROFILE_STANDARD);
    static const uint8_t junk[] = {0x80, 0xFF, 0xFF};
    assert_int_equal(din_ev_receive(&s_ev, junk, sizeof junk, 0), HAL_ESTATE);
    size_t n;
    assert_int_equal(din_ev_next(&s_ev, 0, s_tx, sizeof s_tx, &n), HAL_OK);
    assert_int_equal(din_ev_next(&s_ev, 1, s_tx, 4, &n), HAL_EAGAIN); /* one request at a time */
    assert_int_equal(din_ev_receive(&s_ev, junk, sizeof junk, 2), HAL_EPROTO);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_FAILED);
    /* configuration checks */
    din_ev_default_config(&cfg);
    cfg.n_offers = 0;
    assert_int_equal(din_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    assert_string_equal(din_ev_state_name(DIN_EV_CURRENT_DEMAND), "current_demand");
}

/* The EV echoes a 4-byte SessionID byte for byte (Tesla Supercharger style). */
static void test_ev_echoes_short_session_id(void **state)
{
    (void)state;
    bench_init();
    static const uint8_t four[4] = {0x06, 0xef, 0x00, 0x71};
    memcpy(B.sid.bytes, four, 4);
    B.sid.len = 4;
    ev_start(DIN_EV_PROFILE_STANDARD);
    while (B.seen[DIN_MSG_SERVICE_DISCOVERY] == 0) {
        run(B.now + 1);
    }
    assert_int_equal(s_req.V2G_Message.Header.SessionID.bytesLen, 4);
    assert_memory_equal(s_req.V2G_Message.Header.SessionID.bytes, four, 4);
    run_until_cd_then_complete(120000);
    assert_int_equal(din_ev_state(&s_ev), DIN_EV_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_session_in_memory),
        cmocka_unit_test(test_actions_follow_sequence),
        cmocka_unit_test(test_tesla_profile_stops_in_precharge),
        cmocka_unit_test(test_precharge_timeout),
        cmocka_unit_test(test_ioniq_profile),
        cmocka_unit_test(test_polestar_profile),
        cmocka_unit_test(test_evse_initiated_stop),
        cmocka_unit_test(test_welding_follows_the_cars_check),
        cmocka_unit_test(test_ev_response_timeouts),
        cmocka_unit_test(test_ev_ongoing_timers),
        cmocka_unit_test(test_ev_rejects_bad_answers),
        cmocka_unit_test(test_ev_echoes_short_session_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
