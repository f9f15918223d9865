/* api_mqtt.c - owns the MQTT API's state (struct api_mqtt): what each topic published last
 * (the on-change rule), the commands checked and handed to the station, their replies, and
 * the firmware-update walk of the Charge Control M topics. The board's MQTT client only
 * moves bytes; every decision about what to say and what to obey is made here, so the same
 * rules hold on the Linux board, in the simulator and in the unit tests. */
#include "api_mqtt.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "hal_err.h"

static const char *const s_fwu_names[API_MQTT_FWU_STATE_COUNT] = {
    "idle", "downloading", "download-succeeded", "download-failed", "installing", "install-succeeded",
    "install-failed"};

static const char *const s_isolation_names[HLC_ISOLATION_COUNT] = {"invalid", "valid", "warning", "fault"};

const char *api_mqtt_fwu_state_name(enum api_mqtt_fwu_state s)
{
    return (unsigned)s < API_MQTT_FWU_STATE_COUNT ? s_fwu_names[s] : "?";
}

uint32_t api_mqtt_hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 16777619u;
    }
    return h;
}

int api_mqtt_init(struct api_mqtt *m, const struct api_mqtt_config *cfg, const struct api_mqtt_ops *ops,
                  struct station *st, uint32_t station_ma, uint32_t station_w, uint32_t now_ms)
{
    if (cfg == NULL || ops == NULL || st == NULL || ops->publish == NULL || ops->download_start == NULL ||
        ops->download_poll == NULL || ops->install_start == NULL || ops->install_poll == NULL ||
        api_mqtt_check_config(cfg, NULL) != HAL_OK) {
        return HAL_EINVAL;
    }
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    if (m->cfg.version == NULL) {
        m->cfg.version = "unknown";
    }
    m->ops = *ops;
    m->st = st;
    snprintf(m->base, sizeof m->base, "%s/%s/%s", cfg->prefix, API_MQTT_VERSION, cfg->station_id);
    m->now_ms = now_ms;
    m->start_ms = now_ms;
    m->station_ma = station_ma;
    m->station_w = station_w;
    for (unsigned i = 0; i < CFG_STATION_CONNECTORS; i++) {
        m->conn[i].limit_ma = STATION_NO_LIMIT;
        m->conn[i].limit_w = STATION_NO_LIMIT;
    }
    m->fwu.want_trials = 1;
    m->fwu.want_interval_s = 60;
    return HAL_OK;
}

const char *api_mqtt_base(const struct api_mqtt *m)
{
    return m->base;
}

void api_mqtt_will(struct api_mqtt *m, char *topic, size_t tcap, const char **payload)
{
    snprintf(topic, tcap, "%s/online", m->base);
    *payload = "false";
}

const char *api_mqtt_subscription(const struct api_mqtt *m, unsigned i, char *buf, size_t cap)
{
    switch (i) {
    case 0:
        snprintf(buf, cap, "%s/cmd", m->base);
        return buf;
    case 1:
        snprintf(buf, cap, "firmware/update/target/#");
        return buf;
    default:
        return NULL;
    }
}

void api_mqtt_connected(struct api_mqtt *m, bool up)
{
    m->connected = up;
    m->announced = false;
    /* a new connection: the broker may have lost what it retained (a restart without
     * persistence), so every state topic goes out once more */
    for (unsigned i = 0; i < CFG_STATION_CONNECTORS; i++) {
        for (unsigned t = 0; t < API_MQTT_T_COUNT; t++) {
            m->conn[i].f[t].sent = false;
        }
    }
    m->station_limits.sent = false;
    for (unsigned t = 0; t < 4; t++) {
        m->fwu.f[t].sent = false;
    }
}

/* ---------------------------------------------------------------- publishing */

static bool api_mqtt_pub(struct api_mqtt *m, const char *topic, const char *payload, size_t len, bool retain)
{
    if (len == 0 && payload[0] != '\0') {
        return false;
    }
    if (m->ops.publish(m->ops.ctx, topic, payload, len, retain) != HAL_OK) {
        return false;
    }
    m->published++;
    return true;
}

static const char *api_mqtt_ctopic(struct api_mqtt *m, uint8_t conn, const char *leaf)
{
    snprintf(m->topic, sizeof m->topic, "%s/connector/%u/%s", m->base, (unsigned)conn + 1u, leaf);
    return m->topic;
}

bool api_mqtt_changed(const struct api_mqtt_filter *f, const int64_t *v, const int64_t *floor, unsigned n,
                      uint32_t hash, uint32_t now_ms, uint32_t deadband_pct, uint32_t min_interval_ms)
{
    if (!f->sent || hash != f->hash) {
        return true;
    }
    if (now_ms - f->at_ms < min_interval_ms) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        int64_t last = f->last[i];
        int64_t d = v[i] - last;
        if (d < 0) {
            d = -d;
        }
        int64_t mag = last < 0 ? -last : last;
        int64_t band = mag / 100 * (int64_t)deadband_pct;
        if (band < floor[i]) {
            band = floor[i];
        }
        /* beyond the band, or a change to or from zero (a stop, a start) however small */
        if (d > band || (d != 0 && (v[i] == 0 || last == 0))) {
            return true;
        }
    }
    return false;
}

/* Publish @p len bytes of m->payload on m->topic when the filter says so (numbers @p v,
 * relative band @p pct, minimum interval @p interval_ms). */
static void api_mqtt_offer_band(struct api_mqtt *m, struct api_mqtt_filter *f, const int64_t *v,
                                const int64_t *floor, unsigned n, uint32_t hash, size_t len, bool retain,
                                uint32_t pct, uint32_t interval_ms)
{
    if (!api_mqtt_changed(f, v, floor, n, hash, m->now_ms, pct, interval_ms)) {
        return;
    }
    if (!api_mqtt_pub(m, m->topic, m->payload, len, retain)) {
        return;
    }
    f->sent = true;
    f->hash = hash;
    f->at_ms = m->now_ms;
    for (unsigned i = 0; i < n && i < 6u; i++) {
        f->last[i] = v[i];
    }
}

/* The usual rule: telemetry with the configured band and interval, state topics at once. */
static void api_mqtt_offer(struct api_mqtt *m, struct api_mqtt_filter *f, const int64_t *v, const int64_t *floor,
                           unsigned n, uint32_t hash, size_t len, bool retain, bool telemetry)
{
    api_mqtt_offer_band(m, f, v, floor, n, hash, len, retain, telemetry ? m->cfg.deadband_pct : 0,
                        telemetry ? m->cfg.min_interval_ms : 0);
}

/* A state topic: published when its text changes, at once. */
static void api_mqtt_offer_state(struct api_mqtt *m, struct api_mqtt_filter *f, size_t len)
{
    api_mqtt_offer(m, f, NULL, NULL, 0, api_mqtt_hash(m->payload, len), len, true, false);
}

static void api_mqtt_limit_member(struct api_json_out *w, const char *key, uint32_t v, bool amps)
{
    if (v == STATION_NO_LIMIT) {
        api_json_null(w, key);
    } else if (amps) {
        api_json_milli(w, key, (int64_t)v);
    } else {
        api_json_int(w, key, (int64_t)v);
    }
}

