/* Unit tests of the Bender isoCHA425HV driver against a fake device on a fake Modbus bus:
 * channel decoding, start-up configuration, measurement on demand, thresholds, self-test
 * (pass, device error, 30 s timeout), device fault, no answer, malformed replies,
 * "disable on stop". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_imd.h"
#include "fake_modbus.h"
#include "imd/imd_bender.h"

static struct fake_modbus s_mb;
static struct fake_imd s_dev;
static struct imd_bender s_d;
static struct imd_bender_config s_cfg;
static uint32_t s_now;

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        fake_imd_tick(&s_dev, s_now);
        imd_bender_step(&s_d, s_now);
        s_now++;
    }
}

static struct imd_status status(void)
{
    struct imd_status st;
    imd_bender_status(&s_d, &st);
    return st;
}

static void setup_with(const struct imd_bender_config *cfg)
{
    fake_modbus_init(&s_mb);
    fake_imd_init(&s_dev, &s_mb, FAKE_IMD_BENDER);
    s_cfg = *cfg;
    assert_int_equal(imd_bender_init(&s_d, &s_mb.base, &s_cfg), HAL_OK);
    s_now = 5000;
}

static void setup_default(void)
{
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    setup_with(&cfg);
}

static void test_decode_channel(void **state)
{
    (void)state;
    uint16_t w[4];
    imd_put_float_hi_first(w, 123456.5f);
    assert_int_equal(w[0], 0x47F1); /* 123456.5 = 0x47F12040 */
    assert_int_equal(w[1], 0x2040);
    w[2] = (uint16_t)(0x85u << 8 | 0x82u); /* test 2, alarm 5 | validity 2, unit 2 */
    w[3] = 71;
    struct imd_bender_channel ch;
    imd_bender_decode_channel(w, &ch);
    assert_float_equal(ch.value, 123456.5f, 0.01f);
    assert_int_equal(ch.alarm, 5);
    assert_int_equal(ch.test, 2);
    assert_int_equal(ch.unit, 2);
    assert_int_equal(ch.validity, 2);
    assert_int_equal(ch.code, 71);
    assert_float_equal(imd_float_hi_first(w), 123456.5f, 0.01f);
}

static void test_init_rejects_bad_thresholds(void **state)
{
    (void)state;
    struct imd_bender_config cfg;
    struct imd_bender d;
    struct fake_modbus *mb = &s_mb;
    fake_modbus_init(mb);
    imd_bender_config_default(&cfg);
    assert_int_equal(imd_bender_init(&d, &mb->base, &cfg), HAL_OK);
    cfg.r2_alarm_kohm = cfg.r1_prealarm_kohm;
    assert_int_equal(imd_bender_init(&d, &mb->base, &cfg), HAL_EINVAL);
    imd_bender_config_default(&cfg);
    cfg.r1_prealarm_kohm = 601;
    assert_int_equal(imd_bender_init(&d, &mb->base, &cfg), HAL_EINVAL);
    imd_bender_config_default(&cfg);
    cfg.r1_prealarm_kohm = 14;
    cfg.r2_alarm_kohm = 10;
    assert_int_equal(imd_bender_init(&d, &mb->base, &cfg), HAL_EINVAL);
    imd_bender_config_default(&cfg);
    cfg.unit = 0;
    assert_int_equal(imd_bender_init(&d, &mb->base, &cfg), HAL_EINVAL);
}

/* Start-up: name, ident, then every configuration register alone (FC16, 1 register),
 * at least 20 ms apart; fast self-test mode only for firmware > 5.00. */
static void check_startup(uint16_t fw, uint16_t want_mode)
{
    setup_default();
    s_dev.fw_version = fw;
    run(1000);
    struct imd_status st = status();
    assert_true(st.ready);
    assert_string_equal(imd_bender_name(&s_d), "isoCHA425HV");
    assert_true(s_mb.log[0].fn == HAL_MODBUS_READ_HOLDING && s_mb.log[0].addr == 9800);
    assert_true(s_mb.log[1].fn == HAL_MODBUS_READ_HOLDING && s_mb.log[1].addr == 9820);
    assert_int_equal(s_mb.log[0].unit, 3);
    unsigned writes = 0;
    for (uint32_t i = 0; i < s_mb.nlog; i++) {
        if (s_mb.log[i].fn == HAL_MODBUS_WRITE_MULTIPLE) {
            assert_int_equal(s_mb.log[i].count, 1);
            writes++;
        }
    }
    assert_int_equal(writes, 19);
    assert_int_equal(s_mb.regs[3005], 250);
    assert_int_equal(s_mb.regs[3007], 100);
    assert_int_equal(s_mb.regs[3011], 1050);
    assert_int_equal(s_mb.regs[3019], 5);
    assert_int_equal(s_mb.regs[3025], 1);
    assert_int_equal(s_mb.regs[3026], 1);
    assert_int_equal(s_mb.regs[3021], want_mode);
    assert_int_equal(s_dev.config_writes, 19);
}

