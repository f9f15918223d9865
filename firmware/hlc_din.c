/*
 * hlc_din.c - the DIN SPEC 70121 backend of the neutral V2G layer: decode a DIN request,
 * translate the charger's neutral status into the DIN machine's (protocols/din/din_evse.h),
 * handle, encode, and translate what the EV asked for back into neutral terms. Every DIN
 * EXI enum value the session manager used to write lives here.
 */
#include "hlc_din.h"

#if CFG_HLC_DIN

#include <string.h>

#include "exi/exi_stream.h"
#include "hlc_dc.h"

/* The neutral event bits are the DIN machine's, bit for bit: a copy, no table. */
_Static_assert((uint32_t)HLC_EVT_SESSION == DIN_EVSE_EV_SESSION && (uint32_t)HLC_EVT_AUTHORIZE == DIN_EVSE_EV_AUTHORIZE &&
                   (uint32_t)HLC_EVT_CHARGE_PARAMS == DIN_EVSE_EV_CHARGE_PARAMS &&
                   (uint32_t)HLC_EVT_CABLE_CHECK == DIN_EVSE_EV_CABLE_CHECK &&
                   (uint32_t)HLC_EVT_PRECHARGE == DIN_EVSE_EV_PRECHARGE && (uint32_t)HLC_EVT_POWER_ON == DIN_EVSE_EV_POWER_ON &&
                   (uint32_t)HLC_EVT_CURRENT_DEMAND == DIN_EVSE_EV_CURRENT_DEMAND &&
                   (uint32_t)HLC_EVT_POWER_OFF == DIN_EVSE_EV_POWER_OFF && (uint32_t)HLC_EVT_WELDING == DIN_EVSE_EV_WELDING &&
                   (uint32_t)HLC_EVT_SESSION_STOP == DIN_EVSE_EV_SESSION_STOP &&
                   (uint32_t)HLC_EVT_EV_ERROR == DIN_EVSE_EV_EV_ERROR &&
                   (uint32_t)HLC_EVT_CHARGING_COMPLETE == DIN_EVSE_EV_CHARGING_COMPLETE &&
                   (uint32_t)HLC_EVT_CLOSE == DIN_EVSE_EV_CLOSE && (uint32_t)HLC_EVT_TIMEOUT == DIN_EVSE_EV_TIMEOUT &&
                   (uint32_t)HLC_EVT_PRECHARGE_LONG == DIN_EVSE_EV_PRECHARGE_LONG,
               "hlc event bits must equal the DIN machine's");
_Static_assert(DIN_SESSION_ID_MAX <= HLC_EVCCID_MAX, "EVCCID buffer");

/* The DC codes are the shared ones (hlc_dc.c maps the neutral values onto them). */
_Static_assert((int)exi_din_DC_EVSEStatusCodeType_EVSE_NotReady == V2G_DC_EVSE_NOT_READY &&
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_Ready == V2G_DC_EVSE_READY &&
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown == V2G_DC_EVSE_SHUTDOWN &&
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown == V2G_DC_EVSE_EMERGENCY_SHUTDOWN &&
                   (int)exi_din_DC_EVSEStatusCodeType_EVSE_Malfunction == V2G_DC_EVSE_MALFUNCTION &&
                   (int)exi_din_isolationLevelType_Invalid == V2G_DC_ISOLATION_INVALID &&
                   (int)exi_din_isolationLevelType_Valid == V2G_DC_ISOLATION_VALID &&
                   (int)exi_din_isolationLevelType_Warning == V2G_DC_ISOLATION_WARNING &&
                   (int)exi_din_isolationLevelType_Fault == V2G_DC_ISOLATION_FAULT &&
                   (int)exi_din_EVSENotificationType_None == V2G_DC_NOTIFY_NONE &&
                   (int)exi_din_EVSENotificationType_StopCharging == V2G_DC_NOTIFY_STOP_CHARGING &&
                   (int)exi_din_EVSENotificationType_ReNegotiation == V2G_DC_NOTIFY_RENEGOTIATION &&
                   (int)exi_din_DC_EVErrorCodeType_NO_ERROR == V2G_DC_EV_NO_ERROR &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_RESSTemperatureInhibit == V2G_DC_EV_RESS_TEMPERATURE_INHIBIT &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_EVShiftPosition == V2G_DC_EV_SHIFT_POSITION &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_ChargerConnectorLockFault == V2G_DC_EV_CONNECTOR_LOCK_FAULT &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_EVRESSMalfunction == V2G_DC_EV_RESS_MALFUNCTION &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_ChargingCurrentdifferential == V2G_DC_EV_CURRENT_DIFFERENTIAL &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_ChargingVoltageOutOfRange == V2G_DC_EV_VOLTAGE_OUT_OF_RANGE &&
                   (int)exi_din_DC_EVErrorCodeType_FAILED_ChargingSystemIncompatibility == V2G_DC_EV_SYSTEM_INCOMPATIBILITY &&
                   (int)exi_din_DC_EVErrorCodeType_NoData == V2G_DC_EV_NO_DATA,
               "DIN's DC codes must be the shared ones");

