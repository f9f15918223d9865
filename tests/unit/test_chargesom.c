/* Unit tests of the Charge SOM UART protocol (protocols/chargesom): the CRC and the
 * golden frames of spec linux-board-io.md §3.13, the resynchronising parser under every
 * bad input of issue 20 (wrong CRC, wrong length, unknown id, stuck start byte, bytes
 * dribbled one at a time), and the host port: handshake, cyclic frame, pilot and GPIO
 * mapping, and the faults (silent co-processor, reboot mid-session, safe state, e-stop,
 * old or missing firmware version, duty not echoed), and the way out of a fault
 * (cbsom_recover: hold-off, reset pulse, restart, doubling back-off, its reset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chargesom/cbsom_frame.h"
#include "chargesom/cbsom_host.h"
#include "chargesom/cbsom_recover.h"
#include "charger.h"
#include "fake_log.h"
#include "fake_power.h"
#include "fake_serial.h"
#include "sched.h"

static const uint8_t k_cc1_hlc[12] = {0xA5, 0x06, 0x80, 0x32, 0, 0, 0, 0, 0, 0, 0xEF, 0x03};
static const uint8_t k_cc1_hlc_c12[12] = {0xA5, 0x06, 0x80, 0x32, 0x03, 0, 0, 0, 0, 0, 0x25, 0x03};
static const uint8_t k_cc1_533[12] = {0xA5, 0x06, 0x82, 0x15, 0, 0, 0, 0, 0, 0, 0xB0, 0x03};
static const uint8_t k_cc1_x1[12] = {0xA5, 0x06, 0x83, 0xE8, 0, 0, 0, 0, 0, 0, 0xA0, 0x03};
static const uint8_t k_cc1_f[12] = {0xA5, 0x06, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0x83, 0x03};
static const uint8_t k_cc1_off[12] = {0xA5, 0x06, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x3F, 0x03};
static const uint8_t k_inq_fw[12] = {0xA5, 0xFF, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0x83, 0x03};
static const uint8_t k_inq_git[12] = {0xA5, 0xFF, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0xDC, 0x03};
static const uint8_t k_cs1_c[12] = {0xA5, 0x07, 0x80, 0x32, 0x03, 0x00, 0x7A, 0x3C, 0x00, 0x00, 0x22, 0x03};
static const uint8_t k_cs1_safe[12] = {0xA5, 0x07, 0x84, 0x00, 0x06, 0x00, 0x35, 0x3D, 0x10, 0x00, 0xAB, 0x03};

static void test_crc_check_value(void **state)
{
    (void)state;
    assert_int_equal(cbsom_crc8((const uint8_t *)"123456789", 9), 0x4B);
    static const uint8_t walk[9] = {0x06, 0x80, 0x32, 0, 0, 0, 0, 0, 0};
    assert_int_equal(cbsom_crc8(walk, 9), 0xEF);
}

static void expect_control(const struct cbsom_control *c, const uint8_t golden[12])
{
    struct cbsom_frame f;
    uint8_t out[12];
    cbsom_control_encode(c, &f);
    cbsom_frame_encode(&f, out);
    assert_memory_equal(out, golden, 12);
    struct cbsom_control back;
    assert_true(cbsom_control_decode(&f, &back));
    assert_int_equal(back.pwm_active, c->pwm_active);
    assert_int_equal(back.duty, c->duty > 1000 ? 1000 : c->duty);
}

static void test_golden_control_frames(void **state)
{
    (void)state;
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 50}, k_cc1_hlc);
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 50, .contactor = {true, true}}, k_cc1_hlc_c12);
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 533}, k_cc1_533);
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 1000}, k_cc1_x1);
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 0}, k_cc1_f);
    expect_control(&(struct cbsom_control){.pwm_active = false}, k_cc1_off);
    /* Above 1000 is clamped, as the MCU and ra-utils do. */
    expect_control(&(struct cbsom_control){.pwm_active = true, .duty = 1023}, k_cc1_x1);
    struct cbsom_frame f;
    uint8_t out[12];
    cbsom_inquiry_encode(CBSOM_ID_FW_VERSION, &f);
    cbsom_frame_encode(&f, out);
    assert_memory_equal(out, k_inq_fw, 12);
    cbsom_inquiry_encode(CBSOM_ID_GIT_HASH, &f);
    cbsom_frame_encode(&f, out);
    assert_memory_equal(out, k_inq_git, 12);
    /* A control frame with reserved bits set is not one the device side obeys. */
    cbsom_control_encode(&(struct cbsom_control){.pwm_active = true, .duty = 50}, &f);
    f.payload[5] = 1;
    struct cbsom_control c;
    assert_false(cbsom_control_decode(&f, &c));
}

static bool feed_all(struct cbsom_parser *p, const uint8_t *b, size_t n, struct cbsom_frame *out, int *frames)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (cbsom_parser_feed(p, b[i], out)) {
            any = true;
            (*frames)++;
        }
    }
    return any;
}

