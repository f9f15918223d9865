/* Unit tests of the Linux board's station wiring without the OS: the control socket's
 * commands (commands.c) on a pilot-level connector with a fake pilot and power path, held
 * by a real station, judged on the replies, the connector's state and the setpoint the
 * power stage was given; and the station's events as log lines (events.c). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "events.h"
#include "fake_log.h"
#include "fake_pilot.h"
#include "fake_power.h"
#include "station.h"

static struct fake_pilot s_pilot;
static struct fake_power s_power;
static struct fake_log s_log;
static struct charger s_charger;
static struct sched s_sched;
static struct station s_st;
static struct board_commands s_cmds;
static uint32_t s_now;
static char s_reply[160];

/* A log that keeps every line, for the event log's order and content. */
struct capture_log {
    struct hal_log base;
    char text[16384];
    size_t len;
};
static struct capture_log s_events_log;

static void capture_write(struct hal_log *base, enum hal_log_level level, uint32_t now_ms, const char *line)
{
    struct capture_log *l = (struct capture_log *)base;
    (void)now_ms;
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%s %s\n", hal_log_level_name(level), line);
    if (n > 0 && (size_t)n < sizeof l->text - l->len) {
        l->len += (size_t)n;
    }
}

static const struct hal_log_ops s_capture_ops = {.write = capture_write};

/* @p a is logged, and before @p b when @p b is given */
static bool logged_before(const char *a, const char *b)
{
    const char *pa = strstr(s_events_log.text, a);
    if (pa == NULL) {
        return false;
    }
    return b == NULL || (strstr(pa, b) != NULL);
}

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        s_now++;
        fake_power_tick(&s_power, s_now);
        sched_run(&s_sched, s_now, false);
    }
}

static int setup(void **state)
{
    (void)state;
    s_now = 0;
    sched_init(&s_sched);
    fake_pilot_init(&s_pilot);
    fake_power_init(&s_power);
    fake_log_init(&s_log);
    struct charger_config cfg;
    charger_default_config(&cfg);
    struct charger_ports ports = {
        .pilot = &s_pilot.base, .gpio = &s_power.gpio, .psu = &s_power.psu, .log = &s_log.base};
    assert_int_equal(charger_init(&s_charger, &cfg, &ports, &s_sched, s_now), HAL_OK);
    struct station_config sc;
    station_default_config(&sc);
    struct charger *conns[1] = {&s_charger};
    assert_int_equal(station_init(&s_st, &sc, conns, 1, &s_sched, s_now), HAL_OK);
    /* a configured station current limit of 125 A, which `limit W` must keep */
    board_commands_init(&s_cmds, &s_st, &s_charger, 125000, 0);
    run(100);
    return 0;
}

static int cmd(const char *line)
{
    return board_commands_execute(&s_cmds, line, s_reply, sizeof s_reply);
}

static void plug(void)
{
    pilot_ev_plug(&s_pilot.ev, true);
    run(100);
    assert_int_equal(pilot_ev_set_s2(&s_pilot.ev, true), HAL_OK);
    run(300);
}

static void unplug(void)
{
    (void)pilot_ev_set_s2(&s_pilot.ev, false);
    run(500);
    pilot_ev_plug(&s_pilot.ev, false);
    run(300);
}

static void test_status_fields_then_ocpp(void **state)
{
    (void)state;
    assert_int_equal(cmd("status"), 0);
    assert_string_equal(s_reply, "ok state=idle held=none status=Available");
    plug();
    assert_int_equal(cmd("status"), 0);
    assert_string_equal(s_reply, "ok state=charging held=none status=Charging");
}

static void test_bad_arguments_refused_with_reason(void **state)
{
    (void)state;
    static const char *const bad[] = {"limit",          "limit abc",        "limit -5",
                                      "limit 12x",      "limit 4000000001", "limit-connector 99999999999",
                                      "authorize",      "authorize T nfc",  "authorize 01234567890123456789",
                                      "unavailable soon", "stop now",       "status please",
                                      "a b c d e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cmd(bad[i]), 1);
        assert_true(strncmp(s_reply, "refused: bad argument: ", 23) == 0);
    }
    assert_int_equal(cmd("reboot"), 2);
    assert_true(strncmp(s_reply, "error: unknown command", 22) == 0);
    assert_int_equal(cmd(""), 2);
    /* nothing changed */
    assert_int_equal(station_status(&s_st, 0), STATION_AVAILABLE);
}

static void test_stop_ends_session_with_reason_local(void **state)
{
    (void)state;
    assert_int_equal(cmd("stop"), 1);
    assert_string_equal(s_reply, "refused: not in this state");
    plug();
    assert_int_equal(charger_state(&s_charger), CHARGER_CHARGING);
    assert_int_equal(cmd("stop"), 0);
    assert_string_equal(s_reply, "ok stop: requested");
    run(1000);
    assert_int_not_equal(charger_state(&s_charger), CHARGER_CHARGING);
    unplug();
    assert_int_equal(charger_history_count(&s_charger), 1);
    assert_int_equal(charger_history(&s_charger, 0)->stop, CHARGER_STOP_LOCAL);
    assert_int_equal(s_power.breach_open_under_load, 0);
}

