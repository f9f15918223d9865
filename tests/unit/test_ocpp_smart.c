/* Unit tests of OCPP Smart Charging (ocpp_smart.c) through the charge point core: the
 * three CALLs with their schema and semantic checks, stack levels and purposes, recurring
 * schedules across midnight, relative schedules from the transaction's start, W and A
 * converted at the session's voltage, the composite schedule's JSON, and the table's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp_test_csms.h"

#include "fake_ocpp_ops.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_smart.h"

static struct ocpp_cp s_cp;
static struct ocpp_smart s_sm;
static struct ocpp_json s_j;
static uint32_t s_now;

/* 2026-01-05T21:00:00Z: a Monday evening, the start of the recurring tests */
#define T0 1767646800

static int setup(void **state)
{
    (void)state;
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&s_cp, &info, &cfg, &fake_ocpp_station_ops, NULL, NULL, 0x100u);
    ocpp_smart_init(&s_sm, 2, 400000u);
    ocpp_smart_rating(&s_sm, 0, 300000u, 500000u);
    ocpp_smart_rating(&s_sm, 1, 150000u, 250000u);
    ocpp_smart_rating(&s_sm, 2, 150000u, 250000u);
    s_cp.smart = &s_sm;
    s_now = 1000;
    ocpp_cp_set_clock(&s_cp, T0, s_now);
    return 0;
}

/* A CALL from the CSMS: the answer's payload token, or -1 for a CALLERROR (its code in @p code). */
static int call(const char *action, const char *payload, char code[48])
{
    int p = fake_ocpp_call(&s_cp, &s_j, s_now, action, payload, code, NULL);
    assert_int_not_equal(p, FAKE_OCPP_NO_ANSWER);
    return p;
}

static void expect_status(const char *action, const char *payload, const char *status)
{
    ocpp_test_expect_status(&s_cp, &s_j, s_now, action, payload, status);
}

static void expect_error(const char *action, const char *payload, const char *code)
{
    ocpp_test_expect_error(&s_cp, &s_j, s_now, action, payload, code, NULL);
}

/* SetChargingProfile with the common parts written once. */
static void set(int conn, int id, int stack, const char *purpose, const char *kind, const char *extra,
                const char *unit, const char *periods, const char *status)
{
    char p[1024];
    snprintf(p, sizeof p,
             "{\"connectorId\":%d,\"csChargingProfiles\":{\"chargingProfileId\":%d,\"stackLevel\":%d,"
             "\"chargingProfilePurpose\":\"%s\",\"chargingProfileKind\":\"%s\"%s,"
             "\"chargingSchedule\":{\"chargingRateUnit\":\"%s\",\"chargingSchedulePeriod\":[%s]}}}",
             conn, id, stack, purpose, kind, extra, unit, periods);
    expect_status("SetChargingProfile", p, status);
}

static void limit_at(unsigned c, int64_t t, uint32_t ma, uint32_t w)
{
    uint32_t got_ma, got_w;
    (void)ocpp_smart_limit(&s_sm, c, t, &got_ma, &got_w);
    if (got_ma != ma || got_w != w) {
        fail_msg("connector %u at T0%+ld: %u mA %u W, expected %u mA %u W", (unsigned)c, (long)(t - T0),
                 (unsigned)got_ma, (unsigned)got_w, (unsigned)ma, (unsigned)w);
    }
}

