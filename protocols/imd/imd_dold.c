#include "imd/imd_dold.h"

#include <string.h>

#include "hal_clock.h"

#define IMD_DOLD_CTRL_UNKNOWN 0xFFFFu

void imd_dold_config_default(struct imd_dold_config *cfg)
{
    *cfg = (struct imd_dold_config){
        .unit = 1,
        .timeout_ms = 500,
        .attempts = 2,
        .retry_delay_ms = 100,
        .poll_ms = 1000,
        .read_gap_ms = 10,
        .fault_retry_ms = 10000,
        .selftest_timeout_ms = 30000,
        .selftest_poll_ms = 250,
        .mode = IMD_DOLD_MODE_STANDARD,
        .watchdog = true,
        .watchdog_s = 3,
        .broken_wire = 1,
        .latch = 0,
        .relay_mode = 0,
        .network = 2,
        .alarm_kohm = 100,
        .prealarm_kohm = 250,
        .coupling = 1,
        .k1_function = 0x08,
        .k2_function = 0x08,
        .auto_selftest = 0,
    };
}

static bool imd_dold_one_hot6(uint16_t v)
{
    return v != 0 && v < 0x40u && (v & (v - 1u)) == 0;
}

int imd_dold_init(struct imd_dold *d, struct hal_modbus *mb, const struct imd_dold_config *cfg)
{
    if (d == NULL || mb == NULL || cfg == NULL || cfg->unit < 1 || cfg->unit > 247 ||
        cfg->attempts < 1 || cfg->attempts > 5 || cfg->timeout_ms < 10 || cfg->poll_ms < 200 ||
        cfg->poll_ms > 1000 || cfg->selftest_timeout_ms < 1000 || cfg->selftest_poll_ms < 10 ||
        cfg->watchdog_s < 2 || cfg->watchdog_s > 10 ||
        (uint32_t)cfg->watchdog_s * 1000u < 2u * cfg->poll_ms || cfg->alarm_kohm < 1 ||
        cfg->alarm_kohm > 500 || cfg->prealarm_kohm < cfg->alarm_kohm ||
        cfg->prealarm_kohm > 500 || (cfg->broken_wire != 1 && cfg->broken_wire != 2 &&
                                     cfg->broken_wire != 4) ||
        cfg->latch > 1 || cfg->relay_mode > 1 ||
        (cfg->network != 1 && cfg->network != 2 && cfg->network != 4) ||
        (cfg->coupling != 1 && cfg->coupling != 2) || !imd_dold_one_hot6(cfg->k1_function) ||
        !imd_dold_one_hot6(cfg->k2_function) || cfg->auto_selftest > 1 ||
        (unsigned)cfg->mode > (unsigned)IMD_DOLD_MODE_ALWAYS || cfg->fault_retry_ms < 100) {
        return HAL_EINVAL;
    }
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    imd_bus_init(&d->bus, mb, cfg->unit, cfg->timeout_ms, cfg->attempts, cfg->retry_delay_ms);
    d->phase = IMD_DOLD_PH_CONFIG;
    d->ctrl_written = IMD_DOLD_CTRL_UNKNOWN;
    return HAL_OK;
}

static bool imd_dold_meas_on(const struct imd_dold *d)
{
    return d->cfg.mode != IMD_DOLD_MODE_STANDARD || d->measuring || d->test == IMD_TEST_RUNNING;
}

static bool imd_dold_publishing(const struct imd_dold *d)
{
    return d->cfg.mode == IMD_DOLD_MODE_ALWAYS || d->measuring;
}

static uint16_t imd_dold_ctrl(const struct imd_dold *d)
{
    return imd_dold_meas_on(d) ? 0u : IMD_DOLD_CTRL_MEAS_OFF;
}

static void imd_dold_write1(struct imd_dold *d, uint16_t addr, uint16_t v, uint32_t at)
{
    d->io[0] = v;
    imd_bus_request(&d->bus, HAL_MODBUS_WRITE_SINGLE, addr, 1, d->io, at);
}

