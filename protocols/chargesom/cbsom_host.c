/* cbsom_host.c - the host side of the Charge SOM safety controller: start-up handshake,
 * cyclic ChargeControl1, ChargeState1 supervision and the pilot and GPIO ports over them
 * (see cbsom_host.h for the mapping and the faults). Owns struct cbsom_host. */
#include "cbsom_host.h"

#include <stddef.h>
#include <string.h>

#define CBSOM_HOST_READ_CHUNK 64u
#define CBSOM_HOST_READS_PER_STEP 8u /* bounds one pass; the rest waits for the next */

static struct cbsom_host *cbsom_host_of_pilot(struct hal_pilot *p)
{
    return (struct cbsom_host *)(void *)((char *)p - offsetof(struct cbsom_host, pilot));
}

static struct cbsom_host *cbsom_host_of_gpio(struct hal_gpio *g)
{
    return (struct cbsom_host *)(void *)((char *)g - offsetof(struct cbsom_host, gpio));
}

void cbsom_host_default_config(struct cbsom_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->period_ms = 100;
    cfg->rx_timeout_ms = 1000;
    cfg->rx_timeout_closed_ms = 350;
    cfg->startup_ms = 300;
    cfg->inquiry_timeout_ms = 100;
    cfg->inquiry_tries = 3;
    cfg->echo_timeout_ms = 1000;
}

static void cbsom_host_fail(struct cbsom_host *h, enum cbsom_host_fault f)
{
    if (h->phase == CBSOM_HOST_FAULT) {
        return; /* the first cause stays */
    }
    h->phase = CBSOM_HOST_FAULT;
    h->fault = f;
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        h->ctl.contactor[i] = false;
        h->closed_seen[i] = false;
    }
    h->dirty = true;
}

static void cbsom_host_queue(struct cbsom_host *h, const struct cbsom_frame *f)
{
    if ((size_t)h->tx_len + CBSOM_FRAME_LEN > sizeof h->tx) {
        /* The UART takes nothing: a stale frame is worth less than the next one. */
        h->cnt.tx_dropped++;
        return;
    }
    cbsom_frame_encode(f, &h->tx[h->tx_len]);
    h->tx_len = (uint8_t)(h->tx_len + CBSOM_FRAME_LEN);
    h->cnt.tx_frames++;
}

static void cbsom_host_flush(struct cbsom_host *h)
{
    while (h->tx_len > 0) {
        size_t n = 0;
        int rc = hal_serial_write(h->serial, h->tx, h->tx_len, &n);
        if (rc == HAL_EAGAIN) {
            return;
        }
        if (rc != HAL_OK || n == 0 || n > h->tx_len) {
            h->tx_len = 0;
            cbsom_host_fail(h, CBSOM_FAULT_SERIAL);
            return;
        }
        memmove(h->tx, &h->tx[n], h->tx_len - n);
        h->tx_len = (uint8_t)(h->tx_len - n);
    }
}

static void cbsom_host_send_control(struct cbsom_host *h)
{
    struct cbsom_frame f;
    cbsom_control_encode(&h->ctl, &f);
    cbsom_host_queue(h, &f);
    h->last_tx_ms = h->now_ms;
    h->dirty = false;
}

static void cbsom_host_send_inquiry(struct cbsom_host *h)
{
    struct cbsom_frame f;
    cbsom_inquiry_encode(CBSOM_ID_FW_VERSION, &f);
    cbsom_host_queue(h, &f);
    h->phase_ms = h->now_ms;
}


static int cbsom_host_set_duty(struct hal_pilot *p, uint16_t duty)
{
    struct cbsom_host *h = cbsom_host_of_pilot(p);
    if (duty > CBSOM_DUTY_MAX) {
        return HAL_EINVAL;
    }
    if (!h->ctl.pwm_active || h->ctl.duty != duty) {
        h->ctl.pwm_active = true;
        h->ctl.duty = duty;
        h->dirty = true;
    }
    return h->phase == CBSOM_HOST_FAULT ? HAL_EIO : HAL_OK;
}

