/*
 * OCPP WebSocket client: owns the connection life cycle (TCP or TLS, HTTP upgrade, open,
 * close, back-off), the frame codec of RFC 6455 (client side: masked out, unmasked in,
 * fragments, control frames between fragments), keep-alive pings and the URL / identity
 * rules of OCPP-J §3.1. Every byte from the server is checked before use.
 */
#include "ocpp/ocpp_ws.h"

#include <string.h>

#define LOGI(ws, now, ...) hal_logf((ws)->log, HAL_LOG_INFO, (now), __VA_ARGS__)
#define LOGW(ws, now, ...) hal_logf((ws)->log, HAL_LOG_WARN, (now), __VA_ARGS__)

/* ------------------------------------------------------------------ SHA-1, Base64 */

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (unsigned i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (unsigned i = 16; i < 80; i++) {
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ocpp_ws_sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        sha1_block(h, data + i);
    }
    uint8_t last[128];
    size_t rem = len - i;
    memset(last, 0, sizeof last);
    memcpy(last, data + i, rem);
    last[rem] = 0x80;
    size_t blocks = rem + 9 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)len * 8u;
    for (unsigned k = 0; k < 8; k++) {
        last[blocks * 64 - 1 - k] = (uint8_t)(bits >> (8 * k));
    }
    for (size_t b = 0; b < blocks; b++) {
        sha1_block(h, last + 64 * b);
    }
    for (unsigned k = 0; k < 20; k++) {
        out[k] = (uint8_t)(h[k / 4] >> (24 - 8 * (k % 4)));
    }
}

static size_t b64(const uint8_t *d, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0u) | (i + 2 < n ? d[i + 2] : 0u);
        out[o++] = al[(v >> 18) & 63u];
        out[o++] = al[(v >> 12) & 63u];
        out[o++] = i + 1 < n ? al[(v >> 6) & 63u] : '=';
        out[o++] = i + 2 < n ? al[v & 63u] : '=';
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------------ URL */

int ocpp_ws_target_parse(const char *url, const char *identity, struct ocpp_ws_target *t, const char **why)
{
    memset(t, 0, sizeof *t);
    const char *p;
    if (strncmp(url, "ws://", 5) == 0) {
        p = url + 5;
        t->port = 80;
    } else if (strncmp(url, "wss://", 6) == 0) {
        p = url + 6;
        t->tls = true;
        t->port = 443;
    } else {
        *why = "URL must start with ws:// or wss://";
        return HAL_EINVAL;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof t->host) {
        *why = "URL host empty or too long";
        return HAL_EINVAL;
    }
    for (size_t k = 0; k < hl; k++) {
        char c = p[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
            *why = "URL host has a character outside [A-Za-z0-9.-]";
            return HAL_EINVAL;
        }
    }
    memcpy(t->host, p, hl);
    p += hl;
    if (*p == ':') {
        uint32_t port = 0;
        p++;
        if (*p < '0' || *p > '9') {
            *why = "URL port is not a number";
            return HAL_EINVAL;
        }
        while (*p >= '0' && *p <= '9') {
            port = port * 10u + (uint32_t)(*p++ - '0');
            if (port > 65535u) {
                break;
            }
        }
        if (port == 0 || port > 65535u) {
            *why = "URL port out of 1..65535";
            return HAL_EINVAL;
        }
        t->port = (uint16_t)port;
    }
    if (*p != '\0' && *p != '/') {
        *why = "URL has junk after the port";
        return HAL_EINVAL;
    }
    size_t pl = strlen(p);
    while (pl > 0 && p[pl - 1] == '/') {
        pl--; /* "ws://h/ocpp/" + "/" + id would double the slash */
    }
    for (size_t k = 0; k < pl; k++) {
        if ((unsigned char)p[k] <= 0x20u || (unsigned char)p[k] >= 0x7Fu) {
            *why = "URL path has a space or control character";
            return HAL_EINVAL;
        }
    }
    size_t il = strlen(identity);
    if (il == 0 || il > OCPP_IDENTITY_MAX || strchr(identity, ':') != NULL) {
        *why = "identity must be 1..48 characters without ':'";
        return HAL_EINVAL;
    }
    if (pl + 1 + 3 * il >= sizeof t->path) {
        *why = "URL path too long";
        return HAL_EINVAL;
    }
    memcpy(t->path, p, pl);
    size_t o = pl;
    t->path[o++] = '/';
    static const char hx[] = "0123456789ABCDEF";
    for (size_t k = 0; k < il; k++) {
        unsigned char c = (unsigned char)identity[k];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            t->path[o++] = (char)c;
        } else { /* RFC 3986 percent-encoding: "RDAM 123" -> "RDAM%20123" */
            t->path[o++] = '%';
            t->path[o++] = hx[c >> 4];
            t->path[o++] = hx[c & 15u];
        }
    }
    t->path[o] = '\0';
    return HAL_OK;
}

