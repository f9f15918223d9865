/* cbsom_frame.c - the Charge SOM UART frame: CRC-8 J1850, encoding, the resynchronising
 * byte parser, and the signal layouts of ChargeControl1, ChargeState1, PT1000State,
 * FirmwareVersion, ErrorMessage and Inquiry (spec linux-board-io.md §3). Owns nothing but
 * the caller's structs. */
#include "cbsom_frame.h"

#include <string.h>

uint8_t cbsom_crc8(const uint8_t *data, size_t len)
{
    uint8_t crc = 0xFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) {
            unsigned v = (unsigned)crc << 1;
            crc = (uint8_t)(((crc & 0x80u) != 0 ? v ^ 0x1Du : v) & 0xFFu);
        }
    }
    return (uint8_t)(crc ^ 0xFFu);
}

void cbsom_frame_encode(const struct cbsom_frame *f, uint8_t out[CBSOM_FRAME_LEN])
{
    out[0] = CBSOM_SOF;
    out[1] = f->id;
    memcpy(&out[2], f->payload, CBSOM_PAYLOAD_LEN);
    out[10] = cbsom_crc8(&out[1], 1u + CBSOM_PAYLOAD_LEN);
    out[11] = CBSOM_EOF;
}

void cbsom_parser_init(struct cbsom_parser *p)
{
    memset(p, 0, sizeof *p);
}

void cbsom_parser_flush(struct cbsom_parser *p)
{
    p->len = 0;
}

/* Drop the window's first byte and keep what follows from the next SOF on: 0xA5 may sit
 * inside a payload, so a false start must not swallow the real frame behind it. */
static void cbsom_parser_resync(struct cbsom_parser *p)
{
    uint8_t i = 1;
    while (i < p->len && p->buf[i] != CBSOM_SOF) {
        i++;
    }
    p->skipped += i;
    memmove(p->buf, &p->buf[i], (size_t)(p->len - i));
    p->len = (uint8_t)(p->len - i);
}

bool cbsom_parser_feed(struct cbsom_parser *p, uint8_t byte, struct cbsom_frame *out)
{
    if (p->len == 0 && byte != CBSOM_SOF) {
        p->skipped++;
        return false;
    }
    p->buf[p->len++] = byte;
    if (p->len < CBSOM_FRAME_LEN) {
        return false;
    }
    if (p->buf[11] != CBSOM_EOF) {
        p->bad_frame++;
        cbsom_parser_resync(p);
        return false;
    }
    if (cbsom_crc8(&p->buf[1], 1u + CBSOM_PAYLOAD_LEN) != p->buf[10]) {
        p->bad_crc++;
        cbsom_parser_resync(p);
        return false;
    }
    out->id = p->buf[1];
    memcpy(out->payload, &p->buf[2], CBSOM_PAYLOAD_LEN);
    p->len = 0;
    p->frames++;
    return true;
}

static void cbsom_frame_clear(struct cbsom_frame *f, uint8_t id)
{
    f->id = id;
    memset(f->payload, 0, sizeof f->payload);
}

static uint16_t cbsom_get_duty(const uint8_t *pl)
{
    return (uint16_t)(((pl[0] & 0x03u) << 8) | pl[1]);
}

static void cbsom_put_duty(uint8_t *pl, uint16_t duty)
{
    if (duty > CBSOM_DUTY_MAX) {
        duty = CBSOM_DUTY_MAX; /* as the MCU and ra-utils do */
    }
    pl[0] = (uint8_t)(pl[0] | ((duty >> 8) & 0x03u));
    pl[1] = (uint8_t)(duty & 0xFFu);
}

void cbsom_control_encode(const struct cbsom_control *c, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_CHARGE_CONTROL1);
    f->payload[0] = c->pwm_active ? 0x80u : 0x00u;
    cbsom_put_duty(f->payload, c->duty);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (c->contactor[i]) {
            f->payload[2] = (uint8_t)(f->payload[2] | (1u << i));
        }
    }
}

bool cbsom_control_decode(const struct cbsom_frame *f, struct cbsom_control *c)
{
    const uint8_t *pl = f->payload;
    if (f->id != CBSOM_ID_CHARGE_CONTROL1 || (pl[0] & 0x7Cu) != 0 || (pl[2] & 0xF8u) != 0 || pl[3] != 0 ||
        pl[4] != 0 || pl[5] != 0 || pl[6] != 0 || pl[7] != 0) {
        return false;
    }
    c->pwm_active = (pl[0] & 0x80u) != 0;
    c->duty = cbsom_get_duty(pl);
    if (c->duty > CBSOM_DUTY_MAX) {
        c->duty = CBSOM_DUTY_MAX;
    }
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        c->contactor[i] = (pl[2] & (1u << i)) != 0;
    }
    return true;
}

void cbsom_state_encode(const struct cbsom_state *s, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_CHARGE_STATE1);
    uint8_t *pl = f->payload;
    pl[0] = (uint8_t)((s->pwm_active ? 0x80u : 0u) | ((s->safe_state & 3u) << 2));
    cbsom_put_duty(pl, s->duty);
    pl[2] = (uint8_t)(((unsigned)s->cp & 7u) | (s->cp_short ? 0x08u : 0u) | (s->diode_fault ? 0x10u : 0u));
    pl[3] = (uint8_t)(s->pp & 7u);
    pl[4] = (uint8_t)(s->hv_ready ? 0x40u : 0u);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        pl[4] = (uint8_t)(pl[4] | (((unsigned)s->contactor[i] & 3u) << (2u * i)));
        pl[5] = (uint8_t)(pl[5] | (((unsigned)s->estop[i] & 3u) << (2u * i)));
    }
    pl[5] = (uint8_t)(pl[5] | ((s->rcm & 3u) << 6));
    pl[6] = s->reason;
}

