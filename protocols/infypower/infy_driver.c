/* infy_driver.c - owns the InfyPower driver's module table (struct infy_drv): start-up,
 * sharing of the setpoint among the modules, error bookkeeping, what the modules' replies
 * tell (infy_drv_rx) and the readings for the power stage. When frames go out is
 * infy_schedule.c; the error and status tables and the configuration are infy_config.c. */
#include "infypower/infy_driver.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "infypower/infy_internal.h"
/* ---------------------------------------------------------------- logging */

void infy_mlog(const struct infy_drv *d, const struct infy_module *m, enum hal_log_level lvl,
               uint32_t now_ms, const char *what, const char *detail)
{
    if (d->log == NULL) {
        return;
    }
    hal_logf(d->log, lvl, now_ms, "Infy[0x%02X/SN_%s] %s%s%s", (unsigned)m->addr,
             m->serial_known ? m->serial : "?", what, detail[0] != '\0' ? ": " : "", detail);
}

/* ---------------------------------------------------------------- init */

int infy_drv_init(struct infy_drv *d, const struct infy_config *cfg, struct hal_log *log,
                  uint32_t now_ms)
{
    const char *why = NULL;
    memset(d, 0, sizeof *d);
    d->log = log;
    if (infy_config_check(cfg, &why) != HAL_OK) {
        hal_logf(log, HAL_LOG_ERROR, now_ms, "Infy: invalid configuration: %s", why);
        return HAL_EINVAL;
    }
    d->cfg = *cfg;
    if (cfg->addressing == INFY_ADDRESSING_FIXED) {
        d->nmod = cfg->count;
        for (unsigned i = 0; i < d->nmod; i++) {
            d->mod[i].addr = cfg->addresses[i];
            d->mod[i].present = true;
        }
    } else {
        d->nmod = CFG_INFY_MAX_MODULES;
        for (unsigned i = 0; i < d->nmod; i++) {
            d->mod[i].addr = (uint8_t)i; /* present once the group count includes it */
        }
    }
    /* Start with every module switched off: whatever an earlier controller left on. */
    for (unsigned i = 0; i < d->nmod; i++) {
        d->mod[i].onoff_dirty = d->mod[i].present;
    }
    d->start_ms = now_ms;
    d->off_cmd_ms = now_ms;
    d->cycle_start_ms = now_ms - cfg->poll_period_ms; /* first cycle starts at once */
    d->cycle_items = 0;
    d->cycle_next = 0;
    d->slot_ms = cfg->frame_spacing_ms;
    hal_logf(log, HAL_LOG_INFO, now_ms, "Infy: %s addressing, %u module slot(s), controller 0x%02X",
             cfg->addressing == INFY_ADDRESSING_FIXED ? "fixed" : "group", (unsigned)d->nmod,
             (unsigned)cfg->controller);
    return HAL_OK;
}

/* ---------------------------------------------------------------- sharing */

static uint32_t infy_module_limit_ma(const struct infy_module *m, uint32_t voltage_mv)
{
    uint32_t lim = m->caps.max_current_ma;
    if (voltage_mv > 0 && m->caps.rated_power_w > 0) {
        uint64_t p = (uint64_t)m->caps.rated_power_w * 1000000u / voltage_mv;
        if (p < lim) {
            lim = (uint32_t)p;
        }
    }
    return lim;
}

static void infy_aggregate(struct infy_drv *d)
{
    struct infy_caps_total c = {.valid = false};
    for (unsigned i = 0; i < d->nmod; i++) {
        const struct infy_module *m = &d->mod[i];
        if (!m->active) {
            continue;
        }
        if (!c.valid) {
            c.valid = true;
            c.max_voltage_mv = m->caps.max_voltage_mv;
            c.min_voltage_mv = m->caps.min_voltage_mv;
        } else {
            c.max_voltage_mv = m->caps.max_voltage_mv < c.max_voltage_mv ? m->caps.max_voltage_mv
                                                                          : c.max_voltage_mv;
            c.min_voltage_mv = m->caps.min_voltage_mv > c.min_voltage_mv ? m->caps.min_voltage_mv
                                                                          : c.min_voltage_mv;
        }
        c.max_current_ma += m->caps.max_current_ma;
        c.max_power_w += m->caps.rated_power_w;
    }
    c.min_current_ma = d->cfg.min_current_ma;
    d->caps = c;
}

