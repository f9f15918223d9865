/* Unit tests of the ISO 15118-2 DC EIM SECC machine (protocols/iso2/iso2_evse.c) through the
 * one V2G entry point (hlc_handle, firmware/hlc_iso2.c): bytes in, bytes out, so every
 * answer is also checked to encode and decode. A whole session, the schedule rules, the
 * handshake's choice, pause and resume, renegotiation, and the bad inputs of issue 14:
 * DIN after ISO-2 was negotiated, an unknown SessionID on resume, a profile above the
 * schedule, a tuple never offered, CurrentDemand before PowerDelivery, pause during cable
 * check. Each bad input must get the standard's code, end the session and say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hlc_din.h"
#include "hlc_iso2.h"

static struct hlc s_h;
static struct exi_iso2_document s_q, s_r;
static struct exi_apphand_document s_aq, s_ar;
static struct exi_din_document s_dq;
static uint8_t s_in[4096], s_out[4096];
static struct hlc_evse s_evse;
static struct hlc_result s_res;
static uint32_t s_now;
static uint8_t s_next_id;
static uint8_t s_sid[8];
static uint8_t s_sid_len;

/* What the charger says: ready, authorised, limits final, insulation test passed. */
static enum hlc_processing s_auth;
static enum hlc_isolation s_iso;
static enum hlc_evse_status s_evse_status;
static int32_t s_max_power_w;

static int test_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        bytes[i] = (uint8_t)(0x10u * s_next_id + i + 1u);
    }
    s_next_id++;
    return HAL_OK;
}

static void status(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *e)
{
    (void)ctx;
    (void)rq;
    memset(e, 0, sizeof *e);
    e->present_voltage_mv = 400000;
    e->present_current_ma = 100000;
    e->max_voltage_mv = 500000;
    e->max_current_ma = 200000;
    e->max_power_w = s_max_power_w;
    e->min_voltage_mv = 150000;
    e->current_regulation_tolerance_ma = 5000;
    e->peak_current_ripple_ma = 2000;
    e->energy_to_deliver_wh = -1;
    e->isolation = s_iso;
    e->status = s_evse_status;
    e->authorization = s_auth;
    e->charge_parameters = HLC_PROCESSING_FINISHED;
    e->cable_check = HLC_PROCESSING_FINISHED;
}

static void init_with(const char *protocols, const struct iso2_evse_config *iso2)
{
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    assert_int_equal(hlc_parse_protocols(protocols, &cfg.protocols, NULL, 0), HAL_OK);
    memcpy(cfg.iso2.evse_id, "DE*ABC*E123456", 15);
    if (iso2 != NULL) {
        cfg.iso2 = *iso2;
    }
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_OK);
}

static int setup(void **state)
{
    (void)state;
    s_now = 1000;
    s_next_id = 1;
    s_auth = HLC_PROCESSING_FINISHED;
    s_iso = HLC_ISOLATION_VALID;
    s_evse_status = HLC_EVSE_READY;
    s_max_power_w = 50000;
    memset(s_sid, 0, sizeof s_sid);
    s_sid_len = 8;
    init_with("iso2,din", NULL);
    return 0;
}

/* supportedAppProtocolReq with ISO-2 at @p iso2_prio and DIN at @p din_prio (0: not offered). */
static int handshake(uint8_t iso2_prio, uint8_t din_prio, bool tesla_first)
{
    struct apphand_offer o[3];
    size_t n = 0;
    if (tesla_first) {
        o[n++] = (struct apphand_offer){APPHAND_NS_TESLA, 1, 0, 3, 1};
    }
    if (iso2_prio != 0) {
        o[n++] = (struct apphand_offer){APPHAND_NS_ISO2, 2, 0, 111, iso2_prio};
    }
    if (din_prio != 0) {
        o[n++] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 222, din_prio};
    }
    assert_int_equal(apphand_offer_fill(&s_aq, o, n), HAL_OK);
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_apphand_encode(&w, &s_aq), HAL_OK);
    size_t out = 0;
    int rc = hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out, &s_res, s_now);
    assert_int_equal(rc, HAL_OK);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_apphand_decode(&r, &s_ar), HAL_OK);
    return s_ar.supportedAppProtocolRes.SchemaID_isUsed ? s_ar.supportedAppProtocolRes.SchemaID : -1;
}

/* A fresh request document with our session's ID in the header. */
static struct exi_iso2_BodyType *req(void)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    memcpy(s_q.V2G_Message.Header.SessionID.bytes, s_sid, s_sid_len);
    s_q.V2G_Message.Header.SessionID.bytesLen = s_sid_len;
    return &s_q.V2G_Message.Body;
}

