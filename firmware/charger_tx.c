/*
 * charger_tx.c - the metered transaction of a session: started with the transaction id
 * and the authorisation token the session passes in (charger_start_transaction),
 * stopped with the session, retried while the meter is busy, and the meter's events
 * turned into the session record.
 */
#include "charger_priv.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "hal_fmt.h"

bool charger_tx_mine(const struct charger *c)
{
    return c->tx.state != CHARGER_TX_NONE && c->current.number != 0 && c->tx.session == c->current.number;
}

/* The record of the session the transaction belongs to: the one in progress, or a
 * finished one whose meter answered after the unplug, or even after the next car
 * plugged in (a slow meter line: faults-real saw the stop acknowledged 4.7 s late, and
 * the next session took the record as its own and never started a transaction). NULL
 * once it has left the history. */
static struct charger_session_record *charger_tx_record(struct charger *c)
{
    if (c->current.number != 0 && c->current.number == c->tx.session) {
        return &c->current;
    }
    uint32_t kept = c->history_count < CFG_CHARGER_HISTORY ? c->history_count : CFG_CHARGER_HISTORY;
    for (uint32_t i = 1; i <= kept; i++) {
        struct charger_session_record *r = &c->history[(c->history_count - i) % CFG_CHARGER_HISTORY];
        if (r->number == c->tx.session) {
            return r;
        }
    }
    return NULL;
}

const char *charger_tx_idtag(const struct charger *c, const char *txid)
{
    if (txid == NULL || c->tx.state == CHARGER_TX_NONE || c->tx.id[0] == '\0' || strcmp(c->tx.id, txid) != 0) {
        return NULL;
    }
    return c->tx.idtag;
}

void charger_meter_stop(struct charger *c, uint32_t now_ms)
{
    if (c->io.meter_session == NULL || (c->tx.state != CHARGER_TX_OPEN && c->tx.state != CHARGER_TX_STARTING)) {
        return;
    }
    if (c->tx.state == CHARGER_TX_STARTING) {
        /* The start has not been acknowledged: its event decides, then we stop. */
        return;
    }
    /* The journal's stop time is the meter session's wall clock: set it now, or the stop
     * would carry the time of the start (the OCPP StopTransaction's timestamp). */
    int64_t wall_ms = 0;
    if (c->io.clock != NULL && hal_clock_wall(c->io.clock, &wall_ms) == HAL_OK) {
        meter_session_set_wall(c->io.meter_session, wall_ms / 1000);
    }
    int rc = meter_session_stop(c->io.meter_session, now_ms);
    if (rc == HAL_OK) {
        c->tx.state = CHARGER_TX_STOPPING;
        c->tx.since_ms = now_ms;
        c->tx.stop_pending = false;
        charger_log(c, HAL_LOG_INFO, now_ms, "meter", "stopping the transaction");
    } else if (rc == HAL_EAGAIN) {
        /* Busy or not answering: the transaction is still open in the meter and in the
         * journal; ask again (once a second) until the meter takes the stop. */
        if (!c->tx.stop_pending) {
            charger_log(c, HAL_LOG_WARN, now_ms, "meter: stop not taken yet, will retry", hal_strerror(rc));
        }
        c->tx.stop_pending = true;
        c->tx.retry_ms = now_ms;
    } else {
        c->tx.state = CHARGER_TX_FAILED;
        charger_log(c, HAL_LOG_WARN, now_ms, "meter: stop refused", hal_strerror(rc));
    }
}

