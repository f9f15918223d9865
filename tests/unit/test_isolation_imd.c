/* Unit tests of the isolation-monitor interface and its Bender and Dold adapters, run
 * through the scheduler as a board would: status classification (IEC 61851-23 Ohm/V),
 * validity, staleness, self-test results and EVerest errors with severities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_imd.h"
#include "fake_modbus.h"
#include "isolation_imd.h"
#include "isolation.h"
#include "sched.h"

static struct fake_modbus s_mb;
static struct fake_imd s_dev;
static struct sched s_sched;
static struct isolation_imd_bender s_bender;
static struct isolation_imd_dold s_dold;
static struct isolation *s_iso;
static uint32_t s_now;

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        fake_imd_tick(&s_dev, s_now);
        sched_run(&s_sched, s_now, true);
        s_now++;
    }
}

static void setup_bender(void)
{
    fake_modbus_init(&s_mb);
    fake_imd_init(&s_dev, &s_mb, FAKE_IMD_BENDER);
    sched_init(&s_sched);
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    assert_int_equal(isolation_imd_bender_init(&s_bender, &s_mb.base, &cfg, NULL), HAL_OK);
    s_now = 100;
    assert_int_equal(sched_add(&s_sched, isolation_imd_bender_task(&s_bender), s_now), HAL_OK);
    s_iso = &s_bender.base;
}

static void setup_dold(void)
{
    fake_modbus_init(&s_mb);
    fake_imd_init(&s_dev, &s_mb, FAKE_IMD_DOLD);
    sched_init(&s_sched);
    struct imd_dold_config cfg;
    imd_dold_config_default(&cfg);
    struct isolation_limits lim;
    isolation_limits_default(&lim);
    lim.rated_voltage_v = 500;
    assert_int_equal(isolation_imd_dold_init(&s_dold, &s_mb.base, &cfg, &lim), HAL_OK);
    s_now = 100;
    s_dev.last_heard_ms = s_now;
    assert_int_equal(sched_add(&s_sched, isolation_imd_dold_task(&s_dold), s_now), HAL_OK);
    s_iso = &s_dold.base;
}

static void test_classify(void **state)
{
    (void)state;
    struct isolation_limits lim;
    isolation_limits_default(&lim); /* 1000 V: warning <= 500 k, fault <= 100 k */
    assert_int_equal(isolation_classify(&lim, 500001, ISOLATION_ALARM_NONE), ISOLATION_VALID);
    assert_int_equal(isolation_classify(&lim, 500000, ISOLATION_ALARM_NONE), ISOLATION_WARNING);
    assert_int_equal(isolation_classify(&lim, 100001, ISOLATION_ALARM_NONE), ISOLATION_WARNING);
    assert_int_equal(isolation_classify(&lim, 100000, ISOLATION_ALARM_NONE), ISOLATION_FAULT);
    assert_int_equal(isolation_classify(&lim, 0, ISOLATION_ALARM_NONE), ISOLATION_FAULT);
    /* the device's own alarm raises the status, never lowers it */
    assert_int_equal(isolation_classify(&lim, 900000, ISOLATION_ALARM_PREWARNING), ISOLATION_WARNING);
    assert_int_equal(isolation_classify(&lim, 900000, ISOLATION_ALARM_ALARM), ISOLATION_FAULT);
    assert_int_equal(isolation_classify(&lim, 50000, ISOLATION_ALARM_PREWARNING), ISOLATION_FAULT);
    lim.rated_voltage_v = 4000000000u; /* no overflow */
    assert_int_equal(isolation_classify(&lim, 4000000000u, ISOLATION_ALARM_NONE), ISOLATION_FAULT);
    assert_string_equal(isolation_error_name(ISOLATION_ERR_DEVICE_FAULT), "DeviceFault");
    assert_string_equal(isolation_error_name(ISOLATION_ERR_COMMUNICATION_FAULT), "CommunicationFault");
    assert_string_equal(isolation_error_name(ISOLATION_ERR_VENDOR_ERROR), "VendorError");
    assert_string_equal(isolation_error_name(ISOLATION_ERR_VENDOR_WARNING), "VendorWarning");
    assert_string_equal(isolation_status_name(ISOLATION_WARNING), "Warning");
    assert_true(isolation_error_stops_session(ISOLATION_ERR_DEVICE_FAULT));
    assert_false(isolation_error_stops_session(ISOLATION_ERR_VENDOR_WARNING));
}

static void test_bender_adapter_measure_and_status(void **state)
{
    (void)state;
    setup_bender();
    struct isolation_measurement m;
    run(2000);
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_EAGAIN); /* not measuring */
    assert_false(m.valid);
    assert_int_equal(m.status, ISOLATION_INVALID);
    assert_int_equal(isolation_start(s_iso, s_now), HAL_OK);
    run(1100);
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_OK);
    assert_true(m.valid);
    assert_int_equal(m.resistance_ohm, 1000000);
    assert_int_equal(m.status, ISOLATION_VALID);
    assert_true(m.earth_valid);
    s_dev.resistance_ohm = 300000.0f; /* 300 Ohm/V at 1000 V: warning (device: no alarm) */
    run(1100);
    isolation_read(s_iso, &m, s_now);
    assert_int_equal(m.status, ISOLATION_WARNING);
    s_dev.resistance_ohm = 90000.0f;
    run(1100);
    isolation_read(s_iso, &m, s_now);
    assert_int_equal(m.status, ISOLATION_FAULT);
    assert_int_equal(m.alarm, ISOLATION_ALARM_ALARM);
    size_t n = 9;
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    assert_int_equal(isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n), HAL_OK);
    assert_int_equal(n, 0); /* an insulation fault is a status, not an error */
    assert_int_equal(isolation_stop(s_iso, s_now), HAL_OK);
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_EAGAIN);
}

