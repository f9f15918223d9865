/*
 * test_cmocka_shim.c - self-test of the target cmocka shim (tests/target/cmocka.h).
 *
 * A test framework that cannot fail is worse than none, so this checks that
 * every assertion FAILS when it should (each "must_fail_*" test is a deliberate
 * failure and must be counted), passes when it should, that a failed assertion
 * stops the test at once, that skip() is not a failure, and that setup/teardown
 * failures count. main() returns 0 only if every count is exactly as expected.
 *
 * The "[  FAILED  ]" lines printed by the first group are expected output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

static int s_after_failure;   /* set by code that must never run */
static int s_teardown_runs;

static void must_fail_true(void **state) { (void)state; assert_true(0); s_after_failure++; }
static void must_fail_false(void **state) { (void)state; assert_false(1); s_after_failure++; }
static void must_fail_int_equal(void **state) { (void)state; assert_int_equal(-1, 1); s_after_failure++; }
static void must_fail_int_not_equal(void **state) { (void)state; assert_int_not_equal(7, 7); s_after_failure++; }
static void must_fail_null(void **state) { static int x; (void)state; assert_null(&x); s_after_failure++; }
static void must_fail_non_null(void **state) { (void)state; assert_non_null(NULL); s_after_failure++; }
static void must_fail_ptr_equal(void **state)
{
    static int a, b;
    (void)state;
    assert_ptr_equal(&a, &b);
    s_after_failure++;
}
static void must_fail_string_equal(void **state) { (void)state; assert_string_equal("abc", "abd"); s_after_failure++; }
static void must_fail_memory_equal(void **state)
{
    static const uint8_t a[4] = {1, 2, 3, 4};
    static const uint8_t b[4] = {1, 2, 9, 4};
    (void)state;
    assert_memory_equal(a, b, sizeof a);
    s_after_failure++;
}
static void must_fail_in_range(void **state) { (void)state; assert_in_range(11, 1, 10); s_after_failure++; }
static void must_fail_return_code(void **state) { (void)state; assert_return_code(-5, 0); s_after_failure++; }
static void must_fail_fail(void **state) { (void)state; fail(); s_after_failure++; }
static void must_fail_fail_msg(void **state) { (void)state; fail_msg("deliberate failure %d", 42); s_after_failure++; }
static void must_fail_in_helper_deep(int depth)
{
    if (depth == 0) {
        assert_int_equal(0, 1);
    } else {
        must_fail_in_helper_deep(depth - 1);
    }
    s_after_failure++;
}
static void must_fail_nested(void **state) { (void)state; must_fail_in_helper_deep(5); s_after_failure++; }
static int setup_fails(void **state) { (void)state; return -1; }
static void must_fail_by_setup(void **state) { (void)state; s_after_failure++; }
static int teardown_fails(void **state) { (void)state; s_teardown_runs++; return -1; }
static void must_fail_by_teardown(void **state) { (void)state; }
static int teardown_counts(void **state) { (void)state; s_teardown_runs++; return 0; }
static void must_fail_then_teardown(void **state) { (void)state; fail(); }
static void is_skipped(void **state) { (void)state; skip(); s_after_failure++; }

static void must_pass_all(void **state)
{
    static const uint8_t a[3] = {1, 2, 3};
    static const uint8_t b[3] = {1, 2, 3};
    static int x;
    int32_t minus_one = -1;
    const char *none = NULL;
    (void)state;
    assert_true(1);
    int *px = &x;
    assert_true(px);
    assert_false(0);
    assert_false(none);
    assert_int_equal(minus_one, -1);
    assert_int_equal(UINT32_MAX, 0xFFFFFFFFu);
    assert_int_not_equal(1, 2);
    assert_null(none);
    assert_non_null(&x);
    assert_ptr_equal(&x, &x);
    assert_ptr_not_equal(&x, a);
    assert_string_equal("charger", "charger");
    assert_string_not_equal("a", "b");
    assert_memory_equal(a, b, sizeof a);
    assert_in_range(5, 1, 10);
    assert_not_in_range(11, 1, 10);
    assert_return_code(0, 0);
    assert_float_equal(1.0f, 1.0005f, 0.001f);
    print_message("print_message works: %d %s\n", 7, "ok");
}

static int s_state_value = 1234;
static int setup_state(void **state) { *state = &s_state_value; return 0; }
static void must_pass_state(void **state) { assert_ptr_equal(*state, &s_state_value); }

int main(void)
{
    const struct CMUnitTest must_fail[] = {
        cmocka_unit_test(must_fail_true),
        cmocka_unit_test(must_fail_false),
        cmocka_unit_test(must_fail_int_equal),
        cmocka_unit_test(must_fail_int_not_equal),
        cmocka_unit_test(must_fail_null),
        cmocka_unit_test(must_fail_non_null),
        cmocka_unit_test(must_fail_ptr_equal),
        cmocka_unit_test(must_fail_string_equal),
        cmocka_unit_test(must_fail_memory_equal),
        cmocka_unit_test(must_fail_in_range),
        cmocka_unit_test(must_fail_return_code),
        cmocka_unit_test(must_fail_fail),
        cmocka_unit_test(must_fail_fail_msg),
        cmocka_unit_test(must_fail_nested),
        cmocka_unit_test_setup(must_fail_by_setup, setup_fails),
        cmocka_unit_test_teardown(must_fail_by_teardown, teardown_fails),
        cmocka_unit_test_teardown(must_fail_then_teardown, teardown_counts),
        cmocka_unit_test(is_skipped),
    };
    const struct CMUnitTest must_pass[] = {
        cmocka_unit_test(must_pass_all),
        cmocka_unit_test_setup(must_pass_state, setup_state),
        cmocka_unit_test(is_skipped),
    };
    const int expected_failures = (int)(sizeof must_fail / sizeof must_fail[0]) - 1;
    int bad = 0;

    print_message("=== the next group fails on purpose (%d failures expected) ===\n",
                  expected_failures);
    int nfail = cmocka_run_group_tests(must_fail, NULL, NULL);
    int npass_fail = cmocka_run_group_tests(must_pass, NULL, NULL);
    int ngroup_setup = cmocka_run_group_tests(must_pass, setup_fails, NULL);

    if (nfail != expected_failures) {
        print_error("SHIM SELF-TEST: %d failures counted, %d expected\n", nfail, expected_failures);
        bad = 1;
    }
    if (npass_fail != 0) {
        print_error("SHIM SELF-TEST: passing group reported %d failures\n", npass_fail);
        bad = 1;
    }
    if (ngroup_setup == 0) {
        print_error("SHIM SELF-TEST: failing group setup was not reported\n");
        bad = 1;
    }
    if (s_after_failure != 0) {
        print_error("SHIM SELF-TEST: code after a failed assertion ran %d time(s)\n",
                    s_after_failure);
        bad = 1;
    }
    if (s_teardown_runs != 2) {
        print_error("SHIM SELF-TEST: teardown ran %d times, 2 expected\n", s_teardown_runs);
        bad = 1;
    }
    print_message("SHIM SELF-TEST: %s\n", bad ? "BROKEN" : "ok (the failures above were expected)");
    return bad;
}