static void test_stack(void **state)
{
    (void)state;
    const char *abs0 = "\"startSchedule\":\"2025-01-01T00:00:00Z\",";
    char p[1024];
    /* level 0 on the charge point: 32 A; level 1 for one hour: 10.5 A */
    snprintf(p, sizeof p,
             "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":1,\"stackLevel\":0,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
             "\"chargingSchedule\":{%s\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":32}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    snprintf(p, sizeof p,
             "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":2,\"stackLevel\":1,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
             "\"validTo\":\"2026-01-05T22:00:00Z\","
             "\"chargingSchedule\":{%s\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":10.5}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    limit_at(1, T0, 10500u, OCPP_SMART_NONE);       /* the higher level */
    limit_at(2, T0 + 3599, 10500u, OCPP_SMART_NONE);
    limit_at(1, T0 + 3600, 32000u, OCPP_SMART_NONE); /* after its validTo: the lower one */
    /* connector 2's own TxDefault at level 1 overrides the charge point's at the same level */
    snprintf(p, sizeof p,
             "{\"connectorId\":2,\"csChargingProfiles\":{\"chargingProfileId\":3,\"stackLevel\":1,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
             "\"chargingSchedule\":{%s\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":20000}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    limit_at(2, T0, OCPP_SMART_NONE, 20000u);
    limit_at(1, T0, 10500u, OCPP_SMART_NONE);
    /* the ChargePointMaxProfile: apart for the station, and the minimum in a composite */
    snprintf(p, sizeof p,
             "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":4,\"stackLevel\":0,"
             "\"chargingProfilePurpose\":\"ChargePointMaxProfile\",\"chargingProfileKind\":\"Absolute\","
             "\"chargingSchedule\":{%s\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":8000}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    uint32_t ma, w;
    assert_true(ocpp_smart_cp_limit(&s_sm, T0, &ma, &w));
    assert_int_equal(w, 8000u);
    assert_int_equal(ma, OCPP_SMART_NONE);
    struct ocpp_smart_cperiod per[CFG_OCPP_SMART_COMPOSITE];
    int32_t cov;
    assert_int_equal(ocpp_smart_composite(&s_sm, 2, T0, 600, OCPP_SU_W, per, &cov), 1);
    assert_int_equal(per[0].limit_d, 80000); /* 8000.0 W: below connector 2's 20 kW */
    /* the same stackLevel + purpose on the same connector replaces (a new id) */
    snprintf(p, sizeof p,
             "{\"connectorId\":2,\"csChargingProfiles\":{\"chargingProfileId\":9,\"stackLevel\":1,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
             "\"chargingSchedule\":{%s\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":5000}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    limit_at(2, T0, OCPP_SMART_NONE, 5000u);
    expect_status("ClearChargingProfile", "{\"id\":3}", "Unknown"); /* replaced: gone */
    /* clear by purpose and connector: connector 2 falls back to the charge point's */
    expect_status("ClearChargingProfile", "{\"connectorId\":2,\"chargingProfilePurpose\":\"TxDefaultProfile\"}",
                  "Accepted");
    limit_at(2, T0, 10500u, OCPP_SMART_NONE);
    expect_status("ClearChargingProfile", "{\"id\":2}", "Accepted");
    limit_at(2, T0, 32000u, OCPP_SMART_NONE);
    expect_status("ClearChargingProfile", "{}", "Accepted"); /* everything */
    limit_at(1, T0, OCPP_SMART_NONE, OCPP_SMART_NONE);
    assert_false(ocpp_smart_cp_limit(&s_sm, T0, &ma, &w));
    expect_status("ClearChargingProfile", "{}", "Unknown");
}

