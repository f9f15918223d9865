/* Unit tests of the InfyPower power stage as a `struct psu` (firmware/psu_infy.c) over a
 * fake CAN port and the scheduler: the optional operations, capabilities, errors with
 * severities, telemetry, and bus-off handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_can.h"
#include "fake_power.h"
#include "psu_infy.h"
#include "sched.h"

struct rig {
    struct fake_can can;
    struct sched sched;
    struct psu_infy psu;
    uint32_t now;
};

static struct rig s_rig;

static void step(struct rig *r, uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        r->now++;
        r->can.now_ms = r->now;
        (void)sched_run(&r->sched, r->now, r->can.rx_count > 0);
    }
}

static void answer(struct rig *r, uint8_t cmd, uint8_t src, const uint8_t d[8])
{
    assert_int_equal(fake_can_push_ext(&r->can, 0x02800000u | (uint32_t)cmd << 16 | 0xF000u | src, d),
                     HAL_OK);
}

static void module_online(struct rig *r, uint8_t addr, uint32_t status_bits)
{
    uint8_t st[8] = {0, 0, 1, 0, 30, (uint8_t)(status_bits >> 16), (uint8_t)(status_bits >> 8),
                     (uint8_t)status_bits};
    static const uint8_t caps[8] = {0x03, 0xE8, 0x00, 0x32, 0x03, 0xE8, 0x0B, 0xB8};
    answer(r, INFY_CMD_STATUS, addr, st);
    answer(r, INFY_CMD_CAPS, addr, caps);
}

static void rig_start(struct rig *r, uint8_t n)
{
    memset(r, 0, sizeof *r);
    fake_can_init(&r->can);
    sched_init(&r->sched);
    struct infy_config cfg;
    infy_default_config(&cfg);
    cfg.count = n;
    for (uint8_t i = 0; i < n; i++) {
        cfg.addresses[i] = i;
    }
    r->now = 100;
    assert_int_equal(psu_infy_init(&r->psu, &cfg, &r->can.base, NULL, &r->sched, r->now), HAL_OK);
}

static void test_optional_ops_absent(void **state)
{
    (void)state;
    struct fake_power fp;
    fake_power_init(&fp);
    struct psu_capabilities c;
    struct psu_telemetry t;
    struct psu_module m[1];
    struct psu_error e[1];
    size_t n = 99;
    assert_int_equal(psu_get_capabilities(&fp.psu, &c), HAL_ENOTSUP);
    assert_int_equal(psu_read_telemetry(&fp.psu, &t, 0), HAL_ENOTSUP);
    assert_int_equal(psu_read_modules(&fp.psu, m, 1, &n), HAL_ENOTSUP);
    assert_int_equal(psu_get_errors(&fp.psu, e, 1, &n), HAL_ENOTSUP);
    assert_int_equal(psu_off_done(&fp.psu, 0), HAL_ENOTSUP);
    /* the mandatory three still work */
    assert_int_equal(psu_set_mode(&fp.psu, PSU_MODE_OFF, 0), HAL_OK);
    assert_true(psu_error_stops_session(PSU_ERR_VENDOR_ERROR));
    assert_false(psu_error_stops_session(PSU_ERR_VENDOR_WARNING));
    assert_string_equal(psu_error_name(PSU_ERR_UNDER_VOLTAGE_AC), "UnderVoltageAC");
    assert_string_equal(psu_error_name(PSU_ERR_COUNT), "?");
}

static void test_invalid_config_refused(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    memset(r, 0, sizeof *r);
    fake_can_init(&r->can);
    sched_init(&r->sched);
    struct infy_config cfg;
    infy_default_config(&cfg);
    cfg.count = 1;
    cfg.offline_timeout_ms = 10000;
    assert_int_equal(psu_infy_init(&r->psu, &cfg, &r->can.base, NULL, &r->sched, 0), HAL_EINVAL);
    assert_int_equal(r->sched.count, 0);
}

