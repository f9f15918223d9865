/* Unit tests of the fault-scenario table's protocol parts (board/sim/faults.c, issues 14
 * and 16): every DIN row has an ISO-2 and an ISO-20 twin with the same expected verdicts
 * unless it says why not, the car and charger a scenario runs with, and the EV side of the
 * harness in ISO-2 and -20: the requests it changes and the answers it reads, in the
 * protocol the charger negotiated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "charger_priv.h"
#include "exi/exi_stream.h"
#include "faults.h"

static struct faults_run s_run;
static struct charger s_charger;
static struct exi_iso2_document s_q;
static struct exi_din_document s_d;
static uint8_t s_in[1024];

/* ---------------------------------------------------------------- the table */

static char *list_all(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    faults_list(f);
    fclose(f);
    return buf;
}

/* The kinds the harness carries out by changing the car's request on the wire. */
static bool rewrites(enum faults_kind k)
{
    return k == FAULTS_EV_SEQUENCE || k == FAULTS_EV_SESSION_ID || k == FAULTS_EV_TARGET_V ||
           k == FAULTS_EV_TARGET_I || k == FAULTS_EV_ERROR || k == FAULTS_EV_NOT_READY ||
           k == FAULTS_EV_DIN_AFTER_ISO2 || k == FAULTS_EV_STOP_EARLY;
}

static void test_every_din_row_has_an_iso2_twin_or_a_reason(void **state)
{
    (void)state;
    char *all = list_all();
    unsigned din = 0, twins = 0, bad = 0, only = 0, twins20 = 0, no20 = 0, bad20 = 0, huawei = 0;
    for (char *save = NULL, *n = strtok_r(all, "\n", &save); n != NULL; n = strtok_r(NULL, "\n", &save)) {
        const struct faults_scenario *sc = faults_find(n);
        assert_non_null(sc);
        if (strncmp(n, "iso20/", 6) == 0) {
            assert_int_equal(sc->proto, FAULTS_PROTO_ISO20);
            assert_null(sc->no_iso20);
            bad20 += strncmp(n + 6, "bad-", 4) == 0 ? 1u : 0u;
            continue;
        }
        if (strncmp(n, "huawei/", 7) == 0) {
            /* issue 21: the Huawei unit's own faults, DIN with --psu huawei; no twins (the
             * unit's faults meet every protocol the same way below the charger) */
            assert_int_equal(sc->proto, FAULTS_PROTO_DIN);
            assert_true((sc->flags & FAULTS_F_HUAWEI) != 0);
            assert_true(sc->kind >= FAULTS_HW_LINK_DROP && sc->kind < FAULTS_KIND_COUNT);
            huawei++;
            continue;
        }
        if (strncmp(n, "iso2/", 5) == 0) {
            assert_int_equal(sc->proto, FAULTS_PROTO_ISO2);
            bad += strncmp(n + 5, "bad-", 4) == 0 ? 1u : 0u;
            continue;
        }
        din++;
        assert_int_equal(sc->proto, FAULTS_PROTO_DIN);
        char twin[96];
        snprintf(twin, sizeof twin, "iso20/%s", n);
        const struct faults_scenario *t20 = faults_find(twin);
        if (sc->no_iso20 != NULL) {
            assert_null(t20); /* listed in docs/faults.md with its reason, never run */
            assert_true(strlen(sc->no_iso20) > 10);
            no20++;
        } else {
            assert_non_null(t20);
            twins20++;
            assert_int_equal(t20->kind, sc->kind);
            assert_int_equal(t20->at, sc->at);
            assert_int_equal(t20->delay_ms, sc->delay_ms);
            assert_int_equal(t20->arg, sc->arg);
            assert_int_equal(t20->stop, sc->stop);
            assert_int_equal(t20->ev, sc->ev);
            assert_int_equal(t20->flags, sc->flags);
            assert_string_equal(t20->what, sc->what);
            /* no -20 row needs the request rewriter that exists for DIN and ISO-2 only */
            assert_false(rewrites(t20->kind));
        }
        snprintf(twin, sizeof twin, "iso2/%s", n);
        const struct faults_scenario *t = faults_find(twin);
        if (sc->din_only != NULL) {
            assert_null(t); /* listed in docs/faults.md with its reason, never run */
            assert_true(strlen(sc->din_only) > 10);
            only++;
            continue;
        }
        assert_non_null(t);
        twins++;
        /* the same fault, struck at the same point, judged the same way */
        assert_int_equal(t->kind, sc->kind);
        assert_int_equal(t->at, sc->at);
        assert_int_equal(t->delay_ms, sc->delay_ms);
        assert_int_equal(t->arg, sc->arg);
        assert_int_equal(t->stop, sc->stop);
        assert_int_equal(t->ev, sc->ev);
        assert_int_equal(t->flags, sc->flags);
        assert_string_equal(t->what, sc->what);
    }
    free(all);
    assert_int_equal(din, 79); /* the table as it was, plus issue 23's four stop paths */
    assert_int_equal(only, 4);
    assert_int_equal(twins, 75);
    assert_int_equal(bad, 7);
    assert_int_equal(twins20, 42); /* issue 16: 79 - 37 rows with their reason */
    assert_int_equal(no20, 37);
    assert_int_equal(bad20, 8); /* issue 16's bad-input list: 4, then 4 more (wrong namespace, loop mode, detail, renegotiation) */
    assert_int_equal(huawei, 6);
    assert_null(faults_find("iso20/estop-link"));
    assert_null(faults_find("iso20/ev-wrong-sequence"));
    assert_null(faults_find("iso20/power-loss-random-1"));
    assert_non_null(faults_find("iso20/power-loss-charging"));
    assert_null(faults_find("iso2/estop-link"));
    assert_null(faults_find("iso2/config-corrupt"));
    assert_null(faults_find("iso2/no-such"));
}

