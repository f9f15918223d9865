/* Unit tests of the charging-session manager with a DIN 70121 car: the whole session,
 * every stop path, device errors mapped to stop reasons, the safety order (power off,
 * contactors open, unlock) in each, and the manager's timeouts.
 *
 * The car is the real EV machine (protocols/din/din_ev) talking to the charger through a
 * fake V2GTP transport; the power path is fake_power (every command journaled, every
 * breach of the safety order flagged at the instant of the command); the power stage's
 * voltage, the isolation monitor and the transport are small fakes in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "charger.h"
#include "din/din_ev.h"
#include "exi/exi_din.h"
#include "exi/exi_stream.h"
#include "iso2/iso2_evse.h"
#include "fake_log.h"
#include "fake_nvs.h"
#include "fake_pilot.h"
#include "fake_power.h"
#include "v2gtp/v2gtp.h"

/* ------------------------------------------------------------------ fakes */

struct tlink {
    struct charger_transport base;
    enum charger_transport_state st;
    uint8_t rx[2048];
    uint32_t rxlen;
    bool rx_ready;
    uint8_t tx[2048];
    uint32_t txlen;
    bool tx_ready;
    int restarts;
};

static enum charger_transport_state tl_state(struct charger_transport *b)
{
    return ((struct tlink *)b)->st;
}
static int tl_recv(struct charger_transport *b, uint16_t *type, const uint8_t **p, uint32_t *len)
{
    struct tlink *l = (struct tlink *)b;
    if (!l->rx_ready) {
        return HAL_EAGAIN;
    }
    *type = V2GTP_PT_EXI;
    *p = l->rx;
    *len = l->rxlen;
    return HAL_OK;
}
static void tl_consume(struct charger_transport *b, uint32_t now)
{
    (void)now;
    ((struct tlink *)b)->rx_ready = false;
}
static int tl_send(struct charger_transport *b, uint16_t type, const uint8_t *p, uint32_t len, uint32_t now)
{
    struct tlink *l = (struct tlink *)b;
    (void)now;
    assert_int_equal(type, V2GTP_PT_EXI);
    assert_true(len <= sizeof l->tx);
    memcpy(l->tx, p, len);
    l->txlen = len;
    l->tx_ready = true;
    return HAL_OK;
}
static int tl_restart(struct charger_transport *b, uint32_t now)
{
    struct tlink *l = (struct tlink *)b;
    (void)now;
    l->restarts++;
    l->st = CHARGER_TRANSPORT_MATCHING;
    l->rx_ready = l->tx_ready = false;
    return HAL_OK;
}
static const char *tl_reason(struct charger_transport *b)
{
    (void)b;
    return "test";
}
static const struct charger_transport_ops s_tl_ops = {tl_state, tl_recv, tl_consume, tl_send, tl_restart,
                                                 tl_reason, NULL};

/* Power stage: fake_power for modes and the journal, plus an output voltage and a
 * current that follow the setpoint and the car's contactors; optional errors. */
struct tpsu {
    struct psu base;
    struct fake_power *fp;
    uint32_t set_mv, set_ma;
    int32_t out_mv, out_ma;
    bool ev_closed;
    int32_t battery_mv;
    struct psu_error errs[4];
    size_t nerr;
    int32_t force_mv; /**< > 0: the output reads this (over-voltage test) */
    int32_t stuck_ma; /**< > 0: the current read while the stage winds down slowly */
    uint32_t age_ms;  /**< age of the voltage reading the stage reports */
    uint32_t max_set_mv; /**< highest voltage setpoint ever commanded */
    struct psu_session told;       /**< last psu_set_session() */
    enum psu_phase phases[8];      /**< phase changes told, in order */
    size_t nphases;
    uint32_t session_calls;
    bool told_closed_while_charging;
    uint8_t alarms_seen;
};
static int tp_mode(struct psu *b, enum psu_mode m, uint32_t now)
{
    return psu_set_mode(&((struct tpsu *)b)->fp->psu, m, now);
}
static int tp_export(struct psu *b, uint32_t mv, uint32_t ma, uint32_t now)
{
    (void)now;
    struct tpsu *p = (struct tpsu *)b;
    p->set_mv = mv;
    p->set_ma = ma;
    p->max_set_mv = mv > p->max_set_mv ? mv : p->max_set_mv;
    return HAL_OK;
}
static int tp_read(struct psu *b, struct psu_output *o, uint32_t now)
{
    (void)now;
    struct tpsu *p = (struct tpsu *)b;
    o->voltage_mv = p->force_mv > 0 ? p->force_mv : p->out_mv;
    o->current_ma = p->stuck_ma > 0 ? p->stuck_ma : p->out_ma;
    o->valid = true;
    o->age_ms = p->age_ms;
    return HAL_OK;
}
static int tp_caps(struct psu *b, struct psu_capabilities *c)
{
    (void)b;
    memset(c, 0, sizeof *c);
    c->max_export_voltage_mv = 920000;
    c->min_export_voltage_mv = 50000;
    c->max_export_current_ma = 250000;
    c->min_export_current_ma = 1000;
    c->max_export_power_w = 60000;
    return HAL_OK;
}
static int tp_errors(struct psu *b, struct psu_error *out, size_t max, size_t *n)
{
    struct tpsu *p = (struct tpsu *)b;
    *n = p->nerr < max ? p->nerr : max;
    memcpy(out, p->errs, *n * sizeof *out);
    return HAL_OK;
}
static int tp_session(struct psu *b, const struct psu_session *ss, uint32_t now)
{
    (void)now;
    struct tpsu *p = (struct tpsu *)b;
    if ((p->session_calls == 0 || ss->phase != p->told.phase) && p->nphases < 8) {
        p->phases[p->nphases++] = ss->phase;
    }
    if (ss->phase == PSU_PHASE_CHARGING && ss->contactor_closed) {
        p->told_closed_while_charging = true;
    }
    p->alarms_seen |= ss->alarms;
    p->told = *ss;
    p->session_calls++;
    return HAL_OK;
}
static const struct psu_ops s_tp_ops = {.set_mode = tp_mode, .set_export = tp_export, .read_output = tp_read,
                                        .get_capabilities = tp_caps, .get_errors = tp_errors,
                                        .set_session = tp_session};

static void tp_tick(struct tpsu *p)
{
    bool on = p->fp->mode == PSU_MODE_EXPORT && p->fp->fb_pos && p->fp->fb_neg;
    if (on) {
        p->out_mv = (int32_t)p->set_mv;
        p->out_ma = p->ev_closed ? (int32_t)p->set_ma : 0;
    } else {
        p->out_ma = 0;
        p->out_mv = p->out_mv > 5000 ? p->out_mv - 5000 : 0; /* discharge 5 V/ms */
    }
    /* fake_power's own current drives its breach check at contactor opening. */
    p->fp->current_ma = p->out_ma;
}

/* Isolation monitor. */
struct timd {
    struct isolation base;
    uint32_t now, r_ohm;
    bool measuring, selftest_fail, device_fault;
    bool ok_but_invalid; /**< reads answer HAL_OK with fresh values whose status is INVALID */
    enum isolation_test test;
    uint32_t test_end, next_ms, seq;
    struct isolation_measurement last;
};
static int ti_start(struct isolation *b, uint32_t now)
{
    (void)now;
    ((struct timd *)b)->measuring = true;
    return HAL_OK;
}
static int ti_stop(struct isolation *b, uint32_t now)
{
    (void)now;
    ((struct timd *)b)->measuring = false;
    return HAL_OK;
}
static int ti_selftest(struct isolation *b, uint32_t v, uint32_t now)
{
    (void)now;
    struct timd *d = (struct timd *)b;
    (void)v;
    d->test = ISOLATION_TEST_RUNNING;
    d->test_end = d->now + 500u;
    return HAL_OK;
}
static enum isolation_test ti_result(struct isolation *b)
{
    struct timd *d = (struct timd *)b;
    if (d->test == ISOLATION_TEST_RUNNING && d->now >= d->test_end) {
        d->test = d->selftest_fail ? ISOLATION_TEST_FAILED : ISOLATION_TEST_PASSED;
    }
    return d->test;
}
static int ti_read(struct isolation *b, struct isolation_measurement *m, uint32_t now)
{
    (void)now;
    struct timd *d = (struct timd *)b;
    if (!d->measuring || d->device_fault || d->test == ISOLATION_TEST_RUNNING) {
        memset(m, 0, sizeof *m);
        return HAL_EAGAIN;
    }
    if (d->now >= d->next_ms) {
        d->next_ms = d->now + 100u;
        d->last.valid = true;
        d->last.resistance_ohm = d->r_ohm;
        d->last.status = d->r_ohm > 500000u ? ISOLATION_VALID : d->r_ohm > 100000u ? ISOLATION_WARNING
                                                                                   : ISOLATION_FAULT;
        d->last.seq = ++d->seq;
        d->last.at_ms = d->now;
        if (d->ok_but_invalid) {
            d->last.status = ISOLATION_INVALID;
        }
    }
    if (d->ok_but_invalid) {
        *m = d->last;
        return HAL_OK;
    }
    *m = d->last;
    return d->last.valid ? HAL_OK : HAL_EAGAIN;
}
static int ti_errors(struct isolation *b, struct isolation_error *out, size_t max, size_t *n)
{
    struct timd *d = (struct timd *)b;
    *n = 0;
    if (d->device_fault && max > 0) {
        out[0].type = ISOLATION_ERR_DEVICE_FAULT;
        out[0].severity = ISOLATION_SEV_HIGH;
        out[0].vendor_code = 1;
        *n = 1;
    }
    return HAL_OK;
}
static const struct isolation_ops s_ti_ops = {ti_start, ti_stop, ti_selftest, ti_result, ti_read, ti_errors};

/* Random source: a counter (never all zero). */
struct trng {
    struct hal_rng base;
    uint8_t n;
};
static int tr_fill(struct hal_rng *b, uint8_t *buf, size_t len)
{
    struct trng *r = (struct trng *)b;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(++r->n | 1u);
    }
    return HAL_OK;
}
static const struct hal_rng_ops s_tr_ops = {tr_fill};

/* Over-voltage monitor: reads the stage's true output (not what the stage reports), or
 * what the test forces; its readings age when the test freezes it. */
struct tovm {
    struct ovm base;
    struct tpsu *psu;
    uint32_t now;
    int32_t force_mv;   /**< > 0: reads this */
    bool frozen;        /**< keeps its last reading (a dead device) */
    uint32_t at_ms;
    int32_t last_mv;
    uint32_t armed_mv;
    int arms;
    bool trip;          /**< the hardware trip input fires (until re-armed) */
};
static int to_read(struct ovm *b, struct ovm_reading *out)
{
    struct tovm *m = (struct tovm *)b;
    if (!m->frozen) {
        m->last_mv = m->force_mv > 0 ? m->force_mv : m->psu->out_mv;
        m->at_ms = m->now;
    }
    out->valid = true;
    out->voltage_mv = m->last_mv;
    out->at_ms = m->at_ms;
    out->tripped = m->trip;
    return HAL_OK;
}
static int to_arm(struct ovm *b, uint32_t limit_mv)
{
    struct tovm *m = (struct tovm *)b;
    m->armed_mv = limit_mv;
    m->arms++;
    m->trip = false;
    return HAL_OK;
}
static const struct ovm_ops s_to_ops = {.read = to_read, .arm = to_arm};

/* Meter: an unsigned-record meter whose start and stop are acknowledged 200 ms after they
 * were asked (as a Modbus meter does), with a live import that grows while charging. */
