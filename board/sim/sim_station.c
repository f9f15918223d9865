/* sim_station.c - owns the simulator's station (struct sim_station): the connectors handed
 * to firmware/station.c, the station's task run after the firmware's tasks on every loop
 * pass, and every station event written to the simulator's log (status in OCPP terms,
 * sessions started and stopped, errors raised and cleared, EV information, measurements
 * with the limit in force).
 *
 * Why a scheduler of its own: station_init() arms its task every 1 ms. In the firmware's
 * scheduler that would end the virtual clock's idle every simulated ms, so the loop passes
 * (and with them the instants of the 1 s time series and progress lines) would differ from
 * a run without the station. Run from the loop's per-pass hook instead, the task still
 * follows the connectors' tasks in the same pass (it reads what they decided) and sees
 * every change they make, and the simulated sessions stay exactly those of before. */
#include "sim_station.h"

#include <stdio.h>
#include <string.h>

static const char *sim_station_name(const struct sim_station *ss, uint8_t i)
{
    return i < ss->st.n ? charger_config_of(ss->st.conn[i].c)->name : "?";
}

static void sim_station_log(struct sim_station *ss, const struct station_event *e)
{
    const char *n = sim_station_name(ss, e->connector);
    uint32_t t = e->time_ms;
    switch (e->kind) {
    case STATION_EV_STATUS:
        hal_logf(ss->log, HAL_LOG_INFO, t, "[%s] station: status %s -> %s", n,
                 station_status_name(e->u.status.from), station_status_name(e->u.status.to));
        break;
    case STATION_EV_SESSION_STARTED:
        hal_logf(ss->log, HAL_LOG_INFO, t, "[%s] station: session %lu started, token %s%s%s", n,
                 (unsigned long)e->u.started.number, e->u.started.token[0] ? e->u.started.token : "none",
                 e->u.started.token[0] ? " from " : "",
                 e->u.started.token[0] ? station_token_source_name(e->u.started.source) : "");
        break;
    case STATION_EV_SESSION_STOPPED: {
        const struct charger_session_record *r = &e->u.stopped.record;
        hal_logf(ss->log, HAL_LOG_INFO, t, "[%s] station: session %lu stopped: stop=%s, %lld Wh%s, %.1f s charging%s%s%s%s",
                 n, (unsigned long)r->number, charger_stop_reason_token(r->stop), (long long)r->energy_wh,
                 r->metered ? " metered" : "", r->charge_ms / 1000.0, e->u.stopped.token[0] ? ", token " : "",
                 e->u.stopped.token, e->u.stopped.token[0] ? " from " : "",
                 e->u.stopped.token[0] ? station_token_source_name(e->u.stopped.source) : "");
        break;
    }
    case STATION_EV_ERROR_RAISED:
    case STATION_EV_ERROR_CLEARED:
        hal_logf(ss->log, e->kind == STATION_EV_ERROR_RAISED ? HAL_LOG_WARN : HAL_LOG_INFO, t,
                 "[%s] station: error %s: %s %lu%s%s%s%s", n,
                 e->kind == STATION_EV_ERROR_RAISED ? "raised" : "cleared",
                 errors_source_name(e->u.error.source), (unsigned long)e->u.error.code,
                 e->kind == STATION_EV_ERROR_RAISED ? " (" : "",
                 e->kind == STATION_EV_ERROR_RAISED ? errors_severity_name(e->u.error.severity) : "",
                 e->kind == STATION_EV_ERROR_RAISED ? ") " : "",
                 e->u.error.text != NULL ? e->u.error.text : "");
        break;
    case STATION_EV_EV_INFO: {
        const struct station_ev_info *v = &e->u.ev;
        if (v->soc < 0) {
            hal_logf(ss->log, HAL_LOG_INFO, t, "[%s] station: EV info: protocol %s", n, v->protocol);
            break;
        }
        hal_logf(ss->log, HAL_LOG_INFO, t,
                 "[%s] station: EV info: protocol %s, SoC %d %%, max %ld mV %ld mA %ld W, EVCCID %s", n,
                 v->protocol, v->soc, (long)v->max_voltage_mv, (long)v->max_current_ma, (long)v->max_power_w,
                 v->evccid[0] ? v->evccid : "-");
        break;
    }
    case STATION_EV_MEASUREMENT: {
        const struct station_measurement *m = &e->u.meas;
        char lim[32] = "none";
        if (m->limit_w != 0) {
            snprintf(lim, sizeof lim, "%lu W", (unsigned long)m->limit_w);
        }
        hal_logf(ss->log, HAL_LOG_INFO, t, "[%s] station: measured %.1f V, %.1f A, %ld W, %lld Wh; limit %s", n,
                 m->voltage_mv / 1000.0, m->current_ma / 1000.0, (long)m->power_w, (long long)m->energy_wh,
                 lim);
        break;
    }
    case STATION_EV_NONE:
    case STATION_EV_KIND_COUNT:
        break;
    }
}

int sim_station_start(struct sim_station *ss, struct charger *const *conns, uint8_t n, uint32_t limit_w,
                      struct hal_log *log, uint32_t now_ms)
{
    struct station_config cfg;
    station_default_config(&cfg);
    cfg.max_power_w = limit_w; /* 0: none */
    ss->log = log;
    ss->limit_w = limit_w;
    ss->applied = 0; /* a restarted station starts from the first limit again */
    sched_init(&ss->sched);
    int rc = station_init(&ss->st, &cfg, conns, n, &ss->sched, now_ms);
    ss->running = rc == HAL_OK;
    return rc;
}

void sim_station_stop(struct sim_station *ss)
{
    sched_init(&ss->sched);
    ss->running = false;
}

void sim_station_pass(struct sim_station *ss, uint32_t now_ms)
{
    if (!ss->running) {
        return;
    }
    /* A timed change of the station's limit (an operator or a grid signal): applied between
     * two passes, as station_set_limit() wants; the charger tells an ISO-2 car to
     * renegotiate (EVSENotification ReNegotiation). */
    while (ss->applied < ss->changes && now_ms >= ss->change_at_ms[ss->applied]) {
        uint32_t w = ss->change_w[ss->applied++];
        (void)station_set_limit(&ss->st, STATION_ALL, ss->st.cfg.max_current_ma, w);
        hal_logf(ss->log, HAL_LOG_INFO, now_ms, "station: power limit set to %lu W (--station-limit-at)",
                 (unsigned long)w);
    }
    (void)sched_run(&ss->sched, now_ms, false);
    struct station_event e;
    while (station_event_pop(&ss->st, &e) == HAL_OK) {
        sim_station_log(ss, &e);
        for (unsigned k = 0; k < SIM_STATION_READERS; k++) {
            if (ss->readers[k].on_event != NULL) {
                ss->readers[k].on_event(ss->readers[k].ctx, &e, now_ms);
            }
        }
    }
    for (unsigned k = 0; k < SIM_STATION_READERS; k++) {
        if (ss->readers[k].on_pass != NULL) {
            ss->readers[k].on_pass(ss->readers[k].ctx, now_ms);
        }
    }
}
