/* Bender isoCHA425HV and Dold RN5893 behind the isolation interface: owns their scheduler
 * tasks and turns the device status (protocols/imd) into measurements, errors and a status. */
#include "isolation_imd.h"

#include <string.h>

#include "hal_clock.h"

int isolation_imd_measurement(const struct imd_status *st, const struct isolation_limits *lim,
                              uint32_t now_ms, struct isolation_measurement *out)
{
    memset(out, 0, sizeof *out);
    out->status = ISOLATION_INVALID;
    const struct imd_values *v = &st->values;
    bool fresh = st->published && hal_time_diff(now_ms, v->at_ms) <= (int32_t)lim->stale_ms;
    if (!fresh || st->error == IMD_ERR_DEVICE || st->error == IMD_ERR_COMM ||
        st->error == IMD_ERR_EXCEPTION || st->test == IMD_TEST_RUNNING ||
        v->r_bound == IMD_BOUND_BELOW) {
        return HAL_EAGAIN;
    }
    out->valid = true;
    out->resistance_ohm = v->resistance_ohm;
    out->resistance_lower_bound = v->r_bound == IMD_BOUND_ABOVE;
    out->voltage_valid = v->voltage_valid;
    out->voltage_dv = v->voltage_dv;
    out->earth_valid = v->earth_valid;
    out->l1e_dv = v->l1e_dv;
    out->l2e_dv = v->l2e_dv;
    out->alarm = v->alarm == IMD_ALARM_ALARM        ? ISOLATION_ALARM_ALARM
                 : v->alarm == IMD_ALARM_PREWARNING ? ISOLATION_ALARM_PREWARNING
                                                    : ISOLATION_ALARM_NONE;
    out->status = isolation_classify(lim, v->resistance_ohm, out->alarm);
    out->at_ms = v->at_ms;
    out->seq = v->seq;
    return HAL_OK;
}

static void isolation_imd_add(struct isolation_error *out, size_t max, size_t *n, bool *over,
                              enum isolation_error_type t, enum isolation_severity sev, uint32_t code)
{
    if (*n >= max) {
        *over = true;
        return;
    }
    out[*n] = (struct isolation_error){.type = t, .severity = sev, .vendor_code = code};
    (*n)++;
}

int isolation_imd_errors(const struct imd_status *st, struct isolation_error *out, size_t max,
                         size_t *count)
{
    size_t n = 0;
    bool over = false;
    switch (st->error) {
    case IMD_ERR_COMM:
        isolation_imd_add(out, max, &n, &over, ISOLATION_ERR_COMMUNICATION_FAULT,
                          ISOLATION_SEV_HIGH, 0);
        break;
    case IMD_ERR_EXCEPTION:
        isolation_imd_add(out, max, &n, &over, ISOLATION_ERR_VENDOR_ERROR, ISOLATION_SEV_HIGH,
                          st->exception);
        break;
    case IMD_ERR_DEVICE:
        isolation_imd_add(out, max, &n, &over, ISOLATION_ERR_DEVICE_FAULT, ISOLATION_SEV_HIGH,
                          st->device_code);
        break;
    case IMD_ERR_MALFORMED:
    case IMD_ERR_NONE:
        break;
    }
    if (st->malformed || st->error == IMD_ERR_MALFORMED) {
        isolation_imd_add(out, max, &n, &over, ISOLATION_ERR_VENDOR_WARNING, ISOLATION_SEV_LOW,
                          st->malformed_count);
    }
    *count = n;
    return over ? HAL_EOVERFLOW : HAL_OK;
}

static enum isolation_test isolation_imd_test_state(enum imd_test t)
{
    switch (t) {
    case IMD_TEST_RUNNING:
        return ISOLATION_TEST_RUNNING;
    case IMD_TEST_PASSED:
        return ISOLATION_TEST_PASSED;
    case IMD_TEST_FAILED:
        return ISOLATION_TEST_FAILED;
    case IMD_TEST_NONE:
        break;
    }
    return ISOLATION_TEST_NONE;
}

/* ---------------------------------------------------------------- Bender */

static void isolation_imd_bender_step(struct sched_task *t, uint32_t now_ms)
{
    struct isolation_imd_bender *m = t->ctx;
    sched_task_at(t, imd_bender_step(&m->dev, now_ms));
}

static int isolation_imd_bender_start(struct isolation *base, uint32_t now_ms)
{
    struct isolation_imd_bender *m = (struct isolation_imd_bender *)base;
    sched_task_at(&m->task, now_ms);
    return imd_bender_start(&m->dev);
}

static int isolation_imd_bender_stop(struct isolation *base, uint32_t now_ms)
{
    struct isolation_imd_bender *m = (struct isolation_imd_bender *)base;
    sched_task_at(&m->task, now_ms);
    return imd_bender_stop(&m->dev);
}

static int isolation_imd_bender_self_test(struct isolation *base, uint32_t test_voltage_v,
                                         uint32_t now_ms)
{
    struct isolation_imd_bender *m = (struct isolation_imd_bender *)base;
    (void)test_voltage_v;
    int rc = imd_bender_self_test(&m->dev, now_ms);
    if (rc == HAL_OK) {
        sched_task_at(&m->task, now_ms);
    }
    return rc;
}

