/* Unit tests of the simulated plant's verbs and the event record (protocols/chargesom/
 * cbsom_plant.c), which tools/cbsomsim and the Cortex-M co-processor image share: each verb
 * changes the controller as it says, bad lines are refused with their reason and change
 * nothing, and the event lines (the tests' judge reads them) come out once per change, in
 * the documented words. Runs on the host and on the Cortex-M4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_plant.h"
#include "fake_serial.h"

struct rig {
    struct fake_serial ds;
    struct cbsom_device d;
    struct cbsom_watch w;
    char lines[8][CBSOM_PLANT_LINE_MAX];
    unsigned n;
    uint32_t now;
};

static void collect(void *ctx, const char *line)
{
    struct rig *r = ctx;
    if (r->n < 8u) {
        (void)snprintf(r->lines[r->n], sizeof r->lines[0], "%s", line);
    }
    r->n++;
}

static void rig_start(struct rig *r)
{
    memset(r, 0, sizeof *r);
    fake_serial_init(&r->ds);
    struct hal_serial_config sc = {.baud = 115200};
    assert_int_equal(hal_serial_open(&r->ds.base, &sc), HAL_OK);
    struct cbsom_device_config dc;
    cbsom_device_default_config(&dc);
    r->now = 100;
    assert_int_equal(cbsom_device_init(&r->d, &dc, &r->ds.base, r->now), HAL_OK);
    cbsom_watch_init(&r->w, &r->d);
}

/* The host's ChargeControl1 arriving at the device. */
static void host_asks(struct rig *r, bool pwm, uint16_t duty, bool c1, bool c2)
{
    struct cbsom_control c = {.pwm_active = pwm, .duty = duty, .contactor = {c1, c2, false}};
    struct cbsom_frame f;
    uint8_t b[CBSOM_FRAME_LEN];
    cbsom_control_encode(&c, &f);
    cbsom_frame_encode(&f, b);
    assert_int_equal(fake_serial_arrive(&r->ds, b, sizeof b), sizeof b);
    r->now += 10;
    cbsom_device_step(&r->d, r->now);
}

static unsigned poll_events(struct rig *r, const char *why)
{
    r->n = 0;
    return cbsom_watch_poll(&r->w, &r->d, why, collect, r);
}

static enum cbsom_plant_result cmd(struct rig *r, const char *line, struct cbsom_plant_cmd *c)
{
    return cbsom_plant_command(&r->d, line, r->now, c);
}

static void test_car_and_estop_verbs(void **state)
{
    (void)state;
    struct rig r;
    struct cbsom_plant_cmd c;
    rig_start(&r);
    assert_int_equal(cmd(&r, "car C\r", &c), CBSOM_PLANT_DONE);
    assert_string_equal(c.reply, "car C");
    assert_int_equal(r.d.car, CBSOM_CP_C);
    assert_null(c.why);
    assert_int_equal(cmd(&r, "  diode   0 ", &c), CBSOM_PLANT_DONE);
    assert_false(r.d.diode);
    assert_string_equal(c.reply, "");
    assert_int_equal(cmd(&r, "estop 2 1", &c), CBSOM_PLANT_DONE);
    assert_string_equal(c.reply, "e-stop 2 tripped");
    assert_true(r.d.estop[1]);
    assert_int_equal(cmd(&r, "estop 2 0", &c), CBSOM_PLANT_DONE);
    assert_string_equal(c.reply, "e-stop 2 released");
    assert_false(r.d.estop[1]);
    assert_int_equal(cmd(&r, "garbage 600", &c), CBSOM_PLANT_GARBAGE);
    assert_int_equal(c.garbage, 600);
    assert_int_equal(cmd(&r, "timeout 3000", &c), CBSOM_PLANT_DONE);
    assert_int_equal(r.d.cfg.timeout_ms, 3000);
    assert_string_equal(c.reply, "host timeout 3000 ms");
    assert_int_equal(cmd(&r, "quit", &c), CBSOM_PLANT_QUIT);
    assert_int_equal(cmd(&r, "   \r", &c), CBSOM_PLANT_EMPTY);
    assert_int_equal(cmd(&r, "status", &c), CBSOM_PLANT_DONE);
    assert_non_null(strstr(c.reply, "status: init, cp E, car C, contactors open open"));
}

