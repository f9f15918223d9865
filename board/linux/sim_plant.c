/* TEST AID: see sim_plant.h. Nothing in this file drives hardware. */
#include "sim_plant.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hlc_din.h"

/* Mechanical delays, as board/sim/plant.c models them. */
#define SIM_PLANT_CONTACTOR_CLOSE_MS 30u
#define SIM_PLANT_CONTACTOR_OPEN_MS 20u
#define SIM_PLANT_LOCK_MOVE_MS 300u
#define SIM_PLANT_STEP_MS 5u
#define SIM_PLANT_TX_PERIOD_MS 20u
/* A car silent this long has been unplugged (or its process died). Not shorter: a TLS
 * handshake's public-key work holds the car's loop for several hundred ms in an emulated
 * VM, and on a loaded host (load 4+ on 2 cores, TCG) for over 1.5 s: faults-real saw a
 * plugged car read as unplugged in the middle of its handshake at 1.5 s. A busy car must
 * never read as an unplugged one; an explicit unplug is a message, so this only times out
 * a dead process, which may take a few seconds to notice. */
#define SIM_PLANT_WIRE_STALE_MS 6000u

static void sim_plant_violation(struct sim_plant *p, const char *what)
{
    p->mon.violations++;
    hal_logf(p->log, HAL_LOG_ERROR, p->now_ms, "sim-plant: SAFETY VIOLATION: %s", what);
}

/* The current the stage last measured (raw module readings, whatever the "off" proof
 * says), or the stage's output when it has no per-module detail; @p active (may be NULL)
 * gets the modules the driver counts in its capabilities. */
static int32_t sim_plant_measured_ma(struct sim_plant *p, bool *known, unsigned *active)
{
    struct psu_module mods[8];
    size_t n = 0;
    *known = false;
    if (active != NULL) {
        *active = 0;
    }
    if (psu_read_modules(p->psu.inner, mods, sizeof mods / sizeof mods[0], &n) == HAL_OK && n > 0) {
        int32_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (mods[i].online) {
                sum += mods[i].current_ma;
            }
            if (active != NULL && mods[i].active) {
                (*active)++;
            }
        }
        *known = true;
        return sum;
    }
    struct psu_output o;
    if (psu_read_output(p->psu.inner, &o, p->now_ms) == HAL_OK && o.valid) {
        *known = true;
        return o.current_ma;
    }
    return 0;
}

/* ---------------------------------------------------------------- power stage */

static int sim_plant_psu_mode(struct psu *base, enum psu_mode mode, uint32_t now_ms)
{
    struct sim_plant_psu *s = (struct sim_plant_psu *)base;
    if (mode == PSU_MODE_OFF && s->mode != PSU_MODE_OFF) {
        s->off_cmd_ms = s->plant->now_ms;
    }
    s->mode = mode;
    return psu_set_mode(s->inner, mode, now_ms);
}
static int sim_plant_psu_export(struct psu *base, uint32_t mv, uint32_t ma, uint32_t now_ms)
{
    return psu_set_export(((struct sim_plant_psu *)base)->inner, mv, ma, now_ms);
}
static int sim_plant_psu_read(struct psu *base, struct psu_output *out, uint32_t now_ms)
{
    return psu_read_output(((struct sim_plant_psu *)base)->inner, out, now_ms);
}
static int sim_plant_psu_caps(struct psu *base, struct psu_capabilities *caps)
{
    return psu_get_capabilities(((struct sim_plant_psu *)base)->inner, caps);
}
static int sim_plant_psu_tel(struct psu *base, struct psu_telemetry *t, uint32_t now_ms)
{
    return psu_read_telemetry(((struct sim_plant_psu *)base)->inner, t, now_ms);
}
static int sim_plant_psu_mods(struct psu *base, struct psu_module *out, size_t max, size_t *count)
{
    return psu_read_modules(((struct sim_plant_psu *)base)->inner, out, max, count);
}
static int sim_plant_psu_errors(struct psu *base, struct psu_error *out, size_t max, size_t *count)
{
    return psu_get_errors(((struct sim_plant_psu *)base)->inner, out, max, count);
}
static int sim_plant_psu_off_done(struct psu *base, uint32_t now_ms)
{
    return psu_off_done(((struct sim_plant_psu *)base)->inner, now_ms);
}

static const struct psu_ops s_sim_plant_psu_ops = {
    .set_mode = sim_plant_psu_mode,
    .set_export = sim_plant_psu_export,
    .read_output = sim_plant_psu_read,
    .get_capabilities = sim_plant_psu_caps,
    .read_telemetry = sim_plant_psu_tel,
    .read_modules = sim_plant_psu_mods,
    .get_errors = sim_plant_psu_errors,
    .off_done = sim_plant_psu_off_done,
};