/* Encode s_q, hand it over, decode the answer into s_r; returns its ResponseCode. */
static uint8_t send(void)
{
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso2_encode(&w, &s_q), HAL_OK);
    size_t out = 0;
    s_now += 100;
    int rc = hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out, &s_res, s_now);
    assert_int_equal(rc, HAL_OK);
    assert_int_equal(s_res.error, HLC_ERR_NONE);
    hlc_sent(&s_h, s_now);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_iso2_decode(&r, &s_r), HAL_OK);
    return iso2_response_code(&s_r);
}

static void dc_status(struct exi_iso2_DC_EVStatusType *s)
{
    s->EVReady = true;
    s->EVRESSSOC = 40;
}

static void pv(struct exi_iso2_PhysicalValueType *p, int16_t v, int8_t mult, uint8_t unit)
{
    p->Value = v;
    p->Multiplier = mult;
    p->Unit = unit;
}

static uint8_t session_setup(const uint8_t *id, uint8_t len)
{
    struct exi_iso2_BodyType *b = req();
    memcpy(s_q.V2G_Message.Header.SessionID.bytes, id, len);
    s_q.V2G_Message.Header.SessionID.bytesLen = len;
    b->SessionSetupReq_isUsed = true;
    b->SessionSetupReq.EVCCID.bytesLen = 6;
    b->SessionSetupReq.EVCCID.bytes[5] = 0xA1;
    uint8_t code = send();
    s_sid_len = (uint8_t)s_r.V2G_Message.Header.SessionID.bytesLen;
    memcpy(s_sid, s_r.V2G_Message.Header.SessionID.bytes, s_sid_len);
    return code;
}

static uint8_t service_discovery(void)
{
    req()->ServiceDiscoveryReq_isUsed = true;
    return send();
}

static uint8_t payment_selection(uint8_t option, uint16_t extra_service)
{
    struct exi_iso2_BodyType *b = req();
    b->PaymentServiceSelectionReq_isUsed = true;
    b->PaymentServiceSelectionReq.SelectedPaymentOption = option;
    b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
    b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
    if (extra_service != 0) {
        b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.array[1].ServiceID = extra_service;
        b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.arrayLen = 2;
    }
    return send();
}

static uint8_t authorization(void)
{
    req()->AuthorizationReq_isUsed = true;
    return send();
}

static uint8_t charge_parameters(int32_t departure_s)
{
    struct exi_iso2_BodyType *b = req();
    b->ChargeParameterDiscoveryReq_isUsed = true;
    struct exi_iso2_ChargeParameterDiscoveryReqType *q = &b->ChargeParameterDiscoveryReq;
    q->RequestedEnergyTransferMode = exi_iso2_EnergyTransferModeType_DC_extended;
    q->DC_EVChargeParameter_isUsed = true;
    q->EVChargeParameter_isUsed = true;
    dc_status(&q->DC_EVChargeParameter.DC_EVStatus);
    pv(&q->DC_EVChargeParameter.EVMaximumCurrentLimit, 200, 0, exi_iso2_unitSymbolType_A);
    pv(&q->DC_EVChargeParameter.EVMaximumVoltageLimit, 450, 0, exi_iso2_unitSymbolType_V);
    if (departure_s >= 0) {
        q->DC_EVChargeParameter.DepartureTime = (uint32_t)departure_s;
        q->DC_EVChargeParameter.DepartureTime_isUsed = true;
    }
    return send();
}

static uint8_t cable_check(void)
{
    struct exi_iso2_BodyType *b = req();
    b->CableCheckReq_isUsed = true;
    dc_status(&b->CableCheckReq.DC_EVStatus);
    return send();
}

static uint8_t precharge(void)
{
    struct exi_iso2_BodyType *b = req();
    b->PreChargeReq_isUsed = true;
    dc_status(&b->PreChargeReq.DC_EVStatus);
    pv(&b->PreChargeReq.EVTargetVoltage, 400, 0, exi_iso2_unitSymbolType_V);
    pv(&b->PreChargeReq.EVTargetCurrent, 1, 0, exi_iso2_unitSymbolType_A);
    return send();
}

/* PowerDelivery: @p profile_w > 0 adds a one-entry ChargingProfile of that power. */
static uint8_t power_delivery(uint8_t progress, uint8_t tuple, int16_t profile_kw)
{
    struct exi_iso2_BodyType *b = req();
    b->PowerDeliveryReq_isUsed = true;
    struct exi_iso2_PowerDeliveryReqType *q = &b->PowerDeliveryReq;
    q->ChargeProgress = progress;
    q->SAScheduleTupleID = tuple;
    q->DC_EVPowerDeliveryParameter_isUsed = true;
    q->EVPowerDeliveryParameter_isUsed = true;
    dc_status(&q->DC_EVPowerDeliveryParameter.DC_EVStatus);
    if (profile_kw > 0) {
        q->ChargingProfile_isUsed = true;
        q->ChargingProfile.ProfileEntry.arrayLen = 1;
        pv(&q->ChargingProfile.ProfileEntry.array[0].ChargingProfileEntryMaxPower, profile_kw, 3,
           exi_iso2_unitSymbolType_W);
    }
    return send();
}

