/* Unit tests of the Huawei FusionCharge GOOSE codec (protocols/huawei/huawei_goose.c):
 * byte layout of the sheet (../shared/spec/huawei-fusioncharge.md §5, §6), round trips,
 * and every malformed frame refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "huawei/huawei_goose.h"
#include "sha256/hmac_sha256.h"

static const uint8_t PSU[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t DISP[6] = {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x01};

/* The first occurrence of @p n in @p h (memmem is a GNU extension). */
static uint8_t *find(uint8_t *h, size_t hl, const void *n, size_t nl)
{
    for (size_t i = 0; i + nl <= hl; i++) {
        if (memcmp(h + i, n, nl) == 0) {
            return h + i;
        }
    }
    return NULL;
}

static void key_fill(uint8_t *k, uint8_t seed)
{
    for (unsigned i = 0; i < HUAWEI_GOOSE_KEY_LEN; i++) {
        k[i] = (uint8_t)(seed + i * 7u);
    }
}

static struct huawei_goose_msg reply(uint32_t st, uint32_t sq)
{
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.kind = HUAWEI_GOOSE_POWER_REPLY;
    m.st_num = st;
    m.sq_num = sq;
    m.ttl_ms = 10000u;
    m.time_ms = 1700000000123ull;
    m.connector = 2;
    m.serial = 0xFFFF;
    m.req_type = HUAWEI_REQ_PLACEHOLDER;
    m.result = 0;
    m.mode = 2;
    m.voltage_v = 400.5f;
    m.current_a = 12.25f;
    return m;
}

static size_t enc(const struct huawei_goose_msg *m, bool tagged, uint16_t vid, const uint8_t *key, uint8_t *f)
{
    struct huawei_goose_eth eth;
    memcpy(eth.dst, DISP, 6);
    memcpy(eth.src, PSU, 6);
    eth.tagged = tagged;
    eth.vlan_id = vid;
    size_t len = 0;
    assert_int_equal(huawei_goose_encode(m, &eth, key, f, HUAWEI_GOOSE_FRAME_MAX, &len), HAL_OK);
    return len;
}

static enum huawei_goose_reject parse(const uint8_t *f, size_t len, uint16_t vid, struct huawei_goose_msg *m,
                                      struct huawei_goose_sec *sec)
{
    enum huawei_goose_reject why = HUAWEI_RX_REJECT_COUNT;
    int rc = huawei_goose_parse(f, len, vid, m, sec, &why);
    assert_int_equal(rc, why == HUAWEI_RX_OK ? HAL_OK : HAL_EPROTO);
    return why;
}

static void test_crc16_modbus(void **state)
{
    (void)state;
    assert_int_equal(huawei_crc16((const uint8_t *)"123456789", 9), 0x4B37);
    assert_int_equal(huawei_crc16(NULL, 0), 0xFFFF);
}

static void test_layout_power_request_secure(void **state)
{
    (void)state;
    uint8_t key[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 1);
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.kind = HUAWEI_GOOSE_POWER_REQUEST;
    m.st_num = 3;
    m.sq_num = 4;
    m.ttl_ms = 10000;
    m.connector = 1;
    m.serial = 0xFFFF;
    m.req_type = HUAWEI_REQ_CHARGING;
    m.mode = 2;
    m.voltage_v = 400.0f;
    m.current_a = 100.0f;
    struct huawei_goose_eth eth;
    memcpy(eth.dst, PSU, 6);
    memcpy(eth.src, DISP, 6);
    eth.tagged = true;
    eth.vlan_id = 0;
    size_t len = 0;
    assert_int_equal(huawei_goose_encode(&m, &eth, key, f, sizeof f, &len), HAL_OK);
    assert_memory_equal(f, PSU, 6);
    assert_memory_equal(f + 6, DISP, 6);
    static const uint8_t tag[] = {0x81, 0x00, 0xA0, 0x00, 0x88, 0xB8, 0x00, 0x01};
    assert_memory_equal(f + 12, tag, sizeof tag);
    size_t length = (size_t)(f[20] << 8 | f[21]);
    assert_int_equal(f[22], 0x00);
    assert_int_equal(f[23], 0x23); /* reserved1: 35-byte extension */
    uint16_t crc = huawei_crc16(f + 16, 8);
    assert_int_equal(f[24], crc >> 8); /* high byte first */
    assert_int_equal(f[25], crc & 0xFF);
    assert_int_equal(f[26], 0x61);
    /* the frame ends with the trailer right after the PDU */
    assert_int_equal(len, 16u + 2u + length + 35u);
    const uint8_t *tr = f + 18 + length;
    assert_int_equal(tr[0], 0xAD);
    assert_int_equal(tr[1], 0x00);
    assert_int_equal(tr[2], 0x20);
    uint8_t mac[32];
    hmac_sha256(key, 48, f + 16, 2u + length, mac);
    assert_memory_equal(tr + 3, mac, 32);
    /* gocbRef with its NUL, and the 8 entries with floats as 4 raw bytes */
    static const char id[] = "CC/0$GO$PowerRequest";
    assert_non_null(find(f, len, id, sizeof id));
    static const uint8_t volt[] = {0x87, 0x04, 0x43, 0xC8, 0x00, 0x00}; /* 400.0f */
    assert_non_null(find(f, len, volt, sizeof volt));
    static const uint8_t n[] = {0x8A, 0x04, 0, 0, 0, 8};
    assert_non_null(find(f, len, n, sizeof n));
}

