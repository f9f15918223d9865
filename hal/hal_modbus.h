/**
 * @file hal_modbus.h
 * @brief Asynchronous Modbus master (RTU over a serial line, or TCP).
 *
 * One request per bus is in flight at a time: submit it, then poll on later loop
 * passes until it completes. The request's buffers belong to the caller and must
 * stay valid until completion. Requests larger than one Modbus PDU (125 registers
 * read, 123 written) are split by the port and completed as one.
 */
#ifndef HAL_MODBUS_H
#define HAL_MODBUS_H

#include <stdint.h>

#include "hal_err.h"

#define HAL_MODBUS_MAX_READ_PDU 125u  /**< registers per read request on the wire */
#define HAL_MODBUS_MAX_WRITE_PDU 123u /**< registers per write request on the wire */

/** Function of a request. */
enum hal_modbus_fn {
    HAL_MODBUS_READ_HOLDING = 0x03,
    HAL_MODBUS_READ_INPUT = 0x04,
    HAL_MODBUS_WRITE_SINGLE = 0x06,
    HAL_MODBUS_WRITE_MULTIPLE = 0x10,
};

/** One request. For reads `regs` receives `count` registers; for writes it is the source. */
struct hal_modbus_req {
    uint8_t unit;          /**< slave / unit id, 1..247 (0 = broadcast, writes only) */
    enum hal_modbus_fn fn; /**< function */
    uint16_t addr;         /**< first register, 0-based wire address */
    uint16_t count;        /**< number of registers, >= 1 */
    uint16_t *regs;        /**< caller's buffer of at least `count` registers */
    uint32_t timeout_ms;   /**< per PDU; 0 = the port's default */
    uint8_t retries;       /**< extra attempts per PDU after a timeout */
};

/** Outcome of a completed request. */
struct hal_modbus_result {
    int status;        /**< HAL_OK, HAL_ETIMEDOUT, HAL_EPROTO (exception or bad reply), HAL_EIO */
    uint8_t exception; /**< Modbus exception code when status is HAL_EPROTO and the slave sent one */
};

struct hal_modbus;

/** Operations of a Modbus master port. */
struct hal_modbus_ops {
    /** @see hal_modbus_submit */
    int (*submit)(struct hal_modbus *mb, const struct hal_modbus_req *req);
    /** @see hal_modbus_poll */
    int (*poll)(struct hal_modbus *mb, struct hal_modbus_result *result);
};

/** A Modbus master instance (one bus). */
struct hal_modbus {
    const struct hal_modbus_ops *ops;
};

/**
 * @brief Start a request.
 * @retval HAL_OK accepted; poll for its completion
 * @retval HAL_EBUSY a request is still in flight on this bus
 * @retval HAL_EINVAL count 0, unit > 247, or a function/count combination that is not allowed
 * @retval HAL_ENOTSUP the port has no Modbus
 */
static inline int hal_modbus_submit(struct hal_modbus *mb, const struct hal_modbus_req *req)
{
    return mb->ops->submit(mb, req);
}

/**
 * @brief Check whether the request in flight has completed.
 * @retval HAL_OK completed; @p result holds the outcome and the bus is free again
 * @retval HAL_EAGAIN still running
 * @retval HAL_ESTATE no request was submitted
 */
static inline int hal_modbus_poll(struct hal_modbus *mb, struct hal_modbus_result *result)
{
    return mb->ops->poll(mb, result);
}

#endif /* HAL_MODBUS_H */
