/* Unit tests of the ISO 15118-2 EV machine against a scripted SECC written here with the
 * ISO-2 codec (encode -> bytes -> the machine's decode): whole sessions, the Ongoing
 * loops, charger-initiated renegotiation, pause and resume, FAILED codes, a changed
 * SessionID, a response of the wrong type, DIN chosen by the SECC, timers; then the EV
 * model (firmware/ev_model) with the iso2 profiles over the real link code (SLAC, SDP,
 * TCP through the fakes) against the same script, pause and resume on a new connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apphand/apphand.h"
#include "din/din_ev.h"
#include "ev_model.h"
#include "evse_link.h"
#include "fake_eth.h"
#include "fake_log.h"
#include "fake_net.h"
#include "fake_rng.h"
#include "iso2/iso2_ev.h"

static struct iso2_ev s_ev;
static struct exi_iso2_document s_req, s_res;
static struct exi_apphand_document s_areq, s_ares;
static uint8_t s_tx[2048], s_rx[2048];

/* The scripted charger and what it saw on the wire. */
struct bench {
    uint32_t now;
    bool negotiated;
    const char *protocols[2];     /* what the SECC speaks, best first */
    struct iso2_session_id sid;
    uint32_t seen[ISO2_MSG_COUNT];
    uint32_t auth_ongoing, cpd_ongoing, cable_ongoing; /* Ongoing answers before Finished */
    uint32_t auth_n, cpd_n, cable_n, cd_n, pre_n, weld_n;
    int32_t voltage_mv, current_ma;
    int32_t pmax_w;               /* the schedule the SECC offers now */
    uint8_t tuple_id;
    uint32_t renegotiate_after_cd; /* 0: never */
    bool renegotiation_sent;
    uint32_t stop_after_cd;       /* the EVSE asks to stop (0: never) */
    enum iso2_msg fail_msg;    /* answer this one with fail_code */
    uint8_t fail_code;
    enum iso2_msg wrong_id_msg; /* answer this one with another SessionID */
    enum iso2_msg wrong_type_msg; /* answer this one with a response of another type */
    bool silent_cd;               /* no answer to CurrentDemand */
    /* recorded from requests */
    struct iso2_session_id last_setup_id;
    uint8_t last_pd_progress, last_pd_tuple, last_stop_kind;
    int first_pd_progress;        /* -1: none yet */
    uint16_t last_pd_entries;
    int64_t last_profile_max_mw;
    int32_t last_cd_target_ma;
    uint16_t selected_n, selected_param_set;
    uint16_t detail_id;
    bool old_session_joined;
    /* Plug & Charge */
    bool offer_contract;          /* list Contract (and ExternalPayment) */
    bool contract_only;           /* list Contract alone */
    uint8_t selected_payment;
    char pd_emaid[16];
    uint16_t pd_leaf_len, pd_subs;
    uint16_t challenge_len;       /* GenChallenge length answered (16) */
    uint32_t auth_signed, auth_empty; /* AuthorizationReqs with Id+challenge+Signature / empty */
    bool auth_challenge_ok;       /* the signed one carried our challenge */
};

static struct bench B;

static void bench_init(void)
{
    memset(&B, 0, sizeof B);
    static const uint8_t id[3] = {0xEB, 0x00, 0x17}; /* short, zero inside: kept byte-exact */
    memcpy(B.sid.bytes, id, sizeof id);
    B.sid.len = sizeof id;
    B.protocols[0] = APPHAND_NS_ISO2;
    B.pmax_w = 150000;
    B.tuple_id = 1;
    B.first_pd_progress = -1;
    B.challenge_len = 16;
}

static const uint8_t s_challenge[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static void status(struct exi_iso2_DC_EVSEStatusType *s, bool isolation)
{
    s->EVSEStatusCode = exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready;
    s->EVSENotification = exi_iso2_EVSENotificationType_None;
    if (isolation) {
        s->EVSEIsolationStatus = exi_iso2_isolationLevelType_Valid;
        s->EVSEIsolationStatus_isUsed = true;
    }
}

static void schedule(struct exi_iso2_ChargeParameterDiscoveryResType *c)
{
    c->SAScheduleList_isUsed = true;
    c->SASchedules_isUsed = true;
    struct exi_iso2_SAScheduleTupleType *t = &c->SAScheduleList.SAScheduleTuple.array[0];
    c->SAScheduleList.SAScheduleTuple.arrayLen = 1;
    t->SAScheduleTupleID = B.tuple_id;
    t->PMaxSchedule.PMaxScheduleEntry.arrayLen = 2;
    for (int i = 0; i < 2; i++) {
        struct exi_iso2_PMaxScheduleEntryType *e = &t->PMaxSchedule.PMaxScheduleEntry.array[i];
        e->RelativeTimeInterval_isUsed = true;
        e->TimeInterval_isUsed = true;
        e->RelativeTimeInterval.start = i == 0 ? 0 : 43200;
        e->RelativeTimeInterval.duration = 43200;
        e->RelativeTimeInterval.duration_isUsed = true;
        iso2_pv_set(&e->PMax, (int64_t)B.pmax_w * 1000, exi_iso2_unitSymbolType_W);
    }
}

static void handshake(const uint8_t *in, size_t n, size_t *out_len)
{
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, in, n);
    exi_writer_init(&w, s_rx, sizeof s_rx);
    assert_int_equal(exi_apphand_decode(&r, &s_areq), HAL_OK);
    struct apphand_protocol ours[2];
    size_t k = 0;
    for (size_t i = 0; i < 2 && B.protocols[i] != NULL; i++) {
        ours[k++] = (struct apphand_protocol){B.protocols[i], 2, 0};
    }
    int chosen = -1;
    assert_int_equal(apphand_select(&s_areq, ours, k, &s_ares, &chosen), HAL_OK);
    assert_int_equal(exi_apphand_encode(&w, &s_ares), HAL_OK);
    B.negotiated = true;
    *out_len = exi_writer_len(&w);
}

