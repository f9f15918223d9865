#include "fake_modbus.h"

#include <string.h>

static int fake_modbus_submit(struct hal_modbus *base, const struct hal_modbus_req *req)
{
    struct fake_modbus *f = (struct fake_modbus *)base;
    if (f->busy) {
        f->submits_busy++;
        return HAL_EBUSY;
    }
    if (req->count == 0 || req->unit > 247 ||
        (req->fn == HAL_MODBUS_WRITE_SINGLE && req->count != 1) ||
        (uint32_t)req->addr + req->count > 0x10000u) {
        return HAL_EINVAL;
    }
    f->busy = true;
    f->req = *req;
    f->polls_left = f->latency_polls;
    if (f->nlog < FAKE_MODBUS_LOG) {
        f->log[f->nlog++] = (struct fake_modbus_entry){
            .fn = req->fn,
            .unit = req->unit,
            .addr = req->addr,
            .count = req->count,
            .first = req->regs[0],
            .timeout_ms = req->timeout_ms,
            .retries = req->retries,
        };
    }
    return HAL_OK;
}

static int fake_modbus_poll(struct hal_modbus *base, struct hal_modbus_result *res)
{
    struct fake_modbus *f = (struct fake_modbus *)base;
    if (!f->busy) {
        return HAL_ESTATE;
    }
    if (f->polls_left > 0) {
        f->polls_left--;
        return HAL_EAGAIN;
    }
    f->busy = false;
    const struct hal_modbus_req *r = &f->req;
    res->exception = 0;
    if (f->offline || r->unit != f->unit || f->timeouts_next > 0) {
        if (f->timeouts_next > 0) {
            f->timeouts_next--;
        }
        res->status = HAL_ETIMEDOUT;
        return HAL_OK;
    }
    if (f->bad_replies_next > 0) {
        f->bad_replies_next--;
        res->status = HAL_EPROTO;
        return HAL_OK;
    }
    if (f->gate != NULL) {
        uint8_t exc = f->gate(f, r);
        if (exc != 0) {
            res->status = HAL_EPROTO;
            res->exception = exc;
            return HAL_OK;
        }
    }
    bool read = r->fn == HAL_MODBUS_READ_HOLDING || r->fn == HAL_MODBUS_READ_INPUT;
    uint32_t end = (uint32_t)r->addr + r->count;
    if ((f->exc_code != 0 && r->addr < (uint32_t)f->exc_addr + f->exc_count &&
         end > f->exc_addr) ||
        (read && f->reject_read_over != 0 && r->count > f->reject_read_over)) {
        res->status = HAL_EPROTO;
        res->exception = f->exc_code != 0 ? f->exc_code : 3;
        return HAL_OK;
    }
    if (end > FAKE_MODBUS_REGS) {
        res->status = HAL_EPROTO;
        res->exception = 2; /* illegal data address */
        return HAL_OK;
    }
    if (read && f->on_read != NULL) {
        f->on_read(f, r->addr, r->count);
    }
    if (read && f->split_input && r->fn == HAL_MODBUS_READ_INPUT) {
        memcpy(r->regs, f->input + r->addr, (size_t)r->count * 2u);
    } else if (read) {
        memcpy(r->regs, f->regs + r->addr, (size_t)r->count * 2u);
    } else {
        memcpy(f->regs + r->addr, r->regs, (size_t)r->count * 2u);
        if (f->on_write != NULL) {
            f->on_write(f, r->addr, r->count);
        }
    }
    res->status = HAL_OK;
    return HAL_OK;
}

static const struct hal_modbus_ops s_fake_modbus_ops = {
    .submit = fake_modbus_submit,
    .poll = fake_modbus_poll,
};

void fake_modbus_init(struct fake_modbus *f)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &s_fake_modbus_ops;
    f->unit = 1;
}

int fake_modbus_find(const struct fake_modbus *f, enum hal_modbus_fn fn, uint16_t addr,
                     uint32_t from)
{
    for (uint32_t i = from; i < f->nlog; i++) {
        if (f->log[i].fn == fn && f->log[i].addr == addr) {
            return (int)i;
        }
    }
    return -1;
}

uint32_t fake_modbus_count(const struct fake_modbus *f, enum hal_modbus_fn fn, uint16_t addr)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->nlog; i++) {
        const struct fake_modbus_entry *e = &f->log[i];
        if (e->fn == fn && addr >= e->addr && (uint32_t)addr < (uint32_t)e->addr + e->count) {
            n++;
        }
    }
    return n;
}

void fake_modbus_put_string(struct fake_modbus *f, uint16_t addr, uint16_t words, const char *s)
{
    size_t len = strlen(s);
    for (uint16_t i = 0; i < words; i++) {
        uint8_t hi = 2u * i < len ? (uint8_t)s[2u * i] : 0u;
        uint8_t lo = 2u * i + 1u < len ? (uint8_t)s[2u * i + 1u] : 0u;
        f->regs[(uint16_t)(addr + i)] = (uint16_t)(hi << 8 | lo);
    }
}
