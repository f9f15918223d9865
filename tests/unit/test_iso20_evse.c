/* Unit tests of the ISO 15118-20 DC SECC machine (protocols/iso20/iso20_evse*.c) through the
 * one V2G entry point (hlc_handle, firmware/hlc_iso20.c): every request is encoded with the
 * payload type of its namespace and every answer decoded again, so each test also proves the
 * answer is schema-complete and comes in the right grammar. Whole sessions in dynamic and
 * scheduled mode, DC_BPT offered only on a stage that can discharge, pause and resume,
 * schedule and service renegotiation, the transport rule of the handshake, and the bad
 * inputs of issue 16: wrong namespace or control mode, ScheduleExchange of the other mode,
 * a service never offered, BPT limits on a stage that cannot discharge, a renegotiation
 * during cable check. Each must get the standard's code, end the session and say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hlc_iso20.h"

static struct hlc s_h;
static struct exi_iso20_document s_q, s_r;
static struct exi_iso20_dc_document s_dq, s_dr;
static struct exi_apphand_document s_aq, s_ar;
static uint8_t s_in[8192], s_out[8192];
static struct hlc_evse s_evse;
static struct hlc_result s_res;
static uint32_t s_now;
static uint8_t s_sid[8];

/* What the charger says (the status hook copies these). */
static enum hlc_processing s_auth, s_cpd, s_cc;
static bool s_discharge;
static enum hlc_evse_status s_status;
static enum hlc_notification s_notify;
static struct hlc_schedule s_sched;

static int test_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        bytes[i] = (uint8_t)(0xA0u + i);
    }
    return HAL_OK;
}

static void status(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *e)
{
    (void)ctx;
    (void)rq;
    memset(e, 0, sizeof *e);
    e->present_voltage_mv = 400000;
    e->present_current_ma = 50000;
    e->max_voltage_mv = 920000;
    e->max_current_ma = 200000;
    e->max_power_w = 150000;
    e->min_voltage_mv = 150000;
    e->energy_to_deliver_wh = -1;
    e->status = s_status;
    e->notification = s_notify;
    e->notification_max_delay_s = 30;
    e->authorization = s_auth;
    e->charge_parameters = s_cpd;
    e->cable_check = s_cc;
    e->can_discharge = s_discharge;
    e->schedule = s_sched;
    e->unix_time_s = 1761652389;
}

static void init_with(const struct iso20_evse_config *c)
{
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    assert_int_equal(hlc_parse_protocols("iso20,iso2,din", &cfg.protocols, NULL, 0), HAL_OK);
    if (c != NULL) {
        cfg.iso20 = *c;
    }
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_OK);
}

static int setup(void **state)
{
    (void)state;
    s_now = 1000;
    s_auth = s_cpd = s_cc = HLC_PROCESSING_FINISHED;
    s_discharge = false;
    s_status = HLC_EVSE_READY;
    s_notify = HLC_NOTIFY_NONE;
    memset(&s_sched, 0, sizeof s_sched);
    memset(s_sid, 0, sizeof s_sid);
    init_with(NULL);
    return 0;
}

/* supportedAppProtocolReq: -20 DC at @p p20, ISO-2 at @p p2 (0: not offered). The SchemaID
 * answered, -1 for Failed_NoNegotiation. */
static int handshake(uint8_t p20, uint8_t p2)
{
    struct apphand_offer o[2];
    size_t n = 0;
    if (p20 != 0) {
        o[n++] = (struct apphand_offer){APPHAND_NS_ISO20_DC, 1, 0, 20, p20};
    }
    if (p2 != 0) {
        o[n++] = (struct apphand_offer){APPHAND_NS_ISO2, 2, 0, 2, p2};
    }
    assert_int_equal(apphand_offer_fill(&s_aq, o, n), HAL_OK);
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_apphand_encode(&w, &s_aq), HAL_OK);
    size_t out = 0;
    hlc_set_payload_type(&s_h, HLC_PT_EXI);
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out,
                                &s_res, s_now),
                     HAL_OK);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_apphand_decode(&r, &s_ar), HAL_OK);
    return s_ar.supportedAppProtocolRes.SchemaID_isUsed ? s_ar.supportedAppProtocolRes.SchemaID : -1;
}

/* A fresh common request with our session's ID. */
static struct exi_iso20_document *creq(void)
{
    memset(&s_q, 0, sizeof s_q);
    memcpy(s_q.SessionSetupReq.Header.SessionID.bytes, s_sid, 8);
    s_q.SessionSetupReq.Header.SessionID.bytesLen = 8;
    s_q.SessionSetupReq.Header.TimeStamp = 1761652389u;
    return &s_q;
}

static struct exi_iso20_dc_document *dreq(void)
{
    memset(&s_dq, 0, sizeof s_dq);
    memcpy(s_dq.DC_CableCheckReq.Header.SessionID.bytes, s_sid, 8);
    s_dq.DC_CableCheckReq.Header.SessionID.bytesLen = 8;
    s_dq.DC_CableCheckReq.Header.TimeStamp = 1761652389u;
    return &s_dq;
}

/* Send the common request: the answer must come as 0x8002 and decode; its ResponseCode. */
static uint8_t send_c(void)
{
    s_now += 100;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso20_encode(&w, &s_q), HAL_OK);
    size_t out = 0;
    hlc_set_payload_type(&s_h, ISO20_PT_COMMON);
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out,
                                &s_res, s_now),
                     HAL_OK);
    assert_int_equal(s_res.error, HLC_ERR_NONE);
    assert_int_equal(s_res.payload_type, ISO20_PT_COMMON);
    hlc_sent(&s_h, s_now);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_iso20_decode(&r, &s_r), HAL_OK);
    assert_int_equal(iso20_response_kind(&s_r), iso20_request_kind(&s_q));
    return iso20_response_code(&s_r);
}

static uint8_t send_d(void)
{
    s_now += 100;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso20_dc_encode(&w, &s_dq), HAL_OK);
    size_t out = 0;
    hlc_set_payload_type(&s_h, ISO20_PT_DC);
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out,
                                &s_res, s_now),
                     HAL_OK);
    assert_int_equal(s_res.error, HLC_ERR_NONE);
    assert_int_equal(s_res.payload_type, ISO20_PT_DC);
    hlc_sent(&s_h, s_now);
    struct exi_reader r;
    exi_reader_init(&r, s_out, out);
    assert_int_equal(exi_iso20_dc_decode(&r, &s_dr), HAL_OK);
    assert_int_equal(iso20_dc_response_kind(&s_dr), iso20_dc_request_kind(&s_dq));
    return iso20_dc_response_code(&s_dr);
}

#define OK_ ((uint8_t)exi_iso20_responseCodeType_OK)
#define C(x) ((uint8_t)exi_iso20_responseCodeType_##x)
#define RN(rn, e, v) ((rn).Exponent = (e), (rn).Value = (v))

static const char *phase(void)
{
    return iso20_evse_phase_name(iso20_evse_phase(hlc_iso20_machine(&s_h)));
}

/* ---- request builders */

