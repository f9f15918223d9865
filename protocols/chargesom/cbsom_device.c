/* cbsom_device.c - the Charge SOM safety controller's own rules (cbsom_device.h): init,
 * running, safe state; its interlock; its reports. Owns struct cbsom_device. */
#include "cbsom_device.h"

#include <string.h>

void cbsom_device_default_config(struct cbsom_device_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->period_ms = 100;
    cfg->timeout_ms = 300;
    cfg->boot_ms = 500;
    cfg->version = (struct cbsom_version){0, 3, 1, 0x81, 3};
    static const uint8_t hash[8] = {0x20, 0x26, 0x12, 0x05, 0xC0, 0xFF, 0xEE, 0x00};
    memcpy(cfg->git_hash, hash, sizeof hash);
}

static void cbsom_device_send(struct cbsom_device *d, const struct cbsom_frame *f)
{
    uint8_t b[CBSOM_FRAME_LEN];
    size_t n = 0;
    cbsom_frame_encode(f, b);
    /* A frame goes whole or not at all: a receiver that stopped reading loses frames,
     * as on a UART whose peer overflows; a half frame would only add noise. */
    if (hal_serial_write(d->serial, b, sizeof b, &n) == HAL_OK && n == sizeof b) {
        d->tx_frames++;
    } else {
        d->tx_lost++;
    }
}

enum cbsom_cp cbsom_device_cp(const struct cbsom_device *d)
{
    if (d->phase != CBSOM_DEV_RUNNING) {
        return d->phase == CBSOM_DEV_SAFE ? CBSOM_CP_F : CBSOM_CP_E;
    }
    if (!d->cc.pwm_active) {
        return CBSOM_CP_E;
    }
    return d->cc.duty == 0 ? CBSOM_CP_F : d->car;
}

static bool cbsom_device_estop(const struct cbsom_device *d)
{
    return d->estop[0] || d->estop[1] || d->estop[2];
}

/* The gate of spec §3.5: asked for, CP in C (or D), no error. */
static void cbsom_device_interlock(struct cbsom_device *d)
{
    enum cbsom_cp cp = cbsom_device_cp(d);
    bool ok = d->phase == CBSOM_DEV_RUNNING && (cp == CBSOM_CP_C || cp == CBSOM_CP_D) && !cbsom_device_estop(d);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        d->closed[i] = ok && d->cc.contactor[i];
    }
}

static void cbsom_device_safe(struct cbsom_device *d, uint8_t reason)
{
    if (d->phase == CBSOM_DEV_SAFE) {
        return;
    }
    d->phase = CBSOM_DEV_SAFE;
    d->phase_ms = d->now_ms;
    d->reason = reason;
    d->silent_ms = d->now_ms - d->last_cc_ms;
    d->safe_entries++;
    cbsom_device_interlock(d);
}

void cbsom_device_reset(struct cbsom_device *d, bool reboot, uint32_t now_ms)
{
    d->phase = reboot ? CBSOM_DEV_BOOT : CBSOM_DEV_INIT;
    d->phase_ms = now_ms;
    memset(&d->cc, 0, sizeof d->cc);
    memset(d->closed, 0, sizeof d->closed);
    d->reason = 0;
    cbsom_parser_flush(&d->parser);
}

int cbsom_device_init(struct cbsom_device *d, const struct cbsom_device_config *cfg, struct hal_serial *serial,
                      uint32_t now_ms)
{
    if (d == NULL || cfg == NULL || serial == NULL || cfg->period_ms == 0 || cfg->timeout_ms == 0) {
        return HAL_EINVAL;
    }
    memset(d, 0, sizeof *d);
    d->serial = serial;
    d->cfg = *cfg;
    d->car = CBSOM_CP_A;
    d->diode = true;
    d->now_ms = now_ms;
    cbsom_parser_init(&d->parser);
    cbsom_device_reset(d, false, now_ms);
    return HAL_OK;
}

void cbsom_device_set_car(struct cbsom_device *d, enum cbsom_cp car, bool diode)
{
    d->car = car;
    d->diode = diode;
    cbsom_device_interlock(d);
}

void cbsom_device_set_estop(struct cbsom_device *d, unsigned idx, bool tripped)
{
    if (idx >= 3) {
        return;
    }
    d->estop[idx] = tripped;
    if (tripped && d->phase == CBSOM_DEV_RUNNING) {
        cbsom_device_safe(d, (uint8_t)(CBSOM_REASON_ESTOP1 + idx));
    }
}

