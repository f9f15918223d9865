#include "ev_link.h"

#include <string.h>

#include "hal_clock.h"

#define EV_LINK_READS 8

static const uint16_t s_v2g_types[] = {V2GTP_PT_EXI, 0x8002u, 0x8003u, 0x8004u};

void ev_link_default_config(struct ev_link_config *c)
{
    memset(c, 0, sizeof *c);
    slac_config_default(&c->slac);
    c->sdp_retry_ms = 250;
    c->sdp_max_requests = 50;
    c->sdp_security = SDP_SEC_NONE;
    c->tls_required = false;
    c->force_port = 0;
    c->connect_timeout_ms = 5000;
    c->v2gtp_timeout_ms = 2000;
    c->msg_timeout_ms = 5000;
    c->v2gtp_max_len = CFG_V2GTP_PAYLOAD_MAX;
    c->poll_ms = 10;
}

static void ev_link_task(struct sched_task *t, uint32_t now_ms)
{
    ev_link_step(t->ctx, now_ms);
}

int ev_link_init(struct ev_link *l, const struct ev_link_config *cfg,
                 const struct ev_link_ports *ports, struct sched *s, uint32_t now_ms)
{
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->p = *ports;
    l->udp = l->conn = l->sess = -1;
    l->reason = "none";
    if (cfg->sdp_security == SDP_SEC_TLS && ports->tls == NULL) {
        return HAL_EINVAL;
    }
    int rc = hal_eth_mac(l->p.eth, l->mac);
    if (rc != HAL_OK) {
        return rc;
    }
    rc = hal_rng_fill(l->p.rng, run_id, sizeof run_id);
    if (rc != HAL_OK) {
        return rc;
    }
    slac_ev_init(&l->slac, &cfg->slac, l->mac);
    v2gtp_rx_init(&l->rx, s_v2g_types, sizeof s_v2g_types / sizeof s_v2g_types[0],
                  cfg->v2gtp_max_len);
    slac_ev_start(&l->slac, run_id, now_ms);
    l->t_start_ms = now_ms;
    l->last_now_ms = now_ms;
    l->state = EV_LINK_SLAC;
    sched_task_init(&l->task, "ev_link", ev_link_task, l, true);
    hal_logf(l->p.log, HAL_LOG_INFO, now_ms, "link: CM_SLAC_PARM.REQ sent");
    return sched_add(s, &l->task, now_ms);
}

static void ev_link_release(struct ev_link *l)
{
    if (l->sess >= 0) {
        hal_tls_close(l->p.tls, l->sess);
    }
    hal_net_close(l->p.net, l->conn);
    hal_net_close(l->p.net, l->udp);
    l->conn = l->sess = l->udp = -1;
}

static void ev_link_fail(struct ev_link *l, uint32_t now, const char *why)
{
    ev_link_release(l);
    l->state = EV_LINK_FAILED;
    l->reason = why;
    hal_logf(l->p.log, HAL_LOG_ERROR, now, "link: failed: %s", why);
}

void ev_link_close(struct ev_link *l, uint32_t now_ms, const char *why)
{
    ev_link_release(l);
    slac_ev_stop(&l->slac);
    l->state = EV_LINK_FAILED;
    l->reason = why;
    hal_logf(l->p.log, HAL_LOG_INFO, now_ms, "link: closed: %s", why);
}

