/* The libpcap port bound to one EtherType (linux_pcap_open_binding) on a real veth pair
 * made for the test (needs root, as the link group): GOOSE to a multicast group reaches
 * the GOOSE port and not the HomePlug one, HomePlug to our MAC reaches the HomePlug port
 * and not the GOOSE one, a VLAN-5 GOOSE frame reaches the VLAN-5 port with its tag, and
 * a frame of VLAN 6 does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_pcap.h"

static char s_a[16], s_b[16];

static int make_veth(void **state)
{
    (void)state;
    snprintf(s_a, sizeof s_a, "veg%da", (int)getpid() % 100000);
    snprintf(s_b, sizeof s_b, "veg%db", (int)getpid() % 100000);
    char cmd[200];
    snprintf(cmd, sizeof cmd,
             "ip link add %s type veth peer name %s && ip link set %s up && ip link set %s up",
             s_a, s_b, s_a, s_b);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_veth(void **state)
{
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "ip link del %s", s_a);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t vlan,
                    uint16_t type, uint8_t mark)
{
    size_t n = 12;
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    if (vlan != 0u) {
        f[n++] = 0x81;
        f[n++] = 0x00;
        f[n++] = (uint8_t)(vlan >> 8);
        f[n++] = (uint8_t)vlan;
    }
    f[n++] = (uint8_t)(type >> 8);
    f[n++] = (uint8_t)type;
    memset(f + n, mark, 46);
    return n + 46u;
}

/* Every frame waiting on @p p within @p ms: their marks (the first payload byte). */
static int drain(struct linux_pcap *p, uint8_t *marks, int max, int ms)
{
    int n = 0;
    for (int waited = 0; waited < ms; waited += 10) {
        uint8_t f[HAL_ETH_FRAME_MAX];
        size_t len = 0;
        while (hal_eth_recv(&p->base, f, sizeof f, &len) == HAL_OK && n < max) {
            size_t off = (f[12] == 0x81 && f[13] == 0x00) ? 18u : 14u;
            marks[n++] = f[off];
        }
        usleep(10000);
    }
    return n;
}

static void test_goose_beside_homeplug(void **state)
{
    (void)state;
    static struct linux_pcap hp, goose, goose5, tx;
    assert_int_equal(linux_pcap_open(&hp, s_a), HAL_OK);
    struct hal_eth_binding g = {HAL_ETH_TYPE_GOOSE, 0, true};
    assert_int_equal(linux_pcap_open_binding(&goose, s_a, &g), HAL_OK);
    struct hal_eth_binding g5 = {HAL_ETH_TYPE_GOOSE, 5, true};
    assert_int_equal(linux_pcap_open_binding(&goose5, s_a, &g5), HAL_OK);
    struct hal_eth_binding bad = {0x88B8, 4095, false};
    assert_int_equal(linux_pcap_open_binding(&tx, s_b, &bad), HAL_EINVAL);
    assert_int_equal(linux_pcap_open_binding(&tx, s_b, &g), HAL_OK);

    uint8_t own[6], src[6], f[80];
    assert_int_equal(hal_eth_mac(&hp.base, own), HAL_OK);
    assert_int_equal(hal_eth_mac(&tx.base, src), HAL_OK);
    static const uint8_t group[6] = {0x01, 0x0C, 0xCD, 0x01, 0x00, 0x01};
    size_t n = frame(f, group, src, 0, HAL_ETH_TYPE_GOOSE, 1);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    n = frame(f, own, src, 0, HAL_ETH_TYPE_HOMEPLUG, 2);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    n = frame(f, group, src, 5, HAL_ETH_TYPE_GOOSE, 3);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    n = frame(f, group, src, 6, HAL_ETH_TYPE_GOOSE, 4);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    n = frame(f, group, src, 0, HAL_ETH_TYPE_HOMEPLUG, 5); /* HomePlug stays unicast+broadcast */
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);

    uint8_t m[8];
    int k = drain(&hp, m, 8, 300);
    assert_int_equal(k, 1);
    assert_int_equal(m[0], 2);
    k = drain(&goose5, m, 8, 100);
    assert_int_equal(k, 1);
    assert_int_equal(m[0], 3);
    /* VLAN 0 means "no VLAN condition": untagged GOOSE for sure; the tagged ones too where
     * the driver strips tags before the filter runs (hal_eth.h says a port may not tell). */
    k = drain(&goose, m, 8, 100);
    assert_true(k >= 1);
    assert_int_equal(m[0], 1);
    for (int i = 1; i < k; i++) {
        assert_true(m[i] == 3 || m[i] == 4);
    }
    linux_pcap_close(&hp);
    linux_pcap_close(&goose);
    linux_pcap_close(&goose5);
    linux_pcap_close(&tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_goose_beside_homeplug, make_veth, remove_veth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
