/* Unit tests of the ISO 15118-20 EV machine against a scripted SECC written here with the
 * -20 codecs (encode -> bytes -> the machine's decode, each message with its V2GTP payload
 * type): whole sessions in dynamic and scheduled control mode, the Ongoing loops,
 * pre-charge and welding ending with one Finished request, charger-asked pause and the
 * resume with the old SessionID, schedule and service renegotiation, every FAILED code
 * on every message, a WARNING in authorization, a changed SessionID, wrong payload type,
 * wrong message, the other control mode in ScheduleExchangeRes, the timers; then the EV
 * model with the iso20 profiles offering -20 over the real link code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apphand/apphand.h"
#include "ev_model.h"
#include "evse_link.h"
#include "fake_eth.h"
#include "fake_log.h"
#include "fake_net.h"
#include "fake_rng.h"
#include "fake_tls.h"
#include "iso20/iso20_ev.h"
#include "v2gtp/v2gtp.h"

static struct iso20_ev s_ev;
static struct exi_iso20_document s_req, s_res;
static struct exi_iso20_dc_document s_dreq, s_dres;
static struct exi_apphand_document s_areq, s_ares;
static uint8_t s_tx[2048], s_rx[2048];

enum { K_NONE = 0 };

/* The scripted charger and what it saw on the wire. */
struct bench {
    uint32_t now;
    bool negotiated;
    const char *protocols[3];       /* what the SECC speaks, best first */
    uint8_t sid[8];
    uint32_t seen[ISO20_EV_STATE_COUNT]; /* requests by the state that sends them */
    uint32_t auth_ongoing, sched_ongoing, cable_ongoing;
    int32_t voltage_mv, current_ma;
    int32_t sched_power_w;          /* scheduled: the power of the one tuple */
    uint32_t tuple_id;
    uint32_t notify_at_loop;        /* EVSEStatus with `notify` in this DC_ChargeLoopRes (0: never) */
    uint8_t notify;
    bool notified;
    bool renegotiation_supported;
    bool offer_dc;                  /* list the DC service */
    bool offer_eim;
    uint8_t param_mode;             /* ControlMode of the only parameter set (0: both, 2 dynamic first) */
    enum iso20_ev_state fail_kind;  /* answer this one with fail_code */
    uint8_t fail_code;
    enum iso20_ev_state wrong_id_kind;
    enum iso20_ev_state wrong_pt_kind;
    enum iso20_ev_state wrong_msg_kind;
    bool silent_loop;
    bool wrong_mode_schedule;
    bool cable_never_done;
    bool voltage_stuck;             /* pre-charge never reaches the target */
    bool join;                      /* answer a known SessionID with OK_OldSessionJoined */
    bool refuse_standby;            /* answer PowerDelivery(Standby) with WARNING_StandbyNotAllowed */
    bool fail_dynamic_loop;         /* answer a DC_ChargeLoopReq in the dynamic element with FAILED */
    uint32_t ac_n, dyn_loop_n;      /* AC-namespace payloads (unanswered); dynamic loop requests */
    uint32_t standby_n, standby_at, restart_at; /* Standby requests; when; the Start after it */
    int32_t current_at_standby;     /* what flowed when the car asked for standby */
    /* recorded from requests */
    uint8_t last_setup_id[8];
    char evccid[40];
    uint8_t last_pd_progress, last_stop_kind;
    uint32_t last_pd_tuple;
    uint16_t last_pd_entries;
    bool last_pd_dynamic, last_pd_profile;
    int32_t last_target_ma, last_dyn_max_ma;
    bool loop_dynamic, loop_scheduled;
    uint16_t sel_service, sel_set;
    uint32_t pre_finished, weld_finished, pre_n, weld_n, loop_n, sched_n, cable_n;
    uint32_t sched_dynamic, sched_scheduled;
    uint32_t departure;
    uint8_t min_soc, target_soc;
    uint16_t max_points;
};

static struct bench B;

static void bench_init(void)
{
    memset(&B, 0, sizeof B);
    static const uint8_t id[8] = {0xCC, 0xEC, 0x07, 0xA6, 0x00, 0x40, 0xC5, 0x46};
    memcpy(B.sid, id, 8);
    B.protocols[0] = ISO20_EV_NS_DC;
    B.sched_power_w = 50000;
    B.tuple_id = 42;
    B.offer_dc = true;
    B.offer_eim = true;
    B.renegotiation_supported = true;
}

static void rn(int16_t *v, int8_t *e, int64_t milli)
{
    /* Value x 10^Exponent units; keep |Value| <= 32767 by raising the exponent. */
    int8_t x = -3;
    while (milli > 32767 || milli < -32767) {
        milli /= 10;
        x++;
    }
    *v = (int16_t)milli;
    *e = x;
}

static int64_t rn_milli(int16_t v, int8_t e)
{
    int64_t m = v;
    for (int i = e + 3; i > 0; i--) {
        m *= 10;
    }
    for (int i = e + 3; i < 0; i++) {
        m /= 10;
    }
    return m;
}

#define RN(dst, milli) rn(&(dst).Value, &(dst).Exponent, (milli))
#define MILLI(src) rn_milli((src).Value, (src).Exponent)

static void handshake(const uint8_t *in, size_t n, size_t *out_len)
{
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, in, n);
    exi_writer_init(&w, s_rx, sizeof s_rx);
    assert_int_equal(exi_apphand_decode(&r, &s_areq), HAL_OK);
    struct apphand_protocol ours[3];
    size_t k = 0;
    for (size_t i = 0; i < 3 && B.protocols[i] != NULL; i++) {
        ours[k++] = (struct apphand_protocol){B.protocols[i], strcmp(B.protocols[i], APPHAND_NS_ISO2) == 0 ? 2u : 1u, 0};
    }
    int chosen = -1;
    assert_int_equal(apphand_select(&s_areq, ours, k, &s_ares, &chosen), HAL_OK);
    assert_int_equal(exi_apphand_encode(&w, &s_ares), HAL_OK);
    B.negotiated = true;
    *out_len = exi_writer_len(&w);
}

static void header(struct exi_iso20_MessageHeaderType *h, enum iso20_ev_state k)
{
    memcpy(h->SessionID.bytes, B.sid, 8);
    h->SessionID.bytesLen = 8;
    if (k == B.wrong_id_kind) {
        h->SessionID.bytes[7] ^= 0x5A;
    }
    h->TimeStamp = 1761655989168000u; /* dSPACE sends microseconds: the car accepts anything */
}

static void dheader(struct exi_iso20_dc_MessageHeaderType *h, enum iso20_ev_state k)
{
    memcpy(h->SessionID.bytes, B.sid, 8);
    h->SessionID.bytesLen = 8;
    if (k == B.wrong_id_kind) {
        h->SessionID.bytes[7] ^= 0x5A;
    }
}

static uint8_t code_for(enum iso20_ev_state k, uint8_t ok)
{
    return k == B.fail_kind ? B.fail_code : ok;
}

static void param(struct exi_iso20_ParameterType *p, const char *name, int32_t v)
{
    size_t n = strlen(name);
    memcpy(p->Name.characters, name, n);
    p->Name.charactersLen = (uint16_t)n;
    p->intValue = v;
    p->intValue_isUsed = true;
}

