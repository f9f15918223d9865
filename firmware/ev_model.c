/* The simulated car (see ev_model.h): battery, protocol machine, link and pilot, one task. */
#include "ev_model.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "hal_fmt.h"
#include "v2gtp/v2gtp.h"

/* Open-circuit voltage of one NMC cell against its state of charge, every 10 %: the
 * steep ends and the flat middle that make pre-charge targets move with the SOC. */
static const uint16_t s_cell_ocv_mv[11] = {3000, 3450, 3550, 3620, 3680, 3740,
                                           3810, 3890, 3980, 4080, 4180};

void ev_battery_default_config(struct ev_battery_config *cfg)
{
    cfg->capacity_wh = 60000;
    cfg->cells_series = 96;
    cfg->r_mohm = 80;
    cfg->max_current_ma = 200000;
    cfg->max_voltage_mv = 410000;
    cfg->taper_from_soc = 55;
}

void ev_battery_init(struct ev_battery *b, const struct ev_battery_config *cfg, uint8_t soc_percent)
{
    b->cfg = *cfg;
    soc_percent = soc_percent > 100 ? 100 : soc_percent;
    b->energy_mwh = (int64_t)cfg->capacity_wh * soc_percent * 10;
    b->charged_mwh = 0;
    b->rest_mw_ms = 0;
}

uint16_t ev_battery_soc_permille(const struct ev_battery *b)
{
    if (b->cfg.capacity_wh == 0) {
        return 0;
    }
    int64_t p = b->energy_mwh / (int64_t)b->cfg.capacity_wh;
    return (uint16_t)(p < 0 ? 0 : p > 1000 ? 1000 : p);
}

uint8_t ev_battery_soc(const struct ev_battery *b)
{
    return (uint8_t)(ev_battery_soc_permille(b) / 10u);
}

int32_t ev_battery_ocv_mv(const struct ev_battery *b)
{
    uint32_t pm = ev_battery_soc_permille(b);
    uint32_t k = pm / 100u;
    uint32_t cell = s_cell_ocv_mv[k];
    if (k < 10u) {
        cell += (uint32_t)(s_cell_ocv_mv[k + 1u] - s_cell_ocv_mv[k]) * (pm % 100u) / 100u;
    }
    return (int32_t)(cell * b->cfg.cells_series);
}

int32_t ev_battery_terminal_mv(const struct ev_battery *b, int32_t current_ma)
{
    return ev_battery_ocv_mv(b) + (int32_t)((int64_t)current_ma * b->cfg.r_mohm / 1000);
}

int32_t ev_battery_acceptance_ma(const struct ev_battery *b)
{
    uint32_t pm = ev_battery_soc_permille(b);
    uint32_t from = (uint32_t)b->cfg.taper_from_soc * 10u;
    int64_t i = b->cfg.max_current_ma;
    if (pm >= 1000u) {
        return 0;
    }
    if (pm > from && from < 1000u) {
        /* Linear taper to 5 % of the maximum at full. */
        int64_t floor = i / 20;
        i = floor + (i - floor) * (int64_t)(1000u - pm) / (int64_t)(1000u - from);
    }
    /* And never above what keeps the terminal voltage under the pack's limit. */
    if (b->cfg.r_mohm > 0) {
        int64_t headroom = (int64_t)b->cfg.max_voltage_mv - ev_battery_ocv_mv(b);
        int64_t iv = headroom > 0 ? headroom * 1000 / b->cfg.r_mohm : 0;
        i = iv < i ? iv : i;
    }
    return (int32_t)i;
}

void ev_battery_charge(struct ev_battery *b, int32_t current_ma, int32_t voltage_mv, uint32_t dt_ms)
{
    /* mW x ms, with the remainder carried so 1 ms steps add up exactly. */
    int64_t e = (int64_t)voltage_mv * current_ma / 1000 * (int64_t)dt_ms + b->rest_mw_ms;
    int64_t mwh = e / 3600000;
    b->rest_mw_ms = e - mwh * 3600000;
    b->energy_mwh += mwh;
    b->charged_mwh += mwh;
    int64_t full = (int64_t)b->cfg.capacity_wh * 1000;
    b->energy_mwh = b->energy_mwh > full ? full : b->energy_mwh < 0 ? 0 : b->energy_mwh;
}

void ev_model_default_config(struct ev_model_config *cfg, enum din_ev_profile profile)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->name, "ev0", 4);
    cfg->profile = profile;
    ev_battery_default_config(&cfg->battery);
    cfg->soc_start = 30;
    cfg->soc_target = 80;
    din_ev_default_config(&cfg->din);
    din_ev_profile(&cfg->din, profile);
    cfg->protocol = EV_MODEL_PROTO_DIN;
    iso2_ev_default_config(&cfg->iso2);
    iso20_ev_default_config(&cfg->iso20);
    ev_link_default_config(&cfg->link);
}