uint8_t hlc_din_status_code(enum hlc_evse_status s)
{
    return hlc_dc_status_code(s);
}

static void hlc_din_ev(const struct din_evse_ev *d, struct hlc_ev *e)
{
    hlc_dc_ev(&d->dc, e);
    memcpy(e->evccid, d->evccid, d->evccid_len <= sizeof d->evccid ? d->evccid_len : sizeof d->evccid);
    e->evccid_len = d->evccid_len <= sizeof d->evccid ? d->evccid_len : (uint8_t)sizeof d->evccid;
}

void hlc_din_status(const struct hlc_evse *e, struct din_evse_status *st)
{
    memset(st, 0, sizeof *st);
    hlc_dc_status(e, &st->dc);
    st->isolation = hlc_dc_isolation(e->isolation);
    st->status_code = hlc_dc_status_code(e->status);
    st->notification = hlc_dc_notification(e->notification);
    st->notification_max_delay_s = e->notification_max_delay_s;
    /* DIN sends one PMax entry: the schedule's first, when the charger gives one. */
    st->pmax_w = e->schedule.count > 0 ? (int32_t)(e->schedule.entry[0].pmax_w > INT32_MAX
                                                       ? INT32_MAX
                                                       : e->schedule.entry[0].pmax_w)
                                       : 0;
}

static enum hlc_msg hlc_din_msg(enum din_msg k, const struct exi_din_document *req)
{
    switch (k) {
    case DIN_MSG_NONE: return HLC_MSG_NONE;
    case DIN_MSG_SESSION_SETUP: return HLC_MSG_SESSION_SETUP;
    case DIN_MSG_SERVICE_DISCOVERY: return HLC_MSG_SERVICE_DISCOVERY;
    case DIN_MSG_PAYMENT_SELECTION: return HLC_MSG_PAYMENT_SELECTION;
    case DIN_MSG_CONTRACT_AUTH: return HLC_MSG_AUTHORIZATION;
    case DIN_MSG_CHARGE_PARAMETER: return HLC_MSG_CHARGE_PARAMETERS;
    case DIN_MSG_CABLE_CHECK: return HLC_MSG_CABLE_CHECK;
    case DIN_MSG_PRECHARGE: return HLC_MSG_PRECHARGE;
    case DIN_MSG_POWER_DELIVERY:
        return req->V2G_Message.Body.PowerDeliveryReq.ReadyToChargeState ? HLC_MSG_POWER_DELIVERY_START
                                                                         : HLC_MSG_POWER_DELIVERY_STOP;
    case DIN_MSG_CURRENT_DEMAND: return HLC_MSG_CURRENT_DEMAND;
    case DIN_MSG_WELDING_DETECTION: return HLC_MSG_WELDING;
    case DIN_MSG_SESSION_STOP: return HLC_MSG_SESSION_STOP;
    case DIN_MSG_UNUSED:
    case DIN_MSG_COUNT:
        break;
    }
    return HLC_MSG_OTHER;
}

/* The EV's values as the machine will take them from this request: CurrentDemandReq's
 * readiness, targets and limits (a target voltage of 0 keeps the last, a negative current
 * is 0), PreChargeReq's targets as sent. The session manager computes the limit flags of
 * the answer from them before the answer is built. */
static void hlc_din_view(const struct exi_din_document *req, enum din_msg k, struct hlc_ev *ev)
{
    const struct exi_din_BodyType *b = &req->V2G_Message.Body;
    if (k == DIN_MSG_CURRENT_DEMAND) {
        const struct exi_din_CurrentDemandReqType *q = &b->CurrentDemandReq;
        ev->ready = q->DC_EVStatus.EVReady;
        int32_t tc = din_pv_milli32(&q->EVTargetCurrent);
        ev->target_current_ma = tc < 0 ? 0 : tc;
        int32_t tv = din_pv_milli32(&q->EVTargetVoltage);
        if (tv > 0) {
            ev->target_voltage_mv = tv;
        }
        if (q->EVMaximumVoltageLimit_isUsed) {
            ev->max_voltage_mv = din_pv_milli32(&q->EVMaximumVoltageLimit);
        }
        if (q->EVMaximumCurrentLimit_isUsed) {
            ev->max_current_ma = din_pv_milli32(&q->EVMaximumCurrentLimit);
        }
    } else if (k == DIN_MSG_PRECHARGE) {
        ev->target_voltage_mv = din_pv_milli32(&b->PreChargeReq.EVTargetVoltage);
        ev->target_current_ma = din_pv_milli32(&b->PreChargeReq.EVTargetCurrent);
    }
}