static void common_answer(enum iso20_ev_state k, struct exi_iso20_document *q, struct exi_iso20_document *a)
{
    memset(a, 0, sizeof *a);
    switch (k) {
    case ISO20_EV_SESSION_SETUP: {
        memcpy(B.last_setup_id, q->SessionSetupReq.Header.SessionID.bytes, 8);
        size_t n = q->SessionSetupReq.EVCCID.charactersLen;
        n = n < sizeof B.evccid - 1 ? n : sizeof B.evccid - 1;
        memcpy(B.evccid, q->SessionSetupReq.EVCCID.characters, n);
        B.evccid[n] = '\0';
        a->SessionSetupRes_isUsed = true;
        header(&a->SessionSetupRes.Header, k);
        bool old = B.join && memcmp(B.last_setup_id, B.sid, 8) == 0;
        a->SessionSetupRes.ResponseCode = code_for(k, old ? exi_iso20_responseCodeType_OK_OldSessionJoined
                                                          : exi_iso20_responseCodeType_OK_NewSessionEstablished);
        memcpy(a->SessionSetupRes.EVSEID.characters, "ZZ00000", 7);
        a->SessionSetupRes.EVSEID.charactersLen = 7;
        break;
    }
    case ISO20_EV_AUTH_SETUP: {
        struct exi_iso20_AuthorizationSetupResType *s = &a->AuthorizationSetupRes;
        a->AuthorizationSetupRes_isUsed = true;
        header(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        s->AuthorizationServices.array[0] = B.offer_eim ? exi_iso20_authorizationType_EIM : exi_iso20_authorizationType_PnC;
        s->AuthorizationServices.arrayLen = 1;
        if (B.offer_eim) {
            s->EIM_ASResAuthorizationMode_isUsed = true;
        } else {
            s->PnC_ASResAuthorizationMode_isUsed = true;
            s->PnC_ASResAuthorizationMode.GenChallenge.bytesLen = 16;
        }
        break;
    }
    case ISO20_EV_AUTHORIZATION:
        a->AuthorizationRes_isUsed = true;
        header(&a->AuthorizationRes.Header, k);
        a->AuthorizationRes.ResponseCode = code_for(k, 0);
        a->AuthorizationRes.EVSEProcessing = B.seen[k] <= B.auth_ongoing ? exi_iso20_processingType_Ongoing
                                                                         : exi_iso20_processingType_Finished;
        break;
    case ISO20_EV_SERVICE_DISCOVERY: {
        struct exi_iso20_ServiceDiscoveryResType *s = &a->ServiceDiscoveryRes;
        a->ServiceDiscoveryRes_isUsed = true;
        header(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        s->ServiceRenegotiationSupported = B.renegotiation_supported;
        s->EnergyTransferServiceList.Service.array[0].ServiceID = B.offer_dc ? 2 : 1;
        s->EnergyTransferServiceList.Service.array[1].ServiceID = 6;
        s->EnergyTransferServiceList.Service.arrayLen = 2;
        break;
    }
    case ISO20_EV_SERVICE_DETAIL: {
        struct exi_iso20_ServiceDetailResType *s = &a->ServiceDetailRes;
        a->ServiceDetailRes_isUsed = true;
        header(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        s->ServiceID = q->ServiceDetailReq.ServiceID;
        /* dSPACE's order: set 1 dynamic, set 2 scheduled (D20 f118); or only one mode. */
        uint16_t n = 0;
        for (uint8_t mode = 2; mode >= 1; mode--) {
            if (B.param_mode != 0 && B.param_mode != mode) {
                continue;
            }
            struct exi_iso20_ParameterSetType *ps = &s->ServiceParameterList.ParameterSet.array[n];
            ps->ParameterSetID = (uint16_t)(n + 1);
            param(&ps->Parameter.array[0], "Connector", 2);
            param(&ps->Parameter.array[1], "ControlMode", mode);
            param(&ps->Parameter.array[2], "MobilityNeedsMode", 1);
            param(&ps->Parameter.array[3], "Pricing", 0);
            ps->Parameter.arrayLen = 4;
            n++;
        }
        s->ServiceParameterList.ParameterSet.arrayLen = n;
        break;
    }
    case ISO20_EV_SERVICE_SELECTION:
        B.sel_service = q->ServiceSelectionReq.SelectedEnergyTransferService.ServiceID;
        B.sel_set = q->ServiceSelectionReq.SelectedEnergyTransferService.ParameterSetID;
        a->ServiceSelectionRes_isUsed = true;
        header(&a->ServiceSelectionRes.Header, k);
        a->ServiceSelectionRes.ResponseCode = code_for(k, 0);
        break;
    case ISO20_EV_SCHEDULE_EXCHANGE: {
        const struct exi_iso20_ScheduleExchangeReqType *r = &q->ScheduleExchangeReq;
        struct exi_iso20_ScheduleExchangeResType *s = &a->ScheduleExchangeRes;
        B.sched_n++;
        B.max_points = r->MaximumSupportingPoints;
        if (r->Dynamic_SEReqControlMode_isUsed) {
            B.sched_dynamic++;
            B.departure = r->Dynamic_SEReqControlMode.DepartureTime;
            B.min_soc = r->Dynamic_SEReqControlMode.MinimumSOC;
            B.target_soc = r->Dynamic_SEReqControlMode.TargetSOC;
        }
        B.sched_scheduled += r->Scheduled_SEReqControlMode_isUsed;
        a->ScheduleExchangeRes_isUsed = true;
        header(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        s->EVSEProcessing = B.sched_n <= B.sched_ongoing ? exi_iso20_processingType_Ongoing : exi_iso20_processingType_Finished;
        bool dyn = r->Dynamic_SEReqControlMode_isUsed != B.wrong_mode_schedule;
        if (dyn) {
            s->Dynamic_SEResControlMode_isUsed = true;
            s->Dynamic_SEResControlMode.DepartureTime = 7000;
            s->Dynamic_SEResControlMode.DepartureTime_isUsed = true;
        } else {
            s->Scheduled_SEResControlMode_isUsed = true;
            struct exi_iso20_ScheduleTupleType *t = &s->Scheduled_SEResControlMode.ScheduleTuple.array[0];
            s->Scheduled_SEResControlMode.ScheduleTuple.arrayLen = 1;
            t->ScheduleTupleID = B.tuple_id;
            struct exi_iso20_PowerScheduleEntryListType *l = &t->ChargingSchedule.PowerSchedule.PowerScheduleEntries;
            l->PowerScheduleEntry.arrayLen = 2;
            for (int i = 0; i < 2; i++) {
                l->PowerScheduleEntry.array[i].Duration = 43200;
                RN(l->PowerScheduleEntry.array[i].Power, (int64_t)B.sched_power_w * 1000);
            }
        }
        break;
    }
    case ISO20_EV_POWER_ON: {
        const struct exi_iso20_PowerDeliveryReqType *r = &q->PowerDeliveryReq;
        B.last_pd_progress = r->ChargeProgress;
        B.last_pd_profile = r->EVPowerProfile_isUsed;
        if (r->EVPowerProfile_isUsed) {
            B.last_pd_dynamic = r->EVPowerProfile.Dynamic_EVPPTControlMode_isUsed;
            B.last_pd_tuple = r->EVPowerProfile.Scheduled_EVPPTControlMode_isUsed
                                  ? r->EVPowerProfile.Scheduled_EVPPTControlMode.SelectedScheduleTupleID : 0;
            B.last_pd_entries = r->EVPowerProfile.EVPowerProfileEntries.EVPowerProfileEntry.arrayLen;
        }
        if (r->ChargeProgress == exi_iso20_chargeProgressType_Stop) {
            B.current_ma = 0;
        }
        bool standby = r->ChargeProgress == exi_iso20_chargeProgressType_Standby;
        if (standby) {
            B.standby_n++;
            B.standby_at = B.now;
            B.current_at_standby = B.current_ma;
        } else if (r->ChargeProgress == exi_iso20_chargeProgressType_Start && B.standby_n > 0 && B.restart_at == 0) {
            B.restart_at = B.now;
        }
        a->PowerDeliveryRes_isUsed = true;
        header(&a->PowerDeliveryRes.Header, k);
        a->PowerDeliveryRes.ResponseCode = standby && B.refuse_standby
                                               ? (uint8_t)exi_iso20_responseCodeType_WARNING_StandbyNotAllowed
                                               : code_for(k, 0);
        break;
    }
    case ISO20_EV_SESSION_STOP:
    default:
        B.last_stop_kind = q->SessionStopReq.ChargingSession;
        a->SessionStopRes_isUsed = true;
        header(&a->SessionStopRes.Header, k);
        a->SessionStopRes.ResponseCode = code_for(k, 0);
        break;
    }
}

static void dc_answer(enum iso20_ev_state k, struct exi_iso20_dc_document *q, struct exi_iso20_dc_document *a)
{
    memset(a, 0, sizeof *a);
    switch (k) {
    case ISO20_EV_CHARGE_PARAMETER: {
        a->DC_ChargeParameterDiscoveryRes_isUsed = true;
        struct exi_iso20_dc_DC_ChargeParameterDiscoveryResType *s = &a->DC_ChargeParameterDiscoveryRes;
        dheader(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        s->DC_CPDResEnergyTransferMode_isUsed = true;
        struct exi_iso20_dc_DC_CPDResEnergyTransferModeType *p = &s->DC_CPDResEnergyTransferMode;
        RN(p->EVSEMaximumChargePower, 150000000);
        RN(p->EVSEMaximumChargeCurrent, 500000);
        RN(p->EVSEMaximumVoltage, 1000000);
        RN(p->EVSEMinimumVoltage, 150000);
        break;
    }
    case ISO20_EV_CABLE_CHECK:
        B.cable_n++;
        a->DC_CableCheckRes_isUsed = true;
        dheader(&a->DC_CableCheckRes.Header, k);
        a->DC_CableCheckRes.ResponseCode = code_for(k, 0);
        a->DC_CableCheckRes.EVSEProcessing = B.cable_never_done || B.cable_n <= B.cable_ongoing
                                                 ? exi_iso20_dc_processingType_Ongoing : exi_iso20_dc_processingType_Finished;
        break;
    case ISO20_EV_PRECHARGE: {
        B.pre_n++;
        const struct exi_iso20_dc_DC_PreChargeReqType *r = &q->DC_PreChargeReq;
        B.pre_finished += r->EVProcessing == exi_iso20_dc_processingType_Finished;
        int64_t target = MILLI(r->EVTargetVoltage);
        if (!B.voltage_stuck) {
            B.voltage_mv = B.voltage_mv + 100000 >= target ? (int32_t)target : B.voltage_mv + 100000;
        }
        a->DC_PreChargeRes_isUsed = true;
        dheader(&a->DC_PreChargeRes.Header, k);
        a->DC_PreChargeRes.ResponseCode = code_for(k, 0);
        RN(a->DC_PreChargeRes.EVSEPresentVoltage, B.voltage_mv);
        break;
    }
    case ISO20_EV_CHARGE_LOOP: {
        B.loop_n++;
        const struct exi_iso20_dc_DC_ChargeLoopReqType *r = &q->DC_ChargeLoopReq;
        struct exi_iso20_dc_DC_ChargeLoopResType *s = &a->DC_ChargeLoopRes;
        B.loop_dynamic = r->Dynamic_DC_CLReqControlMode_isUsed;
        B.loop_scheduled = r->Scheduled_DC_CLReqControlMode_isUsed;
        if (B.loop_scheduled) {
            B.last_target_ma = (int32_t)MILLI(r->Scheduled_DC_CLReqControlMode.EVTargetCurrent);
            B.current_ma = B.last_target_ma;
        } else {
            B.last_dyn_max_ma = (int32_t)MILLI(r->Dynamic_DC_CLReqControlMode.EVMaximumChargeCurrent);
            B.current_ma = B.last_dyn_max_ma < 150000 ? B.last_dyn_max_ma : 150000;
        }
        a->DC_ChargeLoopRes_isUsed = true;
        dheader(&s->Header, k);
        s->ResponseCode = code_for(k, 0);
        if (B.loop_dynamic) {
            B.dyn_loop_n++;
            if (B.fail_dynamic_loop) {
                s->ResponseCode = exi_iso20_responseCodeType_FAILED;
            }
        }
        RN(s->EVSEPresentCurrent, B.current_ma);
        RN(s->EVSEPresentVoltage, B.voltage_mv);
        if (B.notify_at_loop != 0 && B.loop_n == B.notify_at_loop && !B.notified) {
            B.notified = true;
            s->EVSEStatus_isUsed = true;
            s->EVSEStatus.EVSENotification = B.notify;
            s->EVSEStatus.NotificationMaxDelay = 60;
        }
        if (B.loop_dynamic) {
            s->Dynamic_DC_CLResControlMode_isUsed = true;
            RN(s->Dynamic_DC_CLResControlMode.EVSEMaximumChargePower, 150000000);
            RN(s->Dynamic_DC_CLResControlMode.EVSEMaximumChargeCurrent, 500000);
            RN(s->Dynamic_DC_CLResControlMode.EVSEMaximumVoltage, 1000000);
        } else {
            s->Scheduled_DC_CLResControlMode_isUsed = true;
        }
        break;
    }
    case ISO20_EV_WELDING:
    default:
        B.weld_n++;
        B.weld_finished += q->DC_WeldingDetectionReq.EVProcessing == exi_iso20_dc_processingType_Finished;
        B.voltage_mv = B.voltage_mv / 4;
        a->DC_WeldingDetectionRes_isUsed = true;
        dheader(&a->DC_WeldingDetectionRes.Header, k);
        a->DC_WeldingDetectionRes.ResponseCode = code_for(k, 0);
        RN(a->DC_WeldingDetectionRes.EVSEPresentVoltage, B.voltage_mv);
        break;
    }
}

/* Which request this is: the message element (PowerDelivery counts as POWER_ON). */
static enum iso20_ev_state kind_common(const struct exi_iso20_document *d)
{
    return d->SessionSetupReq_isUsed         ? ISO20_EV_SESSION_SETUP
           : d->AuthorizationSetupReq_isUsed ? ISO20_EV_AUTH_SETUP
           : d->AuthorizationReq_isUsed      ? ISO20_EV_AUTHORIZATION
           : d->ServiceDiscoveryReq_isUsed   ? ISO20_EV_SERVICE_DISCOVERY
           : d->ServiceDetailReq_isUsed      ? ISO20_EV_SERVICE_DETAIL
           : d->ServiceSelectionReq_isUsed   ? ISO20_EV_SERVICE_SELECTION
           : d->ScheduleExchangeReq_isUsed   ? ISO20_EV_SCHEDULE_EXCHANGE
           : d->PowerDeliveryReq_isUsed      ? ISO20_EV_POWER_ON
           : d->SessionStopReq_isUsed        ? ISO20_EV_SESSION_STOP
                                             : ISO20_EV_IDLE;
}

static enum iso20_ev_state kind_dc(const struct exi_iso20_dc_document *d)
{
    return d->DC_ChargeParameterDiscoveryReq_isUsed ? ISO20_EV_CHARGE_PARAMETER
           : d->DC_CableCheckReq_isUsed             ? ISO20_EV_CABLE_CHECK
           : d->DC_PreChargeReq_isUsed              ? ISO20_EV_PRECHARGE
           : d->DC_ChargeLoopReq_isUsed             ? ISO20_EV_CHARGE_LOOP
           : d->DC_WeldingDetectionReq_isUsed       ? ISO20_EV_WELDING
                                                    : ISO20_EV_IDLE;
}

/* One request from the EV, answered by the script; false when it stays silent. */
static bool charger_answer(uint16_t pt, const uint8_t *in, size_t n, size_t *out_len, uint16_t *out_pt)
{
    *out_pt = pt;
    if (pt == ISO20_EV_PT_AC) {
        B.ac_n++; /* a DC charger cannot answer it: silence */
        return false;
    }
    if (pt == ISO20_EV_PT_SAP) {
        handshake(in, n, out_len);
        return true;
    }
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, in, n);
    exi_writer_init(&w, s_rx, sizeof s_rx);
    enum iso20_ev_state k;
    if (pt == ISO20_EV_PT_DC) {
        assert_int_equal(exi_iso20_dc_decode(&r, &s_dreq), HAL_OK);
        k = kind_dc(&s_dreq);
    } else {
        assert_int_equal(pt, ISO20_EV_PT_COMMON);
        assert_int_equal(exi_iso20_decode(&r, &s_req), HAL_OK);
        k = kind_common(&s_req);
    }
    assert_int_not_equal(k, ISO20_EV_IDLE);
    B.seen[k]++;
    if (k == ISO20_EV_CHARGE_LOOP && B.silent_loop) {
        return false;
    }
    if (pt == ISO20_EV_PT_DC) {
        dc_answer(k, &s_dreq, &s_dres);
        if (k == B.wrong_msg_kind) {
            memset(&s_dres, 0, sizeof s_dres); /* a schema-valid answer of another type */
            s_dres.DC_CableCheckRes_isUsed = k != ISO20_EV_CABLE_CHECK;
            s_dres.DC_WeldingDetectionRes_isUsed = k == ISO20_EV_CABLE_CHECK;
            dheader(&s_dres.DC_CableCheckRes.Header, k);
            dheader(&s_dres.DC_WeldingDetectionRes.Header, k);
        }
        assert_int_equal(exi_iso20_dc_encode(&w, &s_dres), HAL_OK);
    } else {
        common_answer(k, &s_req, &s_res);
        if (k == B.wrong_msg_kind) {
            memset(&s_res, 0, sizeof s_res);
            s_res.ServiceSelectionRes_isUsed = k != ISO20_EV_SERVICE_SELECTION;
            s_res.SessionStopRes_isUsed = k == ISO20_EV_SERVICE_SELECTION;
            header(&s_res.ServiceSelectionRes.Header, k);
            header(&s_res.SessionStopRes.Header, k);
        }
        assert_int_equal(exi_iso20_encode(&w, &s_res), HAL_OK);
    }
    if (k == B.wrong_pt_kind) {
        *out_pt = pt == ISO20_EV_PT_DC ? ISO20_EV_PT_COMMON : ISO20_EV_PT_DC;
    }
    *out_len = exi_writer_len(&w);
    return true;
}

static bool over(void)
{
    enum iso20_ev_state s = iso20_ev_state(&s_ev);
    return s == ISO20_EV_DONE || s == ISO20_EV_FAILED || s == ISO20_EV_PAUSED || s == ISO20_EV_OTHER_CHOSEN;
}

/* Run the session until it ends, @p until_ms passes, or after @p stop_after_loop loop
 * requests the car wants to stop (0: never). */
static void run(uint32_t until_ms, uint32_t stop_after_loop)
{
    for (int guard = 0; guard < 200000; guard++) {
        if (over()) {
            return;
        }
        if (stop_after_loop != 0 && B.loop_n >= stop_after_loop) {
            s_ev.model.stop = true;
        }
        size_t n = 0;
        uint16_t pt = 0;
        int rc = iso20_ev_next(&s_ev, B.now, s_tx, sizeof s_tx, &n, &pt);
        if (rc == HAL_ESTATE || rc == HAL_ETIMEDOUT) {
            return;
        }
        if (rc == HAL_OK) {
            size_t rn_len = 0;
            uint16_t rpt = 0;
            if (charger_answer(pt, s_tx, n, &rn_len, &rpt)) {
                B.now += 5;
                if (iso20_ev_receive(&s_ev, rpt, s_rx, rn_len, B.now) != HAL_OK) {
                    return;
                }
            }
            continue;
        }
        assert_int_equal(rc, HAL_EAGAIN);
        uint32_t d = iso20_ev_deadline(&s_ev);
        B.now = (int32_t)(d - B.now) > 0 ? d : B.now + 1;
        if ((int32_t)(B.now - until_ms) > 0) {
            return;
        }
    }
    fail_msg("run: no progress");
}

static void ev_start(enum iso20_ev_mode mode)
{
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    cfg.mode = mode;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, B.now), HAL_OK);
}

/* ------------------------------------------------------------------ sessions */

static void test_dynamic_session(void **state)
{
    (void)state;
    bench_init();
    B.auth_ongoing = 2;
    B.sched_ongoing = 1;
    B.cable_ongoing = 3;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 10);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_false(iso20_ev_refused(&s_ev));
    assert_string_equal(iso20_ev_reason(&s_ev), "EV stopped");
    assert_memory_equal(B.last_setup_id, (uint8_t[8]){0}, 8); /* a new session: eight zero bytes */
    assert_string_equal(B.evccid, "EVCC0000000001");
    assert_string_equal(iso20_ev_evse(&s_ev)->evse_id, "ZZ00000");
    assert_int_equal(B.seen[ISO20_EV_AUTH_SETUP], 1);
    assert_int_equal(B.seen[ISO20_EV_AUTHORIZATION], 3);  /* 2 x Ongoing, then Finished */
    assert_int_equal(B.seen[ISO20_EV_SERVICE_DETAIL], 1);
    assert_int_equal(B.sel_service, 2);
    assert_int_equal(B.sel_set, 1);                       /* the dynamic set */
    assert_int_equal(B.sched_n, 2);
    assert_int_equal(B.sched_dynamic, 2);
    assert_int_equal(B.departure, 7200);
    assert_int_equal(B.min_soc, 20);
    assert_int_equal(B.target_soc, 80);
    assert_int_equal(B.max_points, 24);
    assert_int_equal(B.cable_n, 4);
    assert_int_equal(B.pre_finished, 1);                  /* exactly one Finished, at the end */
    assert_true(B.pre_n >= 4);                            /* 0 -> 380 V in 100 V steps */
    assert_true(B.last_pd_dynamic);
    assert_int_equal(B.last_pd_progress, exi_iso20_chargeProgressType_Stop);
    assert_true(B.loop_dynamic);
    assert_int_equal(B.last_dyn_max_ma, 100000);          /* the model's wish */
    assert_int_equal(B.loop_n, 11); /* the wish to stop goes out with the answer to the 11th */
    assert_true(B.weld_n >= 2);
    assert_int_equal(B.weld_finished, 1);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
    assert_false(iso20_ev_actions(&s_ev)->cp_c);
    assert_false(iso20_ev_actions(&s_ev)->contactors);
    assert_int_equal(iso20_ev_evse(&s_ev)->departure_time_s, 7000);
}

static void test_scheduled_session(void **state)
{
    (void)state;
    bench_init();
    B.sched_power_w = 19000; /* 50 A at 380 V */
    ev_start(ISO20_EV_SCHEDULED);
    run(600000, 5);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(B.sel_set, 2);                       /* the scheduled set */
    assert_int_equal(B.sched_scheduled, 1);
    assert_int_equal(iso20_ev_evse(&s_ev)->tuple_id, 42);
    assert_int_equal(iso20_ev_evse(&s_ev)->n_schedule, 2);
    assert_int_equal(iso20_ev_schedule_power_at(&s_ev, 0), 19000);
    assert_int_equal(iso20_ev_schedule_power_at(&s_ev, 86400), -1);
    assert_true(B.loop_scheduled);
    /* The target current stays under the schedule's power at the present voltage. */
    assert_true(B.last_target_ma > 0 && B.last_target_ma <= 50000 + 100);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
}

static void test_scheduled_profile_on_start(void **state)
{
    (void)state;
    /* Stop at the first loop request: the last PowerDelivery seen before it was Start. */
    bench_init();
    ev_start(ISO20_EV_SCHEDULED);
    for (int i = 0; i < 5000 && B.loop_n == 0 && !over(); i++) {
        run(B.now + 10, 0);
    }
    assert_int_equal(B.last_pd_progress, exi_iso20_chargeProgressType_Start);
    assert_true(B.last_pd_profile);
    assert_false(B.last_pd_dynamic);
    assert_int_equal(B.last_pd_tuple, 42);
    assert_int_equal(B.last_pd_entries, 2);
    assert_true(iso20_ev_actions(&s_ev)->cp_c);
    assert_true(iso20_ev_actions(&s_ev)->contactors);
}

static void test_charger_pause_and_resume(void **state)
{
    (void)state;
    bench_init();
    B.notify_at_loop = 3;
    B.notify = exi_iso20_evseNotificationType_Pause;
    B.join = true;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_PAUSED);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Pause);
    assert_int_equal(B.last_pd_progress, exi_iso20_chargeProgressType_Stop);
    assert_int_equal(B.weld_finished, 1);
    assert_false(iso20_ev_actions(&s_ev)->cp_c);
    /* A new connection: handshake, SessionSetup with the old ID, straight to CPD. */
    uint32_t auth_before = B.seen[ISO20_EV_AUTHORIZATION];
    uint32_t cpd_before = B.seen[ISO20_EV_CHARGE_PARAMETER];
    B.negotiated = false;
    B.now += 5000;
    assert_int_equal(iso20_ev_resume(&s_ev, B.now), HAL_OK);
    run(B.now + 600000, B.loop_n + 4);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_memory_equal(B.last_setup_id, B.sid, 8);
    assert_true(iso20_ev_evse(&s_ev)->resumed);
    assert_int_equal(B.seen[ISO20_EV_AUTHORIZATION], auth_before);    /* no new authorization */
    assert_int_equal(B.seen[ISO20_EV_CHARGE_PARAMETER], cpd_before + 1);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
    assert_int_equal(s_ev.resumes, 1);
    assert_int_equal(iso20_ev_resume(&s_ev, B.now), HAL_ESTATE); /* only a paused session */
}

