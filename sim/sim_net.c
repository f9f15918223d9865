/* sim_net.c - owns the in-memory link between one charger and one car (struct sim_net):
 * raw Ethernet, IPv6 UDP and TCP between two ends, and their deterministic random sources.
 * A transport of the host-only simulation layer (sim_net.h). */
#include "sim_net.h"

#include <string.h>

#define SIM_NET_EPHEMERAL 49152u

static struct sim_net_end *sim_end_of_eth(struct hal_eth *e)
{
    return (struct sim_net_end *)((char *)e - offsetof(struct sim_net_end, eth));
}
static struct sim_net_end *sim_end_of_net(struct hal_net *n)
{
    return (struct sim_net_end *)((char *)n - offsetof(struct sim_net_end, net));
}
static struct sim_net_end *sim_end_of_rng(struct hal_rng *r)
{
    return (struct sim_net_end *)((char *)r - offsetof(struct sim_net_end, rng));
}

static struct sim_net_end *sim_other(struct sim_net_end *e)
{
    return &e->link->end[1 - e->side];
}

static void sim_wake(struct sim_net_end *to)
{
    if (to->side == 0) {
        to->link->io_pending = true;
    }
}

/* Tell the watcher (a capture) what end @p side put on the link. */
static void sim_tell(struct sim_net *l, enum sim_net_what what, int side, uint32_t conn, uint16_t sport,
                     uint16_t dport, const uint8_t *dst_ip, const uint8_t *data, size_t len)
{
    if (l->watch != NULL) {
        struct sim_net_event ev = {what, side, conn, sport, dport, dst_ip, data, len};
        l->watch(l->watch_ctx, &ev);
    }
}

/* ------------------------------------------------------------------ Ethernet */

static int sim_eth_send(struct hal_eth *base, const uint8_t *frame, size_t len)
{
    struct sim_net_end *e = sim_end_of_eth(base);
    struct sim_net_end *o = sim_other(e);
    if (len < 14 || len > HAL_ETH_FRAME_MAX) {
        return HAL_EINVAL;
    }
    e->link->frames++;
    sim_tell(e->link, SIM_NET_FRAME, e->side, 0, 0, 0, NULL, frame, len);
    if (o->fcount == SIM_NET_FRAMES) {
        e->link->dropped++; /* a full modem drops, like a real one */
        return HAL_OK;
    }
    int k = (o->fhead + o->fcount) % SIM_NET_FRAMES;
    memcpy(o->fr[k], frame, len);
    o->flen[k] = len;
    o->fcount++;
    sim_wake(o);
    return HAL_OK;
}

static int sim_eth_recv(struct hal_eth *base, uint8_t *frame, size_t cap, size_t *len)
{
    struct sim_net_end *e = sim_end_of_eth(base);
    if (e->fcount == 0) {
        return HAL_EAGAIN;
    }
    size_t n = e->flen[e->fhead];
    int rc = HAL_OK;
    if (n > cap) {
        rc = HAL_EOVERFLOW;
    } else {
        memcpy(frame, e->fr[e->fhead], n);
        *len = n;
    }
    e->fhead = (e->fhead + 1) % SIM_NET_FRAMES;
    e->fcount--;
    return rc;
}

static int sim_eth_mac(struct hal_eth *base, uint8_t mac[HAL_ETH_ALEN])
{
    memcpy(mac, sim_end_of_eth(base)->mac, HAL_ETH_ALEN);
    return HAL_OK;
}

static const struct hal_eth_ops s_eth_ops = {.send = sim_eth_send, .recv = sim_eth_recv, .mac = sim_eth_mac};

/* ------------------------------------------------------------------ IP */

static int sim_alloc(struct sim_net_end *e)
{
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        if (e->s[i].kind == SIM_SOCK_FREE) {
            memset(&e->s[i], 0, sizeof e->s[i]);
            e->s[i].peer = -1;
            e->s[i].listener = -1;
            return i;
        }
    }
    return HAL_ENOMEM;
}

static struct sim_net_sock *sim_sock(struct sim_net_end *e, int h)
{
    return h >= 0 && h < SIM_NET_SOCKS && e->s[h].kind != SIM_SOCK_FREE ? &e->s[h] : NULL;
}

