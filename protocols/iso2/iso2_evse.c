/*
 * iso2_evse.c - owns the ISO 15118-2 DC EIM session of one connector, charger side: its
 * start, which request each phase accepts, the dispatch of each request to its handler,
 * the end of the session after a FAILED_* answer, the sequence timer, the pause/resume
 * bookkeeping and the helpers every handler applies (iso2_evse.h, docs/iso15118-2.md).
 * The handlers live by concern in iso2_evse_setup.c, iso2_evse_schedule.c and
 * iso2_evse_dc.c (iso2_evse_priv.h).
 */
#include "iso2/iso2_evse_priv.h"

#include <string.h>

#include "hal_clock.h"

void iso2_evse_default_config(struct iso2_evse_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->evse_id, "ZZ00000", 8);
    cfg->energy_mode = exi_iso2_EnergyTransferModeType_DC_extended;
    cfg->sequence_timeout_ms = ISO2_SEQUENCE_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO2_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO2_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO2_PRECHARGE_TIMEOUT_MS;
    cfg->perf_time_ms = ISO2_PERF_TIME_MS;
    cfg->perf_time_cd_ms = ISO2_PERF_TIME_CD_MS;
    cfg->precharge_current_max_ma = 2000;
    cfg->tariff_id = 1;
    cfg->receipt_interval_ms = ISO2_RECEIPT_INTERVAL_MS;
}


static bool s_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

static void s_ev_reset(struct iso2_evse_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->dc.max_power_w = -1;
    ev->dc.energy_capacity_wh = -1;
    ev->dc.energy_request_wh = -1;
    ev->dc.full_soc = -1;
    ev->dc.bulk_soc = -1;
    ev->dc.remaining_full_s = -1;
    ev->dc.remaining_bulk_s = -1;
    ev->departure_s = -1;
    ev->payment = exi_iso2_paymentOptionType_ExternalPayment;
}

