/**
 * @file hal_err.h
 * @brief The one error enum shared by the HAL, the protocol cores and the firmware.
 *
 * Every function that can fail returns an int: HAL_OK (0) or one of the negative
 * codes below. Protocol detail (an EXI error, a Modbus exception code) stays in the
 * module's own enum and is reported next to the HAL code, never instead of it.
 */
#ifndef HAL_ERR_H
#define HAL_ERR_H

/** Result codes. Zero is success, every failure is negative. */
enum hal_err {
    HAL_OK = 0,          /**< success */
    HAL_EINVAL = -1,     /**< an argument or a received value is out of range */
    HAL_EAGAIN = -2,     /**< not yet: nothing to read, or the operation is still running */
    HAL_ENOMEM = -3,     /**< a fixed pool or buffer is full */
    HAL_ETIMEDOUT = -4,  /**< the peer or the device did not answer in time */
    HAL_EIO = -5,        /**< the device or the transport failed */
    HAL_ENOTSUP = -6,    /**< this port or board does not provide the operation */
    HAL_EPROTO = -7,     /**< the peer broke the protocol (malformed frame, bad sequence) */
    HAL_EBUSY = -8,      /**< the resource is in use (a request already submitted) */
    HAL_ENOENT = -9,     /**< no such item (store key, interface, file) */
    HAL_ESTATE = -10,    /**< the operation is not allowed in the current state (a safety refusal) */
    HAL_EOVERFLOW = -11, /**< the data does not fit the destination */
    HAL_ECLOSED = -12,   /**< the connection or the bus was closed or went off */
};

/** Number of distinct codes, for tables indexed by -code. */
#define HAL_ERR_COUNT 13

/**
 * @brief Human-readable name and meaning of a result code.
 * @param err a value returned by any HAL, protocol or firmware function
 * @return a static, non-NULL string; unknown codes give "unknown error"
 */
const char *hal_strerror(int err);

#endif /* HAL_ERR_H */
