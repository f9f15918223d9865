/**
 * @file ocpp_cp.h
 * @brief OCPP 1.6J charge point, Core profile (plus TriggerMessage): registration, heartbeat
 *        and time, status notifications, Authorize, the ordered transaction queue, the
 *        backend's commands, configuration keys.
 *
 * Transport-neutral: frames come in through ocpp_cp_rx() and go out one at a time through
 * ocpp_cp_poll() (it fills cp->tx; the caller sends it). The station is reached through an
 * ops table, so the core does not depend on firmware/ and tests drive it with fakes. One
 * struct holds all state; no heap, no clock (time comes in as now_ms and unix seconds).
 *
 * The transaction queue keeps StartTransaction, MeterValues and StopTransaction in order and
 * sends each exactly once per acceptance: an entry leaves the queue only when its CALLRESULT
 * came (or its attempts ran out after CALLERRORs, OCPP 1.6 §4.10). A StopTransaction whose
 * StartTransaction is still queued waits for the transaction id the CSMS assigns. The entries
 * are plain structs so the board can persist them (ocpp_cp_ops.persist) before they are sent.
 */
#ifndef OCPP_CP_H
#define OCPP_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"
#include "hal_log.h"
#include "ocpp/ocpp_auth.h"
#include "ocpp/ocpp_json.h"
#include "ocpp/ocpp_rpc.h"
#include "ocpp/ocpp_sec.h"

#ifndef CFG_OCPP_CONNECTORS
#define CFG_OCPP_CONNECTORS 4u
#endif
_Static_assert(CFG_OCPP_CONNECTORS >= 1u && CFG_OCPP_CONNECTORS <= 16u,
               "CFG_OCPP_CONNECTORS must be 1..16");
/** Queued transaction messages (Start, MeterValues, Stop). */
#ifndef CFG_OCPP_QUEUE
#define CFG_OCPP_QUEUE 32u
#endif
_Static_assert(CFG_OCPP_QUEUE >= 4u && CFG_OCPP_QUEUE <= 1024u, "CFG_OCPP_QUEUE must be 4..1024");
/** Frame buffers: the fact sheet's 8 KiB for both directions (no certificate management yet). */
#ifndef CFG_OCPP_TX_MAX
#define CFG_OCPP_TX_MAX 8192u
#endif
_Static_assert(CFG_OCPP_TX_MAX >= 512u, "CFG_OCPP_TX_MAX must be at least 512");

#define OCPP_IDTAG_MAX 20u

/** ChargePointStatus (OCPP 1.6 §7.7). */
enum ocpp_status {
    OCPP_ST_AVAILABLE = 0,
    OCPP_ST_PREPARING,
    OCPP_ST_CHARGING,
    OCPP_ST_SUSPENDED_EV,
    OCPP_ST_SUSPENDED_EVSE,
    OCPP_ST_FINISHING,
    OCPP_ST_RESERVED,
    OCPP_ST_UNAVAILABLE,
    OCPP_ST_FAULTED,
    OCPP_ST_COUNT
};

/** AuthorizationStatus (§7.2); OCPP_AUTH_OFFLINE: no answer could be had. */
enum ocpp_auth {
    OCPP_AUTH_ACCEPTED = 0,
    OCPP_AUTH_BLOCKED,
    OCPP_AUTH_EXPIRED,
    OCPP_AUTH_INVALID,
    OCPP_AUTH_CONCURRENT_TX,
    OCPP_AUTH_OFFLINE,
};

/** Reason of StopTransaction (§7.41). */
enum ocpp_reason {
    OCPP_R_LOCAL = 0,
    OCPP_R_EMERGENCY_STOP,
    OCPP_R_EV_DISCONNECTED,
    OCPP_R_HARD_RESET,
    OCPP_R_OTHER,
    OCPP_R_POWER_LOSS,
    OCPP_R_REBOOT,
    OCPP_R_REMOTE,
    OCPP_R_SOFT_RESET,
    OCPP_R_UNLOCK_COMMAND,
    OCPP_R_DEAUTHORIZED,
    OCPP_R_COUNT
};

