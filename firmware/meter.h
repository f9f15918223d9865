/**
 * @file meter.h
 * @brief The meter interface of the firmware (live values, signed transactions, public
 *        key, errors) and the meter session: the transaction manager that puts every
 *        transaction into the durable journal before it is acknowledged upward.
 *
 * A meter is an ops table (the EM580/EM300 adapter in meter_em580.c, the simulated
 * meter of board/sim). Start, stop and confirm are asynchronous: accepted now, finished
 * later through `result`. The meter session drives one meter with one journal:
 *
 *   start:  live import -> journal STARTED (durable) -> meter start -> event STARTED
 *   stop:   meter stop -> OCMF record -> verify -> journal CLOSED (durable) -> meter
 *           confirm (the meter drops its copy only now) -> event STOPPED
 *   boot:   a STARTED entry is closed with what the meter has ("" stop ends whatever
 *           is open and returns its record; the id in TT matches it to the entry)
 */
#ifndef METER_H
#define METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_err.h"
#include "journal.h"
#include "ocmf/ocmf.h"
#include "sched.h"

/** Live values of a meter. */
struct meter_live {
    int64_t import_wh;
    int64_t export_wh;
    int32_t voltage_dv[3]; /**< 0.1 V */
    bool dc_valid;         /**< a DC meter's output voltage is in dc_voltage_mv (the EM580's
                                voltage_dv are AC phase voltages: false) */
    int32_t dc_voltage_mv; /**< DC+ to DC- at the meter, with dc_valid */
    int32_t current_ma[3];
    int32_t power_dw;      /**< total, 0.1 W, + import */
    uint32_t at_ms;        /**< when read */
};

/** Identification of a transaction. */
struct meter_tx_req {
    const char *txid;        /**< <= 36 characters */
    const char *evse_id;
    const char *id_data;     /**< may be NULL */
    const char *tariff_text; /**< may be NULL */
    bool assigned;
    uint8_t level;
    uint8_t type;
    uint8_t flags[4];
};

/** Outcome of a start / stop / confirm. */
struct meter_done {
    int status;              /**< HAL_OK or the failure */
    const char *ocmf;        /**< stop (and start with an orphan): the record, else NULL;
                                  valid until the next start, stop or confirm */
    size_t ocmf_len;
    bool recovered;          /**< the record was pending on the meter after a power loss */
    bool orphan;             /**< start: an old record was collected before starting */
    bool confirm_pending;    /**< the meter keeps the record until confirm */
    uint32_t error;          /**< the device's own error code (EM580: enum em580_error) */
    bool lost;               /**< stop: the meter no longer has the transaction and holds no
                                  record of it (it forgot it): no stop will ever deliver one */
};

struct meter;

/** Operations of a meter. live, result and status are mandatory; start, stop, confirm and
 *  pubkey are optional (NULL: HAL_ENOTSUP through the wrapper, the convention of psu.h: an
 *  unsigned meter leaves them out). The jobs take the caller's loop time so the driver can
 *  run at once without keeping a copy of the clock. */
struct meter_ops {
    /** Latest live values: HAL_OK, HAL_EAGAIN (none yet), HAL_ETIMEDOUT (stale). */
    int (*live)(struct meter *m, struct meter_live *out);
    /** Begin a signed transaction: HAL_OK accepted, HAL_ENOTSUP (unsigned meter), HAL_EAGAIN,
     *  HAL_EBUSY, HAL_ESTATE, HAL_EINVAL. */
    int (*start)(struct meter *m, const struct meter_tx_req *req, uint32_t now_ms);
    /** End a transaction ("" = whatever is open): as start. */
    int (*stop)(struct meter *m, const char *txid, uint32_t now_ms);
    /** The stopped record is stored: the meter may drop it. HAL_ESTATE if nothing pends. */
    int (*confirm)(struct meter *m, uint32_t now_ms);
    /** Outcome of the last start/stop/confirm: HAL_OK (filled) or HAL_EAGAIN. */
    int (*result)(struct meter *m, struct meter_done *out);
    /** Public key: HAL_OK, HAL_ENOENT (none), HAL_EOVERFLOW. */
    int (*pubkey)(struct meter *m, uint8_t *pub, size_t cap, size_t *len,
                  enum hal_crypto_curve *curve);
    /** Health: HAL_OK ready, HAL_EAGAIN still detecting, HAL_ETIMEDOUT communication lost,
     *  HAL_EIO the device reports an error (see @p device_error). */
    int (*status)(struct meter *m, uint32_t *device_error);
};

