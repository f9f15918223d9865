/**
 * @file cmocka.h (target shim)
 * @brief A small cmocka-compatible test runner for bare-metal targets.
 *
 * WHY THIS EXISTS: Debian ships cmocka (libcmocka-dev 1.1.5) for the host only;
 * there is no arm-none-eabi build of it. So that the SAME tests/unit/test_*.c
 * files run on qemu-system-arm, the Cortex-M build puts `-Itests/target` first
 * on the include path and `<cmocka.h>` resolves to this file.
 *
 * THIS IS A SUBSET of the cmocka 1.1.5 API. Supported:
 *   struct CMUnitTest, CMUnitTestFunction, CMFixtureFunction, LargestIntegralType
 *   cmocka_unit_test, cmocka_unit_test_setup, cmocka_unit_test_teardown,
 *   cmocka_unit_test_setup_teardown, cmocka_unit_test_prestate,
 *   cmocka_unit_test_prestate_setup_teardown,
 *   cmocka_run_group_tests, cmocka_run_group_tests_name
 *   assert_true, assert_false, assert_return_code, assert_non_null, assert_null,
 *   assert_ptr_equal, assert_ptr_not_equal, assert_int_equal,
 *   assert_int_not_equal, assert_float_equal, assert_float_not_equal,
 *   assert_string_equal, assert_string_not_equal, assert_memory_equal,
 *   assert_memory_not_equal, assert_in_range, assert_not_in_range,
 *   assert_in_set, assert_not_in_set, fail, fail_msg, skip,
 *   print_message, print_error, vprint_message, vprint_error
 * NOT supported (a test that uses them fails to COMPILE for the target, never
 * silently passes): will_return/mock, expect_ and check_expected (parameter
 * checking), test_malloc/test_free and leak checking, mock_assert/expect_assert_failure,
 * cmocka_set_message_output (TAP/subunit/xml), CMOCKA_TEST_ABORT, the deprecated
 * unit_test()/run_tests() API. Our tests use fakes (ops tables), not mocks.
 *
 * Semantics kept from cmocka: a failed assertion ends the current test at once
 * (longjmp back to the runner), then its teardown runs; a failing setup fails
 * the test without running it; cmocka_run_group_tests() returns the number of
 * failed tests (0 = all passed, skipped tests are not failures), so
 * `return cmocka_run_group_tests(...)` from main() gives the exit status.
 * Output follows cmocka's default format ("[ RUN      ]", "[       OK ]",
 * "[  FAILED  ]", summary).
 *
 * Differences: assert_true/assert_false take any scalar (the value is tested
 * with `!!`, which also avoids a pointer-to-uint64 cast warning on 32-bit
 * targets); output goes through the C library's stdout/stderr.
 */
#ifndef CMOCKA_H_
#define CMOCKA_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/** Widest integer the integer assertions compare (as in cmocka). */
typedef uintmax_t LargestIntegralType;

#define cast_to_largest_integral_type(value) ((LargestIntegralType)(value))
#define cast_to_pointer_integral_type(value) ((uintptr_t)((size_t)(value)))
#define cast_ptr_to_largest_integral_type(value) \
    cast_to_largest_integral_type(cast_to_pointer_integral_type(value))

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

