/* cbsom_plant.c - the simulated plant's command verbs and the event record of a Charge SOM
 * safety controller (cbsom_plant.h), one code for tools/cbsomsim and the Cortex-M
 * co-processor image. Owns struct cbsom_watch; changes a cbsom_device only through its
 * own API (set_car, set_estop, reset). */
#include "cbsom_plant.h"

#include <stdio.h>
#include <string.h>

#define CBSOM_PLANT_WORDS 4u
#define CBSOM_PLANT_WORD_MAX 16u

/* Splits @p line into at most CBSOM_PLANT_WORDS blank-separated words (each cut to
 * CBSOM_PLANT_WORD_MAX - 1 characters); returns how many, or CBSOM_PLANT_WORDS + 1 when there
 * are more (no verb takes that many). */
static unsigned cbsom_plant_split(const char *line, char w[CBSOM_PLANT_WORDS][CBSOM_PLANT_WORD_MAX])
{
    unsigned n = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (*p == '\0') {
            return n;
        }
        if (n == CBSOM_PLANT_WORDS) {
            return n + 1u;
        }
        size_t k = 0;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            if (k + 1u < CBSOM_PLANT_WORD_MAX) {
                w[n][k++] = *p;
            }
            p++;
        }
        w[n][k] = '\0';
        n++;
    }
}

/* A decimal number of 1..9 digits, nothing else; false otherwise. */
static bool cbsom_plant_number(const char *s, uint32_t *v)
{
    uint32_t x = 0;
    size_t k = 0;
    for (; s[k] != '\0'; k++) {
        if (s[k] < '0' || s[k] > '9' || k >= 9u) {
            return false;
        }
        x = x * 10u + (uint32_t)(s[k] - '0');
    }
    *v = x;
    return k > 0u;
}

static enum cbsom_plant_result cbsom_plant_bad(struct cbsom_plant_cmd *out, const char *line, const char *why)
{
    /* The line is outside data: only its printable part is echoed, cut to fit. */
    char shown[64];
    size_t k = 0;
    for (size_t i = 0; line[i] != '\0' && k + 1u < sizeof shown; i++) {
        char c = line[i];
        if (c == '\r' || c == '\n') {
            continue;
        }
        shown[k++] = (c >= ' ' && c <= '~') ? c : '?';
    }
    shown[k] = '\0';
    (void)snprintf(out->reply, sizeof out->reply, "%s: %s", why, shown);
    out->result = CBSOM_PLANT_BAD;
    return out->result;
}

enum cbsom_plant_result cbsom_plant_command(struct cbsom_device *d, const char *line, uint32_t now_ms,
                                            struct cbsom_plant_cmd *out)
{
    char w[CBSOM_PLANT_WORDS][CBSOM_PLANT_WORD_MAX];
    uint32_t a = 0, b = 0;
    memset(out, 0, sizeof *out);
    unsigned n = cbsom_plant_split(line, w);
    if (n == 0u) {
        out->result = CBSOM_PLANT_EMPTY;
        return out->result;
    }
    out->result = CBSOM_PLANT_DONE;
    if (strcmp(w[0], "car") == 0) {
        if (n != 2u || w[1][1] != '\0' || w[1][0] < 'A' || w[1][0] > 'D') {
            return cbsom_plant_bad(out, line, "bad command (car A|B|C|D)");
        }
        cbsom_device_set_car(d, (enum cbsom_cp)(CBSOM_CP_A + (w[1][0] - 'A')), d->diode);
        (void)snprintf(out->reply, sizeof out->reply, "car %c", w[1][0]);
    } else if (strcmp(w[0], "diode") == 0) {
        if (n != 2u || !cbsom_plant_number(w[1], &a) || a > 1u) {
            return cbsom_plant_bad(out, line, "bad command (diode 0|1)");
        }
        cbsom_device_set_car(d, d->car, a != 0u);
    } else if (strcmp(w[0], "estop") == 0) {
        if (n != 3u || !cbsom_plant_number(w[1], &a) || !cbsom_plant_number(w[2], &b) || a < 1u || a > 3u ||
            b > 1u) {
            return cbsom_plant_bad(out, line, "bad command (estop 1..3 0|1)");
        }
        (void)snprintf(out->reply, sizeof out->reply, "e-stop %u %s", (unsigned)a, b != 0u ? "tripped" : "released");
        cbsom_device_set_estop(d, (unsigned)(a - 1u), b != 0u);
    } else if (n == 1u && (strcmp(w[0], "reboot") == 0 || strcmp(w[0], "reset") == 0)) {
        (void)snprintf(out->reply, sizeof out->reply, "%s", w[0]);
        cbsom_device_reset(d, w[0][4] == 'o', now_ms);
        out->why = "restart";
    } else if (strcmp(w[0], "timeout") == 0) {
        /* a lab knob: a test host that may be starved for longer than the protocol's
         * 300 ms (a loaded CI machine) is not a silent host */
        if (n != 2u || !cbsom_plant_number(w[1], &a) || a < 50u || a > 10000u) {
            return cbsom_plant_bad(out, line, "bad command (timeout 50..10000)");
        }
        d->cfg.timeout_ms = a;
        (void)snprintf(out->reply, sizeof out->reply, "host timeout %u ms", (unsigned)a);
    } else if (strcmp(w[0], "garbage") == 0) {
        if (n != 2u || !cbsom_plant_number(w[1], &a) || a == 0u || a > 4096u) {
            return cbsom_plant_bad(out, line, "bad command (garbage 1..4096)");
        }
        out->garbage = a;
        out->result = CBSOM_PLANT_GARBAGE;
    } else if (n == 1u && strcmp(w[0], "status") == 0) {
        cbsom_plant_status(d, out->reply, sizeof out->reply);
    } else if (n == 1u && strcmp(w[0], "quit") == 0) {
        out->result = CBSOM_PLANT_QUIT;
    } else {
        return cbsom_plant_bad(out, line, "unknown command");
    }
    return out->result;
}

