/* The Huawei FusionCharge unit behind the psu interface: owns the link task (TCP connect
 * and back-off, moving Modbus bytes and GOOSE frames between the ports and the pure core
 * in protocols/huawei), the mapping of psu modes and setpoints onto the connector state
 * machine, and the errors each connector reports with their severity. */
#include "psu_huawei.h"

#include <stddef.h>
#include <string.h>

_Static_assert(offsetof(struct psu_huawei, base) == 0, "struct psu is cast back to struct psu_huawei");

/* An upstream reading older than this is not a measurement of now. */
#define UPSTREAM_MAX_AGE_MS 1000u

static struct psu_huawei *of(struct psu *p)
{
    return (struct psu_huawei *)p;
}

static void kick(struct psu_huawei_unit *u, uint32_t now_ms)
{
    sched_task_at(&u->task, now_ms);
}

/* The charger's view (mode, phase, setpoint) into the connector state machine. */
static void push_mode(struct psu_huawei *p, uint32_t now_ms)
{
    struct huawei_disp *d = &p->unit->disp;
    bool on = p->mode == PSU_MODE_EXPORT;
    enum huawei_phase ph = p->phase_told ? p->phase : HUAWEI_PH_CHARGING;
    (void)huawei_disp_set_export(d, p->local, (float)p->voltage_mv / 1000.0f, (float)p->current_ma / 1000.0f,
                                 now_ms);
    (void)huawei_disp_set_mode(d, p->local, on, ph, now_ms);
    p->set_at_ms = now_ms;
    p->set_pending = true;
    kick(p->unit, now_ms);
}

static int set_mode(struct psu *base, enum psu_mode mode, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    switch (mode) {
    case PSU_MODE_OFF:
    case PSU_MODE_FAULT:
        p->mode = PSU_MODE_OFF;
        push_mode(p, now_ms);
        return p->unit->link_up ? HAL_OK : HAL_EIO;
    case PSU_MODE_EXPORT:
        if (!p->unit->link_up || !p->unit->disp.psu_mac_known ||
            huawei_disp_running_mode(&p->unit->disp) != HUAWEI_PSU_RUNNING) {
            return HAL_ESTATE;
        }
        /* a charger that never reported the plug: asking for power means a car is there
         * (also during the start-up cycle, which the car then ends) */
        if (!p->unit->disp.conn[p->local - 1u].plugged) {
            (void)huawei_disp_plug(&p->unit->disp, p->local, true, now_ms);
        }
        p->mode = PSU_MODE_EXPORT;
        push_mode(p, now_ms);
        return HAL_OK;
    case PSU_MODE_IMPORT:
        return HAL_ENOTSUP;
    }
    return HAL_EINVAL;
}

static int set_export(struct psu *base, uint32_t voltage_mv, uint32_t current_ma, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    struct huawei_caps c;
    int rc = HAL_OK;
    /* applied clamped to what the unit offers this port, as the InfyPower stage does */
    if (huawei_disp_caps(&p->unit->disp, p->local, &c)) {
        uint32_t vmax = (uint32_t)(c.max_v * 1000.0f), imax = (uint32_t)(c.max_a * 1000.0f);
        if (voltage_mv > vmax || current_ma > imax) {
            rc = HAL_EINVAL;
        }
        voltage_mv = voltage_mv > vmax ? vmax : voltage_mv;
        current_ma = current_ma > imax ? imax : current_ma;
    }
    if (voltage_mv > 2000000u || current_ma > 2000000u) {
        return HAL_EINVAL;
    }
    if (voltage_mv != p->voltage_mv || current_ma != p->current_ma) {
        p->voltage_mv = voltage_mv;
        p->current_ma = current_ma;
        push_mode(p, now_ms);
    }
    return rc;
}

