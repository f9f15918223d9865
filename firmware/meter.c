/* The metered transaction of one connector (meter_session): journal first, then the meter's
 * signed start/stop, recovery of what a power loss left open, and the event queue the charger
 * reads. */
#include "meter.h"

#include <string.h>

#include "hal_clock.h"

static void meter_emit(struct meter_session *s, enum meter_event_kind kind, int status, int verify)
{
    if (s->nev >= METER_SESSION_EVENTS) {
        /* The owner is not collecting: drop the oldest, the journal still has everything. */
        memmove(&s->ev[0], &s->ev[1], sizeof s->ev[0] * (METER_SESSION_EVENTS - 1u));
        s->nev--;
    }
    s->ev[s->nev++] = (struct meter_event){.kind = kind, .seq = s->seq, .status = status,
                                           .verify = verify};
    if (kind == METER_EV_STOPPED || kind == METER_EV_RECOVERED) {
        /* kept for meter_session_last_record() (telemetry): the event queue has one reader */
        s->last_seq = s->seq;
        s->last_verify = verify;
    }
}

int meter_session_last_record(const struct meter_session *s, uint32_t *seq, int *verify)
{
    if (s->last_seq == 0) {
        return HAL_ENOENT;
    }
    *seq = s->last_seq;
    *verify = s->last_verify;
    return HAL_OK;
}

static void meter_session_task_step(struct sched_task *t, uint32_t now_ms)
{
    struct meter_session *s = t->ctx;
    sched_task_at(t, meter_session_step(s, now_ms));
}

void meter_session_init(struct meter_session *s, struct meter *m, struct journal *j,
                        struct hal_crypto *crypto)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->j = j;
    s->crypto = crypto;
    s->state = METER_S_RECOVER;
    sched_task_init(&s->task, "meter_session", meter_session_task_step, s, true);
}

struct sched_task *meter_session_task(struct meter_session *s)
{
    return &s->task;
}

void meter_session_set_wall(struct meter_session *s, int64_t unix_s)
{
    s->wall_s = unix_s;
}

int meter_session_pin_key(struct meter_session *s, const uint8_t *pub, size_t len)
{
    if (pub == NULL || len < 2u || len > sizeof s->pin || pub[0] != 0x04) {
        return HAL_EINVAL;
    }
    memcpy(s->pin, pub, len);
    s->pin_len = len;
    return HAL_OK;
}

enum meter_key_state meter_session_key_state(const struct meter_session *s)
{
    if (s->pin_len == 0) {
        return METER_KEY_UNPINNED;
    }
    if (s->seen_len == 0) {
        return METER_KEY_UNKNOWN;
    }
    return s->seen_len == s->pin_len && memcmp(s->seen, s->pin, s->pin_len) == 0 ? METER_KEY_MATCH
                                                                              : METER_KEY_MISMATCH;
}

/* Follow the key the meter reports: a change (a swapped meter, a re-keyed one) is an
 * event, because every record after it is signed by someone else. */
static void meter_watch_key(struct meter_session *s)
{
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t len = 0;
    enum hal_crypto_curve curve;
    if (meter_pubkey(s->m, pub, sizeof pub, &len, &curve) != HAL_OK || len == 0 || len > sizeof pub) {
        return;
    }
    if (s->seen_len != 0 && (len != s->seen_len || memcmp(pub, s->seen, len) != 0)) {
        s->key_changes++;
        meter_emit(s, METER_EV_KEY_CHANGED, HAL_OK, HAL_ENOTSUP);
    }
    memcpy(s->seen, pub, len);
    s->seen_len = len;
}

/* Parse the record and start its check: against the pinned key when there is one (the
 * meter's own claim proves nothing), else against the key the meter reports. HAL_EAGAIN:
 * the crypto port runs it beside the loop (ocmf_check_poll()); else the result. */
static int meter_check_start(struct meter_session *s, const char *ocmf, size_t len)
{
    if (ocmf == NULL || ocmf_parse(&s->rec, ocmf, len) != HAL_OK) {
        return HAL_EPROTO;
    }
    if (s->crypto == NULL) {
        return HAL_ENOTSUP;
    }
    if (s->pin_len != 0) {
        return ocmf_check_start(&s->check, &s->rec, s->crypto, s->pin, s->pin_len);
    }
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pub_len = 0;
    enum hal_crypto_curve curve;
    if (meter_pubkey(s->m, pub, sizeof pub, &pub_len, &curve) != HAL_OK) {
        return HAL_ENOTSUP;
    }
    return ocmf_check_start(&s->check, &s->rec, s->crypto, pub, pub_len);
}

