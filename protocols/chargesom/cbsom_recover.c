/* cbsom_recover.c - the link's way out of a fault: hold-off after the session ended,
 * reset pulse, host restart, doubling back-off (see cbsom_recover.h). Owns struct
 * cbsom_recover. */
#include "cbsom_recover.h"

#include <stddef.h>
#include <string.h>

#include "hal_clock.h"
#include "hal_err.h"

void cbsom_recover_default_config(struct cbsom_recover_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->enabled = true;
    cfg->holdoff_ms = 10000;
    cfg->holdoff_max_ms = 600000;
    cfg->stable_ms = 300000;
    cfg->pulse_ms = 100;
}

int cbsom_recover_init(struct cbsom_recover *r, const struct cbsom_recover_config *cfg, cbsom_reset_fn reset,
                       void *reset_ctx)
{
    if (r == NULL || cfg == NULL || cfg->holdoff_ms == 0 || cfg->holdoff_max_ms < cfg->holdoff_ms ||
        cfg->stable_ms == 0 || cfg->pulse_ms == 0) {
        return HAL_EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->reset = reset;
    r->reset_ctx = reset_ctx;
    r->phase = CBSOM_RECOVER_IDLE;
    r->holdoff_ms = cfg->holdoff_ms;
    return HAL_OK;
}

static void cbsom_recover_restart(struct cbsom_recover *r, struct cbsom_host *h, uint32_t now_ms)
{
    cbsom_host_restart(h, now_ms);
    r->phase = CBSOM_RECOVER_IDLE;
    r->attempts++;
    r->restarts++;
    /* The next fault waits longer: a controller that fails again at once is not hammered. */
    r->holdoff_ms = r->holdoff_ms > r->cfg.holdoff_max_ms / 2u ? r->cfg.holdoff_max_ms : r->holdoff_ms * 2u;
}

static bool cbsom_recover_contactor_requested(const struct cbsom_host *h)
{
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (h->ctl.contactor[i]) {
            return true;
        }
    }
    return false;
}

enum cbsom_recover_event cbsom_recover_step(struct cbsom_recover *r, struct cbsom_host *h, bool session_over,
                                            uint32_t now_ms)
{
    if (r->phase == CBSOM_RECOVER_PULSE) {
        /* Released whatever else happened: a line left asserted keeps the MCU in reset. */
        if (!hal_time_reached(now_ms, r->due_ms)) {
            return CBSOM_RECOVER_NOTHING;
        }
        if (r->reset(r->reset_ctx, false) != HAL_OK) {
            r->reset_errors++;
        }
        cbsom_recover_restart(r, h, now_ms);
        return CBSOM_RECOVER_RESTARTED;
    }
    if (h->phase != CBSOM_HOST_FAULT) {
        r->phase = CBSOM_RECOVER_IDLE;
        if (h->phase != CBSOM_HOST_RUNNING) {
            r->have_running = false; /* a handshake is no proof the link holds */
            return CBSOM_RECOVER_NOTHING;
        }
        if (!r->have_running) {
            r->have_running = true;
            r->running_ms = now_ms;
        }
        if (r->attempts > 0 && now_ms - r->running_ms >= r->cfg.stable_ms) {
            r->attempts = 0;
            r->holdoff_ms = r->cfg.holdoff_ms;
            return CBSOM_RECOVER_STABLE;
        }
        return CBSOM_RECOVER_NOTHING;
    }
    r->have_running = false;
    if (!r->cfg.enabled) {
        return CBSOM_RECOVER_NOTHING;
    }
    /* The host forces its requests open in a fault; checked all the same, as the restart
     * must never be what lets a request through. */
    bool ready = session_over && !cbsom_recover_contactor_requested(h);
    if (!ready) {
        r->phase = CBSOM_RECOVER_IDLE;
        return CBSOM_RECOVER_NOTHING;
    }
    if (r->phase == CBSOM_RECOVER_IDLE) {
        r->phase = CBSOM_RECOVER_HOLDOFF;
        r->fault = h->fault;
        r->waited_ms = r->holdoff_ms;
        r->due_ms = now_ms + r->holdoff_ms;
        return CBSOM_RECOVER_HOLDING;
    }
    if (!hal_time_reached(now_ms, r->due_ms)) {
        return CBSOM_RECOVER_NOTHING;
    }
    if (r->reset != NULL) {
        if (r->reset(r->reset_ctx, true) == HAL_OK) {
            r->pulses++;
            r->phase = CBSOM_RECOVER_PULSE;
            r->due_ms = now_ms + r->cfg.pulse_ms;
            return CBSOM_RECOVER_RESET;
        }
        r->reset_errors++;
        (void)r->reset(r->reset_ctx, false);
        cbsom_recover_restart(r, h, now_ms);
        return CBSOM_RECOVER_RESET_FAILED;
    }
    cbsom_recover_restart(r, h, now_ms);
    return CBSOM_RECOVER_RESTARTED;
}
