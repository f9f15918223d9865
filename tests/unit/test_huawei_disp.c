/* Unit tests of the Huawei FusionCharge dispenser core (protocols/huawei/huawei_disp.c):
 * the session state machine of the sheet (§4) driven by a scripted power unit in this file
 * (register writes over MBAP, PowerRequestReply frames), the GOOSE schedule, and every bad
 * input: bad HMAC, replay, unsecured frame, wrong VLAN, key never delivered, refused and
 * unanswered allocation, link lost, broken Modbus stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "huawei/huawei_disp.h"

static const uint8_t PSU_MAC[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t DISP_MAC[6] = {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x01};

static struct huawei_disp D;
static uint8_t KEY1[48], KEY2[48];
static uint16_t tid;

static bool s_cycle;

static int setup(void **state)
{
    (void)state;
    struct huawei_disp_config c;
    huawei_disp_config_default(&c);
    c.connectors = 2;
    c.global_no[0] = 3;
    c.global_no[1] = 4;
    memcpy(c.mac, DISP_MAC, 6);
    c.startup_cycle = s_cycle; /* off but in its own test: the others start from standby */
    assert_int_equal(huawei_disp_init(&D, &c, 0), HAL_OK);
    huawei_disp_link_up(&D, 0);
    for (int i = 0; i < 48; i++) {
        KEY1[i] = (uint8_t)(i + 1);
        KEY2[i] = (uint8_t)(0x80 + i);
    }
    tid = 100;
    return 0;
}

/* The unit sends one request; the dispenser's answer must be the normal (non-exception) one. */
static void unit_request(const uint8_t *pdu, size_t len, uint32_t now, bool want_ok)
{
    uint8_t b[HUAWEI_ADU_MAX];
    huawei_mbap_put(b, tid, 1, len);
    memcpy(b + 7, pdu, len);
    assert_int_equal(huawei_disp_tcp_input(&D, b, 7 + len, now), HAL_OK);
    uint8_t out[HUAWEI_ADU_MAX];
    size_t n = 0;
    assert_int_equal(huawei_disp_tcp_output(&D, now, out, sizeof out, &n), HAL_OK);
    assert_int_equal(out[0] << 8 | out[1], tid); /* the answer carries the request's id */
    assert_int_equal(out[6], 1);
    assert_int_equal((out[7] & 0x80) == 0, want_ok);
    tid++;
}

static void unit_write(uint16_t addr, const uint8_t *data, size_t words, uint32_t now)
{
    uint8_t pdu[6 + 96] = {0x10, (uint8_t)(addr >> 8), (uint8_t)addr, 0, (uint8_t)words, (uint8_t)(2 * words)};
    memcpy(pdu + 6, data, 2 * words);
    unit_request(pdu, 6 + 2 * words, now, true);
}

static void unit_ready(uint32_t now)
{
    static const uint8_t mode[] = {0x06, 0x20, 0x06, 0x00, 0x01};
    unit_request(mode, sizeof mode, now, true);
    unit_write(HUAWEI_R_PSU_MAC, PSU_MAC, 3, now);
}

static void unit_key(unsigned local, const uint8_t *key, uint32_t now)
{
    unit_write((uint16_t)(HUAWEI_R_KEY + huawei_conn_offset(local)), key, 24, now);
}

/* The next frame the dispenser sends: parsed, and verified with @p key when given. */
static bool next_frame(uint32_t now, struct huawei_goose_msg *m, const uint8_t *key)
{
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    size_t n = 0;
    int rc = huawei_disp_goose_output(&D, now, f, sizeof f, &n);
    if (rc == HAL_EAGAIN) {
        return false;
    }
    assert_int_equal(rc, HAL_OK);
    struct huawei_goose_sec sec;
    enum huawei_goose_reject why;
    assert_int_equal(huawei_goose_parse(f, n, 0, m, &sec, &why), HAL_OK);
    assert_memory_equal(f, PSU_MAC, 6); /* unicast to the unit */
    assert_true(sec.tagged);
    if (key != NULL) {
        assert_true(huawei_goose_verify(f, &sec, key));
    }
    return true;
}

