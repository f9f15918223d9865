/* Unit tests of the configuration reader: every kind of bad input gives a clear
 * error naming the line, the key and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

struct cfg {
    bool flag;
    uint32_t rate;
    char name[8];
    int mode;
};

static const char *const s_modes[] = {"off", "on", "auto", NULL};
static const struct config_key s_keys[] = {
    {.name = "a.flag", .type = CONFIG_BOOL, .offset = offsetof(struct cfg, flag)},
    {.name = "a.rate", .type = CONFIG_U32, .required = true, .offset = offsetof(struct cfg, rate),
     .min = 10, .max = 1000},
    {.name = "a.name", .type = CONFIG_STRING, .offset = offsetof(struct cfg, name),
     .size = sizeof(((struct cfg *)0)->name)},
    {.name = "a.mode", .type = CONFIG_ENUM, .offset = offsetof(struct cfg, mode), .names = s_modes},
};

static int parse(const char *text, size_t len, struct cfg *c, struct config_error *e)
{
    memset(c, 0, sizeof *c);
    memset(e, 0, sizeof *e);
    return config_parse(s_keys, sizeof s_keys / sizeof s_keys[0], c, text, len, e);
}

static int parse_str(const char *text, struct cfg *c, struct config_error *e)
{
    return parse(text, strlen(text), c, e);
}

static void test_valid(void **state)
{
    (void)state;
    struct cfg c;
    struct config_error e;
    const char *t = "# a comment\n\n  a.rate = 500 \r\na.flag=true\na.name = \"cp 1\"\na.mode = auto\n";
    assert_int_equal(parse_str(t, &c, &e), HAL_OK);
    assert_int_equal(c.rate, 500);
    assert_true(c.flag);
    assert_string_equal(c.name, "cp 1");
    assert_int_equal(c.mode, 2);
    /* last line without a newline, bare string */
    assert_int_equal(parse_str("a.rate=10\na.name=x", &c, &e), HAL_OK);
    assert_string_equal(c.name, "x");
    assert_false(c.flag); /* absent keys keep what the caller put there */
}

static void expect_error(const char *text, size_t len, unsigned line, const char *key,
                         const char *reason_part)
{
    struct cfg c;
    struct config_error e;
    assert_int_equal(parse(text, len, &c, &e), HAL_EINVAL);
    assert_int_equal(e.line, line);
    assert_string_equal(e.key, key);
    if (strstr(e.reason, reason_part) == NULL) {
        fail_msg("reason '%s' does not mention '%s'", e.reason, reason_part);
    }
}

#define EXPECT(text, line, key, reason) expect_error(text, strlen(text), line, key, reason)

static void test_missing_key(void **state)
{
    (void)state;
    EXPECT("a.flag = true\n", 0, "a.rate", "required key is missing");
}

static void test_wrong_type(void **state)
{
    (void)state;
    EXPECT("a.rate = fast\n", 1, "a.rate", "expected a whole number, got 'fast'");
    EXPECT("a.rate = -5\n", 1, "a.rate", "whole number");
    EXPECT("a.rate = 12.5\n", 1, "a.rate", "whole number");
    EXPECT("a.rate = 100\na.flag = yes\n", 2, "a.flag", "expected true or false, got 'yes'");
    EXPECT("a.rate = 100\na.mode = sometimes\n", 2, "a.mode", "not one of the allowed values");
    EXPECT("a.rate = 100\na.name = \"open\n", 2, "a.name", "unterminated");
}

static void test_out_of_range(void **state)
{
    (void)state;
    EXPECT("a.rate = 1001\n", 1, "a.rate", "value 1001 out of range 10..1000");
    EXPECT("a.rate = 9\n", 1, "a.rate", "out of range 10..1000");
    EXPECT("a.rate = 99999999999999999999\n", 1, "a.rate", "out of range");
    EXPECT("a.rate = 100\na.name = toolongname\n", 2, "a.name", "1..7 characters, got 11");
    EXPECT("a.rate = 100\na.name = \"\"\n", 2, "a.name", "1..7 characters, got 0");
}

static void test_unknown_and_duplicate(void **state)
{
    (void)state;
    EXPECT("a.rate = 100\na.colour = red\n", 2, "a.colour", "unknown key");
    EXPECT("a.rate = 100\n\na.rate = 200\n", 3, "a.rate", "given twice (first on line 1)");
    EXPECT("a.rate = 100\njust words\n", 2, "", "expected 'key = value'");
    EXPECT("a.rate = 100\n = 5\n", 2, "", "missing key");
    EXPECT("a.rate =\n", 1, "a.rate", "empty value");
}