enum ocpp_reg {
    OCPP_REG_NONE = 0, /**< BootNotification not yet answered */
    OCPP_REG_PENDING,
    OCPP_REG_REJECTED,
    OCPP_REG_ACCEPTED,
};

/** What the backend may ask of the station. Return codes as in station.h. */
struct ocpp_cp_ops {
    /** connector 1-based, 0 = the station picks. HAL_OK accepted. */
    int (*remote_start)(void *ctx, unsigned connector, const char *idtag);
    int (*remote_stop)(void *ctx, unsigned connector);
    /** HAL_OK accepted (the board stops sessions and restarts when it may). */
    int (*reset)(void *ctx, bool hard);
    /** HAL_OK unlocked, HAL_ENOTSUP no lock, other: failed. */
    int (*unlock)(void *ctx, unsigned connector);
    /** connector 0 = all. HAL_OK accepted, HAL_EBUSY scheduled after the session, other: rejected. */
    int (*availability)(void *ctx, unsigned connector, bool operative);
    /** The backend's answer to ocpp_cp_authorize(). */
    void (*authorized)(void *ctx, unsigned connector, const char *idtag, enum ocpp_auth status);
    /** The CSMS confirmed the transaction's StopTransaction: the journal record may be marked. */
    void (*tx_delivered)(void *ctx, uint32_t local_tx);
    /** The OCMF record of a closed transaction, sent untouched; 0 when there is none. */
    size_t (*signed_data)(void *ctx, uint32_t local_tx, const char **ocmf);
    /** The CSMS set the clock (BootNotification, Heartbeat). */
    void (*set_time)(void *ctx, int64_t unix_s);
    /** The queue or the configuration changed: persist ocpp_cp_state (may be NULL). */
    void (*persist)(void *ctx);
    /** The CSMS took the transaction's StartTransaction and gave it @p csms_id (-1: the Start
     *  was dropped after its attempts): the board keeps it with the journal record, so a
     *  reboot resumes the transaction (ocpp_cp_tx_resume) instead of sending the Start again.
     *  May be NULL. */
    void (*tx_started)(void *ctx, uint32_t local_tx, int32_t csms_id);
    /** The DER SubjectPublicKeyInfo of the key the meter of @p connector (1-based) signs its
     *  records with (MeterPublicKey<n>, the signed values' publicKey); 0 when it has none or
     *  has not told it yet. May be NULL. */
    size_t (*meter_key)(void *ctx, unsigned connector, uint8_t *der, size_t cap);
    /** StartTransaction.conf said the idTag is not Accepted (StopTransactionOnInvalidId):
     *  stop the transaction's session with reason DeAuthorized. May be NULL: remote_stop. */
    int (*deauthorize)(void *ctx, unsigned connector);
};

/** Configuration keys we keep (Core profile, §9.1); the board persists them. */
struct ocpp_cp_config {
    uint32_t heartbeat_interval_s;
    uint32_t meter_sample_interval_s;
    uint32_t clock_aligned_interval_s; /**< ClockAlignedDataInterval, 0 = off */
    uint32_t connection_timeout_s;
    uint32_t tx_attempts;
    uint32_t tx_retry_interval_s;
    uint32_t ws_ping_interval_s;
    bool allow_offline_unknown;
    bool local_auth_list_enabled;  /**< LocalAuthListEnabled */
    bool cache_enabled;            /**< AuthorizationCacheEnabled */
    bool local_authorize_offline;  /**< LocalAuthorizeOffline */
    bool local_pre_authorize;      /**< LocalPreAuthorize */
    uint32_t security_profile;     /**< SecurityProfile: the board's, never lowered over OCPP */
    char authorization_key[41]; /**< write-only over OCPP */
    char cpo_name[51];          /**< CpoName (SEC3 §7): the O of our CSR (ocpp_cert.c) */
    /** PublicKeyWithSignedMeterValue (OCA application note §3.3): 0 OncePerTransaction (the
     *  note's default, so a zeroed configuration has it), 1 Never, 2 EveryMeterValue */
    uint8_t pubkey_with_smv;
    /** StartTxnSampledData (OCA application note §3.3.4): true = "Energy.Active.Import.Register",
     *  one MeterValues with context Transaction.Begin right after each StartTransaction;
     *  false = empty (none). The start reading is the only measurand a start has. */
    bool start_txn_energy;
};