static void test_golden_state_frames(void **state)
{
    (void)state;
    struct cbsom_parser p;
    struct cbsom_frame f;
    struct cbsom_state s;
    int n = 0;
    cbsom_parser_init(&p);
    assert_true(feed_all(&p, k_cs1_c, 12, &f, &n));
    assert_true(cbsom_state_decode(&f, &s));
    assert_true(s.pwm_active);
    assert_int_equal(s.duty, 50);
    assert_int_equal(s.cp, CBSOM_CP_C);
    assert_true(s.hv_ready);
    assert_int_equal(s.contactor[0], CBSOM_CONT_CLOSED);
    assert_int_equal(s.contactor[1], CBSOM_CONT_CLOSED);
    assert_int_equal(s.contactor[2], CBSOM_CONT_UNUSED);
    assert_int_equal(s.estop[0], CBSOM_ESTOP_OK);
    assert_int_equal(s.estop[1], CBSOM_ESTOP_UNUSED);
    assert_int_equal(s.safe_state, 0);
    /* Round trip: our encoder writes the same bytes (the simulator uses it). */
    struct cbsom_frame g;
    uint8_t out[12];
    cbsom_state_encode(&s, &g);
    cbsom_frame_encode(&g, out);
    assert_memory_equal(out, k_cs1_c, 12);

    assert_true(feed_all(&p, k_cs1_safe, 12, &f, &n));
    assert_true(cbsom_state_decode(&f, &s));
    assert_int_equal(s.safe_state, 1);
    assert_int_equal(s.cp, CBSOM_CP_F);
    assert_int_equal(s.contactor[0], CBSOM_CONT_OPEN);
    assert_int_equal(s.estop[0], CBSOM_ESTOP_TRIPPED);
    assert_int_equal(s.reason, 16);
    assert_int_equal(n, 2);
    assert_int_equal(p.bad_crc + p.bad_frame + p.skipped, 0);
}

static void test_temps_version_error(void **state)
{
    (void)state;
    struct cbsom_temps t = {.deci_c = {253, -405, 0, 0}, .used = {true, true, true, false},
                            .selftest_failed = {false, true}, .stops_charging = {false, false, true}};
    struct cbsom_frame f;
    struct cbsom_temps back;
    cbsom_temps_encode(&t, &f);
    assert_true(cbsom_temps_decode(&f, &back));
    assert_int_equal(back.deci_c[0], 253);
    assert_int_equal(back.deci_c[1], -405);
    assert_true(back.selftest_failed[1]);
    assert_true(back.stops_charging[2]);
    assert_false(back.used[3]);
    assert_true(back.used[0]);
    struct cbsom_version v = {0, 3, 1, 0x81, 3}, vb;
    cbsom_version_encode(&v, &f);
    assert_true(cbsom_version_decode(&f, &vb));
    assert_int_equal(vb.minor, 3);
    assert_int_equal(vb.platform, 0x81);
    assert_false(cbsom_temps_decode(&f, &back)); /* wrong id */
    struct cbsom_error e = {true, 7, 2, 0x1234, 0xBEEF}, eb;
    cbsom_error_encode(&e, &f);
    assert_true(cbsom_error_decode(&f, &eb));
    assert_true(eb.active);
    assert_int_equal(eb.module, 7);
    assert_int_equal(eb.reason, 2);
    assert_int_equal(eb.data2, 0xBEEF);
}