static int sim_local_addr(struct hal_net *base, struct hal_ip6_endpoint *ep)
{
    struct sim_net_end *e = sim_end_of_net(base);
    memset(ep, 0, sizeof *ep);
    memcpy(ep->addr, e->ip, 16);
    ep->scope = 1;
    return HAL_OK;
}

static int sim_udp_open(struct hal_net *base, uint16_t port, bool join)
{
    struct sim_net_end *e = sim_end_of_net(base);
    int h = sim_alloc(e);
    if (h < 0) {
        return h;
    }
    e->s[h].kind = SIM_SOCK_UDP;
    e->s[h].port = port != 0 ? port : e->next_port++;
    e->s[h].join = join;
    return h;
}

static int sim_udp_sendto(struct hal_net *base, int sock, const struct hal_ip6_endpoint *to,
                          const uint8_t *buf, size_t len)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *s = sim_sock(e, sock);
    if (s == NULL || s->kind != SIM_SOCK_UDP || len > SIM_NET_DGRAM_MAX) {
        return HAL_EINVAL;
    }
    struct sim_net_end *o = sim_other(e);
    sim_tell(e->link, SIM_NET_UDP, e->side, 0, s->port, to->port, to->addr, buf, len);
    bool multicast = to->addr[0] == 0xff;
    if (!multicast && memcmp(to->addr, o->ip, 16) != 0) {
        return HAL_OK; /* nobody there */
    }
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        struct sim_net_sock *d = &o->s[i];
        if (d->kind != SIM_SOCK_UDP || d->port != to->port || (multicast && !d->join) ||
            d->dg_count == SIM_NET_DGRAMS) {
            continue;
        }
        int k = (d->dg_head + d->dg_count) % SIM_NET_DGRAMS;
        memcpy(d->dg[k], buf, len);
        d->dg_len[k] = len;
        memset(&d->dg_from[k], 0, sizeof d->dg_from[k]);
        memcpy(d->dg_from[k].addr, e->ip, 16);
        d->dg_from[k].port = s->port;
        d->dg_from[k].scope = 1;
        d->dg_count++;
        sim_wake(o);
    }
    return HAL_OK;
}

static int sim_udp_recvfrom(struct hal_net *base, int sock, struct hal_ip6_endpoint *from, uint8_t *buf,
                            size_t cap, size_t *len)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *s = sim_sock(e, sock);
    if (s == NULL || s->kind != SIM_SOCK_UDP) {
        return HAL_EINVAL;
    }
    if (s->dg_count == 0) {
        return HAL_EAGAIN;
    }
    int k = s->dg_head;
    s->dg_head = (s->dg_head + 1) % SIM_NET_DGRAMS;
    s->dg_count--;
    if (s->dg_len[k] > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, s->dg[k], s->dg_len[k]);
    *len = s->dg_len[k];
    if (from != NULL) {
        *from = s->dg_from[k];
    }
    return HAL_OK;
}

static int sim_tcp_listen(struct hal_net *base, uint16_t port)
{
    struct sim_net_end *e = sim_end_of_net(base);
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        if (e->s[i].kind == SIM_SOCK_LISTEN && e->s[i].port == port && port != 0) {
            return HAL_EBUSY;
        }
    }
    int h = sim_alloc(e);
    if (h < 0) {
        return h;
    }
    e->s[h].kind = SIM_SOCK_LISTEN;
    e->s[h].port = port != 0 ? port : e->next_port++;
    return h;
}

static int sim_tcp_accept(struct hal_net *base, int listener, struct hal_ip6_endpoint *peer)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *l = sim_sock(e, listener);
    if (l == NULL || l->kind != SIM_SOCK_LISTEN) {
        return HAL_EINVAL;
    }
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        struct sim_net_sock *s = &e->s[i];
        if (s->kind == SIM_SOCK_TCP && !s->accepted && s->listener == listener) {
            s->accepted = true;
            if (peer != NULL) {
                memset(peer, 0, sizeof *peer);
                memcpy(peer->addr, sim_other(e)->ip, 16);
                peer->scope = 1;
            }
            return i;
        }
    }
    return HAL_EAGAIN;
}