struct tmeter {
    struct meter base;
    const uint32_t *now;
    int64_t import_wh;
    bool pending;
    uint32_t due_ms;
    uint32_t starts, stops;
    uint32_t ack_ms;              /* how late it acknowledges (0: 200 ms) */
    char id_data[24];             /* the identification of the last start ("" = none) */
    char txid[40];                /* the transaction id of the last start */
};
static int tm_live(struct meter *b, struct meter_live *out)
{
    struct tmeter *m = (struct tmeter *)b;
    memset(out, 0, sizeof *out);
    out->import_wh = m->import_wh;
    out->at_ms = *m->now;
    return HAL_OK;
}
static int tm_job(struct tmeter *m)
{
    if (m->pending) {
        return HAL_EBUSY;
    }
    m->pending = true;
    m->due_ms = *m->now + (m->ack_ms != 0 ? m->ack_ms : 200u);
    return HAL_OK;
}
static int tm_start(struct meter *b, const struct meter_tx_req *req, uint32_t now)
{
    (void)now;
    struct tmeter *m = (struct tmeter *)b;
    snprintf(m->id_data, sizeof m->id_data, "%s", req->id_data != NULL ? req->id_data : "");
    snprintf(m->txid, sizeof m->txid, "%s", req->txid);
    ((struct tmeter *)b)->starts++;
    return tm_job((struct tmeter *)b);
}
static int tm_stop(struct meter *b, const char *txid, uint32_t now)
{
    (void)now;
    (void)txid;
    ((struct tmeter *)b)->stops++;
    return tm_job((struct tmeter *)b);
}
static int tm_result(struct meter *b, struct meter_done *out)
{
    struct tmeter *m = (struct tmeter *)b;
    if (!m->pending || *m->now < m->due_ms) {
        return HAL_EAGAIN;
    }
    m->pending = false;
    memset(out, 0, sizeof *out);
    out->status = HAL_OK;
    return HAL_OK;
}
static int tm_pubkey(struct meter *b, uint8_t *pub, size_t cap, size_t *len, enum hal_crypto_curve *curve)
{
    /* A P-256 point 04 01 02 ... 40: the key this meter reports. */
    (void)b;
    if (cap < 65u) {
        return HAL_EOVERFLOW;
    }
    pub[0] = 0x04;
    for (unsigned i = 1; i < 65u; i++) {
        pub[i] = (uint8_t)i;
    }
    *len = 65u;
    *curve = HAL_CRYPTO_SECP256R1;
    return HAL_OK;
}
static int tm_status(struct meter *b, uint32_t *dev)
{
    (void)b;
    *dev = 0;
    return HAL_OK;
}
static const struct meter_ops s_tm_ops = {.live = tm_live, .start = tm_start, .stop = tm_stop,
                                          .result = tm_result, .pubkey = tm_pubkey,
                                          .status = tm_status};

/* ------------------------------------------------------------------ proximity */

/* A pilot with PP: the fake pilot for CP, a coded 220 Ohm while the plug is in (open
 * otherwise), or what the test forces. */
struct tpp {
    struct hal_pilot base;
    struct fake_pilot *fp;
    uint32_t force_ohms; /**< 0 = follow the plug */
};
static int tpp_set_duty(struct hal_pilot *b, uint16_t duty)
{
    struct tpp *t = (struct tpp *)b;
    return hal_pilot_set_duty(&t->fp->base, duty);
}
static int tpp_read(struct hal_pilot *b, struct hal_pilot_sample *s)
{
    struct tpp *t = (struct tpp *)b;
    return hal_pilot_read(&t->fp->base, s);
}
static int tpp_pp(struct hal_pilot *b, uint32_t *ohms)
{
    struct tpp *t = (struct tpp *)b;
    *ohms = t->force_ohms != 0 ? t->force_ohms : t->fp->ev.plugged ? 220u : UINT32_MAX;
    return HAL_OK;
}
static const struct hal_pilot_ops s_tpp_ops = {.set_duty = tpp_set_duty, .read = tpp_read, .read_proximity = tpp_pp};
#define TPP_SHORT 10u /* 10 Ohm: shorted to PE */

/* ------------------------------------------------------------------ a scripted ISO-2 car
 * The DIN car above is the real EV machine; for ISO 15118-2 (issue 14) the EV side is
 * another helper's work, so this car is a script: offer ISO-2 first, walk the DC EIM
 * sequence, close S2 for the cable check, close its contactors from PowerDelivery(Start)
 * to (Stop). Enough to show the charger runs an ISO-2 session through hlc unchanged. */

enum icar_step {
    ICAR_HANDSHAKE, ICAR_SETUP, ICAR_DISCOVERY, ICAR_PAYMENT, ICAR_AUTH, ICAR_CPD, ICAR_CABLE,
    ICAR_PRECHARGE, ICAR_START, ICAR_DEMAND, ICAR_STOP_POWER, ICAR_WELDING, ICAR_SESSION_STOP,
    ICAR_RENEGOTIATE, ICAR_DONE, ICAR_FAILED
};

struct icar {
    enum icar_step step;
    bool waiting;            /**< a request is out */
    bool cp_c, closed;
    bool stop;               /**< the test asks the car to end the session */
    bool pause;              /**< ... with SessionStop(Pause) */
    bool demand_early;       /**< bad input: CurrentDemand right after the pre-charge */
    bool follow_renegotiation; /**< answer EVSENotification ReNegotiation with PowerDelivery(Renegotiate) */
    int renegotiations;
    int32_t pmax_w;          /**< PMax of the last schedule offered */
    uint32_t next_ms;
    uint8_t sid[8];
    uint8_t last_code;
    int32_t present_mv;
};
static struct icar s_icar;
static bool s_rig_iso2; /* the next rig_setup offers iso2,din and the car is s_icar */
static struct exi_iso2_document s_iq, s_ir;
static struct exi_apphand_document s_iaq, s_iar;

static void icar_pv(struct exi_iso2_PhysicalValueType *p, int16_t v, uint8_t unit)
{
    p->Value = v;
    p->Multiplier = 0;
    p->Unit = unit;
}

static size_t icar_request(struct icar *k, uint8_t *buf, size_t cap)
{
    struct exi_writer w;
    exi_writer_init(&w, buf, cap);
    if (k->step == ICAR_HANDSHAKE) {
        const struct apphand_offer o[2] = {{APPHAND_NS_ISO2, 2, 0, 1, 1}, {APPHAND_NS_DIN, 2, 0, 2, 2}};
        assert_int_equal(apphand_offer_fill(&s_iaq, o, 2), HAL_OK);
        assert_int_equal(exi_apphand_encode(&w, &s_iaq), HAL_OK);
        return exi_writer_len(&w);
    }
    memset(&s_iq, 0, sizeof s_iq);
    s_iq.V2G_Message_isUsed = true;
    memcpy(s_iq.V2G_Message.Header.SessionID.bytes, k->sid, 8);
    s_iq.V2G_Message.Header.SessionID.bytesLen = 8;
    struct exi_iso2_BodyType *b = &s_iq.V2G_Message.Body;
    struct exi_iso2_DC_EVStatusType ev = {.EVReady = true, .EVRESSSOC = 30};
    switch (k->step) {
    case ICAR_SETUP:
        b->SessionSetupReq_isUsed = true;
        b->SessionSetupReq.EVCCID.bytesLen = 6;
        b->SessionSetupReq.EVCCID.bytes[5] = 0x2A;
        break;
    case ICAR_DISCOVERY: b->ServiceDiscoveryReq_isUsed = true; break;
    case ICAR_PAYMENT:
        b->PaymentServiceSelectionReq_isUsed = true;
        b->PaymentServiceSelectionReq.SelectedPaymentOption = exi_iso2_paymentOptionType_ExternalPayment;
        b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
        b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
        break;
    case ICAR_AUTH: b->AuthorizationReq_isUsed = true; break;
    case ICAR_CPD: {
        b->ChargeParameterDiscoveryReq_isUsed = true;
        struct exi_iso2_ChargeParameterDiscoveryReqType *q = &b->ChargeParameterDiscoveryReq;
        q->RequestedEnergyTransferMode = exi_iso2_EnergyTransferModeType_DC_extended;
        q->DC_EVChargeParameter_isUsed = true;
        q->DC_EVChargeParameter.DC_EVStatus = ev;
        icar_pv(&q->DC_EVChargeParameter.EVMaximumCurrentLimit, 100, exi_iso2_unitSymbolType_A);
        icar_pv(&q->DC_EVChargeParameter.EVMaximumVoltageLimit, 410, exi_iso2_unitSymbolType_V);
        break;
    }
    case ICAR_CABLE:
        b->CableCheckReq_isUsed = true;
        b->CableCheckReq.DC_EVStatus = ev;
        break;
    case ICAR_PRECHARGE:
        b->PreChargeReq_isUsed = true;
        b->PreChargeReq.DC_EVStatus = ev;
        icar_pv(&b->PreChargeReq.EVTargetVoltage, 380, exi_iso2_unitSymbolType_V);
        icar_pv(&b->PreChargeReq.EVTargetCurrent, 1, exi_iso2_unitSymbolType_A);
        break;
    case ICAR_START:
    case ICAR_STOP_POWER:
    case ICAR_RENEGOTIATE:
        b->PowerDeliveryReq_isUsed = true;
        b->PowerDeliveryReq.ChargeProgress = k->step == ICAR_START       ? exi_iso2_chargeProgressType_Start
                                             : k->step == ICAR_RENEGOTIATE ? exi_iso2_chargeProgressType_Renegotiate
                                                                           : exi_iso2_chargeProgressType_Stop;
        b->PowerDeliveryReq.SAScheduleTupleID = 1;
        b->PowerDeliveryReq.DC_EVPowerDeliveryParameter_isUsed = true;
        b->PowerDeliveryReq.DC_EVPowerDeliveryParameter.DC_EVStatus = ev;
        break;
    case ICAR_DEMAND:
        b->CurrentDemandReq_isUsed = true;
        b->CurrentDemandReq.DC_EVStatus = ev;
        icar_pv(&b->CurrentDemandReq.EVTargetCurrent, 100, exi_iso2_unitSymbolType_A);
        icar_pv(&b->CurrentDemandReq.EVTargetVoltage, 400, exi_iso2_unitSymbolType_V);
        icar_pv(&b->CurrentDemandReq.EVMaximumVoltageLimit, 410, exi_iso2_unitSymbolType_V);
        b->CurrentDemandReq.EVMaximumVoltageLimit_isUsed = true;
        break;
    case ICAR_WELDING:
        b->WeldingDetectionReq_isUsed = true;
        b->WeldingDetectionReq.DC_EVStatus = ev;
        break;
    default:
        b->SessionStopReq_isUsed = true;
        b->SessionStopReq.ChargingSession = k->pause ? exi_iso2_chargingSessionType_Pause
                                                     : exi_iso2_chargingSessionType_Terminate;
        break;
    }
    assert_int_equal(exi_iso2_encode(&w, &s_iq), HAL_OK);
    return exi_writer_len(&w);
}

static bool icar_finished(const struct exi_iso2_document *d)
{
    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    if (b->AuthorizationRes_isUsed) return b->AuthorizationRes.EVSEProcessing == exi_iso2_EVSEProcessingType_Finished;
    if (b->ChargeParameterDiscoveryRes_isUsed)
        return b->ChargeParameterDiscoveryRes.EVSEProcessing == exi_iso2_EVSEProcessingType_Finished;
    if (b->CableCheckRes_isUsed) return b->CableCheckRes.EVSEProcessing == exi_iso2_EVSEProcessingType_Finished;
    return true;
}