static void test_recurring_across_midnight(void **state)
{
    (void)state;
    /* every day from 22:00: 11 kW, from 02:00 (4 h in) 22 kW, for 6 h (to 04:00) */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":5,\"stackLevel\":0,"
                  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Recurring\","
                  "\"recurrencyKind\":\"Daily\",\"chargingSchedule\":{\"duration\":21600,"
                  "\"startSchedule\":\"2026-01-01T22:00:00Z\",\"chargingRateUnit\":\"W\","
                  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":11000},{\"startPeriod\":14400,\"limit\":22000}]}}}",
                  "Accepted");
    limit_at(1, T0, OCPP_SMART_NONE, OCPP_SMART_NONE);             /* 21:00: not yet */
    limit_at(1, T0 + 3600, OCPP_SMART_NONE, 11000u);               /* 22:00 Monday */
    limit_at(1, T0 + 3 * 3600 + 1800, OCPP_SMART_NONE, 11000u);    /* 00:30 Tuesday: the same run */
    limit_at(1, T0 + 5 * 3600, OCPP_SMART_NONE, 22000u);           /* 02:00 */
    limit_at(1, T0 + 7 * 3600 - 1, OCPP_SMART_NONE, 22000u);       /* 03:59:59 */
    limit_at(1, T0 + 7 * 3600, OCPP_SMART_NONE, OCPP_SMART_NONE);  /* 04:00: its duration is over */
    limit_at(1, T0 + 25 * 3600, OCPP_SMART_NONE, 11000u);          /* 22:00 Tuesday: again */
    limit_at(1, T0 - 20 * 3600, OCPP_SMART_NONE, 11000u);          /* 01:00 Monday, Sunday night's run */
    /* the composite over the night: rating, 11 kW, 22 kW, rating; in W with scheduleStart 21:00 */
    struct ocpp_smart_cperiod per[CFG_OCPP_SMART_COMPOSITE];
    int32_t cov;
    unsigned n = ocpp_smart_composite(&s_sm, 1, T0, 8 * 3600, OCPP_SU_W, per, &cov);
    assert_int_equal(n, 4);
    assert_int_equal(cov, 8 * 3600);
    assert_int_equal(per[0].start_s, 0);
    assert_int_equal(per[0].limit_d, 1500000); /* the rating, 150 kW */
    assert_int_equal(per[1].start_s, 3600);
    assert_int_equal(per[1].limit_d, 110000);
    assert_int_equal(per[2].start_s, 5 * 3600);
    assert_int_equal(per[2].limit_d, 220000);
    assert_int_equal(per[3].start_s, 7 * 3600);
    /* a startSchedule still to come only gives the time of day: the days before repeat too */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":2,\"csChargingProfiles\":{\"chargingProfileId\":10,\"stackLevel\":1,"
                  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Recurring\","
                  "\"recurrencyKind\":\"Daily\",\"chargingSchedule\":{\"duration\":3600,"
                  "\"startSchedule\":\"2026-01-10T22:00:00Z\",\"chargingRateUnit\":\"W\","
                  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":5000}]}}}",
                  "Accepted");
    limit_at(2, T0 + 5400, OCPP_SMART_NONE, 5000u); /* 22:30 */
    limit_at(2, T0 + 7200, OCPP_SMART_NONE, OCPP_SMART_NONE);
    expect_status("ClearChargingProfile", "{\"id\":10}", "Accepted");
    /* Weekly: a duration longer than a week is cut to the week */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":2,\"csChargingProfiles\":{\"chargingProfileId\":6,\"stackLevel\":0,"
                  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Recurring\","
                  "\"recurrencyKind\":\"Weekly\",\"chargingSchedule\":{\"duration\":9999999,"
                  "\"startSchedule\":\"2026-01-05T00:00:00Z\",\"chargingRateUnit\":\"A\","
                  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":100}]}}}",
                  "Accepted");
    limit_at(2, T0 + 7 * 86400, 100000u, OCPP_SMART_NONE);
}

static void test_relative_to_transaction_start(void **state)
{
    (void)state;
    const char *tx = "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":2,"
                     "\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\","
                     "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":"
                     "[{\"startPeriod\":0,\"limit\":50,\"numberPhases\":3},{\"startPeriod\":60,\"limit\":20}]}}}";
    /* a TxProfile without a running transaction: Rejected */
    expect_status("SetChargingProfile", tx, "Rejected");
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 11, "TAG", 0, T0 + 100), HAL_OK);
    ocpp_smart_poll(&s_sm, &s_cp, T0 + 100, 0); /* the transaction seen: its schedules start now */
    expect_status("SetChargingProfile", tx, "Accepted");
    limit_at(1, T0 + 130, 50000u, OCPP_SMART_NONE);
    limit_at(1, T0 + 160, 20000u, OCPP_SMART_NONE);
    limit_at(2, T0 + 130, OCPP_SMART_NONE, OCPP_SMART_NONE); /* the other connector has none */
    /* a transactionId the CSMS did not give this transaction: Rejected */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":8,\"transactionId\":77,"
                  "\"stackLevel\":3,\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\","
                  "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":1}]}}}",
                  "Rejected");
    /* a TxProfile hides the TxDefaultProfile while it runs */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":9,\"stackLevel\":5,"
                  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Relative\","
                  "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":5}]}}}",
                  "Accepted");
    limit_at(1, T0 + 160, 20000u, OCPP_SMART_NONE);
    /* the transaction ends: its TxProfile with it; the TxDefault (relative) waits for the next */
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 11, "TAG", 10, T0 + 200, OCPP_R_LOCAL), HAL_OK);
    ocpp_smart_poll(&s_sm, &s_cp, T0 + 200, 0);
    limit_at(1, T0 + 200, OCPP_SMART_NONE, OCPP_SMART_NONE);
    expect_status("ClearChargingProfile", "{\"id\":7}", "Unknown");
    expect_status("ClearChargingProfile", "{\"id\":9}", "Accepted");
}

