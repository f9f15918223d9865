/* Huawei FusionCharge dispenser core: owns the per-connector session state machine (§4),
 * what each state puts into the registers and the GOOSE stream, the GOOSE send schedule
 * (§5.4), the subscriber's checks (HMAC against each connector's key, replay), the report
 * cadence (§2.1) and link supervision. No I/O: the firmware adapter moves the bytes. */
#include "huawei/huawei_disp.h"

#include <string.h>

#define REPORT_PERIOD_MS 1000u
#define HEARTBEAT_MS 1000u

static const uint8_t s_burst_ms[] = {2u, 2u, 4u, 8u}; /* repeats after a change (§5.4) */

bool huawei_replay_accept(struct huawei_replay *r, uint32_t st, uint32_t sq)
{
    if (r->seen && (st < r->st || (st == r->st && sq <= r->sq))) {
        return false;
    }
    r->seen = true;
    r->st = st;
    r->sq = sq;
    return true;
}

void huawei_disp_config_default(struct huawei_disp_config *c)
{
    memset(c, 0, sizeof *c);
    c->connectors = 1u;
    for (unsigned i = 0; i < HUAWEI_CONN_MAX; i++) {
        c->global_no[i] = (uint16_t)(i + 1u);
        c->max_current_a[i] = 200.0f;
        c->rated_power_kw[i] = 60.0f;
    }
    c->tagged = true;
    c->send_secure = true;
    c->verify_hmac = true;
    c->alloc_timeout_ms = 5000u;
    c->link_timeout_ms = 60000u;
    c->startup_cycle = true;
    memcpy(c->esn, "0000000000000000", 17u);
}

static bool time_reached(uint32_t now, uint32_t at)
{
    return (int32_t)(now - at) >= 0;
}

static struct huawei_conn *conn_of(struct huawei_disp *d, unsigned local)
{
    return local >= 1u && local <= d->cfg.connectors ? &d->conn[local - 1u] : NULL;
}

/* What a connector's state asks for: registers and the frame it publishes (§4 table). */
static void refresh(struct huawei_disp *d, unsigned local, uint32_t now_ms)
{
    struct huawei_conn *c = &d->conn[local - 1u];
    uint16_t ws = HUAWEI_WS_STANDBY;
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.connector = d->cfg.global_no[local - 1u];
    m.serial = 0xFFFFu;
    m.ttl_ms = HUAWEI_GOOSE_TTL_MS;
    m.kind = HUAWEI_GOOSE_SHUTDOWN;
    m.reason = HUAWEI_STOP_NORMAL;
    switch (c->state) {
    case HUAWEI_CS_DISCONNECTED:
        ws = HUAWEI_WS_STANDBY;
        break;
    case HUAWEI_CS_NO_KEY:
        ws = HUAWEI_WS_INSERTED; /* makes the unit write a new key */
        break;
    case HUAWEI_CS_NO_ALLOC:
        ws = HUAWEI_WS_STARTING;
        m.kind = HUAWEI_GOOSE_POWER_REQUEST;
        m.req_type = HUAWEI_REQ_PLACEHOLDER;
        break;
    case HUAWEI_CS_RUNNING:
        ws = HUAWEI_WS_STARTING;
        m.kind = HUAWEI_GOOSE_POWER_REQUEST;
        m.req_type = HUAWEI_REQ_PLACEHOLDER;
        if (c->phase == HUAWEI_PH_CABLE_CHECK) {
            m.req_type = c->export_on ? HUAWEI_REQ_INSULATION : HUAWEI_REQ_INSULATION_STOP;
        } else if (c->export_on && c->phase == HUAWEI_PH_PRECHARGE) {
            m.req_type = HUAWEI_REQ_PRECHARGE;
        } else if (c->export_on && c->phase == HUAWEI_PH_CHARGING) {
            m.req_type = HUAWEI_REQ_CHARGING;
            ws = HUAWEI_WS_CHARGING;
        }
        if (m.req_type != HUAWEI_REQ_PLACEHOLDER && m.req_type != HUAWEI_REQ_INSULATION_STOP) {
            m.voltage_v = c->volt;
            m.current_a = c->amp;
        }
        break;
    case HUAWEI_CS_COMPLETED:
        ws = HUAWEI_WS_COMPLETE;
        break;
    }
    if (m.kind == HUAWEI_GOOSE_POWER_REQUEST) {
        m.mode = 2u; /* constant current, as EVerest sends */
    }
    uint16_t old = 0;
    (void)huawei_regs_get_u16(&d->regs, local, HUAWEI_R_WORKING_STATUS, &old);
    if (old != ws) {
        (void)huawei_regs_set_u16(&d->regs, local, HUAWEI_R_WORKING_STATUS, ws);
        d->report_now = true;
    }
    (void)huawei_regs_set_u16(&d->regs, local, HUAWEI_R_CONNECTION,
                              c->state == HUAWEI_CS_DISCONNECTED ? 0u : 2u);
    /* a new content: stNum up, sqNum from 0, sent now and repeated quickly */
    bool same = c->tx_valid && c->tx.kind == m.kind && c->tx.req_type == m.req_type &&
                c->tx.voltage_v == m.voltage_v && c->tx.current_a == m.current_a && c->tx.reason == m.reason &&
                c->tx.connector == m.connector;
    if (!same) {
        c->tx = m;
        c->tx_valid = true;
        c->st_num++;
        c->sq_num = 0u;
        c->burst = 0u;
        c->next_tx_ms = now_ms;
    }
}