int ev_model_protocol_parse(const char *name, struct ev_model_config *cfg)
{
    static const struct {
        const char *name;
        enum ev_model_protocol p;
    } t[] = {{"din", EV_MODEL_PROTO_DIN},     {"iso2", EV_MODEL_PROTO_ISO2},
             {"auto", EV_MODEL_PROTO_AUTO},   {"iso20", EV_MODEL_PROTO_ISO20},
             {"auto20", EV_MODEL_PROTO_AUTO20}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(name, t[i].name) == 0) {
            cfg->protocol = t[i].p;
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

int ev_model_profile_parse(const char *name, struct ev_model_config *cfg)
{
    static const struct {
        const char *name;
        enum din_ev_profile p;
        bool dead;
        enum ev_model_protocol proto;
        bool pause;
        enum iso20_ev_mode mode;
    } t[] = {{"standard", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_DIN, false, ISO20_EV_DYNAMIC},
             {"tesla", DIN_EV_PROFILE_TESLA, false, EV_MODEL_PROTO_DIN, false, ISO20_EV_DYNAMIC},
             {"ioniq", DIN_EV_PROFILE_IONIQ, false, EV_MODEL_PROTO_DIN, false, ISO20_EV_DYNAMIC},
             {"polestar", DIN_EV_PROFILE_POLESTAR, false, EV_MODEL_PROTO_DIN, false, ISO20_EV_DYNAMIC},
             {"tesla-precharge-stop", DIN_EV_PROFILE_TESLA, true, EV_MODEL_PROTO_DIN, false, ISO20_EV_DYNAMIC},
             /* the standard car speaking ISO 15118-2 (newer cars prefer it) */
             {"iso2", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO2, false, ISO20_EV_DYNAMIC},
             {"iso2-din", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_AUTO, false, ISO20_EV_DYNAMIC},
             {"iso2-pause", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO2, true, ISO20_EV_DYNAMIC},
             /* the standard car speaking ISO 15118-20 DC: scheduled (the car may pause on
              * its own only there), dynamic, and -20 first with ISO-2 and DIN behind */
             {"iso20", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO20, false, ISO20_EV_SCHEDULED},
             {"iso20-dynamic", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO20, false, ISO20_EV_DYNAMIC},
             {"iso20-pause", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO20, true, ISO20_EV_SCHEDULED},
             {"iso20-auto", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_AUTO20, false, ISO20_EV_DYNAMIC},
             /* -20 scheduled that stands by once (PowerDelivery(Standby), sheet §4.4) */
             {"iso20-standby", DIN_EV_PROFILE_STANDARD, false, EV_MODEL_PROTO_ISO20, false, ISO20_EV_SCHEDULED}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(name, t[i].name) == 0) {
            ev_model_default_config(cfg, t[i].p);
            cfg->inlet_dead = t[i].dead;
            cfg->protocol = t[i].proto;
            cfg->iso20.mode = t[i].mode; /* used only by the -20 profiles */
            if (t[i].pause) {
                cfg->pause_after_ms = 20000;
                cfg->resume_after_ms = 5000;
            }
            if (strcmp(name, "iso20-standby") == 0) {
                cfg->iso20.standby_after_ms = 10000; /* 10 s into the loop, for 5 s */
                cfg->iso20.standby_ms = 5000;
            }
            return HAL_OK;
        }
    }
    return HAL_EINVAL;
}

static void ev_model_contactor_update(struct ev_model *m, uint32_t now_ms);

static void ev_model_say(struct ev_model *m, uint32_t now_ms, const char *what, const char *detail)
{
    hal_logf(m->log, HAL_LOG_INFO, now_ms, "[%s] EV: %s%s%s", m->cfg.name, what, detail[0] ? ": " : "",
             detail);
}

static void ev_model_update(struct ev_model *m)
{
    struct din_ev_model *d = &m->din.model;
    const struct ev_battery *b = &m->bat;
    uint8_t soc = ev_battery_soc(b);
    int32_t accept = ev_battery_acceptance_ma(b);
    if (m->cfg.request_ma != 0 && (int32_t)m->cfg.request_ma < accept) {
        accept = (int32_t)m->cfg.request_ma;
    }
    bool full = soc >= m->cfg.soc_target;
    bool timed = m->cfg.charge_ms_max != 0 && m->cd_since_ms != 0 &&
                 m->last_ms - m->cd_since_ms >= m->cfg.charge_ms_max;
    d->soc = soc;
    d->ready = true;
    d->error_code = exi_din_DC_EVErrorCodeType_NO_ERROR;
    d->battery_voltage_mv = ev_battery_ocv_mv(b);
    d->target_voltage_mv = (int32_t)b->cfg.max_voltage_mv;
    d->max_voltage_mv = (int32_t)b->cfg.max_voltage_mv;
    d->max_current_ma = (int32_t)b->cfg.max_current_ma;
    d->max_power_w = (int32_t)((int64_t)b->cfg.max_voltage_mv * b->cfg.max_current_ma / 1000000); /* mV x mA = uW */
    d->capacity_wh = (int32_t)b->cfg.capacity_wh;
    int32_t req = (int32_t)((int64_t)b->cfg.capacity_wh * (m->cfg.soc_target > soc ? m->cfg.soc_target - soc : 0) / 100);
    d->energy_request_wh = req;
    d->full_soc = 100;
    d->bulk_soc = (int16_t)m->cfg.soc_target;
    d->remaining_full_s = 3600;
    d->remaining_bulk_s = 1800;
    d->charging_complete = full;
    d->bulk_charging_complete = full;
    d->stop = full || timed;
    d->target_current_ma = d->stop ? 0 : accept;
    d->inlet_voltage_mv = m->cfg.inlet_dead ? 0 : m->physics ? m->inlet_mv : -1;
    /* A car-initiated schedule renegotiation, once: the machine clears the wish when sent. */
    bool reneg = m->cfg.renegotiate_after_ms != 0 && !m->reneg_done && m->cd_since_ms != 0 &&
                 m->last_ms - m->cd_since_ms >= m->cfg.renegotiate_after_ms && (m->use_iso2 || m->use_iso20);
    if (reneg) {
        m->reneg_done = true;
        if (m->use_iso20) {
            m->iso20.model.renegotiate = true;
        } else {
            m->iso2.model.renegotiate = true;
        }
    }
    if (m->use_iso2) {
        /* The same car, told to the ISO-2 machine; a due pause is a stop that pauses. */
        struct iso2_ev_model *q = &m->iso2.model;
        bool pause = m->cfg.pause_after_ms != 0 && !m->pause_done && m->cd_since_ms != 0 &&
                     m->last_ms - m->cd_since_ms >= m->cfg.pause_after_ms;
        q->soc = d->soc;
        q->ready = d->ready;
        q->error_code = exi_iso2_DC_EVErrorCodeType_NO_ERROR;
        q->battery_voltage_mv = d->battery_voltage_mv;
        q->target_voltage_mv = d->target_voltage_mv;
        q->max_voltage_mv = d->max_voltage_mv;
        q->max_current_ma = d->max_current_ma;
        q->max_power_w = d->max_power_w;
        q->capacity_wh = d->capacity_wh;
        q->energy_request_wh = d->energy_request_wh;
        q->full_soc = d->full_soc;
        q->bulk_soc = d->bulk_soc;
        q->remaining_full_s = d->remaining_full_s;
        q->remaining_bulk_s = d->remaining_bulk_s;
        q->charging_complete = d->charging_complete;
        q->bulk_charging_complete = d->bulk_charging_complete;
        q->stop = d->stop || pause;
        q->pause = pause && !d->stop;
        q->target_current_ma = q->stop ? 0 : accept;
        q->inlet_voltage_mv = d->inlet_voltage_mv;
    }
    if (m->use_iso20) {
        /* The same car for the -20 machine: its limits, energy requests to the target SOC,
         * to full and to the minimum SOC of its ScheduleExchangeReq (negative above it). */
        struct iso20_ev_model *q = &m->iso20.model;
        bool pause = m->cfg.pause_after_ms != 0 && !m->pause_done && m->cd_since_ms != 0 &&
                     m->last_ms - m->cd_since_ms >= m->cfg.pause_after_ms;
        int32_t cap = (int32_t)b->cfg.capacity_wh;
        q->soc = soc;
        q->target_soc = m->cfg.soc_target;
        q->battery_voltage_mv = d->battery_voltage_mv;
        q->target_voltage_mv = d->target_voltage_mv;
        q->max_voltage_mv = d->max_voltage_mv;
        q->min_voltage_mv = (int32_t)(s_cell_ocv_mv[0] * (uint32_t)b->cfg.cells_series);
        q->max_current_ma = d->max_current_ma;
        q->min_current_ma = 0;
        q->max_power_w = d->max_power_w;
        q->min_power_w = 0;
        q->capacity_wh = cap;
        q->energy_request_wh = req;
        q->energy_max_wh = (int32_t)((int64_t)cap * (100 - soc) / 100);
        q->energy_min_wh = (int32_t)((int64_t)cap * ((int32_t)m->iso20.cfg.minimum_soc - (int32_t)soc) / 100);
        q->charging_complete = d->charging_complete;
        q->stop = d->stop || pause;
        q->pause = pause && !d->stop;
        q->target_current_ma = q->stop ? 0 : accept;
        q->inlet_voltage_mv = d->inlet_voltage_mv;
    }
}

/* The running machine's view, whichever protocol it speaks. */
static bool ev_model_cp_c(const struct ev_model *m)
{
    return m->use_iso20 ? iso20_ev_actions(&m->iso20)->cp_c
           : m->use_iso2 ? iso2_ev_actions(&m->iso2)->cp_c : din_ev_actions(&m->din)->cp_c;
}

static bool ev_model_want_contactors(const struct ev_model *m)
{
    return m->use_iso20 ? iso20_ev_actions(&m->iso20)->contactors
           : m->use_iso2 ? iso2_ev_actions(&m->iso2)->contactors : din_ev_actions(&m->din)->contactors;
}

void ev_model_set_misbehave(struct ev_model *m, enum iso2_ev_misbehave b)
{
    /* Taken by the next ISO-2 session's start (a running one keeps its own copy). */
    m->cfg.iso2.misbehave = b;
}

bool ev_model_in_current_demand(const struct ev_model *m)
{
    return m->phase == EV_MODEL_SESSION &&
           (m->use_iso20  ? iso20_ev_state(&m->iso20) == ISO20_EV_CHARGE_LOOP
            : m->use_iso2 ? iso2_ev_state(&m->iso2) == ISO2_EV_CURRENT_DEMAND
                          : din_ev_state(&m->din) == DIN_EV_CURRENT_DEMAND);
}

const char *ev_model_protocol_name(const struct ev_model *m)
{
    if (m->use_iso20) {
        return iso20_ev_chosen_offer(&m->iso20) >= 0 ? "ISO 15118-20" : ""; /* -20 was negotiated */
    }
    if (m->use_iso2) {
        return "ISO 15118-2";
    }
    return m->din.state > DIN_EV_HANDSHAKE ? "DIN 70121" : "";
}

/* Start the session's machine on a fresh V2G connection: DIN as before, else ISO-2 (a new
 * session, or the resume of a paused one). */
/* The ISO-2 machine's configuration for this car (its MAC, its start delay, DIN behind ISO-2
 * for the auto car). */
static void ev_model_iso2_config(const struct ev_model *m, struct iso2_ev_config *c)
{
    *c = m->cfg.iso2;
    /* One identity for both protocols: the car's MAC is the DIN configuration's EVCCID. */
    c->evccid_len = m->cfg.din.evccid_len <= 6 ? m->cfg.din.evccid_len : 6;
    memcpy(c->evccid, m->cfg.din.evccid, c->evccid_len);
    c->start_delay_ms = m->cfg.din.start_delay_ms;
    if (m->cfg.protocol == EV_MODEL_PROTO_AUTO || m->cfg.protocol == EV_MODEL_PROTO_AUTO20) {
        iso2_ev_offer_din_too(c);
    }
}

static int ev_model_start_iso20(struct ev_model *m, uint32_t now_ms)
{
    m->use_iso20 = true;
    m->use_iso2 = false;
    struct iso20_ev_config c = m->cfg.iso20;
    /* -20's EVCCID is a string: the car's MAC as twelve hex digits. */
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (uint8_t i = 0; i < m->cfg.din.evccid_len && n + 2 < sizeof c.evccid; i++) {
        c.evccid[n++] = hex[m->cfg.din.evccid[i] >> 4];
        c.evccid[n++] = hex[m->cfg.din.evccid[i] & 15u];
    }
    if (n > 0) {
        c.evccid[n] = '\0';
    }
    c.start_delay_ms = m->cfg.din.start_delay_ms;
    if (m->cfg.protocol == EV_MODEL_PROTO_AUTO20) {
        iso20_ev_offer_too(&c, APPHAND_NS_ISO2);
        iso20_ev_offer_too(&c, APPHAND_NS_DIN);
    }
    return iso20_ev_start(&m->iso20, &c, now_ms);
}

static int ev_model_start_machine(struct ev_model *m, uint32_t now_ms)
{
    if (m->paused && m->use_iso20) {
        return iso20_ev_resume(&m->iso20, now_ms);
    }
    if (m->paused && m->use_iso2) {
        /* ISO-2 paused: as before; also a -20-first car whose charger picked ISO-2. */
        return iso2_ev_resume(&m->iso2, now_ms);
    }
    if ((m->cfg.protocol == EV_MODEL_PROTO_ISO20 || m->cfg.protocol == EV_MODEL_PROTO_AUTO20) && !m->no_iso20) {
        return ev_model_start_iso20(m, now_ms);
    }
    m->use_iso20 = false;
    if (m->cfg.protocol == EV_MODEL_PROTO_DIN) {
        m->use_iso2 = false;
        return din_ev_start(&m->din, &m->cfg.din, now_ms);
    }
    m->use_iso2 = true;
    if (m->paused) {
        return iso2_ev_resume(&m->iso2, now_ms);
    }
    struct iso2_ev_config c;
    ev_model_iso2_config(m, &c);
    return iso2_ev_start(&m->iso2, &c, now_ms);
}

int ev_model_init(struct ev_model *m, const struct ev_model_config *cfg,
                  const struct ev_link_ports *ports, struct sched *s, struct pilot_ev *cp,
                  struct hal_log *log, uint32_t now_ms)
{
    if (m == NULL || cfg == NULL || ports == NULL || s == NULL || ports->eth == NULL ||
        ports->net == NULL || ports->rng == NULL) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->ports = *ports;
    m->sched = s;
    m->cp = cp;
    m->log = log;
    m->phase = EV_MODEL_AWAY;
    m->last_ms = now_ms;
    m->result = "";
    ev_battery_init(&m->bat, &cfg->battery, cfg->soc_start);
    return HAL_OK;
}

/* Session over as far as the machine goes: DONE, FAILED, PAUSED (ISO-2) or nothing yet. */
static enum ev_model_phase ev_model_machine_end(const struct ev_model *m, bool *ok, const char **why)
{
    *ok = false;
    *why = "";
    if (m->use_iso20) {
        switch (iso20_ev_state(&m->iso20)) {
        case ISO20_EV_DONE:
            /* A refusal ends with SessionStop too: clean, but not what the car wanted. */
            *ok = !iso20_ev_refused(&m->iso20);
            *why = *ok ? "ok" : iso20_ev_reason(&m->iso20);
            return EV_MODEL_DONE;
        case ISO20_EV_FAILED: *why = iso20_ev_reason(&m->iso20); return EV_MODEL_DONE;
        case ISO20_EV_PAUSED: return EV_MODEL_PAUSED;
        default: return EV_MODEL_SESSION;
        }
    }
    if (m->use_iso2) {
        switch (iso2_ev_state(&m->iso2)) {
        case ISO2_EV_DONE: *ok = true; *why = "ok"; return EV_MODEL_DONE;
        case ISO2_EV_FAILED: *why = iso2_ev_reason(&m->iso2); return EV_MODEL_DONE;
        case ISO2_EV_PAUSED: return EV_MODEL_PAUSED;
        default: return EV_MODEL_SESSION;
        }
    }
    switch (din_ev_state(&m->din)) {
    case DIN_EV_DONE: *ok = true; *why = "ok"; return EV_MODEL_DONE;
    case DIN_EV_FAILED: *why = din_ev_reason(&m->din); return EV_MODEL_DONE;
    default: return EV_MODEL_SESSION;
    }
}

static void ev_model_finish(struct ev_model *m, uint32_t now_ms, bool ok, const char *why)
{
    m->ok = ok;
    m->result = why;
    m->phase = EV_MODEL_DONE;
    if (m->cp != NULL) {
        (void)pilot_ev_set_s2(m->cp, false);
    }
    if (m->link.state != EV_LINK_FAILED) {
        ev_link_close(&m->link, now_ms, ok ? "session over" : why);
    }
    char line[96], wh[HAL_FMT_I64_LEN]; /* no "%lld" in newlib-nano */
    (void)hal_fmt_i64(wh, (int64_t)(m->bat.charged_mwh / 1000));
    snprintf(line, sizeof line, "%s, SOC %u %% -> %u %%, %s Wh taken", ok ? "ok" : why,
             m->soc_start_seen, ev_battery_soc(&m->bat), wh);
    ev_model_say(m, now_ms, "session over", line);
}

static void ev_model_step(struct sched_task *t, uint32_t now_ms)
{
    struct ev_model *m = t->ctx;
    uint32_t next = now_ms + 10u;
    m->last_ms = now_ms;
    /* A car ends its session when the charger takes the 5 % PWM away for good. */
    if (m->cp != NULL && (m->phase == EV_MODEL_LINK || m->phase == EV_MODEL_SESSION)) {
        if (m->cp->mode == PILOT_EV_MODE_HLC) {
            m->no_pwm_since_ms = 0;
        } else if (m->no_pwm_since_ms == 0) {
            m->no_pwm_since_ms = now_ms != 0 ? now_ms : 1u;
        } else if (now_ms - m->no_pwm_since_ms >= 1000u) {
            bool mok;
            const char *mwhy;
            if (m->phase == EV_MODEL_SESSION && ev_model_machine_end(m, &mok, &mwhy) == EV_MODEL_DONE && mok) {
                ev_model_finish(m, now_ms, true, "ok");
            } else {
                ev_model_finish(m, now_ms, false, "the charger switched the 5 % PWM off");
            }
            sched_task_at(t, now_ms + 100u);
            return;
        }
    }
    switch (m->phase) {
    case EV_MODEL_AWAY:
    case EV_MODEL_DONE:
        next = now_ms + 100u;
        break;
    case EV_MODEL_PAUSED:
        /* Paused (ISO-2): S2 open, no link. Then the wake-up: S2 closed for 400 ms (the
         * B-C-B toggle the I2-PAUSE capture shows), and a new link once 5 % PWM is back. */
        if (now_ms - m->paused_ms >= m->cfg.resume_after_ms + 400u) {
            if (m->cp != NULL) {
                (void)pilot_ev_set_s2(m->cp, false);
            }
            ev_model_say(m, now_ms, "wake-up", "resuming the paused session");
            m->phase = EV_MODEL_WAIT_PWM;
            next = now_ms;
        } else if (now_ms - m->paused_ms >= m->cfg.resume_after_ms && m->cp != NULL) {
            (void)pilot_ev_set_s2(m->cp, true);
        }
        break;
    case EV_MODEL_WAIT_PWM:
        if (m->cp == NULL || m->cp->mode == PILOT_EV_MODE_HLC) {
            if (m->link_added) {
                sched_remove(m->sched, &m->link.task);
                m->link_added = false;
            }
            int rc = ev_link_init(&m->link, &m->cfg.link, &m->ports, m->sched, now_ms);
            if (rc != HAL_OK) {
                ev_model_finish(m, now_ms, false, "link could not start");
                break;
            }
            m->link_added = true;
            ev_model_say(m, now_ms, "5 % PWM seen", "starting SLAC");
            m->phase = EV_MODEL_LINK;
        }
        break;
    case EV_MODEL_LINK:
        if (m->link.state == EV_LINK_FAILED) {
            ev_model_finish(m, now_ms, false, m->link.reason != NULL ? m->link.reason : "link failed");
        } else if (m->link.state == EV_LINK_CONNECTING || m->link.state == EV_LINK_CONNECTED) {
            bool resuming = m->paused;
            bool car20 = m->cfg.protocol == EV_MODEL_PROTO_ISO20 || m->cfg.protocol == EV_MODEL_PROTO_AUTO20;
            if (car20 && m->link.secure && m->link.state == EV_LINK_CONNECTING) {
                break; /* -20 over TLS: what to offer depends on the version the handshake gives */
            }
            uint16_t tls = ev_link_tls_version(&m->link);
            m->no_iso20 = car20 && tls != 0 && tls < 0x0304u;
            if (m->no_iso20 && (m->cfg.protocol == EV_MODEL_PROTO_ISO20 || (resuming && m->use_iso20))) {
                /* [V2G20-1237]: -20 never over TLS 1.2, and this car (or its paused session)
                 * has nothing else to offer */
                ev_model_finish(m, now_ms, false,
                                "ISO 15118-20 refused: the SECC negotiated TLS 1.2, -20 needs TLS 1.3");
                break;
            }
            if (ev_model_start_machine(m, now_ms) != HAL_OK) {
                ev_model_finish(m, now_ms, false, "the EV machine refused its configuration");
                break;
            }
            if (!resuming) {
                m->soc_start_seen = ev_battery_soc(&m->bat);
            }
            m->paused = false;
            ev_model_update(m);
            ev_model_say(m, now_ms, "V2G connection",
                         resuming && m->use_iso20 ? "resuming the ISO 15118-20 session"
                         : resuming               ? "resuming the ISO 15118-2 session"
                         : m->use_iso20           ? "starting the session (ISO 15118-20 DC offered)"
                         : m->use_iso2            ? "starting the session (ISO 15118-2 offered)"
                                                  : "starting the DIN session");
            m->phase = EV_MODEL_SESSION;
            next = now_ms;
        }
        break;
    case EV_MODEL_SESSION: {
        uint16_t type;
        const uint8_t *p;
        uint32_t len;
        ev_model_update(m);
        while (ev_link_recv(&m->link, &type, &p, &len) == HAL_OK) {
            if (m->use_iso20) {
                (void)iso20_ev_receive(&m->iso20, type, p, len, now_ms); /* the type picks the grammar */
            } else if (type == V2GTP_PT_EXI) {
                if (m->use_iso2) {
                    (void)iso2_ev_receive(&m->iso2, p, len, now_ms);
                } else {
                    (void)din_ev_receive(&m->din, p, len, now_ms);
                }
            }
            ev_link_consume(&m->link);
        }
        if (m->use_iso20 && iso20_ev_state(&m->iso20) == ISO20_EV_OTHER_CHOSEN) {
            /* The SECC took ISO-2 or DIN from a -20-first car: that machine goes on at
             * SessionSetup on this connection. */
            int chosen = iso20_ev_chosen_offer(&m->iso20);
            const char *ns = chosen >= 0 ? m->iso20.cfg.offers[chosen].ns : "";
            bool iso2 = ns != NULL && strcmp(ns, APPHAND_NS_ISO2) == 0;
            m->use_iso20 = false;
            m->use_iso2 = iso2;
            int rc;
            if (iso2) {
                struct iso2_ev_config c;
                ev_model_iso2_config(m, &c);
                rc = iso2_ev_start_negotiated(&m->iso2, &c, 0, now_ms);
            } else {
                rc = din_ev_start_negotiated(&m->din, &m->cfg.din, 0, now_ms);
            }
            if (rc != HAL_OK) {
                ev_model_finish(m, now_ms, false, "the EV machine refused its configuration");
                break;
            }
            ev_model_say(m, now_ms, "protocol", iso2 ? "the charger chose ISO 15118-2" : "the charger chose DIN 70121");
        }
        if (m->use_iso2 && iso2_ev_state(&m->iso2) == ISO2_EV_DIN_CHOSEN) {
            /* The SECC took DIN from an ISO-2-first car: the DIN machine goes on from here. */
            m->use_iso2 = false;
            if (din_ev_start_negotiated(&m->din, &m->cfg.din, iso2_ev_chosen_offer(&m->iso2), now_ms) != HAL_OK) {
                ev_model_finish(m, now_ms, false, "the DIN machine refused its configuration");
                break;
            }
            ev_model_say(m, now_ms, "protocol", "the charger chose DIN 70121");
        }
        if (ev_model_in_current_demand(m) && m->cd_since_ms == 0) {
            m->cd_since_ms = now_ms;
        }
        ev_model_update(m);
        size_t n = 0;
        uint16_t pt = V2GTP_PT_EXI;
        int rc = m->use_iso20 ? iso20_ev_next(&m->iso20, now_ms, m->buf, sizeof m->buf, &n, &pt)
                 : m->use_iso2 ? iso2_ev_next(&m->iso2, now_ms, m->buf, sizeof m->buf, &n)
                               : din_ev_next(&m->din, now_ms, m->buf, sizeof m->buf, &n);
        if (rc == HAL_OK) {
            (void)ev_link_send(&m->link, pt, m->buf, (uint32_t)n, false);
        }
        if (m->cp != NULL) {
            (void)pilot_ev_set_s2(m->cp, ev_model_cp_c(m));
        }
        bool mok;
        const char *mwhy;
        enum ev_model_phase end = ev_model_machine_end(m, &mok, &mwhy);
        if (end == EV_MODEL_DONE) {
            ev_model_finish(m, now_ms, mok, mwhy);
        } else if (end == EV_MODEL_PAUSED) {
            /* SessionStopRes(Pause): close this connection; the session waits to resume. */
            ev_link_close(&m->link, now_ms, "session paused");
            m->paused = true;
            m->pause_done = true;
            m->paused_ms = now_ms;
            m->cd_since_ms = 0;
            m->phase = EV_MODEL_PAUSED;
            ev_model_say(m, now_ms, "session paused", "SessionStop(Pause) answered, link closed");
        } else if (m->link.state == EV_LINK_FAILED) {
            ev_model_finish(m, now_ms, false, m->link.reason != NULL ? m->link.reason : "link lost");
        } else {
            uint32_t d = m->use_iso20 ? iso20_ev_deadline(&m->iso20)
                         : m->use_iso2 ? iso2_ev_deadline(&m->iso2) : din_ev_deadline(&m->din);
            next = hal_time_reached(d, now_ms) ? now_ms + 1u : d;
            next = hal_time_diff(next, now_ms) > 10 ? now_ms + 10u : next;
        }
        break;
    }
    }
    if (!m->physics) {
        ev_model_contactor_update(m, now_ms);
    }
    /* Without physics the battery takes what the EVSE says it delivers. */
    if (!m->physics && ev_model_contactors(m)) {
        int32_t i_ma = m->use_iso20 ? iso20_ev_evse(&m->iso20)->present_current_ma
                       : m->use_iso2 ? iso2_ev_evse(&m->iso2)->present_current_ma : din_ev_evse(&m->din)->present_current_ma;
        int32_t u_mv = m->use_iso20 ? iso20_ev_evse(&m->iso20)->present_voltage_mv
                       : m->use_iso2 ? iso2_ev_evse(&m->iso2)->present_voltage_mv : din_ev_evse(&m->din)->present_voltage_mv;
        uint32_t dt = m->int_ms != 0 ? now_ms - m->int_ms : 0;
        if (dt < 1000u && i_ma > 0) {
            ev_battery_charge(&m->bat, i_ma, u_mv, dt);
        }
    }
    m->int_ms = now_ms;
    sched_task_at(t, next);
}

int ev_model_plug(struct ev_model *m, uint32_t now_ms)
{
    if (m->phase != EV_MODEL_AWAY && m->phase != EV_MODEL_DONE) {
        return HAL_ESTATE; /* a paused car is still plugged */
    }
    if (m->task.step == NULL) {
        sched_task_init(&m->task, m->cfg.name, ev_model_step, m, true);
        int rc = sched_add(m->sched, &m->task, now_ms);
        if (rc != HAL_OK) {
            return rc;
        }
    }
    if (m->cp != NULL) {
        pilot_ev_plug(m->cp, true);
    }
    m->phase = EV_MODEL_WAIT_PWM;
    m->paused = false;
    m->pause_done = false;
    m->reneg_done = false;
    m->plugged_ms = now_ms;
    m->cd_since_ms = 0;
    m->no_pwm_since_ms = 0;
    m->ok = false;
    m->result = "";
    m->bat.charged_mwh = 0;
    sched_task_at(&m->task, now_ms);
    ev_model_say(m, now_ms, "plugged in", "state B");
    return HAL_OK;
}

void ev_model_unplug(struct ev_model *m, uint32_t now_ms)
{
    if (m->link_added && m->link.state != EV_LINK_FAILED) {
        ev_link_close(&m->link, now_ms, "unplugged");
    }
    if (m->phase != EV_MODEL_DONE && m->phase != EV_MODEL_AWAY) {
        m->result = "unplugged during the session";
        m->ok = false;
    }
    if (m->cp != NULL) {
        (void)pilot_ev_set_s2(m->cp, false);
        pilot_ev_plug(m->cp, false);
    }
    m->phase = EV_MODEL_AWAY;
    m->closed = false;
    ev_model_say(m, now_ms, "unplugged", "state A");
}

void ev_model_physics(struct ev_model *m, uint32_t now_ms, int32_t inlet_mv, int32_t current_ma)
{
    uint32_t dt = now_ms - m->phys_ms;
    m->physics = true;
    m->inlet_mv = inlet_mv;
    m->current_ma = current_ma;
    ev_model_contactor_update(m, now_ms);
    if (ev_model_contactors(m) && current_ma > 0 && dt < 1000u) {
        ev_battery_charge(&m->bat, current_ma, inlet_mv, dt);
    }
    m->phys_ms = now_ms;
}

/* Like a real car (clara, the Ioniq): after PowerDelivery(stop) the contactors open only
 * once the current has fallen below 2 A, or after 2 s at the latest. */
static void ev_model_contactor_update(struct ev_model *m, uint32_t now_ms)
{
    bool want = m->phase == EV_MODEL_SESSION && ev_model_want_contactors(m);
    if (want) {
        m->closed = true;
        m->open_asked_ms = 0;
    } else if (m->closed) {
        if (m->open_asked_ms == 0) {
            m->open_asked_ms = now_ms != 0 ? now_ms : 1u;
        }
        if (!m->physics || m->current_ma < 2000 || now_ms - m->open_asked_ms >= 2000u ||
            m->phase == EV_MODEL_AWAY) {
            m->closed = false;
        }
    }
}

bool ev_model_contactors(const struct ev_model *m)
{
    return m->closed;
}

enum ev_model_phase ev_model_phase(const struct ev_model *m)
{
    return m->phase;
}

const struct ev_battery *ev_model_battery(const struct ev_model *m)
{
    return &m->bat;
}

const char *ev_model_result(const struct ev_model *m)
{
    return m->result;
}

bool ev_model_ok(const struct ev_model *m)
{
    return m->ok;
}

void ev_model_iso2_counts(const struct ev_model *m, uint32_t *renegotiations, uint32_t *resumes)
{
    /* The ISO-2 machine keeps counting across a DIN hand-over only if it ran: a car that
     * ended up in DIN reports none. */
    *renegotiations = m->use_iso20 ? m->iso20.renegotiations : m->use_iso2 ? m->iso2.renegotiations : 0u;
    *resumes = m->use_iso20 ? m->iso20.resumes : m->use_iso2 ? m->iso2.resumes : 0u;
}

uint8_t ev_model_soc_start(const struct ev_model *m)
{
    return m->soc_start_seen;
}
