#include "fake_pilot.h"

static int fake_pilot_set_duty(struct hal_pilot *base, uint16_t duty)
{
    struct fake_pilot *p = (struct fake_pilot *)base;
    if (duty > 1000u) {
        return HAL_EINVAL;
    }
    if (duty != p->duty) {
        p->duty_changes++;
    }
    p->duty = duty;
    return HAL_OK;
}

static int fake_pilot_read(struct hal_pilot *base, struct hal_pilot_sample *s)
{
    struct fake_pilot *p = (struct fake_pilot *)base;
    if (p->read_error != HAL_OK) {
        return p->read_error;
    }
    pilot_ev_sample(&p->ev, p->duty, s);
    return HAL_OK;
}

static int fake_pilot_pp(struct hal_pilot *base, uint32_t *ohms)
{
    (void)base;
    *ohms = UINT32_MAX;
    return HAL_ENOTSUP;
}

static const struct hal_pilot_ops s_fake_pilot_ops = {
    .set_duty = fake_pilot_set_duty, .read = fake_pilot_read, .read_proximity = fake_pilot_pp};

void fake_pilot_init(struct fake_pilot *p)
{
    p->base.ops = &s_fake_pilot_ops;
    pilot_ev_init(&p->ev);
    p->duty = HAL_PILOT_DUTY_DC_HIGH;
    p->read_error = HAL_OK;
    p->duty_changes = 0;
}