/** One queued transaction message. */
enum ocpp_qkind { OCPP_Q_START = 1, OCPP_Q_METER, OCPP_Q_STOP };
struct ocpp_qentry {
    uint8_t kind;
    uint8_t connector;  /**< 1-based */
    uint8_t reason;     /**< stop: enum ocpp_reason */
    uint8_t attempts;   /**< CALLERRORs/timeouts so far */
    uint32_t local_tx;  /**< our transaction number (the journal's), links Start and Stop */
    int64_t unix_s;     /**< when it happened */
    int64_t meter_wh;
    /* MeterValues only: the other measurands (OCPP_NO_VALUE: not sampled) */
    int32_t power_w, current_ma, voltage_mv;
    int16_t soc;
    uint8_t clock;      /**< MeterValues: 1 = clock-aligned (Sample.Clock), 0 = Sample.Periodic,
                         *   2 = the start reading (Transaction.Begin, StartTxnSampledData) */
    int32_t reservation_id; /**< start: the reservation it ends, -1 none */
    char idtag[OCPP_IDTAG_MAX + 1];
};

/** Transactions known to the CSMS (or waiting for their id). */
struct ocpp_tx {
    uint32_t local_tx;  /**< 0 = free */
    int32_t csms_id;
    bool id_known;
    bool stopped;       /**< its Stop is queued */
    uint8_t connector;
};

struct ocpp_cp_info {
    const char *vendor, *model, *serial, *firmware, *meter_type, *meter_serial;
    uint8_t connectors;
};

struct ocpp_smart;
struct ocpp_cert;
struct ocpp_fw;

struct ocpp_cp {
    const struct ocpp_cp_ops *ops;
    struct ocpp_smart *smart; /**< Smart Charging (ocpp_smart.h), attached by the board; NULL: NotSupported */
    struct ocpp_cert *cert;   /**< certificate management (ocpp_cert.h), attached by the board; NULL: NotSupported */
    struct ocpp_fw *fw;       /**< Firmware Management (ocpp_fw.h), attached by the board; NULL: NotSupported */
    void *ctx;
    struct hal_log *log;
    struct ocpp_cp_info info;
    struct ocpp_cp_config cfg;
    struct ocpp_rpc rpc;
    struct ocpp_json json;
    struct ocpp_msg msg;

    bool online;
    enum ocpp_reg reg;
    bool boot_sent_since_reboot;
    uint32_t next_boot_ms;   /**< Pending/Rejected: not before */
    uint32_t last_tx_ms;     /**< last frame we sent (heartbeat timing) */
    uint32_t retry_at_ms;    /**< queue head waits after a CALLERROR */
    bool retry_wait;
    int64_t unix_base;       /**< unix seconds at ms_base (0 = clock unknown) */
    uint32_t ms_base;

    /* what the outstanding CALL is */
    enum { OCPP_OUT_NONE, OCPP_OUT_BOOT, OCPP_OUT_HEARTBEAT, OCPP_OUT_STATUS, OCPP_OUT_AUTH,
           OCPP_OUT_QUEUE, OCPP_OUT_TRIGGER_METER, OCPP_OUT_SECURITY, OCPP_OUT_CERT,
           OCPP_OUT_FW } out;
    uint8_t out_connector;

    enum ocpp_status status[CFG_OCPP_CONNECTORS + 1u]; /**< [0] = the whole station */
    uint32_t status_dirty;   /**< bit n: connector n's status not yet sent */
    bool heartbeat_due;
    uint32_t meter_ms[CFG_OCPP_CONNECTORS + 1u];  /**< last MeterValues queued */
    bool meter_sent[CFG_OCPP_CONNECTORS + 1u];
    int64_t aligned_next;      /**< next ClockAlignedDataInterval boundary (unix s), 0 = not set */
    uint32_t aligned_iv;       /**< the interval aligned_next was computed for */