static void test_limit_lowers_setpoint_and_none_restores(void **state)
{
    (void)state;
    plug();
    assert_int_equal(s_power.set_ma, 10000); /* the pilot-level export: 400 V, 10 A */
    assert_int_equal(cmd("limit 2000"), 0);
    assert_string_equal(s_reply, "ok limit: 2000 W");
    run(50);
    assert_int_equal(s_power.set_ma, 5000); /* 2000 W at 400 V */
    assert_int_equal(cmd("limit-connector 1200"), 0);
    assert_string_equal(s_reply, "ok limit-connector: 1200 W");
    run(50);
    assert_int_equal(s_power.set_ma, 3000);
    assert_int_equal(cmd("limit-connector none"), 0);
    assert_int_equal(cmd("limit none"), 0);
    assert_string_equal(s_reply, "ok limit: none");
    run(50);
    assert_int_equal(s_power.set_ma, 10000);
    /* 0 gives nothing: the station reports SuspendedEVSE */
    assert_int_equal(cmd("limit 0"), 0);
    run(50);
    assert_int_equal(s_power.set_ma, 0);
    assert_int_equal(cmd("status"), 0);
    assert_string_equal(s_reply, "ok state=charging held=none status=SuspendedEVSE");
}

static void test_unavailable_keeps_car_out_available_lets_it_in(void **state)
{
    (void)state;
    assert_int_equal(cmd("unavailable"), 0);
    assert_string_equal(s_reply, "ok unavailable");
    run(10);
    assert_int_equal(station_status(&s_st, 0), STATION_UNAVAILABLE);
    assert_int_equal(cmd("authorize CARD1 rfid"), 1);
    assert_string_equal(s_reply, "refused: not in this state");
    plug();
    assert_int_equal(charger_state(&s_charger), CHARGER_IDLE);
    assert_int_equal(charger_stats(&s_charger)->sessions, 0);
    assert_int_equal(cmd("available"), 0);
    run(400);
    assert_int_equal(charger_state(&s_charger), CHARGER_CHARGING);
    /* after-session: the session goes on, the connector is unavailable once it ends */
    assert_int_equal(cmd("unavailable after-session"), 0);
    assert_string_equal(s_reply, "ok unavailable: after the session");
    run(100);
    assert_int_equal(charger_state(&s_charger), CHARGER_CHARGING);
    unplug();
    assert_int_equal(station_status(&s_st, 0), STATION_UNAVAILABLE);
}

static void test_authorize_and_unlock(void **state)
{
    (void)state;
    assert_int_equal(cmd("authorize CARD1 rfid"), 0);
    assert_string_equal(s_reply, "ok authorize: CARD1 (rfid)");
    assert_int_equal(cmd("authorize CARD2"), 0);
    assert_string_equal(s_reply, "ok authorize: CARD2 (local)");
    plug();
    /* a pilot-level session is authorised by the token given before: a second is refused */
    assert_int_equal(cmd("authorize CARD3 backend"), 1);
    assert_int_equal(cmd("unlock"), 0);
    assert_string_equal(s_reply, "ok unlock");
    run(1000);
    assert_int_equal(charger_state(&s_charger), CHARGER_FINISHED);
    assert_int_equal(s_power.breach_unlock_while_closed, 0);
}

static void test_reset_nothing_held(void **state)
{
    (void)state;
    assert_int_equal(cmd("reset"), 0);
    assert_string_equal(s_reply, "ok reset: nothing to reset");
}

static void test_reasons_from_hal_codes(void **state)
{
    (void)state;
    assert_string_equal(board_commands_reason(HAL_ESTATE), "not in this state");
    assert_string_equal(board_commands_reason(HAL_ENOTSUP), "not supported by the protocol");
    assert_string_equal(board_commands_reason(HAL_EINVAL), "bad argument");
}

