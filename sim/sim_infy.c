#include "sim_infy.h"

#include <string.h>

/* Walk-in: the stage current rises at most this fast per ms (and falls 10x faster). */
#define SIM_INFY_RAMP_MA_PER_MS 1000
#define SIM_INFY_STUCK_MS 2000u

/* Status bits as the module puts them on the wire: byte k of the 24-bit field is payload
 * byte 7 - k (state0 in byte 7, state1 in 6, state2 in 5). Written out here on purpose,
 * independently of the driver's definitions. */
#define SIM_ST0_SHORT 0x000001u
#define SIM_ST1_DC_OFF 0x000100u
#define SIM_ST1_FAN 0x000800u
#define SIM_ST1_OVER_TEMP 0x001000u
#define SIM_ST2_ID_REPEATED 0x020000u

void sim_infy_default_rating(struct sim_infy_rating *r)
{
    r->max_v = 1000;
    r->min_v = 50;
    r->max_ma = 100000;
    r->power_w = 30000;
}

void sim_infy_init(struct sim_infy *s)
{
    memset(s, 0, sizeof *s);
    s->load = SIM_INFY_LOAD_RESISTIVE;
    s->load_mohm = 10000;
    s->connected = true;
}

struct sim_infy_module *sim_infy_find(struct sim_infy *s, uint8_t addr)
{
    for (int i = 0; i < s->n; i++) {
        if (s->mod[i].addr == addr) {
            return &s->mod[i];
        }
    }
    return NULL;
}

int sim_infy_add(struct sim_infy *s, uint8_t addr, const struct sim_infy_rating *r)
{
    if (s->n >= SIM_INFY_MAX || addr > 0x3Bu || sim_infy_find(s, addr) != NULL) {
        return -1;
    }
    struct sim_infy_module *m = &s->mod[s->n++];
    memset(m, 0, sizeof *m);
    m->addr = addr;
    m->rating = *r;
    m->temperature_c = 28;
    m->last_heard_ms = s->now_ms;
    /* A serial like the vendor's example, different per module. */
    static const uint8_t base[8] = {0x56, 0x13, 0x0C, 0x15, 0xA3, 0xFB, 0x06, 0xA8};
    memcpy(m->serial, base, sizeof base);
    m->serial[7] = (uint8_t)(0xA8u + addr);
    return 0;
}

static void sim_infy_event(struct sim_infy *s, const struct sim_infy_module *m, const char *what)
{
    if (s->event != NULL) {
        s->event(s->event_ctx, m, what);
    }
}