static int upstream_mv(struct psu_huawei *p, uint32_t now_ms, int32_t *mv, uint32_t *age)
{
    if (p->ovm != NULL) {
        struct ovm_reading r;
        if (ovm_read(p->ovm, &r) == HAL_OK && r.valid && now_ms - r.at_ms <= UPSTREAM_MAX_AGE_MS) {
            *mv = r.voltage_mv;
            *age = now_ms - r.at_ms;
            return HAL_OK;
        }
    }
    if (p->imd != NULL) {
        struct isolation_measurement m;
        if (isolation_read(p->imd, &m, now_ms) == HAL_OK && m.voltage_valid &&
            now_ms - m.at_ms <= UPSTREAM_MAX_AGE_MS) {
            *mv = m.voltage_dv * 100;
            *age = now_ms - m.at_ms;
            return HAL_OK;
        }
    }
    return HAL_EIO;
}

static int read_output(struct psu *base, struct psu_output *out, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    memset(out, 0, sizeof *out);
    int32_t mv = 0;
    uint32_t age = 0;
    if (upstream_mv(p, now_ms, &mv, &age) != HAL_OK) {
        return HAL_EIO; /* nothing measured: "maybe live" */
    }
    /* a voltage, never a current: the unit reports none (§7 of the sheet) */
    out->voltage_mv = mv;
    out->age_ms = age;
    out->voltage_known = true;
    out->valid = false;
    return HAL_EIO;
}

static int get_caps(struct psu *base, struct psu_capabilities *caps)
{
    struct psu_huawei *p = of(base);
    struct huawei_caps c;
    if (!huawei_disp_caps(&p->unit->disp, p->local, &c)) {
        return HAL_EAGAIN;
    }
    const struct huawei_disp_config *cfg = &p->unit->disp.cfg;
    float imax = c.max_a, pmax = c.power_kw;
    /* clipped to the connector's own limits from the configuration (§8) */
    if (cfg->max_current_a[p->local - 1u] > 0.0f && imax > cfg->max_current_a[p->local - 1u]) {
        imax = cfg->max_current_a[p->local - 1u];
    }
    if (cfg->rated_power_kw[p->local - 1u] > 0.0f && pmax > cfg->rated_power_kw[p->local - 1u]) {
        pmax = cfg->rated_power_kw[p->local - 1u];
    }
    memset(caps, 0, sizeof *caps);
    caps->max_export_voltage_mv = (uint32_t)(c.max_v * 1000.0f);
    caps->min_export_voltage_mv = (uint32_t)(c.min_v * 1000.0f);
    caps->max_export_current_ma = (uint32_t)(imax * 1000.0f);
    caps->min_export_current_ma = (uint32_t)(c.min_a * 1000.0f);
    caps->max_export_power_w = (uint32_t)(pmax * 1000.0f);
    caps->current_regulation_tolerance_ma = 1000u; /* the sheet's fixed values (§8) */
    caps->peak_current_ripple_ma = 500u;
    caps->conversion_efficiency_export_permille = 900u;
    return HAL_OK;
}

