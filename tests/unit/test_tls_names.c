/* Unit tests of the TLS client options for backends (hal_tls_set_server_name) on the
 * fake: the name a client expects must be the server certificate's, a server that
 * requires a client certificate refuses a client without one, the name is refused once
 * the handshake has begun or on a server session, and a port without the operation says
 * HAL_ENOTSUP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_net.h"
#include "fake_tls.h"

static struct fake_net_world s_w;
static struct fake_net s_cli_net, s_srv_net;
static struct fake_tls s_cli, s_srv;
static int s_listener;

static int setup(void **state)
{
    (void)state;
    fake_net_world_init(&s_w);
    assert_int_equal(fake_net_init(&s_cli_net, &s_w, 1), HAL_OK);
    assert_int_equal(fake_net_init(&s_srv_net, &s_w, 2), HAL_OK);
    fake_net_set_name(&s_srv_net, "csms.example");
    s_listener = hal_net_tcp_listen(&s_srv_net.base, 443);
    fake_tls_init(&s_cli, &s_cli_net.base);
    fake_tls_init(&s_srv, &s_srv_net.base);
    strcpy(s_srv.cert_name, "csms.example");
    return 0;
}

/* Connect, start both sessions (client named @p name unless NULL) and run both
 * handshakes in turn until neither waits; the client's result is returned. */
static int handshake(const char *name, int *srv_rc, int *cs, int *ss)
{
    int c = hal_net_tcp_connect_name(&s_cli_net.base, "csms.example", 443);
    assert_true(c >= 0);
    *cs = hal_tls_start(&s_cli.base, c, 0);
    assert_true(*cs >= 0);
    if (name != NULL) {
        assert_int_equal(hal_tls_set_server_name(&s_cli.base, *cs, name), HAL_OK);
    }
    int rc_c = hal_tls_handshake(&s_cli.base, *cs); /* sends the hello: connects */
    int a = hal_net_tcp_accept(&s_srv_net.base, s_listener, NULL);
    assert_true(a >= 0);
    *ss = hal_tls_start(&s_srv.base, a, 1);
    assert_true(*ss >= 0);
    assert_int_equal(hal_tls_set_server_name(&s_srv.base, *ss, "x"), HAL_EINVAL); /* server side */
    int rc_s = HAL_EAGAIN;
    for (int i = 0; i < 10 && (rc_c == HAL_EAGAIN || rc_s == HAL_EAGAIN); i++) {
        if (rc_s == HAL_EAGAIN) {
            rc_s = hal_tls_handshake(&s_srv.base, *ss);
        }
        if (rc_c == HAL_EAGAIN) {
            rc_c = hal_tls_handshake(&s_cli.base, *cs);
        }
    }
    *srv_rc = rc_s;
    return rc_c;
}

static void test_good_name(void **state)
{
    (void)state;
    int srv_rc, cs, ss;
    assert_int_equal(handshake("csms.example", &srv_rc, &cs, &ss), HAL_OK);
    assert_int_equal(srv_rc, HAL_OK);
    assert_int_equal(hal_tls_set_server_name(&s_cli.base, cs, "csms.example"), HAL_EINVAL); /* too late */
    size_t n = 0;
    assert_int_equal(hal_tls_send(&s_cli.base, cs, (const uint8_t *)"[2,\"1\"]", 7, &n), HAL_OK);
    uint8_t buf[16];
    assert_int_equal(hal_tls_recv(&s_srv.base, ss, buf, sizeof buf, &n), HAL_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "[2,\"1\"]", 7);
    /* no name: chain only, any name accepted (the ISO 15118-2 case) */
    assert_int_equal(handshake(NULL, &srv_rc, &cs, &ss), HAL_OK);
}

static void test_wrong_name(void **state)
{
    (void)state;
    int srv_rc, cs, ss;
    assert_int_equal(handshake("other.example", &srv_rc, &cs, &ss), HAL_EPROTO);
    assert_non_null(strstr(s_cli.reason, "hostname mismatch"));
    size_t n = 0;
    assert_int_equal(hal_tls_send(&s_cli.base, cs, (const uint8_t *)"x", 1, &n), HAL_EPROTO);
}

static void test_client_certificate(void **state)
{
    (void)state;
    s_srv.require_client_cert = true;
    int srv_rc, cs, ss;
    assert_int_equal(handshake("csms.example", &srv_rc, &cs, &ss), HAL_EPROTO);
    assert_int_equal(srv_rc, HAL_EPROTO);
    assert_non_null(strstr(s_cli.reason, "certificate required"));
    s_cli.client_cert = true;
    assert_int_equal(handshake("csms.example", &srv_rc, &cs, &ss), HAL_OK);
    assert_int_equal(srv_rc, HAL_OK);
}

static void test_bad_calls(void **state)
{
    (void)state;
    assert_int_equal(hal_tls_set_server_name(&s_cli.base, 7, "csms.example"), HAL_EINVAL);
    int cs = hal_tls_start(&s_cli.base, 0, 0);
    assert_int_equal(hal_tls_set_server_name(&s_cli.base, cs, ""), HAL_EINVAL);
    assert_int_equal(hal_tls_set_server_name(&s_cli.base, cs, NULL), HAL_EINVAL);
    hal_tls_close(&s_cli.base, cs);
    struct hal_tls_ops ops = *s_cli.base.ops;
    ops.set_server_name = NULL; /* a port that predates the operation */
    s_cli.base.ops = &ops;
    cs = hal_tls_start(&s_cli.base, 0, 0);
    assert_int_equal(hal_tls_set_server_name(&s_cli.base, cs, "csms.example"), HAL_ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good_name, setup),
        cmocka_unit_test_setup(test_wrong_name, setup),
        cmocka_unit_test_setup(test_client_certificate, setup),
        cmocka_unit_test_setup(test_bad_calls, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
