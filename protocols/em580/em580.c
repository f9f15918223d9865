/* The EM580/EM300 driver's core: configuration, the step that talks to the bus (request in
 * flight, attempts, failure pause), detection of the model, key and an open transaction,
 * the periodic live, device-state and OCMF-state reads, and the published getters. The
 * caller's jobs (OCMF transaction, clock sync) are in em580_jobs.c, the register encoding
 * in em580_regs.c. */
#include "em580/em580.h"

#include <string.h>

#include "em580_priv.h"
#include "hal_clock.h"

/* Worst case of one request with its retries; the sheet wants it under 4.5 s so that a
 * meter reboot (about 6 s) shows up as a communication fault instead of being hidden. */
#define EM580_RETRY_BUDGET_MS 4500u
/* Backstop poll while a request is in flight, in case an I/O wake-up was missed. */
#define EM580_INFLIGHT_BACKSTOP_MS 20u

void em580_config_default(struct em580_config *cfg)
{
    *cfg = (struct em580_config){
        .unit = 1,
        .live_interval_ms = 1000,
        .state_interval_ms = 10000,
        .timeout_ms = 1000,
        .attempts = 3,
        .retry_delay_ms = 250,
        .fail_pause_ms = 10000,
        .stop_poll_ms = 100,
        .stop_polls = 10,
        .write_gap_ms = 0,
    };
}

int em580_init(struct em580 *em, struct hal_modbus *mb, const struct em580_config *cfg)
{
    if (em == NULL || mb == NULL || cfg == NULL || cfg->unit < 1 || cfg->unit > 247 ||
        cfg->live_interval_ms < 500 || cfg->live_interval_ms > 60000 || cfg->attempts < 1 ||
        cfg->attempts > 5 || cfg->timeout_ms < 10 || cfg->stop_polls < 1 ||
        cfg->state_interval_ms < 500 || cfg->stop_poll_ms < 10) {
        return HAL_EINVAL;
    }
    uint32_t budget = cfg->attempts * cfg->timeout_ms + (cfg->attempts - 1u) * cfg->retry_delay_ms;
    if (budget >= EM580_RETRY_BUDGET_MS) {
        return HAL_EINVAL;
    }
    memset(em, 0, sizeof *em);
    em->mb = mb;
    em->cfg = *cfg;
    em->phase = EM580_PH_DETECT;
    return HAL_OK;
}

static void em580_unpack(const uint16_t *w, size_t words, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < words && n + 2u < cap; i++) {
        out[n++] = (char)(w[i] >> 8);
        out[n++] = (char)(w[i] & 0xffu);
    }
    out[n] = '\0';
}

void em580_finish(struct em580 *em, int status, enum em580_error err)
{
    em->result.job = em->job;
    em->result.status = status;
    em->result.error = err;
    em->result.exception = status == HAL_EPROTO ? em->exception : 0;
    em->result_ready = true;
    em->job = EM580_JOB_NONE;
    em->job_queued = false;
    em->op = EM580_OP_IDLE;
    /* "No transaction on the meter" is the answer to this stop, not a state of the device:
     * latched, it would read as a device error and refuse every later start. */
    if (err != EM580_ERR_NONE && err != EM580_ERR_NO_TRANSACTION) {
        em->error = err;
    }
}

void em580_goto(struct em580 *em, enum em580_op op, uint32_t now, uint32_t delay)
{
    em->op = op;
    em->attempt = 0;
    em->wait_until_ms = now + delay;
}

static void em580_fail(struct em580 *em, uint32_t now, int status, uint8_t exception)
{
    bool comm = exception == 0;
    em->exception = exception;
    if (comm) {
        em->comm_failures++;
        em->phase = EM580_PH_FAILED;
        em->fail_until_ms = now + em->cfg.fail_pause_ms;
        em->error = EM580_ERR_COMM;
    }
    if (em->job != EM580_JOB_NONE && em->op >= EM580_OP_PRE_STATE) {
        em580_finish(em, status, comm ? EM580_ERR_COMM : EM580_ERR_EXCEPTION);
        return;
    }
    if (!comm) {
        em->error = EM580_ERR_EXCEPTION;
        if (em->phase == EM580_PH_DETECT) {
            /* A meter that refuses identification is not usable: retry later. */
            em->phase = EM580_PH_FAILED;
            em->fail_until_ms = now + em->cfg.fail_pause_ms;
        }
    }
    if (em->op == EM580_OP_LIVE || em->op == EM580_OP_LIVE2 || em->op == EM580_OP_ENERGY) {
        em->next_live_ms = now + em->cfg.live_interval_ms;
    }
    if (em->op == EM580_OP_DEVSTATE || em->op == EM580_OP_MONITOR) {
        em->next_state_ms = now + em->cfg.state_interval_ms;
    }
    em->op = EM580_OP_IDLE;
    em->attempt = 0;
}

