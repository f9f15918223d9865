#include "infypower/infy_driver.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"

/* What a committed frame was, so infy_drv_tx_done() knows which flag it settles. */
enum infy_tx_kind {
    INFY_TX_NONE = 0,
    INFY_TX_OFF,
    INFY_TX_ON,
    INFY_TX_SET_VI,
    INFY_TX_PROOF,
    INFY_TX_POLL,
};

static const char *const s_error_names[INFY_E_COUNT] = {
    "CommunicationFault", "HardwareFault", "OverTemperature", "UnderVoltageAC", "UnderVoltageDC",
    "OverVoltageDC",      "OverCurrentDC", "VendorError",     "VendorWarning"};

/* Section 4 of the fact sheet, EVerest's treatment (kept, including its questionable
 * input under-voltage -> UnderVoltageDC, so both drivers raise the same errors). The
 * address clash is raised as a configuration error (VendorError), as the sheet advises. */
static const struct infy_status_map s_status_map[] = {
    {INFY_ST_SHORT_CIRCUIT, INFY_E_OVER_CURRENT_DC, true, "output short circuit"},
    {INFY_ST_DISCHARGE_ABNORMAL, INFY_E_HARDWARE, true, "discharge abnormal"},
    {INFY_ST_FAULT_ALARM, INFY_E_HARDWARE, true, "module fault"},
    {INFY_ST_PROTECTION, INFY_E_HARDWARE, true, "module protection"},
    {INFY_ST_FAN_FAULT, INFY_E_VENDOR_WARNING, false, "fan fault"},
    {INFY_ST_OVER_TEMP, INFY_E_OVER_TEMPERATURE, true, "over-temperature"},
    {INFY_ST_OUTPUT_OVER_VOLTAGE, INFY_E_OVER_VOLTAGE_DC, true, "output over-voltage"},
    {INFY_ST_COMM_INTERRUPT, INFY_E_COMMUNICATION, true, "communication interrupted"},
    {INFY_ST_ID_REPEATED, INFY_E_VENDOR_ERROR, true, "module address repeated"},
    {INFY_ST_LOAD_SHARING, INFY_E_HARDWARE, true, "load-sharing alarm"},
    {INFY_ST_PHASE_LOST, INFY_E_VENDOR_ERROR, true, "input phase lost"},
    {INFY_ST_INPUT_UNBALANCED, INFY_E_UNDER_VOLTAGE_AC, true, "input unbalanced"},
    {INFY_ST_INPUT_UNDER_VOLTAGE, INFY_E_UNDER_VOLTAGE_DC, true, "input under-voltage"},
    {INFY_ST_INPUT_OVER_VOLTAGE, INFY_E_UNDER_VOLTAGE_AC, true, "input over-voltage"},
};

const struct infy_status_map *infy_status_table(size_t *count)
{
    *count = sizeof s_status_map / sizeof s_status_map[0];
    return s_status_map;
}

const char *infy_error_name(enum infy_error e)
{
    return (unsigned)e < (unsigned)INFY_E_COUNT ? s_error_names[e] : "?";
}

bool infy_error_high(enum infy_error e)
{
    return e != INFY_E_VENDOR_WARNING;
}

void infy_default_config(struct infy_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->controller = INFY_ADDR_CONTROLLER;
    cfg->addressing = INFY_ADDRESSING_FIXED;
    cfg->poll_period_ms = 900;
    cfg->frame_spacing_ms = 50;
    cfg->offline_timeout_ms = 15000;
    cfg->power_down_timeout_ms = 1500;
    cfg->safe_current_ma = 2000;
    cfg->min_current_ma = 1000;
    cfg->efficiency_permille = 950;
}