static void test_bender_adapter_selftest_and_device_fault(void **state)
{
    (void)state;
    setup_bender();
    run(1500);
    assert_int_equal(isolation_self_test_result(s_iso), ISOLATION_TEST_NONE);
    assert_int_equal(isolation_self_test(s_iso, 500, s_now), HAL_OK);
    assert_int_equal(isolation_self_test_result(s_iso), ISOLATION_TEST_RUNNING);
    assert_int_equal(isolation_self_test(s_iso, 500, s_now), HAL_EBUSY);
    run(7000);
    assert_int_equal(isolation_self_test_result(s_iso), ISOLATION_TEST_PASSED);
    isolation_start(s_iso, s_now);
    s_dev.device_fault = true;
    run(1100);
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].type, ISOLATION_ERR_DEVICE_FAULT);
    assert_int_equal(e[0].severity, ISOLATION_SEV_HIGH);
    assert_int_equal(e[0].vendor_code, 115);
    struct isolation_measurement m;
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_EAGAIN);
    assert_int_equal(m.status, ISOLATION_INVALID);
    /* too small an array reports the overflow */
    assert_int_equal(isolation_get_errors(s_iso, e, 0, &n), HAL_EOVERFLOW);
}

static void test_dold_adapter_errors(void **state)
{
    (void)state;
    setup_dold();
    isolation_start(s_iso, s_now);
    s_dev.resistance_ohm = 200000.0f; /* 400 Ohm/V at 500 V: warning, and the device pre-alarms */
    run(2500);
    struct isolation_measurement m;
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_OK);
    assert_int_equal(m.status, ISOLATION_WARNING);
    assert_int_equal(m.alarm, ISOLATION_ALARM_PREWARNING);
    assert_false(m.earth_valid);
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    /* no answer -> CommunicationFault High */
    s_mb.offline = true;
    run(2000);
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].type, ISOLATION_ERR_COMMUNICATION_FAULT);
    assert_int_equal(e[0].severity, ISOLATION_SEV_HIGH);
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_EAGAIN);
    s_mb.offline = false;
    run(13000);
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 0);
    assert_int_equal(isolation_read(s_iso, &m, s_now), HAL_OK);
    /* a malformed state -> VendorWarning Low, which does not stop a session */
    s_dev.state_override = 12;
    run(1100);
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].type, ISOLATION_ERR_VENDOR_WARNING);
    assert_int_equal(e[0].severity, ISOLATION_SEV_LOW);
    assert_false(isolation_error_stops_session(e[0].type));
    s_dev.state_override = 0;
    run(1100);
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 0);
    /* an exception on every request -> VendorError High with the code */
    s_mb.exc_addr = 0;
    s_mb.exc_count = 0xFFFF;
    s_mb.exc_code = 6;
    run(1100);
    isolation_get_errors(s_iso, e, ISOLATION_ERRORS_MAX, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].type, ISOLATION_ERR_VENDOR_ERROR);
    assert_int_equal(e[0].vendor_code, 6);
    assert_int_equal(e[0].severity, ISOLATION_SEV_HIGH);
}

static void test_dold_adapter_selftest_timeout(void **state)
{
    (void)state;
    setup_dold();
    run(1000);
    s_dev.test_hangs = true;
    assert_int_equal(isolation_self_test(s_iso, 400, s_now), HAL_OK);
    run(29000);
    assert_int_equal(isolation_self_test_result(s_iso), ISOLATION_TEST_RUNNING);
    run(1100);
    assert_int_equal(isolation_self_test_result(s_iso), ISOLATION_TEST_FAILED);
}

static void test_stale_value_is_invalid(void **state)
{
    (void)state;
    struct imd_status st;
    memset(&st, 0, sizeof st);
    st.published = true;
    st.values.resistance_ohm = 2000000;
    st.values.at_ms = 1000;
    st.values.seq = 4;
    struct isolation_limits lim;
    isolation_limits_default(&lim);
    struct isolation_measurement m;
    assert_int_equal(isolation_imd_measurement(&st, &lim, 3999, &m), HAL_OK);
    assert_int_equal(m.status, ISOLATION_VALID);
    assert_int_equal(m.seq, 4);
    assert_int_equal(isolation_imd_measurement(&st, &lim, 4001, &m), HAL_EAGAIN);
    assert_int_equal(m.status, ISOLATION_INVALID);
    /* "the true value is smaller than this": no usable value */
    st.values.r_bound = IMD_BOUND_BELOW;
    assert_int_equal(isolation_imd_measurement(&st, &lim, 1500, &m), HAL_EAGAIN);
    st.values.r_bound = IMD_BOUND_ABOVE;
    assert_int_equal(isolation_imd_measurement(&st, &lim, 1500, &m), HAL_OK);
    assert_true(m.resistance_lower_bound);
    st.test = IMD_TEST_RUNNING;
    assert_int_equal(isolation_imd_measurement(&st, &lim, 1500, &m), HAL_EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_bender_adapter_measure_and_status),
        cmocka_unit_test(test_bender_adapter_selftest_and_device_fault),
        cmocka_unit_test(test_dold_adapter_errors),
        cmocka_unit_test(test_dold_adapter_selftest_timeout),
        cmocka_unit_test(test_stale_value_is_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
