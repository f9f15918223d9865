/* Unit tests of HMAC-SHA256 (protocols/sha256/hmac_sha256.c) against RFC 4231. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sha256/hmac_sha256.h"

static void hex(const char *s, uint8_t *out)
{
    for (size_t i = 0; s[2 * i] != '\0'; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + (size_t)k];
            v = v * 16u + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
}

static void check(const uint8_t *key, size_t klen, const char *data, const char *want_hex)
{
    uint8_t want[32], got[32];
    hex(want_hex, want);
    hmac_sha256(key, klen, (const uint8_t *)data, strlen(data), got);
    assert_memory_equal(got, want, 32);
    /* streamed in two pieces gives the same */
    struct hmac_sha256 h;
    size_t half = strlen(data) / 2u;
    hmac_sha256_init(&h, key, klen);
    hmac_sha256_update(&h, (const uint8_t *)data, half);
    hmac_sha256_update(&h, (const uint8_t *)data + half, strlen(data) - half);
    hmac_sha256_final(&h, got);
    assert_memory_equal(got, want, 32);
}

static void test_rfc4231_case1(void **state)
{
    (void)state;
    uint8_t key[20];
    memset(key, 0x0b, sizeof key);
    check(key, sizeof key, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_rfc4231_case2(void **state)
{
    (void)state;
    check((const uint8_t *)"Jefe", 4u, "what do ya want for nothing?",
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_rfc4231_case6_long_key(void **state)
{
    (void)state;
    uint8_t key[131];
    memset(key, 0xaa, sizeof key);
    check(key, sizeof key, "Test Using Larger Than Block-Size Key - Hash Key First",
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    memset(a, 7, sizeof a);
    memcpy(b, a, sizeof b);
    assert_true(hmac_sha256_equal(a, b));
    b[31] ^= 1u;
    assert_false(hmac_sha256_equal(a, b));
    b[31] ^= 1u;
    b[0] ^= 0x80u;
    assert_false(hmac_sha256_equal(a, b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231_case1),
        cmocka_unit_test(test_rfc4231_case2),
        cmocka_unit_test(test_rfc4231_case6_long_key),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