static void em580_req(struct em580 *em, enum hal_modbus_fn fn, uint16_t addr, uint16_t count,
                      uint16_t *regs)
{
    em->req = (struct hal_modbus_req){
        .unit = em->cfg.unit,
        .fn = fn,
        .addr = addr,
        .count = count,
        .regs = regs,
        .timeout_ms = em->cfg.timeout_ms,
        .retries = 0, /* the driver counts attempts itself, against the 4.5 s budget */
    };
}

static void em580_write1(struct em580 *em, uint16_t addr, uint16_t v)
{
    em->io[0] = v;
    em580_req(em, HAL_MODBUS_WRITE_MULTIPLE, addr, 1, em->io);
}

static void em580_read(struct em580 *em, uint16_t addr, uint16_t count, uint16_t *dst)
{
    em580_req(em, HAL_MODBUS_READ_INPUT, addr, count, dst);
}

static void em580_write_str(struct em580 *em, uint16_t addr, uint16_t max_words, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    uint16_t n = em580_put_string(em->io, max_words, s != NULL ? s : "", len);
    em580_req(em, HAL_MODBUS_WRITE_MULTIPLE, addr, n, em->io);
}

/* Build the request of the current op. */
static void em580_issue(struct em580 *em)
{
    bool em300 = em->model == EM580_MODEL_EM300;
    switch (em->op) {
    case EM580_OP_IDENT:
        em580_read(em, EM580_REG_IDENT, 1, em->io); /* alone: a block read hides the code */
        break;
    case EM580_OP_SIGTYPE:
        em580_read(em, EM580_REG_SIGTYPE, 1, em->io);
        break;
    case EM580_OP_PUBKEY:
        em580_read(em, EM580_REG_PUBKEY,
                   em->curve == HAL_CRYPTO_BRAINPOOL384R1 ? 49u : 33u, em->io);
        break;
    case EM580_OP_SERIAL:
        em580_read(em, EM580_REG_SERIAL, 7, em->io);
        break;
    case EM580_OP_RECOVER_STATE:
    case EM580_OP_MONITOR:
    case EM580_OP_PRE_STATE:
    case EM580_OP_PRE_POLL:
    case EM580_OP_CHECK_RUNNING:
    case EM580_OP_S_STATE:
    case EM580_OP_S_POLL:
        em580_read(em, EM580_REG_OCMF_STATE, 1, em->io);
        break;
    case EM580_OP_RECOVER_TT:
        em580_read(em, EM580_REG_TT, EM580_TT_WORDS, em->io);
        break;
    case EM580_OP_LIVE:
        /* EM300 rejects the 52-word block with "illegal data value": 50 + 2. */
        em580_read(em, EM580_REG_LIVE, em300 ? 50u : EM580_LIVE_WORDS, em->io);
        break;
    case EM580_OP_LIVE2:
        em580_read(em, EM580_REG_LIVE + 50u, 2, em->io + 50);
        break;
    case EM580_OP_ENERGY:
        em580_read(em, em300 ? EM300_REG_ENERGY : EM580_REG_ENERGY,
                   em300 ? EM300_ENERGY_WORDS : EM580_ENERGY_WORDS, em->io + 64);
        break;
    case EM580_OP_DEVSTATE:
        em580_read(em, EM580_REG_DEVSTATE, 1, em->io);
        break;
    case EM580_OP_PRE_END:
    case EM580_OP_S_END:
        em580_write1(em, EM580_REG_CMD, 'E');
        break;
    case EM580_OP_PRE_SIZE:
    case EM580_OP_S_SIZE:
        em580_read(em, EM580_REG_OCMF_SIZE, 1, em->io);
        break;
    case EM580_OP_PRE_FILE:
    case EM580_OP_S_FILE:
        em580_read(em, EM580_REG_OCMF_FILE, em->file_words, em->file.w);
        break;
    case EM580_OP_PRE_CONFIRM:
    case EM580_OP_S_CONFIRM:
        em580_write1(em, EM580_REG_OCMF_STATE, EM580_OCMF_NOT_READY);
        break;
    case EM580_OP_W_IS:
        em580_write1(em, EM580_REG_IS, em->tx.assigned ? 1u : 0u);
        break;
    case EM580_OP_W_IL:
        em580_write1(em, EM580_REG_IL, em->tx.level);
        break;
    case EM580_OP_W_IF:
        for (unsigned i = 0; i < 4; i++) {
            em->io[i] = em->tx.flags[i];
        }
        em580_req(em, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_IF, 4, em->io);
        break;
    case EM580_OP_W_IT:
        em580_write1(em, EM580_REG_IT, em->tx.type);
        break;
    case EM580_OP_W_ID:
        em580_write_str(em, EM580_REG_ID, 20, em->tx.id_data);
        break;
    case EM580_OP_W_CT:
        em580_write1(em, EM580_REG_CT, 0); /* EVSEID */
        break;
    case EM580_OP_W_CI:
        em580_write_str(em, EM580_REG_CI, 20, em->tx.evse_id);
        break;
    case EM580_OP_W_TT:
        em580_write_str(em, EM580_REG_TT, EM580_TT_WORDS, em->tt);
        break;
    case EM580_OP_W_MODALITY:
        em580_write1(em, EM580_REG_MODALITY, em->tx.modality);
        break;
    case EM580_OP_W_BEGIN:
        em580_write1(em, EM580_REG_CMD, 'B');
        break;
    case EM580_OP_SYNC_UTC:
        em580_put_int64(em->io, em->sync_unix_s);
        em580_req(em, HAL_MODBUS_WRITE_MULTIPLE, EM580_REG_UTC, 4, em->io);
        break;
    case EM580_OP_SYNC_TZ:
        em580_write1(em, EM580_REG_TZ, (uint16_t)em->sync_offset_min);
        break;
    case EM580_OP_IDLE:
        break;
    }
}

