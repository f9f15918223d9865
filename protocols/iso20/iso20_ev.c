/* ISO 15118-20 DC EIM session, EV side: its start and resumption, the request sequence's
 * pacing, the EV timers (response, communication setup, Ongoing and physical loops), the
 * encoding of the next request with its payload type, and the accessors (see iso20_ev.h
 * and docs/iso20_ev.md). What each request carries is built in iso20_ev_build.c; the
 * checks a car applies to the SECC's answers, schedule choice, notifications, pause and
 * renegotiation are in iso20_ev_receive.c (iso20_ev_priv.h). */
#include "iso20/iso20_ev_priv.h"

#include <string.h>

#include "hal_clock.h"
#include "hal_err.h"
#include "v2g/v2g_units.h"

void iso20_ev_default_config(struct iso20_ev_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->offers[0] = (struct apphand_offer){ISO20_EV_NS_DC, 1, 0, 1, 1};
    cfg->n_offers = 1;
    memcpy(cfg->evccid, "EVCC0000000001", sizeof "EVCC0000000001");
    cfg->mode = ISO20_EV_DYNAMIC;
    cfg->epoch_s = 1761652389u; /* the D20 capture's first SessionSetupReq; any value works */
    cfg->max_supporting_points = 24;
    cfg->departure_time_s = 7200;
    cfg->minimum_soc = 20;
    cfg->delay_ms = 20;
    cfg->loop_delay_ms = 100;
    cfg->loop_period_ms = 100;
    cfg->msg_timeout_ms = ISO20_EV_MSG_TIMEOUT_MS;
    cfg->msg_timeout_detail_ms = ISO20_EV_MSG_TIMEOUT_DETAIL_MS;
    cfg->msg_timeout_loop_ms = ISO20_EV_MSG_TIMEOUT_LOOP_MS;
    cfg->comm_setup_timeout_ms = ISO20_EV_COMM_SETUP_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO20_EV_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO20_EV_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO20_EV_PRECHARGE_TIMEOUT_MS;
    cfg->welding_timeout_ms = ISO20_EV_WELDING_TIMEOUT_MS;
    cfg->precharge_tolerance_mv = 20000;
    cfg->welding_detection = true;
    cfg->welding_max_rounds = 10;
    cfg->welding_done_mv = 40000;
}

void iso20_ev_offer_too(struct iso20_ev_config *cfg, const char *ns)
{
    if (cfg->n_offers >= CFG_ISO20_EV_OFFERS || ns == NULL) {
        return;
    }
    /* ISO-2 speaks major 2, DIN and -20 major 1 (their supportedAppProtocol entries). */
    uint32_t major = strcmp(ns, APPHAND_NS_ISO2) == 0 ? 2u : 1u;
    uint8_t n = cfg->n_offers;
    cfg->offers[n] = (struct apphand_offer){ns, major, 0, (uint8_t)(n + 1u), (uint8_t)(n + 1u)};
    cfg->n_offers = (uint8_t)(n + 1u);
}

void iso20_ev_default_model(struct iso20_ev_model *m)
{
    memset(m, 0, sizeof *m);
    m->soc = 50;
    m->target_soc = 80;
    m->battery_voltage_mv = 380000;
    m->target_voltage_mv = 420000;
    m->target_current_ma = 100000;
    m->max_voltage_mv = 420000;
    m->min_voltage_mv = 200000;
    m->max_current_ma = 200000;
    m->min_current_ma = 0;
    m->max_power_w = 100000;
    m->min_power_w = 0;
    m->capacity_wh = 60000;
    m->energy_request_wh = 18000;
    m->energy_max_wh = 30000;
    m->energy_min_wh = -18000;
    m->inlet_voltage_mv = -1;
}