/* Clamp the request to the capabilities and split the current equally over the active
 * modules; a module whose own limit (current, or rated power at this voltage) is below
 * the equal share gets its limit and the rest is shared by the others. */
bool infy_apply(struct infy_drv *d)
{
    bool clamped = false;
    if (!d->have_setpoint || !d->caps.valid) {
        return false;
    }
    uint32_t v = d->req_mv, i = d->req_ma;
    if (v > d->caps.max_voltage_mv) {
        v = d->caps.max_voltage_mv;
        clamped = true;
    } else if (v < d->caps.min_voltage_mv) {
        v = d->caps.min_voltage_mv;
        clamped = true;
    }
    if (i > d->caps.max_current_ma) {
        i = d->caps.max_current_ma;
        clamped = true;
    }
    if (v > 0 && (uint64_t)i * v > (uint64_t)d->caps.max_power_w * 1000000u) {
        i = (uint32_t)((uint64_t)d->caps.max_power_w * 1000000u / v);
        clamped = true;
    }
    if (i < d->cfg.min_current_ma) {
        i = d->cfg.min_current_ma;
        clamped = clamped || d->req_ma != 0;
    }
    d->set_mv = v;
    d->set_ma = i;

    bool done[CFG_INFY_MAX_MODULES] = {false};
    unsigned left = 0;
    for (unsigned k = 0; k < d->nmod; k++) {
        done[k] = !d->mod[k].active;
        left += d->mod[k].active ? 1u : 0u;
        if (!d->mod[k].active) {
            d->mod[k].share_ma = 0;
        }
    }
    uint32_t remaining = i;
    bool changed = true;
    while (left > 0 && changed) {
        changed = false;
        uint32_t share = remaining / left;
        for (unsigned k = 0; k < d->nmod; k++) {
            uint32_t lim = infy_module_limit_ma(&d->mod[k], v);
            if (!done[k] && lim < share) {
                d->mod[k].share_ma = lim;
                remaining -= lim;
                done[k] = true;
                left--;
                changed = true;
            }
        }
    }
    if (left > 0) {
        uint32_t share = remaining / left, extra = remaining % left;
        for (unsigned k = 0; k < d->nmod; k++) {
            if (!done[k]) {
                d->mod[k].share_ma = share + (extra > 0 ? 1u : 0u);
                extra -= extra > 0 ? 1u : 0u;
                if (d->mod[k].share_ma == 0) {
                    d->mod[k].share_ma = 1; /* modules refuse 0 A */
                }
            }
        }
    }
    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        if (m->active && (m->sent_mv != v || m->sent_ma != m->share_ma)) {
            m->vi_dirty = true;
        }
    }
    return clamped;
}

/* Recompute who shares the load. On any change of the active set the last setpoint and
 * on/off state go out again to every module, so each share is recomputed at once. */
void infy_update_active(struct infy_drv *d, uint32_t now_ms)
{
    bool changed = false;
    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        bool a = m->present && m->online && m->caps_known && (m->st.bits & INFY_ST_FAILED_MASK) == 0;
        if (a != m->active) {
            m->active = a;
            changed = true;
            /* A module that joins or leaves hears our switch state again. */
            m->want_on = d->want_on && a;
            m->onoff_dirty = true;
            infy_mlog(d, m, HAL_LOG_INFO, now_ms, a ? "joins the active set" : "leaves the active set",
                      "");
        }
    }
    if (!changed) {
        return;
    }
    infy_aggregate(d);
    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        if (m->active) {
            /* Every active module gets the setpoint (its new share) and, while on, the
             * "on" again; while off, nobody but the movers needs a frame. */
            m->sent_ma = 0;
            m->vi_dirty = d->have_setpoint;
            if (d->want_on) {
                m->onoff_dirty = true;
            }
        }
    }
    (void)infy_apply(d);
    uint8_t online = 0, active = 0;
    infy_drv_counts(d, &online, &active);
    hal_logf(d->log, HAL_LOG_INFO, now_ms,
             "Infy: %u module(s) active, %u online; capabilities %lu..%lu V, %lu A, %lu W",
             (unsigned)active, (unsigned)online, (unsigned long)(d->caps.min_voltage_mv / 1000u),
             (unsigned long)(d->caps.max_voltage_mv / 1000u),
             (unsigned long)(d->caps.max_current_ma / 1000u), (unsigned long)d->caps.max_power_w);
}

