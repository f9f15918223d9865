/**
 * @file ocpp_journal.h
 * @brief The OCPP transaction queue on the meter journal: every journal record is a
 *        transaction the CSMS must get exactly once, in order, with its signed OCMF record.
 *
 * The journal stores a transaction durably before the station acknowledges it (STARTED,
 * then CLOSED with the OCMF record), so it is the persistent half of the offline queue:
 * at start-up every record not yet marked delivered is queued again (Start, and Stop when
 * closed; a record whose Start the CSMS took carries the CSMS's id and gets only its Stop),
 * and while running each new record is queued as it appears. When the CSMS confirms
 * a StopTransaction, the record is marked delivered, which frees its slot (the Linux board
 * refuses new transactions once CFG_JOURNAL_SLOTS records are undelivered). The OCMF record is
 * read from the journal when the Stop is written, never copied into the queue.
 *
 * One instance per connector (each connector's meter has its own journal); local
 * transaction numbers are connector << 24 | journal sequence.
 */
#ifndef OCPP_JOURNAL_H
#define OCPP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "ocpp/ocpp_cp.h"

/** How often the journal is read for new or closed records. */
#define OCPP_JOURNAL_CHECK_MS 1000u

struct ocpp_journal {
    struct ocpp_cp *cp;
    struct journal *j;
    uint8_t connector;       /**< 1-based */
    uint32_t seen_seq;       /**< highest sequence handed to the charge point */
    uint32_t open_seq;       /**< a STARTED record whose Stop is not queued yet (0 none) */
    int64_t open_start_wh;   /**< its start reading (the register = this + session energy) */
    uint32_t check_ms;
    bool checked;
    char token[OCPP_IDTAG_MAX + 1]; /**< idTag of the session now running */
    enum ocpp_reason reason; /**< stop reason the station reported, OCPP_R_COUNT = unknown */
    uint32_t queued;         /**< transactions queued (figures) */
    int64_t reg_wh;          /**< the meter register at the newest record's start or stop */
    bool reg_known;
    struct journal_entry e;  /**< scratch; holds the OCMF record while a Stop is written */
    /* the idTag of a record no OCPP token was set for (a session authorised outside OCPP):
     * the token its transaction was started with, by the record's txid; NULL: none */
    const char *(*idtag_of)(void *ctx, uint8_t connector, const char *txid);
    void *idtag_ctx;
};

/** Queue every undelivered record of @p j (a reboot left them) and follow new ones. */
void ocpp_journal_init(struct ocpp_journal *oj, struct ocpp_cp *cp, struct journal *j, uint8_t connector,
                       uint32_t now_ms);

/** Queue what the journal gained since the last call (new Starts, Stops of closed records). */
void ocpp_journal_poll(struct ocpp_journal *oj, uint32_t now_ms);

/** The idTag that authorised the session now starting (before its journal record appears). */
void ocpp_journal_set_token(struct ocpp_journal *oj, const char *token);
/** Where the idTag of a session authorised outside OCPP comes from (the charger's token by
 *  the record's txid, charger_tx_idtag); set after ocpp_journal_init(). A token set with
 *  ocpp_journal_set_token() goes first. */
void ocpp_journal_set_idtag_source(struct ocpp_journal *oj,
                                   const char *(*idtag_of)(void *ctx, uint8_t connector, const char *txid), void *ctx);
/** Why the running transaction stops (the station's reason), before its record closes. */
void ocpp_journal_set_reason(struct ocpp_journal *oj, enum ocpp_reason r);

/** The transaction running now (its Start queued or taken, its Stop not yet queued): its
 *  local number and start reading. false: none. */
bool ocpp_journal_running(const struct ocpp_journal *oj, uint32_t *local_tx, int64_t *start_wh);

/** The meter register as the newest journal record left it (for clock-aligned values
 *  outside a transaction: no energy flows between sessions). false: no record seen. */
bool ocpp_journal_register(const struct ocpp_journal *oj, int64_t *wh);

/** Whether @p local_tx belongs to this instance. */
bool ocpp_journal_owns(const struct ocpp_journal *oj, uint32_t local_tx);

/** For ocpp_cp_ops.signed_data: the OCMF record of @p local_tx (0 = none). */
size_t ocpp_journal_signed(struct ocpp_journal *oj, uint32_t local_tx, const char **ocmf);

/** For ocpp_cp_ops.tx_started: keep the CSMS's id with the record (a reboot resumes it). */
int ocpp_journal_started(struct ocpp_journal *oj, uint32_t local_tx, int32_t csms_id);

/** For ocpp_cp_ops.tx_delivered: mark the record delivered (its slot may be reused). */
int ocpp_journal_delivered(struct ocpp_journal *oj, uint32_t local_tx);

#endif /* OCPP_JOURNAL_H */