static size_t collect_errors(struct psu_huawei *p, struct psu_error *e, size_t max)
{
    struct psu_huawei_unit *u = p->unit;
    struct psu_error all[6];
    size_t n = 0;
    if (!u->link_up || !u->disp.psu_mac_known) {
        all[n++] = (struct psu_error){PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH, PSU_SUBTYPE_SYSTEM, 0u};
    } else if (huawei_disp_running_mode(&u->disp) != HUAWEI_PSU_RUNNING) {
        all[n++] = (struct psu_error){PSU_ERR_HARDWARE_FAULT, PSU_SEV_MEDIUM, PSU_SUBTYPE_SYSTEM,
                                      huawei_disp_running_mode(&u->disp)};
    }
    bool any = false;
    if (huawei_disp_psu_stop_alarm(&u->disp, &any)) {
        /* EPO or insulation at the unit: our deliberate policy (the sheet leaves it open) */
        all[n++] = (struct psu_error){PSU_ERR_HARDWARE_FAULT, PSU_SEV_HIGH, 0x40u, 0x4004u};
    } else if (any) {
        all[n++] = (struct psu_error){PSU_ERR_VENDOR_WARNING, PSU_SEV_LOW, 0x40u, 0x4000u};
    }
    const struct huawei_conn *c = &u->disp.conn[p->local - 1u];
    if (c->alloc == HUAWEI_ALLOC_REFUSED && c->state == HUAWEI_CS_RUNNING) {
        /* EVerest only warns; no power will come, so the session stops instead */
        all[n++] = (struct psu_error){PSU_ERR_VENDOR_ERROR, PSU_SEV_MEDIUM, p->local, 1u};
    } else if (c->alloc == HUAWEI_ALLOC_TIMEOUT && c->state == HUAWEI_CS_RUNNING) {
        all[n++] = (struct psu_error){PSU_ERR_VENDOR_WARNING, PSU_SEV_LOW, p->local, 2u};
    }
    size_t k = n < max ? n : max;
    memcpy(e, all, k * sizeof *e);
    return n;
}

static int get_errors(struct psu *base, struct psu_error *out, size_t max, size_t *count)
{
    size_t n = collect_errors(of(base), out, max);
    *count = n < max ? n : max;
    return n > max ? HAL_EOVERFLOW : HAL_OK;
}

static int read_telemetry(struct psu *base, struct psu_telemetry *t, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    memset(t, 0, sizeof *t);
    (void)read_output(base, &t->output, now_ms);
    struct psu_error e[6];
    size_t n = collect_errors(p, e, 6);
    bool fault = false;
    uint32_t gen = 0;
    for (size_t i = 0; i < n; i++) {
        fault = fault || psu_error_stops_session(e[i].type);
        gen = gen * 31u + (uint32_t)e[i].type * 7u + e[i].vendor_code;
    }
    t->mode = fault ? PSU_MODE_FAULT : p->mode;
    t->modules_configured = 1u;
    t->modules_online = p->unit->link_up ? 1u : 0u;
    t->modules_active = p->unit->link_up && !fault ? 1u : 0u;
    t->errors_generation = gen + (uint32_t)n;
    return HAL_OK;
}

_Static_assert(PSU_ALARM_DOOR == HUAWEI_AL_DOOR && PSU_ALARM_WATER == HUAWEI_AL_WATER &&
                   PSU_ALARM_ESTOP == HUAWEI_AL_EPO && PSU_ALARM_TILT == HUAWEI_AL_TILT &&
                   PSU_ALARM_CONTACTOR == HUAWEI_AL_CONTACTOR,
               "psu.h's board alarms are passed to the unit unchanged");

/* The neutral session hook of psu.h into the Huawei terms; only changes reach the unit. */
static int set_session(struct psu *base, const struct psu_session *s, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    if ((unsigned)s->phase > (unsigned)PSU_PHASE_CHARGING) {
        return HAL_EINVAL;
    }
    if (!p->session_told || s->plugged != p->told.plugged) {
        psu_huawei_set_plugged(p, s->plugged, now_ms);
        if (s->plugged) {
            p->told.phase = PSU_PHASE_NONE; /* a new session: its phases are told afresh */
        }
    }
    if (s->plugged && s->phase != PSU_PHASE_NONE && (!p->session_told || s->phase != p->told.phase)) {
        static const enum huawei_phase map[] = {HUAWEI_PH_NONE, HUAWEI_PH_CABLE_CHECK, HUAWEI_PH_PRECHARGE,
                                                HUAWEI_PH_CHARGING};
        psu_huawei_set_phase(p, map[s->phase], now_ms);
    }
    if (!p->session_told || s->alarms != p->told.alarms) {
        /* PSU_ALARM_* were laid out as the sheet's HUAWEI_AL_* bits */
        psu_huawei_set_alarms(p, s->alarms);
    }
    psu_huawei_set_output(p, s->contactor_closed, s->out_mv, s->out_ma);
    enum psu_phase keep = s->phase != PSU_PHASE_NONE ? s->phase : p->told.phase;
    p->told = *s;
    p->told.phase = s->plugged ? keep : PSU_PHASE_NONE;
    p->session_told = true;
    return HAL_OK;
}

