/* fake_tls.c - the test fake of hal_tls (fake_tls.h). */
#include "fake_tls.h"

#include <stdio.h>
#include <string.h>

static struct fake_tls_session *fake_tls_get(struct fake_tls *t, int s)
{
    if (s < 0 || s >= FAKE_TLS_SESSIONS || !t->sess[s].in_use) {
        return NULL;
    }
    return &t->sess[s];
}

static int fake_tls_start(struct hal_tls *base, int sock, int is_server)
{
    struct fake_tls *t = (struct fake_tls *)base;
    for (int i = 0; i < FAKE_TLS_SESSIONS; i++) {
        if (!t->sess[i].in_use) {
            memset(&t->sess[i], 0, sizeof t->sess[i]);
            t->sess[i].in_use = true;
            t->sess[i].is_server = is_server != 0;
            t->sess[i].sock = sock;
            return i;
        }
    }
    return HAL_ENOMEM;
}

static int fake_tls_set_server_name(struct hal_tls *base, int session, const char *name)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    size_t len = name != NULL ? strlen(name) : 0u;
    if (s == NULL || s->is_server || s->step != 0 || len == 0u || len >= FAKE_TLS_NAME_MAX) {
        return HAL_EINVAL;
    }
    memcpy(s->name, name, len + 1u);
    return HAL_OK;
}

/* Move the hello in s->msg: send it (out) or receive it, in pieces; HAL_OK when whole. */
static int fake_tls_move(struct fake_tls *t, struct fake_tls_session *s, bool out)
{
    while (s->have < FAKE_TLS_HELLO) {
        size_t n = 0;
        int rc = out ? hal_net_tcp_send(t->net, s->sock, s->msg + s->have, FAKE_TLS_HELLO - s->have, &n)
                     : hal_net_tcp_recv(t->net, s->sock, s->msg + s->have, FAKE_TLS_HELLO - s->have, &n);
        if (rc != HAL_OK) {
            return rc;
        }
        s->have += n;
    }
    s->have = 0;
    return HAL_OK;
}

static int fake_tls_fail(struct fake_tls *t, struct fake_tls_session *s, const char *why)
{
    snprintf(t->reason, sizeof t->reason, "%s", why);
    s->step = -1;
    return HAL_EPROTO;
}

/*
 * Client: 0 send hello {'C', has_cert}; 1 receive {'S', ok, cert name}; check the name.
 * Server: 0 receive the client hello; 1 send {'S', ok, cert name}; a refusal fails both.
 */
static int fake_tls_handshake(struct hal_tls *base, int session)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    if (s == NULL) {
        return HAL_EINVAL;
    }
    if (s->step == -1) {
        return HAL_EPROTO;
    }
    int rc;
    if (!s->is_server) {
        if (s->step == 0) {
            memset(s->msg, 0, sizeof s->msg);
            s->msg[0] = 'C';
            s->msg[1] = t->client_cert ? 1u : 0u;
            s->step = 1;
        }
        if (s->step == 1 && (rc = fake_tls_move(t, s, true)) != HAL_OK) {
            return rc;
        }
        s->step = s->step == 1 ? 2 : s->step;
        if (s->step == 2) {
            if ((rc = fake_tls_move(t, s, false)) != HAL_OK) {
                return rc;
            }
            if (s->msg[1] == 0u) {
                return fake_tls_fail(t, s, "alert: certificate required");
            }
            if (s->name[0] != '\0' && strncmp((const char *)s->msg + 2, s->name, FAKE_TLS_NAME_MAX) != 0) {
                return fake_tls_fail(t, s, "certificate verify failed: hostname mismatch");
            }
            s->step = 3;
        }
        return HAL_OK;
    }
    if (s->step == 0) {
        if ((rc = fake_tls_move(t, s, false)) != HAL_OK) {
            return rc;
        }
        bool ok = !t->require_client_cert || s->msg[1] != 0u;
        memset(s->msg, 0, sizeof s->msg);
        s->msg[0] = 'S';
        s->msg[1] = ok ? 1u : 0u;
        memcpy(s->msg + 2, t->cert_name, sizeof t->cert_name);
        s->step = ok ? 1 : 2;
    }
    if (s->step == 1 || s->step == 2) {
        if ((rc = fake_tls_move(t, s, true)) != HAL_OK) {
            return rc;
        }
        if (s->step == 2) {
            return fake_tls_fail(t, s, "peer did not return a certificate");
        }
        s->step = 3;
    }
    return HAL_OK;
}

static int fake_tls_send(struct hal_tls *base, int session, const uint8_t *buf, size_t len, size_t *sent)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    *sent = 0;
    if (s == NULL || s->step != 3) {
        return s == NULL ? HAL_EINVAL : HAL_EPROTO;
    }
    return hal_net_tcp_send(t->net, s->sock, buf, len, sent);
}

static int fake_tls_recv(struct hal_tls *base, int session, uint8_t *buf, size_t cap, size_t *len)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    *len = 0;
    if (s == NULL || s->step != 3) {
        return s == NULL ? HAL_EINVAL : HAL_EPROTO;
    }
    return hal_net_tcp_recv(t->net, s->sock, buf, cap, len);
}

static void fake_tls_close(struct hal_tls *base, int session)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    if (s != NULL) {
        s->in_use = false;
    }
}

/* The version a real port would report: only for an established session, as OpenSSL. */
static uint16_t fake_tls_version(struct hal_tls *base, int session)
{
    struct fake_tls *t = (struct fake_tls *)base;
    struct fake_tls_session *s = fake_tls_get(t, session);
    return s != NULL && s->step == 3 ? t->version : 0u;
}

static const struct hal_tls_ops s_fake_tls_ops = {
    .version = fake_tls_version,
    .start = fake_tls_start,
    .handshake = fake_tls_handshake,
    .send = fake_tls_send,
    .recv = fake_tls_recv,
    .close = fake_tls_close,
    .set_server_name = fake_tls_set_server_name,
};

void fake_tls_init(struct fake_tls *t, struct hal_net *net)
{
    memset(t, 0, sizeof *t);
    t->base.ops = &s_fake_tls_ops;
    t->net = net;
}