static void test_bad_input_rows_assert_a_code_and_a_reason(void **state)
{
    (void)state;
    static const char *const names[] = {
        "iso2/bad-pause-in-cable-check", "iso2/bad-cd-before-power-delivery", "iso2/bad-unknown-tuple",
        "iso2/bad-profile-above-pmax",   "iso2/bad-iso2-after-din",           "iso2/bad-din-after-iso2",
        "iso2/bad-resume-unknown-id"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct faults_scenario *sc = faults_find(names[i]);
        assert_non_null(sc);
        assert_non_null(sc->code);
        /* [V2G2-756]: an unknown ID on resume gets a new session, not a stop: no reason */
        if (strcmp(names[i], "iso2/bad-resume-unknown-id") != 0) {
            assert_non_null(sc->reason);
        }
    }
    assert_string_equal(faults_find("iso2/bad-resume-unknown-id")->code, "OK_NewSessionEstablished");
    assert_string_equal(faults_find("iso2/bad-unknown-tuple")->code, "FAILED_TariffSelectionInvalid");
    assert_string_equal(faults_find("iso2/bad-cd-before-power-delivery")->code, "FAILED_SequenceError");

    /* -20 (issue 16): each of the car's rule-breaks with the spec sheet's code (N4, N9, N10) */
    static const char *const n20[][2] = {{"iso20/bad-wrong-control-mode", "FAILED"},
                                         {"iso20/bad-unoffered-service", "FAILED_NoEnergyTransferServiceSelected"},
                                         {"iso20/bad-renegotiate-in-cable-check", "FAILED_SequenceError"},
                                         {"iso20/bad-bpt-limits", "FAILED_WrongChargeParameter"}};
    for (size_t i = 0; i < sizeof n20 / sizeof n20[0]; i++) {
        const struct faults_scenario *sc = faults_find(n20[i][0]);
        assert_non_null(sc);
        assert_int_equal(sc->kind, FAULTS_EV_MISBEHAVE);
        assert_string_equal(sc->code, n20[i][1]);
        assert_non_null(sc->reason);
        assert_int_equal(sc->stop, CHARGER_STOP_V2G_PROTOCOL);
        assert_int_equal(sc->ev, FAULTS_EVR_EMERGENCY);
        assert_true(sc->flags & FAULTS_F_NO_POWER);
    }
    /* ... and the rest of the list: a service ID never offered in ServiceDetail (N3),
     * a service renegotiation during the cable check, a loop element of the other control
     * mode under load (power on: a safe stop with energy before it), a message of the
     * wrong namespace (nothing can answer it: no code, the reason names it). */
    static const char *const m20[][2] = {{"iso20/bad-unoffered-detail", "FAILED_ServiceIDInvalid"},
                                         {"iso20/bad-service-renegotiation-in-cable-check", "FAILED_SequenceError"},
                                         {"iso20/bad-wrong-loop-mode", "FAILED"},
                                         {"iso20/bad-wrong-namespace", "none"}};
    for (size_t i = 0; i < sizeof m20 / sizeof m20[0]; i++) {
        const struct faults_scenario *sc = faults_find(m20[i][0]);
        assert_non_null(sc);
        assert_int_equal(sc->kind, FAULTS_EV_MISBEHAVE);
        assert_string_equal(sc->code, m20[i][1]);
        assert_non_null(sc->reason);
        assert_int_equal(sc->stop, CHARGER_STOP_V2G_PROTOCOL);
        assert_int_equal(sc->ev, i < 3 ? FAULTS_EVR_EMERGENCY : FAULTS_EVR_NA);
        assert_true(sc->flags & (i == 2 ? FAULTS_F_CHARGED : FAULTS_F_NO_POWER));
    }
}