/* One request from the EV, answered by the script; false when it stays silent. */
static bool charger_answer(const uint8_t *in, size_t n, size_t *out_len)
{
    if (!B.negotiated) {
        handshake(in, n, out_len);
        return true;
    }
    struct exi_reader r;
    struct exi_writer w;
    exi_reader_init(&r, in, n);
    exi_writer_init(&w, s_rx, sizeof s_rx);
    assert_int_equal(exi_iso2_decode(&r, &s_req), HAL_OK);
    enum iso2_msg k = iso2_request_kind(&s_req);
    assert_int_not_equal(k, ISO2_MSG_NONE);
    B.seen[k]++;
    const struct exi_iso2_BodyType *q = &s_req.V2G_Message.Body;
    struct exi_iso2_BodyType *a = &s_res.V2G_Message.Body;
    memset(&s_res, 0, sizeof s_res);
    s_res.V2G_Message_isUsed = true;
    if (k != ISO2_MSG_SESSION_SETUP) {
        struct iso2_session_id got;
        iso2_session_id_from_header(&got, &s_req.V2G_Message.Header);
        assert_true(iso2_session_id_equal(&got, &B.sid)); /* the car follows our ID */
    }
    uint8_t code = exi_iso2_responseCodeType_OK;
    switch (k) {
    case ISO2_MSG_SESSION_SETUP: {
        iso2_session_id_from_header(&B.last_setup_id, &s_req.V2G_Message.Header);
        assert_int_equal(q->SessionSetupReq.EVCCID.bytesLen, 6);
        B.old_session_joined = iso2_session_id_equal(&B.last_setup_id, &B.sid);
        code = B.old_session_joined ? exi_iso2_responseCodeType_OK_OldSessionJoined
                                    : exi_iso2_responseCodeType_OK_NewSessionEstablished;
        a->SessionSetupRes_isUsed = true;
        memcpy(a->SessionSetupRes.EVSEID.characters, "DE*ABC*E1234", 12);
        a->SessionSetupRes.EVSEID.charactersLen = 12;
        break;
    }
    case ISO2_MSG_SERVICE_DISCOVERY: {
        a->ServiceDiscoveryRes_isUsed = true;
        struct exi_iso2_ServiceDiscoveryResType *s = &a->ServiceDiscoveryRes;
        s->PaymentOptionList.PaymentOption.array[0] = exi_iso2_paymentOptionType_ExternalPayment;
        s->PaymentOptionList.PaymentOption.arrayLen = 1;
        if (B.offer_contract || B.contract_only) {
            s->PaymentOptionList.PaymentOption.array[B.contract_only ? 0 : 1] = exi_iso2_paymentOptionType_Contract;
            s->PaymentOptionList.PaymentOption.arrayLen = B.contract_only ? 1 : 2;
        }
        s->ChargeService.ServiceID = 1;
        s->ChargeService.ServiceCategory = exi_iso2_serviceCategoryType_EVCharging;
        s->ChargeService.SupportedEnergyTransferMode.EnergyTransferMode.array[0] =
            exi_iso2_EnergyTransferModeType_DC_extended;
        s->ChargeService.SupportedEnergyTransferMode.EnergyTransferMode.arrayLen = 1;
        s->ServiceList_isUsed = true;
        s->ServiceList.Service.arrayLen = 1;
        s->ServiceList.Service.array[0].ServiceID = 61000;
        s->ServiceList.Service.array[0].ServiceCategory = exi_iso2_serviceCategoryType_OtherCustom;
        break;
    }
    case ISO2_MSG_SERVICE_DETAIL:
        B.detail_id = q->ServiceDetailReq.ServiceID;
        a->ServiceDetailRes_isUsed = true;
        a->ServiceDetailRes.ServiceID = q->ServiceDetailReq.ServiceID;
        a->ServiceDetailRes.ServiceParameterList_isUsed = true;
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.arrayLen = 1;
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].ParameterSetID = 31000;
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].Parameter.arrayLen = 1;
        memcpy(a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].Parameter.array[0].Name.characters, "Port", 4);
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].Parameter.array[0].Name.charactersLen = 4;
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].Parameter.array[0].intValue = 8080;
        a->ServiceDetailRes.ServiceParameterList.ParameterSet.array[0].Parameter.array[0].intValue_isUsed = true;
        break;
    case ISO2_MSG_PAYMENT_SELECTION: {
        const struct exi_iso2_PaymentServiceSelectionReqType *p = &q->PaymentServiceSelectionReq;
        B.selected_payment = p->SelectedPaymentOption;
        assert_int_equal(p->SelectedServiceList.SelectedService.array[0].ServiceID, 1);
        B.selected_n = p->SelectedServiceList.SelectedService.arrayLen;
        if (B.selected_n > 1) {
            B.selected_param_set = (uint16_t)p->SelectedServiceList.SelectedService.array[1].ParameterSetID;
        }
        a->PaymentServiceSelectionRes_isUsed = true;
        break;
    }
    case ISO2_MSG_PAYMENT_DETAILS: {
        const struct exi_iso2_PaymentDetailsReqType *p = &q->PaymentDetailsReq;
        memcpy(B.pd_emaid, p->eMAID.characters, p->eMAID.charactersLen < 15 ? p->eMAID.charactersLen : 15);
        B.pd_leaf_len = p->ContractSignatureCertChain.Certificate.bytesLen;
        B.pd_subs = p->ContractSignatureCertChain.SubCertificates_isUsed
                        ? p->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen
                        : 0;
        a->PaymentDetailsRes_isUsed = true;
        memcpy(a->PaymentDetailsRes.GenChallenge.bytes, s_challenge, 16);
        a->PaymentDetailsRes.GenChallenge.bytesLen = B.challenge_len;
        a->PaymentDetailsRes.EVSETimeStamp = 1767225600;
        break;
    }
    case ISO2_MSG_AUTHORIZATION: {
        const struct exi_iso2_AuthorizationReqType *p = &q->AuthorizationReq;
        if (p->Id_isUsed && p->GenChallenge_isUsed && s_req.V2G_Message.Header.Signature_isUsed) {
            B.auth_signed++;
            const struct exi_iso2_SignatureType *g = &s_req.V2G_Message.Header.Signature;
            B.auth_challenge_ok = p->GenChallenge.bytesLen == 16 && memcmp(p->GenChallenge.bytes, s_challenge, 16) == 0 &&
                                  g->SignatureValue.CONTENT.bytesLen == 64 &&
                                  g->SignedInfo.Reference.arrayLen == 1 &&
                                  memcmp(g->SignedInfo.Reference.array[0].URI.characters, "#ID1", 4) == 0;
        } else if (!p->Id_isUsed && !p->GenChallenge_isUsed && !s_req.V2G_Message.Header.Signature_isUsed) {
            B.auth_empty++;
        }
    }
        a->AuthorizationRes_isUsed = true;
        a->AuthorizationRes.EVSEProcessing = B.auth_n++ < B.auth_ongoing
                                                 ? exi_iso2_EVSEProcessingType_Ongoing_WaitingForCustomerInteraction
                                                 : exi_iso2_EVSEProcessingType_Finished;
        break;
    case ISO2_MSG_CHARGE_PARAMETER: {
        const struct exi_iso2_ChargeParameterDiscoveryReqType *p = &q->ChargeParameterDiscoveryReq;
        assert_true(p->DC_EVChargeParameter_isUsed);
        assert_int_equal(p->RequestedEnergyTransferMode, exi_iso2_EnergyTransferModeType_DC_extended);
        a->ChargeParameterDiscoveryRes_isUsed = true;
        struct exi_iso2_ChargeParameterDiscoveryResType *c = &a->ChargeParameterDiscoveryRes;
        bool ongoing = B.cpd_n++ < B.cpd_ongoing;
        c->EVSEProcessing = ongoing ? exi_iso2_EVSEProcessingType_Ongoing : exi_iso2_EVSEProcessingType_Finished;
        if (!ongoing) {
            schedule(c);
        }
        c->DC_EVSEChargeParameter_isUsed = true;
        c->EVSEChargeParameter_isUsed = true;
        struct exi_iso2_DC_EVSEChargeParameterType *e = &c->DC_EVSEChargeParameter;
        status(&e->DC_EVSEStatus, false);
        iso2_pv_set(&e->EVSEMaximumCurrentLimit, 200000, exi_iso2_unitSymbolType_A);
        iso2_pv_set(&e->EVSEMaximumPowerLimit, 150000000, exi_iso2_unitSymbolType_W);
        iso2_pv_set(&e->EVSEMaximumVoltageLimit, 500000, exi_iso2_unitSymbolType_V);
        iso2_pv_set(&e->EVSEMinimumCurrentLimit, 0, exi_iso2_unitSymbolType_A);
        iso2_pv_set(&e->EVSEMinimumVoltageLimit, 150000, exi_iso2_unitSymbolType_V);
        iso2_pv_set(&e->EVSEPeakCurrentRipple, 1000, exi_iso2_unitSymbolType_A);
        break;
    }
    case ISO2_MSG_CABLE_CHECK:
        a->CableCheckRes_isUsed = true;
        status(&a->CableCheckRes.DC_EVSEStatus, true);
        a->CableCheckRes.EVSEProcessing = B.cable_n++ < B.cable_ongoing ? exi_iso2_EVSEProcessingType_Ongoing
                                                                        : exi_iso2_EVSEProcessingType_Finished;
        break;
    case ISO2_MSG_PRECHARGE:
        B.pre_n++;
        a->PreChargeRes_isUsed = true;
        status(&a->PreChargeRes.DC_EVSEStatus, true);
        iso2_pv_set(&a->PreChargeRes.EVSEPresentVoltage, B.voltage_mv, exi_iso2_unitSymbolType_V);
        /* the output ramps to the asked voltage over three answers */
        B.voltage_mv += (iso2_pv_milli32(&q->PreChargeReq.EVTargetVoltage) - B.voltage_mv) / 2 + 1;
        if (B.pre_n >= 3) {
            B.voltage_mv = iso2_pv_milli32(&q->PreChargeReq.EVTargetVoltage);
        }
        break;
    case ISO2_MSG_POWER_DELIVERY: {
        const struct exi_iso2_PowerDeliveryReqType *p = &q->PowerDeliveryReq;
        B.last_pd_progress = p->ChargeProgress;
        if (B.first_pd_progress < 0) {
            B.first_pd_progress = p->ChargeProgress;
        }
        B.last_pd_tuple = p->SAScheduleTupleID;
        B.last_pd_entries = p->ChargingProfile_isUsed ? p->ChargingProfile.ProfileEntry.arrayLen : 0;
        B.last_profile_max_mw = 0;
        for (uint16_t i = 0; i < B.last_pd_entries; i++) {
            int64_t mw = iso2_pv_milli(&p->ChargingProfile.ProfileEntry.array[i].ChargingProfileEntryMaxPower);
            B.last_profile_max_mw = mw > B.last_profile_max_mw ? mw : B.last_profile_max_mw;
        }
        if (p->ChargeProgress == exi_iso2_chargeProgressType_Renegotiate) {
            B.pmax_w = 20000; /* the new schedule: the station's limit went down */
            B.tuple_id = 2;
            B.cpd_n = B.cpd_ongoing; B.cable_n = B.cable_ongoing; B.pre_n = 0;
        }
        a->PowerDeliveryRes_isUsed = true;
        a->PowerDeliveryRes.DC_EVSEStatus_isUsed = true;
        a->PowerDeliveryRes.EVSEStatus_isUsed = true;
        status(&a->PowerDeliveryRes.DC_EVSEStatus, true);
        break;
    }
    case ISO2_MSG_CURRENT_DEMAND: {
        B.cd_n++;
        B.last_cd_target_ma = iso2_pv_milli32(&q->CurrentDemandReq.EVTargetCurrent);
        assert_true(q->CurrentDemandReq.EVMaximumVoltageLimit_isUsed);
        assert_true(q->CurrentDemandReq.EVMaximumCurrentLimit_isUsed);
        B.current_ma = B.last_cd_target_ma;
        a->CurrentDemandRes_isUsed = true;
        struct exi_iso2_CurrentDemandResType *c = &a->CurrentDemandRes;
        status(&c->DC_EVSEStatus, true);
        if (B.renegotiate_after_cd != 0 && B.cd_n == B.renegotiate_after_cd && !B.renegotiation_sent) {
            c->DC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_ReNegotiation;
            B.renegotiation_sent = true;
        }
        if (B.stop_after_cd != 0 && B.cd_n >= B.stop_after_cd) {
            c->DC_EVSEStatus.EVSENotification = exi_iso2_EVSENotificationType_StopCharging;
        }
        iso2_pv_set(&c->EVSEPresentVoltage, B.voltage_mv, exi_iso2_unitSymbolType_V);
        iso2_pv_set(&c->EVSEPresentCurrent, B.current_ma, exi_iso2_unitSymbolType_A);
        memcpy(c->EVSEID.characters, "DE*ABC*E1234", 12);
        c->EVSEID.charactersLen = 12;
        c->SAScheduleTupleID = B.tuple_id;
        if (B.silent_cd) {
            return false;
        }
        break;
    }
    case ISO2_MSG_WELDING_DETECTION:
        B.weld_n++;
        B.voltage_mv /= 4;
        a->WeldingDetectionRes_isUsed = true;
        status(&a->WeldingDetectionRes.DC_EVSEStatus, true);
        iso2_pv_set(&a->WeldingDetectionRes.EVSEPresentVoltage, B.voltage_mv, exi_iso2_unitSymbolType_V);
        break;
    case ISO2_MSG_SESSION_STOP:
        B.last_stop_kind = q->SessionStopReq.ChargingSession;
        a->SessionStopRes_isUsed = true;
        break;
    default:
        fail_msg("unexpected request %d", (int)k);
    }
    if (k == B.wrong_type_msg) {
        memset(a, 0, sizeof *a);
        a->SessionStopRes_isUsed = true; /* a well-formed answer, of the wrong kind */
    }
    if (k == B.fail_msg) {
        code = B.fail_code;
    }
    /* Every response type has its ResponseCode first: set it through the decoded view. */
    a->SessionSetupRes.ResponseCode = code; /* union: same offset for every *Res */
    iso2_session_id_to_header(&s_res.V2G_Message.Header, &B.sid);
    if (k == B.wrong_id_msg) {
        s_res.V2G_Message.Header.SessionID.bytes[1] ^= 0x55;
    }
    assert_int_equal(exi_iso2_encode(&w, &s_res), HAL_OK);
    *out_len = exi_writer_len(&w);
    return true;
}

