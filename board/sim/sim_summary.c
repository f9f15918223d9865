/* sim_summary.c - owns the simulator's report of a run: the 1 s time series and progress
 * lines while it runs, and after it the per-session lines, the expected outcome of each
 * connector (by --fault or the car profile) with its verdict, and the CurrentDemand
 * latency figure. No state of its own: it reads the board's objects. */
#include "sim_summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_board.h"
#include "iec61851/pilot_ev.h"

/* The pilot state a reader of the car's side would name from the high level (IEC 61851-1
 * Table A.4 bands; E: 0 V, F: -12 V). */
static char sim_pilot_letter(const struct plant *p)
{
    struct hal_pilot_sample smp;
    pilot_ev_sample(&p->ev, p->duty, &smp);
    int32_t mv = p->pilot_force == 'E' ? 0 : p->pilot_force == 'F' ? -12000 : smp.high_mv;
    return mv > 10500 ? 'A' : mv > 7500 ? 'B' : mv > 4500 ? 'C' : mv > 1500 ? 'D' : mv > -1500 ? 'E' : 'F';
}

/* What a time-series row shows of one connector; a change of any field but the measured
 * values is an event and gets its own row. */
static void sim_snapshot(const struct sim_conn *x, struct sim_csv_snap *n)
{
    const struct plant *p = &x->plant;
    const struct charger *c = &x->charger;
    const struct hlc_ev *ev = hlc_ev(&c->hlc);
    bool on = p->psu.mode == PSU_MODE_EXPORT;
    memset(n, 0, sizeof *n);
    n->state = (int)charger_state(c);
    n->set_mv = on ? (int32_t)p->psu.set_mv : 0;
    n->set_ma = on ? (int32_t)p->psu.set_ma : 0;
    n->ev_mv = ev != NULL ? ev->target_voltage_mv : 0;
    n->ev_ma = ev != NULL ? ev->target_current_ma : 0;
    n->max_mv = c->pw.lim.max_mv;
    n->max_ma = c->pw.lim.max_ma;
    n->max_w = c->pw.lim.max_w;
    n->pilot = sim_pilot_letter(p);
    n->duty = p->duty;
    n->contactors = p->contact_pos && p->contact_neg;
    n->locked = p->locked;
}

static void sim_row(struct sim_conn *x, uint32_t now, const char *kind, const struct sim_csv_snap *n)
{
    const struct plant *p = &x->plant;
    const struct ev_battery *b = ev_model_battery(&x->car);
    double kw = (double)p->psu.out_mv * (double)p->psu.out_ma / 1e9;
    /* The commanded setpoints beside the measurements (0 while the stage is off); energy
     * stays the last column, as readers of the older form expect. */
    sim_capture_row(&x->cap, "%.3f,%s,%.1f,%.1f,%.1f,%.1f,%.2f,%.1f,%s,%.1f,%.1f,%.1f,%.1f,%.2f,%c,%.1f,%s,%s,%.1f\n",
                    now / 1000.0, charger_state_name((enum charger_state)n->state), p->psu.out_mv / 1000.0,
                    p->psu.out_ma / 1000.0, n->set_mv / 1000.0, n->set_ma / 1000.0, kw,
                    ev_battery_soc_permille(b) / 10.0, kind, n->ev_mv / 1000.0, n->ev_ma / 1000.0,
                    n->max_mv / 1000.0, n->max_ma / 1000.0, n->max_w / 1000.0, n->pilot,
                    n->duty >= HAL_PILOT_DUTY_DC_HIGH ? 100.0 : n->duty / 10.0, n->contactors ? "closed" : "open",
                    n->locked ? "locked" : "unlocked", p->energy_wh);
}