void charger_tx_start(struct charger *c, const char *txid, const char *token_id, uint32_t now_ms)
{
    if (c->io.meter_session == NULL || c->tx.state != CHARGER_TX_NONE) {
        return;
    }
    snprintf(c->tx.id, sizeof c->tx.id, "%s", txid);
    c->tx.session = c->current.number;
    snprintf(c->tx.idtag, sizeof c->tx.idtag, "%s", token_id != NULL ? token_id : "");
    struct meter_tx_req req = {
        .txid = c->tx.id,
        .evse_id = c->cfg.name,
        .id_data = c->tx.idtag[0] ? c->tx.idtag : NULL,
        .tariff_text = NULL,
        .assigned = true,
    };
    int rc = meter_session_start(c->io.meter_session, &req, now_ms);
    if (rc == HAL_OK) {
        c->tx.state = CHARGER_TX_STARTING;
        c->tx.since_ms = now_ms;
        charger_log(c, HAL_LOG_INFO, now_ms, "meter: starting transaction", c->tx.id);
    } else if (rc == HAL_EPROTO && meter_session_key_state(c->io.meter_session) != METER_KEY_UNPINNED) {
        /* Not the meter that was configured: billing with it would sign for someone else. */
        charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_KEY_MISMATCH, ERRORS_SEV_MEDIUM,
                      meter_session_key_state(c->io.meter_session) == METER_KEY_UNKNOWN
                          ? "meter reports no public key: transaction refused (a key is pinned)"
                          : "meter public key differs from the pinned key: transaction refused",
                      now_ms);
        c->tx.state = CHARGER_TX_FAILED;
    } else if (rc != HAL_EAGAIN) {
        charger_log(c, HAL_LOG_WARN, now_ms, "meter: transaction refused", hal_strerror(rc));
        errors_raise(&c->err, ERRORS_SRC_METER, (uint32_t)-rc, ERRORS_SEV_MEDIUM,
                     "meter refused the transaction", now_ms);
        c->tx.state = CHARGER_TX_FAILED;
    }
}