int iso20_ev_start(struct iso20_ev *ev, const struct iso20_ev_config *cfg, uint32_t now_ms)
{
    if (ev == NULL || cfg == NULL || cfg->n_offers == 0 || cfg->n_offers > CFG_ISO20_EV_OFFERS ||
        !apphand_offers_include(cfg->offers, cfg->n_offers, ISO20_EV_NS_DC) || cfg->evccid[0] == '\0' ||
        memchr(cfg->evccid, '\0', sizeof cfg->evccid) == NULL ||
        (cfg->mode != ISO20_EV_SCHEDULED && cfg->mode != ISO20_EV_DYNAMIC)) {
        return HAL_EINVAL;
    }
    memset(ev, 0, sizeof *ev);
    ev->cfg = *cfg;
    iso20_ev_default_model(&ev->model);
    ev->state = ISO20_EV_HANDSHAKE;
    ev->reason = "";
    ev->stop_kind = exi_iso20_chargingSessionType_Terminate;
    v2g_ev_clock_start(&ev->clk, now_ms, cfg->start_delay_ms);
    ev->chosen_offer = -1;
    return HAL_OK;
}

int iso20_ev_resume(struct iso20_ev *ev, uint32_t now_ms)
{
    if (ev == NULL || ev->state != ISO20_EV_PAUSED || !ev->have_session) {
        return HAL_ESTATE;
    }
    ev->state = ISO20_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, ev->cfg.start_delay_ms);
    ev->loop_state = ISO20_EV_IDLE;
    ev->chosen_offer = -1;
    ev->stop_kind = exi_iso20_chargingSessionType_Terminate;
    ev->ev_finished = false;
    ev->renegotiating = false;
    ev->standby_ramp = false;
    ev->standby_done = false;
    ev->refused = false;
    ev->welding_rounds = 0;
    ev->evse.resumed = false;
    ev->evse.notification_seen = false;
    ev->model.pause = false; /* the pause is over; a new one needs a new wish */
    ev->model.stop = false;
    ev->resumes++;
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

int32_t iso20_ev_rn_milli(int16_t value, int8_t exponent)
{
    return v2g_units_sat32(v2g_units_milli(value, exponent));
}

void iso20_ev_rn_set(int64_t milli, int16_t *value, int8_t *exponent)
{
    v2g_units_encode(milli, value, exponent);
}

void iso20_ev_fail(struct iso20_ev *ev, const char *why)
{
    ev->state = ISO20_EV_FAILED;
    ev->reason = why;
    ev->clk.waiting = false;
    ev->act.cp_c = false;       /* safe shutdown: CP B, own contactors open */
    ev->act.contactors = false;
}

void iso20_ev_goto(struct iso20_ev *ev, enum iso20_ev_state s, uint32_t now_ms, uint32_t delay)
{
    ev->state = s;
    ev->clk.next_ms = now_ms + delay;
}

uint16_t iso20_ev_pt_of(enum iso20_ev_state s)
{
    switch (s) {
    case ISO20_EV_HANDSHAKE: return ISO20_EV_PT_SAP;
    case ISO20_EV_CHARGE_PARAMETER:
    case ISO20_EV_CABLE_CHECK:
    case ISO20_EV_PRECHARGE:
    case ISO20_EV_CHARGE_LOOP:
    case ISO20_EV_WELDING: return ISO20_EV_PT_DC;
    default: return ISO20_EV_PT_COMMON;
    }
}

/* Loop timers run from the first request of a loop. */
static uint32_t s_loop_elapsed(struct iso20_ev *ev, uint32_t now_ms)
{
    bool new_loop = ev->loop_state != ev->state;
    ev->loop_state = ev->state;
    return v2g_ev_clock_loop_elapsed(&ev->clk, new_loop, now_ms);
}

int32_t iso20_ev_schedule_power_at(const struct iso20_ev *ev, uint32_t t_s)
{
    uint64_t end = 0;
    for (uint8_t i = 0; i < ev->evse.n_schedule; i++) {
        end += ev->evse.schedule_duration_s[i];
        if (t_s < end) {
            return ev->evse.schedule_power_w[i];
        }
    }
    return -1;
}

