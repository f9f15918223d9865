/* sim_huawei_link.c - owns the in-memory transports between the Huawei unit model and the
 * dispensers' drivers (struct sim_huawei_bus, struct sim_huawei_port): one TCP connection
 * per dispenser port (connect, bytes each way, a close by either side), and the GOOSE
 * segment (a frame from the unit reaches every dispenser; a dispenser's frame reaches the
 * unit). Bytes and frames are delivered at once and read by the driver on its next pass. */
#include "sim_huawei_link.h"

#include <string.h>

static struct sim_huawei_port *net_port(struct hal_net *n)
{
    return ((struct sim_huawei_port_net *)n)->port;
}

static struct sim_huawei_port *eth_port(struct hal_eth *e)
{
    return ((struct sim_huawei_port_eth *)e)->port;
}

/* ---------------------------------------------------------------- the unit's side */

static void unit_tcp_send(void *ctx, int d, const uint8_t *b, size_t len)
{
    struct sim_huawei_bus *bus = ctx;
    struct sim_huawei_port *p = bus->by_slot[d];
    if (p == NULL) {
        return;
    }
    if (len > sizeof p->rx - p->rx_len) {
        /* a dispenser that reads nothing for long: a real socket buffer would block the
         * unit; here the link breaks, as a timed-out write would */
        sim_huawei_drop(&bus->unit, d, "dispenser not reading");
        return;
    }
    memcpy(p->rx + p->rx_len, b, len);
    p->rx_len += len;
}

static void unit_eth_send(void *ctx, const uint8_t *f, size_t len)
{
    struct sim_huawei_bus *bus = ctx;
    for (unsigned i = 0; i < bus->nports; i++) {
        struct sim_huawei_port *p = &bus->port[i];
        if (p->fcount == SIM_HUAWEI_FRAMEQ || len > HUAWEI_GOOSE_FRAME_MAX) {
            p->frames_lost++;
            continue;
        }
        unsigned k = (p->fhead + p->fcount) % SIM_HUAWEI_FRAMEQ;
        memcpy(p->fq[k], f, len);
        p->flen[k] = len;
        p->fcount++;
    }
}

static void unit_close(void *ctx, int d)
{
    struct sim_huawei_bus *bus = ctx;
    struct sim_huawei_port *p = bus->by_slot[d];
    bus->by_slot[d] = NULL;
    if (p != NULL) {
        p->slot = -1;
        p->closed_by_unit = true;
    }
}

static void unit_event(void *ctx, const char *line)
{
    struct sim_huawei_bus *bus = ctx;
    if (bus->log != NULL) {
        hal_logf(bus->log, HAL_LOG_INFO, bus->now_ms, "huawei unit: %s", line);
    }
}

/* ---------------------------------------------------------------- the dispenser's side */

static int net_none(void)
{
    return HAL_ENOTSUP;
}

static int n_local_addr(struct hal_net *n, struct hal_ip6_endpoint *ep)
{
    (void)n;
    (void)ep;
    return net_none();
}

static int n_udp_open(struct hal_net *n, uint16_t port, bool all)
{
    (void)n;
    (void)port;
    (void)all;
    return net_none();
}

static int n_udp_sendto(struct hal_net *n, int s, const struct hal_ip6_endpoint *to, const uint8_t *b, size_t len)
{
    (void)n;
    (void)s;
    (void)to;
    (void)b;
    (void)len;
    return net_none();
}

static int n_udp_recvfrom(struct hal_net *n, int s, struct hal_ip6_endpoint *from, uint8_t *b, size_t cap,
                          size_t *len)
{
    (void)n;
    (void)s;
    (void)from;
    (void)b;
    (void)cap;
    (void)len;
    return net_none();
}

static int n_tcp_listen(struct hal_net *n, uint16_t port)
{
    (void)n;
    (void)port;
    return net_none();
}

static int n_tcp_accept(struct hal_net *n, int l, struct hal_ip6_endpoint *peer)
{
    (void)n;
    (void)l;
    (void)peer;
    return net_none();
}

static int n_tcp_connect(struct hal_net *n, const struct hal_ip6_endpoint *to)
{
    (void)to; /* one unit on this network: every address reaches it */
    struct sim_huawei_port *p = net_port(n);
    struct sim_huawei_bus *bus = p->bus;
    if (p->slot >= 0 || p->closed_by_unit) {
        return HAL_ESTATE; /* one connection per port: the driver closes the old one first */
    }
    int d = sim_huawei_free_slot(&bus->unit);
    if (d < 0) {
        return HAL_ECLOSED; /* the unit takes 4 dispensers: refused */
    }
    p->slot = d;
    p->rx_len = 0;
    bus->by_slot[d] = p;
    sim_huawei_connected(&bus->unit, d, bus->now_ms);
    return 0;
}