void sim_summary_events(struct sim *s)
{
    for (int k = 0; k < s->n; k++) {
        struct sim_conn *x = &s->c[k];
        struct sim_csv_snap n;
        if (x->cap.csv == NULL) {
            continue;
        }
        sim_snapshot(x, &n);
        if (memcmp(&n, &x->snap, sizeof n) != 0) {
            x->snap = n;
            sim_row(x, s->clock.now_ms, "event", &n);
        }
    }
}

void sim_summary_progress(struct sim *s)
{
    uint32_t now = s->clock.now_ms;
    for (int k = 0; k < s->n; k++) {
        struct sim_conn *x = &s->c[k];
        const struct plant *p = &x->plant;
        const struct ev_battery *b = ev_model_battery(&x->car);
        double kw = (double)p->psu.out_mv * (double)p->psu.out_ma / 1e9;
        struct sim_csv_snap n;
        sim_snapshot(x, &n);
        sim_row(x, now, "1hz", &n);
        if (charger_state(&x->charger) == CHARGER_CHARGING && now - x->reported >= s->report_ms) {
            x->reported = now;
            hal_logf(&s->log.base, HAL_LOG_INFO, now,
                     "[%s] charging: %.1f V, %.1f A, %.1f kW, SOC %.1f %%, %.0f Wh", p->name,
                     p->psu.out_mv / 1000.0, p->psu.out_ma / 1000.0, kw,
                     ev_battery_soc_permille(b) / 10.0, p->energy_wh);
        }
    }
}

/* A car whose battery (its pre-charge target) is above the connector's rating cannot be
 * charged here: the charger must hold every setpoint at the rating and stop with
 * ev-limits, nothing delivered (issue 12). */
static bool sim_car_above_rating(const struct sim_conn *x)
{
    return ev_battery_ocv_mv(ev_model_battery(&x->car)) > (int32_t)x->charger.cfg.max_voltage_mv;
}

static bool sim_rating_stop_ok(const struct charger_session_record *r)
{
    return r != NULL && r->stop == CHARGER_STOP_EV_LIMITS && r->charge_ms == 0;
}
static bool sim_expected_first(const struct sim_conn *x, enum plant_fault f, const char **why)
{
    const struct charger *c = &x->charger;
    const struct plant *p = &x->plant;
    const struct charger_session_record *r = charger_history(c, 0);
    const struct charger_stats *st = charger_stats(c);
    switch (f) {
    case PLANT_FAULT_NONE:
        if (sim_car_above_rating(x)) {
            *why = "the car's pre-charge target is above the connector's rating: held at the rating, "
                   "stopped with ev-limits, nothing delivered";
            return sim_rating_stop_ok(r);
        }
        *why = "charged, ended by the EV, metered";
        return r != NULL && r->stop == CHARGER_STOP_EV && r->charge_ms > 0 && r->meter_ok;
    case PLANT_FAULT_ESTOP:
        *why = "stopped by the emergency stop";
        return r != NULL && r->fault == INTERLOCK_FAULT_ESTOP;
    case PLANT_FAULT_UNPLUG:
        *why = "unplug under load stopped the session";
        return r != NULL && r->stop == CHARGER_STOP_UNPLUGGED;
    case PLANT_FAULT_WELD:
        *why = "welded contactor detected, connector held locked";
        return st->last_fault == INTERLOCK_FAULT_WELDED && interlock_state(&c->il) == INTERLOCK_HELD &&
               p->locked;
    case PLANT_FAULT_LOCK:
        *why = "lost lock feedback stopped the session";
        return r != NULL && r->fault == INTERLOCK_FAULT_LOCK_LOST;
    case PLANT_FAULT_DIODE:
        *why = "missing diode detected, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_DIODE_FAULT && r->charge_ms == 0;
    case PLANT_FAULT_PSU_STUCK:
        *why = "stage ignored 'off': contactors forced open after the timeout";
        return r != NULL && r->fault == INTERLOCK_FAULT_POWER_DOWN_TIMEOUT && p->forced_opens == 1u;
    case PLANT_FAULT_ISOLATION:
        *why = "insulation fault found by the cable check, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_ISOLATION && r->charge_ms == 0;
    case PLANT_FAULT_IMD:
        *why = "isolation monitor fault stopped the cable check";
        return r != NULL && r->stop == CHARGER_STOP_IMD && r->charge_ms == 0;
    case PLANT_FAULT_METER:
        *why = "no meter transaction, no power delivered";
        return r != NULL && r->stop == CHARGER_STOP_METER && r->charge_ms == 0;
    case PLANT_FAULT_PSU_HOT:
        *why = "power stage over-temperature stopped the session";
        return r != NULL && r->stop == CHARGER_STOP_PSU;
    case PLANT_FAULT_EVSE_STOP:
        *why = "operator stop: the EV ended the session on request, metered";
        return r != NULL && r->stop == CHARGER_STOP_LOCAL && r->meter_ok && ev_model_ok(&x->car);
    case PLANT_FAULT_COUNT:
        break;
    }
    *why = "";
    return false;
}