/* Park the meter's answer while its record is checked beside the loop. */
static void meter_verify_later(struct meter_session *s, const struct meter_done *d,
                               enum meter_session_state then)
{
    s->vdone = *d;
    s->verify_then = then;
    s->state = METER_S_VERIFYING;
}

static int64_t meter_live_wh(struct meter_session *s)
{
    struct meter_live lv;
    int rc = meter_live(s->m, &lv);
    return rc == HAL_OK || rc == HAL_ETIMEDOUT ? lv.import_wh : -1;
}

/* Stop reading: the record's last reading when it is a parsed energy value, else live. */
static int64_t meter_stop_wh(struct meter_session *s, bool parsed)
{
    int64_t wh;
    if (parsed && s->rec.nreadings > 0 &&
        ocmf_reading_wh(&s->rec, (unsigned)s->rec.nreadings - 1u, &wh) == HAL_OK) {
        return wh;
    }
    return meter_live_wh(s);
}

/* A record was queued in the journal: wait in @p state until it is durable, then report
 * what is kept here. Acknowledging before that could lose an acknowledged record. */
static void meter_await_store(struct meter_session *s, enum meter_session_state state, int status,
                              int verify, bool confirm)
{
    s->state = state;
    s->store_status = status;
    s->store_verify = verify;
    s->store_confirm = confirm;
}

static void meter_recover_step(struct meter_session *s, uint32_t now)
{
    uint32_t seq;
    if (journal_next(s->j, 0, JOURNAL_STARTED, &seq) != HAL_OK) {
        s->state = METER_S_IDLE;
        return;
    }
    if (!hal_time_reached(now, s->retry_at_ms)) {
        return;
    }
    s->seq = seq;
    uint32_t dev;
    int st = meter_status(s->m, &dev);
    if (st != HAL_OK && st != HAL_EIO) {
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        return;
    }
    int rc = meter_stop(s->m, "", now);
    if (rc == HAL_OK) {
        s->state = METER_S_RECOVER_STOP;
    } else if (rc == HAL_ENOTSUP) {
        /* An unsigned meter: the stop reading is what it shows now. */
        if (journal_close(s->j, seq, meter_live_wh(s), s->wall_s, JOURNAL_END_RECOVERED, NULL, 0,
                          false) == HAL_OK) {
            meter_await_store(s, METER_S_RECOVER_CLOSING, HAL_OK, HAL_ENOTSUP, false);
        } else {
            s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        }
    } else {
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
    }
}

static void meter_recover_checked(struct meter_session *s, uint32_t now, const struct meter_done *d,
                                  bool ours, int v);

static void meter_recover_result(struct meter_session *s, uint32_t now, const struct meter_done *d)
{
    if (d->status != HAL_OK) {
        s->state = METER_S_RECOVER;
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        return;
    }
    struct journal_entry *e = &s->j->tmp;
    if (journal_get(s->j, s->seq, e) != HAL_OK) {
        s->state = METER_S_RECOVER;
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        return;
    }
    char txid[JOURNAL_TXID_MAX];
    txid[0] = '\0';
    bool parsed = d->ocmf != NULL && ocmf_parse(&s->rec, d->ocmf, d->ocmf_len) == HAL_OK;
    bool ours = parsed && ocmf_txid(&s->rec, txid, sizeof txid) == HAL_OK &&
                strcmp(txid, e->txid) == 0;
    int v = HAL_ENOTSUP;
    if (ours) {
        v = meter_check_start(s, d->ocmf, d->ocmf_len);
        if (v == HAL_EAGAIN) {
            meter_verify_later(s, d, METER_S_RECOVER_STOP);
            return;
        }
    }
    meter_recover_checked(s, now, d, ours, v);
}