static void ev_link_slac(struct ev_link *l, uint32_t now)
{
    uint8_t *f = l->frame; /* in the struct: a 1.5 kB frame stays off the stack */
    const size_t cap = sizeof l->frame;
    size_t n;
    for (int i = 0; i < 16; i++) {
        if (hal_eth_recv(l->p.eth, f, cap, &n) != HAL_OK) {
            break;
        }
        (void)slac_ev_input(&l->slac, f, n, now);
    }
    enum slac_ev_state before = l->slac.state;
    slac_ev_tick(&l->slac, now);
    while (slac_ev_pop(&l->slac, f, cap, &n) == HAL_OK) {
        (void)hal_eth_send(l->p.eth, f, n);
    }
    if (l->state != EV_LINK_SLAC) {
        return;
    }
    if (l->slac.state == SLAC_EV_MATCHED) {
        l->t_match_ms = l->slac.t_match_cnf_ms;
        hal_logf(l->p.log, HAL_LOG_INFO, now,
                 "link: SLAC matched with %02x:%02x:%02x:%02x:%02x:%02x (%lu ms after the first "
                 "CM_SLAC_PARM.REQ)",
                 l->slac.evse_mac[0], l->slac.evse_mac[1], l->slac.evse_mac[2], l->slac.evse_mac[3],
                 l->slac.evse_mac[4], l->slac.evse_mac[5],
                 (unsigned long)(l->t_match_ms - l->t_start_ms));
        l->udp = hal_net_udp_open(l->p.net, 0, false);
        if (l->udp < 0) {
            ev_link_fail(l, now, "cannot open the SDP socket");
            return;
        }
        l->state = EV_LINK_SDP;
        l->sdp_next_ms = now;
    } else if (l->slac.state == SLAC_EV_FAILED) {
        ev_link_fail(l, now, l->slac.reason);
    } else if (l->slac.state != before) {
        hal_logf(l->p.log, HAL_LOG_INFO, now, "link: SLAC %s", slac_ev_state_name(l->slac.state));
    }
}

/* Policy on the SECC's answer. @return NULL to go on, else why the EV gives up. */
static const char *ev_link_sdp_policy(const struct ev_link *l)
{
    if (l->sdp.security == SDP_SEC_TLS && l->p.tls == NULL) {
        return "the SECC offers only TLS and this EV has none";
    }
    if (l->sdp.security == SDP_SEC_NONE && l->cfg.sdp_security == SDP_SEC_TLS &&
        l->cfg.tls_required) {
        return "the SECC offers no TLS and TLS is required";
    }
    return NULL;
}

static void ev_link_sdp(struct ev_link *l, uint32_t now)
{
    uint8_t b[64];
    size_t n;
    struct hal_ip6_endpoint from;
    while (hal_net_udp_recvfrom(l->p.net, l->udp, &from, b, sizeof b, &n) == HAL_OK) {
        if (sdp_response_parse(b, n, &l->sdp) != HAL_OK || l->sdp.transport != SDP_TRANSPORT_TCP) {
            continue;
        }
        const char *no = ev_link_sdp_policy(l);
        if (no != NULL) {
            ev_link_fail(l, now, no);
            return;
        }
        struct hal_ip6_endpoint to;
        memcpy(to.addr, l->sdp.addr, 16);
        to.port = l->cfg.force_port != 0 ? l->cfg.force_port : l->sdp.port; /* P15 */
        to.scope = from.scope;
        l->t_sdp_ms = now;
        l->secure = l->sdp.security == SDP_SEC_TLS;
        hal_logf(l->p.log, HAL_LOG_INFO, now, "link: SDP answered: TCP port %u, %s (asked %s)",
                 (unsigned)l->sdp.port, l->secure ? "TLS" : "no TLS",
                 l->cfg.sdp_security == SDP_SEC_TLS ? "TLS" : "no TLS");
        hal_net_close(l->p.net, l->udp);
        l->udp = -1;
        l->conn = hal_net_tcp_connect(l->p.net, &to);
        if (l->conn < 0) {
            ev_link_fail(l, now, l->conn == HAL_ECLOSED ? "TCP connection refused"
                                                        : "TCP connect failed");
            return;
        }
        if (l->secure) {
            l->sess = hal_tls_start(l->p.tls, l->conn, 0);
            if (l->sess < 0) {
                ev_link_fail(l, now, "no TLS session available");
                return;
            }
        }
        l->t_conn_ms = now;
        l->state = EV_LINK_CONNECTING;
        return;
    }
    if (!hal_time_reached(now, l->sdp_next_ms)) {
        return;
    }
    if (l->sdp_sent >= l->cfg.sdp_max_requests) {
        ev_link_fail(l, now, "no SDP response after the last retry");
        return;
    }
    struct hal_ip6_endpoint all = {.port = SDP_PORT, .scope = 0};
    all.addr[0] = 0xff;
    all.addr[1] = 0x02;
    all.addr[15] = 0x01;
    struct sdp_request rq = {.security = l->cfg.sdp_security, .transport = SDP_TRANSPORT_TCP};
    sdp_request_write(&rq, b);
    (void)hal_net_udp_sendto(l->p.net, l->udp, &all, b, SDP_REQ_LEN);
    l->sdp_sent++;
    l->sdp_next_ms = now + l->cfg.sdp_retry_ms;
}