static int cbsom_host_read_pilot(struct hal_pilot *p, struct hal_pilot_sample *s)
{
    struct cbsom_host *h = cbsom_host_of_pilot(p);
    if (h->phase == CBSOM_HOST_FAULT) {
        return HAL_EIO;
    }
    if (h->phase != CBSOM_HOST_RUNNING || !h->have_state) {
        return HAL_EAGAIN;
    }
    if (h->state.pwm_active != h->ctl.pwm_active || (h->ctl.pwm_active && h->state.duty != h->ctl.duty)) {
        /* The MCU has not applied the last duty yet (it reports every 100 ms): its CP
         * state belongs to the old output, and read against the new one a B without PWM
         * would look like a missing diode. */
        return HAL_EAGAIN;
    }
    static const int32_t plateau[] = {0, 12000, 9000, 6000, 3000, 0, -12000, 0};
    enum cbsom_cp cp = h->state.cp;
    if (cp == CBSOM_CP_UNKNOWN) {
        return HAL_EAGAIN; /* the MCU has not classified yet */
    }
    if (cp == CBSOM_CP_INVALID) {
        return HAL_EIO;
    }
    if (h->state.cp_short) {
        cp = CBSOM_CP_E;
    }
    s->high_mv = plateau[cp];
    s->low_mv = s->high_mv;
    if (h->state.pwm_active && h->state.duty > 0 && h->state.duty < CBSOM_DUTY_MAX && cp != CBSOM_CP_E &&
        cp != CBSOM_CP_F) {
        s->low_mv = h->state.diode_fault ? -s->high_mv : -12000;
    }
    return HAL_OK;
}

static int cbsom_host_read_pp(struct hal_pilot *p, uint32_t *ohms)
{
    struct cbsom_host *h = cbsom_host_of_pilot(p);
    static const uint32_t nominal[] = {UINT32_MAX, 1500, 680, 220, 100, 150, 150, 0};
    if (!h->cfg.pp) {
        return HAL_ENOTSUP;
    }
    if (h->phase != CBSOM_HOST_RUNNING || !h->have_state || h->state.pp == 7) {
        return HAL_EIO;
    }
    *ohms = nominal[h->state.pp & 7u];
    return HAL_OK;
}

static const struct hal_pilot_ops cbsom_host_pilot_ops = {
    .set_duty = cbsom_host_set_duty, .read = cbsom_host_read_pilot, .read_proximity = cbsom_host_read_pp};

int cbsom_host_set_contactor(struct cbsom_host *h, unsigned idx, bool closed)
{
    if (idx >= CBSOM_CONTACTORS) {
        return HAL_EINVAL;
    }
    if (h->phase == CBSOM_HOST_FAULT && closed) {
        return HAL_EIO; /* never close into a fault */
    }
    if (h->ctl.contactor[idx] != closed) {
        h->ctl.contactor[idx] = closed;
        h->closed_seen[idx] = false;
        h->dirty = true;
    }
    return h->phase == CBSOM_HOST_FAULT ? HAL_EIO : HAL_OK;
}

void cbsom_host_pilot_off(struct cbsom_host *h)
{
    if (h->ctl.pwm_active || h->ctl.duty != 0) {
        h->ctl.pwm_active = false;
        h->ctl.duty = 0;
        h->dirty = true;
    }
}

static int cbsom_host_gpio_write(struct hal_gpio *g, enum hal_gpio_out out, bool active)
{
    struct cbsom_host *h = cbsom_host_of_gpio(g);
    switch (out) {
    case HAL_GPIO_OUT_CONTACTOR_POS:
        return cbsom_host_set_contactor(h, 0, active);
    case HAL_GPIO_OUT_CONTACTOR_NEG:
        return cbsom_host_set_contactor(h, 1, active);
    case HAL_GPIO_OUT_LOCK:
        h->lock = active;
        return HAL_OK;
    default:
        return HAL_EINVAL;
    }
}

