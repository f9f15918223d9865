/**
 * @file sim_em580_dev.h
 * @brief Register-level model of a Carlo Gavazzi EM580 (signing, OCMF) or EM300 (plain)
 *        meter on a sim_modbus slave (register map: ../shared/spec/carlo-gavazzi-em580.md,
 *        protocols/em580/em580.h): identification (only on a read of that register alone),
 *        firmware, serial, production year, public key (raw and DER), live block, energy
 *        counters, and the OCMF transaction machine ('B' begin, 'E' end, 'A' abort, state
 *        READY until the record is confirmed) with a record built from the registers the
 *        master wrote. Host-only simulation layer: the simulator's meter (sim_meter) and
 *        the emulator program tools/metersim serve this same model.
 *
 * The signature is the embedder's: a callback signs the payload (the simulator's test
 * signature, or a real ECDSA key in the emulator). Energy follows the power given to the
 * tick: DC (the simulator's plant: voltage in L1) or a balanced three-phase AC load at
 * 230 V (the emulator). Faults at register level: silent (the slave's `silent`), Modbus
 * exceptions, lost answers to 'E' (not run, the master times out), a delay or CORRUPTED
 * after 'E', a brief power loss (the meter is deaf for 6 s and closes the running
 * transaction itself, READY, as the fact sheet says; or loses it), a lost transaction
 * (NOT_READY, no record), a corrupted signature in the next record.
 */
#ifndef SIM_EM580_DEV_H
#define SIM_EM580_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_modbus.h"

#define SIM_EM580_PAYLOAD_MAX 3200u
#define SIM_EM580_SD_MAX 400u
/** How long a brief power loss keeps the meter deaf (the fact sheet: a reboot takes ~6 s). */
#define SIM_EM580_REBOOT_MS 6000u

/** Signs the OCMF @p payload (@p len bytes) into @p sd as upper-case hex, NUL-terminated.
 *  @return 0, or -1 (the meter then reports CORRUPTED) */
typedef int (*sim_em580_sign_fn)(void *ctx, const char *payload, size_t len, char *sd, size_t cap);

/** What a model is built with. */
struct sim_em580_config {
    bool em300;                  /**< an EM300 (code 340, live only) instead of an EM580 (120) */
    const uint8_t *pub;          /**< EM580: uncompressed point, 65 (256-bit) or 97 (384-bit) bytes */
    size_t pub_len;
    const uint8_t *der;          /**< DER SubjectPublicKeyInfo at 0x2600, or NULL */
    size_t der_len;
    const char *serial;          /**< NULL: "SIM0000000001" (EM580) / "EM30012" (EM300) */
    const char *mv;              /**< the record's MV; NULL: "Carlo Gavazzi Controls (SIMULATED)" */
    const char *rt;              /**< the readings' RT; NULL: "AC" (an EM580 measures AC) */
    int64_t import_wh;
    int64_t unix_epoch_s;        /**< wall clock at now_ms = 0 */
    sim_em580_sign_fn sign;      /**< NULL: an all-zero signature */
    void *sign_ctx;
};

struct sim_em580_dev {
    struct sim_mb_slave slave;   /**< unit 1 */
    bool em300;
    bool p384;
    const char *mv, *rt;
    uint32_t now_ms;
    int64_t unix_epoch_s;
    int64_t import_wh, export_wh;
    int64_t rest_nj;             /**< imported energy below one Wh, nJ */
    int32_t v_dv[3], i_ma[3], p_dw[3];
    int32_t p_total_dw;          /**< the meter's own sum (not the rounded phases') */
    uint16_t freq_dhz;
    int64_t start_wh, start_s;
    uint32_t start_ms;
    uint32_t pg;
    sim_em580_sign_fn sign;
    void *sign_ctx;
    /* behaviour and faults (set any time) */
    uint32_t ready_delay_ms;     /**< from 'E' to READY (0: at once) */
    bool corrupt_on_end;         /**< 'E' leads to CORRUPTED */
    uint32_t reboot_after_ms;    /**< a brief power loss this long after 'B' (0: never) */
    bool reboot_loses;           /**< that power loss loses the transaction instead of closing it */
    uint8_t exc_code;            /**< answer with this exception (0: none) ... */
    uint16_t exc_addr;           /**< ... every request (0xFFFF) or those touching this address */
    uint8_t lose_stops;          /**< the answers to the next N 'E' commands are lost (not run) */
    bool corrupt_next;           /**< the next record's signature has one hex digit changed */
    /* state */
    bool closing;                /**< 'E' taken, READY at ready_at_ms */
    uint32_t ready_at_ms;
    bool reboot_armed;
    uint32_t reboot_at_ms;
    bool down;                   /**< deaf after a power loss until down_until_ms */
    uint32_t down_until_ms;
    uint32_t begins, ends, confirms, aborts, lost_stops, reboots;
    char payload[SIM_EM580_PAYLOAD_MAX];
};

/** @brief A meter as @p cfg says, at time 0. */
void sim_em580_dev_init(struct sim_em580_dev *d, const struct sim_em580_config *cfg);

/** @brief Advance to @p now_ms with the DC voltage and current (+ = to the EV) measured
 *         (the live block carries them in L1). */
void sim_em580_dev_tick(struct sim_em580_dev *d, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma);

/** @brief Advance to @p now_ms with a balanced three-phase load of @p load_w at 230 V, 50 Hz. */
void sim_em580_dev_tick_ac(struct sim_em580_dev *d, uint32_t now_ms, double load_w);

/** @brief A brief power loss now: a running transaction is closed by the meter itself (OCMF
 *         state READY with its signed record, as the fact sheet says a real EM580 does). */
void sim_em580_dev_reboot(struct sim_em580_dev *d);

/** @brief Fault: the meter loses the running transaction without a record (OCMF state
 *         NOT_READY): a stop can never deliver one. */
void sim_em580_dev_forget(struct sim_em580_dev *d);

/** @brief A transaction is open in the meter. */
bool sim_em580_dev_tx_open(const struct sim_em580_dev *d);

/** @brief The TT register (tariff text "<=>" transaction id) as a string. */
void sim_em580_dev_tt(const struct sim_em580_dev *d, char *out, size_t cap);

#endif /* SIM_EM580_DEV_H */