static uint8_t current_demand(void)
{
    struct exi_iso2_BodyType *b = req();
    b->CurrentDemandReq_isUsed = true;
    struct exi_iso2_CurrentDemandReqType *q = &b->CurrentDemandReq;
    dc_status(&q->DC_EVStatus);
    pv(&q->EVTargetCurrent, 100, 0, exi_iso2_unitSymbolType_A);
    pv(&q->EVTargetVoltage, 420, 0, exi_iso2_unitSymbolType_V);
    return send();
}

static uint8_t welding(void)
{
    struct exi_iso2_BodyType *b = req();
    b->WeldingDetectionReq_isUsed = true;
    dc_status(&b->WeldingDetectionReq.DC_EVStatus);
    return send();
}

static uint8_t session_stop(uint8_t how)
{
    struct exi_iso2_BodyType *b = req();
    b->SessionStopReq_isUsed = true;
    b->SessionStopReq.ChargingSession = how;
    return send();
}

#define OK_ exi_iso2_responseCodeType_OK

/* Handshake and everything up to the pre-charge loop. */
static void to_precharge(void)
{
    static const uint8_t zero[8] = {0};
    assert_int_equal(handshake(1, 2, false), 111);
    assert_int_equal(session_setup(zero, 8), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    assert_int_equal(service_discovery(), OK_);
    assert_int_equal(payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0), OK_);
    assert_int_equal(authorization(), OK_);
    assert_int_equal(charge_parameters(-1), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(), OK_);
}

/* The session ended with a FAILED_* code, said why, and asks to close. */
static void assert_failed(uint8_t code, uint8_t want, const char *why_part)
{
    assert_int_equal(code, want);
    assert_true(s_res.failed);
    assert_false(s_res.positive);
    assert_true(s_res.events & HLC_EVT_CLOSE);
    assert_true(hlc_over(&s_h));
    assert_non_null(strstr(s_res.reason, why_part));
    assert_string_equal(s_res.code_name, iso2_response_code_name(want));
}

static void test_handshake_follows_the_cars_priority(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 2, true), 111); /* Tesla's namespace ignored, ISO-2 first */
    assert_string_equal(s_res.protocol, "iso2");
    assert_ptr_equal(hlc_active(&s_h), &hlc_iso2_ops);
    hlc_reset(&s_h);
    assert_int_equal(handshake(2, 1, false), 222); /* the car ranks DIN first: DIN */
    assert_string_equal(s_res.protocol, "din");
    /* With the default list (din) an ISO-2-first car still gets DIN. */
    init_with("din", NULL);
    assert_int_equal(handshake(1, 2, false), 222);
    /* ISO-2 alone configured, a DIN-only car: no common protocol, closed. */
    init_with("iso2", NULL);
    assert_int_equal(handshake(0, 1, false), -1);
    assert_int_equal(s_res.error, HLC_ERR_NO_PROTOCOL);
    assert_true(s_res.events & HLC_EVT_CLOSE);
}

