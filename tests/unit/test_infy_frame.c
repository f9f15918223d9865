/* Unit tests of the InfyPower V1.13 frame layer against the worked identifiers and
 * payloads of the fact sheet (shared/spec/infypower-can-v1.13.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "infypower/infy_frame.h"

static void test_id_worked_examples(void **state)
{
    (void)state;
    struct infy_id id = {.err = 0, .dev = INFY_DEV_SINGLE, .cmd = INFY_CMD_READ_VI, .dst = 0x00, .src = 0xF0};
    assert_int_equal(infy_id_encode(&id), 0x028300F0u);
    id = (struct infy_id){.err = 0, .dev = INFY_DEV_SINGLE, .cmd = INFY_CMD_READ_VI, .dst = 0xF0, .src = 0x00};
    assert_int_equal(infy_id_encode(&id), 0x0283F000u);
    id = (struct infy_id){.err = 0, .dev = INFY_DEV_SINGLE, .cmd = INFY_CMD_SET_VI, .dst = 0x01, .src = 0xF0};
    assert_int_equal(infy_id_encode(&id), 0x029C01F0u);
    id = (struct infy_id){.err = 0, .dev = INFY_DEV_SINGLE, .cmd = INFY_CMD_ONOFF, .dst = 0x02, .src = 0xF0};
    assert_int_equal(infy_id_encode(&id), 0x029A02F0u);
    id = (struct infy_id){.err = 0, .dev = INFY_DEV_GROUP, .cmd = INFY_CMD_GROUP_COUNT, .dst = 0x01, .src = 0xF0};
    assert_int_equal(infy_id_encode(&id), 0x02C201F0u);
}

static void test_id_decode_and_mask(void **state)
{
    (void)state;
    struct infy_id id;
    /* A raw value with SocketCAN's EFF flag (bit 31) still in it decodes the same. */
    infy_id_decode(0x80000000u | 0x0C83F005u, &id);
    assert_int_equal(id.err, 3);
    assert_int_equal(id.dev, 0x2);
    assert_int_equal(id.cmd, 0x03);
    assert_int_equal(id.dst, 0xF0);
    assert_int_equal(id.src, 0x05);
    /* fields wider than their width are masked, never spill into the neighbour */
    struct infy_id wide = {.err = 0xFF, .dev = 0xFF, .cmd = 0xFF, .dst = 0x12, .src = 0x34};
    assert_int_equal(infy_id_encode(&wide), 0x1FFF1234u);
    assert_true(infy_id_encode(&wide) <= HAL_CAN_EXT_ID_MASK);
}

