/* Unit tests of SupportedAppProtocol negotiation and of the DIN 70121 EVSE machine:
 * every message, every timer, wrong sequence, wrong session id, missing optional fields,
 * real vectors from the captures (hex inlined: no file I/O, these run on the target). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apphand/apphand.h"
#include "din/din_evse.h"

static struct exi_din_document s_q, s_r, s_chk;
static struct exi_apphand_document s_aq, s_ar;
static struct din_evse s_m;
static struct din_evse_status s_st;
static struct din_evse_request s_out;
static uint8_t s_buf[2048];
static const struct din_session_id s_sid = {{0x00, 0x00, 0x00, 0x00, 0x39, 0x77, 0xDD, 0xE7}, 8};

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (h[0] != '\0' && h[1] != '\0' && n < cap) {
        unsigned v = 0;
        for (int i = 0; i < 2; i++) {
            char c = h[i];
            v = v * 16u + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
        }
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static void status_ready(void)
{
    memset(&s_st, 0, sizeof s_st);
    s_st.dc.present_voltage_mv = 0;
    s_st.dc.max_voltage_mv = 500000;
    s_st.dc.max_current_ma = 200000;
    s_st.dc.max_power_w = 100000;
    s_st.dc.min_voltage_mv = 50000;
    s_st.dc.current_regulation_tolerance_ma = -1;
    s_st.dc.peak_current_ripple_ma = 5000;
    s_st.dc.energy_to_deliver_wh = -1;
    s_st.isolation = exi_din_isolationLevelType_Invalid;
    s_st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Ready;
    s_st.dc.auth_done = true;
    s_st.dc.power_ready = true;
}

static void start(void)
{
    struct din_evse_config cfg;
    din_evse_default_config(&cfg);
    assert_int_equal(din_evse_start(&s_m, &cfg, &s_sid, 0), HAL_OK);
    status_ready();
}

/* A request with our SessionID in the header. */
static void req(enum din_msg k)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    din_session_id_to_header(&s_q.V2G_Message.Header, &s_sid);
    struct exi_din_BodyType *b = &s_q.V2G_Message.Body;
    switch (k) {
    case DIN_MSG_SESSION_SETUP:
        memset(s_q.V2G_Message.Header.SessionID.bytes, 0, 8);
        b->SessionSetupReq_isUsed = true;
        b->SessionSetupReq.EVCCID.bytesLen = 6;
        memcpy(b->SessionSetupReq.EVCCID.bytes, "\x48\xC5\x8D\xB1\xE4\x3E", 6);
        break;
    case DIN_MSG_SERVICE_DISCOVERY: b->ServiceDiscoveryReq_isUsed = true; break;
    case DIN_MSG_PAYMENT_SELECTION:
        b->ServicePaymentSelectionReq_isUsed = true;
        b->ServicePaymentSelectionReq.SelectedPaymentOption = exi_din_paymentOptionType_ExternalPayment;
        b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
        b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
        break;
    case DIN_MSG_CONTRACT_AUTH: b->ContractAuthenticationReq_isUsed = true; break;
    case DIN_MSG_CHARGE_PARAMETER: {
        b->ChargeParameterDiscoveryReq_isUsed = true;
        struct exi_din_ChargeParameterDiscoveryReqType *q = &b->ChargeParameterDiscoveryReq;
        q->EVRequestedEnergyTransferType = exi_din_EVRequestedEnergyTransferType_DC_extended;
        q->DC_EVChargeParameter_isUsed = true;
        q->DC_EVChargeParameter.DC_EVStatus.EVRESSSOC = 55;
        din_pv_set(&q->DC_EVChargeParameter.EVMaximumCurrentLimit, 200000, exi_din_unitSymbolType_A);
        din_pv_set(&q->DC_EVChargeParameter.EVMaximumVoltageLimit, 412800, exi_din_unitSymbolType_V);
        break;
    }
    case DIN_MSG_CABLE_CHECK:
        b->CableCheckReq_isUsed = true;
        b->CableCheckReq.DC_EVStatus.EVReady = true;
        break;
    case DIN_MSG_PRECHARGE:
        b->PreChargeReq_isUsed = true;
        b->PreChargeReq.DC_EVStatus.EVReady = true;
        din_pv_set(&b->PreChargeReq.EVTargetVoltage, 344700, exi_din_unitSymbolType_V);
        din_pv_set(&b->PreChargeReq.EVTargetCurrent, 1000, exi_din_unitSymbolType_A);
        break;
    case DIN_MSG_POWER_DELIVERY:
        b->PowerDeliveryReq_isUsed = true;
        b->PowerDeliveryReq.ReadyToChargeState = true;
        b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed = true;
        b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus.EVReady = true;
        break;
    case DIN_MSG_CURRENT_DEMAND: {
        b->CurrentDemandReq_isUsed = true;
        struct exi_din_CurrentDemandReqType *q = &b->CurrentDemandReq;
        q->DC_EVStatus.EVReady = true;
        q->DC_EVStatus.EVRESSSOC = 60;
        din_pv_set(&q->EVTargetCurrent, 57000, exi_din_unitSymbolType_A);
        din_pv_set(&q->EVTargetVoltage, 412800, exi_din_unitSymbolType_V);
        break;
    }
    case DIN_MSG_WELDING_DETECTION: b->WeldingDetectionReq_isUsed = true; break;
    case DIN_MSG_SESSION_STOP: b->SessionStopReq_isUsed = true; break;
    default: b->ServiceDetailReq_isUsed = true; break;
    }
}

/* Handle the current request; the response must encode and decode back to the same
 * message and code, with our SessionID. Returns the ResponseCode. */
static uint8_t handle(uint32_t now)
{
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, now), HAL_OK);
    struct exi_writer w;
    exi_writer_init(&w, s_buf, sizeof s_buf);
    assert_int_equal(exi_din_encode(&w, &s_r), HAL_OK);
    struct exi_reader r;
    exi_reader_init(&r, s_buf, exi_writer_len(&w));
    assert_int_equal(exi_din_decode(&r, &s_chk), HAL_OK);
    assert_int_equal(din_response_kind(&s_chk), din_request_kind(&s_q));
    assert_int_equal(din_response_code(&s_chk), s_out.response_code);
    assert_int_equal(s_chk.V2G_Message.Header.SessionID.bytesLen, s_sid.len);
    assert_memory_equal(s_chk.V2G_Message.Header.SessionID.bytes, s_sid.bytes, s_sid.len);
    return s_out.response_code;
}

static uint8_t step(enum din_msg k, uint32_t now)
{
    req(k);
    return handle(now);
}

