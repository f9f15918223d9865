/*
 * hlc_iso2.c - the ISO 15118-2 DC EIM backend of the neutral V2G layer: decode an ISO-2
 * request, translate the charger's neutral status into the machine's
 * (protocols/iso2/iso2_evse.h), handle, encode, translate what the EV asked back into
 * neutral terms, and keep a paused session across connections (struct hlc.iso2_paused).
 * A payload that does not decode ends the session: an ISO-2 peer that sends garbage (or
 * DIN after negotiating ISO-2) is not a peer to keep charging with.
 * Plug & Charge: the context the charger lent (hlc_set_iso2_pnc) goes to each session,
 * with `secure` from the transport and the charger's clock of each request; the
 * machine's contract event becomes HLC_EVT_CONTRACT with the eMAID as the token.
 */
#include "hlc_iso2.h"

#if CFG_HLC_ISO2

#include <string.h>

#include "exi/exi_stream.h"
#include "hlc_dc.h"

_Static_assert((uint32_t)HLC_EVT_SESSION == ISO2_EVSE_EV_SESSION && (uint32_t)HLC_EVT_AUTHORIZE == ISO2_EVSE_EV_AUTHORIZE &&
                   (uint32_t)HLC_EVT_CHARGE_PARAMS == ISO2_EVSE_EV_CHARGE_PARAMS &&
                   (uint32_t)HLC_EVT_CABLE_CHECK == ISO2_EVSE_EV_CABLE_CHECK &&
                   (uint32_t)HLC_EVT_PRECHARGE == ISO2_EVSE_EV_PRECHARGE &&
                   (uint32_t)HLC_EVT_POWER_ON == ISO2_EVSE_EV_POWER_ON &&
                   (uint32_t)HLC_EVT_CURRENT_DEMAND == ISO2_EVSE_EV_CURRENT_DEMAND &&
                   (uint32_t)HLC_EVT_POWER_OFF == ISO2_EVSE_EV_POWER_OFF && (uint32_t)HLC_EVT_WELDING == ISO2_EVSE_EV_WELDING &&
                   (uint32_t)HLC_EVT_SESSION_STOP == ISO2_EVSE_EV_SESSION_STOP &&
                   (uint32_t)HLC_EVT_EV_ERROR == ISO2_EVSE_EV_EV_ERROR &&
                   (uint32_t)HLC_EVT_CHARGING_COMPLETE == ISO2_EVSE_EV_CHARGING_COMPLETE &&
                   (uint32_t)HLC_EVT_CLOSE == ISO2_EVSE_EV_CLOSE && (uint32_t)HLC_EVT_TIMEOUT == ISO2_EVSE_EV_TIMEOUT &&
                   (uint32_t)HLC_EVT_PRECHARGE_LONG == ISO2_EVSE_EV_PRECHARGE_LONG &&
                   (uint32_t)HLC_EVT_PAUSE == ISO2_EVSE_EV_PAUSE &&
                   (uint32_t)HLC_EVT_RENEGOTIATE == ISO2_EVSE_EV_RENEGOTIATE &&
                   (uint32_t)HLC_EVT_RESUMED == ISO2_EVSE_EV_RESUMED,
               "hlc event bits must equal the ISO-2 machine's");