static uint8_t session_setup(const char *evccid, const uint8_t *old_id)
{
    struct exi_iso20_document *d = creq();
    memset(d->SessionSetupReq.Header.SessionID.bytes, 0, 8);
    if (old_id != NULL) {
        memcpy(d->SessionSetupReq.Header.SessionID.bytes, old_id, 8);
    }
    d->SessionSetupReq_isUsed = true;
    size_t n = strlen(evccid);
    memcpy(d->SessionSetupReq.EVCCID.characters, evccid, n);
    d->SessionSetupReq.EVCCID.charactersLen = (uint16_t)n;
    uint8_t c = send_c();
    memcpy(s_sid, s_r.SessionSetupRes.Header.SessionID.bytes, 8);
    return c;
}

static uint8_t auth_setup(void)
{
    creq()->AuthorizationSetupReq_isUsed = true;
    return send_c();
}

static uint8_t authorize(bool pnc)
{
    struct exi_iso20_document *d = creq();
    d->AuthorizationReq_isUsed = true;
    d->AuthorizationReq.SelectedAuthorizationService = pnc ? 1 : 0;
    d->AuthorizationReq.EIM_AReqAuthorizationMode_isUsed = !pnc;
    if (pnc) {
        d->AuthorizationReq.PnC_AReqAuthorizationMode_isUsed = true;
        memcpy(d->AuthorizationReq.PnC_AReqAuthorizationMode.Id.characters, "id1", 3);
        d->AuthorizationReq.PnC_AReqAuthorizationMode.Id.charactersLen = 3;
        d->AuthorizationReq.PnC_AReqAuthorizationMode.GenChallenge.bytesLen = 16;
        d->AuthorizationReq.PnC_AReqAuthorizationMode.ContractCertificateChain.Certificate.bytesLen = 1;
        d->AuthorizationReq.PnC_AReqAuthorizationMode.ContractCertificateChain.SubCertificates.Certificate.arrayLen = 1;
        d->AuthorizationReq.PnC_AReqAuthorizationMode.ContractCertificateChain.SubCertificates.Certificate.array[0].bytesLen = 1;
    }
    return send_c();
}

static uint8_t discovery(void)
{
    creq()->ServiceDiscoveryReq_isUsed = true;
    return send_c();
}

static uint8_t detail(uint16_t sid)
{
    struct exi_iso20_document *d = creq();
    d->ServiceDetailReq_isUsed = true;
    d->ServiceDetailReq.ServiceID = sid;
    return send_c();
}

static uint8_t selection(uint16_t sid, uint16_t set)
{
    struct exi_iso20_document *d = creq();
    d->ServiceSelectionReq_isUsed = true;
    d->ServiceSelectionReq.SelectedEnergyTransferService.ServiceID = sid;
    d->ServiceSelectionReq.SelectedEnergyTransferService.ParameterSetID = set;
    return send_c();
}

static uint8_t cpd(bool bpt, int16_t ev_max_v)
{
    struct exi_iso20_dc_document *d = dreq();
    d->DC_ChargeParameterDiscoveryReq_isUsed = true;
    struct exi_iso20_dc_DC_ChargeParameterDiscoveryReqType *q = &d->DC_ChargeParameterDiscoveryReq;
    if (bpt) {
        struct exi_iso20_dc_BPT_DC_CPDReqEnergyTransferModeType *b = &q->BPT_DC_CPDReqEnergyTransferMode;
        q->BPT_DC_CPDReqEnergyTransferMode_isUsed = true;
        RN(b->EVMaximumChargePower, 3, 300);
        RN(b->EVMinimumChargePower, 0, 100);
        RN(b->EVMaximumChargeCurrent, 0, 300);
        RN(b->EVMinimumChargeCurrent, 0, 10);
        RN(b->EVMaximumVoltage, 0, ev_max_v);
        RN(b->EVMinimumVoltage, 0, 10);
        RN(b->EVMaximumDischargePower, 3, -11);
        RN(b->EVMinimumDischargePower, 0, 0);
        RN(b->EVMaximumDischargeCurrent, 0, -30);
        RN(b->EVMinimumDischargeCurrent, 0, 0);
    } else {
        struct exi_iso20_dc_DC_CPDReqEnergyTransferModeType *b = &q->DC_CPDReqEnergyTransferMode;
        q->DC_CPDReqEnergyTransferMode_isUsed = true;
        RN(b->EVMaximumChargePower, 3, 300);
        RN(b->EVMinimumChargePower, 0, 100);
        RN(b->EVMaximumChargeCurrent, 0, 300);
        RN(b->EVMinimumChargeCurrent, 0, 10);
        RN(b->EVMaximumVoltage, 0, ev_max_v);
        RN(b->EVMinimumVoltage, 0, 10);
    }
    return send_d();
}

static uint8_t schedule(bool dynamic, uint32_t departure)
{
    struct exi_iso20_document *d = creq();
    d->ScheduleExchangeReq_isUsed = true;
    d->ScheduleExchangeReq.MaximumSupportingPoints = 1024;
    if (dynamic) {
        struct exi_iso20_Dynamic_SEReqControlModeType *x = &d->ScheduleExchangeReq.Dynamic_SEReqControlMode;
        d->ScheduleExchangeReq.Dynamic_SEReqControlMode_isUsed = true;
        x->DepartureTime = departure;
        x->MinimumSOC = 30;
        x->MinimumSOC_isUsed = true;
        x->TargetSOC = 80;
        x->TargetSOC_isUsed = true;
        RN(x->EVTargetEnergyRequest, 3, 40);
        RN(x->EVMaximumEnergyRequest, 3, 60);
        RN(x->EVMinimumEnergyRequest, 3, -20);
    } else {
        d->ScheduleExchangeReq.Scheduled_SEReqControlMode_isUsed = true;
        if (departure != 0) {
            d->ScheduleExchangeReq.Scheduled_SEReqControlMode.DepartureTime = departure;
            d->ScheduleExchangeReq.Scheduled_SEReqControlMode.DepartureTime_isUsed = true;
        }
    }
    return send_c();
}

static uint8_t cable_check(void)
{
    dreq()->DC_CableCheckReq_isUsed = true;
    return send_d();
}

static uint8_t precharge(bool finished, int16_t target_v)
{
    struct exi_iso20_dc_document *d = dreq();
    d->DC_PreChargeReq_isUsed = true;
    d->DC_PreChargeReq.EVProcessing = finished ? 0 : 1;
    RN(d->DC_PreChargeReq.EVPresentVoltage, 0, target_v);
    RN(d->DC_PreChargeReq.EVTargetVoltage, 0, target_v);
    return send_d();
}