static void icar_answer(struct icar *k, const uint8_t *p, size_t n)
{
    struct exi_reader rd;
    exi_reader_init(&rd, p, n);
    if (k->step == ICAR_HANDSHAKE) {
        assert_int_equal(exi_apphand_decode(&rd, &s_iar), HAL_OK);
        assert_int_equal(s_iar.supportedAppProtocolRes.SchemaID, 1); /* ISO-2 chosen */
        k->step = ICAR_SETUP;
        return;
    }
    assert_int_equal(exi_iso2_decode(&rd, &s_ir), HAL_OK);
    k->last_code = iso2_response_code(&s_ir);
    if (!iso2_response_code_ok(k->last_code)) {
        k->step = ICAR_FAILED;
        k->closed = false;
        k->cp_c = false;
        return;
    }
    const struct exi_iso2_BodyType *b = &s_ir.V2G_Message.Body;
    if (b->PreChargeRes_isUsed) {
        k->present_mv = iso2_pv_milli32(&b->PreChargeRes.EVSEPresentVoltage);
    }
    bool fin = icar_finished(&s_ir);
    switch (k->step) {
    case ICAR_SETUP:
        memcpy(k->sid, s_ir.V2G_Message.Header.SessionID.bytes, 8);
        k->step = ICAR_DISCOVERY;
        break;
    case ICAR_CPD:
        if (b->ChargeParameterDiscoveryRes.SAScheduleList_isUsed) {
            k->pmax_w = (int32_t)(iso2_pv_milli(&b->ChargeParameterDiscoveryRes.SAScheduleList.SAScheduleTuple
                                                           .array[0].PMaxSchedule.PMaxScheduleEntry.array[0].PMax) / 1000);
        }
        if (fin) {
            k->step = ICAR_CABLE;
            k->cp_c = true; /* S2 closed: state C for the cable check */
        }
        break;
    case ICAR_AUTH:
    case ICAR_CABLE:
        k->step = fin ? k->step + 1 : k->step;
        break;
    case ICAR_PRECHARGE:
        if (k->demand_early) {
            k->step = ICAR_DEMAND; /* bad input: no PowerDelivery(Start) */
        } else if (k->present_mv > 370000 && k->present_mv < 390000) {
            k->step = ICAR_START;
        }
        break;
    case ICAR_START:
        k->closed = true;
        k->step = ICAR_DEMAND;
        break;
    case ICAR_DEMAND:
        if (k->stop) {
            k->step = ICAR_STOP_POWER;
        } else if (k->follow_renegotiation && b->CurrentDemandRes.DC_EVSEStatus.EVSENotification ==
                                                  exi_iso2_EVSENotificationType_ReNegotiation) {
            k->step = ICAR_RENEGOTIATE;
        }
        break;
    case ICAR_RENEGOTIATE:
        k->closed = false; /* S2 stays closed: CPD, cable check, pre-charge again */
        k->renegotiations++;
        k->step = ICAR_CPD;
        break;
    case ICAR_STOP_POWER:
        k->closed = false;
        k->cp_c = false;
        k->step = ICAR_WELDING;
        break;
    case ICAR_SESSION_STOP: k->step = ICAR_DONE; break;
    default: k->step++; break;
    }
}


/* ------------------------------------------------------------------ rig */

struct rig {
    struct fake_pilot pilot;
    struct tpp pp;       /**< the pilot with PP (rig_setup_pp) */
    struct fake_power power;
    struct fake_log log;
    struct tpsu psu;
    struct timd imd;
    struct tlink link;
    struct trng rng;
    struct tovm ovm;
    struct tmeter meter;
    struct fake_nvs nvs;
    struct journal journal;
    struct meter_session ms;
    struct sched sched;
    struct charger c;
    struct din_ev ev;
    struct din_ev_config evcfg;
    bool ev_running;   /**< the car answers and sends */
    bool ev_started;
    bool s2_stuck_open; /**< the car talks but never closes S2 */
    bool ev_saw_valid;  /**< the car was told isolation Valid at some point */
    uint8_t buf[2048];
    uint32_t now;
    bool iso2;          /**< the car is the scripted ISO-2 car (s_icar) */
};

static struct rig s_rig;
static bool s_rig_pp; /* the next rig_setup gives the charger a pilot with PP */
static bool s_rig_ovm; /* the next rig_setup gives the charger an over-voltage monitor */
static bool s_rig_meter; /* the next rig_setup gives the charger a meter with a journal */
static bool s_rig_gate; /* the next rig_setup's contactors sit behind a safety controller */

static void icar_ms(struct rig *r)
{
    struct icar *k = &s_icar;
    if (r->link.tx_ready) {
        r->link.tx_ready = false;
        k->waiting = false;
        icar_answer(k, r->link.tx, r->link.txlen);
        k->next_ms = r->now + 20; /* the car's own pace between requests */
    }
    if (!k->waiting && !r->link.rx_ready && k->step < ICAR_DONE && r->now >= k->next_ms) {
        r->link.rxlen = (uint32_t)icar_request(k, r->link.rx, sizeof r->link.rx);
        r->link.rx_ready = true;
        k->waiting = true;
    }
    if (r->pilot.ev.plugged) {
        (void)pilot_ev_set_s2(&r->pilot.ev, k->cp_c);
    }
}

static void rig_setup(struct rig *r, void (*tune)(struct charger_config *cfg), bool with_imd)
{
    struct charger_config cfg;
    memset(r, 0, sizeof *r);
    fake_pilot_init(&r->pilot);
    fake_power_init(&r->power);
    fake_log_init(&r->log);
    r->psu.base.ops = &s_tp_ops;
    r->psu.fp = &r->power;
    r->imd.base.ops = &s_ti_ops;
    r->imd.r_ohm = 10000000u;
    r->link.base.ops = &s_tl_ops;
    r->rng.base.ops = &s_tr_ops;
    r->ovm.base.ops = &s_to_ops;
    r->ovm.psu = &r->psu;
    charger_default_config(&cfg);
    cfg.max_power_w = 150000;
    if (s_rig_iso2) {
        assert_int_equal(hlc_parse_protocols("iso2,din", &cfg.hlc.protocols, NULL, 0), HAL_OK);
        memset(&s_icar, 0, sizeof s_icar);
        r->iso2 = true;
        s_rig_iso2 = false; /* this rig only */
    }
    if (tune != NULL) {
        tune(&cfg);
    }
    sched_init(&r->sched);
    r->pp.base.ops = &s_tpp_ops;
    r->pp.fp = &r->pilot;
    struct charger_ports ports = {.pilot = s_rig_pp ? &r->pp.base : &r->pilot.base,
                                  .gpio = &r->power.gpio,
                                  .psu = &r->psu.base,
                                  .log = &r->log.base,
                                  .link = &r->link.base,
                                  .rng = &r->rng.base,
                                  .isolation = with_imd ? &r->imd.base : NULL,
                                  .ovm = s_rig_ovm ? &r->ovm.base : NULL,
                                  .contactor_gate = s_rig_gate};
    if (s_rig_meter) {
        r->meter.base.ops = &s_tm_ops;
        r->meter.now = &r->now;
        r->meter.import_wh = 1000;
        fake_nvs_init(&r->nvs);
        assert_int_equal(journal_open(&r->journal, &r->nvs.base), HAL_OK);
        meter_session_init(&r->ms, &r->meter.base, &r->journal, NULL);
        assert_int_equal(sched_add(&r->sched, meter_session_task(&r->ms), 0), HAL_OK);
        ports.meter_session = &r->ms;
        ports.meter = &r->meter.base;
    }
    assert_int_equal(charger_init(&r->c, &cfg, &ports, &r->sched, 0), HAL_OK);
    din_ev_default_config(&r->evcfg);
    r->ev_running = true;
}

static void rig_ms(struct rig *r)
{
    r->now++;
    r->imd.now = r->now;
    r->ovm.now = r->now;
    fake_power_tick(&r->power, r->now);
    r->psu.ev_closed = r->ev_started && (r->iso2 ? s_icar.closed : din_ev_actions(&r->ev)->contactors);
    tp_tick(&r->psu);
    (void)pilot_ev_observe(&r->pilot.ev, r->pilot.duty);
    if (r->iso2) {
        if (r->ev_started && r->ev_running) {
            icar_ms(r);
        }
    } else if (r->ev_started && r->ev_running) {
        if (r->link.tx_ready) {
            r->link.tx_ready = false;
            (void)din_ev_receive(&r->ev, r->link.tx, r->link.txlen, r->now);
            r->ev_saw_valid = r->ev_saw_valid || (r->ev.evse.isolation_known &&
                                                  r->ev.evse.isolation == exi_din_isolationLevelType_Valid);
        }
        size_t n = 0;
        if (!r->link.rx_ready && din_ev_next(&r->ev, r->now, r->buf, sizeof r->buf, &n) == HAL_OK) {
            memcpy(r->link.rx, r->buf, n);
            r->link.rxlen = (uint32_t)n;
            r->link.rx_ready = true;
        }
        if (r->pilot.ev.plugged) {
            (void)pilot_ev_set_s2(&r->pilot.ev, din_ev_actions(&r->ev)->cp_c && !r->s2_stuck_open);
        }
    }
    sched_run(&r->sched, r->now, false);
}

static void run(struct rig *r, uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        rig_ms(r);
    }
}

/* Run until @p pred holds or @p max_ms pass. */
static bool run_until(struct rig *r, bool (*pred)(struct rig *), uint32_t max_ms)
{
    for (uint32_t i = 0; i < max_ms; i++) {
        if (pred(r)) {
            return true;
        }
        rig_ms(r);
    }
    return pred(r);
}

static bool is_charging(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_CHARGING && r->c.stats.cd_requests >= 5;
}
static bool is_idle_again(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_IDLE && r->c.history_count > 0;
}
static bool is_at_rest(struct rig *r)
{
    enum charger_state s = charger_state(&r->c);
    return (s == CHARGER_FINISHED || s == CHARGER_FAULT || s == CHARGER_IDLE) &&
           interlock_state(&r->c.il) == INTERLOCK_UNLOCKED;
}

static void plug(struct rig *r)
{
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, 100);
    assert_int_equal(charger_state(&r->c), CHARGER_LINK);
    assert_int_equal(r->pilot.duty, PILOT_DUTY_HLC);
    /* SLAC, SDP and TCP are the link's business: the connection is up. */
    r->link.st = CHARGER_TRANSPORT_CONNECTED;
    assert_int_equal(din_ev_start(&r->ev, &r->evcfg, r->now), HAL_OK);
    r->ev.model.battery_voltage_mv = 380000;
    r->ev.model.target_voltage_mv = 410000;
    r->ev.model.max_voltage_mv = 410000;
    r->ev.model.target_current_ma = 100000;
    r->ev_started = true;
}

static void unplug(struct rig *r)
{
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    pilot_ev_plug(&r->pilot.ev, false);
    r->link.st = CHARGER_TRANSPORT_MATCHING;
    r->ev_started = false;
    r->psu.ev_closed = false;
}

/* The safety order in the journal: after the last contactor close, "off" comes before
 * the contactors open, and they open before the lock releases; and no breach at all. */
static void assert_safe_order(const struct rig *r)
{
    const struct fake_power *f = &r->power;
    assert_int_equal(f->breach_open_under_load, 0);
    assert_int_equal(f->breach_unlock_while_closed, 0);
    assert_int_equal(f->breach_close_unlocked, 0);
    assert_int_equal(f->breach_export_open, 0);
    int close = -1;
    for (int i = 0; i < f->njournal; i++) {
        if (f->journal[i] == FAKE_CONTACTORS_CLOSE) {
            close = i;
        }
    }
    if (close < 0) {
        return;
    }
    int off = fake_power_find(f, FAKE_PSU_OFF, close);
    int open = fake_power_find(f, FAKE_CONTACTORS_OPEN, close);
    int unlock = fake_power_find(f, FAKE_UNLOCK, close);
    assert_true(off > close);
    assert_true(open > off);
    if (unlock >= 0) {
        assert_true(unlock > open);
    }
}

static const struct charger_session_record *last_record(const struct rig *r)
{
    return charger_history(&r->c, (r->c.history_count < CFG_CHARGER_HISTORY ? r->c.history_count
                                                                             : CFG_CHARGER_HISTORY) - 1u);
}

/* A held fault: once at rest the connector is out of order, through the unplug and a
 * new plug-in, until an operator reset; then it is idle again. The record. */
static const struct charger_session_record *finish_held(struct rig *r, const char *held)
{
    assert_true(run_until(r, is_at_rest, 120000));
    assert_safe_order(r);
    unplug(r);
    run(r, 1000);
    assert_int_equal(charger_state(&r->c), CHARGER_FAULT);
    assert_string_equal(charger_held_fault(&r->c), held);
    pilot_ev_plug(&r->pilot.ev, true); /* the next car is not served */
    run(r, 500);
    assert_int_equal(charger_state(&r->c), CHARGER_FAULT);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    pilot_ev_plug(&r->pilot.ev, false);
    run(r, 100);
    const char *why = NULL;
    assert_int_equal(charger_reset(&r->c, r->now, &why), CHARGER_RESET_DONE);
    assert_null(charger_held_fault(&r->c));
    assert_true(run_until(r, is_idle_again, 2000));
    return last_record(r);
}