static void test_resume_new_session_runs_full_flow(void **state)
{
    (void)state;
    bench_init();
    B.notify_at_loop = 2;
    B.notify = exi_iso20_evseNotificationType_Pause;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_PAUSED);
    B.negotiated = false;
    B.sid[0] ^= 0xFF; /* the SECC forgot the session: a new ID, the whole flow again */
    uint32_t auth_before = B.seen[ISO20_EV_AUTHORIZATION];
    assert_int_equal(iso20_ev_resume(&s_ev, B.now), HAL_OK);
    run(B.now + 600000, B.loop_n + 2);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_false(iso20_ev_evse(&s_ev)->resumed);
    assert_int_equal(B.seen[ISO20_EV_AUTHORIZATION], auth_before + 1);
}

static void test_own_pause_only_in_scheduled_mode(void **state)
{
    (void)state;
    for (int mode = ISO20_EV_SCHEDULED; mode <= ISO20_EV_DYNAMIC; mode++) {
        bench_init();
        ev_start((enum iso20_ev_mode)mode);
        s_ev.model.pause = true;
        run(600000, 3);
        if (mode == ISO20_EV_SCHEDULED) {
            assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_PAUSED);
            assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Pause);
        } else {
            /* Dynamic: only the SECC may ask for a pause ([V2G20-1842]): a plain stop. */
            assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
            assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
        }
    }
}

