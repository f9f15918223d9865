/**
 * @file test_exi_stream.c
 * @brief Unit tests of the EXI runtime (bit stream, integers, strings, binary,
 *        bounds, header byte) and of the generated decoders on malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "exi/exi_apphand.h"
#include "exi/exi_din.h"
#include "exi/exi_iso20_ac.h"
#include "exi/exi_stream.h"
#include "hal_err.h"

/* Static: a decoded document is large (see docs/exi.md), never on the stack. */
static struct exi_din_document s_din;
static struct exi_apphand_document s_app;
static struct exi_iso20_ac_document s_ac;

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (h[0] && h[1] && n < cap) {
        unsigned v = 0;
        for (int i = 0; i < 2; i++) {
            char c = h[i];
            v = v * 16U + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static void test_bits_msb_first(void **state)
{
    (void)state;
    const uint8_t b[] = {0xA5, 0x3C, 0xFF, 0x00, 0x81};
    struct exi_reader r;
    exi_reader_init(&r, b, sizeof b);
    assert_int_equal(exi_rd_bits(&r, 1), 1);
    assert_int_equal(exi_rd_bits(&r, 3), 2);
    assert_int_equal(exi_rd_bits(&r, 4), 5);
    assert_int_equal(exi_rd_bits(&r, 12), 0x3CF);
    assert_int_equal(exi_rd_bits(&r, 12), 0xF00);
    /* last byte through the slow path */
    assert_int_equal(exi_rd_bits(&r, 7), 0x40);
    assert_int_equal(exi_rd_bits(&r, 1), 1);
    assert_int_equal(r.error, EXI_OK);
    assert_int_equal(exi_rd_bits(&r, 1), 0);
    assert_int_equal(r.error, EXI_E_EOF);
    /* sticky: stays at the end, keeps the first error */
    assert_int_equal(r.bit, 40);
    (void)exi_rd_fail(&r, EXI_E_VALUE);
    assert_int_equal(r.error, EXI_E_EOF);
    assert_int_equal(exi_rd_result(&r), HAL_EPROTO);
}

static void test_writer_roundtrip_bits(void **state)
{
    (void)state;
    uint8_t buf[16];
    memset(buf, 0xEE, sizeof buf);
    struct exi_writer w;
    exi_writer_init(&w, buf, sizeof buf);
    for (unsigned i = 1; i <= 13; i++) {
        exi_wr_bits(&w, i, (i * 37U) & ((1U << i) - 1U));
    }
    assert_int_equal(w.error, EXI_OK);
    assert_int_equal(w.bit, 91);
    assert_int_equal(exi_writer_len(&w), 12);
    /* padding bits of the last byte are zero */
    assert_int_equal(buf[11] & 0x1F, 0);
    struct exi_reader r;
    exi_reader_init(&r, buf, exi_writer_len(&w));
    for (unsigned i = 1; i <= 13; i++) {
        assert_int_equal(exi_rd_bits(&r, i), (i * 37U) & ((1U << i) - 1U));
    }
}

static void test_writer_full(void **state)
{
    (void)state;
    uint8_t buf[2];
    struct exi_writer w;
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_bits(&w, 9, 0x1FF);
    exi_wr_bits(&w, 7, 0x55);
    assert_int_equal(w.error, EXI_OK);
    assert_int_equal(buf[0], 0xFF);
    assert_int_equal(buf[1], 0xD5);
    exi_wr_bits(&w, 1, 1);
    assert_int_equal(w.error, EXI_E_OUTPUT_FULL);
    assert_int_equal(exi_wr_finish(&w), HAL_ENOMEM);
    /* a zero-sized buffer is safe */
    exi_writer_init(&w, NULL, 0);
    exi_wr_header(&w);
    assert_int_equal(w.error, EXI_E_OUTPUT_FULL);
}

static void test_unsigned_integer(void **state)
{
    (void)state;
    static const uint64_t vals[] = {0, 1, 127, 128, 1200, 4128, 65535, 16777214, 0xFFFFFFFFULL, UINT64_MAX};
    uint8_t buf[64];
    struct exi_writer w;
    exi_writer_init(&w, buf, sizeof buf);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        exi_wr_uint(&w, vals[i]);
    }
    /* fact sheet examples: 1200 -> b0 09, 4128 -> a0 20 */
    assert_int_equal(buf[0], 0x00);
    assert_int_equal(buf[1], 0x01);
    assert_int_equal(buf[2], 0x7F);
    assert_int_equal(buf[3], 0x80);
    assert_int_equal(buf[4], 0x01);
    assert_int_equal(buf[5], 0xB0);
    assert_int_equal(buf[6], 0x09);
    assert_int_equal(buf[7], 0xA0);
    assert_int_equal(buf[8], 0x20);
    struct exi_reader r;
    exi_reader_init(&r, buf, exi_writer_len(&w));
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        assert_true(exi_rd_uint64(&r) == vals[i]);
    }
    assert_int_equal(r.error, EXI_OK);
    /* bounded reads */
    exi_reader_init(&r, buf + 5, 2);
    assert_int_equal(exi_rd_uint32(&r, 1000), 0);
    assert_int_equal(r.error, EXI_E_VALUE);
}

