/* station.c - the charging station: owns the connectors' bookkeeping for the station API
 * (status in OCPP terms, the event ring, tokens waiting for a vehicle, availability) and
 * the sharing of the station's power limit. It reads the connectors through their public
 * API only and changes them only through it (stop, authorise, limit, operative, reset),
 * so every safety order stays the connector's own. See docs/station.md. */
#include "station.h"

#include <string.h>

#include "hal_clock.h"

/* Below this the vehicle is taken to ask for nothing (SuspendedEV). */
#define STATION_IDLE_CURRENT_MA 500

/* Power-phase states: the connector may draw power from the station's supply. */
static bool station_power_phase(enum charger_state s)
{
    switch (s) {
    case CHARGER_ENERGIZING:
    case CHARGER_CHARGING:
    case CHARGER_PARAMETERS:
    case CHARGER_CABLE_CHECK:
    case CHARGER_PRECHARGE:
        return true;
    default:
        return false;
    }
}

/* A session runs (a vehicle was detected and the connector is not back to idle). */
static bool station_in_session(enum charger_state s)
{
    return s != CHARGER_IDLE;
}

static struct station_event *station_push(struct station *st, enum station_event_kind kind,
                                          uint8_t connector)
{
    if (st->ev_count == CFG_STATION_EVENTS) {
        /* Nobody reads: drop the oldest, count it (the connectors' own histories and the
         * meter journal keep what matters for billing). */
        st->ev_head = (st->ev_head + 1u) % CFG_STATION_EVENTS;
        st->ev_count--;
        st->dropped++;
    }
    struct station_event *e = &st->ev[(st->ev_head + st->ev_count) % CFG_STATION_EVENTS];
    st->ev_count++;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->connector = connector;
    e->time_ms = st->now_ms;
    return e;
}

