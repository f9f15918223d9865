/* sim_cbsom_plant.c - owns struct sim_cbsom_plant: the car, the power stage and the
 * independent record around a simulated Charge SOM controller (tools/cbsomsim), so the
 * real-transport fault scenarios judge the plant from outside the charger under test.
 * Host-only (sim/); the controller's own rules stay in protocols/chargesom/cbsom_device.c. */
#include "sim_cbsom_plant.h"

#include <stdio.h>
#include <string.h>

#include "faults_check.h"
#include "hal_pilot.h"

void sim_cbsom_plant_init(struct sim_cbsom_plant *p, uint32_t power_down_ms, uint32_t now_ms)
{
    memset(p, 0, sizeof *p);
    /* As --sim-plant: the interlock's own step and the contactors' travel may take 100 ms
     * after the power-down timeout before a forced opening shows. */
    p->forced_after_ms = power_down_ms > 100u ? power_down_ms - 100u : 0u;
    p->off_since_ms = now_ms;
    p->load_state = -1;
}

int sim_cbsom_plant_parse_car(const char *msg, struct sim_cbsom_car *car)
{
    int plugged, s2, diode, closed;
    long ocv;
    unsigned long r;
    char tail;
    if (sscanf(msg, "ev plugged=%d s2=%d diode=%d closed=%d ocv_mv=%ld r_mohm=%lu%c", &plugged, &s2, &diode,
               &closed, &ocv, &r, &tail) != 6 ||
        plugged < 0 || plugged > 1 || s2 < 0 || s2 > 1 || diode < 0 || diode > 1 || closed < 0 || closed > 1 ||
        ocv < 0 || ocv > 2000000 || r > 100000000ul) {
        return -1;
    }
    *car = (struct sim_cbsom_car){plugged != 0, s2 != 0, diode != 0, closed != 0, (int32_t)ocv, (uint32_t)r};
    return 0;
}

int sim_cbsom_plant_parse_stage(const char *msg, struct sim_cbsom_stage *st)
{
    int on;
    long mv, ma;
    unsigned long quiet;
    char tail;
    if (sscanf(msg, "stage on=%d mv=%ld ma=%ld quiet_ms=%lu%c", &on, &mv, &ma, &quiet, &tail) != 4 || on < 0 ||
        on > 1 || mv < -2000000 || mv > 2000000 || ma < -2000000 || ma > 2000000 || quiet > 0xFFFFFFFFul) {
        return -1;
    }
    *st = (struct sim_cbsom_stage){on != 0, (int32_t)mv, (int32_t)ma, (uint32_t)quiet};
    return 0;
}

int sim_cbsom_plant_format_stage(char *buf, size_t cap, const struct sim_cbsom_stage *st)
{
    return snprintf(buf, cap, "stage on=%d mv=%ld ma=%ld quiet_ms=%lu", st->on ? 1 : 0, (long)st->mv,
                    (long)st->ma, (unsigned long)st->quiet_ms);
}

int sim_cbsom_plant_car_msg(struct sim_cbsom_plant *p, const char *msg, uint32_t now_ms)
{
    struct sim_cbsom_car c;
    if (sim_cbsom_plant_parse_car(msg, &c) != 0) {
        p->car_bad++;
        return -1;
    }
    bool was = p->car_seen && p->car.plugged && now_ms - p->car_rx_ms <= SIM_CBSOM_CAR_STALE_MS;
    if (c.plugged && !was) {
        p->plugins++;
    }
    p->car = c;
    p->car_seen = true;
    p->car_rx_ms = now_ms;
    p->car_rx++;
    return 0;
}

int sim_cbsom_plant_stage_msg(struct sim_cbsom_plant *p, const char *msg, uint32_t now_ms)
{
    struct sim_cbsom_stage st;
    if (sim_cbsom_plant_parse_stage(msg, &st) != 0) {
        p->stage_bad++;
        return -1;
    }
    if (p->stage.on && !st.on) {
        p->off_since_ms = now_ms;
    }
    p->stage = st;
    p->stage_rx++;
    return 0;
}

static bool plant_car_plugged(const struct sim_cbsom_plant *p, uint32_t now_ms)
{
    return p->car_seen && p->car.plugged && now_ms - p->car_rx_ms <= SIM_CBSOM_CAR_STALE_MS;
}

enum cbsom_cp sim_cbsom_plant_cp(const struct sim_cbsom_plant *p, uint32_t now_ms)
{
    if (!plant_car_plugged(p, now_ms)) {
        return CBSOM_CP_A;
    }
    return p->car.s2 ? CBSOM_CP_C : CBSOM_CP_B;
}

static bool plant_path(const struct cbsom_device *d)
{
    return d->closed[0] && d->closed[1]; /* contactor 1 = DC+, 2 = DC- (chargesom.c's wiring) */
}

int sim_cbsom_plant_load_cmd(const struct sim_cbsom_plant *p, const struct cbsom_device *d, char *buf,
                             size_t cap, uint32_t now_ms)
{
    bool path = plant_path(d) && plant_car_plugged(p, now_ms) && p->car.closed;
    int want = path ? 1 : 0;
    int32_t dv = p->car.ocv_mv - p->load_mv_sent;
    if (want == p->load_state && (want == 0 || (dv < 500 && dv > -500))) {
        return 0;
    }
    return want ? snprintf(buf, cap, "load battery %.3f:%.3f\n", p->car.ocv_mv / 1000.0, p->car.r_mohm / 1000.0)
                : snprintf(buf, cap, "load open\n");
}