    struct {
        bool pending;
        uint8_t connector;
        char idtag[OCPP_IDTAG_MAX + 1];
    } auth;

    struct ocpp_qentry q[CFG_OCPP_QUEUE];
    uint16_t qhead, qcount;
    struct ocpp_tx tx[CFG_OCPP_QUEUE];

    struct ocpp_auth_state lists;  /**< local list, cache, reservations (ocpp_auth.c) */
    struct ocpp_sec_state sec;     /**< security events not yet confirmed (ocpp_sec.c) */
    uint32_t store_gen;            /**< bumped when what ocpp_cp_store_export writes changed */
    uint32_t smart_saved;          /**< smart->generation the store last saw */
    uint32_t fw_saved;             /**< fw->generation the store last saw */
    uint32_t mv_dropped;           /**< MeterValues dropped for room (figures) */

    uint32_t sent, received;  /**< frames, for the figures */
    char txbuf[CFG_OCPP_TX_MAX];
    size_t txlen;             /**< a frame waits in txbuf for the transport */
};

void ocpp_cp_default_config(struct ocpp_cp_config *cfg);

void ocpp_cp_init(struct ocpp_cp *cp, const struct ocpp_cp_info *info, const struct ocpp_cp_config *cfg,
                  const struct ocpp_cp_ops *ops, void *ctx, struct hal_log *log, uint32_t id_seed);

/** The board's clock (RTC) before the CSMS sets it; 0 = unknown. */
void ocpp_cp_set_clock(struct ocpp_cp *cp, int64_t unix_s, uint32_t now_ms);
int64_t ocpp_cp_unix(const struct ocpp_cp *cp, uint32_t now_ms);

/** The WebSocket is open / closed. A reconnect sends BootNotification only after a reboot. */
void ocpp_cp_connected(struct ocpp_cp *cp, uint32_t now_ms);
void ocpp_cp_disconnected(struct ocpp_cp *cp);

/** One received text frame. May leave an answer in cp->txbuf (take it with ocpp_cp_take). */
void ocpp_cp_rx(struct ocpp_cp *cp, const char *text, size_t len, uint32_t now_ms);

/** Run timers and pick the next message; true when cp->txbuf holds a frame to send. */
bool ocpp_cp_poll(struct ocpp_cp *cp, uint32_t now_ms);

/** The frame to send (NULL if none); the transport calls ocpp_cp_sent() once it took it. */
const char *ocpp_cp_take(struct ocpp_cp *cp, size_t *len);
void ocpp_cp_sent(struct ocpp_cp *cp, uint32_t now_ms);

/* ---- from the station */
void ocpp_cp_status(struct ocpp_cp *cp, unsigned connector, enum ocpp_status st);
/** Ask the backend about a token; the answer comes through ops->authorized. */
int ocpp_cp_authorize(struct ocpp_cp *cp, unsigned connector, const char *idtag);
/** @retval HAL_ENOMEM the queue is full (the station should refuse the transaction) */
int ocpp_cp_tx_start(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, const char *idtag,
                     int64_t meter_wh, int64_t unix_s);
int ocpp_cp_tx_stop(struct ocpp_cp *cp, uint32_t local_tx, const char *idtag, int64_t meter_wh,
                    int64_t unix_s, enum ocpp_reason reason);
/** After a reboot: a transaction whose StartTransaction the CSMS already took as @p csms_id
 *  (ops->tx_started kept it). Nothing is sent for it; its Stop (ocpp_cp_tx_stop) goes with
 *  that id. @retval HAL_ENOMEM no room for its Stop @retval HAL_EINVAL bad or known */
int ocpp_cp_tx_resume(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int32_t csms_id);

/** A meter reading of a running transaction; queued as MeterValues when
 *  MeterValueSampleInterval has passed. @retval HAL_EAGAIN not due */
