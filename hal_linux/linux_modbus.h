/**
 * @file linux_modbus.h
 * @brief hal_modbus on libmodbus (RTU over a serial device, or TCP), asynchronous.
 *
 * libmodbus blocks, so each bus gets one worker thread that runs the request the
 * superloop submitted and signals completion through an eventfd. The board registers
 * that descriptor with linux_loop_watch(POLLIN); the loop then wakes for the completion
 * and the on_io task that owns the bus polls it. Submit and poll only take a mutex that
 * the worker never holds across I/O, so the superloop is never stalled by the bus.
 * The thread stays inside hal_linux/.
 */
#ifndef LINUX_MODBUS_H
#define LINUX_MODBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hal_modbus.h"

#define LINUX_MODBUS_DEV_MAX 96

/** Transport of one bus. */
enum linux_modbus_kind {
    LINUX_MODBUS_RTU = 1,
    LINUX_MODBUS_TCP,
};

/** Configuration of one bus. */
struct linux_modbus_config {
    enum linux_modbus_kind kind;
    char device[LINUX_MODBUS_DEV_MAX]; /**< RTU: serial device; TCP: host name or address */
    uint32_t baud;                     /**< RTU: bit rate (default 9600) */
    char parity;                       /**< RTU: 'N', 'E' or 'O' (default 'N') */
    uint8_t data_bits;                 /**< RTU: 7 or 8 (default 8) */
    uint8_t stop_bits;                 /**< RTU: 1 or 2 (default 1) */
    uint16_t port;                     /**< TCP: port (default 502) */
    uint32_t timeout_ms;               /**< default response timeout per PDU (default 500) */
};

/** Statistics of a bus (read them from the superloop; updated by the worker under the lock). */
struct linux_modbus_stats {
    uint32_t requests;   /**< completed requests */
    uint32_t pdus;       /**< PDUs sent, retries included */
    uint32_t timeouts;   /**< PDUs that timed out */
    uint32_t exceptions; /**< exception replies */
    uint32_t reconnects; /**< connection (re)opened */
};

/** One bus. */
struct linux_modbus {
    struct hal_modbus base;
    struct linux_modbus_config cfg;
    void *ctx; /**< modbus_t */
    int efd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;
    bool connected; /**< worker only */
    bool pending;   /**< a request waits for the worker */
    bool busy;      /**< a request is in flight (submitted, not yet polled) */
    bool done;      /**< the worker finished it */
    bool stop;
    struct hal_modbus_req req;
    struct hal_modbus_result res;
    struct linux_modbus_stats stats;
};

/**
 * @brief Parse "rtu:DEV[,BAUD[,8N1]]" or "tcp:HOST:PORT" (also "DEV[,BAUD]" and "HOST:PORT"
 *        with @p kind_hint) into @p cfg, with defaults for everything left out.
 * @retval HAL_OK parsed
 * @retval HAL_EINVAL malformed (bad number, parity, too long)
 */
int linux_modbus_parse(const char *spec, enum linux_modbus_kind kind_hint,
                       struct linux_modbus_config *cfg);

/**
 * @brief Create the libmodbus context, the eventfd and the worker. The connection is
 *        opened by the worker on the first request (and again after a failure).
 * @retval HAL_OK running; watch linux_modbus_fd() for POLLIN
 * @retval HAL_EINVAL bad configuration
 * @retval HAL_EIO libmodbus, eventfd or the thread could not be created
 */
int linux_modbus_init(struct linux_modbus *mb, const struct linux_modbus_config *cfg);

/** @brief The descriptor that becomes readable when a request completes. */
int linux_modbus_fd(const struct linux_modbus *mb);

/** @brief Copy of the statistics. */
struct linux_modbus_stats linux_modbus_get_stats(struct linux_modbus *mb);

/** @brief Stop the worker (waits for the request in flight), close everything. */
void linux_modbus_close(struct linux_modbus *mb);

#endif /* LINUX_MODBUS_H */