/* Plug, charge, let the car run, unplug once the connector is free; the record. */
static const struct charger_session_record *finish(struct rig *r)
{
    assert_true(run_until(r, is_at_rest, 120000));
    assert_safe_order(r);
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    return last_record(r);
}

/* ------------------------------------------------------------------ tests */

static void test_full_session(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    /* Cable check ran with the isolation monitor, contactors closed after the lock. */
    assert_int_equal(r->c.cc.step, CHARGER_CC_DONE);
    assert_true(r->ev_saw_valid); /* a measured VALID is told as such */
    assert_true(r->imd.seq > 0);
    assert_int_equal(fake_power_find(&r->power, FAKE_LOCK, 0) <
                         fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0),
                     true);
    /* Current demand regulates within the stage's 60 kW at the present voltage. */
    run(r, 2000);
    assert_true(r->psu.set_ma > 0 && r->psu.set_ma <= 100000);
    assert_true(r->psu.set_mv <= 410000);
    assert_true(r->c.evse.power_limit_achieved || r->psu.set_ma == 100000);
    r->ev.model.stop = true;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_true(rec->charge_ms > 0);
    assert_true(rec->first_cd_ms > 0);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_DONE);
    assert_int_equal(r->c.stats.sessions_charged, 1);
    assert_true(r->link.restarts >= 1); /* ready for the next car */
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
}

/* The charger tells the stage the session through psu_set_session(): plugged, then cable
 * check, pre-charge and charging in that order (the phase announced before the power that
 * serves it), contactors closed while charging, nothing after the unplug; an e-stop is
 * passed on as a board alarm. */
static void test_psu_told_the_session(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    run(r, 50);
    assert_true(r->psu.session_calls > 0);
    assert_false(r->psu.told.plugged);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_true(r->psu.told.plugged);
    assert_int_equal(r->psu.nphases, 4);
    assert_int_equal(r->psu.phases[0], PSU_PHASE_NONE);
    assert_int_equal(r->psu.phases[1], PSU_PHASE_CABLE_CHECK);
    assert_int_equal(r->psu.phases[2], PSU_PHASE_PRECHARGE);
    assert_int_equal(r->psu.phases[3], PSU_PHASE_CHARGING);
    run(r, 100);
    assert_true(r->psu.told_closed_while_charging);
    assert_int_equal(r->psu.alarms_seen, 0);
    r->power.estop = true;
    run(r, 50);
    assert_int_equal(r->psu.told.alarms, PSU_ALARM_ESTOP);
    assert_int_equal(r->psu.told.phase, PSU_PHASE_NONE);
    r->power.estop = false;
    assert_true(run_until(r, is_at_rest, 5000) || charger_state(&r->c) == CHARGER_FAULT);
    unplug(r);
    run(r, 1000);
    assert_false(r->psu.told.plugged);
    assert_false(r->psu.told.contactor_closed);
}

/* The EV's maximum power bounds the current as its maximum current does: 20 kW at about
 * 400 V is about 50 A although the car asks 100 A and the EVSE could give 60 kW. (Before,
 * EVMaximumPowerLimit was passed to the machine and never applied.) */
/* Issue 14: the charger runs an ISO 15118-2 session through hlc as it runs DIN: the car
 * ranks ISO-2 first and v2g.protocols is iso2,din. */
static void test_iso2_session(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_iso2 = true;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_string_equal(hlc_active(&r->c.hlc)->name, "iso2");
    assert_int_equal(r->c.cc.step, CHARGER_CC_DONE);
    run(r, 2000);
    assert_true(r->psu.set_ma > 0 && r->psu.set_ma <= 100000);
    s_icar.stop = true;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(s_icar.step, ICAR_DONE);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_true(rec->charge_ms > 0);
    assert_true(rec->first_cd_ms > 0);
    assert_string_equal(rec->evccid, "00000000002A");
    assert_int_equal(r->c.stats.sessions_charged, 1);
}

/* Charger-initiated renegotiation: the station's limit falls, the charger asks, the car
 * renegotiates (power off, CPD, cable check, pre-charge, Start) and the current follows the
 * new schedule. */
static bool is_charging_after_renegotiation(struct rig *r)
{
    return s_icar.renegotiations == 1 && s_icar.step == ICAR_DEMAND && charger_state(&r->c) == CHARGER_CHARGING;
}

static void test_iso2_charger_initiated_renegotiation(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_iso2 = true;
    rig_setup(r, NULL, true);
    s_icar.follow_renegotiation = true;
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    int32_t first_pmax = s_icar.pmax_w;
    assert_true(first_pmax > 20000);
    charger_set_power_limit(&r->c, 20000);
    assert_true(run_until(r, is_charging_after_renegotiation, 60000));
    assert_int_equal(s_icar.pmax_w, 20000);
    run(r, 1000);
    assert_true(r->psu.set_ma > 0 && r->psu.set_ma <= 20000 * 1000 / 370 + 1000);
    s_icar.stop = true;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_int_equal(s_icar.renegotiations, 1);
}

/* SessionStop(Pause): the charger ends the connection as for Terminate; the session's ID
 * stays in hlc for the car's return. */
static void tune_pause_5s(struct charger_config *cfg)
{
    cfg->pause_timeout_ms = 5000;
}

/* SessionStop(Pause) (issue 14 item 4): power off and contactors open first (the safety
 * order), then PWM off with the plug still locked and the session record still open; the
 * backend keeps the SessionID. */
static void pause_now(struct rig *r)
{
    assert_true(run_until(r, is_charging, 30000));
    s_icar.stop = true;
    s_icar.pause = true;
    for (uint32_t i = 0; i < 30000 && s_icar.step != ICAR_DONE; i++) {
        rig_ms(r);
    }
    assert_int_equal(s_icar.step, ICAR_DONE);
    run(r, 1000);
    assert_true(r->c.paused);
    assert_int_equal(charger_state(&r->c), CHARGER_LINK);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);     /* X1: PWM off */
    assert_int_equal(interlock_state(&r->c.il), INTERLOCK_LOCKED); /* contactors open, locked */
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(r->c.history_count, 0);                     /* the record stays open */
    assert_int_equal(r->c.current.pauses, 1);
    assert_true(r->c.hlc.iso2_paused.valid);
    assert_memory_equal(r->c.hlc.iso2_paused.id, s_icar.sid, 8);
}

/* A paused car that never comes back: after pause_timeout_ms the session ends the normal
 * way (unlocked, one record, the reason named) and the paused ID is forgotten. */
static void test_iso2_pause_never_resumes(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_iso2 = true;
    rig_setup(r, tune_pause_5s, true);
    plug(r);
    pause_now(r);
    run(r, 3000);
    assert_true(r->c.paused); /* still waiting */
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_non_null(strstr(rec->detail, "did not resume"));
    assert_int_equal(rec->pauses, 1);
    assert_false(r->c.hlc.iso2_paused.valid);
    assert_int_equal(r->c.history_count, 1);
}

/* The car wakes the charger (B-C-B), 5 % PWM comes back, a new connection joins the old
 * SessionID (OK_OldSessionJoined) and charges again: one record with one pause. */
static void test_iso2_pause_and_resume(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_iso2 = true;
    rig_setup(r, NULL, true);
    plug(r);
    pause_now(r);
    run(r, 2000);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    s_icar.cp_c = true; /* the wake-up toggle */
    run(r, 400);
    s_icar.cp_c = false;
    run(r, 100);
    assert_int_equal(r->pilot.duty, PILOT_DUTY_HLC);
    assert_true(r->c.pause_woken);
    /* The new connection: the same car, the same SessionID. */
    r->link.st = CHARGER_TRANSPORT_CONNECTED;
    s_icar.step = ICAR_HANDSHAKE;
    s_icar.waiting = false;
    s_icar.stop = false;
    s_icar.pause = false;
    uint8_t sid[8];
    memcpy(sid, s_icar.sid, 8);
    assert_true(run_until(r, is_charging, 30000));
    assert_memory_equal(s_icar.sid, sid, 8); /* joined, not a new session */
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING); /* current demand again */
    assert_false(r->c.paused);
    assert_int_equal(r->c.history_count, 0);
    s_icar.stop = true;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(s_icar.step, ICAR_DONE);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_int_equal(rec->pauses, 1);
    assert_int_equal(r->c.history_count, 1);
}

/* Bad input: CurrentDemand before PowerDelivery. FAILED_SequenceError, a safe stop, and
 * the machine's reason in the session record. */
static void test_iso2_failed_answer_stops_with_reason(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_iso2 = true;
    rig_setup(r, NULL, true);
    s_icar.demand_early = true;
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(s_icar.step, ICAR_FAILED);
    assert_int_equal(s_icar.last_code, exi_iso2_responseCodeType_FAILED_SequenceError);
    assert_int_equal(rec->stop, CHARGER_STOP_V2G_PROTOCOL);
    assert_non_null(strstr(rec->detail, "CurrentDemand before PowerDelivery"));
    assert_int_equal(r->c.stats.sessions_charged, 0);
}

static void test_ev_max_power_bounds_the_current(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    r->ev.model.max_power_w = 20000;
    assert_true(run_until(r, is_charging, 30000));
    run(r, 500);
    assert_true(r->psu.out_mv > 300000);
    int64_t allowed = (int64_t)20000 * 1000000 / r->psu.out_mv;
    assert_true(r->psu.set_ma > 0);
    assert_true((int64_t)r->psu.set_ma <= allowed + 500);
    assert_true(r->psu.set_ma < 90000);
    assert_false(r->c.evse.power_limit_achieved); /* the EV's limit, not the EVSE's */
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}

static void test_power_limit_and_derating(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    run(r, 500);
    uint32_t full = r->psu.set_ma;
    charger_set_power_limit(&r->c, 20000); /* 20 kW at ~410 V: ~49 A */
    run(r, 500);
    assert_true(r->psu.set_ma < full);
    assert_true(r->psu.set_ma <= 20000 * 1000 / 400 + 1000);
    assert_true(r->c.evse.power_limit_achieved);
    charger_set_power_limit(&r->c, CHARGER_NO_POWER_LIMIT);
    /* A stage warning derates to half power and keeps charging. */
    r->psu.errs[0] = (struct psu_error){.type = PSU_ERR_VENDOR_WARNING, .severity = PSU_SEV_LOW, .subtype = 1};
    r->psu.nerr = 1;
    run(r, 500);
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING);
    assert_true(r->c.pw.derated);
    assert_true(r->c.evse.max_power_w == 30000);
    r->psu.nerr = 0;
    run(r, 100);
    assert_false(r->c.pw.derated);
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}

static void test_isolation_fault_in_cable_check(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->imd.r_ohm = 50000; /* 50 kOhm: below 100 Ohm/V at any voltage */
    plug(r);
    const struct charger_session_record *rec = finish_held(r, "insulation fault in the cable check");
    assert_int_equal(rec->stop, CHARGER_STOP_ISOLATION);
    assert_int_equal(rec->charge_ms, 0);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_FAILED); /* the car was answered FAILED */
}

static void test_imd_selftest_fails(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->imd.selftest_fail = true;
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_int_equal(rec->charge_ms, 0);
}

static void test_imd_device_fault_while_charging(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->imd.device_fault = true;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_true(rec->charge_ms > 0);
}

static void no_imd_lab_override(struct charger_config *cfg)
{
    cfg->imd_lab_override = true;
}

/* No isolation monitor: the cable check fails and the car never hears Valid. */
static void test_no_imd(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, false);
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_int_equal(rec->charge_ms, 0);
    assert_false(r->ev_saw_valid);
    assert_int_equal(r->c.cc.step, CHARGER_CC_FAILED);
}

/* The lab override: the session may charge, warned at start and at every session, and
 * the car is told Warning, never Valid. */
static void test_no_imd_lab_override(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, no_imd_lab_override, false);
    r->log.watch = "LAB OVERRIDE";
    r->log.watched = 0;
    /* the start-up warning went out during rig_setup, before the watch was set */
    assert_non_null(strstr(r->log.last, "LAB OVERRIDE"));
    plug(r);
    assert_int_equal(r->log.watched, 1);
    assert_true(run_until(r, is_charging, 30000));
    assert_int_equal(r->ev.evse.isolation, exi_din_isolationLevelType_Warning);
    assert_false(r->ev_saw_valid);
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
    unsigned after_first = r->log.watched;
    assert_true(after_first >= 2); /* the session's own + the cable check's */
    plug(r);
    assert_true(r->log.watched > after_first); /* said again at the next session */
}