/* Timers that run while no request is out: the loop limits the EV enforces (spec §1.3). */
static int s_loop_timers(struct iso20_ev *ev, uint32_t now_ms)
{
    uint32_t el = s_loop_elapsed(ev, now_ms);
    uint32_t limit = 0;
    const char *why = NULL;
    switch (ev->state) {
    case ISO20_EV_AUTHORIZATION:
    case ISO20_EV_SCHEDULE_EXCHANGE:
        limit = ev->cfg.ongoing_timeout_ms;
        why = "ongoing timeout";
        break;
    case ISO20_EV_CABLE_CHECK:
        limit = ev->cfg.cable_check_timeout_ms;
        why = "cable check timeout";
        break;
    case ISO20_EV_PRECHARGE:
        limit = ev->cfg.precharge_timeout_ms;
        why = "pre-charge timeout";
        break;
    case ISO20_EV_WELDING:
        limit = ev->cfg.welding_timeout_ms;
        why = "welding detection timeout";
        break;
    default:
        return HAL_OK;
    }
    if (el >= limit) {
        iso20_ev_fail(ev, why);
        return HAL_ETIMEDOUT;
    }
    return HAL_OK;
}

static uint32_t s_msg_timeout(const struct iso20_ev *ev, enum iso20_ev_state s)
{
    switch (s) {
    case ISO20_EV_CHARGE_LOOP: return ev->cfg.msg_timeout_loop_ms;
    case ISO20_EV_SERVICE_DETAIL: return ev->cfg.msg_timeout_detail_ms;
    default: return ev->cfg.msg_timeout_ms;
    }
}

bool iso20_ev_state_over(enum iso20_ev_state s)
{
    return s == ISO20_EV_IDLE || s == ISO20_EV_DONE || s == ISO20_EV_PAUSED || s == ISO20_EV_OTHER_CHOSEN ||
           s == ISO20_EV_FAILED || s >= ISO20_EV_STATE_COUNT;
}

