/*
 * iso20_evse.c - owns the ISO 15118-20 DC session of one connector, charger side: its
 * start, which request each phase accepts, the dispatch of each request (of either
 * namespace) to its handler, the end of the session after a FAILED* answer, the sequence
 * and ongoing timers, the pause/resume bookkeeping (iso20_evse.h, docs/iso15118-20.md).
 * The handlers live in iso20_evse_setup.c and iso20_evse_dc.c (iso20_evse_priv.h).
 */
#include "iso20/iso20_evse_priv.h"

#include <string.h>

#include "hal_clock.h"

void iso20_evse_default_config(struct iso20_evse_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->evse_id, "ZZ00000", 8);
    cfg->scheduled = true;
    cfg->dynamic = true;
    cfg->offer_bpt = true;
    cfg->service_renegotiation = true;
    cfg->standby = true;
    cfg->negative_discharge = true; /* what cars send and expect (EVerest #1473) */
    cfg->connector = 2;             /* Extended: CCS2 */
    cfg->tuple_id = 1;
    memcpy(cfg->meter_id, "METER-1", 8);
    cfg->sequence_timeout_ms = ISO20_SEQUENCE_TIMEOUT_MS;
    cfg->loop_sequence_timeout_ms = ISO20_LOOP_SEQUENCE_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO20_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO20_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO20_PRECHARGE_TIMEOUT_MS;
    cfg->perf_time_ms = ISO20_PERF_TIME_MS;
    cfg->perf_time_loop_ms = ISO20_PERF_TIME_LOOP_MS;
    cfg->precharge_current_max_ma = 2000;
}

static size_t s_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0') {
        n++;
    }
    return n;
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

static void s_ev_reset(struct iso20_evse_ev *ev)
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
    ev->min_soc = -1;
    ev->target_soc = -1;
    ev->target_energy_wh = INT32_MIN;
    ev->max_energy_wh = INT32_MIN;
    ev->min_energy_wh = INT32_MIN;
}

int iso20_evse_start(struct iso20_evse *m, const struct iso20_evse_config *cfg, const uint8_t id[ISO20_SESSION_ID_LEN],
                     const struct iso20_evse_resume *resume, uint32_t now_ms)
{
    size_t idl = cfg != NULL ? s_len(cfg->evse_id, sizeof cfg->evse_id) : 0;
    if (m == NULL || cfg == NULL || id == NULL || s_zero(id, ISO20_SESSION_ID_LEN) || idl < 1 ||
        idl > ISO20_EVSE_ID_LEN || (!cfg->scheduled && !cfg->dynamic) || cfg->offer_pnc ||
        s_len(cfg->meter_id, sizeof cfg->meter_id) >= sizeof cfg->meter_id) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    memcpy(m->id, id, ISO20_SESSION_ID_LEN);
    if (resume != NULL && resume->valid) {
        m->resume = *resume;
    }
    s_ev_reset(&m->ev);
    m->phase = ISO20_EVSE_SESSION_SETUP;
    m->last_res_ms = now_ms; /* the sequence timer runs from the handshake answer */
    m->reason = "";
    return HAL_OK;
}

const char *iso20_evse_phase_name(enum iso20_evse_phase p)
{
    static const char *const names[ISO20_EVSE_PHASE_COUNT] = {
        "idle", "session_setup", "auth_setup", "authorization", "service_discovery", "service_detail",
        "service_selection", "charge_parameter", "schedule_exchange", "cable_check", "precharge",
        "power_delivery", "charge_loop", "welding", "standby", "stopped", "paused", "failed", "timed_out",
    };
    return (unsigned)p < ISO20_EVSE_PHASE_COUNT ? names[p] : "?";
}

/* Which requests each phase accepts (spec sheet §1.2). SessionStop is accepted at every
 * step ([V2G20-2645] before Start; libiso and Josev after); its kinds are judged there. */