static void test_whole_session(void **state)
{
    (void)state;
    static const uint8_t zero[1] = {0};
    assert_int_equal(handshake(1, 2, false), 111);
    assert_int_equal(session_setup(zero, 1), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    assert_true(s_res.events & HLC_EVT_SESSION);
    const struct exi_iso2_SessionSetupResType *ss = &s_r.V2G_Message.Body.SessionSetupRes;
    assert_int_equal(ss->EVSEID.charactersLen, 14);
    assert_memory_equal(ss->EVSEID.characters, "DE*ABC*E123456", 14);
    assert_int_equal(s_sid_len, 8);
    assert_int_equal(hlc_ev(&s_h)->evccid[5], 0xA1);

    assert_int_equal(service_discovery(), OK_);
    const struct exi_iso2_ServiceDiscoveryResType *sd = &s_r.V2G_Message.Body.ServiceDiscoveryRes;
    assert_int_equal(sd->PaymentOptionList.PaymentOption.arrayLen, 1);
    assert_int_equal(sd->PaymentOptionList.PaymentOption.array[0], exi_iso2_paymentOptionType_ExternalPayment);
    assert_int_equal(sd->ChargeService.ServiceID, 1);
    assert_int_equal(sd->ChargeService.SupportedEnergyTransferMode.EnergyTransferMode.array[0],
                     exi_iso2_EnergyTransferModeType_DC_extended);
    assert_false(sd->ServiceList_isUsed); /* no VAS configured */
    assert_int_equal(payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0), OK_);

    s_auth = HLC_PROCESSING_ONGOING;
    assert_int_equal(authorization(), OK_);
    assert_true(s_res.events & HLC_EVT_AUTHORIZE);
    assert_int_equal(s_r.V2G_Message.Body.AuthorizationRes.EVSEProcessing,
                     exi_iso2_EVSEProcessingType_Ongoing_WaitingForCustomerInteraction);
    assert_int_equal(authorization(), OK_);
    assert_false(s_res.events & HLC_EVT_AUTHORIZE); /* once per loop */
    s_auth = HLC_PROCESSING_FINISHED;
    assert_int_equal(authorization(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.AuthorizationRes.EVSEProcessing, exi_iso2_EVSEProcessingType_Finished);

    assert_int_equal(charge_parameters(-1), OK_);
    const struct exi_iso2_ChargeParameterDiscoveryResType *cp = &s_r.V2G_Message.Body.ChargeParameterDiscoveryRes;
    assert_true(cp->SAScheduleList_isUsed);
    const struct exi_iso2_SAScheduleTupleType *t = &cp->SAScheduleList.SAScheduleTuple.array[0];
    assert_int_equal(t->SAScheduleTupleID, 1);
    assert_int_equal(t->PMaxSchedule.PMaxScheduleEntry.arrayLen, 1);
    assert_int_equal(t->PMaxSchedule.PMaxScheduleEntry.array[0].RelativeTimeInterval.duration, 86400);
    assert_int_equal(iso2_pv_milli(&t->PMaxSchedule.PMaxScheduleEntry.array[0].PMax), 50000000);
    assert_false(t->SalesTariff_isUsed);

    assert_int_equal(cable_check(), OK_);
    assert_true(s_res.events & HLC_EVT_CABLE_CHECK);
    assert_int_equal(precharge(), OK_);
    assert_true(s_res.events & HLC_EVT_PRECHARGE);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Start, 1, 50), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_ON);
    assert_int_equal(s_res.msg, HLC_MSG_POWER_DELIVERY_START);
    assert_int_equal(current_demand(), OK_);
    const struct exi_iso2_CurrentDemandResType *cd = &s_r.V2G_Message.Body.CurrentDemandRes;
    assert_int_equal(cd->SAScheduleTupleID, 1);
    assert_memory_equal(cd->EVSEID.characters, "DE*ABC*E123456", 14);
    assert_true(cd->EVSEMaximumPowerLimit_isUsed);
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 100000);
    assert_int_equal(hlc_ev(&s_h)->schedule_tuple_id, 1);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Stop, 1, 0), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_OFF);
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(exi_iso2_chargingSessionType_Terminate), OK_);
    assert_true(s_res.events & HLC_EVT_SESSION_STOP);
    assert_false(s_res.events & HLC_EVT_PAUSE);
    assert_true(hlc_over(&s_h));
    assert_false(s_h.iso2_paused.valid); /* a terminated session cannot be resumed */
}

static void test_schedule_covers_the_departure_time(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0);
    authorization();
    assert_int_equal(charge_parameters(600), OK_);
    const struct exi_iso2_SAScheduleTupleType *t =
        &s_r.V2G_Message.Body.ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.array[0];
    assert_int_equal(t->PMaxSchedule.PMaxScheduleEntry.array[0].RelativeTimeInterval.duration, 600);
    assert_int_equal(hlc_ev(&s_h)->departure_s, 600);
}

static void test_sales_tariff_and_services_only_when_configured(void **state)
{
    (void)state;
    struct iso2_evse_config c;
    iso2_evse_default_config(&c);
    memcpy(c.evse_id, "DE*ABC*E123456", 15);
    c.offer_contract = true;
    c.vas_count = 1;
    c.vas[0] = (struct iso2_evse_vas){61000, exi_iso2_serviceCategoryType_OtherCustom, true, "Battery data"};
    c.tariff_count = 2;
    c.tariff_id = 80;
    c.tariff[0] = (struct iso2_evse_tariff_entry){0, 1};
    c.tariff[1] = (struct iso2_evse_tariff_entry){3600, 2};
    init_with("iso2", &c);
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    assert_int_equal(service_discovery(), OK_);
    const struct exi_iso2_ServiceDiscoveryResType *sd = &s_r.V2G_Message.Body.ServiceDiscoveryRes;
    /* offer_contract alone does not list Contract: without TLS, roots and a crypto port
     * (iso2_evse_set_pnc(), tests/host/test_iso2_evse_pnc.c) PnC cannot be served. */
    assert_int_equal(sd->PaymentOptionList.PaymentOption.arrayLen, 1);
    assert_true(sd->ServiceList_isUsed);
    assert_int_equal(sd->ServiceList.Service.array[0].ServiceID, 61000);
    /* ServiceDetail of the offered service is answered. */
    req()->ServiceDetailReq_isUsed = true;
    s_q.V2G_Message.Body.ServiceDetailReq.ServiceID = 61000;
    assert_int_equal(send(), OK_);
    assert_int_equal(s_res.msg, HLC_MSG_SERVICE_DETAIL);
    assert_int_equal(payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 61000), OK_);
    authorization();
    assert_int_equal(charge_parameters(-1), OK_);
    const struct exi_iso2_SAScheduleTupleType *t =
        &s_r.V2G_Message.Body.ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.array[0];
    assert_true(t->SalesTariff_isUsed);
    assert_int_equal(t->SalesTariff.SalesTariffID, 80);
    assert_int_equal(t->SalesTariff.SalesTariffEntry.arrayLen, 2);
    assert_int_equal(t->SalesTariff.SalesTariffEntry.array[1].RelativeTimeInterval.duration, 86400 - 3600);
}