static void enter(struct huawei_disp *d, unsigned local, enum huawei_cstate s, uint32_t now_ms)
{
    struct huawei_conn *c = &d->conn[local - 1u];
    if (c->state == s) {
        return;
    }
    c->state = s;
    /* 0x117E: 1 on entering Running, 0 on any other change; reported once (§3.2) */
    (void)huawei_regs_set_u16(&d->regs, local, HUAWEI_R_EVENT, s == HUAWEI_CS_RUNNING ? 1u : 0u);
    d->events |= 1u << (local - 1u);
    d->report_now = true;
    if (s == HUAWEI_CS_NO_ALLOC) {
        c->alloc_since_ms = now_ms;
        c->alloc = HUAWEI_ALLOC_PENDING;
    }
    if (s == HUAWEI_CS_RUNNING) {
        c->exported = c->export_on; /* an Export asked before the allocation counts */
    }
    if (s == HUAWEI_CS_NO_KEY || s == HUAWEI_CS_DISCONNECTED) {
        c->export_on = false;
        c->phase = HUAWEI_PH_NONE;
    }
    refresh(d, local, now_ms);
}

int huawei_disp_init(struct huawei_disp *d, const struct huawei_disp_config *cfg, uint32_t now_ms)
{
    if (cfg->connectors < 1u || cfg->connectors > HUAWEI_CONN_MAX || cfg->vlan_id > 4094u) {
        return HAL_EINVAL;
    }
    for (unsigned i = 0; i < cfg->connectors; i++) {
        if (cfg->global_no[i] < 1u || cfg->global_no[i] > 12u) {
            return HAL_EINVAL;
        }
        for (unsigned j = 0; j < i; j++) {
            if (cfg->global_no[i] == cfg->global_no[j]) {
                return HAL_EINVAL;
            }
        }
    }
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    if (d->cfg.alloc_timeout_ms == 0u) {
        d->cfg.alloc_timeout_ms = 5000u;
    }
    if (d->cfg.link_timeout_ms == 0u) {
        d->cfg.link_timeout_ms = 60000u;
    }
    d->cfg.esn[sizeof d->cfg.esn - 1u] = '\0';
    (void)huawei_regs_init(&d->regs, cfg->connectors);
    struct huawei_regs *r = &d->regs;
    (void)huawei_regs_set_u16(r, 0, HUAWEI_R_MANUFACTURER, 0x0002u);
    (void)huawei_regs_set_u16(r, 0, HUAWEI_R_MODEL, 0x0080u);
    (void)huawei_regs_set_bytes(r, 0, HUAWEI_R_SW_VERSION, "dcfc", 4u);
    (void)huawei_regs_set_u16(r, 0, HUAWEI_R_CONNECTORS, (uint16_t)cfg->connectors);
    (void)huawei_regs_set_bytes(r, 0, HUAWEI_R_ESN, d->cfg.esn, strlen(d->cfg.esn));
    for (unsigned l = 1; l <= cfg->connectors; l++) {
        (void)huawei_regs_set_u16(r, l, HUAWEI_R_CONN_TYPE, 2u); /* CCS2 */
        (void)huawei_regs_set_f32(r, l, HUAWEI_R_MAX_CURRENT, cfg->max_current_a[l - 1u]);
        (void)huawei_regs_set_u16(r, l, HUAWEI_R_GLOBAL_NO, cfg->global_no[l - 1u]);
        (void)huawei_regs_set_bytes(r, l, HUAWEI_R_DISP_MAC, cfg->mac, 6u);
        (void)huawei_regs_set_u16(r, l, HUAWEI_R_LOCK, 1u);
        (void)huawei_regs_set_f32(r, l, HUAWEI_R_RATED_POWER, cfg->rated_power_kw[l - 1u]);
        d->conn[l - 1u].state = HUAWEI_CS_DISCONNECTED;
        refresh(d, l, now_ms);
    }
    d->next_report_ms = now_ms;
    return HAL_OK;
}