static void imd_dold_go(struct imd_dold *d, enum imd_dold_op op, uint32_t at)
{
    d->op = op;
    switch (op) {
    case IMD_DOLD_OP_RESET_FIRST:
    case IMD_DOLD_OP_RESET:
        imd_dold_write1(d, IMD_DOLD_HR_CONTROL, IMD_DOLD_CTRL_RESET, at);
        break;
    case IMD_DOLD_OP_CFG_READ:
        imd_bus_request(&d->bus, HAL_MODBUS_READ_HOLDING, IMD_DOLD_HR_CONFIG,
                        IMD_DOLD_CONFIG_WORDS, d->io, at);
        break;
    case IMD_DOLD_OP_CFG_WRITE:
        memcpy(d->io, d->want, sizeof d->io);
        imd_bus_request(&d->bus, HAL_MODBUS_WRITE_MULTIPLE, IMD_DOLD_HR_CONFIG,
                        IMD_DOLD_CONFIG_WORDS, d->io, at);
        break;
    case IMD_DOLD_OP_WD_SETUP:
    case IMD_DOLD_OP_WD:
        d->io[0] = d->cfg.watchdog ? 1u : 0u;
        d->io[1] = (uint16_t)(d->cfg.watchdog_s * 1000u);
        imd_bus_request(&d->bus, HAL_MODBUS_WRITE_MULTIPLE, IMD_DOLD_HR_WD_RELEASE, 2, d->io, at);
        break;
    case IMD_DOLD_OP_CTRL:
        imd_dold_write1(d, IMD_DOLD_HR_CONTROL, imd_dold_ctrl(d), at);
        break;
    case IMD_DOLD_OP_STATUS:
        imd_bus_request(&d->bus, HAL_MODBUS_READ_INPUT, IMD_DOLD_IN_FAULT, 2, d->io, at);
        break;
    case IMD_DOLD_OP_VALUES:
        imd_bus_request(&d->bus, HAL_MODBUS_READ_INPUT, IMD_DOLD_IN_VALUES, 3, d->io, at);
        break;
    case IMD_DOLD_OP_TEST:
        imd_dold_write1(d, IMD_DOLD_HR_CONTROL, IMD_DOLD_CTRL_SELFTEST, at);
        break;
    case IMD_DOLD_OP_IDLE:
        break;
    }
}

static void imd_dold_test_end(struct imd_dold *d, enum imd_test_fail why)
{
    d->test = why == IMD_TF_NONE ? IMD_TEST_PASSED : IMD_TEST_FAILED;
    d->test_fail = why;
    d->test_requested = false;
}

static void imd_dold_reconfigure(struct imd_dold *d)
{
    d->phase = IMD_DOLD_PH_CONFIG;
    d->st.ready = false;
    d->st.published = false;
    d->skip_round = true;
    d->op = IMD_DOLD_OP_IDLE;
}

static void imd_dold_cycle_end(struct imd_dold *d, uint32_t now)
{
    d->op = IMD_DOLD_OP_IDLE;
    d->next_poll_ms = now + (d->test == IMD_TEST_RUNNING ? d->cfg.selftest_poll_ms : d->cfg.poll_ms);
}

static bool imd_dold_state_measures(uint16_t s)
{
    return s == IMD_DOLD_ST_MEASURING || s == IMD_DOLD_ST_ALARM || s == IMD_DOLD_ST_PREALARM;
}

/* Fault and state were read: follow the self-test, the faults, and choose the rest of
 * the cycle. */
