/* Unit tests of the Huawei stage adapter (firmware/psu_huawei.c) on the in-memory network,
 * TLS and Ethernet fakes: a scripted power unit in this file listens on TCP, writes registers
 * as the unit does, reads our GOOSE requests and answers them. Covers a two-connector
 * session through the psu interface, capabilities, the upstream voltage, and the bad cases
 * where power is at stake: link dropped mid-session, refused allocation, key never
 * delivered, the unit's EPO alarm, a forged reply; the link over mutual TLS, and a unit
 * that refuses our (missing) client certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_eth.h"
#include "fake_log.h"
#include "fake_net.h"
#include "fake_tls.h"
#include "psu_huawei.h"

#define PORT 8502

static const uint8_t PSU_MAC[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t DISP_MAC[6] = {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x01};

static struct fake_net_world W;
static struct fake_net NET_D, NET_U;
static struct fake_eth_segment SEG;
static struct fake_eth ETH_D, ETH_U;
static struct fake_log LOG;
static struct psu_huawei_unit U;
static struct psu_huawei P1, P2;
static int listener, usock;
static uint16_t tid;
static uint32_t now;
static uint8_t KEY1[48], KEY2[48];
static uint32_t reply_st;
/* Mutual TLS on the link (test_tls_*): the unit's server side, and its session. */
static struct fake_tls TLS_D, TLS_U;
static bool use_tls;
static int usess = -1;

static int unit_send(const uint8_t *b, size_t len, size_t *sent)
{
    return use_tls ? hal_tls_send(&TLS_U.base, usess, b, len, sent) : hal_net_tcp_send(&NET_U.base, usock, b, len, sent);
}

static int unit_recv(uint8_t *b, size_t cap, size_t *len)
{
    return use_tls ? hal_tls_recv(&TLS_U.base, usess, b, cap, len) : hal_net_tcp_recv(&NET_U.base, usock, b, cap, len);
}

/* A fake over-voltage monitor with a settable reading. */
struct test_ovm {
    struct ovm base;
    struct ovm_reading r;
};
static int ovm_read_fake(struct ovm *m, struct ovm_reading *out)
{
    *out = ((struct test_ovm *)m)->r;
    return HAL_OK;
}
static const struct ovm_ops s_ovm_ops = {.read = ovm_read_fake};
static struct test_ovm OVM = {.base = {&s_ovm_ops}};

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        psu_huawei_unit_run(&U, now);
        now++;
    }
}

static int setup(void **state)
{
    (void)state;
    now = 1000;
    tid = 1;
    reply_st = 1;
    fake_net_world_init(&W);
    assert_int_equal(fake_net_init(&NET_D, &W, 1), HAL_OK);
    assert_int_equal(fake_net_init(&NET_U, &W, 2), HAL_OK);
    fake_eth_segment_init(&SEG);
    assert_int_equal(fake_eth_init(&ETH_D, &SEG, DISP_MAC), HAL_OK);
    assert_int_equal(fake_eth_init(&ETH_U, &SEG, PSU_MAC), HAL_OK);
    fake_log_init(&LOG);
    listener = hal_net_tcp_listen(&NET_U.base, PORT);
    assert_true(listener >= 0);
    struct huawei_disp_config c;
    huawei_disp_config_default(&c);
    c.connectors = 2;
    c.global_no[0] = 1;
    c.global_no[1] = 2;
    c.max_current_a[0] = 150.0f;
    c.max_current_a[1] = 150.0f;
    memcpy(c.mac, DISP_MAC, 6);
    struct hal_ip6_endpoint ep = NET_U.addr;
    ep.port = PORT;
    assert_int_equal(psu_huawei_unit_init(&U, &c, &ep, &NET_D.base, &ETH_D.base, &LOG.base, NULL, now), HAL_OK);
    OVM.r = (struct ovm_reading){0};
    assert_int_equal(psu_huawei_init(&P1, &U, 1, &OVM.base, NULL), HAL_OK);
    assert_int_equal(psu_huawei_init(&P2, &U, 2, NULL, NULL), HAL_OK);
    for (int i = 0; i < 48; i++) {
        KEY1[i] = (uint8_t)(3 * i + 1);
        KEY2[i] = (uint8_t)(5 * i + 2);
    }
    if (use_tls) {
        bool cert = TLS_D.client_cert;
        fake_tls_init(&TLS_D, &NET_D.base);
        fake_tls_init(&TLS_U, &NET_U.base);
        TLS_D.client_cert = cert;
        TLS_U.require_client_cert = true;
        psu_huawei_unit_use_tls(&U, &TLS_D.base);
    }
    run(1);
    usock = hal_net_tcp_accept(&NET_U.base, listener, NULL);
    assert_true(usock >= 0);
    if (use_tls) {
        usess = hal_tls_start(&TLS_U.base, usock, 1);
        assert_true(usess >= 0);
        for (int i = 0; i < 20; i++) {
            run(1);
            (void)hal_tls_handshake(&TLS_U.base, usess);
        }
    }
    return 0;
}

