#include "linux_modbus.h"

#include <errno.h>
#include <modbus/modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "linux_errno.h"

/* libmodbus reports exceptions as MODBUS_ENOBASE + code and its own framing errors
 * above that; everything else is a system errno. */
static int linux_modbus_err(int e, uint8_t *exception)
{
    *exception = 0;
    if (e >= (int)MODBUS_ENOBASE + 1 && e <= (int)MODBUS_ENOBASE + 11) {
        *exception = (uint8_t)(e - (int)MODBUS_ENOBASE);
        return HAL_EPROTO;
    }
    if (e == EMBBADCRC || e == EMBBADDATA || e == EMBBADEXC || e == EMBMDATA ||
        e == EMBBADSLAVE || e == EMBUNKEXC) {
        return HAL_EPROTO;
    }
    if (e == ETIMEDOUT) {
        return HAL_ETIMEDOUT;
    }
    int rc = linux_errno_to_hal(e);
    return rc == HAL_EAGAIN ? HAL_EIO : rc;
}

static void linux_modbus_disconnect(struct linux_modbus *mb)
{
    if (mb->connected) {
        modbus_close(mb->ctx);
        mb->connected = false;
    }
}

/* One PDU with its retries. Runs on the worker; touches only the request copy and
 * the caller's buffer, which the contract keeps valid until completion. */
static int linux_modbus_pdu(struct linux_modbus *mb, const struct hal_modbus_req *rq,
                            uint16_t addr, uint16_t count, uint16_t *regs, uint8_t *exception)
{
    int rc = HAL_EIO;
    uint32_t to = rq->timeout_ms != 0 ? rq->timeout_ms : mb->cfg.timeout_ms;
    for (unsigned attempt = 0; attempt <= rq->retries; attempt++) {
        if (!mb->connected) {
            if (modbus_connect(mb->ctx) != 0) {
                rc = linux_modbus_err(errno, exception);
                rc = rc == HAL_ETIMEDOUT ? HAL_ETIMEDOUT : HAL_EIO;
                continue;
            }
            mb->connected = true;
            pthread_mutex_lock(&mb->mu);
            mb->stats.reconnects++;
            pthread_mutex_unlock(&mb->mu);
        }
        modbus_set_slave(mb->ctx, rq->unit);
        modbus_set_response_timeout(mb->ctx, to / 1000u, (to % 1000u) * 1000u);
        if (mb->cfg.kind == LINUX_MODBUS_RTU) {
            /* RTU has no transaction id: nothing may be waiting on the line before we ask.
             * A reply that came after its timeout (a device that stalled and caught up,
             * found by real-meter-silent-charging) would otherwise be read as this answer,
             * and every later answer would be one behind. */
            modbus_flush(mb->ctx);
        }
        int n;
        switch (rq->fn) {
        case HAL_MODBUS_READ_HOLDING:
            n = modbus_read_registers(mb->ctx, addr, count, regs);
            break;
        case HAL_MODBUS_READ_INPUT:
            n = modbus_read_input_registers(mb->ctx, addr, count, regs);
            break;
        case HAL_MODBUS_WRITE_SINGLE:
            n = modbus_write_register(mb->ctx, addr, regs[0]);
            break;
        case HAL_MODBUS_WRITE_MULTIPLE:
            n = modbus_write_registers(mb->ctx, addr, count, regs);
            break;
        default:
            n = -1;
            errno = EINVAL;
            break;
        }
        int e = errno;
        pthread_mutex_lock(&mb->mu);
        mb->stats.pdus++;
        pthread_mutex_unlock(&mb->mu);
        if (n >= 0) {
            *exception = 0;
            return HAL_OK;
        }
        rc = linux_modbus_err(e, exception);
        pthread_mutex_lock(&mb->mu);
        mb->stats.timeouts += rc == HAL_ETIMEDOUT ? 1u : 0u;
        mb->stats.exceptions += *exception != 0 ? 1u : 0u;
        pthread_mutex_unlock(&mb->mu);
        if (*exception != 0) {
            return rc; /* the slave answered: repeating the question changes nothing */
        }
        if (mb->cfg.kind == LINUX_MODBUS_RTU) {
            modbus_flush(mb->ctx); /* a late reply must not be read as the next answer */
        } else if (rc != HAL_ETIMEDOUT || e == ECONNRESET || e == EPIPE) {
            linux_modbus_disconnect(mb);
        } else {
            /* TCP after a timeout: the stream may hold the late answer; reopen. */
            linux_modbus_disconnect(mb);
        }
    }
    return rc;
}