static void test_charger_terminate(void **state)
{
    (void)state;
    bench_init();
    B.notify_at_loop = 4;
    B.notify = exi_iso20_evseNotificationType_Terminate;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_string_equal(iso20_ev_reason(&s_ev), "EVSE asked to stop");
    assert_int_equal(B.loop_n, 4);
    assert_int_equal(B.last_pd_progress, exi_iso20_chargeProgressType_Stop);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
}

static void test_schedule_renegotiation(void **state)
{
    (void)state;
    for (int how = 0; how < 2; how++) {
        bench_init();
        ev_start(ISO20_EV_SCHEDULED);
        if (how == 0) {
            B.notify_at_loop = 3; /* the charger asks */
            B.notify = exi_iso20_evseNotificationType_ScheduleRenegotiation;
        } else {
            s_ev.model.renegotiate = true; /* the car asks, once */
        }
        run(600000, 8);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
        assert_int_equal(s_ev.renegotiations, 1);
        assert_int_equal(B.sched_n, 2);            /* the first and the renegotiated one */
        assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 1); /* no second cable check */
        assert_int_equal(B.seen[ISO20_EV_POWER_ON], 4); /* Start, ScheduleRenegotiation, Start, Stop */
        assert_false(s_ev.model.renegotiate);
    }
}

