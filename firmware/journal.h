/**
 * @file journal.h
 * @brief Durable transaction journal on hal_nvs: start reading, stop reading and the signed
 *        OCMF record of every transaction, stored before they are acknowledged upward.
 *
 * One record per transaction, named "jrnl.<slot>" with slot = seq % CFG_JOURNAL_SLOTS.
 * A transaction's record is written twice with hal_nvs's atomic replace: STARTED (id,
 * start reading) before the start is acknowledged, CLOSED (stop reading, OCMF) before the
 * stop is acknowledged. Every record carries a magic, a version and a CRC-32; at start-up
 * a record that fails them (a torn or rotten write on a medium without atomic replace)
 * is discarded and counted, and nothing else is. The largest sequence number found
 * continues the count, so an id is never reused. A STARTED record found at start-up is an
 * unfinished transaction: the meter session closes it with the meter's data
 * (journal_close() on the same seq), so it is neither lost nor duplicated.
 *
 * The store is asynchronous (hal_nvs: submit, then poll), so are the writes here:
 * journal_begin() and journal_close() queue the record and journal_done() reports, once,
 * when it is durable; only then may the caller acknowledge it. One such foreground write
 * is outstanding at a time. Housekeeping (the "delivered" mark, erasing a record dropped
 * at open) runs in the background whenever the store is free, after the foreground write:
 * journal_poll() drives it. Nothing here waits.
 *
 * The upper layer may also keep the id its backend gave a transaction in the record
 * (journal_set_remote(): OCPP's transactionId of a confirmed StartTransaction), so that
 * after a reboot the transaction is continued under that id, never announced again.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_nvs.h"
#include "ocmf/ocmf.h"

/** Transactions kept (a slot is reused only after its record was delivered). */
#ifndef CFG_JOURNAL_SLOTS
#define CFG_JOURNAL_SLOTS 64u
#endif
_Static_assert(CFG_JOURNAL_SLOTS >= 2u && CFG_JOURNAL_SLOTS <= 1000u,
               "CFG_JOURNAL_SLOTS must be 2..1000");

#define JOURNAL_TXID_MAX 40u
/** Bytes of a serialised record at most. */
#define JOURNAL_RECORD_MAX (64u + JOURNAL_TXID_MAX + CFG_OCMF_MAX_LEN)

/** State of a journal entry. */
enum journal_state {
    JOURNAL_FREE = 0,
    JOURNAL_STARTED = 1, /**< begun; stop not yet stored */
    JOURNAL_CLOSED = 2,  /**< stopped; stop reading (and OCMF record if any) stored */
};

/** How a transaction ended. */
enum journal_end {
    JOURNAL_END_NONE = 0,
    JOURNAL_END_NORMAL,    /**< stopped by request, record verified or meter unsigned */
    JOURNAL_END_RECOVERED, /**< closed at start-up after a power loss, with the meter's record */
    JOURNAL_END_ABORTED,   /**< the meter never ran it (power lost before it started) */
    JOURNAL_END_FAILED,    /**< the meter lost or refused the record: no OCMF */
};

/** One transaction. */
struct journal_entry {
    uint32_t seq;
    enum journal_state state;
    enum journal_end end;
    bool delivered;        /**< the upper layer (OCPP) has it: the slot may be reused */
    bool verified;         /**< the OCMF signature was checked and is valid */
    bool remote_known;     /**< the backend took the start and gave it remote_id */
    int32_t remote_id;     /**< the backend's id (OCPP transactionId; -1: it refused it) */
    char txid[JOURNAL_TXID_MAX];
    int64_t start_wh;
    int64_t stop_wh;
    int64_t start_unix_s;
    int64_t stop_unix_s;
    uint16_t ocmf_len;
    char ocmf[CFG_OCMF_MAX_LEN + 1u];
};

/** What the store is doing for the journal. */
enum journal_io {
    JOURNAL_IO_NONE = 0,
    JOURNAL_IO_FG,       /**< the foreground record (begin / close) */
    JOURNAL_IO_BG_WRITE, /**< a "delivered" mark */
    JOURNAL_IO_BG_ERASE, /**< erasing a record that failed its checks at open */
};

/** Background work per slot (bits). */
#define JOURNAL_BG_ERASE 1u
#define JOURNAL_BG_DELIVER 2u
#define JOURNAL_BG_REMOTE 4u