static bool over(void)
{
    enum iso2_ev_state s = iso2_ev_state(&s_ev);
    return s == ISO2_EV_DONE || s == ISO2_EV_FAILED || s == ISO2_EV_PAUSED || s == ISO2_EV_DIN_CHOSEN;
}

/* Run until the EV is over or @p until_ms; the charger answers after 5 ms. The car's
 * battery says "complete" after @p complete_after_cd CurrentDemand rounds (0: never). */
static void run(uint32_t until_ms, uint32_t complete_after_cd)
{
    for (int guard = 0; guard < 200000; guard++) {
        if (over()) {
            return;
        }
        if (complete_after_cd != 0 && B.cd_n >= complete_after_cd) {
            s_ev.model.stop = true;
        }
        size_t n = 0;
        int rc = iso2_ev_next(&s_ev, B.now, s_tx, sizeof s_tx, &n);
        if (rc == HAL_ESTATE || rc == HAL_ETIMEDOUT) {
            return;
        }
        if (rc == HAL_OK) {
            size_t rn = 0;
            if (charger_answer(s_tx, n, &rn)) {
                B.now += 5;
                if (iso2_ev_receive(&s_ev, s_rx, rn, B.now) != HAL_OK) {
                    return;
                }
            }
            continue;
        }
        assert_int_equal(rc, HAL_EAGAIN);
        uint32_t d = iso2_ev_deadline(&s_ev);
        B.now = (int32_t)(d - B.now) > 0 ? d : B.now + 1;
        if ((int32_t)(B.now - until_ms) > 0) {
            return;
        }
    }
    fail_msg("run: no progress");
}

