/* Unit tests of the Huawei unit model (sim/sim_huawei.c) and its in-memory transports
 * (sim/sim_huawei_link.c), driven by the real dispenser driver (firmware/psu_huawei.c):
 * a session from connect to a granted output, and each injected fault as the driver and
 * the plant see it (refused allocation, wrong key, key never written, replay, EPO, link
 * dropped, TTL, broken Modbus stream). Time is stepped by hand, 1 ms at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"
#include "psu_huawei.h"
#include "sim_huawei_link.h"

struct rig {
    struct fake_log log;
    struct sim_huawei_bus bus;
    struct sim_huawei_port *port;
    struct psu_huawei_unit unit;
    struct psu_huawei psu;
    uint32_t now;
};

static struct rig R; /* ~40 KB: off the stack */

static void rig_start(const struct sim_huawei_opts *o)
{
    memset(&R, 0, sizeof R);
    fake_log_init(&R.log);
    struct sim_huawei_opts def;
    sim_huawei_default_opts(&def);
    sim_huawei_bus_init(&R.bus, o != NULL ? o : &def, NULL);
    R.port = sim_huawei_bus_port(&R.bus);
    assert_non_null(R.port);
    struct huawei_disp_config hc;
    huawei_disp_config_default(&hc);
    hc.connectors = 1;
    hc.global_no[0] = 3;
    memcpy(hc.mac, R.port->mac, 6);
    struct hal_ip6_endpoint ep;
    assert_int_equal(hal_ip4_parse("192.0.2.1", 8502, &ep), HAL_OK);
    assert_int_equal(psu_huawei_unit_init(&R.unit, &hc, &ep, &R.port->net.base, &R.port->eth.base, &R.log.base,
                                          NULL, 0),
                     HAL_OK);
    assert_int_equal(psu_huawei_init(&R.psu, &R.unit, 1, NULL, NULL), HAL_OK);
}

/* @p ms simulated ms: the unit every ms, the driver every 2 ms (its shortest pass). */
static void run(uint32_t ms)
{
    for (uint32_t k = 0; k < ms; k++) {
        R.now++;
        sim_huawei_bus_tick(&R.bus, R.now);
        if (R.now % PSU_HUAWEI_PASS_MS == 0) {
            psu_huawei_unit_run(&R.unit, R.now);
        }
    }
}

static bool granted(uint32_t *mv, uint32_t *ma)
{
    return sim_huawei_output(&R.bus.unit, 3, R.now, mv, ma);
}

/* Plug in, Export with the phase charging at 400 V / @p ma; the setpoint call returns @p rc. */
static void start_at(uint32_t ma, int rc)
{
    run(1500); /* connect, the unit's first cycle: capabilities, MAC, running */
    psu_huawei_set_plugged(&R.psu, true, R.now);
    run(1500); /* the report says inserted: the unit writes a key; the allocation */
    psu_huawei_set_phase(&R.psu, HUAWEI_PH_CHARGING, R.now);
    assert_int_equal(psu_set_export(&R.psu.base, 400000, ma, R.now), rc);
    assert_int_equal(psu_set_mode(&R.psu.base, PSU_MODE_EXPORT, R.now), HAL_OK);
}

static void start_charging(void)
{
    start_at(100000, HAL_OK);
}

static bool has_error(enum psu_error_type type)
{
    struct psu_error e[8];
    size_t n = 0;
    if (psu_get_errors(&R.psu.base, e, 8, &n) != HAL_OK) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (e[i].type == type) {
            return true;
        }
    }
    return false;
}