/* What the unit wrote into our registers, for telemetry (sheet §10). The unit writes its
 * mode, MAC, AC values and energy together; before its MAC on this link none is known. */
static int read_unit(struct psu *base, struct psu_unit_status *us, uint32_t now_ms)
{
    struct psu_huawei *p = of(base);
    const struct huawei_disp *d = &p->unit->disp;
    (void)now_ms;
    memset(us, 0, sizeof *us);
    bool ready = p->unit->link_up && d->psu_mac_known;
    if (ready) {
        us->running_mode = huawei_running_mode_name(huawei_disp_running_mode(d));
        us->ac_known = true;
        for (unsigned ph = 0; ph < 3u; ph++) {
            float v = 0.0f, a = 0.0f;
            (void)huawei_regs_get_f32(&d->regs, 0, (uint16_t)(HUAWEI_R_AC_VOLTAGE_A + 2u * ph), &v);
            (void)huawei_regs_get_f32(&d->regs, 0, (uint16_t)(HUAWEI_R_AC_CURRENT_A + 2u * ph), &a);
            us->ac_voltage_mv[ph] = (int32_t)(v * 1000.0f);
            us->ac_current_ma[ph] = (int32_t)(a * 1000.0f);
        }
        double kwh = 0.0;
        (void)huawei_regs_get_f64(&d->regs, 0, HUAWEI_R_INPUT_ENERGY, &kwh);
        us->energy_known = true;
        us->input_energy_wh = (int64_t)(kwh * 1000.0);
        us->alarm_count = (uint8_t)huawei_disp_alarm_list(d, us->alarm, PSU_UNIT_ALARMS);
    }
    struct huawei_caps caps;
    us->port_known = ready && huawei_disp_caps(d, p->local, &caps);
    us->port_available = us->port_known && caps.available;
    us->session_state = huawei_cstate_name(psu_huawei_state(p));
    us->board_alarms = d->conn[p->local - 1u].alarms;
    return HAL_OK;
}

static const struct psu_ops s_ops = {
    .set_mode = set_mode,
    .set_export = set_export,
    .read_output = read_output,
    .get_capabilities = get_caps,
    .read_telemetry = read_telemetry,
    .get_errors = get_errors,
    .set_session = set_session,
    .read_unit = read_unit,
};

/* ---------------------------------------------------------------- the link task */

static void link_down(struct psu_huawei_unit *u, uint32_t now_ms, const char *why)
{
    if (u->session >= 0) {
        hal_tls_close(u->tls, u->session);
        u->session = -1;
    }
    u->handshaken = false;
    if (u->sock >= 0) {
        hal_net_close(u->net, u->sock);
        u->sock = -1;
    }
    if (u->link_up) {
        u->stats.link_drops++;
        hal_logf(u->log, HAL_LOG_WARN, now_ms, "Huawei: link to the unit lost (%s): power requests stop", why);
    }
    u->link_up = false;
    u->tx_len = u->tx_off = 0u;
    huawei_disp_link_down(&u->disp);
    uint32_t wait = 10u << (u->attempts < 9u ? u->attempts : 9u);
    u->retry_at_ms = now_ms + (wait < PSU_HUAWEI_RETRY_MAX_MS ? wait : PSU_HUAWEI_RETRY_MAX_MS);
    if (u->attempts < 255u) {
        u->attempts++;
    }
}