void huawei_disp_link_up(struct huawei_disp *d, uint32_t now_ms)
{
    d->rx_len = 0u;
    d->link_up = true;
    d->last_rx_ms = now_ms;
    d->report_now = true;
}

void huawei_disp_link_down(struct huawei_disp *d)
{
    d->link_up = false;
    d->rx_len = 0u;
    d->psu_mac_known = false;
    d->cycled = false; /* a new link, a new start-up cycle */
    (void)huawei_regs_set_u16(&d->regs, 0, HUAWEI_R_RUNNING_MODE, HUAWEI_PSU_STARTING_UP);
    for (unsigned l = 1; l <= d->cfg.connectors; l++) {
        struct huawei_conn *c = &d->conn[l - 1u];
        c->cycling = false;
        memset(c->key, 0, sizeof c->key);
        c->has_key = false;
        c->rx = (struct huawei_replay){0};
        /* a plugged car starts over: new key, new allocation, once the link is back */
        enter(d, l, c->plugged ? HUAWEI_CS_NO_KEY : HUAWEI_CS_DISCONNECTED, d->last_rx_ms);
    }
}

/* React to what the unit's writes changed. */
static void apply_changes(struct huawei_disp *d, uint32_t now_ms)
{
    uint32_t chg = huawei_regs_take_changes(&d->regs);
    if ((chg & HUAWEI_CHG_MAC) != 0u) {
        size_t n = 0;
        (void)huawei_regs_get_bytes(&d->regs, 0, HUAWEI_R_PSU_MAC, d->psu_mac, sizeof d->psu_mac, &n);
        d->psu_mac_known = true;
    }
    for (unsigned l = 1; l <= d->cfg.connectors; l++) {
        struct huawei_conn *c = &d->conn[l - 1u];
        if ((chg & HUAWEI_CHG_KEY(l - 1u)) == 0u) {
            continue;
        }
        size_t n = 0;
        (void)huawei_regs_get_bytes(&d->regs, l, HUAWEI_R_KEY, c->key, sizeof c->key, &n);
        c->has_key = true;
        c->rx = (struct huawei_replay){0}; /* a new key starts a new stream */
        if (c->state == HUAWEI_CS_NO_KEY && c->cycling) {
            c->cycling = false; /* the start-up cycle's key: unplug again */
            enter(d, l, HUAWEI_CS_DISCONNECTED, now_ms);
        } else if (c->state == HUAWEI_CS_NO_KEY) {
            enter(d, l, HUAWEI_CS_NO_ALLOC, now_ms);
        }
    }
    /* §4 start-up: once the unit is RUNNING on this link, EVerest plugs in and unplugs
     * every idle connector once (a key, then standby again), so that no session the unit
     * may still hold from before our (re)start stays open. A car plugged meanwhile ends
     * the cycle: its session takes the key. */
    if (d->cfg.startup_cycle && !d->cycled && d->link_up && d->psu_mac_known &&
        huawei_disp_running_mode(d) == HUAWEI_PSU_RUNNING) {
        d->cycled = true;
        for (unsigned l = 1; l <= d->cfg.connectors; l++) {
            struct huawei_conn *c = &d->conn[l - 1u];
            if (c->state == HUAWEI_CS_DISCONNECTED && !c->plugged) {
                c->cycling = true;
                c->cycle_until_ms = now_ms + HUAWEI_CYCLE_KEY_MS;
                enter(d, l, HUAWEI_CS_NO_KEY, now_ms);
            }
        }
    }
}