static void em580_detect_done(struct em580 *em, uint32_t now)
{
    em->phase = EM580_PH_READY;
    em->op = EM580_OP_IDLE;
    if (em->error == EM580_ERR_COMM || em->error == EM580_ERR_EXCEPTION) {
        em->error = EM580_ERR_NONE;
    }
    em->next_live_ms = now;
    em->next_state_ms = now + em->cfg.state_interval_ms;
}

/* The reply of the current op arrived with HAL_OK: decide the next op. */
static void em580_done(struct em580 *em, uint32_t now)
{
    uint16_t s = em->io[0];
    switch (em->op) {
    case EM580_OP_IDENT:
        em->ident = s;
        if (em580_is_em300_code(s)) {
            em->model = EM580_MODEL_EM300;
            em->key_ok = false;
            em580_detect_done(em, now);
        } else {
            em->model = EM580_MODEL_EM580;
            em580_goto(em, EM580_OP_SIGTYPE, now, 0);
        }
        break;
    case EM580_OP_SIGTYPE:
        if (s == 0 || s == 1) {
            em->curve = s == 0 ? HAL_CRYPTO_BRAINPOOL256R1 : HAL_CRYPTO_BRAINPOOL384R1;
            em580_goto(em, EM580_OP_PUBKEY, now, 0);
        } else {
            em->key_ok = false;
            em->error = EM580_ERR_NO_KEY;
            em580_goto(em, EM580_OP_SERIAL, now, 0);
        }
        break;
    case EM580_OP_PUBKEY: {
        size_t need = 1u + 2u * hal_crypto_curve_bytes(em->curve);
        char raw[2u * 49u + 2u];
        em580_unpack(em->io, em->req.count, raw, sizeof raw);
        memcpy(em->pub, raw, need); /* the last byte of the block is unused */
        em->pub_len = (uint8_t)need;
        em->key_ok = em->pub[0] == 0x04;
        if (!em->key_ok) {
            em->error = EM580_ERR_NO_KEY;
        }
        em580_goto(em, EM580_OP_SERIAL, now, 0);
        break;
    }
    case EM580_OP_SERIAL:
        em580_unpack(em->io, 7, em->serial, sizeof em->serial);
        em580_goto(em, EM580_OP_RECOVER_STATE, now, 0);
        break;
    case EM580_OP_RECOVER_STATE:
        if (s == EM580_OCMF_RUNNING) {
            em580_goto(em, EM580_OP_RECOVER_TT, now, 0);
            break;
        }
        if (s == EM580_OCMF_READY) {
            if (em->tx_active) {
                em->error = EM580_ERR_OCMF_CLOSED; /* closed by the meter while we ran */
            }
            em->tx_pending_closed = true;
        } else if (s == EM580_OCMF_CORRUPTED) {
            em->error = EM580_ERR_OCMF_CORRUPTED;
        }
        em->tx_active = false;
        em580_detect_done(em, now);
        break;
    case EM580_OP_RECOVER_TT: {
        em580_unpack(em->io, EM580_TT_WORDS, em->tt, sizeof em->tt);
        const char *last = NULL;
        for (const char *p = em->tt; *p != '\0'; p++) {
            if (strncmp(p, "<=>", 3) == 0) {
                last = p + 3;
            }
        }
        em->txid[0] = '\0';
        if (last != NULL && strlen(last) < sizeof em->txid) {
            memcpy(em->txid, last, strlen(last) + 1u);
        }
        em->tx_active = true;
        em580_detect_done(em, now);
        break;
    }
    case EM580_OP_LIVE:
        em580_goto(em, em->model == EM580_MODEL_EM300 ? EM580_OP_LIVE2 : EM580_OP_ENERGY, now, 0);
        break;
    case EM580_OP_LIVE2:
        em580_goto(em, EM580_OP_ENERGY, now, 0);
        break;
    case EM580_OP_ENERGY: {
        /* Published only as a whole: a block with an impossible energy total keeps the
         * last good reading (and its time, so a caller sees it ageing). */
        struct em580_live lv;
        em580_decode_live(em->io, &lv);
        if (em580_decode_energy(em->model, em->io + 64, &lv.import_wh, &lv.export_wh) == HAL_OK) {
            lv.at_ms = now;
            em->live = lv;
            em->live_valid = true;
            if (em->error == EM580_ERR_RANGE) {
                em->error = EM580_ERR_NONE;
            }
        } else {
            em->error = EM580_ERR_RANGE;
        }
        em->op = EM580_OP_IDLE;
        em->next_live_ms = now + em->cfg.live_interval_ms;
        break;
    }
    case EM580_OP_DEVSTATE:
        em->devstate = s;
        if (s != 0) {
            em->error = EM580_ERR_DEVICE_STATE;
        } else if (em->error == EM580_ERR_DEVICE_STATE) {
            em->error = EM580_ERR_NONE;
        }
        if (em->tx_active) {
            em580_goto(em, EM580_OP_MONITOR, now, 0);
        } else {
            em->op = EM580_OP_IDLE;
            em->next_state_ms = now + em->cfg.state_interval_ms;
        }
        break;
    case EM580_OP_MONITOR:
        if (s == EM580_OCMF_READY && em->tx_active) {
            em->error = EM580_ERR_OCMF_CLOSED;
            em->tx_active = false;
            em->tx_pending_closed = true;
        } else if (s == EM580_OCMF_CORRUPTED) {
            em->error = EM580_ERR_OCMF_CORRUPTED;
        }
        em->op = EM580_OP_IDLE;
        em->next_state_ms = now + em->cfg.state_interval_ms;
        break;
    case EM580_OP_PRE_STATE:
    case EM580_OP_PRE_END:
    case EM580_OP_PRE_POLL:
    case EM580_OP_PRE_SIZE:
    case EM580_OP_PRE_FILE:
    case EM580_OP_PRE_CONFIRM:
    case EM580_OP_W_IS:
    case EM580_OP_W_IL:
    case EM580_OP_W_IF:
    case EM580_OP_W_IT:
    case EM580_OP_W_ID:
    case EM580_OP_W_CT:
    case EM580_OP_W_CI:
    case EM580_OP_W_TT:
    case EM580_OP_W_MODALITY:
    case EM580_OP_W_BEGIN:
    case EM580_OP_CHECK_RUNNING:
    case EM580_OP_S_STATE:
    case EM580_OP_S_END:
    case EM580_OP_S_POLL:
    case EM580_OP_S_SIZE:
    case EM580_OP_S_FILE:
    case EM580_OP_S_CONFIRM:
    case EM580_OP_SYNC_UTC:
    case EM580_OP_SYNC_TZ:
        em580_job_done(em, now); /* the caller's jobs: em580_jobs.c */
        break;
    case EM580_OP_IDLE:
        break;
    }
}