static int setup_tls(void **state)
{
    use_tls = true;
    TLS_D.client_cert = true;
    return setup(state);
}

static int setup_tls_nocert(void **state)
{
    use_tls = true;
    return setup(state);
}

static int teardown(void **state)
{
    (void)state;
    use_tls = false;
    usess = -1;
    memset(&TLS_D, 0, sizeof TLS_D);
    return 0;
}

/* Read everything the dispenser sent; return the last non-report answer's first PDU byte. */
static int unit_drain(uint8_t *pdu_out, size_t *pdu_len)
{
    static uint8_t buf[8192];
    static size_t have;
    size_t n = 0;
    while (unit_recv(buf + have, sizeof buf - have, &n) == HAL_OK) {
        have += n;
    }
    int fc = -1;
    struct huawei_mbap m;
    while (huawei_mbap_split(buf, have, &m) == HAL_OK) {
        if (buf[m.pdu_off] != 0x41) {
            fc = buf[m.pdu_off];
            if (pdu_out != NULL) {
                memcpy(pdu_out, buf + m.pdu_off, m.pdu_len);
                *pdu_len = m.pdu_len;
            }
        }
        memmove(buf, buf + m.frame_len, have - m.frame_len);
        have -= m.frame_len;
    }
    return fc;
}

static int unit_request(const uint8_t *pdu, size_t len, uint8_t *ans, size_t *alen)
{
    uint8_t b[HUAWEI_ADU_MAX];
    huawei_mbap_put(b, tid++, 1, len);
    memcpy(b + 7, pdu, len);
    size_t sent = 0;
    assert_int_equal(unit_send(b, 7 + len, &sent), HAL_OK);
    assert_int_equal(sent, 7 + len);
    run(1);
    return unit_drain(ans, alen);
}

static void unit_write(uint16_t addr, const void *data, size_t words)
{
    uint8_t pdu[6 + 96] = {0x10, (uint8_t)(addr >> 8), (uint8_t)addr, 0, (uint8_t)words, (uint8_t)(2 * words)};
    memcpy(pdu + 6, data, 2 * words);
    assert_int_equal(unit_request(pdu, 6 + 2 * words, NULL, NULL), 0x10);
}

static void unit_write_f32(uint16_t addr, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    unit_write(addr, b, 2);
}

static void unit_u16(uint16_t addr, uint16_t v)
{
    uint8_t pdu[5] = {0x06, (uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)(v >> 8), (uint8_t)v};
    assert_int_equal(unit_request(pdu, 5, NULL, NULL), 0x06);
}

static void unit_ready(void)
{
    unit_u16(HUAWEI_R_RUNNING_MODE, HUAWEI_PSU_RUNNING);
    unit_write(HUAWEI_R_PSU_MAC, PSU_MAC, 3);
    for (unsigned l = 1; l <= 2; l++) {
        uint16_t off = huawei_conn_offset(l);
        unit_write_f32((uint16_t)(HUAWEI_R_PSU_MAX_V + off), 1000.0f);
        unit_write_f32((uint16_t)(HUAWEI_R_PSU_MIN_V + off), 100.0f);
        unit_write_f32((uint16_t)(HUAWEI_R_PSU_MAX_I + off), 200.0f);
        unit_write_f32((uint16_t)(HUAWEI_R_PSU_MIN_I + off), 1.0f);
        unit_write_f32((uint16_t)(HUAWEI_R_PSU_POWER + off), 60.0f);
        unit_u16((uint16_t)(HUAWEI_R_PORT_AVAILABLE + off), 1);
    }
}

static uint16_t unit_read(uint16_t addr)
{
    uint8_t pdu[5] = {0x03, (uint8_t)(addr >> 8), (uint8_t)addr, 0, 1};
    uint8_t ans[HUAWEI_ADU_MAX];
    size_t alen = 0;
    assert_int_equal(unit_request(pdu, 5, ans, &alen), 0x03);
    return (uint16_t)(ans[2] << 8 | ans[3]);
}