/* Drive a fresh session to the phase where @p k is next. */
static void reach(enum din_evse_phase p)
{
    start();
    static const enum din_msg seq[] = {DIN_MSG_SESSION_SETUP, DIN_MSG_SERVICE_DISCOVERY,
                                       DIN_MSG_PAYMENT_SELECTION, DIN_MSG_CONTRACT_AUTH,
                                       DIN_MSG_CHARGE_PARAMETER, DIN_MSG_CABLE_CHECK,
                                       DIN_MSG_PRECHARGE, DIN_MSG_POWER_DELIVERY,
                                       DIN_MSG_CURRENT_DEMAND};
    s_st.dc.cable_check_done = true;
    s_st.isolation = exi_din_isolationLevelType_Valid;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0] && din_evse_phase(&s_m) != p; i++) {
        assert_true(din_response_code_ok(step(seq[i], 100u * (uint32_t)i)));
    }
    assert_int_equal(din_evse_phase(&s_m), p);
    status_ready();
    s_st.isolation = exi_din_isolationLevelType_Valid;
}

/* ------------------------------------------------------------------ apphand */

static void add_proto(struct exi_apphand_document *d, const char *ns, uint32_t maj, uint32_t min,
                      uint8_t id, uint8_t prio)
{
    d->supportedAppProtocolReq_isUsed = true;
    struct exi_apphand_AppProtocolType *p =
        &d->supportedAppProtocolReq.AppProtocol.array[d->supportedAppProtocolReq.AppProtocol.arrayLen++];
    p->ProtocolNamespace.charactersLen = (uint16_t)strlen(ns);
    memcpy(p->ProtocolNamespace.characters, ns, strlen(ns));
    p->VersionNumberMajor = maj;
    p->VersionNumberMinor = min;
    p->SchemaID = id;
    p->Priority = prio;
}

static void test_apphand_select(void **state)
{
    (void)state;
    static const struct apphand_protocol din[] = {{APPHAND_NS_DIN, 2, 0}};
    static const struct apphand_protocol both[] = {{APPHAND_NS_DIN, 2, 0}, {APPHAND_NS_ISO2, 2, 0}};
    int chosen;
    /* Tesla: vendor namespace first (priority 1), DIN priority 2. */
    memset(&s_aq, 0, sizeof s_aq);
    add_proto(&s_aq, APPHAND_NS_TESLA, 1, 0, 1, 1);
    add_proto(&s_aq, APPHAND_NS_DIN, 2, 0, 2, 2);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(chosen, 0);
    assert_int_equal(s_ar.supportedAppProtocolRes.ResponseCode,
                     exi_apphand_responseCodeType_OK_SuccessfulNegotiation);
    assert_true(s_ar.supportedAppProtocolRes.SchemaID_isUsed);
    assert_int_equal(s_ar.supportedAppProtocolRes.SchemaID, 2);
    /* Vendor namespace only: Failed_NoNegotiation, no SchemaID, and it encodes. */
    memset(&s_aq, 0, sizeof s_aq);
    add_proto(&s_aq, APPHAND_NS_TESLA, 1, 0, 1, 1);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(chosen, -1);
    assert_int_equal(s_ar.supportedAppProtocolRes.ResponseCode,
                     exi_apphand_responseCodeType_Failed_NoNegotiation);
    assert_false(s_ar.supportedAppProtocolRes.SchemaID_isUsed);
    struct exi_writer w;
    exi_writer_init(&w, s_buf, sizeof s_buf);
    assert_int_equal(exi_apphand_encode(&w, &s_ar), HAL_OK);
    /* DIN with another major version does not match; another minor is a deviation. */
    memset(&s_aq, 0, sizeof s_aq);
    add_proto(&s_aq, APPHAND_NS_DIN, 3, 0, 1, 1);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(chosen, -1);
    memset(&s_aq, 0, sizeof s_aq);
    add_proto(&s_aq, APPHAND_NS_DIN, 2, 1, 7, 1);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(s_ar.supportedAppProtocolRes.ResponseCode,
                     exi_apphand_responseCodeType_OK_SuccessfulNegotiationWithMinorDeviation);
    assert_int_equal(s_ar.supportedAppProtocolRes.SchemaID, 7);
    /* With DIN and -2 in our table, the EV's priority decides. */
    memset(&s_aq, 0, sizeof s_aq);
    add_proto(&s_aq, APPHAND_NS_DIN, 2, 0, 1, 2);
    add_proto(&s_aq, APPHAND_NS_ISO2, 2, 0, 2, 1);
    assert_int_equal(apphand_select(&s_aq, both, 2, &s_ar, &chosen), HAL_OK);
    assert_int_equal(chosen, 1);
    assert_int_equal(s_ar.supportedAppProtocolRes.SchemaID, 2);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(chosen, 0);
    assert_int_equal(s_ar.supportedAppProtocolRes.SchemaID, 1);
    /* Not a request. */
    memset(&s_aq, 0, sizeof s_aq);
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_EINVAL);
}

/* The Model Y's real supportedAppProtocolReq (Tesla namespace first) and the Polestar's
 * (DIN and ISO 15118-2). */
static void test_apphand_real_vectors(void **state)
{
    (void)state;
    static const struct apphand_protocol din[] = {{APPHAND_NS_DIN, 2, 0}};
    static const char *const hex[] = {
        "8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040401b75726e3a7465736c613a"
        "64696e3a323031383a4d736744656600001c0100080",
        "8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040",
    };
    for (size_t i = 0; i < 2; i++) {
        uint8_t b[128];
        size_t n = unhex(hex[i], b, sizeof b);
        struct exi_reader r;
        exi_reader_init(&r, b, n);
        assert_int_equal(exi_apphand_decode(&r, &s_aq), HAL_OK);
        int chosen = -1;
        assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
        assert_int_equal(chosen, 0);
        assert_true(s_ar.supportedAppProtocolRes.ResponseCode <=
                    exi_apphand_responseCodeType_OK_SuccessfulNegotiationWithMinorDeviation);
    }
}

static void test_apphand_ev_side(void **state)
{
    (void)state;
    const struct apphand_offer offers[] = {{APPHAND_NS_TESLA, 1, 0, 1, 1}, {APPHAND_NS_DIN, 2, 0, 2, 2}};
    static const struct apphand_protocol din[] = {{APPHAND_NS_DIN, 2, 0}};
    assert_int_equal(apphand_offer_fill(&s_aq, offers, 2), HAL_OK);
    int chosen = -1;
    assert_int_equal(apphand_select(&s_aq, din, 1, &s_ar, &chosen), HAL_OK);
    assert_int_equal(apphand_result(&s_ar, offers, 2, &chosen), HAL_OK);
    assert_int_equal(chosen, 1);
    s_ar.supportedAppProtocolRes.ResponseCode = exi_apphand_responseCodeType_Failed_NoNegotiation;
    assert_int_equal(apphand_result(&s_ar, offers, 2, &chosen), HAL_EPROTO);
    s_ar.supportedAppProtocolRes.ResponseCode = 0;
    s_ar.supportedAppProtocolRes.SchemaID = 9;
    assert_int_equal(apphand_result(&s_ar, offers, 2, &chosen), HAL_EPROTO);
    assert_int_equal(apphand_offer_fill(&s_aq, offers, 0), HAL_EINVAL);
}

/* ------------------------------------------------------------------ helpers of din.h */

