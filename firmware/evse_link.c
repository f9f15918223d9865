#include "evse_link.h"

#include <string.h>

#include "hal_clock.h"

/* Frames handled per step: bounded work even when a segment floods us. */
#define EVSE_LINK_RX_BUDGET 16
/* Socket reads per step. */
#define EVSE_LINK_READS 8

static const uint16_t s_v2g_types[] = {V2GTP_PT_EXI, 0x8002u, 0x8003u, 0x8004u};

void evse_link_default_config(struct evse_link_config *c)
{
    memset(c, 0, sizeof *c);
    slac_config_default(&c->slac);
    c->tcp_port = 15118;
    c->tls_port = 0;
    c->offer_tcp = true;
    c->offer_tls = false;
    c->v2gtp_max_len = CFG_V2GTP_PAYLOAD_MAX;
    c->msg_timeout_ms = 5000;
    c->setup_timeout_ms = 20000;
    c->poll_ms = 10;
}

static void evse_link_log(struct evse_link *l, enum hal_log_level lvl, uint32_t now,
                          const char *what, const char *detail)
{
    hal_logf(l->p.log, lvl, now, "link: %s%s%s", what, detail[0] ? ": " : "", detail);
}

static int evse_link_new_key(struct evse_link *l, uint32_t now)
{
    uint8_t nmk[HOMEPLUG_NMK_LEN];
    uint8_t nonce[4];
    int rc = hal_rng_fill(l->p.rng, nmk, sizeof nmk);
    if (rc == HAL_OK) {
        rc = hal_rng_fill(l->p.rng, nonce, sizeof nonce);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    uint32_t n = (uint32_t)nonce[0] | (uint32_t)nonce[1] << 8 | (uint32_t)nonce[2] << 16 |
                 (uint32_t)nonce[3] << 24;
    return slac_evse_set_key(&l->slac, nmk, n, now);
}

static void evse_link_task(struct sched_task *t, uint32_t now_ms)
{
    evse_link_step(t->ctx, now_ms);
}

static void evse_link_rx_reset(struct evse_link *l)
{
    v2gtp_rx_init(&l->rx, s_v2g_types, sizeof s_v2g_types / sizeof s_v2g_types[0],
                  l->cfg.v2gtp_max_len);
    l->msg_ready = false;
    l->rlen = l->roff = 0;
}

/* Listen on @p want (0 = ephemeral) and learn the port really used. */
static int evse_link_listen(struct evse_link *l, uint16_t want, int *sock, uint16_t *port)
{
    *sock = hal_net_tcp_listen(l->p.net, want);
    if (*sock < 0) {
        return *sock;
    }
    *port = want;
    if (want == 0) {
        int rc = hal_net_local_port(l->p.net, *sock, port);
        if (rc != HAL_OK) {
            /* an SDP answer with port 0 is invalid: an ephemeral port needs this op */
            hal_net_close(l->p.net, *sock);
            *sock = -1;
            return rc;
        }
    }
    return HAL_OK;
}

static void evse_link_close_all(struct evse_link *l)
{
    hal_net_close(l->p.net, l->sdp_sock);
    hal_net_close(l->p.net, l->listener);
    hal_net_close(l->p.net, l->tls_listener);
    l->sdp_sock = l->listener = l->tls_listener = -1;
}

int evse_link_init(struct evse_link *l, const struct evse_link_config *cfg,
                   const struct evse_link_ports *ports, struct sched *s, uint32_t now_ms)
{
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->p = *ports;
    l->sdp_sock = l->listener = l->tls_listener = l->conn = l->sess = -1;
    l->reason = "none";
    bool tls = cfg->offer_tls && ports->tls != NULL;
    if (!cfg->offer_tcp && !tls) {
        return HAL_EINVAL;
    }
    int rc = hal_eth_mac(l->p.eth, l->mac);
    if (rc != HAL_OK) {
        return rc;
    }
    rc = hal_net_local_addr(l->p.net, &l->local);
    if (rc != HAL_OK) {
        return rc;
    }
    slac_evse_init(&l->slac, &cfg->slac, l->mac);
    rc = evse_link_new_key(l, now_ms);
    if (rc != HAL_OK) {
        return rc;
    }
    l->sdp_sock = hal_net_udp_open(l->p.net, SDP_PORT, true);
    if (l->sdp_sock < 0) {
        return l->sdp_sock;
    }
    if (cfg->offer_tcp) {
        rc = evse_link_listen(l, cfg->tcp_port, &l->listener, &l->tcp_port);
    }
    if (rc == HAL_OK && tls) {
        rc = evse_link_listen(l, cfg->tls_port, &l->tls_listener, &l->tls_port);
    }
    if (rc != HAL_OK) {
        evse_link_close_all(l);
        return rc;
    }
    evse_link_rx_reset(l);
    slac_evse_start(&l->slac, now_ms);
    l->slac_seen = l->slac.state;
    l->state = EVSE_LINK_SLAC;
    sched_task_init(&l->task, "evse_link", evse_link_task, l, true);
    hal_logf(l->p.log, HAL_LOG_INFO, now_ms,
             "link: waiting for CM_SLAC_PARM.REQ (V2GTP on TCP port %u, TLS port %u)",
             (unsigned)l->tcp_port, (unsigned)l->tls_port);
    return sched_add(s, &l->task, now_ms);
}

static void evse_link_slac_io(struct evse_link *l, uint32_t now)
{
    uint8_t *f = l->frame; /* in the struct: a 1.5 kB frame stays off the stack */
    const size_t cap = sizeof l->frame;
    size_t n;
    for (int i = 0; i < EVSE_LINK_RX_BUDGET; i++) {
        int rc = hal_eth_recv(l->p.eth, f, cap, &n);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc != HAL_OK) {
            continue;
        }
        if (slac_evse_input(&l->slac, f, n, now) == HAL_EPROTO) {
            evse_link_log(l, HAL_LOG_WARN, now, "bad HomePlug frame refused", l->slac.note);
        }
    }
    slac_evse_tick(&l->slac, now);
    while (slac_evse_pop(&l->slac, f, cap, &n) == HAL_OK) {
        (void)hal_eth_send(l->p.eth, f, n);
    }
    if (l->slac.state != l->slac_seen) {
        enum slac_evse_state st = l->slac.state;
        if (st == SLAC_EVSE_MATCHED) {
            hal_logf(l->p.log, HAL_LOG_INFO, now,
                     "link: SLAC matched (CM_SLAC_MATCH.CNF %lu ms after the first CM_SLAC_PARM.REQ)",
                     (unsigned long)(l->slac.t_match_cnf_ms - l->slac.t_first_parm_ms));
            if (l->state == EVSE_LINK_SLAC) {
                l->state = EVSE_LINK_WAIT_TCP;
            }
        } else if (st == SLAC_EVSE_FAILED) {
            evse_link_log(l, HAL_LOG_ERROR, now, "SLAC failed", l->slac.reason);
            if (l->state != EVSE_LINK_CONNECTED) {
                l->state = EVSE_LINK_FAILED;
            }
        } else {
            evse_link_log(l, HAL_LOG_INFO, now, "SLAC", slac_evse_state_name(st));
        }
        l->slac_seen = st;
    }
}

