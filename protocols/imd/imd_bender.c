#include "imd/imd_bender.h"

#include <string.h>

#include "hal_clock.h"

void imd_bender_config_default(struct imd_bender_config *cfg)
{
    *cfg = (struct imd_bender_config){
        .unit = 3,
        .timeout_ms = 500,
        .attempts = 2,
        .retry_delay_ms = 100,
        .poll_ms = 1000,
        .read_gap_ms = 10,
        .write_gap_ms = 20,
        .fault_retry_ms = 10000,
        .selftest_timeout_ms = 30000,
        .selftest_poll_ms = 250,
        .disable_delay_ms = 10000,
        .r1_prealarm_kohm = 250,
        .r2_alarm_kohm = 100,
        .undervoltage_v = 30,
        .overvoltage_v = 1050,
        .relay_on_delay = 5,
        .relay_off_delay = 5,
        .selftest_at_startup = true,
    };
}

int imd_bender_init(struct imd_bender *d, struct hal_modbus *mb, const struct imd_bender_config *cfg)
{
    if (d == NULL || mb == NULL || cfg == NULL || cfg->unit < 1 || cfg->unit > 247 ||
        cfg->attempts < 1 || cfg->attempts > 5 || cfg->timeout_ms < 10 || cfg->poll_ms < 200 ||
        cfg->poll_ms > 10000 || cfg->selftest_timeout_ms < 1000 || cfg->selftest_poll_ms < 10 ||
        cfg->r1_prealarm_kohm < 15 || cfg->r1_prealarm_kohm > 600 ||
        cfg->r2_alarm_kohm >= cfg->r1_prealarm_kohm || cfg->r2_alarm_kohm == 0 ||
        cfg->relay1_mode > 1 || cfg->relay2_mode > 1 || cfg->fault_retry_ms < 100) {
        return HAL_EINVAL;
    }
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    imd_bus_init(&d->bus, mb, cfg->unit, cfg->timeout_ms, cfg->attempts, cfg->retry_delay_ms);
    d->phase = IMD_BENDER_PH_CONFIG;
    d->enable_wanted = !cfg->disable_on_stop;
    return HAL_OK;
}

void imd_bender_decode_channel(const uint16_t *w, struct imd_bender_channel *out)
{
    out->value = imd_float_hi_first(w);
    uint8_t hi = (uint8_t)(w[2] >> 8);
    uint8_t lo = (uint8_t)(w[2] & 0xffu);
    out->alarm = hi & 0x07u;
    out->test = (uint8_t)(hi >> 6);
    out->unit = lo & 0x1fu;
    out->validity = (uint8_t)(lo >> 6);
    out->code = w[3];
}

static void imd_bender_cfg_add(struct imd_bender *d, uint16_t addr, uint16_t v)
{
    if (d->cfg_n < IMD_BENDER_CFG_MAX) {
        d->cfg_addr[d->cfg_n] = addr;
        d->cfg_val[d->cfg_n] = v;
        d->cfg_n++;
    }
}

/* The start-up writes, once the firmware version is known. 3018 (start-up delay) is left
 * alone: the sheet does not say what the values mean. */
static void imd_bender_build_config(struct imd_bender *d)
{
    const struct imd_bender_config *c = &d->cfg;
    d->cfg_n = 0;
    imd_bender_cfg_add(d, 3000, c->earth_voltage_alarm);
    imd_bender_cfg_add(d, 3005, c->r1_prealarm_kohm);
    imd_bender_cfg_add(d, 3007, c->r2_alarm_kohm);
    imd_bender_cfg_add(d, 3008, c->undervoltage_alarm);
    imd_bender_cfg_add(d, 3009, c->undervoltage_v);
    imd_bender_cfg_add(d, 3010, c->overvoltage_alarm);
    imd_bender_cfg_add(d, 3011, c->overvoltage_v);
    imd_bender_cfg_add(d, 3012, c->alarm_memory);
    imd_bender_cfg_add(d, 3013, c->relay1_mode);
    imd_bender_cfg_add(d, 3014, c->relay2_mode);
    imd_bender_cfg_add(d, 3019, c->relay_on_delay);
    imd_bender_cfg_add(d, 3020, c->relay_off_delay);
    /* Fast cable-check self-test only from firmware 5.01 on. */
    imd_bender_cfg_add(d, IMD_BENDER_REG_TEST_MODE, d->fw_version > 500u ? 3u : 0u);
    imd_bender_cfg_add(d, 3023, c->chademo);
    imd_bender_cfg_add(d, 3024, c->grid_test);
    imd_bender_cfg_add(d, 3025, c->selftest_at_startup && !c->disable_on_stop);
    imd_bender_cfg_add(d, 3027, c->relay1_alarms);
    imd_bender_cfg_add(d, 3028, c->relay2_alarms);
    imd_bender_cfg_add(d, IMD_BENDER_REG_ENABLE, d->enable_wanted);
}

