/* Unit tests of the Charge SOM safety controller's own rules (protocols/chargesom/
 * cbsom_device.c), and of the host (cbsom_host.c) talking to it back to back through two
 * fake UARTs: the handshake, the gate (contactors only in C/D, asked, no e-stop), the
 * host falling silent (safe state within the timeout), an e-stop, a reboot, and what the
 * controller does with frames that are not ChargeControl1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_host.h"
#include "fake_serial.h"

struct pair {
    struct fake_serial hs, ds; /* the host's and the device's UART */
    struct cbsom_host h;
    struct cbsom_device d;
    uint32_t now;
    bool host_alive;
};

/* The wire: what one side wrote arrives at the other. */
static void pump(struct pair *p)
{
    if (p->host_alive) {
        (void)fake_serial_arrive(&p->ds, p->hs.tx, p->hs.tx_len);
    }
    p->hs.tx_len = 0;
    (void)fake_serial_arrive(&p->hs, p->ds.tx, p->ds.tx_len);
    p->ds.tx_len = 0;
}

static void run(struct pair *p, uint32_t ms)
{
    for (uint32_t t = 0; t < ms; t += 5) {
        p->now += 5;
        if (p->host_alive) {
            cbsom_host_step(&p->h, p->now);
        }
        pump(p);
        cbsom_device_step(&p->d, p->now);
        pump(p);
    }
}

static void start(struct pair *p)
{
    memset(p, 0, sizeof *p);
    fake_serial_init(&p->hs);
    fake_serial_init(&p->ds);
    struct hal_serial_config sc = {.baud = 115200};
    assert_int_equal(hal_serial_open(&p->hs.base, &sc), HAL_OK);
    assert_int_equal(hal_serial_open(&p->ds.base, &sc), HAL_OK);
    struct cbsom_host_config hc;
    cbsom_host_default_config(&hc);
    struct cbsom_device_config dc;
    cbsom_device_default_config(&dc);
    p->now = 50;
    p->host_alive = true;
    assert_int_equal(cbsom_host_init(&p->h, &hc, &p->hs.base, p->now), HAL_OK);
    assert_int_equal(cbsom_device_init(&p->d, &dc, &p->ds.base, p->now), HAL_OK);
    run(p, 400);
    assert_int_equal(p->h.phase, CBSOM_HOST_RUNNING);
    assert_int_equal(p->d.phase, CBSOM_DEV_RUNNING);
}

