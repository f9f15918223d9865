/**
 * @file fuzz_chargesom.c
 * @brief libFuzzer harness for the Charge SOM host (protocols/chargesom).
 *
 * The input is what the co-processor's UART delivers: a script of records (1 byte: how
 * many following bytes arrive now (0..31) and how many 5 ms passes follow (bits 5..7)),
 * fed to a host that has finished its handshake and asks for contactors. Checked: no
 * sanitizer report; every frame the host writes is a well-formed ChargeControl1 or
 * Inquiry; in a fault no contactor is ever requested closed; the parser never holds a
 * full window. The same bytes, as the host's side of the line, go to the controller's
 * own rules (cbsom_device.c) with the car in C: it never closes a contactor outside
 * running, and every frame it writes is its own kind, well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chargesom/cbsom_device.h"
#include "chargesom/cbsom_frame.h"
#include "chargesom/cbsom_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_serial {
    struct hal_serial base;
    const uint8_t *rx;
    size_t rx_len;
    uint8_t tx[256];
    size_t tx_len;
};

static int fz_open(struct hal_serial *s, const struct hal_serial_config *c)
{
    (void)s;
    (void)c;
    return HAL_OK;
}
static int fz_write(struct hal_serial *hs, const uint8_t *b, size_t n, size_t *w)
{
    struct fz_serial *s = (struct fz_serial *)hs;
    if (n > sizeof s->tx - s->tx_len) {
        n = sizeof s->tx - s->tx_len;
    }
    if (n == 0) {
        return HAL_EAGAIN;
    }
    memcpy(s->tx + s->tx_len, b, n);
    s->tx_len += n;
    *w = n;
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

static struct fz_serial s_ser, s_dser;
static struct cbsom_host s_host;
static struct cbsom_device s_dev;

static void fz_check_device(void)
{
    struct cbsom_parser p;
    struct cbsom_frame f;
    cbsom_parser_init(&p);
    for (size_t i = 0; i < s_dser.tx_len; i++) {
        if (cbsom_parser_feed(&p, s_dser.tx[i], &f)) {
            struct cbsom_state st;
            if (f.id == CBSOM_ID_CHARGE_STATE1 && !cbsom_state_decode(&f, &st)) {
                abort();
            }
            if (f.id != CBSOM_ID_CHARGE_STATE1 && f.id != CBSOM_ID_PT1000 && f.id != CBSOM_ID_FW_VERSION &&
                f.id != CBSOM_ID_GIT_HASH) {
                abort();
            }
        }
    }
    if (p.bad_crc != 0 || p.bad_frame != 0 || p.skipped != 0) {
        abort();
    }
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (s_dev.closed[i] && (s_dev.phase != CBSOM_DEV_RUNNING || !s_dev.cc.contactor[i])) {
            abort();
        }
    }
    s_dser.tx_len = 0;
}

/* Everything the host wrote must parse back as our own frames. */
static void fz_check_tx(void)
{
    struct cbsom_parser p;
    struct cbsom_frame f;
    cbsom_parser_init(&p);
    for (size_t i = 0; i < s_ser.tx_len; i++) {
        if (cbsom_parser_feed(&p, s_ser.tx[i], &f)) {
            struct cbsom_control c;
            if (f.id == CBSOM_ID_CHARGE_CONTROL1) {
                if (!cbsom_control_decode(&f, &c)) {
                    abort();
                }
                if (s_host.phase == CBSOM_HOST_FAULT && i + 1 == s_ser.tx_len &&
                    (c.contactor[0] || c.contactor[1] || c.contactor[2])) {
                    abort();
                }
            } else if (f.id != CBSOM_ID_INQUIRY) {
                abort();
            }
        }
    }
    if (p.bad_crc != 0 || p.bad_frame != 0 || p.skipped != 0 || p.len != 0) {
        abort();
    }
    s_ser.tx_len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&s_ser, 0, sizeof s_ser);
    s_ser.base.ops = &fz_ops;
    memset(&s_dser, 0, sizeof s_dser);
    s_dser.base.ops = &fz_ops;
    struct cbsom_device_config dc;
    cbsom_device_default_config(&dc);
    if (cbsom_device_init(&s_dev, &dc, &s_dser.base, 0) != HAL_OK) {
        abort();
    }
    cbsom_device_set_car(&s_dev, CBSOM_CP_C, (size & 2u) != 0);
    struct cbsom_host_config cfg;
    cbsom_host_default_config(&cfg);
    cfg.pp = size > 0 && (data[0] & 1u) != 0;
    uint32_t now = 0xFFFFF000u; /* crosses the wrap */
    if (cbsom_host_init(&s_host, &cfg, &s_ser.base, now) != HAL_OK) {
        abort();
    }
    /* Handshake with a good version, so the input reaches the running host. */
    struct cbsom_frame f;
    uint8_t ver[12];
    cbsom_version_encode(&(struct cbsom_version){0, 3, 1, 0x81, 3}, &f);
    cbsom_frame_encode(&f, ver);
    now += 300;
    cbsom_host_step(&s_host, now);
    s_ser.rx = ver;
    s_ser.rx_len = 12;
    cbsom_host_step(&s_host, now);
    (void)hal_pilot_set_duty(&s_host.pilot, 50);
    (void)hal_gpio_write(&s_host.gpio, HAL_GPIO_OUT_CONTACTOR_POS, true);
    (void)hal_gpio_write(&s_host.gpio, HAL_GPIO_OUT_CONTACTOR_NEG, true);
    size_t i = 0;
    while (i < size) {
        uint8_t rec = data[i++];
        size_t n = rec & 31u;
        if (n > size - i) {
            n = size - i;
        }
        s_ser.rx = &data[i];
        s_ser.rx_len = n;
        s_dser.rx = &data[i];
        s_dser.rx_len = n;
        i += n;
        unsigned passes = 1u + (rec >> 5);
        for (unsigned k = 0; k < passes; k++) {
            now += 5;
            cbsom_host_step(&s_host, now);
            struct hal_pilot_sample ps;
            uint32_t ohms;
            bool v;
            (void)hal_pilot_read(&s_host.pilot, &ps);
            (void)hal_pilot_read_proximity(&s_host.pilot, &ohms);
            for (int in = 0; in < HAL_GPIO_IN_COUNT; in++) {
                (void)hal_gpio_read(&s_host.gpio, (enum hal_gpio_in)in, &v);
            }
            fz_check_tx();
            cbsom_device_step(&s_dev, now);
            fz_check_device();
        }
        if (s_host.parser.len >= CBSOM_FRAME_LEN) {
            abort();
        }
    }
    return 0;
}