static void test_physical_values(void **state)
{
    (void)state;
    struct exi_din_PhysicalValueType pv;
    din_pv_set(&pv, 400000, exi_din_unitSymbolType_V); /* 400 V -> (-1, 4000) */
    assert_int_equal(pv.Multiplier, -1);
    assert_int_equal(pv.Value, 4000);
    assert_int_equal(din_pv_milli(&pv), 400000);
    din_pv_set(&pv, 24, exi_din_unitSymbolType_A); /* 0.024 A -> (-3, 24) */
    assert_int_equal(pv.Multiplier, -3);
    assert_int_equal(pv.Value, 24);
    din_pv_set(&pv, 100000000, exi_din_unitSymbolType_W); /* 100 kW -> (1, 10000) */
    assert_int_equal(pv.Multiplier, 1);
    assert_int_equal(pv.Value, 10000);
    din_pv_set(&pv, -57000, exi_din_unitSymbolType_A);
    assert_int_equal(din_pv_milli(&pv), -57000);
    din_pv_set(&pv, INT64_MAX / 2, exi_din_unitSymbolType_W); /* saturates */
    assert_int_equal(pv.Multiplier, 3);
    assert_int_equal(pv.Value, 32767);
    /* The whole int64 range, and any multiplier the wire can carry: saturation, never
     * signed overflow (UBSan aborts this binary on one). */
    din_pv_set(&pv, INT64_MAX, exi_din_unitSymbolType_W);
    assert_int_equal(pv.Multiplier, 3);
    assert_int_equal(pv.Value, 32767);
    din_pv_set(&pv, INT64_MIN, exi_din_unitSymbolType_W);
    assert_int_equal(pv.Multiplier, 3);
    assert_int_equal(pv.Value, -32767);
    pv.Multiplier = 127;
    pv.Value = 32767;
    assert_true(din_pv_milli(&pv) == INT64_MAX);
    assert_int_equal(din_pv_milli32(&pv), INT32_MAX);
    pv.Value = -32768;
    assert_true(din_pv_milli(&pv) == INT64_MIN);
    assert_int_equal(din_pv_milli32(&pv), INT32_MIN);
    pv.Multiplier = -128;
    assert_true(din_pv_milli(&pv) == 0);
    /* Alpitronic's forms: 100 A as (2, 1), 230.09 V as (-2, 23009). */
    pv.Multiplier = 2;
    pv.Value = 1;
    assert_int_equal(din_pv_milli32(&pv), 100000);
    pv.Multiplier = -2;
    pv.Value = 23009;
    assert_int_equal(din_pv_milli32(&pv), 230090);
    struct din_session_id a = {{0}, 0}, b = {{0, 0, 1}, 3};
    assert_true(din_session_id_is_zero(&a));
    assert_false(din_session_id_is_zero(&b));
    assert_false(din_session_id_equal(&a, &b));
}

/* ------------------------------------------------------------------ EVSE machine */

static void test_whole_session_every_message(void **state)
{
    (void)state;
    start();
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_SESSION_SETUP);
    assert_int_equal(step(DIN_MSG_SESSION_SETUP, 10), exi_din_responseCodeType_OK_NewSessionEstablished);
    assert_true(s_out.events & DIN_EVSE_EV_SESSION);
    assert_int_equal(s_out.ev.evccid_len, 6);
    assert_int_equal(s_chk.V2G_Message.Body.SessionSetupRes.EVSEID.bytesLen, 1);
    assert_int_equal(s_chk.V2G_Message.Body.SessionSetupRes.EVSEID.bytes[0], 0);
    assert_false(s_chk.V2G_Message.Body.SessionSetupRes.DateTimeNow_isUsed);

    assert_int_equal(step(DIN_MSG_SERVICE_DISCOVERY, 20), exi_din_responseCodeType_OK);
    const struct exi_din_ServiceDiscoveryResType *sd = &s_chk.V2G_Message.Body.ServiceDiscoveryRes;
    assert_int_equal(sd->PaymentOptions.PaymentOption.arrayLen, 1);
    assert_int_equal(sd->PaymentOptions.PaymentOption.array[0], exi_din_paymentOptionType_ExternalPayment);
    assert_int_equal(sd->ChargeService.ServiceTag.ServiceID, 1);
    assert_int_equal(sd->ChargeService.EnergyTransferType, exi_din_EVSESupportedEnergyTransferType_DC_extended);

    assert_int_equal(step(DIN_MSG_PAYMENT_SELECTION, 30), exi_din_responseCodeType_OK);

    s_st.dc.auth_done = false;
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 40), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_AUTHORIZE);
    assert_int_equal(s_chk.V2G_Message.Body.ContractAuthenticationRes.EVSEProcessing,
                     exi_din_EVSEProcessingType_Ongoing);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_AUTHORIZATION);
    s_st.dc.auth_done = true;
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 140), exi_din_responseCodeType_OK);
    assert_false(s_out.events & DIN_EVSE_EV_AUTHORIZE); /* only on the first */
    assert_int_equal(s_chk.V2G_Message.Body.ContractAuthenticationRes.EVSEProcessing,
                     exi_din_EVSEProcessingType_Finished);

    s_st.dc.power_ready = false;
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 150), exi_din_responseCodeType_OK);
    const struct exi_din_ChargeParameterDiscoveryResType *cp = &s_chk.V2G_Message.Body.ChargeParameterDiscoveryRes;
    assert_int_equal(cp->EVSEProcessing, exi_din_EVSEProcessingType_Ongoing);
    assert_true(cp->SAScheduleList_isUsed); /* mandatory even while Ongoing */
    assert_int_equal(cp->SAScheduleList.SAScheduleTuple.array[0].SAScheduleTupleID, 1);
    assert_int_equal(cp->SAScheduleList.SAScheduleTuple.array[0].PMaxSchedule.PMaxScheduleEntry.array[0].PMax, 32767);
    assert_int_equal(din_pv_milli32(&cp->DC_EVSEChargeParameter.EVSEMaximumVoltageLimit), 500000);
    assert_true(cp->DC_EVSEChargeParameter.EVSEMaximumPowerLimit_isUsed);
    assert_true(s_out.events & DIN_EVSE_EV_CHARGE_PARAMS);
    assert_int_equal(s_out.ev.dc.max_voltage_mv, 412800);
    assert_int_equal(s_out.ev.dc.max_current_ma, 200000);
    assert_int_equal(s_out.ev.dc.soc, 55);
    s_st.dc.power_ready = true;
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 250), exi_din_responseCodeType_OK);
    assert_int_equal(s_chk.V2G_Message.Body.ChargeParameterDiscoveryRes.EVSEProcessing,
                     exi_din_EVSEProcessingType_Finished);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_CABLE_CHECK);

    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 300), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_CABLE_CHECK);
    const struct exi_din_CableCheckResType *cc = &s_chk.V2G_Message.Body.CableCheckRes;
    assert_int_equal(cc->EVSEProcessing, exi_din_EVSEProcessingType_Ongoing);
    assert_int_equal(cc->DC_EVSEStatus.EVSEStatusCode, exi_din_DC_EVSEStatusCodeType_EVSE_IsolationMonitoringActive);
    assert_int_equal(cc->DC_EVSEStatus.EVSEIsolationStatus, exi_din_isolationLevelType_Invalid);
    s_st.dc.cable_check_done = true;
    s_st.isolation = exi_din_isolationLevelType_Warning; /* degraded but allowed */
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 1300), exi_din_responseCodeType_OK);
    assert_false(s_out.events & DIN_EVSE_EV_CABLE_CHECK);
    assert_int_equal(cc->EVSEProcessing, exi_din_EVSEProcessingType_Finished);
    assert_int_equal(cc->DC_EVSEStatus.EVSEStatusCode, exi_din_DC_EVSEStatusCodeType_EVSE_Ready);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_PRECHARGE);

    s_st.dc.present_voltage_mv = 120000;
    assert_int_equal(step(DIN_MSG_PRECHARGE, 1400), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_PRECHARGE);
    assert_int_equal(s_out.ev.dc.target_voltage_mv, 344700);
    assert_int_equal(s_out.ev.dc.target_current_ma, 1000);
    assert_int_equal(din_pv_milli32(&s_chk.V2G_Message.Body.PreChargeRes.EVSEPresentVoltage), 120000);
    s_st.dc.present_voltage_mv = 344000;
    assert_int_equal(step(DIN_MSG_PRECHARGE, 1600), exi_din_responseCodeType_OK);

    assert_int_equal(step(DIN_MSG_POWER_DELIVERY, 1700), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_POWER_ON);
    assert_true(s_chk.V2G_Message.Body.PowerDeliveryRes.DC_EVSEStatus_isUsed);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_POWER_DELIVERY);

    s_st.dc.present_current_ma = 57000;
    s_st.dc.current_limit_achieved = true;
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 1800 + 100 * i), exi_din_responseCodeType_OK);
    }
    assert_true(s_out.events & DIN_EVSE_EV_CURRENT_DEMAND);
    assert_int_equal(s_out.ev.dc.target_current_ma, 57000);
    assert_int_equal(s_out.ev.dc.target_voltage_mv, 412800);
    assert_int_equal(s_out.ev.dc.soc, 60);
    const struct exi_din_CurrentDemandResType *cd = &s_chk.V2G_Message.Body.CurrentDemandRes;
    assert_int_equal(din_pv_milli32(&cd->EVSEPresentVoltage), 344000);
    assert_int_equal(din_pv_milli32(&cd->EVSEPresentCurrent), 57000);
    assert_true(cd->EVSECurrentLimitAchieved);
    assert_true(cd->EVSEMaximumVoltageLimit_isUsed && cd->EVSEMaximumCurrentLimit_isUsed &&
                cd->EVSEMaximumPowerLimit_isUsed);
    assert_int_equal(cd->DC_EVSEStatus.EVSEStatusCode, exi_din_DC_EVSEStatusCodeType_EVSE_Ready);

    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(2200), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_POWER_OFF);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_WELDING);

    s_st.dc.present_voltage_mv = 290000;
    assert_int_equal(step(DIN_MSG_WELDING_DETECTION, 2400), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_WELDING);
    assert_int_equal(din_pv_milli32(&s_chk.V2G_Message.Body.WeldingDetectionRes.EVSEPresentVoltage), 290000);
    assert_int_equal(step(DIN_MSG_WELDING_DETECTION, 2700), exi_din_responseCodeType_OK);

    assert_int_equal(step(DIN_MSG_SESSION_STOP, 2800), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_SESSION_STOP);
    assert_true(s_out.events & DIN_EVSE_EV_CLOSE);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_STOPPED);
    assert_true(din_evse_over(&s_m));
    /* After the end: nothing more is answered, and no timer fires. */
    req(DIN_MSG_CURRENT_DEMAND);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 2900), HAL_ESTATE);
    assert_int_equal(din_evse_tick(&s_m, 999999), 0);
    assert_int_equal(din_evse_stats(&s_m)->failed, 0);
    assert_string_equal(din_evse_phase_name(DIN_EVSE_CURRENT_DEMAND), "current_demand");
}