static void imd_bender_write1(struct imd_bender *d, uint16_t addr, uint16_t v, uint32_t at)
{
    d->io[0] = v;
    imd_bus_request(&d->bus, HAL_MODBUS_WRITE_MULTIPLE, addr, 1, d->io, at);
}

static void imd_bender_read(struct imd_bender *d, uint16_t addr, uint16_t count, uint32_t at)
{
    imd_bus_request(&d->bus, HAL_MODBUS_READ_HOLDING, addr, count, d->io, at);
}

/* Make op the current step and queue its request for `at`. */
static void imd_bender_go(struct imd_bender *d, enum imd_bender_op op, uint32_t at)
{
    d->op = op;
    switch (op) {
    case IMD_BENDER_OP_NAME:
        imd_bender_read(d, IMD_BENDER_REG_NAME, 10, at);
        break;
    case IMD_BENDER_OP_IDENT:
        imd_bender_read(d, IMD_BENDER_REG_IDENT, 6, at);
        break;
    case IMD_BENDER_OP_CONFIG:
        imd_bender_write1(d, d->cfg_addr[d->cfg_idx], d->cfg_val[d->cfg_idx], at);
        break;
    case IMD_BENDER_OP_RF:
        imd_bender_read(d, IMD_BENDER_REG_RF, 4, at);
        break;
    case IMD_BENDER_OP_UN:
        imd_bender_read(d, IMD_BENDER_REG_UN, 4, at);
        break;
    case IMD_BENDER_OP_ULE:
        imd_bender_read(d, IMD_BENDER_REG_ULE, 8, at);
        break;
    case IMD_BENDER_OP_ENABLE:
        imd_bender_write1(d, IMD_BENDER_REG_ENABLE, d->enable_wanted, at);
        break;
    case IMD_BENDER_OP_TEST:
        imd_bender_write1(d, IMD_BENDER_REG_COMMAND, IMD_BENDER_CMD_SELFTEST, at);
        break;
    case IMD_BENDER_OP_IDLE:
        break;
    }
}

static void imd_bender_test_end(struct imd_bender *d, enum imd_test_fail why, uint32_t now)
{
    d->test = why == IMD_TF_NONE ? IMD_TEST_PASSED : IMD_TEST_FAILED;
    d->test_fail = why;
    d->test_requested = false;
    if (d->cfg.disable_on_stop && !d->measuring) {
        d->disable_at_ms = now + d->cfg.disable_delay_ms;
        if (d->disable_at_ms == 0) {
            d->disable_at_ms = 1;
        }
    }
}

/* Is this channel well-formed for a quantity of `unit`? */
static bool imd_bender_channel_ok(const struct imd_bender_channel *ch, uint8_t unit)
{
    bool alarm_ok = ch->alarm == 0 || ch->alarm == 1 || ch->alarm == 2 || ch->alarm == 4 ||
                    ch->alarm == 5;
    float v = ch->value;
    bool finite = v == v && v < 3.0e38f && v > -3.0e38f; /* no NaN, no infinity */
    return alarm_ok && ch->test != 3 && finite &&
           (ch->validity == IMD_BENDER_VALIDITY_INVALID || ch->unit == 0 || ch->unit == unit);
}

static bool imd_bender_usable(const struct imd_bender_channel *ch, uint8_t unit)
{
    return ch->validity != IMD_BENDER_VALIDITY_INVALID && ch->unit == unit;
}

static int32_t imd_bender_dv(float v)
{
    float dv = v * 10.0f;
    if (dv > 2.0e9f) {
        return 2000000000;
    }
    if (dv < -2.0e9f) {
        return -2000000000;
    }
    return (int32_t)(dv < 0 ? dv - 0.5f : dv + 0.5f);
}