/* ------------------------------------------------------------------ life cycle */

void ocpp_ws_default_config(struct ocpp_ws_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ping_interval_ms = 30000;
    cfg->pong_timeout_ms = 5000;
    cfg->connect_timeout_ms = 30000;
    cfg->backoff_min_ms = 3000;
    cfg->backoff_range_ms = 10000;
    cfg->backoff_doublings = 3;
}

void ocpp_ws_init(struct ocpp_ws *ws, const struct ocpp_ws_config *cfg, struct hal_net *net,
                  struct hal_tls *tls, struct hal_rng *rng, struct hal_log *log)
{
    memset(ws, 0, sizeof *ws);
    ws->cfg = *cfg;
    ws->net = net;
    ws->tls = tls;
    ws->rng = rng;
    ws->log = log;
    ws->sock = ws->sess = -1;
    ws->backoff_ms = cfg->backoff_min_ms;
}

static uint32_t rnd32(struct ocpp_ws *ws)
{
    uint32_t v = 0;
    if (ws->rng != NULL) {
        (void)hal_rng_fill(ws->rng, (uint8_t *)&v, sizeof v);
    }
    return v;
}

static void drop_link(struct ocpp_ws *ws)
{
    if (ws->sess >= 0) {
        hal_tls_close(ws->tls, ws->sess);
    }
    if (ws->sock >= 0) {
        hal_net_close(ws->net, ws->sock);
    }
    ws->sess = ws->sock = -1;
    ws->tls_up = false;
    ws->asm_len = ws->raw_len = ws->deliver_len = 0;
    ws->in_message = false;
    ws->tx_len = ws->tx_off = ws->ctrl_len = ws->ctrl_off = 0;
    ws->pong_wait = false;
    ws->peer_closed = false;
}

/* The connection failed or ended: schedule the next attempt (OCPP 2.0.1 back-off, which
 * 1.6 leaves open: min + random(range), doubled per failure up to the repeat count). */
static enum ocpp_ws_event fail(struct ocpp_ws *ws, uint32_t now_ms, const char *why)
{
    bool was_open = ws->state == OCPP_WS_OPEN || ws->state == OCPP_WS_CLOSING;
    drop_link(ws);
    ws->why = why;
    if (was_open) {
        ws->failures = 0; /* a link that worked starts the back-off over */
        ws->backoff_ms = ws->cfg.backoff_min_ms;
    }
    uint32_t jitter = ws->cfg.backoff_range_ms > 0 ? rnd32(ws) % (ws->cfg.backoff_range_ms + 1u) : 0u;
    uint32_t wait = ws->backoff_ms + jitter;
    if (ws->failures < ws->cfg.backoff_doublings) {
        ws->failures++;
        if (!was_open) {
            ws->backoff_ms *= 2u;
        }
    }
    ws->retry_at_ms = now_ms + wait;
    ws->state = OCPP_WS_WAIT;
    ws->since_ms = now_ms;
    LOGW(ws, now_ms, "ocpp-ws: %s; reconnect in %u ms", why, (unsigned)wait);
    return was_open ? OCPP_WS_CLOSED : OCPP_WS_NONE;
}

static int tsend(struct ocpp_ws *ws, const uint8_t *b, size_t n, size_t *sent)
{
    if (ws->cfg.target.tls) {
        return hal_tls_send(ws->tls, ws->sess, b, n, sent);
    }
    return hal_net_tcp_send(ws->net, ws->sock, b, n, sent);
}

