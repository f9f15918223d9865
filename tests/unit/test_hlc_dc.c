/* Unit tests of firmware/hlc_dc.c: the one mapping between the neutral V2G interface
 * (hlc.h) and the DC values and codes that the DIN 70121 and ISO 15118-2 machines share
 * (protocols/v2g/v2g_dc.h). Both backends go through it, so what it gets wrong both get
 * wrong: every field, every processing state, every code and each out-of-range default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hlc_dc.h"
#include "hlc_din.h"
#include "hlc_iso2.h"

static void test_status_codes(void **state)
{
    (void)state;
    assert_int_equal(hlc_dc_status_code(HLC_EVSE_NOT_READY), V2G_DC_EVSE_NOT_READY);
    assert_int_equal(hlc_dc_status_code(HLC_EVSE_READY), V2G_DC_EVSE_READY);
    assert_int_equal(hlc_dc_status_code(HLC_EVSE_SHUTDOWN), V2G_DC_EVSE_SHUTDOWN);
    assert_int_equal(hlc_dc_status_code(HLC_EVSE_EMERGENCY_SHUTDOWN), V2G_DC_EVSE_EMERGENCY_SHUTDOWN);
    assert_int_equal(hlc_dc_status_code(HLC_EVSE_MALFUNCTION), V2G_DC_EVSE_MALFUNCTION);
    /* A value out of the enum is the safe answer: every request FAILED. */
    assert_int_equal(hlc_dc_status_code((enum hlc_evse_status)HLC_EVSE_STATUS_COUNT), V2G_DC_EVSE_MALFUNCTION);
    assert_int_equal(hlc_dc_isolation(HLC_ISOLATION_VALID), V2G_DC_ISOLATION_VALID);
    assert_int_equal(hlc_dc_isolation(HLC_ISOLATION_WARNING), V2G_DC_ISOLATION_WARNING);
    assert_int_equal(hlc_dc_isolation(HLC_ISOLATION_FAULT), V2G_DC_ISOLATION_FAULT);
    /* Never "valid" without a measurement behind it. */
    assert_int_equal(hlc_dc_isolation((enum hlc_isolation)HLC_ISOLATION_COUNT), V2G_DC_ISOLATION_INVALID);
    assert_int_equal(hlc_dc_notification(HLC_NOTIFY_NONE), V2G_DC_NOTIFY_NONE);
    assert_int_equal(hlc_dc_notification(HLC_NOTIFY_RENEGOTIATE), V2G_DC_NOTIFY_RENEGOTIATION);
    assert_int_equal(hlc_dc_notification((enum hlc_notification)HLC_NOTIFY_COUNT), V2G_DC_NOTIFY_STOP_CHARGING);
}

static void test_ev_errors(void **state)
{
    (void)state;
    assert_int_equal(hlc_dc_ev_error(V2G_DC_EV_NO_ERROR), HLC_EV_ERR_NONE);
    assert_int_equal(hlc_dc_ev_error(V2G_DC_EV_RESS_TEMPERATURE_INHIBIT), HLC_EV_ERR_RESS_TEMPERATURE);
    assert_int_equal(hlc_dc_ev_error(V2G_DC_EV_CONNECTOR_LOCK_FAULT), HLC_EV_ERR_CONNECTOR_LOCK);
    assert_int_equal(hlc_dc_ev_error(V2G_DC_EV_SYSTEM_INCOMPATIBILITY), HLC_EV_ERR_INCOMPATIBLE);
    assert_int_equal(hlc_dc_ev_error(V2G_DC_EV_NO_DATA), HLC_EV_ERR_NO_DATA);
    assert_int_equal(hlc_dc_ev_error(8), HLC_EV_ERR_OTHER); /* Reserved_B */
    assert_int_equal(hlc_dc_ev_error(200), HLC_EV_ERR_OTHER);
}