/* Standby (spec sheet §4.4): after standby_after_ms of charging the car asks for 0 A, then
 * PowerDelivery(Standby) once nothing flows, keeps CP C and its contactors, says nothing
 * for standby_ms, then Start with a profile and the loop again; a refusal lets the loop go
 * on. Both control modes. */
static void test_standby(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        bench_init();
        struct iso20_ev_config cfg;
        iso20_ev_default_config(&cfg);
        cfg.mode = mode == 0 ? ISO20_EV_SCHEDULED : ISO20_EV_DYNAMIC;
        cfg.standby_after_ms = 2000;
        cfg.standby_ms = 5000;
        assert_int_equal(iso20_ev_start(&s_ev, &cfg, B.now), HAL_OK);
        /* A second at a time, watching the car while it stands by. */
        for (int i = 0; i < 200 && B.restart_at == 0 && !over(); i++) {
            run(B.now + 1000, 0);
            if (B.standby_n == 1 && B.restart_at == 0) {
                assert_true(iso20_ev_actions(&s_ev)->cp_c);
                assert_true(iso20_ev_actions(&s_ev)->contactors);
            }
        }
        assert_int_equal(B.standby_n, 1);
        assert_int_equal(B.current_at_standby, 0); /* ramped to 0 first */
        assert_true(B.restart_at - B.standby_at >= 5000);
        assert_true(B.restart_at - B.standby_at < 60000); /* under the SECC's sequence timer */
        assert_true(B.last_pd_profile);            /* Start again with a profile */
        assert_int_equal(s_ev.standbys, 1);
        uint32_t loops = B.loop_n;
        run(B.now + 3000, 0);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_CHARGE_LOOP);
        assert_true(B.loop_n > loops);
        assert_true(B.current_ma > 0);             /* current again after the standby */
        assert_int_equal(B.standby_n, 1);          /* once per session */
        run(600000, B.loop_n + 2);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    }
    /* Refused: the loop goes on, no second try. */
    bench_init();
    B.refuse_standby = true;
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    cfg.standby_after_ms = 2000;
    cfg.standby_ms = 5000;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, B.now), HAL_OK);
    for (int i = 0; i < 200 && B.standby_n == 0 && !over(); i++) {
        run(B.now + 1000, 0);
    }
    assert_int_equal(B.standby_n, 1);
    uint32_t loops = B.loop_n;
    run(B.now + 3000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_CHARGE_LOOP);
    assert_true(B.loop_n > loops + 5);
    assert_true(B.current_ma > 0);
    assert_int_equal(s_ev.standbys, 0);
    run(600000, B.loop_n + 2);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(B.standby_n, 1);
}

static void test_service_renegotiation(void **state)
{
    (void)state;
    bench_init();
    B.notify_at_loop = 2;
    B.notify = exi_iso20_evseNotificationType_ServiceRenegotiation;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 5);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(B.seen[ISO20_EV_SERVICE_DISCOVERY], 2); /* again, on the same connection */
    assert_int_equal(B.seen[ISO20_EV_SESSION_SETUP], 1);
    assert_int_equal(B.seen[ISO20_EV_SESSION_STOP], 2);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);

    /* Not supported by the SECC: the notification is not acted on. */
    bench_init();
    B.renegotiation_supported = false;
    B.notify_at_loop = 2;
    B.notify = exi_iso20_evseNotificationType_ServiceRenegotiation;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 5);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(B.seen[ISO20_EV_SERVICE_DISCOVERY], 1);
    assert_int_equal(B.loop_n, 6);
}

static void test_other_protocol_chosen(void **state)
{
    (void)state;
    bench_init();
    B.protocols[0] = APPHAND_NS_ISO2;
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    iso20_ev_offer_too(&cfg, APPHAND_NS_ISO2);
    iso20_ev_offer_too(&cfg, APPHAND_NS_DIN);
    assert_int_equal(cfg.n_offers, 3);
    assert_int_equal(cfg.offers[1].major, 2);
    assert_int_equal(cfg.offers[2].major, 1);
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_OTHER_CHOSEN);
    assert_int_equal(iso20_ev_chosen_offer(&s_ev), 1);
    /* -20 first when the SECC speaks it too. */
    bench_init();
    B.protocols[0] = APPHAND_NS_ISO2;
    B.protocols[1] = ISO20_EV_NS_DC;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(600000, 2);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(iso20_ev_chosen_offer(&s_ev), 0);
}

/* ------------------------------------------------------------------ refusals */

static const enum iso20_ev_state s_all[] = {
    ISO20_EV_SESSION_SETUP, ISO20_EV_AUTH_SETUP,      ISO20_EV_AUTHORIZATION, ISO20_EV_SERVICE_DISCOVERY,
    ISO20_EV_SERVICE_DETAIL, ISO20_EV_SERVICE_SELECTION, ISO20_EV_CHARGE_PARAMETER, ISO20_EV_SCHEDULE_EXCHANGE,
    ISO20_EV_CABLE_CHECK,   ISO20_EV_PRECHARGE,       ISO20_EV_POWER_ON,      ISO20_EV_CHARGE_LOOP,
    ISO20_EV_WELDING,       ISO20_EV_SESSION_STOP,
};

static void test_every_failed_code_stops_cleanly(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof s_all / sizeof s_all[0]; m++) {
        for (uint8_t code = exi_iso20_responseCodeType_FAILED; code <= exi_iso20_responseCodeType_FAILED_WrongChargeParameter;
             code++) {
            bench_init();
            B.fail_kind = s_all[m];
            B.fail_code = code;
            ev_start(ISO20_EV_DYNAMIC);
            run(600000, 3);
            assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
            assert_non_null(strstr(iso20_ev_reason(&s_ev), iso20_ev_response_code_name(code)));
            assert_false(iso20_ev_actions(&s_ev)->cp_c);
            assert_false(iso20_ev_actions(&s_ev)->contactors);
            /* Nothing more goes out after a FAILED answer. */
            size_t n = 0;
            uint16_t pt = 0;
            assert_int_equal(iso20_ev_next(&s_ev, B.now + 10000, s_tx, sizeof s_tx, &n, &pt), HAL_ESTATE);
            assert_int_equal(B.seen[ISO20_EV_SESSION_STOP], s_all[m] == ISO20_EV_SESSION_STOP ? 1u : 0u);
        }
    }
    assert_string_equal(iso20_ev_reason(&s_ev), "FAILED_WrongChargeParameter in SessionStopRes");
}

static void test_warning_in_authorization_ends_with_session_stop(void **state)
{
    (void)state;
    bench_init();
    B.fail_kind = ISO20_EV_AUTHORIZATION;
    B.fail_code = exi_iso20_responseCodeType_WARNING_EIMAuthorizationFailure;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_string_equal(iso20_ev_reason(&s_ev), "WARNING_EIMAuthorizationFailure in AuthorizationRes");
    assert_int_equal(B.seen[ISO20_EV_SESSION_STOP], 1);
    assert_int_equal(B.seen[ISO20_EV_SERVICE_DISCOVERY], 0);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
    assert_true(iso20_ev_refused(&s_ev));
}