static void test_service_and_payment_refusals(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    req()->ServiceDetailReq_isUsed = true;
    s_q.V2G_Message.Body.ServiceDetailReq.ServiceID = 61000;
    assert_failed(send(), exi_iso2_responseCodeType_FAILED_ServiceIDInvalid, "do not offer");

    setup(NULL);
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    assert_failed(payment_selection(exi_iso2_paymentOptionType_Contract, 0),
                  exi_iso2_responseCodeType_FAILED_PaymentSelectionInvalid, "payment option");

    setup(NULL);
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    assert_failed(payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 3),
                  exi_iso2_responseCodeType_FAILED_ServiceSelectionInvalid, "not offered");
}

static void test_authorization_timeout(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0);
    s_auth = HLC_PROCESSING_ONGOING;
    assert_int_equal(authorization(), OK_);
    s_now += ISO2_ONGOING_TIMEOUT_MS;
    assert_failed(authorization(), exi_iso2_responseCodeType_FAILED, "ongoing timeout");
    assert_true(s_res.events & HLC_EVT_TIMEOUT);
}

static void test_sequence_timeout(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    assert_int_equal(hlc_tick(&s_h, s_now + ISO2_SEQUENCE_TIMEOUT_MS - 1), 0);
    assert_int_equal(hlc_tick(&s_h, s_now + ISO2_SEQUENCE_TIMEOUT_MS), HLC_EVT_TIMEOUT);
    assert_true(hlc_over(&s_h));
    assert_int_equal(hlc_tick(&s_h, s_now + 2 * ISO2_SEQUENCE_TIMEOUT_MS), 0); /* once */
}

/* A ServiceDiscoveryReq to a session that is over: HAL_OK would mean it was answered. */
static int service_discovery_after_over(void)
{
    req()->ServiceDiscoveryReq_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso2_encode(&w, &s_q), HAL_OK);
    size_t out = 0;
    int rc = hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out, &s_res, s_now);
    assert_int_equal(out, 0);
    return rc == HAL_OK ? 1 : 0;
}

/* Bad input 1: DIN after ISO-2 was negotiated. */
static void test_din_after_iso2(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 2, false);
    session_setup(zero, 8);
    memset(&s_dq, 0, sizeof s_dq);
    s_dq.V2G_Message_isUsed = true;
    memcpy(s_dq.V2G_Message.Header.SessionID.bytes, s_sid, 8);
    s_dq.V2G_Message.Header.SessionID.bytesLen = 8;
    s_dq.V2G_Message.Body.ServiceDiscoveryReq_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_din_encode(&w, &s_dq), HAL_OK);
    size_t out = 0;
    int rc = hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out, &s_res, s_now);
    /* The DIN grammar is not ISO-2's: either undecodable (session ended, nothing sent) or
     * some other ISO-2 request out of sequence (FAILED_SequenceError). Never positive. */
    assert_false(s_res.positive);
    assert_true(s_res.failed);
    assert_true(hlc_over(&s_h));
    assert_true(s_res.reason[0] != '\0');
    if (rc != HAL_OK) {
        assert_int_equal(s_res.error, HLC_ERR_DECODE);
        assert_int_equal(out, 0);
        assert_non_null(strstr(s_res.reason, "undecodable"));
    }
    /* Whatever comes next is not answered. */
    assert_int_equal(service_discovery_after_over(), 0);
}

/* Bad input 2: resume with an unknown SessionID. */
static void pause_a_session(void)
{
    to_precharge();
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Start, 1, 0), OK_);
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Stop, 1, 0), OK_);
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(exi_iso2_chargingSessionType_Pause), OK_);
    assert_true(s_res.events & HLC_EVT_PAUSE);
    assert_true(s_res.events & HLC_EVT_SESSION_STOP);
    assert_true(s_h.iso2_paused.valid);
    hlc_reset(&s_h); /* the EV closes TCP; it comes back on a new connection */
}

static void test_pause_and_resume(void **state)
{
    (void)state;
    pause_a_session();
    uint8_t old[8];
    memcpy(old, s_sid, 8);
    assert_int_equal(handshake(1, 2, false), 111);
    assert_int_equal(session_setup(old, 8), exi_iso2_responseCodeType_OK_OldSessionJoined);
    assert_true(s_res.events & HLC_EVT_RESUMED);
    assert_memory_equal(s_sid, old, 8);
    assert_false(s_h.iso2_paused.valid); /* joined once */
    assert_int_equal(service_discovery(), OK_);
}

