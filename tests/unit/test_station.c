/* Unit tests of the station: two pilot-level connectors (fake pilot and power path) in one
 * scheduler behind the station API. Status in OCPP terms, the event ring, the commands
 * (authorize, remote stop, availability, limits, pause, unlock) and the sharing of the
 * station's power limit, judged on the setpoints the power stages were given. */
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
#include "station.h"

struct cp {
    struct fake_pilot pilot;
    struct fake_power power;
    struct fake_log log;
    struct charger charger;
};

static struct cp s_cp[2];
static struct sched s_sched;
static struct station s_st;
static uint32_t s_now;

static void cp_init(struct cp *r, const char *name)
{
    struct charger_config cfg;
    fake_pilot_init(&r->pilot);
    fake_power_init(&r->power);
    fake_log_init(&r->log);
    charger_default_config(&cfg);
    snprintf(cfg.name, sizeof cfg.name, "%s", name);
    struct charger_ports ports = {
        .pilot = &r->pilot.base, .gpio = &r->power.gpio, .psu = &r->power.psu, .log = &r->log.base};
    assert_int_equal(charger_init(&r->charger, &cfg, &ports, &s_sched, s_now), HAL_OK);
}

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        s_now++;
        fake_power_tick(&s_cp[0].power, s_now);
        fake_power_tick(&s_cp[1].power, s_now);
        sched_run(&s_sched, s_now, false);
    }
}

static int setup(void **state)
{
    (void)state;
    s_now = 0;
    sched_init(&s_sched);
    cp_init(&s_cp[0], "cp0");
    cp_init(&s_cp[1], "cp1");
    struct station_config cfg;
    station_default_config(&cfg);
    cfg.measure_period_ms = 1000;
    cfg.token_timeout_ms = 5000;
    struct charger *conns[2] = {&s_cp[0].charger, &s_cp[1].charger};
    assert_int_equal(station_init(&s_st, &cfg, conns, 2, &s_sched, s_now), HAL_OK);
    run(100);
    return 0;
}

static void plug(int i)
{
    pilot_ev_plug(&s_cp[i].pilot.ev, true);
    run(100);
    assert_int_equal(pilot_ev_set_s2(&s_cp[i].pilot.ev, true), HAL_OK);
    run(200);
}

static void finish(int i)
{
    (void)pilot_ev_set_s2(&s_cp[i].pilot.ev, false);
    run(500);
    pilot_ev_plug(&s_cp[i].pilot.ev, false);
    run(200);
}

/* Pop every event of @p connector into @p out (at most @p cap), others are dropped. */
static int drain(uint8_t connector, struct station_event *out, int cap)
{
    int n = 0;
    struct station_event e;
    while (station_event_pop(&s_st, &e) == HAL_OK) {
        if (e.connector == connector && n < cap) {
            out[n++] = e;
        }
    }
    return n;
}

static int find(const struct station_event *ev, int n, enum station_event_kind k, int from)
{
    for (int i = from; i < n; i++) {
        if (ev[i].kind == k) {
            return i;
        }
    }
    return -1;
}

static void assert_safe(const struct cp *r)
{
    assert_int_equal(r->power.breach_open_under_load, 0);
    assert_int_equal(r->power.breach_unlock_while_closed, 0);
    assert_int_equal(r->power.breach_close_unlocked, 0);
    assert_int_equal(r->power.breach_export_open, 0);
}

static void test_status_and_session_events(void **state)
{
    (void)state;
    static struct station_event ev[64];
    (void)drain(0, ev, 64);
    assert_int_equal(station_status(&s_st, 0), STATION_AVAILABLE);
    plug(0);
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    run(2500);
    finish(0);
    assert_int_equal(station_status(&s_st, 0), STATION_AVAILABLE);
    int n = drain(0, ev, 64);
    /* the status walk, in OCPP terms */
    enum station_status want[] = {STATION_PREPARING, STATION_CHARGING, STATION_FINISHING,
                                  STATION_AVAILABLE};
    int at = 0;
    for (unsigned w = 0; w < sizeof want / sizeof want[0]; w++) {
        at = find(ev, n, STATION_EV_STATUS, at);
        assert_true(at >= 0);
        assert_int_equal(ev[at].u.status.to, want[w]);
        at++;
    }
    int started = find(ev, n, STATION_EV_SESSION_STARTED, 0);
    int stopped = find(ev, n, STATION_EV_SESSION_STOPPED, 0);
    assert_true(started >= 0 && stopped > started);
    assert_int_equal(ev[started].u.started.number, 1);
    assert_int_equal(ev[stopped].u.stopped.record.number, 1);
    assert_int_equal(ev[stopped].u.stopped.record.stop, CHARGER_STOP_EV);
    assert_true(ev[stopped].u.stopped.record.charge_ms >= 2500);
    /* measurements: at every status change and every second while the session ran */
    int meas = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].kind == STATION_EV_MEASUREMENT) {
            meas++;
        }
    }
    assert_true(meas >= 4 + 2);
    int m = find(ev, n, STATION_EV_MEASUREMENT, find(ev, n, STATION_EV_STATUS, 1));
    assert_true(m >= 0);
    /* the pilot-level session tells what it is */
    int info = find(ev, n, STATION_EV_EV_INFO, 0);
    assert_true(info >= 0);
    assert_string_equal(ev[info].u.ev.protocol, "pilot");
    assert_safe(&s_cp[0]);
    /* the other connector saw nothing */
    assert_int_equal(station_status(&s_st, 1), STATION_AVAILABLE);
}