static void test_bad_lines_change_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "car E", "car", "car CC", "car c", "diode 2", "diode -1", "estop 0 1", "estop 4 1", "estop 1 2",
        "estop 1", "estop 1 1 1", "garbage 0", "garbage 4097", "garbage x", "garbage 1234567890",
        "timeout 49", "timeout 10001", "timeout", "timeout 300 1",
        "reboot now", "fly", "car C D E F G",
    };
    struct rig r;
    struct cbsom_plant_cmd c;
    rig_start(&r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cmd(&r, bad[i], &c), CBSOM_PLANT_BAD);
        assert_non_null(strstr(c.reply, "command"));
        assert_int_equal(r.d.car, CBSOM_CP_A);
        assert_true(r.d.diode);
        assert_false(r.d.estop[0] || r.d.estop[1] || r.d.estop[2]);
        assert_int_equal(r.d.cfg.timeout_ms, 300);
    }
    /* Unprintable bytes are not echoed as they are. */
    assert_int_equal(cmd(&r, "x\x01\x7f", &c), CBSOM_PLANT_BAD);
    assert_string_equal(c.reply, "unknown command: x??");
}

static void test_events_of_a_session(void **state)
{
    (void)state;
    struct rig r;
    struct cbsom_plant_cmd c;
    rig_start(&r);
    assert_int_equal(poll_events(&r, NULL), 0);
    host_asks(&r, true, 1000, false, false);
    assert_int_equal(poll_events(&r, NULL), 2);
    assert_string_equal(r.lines[0], "running (first ChargeControl1)");
    assert_string_equal(r.lines[1], "pilot on duty 1000");
    assert_int_equal(poll_events(&r, NULL), 0); /* once per change */

    /* In B the gate keeps the contactors open even when asked. */
    (void)cmd(&r, "car B", &c);
    host_asks(&r, true, 50, true, true);
    assert_false(r.d.closed[0]);
    assert_int_equal(poll_events(&r, NULL), 1);
    assert_string_equal(r.lines[0], "pilot on duty 50");

    (void)cmd(&r, "car C", &c);
    host_asks(&r, true, 50, true, true);
    assert_int_equal(poll_events(&r, NULL), 2);
    assert_string_equal(r.lines[0], "contactor 1 closed (cp C)");
    assert_string_equal(r.lines[1], "contactor 2 closed (cp C)");

    /* The host falls silent: safe state after the timeout, contactors open. */
    r.now += 400;
    cbsom_device_step(&r.d, r.now);
    assert_int_equal(poll_events(&r, NULL), 3);
    assert_string_equal(r.lines[0], "contactor 1 open (cp F)");
    assert_string_equal(r.lines[1], "contactor 2 open (cp F)");
    assert_string_equal(r.lines[2], "safe state, reason 2, host silent for 400 ms");

    /* A reboot: the cause is named, and the way back to init reported. */
    assert_int_equal(cmd(&r, "reboot", &c), CBSOM_PLANT_DONE);
    assert_string_equal(c.reply, "reboot");
    assert_string_equal(c.why, "restart");
    assert_int_equal(r.d.phase, CBSOM_DEV_BOOT);
    (void)poll_events(&r, c.why);
    r.now += 600;
    cbsom_device_step(&r.d, r.now);
    assert_int_equal(poll_events(&r, NULL), 1);
    assert_string_equal(r.lines[0], "init (after reboot)");
}

static void test_restart_names_its_cause(void **state)
{
    (void)state;
    struct rig r;
    struct cbsom_plant_cmd c;
    rig_start(&r);
    (void)cmd(&r, "car D", &c);
    host_asks(&r, true, 50, true, false);
    (void)poll_events(&r, NULL);
    assert_true(r.d.closed[0]);
    assert_int_equal(cmd(&r, "reset", &c), CBSOM_PLANT_DONE);
    assert_int_equal(r.d.phase, CBSOM_DEV_INIT);
    assert_int_equal(poll_events(&r, c.why), 1);
    assert_string_equal(r.lines[0], "contactor 1 open (restart)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_car_and_estop_verbs),
        cmocka_unit_test(test_bad_lines_change_nothing),
        cmocka_unit_test(test_events_of_a_session),
        cmocka_unit_test(test_restart_names_its_cause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
