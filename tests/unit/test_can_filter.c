/* Unit tests of CAN receive filters (hal_can_set_filters): the list check, the match of
 * 11- and 29-bit frames by id/mask, and the fake, which drops what does not pass as a
 * controller would, so two drivers on one bus each see only their own identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_can.h"
#include "hal_can.h"

static struct hal_can_frame frame(uint32_t id, uint8_t flags)
{
    struct hal_can_frame f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.flags = flags;
    f.dlc = 1;
    return f;
}

static void test_check(void **state)
{
    (void)state;
    struct hal_can_filter ok[2] = {{0x100, 0x7F0, 0}, {0x1FFFFFFF, 0x1FFFFFFF, HAL_CAN_FLAG_EXT}};
    assert_int_equal(hal_can_filters_check(ok, 2), HAL_OK);
    assert_int_equal(hal_can_filters_check(NULL, 0), HAL_OK);
    assert_int_equal(hal_can_filters_check(NULL, 1), HAL_EINVAL);
    struct hal_can_filter std_too_big = {0x800, 0x7FF, 0};
    assert_int_equal(hal_can_filters_check(&std_too_big, 1), HAL_EINVAL);
    struct hal_can_filter mask_too_big = {0x100, 0xFFF, 0};
    assert_int_equal(hal_can_filters_check(&mask_too_big, 1), HAL_EINVAL);
    struct hal_can_filter rtr_flag = {0x100, 0x7FF, HAL_CAN_FLAG_RTR};
    assert_int_equal(hal_can_filters_check(&rtr_flag, 1), HAL_EINVAL);
    struct hal_can_filter many[HAL_CAN_MAX_FILTERS + 1];
    memset(many, 0, sizeof many);
    assert_int_equal(hal_can_filters_check(many, HAL_CAN_MAX_FILTERS), HAL_OK);
    assert_int_equal(hal_can_filters_check(many, HAL_CAN_MAX_FILTERS + 1), HAL_EINVAL);
}

static void test_match(void **state)
{
    (void)state;
    /* InfyPower answers (29-bit, 0x02 group in bits 20..28 masked) and a standard-id range */
    struct hal_can_filter fl[2] = {{0x02000000, 0x1FF00000, HAL_CAN_FLAG_EXT}, {0x180, 0x7F0, 0}};
    struct hal_can_frame f = frame(0x0207F0A3, HAL_CAN_FLAG_EXT);
    assert_true(hal_can_filter_match(fl, 2, &f));
    f = frame(0x0307F0A3, HAL_CAN_FLAG_EXT);
    assert_false(hal_can_filter_match(fl, 2, &f));
    f = frame(0x18A, 0);
    assert_true(hal_can_filter_match(fl, 2, &f));
    f = frame(0x19A, 0);
    assert_false(hal_can_filter_match(fl, 2, &f));
    /* the format must match: a 29-bit frame with id 0x18A is not the 11-bit 0x18A */
    f = frame(0x18A, HAL_CAN_FLAG_EXT);
    assert_false(hal_can_filter_match(fl, 2, &f));
    /* mask 0 passes every frame of its format only */
    struct hal_can_filter all_std = {0, 0, 0};
    f = frame(0x7FF, 0);
    assert_true(hal_can_filter_match(&all_std, 1, &f));
    f = frame(0x7FF, HAL_CAN_FLAG_EXT);
    assert_false(hal_can_filter_match(&all_std, 1, &f));
    /* no list: everything */
    assert_true(hal_can_filter_match(NULL, 0, &f));
}

static void test_fake_shares_bus(void **state)
{
    (void)state;
    struct fake_can c;
    fake_can_init(&c);
    struct hal_can_frame f = frame(0x123, 0);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK); /* before any filter: received */
    struct hal_can_filter fl[2] = {{0x100, 0x700, 0}, {0x00ABCD00, 0x00FFFF00, HAL_CAN_FLAG_EXT}};
    assert_int_equal(hal_can_set_filters(&c.base, fl, 2), HAL_OK);
    f = frame(0x223, 0);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK); /* dropped */
    f = frame(0x1AB, 0);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK); /* passes */
    f = frame(0x10ABCD42, HAL_CAN_FLAG_EXT);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK); /* passes */
    f = frame(0x10ABCE42, HAL_CAN_FLAG_EXT);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK); /* dropped */
    assert_int_equal(c.filtered, 2);

    uint32_t want[3] = {0x123, 0x1AB, 0x10ABCD42};
    for (int i = 0; i < 3; i++) {
        struct hal_can_frame r;
        assert_int_equal(hal_can_recv(&c.base, &r), HAL_OK);
        assert_int_equal(r.id, want[i]);
    }
    struct hal_can_frame r;
    assert_int_equal(hal_can_recv(&c.base, &r), HAL_EAGAIN);

    /* a bad list is refused and the old one stays */
    struct hal_can_filter bad = {0x800, 0x7FF, 0};
    assert_int_equal(hal_can_set_filters(&c.base, &bad, 1), HAL_EINVAL);
    assert_int_equal(c.nfilters, 2);
    /* count 0: everything again */
    assert_int_equal(hal_can_set_filters(&c.base, NULL, 0), HAL_OK);
    f = frame(0x223, 0);
    assert_int_equal(fake_can_push(&c, &f), HAL_OK);
    assert_int_equal(hal_can_recv(&c.base, &r), HAL_OK);
    assert_int_equal(r.id, 0x223);
}

static void test_port_without_filters(void **state)
{
    (void)state;
    struct fake_can c;
    fake_can_init(&c);
    struct hal_can_ops ops = *c.base.ops;
    ops.set_filters = NULL; /* a port that predates the operation */
    c.base.ops = &ops;
    struct hal_can_filter fl = {0x100, 0x700, 0};
    assert_int_equal(hal_can_set_filters(&c.base, &fl, 1), HAL_ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_fake_shares_bus),
        cmocka_unit_test(test_port_without_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