static void test_parser_bad_input(void **state)
{
    (void)state;
    struct cbsom_parser p;
    struct cbsom_frame f;
    int n = 0;
    cbsom_parser_init(&p);
    /* Wrong CRC: counted, never returned. */
    uint8_t bad[12];
    memcpy(bad, k_cs1_c, 12);
    bad[10] ^= 0x01;
    assert_false(feed_all(&p, bad, 12, &f, &n));
    assert_int_equal(p.bad_crc, 1);
    /* A corrupted payload byte: the CRC catches it too. */
    memcpy(bad, k_cs1_c, 12);
    bad[6] ^= 0x40;
    assert_false(feed_all(&p, bad, 12, &f, &n));
    assert_int_equal(p.bad_crc, 2);
    /* Wrong length: 11 bytes (one payload byte lost), then a good frame. */
    uint8_t stream[64];
    memcpy(stream, k_cs1_c, 5);
    memcpy(stream + 5, k_cs1_c + 6, 6);
    memcpy(stream + 11, k_cs1_safe, 12);
    n = 0;
    assert_true(feed_all(&p, stream, 23, &f, &n));
    assert_int_equal(n, 1);
    assert_int_equal(f.payload[6], 0x10); /* the good one, whole */
    assert_true(p.bad_frame >= 1);
    /* Too long: 13 bytes (an extra byte before EOF), then a good frame. */
    memcpy(stream, k_cs1_c, 11);
    stream[11] = 0x55;
    stream[12] = 0x03;
    memcpy(stream + 13, k_cs1_c, 12);
    n = 0;
    uint32_t before = p.bad_frame;
    assert_true(feed_all(&p, stream, 25, &f, &n));
    assert_int_equal(n, 1);
    assert_true(p.bad_frame > before);
    /* A stuck start byte: 30 x 0xA5, then a good frame. */
    memset(stream, 0xA5, 30);
    memcpy(stream + 30, k_cc1_hlc, 12);
    n = 0;
    assert_true(feed_all(&p, stream, 42, &f, &n));
    assert_int_equal(n, 1);
    assert_int_equal(f.id, CBSOM_ID_CHARGE_CONTROL1);
    assert_int_equal(f.payload[1], 0x32);
    /* 0xA5 inside a payload behind noise: the false start costs one byte only. */
    struct cbsom_frame g;
    cbsom_control_encode(&(struct cbsom_control){.pwm_active = true, .duty = 0xA5}, &g);
    uint8_t w[12];
    cbsom_frame_encode(&g, w);
    stream[0] = 0x00;
    stream[1] = 0xA5;
    stream[2] = 0x06;
    memcpy(stream + 3, w, 12);
    n = 0;
    assert_true(feed_all(&p, stream, 15, &f, &n));
    assert_int_equal(n, 1);
    assert_int_equal(f.payload[1], 0xA5);
    /* Pure noise never yields a frame. */
    cbsom_parser_init(&p);
    uint32_t x = 12345;
    n = 0;
    for (int i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        uint8_t b = (uint8_t)(x >> 16);
        if (b == CBSOM_EOF) {
            b = 0x04; /* no EOF: no frame can close, whatever the CRC */
        }
        (void)feed_all(&p, &b, 1, &f, &n);
    }
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ host */

struct rig {
    struct fake_serial ser;
    struct cbsom_host h;
    uint32_t now;
};

static void rig_send(struct rig *r, const struct cbsom_frame *f)
{
    uint8_t b[12];
    cbsom_frame_encode(f, b);
    assert_int_equal(fake_serial_arrive(&r->ser, b, 12), 12);
}

static void rig_state(struct rig *r, const struct cbsom_state *s)
{
    struct cbsom_frame f;
    cbsom_state_encode(s, &f);
    rig_send(r, &f);
}

static void rig_run(struct rig *r, uint32_t ms)
{
    for (uint32_t i = 0; i < ms; i += 5) {
        r->now += 5;
        cbsom_host_step(&r->h, r->now);
    }
}

/* The last control frame the host wrote, decoded. */
static struct cbsom_control rig_last_control(struct rig *r)
{
    struct cbsom_parser p;
    struct cbsom_frame f, last = {0};
    bool have = false;
    cbsom_parser_init(&p);
    for (size_t i = 0; i < r->ser.tx_len; i++) {
        if (cbsom_parser_feed(&p, r->ser.tx[i], &f) && f.id == CBSOM_ID_CHARGE_CONTROL1) {
            last = f;
            have = true;
        }
    }
    assert_true(have);
    assert_int_equal(p.bad_crc + p.bad_frame + p.skipped, 0);
    struct cbsom_control c;
    assert_true(cbsom_control_decode(&last, &c));
    return c;
}

static void rig_start(struct rig *r, uint8_t minor)
{
    memset(r, 0, sizeof *r);
    fake_serial_init(&r->ser);
    struct hal_serial_config sc = {.baud = 115200};
    assert_int_equal(hal_serial_open(&r->ser.base, &sc), HAL_OK);
    struct cbsom_host_config cfg;
    cbsom_host_default_config(&cfg);
    r->now = 1000;
    assert_int_equal(cbsom_host_init(&r->h, &cfg, &r->ser.base, r->now), HAL_OK);
    rig_run(r, 295);
    assert_int_equal(r->ser.tx_len, 0); /* silent while the MCU boots */
    rig_run(r, 10);
    assert_int_equal(r->h.phase, CBSOM_HOST_INQUIRE);
    assert_int_equal(r->ser.tx_len, 12);
    assert_memory_equal(r->ser.tx, k_inq_fw, 12);
    r->ser.tx_len = 0;
    struct cbsom_frame f;
    cbsom_version_encode(&(struct cbsom_version){0, minor, 1, 0x81, 3}, &f);
    rig_send(r, &f);
    rig_run(r, 5);
}

static void rig_running(struct rig *r)
{
    rig_start(r, 3);
    assert_int_equal(r->h.phase, CBSOM_HOST_RUNNING);
    /* The first frame at once: pilot not driven, nothing requested. */
    assert_int_equal(r->ser.tx_len, 12);
    assert_memory_equal(r->ser.tx, k_cc1_off, 12);
    r->ser.tx_len = 0;
}

static struct cbsom_state st_of(enum cbsom_cp cp, uint16_t duty, bool c1, bool c2)
{
    struct cbsom_state s = {.pwm_active = true, .duty = duty, .cp = cp, .hv_ready = cp == CBSOM_CP_C,
                            .contactor = {c1 ? CBSOM_CONT_CLOSED : CBSOM_CONT_OPEN,
                                          c2 ? CBSOM_CONT_CLOSED : CBSOM_CONT_OPEN, CBSOM_CONT_UNUSED},
                            .estop = {CBSOM_ESTOP_OK, CBSOM_ESTOP_UNUSED, CBSOM_ESTOP_UNUSED}};
    return s;
}

static void test_host_handshake_and_cycle(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    struct hal_pilot_sample ps;
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_EAGAIN); /* no state yet */
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    rig_run(&r, 5);
    assert_int_equal(r.ser.tx_len, 12); /* at once on change */
    assert_memory_equal(r.ser.tx, k_cc1_hlc, 12);
    /* Cyclic: about every 100 ms with the same content. */
    r.ser.tx_len = 0;
    for (int i = 0; i < 10; i++) {
        struct cbsom_state s = st_of(CBSOM_CP_B, 50, false, false);
        rig_state(&r, &s);
        rig_run(&r, 100);
    }
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    assert_in_range(r.ser.tx_len / 12, 9, 11);
    assert_memory_equal(r.ser.tx, k_cc1_hlc, 12);
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 9000);
    assert_int_equal(ps.low_mv, -12000);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 1001), HAL_EINVAL);
    uint32_t ohms;
    assert_int_equal(hal_pilot_read_proximity(&r.h.pilot, &ohms), HAL_ENOTSUP);
    /* Temperatures pass through. */
    struct cbsom_frame f;
    cbsom_temps_encode(&(struct cbsom_temps){.deci_c = {312}, .used = {true}}, &f);
    rig_send(&r, &f);
    rig_run(&r, 5);
    assert_non_null(cbsom_host_temps(&r.h));
    assert_int_equal(cbsom_host_temps(&r.h)->deci_c[0], 312);
    assert_int_equal(r.h.cnt.bad_crc + r.h.cnt.bad_frame + r.h.cnt.unknown_id, 0);
}

