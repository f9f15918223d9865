/* Unit tests of the shared OCPP payload schema checker (ocpp_chk): each violation kind gives the
 * CALLERROR code the modules answer (1.6 spellings), the reason names the field, the first
 * violation wins, and the readers' return values say read / absent / refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp/ocpp_chk.h"

static struct ocpp_json s_j;
static struct ocpp_chk s_k;

/* Parses @p t (one object) and starts a check of it; returns the object's token. */
static int start(const char *t)
{
    assert_int_equal(ocpp_json_parse(&s_j, t, strlen(t)), HAL_OK);
    ocpp_chk_start(&s_k, &s_j);
    assert_int_equal(s_k.err, OCPP_ERR_NONE);
    return 0;
}

static void assert_violation(enum ocpp_error e, const char *name, const char *why)
{
    assert_int_equal(s_k.err, e);
    assert_string_equal(ocpp_error_name(s_k.err), name);
    assert_string_equal(s_k.why, why);
}

static void test_clean_payload(void **state)
{
    (void)state;
    static const char *const keys[] = {"n", "s", "e", "t", "r", "o", NULL};
    static const char *const names[] = {"Hard", "Soft", NULL};
    int p = start("{\"n\": 42, \"s\": \"ab\\u0063\", \"e\": \"Soft\", \"t\": \"2026-01-02T03:04:05Z\", "
                  "\"r\": 16.5, \"o\": {}}");
    int64_t n = 0, t = 0;
    int32_t r = 0;
    char s[4];
    ocpp_chk_keys(&s_k, p, keys);
    assert_int_equal(ocpp_chk_int(&s_k, p, "n", true, 0, 100, &n), 1);
    assert_int_equal(n, 42);
    assert_int_equal(ocpp_chk_str(&s_k, p, "s", true, s, 3), 3);
    assert_string_equal(s, "abc");
    assert_int_equal(ocpp_chk_enum(&s_k, p, "e", true, names), 1);
    assert_int_equal(ocpp_chk_time(&s_k, p, "t", true, &t), 1);
    assert_int_equal(t, 1767323045);
    assert_int_equal(ocpp_chk_tenths(&s_k, p, "r", true, &r), 1);
    assert_int_equal(r, 165);
    assert_true(ocpp_chk_member(&s_k, p, "o", true, OCPP_J_OBJ) > 0);
    assert_int_equal(ocpp_chk_member(&s_k, p, "none", false, OCPP_J_OBJ), -1); /* optional, absent */
    assert_int_equal(s_k.err, OCPP_ERR_NONE);
    assert_null(s_k.why);
}

/* A required member missing: OccurenceConstraintViolation, the 1.6 spelling with one r. */
static void test_occurence(void **state)
{
    (void)state;
    static const char *const names[] = {"A", NULL};
    int64_t n = 7, t = 7;
    int32_t r = 7;
    char s[8];
    int p = start("{}");
    /* absent and optional: no violation, the outputs say "absent" */
    assert_int_equal(ocpp_chk_int(&s_k, p, "n", false, 0, 9, &n), 0);
    assert_int_equal(n, 7);
    assert_int_equal(ocpp_chk_str(&s_k, p, "s", false, s, 7), -1);
    assert_string_equal(s, "");
    assert_int_equal(ocpp_chk_enum(&s_k, p, "e", false, names), -1);
    assert_int_equal(ocpp_chk_time(&s_k, p, "t", false, &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ocpp_chk_tenths(&s_k, p, "r", false, &r), 0);
    assert_int_equal(s_k.err, OCPP_ERR_NONE);
    /* each reader, required */
    const char *fields[] = {"n", "s", "e", "t", "r", "o", "x"};
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        p = start("{}");
        switch (i) {
        case 0: assert_int_equal(ocpp_chk_int(&s_k, p, "n", true, 0, 9, &n), 0); break;
        case 1: assert_int_equal(ocpp_chk_str(&s_k, p, "s", true, s, 7), -1); break;
        case 2: assert_int_equal(ocpp_chk_enum(&s_k, p, "e", true, names), -1); break;
        case 3: assert_int_equal(ocpp_chk_time(&s_k, p, "t", true, &t), 0); break;
        case 4: assert_int_equal(ocpp_chk_tenths(&s_k, p, "r", true, &r), 0); break;
        case 5: assert_int_equal(ocpp_chk_member(&s_k, p, "o", true, OCPP_J_OBJ), -1); break;
        default: assert_int_equal(ocpp_chk_text(&s_k, p, "x", true, 9u, NULL, 0u), -1); break;
        }
        assert_violation(OCPP_ERR_OCCURENCE, "OccurenceConstraintViolation", fields[i]);
    }
}

/* A member of the wrong JSON type: TypeConstraintViolation. */
static void test_type(void **state)
{
    (void)state;
    static const char *const names[] = {"A", NULL};
    static const char *const keys[] = {NULL};
    int64_t n;
    int32_t r;
    char s[8];
    const char *fields[] = {"n", "f", "s", "e", "t", "r", "o"};
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int p = start("{\"n\": \"1\", \"f\": 1.5, \"s\": 1, \"e\": true, \"t\": 0, \"r\": \"1\", \"o\": []}");
        switch (i) {
        case 0: assert_int_equal(ocpp_chk_int(&s_k, p, "n", false, 0, 9, &n), -1); break;
        case 1: assert_int_equal(ocpp_chk_int(&s_k, p, "f", false, 0, 9, &n), -1); break;
        case 2: assert_int_equal(ocpp_chk_str(&s_k, p, "s", false, s, 7), -1); break;
        case 3: assert_int_equal(ocpp_chk_enum(&s_k, p, "e", false, names), -1); break;
        case 4: assert_int_equal(ocpp_chk_time(&s_k, p, "t", false, &n), -1); break;
        case 5: assert_int_equal(ocpp_chk_tenths(&s_k, p, "r", false, &r), -1); break;
        default: assert_int_equal(ocpp_chk_member(&s_k, p, "o", true, OCPP_J_OBJ), -1); break;
        }
        assert_violation(OCPP_ERR_TYPE, "TypeConstraintViolation", fields[i]);
    }
    /* a payload that is no object at all */
    start("[1]");
    ocpp_chk_keys(&s_k, 0, keys);
    assert_violation(OCPP_ERR_TYPE, "TypeConstraintViolation", "not an object");
}