static enum isolation_test isolation_imd_bender_result(struct isolation *base)
{
    struct imd_status st;
    imd_bender_status(&((struct isolation_imd_bender *)base)->dev, &st);
    return isolation_imd_test_state(st.test);
}

static int isolation_imd_bender_read(struct isolation *base, struct isolation_measurement *out,
                                    uint32_t now_ms)
{
    struct isolation_imd_bender *m = (struct isolation_imd_bender *)base;
    struct imd_status st;
    imd_bender_status(&m->dev, &st);
    return isolation_imd_measurement(&st, &m->lim, now_ms, out);
}

static int isolation_imd_bender_errors(struct isolation *base, struct isolation_error *out,
                                       size_t max, size_t *count)
{
    struct imd_status st;
    imd_bender_status(&((struct isolation_imd_bender *)base)->dev, &st);
    return isolation_imd_errors(&st, out, max, count);
}

static const struct isolation_ops s_isolation_imd_bender_ops = {
    .start = isolation_imd_bender_start,
    .stop = isolation_imd_bender_stop,
    .self_test = isolation_imd_bender_self_test,
    .self_test_result = isolation_imd_bender_result,
    .read = isolation_imd_bender_read,
    .get_errors = isolation_imd_bender_errors,
};

int isolation_imd_bender_init(struct isolation_imd_bender *m, struct hal_modbus *mb,
                              const struct imd_bender_config *cfg, const struct isolation_limits *lim)
{
    m->base.ops = &s_isolation_imd_bender_ops;
    if (lim != NULL) {
        m->lim = *lim;
    } else {
        isolation_limits_default(&m->lim);
    }
    int rc = imd_bender_init(&m->dev, mb, cfg);
    if (rc != HAL_OK) {
        return rc;
    }
    sched_task_init(&m->task, "imd_bender", isolation_imd_bender_step, m, true);
    return HAL_OK;
}

struct sched_task *isolation_imd_bender_task(struct isolation_imd_bender *m)
{
    return &m->task;
}

/* ---------------------------------------------------------------- Dold */

static void isolation_imd_dold_step(struct sched_task *t, uint32_t now_ms)
{
    struct isolation_imd_dold *m = t->ctx;
    sched_task_at(t, imd_dold_step(&m->dev, now_ms));
}

static int isolation_imd_dold_start(struct isolation *base, uint32_t now_ms)
{
    struct isolation_imd_dold *m = (struct isolation_imd_dold *)base;
    sched_task_at(&m->task, now_ms);
    return imd_dold_start(&m->dev);
}

static int isolation_imd_dold_stop(struct isolation *base, uint32_t now_ms)
{
    struct isolation_imd_dold *m = (struct isolation_imd_dold *)base;
    sched_task_at(&m->task, now_ms);
    return imd_dold_stop(&m->dev);
}

static int isolation_imd_dold_self_test(struct isolation *base, uint32_t test_voltage_v,
                                         uint32_t now_ms)
{
    struct isolation_imd_dold *m = (struct isolation_imd_dold *)base;
    (void)test_voltage_v;
    int rc = imd_dold_self_test(&m->dev, now_ms);
    if (rc == HAL_OK) {
        sched_task_at(&m->task, now_ms);
    }
    return rc;
}

static enum isolation_test isolation_imd_dold_result(struct isolation *base)
{
    struct imd_status st;
    imd_dold_status(&((struct isolation_imd_dold *)base)->dev, &st);
    return isolation_imd_test_state(st.test);
}

static int isolation_imd_dold_read(struct isolation *base, struct isolation_measurement *out,
                                    uint32_t now_ms)
{
    struct isolation_imd_dold *m = (struct isolation_imd_dold *)base;
    struct imd_status st;
    imd_dold_status(&m->dev, &st);
    return isolation_imd_measurement(&st, &m->lim, now_ms, out);
}

static int isolation_imd_dold_errors(struct isolation *base, struct isolation_error *out,
                                     size_t max, size_t *count)
{
    struct imd_status st;
    imd_dold_status(&((struct isolation_imd_dold *)base)->dev, &st);
    return isolation_imd_errors(&st, out, max, count);
}

static const struct isolation_ops s_isolation_imd_dold_ops = {
    .start = isolation_imd_dold_start,
    .stop = isolation_imd_dold_stop,
    .self_test = isolation_imd_dold_self_test,
    .self_test_result = isolation_imd_dold_result,
    .read = isolation_imd_dold_read,
    .get_errors = isolation_imd_dold_errors,
};

int isolation_imd_dold_init(struct isolation_imd_dold *m, struct hal_modbus *mb,
                            const struct imd_dold_config *cfg, const struct isolation_limits *lim)
{
    m->base.ops = &s_isolation_imd_dold_ops;
    if (lim != NULL) {
        m->lim = *lim;
    } else {
        isolation_limits_default(&m->lim);
    }
    int rc = imd_dold_init(&m->dev, mb, cfg);
    if (rc != HAL_OK) {
        return rc;
    }
    sched_task_init(&m->task, "imd_dold", isolation_imd_dold_step, m, true);
    return HAL_OK;
}

struct sched_task *isolation_imd_dold_task(struct isolation_imd_dold *m)
{
    return &m->task;
}