int ocpp_cp_meter(struct ocpp_cp *cp, uint32_t local_tx, int64_t meter_wh, int64_t unix_s, uint32_t now_ms);

#define OCPP_NO_VALUE INT32_MIN
/** The other measurands of a sample (OCPP_NO_VALUE, soc < 0: not known). */
struct ocpp_sample {
    int32_t power_w, current_ma, voltage_mv;
    int16_t soc;
};
/** ocpp_cp_meter with Power.Active.Import, Current.Import, Voltage and SoC beside the
 *  register (Energy.Active.Import.Register); @p s NULL: the register alone. */
int ocpp_cp_meter_sample(struct ocpp_cp *cp, uint32_t local_tx, int64_t meter_wh, const struct ocpp_sample *s,
                         int64_t unix_s, uint32_t now_ms);

/**
 * @brief Whether a ClockAlignedDataInterval boundary has passed: the intervals count from
 *        00:00 of the charge point's clock (UTC) and start again at each midnight (900 s: 96
 *        a day). The first call after the clock became known, or after the interval changed
 *        or the clock stepped, only sets the next boundary (no value for a partial interval).
 * @param boundary the latest boundary passed (missed ones are skipped, not caught up)
 * @retval true the board samples every connector now and calls ocpp_cp_meter_aligned
 */
bool ocpp_cp_aligned_due(struct ocpp_cp *cp, int64_t unix_s, int64_t *boundary);

/**
 * @brief A clock-aligned reading (context Sample.Clock), stamped with its boundary: of the
 *        running transaction @p local_tx on @p connector, or with @p local_tx 0 of the
 *        connector outside a transaction (then without transactionId; connector 0 = the
 *        whole station). It joins the transaction queue (kept in order with the Start and
 *        the Stop) and, like sampled values, never takes the room of a running Stop.
 * @retval HAL_EINVAL unknown connector or transaction @retval HAL_ENOMEM queue full
 */
int ocpp_cp_meter_aligned(struct ocpp_cp *cp, unsigned connector, uint32_t local_tx, int64_t meter_wh,
                          const struct ocpp_sample *s, int64_t boundary);

/* ---- persistence of the configuration, the local list, the cache, the reservations, the
 * queued transaction messages the journal does not hold and the charging profiles:
 * lines of text ("cfg KEY VALUE", "list-version N", "list|cache HEXTAG STATUS EXPIRY HEXPARENT",
 * "resv C ID EXPIRY HEXTAG HEXPARENT", "start LOCALTX RESERVATIONID HEXTAG",
 * "mv LOCALTX C UNIX WH POWER CURRENT VOLTAGE SOC CONTEXT", "prof ..." of ocpp_smart.h), so a
 * board writes them to any store and a damaged one is read back line by line through the
 * same checks as the backend's messages. The "start" and "mv" lines refer to transactions
 * the journal re-queued (ocpp_cp_tx_start/ocpp_cp_tx_resume), so the board loads the store
 * after the journal. A line is at most OCPP_STORE_LINE_MAX bytes with its '\n'. */
#define OCPP_STORE_LINE_MAX 640u
typedef void (*ocpp_put_fn)(void *ctx, const char *text, size_t len);
/** Every persisted line, each ending in '\n', through @p put. */
void ocpp_cp_store_export(const struct ocpp_cp *cp, ocpp_put_fn put, void *ctx);
/** One stored line (without its '\n'). @retval HAL_EINVAL refused (*why says why) */
int ocpp_cp_store_line(struct ocpp_cp *cp, const char *line, const char **why);

/** Messages waiting in the queue (0 = everything delivered). */
unsigned ocpp_cp_queued(const struct ocpp_cp *cp);

const char *ocpp_status_name(enum ocpp_status s);
const char *ocpp_reason_name(enum ocpp_reason r);

/** ISO 8601 / RFC 3339 date-time to unix seconds (fraction dropped, offsets applied). */
int ocpp_time_parse(const char *s, int64_t *unix_s);
/** Unix seconds to "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void ocpp_time_format(int64_t unix_s, char out[21]);

#endif /* OCPP_CP_H */