/** One test of a group (same layout as cmocka's). */
struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup(f, setup) {#f, f, setup, NULL, NULL}
#define cmocka_unit_test_teardown(f, teardown) {#f, f, NULL, teardown, NULL}
#define cmocka_unit_test_setup_teardown(f, setup, teardown) {#f, f, setup, teardown, NULL}
#define cmocka_unit_test_prestate(f, state) {#f, f, NULL, NULL, state}
#define cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, state) \
    {#f, f, setup, teardown, state}

#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                   \
    cmocka_target_run_group(#group_tests, group_tests,                                     \
                            sizeof(group_tests) / sizeof((group_tests)[0]), group_setup, \
                            group_teardown)
#define cmocka_run_group_tests_name(group_name, group_tests, group_setup, group_teardown) \
    cmocka_target_run_group(group_name, group_tests,                                      \
                            sizeof(group_tests) / sizeof((group_tests)[0]), group_setup,  \
                            group_teardown)

#define assert_true(c) cmocka_target_assert_true(!!(c), #c, __FILE__, __LINE__)
#define assert_false(c) cmocka_target_assert_true(!(c), "!(" #c ")", __FILE__, __LINE__)
#define assert_return_code(rc, error)                                                    \
    cmocka_target_assert_return_code(cast_to_largest_integral_type(rc), sizeof(rc),      \
                                     cast_to_largest_integral_type(error), #rc, __FILE__, \
                                     __LINE__)
#define assert_non_null(c) \
    cmocka_target_assert_true((c) != NULL, #c " != NULL", __FILE__, __LINE__)
#define assert_null(c) cmocka_target_assert_true((c) == NULL, #c " == NULL", __FILE__, __LINE__)
#define assert_ptr_equal(a, b)                                                  \
    cmocka_target_assert_int(cast_ptr_to_largest_integral_type(a),              \
                             cast_ptr_to_largest_integral_type(b), 1, __FILE__, \
                             __LINE__)
#define assert_ptr_not_equal(a, b)                                              \
    cmocka_target_assert_int(cast_ptr_to_largest_integral_type(a),              \
                             cast_ptr_to_largest_integral_type(b), 0, __FILE__, \
                             __LINE__)
#define assert_int_equal(a, b)                                                               \
    cmocka_target_assert_int(cast_to_largest_integral_type(a), cast_to_largest_integral_type(b), \
                             1, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                           \
    cmocka_target_assert_int(cast_to_largest_integral_type(a), cast_to_largest_integral_type(b), \
                             0, __FILE__, __LINE__)
#define assert_float_equal(a, b, epsilon) \
    cmocka_target_assert_float((float)(a), (float)(b), (float)(epsilon), 1, __FILE__, __LINE__)
#define assert_float_not_equal(a, b, epsilon) \
    cmocka_target_assert_float((float)(a), (float)(b), (float)(epsilon), 0, __FILE__, __LINE__)
#define assert_string_equal(a, b) \
    cmocka_target_assert_string((const char *)(a), (const char *)(b), 1, __FILE__, __LINE__)
#define assert_string_not_equal(a, b) \
    cmocka_target_assert_string((const char *)(a), (const char *)(b), 0, __FILE__, __LINE__)
#define assert_memory_equal(a, b, size)                                                   \
    cmocka_target_assert_memory((const void *)(a), (const void *)(b), (size_t)(size), 1, \
                                __FILE__, __LINE__)
#define assert_memory_not_equal(a, b, size)                                               \
    cmocka_target_assert_memory((const void *)(a), (const void *)(b), (size_t)(size), 0, \
                                __FILE__, __LINE__)
#define assert_in_range(value, minimum, maximum)                                           \
    cmocka_target_assert_range(cast_to_largest_integral_type(value),                       \
                               cast_to_largest_integral_type(minimum),                     \
                               cast_to_largest_integral_type(maximum), 1, __FILE__, __LINE__)
#define assert_not_in_range(value, minimum, maximum)                                       \
    cmocka_target_assert_range(cast_to_largest_integral_type(value),                       \
                               cast_to_largest_integral_type(minimum),                     \
                               cast_to_largest_integral_type(maximum), 0, __FILE__, __LINE__)
#define assert_in_set(value, values, number_of_values)                                  \
    cmocka_target_assert_set(cast_to_largest_integral_type(value), values, number_of_values, \
                             1, __FILE__, __LINE__)
#define assert_not_in_set(value, values, number_of_values)                              \
    cmocka_target_assert_set(cast_to_largest_integral_type(value), values, number_of_values, \
                             0, __FILE__, __LINE__)

#define fail() cmocka_target_fail(__FILE__, __LINE__)
#define skip() cmocka_target_skip(__FILE__, __LINE__)
#define fail_msg(msg, ...)                               \
    do {                                                 \
        print_error("ERROR: " msg "\n", ##__VA_ARGS__); \
        fail();                                          \
    } while (0)

#ifdef __GNUC__
#define CMOCKA_PRINTF_ATTRIBUTE(a, b) __attribute__((__format__(__printf__, a, b)))
#define CMOCKA_NORETURN __attribute__((__noreturn__))
#else
#define CMOCKA_PRINTF_ATTRIBUTE(a, b)
#define CMOCKA_NORETURN
#endif

/* Implementation entry points (tests/target/cmocka_target.c); use the macros. */
int cmocka_target_run_group(const char *group_name, const struct CMUnitTest *tests,
                            size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown);
void cmocka_target_assert_true(int result, const char *expression, const char *file, int line);
void cmocka_target_assert_return_code(LargestIntegralType result, size_t rlen,
                                      LargestIntegralType error, const char *expression,
                                      const char *file, int line);
void cmocka_target_assert_int(LargestIntegralType a, LargestIntegralType b, int want_equal,
                              const char *file, int line);
void cmocka_target_assert_float(float a, float b, float epsilon, int want_equal,
                                const char *file, int line);
void cmocka_target_assert_string(const char *a, const char *b, int want_equal,
                                 const char *file, int line);
void cmocka_target_assert_memory(const void *a, const void *b, size_t size, int want_equal,
                                 const char *file, int line);
void cmocka_target_assert_range(LargestIntegralType value, LargestIntegralType minimum,
                                LargestIntegralType maximum, int want_inside,
                                const char *file, int line);
void cmocka_target_assert_set(LargestIntegralType value, const LargestIntegralType values[],
                              size_t number_of_values, int want_inside, const char *file,
                              int line);
void cmocka_target_fail(const char *file, int line) CMOCKA_NORETURN;
void cmocka_target_skip(const char *file, int line) CMOCKA_NORETURN;

void print_message(const char *format, ...) CMOCKA_PRINTF_ATTRIBUTE(1, 2);
void print_error(const char *format, ...) CMOCKA_PRINTF_ATTRIBUTE(1, 2);
void vprint_message(const char *format, va_list args) CMOCKA_PRINTF_ATTRIBUTE(1, 0);
void vprint_error(const char *format, va_list args) CMOCKA_PRINTF_ATTRIBUTE(1, 0);

#endif /* CMOCKA_H_ */
