#include "hal_unsupported.h"

static int hal_unsupported_mb_submit(struct hal_modbus *m, const struct hal_modbus_req *r)
{
    (void)m;
    (void)r;
    return HAL_ENOTSUP;
}
static int hal_unsupported_mb_poll(struct hal_modbus *m, struct hal_modbus_result *r)
{
    (void)m;
    (void)r;
    return HAL_ENOTSUP;
}
static const struct hal_modbus_ops s_mb = {.submit = hal_unsupported_mb_submit,
                                           .poll = hal_unsupported_mb_poll};

static int hal_unsupported_eth_send(struct hal_eth *e, const uint8_t *f, size_t len)
{
    (void)e;
    (void)f;
    (void)len;
    return HAL_ENOTSUP;
}
static int hal_unsupported_eth_recv(struct hal_eth *e, uint8_t *f, size_t cap, size_t *len)
{
    (void)e;
    (void)f;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static int hal_unsupported_eth_mac(struct hal_eth *e, uint8_t mac[HAL_ETH_ALEN])
{
    (void)e;
    (void)mac;
    return HAL_ENOTSUP;
}
static const struct hal_eth_ops s_eth = {.send = hal_unsupported_eth_send,
                                         .recv = hal_unsupported_eth_recv,
                                         .mac = hal_unsupported_eth_mac};

static int hal_unsupported_net_addr(struct hal_net *n, struct hal_ip6_endpoint *ep)
{
    (void)n;
    (void)ep;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_udp_open(struct hal_net *n, uint16_t port, bool join)
{
    (void)n;
    (void)port;
    (void)join;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_sendto(struct hal_net *n, int s, const struct hal_ip6_endpoint *to,
                                        const uint8_t *b, size_t len)
{
    (void)n;
    (void)s;
    (void)to;
    (void)b;
    (void)len;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_recvfrom(struct hal_net *n, int s, struct hal_ip6_endpoint *from,
                                          uint8_t *b, size_t cap, size_t *len)
{
    (void)n;
    (void)s;
    (void)from;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_listen(struct hal_net *n, uint16_t port)
{
    (void)n;
    (void)port;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_accept(struct hal_net *n, int l, struct hal_ip6_endpoint *peer)
{
    (void)n;
    (void)l;
    (void)peer;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_connect(struct hal_net *n, const struct hal_ip6_endpoint *to)
{
    (void)n;
    (void)to;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_send(struct hal_net *n, int s, const uint8_t *b, size_t len,
                                      size_t *sent)
{
    (void)n;
    (void)s;
    (void)b;
    (void)len;
    *sent = 0;
    return HAL_ENOTSUP;
}
static int hal_unsupported_net_recv(struct hal_net *n, int s, uint8_t *b, size_t cap, size_t *len)
{
    (void)n;
    (void)s;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static void hal_unsupported_net_close(struct hal_net *n, int s)
{
    (void)n;
    (void)s;
}
static int hal_unsupported_net_local_port(struct hal_net *n, int s, uint16_t *port)
{
    (void)n;
    (void)s;
    *port = 0;
    return HAL_ENOTSUP;
}
static const struct hal_net_ops s_net = {
    .local_addr = hal_unsupported_net_addr,
    .udp_open = hal_unsupported_net_udp_open,
    .udp_sendto = hal_unsupported_net_sendto,
    .udp_recvfrom = hal_unsupported_net_recvfrom,
    .tcp_listen = hal_unsupported_net_listen,
    .tcp_accept = hal_unsupported_net_accept,
    .tcp_connect = hal_unsupported_net_connect,
    .tcp_send = hal_unsupported_net_send,
    .tcp_recv = hal_unsupported_net_recv,
    .close = hal_unsupported_net_close,
    .local_port = hal_unsupported_net_local_port,
};

static int hal_unsupported_tls_start(struct hal_tls *t, int sock, int is_server)
{
    (void)t;
    (void)sock;
    (void)is_server;
    return HAL_ENOTSUP;
}
static int hal_unsupported_tls_handshake(struct hal_tls *t, int s)
{
    (void)t;
    (void)s;
    return HAL_ENOTSUP;
}
static int hal_unsupported_tls_send(struct hal_tls *t, int s, const uint8_t *b, size_t len,
                                      size_t *sent)
{
    (void)t;
    (void)s;
    (void)b;
    (void)len;
    *sent = 0;
    return HAL_ENOTSUP;
}
static int hal_unsupported_tls_recv(struct hal_tls *t, int s, uint8_t *b, size_t cap, size_t *len)
{
    (void)t;
    (void)s;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static void hal_unsupported_tls_close(struct hal_tls *t, int s)
{
    (void)t;
    (void)s;
}
static const struct hal_tls_ops s_tls = {
    .start = hal_unsupported_tls_start,
    .handshake = hal_unsupported_tls_handshake,
    .send = hal_unsupported_tls_send,
    .recv = hal_unsupported_tls_recv,
    .close = hal_unsupported_tls_close,
};

static int hal_unsupported_pilot_duty(struct hal_pilot *p, uint16_t duty)
{
    (void)p;
    (void)duty;
    return HAL_ENOTSUP;
}
static int hal_unsupported_pilot_read(struct hal_pilot *p, struct hal_pilot_sample *s)
{
    (void)p;
    (void)s;
    return HAL_ENOTSUP;
}
static int hal_unsupported_pilot_pp(struct hal_pilot *p, uint32_t *ohms)
{
    (void)p;
    (void)ohms;
    return HAL_ENOTSUP;
}
static const struct hal_pilot_ops s_pilot = {.set_duty = hal_unsupported_pilot_duty,
                                             .read = hal_unsupported_pilot_read,
                                             .read_proximity = hal_unsupported_pilot_pp};

static int hal_unsupported_gpio_write(struct hal_gpio *g, enum hal_gpio_out out, bool on)
{
    (void)g;
    (void)on;
    return (unsigned)out < (unsigned)HAL_GPIO_OUT_COUNT ? HAL_ENOTSUP : HAL_EINVAL;
}
static int hal_unsupported_gpio_read(struct hal_gpio *g, enum hal_gpio_in in, bool *on)
{
    (void)g;
    (void)on;
    return (unsigned)in < (unsigned)HAL_GPIO_IN_COUNT ? HAL_ENOTSUP : HAL_EINVAL;
}
static const struct hal_gpio_ops s_gpio = {.write = hal_unsupported_gpio_write,
                                           .read = hal_unsupported_gpio_read};

void hal_unsupported_modbus(struct hal_modbus *m)
{
    m->ops = &s_mb;
}
void hal_unsupported_eth(struct hal_eth *e)
{
    e->ops = &s_eth;
}
void hal_unsupported_net(struct hal_net *n)
{
    n->ops = &s_net;
}
void hal_unsupported_tls(struct hal_tls *t)
{
    t->ops = &s_tls;
}
void hal_unsupported_pilot(struct hal_pilot *p)
{
    p->ops = &s_pilot;
}
void hal_unsupported_gpio(struct hal_gpio *g)
{
    g->ops = &s_gpio;
}