static void sim_infy_put16(uint8_t *p, uint32_t v)
{
    if (v > 0xFFFFu) {
        v = 0xFFFFu;
    }
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void sim_infy_putf(uint8_t *p, float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    p[0] = (uint8_t)(b >> 24);
    p[1] = (uint8_t)(b >> 16);
    p[2] = (uint8_t)(b >> 8);
    p[3] = (uint8_t)b;
}

static void sim_infy_answer(struct sim_infy *s, uint8_t err, uint8_t cmd, uint8_t dst, uint8_t src,
                            const uint8_t data[8])
{
    if (s->qcount >= SIM_INFY_QUEUE) {
        s->stats.dropped++;
        return;
    }
    struct hal_can_frame *f = &s->q[(s->qhead + s->qcount) % SIM_INFY_QUEUE];
    memset(f, 0, sizeof *f);
    f->id = (uint32_t)(err & 7u) << 26 | 0x0Au << 22 | (uint32_t)(cmd & 0x3Fu) << 16 |
            (uint32_t)dst << 8 | src;
    f->flags = HAL_CAN_FLAG_EXT;
    f->dlc = 8;
    memcpy(f->data, data, 8);
    s->qcount++;
    s->stats.tx++;
}

bool sim_infy_pop(struct sim_infy *s, struct hal_can_frame *f)
{
    if (s->qcount == 0) {
        return false;
    }
    *f = s->q[s->qhead];
    s->qhead = (s->qhead + 1) % SIM_INFY_QUEUE;
    s->qcount--;
    return true;
}

static bool sim_infy_delivering(const struct sim_infy *s, const struct sim_infy_module *m)
{
    bool stuck = (int32_t)(m->stuck_until_ms - s->now_ms) > 0;
    bool tripped = (m->fault_bits & (SIM_ST1_OVER_TEMP | SIM_ST0_SHORT)) != 0;
    return (m->on || stuck) && !tripped;
}

static uint32_t sim_infy_status_bits(const struct sim_infy *s, const struct sim_infy_module *m)
{
    uint32_t bits = m->fault_bits;
    if (!sim_infy_delivering(s, m)) {
        bits |= SIM_ST1_DC_OFF;
    }
    return bits;
}

static void sim_infy_module_rx(struct sim_infy *s, struct sim_infy_module *m, uint8_t cmd,
                               uint8_t ctrl, const struct hal_can_frame *f)
{
    uint8_t d[8] = {0};
    bool zero = true;
    for (int i = 0; i < 8; i++) {
        zero = zero && f->data[i] == 0;
    }
    if (f->dlc < 8) {
        sim_infy_answer(s, 0x3, cmd, ctrl, m->addr, d);
        return;
    }
    switch (cmd) {
    case 0x03:
    case 0x04:
    case 0x0A:
    case 0x0B:
    case 0x0C:
        if (!zero) {
            sim_infy_answer(s, 0x3, cmd, ctrl, m->addr, d); /* reads carry 8 zero bytes */
            return;
        }
        break;
    default:
        break;
    }
    switch (cmd) {
    case 0x03:
        sim_infy_putf(&d[0], (float)s->out_mv / 1000.0f);
        sim_infy_putf(&d[4], (float)m->out_ma / 1000.0f);
        break;
    case 0x04: {
        uint32_t bits = sim_infy_status_bits(s, m);
        d[2] = s->group;
        d[4] = (uint8_t)m->temperature_c;
        d[5] = (uint8_t)(bits >> 16);
        d[6] = (uint8_t)(bits >> 8);
        d[7] = (uint8_t)bits;
        break;
    }
    case 0x0A:
        sim_infy_put16(&d[0], m->rating.max_v);
        sim_infy_put16(&d[2], m->rating.min_v);
        sim_infy_put16(&d[4], m->rating.max_ma / 100u);
        sim_infy_put16(&d[6], m->rating.power_w / 10u);
        break;
    case 0x0B:
        memcpy(d, m->serial, 8);
        break;
    case 0x0C:
        sim_infy_put16(&d[0], (uint32_t)(s->out_mv > 0 ? s->out_mv : 0) / 100u);
        sim_infy_put16(&d[2], m->rating.max_ma / 100u);
        break;
    case 0x1A:
        if (f->data[0] > 1) {
            sim_infy_answer(s, 0x3, cmd, ctrl, m->addr, d);
            return;
        }
        if (f->data[0] == 0 && !m->on) {
            m->on = true;
            sim_infy_event(s, m, "on");
        } else if (f->data[0] == 1 && m->on) {
            m->on = false;
            if (m->stuck_armed) {
                m->stuck_armed = false;
                m->stuck_until_ms = s->now_ms + SIM_INFY_STUCK_MS;
                sim_infy_event(s, m, "off (ignored for 2 s: stuck)");
            } else {
                sim_infy_event(s, m, "off");
            }
        }
        break;
    case 0x1C: {
        uint32_t mv = (uint32_t)f->data[0] << 24 | (uint32_t)f->data[1] << 16 |
                      (uint32_t)f->data[2] << 8 | f->data[3];
        uint32_t ma = (uint32_t)f->data[4] << 24 | (uint32_t)f->data[5] << 16 |
                      (uint32_t)f->data[6] << 8 | f->data[7];
        if (mv > (uint32_t)m->rating.max_v * 1000u || ma > m->rating.max_ma) {
            sim_infy_answer(s, 0x3, cmd, ctrl, m->addr, d); /* data invalid, not applied */
            return;
        }
        if (mv != m->set_mv || ma != m->set_ma) {
            m->set_mv = mv;
            m->set_ma = ma;
            sim_infy_event(s, m, "setpoint");
        }
        break;
    }
    default:
        sim_infy_answer(s, 0x2, cmd, ctrl, m->addr, d); /* command invalid */
        return;
    }
    sim_infy_answer(s, 0, cmd, ctrl, m->addr, d);
}

void sim_infy_rx(struct sim_infy *s, const struct hal_can_frame *f, uint32_t now_ms)
{
    s->now_ms = now_ms;
    if ((f->flags & HAL_CAN_FLAG_EXT) == 0 || (f->flags & HAL_CAN_FLAG_RTR) != 0) {
        s->stats.ignored++;
        return;
    }
    uint8_t err = (uint8_t)((f->id >> 26) & 7u), dev = (uint8_t)((f->id >> 22) & 0xFu);
    uint8_t cmd = (uint8_t)((f->id >> 16) & 0x3Fu), dst = (uint8_t)(f->id >> 8), src = (uint8_t)f->id;
    /* Only requests from a controller (0xF0..0xF7) with a clear error field. */
    if (err != 0 || src < 0xF0u || src > 0xF7u) {
        s->stats.ignored++;
        return;
    }
    s->stats.rx++;
    if (dev == 0x0Bu) {
        if (!s->group_mode || dst != s->group) {
            s->stats.ignored++;
            return;
        }
        struct sim_infy_module *master = NULL;
        for (int i = 0; i < s->n; i++) {
            s->mod[i].last_heard_ms = now_ms;
            if (!s->mod[i].mute && (master == NULL || s->mod[i].addr < master->addr)) {
                master = &s->mod[i];
            }
        }
        if (cmd == 0x02 && master != NULL) {
            uint8_t d[8] = {0};
            int alive = 0;
            for (int i = 0; i < s->n; i++) {
                alive += s->mod[i].mute ? 0 : 1;
            }
            d[2] = (uint8_t)alive;
            sim_infy_answer(s, 0, cmd, src, master->addr, d);
        }
        return;
    }
    if (dev != 0x0Au) {
        s->stats.ignored++;
        return;
    }
    struct sim_infy_module *m = sim_infy_find(s, dst);
    if (m == NULL || m->mute) {
        s->stats.ignored++;
        return;
    }
    m->last_heard_ms = now_ms;
    sim_infy_module_rx(s, m, cmd, src, f);
}

void sim_infy_tick(struct sim_infy *s, uint32_t now_ms)
{
    uint32_t dt = now_ms - s->now_ms;
    if (dt > 1000u) {
        dt = 1000u;
    }
    s->now_ms = now_ms;
    uint64_t sum_lim = 0;
    uint32_t vset = 0;
    bool any = false;
    for (int i = 0; i < s->n; i++) {
        struct sim_infy_module *m = &s->mod[i];
        if (m->on && now_ms - m->last_heard_ms >= SIM_INFY_WATCHDOG_MS) {
            m->on = false;
            m->watchdog_tripped = true;
            s->stats.watchdog_offs++;
            sim_infy_event(s, m, "watchdog: no controller traffic for 10 s, output off");
        }
        if (sim_infy_delivering(s, m)) {
            sum_lim += m->set_ma;
            vset = m->set_mv > vset ? m->set_mv : vset;
            any = true;
        }
    }
    int64_t target = 0;
    if (any && s->connected) {
        if (s->load == SIM_INFY_LOAD_RESISTIVE) {
            target = s->load_mohm > 0 ? (int64_t)vset * 1000 / s->load_mohm : (int64_t)sum_lim;
        } else {
            target = s->load_mohm > 0 ? ((int64_t)vset - s->battery_mv) * 1000 / s->load_mohm : 0;
            target = target < 0 ? 0 : target;
        }
        target = target > (int64_t)sum_lim ? (int64_t)sum_lim : target;
    }
    int64_t up = (int64_t)SIM_INFY_RAMP_MA_PER_MS * dt, down = up * 10;
    int64_t cur = s->out_ma;
    if (cur < target) {
        cur = cur + up < target ? cur + up : target;
    } else if (cur > target) {
        cur = cur - down > target ? cur - down : target;
    }
    s->out_ma = (int32_t)cur;
    if (s->connected && s->load == SIM_INFY_LOAD_BATTERY) {
        s->out_mv = (int32_t)(s->battery_mv + (uint64_t)cur * s->load_mohm / 1000u);
    } else if (s->connected && any) {
        s->out_mv = (int32_t)((uint64_t)cur * s->load_mohm / 1000u);
    } else if (any) {
        s->out_mv = (int32_t)vset; /* no load: the output sits at the setpoint */
    } else {
        int32_t fall = (int32_t)(20000u * dt); /* the output capacitors discharge */
        s->out_mv = s->out_mv > fall ? s->out_mv - fall : 0;
        if (s->connected && s->load == SIM_INFY_LOAD_BATTERY) {
            s->out_mv = (int32_t)s->battery_mv;
        }
    }
    if (any && s->runaway_mv > s->out_mv) {
        s->out_mv = s->runaway_mv; /* a regulator runs away */
    }
    for (int i = 0; i < s->n; i++) {
        struct sim_infy_module *m = &s->mod[i];
        m->out_ma = sim_infy_delivering(s, m) && sum_lim > 0
                        ? (int32_t)((uint64_t)cur * m->set_ma / sum_lim)
                        : 0;
    }
    if (!any && cur == 0 && s->off_since_ms == 0) {
        s->off_since_ms = now_ms != 0 ? now_ms : 1u;
    } else if (any || cur != 0) {
        s->off_since_ms = 0;
    }
}

void sim_infy_fault(struct sim_infy *s, struct sim_infy_module *m, enum sim_infy_fault f)
{
    switch (f) {
    case SIM_INFY_FAULT_NONE:
        m->fault_bits = 0;
        m->stuck_armed = false;
        m->stuck_until_ms = s->now_ms;
        sim_infy_event(s, m, "faults cleared");
        return;
    case SIM_INFY_FAULT_OVER_TEMP:
        m->fault_bits |= SIM_ST1_OVER_TEMP;
        m->temperature_c = 95;
        break;
    case SIM_INFY_FAULT_FAN:
        m->fault_bits |= SIM_ST1_FAN;
        break;
    case SIM_INFY_FAULT_SHORT:
        m->fault_bits |= SIM_ST0_SHORT;
        break;
    case SIM_INFY_FAULT_CLASH:
        m->fault_bits |= SIM_ST2_ID_REPEATED;
        break;
    case SIM_INFY_FAULT_STUCK:
        m->stuck_armed = true;
        break;
    }
    sim_infy_event(s, m, "fault injected");
}

int sim_infy_fault_parse(const char *name, enum sim_infy_fault *out)
{
    static const char *const names[] = {"none", "otp", "fan", "short", "clash", "stuck"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum sim_infy_fault)i;
            return 0;
        }
    }
    return -1;
}