static void imd_bender_publish(struct imd_bender *d, uint32_t now, bool with_earth)
{
    struct imd_values v = {0};
    if (!imd_bender_usable(&d->rf, IMD_BENDER_UNIT_OHM) || d->rf.value < 0.0f) {
        d->st.published = false; /* no resistance: nothing worth publishing */
        return;
    }
    float r = d->rf.value;
    v.resistance_ohm = r >= 4.0e9f ? 4000000000u : (uint32_t)(r + 0.5f);
    v.r_bound = d->rf.validity == 1   ? IMD_BOUND_BELOW
                : d->rf.validity == 2 ? IMD_BOUND_ABOVE
                                      : IMD_BOUND_EXACT;
    if (imd_bender_usable(&d->un, IMD_BENDER_UNIT_VOLT)) {
        v.voltage_valid = true;
        v.voltage_dv = imd_bender_dv(d->un.value);
    }
    if (with_earth && imd_bender_usable(&d->l1e, IMD_BENDER_UNIT_VOLT) &&
        imd_bender_usable(&d->l2e, IMD_BENDER_UNIT_VOLT)) {
        v.earth_valid = true;
        v.l1e_dv = imd_bender_dv(d->l1e.value);
        v.l2e_dv = imd_bender_dv(d->l2e.value);
    }
    v.alarm = d->rf.alarm == IMD_BENDER_ALARM_ALARM ? IMD_ALARM_ALARM
              : (d->rf.alarm == IMD_BENDER_ALARM_PREWARN || d->rf.alarm == IMD_BENDER_ALARM_WARNING)
                  ? IMD_ALARM_PREWARNING
                  : IMD_ALARM_NONE;
    v.at_ms = now;
    v.seq = ++d->seq;
    d->st.values = v;
    d->st.published = true;
}

/* A measurement cycle (R_F, U_n and perhaps U_LxE) is complete. */
static void imd_bender_cycle_end(struct imd_bender *d, uint32_t now, bool with_un, bool with_earth)
{
    d->op = IMD_BENDER_OP_IDLE;
    bool test_bits = d->rf.test != 0 || (with_un && d->un.test != 0);
    bool dev_err = d->rf.test == 0 && d->rf.alarm == IMD_BENDER_ALARM_DEVICE_ERROR;
    bool was_fault = d->st.error == IMD_ERR_DEVICE;

    if (d->test == IMD_TEST_RUNNING && !d->test_requested) {
        if (d->rf.test == IMD_BENDER_TEST_EXTERNAL) {
            d->test_seen = true;
        } else if (d->test_seen && d->rf.test == 0) {
            imd_bender_test_end(d, dev_err ? IMD_TF_DEVICE : IMD_TF_NONE, now);
        }
    }
    d->st.malformed = d->cycle_malformed;
    if (dev_err) {
        d->st.error = IMD_ERR_DEVICE;
        d->st.device_code = d->rf.code;
        d->st.published = false;
        d->next_poll_ms = now + d->cfg.fault_retry_ms;
        return;
    }
    if (was_fault) {
        /* Recovered: configure again, and trust nothing of the next round. */
        d->st.error = IMD_ERR_NONE;
        d->st.device_code = 0;
        d->skip_round = true;
        d->phase = IMD_BENDER_PH_CONFIG;
        d->st.ready = false;
        d->st.published = false;
        return;
    }
    bool testing = d->test == IMD_TEST_RUNNING;
    d->next_poll_ms = now + (testing ? d->cfg.selftest_poll_ms : d->cfg.poll_ms);
    bool skip = d->skip_round;
    d->skip_round = false;
    if (test_bits || testing || !d->measuring || skip || d->cycle_malformed) {
        d->st.published = false;
        return;
    }
    imd_bender_publish(d, now, with_earth);
}

static void imd_bender_note_channel(struct imd_bender *d, const struct imd_bender_channel *ch,
                                    uint8_t unit)
{
    if (!imd_bender_channel_ok(ch, unit)) {
        d->cycle_malformed = true;
        d->st.malformed_count++;
    }
}

