/*
 * hlc_iso20.c - the ISO 15118-20 DC EIM backend of the neutral V2G layer: pick the EXI
 * grammar by the V2GTP payload type (0x8002 common messages, 0x8004 DC; hlc_set_payload_type),
 * decode, translate the charger's neutral status into the machine's
 * (protocols/iso20/iso20_evse.h), handle, encode in the request's namespace and name the
 * answer's payload type, translate what the EV asked back into neutral terms, and keep a
 * paused session across connections (struct hlc.iso20_paused). A payload that does not
 * decode, or one of another namespace (AC 0x8003, DIN/-2 after negotiating -20), ends the
 * session: the car is not a peer to keep charging with.
 */
#include "hlc_iso20.h"

#if CFG_HLC_ISO20

#include <string.h>

#include "exi/exi_stream.h"
#include "hlc_dc.h"

_Static_assert((uint32_t)HLC_EVT_SESSION == ISO20_EVSE_EV_SESSION && (uint32_t)HLC_EVT_AUTHORIZE == ISO20_EVSE_EV_AUTHORIZE &&
                   (uint32_t)HLC_EVT_CHARGE_PARAMS == ISO20_EVSE_EV_CHARGE_PARAMS &&
                   (uint32_t)HLC_EVT_CABLE_CHECK == ISO20_EVSE_EV_CABLE_CHECK &&
                   (uint32_t)HLC_EVT_PRECHARGE == ISO20_EVSE_EV_PRECHARGE &&
                   (uint32_t)HLC_EVT_POWER_ON == ISO20_EVSE_EV_POWER_ON &&
                   (uint32_t)HLC_EVT_CURRENT_DEMAND == ISO20_EVSE_EV_CURRENT_DEMAND &&
                   (uint32_t)HLC_EVT_POWER_OFF == ISO20_EVSE_EV_POWER_OFF &&
                   (uint32_t)HLC_EVT_WELDING == ISO20_EVSE_EV_WELDING &&
                   (uint32_t)HLC_EVT_SESSION_STOP == ISO20_EVSE_EV_SESSION_STOP &&
                   (uint32_t)HLC_EVT_EV_ERROR == ISO20_EVSE_EV_EV_ERROR &&
                   (uint32_t)HLC_EVT_CHARGING_COMPLETE == ISO20_EVSE_EV_CHARGING_COMPLETE &&
                   (uint32_t)HLC_EVT_CLOSE == ISO20_EVSE_EV_CLOSE && (uint32_t)HLC_EVT_TIMEOUT == ISO20_EVSE_EV_TIMEOUT &&
                   (uint32_t)HLC_EVT_PRECHARGE_LONG == ISO20_EVSE_EV_PRECHARGE_LONG &&
                   (uint32_t)HLC_EVT_PAUSE == ISO20_EVSE_EV_PAUSE &&
                   (uint32_t)HLC_EVT_RENEGOTIATE == ISO20_EVSE_EV_RENEGOTIATE &&
                   (uint32_t)HLC_EVT_RESUMED == ISO20_EVSE_EV_RESUMED &&
                   (uint32_t)HLC_EVT_HOLD == ISO20_EVSE_EV_HOLD,
               "hlc event bits must equal the ISO-20 machine's");

static void hlc_iso20_ev(const struct iso20_evse_ev *d, struct hlc_ev *e)
{
    hlc_dc_ev(&d->dc, e);
    uint8_t n = d->evccid_len <= HLC_EVCCID_MAX ? d->evccid_len : (uint8_t)HLC_EVCCID_MAX;
    memcpy(e->evccid, d->evccid, n);
    e->evccid_len = n;
    e->departure_s = d->departure_s;
    e->schedule_tuple_id = d->tuple_id <= 255u ? (uint8_t)d->tuple_id : 0u;
}

void hlc_iso20_status(const struct hlc_evse *e, struct iso20_evse_status *st)
{
    memset(st, 0, sizeof *st);
    hlc_dc_status(e, &st->dc);
    /* -20 has no isolation element: a fault fails the cable check and, later, every
     * answer (spec sheet N15: FAILED, output off). */
    st->emergency = e->status == HLC_EVSE_EMERGENCY_SHUTDOWN || e->status == HLC_EVSE_MALFUNCTION ||
                    e->isolation == HLC_ISOLATION_FAULT;
    if (e->isolation == HLC_ISOLATION_FAULT) {
        st->dc.cable_check_failed = true;
    }
    st->can_discharge = e->can_discharge;
    if (e->status == HLC_EVSE_SHUTDOWN || e->notification == HLC_NOTIFY_STOP_CHARGING) {
        st->notification = ISO20_NOTIFY_TERMINATE;
    } else if (e->notification == HLC_NOTIFY_RENEGOTIATE) {
        st->notification = ISO20_NOTIFY_SCHEDULE_RENEGOTIATION;
    }
    st->notification_max_delay_s = (uint16_t)(e->notification_max_delay_s > 65535u ? 65535u
                                                                                      : e->notification_max_delay_s);
    uint8_t n = e->schedule.count <= ISO20_EVSE_PMAX_MAX ? e->schedule.count : (uint8_t)ISO20_EVSE_PMAX_MAX;
    for (uint8_t i = 0; i < n; i++) {
        st->pmax[i].start_s = e->schedule.entry[i].start_s;
        st->pmax[i].pmax_w = e->schedule.entry[i].pmax_w;
    }
    st->pmax_count = n;
}

