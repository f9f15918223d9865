/* Unit tests of the Dold RN5893 driver against a fake device on a fake Modbus bus:
 * start-up configuration (EEPROM written only when different), the Modbus watchdog kept
 * alive and recovered after it tripped, measurement on demand and modes, thresholds,
 * self-test (pass, device fault, 30 s timeout, control word untouched), device faults,
 * no answer, malformed replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_imd.h"
#include "fake_modbus.h"
#include "imd/imd_dold.h"

static struct fake_modbus s_mb;
static struct fake_imd s_dev;
static struct imd_dold s_d;
static uint32_t s_now;

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        fake_imd_tick(&s_dev, s_now);
        imd_dold_step(&s_d, s_now);
        s_now++;
    }
}

static struct imd_status status(void)
{
    struct imd_status st;
    imd_dold_status(&s_d, &st);
    return st;
}

static void setup_with(const struct imd_dold_config *cfg)
{
    fake_modbus_init(&s_mb);
    fake_imd_init(&s_dev, &s_mb, FAKE_IMD_DOLD);
    assert_int_equal(imd_dold_init(&s_d, &s_mb.base, cfg), HAL_OK);
    s_now = 7000;
    s_dev.last_heard_ms = s_now;
}

static void setup_default(void)
{
    struct imd_dold_config cfg;
    imd_dold_config_default(&cfg);
    setup_with(&cfg);
}

/* Number of FC06 writes to the control word in the log from index `from` on. */
static uint32_t ctrl_writes_from(uint32_t from)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < s_mb.nlog; i++) {
        if (s_mb.log[i].fn == HAL_MODBUS_WRITE_SINGLE && s_mb.log[i].addr == 0) {
            n++;
        }
    }
    return n;
}

static void test_init_validation(void **state)
{
    (void)state;
    struct imd_dold_config cfg;
    struct imd_dold d;
    fake_modbus_init(&s_mb);
    imd_dold_config_default(&cfg);
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_OK);
    cfg.watchdog_s = 1;
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_EINVAL);
    imd_dold_config_default(&cfg);
    cfg.prealarm_kohm = 50; /* below the alarm threshold */
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_EINVAL);
    imd_dold_config_default(&cfg);
    cfg.alarm_kohm = 501;
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_EINVAL);
    imd_dold_config_default(&cfg);
    cfg.k1_function = 0x0C; /* not one-hot */
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_EINVAL);
    imd_dold_config_default(&cfg);
    cfg.watchdog_s = 2;
    cfg.poll_ms = 1000; /* 2 s is allowed with a 1 s refresh */
    assert_int_equal(imd_dold_init(&d, &s_mb.base, &cfg), HAL_OK);
}

static void test_startup_sequence(void **state)
{
    (void)state;
    setup_default();
    run(500);
    struct imd_status st = status();
    assert_true(st.ready);
    /* reset, read the EEPROM block, write it (differs), watchdog, reset, control word */
    const struct fake_modbus_entry *l = s_mb.log;
    assert_true(l[0].fn == HAL_MODBUS_WRITE_SINGLE && l[0].addr == 0 && l[0].first == 1);
    assert_true(l[1].fn == HAL_MODBUS_READ_HOLDING && l[1].addr == 2000 && l[1].count == 11);
    assert_true(l[2].fn == HAL_MODBUS_WRITE_MULTIPLE && l[2].addr == 2000 && l[2].count == 11);
    assert_true(l[3].fn == HAL_MODBUS_WRITE_MULTIPLE && l[3].addr == 1 && l[3].count == 2);
    assert_true(l[4].fn == HAL_MODBUS_WRITE_SINGLE && l[4].addr == 0 && l[4].first == 1);
    assert_true(l[5].fn == HAL_MODBUS_WRITE_SINGLE && l[5].addr == 0 && l[5].first == 0x0100);
    assert_int_equal(l[0].unit, 1);
    assert_int_equal(s_mb.regs[2005], 100);
    assert_int_equal(s_mb.regs[2006], 250);
    assert_int_equal(s_mb.regs[2003], 2);
    assert_int_equal(s_mb.regs[2004], 77); /* left as read */
    assert_int_equal(s_mb.regs[2010], 0);  /* no automatic self-test (UL 2231) */
    assert_int_equal(s_mb.regs[1], 1);
    assert_int_equal(s_mb.regs[2], 3000);
    assert_int_equal(s_dev.eeprom_writes, 1);
    assert_int_equal(s_dev.ctrl, 0x0100); /* standard mode: measurement off until start */
}

static void test_eeprom_not_rewritten_when_equal(void **state)
{
    (void)state;
    setup_default();
    run(500);
    assert_int_equal(s_dev.eeprom_writes, 1);
    /* a re-configuration (after a comm loss) finds the block equal: no second write */
    s_mb.offline = true;
    run(1500);
    s_mb.offline = false;
    run(12000);
    assert_true(status().ready);
    assert_true(s_dev.resets >= 3);
    assert_int_equal(s_dev.eeprom_writes, 1);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_WRITE_MULTIPLE, 2000), 1);
}