/* PowerDelivery: @p cp chargeProgress; @p mode 0 none, 1 dynamic profile, 2 scheduled (tuple). */
static uint8_t power_delivery(uint8_t cp, int mode, uint32_t tuple, bool discharge)
{
    struct exi_iso20_document *d = creq();
    d->PowerDeliveryReq_isUsed = true;
    struct exi_iso20_PowerDeliveryReqType *q = &d->PowerDeliveryReq;
    q->EVProcessing = 0;
    q->ChargeProgress = cp;
    if (mode != 0) {
        q->EVPowerProfile_isUsed = true;
        q->EVPowerProfile.EVPowerProfileEntries.EVPowerProfileEntry.arrayLen = 1;
        q->EVPowerProfile.EVPowerProfileEntries.EVPowerProfileEntry.array[0].Duration = 3600;
        RN(q->EVPowerProfile.EVPowerProfileEntries.EVPowerProfileEntry.array[0].Power, 3, 11);
        if (mode == 1) {
            q->EVPowerProfile.Dynamic_EVPPTControlMode_isUsed = true;
        } else {
            q->EVPowerProfile.Scheduled_EVPPTControlMode_isUsed = true;
            q->EVPowerProfile.Scheduled_EVPPTControlMode.SelectedScheduleTupleID = tuple;
        }
    }
    if (discharge) {
        q->BPT_ChannelSelection_isUsed = true;
        q->BPT_ChannelSelection = (uint8_t)exi_iso20_channelSelectionType_Discharge;
    }
    return send_c();
}

/* The loop request in @p mode's element: 'd' dynamic, 's' scheduled, 'D'/'S' their BPT ones. */
static uint8_t loop(char mode, int16_t target_a, int16_t target_v)
{
    struct exi_iso20_dc_document *d = dreq();
    d->DC_ChargeLoopReq_isUsed = true;
    struct exi_iso20_dc_DC_ChargeLoopReqType *q = &d->DC_ChargeLoopReq;
    q->MeterInfoRequested = true;
    RN(q->EVPresentVoltage, 0, 380);
    q->DisplayParameters_isUsed = true;
    q->DisplayParameters.PresentSOC = 55;
    q->DisplayParameters.PresentSOC_isUsed = true;
    if (mode == 'd') {
        struct exi_iso20_dc_Dynamic_DC_CLReqControlModeType *x = &q->Dynamic_DC_CLReqControlMode;
        q->Dynamic_DC_CLReqControlMode_isUsed = true;
        RN(x->EVTargetEnergyRequest, 3, 40);
        RN(x->EVMaximumEnergyRequest, 3, 60);
        RN(x->EVMinimumEnergyRequest, 3, -20);
        RN(x->EVMaximumChargePower, 3, 40);
        RN(x->EVMinimumChargePower, 0, 400);
        RN(x->EVMaximumChargeCurrent, 0, 150);
        RN(x->EVMaximumVoltage, 0, 420);
        RN(x->EVMinimumVoltage, 0, 40);
    } else if (mode == 's') {
        struct exi_iso20_dc_Scheduled_DC_CLReqControlModeType *x = &q->Scheduled_DC_CLReqControlMode;
        q->Scheduled_DC_CLReqControlMode_isUsed = true;
        RN(x->EVTargetCurrent, 0, target_a);
        RN(x->EVTargetVoltage, 0, target_v);
    } else if (mode == 'S') {
        struct exi_iso20_dc_BPT_Scheduled_DC_CLReqControlModeType *x = &q->BPT_Scheduled_DC_CLReqControlMode;
        q->BPT_Scheduled_DC_CLReqControlMode_isUsed = true;
        RN(x->EVTargetCurrent, 0, target_a);
        RN(x->EVTargetVoltage, 0, target_v);
    }
    return send_d();
}

static uint8_t welding(void)
{
    dreq()->DC_WeldingDetectionReq_isUsed = true;
    return send_d();
}

static uint8_t session_stop(uint8_t how)
{
    struct exi_iso20_document *d = creq();
    d->SessionStopReq_isUsed = true;
    d->SessionStopReq.ChargingSession = how;
    return send_c();
}

#define STOP_PAUSE ((uint8_t)exi_iso20_chargingSessionType_Pause)
#define STOP_TERMINATE ((uint8_t)exi_iso20_chargingSessionType_Terminate)
#define STOP_RENEGOTIATE ((uint8_t)exi_iso20_chargingSessionType_ServiceRenegotiation)
#define CP_START ((uint8_t)exi_iso20_chargeProgressType_Start)
#define CP_STOP ((uint8_t)exi_iso20_chargeProgressType_Stop)
#define CP_STANDBY ((uint8_t)exi_iso20_chargeProgressType_Standby)
#define CP_RENEGOTIATE ((uint8_t)exi_iso20_chargeProgressType_ScheduleRenegotiation)