static void evse_link_sdp(struct evse_link *l, uint32_t now)
{
    uint8_t b[64];
    size_t n;
    struct hal_ip6_endpoint from;
    for (int i = 0; i < 4; i++) {
        int rc = hal_net_udp_recvfrom(l->p.net, l->sdp_sock, &from, b, sizeof b, &n);
        if (rc == HAL_EAGAIN) {
            return;
        }
        struct sdp_request req;
        struct sdp_response res;
        struct sdp_server_offer o = {.tcp_port = l->listener >= 0 ? l->tcp_port : 0,
                                     .tls_port = l->tls_listener >= 0 ? l->tls_port : 0};
        memcpy(o.addr, l->local.addr, 16);
        if (rc != HAL_OK || sdp_request_parse(b, n, &req) != HAL_OK ||
            sdp_server_answer(&o, &req, &res) != HAL_OK) {
            continue; /* dropped silently, as the standard wants */
        }
        uint8_t out[SDP_RES_LEN];
        sdp_response_write(&res, out);
        if (hal_net_udp_sendto(l->p.net, l->sdp_sock, &from, out, sizeof out) == HAL_OK) {
            l->sdp_answered++;
            if (res.security == SDP_SEC_TLS) {
                l->sdp_answered_tls++;
            }
            if (l->slac.state == SLAC_EVSE_MATCHED) {
                slac_evse_link_up(&l->slac);
            }
            hal_logf(l->p.log, HAL_LOG_INFO, now, "link: SDP answered (%s asked, %s on port %u)",
                     req.security == SDP_SEC_TLS ? "TLS" : "TCP",
                     res.security == SDP_SEC_TLS ? "TLS" : "TCP", (unsigned)res.port);
        }
    }
}