static int n_tcp_send(struct hal_net *n, int s, const uint8_t *b, size_t len, size_t *sent)
{
    (void)s;
    struct sim_huawei_port *p = net_port(n);
    if (p->slot < 0) {
        return HAL_ECLOSED;
    }
    *sent = len;
    (void)sim_huawei_tcp_input(&p->bus->unit, p->slot, b, len, p->bus->now_ms);
    return HAL_OK;
}

static int n_tcp_recv(struct hal_net *n, int s, uint8_t *b, size_t cap, size_t *len)
{
    (void)s;
    struct sim_huawei_port *p = net_port(n);
    if (p->rx_len > 0) {
        size_t k = p->rx_len < cap ? p->rx_len : cap;
        memcpy(b, p->rx, k);
        memmove(p->rx, p->rx + k, p->rx_len - k);
        p->rx_len -= k;
        *len = k;
        return HAL_OK;
    }
    return p->closed_by_unit || p->slot < 0 ? HAL_ECLOSED : HAL_EAGAIN;
}

static void n_close(struct hal_net *n, int s)
{
    (void)s;
    struct sim_huawei_port *p = net_port(n);
    if (p->slot >= 0) {
        sim_huawei_drop(&p->bus->unit, p->slot, "closed by the dispenser");
    }
    p->slot = -1;
    p->closed_by_unit = false;
    p->rx_len = 0;
}

static int n_local_port(struct hal_net *n, int s, uint16_t *port)
{
    (void)n;
    (void)s;
    *port = 49152;
    return HAL_OK;
}

static const struct hal_net_ops s_net_ops = {
    .local_addr = n_local_addr,
    .udp_open = n_udp_open,
    .udp_sendto = n_udp_sendto,
    .udp_recvfrom = n_udp_recvfrom,
    .tcp_listen = n_tcp_listen,
    .tcp_accept = n_tcp_accept,
    .tcp_connect = n_tcp_connect,
    .tcp_send = n_tcp_send,
    .tcp_recv = n_tcp_recv,
    .close = n_close,
    .local_port = n_local_port,
};

static int e_send(struct hal_eth *e, const uint8_t *f, size_t len)
{
    struct sim_huawei_port *p = eth_port(e);
    if (len < 14 || len > HAL_ETH_FRAME_MAX) {
        return HAL_EINVAL;
    }
    sim_huawei_goose_input(&p->bus->unit, f, len, p->bus->now_ms);
    return HAL_OK;
}

static int e_recv(struct hal_eth *e, uint8_t *f, size_t cap, size_t *len)
{
    struct sim_huawei_port *p = eth_port(e);
    if (p->fcount == 0) {
        return HAL_EAGAIN;
    }
    unsigned k = p->fhead;
    p->fhead = (p->fhead + 1u) % SIM_HUAWEI_FRAMEQ;
    p->fcount--;
    if (p->flen[k] > cap) {
        return HAL_EOVERFLOW; /* dropped, as a port drops what does not fit */
    }
    memcpy(f, p->fq[k], p->flen[k]);
    *len = p->flen[k];
    return HAL_OK;
}

static int e_mac(struct hal_eth *e, uint8_t mac[HAL_ETH_ALEN])
{
    memcpy(mac, eth_port(e)->mac, 6);
    return HAL_OK;
}

static const struct hal_eth_ops s_eth_ops = {.send = e_send, .recv = e_recv, .mac = e_mac};

/* ---------------------------------------------------------------- the bus */

void sim_huawei_bus_init(struct sim_huawei_bus *b, const struct sim_huawei_opts *o, struct hal_log *log)
{
    static const struct sim_huawei_ops ops = {unit_tcp_send, unit_eth_send, unit_close, unit_event};
    static const uint8_t unit_mac[6] = {0x02, 0x48, 0x57, 0x00, 0x00, 0xFE};
    memset(b, 0, sizeof *b);
    b->log = log;
    sim_huawei_init(&b->unit, o, &ops, b, unit_mac);
}

struct sim_huawei_port *sim_huawei_bus_port(struct sim_huawei_bus *b)
{
    if (b->nports >= SIM_HUAWEI_PORTS) {
        return NULL;
    }
    struct sim_huawei_port *p = &b->port[b->nports++];
    memset(p, 0, sizeof *p);
    p->net = (struct sim_huawei_port_net){.base = {&s_net_ops}, .port = p};
    p->eth = (struct sim_huawei_port_eth){.base = {&s_eth_ops}, .port = p};
    p->bus = b;
    p->slot = -1;
    static const uint8_t base[6] = {0x02, 0x48, 0x57, 0x00, 0x00, 0x00};
    memcpy(p->mac, base, 6);
    p->mac[5] = (uint8_t)b->nports;
    return p;
}

void sim_huawei_bus_tick(struct sim_huawei_bus *b, uint32_t now_ms)
{
    b->now_ms = now_ms;
    sim_huawei_tick(&b->unit, now_ms);
}

void sim_huawei_bus_drop(struct sim_huawei_bus *b, struct sim_huawei_port *p, const char *why)
{
    if (p->slot >= 0) {
        sim_huawei_drop(&b->unit, p->slot, why);
    }
}