int huawei_disp_tcp_input(struct huawei_disp *d, const uint8_t *data, size_t len, uint32_t now_ms)
{
    if (len > sizeof d->rx - d->rx_len) {
        d->rx_len = 0u;
        return HAL_EOVERFLOW;
    }
    memcpy(d->rx + d->rx_len, data, len);
    d->rx_len += len;
    if (len > 0u) {
        d->last_rx_ms = now_ms;
    }
    return HAL_OK;
}

int huawei_disp_tcp_output(struct huawei_disp *d, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len)
{
    if (cap < HUAWEI_ADU_MAX) {
        return HAL_EOVERFLOW;
    }
    for (;;) {
        struct huawei_mbap m;
        int rc = huawei_mbap_split(d->rx, d->rx_len, &m);
        if (rc == HAL_EPROTO) {
            d->rx_len = 0u;
            return HAL_EPROTO;
        }
        if (rc != HAL_OK) {
            break;
        }
        const uint8_t *pdu = d->rx + m.pdu_off;
        int result = HAL_EAGAIN;
        if (m.pdu_len > 0u && (pdu[0] == 0x41u || pdu[0] == 0xC1u)) {
            bool ok = false; /* the unit's answer to one of our reports */
            if (huawei_report_parse_answer(pdu, m.pdu_len, &ok) != HAL_OK || !ok) {
                d->report_answers_failed++;
            }
        } else {
            size_t olen = 0;
            d->modbus_requests++;
            (void)huawei_modbus_serve(&d->regs, pdu, m.pdu_len, out + HUAWEI_MBAP_LEN,
                                      cap - HUAWEI_MBAP_LEN, &olen);
            if ((out[HUAWEI_MBAP_LEN] & 0x80u) != 0u) {
                d->modbus_exceptions++;
            }
            huawei_mbap_put(out, m.tid, m.unit, olen);
            *len = HUAWEI_MBAP_LEN + olen;
            result = HAL_OK;
        }
        memmove(d->rx, d->rx + m.frame_len, d->rx_len - m.frame_len);
        d->rx_len -= m.frame_len;
        apply_changes(d, now_ms);
        if (result == HAL_OK) {
            return HAL_OK;
        }
    }
    if (d->link_up && (d->report_now || time_reached(now_ms, d->next_report_ms))) {
        (void)huawei_regs_set_u32(&d->regs, 0, HUAWEI_R_TIME, (uint32_t)((d->unix_ms_base + now_ms) / 1000u));
        int rc = huawei_report_encode(&d->regs, d->report_tid, d->events, false, out, cap, len);
        if (rc != HAL_OK) {
            return rc;
        }
        d->report_tid++;
        d->events = 0u;
        d->report_now = false;
        d->next_report_ms = now_ms + REPORT_PERIOD_MS;
        d->reports_sent++;
        return HAL_OK;
    }
    return HAL_EAGAIN;
}

static int reject(struct huawei_disp *d, enum huawei_goose_reject r, enum huawei_goose_reject *why)
{
    d->rejects[r]++;
    if (why != NULL) {
        *why = r;
    }
    return HAL_EPROTO;
}