/* ---------------------------------------------------------------- errors */

static uint32_t infy_errors_of(uint32_t bits)
{
    size_t n = 0;
    const struct infy_status_map *map = infy_status_table(&n);
    uint32_t mask = 0;
    for (size_t k = 0; k < n; k++) {
        if ((bits & map[k].bit) != 0) {
            mask |= 1u << map[k].error;
        }
    }
    return mask;
}

void infy_set_errors(struct infy_drv *d, struct infy_module *m, uint32_t mask, uint32_t now_ms)
{
    uint32_t diff = mask ^ m->err_mask;
    if (diff == 0) {
        return;
    }
    for (unsigned e = 0; e < INFY_E_COUNT; e++) {
        if ((diff & (1u << e)) == 0) {
            continue;
        }
        bool up = (mask & (1u << e)) != 0;
        char detail[48];
        snprintf(detail, sizeof detail, "%s (%s)", infy_error_name((enum infy_error)e),
                 infy_error_high((enum infy_error)e) ? "High" : "Medium");
        infy_mlog(d, m, up ? HAL_LOG_ERROR : HAL_LOG_INFO, now_ms, up ? "error raised" : "error cleared",
                  detail);
    }
    m->err_mask = mask;
    d->errors_generation++;
}

/* ---------------------------------------------------------------- receive */

static struct infy_module *infy_find(struct infy_drv *d, uint8_t src)
{
    for (unsigned k = 0; k < d->nmod; k++) {
        if (d->mod[k].addr == src && d->mod[k].present) {
            return &d->mod[k];
        }
    }
    return NULL;
}

static void infy_group_count(struct infy_drv *d, uint8_t n, uint32_t now_ms)
{
    if (n > d->nmod) {
        hal_logf(d->log, HAL_LOG_WARN, now_ms, "Infy: group %u reports %u modules, using the first %u",
                 (unsigned)d->cfg.group, (unsigned)n, (unsigned)d->nmod);
        n = d->nmod;
    }
    if (d->group_known && n == d->group_count) {
        return;
    }
    hal_logf(d->log, HAL_LOG_INFO, now_ms, "Infy: group %u has %u module(s)", (unsigned)d->cfg.group,
             (unsigned)n);
    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        bool p = k < n;
        if (p && !m->present) {
            /* A module joins the poll: the first thing it hears is our current switch
             * state, "off" unless the stage is on and it becomes active. */
            m->want_on = false;
            m->onoff_dirty = true;
        }
        m->present = p;
    }
    d->group_count = n;
    d->group_known = true;
}

