/**
 * @file hal_tls.h
 * @brief TLS sessions over TCP connections of hal_net, server (EVSE) and client (EV).
 *
 * The handshake is driven without blocking: call the step until it stops saying
 * HAL_EAGAIN. Certificates and keys are configured by the board at init.
 */
#ifndef HAL_TLS_H
#define HAL_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

struct hal_tls;

/** Operations of a TLS port. Session handles are >= 0. */
struct hal_tls_ops {
    int (*start)(struct hal_tls *tls, int tcp_sock, int is_server);
    int (*handshake)(struct hal_tls *tls, int session);
    int (*send)(struct hal_tls *tls, int session, const uint8_t *buf, size_t len, size_t *sent);
    int (*recv)(struct hal_tls *tls, int session, uint8_t *buf, size_t cap, size_t *len);
    void (*close)(struct hal_tls *tls, int session);
};

/** A TLS context instance (certificates, keys, session table). */
struct hal_tls {
    const struct hal_tls_ops *ops;
};

/**
 * @brief Begin a TLS session on an established TCP connection.
 * @param is_server 1 on the EVSE side, 0 on the EV side
 * @return a session handle >= 0
 * @retval HAL_ENOMEM the session table is full
 * @retval HAL_ENOTSUP the port has no TLS
 * @retval HAL_EIO any other failure
 */
static inline int hal_tls_start(struct hal_tls *tls, int tcp_sock, int is_server)
{
    return tls->ops->start(tls, tcp_sock, is_server);
}

/**
 * @brief Advance the handshake.
 * @retval HAL_OK the session is established
 * @retval HAL_EAGAIN waiting for the peer
 * @retval HAL_EPROTO the handshake failed (certificate, version, cipher); close the session
 * @retval HAL_ECLOSED the peer closed the connection
 */
static inline int hal_tls_handshake(struct hal_tls *tls, int session)
{
    return tls->ops->handshake(tls, session);
}

/**
 * @brief Send application data; may take fewer than @p len bytes.
 * @retval HAL_OK @p sent bytes taken
 * @retval HAL_EAGAIN try later
 * @retval HAL_ECLOSED the peer closed the connection
 * @retval HAL_EPROTO a TLS alert or record error
 */
static inline int hal_tls_send(struct hal_tls *tls, int session, const uint8_t *buf, size_t len,
                               size_t *sent)
{
    return tls->ops->send(tls, session, buf, len, sent);
}

/**
 * @brief Receive application data.
 * @retval HAL_OK @p len >= 1 bytes copied
 * @retval HAL_EAGAIN nothing yet
 * @retval HAL_ECLOSED the peer closed the connection
 * @retval HAL_EPROTO a TLS alert or record error
 */
static inline int hal_tls_recv(struct hal_tls *tls, int session, uint8_t *buf, size_t cap,
                               size_t *len)
{
    return tls->ops->recv(tls, session, buf, cap, len);
}

/** @brief Send close_notify where possible and free the session; the TCP socket stays open. */
static inline void hal_tls_close(struct hal_tls *tls, int session)
{
    tls->ops->close(tls, session);
}

#endif /* HAL_TLS_H */