/* The session lines of one connector. Returns whether they are as expected; *kept: the
 * sessions finished and recorded. */
static bool sim_summary_sessions(struct sim *s, const struct sim_options *o, struct sim_conn *x, bool first_ok,
                                 uint32_t *kept)
{
    const struct charger *c = &x->charger;
    const struct plant *p = &x->plant;
    const struct faults_scenario *scenario = o->scenario;
    bool good = true;
    /* In a scenario run the first session carries the injected fault: its stop is the
     * scenario's to judge (faults_finish), so its line says so instead of "FAIL". */
    bool scenario_first = sim_scenario_judges_first(&s->scenario);
    *kept = 0;
    for (uint32_t h = 0;; h++) {
        const struct charger_session_record *r = charger_history(c, h);
        bool in_progress = false;
        if (r == NULL) {
            r = charger_session_in_progress(c);
            in_progress = true;
            if (r == NULL || r->number == 0) {
                break;
            }
        }
        bool later_ok = h == 0 ? first_ok : (r->stop == CHARGER_STOP_EV && r->charge_ms > 0 && r->meter_ok);
        if (o->tesla_stop && h > 0) {
            later_ok = r->stop == CHARGER_STOP_EV && r->charge_ms == 0;
        }
        bool injected = scenario_first && h == 0;
        const char *verdict = injected ? "fault-injected" : later_ok ? "ok" : "FAIL";
        char why[192] = "";
        if (injected) {
            snprintf(why, sizeof why, " (scenario %s injected the fault into this session, expected stop=%s%s: "
                     "judged by the scenario below)", scenario->name,
                     charger_stop_reason_token(scenario->stop),
                     (scenario->flags & FAULTS_F_HELD) ? ", connector held locked" : "");
        }
        if (!injected && !in_progress && h > 0 && o->script.fault == PLANT_FAULT_NONE && sim_car_above_rating(x)) {
            later_ok = sim_rating_stop_ok(r);
            verdict = later_ok ? "ok" : "FAIL";
        }
        if (!injected && !in_progress) {
            good = good && later_ok;
        }
        char paused[24] = "";
        if (r->pauses > 0) { /* ISO-2 SessionStop(Pause) and resumed: still one session */
            snprintf(paused, sizeof paused, " pauses=%u", (unsigned)r->pauses);
        }
        printf("sim: [%s] session %lu: %s%s stop=%s energy_wh=%lld soc=%ld->%ld duration_s=%lu%s%s%s%s\n",
               p->name, (unsigned long)r->number, in_progress ? "in-progress " : "", verdict,
               charger_stop_reason_token(in_progress ? charger_stats(c)->last_stop : r->stop), (long long)r->energy_wh,
               (long)r->soc_start, (long)(r->soc_end >= 0 ? r->soc_end : r->soc_start),
               (unsigned long)(((in_progress ? s->clock.now_ms : r->ended_ms) - r->plugged_ms + 500u) / 1000u),
               paused, r->detail != NULL && r->detail[0] ? " detail=" : "", r->detail != NULL ? r->detail : "", why);
        if (in_progress) {
            break;
        }
        (*kept)++;
    }
    return good;
}