static void station_copy_token(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= STATION_TOKEN_MAX) {
        n = STATION_TOKEN_MAX - 1u;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---------------------------------------------------------------- status */

static enum station_status station_map_status(const struct station_connector *k)
{
    enum charger_state s = charger_state(k->c);
    switch (s) {
    case CHARGER_IDLE:
        if (charger_held_fault(k->c) != NULL) {
            return STATION_FAULTED; /* no session is offered until an operator reset */
        }
        return k->availability == STATION_INOPERATIVE ? STATION_UNAVAILABLE : STATION_AVAILABLE;
    case CHARGER_FAULT:
        return STATION_FAULTED;
    case CHARGER_STOPPING:
    case CHARGER_FINISHED:
    case CHARGER_WELDING:
        return STATION_FINISHING;
    case CHARGER_CHARGING: {
        if (k->share_zero) {
            return STATION_SUSPENDED_EVSE;
        }
        int32_t mv, ma;
        charger_present(k->c, &mv, &ma);
        const struct hlc_ev *ev = charger_ev(k->c);
        bool v2g = strcmp(charger_protocol_name(k->c), "pilot") != 0;
        if (v2g && ev->target_current_ma < STATION_IDLE_CURRENT_MA && ma < STATION_IDLE_CURRENT_MA) {
            return STATION_SUSPENDED_EV;
        }
        return STATION_CHARGING;
    }
    default:
        return STATION_PREPARING;
    }
}

static void station_measure(struct station *st, uint8_t i)
{
    struct station_connector *k = &st->conn[i];
    struct station_event *e = station_push(st, STATION_EV_MEASUREMENT, i);
    struct station_measurement *m = &e->u.meas;
    charger_present(k->c, &m->voltage_mv, &m->current_ma);
    m->power_w = (int32_t)((int64_t)m->voltage_mv * m->current_ma / 1000000);
    const struct charger_session_record *r = charger_session_in_progress(k->c);
    m->energy_wh = charger_session_energy_wh(k->c);
    m->soc = (int16_t)(r != NULL ? r->soc_end : -1);
    m->limit_w = k->share_zero ? 0u : k->share_w;
    k->measured_ms = st->now_ms;
}

/* ---------------------------------------------------------------- errors */

static bool station_err_known(const struct station_connector *k, enum errors_source src, uint32_t code)
{
    for (uint8_t j = 0; j < k->nerrs; j++) {
        if (k->errs[j].source == src && k->errs[j].code == code) {
            return true;
        }
    }
    return false;
}

static void station_errors(struct station *st, uint8_t i)
{
    struct station_connector *k = &st->conn[i];
    const struct errors *er = charger_errors(k->c);
    for (uint8_t j = 0; j < k->nerrs; j++) {
        if (!errors_active(er, k->errs[j].source, k->errs[j].code)) {
            struct station_event *e = station_push(st, STATION_EV_ERROR_CLEARED, i);
            e->u.error.source = k->errs[j].source;
            e->u.error.code = k->errs[j].code;
            e->u.error.text = "";
        }
    }
    for (uint8_t j = 0; j < er->count; j++) {
        const struct errors_entry *x = &er->active[j];
        if (!station_err_known(k, x->source, x->code)) {
            struct station_event *e = station_push(st, STATION_EV_ERROR_RAISED, i);
            e->u.error.source = x->source;
            e->u.error.code = x->code;
            e->u.error.severity = x->severity;
            e->u.error.text = x->text != NULL ? x->text : "";
        }
    }
    k->nerrs = er->count <= CFG_ERRORS_MAX ? er->count : (uint8_t)CFG_ERRORS_MAX;
    for (uint8_t j = 0; j < k->nerrs; j++) {
        k->errs[j].source = er->active[j].source;
        k->errs[j].code = er->active[j].code;
    }
}

/* ---------------------------------------------------------------- EV information */

static void station_hex(const uint8_t *b, uint8_t n, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (uint8_t j = 0; j < n && o + 2u < cap; j++) {
        out[o++] = digits[b[j] >> 4];
        out[o++] = digits[b[j] & 0x0fu];
    }
    out[o] = '\0';
}

static void station_ev_info(struct station *st, uint8_t i)
{
    struct station_connector *k = &st->conn[i];
    enum charger_state s = charger_state(k->c);
    if (!station_in_session(s)) {
        memset(&k->ev, 0, sizeof k->ev);
        k->ev_params = false;
        return;
    }
    const char *proto = charger_protocol_name(k->c);
    if (proto[0] == '\0') {
        return; /* nothing negotiated yet */
    }
    struct station_ev_info now;
    memset(&now, 0, sizeof now);
    now.protocol = proto;
    const struct hlc_ev *ev = charger_ev(k->c);
    bool v2g = strcmp(proto, "pilot") != 0;
    /* The EV's SoC and maxima come with its charge parameters: unknown before them. */
    if (s == CHARGER_PARAMETERS || s == CHARGER_CABLE_CHECK || s == CHARGER_PRECHARGE ||
        s == CHARGER_CHARGING) {
        k->ev_params = v2g;
    }
    now.soc = (int16_t)(k->ev_params ? ev->soc : -1);
    now.max_voltage_mv = k->ev_params ? ev->max_voltage_mv : -1;
    now.max_current_ma = k->ev_params ? ev->max_current_ma : -1;
    now.max_power_w = k->ev_params ? ev->max_power_w : -1;
    if (v2g) {
        station_hex(ev->evccid, ev->evccid_len, now.evccid, sizeof now.evccid);
    }
    if (k->ev.protocol != NULL && strcmp(k->ev.protocol, now.protocol) == 0 && k->ev.soc == now.soc &&
        k->ev.max_voltage_mv == now.max_voltage_mv && k->ev.max_current_ma == now.max_current_ma &&
        k->ev.max_power_w == now.max_power_w && strcmp(k->ev.evccid, now.evccid) == 0) {
        return;
    }
    k->ev = now;
    station_push(st, STATION_EV_EV_INFO, i)->u.ev = now;
}

/* ---------------------------------------------------------------- power sharing */

/* The cap of one connector in W from its own limits at its present voltage. */
static uint32_t station_own_cap_w(const struct station_connector *k, uint32_t station_ma)
{
    int32_t mv, ma;
    charger_present(k->c, &mv, &ma);
    (void)ma;
    /* Before the output is up the present voltage says nothing: use the rating. */
    uint32_t v = mv > 50000 ? (uint32_t)mv : charger_config_of(k->c)->max_voltage_mv;
    uint32_t rating_w = charger_config_of(k->c)->max_power_w;
    uint64_t cap = rating_w != 0 ? rating_w : UINT32_MAX;
    if (k->limit_w < cap) {
        cap = k->limit_w;
    }
    if (k->limit_ma != STATION_NO_LIMIT) {
        uint64_t w = (uint64_t)k->limit_ma * v / 1000000u;
        cap = w < cap ? w : cap;
    }
    if (station_ma != STATION_NO_LIMIT) {
        uint64_t w = (uint64_t)station_ma * v / 1000000u;
        cap = w < cap ? w : cap;
    }
    return cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
}

/*
 * Policy (docs/station.md "Power sharing"): the station's budget is split equally among the
 * connectors in a power phase; a connector whose own cap is below its equal part keeps its
 * cap and the rest is split among the others (water filling). A connector not in a power
 * phase is given the part it would get if it started now, so a start never takes more
 * than its part before the next pass recomputes the others. The current limit is shared
 * the same way and turned into W at each connector's voltage.
 */
static void station_share(struct station *st)
{
    uint32_t caps[CFG_STATION_CONNECTORS];
    bool active[CFG_STATION_CONNECTORS];
    uint8_t nactive = 0;
    for (uint8_t i = 0; i < st->n; i++) {
        active[i] = station_power_phase(charger_state(st->conn[i].c));
        nactive = (uint8_t)(nactive + (active[i] ? 1u : 0u));
    }
    for (uint8_t i = 0; i < st->n; i++) {
        /* the station's current limit, as this connector's equal part */
        uint32_t parts = nactive + (active[i] ? 0u : 1u);
        uint32_t ma = st->cfg.max_current_ma != STATION_NO_LIMIT
                          ? st->cfg.max_current_ma / (parts != 0 ? parts : 1u)
                          : STATION_NO_LIMIT;
        caps[i] = station_own_cap_w(&st->conn[i], ma);
    }
    uint64_t budget = st->cfg.max_power_w != STATION_NO_LIMIT ? st->cfg.max_power_w : UINT64_MAX;
    /* water filling over the active connectors */
    bool done[CFG_STATION_CONNECTORS] = {false};
    uint64_t left = budget;
    uint32_t remaining = nactive;
    uint32_t share[CFG_STATION_CONNECTORS] = {0};
    while (remaining > 0) {
        uint64_t part = left / remaining;
        bool capped = false;
        for (uint8_t i = 0; i < st->n; i++) {
            if (active[i] && !done[i] && caps[i] <= part) {
                share[i] = caps[i];
                left -= caps[i];
                done[i] = true;
                remaining--;
                capped = true;
            }
        }
        if (!capped) {
            for (uint8_t i = 0; i < st->n; i++) {
                if (active[i] && !done[i]) {
                    share[i] = part > UINT32_MAX ? UINT32_MAX : (uint32_t)part;
                    done[i] = true;
                }
            }
            remaining = 0;
        }
    }
    for (uint8_t i = 0; i < st->n; i++) {
        struct station_connector *k = &st->conn[i];
        uint64_t w = active[i] ? share[i] : budget / (nactive + 1u);
        if (!active[i] && caps[i] < w) {
            w = caps[i];
        }
        uint32_t rating_w = charger_config_of(k->c)->max_power_w;
        uint32_t rating = rating_w != 0 ? rating_w : UINT32_MAX;
        k->share_zero = w == 0;
        /* at or above the rating: no external limit (the connector's own rules apply) */
        k->share_w = w >= rating ? 0u : (uint32_t)w;
        charger_set_power_limit(k->c, k->share_zero ? 0u : k->share_w != 0 ? k->share_w
                                                                         : CHARGER_NO_POWER_LIMIT);
    }
}

/* ---------------------------------------------------------------- the pass */

static void station_tokens(struct station *st, uint8_t i)
{
    struct station_connector *k = &st->conn[i];
    const struct charger_token *ct = charger_token(k->c);
    if (!k->token_pending && !k->token_used && ct->source == CHARGER_TOKEN_CONTRACT &&
        station_in_session(charger_state(k->c))) {
        /* Plug & Charge: the car's proved contract authorised the session, its eMAID is the
         * session's token (what OCPP reports, and may ask the backend about). */
        station_copy_token(k->token, ct->id);
        k->token_source = STATION_TOKEN_CONTRACT;
        k->token_used = true;
        return;
    }
    if (k->token_refused) {
        if (charger_state(k->c) == CHARGER_AUTHORIZING) {
            charger_authorize_id(k->c, NULL, false);
            k->token_refused = false;
        } else if (!station_in_session(charger_state(k->c))) {
            k->token_refused = false; /* the session ended before it asked */
        }
        return;
    }
    if (!k->token_pending) {
        return;
    }
    if (charger_state(k->c) == CHARGER_AUTHORIZING) {
        charger_authorize_id(k->c, k->token, true);
        k->token_pending = false;
        k->token_used = true;
    } else if (!station_in_session(charger_state(k->c)) &&
               hal_time_diff(st->now_ms, k->token_since_ms) >= (int32_t)st->cfg.token_timeout_ms) {
        k->token_pending = false; /* no vehicle came (OCPP ConnectionTimeOut) */
        k->token[0] = '\0';
    }
}

static void station_sessions(struct station *st, uint8_t i)
{
    struct station_connector *k = &st->conn[i];
    const struct charger_stats *cs = charger_stats(k->c);
    if (cs->sessions != k->sessions_seen) {
        k->sessions_seen = cs->sessions;
        if (k->token_pending && strcmp(charger_protocol_name(k->c), "pilot") == 0) {
            /* no authorization step without a link: the token given before is this one's */
            k->token_pending = false;
            k->token_used = true;
        }
        struct station_event *e = station_push(st, STATION_EV_SESSION_STARTED, i);
        e->u.started.number = cs->sessions;
        station_copy_token(e->u.started.token, k->token_pending || k->token_used ? k->token : "");
        e->u.started.source = k->token_source;
    }
    if (charger_history_count(k->c) != k->history_seen) {
        k->history_seen = charger_history_count(k->c);
        const struct charger_session_record *r =
            charger_history(k->c, k->history_seen <= CFG_CHARGER_HISTORY ? k->history_seen - 1u
                                                                         : CFG_CHARGER_HISTORY - 1u);
        struct station_event *e = station_push(st, STATION_EV_SESSION_STOPPED, i);
        if (r != NULL) {
            e->u.stopped.record = *r;
        }
        station_copy_token(e->u.stopped.token, k->token_used ? k->token : "");
        e->u.stopped.source = k->token_source;
        k->token_used = false;
        if (!k->token_pending) {
            k->token[0] = '\0';
        }
    }
}

void station_poll(struct station *st, uint32_t now_ms)
{
    st->now_ms = now_ms;
    station_share(st);
    for (uint8_t i = 0; i < st->n; i++) {
        struct station_connector *k = &st->conn[i];
        station_tokens(st, i);
        station_sessions(st, i);
        enum charger_state cs = charger_state(k->c);
        if (k->inoperative_after_session && !station_in_session(cs)) {
            k->inoperative_after_session = false;
            k->availability = STATION_INOPERATIVE;
            charger_set_operative(k->c, false);
        }
        station_errors(st, i);
        station_ev_info(st, i);
        enum station_status s = station_map_status(k);
        if (s != k->status) {
            struct station_event *e = station_push(st, STATION_EV_STATUS, i);
            e->u.status.from = k->status;
            e->u.status.to = s;
            k->status = s;
            station_measure(st, i);
        } else if (station_in_session(cs) &&
                   hal_time_diff(now_ms, k->measured_ms) >= (int32_t)st->cfg.measure_period_ms) {
            station_measure(st, i);
        }
    }
}

static void station_task_step(struct sched_task *t, uint32_t now_ms)
{
    struct station *st = t->ctx;
    station_poll(st, now_ms);
    /* every pass: a status change is reported, and a share recomputed, one pass late at most */
    sched_task_at(t, now_ms + 1u);
}

/* ---------------------------------------------------------------- set-up */

void station_default_config(struct station_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->measure_period_ms = 10000;
    cfg->token_timeout_ms = 60000;
}

int station_init(struct station *st, const struct station_config *cfg, struct charger *const *conns,
                 uint8_t n, struct sched *s, uint32_t now_ms)
{
    if (n == 0 || n > CFG_STATION_CONNECTORS || conns == NULL || cfg == NULL ||
        cfg->measure_period_ms == 0) {
        return HAL_EINVAL;
    }
    memset(st, 0, sizeof *st);
    st->cfg = *cfg;
    /* in the configuration 0 says "none" (a supply of nothing is no station) */
    if (st->cfg.max_power_w == 0) {
        st->cfg.max_power_w = STATION_NO_LIMIT;
    }
    if (st->cfg.max_current_ma == 0) {
        st->cfg.max_current_ma = STATION_NO_LIMIT;
    }
    st->n = n;
    st->now_ms = now_ms;
    for (uint8_t i = 0; i < n; i++) {
        if (conns[i] == NULL) {
            return HAL_EINVAL;
        }
        struct station_connector *k = &st->conn[i];
        k->c = conns[i];
        k->limit_ma = STATION_NO_LIMIT;
        k->limit_w = STATION_NO_LIMIT;
        k->sessions_seen = charger_stats(k->c)->sessions;
        k->history_seen = charger_history_count(k->c);
        k->status = station_map_status(k);
        k->measured_ms = now_ms;
    }
    sched_task_init(&st->task, "station", station_task_step, st, false);
    return sched_add(s, &st->task, now_ms);
}

/* ---------------------------------------------------------------- commands */

static struct station_connector *station_conn(struct station *st, uint8_t connector)
{
    return connector < st->n ? &st->conn[connector] : NULL;
}

int station_authorize(struct station *st, uint8_t connector, const char *token,
                      enum station_token_source source)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL || token == NULL || token[0] == '\0' || strlen(token) >= STATION_TOKEN_MAX ||
        (unsigned)source >= STATION_TOKEN_SOURCE_COUNT) {
        return HAL_EINVAL;
    }
    if (k->availability == STATION_INOPERATIVE || k->inoperative_after_session) {
        return HAL_ESTATE;
    }
    enum charger_state s = charger_state(k->c);
    if (station_in_session(s) && s != CHARGER_AUTHORIZING && s != CHARGER_LINK &&
        s != CHARGER_NEGOTIATING) {
        return HAL_ESTATE; /* this session is authorised already, or ending */
    }
    station_copy_token(k->token, token);
    k->token_source = source;
    k->token_since_ms = st->now_ms;
    if (s == CHARGER_AUTHORIZING) {
        charger_authorize_id(k->c, k->token, true);
        k->token_pending = false;
        k->token_used = true;
    } else {
        k->token_pending = true; /* used when the vehicle asks (AUTHORIZING) */
    }
    return HAL_OK;
}