/* The DC codes are the shared ones (hlc_dc.c maps the neutral values onto them). */
_Static_assert((int)exi_iso2_DC_EVSEStatusCodeType_EVSE_NotReady == V2G_DC_EVSE_NOT_READY &&
                   (int)exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready == V2G_DC_EVSE_READY &&
                   (int)exi_iso2_DC_EVSEStatusCodeType_EVSE_Shutdown == V2G_DC_EVSE_SHUTDOWN &&
                   (int)exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown == V2G_DC_EVSE_EMERGENCY_SHUTDOWN &&
                   (int)exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction == V2G_DC_EVSE_MALFUNCTION &&
                   (int)exi_iso2_isolationLevelType_Invalid == V2G_DC_ISOLATION_INVALID &&
                   (int)exi_iso2_isolationLevelType_Valid == V2G_DC_ISOLATION_VALID &&
                   (int)exi_iso2_isolationLevelType_Warning == V2G_DC_ISOLATION_WARNING &&
                   (int)exi_iso2_isolationLevelType_Fault == V2G_DC_ISOLATION_FAULT &&
                   (int)exi_iso2_EVSENotificationType_None == V2G_DC_NOTIFY_NONE &&
                   (int)exi_iso2_EVSENotificationType_StopCharging == V2G_DC_NOTIFY_STOP_CHARGING &&
                   (int)exi_iso2_EVSENotificationType_ReNegotiation == V2G_DC_NOTIFY_RENEGOTIATION &&
                   (int)exi_iso2_DC_EVErrorCodeType_NO_ERROR == V2G_DC_EV_NO_ERROR &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_RESSTemperatureInhibit == V2G_DC_EV_RESS_TEMPERATURE_INHIBIT &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_EVShiftPosition == V2G_DC_EV_SHIFT_POSITION &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_ChargerConnectorLockFault == V2G_DC_EV_CONNECTOR_LOCK_FAULT &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_EVRESSMalfunction == V2G_DC_EV_RESS_MALFUNCTION &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_ChargingCurrentdifferential == V2G_DC_EV_CURRENT_DIFFERENTIAL &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_ChargingVoltageOutOfRange == V2G_DC_EV_VOLTAGE_OUT_OF_RANGE &&
                   (int)exi_iso2_DC_EVErrorCodeType_FAILED_ChargingSystemIncompatibility == V2G_DC_EV_SYSTEM_INCOMPATIBILITY &&
                   (int)exi_iso2_DC_EVErrorCodeType_NoData == V2G_DC_EV_NO_DATA,
               "ISO-2's DC codes must be the shared ones");

static void hlc_iso2_ev(const struct iso2_evse_ev *d, struct hlc_ev *e)
{
    hlc_dc_ev(&d->dc, e);
    uint8_t n = d->evccid_len <= sizeof d->evccid ? d->evccid_len : (uint8_t)sizeof d->evccid;
    memcpy(e->evccid, d->evccid, n);
    e->evccid_len = n;
    e->departure_s = d->departure_s;
    e->schedule_tuple_id = d->tuple_id;
}

void hlc_iso2_status(const struct hlc_evse *e, struct iso2_evse_status *st)
{
    memset(st, 0, sizeof *st);
    hlc_dc_status(e, &st->dc);
    st->isolation = hlc_dc_isolation(e->isolation);
    st->status_code = hlc_dc_status_code(e->status);
    st->notification = hlc_dc_notification(e->notification);
    st->notification_max_delay_s = (uint16_t)(e->notification_max_delay_s > 65535u ? 65535u
                                                                                    : e->notification_max_delay_s);
    st->tuple_id = e->schedule_tuple_id;
    st->meter_valid = e->meter_valid;
    st->meter_wh = e->meter_wh;
    /* The charger's schedule entries; durations are the machine's (departure time, 24 h). */
    uint8_t n = e->schedule.count <= ISO2_EVSE_PMAX_MAX ? e->schedule.count : (uint8_t)ISO2_EVSE_PMAX_MAX;
    for (uint8_t i = 0; i < n; i++) {
        st->pmax[i].start_s = e->schedule.entry[i].start_s;
        st->pmax[i].pmax_w = e->schedule.entry[i].pmax_w;
    }
    st->pmax_count = n;
}

static enum hlc_msg hlc_iso2_msg(enum iso2_msg k, const struct exi_iso2_document *req)
{
    switch (k) {
    case ISO2_MSG_SESSION_SETUP: return HLC_MSG_SESSION_SETUP;
    case ISO2_MSG_SERVICE_DISCOVERY: return HLC_MSG_SERVICE_DISCOVERY;
    case ISO2_MSG_SERVICE_DETAIL: return HLC_MSG_SERVICE_DETAIL;
    case ISO2_MSG_PAYMENT_SELECTION: return HLC_MSG_PAYMENT_SELECTION;
    case ISO2_MSG_AUTHORIZATION: return HLC_MSG_AUTHORIZATION;
    case ISO2_MSG_CHARGE_PARAMETER: return HLC_MSG_CHARGE_PARAMETERS;
    case ISO2_MSG_CABLE_CHECK: return HLC_MSG_CABLE_CHECK;
    case ISO2_MSG_PRECHARGE: return HLC_MSG_PRECHARGE;
    case ISO2_MSG_POWER_DELIVERY: {
        uint8_t cp = req->V2G_Message.Body.PowerDeliveryReq.ChargeProgress;
        return cp == exi_iso2_chargeProgressType_Start         ? HLC_MSG_POWER_DELIVERY_START
               : cp == exi_iso2_chargeProgressType_Renegotiate ? HLC_MSG_RENEGOTIATE
                                                               : HLC_MSG_POWER_DELIVERY_STOP;
    }
    case ISO2_MSG_CURRENT_DEMAND: return HLC_MSG_CURRENT_DEMAND;
    case ISO2_MSG_WELDING_DETECTION: return HLC_MSG_WELDING;
    case ISO2_MSG_SESSION_STOP: return HLC_MSG_SESSION_STOP;
    case ISO2_MSG_NONE: return HLC_MSG_NONE;
    default: return HLC_MSG_OTHER;
    }
}