/* Frames the dispenser sent since the last call: the last one for @p conn, verified. */
static int unit_goose(uint16_t conn, const uint8_t *key, struct huawei_goose_msg *last)
{
    uint8_t f[HAL_ETH_FRAME_MAX];
    size_t n = 0;
    int count = 0;
    while (hal_eth_recv(&ETH_U.base, f, sizeof f, &n) == HAL_OK) {
        struct huawei_goose_msg m;
        struct huawei_goose_sec sec;
        enum huawei_goose_reject why;
        assert_int_equal(huawei_goose_parse(f, n, 0, &m, &sec, &why), HAL_OK);
        if (m.connector != conn) {
            continue;
        }
        assert_true(huawei_goose_verify(f, &sec, key));
        *last = m;
        count++;
    }
    return count;
}

static void unit_reply(uint16_t conn, uint16_t result, const uint8_t *key)
{
    struct huawei_goose_msg m;
    memset(&m, 0, sizeof m);
    m.kind = HUAWEI_GOOSE_POWER_REPLY;
    m.st_num = reply_st++;
    m.ttl_ms = 10000;
    m.connector = conn;
    m.serial = 0xFFFF;
    m.req_type = HUAWEI_REQ_PLACEHOLDER;
    m.result = result;
    struct huawei_goose_eth eth = {.tagged = true};
    memcpy(eth.dst, DISP_MAC, 6);
    memcpy(eth.src, PSU_MAC, 6);
    uint8_t f[HUAWEI_GOOSE_FRAME_MAX];
    size_t n = 0;
    assert_int_equal(huawei_goose_encode(&m, &eth, key, f, sizeof f, &n), HAL_OK);
    assert_int_equal(hal_eth_send(&ETH_U.base, f, n), HAL_OK);
    run(1);
}

static bool has_error(struct psu *p, enum psu_error_type t, enum psu_severity sev)
{
    struct psu_error e[8];
    size_t n = 0;
    assert_int_equal(psu_get_errors(p, e, 8, &n), HAL_OK);
    for (size_t i = 0; i < n; i++) {
        if (e[i].type == t && e[i].severity == sev) {
            return true;
        }
    }
    return false;
}

/* Both connectors to Running with their keys. */
static void allocate_both(void)
{
    unit_ready();
    psu_huawei_set_plugged(&P1, true, now);
    psu_huawei_set_plugged(&P2, true, now);
    run(2);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_INSERTED);
    unit_write(HUAWEI_R_KEY, KEY1, 24);
    unit_write((uint16_t)(HUAWEI_R_KEY + 0x0C00), KEY2, 24);
    run(20);
    struct huawei_goose_msg m;
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_PLACEHOLDER);
    unit_reply(1, 0, KEY1);
    unit_reply(2, 0, KEY2);
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_RUNNING);
    assert_int_equal(psu_huawei_state(&P2), HUAWEI_CS_RUNNING);
}