static void linux_modbus_run(struct linux_modbus *mb, const struct hal_modbus_req *rq,
                             struct hal_modbus_result *res)
{
    uint16_t max = rq->fn == HAL_MODBUS_WRITE_MULTIPLE ? (uint16_t)HAL_MODBUS_MAX_WRITE_PDU
                   : rq->fn == HAL_MODBUS_WRITE_SINGLE ? 1u
                                                       : (uint16_t)HAL_MODBUS_MAX_READ_PDU;
    uint16_t done = 0;
    res->status = HAL_OK;
    res->exception = 0;
    while (done < rq->count && res->status == HAL_OK) {
        uint16_t n = (uint16_t)(rq->count - done < max ? rq->count - done : max);
        res->status = linux_modbus_pdu(mb, rq, (uint16_t)(rq->addr + done), n, rq->regs + done,
                                       &res->exception);
        done = (uint16_t)(done + n);
    }
}

static void *linux_modbus_worker(void *arg)
{
    struct linux_modbus *mb = arg;
    pthread_mutex_lock(&mb->mu);
    for (;;) {
        while (!mb->pending && !mb->stop) {
            pthread_cond_wait(&mb->cv, &mb->mu);
        }
        if (mb->stop) {
            break;
        }
        struct hal_modbus_req rq = mb->req;
        mb->pending = false;
        pthread_mutex_unlock(&mb->mu);

        struct hal_modbus_result res;
        linux_modbus_run(mb, &rq, &res);

        pthread_mutex_lock(&mb->mu);
        mb->res = res;
        mb->done = true;
        mb->stats.requests++;
        uint64_t one = 1;
        ssize_t w = write(mb->efd, &one, sizeof one);
        (void)w; /* an eventfd write only fails on counter overflow: still readable */
    }
    pthread_mutex_unlock(&mb->mu);
    linux_modbus_disconnect(mb);
    return NULL;
}

static int linux_modbus_submit(struct hal_modbus *base, const struct hal_modbus_req *req)
{
    struct linux_modbus *mb = (struct linux_modbus *)base;
    if (req == NULL || req->count == 0 || req->unit > 247 || req->regs == NULL) {
        return HAL_EINVAL;
    }
    switch (req->fn) {
    case HAL_MODBUS_READ_HOLDING:
    case HAL_MODBUS_READ_INPUT:
        if (req->unit == 0) {
            return HAL_EINVAL; /* nobody answers a broadcast read */
        }
        break;
    case HAL_MODBUS_WRITE_SINGLE:
        if (req->count != 1) {
            return HAL_EINVAL;
        }
        break;
    case HAL_MODBUS_WRITE_MULTIPLE:
        break;
    default:
        return HAL_EINVAL;
    }
    if ((uint32_t)req->addr + req->count > 0x10000u) {
        return HAL_EINVAL;
    }
    pthread_mutex_lock(&mb->mu);
    if (mb->busy) {
        pthread_mutex_unlock(&mb->mu);
        return HAL_EBUSY;
    }
    mb->req = *req;
    mb->busy = true;
    mb->pending = true;
    mb->done = false;
    pthread_cond_signal(&mb->cv);
    pthread_mutex_unlock(&mb->mu);
    return HAL_OK;
}

static int linux_modbus_poll(struct hal_modbus *base, struct hal_modbus_result *result)
{
    struct linux_modbus *mb = (struct linux_modbus *)base;
    pthread_mutex_lock(&mb->mu);
    int rc;
    if (!mb->busy) {
        rc = HAL_ESTATE;
    } else if (!mb->done) {
        rc = HAL_EAGAIN;
    } else {
        uint64_t v;
        ssize_t r = read(mb->efd, &v, sizeof v); /* clear the wake-up */
        (void)r;
        *result = mb->res;
        mb->busy = false;
        mb->done = false;
        rc = HAL_OK;
    }
    pthread_mutex_unlock(&mb->mu);
    return rc;
}

static const struct hal_modbus_ops s_linux_modbus_ops = {
    .submit = linux_modbus_submit,
    .poll = linux_modbus_poll,
};

static int linux_modbus_number(const char *s, char **end, unsigned long lo, unsigned long hi,
                               unsigned long *out)
{
    errno = 0;
    unsigned long v = strtoul(s, end, 10);
    if (*end == s || errno != 0 || v < lo || v > hi) {
        return HAL_EINVAL;
    }
    *out = v;
    return HAL_OK;
}

