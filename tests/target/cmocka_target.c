/*
 * cmocka_target.c - the runner and assertions of the cmocka-compatible shim
 * (see cmocka.h for what is covered and why it exists).
 *
 * Plain C11 + the C library (stdio, string, setjmp), so it also builds on the
 * host, which is how its own self-test can be cross-checked there.
 *
 * Only one test runs at a time and the runner is not re-entrant: the state of
 * the test in progress lives in file statics (a test framework is the one place
 * where that is the honest design: an assertion deep inside a helper has no
 * other way to reach the runner).
 */
#include "cmocka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cmocka_target_outcome {
    CMOCKA_TARGET_PASSED = 0,
    CMOCKA_TARGET_FAILED,
    CMOCKA_TARGET_SKIPPED,
};

static jmp_buf s_env;
static int s_env_valid;

/* 64-bit numbers are formatted here rather than with %llu: newlib-nano's
 * printf has no long long support. */
static const char *cmocka_target_u64(char out[24], uint64_t v)
{
    char *p = &out[23];

    *p = '\0';
    do {
        *--p = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    return p;
}

static const char *cmocka_target_x64(char out[24], uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char *p = &out[23];

    *p = '\0';
    do {
        *--p = digits[v & 0xFu];
        v >>= 4;
    } while (v != 0u);
    *--p = 'x';
    *--p = '0';
    return p;
}

/* "decimal (0xhex)", or "-decimal (0xhex)" when the value looks like a
 * sign-extended negative number: int arguments arrive cast to uintmax_t. */
static void cmocka_target_format_int(char *buf, size_t size, uint64_t v)
{
    char d[24];
    char x[24];

    if (v >= 0x8000000000000000u) {
        (void)snprintf(buf, size, "-%s (%s)", cmocka_target_u64(d, (uint64_t)(0u - v)),
                       cmocka_target_x64(x, v));
    } else {
        (void)snprintf(buf, size, "%s (%s)", cmocka_target_u64(d, v), cmocka_target_x64(x, v));
    }
}

void vprint_message(const char *format, va_list args)
{
    char buf[256];

    (void)vsnprintf(buf, sizeof buf, format, args);
    (void)fputs(buf, stdout);
    (void)fflush(stdout);
}

void vprint_error(const char *format, va_list args)
{
    char buf[256];

    /* stdout first, so what was printed before the error comes out before it */
    (void)fflush(stdout);
    (void)vsnprintf(buf, sizeof buf, format, args);
    (void)fputs(buf, stderr);
    (void)fflush(stderr);
}

void print_message(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vprint_message(format, args);
    va_end(args);
}

void print_error(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vprint_error(format, args);
    va_end(args);
}

static void cmocka_target_stop(enum cmocka_target_outcome outcome) CMOCKA_NORETURN;

static void cmocka_target_stop(enum cmocka_target_outcome outcome)
{
    if (!s_env_valid) {
        /* An assertion outside any test (in main, or in a group fixture run
         * before the runner armed the jump) cannot be recovered: say so and
         * stop, with the failure visible in the exit status. */
        print_error("[  ERROR   ] assertion outside a running test\n");
        (void)fflush(stdout);
        exit(1);
    }
    longjmp(s_env, (int)outcome);
}

static void cmocka_target_report_line(const char *file, int line)
{
    print_error("[   LINE   ] --- %s:%d: error: Failure!\n", file, line);
}

void cmocka_target_fail(const char *file, int line)
{
    cmocka_target_report_line(file, line);
    cmocka_target_stop(CMOCKA_TARGET_FAILED);
}

void cmocka_target_skip(const char *file, int line)
{
    print_error("[   LINE   ] --- %s:%d: skipped\n", file, line);
    cmocka_target_stop(CMOCKA_TARGET_SKIPPED);
}

void cmocka_target_assert_true(int result, const char *expression, const char *file, int line)
{
    if (!result) {
        print_error("[  ERROR   ] --- %s\n", expression);
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_return_code(LargestIntegralType result, size_t rlen,
                                      LargestIntegralType error, const char *expression,
                                      const char *file, int line)
{
    /* The value was widened from an integer of rlen bytes: it is negative if
     * the sign bit of that width is set. */
    LargestIntegralType sign = rlen >= sizeof(LargestIntegralType)
                                   ? ((LargestIntegralType)1 << (8u * sizeof(LargestIntegralType) - 1u))
                                   : ((LargestIntegralType)1 << (8u * rlen - 1u));

    if ((result & sign) != 0u) {
        char e[48];

        cmocka_target_format_int(e, sizeof e, error);
        print_error("[  ERROR   ] --- %s < 0, errno(%s)\n", expression, e);
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_int(LargestIntegralType a, LargestIntegralType b, int want_equal,
                              const char *file, int line)
{
    if ((a == b) != (want_equal != 0)) {
        char sa[48];
        char sb[48];

        cmocka_target_format_int(sa, sizeof sa, a);
        cmocka_target_format_int(sb, sizeof sb, b);
        print_error("[  ERROR   ] --- %s %s %s\n", sa, want_equal ? "!=" : "==", sb);
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_float(float a, float b, float epsilon, int want_equal,
                                const char *file, int line)
{
    float diff = a > b ? a - b : b - a;
    int equal = diff <= epsilon;

    if (equal != (want_equal != 0)) {
        /* Printed as scaled integers: float printf is optional in newlib-nano. */
        print_error("[  ERROR   ] --- %ld/1e6 %s %ld/1e6 (epsilon %ld/1e6)\n",
                    (long)(a * 1e6f), want_equal ? "!=" : "==", (long)(b * 1e6f),
                    (long)(epsilon * 1e6f));
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_string(const char *a, const char *b, int want_equal, const char *file,
                                 int line)
{
    int equal;

    if (a == NULL || b == NULL) {
        equal = a == b;
    } else {
        equal = strcmp(a, b) == 0;
    }
    if (equal != (want_equal != 0)) {
        print_error("[  ERROR   ] --- \"%s\" %s \"%s\"\n", a != NULL ? a : "(null)",
                    want_equal ? "!=" : "==", b != NULL ? b : "(null)");
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_memory(const void *a, const void *b, size_t size, int want_equal,
                                 const char *file, int line)
{
    const unsigned char *pa = a;
    const unsigned char *pb = b;
    size_t first_diff = size;
    size_t ndiff = 0;

    if (pa == NULL || pb == NULL) {
        print_error("[  ERROR   ] --- memory comparison with a NULL pointer\n");
        cmocka_target_fail(file, line);
    }
    for (size_t i = 0; i < size; i++) {
        if (pa[i] != pb[i]) {
            if (ndiff == 0u) {
                first_diff = i;
            }
            ndiff++;
        }
    }
    if (want_equal && ndiff != 0u) {
        print_error("[  ERROR   ] --- %lu of %lu bytes differ, first at offset %lu: "
                    "0x%02x != 0x%02x\n",
                    (unsigned long)ndiff, (unsigned long)size, (unsigned long)first_diff,
                    pa[first_diff], pb[first_diff]);
        cmocka_target_fail(file, line);
    }
    if (!want_equal && ndiff == 0u) {
        print_error("[  ERROR   ] --- %lu bytes are the same\n", (unsigned long)size);
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_range(LargestIntegralType value, LargestIntegralType minimum,
                                LargestIntegralType maximum, int want_inside, const char *file,
                                int line)
{
    /* Compared unsigned, exactly as cmocka does. */
    int inside = value >= minimum && value <= maximum;

    if (inside != (want_inside != 0)) {
        char sv[48];
        char smin[48];
        char smax[48];

        cmocka_target_format_int(sv, sizeof sv, value);
        cmocka_target_format_int(smin, sizeof smin, minimum);
        cmocka_target_format_int(smax, sizeof smax, maximum);
        print_error("[  ERROR   ] --- %s is %sside the range %s..%s\n", sv,
                    want_inside ? "out" : "in", smin, smax);
        cmocka_target_fail(file, line);
    }
}

void cmocka_target_assert_set(LargestIntegralType value, const LargestIntegralType values[],
                              size_t number_of_values, int want_inside, const char *file,
                              int line)
{
    int inside = 0;

    for (size_t i = 0; i < number_of_values; i++) {
        if (values[i] == value) {
            inside = 1;
        }
    }
    if (inside != (want_inside != 0)) {
        char sv[48];

        cmocka_target_format_int(sv, sizeof sv, value);
        print_error("[  ERROR   ] --- %s is %s the set of %lu values\n", sv,
                    want_inside ? "not in" : "in", (unsigned long)number_of_values);
        cmocka_target_fail(file, line);
    }
}

/* Runs one fixture or test body under the jump buffer. Returns the outcome;
 * for a fixture, a non-zero return value is a failure too. */
static enum cmocka_target_outcome cmocka_target_guarded(CMUnitTestFunction test,
                                                        CMFixtureFunction fixture, void **state)
{
    volatile enum cmocka_target_outcome outcome = CMOCKA_TARGET_PASSED;

    s_env_valid = 1;
    /* setjmp only as a switch's controlling expression (C11 7.13.1.1). */
    switch (setjmp(s_env)) {
    case 0:
        if (test != NULL) {
            test(state);
        } else if (fixture(state) != 0) {
            outcome = CMOCKA_TARGET_FAILED;
        }
        break;
    case CMOCKA_TARGET_SKIPPED:
        outcome = CMOCKA_TARGET_SKIPPED;
        break;
    default:
        outcome = CMOCKA_TARGET_FAILED;
        break;
    }
    s_env_valid = 0;
    return outcome;
}

int cmocka_target_run_group(const char *group_name, const struct CMUnitTest *tests,
                            size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
    void *group_state = NULL;
    size_t passed = 0;
    size_t failed = 0;
    size_t skipped = 0;
    size_t run = 0;
    /* Names of failed tests for the closing list; tests beyond this many are
     * still counted, just not listed again. */
    const char *failed_names[64];
    size_t nlisted = 0;

    print_message("[==========] %s: Running %lu test(s).\n", group_name,
                  (unsigned long)num_tests);

    if (group_setup != NULL &&
        cmocka_target_guarded(NULL, group_setup, &group_state) != CMOCKA_TARGET_PASSED) {
        print_error("[  ERROR   ] %s: group setup failed; no test was run\n", group_name);
        print_error("[  FAILED  ] %s: %lu test(s) not run.\n", group_name,
                    (unsigned long)num_tests);
        return num_tests > 0u ? (int)num_tests : 1;
    }

    for (size_t i = 0; i < num_tests; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state != NULL ? t->initial_state : group_state;
        enum cmocka_target_outcome outcome = CMOCKA_TARGET_PASSED;

        print_message("[ RUN      ] %s\n", t->name);
        if (t->setup_func != NULL) {
            outcome = cmocka_target_guarded(NULL, t->setup_func, &state);
            if (outcome == CMOCKA_TARGET_FAILED) {
                print_error("[  ERROR   ] %s: setup failed\n", t->name);
            }
        }
        if (outcome == CMOCKA_TARGET_PASSED) {
            outcome = cmocka_target_guarded(t->test_func, NULL, &state);
            /* Teardown only after a setup that succeeded, as in cmocka. */
            if (t->teardown_func != NULL &&
                cmocka_target_guarded(NULL, t->teardown_func, &state) == CMOCKA_TARGET_FAILED) {
                print_error("[  ERROR   ] %s: teardown failed\n", t->name);
                outcome = CMOCKA_TARGET_FAILED;
            }
        }
        run++;
        switch (outcome) {
        case CMOCKA_TARGET_PASSED:
            passed++;
            print_message("[       OK ] %s\n", t->name);
            break;
        case CMOCKA_TARGET_SKIPPED:
            skipped++;
            print_message("[  SKIPPED ] %s\n", t->name);
            break;
        case CMOCKA_TARGET_FAILED:
        default:
            if (nlisted < sizeof failed_names / sizeof failed_names[0]) {
                failed_names[nlisted++] = t->name;
            }
            failed++;
            print_error("[  FAILED  ] %s\n", t->name);
            break;
        }
    }

    if (group_teardown != NULL &&
        cmocka_target_guarded(NULL, group_teardown, &group_state) != CMOCKA_TARGET_PASSED) {
        print_error("[  ERROR   ] %s: group teardown failed\n", group_name);
        failed++;
    }

    print_message("[==========] %s: %lu test(s) run.\n", group_name, (unsigned long)run);
    print_message("[  PASSED  ] %lu test(s).\n", (unsigned long)passed);
    if (skipped != 0u) {
        print_message("[  SKIPPED ] %lu test(s).\n", (unsigned long)skipped);
    }
    if (failed != 0u) {
        print_error("[  FAILED  ] %s: %lu test(s), listed below:\n", group_name,
                    (unsigned long)failed);
        for (size_t i = 0; i < nlisted; i++) {
            print_error("[  FAILED  ] %s\n", failed_names[i]);
        }
        print_error("\n %lu FAILED TEST(S)\n", (unsigned long)failed);
    }
    return failed > (size_t)INT32_MAX ? (int)INT32_MAX : (int)failed;
}