static void test_session_grants_what_was_asked(void **state)
{
    (void)state;
    rig_start(NULL);
    uint32_t mv = 0, ma = 0;
    start_charging();
    assert_true(R.bus.unit.g[3].keyed);
    assert_int_equal(R.bus.unit.g[3].disp, 0);
    assert_int_equal(psu_huawei_state(&R.psu), HUAWEI_CS_RUNNING);
    /* the unit answered the allocation within a few ms of seeing it */
    assert_true(R.bus.unit.g[3].alloc_seen_ms != 0);
    uint32_t seen = R.now;
    run(10);
    assert_true(granted(&mv, &ma));
    assert_int_equal(mv, 400000);
    assert_int_equal(ma, 100000);
    assert_true(R.bus.unit.g[3].power_seen_ms >= seen && R.bus.unit.g[3].power_seen_ms <= seen + PSU_HUAWEI_PASS_MS);
    /* a new setpoint reaches the unit on the driver's next pass */
    assert_int_equal(psu_set_export(&R.psu.base, 420000, 50000, R.now), HAL_OK);
    run(PSU_HUAWEI_PASS_MS);
    assert_true(granted(&mv, &ma));
    assert_int_equal(mv, 420000);
    assert_int_equal(ma, 50000);
    /* Off: the grant ends at once */
    assert_int_equal(psu_set_mode(&R.psu.base, PSU_MODE_OFF, R.now), HAL_OK);
    run(PSU_HUAWEI_PASS_MS);
    assert_false(granted(&mv, &ma));
    assert_int_equal(R.bus.unit.refused_frames, 0);
}

static void test_grant_clamped_to_the_units_maximum(void **state)
{
    (void)state;
    struct sim_huawei_opts o;
    sim_huawei_default_opts(&o);
    o.max_a = 50;
    rig_start(&o);
    uint32_t mv = 0, ma = 0;
    start_at(100000, HAL_EINVAL); /* 100 A asked: the driver says so and clamps to the unit's 50 A */
    run(10);
    assert_true(granted(&mv, &ma));
    assert_int_equal(ma, 50000);
}

static void test_refused_allocation_grants_nothing(void **state)
{
    (void)state;
    struct sim_huawei_opts o;
    sim_huawei_default_opts(&o);
    o.refuse = true;
    rig_start(&o);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(100);
    assert_true(R.bus.unit.g[3].refused);
    assert_true(has_error(PSU_ERR_VENDOR_ERROR));
    assert_false(granted(&mv, &ma));
}

static void test_wrong_key_refused_then_allocation_times_out(void **state)
{
    (void)state;
    struct sim_huawei_opts o;
    sim_huawei_default_opts(&o);
    o.wrong_key = true;
    rig_start(&o);
    run(1500);
    psu_huawei_set_plugged(&R.psu, true, R.now);
    run(1500);
    assert_true(psu_huawei_unit_stats(&R.unit)->goose_refused >= 1);
    assert_int_equal(psu_huawei_unit_stats(&R.unit)->goose_rx, 0);
    assert_int_not_equal(psu_huawei_state(&R.psu), HUAWEI_CS_RUNNING);
    run(5000); /* the sheet: no answer in 5 s, go on */
    assert_int_equal(psu_huawei_state(&R.psu), HUAWEI_CS_RUNNING);
}

static void test_no_key_no_request(void **state)
{
    (void)state;
    struct sim_huawei_opts o;
    sim_huawei_default_opts(&o);
    o.no_key = true;
    rig_start(&o);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(3000);
    assert_false(R.bus.unit.g[3].keyed);
    assert_int_equal(R.bus.unit.g[3].alloc_seen_ms, 0); /* nothing unsigned went out */
    assert_false(granted(&mv, &ma));
}

static void test_replayed_reply_refused_session_goes_on(void **state)
{
    (void)state;
    struct sim_huawei_opts o;
    sim_huawei_default_opts(&o);
    o.replay = true;
    rig_start(&o);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(10);
    assert_int_equal(psu_huawei_unit_stats(&R.unit)->goose_rx, 1);
    assert_int_equal(psu_huawei_unit_stats(&R.unit)->goose_refused, 1);
    assert_int_equal(psu_huawei_state(&R.psu), HUAWEI_CS_RUNNING);
    assert_true(granted(&mv, &ma));
}