static bool s_allowed(const struct iso20_evse *m, enum iso20_msg k)
{
    if (k == ISO20_MSG_SESSION_STOP) {
        return m->phase != ISO20_EVSE_SESSION_SETUP && m->phase != ISO20_EVSE_AUTH_SETUP;
    }
    switch (m->phase) {
    case ISO20_EVSE_SESSION_SETUP: return k == ISO20_MSG_SESSION_SETUP;
    case ISO20_EVSE_AUTH_SETUP: return k == ISO20_MSG_AUTH_SETUP;
    case ISO20_EVSE_AUTHORIZATION: return k == ISO20_MSG_AUTHORIZATION;
    case ISO20_EVSE_SERVICE_DISCOVERY: return k == ISO20_MSG_SERVICE_DISCOVERY;
    case ISO20_EVSE_SERVICE_DETAIL: return k == ISO20_MSG_SERVICE_DETAIL;
    case ISO20_EVSE_SERVICE_SELECTION: return k == ISO20_MSG_SERVICE_DETAIL || k == ISO20_MSG_SERVICE_SELECTION;
    case ISO20_EVSE_CHARGE_PARAMETER: return k == ISO20_MSG_CHARGE_PARAMETER;
    case ISO20_EVSE_SCHEDULE: return k == ISO20_MSG_SCHEDULE_EXCHANGE;
    case ISO20_EVSE_CABLE_CHECK: return k == ISO20_MSG_CABLE_CHECK;
    case ISO20_EVSE_PRECHARGE: return k == ISO20_MSG_PRECHARGE;
    case ISO20_EVSE_POWER_DELIVERY: return k == ISO20_MSG_POWER_DELIVERY;
    case ISO20_EVSE_CHARGE_LOOP: return k == ISO20_MSG_CHARGE_LOOP || k == ISO20_MSG_POWER_DELIVERY;
    case ISO20_EVSE_WELDING: return k == ISO20_MSG_WELDING_DETECTION;
    /* Standby: the way out (PowerDelivery Start or Stop) and, since the sheet leaves the
     * set open (§4.4), loop requests, answered with no current. */
    case ISO20_EVSE_STANDBY: return k == ISO20_MSG_POWER_DELIVERY || k == ISO20_MSG_CHARGE_LOOP;
    default: return false;
    }
}

uint32_t iso20_evse_loop_elapsed(struct iso20_evse *m, enum iso20_msg k, uint32_t now_ms)
{
    if (m->loop_msg != k) {
        m->loop_msg = k;
        m->loop_since_ms = now_ms;
    }
    int32_t d = hal_time_diff(now_ms, m->loop_since_ms);
    return d > 0 ? (uint32_t)d : 0u;
}

uint8_t iso20_evse_refuse(struct iso20_evse *m, uint8_t code, const char *why)
{
    m->reason = why;
    return code;
}

uint8_t iso20_evse_service_bit(uint16_t service_id)
{
    return service_id == ISO20_SERVICE_DC ? ISO20_BIT_DC : service_id == ISO20_SERVICE_DC_BPT ? ISO20_BIT_BPT : 0u;
}

static const char *s_sequence_why(const struct iso20_evse *m, enum iso20_msg k)
{
    if (k == ISO20_MSG_CHARGE_LOOP && m->phase < ISO20_EVSE_CHARGE_LOOP) {
        return "DC_ChargeLoop before PowerDelivery(Start)";
    }
    if (k == ISO20_MSG_POWER_DELIVERY && m->phase == ISO20_EVSE_PRECHARGE) {
        return "PowerDelivery before a DC_PreCharge with EVProcessing=Finished ([V2G20-2005])";
    }
    if (k == ISO20_MSG_POWER_DELIVERY && m->phase == ISO20_EVSE_CABLE_CHECK) {
        return "PowerDelivery (a renegotiation) during the cable check";
    }
    if (k == ISO20_MSG_CABLE_CHECK && m->phase == ISO20_EVSE_SCHEDULE) {
        return "DC_CableCheck before ScheduleExchange Finished ([V2G20-1986])";
    }
    if (k == ISO20_MSG_SERVICE_SELECTION && m->phase == ISO20_EVSE_SERVICE_DETAIL) {
        return "ServiceSelection without ServiceDetail ([V2G20-1980])";
    }
    return "request out of sequence ([V2G20-538])";
}

/* The header of every response: our SessionID and a time stamp in seconds. */
static void s_header_common(struct exi_iso20_MessageHeaderType *h, const struct iso20_evse *m, uint64_t t)
{
    memcpy(h->SessionID.bytes, m->id, ISO20_SESSION_ID_LEN);
    h->SessionID.bytesLen = ISO20_SESSION_ID_LEN;
    h->TimeStamp = t;
}

static void s_header_dc(struct exi_iso20_dc_MessageHeaderType *h, const struct iso20_evse *m, uint64_t t)
{
    memcpy(h->SessionID.bytes, m->id, ISO20_SESSION_ID_LEN);
    h->SessionID.bytesLen = ISO20_SESSION_ID_LEN;
    h->TimeStamp = t;
}