/* Choose the next op when idle. */
static void em580_pick(struct em580 *em, uint32_t now)
{
    if (em->phase == EM580_PH_FAILED) {
        if (em->job != EM580_JOB_NONE) {
            em580_finish(em, HAL_ETIMEDOUT, EM580_ERR_COMM);
        }
        if (!hal_time_reached(now, em->fail_until_ms)) {
            return;
        }
        em->phase = EM580_PH_DETECT;
    }
    if (em->phase == EM580_PH_DETECT) {
        em580_goto(em, EM580_OP_IDENT, now, 0);
        return;
    }
    if (em->job_queued) {
        em->job_queued = false;
        em580_goto(em,
                   em->job == EM580_JOB_START     ? EM580_OP_PRE_STATE
                   : em->job == EM580_JOB_STOP    ? EM580_OP_S_STATE
                   : em->job == EM580_JOB_CONFIRM ? EM580_OP_S_CONFIRM
                                                  : EM580_OP_SYNC_UTC,
                   now, 0);
        return;
    }
    if (hal_time_reached(now, em->next_live_ms)) {
        em580_goto(em, EM580_OP_LIVE, now, 0);
        return;
    }
    if (em->model == EM580_MODEL_EM580 && hal_time_reached(now, em->next_state_ms)) {
        em580_goto(em, EM580_OP_DEVSTATE, now, 0);
    }
}

