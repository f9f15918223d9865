#include "imd/imd.h"

#include <string.h>

#include "hal_clock.h"

void imd_bus_init(struct imd_bus *b, struct hal_modbus *mb, uint8_t unit, uint32_t timeout_ms,
                  uint8_t attempts, uint32_t retry_delay_ms)
{
    memset(b, 0, sizeof *b);
    b->mb = mb;
    b->unit = unit;
    b->timeout_ms = timeout_ms;
    b->attempts = attempts;
    b->retry_delay_ms = retry_delay_ms;
}

void imd_bus_request(struct imd_bus *b, enum hal_modbus_fn fn, uint16_t addr, uint16_t count,
                     uint16_t *regs, uint32_t not_before_ms)
{
    b->req = (struct hal_modbus_req){
        .unit = b->unit,
        .fn = fn,
        .addr = addr,
        .count = count,
        .regs = regs,
        .timeout_ms = b->timeout_ms,
        .retries = 0, /* attempts are counted here, so the worst case is known */
    };
    b->active = true;
    b->in_flight = false;
    b->attempt = 0;
    b->exception = 0;
    b->wait_until_ms = not_before_ms;
}

int imd_bus_step(struct imd_bus *b, uint32_t now_ms)
{
    if (!b->active) {
        return HAL_ESTATE;
    }
    if (b->in_flight) {
        struct hal_modbus_result r = {0};
        int rc = hal_modbus_poll(b->mb, &r);
        if (rc == HAL_EAGAIN) {
            return HAL_EAGAIN;
        }
        b->in_flight = false;
        if (rc != HAL_OK) {
            r.status = rc;
            r.exception = 0;
        }
        if (r.status == HAL_OK) {
            b->active = false;
            b->requests++;
            return HAL_OK;
        }
        /* An exception is an answer: asking again gives the same one. */
        if (r.exception == 0 && (uint8_t)(b->attempt + 1u) < b->attempts) {
            b->attempt++;
            b->wait_until_ms = now_ms + b->retry_delay_ms;
            return HAL_EAGAIN;
        }
        b->active = false;
        b->failures++;
        b->exception = r.exception;
        return r.status;
    }
    if (!hal_time_reached(now_ms, b->wait_until_ms)) {
        return HAL_EAGAIN;
    }
    int rc = hal_modbus_submit(b->mb, &b->req);
    if (rc == HAL_OK) {
        b->in_flight = true;
        return HAL_EAGAIN;
    }
    if (rc == HAL_EBUSY) {
        b->wait_until_ms = now_ms + IMD_BUSY_RETRY_MS;
        return HAL_EAGAIN;
    }
    b->active = false;
    b->failures++;
    b->exception = 0;
    return rc;
}

uint8_t imd_bus_exception(const struct imd_bus *b)
{
    return b->exception;
}

uint32_t imd_bus_next(const struct imd_bus *b, uint32_t now_ms)
{
    if (b->in_flight) {
        return now_ms + IMD_INFLIGHT_BACKSTOP_MS;
    }
    return hal_time_diff(b->wait_until_ms, now_ms) < 0 ? now_ms : b->wait_until_ms;
}

bool imd_bus_active(const struct imd_bus *b)
{
    return b->active;
}

float imd_float_hi_first(const uint16_t *w)
{
    uint32_t u = (uint32_t)w[0] << 16 | w[1];
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void imd_put_float_hi_first(uint16_t *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    w[0] = (uint16_t)(u >> 16);
    w[1] = (uint16_t)(u & 0xffffu);
}

const char *imd_error_name(enum imd_error e)
{
    switch (e) {
    case IMD_ERR_NONE:
        return "none";
    case IMD_ERR_COMM:
        return "no answer from the device";
    case IMD_ERR_EXCEPTION:
        return "the device refused a request (Modbus exception)";
    case IMD_ERR_DEVICE:
        return "device fault";
    case IMD_ERR_MALFORMED:
        return "malformed value in a reply";
    }
    return "unknown";
}

const char *imd_test_name(enum imd_test t)
{
    switch (t) {
    case IMD_TEST_NONE:
        return "none";
    case IMD_TEST_RUNNING:
        return "running";
    case IMD_TEST_PASSED:
        return "passed";
    case IMD_TEST_FAILED:
        return "failed";
    }
    return "unknown";
}

const char *imd_test_fail_name(enum imd_test_fail f)
{
    switch (f) {
    case IMD_TF_NONE:
        return "none";
    case IMD_TF_TIMEOUT:
        return "timeout";
    case IMD_TF_DEVICE:
        return "device error";
    case IMD_TF_COMM:
        return "no answer";
    }
    return "unknown";
}
