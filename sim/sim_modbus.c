/* The in-memory Modbus bus of the simulation layer: owns the request in flight, its due
 * time, and the dispatch to the slave models by unit id (sim_modbus.h). */
#include "sim_modbus.h"

#include <string.h>

#include "hal_clock.h"

static struct sim_modbus *sim_modbus_of(struct hal_modbus *base)
{
    return (struct sim_modbus *)base;
}

static struct sim_mb_slave *sim_modbus_find(struct sim_modbus *b, uint8_t unit)
{
    for (unsigned i = 0; i < b->nslaves; i++) {
        if (b->slave[i]->unit == unit) {
            return b->slave[i];
        }
    }
    return NULL;
}

/* Whether the request in flight would be answered: a present, listening device. */
static bool sim_modbus_answers(struct sim_modbus *b, const struct hal_modbus_req *req)
{
    const struct sim_mb_slave *s = sim_modbus_find(b, req->unit);
    return s != NULL && !s->silent;
}

static int sim_modbus_submit(struct hal_modbus *base, const struct hal_modbus_req *req)
{
    struct sim_modbus *b = sim_modbus_of(base);
    if (b->busy) {
        b->stats.busy++;
        return HAL_EBUSY;
    }
    bool read = req->fn == HAL_MODBUS_READ_HOLDING || req->fn == HAL_MODBUS_READ_INPUT;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    if (req->count == 0 || req->unit > 247 || (!read && !write) || (read && req->unit == 0) ||
        (req->fn == HAL_MODBUS_WRITE_SINGLE && req->count != 1) ||
        (uint32_t)req->addr + req->count > SIM_MB_REGS || req->regs == NULL) {
        return HAL_EINVAL;
    }
    b->busy = true;
    b->lost = false;
    b->req = *req;
    b->submit_ms = b->now_ms;
    b->stats.requests++;
    if (sim_modbus_answers(b, req)) {
        b->due_ms = b->now_ms + b->latency_ms;
    } else {
        uint32_t t = req->timeout_ms != 0 ? req->timeout_ms : SIM_MB_DEFAULT_TIMEOUT_MS;
        b->due_ms = b->now_ms + t * (1u + req->retries);
    }
    return HAL_OK;
}

static int sim_modbus_poll(struct hal_modbus *base, struct hal_modbus_result *res)
{
    struct sim_modbus *b = sim_modbus_of(base);
    if (!b->busy) {
        return HAL_ESTATE;
    }
    if (!hal_time_reached(b->now_ms, b->due_ms)) {
        return HAL_EAGAIN;
    }
    b->busy = false;
    res->exception = 0;
    /* Decided when it is due: a device that fell silent meanwhile never answered. */
    struct sim_mb_slave *s = sim_modbus_find(b, b->req.unit);
    if (s == NULL || s->silent || b->lost) {
        b->stats.timeouts++;
        res->status = HAL_ETIMEDOUT;
        return HAL_OK;
    }
    uint8_t exc = sim_mb_slave_serve(s, &b->req, b->now_ms);
    if (exc == SIM_MB_NO_ANSWER) {
        /* The master waits its whole timeout for an answer that never comes. */
        uint32_t t = b->req.timeout_ms != 0 ? b->req.timeout_ms : SIM_MB_DEFAULT_TIMEOUT_MS;
        b->busy = true;
        b->lost = true;
        b->due_ms = b->submit_ms + t * (1u + b->req.retries);
        return HAL_EAGAIN;
    }
    if (exc != 0) {
        b->stats.exceptions++;
        res->status = HAL_EPROTO;
        res->exception = exc;
        return HAL_OK;
    }
    b->stats.answered++;
    res->status = HAL_OK;
    return HAL_OK;
}

static const struct hal_modbus_ops s_sim_modbus_ops = {
    .submit = sim_modbus_submit,
    .poll = sim_modbus_poll,
};

void sim_modbus_init(struct sim_modbus *b, uint32_t latency_ms)
{
    memset(b, 0, sizeof *b);
    b->base.ops = &s_sim_modbus_ops;
    b->latency_ms = latency_ms;
}

int sim_modbus_attach(struct sim_modbus *b, struct sim_mb_slave *s)
{
    if (sim_modbus_find(b, s->unit) != NULL) {
        return HAL_EINVAL;
    }
    if (b->nslaves >= SIM_MB_SLAVES) {
        return HAL_ENOMEM;
    }
    b->slave[b->nslaves++] = s;
    return HAL_OK;
}

void sim_modbus_tick(struct sim_modbus *b, uint32_t now_ms)
{
    b->now_ms = now_ms;
}

void sim_mb_slave_init(struct sim_mb_slave *s, uint8_t unit, const struct sim_mb_slave_ops *ops,
                       void *ctx)
{
    memset(s, 0, sizeof *s);
    s->unit = unit;
    s->ops = ops;
    s->ctx = ctx;
}

uint8_t sim_mb_slave_serve(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms)
{
    if ((uint32_t)req->addr + req->count > SIM_MB_REGS) {
        return 2; /* illegal data address */
    }
    if (s->ops != NULL && s->ops->gate != NULL) {
        uint8_t exc = s->ops->gate(s, req, now_ms);
        if (exc != 0) {
            return exc;
        }
    }
    bool read = req->fn == HAL_MODBUS_READ_HOLDING || req->fn == HAL_MODBUS_READ_INPUT;
    if (read) {
        if (s->ops != NULL && s->ops->before_read != NULL) {
            s->ops->before_read(s, now_ms);
        }
        const uint16_t *map = req->fn == HAL_MODBUS_READ_INPUT && s->split_input ? s->input : s->holding;
        memcpy(req->regs, map + req->addr, (size_t)req->count * 2u);
        return 0;
    }
    memcpy(s->holding + req->addr, req->regs, (size_t)req->count * 2u);
    if (s->ops != NULL && s->ops->after_write != NULL) {
        s->ops->after_write(s, req->addr, req->count, now_ms);
    }
    return 0;
}

void sim_mb_put_string(uint16_t *regs, uint16_t addr, uint16_t words, const char *str)
{
    size_t len = strlen(str);
    for (uint16_t i = 0; i < words; i++) {
        uint8_t hi = 2u * i < len ? (uint8_t)str[2u * i] : 0u;
        uint8_t lo = 2u * i + 1u < len ? (uint8_t)str[2u * i + 1u] : 0u;
        regs[(uint16_t)(addr + i)] = (uint16_t)(hi << 8 | lo);
    }
}
