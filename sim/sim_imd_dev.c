/* Bender isoCHA425HV / Dold RN5893 register models (sim_imd_dev.h): owns the device state and
 * the encoding of its measurement, alarm and state registers. */
#include "sim_imd_dev.h"

#include <string.h>

#include "imd/imd.h"

/* One Bender channel: float value, alarm/test and unit/validity bytes, description code. */
static void sim_imd_channel(uint16_t *w, float v, uint8_t alarm, uint8_t test, uint8_t unit,
                            uint8_t validity, uint16_t code)
{
    imd_put_float_hi_first(w, v);
    w[2] = (uint16_t)((uint16_t)((alarm & 7u) | (uint8_t)(test << 6)) << 8 |
                      (uint16_t)((unit & 0x1fu) | (uint8_t)(validity << 6)));
    w[3] = code;
}

static void sim_imd_bender_regs(struct sim_imd_dev *d)
{
    uint16_t *r = d->slave.holding;
    float rf = d->resistance_ohm;
    uint8_t alarm = 0, test = 0, validity = 0;
    uint16_t code = 71;
    if (d->testing) {
        test = 2;
    } else if (d->device_fault) {
        alarm = 2;
        code = 115;
    } else if (!d->enabled) {
        validity = 3;
    } else if (rf < (float)r[3007] * 1000.0f) {
        alarm = 5;
    } else if (rf < (float)r[3005] * 1000.0f) {
        alarm = 1;
    }
    sim_imd_channel(&r[1000], rf, alarm, test, 2, validity, code);
    sim_imd_channel(&r[1008], d->voltage_v, 0, test, 4, 0, 76);
    sim_imd_channel(&r[1016], d->l1e_v, 0, test, 4, 0, 76);
    sim_imd_channel(&r[1020], d->l2e_v, 0, test, 4, 0, 76);
    r[9821] = d->fw_version;
}

static void sim_imd_dold_regs(struct sim_imd_dev *d)
{
    uint16_t *in = d->slave.input;
    const uint16_t *h = d->slave.holding;
    uint16_t fault = sim_imd_dev_dold_fault(d);
    uint16_t state;
    if (d->testing) {
        state = 3;
    } else if (fault != 0) {
        state = 2;
    } else if (d->ctrl & 0x0100u) {
        state = 5;
    } else if (d->resistance_ohm < (float)h[2005] * 1000.0f) {
        state = 6;
    } else if (d->resistance_ohm < (float)h[2006] * 1000.0f) {
        state = 7;
    } else {
        state = 1;
    }
    in[0] = fault;
    in[1] = state;
    in[2000] = d->resistance_ohm >= 2.0e6f ? 0xFFFFu : (uint16_t)(d->resistance_ohm / 100.0f);
    in[2001] = in[2000];
    in[2002] = d->voltage_v < 0.0f ? 0xFFFFu : (uint16_t)d->voltage_v;
}

static void sim_imd_refresh(struct sim_imd_dev *d)
{
    if (d->kind == SIM_IMD_BENDER) {
        sim_imd_bender_regs(d);
    } else {
        sim_imd_dold_regs(d);
    }
}

uint16_t sim_imd_dev_dold_fault(const struct sim_imd_dev *d)
{
    return d->device_fault ? d->fault_code : 0u;
}

static void sim_imd_start_test(struct sim_imd_dev *d, uint32_t now_ms)
{
    if (!d->testing) {
        d->testing = true;
        d->tests_started++;
        d->test_end_ms = now_ms + d->test_ms;
    }
}

/* Every answered request is "heard"; a tripped Dold refuses writes except a reset. */
static uint8_t sim_imd_gate(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms)
{
    struct sim_imd_dev *d = s->ctx;
    d->last_heard_ms = now_ms;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    if (d->kind == SIM_IMD_DOLD && write && d->device_fault && d->fault_code == 9 &&
        !(req->addr == 0 && req->count == 1 && (req->regs[0] & 1u) != 0)) {
        d->refused_writes++;
        return 4; /* slave device failure */
    }
    return 0;
}

static void sim_imd_before_read(struct sim_mb_slave *s, uint32_t now_ms)
{
    (void)now_ms;
    sim_imd_refresh(s->ctx);
}

static void sim_imd_after_write(struct sim_mb_slave *s, uint16_t addr, uint16_t count, uint32_t now_ms)
{
    struct sim_imd_dev *d = s->ctx;
    const uint16_t *r = s->holding;
    if (d->kind == SIM_IMD_BENDER) {
        if (addr <= 3026 && addr + count > 3026) {
            d->enabled = r[3026] != 0;
        }
        if (addr == 8005 && r[8005] == 0x5445u) { /* "TE": test */
            sim_imd_start_test(d, now_ms);
        }
    } else if (addr == 0) {
        d->ctrl = r[0];
        if (r[0] & 1u) {
            d->resets++;
            if (!d->fault_latched || d->fault_code == 9) {
                d->device_fault = false;
                d->fault_code = 0;
            }
        }
        if (r[0] & 0x10u) {
            sim_imd_start_test(d, now_ms);
        }
    }
    sim_imd_refresh(d);
}

static const struct sim_mb_slave_ops s_sim_imd_ops = {
    .gate = sim_imd_gate,
    .before_read = sim_imd_before_read,
    .after_write = sim_imd_after_write,
};

void sim_imd_dev_init(struct sim_imd_dev *d, enum sim_imd_kind kind)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->resistance_ohm = 1.0e6f;
    d->voltage_v = 400.0f;
    d->l1e_v = 200.0f;
    d->l2e_v = -200.0f;
    d->test_ms = 5000;
    d->fw_version = 501;
    d->enabled = true;
    sim_mb_slave_init(&d->slave, kind == SIM_IMD_BENDER ? 3u : 1u, &s_sim_imd_ops, d);
    uint16_t *h = d->slave.holding;
    if (kind == SIM_IMD_BENDER) {
        sim_mb_put_string(h, 9800, 10, "isoCHA425HV");
        h[9820] = 425;
        h[3005] = 600; /* pre-alarm, kOhm */
        h[3007] = 400; /* alarm, kOhm */
    } else {
        d->slave.split_input = true;
        /* factory values that differ from the driver's defaults in 2005/2006 */
        static const uint16_t cfg[11] = {1, 0, 0, 2, 77, 50, 100, 1, 8, 8, 0};
        memcpy(&h[2000], cfg, sizeof cfg);
    }
    sim_imd_refresh(d);
}

void sim_imd_dev_tick(struct sim_imd_dev *d, uint32_t now_ms)
{
    d->now_ms = now_ms;
    if (d->testing && (int32_t)(now_ms - d->test_end_ms) >= 0) {
        d->testing = false;
        if (d->test_fails) {
            d->device_fault = true;
            d->fault_code = 3;
        }
    }
    /* Modbus watchdog: nothing heard from the master within the timeout -> fault 9. */
    if (d->kind == SIM_IMD_DOLD && d->slave.holding[1] == 1) {
        uint32_t timeout = d->slave.holding[2];
        if (timeout > 0 && now_ms - d->last_heard_ms > timeout && !d->device_fault) {
            d->device_fault = true;
            d->fault_code = 9;
            d->wd_trips++;
        }
    }
    sim_imd_refresh(d);
}
