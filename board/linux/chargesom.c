/* chargesom.c - the Linux board's `board.io` wiring: for chargesom the co-processor's
 * tty, the protocol host over it, its task, and a log line for every phase change and
 * fault of the link; for kernel the kio port and its sampling task. Owns struct
 * board_chargesom and struct board_kio. */
#include "chargesom.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The reset line (nSAFETY_RESET_INT, active-low: the kernel inverts, so "asserted" is a
 * logical 1), requested as an output released at start. */
static int board_chargesom_reset_set(void *ctx, bool asserted)
{
    struct board_chargesom *c = ctx;
    struct gpio_v2_line_values v = {.bits = asserted ? 1u : 0u, .mask = 1u};
    return ioctl(c->reset_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) == 0 ? HAL_OK : HAL_EIO;
}

/* "CHIP:LINE", LINE an offset or a line name on CHIP: the request's fd, or -1 with why. */
static int board_chargesom_reset_open(const char *spec, char *why, size_t why_len)
{
    char chip[BOARD_CONFIG_PATH_MAX];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof chip) {
        snprintf(why, why_len, "expected CHIP:LINE");
        return -1;
    }
    memcpy(chip, spec, (size_t)(colon - spec));
    chip[colon - spec] = '\0';
    const char *line = colon + 1;
    int fd = open(chip, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_len, "%s: %s", chip, strerror(errno));
        return -1;
    }
    struct gpiochip_info info;
    memset(&info, 0, sizeof info);
    if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info) != 0) {
        snprintf(why, why_len, "%s: not a GPIO chip (%s)", chip, strerror(errno));
        close(fd);
        return -1;
    }
    char *end = NULL;
    unsigned long off = strtoul(line, &end, 10);
    if (!isdigit((unsigned char)line[0]) || *end != '\0') {
        off = info.lines; /* a name: look for it */
        for (uint32_t i = 0; i < info.lines; i++) {
            struct gpio_v2_line_info li;
            memset(&li, 0, sizeof li);
            li.offset = i;
            if (ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &li) == 0 && strncmp(li.name, line, sizeof li.name) == 0) {
                off = i;
                break;
            }
        }
    }
    if (off >= info.lines) {
        snprintf(why, why_len, "%s has no line '%s' (%u lines)", chip, line, (unsigned)info.lines);
        close(fd);
        return -1;
    }
    struct gpio_v2_line_request req;
    memset(&req, 0, sizeof req);
    req.offsets[0] = (uint32_t)off;
    req.num_lines = 1;
    snprintf(req.consumer, sizeof req.consumer, "charger-cbsom-reset");
    req.config.flags = GPIO_V2_LINE_FLAG_OUTPUT | GPIO_V2_LINE_FLAG_ACTIVE_LOW;
    req.config.num_attrs = 1;
    req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
    req.config.attrs[0].attr.values = 0; /* released: the controller runs */
    req.config.attrs[0].mask = 1;
    if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req) != 0) {
        snprintf(why, why_len, "%s line %lu: %s", chip, off, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return req.fd;
}

static bool board_chargesom_session_over(const struct board_chargesom *c)
{
    if (c->charger == NULL) {
        return true;
    }
    enum charger_state s = charger_state(c->charger);
    /* and the interlock at rest: the restart must not land in its opening sequence (the
     * clearing after it would be refused as "still sequencing") */
    enum interlock_state il = interlock_state(&c->charger->il);
    return (s == CHARGER_IDLE || s == CHARGER_FINISHED || s == CHARGER_FAULT) &&
           (il == INTERLOCK_UNLOCKED || il == INTERLOCK_LOCKED || il == INTERLOCK_HELD ||
            il == INTERLOCK_DISCHARGING);
}

static void board_chargesom_log_recover(struct board_chargesom *c, enum cbsom_recover_event ev, uint32_t now_ms)
{
    const struct cbsom_recover *r = &c->recover;
    switch (ev) {
    case CBSOM_RECOVER_HOLDING:
        hal_logf(c->log, HAL_LOG_WARN, now_ms, "chargesom: session over; restarting the link in %lu ms (after: %s)",
                 (unsigned long)r->waited_ms, cbsom_host_fault_name(r->fault));
        break;
    case CBSOM_RECOVER_RESET:
        hal_logf(c->log, HAL_LOG_WARN, now_ms, "chargesom: reset line asserted for %lu ms (after: %s)",
                 (unsigned long)r->cfg.pulse_ms, cbsom_host_fault_name(r->fault));
        break;
    case CBSOM_RECOVER_RESET_FAILED:
    case CBSOM_RECOVER_RESTARTED:
        hal_logf(c->log, HAL_LOG_WARN, now_ms,
                 "chargesom: restart %lu of the link (after: %s%s); the next fault waits %lu ms",
                 (unsigned long)r->attempts, cbsom_host_fault_name(r->fault),
                 ev == CBSOM_RECOVER_RESET_FAILED ? "; the reset line failed" : "", (unsigned long)r->holdoff_ms);
        c->clear_pending = true;
        break;
    case CBSOM_RECOVER_STABLE:
        hal_logf(c->log, HAL_LOG_INFO, now_ms, "chargesom: link stable for %lu ms: back-off cleared",
                 (unsigned long)r->cfg.stable_ms);
        break;
    case CBSOM_RECOVER_NOTHING:
        break;
    }
}

/* The link runs again after a restart: the charger holds "feedback unreadable" because the
 * link failed, not because a contactor misbehaved. Cleared through the operator reset's
 * own checks (feedback readable and open, no e-stop, connector voltage known and safe):
 * what they refuse stays for a person, and the log says why. */
static void board_chargesom_clear_link_fault(struct board_chargesom *c, uint32_t now_ms)
{
    c->clear_pending = false;
    bool mine = c->link_failed && !c->held_before;
    bool clearable = c->clearable;
    c->link_failed = false;
    if (c->charger == NULL || !mine) {
        return;
    }
    const char *held = charger_held_fault(c->charger);
    if (held == NULL || strcmp(held, interlock_fault_name(INTERLOCK_FAULT_FEEDBACK_IO)) != 0) {
        return;
    }
    if (!clearable) {
        hal_logf(c->log, HAL_LOG_WARN, now_ms,
                 "chargesom: link running again; the charger's '%s' stays: the controller's safe state "
                 "named the power path (an operator reset clears it)",
                 held);
        return;
    }
    const char *why = "";
    enum charger_reset_result rr = charger_reset(c->charger, now_ms, &why);
    if (rr == CHARGER_RESET_DONE) {
        hal_logf(c->log, HAL_LOG_WARN, now_ms, "chargesom: link running again: the charger's '%s' cleared", held);
    } else {
        hal_logf(c->log, HAL_LOG_WARN, now_ms,
                 "chargesom: link running again, the charger's '%s' stays (%s): an operator reset clears it", held,
                 why);
    }
}

/* What the charger held before the first fault of a run of them, and whether any of them
 * may have been about the power path: the controller's safe state for anything but our
 * own silence (reason 2) names an e-stop, a contactor, a temperature or a residual current,
 * which the charger's "feedback unreadable" hides: that stays for a person. */
static void board_chargesom_on_fault(struct board_chargesom *c)
{
    const struct cbsom_state *st = cbsom_host_state(&c->host);
    bool estop = false;
    for (unsigned i = 0; st != NULL && i < 3; i++) {
        estop = estop || st->estop[i] == CBSOM_ESTOP_TRIPPED;
    }
    bool clearable = !estop && (c->host.fault != CBSOM_FAULT_SAFE_STATE ||
                                (st != NULL && st->reason == CBSOM_REASON_COMM_TIMEOUT));
    if (!c->link_failed) {
        c->link_failed = true;
        c->held_before = c->charger != NULL && charger_held_fault(c->charger) != NULL;
        c->clearable = clearable;
    } else {
        c->clearable = c->clearable && clearable;
    }
}

static void board_chargesom_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_chargesom *c = t->ctx;
    cbsom_host_step(&c->host, now_ms);
    enum cbsom_recover_event ev = cbsom_recover_step(&c->recover, &c->host, board_chargesom_session_over(c), now_ms);
    if ((int)c->host.phase != c->logged_phase) {
        c->logged_phase = (int)c->host.phase;
        if (c->host.phase == CBSOM_HOST_FAULT) {
            board_chargesom_on_fault(c);
            const struct cbsom_state *st = cbsom_host_state(&c->host);
            hal_logf(c->log, HAL_LOG_ERROR, now_ms,
                     "chargesom: fault: %s (safe-state reason %u); %lu frames in, %lu bad CRC, %lu bad frames, "
                     "%lu unknown ids",
                     cbsom_host_fault_name(c->host.fault), st != NULL ? st->reason : 0u,
                     (unsigned long)c->host.cnt.rx_frames, (unsigned long)c->host.cnt.bad_crc,
                     (unsigned long)c->host.cnt.bad_frame, (unsigned long)c->host.cnt.unknown_id);
        } else if (c->host.phase == CBSOM_HOST_RUNNING) {
            const struct cbsom_version *v = cbsom_host_version(&c->host);
            hal_logf(c->log, HAL_LOG_INFO, now_ms, "chargesom: running, firmware %u.%u.%u platform 0x%02X",
                     v->major, v->minor, v->build, v->platform);
        } else {
            hal_logf(c->log, HAL_LOG_DEBUG, now_ms, "chargesom: %s", cbsom_host_phase_name(c->host.phase));
        }
    }
    board_chargesom_log_recover(c, ev, now_ms);
    if (c->clear_pending && c->host.phase == CBSOM_HOST_RUNNING && cbsom_host_state(&c->host) != NULL) {
        board_chargesom_clear_link_fault(c, now_ms);
    }
    sched_task_at(t, now_ms + BOARD_CHARGESOM_STEP_MS);
}

