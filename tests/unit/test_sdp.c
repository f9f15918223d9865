/* Unit tests of SDP: the request and response layouts, strict parsing, server choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sdp/sdp.h"

static void test_request(void **st)
{
    (void)st;
    uint8_t b[SDP_REQ_LEN + 1];
    struct sdp_request r = {.security = SDP_SEC_NONE, .transport = SDP_TRANSPORT_TCP}, d;
    sdp_request_write(&r, b);
    static const uint8_t want[10] = {0x01, 0xfe, 0x90, 0x00, 0, 0, 0, 2, 0x10, 0x00};
    assert_memory_equal(b, want, 10);
    assert_int_equal(sdp_request_parse(b, 10, &d), HAL_OK);
    assert_int_equal(d.security, SDP_SEC_NONE);
    b[10] = 0;
    assert_int_equal(sdp_request_parse(b, 11, &d), HAL_EPROTO); /* not exactly 10 */
    assert_int_equal(sdp_request_parse(b, 9, &d), HAL_EPROTO);
    b[1] = 0xFF;
    assert_int_equal(sdp_request_parse(b, 10, &d), HAL_EPROTO);
    b[1] = 0xFE;
    b[3] = 0x01; /* a response type */
    assert_int_equal(sdp_request_parse(b, 10, &d), HAL_EPROTO);
    b[3] = 0x00;
    b[8] = 0x20; /* unknown security */
    assert_int_equal(sdp_request_parse(b, 10, &d), HAL_EPROTO);
}

static void test_response_and_server_choice(void **st)
{
    (void)st;
    struct sdp_server_offer o = {.tcp_port = 15118, .tls_port = 0};
    o.addr[0] = 0xfe;
    o.addr[1] = 0x80;
    o.addr[15] = 0x0e;
    struct sdp_request tls = {.security = SDP_SEC_TLS, .transport = SDP_TRANSPORT_TCP};
    struct sdp_request tcp = {.security = SDP_SEC_NONE, .transport = SDP_TRANSPORT_TCP};
    struct sdp_request udp = {.security = SDP_SEC_NONE, .transport = SDP_TRANSPORT_UDP};
    struct sdp_response res, d;
    /* TLS asked, only TCP offered: the other variant */
    assert_int_equal(sdp_server_answer(&o, &tls, &res), HAL_OK);
    assert_int_equal(res.security, SDP_SEC_NONE);
    assert_int_equal(res.port, 15118);
    uint8_t b[SDP_RES_LEN];
    sdp_response_write(&res, b);
    assert_int_equal(b[24], 0x3b);
    assert_int_equal(b[25], 0x0e);
    assert_int_equal(b[7], 20);
    assert_int_equal(sdp_response_parse(b, sizeof b, &d), HAL_OK);
    assert_memory_equal(d.addr, o.addr, 16);
    assert_int_equal(sdp_server_answer(&o, &udp, &res), HAL_ENOTSUP);
    o.tls_port = 55119;
    assert_int_equal(sdp_server_answer(&o, &tls, &res), HAL_OK);
    assert_int_equal(res.security, SDP_SEC_TLS);
    assert_int_equal(res.port, 55119);
    o.tcp_port = 0;
    assert_int_equal(sdp_server_answer(&o, &tcp, &res), HAL_OK);
    assert_int_equal(res.security, SDP_SEC_TLS);
    /* a response announcing port 0 is refused */
    res.port = 0;
    sdp_response_write(&res, b);
    assert_int_equal(sdp_response_parse(b, sizeof b, &d), HAL_EPROTO);
    assert_int_equal(sdp_response_parse(b, sizeof b - 1, &d), HAL_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_response_and_server_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
