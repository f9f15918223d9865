#include "em580/em580.h"

#include <string.h>

#include "hal_clock.h"

/* Worst case of one request with its retries; the sheet wants it under 4.5 s so that a
 * meter reboot (about 6 s) shows up as a communication fault instead of being hidden. */
#define EM580_RETRY_BUDGET_MS 4500u
/* Backstop poll while a request is in flight, in case an I/O wake-up was missed. */
#define EM580_INFLIGHT_BACKSTOP_MS 20u

static const uint16_t s_em300_codes[] = {331, 332, 335, 336, 340, 341, 345, 346, 355};

static const char *const s_err_names[EM580_ERR_COUNT] = {
    [EM580_ERR_NONE] = "none",
    [EM580_ERR_COMM] = "no answer from the meter",
    [EM580_ERR_EXCEPTION] = "Modbus exception",
    [EM580_ERR_DEVICE_STATE] = "device state error bits set",
    [EM580_ERR_NO_KEY] = "meter has no signing key (not Eichrecht-ready)",
    [EM580_ERR_OCMF_CLOSED] = "meter closed the transaction itself (READY while running)",
    [EM580_ERR_OCMF_CORRUPTED] = "OCMF state CORRUPTED",
    [EM580_ERR_STOP_TIMEOUT] = "OCMF file not READY in time after 'E'",
    [EM580_ERR_TXID_MISMATCH] = "pending OCMF record belongs to another transaction",
    [EM580_ERR_RECORD] = "OCMF file empty, too large or malformed",
    [EM580_ERR_NOT_RUNNING] = "meter did not start the transaction",
    [EM580_ERR_NO_TRANSACTION] = "no transaction open on the meter",
    [EM580_ERR_RANGE] = "energy register out of range (negative or beyond any meter)",
};

const char *em580_strerror(enum em580_error e)
{
    return (unsigned)e < EM580_ERR_COUNT ? s_err_names[e] : "unknown";
}

bool em580_is_em300_code(uint16_t code)
{
    for (size_t i = 0; i < sizeof s_em300_codes / sizeof s_em300_codes[0]; i++) {
        if (s_em300_codes[i] == code) {
            return true;
        }
    }
    return false;
}

int32_t em580_int32(const uint16_t *w)
{
    return (int32_t)((uint32_t)w[1] << 16 | w[0]);
}

int64_t em580_int64(const uint16_t *w)
{
    return (int64_t)((uint64_t)w[3] << 48 | (uint64_t)w[2] << 32 | (uint64_t)w[1] << 16 | w[0]);
}

void em580_put_int64(uint16_t *w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (unsigned i = 0; i < 4; i++) {
        w[i] = (uint16_t)(u >> (16u * i));
    }
}

uint16_t em580_put_string(uint16_t *w, uint16_t max_words, const char *s, size_t len)
{
    size_t words = len / 2u + 1u; /* room for the NUL */
    if (words > max_words) {
        return 0;
    }
    for (size_t i = 0; i < words; i++) {
        uint8_t hi = 2u * i < len ? (uint8_t)s[2u * i] : 0u;
        uint8_t lo = 2u * i + 1u < len ? (uint8_t)s[2u * i + 1u] : 0u;
        w[i] = (uint16_t)(hi << 8 | lo);
    }
    return (uint16_t)words;
}

void em580_decode_live(const uint16_t *b, struct em580_live *out)
{
    for (unsigned i = 0; i < 3; i++) {
        out->v_dv[i] = em580_int32(b + 0x00u + 2u * i);
        out->i_ma[i] = em580_int32(b + 0x0Cu + 2u * i);
        out->p_dw[i] = em580_int32(b + 0x12u + 2u * i);
    }
    out->p_total_dw = em580_int32(b + 0x28u);
    out->phase_seq = (int16_t)b[0x32];
    out->freq_dhz = b[0x33];
}

static bool em580_energy_ok(int64_t wh)
{
    return wh >= 0 && wh <= EM580_ENERGY_MAX_WH;
}