void charger_meter_events(struct charger *c, uint32_t now_ms)
{
    struct meter_event ev;
    if (c->io.meter_session == NULL) {
        return;
    }
    while (meter_session_event(c->io.meter_session, &ev) == HAL_OK) {
        struct charger_session_record *r = charger_tx_record(c), gone;
        if (r == NULL) {
            memset(&gone, 0, sizeof gone); /* its record left the history: nothing to fill in */
            r = &gone;
        }
        /* The session in progress is not the one this transaction served. */
        bool earlier = c->current.number != 0 && c->tx.session != c->current.number;
        struct meter_live live;
        bool have_live = c->io.meter != NULL && meter_live(c->io.meter, &live) == HAL_OK;
        char wh[HAL_FMT_I64_LEN]; /* no "%lld" in newlib-nano */
        switch (ev.kind) {
        case METER_EV_STARTED:
            c->tx.state = CHARGER_TX_OPEN;
            c->tx.start_wh = have_live ? live.import_wh : 0;
            r->meter_seq = ev.seq;
            (void)hal_fmt_i64(wh, (int64_t)c->tx.start_wh);
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] meter: transaction %s started (journal #%lu, %s Wh)", c->cfg.name,
                     c->tx.id, (unsigned long)ev.seq, wh);
            if (earlier || c->state == CHARGER_STOPPING || c->state == CHARGER_FINISHED ||
                c->state == CHARGER_FAULT || c->state == CHARGER_IDLE || c->state == CHARGER_WELDING) {
                charger_meter_stop(c, now_ms); /* the session ended while it started */
            }
            break;
        case METER_EV_START_FAILED:
            if (earlier) {
                c->tx.state = CHARGER_TX_NONE; /* nothing of an ended session stays open */
                break;
            }
            c->tx.state = CHARGER_TX_FAILED;
            errors_raise(&c->err, ERRORS_SRC_METER, (uint32_t)-ev.status, ERRORS_SEV_MEDIUM,
                         "meter transaction did not start", now_ms);
            break;
        case METER_EV_STOPPED:
            /* An earlier session's transaction closed: the meter is free for this one's. */
            c->tx.state = earlier ? CHARGER_TX_NONE : CHARGER_TX_DONE;
            r->meter_seq = ev.seq;
            /* HAL_ENOENT: closed without the meter's record (it lost the transaction). */
            r->meter_ok = ev.status == HAL_OK;
            if (have_live) {
                /* After an ISO-2 pause the record sums its transactions (paused_wh). */
                r->energy_wh = r->paused_wh + live.import_wh - c->tx.start_wh;
                r->metered = true;
            }
            (void)hal_fmt_i64(wh, (int64_t)r->energy_wh);
            if (ev.status != HAL_OK) {
                hal_logf(c->io.log, HAL_LOG_WARN, now_ms,
                         "[%s] meter: transaction closed WITHOUT a record: the meter lost it (journal #%lu "
                         "closed as failed, last reading %s Wh, unsigned)",
                         c->cfg.name, (unsigned long)ev.seq, wh);
                break;
            }
            hal_logf(c->io.log, HAL_LOG_INFO, now_ms,
                     "[%s] meter: transaction stopped, OCMF record stored (journal #%lu, "
                     "signature %s, %s Wh)",
                     c->cfg.name, (unsigned long)ev.seq,
                     ev.verify == HAL_OK ? "valid" : ev.verify == HAL_ENOTSUP ? "not checked" : "INVALID",
                     wh);
            break;
        case METER_EV_STOP_FAILED:
            /* Not taken (no answer, busy, or the record could not be stored durably): the
             * transaction is still open in the meter and STARTED in the journal, and the
             * meter session is back to ACTIVE. Ask again once a second until it is closed:
             * giving up would leave it open for ever, and the meter would refuse every
             * later start (found on a real RS-485 line, tools/faults/real.sh). */
            c->tx.state = CHARGER_TX_OPEN;
            charger_log(c, HAL_LOG_WARN, now_ms, "meter: the stop was not acknowledged, will retry",
                        hal_strerror(ev.status));
            c->tx.stop_pending = true;
            c->tx.retry_ms = now_ms;
            break;
        case METER_EV_RECOVERED:
            charger_log(c, HAL_LOG_INFO, now_ms, "meter", "closed a transaction of a previous run");
            break;
        case METER_EV_KEY_CHANGED: {
            /* Another signer: with a transaction running its record will not be the same
             * meter's, so the session stops; otherwise it is recorded (and a pinned key
             * keeps the next transaction from starting). */
            bool tx = c->tx.state == CHARGER_TX_OPEN || c->tx.state == CHARGER_TX_STARTING;
            charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_KEY_CHANGED,
                          tx ? ERRORS_SEV_MEDIUM : ERRORS_SEV_LOW, "meter public key changed", now_ms);
            break;
        }
        case METER_EV_NONE:
            break;
        }
    }
    if (c->tx.stop_pending && c->tx.state == CHARGER_TX_OPEN && now_ms - c->tx.retry_ms >= 1000u) {
        charger_meter_stop(c, now_ms);
    }
    if ((c->tx.state == CHARGER_TX_STARTING || c->tx.state == CHARGER_TX_STOPPING) &&
        now_ms - c->tx.since_ms >= c->cfg.meter_timeout_ms) {
        bool starting = c->tx.state == CHARGER_TX_STARTING;
        c->tx.state = CHARGER_TX_FAILED;
        if (c->current.number != 0 && c->tx.session != c->current.number) {
            /* An earlier session's: its record keeps what it had; this session asks anew. */
            c->tx.state = CHARGER_TX_NONE;
            charger_log(c, HAL_LOG_WARN, now_ms, "meter", "the last session's transaction not acknowledged in time");
        } else if (starting) {
            charger_raise(c, ERRORS_SRC_METER, CHARGER_METER_START_TIMEOUT, ERRORS_SEV_MEDIUM,
                          "meter start not acknowledged in time", now_ms);
        } else {
            charger_log(c, HAL_LOG_WARN, now_ms, "meter", "stop not acknowledged in time");
        }
    }
    if (c->current.number != 0 && c->tx.session != c->current.number &&
        (c->tx.state == CHARGER_TX_DONE || c->tx.state == CHARGER_TX_FAILED)) {
        c->tx.state = CHARGER_TX_NONE; /* an earlier session's, settled: this one starts its own */
    }
}

int64_t charger_session_energy_wh(const struct charger *c)
{
    if (c->current.number == 0) {
        return 0;
    }
    if (c->current.metered) {
        return c->current.energy_wh; /* the transaction is over: what the meter said */
    }
    struct meter_live live;
    if (c->tx.state == CHARGER_TX_OPEN && c->io.meter != NULL &&
        meter_live(c->io.meter, &live) == HAL_OK) {
        return c->current.paused_wh + live.import_wh - c->tx.start_wh;
    }
    return (int64_t)(c->pw.energy_mwh / 1000.0 + 0.5);
}