static void test_unknown_session_on_resume(void **state)
{
    (void)state;
    pause_a_session();
    uint8_t old[8], bogus[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    memcpy(old, s_sid, 8);
    handshake(1, 2, false);
    /* [V2G2-756]: an ID we do not know gets a new session, with an ID that is neither the
     * presented one nor the paused one; nothing of the paused session is inherited. */
    assert_int_equal(session_setup(bogus, 8), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    assert_false(s_res.events & HLC_EVT_RESUMED);
    assert_memory_not_equal(s_sid, bogus, 8);
    assert_memory_not_equal(s_sid, old, 8);
    /* A car that skips SessionSetup and goes on with its unknown ID: FAILED_UnknownSession. */
    memcpy(s_sid, bogus, 8);
    assert_failed(service_discovery(), exi_iso2_responseCodeType_FAILED_UnknownSession, "SessionID");
}

/* Bad inputs 3 and 4: the PowerDelivery(Start) checks against what we offered. */
static void test_profile_above_schedule(void **state)
{
    (void)state;
    to_precharge();
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Start, 1, 51),
                  exi_iso2_responseCodeType_FAILED_ChargingProfileInvalid, "above the offered PMax");
    assert_false(s_res.events & HLC_EVT_POWER_ON);
}

static void test_tuple_never_offered(void **state)
{
    (void)state;
    to_precharge();
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Start, 7, 0),
                  exi_iso2_responseCodeType_FAILED_TariffSelectionInvalid, "never offered");
    assert_false(s_res.events & HLC_EVT_POWER_ON);
}

/* Bad input 5. */
static void test_current_demand_before_power_delivery(void **state)
{
    (void)state;
    to_precharge();
    assert_failed(current_demand(), exi_iso2_responseCodeType_FAILED_SequenceError,
                  "CurrentDemand before PowerDelivery");
    assert_false(s_res.events & HLC_EVT_CURRENT_DEMAND);
}

/* Bad input 6. */
static void test_pause_during_cable_check(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    handshake(1, 0, false);
    session_setup(zero, 8);
    service_discovery();
    payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0);
    authorization();
    charge_parameters(-1);
    s_iso = HLC_ISOLATION_INVALID; /* the insulation test is still running */
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CableCheckRes.EVSEProcessing, exi_iso2_EVSEProcessingType_Ongoing);
    assert_failed(session_stop(exi_iso2_chargingSessionType_Pause), exi_iso2_responseCodeType_FAILED,
                  "pause requested before PowerDelivery(Stop)");
    assert_false(s_h.iso2_paused.valid);
}

/* The stop paths of docs/interop.md, ISO-2 machine: SessionStop(Terminate) after every
 * step of the sequence. Taken before power flows and after PowerDelivery(Stop) (EvseV2G's
 * table); in the charging loop the answer is FAILED_SequenceError and the session ends
 * ([V2G2-538], [V2G2-539]). */
static void test_session_stop_after_every_step(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    for (int at = 0; at <= 9; at++) {
        setup(NULL);
        assert_int_equal(handshake(1, 2, false), 111);
        assert_int_equal(session_setup(zero, 8), exi_iso2_responseCodeType_OK_NewSessionEstablished);
        assert_true(at < 1 || service_discovery() == OK_);
        assert_true(at < 2 || payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0) == OK_);
        assert_true(at < 3 || authorization() == OK_);
        assert_true(at < 4 || charge_parameters(-1) == OK_);
        assert_true(at < 5 || cable_check() == OK_);
        assert_true(at < 6 || precharge() == OK_);
        assert_true(at < 7 || power_delivery(exi_iso2_chargeProgressType_Start, 1, 0) == OK_);
        assert_true(at < 8 || current_demand() == OK_);
        assert_true(at < 9 || power_delivery(exi_iso2_chargeProgressType_Stop, 1, 0) == OK_);
        uint8_t code = session_stop(exi_iso2_chargingSessionType_Terminate);
        assert_true(s_r.V2G_Message.Body.SessionStopRes_isUsed); /* an answer of its type */
        if (at <= 6 || at == 9) {
            assert_int_equal(code, OK_);
            assert_true(s_res.events & HLC_EVT_SESSION_STOP);
            assert_false(s_res.failed);
        } else {
            assert_failed(code, exi_iso2_responseCodeType_FAILED_SequenceError, "out of sequence");
        }
    }
}

/* PowerDelivery(Stop) right after CableCheck is out of sequence (WAIT_FOR_PRECHARGE);
 * after the first PreCharge it is the EV's stop: OK, power off, then welding. */