int huawei_disp_goose_input(struct huawei_disp *d, const uint8_t *f, size_t len, uint32_t now_ms,
                            enum huawei_goose_reject *why)
{
    struct huawei_goose_msg m;
    struct huawei_goose_sec sec;
    enum huawei_goose_reject r = HUAWEI_RX_OK;
    if (huawei_goose_parse(f, len, d->cfg.vlan_id, &m, &sec, &r) != HAL_OK) {
        return reject(d, r, why);
    }
    if (memcmp(sec.src, d->cfg.mac, 6u) == 0) {
        return reject(d, HUAWEI_RX_OWN, why);
    }
    if (m.kind != HUAWEI_GOOSE_POWER_REPLY) {
        return reject(d, HUAWEI_RX_UNKNOWN, why); /* another dispenser's request */
    }
    unsigned local = 0;
    for (unsigned l = 1; l <= d->cfg.connectors; l++) {
        if (d->cfg.global_no[l - 1u] == m.connector) {
            local = l;
        }
    }
    if (local == 0u) {
        return reject(d, HUAWEI_RX_UNKNOWN, why); /* for a connector of another dispenser */
    }
    struct huawei_conn *c = &d->conn[local - 1u];
    if (d->cfg.verify_hmac) {
        if (!sec.secure) {
            return reject(d, HUAWEI_RX_UNSECURED, why);
        }
        if (!c->has_key) {
            return reject(d, HUAWEI_RX_NO_KEY, why);
        }
        if (!huawei_goose_verify(f, &sec, c->key)) {
            return reject(d, HUAWEI_RX_HMAC, why);
        }
    }
    if (!huawei_replay_accept(&c->rx, m.st_num, m.sq_num)) {
        return reject(d, HUAWEI_RX_REPLAY, why);
    }
    c->replies++;
    if (c->state == HUAWEI_CS_NO_ALLOC && m.req_type == HUAWEI_REQ_PLACEHOLDER) {
        c->alloc = m.result == 0u ? HUAWEI_ALLOC_OK : HUAWEI_ALLOC_REFUSED;
        enter(d, local, HUAWEI_CS_RUNNING, now_ms);
    }
    if (why != NULL) {
        *why = HUAWEI_RX_OK;
    }
    return HAL_OK;
}

int huawei_disp_goose_output(struct huawei_disp *d, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len)
{
    if (!d->psu_mac_known) {
        return HAL_EAGAIN; /* nowhere to send yet (§1: READY) */
    }
    for (unsigned l = 1; l <= d->cfg.connectors; l++) {
        struct huawei_conn *c = &d->conn[l - 1u];
        if (!c->tx_valid || !time_reached(now_ms, c->next_tx_ms)) {
            continue;
        }
        if (d->cfg.send_secure && !c->has_key) {
            c->next_tx_ms = now_ms + HEARTBEAT_MS; /* a secure stream needs a key first */
            continue;
        }
        struct huawei_goose_eth eth;
        memcpy(eth.dst, d->psu_mac, 6u);
        memcpy(eth.src, d->cfg.mac, 6u);
        eth.tagged = d->cfg.tagged;
        eth.vlan_id = d->cfg.vlan_id;
        c->tx.st_num = c->st_num;
        c->tx.sq_num = c->sq_num;
        c->tx.time_ms = d->unix_ms_base + now_ms;
        int rc = huawei_goose_encode(&c->tx, &eth, d->cfg.send_secure ? c->key : NULL, out, cap, len);
        if (rc != HAL_OK) {
            return rc;
        }
        c->sq_num++;
        c->next_tx_ms = now_ms + (c->burst < sizeof s_burst_ms ? s_burst_ms[c->burst] : HEARTBEAT_MS);
        if (c->burst < sizeof s_burst_ms) {
            c->burst++;
        }
        d->goose_sent[l - 1u]++;
        return HAL_OK;
    }
    return HAL_EAGAIN;
}

int huawei_disp_tick(struct huawei_disp *d, uint32_t now_ms)
{
    apply_changes(d, now_ms);
    for (unsigned l = 1; l <= d->cfg.connectors; l++) {
        struct huawei_conn *c = &d->conn[l - 1u];
        if (c->cycling && time_reached(now_ms, c->cycle_until_ms)) {
            c->cycling = false; /* no key in time: the cycle gives up, the connector is idle */
            enter(d, l, HUAWEI_CS_DISCONNECTED, now_ms);
        }
        if (c->state == HUAWEI_CS_NO_ALLOC && time_reached(now_ms, c->alloc_since_ms + d->cfg.alloc_timeout_ms)) {
            c->alloc = HUAWEI_ALLOC_TIMEOUT; /* the sheet goes on; the adapter warns */
            enter(d, l, HUAWEI_CS_RUNNING, now_ms);
        }
    }
    if (d->link_up && time_reached(now_ms, d->last_rx_ms + d->cfg.link_timeout_ms)) {
        return HAL_ETIMEDOUT;
    }
    return HAL_OK;
}