static void ev_link_connected(struct ev_link *l, uint32_t now)
{
    if (l->state == EV_LINK_CONNECTING) {
        l->state = EV_LINK_CONNECTED;
        l->t_connected_ms = now;
        hal_logf(l->p.log, HAL_LOG_INFO, now, "link: V2GTP connection opened (%s, %lu ms)",
                 l->secure ? "TLS" : "TCP", (unsigned long)(now - l->t_conn_ms));
    }
}

uint16_t ev_link_tls_version(const struct ev_link *l)
{
    if (!l->secure || l->state != EV_LINK_CONNECTED || l->p.tls == NULL || l->sess < 0) {
        return 0;
    }
    return hal_tls_version(l->p.tls, l->sess);
}

static int ev_link_io_send(struct ev_link *l, const uint8_t *b, size_t n, size_t *sent)
{
    if (l->secure) {
        return hal_tls_send(l->p.tls, l->sess, b, n, sent);
    }
    return hal_net_tcp_send(l->p.net, l->conn, b, n, sent);
}

static int ev_link_io_recv(struct ev_link *l, uint8_t *b, size_t cap, size_t *n)
{
    if (l->secure) {
        return hal_tls_recv(l->p.tls, l->sess, b, cap, n);
    }
    return hal_net_tcp_recv(l->p.net, l->conn, b, cap, n);
}

/* The transport said "closed": before any byte went through that is a refusal. */
static const char *ev_link_closed_why(const struct ev_link *l)
{
    return l->state == EV_LINK_CONNECTING ? "TCP connection refused"
                                          : "V2GTP connection closed by the EVSE";
}

static int ev_link_feed(struct ev_link *l, uint32_t now)
{
    while (l->roff < l->rlen && !l->msg_ready) {
        size_t used = 0;
        if (l->rx.have == 0) {
            l->t_msg_start_ms = now;
        }
        int rc = v2gtp_rx_feed(&l->rx, &l->rbuf[l->roff], l->rlen - l->roff, &used);
        l->roff += used;
        if (rc == HAL_EPROTO) {
            return rc;
        }
        if (rc == HAL_OK) {
            l->msg_ready = true;
            l->awaiting = false;
            l->rx_msgs++;
        }
    }
    if (l->roff == l->rlen) {
        l->roff = l->rlen = 0;
    }
    return HAL_OK;
}

static bool ev_link_handshake(struct ev_link *l, uint32_t now)
{
    int rc = hal_tls_handshake(l->p.tls, l->sess);
    if (rc == HAL_OK) {
        ev_link_connected(l, now);
        hal_logf(l->p.log, HAL_LOG_INFO, now, "link: TLS established");
        return true;
    }
    if (rc == HAL_EAGAIN) {
        if (hal_time_reached(now, l->t_conn_ms + l->cfg.connect_timeout_ms)) {
            ev_link_fail(l, now, "TLS handshake timed out");
        }
        return false;
    }
    ev_link_fail(l, now, rc == HAL_ECLOSED ? "TLS handshake: connection refused or closed"
                                           : "TLS handshake failed (see the TLS port's log)");
    return false;
}

