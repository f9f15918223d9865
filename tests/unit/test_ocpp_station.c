/* Unit tests of OCPP on the station: two pilot-level connectors behind the station API, the
 * backend's commands carried out through it (remote start authorises the session, remote
 * stop, availability Accepted/Scheduled, unlock, reset once idle) and the station's statuses
 * reported in order. The CSMS is scripted against the charge point core directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"
#include "fake_pilot.h"
#include "fake_power.h"
#include "ocpp_station.h"

struct conn {
    struct fake_pilot pilot;
    struct fake_power power;
    struct fake_log log;
    struct charger charger;
};

static struct conn s_c[2];
static struct sched s_sched;
static struct station s_st;
static struct ocpp_station s_os;
static struct ocpp_json s_js;
static uint32_t s_now;
static char s_sent[64][160]; /* "Action key=value" of what the charge point sent */
static int s_nsent;
static char s_started_token[STATION_TOKEN_MAX + 1]; /* of the last session-started event */

static void conn_init(struct conn *r, const char *name)
{
    struct charger_config cfg;
    fake_pilot_init(&r->pilot);
    fake_power_init(&r->power);
    fake_log_init(&r->log);
    charger_default_config(&cfg);
    cfg.auth = CHARGER_AUTH_EXTERNAL; /* a session waits for a token, as with a backend */
    snprintf(cfg.name, sizeof cfg.name, "%s", name);
    struct charger_ports ports = {
        .pilot = &r->pilot.base, .gpio = &r->power.gpio, .psu = &r->power.psu, .log = &r->log.base};
    assert_int_equal(charger_init(&r->charger, &cfg, &ports, &s_sched, s_now), HAL_OK);
}

/* The CSMS: answers every CALL of the charge point (Accepted, transaction ids 500+). */
static void csms(void)
{
    for (int k = 0; k < 16 && ocpp_cp_poll(&s_os.cp, s_now); k++) {
        size_t len;
        const char *t = ocpp_cp_take(&s_os.cp, &len);
        assert_int_equal(ocpp_json_parse(&s_js, t, len), HAL_OK);
        ocpp_cp_sent(&s_os.cp, s_now);
        if (ocpp_json_type(&s_js, 0) != OCPP_J_ARR || ocpp_json_size(&s_js, 0) != 4) {
            continue; /* an answer of ours to a CALL of the CSMS */
        }
        char action[40], id[40], ans[200] = "{}";
        ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 1), id, sizeof id);
        ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 2), action, sizeof action);
        int p = ocpp_json_at(&s_js, 0, 3);
        if (strcmp(action, "StatusNotification") == 0 && s_nsent < 64) {
            int64_t c;
            char st[20];
            ocpp_json_int(&s_js, ocpp_json_get(&s_js, p, "connectorId"), &c);
            ocpp_json_str(&s_js, ocpp_json_get(&s_js, p, "status"), st, sizeof st);
            snprintf(s_sent[s_nsent++], 160, "Status %ld %s", (long)c, st);
        }
        if (strcmp(action, "BootNotification") == 0) {
            strcpy(ans, "{\"status\":\"Accepted\",\"currentTime\":\"2026-01-01T00:00:00Z\",\"interval\":300}");
        }
        char frame[300];
        snprintf(frame, sizeof frame, "[3,\"%s\",%s]", id, ans);
        ocpp_cp_rx(&s_os.cp, frame, strlen(frame), s_now);
    }
}

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        s_now++;
        fake_power_tick(&s_c[0].power, s_now);
        fake_power_tick(&s_c[1].power, s_now);
        sched_run(&s_sched, s_now, false);
        struct station_event e;
        while (station_event_pop(&s_st, &e) == HAL_OK) {
            if (e.kind == STATION_EV_SESSION_STARTED) {
                snprintf(s_started_token, sizeof s_started_token, "%s", e.u.started.token);
            }
            ocpp_station_event(&s_os, &e, s_now);
        }
        ocpp_station_poll(&s_os, s_now);
        if (i % 10 == 0) {
            csms();
        }
    }
    csms();
}

/* An incoming CALL; returns the answer's text. */
static const char *call(const char *frame)
{
    static char out[512];
    ocpp_cp_rx(&s_os.cp, frame, strlen(frame), s_now);
    size_t len;
    const char *t = ocpp_cp_take(&s_os.cp, &len);
    assert_non_null(t);
    snprintf(out, sizeof out, "%.*s", (int)len, t);
    ocpp_cp_sent(&s_os.cp, s_now);
    return out;
}