static void test_back_to_back_session(void **state)
{
    (void)state;
    struct pair p;
    start(&p);
    assert_int_equal(cbsom_host_version(&p.h)->minor, 3);
    struct hal_pilot_sample s;
    assert_int_equal(hal_pilot_set_duty(&p.h.pilot, 1000), HAL_OK);
    run(&p, 250);
    assert_int_equal(hal_pilot_read(&p.h.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 12000); /* A */
    cbsom_device_set_car(&p.d, CBSOM_CP_B, true);
    assert_int_equal(hal_pilot_set_duty(&p.h.pilot, 50), HAL_OK);
    run(&p, 250);
    assert_int_equal(hal_pilot_read(&p.h.pilot, &s), HAL_OK);
    assert_int_equal(s.high_mv, 9000);
    assert_int_equal(s.low_mv, -12000);
    /* Asked in B: the controller's gate keeps them open. */
    assert_int_equal(hal_gpio_write(&p.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    assert_int_equal(hal_gpio_write(&p.h.gpio, HAL_GPIO_OUT_CONTACTOR_NEG, true), HAL_OK);
    run(&p, 250);
    assert_false(p.d.closed[0] || p.d.closed[1]);
    bool fb = true;
    assert_int_equal(hal_gpio_read(&p.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &fb), HAL_OK);
    assert_false(fb);
    /* C: closed, and the host reads it back. */
    cbsom_device_set_car(&p.d, CBSOM_CP_C, true);
    run(&p, 250);
    assert_true(p.d.closed[0] && p.d.closed[1]);
    assert_int_equal(hal_gpio_read(&p.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &fb), HAL_OK);
    assert_true(fb);
    /* The car goes back to B: the controller opens on its own. */
    cbsom_device_set_car(&p.d, CBSOM_CP_B, true);
    assert_false(p.d.closed[0]);
    /* Missing diode: reported, and the host's pilot shows it. */
    cbsom_device_set_car(&p.d, CBSOM_CP_C, false);
    run(&p, 250);
    assert_int_equal(hal_pilot_read(&p.h.pilot, &s), HAL_OK);
    assert_int_equal(s.low_mv, -6000);
    assert_int_equal(p.d.rx_other, 0);
    assert_int_equal(p.h.cnt.bad_crc + p.h.cnt.bad_frame + p.h.cnt.unknown_id, 0);
}

static void test_host_silent_then_reset(void **state)
{
    (void)state;
    struct pair p;
    start(&p);
    cbsom_device_set_car(&p.d, CBSOM_CP_C, true);
    assert_int_equal(hal_pilot_set_duty(&p.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&p.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    run(&p, 300);
    assert_true(p.d.closed[0]);
    p.host_alive = false; /* the Linux side dies (its last frame up to 100 ms before) */
    run(&p, 195);
    assert_int_equal(p.d.phase, CBSOM_DEV_RUNNING);
    run(&p, 120);
    assert_int_equal(p.d.phase, CBSOM_DEV_SAFE);
    assert_false(p.d.closed[0]);
    assert_int_equal(p.d.reason, CBSOM_REASON_COMM_TIMEOUT);
    assert_in_range(p.d.silent_ms, 300, 310);
    assert_int_equal(cbsom_device_cp(&p.d), CBSOM_CP_F);
    /* Frames again do not leave the safe state: only the reset line does. */
    p.host_alive = true;
    run(&p, 200);
    assert_int_equal(p.d.phase, CBSOM_DEV_SAFE);
    assert_false(p.d.closed[0]);
    cbsom_device_reset(&p.d, false, p.now);
    assert_int_equal(p.d.phase, CBSOM_DEV_INIT);
}

static void test_estop_and_reboot(void **state)
{
    (void)state;
    struct pair p;
    start(&p);
    cbsom_device_set_car(&p.d, CBSOM_CP_C, true);
    assert_int_equal(hal_pilot_set_duty(&p.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&p.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    run(&p, 300);
    assert_true(p.d.closed[0]);
    cbsom_device_set_estop(&p.d, 1, true);
    assert_false(p.d.closed[0]); /* at once, before any frame */
    run(&p, 150);
    assert_int_equal(p.h.fault, CBSOM_FAULT_SAFE_STATE);
    bool e = false;
    assert_int_equal(hal_gpio_read(&p.h.gpio, HAL_GPIO_IN_ESTOP, &e), HAL_OK);
    assert_true(e);

    start(&p);
    cbsom_device_set_car(&p.d, CBSOM_CP_C, true);
    assert_int_equal(hal_pilot_set_duty(&p.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&p.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    run(&p, 300);
    assert_true(p.d.closed[0]);
    cbsom_device_reset(&p.d, true, p.now); /* reboot mid-session */
    run(&p, 1000);
    /* The host saw the gap with a contactor asked for, and asks for nothing since. */
    assert_int_equal(p.h.fault, CBSOM_FAULT_SILENT);
    assert_false(p.d.closed[0]);
}

static void test_device_ignores_other_frames(void **state)
{
    (void)state;
    struct fake_serial ds;
    struct cbsom_device d;
    struct cbsom_device_config dc;
    fake_serial_init(&ds);
    struct hal_serial_config sc = {.baud = 115200};
    assert_int_equal(hal_serial_open(&ds.base, &sc), HAL_OK);
    cbsom_device_default_config(&dc);
    assert_int_equal(cbsom_device_init(&d, &dc, &ds.base, 0), HAL_OK);
    /* A ChargeState1 (our own kind) and a control frame with reserved bits: not obeyed,
     * the controller stays in init, silent. */
    struct cbsom_frame f;
    uint8_t b[12];
    struct cbsom_state st = {.cp = CBSOM_CP_C};
    cbsom_state_encode(&st, &f);
    cbsom_frame_encode(&f, b);
    fake_serial_arrive(&ds, b, 12);
    cbsom_control_encode(&(struct cbsom_control){.pwm_active = true, .duty = 50, .contactor = {true}}, &f);
    f.payload[7] = 0x80;
    cbsom_frame_encode(&f, b);
    fake_serial_arrive(&ds, b, 12);
    cbsom_device_step(&d, 10);
    assert_int_equal(d.phase, CBSOM_DEV_INIT);
    assert_int_equal(d.rx_other, 2);
    assert_int_equal(ds.tx_len, 0);
    /* While booting it hears nothing, not even an inquiry. */
    cbsom_device_reset(&d, true, 20);
    cbsom_inquiry_encode(CBSOM_ID_FW_VERSION, &f);
    cbsom_frame_encode(&f, b);
    fake_serial_arrive(&ds, b, 12);
    cbsom_device_step(&d, 30);
    assert_int_equal(ds.tx_len, 0);
    cbsom_device_step(&d, 520);
    assert_int_equal(d.phase, CBSOM_DEV_INIT);
    fake_serial_arrive(&ds, b, 12);
    cbsom_device_step(&d, 530);
    assert_int_equal(ds.tx_len, 12); /* answered now */
    assert_int_equal(ds.tx[1], CBSOM_ID_FW_VERSION);
    assert_int_equal(cbsom_device_init(&d, &dc, NULL, 0), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_back_to_back_session),
        cmocka_unit_test(test_host_silent_then_reset),
        cmocka_unit_test(test_estop_and_reboot),
        cmocka_unit_test(test_device_ignores_other_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
