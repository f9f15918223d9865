/* Unit tests of the OCPP JSON tokenizer and writer: structure and skip indices, every
 * malformation refused with its reason, string decoding (escapes, surrogates, UTF-8),
 * numbers as integers and fixed point, the writer's commas, escapes, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp/ocpp_json.h"

static struct ocpp_json s_j;

static int parse(const char *t)
{
    return ocpp_json_parse(&s_j, t, strlen(t));
}

static void test_structure(void **state)
{
    (void)state;
    const char *t = "[2, \"id1\", \"BootNotification\", {\"a\": [1, {\"x\": null}], \"b\": true, \"c\": \"s\"}]";
    assert_int_equal(parse(t), HAL_OK);
    assert_int_equal(ocpp_json_type(&s_j, 0), OCPP_J_ARR);
    assert_int_equal(ocpp_json_size(&s_j, 0), 4);
    int p = ocpp_json_at(&s_j, 0, 3);
    assert_int_equal(ocpp_json_type(&s_j, p), OCPP_J_OBJ);
    assert_int_equal(ocpp_json_size(&s_j, p), 3);
    /* "c" is found past the nested subtree of "a": the skip index works */
    int c = ocpp_json_get(&s_j, p, "c");
    assert_true(ocpp_json_streq(&s_j, c, "s"));
    assert_int_equal(ocpp_json_type(&s_j, ocpp_json_get(&s_j, p, "b")), OCPP_J_TRUE);
    assert_int_equal(ocpp_json_get(&s_j, p, "missing"), -1);
    assert_int_equal(ocpp_json_get(&s_j, 0, "a"), -1); /* not an object */
    int a = ocpp_json_get(&s_j, p, "a");
    assert_int_equal(ocpp_json_size(&s_j, a), 2);
    int e1 = ocpp_json_at(&s_j, a, 1);
    assert_int_equal(ocpp_json_type(&s_j, ocpp_json_get(&s_j, e1, "x")), OCPP_J_NULL);
    assert_int_equal(ocpp_json_at(&s_j, a, 2), -1);
    /* iteration */
    int n = 0;
    for (int e = ocpp_json_at(&s_j, a, 0); e >= 0; e = ocpp_json_next(&s_j, a, e)) {
        n++;
    }
    assert_int_equal(n, 2);
    /* the top-level container spans the whole text */
    assert_int_equal(s_j.tok[0].len, strlen(t));
    assert_int_equal(s_j.tok[0].next, s_j.ntok);
    /* empty containers and scalars at top level */
    assert_int_equal(parse(" {} "), HAL_OK);
    assert_int_equal(ocpp_json_size(&s_j, 0), 0);
    assert_int_equal(parse("[]"), HAL_OK);
    assert_int_equal(parse("[[],{}]"), HAL_OK);
    assert_int_equal(ocpp_json_size(&s_j, 0), 2);
    assert_int_equal(parse("-0.5e+3"), HAL_OK);
    assert_int_equal(parse("\"x\""), HAL_OK);
}

