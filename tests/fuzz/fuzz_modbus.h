/**
 * @file fuzz_modbus.h
 * @brief A Modbus master port for the fuzz harnesses whose replies come from the input.
 *
 * Every poll of a request in flight takes one byte that decides the outcome (not yet,
 * timeout, exception, bad reply, I/O error, or a normal answer); a normal answer to a
 * read takes 2 bytes per register. So every reply a device could send, well-formed or
 * not, and every failure of the bus is reachable from the fuzzer's bytes. A driver that
 * submits a request the HAL contract forbids (count 0, no buffer, a single write of
 * several registers, a read from the broadcast unit) aborts the run: that is a driver bug.
 */
#ifndef FUZZ_MODBUS_H
#define FUZZ_MODBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_modbus.h"

/** The port: a cursor over the fuzz input. */
struct fuzz_modbus {
    struct hal_modbus base;
    const uint8_t *in;
    size_t left;
    bool busy;
    struct hal_modbus_req req;
    uint32_t submits;
};

/** @brief Start a port reading its replies from @p in. */
void fuzz_modbus_init(struct fuzz_modbus *f, const uint8_t *in, size_t len);

/** @brief Take one byte of the input (0 when it is used up). */
uint8_t fuzz_modbus_byte(struct fuzz_modbus *f);

#endif /* FUZZ_MODBUS_H */