int infy_config_check(const struct infy_config *cfg, const char **why)
{
    const char *w = NULL;
    if (cfg->controller < 0xF0u || cfg->controller > 0xF7u) {
        w = "controller address must be 0xF0..0xF7 (0xF8 and up belong to the modules' internal traffic)";
    } else if (cfg->addressing == INFY_ADDRESSING_FIXED &&
               (cfg->count == 0 || cfg->count > CFG_INFY_MAX_MODULES)) {
        w = "fixed addressing needs 1..CFG_INFY_MAX_MODULES module addresses";
    } else if (cfg->addressing != INFY_ADDRESSING_FIXED && cfg->addressing != INFY_ADDRESSING_GROUP) {
        w = "addressing must be fixed or group";
    } else if (cfg->addressing == INFY_ADDRESSING_GROUP && cfg->group > 0x3Fu) {
        w = "group number must be 0..63";
    } else if (cfg->offline_timeout_ms <= INFY_MODULE_WATCHDOG_MS) {
        w = "offline timeout must be longer than the modules' own 10 s watchdog, or a module "
            "would be dropped from the capability sum while it may still deliver current";
    } else if (cfg->offline_timeout_ms > 600000u) {
        w = "offline timeout must be at most 600 s";
    } else if (cfg->poll_period_ms < 100u || cfg->poll_period_ms > 1000u) {
        w = "poll period must be 100..1000 ms (every module is polled at least every 1 s)";
    } else if (cfg->frame_spacing_ms < 50u || cfg->frame_spacing_ms > 200u) {
        w = "frame spacing must be 50..200 ms";
    } else if (cfg->power_down_timeout_ms == 0 || cfg->power_down_timeout_ms > 60000u) {
        w = "power-down timeout must be 1..60000 ms";
    } else if (cfg->safe_current_ma == 0) {
        w = "safe current must be above 0";
    } else if (cfg->min_current_ma == 0) {
        w = "minimum current must be above 0 (modules reject 0 A)";
    } else if (cfg->efficiency_permille > 1000u) {
        w = "efficiency must be 0..1000 per mille";
    }
    if (w == NULL && cfg->addressing == INFY_ADDRESSING_FIXED) {
        for (unsigned i = 0; i < cfg->count && w == NULL; i++) {
            if (cfg->addresses[i] > INFY_ADDR_MODULE_MAX) {
                w = "module addresses must be 0x00..0x3B";
            }
            for (unsigned j = 0; j < i && w == NULL; j++) {
                if (cfg->addresses[j] == cfg->addresses[i]) {
                    w = "a module address is listed twice";
                }
            }
        }
    }
    if (why != NULL) {
        *why = w != NULL ? w : "";
    }
    return w == NULL ? HAL_OK : HAL_EINVAL;
}

/* ---------------------------------------------------------------- logging */

static void infy_mlog(const struct infy_drv *d, const struct infy_module *m, enum hal_log_level lvl,
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
static bool infy_apply(struct infy_drv *d)
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
static void infy_update_active(struct infy_drv *d, uint32_t now_ms)
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
    uint32_t mask = 0;
    for (size_t k = 0; k < sizeof s_status_map / sizeof s_status_map[0]; k++) {
        if ((bits & s_status_map[k].bit) != 0) {
            mask |= 1u << s_status_map[k].error;
        }
    }
    return mask;
}