int em580_decode_energy(enum em580_model m, const uint16_t *b, int64_t *import_wh,
                        int64_t *export_wh)
{
    int64_t imp, exp;
    if (m == EM580_MODEL_EM300) {
        /* kWh (INT32) and its Wh part (INT32, 0..999): the product cannot overflow an
         * int64, but a Wh part outside 0..999 is not a reading. */
        int32_t imp_wh = em580_int32(b + 2), exp_wh = em580_int32(b + 10);
        if (imp_wh < 0 || imp_wh > 999 || exp_wh < 0 || exp_wh > 999) {
            return HAL_EPROTO;
        }
        imp = (int64_t)em580_int32(b + 0) * 1000 + imp_wh;
        exp = (int64_t)em580_int32(b + 8) * 1000 + exp_wh;
    } else {
        imp = em580_int64(b + 0);
        exp = em580_int64(b + (0x051C - 0x0500));
    }
    if (!em580_energy_ok(imp) || !em580_energy_ok(exp)) {
        return HAL_EPROTO;
    }
    *import_wh = imp;
    *export_wh = exp;
    return HAL_OK;
}

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

static void em580_finish(struct em580 *em, int status, enum em580_error err)
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

static void em580_goto(struct em580 *em, enum em580_op op, uint32_t now, uint32_t delay)
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

/* Does the file carry "<=>txid" in its TT? (EVerest's recovery convention) */
static bool em580_file_has_txid(const struct em580 *em, const char *txid)
{
    size_t tl = strlen(txid);
    const char *t = em->file.c;
    size_t n = em->ocmf_len;
    const char *key = "\"TT\":\"";
    const char *tt = NULL;
    for (size_t i = 0; i + 6u <= n; i++) {
        if (memcmp(t + i, key, 6) == 0) {
            tt = t + i + 6;
            break;
        }
    }
    if (tt == NULL) {
        return false;
    }
    const char *end = tt;
    while ((size_t)(end - t) < n && *end != '"') {
        end++;
    }
    const char *last = NULL;
    for (const char *p = tt; p + 3 <= end; p++) {
        if (memcmp(p, "<=>", 3) == 0) {
            last = p + 3;
        }
    }
    return last != NULL && (size_t)(end - last) == tl && memcmp(last, txid, tl) == 0;
}

static bool em580_unpack_file(struct em580 *em)
{
    /* In place: word i occupies exactly bytes 2i and 2i+1, and is read before they are
     * written. The union makes both views legal. */
    size_t words = em->file_words;
    for (size_t i = 0; i < words; i++) {
        uint16_t w = em->file.w[i];
        em->file.c[2u * i] = (char)(w >> 8);
        em->file.c[2u * i + 1u] = (char)(w & 0xffu);
    }
    em->file.c[2u * words] = '\0';
    size_t n = 2u * words;
    while (n > 0 && em->file.c[n - 1u] == '\0') {
        n--;
    }
    em->ocmf_len = (uint16_t)n;
    /* Trailing NULs are padding; one inside is not OCMF text (the record's length and its
     * C string would disagree for whoever stores or parses it). */
    em->ocmf_valid = n >= 5u && memcmp(em->file.c, "OCMF|", 5) == 0 &&
                     memchr(em->file.c, '\0', n) == NULL;
    return em->ocmf_valid;
}

static bool em580_size_ok(struct em580 *em)
{
    uint16_t n = em->io[0];
    if (n == 0 || n > EM580_FILE_MAX_WORDS) {
        return false;
    }
    em->file_words = n;
    return true;
}