static void test_w_to_a_at_session_voltage(void **state)
{
    (void)state;
    expect_status("SetChargingProfile",
                  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":1,\"stackLevel\":0,"
                  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
                  "\"chargingSchedule\":{\"startSchedule\":\"2026-01-01T00:00:00Z\",\"chargingRateUnit\":\"W\","
                  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":20000}]}}}",
                  "Accepted");
    struct ocpp_smart_cperiod per[CFG_OCPP_SMART_COMPOSITE];
    int32_t cov;
    /* no session: the nominal 400 V: 20 kW = 50 A */
    assert_int_equal(ocpp_smart_composite(&s_sm, 1, T0, 60, OCPP_SU_A, per, &cov), 1);
    assert_int_equal(per[0].limit_d, 500);
    /* a session at 500 V: 40 A; at 350 V: 57.1 A */
    ocpp_smart_voltage(&s_sm, 1, 500000);
    assert_int_equal(ocpp_smart_composite(&s_sm, 1, T0, 60, OCPP_SU_A, per, &cov), 1);
    assert_int_equal(per[0].limit_d, 400);
    ocpp_smart_voltage(&s_sm, 1, 350000);
    (void)ocpp_smart_composite(&s_sm, 1, T0, 60, OCPP_SU_A, per, &cov);
    assert_int_equal(per[0].limit_d, 571);
    /* and the other way: an A ChargePointMax of 100 A at 350 V is 35 kW, above the 20 kW */
    expect_status("SetChargingProfile",
                  "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":2,\"stackLevel\":0,"
                  "\"chargingProfilePurpose\":\"ChargePointMaxProfile\",\"chargingProfileKind\":\"Absolute\","
                  "\"chargingSchedule\":{\"startSchedule\":\"2026-01-01T00:00:00Z\",\"chargingRateUnit\":\"A\","
                  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":40}]}}}",
                  "Accepted");
    (void)ocpp_smart_composite(&s_sm, 1, T0, 60, OCPP_SU_W, per, &cov);
    assert_int_equal(per[0].limit_d, 140000); /* 40 A × 350 V = 14 kW, below the 20 kW */
    /* GetCompositeSchedule: the answer in A, scheduleStart the clock, no startSchedule */
    int p = call("GetCompositeSchedule", "{\"connectorId\":1,\"duration\":300,\"chargingRateUnit\":\"A\"}", NULL);
    assert_true(p >= 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "status"), "Accepted"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "scheduleStart"), "2026-01-05T21:00:00Z"));
    int cs = ocpp_json_get(&s_j, p, "chargingSchedule");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, cs, "chargingRateUnit"), "A"));
    assert_int_equal(ocpp_json_get(&s_j, cs, "startSchedule"), -1);
    int per0 = ocpp_json_at(&s_j, ocpp_json_get(&s_j, cs, "chargingSchedulePeriod"), 0);
    int64_t lim = 0;
    assert_int_equal(ocpp_json_fixed(&s_j, ocpp_json_get(&s_j, per0, "limit"), 1, &lim), HAL_OK);
    assert_int_equal(lim, 400); /* 40.0 A: the ChargePointMax, the smaller */
    expect_status("GetCompositeSchedule", "{\"connectorId\":3,\"duration\":300}", "Rejected");
    expect_error("GetCompositeSchedule", "{\"connectorId\":1,\"duration\":300,\"chargingRateUnit\":\"kW\"}",
                 "PropertyConstraintViolation");
    expect_error("GetCompositeSchedule", "{\"connectorId\":1}", "OccurenceConstraintViolation");
}

