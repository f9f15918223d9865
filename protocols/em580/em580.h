/**
 * @file em580.h
 * @brief Carlo Gavazzi EM580 (OCMF, Eichrecht) and EM300/ET300 meter driver over hal_modbus.
 *
 * One struct per meter. em580_step() is the only place that talks to the bus: it polls
 * the request in flight, then issues the next one of the current job. Jobs are the
 * start-up detection (model code, key, recovery of an open transaction), periodic live
 * and device-state reads, and the caller's start / stop / time-sync requests, which
 * complete later and are collected with em580_result().
 *
 * Rules kept (../shared/spec/carlo-gavazzi-em580.md): model detection first with a
 * single-register read; EM300/ET300 codes answer start/stop with HAL_ENOTSUP and touch
 * no OCMF register; every request retried at most `attempts` times and the worst case
 * of one request (attempts x timeout + (attempts-1) x delay) is checked at init to stay
 * under 4.5 s; the clock is never written while a transaction is open; a start first
 * ends any transaction the meter still has open; READY during a transaction and
 * CORRUPTED are errors; open or closed transactions found at start-up are recovered.
 * Register decoding helpers are public for the tests and the emulator.
 */
#ifndef EM580_H
#define EM580_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_modbus.h"

/* Protocol addresses (register - 300001). */
#define EM580_REG_LIVE 0x0000u
#define EM580_LIVE_WORDS 52u
#define EM580_REG_IDENT 0x000Bu
#define EM580_REG_FW 0x0302u
#define EM580_REG_ENERGY 0x0500u
#define EM580_ENERGY_WORDS 32u
#define EM300_REG_ENERGY 0x0400u
#define EM300_ENERGY_WORDS 12u
#define EM580_REG_SERIAL 0x5000u
#define EM580_REG_DEVSTATE 0x5012u
#define EM580_REG_SIGTYPE 0x24FFu
#define EM580_REG_PUBKEY 0x2500u
#define EM580_REG_TT 0x6900u
#define EM580_TT_WORDS 126u
#define EM580_REG_IS 0x7000u
#define EM580_REG_IL 0x7001u
#define EM580_REG_IF 0x7002u
#define EM580_REG_IT 0x7006u
#define EM580_REG_ID 0x7007u
#define EM580_REG_CT 0x701Bu
#define EM580_REG_CI 0x701Cu
#define EM580_REG_TZ 0x7031u
#define EM580_REG_UTC 0x7032u
#define EM580_REG_MODALITY 0x7036u
#define EM580_REG_CMD 0x7040u
#define EM580_REG_OCMF_STATE 0x7100u
#define EM580_REG_OCMF_SIZE 0x7101u
#define EM580_REG_OCMF_FILE 0x7110u
#define EM580_FILE_MAX_WORDS 2031u
#define EM580_ID_MAX 39u  /**< characters of ID and CI (CHAR[40] with the NUL) */
#define EM580_TT_MAX 251u /**< characters of TT (CHAR[252] with the NUL) */

/** OCMF state register values. */
enum em580_ocmf_state {
    EM580_OCMF_NOT_READY = 0,
    EM580_OCMF_RUNNING = 1,
    EM580_OCMF_READY = 2,
    EM580_OCMF_CORRUPTED = 3,
};

/** Meter class, from the identification code. */
enum em580_model {
    EM580_MODEL_UNKNOWN = 0, /**< not detected yet */
    EM580_MODEL_EM580,       /**< OCMF-capable */
    EM580_MODEL_EM300,       /**< EM300/ET300 series: live values only */
};

/** What went wrong (kept until the next success of the same kind). */
enum em580_error {
    EM580_ERR_NONE = 0,
    EM580_ERR_COMM,           /**< no answer after all attempts (meter off, cable) */
    EM580_ERR_EXCEPTION,      /**< the meter answered with a Modbus exception */
    EM580_ERR_DEVICE_STATE,   /**< a bit of the device-state register is set */
    EM580_ERR_NO_KEY,         /**< signature type register names no key: not Eichrecht-ready */
    EM580_ERR_OCMF_CLOSED,    /**< READY while our transaction should be running */
    EM580_ERR_OCMF_CORRUPTED, /**< OCMF state CORRUPTED */
    EM580_ERR_STOP_TIMEOUT,   /**< READY did not come after 'E' */
    EM580_ERR_TXID_MISMATCH,  /**< the pending record belongs to another transaction */
    EM580_ERR_RECORD,         /**< the file is empty, too large, not OCMF or holds a NUL */
    EM580_ERR_NOT_RUNNING,    /**< 'B' was written but the meter did not start */
    EM580_ERR_NO_TRANSACTION, /**< stop without a transaction on the meter */
    EM580_ERR_RANGE,          /**< an energy register outside 0..EM580_ENERGY_MAX_WH */
    EM580_ERR_COUNT,
};

