/* chargesom.c - the Linux board's `board.io` wiring: for chargesom the co-processor's
 * tty, the protocol host over it, its task, and a log line for every phase change and
 * fault of the link; for kernel the kio port and its sampling task. Owns struct
 * board_chargesom and struct board_kio. */
#include "chargesom.h"

#include <poll.h>
#include <stdio.h>

static void board_chargesom_step(struct sched_task *t, uint32_t now_ms)
{
    struct board_chargesom *c = t->ctx;
    cbsom_host_step(&c->host, now_ms);
    if ((int)c->host.phase != c->logged_phase) {
        c->logged_phase = (int)c->host.phase;
        if (c->host.phase == CBSOM_HOST_FAULT) {
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
    sched_task_at(t, now_ms + BOARD_CHARGESOM_STEP_MS);
}

int board_chargesom_start(struct board_chargesom *c, const struct board_config *cfg, struct linux_loop *loop,
                          struct sched *s, struct hal_log *log, uint32_t now_ms)
{
    c->log = log;
    c->logged_phase = -1;
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
