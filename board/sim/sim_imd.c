#include "sim_imd.h"

#include <string.h>

static int sim_imd_start(struct isolation *base, uint32_t now_ms)
{
    (void)now_ms; /* the device runs on its own clock (sim_imd_step) */
    struct sim_imd *d = (struct sim_imd *)base;
    if (!d->measuring) {
        d->measuring = true;
        d->have = false;
        d->next_ms = d->now_ms; /* first value at the next tick */
    }
    return HAL_OK;
}

static int sim_imd_stop(struct isolation *base, uint32_t now_ms)
{
    (void)now_ms;
    struct sim_imd *d = (struct sim_imd *)base;
    d->measuring = false;
    d->have = false;
    return HAL_OK;
}

static int sim_imd_self_test(struct isolation *base, uint32_t test_voltage_v, uint32_t now_ms)
{
    (void)now_ms;
    struct sim_imd *d = (struct sim_imd *)base;
    (void)test_voltage_v;
    if (d->test == ISOLATION_TEST_RUNNING) {
        return HAL_EBUSY;
    }
    d->test = ISOLATION_TEST_RUNNING;
    d->test_end_ms = d->now_ms + d->test_ms;
    d->tests++;
    d->have = false;
    return HAL_OK;
}

static enum isolation_test sim_imd_result(struct isolation *base)
{
    return ((struct sim_imd *)base)->test;
}

static int sim_imd_read(struct isolation *base, struct isolation_measurement *out, uint32_t now_ms)
{
    (void)now_ms;
    struct sim_imd *d = (struct sim_imd *)base;
    bool fresh = d->have && d->now_ms - d->last.at_ms <= d->lim.stale_ms;
    if (!d->measuring || !fresh || d->fault == SIM_IMD_FAULT_DEVICE ||
        d->fault == SIM_IMD_FAULT_NO_ANSWER || d->test == ISOLATION_TEST_RUNNING) {
        memset(out, 0, sizeof *out);
        out->status = ISOLATION_INVALID;
        return HAL_EAGAIN;
    }
    *out = d->last;
    return HAL_OK;
}

static int sim_imd_errors(struct isolation *base, struct isolation_error *out, size_t max,
                          size_t *count)
{
    struct sim_imd *d = (struct sim_imd *)base;
    *count = 0;
    enum isolation_error_type t;
    if (d->fault == SIM_IMD_FAULT_DEVICE) {
        t = ISOLATION_ERR_DEVICE_FAULT;
    } else if (d->fault == SIM_IMD_FAULT_NO_ANSWER) {
        t = ISOLATION_ERR_COMMUNICATION_FAULT;
    } else {
        return HAL_OK;
    }
    if (max == 0) {
        return HAL_EOVERFLOW;
    }
    out[0] = (struct isolation_error){.type = t, .severity = ISOLATION_SEV_HIGH, .vendor_code = 0};
    *count = 1;
    return HAL_OK;
}

static const struct isolation_ops s_sim_imd_ops = {
    .start = sim_imd_start,
    .stop = sim_imd_stop,
    .self_test = sim_imd_self_test,
    .self_test_result = sim_imd_result,
    .read = sim_imd_read,
    .get_errors = sim_imd_errors,
};

void sim_imd_init(struct sim_imd *d, const struct isolation_limits *lim)
{
    memset(d, 0, sizeof *d);
    d->base.ops = &s_sim_imd_ops;
    if (lim != NULL) {
        d->lim = *lim;
    } else {
        isolation_limits_default(&d->lim);
    }
    d->resistance_ohm = 10000000u;
    d->period_ms = 1000;
    d->test_ms = 2000;
}

void sim_imd_set_resistance(struct sim_imd *d, uint32_t ohm)
{
    d->resistance_ohm = ohm;
}

void sim_imd_set_fault(struct sim_imd *d, enum sim_imd_fault f)
{
    d->fault = f;
    if (f == SIM_IMD_FAULT_DEVICE || f == SIM_IMD_FAULT_NO_ANSWER) {
        d->have = false;
    }
}

void sim_imd_tick(struct sim_imd *d, uint32_t now_ms, int32_t voltage_mv)
{
    d->now_ms = now_ms;
    d->voltage_mv = voltage_mv;
    if (d->test == ISOLATION_TEST_RUNNING) {
        if (d->fault == SIM_IMD_FAULT_NO_ANSWER) {
            d->test = ISOLATION_TEST_FAILED;
        } else if ((int32_t)(now_ms - d->test_end_ms) >= 0) {
            d->test = d->fault == SIM_IMD_FAULT_NONE ? ISOLATION_TEST_PASSED : ISOLATION_TEST_FAILED;
            d->next_ms = now_ms;
        }
        return;
    }
    if (!d->measuring || d->fault == SIM_IMD_FAULT_DEVICE || d->fault == SIM_IMD_FAULT_NO_ANSWER ||
        (int32_t)(now_ms - d->next_ms) < 0) {
        return;
    }
    d->next_ms = now_ms + d->period_ms;
    struct isolation_measurement *m = &d->last;
    memset(m, 0, sizeof *m);
    m->valid = true;
    m->resistance_ohm = d->resistance_ohm;
    m->voltage_valid = true;
    m->voltage_dv = voltage_mv / 100;
    m->earth_valid = true;
    m->l1e_dv = m->voltage_dv / 2;
    m->l2e_dv = -(m->voltage_dv - m->voltage_dv / 2);
    m->alarm = ISOLATION_ALARM_NONE;
    m->status = isolation_classify(&d->lim, d->resistance_ohm, m->alarm);
    m->at_ms = now_ms;
    m->seq = ++d->seq;
    d->have = true;
}