/* Zero SessionIDs of every length the field has seen start a session; the EV then
 * echoes ours. DateTimeNow and a longer EVSEID go out when configured. */
static void test_session_setup_variants(void **state)
{
    (void)state;
    for (uint16_t len = 0; len <= 8; len++) {
        struct din_evse_config cfg;
        din_evse_default_config(&cfg);
        memcpy(cfg.evse_id, "\x49\xA8\x9A\x63\x60", 5);
        cfg.evse_id_len = 5;
        assert_int_equal(din_evse_start(&s_m, &cfg, &s_sid, 0), HAL_OK);
        status_ready();
        s_st.dc.unix_time_s = 1681926122;
        req(DIN_MSG_SESSION_SETUP);
        s_q.V2G_Message.Header.SessionID.bytesLen = len;
        s_q.V2G_Message.Body.SessionSetupReq.EVCCID.bytesLen = (uint16_t)(len % 9);
        assert_int_equal(handle(5), exi_din_responseCodeType_OK_NewSessionEstablished);
        assert_int_equal(s_chk.V2G_Message.Body.SessionSetupRes.EVSEID.bytesLen, 5);
        assert_true(s_chk.V2G_Message.Body.SessionSetupRes.DateTimeNow_isUsed);
        assert_int_equal(s_chk.V2G_Message.Body.SessionSetupRes.DateTimeNow, 1681926122);
        assert_int_equal(s_out.ev.evccid_len, len % 9);
    }
    /* A 4-byte ID (Tesla Supercharger style) is issued and checked as 4 bytes. */
    struct din_evse_config cfg;
    din_evse_default_config(&cfg);
    struct din_session_id four = {{0x06, 0xef, 0x00, 0x71}, 4};
    assert_int_equal(din_evse_start(&s_m, &cfg, &four, 0), HAL_OK);
    status_ready();
    req(DIN_MSG_SESSION_SETUP);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 1), HAL_OK);
    assert_int_equal(s_r.V2G_Message.Header.SessionID.bytesLen, 4);
    req(DIN_MSG_SERVICE_DISCOVERY);
    din_session_id_to_header(&s_q.V2G_Message.Header, &four);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 2), HAL_OK);
    assert_int_equal(s_out.response_code, exi_din_responseCodeType_OK);
    /* Bad starts. */
    struct din_session_id zero = {{0}, 8}, none = {{1}, 0};
    assert_int_equal(din_evse_start(&s_m, &cfg, &zero, 0), HAL_EINVAL);
    assert_int_equal(din_evse_start(&s_m, &cfg, &none, 0), HAL_EINVAL);
    cfg.evse_id_len = 0;
    assert_int_equal(din_evse_start(&s_m, &cfg, &s_sid, 0), HAL_EINVAL);
}

