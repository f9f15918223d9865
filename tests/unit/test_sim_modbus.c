/* Unit tests of the simulation layer's in-memory Modbus (sim/sim_modbus.c) and its Bender and
 * Dold device models (sim/sim_imd_dev.c) read by the REAL drivers (protocols/imd +
 * firmware/isolation_imd.c), and of the simulator's isolation monitor built from them
 * (sim/sim_imd.c): asynchronous completion, timeouts of a silent or absent unit, refusals,
 * measurements, self-test and fault injection at register level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "isolation_imd.h"
#include "isolation.h"
#include "sched.h"
#include "sim_imd.h"
#include "sim_imd_dev.h"
#include "sim_modbus.h"

static struct sim_modbus s_bus;
static struct sim_imd_dev s_dev;
static struct sim_imd s_imd;
static struct sched s_sched;
static struct isolation_imd_bender s_bender;
static struct isolation_imd_dold s_dold;
static uint32_t s_now;

/* A slave whose hooks count their calls and refuse writes to register 7. */
static unsigned s_reads, s_writes;
static uint8_t gate_no_7(struct sim_mb_slave *s, const struct hal_modbus_req *req, uint32_t now_ms)
{
    (void)s;
    (void)now_ms;
    bool write = req->fn == HAL_MODBUS_WRITE_SINGLE || req->fn == HAL_MODBUS_WRITE_MULTIPLE;
    return write && req->addr == 7 ? 4 : 0;
}
static void count_read(struct sim_mb_slave *s, uint32_t now_ms)
{
    (void)now_ms;
    s_reads++;
    s->holding[0]++;
}
static void count_write(struct sim_mb_slave *s, uint16_t addr, uint16_t count, uint32_t now_ms)
{
    (void)s;
    (void)addr;
    (void)count;
    (void)now_ms;
    s_writes++;
}
static const struct sim_mb_slave_ops s_count_ops = {gate_no_7, count_read, count_write};
static struct sim_mb_slave s_slave;

/* Poll until the request completes, advancing the bus 1 ms per poll; returns the ms taken. */
static uint32_t complete(struct hal_modbus_result *r)
{
    uint32_t t0 = s_now;
    for (;;) {
        int rc = hal_modbus_poll(&s_bus.base, r);
        if (rc == HAL_OK) {
            return s_now - t0;
        }
        assert_int_equal(rc, HAL_EAGAIN);
        s_now++;
        sim_modbus_tick(&s_bus, s_now);
        assert_true(s_now - t0 < 10000u);
    }
}

static void setup_counting(void)
{
    s_now = 1000;
    s_reads = s_writes = 0;
    sim_modbus_init(&s_bus, 8);
    sim_modbus_tick(&s_bus, s_now);
    sim_mb_slave_init(&s_slave, 5, &s_count_ops, NULL);
    assert_int_equal(sim_modbus_attach(&s_bus, &s_slave), HAL_OK);
}

static void test_bus_is_asynchronous(void **state)
{
    (void)state;
    setup_counting();
    uint16_t regs[3] = {0};
    s_slave.holding[1] = 0x1234;
    struct hal_modbus_req req = {.unit = 5, .fn = HAL_MODBUS_READ_HOLDING, .addr = 0, .count = 3, .regs = regs};
    struct hal_modbus_result r;
    assert_int_equal(hal_modbus_poll(&s_bus.base, &r), HAL_ESTATE);
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_OK);
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_EBUSY);
    assert_int_equal(s_reads, 0u); /* nothing answered at submit */
    assert_int_equal(complete(&r), 8u);
    assert_int_equal(r.status, HAL_OK);
    assert_int_equal(s_reads, 1u);
    assert_int_equal(regs[0], 1u); /* refreshed by the model before the answer */
    assert_int_equal(regs[1], 0x1234u);
    assert_int_equal(s_bus.stats.busy, 1u);
    /* a write lands in the holding map, then the model reacts */
    uint16_t v = 42;
    struct hal_modbus_req w = {.unit = 5, .fn = HAL_MODBUS_WRITE_SINGLE, .addr = 9, .count = 1, .regs = &v};
    assert_int_equal(hal_modbus_submit(&s_bus.base, &w), HAL_OK);
    (void)complete(&r);
    assert_int_equal(r.status, HAL_OK);
    assert_int_equal(s_slave.holding[9], 42u);
    assert_int_equal(s_writes, 1u);
    /* the device's refusal is an exception */
    w.addr = 7;
    assert_int_equal(hal_modbus_submit(&s_bus.base, &w), HAL_OK);
    (void)complete(&r);
    assert_int_equal(r.status, HAL_EPROTO);
    assert_int_equal(r.exception, 4);
    assert_int_equal(s_slave.holding[7], 0u);
}

