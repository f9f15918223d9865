#include "fake_imd.h"

#include <string.h>

#include "imd/imd.h"

static void fake_imd_channel(uint16_t *w, float v, uint8_t alarm, uint8_t test, uint8_t unit,
                             uint8_t validity, uint16_t code)
{
    imd_put_float_hi_first(w, v);
    w[2] = (uint16_t)((uint16_t)((alarm & 7u) | (uint8_t)(test << 6)) << 8 |
                      (uint16_t)((unit & 0x1fu) | (uint8_t)(validity << 6)));
    w[3] = code;
}

static void fake_imd_bender_regs(struct fake_imd *d)
{
    uint16_t *r = d->mb->regs;
    float rf = d->rf_nan ? (float)(0.0 / 0.0) : d->resistance_ohm;
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
    fake_imd_channel(&r[1000], rf, alarm, test, 2, validity, code);
    if (d->rf_status_override != 0) {
        r[1002] = d->rf_status_override;
    }
    fake_imd_channel(&r[1008], d->voltage_v, 0, test, 4, 0, 76);
    fake_imd_channel(&r[1016], d->l1e_v, 0, test, 4, 0, 76);
    fake_imd_channel(&r[1020], d->l2e_v, 0, test, 4, 0, 76);
}

static void fake_imd_dold_regs(struct fake_imd *d)
{
    uint16_t *in = d->mb->input;
    uint16_t *h = d->mb->regs;
    uint16_t fault = fake_imd_dold_fault(d);
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
    in[1] = d->state_override != 0 ? d->state_override : state;
    in[2000] = d->resistance_ohm >= 2.0e6f ? 0xFFFFu : (uint16_t)(d->resistance_ohm / 100.0f);
    in[2001] = in[2000];
    in[2002] = d->voltage_v < 0.0f ? 0xFFFFu : (uint16_t)d->voltage_v;
}

static void fake_imd_refresh(struct fake_imd *d)
{
    if (d->kind == FAKE_IMD_BENDER) {
        fake_imd_bender_regs(d);
    } else {
        fake_imd_dold_regs(d);
    }
}

uint16_t fake_imd_dold_fault(const struct fake_imd *d)
{
    return d->device_fault ? d->fault_code : 0u;
}

/* Every answered request is "heard"; a tripped Dold refuses writes except a reset. */
static uint8_t fake_imd_gate(struct fake_modbus *f, const struct hal_modbus_req *req)
{
    struct fake_imd *d = f->ctx;
    d->last_heard_ms = d->now_ms;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    if (d->kind == FAKE_IMD_DOLD && write && d->device_fault && d->fault_code == 9 &&
        !(req->addr == 0 && req->count == 1 && (req->regs[0] & 1u) != 0)) {
        d->refused_writes++;
        return 4;
    }
    return 0;
}

static void fake_imd_on_read(struct fake_modbus *f, uint16_t addr, uint16_t count)
{
    (void)addr;
    (void)count;
    fake_imd_refresh(f->ctx);
}

static void fake_imd_on_write(struct fake_modbus *f, uint16_t addr, uint16_t count)
{
    struct fake_imd *d = f->ctx;
    uint16_t *r = f->regs;
    if (d->kind == FAKE_IMD_BENDER) {
        if (addr >= 3000 && addr <= 3028) {
            d->config_writes++;
        }
        if (addr <= 3026 && addr + count > 3026) {
            d->enabled = r[3026] != 0;
        }
        if (addr == 8005 && r[8005] == 0x5445u && !d->test_ignored && !d->testing) {
            d->testing = true;
            d->tests_started++;
            d->test_end_ms = d->now_ms + d->test_ms;
        }
    } else {
        if (addr == 0) {
            d->ctrl = r[0];
            if (r[0] & 1u) {
                d->resets++;
                if (!d->fault_latched || d->fault_code == 9) {
                    d->device_fault = false;
                    d->fault_code = 0;
                }
            }
            if ((r[0] & 0x10u) && !d->test_ignored && !d->testing) {
                d->testing = true;
                d->tests_started++;
                d->test_end_ms = d->now_ms + d->test_ms;
            }
        }
        if (addr == 2000 && count == 11) {
            d->eeprom_writes++;
        }
    }
    fake_imd_refresh(d);
}

void fake_imd_init(struct fake_imd *d, struct fake_modbus *mb, enum fake_imd_kind kind)
{
    memset(d, 0, sizeof *d);
    d->mb = mb;
    d->kind = kind;
    d->resistance_ohm = 1.0e6f;
    d->voltage_v = 400.0f;
    d->l1e_v = 200.0f;
    d->l2e_v = -200.0f;
    d->test_ms = 5000;
    d->fw_version = 501;
    d->enabled = true;
    mb->ctx = d;
    mb->on_write = fake_imd_on_write;
    mb->on_read = fake_imd_on_read;
    mb->gate = fake_imd_gate;
    if (kind == FAKE_IMD_BENDER) {
        mb->unit = 3;
        fake_modbus_put_string(mb, 9800, 10, "isoCHA425HV");
        mb->regs[9820] = 425;
        mb->regs[9821] = d->fw_version;
        mb->regs[3005] = 600;
        mb->regs[3007] = 400;
    } else {
        mb->unit = 1;
        mb->split_input = true;
        /* factory values that differ from the driver's defaults in 2005/2006 */
        static const uint16_t cfg[11] = {1, 0, 0, 2, 77, 50, 100, 1, 8, 8, 0};
        memcpy(&mb->regs[2000], cfg, sizeof cfg);
    }
    fake_imd_refresh(d);
}

void fake_imd_tick(struct fake_imd *d, uint32_t now_ms)
{
    d->now_ms = now_ms;
    if (d->kind == FAKE_IMD_BENDER) {
        d->mb->regs[9821] = d->fw_version;
    }
    if (d->testing && !d->test_hangs && (int32_t)(now_ms - d->test_end_ms) >= 0) {
        d->testing = false;
        if (d->test_fails) {
            d->device_fault = true;
            d->fault_code = 3;
        }
    }
    /* Modbus watchdog: nothing heard from the master within the timeout -> fault 9. */
    if (d->kind == FAKE_IMD_DOLD && d->mb->regs[1] == 1) {
        uint32_t timeout = d->mb->regs[2];
        if (timeout > 0 && now_ms - d->last_heard_ms > timeout && !d->device_fault) {
            d->device_fault = true;
            d->fault_code = 9;
            d->wd_trips++;
        }
    }
    fake_imd_refresh(d);
}