/* ---------------------------------------------------------------- car and charger */

static void test_configure_din_changes_nothing(void **state)
{
    (void)state;
    struct ev_model_config car, before;
    struct hlc_config hlc, hbefore;
    assert_int_equal(ev_model_profile_parse("standard", &car), HAL_OK);
    hlc_default_config(&hlc);
    before = car;
    hbefore = hlc;
    assert_int_equal(faults_configure(faults_find("estop-charging"), &car, &hlc), HAL_OK);
    assert_memory_equal(&car, &before, sizeof car);
    assert_memory_equal(&hlc, &hbefore, sizeof hlc);
}

static void test_configure_iso2(void **state)
{
    (void)state;
    struct ev_model_config car;
    struct hlc_config hlc;
    assert_int_equal(ev_model_profile_parse("standard", &car), HAL_OK);
    hlc_default_config(&hlc);
    assert_int_equal(faults_configure(faults_find("iso2/estop-charging"), &car, &hlc), HAL_OK);
    assert_int_equal(car.protocol, EV_MODEL_PROTO_ISO2);
    assert_int_equal(car.iso2.misbehave, ISO2_EV_MISBEHAVE_NONE);
    assert_int_equal(hlc.protocols.count, 2);
    assert_int_equal(hlc.protocols.list[0], HLC_PROTO_ISO2);
    assert_int_equal(hlc.protocols.list[1], HLC_PROTO_DIN);

    /* ISO-2 after DIN: a car offering both, a charger offering DIN only */
    assert_int_equal(faults_configure(faults_find("iso2/bad-iso2-after-din"), &car, &hlc), HAL_OK);
    assert_int_equal(car.protocol, EV_MODEL_PROTO_AUTO);
    assert_int_equal(car.iso2.misbehave, ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN);
    assert_int_equal(hlc.protocols.count, 1);
    assert_int_equal(hlc.protocols.list[0], HLC_PROTO_DIN);

    /* the resume needs a pause inside the scenarios' 20 s of charging */
    assert_int_equal(faults_configure(faults_find("iso2/bad-resume-unknown-id"), &car, NULL), HAL_OK);
    assert_int_equal(car.iso2.misbehave, ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID);
    assert_true(car.pause_after_ms > 0 && car.pause_after_ms < 20000u);
}