static void test_warning_elsewhere_goes_on(void **state)
{
    (void)state;
    bench_init();
    B.fail_kind = ISO20_EV_POWER_ON;
    B.fail_code = exi_iso20_responseCodeType_WARNING_PowerToleranceNotConfirmed;
    ev_start(ISO20_EV_SCHEDULED);
    run(600000, 3);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_DONE);
    assert_int_equal(B.seen[ISO20_EV_POWER_ON], 2); /* the warned Start, and Stop */
    assert_true(B.loop_n >= 3);
}

static void test_changed_session_id(void **state)
{
    (void)state;
    for (size_t m = 1; m < sizeof s_all / sizeof s_all[0]; m++) {
        bench_init();
        B.wrong_id_kind = s_all[m];
        ev_start(ISO20_EV_DYNAMIC);
        run(600000, 3);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
        assert_string_equal(iso20_ev_reason(&s_ev), "SessionID changed");
    }
}

static void test_wrong_payload_type_and_message(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof s_all / sizeof s_all[0]; m++) {
        bench_init();
        B.wrong_pt_kind = s_all[m];
        ev_start(ISO20_EV_DYNAMIC);
        run(600000, 3);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
        assert_string_equal(iso20_ev_reason(&s_ev), "response with another payload type");
        bench_init();
        B.wrong_msg_kind = s_all[m];
        ev_start(ISO20_EV_DYNAMIC);
        run(600000, 3);
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
        assert_string_equal(iso20_ev_reason(&s_ev), "unexpected response");
    }
    /* Garbage: undecodable. */
    bench_init();
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    bench_init();
    ev_start(ISO20_EV_DYNAMIC);
    size_t n = 0;
    uint16_t pt = 0;
    assert_int_equal(iso20_ev_next(&s_ev, 0, s_tx, sizeof s_tx, &n, &pt), HAL_OK);
    static const uint8_t junk[] = {0x12, 0x34};
    assert_int_equal(iso20_ev_receive(&s_ev, ISO20_EV_PT_SAP, junk, sizeof junk, 1), HAL_EPROTO);
    assert_string_equal(iso20_ev_reason(&s_ev), "undecodable supportedAppProtocolRes");
    assert_int_equal(iso20_ev_receive(&s_ev, ISO20_EV_PT_SAP, junk, sizeof junk, 1), HAL_ESTATE);
}

static void test_offer_refusals(void **state)
{
    (void)state;
    bench_init();
    B.offer_eim = false;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "SECC offers no EIM");
    bench_init();
    B.offer_dc = false;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "SECC offers no DC service");
    bench_init();
    B.param_mode = 1;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "no DC parameter set with dynamic ControlMode");
    assert_int_equal(B.seen[ISO20_EV_SERVICE_SELECTION], 0);
    bench_init();
    B.wrong_mode_schedule = true;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "ScheduleExchangeRes not in dynamic mode");
    bench_init();
    B.wrong_mode_schedule = true;
    ev_start(ISO20_EV_SCHEDULED);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "ScheduleExchangeRes not in scheduled mode");
    assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 0);
    assert_false(iso20_ev_actions(&s_ev)->cp_c);
}

/* Each misbehaviour breaks its one rule (the scripted SECC records it) and the car takes
 * the charger's FAILED answer as a safe, explained stop. */
static void test_misbehave_stimuli(void **state)
{
    (void)state;
    for (int b = 1; b < ISO20_EV_MISBEHAVE_COUNT; b++) {
        enum iso20_ev_misbehave mb = ISO20_EV_MISBEHAVE_NONE;
        assert_int_equal(iso20_ev_misbehave_parse(iso20_ev_misbehave_name((enum iso20_ev_misbehave)b), &mb), HAL_OK);
        assert_int_equal(mb, b);
        bench_init();
        struct iso20_ev_config cfg;
        iso20_ev_default_config(&cfg);
        cfg.mode = ISO20_EV_SCHEDULED;
        cfg.misbehave = mb;
        assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_OK);
        switch (mb) {
        case ISO20_EV_MISBEHAVE_WRONG_CONTROL_MODE:
            B.fail_kind = ISO20_EV_SCHEDULE_EXCHANGE;
            B.fail_code = exi_iso20_responseCodeType_FAILED;
            run(600000, 3);
            assert_int_equal(B.sched_dynamic, 1); /* scheduled selected, dynamic element sent */
            break;
        case ISO20_EV_MISBEHAVE_UNOFFERED_SERVICE:
            B.fail_kind = ISO20_EV_SERVICE_SELECTION;
            B.fail_code = exi_iso20_responseCodeType_FAILED_NoEnergyTransferServiceSelected;
            run(600000, 3);
            assert_int_equal(B.sel_service, 1);   /* the script listed 2 and 6 */
            break;
        case ISO20_EV_MISBEHAVE_RENEGOTIATE_IN_CABLE_CHECK:
            B.fail_kind = ISO20_EV_POWER_ON;
            B.fail_code = exi_iso20_responseCodeType_FAILED_SequenceError;
            run(600000, 3);
            assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 0);
            assert_int_equal(B.last_pd_progress, exi_iso20_chargeProgressType_ScheduleRenegotiation);
            break;
        case ISO20_EV_MISBEHAVE_WRONG_NAMESPACE:
            run(600000, 3);
            assert_int_equal(B.ac_n, 1); /* the cable check, as AC, unanswered */
            assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 0);
            assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
            assert_false(iso20_ev_actions(&s_ev)->contactors);
            continue;
        case ISO20_EV_MISBEHAVE_WRONG_LOOP_MODE:
            B.fail_dynamic_loop = true;
            B.fail_code = exi_iso20_responseCodeType_FAILED;
            run(600000, 20);
            assert_int_equal(B.loop_n, 8); /* seven in the scheduled element, the 8th dynamic */
            assert_int_equal(B.dyn_loop_n, 1);
            break;
        case ISO20_EV_MISBEHAVE_UNOFFERED_DETAIL:
            B.fail_kind = ISO20_EV_SERVICE_DETAIL;
            B.fail_code = exi_iso20_responseCodeType_FAILED_ServiceIDInvalid;
            run(600000, 3);
            assert_int_equal(s_req.ServiceDetailReq.ServiceID, 1); /* the script listed 2 and 6 */
            break;
        case ISO20_EV_MISBEHAVE_SERVICE_RENEGOTIATION_IN_CABLE_CHECK:
            B.fail_kind = ISO20_EV_SESSION_STOP;
            B.fail_code = exi_iso20_responseCodeType_FAILED_SequenceError;
            run(600000, 3);
            assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 0);
            assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_ServiceRenegotiation);
            break;
        case ISO20_EV_MISBEHAVE_BPT_LIMITS:
        default:
            B.fail_kind = ISO20_EV_CHARGE_PARAMETER;
            B.fail_code = exi_iso20_responseCodeType_FAILED_WrongChargeParameter;
            run(600000, 3);
            assert_true(s_dreq.DC_ChargeParameterDiscoveryReq.BPT_DC_CPDReqEnergyTransferMode_isUsed);
            assert_true(MILLI(s_dreq.DC_ChargeParameterDiscoveryReq.BPT_DC_CPDReqEnergyTransferMode.EVMaximumDischargePower) < 0);
            break;
        }
        assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
        assert_non_null(strstr(iso20_ev_reason(&s_ev), iso20_ev_response_code_name(B.fail_code)));
        assert_false(iso20_ev_actions(&s_ev)->contactors);
    }
    assert_int_equal(iso20_ev_misbehave_parse("nonsense", &(enum iso20_ev_misbehave){0}), HAL_EINVAL);
    assert_string_equal(iso20_ev_misbehave_name(ISO20_EV_MISBEHAVE_COUNT), "?");
}

/* ------------------------------------------------------------------ timers */