/* Close the recovered entry once its record (if ours) is checked. */
static void meter_recover_checked(struct meter_session *s, uint32_t now, const struct meter_done *d,
                                  bool ours, int v)
{
    int rc;
    int status = HAL_OK;
    if (ours) {
        rc = journal_close(s->j, s->seq, meter_stop_wh(s, true), s->wall_s, JOURNAL_END_RECOVERED,
                           d->ocmf, d->ocmf_len, v == HAL_OK);
    } else {
        if (d->ocmf != NULL) {
            s->orphans++; /* an older record whose confirm was lost: already journaled */
        }
        /* The meter never ran this transaction: nothing was acknowledged for it. */
        status = HAL_ENOENT;
        v = HAL_ENOTSUP;
        rc = journal_close(s->j, s->seq, meter_live_wh(s), s->wall_s, JOURNAL_END_ABORTED, NULL, 0,
                           false);
    }
    if (rc != HAL_OK) {
        /* Not stored: the meter still holds the record (not confirmed); ask again later. */
        s->state = METER_S_RECOVER;
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        return;
    }
    meter_await_store(s, METER_S_RECOVER_CLOSING, status, v, d->confirm_pending);
}

static void meter_recover_stored(struct meter_session *s, uint32_t now, int status)
{
    if (status != HAL_OK) {
        /* Not durable: the meter still holds the record (not confirmed); ask again later. */
        s->state = METER_S_RECOVER;
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
        return;
    }
    meter_emit(s, METER_EV_RECOVERED, s->store_status, s->store_verify);
    if (s->store_confirm && meter_confirm(s->m, now) == HAL_OK) {
        s->state = METER_S_RECOVER_CONFIRM;
    } else {
        s->state = METER_S_RECOVER;
    }
}

/* The meter did not start the transaction: close the entry as aborted, report once durable. */
static void meter_abort(struct meter_session *s, uint32_t now, int why)
{
    if (journal_close(s->j, s->seq, meter_live_wh(s), s->wall_s, JOURNAL_END_ABORTED, NULL, 0,
                      false) == HAL_OK) {
        meter_await_store(s, METER_S_ABORTING, why, HAL_ENOTSUP, false);
        return;
    }
    /* Cannot even queue the close: the boot recovery will (as aborted). */
    s->state = METER_S_RECOVER;
    s->retry_at_ms = now + METER_SESSION_RETRY_MS;
    meter_emit(s, METER_EV_START_FAILED, why, HAL_ENOTSUP);
}

static void meter_abort_stored(struct meter_session *s, uint32_t now, int status)
{
    if (status == HAL_OK) {
        s->state = METER_S_IDLE;
    } else {
        /* Not stored: the boot recovery will close it (as aborted). */
        s->state = METER_S_RECOVER;
        s->retry_at_ms = now + METER_SESSION_RETRY_MS;
    }
    meter_emit(s, METER_EV_START_FAILED, s->store_status, HAL_ENOTSUP);
}

static void meter_stopped_checked(struct meter_session *s, const struct meter_done *d, int v);

/* The meter says it no longer has the transaction and no record of it: asking again
 * would never end (the charger retries a failed stop once a second), so the entry is
 * closed as failed with the last reading the meter gave, unsigned, and billing goes on
 * with what is known instead of hanging on a record that cannot come. */
static void meter_lost(struct meter_session *s)
{
    int rc = journal_close(s->j, s->seq, meter_live_wh(s), s->wall_s, JOURNAL_END_FAILED, NULL, 0,
                           false);
    if (rc != HAL_OK) {
        /* Not even queued: stay ACTIVE; the next stop finds the same and tries again. */
        s->state = METER_S_ACTIVE;
        meter_emit(s, METER_EV_STOP_FAILED, rc, HAL_ENOTSUP);
        return;
    }
    s->lost++;
    meter_await_store(s, METER_S_CLOSING, HAL_ENOENT, HAL_ENOTSUP, false);
}

static void meter_stopped(struct meter_session *s, const struct meter_done *d)
{
    if (d->status != HAL_OK && d->lost) {
        meter_lost(s);
        return;
    }
    if (d->status != HAL_OK) {
        meter_emit(s, METER_EV_STOP_FAILED, d->status, HAL_ENOTSUP);
        s->state = METER_S_ACTIVE;
        return;
    }
    int v = meter_check_start(s, d->ocmf, d->ocmf_len);
    if (v == HAL_EAGAIN) {
        meter_verify_later(s, d, METER_S_STOPPING);
        return;
    }
    meter_stopped_checked(s, d, v);
}

/* Close the journal entry with the stop record and its checked signature. */
static void meter_stopped_checked(struct meter_session *s, const struct meter_done *d, int v)
{
    bool parsed = v != HAL_EPROTO || (d->ocmf != NULL && s->rec.nreadings > 0);
    int rc = journal_close(s->j, s->seq, meter_stop_wh(s, parsed), s->wall_s, JOURNAL_END_NORMAL,
                           d->ocmf, d->ocmf_len, v == HAL_OK);
    if (rc != HAL_OK) {
        /* Not durable: do not acknowledge; the meter keeps its copy. Retry the stop. */
        s->state = METER_S_ACTIVE;
        meter_emit(s, METER_EV_STOP_FAILED, rc, v);
        return;
    }
    meter_await_store(s, METER_S_CLOSING, HAL_OK, v, d->confirm_pending);
}

