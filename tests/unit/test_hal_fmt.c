/* Unit tests of the core's integer formatter (hal_fmt): the bounds of both types, the sign,
 * the returned length, that nothing is written past the NUL, and a round trip through strtoll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hal_fmt.h"

/* Formats @p v as unsigned or signed into a buffer pre-filled with 'x' and checks the text,
 * the length and that the NUL is the last byte written. */
static void check(bool is_signed, uint64_t v, const char *want)
{
    char b[HAL_FMT_I64_LEN + 4];
    memset(b, 'x', sizeof b);
    size_t n = is_signed ? hal_fmt_i64(b, (int64_t)v) : hal_fmt_u64(b, v);
    assert_string_equal(b, want);
    assert_int_equal(n, strlen(want));
    assert_int_equal(b[n + 1], 'x');
}

static void check_u64(uint64_t v, const char *want)
{
    check(false, v, want);
}

static void check_i64(int64_t v, const char *want)
{
    check(true, (uint64_t)v, want);
}

static void test_u64(void **state)
{
    (void)state;
    check_u64(0, "0");
    check_u64(7, "7");
    check_u64(10, "10");
    check_u64(4294967296u, "4294967296"); /* past 32 bits: where a 32-bit printf goes wrong */
    check_u64(UINT64_MAX, "18446744073709551615");
    assert_int_equal(strlen("18446744073709551615") + 1u, HAL_FMT_I64_LEN);
}

static void test_i64(void **state)
{
    (void)state;
    check_i64(0, "0");
    check_i64(-1, "-1");
    check_i64(1234567, "1234567");
    check_i64(-9000000000LL, "-9000000000");
    check_i64(INT64_MAX, "9223372036854775807");
    check_i64(INT64_MIN, "-9223372036854775808");
    assert_int_equal(strlen("-9223372036854775808") + 1u, HAL_FMT_I64_LEN);
}

static void test_round_trip(void **state)
{
    (void)state;
    /* Over a spread of values the text reads back as the same number (strtoll, not printf:
     * this test runs on the Cortex-M too, where newlib-nano has no "%lld"). */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> (unsigned)(i % 64));
        if (i & 1) {
            v = -v;
        }
        char got[HAL_FMT_I64_LEN], *end = NULL;
        size_t n = hal_fmt_i64(got, v);
        assert_true(strtoll(got, &end, 10) == (long long)v);
        assert_ptr_equal(end, got + n);
        assert_true(got[0] == '-' ? got[1] != '0' : (got[0] != '0' || n == 1)); /* no leading zero */
        uint64_t u = x >> (unsigned)(i % 64);
        n = hal_fmt_u64(got, u);
        assert_true(strtoull(got, &end, 10) == (unsigned long long)u);
        assert_ptr_equal(end, got + n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