static void ev_start(void)
{
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, B.now), HAL_OK);
}

/* ------------------------------------------------------------------ Plug & Charge */

/* A port that signs with any handle: the car's side needs no real key to be tested (the
 * SECC's checks of real signatures are tests/host/test_iso2_evse_pnc.c). */
static unsigned s_signs;
static int fake_sign(struct hal_crypto *c, uint32_t key, const uint8_t *digest, size_t digest_len, uint8_t *sig,
                     size_t sig_cap, size_t *sig_len)
{
    (void)c;
    (void)digest;
    if (key != 7u || digest_len != 32u || sig_cap < 64u) {
        return HAL_EINVAL;
    }
    memset(sig, 0x5A, 64);
    *sig_len = 64;
    s_signs++;
    return HAL_OK;
}
static const struct hal_crypto_ops s_sign_ops = {.ecdsa_sign = fake_sign};
static struct hal_crypto s_signer = {.ops = &s_sign_ops};
static const struct hal_crypto_ops s_nosign_ops = {0};
static struct hal_crypto s_nosigner = {.ops = &s_nosign_ops};
static uint8_t s_leaf[400], s_sub1[300], s_sub2[300], s_sig_buf[512];
static struct iso2_ev_contract s_contract;

static void contract_make(struct hal_crypto *crypto)
{
    memset(s_leaf, 0x30, sizeof s_leaf);
    memset(s_sub1, 0x31, sizeof s_sub1);
    memset(s_sub2, 0x32, sizeof s_sub2);
    const uint8_t *subs[2] = {s_sub1, s_sub2};
    const size_t lens[2] = {sizeof s_sub1, sizeof s_sub2};
    assert_int_equal(iso2_ev_contract_init(&s_contract, crypto, 7u, s_leaf, sizeof s_leaf, subs, lens, 2,
                                           "DEPNC123456789X", s_sig_buf, sizeof s_sig_buf),
                     HAL_OK);
}

static void ev_start_contract(void)
{
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.contract = &s_contract;
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, B.now), HAL_OK);
}

static void test_pnc_whole_session(void **state)
{
    (void)state;
    bench_init();
    B.offer_contract = true;
    B.auth_ongoing = 2; /* two Ongoing answers: the repeats go out empty */
    contract_make(&s_signer);
    s_signs = 0;
    ev_start_contract();
    run(120000, 5);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(B.selected_payment, exi_iso2_paymentOptionType_Contract);
    assert_int_equal(B.seen[ISO2_MSG_PAYMENT_DETAILS], 1);
    assert_string_equal(B.pd_emaid, "DEPNC123456789X");
    assert_int_equal(B.pd_leaf_len, sizeof s_leaf);
    assert_int_equal(B.pd_subs, 2);
    assert_int_equal(B.auth_signed, 1);
    assert_true(B.auth_challenge_ok);
    assert_int_equal(B.auth_empty, 2);
    assert_int_equal(s_signs, 1);
}