static void test_unsigned_overlong(void **state)
{
    (void)state;
    /* 11 continuation octets: longer than any 64-bit value */
    uint8_t b[12];
    memset(b, 0xFF, sizeof b);
    b[11] = 0x01;
    struct exi_reader r;
    exi_reader_init(&r, b, sizeof b);
    (void)exi_rd_uint64(&r);
    assert_int_equal(r.error, EXI_E_VALUE);
    /* truncated in the middle of an integer */
    exi_reader_init(&r, b, 3);
    (void)exi_rd_uint64(&r);
    assert_int_equal(r.error, EXI_E_EOF);
}

static void test_signed_integer(void **state)
{
    (void)state;
    static const int64_t vals[] = {0, 10, -1, -20, 127, -128, 32767, -32768, INT64_MAX, INT64_MIN};
    uint8_t buf[128];
    struct exi_writer w;
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_int(&w, 10);
    exi_wr_int(&w, -1);
    /* 10 -> 0 00001010, -1 -> 1 00000000 */
    assert_int_equal(buf[0], 0x05);
    assert_int_equal(buf[1], 0x40);
    assert_int_equal(buf[2], 0x00);
    exi_writer_init(&w, buf, sizeof buf);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        exi_wr_int(&w, vals[i]);
        exi_wr_el_int(&w, vals[i]);
    }
    struct exi_reader r;
    exi_reader_init(&r, buf, exi_writer_len(&w));
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        assert_true(exi_rd_int64(&r) == vals[i]);
        assert_true(exi_rd_el_int64(&r) == vals[i]);
    }
    assert_int_equal(r.error, EXI_OK);
    /* element form with range check */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_el_int(&w, 40000);
    exi_reader_init(&r, buf, exi_writer_len(&w));
    (void)exi_rd_el_int32(&r, -32768, 32767);
    assert_int_equal(r.error, EXI_E_VALUE);
}

static void test_element_fused_reads(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct exi_writer w;
    struct exi_reader r;
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_el_uint(&w, 5);
    exi_wr_el_uint(&w, 300);
    exi_wr_el_int(&w, -200);
    exi_wr_el_nbit(&w, 3, 6, 6);
    exi_wr_bits(&w, 1, 0); /* parent EE */
    exi_reader_init(&r, buf, exi_writer_len(&w));
    assert_int_equal(exi_rd_el_uint32(&r, 1000), 5);
    assert_int_equal(exi_rd_el_uint32_x(&r, 0, 0, 1000), 300);
    assert_int_equal(exi_rd_el_int32_x(&r, 0, 0, -32768, 32767), -200);
    assert_int_equal(exi_rd_el_nbit_x(&r, EXI_X_SPEC(0U, 3U, 1U), 6), 6);
    assert_int_equal(r.error, EXI_OK);
    /* an escape instead of CH is rejected */
    const uint8_t esc[] = {0x80, 0x00, 0x00, 0x00};
    exi_reader_init(&r, esc, sizeof esc);
    (void)exi_rd_el_nbit(&r, 3, 7);
    assert_int_equal(r.error, EXI_E_EVENT);
    /* n-bit value above the maximum */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_bits(&w, 5, 7U << 1);
    exi_reader_init(&r, buf, 4);
    (void)exi_rd_el_nbit(&r, 3, 6);
    assert_int_equal(r.error, EXI_E_VALUE);
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_el_nbit(&w, 3, 7, 6);
    assert_int_equal(w.error, EXI_E_VALUE);
}