/* Drain what is due now; the last frame in @p m. */
static unsigned drain(uint32_t now, struct huawei_goose_msg *m, const uint8_t *key)
{
    unsigned n = 0;
    while (next_frame(now, m, key)) {
        n++;
    }
    return n;
}

static size_t reply_frame(uint8_t *f, uint16_t conn, uint16_t result, uint32_t st, uint32_t sq, const uint8_t *key,
                          uint16_t vid, const uint8_t *src)
{
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.kind = HUAWEI_GOOSE_POWER_REPLY;
    m.st_num = st;
    m.sq_num = sq;
    m.ttl_ms = 10000;
    m.connector = conn;
    m.serial = 0xFFFF;
    m.req_type = HUAWEI_REQ_PLACEHOLDER;
    m.result = result;
    m.mode = 2;
    struct huawei_goose_eth eth = {.tagged = true, .vlan_id = vid};
    memcpy(eth.dst, DISP_MAC, 6);
    memcpy(eth.src, src != NULL ? src : PSU_MAC, 6);
    size_t n = 0;
    assert_int_equal(huawei_goose_encode(&m, &eth, key, f, HUAWEI_GOOSE_FRAME_MAX, &n), HAL_OK);
    return n;
}

static enum huawei_goose_reject unit_reply(uint16_t conn, uint16_t result, uint32_t st, uint32_t sq,
                                           const uint8_t *key, uint32_t now)
{
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    size_t n = reply_frame(f, conn, result, st, sq, key, 0, NULL);
    enum huawei_goose_reject why = HUAWEI_RX_REJECT_COUNT;
    int rc = huawei_disp_goose_input(&D, f, n, now, &why);
    assert_int_equal(rc, why == HUAWEI_RX_OK ? HAL_OK : HAL_EPROTO);
    return why;
}

static uint16_t ws(unsigned local)
{
    uint16_t v = 0;
    assert_int_equal(huawei_regs_get_u16(&D.regs, local, HUAWEI_R_WORKING_STATUS, &v), HAL_OK);
    return v;
}

static void test_config_checked(void **state)
{
    (void)state;
    struct huawei_disp d;
    struct huawei_disp_config c;
    huawei_disp_config_default(&c);
    c.connectors = 0;
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_EINVAL);
    c.connectors = 5;
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_EINVAL);
    c.connectors = 2;
    c.global_no[1] = c.global_no[0]; /* numbers must be unique on the unit */
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_EINVAL);
    c.global_no[1] = 13;
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_EINVAL);
    c.global_no[1] = 2;
    c.vlan_id = 4095;
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_EINVAL);
    c.vlan_id = 0;
    assert_int_equal(huawei_disp_init(&d, &c, 0), HAL_OK);
    uint16_t v = 0;
    assert_int_equal(huawei_regs_get_u16(&d.regs, 0, HUAWEI_R_CONNECTORS, &v), HAL_OK);
    assert_int_equal(v, 2);
    assert_int_equal(huawei_regs_get_u16(&d.regs, 2, HUAWEI_R_GLOBAL_NO, &v), HAL_OK);
    assert_int_equal(v, 2);
    assert_int_equal(huawei_disp_plug(&d, 3, true, 0), HAL_EINVAL);
}

