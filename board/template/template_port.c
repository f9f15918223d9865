/*
 * A stub port: every operation says what a real one must do and answers
 * HAL_ENOTSUP (or a harmless value) until it does. See template_port.h.
 */
#include "template_port.h"

#include <stddef.h>

/* ---- clock: a free-running millisecond counter (SysTick, a 32-bit timer). */
static uint32_t template_clock_now(struct hal_clock *c)
{
    (void)c;
    return 0; /* return the tick count; it must increase and may wrap at 2^32 */
}
static int template_clock_wall(struct hal_clock *c, int64_t *unix_ms)
{
    (void)c;
    (void)unix_ms;
    return HAL_ENOTSUP; /* read the RTC; HAL_EAGAIN until it has been set */
}
static int template_clock_idle(struct hal_clock *c, uint32_t max_ms)
{
    (void)c;
    (void)max_ms;
    /* sleep (WFI) until an interrupt or max_ms; HAL_OK if an I/O interrupt woke us */
    return HAL_ETIMEDOUT;
}
static const struct hal_clock_ops s_clock = {
    .now_ms = template_clock_now, .wall = template_clock_wall, .idle = template_clock_idle};

/* ---- log: a UART or RTT; drop lines when the transmit buffer is full, never block. */
static void template_log_write(struct hal_log *l, enum hal_log_level level, uint32_t now_ms,
                               const char *line)
{
    (void)l;
    (void)level;
    (void)now_ms;
    (void)line;
}
static const struct hal_log_ops s_log = {.write = template_log_write};

/* ---- GPIO: map each function to a pin and its polarity. */
static int template_gpio_write(struct hal_gpio *g, enum hal_gpio_out out, bool active)
{
    (void)g;
    (void)out;
    (void)active;
    return HAL_ENOTSUP; /* drive the coil/actuator; true = energised */
}
static int template_gpio_read(struct hal_gpio *g, enum hal_gpio_in in, bool *active)
{
    (void)g;
    (void)in;
    (void)active;
    return HAL_ENOTSUP; /* debounce in hardware or here; true = closed/locked/pressed */
}
static const struct hal_gpio_ops s_gpio = {.write = template_gpio_write, .read = template_gpio_read};

/* ---- pilot: 1 kHz PWM on a timer, ADC sampled in the high and the low phase. */
static int template_pilot_duty(struct hal_pilot *p, uint16_t duty)
{
    (void)p;
    (void)duty;
    return HAL_ENOTSUP; /* 0 = -12 V, 1000 = +12 V, else PWM in 0.1 % */
}
static int template_pilot_read(struct hal_pilot *p, struct hal_pilot_sample *s)
{
    (void)p;
    (void)s;
    return HAL_ENOTSUP; /* plateaus in mV; HAL_EAGAIN until a full period was sampled */
}
static int template_pilot_pp(struct hal_pilot *p, uint32_t *ohms)
{
    (void)p;
    (void)ohms;
    return HAL_ENOTSUP; /* PP to PE resistance; UINT32_MAX when open */
}
static const struct hal_pilot_ops s_pilot = {
    .set_duty = template_pilot_duty, .read = template_pilot_read, .read_proximity = template_pilot_pp};

