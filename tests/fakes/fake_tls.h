/**
 * @file fake_tls.h
 * @brief Test fake of hal_tls over any hal_net (normally fake_net): no cryptography, but
 *        the handshake decisions a real TLS makes for backends. The server presents one
 *        certificate name and may require a client certificate; the client checks the
 *        name given with hal_tls_set_server_name() and offers a certificate or not. Each
 *        side sends one fixed-size hello, then application bytes pass through unchanged.
 */
#ifndef FAKE_TLS_H
#define FAKE_TLS_H

#include <stdbool.h>

#include "hal_net.h"
#include "hal_tls.h"

#define FAKE_TLS_SESSIONS 4
#define FAKE_TLS_NAME_MAX 64
#define FAKE_TLS_HELLO 66 /**< bytes of each hello: kind, flag, NUL-padded name */

struct fake_tls_session {
    bool in_use, is_server;
    int sock;
    int step;                       /**< handshake progress; 3 = established, -1 = failed */
    char name[FAKE_TLS_NAME_MAX];   /**< client: the expected server name ("" = any) */
    unsigned char msg[FAKE_TLS_HELLO];
    size_t have;                    /**< bytes of msg sent or received so far */
};

struct fake_tls {
    struct hal_tls base; /**< must stay first */
    struct hal_net *net;
    char cert_name[FAKE_TLS_NAME_MAX]; /**< server: the name its certificate carries */
    bool require_client_cert;          /**< server: refuse clients without a certificate */
    bool client_cert;                  /**< client: offer a certificate */
    uint16_t version;                  /**< hal_tls_version() once established (0x0303, 0x0304); 0 = untold */
    struct fake_tls_session sess[FAKE_TLS_SESSIONS];
    char reason[96];                   /**< why the last handshake failed */
};

/** @brief Bind to @p net; no certificate name, no client certificate. */
void fake_tls_init(struct fake_tls *t, struct hal_net *net);

#endif /* FAKE_TLS_H */
