/**
 * @file sim_modbus.h
 * @brief In-memory Modbus: a master port (the HAL's hal_modbus, asynchronous as the HAL is:
 *        submit, then poll on later passes) wired to register-level device models
 *        ("slaves") by unit id. Host-only simulation layer.
 *
 * A request completes `latency_ms` after it was submitted (the time a short RTU frame and
 * its answer take on the wire); a unit nobody answers for, or a silent device, completes
 * with HAL_ETIMEDOUT after the request's timeout times its attempts, as the real port
 * does. Time is passed in with sim_modbus_tick(); nothing here reads a clock.
 *
 * A slave holds its own holding and input registers (one map when `split_input` is false,
 * as on the EM580) and three optional hooks: a gate that may refuse a request with an
 * exception, a refresh before a read is answered, and a reaction after a write. The same
 * slave is served to real Modbus masters by the emulator programs in tools/ (libmodbus
 * answers from the slave's maps, the hooks run around it).
 */
#ifndef SIM_MODBUS_H
#define SIM_MODBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"

#define SIM_MB_REGS 0x10000u          /**< every 16-bit address */
#define SIM_MB_DEFAULT_TIMEOUT_MS 200u /**< a request without its own timeout */
#define SIM_MB_SLAVES 4u
/** A gate's answer for "the device took the request but its answer is lost": the master
 *  times out (the request's effect is the gate's business). */
#define SIM_MB_NO_ANSWER 0xFFu

struct sim_mb_slave;

/** The behaviour of a device model around its register maps (every hook optional). */
struct sim_mb_slave_ops {
    /** Before a request is answered: 0 to answer it, a Modbus exception code, or
     *  SIM_MB_NO_ANSWER. */
    uint8_t (*gate)(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms);
    /** Before a read is answered from the maps: refresh them. */
    void (*before_read)(struct sim_mb_slave *s, uint32_t now_ms);
    /** After a write was applied to the holding map (addr, count as on the wire). */
    void (*after_write)(struct sim_mb_slave *s, uint16_t addr, uint16_t count, uint32_t now_ms);
};

/** One device on a bus. The model embeds it and keeps its state next to it. */
struct sim_mb_slave {
    const struct sim_mb_slave_ops *ops;
    void *ctx;          /**< the model */
    uint8_t unit;
    bool silent;        /**< fault: hears nothing, answers nothing (the master times out) */
    bool split_input;   /**< FC04 reads come from `input`, not from `holding` */
    uint16_t holding[SIM_MB_REGS];
    uint16_t input[SIM_MB_REGS];
};

/** Counters of one bus. */
struct sim_modbus_stats {
    uint32_t requests;   /**< submitted */
    uint32_t answered;   /**< completed with HAL_OK */
    uint32_t exceptions; /**< completed with an exception */
    uint32_t timeouts;   /**< completed with HAL_ETIMEDOUT */
    uint32_t busy;       /**< submits refused: one in flight */
};

/** One bus: the master port plus the slaves on it. */
struct sim_modbus {
    struct hal_modbus base; /**< must stay first */
    struct sim_mb_slave *slave[SIM_MB_SLAVES];
    unsigned nslaves;
    uint32_t latency_ms;    /**< request to answer on the wire */
    uint32_t now_ms;
    /* in flight */
    bool busy;
    struct hal_modbus_req req;
    uint32_t due_ms;
    uint32_t submit_ms;
    bool lost;              /**< the answer was lost: completes as a timeout */
    struct sim_modbus_stats stats;
};

/** @brief Empty bus; answers come @p latency_ms after the request. */
void sim_modbus_init(struct sim_modbus *b, uint32_t latency_ms);

/** @brief Put @p s on the bus. @retval HAL_OK @retval HAL_ENOMEM bus full @retval HAL_EINVAL unit taken */
int sim_modbus_attach(struct sim_modbus *b, struct sim_mb_slave *s);

/** @brief Advance the bus clock (answers become due). */
void sim_modbus_tick(struct sim_modbus *b, uint32_t now_ms);

/** @brief A slave with empty maps at @p unit. */
void sim_mb_slave_init(struct sim_mb_slave *s, uint8_t unit, const struct sim_mb_slave_ops *ops,
                       void *ctx);

/**
 * @brief Answer one request from the slave's maps, hooks included (what the bus does when
 *        the request is due, and what an emulator does for a request off a real wire).
 * @param[in,out] req reads receive req->count registers in req->regs; writes take them
 * @return 0, or the Modbus exception code the device answers
 */
uint8_t sim_mb_slave_serve(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms);

/** @brief Store a string as CHAR registers (high byte first), NUL-padded to @p words. */
void sim_mb_put_string(uint16_t *regs, uint16_t addr, uint16_t words, const char *str);

#endif /* SIM_MODBUS_H */