static void test_schema_and_semantic_checks(void **state)
{
    (void)state;
    const char *S = "SetChargingProfile";
    expect_error(S, "{\"connectorId\":1}", "OccurenceConstraintViolation");
    expect_error(S, "{\"connectorId\":\"1\",\"csChargingProfiles\":{}}", "TypeConstraintViolation");
    expect_error(S, "{\"connectorId\":1,\"csChargingProfiles\":[]}", "TypeConstraintViolation");
    expect_error(S, "{\"connectorId\":1,\"csChargingProfiles\":{},\"x\":1}", "PropertyConstraintViolation");
    /* the remaining cases change one thing of a good TxDefault profile */
    static const struct {
        const char *stack, *purpose, *kind, *extra, *unit, *periods, *want;
        int conn;
    } k[] = {
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Accepted", 1},
        {"\"0\"", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "TypeConstraintViolation", 1},
        {"-1", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", 1},
        {"0", "TxMaxProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "kW", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16.05}", "PropertyConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":\"16\"}", "TypeConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0}", "OccurenceConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16,\"x\":1}", "PropertyConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "7", "TypeConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", ",\"validFrom\":\"yesterday\"", "A", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", 9},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "PropertyConstraintViolation", -1},
        /* semantic: Rejected */
        {"99", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":5,\"limit\":16}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16},{\"startPeriod\":0,\"limit\":8}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":-1}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16,\"numberPhases\":4}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", "", "A", "", "Rejected", 1},
        {"0", "TxDefaultProfile", "Recurring", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", ",\"recurrencyKind\":\"Daily\"", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
        {"0", "ChargePointMaxProfile", "Absolute", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
        {"0", "ChargePointMaxProfile", "Relative", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 0},
        {"0", "TxProfile", "Relative", "", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 0},
        {"0", "TxDefaultProfile", "Absolute", ",\"transactionId\":5", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
        {"0", "TxDefaultProfile", "Absolute", ",\"validFrom\":\"2026-02-01T00:00:00Z\",\"validTo\":\"2026-01-01T00:00:00Z\"", "A", "{\"startPeriod\":0,\"limit\":16}", "Rejected", 1},
    };
    for (unsigned i = 0; i < sizeof k / sizeof k[0]; i++) {
        char p[1024];
        bool relative = strcmp(k[i].kind, "Relative") == 0 || strcmp(k[i].kind, "Recurring") == 0;
        snprintf(p, sizeof p,
                 "{\"connectorId\":%d,\"csChargingProfiles\":{\"chargingProfileId\":%u,\"stackLevel\":%s,"
                 "\"chargingProfilePurpose\":\"%s\",\"chargingProfileKind\":\"%s\"%s,"
                 "\"chargingSchedule\":{%s\"chargingRateUnit\":\"%s\",\"chargingSchedulePeriod\":[%s]}}}",
                 k[i].conn, 100u + i, k[i].stack, k[i].purpose, k[i].kind, k[i].extra,
                 relative ? "" : "\"startSchedule\":\"2026-01-01T00:00:00Z\",", k[i].unit, k[i].periods);
        if (strcmp(k[i].want, "Accepted") == 0 || strcmp(k[i].want, "Rejected") == 0) {
            expect_status(S, p, k[i].want);
        } else {
            expect_error(S, p, k[i].want);
        }
    }
    /* more periods than ChargingScheduleMaxPeriods: Rejected, never cut */
    char periods[1200] = "";
    for (unsigned i = 0; i <= CFG_OCPP_SMART_PERIODS; i++) {
        char one[48];
        snprintf(one, sizeof one, "%s{\"startPeriod\":%u,\"limit\":1}", i ? "," : "", i * 10u);
        strcat(periods, one);
    }
    set(1, 300, 1, "TxDefaultProfile", "Absolute", "", "A", periods, "Rejected");
    /* a full table: Rejected; a replacement still fits */
    for (unsigned i = 1; i < CFG_OCPP_SMART_PROFILES; i++) {
        char ex[64];
        snprintf(ex, sizeof ex, ",\"validFrom\":\"2026-01-0%uT00:00:00Z\"", 1u + i % 8u);
        set(2, (int)(400 + i), (int)i, "TxDefaultProfile", "Relative", ex, "W", "{\"startPeriod\":0,\"limit\":1000}",
            "Accepted");
    }
    set(2, 500, 0, "TxDefaultProfile", "Relative", ",\"validFrom\":\"2026-01-01T00:00:00Z\"", "W",
        "{\"startPeriod\":0,\"limit\":1000}", "Rejected");
    set(2, 401, 1, "TxDefaultProfile", "Relative", "", "W", "{\"startPeriod\":0,\"limit\":2000}", "Accepted");
    /* ClearChargingProfile's schema */
    expect_error("ClearChargingProfile", "{\"id\":\"1\"}", "TypeConstraintViolation");
    expect_error("ClearChargingProfile", "{\"chargingProfilePurpose\":\"Other\"}", "PropertyConstraintViolation");
    expect_error("ClearChargingProfile", "{\"foo\":1}", "PropertyConstraintViolation");
    expect_status("ClearChargingProfile", "{\"connectorId\":2,\"stackLevel\":1}", "Accepted");
}

static void test_not_attached_and_keys(void **state)
{
    (void)state;
    /* the keys the CSMS reads before it sends profiles */
    int p = call("GetConfiguration", "{\"key\":[\"ChargeProfileMaxStackLevel\",\"ChargingScheduleAllowedChargingRateUnit\"]}",
                 NULL);
    assert_true(p >= 0);
    int keys = ocpp_json_get(&s_j, p, "configurationKey");
    assert_int_equal(ocpp_json_size(&s_j, keys), 2);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, keys, 0), "value"), "8"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, ocpp_json_at(&s_j, keys, 1), "value"), "Current,Power"));
    /* a charge point without the profile attached: NotSupported, as before */
    s_cp.smart = NULL;
    expect_error("SetChargingProfile", "{\"connectorId\":1,\"csChargingProfiles\":{}}", "NotSupported");
}