/* A value the schema refuses (range, maxLength, enum, format, unknown member):
 * PropertyConstraintViolation. */
static void test_property(void **state)
{
    (void)state;
    static const char *const names[] = {"Hard", "Soft", NULL};
    static const char *const keys[] = {"n", "s", "e", "t", "z", "r", NULL};
    int64_t n;
    int32_t r;
    char s[4];
    const char *fields[] = {"n", "s", "e", "t", "z", "r", "unknown property"};
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int p = start("{\"n\": 10, \"s\": \"abcd\", \"e\": \"hard\", \"t\": \"2026-13-01T00:00:00Z\", "
                      "\"z\": \"1970-01-01T00:00:00Z\", \"r\": 16.55, \"extra\": 1}");
        switch (i) {
        case 0: assert_int_equal(ocpp_chk_int(&s_k, p, "n", true, 0, 9, &n), -1); break;
        case 1: assert_int_equal(ocpp_chk_str(&s_k, p, "s", true, s, 3), -1); break;
        case 2: assert_int_equal(ocpp_chk_enum(&s_k, p, "e", true, names), -1); break;
        case 3: assert_int_equal(ocpp_chk_time(&s_k, p, "t", true, &n), -1); break;
        case 4: /* the epoch itself is the modules' "no time" value: refused */
            assert_int_equal(ocpp_chk_time(&s_k, p, "z", true, &n), -1);
            assert_int_equal(n, 0);
            break;
        case 5: assert_int_equal(ocpp_chk_tenths(&s_k, p, "r", true, &r), -1); break;
        default: ocpp_chk_keys(&s_k, p, keys); break;
        }
        assert_violation(OCPP_ERR_PROPERTY, "PropertyConstraintViolation", fields[i]);
    }
    /* the range's bounds themselves are inside it */
    int p = start("{\"lo\": -3, \"hi\": 9}");
    assert_int_equal(ocpp_chk_int(&s_k, p, "lo", true, -3, 9, &n), 1);
    assert_int_equal(ocpp_chk_int(&s_k, p, "hi", true, -3, 9, &n), 1);
    assert_int_equal(s_k.err, OCPP_ERR_NONE);
}

/* A string the schema allows but the caller's buffer does not hold: -2, no violation; a NUL
 * character, which no C string can hold, is refused. */
static void test_text(void **state)
{
    (void)state;
    char b[4];
    int p = start("{\"s\": \"abcdef\", \"z\": \"a\\u0000b\"}");
    assert_int_equal(ocpp_chk_text(&s_k, p, "s", true, 10u, NULL, 0u), 6);
    assert_int_equal(ocpp_chk_text(&s_k, p, "s", true, 10u, b, sizeof b), -2);
    assert_int_equal(s_k.err, OCPP_ERR_NONE);
    assert_int_equal(ocpp_chk_str(&s_k, p, "z", true, b, 3), -1);
    assert_string_equal(b, "");
    assert_violation(OCPP_ERR_PROPERTY, "PropertyConstraintViolation", "z");
}

/* The first violation wins: later ones neither overwrite the code nor the reason; a missing
 * parent object reads as absent members, so a handler can read on after a refusal. */
static void test_first_wins(void **state)
{
    (void)state;
    static const char *const keys[] = {"a", NULL};
    int64_t n;
    char s[8];
    int p = start("{\"a\": \"x\", \"b\": 1}");
    ocpp_chk_int(&s_k, p, "a", true, 0, 9, &n); /* Type */
    ocpp_chk_keys(&s_k, p, keys);                 /* Property */
    ocpp_chk_str(&s_k, p, "c", true, s, 7);       /* Occurence */
    ocpp_chk_fail(&s_k, OCPP_ERR_FORMATION, "later");
    assert_violation(OCPP_ERR_TYPE, "TypeConstraintViolation", "a");

    p = start("{\"b\": 1}");
    ocpp_chk_fail(&s_k, OCPP_ERR_FORMATION, "bad frame");
    ocpp_chk_int(&s_k, p, "c", true, 0, 9, &n);
    assert_violation(OCPP_ERR_FORMATION, "FormationViolation", "bad frame");

    p = start("{\"b\": 1}");
    int o = ocpp_chk_member(&s_k, p, "missing", true, OCPP_J_OBJ);
    assert_int_equal(o, -1);
    assert_int_equal(ocpp_chk_int(&s_k, o, "x", true, 0, 9, &n), 0);
    assert_int_equal(ocpp_chk_str(&s_k, o, "y", true, s, 7), -1);
    assert_violation(OCPP_ERR_OCCURENCE, "OccurenceConstraintViolation", "missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_payload), cmocka_unit_test(test_occurence), cmocka_unit_test(test_type),
        cmocka_unit_test(test_property),      cmocka_unit_test(test_text),      cmocka_unit_test(test_first_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