static void meter_close_stored(struct meter_session *s, uint32_t now, int status)
{
    if (status != HAL_OK) {
        /* Not durable: do not acknowledge; the meter keeps its copy. Retry the stop. */
        s->state = METER_S_ACTIVE;
        meter_emit(s, METER_EV_STOP_FAILED, status, s->store_verify);
        return;
    }
    /* HAL_OK, or HAL_ENOENT for an entry closed without the meter's record (meter_lost). */
    meter_emit(s, METER_EV_STOPPED, s->store_status, s->store_verify);
    if (s->store_confirm && meter_confirm(s->m, now) == HAL_OK) {
        s->state = METER_S_CONFIRMING;
    } else {
        s->state = METER_S_IDLE;
    }
}

/* The STARTED record is durable: only now may the meter start (a transaction the meter
 * runs must never be missing from the journal after a power loss). */
static void meter_begin_stored(struct meter_session *s, uint32_t now, int status)
{
    if (status != HAL_OK) {
        s->state = METER_S_IDLE;
        meter_emit(s, METER_EV_START_FAILED, status, HAL_ENOTSUP);
        return;
    }
    int rc = meter_start(s->m, &s->req, now);
    if (rc == HAL_OK) {
        s->signed_tx = true;
        s->state = METER_S_STARTING;
        return;
    }
    if (rc == HAL_ENOTSUP) {
        s->signed_tx = false; /* live-metering only: start/stop readings, no record */
        s->state = METER_S_ACTIVE;
        meter_emit(s, METER_EV_STARTED, HAL_OK, HAL_ENOTSUP);
        return;
    }
    if (rc == HAL_EAGAIN) {
        /* The meter is busy with another request: ask again on the next step (the
         * charger's meter timeout bounds the wait). */
        s->state = METER_S_BEGINNING;
        s->store_status = HAL_EAGAIN;
        return;
    }
    /* Refused at once: close the entry so it does not look unfinished at the next boot. */
    meter_abort(s, now, rc);
}

uint32_t meter_session_step(struct meter_session *s, uint32_t now)
{
    struct meter_done d;
    uint32_t seq;
    int status;
    meter_watch_key(s);
    bool store_busy = journal_poll(s->j);
    switch (s->state) {
    case METER_S_BEGINNING:
        if (s->store_status == HAL_EAGAIN) {
            meter_begin_stored(s, now, HAL_OK); /* durable already; the meter was busy */
        } else if (journal_done(s->j, &seq, &status) == HAL_OK) {
            meter_begin_stored(s, now, status);
        }
        break;
    case METER_S_CLOSING:
        if (journal_done(s->j, &seq, &status) == HAL_OK) {
            meter_close_stored(s, now, status);
        }
        break;
    case METER_S_ABORTING:
        if (journal_done(s->j, &seq, &status) == HAL_OK) {
            meter_abort_stored(s, now, status);
        }
        break;
    case METER_S_RECOVER_CLOSING:
        if (journal_done(s->j, &seq, &status) == HAL_OK) {
            meter_recover_stored(s, now, status);
        }
        break;
    case METER_S_RECOVER:
        meter_recover_step(s, now);
        break;
    case METER_S_RECOVER_STOP:
        if (meter_result(s->m, &d) == HAL_OK) {
            meter_recover_result(s, now, &d);
        }
        break;
    case METER_S_RECOVER_CONFIRM:
        if (meter_result(s->m, &d) == HAL_OK) {
            s->state = METER_S_RECOVER;
        }
        break;
    case METER_S_STARTING:
        if (meter_result(s->m, &d) == HAL_OK) {
            if (d.orphan) {
                s->orphans++;
            }
            if (d.status == HAL_OK) {
                s->state = METER_S_ACTIVE;
                meter_emit(s, METER_EV_STARTED, HAL_OK, HAL_ENOTSUP);
            } else {
                meter_abort(s, now, d.status);
            }
        }
        break;
    case METER_S_STOPPING:
        if (meter_result(s->m, &d) == HAL_OK) {
            meter_stopped(s, &d);
        }
        break;
    case METER_S_CONFIRMING:
        if (meter_result(s->m, &d) == HAL_OK) {
            s->state = METER_S_IDLE;
        }
        break;
    case METER_S_VERIFYING: {
        int v = ocmf_check_poll(&s->check);
        if (v == HAL_EAGAIN) {
            break;
        }
        if (s->verify_then == METER_S_RECOVER_STOP) {
            meter_recover_checked(s, now, &s->vdone, true, v);
        } else {
            meter_stopped_checked(s, &s->vdone, v);
        }
        break;
    }
    case METER_S_IDLE:
    case METER_S_ACTIVE:
        break;
    }
    if (s->state == METER_S_RECOVER) {
        return hal_time_diff(s->retry_at_ms, now) > 0 ? s->retry_at_ms : now + 10u;
    }
    /* Waiting for a meter result or the store: both wake the loop on I/O, so poll often. */
    bool waiting = (s->state != METER_S_IDLE && s->state != METER_S_ACTIVE) || store_busy;
    return now + (waiting ? 5u : 1000u);
}