static void test_status_values(void **state)
{
    (void)state;
    struct hlc_evse e;
    memset(&e, 0, sizeof e);
    e.present_voltage_mv = 401000;
    e.present_current_ma = 99000;
    e.max_voltage_mv = 500000;
    e.max_current_ma = 200000;
    e.max_power_w = 50000;
    e.min_voltage_mv = 150000;
    e.min_current_ma = 1000;
    e.current_regulation_tolerance_ma = -1;
    e.peak_current_ripple_ma = 2000;
    e.energy_to_deliver_wh = 12345;
    e.authorization = HLC_PROCESSING_FINISHED;
    e.charge_parameters = HLC_PROCESSING_ONGOING;
    e.cable_check = HLC_PROCESSING_FAILED;
    e.power_limit_achieved = true;
    e.unix_time_s = 1700000000;
    struct v2g_dc_evse dc;
    memset(&dc, 0xA5, sizeof dc); /* every field must be written */
    hlc_dc_status(&e, &dc);
    assert_int_equal(dc.present_voltage_mv, 401000);
    assert_int_equal(dc.present_current_ma, 99000);
    assert_int_equal(dc.max_voltage_mv, 500000);
    assert_int_equal(dc.max_current_ma, 200000);
    assert_int_equal(dc.max_power_w, 50000);
    assert_int_equal(dc.min_voltage_mv, 150000);
    assert_int_equal(dc.min_current_ma, 1000);
    assert_int_equal(dc.current_regulation_tolerance_ma, -1);
    assert_int_equal(dc.peak_current_ripple_ma, 2000);
    assert_int_equal(dc.energy_to_deliver_wh, 12345);
    assert_true(dc.auth_done);
    assert_false(dc.auth_rejected);
    assert_false(dc.power_ready);
    assert_true(dc.cable_check_done); /* failed is done, with the failure beside it */
    assert_true(dc.cable_check_failed);
    assert_false(dc.current_limit_achieved);
    assert_false(dc.voltage_limit_achieved);
    assert_true(dc.power_limit_achieved);
    assert_true(dc.unix_time_s == 1700000000);

    e.authorization = HLC_PROCESSING_FAILED;
    e.charge_parameters = HLC_PROCESSING_FINISHED;
    e.cable_check = HLC_PROCESSING_ONGOING;
    hlc_dc_status(&e, &dc);
    assert_false(dc.auth_done);
    assert_true(dc.auth_rejected);
    assert_true(dc.power_ready);
    assert_false(dc.cable_check_done);
    assert_false(dc.cable_check_failed);
}

static void test_ev_values(void **state)
{
    (void)state;
    struct v2g_dc_ev d = {
        .ready = true, .error_code = V2G_DC_EV_RESS_MALFUNCTION, .soc = 77,
        .target_voltage_mv = 390000, .target_current_ma = 120000,
        .max_voltage_mv = 450000, .max_current_ma = 250000, .max_power_w = -1,
        .energy_capacity_wh = 80000, .energy_request_wh = -1, .full_soc = 100, .bulk_soc = -1,
        .remaining_full_s = 1800, .remaining_bulk_s = -1,
        .charging_complete = false, .bulk_charging_complete = true,
    };
    struct hlc_ev e;
    memset(&e, 0xA5, sizeof e);
    hlc_dc_ev(&d, &e);
    assert_true(e.ready);
    assert_int_equal(e.error, HLC_EV_ERR_RESS_MALFUNCTION);
    assert_int_equal(e.soc, 77);
    assert_int_equal(e.target_voltage_mv, 390000);
    assert_int_equal(e.target_current_ma, 120000);
    assert_int_equal(e.max_voltage_mv, 450000);
    assert_int_equal(e.max_current_ma, 250000);
    assert_int_equal(e.max_power_w, -1);
    assert_int_equal(e.energy_capacity_wh, 80000);
    assert_int_equal(e.energy_request_wh, -1);
    assert_int_equal(e.full_soc, 100);
    assert_int_equal(e.bulk_soc, -1);
    assert_int_equal(e.remaining_full_s, 1800);
    assert_int_equal(e.remaining_bulk_s, -1);
    assert_false(e.charging_complete);
    assert_true(e.bulk_charging_complete);
    /* What is not DC-shared starts cleared: the backend adds its own. */
    assert_int_equal(e.evccid_len, 0);
    assert_false(e.stop_requested);
    assert_int_equal(e.departure_s, 0);
    assert_int_equal(e.schedule_tuple_id, 0);
}

/* Both backends hand the same neutral status to their machine as the same DC values. */
static void test_backends_agree(void **state)
{
    (void)state;
    struct hlc_evse e;
    memset(&e, 0, sizeof e);
    e.present_voltage_mv = 380000;
    e.max_power_w = 90000;
    e.status = HLC_EVSE_SHUTDOWN;
    e.isolation = HLC_ISOLATION_WARNING;
    e.notification = HLC_NOTIFY_STOP_CHARGING;
    e.notification_max_delay_s = 70000;
    e.authorization = HLC_PROCESSING_FINISHED;
    struct din_evse_status ds;
    struct iso2_evse_status is;
    hlc_din_status(&e, &ds);
    hlc_iso2_status(&e, &is);
    assert_memory_equal(&ds.dc, &is.dc, sizeof ds.dc);
    assert_int_equal(ds.status_code, exi_din_DC_EVSEStatusCodeType_EVSE_Shutdown);
    assert_int_equal(is.status_code, exi_iso2_DC_EVSEStatusCodeType_EVSE_Shutdown);
    assert_int_equal(ds.isolation, exi_din_isolationLevelType_Warning);
    assert_int_equal(is.isolation, exi_iso2_isolationLevelType_Warning);
    assert_int_equal(ds.notification, exi_din_EVSENotificationType_StopCharging);
    assert_int_equal(is.notification, exi_iso2_EVSENotificationType_StopCharging);
    /* What differs stays per protocol: ISO-2's 16-bit delay saturates, DIN's does not. */
    assert_int_equal(ds.notification_max_delay_s, 70000);
    assert_int_equal(is.notification_max_delay_s, 65535);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_ev_errors),
        cmocka_unit_test(test_status_values),
        cmocka_unit_test(test_ev_values),
        cmocka_unit_test(test_backends_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
