/* The input-driven Modbus port of the fuzz harnesses (see fuzz_modbus.h). */
#include "fuzz_modbus.h"

#include <stdlib.h>
#include <string.h>

uint8_t fuzz_modbus_byte(struct fuzz_modbus *f)
{
    if (f->left == 0) {
        return 0;
    }
    f->left--;
    return *f->in++;
}

static int fuzz_modbus_submit(struct hal_modbus *mb, const struct hal_modbus_req *req)
{
    struct fuzz_modbus *f = (struct fuzz_modbus *)mb;
    bool read = req->fn == HAL_MODBUS_READ_HOLDING || req->fn == HAL_MODBUS_READ_INPUT;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    if (f->busy) {
        return HAL_EBUSY;
    }
    /* The port splits long requests into PDUs, so only these combinations are illegal. */
    if ((!read && !write) || req->count == 0 || req->regs == NULL ||
        (req->fn == HAL_MODBUS_WRITE_SINGLE && req->count != 1) || req->unit > 247 ||
        (read && req->unit == 0)) {
        abort(); /* the driver broke the HAL contract */
    }
    f->req = *req;
    f->busy = true;
    f->submits++;
    return HAL_OK;
}

static int fuzz_modbus_poll(struct hal_modbus *mb, struct hal_modbus_result *res)
{
    struct fuzz_modbus *f = (struct fuzz_modbus *)mb;
    if (!f->busy) {
        return HAL_ESTATE;
    }
    uint8_t how = fuzz_modbus_byte(f);
    memset(res, 0, sizeof *res);
    switch (how & 7u) {
    case 0:
        return HAL_EAGAIN; /* still on the wire */
    case 1:
        res->status = HAL_ETIMEDOUT;
        break;
    case 2:
        res->status = HAL_EPROTO;
        res->exception = fuzz_modbus_byte(f);
        break;
    case 3:
        res->status = HAL_EPROTO; /* CRC error, short or mismatched reply */
        break;
    case 4:
        res->status = HAL_EIO;
        break;
    default:
        res->status = HAL_OK;
        if (f->req.fn == HAL_MODBUS_READ_HOLDING || f->req.fn == HAL_MODBUS_READ_INPUT) {
            for (uint16_t i = 0; i < f->req.count; i++) {
                uint8_t hi = fuzz_modbus_byte(f);
                f->req.regs[i] = (uint16_t)(hi << 8 | fuzz_modbus_byte(f));
            }
        }
        break;
    }
    f->busy = false;
    return HAL_OK;
}

static const struct hal_modbus_ops s_fuzz_modbus_ops = {
    .submit = fuzz_modbus_submit,
    .poll = fuzz_modbus_poll,
};

void fuzz_modbus_init(struct fuzz_modbus *f, const uint8_t *in, size_t len)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &s_fuzz_modbus_ops;
    f->in = in;
    f->left = len;
}