/* The EV's values as the machine will take them from this request (see hlc_din_view). */
static void hlc_iso2_view(const struct exi_iso2_document *req, enum iso2_msg k, struct hlc_ev *ev)
{
    const struct exi_iso2_BodyType *b = &req->V2G_Message.Body;
    if (k == ISO2_MSG_CURRENT_DEMAND) {
        const struct exi_iso2_CurrentDemandReqType *q = &b->CurrentDemandReq;
        ev->ready = q->DC_EVStatus.EVReady;
        int32_t tc = iso2_pv_milli32(&q->EVTargetCurrent);
        ev->target_current_ma = tc < 0 ? 0 : tc;
        int32_t tv = iso2_pv_milli32(&q->EVTargetVoltage);
        if (tv > 0) {
            ev->target_voltage_mv = tv;
        }
        if (q->EVMaximumVoltageLimit_isUsed) {
            ev->max_voltage_mv = iso2_pv_milli32(&q->EVMaximumVoltageLimit);
        }
        if (q->EVMaximumCurrentLimit_isUsed) {
            ev->max_current_ma = iso2_pv_milli32(&q->EVMaximumCurrentLimit);
        }
    } else if (k == ISO2_MSG_PRECHARGE) {
        ev->target_voltage_mv = iso2_pv_milli32(&b->PreChargeReq.EVTargetVoltage);
        ev->target_current_ma = iso2_pv_milli32(&b->PreChargeReq.EVTargetCurrent);
    } else if (k == ISO2_MSG_SESSION_STOP) {
        ev->stop_requested = true;
        ev->pause_requested = b->SessionStopReq.ChargingSession == exi_iso2_chargingSessionType_Pause;
    } else if (k == ISO2_MSG_POWER_DELIVERY) {
        ev->renegotiate_requested = b->PowerDeliveryReq.ChargeProgress == exi_iso2_chargeProgressType_Renegotiate;
    }
}

/* The machine's contract bit is bit 18, which the neutral layer gives to -20's HOLD: it
 * must not reach the charger as such. */
_Static_assert((uint32_t)ISO2_EVSE_EV_CONTRACT == (uint32_t)HLC_EVT_HOLD,
               "the ISO-2 contract bit is translated, not passed through");

static int hlc_iso2_start(struct hlc *h, const uint8_t *sid, size_t sid_len, uint32_t now_ms)
{
    int rc = iso2_evse_start(&h->m.iso2.m, &h->cfg.iso2, sid, sid_len, &h->iso2_paused, now_ms);
    if (rc == HAL_OK && h->iso2_pnc != NULL) {
        /* Contract only over TLS ([V2G2-465] as the spec sheet cites it: not listed on
         * plain TCP); the lab switch lets the simulator's plain link stand in for it. */
        h->iso2_pnc->secure = h->transport == HLC_TRANSPORT_TLS12 || h->transport == HLC_TRANSPORT_TLS13 ||
                              ((h->transport == HLC_TRANSPORT_TCP || h->transport == HLC_TRANSPORT_UNKNOWN) &&
                               h->cfg.iso2_pnc_plain_tcp);
        (void)iso2_evse_lend_pnc(&h->m.iso2.m, h->iso2_pnc); /* its owner ran iso2_evse_pnc_init() */
    }
    hlc_iso2_ev(iso2_evse_ev(&h->m.iso2.m), &h->ev);
    return rc;
}

static void hlc_iso2_reset(struct hlc *h)
{
    memset(&h->m.iso2, 0, sizeof h->m.iso2);
}