/* A monitor that answers OK with a fresh value whose status is INVALID has measured
 * nothing: the cable check fails after the measurement window, never Valid. */
static void test_imd_ok_but_invalid_is_no_measurement(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->imd.ok_but_invalid = true;
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_string_equal(rec->detail, "no valid insulation measurement");
    assert_int_equal(rec->charge_ms, 0);
    assert_false(r->ev_saw_valid);
}

static void test_estop_while_charging(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->power.estop = true;
    run(r, 20);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_EMERGENCY); /* every answer FAILED until the connection closes */
    run(r, 150);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_FAILED);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    assert_true(run_until(r, is_at_rest, 5000) || charger_state(&r->c) == CHARGER_FAULT);
    assert_safe_order(r);
    r->power.estop = false;
    unplug(r);
    run(r, 1000);
    /* released and unplugged: still held until a person resets it */
    assert_int_equal(charger_state(&r->c), CHARGER_FAULT);
    assert_string_equal(charger_held_fault(&r->c), "emergency stop");
    assert_int_equal(charger_reset(&r->c, r->now, NULL), CHARGER_RESET_DONE);
    assert_true(run_until(r, is_idle_again, 5000));
    const struct charger_session_record *rec = last_record(r);
    assert_int_equal(rec->stop, CHARGER_STOP_POWER_PATH);
    assert_int_equal(rec->fault, INTERLOCK_FAULT_ESTOP);
    /* and the next car charges */
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
}

static void test_unplug_while_charging(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 5000));
    assert_safe_order(r);
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_UNPLUGGED);
}

static void test_ev_error_code(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.error_code = exi_din_DC_EVErrorCodeType_FAILED_ChargingCurrentdifferential;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV_ERROR);
}

static void test_local_stop_is_graceful(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    charger_request_stop(&r->c);
    run(r, 150);
    assert_int_equal(r->c.evse.status, HLC_EVSE_SHUTDOWN);
    assert_int_equal(r->c.evse.notification, HLC_NOTIFY_STOP_CHARGING);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_LOCAL);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_DONE); /* the car ended it cleanly */
}

static void test_graceful_stop_times_out(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ev_running = false; /* the car ignores everything from now on */
    charger_request_stop(&r->c);
    run(r, 9000);
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING);
    run(r, 1100);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_EMERGENCY);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(r->c.stop_reason, CHARGER_STOP_LOCAL);
    assert_true(run_until(r, is_at_rest, 5000));
    assert_safe_order(r);
}

static void allowlist(struct charger_config *cfg)
{
    cfg->auth = CHARGER_AUTH_ALLOWLIST;
    memcpy(cfg->auth_ids[0], "020000000001", 13);
}

static void test_allowlist(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, allowlist, true);
    plug(r); /* din_ev's default EVCCID is 02:00:00:00:00:01 */
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
    rig_setup(r, allowlist, true);
    r->evcfg.evccid[5] = 0x77;
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_AUTH_REJECTED);
    assert_int_equal(rec->charge_ms, 0);
    assert_int_equal(fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0), -1);
}

static void external(struct charger_config *cfg)
{
    cfg->auth = CHARGER_AUTH_EXTERNAL;
    cfg->auth_timeout_ms = 3000;
}

static bool is_authorizing(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_AUTHORIZING;
}

static void test_external_authorisation(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, external, true);
    plug(r);
    assert_true(run_until(r, is_authorizing, 5000));
    run(r, 1000);
    assert_int_equal(charger_state(&r->c), CHARGER_AUTHORIZING); /* Ongoing meanwhile */
    charger_authorize(&r->c, true);
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
    /* Nobody answers: refused after the timeout. */
    rig_setup(r, external, true);
    plug(r);
    assert_int_equal(finish(r)->stop, CHARGER_STOP_AUTH_REJECTED);
}

/* An external authoriser that answers after @p after_ms, with the meter present: the
 * record of the session. The meter's 10 s start window must count from the decision. */
static const struct charger_session_record *authorise_after(struct rig *r, uint32_t after_ms)
{
    plug(r);
    assert_true(run_until(r, is_authorizing, 5000));
    run(r, after_ms);
    charger_authorize(&r->c, true);
    if (run_until(r, is_charging, 30000)) {
        r->ev.model.stop = true;
    }
    const struct charger_session_record *rec = finish(r);
    run(r, 1000); /* the meter acknowledges the stop (it may come after the unplug) */
    return rec;
}

static void external_meter(struct charger_config *cfg)
{
    cfg->auth = CHARGER_AUTH_EXTERNAL; /* the default timeout: 55 s */
}

/* A backend may answer later than the default; the EV allows 60 s of Ongoing (DIN). */
static void external_meter_patient(struct charger_config *cfg)
{
    cfg->auth = CHARGER_AUTH_EXTERNAL;
    cfg->auth_timeout_ms = 90000;
    cfg->hlc.din.ongoing_timeout_ms = 120000;
}

static void test_authorisation_delay_with_meter(void **state)
{
    (void)state;
    static const uint32_t delays_ms[] = {0, 9000, 15000};
    struct rig *r = &s_rig;
    s_rig_meter = true;
    for (size_t k = 0; k < sizeof delays_ms / sizeof delays_ms[0]; k++) {
        rig_setup(r, external_meter, true);
        const struct charger_session_record *rec = authorise_after(r, delays_ms[k]);
        print_message("authorised after %lu ms: stop=%s detail=%s\n", (unsigned long)delays_ms[k],
                      charger_stop_reason_token(rec->stop), rec->detail);
        assert_int_equal(rec->stop, CHARGER_STOP_EV);
        assert_true(rec->meter_ok);
        assert_true(rec->charge_ms > 0);
        assert_int_equal(r->meter.starts, 1);
    }
    /* 60 s: past the default 55 s wait, so refused as an authorisation, never as a meter
     * error, and the meter was never asked. */
    rig_setup(r, external_meter, true);
    const struct charger_session_record *rec = authorise_after(r, 60000);
    assert_int_equal(rec->stop, CHARGER_STOP_AUTH_REJECTED);
    assert_int_equal(r->meter.starts, 0);
    /* With a longer configured wait (and an EV that waits as long) 60 s charges. */
    rig_setup(r, external_meter_patient, true);
    r->evcfg.ongoing_timeout_ms = 120000;
    rec = authorise_after(r, 60000);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_true(rec->meter_ok);
    assert_int_equal(r->meter.starts, 1);
    s_rig_meter = false;
}

static bool is_parameters(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_PARAMETERS;
}

/* A meter that acknowledges the stop only after the next car plugged in (a slow line:
 * faults-real saw it 4.7 s late). The acknowledgement closes the FIRST session's record
 * (its journal sequence, energy, meter_ok), and the second session then starts its own
 * transaction and charges. Before, the second session took the first one's record as its
 * own and waited in ChargeParameterDiscovery for a transaction it never asked for. */
static void test_meter_stop_acknowledged_after_next_plug_in(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_meter = true;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_int_equal(r->c.tx.state, CHARGER_TX_OPEN);
    r->meter.import_wh += 500; /* what the first car took */
    r->meter.ack_ms = 8000;    /* the stop of the first session is answered late */
    r->ev.model.stop = true;
    const struct charger_session_record *first = finish(r);
    assert_int_equal(first->number, 1u);
    assert_int_equal(r->c.tx.state, CHARGER_TX_STOPPING);
    assert_int_equal(r->meter.stops, 1);
    r->meter.ack_ms = 0;
    run(r, 200);
    plug(r); /* the next car, while the first stop is still unanswered */
    assert_true(run_until(r, is_parameters, 10000));
    assert_int_equal(r->meter.starts, 1); /* not asked while the meter is busy */
    assert_int_equal(r->c.tx.state, CHARGER_TX_STOPPING);
    assert_true(run_until(r, is_charging, 30000));
    /* The late answer went to the first session's record, not to the second's. */
    assert_true(first->meter_ok);
    assert_true(first->metered);
    assert_int_equal(first->energy_wh, 500);
    assert_int_equal(first->meter_seq, 1u);
    assert_int_equal(r->meter.starts, 2);
    assert_int_equal(r->c.tx.state, CHARGER_TX_OPEN);
    assert_int_equal(r->c.tx.session, 2u);
    const struct charger_session_record *second = charger_session_in_progress(&r->c);
    assert_non_null(second);
    assert_int_equal(second->number, 2u);
    assert_int_equal(second->meter_seq, 2u);
    assert_false(second->meter_ok);
    r->meter.import_wh += 300;
    r->ev.model.stop = true;
    second = finish(r);
    run(r, 1000);
    assert_int_equal(second->number, 2u);
    assert_true(second->meter_ok);
    assert_int_equal(second->energy_wh, 300);
    assert_int_equal(first->energy_wh, 500); /* untouched by the second */
    s_rig_meter = false;
}

/* The token goes into the transaction: the EVCCID for autostart, the external id when the
 * authoriser names one (RFID UID, backend id tag); the transaction id is the session's. */
static void test_authorisation_token_in_transaction(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_meter = true;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_int_equal(r->c.auth.token.source, CHARGER_TOKEN_AUTOSTART);
    assert_string_equal(r->meter.id_data, "020000000001"); /* din_ev's default EVCCID */
    assert_string_equal(r->c.tx.idtag, "020000000001");
    assert_non_null(strstr(r->meter.txid, "cp0-1-"));
    /* what OCPP sends as the idTag of a session authorised outside it, by the record's txid */
    assert_string_equal(charger_tx_idtag(&r->c, r->meter.txid), "020000000001");
    assert_null(charger_tx_idtag(&r->c, "cp0-9-1"));
    assert_null(charger_tx_idtag(&r->c, NULL));
    r->ev.model.stop = true;
    (void)finish(r);
    assert_string_equal(charger_tx_idtag(&r->c, r->meter.txid), "020000000001"); /* known after the stop */
    rig_setup(r, external_meter, true);
    assert_null(charger_tx_idtag(&r->c, r->meter.txid)); /* a restarted charger knows none */
    plug(r);
    assert_true(run_until(r, is_authorizing, 5000));
    charger_authorize_id(&r->c, "04A1B2C3D4", true);
    assert_true(run_until(r, is_charging, 30000));
    assert_int_equal(r->c.auth.token.source, CHARGER_TOKEN_EXTERNAL);
    assert_string_equal(r->c.auth.token.id, "04A1B2C3D4");
    assert_string_equal(r->meter.id_data, "04A1B2C3D4");
    r->ev.model.stop = true;
    (void)finish(r);
    s_rig_meter = false;
}

/* The meter reports another key than the pinned one: the transaction is refused before
 * anything is energised, and the session record says why. */
static void test_meter_key_mismatch_stops_session(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    uint8_t pin[65];
    s_rig_meter = true;
    rig_setup(r, NULL, true);
    s_rig_meter = false;
    pin[0] = 0x04;
    for (unsigned i = 1; i < sizeof pin; i++) {
        pin[i] = (uint8_t)(i + 1u); /* not the meter's */
    }
    assert_int_equal(meter_session_pin_key(&r->ms, pin, sizeof pin), HAL_OK);
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_METER);
    assert_string_equal(rec->detail, "meter public key differs from the pinned key: transaction refused");
    assert_int_equal(rec->charge_ms, 0);
    assert_int_equal(r->meter.starts, 0);
    assert_int_equal(fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0), -1);
    /* The meter's own key pinned: the next session charges. */
    pin[0] = 0x04;
    for (unsigned i = 1; i < sizeof pin; i++) {
        pin[i] = (uint8_t)i;
    }
    s_rig_meter = true;
    rig_setup(r, NULL, true);
    s_rig_meter = false;
    assert_int_equal(meter_session_pin_key(&r->ms, pin, sizeof pin), HAL_OK);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}