bool sim_infy_all_off(const struct sim_infy *s)
{
    for (int i = 0; i < s->n; i++) {
        if (sim_infy_delivering(s, &s->mod[i])) {
            return false;
        }
    }
    return s->out_ma == 0;
}

/* ---------------------------------------------------------------- in-memory CAN */

static int sim_infy_can_open(struct hal_can *can, uint32_t bitrate)
{
    (void)can;
    (void)bitrate;
    return HAL_OK;
}

static int sim_infy_can_send(struct hal_can *can, const struct hal_can_frame *f)
{
    struct sim_infy_can *c = (struct sim_infy_can *)can;
    if (f->dlc > HAL_CAN_MAX_DLC) {
        return HAL_EINVAL;
    }
    if (c->bus_off) {
        return HAL_ECLOSED;
    }
    sim_infy_rx(c->model, f, c->model->now_ms);
    return HAL_OK;
}

static int sim_infy_can_recv(struct hal_can *can, struct hal_can_frame *f)
{
    struct sim_infy_can *c = (struct sim_infy_can *)can;
    if (c->bus_off) {
        return HAL_ECLOSED;
    }
    return sim_infy_pop(c->model, f) ? HAL_OK : HAL_EAGAIN;
}

static int sim_infy_can_state(struct hal_can *can, enum hal_can_state *st)
{
    *st = ((struct sim_infy_can *)can)->bus_off ? HAL_CAN_STATE_BUS_OFF : HAL_CAN_STATE_ACTIVE;
    return HAL_OK;
}

static int sim_infy_can_restart(struct hal_can *can)
{
    (void)can;
    return HAL_OK;
}

static void sim_infy_can_close(struct hal_can *can)
{
    (void)can;
}

static const struct hal_can_ops s_sim_infy_can_ops = {
    .open = sim_infy_can_open,
    .send = sim_infy_can_send,
    .recv = sim_infy_can_recv,
    .get_state = sim_infy_can_state,
    .restart = sim_infy_can_restart,
    .close = sim_infy_can_close,
};

void sim_infy_can_init(struct sim_infy_can *c, struct sim_infy *model)
{
    c->base.ops = &s_sim_infy_can_ops;
    c->model = model;
}