/* ---------------------------------------------------------------- GPIO */

static int sim_plant_gpio_write(struct hal_gpio *base, enum hal_gpio_out out, bool active)
{
    struct sim_plant *p = ((struct sim_plant_gpio *)base)->plant;
    if ((unsigned)out >= HAL_GPIO_OUT_COUNT) {
        return HAL_EINVAL;
    }
    if (p->coil[out] == active) {
        return HAL_OK;
    }
    if (out == HAL_GPIO_OUT_CONTACTOR_POS || out == HAL_GPIO_OUT_CONTACTOR_NEG) {
        if (active) {
            p->mon.contactor_closes++;
            if (!p->locked) {
                sim_plant_violation(p, "contactor closed while the connector is not locked");
            }
            if (p->psu.mode != PSU_MODE_OFF) {
                sim_plant_violation(p, "contactor closed while the power stage is on");
            }
        } else {
            bool known = false;
            int32_t ma = sim_plant_measured_ma(p, &known, NULL);
            p->mon.contactor_opens++;
            p->mon.max_open_ma = ma > p->mon.max_open_ma ? ma : p->mon.max_open_ma;
            if (p->psu.mode != PSU_MODE_OFF) {
                sim_plant_violation(p, "contactor opened while the power stage is on");
            } else if (!known || ma > (int32_t)p->safe_current_ma) {
                if (p->now_ms - p->psu.off_cmd_ms >= p->grace_ms) {
                    if (out == HAL_GPIO_OUT_CONTACTOR_POS) {
                        p->mon.forced_opens++;
                        hal_logf(p->log, HAL_LOG_WARN, p->now_ms,
                                 "sim-plant: contactors forced open after the power-down timeout (%ld mA)",
                                 (long)ma);
                    }
                } else {
                    char what[96];
                    snprintf(what, sizeof what, "contactor opened at %ld mA%s, %lu ms after off",
                             (long)ma, known ? "" : " (unknown)",
                             (unsigned long)(p->now_ms - p->psu.off_cmd_ms));
                    sim_plant_violation(p, what);
                }
            } else if (out == HAL_GPIO_OUT_CONTACTOR_POS) {
                p->mon.opens_stage_off++;
            }
        }
    }
    if (out == HAL_GPIO_OUT_LOCK && !active && (p->contact_pos || p->contact_neg)) {
        sim_plant_violation(p, "unlock commanded while a contactor is closed");
    }
    p->coil[out] = active;
    p->coil_changed_ms[out] = p->now_ms;
    return HAL_OK;
}

static int sim_plant_gpio_read(struct hal_gpio *base, enum hal_gpio_in in, bool *active)
{
    struct sim_plant *p = ((struct sim_plant_gpio *)base)->plant;
    switch (in) {
    case HAL_GPIO_IN_CONTACTOR_POS_FB:
        *active = p->contact_pos;
        return HAL_OK;
    case HAL_GPIO_IN_CONTACTOR_NEG_FB:
        *active = p->contact_neg;
        return HAL_OK;
    case HAL_GPIO_IN_LOCK_FB:
        *active = p->locked;
        return HAL_OK;
    case HAL_GPIO_IN_ESTOP:
        *active = false;
        return HAL_OK;
    case HAL_GPIO_IN_COUNT:
        break;
    }
    return HAL_EINVAL;
}

static const struct hal_gpio_ops s_sim_plant_gpio_ops = {.write = sim_plant_gpio_write,
                                                         .read = sim_plant_gpio_read};

/* ---------------------------------------------------------------- pilot */

static int sim_plant_set_duty(struct hal_pilot *base, uint16_t duty)
{
    struct sim_plant *p = ((struct sim_plant_pilot *)base)->plant;
    if (duty > HAL_PILOT_DUTY_DC_HIGH) {
        return HAL_EINVAL;
    }
    p->duty = duty;
    return HAL_OK;
}

static int sim_plant_pilot_read(struct hal_pilot *base, struct hal_pilot_sample *s)
{
    struct sim_plant *p = ((struct sim_plant_pilot *)base)->plant;
    pilot_ev_sample(&p->ev, p->duty, s);
    return HAL_OK;
}

static int sim_plant_pp(struct hal_pilot *base, uint32_t *ohms)
{
    struct sim_plant *p = ((struct sim_plant_pilot *)base)->plant;
    *ohms = p->ev.plugged ? 220u : UINT32_MAX;
    return HAL_OK;
}