static void test_host_pilot_mapping(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    struct hal_pilot_sample ps;
    struct cbsom_state s = st_of(CBSOM_CP_C, 50, false, false);
    s.diode_fault = true;
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 6000);
    assert_int_equal(ps.low_mv, -6000); /* missing diode: CP- = -CP+ */
    s = st_of(CBSOM_CP_A, 1000, false, false);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 1000), HAL_OK);
    rig_run(&r, 5);
    /* Until the MCU reports the new duty, its CP state belongs to the old output. */
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_EAGAIN);
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 12000);
    assert_int_equal(ps.low_mv, 12000); /* X1: no PWM, one plateau */
    s.cp_short = true;
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 0); /* short: E */
    s = st_of(CBSOM_CP_INVALID, 1000, false, false);
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_EIO);
}

static void test_host_ignores_bad_frames(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    struct cbsom_state s = st_of(CBSOM_CP_B, 50, false, false);
    rig_state(&r, &s);
    rig_run(&r, 5);
    /* Each kind of bad frame claims state C with both contactors closed: none is believed. */
    struct cbsom_state lie = st_of(CBSOM_CP_C, 50, true, true);
    struct cbsom_frame f;
    uint8_t b[12];
    cbsom_state_encode(&lie, &f);
    cbsom_frame_encode(&f, b);
    b[10] ^= 0xFF; /* wrong CRC */
    fake_serial_arrive(&r.ser, b, 12);
    cbsom_frame_encode(&f, b);
    fake_serial_arrive(&r.ser, b, 11); /* wrong length (EOF lost) */
    f.id = 0x33; /* unknown id, right CRC */
    rig_send(&r, &f);
    f.id = CBSOM_ID_CHARGE_STATE1;
    f.payload[0] = 0x83; /* duty 0x3FF: impossible */
    f.payload[1] = 0xFF;
    rig_send(&r, &f);
    rig_run(&r, 20);
    bool fb = true;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &fb), HAL_OK);
    assert_false(fb);
    struct hal_pilot_sample ps;
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 9000);
    assert_int_equal(r.h.cnt.bad_crc, 1);
    assert_true(r.h.cnt.bad_frame >= 1);
    assert_int_equal(r.h.cnt.unknown_id, 1);
    assert_int_equal(r.h.cnt.bad_signal, 1);
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    /* Bytes dribbled one per pass: the frame still arrives whole. */
    s = st_of(CBSOM_CP_C, 50, false, false);
    cbsom_state_encode(&s, &f);
    cbsom_frame_encode(&f, b);
    for (int i = 0; i < 12; i++) {
        fake_serial_arrive(&r.ser, &b[i], 1);
        rig_run(&r, 5);
    }
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 6000);
}

static void test_host_contactors_and_reboot(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_NEG, true), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_LOCK, true), HAL_OK);
    rig_run(&r, 5);
    assert_memory_equal(&r.ser.tx[r.ser.tx_len - 12], k_cc1_hlc_c12, 12);
    struct cbsom_state s = st_of(CBSOM_CP_C, 50, true, true);
    rig_state(&r, &s);
    rig_run(&r, 5);
    bool pos = false, neg = false, lock = false, estop = true;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &pos), HAL_OK);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_NEG_FB, &neg), HAL_OK);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_LOCK_FB, &lock), HAL_OK);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_ESTOP, &estop), HAL_OK);
    assert_true(pos && neg && lock);
    assert_false(estop);
    /* The co-processor reboots: 300 ms of silence (shorter than the timeout), then it
     * reports from init: pilot off, contactors open. */
    rig_run(&r, 300);
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    s = st_of(CBSOM_CP_E, 0, false, false);
    s.pwm_active = false;
    rig_state(&r, &s);
    r.ser.tx_len = 0;
    rig_run(&r, 5);
    assert_int_equal(r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(r.h.fault, CBSOM_FAULT_CONTACTOR_LOST);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &pos), HAL_EIO);
    struct hal_pilot_sample ps;
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_EIO);
    struct cbsom_control c = rig_last_control(&r);
    assert_false(c.contactor[0] || c.contactor[1] || c.contactor[2]);
    /* Closing into the fault is refused; opening is taken. */
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_EIO);
    rig_run(&r, 200);
    c = rig_last_control(&r);
    assert_false(c.contactor[0]);
    /* A deliberate restart clears it and runs the handshake again. */
    cbsom_host_restart(&r.h, r.now);
    assert_int_equal(r.h.phase, CBSOM_HOST_STARTUP);
    assert_int_equal(r.h.fault, CBSOM_FAULT_NONE);
}

/* The car goes C -> B: the co-processor's gate opens the contactors. That is its
 * documented behaviour, not a lost contactor: the host keeps running and reports the
 * feedback open; a drop with the car still in C is a fault. */
static void test_host_gate_opens_on_b(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_NEG, true), HAL_OK);
    struct cbsom_state s = st_of(CBSOM_CP_C, 50, true, true);
    rig_state(&r, &s);
    rig_run(&r, 5);
    s = st_of(CBSOM_CP_B, 50, false, false);
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    assert_int_equal(r.h.fault, CBSOM_FAULT_NONE);
    bool pos = true, neg = true;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &pos), HAL_OK);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_NEG_FB, &neg), HAL_OK);
    assert_false(pos || neg);
    struct hal_pilot_sample ps;
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_OK);
    assert_int_equal(ps.high_mv, 9000);
    /* Back to C, closed again; now one drops with the car still in C: lost. */
    s = st_of(CBSOM_CP_C, 50, true, true);
    rig_state(&r, &s);
    rig_run(&r, 5);
    s = st_of(CBSOM_CP_C, 50, true, false);
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(r.h.fault, CBSOM_FAULT_CONTACTOR_LOST);
}

