/**
 * @file hal_tls.h
 * @brief TLS sessions over TCP connections of hal_net, server (EVSE) and client (EV).
 *
 * The handshake is driven without blocking: call the step until it stops saying
 * HAL_EAGAIN. Certificates and keys are configured by the board at init (the port's own
 * functions: trust anchors, a client certificate for backends that ask for one); the
 * name a client expects of its server is given per session (hal_tls_set_server_name).
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
    /** optional: @see hal_tls_set_server_name */
    int (*set_server_name)(struct hal_tls *tls, int session, const char *name);
    /** optional: @see hal_tls_version */
    uint16_t (*version)(struct hal_tls *tls, int session);
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
 * @brief Client sessions: the server's name, between hal_tls_start() and the first
 *        hal_tls_handshake(). A DNS name is sent as SNI (RFC 6066) and must match the
 *        certificate's subjectAltName (or CN); an IP literal is not sent and must match
 *        an IP subjectAltName. A mismatch fails the handshake with HAL_EPROTO.
 *        Without a name the chain is verified but any name is accepted (ISO 15118-2:
 *        the SECC is reached by link-local address and has no name).
 * @retval HAL_OK set
 * @retval HAL_EINVAL bad session, a server session, an empty or overlong name, or the
 *         handshake has already begun
 * @retval HAL_ENOTSUP the port cannot check names
 */
static inline int hal_tls_set_server_name(struct hal_tls *tls, int session, const char *name)
{
    if (tls->ops->set_server_name == NULL) {
        return HAL_ENOTSUP;
    }
    return tls->ops->set_server_name(tls, session, name);
}

/**
 * @brief Advance the handshake.
 * @retval HAL_OK the session is established
 * @retval HAL_EAGAIN waiting for the peer
 * @retval HAL_EPROTO the handshake failed (certificate, server name, version, cipher, a
 *         client certificate the server refused or missed); close the session
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
 * @retval HAL_EPROTO a TLS alert or record error (in TLS 1.3 also a server refusing the
 *         client certificate, which it says only after the client's handshake is done)
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

/**
 * @brief The protocol version a finished handshake negotiated: 0x0303 TLS 1.2, 0x0304 TLS
 *        1.3 (the wire values); 0 when the port cannot tell or the handshake is not done.
 *        ISO 15118-20 runs over TLS 1.3 only: the V2G layer asks before it offers -20.
 */
static inline uint16_t hal_tls_version(struct hal_tls *tls, int session)
{
    return tls->ops->version != NULL ? tls->ops->version(tls, session) : 0u;
}

#endif /* HAL_TLS_H */