static void infy_set_errors(struct infy_drv *d, struct infy_module *m, uint32_t mask,
                            uint32_t now_ms)
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
        snprintf(detail, sizeof detail, "%s (%s)", s_error_names[e],
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

/* ---------------------------------------------------------------- time */

static void infy_begin_cycle(struct infy_drv *d, uint32_t now_ms)
{
    uint32_t period = d->cfg.poll_period_ms;
    uint32_t next = d->cycle_start_ms + period;
    d->cycle_start_ms = hal_time_diff(now_ms, next) < (int32_t)period ? next : now_ms;
    uint8_t n = 0;
    if (d->cfg.addressing == INFY_ADDRESSING_FIXED) {
        n = d->nmod;
    } else if (d->group_known) {
        n = d->group_count;
    }
    d->cycle_n = n;
    d->cycle_group = d->cfg.addressing == INFY_ADDRESSING_GROUP;
    d->cycle_items = (uint16_t)((d->cycle_group ? 1u : 0u) + 3u * n);
    d->cycle_next = 0;
    /* Reserve a quarter of the cycle again for control frames. */
    uint32_t slots = d->cycle_items + d->cycle_items / 4u + 1u;
    uint32_t slot = d->cfg.frame_spacing_ms;
    if (slots * slot > period) {
        slot = period / slots;
    }
    if (slot < CFG_INFY_MIN_SLOT_MS) {
        slot = CFG_INFY_MIN_SLOT_MS;
    }
    d->slot_ms = slot;
    d->stats.slot_ms = slot;
    d->stats.cycles++;
}

static uint32_t infy_poll_time(const struct infy_drv *d, uint16_t j)
{
    return d->cycle_start_ms + (uint32_t)((uint64_t)j * d->cfg.poll_period_ms / d->cycle_items);
}

static void infy_set_comm_fault(struct infy_drv *d, bool on, uint32_t now_ms)
{
    if (d->comm_fault == on) {
        return;
    }
    d->comm_fault = on;
    d->errors_generation++;
    if (on) {
        hal_logf(d->log, HAL_LOG_ERROR, now_ms,
                 "Infy: every module is lost: CommunicationFault (High), output forced off");
        if (d->want_on) {
            (void)infy_drv_set_on(d, false, now_ms);
        }
    } else {
        hal_logf(d->log, HAL_LOG_INFO, now_ms, "Infy: a module answers again: CommunicationFault cleared");
    }
}

uint32_t infy_drv_step(struct infy_drv *d, uint32_t now_ms)
{
    bool any_online = false, any_seen = false;
    uint32_t wait = d->cfg.poll_period_ms;

    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        if (m->online && hal_time_diff(now_ms, m->last_status_ms) >= (int32_t)d->cfg.offline_timeout_ms) {
            char detail[48];
            snprintf(detail, sizeof detail, "no status for %lu ms",
                     (unsigned long)(now_ms - m->last_status_ms));
            m->online = false;
            infy_mlog(d, m, HAL_LOG_WARN, now_ms, "dropped", detail);
            /* What it reported is stale now; it is out of the sum and off by its watchdog. */
            infy_set_errors(d, m, 0, now_ms);
        }
        if (m->online) {
            uint32_t left = d->cfg.offline_timeout_ms - (now_ms - m->last_status_ms);
            wait = left < wait ? left : wait;
        }
        any_online = any_online || m->online;
        any_seen = any_seen || m->seen;
    }
    bool silent_start = hal_time_diff(now_ms, d->start_ms) >= (int32_t)d->cfg.offline_timeout_ms;
    infy_set_comm_fault(d, !any_online && (any_seen || silent_start), now_ms);
    infy_update_active(d, now_ms);

    if (d->cycle_next >= d->cycle_items &&
        hal_time_reached(now_ms, d->cycle_start_ms + d->cfg.poll_period_ms)) {
        infy_begin_cycle(d, now_ms);
    }
    struct hal_can_frame f;
    if (infy_drv_next_tx(d, now_ms, &f) == HAL_OK) {
        return 0;
    }
    /* Earliest of: the next slot (if anything is waiting), the next poll, the next cycle. */
    uint32_t slot_at = d->last_tx_ms + d->slot_ms;
    uint32_t at;
    if (d->pending_kind != INFY_TX_NONE) {
        at = slot_at;
    } else if (d->cycle_next < d->cycle_items) {
        at = infy_poll_time(d, d->cycle_next);
        if (d->tx_ever && hal_time_diff(slot_at, at) > 0) {
            at = slot_at;
        }
    } else {
        at = d->cycle_start_ms + d->cfg.poll_period_ms;
    }
    int32_t dt = hal_time_diff(at, now_ms);
    uint32_t until = dt <= 0 ? 0u : (uint32_t)dt;
    return until < wait ? until : wait;
}

/* ---------------------------------------------------------------- transmit */