static void test_host_silent_coprocessor(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    struct cbsom_state s = st_of(CBSOM_CP_E, 0, false, false);
    s.pwm_active = false;
    rig_state(&r, &s);
    rig_run(&r, 995); /* no contactor asked for: the idle timeout, 1000 ms */
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    /* Only PT1000 frames and garbage: still silent as far as safety goes. */
    struct cbsom_frame f;
    cbsom_temps_encode(&(struct cbsom_temps){0}, &f);
    rig_send(&r, &f);
    rig_run(&r, 20);
    assert_int_equal(r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(r.h.fault, CBSOM_FAULT_SILENT);
    bool v;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &v), HAL_EIO);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_ESTOP, &v), HAL_EIO);
    struct hal_pilot_sample ps;
    assert_int_equal(hal_pilot_read(&r.h.pilot, &ps), HAL_EIO);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 0), HAL_EIO);
    struct cbsom_control c = rig_last_control(&r);
    assert_false(c.contactor[0]);
    /* A frame arriving late does not lift the latched fault. */
    rig_state(&r, &s);
    rig_run(&r, 5);
    assert_int_equal(r.h.phase, CBSOM_HOST_FAULT);
    assert_string_equal(cbsom_host_fault_name(r.h.fault), "co-processor silent");
}

static void test_host_silent_with_contactors(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    assert_int_equal(hal_gpio_write(&r.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true), HAL_OK);
    struct cbsom_state s = st_of(CBSOM_CP_C, 50, true, false);
    rig_state(&r, &s);
    rig_run(&r, 340);
    assert_int_equal(r.h.phase, CBSOM_HOST_RUNNING);
    /* A rebooting co-processor that closes again on our next frame never reports "open":
     * the gap itself is the fault while power may flow. */
    rig_run(&r, 20);
    assert_int_equal(r.h.fault, CBSOM_FAULT_SILENT);
    rig_state(&r, &s);
    rig_run(&r, 5);
    struct cbsom_control c = rig_last_control(&r);
    assert_false(c.contactor[0]);
}

static void test_host_safe_state_estop(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    struct cbsom_state s = st_of(CBSOM_CP_B, 1000, false, false);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 1000), HAL_OK);
    rig_state(&r, &s);
    rig_run(&r, 5);
    bool estop = true;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_ESTOP, &estop), HAL_OK);
    assert_false(estop);
    fake_serial_arrive(&r.ser, k_cs1_safe, 12);
    rig_run(&r, 5);
    assert_int_equal(r.h.fault, CBSOM_FAULT_SAFE_STATE);
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_ESTOP, &estop), HAL_OK);
    assert_true(estop); /* reason 16: the e-stop is named as the cause */
    bool pos;
    assert_int_equal(hal_gpio_read(&r.h.gpio, HAL_GPIO_IN_CONTACTOR_POS_FB, &pos), HAL_EIO);
}