static void test_startup_config_fast_selftest(void **state)
{
    (void)state;
    check_startup(501, 3);
}

static void test_startup_config_old_firmware(void **state)
{
    (void)state;
    check_startup(500, 0);
}

static void test_write_gap_and_read_gap(void **state)
{
    (void)state;
    /* One step per millisecond with a latency of 0 polls: the timestamps of submits are the
     * step times, so record them through the log order and a stepped clock. */
    setup_default();
    uint32_t when[64];
    uint32_t seen = 0;
    for (uint32_t i = 0; i < 3000 && seen < 64; i++) {
        fake_imd_tick(&s_dev, s_now);
        imd_bender_step(&s_d, s_now);
        while (seen < s_mb.nlog && seen < 64) {
            when[seen++] = s_now;
        }
        s_now++;
    }
    for (uint32_t i = 1; i < seen; i++) {
        bool w = s_mb.log[i].fn == HAL_MODBUS_WRITE_MULTIPLE && s_mb.log[i - 1].fn == HAL_MODBUS_WRITE_MULTIPLE;
        bool r = s_mb.log[i].fn == HAL_MODBUS_READ_HOLDING && s_mb.log[i - 1].fn == HAL_MODBUS_READ_HOLDING;
        if (w) {
            assert_true(when[i] - when[i - 1] >= 20);
        }
        if (r) {
            assert_true(when[i] - when[i - 1] >= 10);
        }
    }
}

static void test_measure_on_demand(void **state)
{
    (void)state;
    setup_default();
    run(3000);
    struct imd_status st = status();
    assert_false(st.published); /* not measuring: nothing published */
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_HOLDING, 1016), 0);
    assert_true(fake_modbus_count(&s_mb, HAL_MODBUS_READ_HOLDING, 1000) >= 2);
    assert_int_equal(imd_bender_start(&s_d), HAL_OK);
    run(1100);
    st = status();
    assert_true(st.published);
    assert_int_equal(st.values.resistance_ohm, 1000000);
    assert_int_equal(st.values.r_bound, IMD_BOUND_EXACT);
    assert_true(st.values.voltage_valid);
    assert_int_equal(st.values.voltage_dv, 4000);
    assert_true(st.values.earth_valid);
    assert_int_equal(st.values.l1e_dv, 2000);
    assert_int_equal(st.values.l2e_dv, -2000);
    assert_int_equal(st.values.alarm, IMD_ALARM_NONE);
    uint32_t seq = st.values.seq;
    run(2000);
    st = status();
    assert_true(st.values.seq >= seq + 1); /* once a second */
    assert_true(st.values.seq <= seq + 3);
    assert_int_equal(imd_bender_stop(&s_d), HAL_OK);
    st = status();
    assert_false(st.published);
    s_mb.nlog = 0;
    run(3000);
    assert_false(status().published);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_HOLDING, 1016), 0);
}

static void test_alarm_thresholds(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    s_dev.resistance_ohm = 200000.0f; /* below R1 250 k */
    run(3000);
    struct imd_status st = status();
    assert_true(st.published);
    assert_int_equal(st.values.alarm, IMD_ALARM_PREWARNING);
    s_dev.resistance_ohm = 50000.0f; /* below R2 100 k */
    run(1100);
    st = status();
    assert_int_equal(st.values.alarm, IMD_ALARM_ALARM);
    assert_int_equal(st.values.resistance_ohm, 50000);
    assert_int_equal(st.error, IMD_ERR_NONE); /* an insulation fault is not an error */
}

static void test_selftest_pass_publishes_nothing_meanwhile(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    run(3000);
    assert_true(status().published);
    assert_int_equal(imd_bender_self_test(&s_d, s_now), HAL_OK);
    assert_int_equal(imd_bender_self_test(&s_d, s_now), HAL_EBUSY);
    run(50);
    assert_true(fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, 8005, 0) >= 0);
    assert_int_equal(s_mb.regs[8005], 0x5445);
    for (int i = 0; i < 48; i++) {
        run(100);
        struct imd_status st = status();
        assert_false(st.published);
        assert_int_equal(st.test, IMD_TEST_RUNNING);
    }
    run(1500);
    struct imd_status st = status();
    assert_int_equal(st.test, IMD_TEST_PASSED);
    assert_int_equal(st.test_fail, IMD_TF_NONE);
    run(1100);
    assert_true(status().published);
}