static void test_bus_silent_and_absent_units_time_out(void **state)
{
    (void)state;
    setup_counting();
    uint16_t regs[1];
    struct hal_modbus_result r;
    struct hal_modbus_req req = {.unit = 9, .fn = HAL_MODBUS_READ_INPUT, .addr = 0, .count = 1, .regs = regs,
                                 .timeout_ms = 100, .retries = 2};
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_OK);
    assert_int_equal(complete(&r), 300u); /* three attempts of 100 ms */
    assert_int_equal(r.status, HAL_ETIMEDOUT);
    req.unit = 5;
    req.retries = 0;
    s_slave.silent = true;
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_OK);
    assert_int_equal(complete(&r), 100u);
    assert_int_equal(r.status, HAL_ETIMEDOUT);
    assert_int_equal(s_reads, 0u);
    /* falling silent while a request is on the wire loses its answer */
    s_slave.silent = false;
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_OK);
    s_slave.silent = true;
    (void)complete(&r);
    assert_int_equal(r.status, HAL_ETIMEDOUT);
    assert_int_equal(s_bus.stats.timeouts, 3u);
    /* bad requests are refused at once */
    req.count = 0;
    assert_int_equal(hal_modbus_submit(&s_bus.base, &req), HAL_EINVAL);
    assert_int_equal(sim_modbus_attach(&s_bus, &s_slave), HAL_EINVAL); /* unit taken */
}

static void run_dev(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        sim_modbus_tick(&s_bus, s_now);
        sim_imd_dev_tick(&s_dev, s_now);
        sched_run(&s_sched, s_now, true);
        s_now++;
    }
}