static void test_host_version_refusals(void **state)
{
    (void)state;
    struct rig r;
    rig_start(&r, 2); /* 0.2.x: the old ChargeState1 layout */
    assert_int_equal(r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(r.h.fault, CBSOM_FAULT_BAD_VERSION);
    rig_run(&r, 500);
    assert_int_equal(r.ser.tx_len, 0); /* never drives a pilot or asks for contactors */

    memset(&r, 0, sizeof r);
    fake_serial_init(&r.ser);
    struct hal_serial_config sc = {.baud = 115200};
    assert_int_equal(hal_serial_open(&r.ser.base, &sc), HAL_OK);
    struct cbsom_host_config cfg;
    cbsom_host_default_config(&cfg);
    assert_int_equal(cbsom_host_init(&r.h, &cfg, &r.ser.base, 0), HAL_OK);
    rig_run(&r, 1000);
    assert_int_equal(r.h.fault, CBSOM_FAULT_NO_VERSION);
    assert_int_equal(r.ser.tx_len, 36); /* three inquiries, then silence */
    cfg.period_ms = 0;
    assert_int_equal(cbsom_host_init(&r.h, &cfg, &r.ser.base, 0), HAL_EINVAL);
}

static void test_host_echo_and_uart(void **state)
{
    (void)state;
    struct rig r;
    rig_running(&r);
    assert_int_equal(hal_pilot_set_duty(&r.h.pilot, 50), HAL_OK);
    /* The MCU keeps reporting X1: it does not do what we ask. */
    for (int i = 0; i < 12; i++) {
        struct cbsom_state s = st_of(CBSOM_CP_B, 1000, false, false);
        rig_state(&r, &s);
        rig_run(&r, 100);
    }
    assert_int_equal(r.h.fault, CBSOM_FAULT_NO_ECHO);

    rig_running(&r);
    r.ser.read_rc = HAL_ECLOSED; /* the USB adapter was pulled */
    rig_run(&r, 5);
    assert_int_equal(r.h.fault, CBSOM_FAULT_SERIAL);
    /* A transmit buffer that takes nothing: frames are dropped and counted, not queued
     * without end. */
    rig_running(&r);
    r.ser.tx_room = 0;
    rig_run(&r, 1000);
    assert_true(r.h.cnt.tx_dropped > 0);
}

/* ------------------------------------------------------------------ recovery */

/* The reset line as the policy drives it: every edge with its time. */
struct fake_reset {
    int rc;             /* what the line answers */
    int edges;
    bool asserted;
    uint32_t asserted_at, released_at;
    uint32_t *now;
};

static int fake_reset_set(void *ctx, bool asserted)
{
    struct fake_reset *f = ctx;
    if (f->rc != HAL_OK) {
        return f->rc;
    }
    f->edges++;
    f->asserted = asserted;
    if (asserted) {
        f->asserted_at = *f->now;
    } else {
        f->released_at = *f->now;
    }
    return HAL_OK;
}

struct rec_rig {
    struct rig r;
    struct cbsom_recover rec;
    struct fake_reset line;
    int holding, resets, restarts, stable, reset_failed;
};

static void rec_start(struct rec_rig *x, bool with_line)
{
    memset(x, 0, sizeof *x);
    rig_running(&x->r);
    x->line.now = &x->r.now;
    struct cbsom_recover_config cfg;
    cbsom_recover_default_config(&cfg);
    assert_true(cfg.enabled);
    assert_int_equal(cfg.holdoff_ms, 10000);
    assert_int_equal(cfg.holdoff_max_ms, 600000);
    cfg.holdoff_ms = 1000;
    cfg.holdoff_max_ms = 5000;
    cfg.stable_ms = 3000;
    cfg.pulse_ms = 100;
    assert_int_equal(cbsom_recover_init(&x->rec, &cfg, with_line ? fake_reset_set : NULL, &x->line), HAL_OK);
}

/* @p ms in 5 ms passes: the host, then the policy. @p alive: the co-processor answers the
 * inquiry and reports every 100 ms (an idle state that echoes what the host asks). */
static void rec_run(struct rec_rig *x, uint32_t ms, bool session_over, bool alive)
{
    for (uint32_t i = 0; i < ms; i += 5) {
        x->r.now += 5;
        if (alive && x->r.h.phase == CBSOM_HOST_INQUIRE && x->r.ser.tx_len > 0) {
            struct cbsom_frame f;
            cbsom_version_encode(&(struct cbsom_version){0, 3, 1, 0x81, 3}, &f);
            rig_send(&x->r, &f);
        }
        if (alive && x->r.h.phase == CBSOM_HOST_RUNNING && x->r.now % 100 == 0) {
            struct cbsom_state s = st_of(CBSOM_CP_A, x->r.h.ctl.duty, false, false);
            s.pwm_active = x->r.h.ctl.pwm_active;
            rig_state(&x->r, &s);
        }
        x->r.ser.tx_len = 0;
        cbsom_host_step(&x->r.h, x->r.now);
        switch (cbsom_recover_step(&x->rec, &x->r.h, session_over, x->r.now)) {
        case CBSOM_RECOVER_HOLDING:
            x->holding++;
            break;
        case CBSOM_RECOVER_RESET:
            x->resets++;
            break;
        case CBSOM_RECOVER_RESET_FAILED:
            x->reset_failed++;
            x->restarts++;
            break;
        case CBSOM_RECOVER_RESTARTED:
            x->restarts++;
            break;
        case CBSOM_RECOVER_STABLE:
            x->stable++;
            break;
        case CBSOM_RECOVER_NOTHING:
            break;
        }
    }
}

static void test_recover_holdoff_pulse_restart(void **state)
{
    (void)state;
    struct rec_rig x;
    rec_start(&x, true);
    rec_run(&x, 500, true, true);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_RUNNING);
    assert_int_equal(x.holding + x.restarts, 0); /* a running link is left alone */
    /* The co-processor goes silent: a fault; the session is still winding down. */
    rec_run(&x, 1500, false, false);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(x.r.h.fault, CBSOM_FAULT_SILENT);
    rec_run(&x, 5000, false, false);
    assert_int_equal(x.holding + x.restarts + x.line.edges, 0); /* never while a session runs */
    /* The session ended: the hold-off starts there, the reset line is pulsed at its end. */
    uint32_t over_at = x.r.now;
    rec_run(&x, 5, true, false);
    assert_int_equal(x.holding, 1);
    assert_int_equal(x.rec.fault, CBSOM_FAULT_SILENT);
    rec_run(&x, 990, true, false);
    assert_int_equal(x.line.edges, 0);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
    rec_run(&x, 10, true, true);
    assert_int_equal(x.resets, 1);
    assert_true(x.line.asserted);
    assert_in_range(x.line.asserted_at - over_at, 1000, 1010);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT); /* held in reset: nothing restarted yet */
    rec_run(&x, 100, true, true);
    assert_false(x.line.asserted);
    assert_int_equal(x.line.released_at - x.line.asserted_at, 100);
    assert_int_equal(x.restarts, 1);
    assert_int_equal(x.r.h.cnt.restarts, 1);
    assert_int_equal(x.rec.attempts, 1);
    assert_int_equal(x.rec.holdoff_ms, 2000); /* the next fault waits twice as long */
    /* The host's own path from there: start-up delay after the release, version, running. */
    assert_int_equal(x.r.h.phase, CBSOM_HOST_STARTUP);
    rec_run(&x, 400, true, true);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_RUNNING);
    /* Contactors requested again only by the charger, through the host, as before. */
    assert_false(x.r.h.ctl.contactor[0] || x.r.h.ctl.contactor[1]);
    assert_int_equal(hal_gpio_write(&x.r.h.gpio, HAL_GPIO_OUT_CONTACTOR_POS, false), HAL_OK);
}

