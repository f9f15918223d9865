/* Unit tests of the OCPP WebSocket client against a scripted server on the fake network:
 * URL and identity rules, SHA-1, the upgrade request (subprotocol, Basic auth, key) and every
 * refusal of the answer (401, 404, no subprotocol, wrong accept), frames in and out
 * (masking, fragments with a ping between them, close), dead-link detection, oversize
 * messages, back-off with jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_net.h"
#include "fake_rng.h"
#include "ocpp/ocpp_ws.h"

static struct {
    struct fake_net_world w;
    struct fake_net cli, srv;
    struct fake_rng rng;
    struct ocpp_ws ws;
    int listener, conn;
    uint32_t now;
    char req[2048];
} g;

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof g);
    fake_net_world_init(&g.w);
    fake_net_init(&g.cli, &g.w, 1);
    fake_net_init(&g.srv, &g.w, 2);
    fake_net_set_name(&g.srv, "csms");
    fake_rng_init(&g.rng, 7);
    g.listener = hal_net_tcp_listen(&g.srv.base, 9000);
    assert_true(g.listener >= 0);
    struct ocpp_ws_config cfg;
    ocpp_ws_default_config(&cfg);
    const char *why = NULL;
    assert_int_equal(ocpp_ws_target_parse("ws://csms:9000/ocpp/", "CP1", &cfg.target, &why), HAL_OK);
    cfg.user = "CP1";
    cfg.password = "secretpass";
    ocpp_ws_init(&g.ws, &cfg, &g.cli.base, NULL, &g.rng.base, NULL);
    g.now = 1000;
    g.conn = -1;
    return 0;
}

static size_t srv_read(uint8_t *buf, size_t cap)
{
    size_t total = 0, n;
    while (total < cap && hal_net_tcp_recv(&g.srv.base, g.conn, buf + total, cap - total, &n) == HAL_OK) {
        total += n;
    }
    return total;
}

static void srv_send(const void *b, size_t n)
{
    size_t off = 0, sent;
    while (off < n) {
        assert_int_equal(hal_net_tcp_send(&g.srv.base, g.conn, (const uint8_t *)b + off, n - off, &sent), HAL_OK);
        off += sent;
    }
}

static enum ocpp_ws_event poll_ws(void)
{
    return ocpp_ws_poll(&g.ws, g.now);
}

/* Connect and read the upgrade request into g.req. */
static void connect_and_read_request(void)
{
    ocpp_ws_start(&g.ws, g.now);
    assert_int_equal(poll_ws(), OCPP_WS_NONE); /* connect */
    assert_int_equal(poll_ws(), OCPP_WS_NONE); /* request out */
    g.conn = hal_net_tcp_accept(&g.srv.base, g.listener, NULL);
    assert_true(g.conn >= 0);
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    size_t n = srv_read((uint8_t *)g.req, sizeof g.req - 1);
    g.req[n] = '\0';
    assert_non_null(strstr(g.req, "\r\n\r\n"));
}

static void accept_for(const char *req, char out[29])
{
    const char *k = strstr(req, "Sec-WebSocket-Key: ");
    assert_non_null(k);
    char in[64];
    memcpy(in, k + 19, 24);
    memcpy(in + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    uint8_t d[20];
    ocpp_ws_sha1((const uint8_t *)in, 60, d);
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < 20; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < 20 ? (uint32_t)d[i + 1] << 8 : 0u) | (i + 2 < 20 ? d[i + 2] : 0u);
        out[o++] = al[(v >> 18) & 63u];
        out[o++] = al[(v >> 12) & 63u];
        out[o++] = i + 1 < 20 ? al[(v >> 6) & 63u] : '=';
        out[o++] = i + 2 < 20 ? al[v & 63u] : '=';
    }
    out[o] = '\0';
}

static void answer_101(const char *proto)
{
    char acc[29], resp[512];
    accept_for(g.req, acc);
    snprintf(resp, sizeof resp,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
             acc, proto ? "sec-websocket-protocol: " : "", proto ? proto : "", proto ? "\r\n" : "");
    srv_send(resp, strlen(resp));
}

static void open_link(void)
{
    connect_and_read_request();
    answer_101("ocpp1.6");
    assert_int_equal(poll_ws(), OCPP_WS_OPENED);
    assert_true(ocpp_ws_is_open(&g.ws));
}

/* One frame from the client, unmasked; returns the opcode. */
static int srv_frame(uint8_t *payload, size_t *len)
{
    uint8_t b[4096];
    size_t n = srv_read(b, sizeof b);
    assert_true(n >= 6);
    assert_true(b[1] & 0x80); /* clients always mask */
    size_t pl = b[1] & 0x7F, h = 2;
    if (pl == 126) {
        pl = (size_t)b[2] << 8 | b[3];
        h = 4;
    }
    assert_int_equal(n, h + 4 + pl);
    for (size_t k = 0; k < pl; k++) {
        payload[k] = b[h + 4 + k] ^ b[h + (k & 3)];
    }
    *len = pl;
    return b[0];
}

