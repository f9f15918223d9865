/**
 * @file fake_em580.h
 * @brief An EM580/EM300 device played on a fake_modbus register map: identification,
 *        key, live block, energy, and the OCMF command/state machine with a synthetic
 *        record (payload from the written registers, a fixed r||s signature).
 */
#ifndef FAKE_EM580_H
#define FAKE_EM580_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_modbus.h"

#define FAKE_EM580_SIG_HEX_LEN 128u

struct fake_em580 {
    struct fake_modbus *mb;
    uint32_t ready_after_reads; /**< state reads that still show RUNNING after 'E' */
    uint32_t reads_since_end;
    bool corrupt_on_end;        /**< 'E' leads to CORRUPTED */
    bool ignore_begin;          /**< 'B' does nothing */
    uint32_t begins, ends, confirms;
    int64_t energy_wh;          /**< imported energy (advance it to simulate charging) */
    int64_t start_wh;
    uint32_t pg;                /**< pagination counter */
    char payload[3000];         /**< payload of the last record */
    uint8_t sig[64];            /**< the fixed r||s every record carries */
};

/** @brief Model an EM580 (code 120, 256-bit key) or an EM300 (code 340) on @p mb. */
void fake_em580_init(struct fake_em580 *d, struct fake_modbus *mb, bool em300);

/** @brief Set the imported energy and the live values that follow it. */
void fake_em580_set_energy(struct fake_em580 *d, int64_t wh);

/** @brief The meter lost power and came back: a running transaction is closed by the meter
 *         (READY) when @p closes, or lost (NOT_READY). */
void fake_em580_reboot(struct fake_em580 *d, bool closes);

/** @brief The OCMF state register. */
uint16_t fake_em580_state(const struct fake_em580 *d);

#endif /* FAKE_EM580_H */