/** Configuration (defaults from em580_config_default()). */
struct em580_config {
    uint8_t unit;                /**< slave id 1..247 (1) */
    uint32_t live_interval_ms;   /**< 500..60000 (1000) */
    uint32_t state_interval_ms;  /**< device-state and OCMF monitoring (10000) */
    uint32_t timeout_ms;         /**< per attempt (1000) */
    uint8_t attempts;            /**< 1..5 (3) */
    uint32_t retry_delay_ms;     /**< between attempts (250) */
    uint32_t fail_pause_ms;      /**< after a communication failure, before re-detecting (10000) */
    uint32_t stop_poll_ms;       /**< READY polling after 'E' (100) */
    uint8_t stop_polls;          /**< at most this many READY polls (10) */
    uint32_t write_gap_ms;       /**< pause between the writes of a start (0) */
};

/** Live values (scaled to integers). */
struct em580_live {
    int32_t v_dv[3];      /**< L1..L3-N, 0.1 V */
    int32_t i_ma[3];      /**< L1..L3, mA, + import */
    int32_t p_dw[3];      /**< L1..L3, 0.1 W */
    int32_t p_total_dw;   /**< sum, 0.1 W */
    int16_t phase_seq;    /**< +1 L1-L2-L3, -1 counter-clockwise */
    uint16_t freq_dhz;    /**< 0.1 Hz */
    int64_t import_wh;    /**< total imported energy */
    int64_t export_wh;    /**< total exported energy */
    uint32_t at_ms;       /**< when these were read */
};

/** Identification of a transaction (EVerest's TransactionReq). */
struct em580_tx {
    const char *txid;         /**< the charger's id, carried in TT after "<=>" (<= 36 chars) */
    const char *evse_id;      /**< CI, <= 39 characters */
    const char *id_data;      /**< ID, <= 39 characters, may be NULL */
    const char *tariff_text;  /**< TT before "<=>", may be NULL; truncated to fit */
    bool assigned;            /**< IS */
    uint8_t level;            /**< IL 0..9 */
    uint8_t flags[4];         /**< IF slots */
    uint8_t type;             /**< IT code */
    uint8_t modality;         /**< 0 charging, 1 V2G, 2 bidirectional */
};

/** Jobs a caller can ask for. */
enum em580_job {
    EM580_JOB_NONE = 0,
    EM580_JOB_START,
    EM580_JOB_STOP,
    EM580_JOB_SYNC,
    EM580_JOB_CONFIRM,
};

/** Outcome of a caller's job. */
struct em580_result {
    enum em580_job job;
    int status;            /**< HAL_OK or the failure */
    enum em580_error error;
    uint8_t exception;     /**< Modbus exception code when error is EM580_ERR_EXCEPTION */
    bool tt_truncated;     /**< start: the tariff text was cut to fit CHAR[252] */
    bool orphan;           /**< start: an old closed record was collected first (em580_ocmf) */
    bool recovered;        /**< stop: the record was found pending after a power loss */
    bool confirm_pending;  /**< stop: the record is read but still on the meter until
                                em580_confirm() (call it once the record is stored) */
};

/** Driver phases. */
enum em580_phase {
    EM580_PH_DETECT = 0, /**< identifying the model, key, open transaction */
    EM580_PH_READY,      /**< detected; live reads running */
    EM580_PH_FAILED,     /**< communication lost: waiting fail_pause_ms, then detect again */
};

/** Internal step of the current job (visible for the debugger and the tests). */
enum em580_op {
    EM580_OP_IDLE = 0,
    EM580_OP_IDENT, EM580_OP_SIGTYPE, EM580_OP_PUBKEY, EM580_OP_SERIAL, EM580_OP_RECOVER_STATE,
    EM580_OP_RECOVER_TT,
    EM580_OP_LIVE, EM580_OP_LIVE2, EM580_OP_ENERGY,
    EM580_OP_DEVSTATE, EM580_OP_MONITOR,
    EM580_OP_PRE_STATE, EM580_OP_PRE_END, EM580_OP_PRE_POLL, EM580_OP_PRE_SIZE,
    EM580_OP_PRE_FILE, EM580_OP_PRE_CONFIRM,
    EM580_OP_W_IS, EM580_OP_W_IL, EM580_OP_W_IF, EM580_OP_W_IT, EM580_OP_W_ID, EM580_OP_W_CT,
    EM580_OP_W_CI, EM580_OP_W_TT, EM580_OP_W_MODALITY, EM580_OP_W_BEGIN, EM580_OP_CHECK_RUNNING,
    EM580_OP_S_STATE, EM580_OP_S_END, EM580_OP_S_POLL, EM580_OP_S_SIZE, EM580_OP_S_FILE,
    EM580_OP_S_CONFIRM,
    EM580_OP_SYNC_UTC, EM580_OP_SYNC_TZ,
};

