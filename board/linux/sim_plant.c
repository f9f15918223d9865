/* sim_plant.c - TEST AID (see sim_plant.h), owns struct sim_plant: the Linux board's
 * wiring of the simulation layer's EV plant (sim/plant.c, external form) to a car in
 * another process (the pilot wire), to infysim's load FIFO, to the status file and the
 * trace. The model, its ports and its safety monitor are the plant's. Nothing in this
 * file drives hardware. */
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

/* The plant moves its contacts and lock in these steps (their delays are 20 to 300 ms). */
#define SIM_PLANT_STEP_MS 5u
#define SIM_PLANT_TX_PERIOD_MS 20u
/* A car silent this long has been unplugged (or its process died). Not shorter: a TLS
 * handshake's public-key work holds the car's loop for several hundred ms in an emulated
 * VM, and on a loaded host (load 4+ on 2 cores, TCG) for over 1.5 s: faults-real saw a
 * plugged car read as unplugged in the middle of its handshake at 1.5 s. A busy car must
 * never read as an unplugged one; an explicit unplug is a message, so this only times out
 * a dead process, which may take a few seconds to notice. */
#define SIM_PLANT_WIRE_STALE_MS 6000u

/* ---------------------------------------------------------------- the wire */

static void sim_plant_unplugged(struct sim_plant *p)
{
    if (p->plant.ev.plugged) {
        hal_logf(p->log, HAL_LOG_INFO, p->now_ms, "sim-plant: car unplugged (pilot wire: state A)");
    }
    plant_ev_wire(&p->plant, false, false, false);
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
    if (plugged && !p->plant.ev.plugged) {
        p->cnt.plugins++;
        hal_logf(p->log, HAL_LOG_INFO, p->now_ms, "sim-plant: car plugged in (pilot wire: state B)");
    }
    if (!plugged) {
        sim_plant_unplugged(p);
        return;
    }
    plant_ev_wire(&p->plant, true, s2 != 0, diode == 0);
    p->ev_closed = closed != 0;
    p->ev_ocv_mv = ocv;
    p->ev_r_mohm = r;
}

static void sim_plant_load(struct sim_plant *p)
{
    if (p->load_fd < 0) {
        return;
    }
    bool path = p->plant.contact_pos && p->plant.contact_neg && p->ev_closed && p->plant.ev.plugged;
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
        p->cnt.load_cmds++;
    }
}

static void sim_plant_send(struct sim_plant *p, bool force)
{
    if (!p->have_peer) {
        return;
    }
    struct psu_output o = {0};
    (void)psu_read_output(&p->plant.psu.base, &o, p->now_ms);
    bool known = false;
    int32_t ma = plant_measured_ma(&p->plant, &known, NULL);
    bool closed = p->plant.contact_pos && p->plant.contact_neg;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "evse duty=%u closed=%d locked=%d mv=%ld ma=%ld", (unsigned)p->plant.duty,
                     closed ? 1 : 0, p->plant.locked ? 1 : 0,
                     (long)o.voltage_mv, (long)(closed && known ? ma : 0));
    if (!force && strcmp(msg, p->last_tx) == 0 && p->now_ms - p->last_tx_ms < SIM_PLANT_TX_PERIOD_MS) {
        return;
    }
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    snprintf(to.sun_path, sizeof to.sun_path, "%s", p->peer);
    if (sendto(p->fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) == n) {
        p->cnt.wire_tx++;
    }
    memcpy(p->last_tx, msg, (size_t)n + 1);
    p->last_tx_ms = p->now_ms;
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
    const struct plant *pl = &p->plant;
    bool path = pl->contact_pos && pl->contact_neg;
    /* Off for longer than the power-down timeout, less the 100 ms the interlock's own
     * step and the contactors' travel may take: a forced opening is legitimate from here. */
    uint32_t forced_after = pl->grace_ms > 100u ? pl->grace_ms - 100u : 0u;
    unsigned bits = (pl->contact_pos ? SIM_PLANT_T_CPOS : 0) | (pl->contact_neg ? SIM_PLANT_T_CNEG : 0) |
                    (pl->locked ? SIM_PLANT_T_LOCKED : 0) | (pl->coil[HAL_GPIO_OUT_LOCK] ? SIM_PLANT_T_LOCKCOIL : 0) |
                    (pl->psu.mode == PSU_MODE_EXPORT || (known && measured > (int32_t)pl->safe_current_ma / 4)
                         ? SIM_PLANT_T_STAGE : 0) |
                    (pl->duty != HAL_PILOT_DUTY_DC_HIGH ? SIM_PLANT_T_PWM : 0) |
                    (pl->psu.mode == PSU_MODE_EXPORT ? SIM_PLANT_T_EXPORT : 0) |
                    (pl->psu.mode == PSU_MODE_OFF && p->now_ms - pl->psu.off_cmd_ms >= forced_after
                         ? SIM_PLANT_T_OFF_LONG : 0);
    struct psu_output o;
    int32_t mv = psu_read_output((struct psu *)&pl->psu.base, &o, p->now_ms) == HAL_OK && o.valid ? o.voltage_mv : 0;
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
        p->cnt.wire_rx++;
        if (fl > offsetof(struct sockaddr_un, sun_path) && from.sun_path[0] != '\0') {
            snprintf(p->peer, sizeof p->peer, "%s", from.sun_path);
            p->have_peer = true;
        }
        sim_plant_parse(p, buf);
    }
    if (p->plant.ev.plugged && now_ms - p->last_rx_ms > SIM_PLANT_WIRE_STALE_MS) {
        sim_plant_unplugged(p);
    }
    plant_tick(&p->plant, now_ms);
    bool known = false;
    unsigned active = 0;
    int32_t ma = plant_measured_ma(&p->plant, &known, &active);
    if (p->plant.contact_pos && p->plant.contact_neg) {
        p->cnt.max_ma = known && ma > p->cnt.max_ma ? ma : p->cnt.max_ma;
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
    plant_init_external(&p->plant, "sim-plant", inner, safe_current_ma, grace_ms, log);
    p->plant.now_ms = now_ms;

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
    const struct plant_monitor *m = &p->plant.mon;
    const struct sim_plant_counters *c = &p->cnt;
    fprintf(f,
            "violations=%lu\ncontactor_closes=%lu\ncontactor_opens=%lu\nopens_stage_off=%lu\n"
            "forced_opens=%lu\nunlocks=%lu\nunlocks_path_open=%lu\nmax_open_ma=%ld\nmax_ma=%ld\nplugins=%lu\n"
            "wire_rx=%lu\nwire_tx=%lu\nload_cmds=%lu\nlocked=%d\ncontactors_closed=%d\n",
            (unsigned long)p->plant.violations, (unsigned long)m->contactor_closes,
            (unsigned long)m->contactor_opens, (unsigned long)m->opens_stage_off,
            (unsigned long)p->plant.forced_opens, (unsigned long)m->unlocks, (unsigned long)m->unlocks_path_open,
            (long)m->max_open_ma, (long)c->max_ma, (unsigned long)c->plugins, (unsigned long)c->wire_rx,
            (unsigned long)c->wire_tx, (unsigned long)c->load_cmds, p->plant.locked ? 1 : 0,
            (p->plant.contact_pos || p->plant.contact_neg) ? 1 : 0);
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
