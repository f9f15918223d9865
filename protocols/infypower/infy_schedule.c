/* infy_schedule.c - owns when the InfyPower driver puts frames on the bus: the poll cycle
 * and its pacing (infy_drv_step), the next frame to send and its commitment once it is on
 * the wire (infy_drv_next_tx, infy_drv_tx_done), the on/off and setpoint commands. The
 * module table it reads is infy_driver.c's. */
#include "infypower/infy_driver.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "infypower/infy_internal.h"

/* What a committed frame was, so infy_drv_tx_done() knows which flag it settles. */
enum infy_tx_kind {
    INFY_TX_NONE = 0,
    INFY_TX_OFF,
    INFY_TX_ON,
    INFY_TX_SET_VI,
    INFY_TX_PROOF,
    INFY_TX_POLL,
};

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
