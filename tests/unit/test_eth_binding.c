/* Unit tests of the raw Ethernet binding (hal_eth.h): one EtherType per port, with an
 * optional 802.1Q VLAN and multicast, so GOOSE (0x88B8) and HomePlug (0x88E1) ports share
 * one interface; and the fake segment delivering by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_eth.h"
#include "hal_eth.h"

static const uint8_t s_a[6] = {0x02, 0, 0, 0, 0, 0x0A};
static const uint8_t s_b[6] = {0x02, 0, 0, 0, 0, 0x0B};
static const uint8_t s_goose_dst[6] = {0x01, 0x0C, 0xCD, 0x01, 0x00, 0x01};
static const uint8_t s_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* dst, src = b, [802.1Q tag with vlan], type, 46 payload bytes */
static size_t make_frame(uint8_t *f, const uint8_t dst[6], uint16_t vlan, uint16_t type)
{
    size_t n = 0;
    memcpy(f, dst, 6);
    memcpy(f + 6, s_b, 6);
    n = 12;
    if (vlan != 0u) {
        f[n++] = 0x81;
        f[n++] = 0x00;
        f[n++] = (uint8_t)(0xA0u | (vlan >> 8)); /* priority 5 */
        f[n++] = (uint8_t)vlan;
    }
    f[n++] = (uint8_t)(type >> 8);
    f[n++] = (uint8_t)type;
    memset(f + n, 0x5A, 46);
    return n + 46u;
}

static void test_check(void **state)
{
    (void)state;
    const struct hal_eth_binding hp = HAL_ETH_BINDING_HOMEPLUG;
    assert_int_equal(hal_eth_binding_check(&hp), HAL_OK);
    struct hal_eth_binding g = {HAL_ETH_TYPE_GOOSE, 4094, true};
    assert_int_equal(hal_eth_binding_check(&g), HAL_OK);
    g.vlan_id = 4095;
    assert_int_equal(hal_eth_binding_check(&g), HAL_EINVAL);
    struct hal_eth_binding len_not_type = {0x05DC, 0, false};
    assert_int_equal(hal_eth_binding_check(&len_not_type), HAL_EINVAL);
    struct hal_eth_binding tag = {HAL_ETH_TYPE_VLAN, 0, false};
    assert_int_equal(hal_eth_binding_check(&tag), HAL_EINVAL);
    assert_int_equal(hal_eth_binding_check(NULL), HAL_EINVAL);
}

static void test_match(void **state)
{
    (void)state;
    uint8_t f[80];
    const struct hal_eth_binding hp = HAL_ETH_BINDING_HOMEPLUG;
    struct hal_eth_binding goose = {HAL_ETH_TYPE_GOOSE, 0, true};
    struct hal_eth_binding goose_v5 = {HAL_ETH_TYPE_GOOSE, 5, true};

    size_t n = make_frame(f, s_a, 0, HAL_ETH_TYPE_HOMEPLUG);
    assert_true(hal_eth_binding_match(&hp, s_a, f, n));
    assert_false(hal_eth_binding_match(&goose, s_a, f, n)); /* wrong type */
    n = make_frame(f, s_bcast, 0, HAL_ETH_TYPE_HOMEPLUG);
    assert_true(hal_eth_binding_match(&hp, s_a, f, n));
    n = make_frame(f, s_b, 0, HAL_ETH_TYPE_HOMEPLUG);
    assert_false(hal_eth_binding_match(&hp, s_a, f, n)); /* someone else's unicast */

    n = make_frame(f, s_goose_dst, 0, HAL_ETH_TYPE_GOOSE);
    assert_true(hal_eth_binding_match(&goose, s_a, f, n));
    assert_false(hal_eth_binding_match(&goose_v5, s_a, f, n)); /* untagged */
    struct hal_eth_binding goose_nomc = {HAL_ETH_TYPE_GOOSE, 0, false};
    assert_false(hal_eth_binding_match(&goose_nomc, s_a, f, n)); /* multicast not asked for */
    n = make_frame(f, s_goose_dst, 0, HAL_ETH_TYPE_HOMEPLUG);
    assert_false(hal_eth_binding_match(&hp, s_a, f, n)); /* HomePlug stays unicast+broadcast */

    n = make_frame(f, s_goose_dst, 5, HAL_ETH_TYPE_GOOSE);
    assert_true(hal_eth_binding_match(&goose_v5, s_a, f, n));
    assert_false(hal_eth_binding_match(&goose, s_a, f, n)); /* tagged, port wants untagged */
    n = make_frame(f, s_goose_dst, 6, HAL_ETH_TYPE_GOOSE);
    assert_false(hal_eth_binding_match(&goose_v5, s_a, f, n)); /* other VLAN */
    n = make_frame(f, s_goose_dst, 5, HAL_ETH_TYPE_HOMEPLUG);
    assert_false(hal_eth_binding_match(&goose_v5, s_a, f, n)); /* right VLAN, wrong type */
    assert_false(hal_eth_binding_match(&goose_v5, s_a, f, 16)); /* truncated tag */
    assert_false(hal_eth_binding_match(&hp, s_a, f, 13));
}

static void test_fake_goose_beside_homeplug(void **state)
{
    (void)state;
    /* static: each fake port holds ~36 KiB of frames, too much for a target test's stack */
    static struct fake_eth_segment seg;
    static struct fake_eth slac, goose, tx;
    fake_eth_segment_init(&seg);
    assert_int_equal(fake_eth_init(&slac, &seg, s_a), HAL_OK);
    assert_int_equal(fake_eth_init(&goose, &seg, s_a), HAL_OK); /* same NIC, second binding */
    assert_int_equal(fake_eth_init(&tx, &seg, s_b), HAL_OK);
    const struct hal_eth_binding hp = HAL_ETH_BINDING_HOMEPLUG;
    struct hal_eth_binding g = {HAL_ETH_TYPE_GOOSE, 0, true};
    assert_int_equal(fake_eth_bind(&slac, &hp), HAL_OK);
    assert_int_equal(fake_eth_bind(&goose, &g), HAL_OK);
    struct hal_eth_binding bad = {0x0100, 0, false};
    assert_int_equal(fake_eth_bind(&goose, &bad), HAL_EINVAL);

    uint8_t f[80];
    size_t n = make_frame(f, s_goose_dst, 0, HAL_ETH_TYPE_GOOSE);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    n = make_frame(f, s_a, 0, HAL_ETH_TYPE_HOMEPLUG);
    assert_int_equal(hal_eth_send(&tx.base, f, n), HAL_OK);
    assert_int_equal(fake_eth_pending(&slac), 1);
    assert_int_equal(fake_eth_pending(&goose), 1);
    assert_int_equal(slac.not_for_us, 1);
    assert_int_equal(goose.not_for_us, 1);

    uint8_t r[HAL_ETH_FRAME_MAX];
    size_t len = 0;
    assert_int_equal(hal_eth_recv(&goose.base, r, sizeof r, &len), HAL_OK);
    assert_int_equal(r[12] << 8 | r[13], HAL_ETH_TYPE_GOOSE);
    assert_int_equal(hal_eth_recv(&slac.base, r, sizeof r, &len), HAL_OK);
    assert_int_equal(r[12] << 8 | r[13], HAL_ETH_TYPE_HOMEPLUG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_fake_goose_beside_homeplug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