int iso2_evse_start(struct iso2_evse *m, const struct iso2_evse_config *cfg, const uint8_t *id,
                    size_t id_len, const struct iso2_evse_resume *resume, uint32_t now_ms)
{
    size_t idl = cfg != NULL ? iso2_evse_len(cfg->evse_id, sizeof cfg->evse_id) : 0;
    if (m == NULL || cfg == NULL || id == NULL || id_len == 0 || id_len > ISO2_SESSION_ID_MAX ||
        s_zero(id, id_len) || idl < 7 || idl > ISO2_EVSE_ID_LEN || cfg->vas_count > ISO2_EVSE_VAS_MAX ||
        cfg->tariff_count > ISO2_EVSE_TARIFF_MAX) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    memcpy(m->id, id, id_len);
    m->id_len = (uint8_t)id_len;
    if (resume != NULL && resume->valid && resume->id_len > 0 && resume->id_len <= ISO2_SESSION_ID_MAX) {
        m->resume = *resume;
        /* [V2G2-756]: a new ID differs from the stored one. */
        if (m->id_len == resume->id_len && memcmp(m->id, resume->id, m->id_len) == 0) {
            m->id[0] ^= 0x5A;
            if (s_zero(m->id, m->id_len)) {
                m->id[0] = 1;
            }
        }
    }
    s_ev_reset(&m->ev);
    m->reason = "";
    m->phase = ISO2_EVSE_SESSION_SETUP;
    m->last_res_ms = now_ms;
    m->req_ms = now_ms;
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

const char *iso2_evse_phase_name(enum iso2_evse_phase p)
{
    static const char *const names[ISO2_EVSE_PHASE_COUNT] = {
        "idle", "session_setup", "service_discovery", "service_selection", "authorization",
        "charge_parameter", "cable_check", "precharge", "power_delivery", "current_demand",
        "welding_detection", "stopped", "paused", "failed", "timed_out",
    };
    return (unsigned)p < ISO2_EVSE_PHASE_COUNT ? names[p] : "?";
}

static bool s_emergency(uint8_t code)
{
    return code == exi_iso2_DC_EVSEStatusCodeType_EVSE_EmergencyShutdown ||
           code >= exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

void iso2_evse_put_dc_status(struct exi_iso2_DC_EVSEStatusType *s, const struct iso2_evse_status *st, uint8_t code)
{
    s->EVSEIsolationStatus = st->isolation <= exi_iso2_isolationLevelType_No_IMD
                                 ? st->isolation
                                 : (uint8_t)exi_iso2_isolationLevelType_Invalid;
    s->EVSEIsolationStatus_isUsed = true;
    s->EVSEStatusCode = code;
    s->NotificationMaxDelay = st->notification_max_delay_s;
    s->EVSENotification = st->notification <= exi_iso2_EVSENotificationType_ReNegotiation
                              ? st->notification
                              : (uint8_t)exi_iso2_EVSENotificationType_StopCharging;
}

void iso2_evse_take_ev_status(struct iso2_evse *m, const struct exi_iso2_DC_EVStatusType *s,
                              struct iso2_evse_request *out)
{
    m->ev.dc.ready = s->EVReady;
    m->ev.dc.error_code = s->EVErrorCode;
    m->ev.dc.soc = s->EVRESSSOC;
    if (s->EVErrorCode != exi_iso2_DC_EVErrorCodeType_NO_ERROR) {
        out->events |= ISO2_EVSE_EV_EV_ERROR;
    }
}

/* Which requests each phase accepts. SessionStop(Terminate) is taken before power flows
 * and after it stopped (a car that gives up early, Audi Q4 in the spec sheet); Pause is
 * judged by the SessionStop handler. */
static bool s_allowed(const struct iso2_evse *m, enum iso2_msg k)
{
    bool stop = k == ISO2_MSG_SESSION_STOP;
    switch (m->phase) {
    case ISO2_EVSE_SESSION_SETUP: return k == ISO2_MSG_SESSION_SETUP;
    case ISO2_EVSE_SERVICE_DISCOVERY: return k == ISO2_MSG_SERVICE_DISCOVERY || stop;
    case ISO2_EVSE_SERVICE_SELECTION:
        return k == ISO2_MSG_SERVICE_DETAIL || k == ISO2_MSG_PAYMENT_SELECTION || stop;
    case ISO2_EVSE_AUTHORIZATION:
        return k == ISO2_MSG_AUTHORIZATION || k == ISO2_MSG_PAYMENT_DETAILS || k == ISO2_MSG_CERTIFICATE || stop;
    case ISO2_EVSE_CHARGE_PARAMETER: return k == ISO2_MSG_CHARGE_PARAMETER || stop;
    case ISO2_EVSE_CABLE_CHECK: return k == ISO2_MSG_CABLE_CHECK || stop;
    case ISO2_EVSE_PRECHARGE:
        return k == ISO2_MSG_PRECHARGE || stop || (k == ISO2_MSG_POWER_DELIVERY && m->precharge_seen);
    case ISO2_EVSE_POWER_DELIVERY: return k == ISO2_MSG_CURRENT_DEMAND || k == ISO2_MSG_POWER_DELIVERY;
    case ISO2_EVSE_CURRENT_DEMAND:
        if (m->receipt_pending) {
            return k == ISO2_MSG_METERING_RECEIPT; /* [V2G2-691]; EvseV2G: nothing else after ReceiptRequired */
        }
        return k == ISO2_MSG_CURRENT_DEMAND || k == ISO2_MSG_POWER_DELIVERY || k == ISO2_MSG_METERING_RECEIPT;
    case ISO2_EVSE_WELDING: return k == ISO2_MSG_WELDING_DETECTION || stop;
    default: return false;
    }
}

uint32_t iso2_evse_loop_elapsed(struct iso2_evse *m, enum iso2_msg k, uint32_t now_ms)
{
    if (m->loop_msg != k) {
        m->loop_msg = k;
        m->loop_since_ms = now_ms;
        return 0;
    }
    int32_t d = hal_time_diff(now_ms, m->loop_since_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

/* A FAILED answer: the code and why, kept for the session record. */
uint8_t iso2_evse_refuse(struct iso2_evse *m, uint8_t code, const char *why)
{
    m->reason = why;
    return code;
}

void iso2_evse_put_evse_id(char *dst, uint16_t *len, const struct iso2_evse *m)
{
    size_t n = iso2_evse_len(m->cfg.evse_id, sizeof m->cfg.evse_id);
    memcpy(dst, m->cfg.evse_id, n);
    *len = (uint16_t)n;
}

/* ------------------------------------------------------------------ entry points */

int iso2_evse_handle(struct iso2_evse *m, const struct exi_iso2_document *req,
                     const struct iso2_evse_status *st, struct exi_iso2_document *res,
                     struct iso2_evse_request *out, uint32_t now_ms)
{
    if (m == NULL || req == NULL || st == NULL || res == NULL || out == NULL) {
        return HAL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->reason = "";
    out->note = "";
    enum iso2_msg k = iso2_request_kind(req);
    out->msg = k;
    out->phase = m->phase;
    if (m->phase == ISO2_EVSE_IDLE || iso2_evse_over(m)) {
        return HAL_ESTATE;
    }
    if (k == ISO2_MSG_NONE) {
        return HAL_EPROTO;
    }
    m->stats.requests++;
    m->req_ms = now_ms;
    m->req_msg = k;

    uint8_t code = CODE(OK);
    const struct exi_iso2_MessageHeaderType *h = &req->V2G_Message.Header;
    if (m->phase != ISO2_EVSE_SESSION_SETUP &&
        (h->SessionID.bytesLen != m->id_len || memcmp(h->SessionID.bytes, m->id, m->id_len) != 0)) {
        code = iso2_evse_refuse(m, CODE(FAILED_UnknownSession), "SessionID is not the one issued ([V2G2-460])");
    }
    if (code == CODE(OK) && !s_allowed(m, k)) {
        const char *why = "request out of sequence ([V2G2-538])";
        if (k == ISO2_MSG_CURRENT_DEMAND && m->phase < ISO2_EVSE_POWER_DELIVERY) {
            why = "CurrentDemand before PowerDelivery(Start)";
        } else if (m->receipt_pending) {
            why = "the MeteringReceiptReq asked for (ReceiptRequired) did not come";
        } else if (k == ISO2_MSG_CHARGING_STATUS) {
            why = "ChargingStatus (AC) in a DC session";
        }
        code = iso2_evse_refuse(m, CODE(FAILED_SequenceError), why);
    }
    if (code == CODE(OK) && k != ISO2_MSG_SESSION_STOP && s_emergency(iso2_evse_code(st))) {
        code = iso2_evse_refuse(m, CODE(FAILED), "EVSE emergency shutdown or malfunction");
    }

    memset(res, 0, sizeof *res);
    res->V2G_Message_isUsed = true;
    switch (k) {
    case ISO2_MSG_SESSION_SETUP: code = iso2_evse_on_session_setup(m, req, st, res, out, code); break;
    case ISO2_MSG_SERVICE_DISCOVERY: code = iso2_evse_on_service_discovery(m, req, res, code); break;
    case ISO2_MSG_SERVICE_DETAIL: code = iso2_evse_on_service_detail(m, req, res, code); break;
    case ISO2_MSG_PAYMENT_SELECTION: code = iso2_evse_on_payment_selection(m, req, res, code); break;
    case ISO2_MSG_PAYMENT_DETAILS: code = iso2_evse_on_payment_details(m, req, res, out, code); break;
    case ISO2_MSG_CERTIFICATE: code = iso2_evse_on_certificate(m, req, res, out, code); break;
    case ISO2_MSG_AUTHORIZATION: code = iso2_evse_on_authorization(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_CHARGE_PARAMETER: code = iso2_evse_on_charge_parameter(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_CABLE_CHECK: code = iso2_evse_on_cable_check(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_PRECHARGE: code = iso2_evse_on_precharge(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_POWER_DELIVERY: code = iso2_evse_on_power_delivery(m, req, st, res, out, code); break;
    case ISO2_MSG_CURRENT_DEMAND: code = iso2_evse_on_current_demand(m, req, st, res, out, code, now_ms); break;
    case ISO2_MSG_CHARGING_STATUS: code = iso2_evse_on_charging_status(m, res, code); break;
    case ISO2_MSG_METERING_RECEIPT: code = iso2_evse_on_metering_receipt(m, req, st, res, out, code); break;
    case ISO2_MSG_WELDING_DETECTION: code = iso2_evse_on_welding(m, req, st, res, out, code); break;
    case ISO2_MSG_SESSION_STOP:
    default: code = iso2_evse_on_session_stop(m, req, res, out, code); break;
    }
    memcpy(res->V2G_Message.Header.SessionID.bytes, m->id, m->id_len);
    res->V2G_Message.Header.SessionID.bytesLen = m->id_len;
    if (!iso2_response_code_ok(code)) {
        /* [V2G2-539]: after a FAILED answer the session ends. */
        m->phase = ISO2_EVSE_FAILED;
        m->stats.failed++;
        out->events |= ISO2_EVSE_EV_CLOSE;
        out->reason = m->reason;
    }
    m->last_res_ms = now_ms;
    out->response_code = code;
    out->phase = m->phase;
    return HAL_OK;
}

void iso2_evse_fail(struct iso2_evse *m, const char *reason)
{
    if (m->phase != ISO2_EVSE_IDLE && !iso2_evse_over(m)) {
        m->phase = ISO2_EVSE_FAILED;
        m->reason = reason;
        m->stats.failed++;
    }
}

void iso2_evse_sent(struct iso2_evse *m, uint32_t now_ms)
{
    v2g_dc_response_time(m->req_ms, now_ms, m->req_msg == ISO2_MSG_CURRENT_DEMAND, m->cfg.perf_time_ms,
                         m->cfg.perf_time_cd_ms, &m->stats.worst_response_ms, &m->stats.worst_cd_response_ms,
                         &m->stats.perf_missed);
    m->last_res_ms = now_ms;
}

uint32_t iso2_evse_tick(struct iso2_evse *m, uint32_t now_ms)
{
    if (m->phase == ISO2_EVSE_IDLE || iso2_evse_over(m)) {
        return 0;
    }
    if (hal_time_reached(now_ms, m->last_res_ms + m->cfg.sequence_timeout_ms)) {
        m->phase = ISO2_EVSE_TIMED_OUT;
        m->reason = "no request within the sequence timeout";
        return ISO2_EVSE_EV_TIMEOUT;
    }
    return 0;
}

bool iso2_evse_over(const struct iso2_evse *m)
{
    return m->phase >= ISO2_EVSE_STOPPED;
}

enum iso2_evse_phase iso2_evse_phase(const struct iso2_evse *m)
{
    return m->phase;
}

void iso2_evse_paused(const struct iso2_evse *m, struct iso2_evse_resume *out)
{
    memset(out, 0, sizeof *out);
    if (m->phase == ISO2_EVSE_PAUSED) {
        out->valid = true;
        memcpy(out->id, m->id, m->id_len);
        out->id_len = m->id_len;
        out->payment = m->ev.payment;
        out->tuple_id = m->ev.tuple_id;
    }
}

const struct iso2_evse_ev *iso2_evse_ev(const struct iso2_evse *m)
{
    return &m->ev;
}

const struct iso2_evse_stats *iso2_evse_stats(const struct iso2_evse *m)
{
    return &m->stats;
}

const char *iso2_evse_reason(const struct iso2_evse *m)
{
    return m->reason != NULL ? m->reason : "";
}