static void test_sha1_and_target(void **state)
{
    (void)state;
    uint8_t d[20];
    ocpp_ws_sha1((const uint8_t *)"abc", 3, d);
    assert_memory_equal(d, "\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d", 20);
    /* RFC 6455 §1.3's example */
    const char *s = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    ocpp_ws_sha1((const uint8_t *)s, strlen(s), d);
    assert_memory_equal(d, "\xb3\x7a\x4f\x2c\xc0\x62\x4f\x16\x90\xf6\x46\x06\xcf\x38\x59\x45\xb2\xbe\xc4\xea", 20);
    /* two-block padding: 56..63 bytes */
    uint8_t m[64];
    memset(m, 'a', sizeof m);
    ocpp_ws_sha1(m, 64, d);
    assert_memory_equal(d, "\x00\x98\xba\x82\x4b\x5c\x16\x42\x7b\xd7\xa1\x12\x2a\x5a\x44\x2a\x25\xec\x64\x4d", 20);

    struct ocpp_ws_target t;
    const char *why = NULL;
    assert_int_equal(ocpp_ws_target_parse("ws://127.0.0.1:9000/ocpp", "RDAM 123", &t, &why), HAL_OK);
    assert_string_equal(t.host, "127.0.0.1");
    assert_int_equal(t.port, 9000);
    assert_string_equal(t.path, "/ocpp/RDAM%20123");
    assert_false(t.tls);
    assert_int_equal(ocpp_ws_target_parse("wss://csms.example.com", "CP1", &t, &why), HAL_OK);
    assert_true(t.tls);
    assert_int_equal(t.port, 443);
    assert_string_equal(t.path, "/CP1");
    assert_int_equal(ocpp_ws_target_parse("http://x/", "CP1", &t, &why), HAL_EINVAL);
    assert_non_null(strstr(why, "ws://"));
    assert_int_equal(ocpp_ws_target_parse("ws://x:0/", "CP1", &t, &why), HAL_EINVAL);
    assert_int_equal(ocpp_ws_target_parse("ws://x:70000/", "CP1", &t, &why), HAL_EINVAL);
    assert_int_equal(ocpp_ws_target_parse("ws://x y/", "CP1", &t, &why), HAL_EINVAL);
    assert_int_equal(ocpp_ws_target_parse("ws://x/", "a:b", &t, &why), HAL_EINVAL);
    assert_non_null(strstr(why, "identity"));
    assert_int_equal(ocpp_ws_target_parse("ws://x/", "", &t, &why), HAL_EINVAL);
    assert_int_equal(ocpp_ws_target_parse("ws://x/", "0123456789012345678901234567890123456789012345678", &t, &why),
                     HAL_EINVAL);
}

