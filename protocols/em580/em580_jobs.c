/* The caller's jobs of the EM580 driver: the OCMF transaction (start after ending whatever
 * the meter still has open, stop with the record collected and checked against the
 * transaction id, confirm), the clock sync, and their outcomes (em580_result, em580_ocmf).
 * Owns the job ops' reactions to the meter's answers; em580.c issues their requests. */
#include <string.h>

#include "em580/em580.h"
#include "em580_priv.h"

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
/* The reply of a job op arrived with HAL_OK: decide the next op (em580.c's em580_done
 * hands every op of a caller's job here). */
void em580_job_done(struct em580 *em, uint32_t now)
{
    uint16_t s = em->io[0];
    uint32_t gap = em->cfg.write_gap_ms;
    switch (em->op) {
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
    default:
        break; /* detection, live and state ops: em580.c */
    }
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
