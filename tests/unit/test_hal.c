/* Unit tests of the shared HAL helpers: error strings, time arithmetic, store names,
 * log formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"
#include "hal_clock.h"
#include "hal_err.h"
#include "hal_log.h"
#include "hal_nvs.h"

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(hal_strerror(HAL_OK), "ok");
    for (int e = 0; e > -HAL_ERR_COUNT; e--) {
        const char *s = hal_strerror(e);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
        for (int f = e - 1; f > -HAL_ERR_COUNT; f--) {
            assert_string_not_equal(s, hal_strerror(f));
        }
    }
    assert_string_equal(hal_strerror(1), "unknown error");
    assert_string_equal(hal_strerror(-HAL_ERR_COUNT), "unknown error");
    assert_string_equal(hal_strerror(-1000), "unknown error");
}

static void test_time(void **state)
{
    (void)state;
    assert_true(hal_time_reached(100, 100));
    assert_false(hal_time_reached(99, 100));
    assert_true(hal_time_reached(5, UINT32_MAX - 5));   /* past the wrap */
    assert_false(hal_time_reached(UINT32_MAX - 5, 5));
    assert_int_equal(hal_time_diff(5, UINT32_MAX - 5), 11);
    assert_int_equal(hal_time_diff(UINT32_MAX - 5, 5), -11);
}

static void test_nvs_keys(void **state)
{
    (void)state;
    assert_int_equal(hal_nvs_key_check("journal"), HAL_OK);
    assert_int_equal(hal_nvs_key_check("boot_count.v1-a"), HAL_OK);
    assert_int_equal(hal_nvs_key_check(""), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check(NULL), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check("."), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check(".."), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check("../etc/passwd"), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check("a/b"), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check("Upper"), HAL_EINVAL);
    assert_int_equal(hal_nvs_key_check("0123456789012345678901234567890"), HAL_OK);
    assert_int_equal(hal_nvs_key_check("01234567890123456789012345678901"), HAL_EINVAL);
}

static void test_log_format_and_filter(void **state)
{
    (void)state;
    struct fake_log l;
    fake_log_init(&l);
    hal_logf(&l.base, HAL_LOG_INFO, 0, "x=%d", 42);
    assert_string_equal(l.last, "x=42");
    l.base.min_level = HAL_LOG_WARN;
    hal_logf(&l.base, HAL_LOG_INFO, 0, "dropped");
    assert_string_equal(l.last, "x=42");
    hal_logf(&l.base, HAL_LOG_ERROR, 0, "kept");
    assert_string_equal(l.last, "kept");
    hal_logf(NULL, HAL_LOG_ERROR, 0, "no sink is fine");
    char big[CFG_HAL_LOG_LINE_MAX * 2];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hal_logf(&l.base, HAL_LOG_ERROR, 0, "%s", big);
    assert_int_equal(strlen(l.last), CFG_HAL_LOG_LINE_MAX - 1);
    assert_string_equal(l.last + CFG_HAL_LOG_LINE_MAX - 4, "...");
    assert_string_equal(hal_log_level_name(HAL_LOG_WARN), "WARN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_nvs_keys),
        cmocka_unit_test(test_log_format_and_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