static void test_full_session(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    uint32_t t = 10;
    /* nothing goes out on GOOSE before the unit has told its MAC */
    assert_int_equal(drain(t, &m, NULL), 0);
    unit_ready(t);
    assert_int_equal(huawei_disp_running_mode(&D), HUAWEI_PSU_RUNNING);
    /* secure sending and no key yet: still nothing */
    assert_int_equal(drain(t, &m, NULL), 0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, t), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(ws(1), HUAWEI_WS_INSERTED);
    assert_int_equal(ws(2), HUAWEI_WS_STANDBY);
    assert_int_equal(drain(t, &m, NULL), 0);
    /* the key: allocation starts with a placeholder request signed with it */
    unit_key(1, KEY1, t);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_ALLOC);
    assert_int_equal(ws(1), HUAWEI_WS_STARTING);
    assert_int_equal(drain(t, &m, KEY1), 1);
    assert_int_equal(m.kind, HUAWEI_GOOSE_POWER_REQUEST);
    assert_int_equal(m.req_type, HUAWEI_REQ_PLACEHOLDER);
    assert_int_equal(m.connector, 3);
    assert_int_equal(unit_reply(3, 0, 1, 0, KEY1, t), HUAWEI_RX_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_RUNNING);
    assert_int_equal(D.conn[0].alloc, HUAWEI_ALLOC_OK);
    /* cable check: insulation output, then its stoppage when Off comes during it */
    assert_int_equal(huawei_disp_set_export(&D, 1, 500.0f, 2.0f, t), HAL_OK);
    assert_int_equal(huawei_disp_set_mode(&D, 1, true, HUAWEI_PH_CABLE_CHECK, t), HAL_OK);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_INSULATION);
    assert_true(m.voltage_v == 500.0f && m.current_a == 2.0f);
    assert_int_equal(huawei_disp_set_mode(&D, 1, false, HUAWEI_PH_NONE, t), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_RUNNING);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_INSULATION_STOP);
    assert_true(m.voltage_v == 0.0f && m.current_a == 0.0f);
    /* pre-charge, charging (working status 3), a new setpoint is a new stNum */
    assert_int_equal(huawei_disp_set_mode(&D, 1, true, HUAWEI_PH_PRECHARGE, t), HAL_OK);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_PRECHARGE);
    assert_int_equal(huawei_disp_set_mode(&D, 1, true, HUAWEI_PH_CHARGING, t), HAL_OK);
    assert_int_equal(huawei_disp_set_export(&D, 1, 400.0f, 100.0f, t), HAL_OK);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_CHARGING);
    assert_true(m.voltage_v == 400.0f && m.current_a == 100.0f);
    assert_int_equal(ws(1), HUAWEI_WS_CHARGING);
    uint32_t st = m.st_num;
    assert_int_equal(huawei_disp_set_export(&D, 1, 400.0f, 80.0f, t), HAL_OK);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.st_num, st + 1);
    assert_int_equal(m.sq_num, 0);
    assert_true(m.current_a == 80.0f);
    /* Off after charging: Completed, shutdown */
    assert_int_equal(huawei_disp_set_mode(&D, 1, false, HUAWEI_PH_CHARGING, t), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_COMPLETED);
    assert_int_equal(ws(1), HUAWEI_WS_COMPLETE);
    assert_true(drain(t, &m, KEY1) >= 1);
    assert_int_equal(m.kind, HUAWEI_GOOSE_SHUTDOWN);
    assert_int_equal(m.reason, HUAWEI_STOP_NORMAL);
    /* unplugged: standby, not connected */
    assert_int_equal(huawei_disp_plug(&D, 1, false, t), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_DISCONNECTED);
    assert_int_equal(ws(1), HUAWEI_WS_STANDBY);
    uint16_t cs = 9;
    assert_int_equal(huawei_regs_get_u16(&D.regs, 1, HUAWEI_R_CONNECTION, &cs), HAL_OK);
    assert_int_equal(cs, 0);
}

static void test_two_connectors_independent(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    assert_int_equal(huawei_disp_plug(&D, 2, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    unit_key(2, KEY2, 0);
    (void)drain(0, &m, NULL);
    /* a reply signed with connector 1's key but naming connector 4 does not verify */
    assert_int_equal(unit_reply(4, 0, 1, 0, KEY1, 0), HUAWEI_RX_HMAC);
    assert_int_equal(unit_reply(4, 0, 1, 0, KEY2, 0), HUAWEI_RX_OK);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_RUNNING);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_ALLOC);
    /* a reply for a connector of another dispenser on the same unit */
    assert_int_equal(unit_reply(7, 0, 1, 0, KEY1, 0), HUAWEI_RX_UNKNOWN);
}