static void infy_poll_frame(const struct infy_drv *d, uint16_t j, struct hal_can_frame *f,
                            uint8_t *mod_index)
{
    uint8_t src = d->cfg.controller;
    if (d->cycle_group && j == 0) {
        infy_req_read(f, INFY_DEV_GROUP, INFY_CMD_GROUP_COUNT, d->cfg.group, src);
        *mod_index = 0xFF;
        return;
    }
    unsigned k = j - (d->cycle_group ? 1u : 0u);
    unsigned phase = k / d->cycle_n, idx = k % d->cycle_n;
    const struct infy_module *m = &d->mod[idx];
    enum infy_cmd cmd;
    if (phase == 0) {
        cmd = INFY_CMD_STATUS;
    } else if (phase == 1) {
        cmd = INFY_CMD_READ_VI;
    } else if (!m->caps_known) {
        cmd = INFY_CMD_CAPS;
    } else if (!m->serial_known) {
        cmd = INFY_CMD_BARCODE;
    } else {
        cmd = INFY_CMD_AFTER_DIODE;
    }
    infy_req_read(f, INFY_DEV_SINGLE, cmd, m->addr, src);
    *mod_index = (uint8_t)idx;
}

int infy_drv_next_tx(struct infy_drv *d, uint32_t now_ms, struct hal_can_frame *f)
{
    uint8_t src = d->cfg.controller;
    d->pending_kind = INFY_TX_NONE;
    d->pending = false;

    /* Pick what is waiting; the slot check comes after, so next_due can see it. */
    int off = -1, proof = -1, setvi = -1, on = -1;
    for (unsigned k = 0; k < d->nmod; k++) {
        const struct infy_module *m = &d->mod[k];
        if (m->onoff_dirty && !m->want_on && off < 0) {
            off = (int)k;
        }
        /* A proof read is repeated while the module still reports current, at most every
         * CFG_INFY_PROOF_REPEAT_MS per module, the longest-waiting module first. */
        if (!d->want_on && m->off_sent && m->online && !m->proof_req &&
            !(m->proof_vi && (uint32_t)(m->current_ma < 0 ? -m->current_ma : m->current_ma) <
                                 d->cfg.safe_current_ma) &&
            (!m->proof_vi || hal_time_diff(now_ms, m->proof_at_ms) >= (int32_t)CFG_INFY_PROOF_REPEAT_MS) &&
            (proof < 0 || hal_time_diff(d->mod[proof].proof_at_ms, m->proof_at_ms) > 0)) {
            proof = (int)k;
        }
        if (m->vi_dirty && m->active && setvi < 0) {
            setvi = (int)k;
        }
        if (m->onoff_dirty && m->want_on && !m->vi_dirty && on < 0) {
            on = (int)k;
        }
    }
    bool poll_due = d->cycle_next < d->cycle_items &&
                    hal_time_reached(now_ms, infy_poll_time(d, d->cycle_next));
    bool poll_late = poll_due &&
                     hal_time_reached(now_ms, infy_poll_time(d, d->cycle_next) + d->slot_ms);

    if (off >= 0) {
        d->pending_kind = INFY_TX_OFF;
        d->pending_mod = (uint8_t)off;
        infy_req_onoff(f, d->mod[off].addr, src, false);
    } else if ((poll_late && (d->polls_in_row < 4u || (proof < 0 && setvi < 0 && on < 0))) ||
               (poll_due && proof < 0 && setvi < 0 && on < 0)) {
        /* Late polls go first, but after four in a row a waiting control frame gets a
         * slot: a loop that cannot keep up must not starve the setpoint. */
        d->pending_kind = INFY_TX_POLL;
        infy_poll_frame(d, d->cycle_next, f, &d->pending_mod);
    } else if (proof >= 0) {
        d->pending_kind = INFY_TX_PROOF;
        d->pending_mod = (uint8_t)proof;
        infy_req_read(f, INFY_DEV_SINGLE, INFY_CMD_READ_VI, d->mod[proof].addr, src);
    } else if (setvi >= 0) {
        const struct infy_module *m = &d->mod[setvi];
        d->pending_kind = INFY_TX_SET_VI;
        d->pending_mod = (uint8_t)setvi;
        infy_req_set_vi(f, m->addr, src, d->set_mv, m->share_ma);
    } else if (on >= 0) {
        d->pending_kind = INFY_TX_ON;
        d->pending_mod = (uint8_t)on;
        infy_req_onoff(f, d->mod[on].addr, src, true);
    } else {
        return HAL_EAGAIN;
    }
    if (d->tx_ever && !hal_time_reached(now_ms, d->last_tx_ms + d->slot_ms)) {
        return HAL_EAGAIN; /* something waits, but its slot has not come */
    }
    d->pending = true;
    d->pending_frame = *f;
    return HAL_OK;
}