static void test_station_limit_is_shared(void **state)
{
    (void)state;
    /* 6 kW for the station: two connectors at 400 V get 3 kW = 7.5 A each */
    assert_int_equal(station_set_limit(&s_st, STATION_ALL, STATION_NO_LIMIT, 6000), HAL_OK);
    plug(0);
    assert_int_equal(station_connector_limit_w(&s_st, 0), 6000);
    assert_int_equal(s_cp[0].power.set_ma, 10000); /* alone: its own 10 A, 4 kW < 6 kW */
    plug(1);
    run(100);
    assert_int_equal(station_connector_limit_w(&s_st, 0), 3000);
    assert_int_equal(station_connector_limit_w(&s_st, 1), 3000);
    assert_int_equal(s_cp[0].power.set_ma, 7500);
    assert_int_equal(s_cp[1].power.set_ma, 7500);
    /* a connector limited below its part leaves the rest to the other (water filling) */
    assert_int_equal(station_set_limit(&s_st, 0, STATION_NO_LIMIT, 1000), HAL_OK);
    run(100);
    assert_int_equal(station_connector_limit_w(&s_st, 0), 1000);
    assert_int_equal(station_connector_limit_w(&s_st, 1), 5000);
    assert_int_equal(s_cp[0].power.set_ma, 2500);
    assert_int_equal(s_cp[1].power.set_ma, 10000); /* 5 kW allowed, its own 10 A is less */
    /* a current limit per connector, turned into W at its voltage: 5 A x 400 V */
    assert_int_equal(station_set_limit(&s_st, 0, 5000, STATION_NO_LIMIT), HAL_OK);
    run(100);
    assert_int_equal(station_connector_limit_w(&s_st, 0), 2000);
    assert_int_equal(s_cp[0].power.set_ma, 5000);
    /* nothing for connector 1: SuspendedEVSE, no current asked of its stage */
    assert_int_equal(station_set_limit(&s_st, 1, STATION_NO_LIMIT, 0), HAL_OK);
    run(100);
    assert_int_equal(station_status(&s_st, 1), STATION_SUSPENDED_EVSE);
    assert_int_equal(s_cp[1].power.set_ma, 0); /* a true 0 W limit, not a small one */
    assert_int_equal(station_set_limit(&s_st, 1, STATION_NO_LIMIT, STATION_NO_LIMIT), HAL_OK);
    run(100);
    assert_int_equal(station_status(&s_st, 1), STATION_CHARGING);
    /* the station limit removed: each connector back to its own rules */
    assert_int_equal(station_set_limit(&s_st, STATION_ALL, STATION_NO_LIMIT, STATION_NO_LIMIT), HAL_OK);
    assert_int_equal(station_set_limit(&s_st, 0, STATION_NO_LIMIT, STATION_NO_LIMIT), HAL_OK);
    run(100);
    assert_int_equal(station_connector_limit_w(&s_st, 0), 0);
    assert_int_equal(s_cp[0].power.set_ma, 10000);
    assert_int_equal(station_set_limit(&s_st, 7, 0, 0), HAL_EINVAL);
    finish(0);
    finish(1);
    assert_safe(&s_cp[0]);
    assert_safe(&s_cp[1]);
}