static void test_plain_frame_has_zero_reserved(void **state)
{
    (void)state;
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    struct huawei_goose_msg m = reply(1, 0);
    m.kind = HUAWEI_GOOSE_SHUTDOWN;
    m.reason = HUAWEI_STOP_NORMAL;
    size_t len = enc(&m, false, 0, NULL, f);
    assert_int_equal(f[12], 0x88);
    assert_int_equal(f[14], 0x30);
    assert_int_equal(f[15], 0x02);
    assert_int_equal(f[18] | f[19] | f[20] | f[21], 0);
    struct huawei_goose_msg d;
    struct huawei_goose_sec sec;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_false(sec.secure);
    assert_int_equal(d.kind, HUAWEI_GOOSE_SHUTDOWN);
    assert_int_equal(d.reason, 0x1000);
    assert_int_equal(d.connector, 2);
    assert_int_equal(sec.appid, HUAWEI_APPID_SHUTDOWN);
}

static void test_round_trip_reply(void **state)
{
    (void)state;
    uint8_t key[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 9);
    struct huawei_goose_msg m = reply(7, 9), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, true, 0, key, f);
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_true(sec.secure);
    assert_true(huawei_goose_verify(f, &sec, key));
    assert_int_equal(d.kind, HUAWEI_GOOSE_POWER_REPLY);
    assert_int_equal(d.st_num, 7);
    assert_int_equal(d.sq_num, 9);
    assert_int_equal(d.ttl_ms, 10000);
    assert_int_equal(d.connector, 2);
    assert_int_equal(d.result, 0);
    assert_int_equal(d.mode, 2);
    assert_true(d.voltage_v == 400.5f);
    assert_true(d.current_a == 12.25f);
    /* T keeps seconds exactly and milliseconds within the 2^-24 s fraction */
    assert_true(d.time_ms >= 1700000000122ull && d.time_ms <= 1700000000123ull);
    assert_memory_equal(sec.src, PSU, 6);
}

static void test_bad_hmac_and_wrong_key(void **state)
{
    (void)state;
    uint8_t key[48], other[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 1);
    key_fill(other, 2);
    struct huawei_goose_msg m = reply(1, 1), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, true, 0, key, f);
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_false(huawei_goose_verify(f, &sec, other)); /* wrong key */
    f[len - 1] ^= 0x01; /* damaged HMAC */
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_false(huawei_goose_verify(f, &sec, key));
    f[len - 1] ^= 0x01;
    /* a changed data byte (the current) no longer matches the HMAC */
    uint8_t *cur = find(f, len, (const uint8_t[]){0x87, 0x04, 0x41, 0x44}, 4);
    assert_non_null(cur);
    cur[5] ^= 0x01;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_false(huawei_goose_verify(f, &sec, key));
    /* a plain frame never verifies */
    len = enc(&m, true, 0, NULL, f);
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_false(huawei_goose_verify(f, &sec, key));
}

static void test_vlan(void **state)
{
    (void)state;
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    struct huawei_goose_msg m = reply(1, 1), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, true, 5, NULL, f);
    assert_int_equal(parse(f, len, 5, &d, &sec), HUAWEI_RX_OK);
    assert_true(sec.tagged);
    assert_int_equal(sec.vlan_id, 5);
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_VLAN);
    assert_int_equal(parse(f, len, 6, &d, &sec), HUAWEI_RX_VLAN);
    /* untagged is accepted: Linux strips the tag on receive */
    len = enc(&m, false, 0, NULL, f);
    assert_int_equal(parse(f, len, 5, &d, &sec), HUAWEI_RX_OK);
    assert_false(sec.tagged);
    /* a VLAN id over 4094 is not encoded */
    struct huawei_goose_eth eth = {.tagged = true, .vlan_id = 4095};
    size_t n = 0;
    assert_int_equal(huawei_goose_encode(&m, &eth, NULL, f, sizeof f, &n), HAL_EINVAL);
}

