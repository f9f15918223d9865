/* ISO 15118-2 DC EIM session, EV side: its start and resumption, the request sequence's
 * pacing, the EV timers (response, communication setup, loops), the encoding of the next
 * request and the accessors (see iso2_ev.h and docs/iso2_ev.md). What each request carries
 * is built in iso2_ev_build.c; the checks a car applies to the SECC's answers, schedule
 * choice, renegotiation and pause are in iso2_ev_receive.c (iso2_ev_priv.h). */
#include "iso2/iso2_ev_priv.h"

#include <string.h>

#include "hal_clock.h"

void iso2_ev_default_config(struct iso2_ev_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->offers[0] = (struct apphand_offer){APPHAND_NS_ISO2, 2, 0, 1, 1};
    cfg->n_offers = 1;
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(cfg->evccid, mac, sizeof mac);
    cfg->evccid_len = sizeof mac;
    cfg->setup_id.len = 8; /* eight zero bytes, as dSPACE and RISE-V2G send */
    cfg->send_charging_profile = true;
    cfg->delay_ms = 20;
    cfg->loop_delay_ms = 100;
    cfg->cd_period_ms = 100;
    cfg->msg_timeout_ms = ISO2_EV_MSG_TIMEOUT_MS;
    cfg->msg_timeout_long_ms = ISO2_EV_MSG_TIMEOUT_LONG_MS;
    cfg->msg_timeout_cd_ms = ISO2_EV_MSG_TIMEOUT_CD_MS;
    cfg->comm_setup_timeout_ms = ISO2_EV_COMM_SETUP_TIMEOUT_MS;
    cfg->ongoing_timeout_ms = ISO2_EV_ONGOING_TIMEOUT_MS;
    cfg->cable_check_timeout_ms = ISO2_EV_CABLE_CHECK_TIMEOUT_MS;
    cfg->precharge_timeout_ms = ISO2_EV_PRECHARGE_TIMEOUT_MS;
    cfg->precharge_current_ma = 1000;
    cfg->precharge_tolerance_mv = 20000;
    cfg->welding_detection = true;
    cfg->welding_max_rounds = 10;
    cfg->welding_done_mv = 40000;
}

void iso2_ev_offer_din_too(struct iso2_ev_config *cfg)
{
    if (cfg->n_offers < CFG_ISO2_EV_OFFERS) {
        cfg->offers[cfg->n_offers++] = (struct apphand_offer){APPHAND_NS_DIN, 2, 0, 2, 2};
    }
}

void iso2_ev_default_model(struct iso2_ev_model *m)
{
    memset(m, 0, sizeof *m);
    m->soc = 50;
    m->ready = true;
    m->battery_voltage_mv = 380000;
    m->target_voltage_mv = 420000;
    m->target_current_ma = 100000;
    m->max_voltage_mv = 420000;
    m->max_current_ma = 200000;
    m->max_power_w = 100000;
    m->capacity_wh = 60000;
    m->energy_request_wh = 30000;
    m->full_soc = 100;
    m->bulk_soc = 80;
    m->remaining_full_s = 3600;
    m->remaining_bulk_s = 1800;
    m->inlet_voltage_mv = -1;
}

int iso2_ev_start(struct iso2_ev *ev, const struct iso2_ev_config *cfg, uint32_t now_ms)
{
    if (ev == NULL || cfg == NULL || cfg->n_offers == 0 || cfg->n_offers > CFG_ISO2_EV_OFFERS ||
        !apphand_offers_include(cfg->offers, cfg->n_offers, APPHAND_NS_ISO2) || cfg->evccid_len > 6 || cfg->setup_id.len > ISO2_SESSION_ID_MAX) {
        return HAL_EINVAL;
    }
    memset(ev, 0, sizeof *ev);
    ev->cfg = *cfg;
    iso2_ev_default_model(&ev->model);
    ev->state = ISO2_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, cfg->start_delay_ms);
    ev->chosen_offer = -1;
    ev->detail_param_set = -1;
    return HAL_OK;
}