void infy_drv_tx_done(struct infy_drv *d, uint32_t now_ms)
{
    if (!d->pending) {
        return;
    }
    d->pending = false;
    d->last_tx_ms = now_ms;
    d->tx_ever = true;
    d->stats.tx++;
    struct infy_module *m = d->pending_mod < d->nmod ? &d->mod[d->pending_mod] : NULL;
    struct infy_id id;
    infy_id_decode(d->pending_frame.id, &id);

    d->polls_in_row = d->pending_kind == INFY_TX_POLL ? (uint8_t)(d->polls_in_row + 1u) : 0u;
    switch ((enum infy_tx_kind)d->pending_kind) {
    case INFY_TX_OFF:
        m->onoff_dirty = false;
        m->sent_on = false;
        if (!d->want_on) {
            m->off_sent = true;
            m->off_sent_ms = now_ms;
        }
        break;
    case INFY_TX_ON:
        m->onoff_dirty = false;
        m->sent_on = true;
        break;
    case INFY_TX_SET_VI:
        m->vi_dirty = false;
        m->sent_mv = d->set_mv;
        m->sent_ma = m->share_ma;
        break;
    case INFY_TX_PROOF:
        m->proof_req = true;
        m->proof_at_ms = now_ms;
        break;
    case INFY_TX_POLL:
        if (hal_time_diff(now_ms, infy_poll_time(d, d->cycle_next)) > (int32_t)(2u * d->slot_ms)) {
            d->stats.late_polls++;
        }
        d->cycle_next++;
        if (m != NULL && id.cmd == INFY_CMD_READ_VI && m->off_sent) {
            m->proof_req = true;
            m->proof_at_ms = now_ms;
        }
        break;
    case INFY_TX_NONE:
        break;
    }
    d->pending_kind = INFY_TX_NONE;
}

/* ---------------------------------------------------------------- commands */

int infy_drv_set_on(struct infy_drv *d, bool on, uint32_t now_ms)
{
    if (!on) {
        bool was = d->want_on;
        d->want_on = false;
        if (was) {
            d->off_cmd_ms = now_ms;
        }
        for (unsigned k = 0; k < d->nmod; k++) {
            struct infy_module *m = &d->mod[k];
            if (was) {
                m->off_sent = false;
                m->proof_req = false;
                m->proof_vi = false;
            }
            if (m->present || m->online) {
                if (was || m->want_on || m->sent_on) {
                    m->onoff_dirty = true;
                }
                m->want_on = false;
            }
        }
        if (was) {
            hal_logf(d->log, HAL_LOG_INFO, now_ms, "Infy: output off");
        }
        return HAL_OK;
    }
    if (d->comm_fault || !d->caps.valid || !d->have_setpoint) {
        return HAL_ESTATE;
    }
    if (d->want_on) {
        return HAL_OK;
    }
    d->want_on = true;
    for (unsigned k = 0; k < d->nmod; k++) {
        struct infy_module *m = &d->mod[k];
        m->off_sent = false;
        m->proof_req = false;
        m->proof_vi = false;
        m->want_on = m->active;
        if (m->active) {
            m->onoff_dirty = true;
        }
    }
    (void)infy_apply(d);
    hal_logf(d->log, HAL_LOG_INFO, now_ms, "Infy: output on at %lu mV, %lu mA",
             (unsigned long)d->set_mv, (unsigned long)d->set_ma);
    return HAL_OK;
}

int infy_drv_set_export(struct infy_drv *d, uint32_t voltage_mv, uint32_t current_ma)
{
    d->req_mv = voltage_mv;
    d->req_ma = current_ma;
    d->have_setpoint = true;
    return infy_apply(d) ? HAL_EINVAL : HAL_OK;
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