static void test_bad_hmac_replay_unsecured_vlan(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    (void)drain(0, &m, NULL);
    assert_int_equal(unit_reply(3, 0, 5, 0, KEY2, 0), HUAWEI_RX_HMAC);   /* wrong key */
    assert_int_equal(unit_reply(3, 0, 5, 0, NULL, 0), HUAWEI_RX_UNSECURED);
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    enum huawei_goose_reject why;
    size_t n = reply_frame(f, 3, 0, 5, 0, KEY1, 9, NULL); /* VLAN 9, we are on VLAN 0 */
    assert_int_equal(huawei_disp_goose_input(&D, f, n, 0, &why), HAL_EPROTO);
    assert_int_equal(why, HUAWEI_RX_VLAN);
    n = reply_frame(f, 3, 0, 5, 0, KEY1, 0, DISP_MAC); /* our own frame looped back */
    assert_int_equal(huawei_disp_goose_input(&D, f, n, 0, &why), HAL_EPROTO);
    assert_int_equal(why, HUAWEI_RX_OWN);
    n = reply_frame(f, 3, 0, 5, 0, KEY1, 0, NULL);
    f[n - 5] ^= 0x10; /* damaged HMAC */
    assert_int_equal(huawei_disp_goose_input(&D, f, n, 0, &why), HAL_EPROTO);
    assert_int_equal(why, HUAWEI_RX_HMAC);
    assert_int_equal(huawei_disp_goose_input(&D, f, 30, 0, &why), HAL_EPROTO); /* cut short */
    assert_int_not_equal(why, HUAWEI_RX_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_ALLOC); /* none of them allocated */
    assert_int_equal(unit_reply(3, 0, 5, 2, KEY1, 0), HUAWEI_RX_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_RUNNING);
    /* replays: the same, an older sqNum, an older stNum; a newer one is fine */
    assert_int_equal(unit_reply(3, 0, 5, 2, KEY1, 0), HUAWEI_RX_REPLAY);
    assert_int_equal(unit_reply(3, 0, 5, 1, KEY1, 0), HUAWEI_RX_REPLAY);
    assert_int_equal(unit_reply(3, 0, 4, 9, KEY1, 0), HUAWEI_RX_REPLAY);
    assert_int_equal(unit_reply(3, 0, 5, 3, KEY1, 0), HUAWEI_RX_OK);
    assert_int_equal(unit_reply(3, 0, 6, 0, KEY1, 0), HUAWEI_RX_OK);
    assert_int_equal(D.rejects[HUAWEI_RX_REPLAY], 3);
    assert_int_equal(D.rejects[HUAWEI_RX_HMAC], 2);
}

static int setup_cycle(void **state)
{
    s_cycle = true;
    int rc = setup(state);
    s_cycle = false;
    return rc;
}

/* §4 start-up: once the unit is RUNNING, every idle connector is plugged in and unplugged
 * once (a key from the unit, then standby); a car plugged meanwhile takes the key; no key
 * within 10 s gives up to standby. */