int infy_drv_rx(struct infy_drv *d, const struct hal_can_frame *f, uint32_t now_ms)
{
    struct infy_id id;
    if ((f->flags & HAL_CAN_FLAG_EXT) == 0 || (f->flags & HAL_CAN_FLAG_RTR) != 0) {
        d->stats.rx_malformed++;
        return HAL_EPROTO;
    }
    /* Module-to-module traffic can be dense: it is dropped before anything else. */
    if (infy_is_internal(f->id)) {
        d->stats.rx_internal++;
        return HAL_EAGAIN;
    }
    if (f->dlc < 8) {
        d->stats.rx_malformed++;
        return HAL_EPROTO;
    }
    infy_id_decode(f->id, &id);
    if (id.dst != d->cfg.controller) {
        d->stats.rx_foreign++;
        return HAL_EAGAIN;
    }
    if (id.err != INFY_ERR_NONE) {
        /* The command was not applied; no telemetry from such a frame. A module still
         * starting up will accept the control frame later: send it again. */
        d->stats.rx_error_field++;
        struct infy_module *m = infy_find(d, id.src);
        if (m != NULL && id.err == INFY_ERR_STARTING) {
            if (id.cmd == INFY_CMD_ONOFF) {
                m->onoff_dirty = true;
            } else if (id.cmd == INFY_CMD_SET_VI) {
                m->vi_dirty = m->active;
            }
        }
        return HAL_EAGAIN;
    }
    if (id.cmd == INFY_CMD_GROUP_COUNT) {
        if (d->cfg.addressing != INFY_ADDRESSING_GROUP || id.src > INFY_ADDR_MODULE_MAX) {
            d->stats.rx_foreign++;
            return HAL_EAGAIN;
        }
        d->stats.rx++;
        infy_group_count(d, infy_decode_group_count(f->data), now_ms);
        infy_update_active(d, now_ms);
        return HAL_OK;
    }
    struct infy_module *m = infy_find(d, id.src);
    if (m == NULL) {
        d->stats.rx_foreign++;
        return HAL_EAGAIN;
    }
    switch (id.cmd) {
    case INFY_CMD_READ_VI: {
        int32_t mv = 0, ma = 0;
        if (infy_decode_vi(f->data, &mv, &ma) != HAL_OK) {
            d->stats.rx_malformed++;
            return HAL_EPROTO;
        }
        m->voltage_mv = mv;
        m->current_ma = ma;
        m->vi_at_ms = now_ms;
        m->vi_known = true;
        if (m->proof_req) {
            m->proof_req = false;
            m->proof_vi = true;
        }
        break;
    }
    case INFY_CMD_STATUS: {
        struct infy_status st;
        infy_decode_status(f->data, &st);
        bool back = !m->online;
        m->st = st;
        m->last_status_ms = now_ms;
        m->online = true;
        if (back) {
            infy_mlog(d, m, HAL_LOG_INFO, now_ms, m->seen ? "answers again" : "found", "");
        }
        m->seen = true;
        infy_set_errors(d, m, infy_errors_of(st.bits), now_ms);
        break;
    }
    case INFY_CMD_CAPS: {
        struct infy_caps c;
        if (infy_decode_caps(f->data, &c) != HAL_OK) {
            d->stats.rx_malformed++;
            return HAL_EPROTO;
        }
        bool changed = !m->caps_known || memcmp(&c, &m->caps, sizeof c) != 0;
        m->caps = c;
        m->caps_known = true;
        if (!m->online && m->seen) {
            /* Fixed addressing: a dropped module is re-added on a capability answer too. */
            m->online = true;
            m->last_status_ms = now_ms;
            infy_mlog(d, m, HAL_LOG_INFO, now_ms, "answers again", "capabilities");
        }
        if (changed) {
            char detail[64];
            snprintf(detail, sizeof detail, "%lu..%lu V, %lu.%lu A, %lu W",
                     (unsigned long)(c.min_voltage_mv / 1000u), (unsigned long)(c.max_voltage_mv / 1000u),
                     (unsigned long)(c.max_current_ma / 1000u),
                     (unsigned long)(c.max_current_ma % 1000u / 100u), (unsigned long)c.rated_power_w);
            infy_mlog(d, m, HAL_LOG_INFO, now_ms, "capabilities", detail);
            if (m->active) {
                infy_aggregate(d);
                (void)infy_apply(d);
            }
        }
        break;
    }
    case INFY_CMD_BARCODE:
        infy_decode_barcode(f->data, m->serial);
        if (!m->serial_known) {
            m->serial_known = true;
            infy_mlog(d, m, HAL_LOG_INFO, now_ms, "serial number read", "");
        }
        break;
    case INFY_CMD_AFTER_DIODE:
        infy_decode_after_diode(f->data, &m->bus_mv, &m->avail_ma);
        break;
    case INFY_CMD_ONOFF:
    case INFY_CMD_SET_VI:
        break; /* acknowledgements; their content is not documented */
    default:
        d->stats.rx_unknown_cmd++;
        return HAL_EAGAIN;
    }
    d->stats.rx++;
    infy_update_active(d, now_ms);
    return HAL_OK;
}


/* ---------------------------------------------------------------- readings */