static const char *const s_psu_modes[] = {"off", "export", "import", "fault"};

/* What the power stage says of itself: its output as read back, the setpoint in force, and
 * what the optional operations give (mode, modules, temperature, errors). A field the stage
 * cannot give is left out rather than invented. */
static void api_mqtt_poll_stage(struct api_mqtt *m, uint8_t i)
{
    struct api_mqtt_conn *k = &m->conn[i];
    const struct charger *c = m->st->conn[i].c;
    struct psu *p = charger_psu(c);
    struct psu_telemetry t;
    struct api_json_out w;
    if (p == NULL) {
        return;
    }
    memset(&t, 0, sizeof t);
    bool tel = psu_read_telemetry(p, &t, m->now_ms) == HAL_OK;
    if (!tel && psu_read_output(p, &t.output, m->now_ms) != HAL_OK) {
        t.output.valid = false;
    }
    int32_t set_mv = 0, set_ma = 0;
    charger_setpoint_now(c, &set_mv, &set_ma);

    /* temperature: the hottest module that answers */
    size_t nmod = 0;
    bool have_temp = false;
    int32_t temp = 0;
    if (psu_read_modules(p, m->mod, API_MQTT_PSU_MODULES, &nmod) == HAL_OK) {
        for (size_t j = 0; j < nmod && j < API_MQTT_PSU_MODULES; j++) {
            if (m->mod[j].online && (!have_temp || m->mod[j].temperature_c > temp)) {
                temp = m->mod[j].temperature_c;
                have_temp = true;
            }
        }
    }

    /* errors: their EVerest names, and the worst severity among them */
    size_t nerr = 0;
    bool have_err = psu_get_errors(p, m->perr, API_MQTT_PSU_ERRORS, &nerr) == HAL_OK;
    size_t ln = 0;
    int worst = -1;
    if (have_err) {
        const size_t lcap = sizeof m->list;
        m->list[ln++] = '[';
        for (size_t j = 0; j < nerr && j < API_MQTT_PSU_ERRORS; j++) {
            int n = snprintf(m->list + ln, lcap - ln, "%s\"%s\"", j > 0 ? "," : "", psu_error_name(m->perr[j].type));
            if (n < 0 || (size_t)n >= lcap - ln - 2u) {
                break; /* cut: the severity still counts every error */
            }
            ln += (size_t)n;
        }
        for (size_t j = 0; j < nerr && j < API_MQTT_PSU_ERRORS; j++) {
            worst = (int)m->perr[j].severity > worst ? (int)m->perr[j].severity : worst;
        }
        m->list[ln++] = ']';
        m->list[ln] = '\0';
    }

    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_bool(&w, "valid", t.output.valid);
    api_json_milli(&w, "voltage_v", t.output.voltage_mv);
    api_json_milli(&w, "current_a", t.output.current_ma);
    api_json_milli(&w, "set_voltage_v", set_mv);
    api_json_milli(&w, "set_current_a", set_ma);
    if (tel) {
        api_json_str(&w, "mode", (unsigned)t.mode < 4u ? s_psu_modes[t.mode] : "?");
        if (t.modules_configured > 0u) {
            api_json_int(&w, "modules_online", t.modules_online);
            api_json_int(&w, "modules_configured", t.modules_configured);
        }
    }
    if (have_temp) {
        api_json_int(&w, "temperature_c", temp);
    }
    if (have_err) {
        api_json_raw(&w, "errors", m->list);
        api_json_str(&w, "severity", worst >= 0 ? psu_severity_name((enum psu_severity)worst) : NULL);
    }
    size_t len = api_json_end(&w);
    int64_t v[5] = {t.output.voltage_mv, t.output.current_ma, set_mv, set_ma, have_temp ? temp : 0};
    static const int64_t floor[5] = {1000, 200, 1000, 200, 1};
    uint8_t text[8] = {t.output.valid, tel, (uint8_t)t.mode, t.modules_online, t.modules_configured, have_temp,
                       have_err, (uint8_t)(worst + 1)};
    uint32_t h = api_mqtt_hash(text, sizeof text) ^ (have_err ? api_mqtt_hash(m->list, ln) : 0u);
    api_mqtt_ctopic(m, i, "power_stage");
    api_mqtt_offer(m, &k->f[API_MQTT_T_POWER_STAGE], v, floor, 5, h, len, true, true);
}

/* @p milli as JSON text after @p sep ("230.5"), trailing zeros dropped as api_json_milli()
 * does; returns the characters written (at most 24). */
static size_t api_mqtt_milli_text(char *out, const char *sep, int32_t milli)
{
    uint32_t a = milli < 0 ? 0u - (uint32_t)milli : (uint32_t)milli;
    int n = snprintf(out, 24, "%s%s%lu.%03u", sep, milli < 0 ? "-" : "", (unsigned long)(a / 1000u),
                     (unsigned)(a % 1000u));
    size_t k = n > 0 ? (size_t)n : 0u;
    while (k > 0u && out[k - 1u] == '0') {
        k--;
    }
    if (k > 0u && out[k - 1u] == '.') {
        k--;
    }
    out[k] = '\0';
    return k;
}

/* What the central unit feeding the stage reports (Huawei: sheet §10), on change only:
 * its mode, AC input, energy, this port's rating and availability, its alarm registers,
 * and the alarms this dispenser reports to it. A stage without such a unit (InfyPower)
 * publishes nothing here. AC values follow the telemetry band; everything else is state
 * and goes out at once when it changes (the energy at each whole kWh). */