static void cbsom_device_on_frame(struct cbsom_device *d, const struct cbsom_frame *f)
{
    struct cbsom_frame a;
    struct cbsom_control c;
    if (f->id == CBSOM_ID_INQUIRY) {
        d->rx_inquiry++;
        if (f->payload[0] == CBSOM_ID_FW_VERSION) {
            cbsom_version_encode(&d->cfg.version, &a);
            cbsom_device_send(d, &a);
        } else if (f->payload[0] == CBSOM_ID_GIT_HASH) {
            a.id = CBSOM_ID_GIT_HASH;
            memcpy(a.payload, d->cfg.git_hash, sizeof a.payload);
            cbsom_device_send(d, &a);
        }
        return;
    }
    if (!cbsom_control_decode(f, &c)) {
        d->rx_other++; /* counted, never obeyed */
        return;
    }
    d->rx_cc++;
    d->last_cc_ms = d->now_ms;
    if (d->phase == CBSOM_DEV_INIT) {
        d->phase = CBSOM_DEV_RUNNING;
        d->phase_ms = d->now_ms;
        d->last_tx_ms = d->now_ms - d->cfg.period_ms; /* report at once */
    }
    if (d->phase == CBSOM_DEV_RUNNING) {
        d->cc = c;
        cbsom_device_interlock(d);
    }
}

static void cbsom_device_report(struct cbsom_device *d)
{
    struct cbsom_state st;
    struct cbsom_frame f;
    memset(&st, 0, sizeof st);
    bool safe = d->phase == CBSOM_DEV_SAFE;
    enum cbsom_cp cp = cbsom_device_cp(d);
    st.safe_state = safe ? 1 : 0;
    st.pwm_active = safe || d->cc.pwm_active;
    st.duty = safe || !d->cc.pwm_active ? 0 : d->cc.duty;
    st.cp = cp;
    st.diode_fault = !safe && !d->diode && d->car != CBSOM_CP_A && st.duty > 0 && st.duty < CBSOM_DUTY_MAX;
    st.hv_ready = !safe && (cp == CBSOM_CP_C || cp == CBSOM_CP_D) && !cbsom_device_estop(d);
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        st.contactor[i] = i < 2 ? (d->closed[i] ? CBSOM_CONT_CLOSED : CBSOM_CONT_OPEN) : CBSOM_CONT_UNUSED;
        st.estop[i] = d->estop[i] ? CBSOM_ESTOP_TRIPPED : i == 0 ? CBSOM_ESTOP_OK : CBSOM_ESTOP_UNUSED;
    }
    st.reason = safe ? d->reason : 0;
    cbsom_state_encode(&st, &f);
    cbsom_device_send(d, &f);
    struct cbsom_temps t;
    memset(&t, 0, sizeof t);
    t.deci_c[0] = 253;
    t.used[0] = true;
    cbsom_temps_encode(&t, &f);
    cbsom_device_send(d, &f);
}

void cbsom_device_step(struct cbsom_device *d, uint32_t now_ms)
{
    d->now_ms = now_ms;
    uint8_t buf[64];
    for (unsigned r = 0; r < 8; r++) {
        size_t n = 0;
        if (hal_serial_read(d->serial, buf, sizeof buf, &n) != HAL_OK) {
            break;
        }
        for (size_t i = 0; i < n && i < sizeof buf; i++) {
            struct cbsom_frame f;
            if (cbsom_parser_feed(&d->parser, buf[i], &f) && d->phase != CBSOM_DEV_BOOT) {
                cbsom_device_on_frame(d, &f);
            }
        }
    }
    if (d->phase == CBSOM_DEV_BOOT && now_ms - d->phase_ms >= d->cfg.boot_ms) {
        cbsom_device_reset(d, false, now_ms);
    }
    if (d->phase == CBSOM_DEV_RUNNING && now_ms - d->last_cc_ms > d->cfg.timeout_ms) {
        cbsom_device_safe(d, CBSOM_REASON_COMM_TIMEOUT);
    }
    if ((d->phase == CBSOM_DEV_RUNNING || d->phase == CBSOM_DEV_SAFE) && now_ms - d->last_tx_ms >= d->cfg.period_ms) {
        d->last_tx_ms = now_ms;
        cbsom_device_report(d);
    }
}
