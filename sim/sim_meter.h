/**
 * @file sim_meter.h
 * @brief The simulator board's meter: a Carlo Gavazzi EM580 register model (sim_em580_dev)
 *        on an in-memory Modbus bus (sim_modbus), read by the REAL driver (protocols/em580 +
 *        firmware/meter_em580.c) exactly as on a board; plus the simulator's crypto port and
 *        the in-memory store of the meter session's journal. Host-only.
 *
 * The board hands the charger and the meter session sim_meter_port(): the firmware's own
 * adapter, not a stand-in. Energy integrates the DC voltage x current the plant passes to
 * sim_meter_tick() every simulated millisecond. A stop produces a real OCMF record (built
 * by the device model from the registers the driver wrote) carrying a SIMULATED signature:
 * r||s is derived from the SHA-256 of the payload and a fixed test key (not ECDSA). Only
 * sim_meter_crypto accepts it, and only for the meter's fixed test public key, so the meter
 * session's verify path runs unchanged and a record altered after signing fails; the record
 * says so itself ("MV" ... SIMULATED). Faults are injected into the device: silent on the
 * bus, lost answers to the end command, a brief power loss (the EM580 closes the running
 * transaction itself), a lost transaction (the meter forgot it: no record will ever come),
 * a flipped signature bit.
 */
#ifndef SIM_METER_H
#define SIM_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_log.h"
#include "hal_nvs.h"
#include "meter.h"
#include "meter_em580.h"
#include "sched.h"
#include "sim_em580_dev.h"
#include "sim_modbus.h"

/** The simulator's crypto port: accepts exactly the simulated signatures of sim_meter. */
struct sim_meter_crypto {
    struct hal_crypto base; /**< must stay first */
    uint32_t calls;
};

/** One simulated meter with the firmware's driver for it. */
struct sim_meter {
    struct sim_modbus bus;
    struct sim_em580_dev dev;   /**< the device (its own supply: survives the firmware's power loss) */
    struct meter_em580 drv;     /**< the firmware's driver (restarted with the firmware) */
    struct hal_log *log;
    char name[16];              /**< the connector, for the log */
    bool io_pending;            /**< an answer became due: wake the loop for I/O */
    bool tx_open;               /**< a transaction is open in the meter (as of the last tick) */
    bool corrupt_ocmf;          /**< fault: the next stop record has a flipped signature bit */
    /* What the log has told (the driver's work seen from the device and the bus). */
    enum em580_phase seen_phase;
    uint32_t seen_begins, seen_ends, seen_confirms, seen_lost;
    bool seen_live;
    uint32_t seen_live_at;      /**< time of the last live read counted */
    uint32_t live_reads;        /**< live blocks the driver read */
};

/** Modbus round trip of the simulated RS-485 line, ms. */
#define SIM_METER_LATENCY_MS 10u

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

/** @brief The device: an EM580 at @p import_wh, wall clock @p unix_epoch_s at time 0;
 *         @p log and @p name for what the driver does on the bus (log may be NULL). */
void sim_meter_init(struct sim_meter *m, int64_t import_wh, int64_t unix_epoch_s, struct hal_log *log,
                    const char *name);

/** @brief (Re)start the firmware's driver and add its task (boot, or power back). */
int sim_meter_start(struct sim_meter *m, struct sched *s, uint32_t now_ms);

/** @brief The meter the charger and the meter session use: the real driver's adapter. */
struct meter *sim_meter_port(struct sim_meter *m);

/** @brief Advance to @p now_ms with the present DC voltage and current (+ = to the EV). */
void sim_meter_tick(struct sim_meter *m, uint32_t now_ms, int32_t voltage_mv, int32_t current_ma);

/** @brief Make the meter stop (true) or resume (false) answering on its bus. */
void sim_meter_set_no_answer(struct sim_meter *m, bool no_answer);

/**
 * @brief Fault injection: the answers to the next @p n end commands are lost: the meter
 *        never runs them, the driver times out, the transaction stays open in the meter.
 */
void sim_meter_lose_stops(struct sim_meter *m, uint8_t n);

/** @brief Fault injection: a brief power loss of the meter; as the EM580 does (spec §6),
 *         it closes a running transaction itself (OCMF READY, the driver's monitor reports
 *         OcmfTransactionClosed) and the record waits for the stop. */
void sim_meter_reboot(struct sim_meter *m);

/** @brief Fault injection: the meter loses the running transaction with no record (OCMF
 *         NOT_READY: a memory loss, a swapped unit): its stop can never be completed. */
void sim_meter_forget(struct sim_meter *m);

/** @brief The crypto port that accepts sim_meter's test signatures. */
void sim_meter_crypto_init(struct sim_meter_crypto *c);

#endif /* SIM_METER_H */