/* The request's SessionID (both header types are alike). */
static bool s_same_id(const struct iso20_evse *m, const uint8_t *b, uint16_t n)
{
    return n == ISO20_SESSION_ID_LEN && memcmp(b, m->id, ISO20_SESSION_ID_LEN) == 0;
}

int iso20_evse_handle(struct iso20_evse *m, const struct iso20_evse_in *req, const struct iso20_evse_status *st,
                      const struct iso20_evse_out *res, struct iso20_evse_request *out, uint32_t now_ms)
{
    if (m == NULL || req == NULL || st == NULL || res == NULL || out == NULL ||
        (req->common == NULL) == (req->dc == NULL) || (req->common != NULL && res->common == NULL) ||
        (req->dc != NULL && res->dc == NULL)) {
        return HAL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->reason = "";
    bool dc = req->dc != NULL;
    enum iso20_msg k = dc ? iso20_dc_request_kind(req->dc) : iso20_request_kind(req->common);
    out->msg = k;
    out->dc = dc;
    out->phase = m->phase;
    if (m->phase == ISO20_EVSE_IDLE || iso20_evse_over(m)) {
        return HAL_ESTATE;
    }
    if (k == ISO20_MSG_NONE) {
        return HAL_EPROTO;
    }
    m->stats.requests++;
    m->req_ms = now_ms;
    m->req_msg = k;

    uint8_t code = CODE(OK);
    bool id_ok = dc ? s_same_id(m, req->dc->DC_ChargeParameterDiscoveryReq.Header.SessionID.bytes,
                                req->dc->DC_ChargeParameterDiscoveryReq.Header.SessionID.bytesLen)
                    : s_same_id(m, req->common->SessionSetupReq.Header.SessionID.bytes,
                                req->common->SessionSetupReq.Header.SessionID.bytesLen);
    if (m->phase != ISO20_EVSE_SESSION_SETUP && !id_ok) {
        code = iso20_evse_refuse(m, CODE(FAILED_UnknownSession), "SessionID is not the one issued ([V2G20-753])");
    }
    if (code == CODE(OK) && !s_allowed(m, k)) {
        code = iso20_evse_refuse(m, CODE(FAILED_SequenceError), s_sequence_why(m, k));
    }
    if (code == CODE(OK) && k != ISO20_MSG_SESSION_STOP && st->emergency) {
        code = iso20_evse_refuse(m, CODE(FAILED), "EVSE emergency shutdown or malfunction");
    }

    uint64_t t = st->dc.unix_time_s > 0 ? (uint64_t)st->dc.unix_time_s : 0u;
    if (dc) {
        struct exi_iso20_dc_document *r = res->dc;
        memset(r, 0, sizeof *r);
        switch (k) {
        case ISO20_MSG_CHARGE_PARAMETER: code = iso20_evse_on_charge_parameter(m, req->dc, st, r, out, code); break;
        case ISO20_MSG_CABLE_CHECK: code = iso20_evse_on_cable_check(m, st, r, out, code, now_ms); break;
        case ISO20_MSG_PRECHARGE: code = iso20_evse_on_precharge(m, req->dc, st, r, out, code, now_ms); break;
        case ISO20_MSG_CHARGE_LOOP: code = iso20_evse_on_charge_loop(m, req->dc, st, r, out, code); break;
        case ISO20_MSG_WELDING_DETECTION:
        default: code = iso20_evse_on_welding(m, st, r, out, code); break;
        }
        /* Every DC response starts with the same header (the union's members share it). */
        s_header_dc(&r->DC_ChargeParameterDiscoveryRes.Header, m, t);
    } else {
        struct exi_iso20_document *r = res->common;
        memset(r, 0, sizeof *r);
        switch (k) {
        case ISO20_MSG_SESSION_SETUP: code = iso20_evse_on_session_setup(m, req->common, r, out, code); break;
        case ISO20_MSG_AUTH_SETUP: code = iso20_evse_on_auth_setup(m, r, code); break;
        case ISO20_MSG_AUTHORIZATION:
            code = iso20_evse_on_authorization(m, req->common, st, r, out, code, now_ms);
            break;
        case ISO20_MSG_SERVICE_DISCOVERY: code = iso20_evse_on_service_discovery(m, req->common, st, r, code); break;
        case ISO20_MSG_SERVICE_DETAIL: code = iso20_evse_on_service_detail(m, req->common, r, code); break;
        case ISO20_MSG_SERVICE_SELECTION: code = iso20_evse_on_service_selection(m, req->common, r, code); break;
        case ISO20_MSG_SCHEDULE_EXCHANGE: code = iso20_evse_on_schedule(m, req->common, st, r, code, now_ms); break;
        case ISO20_MSG_POWER_DELIVERY: code = iso20_evse_on_power_delivery(m, req->common, st, r, out, code); break;
        case ISO20_MSG_SESSION_STOP: code = iso20_evse_on_session_stop(m, req->common, r, out, code); break;
        default: code = iso20_evse_on_unsupported(m, k, r, code); break;
        }
        s_header_common(&r->SessionSetupRes.Header, m, t);
    }
    if (!iso20_response_code_ok(code)) {
        /* [V2G20-2222]: after a FAILED* answer the session ends; a SECC that was
         * delivering power stops it (the charger's safe stop). */
        m->phase = ISO20_EVSE_FAILED;
        m->stats.failed++;
        out->events |= ISO20_EVSE_EV_CLOSE;
        if (m->powered) {
            m->powered = false;
            out->events |= ISO20_EVSE_EV_POWER_OFF;
        }
    }
    if (code != CODE(OK) && !iso20_response_code_positive(code)) {
        out->reason = m->reason;
    }
    m->last_res_ms = now_ms;
    out->response_code = code;
    out->phase = m->phase;
    return HAL_OK;
}

void iso20_evse_fail(struct iso20_evse *m, const char *reason)
{
    if (m->phase == ISO20_EVSE_IDLE || iso20_evse_over(m)) {
        return;
    }
    m->phase = ISO20_EVSE_FAILED;
    m->reason = reason;
    m->stats.failed++;
}

void iso20_evse_sent(struct iso20_evse *m, uint32_t now_ms)
{
    v2g_dc_response_time(m->req_ms, now_ms, m->req_msg == ISO20_MSG_CHARGE_LOOP, m->cfg.perf_time_ms,
                         m->cfg.perf_time_loop_ms, &m->stats.worst_response_ms,
                         &m->stats.worst_loop_response_ms, &m->stats.perf_missed);
    m->last_res_ms = now_ms;
}

uint32_t iso20_evse_tick(struct iso20_evse *m, uint32_t now_ms)
{
    if (m->phase == ISO20_EVSE_IDLE || iso20_evse_over(m)) {
        return 0;
    }
    /* [V2G20-1502]: 0.5 s after DC_ChargeLoopRes, 60 s after every other response. */
    uint32_t limit = m->phase == ISO20_EVSE_CHARGE_LOOP && m->req_msg == ISO20_MSG_CHARGE_LOOP
                         ? m->cfg.loop_sequence_timeout_ms
                         : m->cfg.sequence_timeout_ms;
    if (hal_time_reached(now_ms, m->last_res_ms + limit)) {
        m->phase = ISO20_EVSE_TIMED_OUT;
        m->reason = "no request within the sequence timeout";
        return ISO20_EVSE_EV_TIMEOUT;
    }
    return 0;
}

bool iso20_evse_over(const struct iso20_evse *m)
{
    return m->phase >= ISO20_EVSE_STOPPED;
}

enum iso20_evse_phase iso20_evse_phase(const struct iso20_evse *m)
{
    return m->phase;
}

void iso20_evse_paused(const struct iso20_evse *m, struct iso20_evse_resume *out)
{
    memset(out, 0, sizeof *out);
    if (m->phase != ISO20_EVSE_PAUSED) {
        return;
    }
    out->valid = true;
    memcpy(out->id, m->id, ISO20_SESSION_ID_LEN);
    memcpy(out->evccid, m->ev.evccid, sizeof out->evccid);
    out->evccid_len = m->ev.evccid_len;
    out->service_id = m->ev.service_id;
    out->parameter_set_id = m->ev.parameter_set_id;
    out->control_mode = m->ev.control_mode;
    out->tuple_id = m->ev.tuple_id;
}

const struct iso20_evse_ev *iso20_evse_ev(const struct iso20_evse *m)
{
    return &m->ev;
}

const struct iso20_evse_stats *iso20_evse_stats(const struct iso20_evse *m)
{
    return &m->stats;
}

const char *iso20_evse_reason(const struct iso20_evse *m)
{
    return m->phase == ISO20_EVSE_FAILED || m->phase == ISO20_EVSE_TIMED_OUT ? m->reason : "";
}