void sim_cbsom_plant_load_sent(struct sim_cbsom_plant *p, const struct cbsom_device *d, uint32_t now_ms)
{
    p->load_state = plant_path(d) && plant_car_plugged(p, now_ms) && p->car.closed ? 1 : 0;
    p->load_mv_sent = p->car.ocv_mv;
}

/* The duty on the wire: F (0) in the safe state, no PWM (constant +12 V) until the host
 * runs it, else the host's duty as the controller applies it. */
static unsigned plant_duty(const struct cbsom_device *d)
{
    if (d->phase == CBSOM_DEV_SAFE) {
        return HAL_PILOT_DUTY_DC_LOW;
    }
    if (d->phase != CBSOM_DEV_RUNNING || !d->cc.pwm_active) {
        return HAL_PILOT_DUTY_DC_HIGH;
    }
    return d->cc.duty;
}

int sim_cbsom_plant_car_reply(const struct sim_cbsom_plant *p, const struct cbsom_device *d, char *buf,
                              size_t cap, uint32_t now_ms)
{
    (void)now_ms;
    bool closed = plant_path(d);
    return snprintf(buf, cap, "evse duty=%u closed=%d locked=0 mv=%ld ma=%ld", plant_duty(d), closed ? 1 : 0,
                    (long)p->stage.mv, (long)(closed ? p->stage.ma : 0));
}

void sim_cbsom_plant_sample(struct sim_cbsom_plant *p, const struct cbsom_device *d, uint32_t now_ms,
                            struct sim_cbsom_sample *out)
{
    bool path = plant_path(d);
    unsigned duty = plant_duty(d);
    /* The stage is "in its controller's hands" while a module heard it lately: commanded
     * on then is an export; off, or out of reach (its bus down), for longer than the
     * power-down timeout is where the charger may give up and open under load. */
    bool reached = p->stage.quiet_ms < p->forced_after_ms;
    bool off_long = p->stage.on ? !reached : now_ms - p->off_since_ms >= p->forced_after_ms;
    int32_t ma = path ? p->stage.ma : 0;
    /* The controller's own opening (the car left C/D): the host still asks for a contactor
     * it no longer has. Its power-down behind that is judged by its timeout, not as an
     * order of its own. */
    bool asked = d->cc.contactor[0] || d->cc.contactor[1];
    bool lost = (d->cc.contactor[0] && !d->closed[0]) || (d->cc.contactor[1] && !d->closed[1]);
    if (!asked) {
        p->gate = false;
    } else if (lost && !p->gate && p->have_prev && (p->prev.bits & (FAULTS_B_CPOS | FAULTS_B_CNEG)) != 0) {
        p->gate = true;
        p->gate_since_ms = now_ms;
    }
    bool gate = p->gate && now_ms - p->gate_since_ms < p->forced_after_ms;
    uint16_t bits = (uint16_t)((d->closed[0] ? FAULTS_B_CPOS : 0u) | (d->closed[1] ? FAULTS_B_CNEG : 0u) |
                               (p->stage.on || p->stage.ma > FAULTS_SAFE_MA / 4 ? FAULTS_B_STAGE : 0u) |
                               (duty != HAL_PILOT_DUTY_DC_HIGH && duty != HAL_PILOT_DUTY_DC_LOW ? FAULTS_B_PWM : 0u) |
                               (p->stage.on && reached ? FAULTS_B_EXPORT : 0u) | (off_long ? FAULTS_B_OFF_LONG : 0u) |
                               (gate ? FAULTS_B_GATE : 0u));
    *out = (struct sim_cbsom_sample){now_ms, p->stage.mv, ma, bits};
    if (path) {
        p->max_ma = ma > p->max_ma ? ma : p->max_ma;
    }
    if (p->have_prev) {
        const struct sim_cbsom_sample *q = &p->prev;
        const uint16_t both = FAULTS_B_CPOS | FAULTS_B_CNEG;
        if ((bits & ~q->bits & both) != 0) {
            p->closes++;
            enum cbsom_cp cp = cbsom_device_cp(d);
            if (cp != CBSOM_CP_C && cp != CBSOM_CP_D) {
                p->violations++; /* the controller's own gate: never outside C/D */
            }
        }
        if ((q->bits & ~bits & both) != 0) {
            p->opens++;
            if ((q->bits & both) == both && q->ma > FAULTS_SAFE_MA) {
                p->max_open_ma = q->ma > p->max_open_ma ? q->ma : p->max_open_ma;
                if (bits & FAULTS_B_GATE) {
                    p->gate_opens++; /* the car broke the circuit, the controller followed */
                } else if ((bits & FAULTS_B_OFF_LONG) && !(bits & FAULTS_B_EXPORT)) {
                    p->forced_opens++;
                } else {
                    p->violations++;
                }
            }
        }
    }
    p->prev = *out;
    p->have_prev = true;
}

int sim_cbsom_plant_status(const struct sim_cbsom_plant *p, char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "violations=%lu\nforced_opens=%lu\ngate_opens_under_load=%lu\ncontactor_closes=%lu\n"
                    "contactor_opens=%lu\n"
                    "max_open_ma=%ld\nmax_ma=%ld\nplugins=%lu\ncar_rx=%lu\ncar_bad=%lu\nstage_rx=%lu\n"
                    "stage_bad=%lu\n",
                    (unsigned long)p->violations, (unsigned long)p->forced_opens, (unsigned long)p->gate_opens,
                    (unsigned long)p->closes,
                    (unsigned long)p->opens, (long)p->max_open_ma, (long)p->max_ma, (unsigned long)p->plugins,
                    (unsigned long)p->car_rx, (unsigned long)p->car_bad, (unsigned long)p->stage_rx,
                    (unsigned long)p->stage_bad);
}