static int setup(void **state)
{
    (void)state;
    s_now = 0;
    s_nsent = 0;
    sched_init(&s_sched);
    conn_init(&s_c[0], "cp0");
    conn_init(&s_c[1], "cp1");
    struct station_config scfg;
    station_default_config(&scfg);
    scfg.token_timeout_ms = 5000;
    struct charger *conns[2] = {&s_c[0].charger, &s_c[1].charger};
    assert_int_equal(station_init(&s_st, &scfg, conns, 2, &s_sched, s_now), HAL_OK);
    struct ocpp_cp_info info = {"V", "M", NULL, NULL, NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    assert_int_equal(ocpp_station_init(&s_os, &s_st, NULL, 2, &info, &cfg, NULL, NULL, NULL, NULL, NULL, 1, s_now),
                     HAL_OK);
    ocpp_cp_connected(&s_os.cp, s_now);
    run(100);
    return 0;
}

static bool sent(const char *what)
{
    for (int i = 0; i < s_nsent; i++) {
        if (strcmp(s_sent[i], what) == 0) {
            return true;
        }
    }
    return false;
}

static void plug(int i)
{
    pilot_ev_plug(&s_c[i].pilot.ev, true);
    run(100);
    assert_int_equal(pilot_ev_set_s2(&s_c[i].pilot.ev, true), HAL_OK);
    run(300);
}

static void test_statuses_and_remote_start(void **state)
{
    (void)state;
    assert_true(sent("Status 0 Available"));
    assert_true(sent("Status 1 Available"));
    assert_true(sent("Status 2 Available"));
    /* a remote start before the car: pre-authorises connector 1 */
    assert_non_null(strstr(call("[2,\"a\",\"RemoteStartTransaction\",{\"idTag\":\"TAG1\",\"connectorId\":1}]"),
                           "\"Accepted\""));
    plug(0);
    run(2000);
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    assert_true(sent("Status 1 Preparing"));
    assert_true(sent("Status 1 Charging"));
    /* Preparing came before Charging */
    int prep = -1, chg = -1;
    for (int i = 0; i < s_nsent; i++) {
        if (strcmp(s_sent[i], "Status 1 Preparing") == 0 && prep < 0) {
            prep = i;
        }
        if (strcmp(s_sent[i], "Status 1 Charging") == 0 && chg < 0) {
            chg = i;
        }
    }
    assert_true(prep >= 0 && prep < chg);
    /* inoperative while charging: Scheduled; the idle connector: Accepted at once */
    assert_non_null(strstr(call("[2,\"b\",\"ChangeAvailability\",{\"connectorId\":1,\"type\":\"Inoperative\"}]"),
                           "\"Scheduled\""));
    assert_non_null(strstr(call("[2,\"c\",\"ChangeAvailability\",{\"connectorId\":2,\"type\":\"Inoperative\"}]"),
                           "\"Accepted\""));
    run(500);
    assert_true(sent("Status 2 Unavailable"));
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    /* unlock stops the session in its safe order */
    assert_non_null(strstr(call("[2,\"d\",\"UnlockConnector\",{\"connectorId\":1}]"), "\"Unlocked\""));
    run(3000);
    assert_int_not_equal(station_status(&s_st, 0), STATION_CHARGING);
    assert_true(sent("Status 1 Finishing") || sent("Status 1 Unavailable"));
}

static void test_remote_start_refused_and_reset(void **state)
{
    (void)state;
    /* an inoperative connector refuses */
    assert_int_equal(station_set_availability(&s_st, 1, STATION_INOPERATIVE, false), HAL_OK);
    run(100);
    assert_non_null(strstr(call("[2,\"a\",\"RemoteStartTransaction\",{\"idTag\":\"T\",\"connectorId\":2}]"),
                           "\"Rejected\""));
    /* no connector named: the first available one */
    assert_non_null(strstr(call("[2,\"b\",\"RemoteStartTransaction\",{\"idTag\":\"T\"}]"), "\"Accepted\""));
    plug(0);
    run(2000);
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    bool hard = false;
    assert_false(ocpp_station_reset_due(&s_os, &hard));
    assert_non_null(strstr(call("[2,\"c\",\"Reset\",{\"type\":\"Hard\"}]"), "\"Accepted\""));
    run(3000);
    assert_int_not_equal(station_status(&s_st, 0), STATION_CHARGING);
    assert_true(ocpp_station_reset_due(&s_os, &hard));
    assert_true(hard);
}

/* Ask the backend about @p token at connector @p c and answer @p status. */
static void authorize_with(uint8_t c, const char *token, const char *status)
{
    assert_int_equal(ocpp_station_authorize(&s_os, c, token), HAL_OK);
    assert_true(ocpp_cp_poll(&s_os.cp, s_now));
    size_t len;
    const char *t = ocpp_cp_take(&s_os.cp, &len);
    assert_non_null(strstr(t, "\"Authorize\""));
    assert_int_equal(ocpp_json_parse(&s_js, t, len), HAL_OK);
    char id[40], frame[200];
    ocpp_json_str(&s_js, ocpp_json_at(&s_js, 0, 1), id, sizeof id);
    ocpp_cp_sent(&s_os.cp, s_now);
    snprintf(frame, sizeof frame, "[3,\"%s\",{\"idTagInfo\":{\"status\":\"%s\"}}]", id, status);
    ocpp_cp_rx(&s_os.cp, frame, strlen(frame), s_now);
}

static void test_authorize(void **state)
{
    (void)state;
    /* refused by the backend: the station is not authorised */
    authorize_with(1, "BAD", "Invalid");
    plug(1);
    run(500);
    assert_string_equal(s_started_token, "");
    /* accepted: the token pre-authorises the next session */
    authorize_with(0, "CARD", "Accepted");
    plug(0);
    run(500);
    assert_string_equal(s_started_token, "CARD");
    /* offline, unknown tags are refused by default; a tag the backend accepted is in the
     * cache and starts (LocalAuthorizeOffline), one it refused stays refused */
    ocpp_cp_disconnected(&s_os.cp);
    assert_int_equal(ocpp_station_authorize(&s_os, 0, "OTHER"), HAL_ESTATE);
    assert_int_equal(ocpp_station_authorize(&s_os, 1, "BAD"), HAL_ESTATE);
    assert_int_equal(ocpp_station_authorize(&s_os, 1, "card"), HAL_OK); /* IdToken: case-insensitive */
    s_os.cp.cfg.local_authorize_offline = false;
    assert_int_equal(ocpp_station_authorize(&s_os, 1, "CARD"), HAL_ESTATE);
}

/* Smart Charging on the station: a profile becomes the connector's own limits, the
 * ChargePointMaxProfile the station's (never above its configured one), and clearing
 * them gives the station back what it had. */
static void test_smart_charging_limits(void **state)
{
    (void)state;
    uint32_t base_w = s_st.cfg.max_power_w, base_ma = s_st.cfg.max_current_ma;
    const char *a = call("[2,\"p1\",\"SetChargingProfile\",{\"connectorId\":2,\"csChargingProfiles\":{"
                         "\"chargingProfileId\":1,\"stackLevel\":0,\"chargingProfilePurpose\":\"TxDefaultProfile\","
                         "\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"startSchedule\":"
                         "\"2025-12-31T00:00:00Z\",\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":["
                         "{\"startPeriod\":0,\"limit\":7000},{\"startPeriod\":86410,\"limit\":3000}]}}}]");
    assert_non_null(strstr(a, "\"Accepted\""));
    run(50); /* at once after the change, not at the next second */
    assert_int_equal(s_st.conn[1].limit_w, 7000u);
    assert_int_equal(s_st.conn[1].limit_ma, STATION_NO_LIMIT);
    assert_int_equal(s_st.conn[0].limit_w, STATION_NO_LIMIT); /* connector 1 has none */
    run(11000); /* the next period begins 2026-01-01T00:00:10Z: re-evaluated as it begins */
    assert_int_equal(s_st.conn[1].limit_w, 3000u);
    a = call("[2,\"p2\",\"SetChargingProfile\",{\"connectorId\":0,\"csChargingProfiles\":{"
             "\"chargingProfileId\":2,\"stackLevel\":0,\"chargingProfilePurpose\":\"ChargePointMaxProfile\","
             "\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"startSchedule\":"
             "\"2025-12-31T00:00:00Z\",\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":["
             "{\"startPeriod\":0,\"limit\":32.5}]}}}]");
    assert_non_null(strstr(a, "\"Accepted\""));
    run(50);
    assert_int_equal(s_st.cfg.max_current_ma, 32500u);
    assert_int_equal(s_st.cfg.max_power_w, base_w != 0u ? base_w : STATION_NO_LIMIT);
    a = call("[2,\"p3\",\"ClearChargingProfile\",{}]");
    assert_non_null(strstr(a, "\"Accepted\""));
    run(50);
    assert_int_equal(s_st.conn[1].limit_w, STATION_NO_LIMIT);
    assert_int_equal(s_st.cfg.max_current_ma, base_ma != 0u ? base_ma : STATION_NO_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_statuses_and_remote_start, setup),
        cmocka_unit_test_setup(test_remote_start_refused_and_reset, setup),
        cmocka_unit_test_setup(test_authorize, setup),
        cmocka_unit_test_setup(test_smart_charging_limits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