static void api_mqtt_poll_unit(struct api_mqtt *m, uint8_t i)
{
    struct api_mqtt_conn *k = &m->conn[i];
    struct psu *p = charger_psu(m->st->conn[i].c);
    struct psu_unit_status *u = &m->unit;
    if (p == NULL || psu_read_unit(p, u, m->now_ms) != HAL_OK) {
        return;
    }
    struct psu_capabilities caps;
    bool have_caps = psu_get_capabilities(p, &caps) == HAL_OK;
    if (!have_caps) {
        memset(&caps, 0, sizeof caps);
    }
    struct api_json_out w;
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_str(&w, "psu_running_mode", u->running_mode);
    /* the three phases as arrays [A, B, C] (V, A): one key each keeps the payload short */
    for (unsigned q = 0; q < 2u; q++) {
        const int32_t *x = q == 0u ? u->ac_voltage_mv : u->ac_current_ma;
        const char *key = q == 0u ? "ac_input_voltage_v" : "ac_input_current_a";
        if (!u->ac_known) {
            api_json_null(&w, key);
            continue;
        }
        size_t n = 0;
        m->list[n++] = '[';
        for (unsigned j = 0; j < 3u; j++) {
            n += api_mqtt_milli_text(m->list + n, j > 0u ? "," : "", x[j]);
        }
        m->list[n++] = ']';
        m->list[n] = '\0';
        api_json_raw(&w, key, m->list);
    }
    if (u->energy_known) {
        api_json_int(&w, "input_energy_wh", u->input_energy_wh);
    } else {
        api_json_null(&w, "input_energy_wh");
    }
    if (have_caps) {
        api_json_milli(&w, "max_rated_voltage_v", caps.max_export_voltage_mv);
        api_json_milli(&w, "min_rated_voltage_v", caps.min_export_voltage_mv);
        api_json_milli(&w, "max_rated_current_a", caps.max_export_current_ma);
        api_json_milli(&w, "min_rated_current_a", caps.min_export_current_ma);
        api_json_int(&w, "rated_power_w", caps.max_export_power_w);
    }
    if (u->port_known) {
        api_json_bool(&w, "psu_port_available", u->port_available);
    } else {
        api_json_null(&w, "psu_port_available");
    }
    api_json_str(&w, "state", u->session_state);
    /* the dispenser's own alarms as it reports them to the unit (§10 published_alarms) */
    api_json_bool(&w, "door_status_alarm", (u->board_alarms & PSU_ALARM_DOOR) != 0u);
    api_json_bool(&w, "water_alarm", (u->board_alarms & PSU_ALARM_WATER) != 0u);
    api_json_bool(&w, "epo_alarm", (u->board_alarms & PSU_ALARM_ESTOP) != 0u);
    api_json_bool(&w, "tilt_alarm", (u->board_alarms & PSU_ALARM_TILT) != 0u);
    api_json_bool(&w, "contactor_fault_alarm", (u->board_alarms & PSU_ALARM_CONTACTOR) != 0u);
    /* the unit's alarm registers that are set (their bit meanings are not public) */
    size_t ln = 0;
    const size_t lcap = sizeof m->list;
    m->list[ln++] = '[';
    for (unsigned j = 0; j < u->alarm_count && j < PSU_UNIT_ALARMS; j++) {
        int n = snprintf(m->list + ln, lcap - ln, "%s\"0x%04X\"", j > 0u ? "," : "", (unsigned)u->alarm[j]);
        if (n < 0 || (size_t)n >= lcap - ln - 2u) {
            break;
        }
        ln += (size_t)n;
    }
    m->list[ln++] = ']';
    m->list[ln] = '\0';
    api_json_raw(&w, "psu_alarms", m->list);
    api_json_int(&w, "psu_alarm_count", u->alarm_count);
    size_t len = api_json_end(&w);

    int64_t v[6];
    for (unsigned j = 0; j < 3u; j++) {
        v[j] = u->ac_known ? u->ac_voltage_mv[j] : 0;
        v[3u + j] = u->ac_known ? u->ac_current_ma[j] : 0;
    }
    static const int64_t floor[6] = {1000, 1000, 1000, 200, 200, 200};
    /* the state part: everything but the AC values, the energy by whole kWh */
    struct {
        uint8_t flags[7];
        uint8_t count;
        int64_t kwh;
        uint32_t caps[5];
    } text;
    memset(&text, 0, sizeof text);
    text.flags[0] = u->ac_known;
    text.flags[1] = u->energy_known;
    text.flags[2] = u->port_known;
    text.flags[3] = u->port_available;
    text.flags[4] = u->board_alarms;
    text.flags[5] = have_caps;
    text.flags[6] = u->running_mode != NULL;
    text.count = u->alarm_count;
    text.kwh = u->energy_known ? u->input_energy_wh / 1000 : -1;
    text.caps[0] = caps.max_export_voltage_mv;
    text.caps[1] = caps.min_export_voltage_mv;
    text.caps[2] = caps.max_export_current_ma;
    text.caps[3] = caps.min_export_current_ma;
    text.caps[4] = caps.max_export_power_w;
    uint32_t h = api_mqtt_hash(&text, sizeof text) ^ api_mqtt_hash(m->list, ln) * 31u;
    if (u->running_mode != NULL) {
        h ^= api_mqtt_hash(u->running_mode, strlen(u->running_mode)) * 7u;
    }
    if (u->session_state != NULL) {
        h ^= api_mqtt_hash(u->session_state, strlen(u->session_state)) * 13u;
    }
    api_mqtt_ctopic(m, i, "power_unit");
    api_mqtt_offer(m, &k->f[API_MQTT_T_POWER_UNIT], v, floor, 6, h, len, true, true);
}

/* The meter session's transaction states as the API names them. */
static const char *api_mqtt_tx_name(enum meter_session_state s)
{
    switch (s) {
    case METER_S_IDLE:
        return "none";
    case METER_S_BEGINNING:
    case METER_S_STARTING:
        return "starting";
    case METER_S_ACTIVE:
        return "running";
    default:
        return "closing"; /* stopping, verifying, storing, confirming, recovering, aborting */
    }
}

static const char *const s_key_states[] = {"unpinned", "unknown", "match", "mismatch"};

/* The meter: its health, its energy register, the transaction and the last record closed.
 * The meter interface gives no model or serial number, so those are not published. */
static void api_mqtt_poll_meter(struct api_mqtt *m, uint8_t i)
{
    struct api_mqtt_conn *k = &m->conn[i];
    const struct charger *c = m->st->conn[i].c;
    struct meter *mt = charger_meter(c);
    struct meter_session *ms = charger_meter_session(c);
    struct api_json_out w;
    uint32_t dev = 0;
    int st = HAL_ENOENT;
    struct meter_live l;
    bool have_wh = false, stale = false;
    uint32_t seq = 0;
    int verify = HAL_OK;
    bool have_rec = ms != NULL && meter_session_last_record(ms, &seq, &verify) == HAL_OK;
    const char *tx = ms != NULL ? api_mqtt_tx_name(meter_session_state(ms)) : NULL;
    enum meter_key_state key = ms != NULL ? meter_session_key_state(ms) : METER_KEY_UNPINNED;

    memset(&l, 0, sizeof l);
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_bool(&w, "present", mt != NULL);
    if (mt != NULL) {
        static const char *const sts[] = {"ready", "detecting", "lost", "error"};
        st = meter_status(mt, &dev);
        unsigned si = st == HAL_OK ? 0u : st == HAL_EAGAIN ? 1u : st == HAL_ETIMEDOUT ? 2u : 3u;
        int lr = meter_live(mt, &l);
        have_wh = lr == HAL_OK || lr == HAL_ETIMEDOUT; /* stale: the last register read */
        stale = lr != HAL_OK;
        api_json_str(&w, "status", sts[si]);
        if (si == 3u) {
            api_json_int(&w, "device_error", dev);
        }
        if (have_wh) {
            api_json_int(&w, "energy_wh", l.import_wh);
            api_json_int(&w, "energy_j", l.import_wh * 3600);
            api_json_bool(&w, "stale", stale);
        } else {
            api_json_null(&w, "energy_wh");
        }
    }
    api_json_str(&w, "transaction", tx);
    if (ms != NULL) {
        api_json_str(&w, "key", (unsigned)key < 4u ? s_key_states[key] : "?");
    }
    if (have_rec) {
        char rec[96];
        snprintf(rec, sizeof rec, "{\"seq\":%lu,\"signature\":\"%s\"}", (unsigned long)seq,
                 verify == HAL_OK ? "valid" : verify == HAL_ENOTSUP ? "unchecked" : "invalid");
        api_json_raw(&w, "record", rec);
    } else {
        api_json_null(&w, "record");
    }
    size_t len = api_json_end(&w);
    /* the register only grows: a band relative to it would grow with the meter's age, so its
     * band is absolute (10 Wh) and the minimum interval paces it */
    int64_t v[1] = {have_wh ? l.import_wh : 0};
    static const int64_t floor[1] = {9};
    uint8_t text[7] = {mt != NULL, (uint8_t)(st + 64), have_wh, stale, (uint8_t)key, have_rec, (uint8_t)(verify + 64)};
    uint32_t h = api_mqtt_hash(text, sizeof text) ^ api_mqtt_hash(&seq, sizeof seq) ^ api_mqtt_hash(&dev, sizeof dev) ^
                 (tx != NULL ? api_mqtt_hash(tx, strlen(tx)) : 0u);
    api_mqtt_ctopic(m, i, "meter");
    api_mqtt_offer_band(m, &k->f[API_MQTT_T_METER], v, floor, 1, h, len, true, 0, m->cfg.min_interval_ms);
}