static void test_configure_iso20(void **state)
{
    (void)state;
    struct ev_model_config car;
    struct hlc_config hlc;
    assert_int_equal(ev_model_profile_parse("standard", &car), HAL_OK);
    hlc_default_config(&hlc);
    assert_int_equal(faults_configure(faults_find("iso20/estop-charging"), &car, &hlc), HAL_OK);
    assert_int_equal(car.protocol, EV_MODEL_PROTO_ISO20);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_NONE);
    assert_int_equal(hlc.protocols.count, 3);
    assert_int_equal(hlc.protocols.list[0], HLC_PROTO_ISO20);
    assert_int_equal(hlc.protocols.list[1], HLC_PROTO_ISO2);
    assert_int_equal(hlc.protocols.list[2], HLC_PROTO_DIN);

    assert_int_equal(faults_configure(faults_find("iso20/bad-bpt-limits"), &car, &hlc), HAL_OK);
    assert_int_equal(car.protocol, EV_MODEL_PROTO_ISO20);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_BPT_LIMITS);
    assert_int_equal(car.iso2.misbehave, ISO2_EV_MISBEHAVE_NONE); /* not the ISO-2 enum's slot */
    assert_int_equal(faults_configure(faults_find("iso20/bad-renegotiate-in-cable-check"), &car, NULL), HAL_OK);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_RENEGOTIATE_IN_CABLE_CHECK);
    assert_int_equal(faults_configure(faults_find("iso20/bad-wrong-namespace"), &car, NULL), HAL_OK);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_WRONG_NAMESPACE);
    assert_int_equal(faults_configure(faults_find("iso20/bad-wrong-loop-mode"), &car, NULL), HAL_OK);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_WRONG_LOOP_MODE);
    assert_int_equal(faults_configure(faults_find("iso20/bad-unoffered-detail"), &car, NULL), HAL_OK);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_UNOFFERED_DETAIL);
    assert_int_equal(faults_configure(faults_find("iso20/bad-service-renegotiation-in-cable-check"), &car, NULL),
                     HAL_OK);
    assert_int_equal(car.iso20.misbehave, ISO20_EV_MISBEHAVE_SERVICE_RENEGOTIATION_IN_CABLE_CHECK);
}

/* ---------------------------------------------------------------- the EV's side in ISO-2 */

static void start(const char *name, const struct hlc_backend_ops *negotiated)
{
    memset(&s_charger, 0, sizeof s_charger);
    s_charger.backend = &charger_backend_v2g; /* what charger_init picks with a link */
    s_charger.hlc.active = negotiated;        /* what the handshake would have set */
    struct faults_target t = {.charger = &s_charger};
    faults_setup(&s_run, faults_find(name), &t);
}

static size_t iso2_current_demand_req(void)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    s_q.V2G_Message.Header.SessionID.bytesLen = 8;
    for (uint8_t i = 0; i < 8; i++) {
        s_q.V2G_Message.Header.SessionID.bytes[i] = (uint8_t)(0x10 + i);
    }
    struct exi_iso2_CurrentDemandReqType *c = &s_q.V2G_Message.Body.CurrentDemandReq;
    s_q.V2G_Message.Body.CurrentDemandReq_isUsed = true;
    c->DC_EVStatus.EVReady = true;
    c->DC_EVStatus.EVRESSSOC = 42;
    c->EVTargetCurrent = (struct exi_iso2_PhysicalValueType){0, exi_iso2_unitSymbolType_A, 120};
    c->EVTargetVoltage = (struct exi_iso2_PhysicalValueType){0, exi_iso2_unitSymbolType_V, 380};
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso2_encode(&w, &s_q), HAL_OK);
    return exi_writer_len(&w);
}

static void decode_iso2(const uint8_t *p, uint32_t n)
{
    struct exi_reader r;
    exi_reader_init(&r, p, n);
    assert_int_equal(exi_iso2_decode(&r, &s_q), HAL_OK);
}

static void test_iso2_requests_are_changed_in_iso2(void **state)
{
    (void)state;
    const uint8_t *out;
    uint32_t out_len;
    size_t n = iso2_current_demand_req();

    start("iso2/ev-target-current", &hlc_iso2_ops);
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    assert_ptr_equal(out, s_in); /* not struck yet: untouched */
    s_run.mutate_active = true;
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    assert_ptr_not_equal(out, s_in);
    decode_iso2(out, out_len);
    assert_int_equal(s_q.V2G_Message.Body.CurrentDemandReq.EVTargetCurrent.Value, 3000);
    assert_int_equal(s_q.V2G_Message.Body.CurrentDemandReq.EVTargetVoltage.Value, 380);

    start("iso2/ev-wrong-session-id", &hlc_iso2_ops);
    s_run.mutate_active = true;
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    decode_iso2(out, out_len);
    assert_int_equal(s_q.V2G_Message.Header.SessionID.bytes[0], 0x10 ^ 0x5A);

    start("iso2/ev-wrong-sequence", &hlc_iso2_ops);
    s_run.mutate_active = true;
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    decode_iso2(out, out_len);
    assert_false(s_q.V2G_Message.Body.CurrentDemandReq_isUsed);
    assert_true(s_q.V2G_Message.Body.CableCheckReq_isUsed);
    assert_int_equal(s_q.V2G_Message.Body.CableCheckReq.DC_EVStatus.EVRESSSOC, 42);

    start("iso2/ev-not-ready", &hlc_iso2_ops);
    s_run.mutate_active = true;
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    decode_iso2(out, out_len);
    assert_false(s_q.V2G_Message.Body.CurrentDemandReq.DC_EVStatus.EVReady);
}

