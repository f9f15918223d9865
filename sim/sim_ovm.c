/* sim_ovm.c - owns the simulated over-voltage monitor (struct sim_ovm): the firmware's
 * ovm interface in memory, sampled and tripped from the plant's output voltage. A device
 * model of the host-only simulation layer. */
#include "sim_ovm.h"

#include <string.h>

static int sim_ovm_read(struct ovm *base, struct ovm_reading *out)
{
    struct sim_ovm *d = (struct sim_ovm *)base;
    *out = d->last;
    return d->last.valid ? HAL_OK : HAL_EAGAIN;
}

static int sim_ovm_arm(struct ovm *base, uint32_t limit_mv)
{
    struct sim_ovm *d = (struct sim_ovm *)base;
    d->armed_mv = limit_mv;
    d->over_since_ms = 0;
    d->last.tripped = false;
    return HAL_OK;
}

static const struct ovm_ops s_sim_ovm_ops = {.read = sim_ovm_read, .arm = sim_ovm_arm};

void sim_ovm_init(struct sim_ovm *d)
{
    memset(d, 0, sizeof *d);
    d->base.ops = &s_sim_ovm_ops;
    d->period_ms = 1;
    d->trip_filter_ms = 9;
}

void sim_ovm_tick(struct sim_ovm *d, uint32_t now_ms, int32_t voltage_mv)
{
    if (d->dead) {
        return;
    }
    /* The comparator works on the analogue signal, every ms, whatever the ADC period. */
    if (d->armed_mv != 0 && voltage_mv > (int32_t)d->armed_mv) {
        if (d->over_since_ms == 0) {
            d->over_since_ms = now_ms != 0 ? now_ms : 1u;
        } else if (!d->last.tripped && now_ms - d->over_since_ms >= d->trip_filter_ms) {
            d->last.tripped = true;
            d->trips++;
        }
    } else {
        d->over_since_ms = 0;
    }
    if ((int32_t)(now_ms - d->next_ms) < 0) {
        return;
    }
    d->next_ms = now_ms + d->period_ms;
    d->last.valid = true;
    d->last.voltage_mv = voltage_mv;
    d->last.at_ms = now_ms;
}