static void test_watchdog_kept_alive(void **state)
{
    (void)state;
    setup_default();
    run(500);
    uint32_t n0 = s_mb.nlog;
    uint32_t last = s_now, worst = 0;
    for (uint32_t i = 0; i < 60000; i++) {
        uint32_t before = s_mb.nlog;
        run(1);
        if (s_mb.nlog > before && s_mb.log[s_mb.nlog - 1].fn == HAL_MODBUS_WRITE_MULTIPLE &&
            s_mb.log[s_mb.nlog - 1].addr == 1) {
            if (s_now - last > worst) {
                worst = s_now - last;
            }
            last = s_now;
        }
        if (s_mb.nlog > 400) {
            s_mb.nlog = n0 = 0;
        }
    }
    (void)n0;
    assert_int_equal(s_dev.wd_trips, 0);
    assert_true(worst <= 1100); /* refreshed about every second, well inside 3 s */
    assert_true(s_d.wd_refreshes >= 55);
    assert_int_equal(status().error, IMD_ERR_NONE);
}

static void test_watchdog_trip_recovered(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    assert_true(status().published);
    /* the master stalls for 4 s: the device trips fault 9 */
    for (uint32_t i = 0; i < 4000; i++) {
        fake_imd_tick(&s_dev, s_now++);
    }
    assert_int_equal(fake_imd_dold_fault(&s_dev), 9);
    run(100);
    assert_true(s_d.wd_recoveries >= 1);
    run(3000);
    struct imd_status st = status();
    assert_int_equal(fake_imd_dold_fault(&s_dev), 0);
    assert_int_equal(st.error, IMD_ERR_NONE);
    assert_true(st.ready);
    assert_true(st.published);
    assert_int_equal(s_dev.wd_trips, 1);
}

static void test_refused_write_triggers_reset(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    /* fault 9 appears between the status read and the refresh: the refresh is refused */
    s_dev.device_fault = true;
    s_dev.fault_code = 9;
    s_mb.nlog = 0;
    run(2000);
    assert_true(s_dev.refused_writes >= 1 || s_d.wd_recoveries >= 1);
    assert_int_equal(fake_imd_dold_fault(&s_dev), 0);
    run(2000);
    assert_true(status().published);
    assert_int_equal(status().error, IMD_ERR_NONE);
}

static void test_measure_on_demand_and_encoding(void **state)
{
    (void)state;
    setup_default();
    run(3000);
    assert_false(status().published);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_INPUT, 2000), 0);
    imd_dold_start(&s_d);
    run(1200);
    assert_int_equal(s_dev.ctrl, 0); /* measurement on */
    struct imd_status st = status();
    assert_true(st.published);
    assert_int_equal(st.values.resistance_ohm, 1000000); /* 10000 x 100 Ohm */
    assert_int_equal(st.values.r_bound, IMD_BOUND_EXACT);
    assert_true(st.values.voltage_valid);
    assert_int_equal(st.values.voltage_dv, 4000);
    assert_false(st.values.earth_valid);
    s_dev.resistance_ohm = 3.0e6f; /* 0xFFFF: more than 2 MOhm */
    s_dev.voltage_v = -1.0f;       /* 0xFFFF: out of range */
    run(1100);
    st = status();
    assert_int_equal(st.values.resistance_ohm, 2000000);
    assert_int_equal(st.values.r_bound, IMD_BOUND_ABOVE);
    assert_false(st.values.voltage_valid);
    imd_dold_stop(&s_d);
    assert_false(status().published);
    run(1200);
    assert_int_equal(s_dev.ctrl, 0x0100);
    s_mb.nlog = 0;
    run(3000);
    assert_false(status().published);
    assert_int_equal(fake_modbus_count(&s_mb, HAL_MODBUS_READ_INPUT, 2000), 0);
}

static void test_alarm_states(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    s_dev.resistance_ohm = 200000.0f; /* below pre-alarm 250 k: state 7 */
    run(2500);
    struct imd_status st = status();
    assert_true(st.published);
    assert_int_equal(st.values.alarm, IMD_ALARM_PREWARNING);
    s_dev.resistance_ohm = 80000.0f; /* below alarm 100 k: state 6 */
    run(1100);
    st = status();
    assert_int_equal(st.values.alarm, IMD_ALARM_ALARM);
    assert_int_equal(st.values.resistance_ohm, 80000);
    assert_int_equal(st.error, IMD_ERR_NONE);
}

static void test_selftest_pass_control_word_untouched(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    s_mb.nlog = 0;
    assert_int_equal(imd_dold_self_test(&s_d, s_now), HAL_OK);
    assert_int_equal(imd_dold_self_test(&s_d, s_now), HAL_EBUSY);
    run(50);
    assert_true(s_mb.log[0].fn == HAL_MODBUS_WRITE_SINGLE && s_mb.log[0].addr == 0 &&
                s_mb.log[0].first == 0x0010);
    imd_dold_stop(&s_d);  /* asks for measurement off: must wait until the test ends */
    imd_dold_start(&s_d);
    imd_dold_stop(&s_d);
    for (int i = 0; i < 48; i++) {
        run(100);
        assert_false(status().published);
        assert_int_equal(status().test, IMD_TEST_RUNNING);
    }
    assert_int_equal(ctrl_writes_from(1), 0);
    run(1000);
    assert_int_equal(status().test, IMD_TEST_PASSED);
    run(200);
    assert_int_equal(s_dev.ctrl, 0x0100); /* the normal control word is back */
}

