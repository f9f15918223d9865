#include "evse_link.h"

#include <string.h>

#include "hal_clock.h"

/* Frames handled per step: bounded work even when a segment floods us. */
#define EVSE_LINK_RX_BUDGET 16

static const uint16_t s_v2g_types[] = {V2GTP_PT_EXI, 0x8002u, 0x8003u, 0x8004u};

void evse_link_default_config(struct evse_link_config *c)
{
    memset(c, 0, sizeof *c);
    slac_config_default(&c->slac);
    c->tcp_port = 15118;
    c->v2gtp_max_len = CFG_V2GTP_PAYLOAD_MAX;
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

int evse_link_init(struct evse_link *l, const struct evse_link_config *cfg,
                   const struct evse_link_ports *ports, struct sched *s, uint32_t now_ms)
{
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->p = *ports;
    l->sdp_sock = l->listener = l->conn = -1;
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
    l->listener = hal_net_tcp_listen(l->p.net, cfg->tcp_port);
    if (l->listener < 0) {
        rc = l->listener;
        hal_net_close(l->p.net, l->sdp_sock);
        return rc;
    }
    v2gtp_rx_init(&l->rx, s_v2g_types, sizeof s_v2g_types / sizeof s_v2g_types[0],
                  cfg->v2gtp_max_len);
    slac_evse_start(&l->slac, now_ms);
    l->slac_seen = l->slac.state;
    l->state = EVSE_LINK_SLAC;
    sched_task_init(&l->task, "evse_link", evse_link_task, l, true);
    evse_link_log(l, HAL_LOG_INFO, now_ms, "waiting for CM_SLAC_PARM.REQ", "");
    return sched_add(s, &l->task, now_ms);
}

static void evse_link_slac_io(struct evse_link *l, uint32_t now)
{
    uint8_t f[HAL_ETH_FRAME_MAX];
    size_t n;
    for (int i = 0; i < EVSE_LINK_RX_BUDGET; i++) {
        int rc = hal_eth_recv(l->p.eth, f, sizeof f, &n);
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
    while (slac_evse_pop(&l->slac, f, sizeof f, &n) == HAL_OK) {
        (void)hal_eth_send(l->p.eth, f, n);
    }
    if (l->slac.state != l->slac_seen) {
        enum slac_evse_state st = l->slac.state;
        if (st == SLAC_EVSE_MATCHED) {
            hal_logf(l->p.log, HAL_LOG_INFO, now,
                     "link: SLAC matched (CM_SLAC_MATCH.CNF %lu ms after the first CM_SLAC_PARM.REQ)",
                     (unsigned long)(l->slac.t_match_cnf_ms - l->slac.t_first_parm_ms));
            l->state = EVSE_LINK_WAIT_TCP;
        } else if (st == SLAC_EVSE_FAILED) {
            evse_link_log(l, HAL_LOG_ERROR, now, "SLAC failed", l->slac.reason);
            l->state = EVSE_LINK_FAILED;
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
        struct sdp_server_offer o = {.tcp_port = l->cfg.tcp_port, .tls_port = 0};
        memcpy(o.addr, l->local.addr, 16);
        if (rc != HAL_OK || sdp_request_parse(b, n, &req) != HAL_OK ||
            sdp_server_answer(&o, &req, &res) != HAL_OK) {
            continue; /* dropped silently, as the standard wants */
        }
        uint8_t out[SDP_RES_LEN];
        sdp_response_write(&res, out);
        if (hal_net_udp_sendto(l->p.net, l->sdp_sock, &from, out, sizeof out) == HAL_OK) {
            l->sdp_answered++;
            if (l->slac.state == SLAC_EVSE_MATCHED) {
                slac_evse_link_up(&l->slac);
            }
            hal_logf(l->p.log, HAL_LOG_INFO, now, "link: SDP answered (TCP port %u)",
                     (unsigned)res.port);
        }
    }
}

static void evse_link_drop_conn(struct evse_link *l, uint32_t now, const char *why)
{
    evse_link_log(l, HAL_LOG_WARN, now, "V2GTP connection closed", why);
    hal_net_close(l->p.net, l->conn);
    l->conn = -1;
    l->tx_len = l->tx_off = 0;
    l->msg_ready = false;
    v2gtp_rx_init(&l->rx, s_v2g_types, sizeof s_v2g_types / sizeof s_v2g_types[0],
                  l->cfg.v2gtp_max_len);
    if (l->state == EVSE_LINK_CONNECTED) {
        l->state = EVSE_LINK_WAIT_TCP;
    }
}

static void evse_link_tcp(struct evse_link *l, uint32_t now)
{
    if (l->conn < 0) {
        struct hal_ip6_endpoint peer;
        int c = hal_net_tcp_accept(l->p.net, l->listener, &peer);
        if (c < 0) {
            return;
        }
        l->conn = c;
        l->state = EVSE_LINK_CONNECTED;
        evse_link_log(l, HAL_LOG_INFO, now, "V2GTP connection accepted", "");
    }
    /* output first so an answer leaves in the same pass */
    while (l->tx_off < l->tx_len) {
        size_t sent = 0;
        int rc = hal_net_tcp_send(l->p.net, l->conn, &l->tx[l->tx_off], l->tx_len - l->tx_off, &sent);
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
    uint8_t b[512];
    for (int i = 0; i < 8 && !l->msg_ready; i++) {
        size_t n = 0;
        int rc = hal_net_tcp_recv(l->p.net, l->conn, b, sizeof b, &n);
        if (rc == HAL_EAGAIN) {
            return;
        }
        if (rc != HAL_OK) {
            evse_link_drop_conn(l, now, hal_strerror(rc));
            return;
        }
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            rc = v2gtp_rx_feed(&l->rx, &b[off], n - off, &used);
            off += used;
            if (rc == HAL_EPROTO) {
                l->closed_bad_header++;
                evse_link_drop_conn(l, now, v2gtp_reason_str(l->rx.reason));
                return;
            }
            if (rc == HAL_OK) {
                l->msg_ready = true;
                l->v2gtp_rx_msgs++;
                if (!l->have_first_payload) {
                    l->have_first_payload = true;
                    l->t_first_payload_ms = now;
                }
                if (off < n) {
                    /* a pipelined next message: this simple server takes one at a time */
                    evse_link_drop_conn(l, now, "pipelined V2GTP messages");
                    return;
                }
                break;
            }
        }
    }
}

void evse_link_step(struct evse_link *l, uint32_t now_ms)
{
    evse_link_slac_io(l, now_ms);
    evse_link_sdp(l, now_ms);
    evse_link_tcp(l, now_ms);
    uint32_t due = now_ms + l->cfg.poll_ms;
    uint32_t sd;
    if (slac_evse_next_due(&l->slac, &sd) && hal_time_diff(sd, due) < 0) {
        due = sd;
    }
    sched_task_at(&l->task, due);
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

void evse_link_consume(struct evse_link *l)
{
    if (l->msg_ready) {
        l->msg_ready = false;
        v2gtp_rx_next(&l->rx);
    }
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