int station_refuse(struct station *st, uint8_t connector, const char *token)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL || token == NULL || strlen(token) >= STATION_TOKEN_MAX) {
        return HAL_EINVAL;
    }
    if (k->token_pending && strcmp(k->token, token) == 0) {
        k->token_pending = false; /* not used for the next session either */
        k->token[0] = '\0';
    }
    enum charger_state s = charger_state(k->c);
    if (s == CHARGER_AUTHORIZING) {
        charger_authorize_id(k->c, token, false);
        return HAL_OK;
    }
    if (s == CHARGER_LINK || s == CHARGER_NEGOTIATING) {
        k->token_refused = true; /* the answer came first: refused when the session asks */
        return HAL_OK;
    }
    return HAL_ESTATE;
}

int station_remote_start(struct station *st, uint8_t connector, const char *token)
{
    return station_authorize(st, connector, token, STATION_TOKEN_BACKEND);
}

int station_remote_stop(struct station *st, uint8_t connector)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL) {
        return HAL_EINVAL;
    }
    enum charger_state s = charger_state(k->c);
    if (!station_in_session(s) || s == CHARGER_FINISHED || s == CHARGER_FAULT) {
        return HAL_ESTATE;
    }
    charger_request_stop(k->c);
    return HAL_OK;
}