static void expect_bad(const char *t, const char *why)
{
    int rc = parse(t);
    if (rc != HAL_EPROTO) {
        fail_msg("accepted or wrong code %d: %s", rc, t);
    }
    assert_non_null(s_j.err);
    if (strstr(s_j.err, why) == NULL) {
        fail_msg("'%s': reason '%s', expected '%s'", t, s_j.err, why);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("   ", "empty");
    expect_bad("[1,2", "truncated");
    expect_bad("[1,]", "unexpected");
    expect_bad("[1 2]", "expected ','");
    expect_bad("{\"a\" 1}", "expected ':'");
    expect_bad("{\"a\":1,}", "expected a string key");
    expect_bad("{a:1}", "expected a string key");
    expect_bad("{\"a\":1]", "expected ',' or '}'");
    expect_bad("[1}", "expected ',' or ']'");
    expect_bad("[1] x", "data after");
    expect_bad("[tru]", "unexpected");
    expect_bad("[truex]", "unexpected");
    expect_bad("[nul]", "unexpected");
    expect_bad("[01]", "bad number");
    expect_bad("[1.]", "no digit after");
    expect_bad("[1e]", "no exponent");
    expect_bad("[-]", "bad number");
    expect_bad("[+1]", "unexpected");
    expect_bad("[1x]", "bad number");
    expect_bad("[\"a\nb\"]", "control character");
    expect_bad("[\"\\x\"]", "bad escape");
    expect_bad("[\"\\u12G4\"]", "bad \\u escape");
    expect_bad("[\"\\uD800\"]", "unpaired surrogate");
    expect_bad("[\"\\uDC00\"]", "unpaired surrogate");
    expect_bad("[\"\\uD800\\u0041\"]", "unpaired surrogate");
    expect_bad("[\"abc", "unterminated");
    expect_bad("[\"ab\\", "unterminated");
    expect_bad("[\"\xC0\xAF\"]", "UTF-8");         /* overlong '/' */
    expect_bad("[\"\xED\xA0\x80\"]", "UTF-8");     /* encoded surrogate */
    expect_bad("[\"\xF4\x90\x80\x80\"]", "UTF-8"); /* above U+10FFFF */
    expect_bad("[\"\xE2\x82\"]", "UTF-8");         /* truncated sequence */
    expect_bad("[\"\xFF\"]", "UTF-8");
    /* a NUL byte inside the text is not JSON */
    assert_int_equal(ocpp_json_parse(&s_j, "[1,\0]", 5), HAL_EPROTO);
    /* nesting limit */
    char deep[64];
    memset(deep, '[', OCPP_JSON_MAX_DEPTH + 1);
    deep[OCPP_JSON_MAX_DEPTH + 1] = '\0';
    expect_bad(deep, "too deep");
    memset(deep, '[', OCPP_JSON_MAX_DEPTH);
    memset(deep + OCPP_JSON_MAX_DEPTH, ']', OCPP_JSON_MAX_DEPTH);
    deep[2 * OCPP_JSON_MAX_DEPTH] = '\0';
    assert_int_equal(parse(deep), HAL_OK);
}

static void test_limits(void **state)
{
    (void)state;
    static char big[CFG_OCPP_JSON_TOKENS * 2 + 8];
    size_t n = 0;
    big[n++] = '[';
    for (unsigned i = 0; i < CFG_OCPP_JSON_TOKENS; i++) { /* one more token than fits */
        big[n++] = '0';
        big[n++] = ',';
    }
    big[n - 1] = ']';
    assert_int_equal(ocpp_json_parse(&s_j, big, n), HAL_ENOMEM);
    assert_non_null(strstr(s_j.err, "too many"));
    /* exactly the capacity fits */
    n = 0;
    big[n++] = '[';
    for (unsigned i = 0; i + 1 < CFG_OCPP_JSON_TOKENS; i++) {
        big[n++] = '0';
        big[n++] = ',';
    }
    big[n - 1] = ']';
    assert_int_equal(ocpp_json_parse(&s_j, big, n), HAL_OK);
    assert_int_equal(s_j.ntok, CFG_OCPP_JSON_TOKENS);
    assert_int_equal(ocpp_json_parse(&s_j, big, OCPP_JSON_MAX_TEXT + 1u), HAL_EOVERFLOW);
}

static void test_strings(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(parse("[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20AC\\uD83D\\uDE00\", \"plain\", \"x\\u0000y\"]"), HAL_OK);
    int t0 = ocpp_json_at(&s_j, 0, 0), t1 = ocpp_json_at(&s_j, 0, 1), t2 = ocpp_json_at(&s_j, 0, 2);
    assert_int_equal(ocpp_json_str(&s_j, t0, out, sizeof out), 9);
    assert_string_equal(out, "a\"b\\c/d\n\t");
    assert_true(ocpp_json_streq(&s_j, t0, "a\"b\\c/d\n\t"));
    assert_false(ocpp_json_streq(&s_j, t0, "a\"b\\c/d\n"));
    assert_false(ocpp_json_streq(&s_j, t0, "a\"b\\c/d\n\tX"));
    assert_int_equal(ocpp_json_str(&s_j, t1, out, sizeof out), 2 + 3 + 4);
    assert_string_equal(out, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    assert_int_equal(ocpp_json_strlen(&s_j, t1), 9);
    assert_true(ocpp_json_streq(&s_j, t2, "plain"));
    assert_false(ocpp_json_streq(&s_j, t2, "plai"));
    /* too small a buffer: refused, never truncated silently */
    assert_int_equal(ocpp_json_str(&s_j, t2, out, 5), HAL_EOVERFLOW);
    assert_int_equal(ocpp_json_str(&s_j, t2, out, 6), 5);
    /* an escaped NUL cannot go into a C string */
    assert_int_equal(ocpp_json_str(&s_j, ocpp_json_at(&s_j, 0, 3), out, sizeof out), HAL_EPROTO);
    /* not a string */
    assert_int_equal(parse("[1]"), HAL_OK);
    assert_int_equal(ocpp_json_str(&s_j, 1, out, sizeof out), HAL_EINVAL);
    assert_false(ocpp_json_streq(&s_j, 1, "1"));
    assert_int_equal(ocpp_json_strlen(&s_j, 1), -1);
    /* escaped keys match their decoded text */
    assert_int_equal(parse("{\"id\\u0054ag\":\"x\"}"), HAL_OK);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, 0, "idTag"), "x"));
}