static const struct hal_pilot_ops s_sim_plant_pilot_ops = {
    .set_duty = sim_plant_set_duty, .read = sim_plant_pilot_read, .read_proximity = sim_plant_pp};

/* ---------------------------------------------------------------- the wire */

static void sim_plant_unplugged(struct sim_plant *p)
{
    if (p->ev.plugged) {
        hal_logf(p->log, HAL_LOG_INFO, p->now_ms, "sim-plant: car unplugged (pilot wire: state A)");
    }
    pilot_ev_set_s2(&p->ev, false);
    pilot_ev_plug(&p->ev, false);
    p->ev_closed = false;
}

static void sim_plant_parse(struct sim_plant *p, const char *msg)
{
    int plugged, s2, diode, closed, ocv;
    unsigned r;
    if (sscanf(msg, "ev plugged=%d s2=%d diode=%d closed=%d ocv_mv=%d r_mohm=%u", &plugged, &s2, &diode,
               &closed, &ocv, &r) != 6) {
        hal_logf(p->log, HAL_LOG_WARN, p->now_ms, "sim-plant: malformed pilot-wire message ignored");
        return;
    }
    p->last_rx_ms = p->now_ms;
    if (plugged && !p->ev.plugged) {
        p->mon.plugins++;
        hal_logf(p->log, HAL_LOG_INFO, p->now_ms, "sim-plant: car plugged in (pilot wire: state B)");
    }
    if (!plugged) {
        sim_plant_unplugged(p);
        return;
    }
    pilot_ev_plug(&p->ev, true);
    p->ev.diode_missing = diode == 0;
    (void)pilot_ev_set_s2(&p->ev, s2 != 0);
    p->ev_closed = closed != 0;
    p->ev_ocv_mv = ocv;
    p->ev_r_mohm = r;
}

static void sim_plant_load(struct sim_plant *p)
{
    if (p->load_fd < 0) {
        return;
    }
    bool path = p->contact_pos && p->contact_neg && p->ev_closed && p->ev.plugged;
    int want = path ? 1 : 0;
    int32_t dv = p->ev_ocv_mv - p->load_mv_sent;
    if (want == p->load_state && (want == 0 || (dv < 500 && dv > -500))) {
        return;
    }
    char cmd[64];
    int n = want ? snprintf(cmd, sizeof cmd, "load battery %.3f:%.3f\n", p->ev_ocv_mv / 1000.0,
                            p->ev_r_mohm / 1000.0)
                 : snprintf(cmd, sizeof cmd, "load open\n");
    if (write(p->load_fd, cmd, (size_t)n) == n) {
        p->load_state = want;
        p->load_mv_sent = p->ev_ocv_mv;
        p->mon.load_cmds++;
    }
}

static void sim_plant_send(struct sim_plant *p, bool force)
{
    if (!p->have_peer) {
        return;
    }
    struct psu_output o = {0};
    (void)psu_read_output(p->psu.inner, &o, p->now_ms);
    bool known = false;
    int32_t ma = sim_plant_measured_ma(p, &known, NULL);
    bool closed = p->contact_pos && p->contact_neg;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "evse duty=%u closed=%d locked=%d mv=%ld ma=%ld", (unsigned)p->duty,
                     closed ? 1 : 0, p->locked ? 1 : 0,
                     (long)o.voltage_mv, (long)(closed && known ? ma : 0));
    if (!force && strcmp(msg, p->last_tx) == 0 && p->now_ms - p->last_tx_ms < SIM_PLANT_TX_PERIOD_MS) {
        return;
    }
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    snprintf(to.sun_path, sizeof to.sun_path, "%s", p->peer);
    if (sendto(p->fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) == n) {
        p->mon.wire_tx++;
    }
    memcpy(p->last_tx, msg, (size_t)n + 1);
    p->last_tx_ms = p->now_ms;
}

static void sim_plant_mechanics(struct sim_plant *p)
{
    bool pos = p->coil[HAL_GPIO_OUT_CONTACTOR_POS], neg = p->coil[HAL_GPIO_OUT_CONTACTOR_NEG];
    uint32_t dpos = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_CONTACTOR_POS];
    uint32_t dneg = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_CONTACTOR_NEG];
    uint32_t dlock = p->now_ms - p->coil_changed_ms[HAL_GPIO_OUT_LOCK];
    if (pos != p->contact_pos &&
        dpos >= (pos ? SIM_PLANT_CONTACTOR_CLOSE_MS : SIM_PLANT_CONTACTOR_OPEN_MS)) {
        p->contact_pos = pos;
    }
    if (neg != p->contact_neg &&
        dneg >= (neg ? SIM_PLANT_CONTACTOR_CLOSE_MS : SIM_PLANT_CONTACTOR_OPEN_MS)) {
        p->contact_neg = neg;
    }
    bool lock = p->coil[HAL_GPIO_OUT_LOCK];
    if (lock != p->locked && dlock >= SIM_PLANT_LOCK_MOVE_MS) {
        if (!lock) {
            p->mon.unlocks++;
            if (p->contact_pos || p->contact_neg) {
                sim_plant_violation(p, "connector unlocked while a contactor is closed");
            } else {
                p->mon.unlocks_path_open++;
            }
        }
        p->locked = lock;
    }
}