/** One meter. Only the driver's files (em580.c, em580_jobs.c) touch the fields. */
struct em580 {
    struct hal_modbus *mb;
    struct em580_config cfg;
    enum em580_phase phase;
    enum em580_model model;
    uint16_t ident;
    enum em580_op op;
    enum em580_job job;       /**< the caller's job running or queued */
    bool job_queued;
    bool in_flight;
    bool stepped;             /**< the first step set the deadlines from its own now */
    uint8_t attempt;
    uint8_t polls;
    uint32_t wait_until_ms;   /**< next op not before this */
    uint32_t next_live_ms;
    uint32_t next_state_ms;
    uint32_t fail_until_ms;
    struct hal_modbus_req req;
    uint16_t io[EM580_TT_WORDS + 2u];
    /* key */
    bool key_ok;
    enum hal_crypto_curve curve;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    uint8_t pub_len;
    char serial[16];
    /* transaction */
    bool tx_active;          /**< the meter runs our (or a recovered) transaction */
    bool tx_pending_closed;  /**< a closed record waits on the meter (READY at start-up) */
    bool confirm_pending;    /**< the last stop's record is read, not yet confirmed */
    char txid[40];           /**< current / recovered transaction id */
    char stop_txid[40];      /**< the id stop was asked for */
    struct em580_tx tx;      /**< start arguments (pointers valid until the result) */
    char tt[EM580_TT_MAX + 1u];
    uint16_t file_words;
    union {
        uint16_t w[EM580_FILE_MAX_WORDS + 1u];
        char c[2u * (EM580_FILE_MAX_WORDS + 1u)];
    } file;
    uint16_t ocmf_len;
    bool ocmf_valid;
    /* sync */
    int64_t sync_unix_s;
    int16_t sync_offset_min;
    /* published */
    struct em580_live live;
    bool live_valid;
    uint16_t devstate;
    enum em580_error error;   /**< latest error, EM580_ERR_NONE when healthy */
    uint8_t exception;
    struct em580_result result;
    bool result_ready;
    uint32_t comm_failures;
};

/** @brief Defaults of the fact sheet: unit 1, 1 s live, 3 attempts of 1 s, 250 ms apart. */
void em580_config_default(struct em580_config *cfg);

/**
 * @brief Set up a meter; detection starts on the first em580_step().
 * @retval HAL_OK ready
 * @retval HAL_EINVAL a value out of range, or a retry budget of 4.5 s or more
 */
int em580_init(struct em580 *em, struct hal_modbus *mb, const struct em580_config *cfg);

/**
 * @brief Advance: collect the reply in flight, issue the next request.
 * @return the time at which it wants to run again (it must also run on Modbus I/O)
 */
uint32_t em580_step(struct em580 *em, uint32_t now_ms);

/**
 * @brief Ask for a signed transaction to begin.
 * @retval HAL_OK accepted; the outcome comes from em580_result()
 * @retval HAL_ENOTSUP EM300/ET300, or the meter has no signing key
 * @retval HAL_EAGAIN the meter is not detected yet (or communication is lost)
 * @retval HAL_EBUSY another caller job is still running
 * @retval HAL_ESTATE a transaction is open: stop it first so its record is delivered
 * @retval HAL_EINVAL missing txid/evse_id, or ID/CI longer than 39 characters
 */
int em580_start(struct em580 *em, const struct em580_tx *tx);

/**
 * @brief Ask for the transaction to end and its OCMF record to be collected.
 * @param txid the id given at start; "" ends whatever the meter has open (clean-up)
 * @retval HAL_OK accepted; the outcome comes from em580_result(), the record from em580_ocmf()
 * @retval HAL_ENOTSUP EM300/ET300
 * @retval HAL_EAGAIN not detected yet
 * @retval HAL_EBUSY another caller job is still running
 * @retval HAL_EINVAL txid NULL or longer than 39 characters
 */