/* Up to the selected service: handshake, setup, EIM, discovery, detail, selection. */
static void to_selected(uint16_t sid, uint16_t set)
{
    assert_int_equal(handshake(1, 2), 20);
    assert_string_equal(s_res.protocol, "iso20");
    assert_int_equal(session_setup("WMIV1234567890ABCDEX", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    assert_int_equal(discovery(), OK_);
    assert_int_equal(detail(sid), OK_);
    assert_int_equal(selection(sid, set), OK_);
}

/* ... and on to the charge loop. */
static void to_loop(bool dynamic)
{
    to_selected(ISO20_SERVICE_DC, dynamic ? 1 : 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(dynamic, 7200), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    assert_int_equal(power_delivery(CP_START, dynamic ? 1 : 2, 1, false), OK_);
    assert_string_equal(phase(), "charge_loop");
}

static uint32_t iso20_evse_machine_standbys(void)
{
    return hlc_iso20_machine(&s_h)->standbys;
}

static void expect_failed(uint8_t code, uint8_t want, const char *why)
{
    assert_int_equal(code, want);
    assert_true(s_res.failed);
    assert_true(s_res.events & HLC_EVT_CLOSE);
    assert_non_null(strstr(s_res.reason, why));
    assert_true(hlc_over(&s_h));
}

/* ---- tests */

static void test_handshake_and_transport(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 2), 20); /* the car ranks -20 first */
    hlc_reset(&s_h);
    assert_int_equal(handshake(2, 1), 2); /* ISO-2 first: ISO-2 */
    hlc_reset(&s_h);
    hlc_set_transport(&s_h, HLC_TRANSPORT_TLS12); /* [V2G20-2356] */
    assert_int_equal(handshake(1, 2), 2);
    hlc_reset(&s_h);
    assert_int_equal(handshake(1, 0), -1);
    hlc_reset(&s_h);
    hlc_set_transport(&s_h, HLC_TRANSPORT_TCP); /* [V2G20-1235]: TLS only */
    assert_int_equal(handshake(1, 2), 2);
    hlc_reset(&s_h);
    hlc_set_transport(&s_h, HLC_TRANSPORT_TLS13);
    assert_int_equal(handshake(1, 2), 20);
    /* The lab switch allows plain TCP. */
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    assert_int_equal(hlc_parse_protocols("iso20,iso2", &cfg.protocols, NULL, 0), HAL_OK);
    cfg.iso20_plain_tcp = true;
    assert_int_equal(hlc_init(&s_h, &cfg, test_id, NULL), HAL_OK);
    hlc_set_transport(&s_h, HLC_TRANSPORT_TCP);
    assert_int_equal(handshake(1, 2), 20);
}

static void test_dynamic_session(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 2), 20);
    assert_int_equal(session_setup("WMIV1234567890ABCDEX", NULL), C(OK_NewSessionEstablished));
    assert_true(s_res.events & HLC_EVT_SESSION);
    assert_memory_equal(s_sid, "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7", 8);
    assert_int_equal(s_r.SessionSetupRes.EVSEID.charactersLen, 7);
    assert_int_equal(hlc_ev(&s_h)->evccid_len, 20);
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(s_r.AuthorizationSetupRes.AuthorizationServices.arrayLen, 1);
    assert_int_equal(s_r.AuthorizationSetupRes.AuthorizationServices.array[0], 0); /* EIM */
    assert_true(s_r.AuthorizationSetupRes.EIM_ASResAuthorizationMode_isUsed);
    /* EIM: Ongoing until the charger authorises. */
    s_auth = HLC_PROCESSING_ONGOING;
    assert_int_equal(authorize(false), OK_);
    assert_true(s_res.events & HLC_EVT_AUTHORIZE);
    assert_int_equal(s_r.AuthorizationRes.EVSEProcessing, 1);
    s_auth = HLC_PROCESSING_FINISHED;
    assert_int_equal(authorize(false), OK_);
    assert_false(s_res.events & HLC_EVT_AUTHORIZE);
    assert_int_equal(s_r.AuthorizationRes.EVSEProcessing, 0);
    assert_int_equal(discovery(), OK_);
    assert_true(s_r.ServiceDiscoveryRes.ServiceRenegotiationSupported);
    assert_int_equal(s_r.ServiceDiscoveryRes.EnergyTransferServiceList.Service.arrayLen, 1); /* no BPT */
    assert_int_equal(s_r.ServiceDiscoveryRes.EnergyTransferServiceList.Service.array[0].ServiceID, 2);
    assert_int_equal(detail(2), OK_);
    assert_int_equal(s_r.ServiceDetailRes.ServiceParameterList.ParameterSet.arrayLen, 2);
    const struct exi_iso20_ParameterSetType *set1 = &s_r.ServiceDetailRes.ServiceParameterList.ParameterSet.array[0];
    assert_int_equal(set1->ParameterSetID, 1);
    assert_memory_equal(set1->Parameter.array[1].Name.characters, "ControlMode", 11);
    assert_int_equal(set1->Parameter.array[1].intValue, 2); /* dynamic */
    assert_int_equal(selection(2, 1), OK_);
    assert_int_equal(cpd(false, 500), OK_);
    assert_true(s_res.events & HLC_EVT_CHARGE_PARAMS);
    assert_true(s_dr.DC_ChargeParameterDiscoveryRes.DC_CPDResEnergyTransferMode_isUsed);
    assert_int_equal(ISO20_RN_MILLI(s_dr.DC_ChargeParameterDiscoveryRes.DC_CPDResEnergyTransferMode.EVSEMaximumChargePower),
                     150000000);
    assert_int_equal(ISO20_RN_MILLI(s_dr.DC_ChargeParameterDiscoveryRes.DC_CPDResEnergyTransferMode.EVSEMaximumVoltage),
                     920000);
    assert_int_equal(hlc_ev(&s_h)->max_voltage_mv, 500000);
    /* The power stage is not up yet: Ongoing, then Finished. */
    s_cpd = HLC_PROCESSING_ONGOING;
    assert_int_equal(schedule(true, 7200), OK_);
    assert_int_equal(s_r.ScheduleExchangeRes.EVSEProcessing, 1);
    assert_true(s_r.ScheduleExchangeRes.Dynamic_SEResControlMode_isUsed);
    s_cpd = HLC_PROCESSING_FINISHED;
    assert_int_equal(schedule(true, 7200), OK_);
    assert_int_equal(s_r.ScheduleExchangeRes.EVSEProcessing, 0);
    assert_int_equal(hlc_ev(&s_h)->departure_s, 7200);
    s_cc = HLC_PROCESSING_ONGOING;
    assert_int_equal(cable_check(), OK_);
    assert_true(s_res.events & HLC_EVT_CABLE_CHECK);
    assert_int_equal(s_dr.DC_CableCheckRes.EVSEProcessing, 1);
    s_cc = HLC_PROCESSING_FINISHED;
    assert_int_equal(cable_check(), OK_);
    assert_false(s_res.events & HLC_EVT_CABLE_CHECK);
    assert_int_equal(s_dr.DC_CableCheckRes.EVSEProcessing, 0);
    assert_int_equal(precharge(false, 400), OK_);
    assert_true(s_res.events & HLC_EVT_PRECHARGE);
    assert_int_equal(hlc_ev(&s_h)->target_voltage_mv, 400000);
    assert_int_equal(ISO20_RN_MILLI(s_dr.DC_PreChargeRes.EVSEPresentVoltage), 400000);
    assert_string_equal(phase(), "precharge");
    assert_int_equal(precharge(true, 400), OK_);
    assert_string_equal(phase(), "power_delivery");
    assert_int_equal(power_delivery(CP_START, 1, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_ON);
    assert_false(s_r.PowerDeliveryRes.EVSEStatus_isUsed); /* nothing to say */
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_true(s_res.events & HLC_EVT_CURRENT_DEMAND);
    const struct exi_iso20_dc_DC_ChargeLoopResType *l = &s_dr.DC_ChargeLoopRes;
    assert_true(l->Dynamic_DC_CLResControlMode_isUsed);
    assert_int_equal(ISO20_RN_MILLI(l->Dynamic_DC_CLResControlMode.EVSEMaximumChargeCurrent), 200000);
    assert_int_equal(ISO20_RN_MILLI(l->EVSEPresentVoltage), 400000);
    assert_true(l->MeterInfo_isUsed);
    /* Dynamic: the charger decides: 40 kW at 400 V is 100 A, below the EV's 150 A. */
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 100000);
    assert_int_equal(hlc_ev(&s_h)->target_voltage_mv, 420000);
    assert_int_equal(hlc_ev(&s_h)->soc, 55);
    /* The charger stops: Terminate in EVSEStatus. */
    s_status = HLC_EVSE_SHUTDOWN;
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_true(s_dr.DC_ChargeLoopRes.EVSEStatus_isUsed);
    assert_int_equal(s_dr.DC_ChargeLoopRes.EVSEStatus.EVSENotification, exi_iso20_evseNotificationType_Terminate);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_OFF);
    assert_int_equal(welding(), OK_);
    assert_true(s_res.events & HLC_EVT_WELDING);
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(STOP_TERMINATE), OK_);
    assert_true(s_res.events & HLC_EVT_SESSION_STOP);
    assert_false(s_res.events & HLC_EVT_PAUSE);
    assert_string_equal(phase(), "stopped");
    assert_true(hlc_over(&s_h));
}