static void test_event_lines(void **state)
{
    (void)state;
    char line[160];
    struct station_event e;
    memset(&e, 0, sizeof e);
    e.kind = STATION_EV_STATUS;
    e.u.status.from = STATION_PREPARING;
    e.u.status.to = STATION_SUSPENDED_EVSE;
    assert_int_equal(board_event_text(&e, "cp0", line, sizeof line), HAL_LOG_INFO);
    assert_string_equal(line, "station: cp0 status Preparing -> SuspendedEVSE");

    memset(&e, 0, sizeof e);
    e.kind = STATION_EV_SESSION_STOPPED;
    e.u.stopped.record.number = 3;
    e.u.stopped.record.stop = CHARGER_STOP_LOCAL;
    e.u.stopped.record.energy_wh = 1234;
    e.u.stopped.record.charge_ms = 61500;
    e.u.stopped.record.soc_start = 20;
    e.u.stopped.record.soc_end = 64;
    strcpy(e.u.stopped.token, "CARD1");
    assert_int_equal(board_event_text(&e, "left", line, sizeof line), HAL_LOG_INFO);
    assert_string_equal(line, "station: left session 3 stopped: stop=local energy_wh=1234 charge_s=61.5 "
                              "soc=20->64 token=CARD1");

    memset(&e, 0, sizeof e);
    e.kind = STATION_EV_MEASUREMENT;
    e.u.meas.voltage_mv = 400000;
    e.u.meas.current_ma = 5000;
    e.u.meas.power_w = 2000;
    e.u.meas.energy_wh = 7;
    e.u.meas.soc = -1;
    e.u.meas.limit_w = 2000;
    assert_int_equal(board_event_text(&e, "cp0", line, sizeof line), HAL_LOG_DEBUG);
    assert_string_equal(line, "station: cp0 measured 400.0 V 5.0 A 2000 W energy_wh=7 soc=-1 limit_w=2000");

    memset(&e, 0, sizeof e);
    e.kind = STATION_EV_ERROR_RAISED;
    e.u.error.source = ERRORS_SRC_POWER_PATH;
    e.u.error.code = 4;
    e.u.error.severity = ERRORS_SEV_HIGH;
    e.u.error.text = "contactor welded";
    assert_int_equal(board_event_text(&e, "cp0", line, sizeof line), HAL_LOG_WARN);
    assert_string_equal(line, "station: cp0 error raised: power-path 4 high: contactor welded");
    e.kind = STATION_EV_ERROR_CLEARED;
    assert_int_equal(board_event_text(&e, "cp0", line, sizeof line), HAL_LOG_INFO);
    assert_string_equal(line, "station: cp0 error cleared: power-path 4");

    memset(&e, 0, sizeof e);
    e.kind = STATION_EV_EV_INFO;
    e.u.ev.protocol = "din";
    e.u.ev.soc = 30;
    e.u.ev.max_voltage_mv = 500000;
    e.u.ev.max_current_ma = 200000;
    e.u.ev.max_power_w = 100000;
    strcpy(e.u.ev.evccid, "0A1B2C3D4E5F");
    assert_int_equal(board_event_text(&e, "cp0", line, sizeof line), HAL_LOG_INFO);
    assert_string_equal(line, "station: cp0 EV: protocol=din soc=30 max_v=500 max_a=200 max_w=100000 "
                              "evccid=0A1B2C3D4E5F");
}

/* A whole session read from the station's ring into the log, in order, at its levels. */
static void test_events_drained_into_log(void **state)
{
    (void)state;
    memset(&s_events_log, 0, sizeof s_events_log);
    s_events_log.base.ops = &s_capture_ops;
    s_events_log.base.min_level = HAL_LOG_DEBUG;
    struct board_events ev;
    assert_int_equal(board_events_init(&ev, &s_st, &s_events_log.base, "cp0", &s_sched, s_now), HAL_OK);
    plug();
    run(100);
    assert_true(logged_before("INFO station: cp0 status Available -> Preparing",
                              "INFO station: cp0 status Preparing -> Charging"));
    assert_int_equal(cmd("stop"), 0);
    run(1000);
    unplug();
    board_events_drain(&ev, s_now);
    assert_true(logged_before("INFO station: cp0 session 1 started, token none", NULL));
    assert_true(logged_before("DEBUG station: cp0 measured ", NULL));
    assert_true(logged_before("INFO station: cp0 status Preparing -> Charging",
                              "INFO station: cp0 status Charging -> Finishing"));
    assert_true(logged_before("INFO station: cp0 status Charging -> Finishing",
                              "INFO station: cp0 session 1 stopped: stop=local"));
    assert_true(logged_before("INFO station: cp0 status Finishing -> Available", NULL));
    assert_false(logged_before("events dropped", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_status_fields_then_ocpp, setup),
        cmocka_unit_test_setup(test_bad_arguments_refused_with_reason, setup),
        cmocka_unit_test_setup(test_stop_ends_session_with_reason_local, setup),
        cmocka_unit_test_setup(test_limit_lowers_setpoint_and_none_restores, setup),
        cmocka_unit_test_setup(test_unavailable_keeps_car_out_available_lets_it_in, setup),
        cmocka_unit_test_setup(test_authorize_and_unlock, setup),
        cmocka_unit_test_setup(test_reset_nothing_held, setup),
        cmocka_unit_test(test_reasons_from_hal_codes),
        cmocka_unit_test(test_event_lines),
        cmocka_unit_test_setup(test_events_drained_into_log, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
