/* sim_huawei.c - owns the model of a Huawei FusionCharge power unit (struct sim_huawei):
 * what the unit writes on each dispenser link and when (running mode, its MAC,
 * capabilities every cycle, a new key whenever a connector's working status becomes 1,
 * alarms), the GOOSE requests it verifies and the placeholder requests it answers, and
 * the output it grants each connector. Frame layouts come from the firmware's own core
 * (protocols/huawei); the unit's behaviour follows the sheet's description of EVerest's
 * mock (§9). Transports belong to the front end (tools/huaweisim, sim_huawei_link.c). */
#include "sim_huawei.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void ev(struct sim_huawei *m, const char *fmt, ...)
{
    if (m->ops.event == NULL) {
        return;
    }
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->ops.event(m->ctx, line);
}

void sim_huawei_default_opts(struct sim_huawei_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_v = 1000;
    o->min_v = 100;
    o->max_a = 200;
    o->min_a = 1;
    o->kw = 60;
}

void sim_huawei_init(struct sim_huawei *m, const struct sim_huawei_opts *o, const struct sim_huawei_ops *ops,
                     void *ctx, const uint8_t mac[6])
{
    memset(m, 0, sizeof *m);
    m->o = *o;
    m->ops = *ops;
    m->ctx = ctx;
    memcpy(m->mac, mac, 6);
    for (unsigned g = 0; g <= SIM_HUAWEI_GLOBAL; g++) {
        m->g[g].disp = -1;
    }
}

static void send_pdu(struct sim_huawei *m, int d, const uint8_t *pdu, size_t len)
{
    uint8_t b[HUAWEI_ADU_MAX];
    huawei_mbap_put(b, m->d[d].tid++, 1, len);
    memcpy(b + HUAWEI_MBAP_LEN, pdu, len);
    m->ops.tcp_send(m->ctx, d, b, HUAWEI_MBAP_LEN + len);
}

static void write_regs(struct sim_huawei *m, int d, uint16_t addr, const uint8_t *data, size_t words)
{
    uint8_t pdu[6 + 250] = {0x10, (uint8_t)(addr >> 8), (uint8_t)addr, 0, (uint8_t)words, (uint8_t)(2 * words)};
    memcpy(pdu + 6, data, 2 * words);
    send_pdu(m, d, pdu, 6 + 2 * words);
}

static void write_u16(struct sim_huawei *m, int d, uint16_t addr, uint16_t v)
{
    uint8_t pdu[5] = {0x06, (uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)(v >> 8), (uint8_t)v};
    send_pdu(m, d, pdu, 5);
}

static void write_f32(struct sim_huawei *m, int d, uint16_t addr, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    write_regs(m, d, addr, b, 2);
}

/* What the unit writes every cycle: running, its MAC, capabilities of every connector. */
static void unit_cycle(struct sim_huawei *m, int d)
{
    write_u16(m, d, HUAWEI_R_RUNNING_MODE, HUAWEI_PSU_RUNNING);
    write_regs(m, d, HUAWEI_R_PSU_MAC, m->mac, 3);
    for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) {
        bool have = false;
        for (unsigned g = 1; g <= SIM_HUAWEI_GLOBAL; g++) {
            have = have || (m->g[g].disp == d && m->g[g].local == l);
        }
        if (!have) {
            continue;
        }
        uint16_t off = huawei_conn_offset(l);
        write_f32(m, d, (uint16_t)(HUAWEI_R_PSU_MAX_V + off), m->o.max_v);
        write_f32(m, d, (uint16_t)(HUAWEI_R_PSU_MIN_V + off), m->o.min_v);
        write_f32(m, d, (uint16_t)(HUAWEI_R_PSU_MAX_I + off), m->o.max_a);
        write_f32(m, d, (uint16_t)(HUAWEI_R_PSU_MIN_I + off), m->o.min_a);
        write_f32(m, d, (uint16_t)(HUAWEI_R_PSU_POWER + off), m->o.kw);
        write_u16(m, d, (uint16_t)(HUAWEI_R_PORT_AVAILABLE + off), 1);
    }
    if (m->o.alarm) {
        write_u16(m, d, (uint16_t)m->o.alarm_reg, (uint16_t)m->o.alarm_val);
    }
}