static void test_scheduled_session(void **state)
{
    (void)state;
    s_sched.count = 2;
    s_sched.entry[0] = (struct hlc_pmax_entry){0, 0, 50000};
    s_sched.entry[1] = (struct hlc_pmax_entry){3600, 0, 200000}; /* above the charger's 150 kW */
    to_selected(2, 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 0), OK_);
    const struct exi_iso20_Scheduled_SEResControlModeType *s = &s_r.ScheduleExchangeRes.Scheduled_SEResControlMode;
    assert_true(s_r.ScheduleExchangeRes.Scheduled_SEResControlMode_isUsed);
    assert_int_equal(s->ScheduleTuple.arrayLen, 1);
    assert_int_equal(s->ScheduleTuple.array[0].ScheduleTupleID, 1);
    const struct exi_iso20_PowerScheduleType *ps = &s->ScheduleTuple.array[0].ChargingSchedule.PowerSchedule;
    assert_int_equal(ps->TimeAnchor, 1761652389u);
    assert_int_equal(ps->PowerScheduleEntries.PowerScheduleEntry.arrayLen, 2);
    /* 24 h covered without a departure time; the power capped at the charger's. */
    assert_int_equal(ps->PowerScheduleEntries.PowerScheduleEntry.array[0].Duration, 3600);
    assert_int_equal(ps->PowerScheduleEntries.PowerScheduleEntry.array[1].Duration, 86400 - 3600);
    assert_int_equal(ISO20_RN_MILLI(ps->PowerScheduleEntries.PowerScheduleEntry.array[0].Power), 50000000);
    assert_int_equal(ISO20_RN_MILLI(ps->PowerScheduleEntries.PowerScheduleEntry.array[1].Power), 150000000);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    assert_int_equal(power_delivery(CP_START, 2, 1, false), OK_);
    assert_int_equal(hlc_ev(&s_h)->schedule_tuple_id, 1);
    assert_int_equal(loop('s', 20, 400), OK_);
    assert_true(s_dr.DC_ChargeLoopRes.Scheduled_DC_CLResControlMode_isUsed);
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 20000);
    assert_int_equal(hlc_ev(&s_h)->target_voltage_mv, 400000);
    /* A zero target voltage is the unused one of the pair: the last one stays. */
    assert_int_equal(loop('s', 30, 0), OK_);
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 30000);
    assert_int_equal(hlc_ev(&s_h)->target_voltage_mv, 400000);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    /* Cars skip welding detection (libiso #142): SessionStop directly. */
    assert_int_equal(session_stop(STOP_TERMINATE), OK_);
}

static void test_departure_time_sets_the_horizon(void **state)
{
    (void)state;
    to_selected(2, 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 5400), OK_);
    const struct exi_iso20_PowerScheduleType *ps =
        &s_r.ScheduleExchangeRes.Scheduled_SEResControlMode.ScheduleTuple.array[0].ChargingSchedule.PowerSchedule;
    assert_int_equal(ps->PowerScheduleEntries.PowerScheduleEntry.arrayLen, 1);
    assert_int_equal(ps->PowerScheduleEntries.PowerScheduleEntry.array[0].Duration, 5400);
}

static void test_tuple_never_offered(void **state)
{
    (void)state;
    to_selected(2, 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 0), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    expect_failed(power_delivery(CP_START, 2, 7, false), C(FAILED_ScheduleSelectionInvalid), "never offered");
}

static void test_bpt_only_when_the_stage_can_discharge(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    assert_int_equal(discovery(), OK_);
    assert_int_equal(s_r.ServiceDiscoveryRes.EnergyTransferServiceList.Service.arrayLen, 1);
    /* A service never offered: DC_BPT on a stage that cannot discharge (InfyPower). */
    expect_failed(detail(6), C(FAILED_ServiceIDInvalid), "never offered");

    setup(NULL);
    s_discharge = true;
    to_selected(6, 1);
    assert_int_equal(s_r.ServiceSelectionRes.ResponseCode, OK_);
    assert_int_equal(cpd(true, 500), OK_);
    const struct exi_iso20_dc_BPT_DC_CPDResEnergyTransferModeType *b =
        &s_dr.DC_ChargeParameterDiscoveryRes.BPT_DC_CPDResEnergyTransferMode;
    assert_true(s_dr.DC_ChargeParameterDiscoveryRes.BPT_DC_CPDResEnergyTransferMode_isUsed);
    assert_int_equal(ISO20_RN_MILLI(b->EVSEMaximumDischargePower), -150000000); /* negative: cars' sign */
    assert_int_equal(ISO20_RN_MILLI(b->EVSEMaximumDischargeCurrent), -200000);
}

static void test_bpt_service_listed_and_detailed(void **state)
{
    (void)state;
    s_discharge = true;
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    struct exi_iso20_document *d = creq();
    d->ServiceDiscoveryReq_isUsed = true;
    d->ServiceDiscoveryReq.SupportedServiceIDs_isUsed = true;
    d->ServiceDiscoveryReq.SupportedServiceIDs.ServiceID.array[0] = 6;
    d->ServiceDiscoveryReq.SupportedServiceIDs.ServiceID.arrayLen = 1;
    assert_int_equal(send_c(), OK_);
    /* The EV's filter is honoured. */
    assert_int_equal(s_r.ServiceDiscoveryRes.EnergyTransferServiceList.Service.arrayLen, 1);
    assert_int_equal(s_r.ServiceDiscoveryRes.EnergyTransferServiceList.Service.array[0].ServiceID, 6);
    assert_int_equal(detail(6), OK_);
    const struct exi_iso20_ParameterSetType *set = &s_r.ServiceDetailRes.ServiceParameterList.ParameterSet.array[0];
    assert_int_equal(set->Parameter.arrayLen, 6);
    assert_memory_equal(set->Parameter.array[4].Name.characters, "BPTChannel", 10);
    /* DC was filtered out: selecting it is selecting a service never offered. */
    expect_failed(selection(2, 1), C(FAILED_NoEnergyTransferServiceSelected), "never offered");
}

static void test_bpt_limits_on_a_stage_that_cannot_discharge(void **state)
{
    (void)state;
    to_selected(2, 1);
    expect_failed(cpd(true, 500), C(FAILED_WrongChargeParameter), "cannot discharge");
    assert_true(s_dr.DC_ChargeParameterDiscoveryRes.DC_CPDResEnergyTransferMode_isUsed); /* still complete */
}

static void test_discharge_on_a_dc_service(void **state)
{
    (void)state;
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 3600), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    expect_failed(power_delivery(CP_START, 1, 0, true), C(FAILED), "discharge");
}

static void test_schedule_of_the_other_control_mode(void **state)
{
    (void)state;
    to_selected(2, 2); /* scheduled */
    assert_int_equal(cpd(false, 500), OK_);
    expect_failed(schedule(true, 7200), C(FAILED), "dynamic mode after scheduled was selected");

    setup(NULL);
    to_selected(2, 1); /* dynamic */
    assert_int_equal(cpd(false, 500), OK_);
    expect_failed(schedule(false, 0), C(FAILED), "scheduled mode after dynamic was selected");
}

static void test_loop_of_the_other_control_mode(void **state)
{
    (void)state;
    to_loop(true);
    expect_failed(loop('s', 10, 400), C(FAILED), "control mode");
    assert_true(s_res.events & HLC_EVT_POWER_OFF); /* the safe stop: power was on */
    assert_true(s_dr.DC_ChargeLoopRes.Dynamic_DC_CLResControlMode_isUsed);

    setup(NULL);
    to_loop(false);
    expect_failed(loop('S', 10, 400), C(FAILED), "control mode");
}