static void test_two_connector_session(void **state)
{
    (void)state;
    struct psu_capabilities caps;
    assert_int_equal(psu_get_capabilities(&P1.base, &caps), HAL_EAGAIN);
    assert_true(has_error(&P1.base, PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH)); /* no MAC yet */
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_ESTATE);
    allocate_both();
    size_t n = 9;
    struct psu_error e[4];
    assert_int_equal(psu_get_errors(&P1.base, e, 4, &n), HAL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(psu_get_capabilities(&P1.base, &caps), HAL_OK);
    assert_int_equal(caps.max_export_voltage_mv, 1000000);
    assert_int_equal(caps.max_export_current_ma, 150000); /* clipped to the connector's 150 A */
    assert_int_equal(caps.max_export_power_w, 60000);
    /* charging on 1, pre-charge on 2: each its own request stream with its own key */
    psu_huawei_set_phase(&P1, HUAWEI_PH_CHARGING, now);
    assert_int_equal(psu_set_export(&P1.base, 400000, 100000, now), HAL_OK);
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_OK);
    psu_huawei_set_phase(&P2, HUAWEI_PH_PRECHARGE, now);
    assert_int_equal(psu_set_export(&P2.base, 350000, 2000, now), HAL_OK);
    assert_int_equal(psu_set_mode(&P2.base, PSU_MODE_EXPORT, now), HAL_OK);
    run(20);
    struct huawei_goose_msg m;
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_CHARGING);
    assert_true(m.voltage_v == 400.0f && m.current_a == 100.0f);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_CHARGING);
    /* over the unit's limit: applied clamped, and said so */
    assert_int_equal(psu_set_export(&P1.base, 400000, 250000, now), HAL_EINVAL);
    run(5);
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_true(m.current_a == 200.0f);
    assert_true(U.round_trip_ms <= 2);
    /* upstream voltage from the monitor goes to 0x1113 and is what read_output says */
    OVM.r = (struct ovm_reading){.valid = true, .voltage_mv = 399500, .at_ms = now};
    run(1);
    struct psu_output out;
    assert_int_equal(psu_read_output(&P1.base, &out, now), HAL_EIO);
    assert_true(out.voltage_known);
    assert_false(out.valid); /* the current is never known */
    assert_int_equal(out.voltage_mv, 399500);
    assert_true(unit_read(HUAWEI_R_UPSTREAM_V) == 0x43C7); /* 399.5f = 0x43C7C000 */
    OVM.r.at_ms = now - 5000; /* too old */
    assert_int_equal(psu_read_output(&P1.base, &out, now), HAL_EIO);
    assert_false(out.voltage_known);
    /* connector 1 stops: Completed and shutdown; connector 2 goes on */
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_OFF, now), HAL_OK);
    run(20);
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_int_equal(m.kind, HUAWEI_GOOSE_SHUTDOWN);
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_COMPLETED);
    run(1100); /* connector 2's stream is at its 1 s heartbeat by now */
    assert_true(unit_goose(2, KEY2, &m) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_PRECHARGE);
    assert_int_equal(psu_huawei_state(&P2), HUAWEI_CS_RUNNING);
}

/* The charger's neutral psu_set_session(): plug, phase, alarms and contactor reach the unit. */
static void test_session_hook(void **state)
{
    (void)state;
    unit_ready();
    struct psu_session ss = {.plugged = false};
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    run(2);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_STANDBY);
    ss.plugged = true;
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    run(2);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_INSERTED);
    unit_write(HUAWEI_R_KEY, KEY1, 24);
    run(2);
    unit_reply(1, 0, KEY1);
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_RUNNING);
    /* pre-charge told before the mode: the first request is a pre-charge one */
    ss.phase = PSU_PHASE_PRECHARGE;
    ss.contactor_closed = true;
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    assert_int_equal(psu_set_export(&P1.base, 350000, 2000, now), HAL_OK);
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_OK);
    run(20);
    struct huawei_goose_msg m;
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_PRECHARGE);
    assert_int_equal(unit_read(HUAWEI_R_CONTACTOR), 1);
    /* charging next; a repeated call with the same state sends nothing new */
    ss.phase = PSU_PHASE_CHARGING;
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    run(20);
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    assert_int_equal(m.req_type, HUAWEI_REQ_CHARGING);
    /* the emergency stop reaches the unit as its EPO alarm */
    assert_int_equal(unit_read(HUAWEI_R_EPO_ALARM), 0);
    ss.alarms = PSU_ALARM_ESTOP;
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    run(2);
    assert_int_equal(unit_read(HUAWEI_R_EPO_ALARM), 1);
    /* an out-of-range phase is refused and changes nothing */
    struct psu_session bad = ss;
    bad.phase = (enum psu_phase)7;
    assert_int_equal(psu_set_session(&P1.base, &bad, now), HAL_EINVAL);
    /* unplugged: standby again */
    ss = (struct psu_session){.plugged = false};
    assert_int_equal(psu_set_session(&P1.base, &ss, now), HAL_OK);
    run(2);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_STANDBY);
}

static void test_link_dropped_mid_session(void **state)
{
    (void)state;
    allocate_both();
    psu_huawei_set_phase(&P1, HUAWEI_PH_CHARGING, now);
    assert_int_equal(psu_set_export(&P1.base, 400000, 100000, now), HAL_OK);
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_OK);
    run(20);
    struct huawei_goose_msg m;
    assert_true(unit_goose(1, KEY1, &m) >= 1);
    /* the unit goes away */
    hal_net_close(&NET_U.base, usock);
    run(2);
    assert_int_equal(U.stats.link_drops, 1);
    assert_true(has_error(&P1.base, PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH));
    assert_true(has_error(&P2.base, PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH));
    struct psu_telemetry t;
    assert_int_equal(psu_read_telemetry(&P1.base, &t, now), HAL_OK);
    assert_int_equal(t.mode, PSU_MODE_FAULT);
    /* no power request goes out any more (no key, no MAC), and Export is refused */
    run(2000);
    assert_int_equal(unit_goose(1, KEY1, &m), 0);
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_ESTATE);
    /* it reconnects by itself (Off is taken again); the car starts over with a new key */
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_OFF, now), HAL_OK);
    usock = hal_net_tcp_accept(&NET_U.base, listener, NULL);
    assert_true(usock >= 0);
    assert_true(U.stats.connects >= 2);
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_NO_KEY);
}