/** A meter instance. */
struct meter {
    const struct meter_ops *ops;
};

/**
 * @brief Latest live values.
 * @retval HAL_OK filled
 * @retval HAL_EAGAIN nothing read yet
 * @retval HAL_ETIMEDOUT communication lost: @p out holds the last (stale) values
 */
static inline int meter_live(struct meter *m, struct meter_live *out)
{
    return m->ops->live(m, out);
}

/**
 * @brief Ask the meter to begin a signed transaction.
 * @retval HAL_OK accepted; the outcome comes from meter_result()
 * @retval HAL_ENOTSUP the meter does not sign (EM300/ET300, no key, simulator without keys)
 * @retval HAL_EAGAIN not ready (detecting, or communication lost)
 * @retval HAL_EBUSY another start/stop/confirm is running
 * @retval HAL_ESTATE a transaction is open
 * @retval HAL_EINVAL bad identification data
 */
static inline int meter_start(struct meter *m, const struct meter_tx_req *req, uint32_t now_ms)
{
    return m->ops->start != NULL ? m->ops->start(m, req, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief Ask the meter to end a transaction and hand over its record.
 * @retval HAL_OK accepted; the outcome comes from meter_result()
 * @retval HAL_ENOTSUP the meter does not sign
 * @retval HAL_EAGAIN not ready
 * @retval HAL_EBUSY another job is running
 * @retval HAL_EINVAL bad id
 */
static inline int meter_stop(struct meter *m, const char *txid, uint32_t now_ms)
{
    return m->ops->stop != NULL ? m->ops->stop(m, txid, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief Let the meter drop the record of the last stop (it is stored now).
 * @retval HAL_OK accepted; outcome via meter_result()
 * @retval HAL_ENOTSUP the meter keeps no record to confirm (op absent)
 * @retval HAL_ESTATE nothing waits for confirmation
 * @retval HAL_EAGAIN not ready
 * @retval HAL_EBUSY another job is running
 */
static inline int meter_confirm(struct meter *m, uint32_t now_ms)
{
    return m->ops->confirm != NULL ? m->ops->confirm(m, now_ms) : HAL_ENOTSUP;
}

/**
 * @brief Outcome of the last accepted start/stop/confirm.
 * @retval HAL_OK @p out filled (the record pointer stays valid until the next job)
 * @retval HAL_EAGAIN still running or nothing asked
 */
static inline int meter_result(struct meter *m, struct meter_done *out)
{
    return m->ops->result(m, out);
}

/**
 * @brief The meter's public key.
 * @retval HAL_OK copied
 * @retval HAL_ENOENT no key
 * @retval HAL_EOVERFLOW @p cap too small
 * @retval HAL_ENOTSUP the meter does not sign (op absent)
 */
static inline int meter_pubkey(struct meter *m, uint8_t *pub, size_t cap, size_t *len,
                               enum hal_crypto_curve *curve)
{
    return m->ops->pubkey != NULL ? m->ops->pubkey(m, pub, cap, len, curve) : HAL_ENOTSUP;
}

/**
 * @brief Health of the meter.
 * @retval HAL_OK ready
 * @retval HAL_EAGAIN still detecting
 * @retval HAL_ETIMEDOUT communication lost
 * @retval HAL_EIO the device reports an error; @p device_error says which
 */
static inline int meter_status(struct meter *m, uint32_t *device_error)
{
    return m->ops->status(m, device_error);
}

/** Session states. */
enum meter_session_state {
    METER_S_RECOVER = 0,   /**< closing what the journal found open (waits for the meter) */
    METER_S_RECOVER_STOP,  /**< "" stop sent during recovery */
    METER_S_RECOVER_CONFIRM,
    METER_S_IDLE,
    METER_S_STARTING,      /**< journal has STARTED, meter start running */
    METER_S_ACTIVE,
    METER_S_STOPPING,      /**< meter stop running */
    METER_S_CONFIRMING,    /**< journal has CLOSED, meter confirm running */
    METER_S_BEGINNING,     /**< the STARTED record is being stored; the meter start follows */
    METER_S_CLOSING,       /**< the stop's CLOSED record is being stored; then acknowledged */
    METER_S_ABORTING,      /**< a start that failed is being closed as aborted */
    METER_S_RECOVER_CLOSING, /**< recovery: the CLOSED record is being stored */
    METER_S_VERIFYING,     /**< the record's signature is being checked beside the loop (a
                                crypto port with submit/poll); then as `verify_then` says */
};

/** What the session reports upward. */
enum meter_event_kind {
    METER_EV_NONE = 0,
    METER_EV_STARTED,      /**< start stored and the meter runs it: acknowledge upward */
    METER_EV_START_FAILED, /**< not started (journal entry closed as aborted) */
    METER_EV_STOPPED,      /**< stop reading and record stored: acknowledge upward; status
                                HAL_ENOENT: the meter lost the transaction, the entry is
                                closed as failed with the last live reading, unsigned */
    METER_EV_STOP_FAILED,  /**< the meter did not deliver; the transaction stays open */
    METER_EV_RECOVERED,    /**< an unfinished transaction of a previous run was closed */
    METER_EV_KEY_CHANGED,  /**< the meter now reports another public key than before */
};

/** The meter's public key against the configured pin (meter_session_pin_key()). */
enum meter_key_state {
    METER_KEY_UNPINNED = 0, /**< no pin: records are checked against the meter's own key */
    METER_KEY_UNKNOWN,      /**< pinned, but the meter has not reported a key (yet) */
    METER_KEY_MATCH,        /**< the meter reports the pinned key */
    METER_KEY_MISMATCH,     /**< the meter reports another key: no transaction is started */
};

/** One event. */
struct meter_event {
    enum meter_event_kind kind;
    uint32_t seq;          /**< journal sequence number */
    int status;            /**< HAL_OK or why it failed */
    int verify;            /**< STOPPED/RECOVERED: HAL_OK valid signature, HAL_ENOTSUP not
                                checked (no key / no crypto / unsigned), else the failure */
};

#define METER_SESSION_EVENTS 4u
/** Retry period while the meter is not ready during recovery or a failed journal write. */
#define METER_SESSION_RETRY_MS 500u

/** A meter with its journal. Only meter.c touches the fields. */
struct meter_session {
    struct meter *m;
    struct journal *j;
    struct hal_crypto *crypto; /**< NULL: records are stored unchecked */
    struct sched_task task;
    enum meter_session_state state;
    uint32_t seq;
    char txid[JOURNAL_TXID_MAX];
    struct meter_tx_req req;
    bool signed_tx;           /**< the meter signs this transaction */
    int64_t wall_s;           /**< wall clock in Unix seconds, set by the board */
    int last_verify;           /**< the signature check of the last closed record */
    uint32_t last_seq;         /**< its journal entry (0: none closed since start) */
    struct meter_event ev[METER_SESSION_EVENTS];
    uint8_t nev;
    uint32_t orphans;          /**< records found on the meter that matched no open entry */
    uint32_t lost;             /**< transactions the meter lost (closed as failed, no record) */
    uint32_t retry_at_ms;
    uint8_t pin[HAL_CRYPTO_PUB_MAX]; /**< the configured key (uncompressed point) */
    size_t pin_len;            /**< 0: no pin */
    uint8_t seen[HAL_CRYPTO_PUB_MAX]; /**< the key the meter reported last */
    size_t seen_len;           /**< 0: none reported yet */
    uint32_t key_changes;      /**< times the meter's key changed since start */
    /* what to report once the record being stored is durable */
    int store_status;          /**< ABORTING / RECOVER_CLOSING: the event's status */
    int store_verify;          /**< CLOSING / RECOVER_CLOSING: the signature check */
    bool store_confirm;        /**< the meter holds the record until confirmed */
    struct ocmf_record rec;
    /* VERIFYING: the check in flight and the meter's answer it belongs to (the record
     * text stays in the driver until the next start, stop or confirm) */
    struct ocmf_check check;
    struct meter_done vdone;
    enum meter_session_state verify_then; /**< STOPPING or RECOVER_STOP: whose answer */
};

/**
 * @brief Set up; recovery of unfinished transactions starts on the first step.
 * @param crypto may be NULL (records stored without a check)
 */
void meter_session_init(struct meter_session *s, struct meter *m, struct journal *j,
                        struct hal_crypto *crypto);

/** @brief The session's task (step every pass with I/O, deadlines as it needs). */
struct sched_task *meter_session_task(struct meter_session *s);

/** @brief Advance the session (the task calls this). @return next deadline. */
uint32_t meter_session_step(struct meter_session *s, uint32_t now_ms);

/** @brief Tell the session the wall clock (stored with each transaction). */
void meter_session_set_wall(struct meter_session *s, int64_t unix_s);

/**
 * @brief Pin the meter's identity: transactions start only while the meter reports this
 *        public key, and records are verified against it (never against the key the
 *        meter reports over Modbus).
 * @param pub an uncompressed point (ocmf_pubkey_from_hex() gives one from hex or DER)
 * @retval HAL_OK pinned
 * @retval HAL_EINVAL empty, too long, or not an uncompressed point (0x04 ...)
 */
int meter_session_pin_key(struct meter_session *s, const uint8_t *pub, size_t len);

/** @brief The meter's key against the pin (refreshed at every step). */
enum meter_key_state meter_session_key_state(const struct meter_session *s);

/**
 * @brief Begin a transaction. The strings must stay valid until the STARTED/START_FAILED event.
 * @retval HAL_OK accepted: METER_EV_STARTED or METER_EV_START_FAILED follows
 * @retval HAL_EAGAIN recovery still running, a record still being stored, or no live reading yet
 * @retval HAL_ESTATE a transaction is open
 * @retval HAL_ENOMEM the journal's slot still holds an undelivered transaction
 * @retval HAL_EINVAL bad id
 * @retval HAL_EPROTO a key is pinned and the meter reports another one, or none
 *         (meter_session_key_state() says which); nothing was journaled
 * A journal that cannot store the start is reported as METER_EV_START_FAILED.
 */
int meter_session_start(struct meter_session *s, const struct meter_tx_req *req, uint32_t now_ms);

/**
 * @brief End the open transaction.
 * @retval HAL_OK accepted: METER_EV_STOPPED or METER_EV_STOP_FAILED follows
 * @retval HAL_ESTATE no transaction is open
 */
int meter_session_stop(struct meter_session *s, uint32_t now_ms);

/**
 * @brief Take the oldest event.
 * @retval HAL_OK @p out filled
 * @retval HAL_EAGAIN none
 */
int meter_session_event(struct meter_session *s, struct meter_event *out);

/** @brief Current state. */
enum meter_session_state meter_session_state(const struct meter_session *s);

/**
 * @brief The last record closed since start: its journal entry and signature check
 *        (HAL_OK valid, HAL_ENOTSUP not checked, else the failure).
 * @retval HAL_OK filled @retval HAL_ENOENT none yet
 */
int meter_session_last_record(const struct meter_session *s, uint32_t *seq, int *verify);

/** @brief Records found on the meter that matched no open journal entry. */
uint32_t meter_session_orphans(const struct meter_session *s);
/** @brief Transactions the meter lost at their stop: closed in the journal as
 *         JOURNAL_END_FAILED with the last live reading, unsigned. */
uint32_t meter_session_lost(const struct meter_session *s);

#endif /* METER_H */
