/* Unit tests of the V2GTP header and of the stream receiver across partial reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "v2gtp/v2gtp.h"

static const uint16_t s_exi[] = {V2GTP_PT_EXI};

static void test_header(void **st)
{
    (void)st;
    uint8_t h[8];
    struct v2gtp_header d;
    enum v2gtp_reason r;
    v2gtp_header_write(h, V2GTP_PT_EXI, 0x01020304u);
    static const uint8_t want[8] = {0x01, 0xFE, 0x80, 0x01, 0x01, 0x02, 0x03, 0x04};
    assert_memory_equal(h, want, 8);
    assert_int_equal(v2gtp_header_check(h, s_exi, 1, 0x01020304u, &d, &r), HAL_OK);
    assert_int_equal(d.length, 0x01020304u);
    assert_int_equal(v2gtp_header_check(h, s_exi, 1, 0x01020303u, &d, &r), HAL_EPROTO);
    assert_int_equal(r, V2GTP_R_LENGTH);
    h[1] = 0xFF;
    assert_int_equal(v2gtp_header_check(h, s_exi, 1, 0xFFFFFFFFu, &d, &r), HAL_EPROTO);
    assert_int_equal(r, V2GTP_R_VERSION);
    v2gtp_header_write(h, 0x8002, 4);
    assert_int_equal(v2gtp_header_check(h, s_exi, 1, 100, &d, &r), HAL_EPROTO);
    assert_int_equal(r, V2GTP_R_TYPE);
    assert_int_equal(v2gtp_header_check(h, NULL, 0, 100, &d, &r), HAL_OK);
}

/* Two messages back to back, delivered one byte at a time and in odd chunks. */
static void test_framing_partial_reads(void **st)
{
    (void)st;
    static struct v2gtp_rx rx;
    uint8_t stream[8 + 5 + 8 + 3];
    v2gtp_header_write(stream, V2GTP_PT_EXI, 5);
    memcpy(&stream[8], "hello", 5);
    v2gtp_header_write(&stream[13], V2GTP_PT_EXI, 3);
    memcpy(&stream[21], "abc", 3);
    for (size_t chunk = 1; chunk <= sizeof stream; chunk++) {
        v2gtp_rx_init(&rx, s_exi, 1, 100);
        size_t pos = 0;
        int got = 0;
        while (pos < sizeof stream) {
            size_t n = sizeof stream - pos < chunk ? sizeof stream - pos : chunk;
            size_t used;
            int rc = v2gtp_rx_feed(&rx, &stream[pos], n, &used);
            pos += used;
            if (rc == HAL_OK) {
                if (got == 0) {
                    assert_int_equal(rx.h.length, 5);
                    assert_memory_equal(rx.payload, "hello", 5);
                } else {
                    assert_int_equal(rx.h.length, 3);
                    assert_memory_equal(rx.payload, "abc", 3);
                }
                got++;
                v2gtp_rx_next(&rx);
            } else {
                assert_int_equal(rc, HAL_EAGAIN);
                assert_int_equal(used, n);
            }
        }
        assert_int_equal(got, 2);
    }
}

static void test_bad_stream_stays_failed(void **st)
{
    (void)st;
    static struct v2gtp_rx rx;
    uint8_t h[8];
    size_t used;
    v2gtp_rx_init(&rx, s_exi, 1, 64);
    v2gtp_header_write(h, V2GTP_PT_EXI, 65); /* oversize */
    assert_int_equal(v2gtp_rx_feed(&rx, h, 8, &used), HAL_EPROTO);
    assert_int_equal(rx.reason, V2GTP_R_LENGTH);
    v2gtp_header_write(h, V2GTP_PT_EXI, 1);
    assert_int_equal(v2gtp_rx_feed(&rx, h, 8, &used), HAL_EPROTO);
    assert_int_equal(used, 0);
    /* a zero-length payload is a whole message */
    v2gtp_rx_init(&rx, s_exi, 1, 64);
    v2gtp_header_write(h, V2GTP_PT_EXI, 0);
    assert_int_equal(v2gtp_rx_feed(&rx, h, 8, &used), HAL_OK);
    assert_int_equal(rx.h.length, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_framing_partial_reads),
        cmocka_unit_test(test_bad_stream_stays_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