static int hlc_din_start(struct hlc *h, const uint8_t *sid, size_t sid_len, uint32_t now_ms)
{
    struct din_session_id id;
    memset(&id, 0, sizeof id);
    if (sid_len > sizeof id.bytes) {
        return HAL_EINVAL;
    }
    memcpy(id.bytes, sid, sid_len);
    id.len = (uint8_t)sid_len;
    int rc = din_evse_start(&h->m.din.m, &h->cfg.din, &id, now_ms);
    hlc_din_ev(din_evse_ev(&h->m.din.m), &h->ev);
    return rc;
}

static void hlc_din_reset(struct hlc *h)
{
    memset(&h->m.din, 0, sizeof h->m.din);
}

static int hlc_din_handle(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
                          hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
                          struct hlc_result *res, uint32_t now_ms)
{
    struct exi_din_document *req = &h->doc.din.req;
    struct exi_din_document *rsp = &h->doc.din.res;
    struct exi_reader r;
    exi_reader_init(&r, in, len);
    if (exi_din_decode(&r, req) != HAL_OK) {
        /* Not answerable (no response type is known): the session ends, as ISO-2's does, so
         * a car that speaks another protocol than it negotiated is stopped at once with the
         * reason named instead of waiting for the car to give up (issue 14, bad input). */
        struct din_evse *m = &h->m.din.m;
        bool was_running = !din_evse_over(m);
        din_evse_fail(m);
        res->error = HLC_ERR_DECODE;
        res->detail = exi_error_str(r.error);
        res->failed = was_running && din_evse_over(m);
        res->reason = res->failed ? "undecodable DIN 70121 message" : "";
        return HAL_EPROTO;
    }
    enum din_msg k = din_request_kind(req);
    struct hlc_ev view = h->ev;
    hlc_din_view(req, k, &view);
    struct hlc_request_view rq = {hlc_din_msg(k, req), &view};
    res->msg = rq.msg;
    if (status != NULL) {
        status(ctx, &rq, evse);
    }
    struct din_evse_status st;
    hlc_din_status(evse, &st);
    struct din_evse_request *o = &h->m.din.last;
    int rc = din_evse_handle(&h->m.din.m, req, &st, rsp, o, now_ms);
    hlc_din_ev(din_evse_ev(&h->m.din.m), &h->ev);
    res->phase_name = din_evse_phase_name(din_evse_phase(&h->m.din.m));
    if (rc != HAL_OK) {
        res->error = HLC_ERR_NO_ANSWER;
        res->detail = hal_strerror(rc);
        return rc;
    }
    res->events = o->events;
    res->positive = din_response_code_ok(o->response_code);
    res->failed = o->phase == DIN_EVSE_FAILED;
    res->msg_name = din_msg_name(o->msg);
    res->code_name = din_response_code_name(o->response_code);
    res->phase_name = din_evse_phase_name(o->phase);
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    int erc = exi_din_encode(&w, rsp);
    if (erc == HAL_OK) {
        *out_len = exi_writer_len(&w);
    } else {
        res->error = HLC_ERR_ENCODE;
        res->detail = hal_strerror(erc);
    }
    return HAL_OK;
}

static void hlc_din_sent(struct hlc *h, uint32_t now_ms)
{
    din_evse_sent(&h->m.din.m, now_ms);
}

static uint32_t hlc_din_tick(struct hlc *h, uint32_t now_ms)
{
    return (din_evse_tick(&h->m.din.m, now_ms) & DIN_EVSE_EV_TIMEOUT) ? (uint32_t)HLC_EVT_TIMEOUT : 0u;
}

static bool hlc_din_over(const struct hlc *h)
{
    return din_evse_over(&h->m.din.m);
}

const struct hlc_backend_ops hlc_din_ops = {
    .name = "din",
    .title = "DIN 70121",
    .app = {.ns = APPHAND_NS_DIN, .major = 2, .minor = 0},
    .session_id_len = 8,
    .start = hlc_din_start,
    .reset = hlc_din_reset,
    .handle = hlc_din_handle,
    .sent = hlc_din_sent,
    .tick = hlc_din_tick,
    .over = hlc_din_over,
};

struct din_evse *hlc_din_machine(struct hlc *h)
{
    return &h->m.din.m;
}

const struct din_evse_request *hlc_din_last(const struct hlc *h)
{
    return &h->m.din.last;
}

const struct exi_din_document *hlc_din_request(const struct hlc *h)
{
    return &h->doc.din.req;
}

const struct exi_din_document *hlc_din_response(const struct hlc *h)
{
    return &h->doc.din.res;
}

#endif /* CFG_HLC_DIN */
