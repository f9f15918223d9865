/* Unit tests of the ocpp.* keys' checks (boardlib/board_ocpp_config.c): the security
 * profiles of the OCPP 1.6 security whitepaper, each refusal naming its key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "board_ocpp.h"

static struct board_ocpp_config s_c;

static const char *refused(void)
{
    const char *key, *why;
    return board_ocpp_check(&s_c, &key, &why) == 0 ? "" : key;
}

static void set(char *dst, size_t n, const char *v)
{
    snprintf(dst, n, "%s", v);
}
#define SET(f, v) set(s_c.f, sizeof s_c.f, v)

static void base(unsigned profile, const char *url)
{
    board_ocpp_defaults(&s_c);
    s_c.security_profile = profile;
    SET(url, url);
    SET(identity, "CP-1");
}

static void test_profiles(void **state)
{
    (void)state;
    board_ocpp_defaults(&s_c);
    assert_string_equal(refused(), ""); /* no URL: no OCPP, nothing to check */
    assert_int_equal(s_c.security_profile, 1);

    base(1, "ws://csms.example:8080/ocpp");
    assert_string_equal(refused(), "ocpp.password_file");
    SET(password_file, "/pw");
    assert_string_equal(refused(), "");
    SET(identity, "");
    assert_string_equal(refused(), "ocpp.identity");
    SET(identity, "a/b");
    assert_string_equal(refused(), "ocpp.identity");
    SET(identity, "CP-1");
    SET(url, "http://csms");
    assert_string_equal(refused(), "ocpp.url");
    SET(url, "ws://csms/");
    assert_string_equal(refused(), "ocpp.url");
    SET(url, "wss://csms");
    assert_string_equal(refused(), "ocpp.security_profile"); /* wss:// is 2 or 3 */

    base(2, "ws://csms");
    SET(password_file, "/pw");
    assert_string_equal(refused(), "ocpp.url"); /* 2 needs TLS */
    SET(url, "wss://csms");
    assert_string_equal(refused(), "ocpp.ca");
    SET(ca, "/ca.pem");
    assert_string_equal(refused(), "");
    SET(client_cert, "/c.pem");
    assert_string_equal(refused(), "ocpp.client_cert"); /* a client certificate is 3 */

    base(3, "wss://csms");
    SET(ca, "/ca.pem");
    assert_string_equal(refused(), "ocpp.client_cert");
    SET(client_cert, "/c.pem");
    assert_string_equal(refused(), "ocpp.client_key");
    SET(client_key, "/k.pem");
    assert_string_equal(refused(), "");

    base(0, "ws://csms");
    assert_string_equal(refused(), "");
    SET(password_file, "/pw");
    assert_string_equal(refused(), "ocpp.password_file"); /* 0 sends none */
    base(4, "ws://csms");
    assert_string_equal(refused(), "ocpp.security_profile");

    /* ocpp.tls_url: the wss:// endpoint an upgrade from a ws:// profile 1 goes to */
    base(1, "ws://csms");
    SET(password_file, "/pw");
    SET(tls_url, "wss://csms:443/ocpp");
    assert_string_equal(refused(), "ocpp.ca"); /* its certificate is checked */
    SET(ca, "/ca.pem");
    assert_string_equal(refused(), "");
    SET(tls_url, "ws://csms:443");
    assert_string_equal(refused(), "ocpp.tls_url"); /* not TLS */
    SET(tls_url, "wss://csms/");
    assert_string_equal(refused(), "ocpp.tls_url");
    base(2, "wss://csms");
    SET(password_file, "/pw");
    SET(ca, "/ca.pem");
    SET(tls_url, "wss://other");
    assert_string_equal(refused(), "ocpp.tls_url"); /* only beside a ws:// URL */
}

static void test_password_length(void **state)
{
    (void)state;
    char path[] = "/tmp/test_board_ocpp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *key, *why;
    base(1, "ws://csms");
    SET(password_file, path);
    assert_int_equal(write(fd, "fifteen-chars-x\n", 16), 16);
    assert_int_equal(board_ocpp_check_files(&s_c, &key, &why), -1);
    assert_string_equal(key, "ocpp.password_file");
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(write(fd, "sixteen-chars-xx\r\n", 18), 18);
    assert_int_equal(board_ocpp_check_files(&s_c, &key, &why), 0);
    close(fd);
    unlink(path);
    assert_int_equal(board_ocpp_check_files(&s_c, &key, &why), -1); /* gone */
    SET(password_file, "");
    SET(ca, "/nonexistent/ca.pem");
    assert_int_equal(board_ocpp_check_files(&s_c, &key, &why), -1);
    assert_string_equal(key, "ocpp.ca");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_password_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