static bool cbsom_host_estop(const struct cbsom_host *h)
{
    for (unsigned i = 0; i < 3; i++) {
        if (h->state.estop[i] == CBSOM_ESTOP_TRIPPED) {
            return true;
        }
    }
    return h->state.safe_state == 1 && h->state.reason >= CBSOM_REASON_ESTOP1 &&
           h->state.reason <= CBSOM_REASON_ESTOP3;
}

static int cbsom_host_gpio_read(struct hal_gpio *g, enum hal_gpio_in in, bool *active)
{
    struct cbsom_host *h = cbsom_host_of_gpio(g);
    if ((unsigned)in >= HAL_GPIO_IN_COUNT) {
        return HAL_EINVAL;
    }
    if (in == HAL_GPIO_IN_LOCK_FB) {
        *active = h->lock;
        return HAL_OK;
    }
    if (in == HAL_GPIO_IN_ESTOP && h->have_state && (h->phase == CBSOM_HOST_RUNNING || h->fault == CBSOM_FAULT_SAFE_STATE)) {
        /* An e-stop behind a safe state is reported as what it is. */
        *active = cbsom_host_estop(h);
        return HAL_OK;
    }
    if (h->phase == CBSOM_HOST_FAULT) {
        return HAL_EIO;
    }
    if (!h->have_state) {
        /* Before the MCU reported: nothing can be closed (it closes only after running),
         * and an e-stop is not yet known to be pressed. */
        *active = false;
        return HAL_OK;
    }
    if (in == HAL_GPIO_IN_ESTOP) {
        *active = cbsom_host_estop(h);
        return HAL_OK;
    }
    enum cbsom_contactor c = h->state.contactor[in == HAL_GPIO_IN_CONTACTOR_POS_FB ? 0 : 1];
    if (c == CBSOM_CONT_UNDEFINED) {
        return HAL_EIO;
    }
    *active = c == CBSOM_CONT_CLOSED;
    return HAL_OK;
}

static const struct hal_gpio_ops cbsom_host_gpio_ops = {.write = cbsom_host_gpio_write,
                                                        .read = cbsom_host_gpio_read};

int cbsom_host_init(struct cbsom_host *h, const struct cbsom_host_config *cfg, struct hal_serial *serial,
                    uint32_t now_ms)
{
    if (h == NULL || cfg == NULL || serial == NULL || cfg->period_ms == 0 || cfg->rx_timeout_ms == 0 || cfg->rx_timeout_closed_ms == 0 ||
        cfg->inquiry_timeout_ms == 0 || cfg->inquiry_tries == 0 || cfg->echo_timeout_ms == 0) {
        return HAL_EINVAL;
    }
    memset(h, 0, sizeof *h);
    h->pilot.ops = &cbsom_host_pilot_ops;
    h->gpio.ops = &cbsom_host_gpio_ops;
    h->serial = serial;
    h->cfg = *cfg;
    cbsom_parser_init(&h->parser);
    h->now_ms = now_ms;
    h->phase = CBSOM_HOST_STARTUP;
    h->phase_ms = now_ms;
    return HAL_OK;
}

void cbsom_host_restart(struct cbsom_host *h, uint32_t now_ms)
{
    h->now_ms = now_ms;
    h->phase = CBSOM_HOST_STARTUP;
    h->phase_ms = now_ms;
    h->fault = CBSOM_FAULT_NONE;
    h->have_state = false;
    h->have_temps = false;
    h->have_version = false;
    h->echo_wait = false;
    h->tries = 0;
    h->tx_len = 0;
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        h->ctl.contactor[i] = false;
        h->closed_seen[i] = false;
    }
    cbsom_parser_flush(&h->parser);
    h->cnt.restarts++;
}

static bool cbsom_host_version_ok(const struct cbsom_version *v)
{
    /* ChargeState1's contactor fields changed with ra-utils v0.9.0; the firmware shipped
     * with it is 0.3.x. Older firmware would have its feedback misread: refuse it. */
    return v->major > 0 || v->minor >= 3;
}