int station_pause(struct station *st, uint8_t connector)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL) {
        return HAL_EINVAL;
    }
    /* DIN 70121 and the pilot-level session have no pause (ISO 15118-2/-20 will). */
    return HAL_ENOTSUP;
}

int station_resume(struct station *st, uint8_t connector)
{
    return station_pause(st, connector);
}

int station_unlock(struct station *st, uint8_t connector)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL) {
        return HAL_EINVAL;
    }
    if (charger_held_fault(k->c) != NULL) {
        return HAL_ESTATE;
    }
    enum charger_state s = charger_state(k->c);
    if (station_in_session(s) && s != CHARGER_FINISHED && s != CHARGER_FAULT) {
        charger_request_stop(k->c); /* the connector unlocks after its safe stop */
    }
    return HAL_OK;
}

static void station_availability_one(struct station_connector *k, enum station_availability a,
                                     bool after_session)
{
    if (a == STATION_OPERATIVE) {
        k->inoperative_after_session = false;
        k->availability = STATION_OPERATIVE;
        charger_set_operative(k->c, true);
        return;
    }
    enum charger_state s = charger_state(k->c);
    if (station_in_session(s) && after_session) {
        k->inoperative_after_session = true;
        return;
    }
    k->availability = STATION_INOPERATIVE;
    k->token_pending = false;
    charger_set_operative(k->c, false);
    if (station_in_session(s) && s != CHARGER_FINISHED && s != CHARGER_FAULT) {
        charger_request_stop(k->c);
    }
}