static void new_key(struct sim_huawei *m, unsigned g)
{
    struct sim_huawei_conn *c = &m->g[g];
    m->key_counter++;
    for (unsigned i = 0; i < 48; i++) {
        c->key[i] = (uint8_t)(m->key_counter * 31u + g * 7u + i * 13u);
    }
    c->keyed = true;
    c->allocated = false;
    c->refused = false;
    c->reply_at = 0;
    c->req_valid = false; /* a new session: nothing granted until it asks */
    write_regs(m, c->disp, (uint16_t)(HUAWEI_R_KEY + huawei_conn_offset(c->local)), c->key, 24);
    ev(m, "key conn=%u", g);
}

/* A value of the unsolicited report. */
static void report_value(struct sim_huawei *m, int d, uint16_t addr, uint16_t v)
{
    for (unsigned g = 1; g <= SIM_HUAWEI_GLOBAL; g++) {
        struct sim_huawei_conn *c = &m->g[g];
        if (c->disp != d || addr != HUAWEI_R_WORKING_STATUS + huawei_conn_offset(c->local)) {
            continue;
        }
        uint16_t old = c->ws;
        c->ws = v;
        /* the working status 1 makes the unit write a new key (§4) */
        if (v == 1u && old != 1u && !m->o.no_key) {
            new_key(m, g);
        }
    }
}

static void handle_adu(struct sim_huawei *m, int d, const uint8_t *pdu, size_t len, uint16_t tid)
{
    if (len >= 11 && pdu[0] == 0x41 && pdu[1] == 0x91) {
        size_t nseg = (size_t)(pdu[9] << 8 | pdu[10]), k = 11;
        for (size_t s = 0; s < nseg && k + 4 <= len; s++) {
            uint16_t a = (uint16_t)(pdu[k] << 8 | pdu[k + 1]);
            size_t n = (size_t)(pdu[k + 2] << 8 | pdu[k + 3]);
            k += 4;
            for (size_t i = 0; i < n && k + 2 <= len; i++, k += 2) {
                report_value(m, d, (uint16_t)(a + i), (uint16_t)(pdu[k] << 8 | pdu[k + 1]));
            }
        }
        return;
    }
    if (len == 2 && (pdu[0] & 0x80u) != 0u) {
        ev(m, "exception dispenser=%d fc=0x%02x code=%u", d, pdu[0], pdu[1]);
        return;
    }
    if (len == 4 && pdu[0] == 0x03 && pdu[1] == 2) {
        for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) {
            uint16_t g = (uint16_t)(pdu[2] << 8 | pdu[3]);
            if (m->d[d].global_tid[l - 1] == tid && g >= 1 && g <= SIM_HUAWEI_GLOBAL) {
                m->g[g].disp = d;
                m->g[g].local = l;
                m->g[g].ws = 0;
                m->g[g].keyed = false;
                ev(m, "connector dispenser=%d local=%u conn=%u", d, l, g);
                m->d[d].next_write = m->now_ms; /* capabilities at once */
            }
        }
    }
}

int sim_huawei_free_slot(const struct sim_huawei *m)
{
    for (int d = 0; d < SIM_HUAWEI_DISP; d++) {
        if (!m->d[d].up) {
            return d;
        }
    }
    return -1;
}

void sim_huawei_connected(struct sim_huawei *m, int d, uint32_t now_ms)
{
    m->now_ms = now_ms;
    m->d[d] = (struct sim_huawei_disp){.up = true, .connected_at = now_ms, .next_write = now_ms + 200u};
    ev(m, "connected dispenser=%d", d);
    /* a register the sheet does not have: the dispenser must answer exception 2 */
    static const uint8_t bogus[5] = {0x03, 0x77, 0x77, 0x00, 0x01};
    send_pdu(m, d, bogus, sizeof bogus);
    for (unsigned l = 1; l <= HUAWEI_CONN_MAX; l++) { /* which connectors are there */
        m->d[d].global_tid[l - 1] = m->d[d].tid;
        uint16_t a = (uint16_t)(HUAWEI_R_GLOBAL_NO + huawei_conn_offset(l));
        uint8_t pdu[5] = {0x03, (uint8_t)(a >> 8), (uint8_t)a, 0, 1};
        send_pdu(m, d, pdu, 5);
    }
}