static void test_selftest_device_error(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    run(2000);
    s_dev.test_fails = true;
    imd_bender_self_test(&s_d, s_now);
    run(7000);
    struct imd_status st = status();
    assert_int_equal(st.test, IMD_TEST_FAILED);
    assert_int_equal(st.test_fail, IMD_TF_DEVICE);
    assert_int_equal(st.error, IMD_ERR_DEVICE);
    assert_int_equal(st.device_code, 115);
    assert_false(st.published);
}

static void test_selftest_timeout_30s(void **state)
{
    (void)state;
    setup_default();
    run(2000);
    s_dev.test_hangs = true;
    uint32_t t0 = s_now;
    imd_bender_self_test(&s_d, s_now);
    run(29990);
    assert_int_equal(status().test, IMD_TEST_RUNNING);
    run(20);
    struct imd_status st = status();
    assert_int_equal(st.test, IMD_TEST_FAILED);
    assert_int_equal(st.test_fail, IMD_TF_TIMEOUT);
    assert_true(s_now - t0 >= 30000);
}

static void test_selftest_never_starts_times_out(void **state)
{
    (void)state;
    setup_default();
    run(2000);
    s_dev.test_ignored = true; /* the bits never show "external test": never a PASS */
    imd_bender_self_test(&s_d, s_now);
    run(30100);
    struct imd_status st = status();
    assert_int_equal(st.test, IMD_TEST_FAILED);
    assert_int_equal(st.test_fail, IMD_TF_TIMEOUT);
}

static void test_selftest_requested_before_configured(void **state)
{
    (void)state;
    setup_default();
    imd_bender_self_test(&s_d, s_now); /* queued until the configuration is written */
    run(8000);
    assert_int_equal(s_dev.tests_started, 1);
    assert_int_equal(status().test, IMD_TEST_PASSED);
    int test_at = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, 8005, 0);
    int enable_at = fake_modbus_find(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, 3026, 0);
    assert_true(enable_at >= 0 && test_at > enable_at);
}

static void test_device_fault_and_recovery(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    run(3000);
    assert_true(status().published);
    s_dev.device_fault = true;
    run(1100);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_DEVICE);
    assert_int_equal(st.device_code, 115);
    assert_false(st.published);
    /* while it lasts: polled every 10 s, not every second */
    s_mb.nlog = 0;
    run(9000);
    assert_true(fake_modbus_count(&s_mb, HAL_MODBUS_READ_HOLDING, 1000) <= 1);
    s_dev.device_fault = false;
    uint32_t cw = s_dev.config_writes;
    run(2000);
    st = status();
    assert_int_equal(st.error, IMD_ERR_NONE);
    assert_true(s_dev.config_writes >= cw + 19); /* configured again */
    /* one round is skipped after the recovery, the next one publishes */
    run(2000);
    assert_true(status().published);
}

static void test_no_answer_then_recovery(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    run(3000);
    assert_true(status().published);
    s_mb.offline = true;
    run(2500);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_COMM);
    assert_false(st.published);
    assert_false(st.ready);
    /* two attempts of 500 ms -> the HAL saw each request with retries = 0 */
    assert_int_equal(s_mb.log[s_mb.nlog - 1].retries, 0);
    assert_int_equal(s_mb.log[s_mb.nlog - 1].timeout_ms, 500);
    s_mb.offline = false;
    uint32_t n = s_mb.nlog;
    run(5000);
    assert_int_equal(s_mb.nlog, n); /* quiet until the 10 s retry */
    run(8000);
    st = status();
    assert_int_equal(st.error, IMD_ERR_NONE);
    assert_true(st.ready);
    assert_true(st.published);
}