static void test_unit_silent(void **state)
{
    (void)state;
    allocate_both();
    run(60000); /* nothing from the unit for the link timeout */
    assert_true(U.stats.link_drops >= 1);
    assert_true(has_error(&P1.base, PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH));
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_NO_KEY); /* starts over once back */
}

static void test_refused_allocation(void **state)
{
    (void)state;
    unit_ready();
    psu_huawei_set_plugged(&P1, true, now);
    run(2);
    unit_write(HUAWEI_R_KEY, KEY1, 24);
    run(2);
    unit_reply(1, 1, KEY1); /* failure */
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_RUNNING);
    assert_true(has_error(&P1.base, PSU_ERR_VENDOR_ERROR, PSU_SEV_MEDIUM));
    assert_true(psu_error_stops_session(PSU_ERR_VENDOR_ERROR));
    assert_false(has_error(&P2.base, PSU_ERR_VENDOR_ERROR, PSU_SEV_MEDIUM));
}

static void test_key_never_delivered(void **state)
{
    (void)state;
    unit_ready();
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_OK); /* plugs implicitly */
    run(10000);
    struct huawei_goose_msg m;
    assert_int_equal(unit_goose(1, KEY1, &m), 0); /* nothing secure can go out */
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_NO_KEY);
    assert_int_equal(unit_read(HUAWEI_R_WORKING_STATUS), HUAWEI_WS_INSERTED);
}

static void test_forged_reply_and_epo(void **state)
{
    (void)state;
    unit_ready();
    psu_huawei_set_plugged(&P1, true, now);
    run(2);
    unit_write(HUAWEI_R_KEY, KEY1, 24);
    run(2);
    unit_reply(1, 0, KEY2); /* signed with another key */
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_NO_ALLOC);
    assert_int_equal(U.stats.goose_refused, 1);
    unit_reply(1, 0, KEY1);
    assert_int_equal(psu_huawei_state(&P1), HUAWEI_CS_RUNNING);
    unit_u16(HUAWEI_R_ALARM_EPO, 1);
    assert_true(has_error(&P1.base, PSU_ERR_HARDWARE_FAULT, PSU_SEV_HIGH));
    unit_u16(HUAWEI_R_ALARM_EPO, 0);
    unit_u16(0x4003, 1); /* smoke: reported, not a stop by our policy */
    assert_false(has_error(&P1.base, PSU_ERR_HARDWARE_FAULT, PSU_SEV_HIGH));
    assert_true(has_error(&P1.base, PSU_ERR_VENDOR_WARNING, PSU_SEV_LOW));
    /* the unit leaves RUNNING */
    unit_u16(HUAWEI_R_RUNNING_MODE, HUAWEI_PSU_FAULTY);
    assert_true(has_error(&P1.base, PSU_ERR_HARDWARE_FAULT, PSU_SEV_MEDIUM));
    /* board alarms reach the unit's registers */
    psu_huawei_set_alarms(&P2, HUAWEI_AL_WATER);
    assert_int_equal(unit_read(HUAWEI_R_WATER_ALARM), 1);
    /* a request for a register that does not exist gets the Modbus exception */
    uint8_t pdu[5] = {0x03, 0x12, 0x34, 0, 1};
    assert_int_equal(unit_request(pdu, 5, NULL, NULL), 0x83);
}