static void api_mqtt_poll_conn(struct api_mqtt *m, uint8_t i)
{
    struct api_mqtt_conn *k = &m->conn[i];
    const struct charger *c = m->st->conn[i].c;
    struct api_json_out w;
    size_t len;
    enum charger_state cs = charger_state(c);
    const struct charger_session_record *run = charger_session_in_progress(c);

    /* status (OCPP terms, and the connector's own state for the curious) */
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_str(&w, "status", station_status_name(station_status(m->st, i)));
    api_json_str(&w, "state", charger_state_name(cs));
    api_json_str(&w, "held_fault", charger_held_fault(c));
    len = api_json_end(&w);
    api_mqtt_ctopic(m, i, "status");
    api_mqtt_offer_state(m, &k->f[API_MQTT_T_STATUS], len);

    /* session */
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_bool(&w, "active", run != NULL);
    if (run != NULL) {
        api_json_int(&w, "number", run->number);
        api_json_str(&w, "token", k->session == run->number && k->token[0] != '\0' ? k->token : NULL);
        api_json_str(&w, "source", k->session == run->number && k->token[0] != '\0'
                                       ? station_token_source_name(k->source) : NULL);
        const char *p = charger_protocol_name(c);
        api_json_str(&w, "protocol", p[0] != '\0' ? p : NULL);
    }
    len = api_json_end(&w);
    api_mqtt_ctopic(m, i, "session");
    api_mqtt_offer_state(m, &k->f[API_MQTT_T_SESSION], len);

    /* the last session's record */
    if (k->have_record) {
        const struct charger_session_record *r = &k->record;
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_int(&w, "number", r->number);
        api_json_str(&w, "stop", charger_stop_reason_token(r->stop));
        api_json_str(&w, "detail", r->detail != NULL && r->detail[0] != '\0' ? r->detail : NULL);
        api_json_int(&w, "energy_wh", r->energy_wh);
        api_json_int(&w, "energy_j", r->energy_wh * 3600);
        api_json_bool(&w, "metered", r->metered);
        api_json_milli(&w, "charge_s", r->charge_ms);
        api_json_milli(&w, "duration_s", r->ended_ms - r->plugged_ms);
        if (r->soc_start >= 0) {
            api_json_int(&w, "soc_start_pct", r->soc_start);
        } else {
            api_json_null(&w, "soc_start_pct");
        }
        if (r->soc_end >= 0) {
            api_json_int(&w, "soc_end_pct", r->soc_end);
        } else {
            api_json_null(&w, "soc_end_pct");
        }
        api_json_str(&w, "token", k->record_token[0] != '\0' ? k->record_token : NULL);
        len = api_json_end(&w);
        api_mqtt_ctopic(m, i, "session/record");
        api_mqtt_offer_state(m, &k->f[API_MQTT_T_RECORD], len);
    }

    /* the EV: what it said of itself (present only while a session runs) */
    {
        const struct hlc_ev *ev = charger_ev(c);
        const char *p = run != NULL ? charger_protocol_name(c) : "";
        bool v2g = run != NULL && p[0] != '\0' && strcmp(p, "pilot") != 0;
        char evccid[2u * 8u + 1u] = "";
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_bool(&w, "present", run != NULL);
        api_json_str(&w, "protocol", p[0] != '\0' ? p : NULL);
        int64_t v[6] = {0};
        if (v2g) {
            for (uint8_t b = 0; b < ev->evccid_len && b < 8u; b++) {
                snprintf(evccid + 2u * b, 3, "%02x", ev->evccid[b]);
            }
            v[0] = ev->soc;
            v[1] = ev->target_voltage_mv;
            v[2] = ev->target_current_ma;
            v[3] = ev->max_voltage_mv;
            v[4] = ev->max_current_ma;
            v[5] = ev->max_power_w;
            api_json_int(&w, "soc_pct", ev->soc);
            api_json_milli(&w, "target_voltage_v", ev->target_voltage_mv);
            api_json_milli(&w, "target_current_a", ev->target_current_ma);
            api_json_milli(&w, "max_voltage_v", ev->max_voltage_mv);
            api_json_milli(&w, "max_current_a", ev->max_current_ma);
            if (ev->max_power_w >= 0) {
                api_json_int(&w, "max_power_w", ev->max_power_w);
            } else {
                api_json_null(&w, "max_power_w");
            }
            api_json_str(&w, "evccid", evccid[0] != '\0' ? evccid : NULL);
        }
        len = api_json_end(&w);
        static const int64_t floor[6] = {0, 1000, 200, 0, 0, 0};
        uint32_t h = api_mqtt_hash(p, strlen(p)) ^ api_mqtt_hash(evccid, strlen(evccid)) ^ (run != NULL ? 1u : 0u) ^
                     (v2g ? 2u : 0u);
        api_mqtt_ctopic(m, i, "ev");
        api_mqtt_offer(m, &k->f[API_MQTT_T_EV], v, floor, 6, h, len, true, true);
    }

    /* present values */
    {
        int32_t mv = 0, ma = 0;
        charger_present(c, &mv, &ma);
        int64_t pw = (int64_t)mv * ma / 1000000;
        int64_t wh = run != NULL ? charger_session_energy_wh(c) : 0;
        int64_t v[4] = {mv, ma, pw, wh};
        static const int64_t floor[4] = {1000, 200, 100, 1};
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_milli(&w, "voltage_v", mv);
        api_json_milli(&w, "current_a", ma);
        api_json_int(&w, "power_w", pw);
        api_json_int(&w, "energy_wh", wh);
        api_json_int(&w, "energy_j", wh * 3600);
        len = api_json_end(&w);
        api_mqtt_ctopic(m, i, "measurement");
        api_mqtt_offer(m, &k->f[API_MQTT_T_MEAS], v, floor, 4, 0, len, true, true);
    }

    /* the EVSE's limits as the car is told them, and the power limit in force */
    {
        const struct hlc_evse *e = charger_evse_status(c);
        uint32_t lim = station_connector_limit_w(m->st, i);
        int64_t v[4] = {e->max_voltage_mv, e->max_current_ma, e->max_power_w, (int64_t)lim};
        static const int64_t floor[4] = {0, 0, 0, 0};
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_milli(&w, "max_voltage_v", e->max_voltage_mv);
        api_json_milli(&w, "max_current_a", e->max_current_ma);
        api_json_int(&w, "max_power_w", e->max_power_w);
        if (lim != 0) {
            api_json_int(&w, "limit_w", lim);
        } else {
            api_json_null(&w, "limit_w");
        }
        api_mqtt_limit_member(&w, "set_current_a", k->limit_ma, true);
        api_mqtt_limit_member(&w, "set_power_w", k->limit_w, false);
        len = api_json_end(&w);
        uint32_t h = api_mqtt_hash(&k->limit_ma, sizeof k->limit_ma) ^ api_mqtt_hash(&k->limit_w, sizeof k->limit_w);
        api_mqtt_ctopic(m, i, "evse");
        api_mqtt_offer(m, &k->f[API_MQTT_T_EVSE], v, floor, 4, h, len, true, true);
    }

    /* the isolation result the car was told */
    {
        const struct hlc_evse *e = charger_evse_status(c);
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_str(&w, "result",
                     (unsigned)e->isolation < HLC_ISOLATION_COUNT ? s_isolation_names[e->isolation] : "invalid");
        len = api_json_end(&w);
        api_mqtt_ctopic(m, i, "isolation");
        api_mqtt_offer_state(m, &k->f[API_MQTT_T_ISOLATION], len);
    }

    /* the errors active now (raised/cleared events go to .../error as they happen) */
    {
        char *list = m->list; /* in the struct: kept off a small MCU stack */
        const size_t lcap = sizeof m->list;
        struct api_json_out lw;
        size_t ln = 0;
        list[0] = '[';
        ln = 1;
        for (uint8_t e = 0; e < k->nerr; e++) {
            api_json_begin(&lw, list + ln, lcap - ln - 2u);
            api_json_str(&lw, "source", errors_source_name(k->err[e].source));
            api_json_int(&lw, "code", k->err[e].code);
            api_json_str(&lw, "severity", errors_severity_name(k->err[e].severity));
            api_json_str(&lw, "text", k->err[e].text);
            size_t n = api_json_end(&lw);
            if (n == 0) {
                break; /* the list is cut: the count below still says how many */
            }
            ln += n;
            if (e + 1u < k->nerr && ln + 3u < lcap) {
                list[ln++] = ',';
            }
        }
        if (list[ln - 1u] == ',') {
            ln--;
        }
        list[ln++] = ']';
        list[ln] = '\0';
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_int(&w, "count", k->nerr);
        api_json_raw(&w, "active", list);
        len = api_json_end(&w);
        api_mqtt_ctopic(m, i, "errors");
        api_mqtt_offer_state(m, &k->f[API_MQTT_T_ERRORS], len);
    }

    api_mqtt_poll_stage(m, i);
    api_mqtt_poll_unit(m, i);
    api_mqtt_poll_meter(m, i);
}