static void test_wrong_session_id(void **state)
{
    (void)state;
    reach(DIN_EVSE_AUTHORIZATION);
    /* same bytes, one byte short: not our session */
    req(DIN_MSG_CONTRACT_AUTH);
    s_q.V2G_Message.Header.SessionID.bytesLen = 7;
    assert_int_equal(handle(500), exi_din_responseCodeType_FAILED_UnknownSession);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_FAILED);
    assert_true(s_out.events & DIN_EVSE_EV_CLOSE);
    assert_int_equal(din_evse_stats(&s_m)->failed, 1);
    req(DIN_MSG_CONTRACT_AUTH);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 600), HAL_ESTATE);

    /* one byte different, in the charging loop: the answer is a CurrentDemandRes */
    reach(DIN_EVSE_CURRENT_DEMAND);
    req(DIN_MSG_CURRENT_DEMAND);
    s_q.V2G_Message.Header.SessionID.bytes[7] ^= 1;
    assert_int_equal(handle(5000), exi_din_responseCodeType_FAILED_UnknownSession);
    assert_true(s_chk.V2G_Message.Body.CurrentDemandRes_isUsed);
}

static void test_wrong_sequence(void **state)
{
    (void)state;
    /* CPD without ContractAuthentication (pyPLC v0.2 against ABB/Alpitronic) */
    reach(DIN_EVSE_AUTHORIZATION);
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 500), exi_din_responseCodeType_FAILED_SequenceError);
    assert_true(s_chk.V2G_Message.Body.ChargeParameterDiscoveryRes_isUsed);
    assert_true(s_chk.V2G_Message.Body.ChargeParameterDiscoveryRes.SAScheduleList_isUsed);
    assert_true(s_out.events & DIN_EVSE_EV_CLOSE);

    /* A request before SessionSetup */
    start();
    assert_int_equal(step(DIN_MSG_SERVICE_DISCOVERY, 1), exi_din_responseCodeType_FAILED_SequenceError);

    /* SessionSetup twice: with our ID out of sequence, with a zero ID not our session */
    reach(DIN_EVSE_SERVICE_DISCOVERY);
    req(DIN_MSG_SESSION_SETUP);
    din_session_id_to_header(&s_q.V2G_Message.Header, &s_sid);
    assert_int_equal(handle(300), exi_din_responseCodeType_FAILED_SequenceError);
    reach(DIN_EVSE_SERVICE_DISCOVERY);
    assert_int_equal(step(DIN_MSG_SESSION_SETUP, 300), exi_din_responseCodeType_FAILED_UnknownSession);

    /* PowerDelivery before the first PreCharge */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_POWER_DELIVERY, 900), exi_din_responseCodeType_FAILED_SequenceError);

    /* CurrentDemand after PowerDelivery(false): Alpitronic's SequenceError case */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 900), exi_din_responseCodeType_OK);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(1000), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 1100), exi_din_responseCodeType_FAILED_SequenceError);

    /* SessionStop is not accepted in the charging loop; PowerDelivery(true) again fails */
    reach(DIN_EVSE_CURRENT_DEMAND);
    assert_int_equal(step(DIN_MSG_SESSION_STOP, 5000), exi_din_responseCodeType_FAILED_SequenceError);
    reach(DIN_EVSE_CURRENT_DEMAND);
    assert_int_equal(step(DIN_MSG_POWER_DELIVERY, 5000), exi_din_responseCodeType_FAILED);

    /* WeldingDetection out of place */
    reach(DIN_EVSE_CABLE_CHECK);
    assert_int_equal(step(DIN_MSG_WELDING_DETECTION, 800), exi_din_responseCodeType_FAILED_SequenceError);
    assert_true(s_chk.V2G_Message.Body.WeldingDetectionRes_isUsed);
}

/* SessionStop is accepted in every phase before charging (the Model Y stops in PreCharge). */
static void test_session_stop_early(void **state)
{
    (void)state;
    static const enum din_evse_phase phases[] = {
        DIN_EVSE_SERVICE_DISCOVERY, DIN_EVSE_PAYMENT_SELECTION, DIN_EVSE_AUTHORIZATION,
        DIN_EVSE_CHARGE_PARAMETER, DIN_EVSE_CABLE_CHECK, DIN_EVSE_PRECHARGE};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        reach(phases[i]);
        assert_int_equal(step(DIN_MSG_SESSION_STOP, 5000), exi_din_responseCodeType_OK);
        assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_STOPPED);
    }
}

/* The stop paths of docs/interop.md, machine side: each stop request gets an answer of
 * its own type (handle() checks the type and the SessionID), positive where DIN's table
 * takes it, FAILED_SequenceError with CLOSE where it does not. */
static void test_stop_paths_answer_in_kind(void **state)
{
    (void)state;
    /* PowerDelivery(false) right after CableCheck: WAIT_FOR_PRECHARGE takes PreCharge and
     * SessionStop only */
    reach(DIN_EVSE_PRECHARGE);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(900), exi_din_responseCodeType_FAILED_SequenceError);
    assert_true(s_chk.V2G_Message.Body.PowerDeliveryRes.DC_EVSEStatus_isUsed);
    assert_true(s_out.events & DIN_EVSE_EV_CLOSE);
    assert_false(s_out.events & DIN_EVSE_EV_POWER_ON);
    /* during PreCharge: OK, power off, then SessionStop straight away (Ioniq: no welding) */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 900), exi_din_responseCodeType_OK);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(1000), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_POWER_OFF);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_WELDING);
    assert_int_equal(step(DIN_MSG_SESSION_STOP, 1100), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_SESSION_STOP);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_STOPPED);
    /* SessionStop in the charging loop: a SessionStopRes with FAILED_SequenceError */
    reach(DIN_EVSE_CURRENT_DEMAND);
    assert_int_equal(step(DIN_MSG_SESSION_STOP, 5000), exi_din_responseCodeType_FAILED_SequenceError);
    assert_true(s_chk.V2G_Message.Body.SessionStopRes_isUsed);
    assert_true(s_out.events & DIN_EVSE_EV_CLOSE);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_FAILED);
    /* after PowerDelivery(true), before the first CurrentDemand: PowerDelivery(false) is
     * taken (stopping is never refused) */
    reach(DIN_EVSE_POWER_DELIVERY);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(5000), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_POWER_OFF);
}

static void test_unused_and_empty_requests(void **state)
{
    (void)state;
    reach(DIN_EVSE_SERVICE_DISCOVERY);
    req(DIN_MSG_UNUSED); /* ServiceDetailReq */
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 300), HAL_ENOTSUP);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_SERVICE_DISCOVERY);
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    s_q.V2G_Message.Body.SessionStopRes_isUsed = true; /* a response is no request */
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 300), HAL_EPROTO);
    assert_int_equal(din_evse_handle(NULL, &s_q, &s_st, &s_r, &s_out, 300), HAL_EINVAL);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_SERVICE_DISCOVERY);
    struct din_evse idle;
    memset(&idle, 0, sizeof idle);
    req(DIN_MSG_SESSION_SETUP);
    assert_int_equal(din_evse_handle(&idle, &s_q, &s_st, &s_r, &s_out, 0), HAL_ESTATE);
}

