/**
 * @file sim_meter.h
 * @brief The simulator board's meter: the firmware's meter interface (meter.h) in memory.
 *
 * Energy integrates the voltage x current the board passes to sim_meter_tick() every
 * simulated millisecond (the plant's DC output). A stop produces a real OCMF record
 * (parsed by protocols/ocmf, transaction id in TT after "<=>", readings in kWh, RT "DC")
 * carrying a SIMULATED signature: r||s is derived from the SHA-256 of the payload and a
 * fixed test key (not ECDSA). Only sim_meter_crypto (a hal_crypto for the simulator)
 * accepts it, and only for the meter's fixed test public key, so the meter session's
 * verify path runs unchanged and a record altered after signing fails. The record says
 * so itself: "MV":"SIMULATED (test signature, not ECDSA)".
 * Start, stop and confirm complete on the next sim_meter_tick() (as a real meter would,
 * later), and a fault can make the meter stop answering.
 */
#ifndef SIM_METER_H
#define SIM_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_nvs.h"
#include "meter.h"

#define SIM_METER_OCMF_MAX 1024u
#define SIM_METER_TXID_MAX 40u
#define SIM_METER_EVSE_MAX 40u

/** The simulator's crypto port: accepts exactly the simulated signatures of sim_meter. */
struct sim_meter_crypto {
    struct hal_crypto base; /**< must stay first */
    uint32_t calls;
};

/** One simulated meter. */
struct sim_meter {
    struct meter base; /**< must stay first */
    uint32_t now_ms;
    int64_t unix_epoch_s;      /**< wall clock at now_ms = 0 (the sim's fixed epoch) */
    int64_t import_wh;
    int64_t export_wh;
    int64_t rest_nj;           /**< imported energy below one Wh, nJ (mV x mA x ms) */
    int64_t rest_exp_nj;       /**< exported energy below one Wh, nJ */
    int32_t voltage_mv, current_ma;
    bool no_answer;            /**< fault: every operation answers HAL_EAGAIN/ETIMEDOUT */
    uint8_t lose_stops;        /**< fault: this many stop jobs end in HAL_ETIMEDOUT, transaction kept */
    bool corrupt_ocmf;         /**< fault: the next stop record has a flipped signature bit */
    /* transaction */
    bool tx_open;
    char txid[SIM_METER_TXID_MAX];
    char evse_id[SIM_METER_EVSE_MAX];
    int64_t start_wh;
    int64_t start_s;
    uint32_t pg;
    /* job */
    enum { SIM_METER_JOB_NONE = 0, SIM_METER_JOB_START, SIM_METER_JOB_STOP, SIM_METER_JOB_CONFIRM } job;
    bool job_done;
    struct meter_done done;
    bool record_pending;       /**< stopped, not yet confirmed */
    char ocmf[SIM_METER_OCMF_MAX];
    uint16_t ocmf_len;
};

#define SIM_METER_NVS_RECORDS 72u
#define SIM_METER_NVS_RECORD_MAX 1536u

/** An in-memory hal_nvs for the meter session's journal in the simulator (a write
 *  replaces a whole record, as the contract wants, when its completion is polled;
 *  nothing survives the process). */
struct sim_meter_nvs {
    struct hal_nvs base; /**< must stay first */
    char key[SIM_METER_NVS_RECORDS][HAL_NVS_KEY_MAX];
    uint16_t len[SIM_METER_NVS_RECORDS];
    uint8_t data[SIM_METER_NVS_RECORDS][SIM_METER_NVS_RECORD_MAX];
    bool busy;              /**< an operation was submitted, not yet polled */
    bool op_erase;
    char op_key[HAL_NVS_KEY_MAX];
    const uint8_t *op_data; /**< the caller's buffer, valid until polled (the contract) */
    size_t op_len;
};

/** @brief An empty store. */
void sim_meter_nvs_init(struct sim_meter_nvs *n);

/** @brief A meter at @p import_wh, wall clock @p unix_epoch_s at time 0. */
void sim_meter_init(struct sim_meter *m, int64_t import_wh, int64_t unix_epoch_s);

/** @brief Advance to @p now_ms with the present DC voltage and current (+ = to the EV). */
void sim_meter_tick(struct sim_meter *m, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma);

/** @brief Make the meter stop (true) or resume (false) answering. */
void sim_meter_set_no_answer(struct sim_meter *m, bool no_answer);

/**
 * @brief Fault injection: the next @p n stop commands are taken but their answers are lost:
 *        each stop job ends in HAL_ETIMEDOUT and the transaction stays open in the meter (as
 *        the EM580 driver reports a stop whose replies never came after its retries).
 */
void sim_meter_lose_stops(struct sim_meter *m, uint8_t n);

/** @brief Fault injection: the meter restarts and forgets its open transaction. */
void sim_meter_reboot(struct sim_meter *m);

/** @brief The crypto port that accepts sim_meter's test signatures. */
void sim_meter_crypto_init(struct sim_meter_crypto *c);

#endif /* SIM_METER_H */
