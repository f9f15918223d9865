/* Unit tests of IPv4 and names in the network contract (hal_net.h): IPv4 in the IPv6
 * endpoint (::ffff:a.b.c.d), the dotted-quad parser, and tcp_connect_name on the fake
 * (a backend reached by name or IPv4 literal; an unknown name fails like a refusal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_net.h"
#include "hal_net.h"

static void test_v4_mapped(void **state)
{
    (void)state;
    struct hal_ip6_endpoint ep;
    memset(&ep, 0xAA, sizeof ep);
    const uint8_t v4[4] = {192, 0, 2, 7};
    hal_ip6_set_v4(&ep, v4, 9000);
    const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
    assert_memory_equal(ep.addr, want, 16);
    assert_int_equal(ep.port, 9000);
    assert_int_equal(ep.scope, 0);
    assert_true(hal_ip6_is_v4(&ep));
    ep.addr[10] = 0; /* ::c000:207 is an IPv6 address, not a mapped one */
    assert_false(hal_ip6_is_v4(&ep));
}

static void test_parse(void **state)
{
    (void)state;
    struct hal_ip6_endpoint ep;
    assert_int_equal(hal_ip4_parse("127.0.0.1", 80, &ep), HAL_OK);
    assert_true(hal_ip6_is_v4(&ep));
    assert_int_equal(ep.addr[12], 127);
    assert_int_equal(ep.addr[15], 1);
    assert_int_equal(hal_ip4_parse("255.255.255.255", 1, &ep), HAL_OK);
    assert_int_equal(hal_ip4_parse("0.0.0.0", 1, &ep), HAL_OK);
    static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
                                      "a.b.c.d", "1..2.3", "1.2.3.0004", "::1", "localhost",
                                      "-1.2.3.4", "1.2.3.4/24"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hal_ip4_parse(bad[i], 1, &ep), HAL_EINVAL);
    }
    assert_int_equal(hal_ip4_parse(NULL, 1, &ep), HAL_EINVAL);
}

/* connect, then one byte each way through the accepted connection */
static void roundtrip(struct fake_net *cli, struct fake_net *srv, int listener, int c)
{
    size_t n = 0;
    assert_true(c >= 0);
    assert_int_equal(hal_net_tcp_send(&cli->base, c, (const uint8_t *)"Q", 1, &n), HAL_OK);
    int a = hal_net_tcp_accept(&srv->base, listener, NULL);
    assert_true(a >= 0);
    uint8_t b = 0;
    assert_int_equal(hal_net_tcp_recv(&srv->base, a, &b, 1, &n), HAL_OK);
    assert_int_equal(b, 'Q');
    hal_net_close(&srv->base, a);
    hal_net_close(&cli->base, c);
}

static void test_fake_connect_name(void **state)
{
    (void)state;
    static struct fake_net_world w;
    static struct fake_net cli, srv;
    fake_net_world_init(&w);
    assert_int_equal(fake_net_init(&cli, &w, 1), HAL_OK);
    assert_int_equal(fake_net_init(&srv, &w, 2), HAL_OK);
    const uint8_t v4[4] = {10, 0, 0, 2};
    fake_net_set_v4(&srv, v4);
    fake_net_set_name(&srv, "csms.example");
    int l = hal_net_tcp_listen(&srv.base, 8180);
    assert_true(l >= 0);

    roundtrip(&cli, &srv, l, hal_net_tcp_connect_name(&cli.base, "csms.example", 8180));
    roundtrip(&cli, &srv, l, hal_net_tcp_connect_name(&cli.base, "10.0.0.2", 8180));
    struct hal_ip6_endpoint ep;
    assert_int_equal(hal_ip4_parse("10.0.0.2", 8180, &ep), HAL_OK);
    roundtrip(&cli, &srv, l, hal_net_tcp_connect(&cli.base, &ep));

    /* unknown name, other IPv4 address: a handle that is refused on first use */
    size_t n = 0;
    int c = hal_net_tcp_connect_name(&cli.base, "nosuch.example", 8180);
    assert_true(c >= 0);
    assert_int_equal(hal_net_tcp_send(&cli.base, c, (const uint8_t *)"Q", 1, &n), HAL_ECLOSED);
    hal_net_close(&cli.base, c);
    c = hal_net_tcp_connect_name(&cli.base, "10.0.0.3", 8180);
    assert_true(c >= 0);
    assert_int_equal(hal_net_tcp_send(&cli.base, c, (const uint8_t *)"Q", 1, &n), HAL_ECLOSED);
    hal_net_close(&cli.base, c);

    assert_int_equal(hal_net_tcp_connect_name(&cli.base, "", 8180), HAL_EINVAL);
    assert_int_equal(hal_net_tcp_connect_name(&cli.base, "csms.example", 0), HAL_EINVAL);
}

static void test_port_without_names(void **state)
{
    (void)state;
    static struct fake_net_world w;
    static struct fake_net cli;
    fake_net_world_init(&w);
    assert_int_equal(fake_net_init(&cli, &w, 1), HAL_OK);
    struct hal_net_ops ops = *cli.base.ops;
    ops.tcp_connect_name = NULL; /* a port that predates the operation */
    cli.base.ops = &ops;
    assert_int_equal(hal_net_tcp_connect_name(&cli.base, "localhost", 80), HAL_ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_mapped),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_fake_connect_name),
        cmocka_unit_test(test_port_without_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