static void imd_dold_status_done(struct imd_dold *d, uint32_t now)
{
    d->fault = d->io[0];
    d->state = d->io[1];
    bool malformed = d->state > IMD_DOLD_ST_PREALARM;
    d->st.malformed = malformed;
    if (malformed) {
        d->st.malformed_count++;
    }
    bool in_test = d->state == IMD_DOLD_ST_SELFTEST || d->state == IMD_DOLD_ST_EXT_TEST;
    if (d->test == IMD_TEST_RUNNING && !d->test_requested) {
        if (in_test) {
            d->test_seen = true;
        } else if (d->test_seen && !malformed) {
            imd_dold_test_end(d, d->fault == 0 ? IMD_TF_NONE : IMD_TF_DEVICE);
        }
    }
    if (d->fault != 0) {
        bool was = d->st.error == IMD_ERR_DEVICE;
        d->st.error = IMD_ERR_DEVICE;
        d->st.device_code = d->fault;
        d->st.published = false;
        if (d->fault == IMD_DOLD_FAULT_WATCHDOG) {
            /* Our own watchdog tripped: the documented recovery is reset + configure. */
            d->wd_recoveries++;
            imd_dold_reconfigure(d);
            return;
        }
        if (!was || hal_time_reached(now, d->device_retry_ms)) {
            d->device_retry_ms = now + d->cfg.fault_retry_ms;
            if (was && d->test != IMD_TEST_RUNNING) {
                imd_dold_reconfigure(d); /* a reset may clear a latched fault */
                return;
            }
        }
    } else if (d->st.error == IMD_ERR_DEVICE) {
        d->st.error = IMD_ERR_NONE;
        d->st.device_code = 0;
        d->skip_round = true;
    }
    if (d->cfg.watchdog) {
        imd_dold_go(d, IMD_DOLD_OP_WD, now + d->cfg.read_gap_ms);
        return;
    }
    if (d->fault == 0 && !malformed && imd_dold_state_measures(d->state) && imd_dold_publishing(d) &&
        d->test != IMD_TEST_RUNNING) {
        imd_dold_go(d, IMD_DOLD_OP_VALUES, now + d->cfg.read_gap_ms);
        return;
    }
    d->st.published = false;
    imd_dold_cycle_end(d, now);
}

static void imd_dold_values_done(struct imd_dold *d, uint32_t now)
{
    bool skip = d->skip_round;
    d->skip_round = false;
    imd_dold_cycle_end(d, now);
    if (skip) {
        d->st.published = false;
        return;
    }
    struct imd_values v = {0};
    uint16_t r = d->io[0];
    if (r == 0xFFFFu) {
        v.resistance_ohm = 2000000u;
        v.r_bound = IMD_BOUND_ABOVE;
    } else {
        v.resistance_ohm = (uint32_t)r * 100u;
    }
    if (d->io[2] != 0xFFFFu) {
        v.voltage_valid = true;
        v.voltage_dv = (int32_t)d->io[2] * 10;
    }
    v.alarm = d->state == IMD_DOLD_ST_ALARM      ? IMD_ALARM_ALARM
              : d->state == IMD_DOLD_ST_PREALARM ? IMD_ALARM_PREWARNING
                                                 : IMD_ALARM_NONE;
    v.at_ms = now;
    v.seq = ++d->seq;
    d->st.values = v;
    d->st.published = true;
}