int linux_modbus_parse(const char *spec, enum linux_modbus_kind kind_hint,
                       struct linux_modbus_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind_hint;
    cfg->baud = 9600;
    cfg->parity = 'N';
    cfg->data_bits = 8;
    cfg->stop_bits = 1;
    cfg->port = 502;
    cfg->timeout_ms = 500;
    if (strncmp(spec, "rtu:", 4) == 0) {
        cfg->kind = LINUX_MODBUS_RTU;
        spec += 4;
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        cfg->kind = LINUX_MODBUS_TCP;
        spec += 4;
    }
    if (cfg->kind != LINUX_MODBUS_RTU && cfg->kind != LINUX_MODBUS_TCP) {
        return HAL_EINVAL;
    }
    const char *sep = strchr(spec, cfg->kind == LINUX_MODBUS_RTU ? ',' : ':');
    if (cfg->kind == LINUX_MODBUS_TCP) {
        sep = strrchr(spec, ':');
    }
    size_t len = sep != NULL ? (size_t)(sep - spec) : strlen(spec);
    if (len == 0 || len >= sizeof cfg->device) {
        return HAL_EINVAL;
    }
    memcpy(cfg->device, spec, len);
    cfg->device[len] = '\0';
    if (sep == NULL) {
        return HAL_OK;
    }
    char *end = NULL;
    unsigned long v;
    if (linux_modbus_number(sep + 1, &end, 1,
                            cfg->kind == LINUX_MODBUS_TCP ? 65535ul : 4000000ul, &v) != HAL_OK) {
        return HAL_EINVAL;
    }
    if (cfg->kind == LINUX_MODBUS_TCP) {
        cfg->port = (uint16_t)v;
        return *end == '\0' ? HAL_OK : HAL_EINVAL;
    }
    cfg->baud = (uint32_t)v;
    if (*end == '\0') {
        return HAL_OK;
    }
    /* ",8N1" style framing */
    if (end[0] != ',' || (end[1] != '7' && end[1] != '8') ||
        strchr("NEO", end[2]) == NULL || end[2] == '\0' || (end[3] != '1' && end[3] != '2') ||
        end[4] != '\0') {
        return HAL_EINVAL;
    }
    cfg->data_bits = (uint8_t)(end[1] - '0');
    cfg->parity = end[2];
    cfg->stop_bits = (uint8_t)(end[3] - '0');
    return HAL_OK;
}

int linux_modbus_init(struct linux_modbus *mb, const struct linux_modbus_config *cfg)
{
    memset(mb, 0, sizeof *mb);
    mb->efd = -1;
    mb->base.ops = &s_linux_modbus_ops;
    mb->cfg = *cfg;
    if (mb->cfg.timeout_ms == 0) {
        mb->cfg.timeout_ms = 500;
    }
    if (cfg->kind == LINUX_MODBUS_RTU) {
        if (cfg->baud == 0 || strchr("NEO", cfg->parity) == NULL || cfg->parity == '\0' ||
            (cfg->data_bits != 7 && cfg->data_bits != 8) ||
            (cfg->stop_bits != 1 && cfg->stop_bits != 2)) {
            return HAL_EINVAL;
        }
        mb->ctx = modbus_new_rtu(cfg->device, (int)cfg->baud, cfg->parity, cfg->data_bits,
                                 cfg->stop_bits);
    } else if (cfg->kind == LINUX_MODBUS_TCP) {
        if (cfg->port == 0) {
            return HAL_EINVAL;
        }
        char port[8];
        snprintf(port, sizeof port, "%u", (unsigned)cfg->port);
        mb->ctx = modbus_new_tcp_pi(cfg->device, port);
    } else {
        return HAL_EINVAL;
    }
    if (mb->ctx == NULL) {
        return HAL_EIO;
    }
    mb->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (mb->efd < 0) {
        modbus_free(mb->ctx);
        mb->ctx = NULL;
        return HAL_EIO;
    }
    pthread_mutex_init(&mb->mu, NULL);
    pthread_cond_init(&mb->cv, NULL);
    if (pthread_create(&mb->thread, NULL, linux_modbus_worker, mb) != 0) {
        close(mb->efd);
        mb->efd = -1;
        modbus_free(mb->ctx);
        mb->ctx = NULL;
        return HAL_EIO;
    }
    mb->started = true;
    return HAL_OK;
}

int linux_modbus_fd(const struct linux_modbus *mb)
{
    return mb->efd;
}

struct linux_modbus_stats linux_modbus_get_stats(struct linux_modbus *mb)
{
    pthread_mutex_lock(&mb->mu);
    struct linux_modbus_stats s = mb->stats;
    pthread_mutex_unlock(&mb->mu);
    return s;
}

void linux_modbus_close(struct linux_modbus *mb)
{
    if (mb->started) {
        pthread_mutex_lock(&mb->mu);
        mb->stop = true;
        pthread_cond_signal(&mb->cv);
        pthread_mutex_unlock(&mb->mu);
        pthread_join(mb->thread, NULL);
        pthread_cond_destroy(&mb->cv);
        pthread_mutex_destroy(&mb->mu);
        mb->started = false;
    }
    if (mb->ctx != NULL) {
        modbus_free(mb->ctx);
        mb->ctx = NULL;
    }
    if (mb->efd >= 0) {
        close(mb->efd);
        mb->efd = -1;
    }
}
