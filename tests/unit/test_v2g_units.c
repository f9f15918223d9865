/* Unit tests of the protocol-neutral PhysicalValue arithmetic (protocols/v2g/v2g_units.c)
 * and of the DIN and ISO-2 wrappers over it: both protocols must give the same numbers for
 * the same (value, multiplier), including the saturation a fuzzed wire can reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "din/din.h"
#include "iso2/iso2.h"
#include "v2g/v2g_units.h"

static void test_milli(void **state)
{
    (void)state;
    assert_true(v2g_units_milli(4000, -1) == 400000);
    assert_true(v2g_units_milli(24, -3) == 24);
    assert_true(v2g_units_milli(1, 2) == 100000);     /* Alpitronic's 100 A as (2, 1) */
    assert_true(v2g_units_milli(23009, -2) == 230090);
    assert_true(v2g_units_milli(-5, -4) == 0);        /* truncates toward zero */
    assert_true(v2g_units_milli(-15, -4) == -1);
    assert_true(v2g_units_milli(32767, 127) == INT64_MAX);
    assert_true(v2g_units_milli(-32768, 127) == INT64_MIN);
    assert_true(v2g_units_milli(32767, -128) == 0);
    assert_true(v2g_units_milli(32767, 3) == V2G_UNITS_MILLI_MAX);
}

static void test_sat32(void **state)
{
    (void)state;
    assert_int_equal(v2g_units_sat32(5), 5);
    assert_int_equal(v2g_units_sat32((int64_t)INT32_MAX + 1), INT32_MAX);
    assert_int_equal(v2g_units_sat32((int64_t)INT32_MIN - 1), INT32_MIN);
    assert_int_equal(v2g_units_sat32(INT64_MIN), INT32_MIN);
}

static void test_encode(void **state)
{
    (void)state;
    int16_t v;
    int8_t m;
    v2g_units_encode(400000, &v, &m);   /* 400 V: (-1, 4000), the finest that fits */
    assert_int_equal(m, -1);
    assert_int_equal(v, 4000);
    v2g_units_encode(24, &v, &m);
    assert_int_equal(m, -3);
    assert_int_equal(v, 24);
    v2g_units_encode(100000000, &v, &m); /* 100 kW: (1, 10000) */
    assert_int_equal(m, 1);
    assert_int_equal(v, 10000);
    /* 32767.5 units: rounds to 32768 at multiplier 0, too big, so 3277 x 10 (half away from zero) */
    v2g_units_encode(32767500, &v, &m);
    assert_int_equal(m, 1);
    assert_int_equal(v, 3277);
    v2g_units_encode(-32767500, &v, &m);
    assert_int_equal(m, 1);
    assert_int_equal(v, -3277);
    v2g_units_encode(1500, &v, &m);      /* 1.5 fits at -3 as it is: no rounding */
    assert_int_equal(m, -3);
    assert_int_equal(v, 1500);
    v2g_units_encode(INT64_MAX, &v, &m);
    assert_int_equal(m, 3);
    assert_int_equal(v, 32767);
    v2g_units_encode(INT64_MIN, &v, &m);
    assert_int_equal(m, 3);
    assert_int_equal(v, -32767);
}

/* DIN and ISO-2 are thin wrappers: the same numbers for every multiplier the wire carries. */
static void test_din_iso2_agree(void **state)
{
    (void)state;
    static const int16_t values[] = {0, 1, -1, 7, 4000, -4000, 32767, -32768};
    for (int mult = -3; mult <= 60; mult++) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            struct exi_din_PhysicalValueType d = {.Multiplier = (int8_t)mult, .Value = values[i]};
            struct exi_iso2_PhysicalValueType s = {.Multiplier = (int8_t)mult, .Value = values[i]};
            assert_true(din_pv_milli(&d) == iso2_pv_milli(&s));
            assert_int_equal(din_pv_milli32(&d), iso2_pv_milli32(&s));
        }
    }
    struct exi_din_PhysicalValueType d;
    struct exi_iso2_PhysicalValueType s;
    din_pv_set(&d, 412800, exi_din_unitSymbolType_V);
    iso2_pv_set(&s, 412800, exi_iso2_unitSymbolType_V);
    assert_int_equal(d.Multiplier, s.Multiplier);
    assert_int_equal(d.Value, s.Value);
    assert_true(d.Unit_isUsed);
    assert_int_equal(s.Unit, exi_iso2_unitSymbolType_V);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_milli),
        cmocka_unit_test(test_sat32),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_din_iso2_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