void sim_huawei_drop(struct sim_huawei *m, int d, const char *why)
{
    if (d < 0 || d >= SIM_HUAWEI_DISP || !m->d[d].up) {
        return;
    }
    m->d[d].up = false;
    m->d[d].rx_len = 0;
    if (m->ops.close != NULL) {
        m->ops.close(m->ctx, d);
    }
    for (unsigned g = 1; g <= SIM_HUAWEI_GLOBAL; g++) {
        if (m->g[g].disp == d) {
            /* the link is the session: what it granted ends with it (see docs/huawei.md) */
            uint32_t a = m->g[g].alloc_seen_ms, p = m->g[g].power_seen_ms;
            m->g[g] = (struct sim_huawei_conn){.disp = -1, .alloc_seen_ms = a, .power_seen_ms = p};
        }
    }
    ev(m, "dropped dispenser=%d (%s)", d, why);
}

int sim_huawei_tcp_input(struct sim_huawei *m, int d, const uint8_t *b, size_t len, uint32_t now_ms)
{
    struct sim_huawei_disp *x = &m->d[d];
    m->now_ms = now_ms;
    while (len > 0 && x->up) {
        size_t n = len < sizeof x->rx - x->rx_len ? len : sizeof x->rx - x->rx_len;
        memcpy(x->rx + x->rx_len, b, n);
        x->rx_len += n;
        b += n;
        len -= n;
        struct huawei_mbap mb;
        int r;
        while ((r = huawei_mbap_split(x->rx, x->rx_len, &mb)) == HAL_OK) {
            handle_adu(m, d, x->rx + mb.pdu_off, mb.pdu_len, mb.tid);
            memmove(x->rx, x->rx + mb.frame_len, x->rx_len - mb.frame_len);
            x->rx_len -= mb.frame_len;
        }
        if (r == HAL_EPROTO || x->rx_len == sizeof x->rx) {
            sim_huawei_drop(m, d, "broken Modbus stream");
            return -1;
        }
    }
    return 0;
}

static void send_reply(struct sim_huawei *m, unsigned g)
{
    struct sim_huawei_conn *c = &m->g[g];
    struct huawei_goose_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.kind = HUAWEI_GOOSE_POWER_REPLY;
    msg.st_num = ++c->st;
    msg.sq_num = 0;
    msg.ttl_ms = HUAWEI_GOOSE_TTL_MS;
    msg.time_ms = (uint64_t)((m->unix_offset_ms + (int64_t)m->now_ms) / 1000 * 1000);
    msg.connector = (uint16_t)g;
    msg.serial = 0xFFFF;
    msg.req_type = HUAWEI_REQ_PLACEHOLDER;
    msg.result = m->o.refuse ? 1u : 0u;
    msg.mode = 2;
    c->refused = m->o.refuse;
    struct huawei_goose_eth eth = {.tagged = true, .vlan_id = m->o.wrong_vlan ? 7u : 0u};
    memcpy(eth.dst, c->mac, 6);
    memcpy(eth.src, m->mac, 6);
    uint8_t wrong[48];
    memset(wrong, 0x5A, sizeof wrong);
    const uint8_t *key = m->o.no_hmac ? NULL : m->o.wrong_key ? wrong : c->key;
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    size_t n = 0;
    if (huawei_goose_encode(&msg, &eth, key, f, sizeof f, &n) != HAL_OK) {
        return;
    }
    if (m->o.wrong_length) {
        f[21] = (uint8_t)(f[21] + 4); /* Length field: 4 bytes more than there are */
    }
    m->ops.eth_send(m->ctx, f, n);
    if (m->o.replay) {
        m->ops.eth_send(m->ctx, f, n); /* the same stNum/sqNum again */
    }
    ev(m, "reply conn=%u result=%u", g, msg.result);
}