static void test_requests(void **state)
{
    (void)state;
    struct hal_can_frame f;
    static const uint8_t zero[8] = {0};

    infy_req_read(&f, INFY_DEV_SINGLE, INFY_CMD_READ_VI, 0x00, 0xF0);
    assert_int_equal(f.id, 0x028300F0u);
    assert_int_equal(f.flags, HAL_CAN_FLAG_EXT); /* flag in flags, never in the id */
    assert_int_equal(f.dlc, 8);
    assert_memory_equal(f.data, zero, 8);

    static const uint8_t setvi[8] = {0x00, 0x06, 0x1A, 0x80, 0x00, 0x00, 0xC3, 0x50};
    infy_req_set_vi(&f, 0x01, 0xF0, 400000u, 50000u);
    assert_int_equal(f.id, 0x029C01F0u);
    assert_int_equal(f.dlc, 8);
    assert_memory_equal(f.data, setvi, 8);

    static const uint8_t on[8] = {0x00, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t off[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
    infy_req_onoff(&f, 0x02, 0xF0, true);
    assert_int_equal(f.id, 0x029A02F0u);
    assert_memory_equal(f.data, on, 8);
    infy_req_onoff(&f, 0x02, 0xF0, false);
    assert_memory_equal(f.data, off, 8);

    infy_req_read(&f, INFY_DEV_GROUP, INFY_CMD_GROUP_COUNT, 0x01, 0xF0);
    assert_int_equal(f.id, 0x02C201F0u);
    assert_memory_equal(f.data, zero, 8);

    infy_req_read(&f, INFY_DEV_SINGLE, INFY_CMD_STATUS, 0x3B, 0xF0);
    assert_int_equal(f.id, 0x02843BF0u);
    infy_req_read(&f, INFY_DEV_SINGLE, INFY_CMD_CAPS, 0x00, 0xF0);
    assert_int_equal(f.id, 0x028A00F0u);
    infy_req_read(&f, INFY_DEV_SINGLE, INFY_CMD_BARCODE, 0x00, 0xF0);
    assert_int_equal(f.id, 0x028B00F0u);
    infy_req_read(&f, INFY_DEV_SINGLE, INFY_CMD_AFTER_DIODE, 0x00, 0xF0);
    assert_int_equal(f.id, 0x028C00F0u);
}

static void test_float_conversion(void **state)
{
    (void)state;
    int32_t m = 0;
    assert_int_equal(infy_f32_to_milli(0x43C80000u, &m), HAL_OK); /* 400.0 */
    assert_int_equal(m, 400000);
    assert_int_equal(infy_f32_to_milli(0x41C80000u, &m), HAL_OK); /* 25.0 */
    assert_int_equal(m, 25000);
    assert_int_equal(infy_f32_to_milli(0x00000000u, &m), HAL_OK);
    assert_int_equal(m, 0);
    assert_int_equal(infy_f32_to_milli(0x80000000u, &m), HAL_OK); /* -0.0 */
    assert_int_equal(m, 0);
    assert_int_equal(infy_f32_to_milli(0xBF800000u, &m), HAL_OK); /* -1.0 */
    assert_int_equal(m, -1000);
    assert_int_equal(infy_f32_to_milli(0x3DCCCCCDu, &m), HAL_OK); /* 0.1 */
    assert_int_equal(m, 100);
    assert_int_equal(infy_f32_to_milli(0x3A83126Fu, &m), HAL_OK); /* 0.001 */
    assert_int_equal(m, 1);
    assert_int_equal(infy_f32_to_milli(0x447A0000u, &m), HAL_OK); /* 1000.0 */
    assert_int_equal(m, 1000000);
    assert_int_equal(infy_f32_to_milli(0x00000001u, &m), HAL_OK); /* subnormal */
    assert_int_equal(m, 0);
    assert_int_equal(infy_f32_to_milli(0x7F800000u, &m), HAL_EINVAL); /* +inf */
    assert_int_equal(infy_f32_to_milli(0x7FC00000u, &m), HAL_EINVAL); /* NaN */
    assert_int_equal(infy_f32_to_milli(0x7F7FFFFFu, &m), HAL_EOVERFLOW); /* FLT_MAX */
    assert_int_equal(infy_f32_to_milli(0x4A000000u, &m), HAL_OK); /* 2097152.0 */
    assert_int_equal(m, 2097152000);
    assert_int_equal(infy_f32_to_milli(0x4B000000u, &m), HAL_EOVERFLOW); /* 8388608.0 */
    /* agrees with the FPU across a sweep of values */
    for (int32_t i = -1000000; i <= 1000000; i += 4097) {
        float x = (float)i / 1000.0f;
        uint32_t bits;
        memcpy(&bits, &x, 4);
        assert_int_equal(infy_f32_to_milli(bits, &m), HAL_OK);
        float back = x * 1000.0f;
        int32_t expect = (int32_t)(back < 0 ? back - 0.5f : back + 0.5f);
        assert_in_range(m, expect - 1, expect + 1);
    }
}

static void test_decode_vi(void **state)
{
    (void)state;
    static const uint8_t d[8] = {0x43, 0xC8, 0x00, 0x00, 0x41, 0xC8, 0x00, 0x00};
    int32_t v = -1, i = -1;
    assert_int_equal(infy_decode_vi(d, &v, &i), HAL_OK);
    assert_int_equal(v, 400000);
    assert_int_equal(i, 25000);
    static const uint8_t nan[8] = {0x7F, 0xC0, 0x00, 0x00, 0x41, 0xC8, 0x00, 0x00};
    v = 7;
    assert_int_equal(infy_decode_vi(nan, &v, &i), HAL_EPROTO);
    assert_int_equal(v, 7); /* untouched on failure */
    static const uint8_t huge[8] = {0x43, 0xC8, 0x00, 0x00, 0x49, 0x74, 0x24, 0x00}; /* 1e6 A */
    assert_int_equal(infy_decode_vi(huge, &v, &i), HAL_EPROTO);
}

static void test_decode_status(void **state)
{
    (void)state;
    static const uint8_t d[8] = {0xAA, 0xBB, 0x05, 0xCC, 0xF6, 0x21, 0x12, 0x31};
    struct infy_status st;
    infy_decode_status(d, &st);
    assert_int_equal(st.group, 5);
    assert_int_equal(st.temperature_c, -10);
    assert_int_equal(st.bits, 0x211231u);
    /* the named bits sit where the sheet says */
    assert_true((st.bits & INFY_ST_SHORT_CIRCUIT) != 0);   /* byte 7 bit 0 */
    assert_true((st.bits & INFY_ST_SLEEPING) != 0);        /* byte 7 bit 4 */
    assert_true((st.bits & INFY_ST_DISCHARGE_ABNORMAL) != 0); /* byte 7 bit 5 */
    assert_true((st.bits & INFY_ST_FAULT_ALARM) != 0);     /* byte 6 bit 1 */
    assert_true((st.bits & INFY_ST_OVER_TEMP) != 0);       /* byte 6 bit 4 */
    assert_true((st.bits & INFY_ST_POWER_LIMITING) != 0);  /* byte 5 bit 0 */
    assert_true((st.bits & INFY_ST_INPUT_UNDER_VOLTAGE) != 0); /* byte 5 bit 5 */
    assert_false((st.bits & INFY_ST_DC_OFF) != 0);
    static const uint8_t off[8] = {0, 0, 0, 0, 25, 0x00, 0x01, 0x00};
    infy_decode_status(off, &st);
    assert_int_equal(st.bits, INFY_ST_DC_OFF);
    assert_int_equal(st.temperature_c, 25);
}

static void test_decode_caps(void **state)
{
    (void)state;
    /* 1000 V, 50 V, 100.0 A, 30000 W */
    static const uint8_t d[8] = {0x03, 0xE8, 0x00, 0x32, 0x03, 0xE8, 0x0B, 0xB8};
    struct infy_caps c;
    assert_int_equal(infy_decode_caps(d, &c), HAL_OK);
    assert_int_equal(c.max_voltage_mv, 1000000u);
    assert_int_equal(c.min_voltage_mv, 50000u);
    assert_int_equal(c.max_current_ma, 100000u);
    assert_int_equal(c.rated_power_w, 30000u);
    static const uint8_t inverted[8] = {0x00, 0x32, 0x03, 0xE8, 0x03, 0xE8, 0x0B, 0xB8};
    assert_int_equal(infy_decode_caps(inverted, &c), HAL_EPROTO);
    static const uint8_t zero_i[8] = {0x03, 0xE8, 0x00, 0x32, 0x00, 0x00, 0x0B, 0xB8};
    assert_int_equal(infy_decode_caps(zero_i, &c), HAL_EPROTO);
}

static void test_decode_after_diode_count_barcode(void **state)
{
    (void)state;
    static const uint8_t ad[8] = {0x0F, 0xA1, 0x01, 0xF5, 0xDE, 0xAD, 0xBE, 0xEF};
    uint32_t v = 0, a = 0;
    infy_decode_after_diode(ad, &v, &a);
    assert_int_equal(v, 400100u); /* 4001 * 0.1 V */
    assert_int_equal(a, 50100u);  /* 501 * 0.1 A */

    static const uint8_t cnt[8] = {0, 0, 7, 0, 0, 0, 0, 0};
    assert_int_equal(infy_decode_group_count(cnt), 7);

    /* the vendor's example response for barcode "081807123451V1704" */
    static const uint8_t bc[8] = {0x56, 0x13, 0x0C, 0x15, 0xA3, 0xFB, 0x06, 0xA8};
    char s[INFY_SERIAL_SIZE];
    memset(s, 'x', sizeof s);
    infy_decode_barcode(bc, s);
    assert_string_equal(s, "130C15A3FB06A8V");
    static const uint8_t bad[8] = {0x00, 0, 0, 0, 0, 0, 0, 0xFF};
    infy_decode_barcode(bad, s);
    assert_string_equal(s, "000000000000FF?");
}

static void test_internal_filter(void **state)
{
    (void)state;
    /* error 1, device 0xD, cmd 0x17, destination 0xF8..0xFF, any source */
    assert_true(infy_is_internal(0x0757F800u));
    assert_true(infy_is_internal(0x0757F8FFu));
    assert_true(infy_is_internal(0x0757FF12u));
    assert_false(infy_is_internal(0x0757F000u)); /* to the controller: not internal */
    assert_false(infy_is_internal(0x0283F000u));
    assert_false(infy_is_internal(0x0357F800u)); /* another device field */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_worked_examples),
        cmocka_unit_test(test_id_decode_and_mask),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_float_conversion),
        cmocka_unit_test(test_decode_vi),
        cmocka_unit_test(test_decode_status),
        cmocka_unit_test(test_decode_caps),
        cmocka_unit_test(test_decode_after_diode_count_barcode),
        cmocka_unit_test(test_internal_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