/* The trace's bit names are the simulator judge's (board/sim/faults_check.h), written
 * as numbers so that this test aid does not depend on the simulator board. */
enum {
    SIM_PLANT_T_CPOS = 0x01, SIM_PLANT_T_CNEG = 0x02, SIM_PLANT_T_LOCKED = 0x04, SIM_PLANT_T_LOCKCOIL = 0x08,
    SIM_PLANT_T_STAGE = 0x10, SIM_PLANT_T_PWM = 0x20, SIM_PLANT_T_EXPORT = 0x80, SIM_PLANT_T_OFF_LONG = 0x100,
};

/* One trace line from the step's reading of the stage (@p measured, @p known, @p active). */
static void sim_plant_record(struct sim_plant *p, int32_t measured, bool known, unsigned active)
{
    bool path = p->contact_pos && p->contact_neg;
    /* Off for longer than the power-down timeout, less the 100 ms the interlock's own
     * step and the contactors' travel may take: a forced opening is legitimate from here. */
    uint32_t forced_after = p->grace_ms > 100u ? p->grace_ms - 100u : 0u;
    unsigned bits = (p->contact_pos ? SIM_PLANT_T_CPOS : 0) | (p->contact_neg ? SIM_PLANT_T_CNEG : 0) |
                    (p->locked ? SIM_PLANT_T_LOCKED : 0) | (p->coil[HAL_GPIO_OUT_LOCK] ? SIM_PLANT_T_LOCKCOIL : 0) |
                    (p->psu.mode == PSU_MODE_EXPORT || (known && measured > (int32_t)p->safe_current_ma / 4)
                         ? SIM_PLANT_T_STAGE : 0) |
                    (p->duty != HAL_PILOT_DUTY_DC_HIGH ? SIM_PLANT_T_PWM : 0) |
                    (p->psu.mode == PSU_MODE_EXPORT ? SIM_PLANT_T_EXPORT : 0) |
                    (p->psu.mode == PSU_MODE_OFF && p->now_ms - p->psu.off_cmd_ms >= forced_after
                         ? SIM_PLANT_T_OFF_LONG : 0);
    struct psu_output o;
    int32_t mv = psu_read_output(p->psu.inner, &o, p->now_ms) == HAL_OK && o.valid ? o.voltage_mv : 0;
    const struct charger *c = p->charger;
    unsigned evse = c != NULL && c->v2g ? hlc_din_status_code(charger_evse_status(c)->status) : 0xFFu;
    fprintf(p->trace, "%lu %ld %ld %u %u %u %u\n", (unsigned long)p->now_ms, (long)mv,
            (long)(path && known ? measured : 0), bits, c != NULL ? (unsigned)charger_state(c) : 0u, evse, active);
}

static void sim_plant_step(struct sched_task *t, uint32_t now_ms)
{
    struct sim_plant *p = t->ctx;
    p->now_ms = now_ms;
    char buf[128];
    struct sockaddr_un from;
    for (int k = 0; k < 16; k++) {
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(p->fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            break;
        }
        buf[n] = '\0';
        p->mon.wire_rx++;
        if (fl > offsetof(struct sockaddr_un, sun_path) && from.sun_path[0] != '\0') {
            snprintf(p->peer, sizeof p->peer, "%s", from.sun_path);
            p->have_peer = true;
        }
        sim_plant_parse(p, buf);
    }
    if (p->ev.plugged && now_ms - p->last_rx_ms > SIM_PLANT_WIRE_STALE_MS) {
        sim_plant_unplugged(p);
    }
    sim_plant_mechanics(p);
    bool known = false;
    unsigned active = 0;
    int32_t ma = sim_plant_measured_ma(p, &known, &active);
    if (p->contact_pos && p->contact_neg) {
        p->mon.max_ma = known && ma > p->mon.max_ma ? ma : p->mon.max_ma;
    }
    sim_plant_load(p);
    sim_plant_send(p, false);
    if (p->trace != NULL) {
        sim_plant_record(p, ma, known, active);
    }
    sched_task_at(t, now_ms + SIM_PLANT_STEP_MS);
}