static void test_composite_bounded(void **state)
{
    (void)state;
    /* a daily schedule of 12 periods over a long duration: cut at CFG_OCPP_SMART_COMPOSITE
     * periods, the answer's duration says how far it reaches */
    char periods[1200] = "";
    for (unsigned i = 0; i < CFG_OCPP_SMART_PERIODS; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s{\"startPeriod\":%u,\"limit\":%u}", i ? "," : "", i * 7200u, 10u + i % 2u);
        strcat(periods, one);
    }
    char p[2048];
    snprintf(p, sizeof p,
             "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":1,\"stackLevel\":0,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Recurring\",\"recurrencyKind\":\"Daily\","
             "\"chargingSchedule\":{\"startSchedule\":\"2026-01-01T00:00:00Z\",\"chargingRateUnit\":\"A\","
             "\"chargingSchedulePeriod\":[%s]}}}",
             periods);
    expect_status("SetChargingProfile", p, "Accepted");
    struct ocpp_smart_cperiod per[CFG_OCPP_SMART_COMPOSITE];
    int32_t cov;
    unsigned n = ocpp_smart_composite(&s_sm, 1, T0, 30 * 86400, OCPP_SU_A, per, &cov);
    assert_int_equal(n, CFG_OCPP_SMART_COMPOSITE);
    assert_true(cov > 0 && cov < 30 * 86400);
    assert_int_equal(per[1].start_s - per[0].start_s, 3600); /* 21:00 to 22:00 */
    int q = call("GetCompositeSchedule", "{\"connectorId\":1,\"duration\":2592000}", NULL);
    assert_true(q >= 0);
    int cs = ocpp_json_get(&s_j, q, "chargingSchedule");
    assert_int_equal(ocpp_json_size(&s_j, ocpp_json_get(&s_j, cs, "chargingSchedulePeriod")), CFG_OCPP_SMART_COMPOSITE);
}

/* RemoteStartTransaction with a chargingProfile: only a TxProfile without transactionId for a
 * given connector (else Rejected, nothing kept), schema errors are CALLERRORs; the accepted
 * one applies to the transaction that starts there, in time, and ends with it. */