/** The journal. Only journal.c touches the fields. */
struct journal {
    struct hal_nvs *nvs;
    uint32_t next_seq;
    uint32_t slot_seq[CFG_JOURNAL_SLOTS];             /**< 0 = empty; durable records only */
    uint8_t slot_state[CFG_JOURNAL_SLOTS];
    bool slot_delivered[CFG_JOURNAL_SLOTS];
    uint8_t slot_bg[CFG_JOURNAL_SLOTS];              /**< JOURNAL_BG_* still to do */
    bool slot_remote_known[CFG_JOURNAL_SLOTS];       /**< the backend's id, once known */
    int32_t slot_remote[CFG_JOURNAL_SLOTS];
    uint8_t io_bits;                                 /**< JOURNAL_BG_* the write in flight applies */
    uint32_t discarded;                              /**< bad records dropped at open */
    uint8_t buf[JOURNAL_RECORD_MAX];                 /**< reads */
    struct journal_entry tmp;
    /* the store operation in flight */
    enum journal_io io;
    uint32_t io_slot;
    /* the foreground record: queued -> submitted -> done -> taken by journal_done() */
    bool fg_queued;
    bool fg_submitted;
    bool fg_done;
    int fg_status;
    uint32_t fg_seq;
    uint8_t fg_state;
    size_t fg_len;
    uint8_t fg_buf[JOURNAL_RECORD_MAX]; /**< the store reads it until completion */
    uint8_t bg_buf[JOURNAL_RECORD_MAX];
};

/**
 * @brief Scan the store, drop records that fail their checks, continue the sequence.
 * @retval HAL_OK open
 * @retval HAL_EIO the store failed
 */
int journal_open(struct journal *j, struct hal_nvs *nvs);

/**
 * @brief Queue a new STARTED transaction; journal_done() tells when it is durable.
 * @param[out] seq its sequence number (> 0)
 * @retval HAL_OK queued
 * @retval HAL_EBUSY a foreground write is outstanding (its outcome not yet taken)
 * @retval HAL_ENOMEM its slot still holds an undelivered transaction
 * @retval HAL_EINVAL txid empty or too long
 */
int journal_begin(struct journal *j, const char *txid, int64_t start_wh, int64_t unix_s,
                  uint32_t *seq);

/**
 * @brief Queue the close of a transaction: stop reading and the OCMF record (may be
 *        NULL / 0, copied); journal_done() tells when it is durable.
 * @retval HAL_OK queued
 * @retval HAL_EBUSY a foreground write is outstanding (its outcome not yet taken)
 * @retval HAL_ENOENT no such transaction
 * @retval HAL_ESTATE it is already closed (the first close stays)
 * @retval HAL_EOVERFLOW the record is longer than CFG_OCMF_MAX_LEN
 * @retval HAL_EIO the STARTED record cannot be read back
 */
int journal_close(struct journal *j, uint32_t seq, int64_t stop_wh, int64_t unix_s,
                  enum journal_end end, const char *ocmf, size_t ocmf_len, bool verified);

/**
 * @brief Outcome of the foreground write (drives the store like journal_poll()).
 * @param[out] seq the transaction it was for
 * @param[out] status HAL_OK durable (acknowledge it now); else what the store answered,
 *             nothing changed (a failed begin leaves no transaction, a failed close leaves
 *             the STARTED record)
 * @retval HAL_OK finished; reported once
 * @retval HAL_EAGAIN still being written
 * @retval HAL_ESTATE no foreground write outstanding
 */
int journal_done(struct journal *j, uint32_t *seq, int *status);

/**
 * @brief Drive the store: take completions, submit the queued foreground write, then the
 *        background work. Call it every pass of the owner's task.
 * @return true while anything is queued or in flight
 */
bool journal_poll(struct journal *j);

/**
 * @brief Anything queued or in flight (a record, a "delivered" or backend-id mark), without
 *        driving the store: a reboot now would lose it (an OCPP Reset waits for this).
 */
bool journal_busy(const struct journal *j);

/**
 * @brief Mark a closed transaction as delivered upward (written in the background); its
 *        slot may be reused once that mark is durable. If the store fails the mark, the
 *        slot stays undelivered: mark it again.
 * @retval HAL_OK queued (or already delivered)
 * @retval HAL_ENOENT no such transaction
 * @retval HAL_ESTATE it is not closed
 */
int journal_delivered(struct journal *j, uint32_t seq);

/**
 * @brief Keep the backend's id of a transaction (started or closed) in its record, written
 *        in the background; a later close keeps it. The first id set stays.
 * @retval HAL_OK queued (or already the same)
 * @retval HAL_ENOENT no such transaction
 * @retval HAL_ESTATE a different id is already kept
 */
int journal_set_remote(struct journal *j, uint32_t seq, int32_t remote_id);

/**
 * @brief Read one transaction.
 * @retval HAL_OK @p out filled
 * @retval HAL_ENOENT no such transaction
 * @retval HAL_EIO the store failed or the record no longer checks
 */
int journal_get(struct journal *j, uint32_t seq, struct journal_entry *out);

/**
 * @brief Oldest transaction with seq > @p after in state @p state (JOURNAL_FREE = any).
 * @retval HAL_OK @p seq set
 * @retval HAL_ENOENT none
 */
int journal_next(const struct journal *j, uint32_t after, enum journal_state state,
                 uint32_t *seq);

/** @brief Records dropped at open because they failed their checks. */
uint32_t journal_discarded(const struct journal *j);

/** @brief CRC-32 (IEEE 802.3, reflected) of @p len bytes. */
uint32_t journal_crc32(const uint8_t *p, size_t len);

#endif /* JOURNAL_H */