/* A car with a contract at a charger that lists ExternalPayment only pays externally. */
static void test_pnc_falls_back_to_eim(void **state)
{
    (void)state;
    bench_init();
    contract_make(&s_signer);
    ev_start_contract();
    run(120000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(B.selected_payment, exi_iso2_paymentOptionType_ExternalPayment);
    assert_int_equal(B.seen[ISO2_MSG_PAYMENT_DETAILS], 0);
    assert_int_equal(B.auth_signed, 0);
    /* and a car without a contract at a Contract-only charger gives up */
    bench_init();
    B.contract_only = true;
    ev_start();
    run(120000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "SECC offers no ExternalPayment");
}

/* The SECC refuses the chain: the car stops safely with the code as its reason; a
 * PaymentDetailsRes without a 16-byte challenge, or a port that cannot sign, end it too. */
static void test_pnc_refusals(void **state)
{
    (void)state;
    bench_init();
    B.offer_contract = true;
    B.fail_msg = ISO2_MSG_PAYMENT_DETAILS;
    B.fail_code = exi_iso2_responseCodeType_FAILED_CertificateExpired;
    contract_make(&s_signer);
    ev_start_contract();
    run(120000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "FAILED_CertificateExpired in PaymentDetailsRes");
    assert_false(iso2_ev_actions(&s_ev)->cp_c);
    assert_int_equal(B.seen[ISO2_MSG_AUTHORIZATION], 0);

    bench_init();
    B.offer_contract = true;
    B.challenge_len = 8;
    ev_start_contract();
    run(120000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "PaymentDetailsRes without a 16-byte GenChallenge");

    bench_init();
    B.offer_contract = true;
    contract_make(&s_nosigner);
    ev_start_contract();
    run(120000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "the crypto port cannot sign with the contract key");
    assert_int_equal(B.seen[ISO2_MSG_AUTHORIZATION], 0);
}

/* What the messages cannot carry is refused before a session starts. */
static void test_pnc_contract_init_refusals(void **state)
{
    (void)state;
    static uint8_t big[801];
    const uint8_t *subs[5] = {s_sub1, s_sub1, s_sub1, s_sub1, s_sub1};
    const size_t lens[5] = {300, 300, 300, 300, 300};
    const size_t big_lens[1] = {sizeof big};
    const uint8_t *big_subs[1] = {big};
    struct iso2_ev_contract c;
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, big, sizeof big, NULL, NULL, 0, "DEPNC123456789X",
                                           s_sig_buf, sizeof s_sig_buf),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, big_subs, big_lens, 1,
                                           "DEPNC123456789X", s_sig_buf, sizeof s_sig_buf),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, subs, lens, 5,
                                           "DEPNC123456789X", s_sig_buf, sizeof s_sig_buf),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, subs, lens, 4,
                                           "DEPNC123456789XYZ", s_sig_buf, sizeof s_sig_buf),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, subs, lens, 4, "",
                                           s_sig_buf, sizeof s_sig_buf),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, subs, lens, 4,
                                           "DEPNC123456789X", s_sig_buf, 100),
                     HAL_EINVAL);
    assert_int_equal(iso2_ev_contract_init(&c, &s_signer, 7, s_leaf, sizeof s_leaf, subs, lens, 4,
                                           "DEPNC123456789X", s_sig_buf, sizeof s_sig_buf),
                     HAL_OK);
}

static void test_whole_session(void **state)
{
    (void)state;
    bench_init();
    ev_start();
    run(120000, 10);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_string_equal(iso2_ev_reason(&s_ev), "EV stopped");
    assert_int_equal(B.seen[ISO2_MSG_SESSION_SETUP], 1);
    assert_int_equal(B.seen[ISO2_MSG_SERVICE_DETAIL], 0); /* not asked for: not sent */
    assert_int_equal(B.seen[ISO2_MSG_POWER_DELIVERY], 2);  /* Start, Stop */
    /* the battery reads full after the 10th answer: one more round goes out before the stop */
    assert_int_equal(B.seen[ISO2_MSG_CURRENT_DEMAND], 11);
    assert_true(B.seen[ISO2_MSG_PRECHARGE] >= 2);
    assert_true(B.seen[ISO2_MSG_WELDING_DETECTION] >= 1);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Terminate);
    /* A new session starts with 8 zero bytes; the 3-byte ID issued is followed exactly
     * (asserted on every request by the bench). */
    assert_int_equal(B.last_setup_id.len, 8);
    assert_string_equal(iso2_ev_evse(&s_ev)->evse_id, "DE*ABC*E1234");
    assert_int_equal(iso2_ev_evse(&s_ev)->tuple_id, 1);
    assert_false(iso2_ev_actions(&s_ev)->cp_c);
    assert_false(iso2_ev_actions(&s_ev)->contactors);
}

/* PowerDelivery(Start) carries a ChargingProfile no higher than PMax; CurrentDemand asks
 * no more than PMax / U. */
static void test_start_profile_and_current_follow_pmax(void **state)
{
    (void)state;
    bench_init();
    B.pmax_w = 20000;
    ev_start();
    run(30000, 0); /* stop in the charge loop: no completion */
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_CURRENT_DEMAND);
    assert_int_equal(B.last_pd_progress, exi_iso2_chargeProgressType_Start);
    assert_int_equal(B.last_pd_tuple, 1);
    assert_int_equal(B.last_pd_entries, 2);
    assert_true(B.last_profile_max_mw <= 20000000);
    assert_true(B.last_profile_max_mw > 0);
    /* 20 kW at the pre-charged 380 V: at most 52.6 A although the car wants 100 A */
    assert_true(B.last_cd_target_ma <= 52700);
    assert_true(B.last_cd_target_ma >= 52000);
}

static void test_ongoing_loops(void **state)
{
    (void)state;
    bench_init();
    B.auth_ongoing = 3;
    B.cpd_ongoing = 2;
    B.cable_ongoing = 5;
    ev_start();
    run(120000, 2);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(B.seen[ISO2_MSG_AUTHORIZATION], 4);
    assert_int_equal(B.seen[ISO2_MSG_CHARGE_PARAMETER], 3);
    assert_int_equal(B.seen[ISO2_MSG_CABLE_CHECK], 6);
}

static void test_ongoing_timeout(void **state)
{
    (void)state;
    bench_init();
    B.auth_ongoing = 100000; /* never finishes */
    ev_start();
    run(200000, 0);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "ongoing timeout");
    assert_true(B.now >= ISO2_EV_ONGOING_TIMEOUT_MS);
}

static void test_charger_renegotiation(void **state)
{
    (void)state;
    bench_init();
    B.renegotiate_after_cd = 5;
    ev_start();
    run(60000, 15);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(s_ev.renegotiations, 1);
    /* Start, Renegotiate, Start, Stop; CPD and CableCheck once more */
    assert_int_equal(B.seen[ISO2_MSG_POWER_DELIVERY], 4);
    assert_int_equal(B.seen[ISO2_MSG_CHARGE_PARAMETER], 2);
    assert_int_equal(B.seen[ISO2_MSG_CABLE_CHECK], 2);
    assert_int_equal(iso2_ev_evse(&s_ev)->tuple_id, 2);
    /* current follows the new 20 kW schedule */
    assert_true(B.last_cd_target_ma <= 52700);
}

static void test_car_renegotiation(void **state)
{
    (void)state;
    bench_init();
    ev_start();
    run(2000, 0);
    uint32_t cd = B.cd_n;
    assert_true(cd > 0);
    s_ev.model.renegotiate = true;
    run(B.now + 3000, 0);
    assert_false(s_ev.model.renegotiate); /* asked once */
    assert_int_equal(s_ev.renegotiations, 1);
    assert_int_equal(B.seen[ISO2_MSG_CHARGE_PARAMETER], 2);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_CURRENT_DEMAND);
}