/* The reply of the current op arrived with HAL_OK: decide the next op. */
static void em580_done(struct em580 *em, uint32_t now)
{
    uint16_t s = em->io[0];
    uint32_t gap = em->cfg.write_gap_ms;
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

    /* start: end whatever is open first */
    case EM580_OP_PRE_STATE:
        if (s == EM580_OCMF_NOT_READY) {
            em580_goto(em, EM580_OP_W_IS, now, 0);
        } else if (s == EM580_OCMF_RUNNING) {
            em580_goto(em, EM580_OP_PRE_END, now, 0);
        } else if (s == EM580_OCMF_READY) {
            em580_goto(em, EM580_OP_PRE_SIZE, now, 0);
        } else {
            em580_finish(em, HAL_EIO, EM580_ERR_OCMF_CORRUPTED);
        }
        break;
    case EM580_OP_PRE_END:
        em->polls = 0;
        em580_goto(em, EM580_OP_PRE_POLL, now, em->cfg.stop_poll_ms);
        break;
    case EM580_OP_PRE_POLL:
    case EM580_OP_S_POLL: {
        bool pre = em->op == EM580_OP_PRE_POLL;
        if (s == EM580_OCMF_READY) {
            em580_goto(em, pre ? EM580_OP_PRE_SIZE : EM580_OP_S_SIZE, now, 0);
        } else if (s == EM580_OCMF_CORRUPTED) {
            em->tx_active = false; /* the meter gave up on it: nothing is running now */
            em580_finish(em, HAL_EIO, EM580_ERR_OCMF_CORRUPTED);
        } else if (++em->polls >= em->cfg.stop_polls) {
            em580_finish(em, HAL_ETIMEDOUT, EM580_ERR_STOP_TIMEOUT);
        } else {
            em->attempt = 0;
            em->wait_until_ms = now + em->cfg.stop_poll_ms;
        }
        break;
    }
    case EM580_OP_PRE_SIZE:
        em580_goto(em, em580_size_ok(em) ? EM580_OP_PRE_FILE : EM580_OP_PRE_CONFIRM, now, 0);
        break;
    case EM580_OP_PRE_FILE:
        em->result.orphan = em580_unpack_file(em);
        em580_goto(em, EM580_OP_PRE_CONFIRM, now, 0);
        break;
    case EM580_OP_PRE_CONFIRM:
        em->tx_pending_closed = false;
        em->confirm_pending = false;
        em580_goto(em, EM580_OP_W_IS, now, 0);
        break;
    case EM580_OP_W_IS:
    case EM580_OP_W_IL:
    case EM580_OP_W_IF:
    case EM580_OP_W_IT:
    case EM580_OP_W_ID:
    case EM580_OP_W_CT:
    case EM580_OP_W_CI:
    case EM580_OP_W_TT:
    case EM580_OP_W_MODALITY:
        em580_goto(em, (enum em580_op)(em->op + 1), now, gap);
        break;
    case EM580_OP_W_BEGIN:
        em580_goto(em, EM580_OP_CHECK_RUNNING, now, 0);
        break;
    case EM580_OP_CHECK_RUNNING:
        if (s == EM580_OCMF_RUNNING) {
            em->tx_active = true;
            size_t n = strlen(em->tx.txid);
            memcpy(em->txid, em->tx.txid, n + 1u);
            em->next_state_ms = now + em->cfg.state_interval_ms;
            em580_finish(em, HAL_OK, EM580_ERR_NONE);
        } else {
            em580_finish(em, HAL_EIO, EM580_ERR_NOT_RUNNING);
        }
        break;

    /* stop */
    case EM580_OP_S_STATE:
        if (s == EM580_OCMF_RUNNING) {
            em580_goto(em, EM580_OP_S_END, now, 0);
        } else if (s == EM580_OCMF_READY) {
            em->result.recovered = !em->tx_active || em->tx_pending_closed;
            em580_goto(em, EM580_OP_S_SIZE, now, 0);
        } else if (s == EM580_OCMF_CORRUPTED) {
            em->tx_active = false;
            em580_finish(em, HAL_EIO, EM580_ERR_OCMF_CORRUPTED);
        } else {
            em->tx_active = false;
            if (em->stop_txid[0] == '\0') {
                em580_finish(em, HAL_OK, EM580_ERR_NONE); /* clean-up: nothing open */
            } else {
                em580_finish(em, HAL_ESTATE, EM580_ERR_NO_TRANSACTION);
            }
        }
        break;
    case EM580_OP_S_END:
        em->polls = 0;
        em580_goto(em, EM580_OP_S_POLL, now, em->cfg.stop_poll_ms);
        break;
    case EM580_OP_S_SIZE:
        if (em580_size_ok(em)) {
            em580_goto(em, EM580_OP_S_FILE, now, 0);
        } else {
            em580_finish(em, HAL_EPROTO, EM580_ERR_RECORD);
        }
        break;
    case EM580_OP_S_FILE:
        if (!em580_unpack_file(em)) {
            em580_finish(em, HAL_EPROTO, EM580_ERR_RECORD);
        } else if (em->stop_txid[0] != '\0' && !em580_file_has_txid(em, em->stop_txid)) {
            /* Not ours: keep it on the meter (not confirmed) so it is not lost. */
            em->ocmf_valid = false;
            em580_finish(em, HAL_ESTATE, EM580_ERR_TXID_MISMATCH);
        } else {
            /* Closed on the meter; the record stays there until the caller stored it. */
            em->tx_active = false;
            em->tx_pending_closed = true;
            em->confirm_pending = true;
            em->result.confirm_pending = true;
            em->txid[0] = '\0';
            if (em->error == EM580_ERR_OCMF_CLOSED) {
                em->error = EM580_ERR_NONE;
            }
            em580_finish(em, HAL_OK, EM580_ERR_NONE);
        }
        break;
    case EM580_OP_S_CONFIRM:
        em->tx_pending_closed = false;
        em->confirm_pending = false;
        em580_finish(em, HAL_OK, EM580_ERR_NONE);
        break;
    case EM580_OP_SYNC_UTC:
        em580_goto(em, EM580_OP_SYNC_TZ, now, 0);
        break;
    case EM580_OP_SYNC_TZ:
        em580_finish(em, HAL_OK, EM580_ERR_NONE);
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

static int em580_can_job(const struct em580 *em)
{
    if (em->model == EM580_MODEL_EM300) {
        return HAL_ENOTSUP;
    }
    if (em->phase != EM580_PH_READY) {
        return HAL_EAGAIN;
    }
    if (em->job != EM580_JOB_NONE) {
        return HAL_EBUSY;
    }
    return HAL_OK;
}

int em580_start(struct em580 *em, const struct em580_tx *tx)
{
    int rc = em580_can_job(em);
    if (rc != HAL_OK) {
        return rc;
    }
    if (!em->key_ok) {
        return HAL_ENOTSUP;
    }
    if (em->tx_active) {
        return HAL_ESTATE;
    }
    if (tx == NULL || tx->txid == NULL || tx->evse_id == NULL || tx->txid[0] == '\0' ||
        strlen(tx->txid) >= sizeof em->txid || strlen(tx->evse_id) > EM580_ID_MAX ||
        (tx->id_data != NULL && strlen(tx->id_data) > EM580_ID_MAX) || tx->level > 9 ||
        tx->modality > 2) {
        return HAL_EINVAL;
    }
    em->tx = *tx;
    memset(&em->result, 0, sizeof em->result);
    /* TT = tariff text + "<=>" + txid; the tariff part is cut so the id always survives. */
    size_t idl = strlen(tx->txid);
    size_t room = EM580_TT_MAX - 3u - idl;
    size_t tl = tx->tariff_text != NULL ? strlen(tx->tariff_text) : 0;
    if (tl > room) {
        tl = room;
        em->result.tt_truncated = true;
    }
    if (tl > 0) {
        memcpy(em->tt, tx->tariff_text, tl);
    }
    memcpy(em->tt + tl, "<=>", 3);
    memcpy(em->tt + tl + 3u, tx->txid, idl + 1u);
    em->job = EM580_JOB_START;
    em->job_queued = true;
    em->ocmf_valid = false;
    return HAL_OK;
}

int em580_stop(struct em580 *em, const char *txid)
{
    int rc = em580_can_job(em);
    if (rc != HAL_OK) {
        return rc;
    }
    if (txid == NULL || strlen(txid) >= sizeof em->stop_txid) {
        return HAL_EINVAL;
    }
    memcpy(em->stop_txid, txid, strlen(txid) + 1u);
    memset(&em->result, 0, sizeof em->result);
    em->job = EM580_JOB_STOP;
    em->job_queued = true;
    em->ocmf_valid = false;
    return HAL_OK;
}

int em580_confirm(struct em580 *em)
{
    int rc = em580_can_job(em);
    if (rc != HAL_OK) {
        return rc;
    }
    if (!em->confirm_pending) {
        return HAL_ESTATE;
    }
    memset(&em->result, 0, sizeof em->result);
    em->job = EM580_JOB_CONFIRM;
    em->job_queued = true;
    return HAL_OK;
}

int em580_time_sync(struct em580 *em, int64_t unix_s, int16_t offset_min)
{
    int rc = em580_can_job(em);
    if (rc != HAL_OK) {
        return rc;
    }
    if (em->tx_active || em->tx_pending_closed) {
        return HAL_ESTATE;
    }
    if (offset_min < -1440 || offset_min > 1440) {
        return HAL_EINVAL;
    }
    em->sync_unix_s = unix_s;
    em->sync_offset_min = offset_min;
    memset(&em->result, 0, sizeof em->result);
    em->job = EM580_JOB_SYNC;
    em->job_queued = true;
    return HAL_OK;
}

int em580_result(struct em580 *em, struct em580_result *out)
{
    if (!em->result_ready) {
        return HAL_EAGAIN;
    }
    *out = em->result;
    em->result_ready = false;
    return HAL_OK;
}

const char *em580_ocmf(const struct em580 *em, size_t *len)
{
    if (!em->ocmf_valid) {
        return NULL;
    }
    if (len != NULL) {
        *len = em->ocmf_len;
    }
    return em->file.c;
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