static void test_startup_cycle(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    uint32_t t = 10;
    assert_int_equal(huawei_disp_tick(&D, t), HAL_OK);
    assert_int_equal(ws(1), HUAWEI_WS_STANDBY); /* nothing before the unit is ready */
    assert_int_equal(ws(2), HUAWEI_WS_STANDBY);
    unit_ready(t);
    assert_int_equal(huawei_disp_tick(&D, t), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(ws(1), HUAWEI_WS_INSERTED); /* this makes the unit write a key */
    assert_int_equal(ws(2), HUAWEI_WS_INSERTED);
    /* connector 1: the key comes, the connector is unplugged again (status 0, shutdown
     * frames signed with that key), no allocation asked */
    unit_key(1, KEY1, t + 5);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_DISCONNECTED);
    assert_int_equal(ws(1), HUAWEI_WS_STANDBY);
    assert_int_equal(drain(t + 5, &m, KEY1), 1);
    assert_int_equal(m.kind, HUAWEI_GOOSE_SHUTDOWN);
    /* connector 2: a car plugs during the cycle; the key is then its session's */
    assert_int_equal(huawei_disp_plug(&D, 2, true, t + 6), HAL_OK);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_NO_KEY);
    unit_key(2, KEY2, t + 7);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_NO_ALLOC);
    /* once per link: a later tick does not cycle again, however long */
    assert_int_equal(huawei_disp_tick(&D, t + 20000), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_DISCONNECTED);
    /* a new link cycles again; a unit that never writes the key: standby after 10 s */
    huawei_disp_link_down(&D);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_DISCONNECTED);
    huawei_disp_link_up(&D, 30000);
    unit_ready(30000);
    assert_int_equal(huawei_disp_tick(&D, 30000), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(huawei_disp_tick(&D, 30000 + HUAWEI_CYCLE_KEY_MS - 1), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(huawei_disp_tick(&D, 30000 + HUAWEI_CYCLE_KEY_MS), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_DISCONNECTED);
    assert_int_equal(ws(1), HUAWEI_WS_STANDBY);
    /* the car plugged before the link went down: no cycle for it, it starts over */
    assert_int_equal(D.conn[1].state, HUAWEI_CS_NO_KEY);
    assert_true(D.conn[1].plugged);
    assert_false(D.conn[1].cycling);
}

static void test_key_never_delivered(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    for (uint32_t t = 0; t < 30000; t += 500) {
        assert_int_equal(huawei_disp_tick(&D, t), HAL_OK);
        assert_int_equal(drain(t, &m, NULL), 0); /* no power request ever goes out */
    }
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_int_equal(ws(1), HUAWEI_WS_INSERTED);
    assert_int_equal(unit_reply(3, 0, 1, 0, KEY1, 30000), HUAWEI_RX_NO_KEY);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
}

static void test_allocation_refused_and_timeout(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    assert_int_equal(huawei_disp_plug(&D, 2, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    unit_key(2, KEY2, 0);
    (void)drain(0, &m, NULL);
    assert_int_equal(unit_reply(3, 1, 1, 0, KEY1, 0), HUAWEI_RX_OK);
    assert_int_equal(D.conn[0].alloc, HUAWEI_ALLOC_REFUSED);
    /* connector 2: no answer; at 5 s the sheet goes on and remembers the timeout */
    assert_int_equal(huawei_disp_tick(&D, 4999), HAL_OK);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_NO_ALLOC);
    assert_int_equal(huawei_disp_tick(&D, 5000), HAL_OK);
    assert_int_equal(D.conn[1].state, HUAWEI_CS_RUNNING);
    assert_int_equal(D.conn[1].alloc, HUAWEI_ALLOC_TIMEOUT);
}

static void test_goose_schedule(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    /* sent at once, then after 2, 2, 4, 8 ms, then every second; sqNum counts them */
    static const uint32_t at[] = {0, 2, 4, 8, 16, 1016, 2016};
    for (unsigned i = 0; i < sizeof at / sizeof at[0]; i++) {
        if (at[i] > 0) {
            assert_false(next_frame(at[i] - 1, &m, KEY1));
        }
        assert_true(next_frame(at[i], &m, KEY1));
        assert_int_equal(m.sq_num, i);
        assert_false(next_frame(at[i], &m, KEY1));
    }
    assert_int_equal(D.goose_sent[0], 7);
}

static void test_link_lost(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    assert_int_equal(unit_reply(3, 0, 1, 0, KEY1, 0), HUAWEI_RX_OK);
    assert_int_equal(huawei_disp_tick(&D, 59999), HAL_OK);
    assert_int_equal(huawei_disp_tick(&D, 60000), HAL_ETIMEDOUT);
    huawei_disp_link_down(&D);
    /* key, allocation and the unit's MAC are gone: nothing goes out, the car starts over */
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    assert_false(D.conn[0].has_key);
    assert_int_equal(drain(60000, &m, NULL), 0);
    huawei_disp_link_up(&D, 61000);
    unit_ready(61000);
    unit_key(1, KEY2, 61000);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_ALLOC);
    /* the old key's frames no longer verify */
    assert_int_equal(unit_reply(3, 0, 2, 0, KEY1, 61000), HUAWEI_RX_HMAC);
    assert_int_equal(unit_reply(3, 0, 1, 0, KEY2, 61000), HUAWEI_RX_OK); /* new stream */
}

static void test_alarms(void **state)
{
    (void)state;
    uint16_t v = 0;
    assert_int_equal(huawei_disp_set_alarms(&D, 1, HUAWEI_AL_DOOR | HUAWEI_AL_CONTACTOR), HAL_OK);
    assert_int_equal(huawei_disp_set_alarms(&D, 2, HUAWEI_AL_DOOR | HUAWEI_AL_TILT), HAL_OK);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 0, HUAWEI_R_DOOR_ALARM, &v), HAL_OK);
    assert_int_equal(v, 1);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 0, HUAWEI_R_TILT_ALARM, &v), HAL_OK);
    assert_int_equal(v, 1);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 1, HUAWEI_R_CONTACTOR_FAULT, &v), HAL_OK);
    assert_int_equal(v, 1);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 2, HUAWEI_R_CONTACTOR_FAULT, &v), HAL_OK);
    assert_int_equal(v, 0);
    /* the door stays an alarm while any connector reports it */
    assert_int_equal(huawei_disp_set_alarms(&D, 1, 0), HAL_OK);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 0, HUAWEI_R_DOOR_ALARM, &v), HAL_OK);
    assert_int_equal(v, 1);
    assert_int_equal(huawei_disp_set_alarms(&D, 2, 0), HAL_OK);
    assert_int_equal(huawei_regs_get_u16(&D.regs, 0, HUAWEI_R_DOOR_ALARM, &v), HAL_OK);
    assert_int_equal(v, 0);
    /* the unit's EPO alarm is one the firmware stops on; a cooling-unit flag is not */
    bool any = false;
    assert_false(huawei_disp_psu_stop_alarm(&D, &any));
    assert_false(any);
    static const uint8_t cool[] = {0x00, 0x00, 0x00, 0x04};
    unit_write(0x40D0, cool, 2, 0);
    assert_false(huawei_disp_psu_stop_alarm(&D, &any));
    assert_true(any);
    static const uint8_t epo[] = {0x06, 0x40, 0x04, 0x00, 0x01};
    unit_request(epo, sizeof epo, 0, true);
    assert_true(huawei_disp_psu_stop_alarm(&D, &any));
}