static void test_payment_selection_rules(void **state)
{
    (void)state;
    reach(DIN_EVSE_PAYMENT_SELECTION);
    req(DIN_MSG_PAYMENT_SELECTION);
    s_q.V2G_Message.Body.ServicePaymentSelectionReq.SelectedPaymentOption = exi_din_paymentOptionType_Contract;
    assert_int_equal(handle(300), exi_din_responseCodeType_FAILED_PaymentSelectionInvalid);
    reach(DIN_EVSE_PAYMENT_SELECTION);
    req(DIN_MSG_PAYMENT_SELECTION);
    s_q.V2G_Message.Body.ServicePaymentSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 2;
    assert_int_equal(handle(300), exi_din_responseCodeType_FAILED_ServiceSelectionInvalid);
    /* ServiceDiscovery with a ServiceCategory and a scope is still answered */
    reach(DIN_EVSE_SERVICE_DISCOVERY);
    req(DIN_MSG_SERVICE_DISCOVERY);
    s_q.V2G_Message.Body.ServiceDiscoveryReq.ServiceCategory_isUsed = true;
    s_q.V2G_Message.Body.ServiceDiscoveryReq.ServiceCategory = exi_din_serviceCategoryType_EVCharging;
    assert_int_equal(handle(300), exi_din_responseCodeType_OK);
}

static void test_authorisation_rejected(void **state)
{
    (void)state;
    reach(DIN_EVSE_AUTHORIZATION);
    s_st.dc.auth_done = false;
    s_st.dc.auth_rejected = true;
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 300), exi_din_responseCodeType_FAILED);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_FAILED);
}

static void test_charge_parameter_rules(void **state)
{
    (void)state;
    reach(DIN_EVSE_CHARGE_PARAMETER);
    req(DIN_MSG_CHARGE_PARAMETER);
    s_q.V2G_Message.Body.ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed = false;
    s_q.V2G_Message.Body.ChargeParameterDiscoveryReq.AC_EVChargeParameter_isUsed = true;
    assert_int_equal(handle(400), exi_din_responseCodeType_FAILED_WrongChargeParameter);
    reach(DIN_EVSE_CHARGE_PARAMETER);
    req(DIN_MSG_CHARGE_PARAMETER);
    s_q.V2G_Message.Body.ChargeParameterDiscoveryReq.EVRequestedEnergyTransferType =
        exi_din_EVRequestedEnergyTransferType_AC_three_phase_core;
    assert_int_equal(handle(400), exi_din_responseCodeType_FAILED_WrongEnergyTransferType);
    /* DC_core is as good as DC_extended; optional EVSE fields go out when known */
    reach(DIN_EVSE_CHARGE_PARAMETER);
    s_st.dc.current_regulation_tolerance_ma = 5000;
    s_st.dc.energy_to_deliver_wh = 20000;
    req(DIN_MSG_CHARGE_PARAMETER);
    s_q.V2G_Message.Body.ChargeParameterDiscoveryReq.EVRequestedEnergyTransferType =
        exi_din_EVRequestedEnergyTransferType_DC_core;
    assert_int_equal(handle(400), exi_din_responseCodeType_OK);
    const struct exi_din_DC_EVSEChargeParameterType *p =
        &s_chk.V2G_Message.Body.ChargeParameterDiscoveryRes.DC_EVSEChargeParameter;
    assert_true(p->EVSECurrentRegulationTolerance_isUsed);
    assert_true(p->EVSEEnergyToBeDelivered_isUsed);
    assert_int_equal(din_pv_milli(&p->EVSEEnergyToBeDelivered), 20000000);
}

/* Real cars leave optional fields out (Tesla: no CPD extras; pyPLC: no Unit; no EV
 * limits in CurrentDemand; PowerDelivery without parameters). */
static void test_missing_optional_fields(void **state)
{
    (void)state;
    reach(DIN_EVSE_CHARGE_PARAMETER);
    req(DIN_MSG_CHARGE_PARAMETER);
    s_q.V2G_Message.Body.ChargeParameterDiscoveryReq.DC_EVChargeParameter.EVMaximumCurrentLimit.Unit_isUsed = false;
    assert_int_equal(handle(400), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.max_power_w, -1);
    assert_int_equal(s_out.ev.dc.energy_capacity_wh, -1);
    assert_int_equal(s_out.ev.dc.energy_request_wh, -1);
    assert_int_equal(s_out.ev.dc.full_soc, -1);
    assert_int_equal(s_out.ev.dc.bulk_soc, -1);
    assert_int_equal(s_out.ev.dc.max_current_ma, 200000);

    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 900), exi_din_responseCodeType_OK);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed = false;
    assert_int_equal(handle(1000), exi_din_responseCodeType_OK);
    req(DIN_MSG_CURRENT_DEMAND); /* no EV maxima, no remaining times, no bulk flag */
    assert_int_equal(handle(1100), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.remaining_full_s, -1);
    assert_int_equal(s_out.ev.dc.max_voltage_mv, 412800); /* from CPD */

    /* With them: taken over. */
    req(DIN_MSG_CURRENT_DEMAND);
    struct exi_din_CurrentDemandReqType *q = &s_q.V2G_Message.Body.CurrentDemandReq;
    din_pv_set(&q->EVMaximumVoltageLimit, 470000, exi_din_unitSymbolType_V);
    din_pv_set(&q->EVMaximumCurrentLimit, 375000, exi_din_unitSymbolType_A);
    din_pv_set(&q->EVMaximumPowerLimit, 98000000, exi_din_unitSymbolType_W);
    din_pv_set(&q->RemainingTimeToFullSoC, 1620000, exi_din_unitSymbolType_s);
    q->EVMaximumVoltageLimit_isUsed = q->EVMaximumCurrentLimit_isUsed = q->EVMaximumPowerLimit_isUsed = true;
    q->RemainingTimeToFullSoC_isUsed = true;
    assert_int_equal(handle(1200), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.max_voltage_mv, 470000);
    assert_int_equal(s_out.ev.dc.max_current_ma, 375000);
    assert_int_equal(s_out.ev.dc.max_power_w, 98000);
    assert_int_equal(s_out.ev.dc.remaining_full_s, 1620);
}