void sim_huawei_goose_input(struct sim_huawei *m, const uint8_t *f, size_t len, uint32_t now_ms)
{
    struct huawei_goose_msg msg;
    struct huawei_goose_sec sec;
    enum huawei_goose_reject why;
    m->now_ms = now_ms;
    if (huawei_goose_parse(f, len, 0, &msg, &sec, &why) != HAL_OK) {
        m->refused_frames++;
        ev(m, "refused conn=? why=%s", huawei_goose_reject_name(why));
        return;
    }
    if (msg.kind == HUAWEI_GOOSE_POWER_REPLY || msg.connector < 1 || msg.connector > SIM_HUAWEI_GLOBAL) {
        return;
    }
    struct sim_huawei_conn *c = &m->g[msg.connector];
    if (!m->o.no_hmac && (!c->keyed || !huawei_goose_verify(f, &sec, c->key))) {
        m->refused_frames++;
        ev(m, "refused conn=%u why=%s", msg.connector, c->keyed ? "bad HMAC" : "no key yet");
        return;
    }
    memcpy(c->mac, sec.src, 6);
    c->req_valid = true;
    c->req_kind = msg.kind;
    c->req_type = msg.req_type;
    c->req_v = msg.voltage_v;
    c->req_a = msg.current_a;
    c->req_at_ms = now_ms;
    c->req_ttl_ms = msg.ttl_ms;
    if (!c->seen || msg.st_num != c->last_st) {
        c->seen = true;
        c->last_st = msg.st_num;
        if (msg.kind == HUAWEI_GOOSE_SHUTDOWN) {
            ev(m, "shutdown conn=%u reason=0x%04x", msg.connector, msg.reason);
        } else {
            ev(m, "request conn=%u type=%u voltage=%.1f current=%.1f", msg.connector, msg.req_type,
               (double)msg.voltage_v, (double)msg.current_a);
        }
    }
    if (msg.kind == HUAWEI_GOOSE_POWER_REQUEST && msg.req_type == HUAWEI_REQ_PLACEHOLDER && c->alloc_seen_ms == 0) {
        c->alloc_seen_ms = now_ms != 0 ? now_ms : 1u;
    }
    bool power = msg.req_type == HUAWEI_REQ_INSULATION || msg.req_type == HUAWEI_REQ_PRECHARGE ||
                 msg.req_type == HUAWEI_REQ_CHARGING;
    if (msg.kind == HUAWEI_GOOSE_POWER_REQUEST && power && c->power_seen_ms == 0) {
        c->power_seen_ms = now_ms != 0 ? now_ms : 1u;
    }
    if (msg.kind == HUAWEI_GOOSE_POWER_REQUEST && msg.req_type == HUAWEI_REQ_PLACEHOLDER && !c->allocated &&
        c->reply_at == 0) {
        c->reply_at = now_ms + m->o.alloc_delay_ms + 1u;
    }
}

void sim_huawei_tick(struct sim_huawei *m, uint32_t now_ms)
{
    m->now_ms = now_ms;
    for (int d = 0; d < SIM_HUAWEI_DISP; d++) {
        struct sim_huawei_disp *x = &m->d[d];
        if (!x->up) {
            continue;
        }
        if ((int32_t)(now_ms - x->next_write) >= 0) {
            unit_cycle(m, d);
            x->next_write = now_ms + SIM_HUAWEI_CYCLE_MS;
        }
        if (m->o.drop_after_s != 0 && !m->dropped_once && now_ms - x->connected_at >= m->o.drop_after_s * 1000u) {
            sim_huawei_drop(m, d, "--drop-link-after-s");
            m->dropped_once = true;
        }
    }
    for (unsigned g = 1; g <= SIM_HUAWEI_GLOBAL; g++) {
        struct sim_huawei_conn *c = &m->g[g];
        if (c->reply_at != 0 && (int32_t)(now_ms - c->reply_at) >= 0 && c->disp >= 0) {
            c->reply_at = 0;
            c->allocated = true;
            send_reply(m, g);
        }
    }
}

bool sim_huawei_output(const struct sim_huawei *m, unsigned g, uint32_t now_ms, uint32_t *mv, uint32_t *ma)
{
    if (g < 1 || g > SIM_HUAWEI_GLOBAL) {
        return false;
    }
    const struct sim_huawei_conn *c = &m->g[g];
    /* the unit's own stops: EPO and insulation (the alarms the dispenser stops on too) */
    bool stop_alarm = m->o.alarm && m->o.alarm_val != 0 && (m->o.alarm_reg == 0x4004u || m->o.alarm_reg == 0x4011u);
    if (!c->req_valid || c->refused || stop_alarm || c->req_kind != HUAWEI_GOOSE_POWER_REQUEST ||
        now_ms - c->req_at_ms > c->req_ttl_ms) {
        return false;
    }
    if (c->req_type != HUAWEI_REQ_INSULATION && c->req_type != HUAWEI_REQ_PRECHARGE &&
        c->req_type != HUAWEI_REQ_CHARGING) {
        return false;
    }
    float v = c->req_v < 0.0f ? 0.0f : c->req_v > m->o.max_v ? m->o.max_v : c->req_v;
    float a = c->req_a < 0.0f ? 0.0f : c->req_a > m->o.max_a ? m->o.max_a : c->req_a;
    *mv = (uint32_t)(v * 1000.0f);
    *ma = (uint32_t)(a * 1000.0f);
    return true;
}
