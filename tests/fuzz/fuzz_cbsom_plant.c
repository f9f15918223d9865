/**
 * @file fuzz_cbsom_plant.c
 * @brief libFuzzer harness for the simulated plant's command lines (protocols/chargesom/
 *        cbsom_plant.c), which the Cortex-M co-processor image reads from its UART1 and
 *        tools/cbsomsim from its FIFO.
 *
 * The input is split at '\n' into lines (NUL bytes included); each goes to
 * cbsom_plant_command() on a running controller whose host keeps asking for both
 * contactors, then the controller steps and the event record is polled. Checked: no
 * sanitizer report; every reply and event line is NUL-terminated inside its buffer and
 * printable; a refused line changes no plant input; the car is always A..D; a contactor
 * is closed only while running, asked, in CP C or D, with no e-stop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_plant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_serial {
    struct hal_serial base;
    const uint8_t *rx;
    size_t rx_len;
};

static int fz_open(struct hal_serial *s, const struct hal_serial_config *c)
{
    (void)s;
    (void)c;
    return HAL_OK;
}
static int fz_write(struct hal_serial *hs, const uint8_t *b, size_t n, size_t *w)
{
    (void)hs;
    (void)b;
    *w = n; /* the host's side of the line is not judged here */
    return HAL_OK;
}
static int fz_read(struct hal_serial *hs, uint8_t *b, size_t cap, size_t *n)
{
    struct fz_serial *s = (struct fz_serial *)hs;
    if (s->rx_len == 0) {
        return HAL_EAGAIN;
    }
    *n = s->rx_len < cap ? s->rx_len : cap;
    memcpy(b, s->rx, *n);
    s->rx += *n;
    s->rx_len -= *n;
    return HAL_OK;
}
static void fz_close(struct hal_serial *s)
{
    (void)s;
}
static const struct hal_serial_ops fz_ops = {fz_open, fz_write, fz_read, fz_close};

static struct fz_serial s_ser;
static struct cbsom_device s_dev;
static struct cbsom_watch s_watch;
static uint8_t s_cc[CBSOM_FRAME_LEN];

static void fz_check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < ' ' || s[i] > '~') {
            abort();
        }
    }
}

static void fz_emit(void *ctx, const char *line)
{
    (void)ctx;
    fz_check_text(line, CBSOM_PLANT_LINE_MAX);
}

static void fz_check_gate(void)
{
    enum cbsom_cp cp = cbsom_device_cp(&s_dev);
    bool estop = s_dev.estop[0] || s_dev.estop[1] || s_dev.estop[2];
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (s_dev.closed[i] && (s_dev.phase != CBSOM_DEV_RUNNING || !s_dev.cc.contactor[i] ||
                                (cp != CBSOM_CP_C && cp != CBSOM_CP_D) || estop)) {
            abort();
        }
    }
    if (s_dev.car < CBSOM_CP_A || s_dev.car > CBSOM_CP_D) {
        abort();
    }
}

/* One ChargeControl1 from the host: 5 % PWM, both contactors asked. */
static void fz_host_frame(uint32_t now)
{
    s_ser.rx = s_cc;
    s_ser.rx_len = sizeof s_cc;
    cbsom_device_step(&s_dev, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cbsom_device_config dc;
    struct cbsom_control c = {.pwm_active = true, .duty = 50, .contactor = {true, true, false}};
    struct cbsom_frame f;
    cbsom_control_encode(&c, &f);
    cbsom_frame_encode(&f, s_cc);
    s_ser.base.ops = &fz_ops;
    s_ser.rx_len = 0;
    cbsom_device_default_config(&dc);
    uint32_t now = 1000;
    if (cbsom_device_init(&s_dev, &dc, &s_ser.base, now) != HAL_OK) {
        abort();
    }
    cbsom_watch_init(&s_watch, &s_dev);
    fz_host_frame(now);

    char line[160];
    size_t pos = 0;
    while (pos < size) {
        size_t len = 0;
        while (pos < size && data[pos] != '\n') {
            if (len + 1 < sizeof line) {
                line[len++] = (char)data[pos];
            }
            pos++;
        }
        pos++; /* the '\n' */
        line[len] = '\0';

        enum cbsom_cp car = s_dev.car;
        bool diode = s_dev.diode;
        bool estop[3] = {s_dev.estop[0], s_dev.estop[1], s_dev.estop[2]};
        enum cbsom_device_phase phase = s_dev.phase;
        struct cbsom_plant_cmd cmd;
        enum cbsom_plant_result r = cbsom_plant_command(&s_dev, line, now, &cmd);
        if (r != cmd.result || r > CBSOM_PLANT_BAD) {
            abort();
        }
        fz_check_text(cmd.reply, sizeof cmd.reply);
        if (r == CBSOM_PLANT_BAD || r == CBSOM_PLANT_EMPTY) {
            if (s_dev.car != car || s_dev.diode != diode || s_dev.phase != phase ||
                memcmp(estop, s_dev.estop, sizeof estop) != 0 || (r == CBSOM_PLANT_BAD && cmd.reply[0] == '\0')) {
                abort();
            }
        }
        if (r == CBSOM_PLANT_GARBAGE && (cmd.garbage == 0 || cmd.garbage > 4096)) {
            abort();
        }
        (void)cbsom_watch_poll(&s_watch, &s_dev, cmd.why, fz_emit, NULL);
        fz_check_gate();
        now += 40;
        fz_host_frame(now);
        (void)cbsom_watch_poll(&s_watch, &s_dev, NULL, fz_emit, NULL);
        fz_check_gate();
        if ((line[0] & 0x7) == 0) {
            now += 600; /* sometimes the host is silent past the timeout */
            cbsom_device_step(&s_dev, now);
            (void)cbsom_watch_poll(&s_watch, &s_dev, NULL, fz_emit, NULL);
            fz_check_gate();
        }
    }
    return 0;
}