static void test_power_profile_of_the_other_mode(void **state)
{
    (void)state;
    to_selected(2, 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 0), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    expect_failed(power_delivery(CP_START, 1, 0, false), C(FAILED), "other control mode");

    setup(NULL);
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    expect_failed(power_delivery(CP_START, 0, 0, false), C(FAILED_EVPowerProfileInvalid), "without EVPowerProfile");
}

static void test_sequence_errors(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    assert_int_equal(discovery(), OK_);
    expect_failed(selection(2, 1), C(FAILED_SequenceError), "without ServiceDetail");

    setup(NULL);
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    s_cpd = HLC_PROCESSING_ONGOING;
    assert_int_equal(schedule(true, 60), OK_);
    expect_failed(cable_check(), C(FAILED_SequenceError), "before ScheduleExchange Finished");
    assert_int_equal(s_dr.DC_CableCheckRes.EVSEProcessing, 0); /* the answer is complete */

    setup(NULL);
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(false, 400), OK_);
    expect_failed(power_delivery(CP_START, 1, 0, false), C(FAILED_SequenceError), "EVProcessing=Finished");

    setup(NULL);
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    expect_failed(loop('d', 0, 0), C(FAILED_SequenceError), "before PowerDelivery(Start)");
}

static void test_renegotiation_during_cable_check(void **state)
{
    (void)state;
    s_cc = HLC_PROCESSING_ONGOING;
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    expect_failed(power_delivery(CP_RENEGOTIATE, 0, 0, false), C(FAILED_SequenceError), "during the cable check");

    setup(NULL);
    s_cc = HLC_PROCESSING_ONGOING;
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    expect_failed(session_stop(STOP_RENEGOTIATE), C(FAILED_SequenceError), "during the cable check");
}

static void test_schedule_renegotiation(void **state)
{
    (void)state;
    to_loop(false);
    s_notify = HLC_NOTIFY_RENEGOTIATE;
    assert_int_equal(loop('s', 10, 400), OK_);
    assert_int_equal(s_dr.DC_ChargeLoopRes.EVSEStatus.EVSENotification, exi_iso20_evseNotificationType_ScheduleRenegotiation);
    s_notify = HLC_NOTIFY_NONE;
    assert_int_equal(power_delivery(CP_RENEGOTIATE, 0, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_RENEGOTIATE);
    /* -20: the path stays closed at 0 A (no cable check or pre-charge follows) */
    assert_true(s_res.events & HLC_EVT_HOLD);
    assert_false(s_res.events & HLC_EVT_POWER_OFF);
    assert_string_equal(phase(), "schedule_exchange");
    assert_int_equal(schedule(false, 0), OK_);
    assert_string_equal(phase(), "power_delivery"); /* no second cable check */
    assert_int_equal(power_delivery(CP_START, 2, 1, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_ON);
    assert_int_equal(loop('s', 10, 400), OK_);
}

static void test_service_renegotiation(void **state)
{
    (void)state;
    to_loop(true);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(STOP_RENEGOTIATE), OK_);
    assert_true(s_res.events & HLC_EVT_RENEGOTIATE);
    assert_false(hlc_over(&s_h));
    assert_string_equal(phase(), "service_discovery");
    assert_int_equal(discovery(), OK_);
    assert_int_equal(detail(2), OK_);
    assert_int_equal(selection(2, 2), OK_); /* now scheduled */
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 0), OK_);

    setup(NULL);
    struct iso20_evse_config c;
    iso20_evse_default_config(&c);
    c.service_renegotiation = false;
    init_with(&c);
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    assert_int_equal(discovery(), OK_);
    assert_false(s_r.ServiceDiscoveryRes.ServiceRenegotiationSupported);
    assert_int_equal(detail(2), OK_);
    assert_int_equal(selection(2, 1), OK_);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    assert_int_equal(power_delivery(CP_START, 1, 0, false), OK_);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    expect_failed(session_stop(STOP_RENEGOTIATE), C(FAILED_NoServiceRenegotiationSupported), "not supported");
}

static void test_pause_and_resume(void **state)
{
    (void)state;
    to_loop(false); /* scheduled: the EV may pause */
    uint8_t old[8];
    memcpy(old, s_sid, 8);
    expect_failed(session_stop(STOP_PAUSE), C(FAILED_SequenceError), "while power flows");

    setup(NULL);
    to_loop(false);
    memcpy(old, s_sid, 8);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_int_equal(session_stop(STOP_PAUSE), OK_);
    assert_true(s_res.events & HLC_EVT_PAUSE);
    assert_true(s_res.events & HLC_EVT_SESSION_STOP);
    assert_string_equal(phase(), "paused");
    /* The car comes back on a new connection with the old ID: joined, CPD next. */
    hlc_reset(&s_h);
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("WMIV1234567890ABCDEX", old), C(OK_OldSessionJoined));
    assert_true(s_res.events & HLC_EVT_RESUMED);
    assert_memory_equal(s_sid, old, 8);
    assert_string_equal(phase(), "charge_parameter");
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 0), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    assert_int_equal(power_delivery(CP_START, 2, 1, false), OK_);

    /* Another car with that ID: a new session ([V2G20-2626]). */
    setup(NULL);
    to_loop(false);
    memcpy(old, s_sid, 8);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_int_equal(session_stop(STOP_PAUSE), OK_);
    hlc_reset(&s_h);
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("SOMEONE-ELSE", old), C(OK_NewSessionEstablished));
    assert_string_equal(phase(), "auth_setup");
    /* The pause is used up or dropped: hlc_drop_pause forgets it. */
    hlc_drop_pause(&s_h);
}

static void test_pause_in_dynamic_mode_needs_the_chargers_request(void **state)
{
    (void)state;
    to_loop(true);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    expect_failed(session_stop(STOP_PAUSE), C(FAILED_PauseNotAllowed), "without the charger asking");

    setup(NULL);
    to_loop(true);
    struct iso20_evse *m = hlc_iso20_machine(&s_h);
    /* The charger asks to pause (the machine's own notification; the neutral layer has no
     * pause request yet), then the EV may. */
    m->pause_asked = true;
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_int_equal(session_stop(STOP_PAUSE), OK_);
    assert_true(s_res.events & HLC_EVT_PAUSE);
}

static void test_authorization_outcomes(void **state)
{
    (void)state;
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    /* PnC when only EIM is offered: a warning, the session goes on. */
    assert_int_equal(authorize(true), C(WARNING_AuthorizationSelectionInvalid));
    assert_false(s_res.failed);
    assert_false(s_res.positive);
    /* EIM refused: a warning with Finished; no energy, a retry or SessionStop follows. */
    s_auth = HLC_PROCESSING_FAILED;
    assert_int_equal(authorize(false), C(WARNING_EIMAuthorizationFailure));
    assert_int_equal(s_r.AuthorizationRes.EVSEProcessing, 0);
    assert_string_equal(phase(), "authorization");
    expect_failed(discovery(), C(FAILED_SequenceError), "out of sequence");

    /* Authorisation never completes: FAILED at the ongoing limit. */
    setup(NULL);
    s_auth = HLC_PROCESSING_ONGOING;
    assert_int_equal(handshake(1, 0), 20);
    assert_int_equal(session_setup("EV1", NULL), C(OK_NewSessionEstablished));
    assert_int_equal(auth_setup(), OK_);
    assert_int_equal(authorize(false), OK_);
    s_now += ISO20_ONGOING_TIMEOUT_MS;
    expect_failed(authorize(false), C(FAILED), "ongoing limit");
}