int station_set_availability(struct station *st, uint8_t connector, enum station_availability a,
                             bool after_session)
{
    if (a != STATION_OPERATIVE && a != STATION_INOPERATIVE) {
        return HAL_EINVAL;
    }
    if (connector == STATION_ALL) {
        for (uint8_t i = 0; i < st->n; i++) {
            station_availability_one(&st->conn[i], a, after_session);
        }
        return HAL_OK;
    }
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL) {
        return HAL_EINVAL;
    }
    station_availability_one(k, a, after_session);
    return HAL_OK;
}

int station_set_limit(struct station *st, uint8_t connector, uint32_t max_ma, uint32_t max_w)
{
    if (connector == STATION_ALL) {
        st->cfg.max_current_ma = max_ma;
        st->cfg.max_power_w = max_w;
    } else {
        struct station_connector *k = station_conn(st, connector);
        if (k == NULL) {
            return HAL_EINVAL;
        }
        k->limit_ma = max_ma;
        k->limit_w = max_w;
    }
    /* at once, through the same path as every pass: the caller is between two passes */
    station_share(st);
    return HAL_OK;
}

int station_reset_fault(struct station *st, uint8_t connector, const char **why)
{
    struct station_connector *k = station_conn(st, connector);
    if (k == NULL) {
        return HAL_EINVAL;
    }
    enum charger_reset_result r = charger_reset(k->c, st->now_ms, why);
    return r == CHARGER_RESET_DONE || r == CHARGER_RESET_NOTHING ? HAL_OK : HAL_ESTATE;
}