static void cbsom_host_on_state(struct cbsom_host *h, const struct cbsom_state *s)
{
    h->state = *s;
    h->have_state = true;
    h->last_rx_ms = h->now_ms;
    if (s->safe_state == 1) {
        cbsom_host_fail(h, CBSOM_FAULT_SAFE_STATE);
        return;
    }
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (!h->ctl.contactor[i]) {
            continue;
        }
        if (s->contactor[i] == CBSOM_CONT_CLOSED) {
            h->closed_seen[i] = true;
        } else if (h->closed_seen[i] && (s->cp == CBSOM_CP_A || s->cp == CBSOM_CP_B)) {
            /* The co-processor's own gate (spec §3.5: contactors only in C/D): the car
             * left C and it opened them, as documented. Reported as open feedback; the
             * charger's interlock decides what that means. A drop with the car still in
             * C (or after a reboot that reports no valid CP) stays a lost contactor. */
            h->closed_seen[i] = false;
        } else if (h->closed_seen[i]) {
            cbsom_host_fail(h, CBSOM_FAULT_CONTACTOR_LOST);
            return;
        }
    }
    bool echoed = s->pwm_active == h->ctl.pwm_active && (!h->ctl.pwm_active || s->duty == h->ctl.duty);
    if (echoed) {
        h->echo_wait = false;
    } else if (!h->echo_wait) {
        h->echo_wait = true;
        h->echo_since_ms = h->now_ms;
    }
}

static void cbsom_host_on_frame(struct cbsom_host *h, const struct cbsom_frame *f)
{
    struct cbsom_state s;
    struct cbsom_version v;
    switch (f->id) {
    case CBSOM_ID_CHARGE_STATE1:
        if (!cbsom_state_decode(f, &s)) {
            h->cnt.bad_signal++;
            return;
        }
        h->cnt.rx_frames++;
        /* Before the handshake the MCU is in init: its state says nothing yet. */
        if (h->phase == CBSOM_HOST_RUNNING) {
            cbsom_host_on_state(h, &s);
        }
        return;
    case CBSOM_ID_PT1000:
        (void)cbsom_temps_decode(f, &h->temps);
        h->have_temps = true;
        h->cnt.rx_frames++;
        return;
    case CBSOM_ID_FW_VERSION:
        (void)cbsom_version_decode(f, &v);
        h->cnt.rx_frames++;
        if (h->phase == CBSOM_HOST_INQUIRE) {
            h->version = v;
            h->have_version = true;
        }
        return;
    case CBSOM_ID_ERROR:
        (void)cbsom_error_decode(f, &h->last_error);
        h->cnt.errors++;
        h->cnt.rx_frames++;
        return;
    case CBSOM_ID_GIT_HASH:
    case CBSOM_ID_ACTION:
        h->cnt.rx_frames++;
        return;
    default:
        h->cnt.unknown_id++;
        return;
    }
}

static void cbsom_host_receive(struct cbsom_host *h)
{
    uint8_t buf[CBSOM_HOST_READ_CHUNK];
    for (unsigned r = 0; r < CBSOM_HOST_READS_PER_STEP; r++) {
        size_t n = 0;
        int rc = hal_serial_read(h->serial, buf, sizeof buf, &n);
        if (rc == HAL_EAGAIN || rc == HAL_EPROTO) {
            /* EPROTO: a byte with a line error was dropped; the framing check sees it. */
            if (rc == HAL_EAGAIN) {
                break;
            }
            continue;
        }
        if (rc != HAL_OK) {
            cbsom_host_fail(h, CBSOM_FAULT_SERIAL);
            break;
        }
        for (size_t i = 0; i < n && i < sizeof buf; i++) {
            struct cbsom_frame f;
            if (cbsom_parser_feed(&h->parser, buf[i], &f)) {
                cbsom_host_on_frame(h, &f);
            }
        }
    }
    h->cnt.bad_crc = h->parser.bad_crc;
    h->cnt.bad_frame = h->parser.bad_frame;
    h->cnt.skipped = h->parser.skipped;
}