uint32_t em580_step(struct em580 *em, uint32_t now)
{
    if (!em->stepped) {
        /* init has no clock: a deadline of 0 would lie up to 24 days in the "future" of a
         * clock value past 0x80000000, so the first step starts detection at its own now. */
        em->stepped = true;
        em->wait_until_ms = now;
    }
    if (em->in_flight) {
        struct hal_modbus_result r = {0};
        int rc = hal_modbus_poll(em->mb, &r);
        if (rc == HAL_EAGAIN) {
            return now + EM580_INFLIGHT_BACKSTOP_MS;
        }
        em->in_flight = false;
        if (rc != HAL_OK) {
            r.status = rc;
            r.exception = 0;
        }
        if (r.status == HAL_OK) {
            em->attempt = 0;
            em580_done(em, now);
        } else if (r.exception == 0 && (uint8_t)(em->attempt + 1u) < em->cfg.attempts) {
            em->attempt++;
            em->wait_until_ms = now + em->cfg.retry_delay_ms; /* same op again */
        } else {
            em580_fail(em, now, r.status, r.exception);
        }
    }
    if (!em->in_flight && hal_time_reached(now, em->wait_until_ms)) {
        if (em->op == EM580_OP_IDLE) {
            em580_pick(em, now);
        }
        if (em->op != EM580_OP_IDLE && hal_time_reached(now, em->wait_until_ms)) {
            em580_issue(em);
            int rc = hal_modbus_submit(em->mb, &em->req);
            if (rc == HAL_OK) {
                em->in_flight = true;
                return now + EM580_INFLIGHT_BACKSTOP_MS;
            }
            if (rc == HAL_EBUSY) {
                em->wait_until_ms = now + 5u; /* the bus is shared: try again soon */
            } else {
                em580_fail(em, now, rc, 0);
            }
        }
    }
    /* Next wake-up: the earliest thing we wait for. */
    uint32_t next = now + 1000u;
    if (em->op != EM580_OP_IDLE) {
        next = em->wait_until_ms;
    } else if (em->phase == EM580_PH_FAILED) {
        next = em->fail_until_ms;
    } else if (em->phase == EM580_PH_READY) {
        next = em->job_queued ? now : em->next_live_ms;
        if (em->model == EM580_MODEL_EM580 && hal_time_diff(em->next_state_ms, next) < 0) {
            next = em->next_state_ms;
        }
    } else {
        next = now;
    }
    return hal_time_diff(next, now) < 0 ? now : next;
}

int em580_live(const struct em580 *em, struct em580_live *out)
{
    if (!em->live_valid) {
        return HAL_EAGAIN;
    }
    *out = em->live;
    return em->phase == EM580_PH_FAILED ? HAL_ETIMEDOUT : HAL_OK;
}

int em580_pubkey(const struct em580 *em, uint8_t *pub, size_t cap, size_t *len,
                 enum hal_crypto_curve *curve)
{
    if (!em->key_ok || em->model != EM580_MODEL_EM580) {
        return HAL_ENOENT;
    }
    if (cap < em->pub_len) {
        return HAL_EOVERFLOW;
    }
    memcpy(pub, em->pub, em->pub_len);
    *len = em->pub_len;
    *curve = em->curve;
    return HAL_OK;
}

enum em580_phase em580_phase(const struct em580 *em)
{
    return em->phase;
}
enum em580_model em580_model(const struct em580 *em)
{
    return em->model;
}
enum em580_error em580_error(const struct em580 *em)
{
    return em->error;
}
uint16_t em580_devstate(const struct em580 *em)
{
    return em->devstate;
}
bool em580_tx_active(const struct em580 *em)
{
    return em->tx_active;
}
const char *em580_txid(const struct em580 *em)
{
    return em->txid;
}