static void api_mqtt_poll_station(struct api_mqtt *m)
{
    struct api_json_out w;
    size_t len;
    if (!m->announced) {
        char t[CFG_API_MQTT_TOPIC_MAX];
        snprintf(t, sizeof t, "%s/online", m->base);
        bool ok = api_mqtt_pub(m, t, "true", 4, true);
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_str(&w, "api", API_MQTT_VERSION);
        api_json_str(&w, "version", m->cfg.version);
        api_json_int(&w, "connectors", m->st->n);
        len = api_json_end(&w);
        snprintf(t, sizeof t, "%s/info", m->base);
        ok = ok && api_mqtt_pub(m, t, m->payload, len, true);
        ok = ok && api_mqtt_pub(m, API_MQTT_CCM_VERSION, m->cfg.version, strlen(m->cfg.version), true);
        m->announced = ok;
        if (ok) {
            m->heartbeat_at_ms = m->now_ms;
        }
    }
    if (m->announced && m->now_ms - m->heartbeat_at_ms >= m->cfg.heartbeat_ms) {
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_milli(&w, "uptime_s", m->now_ms - m->start_ms);
        api_json_int(&w, "published", m->published);
        len = api_json_end(&w);
        snprintf(m->topic, sizeof m->topic, "%s/heartbeat", m->base);
        if (api_mqtt_pub(m, m->topic, m->payload, len, false)) {
            m->heartbeat_at_ms = m->now_ms;
        }
    }
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_mqtt_limit_member(&w, "max_current_a", m->station_ma, true);
    api_mqtt_limit_member(&w, "max_power_w", m->station_w, false);
    len = api_json_end(&w);
    snprintf(m->topic, sizeof m->topic, "%s/limits", m->base);
    api_mqtt_offer_state(m, &m->station_limits, len);
}

/* ---------------------------------------------------------------- firmware update */

static void api_mqtt_fwu_text(struct api_mqtt *m, unsigned slot, const char *topic, const char *text)
{
    size_t n = strlen(text);
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    snprintf(m->payload, sizeof m->payload, "%s", text);
    api_mqtt_offer_state(m, &m->fwu.f[slot], n);
}

static void api_mqtt_fwu_publish(struct api_mqtt *m)
{
    char pct[8];
    snprintf(pct, sizeof pct, "%u", (unsigned)m->fwu.progress);
    api_mqtt_fwu_text(m, 0, API_MQTT_FWU_ACTUAL, api_mqtt_fwu_state_name(m->fwu.state));
    api_mqtt_fwu_text(m, 1, API_MQTT_FWU_PROGRESS, pct);
    api_mqtt_fwu_text(m, 2, API_MQTT_FWU_RESULT, m->fwu.result);
    api_mqtt_fwu_text(m, 3, API_MQTT_FWU_MESSAGE, m->fwu.message);
}

static bool api_mqtt_fwu_direct(const char *url)
{
    size_t n = strlen(url);
    return n > 6u && strcmp(url + n - 6u, ".raucb") == 0;
}

/* The walk's step from one state to the next: the topics follow in the same pass, so a
 * subscriber sees every state (downloading, download-succeeded, installing, ...). */
static void api_mqtt_fwu_enter(struct api_mqtt *m, enum api_mqtt_fwu_state s)
{
    m->fwu.state = s;
    api_mqtt_fwu_publish(m);
}

static void api_mqtt_fwu_finish(struct api_mqtt *m, enum api_mqtt_fwu_state s, const char *msg)
{
    struct api_mqtt_fwu *u = &m->fwu;
    snprintf(u->message, sizeof u->message, "%s", msg != NULL ? msg : "");
    if (s != API_MQTT_FWU_INSTALL_SUCCEEDED && u->trial < u->max_trials) {
        /* another trial after the interval; the result topics wait for the last one */
        u->retry_pending = true;
        u->next_ms = m->now_ms + u->interval_s * 1000u;
        api_mqtt_fwu_enter(m, s);
        return;
    }
    u->active = false;
    u->retry_pending = false;
    snprintf(u->result, sizeof u->result, "%s", api_mqtt_fwu_state_name(s));
    api_mqtt_fwu_enter(m, s);
}