/* One connector's lines after its sessions'. Returns whether it ended as expected. */
static bool sim_summary_connector(struct sim *s, const struct sim_options *o, struct sim_conn *x)
{
    const struct charger *c = &x->charger;
    const struct plant *p = &x->plant;
    const char *expect;
    bool first_ok = sim_expected_first(x, o->script.fault, &expect);
    if (o->tesla_stop) {
        /* The Model Y capture: no voltage at the inlet, the car gives up in pre-charge
         * with a clean SessionStop; nothing may have flowed. */
        const struct charger_session_record *r = charger_history(c, 0);
        expect = "the car stopped in pre-charge with SessionStop, no power delivered";
        first_ok = r != NULL && r->stop == CHARGER_STOP_EV && r->charge_ms == 0;
    }
    uint32_t kept = 0;
    bool good = first_ok && p->violations == 0;
    good = sim_summary_sessions(s, o, x, first_ok, &kept) && good;
    printf("sim: [%s] limits: connector %lu V, %lu A, %lu kW; highest voltage setpoint %.1f V, "
           "highest output voltage %.1f V (every ms)\n",
           p->name, (unsigned long)(c->cfg.max_voltage_mv / 1000u), (unsigned long)(c->cfg.max_current_ma / 1000u),
           (unsigned long)(c->cfg.max_power_w / 1000u), p->max_set_mv / 1000.0, p->max_out_mv / 1000.0);
    const struct sim_modbus_stats *mb = &x->imd.bus.stats;
    printf("sim: [%s] isolation monitor: real Bender driver on the simulated Modbus device: %lu requests, "
           "%lu answered, %lu timed out, %lu self-test(s)\n",
           p->name, (unsigned long)mb->requests, (unsigned long)mb->answered, (unsigned long)mb->timeouts,
           (unsigned long)x->imd.tests);
    const struct sim_meter *mt = &x->meter;
    printf("sim: [%s] meter: real EM580 driver on the simulated Modbus device: %lu requests, %lu answered, "
           "%lu timed out, %lu live reads; OCMF transactions begun %lu, ended %lu, records confirmed %lu\n",
           p->name, (unsigned long)mt->bus.stats.requests, (unsigned long)mt->bus.stats.answered,
           (unsigned long)mt->bus.stats.timeouts, (unsigned long)mt->live_reads, (unsigned long)mt->dev.begins,
           (unsigned long)mt->dev.ends, (unsigned long)mt->dev.confirms);
    bool sessions_ok = kept == o->script.sessions || (o->script.fault == PLANT_FAULT_WELD && kept == 0 && first_ok);
    if (o->script.fault == PLANT_FAULT_WELD) {
        good = first_ok && p->violations == 0; /* held: the car cannot leave */
    }
    good = good && sessions_ok;
    char judged[160];
    if (o->scenario != NULL) {
        snprintf(judged, sizeof judged, "judged by scenario %s below", o->scenario->name);
    } else {
        snprintf(judged, sizeof judged, "%s (%s)", good ? "as expected" : "NOT as expected", expect);
    }
    const struct charger_stats *st = charger_stats(c);
    printf("sim: [%s] %lu session(s), %lu charged, %.1f s of power, %.3f kWh, last stop: %s%s%s, "
           "power path: %s, protocol: %s, car: %s, safety violations: %lu -> %s\n",
           p->name, (unsigned long)st->sessions, (unsigned long)st->sessions_charged, st->charge_ms_total / 1000.0,
           p->energy_wh / 1000.0, charger_stop_reason_name(st->last_stop),
           st->last_fault != INTERLOCK_FAULT_NONE ? " / " : "",
           st->last_fault != INTERLOCK_FAULT_NONE ? interlock_fault_name(st->last_fault) : "",
           interlock_state_name(interlock_state(&c->il)),
           ev_model_protocol_name(&x->car)[0] ? ev_model_protocol_name(&x->car) : "none negotiated",
           ev_model_result(&x->car)[0] ? ev_model_result(&x->car) : "-", (unsigned long)p->violations, judged);
    sim_capture_close(&x->cap);
    return good;
}