static int sim_tcp_connect(struct hal_net *base, const struct hal_ip6_endpoint *to)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_end *o = sim_other(e);
    int h = sim_alloc(e);
    if (h < 0) {
        return h;
    }
    e->s[h].kind = SIM_SOCK_TCP;
    e->s[h].accepted = true;
    e->s[h].port = e->next_port++;
    e->link->connections++;
    e->s[h].conn = e->link->connections;
    int lst = -1;
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        if (o->s[i].kind == SIM_SOCK_LISTEN && o->s[i].port == to->port &&
            memcmp(to->addr, o->ip, 16) == 0) {
            lst = i;
        }
    }
    if (lst < 0) {
        e->s[h].peer_closed = true; /* refused: seen on the first send or receive */
        sim_tell(e->link, SIM_NET_TCP_REFUSED, e->side, e->s[h].conn, e->s[h].port, to->port, NULL, NULL, 0);
        return h;
    }
    int p = sim_alloc(o);
    if (p < 0) {
        e->s[h].peer_closed = true;
        return h;
    }
    o->s[p].kind = SIM_SOCK_TCP;
    o->s[p].listener = lst;
    o->s[p].port = to->port;
    o->s[p].peer = h;
    o->s[p].conn = e->s[h].conn;
    e->s[h].peer = p;
    sim_tell(e->link, SIM_NET_TCP_OPEN, e->side, e->s[h].conn, e->s[h].port, to->port, NULL, NULL, 0);
    sim_wake(o);
    return h;
}

static int sim_tcp_send(struct hal_net *base, int sock, const uint8_t *buf, size_t len, size_t *sent)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *s = sim_sock(e, sock);
    if (s == NULL || s->kind != SIM_SOCK_TCP) {
        return HAL_EINVAL;
    }
    if (s->peer_closed || s->peer < 0) {
        return HAL_ECLOSED;
    }
    struct sim_net_end *o = sim_other(e);
    struct sim_net_sock *d = &o->s[s->peer];
    size_t room = SIM_NET_STREAM - d->rx_len;
    size_t n = len < room ? len : room;
    if (n == 0) {
        return HAL_EAGAIN;
    }
    for (size_t i = 0; i < n; i++) {
        d->rx[(d->rx_head + d->rx_len + i) % SIM_NET_STREAM] = buf[i];
    }
    d->rx_len += n;
    *sent = n;
    sim_tell(e->link, SIM_NET_TCP_DATA, e->side, s->conn, 0, 0, NULL, buf, n);
    sim_wake(o);
    return HAL_OK;
}

static int sim_tcp_recv(struct hal_net *base, int sock, uint8_t *buf, size_t cap, size_t *len)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *s = sim_sock(e, sock);
    if (s == NULL || s->kind != SIM_SOCK_TCP) {
        return HAL_EINVAL;
    }
    if (s->rx_len == 0) {
        return s->peer_closed || s->peer < 0 ? HAL_ECLOSED : HAL_EAGAIN;
    }
    size_t n = cap < s->rx_len ? cap : s->rx_len;
    for (size_t i = 0; i < n; i++) {
        buf[i] = s->rx[(s->rx_head + i) % SIM_NET_STREAM];
    }
    s->rx_head = (s->rx_head + n) % SIM_NET_STREAM;
    s->rx_len -= n;
    *len = n;
    return HAL_OK;
}

static void sim_close(struct hal_net *base, int sock)
{
    struct sim_net_end *e = sim_end_of_net(base);
    struct sim_net_sock *s = sim_sock(e, sock);
    if (s == NULL) {
        return;
    }
    struct sim_net_end *o = sim_other(e);
    if (s->kind == SIM_SOCK_TCP && s->conn != 0) {
        sim_tell(e->link, SIM_NET_TCP_CLOSE, e->side, s->conn, 0, 0, NULL, NULL, 0);
    }
    if (s->kind == SIM_SOCK_TCP && s->peer >= 0 && o->s[s->peer].kind == SIM_SOCK_TCP &&
        o->s[s->peer].peer == sock) {
        o->s[s->peer].peer_closed = true;
        sim_wake(o);
    }
    if (s->kind == SIM_SOCK_LISTEN) {
        /* Connections never accepted go with their listener. */
        for (int i = 0; i < SIM_NET_SOCKS; i++) {
            if (e->s[i].kind == SIM_SOCK_TCP && !e->s[i].accepted && e->s[i].listener == sock) {
                sim_close(base, i);
            }
        }
    }
    s->kind = SIM_SOCK_FREE;
}