int iso2_ev_start_negotiated(struct iso2_ev *ev, const struct iso2_ev_config *cfg, int chosen_offer,
                             uint32_t now_ms)
{
    /* Another machine (the -20 car) ran supportedAppProtocol and the SECC chose ISO-2:
     * this one goes on at SessionSetup on the same connection. */
    int rc = iso2_ev_start(ev, cfg, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    ev->chosen_offer = chosen_offer;
    ev->state = ISO2_EV_SESSION_SETUP;
    ev->clk.next_ms = now_ms + cfg->delay_ms;
    return HAL_OK;
}

int iso2_ev_resume(struct iso2_ev *ev, uint32_t now_ms)
{
    if (ev == NULL || ev->state != ISO2_EV_PAUSED || !ev->have_session) {
        return HAL_ESTATE;
    }
    ev->state = ISO2_EV_HANDSHAKE;
    ev->reason = "";
    v2g_ev_clock_start(&ev->clk, now_ms, ev->cfg.start_delay_ms);
    ev->loop_state = ISO2_EV_IDLE;
    ev->chosen_offer = -1;
    ev->pausing = false;
    ev->welding_rounds = 0;
    ev->evse.resumed = false;
    ev->model.pause = false; /* the pause is over; a new one needs a new wish */
    ev->model.stop = false;
    ev->resumes++;
    if (ev->cfg.misbehave == ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID && ev->id.len > 0) {
        ev->id.bytes[ev->id.len - 1] ^= 0xA5; /* an ID the SECC never issued */
    }
    return HAL_OK;
}

/* ------------------------------------------------------------------ helpers */

void iso2_ev_fail(struct iso2_ev *ev, const char *why)
{
    ev->state = ISO2_EV_FAILED;
    ev->reason = why;
    ev->clk.waiting = false;
    ev->act.cp_c = false;       /* safe shutdown: CP B, own contactors open */
    ev->act.contactors = false;
}

void iso2_ev_goto(struct iso2_ev *ev, enum iso2_ev_state s, uint32_t now_ms, uint32_t delay)
{
    ev->state = s;
    ev->clk.next_ms = now_ms + delay;
}

static enum iso2_msg s_msg_of(enum iso2_ev_state s)
{
    switch (s) {
    case ISO2_EV_SESSION_SETUP: return ISO2_MSG_SESSION_SETUP;
    case ISO2_EV_SERVICE_DISCOVERY: return ISO2_MSG_SERVICE_DISCOVERY;
    case ISO2_EV_SERVICE_DETAIL: return ISO2_MSG_SERVICE_DETAIL;
    case ISO2_EV_PAYMENT_SELECTION: return ISO2_MSG_PAYMENT_SELECTION;
    case ISO2_EV_CERTIFICATE: return ISO2_MSG_CERTIFICATE;
    case ISO2_EV_PAYMENT_DETAILS: return ISO2_MSG_PAYMENT_DETAILS;
    case ISO2_EV_AUTHORIZATION: return ISO2_MSG_AUTHORIZATION;
    case ISO2_EV_CHARGE_PARAMETER: return ISO2_MSG_CHARGE_PARAMETER;
    case ISO2_EV_CABLE_CHECK: return ISO2_MSG_CABLE_CHECK;
    case ISO2_EV_PRECHARGE: return ISO2_MSG_PRECHARGE;
    case ISO2_EV_POWER_ON:
    case ISO2_EV_RENEGOTIATE:
    case ISO2_EV_POWER_OFF: return ISO2_MSG_POWER_DELIVERY;
    case ISO2_EV_CURRENT_DEMAND: return ISO2_MSG_CURRENT_DEMAND;
    case ISO2_EV_METERING_RECEIPT: return ISO2_MSG_METERING_RECEIPT;
    case ISO2_EV_WELDING: return ISO2_MSG_WELDING_DETECTION;
    case ISO2_EV_SESSION_STOP: return ISO2_MSG_SESSION_STOP;
    default: return ISO2_MSG_NONE;
    }
}

/* Loop timers run from the first request of a loop. */
static uint32_t s_loop_elapsed(struct iso2_ev *ev, uint32_t now_ms)
{
    bool new_loop = ev->loop_state != ev->state;
    ev->loop_state = ev->state;
    return v2g_ev_clock_loop_elapsed(&ev->clk, new_loop, now_ms);
}

int32_t iso2_ev_pmax_at(const struct iso2_ev *ev, uint32_t t_s)
{
    int32_t p = -1;
    for (uint8_t i = 0; i < ev->evse.n_pmax; i++) {
        if (ev->evse.pmax_start_s[i] <= t_s) {
            p = ev->evse.pmax_w[i];
        }
    }
    return p;
}

/* Timers that run while no request is out: the loop limits the EV enforces. */
static int s_loop_timers(struct iso2_ev *ev, uint32_t now_ms)
{
    uint32_t el = s_loop_elapsed(ev, now_ms);
    switch (ev->state) {
    case ISO2_EV_AUTHORIZATION:
    case ISO2_EV_CHARGE_PARAMETER:
        if (el >= ev->cfg.ongoing_timeout_ms) {
            iso2_ev_fail(ev, "ongoing timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case ISO2_EV_CABLE_CHECK:
        if (el >= ev->cfg.cable_check_timeout_ms) {
            iso2_ev_fail(ev, "cable check timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    case ISO2_EV_PRECHARGE:
        if (el >= ev->cfg.precharge_timeout_ms) {
            iso2_ev_fail(ev, "pre-charge timeout");
            return HAL_ETIMEDOUT;
        }
        break;
    default:
        break;
    }
    return HAL_OK;
}

static uint32_t s_msg_timeout(const struct iso2_ev *ev, enum iso2_msg msg)
{
    switch (msg) {
    case ISO2_MSG_CURRENT_DEMAND: return ev->cfg.msg_timeout_cd_ms;
    case ISO2_MSG_SERVICE_DETAIL:
    case ISO2_MSG_CERTIFICATE:     /* a provider behind the SECC: 5 s as the standard's */
    case ISO2_MSG_PAYMENT_DETAILS: /* the SECC validates a chain: 5 s as the standard's */
    case ISO2_MSG_POWER_DELIVERY: return ev->cfg.msg_timeout_long_ms;
    default: return ev->cfg.msg_timeout_ms;
    }
}

bool iso2_ev_state_over(enum iso2_ev_state s)
{
    return s == ISO2_EV_IDLE || s == ISO2_EV_DONE || s == ISO2_EV_PAUSED || s == ISO2_EV_DIN_CHOSEN ||
           s == ISO2_EV_FAILED;
}

int iso2_ev_next(struct iso2_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len)
{
    if (ev == NULL || out == NULL || len == NULL) {
        return HAL_EINVAL;
    }
    *len = 0;
    if (iso2_ev_state_over(ev->state)) {
        return HAL_ESTATE;
    }
    const char *why = NULL;
    int rc = v2g_ev_clock_gate(&ev->clk, ev->state <= ISO2_EV_SESSION_SETUP, ev->cfg.comm_setup_timeout_ms,
                               now_ms, &why);
    if (rc == HAL_ETIMEDOUT) {
        iso2_ev_fail(ev, why);
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
    enum iso2_msg msg = s_msg_of(ev->state);
    if (ev->state == ISO2_EV_HANDSHAKE) {
        if (apphand_offer_fill(&ev->doc.app, ev->cfg.offers, ev->cfg.n_offers) != HAL_OK) {
            iso2_ev_fail(ev, "bad protocol offers");
            return HAL_ESTATE;
        }
        rc = exi_apphand_encode(&w, &ev->doc.app);
    } else {
        iso2_ev_build(ev, now_ms);
        if (ev->state == ISO2_EV_CERTIFICATE) {
            const char *cw = "cannot build the certificate request";
            if (ev->cfg.cert == NULL || ev->cfg.cert->build == NULL || ev->cfg.cert->build(ev, &ev->doc.iso2, &cw) != HAL_OK) {
                iso2_ev_fail(ev, cw);
                return HAL_ESTATE;
            }
        }
        if (ev->state == ISO2_EV_AUTHORIZATION && ev->doc.iso2.V2G_Message.Body.AuthorizationReq.Id_isUsed) {
            /* The first AuthorizationReq after PaymentDetails carries the challenge, signed
             * with the contract key; the repeats of the Ongoing loop are empty ([V2G2-684]). */
            const char *sig_why = "cannot sign AuthorizationReq";
            if (ev->cfg.contract->sign == NULL || ev->cfg.contract->sign(ev->cfg.contract, &ev->doc.iso2, &sig_why) != HAL_OK) {
                iso2_ev_fail(ev, sig_why);
                return HAL_ESTATE;
            }
            ev->auth_signed = true;
        }
        if (ev->state == ISO2_EV_METERING_RECEIPT) {
            /* [V2G2-691]: the receipt is signed with the contract key like AuthorizationReq. */
            const char *sig_why = "cannot sign MeteringReceiptReq";
            if (ev->cfg.contract->sign == NULL || ev->cfg.contract->sign(ev->cfg.contract, &ev->doc.iso2, &sig_why) != HAL_OK) {
                iso2_ev_fail(ev, sig_why);
                return HAL_ESTATE;
            }
        }
        rc = exi_iso2_encode(&w, &ev->doc.iso2);
    }
    if (rc != HAL_OK) {
        return rc == HAL_ENOMEM ? HAL_ENOMEM : HAL_EPROTO;
    }
    if (ev->state == ISO2_EV_RENEGOTIATE) {
        ev->model.renegotiate = false; /* asked once */
    }
    *len = exi_writer_len(&w);
    ev->sent = msg;
    v2g_ev_clock_sent(&ev->clk, now_ms, s_msg_timeout(ev, msg));
    ev->requests++;
    return HAL_OK;
}


uint32_t iso2_ev_deadline(const struct iso2_ev *ev)
{
    return v2g_ev_clock_wake(&ev->clk);
}

enum iso2_ev_state iso2_ev_state(const struct iso2_ev *ev)
{
    return ev->state;
}

const char *iso2_ev_state_name(enum iso2_ev_state s)
{
    static const char *const names[ISO2_EV_STATE_COUNT] = {
        "idle",          "handshake",       "session_setup",    "service_discovery",
        "service_detail", "payment_selection", "certificate", "payment_details", "authorization", "charge_parameter",
        "cable_check",   "precharge",       "power_on",         "current_demand", "metering_receipt",
        "renegotiate",   "power_off",       "welding_detection", "session_stop",
        "done",          "paused",          "din_chosen",       "failed",
    };
    return (unsigned)s < ISO2_EV_STATE_COUNT ? names[s] : "?";
}

const char *iso2_ev_reason(const struct iso2_ev *ev)
{
    return ev->reason != NULL ? ev->reason : "";
}

const struct iso2_ev_evse *iso2_ev_evse(const struct iso2_ev *ev)
{
    return &ev->evse;
}

const struct iso2_ev_actions *iso2_ev_actions(const struct iso2_ev *ev)
{
    return &ev->act;
}

static const char *const s_misbehave_names[ISO2_EV_MISBEHAVE_COUNT] = {
    "none", "pause-in-cable-check", "cd-before-power-delivery", "unknown-tuple",
    "profile-above-pmax", "resume-unknown-id", "iso2-after-din",
};

const char *iso2_ev_misbehave_name(enum iso2_ev_misbehave b)
{
    return (unsigned)b < ISO2_EV_MISBEHAVE_COUNT ? s_misbehave_names[b] : "?";
}

int iso2_ev_misbehave_parse(const char *name, enum iso2_ev_misbehave *b)
{
    for (unsigned i = 0; name != NULL && i < ISO2_EV_MISBEHAVE_COUNT; i++) {
        if (strcmp(name, s_misbehave_names[i]) == 0) {
            *b = (enum iso2_ev_misbehave)i;
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

int iso2_ev_chosen_offer(const struct iso2_ev *ev)
{
    return ev->chosen_offer;
}
