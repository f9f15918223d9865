#include "fake_net.h"

#include <stdio.h>
#include <string.h>

static struct fake_net_sock *fake_net_get(struct fake_net *n, int sock, enum fake_net_kind kind)
{
    if (sock < 0 || sock >= FAKE_NET_SOCKS || n->s[sock].kind != kind) {
        return NULL;
    }
    return &n->s[sock];
}

static int fake_net_alloc(struct fake_net *n, enum fake_net_kind kind, uint16_t port)
{
    for (int i = 0; i < FAKE_NET_SOCKS; i++) {
        if (n->s[i].kind == FAKE_NET_FREE) {
            memset(&n->s[i], 0, sizeof n->s[i]);
            n->s[i].kind = kind;
            n->s[i].port = port;
            n->s[i].peer = -1;
            return i;
        }
    }
    return HAL_ENOMEM;
}

static bool fake_net_port_used(const struct fake_net *n, enum fake_net_kind kind, uint16_t port)
{
    for (int i = 0; i < FAKE_NET_SOCKS; i++) {
        if (n->s[i].kind == kind && n->s[i].port == port) {
            return true;
        }
    }
    return false;
}

static int fake_net_local_addr(struct hal_net *base, struct hal_ip6_endpoint *ep)
{
    struct fake_net *n = (struct fake_net *)base;
    if (n->local_addr_rc != HAL_OK) {
        return n->local_addr_rc;
    }
    *ep = n->addr;
    ep->port = 0;
    return HAL_OK;
}

static int fake_net_udp_open(struct hal_net *base, uint16_t port, bool join)
{
    struct fake_net *n = (struct fake_net *)base;
    if (port != 0 && fake_net_port_used(n, FAKE_NET_UDP, port)) {
        return HAL_EBUSY;
    }
    int h = fake_net_alloc(n, FAKE_NET_UDP, port != 0 ? port : n->w->next_port++);
    if (h >= 0) {
        n->s[h].joined = join;
    }
    return h;
}