static void test_handshake_and_frames(void **state)
{
    (void)state;
    connect_and_read_request();
    assert_non_null(strstr(g.req, "GET /ocpp/CP1 HTTP/1.1\r\n"));
    assert_non_null(strstr(g.req, "Host: csms:9000\r\n"));
    assert_non_null(strstr(g.req, "Sec-WebSocket-Protocol: ocpp1.6\r\n"));
    assert_non_null(strstr(g.req, "Sec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(g.req, "Authorization: Basic Q1AxOnNlY3JldHBhc3M=\r\n"));
    assert_null(strstr(g.req, "Extensions")); /* no compression offered */
    answer_101("ocpp1.6");
    /* a frame right behind the 101 in the same read */
    srv_send("\x81\x02[]", 4);
    assert_int_equal(poll_ws(), OCPP_WS_OPENED);
    assert_int_equal(poll_ws(), OCPP_WS_MESSAGE);
    size_t n;
    const char *m = ocpp_ws_message(&g.ws, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(m, "[]", 2);
    /* fragments with a ping between them: one message, and a pong with the ping's payload */
    srv_send("\x01\x03hel", 5);
    srv_send("\x89\x02hi", 4);
    srv_send("\x80\x02lo", 4);
    assert_int_equal(poll_ws(), OCPP_WS_MESSAGE);
    m = ocpp_ws_message(&g.ws, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(m, "hello", 5);
    uint8_t p[4096];
    size_t pl;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_int_equal(srv_frame(p, &pl), 0x8A);
    assert_int_equal(pl, 2);
    assert_memory_equal(p, "hi", 2);
    /* sending: masked, 16-bit length form */
    char big[300];
    memset(big, 'x', sizeof big);
    assert_int_equal(ocpp_ws_send(&g.ws, big, sizeof big), HAL_OK);
    assert_int_equal(ocpp_ws_send(&g.ws, "y", 1), HAL_EAGAIN);
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_int_equal(srv_frame(p, &pl), 0x81);
    assert_int_equal(pl, 300);
    assert_int_equal(p[299], 'x');
    assert_int_equal(ocpp_ws_send(&g.ws, "y", 1), HAL_OK);
    /* the server closes: we echo the close and report it */
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_int_equal(srv_frame(p, &pl), 0x81);
    srv_send("\x88\x02\x03\xe8", 4);
    assert_int_equal(poll_ws(), OCPP_WS_CLOSED);
    assert_non_null(strstr(g.ws.why, "closed"));
    assert_int_equal(g.ws.state, OCPP_WS_WAIT);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *resp;
        const char *why;
        int status;
    } cases[] = {
        {"HTTP/1.1 401 Unauthorized\r\n\r\n", "401", 401},
        {"HTTP/1.1 404 Not Found\r\n\r\n", "404", 404},
        {"HTTP/1.1 200 OK\r\n\r\n", "not 101", 200},
        {"SSH-2.0\r\n\r\n", "not an HTTP", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(NULL);
        connect_and_read_request();
        srv_send(cases[i].resp, strlen(cases[i].resp));
        hal_net_close(&g.srv.base, g.conn); /* servers close right after a refusal */
        assert_int_equal(poll_ws(), OCPP_WS_NONE);
        assert_int_equal(g.ws.state, OCPP_WS_WAIT);
        if (strstr(g.ws.why, cases[i].why) == NULL) {
            fail_msg("case %zu: why '%s'", i, g.ws.why);
        }
        assert_int_equal(g.ws.http_status, cases[i].status);
    }
    /* a 101 without the subprotocol: the server accepted none (OCPP-J §3.2) */
    setup(NULL);
    connect_and_read_request();
    answer_101(NULL);
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_non_null(strstr(g.ws.why, "ocpp1.6"));
    /* a wrong accept */
    setup(NULL);
    connect_and_read_request();
    const char *bad = "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: AAAA\r\n"
                      "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n";
    srv_send(bad, strlen(bad));
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_non_null(strstr(g.ws.why, "Accept"));
}

static void test_backoff(void **state)
{
    (void)state;
    /* nobody listens on 9001: refused; waits grow min+jitter, doubled up to 3 times */
    g.ws.cfg.target.port = 9001;
    ocpp_ws_start(&g.ws, g.now);
    uint32_t base = g.ws.cfg.backoff_min_ms, range = g.ws.cfg.backoff_range_ms;
    for (int k = 0; k < 5; k++) {
        assert_int_equal(poll_ws(), OCPP_WS_NONE); /* connect */
        assert_int_equal(poll_ws(), OCPP_WS_NONE); /* refused */
        assert_int_equal(g.ws.state, OCPP_WS_WAIT);
        uint32_t wait = g.ws.retry_at_ms - g.now;
        uint32_t b = base << (k < 3 ? k : 3);
        if (wait < b || wait > b + range) {
            fail_msg("attempt %d: wait %u outside %u..%u", k, (unsigned)wait, (unsigned)b, (unsigned)(b + range));
        }
        g.now += wait - 1;
        assert_int_equal(poll_ws(), OCPP_WS_NONE);
        assert_int_equal(g.ws.state, OCPP_WS_WAIT);
        g.now += 1;
    }
    assert_int_equal(g.ws.connects, 5);
}

static void test_dead_link_and_bad_frames(void **state)
{
    (void)state;
    open_link();
    uint8_t p[4096];
    size_t pl;
    /* our ping after the interval; no pong within the timeout: dead */
    g.now += 30000;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_int_equal(srv_frame(p, &pl), 0x89);
    g.now += 4999;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    g.now += 1;
    assert_int_equal(poll_ws(), OCPP_WS_CLOSED);
    assert_non_null(strstr(g.ws.why, "pong"));
    /* a pong in time keeps it */
    setup(NULL);
    open_link();
    g.now += 30000;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_int_equal(srv_frame(p, &pl), 0x89);
    srv_send("\x8a\x00", 2);
    g.now += 4000;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    g.now += 20000;
    assert_int_equal(poll_ws(), OCPP_WS_NONE);
    assert_true(ocpp_ws_is_open(&g.ws));

    static const struct {
        const char *bytes;
        size_t n;
        const char *why;
    } bad[] = {
        {"\x81\x82\x00\x00\x00\x00[]", 8, "masked"},
        {"\x82\x01x", 3, "binary"},
        {"\xc1\x01x", 3, "RSV"},
        {"\x80\x01x", 3, "continuation"},
        {"\x09\x00", 2, "control"},
        {"\x01\x01x\x81\x01y", 6, "inside a fragmented"},
        {"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10, "1009"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setup(NULL);
        open_link();
        srv_send(bad[i].bytes, bad[i].n);
        assert_int_equal(poll_ws(), OCPP_WS_CLOSED);
        if (strstr(g.ws.why, bad[i].why) == NULL) {
            fail_msg("case %zu: why '%s'", i, g.ws.why);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sha1_and_target, setup),
        cmocka_unit_test_setup(test_handshake_and_frames, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_backoff, setup),
        cmocka_unit_test_setup(test_dead_link_and_bad_frames, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
