/* Unit tests of the Huawei FusionCharge dispenser register map and Modbus server
 * (protocols/huawei/huawei_regs.c): encodings, reads and writes as the unit makes them,
 * every refused request (unknown register, ours, part of a value, out of range, bad
 * framing) leaving the map unchanged, MBAP framing and the unsolicited report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "huawei/huawei_regs.h"

static struct huawei_regs R;
static uint8_t out[HUAWEI_ADU_MAX];
static size_t olen;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(huawei_regs_init(&R, 2), HAL_OK);
    return 0;
}

static void serve(const uint8_t *pdu, size_t len)
{
    assert_int_equal(huawei_modbus_serve(&R, pdu, len, out, sizeof out, &olen), HAL_OK);
}

static void expect_exception(const uint8_t *pdu, size_t len, uint8_t code)
{
    struct huawei_regs before = R;
    serve(pdu, len);
    assert_int_equal(olen, 2);
    assert_int_equal(out[0], (pdu[0] | 0x80) & 0xFF);
    assert_int_equal(out[1], code);
    assert_memory_equal(&before, &R, sizeof R); /* nothing stored */
}

static void test_init_bounds(void **state)
{
    (void)state;
    struct huawei_regs r;
    assert_int_equal(huawei_regs_init(&r, 0), HAL_EINVAL);
    assert_int_equal(huawei_regs_init(&r, 5), HAL_EINVAL);
    assert_int_equal(huawei_conn_offset(1), 0x0000);
    assert_int_equal(huawei_conn_offset(2), 0x0C00);
    assert_int_equal(huawei_conn_offset(3), 0x0D00);
    assert_int_equal(huawei_conn_offset(4), 0x0E00);
    assert_int_equal(huawei_conn_offset(5), 0);
}

static void test_typed_encodings(void **state)
{
    (void)state;
    uint16_t w = 0;
    assert_int_equal(huawei_regs_set_f32(&R, 1, HUAWEI_R_OUT_VOLTAGE, 400.0f), HAL_OK);
    assert_int_equal(huawei_regs_read_word(&R, 0x1107, &w), HAL_OK);
    assert_int_equal(w, 0x43C8); /* high word first */
    assert_int_equal(huawei_regs_read_word(&R, 0x1108, &w), HAL_OK);
    assert_int_equal(w, 0x0000);
    assert_int_equal(huawei_regs_set_u32(&R, 0, HUAWEI_R_TIME, 0x12345678u), HAL_OK);
    assert_int_equal(huawei_regs_read_word(&R, 0x1024, &w), HAL_OK);
    assert_int_equal(w, 0x1234);
    assert_int_equal(huawei_regs_set_f64(&R, 2, HUAWEI_R_ENERGY, 1.0), HAL_OK);
    assert_int_equal(huawei_regs_read_word(&R, 0x1100 + 0x0C00, &w), HAL_OK);
    assert_int_equal(w, 0x3FF0);
    double e = 0;
    assert_int_equal(huawei_regs_get_f64(&R, 2, HUAWEI_R_ENERGY, &e), HAL_OK);
    assert_true(e == 1.0);
    assert_int_equal(huawei_regs_set_bytes(&R, 0, HUAWEI_R_ESN, "ABC", 3), HAL_OK);
    assert_int_equal(huawei_regs_read_word(&R, 0x1016, &w), HAL_OK);
    assert_int_equal(w, 0x4142); /* first character in the high byte */
    assert_int_equal(huawei_regs_read_word(&R, 0x1017, &w), HAL_OK);
    assert_int_equal(w, 0x4300);
    /* wrong type, a part of a value, a connector we do not have, too long a string */
    assert_int_equal(huawei_regs_set_u16(&R, 1, HUAWEI_R_OUT_VOLTAGE, 1), HAL_ENOENT);
    assert_int_equal(huawei_regs_set_u16(&R, 1, 0x1108, 1), HAL_ENOENT);
    assert_int_equal(huawei_regs_set_u16(&R, 3, HUAWEI_R_WORKING_STATUS, 1), HAL_ENOENT);
    assert_int_equal(huawei_regs_set_u16(&R, 1, 0x2000, 1), HAL_ENOENT);
    assert_int_equal(huawei_regs_set_bytes(&R, 0, HUAWEI_R_ESN, "0123456789012345678901234", 25),
                     HAL_EOVERFLOW);
    /* connector 3's offset is not a register of a 2-connector map */
    assert_int_equal(huawei_regs_read_word(&R, 0x110B + 0x0D00, &w), HAL_ENOENT);
}