static void test_epo_alarm_cuts_output_and_driver_faults(void **state)
{
    (void)state;
    rig_start(NULL);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(10);
    assert_true(granted(&mv, &ma));
    R.bus.unit.o.alarm = true;
    R.bus.unit.o.alarm_reg = 0x4004;
    R.bus.unit.o.alarm_val = 1;
    assert_false(granted(&mv, &ma)); /* the unit stops itself */
    run(SIM_HUAWEI_CYCLE_MS + 10);  /* written on its next cycle */
    assert_true(has_error(PSU_ERR_HARDWARE_FAULT));
}

static void test_link_drop_ends_grant_and_driver_reconnects(void **state)
{
    (void)state;
    rig_start(NULL);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(10);
    assert_true(granted(&mv, &ma));
    sim_huawei_bus_drop(&R.bus, R.port, "test");
    assert_false(granted(&mv, &ma));
    run(4);
    assert_true(psu_huawei_unit_stats(&R.unit)->link_drops == 1);
    assert_true(has_error(PSU_ERR_COMMUNICATION_FAULT));
    run(100);
    assert_int_equal(psu_huawei_unit_stats(&R.unit)->connects, 2);
    assert_int_equal(R.port->slot, 0);
}

static void test_grant_ends_with_the_ttl(void **state)
{
    (void)state;
    rig_start(NULL);
    uint32_t mv = 0, ma = 0;
    start_charging();
    run(10);
    /* the driver stops sending (as if hung): only the unit's clock moves */
    uint32_t last = R.bus.unit.g[3].req_at_ms;
    for (uint32_t t = R.now + 1; t <= last + HUAWEI_GOOSE_TTL_MS; t++) {
        sim_huawei_bus_tick(&R.bus, t);
    }
    assert_true(sim_huawei_output(&R.bus.unit, 3, last + HUAWEI_GOOSE_TTL_MS, &mv, &ma));
    assert_false(sim_huawei_output(&R.bus.unit, 3, last + HUAWEI_GOOSE_TTL_MS + 1u, &mv, &ma));
}

static void test_broken_stream_drops_the_link(void **state)
{
    (void)state;
    rig_start(NULL);
    run(100);
    assert_int_equal(R.port->slot, 0);
    static const uint8_t junk[8] = {0, 1, 0, 7, 0, 0, 0, 0}; /* protocol id 7: not Modbus */
    assert_int_equal(sim_huawei_tcp_input(&R.bus.unit, 0, junk, sizeof junk, R.now), -1);
    assert_false(R.bus.unit.d[0].up);
    assert_int_equal(R.port->slot, -1);
    run(4);
    assert_int_equal(psu_huawei_unit_stats(&R.unit)->link_drops, 1);
}

static void test_output_bad_connector(void **state)
{
    (void)state;
    rig_start(NULL);
    uint32_t mv = 0, ma = 0;
    assert_false(sim_huawei_output(&R.bus.unit, 0, 0, &mv, &ma));
    assert_false(sim_huawei_output(&R.bus.unit, SIM_HUAWEI_GLOBAL + 1u, 0, &mv, &ma));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_grants_what_was_asked),
        cmocka_unit_test(test_grant_clamped_to_the_units_maximum),
        cmocka_unit_test(test_refused_allocation_grants_nothing),
        cmocka_unit_test(test_wrong_key_refused_then_allocation_times_out),
        cmocka_unit_test(test_no_key_no_request),
        cmocka_unit_test(test_replayed_reply_refused_session_goes_on),
        cmocka_unit_test(test_epo_alarm_cuts_output_and_driver_faults),
        cmocka_unit_test(test_link_drop_ends_grant_and_driver_reconnects),
        cmocka_unit_test(test_grant_ends_with_the_ttl),
        cmocka_unit_test(test_broken_stream_drops_the_link),
        cmocka_unit_test(test_output_bad_connector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