int huawei_disp_plug(struct huawei_disp *d, unsigned local, bool plugged, uint32_t now_ms)
{
    struct huawei_conn *c = conn_of(d, local);
    if (c == NULL) {
        return HAL_EINVAL;
    }
    c->plugged = plugged;
    c->cycling = false; /* a car, or none: the start-up cycle is over for this connector */
    if (!plugged) {
        enter(d, local, HUAWEI_CS_DISCONNECTED, now_ms);
    } else if (c->state == HUAWEI_CS_DISCONNECTED) {
        enter(d, local, HUAWEI_CS_NO_KEY, now_ms);
    }
    return HAL_OK;
}

int huawei_disp_set_mode(struct huawei_disp *d, unsigned local, bool export_on, enum huawei_phase phase,
                         uint32_t now_ms)
{
    struct huawei_conn *c = conn_of(d, local);
    if (c == NULL || (unsigned)phase > (unsigned)HUAWEI_PH_CHARGING) {
        return HAL_EINVAL;
    }
    if (export_on) {
        if (c->state == HUAWEI_CS_COMPLETED) {
            enter(d, local, HUAWEI_CS_NO_KEY, now_ms); /* a new key and a new allocation */
        }
        c->export_on = true;
        c->phase = phase;
        if (c->state == HUAWEI_CS_RUNNING) {
            c->exported = true;
        }
    } else {
        c->export_on = false;
        /* Off after cable check keeps that phase, so the "stoppage" request goes out (§4) */
        if (c->phase != HUAWEI_PH_CABLE_CHECK) {
            c->phase = phase;
        }
        if (c->state == HUAWEI_CS_RUNNING && c->exported && c->phase != HUAWEI_PH_CABLE_CHECK) {
            enter(d, local, HUAWEI_CS_COMPLETED, now_ms);
            return HAL_OK;
        }
    }
    refresh(d, local, now_ms);
    return HAL_OK;
}

int huawei_disp_set_export(struct huawei_disp *d, unsigned local, float volt, float amp, uint32_t now_ms)
{
    struct huawei_conn *c = conn_of(d, local);
    if (c == NULL || !(volt >= 0.0f && volt <= 2000.0f) || !(amp >= 0.0f && amp <= 2000.0f)) {
        return HAL_EINVAL;
    }
    c->volt = volt;
    c->amp = amp;
    refresh(d, local, now_ms); /* a new setpoint is a new frame content (re-sent at once) */
    return HAL_OK;
}

int huawei_disp_set_alarms(struct huawei_disp *d, unsigned local, uint8_t alarms)
{
    struct huawei_conn *c = conn_of(d, local);
    if (c == NULL) {
        return HAL_EINVAL;
    }
    c->alarms = alarms;
    /* a dispenser alarm stays while any connector reports it (§3.1) */
    uint8_t any = 0;
    for (unsigned l = 0; l < d->cfg.connectors; l++) {
        any = (uint8_t)(any | d->conn[l].alarms);
    }
    static const uint16_t reg[] = {HUAWEI_R_DOOR_ALARM, HUAWEI_R_WATER_ALARM, HUAWEI_R_EPO_ALARM,
                                   HUAWEI_R_TILT_ALARM};
    for (unsigned b = 0; b < 4u; b++) {
        uint16_t old = 0, v = (uint16_t)(((unsigned)any >> b) & 1u);
        (void)huawei_regs_get_u16(&d->regs, 0, reg[b], &old);
        if (old != v) {
            (void)huawei_regs_set_u16(&d->regs, 0, reg[b], v);
            d->report_now = true;
        }
    }
    uint16_t old = 0, v = (alarms & HUAWEI_AL_CONTACTOR) != 0u ? 1u : 0u;
    (void)huawei_regs_get_u16(&d->regs, local, HUAWEI_R_CONTACTOR_FAULT, &old);
    if (old != v) {
        (void)huawei_regs_set_u16(&d->regs, local, HUAWEI_R_CONTACTOR_FAULT, v);
        d->report_now = true;
    }
    return HAL_OK;
}

int huawei_disp_set_measured(struct huawei_disp *d, unsigned local, float out_v, float out_a, float upstream_v)
{
    if (conn_of(d, local) == NULL) {
        return HAL_EINVAL;
    }
    (void)huawei_regs_set_f32(&d->regs, local, HUAWEI_R_OUT_VOLTAGE, out_v);
    (void)huawei_regs_set_f32(&d->regs, local, HUAWEI_R_OUT_CURRENT, out_a);
    (void)huawei_regs_set_f32(&d->regs, local, HUAWEI_R_UPSTREAM_V, upstream_v);
    return HAL_OK;
}