static enum hlc_msg hlc_iso20_msg(enum iso20_msg k, const struct exi_iso20_document *c)
{
    switch (k) {
    case ISO20_MSG_SESSION_SETUP: return HLC_MSG_SESSION_SETUP;
    case ISO20_MSG_AUTHORIZATION: return HLC_MSG_AUTHORIZATION;
    case ISO20_MSG_SERVICE_DISCOVERY: return HLC_MSG_SERVICE_DISCOVERY;
    case ISO20_MSG_SERVICE_DETAIL: return HLC_MSG_SERVICE_DETAIL;
    case ISO20_MSG_AUTH_SETUP:
    case ISO20_MSG_SERVICE_SELECTION: return HLC_MSG_PAYMENT_SELECTION; /* the choice of service and payment */
    case ISO20_MSG_CHARGE_PARAMETER:
    case ISO20_MSG_SCHEDULE_EXCHANGE: return HLC_MSG_CHARGE_PARAMETERS; /* waits for the power stage */
    case ISO20_MSG_CABLE_CHECK: return HLC_MSG_CABLE_CHECK;
    case ISO20_MSG_PRECHARGE: return HLC_MSG_PRECHARGE;
    case ISO20_MSG_POWER_DELIVERY: {
        uint8_t cp = c->PowerDeliveryReq.ChargeProgress;
        return cp == exi_iso20_chargeProgressType_Start                   ? HLC_MSG_POWER_DELIVERY_START
               : cp == exi_iso20_chargeProgressType_ScheduleRenegotiation ? HLC_MSG_RENEGOTIATE
               : cp == exi_iso20_chargeProgressType_Standby               ? HLC_MSG_STANDBY
                                                                          : HLC_MSG_POWER_DELIVERY_STOP;
    }
    case ISO20_MSG_CHARGE_LOOP: return HLC_MSG_CURRENT_DEMAND;
    case ISO20_MSG_WELDING_DETECTION: return HLC_MSG_WELDING;
    case ISO20_MSG_SESSION_STOP: return HLC_MSG_SESSION_STOP;
    case ISO20_MSG_NONE: return HLC_MSG_NONE;
    default: return HLC_MSG_OTHER;
    }
}

/* The EV's stop wishes as the status hook should see them before the machine runs. */
static void hlc_iso20_view(enum iso20_msg k, const struct exi_iso20_document *c, struct hlc_ev *ev)
{
    if (k == ISO20_MSG_SESSION_STOP) {
        ev->stop_requested = c->SessionStopReq.ChargingSession != exi_iso20_chargingSessionType_ServiceRenegotiation;
        ev->pause_requested = c->SessionStopReq.ChargingSession == exi_iso20_chargingSessionType_Pause;
    } else if (k == ISO20_MSG_POWER_DELIVERY) {
        ev->renegotiate_requested = c->PowerDeliveryReq.ChargeProgress == exi_iso20_chargeProgressType_ScheduleRenegotiation;
    }
}

static int hlc_iso20_start(struct hlc *h, const uint8_t *sid, size_t sid_len, uint32_t now_ms)
{
    if (sid_len != ISO20_SESSION_ID_LEN) {
        return HAL_EINVAL;
    }
    int rc = iso20_evse_start(&h->m.iso20.m, &h->cfg.iso20, sid, &h->iso20_paused, now_ms);
    hlc_iso20_ev(iso20_evse_ev(&h->m.iso20.m), &h->ev);
    return rc;
}

static void hlc_iso20_reset(struct hlc *h)
{
    memset(&h->m.iso20, 0, sizeof h->m.iso20);
}

static int hlc_iso20_fail(struct hlc *h, struct hlc_result *res, enum hlc_error err, const char *detail,
                          const char *why)
{
    struct iso20_evse *m = &h->m.iso20.m;
    res->error = err;
    res->detail = detail;
    bool was_running = !iso20_evse_over(m);
    iso20_evse_fail(m, why);
    res->failed = was_running && iso20_evse_over(m);
    res->reason = iso20_evse_reason(m);
    res->phase_name = iso20_evse_phase_name(iso20_evse_phase(m));
    return HAL_EPROTO;
}