static void test_power_delivery_stop_before_charging(void **state)
{
    (void)state;
    static const uint8_t zero[8] = {0};
    assert_int_equal(handshake(1, 2, false), 111);
    assert_int_equal(session_setup(zero, 8), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    assert_int_equal(service_discovery(), OK_);
    assert_int_equal(payment_selection(exi_iso2_paymentOptionType_ExternalPayment, 0), OK_);
    assert_int_equal(authorization(), OK_);
    assert_int_equal(charge_parameters(-1), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Stop, 1, 0),
                  exi_iso2_responseCodeType_FAILED_SequenceError, "out of sequence");
    assert_true(s_r.V2G_Message.Body.PowerDeliveryRes_isUsed);
    setup(NULL);
    to_precharge();
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Stop, 1, 0), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_OFF);
    assert_false(s_res.events & HLC_EVT_POWER_ON);
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(exi_iso2_chargingSessionType_Terminate), OK_);
    assert_true(s_res.events & HLC_EVT_SESSION_STOP);
}

static void test_charging_status_is_ac_only(void **state)
{
    (void)state;
    to_precharge();
    power_delivery(exi_iso2_chargeProgressType_Start, 1, 0);
    current_demand();
    req()->ChargingStatusReq_isUsed = true;
    assert_failed(send(), exi_iso2_responseCodeType_FAILED_SequenceError, "ChargingStatus");
}

static void test_metering_receipt_accepted(void **state)
{
    (void)state;
    to_precharge();
    power_delivery(exi_iso2_chargeProgressType_Start, 1, 0);
    current_demand();
    struct exi_iso2_BodyType *b = req();
    b->MeteringReceiptReq_isUsed = true;
    b->MeteringReceiptReq.SessionID.bytesLen = 8;
    memcpy(b->MeteringReceiptReq.SessionID.bytes, s_sid, 8);
    b->MeteringReceiptReq.MeterInfo.MeterID.charactersLen = 2;
    memcpy(b->MeteringReceiptReq.MeterInfo.MeterID.characters, "M1", 2);
    assert_int_equal(send(), OK_);
    assert_int_equal(current_demand(), OK_);
}

static void test_renegotiation(void **state)
{
    (void)state;
    to_precharge();
    /* Renegotiate before the charge loop: FAILED ([V2G2-812]). */
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Renegotiate, 1, 0), exi_iso2_responseCodeType_FAILED,
                  "Renegotiate outside");
    setup(NULL);
    to_precharge();
    power_delivery(exi_iso2_chargeProgressType_Start, 1, 0);
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Renegotiate, 1, 0), OK_);
    assert_int_equal(s_res.msg, HLC_MSG_RENEGOTIATE);
    assert_true(s_res.events & HLC_EVT_RENEGOTIATE);
    assert_true(s_res.events & HLC_EVT_POWER_OFF);
    /* CPD, cable check, pre-charge and Start again, then the loop goes on. */
    assert_int_equal(charge_parameters(-1), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_true(s_res.events & HLC_EVT_CABLE_CHECK);
    assert_int_equal(precharge(), OK_);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Start, 1, 0), OK_);
    assert_int_equal(current_demand(), OK_);
    /* Start again inside the loop: FAILED. */
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Start, 1, 0), exi_iso2_responseCodeType_FAILED,
                  "after the charge loop");
}

/* The station's limit falls mid-session: every CurrentDemandRes asks for ReNegotiation until
 * the car renegotiates; the new schedule carries the new limit. */
static void test_charger_initiated_renegotiation(void **state)
{
    (void)state;
    to_precharge();
    power_delivery(exi_iso2_chargeProgressType_Start, 1, 0);
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSENotification,
                     exi_iso2_EVSENotificationType_None);
    s_max_power_w = 20000;
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSENotification,
                     exi_iso2_EVSENotificationType_ReNegotiation);
    assert_int_equal(iso2_pv_milli(&s_r.V2G_Message.Body.CurrentDemandRes.EVSEMaximumPowerLimit), 20000000);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Renegotiate, 1, 0), OK_);
    assert_int_equal(charge_parameters(-1), OK_);
    const struct exi_iso2_SAScheduleTupleType *t =
        &s_r.V2G_Message.Body.ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.array[0];
    assert_int_equal(iso2_pv_milli(&t->PMaxSchedule.PMaxScheduleEntry.array[0].PMax), 20000000);
    cable_check();
    precharge();
    /* The old profile (50 kW) no longer fits the new schedule. */
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Start, 1, 50),
                  exi_iso2_responseCodeType_FAILED_ChargingProfileInvalid, "above the offered PMax");
}

/* The station's limit rises: a small rise (within 10 %) keeps the schedule, a larger one
 * asks for ReNegotiation and the new schedule offers the higher limit. */