static void test_sequence_timeout(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_authorizing, 5000));
    r->ev_running = false; /* the car falls silent with the link up */
    run(r, 59000);
    assert_int_equal(charger_state(&r->c), CHARGER_AUTHORIZING);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_V2G_TIMEOUT);
}

/* ------------------------------------------------------------------ stop paths (issue 23)
 * A car may end the session at almost any point after SessionSetup. Each test makes the
 * real DIN car send the stop request at that point and checks three things: the car got
 * an answer of the right type (its machine judged it: accepted, or the EVSE's verdict),
 * the power path walked the safe order (off, contactors open, unlock), and the connector
 * unlocked only below 60 V. docs/interop.md lists the paths. */

/* Let the car's outstanding request be answered, then make @p s its next request. */
static void ev_next_is(struct rig *r, enum din_ev_state s)
{
    for (int i = 0; i < 5000 && (r->ev.clk.waiting || r->link.rx_ready); i++) {
        rig_ms(r);
    }
    assert_false(r->ev.clk.waiting);
    r->ev.state = s;
}

static bool ev_right_after_cable_check(struct rig *r)
{
    return din_ev_state(&r->ev) == DIN_EV_PRECHARGE;
}

/* Every request of the car was answered (none left hanging). */
static void assert_car_answered(const struct rig *r)
{
    assert_true(r->ev.requests > 0);
    assert_int_equal(r->ev.responses, r->ev.requests);
}

/* Run to rest, checking the output voltage at the moment the lock opens. */
static void run_to_rest_unlock_below_60v(struct rig *r)
{
    bool was_locked = interlock_state(&r->c.il) != INTERLOCK_UNLOCKED;
    for (uint32_t i = 0; i < 120000 && !is_at_rest(r); i++) {
        rig_ms(r);
        bool locked = interlock_state(&r->c.il) != INTERLOCK_UNLOCKED;
        if (was_locked && !locked) {
            assert_true(r->psu.out_mv < 60000);
        }
        was_locked = locked;
    }
    assert_true(is_at_rest(r));
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_safe_order(r);
}

/* PowerDeliveryReq(ReadyToChargeState=false) right after CableCheck, before any
 * PreChargeReq: DIN's table (EvseV2G WAIT_FOR_PRECHARGE) takes only PreCharge and
 * SessionStop there, so the standard's answer is a PowerDeliveryRes with
 * FAILED_SequenceError; the session ends and the power path stops safely. */
static void test_stop_power_delivery_right_after_cable_check(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, ev_right_after_cable_check, 30000));
    ev_next_is(r, DIN_EV_POWER_OFF);
    run(r, 200);
    assert_car_answered(r);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_FAILED);
    assert_true(din_ev_evse_stopped(&r->ev)); /* an answer it could read: the EVSE's verdict */
    assert_int_equal(r->ev.evse_code, exi_din_responseCodeType_FAILED_SequenceError);
    run_to_rest_unlock_below_60v(r);
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_V2G_PROTOCOL);
}

/* PowerDelivery(false) during PreCharge (after the first PreChargeReq): allowed, answered
 * OK; the car goes on with WeldingDetection and SessionStop: a normal EV stop. */
static void test_stop_power_delivery_during_precharge(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, ev_right_after_cable_check, 30000));
    r->ev.model.inlet_voltage_mv = 0; /* its inlet never matches: it stays in pre-charge */
    uint32_t seen = r->ev.requests;
    while (r->ev.requests < seen + 3) {
        rig_ms(r);
    }
    assert_int_equal(charger_state(&r->c), CHARGER_PRECHARGE);
    assert_true(r->psu.out_mv > 60000); /* the output is up */
    ev_next_is(r, DIN_EV_POWER_OFF);
    run_to_rest_unlock_below_60v(r);
    assert_car_answered(r);
    assert_int_equal(din_ev_state(&r->ev), DIN_EV_DONE);
    assert_false(din_ev_evse_stopped(&r->ev));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_EV);
}

/* SessionStopReq right after CableCheck and during PreCharge: allowed in every
 * pre-charging phase (EvseV2G; the Model Y stops from PreCharge): OK, safe stop. */
static void test_stop_session_stop_before_charging(void **state)
{
    (void)state;
    for (int during = 0; during <= 1; during++) {
        struct rig *r = &s_rig;
        rig_setup(r, NULL, true);
        plug(r);
        assert_true(run_until(r, ev_right_after_cable_check, 30000));
        if (during) {
            r->ev.model.inlet_voltage_mv = 0;
            uint32_t seen = r->ev.requests;
            while (r->ev.requests < seen + 2) {
                rig_ms(r);
            }
        }
        ev_next_is(r, DIN_EV_SESSION_STOP);
        run_to_rest_unlock_below_60v(r);
        assert_car_answered(r);
        assert_int_equal(din_ev_state(&r->ev), DIN_EV_DONE); /* SessionStopRes OK */
        unplug(r);
        assert_true(run_until(r, is_idle_again, 2000));
        assert_int_equal(last_record(r)->stop, CHARGER_STOP_EV);
    }
}

/* SessionStopReq while current flows: DIN wants PowerDelivery(false) first, so the
 * answer is a SessionStopRes with FAILED_SequenceError; the current goes to zero before
 * the contactors open (assert_safe_order: no opening under load). */
static void test_stop_session_stop_while_charging(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_true(r->psu.out_ma > 0);
    ev_next_is(r, DIN_EV_SESSION_STOP);
    run(r, 200);
    assert_car_answered(r);
    assert_true(din_ev_evse_stopped(&r->ev));
    assert_int_equal(r->ev.evse_code, exi_din_responseCodeType_FAILED_SequenceError);
    run_to_rest_unlock_below_60v(r);
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_V2G_PROTOCOL);
}

/* The TCP connection drops during pre-charge with a request half sent (the transport
 * never delivers it, test_evse_link.c covers the framing): the link-loss stop. */
static void test_stop_link_lost_in_precharge(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, ev_right_after_cable_check, 30000));
    r->ev.model.inlet_voltage_mv = 0;
    uint32_t seen = r->ev.requests;
    while (r->ev.requests < seen + 2) {
        rig_ms(r);
    }
    r->link.st = CHARGER_TRANSPORT_MATCHING;
    r->ev_running = false;
    run(r, 200);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    run_to_rest_unlock_below_60v(r);
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_LINK);
}

/* The car drops its connection mid-session and opens a new one at once (inside the
 * link-loss debounce), starting over with supportedAppProtocolReq, as pyPLC did against
 * Compleo after 29 s of ContractAuthentication Ongoing (compleo_powerdelivery230_no_load).
 * The running session cannot take a handshake: the car gets an answer
 * (Failed_NoNegotiation, it must not wait for a timeout) and the old session ends by
 * the safe stop, in every phase: before power (authorisation) and in pre-charge. */
static void test_stop_new_handshake_mid_session(void **state)
{
    (void)state;
    for (int phase = 0; phase <= 1; phase++) {
        struct rig *r = &s_rig;
        rig_setup(r, NULL, true);
        plug(r);
        if (phase == 0) {
            assert_true(run_until(r, is_authorizing, 5000));
        } else {
            assert_true(run_until(r, ev_right_after_cable_check, 30000));
            r->ev.model.inlet_voltage_mv = 0;
            uint32_t seen = r->ev.requests;
            while (r->ev.requests < seen + 2) {
                rig_ms(r);
            }
        }
        ev_next_is(r, din_ev_state(&r->ev));
        assert_int_equal(din_ev_start(&r->ev, &r->evcfg, r->now), HAL_OK); /* a new connection */
        run(r, 200);
        assert_car_answered(r);
        assert_int_equal(din_ev_state(&r->ev), DIN_EV_FAILED);
        assert_string_equal(din_ev_reason(&r->ev), "no protocol negotiated");
        run_to_rest_unlock_below_60v(r);
        unplug(r);
        assert_true(run_until(r, is_idle_again, 2000));
        assert_int_equal(last_record(r)->stop, CHARGER_STOP_LINK);
        assert_non_null(strstr(last_record(r)->detail, "new V2G connection"));
    }
}

static void test_link_lost_while_charging(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->link.st = CHARGER_TRANSPORT_MATCHING; /* connection dropped, pilot still B/C */
    r->ev_running = false;
    run(r, 200);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_LINK);
}

static void test_psu_system_error(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->psu.errs[0] = (struct psu_error){.type = PSU_ERR_COMMUNICATION_FAULT, .severity = PSU_SEV_HIGH,
                                        .subtype = PSU_SUBTYPE_SYSTEM};
    r->psu.nerr = 1;
    run(r, 20);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.nerr = 0;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_PSU);
    assert_string_equal(rec->detail, "CommunicationFault");
}

static bool is_link(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_LINK;
}
static bool is_fault(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_FAULT;
}

/* The faulted car leaves while the path is still powering down (no lock holds it, as
 * behind a Charge SOM controller), and the next car plugs in before the path is at rest:
 * once at rest the next car is served, not kept waiting for an unplug it never makes. */
static void test_next_car_plugged_in_during_fault_power_down(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->psu.errs[0] = (struct psu_error){.type = PSU_ERR_COMMUNICATION_FAULT, .severity = PSU_SEV_HIGH,
                                        .subtype = PSU_SUBTYPE_SYSTEM};
    r->psu.nerr = 1;
    r->psu.stuck_ma = 50000; /* the stage is slow to confirm its current gone */
    assert_true(run_until(r, is_fault, 100));
    unplug(r);
    run(r, 60); /* A seen (the pilot's debounce) */
    assert_int_not_equal(interlock_state(&r->c.il), INTERLOCK_UNLOCKED);
    pilot_ev_plug(&r->pilot.ev, true); /* the next car, before the path is at rest */
    run(r, 60);
    assert_int_not_equal(interlock_state(&r->c.il), INTERLOCK_UNLOCKED);
    r->psu.nerr = 0;
    r->psu.stuck_ma = 0;
    assert_true(run_until(r, is_link, 20000));
    assert_int_equal(r->pilot.duty, PILOT_DUTY_HLC);
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_PSU);
    assert_int_equal(r->c.history_count, 1u);
}

static void test_over_voltage(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->psu.force_mv = 460000; /* EV max 410 V: the limit is 451 V */
    run(r, 5);
    assert_int_equal(r->power.mode, PSU_MODE_EXPORT); /* not yet 9 ms */
    run(r, 20);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.force_mv = 0;
    assert_int_equal(finish_held(r, "output over-voltage")->stop, CHARGER_STOP_OVER_VOLTAGE);
}

static void test_ev_never_in_state_c(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->s2_stuck_open = true; /* CableCheckReq comes, the pilot stays B: [V2G-DC-547] */
    plug(r);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_CABLE_CHECK);
    assert_string_equal(rec->detail, "EV not in state C for the cable check");
    assert_int_equal(fake_power_find(&r->power, FAKE_CONTACTORS_CLOSE, 0), -1);
}

static void test_slac_failure_retries_then_stops(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, 100);
    for (int k = 0; k < 4; k++) {
        r->link.st = CHARGER_TRANSPORT_FAILED;
        run(r, 20);
    }
    assert_int_equal(r->link.restarts, 4); /* 3 retries, then the stop's restart */
    assert_true(run_until(r, is_at_rest, 3000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_LINK);
}

static void test_diode_fault(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->pilot.ev.diode_missing = true;
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, 200);
    assert_true(run_until(r, is_at_rest, 3000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_DIODE_FAULT);
}

static void rig_setup_pp(struct rig *r)
{
    s_rig_pp = true;
    rig_setup(r, NULL, true);
    s_rig_pp = false;
}

static void pp_fault_while_charging(uint32_t ohms, const char *detail)
{
    struct rig *r = &s_rig;
    rig_setup_pp(r);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    assert_false(r->c.pp.unsupported);
    assert_int_equal(r->c.pp.ohms, 220u);
    r->pp.force_ohms = ohms;
    run(r, 20); /* a glitch shorter than the debounce is not a fault */
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING);
    run(r, 300);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_EMERGENCY);
    assert_true(run_until(r, is_at_rest, 5000));
    assert_safe_order(r);
    r->pp.force_ohms = 0;
    unplug(r);
    assert_true(run_until(r, is_idle_again, 5000));
    const struct charger_session_record *rec = last_record(r);
    assert_int_equal(rec->stop, CHARGER_STOP_PROXIMITY);
    assert_string_equal(rec->detail, detail);
    assert_string_equal(charger_stop_reason_token(CHARGER_STOP_PROXIMITY), "proximity");
    /* the next car charges */
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}