int iso20_ev_next(struct iso20_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len,
                  uint16_t *pt)
{
    if (ev == NULL || out == NULL || len == NULL || pt == NULL) {
        return HAL_EINVAL;
    }
    *len = 0;
    *pt = 0;
    if (iso20_ev_state_over(ev->state)) {
        return HAL_ESTATE;
    }
    const char *why = NULL;
    int rc = v2g_ev_clock_gate(&ev->clk, ev->state <= ISO20_EV_SESSION_SETUP, ev->cfg.comm_setup_timeout_ms,
                               now_ms, &why);
    if (rc == HAL_ETIMEDOUT) {
        iso20_ev_fail(ev, why);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    rc = s_loop_timers(ev, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    struct exi_writer w;
    exi_writer_init(&w, out, cap);
    uint16_t type = iso20_ev_pt_of(ev->state);
    if (ev->state == ISO20_EV_CABLE_CHECK && ev->cfg.misbehave == ISO20_EV_MISBEHAVE_WRONG_NAMESPACE) {
        type = ISO20_EV_PT_AC; /* the DC document, announced as the AC namespace's */
    }
    if (type == ISO20_EV_PT_SAP) {
        if (apphand_offer_fill(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers) != HAL_OK) {
            iso20_ev_fail(ev, "bad protocol offers");
            return HAL_ESTATE;
        }
        rc = exi_apphand_encode(&w, &ev->doc.app);
    } else {
        iso20_ev_build(ev, now_ms);
        rc = type != ISO20_EV_PT_COMMON ? exi_iso20_dc_encode(&w, &ev->doc.dc) : exi_iso20_encode(&w, &ev->doc.common);
    }
    if (rc != HAL_OK) {
        return rc == HAL_ENOMEM ? HAL_ENOMEM : HAL_EPROTO;
    }
    if (ev->state == ISO20_EV_RENEGOTIATE) {
        ev->model.renegotiate = false; /* asked once */
    }
    *len = exi_writer_len(&w);
    *pt = type;
    ev->sent = ev->state;
    ev->sent_pt = type;
    v2g_ev_clock_sent(&ev->clk, now_ms, s_msg_timeout(ev, ev->state));
    ev->requests++;
    return HAL_OK;
}

uint32_t iso20_ev_deadline(const struct iso20_ev *ev)
{
    return v2g_ev_clock_wake(&ev->clk);
}

enum iso20_ev_state iso20_ev_state(const struct iso20_ev *ev)
{
    return ev->state;
}

const char *iso20_ev_state_name(enum iso20_ev_state s)
{
    static const char *const names[ISO20_EV_STATE_COUNT] = {
        "idle",           "handshake",        "session_setup",     "authorization_setup",
        "authorization",  "service_discovery", "service_detail",   "service_selection",
        "charge_parameter", "schedule_exchange", "cable_check",    "precharge",
        "power_on",       "charge_loop",      "renegotiate",       "standby",     "power_off",
        "welding_detection", "session_stop",  "done",              "paused",
        "other_chosen",   "failed",
    };
    return (unsigned)s < ISO20_EV_STATE_COUNT ? names[s] : "?";
}

const char *iso20_ev_reason(const struct iso20_ev *ev)
{
    return ev->reason != NULL ? ev->reason : "";
}

const struct iso20_ev_evse *iso20_ev_evse(const struct iso20_ev *ev)
{
    return &ev->evse;
}

const struct iso20_ev_actions *iso20_ev_actions(const struct iso20_ev *ev)
{
    return &ev->act;
}

int iso20_ev_chosen_offer(const struct iso20_ev *ev)
{
    return ev->chosen_offer;
}

static const char *const s_misbehave_names[ISO20_EV_MISBEHAVE_COUNT] = {
    "none", "wrong-control-mode", "unoffered-service", "renegotiate-in-cable-check", "bpt-limits",
    "wrong-namespace", "wrong-loop-mode", "unoffered-detail", "service-renegotiation-in-cable-check",
};

const char *iso20_ev_misbehave_name(enum iso20_ev_misbehave b)
{
    return (unsigned)b < ISO20_EV_MISBEHAVE_COUNT ? s_misbehave_names[b] : "?";
}

int iso20_ev_misbehave_parse(const char *name, enum iso20_ev_misbehave *b)
{
    for (unsigned i = 0; name != NULL && b != NULL && i < ISO20_EV_MISBEHAVE_COUNT; i++) {
        if (strcmp(name, s_misbehave_names[i]) == 0) {
            *b = (enum iso20_ev_misbehave)i;
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

bool iso20_ev_refused(const struct iso20_ev *ev)
{
    return ev->refused;
}

const char *iso20_ev_response_code_name(uint8_t code)
{
    /* Schema order (spec sheet §2.0); the car's own copy: the reason it records must not
     * depend on the charger side's helpers. */
    static const char *const names[] = {
        "OK", "OK_CertificateExpiresSoon", "OK_NewSessionEstablished", "OK_OldSessionJoined",
        "OK_PowerToleranceConfirmed", "WARNING_AuthorizationSelectionInvalid", "WARNING_CertificateExpired",
        "WARNING_CertificateNotYetValid", "WARNING_CertificateRevoked", "WARNING_CertificateValidationError",
        "WARNING_ChallengeInvalid", "WARNING_EIMAuthorizationFailure", "WARNING_eMSPUnknown",
        "WARNING_EVPowerProfileViolation", "WARNING_GeneralPnCAuthorizationError",
        "WARNING_NoCertificateAvailable", "WARNING_NoContractMatchingPCIDFound",
        "WARNING_PowerToleranceNotConfirmed", "WARNING_ScheduleRenegotiationFailed",
        "WARNING_StandbyNotAllowed", "WARNING_WPT", "FAILED", "FAILED_AssociationError",
        "FAILED_ContactorError", "FAILED_EVPowerProfileInvalid", "FAILED_EVPowerProfileViolation",
        "FAILED_MeteringSignatureNotValid", "FAILED_NoEnergyTransferServiceSelected",
        "FAILED_NoServiceRenegotiationSupported", "FAILED_PauseNotAllowed", "FAILED_PowerDeliveryNotApplied",
        "FAILED_PowerToleranceNotConfirmed", "FAILED_ScheduleRenegotiation", "FAILED_ScheduleSelectionInvalid",
        "FAILED_SequenceError", "FAILED_ServiceIDInvalid", "FAILED_ServiceSelectionInvalid",
        "FAILED_SignatureError", "FAILED_UnknownSession", "FAILED_WrongChargeParameter",
    };
    _Static_assert(sizeof names / sizeof names[0] == exi_iso20_responseCodeType_FAILED_WrongChargeParameter + 1,
                   "one name per ResponseCode");
    return code < sizeof names / sizeof names[0] ? names[code] : "?";
}