static void imd_dold_done(struct imd_dold *d, uint32_t now)
{
    uint32_t gap = d->cfg.read_gap_ms;
    switch (d->op) {
    case IMD_DOLD_OP_RESET_FIRST:
        d->ctrl_written = IMD_DOLD_CTRL_RESET;
        imd_dold_go(d, IMD_DOLD_OP_CFG_READ, now + gap);
        break;
    case IMD_DOLD_OP_CFG_READ: {
        const struct imd_dold_config *c = &d->cfg;
        uint16_t w[IMD_DOLD_CONFIG_WORDS] = {c->broken_wire, c->latch,        c->relay_mode,
                                             c->network,     d->io[4],        c->alarm_kohm,
                                             c->prealarm_kohm, c->coupling,   c->k1_function,
                                             c->k2_function, c->auto_selftest};
        memcpy(d->want, w, sizeof w);
        d->cfg_written = memcmp(d->io, d->want, sizeof d->want) != 0;
        imd_dold_go(d, d->cfg_written ? IMD_DOLD_OP_CFG_WRITE : IMD_DOLD_OP_WD_SETUP, now + gap);
        break;
    }
    case IMD_DOLD_OP_CFG_WRITE:
        d->cfg_writes++;
        imd_dold_go(d, IMD_DOLD_OP_WD_SETUP, now + gap);
        break;
    case IMD_DOLD_OP_WD_SETUP:
        imd_dold_go(d, IMD_DOLD_OP_RESET, now + gap);
        break;
    case IMD_DOLD_OP_RESET:
        d->ctrl_written = IMD_DOLD_CTRL_RESET;
        imd_dold_go(d, IMD_DOLD_OP_CTRL, now + gap);
        break;
    case IMD_DOLD_OP_CTRL:
        d->ctrl_written = d->io[0];
        d->op = IMD_DOLD_OP_IDLE;
        if (d->phase == IMD_DOLD_PH_CONFIG) {
            d->phase = IMD_DOLD_PH_RUN;
            d->st.ready = true;
            d->exc_recovering = false;
            if (d->st.error == IMD_ERR_COMM || d->st.error == IMD_ERR_EXCEPTION) {
                d->st.error = IMD_ERR_NONE;
                d->st.exception = 0;
            }
            d->next_poll_ms = now + gap;
        }
        break;
    case IMD_DOLD_OP_STATUS:
        imd_dold_status_done(d, now);
        break;
    case IMD_DOLD_OP_WD:
        d->wd_refreshes++;
        if (d->fault == 0 && d->state <= IMD_DOLD_ST_PREALARM &&
            imd_dold_state_measures(d->state) && imd_dold_publishing(d) &&
            d->test != IMD_TEST_RUNNING) {
            imd_dold_go(d, IMD_DOLD_OP_VALUES, now + gap);
        } else {
            d->st.published = false;
            imd_dold_cycle_end(d, now);
        }
        break;
    case IMD_DOLD_OP_VALUES:
        imd_dold_values_done(d, now);
        break;
    case IMD_DOLD_OP_TEST:
        d->ctrl_written = IMD_DOLD_CTRL_SELFTEST;
        d->test_requested = false;
        d->test_seen = false;
        d->op = IMD_DOLD_OP_IDLE;
        d->next_poll_ms = now + gap;
        break;
    case IMD_DOLD_OP_IDLE:
        break;
    }
}

static void imd_dold_fail(struct imd_dold *d, uint32_t now)
{
    uint8_t exc = imd_bus_exception(&d->bus);
    bool run_write = d->phase == IMD_DOLD_PH_RUN &&
                     (d->op == IMD_DOLD_OP_WD || d->op == IMD_DOLD_OP_CTRL);
    d->st.comm_failures++;
    d->st.error = exc != 0 ? IMD_ERR_EXCEPTION : IMD_ERR_COMM;
    d->st.exception = exc;
    d->st.published = false;
    if (d->test == IMD_TEST_RUNNING) {
        imd_dold_test_end(d, exc != 0 && d->op == IMD_DOLD_OP_TEST ? IMD_TF_DEVICE : IMD_TF_COMM);
    }
    if (exc != 0 && run_write && !d->exc_recovering) {
        /* A refused write while running is what a tripped watchdog looks like: reset and
         * configure again at once (once; a second refusal waits like any fault). */
        d->exc_recovering = true;
        imd_dold_reconfigure(d);
        return;
    }
    d->op = IMD_DOLD_OP_IDLE;
    d->st.ready = false;
    d->phase = IMD_DOLD_PH_COMM_FAULT;
    d->fault_until_ms = now + d->cfg.fault_retry_ms;
    d->skip_round = true;
    d->ctrl_written = IMD_DOLD_CTRL_UNKNOWN;
}