static void test_timers(void **state)
{
    (void)state;
    /* The loop: 500 ms without DC_ChargeLoopRes. */
    bench_init();
    B.silent_loop = true;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_int_equal(iso20_ev_state(&s_ev), ISO20_EV_FAILED);
    assert_string_equal(iso20_ev_reason(&s_ev), "response timeout");
    assert_int_equal(B.seen[ISO20_EV_CHARGE_LOOP], 1);
    assert_false(iso20_ev_actions(&s_ev)->contactors);
    /* Exactly 500 ms: one request, then timeout at +500 and not before. */
    bench_init();
    ev_start(ISO20_EV_DYNAMIC);
    size_t n = 0;
    uint16_t pt = 0;
    assert_int_equal(iso20_ev_next(&s_ev, 0, s_tx, sizeof s_tx, &n, &pt), HAL_OK);
    assert_int_equal(pt, ISO20_EV_PT_SAP);
    assert_int_equal(iso20_ev_next(&s_ev, 1999, s_tx, sizeof s_tx, &n, &pt), HAL_EAGAIN);
    assert_int_equal(iso20_ev_next(&s_ev, 2000, s_tx, sizeof s_tx, &n, &pt), HAL_ETIMEDOUT);
    /* Cable check never finishes: 40 s. */
    bench_init();
    B.cable_never_done = true;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "cable check timeout");
    assert_true(B.cable_n >= 300 && B.cable_n <= 420); /* every ~100 ms for 40 s */
    /* Pre-charge never matches: 10 s. */
    bench_init();
    B.voltage_stuck = true;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "pre-charge timeout");
    assert_true(B.pre_n >= 70 && B.pre_n <= 105);
    assert_int_equal(B.pre_finished, 0);
    /* Authorization Ongoing forever: 60 s. */
    bench_init();
    B.auth_ongoing = 100000;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "ongoing timeout");
    assert_true(B.now >= 60000 && B.now < 62000);
    /* ScheduleExchange Ongoing forever: 60 s. */
    bench_init();
    B.sched_ongoing = 100000;
    ev_start(ISO20_EV_DYNAMIC);
    run(600000, 0);
    assert_string_equal(iso20_ev_reason(&s_ev), "ongoing timeout");
    assert_int_equal(B.seen[ISO20_EV_CABLE_CHECK], 0);
    /* No SessionSetupRes within 20 s of the start. */
    bench_init();
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    cfg.start_delay_ms = 19000;
    cfg.msg_timeout_ms = 5000;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_OK);
    assert_int_equal(iso20_ev_next(&s_ev, 19000, s_tx, sizeof s_tx, &n, &pt), HAL_OK);
    handshake(s_tx, n, &n);
    assert_int_equal(iso20_ev_receive(&s_ev, ISO20_EV_PT_SAP, s_rx, n, 19500), HAL_OK);
    assert_int_equal(iso20_ev_next(&s_ev, 19520, s_tx, sizeof s_tx, &n, &pt), HAL_OK);
    assert_int_equal(pt, ISO20_EV_PT_COMMON);
    assert_int_equal(iso20_ev_next(&s_ev, 20000, s_tx, sizeof s_tx, &n, &pt), HAL_EAGAIN);
    assert_int_equal(iso20_ev_next(&s_ev, 24520, s_tx, sizeof s_tx, &n, &pt), HAL_ETIMEDOUT);
}

static void test_start_refuses_bad_config(void **state)
{
    (void)state;
    struct iso20_ev_config cfg;
    iso20_ev_default_config(&cfg);
    cfg.offers[0].ns = APPHAND_NS_ISO2;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    iso20_ev_default_config(&cfg);
    cfg.evccid[0] = '\0';
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    iso20_ev_default_config(&cfg);
    cfg.mode = (enum iso20_ev_mode)3;
    assert_int_equal(iso20_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    assert_int_equal(iso20_ev_start(NULL, &cfg, 0), HAL_EINVAL);
    assert_string_equal(iso20_ev_state_name(ISO20_EV_CHARGE_LOOP), "charge_loop");
    assert_string_equal(iso20_ev_state_name(ISO20_EV_FAILED), "failed");
    assert_string_equal(iso20_ev_response_code_name(34), "FAILED_SequenceError");
    assert_string_equal(iso20_ev_response_code_name(40), "?");
}

/* ------------------------------------------------------------------ EV model */

static void test_ev_model_profiles(void **state)
{
    (void)state;
    struct ev_model_config c;
    assert_int_equal(ev_model_profile_parse("iso20", &c), HAL_OK);
    assert_int_equal(c.protocol, EV_MODEL_PROTO_ISO20);
    assert_int_equal(c.iso20.mode, ISO20_EV_SCHEDULED);
    assert_int_equal(ev_model_profile_parse("iso20-dynamic", &c), HAL_OK);
    assert_int_equal(c.protocol, EV_MODEL_PROTO_ISO20);
    assert_int_equal(c.iso20.mode, ISO20_EV_DYNAMIC);
    assert_int_equal(ev_model_profile_parse("iso20-pause", &c), HAL_OK);
    assert_int_equal(c.iso20.mode, ISO20_EV_SCHEDULED);
    assert_true(c.pause_after_ms > 0);
    assert_int_equal(ev_model_profile_parse("iso20-auto", &c), HAL_OK);
    assert_int_equal(c.protocol, EV_MODEL_PROTO_AUTO20);
    assert_int_equal(ev_model_protocol_parse("iso20", &c), HAL_OK);
    assert_int_equal(c.protocol, EV_MODEL_PROTO_ISO20);
    assert_int_equal(ev_model_protocol_parse("auto20", &c), HAL_OK);
    assert_int_equal(c.protocol, EV_MODEL_PROTO_AUTO20);
    assert_int_equal(ev_model_protocol_parse("iso21", &c), HAL_EINVAL);
}


/* ---------------------------------------------------------------- the EV model on a link */

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
    struct ev_model car;
    uint32_t connections;          /* supportedAppProtocolReq seen */
    uint32_t types[4];             /* V2GTP payload types seen: 0x8001 .. 0x8004 */
    bool saw_paused;
    char offered[3][64];           /* namespaces of the first supportedAppProtocolReq */
    struct fake_tls tls_evse, tls_ev;
};
static struct rig R;
/* The next rig_start() runs the link over TLS (the fake) that reports this version; 0: TCP. */
static uint16_t s_rig_tls;

/* The charger: the EVSE link plus the scripted SECC answering each whole message. */
static void rig_step(void)
{
    evse_link_step(&R.evse, B.now);
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    while (evse_link_recv(&R.evse, &type, &p, &len) == HAL_OK) {
        size_t rn = 0;
        uint16_t rpt = 0;
        if (type >= 0x8001u && type <= 0x8004u) {
            R.types[type - 0x8001u]++;
        }
        if (type == ISO20_EV_PT_SAP) {
            R.connections++;
            B.negotiated = false;
        }
        if (charger_answer(type, p, len, &rn, &rpt)) {
            if (R.connections == 1 && type == ISO20_EV_PT_SAP) {
                for (uint16_t k = 0; k < s_areq.supportedAppProtocolReq.AppProtocol.arrayLen && k < 3; k++) {
                    const struct exi_apphand_AppProtocolType *a = &s_areq.supportedAppProtocolReq.AppProtocol.array[k];
                    size_t l = a->ProtocolNamespace.charactersLen < 63 ? a->ProtocolNamespace.charactersLen : 63;
                    memcpy(R.offered[k], a->ProtocolNamespace.characters, l);
                    R.offered[k][l] = '\0';
                }
            }
            (void)evse_link_send(&R.evse, rpt, s_rx, (uint32_t)rn);
        }
        evse_link_consume(&R.evse, B.now);
    }
    (void)sched_run(&R.s_ev, B.now, true);
    if (ev_model_phase(&R.car) == EV_MODEL_PAUSED) {
        R.saw_paused = true;
    }
    B.now++;
}