int sim_plant_init(struct sim_plant *p, const char *wire_path, const char *load_fifo,
                   struct psu *inner, uint32_t safe_current_ma, uint32_t grace_ms,
                   struct linux_loop *loop, struct sched *s, struct hal_log *log, uint32_t now_ms)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->load_fd = -1;
    p->load_state = -1;
    p->log = log;
    p->now_ms = now_ms;
    p->safe_current_ma = safe_current_ma;
    p->grace_ms = grace_ms;
    p->psu.base.ops = &s_sim_plant_psu_ops;
    p->psu.inner = inner;
    p->psu.plant = p;
    p->gpio.base.ops = &s_sim_plant_gpio_ops;
    p->gpio.plant = p;
    p->pilot.base.ops = &s_sim_plant_pilot_ops;
    p->pilot.plant = p;
    p->duty = HAL_PILOT_DUTY_DC_HIGH;
    pilot_ev_init(&p->ev);

    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(wire_path) >= sizeof a.sun_path) {
        fprintf(stderr, "charger: --sim-plant: socket path too long: %s\n", wire_path);
        return HAL_EIO;
    }
    snprintf(a.sun_path, sizeof a.sun_path, "%s", wire_path);
    snprintf(p->path, sizeof p->path, "%s", wire_path);
    p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)unlink(wire_path);
    if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "charger: --sim-plant: cannot bind %s: %s\n", wire_path, strerror(errno));
        return HAL_EIO;
    }
    if (load_fifo != NULL) {
        p->load_fd = open(load_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (p->load_fd < 0) {
            fprintf(stderr, "charger: --sim-load: cannot open %s: %s (is infysim --ctl running?)\n",
                    load_fifo, strerror(errno));
            return HAL_EIO;
        }
    }
    (void)linux_loop_watch(loop, p->fd, POLLIN);
    sched_task_init(&p->task, "sim-plant", sim_plant_step, p, true);
    if (sched_add(s, &p->task, now_ms) != HAL_OK) {
        return HAL_EIO;
    }
    hal_logf(log, HAL_LOG_WARN, now_ms,
             "sim-plant: TEST AID: pilot, contactors and lock are SIMULATED (pilot wire %s)%s%s",
             wire_path, load_fifo != NULL ? ", load via " : "", load_fifo != NULL ? load_fifo : "");
    return HAL_OK;
}

int sim_plant_write_status(const struct sim_plant *p, const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return HAL_EIO;
    }
    const struct sim_plant_monitor *m = &p->mon;
    fprintf(f,
            "violations=%lu\ncontactor_closes=%lu\ncontactor_opens=%lu\nopens_stage_off=%lu\n"
            "forced_opens=%lu\nunlocks=%lu\nunlocks_path_open=%lu\nmax_open_ma=%ld\nmax_ma=%ld\nplugins=%lu\n"
            "wire_rx=%lu\nwire_tx=%lu\nload_cmds=%lu\nlocked=%d\ncontactors_closed=%d\n",
            (unsigned long)m->violations, (unsigned long)m->contactor_closes,
            (unsigned long)m->contactor_opens, (unsigned long)m->opens_stage_off,
            (unsigned long)m->forced_opens, (unsigned long)m->unlocks, (unsigned long)m->unlocks_path_open,
            (long)m->max_open_ma, (long)m->max_ma, (unsigned long)m->plugins, (unsigned long)m->wire_rx,
            (unsigned long)m->wire_tx, (unsigned long)m->load_cmds, p->locked ? 1 : 0,
            (p->contact_pos || p->contact_neg) ? 1 : 0);
    bool ok = fclose(f) == 0;
    return ok && rename(tmp, path) == 0 ? HAL_OK : HAL_EIO;
}

int sim_plant_trace_open(struct sim_plant *p, const char *path, const struct charger *charger)
{
    p->trace = fopen(path, "w");
    if (p->trace == NULL) {
        fprintf(stderr, "charger: --sim-trace: cannot create %s: %s\n", path, strerror(errno));
        return HAL_EIO;
    }
    /* Line-buffered: the fault harness follows the trace to strike in a given phase. */
    setvbuf(p->trace, NULL, _IOLBF, 0);
    p->charger = charger;
    return HAL_OK;
}

void sim_plant_close(struct sim_plant *p)
{
    if (p->trace != NULL) {
        fclose(p->trace);
        p->trace = NULL;
    }
    if (p->fd >= 0) {
        close(p->fd);
        (void)unlink(p->path);
        p->fd = -1;
    }
    if (p->load_fd >= 0) {
        close(p->load_fd);
        p->load_fd = -1;
    }
}