void board_chargesom_attach(struct board_chargesom *c, struct charger *charger)
{
    c->charger = charger;
}

int board_chargesom_start(struct board_chargesom *c, const struct board_config *cfg, struct linux_loop *loop,
                          struct sched *s, struct hal_log *log, uint32_t now_ms)
{
    c->log = log;
    c->logged_phase = -1;
    c->reset_fd = -1;
    c->charger = NULL;
    if (linux_serial_init(&c->ser, cfg->chargesom_tty) != HAL_OK) {
        fprintf(stderr, "charger: chargesom.tty '%s': bad path\n", cfg->chargesom_tty);
        return -1;
    }
    struct hal_serial_config sc = {.baud = 115200}; /* 8N1, no flow control (spec §3.1) */
    int rc = hal_serial_open(&c->ser.base, &sc);
    if (rc != HAL_OK) {
        fprintf(stderr, "charger: chargesom.tty %s: %s\n", cfg->chargesom_tty, hal_strerror(rc));
        return -1;
    }
    struct cbsom_host_config hc;
    cbsom_host_default_config(&hc);
    hc.rx_timeout_ms = cfg->chargesom_timeout_ms;
    hc.rx_timeout_closed_ms = cfg->chargesom_timeout_closed_ms;
    hc.startup_ms = cfg->chargesom_startup_ms;
    if (cbsom_host_init(&c->host, &hc, &c->ser.base, now_ms) != HAL_OK) {
        fprintf(stderr, "charger: chargesom: bad settings\n");
        return -1;
    }
    if (cfg->chargesom_reset_gpio[0] != '\0') {
        char why[200];
        c->reset_fd = board_chargesom_reset_open(cfg->chargesom_reset_gpio, why, sizeof why);
        if (c->reset_fd < 0) {
            fprintf(stderr, "charger: chargesom.reset_gpio %s: %s\n", cfg->chargesom_reset_gpio, why);
            return -1;
        }
    }
    struct cbsom_recover_config rc_cfg;
    cbsom_recover_default_config(&rc_cfg);
    rc_cfg.enabled = cfg->chargesom_recover;
    rc_cfg.holdoff_ms = cfg->chargesom_recover_holdoff_ms;
    rc_cfg.holdoff_max_ms = cfg->chargesom_recover_holdoff_max_ms;
    rc_cfg.stable_ms = cfg->chargesom_recover_stable_ms;
    rc_cfg.pulse_ms = cfg->chargesom_reset_pulse_ms;
    if (cbsom_recover_init(&c->recover, &rc_cfg, c->reset_fd >= 0 ? board_chargesom_reset_set : NULL, c) != HAL_OK) {
        fprintf(stderr, "charger: chargesom.recover*: bad settings\n");
        return -1;
    }
    (void)linux_loop_watch(loop, linux_serial_fd(&c->ser), POLLIN);
    sched_task_init(&c->task, "chargesom", board_chargesom_step, c, true);
    if (sched_add(s, &c->task, now_ms) != HAL_OK) {
        fprintf(stderr, "charger: chargesom: no scheduler slot\n");
        return -1;
    }
    return 0;
}