/* Send what is pending; false when the link broke. */
static bool flush(struct psu_huawei_unit *u, uint32_t now_ms)
{
    while (u->tx_off < u->tx_len) {
        size_t sent = 0;
        int rc = u->tls != NULL ? hal_tls_send(u->tls, u->session, u->tx + u->tx_off, u->tx_len - u->tx_off, &sent)
                                : hal_net_tcp_send(u->net, u->sock, u->tx + u->tx_off, u->tx_len - u->tx_off, &sent);
        if (rc == HAL_EAGAIN) {
            return true;
        }
        if (rc != HAL_OK) {
            u->stats.tcp_errors++;
            link_down(u, now_ms, rc == HAL_ECLOSED ? "closed" : "send failed");
            return false;
        }
        u->tx_off += sent;
    }
    u->tx_len = u->tx_off = 0u;
    return true;
}

static void run_tcp(struct psu_huawei_unit *u, uint32_t now_ms)
{
    if (u->sock < 0) {
        if ((int32_t)(now_ms - u->retry_at_ms) < 0) {
            return;
        }
        int s = hal_net_tcp_connect(u->net, &u->peer);
        if (s < 0) {
            link_down(u, now_ms, "connect failed");
            return;
        }
        u->sock = s;
        u->link_up = true; /* a refused connect shows as ECLOSED on the first send/recv */
        huawei_disp_link_up(&u->disp, now_ms);
        u->stats.connects++;
        u->handshaken = u->tls == NULL;
        if (u->tls != NULL) {
            u->session = hal_tls_start(u->tls, s, 0);
            if (u->session < 0) {
                link_down(u, now_ms, "TLS start failed");
                return;
            }
        }
    }
    if (!u->handshaken) {
        int rc = hal_tls_handshake(u->tls, u->session);
        if (rc == HAL_EAGAIN) {
            return;
        }
        if (rc != HAL_OK) {
            u->stats.tcp_errors++;
            hal_logf(u->log, HAL_LOG_ERROR, now_ms, "Huawei: TLS handshake with the unit failed (%s)",
                     hal_strerror(rc));
            link_down(u, now_ms, "TLS handshake failed");
            return;
        }
        u->handshaken = true;
        huawei_disp_link_up(&u->disp, now_ms); /* the link's silence counts from here */
    }
    for (unsigned i = 0; i < PSU_HUAWEI_IO_PER_PASS; i++) {
        uint8_t buf[HUAWEI_ADU_MAX];
        size_t n = 0;
        int rc = u->tls != NULL ? hal_tls_recv(u->tls, u->session, buf, sizeof buf, &n)
                                : hal_net_tcp_recv(u->net, u->sock, buf, sizeof buf, &n);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc != HAL_OK) {
            link_down(u, now_ms, rc == HAL_ECLOSED ? "closed by the unit" : "receive failed");
            return;
        }
        if (u->attempts != 0u) {
            u->attempts = 0u;
            hal_logf(u->log, HAL_LOG_INFO, now_ms, "Huawei: unit connected");
        }
        if (huawei_disp_tcp_input(&u->disp, buf, n, now_ms) != HAL_OK) {
            link_down(u, now_ms, "stream overflow");
            return;
        }
    }
    for (unsigned i = 0; i < PSU_HUAWEI_IO_PER_PASS && u->tx_len == 0u; i++) {
        size_t n = 0;
        int rc = huawei_disp_tcp_output(&u->disp, now_ms, u->tx, sizeof u->tx, &n);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc != HAL_OK) {
            link_down(u, now_ms, "broken Modbus stream");
            return;
        }
        u->tx_len = n;
        u->tx_off = 0u;
        if (!flush(u, now_ms)) {
            return;
        }
    }
    if (u->tx_len > 0u) {
        (void)flush(u, now_ms);
    }
}