static void test_capabilities_and_export(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    struct psu_capabilities c;
    rig_start(r, 2);
    step(r, 200);
    assert_true(r->can.ntx >= 2);
    assert_int_equal(r->can.tx[0].id, 0x029A00F0u); /* off first */
    assert_int_equal(r->can.tx[0].data[0], 1);
    assert_int_equal(psu_get_capabilities(&r->psu.base, &c), HAL_EAGAIN);
    assert_int_equal(psu_set_mode(&r->psu.base, PSU_MODE_EXPORT, r->now), HAL_ESTATE);
    module_online(r, 0, 0);
    module_online(r, 1, 0);
    step(r, 5);
    assert_int_equal(psu_get_capabilities(&r->psu.base, &c), HAL_OK);
    assert_false(c.bidirectional);
    assert_int_equal(c.max_export_voltage_mv, 1000000u);
    assert_int_equal(c.min_export_voltage_mv, 50000u);
    assert_int_equal(c.max_export_current_ma, 200000u);
    assert_int_equal(c.min_export_current_ma, 1000u);
    assert_int_equal(c.max_export_power_w, 60000u);
    assert_int_equal(c.conversion_efficiency_export_permille, 950);
    assert_int_equal(psu_set_mode(&r->psu.base, PSU_MODE_IMPORT, r->now), HAL_ENOTSUP);
    assert_int_equal(psu_set_export(&r->psu.base, 400000, 50000, r->now), HAL_OK);
    assert_int_equal(psu_set_mode(&r->psu.base, PSU_MODE_EXPORT, r->now), HAL_OK);
    fake_can_clear_tx(&r->can);
    step(r, 400);
    static const uint8_t setvi[8] = {0x00, 0x06, 0x1A, 0x80, 0x00, 0x00, 0x61, 0xA8}; /* 25 A */
    int nset = 0, non = 0;
    for (int i = 0; i < r->can.ntx; i++) {
        if ((r->can.tx[i].id & 0xFFFF00FFu) == 0x029C00F0u) {
            assert_memory_equal(r->can.tx[i].data, setvi, 8);
            nset++;
        }
        if ((r->can.tx[i].id & 0xFFFF00FFu) == 0x029A00F0u && r->can.tx[i].data[0] == 0) {
            non++;
        }
        if (i > 0) {
            assert_true(r->can.tx_ms[i] - r->can.tx_ms[i - 1] >= 50u);
        }
    }
    assert_int_equal(nset, 2);
    assert_int_equal(non, 2);
    struct psu_telemetry t;
    assert_int_equal(psu_read_telemetry(&r->psu.base, &t, r->now), HAL_OK);
    assert_int_equal(t.mode, PSU_MODE_EXPORT);
    assert_int_equal(t.modules_active, 2);
    assert_int_equal(t.modules_configured, 2);
    assert_int_equal(psu_off_done(&r->psu.base, r->now), HAL_ESTATE);
    struct psu_module m[2];
    size_t n = 0;
    assert_int_equal(psu_read_modules(&r->psu.base, m, 1, &n), HAL_EOVERFLOW);
    assert_int_equal(n, 1u);
    assert_int_equal(psu_read_modules(&r->psu.base, m, 2, &n), HAL_OK);
    assert_int_equal(m[1].address, 1);
    assert_int_equal(m[1].setpoint_ma, 25000u);
    assert_int_equal(m[1].max_current_ma, 100000u);
}