static void evse_link_drop_conn(struct evse_link *l, uint32_t now, const char *why)
{
    if (l->conn < 0) {
        return;
    }
    l->reason = why;
    evse_link_log(l, HAL_LOG_WARN, now, "V2GTP connection closed", why);
    if (l->sess >= 0) {
        hal_tls_close(l->p.tls, l->sess);
    }
    hal_net_close(l->p.net, l->conn);
    l->conn = l->sess = -1;
    l->secure = l->established = false;
    l->tx_len = l->tx_off = 0;
    evse_link_rx_reset(l);
    if (l->state == EVSE_LINK_CONNECTED) {
        l->state = EVSE_LINK_WAIT_TCP;
    }
}

static int evse_link_io_send(struct evse_link *l, const uint8_t *b, size_t n, size_t *sent)
{
    if (l->secure) {
        return hal_tls_send(l->p.tls, l->sess, b, n, sent);
    }
    return hal_net_tcp_send(l->p.net, l->conn, b, n, sent);
}

static int evse_link_io_recv(struct evse_link *l, uint8_t *b, size_t cap, size_t *n)
{
    if (l->secure) {
        return hal_tls_recv(l->p.tls, l->sess, b, cap, n);
    }
    return hal_net_tcp_recv(l->p.net, l->conn, b, cap, n);
}

/* Frame what was read and not framed yet; stops at a whole message. */
static int evse_link_feed(struct evse_link *l, uint32_t now)
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
            l->got_msg = true;
            l->v2gtp_rx_msgs++;
            if (!l->have_first_payload) {
                l->have_first_payload = true;
                l->t_first_payload_ms = now;
            }
        }
    }
    if (l->roff == l->rlen) {
        l->roff = l->rlen = 0;
    }
    return HAL_OK;
}

static void evse_link_accept(struct evse_link *l, uint32_t now)
{
    struct hal_ip6_endpoint peer;
    bool tls = false;
    int c = HAL_EAGAIN;
    if (l->listener >= 0) {
        c = hal_net_tcp_accept(l->p.net, l->listener, &peer);
    }
    if (c < 0 && l->tls_listener >= 0) {
        c = hal_net_tcp_accept(l->p.net, l->tls_listener, &peer);
        tls = true;
    }
    if (c < 0) {
        return;
    }
    l->conn = c;
    l->secure = tls;
    l->established = !tls;
    l->got_msg = false;
    l->t_conn_ms = now;
    l->connections++;
    l->state = EVSE_LINK_CONNECTED;
    evse_link_rx_reset(l);
    if (tls) {
        l->sess = hal_tls_start(l->p.tls, c, 1);
        if (l->sess < 0) {
            l->tls_failed++;
            evse_link_drop_conn(l, now, "no TLS session available");
            return;
        }
    }
    evse_link_log(l, HAL_LOG_INFO, now, "V2GTP connection accepted", tls ? "TLS" : "TCP");
}

static bool evse_link_handshake(struct evse_link *l, uint32_t now)
{
    int rc = hal_tls_handshake(l->p.tls, l->sess);
    if (rc == HAL_OK) {
        l->established = true;
        evse_link_log(l, HAL_LOG_INFO, now, "TLS established", "");
        return true;
    }
    if (rc == HAL_EAGAIN) {
        if (l->cfg.msg_timeout_ms != 0 &&
            hal_time_reached(now, l->t_conn_ms + l->cfg.msg_timeout_ms)) {
            l->tls_failed++;
            l->closed_timeout++;
            evse_link_drop_conn(l, now, "TLS handshake timed out");
        }
        return false;
    }
    l->tls_failed++;
    evse_link_drop_conn(l, now, rc == HAL_ECLOSED ? "TLS handshake: peer closed"
                                                  : "TLS handshake failed");
    return false;
}