static void run_goose(struct psu_huawei_unit *u, uint32_t now_ms)
{
    /* the sheet's frames are under 256 bytes: a longer one is dropped by the port
     * (HAL_EOVERFLOW), which keeps this buffer off a Cortex-M stack's budget */
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    for (unsigned i = 0; i < PSU_HUAWEI_IO_PER_PASS; i++) {
        size_t n = 0;
        int rc = hal_eth_recv(u->eth, f, sizeof f, &n);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc == HAL_EOVERFLOW) {
            u->stats.goose_refused++;
            continue;
        }
        if (rc != HAL_OK) {
            u->stats.eth_errors++;
            break;
        }
        enum huawei_goose_reject why = HUAWEI_RX_OK;
        if (huawei_disp_goose_input(&u->disp, f, n, now_ms, &why) == HAL_OK) {
            u->stats.goose_rx++;
        } else if (why != HUAWEI_RX_UNKNOWN && why != HUAWEI_RX_OWN) {
            /* other dispensers' traffic is normal; a forged or replayed reply is not */
            u->stats.goose_refused++;
            hal_logf(u->log, HAL_LOG_WARN, now_ms, "Huawei: GOOSE frame refused: %s",
                     huawei_goose_reject_name(why));
        }
    }
    for (unsigned i = 0; i < PSU_HUAWEI_IO_PER_PASS; i++) {
        size_t n = 0;
        if (huawei_disp_goose_output(&u->disp, now_ms, f, sizeof f, &n) != HAL_OK) {
            break;
        }
        if (hal_eth_send(u->eth, f, n) != HAL_OK) {
            u->stats.eth_errors++;
        }
    }
    for (unsigned l = 0; l < u->disp.cfg.connectors; l++) {
        struct psu_huawei *p = u->conn[l];
        if (p != NULL && p->set_pending) {
            p->set_pending = false;
            u->round_trip_ms = now_ms - p->set_at_ms;
        }
        const struct huawei_conn *c = &u->disp.conn[l];
        if (p != NULL && c->state != p->seen) {
            p->seen = c->state;
            if (c->state == HUAWEI_CS_RUNNING) {
                /* the unit's half of the start: our placeholder request out, its reply in */
                u->alloc_ms = now_ms - c->alloc_since_ms;
                static const char *const how[] = {"pending", "granted", "refused", "not answered"};
                hal_logf(u->log, HAL_LOG_INFO, now_ms, "Huawei: connector %u Running %lu ms after its allocation request (%s)",
                         (unsigned)u->disp.cfg.global_no[l], (unsigned long)u->alloc_ms,
                         (unsigned)c->alloc < 4u ? how[c->alloc] : "?");
            }
        }
    }
}

void psu_huawei_unit_use_tls(struct psu_huawei_unit *u, struct hal_tls *tls)
{
    u->tls = tls;
}

void psu_huawei_unit_run(struct psu_huawei_unit *u, uint32_t now_ms)
{
    run_tcp(u, now_ms);
    if (huawei_disp_tick(&u->disp, now_ms) == HAL_ETIMEDOUT) {
        link_down(u, now_ms, "unit silent");
    }
    run_goose(u, now_ms);
    /* 0x1113: the unit measures nothing before the contactor; the board's monitors do */
    for (unsigned l = 0; l < u->disp.cfg.connectors; l++) {
        int32_t mv = 0;
        uint32_t age = 0;
        if (u->conn[l] != NULL && upstream_mv(u->conn[l], now_ms, &mv, &age) == HAL_OK) {
            (void)huawei_regs_set_f32(&u->disp.regs, l + 1u, HUAWEI_R_UPSTREAM_V, (float)mv / 1000.0f);
        }
    }
    /* next pass: the earliest GOOSE frame or report due, a reconnect, or 100 ms for the
     * timers; received bytes and frames wake the task earlier (on_io) */
    uint32_t due = now_ms + 100u;
    for (unsigned l = 0; l < u->disp.cfg.connectors; l++) {
        const struct huawei_conn *c = &u->disp.conn[l];
        if (c->tx_valid && (int32_t)(c->next_tx_ms - due) < 0) {
            due = c->next_tx_ms;
        }
    }
    if (u->link_up && (int32_t)(u->disp.next_report_ms - due) < 0) {
        due = u->disp.next_report_ms;
    }
    if (u->sock < 0 && (int32_t)(u->retry_at_ms - due) < 0) {
        due = u->retry_at_ms;
    }
    if ((int32_t)(due - now_ms) < (int32_t)PSU_HUAWEI_PASS_MS) {
        due = now_ms + PSU_HUAWEI_PASS_MS;
    }
    sched_task_at(&u->task, due);
}