bool cbsom_state_decode(const struct cbsom_frame *f, struct cbsom_state *s)
{
    const uint8_t *pl = f->payload;
    if (f->id != CBSOM_ID_CHARGE_STATE1 || cbsom_get_duty(pl) > CBSOM_DUTY_MAX) {
        return false;
    }
    s->pwm_active = (pl[0] & 0x80u) != 0;
    s->safe_state = (uint8_t)((pl[0] >> 2) & 3u);
    s->duty = cbsom_get_duty(pl);
    s->cp = (enum cbsom_cp)(pl[2] & 7u);
    s->cp_short = (pl[2] & 0x08u) != 0;
    s->diode_fault = (pl[2] & 0x10u) != 0;
    s->pp = (uint8_t)(pl[3] & 7u);
    s->hv_ready = (pl[4] & 0x40u) != 0;
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        s->contactor[i] = (enum cbsom_contactor)((pl[4] >> (2u * i)) & 3u);
        s->estop[i] = (enum cbsom_estop)((pl[5] >> (2u * i)) & 3u);
    }
    s->rcm = (uint8_t)(pl[5] >> 6);
    s->reason = pl[6];
    return true;
}

void cbsom_temps_encode(const struct cbsom_temps *t, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_PT1000);
    for (unsigned i = 0; i < CBSOM_TEMPS; i++) {
        uint16_t v = t->used[i] ? (uint16_t)(((uint16_t)t->deci_c[i] & 0x3FFFu) << 2) : (uint16_t)(0x1FFFu << 2);
        v = (uint16_t)(v | (t->selftest_failed[i] ? 2u : 0u) | (t->stops_charging[i] ? 1u : 0u));
        f->payload[2 * i] = (uint8_t)(v >> 8);
        f->payload[2 * i + 1] = (uint8_t)(v & 0xFFu);
    }
}

bool cbsom_temps_decode(const struct cbsom_frame *f, struct cbsom_temps *t)
{
    if (f->id != CBSOM_ID_PT1000) {
        return false;
    }
    for (unsigned i = 0; i < CBSOM_TEMPS; i++) {
        uint16_t w = (uint16_t)((f->payload[2 * i] << 8) | f->payload[2 * i + 1]);
        uint16_t raw = (uint16_t)(w >> 2);
        /* 14-bit two's complement: sign-extend by hand (no implementation-defined shift). */
        int32_t v = (raw & 0x2000u) != 0 ? (int32_t)raw - 0x4000 : (int32_t)raw;
        t->used[i] = raw != 0x1FFFu;
        t->deci_c[i] = (int16_t)v;
        t->selftest_failed[i] = (w & 2u) != 0;
        t->stops_charging[i] = (w & 1u) != 0;
    }
    return true;
}

void cbsom_version_encode(const struct cbsom_version *v, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_FW_VERSION);
    f->payload[0] = v->major;
    f->payload[1] = v->minor;
    f->payload[2] = v->build;
    f->payload[3] = v->platform;
    f->payload[4] = v->application;
}

bool cbsom_version_decode(const struct cbsom_frame *f, struct cbsom_version *v)
{
    if (f->id != CBSOM_ID_FW_VERSION) {
        return false;
    }
    v->major = f->payload[0];
    v->minor = f->payload[1];
    v->build = f->payload[2];
    v->platform = f->payload[3];
    v->application = f->payload[4];
    return true;
}

void cbsom_error_encode(const struct cbsom_error *e, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_ERROR);
    uint8_t *pl = f->payload;
    pl[0] = (uint8_t)((e->active ? 0x80u : 0u) | ((e->module >> 8) & 0x7Fu));
    pl[1] = (uint8_t)(e->module & 0xFFu);
    pl[2] = (uint8_t)(e->reason >> 8);
    pl[3] = (uint8_t)(e->reason & 0xFFu);
    pl[4] = (uint8_t)(e->data1 >> 8);
    pl[5] = (uint8_t)(e->data1 & 0xFFu);
    pl[6] = (uint8_t)(e->data2 >> 8);
    pl[7] = (uint8_t)(e->data2 & 0xFFu);
}

bool cbsom_error_decode(const struct cbsom_frame *f, struct cbsom_error *e)
{
    const uint8_t *pl = f->payload;
    if (f->id != CBSOM_ID_ERROR) {
        return false;
    }
    e->active = (pl[0] & 0x80u) != 0;
    e->module = (uint16_t)(((pl[0] & 0x7Fu) << 8) | pl[1]);
    e->reason = (uint16_t)((pl[2] << 8) | pl[3]);
    e->data1 = (uint16_t)((pl[4] << 8) | pl[5]);
    e->data2 = (uint16_t)((pl[6] << 8) | pl[7]);
    return true;
}

void cbsom_inquiry_encode(uint8_t wanted, struct cbsom_frame *f)
{
    cbsom_frame_clear(f, CBSOM_ID_INQUIRY);
    f->payload[0] = wanted;
}

const char *cbsom_cp_name(enum cbsom_cp cp)
{
    static const char *const names[] = {"unknown", "A", "B", "C", "D", "E", "F", "invalid"};
    return names[(unsigned)cp & 7u];
}