static void test_pause_and_resume(void **state)
{
    (void)state;
    bench_init();
    ev_start();
    s_ev.model.pause = true;
    run(60000, 4);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_PAUSED);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Pause);
    assert_false(iso2_ev_actions(&s_ev)->cp_c);
    assert_int_equal(iso2_ev_resume(&s_ev, B.now), HAL_OK);
    assert_int_equal(iso2_ev_resume(&s_ev, B.now), HAL_ESTATE);
    /* a new TCP connection: negotiation again */
    B.negotiated = false;
    uint32_t setups = B.seen[ISO2_MSG_SESSION_SETUP];
    memset(B.seen, 0, sizeof B.seen);
    B.cd_n = 0;
    B.pre_n = 0;
    B.voltage_mv = 0;
    s_ev.model.stop = false;
    run(B.now + 60000, 3);
    assert_int_equal(setups, 1);
    assert_int_equal(B.seen[ISO2_MSG_SESSION_SETUP], 1);
    assert_true(B.old_session_joined);                 /* the old ID went out */
    assert_true(iso2_session_id_equal(&B.last_setup_id, &B.sid));
    assert_true(iso2_ev_evse(&s_ev)->resumed);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Terminate);
    assert_int_equal(s_ev.resumes, 1);
}

static void test_resume_needs_pause(void **state)
{
    (void)state;
    bench_init();
    ev_start();
    assert_int_equal(iso2_ev_resume(&s_ev, 0), HAL_ESTATE);
}

static void test_failed_codes_stop_with_reason(void **state)
{
    (void)state;
    static const struct {
        enum iso2_msg msg;
        uint8_t code;
        const char *reason;
    } t[] = {
        {ISO2_MSG_POWER_DELIVERY, exi_iso2_responseCodeType_FAILED_TariffSelectionInvalid,
         "FAILED_TariffSelectionInvalid in PowerDeliveryRes"},
        {ISO2_MSG_POWER_DELIVERY, exi_iso2_responseCodeType_FAILED_ChargingProfileInvalid,
         "FAILED_ChargingProfileInvalid in PowerDeliveryRes"},
        {ISO2_MSG_AUTHORIZATION, exi_iso2_responseCodeType_FAILED, "FAILED in AuthorizationRes"},
        {ISO2_MSG_CABLE_CHECK, exi_iso2_responseCodeType_FAILED_SequenceError,
         "FAILED_SequenceError in CableCheckRes"},
        {ISO2_MSG_SESSION_SETUP, exi_iso2_responseCodeType_FAILED, "FAILED in SessionSetupRes"},
        {ISO2_MSG_CURRENT_DEMAND, exi_iso2_responseCodeType_FAILED_UnknownSession,
         "FAILED_UnknownSession in CurrentDemandRes"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bench_init();
        B.fail_msg = t[i].msg;
        B.fail_code = t[i].code;
        ev_start();
        run(60000, 5);
        assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
        assert_string_equal(iso2_ev_reason(&s_ev), t[i].reason);
        assert_false(iso2_ev_actions(&s_ev)->cp_c);
        assert_false(iso2_ev_actions(&s_ev)->contactors);
        assert_int_equal(B.seen[ISO2_MSG_SESSION_STOP], 0);
    }
}

static void test_wrong_session_id(void **state)
{
    (void)state;
    bench_init();
    B.wrong_id_msg = ISO2_MSG_PRECHARGE;
    ev_start();
    run(60000, 5);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "SessionID changed");
    assert_int_equal(B.seen[ISO2_MSG_POWER_DELIVERY], 0);
}

static void test_wrong_response_type(void **state)
{
    (void)state;
    bench_init();
    B.wrong_type_msg = ISO2_MSG_CABLE_CHECK;
    ev_start();
    run(60000, 5);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "unexpected response");
    /* and garbage is refused too */
    bench_init();
    ev_start();
    size_t n = 0;
    assert_int_equal(iso2_ev_next(&s_ev, 0, s_tx, sizeof s_tx, &n), HAL_OK);
    static const uint8_t junk[] = {0x80, 0xFF, 0xFF};
    assert_int_equal(iso2_ev_receive(&s_ev, junk, sizeof junk, 5), HAL_EPROTO);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_int_equal(iso2_ev_receive(&s_ev, junk, sizeof junk, 6), HAL_ESTATE);
}

static void test_evse_stop(void **state)
{
    (void)state;
    bench_init();
    B.stop_after_cd = 4;
    ev_start();
    s_ev.model.pause = true; /* the EVSE's stop is not the car's pause */
    run(60000, 0);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_string_equal(iso2_ev_reason(&s_ev), "EVSE asked to stop");
    assert_int_equal(B.cd_n, 4);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Terminate);
}

static void test_cd_response_timeout(void **state)
{
    (void)state;
    bench_init();
    B.silent_cd = true;
    ev_start();
    run(60000, 0);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "response timeout");
    assert_int_equal(B.cd_n, 1);
}

static void test_din_chosen_and_priorities(void **state)
{
    (void)state;
    bench_init();
    B.protocols[0] = APPHAND_NS_DIN;
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    iso2_ev_offer_din_too(&cfg);
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(5000, 0);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DIN_CHOSEN);
    assert_string_equal(s_ev.cfg.offers[iso2_ev_chosen_offer(&s_ev)].ns, APPHAND_NS_DIN);
    /* the car ranks ISO-2 first: an SECC speaking both takes it */
    bench_init();
    B.protocols[0] = APPHAND_NS_DIN;
    B.protocols[1] = APPHAND_NS_ISO2;
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(3000, 0);
    assert_string_equal(s_ev.cfg.offers[iso2_ev_chosen_offer(&s_ev)].ns, APPHAND_NS_ISO2);
    assert_true(B.seen[ISO2_MSG_SESSION_SETUP] == 1);
    /* a DIN-only SECC and an ISO-2-only car: no negotiation */
    bench_init();
    B.protocols[0] = APPHAND_NS_DIN;
    ev_start();
    run(3000, 0);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_FAILED);
    assert_string_equal(iso2_ev_reason(&s_ev), "no protocol negotiated");
}

static void test_service_detail_when_asked(void **state)
{
    (void)state;
    bench_init();
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.detail_service_id = 61000;
    cfg.setup_id.len = 1; /* Josev's one zero byte */
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_OK);
    run(60000, 2);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_DONE);
    assert_int_equal(B.seen[ISO2_MSG_SERVICE_DETAIL], 1);
    assert_int_equal(B.detail_id, 61000);
    assert_int_equal(B.selected_n, 2);
    assert_int_equal(B.selected_param_set, 31000);
    assert_int_equal(B.last_setup_id.len, 1);
}