static const struct hal_net_ops s_net_ops = {
    .local_addr = sim_local_addr,
    .udp_open = sim_udp_open,
    .udp_sendto = sim_udp_sendto,
    .udp_recvfrom = sim_udp_recvfrom,
    .tcp_listen = sim_tcp_listen,
    .tcp_accept = sim_tcp_accept,
    .tcp_connect = sim_tcp_connect,
    .tcp_send = sim_tcp_send,
    .tcp_recv = sim_tcp_recv,
    .close = sim_close,
};

/* ------------------------------------------------------------------ random */

static int sim_rng_fill(struct hal_rng *base, uint8_t *buf, size_t len)
{
    /* Deterministic (xorshift64*): runs repeat exactly; nothing here protects anything. */
    struct sim_net_end *e = sim_end_of_rng(base);
    for (size_t i = 0; i < len; i++) {
        uint64_t x = e->rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        e->rng_state = x;
        buf[i] = (uint8_t)((x * 0x2545F4914F6CDD1DULL) >> 56);
    }
    return HAL_OK;
}

static const struct hal_rng_ops s_rng_ops = {.fill = sim_rng_fill};

void sim_net_init(struct sim_net *l, unsigned index)
{
    memset(l, 0, sizeof *l);
    for (int side = 0; side < 2; side++) {
        struct sim_net_end *e = &l->end[side];
        e->eth.ops = &s_eth_ops;
        e->net.ops = &s_net_ops;
        e->rng.ops = &s_rng_ops;
        e->link = l;
        e->side = side;
        /* Locally administered MACs: 02:00:00:00:<index>:<side + 1>. */
        uint8_t mac[HAL_ETH_ALEN] = {0x02, 0x00, 0x00, 0x00, (uint8_t)index, (uint8_t)(side + 1)};
        memcpy(e->mac, mac, sizeof mac);
        e->ip[0] = 0xfe;
        e->ip[1] = 0x80;
        e->ip[8] = 0x02;
        e->ip[13] = (uint8_t)index;
        e->ip[15] = (uint8_t)(side + 1);
        e->rng_state = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)index << 8 | (uint64_t)(unsigned)side) * 0x100000001B3ULL;
        e->next_port = (uint16_t)SIM_NET_EPHEMERAL;
        for (int i = 0; i < SIM_NET_SOCKS; i++) {
            e->s[i].peer = -1;
            e->s[i].listener = -1;
        }
    }
}

void sim_net_reset(struct sim_net *l)
{
    /* Every established connection is reset: both ends see the peer gone. */
    for (int side = 0; side < 2; side++) {
        struct sim_net_end *e = &l->end[side];
        for (int i = 0; i < SIM_NET_SOCKS; i++) {
            if (e->s[i].kind == SIM_SOCK_TCP) {
                if (side == 0 && e->s[i].conn != 0) {
                    sim_tell(l, SIM_NET_TCP_RESET, side, e->s[i].conn, 0, 0, NULL, NULL, 0);
                }
                e->s[i].peer_closed = true;
                e->s[i].rx_len = 0;
            }
        }
        sim_wake(e);
    }
}

void sim_net_power_cycle(struct sim_net *l, int side)
{
    sim_net_reset(l);
    struct sim_net_end *e = &l->end[side];
    for (int i = 0; i < SIM_NET_SOCKS; i++) {
        memset(&e->s[i], 0, sizeof e->s[i]);
        e->s[i].kind = SIM_SOCK_FREE;
        e->s[i].peer = -1;
        e->s[i].listener = -1;
    }
    e->fhead = 0;
    e->fcount = 0;
}