static void test_standby_refused(void **state)
{
    (void)state;
    struct iso20_evse_config c;
    iso20_evse_default_config(&c);
    c.standby = false; /* a charger without standby (N12) */
    init_with(&c);
    to_loop(true);
    assert_int_equal(power_delivery(CP_STANDBY, 0, 0, false), C(WARNING_StandbyNotAllowed));
    assert_false(s_res.failed);
    assert_false(s_res.events & HLC_EVT_HOLD);
    assert_string_equal(phase(), "charge_loop");
    assert_int_equal(loop('d', 0, 0), OK_); /* the session goes on */
}

/* Standby from the loop (sheet §4.4): OK, current to 0 A with the path held (HOLD, no
 * POWER_OFF), loop requests answered with no current, the 60 s timer instead of the
 * loop's 0.5 s, Start brings the current back, Stop ends as usual. */
static void test_standby_in_loop(void **state)
{
    (void)state;
    to_loop(true);
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_true(hlc_ev(&s_h)->target_current_ma > 0);
    assert_int_equal(power_delivery(CP_STANDBY, 1, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_HOLD);
    assert_false(s_res.events & (HLC_EVT_POWER_OFF | HLC_EVT_CLOSE | HLC_EVT_RENEGOTIATE));
    assert_string_equal(phase(), "standby");
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 0);
    assert_int_equal(iso20_evse_machine_standbys(), 1);
    assert_string_equal(hlc_msg_name(s_res.msg), "power_delivery_standby");
    /* A loop request in standby: answered, still no current, still standing by. */
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 0);
    assert_string_equal(phase(), "standby");
    /* The car may say nothing for a while: the 60 s sequence timer, not 0.5 s. */
    assert_int_equal(hlc_tick(&s_h, s_now + 5000), 0);
    assert_false(hlc_over(&s_h));
    /* Back: Start (with its profile) and the loop delivers again. */
    s_now += 5000;
    assert_int_equal(power_delivery(CP_START, 1, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_ON);
    assert_string_equal(phase(), "charge_loop");
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_true(hlc_ev(&s_h)->target_current_ma > 0);
    /* A second standby, then Stop from standby: power off, welding, terminate. */
    assert_int_equal(power_delivery(CP_STANDBY, 1, 0, false), OK_);
    assert_int_equal(iso20_evse_machine_standbys(), 2);
    assert_int_equal(power_delivery(CP_STOP, 0, 0, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_OFF);
    assert_string_equal(phase(), "welding");
    assert_int_equal(welding(), OK_);
    assert_int_equal(session_stop(STOP_TERMINATE), OK_);
    assert_string_equal(phase(), "stopped");
}

/* Standby right after pre-charge (before any Start), in scheduled mode; the timers and the
 * sequence rules in standby. */
static void test_standby_after_precharge_and_rules(void **state)
{
    (void)state;
    to_selected(ISO20_SERVICE_DC, 2);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(false, 7200), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(true, 400), OK_);
    assert_int_equal(power_delivery(CP_STANDBY, 2, 1, false), OK_);
    assert_false(s_res.events & HLC_EVT_POWER_ON);
    assert_string_equal(phase(), "standby");
    /* A repeated Standby stays there and is counted once. */
    assert_int_equal(power_delivery(CP_STANDBY, 2, 1, false), OK_);
    assert_int_equal(iso20_evse_machine_standbys(), 1);
    assert_int_equal(power_delivery(CP_START, 2, 1, false), OK_);
    assert_true(s_res.events & HLC_EVT_POWER_ON);
    assert_int_equal(loop('s', 30, 400), OK_);
    assert_int_equal(hlc_ev(&s_h)->target_current_ma, 30000);

    /* ScheduleRenegotiation while standing by: FAILED_SequenceError, power off. */
    assert_int_equal(power_delivery(CP_STANDBY, 2, 1, false), OK_);
    expect_failed(power_delivery(CP_RENEGOTIATE, 2, 1, false), C(FAILED_SequenceError), "in standby");
    assert_true(s_res.events & HLC_EVT_POWER_OFF);

    /* The sequence timer runs out 60 s after the Standby answer even after a loop request. */
    setup(NULL);
    to_loop(true);
    assert_int_equal(power_delivery(CP_STANDBY, 1, 0, false), OK_);
    assert_int_equal(loop('d', 0, 0), OK_);
    assert_int_equal(hlc_tick(&s_h, s_now + 59000), 0);
    assert_int_equal(hlc_tick(&s_h, s_now + 60001), HLC_EVT_TIMEOUT);
    assert_true(hlc_over(&s_h));

    /* Pause while the path is held: Stop first. */
    setup(NULL);
    to_loop(false);
    assert_int_equal(power_delivery(CP_STANDBY, 2, 1, false), OK_);
    expect_failed(session_stop(STOP_PAUSE), C(FAILED_SequenceError), "PowerDelivery(Stop) first");
    assert_true(s_res.events & HLC_EVT_POWER_OFF);

    /* Standby before pre-charge finished is out of sequence. */
    setup(NULL);
    to_selected(ISO20_SERVICE_DC, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 7200), OK_);
    assert_int_equal(cable_check(), OK_);
    assert_int_equal(precharge(false, 400), OK_);
    expect_failed(power_delivery(CP_STANDBY, 1, 0, false), C(FAILED_SequenceError), "PowerDelivery before");
}

static void test_unknown_session_id(void **state)
{
    (void)state;
    to_selected(2, 1);
    s_sid[0] ^= 0xFF;
    expect_failed(cpd(false, 500), C(FAILED_UnknownSession), "SessionID");
}

static void test_voltage_ranges_that_do_not_overlap(void **state)
{
    (void)state;
    to_selected(2, 1);
    expect_failed(cpd(false, 100), C(FAILED_WrongChargeParameter), "does not overlap"); /* EV max 100 V < 150 V */
}