static void test_pp_short_while_charging(void **state)
{
    (void)state;
    pp_fault_while_charging(TPP_SHORT, "proximity shorted to PE");
}

static void test_pp_open_while_charging(void **state)
{
    (void)state;
    pp_fault_while_charging(UINT32_MAX, "proximity open");
}

/* Pulling the plug opens PP and pilot together: that is an unplug, not a PP fault. */
static void test_pp_unplug_is_unplug(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup_pp(r);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 5000));
    assert_safe_order(r);
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_UNPLUGGED);
}

/* A shorted PP before the session starts stops it before anything is energised. */
static void test_pp_short_at_plug_in(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup_pp(r);
    r->pp.force_ohms = TPP_SHORT;
    plug(r);
    assert_true(run_until(r, is_at_rest, 5000));
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->pp.force_ohms = 0;
    unplug(r);
    assert_true(run_until(r, is_idle_again, 5000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_PROXIMITY);
    assert_int_equal(last_record(r)->charge_ms, 0u);
}

/* The fake pilot has no PP (HAL_ENOTSUP): the check is skipped, the session runs. */
static void test_pp_not_supported_is_skipped(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(r->c.pp.unsupported);
    assert_true(run_until(r, is_charging, 30000));
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}


/* ------------------------------------------------------------------ limits (issue 12) */

static void tune_300v(struct charger_config *cfg)
{
    cfg->max_voltage_mv = 300000; /* a 300 V connector/cable */
}

static bool is_over(struct rig *r)
{
    enum charger_state s = charger_state(&r->c);
    return s == CHARGER_FAULT || s == CHARGER_FINISHED || s == CHARGER_STOPPING || s == CHARGER_IDLE;
}

/* A car whose pre-charge target (380 V) is above a 300 V connector: every setpoint stays at
 * or below 300 V (cable check, pre-charge), the car is told 300 V, the session never
 * reaches charging, and it stops with a reason that says why. */
static void test_connector_rating_caps_every_setpoint(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, tune_300v, true);
    plug(r);
    assert_true(run_until(r, is_over, 60000));
    assert_true(r->psu.max_set_mv > 0);
    assert_true(r->psu.max_set_mv <= 300000);
    assert_true(r->c.cc.test_mv <= 300000);
    assert_int_equal(r->ev.evse.max_voltage_mv, 300000);
    assert_int_equal(r->c.stats.sessions_charged, 0);
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV_LIMITS);
    assert_int_equal(rec->charge_ms, 0);
    assert_string_equal(charger_stop_reason_token(rec->stop), "ev-limits");
}

/* The grace: a target above the maximum for less than target_grace_ms is only clamped. */
static void test_target_above_rating_within_grace_is_clamped(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, tune_300v, true);
    plug(r);
    r->ev.model.target_voltage_mv = 290000;
    /* Pre-charge first asks 380 V, then the car corrects itself to 250 V within 1 s. */
    r->ev.model.battery_voltage_mv = 380000;
    bool seen = false;
    for (uint32_t i = 0; i < 60000 && !seen; i++) {
        rig_ms(r);
        seen = charger_state(&r->c) == CHARGER_PRECHARGE;
    }
    assert_true(seen);
    run(r, 1000);
    assert_true(r->psu.max_set_mv <= 300000);
    r->ev.model.battery_voltage_mv = 250000;
    assert_true(run_until(r, is_charging, 30000));
    assert_true(r->psu.max_set_mv <= 300000);
    /* Current demand: the car asks 290 V (below 300 V), never more than 300 V. */
    r->ev.model.target_voltage_mv = 400000;
    run(r, 1000);
    assert_int_equal(r->psu.set_mv, 300000);
    assert_true(r->ev.evse.voltage_limit_achieved);
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
    assert_true(r->psu.max_set_mv <= 300000);
}

/* The over-voltage monitor trips on min(connector rating, EV maximum) + 10 %: 330 V with a
 * 300 V connector and a car whose own maximum is 410 V. */
static void test_over_voltage_limit_uses_connector_rating(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, tune_300v, true);
    plug(r);
    r->ev.model.battery_voltage_mv = 250000;
    r->ev.model.target_voltage_mv = 290000;
    assert_true(run_until(r, is_charging, 30000));
    r->psu.force_mv = 340000; /* below the car's 451 V, above the connector's 330 V */
    run(r, 25);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.force_mv = 0;
    assert_int_equal(finish_held(r, "output over-voltage")->stop, CHARGER_STOP_OVER_VOLTAGE);
}

/* A stage whose read-back is older than the bound, and nothing else measuring: the output
 * is not watched, so an energised connector stops. */
static void test_stale_voltage_stops(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->psu.age_ms = 1000; /* still within 1.5 s */
    run(r, 50);
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING);
    struct charger_voltage v;
    assert_true(charger_output_voltage(&r->c, &v));
    assert_int_equal(v.source, CHARGER_VSRC_STAGE);
    assert_int_equal(v.age_ms, 1000);
    r->psu.age_ms = 1600;
    run(r, 10);
    assert_false(charger_output_voltage(&r->c, &v));
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.age_ms = 0;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_NO_VOLTAGE);
}

/* With an over-voltage monitor the stage's slow read-back does not hide an over-voltage:
 * the monitor's fresh reading is taken, and it trips within 9 ms + one pass. */
static void test_ovm_sees_what_the_stage_does_not(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_ovm = true;
    rig_setup(r, NULL, true);
    s_rig_ovm = false;
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    struct charger_voltage v;
    assert_true(charger_output_voltage(&r->c, &v));
    assert_int_equal(v.source, CHARGER_VSRC_OVM);
    assert_string_equal(charger_vsource_name(v.source), "ovm");
    assert_true(r->ovm.armed_mv == 451000); /* EV max 410 V + 10 % */
    r->psu.age_ms = 500;                    /* the stage reports an old, normal value */
    r->ovm.force_mv = 470000;
    run(r, 5);
    assert_int_equal(r->power.mode, PSU_MODE_EXPORT);
    run(r, 15);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->ovm.force_mv = 0;
    r->psu.age_ms = 0;
    assert_int_equal(finish_held(r, "output over-voltage")->stop, CHARGER_STOP_OVER_VOLTAGE);
    assert_int_equal(r->ovm.armed_mv, 0); /* disarmed once nothing is energised */
}

/* A dead monitor (its reading no longer moves) is passed over for the next fresh source,
 * here the stage's read-back; with that one stale too, the session stops. */
static void test_dead_ovm_falls_back_then_stops(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_ovm = true;
    rig_setup(r, NULL, true);
    s_rig_ovm = false;
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ovm.frozen = true;
    r->psu.age_ms = 100;
    run(r, 1600);
    struct charger_voltage v;
    assert_true(charger_output_voltage(&r->c, &v));
    assert_int_equal(v.source, CHARGER_VSRC_STAGE);
    assert_int_equal(charger_state(&r->c), CHARGER_CHARGING);
    r->psu.age_ms = 2000;
    run(r, 10);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.age_ms = 0;
    r->ovm.frozen = false;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_NO_VOLTAGE);
}

/* The monitor's hardware trip (its own comparator) stops the session within one pass,
 * whatever the voltage readings say. */
static void test_ovm_hardware_trip_stops_at_once(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_ovm = true;
    rig_setup(r, NULL, true);
    s_rig_ovm = false;
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    int arms = r->ovm.arms;
    r->ovm.trip = true;
    run(r, 6); /* one 5 ms pass */
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    run(r, 10);
    assert_int_equal(r->ovm.arms, arms + 1); /* disarmed once nothing is energised */
    assert_int_equal(r->ovm.armed_mv, 0);
    const struct charger_session_record *rec = finish_held(r, "output over-voltage (monitor's hardware trip)");
    assert_int_equal(rec->stop, CHARGER_STOP_OVER_VOLTAGE);
    assert_string_equal(rec->detail, "output over-voltage (monitor's hardware trip)");
}

static bool cd_target_200a(struct rig *r)
{
    return charger_ev(&r->c)->target_current_ma == 200000;
}

/* Item 8: each CurrentDemandRes carries the limit flags of the request it answers. The car
 * raises its target from 100 A (below the 60 kW stage's ~146 A at 410 V) to 200 A: the
 * very answer to the first 200 A request says "power limit achieved". */
static void test_limit_flags_belong_to_their_request(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    run(r, 500);
    assert_false(r->c.evse.power_limit_achieved);
    assert_false(r->ev.evse.power_limit_achieved);
    r->ev.model.target_current_ma = 200000;
    assert_true(run_until(r, cd_target_200a, 2000));
    /* That request has just been answered: the answer is still in the transport. */
    assert_true(r->link.tx_ready);
    static struct exi_din_document doc;
    struct exi_reader rd;
    exi_reader_init(&rd, r->link.tx, r->link.txlen);
    assert_int_equal(exi_din_decode(&rd, &doc), HAL_OK);
    assert_true(doc.V2G_Message.Body.CurrentDemandRes_isUsed);
    assert_true(doc.V2G_Message.Body.CurrentDemandRes.EVSEPowerLimitAchieved);
    assert_false(doc.V2G_Message.Body.CurrentDemandRes.EVSECurrentLimitAchieved);
    /* And back: the first answer to a 50 A request clears it. */
    r->ev.model.target_current_ma = 50000;
    run(r, 1);
    for (uint32_t i = 0; i < 2000 && charger_ev(&r->c)->target_current_ma != 50000; i++) {
        rig_ms(r);
    }
    exi_reader_init(&rd, r->link.tx, r->link.txlen);
    assert_int_equal(exi_din_decode(&rd, &doc), HAL_OK);
    assert_true(doc.V2G_Message.Body.CurrentDemandRes_isUsed);
    assert_false(doc.V2G_Message.Body.CurrentDemandRes.EVSEPowerLimitAchieved);
    r->ev.model.stop = true;
    assert_int_equal(finish(r)->stop, CHARGER_STOP_EV);
}

/* Two errors at once while charging: a module-level stage error (MEDIUM, graceful) and
 * an isolation-monitor device fault (HIGH, emergency). The emergency stop is taken, so its
 * error is the reason and its text the detail. */
static void test_two_errors_reason_follows_action(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->psu.errs[0] = (struct psu_error){.type = PSU_ERR_OVER_TEMPERATURE, .severity = PSU_SEV_MEDIUM,
                                        .subtype = 2};
    r->psu.nerr = 1;
    r->imd.device_fault = true;
    run(r, 20);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_EMERGENCY);
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    r->psu.nerr = 0;
    r->imd.device_fault = false;
    const struct charger_session_record *rec = finish(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_string_equal(rec->detail, "DeviceFault");
}

/* A graceful stop under way (MEDIUM) when a HIGH error comes: the emergency is for the
 * HIGH one, and the record says so. */
/* DIN behind a safety controller (Charge SOM): the car opens S2 while charging and the
 * controller cuts the contactors at once, before our debounce confirmed B. The EV's stop
 * through the usual path (power off, welding, unlock), no held fault. */
static void test_gate_opens_while_charging_is_ev_stop(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_gate = true;
    rig_setup(r, NULL, true);
    s_rig_gate = false;
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    run(r, 500);
    r->s2_stuck_open = true;
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run(r, 20);
    assert_true(interlock_gate_dropped(&r->c.il));
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(interlock_fault(&r->c.il), INTERLOCK_FAULT_NONE);
    /* The EV-stop path: welding detection, the contactors stay open, nothing is held. */
    run(r, 1000);
    assert_int_equal(charger_state(&r->c), CHARGER_WELDING);
    assert_int_equal(r->c.stop_reason, CHARGER_STOP_EV);
    assert_int_equal(interlock_state(&r->c.il), INTERLOCK_LOCKED);
    assert_false(r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS] || r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG]);
    unplug(r);
    assert_true(run_until(r, is_idle_again, 10000));
    const struct charger_session_record *rec = last_record(r);
    assert_int_equal(rec->stop, CHARGER_STOP_EV);
    assert_null(charger_held_fault(&r->c));
    assert_int_equal(charger_stats(&r->c)->last_fault, INTERLOCK_FAULT_NONE);
}