static void test_remote_start_profile(void **state)
{
    (void)state;
    s_cp.reg = OCPP_REG_ACCEPTED;
    const char *sched = "\"chargingProfileKind\":\"Relative\",\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
                        "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":10}]}}}";
    char pl[512];
    snprintf(pl, sizeof pl, "{\"connectorId\":1,\"idTag\":\"R1\",\"chargingProfile\":{\"chargingProfileId\":3,"
             "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxDefaultProfile\",%s", sched);
    expect_status("RemoteStartTransaction", pl, "Rejected"); /* not a TxProfile */
    snprintf(pl, sizeof pl, "{\"connectorId\":1,\"idTag\":\"R1\",\"chargingProfile\":{\"chargingProfileId\":3,"
             "\"transactionId\":5,\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",%s", sched);
    expect_status("RemoteStartTransaction", pl, "Rejected"); /* a transactionId */
    snprintf(pl, sizeof pl, "{\"idTag\":\"R1\",\"chargingProfile\":{\"chargingProfileId\":3,"
             "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",%s", sched);
    expect_status("RemoteStartTransaction", pl, "Rejected"); /* no connector */
    expect_error("RemoteStartTransaction",
                 "{\"connectorId\":1,\"idTag\":\"R1\",\"chargingProfile\":{\"chargingProfileId\":3,\"stackLevel\":0,"
                 "\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\"}}",
                 "OccurenceConstraintViolation"); /* no chargingSchedule */
    for (unsigned c = 0; c <= 2; c++) {
        assert_false(s_sm.remote[c].used);
    }
    snprintf(pl, sizeof pl, "{\"connectorId\":1,\"idTag\":\"R1\",\"chargingProfile\":{\"chargingProfileId\":3,"
             "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",%s", sched);
    expect_status("RemoteStartTransaction", pl, "Accepted");
    limit_at(1, T0 + 10, OCPP_SMART_NONE, OCPP_SMART_NONE); /* not before its transaction */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 21, "R1", 0, T0 + 30), HAL_OK);
    ocpp_smart_poll(&s_sm, &s_cp, T0 + 30, s_now);
    limit_at(1, T0 + 40, 10000u, OCPP_SMART_NONE);
    limit_at(2, T0 + 40, OCPP_SMART_NONE, OCPP_SMART_NONE);
    assert_false(s_sm.remote[1].used);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 21, "R1", 10, T0 + 100, OCPP_R_LOCAL), HAL_OK);
    ocpp_smart_poll(&s_sm, &s_cp, T0 + 100, s_now);
    limit_at(1, T0 + 100, OCPP_SMART_NONE, OCPP_SMART_NONE); /* ended with its transaction */
    /* a start that never came in time: its profile does not land on a later transaction */
    expect_status("RemoteStartTransaction", pl, "Accepted");
    int64_t late = T0 + (int64_t)s_cp.cfg.connection_timeout_s + OCPP_SMART_REMOTE_SLACK_S + 1;
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 22, "X", 0, late), HAL_OK);
    ocpp_smart_poll(&s_sm, &s_cp, late, s_now);
    limit_at(1, late + 5, OCPP_SMART_NONE, OCPP_SMART_NONE);
}



/* Profiles are stored whenever they change and read back after a reboot through the same
 * checks: the limits come back; a TxProfile whose transaction ended does not. */