static void test_wrong_namespace(void **state)
{
    (void)state;
    to_selected(2, 1);
    /* An AC message (payload 0x8003) in a DC session: the session ends, the reason says it. */
    size_t out = 1;
    hlc_set_payload_type(&s_h, ISO20_PT_AC);
    assert_int_equal(hlc_handle(&s_h, s_in, 8, &s_evse, status, NULL, s_out, sizeof s_out, &out, &s_res, s_now),
                     HAL_EPROTO);
    assert_int_equal(out, 0);
    assert_true(s_res.failed);
    assert_non_null(strstr(s_res.reason, "AC message"));
    assert_true(hlc_over(&s_h));

    /* A DC message under the common messages' payload type does not decode there. */
    setup(NULL);
    to_selected(2, 1);
    struct exi_iso20_dc_document *d = dreq();
    d->DC_CableCheckReq_isUsed = true;
    struct exi_writer w;
    exi_writer_init(&w, s_in, sizeof s_in);
    assert_int_equal(exi_iso20_dc_encode(&w, d), HAL_OK);
    hlc_set_payload_type(&s_h, ISO20_PT_COMMON);
    assert_int_equal(hlc_handle(&s_h, s_in, exi_writer_len(&w), &s_evse, status, NULL, s_out, sizeof s_out, &out,
                                &s_res, s_now),
                     HAL_EPROTO);
    assert_int_equal(s_res.error, HLC_ERR_DECODE);
    assert_true(s_res.failed);
    assert_non_null(strstr(s_res.reason, "undecodable"));
}

static void test_emergency_and_isolation(void **state)
{
    (void)state;
    to_loop(true);
    s_status = HLC_EVSE_EMERGENCY_SHUTDOWN;
    expect_failed(loop('d', 0, 0), C(FAILED), "emergency");
    assert_true(s_res.events & HLC_EVT_POWER_OFF);

    setup(NULL);
    s_cc = HLC_PROCESSING_FAILED;
    to_selected(2, 1);
    assert_int_equal(cpd(false, 500), OK_);
    assert_int_equal(schedule(true, 60), OK_);
    expect_failed(cable_check(), C(FAILED), "cable check failed");
}

static void test_sequence_timeouts(void **state)
{
    (void)state;
    to_loop(true);
    assert_int_equal(loop('d', 0, 0), OK_);
    /* [V2G20-1502]: 0.5 s after DC_ChargeLoopRes. */
    assert_int_equal(hlc_tick(&s_h, s_now + 400), 0);
    assert_int_equal(hlc_tick(&s_h, s_now + 600), HLC_EVT_TIMEOUT);
    assert_true(hlc_over(&s_h));

    setup(NULL);
    to_selected(2, 1);
    assert_int_equal(hlc_tick(&s_h, s_now + 59000), 0);
    assert_int_equal(hlc_tick(&s_h, s_now + 60001), HLC_EVT_TIMEOUT);
    assert_string_equal(iso20_evse_reason(hlc_iso20_machine(&s_h)), "no request within the sequence timeout");
}

static void test_session_stop_before_start_and_unsupported(void **state)
{
    (void)state;
    to_selected(2, 1);
    assert_int_equal(session_stop(STOP_TERMINATE), OK_); /* [V2G20-2645] */
    assert_string_equal(phase(), "stopped");

    setup(NULL);
    to_selected(2, 1);
    struct exi_iso20_document *d = creq();
    d->VehicleCheckInReq_isUsed = true; /* parking (WPT/ACD): not a DC service of ours */
    expect_failed(send_c(), C(FAILED_SequenceError), "out of sequence");
}

static void test_common_helpers(void **state)
{
    (void)state;
    int8_t e;
    int16_t v;
    iso20_rn_set(&e, &v, 300000000); /* 300 kW in mW */
    assert_int_equal(e, 5);
    assert_int_equal(v, 3);
    assert_int_equal(iso20_rn_milli(e, v), 300000000);
    iso20_rn_set(&e, &v, 212900); /* 212.9 V */
    assert_int_equal(iso20_rn_milli(e, v), 212900);
    iso20_rn_set(&e, &v, -29900000);
    assert_int_equal(iso20_rn_milli(e, v), -29900000);
    iso20_rn_set(&e, &v, 0);
    assert_int_equal(v, 0);
    assert_int_equal(iso20_rn_milli(-5, 30000), 300);
    assert_int_equal(iso20_rn_milli(127, 1), INT64_MAX);
    assert_int_equal(iso20_rn_milli32(10, 1), INT32_MAX);
    assert_string_equal(iso20_response_code_name(34), "FAILED_SequenceError");
    assert_string_equal(iso20_response_code_name(200), "?");
    assert_string_equal(iso20_msg_name(ISO20_MSG_CHARGE_LOOP), "DC_ChargeLoop");
    assert_true(iso20_response_code_ok(C(WARNING_StandbyNotAllowed)));
    assert_false(iso20_response_code_positive(C(WARNING_StandbyNotAllowed)));
    assert_false(iso20_response_code_ok(C(FAILED)));
    assert_string_equal(iso20_evse_phase_name(ISO20_EVSE_CHARGE_LOOP), "charge_loop");
    struct iso20_evse_config c;
    iso20_evse_default_config(&c);
    c.offer_pnc = true; /* the seam: refused until PnC exists */
    uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct iso20_evse m;
    assert_int_equal(iso20_evse_start(&m, &c, id, NULL, 0), HAL_EINVAL);
    c.offer_pnc = false;
    c.scheduled = c.dynamic = false;
    assert_int_equal(iso20_evse_start(&m, &c, id, NULL, 0), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_handshake_and_transport, setup),
        cmocka_unit_test_setup(test_dynamic_session, setup),
        cmocka_unit_test_setup(test_scheduled_session, setup),
        cmocka_unit_test_setup(test_departure_time_sets_the_horizon, setup),
        cmocka_unit_test_setup(test_tuple_never_offered, setup),
        cmocka_unit_test_setup(test_bpt_only_when_the_stage_can_discharge, setup),
        cmocka_unit_test_setup(test_bpt_service_listed_and_detailed, setup),
        cmocka_unit_test_setup(test_bpt_limits_on_a_stage_that_cannot_discharge, setup),
        cmocka_unit_test_setup(test_discharge_on_a_dc_service, setup),
        cmocka_unit_test_setup(test_schedule_of_the_other_control_mode, setup),
        cmocka_unit_test_setup(test_loop_of_the_other_control_mode, setup),
        cmocka_unit_test_setup(test_power_profile_of_the_other_mode, setup),
        cmocka_unit_test_setup(test_sequence_errors, setup),
        cmocka_unit_test_setup(test_renegotiation_during_cable_check, setup),
        cmocka_unit_test_setup(test_schedule_renegotiation, setup),
        cmocka_unit_test_setup(test_service_renegotiation, setup),
        cmocka_unit_test_setup(test_pause_and_resume, setup),
        cmocka_unit_test_setup(test_pause_in_dynamic_mode_needs_the_chargers_request, setup),
        cmocka_unit_test_setup(test_authorization_outcomes, setup),
        cmocka_unit_test_setup(test_standby_refused, setup),
        cmocka_unit_test_setup(test_standby_in_loop, setup),
        cmocka_unit_test_setup(test_standby_after_precharge_and_rules, setup),
        cmocka_unit_test_setup(test_unknown_session_id, setup),
        cmocka_unit_test_setup(test_voltage_ranges_that_do_not_overlap, setup),
        cmocka_unit_test_setup(test_wrong_namespace, setup),
        cmocka_unit_test_setup(test_emergency_and_isolation, setup),
        cmocka_unit_test_setup(test_sequence_timeouts, setup),
        cmocka_unit_test_setup(test_session_stop_before_start_and_unsupported, setup),
        cmocka_unit_test_setup(test_common_helpers, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