/* The reply of the current op arrived. */
static void imd_bender_done(struct imd_bender *d, uint32_t now)
{
    switch (d->op) {
    case IMD_BENDER_OP_NAME:
        for (unsigned i = 0; i < 10; i++) {
            char hi = (char)(d->io[i] >> 8), lo = (char)(d->io[i] & 0xffu);
            d->name[2 * i] = (hi >= 0x20 && hi < 0x7f) ? hi : '\0';
            d->name[2 * i + 1] = (lo >= 0x20 && lo < 0x7f) ? lo : '\0';
        }
        d->name[20] = '\0';
        imd_bender_go(d, IMD_BENDER_OP_IDENT, now + d->cfg.read_gap_ms);
        break;
    case IMD_BENDER_OP_IDENT:
        d->fw_version = d->io[1];
        imd_bender_build_config(d);
        d->cfg_idx = 0;
        imd_bender_go(d, IMD_BENDER_OP_CONFIG, now + d->cfg.write_gap_ms);
        break;
    case IMD_BENDER_OP_CONFIG:
        if (d->cfg_addr[d->cfg_idx] == IMD_BENDER_REG_ENABLE) {
            d->enable_written = d->cfg_val[d->cfg_idx] != 0;
        }
        if (++d->cfg_idx < d->cfg_n) {
            imd_bender_go(d, IMD_BENDER_OP_CONFIG, now + d->cfg.write_gap_ms);
            break;
        }
        d->phase = IMD_BENDER_PH_RUN;
        d->op = IMD_BENDER_OP_IDLE;
        d->st.ready = true;
        if (d->st.error == IMD_ERR_COMM || d->st.error == IMD_ERR_EXCEPTION) {
            d->st.error = IMD_ERR_NONE;
            d->st.exception = 0;
        }
        d->next_poll_ms = now + d->cfg.read_gap_ms;
        break;
    case IMD_BENDER_OP_RF:
        d->cycle_malformed = false;
        imd_bender_decode_channel(d->io, &d->rf);
        imd_bender_note_channel(d, &d->rf, IMD_BENDER_UNIT_OHM);
        if (d->rf.test == 0 && d->rf.alarm == IMD_BENDER_ALARM_DEVICE_ERROR) {
            imd_bender_cycle_end(d, now, false, false); /* nothing else matters now */
        } else {
            imd_bender_go(d, IMD_BENDER_OP_UN, now + d->cfg.read_gap_ms);
        }
        break;
    case IMD_BENDER_OP_UN:
        imd_bender_decode_channel(d->io, &d->un);
        imd_bender_note_channel(d, &d->un, IMD_BENDER_UNIT_VOLT);
        if (d->measuring && d->rf.test == 0 && d->un.test == 0 && d->test != IMD_TEST_RUNNING) {
            imd_bender_go(d, IMD_BENDER_OP_ULE, now + d->cfg.read_gap_ms);
        } else {
            imd_bender_cycle_end(d, now, true, false);
        }
        break;
    case IMD_BENDER_OP_ULE:
        imd_bender_decode_channel(d->io, &d->l1e);
        imd_bender_decode_channel(d->io + 4, &d->l2e);
        imd_bender_note_channel(d, &d->l1e, IMD_BENDER_UNIT_VOLT);
        imd_bender_note_channel(d, &d->l2e, IMD_BENDER_UNIT_VOLT);
        imd_bender_cycle_end(d, now, true, true);
        break;
    case IMD_BENDER_OP_ENABLE:
        d->enable_written = d->enable_wanted;
        d->op = IMD_BENDER_OP_IDLE;
        d->next_poll_ms = now + d->cfg.read_gap_ms;
        break;
    case IMD_BENDER_OP_TEST:
        d->test_requested = false;
        d->test_seen = false;
        d->op = IMD_BENDER_OP_IDLE;
        d->next_poll_ms = now + d->cfg.read_gap_ms;
        break;
    case IMD_BENDER_OP_IDLE:
        break;
    }
}

/* The current request failed after every attempt: the device is faulted until it has
 * been configured again. */
static void imd_bender_fail(struct imd_bender *d, uint32_t now, int rc)
{
    uint8_t exc = imd_bus_exception(&d->bus);
    (void)rc;
    d->st.comm_failures++;
    d->st.error = exc != 0 ? IMD_ERR_EXCEPTION : IMD_ERR_COMM;
    d->st.exception = exc;
    d->st.published = false;
    d->st.ready = false;
    if (d->test == IMD_TEST_RUNNING) {
        imd_bender_test_end(d, exc != 0 && d->op == IMD_BENDER_OP_TEST ? IMD_TF_DEVICE : IMD_TF_COMM,
                            now);
    }
    d->op = IMD_BENDER_OP_IDLE;
    d->phase = IMD_BENDER_PH_COMM_FAULT;
    d->fault_until_ms = now + d->cfg.fault_retry_ms;
    d->skip_round = true;
}