static void evse_link_tcp(struct evse_link *l, uint32_t now)
{
    if (l->conn < 0) {
        evse_link_accept(l, now);
        if (l->conn < 0) {
            return;
        }
    }
    if (!l->established && !evse_link_handshake(l, now)) {
        return;
    }
    /* output first so an answer leaves in the same pass */
    while (l->tx_off < l->tx_len) {
        size_t sent = 0;
        int rc = evse_link_io_send(l, &l->tx[l->tx_off], l->tx_len - l->tx_off, &sent);
        if (rc != HAL_OK) {
            if (rc != HAL_EAGAIN) {
                evse_link_drop_conn(l, now, hal_strerror(rc));
                return;
            }
            break;
        }
        l->tx_off += sent;
    }
    if (l->tx_off == l->tx_len) {
        l->tx_off = l->tx_len = 0;
    }
    for (int i = 0; i < EVSE_LINK_READS && !l->msg_ready; i++) {
        if (l->roff == l->rlen) {
            size_t n = 0;
            int rc = evse_link_io_recv(l, l->rbuf, sizeof l->rbuf, &n);
            if (rc == HAL_EAGAIN) {
                break;
            }
            if (rc != HAL_OK) {
                evse_link_drop_conn(l, now, rc == HAL_ECLOSED ? "closed by the EV" : hal_strerror(rc));
                return;
            }
            l->rlen = n;
            l->roff = 0;
        }
        if (evse_link_feed(l, now) == HAL_EPROTO) {
            l->closed_bad_header++;
            evse_link_drop_conn(l, now, v2gtp_reason_str(l->rx.reason));
            return;
        }
    }
    if (l->msg_ready) {
        return;
    }
    if (l->rx.have > 0 && l->cfg.msg_timeout_ms != 0 &&
        hal_time_reached(now, l->t_msg_start_ms + l->cfg.msg_timeout_ms)) {
        l->closed_timeout++;
        evse_link_drop_conn(l, now, "V2GTP message incomplete within the message timeout");
    } else if (!l->got_msg && l->cfg.setup_timeout_ms != 0 &&
               hal_time_reached(now, l->t_conn_ms + l->cfg.setup_timeout_ms)) {
        l->closed_timeout++;
        evse_link_drop_conn(l, now, "no V2GTP message within the setup time");
    }
}

void evse_link_step(struct evse_link *l, uint32_t now_ms)
{
    evse_link_slac_io(l, now_ms);
    evse_link_sdp(l, now_ms);
    if (l->rx.failed && l->conn >= 0) {
        /* a bad header framed by evse_link_consume() */
        l->closed_bad_header++;
        evse_link_drop_conn(l, now_ms, v2gtp_reason_str(l->rx.reason));
    }
    evse_link_tcp(l, now_ms);
    uint32_t due = now_ms + l->cfg.poll_ms;
    uint32_t sd;
    if (slac_evse_next_due(&l->slac, &sd) && hal_time_diff(sd, due) < 0) {
        due = sd;
    }
    sched_task_at(&l->task, due);
}

int evse_link_restart(struct evse_link *l, uint32_t now_ms)
{
    evse_link_drop_conn(l, now_ms, "link restarted");
    evse_link_rx_reset(l);
    l->have_first_payload = false;
    l->restarts++;
    slac_evse_stop(&l->slac);
    int rc = evse_link_new_key(l, now_ms);
    if (rc != HAL_OK) {
        l->state = EVSE_LINK_FAILED;
        evse_link_log(l, HAL_LOG_ERROR, now_ms, "restart: no fresh key", hal_strerror(rc));
        return rc;
    }
    slac_evse_start(&l->slac, now_ms);
    l->slac_seen = l->slac.state;
    l->state = EVSE_LINK_SLAC;
    evse_link_log(l, HAL_LOG_INFO, now_ms, "restarted: waiting for CM_SLAC_PARM.REQ", "");
    sched_task_at(&l->task, now_ms);
    return HAL_OK;
}

int evse_link_recv(struct evse_link *l, uint16_t *type, const uint8_t **payload, uint32_t *len)
{
    if (!l->msg_ready) {
        return HAL_EAGAIN;
    }
    *type = l->rx.h.type;
    *payload = l->rx.payload;
    *len = l->rx.h.length;
    return HAL_OK;
}

void evse_link_consume(struct evse_link *l, uint32_t now_ms)
{
    if (!l->msg_ready) {
        return;
    }
    l->msg_ready = false;
    v2gtp_rx_next(&l->rx);
    /* A message that came in the same read is framed now; a bad header leaves
     * rx.failed set, and the next step closes the connection. */
    (void)evse_link_feed(l, now_ms);
}

uint16_t evse_link_security(const struct evse_link *l)
{
    if (l->conn < 0) {
        return 0xFFFFu;
    }
    if (!l->secure) {
        return 0u;
    }
    uint16_t v = l->established ? hal_tls_version(l->p.tls, l->sess) : 0u;
    return v != 0 ? v : 0xFFFFu;
}

int evse_link_send(struct evse_link *l, uint16_t type, const uint8_t *payload, uint32_t len)
{
    if (l->conn < 0) {
        return HAL_ESTATE;
    }
    if ((size_t)len + V2GTP_HDR_LEN > sizeof l->tx - l->tx_len) {
        return HAL_ENOMEM;
    }
    v2gtp_header_write(&l->tx[l->tx_len], type, len);
    memcpy(&l->tx[l->tx_len + V2GTP_HDR_LEN], payload, len);
    l->tx_len += V2GTP_HDR_LEN + len;
    l->v2gtp_tx_msgs++;
    return HAL_OK;
}