static void test_cable_check_failures(void **state)
{
    (void)state;
    reach(DIN_EVSE_CABLE_CHECK);
    s_st.isolation = exi_din_isolationLevelType_Fault;
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 800), exi_din_responseCodeType_FAILED);
    assert_int_equal(s_chk.V2G_Message.Body.CableCheckRes.DC_EVSEStatus.EVSEIsolationStatus,
                     exi_din_isolationLevelType_Fault);
    reach(DIN_EVSE_CABLE_CHECK);
    s_st.dc.cable_check_failed = true;
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 800), exi_din_responseCodeType_FAILED);
    reach(DIN_EVSE_CABLE_CHECK);
    req(DIN_MSG_CABLE_CHECK);
    s_q.V2G_Message.Body.CableCheckReq.DC_EVStatus.EVErrorCode = exi_din_DC_EVErrorCodeType_FAILED_EVShiftPosition;
    assert_int_equal(handle(800), exi_din_responseCodeType_FAILED);
    assert_true(s_out.events & DIN_EVSE_EV_EV_ERROR);
    /* Finished needs a valid isolation result: Invalid keeps it Ongoing */
    reach(DIN_EVSE_CABLE_CHECK);
    s_st.dc.cable_check_done = true;
    s_st.isolation = exi_din_isolationLevelType_Invalid;
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 800), exi_din_responseCodeType_OK);
    assert_int_equal(s_chk.V2G_Message.Body.CableCheckRes.EVSEProcessing, exi_din_EVSEProcessingType_Ongoing);
    /* an EVSE graceful shutdown during the test: reported, not finished */
    s_st.isolation = exi_din_isolationLevelType_Valid;
    s_st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown;
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 900), exi_din_responseCodeType_OK);
    assert_int_equal(s_chk.V2G_Message.Body.CableCheckRes.EVSEProcessing, exi_din_EVSEProcessingType_Ongoing);
    assert_int_equal(s_chk.V2G_Message.Body.CableCheckRes.DC_EVSEStatus.EVSEStatusCode,
                     exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown);
}

static void test_precharge_rules(void **state)
{
    (void)state;
    reach(DIN_EVSE_PRECHARGE);
    req(DIN_MSG_PRECHARGE);
    din_pv_set(&s_q.V2G_Message.Body.PreChargeReq.EVTargetCurrent, 10000, exi_din_unitSymbolType_A);
    assert_int_equal(handle(900), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.target_current_ma, 2000); /* clamped to 2 A */
    req(DIN_MSG_PRECHARGE);
    din_pv_set(&s_q.V2G_Message.Body.PreChargeReq.EVTargetCurrent, -5000, exi_din_unitSymbolType_A);
    assert_int_equal(handle(1000), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.target_current_ma, 0);
    req(DIN_MSG_PRECHARGE);
    s_q.V2G_Message.Body.PreChargeReq.DC_EVStatus.EVErrorCode = exi_din_DC_EVErrorCodeType_FAILED_EVRESSMalfunction;
    assert_int_equal(handle(1100), exi_din_responseCodeType_FAILED);

    /* PowerDelivery(start) while the EVSE is not ready */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 900), exi_din_responseCodeType_OK);
    s_st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_NotReady;
    assert_int_equal(step(DIN_MSG_POWER_DELIVERY, 1000), exi_din_responseCodeType_FAILED_PowerDeliveryNotApplied);

    /* a ChargingProfile naming a tuple we never offered */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 900), exi_din_responseCodeType_OK);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ChargingProfile_isUsed = true;
    s_q.V2G_Message.Body.PowerDeliveryReq.ChargingProfile.SAScheduleTupleID = 3;
    s_q.V2G_Message.Body.PowerDeliveryReq.ChargingProfile.ProfileEntry.arrayLen = 1;
    assert_int_equal(handle(1000), exi_din_responseCodeType_FAILED_TariffSelectionInvalid);
}

static void test_current_demand_rules(void **state)
{
    (void)state;
    reach(DIN_EVSE_CURRENT_DEMAND);
    /* 0 V keeps the previous ceiling; a negative current is no current */
    req(DIN_MSG_CURRENT_DEMAND);
    din_pv_set(&s_q.V2G_Message.Body.CurrentDemandReq.EVTargetVoltage, 0, exi_din_unitSymbolType_V);
    din_pv_set(&s_q.V2G_Message.Body.CurrentDemandReq.EVTargetCurrent, -3000, exi_din_unitSymbolType_A);
    assert_int_equal(handle(5000), exi_din_responseCodeType_OK);
    assert_int_equal(s_out.ev.dc.target_voltage_mv, 412800);
    assert_int_equal(s_out.ev.dc.target_current_ma, 0);
    /* the Ioniq's last request: an EV error is the EV stopping, answered OK */
    req(DIN_MSG_CURRENT_DEMAND);
    s_q.V2G_Message.Body.CurrentDemandReq.DC_EVStatus.EVErrorCode =
        exi_din_DC_EVErrorCodeType_FAILED_ChargingCurrentdifferential;
    assert_int_equal(handle(5200), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_EV_ERROR);
    assert_int_equal(s_out.ev.dc.error_code, exi_din_DC_EVErrorCodeType_FAILED_ChargingCurrentdifferential);
    /* ChargingComplete */
    req(DIN_MSG_CURRENT_DEMAND);
    s_q.V2G_Message.Body.CurrentDemandReq.ChargingComplete = true;
    assert_int_equal(handle(5400), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_CHARGING_COMPLETE);
    /* EVSE stop: Shutdown + StopCharging + delay go out with a positive answer */
    s_st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown;
    s_st.notification = exi_din_EVSENotificationType_StopCharging;
    s_st.notification_max_delay_s = 10;
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 5600), exi_din_responseCodeType_OK);
    const struct exi_din_DC_EVSEStatusType *ds = &s_chk.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus;
    assert_int_equal(ds->EVSEStatusCode, exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown);
    assert_int_equal(ds->EVSENotification, exi_din_EVSENotificationType_StopCharging);
    assert_int_equal(ds->NotificationMaxDelay, 10);
    /* emergency: FAILED at once */
    s_st.status_code = exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown;
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 5800), exi_din_responseCodeType_FAILED);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_FAILED);
    /* an out-of-range status code from the manager is reported as a malfunction */
    reach(DIN_EVSE_CURRENT_DEMAND);
    s_st.status_code = 200;
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 5000), exi_din_responseCodeType_FAILED);
    assert_int_equal(s_chk.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSEStatusCode,
                     exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction);
}

/* ------------------------------------------------------------------ timers */

static void test_sequence_timeout(void **state)
{
    (void)state;
    start();
    assert_int_equal(din_evse_deadline(&s_m), 60000u);
    assert_int_equal(din_evse_tick(&s_m, 59999), 0);
    assert_int_equal(din_evse_tick(&s_m, 60000), DIN_EVSE_EV_TIMEOUT);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_TIMED_OUT);
    assert_int_equal(din_evse_tick(&s_m, 60001), 0); /* reported once */
    /* the timer restarts with every response, and with the send time when told */
    reach(DIN_EVSE_CURRENT_DEMAND);
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 100000), exi_din_responseCodeType_OK);
    din_evse_sent(&s_m, 100010);
    assert_int_equal(din_evse_tick(&s_m, 160009), 0);
    assert_int_equal(din_evse_tick(&s_m, 160010), DIN_EVSE_EV_TIMEOUT);
    /* wraps of the 32-bit clock are harmless */
    struct din_evse_config cfg;
    din_evse_default_config(&cfg);
    assert_int_equal(din_evse_start(&s_m, &cfg, &s_sid, 0xFFFFF000u), HAL_OK);
    assert_int_equal(din_evse_tick(&s_m, 0x00001000u), 0);
    assert_int_equal(din_evse_tick(&s_m, 0xFFFFF000u + 60000u), DIN_EVSE_EV_TIMEOUT);
}