static void ev_link_tcp(struct ev_link *l, uint32_t now)
{
    if (l->secure && l->state == EV_LINK_CONNECTING && !ev_link_handshake(l, now)) {
        return;
    }
    while (l->tx_off < l->tx_len) {
        size_t sent = 0;
        int rc = ev_link_io_send(l, &l->tx[l->tx_off], l->tx_len - l->tx_off, &sent);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc != HAL_OK) {
            ev_link_fail(l, now, rc == HAL_ECLOSED ? ev_link_closed_why(l) : hal_strerror(rc));
            return;
        }
        l->tx_off += sent;
        ev_link_connected(l, now);
    }
    if (l->tx_off == l->tx_len) {
        l->tx_off = l->tx_len = 0;
    }
    for (int i = 0; i < EV_LINK_READS && !l->msg_ready; i++) {
        if (l->roff == l->rlen) {
            size_t n = 0;
            int rc = ev_link_io_recv(l, l->rbuf, sizeof l->rbuf, &n);
            if (rc == HAL_EAGAIN) {
                break;
            }
            if (rc != HAL_OK) {
                ev_link_fail(l, now, rc == HAL_ECLOSED ? ev_link_closed_why(l) : hal_strerror(rc));
                return;
            }
            ev_link_connected(l, now);
            l->rlen = n;
            l->roff = 0;
        }
        if (ev_link_feed(l, now) == HAL_EPROTO) {
            ev_link_fail(l, now, v2gtp_reason_str(l->rx.reason));
            return;
        }
    }
    if (l->state == EV_LINK_CONNECTING) {
        if (l->tx_len > 0 && hal_time_reached(now, l->t_conn_ms + l->cfg.connect_timeout_ms)) {
            ev_link_fail(l, now, "TCP connect timed out");
        }
        return;
    }
    if (l->msg_ready) {
        return;
    }
    if (l->rx.have > 0 && l->cfg.msg_timeout_ms != 0 &&
        hal_time_reached(now, l->t_msg_start_ms + l->cfg.msg_timeout_ms)) {
        ev_link_fail(l, now, "V2GTP message incomplete within the message timeout");
    } else if (l->awaiting && l->cfg.v2gtp_timeout_ms != 0 &&
               hal_time_reached(now, l->t_await_ms + l->cfg.v2gtp_timeout_ms)) {
        ev_link_fail(l, now, "no V2GTP answer within the message timeout");
    }
}

void ev_link_step(struct ev_link *l, uint32_t now_ms)
{
    l->last_now_ms = now_ms;
    if (l->state == EV_LINK_FAILED) {
        return; /* stays failed until a new ev_link_init (a new plug-in) */
    }
    ev_link_slac(l, now_ms);
    if (l->state == EV_LINK_SDP) {
        ev_link_sdp(l, now_ms);
    }
    if (l->rx.failed && l->conn >= 0) {
        ev_link_fail(l, now_ms, v2gtp_reason_str(l->rx.reason));
    }
    if (l->state == EV_LINK_CONNECTING || l->state == EV_LINK_CONNECTED) {
        ev_link_tcp(l, now_ms);
    }
    uint32_t due = now_ms + l->cfg.poll_ms;
    uint32_t sd;
    if (slac_ev_next_due(&l->slac, &sd) && hal_time_diff(sd, due) < 0) {
        due = sd;
    }
    sched_task_at(&l->task, due);
}

int ev_link_recv(struct ev_link *l, uint16_t *type, const uint8_t **payload, uint32_t *len)
{
    if (!l->msg_ready) {
        return HAL_EAGAIN;
    }
    *type = l->rx.h.type;
    *payload = l->rx.payload;
    *len = l->rx.h.length;
    return HAL_OK;
}

void ev_link_consume(struct ev_link *l)
{
    if (!l->msg_ready) {
        return;
    }
    l->msg_ready = false;
    v2gtp_rx_next(&l->rx);
    (void)ev_link_feed(l, l->last_now_ms);
}

int ev_link_send(struct ev_link *l, uint16_t type, const uint8_t *payload, uint32_t len, bool raw)
{
    size_t need = (raw ? 0u : V2GTP_HDR_LEN) + len;
    if (l->state != EV_LINK_CONNECTED && l->state != EV_LINK_CONNECTING) {
        return HAL_ESTATE;
    }
    if (need > sizeof l->tx - l->tx_len) {
        return HAL_ENOMEM;
    }
    if (!raw) {
        v2gtp_header_write(&l->tx[l->tx_len], type, len);
        if (!l->awaiting) {
            l->awaiting = true;
            l->t_await_ms = l->last_now_ms;
        }
    }
    memcpy(&l->tx[l->tx_len + (raw ? 0u : V2GTP_HDR_LEN)], payload, len);
    l->tx_len += need;
    return HAL_OK;
}