static void test_start_rejects_bad_config(void **state)
{
    (void)state;
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.evccid_len = 8; /* ISO-2 allows 6 */
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    iso2_ev_default_config(&cfg);
    cfg.offers[0] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 1, 1};
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_EINVAL); /* no ISO-2 offered */
    iso2_ev_default_config(&cfg);
    cfg.n_offers = 0;
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, 0), HAL_EINVAL);
    assert_int_equal(iso2_ev_start(NULL, &cfg, 0), HAL_EINVAL);
}

static void test_pv_helpers(void **state)
{
    (void)state;
    struct exi_iso2_PhysicalValueType pv;
    iso2_pv_set(&pv, 371800, exi_iso2_unitSymbolType_V);
    assert_int_equal(iso2_pv_milli32(&pv), 371800);
    iso2_pv_set(&pv, 150000000, exi_iso2_unitSymbolType_W);
    assert_int_equal(iso2_pv_milli(&pv), 150000000);
    assert_int_equal(pv.Unit, exi_iso2_unitSymbolType_W);
    assert_string_equal(iso2_response_code_name(exi_iso2_responseCodeType_FAILED_CertificateRevoked),
                        "FAILED_CertificateRevoked");
    assert_string_equal(iso2_response_code_name(200), "?");
    assert_true(iso2_response_code_ok(exi_iso2_responseCodeType_OK_OldSessionJoined));
    assert_false(iso2_response_code_ok(exi_iso2_responseCodeType_FAILED));
    assert_string_equal(iso2_ev_state_name(ISO2_EV_PAUSED), "paused");
    assert_string_equal(iso2_msg_name(ISO2_MSG_CHARGE_PARAMETER), "ChargeParameterDiscovery");
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
    uint32_t connections;  /* supportedAppProtocolReq seen */
    bool saw_paused;
};
static struct rig R;