static void api_mqtt_fwu_attempt(struct api_mqtt *m)
{
    struct api_mqtt_fwu *u = &m->fwu;
    u->trial++;
    u->retry_pending = false;
    u->progress = 0;
    if (api_mqtt_fwu_direct(u->url)) {
        /* RAUC streams a bundle over HTTP itself: the guide hands such URLs over as they are */
        api_mqtt_fwu_enter(m, API_MQTT_FWU_INSTALLING);
        if (m->ops.install_start(m->ops.ctx, u->url) != HAL_OK) {
            api_mqtt_fwu_finish(m, API_MQTT_FWU_INSTALL_FAILED, "the installer did not start");
        }
        return;
    }
    api_mqtt_fwu_enter(m, API_MQTT_FWU_DOWNLOADING);
    if (m->ops.download_start(m->ops.ctx, u->url) != HAL_OK) {
        api_mqtt_fwu_finish(m, API_MQTT_FWU_DOWNLOAD_FAILED, "the download did not start");
    }
}

static void api_mqtt_fwu_poll(struct api_mqtt *m)
{
    struct api_mqtt_fwu *u = &m->fwu;
    const char *msg = NULL;
    if (u->active && u->retry_pending && hal_time_reached(m->now_ms, u->next_ms)) {
        api_mqtt_fwu_attempt(m);
    } else if (u->active && u->state == API_MQTT_FWU_DOWNLOADING) {
        uint8_t pct = u->progress;
        int rc = m->ops.download_poll(m->ops.ctx, &pct, &msg);
        u->progress = pct > 100u ? 100u : pct;
        if (rc == HAL_OK) {
            u->progress = 100;
            api_mqtt_fwu_enter(m, API_MQTT_FWU_DOWNLOAD_SUCCEEDED);
            api_mqtt_fwu_enter(m, API_MQTT_FWU_INSTALLING);
            if (m->ops.install_start(m->ops.ctx, NULL) != HAL_OK) {
                api_mqtt_fwu_finish(m, API_MQTT_FWU_INSTALL_FAILED, "the installer did not start");
            }
        } else if (rc != HAL_EAGAIN) {
            api_mqtt_fwu_finish(m, API_MQTT_FWU_DOWNLOAD_FAILED, msg != NULL ? msg : "the download failed");
        }
    } else if (u->active && u->state == API_MQTT_FWU_INSTALLING) {
        int rc = m->ops.install_poll(m->ops.ctx, &msg);
        if (rc == HAL_OK) {
            /* installed into the other slot; the firmware never reboots by itself (a
             * session may run): the integrator reboots when it suits the station */
            api_mqtt_fwu_finish(m, API_MQTT_FWU_INSTALL_SUCCEEDED,
                                msg != NULL && msg[0] != '\0' ? msg : "installed; active after the next reboot");
        } else if (rc != HAL_EAGAIN) {
            api_mqtt_fwu_finish(m, API_MQTT_FWU_INSTALL_FAILED, msg != NULL ? msg : "the installer failed");
        }
    }
    api_mqtt_fwu_publish(m);
}

/* A whole number 1..max from a plain-text payload (the guide's target topics are text). */
static bool api_mqtt_uint_text(const char *p, size_t len, uint32_t min, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    if (len == 0 || len > 7u) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        v = v * 10u + (uint32_t)(p[i] - '0');
    }
    if (v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static void api_mqtt_fwu_message(struct api_mqtt *m, const char *topic, const char *p, size_t len)
{
    struct api_mqtt_fwu *u = &m->fwu;
    if (strcmp(topic, API_MQTT_FWU_TRIALS) == 0 || strcmp(topic, API_MQTT_FWU_INTERVAL) == 0) {
        bool trials = strcmp(topic, API_MQTT_FWU_TRIALS) == 0;
        uint32_t v = 0;
        if (len == 0) {
            return; /* a retained value cleared */
        }
        if (!api_mqtt_uint_text(p, len, trials ? 1u : 0u, trials ? 100u : 86400u, &v)) {
            snprintf(u->message, sizeof u->message, "%s must be a whole number %s", trials ? "max trials" : "interval",
                     trials ? "1..100" : "0..86400 (s)");
            m->refused++;
            return;
        }
        if (trials) {
            u->want_trials = v;
        } else {
            u->want_interval_s = v;
        }
        return;
    }
    if (strcmp(topic, API_MQTT_FWU_URL) != 0) {
        return;
    }
    if (len == 0) {
        return; /* the retained URL cleared: nothing to do */
    }
    bool ok_scheme = (len > 7u && memcmp(p, "http://", 7) == 0) || (len > 8u && memcmp(p, "https://", 8) == 0);
    bool ok_text = len < sizeof u->url;
    for (size_t i = 0; ok_text && i < len; i++) {
        ok_text = (unsigned char)p[i] > 0x20u && (unsigned char)p[i] < 0x7fu;
    }
    if (!ok_scheme || !ok_text) {
        snprintf(u->message, sizeof u->message, "refused: the URL must be http:// or https://, printable, under %u bytes",
                 (unsigned)sizeof u->url);
        m->refused++;
        return;
    }
    if (u->active) {
        snprintf(u->message, sizeof u->message, "refused: an update is already running");
        m->refused++;
        return;
    }
    memcpy(u->url, p, len);
    u->url[len] = '\0';
    /* setting the URL starts the update and latches the other target topics */
    u->max_trials = u->want_trials;
    u->interval_s = u->want_interval_s;
    u->trial = 0;
    u->active = true;
    u->result[0] = '\0';
    u->message[0] = '\0';
    api_mqtt_fwu_attempt(m);
}

enum api_mqtt_fwu_state api_mqtt_fwu_state(const struct api_mqtt *m)
{
    return m->fwu.state;
}

/* ---------------------------------------------------------------- commands */

static const char *api_mqtt_reason(int rc)
{
    switch (rc) {
    case HAL_ESTATE:
        return "not allowed in the connector's present state";
    case HAL_ENOTSUP:
        return "not supported by the session's protocol";
    case HAL_EINVAL:
        return "bad connector or argument";
    default:
        return hal_strerror(rc);
    }
}

static void api_mqtt_reply(struct api_mqtt *m, const char *id, const char *cmd, const char *why)
{
    struct api_json_out w;
    api_json_begin(&w, m->payload, sizeof m->payload);
    api_json_str(&w, "id", id);
    api_json_str(&w, "cmd", cmd);
    api_json_bool(&w, "ok", why == NULL);
    if (why != NULL) {
        api_json_str(&w, "reason", why);
        m->refused++;
    }
    size_t len = api_json_end(&w);
    char t[CFG_API_MQTT_TOPIC_MAX];
    snprintf(t, sizeof t, "%s/reply", m->base);
    (void)api_mqtt_pub(m, t, m->payload, len, false);
}

/* The keys each command takes; any other key is refused (a typo must not pass as a default). */
struct api_mqtt_cmd_def {
    const char *name;
    const char *keys; /* space-separated, besides "cmd" and "id" */
};

static const struct api_mqtt_cmd_def s_cmds[] = {
    {"ping", ""},
    {"authorize", "connector token source"},
    {"start", "connector token"},
    {"stop", "connector"},
    {"pause", "connector"},
    {"resume", "connector"},
    {"set_limit", "connector station current_a power_w"},
    {"set_availability", "connector operative after_session"},
    {"unlock", "connector"},
    {"reset", "connector"},
};

static bool api_mqtt_key_allowed(const char *keys, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = keys; *p != '\0';) {
        const char *e = strchr(p, ' ');
        size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
        if (l == n && memcmp(p, key, n) == 0) {
            return true;
        }
        p += l;
        while (*p == ' ') {
            p++;
        }
    }
    return false;
}