static void test_din_after_iso2_sends_one_din_twin(void **state)
{
    (void)state;
    const uint8_t *out;
    uint32_t out_len;
    size_t n = iso2_current_demand_req();
    start("iso2/bad-din-after-iso2", &hlc_iso2_ops);
    s_run.mutate_active = true;
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    assert_ptr_not_equal(out, s_in);
    struct exi_reader r;
    exi_reader_init(&r, out, out_len);
    assert_int_equal(exi_din_decode(&r, &s_d), HAL_OK);
    assert_true(s_d.V2G_Message.Body.CurrentDemandReq_isUsed);
    assert_int_equal(s_d.V2G_Message.Header.SessionID.bytesLen, 8);
    assert_int_equal(s_d.V2G_Message.Header.SessionID.bytes[7], 0x17);
    assert_int_equal(s_d.V2G_Message.Body.CurrentDemandReq.EVTargetCurrent.Value, 120);
    assert_int_equal(s_d.V2G_Message.Body.CurrentDemandReq.EVTargetVoltage.Value, 380);
    assert_int_equal(s_d.V2G_Message.Body.CurrentDemandReq.DC_EVStatus.EVRESSSOC, 42);
    /* once: the next request goes through as the car sent it */
    assert_false(s_run.mutate_active);
    n = iso2_current_demand_req();
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    assert_ptr_equal(out, s_in);
}

static size_t iso2_answer(uint8_t code, uint8_t status)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    s_q.V2G_Message.Header.SessionID.bytesLen = 8;
    s_q.V2G_Message.Body.CurrentDemandRes_isUsed = true;
    struct exi_iso2_CurrentDemandResType *c = &s_q.V2G_Message.Body.CurrentDemandRes;
    c->ResponseCode = code;
    c->DC_EVSEStatus.EVSEStatusCode = status;
    c->EVSEPresentVoltage = (struct exi_iso2_PhysicalValueType){0, exi_iso2_unitSymbolType_V, 380};
    c->EVSEPresentCurrent = (struct exi_iso2_PhysicalValueType){0, exi_iso2_unitSymbolType_A, 100};
    c->EVSEID.charactersLen = 1;
    c->EVSEID.characters[0] = 'Z';
    c->SAScheduleTupleID = 1;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso2_encode(&w, &s_q), HAL_OK);
    return exi_writer_len(&w);
}

static void test_iso2_answers_are_judged(void **state)
{
    (void)state;
    start("iso2/ev-wrong-sequence", &hlc_iso2_ops);
    size_t n = iso2_answer(exi_iso2_responseCodeType_OK, exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready);
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.evse_status, exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_NA); /* before the fault: not counted */
    s_run.fired = true;
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_NORMAL);
    assert_int_equal(s_run.code_seen, -1);
    n = iso2_answer(exi_iso2_responseCodeType_FAILED_SequenceError,
                    exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown);
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_EMERGENCY);
    assert_int_equal(s_run.code_seen, exi_iso2_responseCodeType_FAILED_SequenceError);
    assert_int_equal(s_run.code_proto, FAULTS_PROTO_ISO2);
    assert_int_equal(s_run.evse_status, exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown);

    /* EVSE_Shutdown alone is the graceful class */
    start("iso2/operator-stop", &hlc_iso2_ops);
    s_run.fired = true;
    n = iso2_answer(exi_iso2_responseCodeType_OK, exi_iso2_DC_EVSEStatusCodeType_EVSE_Shutdown);
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_SHUTDOWN);
}

/* ---------------------------------------------------------------- the EV's side in -20 */

static struct exi_iso20_dc_document s_dc;
static struct exi_iso20_document s_cm;