int em580_stop(struct em580 *em, const char *txid);

/**
 * @brief Tell the meter that the record of the last stop is stored (writes NOT_READY).
 *        Until then the meter keeps the record, so a power loss between reading it and
 *        storing it loses nothing.
 * @retval HAL_OK accepted; the outcome comes from em580_result()
 * @retval HAL_ESTATE no record waits for confirmation
 * @retval HAL_EAGAIN not detected yet
 * @retval HAL_EBUSY another caller job is still running
 */
int em580_confirm(struct em580 *em);

/**
 * @brief Set the meter clock (UTC seconds and local offset).
 * @retval HAL_OK accepted
 * @retval HAL_ESTATE a transaction is open: the clock is never set during one
 * @retval HAL_ENOTSUP EM300/ET300
 * @retval HAL_EAGAIN not detected yet
 * @retval HAL_EBUSY another caller job is still running
 * @retval HAL_EINVAL offset outside -1440..1440
 */
int em580_time_sync(struct em580 *em, int64_t unix_s, int16_t offset_min);

/**
 * @brief Collect the outcome of the last caller job.
 * @retval HAL_OK @p out filled; the result is consumed
 * @retval HAL_EAGAIN still running, or nothing was asked
 */
int em580_result(struct em580 *em, struct em580_result *out);

/**
 * @brief The OCMF record of the last stop (or the orphan of a start), NUL-terminated.
 * @return the text, or NULL when there is none
 */
const char *em580_ocmf(const struct em580 *em, size_t *len);

/**
 * @brief Latest live values.
 * @retval HAL_OK @p out filled
 * @retval HAL_EAGAIN nothing read yet
 * @retval HAL_ETIMEDOUT communication is lost: the values are stale
 */
int em580_live(const struct em580 *em, struct em580_live *out);

/**
 * @brief The meter's public key (uncompressed point) and curve.
 * @retval HAL_OK copied
 * @retval HAL_ENOENT no key (EM300, not detected, or not Eichrecht-ready)
 * @retval HAL_EOVERFLOW @p cap too small
 */
int em580_pubkey(const struct em580 *em, uint8_t *pub, size_t cap, size_t *len,
                 enum hal_crypto_curve *curve);

/** @brief Current phase. */
enum em580_phase em580_phase(const struct em580 *em);
/** @brief Detected model. */
enum em580_model em580_model(const struct em580 *em);
/** @brief Latest error (EM580_ERR_NONE when healthy). */
enum em580_error em580_error(const struct em580 *em);
/** @brief Device-state bits of the last read (EM580). */
uint16_t em580_devstate(const struct em580 *em);
/** @brief True while the meter runs a transaction we know of. */
bool em580_tx_active(const struct em580 *em);
/** @brief The open or recovered transaction id ("" if none). */
const char *em580_txid(const struct em580 *em);
/** @brief Name of an error. */
const char *em580_strerror(enum em580_error e);

/** @brief True for the EM300/ET300 identification codes. */
bool em580_is_em300_code(uint16_t code);
/** @brief INT32 from two registers, low word first. */
int32_t em580_int32(const uint16_t *w);
/** @brief INT64 from four registers, low word first. */
int64_t em580_int64(const uint16_t *w);
/** @brief Write an INT64 as four registers, low word first. */
void em580_put_int64(uint16_t *w, int64_t v);
/** @brief Pack a string as CHAR registers (high byte first), NUL-terminated.
 *  @return registers used (including the NUL), 0 if it does not fit @p max_words */
uint16_t em580_put_string(uint16_t *w, uint16_t max_words, const char *s, size_t len);
/** @brief Decode the live block (52 words) and energy block into @p out. */
void em580_decode_live(const uint16_t *block, struct em580_live *out);
/** Largest energy total accepted from a meter (10 TWh, far above any real counter): with
 *  totals in 0..this, a difference of two readings can never overflow. */
#define EM580_ENERGY_MAX_WH 10000000000000LL

/**
 * @brief Energy of an EM580 (32 words from 0x0500) or EM300 (12 words from 0x0400) block.
 * @retval HAL_OK both totals set
 * @retval HAL_EPROTO a total is negative or above EM580_ENERGY_MAX_WH, or an EM300 Wh part
 *         is outside 0..999; nothing is written
 */
int em580_decode_energy(enum em580_model m, const uint16_t *block, int64_t *import_wh,
                        int64_t *export_wh);

#endif /* EM580_H */