/* The connector (1-based in the API) or why not. @p all: absent means every connector. */
static const char *api_mqtt_connector(const struct api_mqtt *m, const struct api_json_obj *o, bool all_ok,
                                      uint8_t *out)
{
    const struct api_json_member *c = api_json_get(o, "connector");
    if (c == NULL) {
        if (all_ok) {
            *out = STATION_ALL;
            return NULL;
        }
        if (m->st->n == 1u) {
            *out = 0;
            return NULL;
        }
        return "connector is required (this station has more than one)";
    }
    if (c->type != API_JSON_NUMBER || c->milli % 1000 != 0) {
        return "connector must be a whole number";
    }
    if (c->milli < 1000 || c->milli > (int64_t)m->st->n * 1000) {
        return "connector is out of range";
    }
    *out = (uint8_t)(c->milli / 1000 - 1);
    return NULL;
}

/* A limit member: absent or null = no limit; a number in range (A -> mA, W -> W). */
static const char *api_mqtt_limit_arg(const struct api_json_obj *o, const char *key, int64_t max_milli, bool amps,
                                      uint32_t *out)
{
    const struct api_json_member *v = api_json_get(o, key);
    *out = STATION_NO_LIMIT;
    if (v == NULL || v->type == API_JSON_NULL) {
        return NULL;
    }
    if (v->type != API_JSON_NUMBER) {
        return amps ? "current_a must be a number or null" : "power_w must be a number or null";
    }
    if (v->milli < 0 || v->milli > max_milli) {
        return amps ? "current_a is out of range (0..10000 A)" : "power_w is out of range (0..4000000000 W)";
    }
    if (!amps && v->milli % 1000 != 0) {
        return "power_w must be a whole number of watts";
    }
    *out = amps ? (uint32_t)v->milli : (uint32_t)(v->milli / 1000);
    return NULL;
}

static const char *api_mqtt_bool_arg(const struct api_json_obj *o, const char *key, bool required, bool *out)
{
    const struct api_json_member *v = api_json_get(o, key);
    if (v == NULL) {
        return required ? "operative (true or false) is required" : NULL;
    }
    if (v->type != API_JSON_BOOL) {
        return strcmp(key, "operative") == 0 ? "operative must be true or false" : "after_session must be true or false";
    }
    *out = v->b;
    return NULL;
}

static const char *api_mqtt_token_arg(const struct api_json_obj *o, const char **out)
{
    const struct api_json_member *t = api_json_get(o, "token");
    if (t == NULL || t->type != API_JSON_STRING || t->str[0] == '\0') {
        return "token (a string) is required";
    }
    if (strlen(t->str) >= STATION_TOKEN_MAX) {
        return "token is longer than 19 characters";
    }
    for (const char *p = t->str; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20u || (unsigned char)*p >= 0x7fu) {
            return "token must be printable ASCII without spaces";
        }
    }
    *out = t->str;
    return NULL;
}

/* Everything is checked before the station is asked: a refusal changes nothing. */
static const char *api_mqtt_execute(struct api_mqtt *m, const char *cmd, const struct api_json_obj *o)
{
    uint8_t conn = 0;
    const char *why = NULL;
    int rc = HAL_OK;
    if (strcmp(cmd, "ping") == 0) {
        return NULL;
    }
    if (strcmp(cmd, "set_limit") == 0) {
        const struct api_json_member *s = api_json_get(o, "station");
        bool station = false;
        if (s != NULL && s->type != API_JSON_BOOL) {
            return "station must be true or false";
        }
        station = s != NULL && s->b;
        if (station && api_json_get(o, "connector") != NULL) {
            return "give connector or station, not both";
        }
        if (!station && (why = api_mqtt_connector(m, o, false, &conn)) != NULL) {
            return why;
        }
        if (api_json_get(o, "current_a") == NULL && api_json_get(o, "power_w") == NULL) {
            return "set_limit needs current_a or power_w (null removes a limit)";
        }
        uint32_t ma = 0, w = 0;
        if ((why = api_mqtt_limit_arg(o, "current_a", 10000000, true, &ma)) != NULL ||
            (why = api_mqtt_limit_arg(o, "power_w", 4000000000000ll, false, &w)) != NULL) {
            return why;
        }
        rc = station_set_limit(m->st, station ? STATION_ALL : conn, ma, w);
        if (rc == HAL_OK && station) {
            m->station_ma = ma;
            m->station_w = w;
        } else if (rc == HAL_OK) {
            m->conn[conn].limit_ma = ma;
            m->conn[conn].limit_w = w;
        }
        return rc == HAL_OK ? NULL : api_mqtt_reason(rc);
    }
    if (strcmp(cmd, "set_availability") == 0) {
        bool op = false, after = false;
        if ((why = api_mqtt_connector(m, o, true, &conn)) != NULL ||
            (why = api_mqtt_bool_arg(o, "operative", true, &op)) != NULL ||
            (why = api_mqtt_bool_arg(o, "after_session", false, &after)) != NULL) {
            return why;
        }
        rc = station_set_availability(m->st, conn, op ? STATION_OPERATIVE : STATION_INOPERATIVE, after);
        return rc == HAL_OK ? NULL : api_mqtt_reason(rc);
    }
    if ((why = api_mqtt_connector(m, o, false, &conn)) != NULL) {
        return why;
    }
    if (strcmp(cmd, "authorize") == 0 || strcmp(cmd, "start") == 0) {
        const char *token = NULL;
        enum station_token_source src = strcmp(cmd, "start") == 0 ? STATION_TOKEN_BACKEND : STATION_TOKEN_LOCAL;
        if ((why = api_mqtt_token_arg(o, &token)) != NULL) {
            return why;
        }
        const struct api_json_member *s = api_json_get(o, "source");
        if (s != NULL) {
            static const enum station_token_source srcs[] = {STATION_TOKEN_LOCAL, STATION_TOKEN_RFID,
                                                             STATION_TOKEN_BACKEND};
            unsigned k = 0;
            while (s->type == API_JSON_STRING && k < 3u && strcmp(s->str, station_token_source_name(srcs[k])) != 0) {
                k++;
            }
            if (s->type != API_JSON_STRING || k == 3u) {
                return "source must be local, rfid or backend";
            }
            src = srcs[k];
        }
        rc = strcmp(cmd, "start") == 0 ? station_remote_start(m->st, conn, token)
                                       : station_authorize(m->st, conn, token, src);
        const struct charger_session_record *run = charger_session_in_progress(m->st->conn[conn].c);
        if (rc == HAL_OK && run != NULL) {
            /* the session waiting for it is authorised now: its topic names the token */
            m->conn[conn].session = run->number;
            /* checked shorter than the field by api_mqtt_token_arg(); copied by length, so no
             * compiler has to prove it (GCC's format-truncation cannot) */
            size_t n = strlen(token);
            n = n < sizeof m->conn[conn].token ? n : sizeof m->conn[conn].token - 1u;
            memcpy(m->conn[conn].token, token, n);
            m->conn[conn].token[n] = '\0';
            m->conn[conn].source = src;
        }
    } else if (strcmp(cmd, "stop") == 0) {
        rc = station_remote_stop(m->st, conn);
    } else if (strcmp(cmd, "pause") == 0) {
        rc = station_pause(m->st, conn);
    } else if (strcmp(cmd, "resume") == 0) {
        rc = station_resume(m->st, conn);
    } else if (strcmp(cmd, "unlock") == 0) {
        rc = station_unlock(m->st, conn);
        if (rc == HAL_ESTATE) {
            return "a held fault keeps the connector locked: reset it first";
        }
    } else if (strcmp(cmd, "reset") == 0) {
        const char *r = NULL;
        rc = station_reset_fault(m->st, conn, &r);
        if (rc != HAL_OK) {
            return r != NULL && r[0] != '\0' ? r : api_mqtt_reason(rc);
        }
    }
    return rc == HAL_OK ? NULL : api_mqtt_reason(rc);
}