void cbsom_plant_status(const struct cbsom_device *d, char *buf, size_t size)
{
    static const char *const phases[] = {"boot", "init", "running", "safe"};
    (void)snprintf(buf, size, "status: %s, cp %s, car %s, contactors %s %s, %lu control frames, %lu bad CRC, %lu bad frames",
                   phases[(unsigned)d->phase & 3u], cbsom_cp_name(cbsom_device_cp(d)), cbsom_cp_name(d->car),
                   d->closed[0] ? "closed" : "open", d->closed[1] ? "closed" : "open", (unsigned long)d->rx_cc,
                   (unsigned long)d->parser.bad_crc, (unsigned long)d->parser.bad_frame);
}

void cbsom_watch_init(struct cbsom_watch *w, const struct cbsom_device *d)
{
    w->phase = d->phase;
    w->cc = d->cc;
    memcpy(w->closed, d->closed, sizeof w->closed);
}

unsigned cbsom_watch_poll(struct cbsom_watch *w, const struct cbsom_device *d, const char *why,
                          cbsom_plant_emit_fn emit, void *ctx)
{
    char line[CBSOM_PLANT_LINE_MAX];
    unsigned lines = 0;
    if (d->phase != w->phase) {
        if (d->phase == CBSOM_DEV_RUNNING) {
            emit(ctx, "running (first ChargeControl1)");
            lines++;
        } else if (d->phase == CBSOM_DEV_INIT && w->phase == CBSOM_DEV_BOOT) {
            emit(ctx, "init (after reboot)");
            lines++;
        }
    }
    if (d->phase == CBSOM_DEV_RUNNING && (d->cc.pwm_active != w->cc.pwm_active || d->cc.duty != w->cc.duty)) {
        (void)snprintf(line, sizeof line, "pilot %s duty %u", d->cc.pwm_active ? "on" : "off", (unsigned)d->cc.duty);
        emit(ctx, line);
        lines++;
    }
    for (unsigned i = 0; i < CBSOM_CONTACTORS; i++) {
        if (d->closed[i] != w->closed[i]) {
            if (why != NULL) {
                (void)snprintf(line, sizeof line, "contactor %u %s (%s)", i + 1u, d->closed[i] ? "closed" : "open", why);
            } else {
                (void)snprintf(line, sizeof line, "contactor %u %s (cp %s)", i + 1u, d->closed[i] ? "closed" : "open",
                               cbsom_cp_name(cbsom_device_cp(d)));
            }
            emit(ctx, line);
            lines++;
        }
        w->closed[i] = d->closed[i];
    }
    if (d->phase == CBSOM_DEV_SAFE && w->phase != CBSOM_DEV_SAFE) {
        (void)snprintf(line, sizeof line, "safe state, reason %u, host silent for %lu ms", (unsigned)d->reason,
                       (unsigned long)d->silent_ms);
        emit(ctx, line);
        lines++;
    }
    w->phase = d->phase;
    w->cc = d->cc;
    return lines;
}