static void test_availability(void **state)
{
    (void)state;
    static struct station_event ev[64];
    /* inoperative while idle: Unavailable, a car that plugs in gets no session */
    assert_int_equal(station_set_availability(&s_st, 0, STATION_INOPERATIVE, false), HAL_OK);
    run(10);
    assert_int_equal(station_status(&s_st, 0), STATION_UNAVAILABLE);
    pilot_ev_plug(&s_cp[0].pilot.ev, true);
    run(300);
    assert_int_equal(charger_state(&s_cp[0].charger), CHARGER_IDLE);
    assert_false(s_cp[0].power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(station_authorize(&s_st, 0, "04A1B2C3", STATION_TOKEN_RFID), HAL_ESTATE);
    /* operative again: the waiting car's session starts */
    assert_int_equal(station_set_availability(&s_st, 0, STATION_OPERATIVE, false), HAL_OK);
    run(100);
    assert_int_equal(station_status(&s_st, 0), STATION_PREPARING);
    assert_int_equal(pilot_ev_set_s2(&s_cp[0].pilot.ev, true), HAL_OK);
    run(200);
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    /* inoperative after the session: it charges on, then becomes Unavailable */
    assert_int_equal(station_set_availability(&s_st, STATION_ALL, STATION_INOPERATIVE, true), HAL_OK);
    run(500);
    assert_int_equal(station_status(&s_st, 0), STATION_CHARGING);
    assert_int_equal(station_status(&s_st, 1), STATION_UNAVAILABLE); /* idle: at once */
    (void)drain(0, ev, 64);
    finish(0);
    assert_int_equal(station_status(&s_st, 0), STATION_UNAVAILABLE);
    int n = drain(0, ev, 64);
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (ev[i].kind == STATION_EV_STATUS) {
            last = i;
        }
    }
    assert_true(last >= 0);
    assert_int_equal(ev[last].u.status.to, STATION_UNAVAILABLE);
    /* inoperative now, with a session running: it is stopped in its safe order */
    assert_int_equal(station_set_availability(&s_st, STATION_ALL, STATION_OPERATIVE, false), HAL_OK);
    plug(1);
    assert_int_equal(station_status(&s_st, 1), STATION_CHARGING);
    assert_int_equal(station_set_availability(&s_st, 1, STATION_INOPERATIVE, false), HAL_OK);
    run(500);
    assert_int_equal(s_cp[1].power.mode, PSU_MODE_OFF);
    assert_false(s_cp[1].power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(charger_stats(&s_cp[1].charger)->last_stop, CHARGER_STOP_LOCAL);
    assert_int_equal(station_set_availability(&s_st, 1, (enum station_availability)9, false), HAL_EINVAL);
    assert_safe(&s_cp[1]);
}

static void test_commands(void **state)
{
    (void)state;
    static struct station_event ev[64];
    /* bad arguments */
    assert_int_equal(station_authorize(&s_st, 5, "AB", STATION_TOKEN_RFID), HAL_EINVAL);
    assert_int_equal(station_authorize(&s_st, 0, "", STATION_TOKEN_RFID), HAL_EINVAL);
    assert_int_equal(station_authorize(&s_st, 0, "0123456789012345678901234", STATION_TOKEN_RFID),
                     HAL_EINVAL);
    assert_int_equal(station_remote_stop(&s_st, 0), HAL_ESTATE); /* nothing runs */
    /* a remote start before the car: the next session carries the token */
    assert_false(station_token_waiting(&s_st, 0));
    assert_int_equal(station_remote_start(&s_st, 0, "TAG-42"), HAL_OK);
    assert_true(station_token_waiting(&s_st, 0)); /* what sim --plug-after-start waits for */
    assert_false(station_token_waiting(&s_st, 5));
    (void)drain(0, ev, 64);
    plug(0);
    assert_false(station_token_waiting(&s_st, 0)); /* taken by the session */
    /* authorised already: another token for this session is refused */
    assert_int_equal(station_authorize(&s_st, 0, "OTHER", STATION_TOKEN_RFID), HAL_ESTATE);
    /* DIN and the pilot-level session cannot pause */
    assert_int_equal(station_pause(&s_st, 0), HAL_ENOTSUP);
    assert_int_equal(station_resume(&s_st, 0), HAL_ENOTSUP);
    /* remote stop: graceful, in the safe order, and the record carries the token */
    assert_int_equal(station_remote_stop(&s_st, 0), HAL_OK);
    run(500);
    assert_int_equal(s_cp[0].power.mode, PSU_MODE_OFF);
    pilot_ev_plug(&s_cp[0].pilot.ev, false);
    run(200);
    int n = drain(0, ev, 64);
    int started = find(ev, n, STATION_EV_SESSION_STARTED, 0);
    int stopped = find(ev, n, STATION_EV_SESSION_STOPPED, 0);
    assert_true(started >= 0 && stopped > started);
    assert_string_equal(ev[started].u.started.token, "TAG-42");
    assert_int_equal(ev[started].u.started.source, STATION_TOKEN_BACKEND);
    assert_string_equal(ev[stopped].u.stopped.token, "TAG-42");
    assert_int_equal(ev[stopped].u.stopped.record.stop, CHARGER_STOP_LOCAL);
    /* the token does not outlive its session */
    plug(0);
    finish(0);
    n = drain(0, ev, 64);
    stopped = find(ev, n, STATION_EV_SESSION_STOPPED, 0);
    assert_true(stopped >= 0);
    assert_string_equal(ev[stopped].u.stopped.token, "");
    /* a pre-authorisation no car used expires (OCPP ConnectionTimeOut) */
    assert_int_equal(station_authorize(&s_st, 1, "LATE", STATION_TOKEN_RFID), HAL_OK);
    run(6000);
    plug(1);
    finish(1);
    n = drain(1, ev, 64);
    started = find(ev, n, STATION_EV_SESSION_STARTED, 0);
    assert_true(started >= 0);
    assert_string_equal(ev[started].u.started.token, "");
    /* a token the backend refused after it was given: the pre-authorisation is dropped (the
     * next session does not start with it); nothing waits for it: HAL_ESTATE */
    assert_int_equal(station_refuse(&s_st, 9, "X"), HAL_EINVAL);
    assert_int_equal(station_refuse(&s_st, 1, NULL), HAL_EINVAL);
    assert_int_equal(station_authorize(&s_st, 1, "GONE", STATION_TOKEN_RFID), HAL_OK);
    assert_int_equal(station_refuse(&s_st, 1, "OTHER"), HAL_ESTATE); /* another token: kept */
    assert_true(s_st.conn[1].token_pending);
    assert_int_equal(station_refuse(&s_st, 1, "GONE"), HAL_ESTATE);
    assert_false(s_st.conn[1].token_pending);
    plug(1);
    finish(1);
    n = drain(1, ev, 64);
    started = find(ev, n, STATION_EV_SESSION_STARTED, 0);
    assert_true(started >= 0);
    assert_string_equal(ev[started].u.started.token, "");
    /* unlock while charging: the session stops and the lock opens once safe */
    plug(1);
    assert_int_equal(station_unlock(&s_st, 1), HAL_OK);
    run(600);
    assert_false(s_cp[1].power.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(station_unlock(&s_st, 9), HAL_EINVAL);
    assert_int_equal(station_reset_fault(&s_st, 1, NULL), HAL_OK); /* nothing held */
    assert_safe(&s_cp[0]);
    assert_safe(&s_cp[1]);
}

/* Errors of a connector are reported once when raised and once when cleared. (The
 * pilot-level session raises none of its own: the test raises them in the connector's
 * table, where the V2G session and the supervision put theirs.) */
static void test_errors_reported_once(void **state)
{
    (void)state;
    static struct station_event ev[64];
    struct errors *er = &s_cp[0].charger.err;
    plug(0);
    (void)drain(0, ev, 64);
    assert_true(errors_raise(er, ERRORS_SRC_PSU, 0x0b01, ERRORS_SEV_LOW, "stage warning", s_now));
    assert_true(errors_raise(er, ERRORS_SRC_METER, 5, ERRORS_SEV_LOW, "meter slow", s_now));
    run(300);
    int n = drain(0, ev, 64);
    int a = find(ev, n, STATION_EV_ERROR_RAISED, 0);
    int b = find(ev, n, STATION_EV_ERROR_RAISED, a + 1);
    assert_true(a >= 0 && b > a);
    assert_int_equal(find(ev, n, STATION_EV_ERROR_RAISED, b + 1), -1); /* once each */
    assert_int_equal(ev[a].u.error.source, ERRORS_SRC_PSU);
    assert_int_equal(ev[a].u.error.code, 0x0b01);
    assert_int_equal(ev[a].u.error.severity, ERRORS_SEV_LOW);
    assert_string_equal(ev[a].u.error.text, "stage warning");
    assert_int_equal(ev[b].u.error.source, ERRORS_SRC_METER);
    assert_int_equal(find(ev, n, STATION_EV_ERROR_CLEARED, 0), -1);
    assert_true(errors_clear(er, ERRORS_SRC_PSU, 0x0b01));
    run(300);
    n = drain(0, ev, 64);
    int c = find(ev, n, STATION_EV_ERROR_CLEARED, 0);
    assert_true(c >= 0);
    assert_int_equal(ev[c].u.error.source, ERRORS_SRC_PSU);
    assert_int_equal(ev[c].u.error.code, 0x0b01);
    assert_int_equal(find(ev, n, STATION_EV_ERROR_CLEARED, c + 1), -1);
    assert_int_equal(find(ev, n, STATION_EV_ERROR_RAISED, 0), -1); /* the meter's stays, unreported */
    finish(0);
}

static void test_ring_drops_oldest_and_counts(void **state)
{
    (void)state;
    struct station_event e;
    while (station_event_pop(&s_st, &e) == HAL_OK) {
    }
    assert_int_equal(station_events_dropped(&s_st), 0);
    /* a long session nobody reads: one measurement a second */
    plug(0);
    run((CFG_STATION_EVENTS + 10) * 1000);
    assert_true(station_events_dropped(&s_st) >= 10);
    /* what is left is the newest, in order */
    uint32_t last = 0;
    int n = 0;
    while (station_event_pop(&s_st, &e) == HAL_OK) {
        assert_true(e.time_ms >= last);
        last = e.time_ms;
        n++;
    }
    assert_int_equal(n, CFG_STATION_EVENTS);
    assert_true(last + 1000 >= s_now);
    finish(0);
}

/* A fault held at start-up (a contactor reads closed after a power cycle) keeps an idle
 * connector Faulted, not Available, until the operator reset clears it. */
static void test_held_fault_is_faulted(void **state)
{
    (void)state;
    s_now = 0;
    sched_init(&s_sched);
    fake_pilot_init(&s_cp[0].pilot);
    fake_power_init(&s_cp[0].power);
    fake_log_init(&s_cp[0].log);
    s_cp[0].power.fb_pos = true; /* welded while the charger was off */
    s_cp[0].power.weld_pos = true;
    struct charger_config cfg;
    charger_default_config(&cfg);
    struct charger_ports ports = {.pilot = &s_cp[0].pilot.base, .gpio = &s_cp[0].power.gpio,
                                  .psu = &s_cp[0].power.psu, .log = &s_cp[0].log.base};
    assert_int_equal(charger_init(&s_cp[0].charger, &cfg, &ports, &s_sched, 0), HAL_OK);
    cp_init(&s_cp[1], "cp1");
    struct station_config scfg;
    station_default_config(&scfg);
    struct charger *conns[2] = {&s_cp[0].charger, &s_cp[1].charger};
    assert_int_equal(station_init(&s_st, &scfg, conns, 2, &s_sched, 0), HAL_OK);
    run(100);
    assert_non_null(charger_held_fault(&s_cp[0].charger));
    assert_int_equal(station_status(&s_st, 0), STATION_FAULTED);
    assert_int_equal(station_status(&s_st, 1), STATION_AVAILABLE);
    assert_int_equal(station_unlock(&s_st, 0), HAL_ESTATE); /* reset first */
    assert_int_equal(station_reset_fault(&s_st, 0, NULL), HAL_ESTATE); /* still welded */
    s_cp[0].power.weld_pos = false;
    run(100);
    assert_int_equal(station_reset_fault(&s_st, 0, NULL), HAL_OK);
    run(100);
    assert_null(charger_held_fault(&s_cp[0].charger));
    assert_int_equal(station_status(&s_st, 0), STATION_AVAILABLE);
}

static void test_init_checks(void **state)
{
    (void)state;
    struct station st;
    struct station_config cfg;
    station_default_config(&cfg);
    struct charger *none[2] = {&s_cp[0].charger, NULL};
    assert_int_equal(station_init(&st, &cfg, none, 2, &s_sched, 0), HAL_EINVAL);
    assert_int_equal(station_init(&st, &cfg, none, 0, &s_sched, 0), HAL_EINVAL);
    assert_int_equal(station_init(&st, &cfg, none, CFG_STATION_CONNECTORS + 1, &s_sched, 0), HAL_EINVAL);
    assert_string_equal(station_status_name(STATION_SUSPENDED_EVSE), "SuspendedEVSE");
    assert_string_equal(station_status_name(STATION_STATUS_COUNT), "?");
    assert_string_equal(station_token_source_name(STATION_TOKEN_CONTRACT), "contract");
    assert_string_equal(station_event_kind_name(STATION_EV_EV_INFO), "ev-info");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_status_and_session_events, setup),
        cmocka_unit_test_setup(test_station_limit_is_shared, setup),
        cmocka_unit_test_setup(test_availability, setup),
        cmocka_unit_test_setup(test_commands, setup),
        cmocka_unit_test_setup(test_errors_reported_once, setup),
        cmocka_unit_test_setup(test_ring_drops_oldest_and_counts, setup),
        cmocka_unit_test(test_held_fault_is_faulted),
        cmocka_unit_test_setup(test_init_checks, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