static bool is_cable_check_closed(struct rig *r)
{
    return charger_state(&r->c) == CHARGER_CABLE_CHECK && interlock_state(&r->c.il) == INTERLOCK_CLOSED;
}

/* The same in the cable check, but the connection went first (a corrupted TLS record):
 * the car opens S2 at once and the controller opens the contactors inside our link-loss
 * debounce. The link is the cause, as in CHARGING (test_link_lost_while_charging). */
static void test_gate_opens_after_link_loss_is_link_stop(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_gate = true;
    rig_setup(r, NULL, true);
    s_rig_gate = false;
    plug(r);
    assert_true(run_until(r, is_cable_check_closed, 30000));
    run(r, 200);
    r->link.st = CHARGER_TRANSPORT_MATCHING; /* the connection fails ... */
    r->ev_running = false;
    run(r, 30);                               /* ... inside the 100 ms debounce: */
    r->s2_stuck_open = true;
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run(r, 20);
    assert_true(interlock_gate_dropped(&r->c.il));
    assert_int_equal(r->power.mode, PSU_MODE_OFF);
    assert_int_equal(r->c.stop_reason, CHARGER_STOP_LINK);
    assert_true(run_until(r, is_at_rest, 10000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 10000));
    const struct charger_session_record *rec = last_record(r);
    assert_int_equal(rec->stop, CHARGER_STOP_LINK);
    assert_non_null(strstr(rec->detail, "V2G connection lost"));
    assert_null(charger_held_fault(&r->c));
}

/* The same when the loop sees both in one pass (stalled by a loaded host): the link is
 * already down when the gate's opening is judged, so the link is still the cause. */
static void test_gate_and_link_loss_in_one_pass_is_link_stop(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    s_rig_gate = true;
    rig_setup(r, NULL, true);
    s_rig_gate = false;
    plug(r);
    assert_true(run_until(r, is_cable_check_closed, 30000));
    run(r, 200);
    r->link.st = CHARGER_TRANSPORT_MATCHING;
    r->ev_running = false;
    r->s2_stuck_open = true;
    (void)pilot_ev_set_s2(&r->pilot.ev, false);
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->power.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run(r, 20);
    assert_true(interlock_gate_dropped(&r->c.il));
    assert_int_equal(r->c.stop_reason, CHARGER_STOP_LINK);
    assert_true(run_until(r, is_at_rest, 10000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 10000));
    assert_int_equal(last_record(r)->stop, CHARGER_STOP_LINK);
}

static void test_graceful_then_emergency_reason(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    plug(r);
    assert_true(run_until(r, is_charging, 30000));
    r->ev_running = false; /* the car does not end the session: the graceful stop lasts */
    charger_request_stop(&r->c);
    run(r, 50);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_GRACEFUL);
    r->imd.device_fault = true;
    run(r, 20);
    assert_int_equal(r->c.shutdown, CHARGER_SHUTDOWN_EMERGENCY);
    r->imd.device_fault = false;
    assert_true(run_until(r, is_at_rest, 5000));
    unplug(r);
    assert_true(run_until(r, is_idle_again, 2000));
    const struct charger_session_record *rec = last_record(r);
    assert_int_equal(rec->stop, CHARGER_STOP_IMD);
    assert_string_equal(rec->detail, "DeviceFault");
}

/* A faulted stage (HIGH) must keep the connector from offering a session whichever
 * error came first in the table. */
static void test_psu_fault_behind_another_error_blocks_session(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_setup(r, NULL, true);
    r->imd.device_fault = true; /* raised first (low while nothing is energised) */
    run(r, 50);
    r->psu.errs[0] = (struct psu_error){.type = PSU_ERR_COMMUNICATION_FAULT, .severity = PSU_SEV_HIGH,
                                        .subtype = PSU_SUBTYPE_SYSTEM};
    r->psu.nerr = 1;
    run(r, 50);
    assert_int_equal(r->c.err.active[0].source, ERRORS_SRC_IMD);
    pilot_ev_plug(&r->pilot.ev, true);
    run(r, 500);
    assert_int_equal(charger_state(&r->c), CHARGER_IDLE);
    assert_int_equal(r->c.stats.sessions, 0);
    assert_int_equal(r->pilot.duty, HAL_PILOT_DUTY_DC_HIGH);
    /* The stage recovers: the next plug-in is served. */
    r->psu.nerr = 0;
    run(r, 100);
    assert_int_equal(charger_state(&r->c), CHARGER_LINK);
}

static void test_errors_table(void **state)
{
    (void)state;
    struct errors e;
    enum errors_severity w;
    errors_init(&e);
    assert_false(errors_worst(&e, &w));
    assert_true(errors_raise(&e, ERRORS_SRC_PSU, 1, ERRORS_SEV_LOW, "warn", 0));
    assert_false(errors_raise(&e, ERRORS_SRC_PSU, 1, ERRORS_SEV_LOW, "warn", 1));
    assert_null(errors_first(&e));
    assert_true(errors_raise(&e, ERRORS_SRC_PSU, 1, ERRORS_SEV_HIGH, "worse", 2));
    assert_true(errors_worst(&e, &w));
    assert_int_equal(w, ERRORS_SEV_HIGH);
    assert_string_equal(errors_first(&e)->text, "worse");
    assert_true(errors_raise(&e, ERRORS_SRC_METER, 2, ERRORS_SEV_MEDIUM, "m", 3));
    assert_string_equal(errors_first(&e)->text, "worse"); /* the first stays the cause */
    assert_true(errors_clear(&e, ERRORS_SRC_PSU, 1));
    errors_session_begin(&e);
    assert_null(errors_first(&e));
    /* Still active in the next session: it becomes that session's cause when seen again. */
    assert_false(errors_raise(&e, ERRORS_SRC_METER, 2, ERRORS_SEV_MEDIUM, "m", 4));
    assert_non_null(errors_first(&e));
    for (uint32_t i = 0; i < CFG_ERRORS_MAX + 4u; i++) {
        (void)errors_raise(&e, ERRORS_SRC_LINK, 100 + i, ERRORS_SEV_LOW, "x", 5);
    }
    assert_true(e.count == CFG_ERRORS_MAX);
    assert_true(e.dropped > 0);
    errors_clear_source(&e, ERRORS_SRC_LINK);
    assert_true(errors_active(&e, ERRORS_SRC_METER, 2));
    assert_false(errors_active(&e, ERRORS_SRC_LINK, 100));
    /* The entry to react to: the oldest of the worst, whatever the table order. */
    errors_init(&e);
    assert_null(errors_worst_entry(&e));
    (void)errors_raise(&e, ERRORS_SRC_METER, 1, ERRORS_SEV_MEDIUM, "first, medium", 10);
    (void)errors_raise(&e, ERRORS_SRC_IMD, 2, ERRORS_SEV_HIGH, "second, high", 11);
    (void)errors_raise(&e, ERRORS_SRC_PSU, 3, ERRORS_SEV_HIGH, "third, high", 12);
    assert_string_equal(errors_worst_entry(&e)->text, "second, high");
    assert_string_equal(errors_first(&e)->text, "first, medium");
    assert_true(errors_any(&e, ERRORS_SRC_PSU, ERRORS_SEV_HIGH));
    assert_false(errors_any(&e, ERRORS_SRC_METER, ERRORS_SEV_HIGH));
    assert_true(errors_clear(&e, ERRORS_SRC_METER, 1)); /* moves the PSU entry first */
    assert_string_equal(errors_worst_entry(&e)->text, "second, high");
    /* The session's first stopping error keeps its claim once cleared, unless worse is active. */
    errors_init(&e);
    (void)errors_raise(&e, ERRORS_SRC_IMD, 2, ERRORS_SEV_HIGH, "cleared, high", 20);
    assert_true(errors_clear(&e, ERRORS_SRC_IMD, 2));
    assert_string_equal(errors_worst_entry(&e)->text, "cleared, high");
    (void)errors_raise(&e, ERRORS_SRC_V2G, 3, ERRORS_SEV_HIGH, "later, high", 21);
    assert_string_equal(errors_worst_entry(&e)->text, "cleared, high");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_session),
        cmocka_unit_test(test_psu_told_the_session),
        cmocka_unit_test(test_iso2_session),
        cmocka_unit_test(test_iso2_pause_never_resumes),
        cmocka_unit_test(test_iso2_pause_and_resume),
        cmocka_unit_test(test_iso2_charger_initiated_renegotiation),
        cmocka_unit_test(test_iso2_failed_answer_stops_with_reason),
        cmocka_unit_test(test_ev_max_power_bounds_the_current),
        cmocka_unit_test(test_power_limit_and_derating),
        cmocka_unit_test(test_isolation_fault_in_cable_check),
        cmocka_unit_test(test_imd_selftest_fails),
        cmocka_unit_test(test_imd_device_fault_while_charging),
        cmocka_unit_test(test_no_imd),
        cmocka_unit_test(test_no_imd_lab_override),
        cmocka_unit_test(test_imd_ok_but_invalid_is_no_measurement),
        cmocka_unit_test(test_estop_while_charging),
        cmocka_unit_test(test_unplug_while_charging),
        cmocka_unit_test(test_ev_error_code),
        cmocka_unit_test(test_local_stop_is_graceful),
        cmocka_unit_test(test_graceful_stop_times_out),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_external_authorisation),
        cmocka_unit_test(test_authorisation_token_in_transaction),
        cmocka_unit_test(test_authorisation_delay_with_meter),
        cmocka_unit_test(test_meter_stop_acknowledged_after_next_plug_in),
        cmocka_unit_test(test_meter_key_mismatch_stops_session),
        cmocka_unit_test(test_sequence_timeout),
        cmocka_unit_test(test_link_lost_while_charging),
        cmocka_unit_test(test_psu_system_error),
        cmocka_unit_test(test_over_voltage),
        cmocka_unit_test(test_connector_rating_caps_every_setpoint),
        cmocka_unit_test(test_target_above_rating_within_grace_is_clamped),
        cmocka_unit_test(test_over_voltage_limit_uses_connector_rating),
        cmocka_unit_test(test_stale_voltage_stops),
        cmocka_unit_test(test_ovm_sees_what_the_stage_does_not),
        cmocka_unit_test(test_dead_ovm_falls_back_then_stops),
        cmocka_unit_test(test_ovm_hardware_trip_stops_at_once),
        cmocka_unit_test(test_limit_flags_belong_to_their_request),
        cmocka_unit_test(test_ev_never_in_state_c),
        cmocka_unit_test(test_slac_failure_retries_then_stops),
        cmocka_unit_test(test_diode_fault),
        cmocka_unit_test(test_two_errors_reason_follows_action),
        cmocka_unit_test(test_gate_opens_while_charging_is_ev_stop),
        cmocka_unit_test(test_gate_opens_after_link_loss_is_link_stop),
        cmocka_unit_test(test_gate_and_link_loss_in_one_pass_is_link_stop),
        cmocka_unit_test(test_next_car_plugged_in_during_fault_power_down),
        cmocka_unit_test(test_graceful_then_emergency_reason),
        cmocka_unit_test(test_psu_fault_behind_another_error_blocks_session),
        cmocka_unit_test(test_errors_table),
        cmocka_unit_test(test_pp_short_while_charging),
        cmocka_unit_test(test_pp_open_while_charging),
        cmocka_unit_test(test_pp_unplug_is_unplug),
        cmocka_unit_test(test_stop_power_delivery_right_after_cable_check),
        cmocka_unit_test(test_stop_power_delivery_during_precharge),
        cmocka_unit_test(test_stop_session_stop_before_charging),
        cmocka_unit_test(test_stop_session_stop_while_charging),
        cmocka_unit_test(test_stop_link_lost_in_precharge),
        cmocka_unit_test(test_stop_new_handshake_mid_session),
        cmocka_unit_test(test_pp_short_at_plug_in),
        cmocka_unit_test(test_pp_not_supported_is_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