static void test_recover_doubling_and_stable(void **state)
{
    (void)state;
    struct rec_rig x;
    rec_start(&x, false);
    rec_run(&x, 1500, true, false); /* silent: fault, then the first hold-off */
    assert_int_equal(x.holding, 1);
    /* A dead co-processor: every restart ends in "no version answer" (300 ms start-up,
     * 3 x 100 ms inquiries), each hold-off twice the last, bounded at 5 s. */
    uint32_t expect[] = {1000, 2000, 4000, 5000, 5000};
    uint32_t t = x.r.now;
    for (unsigned i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        assert_int_equal(x.rec.waited_ms, expect[i]);
        int before = x.restarts;
        while (x.restarts == before) {
            rec_run(&x, 5, true, false);
            assert_true(x.r.now - t < 60000);
        }
        assert_int_equal(x.r.h.phase, CBSOM_HOST_STARTUP);
        assert_int_equal(x.line.edges, 0); /* no line: restart alone */
        rec_run(&x, 700, true, false);
        assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
        assert_int_equal(x.r.h.fault, CBSOM_FAULT_NO_VERSION);
        assert_int_equal(x.rec.fault, CBSOM_FAULT_NO_VERSION);
    }
    assert_int_equal(x.restarts, 5);
    /* It answers again: running; a fault soon after still gets the long hold-off ... */
    while (x.r.h.phase != CBSOM_HOST_RUNNING) {
        rec_run(&x, 5, true, true);
        assert_true(x.r.now - t < 120000);
    }
    rec_run(&x, 1000, true, true);
    assert_int_equal(x.stable, 0);
    assert_int_equal(x.rec.holdoff_ms, 5000);
    /* ... but a link that ran for stable_ms starts over from the first hold-off. */
    rec_run(&x, 2100, true, true);
    assert_int_equal(x.stable, 1);
    assert_int_equal(x.rec.attempts, 0);
    assert_int_equal(x.rec.holdoff_ms, 1000);
    rec_run(&x, 1500, true, false);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(x.rec.waited_ms, 1000);
}

static void test_recover_waits_for_open_requests(void **state)
{
    (void)state;
    struct rec_rig x;
    rec_start(&x, true);
    rec_run(&x, 1500, true, false);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
    /* A contactor request that is not open (the host forces them open in a fault; set by
     * hand here to show the guard) keeps the policy off the line and the host. */
    x.r.h.ctl.contactor[1] = true;
    rec_run(&x, 5000, true, false);
    assert_int_equal(x.line.edges + x.restarts, 0);
    assert_int_equal(x.r.h.cnt.restarts, 0);
    /* Back to open: a whole hold-off from there, not what was left of the old one. */
    x.r.h.ctl.contactor[1] = false;
    uint32_t from = x.r.now;
    while (x.resets == 0) {
        rec_run(&x, 5, true, false);
        assert_true(x.r.now - from < 2000);
    }
    assert_in_range(x.line.asserted_at - from, 1000, 1010);
    /* A session that starts again during the pulse does not keep the MCU in reset. */
    rec_run(&x, 100, false, false);
    assert_false(x.line.asserted);
    assert_int_equal(x.restarts, 1);
}

static void test_recover_disabled_and_line_failure(void **state)
{
    (void)state;
    struct rec_rig x;
    rec_start(&x, true);
    x.rec.cfg.enabled = false; /* latched as before: a person restarts the charger */
    rec_run(&x, 30000, true, false);
    assert_int_equal(x.r.h.phase, CBSOM_HOST_FAULT);
    assert_int_equal(x.holding + x.restarts + x.line.edges, 0);
    /* A reset line that cannot be driven: restarted all the same, counted. */
    rec_start(&x, true);
    x.line.rc = HAL_EIO;
    rec_run(&x, 2600, true, false);
    assert_int_equal(x.reset_failed, 1);
    assert_int_equal(x.rec.reset_errors, 1);
    assert_int_equal(x.r.h.cnt.restarts, 1);
    /* Bad settings are refused. */
    struct cbsom_recover_config cfg;
    cbsom_recover_default_config(&cfg);
    cfg.holdoff_max_ms = cfg.holdoff_ms - 1;
    assert_int_equal(cbsom_recover_init(&x.rec, &cfg, NULL, NULL), HAL_EINVAL);
    cbsom_recover_default_config(&cfg);
    cfg.pulse_ms = 0;
    assert_int_equal(cbsom_recover_init(&x.rec, &cfg, NULL, NULL), HAL_EINVAL);
    assert_int_equal(cbsom_recover_init(NULL, &cfg, NULL, NULL), HAL_EINVAL);
}

/* The charger itself over the host: a pilot-level session closes through the co-processor,
 * the co-processor goes silent mid-session, the session ends with everything open, the
 * policy restarts the link and the board's clearing (board/linux/chargesom.c, replayed here
 * with the same calls) lifts the charger's "feedback unreadable" once the link runs and the
 * connector voltage is known (the stage reads 0 V): the next car charges. */
struct coproc {
    enum cbsom_cp car;
    bool alive;
};

static void coproc_serve(struct rec_rig *x, const struct coproc *m)
{
    if (!m->alive) {
        return;
    }
    if (x->r.h.phase == CBSOM_HOST_INQUIRE && x->r.ser.tx_len > 0) {
        struct cbsom_frame f;
        cbsom_version_encode(&(struct cbsom_version){0, 3, 1, 0x81, 3}, &f);
        rig_send(&x->r, &f);
    }
    if (x->r.h.phase == CBSOM_HOST_RUNNING && x->r.now % 100 == 0) {
        /* its own gate: closed only in C/D and asked for */
        bool gate = m->car == CBSOM_CP_C || m->car == CBSOM_CP_D;
        struct cbsom_state s = st_of(m->car, x->r.h.ctl.duty, gate && x->r.h.ctl.contactor[0],
                                     gate && x->r.h.ctl.contactor[1]);
        s.pwm_active = x->r.h.ctl.pwm_active;
        rig_state(&x->r, &s);
    }
}