void cbsom_host_step(struct cbsom_host *h, uint32_t now_ms)
{
    h->now_ms = now_ms;
    cbsom_host_receive(h);
    switch (h->phase) {
    case CBSOM_HOST_STARTUP:
        if (now_ms - h->phase_ms >= h->cfg.startup_ms) {
            cbsom_parser_flush(&h->parser); /* whatever the boot left on the line */
            h->phase = CBSOM_HOST_INQUIRE;
            h->tries = 1;
            cbsom_host_send_inquiry(h);
        }
        break;
    case CBSOM_HOST_INQUIRE:
        if (h->have_version) {
            if (!cbsom_host_version_ok(&h->version)) {
                cbsom_host_fail(h, CBSOM_FAULT_BAD_VERSION);
                break;
            }
            h->phase = CBSOM_HOST_RUNNING;
            h->phase_ms = now_ms;
            h->last_rx_ms = now_ms; /* the MCU starts reporting after our first frame */
            cbsom_host_send_control(h);
        } else if (now_ms - h->phase_ms >= h->cfg.inquiry_timeout_ms) {
            if (h->tries >= h->cfg.inquiry_tries) {
                cbsom_host_fail(h, CBSOM_FAULT_NO_VERSION);
            } else {
                h->tries++;
                cbsom_host_send_inquiry(h);
            }
        }
        break;
    case CBSOM_HOST_RUNNING: {
        /* Bytes that waited in the tty while this process was not scheduled were read
         * above: only the co-processor's own silence gets here, never our stall. */
        uint32_t limit = h->cfg.rx_timeout_ms;
        for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
            if ((h->ctl.contactor[i] || (h->have_state && h->state.contactor[i] == CBSOM_CONT_CLOSED)) &&
                h->cfg.rx_timeout_closed_ms < limit) {
                limit = h->cfg.rx_timeout_closed_ms;
            }
        }
        if (now_ms - h->last_rx_ms > limit) {
            cbsom_host_fail(h, CBSOM_FAULT_SILENT);
        } else if (h->echo_wait && now_ms - h->echo_since_ms > h->cfg.echo_timeout_ms) {
            cbsom_host_fail(h, CBSOM_FAULT_NO_ECHO);
        }
        break;
    }
    case CBSOM_HOST_FAULT:
    default:
        break;
    }
    /* Running or failed, the MCU hears from us: in a fault the requests say "open". A
     * fault during the handshake sends nothing: the MCU is still in init, CP E. */
    bool talking = h->phase == CBSOM_HOST_RUNNING || (h->phase == CBSOM_HOST_FAULT && h->have_version &&
                                                       h->fault != CBSOM_FAULT_BAD_VERSION);
    if (talking && (h->dirty || now_ms - h->last_tx_ms >= h->cfg.period_ms)) {
        cbsom_host_send_control(h);
    }
    cbsom_host_flush(h);
}

const struct cbsom_state *cbsom_host_state(const struct cbsom_host *h)
{
    return h->have_state ? &h->state : NULL;
}

const struct cbsom_temps *cbsom_host_temps(const struct cbsom_host *h)
{
    return h->have_temps ? &h->temps : NULL;
}

const struct cbsom_version *cbsom_host_version(const struct cbsom_host *h)
{
    return h->have_version ? &h->version : NULL;
}

const char *cbsom_host_fault_name(enum cbsom_host_fault f)
{
    static const char *const names[] = {"none",        "co-processor silent", "no version answer",
                                        "unsupported firmware", "co-processor safe state",
                                        "duty not echoed", "contactor dropped while requested",
                                        "UART failed"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

const char *cbsom_host_phase_name(enum cbsom_host_phase p)
{
    static const char *const names[] = {"startup", "inquire", "running", "fault"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}
