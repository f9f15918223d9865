/*
 * OCPP queue on the journal: owns the mapping between meter journal records and the charge
 * point's transaction queue (Start on a new record, Stop on a closed one, the delivered
 * mark on the CSMS's confirmation, the CSMS's transaction id kept with the record) and the
 * rebuild of the queue from undelivered records after a reboot.
 */
#include "ocpp_journal.h"

#include <string.h>

static uint32_t local_of(const struct ocpp_journal *oj, uint32_t seq)
{
    return (uint32_t)oj->connector << 24 | (seq & 0xFFFFFFu);
}

bool ocpp_journal_owns(const struct ocpp_journal *oj, uint32_t local_tx)
{
    return (local_tx >> 24) == oj->connector;
}

static enum ocpp_reason reason_of(const struct ocpp_journal *oj, enum journal_end end)
{
    if (end == JOURNAL_END_RECOVERED) {
        return OCPP_R_POWER_LOSS; /* closed at start-up: the power went during the session */
    }
    if (oj->reason != OCPP_R_COUNT) {
        return oj->reason;
    }
    return end == JOURNAL_END_NORMAL ? OCPP_R_LOCAL : OCPP_R_OTHER;
}

/* Queue the Stop of a closed record. */
static int queue_stop(struct ocpp_journal *oj, const struct journal_entry *e)
{
    int rc = ocpp_cp_tx_stop(oj->cp, local_of(oj, e->seq), "", e->stop_wh, e->stop_unix_s,
                             reason_of(oj, e->end));
    oj->reason = OCPP_R_COUNT;
    return rc;
}

/* The register the record left: its stop reading once closed (a failed record keeps the
 * last reading), else, or when the meter never ran it, its start reading. */
static void note_register(struct ocpp_journal *oj, const struct journal_entry *e)
{
    oj->reg_wh = e->state == JOURNAL_CLOSED && e->end != JOURNAL_END_ABORTED ? e->stop_wh : e->start_wh;
    oj->reg_known = true;
}

/* Hand record @p seq to the charge point; false when the queue is full (retried later). */
static bool take(struct ocpp_journal *oj, uint32_t seq)
{
    if (journal_get(oj->j, seq, &oj->e) != HAL_OK) {
        return true; /* unreadable: the journal discarded it; nothing to send */
    }
    struct journal_entry *e = &oj->e;
    note_register(oj, e);
    if (e->delivered) {
        return true;
    }
    if (e->state == JOURNAL_CLOSED && e->end == JOURNAL_END_ABORTED && !e->remote_known) {
        /* the meter never ran it and the CSMS never took it: nothing for the CSMS (one the
         * CSMS took gets its Stop below, or the CSMS would keep it open for ever) */
        (void)journal_delivered(oj->j, seq);
        return true;
    }
    /* no OCPP token (autocharge, Plug & Charge, a local token): the one the charger started
     * the meter transaction with, cut to the schema's 20 characters */
    if (oj->token[0] == '\0' && oj->idtag_of != NULL) {
        const char *t = oj->idtag_of(oj->idtag_ctx, oj->connector, e->txid);
        if (t != NULL) {
            ocpp_journal_set_token(oj, t);
        }
    }
    /* A Start the CSMS took before a reboot is not sent again: the transaction continues
     * under the id it gave (exactly once across the reboot). */
    int rc = e->remote_known
                 ? ocpp_cp_tx_resume(oj->cp, oj->connector, local_of(oj, seq), e->remote_id)
                 : ocpp_cp_tx_start(oj->cp, oj->connector, local_of(oj, seq), oj->token, e->start_wh,
                                    e->start_unix_s);
    if (rc == HAL_ENOMEM) {
        return false;
    }
    if (rc != HAL_OK) {
        return true; /* already known (queued before) */
    }
    oj->queued++;
    oj->token[0] = '\0';
    if (e->state == JOURNAL_CLOSED) {
        (void)queue_stop(oj, e);
    } else {
        oj->open_seq = seq;
        oj->open_start_wh = e->start_wh;
    }
    return true;
}

