/* Unit tests of two parts of the simulator board (board/sim): the virtual clock (the world
 * stepped once per simulated ms, the idle ended early by I/O) and the station wiring (the
 * connectors handed to a station whose events reach the log, nothing while the firmware is
 * off after a power loss), on a pilot-level connector with a fake pilot and power path. */
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
#include "sim_clock.h"
#include "sim_station.h"

/* ---------------------------------------------------------------- clock */

static uint32_t s_steps, s_last_step, s_io_at;

static bool world(void *ctx, uint32_t now_ms)
{
    (void)ctx;
    s_steps++;
    assert_int_equal(now_ms, s_last_step + 1u); /* one call per ms, none skipped */
    s_last_step = now_ms;
    return s_io_at != 0 && now_ms == s_io_at;
}

static void test_clock_steps_the_world_every_ms(void **state)
{
    (void)state;
    struct sim_clock c;
    s_steps = s_last_step = s_io_at = 0;
    sim_clock_init(&c, false, world, NULL);
    assert_int_equal(hal_clock_idle(&c.base, 25), HAL_ETIMEDOUT);
    assert_int_equal(hal_clock_now_ms(&c.base), 25);
    assert_int_equal(s_steps, 25);
    /* a due task (0 ms to wait) still moves virtual time by one ms */
    assert_int_equal(hal_clock_idle(&c.base, 0), HAL_ETIMEDOUT);
    assert_int_equal(hal_clock_now_ms(&c.base), 26);
    int64_t unix_ms = 0;
    assert_int_equal(c.base.ops->wall(&c.base, &unix_ms), HAL_OK);
    assert_true(unix_ms == SIM_EPOCH_MS + 26);
}

static void test_clock_io_ends_the_idle(void **state)
{
    (void)state;
    struct sim_clock c;
    s_steps = s_last_step = 0;
    s_io_at = 7;
    sim_clock_init(&c, false, world, NULL);
    assert_int_equal(hal_clock_idle(&c.base, 100), HAL_OK);
    assert_int_equal(hal_clock_now_ms(&c.base), 7);
    assert_int_equal(s_steps, 7);
}

/* ---------------------------------------------------------------- station */

static struct fake_pilot s_pilot;
static struct fake_power s_power;
static struct fake_log s_clog, s_slog;
static struct charger s_charger;
static struct sched s_sched;
static struct sim_station s_ss;
static uint32_t s_now;

static void run(uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i++) {
        s_now++;
        fake_power_tick(&s_power, s_now);
        sched_run(&s_sched, s_now, false);
        sim_station_pass(&s_ss, s_now); /* after the firmware's pass, as the board does */
    }
}

static void start(uint32_t limit_w)
{
    struct charger_config cfg;
    s_now = 0;
    sched_init(&s_sched);
    fake_pilot_init(&s_pilot);
    fake_power_init(&s_power);
    fake_log_init(&s_clog);
    fake_log_init(&s_slog);
    charger_default_config(&cfg);
    snprintf(cfg.name, sizeof cfg.name, "cp0");
    cfg.max_power_w = 50000;
    struct charger_ports ports = {
        .pilot = &s_pilot.base, .gpio = &s_power.gpio, .psu = &s_power.psu, .log = &s_clog.base};
    assert_int_equal(charger_init(&s_charger, &cfg, &ports, &s_sched, s_now), HAL_OK);
    struct charger *conns[1] = {&s_charger};
    assert_int_equal(sim_station_start(&s_ss, conns, 1, limit_w, &s_slog.base, s_now), HAL_OK);
    run(100);
}

/* Count from now the log lines holding @p text (fake_log's watch). */
static void watch(const char *text)
{
    s_slog.watch = text;
    s_slog.watched = 0;
}

static void test_station_events_reach_the_log(void **state)
{
    (void)state;
    start(0);
    watch("[cp0] station: status Available -> Preparing");
    pilot_ev_plug(&s_pilot.ev, true);
    run(300);
    assert_int_equal(s_slog.watched, 1);
    watch("[cp0] station: session 1 stopped: stop=");
    pilot_ev_plug(&s_pilot.ev, false);
    run(500);
    assert_int_equal(s_slog.watched, 1);
    assert_int_equal(station_status(&s_ss.st, 0), STATION_AVAILABLE);
}

static void test_station_limit_in_the_log(void **state)
{
    (void)state;
    start(20000);
    watch("limit 20000 W");
    pilot_ev_plug(&s_pilot.ev, true);
    run(300);
    assert_true(s_slog.watched >= 1);
    assert_int_equal(station_connector_limit_w(&s_ss.st, 0), 20000);
}

static void test_station_silent_while_powered_off(void **state)
{
    (void)state;
    start(0);
    sim_station_stop(&s_ss);
    unsigned before = s_slog.count;
    pilot_ev_plug(&s_pilot.ev, true);
    run(300);
    assert_int_equal(s_slog.count, before); /* the firmware is off: no station pass */
    /* power back: a new station over the connector takes its state as it finds it (no
     * event for the plug-in it did not see) and reports what happens from then on */
    struct charger *conns[1] = {&s_charger};
    assert_int_equal(sim_station_start(&s_ss, conns, 1, 0, &s_slog.base, s_now), HAL_OK);
    watch("[cp0] station: status ");
    run(10);
    assert_int_equal(s_slog.watched, 0);
    assert_true(s_slog.count > before); /* but it runs: its EV information is new to it */
    watch("[cp0] station: session 1 stopped: stop=");
    pilot_ev_plug(&s_pilot.ev, false);
    run(500);
    assert_int_equal(s_slog.watched, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_steps_the_world_every_ms),
        cmocka_unit_test(test_clock_io_ends_the_idle),
        cmocka_unit_test(test_station_events_reach_the_log),
        cmocka_unit_test(test_station_limit_in_the_log),
        cmocka_unit_test(test_station_silent_while_powered_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