static bool session_over(struct charger *c)
{
    enum charger_state s = charger_state(c);
    enum interlock_state il = interlock_state(&c->il);
    return (s == CHARGER_IDLE || s == CHARGER_FINISHED || s == CHARGER_FAULT) &&
           (il == INTERLOCK_UNLOCKED || il == INTERLOCK_LOCKED || il == INTERLOCK_HELD ||
            il == INTERLOCK_DISCHARGING);
}

static void test_recover_charger_comes_back(void **state)
{
    (void)state;
    static struct rec_rig x;
    static struct charger c;
    static struct fake_power fp;
    static struct fake_log log;
    static struct sched sch;
    struct coproc m = {.car = CBSOM_CP_A, .alive = true};
    rec_start(&x, true);
    fake_power_init(&fp);
    fake_log_init(&log);
    sched_init(&sch);
    struct charger_config cfg;
    charger_default_config(&cfg);
    struct charger_ports ports = {.pilot = &x.r.h.pilot, .gpio = &x.r.h.gpio, .psu = &fp.psu, .log = &log.base,
                                  .contactor_gate = true};
    assert_int_equal(charger_init(&c, &cfg, &ports, &sch, x.r.now), HAL_OK);
    bool clear_pending = false;
    int cleared = 0, closings = 0;
    bool was_closed = false;
    for (int phase = 0; phase < 9; phase++) {
        /* the script: plug in, charge, the co-processor dies, it comes back, the car
         * leaves, the next one plugs in and charges */
        static const struct {
            enum cbsom_cp car;
            bool alive;
            uint32_t ms;
        } step[] = {{CBSOM_CP_A, true, 1000}, {CBSOM_CP_B, true, 1000}, {CBSOM_CP_C, true, 2000},
                    {CBSOM_CP_C, false, 2000}, {CBSOM_CP_C, true, 3000}, {CBSOM_CP_A, true, 2000},
                    {CBSOM_CP_B, true, 1000}, {CBSOM_CP_C, true, 2000}, {CBSOM_CP_B, true, 1000}};
        m.car = step[phase].car;
        m.alive = step[phase].alive;
        for (uint32_t t = 0; t < step[phase].ms; t += 5) {
            x.r.now += 5;
            coproc_serve(&x, &m);
            x.r.ser.tx_len = 0;
            cbsom_host_step(&x.r.h, x.r.now);
            enum cbsom_recover_event ev = cbsom_recover_step(&x.rec, &x.r.h, session_over(&c), x.r.now);
            if (ev == CBSOM_RECOVER_RESTARTED) {
                x.restarts++;
                clear_pending = true;
            }
            if (clear_pending && x.r.h.phase == CBSOM_HOST_RUNNING && cbsom_host_state(&x.r.h) != NULL) {
                clear_pending = false;
                const char *held = charger_held_fault(&c);
                assert_non_null(held);
                assert_string_equal(held, "feedback unreadable");
                assert_int_equal(charger_reset(&c, x.r.now, NULL), CHARGER_RESET_DONE);
                cleared++;
            }
            fake_power_tick(&fp, x.r.now);
            (void)sched_run(&sch, x.r.now, false);
            bool closed = x.r.h.ctl.contactor[0] && x.r.h.ctl.contactor[1];
            closings += closed && !was_closed;
            was_closed = closed;
            /* never asked closed while the link is down or restarting; the stage exports
             * only with both contactors reported closed by a running co-processor */
            assert_true(!closed || x.r.h.phase == CBSOM_HOST_RUNNING);
            const struct cbsom_state *st = cbsom_host_state(&x.r.h);
            assert_true(fp.mode != PSU_MODE_EXPORT ||
                        (x.r.h.phase == CBSOM_HOST_RUNNING && st != NULL &&
                         st->contactor[0] == CBSOM_CONT_CLOSED && st->contactor[1] == CBSOM_CONT_CLOSED));
        }
        if (phase == 2 || phase == 7) {
            assert_int_equal(charger_state(&c), CHARGER_CHARGING);
        }
        if (phase == 3) {
            assert_int_not_equal(x.r.h.phase, CBSOM_HOST_RUNNING); /* dead: restarted, or waiting */
            assert_int_equal(x.r.h.cnt.restarts, 1);
            assert_int_equal(charger_state(&c), CHARGER_FAULT);
            assert_non_null(charger_held_fault(&c));
        }
    }
    assert_int_equal(x.restarts, 1);
    assert_int_equal(cleared, 1);
    assert_int_equal(closings, 2);
    assert_int_equal(charger_stats(&c)->sessions_charged, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_check_value),
        cmocka_unit_test(test_golden_control_frames),
        cmocka_unit_test(test_golden_state_frames),
        cmocka_unit_test(test_temps_version_error),
        cmocka_unit_test(test_parser_bad_input),
        cmocka_unit_test(test_host_handshake_and_cycle),
        cmocka_unit_test(test_host_pilot_mapping),
        cmocka_unit_test(test_host_ignores_bad_frames),
        cmocka_unit_test(test_host_contactors_and_reboot),
        cmocka_unit_test(test_host_gate_opens_on_b),
        cmocka_unit_test(test_host_silent_coprocessor),
        cmocka_unit_test(test_host_silent_with_contactors),
        cmocka_unit_test(test_host_safe_state_estop),
        cmocka_unit_test(test_host_version_refusals),
        cmocka_unit_test(test_host_echo_and_uart),
        cmocka_unit_test(test_recover_holdoff_pulse_restart),
        cmocka_unit_test(test_recover_doubling_and_stable),
        cmocka_unit_test(test_recover_waits_for_open_requests),
        cmocka_unit_test(test_recover_disabled_and_line_failure),
        cmocka_unit_test(test_recover_charger_comes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