void board_chargesom_close(struct board_chargesom *c, uint32_t now_ms)
{
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        (void)cbsom_host_set_contactor(&c->host, i, false);
    }
    cbsom_host_step(&c->host, now_ms);
    hal_serial_close(&c->ser.base);
    if (c->reset_fd >= 0) {
        (void)board_chargesom_reset_set(c, false); /* never leave the controller held in reset */
        close(c->reset_fd);
        c->reset_fd = -1;
    }
}

static void board_kio_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_kio *k = t->ctx;
    linux_kio_step(&k->kio, now_ms);
    /* The port keeps its own deadline (sample period, or the peak-detector phases). */
    sched_task_at(t, k->kio.due_ms);
}

int board_kio_config(const struct board_config *cfg, struct linux_kio_config *out, const char *path, FILE *err)
{
    int rc = 0;
    linux_kio_default_config(out);
    for (unsigned i = 0; i < BOARD_KIO_KEYS; i++) {
        char why[160];
        if (cfg->kio_text[i][0] != '\0' &&
            linux_kio_set(out, board_config_kio_names[i], cfg->kio_text[i], why, sizeof why) != HAL_OK) {
            fprintf(err, "%s: kio.%s: %s\n", path, board_config_kio_names[i], why);
            rc = -1;
        }
    }
    return rc;
}

int board_kio_start(struct board_kio *k, const struct board_config *cfg, struct sched *s, uint32_t now_ms)
{
    struct linux_kio_gpio_ops ops;
    struct linux_kio_config kc;
    char why[200];
    if (board_kio_config(cfg, &kc, "charger", stderr) != 0) {
        return -1;
    }
    linux_kio_real_ops(&ops);
    if (linux_kio_open(&k->kio, &kc, &ops, now_ms, why, sizeof why) != HAL_OK) {
        fprintf(stderr, "charger: board.io = kernel: %s\n", why);
        return -1;
    }
    sched_task_init(&k->task, "kio", board_kio_step, k, false);
    if (sched_add(s, &k->task, now_ms) != HAL_OK) {
        fprintf(stderr, "charger: board.io = kernel: no scheduler slot\n");
        return -1;
    }
    return 0;
}

void board_kio_close(struct board_kio *k)
{
    linux_kio_close(&k->kio);
}