void ocpp_journal_init(struct ocpp_journal *oj, struct ocpp_cp *cp, struct journal *j, uint8_t connector,
                       uint32_t now_ms)
{
    memset(oj, 0, sizeof *oj);
    oj->cp = cp;
    oj->j = j;
    oj->connector = connector;
    oj->reason = OCPP_R_COUNT;
    oj->check_ms = now_ms;
    ocpp_journal_poll(oj, now_ms);
}

void ocpp_journal_poll(struct ocpp_journal *oj, uint32_t now_ms)
{
    if (oj->checked && (uint32_t)(now_ms - oj->check_ms) < OCPP_JOURNAL_CHECK_MS) {
        return;
    }
    oj->checked = true;
    oj->check_ms = now_ms;
    if (oj->open_seq != 0) {
        if (journal_get(oj->j, oj->open_seq, &oj->e) != HAL_OK) {
            oj->open_seq = 0;
        } else if (oj->e.state == JOURNAL_CLOSED) {
            note_register(oj, &oj->e);
            if (queue_stop(oj, &oj->e) != HAL_ENOMEM) {
                oj->open_seq = 0;
            }
        }
    }
    uint32_t seq;
    while (oj->open_seq == 0 && journal_next(oj->j, oj->seen_seq, JOURNAL_FREE, &seq) == HAL_OK) {
        if (!take(oj, seq)) {
            break;
        }
        oj->seen_seq = seq;
    }
}

bool ocpp_journal_running(const struct ocpp_journal *oj, uint32_t *local_tx, int64_t *start_wh)
{
    if (oj->open_seq == 0) {
        return false;
    }
    *local_tx = local_of(oj, oj->open_seq);
    *start_wh = oj->open_start_wh;
    return true;
}

bool ocpp_journal_register(const struct ocpp_journal *oj, int64_t *wh)
{
    *wh = oj->reg_wh;
    return oj->reg_known;
}

void ocpp_journal_set_token(struct ocpp_journal *oj, const char *token)
{
    size_t n = strlen(token);
    if (n > OCPP_IDTAG_MAX) {
        n = OCPP_IDTAG_MAX;
    }
    memcpy(oj->token, token, n);
    oj->token[n] = '\0';
}

void ocpp_journal_set_idtag_source(struct ocpp_journal *oj,
                                   const char *(*idtag_of)(void *ctx, uint8_t connector, const char *txid), void *ctx)
{
    oj->idtag_of = idtag_of;
    oj->idtag_ctx = ctx;
}

void ocpp_journal_set_reason(struct ocpp_journal *oj, enum ocpp_reason r)
{
    oj->reason = r;
}

size_t ocpp_journal_signed(struct ocpp_journal *oj, uint32_t local_tx, const char **ocmf)
{
    uint32_t seq = local_tx & 0xFFFFFFu;
    if (!ocpp_journal_owns(oj, local_tx) || journal_get(oj->j, seq, &oj->e) != HAL_OK ||
        oj->e.state != JOURNAL_CLOSED || oj->e.ocmf_len == 0) {
        return 0;
    }
    *ocmf = oj->e.ocmf;
    return oj->e.ocmf_len;
}

int ocpp_journal_started(struct ocpp_journal *oj, uint32_t local_tx, int32_t csms_id)
{
    if (!ocpp_journal_owns(oj, local_tx)) {
        return HAL_EINVAL;
    }
    return journal_set_remote(oj->j, local_tx & 0xFFFFFFu, csms_id);
}

int ocpp_journal_delivered(struct ocpp_journal *oj, uint32_t local_tx)
{
    if (!ocpp_journal_owns(oj, local_tx)) {
        return HAL_EINVAL;
    }
    return journal_delivered(oj->j, local_tx & 0xFFFFFFu);
}