static void test_read_holding(void **state)
{
    (void)state;
    assert_int_equal(huawei_regs_set_u16(&R, 0, HUAWEI_R_MANUFACTURER, 2), HAL_OK);
    assert_int_equal(huawei_regs_set_u16(&R, 0, HUAWEI_R_MODEL, 0x80), HAL_OK);
    static const uint8_t rd[] = {0x03, 0x00, 0x00, 0x00, 0x03};
    serve(rd, sizeof rd);
    static const uint8_t want[] = {0x03, 6, 0x00, 0x02, 0x00, 0x80, 0x00, 0x00};
    assert_int_equal(olen, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* connector 2's working status */
    assert_int_equal(huawei_regs_set_u16(&R, 2, HUAWEI_R_WORKING_STATUS, 8), HAL_OK);
    static const uint8_t rd2[] = {0x03, 0x1D, 0x0B, 0x00, 0x01};
    serve(rd2, sizeof rd2);
    assert_int_equal(out[3], 8);
}

static void test_read_unknown_register(void **state)
{
    (void)state;
    static const uint8_t gap[] = {0x03, 0x00, 0x03, 0x00, 0x01}; /* 0x0003: not in the sheet */
    expect_exception(gap, sizeof gap, HUAWEI_EX_ADDRESS);
    static const uint8_t over[] = {0x03, 0x00, 0x02, 0x00, 0x03}; /* 0x0002..0x0004 spans the gap */
    expect_exception(over, sizeof over, HUAWEI_EX_ADDRESS);
    static const uint8_t end[] = {0x03, 0xFF, 0xFF, 0x00, 0x02}; /* runs past 0xFFFF */
    expect_exception(end, sizeof end, HUAWEI_EX_ADDRESS);
    static const uint8_t zero[] = {0x03, 0x00, 0x00, 0x00, 0x00};
    expect_exception(zero, sizeof zero, HUAWEI_EX_VALUE);
    static const uint8_t many[] = {0x03, 0x00, 0x00, 0x00, 126};
    expect_exception(many, sizeof many, HUAWEI_EX_VALUE);
    static const uint8_t shortpdu[] = {0x03, 0x00, 0x00, 0x00};
    expect_exception(shortpdu, sizeof shortpdu, HUAWEI_EX_VALUE);
    static const uint8_t fc[] = {0x04, 0x00, 0x00, 0x00, 0x01};
    expect_exception(fc, sizeof fc, HUAWEI_EX_FUNCTION);
    static const uint8_t ext[] = {0x41, 0x91};
    expect_exception(ext, sizeof ext, HUAWEI_EX_FUNCTION);
}

static void test_write_caps_and_key(void **state)
{
    (void)state;
    /* 0x2100 max V 1000.0 and 0x2102 max I 100.0 in one FC16, connector 2 */
    static const uint8_t wr[] = {0x10, 0x2D, 0x00, 0x00, 0x04, 8, 0x44, 0x7A, 0x00, 0x00, 0x42, 0xC8, 0x00, 0x00};
    serve(wr, sizeof wr);
    static const uint8_t echo[] = {0x10, 0x2D, 0x00, 0x00, 0x04};
    assert_int_equal(olen, 5);
    assert_memory_equal(out, echo, 5);
    float v = 0;
    assert_int_equal(huawei_regs_get_f32(&R, 2, HUAWEI_R_PSU_MAX_V, &v), HAL_OK);
    assert_true(v == 1000.0f);
    assert_int_equal(huawei_regs_get_f32(&R, 2, HUAWEI_R_PSU_MAX_I, &v), HAL_OK);
    assert_true(v == 100.0f);
    assert_int_equal(huawei_regs_take_changes(&R), HUAWEI_CHG_CAPS(1));
    assert_int_equal(huawei_regs_take_changes(&R), 0);
    /* the 48-byte key of connector 1 */
    uint8_t k[6 + 48];
    k[0] = 0x10;
    k[1] = 0x21;
    k[2] = 0x15;
    k[3] = 0;
    k[4] = 24;
    k[5] = 48;
    for (int i = 0; i < 48; i++) {
        k[6 + i] = (uint8_t)(0xA0 + i);
    }
    serve(k, sizeof k);
    assert_int_equal(out[0], 0x10);
    uint8_t key[48];
    size_t n = 0;
    assert_int_equal(huawei_regs_get_bytes(&R, 1, HUAWEI_R_KEY, key, sizeof key, &n), HAL_OK);
    assert_int_equal(n, 48);
    assert_memory_equal(key, k + 6, 48);
    assert_int_equal(huawei_regs_take_changes(&R), HUAWEI_CHG_KEY(0));
    /* running mode with FC06 */
    static const uint8_t mode[] = {0x06, 0x20, 0x06, 0x00, 0x01};
    serve(mode, sizeof mode);
    assert_memory_equal(out, mode, 5);
    assert_int_equal(huawei_regs_take_changes(&R), HUAWEI_CHG_MODE);
    /* the unit's MAC */
    static const uint8_t mac[] = {0x10, 0x21, 0x11, 0x00, 0x03, 6, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    serve(mac, sizeof mac);
    assert_int_equal(out[0], 0x10);
    assert_int_equal(huawei_regs_take_changes(&R), HUAWEI_CHG_MAC);
}

static void test_write_refused(void **state)
{
    (void)state;
    /* a register that does not exist */
    static const uint8_t unknown[] = {0x06, 0x20, 0x05, 0x00, 0x01};
    expect_exception(unknown, sizeof unknown, HUAWEI_EX_ADDRESS);
    /* one of ours (working status): the unit does not write it */
    static const uint8_t ours[] = {0x06, 0x11, 0x0B, 0x00, 0x03};
    expect_exception(ours, sizeof ours, HUAWEI_EX_ADDRESS);
    /* half a float */
    static const uint8_t half[] = {0x06, 0x21, 0x00, 0x44, 0x7A};
    expect_exception(half, sizeof half, HUAWEI_EX_ADDRESS);
    static const uint8_t half2[] = {0x10, 0x21, 0x01, 0x00, 0x01, 2, 0x00, 0x00};
    expect_exception(half2, sizeof half2, HUAWEI_EX_ADDRESS);
    /* a valid value followed by a register that does not exist: nothing is stored */
    static const uint8_t partly[] = {0x10, 0x21, 0x2F, 0x00, 0x02, 4, 0x00, 0x01, 0x00, 0x00};
    expect_exception(partly, sizeof partly, HUAWEI_EX_ADDRESS);
    /* out of range: running mode 5, availability 2, a negative and a NaN voltage, a
     * multicast MAC, an alarm register other than 0/1, a control character in a string */
    static const uint8_t m5[] = {0x06, 0x20, 0x06, 0x00, 0x05};
    expect_exception(m5, sizeof m5, HUAWEI_EX_VALUE);
    static const uint8_t av[] = {0x06, 0x21, 0x2F, 0x00, 0x02};
    expect_exception(av, sizeof av, HUAWEI_EX_VALUE);
    static const uint8_t neg[] = {0x10, 0x21, 0x00, 0x00, 0x02, 4, 0xC4, 0x7A, 0x00, 0x00};
    expect_exception(neg, sizeof neg, HUAWEI_EX_VALUE);
    static const uint8_t nan[] = {0x10, 0x21, 0x00, 0x00, 0x02, 4, 0x7F, 0xC0, 0x00, 0x00};
    expect_exception(nan, sizeof nan, HUAWEI_EX_VALUE);
    static const uint8_t big[] = {0x10, 0x21, 0x02, 0x00, 0x02, 4, 0x4F, 0x00, 0x00, 0x00};
    expect_exception(big, sizeof big, HUAWEI_EX_VALUE);
    static const uint8_t mc[] = {0x10, 0x21, 0x11, 0x00, 0x03, 6, 0x01, 0x0C, 0xCD, 0x01, 0x00, 0x01};
    expect_exception(mc, sizeof mc, HUAWEI_EX_VALUE);
    static const uint8_t zmac[] = {0x10, 0x21, 0x11, 0x00, 0x03, 6, 0, 0, 0, 0, 0, 0};
    expect_exception(zmac, sizeof zmac, HUAWEI_EX_VALUE);
    static const uint8_t al[] = {0x06, 0x40, 0x04, 0x00, 0x02};
    expect_exception(al, sizeof al, HUAWEI_EX_VALUE);
    uint8_t s[6 + 32] = {0x10, 0x01, 0x1B, 0x00, 16, 32, 'A', 0x07};
    expect_exception(s, sizeof s, HUAWEI_EX_VALUE);
    /* framing of FC16: byte count not 2 x count, PDU length not matching, count 0 */
    static const uint8_t bc[] = {0x10, 0x20, 0x06, 0x00, 0x01, 3, 0x00, 0x01, 0x00};
    expect_exception(bc, sizeof bc, HUAWEI_EX_VALUE);
    static const uint8_t ln[] = {0x10, 0x20, 0x06, 0x00, 0x01, 2, 0x00};
    expect_exception(ln, sizeof ln, HUAWEI_EX_VALUE);
    static const uint8_t c0[] = {0x10, 0x20, 0x06, 0x00, 0x00, 0};
    expect_exception(c0, sizeof c0, HUAWEI_EX_VALUE);
    static const uint8_t w6[] = {0x06, 0x20, 0x06, 0x00};
    expect_exception(w6, sizeof w6, HUAWEI_EX_VALUE);
    expect_exception((const uint8_t *)"", 0, HUAWEI_EX_FUNCTION);
    assert_int_equal(huawei_regs_take_changes(&R), 0);
    /* the small-buffer guard */
    assert_int_equal(huawei_modbus_serve(&R, m5, sizeof m5, out, 10, &olen), HAL_EOVERFLOW);
}

static void test_mbap(void **state)
{
    (void)state;
    uint8_t b[20] = {0x12, 0x34, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0xEE};
    struct huawei_mbap m;
    for (size_t n = 0; n < 12; n++) {
        assert_int_equal(huawei_mbap_split(b, n, &m), HAL_EAGAIN);
    }
    assert_int_equal(huawei_mbap_split(b, 13, &m), HAL_OK);
    assert_int_equal(m.tid, 0x1234);
    assert_int_equal(m.unit, 1);
    assert_int_equal(m.pdu_off, 7);
    assert_int_equal(m.pdu_len, 5);
    assert_int_equal(m.frame_len, 12);
    b[2] = 1; /* protocol id */
    assert_int_equal(huawei_mbap_split(b, 13, &m), HAL_EPROTO);
    b[2] = 0;
    b[5] = 1; /* length 1: no function code */
    assert_int_equal(huawei_mbap_split(b, 13, &m), HAL_EPROTO);
    b[4] = 1;
    b[5] = 0; /* 256: longer than any ADU */
    assert_int_equal(huawei_mbap_split(b, 13, &m), HAL_EPROTO);
    uint8_t h[7];
    huawei_mbap_put(h, 0xABCD, 0, 5);
    static const uint8_t want[] = {0xAB, 0xCD, 0, 0, 0, 6, 0};
    assert_memory_equal(h, want, 7);
}

static void test_report(void **state)
{
    (void)state;
    assert_int_equal(huawei_regs_set_u32(&R, 0, HUAWEI_R_TIME, 0x01020304u), HAL_OK);
    assert_int_equal(huawei_regs_set_u16(&R, 0, HUAWEI_R_EPO_ALARM, 1), HAL_OK);
    assert_int_equal(huawei_regs_set_u16(&R, 1, HUAWEI_R_WORKING_STATUS, 3), HAL_OK);
    assert_int_equal(huawei_regs_set_u16(&R, 2, HUAWEI_R_EVENT, 1), HAL_OK);
    uint8_t b[HUAWEI_REPORT_MAX];
    size_t n = 0;
    assert_int_equal(huawei_report_encode(&R, 7, 0x2u, false, b, sizeof b, &n), HAL_OK);
    /* MBAP: tid 7, protocol 0, unit 0, length = PDU + 1 */
    assert_int_equal(b[0] << 8 | b[1], 7);
    assert_int_equal(b[6], 0);
    assert_int_equal((size_t)(b[4] << 8 | b[5]), n - 6);
    const uint8_t *p = b + 7;
    assert_int_equal(p[0], 0x41);
    assert_int_equal(p[1], 0x91);
    assert_int_equal((size_t)(p[2] << 8 | p[3]), n - 7 - 4);
    assert_int_equal(p[4], 0x00); /* no answer wanted */
    assert_int_equal(p[5] << 8 | p[6], 1);
    assert_int_equal(p[7] << 8 | p[8], 0); /* location */
    unsigned nseg = (unsigned)(p[9] << 8 | p[10]);
    /* walk the segments: sorted, no two contiguous, and the values in place */
    size_t k = 11;
    unsigned last_end = 0;
    bool saw_time = false, saw_alarms = false, saw_ws1 = false, saw_event2 = false, saw_event1 = false;
    for (unsigned s = 0; s < nseg; s++) {
        unsigned a = (unsigned)(p[k] << 8 | p[k + 1]), c = (unsigned)(p[k + 2] << 8 | p[k + 3]);
        assert_true(s == 0 || a > last_end);
        const uint8_t *d = p + k + 4;
        for (unsigned i = 0; i < c; i++) {
            unsigned addr = a + i, v = (unsigned)(d[2 * i] << 8 | d[2 * i + 1]);
            if (addr == 0x1024) {
                saw_time = v == 0x0102;
            }
            if (addr == 0x3003) {
                saw_alarms = v == 1 && a == 0x3001 && c == 4; /* 0x3001..0x3004 merged */
            }
            if (addr == 0x110B) {
                saw_ws1 = v == 3;
            }
            if (addr == 0x117E + 0x0C00) {
                saw_event2 = v == 1;
            }
            if (addr == 0x117E) {
                saw_event1 = true;
            }
        }
        last_end = a + c;
        k += 4 + 2 * c;
    }
    assert_int_equal(k, n - 7);
    assert_true(saw_time && saw_alarms && saw_ws1 && saw_event2);
    assert_false(saw_event1); /* connector 1 had no event */
    /* with the answer bit */
    assert_int_equal(huawei_report_encode(&R, 8, 0, true, b, sizeof b, &n), HAL_OK);
    assert_int_equal(b[7 + 4], 0x80);
    assert_int_equal(huawei_report_encode(&R, 8, 0, true, b, 20, &n), HAL_EOVERFLOW);
}

static void test_report_answer(void **state)
{
    (void)state;
    bool ok = false;
    static const uint8_t good[] = {0x41, 0x91, 0x00, 0x01, 0x00, 0x00};
    assert_int_equal(huawei_report_parse_answer(good, sizeof good, &ok), HAL_OK);
    assert_true(ok);
    static const uint8_t bad[] = {0x41, 0x91, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(huawei_report_parse_answer(bad, sizeof bad, &ok), HAL_OK);
    assert_false(ok);
    static const uint8_t ex[] = {0xC1, 0x01};
    ok = true;
    assert_int_equal(huawei_report_parse_answer(ex, sizeof ex, &ok), HAL_OK);
    assert_false(ok);
    static const uint8_t sub[] = {0x41, 0x92, 0x00, 0x01, 0x00, 0x00};
    assert_int_equal(huawei_report_parse_answer(sub, sizeof sub, &ok), HAL_EPROTO);
    static const uint8_t rr[] = {0x41, 0x91, 0x00, 0x01, 0x00, 0x07};
    assert_int_equal(huawei_report_parse_answer(rr, sizeof rr, &ok), HAL_EPROTO);
    assert_int_equal(huawei_report_parse_answer(good, 3, &ok), HAL_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_bounds, setup),
        cmocka_unit_test_setup(test_typed_encodings, setup),
        cmocka_unit_test_setup(test_read_holding, setup),
        cmocka_unit_test_setup(test_read_unknown_register, setup),
        cmocka_unit_test_setup(test_write_caps_and_key, setup),
        cmocka_unit_test_setup(test_write_refused, setup),
        cmocka_unit_test_setup(test_mbap, setup),
        cmocka_unit_test_setup(test_report, setup),
        cmocka_unit_test_setup(test_report_answer, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