static void test_renegotiation_when_the_limit_rises(void **state)
{
    (void)state;
    s_max_power_w = 20000;
    to_precharge();
    power_delivery(exi_iso2_chargeProgressType_Start, 1, 0);
    s_max_power_w = 22000; /* +10 %: not worth a cable check */
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSENotification,
                     exi_iso2_EVSENotificationType_None);
    s_max_power_w = 40000;
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSENotification,
                     exi_iso2_EVSENotificationType_ReNegotiation);
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Renegotiate, 1, 0), OK_);
    assert_int_equal(charge_parameters(-1), OK_);
    const struct exi_iso2_SAScheduleTupleType *t =
        &s_r.V2G_Message.Body.ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple.array[0];
    assert_int_equal(iso2_pv_milli(&t->PMaxSchedule.PMaxScheduleEntry.array[0].PMax), 40000000);
    cable_check();
    precharge();
    assert_int_equal(power_delivery(exi_iso2_chargeProgressType_Start, 1, 0), OK_);
    assert_int_equal(current_demand(), OK_);
    assert_int_equal(s_r.V2G_Message.Body.CurrentDemandRes.DC_EVSEStatus.EVSENotification,
                     exi_iso2_EVSENotificationType_None);
}

static void test_not_ready_and_emergency(void **state)
{
    (void)state;
    to_precharge();
    s_evse_status = HLC_EVSE_NOT_READY;
    assert_failed(power_delivery(exi_iso2_chargeProgressType_Start, 1, 0),
                  exi_iso2_responseCodeType_FAILED_PowerDeliveryNotApplied, "not ready");
    setup(NULL);
    to_precharge();
    s_evse_status = HLC_EVSE_EMERGENCY_SHUTDOWN;
    assert_failed(precharge(), exi_iso2_responseCodeType_FAILED, "emergency");
    struct iso2_evse_status st;
    struct hlc_evse e;
    status(NULL, NULL, &e);
    e.status = HLC_EVSE_EMERGENCY_SHUTDOWN;
    e.isolation = HLC_ISOLATION_FAULT;
    e.notification = HLC_NOTIFY_RENEGOTIATE;
    e.schedule.count = 1;
    e.schedule.entry[0].pmax_w = 1234;
    hlc_iso2_status(&e, &st);
    assert_int_equal(st.status_code, exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown);
    assert_int_equal(st.isolation, exi_iso2_isolationLevelType_Fault);
    assert_int_equal(st.notification, exi_iso2_EVSENotificationType_ReNegotiation);
    assert_int_equal(st.pmax_count, 1);
    assert_int_equal(st.pmax[0].pmax_w, 1234);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(iso2_response_code_name(exi_iso2_responseCodeType_FAILED_CertificateRevoked),
                        "FAILED_CertificateRevoked");
    assert_string_equal(iso2_response_code_name(200), "?");
    assert_string_equal(iso2_msg_name(ISO2_MSG_METERING_RECEIPT), "MeteringReceipt");
    assert_string_equal(iso2_evse_phase_name(ISO2_EVSE_PAUSED), "paused");
    assert_string_equal(hlc_msg_name(HLC_MSG_RENEGOTIATE), "power_delivery_renegotiate");
    struct exi_iso2_PhysicalValueType p;
    iso2_pv_set(&p, 150000000, exi_iso2_unitSymbolType_W);
    assert_int_equal(iso2_pv_milli(&p), 150000000);
    assert_int_equal(p.Multiplier, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_handshake_follows_the_cars_priority, setup),
        cmocka_unit_test_setup(test_whole_session, setup),
        cmocka_unit_test_setup(test_schedule_covers_the_departure_time, setup),
        cmocka_unit_test_setup(test_sales_tariff_and_services_only_when_configured, setup),
        cmocka_unit_test_setup(test_service_and_payment_refusals, setup),
        cmocka_unit_test_setup(test_authorization_timeout, setup),
        cmocka_unit_test_setup(test_sequence_timeout, setup),
        cmocka_unit_test_setup(test_din_after_iso2, setup),
        cmocka_unit_test_setup(test_pause_and_resume, setup),
        cmocka_unit_test_setup(test_unknown_session_on_resume, setup),
        cmocka_unit_test_setup(test_profile_above_schedule, setup),
        cmocka_unit_test_setup(test_tuple_never_offered, setup),
        cmocka_unit_test_setup(test_current_demand_before_power_delivery, setup),
        cmocka_unit_test_setup(test_pause_during_cable_check, setup),
        cmocka_unit_test_setup(test_charging_status_is_ac_only, setup),
        cmocka_unit_test_setup(test_session_stop_after_every_step, setup),
        cmocka_unit_test_setup(test_power_delivery_stop_before_charging, setup),
        cmocka_unit_test_setup(test_metering_receipt_accepted, setup),
        cmocka_unit_test_setup(test_renegotiation, setup),
        cmocka_unit_test_setup(test_charger_initiated_renegotiation, setup),
        cmocka_unit_test_setup(test_renegotiation_when_the_limit_rises, setup),
        cmocka_unit_test_setup(test_not_ready_and_emergency, setup),
        cmocka_unit_test_setup(test_names, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