static void test_malformed_replies(void **state)
{
    (void)state;
    setup_default();
    imd_bender_start(&s_d);
    run(3000);
    /* a bad frame is retried once (2 attempts) and the cycle goes on */
    s_mb.bad_replies_next = 1;
    run(1100);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_NONE);
    assert_true(st.published);
    /* two in a row: the device counts as not answering */
    s_mb.bad_replies_next = 2;
    run(1300);
    st = status();
    assert_int_equal(st.error, IMD_ERR_COMM);
    assert_false(st.published);
    run(12000);
    assert_true(status().published);
    /* NaN resistance: malformed, nothing published */
    s_dev.rf_nan = true;
    run(1100);
    st = status();
    assert_true(st.malformed);
    assert_true(st.malformed_count >= 1);
    assert_false(st.published);
    s_dev.rf_nan = false;
    /* wrong unit (V instead of Ohm) */
    s_dev.rf_status_override = (uint16_t)(0x00u << 8 | 0x04u);
    run(1100);
    assert_true(status().malformed);
    assert_false(status().published);
    /* reserved alarm code 3 */
    s_dev.rf_status_override = (uint16_t)(0x03u << 8 | 0x02u);
    run(1100);
    assert_true(status().malformed);
    assert_false(status().published);
    /* validity "invalid": left out, but not malformed */
    s_dev.rf_status_override = (uint16_t)(0x00u << 8 | 0xC2u);
    run(1100);
    assert_false(status().malformed);
    assert_false(status().published);
    /* validity "true value is bigger": published as a lower bound */
    s_dev.rf_status_override = (uint16_t)(0x00u << 8 | 0x82u);
    run(1100);
    st = status();
    assert_true(st.published);
    assert_int_equal(st.values.r_bound, IMD_BOUND_ABOVE);
    s_dev.rf_status_override = 0;
    run(1100);
    assert_int_equal(status().values.r_bound, IMD_BOUND_EXACT);
}

static void test_exception_on_config(void **state)
{
    (void)state;
    setup_default();
    s_mb.exc_addr = 3011;
    s_mb.exc_count = 1;
    s_mb.exc_code = 3;
    run(2000);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_EXCEPTION);
    assert_int_equal(st.exception, 3);
    assert_false(st.ready);
    /* exceptions are not retried at once: only one write to 3011 */
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, 3011), 1);
    s_mb.exc_code = 0;
    run(11000);
    assert_true(status().ready);
    assert_int_equal(status().error, IMD_ERR_NONE);
}

static void test_disable_on_stop(void **state)
{
    (void)state;
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    cfg.disable_on_stop = true;
    setup_with(&cfg);
    run(1000);
    assert_int_equal(s_mb.regs[3026], 0);
    assert_int_equal(s_mb.regs[3025], 0); /* no self-test at start-up with disable-on-stop */
    imd_bender_start(&s_d);
    run(100);
    assert_int_equal(s_mb.regs[3026], 1);
    run(2000);
    assert_true(status().published);
    imd_bender_stop(&s_d);
    run(100);
    assert_int_equal(s_mb.regs[3026], 0);
    /* a self-test enables it, and 10 s after the test it is disabled again */
    imd_bender_self_test(&s_d, s_now);
    run(100);
    assert_int_equal(s_mb.regs[3026], 1);
    run(6000);
    assert_int_equal(status().test, IMD_TEST_PASSED);
    assert_int_equal(s_mb.regs[3026], 1);
    run(9000);
    assert_int_equal(s_mb.regs[3026], 1);
    run(1500);
    assert_int_equal(s_mb.regs[3026], 0);
}

static void test_next_deadline_is_bounded(void **state)
{
    (void)state;
    setup_default();
    run(3000);
    uint32_t next = imd_bender_step(&s_d, s_now);
    assert_true(next - s_now <= 1000);
    s_mb.offline = true;
    run(2500);
    next = imd_bender_step(&s_d, s_now);
    assert_true(next - s_now <= 10000);
    assert_true(next - s_now > 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_channel),
        cmocka_unit_test(test_init_rejects_bad_thresholds),
        cmocka_unit_test(test_startup_config_fast_selftest),
        cmocka_unit_test(test_startup_config_old_firmware),
        cmocka_unit_test(test_write_gap_and_read_gap),
        cmocka_unit_test(test_measure_on_demand),
        cmocka_unit_test(test_alarm_thresholds),
        cmocka_unit_test(test_selftest_pass_publishes_nothing_meanwhile),
        cmocka_unit_test(test_selftest_device_error),
        cmocka_unit_test(test_selftest_timeout_30s),
        cmocka_unit_test(test_selftest_never_starts_times_out),
        cmocka_unit_test(test_selftest_requested_before_configured),
        cmocka_unit_test(test_device_fault_and_recovery),
        cmocka_unit_test(test_no_answer_then_recovery),
        cmocka_unit_test(test_malformed_replies),
        cmocka_unit_test(test_exception_on_config),
        cmocka_unit_test(test_disable_on_stop),
        cmocka_unit_test(test_next_deadline_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