static bool fake_net_is_all_nodes(const uint8_t a[16])
{
    static const uint8_t all[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return memcmp(a, all, 16) == 0;
}

static void fake_net_dgram_in(struct fake_net *to, const struct hal_ip6_endpoint *dst, bool mcast,
                              const struct hal_ip6_endpoint *from, const uint8_t *buf, size_t len)
{
    for (int i = 0; i < FAKE_NET_SOCKS; i++) {
        struct fake_net_sock *s = &to->s[i];
        if (s->kind != FAKE_NET_UDP || s->port != dst->port || (mcast && !s->joined)) {
            continue;
        }
        if (to->drop_udp_in || s->dq_count == FAKE_NET_DGRAMS) {
            to->udp_dropped++;
            continue;
        }
        struct fake_net_dgram *d = &s->dq[(s->dq_head + s->dq_count) % FAKE_NET_DGRAMS];
        d->from = *from;
        d->len = len;
        memcpy(d->data, buf, len);
        s->dq_count++;
    }
}

static int fake_net_udp_sendto(struct hal_net *base, int sock, const struct hal_ip6_endpoint *to,
                               const uint8_t *buf, size_t len)
{
    struct fake_net *n = (struct fake_net *)base;
    struct fake_net_sock *s = fake_net_get(n, sock, FAKE_NET_UDP);
    if (s == NULL || len > FAKE_NET_DGRAM_MAX) {
        return HAL_EINVAL;
    }
    struct hal_ip6_endpoint from = n->addr;
    from.port = s->port;
    bool mcast = fake_net_is_all_nodes(to->addr);
    n->udp_sent++;
    for (int i = 0; i < n->w->n; i++) {
        struct fake_net *h = n->w->host[i];
        if (h != n && (mcast || memcmp(h->addr.addr, to->addr, 16) == 0)) {
            fake_net_dgram_in(h, to, mcast, &from, buf, len);
        }
    }
    return HAL_OK;
}

static int fake_net_udp_recvfrom(struct hal_net *base, int sock, struct hal_ip6_endpoint *from,
                                 uint8_t *buf, size_t cap, size_t *len)
{
    struct fake_net *n = (struct fake_net *)base;
    struct fake_net_sock *s = fake_net_get(n, sock, FAKE_NET_UDP);
    *len = 0;
    if (s == NULL) {
        return HAL_EINVAL;
    }
    if (s->dq_count == 0) {
        return HAL_EAGAIN;
    }
    struct fake_net_dgram *d = &s->dq[s->dq_head];
    s->dq_head = (s->dq_head + 1) % FAKE_NET_DGRAMS;
    s->dq_count--;
    if (d->len > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, d->data, d->len);
    *len = d->len;
    if (from != NULL) {
        *from = d->from;
    }
    return HAL_OK;
}

static int fake_net_tcp_listen(struct hal_net *base, uint16_t port)
{
    struct fake_net *n = (struct fake_net *)base;
    if (port != 0 && fake_net_port_used(n, FAKE_NET_LISTEN, port)) {
        return HAL_EBUSY;
    }
    return fake_net_alloc(n, FAKE_NET_LISTEN, port != 0 ? port : n->w->next_port++);
}

static int fake_net_tcp_accept(struct hal_net *base, int listener, struct hal_ip6_endpoint *peer)
{
    struct fake_net *n = (struct fake_net *)base;
    struct fake_net_sock *l = fake_net_get(n, listener, FAKE_NET_LISTEN);
    if (l == NULL) {
        return HAL_EINVAL;
    }
    if (l->nbacklog == 0) {
        return HAL_EAGAIN;
    }
    int h = l->backlog[0];
    memmove(&l->backlog[0], &l->backlog[1], (size_t)(l->nbacklog - 1) * sizeof l->backlog[0]);
    l->nbacklog--;
    if (peer != NULL) {
        *peer = n->s[h].peer_host->addr;
    }
    return h;
}

static int fake_net_tcp_connect(struct hal_net *base, const struct hal_ip6_endpoint *to)
{
    struct fake_net *n = (struct fake_net *)base;
    int c = fake_net_alloc(n, FAKE_NET_CONN, n->w->next_port++);
    if (c < 0) {
        return c;
    }
    n->connects++;
    for (int i = 0; i < n->w->n; i++) {
        struct fake_net *h = n->w->host[i];
        bool v4_match = h->has_v4 && hal_ip6_is_v4(to) && memcmp(to->addr + 12, h->v4, 4) == 0;
        if (memcmp(h->addr.addr, to->addr, 16) != 0 && !v4_match) {
            continue;
        }
        for (int j = 0; j < FAKE_NET_SOCKS; j++) {
            struct fake_net_sock *l = &h->s[j];
            if (l->kind != FAKE_NET_LISTEN || l->port != to->port || l->nbacklog == FAKE_NET_BACKLOG) {
                continue;
            }
            int a = fake_net_alloc(h, FAKE_NET_CONN, l->port);
            if (a < 0) {
                break;
            }
            h->s[a].peer_host = n;
            h->s[a].peer = c;
            n->s[c].peer_host = h;
            n->s[c].peer = a;
            l->backlog[l->nbacklog++] = a;
            return c;
        }
    }
    n->s[c].refused = true;
    n->refused++;
    return c;
}

/* Literals and names resolve at once here; an unknown name gives a handle whose first
 * send or receive says HAL_ECLOSED, as the Linux port's failed resolution does. */
static int fake_net_tcp_connect_name(struct hal_net *base, const char *host, uint16_t port)
{
    struct fake_net *n = (struct fake_net *)base;
    if (host == NULL || host[0] == '\0' || strlen(host) > 255u || port == 0u) {
        return HAL_EINVAL;
    }
    struct hal_ip6_endpoint to;
    if (hal_ip4_parse(host, port, &to) == HAL_OK) {
        return fake_net_tcp_connect(base, &to);
    }
    for (int i = 0; i < n->w->n; i++) {
        struct fake_net *h = n->w->host[i];
        if (h->name[0] != '\0' && strcmp(h->name, host) == 0) {
            to = h->addr;
            to.port = port;
            return fake_net_tcp_connect(base, &to);
        }
    }
    int c = fake_net_alloc(n, FAKE_NET_CONN, n->w->next_port++);
    if (c >= 0) {
        n->s[c].refused = true;
        n->refused++;
    }
    return c;
}

void fake_net_set_name(struct fake_net *n, const char *name)
{
    snprintf(n->name, sizeof n->name, "%s", name);
}

void fake_net_set_v4(struct fake_net *n, const uint8_t v4[4])
{
    memcpy(n->v4, v4, 4);
    n->has_v4 = true;
}

static struct fake_net_sock *fake_net_peer(struct fake_net_sock *s)
{
    if (s->peer_host == NULL || s->peer < 0) {
        return NULL;
    }
    return &s->peer_host->s[s->peer];
}

static int fake_net_tcp_send(struct hal_net *base, int sock, const uint8_t *buf, size_t len,
                             size_t *sent)
{
    struct fake_net *n = (struct fake_net *)base;
    struct fake_net_sock *s = fake_net_get(n, sock, FAKE_NET_CONN);
    *sent = 0;
    if (s == NULL) {
        return HAL_EINVAL;
    }
    struct fake_net_sock *p = fake_net_peer(s);
    if (s->refused || s->peer_closed || p == NULL) {
        return HAL_ECLOSED;
    }
    size_t k = FAKE_NET_RING - p->r_count;
    if (k > len) {
        k = len;
    }
    if (n->send_chunk != 0 && k > n->send_chunk) {
        k = n->send_chunk;
    }
    if (k == 0) {
        return HAL_EAGAIN;
    }
    for (size_t i = 0; i < k; i++) {
        p->ring[(p->r_head + p->r_count + i) % FAKE_NET_RING] = buf[i];
    }
    p->r_count += k;
    *sent = k;
    return HAL_OK;
}

static int fake_net_tcp_recv(struct hal_net *base, int sock, uint8_t *buf, size_t cap, size_t *len)
{
    struct fake_net *n = (struct fake_net *)base;
    struct fake_net_sock *s = fake_net_get(n, sock, FAKE_NET_CONN);
    *len = 0;
    if (s == NULL) {
        return HAL_EINVAL;
    }
    if (s->refused) {
        return HAL_ECLOSED;
    }
    if (s->r_count == 0) {
        return s->peer_closed ? HAL_ECLOSED : HAL_EAGAIN;
    }
    size_t k = s->r_count < cap ? s->r_count : cap;
    for (size_t i = 0; i < k; i++) {
        buf[i] = s->ring[(s->r_head + i) % FAKE_NET_RING];
    }
    s->r_head = (s->r_head + k) % FAKE_NET_RING;
    s->r_count -= k;
    *len = k;
    return HAL_OK;
}

static void fake_net_close(struct hal_net *base, int sock)
{
    struct fake_net *n = (struct fake_net *)base;
    if (sock < 0 || sock >= FAKE_NET_SOCKS || n->s[sock].kind == FAKE_NET_FREE) {
        return;
    }
    struct fake_net_sock *s = &n->s[sock];
    if (s->kind == FAKE_NET_CONN) {
        struct fake_net_sock *p = fake_net_peer(s);
        if (p != NULL) {
            p->peer_closed = true;
            p->peer = -1;
        }
    } else if (s->kind == FAKE_NET_LISTEN) {
        for (int i = 0; i < s->nbacklog; i++) {
            fake_net_close(base, s->backlog[i]);
        }
    }
    s->kind = FAKE_NET_FREE;
}

static int fake_net_local_port(struct hal_net *base, int sock, uint16_t *port)
{
    struct fake_net *n = (struct fake_net *)base;
    *port = 0;
    if (n->local_port_unsupported) {
        return HAL_ENOTSUP;
    }
    if (sock < 0 || sock >= FAKE_NET_SOCKS || n->s[sock].kind == FAKE_NET_FREE) {
        return HAL_EINVAL;
    }
    *port = n->s[sock].port;
    return HAL_OK;
}

static const struct hal_net_ops s_fake_net_ops = {
    .local_addr = fake_net_local_addr,
    .udp_open = fake_net_udp_open,
    .udp_sendto = fake_net_udp_sendto,
    .udp_recvfrom = fake_net_udp_recvfrom,
    .tcp_listen = fake_net_tcp_listen,
    .tcp_accept = fake_net_tcp_accept,
    .tcp_connect = fake_net_tcp_connect,
    .tcp_send = fake_net_tcp_send,
    .tcp_recv = fake_net_tcp_recv,
    .close = fake_net_close,
    .local_port = fake_net_local_port,
    .tcp_connect_name = fake_net_tcp_connect_name,
};

void fake_net_world_init(struct fake_net_world *w)
{
    memset(w, 0, sizeof *w);
    w->next_port = 49152;
}

int fake_net_init(struct fake_net *n, struct fake_net_world *w, uint8_t id)
{
    memset(n, 0, sizeof *n);
    n->base.ops = &s_fake_net_ops;
    n->w = w;
    n->addr.addr[0] = 0xfe;
    n->addr.addr[1] = 0x80;
    n->addr.addr[15] = id;
    n->addr.scope = 1;
    if (w->n == FAKE_NET_HOSTS) {
        return HAL_ENOMEM;
    }
    w->host[w->n++] = n;
    return HAL_OK;
}

size_t fake_net_pending(const struct fake_net *n, int sock)
{
    if (sock < 0 || sock >= FAKE_NET_SOCKS || n->s[sock].kind != FAKE_NET_CONN) {
        return 0;
    }
    return n->s[sock].r_count;
}

int fake_net_count(const struct fake_net *n, enum fake_net_kind kind)
{
    int c = 0;
    for (int i = 0; i < FAKE_NET_SOCKS; i++) {
        c += n->s[i].kind == kind;
    }
    return c;
}