static void imd_bender_pick(struct imd_bender *d, uint32_t now)
{
    if (d->phase == IMD_BENDER_PH_COMM_FAULT) {
        if (!hal_time_reached(now, d->fault_until_ms)) {
            return;
        }
        d->phase = IMD_BENDER_PH_CONFIG;
    }
    if (d->phase == IMD_BENDER_PH_CONFIG) {
        imd_bender_go(d, IMD_BENDER_OP_NAME, now);
        return;
    }
    if (d->disable_at_ms != 0 && hal_time_reached(now, d->disable_at_ms)) {
        d->disable_at_ms = 0;
        if (!d->measuring && d->test != IMD_TEST_RUNNING) {
            d->enable_wanted = false;
        }
    }
    if (d->cfg.disable_on_stop && d->enable_written != d->enable_wanted) {
        imd_bender_go(d, IMD_BENDER_OP_ENABLE, now);
    } else if (d->test_requested) {
        imd_bender_go(d, IMD_BENDER_OP_TEST, now);
    } else if (hal_time_reached(now, d->next_poll_ms)) {
        imd_bender_go(d, IMD_BENDER_OP_RF, now);
    }
}

uint32_t imd_bender_step(struct imd_bender *d, uint32_t now)
{
    if (d->test == IMD_TEST_RUNNING && hal_time_reached(now, d->test_deadline_ms)) {
        imd_bender_test_end(d, IMD_TF_TIMEOUT, now);
    }
    /* At most: finish one request and start the next. */
    for (int i = 0; i < 2; i++) {
        if (d->op == IMD_BENDER_OP_IDLE) {
            imd_bender_pick(d, now);
            if (d->op == IMD_BENDER_OP_IDLE) {
                break;
            }
        }
        int rc = imd_bus_step(&d->bus, now);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc == HAL_OK) {
            imd_bender_done(d, now);
        } else {
            imd_bender_fail(d, now, rc);
        }
    }
    uint32_t next;
    if (d->op != IMD_BENDER_OP_IDLE) {
        next = imd_bus_next(&d->bus, now);
    } else if (d->phase == IMD_BENDER_PH_COMM_FAULT) {
        next = d->fault_until_ms;
    } else if (d->phase == IMD_BENDER_PH_CONFIG || d->test_requested ||
               (d->cfg.disable_on_stop && d->enable_written != d->enable_wanted)) {
        next = now;
    } else {
        next = d->next_poll_ms;
        if (d->disable_at_ms != 0 && hal_time_diff(d->disable_at_ms, next) < 0) {
            next = d->disable_at_ms;
        }
    }
    if (d->test == IMD_TEST_RUNNING && hal_time_diff(d->test_deadline_ms, next) < 0) {
        next = d->test_deadline_ms;
    }
    return hal_time_diff(next, now) < 0 ? now : next;
}

int imd_bender_start(struct imd_bender *d)
{
    if (!d->measuring) {
        d->measuring = true;
        d->skip_round = false;
        d->st.published = false;
    }
    d->st.measuring = true;
    d->disable_at_ms = 0;
    if (d->cfg.disable_on_stop) {
        d->enable_wanted = true;
    }
    return HAL_OK;
}

int imd_bender_stop(struct imd_bender *d)
{
    d->measuring = false;
    d->st.measuring = false;
    d->st.published = false;
    if (d->cfg.disable_on_stop && d->test != IMD_TEST_RUNNING) {
        d->enable_wanted = false;
    }
    return HAL_OK;
}

int imd_bender_self_test(struct imd_bender *d, uint32_t now_ms)
{
    if (d->test == IMD_TEST_RUNNING) {
        return HAL_EBUSY;
    }
    d->test = IMD_TEST_RUNNING;
    d->test_fail = IMD_TF_NONE;
    d->test_requested = true;
    d->test_seen = false;
    d->test_deadline_ms = now_ms + d->cfg.selftest_timeout_ms;
    d->st.published = false;
    d->disable_at_ms = 0;
    if (d->cfg.disable_on_stop) {
        d->enable_wanted = true;
    }
    return HAL_OK;
}

void imd_bender_status(const struct imd_bender *d, struct imd_status *out)
{
    *out = d->st;
    out->test = d->test;
    out->test_fail = d->test_fail;
}

const char *imd_bender_name(const struct imd_bender *d)
{
    return d->name;
}