static void imd_dold_pick(struct imd_dold *d, uint32_t now)
{
    if (d->phase == IMD_DOLD_PH_COMM_FAULT) {
        if (!hal_time_reached(now, d->fault_until_ms)) {
            return;
        }
        d->phase = IMD_DOLD_PH_CONFIG;
    }
    if (d->phase == IMD_DOLD_PH_CONFIG) {
        imd_dold_go(d, IMD_DOLD_OP_RESET_FIRST, now);
        return;
    }
    bool testing = d->test == IMD_TEST_RUNNING && !d->test_requested;
    if (d->test_requested) {
        imd_dold_go(d, IMD_DOLD_OP_TEST, now);
    } else if (!testing && d->ctrl_written != imd_dold_ctrl(d)) {
        imd_dold_go(d, IMD_DOLD_OP_CTRL, now);
    } else if (hal_time_reached(now, d->next_poll_ms)) {
        imd_dold_go(d, IMD_DOLD_OP_STATUS, now);
    }
}

uint32_t imd_dold_step(struct imd_dold *d, uint32_t now)
{
    if (d->test == IMD_TEST_RUNNING && hal_time_reached(now, d->test_deadline_ms)) {
        imd_dold_test_end(d, IMD_TF_TIMEOUT);
    }
    for (int i = 0; i < 2; i++) {
        if (d->op == IMD_DOLD_OP_IDLE) {
            imd_dold_pick(d, now);
            if (d->op == IMD_DOLD_OP_IDLE) {
                break;
            }
        }
        int rc = imd_bus_step(&d->bus, now);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc == HAL_OK) {
            imd_dold_done(d, now);
        } else {
            imd_dold_fail(d, now);
        }
    }
    uint32_t next;
    bool testing = d->test == IMD_TEST_RUNNING && !d->test_requested;
    if (d->op != IMD_DOLD_OP_IDLE) {
        next = imd_bus_next(&d->bus, now);
    } else if (d->phase == IMD_DOLD_PH_COMM_FAULT) {
        next = d->fault_until_ms;
    } else if (d->phase == IMD_DOLD_PH_CONFIG || d->test_requested ||
               (!testing && d->ctrl_written != imd_dold_ctrl(d))) {
        next = now;
    } else {
        next = d->next_poll_ms;
    }
    if (d->test == IMD_TEST_RUNNING && hal_time_diff(d->test_deadline_ms, next) < 0) {
        next = d->test_deadline_ms;
    }
    return hal_time_diff(next, now) < 0 ? now : next;
}

int imd_dold_start(struct imd_dold *d)
{
    if (!d->measuring) {
        d->measuring = true;
        d->st.published = false;
    }
    d->st.measuring = true;
    return HAL_OK;
}

int imd_dold_stop(struct imd_dold *d)
{
    d->measuring = false;
    d->st.measuring = false;
    if (d->cfg.mode != IMD_DOLD_MODE_ALWAYS) {
        d->st.published = false;
    }
    return HAL_OK;
}

int imd_dold_self_test(struct imd_dold *d, uint32_t now_ms)
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
    return HAL_OK;
}

void imd_dold_status(const struct imd_dold *d, struct imd_status *out)
{
    *out = d->st;
    out->test = d->test;
    out->test_fail = d->test_fail;
}

const char *imd_dold_fault_name(uint16_t fault)
{
    switch (fault) {
    case 0:
        return "none";
    case 1:
        return "broken wire L(+)/L(-)";
    case 2:
        return "broken wire PE1/PE2";
    case 3:
        return "internal failure found in test mode (Int.1)";
    case 4:
        return "parameter failure (potentiometer setting)";
    case 9:
        return "Modbus communication fault (watchdog timeout)";
    case 10:
        return "EEPROM checksum (Int.2)";
    case 11:
        return "internal communication (Int.3)";
    case 12:
        return "internal error 4";
    default:
        return "unknown fault code";
    }
}