static void test_numbers(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse("[0, -7, 3.0, 3.5, 1e3, 2.5E-1, 12.345, -0.05, 9223372036854775807, 9223372036854775808, 1e400, 100e-2, \"1\"]"), HAL_OK);
#define AT(n) ocpp_json_at(&s_j, 0, n)
    assert_int_equal(ocpp_json_int(&s_j, AT(0), &v), HAL_OK);
    assert_int_equal(v, 0);
    assert_int_equal(ocpp_json_int(&s_j, AT(1), &v), HAL_OK);
    assert_int_equal(v, -7);
    assert_int_equal(ocpp_json_int(&s_j, AT(2), &v), HAL_OK);
    assert_int_equal(v, 3);
    assert_int_equal(ocpp_json_int(&s_j, AT(3), &v), HAL_EINVAL); /* 3.5 is no integer */
    assert_int_equal(ocpp_json_int(&s_j, AT(4), &v), HAL_OK);
    assert_int_equal(v, 1000);
    assert_int_equal(ocpp_json_fixed(&s_j, AT(5), 3, &v), HAL_OK);
    assert_int_equal(v, 250);
    assert_int_equal(ocpp_json_fixed(&s_j, AT(6), 1, &v), HAL_OK);
    assert_int_equal(v, 123); /* truncated toward zero */
    assert_int_equal(ocpp_json_fixed(&s_j, AT(6), 3, &v), HAL_OK);
    assert_int_equal(v, 12345);
    assert_int_equal(ocpp_json_fixed(&s_j, AT(7), 2, &v), HAL_OK);
    assert_int_equal(v, -5);
    assert_int_equal(ocpp_json_fixed(&s_j, AT(7), 1, &v), HAL_OK);
    assert_int_equal(v, 0);
    assert_int_equal(ocpp_json_int(&s_j, AT(8), &v), HAL_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(ocpp_json_int(&s_j, AT(9), &v), HAL_EINVAL);
    assert_int_equal(ocpp_json_int(&s_j, AT(10), &v), HAL_EINVAL);
    assert_int_equal(ocpp_json_int(&s_j, AT(11), &v), HAL_OK);
    assert_int_equal(v, 1);
    assert_int_equal(ocpp_json_int(&s_j, AT(12), &v), HAL_EINVAL); /* a string is no number */
    assert_int_equal(ocpp_json_fixed(&s_j, AT(0), 7, &v), HAL_EINVAL);
    assert_int_equal(ocpp_json_int(&s_j, 999, &v), HAL_EINVAL);
#undef AT
}

static void test_writer(void **state)
{
    (void)state;
    char buf[256];
    struct ocpp_jw w;
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_jw_arr(&w);
    ocpp_jw_int(&w, 2);
    ocpp_jw_str(&w, "id");
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "k", "q\"\\\n\x01" "\xC3\xA9");
    ocpp_jw_kint(&w, "n", -42);
    ocpp_jw_key(&w, "f");
    ocpp_jw_fixed(&w, 125, 1);
    ocpp_jw_key(&w, "g");
    ocpp_jw_fixed(&w, -5, 2);
    ocpp_jw_key(&w, "h");
    ocpp_jw_fixed(&w, 3000, 3);
    ocpp_jw_key(&w, "a");
    ocpp_jw_arr(&w);
    ocpp_jw_bool(&w, true);
    ocpp_jw_null(&w);
    ocpp_jw_obj(&w);
    ocpp_jw_obj_end(&w);
    ocpp_jw_raw(&w, "[1]", 3);
    ocpp_jw_arr_end(&w);
    ocpp_jw_obj_end(&w);
    ocpp_jw_int(&w, INT64_MIN);
    ocpp_jw_arr_end(&w);
    int n = ocpp_jw_end(&w);
    const char *want = "[2,\"id\",{\"k\":\"q\\\"\\\\\\u000a\\u0001\xC3\xA9\",\"n\":-42,\"f\":12.5,"
                       "\"g\":-0.05,\"h\":3,\"a\":[true,null,{},[1]]},-9223372036854775808]";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    /* what we write, we read back */
    assert_int_equal(ocpp_json_parse(&s_j, buf, (size_t)n), HAL_OK);
    char out[16];
    assert_int_equal(ocpp_json_str(&s_j, ocpp_json_get(&s_j, 3, "k"), out, sizeof out), 7);
    assert_string_equal(out, "q\"\\\n\x01\xC3\xA9");

    /* overflow: reported, never written past, buffer NUL-terminated */
    char small[8];
    memset(small, 'Z', sizeof small);
    ocpp_jw_init(&w, small, 6);
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "key", "value");
    ocpp_jw_obj_end(&w);
    assert_int_equal(ocpp_jw_end(&w), HAL_EOVERFLOW);
    assert_int_equal(small[6], 'Z');
    assert_true(strlen(small) < 6);
    /* unbalanced */
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_jw_obj(&w);
    assert_int_equal(ocpp_jw_end(&w), HAL_EPROTO);
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_jw_obj_end(&w);
    assert_int_equal(ocpp_jw_end(&w), HAL_EOVERFLOW);
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_jw_obj(&w);
    ocpp_jw_key(&w, "dangling");
    ocpp_jw_obj_end(&w);
    assert_true(ocpp_jw_end(&w) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),    cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),   cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