static void test_wrong_length(void **state)
{
    (void)state;
    uint8_t key[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 3);
    struct huawei_goose_msg m = reply(1, 1), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, false, 0, NULL, f);
    /* every truncation is refused */
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(parse(f, n, 0, &d, &sec), HUAWEI_RX_OK);
    }
    /* Length field one too big, one too small */
    f[17]++;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_SHORT);
    f[17] = (uint8_t)(f[17] - 2);
    assert_int_not_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    f[17]++;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    /* Length below the 8 header bytes */
    uint8_t g[HUAWEI_GOOSE_FRAME_MAX];
    memcpy(g, f, len);
    g[16] = 0;
    g[17] = 7;
    assert_int_equal(parse(g, len, 0, &d, &sec), HUAWEI_RX_LENGTH);
    /* secure: trailer cut off */
    len = enc(&m, false, 0, key, f);
    assert_int_equal(parse(f, len - 1, 0, &d, &sec), HUAWEI_RX_SHORT);
    /* an extension length other than the sheet's 35 */
    f[19] = 0x22;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_LENGTH);
    /* longer than any frame of ours */
    assert_int_equal(parse(f, HUAWEI_GOOSE_FRAME_MAX + 1, 0, &d, &sec), HUAWEI_RX_LENGTH);
}

static void test_bad_crc(void **state)
{
    (void)state;
    uint8_t key[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 4);
    struct huawei_goose_msg m = reply(1, 1), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, false, 0, key, f);
    f[21] ^= 0x01;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_CRC);
    /* a plain frame with a non-zero reserved2 */
    len = enc(&m, false, 0, NULL, f);
    f[21] = 1;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_CRC);
}

static void test_unknown_and_entries(void **state)
{
    (void)state;
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    struct huawei_goose_msg m = reply(1, 1), d;
    struct huawei_goose_sec sec;
    size_t len = enc(&m, false, 0, NULL, f);
    /* APPID of another message than the goID says */
    f[15] = 0x02;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_UNKNOWN);
    f[15] = 0x01;
    /* an unknown goID */
    uint8_t *id = find(f, len, "Reply", 5);
    assert_non_null(id);
    id[0] = 'X';
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_UNKNOWN);
    id[0] = 'R';
    /* numDatSetEntries that does not match the message */
    uint8_t *n = find(f, len, (const uint8_t[]){0x8A, 0x04, 0, 0, 0, 9}, 6);
    assert_non_null(n);
    n[5] = 8;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_ENTRIES);
    n[5] = 9;
    /* a float where a u16 belongs */
    uint8_t *e = find(f, len, (const uint8_t[]){0xAB}, 1);
    assert_non_null(e);
    assert_int_equal(e[2], 0x86);
    e[2] = 0x87;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_ENTRIES);
    e[2] = 0x86;
    /* another EtherType */
    f[13] = 0xB9;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_ETHERTYPE);
    f[13] = 0xB8;
    /* a wrong root tag */
    f[22] = 0x60;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_BER);
    f[22] = 0x61;
    assert_int_equal(parse(f, len, 0, &d, &sec), HUAWEI_RX_OK);
    assert_string_equal(huawei_goose_reject_name(HUAWEI_RX_HMAC), "bad HMAC");
    assert_string_equal(huawei_goose_reject_name(HUAWEI_RX_REJECT_COUNT), "?");
}

static void test_overflow(void **state)
{
    (void)state;
    uint8_t key[48], f[HUAWEI_GOOSE_FRAME_MAX];
    key_fill(key, 5);
    struct huawei_goose_msg m = reply(1, 1);
    struct huawei_goose_eth eth = {.tagged = true};
    size_t full = 0, n = 0;
    assert_int_equal(huawei_goose_encode(&m, &eth, key, f, sizeof f, &full), HAL_OK);
    for (size_t cap = 0; cap < full; cap += 7) {
        assert_int_equal(huawei_goose_encode(&m, &eth, key, f, cap, &n), HAL_EOVERFLOW);
    }
    assert_int_equal(huawei_goose_encode(&m, &eth, key, f, full, &n), HAL_OK);
    assert_int_equal(n, full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_modbus),
        cmocka_unit_test(test_layout_power_request_secure),
        cmocka_unit_test(test_plain_frame_has_zero_reserved),
        cmocka_unit_test(test_round_trip_reply),
        cmocka_unit_test(test_bad_hmac_and_wrong_key),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_wrong_length),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_unknown_and_entries),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
