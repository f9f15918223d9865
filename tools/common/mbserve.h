/**
 * @file mbserve.h
 * @brief The Modbus server side shared by the device emulators (metersim, imdsim): open
 *        an RTU line or a TCP listener on 127.0.0.1, then hand out one request at a time,
 *        waiting at most a tick period so the emulator's device model keeps running.
 *        The emulator answers each request with libmodbus (modbus_reply and friends on
 *        mbserve.ctx). Host tools only.
 */
#ifndef MBSERVE_H
#define MBSERVE_H

#include <modbus/modbus.h>
#include <stdint.h>
#include <sys/select.h>

struct mbserve {
    modbus_t *ctx;
    int server;       /**< TCP listening socket, or -1 on RTU */
    fd_set all;       /**< the listener and the connected clients */
    int maxfd;
    uint32_t wait_us; /**< longest wait for a request: the emulator's tick period */
};

/**
 * @brief Open @p rtu ("DEV[,BAUD[,PARITY]]", BAUD and PARITY default to @p baud and
 *        @p parity) or, when @p rtu is NULL, listen on @p tcp_host:@p tcp_port (a numeric
 *        IPv4 or IPv6 address, see tool_host_port()).
 * @return 0, or -1 with the reason on stderr, prefixed "@p who: " (nothing left open)
 */
int mbserve_open(struct mbserve *m, const char *who, const char *rtu, long baud, char parity, const char *tcp_host,
                 int tcp_port, uint32_t wait_us);

/**
 * @brief Wait up to wait_us for one request (accepting and dropping TCP clients on the way).
 * @return its length (> 0) with the ADU in @p q; 0 when none came (time to tick)
 */
int mbserve_next(struct mbserve *m, uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH]);

/** @brief The unit id the request @p q is addressed to. */
int mbserve_unit(const struct mbserve *m, const uint8_t *q);

/** @brief Close the line or the listener and free the context. */
void mbserve_close(struct mbserve *m);

#endif /* MBSERVE_H */