static void rig_start(const char *profile, void (*tune)(struct ev_model_config *))
{
    memset(&R, 0, sizeof R);
    bench_init();
    B.now = 1000;
    fake_eth_segment_init(&R.seg);
    fake_eth_init(&R.eth_evse, &R.seg, s_mac_evse);
    fake_eth_init(&R.eth_ev, &R.seg, s_mac_ev);
    fake_net_world_init(&R.w);
    fake_net_init(&R.net_evse, &R.w, 1);
    fake_net_init(&R.net_ev, &R.w, 2);
    fake_rng_init(&R.rng_evse, 21);
    fake_rng_init(&R.rng_ev, 22);
    fake_log_init(&R.log);
    sched_init(&R.s_evse);
    sched_init(&R.s_ev);
    struct evse_link_config ecfg;
    evse_link_default_config(&ecfg);
    ecfg.slac.use_modem = false;
    fake_tls_init(&R.tls_evse, &R.net_evse.base);
    fake_tls_init(&R.tls_ev, &R.net_ev.base);
    R.tls_evse.version = R.tls_ev.version = s_rig_tls;
    ecfg.offer_tls = s_rig_tls != 0;
    assert_int_equal(evse_link_init(&R.evse, &ecfg,
                                    &(struct evse_link_ports){.eth = &R.eth_evse.base,
                                                              .net = &R.net_evse.base,
                                                              .rng = &R.rng_evse.base,
                                                              .tls = s_rig_tls != 0 ? &R.tls_evse.base : NULL,
                                                              .log = &R.log.base},
                                    &R.s_evse, B.now),
                     HAL_OK);
    struct ev_model_config mc;
    assert_int_equal(ev_model_profile_parse(profile, &mc), HAL_OK);
    mc.link.slac.use_modem = false;
    mc.charge_ms_max = 3000;
    if (tune != NULL) {
        tune(&mc);
    }
    struct ev_link_ports ports = {.eth = &R.eth_ev.base, .net = &R.net_ev.base, .rng = &R.rng_ev.base,
                                  .tls = s_rig_tls != 0 ? &R.tls_ev.base : NULL, .log = &R.log.base};
    if (s_rig_tls != 0) {
        mc.link.sdp_security = SDP_SEC_TLS;
        mc.link.tls_required = true;
    }
    assert_int_equal(ev_model_init(&R.car, &mc, &ports, &R.s_ev, NULL, &R.log.base, B.now), HAL_OK);
    assert_int_equal(ev_model_plug(&R.car, B.now), HAL_OK);
}

static void rig_run(uint32_t max_ms)
{
    for (uint32_t i = 0; i < max_ms && ev_model_phase(&R.car) != EV_MODEL_DONE; i++) {
        rig_step();
    }
}

static void test_model_iso20_sessions(void **state)
{
    (void)state;
    static const char *const profiles[] = {"iso20", "iso20-dynamic"};
    for (size_t i = 0; i < 2; i++) {
        rig_start(profiles[i], NULL);
        rig_run(60000);
        assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
        assert_string_equal(ev_model_result(&R.car), "ok");
        assert_string_equal(ev_model_protocol_name(&R.car), "ISO 15118-20");
        assert_int_equal(R.connections, 1);
        assert_string_equal(R.offered[0], "urn:iso:std:iso:15118:-20:DC");
        assert_string_equal(R.offered[1], "");
        assert_int_equal(R.types[0], 1);           /* 0x8001 only for supportedAppProtocol */
        assert_true(R.types[1] >= 9);              /* common messages */
        assert_int_equal(R.types[2], 0);           /* no AC */
        assert_true(R.types[3] >= 10);             /* DC_* */
        assert_true(B.loop_n >= 10);               /* 3 s of DC_ChargeLoop */
        assert_true(i == 0 ? B.loop_scheduled : B.loop_dynamic);
        assert_true(ev_model_battery(&R.car)->charged_mwh > 0);
        assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
        assert_string_equal(B.evccid, "020000000001"); /* the car's EVCCID (DIN config) as a string */
    }
}

static void tune_pause(struct ev_model_config *mc)
{
    mc->pause_after_ms = 1500;
    mc->resume_after_ms = 1000;
}

static void test_model_iso20_pause_and_resume(void **state)
{
    (void)state;
    rig_start("iso20-pause", tune_pause);
    B.join = true;
    rig_run(120000);
    assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_true(R.saw_paused);
    assert_int_equal(R.connections, 2);            /* a new connection for the resume */
    assert_memory_equal(B.last_setup_id, B.sid, 8); /* with the old SessionID */
    uint32_t reneg = 99, resumes = 99;
    ev_model_iso2_counts(&R.car, &reneg, &resumes);
    assert_int_equal(resumes, 1);
    assert_int_equal(reneg, 0);
    assert_int_equal(B.last_stop_kind, exi_iso20_chargingSessionType_Terminate);
}

static void test_model_iso20_refused_is_not_ok(void **state)
{
    (void)state;
    rig_start("iso20-dynamic", NULL);
    B.fail_kind = ISO20_EV_AUTHORIZATION;
    B.fail_code = exi_iso20_responseCodeType_WARNING_EIMAuthorizationFailure;
    rig_run(60000);
    assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
    assert_false(ev_model_ok(&R.car));
    assert_string_equal(ev_model_result(&R.car), "WARNING_EIMAuthorizationFailure in AuthorizationRes");
    assert_int_equal(B.seen[ISO20_EV_SESSION_STOP], 1);
}

static void test_model_iso20_auto_offers_three(void **state)
{
    (void)state;
    rig_start("iso20-auto", NULL);
    rig_run(60000);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_string_equal(R.offered[0], "urn:iso:std:iso:15118:-20:DC");
    assert_string_equal(R.offered[1], APPHAND_NS_ISO2);
    assert_string_equal(R.offered[2], APPHAND_NS_DIN);
    assert_string_equal(ev_model_protocol_name(&R.car), "ISO 15118-20"); /* the script speaks -20 */
}

/* [V2G20-1237]: -20 runs over TLS 1.3; the car learns the version from its handshake. */
static void test_model_iso20_over_tls13(void **state)
{
    (void)state;
    s_rig_tls = 0x0304;
    rig_start("iso20", NULL);
    s_rig_tls = 0;
    rig_run(60000);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_string_equal(ev_model_protocol_name(&R.car), "ISO 15118-20");
    assert_int_equal(R.evse.sdp_answered_tls, 1);
    assert_string_equal(R.offered[0], "urn:iso:std:iso:15118:-20:DC");
}

static void test_model_iso20_refuses_tls12(void **state)
{
    (void)state;
    s_rig_tls = 0x0303;
    rig_start("iso20", NULL);
    s_rig_tls = 0;
    rig_run(60000);
    assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
    assert_false(ev_model_ok(&R.car));
    assert_string_equal(ev_model_result(&R.car), "ISO 15118-20 refused: the SECC negotiated TLS 1.2, -20 needs TLS 1.3");
    assert_int_equal(R.connections, 0); /* nothing offered over TLS 1.2 */
    assert_int_equal(R.evse.sdp_answered_tls, 1);
}

static void test_model_auto20_leaves_iso20_out_on_tls12(void **state)
{
    (void)state;
    s_rig_tls = 0x0303;
    rig_start("iso20-auto", NULL);
    s_rig_tls = 0;
    for (uint32_t i = 0; i < 60000 && R.connections == 0 && ev_model_phase(&R.car) != EV_MODEL_DONE; i++) {
        rig_step();
    }
    assert_int_equal(R.connections, 1);
    assert_string_equal(R.offered[0], APPHAND_NS_ISO2); /* -20 left out, ISO-2 and DIN offered */
    assert_string_equal(R.offered[1], APPHAND_NS_DIN);
    assert_string_equal(R.offered[2], "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynamic_session),
        cmocka_unit_test(test_scheduled_session),
        cmocka_unit_test(test_scheduled_profile_on_start),
        cmocka_unit_test(test_charger_pause_and_resume),
        cmocka_unit_test(test_resume_new_session_runs_full_flow),
        cmocka_unit_test(test_own_pause_only_in_scheduled_mode),
        cmocka_unit_test(test_charger_terminate),
        cmocka_unit_test(test_schedule_renegotiation),
        cmocka_unit_test(test_standby),
        cmocka_unit_test(test_service_renegotiation),
        cmocka_unit_test(test_other_protocol_chosen),
        cmocka_unit_test(test_every_failed_code_stops_cleanly),
        cmocka_unit_test(test_warning_in_authorization_ends_with_session_stop),
        cmocka_unit_test(test_warning_elsewhere_goes_on),
        cmocka_unit_test(test_changed_session_id),
        cmocka_unit_test(test_wrong_payload_type_and_message),
        cmocka_unit_test(test_offer_refusals),
        cmocka_unit_test(test_misbehave_stimuli),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_start_refuses_bad_config),
        cmocka_unit_test(test_ev_model_profiles),
        cmocka_unit_test(test_model_iso20_sessions),
        cmocka_unit_test(test_model_iso20_pause_and_resume),
        cmocka_unit_test(test_model_iso20_refused_is_not_ok),
        cmocka_unit_test(test_model_iso20_auto_offers_three),
        cmocka_unit_test(test_model_iso20_over_tls13),
        cmocka_unit_test(test_model_iso20_refuses_tls12),
        cmocka_unit_test(test_model_auto20_leaves_iso20_out_on_tls12),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