static size_t iso20_loop_answer(uint8_t code, bool terminate)
{
    memset(&s_dc, 0, sizeof s_dc);
    s_dc.DC_ChargeLoopRes_isUsed = true;
    struct exi_iso20_dc_DC_ChargeLoopResType *c = &s_dc.DC_ChargeLoopRes;
    c->Header.SessionID.bytesLen = 8;
    c->ResponseCode = code;
    c->EVSEStatus_isUsed = terminate;
    c->EVSEStatus.EVSENotification = exi_iso20_dc_evseNotificationType_Terminate;
    c->EVSEPresentCurrent.Value = 100;
    c->EVSEPresentVoltage.Value = 380;
    c->Scheduled_DC_CLResControlMode_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso20_dc_encode(&w, &s_dc), HAL_OK);
    return exi_writer_len(&w);
}

static size_t iso20_setup_answer(uint8_t code)
{
    memset(&s_cm, 0, sizeof s_cm);
    s_cm.SessionSetupRes_isUsed = true;
    s_cm.SessionSetupRes.Header.SessionID.bytesLen = 8;
    s_cm.SessionSetupRes.ResponseCode = code;
    s_cm.SessionSetupRes.EVSEID.charactersLen = 1;
    s_cm.SessionSetupRes.EVSEID.characters[0] = 'Z';
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso20_encode(&w, &s_cm), HAL_OK);
    return exi_writer_len(&w);
}

static void test_iso20_answers_are_judged(void **state)
{
    (void)state;
    start("iso20/bad-unoffered-service", &hlc_iso20_ops);
    s_run.fired = true;
    /* a new session's OK_NewSessionEstablished is no code after the fault */
    size_t n = iso20_setup_answer(exi_iso20_responseCodeType_OK_NewSessionEstablished);
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.code_seen, -1);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_NORMAL);
    /* the DC namespace is read as DC (payload type 0x8004) */
    n = iso20_loop_answer(exi_iso20_dc_responseCodeType_OK, false);
    faults_saw_response(&s_run, 0x8004u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_NORMAL);
    n = iso20_loop_answer(exi_iso20_dc_responseCodeType_OK, true);
    faults_saw_response(&s_run, 0x8004u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_SHUTDOWN); /* Terminate: the normal stop */
    assert_int_equal(s_run.code_seen, -1);
    n = iso20_loop_answer(exi_iso20_dc_responseCodeType_FAILED_SequenceError, false);
    faults_saw_response(&s_run, 0x8004u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_EMERGENCY); /* FAILED*: the emergency stop (N15) */
    assert_int_equal(s_run.code_seen, exi_iso20_dc_responseCodeType_FAILED_SequenceError);
    assert_int_equal(s_run.code_proto, FAULTS_PROTO_ISO20);
    /* the same bytes under the common payload type are nothing the EV could read */
    start("iso20/bad-unoffered-service", &hlc_iso20_ops);
    s_run.fired = true;
    faults_saw_response(&s_run, 0x8001u, s_in, (uint32_t)n);
    assert_int_equal(s_run.ev_worst, FAULTS_EVR_NA);
}

static void test_iso20_requests_pass_unchanged(void **state)
{
    (void)state;
    const uint8_t *out;
    uint32_t out_len;
    size_t n = iso20_setup_answer(exi_iso20_responseCodeType_OK);
    start("iso20/estop-charging", &hlc_iso20_ops);
    s_run.mutate_active = true; /* even so: no -20 rewriter */
    assert_true(faults_filter_request(&s_run, s_in, (uint32_t)n, &out, &out_len));
    assert_ptr_equal(out, s_in);
    assert_int_equal(out_len, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_din_row_has_an_iso2_twin_or_a_reason),
        cmocka_unit_test(test_bad_input_rows_assert_a_code_and_a_reason),
        cmocka_unit_test(test_configure_din_changes_nothing),
        cmocka_unit_test(test_configure_iso2),
        cmocka_unit_test(test_iso2_requests_are_changed_in_iso2),
        cmocka_unit_test(test_din_after_iso2_sends_one_din_twin),
        cmocka_unit_test(test_iso2_answers_are_judged),
        cmocka_unit_test(test_configure_iso20),
        cmocka_unit_test(test_iso20_answers_are_judged),
        cmocka_unit_test(test_iso20_requests_pass_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