static int trecv(struct ocpp_ws *ws, uint8_t *b, size_t cap, size_t *len)
{
    if (ws->cfg.target.tls) {
        return hal_tls_recv(ws->tls, ws->sess, b, cap, len);
    }
    return hal_net_tcp_recv(ws->net, ws->sock, b, cap, len);
}

static void build_request(struct ocpp_ws *ws)
{
    uint8_t key[16];
    char key64[25], acc_in[64];
    for (unsigned k = 0; k < 16; k += 4) {
        uint32_t r = rnd32(ws);
        memcpy(key + k, &r, 4);
    }
    b64(key, 16, key64);
    /* the answer we will demand: Base64(SHA-1(key ‖ GUID)) (RFC 6455 §4.2.2) */
    memcpy(acc_in, key64, 24);
    memcpy(acc_in + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    uint8_t dig[20];
    ocpp_ws_sha1((const uint8_t *)acc_in, 60, dig);
    b64(dig, 20, ws->accept);

    char *o = (char *)ws->tx;
    size_t cap = sizeof ws->tx, n = 0;
#define ADD(s)                                                                                     \
    do {                                                                                           \
        size_t l_ = strlen(s);                                                                     \
        if (n + l_ < cap) {                                                                        \
            memcpy(o + n, (s), l_);                                                                \
            n += l_;                                                                               \
        }                                                                                          \
    } while (0)
    char port[8];
    size_t pl = 0;
    uint32_t pv = ws->cfg.target.port;
    char tmp[6];
    do {
        tmp[pl++] = (char)('0' + pv % 10u);
        pv /= 10u;
    } while (pv > 0);
    for (size_t k = 0; k < pl; k++) {
        port[k] = tmp[pl - 1 - k];
    }
    port[pl] = '\0';
    ADD("GET ");
    ADD(ws->cfg.target.path);
    ADD(" HTTP/1.1\r\nHost: ");
    ADD(ws->cfg.target.host);
    ADD(":");
    ADD(port);
    ADD("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    ADD(key64);
    ADD("\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n");
    if (ws->cfg.user != NULL && ws->cfg.password != NULL) {
        /* Basic authentication on every connect (OCPP-J §6.2.2, security profiles 1 and 2) */
        char cred[OCPP_IDENTITY_MAX + 1 + 64], enc[(sizeof cred + 2) / 3 * 4 + 1];
        size_t ul = strlen(ws->cfg.user), wl = strlen(ws->cfg.password);
        if (ul + 1 + wl < sizeof cred) {
            memcpy(cred, ws->cfg.user, ul);
            cred[ul] = ':';
            memcpy(cred + ul + 1, ws->cfg.password, wl);
            b64((const uint8_t *)cred, ul + 1 + wl, enc);
            ADD("Authorization: Basic ");
            ADD(enc);
            ADD("\r\n");
        }
    }
    ADD("\r\n");
#undef ADD
    ws->tx_len = n;
    ws->tx_off = 0;
}

void ocpp_ws_start(struct ocpp_ws *ws, uint32_t now_ms)
{
    if (ws->state != OCPP_WS_IDLE && ws->state != OCPP_WS_WAIT) {
        return;
    }
    ws->state = OCPP_WS_WAIT;
    ws->retry_at_ms = now_ms;
}

static enum ocpp_ws_event begin_connect(struct ocpp_ws *ws, uint32_t now_ms)
{
    ws->connects++;
    int s = hal_net_tcp_connect_name(ws->net, ws->cfg.target.host, ws->cfg.target.port);
    if (s < 0) {
        return fail(ws, now_ms, "TCP connect failed at once");
    }
    ws->sock = s;
    if (ws->cfg.target.tls) {
        if (ws->tls == NULL) {
            return fail(ws, now_ms, "wss:// without a TLS port");
        }
        int t = hal_tls_start(ws->tls, s, 0);
        if (t < 0) {
            return fail(ws, now_ms, "TLS session could not start");
        }
        ws->sess = t;
        /* the server's certificate must name the host we asked for */
        if (hal_tls_set_server_name(ws->tls, t, ws->cfg.target.host) != HAL_OK) {
            return fail(ws, now_ms, "TLS port cannot check the server name");
        }
    }
    build_request(ws);
    ws->state = OCPP_WS_TCP;
    ws->since_ms = now_ms;
    return OCPP_WS_NONE;
}

/* Send what is pending: the data/request buffer, and between frames the control frame. */
static int flush(struct ocpp_ws *ws)
{
    for (;;) {
        uint8_t *b;
        size_t *off, len;
        if (ws->ctrl_len > 0 && (ws->tx_off == 0 || ws->tx_off >= ws->tx_len || ws->ctrl_off > 0)) {
            b = ws->ctrl;
            off = &ws->ctrl_off;
            len = ws->ctrl_len;
        } else if (ws->tx_len > 0) {
            b = ws->tx;
            off = &ws->tx_off;
            len = ws->tx_len;
        } else {
            return HAL_OK;
        }
        size_t sent = 0;
        int rc = tsend(ws, b + *off, len - *off, &sent);
        if (rc == HAL_EAGAIN) {
            return HAL_EAGAIN;
        }
        if (rc != HAL_OK) {
            return rc;
        }
        *off += sent;
        if (*off >= len) {
            if (b == ws->ctrl) {
                ws->ctrl_len = ws->ctrl_off = 0;
            } else {
                ws->tx_len = ws->tx_off = 0;
            }
        }
    }
}

static void put_ctrl(struct ocpp_ws *ws, uint8_t opcode, const uint8_t *payload, size_t n)
{
    if (ws->ctrl_len > 0 || n > 125) {
        return; /* one control frame at a time; a newer ping is answered by the next pong */
    }
    uint8_t mask[4];
    uint32_t r = rnd32(ws);
    memcpy(mask, &r, 4);
    ws->ctrl[0] = (uint8_t)(0x80u | opcode);
    ws->ctrl[1] = (uint8_t)(0x80u | n);
    memcpy(ws->ctrl + 2, mask, 4);
    for (size_t k = 0; k < n; k++) {
        ws->ctrl[6 + k] = payload[k] ^ mask[k & 3u];
    }
    ws->ctrl_len = 6 + n;
    ws->ctrl_off = 0;
}

int ocpp_ws_send(struct ocpp_ws *ws, const char *text, size_t len)
{
    if (ws->state != OCPP_WS_OPEN) {
        return HAL_ECLOSED;
    }
    if (len > CFG_OCPP_WS_TX_MAX) {
        return HAL_EOVERFLOW;
    }
    if (ws->tx_len > 0) {
        return HAL_EAGAIN;
    }
    uint8_t mask[4];
    uint32_t r = rnd32(ws);
    memcpy(mask, &r, 4);
    size_t h = 0;
    ws->tx[h++] = 0x81; /* FIN, text */
    if (len < 126) {
        ws->tx[h++] = (uint8_t)(0x80u | len);
    } else {
        ws->tx[h++] = 0x80u | 126u;
        ws->tx[h++] = (uint8_t)(len >> 8);
        ws->tx[h++] = (uint8_t)len;
    }
    memcpy(ws->tx + h, mask, 4);
    h += 4;
    for (size_t k = 0; k < len; k++) {
        ws->tx[h + k] = (uint8_t)text[k] ^ mask[k & 3u];
    }
    ws->tx_len = h + len;
    ws->tx_off = 0;
    return HAL_OK;
}

bool ocpp_ws_is_open(const struct ocpp_ws *ws)
{
    return ws->state == OCPP_WS_OPEN;
}

bool ocpp_ws_sending(const struct ocpp_ws *ws)
{
    return (ws->state == OCPP_WS_OPEN || ws->state == OCPP_WS_CLOSING) && (ws->tx_len > 0 || ws->ctrl_len > 0);
}

void ocpp_ws_close(struct ocpp_ws *ws, uint16_t code, uint32_t now_ms)
{
    if (ws->state != OCPP_WS_OPEN) {
        drop_link(ws);
        ws->state = OCPP_WS_IDLE;
        return;
    }
    uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    ws->ctrl_len = 0;
    put_ctrl(ws, 0x8, p, 2);
    ws->state = OCPP_WS_CLOSING;
    ws->since_ms = now_ms;
}

const char *ocpp_ws_message(const struct ocpp_ws *ws, size_t *len)
{
    *len = ws->deliver_len;
    return (const char *)ws->rx;
}

/* Case-insensitive search for header @p name; its value (trimmed) into @p out. */
static bool header(const char *resp, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < n; i++) {
        if (i > 0 && resp[i - 1] != '\n') {
            continue;
        }
        size_t k = 0;
        while (k < nl) {
            char a = resp[i + k], b = name[k];
            if (a >= 'A' && a <= 'Z') {
                a = (char)(a - 'A' + 'a');
            }
            if (b >= 'A' && b <= 'Z') {
                b = (char)(b - 'A' + 'a');
            }
            if (a != b) {
                break;
            }
            k++;
        }
        if (k != nl || resp[i + nl] != ':') {
            continue;
        }
        size_t v = i + nl + 1;
        while (v < n && (resp[v] == ' ' || resp[v] == '\t')) {
            v++;
        }
        size_t e = v;
        while (e < n && resp[e] != '\r' && resp[e] != '\n') {
            e++;
        }
        while (e > v && (resp[e - 1] == ' ' || resp[e - 1] == '\t')) {
            e--;
        }
        if (e - v >= cap) {
            return false;
        }
        memcpy(out, resp + v, e - v);
        out[e - v] = '\0';
        return true;
    }
    return false;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

static enum ocpp_ws_event check_upgrade(struct ocpp_ws *ws, uint32_t now_ms)
{
    const char *r = (const char *)ws->rx;
    size_t n = ws->raw_len, end = 0;
    for (size_t i = 0; i + 3 < n; i++) {
        if (memcmp(r + i, "\r\n\r\n", 4) == 0) {
            end = i + 4;
            break;
        }
    }
    if (end == 0) {
        if (n >= 4096u) {
            return fail(ws, now_ms, "HTTP answer header too long");
        }
        return OCPP_WS_NONE;
    }
    int status = 0;
    if (n < 12 || memcmp(r, "HTTP/1.1 ", 9) != 0 || r[9] < '1' || r[9] > '5') {
        return fail(ws, now_ms, "not an HTTP/1.1 answer");
    }
    status = (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
    ws->http_status = status;
    if (status == 401) {
        /* the log name the security white paper gives this event */
        LOGW(ws, now_ms, "ocpp-ws: FailedToAuthenticateAtCentralSystem (HTTP 401)");
        return fail(ws, now_ms, "CSMS refused our credentials (HTTP 401)");
    }
    if (status == 404) {
        return fail(ws, now_ms, "CSMS does not know this identity (HTTP 404)");
    }
    if (status != 101) {
        return fail(ws, now_ms, "CSMS did not switch protocols (HTTP status not 101)");
    }
    char v[64];
    if (!header(r, end, "Upgrade", v, sizeof v) || !ieq(v, "websocket")) {
        return fail(ws, now_ms, "101 without Upgrade: websocket");
    }
    if (!header(r, end, "Sec-WebSocket-Accept", v, sizeof v) || strcmp(v, ws->accept) != 0) {
        return fail(ws, now_ms, "101 with a wrong Sec-WebSocket-Accept");
    }
    if (!header(r, end, "Sec-WebSocket-Protocol", v, sizeof v) || strcmp(v, "ocpp1.6") != 0) {
        return fail(ws, now_ms, "CSMS did not accept subprotocol ocpp1.6");
    }
    /* frames that came with the answer stay */
    memmove(ws->rx, ws->rx + end, n - end);
    ws->raw_len = n - end;
    ws->state = OCPP_WS_OPEN;
    ws->opened_ms = ws->last_ping_ms = now_ms;
    ws->failures = 0;
    ws->backoff_ms = ws->cfg.backoff_min_ms;
    LOGI(ws, now_ms, "ocpp-ws: connected to %s:%u%s", ws->cfg.target.host, (unsigned)ws->cfg.target.port,
         ws->cfg.target.path);
    return OCPP_WS_OPENED;
}

/* Parse frames from the raw bytes; one event per call. */
static enum ocpp_ws_event frames(struct ocpp_ws *ws, uint32_t now_ms)
{
    for (;;) {
        uint8_t *f = ws->rx + ws->asm_len;
        size_t n = ws->raw_len;
        if (n < 2) {
            return OCPP_WS_NONE;
        }
        bool fin = (f[0] & 0x80u) != 0;
        uint8_t op = f[0] & 0x0Fu;
        if (f[0] & 0x70u) {
            return fail(ws, now_ms, "frame with RSV bits (no extension was agreed)");
        }
        if (f[1] & 0x80u) {
            return fail(ws, now_ms, "masked frame from the server (RFC 6455 §5.1)");
        }
        uint64_t len = f[1] & 0x7Fu;
        size_t h = 2;
        if (len == 126) {
            if (n < 4) {
                return OCPP_WS_NONE;
            }
            len = (uint64_t)f[2] << 8 | f[3];
            h = 4;
        } else if (len == 127) {
            if (n < 10) {
                return OCPP_WS_NONE;
            }
            len = 0;
            for (unsigned k = 0; k < 8; k++) {
                len = len << 8 | f[2 + k];
            }
            h = 10;
        }
        bool control = (op & 0x8u) != 0;
        if (control && (!fin || len > 125)) {
            return fail(ws, now_ms, "control frame fragmented or longer than 125");
        }
        if (!control && ws->asm_len + len > CFG_OCPP_RX_MAX) {
            uint8_t p[2] = {0x03, 0xF1}; /* 1009: too big */
            put_ctrl(ws, 0x8, p, 2);
            (void)flush(ws);
            return fail(ws, now_ms, "message longer than our receive buffer (closed with 1009)");
        }
        if (n < h + len) {
            return OCPP_WS_NONE; /* the rest has not arrived */
        }
        size_t pl = (size_t)len;
        uint8_t *payload = f + h;
        size_t rest = n - h - pl;
        if (control) {
            if (op == 0x9) { /* ping: pong with the same payload */
                put_ctrl(ws, 0xA, payload, pl);
            } else if (op == 0xA) {
                ws->pong_wait = false;
            } else if (op == 0x8) {
                uint8_t p[2] = {0x03, 0xE8};
                if (ws->state == OCPP_WS_OPEN) {
                    ws->ctrl_len = 0;
                    put_ctrl(ws, 0x8, pl >= 2 ? payload : p, 2);
                    (void)flush(ws);
                }
                return fail(ws, now_ms, "CSMS closed the WebSocket");
            } else {
                return fail(ws, now_ms, "unknown control opcode");
            }
            memmove(f, payload + pl, rest);
            ws->raw_len = rest;
            continue;
        }
        if (op == 0x2) {
            return fail(ws, now_ms, "binary frame (OCPP-J is text only)");
        }
        if (op == 0x1) {
            if (ws->in_message) {
                return fail(ws, now_ms, "new text frame inside a fragmented message");
            }
            ws->in_message = true;
        } else if (op == 0x0) {
            if (!ws->in_message) {
                return fail(ws, now_ms, "continuation frame without a message");
            }
        } else {
            return fail(ws, now_ms, "unknown data opcode");
        }
        /* compact: the payload joins the assembled part, the header disappears */
        memmove(f, payload, pl);
        ws->asm_len += pl;
        memmove(ws->rx + ws->asm_len, payload + pl, rest);
        ws->raw_len = rest;
        if (fin) {
            ws->in_message = false;
            ws->deliver_len = ws->asm_len;
            return OCPP_WS_MESSAGE;
        }
    }
}

enum ocpp_ws_event ocpp_ws_poll(struct ocpp_ws *ws, uint32_t now_ms)
{
    if (ws->deliver_len > 0) { /* the caller is done with the last message */
        memmove(ws->rx, ws->rx + ws->deliver_len, ws->raw_len);
        ws->asm_len = 0;
        ws->deliver_len = 0;
    }
    switch (ws->state) {
    case OCPP_WS_IDLE:
        return OCPP_WS_NONE;
    case OCPP_WS_WAIT:
        if ((int32_t)(now_ms - ws->retry_at_ms) < 0) {
            return OCPP_WS_NONE;
        }
        if (ws->connects > 0) {
            ws->reconnects++;
        }
        return begin_connect(ws, now_ms);
    default:
        break;
    }
    if ((ws->state == OCPP_WS_TCP || ws->state == OCPP_WS_UPGRADE) &&
        (uint32_t)(now_ms - ws->since_ms) >= ws->cfg.connect_timeout_ms) {
        return fail(ws, now_ms, "no connection within the connect timeout");
    }
    if (ws->state == OCPP_WS_TCP) {
        if (ws->cfg.target.tls && !ws->tls_up) {
            int rc = hal_tls_handshake(ws->tls, ws->sess);
            if (rc == HAL_EAGAIN) {
                return OCPP_WS_NONE;
            }
            if (rc != HAL_OK) {
                return fail(ws, now_ms, rc == HAL_EPROTO ? "TLS handshake failed (server certificate, "
                                                           "name, version or our client certificate)"
                                                         : "connection refused or lost during TLS");
            }
            ws->tls_up = true;
        }
        int rc = flush(ws);
        if (rc == HAL_EAGAIN) {
            return OCPP_WS_NONE;
        }
        if (rc != HAL_OK) {
            return fail(ws, now_ms, "connection refused or lost");
        }
        ws->state = OCPP_WS_UPGRADE;
    }
    /* receive what has arrived; a close is acted on after what came before it (a 401
     * answer is followed at once by the server closing) */
    int closed = HAL_OK;
    for (;;) {
        size_t room = sizeof ws->rx - ws->asm_len - ws->raw_len, got = 0;
        if (room == 0) {
            break;
        }
        int rc = trecv(ws, ws->rx + ws->asm_len + ws->raw_len, room, &got);
        if (rc == HAL_EAGAIN) {
            break;
        }
        if (rc != HAL_OK) {
            closed = rc;
            break;
        }
        ws->raw_len += got;
    }
    enum ocpp_ws_event ev;
    if (ws->state == OCPP_WS_UPGRADE) {
        ev = check_upgrade(ws, now_ms);
        if (ws->state != OCPP_WS_OPEN) {
            if (ws->state == OCPP_WS_UPGRADE && closed != HAL_OK) {
                return fail(ws, now_ms, "CSMS closed the connection during the upgrade");
            }
            return ev;
        }
        ws->peer_closed = closed != HAL_OK;
        return ev; /* OPENED; frames that came along are read on the next poll */
    }
    ev = frames(ws, now_ms);
    if (ev == OCPP_WS_CLOSED || ws->state == OCPP_WS_WAIT) {
        return ev;
    }
    if (ev == OCPP_WS_MESSAGE) {
        ws->peer_closed = ws->peer_closed || closed != HAL_OK;
        return ev; /* delivered first; the close is seen on the next poll */
    }
    if (closed != HAL_OK || ws->peer_closed) {
        return fail(ws, now_ms, closed == HAL_ECLOSED || ws->peer_closed ? "CSMS closed the connection"
                                                                         : "connection error");
    }
    /* keep-alive: a ping unanswered past the pong timeout is a dead link */
    if (ws->state == OCPP_WS_OPEN && ws->cfg.ping_interval_ms > 0) {
        if (ws->pong_wait && (uint32_t)(now_ms - ws->last_ping_ms) >= ws->cfg.pong_timeout_ms) {
            return fail(ws, now_ms, "no pong: the link is dead");
        }
        if (!ws->pong_wait && (uint32_t)(now_ms - ws->last_ping_ms) >= ws->cfg.ping_interval_ms &&
            ws->ctrl_len == 0) {
            put_ctrl(ws, 0x9, NULL, 0);
            ws->pong_wait = true;
            ws->last_ping_ms = now_ms;
        }
    }
    int rc = flush(ws);
    if (rc != HAL_OK && rc != HAL_EAGAIN) {
        return fail(ws, now_ms, "connection lost while sending");
    }
    if (ws->state == OCPP_WS_CLOSING && (ws->ctrl_len == 0 || (uint32_t)(now_ms - ws->since_ms) > 5000u)) {
        drop_link(ws);
        ws->state = OCPP_WS_IDLE;
        ws->why = "closed by us";
        return OCPP_WS_CLOSED;
    }
    return ev;
}
