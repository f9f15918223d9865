/* Unit tests of the shared Base64 decoder (protocols/base64): the RFC 4648 vectors, padding
 * optional, whitespace only when asked (PEM), data after the padding, characters outside the
 * alphabet, and an output that does not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64/base64.h"
#include "hal_err.h"

static int dec(const char *s, unsigned flags, uint8_t *out, size_t cap, size_t *n)
{
    return base64_decode(s, strlen(s), flags, out, cap, n);
}

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const in[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const want[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        uint8_t out[16];
        size_t n = 99;
        assert_int_equal(dec(in[i], 0u, out, sizeof out, &n), HAL_OK);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(out, want[i], n);
    }
    /* Padding is optional (OCMF values come both ways). */
    uint8_t out[8];
    size_t n = 0;
    assert_int_equal(dec("Zm8", 0u, out, sizeof out, &n), HAL_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "fo", 2);
    /* All 64 characters. */
    assert_int_equal(dec("+/+/", 0u, out, sizeof out, &n), HAL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0xFB);
    assert_int_equal(out[1], 0xFF);
    assert_int_equal(out[2], 0xBF);
}

static void test_whitespace(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n = 0;
    /* A PEM body: line breaks (CRLF too), spaces, and a line break after the padding. */
    assert_int_equal(dec("Zm9v\r\nYmE=\n", BASE64_SKIP_SPACE, out, sizeof out, &n), HAL_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "fooba", 5);
    assert_int_equal(dec(" Zm 9v\tYmFy ", BASE64_SKIP_SPACE, out, sizeof out, &n), HAL_OK);
    assert_int_equal(n, 6);
    /* Without the flag whitespace is outside data's alphabet. */
    assert_int_equal(dec("Zm9v\nYmFy", 0u, out, sizeof out, &n), HAL_EINVAL);
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 0;
    assert_int_equal(dec("Zm9v!", 0u, out, sizeof out, &n), HAL_EINVAL);
    assert_int_equal(dec("Zm-v", 0u, out, sizeof out, &n), HAL_EINVAL);     /* base64url is not ours */
    assert_int_equal(dec("Zg==Zg==", 0u, out, sizeof out, &n), HAL_EINVAL); /* data after the padding */
    assert_int_equal(dec("Zg=\n=x", BASE64_SKIP_SPACE, out, sizeof out, &n), HAL_EINVAL);
    assert_int_equal(dec("Zg\x80", 0u, out, sizeof out, &n), HAL_EINVAL);
    /* Does not fit: 6 bytes into 4. */
    assert_int_equal(dec("Zm9vYmFy", 0u, out, sizeof out, &n), HAL_ENOMEM);
    assert_int_equal(dec("Zm9vYg==", 0u, out, sizeof out, &n), HAL_OK);
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