static void api_mqtt_command(struct api_mqtt *m, const char *p, size_t len)
{
    const char *why = NULL;
    const char *id = NULL, *cmd = NULL;
    struct api_json_obj *o = &m->cmd;
    if (len > API_MQTT_COMMAND_MAX) {
        api_mqtt_reply(m, NULL, NULL, "the command is longer than 1024 bytes");
        return;
    }
    if (api_json_parse(p, len, o, &why) != HAL_OK) {
        char r[96];
        snprintf(r, sizeof r, "malformed JSON: %s", why);
        api_mqtt_reply(m, NULL, NULL, r);
        return;
    }
    const struct api_json_member *mi = api_json_get(o, "id");
    if (mi != NULL && (mi->type != API_JSON_STRING || strlen(mi->str) > 36u)) {
        api_mqtt_reply(m, NULL, NULL, "id must be a string of at most 36 characters");
        return;
    }
    id = mi != NULL ? mi->str : NULL;
    const struct api_json_member *mc = api_json_get(o, "cmd");
    if (mc == NULL || mc->type != API_JSON_STRING) {
        api_mqtt_reply(m, id, NULL, "cmd (a string) is required");
        return;
    }
    cmd = mc->str;
    const struct api_mqtt_cmd_def *d = NULL;
    for (size_t k = 0; k < sizeof s_cmds / sizeof s_cmds[0]; k++) {
        if (strcmp(s_cmds[k].name, cmd) == 0) {
            d = &s_cmds[k];
        }
    }
    if (d == NULL) {
        api_mqtt_reply(m, id, cmd, "unknown command (ping, authorize, start, stop, pause, resume, set_limit, "
                                   "set_availability, unlock, reset)");
        return;
    }
    for (uint8_t k = 0; k < o->n; k++) {
        const char *key = o->m[k].key;
        if (strcmp(key, "cmd") != 0 && strcmp(key, "id") != 0 && !api_mqtt_key_allowed(d->keys, key)) {
            char r[CFG_API_JSON_STR_MAX + 64];
            snprintf(r, sizeof r, "unknown key \"%s\" for %.24s", key, cmd);
            api_mqtt_reply(m, id, cmd, r);
            return;
        }
    }
    api_mqtt_reply(m, id, cmd, api_mqtt_execute(m, cmd, o));
}

void api_mqtt_message(struct api_mqtt *m, const char *topic, const void *payload, size_t len, uint32_t now_ms)
{
    char t[CFG_API_MQTT_TOPIC_MAX];
    m->now_ms = now_ms;
    if (topic == NULL || (payload == NULL && len != 0)) {
        return;
    }
    snprintf(t, sizeof t, "%s/cmd", m->base);
    if (strcmp(topic, t) == 0) {
        api_mqtt_command(m, payload != NULL ? payload : "", len);
    } else if (strncmp(topic, "firmware/update/target/", 23) == 0) {
        api_mqtt_fwu_message(m, topic, payload != NULL ? payload : "", len);
        api_mqtt_fwu_publish(m);
    }
}

/* ---------------------------------------------------------------- events */

void api_mqtt_event(struct api_mqtt *m, const struct station_event *ev)
{
    if (ev->connector >= m->st->n || ev->connector >= CFG_STATION_CONNECTORS) {
        return;
    }
    struct api_mqtt_conn *k = &m->conn[ev->connector];
    switch (ev->kind) {
    case STATION_EV_SESSION_STARTED:
        k->session = ev->u.started.number;
        snprintf(k->token, sizeof k->token, "%s", ev->u.started.token);
        k->source = ev->u.started.source;
        break;
    case STATION_EV_SESSION_STOPPED:
        k->have_record = true;
        k->record = ev->u.stopped.record;
        snprintf(k->record_token, sizeof k->record_token, "%s", ev->u.stopped.token);
        k->session = 0;
        k->token[0] = '\0';
        break;
    case STATION_EV_ERROR_RAISED:
    case STATION_EV_ERROR_CLEARED: {
        bool raised = ev->kind == STATION_EV_ERROR_RAISED;
        uint8_t j = 0;
        while (j < k->nerr && !(k->err[j].source == ev->u.error.source && k->err[j].code == ev->u.error.code)) {
            j++;
        }
        if (raised && j == k->nerr && k->nerr < API_MQTT_ERRORS) {
            k->err[k->nerr].source = ev->u.error.source;
            k->err[k->nerr].code = ev->u.error.code;
            k->err[k->nerr].severity = ev->u.error.severity;
            k->err[k->nerr].text = ev->u.error.text;
            k->nerr++;
        } else if (!raised && j < k->nerr) {
            k->err[j] = k->err[k->nerr - 1u];
            k->nerr--;
        }
        struct api_json_out w;
        api_json_begin(&w, m->payload, sizeof m->payload);
        api_json_str(&w, "event", raised ? "raised" : "cleared");
        api_json_str(&w, "source", errors_source_name(ev->u.error.source));
        api_json_int(&w, "code", ev->u.error.code);
        if (raised) {
            api_json_str(&w, "severity", errors_severity_name(ev->u.error.severity));
            api_json_str(&w, "text", ev->u.error.text);
        }
        size_t len = api_json_end(&w);
        (void)api_mqtt_pub(m, api_mqtt_ctopic(m, ev->connector, "error"), m->payload, len, false);
        break;
    }
    default:
        break;
    }
}

void api_mqtt_poll(struct api_mqtt *m, uint32_t now_ms)
{
    m->now_ms = now_ms;
    if (m->connected) {
        api_mqtt_poll_station(m);
        for (uint8_t i = 0; i < m->st->n && i < CFG_STATION_CONNECTORS; i++) {
            api_mqtt_poll_conn(m, i);
        }
    }
    /* the update walk goes on without a broker; its topics follow when one is there */
    api_mqtt_fwu_poll(m);
}

uint32_t api_mqtt_published(const struct api_mqtt *m)
{
    return m->published;
}

uint32_t api_mqtt_refused(const struct api_mqtt *m)
{
    return m->refused;
}