static void test_store_profiles(void **state)
{
    (void)state;
    const char *abs0 = ",\"validFrom\":\"2026-01-01T00:00:00Z\",\"validTo\":\"2027-01-01T00:00:00Z\"";
    uint32_t gen = s_cp.store_gen;
    char p[1024];
    expect_status("SetChargingProfile",
                  "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":4,\"stackLevel\":0,"
                  "\"chargingProfilePurpose\":\"ChargePointMaxProfile\",\"chargingProfileKind\":\"Recurring\","
                  "\"recurrencyKind\":\"Daily\",\"chargingSchedule\":{\"startSchedule\":\"2026-01-05T00:00:00Z\","
                  "\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":8000.5},"
                  "{\"startPeriod\":3600,\"limit\":6000,\"numberPhases\":3}]}}}",
                  "Accepted");
    assert_true(s_cp.store_gen != gen); /* stored before the answer went */
    snprintf(p, sizeof p,
             "{\"connectorId\":2,\"csChargingProfiles\":{\"chargingProfileId\":3,\"stackLevel\":1,"
             "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\"%s,"
             "\"chargingSchedule\":{\"duration\":7200,\"startSchedule\":\"2026-01-05T20:00:00Z\","
             "\"minChargingRate\":1.5,\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":12.5}]}}}",
             abs0);
    expect_status("SetChargingProfile", p, "Accepted");
    /* a TxProfile of a running transaction: not stored (it ends with the transaction, and a
     * restart ends every transaction) */
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 11, "TAG", 0, T0), HAL_OK);
    s_cp.tx[0].id_known = true; /* as StartTransaction.conf gives it */
    s_cp.tx[0].csms_id = 55;
    ocpp_smart_poll(&s_sm, &s_cp, T0, 0);
    set(1, 7, 2, "TxProfile", "Relative", ",\"transactionId\":55", "A", "{\"startPeriod\":0,\"limit\":20}",
        "Accepted");
    static struct fake_ocpp_store b;
    assert_true(fake_ocpp_store_export(&s_cp, &b));
    assert_non_null(strstr(b.text, "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0\n"));
    assert_null(strstr(b.text, "prof 7 "));
    assert_non_null(strstr(b.text, "prof 4 0 0 0 1 1 1 0 0 0 0 -1 0 0 1767571200 2 0,80005,0 3600,60000,3\n"));
    uint32_t ma, w;
    (void)ocpp_smart_limit(&s_sm, 2, T0, &ma, &w);
    assert_int_equal(ma, 12500u);

    /* reboot: the journal's transaction 11 is closed (its Stop queued) before the store loads */
    setup(NULL);
    assert_int_equal(ocpp_cp_tx_start(&s_cp, 1, 11, "", 0, T0), HAL_OK);
    assert_int_equal(ocpp_cp_tx_stop(&s_cp, 11, "", 10, T0 + 5, OCPP_R_POWER_LOSS), HAL_OK);
    limit_at(2, T0, OCPP_SMART_NONE, OCPP_SMART_NONE);
    unsigned taken = 0;
    assert_int_equal(fake_ocpp_store_read(&s_cp, b.text, NULL, NULL, &taken), 0);
    assert_true(taken > 1);
    /* a TxProfile line all the same (an older file, or a hostile one): its transaction is
     * closed, so it is refused with that reason */
    const char *tx_why = NULL;
    assert_int_equal(ocpp_cp_store_line(&s_cp, "prof 7 1 2 2 2 0 0 1 55 0 0 -1 0 0 0 1 0,200,0", &tx_why), HAL_EINVAL);
    assert_non_null(tx_why);
    assert_non_null(strstr(tx_why, "TxProfile"));
    limit_at(2, T0, 12500u, OCPP_SMART_NONE);
    limit_at(1, T0, OCPP_SMART_NONE, OCPP_SMART_NONE);
    assert_true(ocpp_smart_cp_limit(&s_sm, T0 + 86400, &ma, &w)); /* 21:00 the next day: 6 kW */
    assert_int_equal(w, 6000u);
    static struct fake_ocpp_store b2;
    assert_true(fake_ocpp_store_export(&s_cp, &b2));
    assert_non_null(strstr(b2.text, "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0\n"));
    assert_null(strstr(b2.text, "prof 7 "));

    /* damaged lines: refused with their reason, nothing installed */
    static const char *const bad[] = {
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1",          /* a period short */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125",    /* a field short */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 5,125,0",  /* not from 0 */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,-1,0",   /* negative */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,1,4",    /* 4 phases */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 0 1 0,125,0",           /* Absolute, no start */
        "prof 3 2 1 1 0 1 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0",  /* recurrency, not Recurring */
        "prof 3 2 99 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0", /* stack too high */
        "prof 3 3 1 1 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0",  /* no connector 3 */
        "prof 3 2 1 1 0 0 0 0 0 1 7200 15 1798761600 1767225600 1767643200 1 0,125,0",  /* validTo first */
        "prof 3 2 1 0 0 0 0 0 0 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0",  /* CP max on 2 */
        "prof 3 2 1 1 0 0 0 1 55 1 7200 15 1767225600 1798761600 1767643200 1 0,125,0", /* txId on TxDefault */
        "prof 8 1 2 2 2 0 0 0 0 0 0 -1 0 0 0 1 0,200,0",                                /* TxProfile, no tx */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        if (ocpp_cp_store_line(&s_cp, bad[i], &why) != HAL_EINVAL || why == NULL) {
            fail_msg("accepted or without a reason: %s", bad[i]);
        }
    }
    static struct fake_ocpp_store b3;
    assert_true(fake_ocpp_store_export(&s_cp, &b3));
    assert_string_equal(b3.text, b2.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stack, setup),
        cmocka_unit_test_setup(test_recurring_across_midnight, setup),
        cmocka_unit_test_setup(test_relative_to_transaction_start, setup),
        cmocka_unit_test_setup(test_w_to_a_at_session_voltage, setup),
        cmocka_unit_test_setup(test_schema_and_semantic_checks, setup),
        cmocka_unit_test_setup(test_not_attached_and_keys, setup),
        cmocka_unit_test_setup(test_composite_bounded, setup),
        cmocka_unit_test_setup(test_remote_start_profile, setup),
        cmocka_unit_test_setup(test_store_profiles, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