static void test_ongoing_timers(void **state)
{
    (void)state;
    /* ContractAuthentication: Ongoing up to 60 s from the first request */
    reach(DIN_EVSE_AUTHORIZATION);
    s_st.dc.auth_done = false;
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 1000), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 60999), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CONTRACT_AUTH, 61000), exi_din_responseCodeType_FAILED);
    assert_true(s_out.events & DIN_EVSE_EV_TIMEOUT);
    /* ChargeParameterDiscovery likewise */
    reach(DIN_EVSE_CHARGE_PARAMETER);
    s_st.dc.power_ready = false;
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 1000), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 60999), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CHARGE_PARAMETER, 61000), exi_din_responseCodeType_FAILED);
    assert_true(s_out.events & DIN_EVSE_EV_TIMEOUT);
    /* CableCheck: 40 s */
    reach(DIN_EVSE_CABLE_CHECK);
    s_st.dc.cable_check_done = false;
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 1000), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 40999), exi_din_responseCodeType_OK);
    assert_int_equal(step(DIN_MSG_CABLE_CHECK, 41000), exi_din_responseCodeType_FAILED);
    assert_true(s_out.events & DIN_EVSE_EV_TIMEOUT);
    /* PreCharge: flagged once after 7 s, still answered (the EV owns that timer) */
    reach(DIN_EVSE_PRECHARGE);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 1000), exi_din_responseCodeType_OK);
    assert_false(s_out.events & DIN_EVSE_EV_PRECHARGE_LONG);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 7999), exi_din_responseCodeType_OK);
    assert_false(s_out.events & DIN_EVSE_EV_PRECHARGE_LONG);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 8000), exi_din_responseCodeType_OK);
    assert_true(s_out.events & DIN_EVSE_EV_PRECHARGE_LONG);
    assert_int_equal(step(DIN_MSG_PRECHARGE, 13000), exi_din_responseCodeType_OK);
    assert_false(s_out.events & DIN_EVSE_EV_PRECHARGE_LONG);
}

static void test_performance_time(void **state)
{
    (void)state;
    reach(DIN_EVSE_CURRENT_DEMAND);
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 10000), exi_din_responseCodeType_OK);
    assert_int_equal(din_evse_response_deadline(&s_m), 10025u);
    din_evse_sent(&s_m, 10020);
    assert_int_equal(din_evse_stats(&s_m)->perf_missed, 0);
    assert_int_equal(step(DIN_MSG_CURRENT_DEMAND, 10200), exi_din_responseCodeType_OK);
    din_evse_sent(&s_m, 10230);
    assert_int_equal(din_evse_stats(&s_m)->perf_missed, 1);
    assert_int_equal(din_evse_stats(&s_m)->worst_cd_response_ms, 30);
    req(DIN_MSG_POWER_DELIVERY);
    s_q.V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState = false;
    assert_int_equal(handle(11000), exi_din_responseCodeType_OK);
    assert_int_equal(din_evse_response_deadline(&s_m), 12500u);
    din_evse_sent(&s_m, 11400);
    assert_int_equal(din_evse_stats(&s_m)->perf_missed, 1);
    assert_int_equal(din_evse_stats(&s_m)->worst_response_ms, 400);
}

/* Real requests from the captures: the Model Y's ContractAuthenticationReq with a
 * trailing 0x00, and the Ioniq's CurrentDemandReq (session 0102030405060708). */
static void test_real_requests(void **state)
{
    (void)state;
    static const struct din_session_id pyplc = {{1, 2, 3, 4, 5, 6, 7, 8}, 8};
    struct din_evse_config cfg;
    din_evse_default_config(&cfg);
    assert_int_equal(din_evse_start(&s_m, &cfg, &pyplc, 0), HAL_OK);
    status_ready();
    req(DIN_MSG_SESSION_SETUP);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 1), HAL_OK);
    din_session_id_to_header(&s_q.V2G_Message.Header, &pyplc);
    s_q.V2G_Message.Body.SessionSetupReq_isUsed = false;
    s_q.V2G_Message.Body.ServiceDiscoveryReq_isUsed = true;
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 2), HAL_OK);
    s_q.V2G_Message.Body.ServiceDiscoveryReq_isUsed = false;
    s_q.V2G_Message.Body.ServicePaymentSelectionReq_isUsed = true;
    s_q.V2G_Message.Body.ServicePaymentSelectionReq.SelectedPaymentOption = exi_din_paymentOptionType_ExternalPayment;
    s_q.V2G_Message.Body.ServicePaymentSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
    s_q.V2G_Message.Body.ServicePaymentSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 3), HAL_OK);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_AUTHORIZATION);

    uint8_t b[64];
    size_t n = unhex("809a02004080c1014181c210b800", b, sizeof b);
    struct exi_reader r;
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_din_decode(&r, &s_q), HAL_OK);
    assert_int_equal(din_request_kind(&s_q), DIN_MSG_CONTRACT_AUTH);
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 4), HAL_OK);
    assert_int_equal(s_out.response_code, exi_din_responseCodeType_OK);
    assert_int_equal(din_evse_phase(&s_m), DIN_EVSE_CHARGE_PARAMETER);

    n = unhex("809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a1503c00",
              b, sizeof b);
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_din_decode(&r, &s_q), HAL_OK);
    assert_int_equal(din_request_kind(&s_q), DIN_MSG_CURRENT_DEMAND);
    assert_true(din_evse_ev(&s_m)->dc.target_current_ma == 0);
    /* In this phase it is out of sequence, with the right session: SequenceError. */
    assert_int_equal(din_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 5), HAL_OK);
    assert_int_equal(s_out.response_code, exi_din_responseCodeType_FAILED_SequenceError);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apphand_select),
        cmocka_unit_test(test_apphand_real_vectors),
        cmocka_unit_test(test_apphand_ev_side),
        cmocka_unit_test(test_physical_values),
        cmocka_unit_test(test_whole_session_every_message),
        cmocka_unit_test(test_session_setup_variants),
        cmocka_unit_test(test_wrong_session_id),
        cmocka_unit_test(test_wrong_sequence),
        cmocka_unit_test(test_session_stop_early),
        cmocka_unit_test(test_stop_paths_answer_in_kind),
        cmocka_unit_test(test_unused_and_empty_requests),
        cmocka_unit_test(test_payment_selection_rules),
        cmocka_unit_test(test_authorisation_rejected),
        cmocka_unit_test(test_charge_parameter_rules),
        cmocka_unit_test(test_missing_optional_fields),
        cmocka_unit_test(test_cable_check_failures),
        cmocka_unit_test(test_precharge_rules),
        cmocka_unit_test(test_current_demand_rules),
        cmocka_unit_test(test_sequence_timeout),
        cmocka_unit_test(test_ongoing_timers),
        cmocka_unit_test(test_performance_time),
        cmocka_unit_test(test_real_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