int huawei_disp_set_contactor(struct huawei_disp *d, unsigned local, bool closed)
{
    if (conn_of(d, local) == NULL) {
        return HAL_EINVAL;
    }
    uint16_t old = 0, v = closed ? 1u : 0u;
    (void)huawei_regs_get_u16(&d->regs, local, HUAWEI_R_CONTACTOR, &old);
    if (old != v) {
        (void)huawei_regs_set_u16(&d->regs, local, HUAWEI_R_CONTACTOR, v);
        d->report_now = true;
    }
    return HAL_OK;
}

bool huawei_disp_caps(const struct huawei_disp *d, unsigned local, struct huawei_caps *caps)
{
    memset(caps, 0, sizeof *caps);
    if (local < 1u || local > d->cfg.connectors) {
        return false;
    }
    const struct huawei_regs *r = &d->regs;
    uint16_t avail = 0;
    (void)huawei_regs_get_f32(r, local, HUAWEI_R_PSU_MAX_V, &caps->max_v);
    (void)huawei_regs_get_f32(r, local, HUAWEI_R_PSU_MIN_V, &caps->min_v);
    (void)huawei_regs_get_f32(r, local, HUAWEI_R_PSU_MAX_I, &caps->max_a);
    (void)huawei_regs_get_f32(r, local, HUAWEI_R_PSU_MIN_I, &caps->min_a);
    (void)huawei_regs_get_f32(r, local, HUAWEI_R_PSU_POWER, &caps->power_kw);
    (void)huawei_regs_get_u16(r, local, HUAWEI_R_PORT_AVAILABLE, &avail);
    caps->available = avail == 1u;
    return caps->max_v > 0.0f && caps->max_a > 0.0f && caps->power_kw > 0.0f;
}

uint16_t huawei_disp_running_mode(const struct huawei_disp *d)
{
    uint16_t m = 0;
    (void)huawei_regs_get_u16(&d->regs, 0, HUAWEI_R_RUNNING_MODE, &m);
    return m;
}

bool huawei_disp_psu_stop_alarm(const struct huawei_disp *d, bool *any)
{
    /* 0x4000..0x4011 are one register each; the flag registers after them count as "any" */
    bool stop = false, a = false;
    for (uint16_t addr = HUAWEI_R_ALARM_FIRST; addr <= 0x40E9u; addr++) {
        uint16_t w = 0;
        if (huawei_regs_read_word(&d->regs, addr, &w) != HAL_OK) {
            continue; /* a gap in the alarm block */
        }
        if (w != 0u) {
            a = true;
            stop = stop || addr == HUAWEI_R_ALARM_EPO || addr == HUAWEI_R_ALARM_INSULATION;
        }
    }
    if (any != NULL) {
        *any = a;
    }
    return stop;
}

unsigned huawei_disp_alarm_list(const struct huawei_disp *d, uint16_t *out, unsigned max)
{
    unsigned n = 0;
    uint16_t last = 0;
    for (uint16_t addr = HUAWEI_R_ALARM_FIRST; addr <= 0x40E9u; addr++) {
        uint16_t w = 0;
        if (huawei_regs_read_word(&d->regs, addr, &w) != HAL_OK || w == 0u) {
            continue;
        }
        /* from 0x4020 on the alarms are 32-bit flag registers at even addresses */
        uint16_t a = addr >= 0x4020u ? (uint16_t)(addr & ~1u) : addr;
        if (n > 0u && a == last) {
            continue;
        }
        if (n < max) {
            out[n] = a;
        }
        last = a;
        n++;
    }
    return n;
}

const char *huawei_running_mode_name(uint16_t mode)
{
    static const char *const n[] = {"starting_up", "running", "faulty", "sleeping", "upgrading"};
    return mode < sizeof n / sizeof n[0] ? n[mode] : "?";
}

const char *huawei_cstate_name(enum huawei_cstate s)
{
    static const char *const n[] = {"CarDisconnected", "NoKeyYet", "ConnectedNoAllocation", "Running",
                                    "Completed"};
    return (unsigned)s <= (unsigned)HUAWEI_CS_COMPLETED ? n[s] : "?";
}