int meter_session_start(struct meter_session *s, const struct meter_tx_req *req, uint32_t now_ms)
{
    if (s->state == METER_S_RECOVER || s->state == METER_S_RECOVER_STOP ||
        s->state == METER_S_RECOVER_CONFIRM || s->state == METER_S_CONFIRMING ||
        s->state == METER_S_RECOVER_CLOSING || s->state == METER_S_ABORTING ||
        (s->state == METER_S_VERIFYING && s->verify_then == METER_S_RECOVER_STOP)) {
        return HAL_EAGAIN;
    }
    if (s->state != METER_S_IDLE) {
        return HAL_ESTATE;
    }
    if (req == NULL || req->txid == NULL || req->txid[0] == '\0' ||
        strlen(req->txid) >= sizeof s->txid) {
        return HAL_EINVAL;
    }
    if (s->pin_len != 0) {
        /* Not the configured meter (or it does not say): refused before the journal, so
         * no slot is spent on a transaction that never runs. */
        meter_watch_key(s);
        if (meter_session_key_state(s) != METER_KEY_MATCH) {
            return HAL_EPROTO;
        }
    }
    int64_t wh = meter_live_wh(s);
    if (wh < 0) {
        return HAL_EAGAIN;
    }
    uint32_t seq;
    int rc = journal_begin(s->j, req->txid, wh, s->wall_s, &seq);
    if (rc != HAL_OK) {
        return rc == HAL_EBUSY ? HAL_EAGAIN : rc;
    }
    s->seq = seq;
    s->req = *req;
    memcpy(s->txid, req->txid, strlen(req->txid) + 1u);
    s->req.txid = s->txid;
    meter_await_store(s, METER_S_BEGINNING, HAL_OK, HAL_ENOTSUP, false);
    sched_task_at(&s->task, now_ms);
    return HAL_OK;
}

int meter_session_stop(struct meter_session *s, uint32_t now_ms)
{
    if (s->state != METER_S_ACTIVE) {
        return HAL_ESTATE;
    }
    if (!s->signed_tx) {
        int rc = journal_close(s->j, s->seq, meter_live_wh(s), s->wall_s, JOURNAL_END_NORMAL, NULL,
                               0, false);
        if (rc != HAL_OK) {
            return rc == HAL_EBUSY ? HAL_EAGAIN : rc;
        }
        meter_await_store(s, METER_S_CLOSING, HAL_OK, HAL_ENOTSUP, false);
        sched_task_at(&s->task, now_ms);
        return HAL_OK;
    }
    int rc = meter_stop(s->m, s->txid, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    s->state = METER_S_STOPPING;
    sched_task_at(&s->task, now_ms);
    return HAL_OK;
}

int meter_session_event(struct meter_session *s, struct meter_event *out)
{
    if (s->nev == 0) {
        return HAL_EAGAIN;
    }
    *out = s->ev[0];
    memmove(&s->ev[0], &s->ev[1], sizeof s->ev[0] * (METER_SESSION_EVENTS - 1u));
    s->nev--;
    return HAL_OK;
}

enum meter_session_state meter_session_state(const struct meter_session *s)
{
    return s->state;
}

uint32_t meter_session_orphans(const struct meter_session *s)
{
    return s->orphans;
}

uint32_t meter_session_lost(const struct meter_session *s)
{
    return s->lost;
}