static void test_strings(void **state)
{
    (void)state;
    uint8_t buf[64];
    char out[16];
    uint16_t len = 99;
    struct exi_writer w;
    struct exi_reader r;
    /* "ZZ00000" -> 09 then 7 one-octet code points */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_string(&w, "ZZ00000", 7, 16);
    assert_int_equal(buf[0], 0x09);
    assert_int_equal(buf[1], 'Z');
    exi_reader_init(&r, buf, exi_writer_len(&w));
    exi_rd_string(&r, out, &len, sizeof out);
    assert_int_equal(len, 7);
    assert_memory_equal(out, "ZZ00000", 7);
    /* non-ASCII: length counts code points, storage is UTF-8 */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_string(&w, "\xc3\xa9\xe2\x82\xac", 5, 16);
    assert_int_equal(buf[0], 0x04);
    exi_reader_init(&r, buf, exi_writer_len(&w));
    exi_rd_string(&r, out, &len, sizeof out);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "\xc3\xa9\xe2\x82\xac", 5);
    /* too long for the destination: error, nothing written past it */
    exi_reader_init(&r, buf, exi_writer_len(&w));
    exi_rd_string(&r, out, &len, 4);
    assert_int_equal(r.error, EXI_E_STRING_BOUND);
    assert_int_equal(len, 0);
    /* string table hits (L+2 < 2) are rejected */
    const uint8_t hit[] = {0x00, 0x00};
    exi_reader_init(&r, hit, sizeof hit);
    exi_rd_string(&r, out, &len, sizeof out);
    assert_int_equal(r.error, EXI_E_STRING_TABLE);
    /* invalid UTF-8 cannot be encoded */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_string(&w, "\xc3", 1, 16);
    assert_int_equal(w.error, EXI_E_CHAR);
    /* surrogate code point is rejected on decode */
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_uint(&w, 3);
    exi_wr_uint(&w, 0xD800);
    exi_reader_init(&r, buf, exi_writer_len(&w));
    exi_rd_string(&r, out, &len, sizeof out);
    assert_int_equal(r.error, EXI_E_CHAR);
}

static void test_empty_element_forms(void **state)
{
    (void)state;
    char out[8];
    uint8_t bin[8];
    uint16_t len = 9;
    struct exi_reader r;
    /* CH + length 0 (+ EE) */
    const uint8_t ch_empty[] = {0x01, 0x00};
    exi_reader_init(&r, ch_empty, sizeof ch_empty);
    exi_rd_el_string(&r, out, &len, sizeof out);
    assert_int_equal(r.error, EXI_OK);
    assert_int_equal(len, 0);
    /* escape + second-level EE (3-bit 0): EXIficient's <X/> */
    const uint8_t esc_ee[] = {0x80};
    len = 9;
    exi_reader_init(&r, esc_ee, sizeof esc_ee);
    exi_rd_el_binary(&r, bin, &len, sizeof bin);
    assert_int_equal(r.error, EXI_OK);
    assert_int_equal(len, 0);
    assert_int_equal(r.bit, 4);
    /* escape + anything else (xsi:type...) is not supported */
    const uint8_t esc_other[] = {0x90};
    exi_reader_init(&r, esc_other, sizeof esc_other);
    exi_rd_el_binary(&r, bin, &len, sizeof bin);
    assert_int_equal(r.error, EXI_E_UNSUPPORTED);
}