static int hlc_iso20_handle(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
                            hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
                            struct hlc_result *res, uint32_t now_ms)
{
    struct iso20_evse *m = &h->m.iso20.m;
    uint16_t pt = h->rx_type != 0 ? h->rx_type : (uint16_t)HLC_PT_EXI;
    /* 0x8001 for a common message is a known EV slip (Josev #183, #228): read it as 0x8002. */
    bool dc = pt == ISO20_PT_DC;
    if (!dc && pt != ISO20_PT_COMMON && pt != HLC_PT_EXI) {
        return hlc_iso20_fail(h, res, HLC_ERR_DECODE, "payload type of another namespace",
                              pt == ISO20_PT_AC ? "AC message (0x8003) in a -20 DC session"
                                                : "payload type not of ISO 15118-20 DC");
    }
    struct exi_reader r;
    exi_reader_init(&r, in, len);
    int drc = dc ? exi_iso20_dc_decode(&r, &h->doc.iso20.req.dc) : exi_iso20_decode(&r, &h->doc.iso20.req.common);
    if (drc != HAL_OK) {
        return hlc_iso20_fail(h, res, HLC_ERR_DECODE, exi_error_str(r.error),
                              dc ? "undecodable ISO 15118-20 DC message" : "undecodable ISO 15118-20 message");
    }
    const struct exi_iso20_document *c = dc ? NULL : &h->doc.iso20.req.common;
    enum iso20_msg k = dc ? iso20_dc_request_kind(&h->doc.iso20.req.dc) : iso20_request_kind(c);
    struct hlc_ev view = h->ev;
    if (c != NULL) {
        hlc_iso20_view(k, c, &view);
    }
    struct hlc_request_view rq = {hlc_iso20_msg(k, c), &view};
    res->msg = rq.msg;
    if (status != NULL) {
        status(ctx, &rq, evse);
    }
    struct iso20_evse_status st;
    hlc_iso20_status(evse, &st);
    struct iso20_evse_in qin = {c, dc ? &h->doc.iso20.req.dc : NULL};
    struct iso20_evse_out qout = {&h->doc.iso20.res.common, &h->doc.iso20.res.dc};
    struct iso20_evse_request *o = &h->m.iso20.last;
    int rc = iso20_evse_handle(m, &qin, &st, &qout, o, now_ms);
    hlc_iso20_ev(iso20_evse_ev(m), &h->ev);
    h->ev.stop_requested = view.stop_requested;
    h->ev.pause_requested = view.pause_requested;
    h->ev.renegotiate_requested = view.renegotiate_requested;
    res->phase_name = iso20_evse_phase_name(iso20_evse_phase(m));
    if (rc != HAL_OK) {
        res->error = HLC_ERR_NO_ANSWER;
        res->detail = hal_strerror(rc);
        return rc;
    }
    iso20_evse_paused(m, &h->iso20_paused); /* valid only after SessionStop(Pause) */
    res->events = o->events;
    res->positive = iso20_response_code_positive(o->response_code);
    res->failed = o->phase == ISO20_EVSE_FAILED;
    res->reason = o->reason;
    res->msg_name = iso20_msg_name(o->msg);
    res->code_name = iso20_response_code_name(o->response_code);
    res->phase_name = iso20_evse_phase_name(o->phase);
    res->payload_type = o->dc ? (uint16_t)ISO20_PT_DC : (uint16_t)ISO20_PT_COMMON;
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    int erc = o->dc ? exi_iso20_dc_encode(&w, &h->doc.iso20.res.dc) : exi_iso20_encode(&w, &h->doc.iso20.res.common);
    if (erc == HAL_OK) {
        *out_len = exi_writer_len(&w);
    } else {
        res->error = HLC_ERR_ENCODE;
        res->detail = hal_strerror(erc);
    }
    return HAL_OK;
}

static void hlc_iso20_sent(struct hlc *h, uint32_t now_ms)
{
    iso20_evse_sent(&h->m.iso20.m, now_ms);
}

static uint32_t hlc_iso20_tick(struct hlc *h, uint32_t now_ms)
{
    return (iso20_evse_tick(&h->m.iso20.m, now_ms) & ISO20_EVSE_EV_TIMEOUT) ? (uint32_t)HLC_EVT_TIMEOUT : 0u;
}

static bool hlc_iso20_over(const struct hlc *h)
{
    return iso20_evse_over(&h->m.iso20.m);
}

const struct hlc_backend_ops hlc_iso20_ops = {
    .name = "iso20",
    .title = "ISO 15118-20 DC",
    .app = {.ns = APPHAND_NS_ISO20_DC, .major = 1, .minor = 0},
    .session_id_len = ISO20_SESSION_ID_LEN,
    .start = hlc_iso20_start,
    .reset = hlc_iso20_reset,
    .handle = hlc_iso20_handle,
    .sent = hlc_iso20_sent,
    .tick = hlc_iso20_tick,
    .over = hlc_iso20_over,
};

struct iso20_evse *hlc_iso20_machine(struct hlc *h)
{
    return &h->m.iso20.m;
}

const struct iso20_evse_request *hlc_iso20_last(const struct hlc *h)
{
    return &h->m.iso20.last;
}

const struct exi_iso20_document *hlc_iso20_request(const struct hlc *h)
{
    return h->m.iso20.last.dc ? NULL : &h->doc.iso20.req.common;
}

const struct exi_iso20_dc_document *hlc_iso20_dc_request(const struct hlc *h)
{
    return h->m.iso20.last.dc ? &h->doc.iso20.req.dc : NULL;
}

#endif /* CFG_HLC_ISO20 */
