/**
 * @file fake_modbus.h
 * @brief Test fake of a Modbus bus with one in-memory register map (input and holding
 *        share it, as on the EM580), a request log, and fault injection: timeouts,
 *        exceptions per address, latency in polls, and a hook that lets a test play the
 *        device's behaviour on writes.
 */
#ifndef FAKE_MODBUS_H
#define FAKE_MODBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"

#define FAKE_MODBUS_REGS 0x8000u
#define FAKE_MODBUS_LOG 512u

struct fake_modbus;

/** Called after a write was applied to the map (addr, count as on the wire). */
typedef void (*fake_modbus_hook)(struct fake_modbus *f, uint16_t addr, uint16_t count);

/** Called before a request is answered: return 0 to answer it normally, or a Modbus
 *  exception code to refuse it (a device that rejects writes in some state). */
typedef uint8_t (*fake_modbus_gate)(struct fake_modbus *f, const struct hal_modbus_req *req);

/** One logged request. */
struct fake_modbus_entry {
    enum hal_modbus_fn fn;
    uint8_t unit;
    uint16_t addr;
    uint16_t count;
    uint16_t first; /**< first written value */
    uint32_t timeout_ms;
    uint8_t retries;
};

struct fake_modbus {
    struct hal_modbus base;
    uint16_t regs[FAKE_MODBUS_REGS];
    uint8_t unit;              /**< the only unit that answers (others time out) */
    /* in flight */
    bool busy;
    struct hal_modbus_req req;
    uint32_t polls_left;
    /* faults */
    uint32_t latency_polls;    /**< polls answering EAGAIN before completion */
    uint32_t timeouts_next;    /**< the next N requests time out */
    bool offline;              /**< every request times out */
    uint16_t exc_addr;         /**< requests touching [exc_addr, exc_addr+exc_count) ... */
    uint16_t exc_count;
    uint8_t exc_code;          /**< ... answer this exception (0 = off) */
    uint16_t reject_read_over; /**< reads longer than this answer exception 3 (0 = off) */
    fake_modbus_hook on_write;
    fake_modbus_hook on_read;  /**< called before a read is answered from the map */
    void *ctx;                 /**< for the hook */
    /* additions for devices whose input and holding registers differ (IMDs) */
    bool split_input;          /**< FC04 reads come from `input`, not from `regs` */
    uint16_t input[FAKE_MODBUS_REGS];
    uint32_t bad_replies_next; /**< the next N requests end HAL_EPROTO without an exception
                                    (CRC error, short or mismatched reply, as the port reports) */
    fake_modbus_gate gate;     /**< optional, see fake_modbus_gate */
    /* log */
    struct fake_modbus_entry log[FAKE_MODBUS_LOG];
    uint32_t nlog;
    uint32_t submits_busy;     /**< submits refused with HAL_EBUSY */
};

/** @brief Empty map, unit 1, no faults. */
void fake_modbus_init(struct fake_modbus *f);

/** @brief Index of the first logged request of @p fn at @p addr from @p from on, or -1. */
int fake_modbus_find(const struct fake_modbus *f, enum hal_modbus_fn fn, uint16_t addr,
                     uint32_t from);

/** @brief Number of logged requests of @p fn touching @p addr. */
uint32_t fake_modbus_count(const struct fake_modbus *f, enum hal_modbus_fn fn, uint16_t addr);

/** @brief Store a string as CHAR registers (high byte first), NUL-padded to @p words. */
void fake_modbus_put_string(struct fake_modbus *f, uint16_t addr, uint16_t words, const char *s);

#endif /* FAKE_MODBUS_H */