static void test_selftest_device_fault(void **state)
{
    (void)state;
    setup_default();
    run(1000);
    s_dev.test_fails = true;
    s_dev.fault_latched = true;
    imd_dold_self_test(&s_d, s_now);
    run(6000);
    struct imd_status st = status();
    assert_int_equal(st.test, IMD_TEST_FAILED);
    assert_int_equal(st.test_fail, IMD_TF_DEVICE);
    assert_int_equal(st.error, IMD_ERR_DEVICE);
    assert_int_equal(st.device_code, 3);
}

static void test_selftest_timeout_30s(void **state)
{
    (void)state;
    setup_default();
    run(1000);
    s_dev.test_hangs = true;
    imd_dold_self_test(&s_d, s_now);
    s_mb.nlog = 0;
    run(29990);
    assert_int_equal(status().test, IMD_TEST_RUNNING);
    assert_int_equal(s_dev.wd_trips, 0); /* the watchdog is refreshed during the test */
    run(20);
    assert_int_equal(status().test, IMD_TEST_FAILED);
    assert_int_equal(status().test_fail, IMD_TF_TIMEOUT);
}

static void test_device_fault_no_values_then_recovery(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    assert_true(status().published);
    s_dev.device_fault = true;
    s_dev.fault_code = 1; /* broken wire */
    s_dev.fault_latched = true;
    run(1100);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_DEVICE);
    assert_int_equal(st.device_code, 1);
    assert_false(st.published);
    assert_string_equal(imd_dold_fault_name(1), "broken wire L(+)/L(-)");
    /* the watchdog is still fed while the fault lasts */
    run(12000);
    assert_int_equal(s_dev.wd_trips, 0);
    assert_false(status().published);
    s_dev.device_fault = false;
    s_dev.fault_code = 0;
    run(1100);
    assert_int_equal(status().error, IMD_ERR_NONE);
    run(2100);
    assert_true(status().published);
}

static void test_no_answer(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    s_mb.offline = true;
    run(2000);
    struct imd_status st = status();
    assert_int_equal(st.error, IMD_ERR_COMM);
    assert_false(st.published);
    s_mb.offline = false;
    run(12000);
    st = status();
    assert_int_equal(st.error, IMD_ERR_NONE);
    assert_true(st.published);
}

static void test_malformed_replies(void **state)
{
    (void)state;
    setup_default();
    imd_dold_start(&s_d);
    run(2500);
    s_mb.bad_replies_next = 1; /* retried */
    run(1100);
    assert_int_equal(status().error, IMD_ERR_NONE);
    assert_true(status().published);
    s_dev.state_override = 9; /* not a state of the register definition */
    run(1100);
    struct imd_status st = status();
    assert_true(st.malformed);
    assert_false(st.published);
    assert_true(st.malformed_count >= 1);
    s_dev.state_override = 2; /* error mode with fault 0: not published, not a fault */
    run(1100);
    assert_false(status().malformed);
    assert_false(status().published);
    s_dev.state_override = 0;
    run(1100);
    assert_true(status().published);
}

static void test_modes(void **state)
{
    (void)state;
    struct imd_dold_config cfg;
    imd_dold_config_default(&cfg);
    cfg.mode = IMD_DOLD_MODE_KEEP;
    setup_with(&cfg);
    run(2500);
    assert_int_equal(s_dev.ctrl, 0);       /* always measuring: relays alarm */
    assert_false(status().published);      /* ... but nothing published */
    imd_dold_start(&s_d);
    run(1100);
    assert_true(status().published);
    imd_dold_config_default(&cfg);
    cfg.mode = IMD_DOLD_MODE_ALWAYS;
    setup_with(&cfg);
    run(2500);
    assert_int_equal(s_dev.ctrl, 0);
    assert_true(status().published);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_validation),
        cmocka_unit_test(test_startup_sequence),
        cmocka_unit_test(test_eeprom_not_rewritten_when_equal),
        cmocka_unit_test(test_watchdog_kept_alive),
        cmocka_unit_test(test_watchdog_trip_recovered),
        cmocka_unit_test(test_refused_write_triggers_reset),
        cmocka_unit_test(test_measure_on_demand_and_encoding),
        cmocka_unit_test(test_alarm_states),
        cmocka_unit_test(test_selftest_pass_control_word_untouched),
        cmocka_unit_test(test_selftest_device_fault),
        cmocka_unit_test(test_selftest_timeout_30s),
        cmocka_unit_test(test_device_fault_no_values_then_recovery),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_malformed_replies),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