/* ---- store: two flash sectors with a sequence number and CRC per record. */
static int template_nvs_read(struct hal_nvs *n, const char *key, uint8_t *buf, size_t cap,
                             size_t *len)
{
    (void)n;
    (void)key;
    (void)buf;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static int template_nvs_submit_write(struct hal_nvs *n, const char *key, const uint8_t *d,
                                     size_t len)
{
    (void)n;
    (void)key;
    (void)d;
    (void)len;
    /* Start the sector program (flash controller, DMA) and return: a program or erase takes
     * milliseconds. Keep d: the caller keeps it valid until poll reports completion.
     * Atomic: the old record survives a power loss mid-write. HAL_EBUSY while one runs. */
    return HAL_ENOTSUP;
}
static int template_nvs_submit_erase(struct hal_nvs *n, const char *key)
{
    (void)n;
    (void)key;
    return HAL_ENOTSUP; /* mark the record dead (a new slot header), asynchronously too */
}
static int template_nvs_poll(struct hal_nvs *n, int *status)
{
    (void)n;
    (void)status;
    /* HAL_EAGAIN while the controller is busy; then HAL_OK once with *status = the outcome
     * (HAL_OK only once the data is verified on flash); HAL_ESTATE when nothing runs. */
    return HAL_ESTATE;
}
static const struct hal_nvs_ops s_nvs = {.read = template_nvs_read,
                                         .submit_write = template_nvs_submit_write,
                                         .submit_erase = template_nvs_submit_erase,
                                         .poll = template_nvs_poll};

/* ---- random: the chip's TRNG. Never fall back to a PRNG seeded with the clock. */
static int template_rng_fill(struct hal_rng *r, uint8_t *buf, size_t len)
{
    (void)r;
    (void)buf;
    (void)len;
    return HAL_ENOTSUP;
}
static const struct hal_rng_ops s_rng = {.fill = template_rng_fill};

/* ---- CAN: the controller's mailboxes; an RX interrupt pushes into a ring. */
static int template_can_open(struct hal_can *c, uint32_t bitrate)
{
    (void)c;
    (void)bitrate;
    return HAL_ENOTSUP;
}
static int template_can_send(struct hal_can *c, const struct hal_can_frame *f)
{
    (void)c;
    (void)f;
    return HAL_ENOTSUP; /* HAL_EAGAIN when every mailbox is busy */
}
static int template_can_recv(struct hal_can *c, struct hal_can_frame *f)
{
    (void)c;
    (void)f;
    return HAL_ENOTSUP; /* pop the RX ring; HAL_EAGAIN when empty */
}
static int template_can_state(struct hal_can *c, enum hal_can_state *s)
{
    (void)c;
    (void)s;
    return HAL_ENOTSUP; /* from the error counters / bus-off flag */
}
static int template_can_restart(struct hal_can *c)
{
    (void)c;
    return HAL_ENOTSUP;
}
static void template_can_close(struct hal_can *c)
{
    (void)c;
}
/* Program the controller's acceptance filter banks (id/mask, 11 or 29 bit); with fewer
 * banks than filters, open them wider and drop the rest in the RX interrupt with
 * hal_can_filter_match(). Keep the list: open() applies it again. */
static int template_can_filters(struct hal_can *c, const struct hal_can_filter *f, size_t n)
{
    (void)c;
    (void)f;
    (void)n;
    return HAL_ENOTSUP;
}
static const struct hal_can_ops s_can = {.set_filters = template_can_filters,
                                         .open = template_can_open,
                                         .send = template_can_send,
                                         .recv = template_can_recv,
                                         .get_state = template_can_state,
                                         .restart = template_can_restart,
                                         .close = template_can_close};

/* ---- Modbus master: a UART with DMA; a timer for the 3.5-character gap. */
static int template_mb_submit(struct hal_modbus *m, const struct hal_modbus_req *r)
{
    (void)m;
    (void)r;
    return HAL_ENOTSUP;
}
static int template_mb_poll(struct hal_modbus *m, struct hal_modbus_result *r)
{
    (void)m;
    (void)r;
    return HAL_ENOTSUP;
}
static const struct hal_modbus_ops s_mb = {.submit = template_mb_submit, .poll = template_mb_poll};

/* ---- serial: a UART with RX/TX rings filled and drained by its interrupt (or DMA). */
static int template_serial_open(struct hal_serial *s, const struct hal_serial_config *cfg)
{
    (void)s;
    /* hal_serial_config_check(cfg) first; set baud divisor, frame format; with cfg->rs485
     * drive DE from the UART's own RS-485 mode or a GPIO around each transmission. */
    return hal_serial_config_check(cfg) != HAL_OK ? HAL_EINVAL : HAL_ENOTSUP;
}
static int template_serial_write(struct hal_serial *s, const uint8_t *b, size_t len, size_t *written)
{
    (void)s;
    (void)b;
    (void)len;
    *written = 0;
    return HAL_ENOTSUP; /* copy what fits into the TX ring; HAL_EAGAIN when it is full */
}
static int template_serial_read(struct hal_serial *s, uint8_t *b, size_t cap, size_t *len)
{
    (void)s;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP; /* pop the RX ring; HAL_EPROTO after a parity/framing error */
}
static void template_serial_close(struct hal_serial *s)
{
    (void)s;
}
static const struct hal_serial_ops s_serial = {.open = template_serial_open,
                                               .write = template_serial_write,
                                               .read = template_serial_read,
                                               .close = template_serial_close};

/* ---- raw Ethernet: the MAC driver, filtered to one struct hal_eth_binding (EtherType
 * 0x88E1 for SLAC, 0x88B8 for GOOSE; VLAN tag; multicast groups): your open function
 * takes the binding, and hal_eth_binding_match() is the rule if the MAC cannot filter. */
static int template_eth_send(struct hal_eth *e, const uint8_t *f, size_t len)
{
    (void)e;
    (void)f;
    (void)len;
    return HAL_ENOTSUP;
}
static int template_eth_recv(struct hal_eth *e, uint8_t *f, size_t cap, size_t *len)
{
    (void)e;
    (void)f;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static int template_eth_mac(struct hal_eth *e, uint8_t mac[HAL_ETH_ALEN])
{
    (void)e;
    (void)mac;
    return HAL_ENOTSUP;
}
static const struct hal_eth_ops s_eth = {
    .send = template_eth_send, .recv = template_eth_recv, .mac = template_eth_mac};

/* ---- sockets: an IPv6 stack such as lwIP in NO_SYS mode. */
static int template_net_addr(struct hal_net *n, struct hal_ip6_endpoint *ep)
{
    (void)n;
    (void)ep;
    return HAL_ENOTSUP;
}
static int template_net_udp_open(struct hal_net *n, uint16_t port, bool join)
{
    (void)n;
    (void)port;
    (void)join;
    return HAL_ENOTSUP;
}
static int template_net_sendto(struct hal_net *n, int s, const struct hal_ip6_endpoint *to,
                               const uint8_t *b, size_t len)
{
    (void)n;
    (void)s;
    (void)to;
    (void)b;
    (void)len;
    return HAL_ENOTSUP;
}
static int template_net_recvfrom(struct hal_net *n, int s, struct hal_ip6_endpoint *from,
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
static int template_net_listen(struct hal_net *n, uint16_t port)
{
    (void)n;
    (void)port;
    return HAL_ENOTSUP;
}
static int template_net_accept(struct hal_net *n, int l, struct hal_ip6_endpoint *peer)
{
    (void)n;
    (void)l;
    (void)peer;
    return HAL_ENOTSUP;
}
static int template_net_connect(struct hal_net *n, const struct hal_ip6_endpoint *to)
{
    (void)n;
    (void)to;
    return HAL_ENOTSUP;
}
static int template_net_send(struct hal_net *n, int s, const uint8_t *b, size_t len, size_t *sent)
{
    (void)n;
    (void)s;
    (void)b;
    (void)len;
    *sent = 0;
    return HAL_ENOTSUP;
}
static int template_net_recv(struct hal_net *n, int s, uint8_t *b, size_t cap, size_t *len)
{
    (void)n;
    (void)s;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static void template_net_close(struct hal_net *n, int s)
{
    (void)n;
    (void)s;
}
/* local_port: the bound port of a handle (lwIP: pcb->local_port), so an SECC that
 * listens on port 0 can announce the port the stack chose in its SDP answer. */
static int template_net_local_port(struct hal_net *n, int s, uint16_t *port)
{
    (void)n;
    (void)s;
    *port = 0;
    return HAL_ENOTSUP;
}
/* tcp_connect_name (backends: OCPP, MQTT): IPv4 literals with hal_ip4_parse(), names
 * through the stack's DNS client (lwIP dns_gethostbyname, whose callback completes it);
 * never wait: hand out the handle and connect once the answer is there. */
static int template_net_connect_name(struct hal_net *n, const char *host, uint16_t port)
{
    (void)n;
    (void)host;
    (void)port;
    return HAL_ENOTSUP;
}
static const struct hal_net_ops s_net = {.tcp_connect_name = template_net_connect_name,
                                         .local_addr = template_net_addr,
                                         .udp_open = template_net_udp_open,
                                         .udp_sendto = template_net_sendto,
                                         .udp_recvfrom = template_net_recvfrom,
                                         .tcp_listen = template_net_listen,
                                         .tcp_accept = template_net_accept,
                                         .tcp_connect = template_net_connect,
                                         .tcp_send = template_net_send,
                                         .tcp_recv = template_net_recv,
                                         .close = template_net_close,
                                         .local_port = template_net_local_port};

/* ---- TLS: mbedTLS or wolfSSL with non-blocking BIO callbacks onto hal_net. */
static int template_tls_start(struct hal_tls *t, int sock, int is_server)
{
    (void)t;
    (void)sock;
    (void)is_server;
    return HAL_ENOTSUP;
}
static int template_tls_handshake(struct hal_tls *t, int s)
{
    (void)t;
    (void)s;
    return HAL_ENOTSUP;
}
static int template_tls_send(struct hal_tls *t, int s, const uint8_t *b, size_t len, size_t *sent)
{
    (void)t;
    (void)s;
    (void)b;
    (void)len;
    *sent = 0;
    return HAL_ENOTSUP;
}
static int template_tls_recv(struct hal_tls *t, int s, uint8_t *b, size_t cap, size_t *len)
{
    (void)t;
    (void)s;
    (void)b;
    (void)cap;
    *len = 0;
    return HAL_ENOTSUP;
}
static void template_tls_close(struct hal_tls *t, int s)
{
    (void)t;
    (void)s;
}
/* set_server_name (client sessions to backends): SNI and the subjectAltName check, e.g.
 * mbedtls_ssl_set_hostname(); before the handshake starts. */
static int template_tls_server_name(struct hal_tls *t, int s, const char *name)
{
    (void)t;
    (void)s;
    (void)name;
    return HAL_ENOTSUP;
}
static const struct hal_tls_ops s_tls = {.set_server_name = template_tls_server_name,
                                         .start = template_tls_start,
                                         .handshake = template_tls_handshake,
                                         .send = template_tls_send,
                                         .recv = template_tls_recv,
                                         .close = template_tls_close};

void template_port_init(struct template_port *p)
{
    p->clock.ops = &s_clock;
    p->log.ops = &s_log;
    p->log.min_level = HAL_LOG_INFO;
    p->gpio.ops = &s_gpio;
    p->pilot.ops = &s_pilot;
    p->nvs.ops = &s_nvs;
    p->rng.ops = &s_rng;
    p->can.ops = &s_can;
    p->modbus.ops = &s_mb;
    p->serial.ops = &s_serial;
    p->eth.ops = &s_eth;
    p->net.ops = &s_net;
    p->tls.ops = &s_tls;
}