static void test_empty_and_binary(void **state)
{
    (void)state;
    EXPECT("", 0, "", "the file is empty");
    EXPECT("\n\n   \n# only comments\n", 0, "", "the file is empty");
    static const char bin[] = {'a', '.', 'r', 'a', 't', 'e', '=', '1', '\0', '\x01', '\xff'};
    expect_error(bin, sizeof bin, 0, "", "control byte 0x00 at offset 8");
    static const char esc[] = "a.rate = 100\n\x1b[31m\n";
    expect_error(esc, sizeof esc - 1, 0, "", "control byte 0x1B");
    char long_line[300];
    memset(long_line, 'x', sizeof long_line);
    expect_error(long_line, sizeof long_line, 1, "", "longer than 255");
}

static void test_every_prefix_of_garbage_is_handled(void **state)
{
    (void)state;
    /* Bytes 0x20..0xFF in a fixed pseudo-random order, fed at every length: the reader
     * must return (HAL_OK or HAL_EINVAL) and never read past the given length. */
    char buf[512];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(0x20 + (x >> 16) % 0xE0);
        if ((x >> 8) % 17 == 0) {
            buf[i] = '\n';
        }
        if ((x >> 8) % 23 == 0) {
            buf[i] = '=';
        }
    }
    for (size_t n = 0; n <= sizeof buf; n++) {
        struct cfg c;
        struct config_error e;
        int rc = parse(buf, n, &c, &e);
        assert_true(rc == HAL_OK || rc == HAL_EINVAL);
        if (rc == HAL_EINVAL) {
            assert_true(strlen(e.reason) > 0);
        }
    }
}

/* Every problem, in file order, with its own line; the callback may stop early. */
struct seen {
    unsigned n;
    unsigned line[8];
    char key[8][48];
    unsigned stop_after; /* 0 = never */
};

static bool collect(void *ctx, const struct config_error *e)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        s->line[s->n] = e->line;
        memcpy(s->key[s->n], e->key, sizeof s->key[0]);
    }
    s->n++;
    return s->stop_after != 0 && s->n >= s->stop_after;
}

static void test_parse_all_reports_every_problem(void **state)
{
    (void)state;
    struct cfg c;
    struct seen s;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    const char *t = "a.flag = maybe\na.bogus = 1\na.name = x\na.mode = sideways\na.name = y\n";
    unsigned n = config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, t, strlen(t), collect, &s);
    /* flag, unknown, mode, duplicate, and the required a.rate absent */
    assert_int_equal(n, 5);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.line[0], 1);
    assert_string_equal(s.key[0], "a.flag");
    assert_int_equal(s.line[1], 2);
    assert_string_equal(s.key[1], "a.bogus");
    assert_int_equal(s.line[2], 4);
    assert_string_equal(s.key[2], "a.mode");
    assert_int_equal(s.line[3], 5);
    assert_string_equal(s.key[3], "a.name");
    assert_int_equal(s.line[4], 0);
    assert_string_equal(s.key[4], "a.rate");
    assert_string_equal(c.name, "x"); /* good lines between bad ones were read */
    /* the callback stops it */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    assert_int_equal(config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, t, strlen(t), collect, &s), 2);
    /* valid text: nothing reported; NULL callback just counts */
    assert_int_equal(config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, "a.rate = 20\n", 12, NULL, NULL), 0);
    assert_int_equal(config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, t, strlen(t), NULL, NULL), 5);
}

static void test_bom_is_named(void **state)
{
    (void)state;
    struct cfg c;
    struct config_error e;
    const char *t = "\xef\xbb\xbf" "a.rate = 20\n";
    assert_int_equal(parse_str(t, &c, &e), HAL_EINVAL);
    assert_int_equal(e.line, 1);
    assert_non_null(strstr(e.reason, "byte order mark"));
    struct seen s;
    memset(&s, 0, sizeof s);
    /* reported, then the rest is read: a.rate is there, nothing else is wrong */
    assert_int_equal(config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, t, strlen(t), collect, &s), 1);
    assert_int_equal(c.rate, 20);
    /* a BOM alone: named, and the file is empty */
    memset(&s, 0, sizeof s);
    assert_int_equal(config_parse_all(s_keys, sizeof s_keys / sizeof s_keys[0], &c, "\xef\xbb\xbf", 3, collect, &s), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_unknown_and_duplicate),
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_every_prefix_of_garbage_is_handled),
        cmocka_unit_test(test_parse_all_reports_every_problem),
        cmocka_unit_test(test_bom_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