static void test_binary(void **state)
{
    (void)state;
    uint8_t src[200], dst[200], buf[256];
    uint16_t len;
    for (size_t i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i * 7U + 3U);
    }
    struct exi_writer w;
    struct exi_reader r;
    for (unsigned shift = 0; shift < 8; shift++) {
        exi_writer_init(&w, buf, sizeof buf);
        if (shift) {
            exi_wr_bits(&w, shift, 0);
        }
        exi_wr_binary(&w, src, sizeof src, sizeof src);
        assert_int_equal(w.error, EXI_OK);
        exi_reader_init(&r, buf, exi_writer_len(&w));
        if (shift) {
            (void)exi_rd_bits(&r, shift);
        }
        exi_rd_binary(&r, dst, &len, sizeof dst);
        assert_int_equal(r.error, EXI_OK);
        assert_int_equal(len, sizeof src);
        assert_memory_equal(dst, src, sizeof src);
        /* capacity one short */
        exi_reader_init(&r, buf, exi_writer_len(&w));
        if (shift) {
            (void)exi_rd_bits(&r, shift);
        }
        exi_rd_binary(&r, dst, &len, sizeof src - 1);
        assert_int_equal(r.error, EXI_E_BINARY_BOUND);
        /* declared length runs past the end of the stream */
        exi_reader_init(&r, buf, exi_writer_len(&w) - 2);
        if (shift) {
            (void)exi_rd_bits(&r, shift);
        }
        exi_rd_binary(&r, dst, &len, sizeof dst);
        assert_int_equal(r.error, EXI_E_EOF);
    }
    exi_writer_init(&w, buf, sizeof buf);
    exi_wr_binary(&w, src, 10, 9);
    assert_int_equal(w.error, EXI_E_BINARY_BOUND);
}

static void test_header_byte(void **state)
{
    (void)state;
    uint8_t b[64];
    struct exi_reader r;
    size_t n = unhex("809a02004080c1014181c210b800", b, sizeof b);
    /* Tesla ContractAuthenticationReq with one trailing byte: accepted */
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_din_decode(&r, &s_din), HAL_OK);
    assert_true(s_din.V2G_Message_isUsed);
    assert_true(s_din.V2G_Message.Body.ContractAuthenticationReq_isUsed);
    assert_int_equal((r.bit + 7) / 8, n - 1);
    /* any other first byte is rejected */
    static const uint8_t heads[] = {0x40, 0x01, 0x00, 0x81, 0x88, 0xA0, 0x24};
    for (size_t i = 0; i < sizeof heads; i++) {
        b[0] = heads[i];
        exi_reader_init(&r, b, n);
        assert_int_equal(exi_din_decode(&r, &s_din), HAL_EPROTO);
        assert_int_equal(r.error, EXI_E_HEADER);
    }
    exi_reader_init(&r, b, 0);
    assert_int_equal(exi_din_decode(&r, &s_din), HAL_EPROTO);
    assert_int_equal(r.error, EXI_E_EOF);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    uint8_t b[64];
    struct exi_reader r;
    size_t n = unhex("809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a150"
                     "3c00",
                     b, sizeof b);
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_din_decode(&r, &s_din), HAL_OK);
    /* every shorter prefix fails cleanly (the last byte is only padding) */
    for (size_t k = 0; k + 1 < n; k++) {
        exi_reader_init(&r, b, k);
        assert_int_not_equal(exi_din_decode(&r, &s_din), HAL_OK);
        assert_true(r.bit <= k * 8);
    }
    /* flipping any single bit either decodes or fails with a reason */
    for (size_t bit = 8; bit < n * 8; bit++) {
        b[bit / 8] ^= (uint8_t)(0x80U >> (bit % 8));
        exi_reader_init(&r, b, n);
        int rc = exi_din_decode(&r, &s_din);
        assert_true(rc == HAL_OK || (r.error != EXI_OK && exi_error_str(r.error)[0] != '\0'));
        b[bit / 8] ^= (uint8_t)(0x80U >> (bit % 8));
    }
}