static void test_reports_and_stream(void **state)
{
    (void)state;
    uint8_t out[HUAWEI_ADU_MAX];
    size_t n = 0;
    /* a report at once after link up, then one a second; tid counts from 0 */
    assert_int_equal(huawei_disp_tcp_output(&D, 0, out, sizeof out, &n), HAL_OK);
    assert_int_equal(out[7], 0x41);
    assert_int_equal(out[0] << 8 | out[1], 0);
    assert_int_equal(huawei_disp_tcp_output(&D, 999, out, sizeof out, &n), HAL_EAGAIN);
    assert_int_equal(huawei_disp_tcp_output(&D, 1000, out, sizeof out, &n), HAL_OK);
    assert_int_equal(out[0] << 8 | out[1], 1);
    /* a state change is reported immediately */
    assert_int_equal(huawei_disp_plug(&D, 1, true, 1001), HAL_OK);
    assert_int_equal(huawei_disp_tcp_output(&D, 1001, out, sizeof out, &n), HAL_OK);
    assert_int_equal(out[7], 0x41);
    /* the unit's answer to a report is consumed, not answered */
    static const uint8_t ans[] = {0, 2, 0, 0, 0, 7, 0, 0x41, 0x91, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(huawei_disp_tcp_input(&D, ans, sizeof ans, 1002), HAL_OK);
    assert_int_equal(huawei_disp_tcp_output(&D, 1002, out, sizeof out, &n), HAL_EAGAIN);
    assert_int_equal(D.report_answers_failed, 1);
    /* a request that does not exist gets the exception, and the stream goes on */
    static const uint8_t rd[] = {0x03, 0x77, 0x77, 0x00, 0x01};
    unit_request(rd, sizeof rd, 1003, false);
    assert_int_equal(D.modbus_exceptions, 1);
    /* a request split across two reads */
    static const uint8_t req[] = {0, 9, 0, 0, 0, 6, 1, 0x03, 0x00, 0x00, 0x00, 0x01};
    assert_int_equal(huawei_disp_tcp_input(&D, req, 5, 1004), HAL_OK);
    assert_int_equal(huawei_disp_tcp_output(&D, 1004, out, sizeof out, &n), HAL_EAGAIN);
    assert_int_equal(huawei_disp_tcp_input(&D, req + 5, sizeof req - 5, 1004), HAL_OK);
    assert_int_equal(huawei_disp_tcp_output(&D, 1004, out, sizeof out, &n), HAL_OK);
    assert_int_equal(out[1], 9);
    assert_int_equal(out[10], 0x02); /* manufacturer 0x0002 */
    /* a broken header loses the stream */
    static const uint8_t junk[] = {0, 1, 0x12, 0x34, 0, 6, 1, 3, 0, 0, 0, 1};
    assert_int_equal(huawei_disp_tcp_input(&D, junk, sizeof junk, 1005), HAL_OK);
    assert_int_equal(huawei_disp_tcp_output(&D, 1005, out, sizeof out, &n), HAL_EPROTO);
    /* more than the buffer holds */
    static uint8_t flood[3 * HUAWEI_ADU_MAX];
    assert_int_equal(huawei_disp_tcp_input(&D, flood, sizeof flood, 1006), HAL_EOVERFLOW);
}

static void test_completed_then_export_again(void **state)
{
    (void)state;
    struct huawei_goose_msg m;
    unit_ready(0);
    assert_int_equal(huawei_disp_plug(&D, 1, true, 0), HAL_OK);
    unit_key(1, KEY1, 0);
    assert_int_equal(unit_reply(3, 0, 1, 0, KEY1, 0), HUAWEI_RX_OK);
    /* an Off before any export keeps the allocation (the charger may say Off at start) */
    assert_int_equal(huawei_disp_set_mode(&D, 1, false, HUAWEI_PH_NONE, 0), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_RUNNING);
    assert_int_equal(huawei_disp_set_mode(&D, 1, true, HUAWEI_PH_CHARGING, 0), HAL_OK);
    assert_int_equal(huawei_disp_set_mode(&D, 1, false, HUAWEI_PH_CHARGING, 0), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_COMPLETED);
    /* Export again: a new key and a new allocation */
    assert_int_equal(huawei_disp_set_mode(&D, 1, true, HUAWEI_PH_CHARGING, 1), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_KEY);
    unit_key(1, KEY2, 2);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_NO_ALLOC);
    assert_true(drain(2, &m, KEY2) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_PLACEHOLDER);
    assert_int_equal(huawei_disp_set_export(&D, 1, 3000.0f, 1.0f, 2), HAL_EINVAL);
    assert_string_equal(huawei_cstate_name(HUAWEI_CS_RUNNING), "Running");
    /* Export asked while waiting for the allocation: a later Off completes the session */
    assert_int_equal(unit_reply(3, 0, 9, 0, KEY2, 3), HUAWEI_RX_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_RUNNING);
    assert_true(drain(3, &m, KEY2) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_CHARGING);
    assert_int_equal(huawei_disp_set_mode(&D, 1, false, HUAWEI_PH_CHARGING, 4), HAL_OK);
    assert_int_equal(D.conn[0].state, HUAWEI_CS_COMPLETED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_checked, setup),
        cmocka_unit_test_setup(test_full_session, setup),
        cmocka_unit_test_setup(test_two_connectors_independent, setup),
        cmocka_unit_test_setup(test_bad_hmac_replay_unsecured_vlan, setup),
        cmocka_unit_test_setup(test_startup_cycle, setup_cycle),
        cmocka_unit_test_setup(test_key_never_delivered, setup),
        cmocka_unit_test_setup(test_allocation_refused_and_timeout, setup),
        cmocka_unit_test_setup(test_goose_schedule, setup),
        cmocka_unit_test_setup(test_link_lost, setup),
        cmocka_unit_test_setup(test_alarms, setup),
        cmocka_unit_test_setup(test_reports_and_stream, setup),
        cmocka_unit_test_setup(test_completed_then_export_again, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