/* What the unit wrote, as psu_read_unit() gives it for telemetry (sheet §10). */
static void test_unit_report(void **state)
{
    (void)state;
    struct psu_unit_status u;
    run(2);
    /* the link is up, the unit has not spoken: nothing is known */
    assert_int_equal(psu_read_unit(&P1.base, &u, now), HAL_OK);
    assert_null(u.running_mode);
    assert_false(u.ac_known);
    assert_false(u.energy_known);
    assert_false(u.port_known);
    assert_string_equal(u.session_state, "CarDisconnected");
    unit_ready();
    unit_write_f32(HUAWEI_R_AC_VOLTAGE_A, 230.5f);
    unit_write_f32((uint16_t)(HUAWEI_R_AC_CURRENT_A + 4u), 12.25f); /* phase C */
    double kwh = 12.5;
    uint64_t q;
    memcpy(&q, &kwh, 8);
    uint8_t e[8];
    for (int i = 0; i < 8; i++) {
        e[i] = (uint8_t)(q >> (56 - 8 * i));
    }
    unit_write(HUAWEI_R_INPUT_ENERGY, e, 4);
    unit_u16(HUAWEI_R_ALARM_EPO, 1);
    static const uint8_t flags[4] = {0, 0, 0, 0x20}; /* rectifier 1: a flag bit */
    unit_write(0x4040, flags, 2);
    psu_huawei_set_alarms(&P1, HUAWEI_AL_DOOR | HUAWEI_AL_TILT);
    run(2);
    assert_int_equal(psu_read_unit(&P1.base, &u, now), HAL_OK);
    assert_string_equal(u.running_mode, "running");
    assert_true(u.ac_known);
    assert_int_equal(u.ac_voltage_mv[0], 230500);
    assert_int_equal(u.ac_voltage_mv[1], 0);
    assert_int_equal(u.ac_current_ma[2], 12250);
    assert_true(u.energy_known);
    assert_int_equal(u.input_energy_wh, 12500);
    assert_true(u.port_known);
    assert_true(u.port_available);
    assert_int_equal(u.board_alarms, PSU_ALARM_DOOR | PSU_ALARM_TILT);
    /* the EPO register and the 32-bit flag register (once, at its start address) */
    assert_int_equal(u.alarm_count, 2);
    assert_int_equal(u.alarm[0], HUAWEI_R_ALARM_EPO);
    assert_int_equal(u.alarm[1], 0x4040);
    /* connector 2 of the same unit: the unit's values, its own port and alarms */
    assert_int_equal(psu_read_unit(&P2.base, &u, now), HAL_OK);
    assert_int_equal(u.ac_voltage_mv[0], 230500);
    assert_int_equal(u.board_alarms, 0);
    /* the link lost: nothing is known again (no stale mode from the last link) */
    unit_u16(HUAWEI_R_PORT_AVAILABLE + huawei_conn_offset(1), 0);
    run(2);
    assert_int_equal(psu_read_unit(&P1.base, &u, now), HAL_OK);
    assert_false(u.port_available);
    P1.unit->link_up = false;
    assert_int_equal(psu_read_unit(&P1.base, &u, now), HAL_OK);
    assert_null(u.running_mode);
    assert_false(u.ac_known);
    P1.unit->link_up = true;
}

static void test_init_checked(void **state)
{
    (void)state;
    struct psu_huawei p;
    assert_int_equal(psu_huawei_init(&p, &U, 1, NULL, NULL), HAL_EINVAL); /* taken */
    assert_int_equal(psu_huawei_init(&p, &U, 3, NULL, NULL), HAL_EINVAL);
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_IMPORT, now), HAL_ENOTSUP);
}

static void test_tls_session(void **state)
{
    (void)state;
    allocate_both(); /* the whole allocation over the TLS link */
    struct psu_capabilities caps;
    assert_int_equal(psu_get_capabilities(&P1.base, &caps), HAL_OK);
    assert_int_equal(U.stats.link_drops, 0);
    assert_true(U.session >= 0);
    assert_int_equal(TLS_D.sess[U.session].step, 3); /* established: the bytes went through TLS */
}

static void test_tls_client_refused(void **state)
{
    (void)state;
    /* the unit wants a client certificate we do not offer: the link never comes up */
    run(200);
    assert_true(U.stats.link_drops >= 1);
    assert_true(has_error(&P1.base, PSU_ERR_COMMUNICATION_FAULT, PSU_SEV_HIGH));
    assert_int_equal(psu_set_mode(&P1.base, PSU_MODE_EXPORT, now), HAL_ESTATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_two_connector_session, setup),
        cmocka_unit_test_setup(test_session_hook, setup),
        cmocka_unit_test_setup(test_link_dropped_mid_session, setup),
        cmocka_unit_test_setup(test_unit_silent, setup),
        cmocka_unit_test_setup(test_refused_allocation, setup),
        cmocka_unit_test_setup(test_key_never_delivered, setup),
        cmocka_unit_test_setup(test_forged_reply_and_epo, setup),
        cmocka_unit_test_setup(test_unit_report, setup),
        cmocka_unit_test_setup(test_init_checked, setup),
        cmocka_unit_test_setup_teardown(test_tls_session, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_tls_client_refused, setup_tls_nocert, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