void infy_drv_output(const struct infy_drv *d, uint32_t now_ms, struct infy_output *out)
{
    int32_t sum = 0;
    uint32_t bus = 0;
    uint32_t age = UINT32_MAX;
    bool any = false, proven = true;
    for (unsigned k = 0; k < d->nmod; k++) {
        const struct infy_module *m = &d->mod[k];
        if (m->online && m->vi_known) {
            int32_t a = hal_time_diff(now_ms, m->vi_at_ms);
            uint32_t ua = a > 0 ? (uint32_t)a : 0u;
            age = ua < age ? ua : age;
            sum += m->current_ma;
            uint32_t v = m->bus_mv != 0 ? m->bus_mv : (m->voltage_mv > 0 ? (uint32_t)m->voltage_mv : 0u);
            bus = v > bus ? v : bus;
            any = true;
        }
        if (!m->present && !m->online) {
            continue;
        }
        if (m->online) {
            proven = proven && m->proof_vi;
        } else {
            proven = proven && m->off_sent &&
                     hal_time_diff(now_ms, m->off_sent_ms) >= (int32_t)CFG_INFY_OFF_SETTLE_MS;
        }
    }
    out->current_ma = sum;
    out->voltage_mv = (int32_t)bus;
    out->age_ms = age;
    out->voltage_known = any;
    out->valid = d->want_on ? any : proven;
}

int infy_drv_off_done(const struct infy_drv *d, uint32_t now_ms)
{
    if (d->want_on) {
        return HAL_ESTATE;
    }
    struct infy_output o;
    infy_drv_output(d, now_ms, &o);
    uint32_t cur = (uint32_t)(o.current_ma < 0 ? -o.current_ma : o.current_ma);
    if (o.valid && cur < d->cfg.safe_current_ma) {
        return HAL_OK;
    }
    if (hal_time_diff(now_ms, d->off_cmd_ms) >= (int32_t)d->cfg.power_down_timeout_ms) {
        return HAL_ETIMEDOUT;
    }
    return HAL_EAGAIN;
}

const struct infy_caps_total *infy_drv_caps(const struct infy_drv *d)
{
    return &d->caps;
}

const struct infy_stats *infy_drv_stats(const struct infy_drv *d)
{
    return &d->stats;
}

const struct infy_config *infy_drv_config(const struct infy_drv *d)
{
    return &d->cfg;
}

size_t infy_drv_module_count(const struct infy_drv *d)
{
    if (d->cfg.addressing == INFY_ADDRESSING_GROUP) {
        return d->group_known ? d->group_count : 0u;
    }
    return d->nmod;
}

int infy_drv_module_info(const struct infy_drv *d, size_t i, struct infy_module_info *out)
{
    if (i >= d->nmod) {
        return HAL_EINVAL;
    }
    const struct infy_module *m = &d->mod[i];
    memset(out, 0, sizeof *out);
    out->address = m->addr;
    out->present = m->present;
    out->seen = m->seen;
    out->online = m->online;
    out->active = m->active;
    out->caps_known = m->caps_known;
    out->on = m->sent_on;
    out->last_status_ms = m->last_status_ms;
    out->voltage_mv = m->voltage_mv;
    out->current_ma = m->current_ma;
    out->bus_voltage_mv = m->bus_mv;
    out->available_ma = m->avail_ma;
    out->setpoint_mv = m->sent_mv;
    out->setpoint_ma = m->sent_ma;
    out->caps = m->caps;
    out->status = m->st;
    out->err_mask = m->err_mask;
    memcpy(out->serial, m->serial_known ? m->serial : "", m->serial_known ? sizeof out->serial : 1u);
    return HAL_OK;
}

void infy_drv_counts(const struct infy_drv *d, uint8_t *online, uint8_t *active)
{
    uint8_t o = 0, a = 0;
    for (unsigned k = 0; k < d->nmod; k++) {
        o = (uint8_t)(o + (d->mod[k].online ? 1u : 0u));
        a = (uint8_t)(a + (d->mod[k].active ? 1u : 0u));
    }
    *online = o;
    *active = a;
}

bool infy_drv_is_on(const struct infy_drv *d)
{
    return d->want_on;
}

bool infy_drv_comm_fault(const struct infy_drv *d)
{
    return d->comm_fault;
}

uint32_t infy_drv_errors_generation(const struct infy_drv *d)
{
    return d->errors_generation;
}