static void step(struct sched_task *t, uint32_t now_ms)
{
    psu_huawei_unit_run(t->ctx, now_ms);
}

int psu_huawei_unit_init(struct psu_huawei_unit *u, const struct huawei_disp_config *cfg,
                         const struct hal_ip6_endpoint *peer, struct hal_net *net, struct hal_eth *eth,
                         struct hal_log *log, struct sched *s, uint32_t now_ms)
{
    if (u == NULL || cfg == NULL || peer == NULL || net == NULL || eth == NULL) {
        return HAL_EINVAL;
    }
    memset(u, 0, sizeof *u);
    int rc = huawei_disp_init(&u->disp, cfg, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    u->peer = *peer;
    u->net = net;
    u->eth = eth;
    u->log = log;
    u->sock = -1;
    u->session = -1;
    u->retry_at_ms = now_ms;
    sched_task_init(&u->task, "huawei", step, u, true);
    return s != NULL ? sched_add(s, &u->task, now_ms) : HAL_OK;
}

int psu_huawei_init(struct psu_huawei *p, struct psu_huawei_unit *u, unsigned local, struct ovm *ovm,
                    struct isolation *imd)
{
    if (p == NULL || u == NULL || local < 1u || local > u->disp.cfg.connectors || u->conn[local - 1u] != NULL) {
        return HAL_EINVAL;
    }
    memset(p, 0, sizeof *p);
    p->base.ops = &s_ops;
    p->unit = u;
    p->local = (uint8_t)local;
    p->mode = PSU_MODE_OFF;
    p->ovm = ovm;
    p->imd = imd;
    u->conn[local - 1u] = p;
    return HAL_OK;
}

void psu_huawei_set_plugged(struct psu_huawei *p, bool plugged, uint32_t now_ms)
{
    (void)huawei_disp_plug(&p->unit->disp, p->local, plugged, now_ms);
    if (!plugged) {
        p->mode = PSU_MODE_OFF;
        p->phase_told = false;
    }
    kick(p->unit, now_ms);
}

void psu_huawei_set_phase(struct psu_huawei *p, enum huawei_phase phase, uint32_t now_ms)
{
    p->phase = phase;
    p->phase_told = true;
    push_mode(p, now_ms);
}

void psu_huawei_set_alarms(struct psu_huawei *p, uint8_t alarms)
{
    (void)huawei_disp_set_alarms(&p->unit->disp, p->local, alarms);
}

void psu_huawei_set_output(struct psu_huawei *p, bool contactor_closed, int32_t out_mv, int32_t out_ma)
{
    (void)huawei_disp_set_contactor(&p->unit->disp, p->local, contactor_closed);
    (void)huawei_regs_set_f32(&p->unit->disp.regs, p->local, HUAWEI_R_OUT_VOLTAGE, (float)out_mv / 1000.0f);
    (void)huawei_regs_set_f32(&p->unit->disp.regs, p->local, HUAWEI_R_OUT_CURRENT, (float)out_ma / 1000.0f);
}

enum huawei_cstate psu_huawei_state(const struct psu_huawei *p)
{
    return p->unit->disp.conn[p->local - 1u].state;
}

const struct psu_huawei_stats *psu_huawei_unit_stats(const struct psu_huawei_unit *u)
{
    return &u->stats;
}