/* The charger: the EVSE link plus the scripted SECC answering each whole message. */
static void rig_step(void)
{
    evse_link_step(&R.evse, B.now);
    uint16_t type;
    const uint8_t *p;
    uint32_t len;
    while (evse_link_recv(&R.evse, &type, &p, &len) == HAL_OK) {
        size_t rn = 0;
        if (!B.negotiated) {
            R.connections++;
        }
        if (charger_answer(p, len, &rn)) {
            (void)evse_link_send(&R.evse, V2GTP_PT_EXI, s_rx, (uint32_t)rn);
        }
        evse_link_consume(&R.evse, B.now);
    }
    (void)sched_run(&R.s_ev, B.now, true);
    if (ev_model_phase(&R.car) == EV_MODEL_PAUSED) {
        R.saw_paused = true;
        B.negotiated = false; /* the next connection negotiates again */
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
    assert_int_equal(evse_link_init(&R.evse, &ecfg,
                                    &(struct evse_link_ports){.eth = &R.eth_evse.base,
                                                              .net = &R.net_evse.base,
                                                              .rng = &R.rng_evse.base,
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
                                  .log = &R.log.base};
    assert_int_equal(ev_model_init(&R.car, &mc, &ports, &R.s_ev, NULL, &R.log.base, B.now), HAL_OK);
    assert_int_equal(ev_model_plug(&R.car, B.now), HAL_OK);
}

static void rig_run(uint32_t max_ms)
{
    for (uint32_t i = 0; i < max_ms && ev_model_phase(&R.car) != EV_MODEL_DONE; i++) {
        rig_step();
    }
}

static void test_model_iso2_session(void **state)
{
    (void)state;
    rig_start("iso2", NULL);
    rig_run(60000);
    assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_true(ev_model_ok(&R.car));
    assert_string_equal(ev_model_protocol_name(&R.car), "ISO 15118-2");
    assert_int_equal(R.connections, 1);
    assert_true(B.cd_n >= 10);                   /* 3 s of CurrentDemand every 100 ms */
    assert_true(ev_model_battery(&R.car)->charged_mwh > 0); /* it took what the charger said it gave */
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Terminate);
    uint32_t reneg = 99, resumes = 99;
    ev_model_iso2_counts(&R.car, &reneg, &resumes);
    assert_int_equal(reneg, 0);
    assert_int_equal(resumes, 0);
}

/* The count evsim reports after a charger-asked renegotiation on a real transport. */
static void test_model_counts_renegotiation(void **state)
{
    (void)state;
    rig_start("iso2", NULL);
    B.renegotiate_after_cd = 5;
    rig_run(60000);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_true(B.renegotiation_sent);
    uint32_t reneg = 0, resumes = 99;
    ev_model_iso2_counts(&R.car, &reneg, &resumes);
    assert_int_equal(reneg, 1);
    assert_int_equal(resumes, 0);
}

static void tune_pause(struct ev_model_config *mc)
{
    mc->pause_after_ms = 1500;
    mc->resume_after_ms = 1000;
}

static void test_model_pause_and_resume(void **state)
{
    (void)state;
    rig_start("iso2-pause", tune_pause);
    rig_run(120000);
    assert_int_equal(ev_model_phase(&R.car), EV_MODEL_DONE);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_true(R.saw_paused);
    assert_int_equal(R.connections, 2);          /* a new connection for the resume */
    assert_true(B.old_session_joined);           /* with the old SessionID */
    assert_int_equal(R.car.iso2.resumes, 1);
    uint32_t reneg = 99, resumes = 99;
    ev_model_iso2_counts(&R.car, &reneg, &resumes); /* what evsim prints per car */
    assert_int_equal(resumes, 1);
    assert_int_equal(reneg, 0);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Terminate);
}

static void test_model_auto_takes_iso2(void **state)
{
    (void)state;
    rig_start("iso2-din", NULL); /* the script speaks ISO-2 only: it is chosen */
    rig_run(60000);
    assert_string_equal(ev_model_result(&R.car), "ok");
    assert_string_equal(ev_model_protocol_name(&R.car), "ISO 15118-2");
}

static void test_model_protocol_parse(void **state)
{
    (void)state;
    struct ev_model_config mc;
    assert_int_equal(ev_model_profile_parse("standard", &mc), HAL_OK);
    assert_int_equal(mc.protocol, EV_MODEL_PROTO_DIN); /* the default car stays DIN */
    assert_int_equal(ev_model_protocol_parse("auto", &mc), HAL_OK);
    assert_int_equal(mc.protocol, EV_MODEL_PROTO_AUTO);
    assert_int_equal(ev_model_protocol_parse("iso21", &mc), HAL_EINVAL); /* iso20 is a car since issue 16 */
    assert_int_equal(ev_model_profile_parse("iso2-pause", &mc), HAL_OK);
    assert_int_equal(mc.protocol, EV_MODEL_PROTO_ISO2);
    assert_true(mc.pause_after_ms > 0);
}

/* The hand-over: after an ISO-2-first car's negotiation chose DIN, the DIN machine starts
 * at SessionSetup (no second supportedAppProtocolReq on the same connection). */
static void test_din_handover_starts_at_session_setup(void **state)
{
    (void)state;
    static struct din_ev din;
    static struct exi_din_document dd;
    struct din_ev_config cfg;
    din_ev_default_config(&cfg);
    assert_int_equal(din_ev_start_negotiated(&din, &cfg, 1, 100), HAL_OK);
    assert_int_equal(din_ev_state(&din), DIN_EV_SESSION_SETUP);
    size_t n = 0;
    assert_int_equal(din_ev_next(&din, 100, s_tx, sizeof s_tx, &n), HAL_EAGAIN); /* delay_ms first */
    assert_int_equal(din_ev_next(&din, 100 + cfg.delay_ms, s_tx, sizeof s_tx, &n), HAL_OK);
    struct exi_reader r;
    exi_reader_init(&r, s_tx, n);
    assert_int_equal(exi_din_decode(&r, &dd), HAL_OK);
    assert_int_equal(din_request_kind(&dd), DIN_MSG_SESSION_SETUP);
    cfg.n_offers = 0;
    assert_int_equal(din_ev_start_negotiated(&din, &cfg, 1, 0), HAL_EINVAL);
}

/* The stimuli a car can produce on purpose for the SECC's bad-input tests. */
static void start_misbehaving(enum iso2_ev_misbehave b, bool din_too)
{
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.misbehave = b;
    if (din_too) {
        iso2_ev_offer_din_too(&cfg);
    }
    assert_int_equal(iso2_ev_start(&s_ev, &cfg, B.now), HAL_OK);
}

static void test_misbehave_stimuli(void **state)
{
    (void)state;
    bench_init();
    start_misbehaving(ISO2_EV_MISBEHAVE_PAUSE_IN_CABLE_CHECK, false);
    run(30000, 0);
    assert_int_equal(B.seen[ISO2_MSG_CABLE_CHECK], 0);
    assert_int_equal(B.seen[ISO2_MSG_SESSION_STOP], 1);
    assert_int_equal(B.last_stop_kind, exi_iso2_chargingSessionType_Pause);

    bench_init();
    start_misbehaving(ISO2_EV_MISBEHAVE_CD_BEFORE_POWER_DELIVERY, false);
    run(30000, 3);
    assert_true(B.cd_n >= 3);
    assert_int_equal(B.first_pd_progress, exi_iso2_chargeProgressType_Stop); /* never a Start */

    bench_init();
    start_misbehaving(ISO2_EV_MISBEHAVE_UNKNOWN_TUPLE, false);
    run(20000, 0);
    assert_int_equal(B.last_pd_progress, exi_iso2_chargeProgressType_Start);
    assert_int_not_equal(B.last_pd_tuple, 1);
    assert_int_not_equal(B.last_pd_tuple, 0);

    bench_init();
    B.pmax_w = 30000;
    start_misbehaving(ISO2_EV_MISBEHAVE_PROFILE_ABOVE_PMAX, false);
    run(20000, 0);
    assert_int_equal(B.last_profile_max_mw, 60000000);

    bench_init();
    start_misbehaving(ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID, false);
    s_ev.model.pause = true;
    run(60000, 3);
    assert_int_equal(iso2_ev_state(&s_ev), ISO2_EV_PAUSED);
    assert_int_equal(iso2_ev_resume(&s_ev, B.now), HAL_OK);
    B.negotiated = false;
    run(B.now + 3000, 0);
    assert_int_equal(B.last_setup_id.len, B.sid.len);
    assert_false(iso2_session_id_equal(&B.last_setup_id, &B.sid));
    assert_false(B.old_session_joined);

    bench_init();
    B.protocols[0] = APPHAND_NS_DIN;
    start_misbehaving(ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN, true);
    run(2000, 0);
    assert_int_equal(B.seen[ISO2_MSG_SESSION_SETUP], 1); /* ISO-2 bytes on a DIN session */
    assert_string_equal(s_ev.cfg.offers[iso2_ev_chosen_offer(&s_ev)].ns, APPHAND_NS_DIN);

    enum iso2_ev_misbehave b;
    for (unsigned i = 0; i < ISO2_EV_MISBEHAVE_COUNT; i++) {
        assert_int_equal(iso2_ev_misbehave_parse(iso2_ev_misbehave_name((enum iso2_ev_misbehave)i), &b), HAL_OK);
        assert_int_equal(b, i);
    }
    assert_int_equal(iso2_ev_misbehave_parse("sneeze", &b), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_session),
        cmocka_unit_test(test_pnc_whole_session),
        cmocka_unit_test(test_pnc_falls_back_to_eim),
        cmocka_unit_test(test_pnc_refusals),
        cmocka_unit_test(test_pnc_contract_init_refusals),
        cmocka_unit_test(test_start_profile_and_current_follow_pmax),
        cmocka_unit_test(test_ongoing_loops),
        cmocka_unit_test(test_ongoing_timeout),
        cmocka_unit_test(test_charger_renegotiation),
        cmocka_unit_test(test_car_renegotiation),
        cmocka_unit_test(test_pause_and_resume),
        cmocka_unit_test(test_resume_needs_pause),
        cmocka_unit_test(test_failed_codes_stop_with_reason),
        cmocka_unit_test(test_wrong_session_id),
        cmocka_unit_test(test_wrong_response_type),
        cmocka_unit_test(test_evse_stop),
        cmocka_unit_test(test_cd_response_timeout),
        cmocka_unit_test(test_din_chosen_and_priorities),
        cmocka_unit_test(test_service_detail_when_asked),
        cmocka_unit_test(test_start_rejects_bad_config),
        cmocka_unit_test(test_pv_helpers),
        cmocka_unit_test(test_model_iso2_session),
        cmocka_unit_test(test_model_counts_renegotiation),
        cmocka_unit_test(test_model_pause_and_resume),
        cmocka_unit_test(test_model_auto_takes_iso2),
        cmocka_unit_test(test_model_protocol_parse),
        cmocka_unit_test(test_din_handover_starts_at_session_setup),
        cmocka_unit_test(test_misbehave_stimuli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