static void test_errors_with_severity(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    struct psu_error e[8];
    size_t n = 99;
    rig_start(r, 2);
    module_online(r, 0, INFY_ST_FAN_FAULT);
    module_online(r, 1, INFY_ST_OVER_TEMP | INFY_ST_FAULT_ALARM);
    step(r, 5);
    assert_int_equal(psu_get_errors(&r->psu.base, e, 8, &n), HAL_OK);
    assert_int_equal(n, 3u);
    assert_int_equal(e[0].type, PSU_ERR_VENDOR_WARNING);
    assert_int_equal(e[0].severity, PSU_SEV_LOW);
    assert_int_equal(e[0].subtype, 0);
    assert_int_equal(e[1].type, PSU_ERR_HARDWARE_FAULT);
    assert_int_equal(e[1].severity, PSU_SEV_MEDIUM);
    assert_int_equal(e[1].subtype, 1);
    assert_int_equal(e[2].type, PSU_ERR_OVER_TEMPERATURE);
    assert_int_equal(psu_get_errors(&r->psu.base, e, 2, &n), HAL_EOVERFLOW);
    assert_int_equal(n, 2u);
    struct psu_telemetry t;
    assert_int_equal(psu_read_telemetry(&r->psu.base, &t, r->now), HAL_OK);
    assert_int_equal(t.mode, PSU_MODE_FAULT); /* a module in fault alarm */
    assert_int_equal(t.modules_active, 1);    /* the faulted one is out of the sharing */
    /* cleared on change */
    module_online(r, 1, 0);
    step(r, 5);
    assert_int_equal(psu_get_errors(&r->psu.base, e, 8, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(psu_read_telemetry(&r->psu.base, &t, r->now), HAL_OK);
    assert_int_equal(t.mode, PSU_MODE_OFF);
}

static void test_bus_off_restart_every_second(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 1);
    step(r, 300);
    int before = r->can.tx_total;
    r->can.bus_off = true;
    step(r, 3500);
    assert_true(psu_infy_bus_off(&r->psu));
    assert_int_equal(r->can.tx_total, before); /* nothing sent while bus-off */
    assert_in_range(r->can.restarts, 3, 4);    /* one attempt per second */
    assert_int_equal(psu_set_mode(&r->psu.base, PSU_MODE_OFF, r->now), HAL_EIO);
    assert_int_equal(psu_set_mode(&r->psu.base, PSU_MODE_EXPORT, r->now), HAL_ESTATE);
    struct psu_error e[2];
    size_t n = 0;
    assert_int_equal(psu_get_errors(&r->psu.base, e, 2, &n), HAL_OK);
    assert_int_equal(n, 1u);
    assert_int_equal(e[0].type, PSU_ERR_COMMUNICATION_FAULT);
    assert_int_equal(e[0].subtype, PSU_SUBTYPE_SYSTEM);
    assert_int_equal(e[0].severity, PSU_SEV_HIGH); /* the whole stage: emergency */
    r->can.restart_clears = true;
    step(r, 1100);
    assert_false(psu_infy_bus_off(&r->psu));
    step(r, 1000);
    assert_true(r->can.tx_total > before);
    assert_int_equal(psu_infy_stats(&r->psu)->bus_off_events, 1u);
}

/* vcan or an adapter that cannot report its state, taken down: "state unknown" must not
 * read as "back on the bus" (it flapped every pass, found by real-can-down-charging). */
static void test_interface_down_state_unknown(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 1);
    r->can.state_unsupported = true;
    step(r, 300);
    int before = r->can.tx_total;
    r->can.iface_down = true;
    step(r, 3500);
    assert_true(psu_infy_bus_off(&r->psu));
    assert_int_equal(r->can.tx_total, before);
    /* at most one new attempt (and one new bus-off episode) per second */
    assert_in_range(psu_infy_stats(&r->psu)->bus_off_events, 1u, 4u);
    r->can.iface_down = false;
    step(r, 1100);
    assert_false(psu_infy_bus_off(&r->psu));
    step(r, 1000);
    assert_true(r->can.tx_total > before);
}

static void test_send_failure_does_not_count_off(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 1);
    r->can.send_rc = HAL_EIO;
    step(r, 1000);
    assert_int_equal(r->can.tx_total, 0);
    assert_true(psu_infy_stats(&r->psu)->tx_errors > 0);
    struct psu_output o;
    assert_int_equal(psu_read_output(&r->psu.base, &o, r->now), HAL_EIO); /* "off" never went out */
    assert_false(o.valid);
    r->can.send_rc = HAL_OK;
    step(r, 300);
    assert_int_equal(r->can.tx[0].id, 0x029A00F0u);
    assert_int_equal(psu_read_output(&r->psu.base, &o, r->now), HAL_OK);
    assert_true(o.valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optional_ops_absent),
        cmocka_unit_test(test_invalid_config_refused),
        cmocka_unit_test(test_capabilities_and_export),
        cmocka_unit_test(test_errors_with_severity),
        cmocka_unit_test(test_bus_off_restart_every_second),
        cmocka_unit_test(test_interface_down_state_unknown),
        cmocka_unit_test(test_send_failure_does_not_count_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