static int hlc_iso2_handle(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
                           hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
                           struct hlc_result *res, uint32_t now_ms)
{
    struct exi_iso2_document *req = &h->doc.iso2.req;
    struct exi_iso2_document *rsp = &h->doc.iso2.res;
    struct iso2_evse *m = &h->m.iso2.m;
    struct exi_reader r;
    exi_reader_init(&r, in, len);
    if (exi_iso2_decode(&r, req) != HAL_OK) {
        /* Not answerable (we cannot tell which response type it wants): end the session. */
        res->error = HLC_ERR_DECODE;
        res->detail = exi_error_str(r.error);
        bool was_running = !iso2_evse_over(m);
        iso2_evse_fail(m, "undecodable ISO 15118-2 message");
        res->failed = was_running && iso2_evse_over(m);
        res->reason = iso2_evse_reason(m);
        res->phase_name = iso2_evse_phase_name(iso2_evse_phase(m));
        return HAL_EPROTO;
    }
    enum iso2_msg k = iso2_request_kind(req);
    struct hlc_ev view = h->ev;
    hlc_iso2_view(req, k, &view);
    struct hlc_request_view rq = {hlc_iso2_msg(k, req), &view};
    res->msg = rq.msg;
    if (status != NULL) {
        status(ctx, &rq, evse);
    }
    struct iso2_evse_status st;
    hlc_iso2_status(evse, &st);
    if (h->iso2_pnc != NULL && evse->unix_time_s > 0) {
        h->iso2_pnc->now_s = evse->unix_time_s; /* the charger's clock for the chain's validity */
    }
    struct iso2_evse_request *o = &h->m.iso2.last;
    int rc = iso2_evse_handle(m, req, &st, rsp, o, now_ms);
    hlc_iso2_ev(iso2_evse_ev(m), &h->ev);
    h->ev.stop_requested = view.stop_requested;
    h->ev.pause_requested = view.pause_requested;
    h->ev.renegotiate_requested = view.renegotiate_requested;
    res->phase_name = iso2_evse_phase_name(iso2_evse_phase(m));
    if (rc != HAL_OK) {
        res->error = HLC_ERR_NO_ANSWER;
        res->detail = hal_strerror(rc);
        return rc;
    }
    iso2_evse_paused(m, &h->iso2_paused); /* valid only after SessionStop(Pause) */
    res->events = o->events & ~(uint32_t)ISO2_EVSE_EV_CONTRACT;
    if (o->events & ISO2_EVSE_EV_CONTRACT) {
        res->events |= HLC_EVT_CONTRACT;
        res->token = iso2_evse_emaid(m);
    }
    res->note = o->note != NULL ? o->note : "";
    res->positive = iso2_response_code_ok(o->response_code);
    res->failed = o->phase == ISO2_EVSE_FAILED;
    res->reason = o->reason;
    res->msg_name = iso2_msg_name(o->msg);
    res->code_name = iso2_response_code_name(o->response_code);
    res->phase_name = iso2_evse_phase_name(o->phase);
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    int erc = exi_iso2_encode(&w, rsp);
    if (erc == HAL_OK) {
        *out_len = exi_writer_len(&w);
    } else {
        res->error = HLC_ERR_ENCODE;
        res->detail = hal_strerror(erc);
    }
    return HAL_OK;
}

static void hlc_iso2_sent(struct hlc *h, uint32_t now_ms)
{
    iso2_evse_sent(&h->m.iso2.m, now_ms);
}

static uint32_t hlc_iso2_tick(struct hlc *h, uint32_t now_ms)
{
    return (iso2_evse_tick(&h->m.iso2.m, now_ms) & ISO2_EVSE_EV_TIMEOUT) ? (uint32_t)HLC_EVT_TIMEOUT : 0u;
}

static bool hlc_iso2_over(const struct hlc *h)
{
    return iso2_evse_over(&h->m.iso2.m);
}

const struct hlc_backend_ops hlc_iso2_ops = {
    .name = "iso2",
    .title = "ISO 15118-2",
    .app = {.ns = APPHAND_NS_ISO2, .major = 2, .minor = 0},
    .session_id_len = 8,
    .start = hlc_iso2_start,
    .reset = hlc_iso2_reset,
    .handle = hlc_iso2_handle,
    .sent = hlc_iso2_sent,
    .tick = hlc_iso2_tick,
    .over = hlc_iso2_over,
};

struct iso2_evse *hlc_iso2_machine(struct hlc *h)
{
    return &h->m.iso2.m;
}

const struct iso2_evse_request *hlc_iso2_last(const struct hlc *h)
{
    return &h->m.iso2.last;
}

const struct exi_iso2_document *hlc_iso2_request(const struct hlc *h)
{
    return &h->doc.iso2.req;
}

const struct exi_iso2_document *hlc_iso2_response(const struct hlc *h)
{
    return &h->doc.iso2.res;
}

#endif /* CFG_HLC_ISO2 */
