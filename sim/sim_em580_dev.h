/**
 * @file sim_em580_dev.h
 * @brief Register-level model of a Carlo Gavazzi EM580 (signing, OCMF) or EM300 (plain)
 *        meter on a sim_modbus slave (register map: ../shared/spec/em580*.md,
 *        protocols/em580/em580.h): identification, public key, live block, energy
 *        counters, and the OCMF transaction machine ('B' begin, 'E' end, state READY until
 *        the record is confirmed) with a record built from the registers the master wrote.
 *        Host-only simulation layer.
 *
 * The signature is the embedder's: a callback signs the SHA-256 of the payload (the
 * simulator's test signature, or a real key in an emulator). Energy follows the DC power
 * given to sim_em580_dev_tick(). Faults at register level: silent (the slave's `silent`),
 * lost answers to 'E' (taken or not, the master times out), a brief power loss (the
 * meter closes the running transaction itself), a lost transaction (no record), a
 * corrupted signature in the next record.
 */
#ifndef SIM_EM580_DEV_H
#define SIM_EM580_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_modbus.h"

#define SIM_EM580_PAYLOAD_MAX 1200u

/** Signs @p digest (32 bytes) into r||s (64 bytes). */
typedef void (*sim_em580_sign_fn)(void *ctx, const uint8_t digest[32], uint8_t sig[64]);

struct sim_em580_dev {
    struct sim_mb_slave slave;   /**< unit 1 */
    bool em300;
    uint32_t now_ms;
    int64_t unix_epoch_s;        /**< wall clock at now_ms = 0 */
    int64_t import_wh, export_wh;
    int64_t rest_nj;             /**< imported energy below one Wh, nJ */
    int32_t voltage_mv, current_ma;
    int64_t start_wh, start_s;
    uint32_t pg;
    sim_em580_sign_fn sign;
    void *sign_ctx;
    /* faults */
    uint8_t lose_stops;          /**< the answers to the next N 'E' commands are lost (not run) */
    bool corrupt_next;           /**< the next record has one signature bit flipped */
    uint32_t begins, ends, confirms, lost_stops;
    char payload[SIM_EM580_PAYLOAD_MAX];
};

/**
 * @brief An EM580 with the 65-byte uncompressed key @p pub (brainpoolP256r1 by its signature
 *        type register), or an EM300 (no key, @p pub ignored), at @p import_wh.
 */
void sim_em580_dev_init(struct sim_em580_dev *d, bool em300, const uint8_t pub[65], int64_t import_wh,
                        int64_t unix_epoch_s, sim_em580_sign_fn sign, void *sign_ctx);

/** @brief Advance to @p now_ms with the DC voltage and current (+ = to the EV) measured. */
void sim_em580_dev_tick(struct sim_em580_dev *d, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma);

/** @brief A brief power loss: a running transaction is closed by the meter itself (OCMF
 *         state READY with its signed record, as the fact sheet says a real EM580 does). */
void sim_em580_dev_reboot(struct sim_em580_dev *d);

/** @brief Fault: the meter loses the running transaction without a record (OCMF state
 *         NOT_READY): a stop can never deliver one. */
void sim_em580_dev_forget(struct sim_em580_dev *d);

/** @brief A transaction is open in the meter. */
bool sim_em580_dev_tx_open(const struct sim_em580_dev *d);

#endif /* SIM_EM580_DEV_H */