static int sim_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The CurrentDemandReq->Res latency of every connector, and cp0's plug-in to first
 * CurrentDemandRes. */
static void sim_summary_figure(struct sim *s, const struct sim_options *o)
{
    static uint32_t all_ns[SIM_MAX_CONNECTORS * SIM_LAT_MAX];
    uint32_t nall = 0;
    for (int i = 0; i < s->n; i++) {
        for (uint32_t k = 0; k < s->c[i].meas.n; k++) {
            all_ns[nall++] = s->c[i].meas.ns[k];
        }
    }
    if (nall == 0) {
        return;
    }
    qsort(all_ns, nall, sizeof all_ns[0], sim_cmp_u32);
    /* The first session of cp0 that reached CurrentDemand, finished or still in
     * progress (a connector held locked keeps its record open); 0 means none. */
    const struct charger *c0 = &s->c[0].charger;
    const struct charger_session_record *first = NULL;
    for (uint32_t h = 0; first == NULL && charger_history(c0, h) != NULL; h++) {
        if (charger_history(c0, h)->first_cd_ms != 0) {
            first = charger_history(c0, h);
        }
    }
    if (first == NULL && charger_session_in_progress(c0) != NULL && charger_session_in_progress(c0)->first_cd_ms != 0) {
        first = charger_session_in_progress(c0);
    }
    char cd[160];
    if (first != NULL) {
        snprintf(cd, sizeof cd, "plug-in -> first CurrentDemandRes %.3f s (simulated, cp0 session %lu%s)",
                 first->first_cd_ms / 1000.0, (unsigned long)first->number,
                 o->scenario != NULL && o->scenario->kind == FAULTS_POWER_LOSS ? " after the restart" : "");
    } else {
        snprintf(cd, sizeof cd, "plug-in -> first CurrentDemandRes: none (no session of cp0 reached it)");
    }
    printf("sim: FIGURE CurrentDemandReq->Res (wall clock, this CPU): n=%lu p50=%.1f us p99=%.1f us "
           "max=%.1f us; %s\n",
           (unsigned long)nall, all_ns[nall / 2] / 1000.0, all_ns[(nall * 99u) / 100u] / 1000.0,
           all_ns[nall - 1] / 1000.0, cd);
}

bool sim_summary_print(struct sim *s, const struct sim_options *o)
{
    bool ok = true;
    for (int i = 0; i < s->n; i++) {
        ok = sim_summary_connector(s, o, &s->c[i]) && ok;
    }
    sim_summary_figure(s, o);
    return ok;
}

void sim_summary_huawei(const struct sim *s)
{
    const struct sim_huawei_conn *g = &s->hw_bus.unit.g[1];
    char a[48] = "none", b[48] = "none";
    if (s->hw_export_ms != 0 && g->power_seen_ms != 0) {
        snprintf(a, sizeof a, "%ld ms", (long)((int64_t)g->power_seen_ms - (int64_t)s->hw_export_ms));
    }
    if (g->alloc_seen_ms != 0 && s->hw_running_ms != 0) {
        snprintf(b, sizeof b, "%ld ms", (long)((int64_t)s->hw_running_ms - (int64_t)g->alloc_seen_ms));
    }
    printf("sim: FIGURE huawei (simulated, cp0): first Export command -> the unit sees a power request %s; "
           "the unit sees the allocation request -> the driver is Running %s; requests refused by the unit %lu\n",
           a, b, (unsigned long)s->hw_bus.unit.refused_frames);
}