/* ---------------------------------------------------------------- reading */

int station_event_pop(struct station *st, struct station_event *out)
{
    if (st->ev_count == 0) {
        return HAL_EAGAIN;
    }
    *out = st->ev[st->ev_head];
    st->ev_head = (st->ev_head + 1u) % CFG_STATION_EVENTS;
    st->ev_count--;
    return HAL_OK;
}

uint32_t station_events_dropped(const struct station *st)
{
    return st->dropped;
}

enum station_status station_status(const struct station *st, uint8_t connector)
{
    return connector < st->n ? st->conn[connector].status : STATION_UNAVAILABLE;
}

bool station_token_waiting(const struct station *st, uint8_t connector)
{
    return connector < st->n && st->conn[connector].token_pending;
}

uint32_t station_connector_limit_w(const struct station *st, uint8_t connector)
{
    if (connector >= st->n) {
        return 0;
    }
    return st->conn[connector].share_zero ? 0u : st->conn[connector].share_w;
}

const char *station_status_name(enum station_status s)
{
    static const char *const names[STATION_STATUS_COUNT] = {
        "Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
        "Finishing", "Reserved",  "Unavailable", "Faulted"};
    return (unsigned)s < STATION_STATUS_COUNT ? names[s] : "?";
}

const char *station_token_source_name(enum station_token_source s)
{
    static const char *const names[STATION_TOKEN_SOURCE_COUNT] = {"local", "rfid", "backend",
                                                                  "evccid", "contract"};
    return (unsigned)s < STATION_TOKEN_SOURCE_COUNT ? names[s] : "?";
}

const char *station_event_kind_name(enum station_event_kind k)
{
    static const char *const names[STATION_EV_KIND_COUNT] = {
        "none", "status", "session-started", "session-stopped", "measurement",
        "error-raised", "error-cleared", "ev-info"};
    return (unsigned)k < STATION_EV_KIND_COUNT ? names[k] : "?";
}