static void test_array_bounds_and_max(void **state)
{
    (void)state;
    uint8_t b[2048];
    uint8_t out[2048];
    struct exi_reader r;
    struct exi_writer w;
    /* AppProtocol 1..20: fill to the schema maximum and check the code width
     * change after the 20th (the EE of the list is then a 1-bit code) */
    memset(&s_app, 0, sizeof s_app);
    s_app.supportedAppProtocolReq_isUsed = true;
    struct exi_apphand_supportedAppProtocolReq *q = &s_app.supportedAppProtocolReq;
    for (unsigned k = 1; k <= 20; k++) {
        q->AppProtocol.arrayLen = (uint16_t)k;
        struct exi_apphand_AppProtocolType *a = &q->AppProtocol.array[k - 1];
        memcpy(a->ProtocolNamespace.characters, "urn:din:70121:2012:MsgDef", 25);
        a->ProtocolNamespace.charactersLen = 25;
        a->VersionNumberMajor = 2;
        a->SchemaID = (uint8_t)k;
        a->Priority = (uint8_t)(k);
        exi_writer_init(&w, b, sizeof b);
        assert_int_equal(exi_apphand_encode(&w, &s_app), HAL_OK);
        size_t n = exi_writer_len(&w);
        exi_reader_init(&r, b, n);
        assert_int_equal(exi_apphand_decode(&r, &s_app), HAL_OK);
        assert_int_equal(q->AppProtocol.arrayLen, k);
        exi_writer_init(&w, out, sizeof out);
        assert_int_equal(exi_apphand_encode(&w, &s_app), HAL_OK);
        assert_int_equal(exi_writer_len(&w), n);
        assert_memory_equal(out, b, n);
    }
    /* more than the capacity cannot be encoded */
    q->AppProtocol.arrayLen = 21;
    exi_writer_init(&w, b, sizeof b);
    assert_int_equal(exi_apphand_encode(&w, &s_app), HAL_EOVERFLOW);
    assert_int_equal(w.error, EXI_E_ARRAY_BOUND);
    /* mandatory element missing: the list needs at least one entry */
    q->AppProtocol.arrayLen = 0;
    exi_writer_init(&w, b, sizeof b);
    assert_int_equal(exi_apphand_encode(&w, &s_app), HAL_EINVAL);
    assert_int_equal(w.error, EXI_E_MISSING);
    /* no root selected */
    memset(&s_app, 0, sizeof s_app);
    exi_writer_init(&w, b, sizeof b);
    assert_int_equal(exi_apphand_encode(&w, &s_app), HAL_EINVAL);
}

static void test_negative_regressions(void **state)
{
    (void)state;
    uint8_t b[64];
    struct exi_reader r;
    /* 31-byte AC_ChargeLoopRes of an old cbV2G encoder (EVerest/cbexigen#52) */
    size_t n = unhex("800c041e9869d6a61dc1ef895b9b4a8062004841801804180180418019a900", b, sizeof b);
    exi_reader_init(&r, b, n);
    assert_int_not_equal(exi_iso20_ac_decode(&r, &s_ac), HAL_OK);
    /* the correct 30-byte stream decodes */
    n = unhex("800c041e9869d6a61dc1ef895b9b4a806200484180180418018041801980", b, sizeof b);
    exi_reader_init(&r, b, n);
    assert_int_equal(exi_iso20_ac_decode(&r, &s_ac), HAL_OK);
    assert_true(s_ac.AC_ChargeLoopRes_isUsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_msb_first),
        cmocka_unit_test(test_writer_roundtrip_bits),
        cmocka_unit_test(test_writer_full),
        cmocka_unit_test(test_unsigned_integer),
        cmocka_unit_test(test_unsigned_overlong),
        cmocka_unit_test(test_signed_integer),
        cmocka_unit_test(test_element_fused_reads),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_empty_element_forms),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_header_byte),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_array_bounds_and_max),
        cmocka_unit_test(test_negative_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