static void test_real_bender_driver_reads_the_model(void **state)
{
    (void)state;
    s_now = 100;
    sim_modbus_init(&s_bus, 10);
    sim_imd_dev_init(&s_dev, SIM_IMD_BENDER);
    assert_int_equal(sim_modbus_attach(&s_bus, &s_dev.slave), HAL_OK);
    sched_init(&s_sched);
    struct imd_bender_config cfg;
    imd_bender_config_default(&cfg);
    assert_int_equal(isolation_imd_bender_init(&s_bender, &s_bus.base, &cfg, NULL), HAL_OK);
    assert_int_equal(sched_add(&s_sched, isolation_imd_bender_task(&s_bender), s_now), HAL_OK);
    struct isolation *iso = &s_bender.base;
    assert_int_equal(isolation_start(iso, s_now), HAL_OK);
    s_dev.resistance_ohm = 750000.0f;
    s_dev.voltage_v = 455.0f;
    run_dev(3000);
    struct isolation_measurement m;
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_int_equal(m.resistance_ohm, 750000u);
    assert_int_equal(m.status, ISOLATION_VALID); /* 750 Ohm/V at 1000 V rated */
    assert_true(m.voltage_valid);
    assert_int_equal(m.voltage_dv, 4550);
    /* the self-test runs in the device for its duration */
    assert_int_equal(isolation_self_test(iso, 455, s_now), HAL_OK);
    run_dev(1000);
    assert_true(s_dev.testing);
    assert_int_equal(isolation_self_test_result(iso), ISOLATION_TEST_RUNNING);
    run_dev(6000);
    assert_int_equal(isolation_self_test_result(iso), ISOLATION_TEST_PASSED);
    assert_int_equal(s_dev.tests_started, 1u);
    /* a low resistance: the device's own alarm makes it a FAULT */
    s_dev.resistance_ohm = 50000.0f;
    run_dev(2500);
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_int_equal(m.status, ISOLATION_FAULT);
    assert_int_equal(m.alarm, ISOLATION_ALARM_ALARM);
    /* silent on the bus: a communication fault, no value */
    s_dev.slave.silent = true;
    run_dev(8000);
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    assert_int_equal(isolation_get_errors(iso, e, ISOLATION_ERRORS_MAX, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(e[0].type, ISOLATION_ERR_COMMUNICATION_FAULT);
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_EAGAIN);
}

static void test_real_dold_driver_and_watchdog(void **state)
{
    (void)state;
    s_now = 100;
    sim_modbus_init(&s_bus, 10);
    sim_imd_dev_init(&s_dev, SIM_IMD_DOLD);
    s_dev.last_heard_ms = s_now;
    assert_int_equal(sim_modbus_attach(&s_bus, &s_dev.slave), HAL_OK);
    sched_init(&s_sched);
    struct imd_dold_config cfg;
    imd_dold_config_default(&cfg);
    assert_int_equal(isolation_imd_dold_init(&s_dold, &s_bus.base, &cfg, NULL), HAL_OK);
    assert_int_equal(sched_add(&s_sched, isolation_imd_dold_task(&s_dold), s_now), HAL_OK);
    struct isolation *iso = &s_dold.base;
    assert_int_equal(isolation_start(iso, s_now), HAL_OK);
    s_dev.resistance_ohm = 1500000.0f;
    run_dev(4000);
    struct isolation_measurement m;
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_int_equal(m.resistance_ohm, 1500000u);
    /* the device fault register: DeviceFault */
    s_dev.device_fault = true;
    s_dev.fault_code = 1;
    run_dev(2000);
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    assert_int_equal(isolation_get_errors(iso, e, ISOLATION_ERRORS_MAX, &n), HAL_OK);
    assert_true(n >= 1u);
    assert_int_equal(e[0].type, ISOLATION_ERR_DEVICE_FAULT);
    assert_int_equal(sim_imd_dev_dold_fault(&s_dev), 1u);
}

static void run_imd(uint32_t ms, int32_t mv)
{
    for (uint32_t i = 0; i < ms; i++) {
        sim_imd_tick(&s_imd, s_now, mv);
        sched_run(&s_sched, s_now, s_imd.io_pending);
        s_imd.io_pending = false;
        s_now++;
    }
}

static void test_simulator_monitor_faults_at_register_level(void **state)
{
    (void)state;
    s_now = 0;
    sched_init(&s_sched);
    sim_imd_init(&s_imd, NULL, NULL, "t");
    assert_int_equal(sim_imd_start(&s_imd, &s_sched, s_now), HAL_OK);
    struct isolation *iso = sim_imd_port(&s_imd);
    assert_ptr_equal(iso, &s_imd.drv.base); /* the firmware's own adapter */
    assert_int_equal(isolation_start(iso, s_now), HAL_OK);
    run_imd(3000, 400000);
    struct isolation_measurement m;
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_int_equal(m.status, ISOLATION_VALID);
    assert_int_equal(m.voltage_dv, 4000); /* the plant's voltage, through the device */
    sim_imd_set_resistance(&s_imd, 50000u);
    run_imd(2500, 400000);
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_int_equal(m.status, ISOLATION_FAULT);
    sim_imd_set_fault(&s_imd, SIM_IMD_FAULT_DEVICE);
    run_imd(2500, 400000);
    struct isolation_error e[ISOLATION_ERRORS_MAX];
    size_t n = 0;
    assert_int_equal(isolation_get_errors(iso, e, ISOLATION_ERRORS_MAX, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(e[0].type, ISOLATION_ERR_DEVICE_FAULT);
    sim_imd_set_fault(&s_imd, SIM_IMD_FAULT_NONE);
    sim_imd_set_resistance(&s_imd, 10000000u);
    run_imd(15000, 0);
    assert_int_equal(isolation_get_errors(iso, e, ISOLATION_ERRORS_MAX, &n), HAL_OK);
    assert_int_equal(n, 0u);
    /* after a power loss the firmware's driver starts again on the same device */
    sched_init(&s_sched);
    assert_int_equal(sim_imd_start(&s_imd, &s_sched, s_now), HAL_OK);
    assert_int_equal(isolation_start(iso, s_now), HAL_OK);
    run_imd(3000, 0);
    assert_int_equal(isolation_read(iso, &m, s_now), HAL_OK);
    assert_true(s_imd.bus.stats.answered > 10u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus_is_asynchronous),
        cmocka_unit_test(test_bus_silent_and_absent_units_time_out),
        cmocka_unit_test(test_real_bender_driver_reads_the_model),
        cmocka_unit_test(test_real_dold_driver_and_watchdog),
        cmocka_unit_test(test_simulator_monitor_faults_at_register_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
